//! The JSON API over real HTTP: tokens made in the browser, reads and writes with them, the
//! same operation through the page and the API, and every route attacked.

use super::*;
use serde_json::Value;

/// Creates a token on the token page as `s`; returns the token shown once.
pub async fn new_token(
    server: &Server,
    s: &Session,
    name: &str,
    read_only: bool,
    jobcenter: &str,
) -> String {
    let mut form = vec![
        ("name", name),
        ("jobcenter", jobcenter),
        ("gueltig_tage", "30"),
    ];
    if read_only {
        form.push(("nur_lesen", "1"));
    }
    let r = s.post(&server.url("/konto/api-schluessel"), &form).await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("nur dieses eine Mal angezeigt"), "{page}");
    let token = page
        .split("value=\"zw_")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(|t| format!("zw_{t}"))
        .expect("the new token on the page");
    // Shown once: the list afterwards does not contain it.
    let (_, list) = s.get(&server.url("/konto/api-schluessel")).await;
    assert!(!list.contains(&token));
    assert!(list.contains(name));
    token
}

async fn call(
    server: &Server,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, String) {
    let client = reqwest::Client::new();
    let mut req = client.request(method, server.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_owned());
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.text().await.unwrap())
}

/// Posts a case list of § 16a referrals of Mettmann (no column jobcenter: the field names it) to
/// `/api/v1/eigene-daten` as multipart/form-data.
async fn post_own_data(server: &Server, token: &str, query: &str) -> (u16, String) {
    let list = "person;zuweisung;beginn\n1;03.01.2023;10.01.2023\n2;20.01.2023;\n";
    let form = reqwest::multipart::Form::new()
        .part(
            "dateien",
            reqwest::multipart::Part::text(list).file_name("suchtberatung.csv"),
        )
        .text("von", "01.2023")
        .text("bis", "01.2023")
        .text("datenstand", "2023-03-01")
        .text("jobcenter", "t36402");
    let r = reqwest::Client::new()
        .post(server.url(&format!("/api/v1/eigene-daten{query}")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn case_lists_through_the_api_preview_then_store_values_aus_eigenen_daten() {
    let s = demo_server().await;
    let kreis = s.login("kreis").await;
    let token = new_token(&s, &kreis, "Fachverfahren Sucht", false, "").await;
    let before = s.store.data_version().await.unwrap();
    let (status, body) = post_own_data(&s, &token, "?vorschau=true").await;
    assert_eq!(status, 200, "{body}");
    let preview: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(preview["gespeichert"], false);
    assert_eq!(
        s.store.data_version().await.unwrap(),
        before,
        "a preview stores nothing"
    );
    // January: two referrals, one start after 7 days; completions are no indicator of Mettmann.
    assert_eq!(preview["berechnet"], 3, "{preview}");
    assert_eq!(
        preview["nicht_definiert"][0]["kennzahl"],
        "SUCHT_ABSCHLUESSE"
    );
    assert_eq!(preview["dateien"][0]["name"], "suchtberatung.csv");
    assert_eq!(preview["dateien"][0]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(preview["datenstand"], "2023-03-01");

    let (status, body) = post_own_data(&s, &token, "").await;
    assert_eq!(status, 200, "{body}");
    let stored: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (stored["gespeichert"].clone(), stored["neu"].clone()),
        (Value::Bool(true), 3.into())
    );
    let series = get_json(
        &s,
        "/api/v1/vereinbarungen/t36402-2022-v1/kennzahlen/SUCHT_ANTRITT/werte?pro_seite=100",
        &token,
    )
    .await;
    let entries = series["eintraege"].as_array().unwrap();
    let january = entries
        .iter()
        .find(|e| e["monat"] == "2023-01")
        .expect("January 2023");
    assert_eq!(january["status"], "eigene_daten");
    assert_eq!(
        (january["zaehler"].as_f64(), january["nenner"].as_f64()),
        (Some(1.0), Some(2.0))
    );

    // A month with a wrong form: refused at its field, nothing stored.
    let r = reqwest::Client::new()
        .post(s.url("/api/v1/eigene-daten"))
        .bearer_auth(&token)
        .multipart(
            reqwest::multipart::Form::new()
                .part(
                    "dateien",
                    reqwest::multipart::Part::text("x").file_name("suchtberatung.csv"),
                )
                .text("von", "13.2023")
                .text("bis", "01.2023")
                .text("datenstand", "2023-03-01"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let p: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(p["fehler"][0]["feld"], "von", "{p}");
}

async fn get_json(server: &Server, path: &str, token: &str) -> Value {
    let (status, headers, body) = call(server, reqwest::Method::GET, path, Some(token), None).await;
    assert_eq!(status, 200, "{path}: {body}");
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    serde_json::from_str(&body).unwrap()
}

#[tokio::test]
async fn a_token_reads_and_writes_what_its_owner_may_and_ends_when_revoked() {
    let s = demo_server().await;
    let kreis = s.login("kreis").await;
    let token = new_token(&s, &kreis, "Data Warehouse Kreis", false, "").await;

    // The agreements the owner may read: Mettmann only (kreis works for t36402).
    let list = get_json(&s, "/api/v1/vereinbarungen", &token).await;
    assert_eq!(list["gesamt"], 1);
    assert_eq!(list["eintraege"][0]["id"], "t36402-2022-v1");

    // Goals at a month, with status, reason, target to date, forecast and probability.
    let a = get_json(
        &s,
        "/api/v1/vereinbarungen/t36402-2022-v1?stand=2022-06",
        &token,
    )
    .await;
    assert_eq!(a["stand"], "2022-06");
    let k2 = a["ziele"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["kennzahl"] == "K2")
        .unwrap();
    assert_eq!(k2["monat"], "2022-06");
    assert!(k2["status_text"].as_str().unwrap().len() > 3);
    assert!(k2["begruendung"].as_str().unwrap().contains("Juni 2022"));
    let p = k2["prognose"]["wahrscheinlichkeit"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&p));
    // The same figures as the goal page shows.
    let (_, page) = kreis
        .get(&s.url("/vereinbarungen/t36402-2022-v1/ziele/k2?stand=2022-06"))
        .await;
    let shown = zielwerk_domain::format::number(k2["wert"].as_f64().unwrap(), 1);
    assert!(page.contains(&shown), "{shown} not on the goal page");

    // A month outside the agreement's year names the parameter.
    let (status, headers, body) = call(
        &s,
        reqwest::Method::GET,
        "/api/v1/vereinbarungen/t36402-2022-v1?stand=2021-06",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(headers["content-type"], "application/problem+json");
    let problem: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(problem["fehler"][0]["feld"], "stand");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("Vereinbarungsjahr 2022")
    );

    // A series, paginated, with numerator, denominator, Datenstand and source; ETag → 304.
    let path = "/api/v1/vereinbarungen/t36402-2022-v1/kennzahlen/K2/werte?pro_seite=5&seite=2";
    let series = get_json(&s, path, &token).await;
    assert_eq!(series["eintraege"].as_array().unwrap().len(), 5);
    assert!(series["gesamt"].as_u64().unwrap() > 10);
    let first = &series["eintraege"][0];
    assert!(first["zaehler"].as_f64().is_some() && first["nenner"].as_f64().is_some());
    assert!(first["datenstand"].as_str().unwrap().starts_with("20"));
    assert!(!first["quellen"].as_array().unwrap().is_empty());
    let (_, headers, _) = call(&s, reqwest::Method::GET, path, Some(&token), None).await;
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let r = reqwest::Client::new()
        .get(s.url(path))
        .bearer_auth(&token)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);

    // Values as JSON: preview keeps nothing, then all or nothing.
    let before = s.store.data_version().await.unwrap();
    let values = r#"{"werte":[{"jobcenter":"t36402","kennzahl":"SUCHT_ZUWEISUNGEN","monat":"2023-01","wert":41,"status":"vorlaeufig","datenstand":"2023-02-15"}]}"#;
    let (status, _, body) = call(
        &s,
        reqwest::Method::POST,
        "/api/v1/werte?vorschau=true",
        Some(&token),
        Some(values),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let preview: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(preview["gespeichert"], false);
    assert_eq!(s.store.data_version().await.unwrap(), before);
    // One bad record refuses the whole delivery, each problem at its JSON pointer.
    let bad = r#"{"werte":[{"jobcenter":"t36402","kennzahl":"SUCHT_ZUWEISUNGEN","monat":"2022-12","wert":41,"status":"vorlaeufig","datenstand":"2023-01-15"},{"jobcenter":"t36402","kennzahl":"SUCHT_ZUWEISUNGEN","monat":"2022-13","wert":1,"status":"vorlaeufig","datenstand":"2023-01-15"}]}"#;
    let (status, _, body) = call(
        &s,
        reqwest::Method::POST,
        "/api/v1/werte",
        Some(&token),
        Some(bad),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let problem: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(problem["fehler"][0]["feld"], "/werte/1/monat");
    assert_eq!(s.store.data_version().await.unwrap(), before);
    // The same problem in three records is one entry with the other two places.
    let record = |month: &str| {
        format!(
            r#"{{"jobcenter":"t99999","kennzahl":"SUCHT_ZUWEISUNGEN","monat":"{month}","wert":1,"status":"vorlaeufig","datenstand":"2023-01-15"}}"#
        )
    };
    let same = format!(
        r#"{{"werte":[{},{},{}]}}"#,
        record("2022-10"),
        record("2022-11"),
        record("2022-12")
    );
    let (status, _, body) = call(
        &s,
        reqwest::Method::POST,
        "/api/v1/werte",
        Some(&token),
        Some(&same),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let problem: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(problem["fehler"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(problem["fehler"][0]["feld"], "/werte/0/jobcenter");
    assert_eq!(problem["fehler"][0]["weitere"], 2);
    assert_eq!(
        problem["fehler"][0]["weitere_stellen"],
        serde_json::json!(["/werte/1/jobcenter", "/werte/2/jobcenter"])
    );
    assert!(
        problem["detail"].as_str().unwrap().contains("3 Probleme"),
        "{body}"
    );
    let (status, _, body) = call(
        &s,
        reqwest::Method::POST,
        "/api/v1/werte",
        Some(&token),
        Some(values),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let stored: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(stored["gespeichert"], true);
    assert_eq!(stored["neu"], 1);
    // A body that is not what the contract says is refused at its place.
    let (status, _, body) = call(
        &s,
        reqwest::Method::POST,
        "/api/v1/werte",
        Some(&token),
        Some(r#"{"werte":[{"jobcenter":"t36402","kennzahl":5}]}"#),
    )
    .await;
    assert_eq!(status, 400);
    let problem: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(problem["fehler"][0]["feld"], "/werte/0/kennzahl");

    // Every write with the token is in the audit trail under the token's name.
    let trail = get_json(
        &s,
        "/api/v1/vereinbarungen/t36402-2022-v1/protokoll",
        &token,
    )
    .await;
    let last = &trail["eintraege"][0];
    assert_eq!(last["aktion"], "values.import");
    assert!(
        last["wer"]
            .as_str()
            .unwrap()
            .ends_with("mit API-Schlüssel „Data Warehouse Kreis“"),
        "{last}"
    );

    // Revoked on the page: from then on the token authenticates nothing.
    let (_, list) = kreis.get(&s.url("/konto/api-schluessel")).await;
    let id = list
        .split("/konto/api-schluessel/")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap()
        .to_owned();
    let r = kreis
        .post(
            &s.url(&format!("/konto/api-schluessel/{id}/widerrufen")),
            &[],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (status, headers, _) = call(
        &s,
        reqwest::Method::GET,
        "/api/v1/vereinbarungen",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 401);
    assert!(headers.contains_key("www-authenticate"));
    let (_, list) = kreis.get(&s.url("/konto/api-schluessel")).await;
    assert!(list.contains("widerrufen"));
}

/// A comment made on the goal page and one made through the API are the same operation: the
/// same checks, the same stored comment, the same audit entry but for who made it.
#[tokio::test]
async fn a_comment_through_the_page_and_through_the_api_is_one_operation() {
    let s = demo_server().await;
    let kreis = s.login("kreis").await;
    let token = new_token(&s, &kreis, "Dashboard", false, "t36402").await;
    let goal = "/vereinbarungen/t36402-2022-v1/ziele/k2/anmerkungen";
    let r = kreis
        .post(
            &s.url(goal),
            &[("monat", "2022-05"), ("text", "Sondereffekt Mai")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (status, _, body) = call(
        &s,
        reqwest::Method::POST,
        &format!("/api/v1{goal}"),
        Some(&token),
        Some(r#"{"monat":"2022-05","text":"Sondereffekt Mai"}"#),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let trail = s
        .store
        .audit_trail(&"t36402-2022-v1".parse().unwrap(), None)
        .await
        .unwrap();
    let (api, page) = (&trail[0], &trail[1]);
    assert_eq!(
        (&api.action, &api.subject, &api.after, &api.indicator),
        (&page.action, &page.subject, &page.after, &page.indicator)
    );
    assert_eq!(page.actor, "kreis (Test kreis)");
    assert_eq!(
        api.actor,
        "kreis (Test kreis) mit API-Schlüssel „Dashboard“"
    );
    // The same refusal, in the same words, through both doors.
    let r = kreis
        .post(&s.url(goal), &[("monat", "2021-05"), ("text", "x")])
        .await;
    assert_eq!(r.status(), 400);
    let page = r.text().await.unwrap();
    let (status, _, body) = call(
        &s,
        reqwest::Method::POST,
        "/api/v1/vereinbarungen/t36402-2022-v1/ziele/k2/anmerkungen",
        Some(&token),
        Some(r#"{"monat":"2021-05","text":"x"}"#),
    )
    .await;
    assert_eq!(status, 400);
    let problem: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(problem["fehler"][0]["feld"], "/monat");
    let message = problem["fehler"][0]["meldung"].as_str().unwrap();
    assert!(page.contains(message), "{message}");
}

/// A write with the session cookie alone is refused: the browser's session authenticates API
/// writes only with the CSRF token in the header.
#[tokio::test]
async fn a_session_cookie_never_writes_through_the_api_without_the_csrf_header() {
    let s = demo_server().await;
    let kreis = s.login("kreis").await;
    let path = s.url("/api/v1/vereinbarungen/t36402-2022-v1/ziele/k2/anmerkungen");
    let body = r#"{"monat":"2022-05","text":"aus dem Browser"}"#;
    let before = s.store.data_version().await.unwrap();
    let r = kreis.client.post(&path).body(body).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let r = kreis
        .client
        .post(&path)
        .header("x-csrf-token", "falsch")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(s.store.data_version().await.unwrap(), before);
    // Reads with the cookie work, and so does a write with the session's token.
    let r = kreis
        .client
        .get(s.url("/api/v1/vereinbarungen"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = kreis
        .client
        .post(&path)
        .header("x-csrf-token", &kreis.csrf)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}

/// Fills the path parameters of an OpenAPI path with `ids`.
fn fill(path: &str, ids: &HashMap<&str, String>) -> String {
    let mut out = path.to_owned();
    for (name, value) in ids {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    assert!(!out.contains('{'), "{out}: a parameter without a value");
    out
}

/// Every route of the contract, attacked: as another Jobcenter's user, with a revoked and an
/// expired token, with a read-only token writing, with no token. Each answers as documented,
/// nothing is written, and a 404 for another Jobcenter's object is byte for byte the 404 of an
/// object that does not exist.
#[tokio::test]
async fn every_api_route_refuses_strangers_and_narrowed_tokens() {
    let s = demo_server().await;
    // Objects of Mettmann to aim at: a meeting with a decided action item, a published Vorlage.
    let key: zielwerk_domain::AgreementKey = "t36402-2022-v1".parse().unwrap();
    let store = s.store.acting_as("Test");
    let meeting = store
        .create_meeting(
            &key,
            &zielwerk_domain::MeetingHeader {
                kind: zielwerk_domain::MeetingKind::Zielnachhaltedialog,
                title: String::new(),
                date: "2022-10-12".parse().unwrap(),
                month: "2022-09".parse().unwrap(),
                place: "Mettmann".into(),
                participants: Vec::new(),
            },
            &[],
        )
        .await
        .unwrap();
    let (_, action) = store
        .add_decision(
            &meeting,
            None,
            "Zuweisungen prüfen",
            Some(&zielwerk_domain::ActionItem {
                what: "Zuweisungen prüfen".into(),
                owner_party: zielwerk_domain::PartyRole::Kreis,
                owner_person: "Frau A".into(),
                due: "2022-12-01".parse().unwrap(),
                status: zielwerk_domain::ActionStatus::Open,
                goal: None,
                measure: None,
            }),
        )
        .await
        .unwrap();
    let action = action.unwrap();
    let a = store.agreement(&key).await.unwrap().unwrap();
    let vorlage = store
        .create_vorlage(
            &key,
            &zielwerk_domain::VorlageHeader::draft(&a, "2022-10-01".parse().unwrap()),
        )
        .await
        .unwrap();
    store
        .publish_vorlage(
            &vorlage,
            1,
            &[zielwerk_store::NewFile {
                name: "vorlage.pdf".into(),
                role: zielwerk_store::FileRole::Main,
                title: "Vorlage".into(),
                mime_type: "application/pdf".into(),
                content: b"%PDF-1.7 test".to_vec(),
            }],
        )
        .await
        .unwrap();

    let steuerung = s.login("steuerung").await;
    let kreis = s.login("kreis").await;
    let regensburg = s.login("regensburg").await;
    let own = new_token(&s, &kreis, "eigener", false, "").await;
    let foreign = new_token(&s, &regensburg, "fremd", false, "").await;
    let read_only = new_token(&s, &steuerung, "nur lesen", true, "").await;
    let revoked = new_token(&s, &kreis, "widerrufen", false, "").await;
    let id = kreis_token_id(&s, &kreis, "widerrufen").await;
    assert_eq!(
        kreis
            .post(
                &s.url(&format!("/konto/api-schluessel/{id}/widerrufen")),
                &[]
            )
            .await
            .status(),
        303
    );
    let expired = "zw_abgelaufen0000000000000000000000000000000000000000000000000000";
    let user = s.store.user_by_login("kreis").await.unwrap().unwrap();
    s.store
        .create_token(&zielwerk_store::NewToken {
            user_id: &user.id,
            login: "kreis",
            name: "abgelaufen",
            token_hash: &zielwerk_app::accounts::token_hash(expired),
            read_only: false,
            jobcenter: None,
            expires_at: "2020-01-01T00:00:00.000000Z",
        })
        .await
        .unwrap();

    let mettmann: HashMap<&str, String> = [
        ("id", "t36402-2022-v1".to_owned()),
        ("ziel", "k2".to_owned()),
        ("kennzahl", "K2".to_owned()),
        ("jobcenter", "t36402".to_owned()),
        ("aufgabe", action.clone()),
        ("vorlage", vorlage.clone()),
        ("datei", "vorlage.pdf".to_owned()),
    ]
    .into();
    // The same shapes, of objects that do not exist.
    let nowhere: HashMap<&str, String> = [
        ("id", "t99999-2022-v1".to_owned()),
        ("ziel", "k2".to_owned()),
        ("kennzahl", "K2".to_owned()),
        ("jobcenter", "t99999".to_owned()),
        (
            "aufgabe",
            action.replace(|c: char| c.is_ascii_hexdigit(), "0"),
        ),
        (
            "vorlage",
            vorlage.replace(|c: char| c.is_ascii_hexdigit(), "0"),
        ),
        ("datei", "vorlage.pdf".to_owned()),
    ]
    .into();
    let bodies: HashMap<&str, &str> = [
        ("/api/v1/werte", r#"{"werte":[{"jobcenter":"t36402","kennzahl":"SUCHT_ZUWEISUNGEN","monat":"2022-12","wert":41,"status":"vorlaeufig","datenstand":"2023-01-15"}]}"#),
        ("/api/v1/werte/datei", "jobcenter;kennzahl;monat;wert;status;datenstand\nt36402;SUCHT_ZUWEISUNGEN;2022-12;41;vorläufig;15.01.2023\n"),
        ("/api/v1/vereinbarungen/{id}/ziele/{ziel}/anmerkungen", r#"{"monat":"2022-05","text":"Angriff"}"#),
        ("/api/v1/aufgaben/{aufgabe}/status", r#"{"status":"erledigt","revision":1}"#),
    ]
    .into();

    let doc: Value = serde_json::to_value(zielwerk_web::api::openapi()).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 13, "{} paths", paths.len());
    let before = s.store.data_version().await.unwrap();
    for (template, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let method: reqwest::Method = method.to_uppercase().parse().unwrap();
            let writes = method != reqwest::Method::GET;
            let documented = |status: u16| op["responses"].get(status.to_string()).is_some();
            let query = if template.ends_with("/werte/datei") {
                "?name=werte.csv"
            } else {
                ""
            };
            let body = bodies.get(template.as_str()).copied();
            let target = format!("{}{query}", fill(template, &mettmann));
            let missing = format!("{}{query}", fill(template, &nowhere));
            let what = format!("{method} {template}");

            // No token, a revoked one, an expired one: 401, the same answer for all three.
            let mut unauthorized = Vec::new();
            for t in [None, Some(revoked.as_str()), Some(expired)] {
                let (status, headers, text) = call(&s, method.clone(), &target, t, body).await;
                assert_eq!(status, 401, "{what} with {t:?}: {text}");
                assert!(documented(401), "{what}: 401 not in the contract");
                assert!(headers.contains_key("www-authenticate"));
                unauthorized.push(text);
            }
            assert_eq!(
                unauthorized[1], unauthorized[2],
                "{what}: revoked ≠ expired"
            );

            // Another Jobcenter's user: 404, byte for byte the 404 of nothing at all (the
            // import routes have no object: their values of Mettmann are refused as unknown).
            if !writes && !template.contains('{') {
                // A list of the caller's own: nothing of Mettmann in it.
                let (status, _, text) =
                    call(&s, method.clone(), &target, Some(&foreign), body).await;
                assert_eq!(status, 200, "{what}: {text}");
                assert!(!text.contains("t36402"), "{what}: {text}");
            } else if template == "/api/v1/eigene-daten" {
                let (status, text) = post_own_data(&s, &foreign, "").await;
                assert_eq!(status, 422, "{what}: {text}");
                assert!(text.contains("Jobcenter"), "{text}");
            } else if template.starts_with("/api/v1/werte") {
                let (status, _, text) =
                    call(&s, method.clone(), &target, Some(&foreign), body).await;
                assert_eq!(status, 422, "{what}: {text}");
                assert!(text.contains("Jobcenter"), "{text}");
            } else {
                let (status, h1, there) =
                    call(&s, method.clone(), &target, Some(&foreign), body).await;
                let (status2, h2, absent) =
                    call(&s, method.clone(), &missing, Some(&foreign), body).await;
                assert_eq!((status, status2), (404, 404), "{what}: {there} / {absent}");
                assert!(documented(404), "{what}: 404 not in the contract");
                let normalise = |t: &str| {
                    nowhere
                        .iter()
                        .fold(t.to_owned(), |t, (k, v)| t.replace(&mettmann[k], v))
                };
                assert_eq!(normalise(&there), absent, "{what}: the 404s differ");
                assert_eq!(h1.get("content-length"), h2.get("content-length"));
                assert_eq!(h1["content-type"], "application/problem+json");
            }

            // A read-only token: reads pass, writes are 403 and write nothing.
            let (status, _, text) = call(&s, method.clone(), &target, Some(&read_only), body).await;
            if writes {
                assert_eq!(status, 403, "{what} read-only: {text}");
                assert!(documented(403), "{what}: 403 not in the contract");
            } else {
                assert_eq!(status, 200, "{what} read-only: {text}");
            }
        }
    }
    assert_eq!(
        s.store.data_version().await.unwrap(),
        before,
        "an attack wrote something"
    );
    // And the owner's own token does what the strangers could not.
    let (status, _, body) = call(
        &s,
        reqwest::Method::GET,
        &format!("/api/v1/vorlagen/{vorlage}/dateien/vorlage.pdf"),
        Some(&own),
        None,
    )
    .await;
    assert_eq!((status, body.as_str()), (200, "%PDF-1.7 test"));
}

async fn kreis_token_id(s: &Server, session: &Session, name: &str) -> String {
    let (_, list) = session.get(&s.url("/konto/api-schluessel")).await;
    let row = list
        .split("<tr>")
        .find(|r| r.contains(&format!(">{name}<")))
        .unwrap();
    row.split("/konto/api-schluessel/")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap()
        .to_owned()
}

/// A body over the limit is refused as problem+json in German, before anything is read.
#[tokio::test]
async fn an_oversized_delivery_is_refused_as_problem_json() {
    let s = demo_server().await;
    let kreis = s.login("kreis").await;
    let token = new_token(&s, &kreis, "gross", false, "").await;
    let big = vec![b'1'; zielwerk_web::UPLOAD_LIMIT + 1024];
    let r = reqwest::Client::new()
        .post(s.url("/api/v1/werte/datei?name=gross.csv"))
        .bearer_auth(&token)
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let problem: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("höchstens 128"),
        "{problem}"
    );
}
