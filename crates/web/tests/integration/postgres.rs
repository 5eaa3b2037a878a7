//! The web application on PostgreSQL: the demo served from a throwaway cluster, its pages, an
//! upload with preview and confirmation, and a revision showing through the page cache.

use zielwerk_store::{Backend, Store};

use crate::{METTMANN, confirm, get, serve_demo, token_of, upload};

#[tokio::test]
async fn pages_and_upload_on_postgres() {
    let cluster = zielwerk_testkit::PgCluster::start();
    let url = cluster.create_database("web");
    let store = Store::open(&url).await.unwrap();
    assert_eq!(store.backend(), Backend::Postgres);
    let s = serve_demo(store, tempfile::tempdir().unwrap()).await;

    let (_, overview, _) = get(&s.url(METTMANN)).await;
    assert!(overview.matches("<tr class=\"goal\">").count() >= 12);
    assert!(overview.contains("Prognose Jahresende"));
    let (_, goal, _) = get(&s.url(&format!("{METTMANN}/ziele/kdu-je-bg?stand=2022-06"))).await;
    assert!(goal.contains("class=\"target\"") && goal.contains("class=\"forecast-band\""));
    assert!(goal.contains("Struktureffekt (Mischung der Haushaltsgrößen)"));

    // Upload: preview stores nothing, confirmation stores, and the page shows the revision.
    let csv = "jobcenter;kennzahl;monat;wert;status;datenstand\nt36402;BG;2022-06;18.000;endgültig;31.03.2023\n";
    let (_, preview) = upload(&s, "bg.csv", csv, "").await;
    assert!(
        preview.contains("<th scope=\"row\">revidiert (neuerer Datenstand; alter Wert bleibt als Historie)</th><td class=\"num\">1</td>"),
        "{preview}"
    );
    let (_, done) = confirm(&s, &token_of(&preview)).await;
    assert!(done.contains("Import gespeichert"), "{done}");
    let (_, page, _) = get(&s.url(&format!("{METTMANN}/ziele/kdu-bg"))).await;
    assert!(
        page.contains("<th scope=\"row\">Juni 2022</th>\n<td class=\"num\">18.000</td>"),
        "{page}"
    );
    assert!(page.contains("Frühere Werte (Revisionen)"));
    s.store.close().await;
    drop(cluster);
}

/// The meeting scenarios of `meetings.rs`, each on its own database of one throwaway cluster.
#[tokio::test]
async fn steering_meetings_on_postgres() {
    let cluster = zielwerk_testkit::PgCluster::start();
    let server = |name: &str| {
        let url = cluster.create_database(name);
        async move {
            let store = Store::open(&url).await.unwrap();
            assert_eq!(store.backend(), Backend::Postgres);
            serve_demo(store, tempfile::tempdir().unwrap()).await
        }
    };
    let s = server("cycle").await;
    crate::meetings::steering_cycle(&s).await;
    s.store.close().await;
    let s = server("agenda").await;
    crate::meetings::agenda_editing(&s).await;
    s.store.close().await;
    let s = server("comments").await;
    crate::meetings::comments_and_final_report(&s).await;
    s.store.close().await;
    let s = server("hostile").await;
    crate::meetings::hostile_text(&s).await;
    s.store.close().await;
    drop(cluster);
}
