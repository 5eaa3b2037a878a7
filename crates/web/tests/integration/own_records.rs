//! Figures from the Jobcenter's own records on the goal page (issue 23): once the official value
//! of a month has replaced the one „aus eigenen Daten“, the goal page shows both side by side
//! with the difference.

use zielwerk_app::own_records::{RecordFiles, import_records};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_goal_page_shows_the_own_figure_beside_the_official_one() {
    let s = crate::demo_server().await;
    let operator = zielwerk_app::access::operator("test");
    // Three persons in need since 2020: LZB at the end of January 2023.
    let spells = "person;bg;jobcenter;von;bis;erwerbsfaehig;alleinerziehend\n\
                  1;1;t36402;01.01.2020;;ja;nein\n\
                  2;2;t36402;01.03.2020;;ja;nein\n\
                  3;3;t36402;01.06.2020;;ja;nein\n";
    let files = RecordFiles {
        files: vec![("leistungszeitraeume.csv".into(), spells.as_bytes().to_vec())],
        first: "2023-01".parse().unwrap(),
        last: "2023-01".parse().unwrap(),
        datenstand: "2023-02-03".parse().unwrap(),
        jobcenter: None,
        via: "Test",
        keep: None,
    };
    import_records(&s.store, &operator, files, true)
        .await
        .unwrap()
        .1
        .result
        .unwrap();
    let page = s.url("/vereinbarungen/t36402-2022-v1/ziele/k3");
    let (status, html, _) = crate::get(&page).await;
    assert_eq!(status, 200);
    assert!(
        !html.contains("id=\"eigene-daten\""),
        "no official value yet"
    );

    let official = "jobcenter;kennzahl;monat;wert;status;datenstand\nt36402;LZB;01.2023;5;vorläufig;01.05.2023\n";
    let file = zielwerk_app::values::ImportFile {
        name: "ba.csv".into(),
        input: Box::new(std::io::Cursor::new(official.as_bytes().to_vec())),
        mapping: None,
        via: "Test",
        progress: None,
        about: None,
    };
    zielwerk_app::values::import(&s.store, &operator, file, true)
        .await
        .unwrap()
        .unwrap();
    // The page shows the new values once the agreement has been assessed again.
    let mut html = String::new();
    for _ in 0..120 {
        html = crate::get(&page).await.1;
        if html.contains("id=\"eigene-daten\"") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let section = &html[html.find("id=\"eigene-daten\"").expect("the section")..];
    let section = &section[..section.find("</section>").unwrap()];
    assert!(
        section.contains("Eigene Daten und amtliche Zahl"),
        "{section}"
    );
    assert!(
        section.contains("<th scope=\"row\">Januar 2023</th>"),
        "{section}"
    );
    assert!(section.contains("Prozentpunkte"), "{section}");
    // The own value stays in the history, marked as such.
    assert!(html.contains("Import eigene Daten (leistungszeitraeume.csv)"));
}

/// The folders directly in `dir`, without the staging area of previews.
fn folders(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.retain(|p| !p.ends_with(".vorschau"));
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_setting_an_upload_keeps_its_records_apart_once_confirmed() {
    let dir = tempfile::tempdir().unwrap();
    let store = zielwerk_store::Store::open(dir.path().join("z.db").to_str().unwrap())
        .await
        .unwrap();
    let kept = tempfile::tempdir().unwrap();
    let keep = zielwerk_app::own_records::Kept {
        dir: kept.path().join("aufbewahrt"),
    };
    let setting = keep.clone();
    let s = crate::serve_demo_with(store, dir, move |st| st.keep_records = Some(setting)).await;
    let (_, form, _) = crate::get(&s.url("/import/eigene-daten")).await;
    assert!(
        form.contains("bewahrt diese Installation zur Neuberechnung auf"),
        "{form}"
    );
    let list = "person;zuweisung;beginn\n1;03.01.2023;10.01.2023\n";
    let upload = reqwest::multipart::Form::new()
        .part(
            "dateien",
            reqwest::multipart::Part::text(list).file_name("suchtberatung.csv"),
        )
        .text("von", "01.2023")
        .text("bis", "01.2023")
        .text("datenstand", "01.03.2023")
        .text("jobcenter", "t36402");
    let r = s
        .client
        .post(s.url(&format!("/import/eigene-daten/vorschau?_csrf={}", s.csrf)))
        .multipart(upload)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let preview = r.text().await.unwrap();
    assert!(
        preview.contains("die Datensätze werden zur Neuberechnung aufbewahrt"),
        "{preview}"
    );
    // Until the confirmation they wait in the staging area, not yet kept.
    assert!(folders(&keep.dir).is_empty());
    assert_eq!(
        std::fs::read_dir(keep.dir.join(".vorschau"))
            .unwrap()
            .count(),
        1
    );
    let (status, done) = crate::confirm(&s, &crate::token_of(&preview)).await;
    assert_eq!(status, 200, "{done}");
    assert!(
        done.contains("Werte aus eigenen Daten gespeichert"),
        "{done}"
    );
    let kept_folders = folders(&keep.dir);
    assert_eq!(kept_folders.len(), 1);
    assert_eq!(
        std::fs::read_to_string(kept_folders[0].join("suchtberatung.csv")).unwrap(),
        list
    );
    assert_eq!(
        std::fs::read_dir(keep.dir.join(".vorschau"))
            .unwrap()
            .count(),
        0
    );
}
