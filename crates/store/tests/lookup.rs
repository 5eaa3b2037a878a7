//! The current values an import compares with, read back as the store keeps them: a file
//! imported again changes nothing, whatever its numbers, and every value changed in it is a
//! revision. Series of 8 or more values in a chunk are read as ranges of months (on SQLite as
//! text, one row per range), shorter ones key by key: both are covered.

use chrono::NaiveDate;
use proptest::prelude::*;
use zielwerk_domain::{Observation, PeriodKind, Source, SourceKind, ValueStatus};
use zielwerk_store::{RecordOutcome, Store};

fn source(label: &str) -> Source {
    Source {
        kind: SourceKind::File,
        label: label.into(),
        detail: String::new(),
        file_name: Some(format!("{label}.csv")),
        sha256: None,
    }
}

/// `values` as months of BG from January 2005 on; a pair is a numerator and denominator (of
/// a breakdown, so that both shapes are stored).
fn observations(values: &[(f64, Option<f64>)]) -> Vec<Observation> {
    values
        .iter()
        .enumerate()
        .map(|(i, (v, denominator))| Observation {
            region: "t36402".parse().unwrap(),
            period: PeriodKind::Month,
            indicator: "BG".parse().unwrap(),
            month: format!("{}-{:02}", 2005 + i / 12, i % 12 + 1)
                .parse()
                .unwrap(),
            value: denominator.is_none().then_some(*v),
            numerator: denominator.map(|_| *v),
            denominator: *denominator,
            status: ValueStatus::Final,
            datenstand: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            breakdown: None,
        })
        .collect()
}

/// Any finite number: every bit pattern that is one (subnormals, negative zero, the largest).
fn finite() -> impl Strategy<Value = f64> {
    any::<u64>()
        .prop_map(f64::from_bits)
        .prop_filter("finite", |v| v.is_finite())
}

async fn check(store: &Store, values: &[(f64, Option<f64>)]) {
    let n = values.len() as u64;
    let first = observations(values);
    let o = store
        .record_observations(&source("a"), &first)
        .await
        .unwrap();
    assert_eq!(o.inserted, n);
    // Again: nothing changes.
    let o = store
        .record_observations(&source("b"), &first)
        .await
        .unwrap();
    assert_eq!(
        o,
        RecordOutcome {
            unchanged: n,
            ..Default::default()
        }
    );
    // Read back exactly as given.
    let bg: zielwerk_domain::IndicatorCode = "BG".parse().unwrap();
    let stored = store
        .current_values(
            "t36402".parse::<zielwerk_domain::RegionId>().unwrap(),
            &[&bg],
        )
        .await
        .unwrap();
    let bits = |v: Option<f64>| v.map(f64::to_bits);
    let wanted: Vec<_> = first
        .iter()
        .map(|o| {
            (
                o.month,
                bits(o.value),
                bits(o.numerator),
                bits(o.denominator),
            )
        })
        .collect();
    let got: Vec<_> = stored
        .iter()
        .map(|c| {
            let o = &c.observation;
            (
                o.month,
                bits(o.value),
                bits(o.numerator),
                bits(o.denominator),
            )
        })
        .collect();
    assert_eq!(got, wanted);
    // Every value changed by far more than the comparison allows: every one a revision.
    let changed: Vec<(f64, Option<f64>)> = values
        .iter()
        .map(|(v, d)| (if *v == 0.0 { 1.0 } else { v * 0.5 }, *d))
        .collect();
    let o = store
        .record_observations(&source("c"), &observations(&changed))
        .await
        .unwrap();
    assert_eq!(
        o,
        RecordOutcome {
            revised: n,
            ..Default::default()
        }
    );
}

async fn sqlite_store(dir: &tempfile::TempDir) -> Store {
    let store = Store::open(dir.path().join("t.db").to_str().unwrap())
        .await
        .unwrap();
    store
        .save_agreement(&zielwerk_demo::mettmann_agreement().unwrap())
        .await
        .unwrap();
    store
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn values_read_back_for_comparison_are_the_stored_ones(
        values in prop::collection::vec(
            (finite(), prop::option::of(finite().prop_filter("not zero", |d| *d != 0.0))),
            1..40,
        ),
    ) {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let store = sqlite_store(&dir).await;
            check(&store, &values).await;
            store.close().await;
        });
    }
}

#[tokio::test]
async fn values_read_back_for_comparison_on_postgres() {
    let cluster = zielwerk_testkit::PgCluster::start();
    let store = Store::open(&cluster.create_database("lookup"))
        .await
        .unwrap();
    store
        .save_agreement(&zielwerk_demo::mettmann_agreement().unwrap())
        .await
        .unwrap();
    let values: Vec<(f64, Option<f64>)> = (0..30)
        .map(|i| match i % 3 {
            0 => (f64::from_bits(0x0000_0000_0000_0001), None),
            1 => (0.1 + 0.2 * f64::from(i), Some(3.0)),
            _ => (f64::MAX / f64::from(i), None),
        })
        .collect();
    check(&store, &values).await;
    store.close().await;
}
