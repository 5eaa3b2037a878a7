//! Jobcenter Regensburg's real monthly figures (BA "Eckwerte für Jobcenter", sheet 1.1).
//!
//! The file ships unchanged in `data/` (see `data/PROVENANCE.md`) and is read through the same
//! mapping file a user would import it with (`mappings/regensburg-kennzahlen-sgb2.toml`): values
//! with a fractional part are the BA's projections ("hochgerechnete Werte") and are stored as
//! projected, whole numbers as final. The file does not record when each month was published, so
//! the Datenstand is taken as the first day of the following month and the source says so.

use zielwerk_domain::{Observation, Source, SourceKind};
use zielwerk_ingest::long_csv::{Catalog, Refused};

const FILE_NAME: &str = "kennzahlen_sgb2.csv";
const CSV: &str = include_str!("../data/kennzahlen_sgb2.csv");
const MAPPING: &str = include_str!("../../../mappings/regensburg-kennzahlen-sgb2.toml");
pub const BA_ID: &str = "t73906";

#[derive(Debug, thiserror::Error)]
pub enum RegensburgError {
    #[error("{0}")]
    Mapping(String),
    #[error(transparent)]
    Refused(#[from] Refused),
    #[error(transparent)]
    Agreement(#[from] zielwerk_ingest::AgreementFileError),
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

/// All figures of the file as observations, read through the shipped mapping.
pub fn figures() -> Result<Vec<Observation>, RegensburgError> {
    let agreement = crate::regensburg_agreement().map_err(|e| match e {
        crate::DemoError::Agreement(a) => RegensburgError::Agreement(a),
        other => RegensburgError::Mapping(other.to_string()),
    })?;
    let mut catalog = Catalog::default();
    catalog.regions.insert((&agreement.jobcenter.ba_id).into());
    for ind in agreement.indicators {
        catalog.indicators.insert(ind.code.clone(), ind);
    }
    let mapping =
        zielwerk_ingest::mapped::parse_mapping("regensburg-kennzahlen-sgb2.toml", MAPPING)
            .map_err(RegensburgError::Mapping)?;
    let mut out = Vec::new();
    let mut sink = |chunk: Vec<Observation>| {
        out.extend(chunk);
        Ok(())
    };
    zielwerk_ingest::mapped::read_mapped(FILE_NAME, CSV.as_bytes(), &mapping, &catalog, &mut sink)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use zielwerk_domain::{ValueStatus, YearMonth};

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
