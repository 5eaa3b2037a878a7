//! Uploading monthly figures: choose a file (and a mapping for other shapes), see what would
//! change, confirm. The preview runs the whole import in a transaction that is rolled back; the
//! confirmation runs it again and commits.

use std::sync::Mutex;

use askama::Template;
use axum::extract::{Form, Multipart, State};
use axum::response::Response;
use serde::Deserialize;
use zielwerk_domain::Action;
use zielwerk_domain::format::number;
use zielwerk_importer::{ImportError, Report, Request};

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

/// Files waiting for confirmation, by token. Bounded: the oldest go first.
/// Previews awaiting confirmation, per session: each session keeps its own few, so one
/// Jobcenter's uploads never void another's pending confirmation; all together are bounded in
/// bytes, the oldest going first.
#[derive(Debug, Default)]
pub struct Uploads {
    pending: Mutex<Vec<Pending>>,
}

#[derive(Debug)]
struct Pending {
    session: String,
    token: String,
    upload: Upload,
}

#[derive(Debug, Clone)]
struct Upload {
    name: String,
    bytes: Vec<u8>,
    mapping: String,
}

/// Previews one session may have waiting at once.
const PENDING_PER_SESSION: usize = 4;
/// Bytes all waiting previews together may hold.
const PENDING_BYTES: usize = 512 * 1024 * 1024;

impl Uploads {
    fn put(&self, session: &str, token: String, upload: Upload) {
        let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        p.retain(|x| !(x.session == session && x.token == token));
        while p.iter().filter(|x| x.session == session).count() >= PENDING_PER_SESSION {
            if let Some(i) = p.iter().position(|x| x.session == session) {
                p.remove(i);
            }
        }
        p.push(Pending {
            session: session.to_owned(),
            token,
            upload,
        });
        while p.len() > 1 && p.iter().map(|x| x.upload.bytes.len()).sum::<usize>() > PENDING_BYTES {
            p.remove(0);
        }
    }

    fn take(&self, session: &str, token: &str) -> Option<Upload> {
        let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let i = p
            .iter()
            .position(|x| x.session == session && x.token == token)?;
        Some(p.remove(i).upload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(n: usize) -> Upload {
        Upload {
            name: format!("{n}.csv"),
            bytes: vec![b'x'; 10],
            mapping: String::new(),
        }
    }

    #[test]
    fn one_sessions_uploads_never_void_anothers_preview() {
        let u = Uploads::default();
        u.put("mettmann", "a".into(), upload(0));
        for i in 0..40 {
            u.put("regensburg", format!("r{i}"), upload(i));
        }
        assert!(
            u.take("mettmann", "a").is_some(),
            "Mettmann's preview is still there"
        );
        assert!(u.take("regensburg", "r39").is_some());
        assert!(
            u.take("regensburg", "r0").is_none(),
            "a session keeps its newest few"
        );
        assert!(
            u.take("regensburg", "a").is_none(),
            "a token is its session's alone"
        );
    }
}

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
    Ok(zielwerk_importer::run(&session.store(&state.store), request, &when).await)
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

pub async fn preview(
    State(state): State<AppState>,
    session: Session,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    may_import(&session)?;
    let mut upload = Upload {
        name: String::new(),
        bytes: Vec::new(),
        mapping: String::new(),
    };
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| WebError::BadRequest(format!("Das Formular ließ sich nicht lesen: {e}")))?
    {
        match field.name() {
            Some("datei") => {
                upload.name = field.file_name().unwrap_or("upload").to_owned();
                upload.bytes = field
                    .bytes()
                    .await
                    .map_err(|e| {
                        WebError::BadRequest(format!("Die Datei ließ sich nicht empfangen: {e}"))
                    })?
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
    let token = result
        .as_ref()
        .map(|r| format!("{}-{}", r.accepted.sha256, upload.mapping))
        .unwrap_or_default();
    if !token.is_empty() {
        // A preview can be confirmed only in the session that made it.
        state
            .uploads
            .put(&session.token_hash, token.clone(), upload.clone());
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
    let upload = state
        .uploads
        .take(&session.token_hash, &f.token)
        .ok_or_else(|| {
            WebError::BadRequest(
                "Diese Vorschau ist nicht mehr vorhanden; bitte die Datei erneut hochladen.".into(),
            )
        })?;
    let result = run(&state, &session, &upload, true).await?;
    answer(page(&upload, String::new(), result, true))
}
