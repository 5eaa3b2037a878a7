//! Limits and protocol defects of issue 14, over real HTTP: an upload above the size limit and a
//! request over its time are answered in German, and the sign-in form accepts only tokens the
//! server signed.

use crate::{METTMANN, Server, serve_demo_with};

async fn server(configure: impl FnOnce(&mut zielwerk_web::AppState)) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let store = zielwerk_store::Store::open(dir.path().join("demo.db").to_str().unwrap())
        .await
        .unwrap();
    serve_demo_with(store, dir, configure).await
}

#[tokio::test]
async fn an_upload_above_the_limit_is_refused_in_german_with_the_limit() {
    let s = server(|_| {}).await;
    let big = vec![b'1'; zielwerk_web::UPLOAD_LIMIT + 1024];
    let part = reqwest::multipart::Part::bytes(big).file_name("gross.csv");
    let r = crate::upload_part(&s, part, "").await;
    assert_eq!(r.status().as_u16(), 413);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Die Datei ist zu groß: höchstens 128\u{a0}MB"),
        "{page}"
    );
    assert!(!page.contains("multipart/form-data` request"), "{page}");

    // Not a multipart request at all.
    let r = s
        .client
        .post(s.url(&format!("/import/vorschau?_csrf={}", s.csrf)))
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let page = r.text().await.unwrap();
    assert!(page.contains("ließ sich nicht empfangen"), "{page}");
}

/// A server whose pages may take 1 ms (an import 10 minutes), with a session made in the
/// database: signing in through the form would itself be over the time.
#[tokio::test]
async fn a_request_over_its_time_ends_with_a_german_page_but_an_import_may_take_longer() {
    let dir = tempfile::tempdir().unwrap();
    let store = zielwerk_store::Store::open(dir.path().join("demo.db").to_str().unwrap())
        .await
        .unwrap();
    let demo = zielwerk_demo::build(zielwerk_demo::DEFAULT_SEED).unwrap();
    for a in &demo.agreements {
        store.save_agreement(a).await.unwrap();
    }
    let grants: Vec<_> = crate::accounts().into_iter().next().unwrap().1;
    let id = store
        .add_user("eilig", "Eilig", "x", &grants)
        .await
        .unwrap();
    let token = "sitzung-fuer-den-test";
    store
        .create_session(
            &zielwerk_web::auth::token_hash(token),
            &id,
            "csrf-token-zum-test",
            "2999-01-01T00:00:00Z",
        )
        .await
        .unwrap();
    let mut state = zielwerk_web::AppState::new(store);
    state.time_limits.page = std::time::Duration::from_millis(1);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = zielwerk_web::router(state);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let client = reqwest::Client::new();
    let cookie = format!("zielwerk_sitzung={token}");
    let r = client
        .get(format!(
            "http://{addr}{METTMANN}/monitoring.pdf?stand=2022-06"
        ))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 408);
    let page = r.text().await.unwrap();
    assert!(page.contains("Zeitüberschreitung"), "{page}");
    assert!(page.contains("dauerte länger als 1 Sekunde"), "{page}");
    let csv = "jobcenter;kennzahl;monat;wert;status;datenstand\nt36402;BG;2022-06;18.000;endgültig;31.03.2023\n";
    let form = reqwest::multipart::Form::new()
        .part(
            "datei",
            reqwest::multipart::Part::text(csv).file_name("bg.csv"),
        )
        .text("zuordnung", "");
    let r = client
        .post(format!(
            "http://{addr}/import/vorschau?_csrf=csrf-token-zum-test"
        ))
        .header("cookie", &cookie)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let page = r.text().await.unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Vorschau des Imports"), "{page}");
}

#[tokio::test]
async fn the_sign_in_form_takes_only_tokens_the_server_signed() {
    let s = server(|_| {}).await;
    let bare = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let made_up = "f".repeat(64);
    for token in [made_up.as_str(), "x", "a.1.b"] {
        let r = bare
            .post(s.url("/anmelden"))
            .header("cookie", format!("zielwerk_anmeldung={token}"))
            .form(&[
                ("_anmeldung", token),
                ("login", "steuerung"),
                ("passwort", crate::PASSWORD),
                ("weiter", "/"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 403, "{token}");
        assert!(crate::set_cookie(&r, "zielwerk_sitzung").is_none());
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("Das Anmeldeformular ist abgelaufen")
        );
    }
    // The real form still works.
    assert!(s.login("kreis").await.csrf.len() > 10);
}

/// Forms and queries that do not deserialize (found by `zielwerk-fuzz formulare`) are answered
/// with the German error page naming the field, not the extractor's English plain text.
#[tokio::test]
async fn undecodable_forms_and_queries_are_answered_in_german() {
    let s = server(|_| {}).await;
    let r = s
        .client
        .post(s.url("/import/bestaetigen"))
        .form(&[("_csrf", s.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = r.text().await.unwrap();
    assert!(
        page.contains("In der Anfrage fehlt das Feld „token“."),
        "{page}"
    );

    let r = s
        .client
        .get(s.url("/jobcenter/t36402/aufgaben?partei=kreis&partei=agentur"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Das Feld „partei“ steht mehrfach in der Anfrage"),
        "{page}"
    );
    assert!(!page.contains("Failed to deserialize"));
}

/// A large upload (from 2 MB) is previewed and stored in the background: the browser is sent to
/// a page that shows how far the import has come and reloads itself, and that page turns into
/// the result page, with the same counts and the same confirmation as a small file's.
#[tokio::test]
async fn a_large_upload_shows_its_progress_and_then_its_result() {
    let s = server(|_| {}).await;
    let before = s.store.observation_count().await.unwrap() as usize;
    let mut body =
        String::from("jobcenter;kennzahl;monat;wert;status;datenstand;aufschluesselung\n");
    let mut rows = 0;
    'file: for class in 0.. {
        for m in 0..204 {
            body.push_str(&format!(
                "t36402;BG;{}-{:02};{},5;endgültig;01.11.2026;klasse={class}\n",
                2005 + m / 12,
                m % 12 + 1,
                1000 + rows % 7000
            ));
            rows += 1;
            if body.len() > zielwerk_web::IN_BACKGROUND_FROM + 4096 {
                break 'file;
            }
        }
    }
    let part = reqwest::multipart::Part::text(body).file_name("gross.csv");
    let r = crate::upload_part(&s, part, "").await;
    let (at, page) = until_done(&s, r, "Vorschau wird berechnet", "Vorschau des Imports").await;
    let read = zielwerk_domain::format::number(rows as f64, 0);
    assert!(
        page.contains(&format!(
            "<th scope=\"row\">Werte gelesen</th><td class=\"num\">{read}</td>"
        )),
        "{page}"
    );
    // The result stays viewable (a reload shows it again).
    assert!(get_text(&s, &at).await.contains("Vorschau des Imports"));

    let r = s
        .client
        .post(s.url("/import/bestaetigen"))
        .form(&[
            ("token", crate::token_of(&page).as_str()),
            ("_csrf", &s.csrf),
        ])
        .send()
        .await
        .unwrap();
    let (_, page) = until_done(&s, r, "Import läuft", "Import gespeichert").await;
    assert!(
        page.contains(&format!(
            "<th scope=\"row\">neu</th><td class=\"num\">{read}</td>"
        )),
        "{page}"
    );
    assert_eq!(
        s.store.observation_count().await.unwrap() as usize,
        before + rows
    );

    // Another id (or another session's) is not found, in German.
    let r = s
        .client
        .get(s.url("/import/lauf/unbekannt"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Diesen Import gibt es nicht (mehr)")
    );
}

async fn get_text(s: &Server, at: &reqwest::Url) -> String {
    s.client
        .get(at.clone())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Follows a background import from the page `r` was redirected to: until the page shows
/// `done`, it must say `running`, show a progress bar and reload itself. Returns the page's
/// address and the result page.
async fn until_done(
    s: &Server,
    r: reqwest::Response,
    running: &str,
    done: &str,
) -> (reqwest::Url, String) {
    let at = r.url().clone();
    assert!(at.path().starts_with("/import/lauf/"), "redirected to {at}");
    let mut page = r.text().await.unwrap();
    for _ in 0..600 {
        if page.contains(done) {
            return (at, page);
        }
        assert!(page.contains(running), "{page}");
        assert!(
            page.contains("http-equiv=\"refresh\"") && page.contains("<progress"),
            "{page}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        page = get_text(s, &at).await;
    }
    panic!("the background import did not end: {page}");
}
