//! The JSON documents the store keeps in columns (a meeting's header, a Vorlage's header, the
//! goal snapshot an agenda item freezes), as versioned records owned by the store.
//!
//! Domain structs are not written as they are: renaming a field or an enum variant in `domain`
//! would make every row written before unreadable. Each document is written as the current
//! version of its record here (`"v": 1`), with its own field names and its own tokens for
//! enumerations, and read back through the version it was written in. A row without `"v"` was
//! written before versioning, in the shape of version 1. A later version adds a record and a
//! conversion from the one before; old rows stay readable (`tests/documents.rs` reads rows as the
//! previous schema wrote them).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use zielwerk_domain::vorlage::{Consultation, DecisionKind, Impact, Impacts};
use zielwerk_domain::{
    GoalSnapshot, MeetingHeader, MeetingKind, Participant, PartyRole, Status, VorlageHeader,
    YearMonth,
};

use crate::{Result, StoreError};

/// The version every document is written in.
pub const CURRENT: u64 = 1;

fn corrupt(table: &'static str, column: &'static str, raw: &str) -> StoreError {
    StoreError::Corrupt {
        table,
        column,
        value: raw.chars().take(80).collect(),
    }
}

/// Reads a document of `table.column` in whichever version it was written.
fn read<T: serde::de::DeserializeOwned>(
    table: &'static str,
    column: &'static str,
    raw: &str,
) -> Result<T> {
    let mut value: Value = serde_json::from_str(raw).map_err(|_| corrupt(table, column, raw))?;
    let version = match value.as_object_mut().and_then(|o| o.remove("v")) {
        None => 1,
        Some(v) => v.as_u64().ok_or_else(|| corrupt(table, column, raw))?,
    };
    match version {
        1 => serde_json::from_value(value).map_err(|_| corrupt(table, column, raw)),
        _ => Err(corrupt(table, column, raw)),
    }
}

/// Writes a document in the current version.
fn write<T: Serialize>(record: &T) -> String {
    let mut value = serde_json::to_value(record).expect("plain data always serialises");
    if let Some(o) = value.as_object_mut() {
        o.insert("v".into(), CURRENT.into());
    }
    value.to_string()
}

/// A token of an enumeration as this version stores it.
fn token<T: Copy + PartialEq>(table: &[(T, &'static str)], value: T) -> &'static str {
    table
        .iter()
        .find(|(v, _)| *v == value)
        .map(|(_, t)| *t)
        .expect("every variant has a stored token")
}

fn from_token<T: Copy>(
    table: &[(T, &'static str)],
    raw: &str,
    at: (&'static str, &'static str),
) -> Result<T> {
    table
        .iter()
        .find(|(_, t)| *t == raw)
        .map(|(v, _)| *v)
        .ok_or_else(|| corrupt(at.0, at.1, raw))
}

const MEETING_KINDS: [(MeetingKind, &str); 4] = [
    (MeetingKind::Traegerversammlung, "traegerversammlung"),
    (MeetingKind::Zielnachhaltedialog, "zielnachhaltedialog"),
    (MeetingKind::Controllinggespraech, "controllinggespraech"),
    (MeetingKind::Free, "free"),
];
const PARTIES: [(PartyRole, &str); 3] = [
    (PartyRole::Kreis, "kreis"),
    (PartyRole::Agentur, "agentur"),
    (PartyRole::Jobcenter, "jobcenter"),
];
const DECISIONS: [(DecisionKind, &str); 3] = [
    (DecisionKind::Beschluss, "beschluss"),
    (DecisionKind::Wahl, "wahl"),
    (DecisionKind::Kenntnisnahme, "kenntnisnahme"),
];
const IMPACTS: [(Impact, &str); 3] = [
    (Impact::Ja, "ja"),
    (Impact::Nein, "nein"),
    (Impact::NochNichtAbsehbar, "noch_nicht_absehbar"),
];
const STATUSES: [(Status, &str); 4] = [
    (Status::Missed, "missed"),
    (Status::AtRisk, "at-risk"),
    (Status::OnTrack, "on-track"),
    (Status::NoData, "no-data"),
];

fn month(raw: &str, at: (&'static str, &'static str)) -> Result<YearMonth> {
    raw.parse().map_err(|_| corrupt(at.0, at.1, raw))
}

// ----- Meeting header, version 1 -------------------------------------------------------------

#[derive(Serialize, Deserialize)]
struct ParticipantV1 {
    party: String,
    name: String,
}

#[derive(Serialize, Deserialize)]
struct MeetingHeaderV1 {
    kind: String,
    title: String,
    date: NaiveDate,
    month: String,
    place: String,
    participants: Vec<ParticipantV1>,
}

const MEETING: (&str, &str) = ("meeting", "header");

pub(crate) fn meeting_header_json(h: &MeetingHeader) -> String {
    write(&MeetingHeaderV1 {
        kind: token(&MEETING_KINDS, h.kind).into(),
        title: h.title.clone(),
        date: h.date,
        month: h.month.to_string(),
        place: h.place.clone(),
        participants: h
            .participants
            .iter()
            .map(|p| ParticipantV1 {
                party: token(&PARTIES, p.party).into(),
                name: p.name.clone(),
            })
            .collect(),
    })
}

pub(crate) fn meeting_header(raw: &str) -> Result<MeetingHeader> {
    let r: MeetingHeaderV1 = read(MEETING.0, MEETING.1, raw)?;
    Ok(MeetingHeader {
        kind: from_token(&MEETING_KINDS, &r.kind, MEETING)?,
        title: r.title,
        date: r.date,
        month: month(&r.month, MEETING)?,
        place: r.place,
        participants: r
            .participants
            .into_iter()
            .map(|p| {
                Ok(Participant {
                    party: from_token(&PARTIES, &p.party, MEETING)?,
                    name: p.name,
                })
            })
            .collect::<Result<_>>()?,
    })
}

// ----- Vorlage header, version 1 -------------------------------------------------------------

#[derive(Serialize, Deserialize)]
struct ConsultationV1 {
    committee: String,
    date: NaiveDate,
    decision: String,
}

#[derive(Serialize, Deserialize)]
struct ImpactsV1 {
    financial: String,
    personnel: String,
    organisational: String,
    key_figures: String,
    climate: String,
}

#[derive(Serialize, Deserialize)]
struct VorlageHeaderV1 {
    number: String,
    public: bool,
    fachbereich: String,
    bearbeiter: String,
    date: NaiveDate,
    aktenzeichen: String,
    title: String,
    consultations: Vec<ConsultationV1>,
    impacts: ImpactsV1,
    resolution: String,
    occasion: String,
    area_notes: std::collections::BTreeMap<String, String>,
    as_of: Option<String>,
}

const VORLAGE: (&str, &str) = ("vorlage", "header");

pub(crate) fn vorlage_header_json(h: &VorlageHeader) -> String {
    let i = |v| token(&IMPACTS, v).to_owned();
    write(&VorlageHeaderV1 {
        number: h.number.clone(),
        public: h.public,
        fachbereich: h.fachbereich.clone(),
        bearbeiter: h.bearbeiter.clone(),
        date: h.date,
        aktenzeichen: h.aktenzeichen.clone(),
        title: h.title.clone(),
        consultations: h
            .consultations
            .iter()
            .map(|c| ConsultationV1 {
                committee: c.committee.clone(),
                date: c.date,
                decision: token(&DECISIONS, c.decision).into(),
            })
            .collect(),
        impacts: ImpactsV1 {
            financial: i(h.impacts.financial),
            personnel: i(h.impacts.personnel),
            organisational: i(h.impacts.organisational),
            key_figures: i(h.impacts.key_figures),
            climate: i(h.impacts.climate),
        },
        resolution: h.resolution.clone(),
        occasion: h.occasion.clone(),
        area_notes: h.area_notes.clone(),
        as_of: h.as_of.map(|m| m.to_string()),
    })
}

pub(crate) fn vorlage_header(raw: &str) -> Result<VorlageHeader> {
    let r: VorlageHeaderV1 = read(VORLAGE.0, VORLAGE.1, raw)?;
    let i = |t: &str| from_token(&IMPACTS, t, VORLAGE);
    Ok(VorlageHeader {
        number: r.number,
        public: r.public,
        fachbereich: r.fachbereich,
        bearbeiter: r.bearbeiter,
        date: r.date,
        aktenzeichen: r.aktenzeichen,
        title: r.title,
        consultations: r
            .consultations
            .into_iter()
            .map(|c| {
                Ok(Consultation {
                    committee: c.committee,
                    date: c.date,
                    decision: from_token(&DECISIONS, &c.decision, VORLAGE)?,
                })
            })
            .collect::<Result<_>>()?,
        impacts: Impacts {
            financial: i(&r.impacts.financial)?,
            personnel: i(&r.impacts.personnel)?,
            organisational: i(&r.impacts.organisational)?,
            key_figures: i(&r.impacts.key_figures)?,
            climate: i(&r.impacts.climate)?,
        },
        resolution: r.resolution,
        occasion: r.occasion,
        area_notes: r.area_notes,
        as_of: r.as_of.map(|m| month(&m, VORLAGE)).transpose()?,
    })
}

// ----- Goal snapshot of an agenda item, version 1 --------------------------------------------

#[derive(Serialize, Deserialize)]
struct GoalSnapshotV1 {
    as_of: String,
    status: String,
    reason: String,
    value_month: Option<String>,
    actual: Option<f64>,
    target: Option<f64>,
    tolerance: Option<f64>,
    actual_text: String,
    target_text: String,
    forecast_text: String,
    datenstand: String,
    source: String,
}

const SNAPSHOT: (&str, &str) = ("agenda_item", "snapshot");

pub(crate) fn snapshot_json(s: &GoalSnapshot) -> String {
    write(&GoalSnapshotV1 {
        as_of: s.as_of.to_string(),
        status: token(&STATUSES, s.status).into(),
        reason: s.reason.clone(),
        value_month: s.value_month.map(|m| m.to_string()),
        actual: s.actual,
        target: s.target,
        tolerance: s.tolerance,
        actual_text: s.actual_text.clone(),
        target_text: s.target_text.clone(),
        forecast_text: s.forecast_text.clone(),
        datenstand: s.datenstand.clone(),
        source: s.source.clone(),
    })
}

pub(crate) fn snapshot(raw: &str) -> Result<GoalSnapshot> {
    let r: GoalSnapshotV1 = read(SNAPSHOT.0, SNAPSHOT.1, raw)?;
    Ok(GoalSnapshot {
        as_of: month(&r.as_of, SNAPSHOT)?,
        status: from_token(&STATUSES, &r.status, SNAPSHOT)?,
        reason: r.reason,
        value_month: r.value_month.map(|m| month(&m, SNAPSHOT)).transpose()?,
        actual: r.actual,
        target: r.target,
        tolerance: r.tolerance,
        actual_text: r.actual_text,
        target_text: r.target_text,
        forecast_text: r.forecast_text,
        datenstand: r.datenstand,
        source: r.source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every variant has a token, and the tokens read back.
    #[test]
    fn tokens_cover_every_variant_and_read_back() {
        for k in MeetingKind::ALL {
            assert_eq!(
                from_token(&MEETING_KINDS, token(&MEETING_KINDS, k), MEETING).unwrap(),
                k
            );
        }
        for p in PartyRole::ALL {
            assert_eq!(
                from_token(&PARTIES, token(&PARTIES, p), MEETING).unwrap(),
                p
            );
        }
        for d in DecisionKind::ALL {
            assert_eq!(
                from_token(&DECISIONS, token(&DECISIONS, d), VORLAGE).unwrap(),
                d
            );
        }
        for i in Impact::ALL {
            assert_eq!(
                from_token(&IMPACTS, token(&IMPACTS, i), VORLAGE).unwrap(),
                i
            );
        }
        for s in [
            Status::Missed,
            Status::AtRisk,
            Status::OnTrack,
            Status::NoData,
        ] {
            assert_eq!(
                from_token(&STATUSES, token(&STATUSES, s), SNAPSHOT).unwrap(),
                s
            );
        }
    }

    #[test]
    fn a_version_from_the_future_is_refused_not_misread() {
        let raw = r#"{"v":2,"kind":"free","title":"x"}"#;
        assert!(matches!(
            meeting_header(raw),
            Err(StoreError::Corrupt {
                column: "header",
                ..
            })
        ));
    }
}
