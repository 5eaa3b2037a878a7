//! Key figures from own records (issue 23) reach the store as values „aus eigenen Daten“: current
//! where no official value exists, left out where one does, replaced by the official value when
//! it comes (and then kept beside it as history); the records' SHA-256 in the provenance; a bad
//! record file refused with its place and nothing kept.

use zielwerk_app::AppError;
use zielwerk_app::own_records::{RecordFiles, import_records};
use zielwerk_domain::{IndicatorCode, ValueStatus, YearMonth};
use zielwerk_store::Store;

const SPELLS: &str = "person;bg;jobcenter;von;bis;erwerbsfaehig;alleinerziehend
1;1;t36402;01.01.2021;;ja;nein
2;1;t36402;01.06.2022;31.01.2023;ja;ja
3;2;t36402;15.01.2023;;ja;nein
4;2;t36402;15.01.2023;;nein;nein
";
const INTEGRATIONS: &str = "person;datum;art
2;01.02.2023;sv_beschaeftigung
";

fn month(s: &str) -> YearMonth {
    s.parse().unwrap()
}

fn code(s: &str) -> IndicatorCode {
    s.parse().unwrap()
}

async fn demo_store(dir: &tempfile::TempDir) -> Store {
    let store = Store::open(dir.path().join("z.db").to_str().unwrap())
        .await
        .unwrap();
    let demo = zielwerk_demo::build(zielwerk_demo::DEFAULT_SEED).unwrap();
    for a in &demo.agreements {
        store.save_agreement(a).await.unwrap();
    }
    for b in &demo.batches {
        store
            .record_observations(&b.source, &b.observations)
            .await
            .unwrap();
    }
    store
}

fn files(first: &str, last: &str, spells: &str) -> RecordFiles {
    RecordFiles {
        files: vec![
            ("leistungszeitraeume.csv".into(), spells.as_bytes().to_vec()),
            ("integrationen.csv".into(), INTEGRATIONS.as_bytes().to_vec()),
        ],
        first: month(first),
        last: month(last),
        datenstand: "2023-03-05".parse().unwrap(),
        via: "Test",
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_figures_are_current_until_the_official_ones_come_and_then_stay_beside_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(&dir).await;
    let operator = zielwerk_app::access::operator("test");
    let elb = code("ELB");
    let official_before = store
        .current_values(
            "t36402".parse::<zielwerk_domain::RegionId>().unwrap(),
            &[&elb],
        )
        .await
        .unwrap();
    let last_official = official_before.last().unwrap().observation.month;
    assert_eq!(
        last_official,
        month("2022-12"),
        "the demo's values end in 2022"
    );

    // January and February 2023: no official value yet; the own ones become current.
    let report = import_records(&store, &operator, files("2023-01", "2023-02", SPELLS), true)
        .await
        .unwrap()
        .unwrap();
    assert!(report.committed);
    assert_eq!(report.outcome.kept_official, 0);
    let jc: zielwerk_domain::RegionId = "t36402".parse().unwrap();
    let now = store.current_values(jc.clone(), &[&elb]).await.unwrap();
    let jan = now
        .iter()
        .find(|v| v.observation.month == month("2023-01"))
        .unwrap();
    // Persons 1, 2 and 3 are ELB on 31 January; person 4 is not erwerbsfähig.
    assert_eq!(jan.observation.value, Some(3.0));
    assert_eq!(jan.observation.status, ValueStatus::Own);
    assert_eq!(
        jan.observation.datenstand,
        "2023-03-05".parse::<chrono::NaiveDate>().unwrap()
    );
    let feb = now
        .iter()
        .find(|v| v.observation.month == month("2023-02"))
        .unwrap();
    assert_eq!(
        feb.observation.value,
        Some(2.0),
        "person 2 left on 31 January"
    );
    // Person 2 found work on 1 February, the day after need ended: an integration of February.
    let ints = store
        .current_values(jc.clone(), &[&code("INTEGRATIONEN")])
        .await
        .unwrap();
    let feb_ints = ints
        .iter()
        .find(|v| v.observation.month == month("2023-02"))
        .unwrap();
    assert_eq!(feb_ints.observation.value, Some(1.0));
    // Its six following months are not covered by records of March 2023: no value for K2E3 yet.
    let kont = store
        .current_values(jc.clone(), &[&code("INTEGRATIONEN_SVB_KONTINUIERLICH")])
        .await
        .unwrap();
    assert!(kont.iter().all(|v| v.observation.month < month("2023-01")));

    // The same files again change nothing.
    let again = import_records(&store, &operator, files("2023-01", "2023-02", SPELLS), true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.outcome.inserted + again.outcome.revised, 0);

    // December 2022 has official values: the own ones are left out, the official ones stay.
    let december = import_records(&store, &operator, files("2022-12", "2022-12", SPELLS), true)
        .await
        .unwrap()
        .unwrap();
    // Components the demo has no official value of (e.g. LZB_AKTIV) are taken in.
    assert!(december.outcome.kept_official > 0);
    assert_eq!(
        december.outcome.kept_official + december.outcome.inserted,
        16,
        "the 16 components of December (K2E3's numerator not yet known)"
    );
    assert!(
        december.accepted.warnings.iter().any(|w| w
            .message
            .contains("ist schon ein amtlicher Wert gespeichert; er bleibt")),
        "{:?}",
        december.accepted.warnings
    );
    let after = store.current_values(jc.clone(), &[&elb]).await.unwrap();
    let dec = |vs: &[zielwerk_domain::CurrentValue]| {
        vs.iter()
            .find(|v| v.observation.month == month("2022-12"))
            .map(|v| (v.observation.value, v.observation.status))
    };
    assert_eq!(dec(&after), dec(&official_before));

    // The official January value comes, with an older Datenstand than the records': it
    // replaces the own one, which stays as history.
    let official = "jobcenter;kennzahl;monat;wert;status;datenstand\nt36402;ELB;01.2023;4;vorläufig;01.03.2023\n";
    let file = zielwerk_app::values::ImportFile {
        name: "ba.csv".into(),
        input: Box::new(std::io::Cursor::new(official.as_bytes().to_vec())),
        mapping: None,
        via: "Test",
        progress: None,
        about: None,
    };
    zielwerk_app::values::import(&store, &operator, file, true)
        .await
        .unwrap()
        .unwrap();
    let now = store.current_values(jc.clone(), &[&elb]).await.unwrap();
    let jan = now
        .iter()
        .find(|v| v.observation.month == month("2023-01"))
        .unwrap();
    assert_eq!(
        (jan.observation.value, jan.observation.status),
        (Some(4.0), ValueStatus::Projected)
    );
    let history = store.superseded_values(jc.clone(), &[&elb]).await.unwrap();
    let own = history
        .iter()
        .find(|v| v.observation.month == month("2023-01"))
        .unwrap();
    assert_eq!(
        (own.observation.value, own.observation.status),
        (Some(3.0), ValueStatus::Own)
    );
    assert!(own.source_label.starts_with("Import eigene Daten"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_records_provenance_names_each_file_with_its_sha256_and_a_bad_file_keeps_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(&dir).await;
    let operator = zielwerk_app::access::operator("test");
    let count = store.observation_count().await.unwrap();
    let bad = SPELLS.replace("15.01.2023;;ja", "15.13.2023;;ja");
    let e = import_records(&store, &operator, files("2023-01", "2023-02", &bad), true)
        .await
        .unwrap_err();
    let AppError::Invalid(problems) = e else {
        panic!("{e:?}")
    };
    assert_eq!(
        problems[0].message,
        "leistungszeitraeume.csv, Zeile 4, Spalte „von“: „15.13.2023“ ist kein Datum (erwartet: TT.MM.JJJJ oder JJJJ-MM-TT)"
    );
    assert_eq!(store.observation_count().await.unwrap(), count);
    let mut unknown = files("2023-01", "2023-02", SPELLS);
    unknown.files.push(("faelle.csv".into(), b"x\n".to_vec()));
    let AppError::Invalid(problems) = import_records(&store, &operator, unknown, true)
        .await
        .unwrap_err()
    else {
        panic!()
    };
    assert!(
        problems[0]
            .message
            .starts_with("faelle.csv: unbekannte Art von Datei"),
        "{}",
        problems[0].message
    );

    let report = import_records(&store, &operator, files("2023-01", "2023-01", SPELLS), true)
        .await
        .unwrap()
        .unwrap();
    let id = report.import_id.unwrap();
    let sha = {
        use sha2::Digest;
        format!("{:x}", sha2::Sha256::digest(SPELLS.as_bytes()))
    };
    let source = store.source(&id).await.unwrap().unwrap();
    assert!(
        source
            .detail
            .contains(&format!("leistungszeitraeume.csv (SHA-256 {sha})")),
        "{}",
        source.detail
    );
    assert!(
        source
            .detail
            .contains("die Datensätze selbst sind nicht gespeichert")
    );
}
