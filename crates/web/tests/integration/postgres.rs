//! The web application on PostgreSQL: the demo served from a throwaway cluster, its pages, an
//! upload with preview and confirmation, and a revision showing through the page cache.

use zielwerk_store::{Backend, Store};

use crate::{METTMANN, serve_demo};

#[tokio::test]
async fn pages_and_upload_on_postgres() {
    let cluster = zielwerk_testkit::PgCluster::start();
    let url = cluster.create_database("web");
    let store = Store::open(&url).await.unwrap();
    assert_eq!(store.backend(), Backend::Postgres);
    let s = serve_demo(store, tempfile::tempdir().unwrap()).await;

    let overview = reqwest::get(s.url(METTMANN))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(overview.matches("<tr class=\"goal\">").count() >= 12);
    assert!(overview.contains("Prognose Jahresende"));
    let goal = reqwest::get(s.url(&format!("{METTMANN}/ziele/kdu-je-bg?stand=2022-06")))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(goal.contains("class=\"target\"") && goal.contains("class=\"forecast-band\""));
    assert!(goal.contains("Struktureffekt (Mischung der Haushaltsgrößen)"));

    // Upload: preview stores nothing, confirmation stores, and the page shows the revision.
    let csv = "jobcenter;kennzahl;monat;wert;status;datenstand\nt36402;BG;2022-06;18.000;endgültig;31.03.2023\n";
    let form = reqwest::multipart::Form::new()
        .part(
            "datei",
            reqwest::multipart::Part::text(csv).file_name("bg.csv"),
        )
        .text("zuordnung", "");
    let preview = reqwest::Client::new()
        .post(s.url("/import/vorschau"))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(preview.contains("<th scope=\"row\">revidiert (neuerer Datenstand; alter Wert bleibt als Historie)</th><td class=\"num\">1</td>"), "{preview}");
    let token = preview
        .split("name=\"token\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let done = reqwest::Client::new()
        .post(s.url("/import/bestaetigen"))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(done.contains("Import gespeichert"), "{done}");
    let page = reqwest::get(s.url(&format!("{METTMANN}/ziele/kdu-bg")))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<th scope=\"row\">Juni 2022</th>\n<td class=\"num\">18.000</td>"),
        "{page}"
    );
    assert!(page.contains("Frühere Werte (Revisionen)"));
    s.store.close().await;
    drop(cluster);
}
