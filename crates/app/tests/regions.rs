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
        by_hand: false,
        about: None,
    };
    zielwerk_importer::run(&store, request, "02.12.2026 10:00")
        .await
        .unwrap();
    store
}

/// The file's Kreise of 2021: Kennziffer (five digits) → column → value.
fn kreise_2021() -> BTreeMap<String, BTreeMap<String, f64>> {
    kreise("2021")
}

/// The file's Kreise of `year`: Kennziffer (five digits) → column → value.
fn kreise(year: &str) -> BTreeMap<String, BTreeMap<String, f64>> {
    let mut reader = csv::Reader::from_path(format!("{ROOT}/{FILE}")).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(Result::unwrap)
        .filter(|r| &r[0] == "Kreise" && &r[3] == year)
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
    let Ok(regions::GroupUsed::Computed(group)) = &view.group else {
        panic!("no computed group: {:?}", view.group);
    };
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

/// The `p`-quantile by linear interpolation (R's default), computed here by hand.
fn quantile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let h = (v.len() - 1) as f64 * p;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    v[lo] + (h - lo as f64) * (v[hi] - v[lo])
}

#[tokio::test]
async fn a_goal_is_compared_with_its_group_over_the_years_and_an_assigned_group_takes_over() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_inkar(&dir).await;
    let agreement = zielwerk_demo::mettmann_agreement().unwrap();
    store.save_agreement(&agreement).await.unwrap();
    let code: zielwerk_domain::IndicatorCode = "KDU_JE_BG".parse().unwrap();

    // Computed: the latest year with Mettmann's value is 2022; INKAR lacks a structural
    // indicator for 2022, so the group is the one of 2021 (named so).
    let all = regions::benchmarks(&store, &agreement).await.unwrap();
    assert_eq!(
        all.keys().collect::<Vec<_>>(),
        [&code],
        "only KdU per BG names a statistic"
    );
    let b = &all[&code];
    assert_eq!((b.kreis.id.as_str(), b.year), ("05158", 2022));
    let Ok(regions::GroupUsed::Computed(g)) = &b.group else {
        panic!("{:?}", b.group)
    };
    assert_eq!((g.year, g.members.len()), (2021, 10));
    assert!(
        b.group_named.contains("berechnet aus den Werten von 2021"),
        "{}",
        b.group_named
    );
    assert_eq!(
        b.years.first().map(|y| y.year),
        Some(2008),
        "INKAR has KdU per BG from 2008"
    );
    let y2021 = b.years.iter().find(|y| y.year == 2021).unwrap();
    assert_eq!(y2021.own, Some(477.25));

    // Every year's median and quartiles are those of the group's values in the file.
    let members: Vec<String> = g
        .members
        .iter()
        .map(|m| m.region.to_string())
        .chain(["05158".to_owned()])
        .collect();
    for y in &b.years {
        let file = kreise(&y.year.to_string());
        let values: Vec<f64> = members
            .iter()
            .filter_map(|k| file.get(k)?.get("d_Unterkunft_Lstg").copied())
            .collect();
        match y.group {
            Some((q1, median, q3, n)) => {
                assert_eq!(n, values.len(), "{}", y.year);
                for (got, p) in [(q1, 0.25), (median, 0.5), (q3, 0.75)] {
                    assert!(
                        (got - quantile(values.clone(), p)).abs() < 1e-9,
                        "{} {p}",
                        y.year
                    );
                }
            }
            None => assert!(values.is_empty(), "{}", y.year),
        }
    }
    // The place among the Kreise of NRW in 2022, by hand.
    let file = kreise("2022");
    let own = file["05158"]["d_Unterkunft_Lstg"];
    let nrw = file
        .iter()
        .filter(|(k, _)| k.starts_with("05"))
        .filter_map(|(_, v)| v.get("d_Unterkunft_Lstg").copied());
    let in_land = b.in_land.unwrap();
    assert_eq!(
        (in_land.rank, in_land.of),
        (rank(own, nrw.clone()), nrw.count())
    );
    assert!(
        b.sentence_de().contains("niedriger ist besser"),
        "{}",
        b.sentence_de()
    );

    // Assigned from a file: Mettmann with four other Kreise.
    let p = zielwerk_app::access::operator("test");
    let typen = "kreis;vergleichstyp;bezeichnung\n05158;IIc;Städtisch, hohe Kosten\n05111;IIc;Städtisch, hohe Kosten\n05162;IIc;Städtisch, hohe Kosten\n05170;IIc;Städtisch, hohe Kosten\n05382;IIc;Städtisch, hohe Kosten\n09362;Ia;Ländlich\n";
    let done = regions::import_grouping(
        &store,
        &p,
        "Vergleichstypen (Test)",
        "typen.csv",
        typen.as_bytes(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!((done.regions, done.groups), (6, 2));
    let b = regions::benchmarks(&store, &agreement)
        .await
        .unwrap()
        .remove(&code)
        .unwrap();
    let Ok(regions::GroupUsed::Assigned(a)) = &b.group else {
        panic!("{:?}", b.group)
    };
    assert_eq!(a.members.len(), 5);
    assert!(
        b.group_named.starts_with("Vergleichsgruppe: Vergleichstypen (Test) „IIc“ (Städtisch, hohe Kosten) mit 4 weiteren Kreisen (zugeordnet aus der Datei typen.csv"),
        "{}",
        b.group_named
    );
    let five = ["05158", "05111", "05162", "05170", "05382"]
        .iter()
        .map(|k| file[*k]["d_Unterkunft_Lstg"]);
    let in_group = b.in_group.unwrap();
    assert_eq!((in_group.rank, in_group.of), (rank(own, five.clone()), 5));
    assert!((in_group.median - quantile(five.collect(), 0.5)).abs() < 1e-9);
    // The percentile in words: the share of the other four Kreise Mettmann's value beats.
    let beaten = 100.0 * (5 - in_group.rank) as f64 / 4.0;
    assert!(
        b.placements_de()
            .iter()
            .find(|(label, _)| label == "in der Vergleichsgruppe")
            .unwrap()
            .1
            .contains(&format!("besser als {} % der anderen", beaten.round())),
        "{:?}",
        b.placements_de()
    );

    // The Kreis page offers the computed group as the other choice.
    let request = Request {
        indicator: Some("D_UNTERKUNFT_LSTG".into()),
        ..Request::default()
    };
    let view = regions::region(&store, &p, "05158", &request)
        .await
        .unwrap();
    assert!(view.assigned_available && matches!(view.group, Ok(regions::GroupUsed::Assigned(_))));
    let computed = regions::region(
        &store,
        &p,
        "05158",
        &Request {
            group: Some("berechnet".into()),
            ..request
        },
    )
    .await
    .unwrap();
    assert!(matches!(
        computed.group,
        Ok(regions::GroupUsed::Computed(_))
    ));

    // A refused file changes nothing; the message names the row.
    let refused = regions::import_grouping(
        &store,
        &p,
        "Vergleichstypen (Test)",
        "typen2.csv",
        "kreis;vergleichstyp\n05158;IIc\n05158;Ia\n".as_bytes(),
    )
    .await
    .unwrap()
    .unwrap_err();
    assert!(
        refused.to_string().contains(
            "typen2.csv, Zeile 3, Spalte „kreis“, Wert „05158“: Dieser Kreis steht schon in Zeile 2"
        ),
        "{refused}"
    );
    let stored = store.groupings().await.unwrap();
    assert_eq!(
        (
            stored.len(),
            stored[0].file_name.as_str(),
            stored[0].regions
        ),
        (1, "typen.csv", 6)
    );
}
