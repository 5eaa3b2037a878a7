//! Steering meetings in documents: the frozen snapshot of a goal when an agenda is drawn up, and
//! the minutes (Niederschrift) of a meeting as a report model, written to PDF and DOCX like the
//! other documents.

use serde::Serialize;
use zielwerk_domain::{
    ActionItem, ActionStatus, Agreement, GoalSnapshot, MeetingHeader, PartyRole, YearMonth,
};
use zielwerk_engine::GoalState;

use crate::present::{self, Provenance, value_text};

/// A goal's state at the reporting month `as_of` as the meeting sees it, with its figures in
/// numbers and as the text the participants read.
pub fn snapshot(
    state: &GoalState<'_>,
    year: i32,
    as_of: YearMonth,
    provenance: &Provenance<'_>,
) -> GoalSnapshot {
    let asm = &state.assessment;
    let ind = state.indicator;
    let (datenstand, source) = asm
        .month
        .map(|m| provenance.of(&ind.code, m))
        .unwrap_or_default();
    GoalSnapshot {
        as_of,
        status: asm.status,
        reason: asm.reason.clone(),
        value_month: asm.month,
        actual: asm.actual,
        target: asm.target,
        tolerance: asm.tolerance,
        actual_text: match (present::shown_actual(state, year), asm.month) {
            (Some(v), Some(m)) => format!("{} ({})", value_text(ind, v), m.german_long()),
            _ => "–".into(),
        },
        target_text: present::target_to_date_text(state),
        forecast_text: present::forecast_sentence(state, year, as_of),
        datenstand,
        source,
    }
}

/// What an agenda item of the minutes is about.
pub enum ItemInput<'a> {
    Goal {
        snapshot: &'a GoalSnapshot,
        appraisal: &'a str,
        steering_needed: bool,
    },
    /// An overdue action item from an earlier meeting, if it still exists.
    Action(Option<&'a ActionItem>),
    Free,
}

pub struct AgendaInput<'a> {
    pub title: &'a str,
    pub item: ItemInput<'a>,
    /// Decisions taken under this item, each with the action item it set.
    pub decisions: Vec<(&'a str, Option<&'a ActionItem>)>,
}

/// A status change of an earlier action item made in the meeting.
pub struct UpdateInput<'a> {
    pub action: &'a ActionItem,
    pub status: ActionStatus,
    pub note: &'a str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartyLine {
    pub party: String,
    pub names: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub status: String,
    pub status_key: String,
    pub value: String,
    pub target: String,
    pub reason: String,
    pub forecast: String,
    pub source: String,
}

/// The frozen figures of a goal as the meeting page and the minutes show them.
pub fn figures(snapshot: &GoalSnapshot) -> Figures {
    Figures {
        status: snapshot.status.label_de().into(),
        status_key: snapshot.status.css().into(),
        value: snapshot.actual_text.clone(),
        target: snapshot.target_text.clone(),
        reason: snapshot.reason.clone(),
        forecast: snapshot.forecast_text.clone(),
        source: [snapshot.source.as_str(), snapshot.datenstand.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(", Datenstand "),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MinutesDecision {
    pub text: String,
    /// "Aufgabe: … – verantwortlich: Jobcenter (Herr Muster), fällig 30.11.2022, offen".
    pub action: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MinutesItem {
    pub number: usize,
    pub title: String,
    pub figures: Option<Figures>,
    pub appraisal: Vec<String>,
    /// "Steuerungsbedarf: ja/nein" for goals.
    pub steering: String,
    /// For an overdue action item: what, who, due and its status as of the meeting.
    pub action: Option<String>,
    pub decisions: Vec<MinutesDecision>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpdateRow {
    pub what: String,
    pub owner: String,
    pub due: String,
    pub status: String,
    pub note: String,
}

/// The minutes of a steering meeting.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Minutes {
    pub title: String,
    pub kind: String,
    pub agreement_title: String,
    pub jobcenter: String,
    pub date: String,
    pub place: String,
    pub as_of: String,
    pub participants: Vec<PartyLine>,
    pub items: Vec<MinutesItem>,
    /// Action items of earlier meetings whose status changed in this meeting.
    pub updates: Vec<UpdateRow>,
    pub created: String,
}

/// "Aufgabe: what – verantwortlich: party (person), fällig date, status".
pub fn action_line(a: &ActionItem) -> String {
    let owner = a.owner_de();
    format!(
        "Aufgabe: {} – verantwortlich: {owner}, fällig {}, {}",
        a.what.trim(),
        present::date_de(a.due),
        a.status.label_de()
    )
}

pub fn minutes(
    agreement: &Agreement,
    header: &MeetingHeader,
    agenda: &[AgendaInput<'_>],
    updates: &[UpdateInput<'_>],
    created: chrono::NaiveDate,
) -> Minutes {
    let participants = PartyRole::ALL
        .iter()
        .map(|p| PartyLine {
            party: agreement
                .party(*p)
                .map(|x| format!("{} ({})", p.label_de(), x.name))
                .unwrap_or_else(|| p.label_de().into()),
            names: header
                .of_party(*p)
                .map(|x| x.name.trim())
                .collect::<Vec<_>>()
                .join(", "),
        })
        .filter(|l| !l.names.is_empty())
        .collect();
    let items = agenda
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let (figures, appraisal, steering, action) = match &a.item {
                ItemInput::Goal {
                    snapshot,
                    appraisal,
                    steering_needed,
                } => (
                    Some(figures(snapshot)),
                    zielwerk_domain::vorlage::paragraphs(appraisal),
                    if appraisal.trim().is_empty() {
                        "Keine Würdigung erfasst.".to_owned()
                    } else if *steering_needed {
                        "Steuerungsbedarf: ja".to_owned()
                    } else {
                        "Steuerungsbedarf: nein".to_owned()
                    },
                    None,
                ),
                ItemInput::Action(found) => (
                    None,
                    Vec::new(),
                    String::new(),
                    Some(
                        found
                            .map(action_line)
                            .unwrap_or_else(|| "Die Aufgabe ist nicht mehr vorhanden.".into()),
                    ),
                ),
                ItemInput::Free => (None, Vec::new(), String::new(), None),
            };
            MinutesItem {
                number: i + 1,
                title: a.title.to_owned(),
                figures,
                appraisal,
                steering,
                action,
                decisions: a
                    .decisions
                    .iter()
                    .map(|(text, action)| MinutesDecision {
                        text: text.trim().to_owned(),
                        action: action.map(action_line),
                    })
                    .collect(),
            }
        })
        .collect();
    Minutes {
        title: format!("Niederschrift: {}", header.display_title()),
        kind: header.kind.label_de().into(),
        agreement_title: agreement.title.clone(),
        jobcenter: agreement.jobcenter.name.clone(),
        date: present::date_de(header.date),
        place: header.place.clone(),
        as_of: header.month.german_long(),
        participants,
        items,
        updates: updates
            .iter()
            .map(|u| UpdateRow {
                what: u.action.what.clone(),
                owner: u.action.owner_de(),
                due: present::date_de(u.action.due),
                status: u.status.label_de().into(),
                note: u.note.to_owned(),
            })
            .collect(),
        created: present::date_de(created),
    }
}
