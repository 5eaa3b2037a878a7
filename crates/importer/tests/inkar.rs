//! Figures as the statistics publish them (issue 18), on the real INKAR file: every Kreis,
//! Land and the Bund as regions of their own, yearly periods, and the one identity the file's
//! provenance says is violated, in exactly its three rows.

use zielwerk_domain::{IndicatorCode, PeriodKind, RegionId, RegionKind};
use zielwerk_importer::Report;
use zielwerk_store::Store;

mod common;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

async fn import_inkar(store: &Store, commit: bool) -> Report {
    let file = format!("{ROOT}/../shared/data/real/inkar/inkar_sgb2_kreise_2007_2022.csv");
    let mapping_text =
        std::fs::read_to_string(format!("{ROOT}/mappings/inkar-sgb2-kreise.toml")).unwrap();
    let mapping =
        zielwerk_ingest::mapped::parse_mapping("inkar-sgb2-kreise.toml", &mapping_text).unwrap();
    common::import(
        store,
        "inkar_sgb2_kreise_2007_2022.csv",
        Box::new(std::fs::File::open(file).unwrap()),
        Some(mapping),
        commit,
    )
    .await
}

#[tokio::test]
async fn the_inkar_file_imports_unchanged_through_its_shipped_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("z.db").to_str().unwrap())
        .await
        .unwrap();
    let report = import_inkar(&store, true).await;

    // 6,672 rows of 417 regions × 16 years; every filled cell of the 18 columns is a value.
    let csv_text = std::fs::read_to_string(format!(
        "{ROOT}/../shared/data/real/inkar/inkar_sgb2_kreise_2007_2022.csv"
    ))
    .unwrap();
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 6_672);
    let cells = rows
        .iter()
        .map(|r| r.iter().skip(4).filter(|c| !c.trim().is_empty()).count() as u64)
        .sum::<u64>();
    assert_eq!(report.accepted.rows, cells);
    assert_eq!(report.outcome.inserted, cells);

    // The identity warns for exactly the three Schmalkalden-Meiningen rows, and nothing else
    // warns (a yearly series has no monthly gap hints).
    let identity: Vec<&str> = report
        .accepted
        .warnings
        .iter()
        .map(|w| w.message.as_str())
        .filter(|m| m.starts_with("Identität"))
        .collect();
    assert_eq!(identity.len(), 3, "{identity:#?}");
    for year in ["2008", "2010", "2011"] {
        assert!(
            identity
                .iter()
                .any(|m| m.contains(&format!("für 16066, {year}:"))),
            "{year}: {identity:#?}"
        );
    }
    assert!(
        identity[0].starts_with(
            "Identität „A_UNTERKUNFT_SGBII = D_UNTERKUNFT_LSTG / D_SGBII_LSTG × 100“ verletzt für 16066, 2008: veröffentlicht 29,44, berechnet 29,4475"
        ),
        "{}",
        identity[0]
    );
    let others: Vec<_> = report
        .accepted
        .warnings
        .iter()
        .filter(|w| !w.message.starts_with("Identität"))
        .map(|w| w.message.as_str())
        .collect();
    assert!(
        others.iter().all(|m| !m.contains("Monat")),
        "no monthly gap hints: {others:#?}"
    );

    // Every Kreis lies in one of the 16 Länder, every Land in the Bund.
    let regions = store.regions().await.unwrap();
    let of = |k: RegionKind| regions.iter().filter(move |r| r.kind() == k);
    assert_eq!(of(RegionKind::Bund).count(), 1);
    assert_eq!(of(RegionKind::Land).count(), 16);
    assert_eq!(of(RegionKind::Kreis).count(), 400);
    for kreis in of(RegionKind::Kreis) {
        let land = kreis.parent.as_ref().expect("a Land");
        assert_eq!(land.kind(), RegionKind::Land, "{}", kreis.id);
        assert!(of(RegionKind::Land).any(|l| &l.id == land), "{}", kreis.id);
    }
    assert!(of(RegionKind::Land).all(|l| l.parent == Some(RegionId::bund())));

    // The values are the file's: Kreis Mettmann, the Land and the Bund, by year.
    let code: IndicatorCode = "D_UNTERKUNFT_LSTG".parse().unwrap();
    let year_values = |region: &str| {
        let store = &store;
        let code = &code;
        let region: RegionId = region.parse().unwrap();
        async move {
            store
                .period_values(&region, &[code], PeriodKind::Year)
                .await
                .unwrap()
                .into_iter()
                .map(|v| (v.observation.period().to_string(), v.observation.value))
                .collect::<Vec<_>>()
        }
    };
    let mettmann = year_values("05158").await;
    assert_eq!(mettmann.first(), Some(&("2008".to_owned(), Some(372.6))));
    assert_eq!(mettmann.len(), 15, "2008 to 2022");
    let bund = year_values("DE").await;
    assert_eq!(bund.first(), Some(&("2008".to_owned(), Some(284.49))));
    // Yearly values are not monthly ones: the monthly reads see none of them.
    let monthly = store
        .current_values(RegionId::bund(), &[&code])
        .await
        .unwrap();
    assert!(monthly.is_empty());

    // The ten-year change of a yearly series, by a formula, against a hand computation from
    // the file: Mettmann's KdU per BG 2008 372,60 €, 2018 437,49 €.
    let stored = store
        .period_values(&"05158".parse().unwrap(), &[&code], PeriodKind::Year)
        .await
        .unwrap();
    let observations: Vec<_> = stored.into_iter().map(|c| c.observation).collect();
    let base = zielwerk_domain::keyfigures::catalogue()
        .into_iter()
        .find(|i| i.code == code)
        .unwrap();
    let change = |percent: bool| zielwerk_domain::Indicator {
        code: if percent {
            "KDU_10J_PROZENT"
        } else {
            "KDU_10J"
        }
        .parse()
        .unwrap(),
        formula: zielwerk_domain::Formula::Change {
            base: code.clone(),
            periods: 10,
            percent,
        },
        ..base.clone()
    };
    let indicators = vec![base.clone(), change(false), change(true)];
    let mut set = zielwerk_engine::series::SeriesSet::new();
    set.insert(
        code.clone(),
        zielwerk_engine::series::stored_period_series(&base, PeriodKind::Year, &observations),
    );
    let yearly = zielwerk_engine::series::Evaluator::yearly(&indicators, &set);
    let december = |y: i32| zielwerk_domain::YearMonth::new(y, 12).unwrap();
    let diff = yearly.at(&indicators[1].code, december(2018)).unwrap();
    assert!(
        (diff.value - (437.49 - 372.6)).abs() < 1e-9,
        "{}",
        diff.value
    );
    let pct = yearly.at(&indicators[2].code, december(2018)).unwrap();
    assert!((pct.value - 17.415_458_937).abs() < 1e-6, "{}", pct.value);
    let gap = yearly.at(&indicators[1].code, december(2017)).unwrap_err();
    assert!(
        gap.reason.contains("Wert 10 Jahre früher fehlt"),
        "{}",
        gap.reason
    );
    assert_eq!(yearly.series(&indicators[1].code).len(), 5, "2018 to 2022");

    // The three violations are kept beside their values, and only they.
    let share: IndicatorCode = "A_UNTERKUNFT_SGBII".parse().unwrap();
    let kept = |store: &Store| {
        let (store, share) = (store.clone(), share.clone());
        async move {
            store
                .value_warnings(&"16066".parse().unwrap(), &[&share])
                .await
                .unwrap()
                .into_iter()
                .map(|w| (w.period.to_string(), w.message))
                .collect::<Vec<_>>()
        }
    };
    let warnings = kept(&store).await;
    assert_eq!(
        warnings.iter().map(|w| w.0.as_str()).collect::<Vec<_>>(),
        ["2008", "2010", "2011"]
    );
    assert!(
        warnings[0].1.starts_with(
            "Identität „A_UNTERKUNFT_SGBII = D_UNTERKUNFT_LSTG / D_SGBII_LSTG × 100“ verletzt: veröffentlicht 29,44, berechnet 29,4475"
        ),
        "{}",
        warnings[0].1
    );
    assert!(
        store
            .value_warnings(&"05158".parse().unwrap(), &[&share])
            .await
            .unwrap()
            .is_empty()
    );

    // Importing it again changes nothing, the warnings included.
    let version = store.data_version().await.unwrap();
    let again = import_inkar(&store, true).await;
    assert_eq!(again.outcome.unchanged, cells);
    assert_eq!(again.outcome.inserted, 0);
    assert_eq!(kept(&store).await, warnings);
    assert_eq!(
        store.data_version().await.unwrap(),
        version,
        "nothing written"
    );
}

#[tokio::test]
async fn a_twelve_month_mean_and_the_monthly_value_of_its_last_month_live_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("z.db").to_str().unwrap())
        .await
        .unwrap();
    store
        .save_agreement(&zielwerk_demo::mettmann_agreement().unwrap())
        .await
        .unwrap();
    let import = |body: &'static str| {
        let store = &store;
        async move {
            common::import(
                store,
                "werte.csv",
                Box::new(std::io::Cursor::new(body.as_bytes())),
                None,
                true,
            )
            .await
        }
    };
    let monthly = import(
        "jobcenter;kennzahl;zeitraum;wert;status;datenstand\nt36402;BG;2026-04;17225;endgültig;01.06.2026\n",
    )
    .await;
    assert_eq!(monthly.outcome.inserted, 1);
    // The BA's 12-month mean, in its own form of the period: a value of its own.
    let mean = import(
        "jobcenter;kennzahl;zeitraum;wert;status;datenstand\nt36402;BG;202505..202604;17410,5;endgültig;01.06.2026\n",
    )
    .await;
    assert_eq!((mean.outcome.inserted, mean.outcome.revised), (1, 0));
    let code: IndicatorCode = "BG".parse().unwrap();
    let jc: RegionId = "t36402".parse().unwrap();
    let months = store.current_values(jc.clone(), &[&code]).await.unwrap();
    assert_eq!(months.len(), 1);
    assert_eq!(months[0].observation.value, Some(17225.0));
    let means = store
        .period_values(&jc, &[&code], PeriodKind::Mean12)
        .await
        .unwrap();
    assert_eq!(means.len(), 1);
    assert_eq!(means[0].observation.value, Some(17410.5));
    assert_eq!(
        means[0].observation.period().to_string(),
        "2025-05..2026-04"
    );
    assert!(
        store
            .superseded_values(jc, &[&code])
            .await
            .unwrap()
            .is_empty()
    );
}
