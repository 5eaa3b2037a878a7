//! The committee paper (Vorlage): the header and free text the Sozialamt writes. The figures in
//! it are never stored here; they come from the data when the document is built.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{Agreement, YearMonth};

/// Kind of decision a committee takes on the Vorlage (Art der Entscheidung).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    Beschluss,
    Wahl,
    Kenntnisnahme,
}

impl DecisionKind {
    pub const ALL: [DecisionKind; 3] = [
        DecisionKind::Beschluss,
        DecisionKind::Wahl,
        DecisionKind::Kenntnisnahme,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Beschluss => "beschluss",
            DecisionKind::Wahl => "wahl",
            DecisionKind::Kenntnisnahme => "kenntnisnahme",
        }
    }

    pub fn label_de(self) -> &'static str {
        match self {
            DecisionKind::Beschluss => "Beschluss",
            DecisionKind::Wahl => "Wahl",
            DecisionKind::Kenntnisnahme => "Kenntnisnahme",
        }
    }
}

/// One step of the Beratungsfolge: which committee deals with the paper, when, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consultation {
    pub committee: String,
    pub date: NaiveDate,
    pub decision: DecisionKind,
}

/// The answer in one of the impact boxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Impact {
    Ja,
    Nein,
    NochNichtAbsehbar,
}

impl Impact {
    pub const ALL: [Impact; 3] = [Impact::Ja, Impact::Nein, Impact::NochNichtAbsehbar];

    pub fn as_str(self) -> &'static str {
        match self {
            Impact::Ja => "ja",
            Impact::Nein => "nein",
            Impact::NochNichtAbsehbar => "noch_nicht_absehbar",
        }
    }

    pub fn label_de(self) -> &'static str {
        match self {
            Impact::Ja => "ja",
            Impact::Nein => "nein",
            Impact::NochNichtAbsehbar => "noch nicht zu übersehen",
        }
    }
}

/// The five impact boxes of the form, in the form's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Impacts {
    pub financial: Impact,
    pub personnel: Impact,
    pub organisational: Impact,
    pub key_figures: Impact,
    pub climate: Impact,
}

impl Impacts {
    /// (label, answer) in the order of the form.
    pub fn rows(&self) -> [(&'static str, Impact); 5] {
        [
            ("Finanzielle Auswirkung", self.financial),
            ("Personelle Auswirkung", self.personnel),
            ("Organisatorische Auswirkung", self.organisational),
            ("Auswirkung auf Kennzahlen", self.key_figures),
            ("Klimarelevanz", self.climate),
        ]
    }
}

/// What the Sozialamt writes on the paper; everything else is computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VorlageHeader {
    /// Vorlagen-Nr., e.g. "50/003/2022".
    pub number: String,
    pub public: bool,
    pub fachbereich: String,
    pub bearbeiter: String,
    pub date: NaiveDate,
    pub aktenzeichen: String,
    /// Betreff, e.g. "Sachstandsbericht des Sozialamtes".
    pub title: String,
    pub consultations: Vec<Consultation>,
    pub impacts: Impacts,
    /// Beschlussvorschlag.
    pub resolution: String,
    /// Anlass der Vorlage: the introduction; paragraphs separated by blank lines.
    pub occasion: String,
    /// Steering notes per goal area (area key → text), printed under the area's figures.
    pub area_notes: BTreeMap<String, String>,
    /// The reporting month the figures refer to; `None` means the latest month with values.
    pub as_of: Option<YearMonth>,
}

/// A problem with a header: the field (as named on the form) and what is expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderProblem {
    pub field: &'static str,
    pub message: String,
}

impl std::fmt::Display for HeaderProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Feld „{}“: {}", self.field, self.message)
    }
}

impl VorlageHeader {
    /// A first draft for `agreement`, to be completed by the Sozialamt.
    pub fn draft(agreement: &Agreement, today: NaiveDate) -> Self {
        Self {
            number: String::new(),
            public: true,
            fachbereich: "Sozialamt".into(),
            bearbeiter: String::new(),
            date: today,
            aktenzeichen: "50".into(),
            title: "Sachstandsbericht des Sozialamtes".into(),
            consultations: Vec::new(),
            impacts: Impacts {
                financial: Impact::Nein,
                personnel: Impact::Nein,
                organisational: Impact::Nein,
                key_figures: Impact::Ja,
                climate: Impact::Nein,
            },
            resolution: "Die Ausführungen der Verwaltung werden zur Kenntnis genommen.".into(),
            occasion: format!(
                "Für das Jahr {} haben {} die der Anlage 1 zu entnehmende {} abgeschlossen.",
                agreement.year,
                party_list(agreement),
                agreement.title
            ),
            area_notes: BTreeMap::new(),
            as_of: None,
        }
    }

    /// Every problem at once; empty if the header can be printed.
    pub fn check(&self, agreement: &Agreement) -> Vec<HeaderProblem> {
        let mut problems = Vec::new();
        let mut need = |field: &'static str, value: &str, what: &str| {
            if value.trim().is_empty() {
                problems.push(HeaderProblem {
                    field,
                    message: format!("darf nicht leer sein; erwartet wird {what}"),
                });
            }
        };
        need(
            "Vorlagen-Nr.",
            &self.number,
            "die Nummer der Vorlage, z. B. 50/003/2022",
        );
        need("Fachbereich", &self.fachbereich, "z. B. Sozialamt");
        need("Bearbeiter/in", &self.bearbeiter, "der Name");
        need("Betreff", &self.title, "der Titel der Vorlage");
        need(
            "Beschlussvorschlag",
            &self.resolution,
            "der vorgeschlagene Beschluss",
        );
        if self.number.chars().any(|c| c.is_control()) || self.number.len() > 40 {
            problems.push(HeaderProblem {
                field: "Vorlagen-Nr.",
                message: "höchstens 40 Zeichen ohne Zeilenumbruch".into(),
            });
        }
        if self.consultations.is_empty() {
            problems.push(HeaderProblem {
                field: "Beratungsfolge",
                message: "mindestens ein Gremium mit Sitzungsdatum und Art der Entscheidung".into(),
            });
        }
        for (i, c) in self.consultations.iter().enumerate() {
            if c.committee.trim().is_empty() {
                problems.push(HeaderProblem {
                    field: "Beratungsfolge",
                    message: format!("Zeile {}: das Gremium fehlt", i + 1),
                });
            }
            if c.date < self.date {
                problems.push(HeaderProblem {
                    field: "Beratungsfolge",
                    message: format!(
                        "Zeile {}: die Sitzung am {} liegt vor dem Datum der Vorlage ({})",
                        i + 1,
                        c.date.format("%d.%m.%Y"),
                        self.date.format("%d.%m.%Y")
                    ),
                });
            }
        }
        if let Some(m) = self.as_of
            && m.year() != agreement.year
        {
            problems.push(HeaderProblem {
                field: "Berichtsmonat",
                message: format!(
                    "{} liegt nicht im Vereinbarungsjahr {}",
                    m.german_long(),
                    agreement.year
                ),
            });
        }
        for key in self.area_notes.keys() {
            if !agreement.areas.iter().any(|a| a.key.as_str() == key) {
                problems.push(HeaderProblem {
                    field: "Steuerungshinweise",
                    message: format!("den Zielbereich „{key}“ gibt es in der Vereinbarung nicht"),
                });
            }
        }
        problems
    }

    /// The paragraphs of the occasion text.
    pub fn occasion_paragraphs(&self) -> Vec<String> {
        paragraphs(&self.occasion)
    }
}

/// Splits free text into paragraphs at blank lines; single line breaks join with a space.
pub fn paragraphs(text: &str) -> Vec<String> {
    text.replace("\r\n", "\n")
        .split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect()
}

/// "dem Kreis Mettmann, der Agentur für Arbeit Mettmann und dem jobcenter ME-aktiv" style list of
/// the parties by name.
fn party_list(agreement: &Agreement) -> String {
    let names: Vec<&str> = agreement.parties.iter().map(|p| p.name.as_str()).collect();
    match names.as_slice() {
        [] => "die Träger".into(),
        [one] => (*one).into(),
        [init @ .., last] => format!("{} und {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_split_at_blank_lines() {
        assert_eq!(
            paragraphs("Erster\nAbsatz.\r\n\r\nZweiter.\n\n\n"),
            vec!["Erster Absatz.", "Zweiter."]
        );
    }
}
