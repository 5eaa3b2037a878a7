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
        jobcenter: None,
        via: "Test",
        keep: None,
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
        .1
        .result
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
        .1
        .result
        .unwrap();
    assert_eq!(again.outcome.inserted + again.outcome.revised, 0);

    // December 2022 has official values: the own ones are left out, the official ones stay.
    let december = import_records(&store, &operator, files("2022-12", "2022-12", SPELLS), true)
        .await
        .unwrap()
        .1
        .result
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
        .1
        .result
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

/// BuT applications of January and February 2023, with the entitled children; one child has a
/// benefit granted in March 2022 and again in January 2023 (counted once: the list reaches back
/// to February 2022, the first of the twelve months of January 2023), one application
/// stays open.
const BUT: &str = "kind;antrag;entscheidung;bewilligt
1;01.02.2022;10.03.2022;ja
1;02.01.2023;09.01.2023;ja
2;05.01.2023;25.01.2023;ja
3;10.01.2023;20.01.2023;nein
4;02.01.2023;;
";
const ENTITLED: &str = "monat;kinder
01.2023;10
02.2023;10
";
const REFERRALS: &str = "person;zuweisung;beginn;abschluss
1;04.01.2023;16.01.2023;
2;10.01.2023;02.02.2023;28.02.2023
3;20.01.2023;;
4;01.02.2023;;
";

fn case_lists() -> RecordFiles {
    RecordFiles {
        files: vec![
            ("but_antraege.csv".into(), BUT.as_bytes().to_vec()),
            ("but_berechtigte.csv".into(), ENTITLED.as_bytes().to_vec()),
            ("suchtberatung.csv".into(), REFERRALS.as_bytes().to_vec()),
        ],
        first: month("2023-01"),
        last: month("2023-02"),
        datenstand: "2023-03-05".parse().unwrap(),
        jobcenter: Some("t36402".into()),
        via: "Test",
        keep: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_lists_of_the_kreis_become_its_figures_aus_eigenen_daten() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(&dir).await;
    let operator = zielwerk_app::access::operator("test");
    let (figures, own) = import_records(&store, &operator, case_lists(), true)
        .await
        .unwrap();
    let report = own.result.unwrap();
    assert!(report.committed);
    // The Mettmann agreement defines no indicator of processing days or completed counselling:
    // left out and named (no decision in February, so one median).
    assert_eq!(
        own.undefined,
        vec![
            ("BUT_BEARBEITUNGSDAUER".to_owned(), 1),
            ("SUCHT_ABSCHLUESSE".to_owned(), 2),
        ]
    );
    // February's take-up needs the starts up to the end of March, after the Datenstand.
    assert_eq!(
        figures
            .not_yet
            .iter()
            .map(|n| (n.month, n.code.as_str(), n.reason.as_str()))
            .collect::<Vec<_>>(),
        vec![(
            month("2023-02"),
            "SUCHT_ANTRITT",
            "Noch kein Wert: die Antrittsquote zählt Beratungen bis 31.03.2023, die Liste reicht bis 05.03.2023"
        )]
    );
    let jc: zielwerk_domain::RegionId = "t36402".parse().unwrap();
    let value = async |c: &str, m: &str| {
        let v = store.current_values(jc.clone(), &[&code(c)]).await.unwrap();
        v.into_iter()
            .find(|v| v.observation.month == month(m))
            .map(|v| {
                assert_eq!(v.observation.status, ValueStatus::Own, "{c} {m}");
                (
                    v.observation.value,
                    v.observation.numerator,
                    v.observation.denominator,
                )
            })
    };
    assert_eq!(
        value("SUCHT_ZUWEISUNGEN", "2023-01").await,
        Some((Some(3.0), None, None))
    );
    assert_eq!(
        value("SUCHT_ZUWEISUNGEN", "2023-02").await,
        Some((Some(1.0), None, None))
    );
    // January: two of three referrals started by the end of February.
    let antritt = value("SUCHT_ANTRITT", "2023-01").await.unwrap();
    assert_eq!((antritt.1, antritt.2), (Some(2.0), Some(3.0)));
    assert_eq!(value("SUCHT_ANTRITT", "2023-02").await, None);
    // Waiting time: 12 days for the start in January, 23 for the one in February.
    assert_eq!(
        value("SUCHT_WARTEZEIT", "2023-01").await,
        Some((Some(12.0), None, None))
    );
    assert_eq!(
        value("SUCHT_WARTEZEIT", "2023-02").await,
        Some((Some(23.0), None, None))
    );
    // BuT in January: three decisions, two within 14 days (7 and 10 days; 20 days is late).
    let fast = value("BUT_14_TAGE", "2023-01").await.unwrap();
    assert_eq!((fast.1, fast.2), (Some(2.0), Some(3.0)));
    // Take-up over twelve months: children 1 and 2 of 10.
    let quote = value("BUT_QUOTE", "2023-01").await.unwrap();
    assert_eq!((quote.1, quote.2), (Some(2.0), Some(10.0)));
    // Child 4's application is open since 2 January: older than 30 days at the end of February.
    assert_eq!(
        value("BUT_RUECKSTAND", "2023-01").await,
        Some((Some(0.0), None, None))
    );
    assert_eq!(
        value("BUT_RUECKSTAND", "2023-02").await,
        Some((Some(1.0), None, None))
    );
    // The provenance names the files and keeps no record.
    let source = store
        .source(report.import_id.as_ref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(
        source.detail.contains("but_antraege.csv (SHA-256 "),
        "{}",
        source.detail
    );
    assert!(
        source
            .detail
            .contains("die Datensätze selbst sind nicht gespeichert")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_list_without_its_jobcenter_is_refused_and_nothing_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(&dir).await;
    let operator = zielwerk_app::access::operator("test");
    let count = store.observation_count().await.unwrap();
    let mut files = case_lists();
    files.jobcenter = None;
    let AppError::Invalid(problems) = import_records(&store, &operator, files, true)
        .await
        .unwrap_err()
    else {
        panic!()
    };
    assert_eq!(
        problems[0].message,
        "but_antraege.csv, Zeile 1, Spalte „jobcenter“: Die Spalte fehlt in der Kopfzeile; ohne sie muss beim Hochladen angegeben sein, zu welchem Jobcenter die Liste gehört"
    );
    // The entitled children alone mean nothing.
    let mut files = case_lists();
    files.files.remove(0);
    let e = import_records(&store, &operator, files, true)
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Die leistungsberechtigten Kinder (but_berechtigte) sind ohne die Liste der BuT-Anträge (but_antraege) gegeben"
    );
    assert_eq!(store.observation_count().await.unwrap(), count);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parquet_file_as_duckdb_writes_it_is_counted_like_csv() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(&dir).await;
    let operator = zielwerk_app::access::operator("test");
    let parquet = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../records/tests/data/leistungszeitraeume_duckdb.parquet"
    ))
    .unwrap();
    let files = RecordFiles {
        files: vec![("leistungszeitraeume_duckdb.parquet".into(), parquet)],
        first: month("2023-01"),
        last: month("2023-01"),
        datenstand: "2023-03-05".parse().unwrap(),
        jobcenter: None,
        via: "Test",
        keep: None,
    };
    let (_, own) = import_records(&store, &operator, files, true)
        .await
        .unwrap();
    own.result.unwrap();
    let jc: zielwerk_domain::RegionId = "t36402".parse().unwrap();
    let elb = store.current_values(jc, &[&code("ELB")]).await.unwrap();
    let jan = elb
        .iter()
        .find(|v| v.observation.month == month("2023-01"))
        .unwrap();
    // Both persons are in need and erwerbsfähig on 31 January 2023.
    assert_eq!(
        (jan.observation.value, jan.observation.status),
        (Some(2.0), ValueStatus::Own)
    );
}

/// The folders directly in `dir`, without the staging area of previews.
fn folders(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.retain(|p| !p.ends_with(".vorschau"));
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_are_kept_apart_only_with_the_setting_and_never_in_a_backup() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(&dir).await;
    let operator = zielwerk_app::access::operator("test");
    let kept = tempfile::tempdir().unwrap();
    let keep = zielwerk_app::own_records::Kept {
        dir: kept.path().join("eigene-daten"),
    };
    let with = |first: &str, spells: &str| {
        let mut f = files(first, first, spells);
        f.keep = Some(keep.clone());
        f
    };

    // A check only keeps nothing; a refused file keeps nothing.
    import_records(&store, &operator, with("2023-01", SPELLS), false)
        .await
        .unwrap();
    assert!(folders(&keep.dir).is_empty());
    let bad = SPELLS.replace("15.01.2023;;ja", "15.13.2023;;ja");
    import_records(&store, &operator, with("2023-01", &bad), true)
        .await
        .unwrap_err();
    assert!(folders(&keep.dir).is_empty());
    assert_eq!(
        std::fs::read_dir(keep.dir.join(".vorschau"))
            .unwrap()
            .count(),
        0,
        "nothing left staged"
    );

    // Stored: the files as they came, in a folder named by the day and the import.
    let (figures, own) = import_records(&store, &operator, with("2023-01", SPELLS), true)
        .await
        .unwrap();
    let id = own.result.unwrap().import_id.unwrap();
    let kept_folders = folders(&keep.dir);
    assert_eq!(kept_folders.len(), 1);
    let folder = &kept_folders[0];
    assert!(
        folder.file_name().unwrap().to_str().unwrap().ends_with(&id),
        "{folder:?}"
    );
    let spells = folder.join("leistungszeitraeume.csv");
    assert_eq!(std::fs::read_to_string(&spells).unwrap(), SPELLS);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        (mode(&keep.dir), mode(folder), mode(&spells)),
        (0o700, 0o700, 0o600)
    );
    assert!(
        figures
            .about
            .contains("die Datensätze sind zur Neuberechnung aufbewahrt")
    );
    let source = store.source(&id).await.unwrap().unwrap();
    assert!(
        source
            .detail
            .contains("aufbewahrt, getrennt von der Datenbank"),
        "{}",
        source.detail
    );

    // The backup holds the figures, never the records.
    let mut backup = Vec::new();
    store.backup(&mut backup).await.unwrap();
    let backup = String::from_utf8(backup).unwrap();
    assert!(!backup.contains("15.01.2023;;ja;nein"));

    // The kept folder is what a recomputation reads: the same figures again.
    let again = RecordFiles {
        files: std::fs::read_dir(folder)
            .unwrap()
            .flatten()
            .map(|e| {
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect(),
        ..files("2023-01", "2023-01", SPELLS)
    };
    let (recomputed, own) = import_records(&store, &operator, again, true)
        .await
        .unwrap();
    assert_eq!(recomputed.figures, figures.figures);
    assert_eq!(
        own.result.unwrap().outcome.unchanged,
        figures.figures.len() as u64
    );
}
