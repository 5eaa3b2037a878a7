//! Calendar months, the natural grain of SGB II reporting ("Berichtsmonat").

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Earliest year Zielwerk accepts. The SGB II started in 2005; older months are typing errors.
pub const MIN_YEAR: i32 = 2005;
/// Latest year Zielwerk accepts.
pub const MAX_YEAR: i32 = 2100;

/// A calendar month such as 2022-03. Always within [`MIN_YEAR`]..=[`MAX_YEAR`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    year: i32,
    month: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MonthError {
    #[error("„{0}“ ist kein Monat im Format JJJJ-MM (z. B. 2022-03)")]
    Syntax(String),
    #[error("Monat {0} liegt außerhalb von 1 bis 12")]
    MonthOutOfRange(u32),
    #[error("Jahr {0} liegt außerhalb des zulässigen Bereichs {MIN_YEAR} bis {MAX_YEAR}")]
    YearOutOfRange(i32),
}

const MONTH_NAMES_DE: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];

const MONTH_ABBR_DE: [&str; 12] = [
    "Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez",
];

impl YearMonth {
    pub fn new(year: i32, month: u32) -> Result<Self, MonthError> {
        if !(1..=12).contains(&month) {
            return Err(MonthError::MonthOutOfRange(month));
        }
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(MonthError::YearOutOfRange(year));
        }
        Ok(Self {
            year,
            month: month as u8,
        })
    }

    pub fn year(self) -> i32 {
        self.year
    }

    /// Month of the year, 1 to 12.
    pub fn month(self) -> u32 {
        u32::from(self.month)
    }

    /// A dense index (months since year 0), handy for arithmetic and array keys.
    pub fn index(self) -> i32 {
        self.year * 12 + i32::from(self.month) - 1
    }

    pub fn from_index(index: i32) -> Option<Self> {
        let year = index.div_euclid(12);
        let month = index.rem_euclid(12) as u32 + 1;
        Self::new(year, month).ok()
    }

    /// The month `n` months later (or earlier for negative `n`), if it is still in range.
    pub fn plus(self, n: i32) -> Option<Self> {
        Self::from_index(self.index() + n)
    }

    pub fn next(self) -> Option<Self> {
        self.plus(1)
    }

    pub fn prev(self) -> Option<Self> {
        self.plus(-1)
    }

    /// Signed number of months from `self` to `other`.
    pub fn months_until(self, other: YearMonth) -> i32 {
        other.index() - self.index()
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month(), 1).expect("valid by construction")
    }

    pub fn last_day(self) -> NaiveDate {
        match self.next() {
            Some(next) => next.first_day().pred_opt().expect("valid"),
            None => NaiveDate::from_ymd_opt(self.year, 12, 31).expect("valid"),
        }
    }

    /// The month containing `date`, if its year is in range.
    pub fn of_date(date: NaiveDate) -> Result<Self, MonthError> {
        Self::new(date.year(), date.month())
    }

    /// January and December of `year`.
    pub fn year_bounds(year: i32) -> Result<(Self, Self), MonthError> {
        Ok((Self::new(year, 1)?, Self::new(year, 12)?))
    }

    /// All months from `self` to `last`, both included (empty if `last` is earlier).
    pub fn through(self, last: YearMonth) -> impl Iterator<Item = YearMonth> {
        (self.index()..=last.index()).filter_map(Self::from_index)
    }

    /// German long form, e.g. "März 2022".
    pub fn german_long(self) -> String {
        format!("{} {}", MONTH_NAMES_DE[self.month as usize - 1], self.year)
    }

    /// The months from `self` to `last` in German: "Juli 2022 bis Dezember 2022", or one month
    /// alone.
    pub fn german_span(self, last: YearMonth) -> String {
        if self == last {
            self.german_long()
        } else {
            format!("{} bis {}", self.german_long(), last.german_long())
        }
    }

    /// German short form, e.g. "Mär 22".
    pub fn german_short(self) -> String {
        format!(
            "{} {:02}",
            MONTH_ABBR_DE[self.month as usize - 1],
            self.year.rem_euclid(100)
        )
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for YearMonth {
    type Err = MonthError;

    /// Parses the canonical form `YYYY-MM`. Other spellings ("03/2022", "März 2022") are the
    /// business of the import layer, which knows the file they came from.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let syntax = || MonthError::Syntax(s.to_owned());
        let (y, m) = s.trim().split_once('-').ok_or_else(syntax)?;
        if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(syntax());
        }
        let year: i32 = y.parse().map_err(|_| syntax())?;
        let month: u32 = m.parse().map_err(|_| syntax())?;
        Self::new(year, month)
    }
}

impl Serialize for YearMonth {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for YearMonth {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_canonical_form() {
        let m: YearMonth = "2022-03".parse().unwrap();
        assert_eq!((m.year(), m.month()), (2022, 3));
        assert_eq!(m.to_string(), "2022-03");
        assert_eq!(m.german_long(), "März 2022");
        assert_eq!(m.german_short(), "Mär 22");
    }

    #[test]
    fn rejects_bad_months() {
        for bad in [
            "2022-13", "2022-00", "1999-01", "2022-3", "22-03", "2022/03", "", "abcd-ef",
        ] {
            assert!(bad.parse::<YearMonth>().is_err(), "{bad} accepted");
        }
        assert_eq!(
            "2022-13".parse::<YearMonth>().unwrap_err().to_string(),
            "Monat 13 liegt außerhalb von 1 bis 12"
        );
    }

    #[test]
    fn arithmetic_crosses_years() {
        let m: YearMonth = "2022-01".parse().unwrap();
        assert_eq!(m.prev().unwrap().to_string(), "2021-12");
        assert_eq!(m.plus(-12).unwrap().to_string(), "2021-01");
        assert_eq!(m.plus(11).unwrap().to_string(), "2022-12");
        assert_eq!(m.last_day().to_string(), "2022-01-31");
        let feb: YearMonth = "2024-02".parse().unwrap();
        assert_eq!(feb.last_day().to_string(), "2024-02-29");
        assert_eq!(m.through("2022-03".parse().unwrap()).count(), 3);
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(year in MIN_YEAR..=MAX_YEAR, month in 1u32..=12) {
            let m = YearMonth::new(year, month).unwrap();
            prop_assert_eq!(m.to_string().parse::<YearMonth>().unwrap(), m);
        }

        #[test]
        fn plus_is_inverse_of_months_until(a in 2005i32*12..2100*12, d in -120i32..120) {
            let m = YearMonth::from_index(a).unwrap();
            if let Some(n) = m.plus(d) {
                prop_assert_eq!(m.months_until(n), d);
            }
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,12}") {
            let _ = s.parse::<YearMonth>();
        }
    }
}
