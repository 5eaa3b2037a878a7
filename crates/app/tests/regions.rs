//! Comparisons on the real INKAR file (issue 19): Mettmann's housing costs per BG for 2021 and
//! its rank among the Kreise of Nordrhein-Westfalen and among its computed comparison group,
//! each against a computation by hand over the file.

use std::collections::BTreeMap;

use zielwerk_app::regions::{self, Request};
use zielwerk_store::Store;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
const FILE: &str = "../shared/data/real/inkar/inkar_sgb2_kreise_2007_2022.csv";

async fn store_with_inkar(dir: &tempfile::TempDir) -> Store {
    let store = Store::open(dir.path().join("z.db").to_str().unwrap())
        .await
        .unwrap();
    let mapping = zielwerk_ingest::mapped::parse_mapping(
        "inkar.toml",
        &std::fs::read_to_string(format!("{ROOT}/mappings/inkar-sgb2-kreise.toml")).unwrap(),
    )
    .unwrap();
    let request = zielwerk_importer::Request {
        name: "inkar.csv".into(),
        input: Box::new(std::fs::File::open(format!("{ROOT}/{FILE}")).unwrap()),
        mapping: Some(mapping),
        recorded_by: "Test".into(),
        via: "Test",
        commit: true,
        may_write: None,
        progress: None,
    };
    zielwerk_importer::run(&store, request, "02.12.2026 10:00")
        .await
        .unwrap();
    store
}

/// The file's Kreise of 2021: Kennziffer (five digits) → column → value.
fn kreise_2021() -> BTreeMap<String, BTreeMap<String, f64>> {
    let mut reader = csv::Reader::from_path(format!("{ROOT}/{FILE}")).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(Result::unwrap)
        .filter(|r| &r[0] == "Kreise" && &r[3] == "2021")
        .map(|r| {
            let values = headers
                .iter()
                .zip(r.iter())
                .skip(4)
                .filter_map(|(h, v)| Some((h.to_owned(), v.parse::<f64>().ok()?)))
                .collect();
            (r[1][..5].to_owned(), values)
        })
        .collect()
}

/// Rank where lower is better: one more than the number of lower values.
fn rank(value: f64, values: impl Iterator<Item = f64>) -> usize {
    1 + values.filter(|v| *v < value).count()
}

#[tokio::test]
async fn mettmanns_housing_costs_rank_as_a_hand_computation_over_the_file_says() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_inkar(&dir).await;
    let p = zielwerk_app::access::operator("test");
    let assessments = zielwerk_app::assessments::Assessments::new(store.clone());
    let request = Request {
        indicator: Some("D_UNTERKUNFT_LSTG".into()),
        year: Some("2021".into()),
        ..Request::default()
    };
    let view = regions::region(&store, &p, "05158000", &request)
        .await
        .unwrap();
    assert_eq!(view.value, Some(477.25));

    // By hand: the Kreise of NRW (Kennziffer 05…) in 2021, lower is better.
    let file = kreise_2021();
    let kdu = |k: &str| file[k].get("d_Unterkunft_Lstg").copied();
    let nrw: Vec<f64> = file
        .keys()
        .filter(|k| k.starts_with("05"))
        .filter_map(|k| kdu(k))
        .collect();
    let in_land = view.in_land.unwrap();
    assert_eq!(
        (in_land.rank, in_land.of),
        (rank(477.25, nrw.iter().copied()), 53)
    );
    assert_eq!(in_land.rank, 48);
    assert_eq!(
        in_land.words_de("Kreisen in Nordrhein-Westfalen"),
        "Rang 48 von 53 Kreisen in Nordrhein-Westfalen; niedriger ist besser"
    );

    // By hand: the group. z-scores over the Kreise with all six features (the density on its
    // logarithm), root mean square of the differences, the ten nearest.
    let features = [
        ("q_SGBII", false),
        ("q_bev_fl", true),
        ("a_BG1P", false),
        ("a_BGKind", false),
        ("a_ewfBG_allein", false),
        ("a_ewfBG_55um_", false),
    ];
    let complete: BTreeMap<&String, Vec<f64>> = file
        .iter()
        .filter_map(|(k, row)| {
            let v: Option<Vec<f64>> = features
                .iter()
                .map(|(c, log)| row.get(*c).map(|x| if *log { x.ln() } else { *x }))
                .collect();
            Some((k, v?))
        })
        .collect();
    let n = complete.len() as f64;
    let stats: Vec<(f64, f64)> = (0..features.len())
        .map(|i| {
            let mean = complete.values().map(|v| v[i]).sum::<f64>() / n;
            let sd = (complete
                .values()
                .map(|v| (v[i] - mean).powi(2))
                .sum::<f64>()
                / n)
                .sqrt();
            (mean, sd)
        })
        .collect();
    let me = &complete[&"05158".to_owned()];
    let mut distances: Vec<(f64, &String)> = complete
        .iter()
        .filter(|(k, _)| k.as_str() != "05158")
        .map(|(k, v)| {
            let d2: f64 = (0..features.len())
                .map(|i| ((v[i] - me[i]) / stats[i].1).powi(2))
                .sum();
            ((d2 / features.len() as f64).sqrt(), *k)
        })
        .collect();
    distances.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
    let nearest: Vec<&String> = distances.iter().take(10).map(|d| d.1).collect();
    let group = view.group.as_ref().unwrap();
    assert_eq!(
        group
            .members
            .iter()
            .map(|m| m.region.to_string())
            .collect::<Vec<_>>(),
        nearest.iter().map(|k| k.to_string()).collect::<Vec<_>>()
    );
    for (m, d) in group.members.iter().zip(&distances) {
        assert!((m.distance - d.0).abs() < 1e-9);
    }
    let in_group = view.in_group.unwrap();
    let hand = rank(
        477.25,
        nearest.iter().filter_map(|k| kdu(k)).chain([477.25]),
    );
    assert_eq!((in_group.rank, in_group.of), (hand, 11));
    println!(
        "Mettmann 2021: Rang {} von 53 in NRW, Rang {} von 11 in der Gruppe {:?}",
        in_land.rank, in_group.rank, nearest
    );

    // The Land view lists the 53 Kreise with the same rank.
    let area = regions::area(&store, &assessments, &p, "05", &request)
        .await
        .unwrap();
    assert_eq!(area.rows.len(), 53);
    let row = area
        .rows
        .iter()
        .find(|r| r.region.id.as_str() == "05158")
        .unwrap();
    assert_eq!((row.value, row.rank), (Some(477.25), Some(48)));
    assert_eq!(area.rows[0].rank, Some(1), "sorted by rank");
    // The filter keeps what matches; the Bund lists all 400.
    let filtered = regions::area(
        &store,
        &assessments,
        &p,
        "05",
        &Request {
            filter: Some("mett".into()),
            ..request.clone()
        },
    )
    .await
    .unwrap();
    assert_eq!(filtered.rows.len(), 1);
    let bund = regions::area(&store, &assessments, &p, "DE", &request)
        .await
        .unwrap();
    assert_eq!(bund.rows.len(), 400);
}
