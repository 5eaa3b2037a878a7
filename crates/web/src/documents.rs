//! Building documents from the store: load the agreement, its values and the Vorlage header,
//! assess, build the report model, write PDF, DOCX or XLSX. Shared by the web routes and the
//! command line (`zielwerk report …`). The CPU work runs on the blocking pool.

use chrono::NaiveDate;
use zielwerk_domain::{Agreement, AgreementKey, CurrentValue, Key, YearMonth};
use zielwerk_engine::{assess_agreement, default_as_of};
use zielwerk_report::model::{self, Audience, Monitoring, Vorlage};
use zielwerk_store::{FileRole, NewFile, Store, StoredVorlage};
use zielwerk_typeset::{Document, Template};

use crate::error::WebError;

pub const PDF: &str = "application/pdf";
pub const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// An agreement with its current values.
pub struct Loaded {
    pub agreement: Agreement,
    pub values: Vec<CurrentValue>,
}

pub async fn load(store: &Store, key: &AgreementKey) -> Result<Loaded, WebError> {
    let agreement = store
        .agreement(key)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("Die Vereinbarung „{key}“ gibt es nicht.")))?;
    let values = store
        .current_values(
            &agreement.jobcenter.ba_id,
            &agreement.stored_indicator_codes(),
        )
        .await?;
    Ok(Loaded { agreement, values })
}

/// A stored Vorlage and its agreement's data.
pub async fn load_vorlage(store: &Store, id: &str) -> Result<(StoredVorlage, Loaded), WebError> {
    let v = store
        .vorlage(id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("Die Vorlage „{id}“ gibt es nicht.")))?;
    let key: AgreementKey = v
        .agreement_id
        .parse()
        .map_err(|_| WebError::Internal(format!("Vorlage {id}: ungültige Vereinbarung")))?;
    let loaded = load(store, &key).await?;
    Ok((v, loaded))
}

fn reporting_month(l: &Loaded, wanted: Option<YearMonth>) -> YearMonth {
    wanted.unwrap_or_else(|| {
        default_as_of(&l.agreement, l.values.iter().map(|v| v.observation.month))
    })
}

fn observations(l: &Loaded) -> Vec<zielwerk_domain::Observation> {
    l.values.iter().map(|v| v.observation.clone()).collect()
}

pub fn vorlage_model(v: &StoredVorlage, l: &Loaded) -> Vorlage {
    let obs = observations(l);
    let state = assess_agreement(&l.agreement, &obs, reporting_month(l, v.header.as_of));
    model::vorlage(&v.header, &state, &l.values)
}

pub fn monitoring_model(
    l: &Loaded,
    as_of: Option<YearMonth>,
    audience: Audience,
    today: NaiveDate,
) -> Monitoring {
    let obs = observations(l);
    let state = assess_agreement(&l.agreement, &obs, reporting_month(l, as_of));
    model::monitoring(&state, &l.values, audience, today)
}

pub fn figures_xlsx(
    l: &Loaded,
    as_of: Option<YearMonth>,
    goal: Option<&Key>,
    audience: Audience,
) -> Result<Vec<u8>, WebError> {
    let obs = observations(l);
    let state = assess_agreement(&l.agreement, &obs, reporting_month(l, as_of));
    zielwerk_report::xlsx::figures(&state, &l.values, goal, audience).map_err(|e| match e {
        zielwerk_report::xlsx::XlsxExportError::UnknownGoal(_) => WebError::NotFound(e.to_string()),
        e => WebError::Internal(e.to_string()),
    })
}

/// The whole Vorlage (`part` = `vorlage`) or one Anlage (`anlage-1`, `anlage-2`) as PDF.
pub fn vorlage_pdf(v: &Vorlage, part: &str, today: NaiveDate) -> Result<Vec<u8>, WebError> {
    let mut data = serde_json::to_value(v).map_err(|e| WebError::Internal(e.to_string()))?;
    data["part"] = part.into();
    let doc = Document {
        template: Template::Vorlage,
        data,
        charts: v
            .charts
            .iter()
            .map(|c| (c.name.as_str(), c.svg.as_str()))
            .collect(),
        today,
    };
    zielwerk_typeset::pdf(&doc).map_err(|e| WebError::Internal(e.to_string()))
}

pub fn vorlage_docx(v: &Vorlage) -> Result<Vec<u8>, WebError> {
    zielwerk_report::docx::vorlage(v).map_err(|e| WebError::Internal(e.to_string()))
}

pub fn monitoring_pdf(m: &Monitoring, today: NaiveDate) -> Result<Vec<u8>, WebError> {
    let doc = Document {
        template: Template::Monitoring,
        data: serde_json::to_value(m).map_err(|e| WebError::Internal(e.to_string()))?,
        charts: Vec::new(),
        today,
    };
    zielwerk_typeset::pdf(&doc).map_err(|e| WebError::Internal(e.to_string()))
}

/// Safe file-name stem of a Vorlage number: "50/058/2022" → "vorlage-50-058-2022".
pub fn file_stem(number: &str) -> String {
    let cleaned: String = number
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("vorlage-{}", cleaned.trim_matches('-'))
}

/// Refuses a Vorlage whose header is incomplete, naming every missing or wrong field.
pub fn check_complete(v: &StoredVorlage, l: &Loaded) -> Result<(), WebError> {
    let problems = v.header.check(&l.agreement);
    if problems.is_empty() {
        return Ok(());
    }
    Err(WebError::BadRequest(format!(
        "Die Vorlage {} ist unvollständig: {}",
        v.header.number,
        problems
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    )))
}

/// Publishes a complete Vorlage: sets its documents from the current data and freezes them
/// with the header. Returns the files as published.
pub async fn publish(store: &Store, id: &str, today: NaiveDate) -> Result<Vec<NewFile>, WebError> {
    let (v, loaded) = load_vorlage(store, id).await?;
    check_complete(&v, &loaded)?;
    let revision = v.revision;
    let files =
        tokio::task::spawn_blocking(move || publication_files(&vorlage_model(&v, &loaded), today))
            .await
            .map_err(|e| WebError::Internal(format!("Berechnung abgebrochen: {e}")))??;
    store.publish_vorlage(id, revision, &files).await?;
    Ok(files)
}

/// Every file published with a Vorlage: the PDF (main file), the DOCX (derivative), and each
/// Anlage as its own PDF.
pub fn publication_files(v: &Vorlage, today: NaiveDate) -> Result<Vec<NewFile>, WebError> {
    let stem = file_stem(&v.number);
    let mut files = vec![
        NewFile {
            name: format!("{stem}.pdf"),
            role: FileRole::Main,
            title: format!("Vorlage {}: {}", v.number, v.title),
            mime_type: PDF.into(),
            content: vorlage_pdf(v, "vorlage", today)?,
        },
        NewFile {
            name: format!("{stem}.docx"),
            role: FileRole::Derivative,
            title: format!("Vorlage {}: {} (Word)", v.number, v.title),
            mime_type: DOCX.into(),
            content: vorlage_docx(v)?,
        },
    ];
    for a in &v.anlagen {
        files.push(NewFile {
            name: format!("{stem}-anlage-{}.pdf", a.number),
            role: FileRole::Anlage,
            title: format!("Anlage {}: {}", a.number, a.title),
            mime_type: PDF.into(),
            content: vorlage_pdf(v, &format!("anlage-{}", a.number), today)?,
        });
    }
    Ok(files)
}
