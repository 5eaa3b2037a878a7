//! Values as they were reported: with their source, Datenstand and status.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::ids::IndicatorCode;
use crate::month::YearMonth;
use crate::period::{Period, PeriodKind};
use crate::region::RegionId;

/// Whether a value is final or projected, or computed by the Jobcenter from its own records.
/// The BA publishes projected ("hochgerechnete") values at the current edge and replaces them
/// with counted values after the three-month waiting period. A value from the Jobcenter's own
/// records (`docs/records.md`) comes months earlier and is no official figure: it is current
/// only until an official value of its month arrives, and then stays beside it as history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueStatus {
    Projected,
    Final,
    /// Aus eigenen Daten: computed from the Jobcenter's own records.
    Own,
}

impl ValueStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ValueStatus::Projected => "projected",
            ValueStatus::Final => "final",
            ValueStatus::Own => "own",
        }
    }

    pub fn label_de(self) -> &'static str {
        match self {
            ValueStatus::Projected => "vorläufig (hochgerechnet)",
            ValueStatus::Final => "endgültig",
            ValueStatus::Own => "aus eigenen Daten",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "projected" => Some(Self::Projected),
            "final" => Some(Self::Final),
            "own" => Some(Self::Own),
            _ => None,
        }
    }

    /// Whether the statistics published it (projected or final).
    pub fn is_official(self) -> bool {
        !matches!(self, ValueStatus::Own)
    }

    /// The status of a figure computed from inputs of these two: the weaker one (own before
    /// projected before final).
    pub fn weaker(self, other: ValueStatus) -> ValueStatus {
        let rank = |s| match s {
            ValueStatus::Own => 0,
            ValueStatus::Projected => 1,
            ValueStatus::Final => 2,
        };
        if rank(other) < rank(self) {
            other
        } else {
            self
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// Generated demo figures; every page that shows them says so.
    Demo,
    /// Published statistics (e.g. Statistik der Bundesagentur für Arbeit).
    Statistics,
    /// A file imported by a user.
    File,
    /// Entered by hand.
    Manual,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Demo => "demo",
            SourceKind::Statistics => "statistics",
            SourceKind::File => "file",
            SourceKind::Manual => "manual",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "demo" => Some(Self::Demo),
            "statistics" => Some(Self::Statistics),
            "file" => Some(Self::File),
            "manual" => Some(Self::Manual),
            _ => None,
        }
    }

    pub fn label_de(self) -> &'static str {
        match self {
            SourceKind::Demo => "Demodaten",
            SourceKind::Statistics => "Statistik",
            SourceKind::File => "Dateiimport",
            SourceKind::Manual => "Manuelle Eingabe",
        }
    }
}

/// Where a batch of values came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub kind: SourceKind,
    /// Short German label shown next to every figure, e.g. "Statistik der BA, Eckwerte (Blatt 1.1)".
    pub label: String,
    /// Longer provenance: publisher, product, file, licence.
    pub detail: String,
    pub file_name: Option<String>,
    /// SHA-256 of the file, hex.
    pub sha256: Option<String>,
}

/// A breakdown of a figure into classes, e.g. Bedarfsgemeinschaften by household size.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Breakdown {
    /// What is broken down by, e.g. [`Breakdown::HOUSEHOLD_SIZE`].
    pub dimension: String,
    /// The class, e.g. "3" or "6+".
    pub class: String,
}

impl Breakdown {
    /// Household size (persons in the Bedarfsgemeinschaft), as in the BA's KdU statistics.
    pub const HOUSEHOLD_SIZE: &'static str = "haushaltsgroesse";

    pub fn household_size(class: impl Into<String>) -> Self {
        Self {
            dimension: Self::HOUSEHOLD_SIZE.into(),
            class: class.into(),
        }
    }

    /// The stored form, `dimension=class`.
    pub fn key(&self) -> String {
        format!("{}={}", self.dimension, self.class)
    }

    /// Parses the stored form; `None` for the empty string (no breakdown) or a malformed key.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::parse(key).ok()
    }

    /// Parses `merkmal=ausprägung` strictly: spaces around either part are dropped (so
    /// ` haushaltsgroesse = 1 ` is the class `haushaltsgroesse=1`, not a second one), the
    /// characteristic is lower-case letters, digits and `_`, the class at most
    /// [`Breakdown::MAX_CLASS`] characters without control characters.
    pub fn parse(key: &str) -> Result<Self, String> {
        let Some((dimension, class)) = key.split_once('=') else {
            return Err("Erwartet wird Merkmal=Ausprägung, z. B. haushaltsgroesse=3".into());
        };
        let (dimension, class) = (dimension.trim(), class.trim());
        if dimension.is_empty()
            || !dimension
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(
                "Das Merkmal besteht aus Kleinbuchstaben, Ziffern und _, z. B. haushaltsgroesse"
                    .into(),
            );
        }
        if class.is_empty() {
            return Err("Die Ausprägung fehlt, z. B. haushaltsgroesse=3".into());
        }
        if class.chars().count() > Self::MAX_CLASS || class.chars().any(char::is_control) {
            return Err(format!(
                "Die Ausprägung hat höchstens {} Zeichen und keine Steuerzeichen",
                Self::MAX_CLASS
            ));
        }
        Ok(Self {
            dimension: dimension.into(),
            class: class.into(),
        })
    }

    /// The longest class name.
    pub const MAX_CLASS: usize = 60;
}

/// One reported value of one indicator for one region and period.
///
/// Indicators with a stored ratio keep numerator and denominator apart; the value is derived.
/// Twelve-month figures must be computed from the components, never by averaging ratios.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// The region the value belongs to (a Jobcenter, Kreis, Land or the Bund).
    pub region: RegionId,
    pub indicator: IndicatorCode,
    /// The last month of the value's period (the month itself for a monthly value).
    pub month: YearMonth,
    /// What the value covers: a month (most values), a year, a 12-month mean.
    #[serde(default)]
    pub period: PeriodKind,
    pub value: Option<f64>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub status: ValueStatus,
    /// The as-of date of the figure.
    pub datenstand: NaiveDate,
    /// `None` for the total; a class of a breakdown otherwise.
    pub breakdown: Option<Breakdown>,
}

impl Observation {
    pub fn period(&self) -> Period {
        Period {
            kind: self.period,
            end: self.month,
        }
    }
}

/// A current value with the source it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct CurrentValue {
    pub observation: Observation,
    pub source_kind: SourceKind,
    pub source_label: String,
}
