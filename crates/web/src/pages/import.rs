//! Uploading monthly figures: choose a file (and a mapping for other shapes), see what would
//! change, confirm. The preview runs the whole import in a transaction that is rolled back; the
//! confirmation runs it again and commits.

use askama::Template;
use axum::extract::{Form, Multipart, State};
use axum::response::Response;
use serde::Deserialize;
use zielwerk_domain::Action;
use zielwerk_domain::format::number;
use zielwerk_importer::{ImportError, Report, Request};
use zielwerk_store::PendingUpload;

use super::{PageResult, html};
use crate::AppState;
use crate::auth::Session;
use crate::error::WebError;

/// The mappings that ship with Zielwerk (`mappings/`), offered in the form.
pub const MAPPINGS: [(&str, &str, &str); 3] = [
    (
        "regensburg-kennzahlen-sgb2",
        "Eckwerte für Jobcenter, breite Tabelle (kennzahlen_sgb2.csv, Regensburg)",
        include_str!("../../../../mappings/regensburg-kennzahlen-sgb2.toml"),
    ),
    (
        "regensburg-eckwerte-long",
        "Eckwerte für Jobcenter, Kategorienliste (eckwerte_long.csv, Regensburg)",
        include_str!("../../../../mappings/regensburg-eckwerte-long.toml"),
    ),
    (
        "ba-wohnkosten-haushaltsgroesse",
        "BA-Statistik Wohnkosten nach Haushaltsgröße",
        include_str!("../../../../mappings/ba-wohnkosten-haushaltsgroesse.toml"),
    ),
];

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
    may_import(&session)?;
    html(&FormPage {
        mappings: MAPPINGS.iter().map(|(k, l, _)| (*k, *l)).collect(),
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

fn mapping_for(key: &str) -> Result<Option<zielwerk_ingest::mapped::Mapping>, WebError> {
    if key.is_empty() {
        return Ok(None);
    }
    let (_, _, text) = MAPPINGS
        .iter()
        .find(|(k, _, _)| *k == key)
        .ok_or_else(|| WebError::BadRequest(format!("Unbekannte Zuordnung „{key}“")))?;
    zielwerk_ingest::mapped::parse_mapping(key, text)
        .map(Some)
        .map_err(WebError::Internal)
}

/// Runs the import as `session`'s user, for the Jobcenter they may import values for.
async fn run(
    state: &AppState,
    session: &Session,
    upload: &Upload,
    commit: bool,
) -> Result<Result<Report, ImportError>, WebError> {
    let p = session.principal.clone();
    let request = Request {
        name: upload.name.clone(),
        input: Box::new(std::io::Cursor::new(upload.bytes.clone())),
        mapping: mapping_for(&upload.mapping)?,
        recorded_by: session.principal.name.clone(),
        via: "Web-Upload",
        commit,
        may_write: Some(Box::new(move |j| p.may(j, Action::ImportValues))),
    };
    let when = chrono::Local::now().format("%d.%m.%Y %H:%M").to_string();
    let result = zielwerk_importer::run(&session.store(&state.store), request, &when).await;
    if let Err(ImportError::Store { name, source }) = &result
        && source.is_fault()
    {
        // The page says in German what happened; the log keeps the database's own words.
        tracing::error!(file = %name, error = ?source, "import failed in the database");
    }
    Ok(result)
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
    result: Result<Report, ImportError>,
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
        Err(ImportError::Refused(r)) => ResultPage {
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
        Err(other) => ResultPage {
            title: "Datei abgelehnt".into(),
            name: upload.name.clone(),
            committed: false,
            token: String::new(),
            summary: Vec::new(),
            errors: vec![Row {
                row: String::new(),
                column: String::new(),
                value: String::new(),
                message: other.to_string(),
            }],
            more_errors: 0,
            warnings: Vec::new(),
            sample: Vec::new(),
        },
    }
}

/// Importing needs the role for at least one Jobcenter (which ones is decided per value).
fn may_import(session: &Session) -> Result<(), WebError> {
    if session.principal.may_anywhere(Action::ImportValues) {
        Ok(())
    } else {
        Err(WebError::Forbidden(format!(
            "Dazu fehlt Ihnen die Berechtigung: {}.",
            Action::ImportValues.label_de()
        )))
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
    may_import(&session)?;
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
    may_import(&session)?;
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
