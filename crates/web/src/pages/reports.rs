//! Reports: the list of an agreement's Vorlagen and report downloads, the Vorlage editor, the
//! documents themselves (PDF, DOCX, XLSX, monitoring report as HTML and PDF), and publication.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use zielwerk_domain::{
    Action, Consultation, DecisionKind, Impact, Impacts, Key, VorlageHeader, YearMonth,
};
use zielwerk_report::model::{Audience, Monitoring};
use zielwerk_report::period::Period;

use super::{Head, PageResult, agreement_for, blocking, head, html, today};
use crate::AppState;
use crate::auth::Session;
use crate::error::WebError;
use crate::paths;
use zielwerk_app::documents::{self, DOCX, PDF, XLSX};

pub(crate) fn download(mime: &'static str, name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

#[derive(Deserialize, Default)]
pub struct ReportQuery {
    stand: Option<String>,
    ziel: Option<String>,
    /// `1`: the public version (suppression applied).
    oeffentlich: Option<String>,
    /// `1`: the final version, refused while a goal verfehlt lacks an explanation.
    endgueltig: Option<String>,
    /// The quarter (1 to 4) of a quarterly status report.
    quartal: Option<String>,
}

impl ReportQuery {
    fn month(&self) -> Result<Option<YearMonth>, WebError> {
        self.stand
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse()
                    .map_err(|e| WebError::BadRequest(format!("Parameter „stand“: {e}")))
            })
            .transpose()
    }

    fn quarter(&self) -> Result<u32, WebError> {
        match self.quartal.as_deref().map(str::trim) {
            Some(q @ ("1" | "2" | "3" | "4")) => Ok(q.parse().unwrap_or(1)),
            other => Err(WebError::BadRequest(format!(
                "Parameter „quartal“: {} (erwartet 1, 2, 3 oder 4)",
                match other {
                    None | Some("") => "fehlt".to_owned(),
                    Some(q) => format!("„{q}“ ist kein Quartal"),
                }
            ))),
        }
    }

    fn final_version(&self) -> bool {
        matches!(self.endgueltig.as_deref(), Some("1" | "ja" | "true"))
    }

    fn audience(&self) -> Audience {
        match self.oeffentlich.as_deref() {
            Some("1") | Some("ja") | Some("true") => Audience::Public,
            _ => Audience::Internal,
        }
    }
}

// ----- Report list --------------------------------------------------------------------------

struct VorlageItem {
    url: String,
    number: String,
    title: String,
    date: String,
    state: String,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    head: Head,
    vorlagen: Vec<VorlageItem>,
    months: Vec<(String, String)>,
    goals: Vec<(String, String)>,
    /// Quarter number, name, and whether it is the one of the latest values.
    quarters: Vec<(u32, String, bool)>,
}

/// A Vorlage for a user who may do `action` with its Jobcenter's data, or 404.
async fn vorlage_for(
    state: &AppState,
    session: &Session,
    vid: &str,
    action: Action,
) -> Result<zielwerk_store::StoredVorlage, WebError> {
    Ok(zielwerk_app::vorlagen::vorlage_for(&state.store, &session.principal, vid, action).await?)
}

pub async fn list(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
) -> PageResult {
    let (st, session, id) = (&state, &session, &id);
    super::cached(&state, &uri, &headers, |version| async move {
        Ok((list_page(st, session, id, version).await?, true))
    })
    .await
}

async fn list_page(
    state: &AppState,
    session: &Session,
    id: &str,
    version: i64,
) -> Result<ReportsPage, WebError> {
    let k = agreement_for(session, id, Action::ReadInternal)?;
    // The agreement and its values as last assessed (sources, latest quarter): no loading.
    let read = state
        .assessments
        .read_at(&k, version, state.time_limits.assessment)
        .await?;
    let (agreement, values) = (
        &read.snapshot.loaded.agreement,
        &read.snapshot.loaded.values,
    );
    let vorlagen = state
        .store
        .vorlagen(&k)
        .await?
        .into_iter()
        .map(|v| VorlageItem {
            url: paths::Vorlage::url(&v.id),
            number: v.header.number.clone(),
            title: v.header.title.clone(),
            date: zielwerk_report::present::date_de(v.header.date),
            state: match &v.published_at {
                Some(at) => format!(
                    "veröffentlicht am {}",
                    zielwerk_report::present::time_de(at, "%d.%m.%Y")
                ),
                None => "Entwurf".into(),
            },
        })
        .collect();
    let (jan, dec) =
        YearMonth::year_bounds(agreement.year).map_err(|e| WebError::Internal(e.to_string()))?;
    let latest =
        zielwerk_engine::default_as_of(agreement, values.iter().map(|v| v.observation.month));
    let quarters = (1..=4)
        .map(|q| {
            (
                q,
                format!("{q}. Quartal {}", agreement.year),
                latest.year() == agreement.year && latest.month().div_ceil(3) == q,
            )
        })
        .collect();
    Ok(ReportsPage {
        head: head(agreement, values),
        quarters,
        vorlagen,
        months: jan
            .through(dec)
            .map(|m| (m.to_string(), m.german_long()))
            .collect(),
        goals: agreement
            .goals
            .iter()
            .map(|g| (g.key.to_string(), g.title.clone()))
            .collect(),
    })
}

pub async fn create(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> PageResult {
    let vid = zielwerk_app::vorlagen::create_draft(&state.store, &session.principal, &id, today())
        .await?;
    Ok(Redirect::to(&paths::Vorlage::url(&vid)).into_response())
}

// ----- Monitoring report and Excel ------------------------------------------------------------

#[derive(Template)]
#[template(path = "monitoring.html")]
struct MonitoringPage {
    head: Head,
    m: Monitoring,
    pdf_url: String,
}

pub async fn monitoring(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Query(q): Query<ReportQuery>,
) -> PageResult {
    let k = agreement_for(&session, &id, Action::ReadInternal)?;
    let loaded = documents::load(&state.store, &k).await?;
    let actions = documents::open_actions(&state.store, &k).await?;
    let (month, audience) = (q.month()?, q.audience());
    let h = head(&loaded.agreement, &loaded.values);
    let m = blocking(move || {
        Ok::<_, WebError>(documents::monitoring_model(
            &loaded,
            &actions,
            month,
            audience,
            today(),
        ))
    })
    .await?;
    let pdf_url = format!(
        "{}?stand={}&oeffentlich={}",
        paths::MonitoringPdf::url(&id),
        q.stand.clone().unwrap_or_default(),
        if audience == Audience::Public {
            "1"
        } else {
            "0"
        }
    );
    html(&MonitoringPage {
        head: h,
        m,
        pdf_url,
    })
}

pub async fn monitoring_pdf(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Query(q): Query<ReportQuery>,
) -> PageResult {
    let k = agreement_for(&session, &id, Action::ReadInternal)?;
    let loaded = documents::load(&state.store, &k).await?;
    let actions = documents::open_actions(&state.store, &k).await?;
    let (month, audience, final_version) = (q.month()?, q.audience(), q.final_version());
    let bytes = blocking(move || {
        let m = documents::monitoring_model(&loaded, &actions, month, audience, today());
        if final_version {
            documents::check_final(&m)?;
        }
        documents::monitoring_pdf(&m, today())
    })
    .await?;
    Ok(download(PDF, &format!("monitoring-{id}.pdf"), bytes))
}

/// The quarterly status report (`bericht` = `quartalsbericht`, with `quartal`) or the year-end
/// review (`jahresbericht`), as PDF or DOCX (`format`).
pub async fn period_report(
    State(state): State<AppState>,
    session: Session,
    Path((id, file)): Path<(String, String)>,
    Query(q): Query<ReportQuery>,
) -> PageResult {
    let k = agreement_for(&session, &id, Action::ReadInternal)?;
    let (stem, format) = file
        .rsplit_once('.')
        .ok_or_else(|| WebError::NotFound(format!("Den Bericht „{file}“ gibt es nicht.")))?;
    let period = match stem {
        "quartalsbericht" => Period::Quarter(q.quarter()?),
        "jahresbericht" => Period::Year,
        _ => {
            return Err(WebError::NotFound(format!(
                "Den Bericht „{file}“ gibt es nicht."
            )));
        }
    };
    if format != "pdf" && format != "docx" {
        return Err(WebError::NotFound(format!(
            "Den Bericht „{file}“ gibt es nicht; möglich sind .pdf und .docx."
        )));
    }
    let loaded = documents::load(&state.store, &k).await?;
    let actions = documents::all_actions(&state.store, &k).await?;
    let audience = q.audience();
    let pdf = format == "pdf";
    let name = match period {
        Period::Quarter(n) => format!("quartalsbericht-{n}-{id}.{format}"),
        Period::Year => format!("jahresbericht-{id}.{format}"),
    };
    let bytes = blocking(move || {
        let r = documents::period_model(&loaded, &actions, period, audience, today());
        if pdf {
            documents::period_pdf(&r, today())
        } else {
            documents::period_docx(&r)
        }
    })
    .await?;
    Ok(download(if pdf { PDF } else { DOCX }, &name, bytes))
}

pub async fn figures_xlsx(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Query(q): Query<ReportQuery>,
) -> PageResult {
    let k = agreement_for(&session, &id, Action::ReadInternal)?;
    let loaded = documents::load(&state.store, &k).await?;
    let (month, audience) = (q.month()?, q.audience());
    let goal: Option<Key> = match q.ziel.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(k) => Some(
            k.parse()
                .map_err(|_| WebError::NotFound(format!("Das Ziel „{k}“ gibt es nicht.")))?,
        ),
    };
    let name = match &goal {
        Some(g) => format!("werte-{id}-{g}.xlsx"),
        None => format!("werte-{id}.xlsx"),
    };
    let bytes =
        blocking(move || documents::figures_xlsx(&loaded, month, goal.as_ref(), audience)).await?;
    Ok(download(XLSX, &name, bytes))
}

// ----- Vorlage editor -------------------------------------------------------------------------

struct AreaNote {
    key: String,
    title: String,
    text: String,
}

struct ConsultationInput {
    committee: String,
    date: String,
    decision: &'static str,
}

#[derive(Template)]
#[template(path = "vorlage.html")]
struct VorlagePage {
    head: Head,
    id: String,
    h: VorlageHeader,
    date: String,
    as_of: String,
    revision: i64,
    published: Option<String>,
    consultations: Vec<ConsultationInput>,
    impacts: Vec<(&'static str, &'static str, &'static str)>,
    impact_options: Vec<(&'static str, &'static str)>,
    decision_options: Vec<(&'static str, &'static str)>,
    notes: Vec<AreaNote>,
    months: Vec<(String, String)>,
    problems: Vec<String>,
    message: Option<String>,
    files: Vec<(String, String, String, String)>,
}

const IMPACT_FIELDS: [&str; 5] = [
    "financial",
    "personnel",
    "organisational",
    "key_figures",
    "climate",
];
const CONSULTATION_ROWS: usize = 3;

async fn vorlage_page(
    state: &AppState,
    vid: &str,
    edited: Option<(VorlageHeader, i64)>,
    message: Option<String>,
) -> Result<VorlagePage, WebError> {
    let (v, loaded) = documents::load_vorlage(&state.store, vid).await?;
    let (h, revision) = edited.unwrap_or((v.header.clone(), v.revision));
    let agreement = &loaded.agreement;
    let mut consultations: Vec<ConsultationInput> = h
        .consultations
        .iter()
        .map(|c| ConsultationInput {
            committee: c.committee.clone(),
            date: c.date.to_string(),
            decision: c.decision.as_str(),
        })
        .collect();
    while consultations.len() < CONSULTATION_ROWS {
        consultations.push(ConsultationInput {
            committee: String::new(),
            date: String::new(),
            decision: DecisionKind::Kenntnisnahme.as_str(),
        });
    }
    let impacts = h
        .impacts
        .rows()
        .iter()
        .zip(IMPACT_FIELDS)
        .map(|((label, answer), field)| (field, *label, answer.as_str()))
        .collect();
    let notes = agreement
        .areas
        .iter()
        .map(|a| AreaNote {
            key: a.key.to_string(),
            title: a.title.clone(),
            text: h
                .area_notes
                .get(a.key.as_str())
                .cloned()
                .unwrap_or_default(),
        })
        .collect();
    let (jan, dec) =
        YearMonth::year_bounds(agreement.year).map_err(|e| WebError::Internal(e.to_string()))?;
    let files = state
        .store
        .vorlage_files(vid)
        .await?
        .into_iter()
        .map(|f| {
            (
                format!("/oparl/v1/files/{}/{}/download", f.vorlage_id, f.name),
                f.title,
                zielwerk_domain::format::bytes(f.size as u64),
                f.sha512,
            )
        })
        .collect();
    Ok(VorlagePage {
        head: head(agreement, &loaded.values),
        id: v.id.clone(),
        date: h.date.to_string(),
        as_of: h.as_of.map(|m| m.to_string()).unwrap_or_default(),
        problems: h.check(agreement).iter().map(|p| p.to_string()).collect(),
        h,
        revision,
        published: v
            .published_at
            .as_deref()
            .map(|at| zielwerk_report::present::time_de(at, "%d.%m.%Y um %H:%M Uhr")),
        consultations,
        impacts,
        impact_options: Impact::ALL
            .iter()
            .map(|i| (i.as_str(), i.label_de()))
            .collect(),
        decision_options: DecisionKind::ALL
            .iter()
            .map(|d| (d.as_str(), d.label_de()))
            .collect(),
        notes,
        months: jan
            .through(dec)
            .map(|m| (m.to_string(), m.german_long()))
            .collect(),
        message,
        files,
    })
}

pub async fn edit(
    State(state): State<AppState>,
    session: Session,
    Path(vid): Path<String>,
) -> PageResult {
    vorlage_for(&state, &session, &vid, Action::ReadInternal).await?;
    html(&vorlage_page(&state, &vid, None, None).await?)
}

/// Reads the editor form into a header. Every problem is collected with its field name.
fn parse_form(fields: &[(String, String)]) -> Result<(VorlageHeader, i64), Vec<String>> {
    let get = |name: &str| super::field(fields, name).to_owned();
    let mut problems = Vec::new();
    let date = |name: &str, label: &str, problems: &mut Vec<String>| {
        super::date_field(label, &get(name))
            .map_err(|e| problems.push(e))
            .ok()
    };
    let impact = |field: &str, problems: &mut Vec<String>| {
        let raw = get(&format!("impact_{field}"));
        Impact::ALL
            .into_iter()
            .find(|i| i.as_str() == raw)
            .unwrap_or_else(|| {
                problems.push(format!(
                    "Feld „Auswirkung {field}“: bitte ja, nein oder noch nicht zu übersehen wählen"
                ));
                Impact::NochNichtAbsehbar
            })
    };
    let vorlage_date = date("date", "Datum", &mut problems);
    let mut consultations = Vec::new();
    for i in 1..=CONSULTATION_ROWS {
        let committee = get(&format!("committee_{i}"));
        if committee.is_empty() {
            continue;
        }
        let d = date(
            &format!("consultation_date_{i}"),
            &format!("Beratungsfolge Zeile {i}, Termin"),
            &mut problems,
        );
        let decision = DecisionKind::ALL
            .into_iter()
            .find(|k| k.as_str() == get(&format!("decision_{i}")))
            .unwrap_or(DecisionKind::Kenntnisnahme);
        if let Some(date) = d {
            consultations.push(Consultation {
                committee,
                date,
                decision,
            });
        }
    }
    let impacts = Impacts {
        financial: impact("financial", &mut problems),
        personnel: impact("personnel", &mut problems),
        organisational: impact("organisational", &mut problems),
        key_figures: impact("key_figures", &mut problems),
        climate: impact("climate", &mut problems),
    };
    let as_of = match get("as_of").as_str() {
        "" => None,
        raw => raw
            .parse::<YearMonth>()
            .map_err(|e| problems.push(format!("Feld „Berichtsmonat“: {e}")))
            .ok(),
    };
    let revision = get("revision").parse::<i64>().unwrap_or_else(|_| {
        problems.push("Die Bearbeitungsnummer fehlt; laden Sie die Seite neu.".into());
        0
    });
    let area_notes = fields
        .iter()
        .filter_map(|(k, v)| {
            let area = k.strip_prefix("note_")?;
            let text = v.trim();
            (!text.is_empty()).then(|| (area.to_owned(), text.replace("\r\n", "\n")))
        })
        .collect();
    let Some(date) = vorlage_date else {
        return Err(problems);
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok((
        VorlageHeader {
            number: get("number"),
            public: get("public") == "1",
            fachbereich: get("fachbereich"),
            bearbeiter: get("bearbeiter"),
            date,
            aktenzeichen: get("aktenzeichen"),
            title: get("title"),
            consultations,
            impacts,
            resolution: get("resolution"),
            occasion: get("occasion").replace("\r\n", "\n"),
            area_notes,
            as_of,
        },
        revision,
    ))
}

pub async fn save(
    State(state): State<AppState>,
    session: Session,
    Path(vid): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    vorlage_for(&state, &session, &vid, Action::PrepareVorlage).await?;
    let (header, revision) = match parse_form(&fields) {
        Ok(x) => x,
        Err(problems) => {
            let mut page = vorlage_page(&state, &vid, None, None).await?;
            if page.published.is_some() {
                return Err(zielwerk_store::StoreError::Published(page.h.number).into());
            }
            page.problems = problems;
            page.message = Some("Nicht gespeichert: bitte die markierten Angaben prüfen.".into());
            return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, html(&page)?).into_response());
        }
    };
    match zielwerk_app::vorlagen::save(&state.store, &session.principal, &vid, &header, revision)
        .await
    {
        Ok(_) => Ok(
            Redirect::to(&format!("{}?gespeichert=1", paths::Vorlage::url(&vid))).into_response(),
        ),
        Err(zielwerk_app::AppError::Conflict {
            message,
            kind: zielwerk_app::ConflictKind::Stale,
        }) => {
            // Keep what the user typed on the page, with the conflict explained; nothing is lost.
            let page = vorlage_page(&state, &vid, Some((header, revision)), Some(message)).await?;
            Ok((axum::http::StatusCode::CONFLICT, html(&page)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn publish(
    State(state): State<AppState>,
    session: Session,
    Path(vid): Path<String>,
) -> PageResult {
    zielwerk_app::vorlagen::publish(&state.store, &session.principal, &vid, today()).await?;
    Ok(Redirect::to(&paths::Vorlage::url(&vid)).into_response())
}

/// The live documents of a Vorlage (`vorlage.pdf`, `vorlage.docx`, `anlage-1.pdf`, …), built
/// from the current data. Published files are served frozen through OParl instead.
pub async fn document(
    State(state): State<AppState>,
    session: Session,
    Path((vid, file)): Path<(String, String)>,
) -> PageResult {
    vorlage_for(&state, &session, &vid, Action::ReadInternal).await?;
    let (v, loaded) = documents::load_vorlage(&state.store, &vid).await?;
    let stem = documents::file_stem(&v.header.number);
    let (mime, part): (&'static str, Option<String>) = match file.as_str() {
        "vorlage.pdf" => (PDF, Some("vorlage".into())),
        "vorlage.docx" => (DOCX, None),
        f => match f
            .strip_prefix("anlage-")
            .and_then(|r| r.strip_suffix(".pdf"))
            .and_then(|n| n.parse::<u32>().ok())
        {
            Some(n @ 1..=2) => (PDF, Some(format!("anlage-{n}"))),
            _ => {
                return Err(WebError::NotFound(format!(
                    "Das Dokument „{f}“ gibt es nicht."
                )));
            }
        },
    };
    let name = match &part {
        Some(p) if p == "vorlage" => format!("{stem}.pdf"),
        Some(p) => format!("{stem}-{p}.pdf"),
        None => format!("{stem}.docx"),
    };
    let bytes = blocking(move || {
        let model = documents::vorlage_model(&v, &loaded);
        match part {
            Some(p) => documents::vorlage_pdf(&model, &p, today()),
            None => documents::vorlage_docx(&model),
        }
    })
    .await?;
    Ok(download(mime, &name, bytes))
}
