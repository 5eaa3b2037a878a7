//! Jobcenter Regensburg's real monthly figures (BA "Eckwerte für Jobcenter", sheet 1.1).
//!
//! The file ships unchanged in `data/` (see `data/PROVENANCE.md`). Values with a fractional part
//! are the BA's projections ("hochgerechnete Werte") and are stored as projected; whole numbers
//! are counted values and stored as final. The file does not record when each month was
//! published, so the Datenstand is taken as the first day of the following month and the source
//! says so.

use chrono::NaiveDate;
use zielwerk_domain::{
    BaId, IndicatorCode, Observation, Source, SourceKind, ValueStatus, YearMonth,
};

const FILE_NAME: &str = "kennzahlen_sgb2.csv";
const CSV: &str = include_str!("../data/kennzahlen_sgb2.csv");
pub const BA_ID: &str = "t73906";

/// Column → indicator code in `examples/agreement-regensburg-2026.toml`.
const COLUMNS: [(&str, &str); 6] = [
    ("Bedarfsgemeinschaften", "BG"),
    ("Erwerbsfähige Leistungsberechtigte (ELB)", "ELB"),
    ("Nicht erwerbsfähige Leistungsberechtigte (NEF)", "NEF"),
    ("Regelleistungsberechtigte (RLB)", "RLB"),
    ("Arbeitslose (Bestand)", "ALO_SGB2"),
    ("Langzeitarbeitslose", "LZA_SGB2"),
];

#[derive(Debug, thiserror::Error)]
pub enum RegensburgError {
    #[error("{FILE_NAME}: CSV nicht lesbar: {0}")]
    Csv(#[from] csv::Error),
    #[error("{FILE_NAME}: Spalte „{0}“ fehlt")]
    MissingColumn(&'static str),
    #[error("{FILE_NAME}, Zeile {row}, Spalte „{column}“: „{value}“ ist {expected}")]
    Value {
        row: usize,
        column: String,
        value: String,
        expected: &'static str,
    },
}

pub fn source() -> Source {
    Source {
        kind: SourceKind::Statistics,
        label: "Statistik der Bundesagentur für Arbeit, Eckwerte für Jobcenter (Blatt 1.1)".into(),
        detail: "Echte Monatswerte des Jobcenters Regensburg (t73906), Januar 2025 bis Juni 2026, gesammelt vom öffentlichen Repository eufunk/arbeitsmarkt-regensburg (Data/processed/kennzahlen_sgb2.csv). Werte mit Nachkommastellen sind Hochrechnungen der BA (vorläufig). Der Veröffentlichungstag ist nicht überliefert; als Datenstand gilt der erste Tag des Folgemonats.".into(),
        file_name: Some(FILE_NAME.into()),
        sha256: None,
    }
}

/// All figures of the file as observations.
pub fn figures() -> Result<Vec<Observation>, RegensburgError> {
    let jobcenter: BaId = BA_ID.parse().expect("valid id");
    let mut reader = csv::Reader::from_reader(CSV.as_bytes());
    let headers = reader.headers()?.clone();
    let index = |name: &'static str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or(RegensburgError::MissingColumn(name))
    };
    let period = index("period")?;
    let columns = COLUMNS
        .iter()
        .map(|(col, code)| {
            Ok((
                index(col)?,
                *col,
                code.parse::<IndicatorCode>().expect("valid"),
            ))
        })
        .collect::<Result<Vec<_>, RegensburgError>>()?;
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record?;
        let row = i + 2; // 1-based, after the header line
        let raw_period = &record[period];
        let bad = |column: &str, value: &str, expected| RegensburgError::Value {
            row,
            column: column.to_owned(),
            value: value.to_owned(),
            expected,
        };
        let date = NaiveDate::parse_from_str(raw_period, "%Y-%m-%d")
            .map_err(|_| bad("period", raw_period, "kein Datum im Format JJJJ-MM-TT"))?;
        let month = YearMonth::of_date(date)
            .map_err(|_| bad("period", raw_period, "kein Monat im zulässigen Bereich"))?;
        let datenstand = month
            .next()
            .map(YearMonth::first_day)
            .ok_or_else(|| bad("period", raw_period, "zu spät"))?;
        for (idx, col, code) in &columns {
            let raw = &record[*idx];
            let value: f64 = raw
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| bad(col, raw, "keine nicht negative Zahl"))?;
            let status = if value.fract() == 0.0 {
                ValueStatus::Final
            } else {
                ValueStatus::Projected
            };
            out.push(Observation {
                jobcenter: jobcenter.clone(),
                indicator: code.clone(),
                month,
                value: Some(value),
                numerator: None,
                denominator: None,
                status,
                datenstand,
                breakdown: None,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_copy_is_identical_to_the_shared_original() {
        let shared = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/real/regensburg/kennzahlen_sgb2.csv"
        );
        match std::fs::read_to_string(shared) {
            Ok(original) => assert_eq!(
                original, CSV,
                "data/kennzahlen_sgb2.csv differs from {shared}"
            ),
            // The shared folder sits beside every checkout and CI clone; without it there is
            // nothing to compare, which must not pass silently in CI.
            Err(e) => assert!(std::env::var_os("CI").is_none(), "{shared}: {e}"),
        }
    }

    #[test]
    fn rlb_is_elb_plus_nef_in_every_month() {
        let figures = figures().unwrap();
        let get = |code: &str, month: YearMonth| {
            figures
                .iter()
                .find(|o| o.indicator.as_str() == code && o.month == month)
                .and_then(|o| o.value)
                .unwrap()
        };
        let months: std::collections::BTreeSet<_> = figures.iter().map(|o| o.month).collect();
        assert_eq!(months.len(), 18);
        assert_eq!(months.first().unwrap().to_string(), "2025-01");
        assert_eq!(months.last().unwrap().to_string(), "2026-06");
        for m in months {
            let (rlb, elb, nef) = (get("RLB", m), get("ELB", m), get("NEF", m));
            assert!(
                (rlb - (elb + nef)).abs() < 1e-6,
                "{m}: {rlb} != {elb} + {nef}"
            );
        }
    }

    #[test]
    fn projected_and_counted_values_are_told_apart() {
        let figures = figures().unwrap();
        let jan = "2025-01".parse::<YearMonth>().unwrap();
        let bg = figures
            .iter()
            .find(|o| o.indicator.as_str() == "BG" && o.month == jan)
            .unwrap();
        assert_eq!(bg.status, ValueStatus::Projected);
        assert_eq!(bg.value, Some(2797.30338102));
        let alo = figures
            .iter()
            .find(|o| o.indicator.as_str() == "ALO_SGB2" && o.month == jan)
            .unwrap();
        assert_eq!(alo.status, ValueStatus::Final);
        assert_eq!(alo.value, Some(1470.0));
    }
}
