//! Uploading monthly figures: choose a file (and a mapping for other shapes), see what would
//! change, confirm. The preview runs the whole import in a transaction that is rolled back; the
//! confirmation runs it again and commits.

use askama::Template;
use axum::extract::{Form, Multipart, State};
use axum::response::Response;
use serde::Deserialize;
use zielwerk_domain::format::number;
use zielwerk_importer::Report;
use zielwerk_ingest::long_csv::Refused;
use zielwerk_store::PendingUpload;

use super::{PageResult, html};
use crate::AppState;
use crate::auth::Session;
use crate::error::WebError;

/// An uploaded file with the mapping chosen for it.
#[derive(Debug, Clone)]
struct Upload {
    name: String,
    bytes: Vec<u8>,
    mapping: String,
}

/// Previews one session may have waiting at once. Previews wait in the database
/// (`Store::put_pending_upload`), per session: one Jobcenter's uploads never void another's
/// pending confirmation, and a confirmation reaches whichever server process it lands on.
const PENDING_PER_SESSION: usize = 4;
/// Bytes all waiting previews together may hold; the oldest go first.
const PENDING_BYTES: usize = 512 * 1024 * 1024;

#[derive(Template)]
#[template(path = "import_form.html")]
struct FormPage {
    mappings: Vec<(&'static str, &'static str)>,
}

pub async fn form(session: Session) -> PageResult {
    zielwerk_app::values::may_import(&session.principal)?;
    html(&FormPage {
        mappings: zielwerk_app::values::MAPPINGS
            .iter()
            .map(|(k, l, _)| (*k, *l))
            .collect(),
    })
}

struct Row {
    /// The line of the file, or empty where a problem has no line (a failure of the database).
    row: String,
    column: String,
    value: String,
    message: String,
}

#[derive(Template)]
#[template(path = "import_result.html")]
struct ResultPage {
    title: String,
    name: String,
    committed: bool,
    token: String,
    summary: Vec<(String, String)>,
    errors: Vec<Row>,
    more_errors: u64,
    warnings: Vec<Row>,
    sample: Vec<(String, String, String, String, String)>,
}

/// Runs the import as `session`'s user, for the Jobcenter they may import values for.
async fn run(
    state: &AppState,
    session: &Session,
    upload: &Upload,
    commit: bool,
) -> Result<Result<Report, Refused>, WebError> {
    let file = zielwerk_app::values::ImportFile {
        name: upload.name.clone(),
        input: Box::new(std::io::Cursor::new(upload.bytes.clone())),
        mapping: zielwerk_app::values::mapping(&upload.mapping)?,
        via: "Web-Upload",
        progress: None,
    };
    Ok(zielwerk_app::values::import(&state.store, &session.principal, file, commit).await?)
}

fn rows(problems: &[zielwerk_ingest::long_csv::Problem]) -> Vec<Row> {
    problems
        .iter()
        .map(|p| Row {
            row: if p.row == 0 {
                String::new()
            } else {
                p.row.to_string()
            },
            column: p.column.clone(),
            value: p.value.clone(),
            message: p.message.clone(),
        })
        .collect()
}

fn page(
    upload: &Upload,
    token: String,
    result: Result<Report, Refused>,
    committed: bool,
) -> ResultPage {
    match result {
        Ok(report) => {
            let o = report.outcome;
            let n = |v: u64| number(v as f64, 0);
            let mut summary = vec![
                ("Werte gelesen".to_owned(), n(report.accepted.rows)),
                ("neu".to_owned(), n(o.inserted)),
                (
                    "revidiert (neuerer Datenstand; alter Wert bleibt als Historie)".to_owned(),
                    n(o.revised),
                ),
                ("unverändert".to_owned(), n(o.unchanged)),
                ("älterer Datenstand (nur Historie)".to_owned(), n(o.older)),
                ("Kodierung".to_owned(), report.accepted.encoding.to_owned()),
                (
                    "Prüfsumme der Datei (SHA-256)".to_owned(),
                    format!("{} …", report.accepted.sha256.get(..12).unwrap_or_default()),
                ),
            ];
            if let Some(id) = &report.import_id {
                summary.push(("Import-Kennung".to_owned(), id.clone()));
            }
            ResultPage {
                title: if committed {
                    "Import gespeichert".into()
                } else {
                    "Vorschau des Imports".into()
                },
                name: upload.name.clone(),
                committed,
                token,
                summary,
                errors: Vec::new(),
                more_errors: 0,
                warnings: rows(&report.accepted.warnings),
                sample: report
                    .sample
                    .iter()
                    .map(|o| {
                        (
                            o.jobcenter.to_string(),
                            o.indicator.to_string(),
                            o.month.german_long(),
                            match (o.value, o.numerator, o.denominator) {
                                (Some(v), _, _) => number(v, 2),
                                (_, Some(a), Some(b)) => {
                                    format!("{} ÷ {}", number(a, 0), number(b, 0))
                                }
                                _ => "–".into(),
                            },
                            o.breakdown.as_ref().map(|b| b.key()).unwrap_or_default(),
                        )
                    })
                    .collect(),
            }
        }
        Err(r) => ResultPage {
            title: "Datei abgelehnt".into(),
            name: upload.name.clone(),
            committed: false,
            token: String::new(),
            summary: Vec::new(),
            errors: rows(&r.errors),
            more_errors: r.more,
            warnings: Vec::new(),
            sample: Vec::new(),
        },
    }
}

/// An upload that could not be received, in German: too large (with the limit) or broken off.
fn upload_error(status: axum::http::StatusCode, what: &str) -> WebError {
    if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        WebError::PayloadTooLarge(format!(
            "Die Datei ist zu groß: höchstens {}\u{a0}MB können hochgeladen werden. Teilen Sie die Datei auf oder importieren Sie sie auf der Kommandozeile (zielwerk import).",
            crate::UPLOAD_LIMIT / 1024 / 1024
        ))
    } else {
        WebError::BadRequest(format!(
            "{what} ließ sich nicht empfangen: die Übertragung war unvollständig oder kein Datei-Upload (multipart/form-data)."
        ))
    }
}

pub async fn preview(
    State(state): State<AppState>,
    session: Session,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, WebError> {
    zielwerk_app::values::may_import(&session.principal)?;
    let mut multipart = multipart.map_err(|e| upload_error(e.status(), "Das Formular"))?;
    let mut upload = Upload {
        name: String::new(),
        bytes: Vec::new(),
        mapping: String::new(),
    };
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| upload_error(e.status(), "Das Formular"))?
    {
        match field.name() {
            Some("datei") => {
                upload.name = field.file_name().unwrap_or("upload").to_owned();
                upload.bytes = field
                    .bytes()
                    .await
                    .map_err(|e| upload_error(e.status(), "Die Datei"))?
                    .to_vec();
            }
            Some("zuordnung") => {
                upload.mapping = field.text().await.unwrap_or_default();
            }
            _ => {}
        }
    }
    if upload.bytes.is_empty() {
        return Err(WebError::BadRequest(
            "Bitte eine Datei auswählen (Feld „Datei“).".into(),
        ));
    }
    let result = run(&state, &session, &upload, false).await?;
    let mut token = String::new();
    if result.is_ok() {
        // A preview can be confirmed only in the session that made it.
        token = crate::auth::random_token();
        let pending = PendingUpload {
            file_name: upload.name.clone(),
            mapping: upload.mapping.clone(),
            content: upload.bytes.clone(),
        };
        state
            .store
            .put_pending_upload(
                &session.token_hash,
                &token,
                &pending,
                PENDING_PER_SESSION,
                PENDING_BYTES,
            )
            .await?;
    }
    answer(page(&upload, token, result, false))
}

/// The result page: 200 for a preview or a stored import, 422 for a refused file (a client
/// that reads only the status learns that nothing was taken).
fn answer(p: ResultPage) -> Result<Response, WebError> {
    let refused = !p.errors.is_empty();
    let mut r = html(&p)?;
    if refused {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

#[derive(Deserialize)]
pub struct Confirm {
    token: String,
}

pub async fn confirm(
    State(state): State<AppState>,
    session: Session,
    Form(f): Form<Confirm>,
) -> Result<Response, WebError> {
    zielwerk_app::values::may_import(&session.principal)?;
    let pending = state
        .store
        .take_pending_upload(&session.token_hash, &f.token)
        .await?
        .ok_or_else(|| {
            WebError::BadRequest(
                "Diese Vorschau ist nicht mehr vorhanden; bitte die Datei erneut hochladen.".into(),
            )
        })?;
    let upload = Upload {
        name: pending.file_name,
        bytes: pending.content,
        mapping: pending.mapping,
    };
    let result = run(&state, &session, &upload, true).await?;
    answer(page(&upload, String::new(), result, true))
}
