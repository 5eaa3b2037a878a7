//! Uploading monthly figures: choose a file (and a mapping for other shapes), see what would
//! change, confirm. The preview runs the whole import in a transaction that is rolled back; the
//! confirmation runs it again and commits.

use askama::Template;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::extract::{Form, Multipart, Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use zielwerk_app::own_records::{self, OwnFigures, OwnReport};
use zielwerk_domain::format::number;
use zielwerk_importer::{Phase, Progress, Report};
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
    /// Shared, not copied, between the import and the preview kept for confirmation.
    bytes: axum::body::Bytes,
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
    /// "612 Fehler in 3 Meldungen" and whether some are only counted.
    errors_caption: String,
    warnings: Vec<Row>,
    sample: Vec<(String, String, String, String, String)>,
    /// Figures from own data: the notes name figure and months, not rows of a file.
    own: bool,
}

/// Runs the import as `session`'s user, for the Jobcenter they may import values for.
async fn run(
    state: &AppState,
    session: &Session,
    upload: &Upload,
    commit: bool,
    progress: Option<zielwerk_importer::OnProgress>,
) -> Result<Result<Report, Refused>, WebError> {
    let file = zielwerk_app::values::ImportFile {
        name: upload.name.clone(),
        input: Box::new(std::io::Cursor::new(upload.bytes.clone())),
        mapping: zielwerk_app::values::mapping(&upload.mapping)?,
        via: "Web-Upload",
        progress,
        about: None,
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
            // A problem repeated in other rows is listed once, with those rows.
            message: format!("{}{}", p.message, p.repeated_de()),
        })
        .collect()
}

/// The caption of the error table: how many errors, how many listed.
fn errors_caption(r: &Refused) -> String {
    let total = r.total();
    let mut caption = format!("{} Fehler", number(total as f64, 0));
    if r.errors.len() as u64 != total - r.more {
        caption.push_str(&format!(
            ", gleiche Fehler in mehreren Zeilen zusammengefasst: {}",
            zielwerk_domain::format::counted(r.errors.len(), "Meldung", "Meldungen")
        ));
    }
    if r.more > 0 {
        caption.push_str(&format!(
            "; {} weitere nicht aufgeführt",
            number(r.more as f64, 0)
        ));
    }
    caption
}

/// The result page of an import. `own`: figures counted from own data, whose values come from
/// no file of the user's (no encoding, no checksum, no rows to name; see [`own_page`]).
fn page(
    name: &str,
    token: String,
    result: Result<Report, Refused>,
    committed: bool,
    own: bool,
) -> ResultPage {
    match result {
        Ok(report) => {
            let o = report.outcome;
            let n = |v: u64| number(v as f64, 0);
            let mut summary = vec![
                (
                    if own {
                        "Werte berechnet"
                    } else {
                        "Werte gelesen"
                    }
                    .to_owned(),
                    n(report.accepted.rows),
                ),
                ("neu".to_owned(), n(o.inserted)),
                (
                    "revidiert (neuerer Datenstand; alter Wert bleibt als Historie)".to_owned(),
                    n(o.revised),
                ),
                ("unverändert".to_owned(), n(o.unchanged)),
                ("älterer Datenstand (nur Historie)".to_owned(), n(o.older)),
            ];
            if !own {
                summary.push(("Kodierung".to_owned(), report.accepted.encoding.to_owned()));
                summary.push((
                    "Prüfsumme der Datei (SHA-256)".to_owned(),
                    format!("{} …", report.accepted.sha256.get(..12).unwrap_or_default()),
                ));
            }
            if let Some(id) = &report.import_id {
                summary.push(("Import-Kennung".to_owned(), id.clone()));
            }
            ResultPage {
                title: match (own, committed) {
                    (false, true) => "Import gespeichert",
                    (false, false) => "Vorschau des Imports",
                    (true, true) => "Werte aus eigenen Daten gespeichert",
                    (true, false) => "Vorschau der Werte aus eigenen Daten",
                }
                .into(),
                name: name.to_owned(),
                committed,
                token,
                summary,
                errors: Vec::new(),
                errors_caption: String::new(),
                warnings: rows(&report.accepted.warnings),
                own,
                sample: report
                    .sample
                    .iter()
                    .map(|o| {
                        (
                            o.region.to_string(),
                            o.indicator.to_string(),
                            o.month.german_long(),
                            match (o.value, o.numerator, o.denominator) {
                                (Some(v), _, _) => number(v, if v.fract() == 0.0 { 0 } else { 2 }),
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
            title: if own {
                "Eigene Daten abgelehnt"
            } else {
                "Datei abgelehnt"
            }
            .into(),
            name: name.to_owned(),
            committed: false,
            token: String::new(),
            summary: Vec::new(),
            // The rows of own figures are those of the computed values, not of the uploads.
            errors: rows(&r.errors)
                .into_iter()
                .map(|e| {
                    if own {
                        Row {
                            row: String::new(),
                            ..e
                        }
                    } else {
                        e
                    }
                })
                .collect(),
            errors_caption: errors_caption(&r),
            warnings: Vec::new(),
            sample: Vec::new(),
            own,
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
        bytes: Default::default(),
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
                    .map_err(|e| upload_error(e.status(), "Die Datei"))?;
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
    if upload.bytes.len() >= IN_BACKGROUND_FROM {
        return start(state, session, upload, false);
    }
    let (result, token) = preview_run(&state, &session, &upload, None).await?;
    answer(page(&upload.name, token, result, false, false))
}

/// The preview, and the token that confirms it if the file was accepted.
async fn preview_run(
    state: &AppState,
    session: &Session,
    upload: &Upload,
    progress: Option<zielwerk_importer::OnProgress>,
) -> Result<(Result<Report, Refused>, String), WebError> {
    let result = run(state, session, upload, false, progress).await?;
    let mut token = String::new();
    if result.is_ok() {
        let pending = PendingUpload {
            file_name: upload.name.clone(),
            mapping: upload.mapping.clone(),
            content: upload.bytes.to_vec(),
        };
        token = wait_for_confirmation(state, session, &pending).await?;
    }
    Ok((result, token))
}

/// Keeps `pending` for its confirmation and returns the token that confirms it: only in the
/// session that made the preview.
async fn wait_for_confirmation(
    state: &AppState,
    session: &Session,
    pending: &PendingUpload,
) -> Result<String, WebError> {
    let token = crate::auth::random_token();
    state
        .store
        .put_pending_upload(
            &session.token_hash,
            &token,
            pending,
            PENDING_PER_SESSION,
            PENDING_BYTES,
        )
        .await?;
    Ok(token)
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
    if pending.mapping == OWN_DATA {
        let figures: OwnFigures = serde_json::from_slice(&pending.content)
            .map_err(|e| WebError::Internal(format!("vorgemerkte eigene Daten: {e}")))?;
        let own = own_records::import_figures(
            &state.store,
            &session.principal,
            &figures,
            "Web-Upload",
            true,
        )
        .await;
        if let Some(kept) = &state.keep_records {
            let stored = own
                .as_ref()
                .ok()
                .and_then(|o| o.result.as_ref().ok())
                .and_then(|r| r.import_id.as_deref());
            kept.settle(&f.token, stored)?;
        }
        return answer(own_page(&figures, String::new(), own?, true));
    }
    let upload = Upload {
        name: pending.file_name,
        bytes: pending.content.into(),
        mapping: pending.mapping,
    };
    if upload.bytes.len() >= IN_BACKGROUND_FROM {
        return start(state, session, upload, true);
    }
    let result = run(&state, &session, &upload, true, None).await?;
    answer(page(&upload.name, String::new(), result, true, false))
}

/// The mapping a waiting preview of own figures is kept under: its content is the figures
/// ([`OwnFigures`] as JSON), never the records they were counted from.
const OWN_DATA: &str = "eigene-daten";

#[derive(Template)]
#[template(path = "import_own_form.html")]
struct OwnFormPage {
    jobcenters: Vec<(String, String)>,
    /// The installation keeps the records (`--eigene-daten-aufbewahren`).
    kept: bool,
}

/// The form for the Jobcenter's records and the Kreis's case lists.
pub async fn own_form(State(state): State<AppState>, session: Session) -> PageResult {
    zielwerk_app::values::may_import(&session.principal)?;
    let jobcenters = own_records::jobcenters(&state.store, &session.principal)
        .await?
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect();
    html(&OwnFormPage {
        jobcenters,
        kept: state.keep_records.is_some(),
    })
}

/// The result page of own figures: the import's page, with what has no value yet and what no
/// agreement defines among the notes, and the files in place of the generated file's details.
fn own_page(figures: &OwnFigures, token: String, own: OwnReport, committed: bool) -> ResultPage {
    let refused = own.result.is_err();
    let mut p = page(&figures.name, token, own.result, committed, true);
    if refused {
        return p;
    }
    p.summary.insert(
        1,
        (
            "Datenstand".to_owned(),
            figures.datenstand.format("%d.%m.%Y").to_string(),
        ),
    );
    for (name, sha) in &figures.files {
        p.summary.push((
            format!("Berechnet aus {name} (SHA-256)"),
            format!("{} …", sha.get(..12).unwrap_or_default()),
        ));
    }
    p.summary.push((
        "Gespeichert werden".to_owned(),
        if figures.kept {
            "die Werte je Monat; die Datensätze werden zur Neuberechnung aufbewahrt, getrennt von der Datenbank"
        } else {
            "nur die Werte je Monat; die Datensätze werden nach der Berechnung verworfen"
        }
        .to_owned(),
    ));
    let mut notes: Vec<Row> = figures
        .not_yet_by_span()
        .into_iter()
        .map(|(months, code, reason)| Row {
            row: String::new(),
            column: format!("{code} · {months}"),
            value: String::new(),
            message: reason,
        })
        .collect();
    notes.extend(own.undefined.iter().map(|(code, count)| Row {
        row: String::new(),
        column: code.clone(),
        value: String::new(),
        message: format!(
            "{} nicht übernommen: keine Vereinbarung definiert diese Kennzahl",
            zielwerk_domain::format::counted(*count, "Wert", "Werte")
        ),
    }));
    notes.append(&mut p.warnings);
    p.warnings = notes;
    p
}

/// A field of the form for own data, in German, with its label.
fn own_field<T>(
    value: &str,
    label: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<T, WebError> {
    if value.trim().is_empty() {
        return Err(WebError::BadRequest(format!(
            "Bitte das Feld „{label}“ ausfüllen."
        )));
    }
    parse(value).map_err(|e| WebError::BadRequest(format!("Feld „{label}“: {e}")))
}

/// Reads the records and case lists, counts them and shows what would be stored; nothing is
/// stored, and only the figures wait for the confirmation.
pub async fn own_preview(
    State(state): State<AppState>,
    session: Session,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, WebError> {
    zielwerk_app::values::may_import(&session.principal)?;
    let mut multipart = multipart.map_err(|e| upload_error(e.status(), "Das Formular"))?;
    let mut files = Vec::new();
    let mut fields: HashMap<String, String> = HashMap::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| upload_error(e.status(), "Das Formular"))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "dateien" {
            let file = field.file_name().unwrap_or("upload").to_owned();
            let bytes = field
                .bytes()
                .await
                .map_err(|e| upload_error(e.status(), "Die Datei"))?;
            if !bytes.is_empty() {
                files.push((file, bytes.to_vec()));
            }
        } else {
            fields.insert(name, field.text().await.unwrap_or_default());
        }
    }
    if files.is_empty() {
        return Err(WebError::BadRequest(
            "Bitte mindestens eine Datei auswählen (Feld „Dateien“).".into(),
        ));
    }
    let get = |k: &str| fields.get(k).map(String::as_str).unwrap_or_default();
    let first = own_field(
        get("von"),
        "Erster Monat",
        zielwerk_ingest::german::parse_month,
    )?;
    let last = own_field(
        get("bis"),
        "Letzter Monat",
        zielwerk_ingest::german::parse_month,
    )?;
    let datenstand = own_field(get("datenstand"), "Datenstand", |s| {
        zielwerk_ingest::german::parse_date(s).ok_or_else(|| {
            format!(
                "„{}“ ist kein Datum (erwartet: TT.MM.JJJJ)",
                zielwerk_ingest::german::shorten(s, 40)
            )
        })
    })?;
    let jobcenter = Some(get("jobcenter").trim().to_owned()).filter(|j| !j.is_empty());
    // With the setting to keep records, they wait apart from the database for the confirmation.
    let kept_files = state.keep_records.as_ref().map(|_| files.clone());
    let request = own_records::RecordFiles {
        files,
        first,
        last,
        datenstand,
        jobcenter,
        via: "Web-Upload",
        keep: state.keep_records.clone(),
    };
    let figures = own_records::compute(&session.principal, request).await?;
    let own = own_records::import_figures(
        &state.store,
        &session.principal,
        &figures,
        "Web-Upload",
        false,
    )
    .await?;
    let mut token = String::new();
    if own.result.is_ok() {
        let pending = PendingUpload {
            file_name: figures.name.clone(),
            mapping: OWN_DATA.to_owned(),
            content: serde_json::to_vec(&figures)
                .map_err(|e| WebError::Internal(format!("eigene Daten: {e}")))?,
        };
        token = wait_for_confirmation(&state, &session, &pending).await?;
        if let (Some(kept), Some(files)) = (&state.keep_records, &kept_files) {
            kept.stage(&token, files)?;
        }
    }
    answer(own_page(&figures, token, own, false))
}

/// Files from this size on are imported in the background, with a page that shows how far the
/// import has come (a file of a million rows takes some seconds; the browser would otherwise
/// show nothing but its spinner).
pub const IN_BACKGROUND_FROM: usize = 2 * 1024 * 1024;

/// Imports running in the background, one or more per session, by id. Kept in the server
/// process that runs them; a finished one is shown for [`KEPT`] and then forgotten.
#[derive(Debug, Default)]
pub struct Jobs {
    jobs: std::sync::Mutex<HashMap<String, Job>>,
}

/// How long a finished background import's result stays viewable.
const KEPT: Duration = Duration::from_secs(30 * 60);

#[derive(Debug)]
struct Job {
    /// The session that started it (the hash of its token): no one else sees it.
    session: String,
    name: String,
    size: u64,
    commit: bool,
    started: Instant,
    progress: Progress,
    done: Option<(Instant, Finished)>,
}

/// A finished import: its report or refusal and the confirmation token (a preview), or why it
/// failed.
type Finished = Result<(Result<Report, Refused>, String), WebError>;

impl Jobs {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Job>> {
        self.jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Starts `upload` in the background and sends the browser to its progress page.
fn start(
    state: AppState,
    session: Session,
    upload: Upload,
    commit: bool,
) -> Result<Response, WebError> {
    let id = crate::auth::random_token();
    {
        let mut jobs = state.imports.lock();
        jobs.retain(|_, j| j.done.as_ref().is_none_or(|(at, _)| at.elapsed() < KEPT));
        let running = jobs
            .values()
            .filter(|j| j.session == session.token_hash && j.done.is_none())
            .count();
        if running >= PENDING_PER_SESSION {
            return Err(WebError::BadRequest(format!(
                "Es laufen schon {running} Importe dieser Sitzung; bitte warten Sie, bis einer fertig ist."
            )));
        }
        jobs.insert(
            id.clone(),
            Job {
                session: session.token_hash.clone(),
                name: upload.name.clone(),
                size: upload.bytes.len() as u64,
                commit,
                started: Instant::now(),
                progress: Progress {
                    phase: Phase::Reading,
                    bytes: 0,
                    written: 0,
                },
                done: None,
            },
        );
    }
    let jobs = state.imports.clone();
    let watched = id.clone();
    let progress: zielwerk_importer::OnProgress = Box::new(move |p| {
        if let Some(job) = jobs.lock().get_mut(&watched) {
            job.progress = p;
        }
    });
    let task_id = id.clone();
    tokio::spawn(async move {
        let result = if commit {
            run(&state, &session, &upload, true, Some(progress))
                .await
                .map(|r| (r, String::new()))
        } else {
            preview_run(&state, &session, &upload, Some(progress)).await
        };
        if let Some(job) = state.imports.lock().get_mut(&task_id) {
            job.done = Some((Instant::now(), result));
        }
    });
    Ok(axum::response::Redirect::to(&crate::paths::ImportRun::url(id)).into_response())
}

#[derive(Template)]
#[template(path = "import_progress.html")]
struct ProgressPage {
    title: String,
    name: String,
    committed: bool,
    phase: &'static str,
    written: String,
    rate: String,
    percent: u64,
    bytes: u64,
    size: u64,
    elapsed: String,
}

/// A background import: how far it has come (the page reloads itself every second), then its
/// result, as the page of a small file shows it.
pub async fn progress(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    zielwerk_app::values::may_import(&session.principal)?;
    let (page_now, finished) = {
        let jobs = state.imports.lock();
        let job = jobs
            .get(&id)
            .filter(|j| j.session == session.token_hash)
            .ok_or_else(|| {
                WebError::NotFound(
                    "Diesen Import gibt es nicht (mehr); Ergebnisse bleiben 30 Minuten abrufbar."
                        .into(),
                )
            })?;
        match &job.done {
            Some((_, Ok((result, token)))) => (
                None,
                Some(Ok(page(
                    &job.name,
                    token.clone(),
                    result.clone(),
                    job.commit,
                    false,
                ))),
            ),
            Some((_, Err(e))) => (None, Some(Err(e.clone()))),
            None => {
                let p = job.progress;
                let seconds = job.started.elapsed().as_secs();
                let per_second = p.written as f64 / job.started.elapsed().as_secs_f64().max(1e-3);
                (
                    Some(ProgressPage {
                        title: if job.commit {
                            "Import läuft".into()
                        } else {
                            "Vorschau wird berechnet".into()
                        },
                        name: job.name.clone(),
                        committed: job.commit,
                        phase: match p.phase {
                            Phase::Reading => "Datei wird gelesen und geprüft",
                            Phase::Committing if job.commit => "Wird gespeichert",
                            Phase::Committing | Phase::Done => "Ergebnis wird zusammengestellt",
                        },
                        written: format!(
                            "{} {}",
                            number(p.written as f64, 0),
                            if p.written == 1 { "Wert" } else { "Werte" }
                        ),
                        rate: number(per_second, 0),
                        percent: p.bytes.min(job.size) * 100 / job.size.max(1),
                        bytes: p.bytes.min(job.size),
                        size: job.size,
                        elapsed: match seconds {
                            0 | 1 => "einer Sekunde".to_owned(),
                            s if s < 120 => format!("{s} Sekunden"),
                            s => format!("{} Minuten", s / 60),
                        },
                    }),
                    None,
                )
            }
        }
    };
    match (page_now, finished) {
        (Some(p), _) => Ok(html(&p)?),
        (None, Some(Ok(result))) => answer(result),
        (None, Some(Err(e))) => Err(e),
        (None, None) => Err(WebError::Internal("Import ohne Stand".into())),
    }
}
