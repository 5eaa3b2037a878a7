//! Values as they were reported: with their source, Datenstand and status.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::ids::{BaId, IndicatorCode};
use crate::month::YearMonth;

/// Whether a value is final or projected. The BA publishes projected ("hochgerechnete") values at
/// the current edge and replaces them with counted values after the three-month waiting period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueStatus {
    Projected,
    Final,
}

impl ValueStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ValueStatus::Projected => "projected",
            ValueStatus::Final => "final",
        }
    }

    pub fn label_de(self) -> &'static str {
        match self {
            ValueStatus::Projected => "vorläufig (hochgerechnet)",
            ValueStatus::Final => "endgültig",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "projected" => Some(Self::Projected),
            "final" => Some(Self::Final),
            _ => None,
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

/// One reported value of one indicator for one Jobcenter and month.
///
/// Indicators with a stored ratio keep numerator and denominator apart; the value is derived.
/// Twelve-month figures must be computed from the components, never by averaging ratios.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub jobcenter: BaId,
    pub indicator: IndicatorCode,
    pub month: YearMonth,
    pub value: Option<f64>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub status: ValueStatus,
    /// The as-of date of the figure.
    pub datenstand: NaiveDate,
}
