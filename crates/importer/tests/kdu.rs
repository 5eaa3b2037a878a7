//! KdU as the BA publishes it (issue 18): the real Mettmann housing-cost file and its synthetic
//! year-earlier twin (`scripts/kdu-year-before.py`) import through the shipped mapping, and the
//! change of the recognised KdU splits into quantity, price and structure by household size,
//! exactly, from BG with recognised KdU and the KdU per such BG.

use std::collections::BTreeMap;

use zielwerk_domain::{Observation, YearMonth};
use zielwerk_importer::Report;
use zielwerk_store::Store;

mod common;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
const REAL: &str =
    "../shared/data/real/ba_wohnkosten_mettmann/t36402_mettmann_202604_household_size.csv";
const TWIN: &str = "crates/demo/data/synthetisch_t36402_202504_household_size.csv";
const SIZES: [&str; 6] = [
    "1_person",
    "2_persons",
    "3_persons",
    "4_persons",
    "5_persons",
    "6_or_more_persons",
];

async fn import(store: &Store, file: &str) -> Report {
    let mapping_text = std::fs::read_to_string(format!(
        "{ROOT}/mappings/ba-wohnkosten-haushaltsgroesse.toml"
    ))
    .unwrap();
    let mapping = zielwerk_ingest::mapped::parse_mapping("ba.toml", &mapping_text).unwrap();
    common::import(
        store,
        file.rsplit('/').next().unwrap(),
        Box::new(std::fs::File::open(format!("{ROOT}/{file}")).unwrap()),
        Some(mapping),
        true,
    )
    .await
}

/// Per household size: (BG with recognised KdU, recognised KdU per such BG), read from the file
/// by hand.
fn cells(file: &str) -> Vec<(f64, f64)> {
    let mut reader = csv::Reader::from_path(format!("{ROOT}/{file}")).unwrap();
    let rows: BTreeMap<String, csv::StringRecord> = reader
        .records()
        .map(Result::unwrap)
        .map(|r| (r[5].to_owned(), r))
        .collect();
    let headers = reader.headers().unwrap().clone();
    let at = |measure: &str, size: &str| -> f64 {
        let col = headers.iter().position(|h| h == size).unwrap();
        rows[measure][col].parse().unwrap()
    };
    SIZES
        .iter()
        .map(|s| {
            (
                at("bg_stock_with_recognised_kdu", s),
                at("recognised_kdu_total_eur_per_bg", s),
            )
        })
        .collect()
}

/// The Shapley split of Σ_h B·s_h·k_h computed the long way: for every order in which the three
/// factors (B total BG, s share of the size, k cost per BG) switch from start to end, the change
/// each switch makes, averaged over the six orders.
fn shapley(start: &[(f64, f64)], end: &[(f64, f64)]) -> [f64; 3] {
    let total = |c: &[(f64, f64)]| c.iter().map(|x| x.0).sum::<f64>();
    let (b0, b1) = (total(start), total(end));
    let orders = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    let mut effect = [0.0; 3];
    for (c0, c1) in start.iter().zip(end) {
        let factors = [[b0, b1], [c0.0 / b0, c1.0 / b1], [c0.1, c1.1]];
        let value = |switched: [bool; 3]| -> f64 {
            (0..3)
                .map(|f| factors[f][usize::from(switched[f])])
                .product()
        };
        for order in orders {
            let mut switched = [false; 3];
            for f in order {
                let before = value(switched);
                switched[f] = true;
                effect[f] += (value(switched) - before) / 6.0;
            }
        }
    }
    effect
}

#[tokio::test]
async fn the_recognised_kdu_change_splits_by_household_size_from_ba_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("z.db").to_str().unwrap())
        .await
        .unwrap();
    let agreement = zielwerk_ingest::parse(
        "kdu.toml",
        &std::fs::read_to_string(format!(
            "{ROOT}/crates/demo/data/vereinbarung_t36402_2026_kdu.toml"
        ))
        .unwrap(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    store.save_agreement(&agreement).await.unwrap();
    for file in [TWIN, REAL] {
        let report = import(&store, file).await;
        assert_eq!(report.outcome.inserted, 22, "{file}");
        assert!(
            report.accepted.warnings.is_empty(),
            "{file}: {:?}",
            report.accepted.warnings
        );
    }

    let codes = agreement.stored_indicator_codes();
    let region = &agreement.jobcenter.ba_id;
    let observations: Vec<Observation> = store
        .current_values(region, &codes)
        .await
        .unwrap()
        .into_iter()
        .chain(store.breakdown_values(region, &codes).await.unwrap())
        .map(|v| v.observation)
        .collect();
    let april: YearMonth = "2026-04".parse().unwrap();
    let state = zielwerk_engine::assess_agreement(&agreement, &observations, april);

    // The product is the BA's count times the BA's mean: no BG without recognised KdU in it.
    let total = state.series(&"KDU_ANERKANNT_SUMME".parse().unwrap());
    assert_eq!(total[&april].value, 16_878.0 * 732.3986);

    let (start, end) = (cells(TWIN), cells(REAL));
    let sum = |c: &[(f64, f64)]| c.iter().map(|(b, k)| b * k).sum::<f64>();
    let [quantity, structure, price] = shapley(&start, &end);
    for key in ["kdu-summe", "kdu-je-bg"] {
        let goal = agreement
            .goals
            .iter()
            .find(|g| g.key.as_str() == key)
            .unwrap();
        let e = state
            .explain_change(goal)
            .unwrap_or_else(|| panic!("{key}"));
        assert_eq!(
            (
                e.total.code.as_str(),
                e.quantity.code.as_str(),
                e.price.code.as_str()
            ),
            (
                "KDU_ANERKANNT_SUMME",
                "BG_MIT_ANERKANNTEN_KDU",
                "KDU_ANERKANNT_JE_BG"
            )
        );
        // April by household size; January to March have no files and are counted.
        assert_eq!(
            (e.months_used, e.months_by_household, e.months_missing),
            (1, 1, 3)
        );
        assert_eq!((e.first, e.last), (april, april));
        let d = e.decomposition;
        assert!((d.start - sum(&start)).abs() < 1e-6, "{d:?}");
        assert!((d.end - sum(&end)).abs() < 1e-6, "{d:?}");
        assert!(d.residual().abs() < 1e-6, "{d:?}");
        for (engine, hand) in [
            (d.quantity, quantity),
            (d.price, price),
            (d.structure, structure),
        ] {
            assert!((engine - hand).abs() < 1e-6, "{engine} vs {hand}");
        }
        // The twin has fewer single households a year earlier and more large ones: the mix
        // shifted towards cheaper flats.
        assert!(
            d.structure < 0.0 && d.price > 0.0 && d.quantity > 0.0,
            "{d:?}"
        );
    }
}
