//! Steering dialogues: the meetings of the carriers and the Jobcenter's management for a
//! reporting month, the appraisal (Würdigung) of each goal with the figures it rested on, the
//! action items decided there, and comments that explain a value of a month.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::agreement::PartyRole;
use crate::ids::{IndicatorCode, Key};
use crate::month::YearMonth;
use crate::status::Status;

/// Longest free text of a comment, an appraisal or a decision, in characters.
pub const MAX_TEXT: usize = 4000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MeetingKind {
    Traegerversammlung,
    Zielnachhaltedialog,
    Controllinggespraech,
    /// Any other meeting; its title says what it is.
    Free,
}

impl MeetingKind {
    pub const ALL: [MeetingKind; 4] = [
        MeetingKind::Traegerversammlung,
        MeetingKind::Zielnachhaltedialog,
        MeetingKind::Controllinggespraech,
        MeetingKind::Free,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MeetingKind::Traegerversammlung => "traegerversammlung",
            MeetingKind::Zielnachhaltedialog => "zielnachhaltedialog",
            MeetingKind::Controllinggespraech => "controllinggespraech",
            MeetingKind::Free => "frei",
        }
    }

    pub fn label_de(self) -> &'static str {
        match self {
            MeetingKind::Traegerversammlung => "Trägerversammlung",
            MeetingKind::Zielnachhaltedialog => "Zielnachhaltedialog",
            MeetingKind::Controllinggespraech => "Controllinggespräch",
            MeetingKind::Free => "Sonstige Sitzung",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A person at the meeting, for the party they represent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub party: PartyRole,
    /// Name, optionally with function ("Frau Beispiel, Geschäftsführung").
    pub name: String,
}

/// What is recorded about a meeting itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingHeader {
    pub kind: MeetingKind,
    /// Required for [`MeetingKind::Free`]; otherwise an optional addition to the kind.
    pub title: String,
    pub date: NaiveDate,
    /// The reporting month whose figures the meeting discusses.
    pub month: YearMonth,
    pub place: String,
    pub participants: Vec<Participant>,
}

impl MeetingHeader {
    /// "Zielnachhaltedialog am 12.10.2022", or the free title.
    pub fn display_title(&self) -> String {
        let kind = match (self.kind, self.title.trim()) {
            (MeetingKind::Free, t) if !t.is_empty() => t.to_owned(),
            (k, "") => k.label_de().to_owned(),
            (k, t) => format!("{}: {t}", k.label_de()),
        };
        format!("{kind} am {}", self.date.format("%d.%m.%Y"))
    }

    /// Participants of one party, in the order entered.
    pub fn of_party(&self, party: PartyRole) -> impl Iterator<Item = &Participant> {
        self.participants.iter().filter(move |p| p.party == party)
    }

    /// What is wrong with the header for an agreement of `year`, in German, naming the field.
    pub fn check(&self, year: i32) -> Vec<String> {
        let mut problems = Vec::new();
        if self.kind == MeetingKind::Free && self.title.trim().is_empty() {
            problems.push(
                "Feld „Bezeichnung“: bei einer sonstigen Sitzung ist eine Bezeichnung nötig".into(),
            );
        }
        if self.month.year() != year {
            problems.push(format!(
                "Feld „Berichtsmonat“: {} liegt nicht im Vereinbarungsjahr {year}",
                self.month.german_long()
            ));
        }
        if self.title.chars().count() > 200 || self.place.chars().count() > 200 {
            problems.push("Felder „Bezeichnung“ und „Ort“: höchstens 200 Zeichen".into());
        }
        problems
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionStatus {
    Open,
    InProgress,
    Done,
    Dropped,
}

impl ActionStatus {
    pub const ALL: [ActionStatus; 4] = [
        ActionStatus::Open,
        ActionStatus::InProgress,
        ActionStatus::Done,
        ActionStatus::Dropped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Open => "offen",
            ActionStatus::InProgress => "in-arbeit",
            ActionStatus::Done => "erledigt",
            ActionStatus::Dropped => "verworfen",
        }
    }

    pub fn label_de(self) -> &'static str {
        match self {
            ActionStatus::Open => "offen",
            ActionStatus::InProgress => "in Arbeit",
            ActionStatus::Done => "erledigt",
            ActionStatus::Dropped => "verworfen",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Still to be done: offen or in Arbeit.
    pub fn is_open(self) -> bool {
        matches!(self, ActionStatus::Open | ActionStatus::InProgress)
    }
}

/// An action item decided in a meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionItem {
    pub what: String,
    pub owner_party: PartyRole,
    pub owner_person: String,
    pub due: NaiveDate,
    pub status: ActionStatus,
    /// The goal it serves, if any.
    pub goal: Option<Key>,
    /// The measure (Handlungsansatz) it changes, if any.
    pub measure: Option<Key>,
}

impl ActionItem {
    /// Overdue on `day`: still open and its due date has passed. Due today is not overdue.
    pub fn is_overdue(&self, day: NaiveDate) -> bool {
        self.status.is_open() && self.due < day
    }

    /// Who is responsible, in German: "Jobcenter (Herr Muster)", or the party alone when no
    /// person is named.
    pub fn owner_de(&self) -> String {
        match self.owner_person.trim() {
            "" => self.owner_party.label_de().to_owned(),
            person => format!("{} ({person})", self.owner_party.label_de()),
        }
    }
}

/// A goal's state as a meeting saw it: frozen when the agenda is drawn up, so that a later
/// revision of the data does not rewrite what the appraisal rested on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoalSnapshot {
    /// The reporting month of the meeting.
    pub as_of: YearMonth,
    pub status: Status,
    /// The rule that decided the status, in German.
    pub reason: String,
    /// The month the actual value refers to.
    pub value_month: Option<YearMonth>,
    pub actual: Option<f64>,
    pub target: Option<f64>,
    pub tolerance: Option<f64>,
    /// The same figures as the meeting read them (German number format with unit).
    pub actual_text: String,
    pub target_text: String,
    pub forecast_text: String,
    pub datenstand: String,
    pub source: String,
}

/// A comment that explains the value of an indicator in a month ("Sondereffekt Umzug der
/// Leistungsabteilung"). It belongs to the Jobcenter's value, so every goal and report that
/// shows the value shows the comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueComment {
    pub indicator: IndicatorCode,
    pub month: YearMonth,
    pub text: String,
    pub author: String,
}

/// Checks a free text field: not empty, not longer than [`MAX_TEXT`].
pub fn check_text(field: &str, text: &str) -> Result<(), String> {
    let n = text.trim().chars().count();
    if n == 0 {
        Err(format!("Feld „{field}“: bitte einen Text eingeben"))
    } else if n > MAX_TEXT {
        Err(format!(
            "Feld „{field}“: höchstens {MAX_TEXT} Zeichen (eingegeben: {n})"
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn action(status: ActionStatus, due: &str) -> ActionItem {
        ActionItem {
            what: "Fallkonferenzen einführen".into(),
            owner_party: PartyRole::Jobcenter,
            owner_person: "Frau Beispiel".into(),
            due: day(due),
            status,
            goal: None,
            measure: None,
        }
    }

    #[test]
    fn overdue_starts_the_day_after_the_due_date() {
        let a = action(ActionStatus::Open, "2022-10-31");
        assert!(!a.is_overdue(day("2022-10-30")));
        assert!(!a.is_overdue(day("2022-10-31")), "due today is not late");
        assert!(a.is_overdue(day("2022-11-01")));
        assert!(action(ActionStatus::InProgress, "2022-10-31").is_overdue(day("2022-11-01")));
        for closed in [ActionStatus::Done, ActionStatus::Dropped] {
            assert!(!action(closed, "2022-10-31").is_overdue(day("2023-01-01")));
        }
    }

    #[test]
    fn owner_names_the_person_only_if_there_is_one() {
        let mut a = action(ActionStatus::Open, "2022-10-31");
        assert_eq!(a.owner_de(), "Jobcenter (Frau Beispiel)");
        a.owner_person = "  ".into();
        assert_eq!(a.owner_de(), "Jobcenter");
    }

    #[test]
    fn tokens_round_trip() {
        for k in MeetingKind::ALL {
            assert_eq!(MeetingKind::parse(k.as_str()), Some(k));
        }
        for s in ActionStatus::ALL {
            assert_eq!(ActionStatus::parse(s.as_str()), Some(s));
        }
        for s in [
            Status::Missed,
            Status::AtRisk,
            Status::OnTrack,
            Status::NoData,
        ] {
            assert_eq!(s.css().parse::<Status>(), Ok(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.css())
            );
        }
        assert_eq!(MeetingKind::parse("Trägerversammlung"), None);
    }

    #[test]
    fn titles_and_checks() {
        let mut h = MeetingHeader {
            kind: MeetingKind::Zielnachhaltedialog,
            title: String::new(),
            date: day("2022-10-12"),
            month: "2022-09".parse().unwrap(),
            place: String::new(),
            participants: vec![],
        };
        assert_eq!(h.display_title(), "Zielnachhaltedialog am 12.10.2022");
        assert!(h.check(2022).is_empty());
        assert_eq!(
            h.check(2023),
            ["Feld „Berichtsmonat“: September 2022 liegt nicht im Vereinbarungsjahr 2023"]
        );
        h.kind = MeetingKind::Free;
        assert_eq!(h.check(2022).len(), 1);
        h.title = "Klausur KdU".into();
        assert_eq!(h.display_title(), "Klausur KdU am 12.10.2022");
        assert!(h.check(2022).is_empty());
    }

    #[test]
    fn text_limits() {
        assert!(check_text("Würdigung", "  ").is_err());
        assert!(check_text("Würdigung", &"ä".repeat(MAX_TEXT)).is_ok());
        assert_eq!(
            check_text("Würdigung", &"ä".repeat(MAX_TEXT + 1)).unwrap_err(),
            "Feld „Würdigung“: höchstens 4000 Zeichen (eingegeben: 4001)"
        );
    }
}
