//! Time to build the demo Vorlage: report model (assessment, forecasts, charts, suppression)
//! and the PDF through typst, warm (fonts and library loaded once, as in the server); and a
//! steering meeting: drawing up its agenda with frozen figures, and its minutes as PDF; and the
//! costs of trust: checking a password (Argon2id, the price of every login), and checking the
//! whole audit trail's hash chain. Run with `bench/vorlage.sh`.

use std::time::{Duration, Instant};

use zielwerk_app::documents;
use zielwerk_store::Store;

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (v, loaded, store) = rt.block_on(async {
        let store = Store::open(dir.path().join("b.db").to_str().unwrap())
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
        let a = &demo.agreements[0];
        let id = store
            .create_vorlage(&a.key(), &zielwerk_demo::mettmann_vorlage(a))
            .await
            .unwrap();
        let (v, loaded) = documents::load_vorlage(&store, &id).await.unwrap();
        (v, loaded, store)
    });
    let today = chrono::NaiveDate::from_ymd_opt(2022, 11, 8).unwrap();
    let run = |what: &str, n: usize, f: &dyn Fn() -> usize| {
        let mut times: Vec<Duration> = (0..n)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed()
            })
            .collect();
        times.sort();
        println!(
            "{what}: Median {:.0} ms, Minimum {:.0} ms, Maximum {:.0} ms ({n} Läufe)",
            times[n / 2].as_secs_f64() * 1e3,
            times[0].as_secs_f64() * 1e3,
            times[n - 1].as_secs_f64() * 1e3
        );
    };
    // The first run loads fonts and the typst library: not counted as warm.
    let first = Instant::now();
    let m = documents::vorlage_model(&v, &loaded);
    let pdf = documents::vorlage_pdf(&m, "vorlage", today).unwrap();
    println!(
        "Kaltstart Modell + PDF: {:.0} ms ({} Bytes)",
        first.elapsed().as_secs_f64() * 1e3,
        pdf.len()
    );
    run(
        "Berichtsmodell (Bewertung, Prognosen, Diagramme, Geheimhaltung)",
        10,
        &|| documents::vorlage_model(&v, &loaded).sections.len(),
    );
    run("PDF (typst) aus dem Modell", 10, &|| {
        documents::vorlage_pdf(&m, "vorlage", today).unwrap().len()
    });
    run("Vorlage gesamt: Modell + PDF", 10, &|| {
        let m = documents::vorlage_model(&v, &loaded);
        documents::vorlage_pdf(&m, "vorlage", today).unwrap().len()
    });
    run("DOCX aus dem Modell", 5, &|| {
        documents::vorlage_docx(&m).unwrap().len()
    });
    let key = loaded.agreement.key();
    let header = zielwerk_domain::MeetingHeader {
        kind: zielwerk_domain::MeetingKind::Zielnachhaltedialog,
        title: String::new(),
        date: today,
        month: zielwerk_domain::YearMonth::new(2022, 9).unwrap(),
        place: String::new(),
        participants: Vec::new(),
    };
    run(
        "Sitzung anlegen (Tagesordnung mit eingefrorenen Zahlen, 17 Ziele)",
        10,
        &|| {
            rt.block_on(documents::create_meeting(&store, &key, header.clone()))
                .unwrap()
                .len()
        },
    );
    let id = rt
        .block_on(documents::create_meeting(&store, &key, header.clone()))
        .unwrap();
    let bundle = rt.block_on(documents::load_meeting(&store, &id)).unwrap();
    run("Niederschrift: Modell + PDF", 10, &|| {
        let m = documents::minutes_model(&bundle, today);
        documents::minutes_pdf(&m, today).unwrap().len()
    });

    let hash = zielwerk_web::auth::hash_password("ein-langes-passwort").unwrap();
    run("Anmeldung: Passwort prüfen (Argon2id)", 10, &|| {
        usize::from(zielwerk_web::auth::verify_password(
            &hash,
            "ein-langes-passwort",
        ))
    });
    // A year of busy use: 5,000 more recorded changes (comments on values).
    rt.block_on(async {
        let jobcenter = key.jobcenter.clone();
        for i in 0..5_000 {
            let comment = zielwerk_domain::ValueComment {
                indicator: "BG".parse().unwrap(),
                month: zielwerk_domain::YearMonth::new(2022, 1 + i % 12).unwrap(),
                text: format!("Anmerkung {i}"),
                author: "Bench".into(),
            };
            store.add_comment(&jobcenter, &comment).await.unwrap();
        }
    });
    let events = rt.block_on(store.verify_audit()).unwrap().events;
    run(
        &format!("Änderungsprotokoll prüfen ({events} Einträge, ganze Kette)"),
        10,
        &|| rt.block_on(store.verify_audit()).unwrap().events as usize,
    );
}
