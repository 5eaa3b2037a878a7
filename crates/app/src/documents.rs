//! Building documents from the store: load the agreement, its values and the Vorlage header,
//! assess, build the report model, write PDF, DOCX or XLSX. Shared by the web routes and the
//! command line (`zielwerk report …`). The CPU work runs on the blocking pool.
//! (Moved here from the web crate: the first part of the application core.)

use chrono::NaiveDate;
use std::collections::BTreeMap;
use zielwerk_domain::{
    ActionItem, Agreement, AgreementKey, CurrentValue, IndicatorCode, Key, ValueComment, YearMonth,
};
use zielwerk_engine::{assess_agreement, default_as_of};
use zielwerk_report::model::{self, Audience, Monitoring, Vorlage};
use zielwerk_report::period::{Period, PeriodReport};

use zielwerk_domain::{ActionStatus, MeetingHeader};
use zielwerk_engine::agenda::Planned;
use zielwerk_report::minutes::Minutes;
use zielwerk_report::present::Provenance;
use zielwerk_store::{
    ActionFilter, ActionUpdate, AgendaKind, FileRole, NewAgendaItem, NewFile, Store, StoredAction,
    StoredAgendaItem, StoredDecision, StoredMeeting, StoredVorlage,
};
use zielwerk_typeset::{Document, Template};

use crate::AppError;

pub const PDF: &str = "application/pdf";
pub const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// An agreement with its current values and the comments on them.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub agreement: Agreement,
    pub values: Vec<CurrentValue>,
    pub comments: Vec<ValueComment>,
    /// Identities the published values violate (`docs/import-mapping.md`), shown beside them.
    pub warnings: Vec<zielwerk_store::ValueWarning>,
    /// Where an indicator names a published statistic: its Kreis among Land, Bund and group.
    pub benchmarks: std::collections::BTreeMap<IndicatorCode, crate::regions::Benchmark>,
}

impl Loaded {
    /// The comparisons as documents print them.
    pub fn comparison_texts(&self) -> zielwerk_report::present::Comparisons {
        self.benchmarks
            .iter()
            .map(|(code, b)| (code.clone(), b.text()))
            .collect()
    }
}

pub async fn load(store: &Store, key: &AgreementKey) -> Result<Loaded, AppError> {
    let agreement = store
        .agreement(key)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Die Vereinbarung „{key}“ gibt es nicht.")))?;
    let values = store
        .current_values(
            &agreement.jobcenter.ba_id,
            &agreement.stored_indicator_codes(),
        )
        .await?;
    let codes: Vec<&IndicatorCode> = agreement.indicators.iter().map(|i| &i.code).collect();
    let comments = store
        .comments(&agreement.jobcenter.ba_id, &codes)
        .await?
        .into_iter()
        .map(|c| c.comment)
        .collect();
    let warnings = store
        .value_warnings(
            &agreement.jobcenter.ba_id.clone().into(),
            &agreement.stored_indicator_codes(),
        )
        .await?;
    let benchmarks = crate::regions::benchmarks(store, &agreement).await?;
    Ok(Loaded {
        agreement,
        values,
        comments,
        warnings,
        benchmarks,
    })
}

/// A stored Vorlage and its agreement's data.
pub async fn load_vorlage(store: &Store, id: &str) -> Result<(StoredVorlage, Loaded), AppError> {
    let v = store
        .vorlage(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Die Vorlage „{id}“ gibt es nicht.")))?;
    let loaded = load(store, &v.agreement).await?;
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
    model::vorlage(
        &v.header,
        &state,
        &l.values,
        &l.comments,
        &l.comparison_texts(),
    )
}

/// The open action items of an agreement, for the monitoring report.
pub async fn open_actions(store: &Store, key: &AgreementKey) -> Result<Vec<ActionItem>, AppError> {
    actions(
        store,
        key,
        vec![ActionStatus::Open, ActionStatus::InProgress],
    )
    .await
}

/// Every action item of an agreement, for the reports of a period.
pub async fn all_actions(store: &Store, key: &AgreementKey) -> Result<Vec<ActionItem>, AppError> {
    actions(store, key, Vec::new()).await
}

/// The action items of an agreement with one of `statuses` (every one when empty).
async fn actions(
    store: &Store,
    key: &AgreementKey,
    statuses: Vec<ActionStatus>,
) -> Result<Vec<ActionItem>, AppError> {
    let filter = ActionFilter {
        agreement: Some(key.clone()),
        statuses,
        ..Default::default()
    };
    Ok(store
        .actions(&key.jobcenter, &filter)
        .await?
        .into_iter()
        .map(|a| a.item)
        .collect())
}

pub fn monitoring_model(
    l: &Loaded,
    actions: &[ActionItem],
    as_of: Option<YearMonth>,
    audience: Audience,
    today: NaiveDate,
) -> Monitoring {
    let obs = observations(l);
    let state = assess_agreement(&l.agreement, &obs, reporting_month(l, as_of));
    model::monitoring(
        &state,
        &l.values,
        &l.comments,
        actions,
        audience,
        today,
        &l.comparison_texts(),
    )
}

/// The quarterly status report or the year-end review: the agreement assessed at each quarter
/// end of the period.
pub fn period_model(
    l: &Loaded,
    actions: &[ActionItem],
    period: Period,
    audience: Audience,
    today: NaiveDate,
) -> PeriodReport {
    let obs = observations(l);
    let states: Vec<_> = period
        .columns(l.agreement.year)
        .into_iter()
        .map(|m| assess_agreement(&l.agreement, &obs, m))
        .collect();
    zielwerk_report::period::period_report(
        period,
        &states,
        &l.values,
        &l.comments,
        actions,
        audience,
        today,
    )
}

pub fn period_pdf(m: &PeriodReport, today: NaiveDate) -> Result<Vec<u8>, AppError> {
    pdf_without_charts(Template::Period, m, today)
}

pub fn period_docx(r: &PeriodReport) -> Result<Vec<u8>, AppError> {
    zielwerk_report::docx::period(r).map_err(|e| AppError::Internal(e.to_string()))
}

/// Refuses the final version of a monitoring report while a goal verfehlt has no explanation.
pub fn check_final(m: &Monitoring) -> Result<(), AppError> {
    if m.missing_explanations.is_empty() {
        return Ok(());
    }
    Err(AppError::invalid(format!(
        "Der Monitoringbericht {} kann noch nicht endgültig werden: Für diese verfehlten Ziele fehlt eine Erläuterung zum Wert: {}. Erfassen Sie auf der Zielseite eine Anmerkung zum Monatswert.",
        m.as_of,
        m.missing_explanations.join("; ")
    )))
}

pub fn figures_xlsx(
    l: &Loaded,
    as_of: Option<YearMonth>,
    goal: Option<&Key>,
    audience: Audience,
) -> Result<Vec<u8>, AppError> {
    let obs = observations(l);
    let state = assess_agreement(&l.agreement, &obs, reporting_month(l, as_of));
    zielwerk_report::xlsx::figures(&state, &l.values, goal, audience).map_err(|e| match e {
        zielwerk_report::xlsx::XlsxExportError::UnknownGoal(_) => AppError::NotFound(e.to_string()),
        e => AppError::Internal(e.to_string()),
    })
}

/// The whole Vorlage (`part` = `vorlage`) or one Anlage (`anlage-1`, `anlage-2`) as PDF.
pub fn vorlage_pdf(v: &Vorlage, part: &str, today: NaiveDate) -> Result<Vec<u8>, AppError> {
    let mut data = serde_json::to_value(v).map_err(|e| AppError::Internal(e.to_string()))?;
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
    zielwerk_typeset::pdf(&doc).map_err(|e| AppError::Internal(e.to_string()))
}

pub fn vorlage_docx(v: &Vorlage) -> Result<Vec<u8>, AppError> {
    zielwerk_report::docx::vorlage(v).map_err(|e| AppError::Internal(e.to_string()))
}

pub fn monitoring_pdf(m: &Monitoring, today: NaiveDate) -> Result<Vec<u8>, AppError> {
    pdf_without_charts(Template::Monitoring, m, today)
}

/// A document without charts (monitoring, minutes, period reports) as PDF.
fn pdf_without_charts(
    template: Template,
    model: &impl serde::Serialize,
    today: NaiveDate,
) -> Result<Vec<u8>, AppError> {
    let doc = Document {
        template,
        data: serde_json::to_value(model).map_err(|e| AppError::Internal(e.to_string()))?,
        charts: Vec::new(),
        today,
    };
    zielwerk_typeset::pdf(&doc).map_err(|e| AppError::Internal(e.to_string()))
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
pub fn check_complete(v: &StoredVorlage, l: &Loaded) -> Result<(), AppError> {
    let problems = v.header.check(&l.agreement);
    if problems.is_empty() {
        return Ok(());
    }
    Err(AppError::invalid(format!(
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
pub async fn publish(store: &Store, id: &str, today: NaiveDate) -> Result<Vec<NewFile>, AppError> {
    let (v, loaded) = load_vorlage(store, id).await?;
    check_complete(&v, &loaded)?;
    let revision = v.revision;
    let files =
        tokio::task::spawn_blocking(move || publication_files(&vorlage_model(&v, &loaded), today))
            .await
            .map_err(|e| AppError::Internal(format!("Berechnung abgebrochen: {e}")))??;
    store.publish_vorlage(id, revision, &files).await?;
    Ok(files)
}

/// Every file published with a Vorlage: the PDF (main file), the DOCX (derivative), and each
/// Anlage as its own PDF.
pub fn publication_files(v: &Vorlage, today: NaiveDate) -> Result<Vec<NewFile>, AppError> {
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

/// Creates a meeting with its agenda drawn up from the status at its reporting month: goals
/// verfehlt, gefährdet, the Jobcenter's action items overdue on the meeting day, then the rest
/// by area. Each goal's state is frozen into its agenda item. Returns the meeting's id.
pub async fn create_meeting(
    store: &Store,
    key: &AgreementKey,
    header: MeetingHeader,
) -> Result<String, AppError> {
    let loaded = load(store, key).await?;
    let problems = header.check(loaded.agreement.year);
    if !problems.is_empty() {
        return Err(AppError::invalid(problems.join("; ")));
    }
    let open = store
        .actions(
            &key.jobcenter,
            &ActionFilter {
                statuses: vec![ActionStatus::Open, ActionStatus::InProgress],
                ..Default::default()
            },
        )
        .await?;
    let (header, agenda) = tokio::task::spawn_blocking(move || {
        let obs = observations(&loaded);
        let state = assess_agreement(&loaded.agreement, &obs, header.month);
        let provenance = Provenance::new(&loaded.agreement, &loaded.values);
        let handles: Vec<(usize, ActionItem)> = open
            .iter()
            .enumerate()
            .map(|(i, a)| (i, a.item.clone()))
            .collect();
        let agenda = zielwerk_engine::agenda::plan(&state, &handles, header.date)
            .into_iter()
            .map(|p| match p {
                Planned::Goal(g) => NewAgendaItem {
                    title: g.goal.title.clone(),
                    kind: AgendaKind::Goal {
                        goal: g.goal.key.clone(),
                        snapshot: Box::new(zielwerk_report::minutes::snapshot(
                            g,
                            loaded.agreement.year,
                            header.month,
                            &provenance,
                        )),
                    },
                },
                Planned::Action(i) => NewAgendaItem {
                    title: format!("Überfällige Aufgabe: {}", open[*i].item.what),
                    kind: AgendaKind::Action {
                        action_id: open[*i].id.clone(),
                    },
                },
            })
            .collect::<Vec<_>>();
        (header, agenda)
    })
    .await
    .map_err(|e| AppError::Internal(format!("Berechnung abgebrochen: {e}")))?;
    Ok(store.create_meeting(key, &header, &agenda).await?)
}

/// A meeting with everything recorded in it.
pub struct MeetingBundle {
    pub meeting: StoredMeeting,
    pub loaded: Loaded,
    pub agenda: Vec<StoredAgendaItem>,
    pub decisions: Vec<StoredDecision>,
    /// Action items decided in this meeting, and those the agenda or the updates refer to.
    pub actions: BTreeMap<String, StoredAction>,
    /// Status changes made in this meeting.
    pub updates: Vec<ActionUpdate>,
}

pub async fn load_meeting(store: &Store, id: &str) -> Result<MeetingBundle, AppError> {
    let meeting = store
        .meeting(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Die Sitzung „{id}“ gibt es nicht.")))?;
    let loaded = load(store, &meeting.agreement).await?;
    let agenda = store.agenda(id).await?;
    let decisions = store.decisions(id).await?;
    let updates = store.updates_in_meeting(id).await?;
    let mut actions: BTreeMap<String, StoredAction> = store
        .actions(
            &meeting.jobcenter,
            &ActionFilter {
                meeting: Some(id.to_owned()),
                ..Default::default()
            },
        )
        .await?
        .into_iter()
        .map(|a| (a.id.clone(), a))
        .collect();
    let referred = agenda
        .iter()
        .filter_map(|i| match &i.kind {
            AgendaKind::Action { action_id } => Some(action_id.clone()),
            _ => None,
        })
        .chain(updates.iter().map(|u| u.action_id.clone()))
        .collect::<Vec<_>>();
    for aid in referred {
        if !actions.contains_key(&aid)
            && let Some(a) = store.action(&aid).await?
        {
            actions.insert(aid, a);
        }
    }
    Ok(MeetingBundle {
        meeting,
        loaded,
        agenda,
        decisions,
        actions,
        updates,
    })
}

/// The minutes of a meeting as a report model.
pub fn minutes_model(b: &MeetingBundle, today: NaiveDate) -> Minutes {
    use zielwerk_report::minutes::{AgendaInput, ItemInput, UpdateInput};
    // The minutes show each action item as the meeting left it: with the last status set in
    // this meeting (its creation counts), not as it stands today.
    let as_left: BTreeMap<&str, ActionItem> = b
        .actions
        .values()
        .map(|a| {
            let mut item = a.item.clone();
            if let Some(u) = b.updates.iter().rev().find(|u| u.action_id == a.id) {
                item.status = u.status;
            }
            (a.id.as_str(), item)
        })
        .collect();
    let action_of_decision = |d: &StoredDecision| {
        b.actions
            .values()
            .find(|a| a.decision_id == d.id)
            .and_then(|a| as_left.get(a.id.as_str()))
    };
    let agenda: Vec<AgendaInput<'_>> = b
        .agenda
        .iter()
        .map(|i| AgendaInput {
            title: &i.title,
            item: match &i.kind {
                AgendaKind::Goal { snapshot, .. } => ItemInput::Goal {
                    snapshot,
                    appraisal: &i.appraisal,
                    steering_needed: i.steering_needed,
                },
                AgendaKind::Action { action_id } => {
                    ItemInput::Action(as_left.get(action_id.as_str()))
                }
                AgendaKind::Free => ItemInput::Free,
            },
            decisions: b
                .decisions
                .iter()
                .filter(|d| d.agenda_item_id.as_deref() == Some(i.id.as_str()))
                .map(|d| (d.text.as_str(), action_of_decision(d)))
                .collect(),
        })
        .collect();
    let updates: Vec<UpdateInput<'_>> = b
        .updates
        .iter()
        .filter_map(|u| {
            let a = b.actions.get(&u.action_id)?;
            // Creation in this meeting is shown with the decision, not as a change.
            (a.meeting_id != b.meeting.id).then_some(UpdateInput {
                action: as_left.get(a.id.as_str())?,
                status: u.status,
                note: &u.note,
            })
        })
        .collect();
    zielwerk_report::minutes::minutes(
        &b.loaded.agreement,
        &b.meeting.header,
        &agenda,
        &updates,
        today,
    )
}

pub fn minutes_pdf(m: &Minutes, today: NaiveDate) -> Result<Vec<u8>, AppError> {
    pdf_without_charts(Template::Minutes, m, today)
}

pub fn minutes_docx(m: &Minutes) -> Result<Vec<u8>, AppError> {
    zielwerk_report::docx::minutes(m).map_err(|e| AppError::Internal(e.to_string()))
}
