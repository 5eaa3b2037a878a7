//! What a value covers: a month, a calendar year, or a 12-month mean, as the statistics publish
//! them. A value keeps the last month of its period (its anchor) and the kind; values of
//! different kinds never share a key, so a 12-month mean never revises the monthly value of its
//! last month.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::month::{MonthError, YearMonth};

/// The kind of period a value covers.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    /// One calendar month (the SGB II reporting month).
    #[default]
    Month,
    /// A calendar year: for a stock or share its value at the year's reference date (or the
    /// year's average where the statistic says so), for a flow the sum over the year. The
    /// anchor is December.
    Year,
    /// The mean over the twelve months ending in the anchor month, as the BA publishes it
    /// (`202505..202604`).
    Mean12,
}

impl PeriodKind {
    pub const ALL: [PeriodKind; 3] = [PeriodKind::Month, PeriodKind::Year, PeriodKind::Mean12];

    /// Months from one period of this kind to the next of the same series.
    pub fn step(self) -> i32 {
        match self {
            PeriodKind::Month | PeriodKind::Mean12 => 1,
            PeriodKind::Year => 12,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Month => "month",
            PeriodKind::Year => "year",
            PeriodKind::Mean12 => "mean12",
        }
    }

    pub fn label_de(self) -> &'static str {
        match self {
            PeriodKind::Month => "Monatswert",
            PeriodKind::Year => "Jahreswert",
            PeriodKind::Mean12 => "Durchschnitt über 12 Monate",
        }
    }

    /// The unit of a distance between periods, singular and plural.
    pub fn unit_de(self) -> (&'static str, &'static str) {
        match self {
            PeriodKind::Month | PeriodKind::Mean12 => ("Monat", "Monate"),
            PeriodKind::Year => ("Jahr", "Jahre"),
        }
    }
}

/// A period: its kind and its last month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    pub kind: PeriodKind,
    /// The last month of the period (December for a year).
    pub end: YearMonth,
}

impl Period {
    pub fn month(end: YearMonth) -> Self {
        Self {
            kind: PeriodKind::Month,
            end,
        }
    }

    pub fn year(year: i32) -> Result<Self, MonthError> {
        Ok(Self {
            kind: PeriodKind::Year,
            end: YearMonth::new(year, 12)?,
        })
    }

    pub fn mean12(end: YearMonth) -> Self {
        Self {
            kind: PeriodKind::Mean12,
            end,
        }
    }

    /// The period `n` steps of its kind later (earlier for negative `n`).
    pub fn plus(self, n: i32) -> Option<Self> {
        Some(Self {
            kind: self.kind,
            end: self.end.plus(n * self.kind.step())?,
        })
    }

    /// The first month the period covers.
    pub fn start(self) -> Option<YearMonth> {
        match self.kind {
            PeriodKind::Month => Some(self.end),
            PeriodKind::Year | PeriodKind::Mean12 => self.end.plus(-11),
        }
    }

    /// A dense index within the kind: consecutive periods of one series differ by one.
    pub fn index(self) -> i32 {
        match self.kind {
            PeriodKind::Month | PeriodKind::Mean12 => self.end.index(),
            PeriodKind::Year => self.end.year(),
        }
    }

    /// The inverse of [`Period::index`].
    pub fn from_index(kind: PeriodKind, index: i32) -> Option<Self> {
        match kind {
            PeriodKind::Month | PeriodKind::Mean12 => Some(Self {
                kind,
                end: YearMonth::from_index(index)?,
            }),
            PeriodKind::Year => Self::year(index).ok(),
        }
    }

    /// German, e.g. "März 2022", "2022", "Durchschnitt Mai 2025 bis April 2026".
    pub fn german_long(self) -> String {
        match self.kind {
            PeriodKind::Month => self.end.german_long(),
            PeriodKind::Year => self.end.year().to_string(),
            PeriodKind::Mean12 => match self.start() {
                Some(s) => format!(
                    "Durchschnitt {} bis {}",
                    s.german_long(),
                    self.end.german_long()
                ),
                None => format!("Durchschnitt 12 Monate bis {}", self.end.german_long()),
            },
        }
    }

    /// Parses the stored form (see [`fmt::Display`]).
    pub fn parse(s: &str) -> Result<Self, MonthError> {
        let s = s.trim();
        if let Some((a, b)) = s.split_once("..") {
            let (start, end): (YearMonth, YearMonth) = (a.parse()?, b.parse()?);
            if start.months_until(end) != 11 {
                return Err(MonthError::Syntax(s.to_owned()));
            }
            return Ok(Self::mean12(end));
        }
        if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
            return Self::year(s.parse().map_err(|_| MonthError::Syntax(s.to_owned()))?);
        }
        s.parse().map(Self::month)
    }
}

impl std::str::FromStr for Period {
    type Err = MonthError;

    fn from_str(s: &str) -> Result<Self, MonthError> {
        Self::parse(s)
    }
}

impl fmt::Display for Period {
    /// `2022-06` (month), `2022` (year), `2021-07..2022-06` (12-month mean): a month's form
    /// is unchanged, so monthly values read as they always did.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            PeriodKind::Month => write!(f, "{}", self.end),
            PeriodKind::Year => write!(f, "{:04}", self.end.year()),
            PeriodKind::Mean12 => match self.start() {
                Some(s) => write!(f, "{s}..{}", self.end),
                None => write!(f, "..{}", self.end),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ym(s: &str) -> YearMonth {
        s.parse().unwrap()
    }

    #[test]
    fn stored_forms_round_trip_and_keep_the_month_form() {
        assert_eq!(Period::month(ym("2022-06")).to_string(), "2022-06");
        assert_eq!(Period::year(2015).unwrap().to_string(), "2015");
        assert_eq!(
            Period::mean12(ym("2026-04")).to_string(),
            "2025-05..2026-04"
        );
        for s in ["2022-06", "2015", "2025-05..2026-04"] {
            assert_eq!(Period::parse(s).unwrap().to_string(), s);
        }
        assert!(Period::parse("2025-06..2026-04").is_err(), "11 months");
        assert!(Period::parse("2004").is_err(), "before the SGB II");
    }

    #[test]
    fn a_mean_and_its_last_month_are_different_periods() {
        let month = Period::month(ym("2026-04"));
        let mean = Period::mean12(ym("2026-04"));
        assert_ne!(month, mean);
        assert_ne!(month.to_string(), mean.to_string());
    }

    #[test]
    fn years_step_by_years() {
        let y = Period::year(2005).unwrap();
        assert_eq!(y.plus(10).unwrap().to_string(), "2015");
        assert_eq!(y.plus(10).unwrap().index() - y.index(), 10);
        assert_eq!(y.plus(-1), None);
        assert_eq!(y.german_long(), "2005");
        assert_eq!(
            Period::mean12(ym("2026-04")).german_long(),
            "Durchschnitt Mai 2025 bis April 2026"
        );
    }

    proptest! {
        #[test]
        fn index_round_trips(kind in 0usize..3, i in (2006 * 12)..(2099 * 12)) {
            let kind = PeriodKind::ALL[kind];
            let i = if kind == PeriodKind::Year { i / 12 } else { i };
            let p = Period::from_index(kind, i).unwrap();
            prop_assert_eq!(p.index(), i);
            prop_assert_eq!(Period::parse(&p.to_string()).unwrap(), p);
        }
    }
}
