//! Trust over HTTP: sign-in and sessions, what each role may do (through the pages), tenant
//! isolation under attack (another Jobcenter's ids guessed, pages and writes), CSRF, two people
//! editing the same goal, signing with a Nachtrag and its differences, and the audit trail on
//! the pages. Like the whole suite, they run on SQLite and again on PostgreSQL (`scripts/test`).

use zielwerk_domain::{ActionItem, ActionStatus, MeetingHeader, MeetingKind, PartyRole, YearMonth};

use crate::{METTMANN, PASSWORD, Server, Session, demo_server, login_as, set_cookie};

const REGENSBURG: &str = "/vereinbarungen/t73906-2026-v1";

/// Mettmann's Vorlage, meeting and action item ids, made behind the scenes (an attacker is
/// assumed to know or guess them).
pub struct Ids {
    vorlage: String,
    meeting: String,
    action: String,
}

pub async fn mettmann_ids(s: &Server) -> Ids {
    let a = zielwerk_demo::mettmann_agreement().unwrap();
    let vorlage = s
        .store
        .create_vorlage(&a.key(), &zielwerk_demo::mettmann_vorlage(&a))
        .await
        .unwrap();
    let header = MeetingHeader {
        kind: MeetingKind::Zielnachhaltedialog,
        title: String::new(),
        date: chrono::NaiveDate::from_ymd_opt(2022, 10, 12).unwrap(),
        month: YearMonth::new(2022, 9).unwrap(),
        place: "Kreishaus".into(),
        participants: Vec::new(),
    };
    let meeting = zielwerk_app::documents::create_meeting(&s.store, &a.key(), header)
        .await
        .unwrap();
    let item = s.store.agenda(&meeting).await.unwrap()[0].id.clone();
    let (_, action) = s
        .store
        .add_decision(
            &meeting,
            Some(&item),
            "Konzept vorlegen",
            Some(&ActionItem {
                what: "Konzept".into(),
                owner_party: PartyRole::Kreis,
                owner_person: String::new(),
                due: chrono::NaiveDate::from_ymd_opt(2022, 11, 15).unwrap(),
                status: ActionStatus::Open,
                goal: None,
                measure: None,
            }),
        )
        .await
        .unwrap();
    Ids {
        vorlage,
        meeting,
        action: action.unwrap(),
    }
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Every internal page of Mettmann, by the ids in `ids`.
fn mettmann_pages(ids: &Ids) -> Vec<String> {
    let mut pages: Vec<String> = [
        "",
        "/anlagen",
        "/export.toml",
        "/ziele/k2",
        "/ziele/k2/bearbeiten",
        "/ziele/k2/protokoll",
        "/berichte",
        "/monitoring",
        "/monitoring.pdf",
        "/werte.xlsx",
        "/sitzungen",
        "/protokoll",
        "/unterzeichnung",
    ]
    .iter()
    .map(|p| format!("{METTMANN}{p}"))
    .collect();
    pages.extend([
        format!("/vorlagen/{}", ids.vorlage),
        format!("/vorlagen/{}/vorlage.pdf", ids.vorlage),
        format!("/vorlagen/{}/anlage-1.pdf", ids.vorlage),
        format!("/sitzungen/{}", ids.meeting),
        format!("/sitzungen/{}/niederschrift.pdf", ids.meeting),
        "/jobcenter/t36402/aufgaben".into(),
    ]);
    pages
}

/// Every write on Mettmann's data, with a plausible form.
fn mettmann_writes(ids: &Ids) -> Vec<(String, Vec<(&'static str, String)>)> {
    let s = |v: &str| v.to_owned();
    vec![
        (
            format!("{METTMANN}/ziele/k2/anmerkungen"),
            vec![("monat", s("2022-09")), ("text", s("Eingeschleust"))],
        ),
        (
            format!("{METTMANN}/ziele/kdu-je-bg/bearbeiten"),
            vec![
                ("revision", s("0")),
                ("titel", s("Übernommen")),
                ("ziel", s("1,0")),
                ("toleranz", s("1,0")),
            ],
        ),
        (format!("{METTMANN}/vorlagen"), vec![]),
        (
            format!("/vorlagen/{}", ids.vorlage),
            vec![("revision", s("1")), ("number", s("1/2/3"))],
        ),
        (
            format!("/vorlagen/{}/veroeffentlichen", ids.vorlage),
            vec![],
        ),
        (
            format!("{METTMANN}/sitzungen"),
            vec![
                ("art", s("controllinggespraech")),
                ("datum", s("2022-11-01")),
                ("monat", s("2022-09")),
            ],
        ),
        (
            format!("/sitzungen/{}", ids.meeting),
            vec![("revision", s("1")), ("art", s("controllinggespraech"))],
        ),
        (
            format!("/sitzungen/{}/tagesordnung", ids.meeting),
            vec![("titel", s("Eingeschleust"))],
        ),
        (
            format!("/sitzungen/{}/beschluesse", ids.meeting),
            vec![("beschluss", s("Eingeschleust"))],
        ),
        (
            format!("/aufgaben/{}/status", ids.action),
            vec![("status", s("erledigt")), ("revision", s("1"))],
        ),
        (
            format!("{METTMANN}/unterzeichnen"),
            vec![("partei", s("kreis"))],
        ),
        (format!("{METTMANN}/nachtrag"), vec![]),
    ]
}

pub async fn post_as(
    s: &Server,
    who: &Session,
    path: &str,
    form: &[(&str, String)],
) -> (u16, String) {
    let mut fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    fields.push(("_csrf", &who.csrf));
    let r = who
        .nofollow
        .post(s.url(path))
        .form(&fields)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn another_jobcenter_is_invisible_and_untouchable() {
    isolation(&demo_server().await).await;
}

#[tokio::test]
async fn another_jobcenter_is_invisible_and_untouchable_for_an_account_of_the_identity_provider() {
    isolation(&crate::oidc::provider_server().await).await;
}

/// Tenant isolation, for whoever `s.login` signs in (with a password, or through a provider).
async fn isolation(s: &Server) {
    let ids = mettmann_ids(s).await;
    let intruder = s.login("regensburg").await;
    let before = s.store.verify_audit().await.unwrap().events;

    // Their own agreement works; Mettmann is not listed.
    let (status, home) = intruder.get(&s.url("/")).await;
    assert_eq!(status, 200);
    assert!(home.contains("t73906-2026-v1"));
    assert!(!home.contains("t36402"), "{home}");
    assert_eq!(intruder.get(&s.url(REGENSBURG)).await.0, 200);

    // Every page of Mettmann answers exactly like a page that does not exist.
    let (_, unknown) = intruder.get(&s.url("/vereinbarungen/t36402-2099-v1")).await;
    for page in mettmann_pages(&ids) {
        let (status, body) = intruder.get(&s.url(&page)).await;
        assert_eq!(status, 404, "{page}: {body}");
        assert!(
            !body.contains("ME-aktiv") && !body.contains("Mettmann"),
            "{page} leaks: {body}"
        );
        if page == METTMANN {
            assert_eq!(
                body.replace("t36402-2022-v1", "X"),
                unknown.replace("t36402-2099-v1", "X"),
                "same answer as a missing agreement"
            );
        }
    }
    // The public API (OParl) knows published papers only: a draft is not there for anyone.
    for api in [
        format!("/oparl/v1/papers/{}", ids.vorlage),
        format!("/oparl/v1/files/{}/vorlage.pdf", ids.vorlage),
        format!("/oparl/v1/files/{}/vorlage.pdf/download", ids.vorlage),
    ] {
        let (status, body) = intruder.get(&s.url(&api)).await;
        assert_eq!(status, 404, "{api}: {body}");
        let r = no_redirects().get(s.url(&api)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 404, "{api} without signing in");
    }
    // Every write is refused and changes nothing.
    for (path, form) in mettmann_writes(&ids) {
        let (status, body) = post_as(s, &intruder, &path, &form).await;
        assert_eq!(status, 404, "{path}: {body}");
    }
    // Values for Mettmann in an upload are refused as an unknown Jobcenter.
    let csv = "jobcenter;kennzahl;monat;wert;status;datenstand\nt36402;BG;2022-09;1;endgueltig;2022-10-15\n";
    let form = reqwest::multipart::Form::new().part(
        "datei",
        reqwest::multipart::Part::text(csv).file_name("fremd.csv"),
    );
    let r = intruder
        .client
        .post(s.url(&format!("/import/vorschau?_csrf={}", intruder.csrf)))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let page = r.text().await.unwrap();
    assert!(page.contains("Datei abgelehnt"), "{page}");
    assert!(page.contains("t36402"), "the row is named: {page}");
    assert!(!page.contains("name=\"token\""), "no confirmation offered");

    let after = s.store.verify_audit().await.unwrap();
    assert_eq!(after.events, before, "nothing was written");
    assert_eq!(after.broken, None);
    let a = s.store.action(&ids.action).await.unwrap().unwrap();
    assert_eq!(a.item.status, ActionStatus::Open);
}

#[tokio::test]
async fn signed_out_visitors_are_sent_to_the_login_and_cannot_write() {
    let s = demo_server().await;
    let ids = mettmann_ids(&s).await;
    let client = no_redirects();
    for page in mettmann_pages(&ids) {
        let r = client.get(s.url(&page)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 303, "{page}");
        let to = r.headers()["location"].to_str().unwrap();
        assert!(to.starts_with("/anmelden?weiter=%2F"), "{to}");
    }
    for (path, form) in mettmann_writes(&ids) {
        let r = client.post(s.url(&path)).form(&form).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 401, "{path}");
    }
    // Published documents stay public through OParl; the login page and health too.
    for open in [
        "/anmelden",
        "/health",
        "/oparl/v1/system",
        "/static/style.css",
    ] {
        let r = client.get(s.url(open)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "{open}");
    }
}

/// What each role may do, through the pages: the HTTP face of the permission table.
#[tokio::test]
async fn each_role_sees_and_changes_what_it_should() {
    roles(demo_server().await).await;
}

#[tokio::test]
async fn each_role_sees_and_changes_what_it_should_as_an_account_of_the_identity_provider() {
    roles(crate::oidc::provider_server().await).await;
}

/// The permission table through the pages, for whoever `s.login` signs in.
async fn roles(s: Server) {
    let ids = mettmann_ids(&s).await;
    let (kreis, agentur, jobcenter, ausschuss, admin) = (
        s.login("kreis").await,
        s.login("agentur").await,
        s.login("jobcenter").await,
        s.login("ausschuss").await,
        s.login("admin").await,
    );
    let all = [&kreis, &agentur, &jobcenter, &ausschuss, &admin];
    // Reads: expected status per role (Kreis, Agentur, Jobcenter, Leserecht, Admin).
    let reads: [(&str, [u16; 5]); 6] = [
        (METTMANN, [200, 200, 200, 404, 404]),
        (
            "/vereinbarungen/t36402-2022-v1/protokoll",
            [200, 200, 200, 404, 200],
        ),
        (
            "/vereinbarungen/t36402-2022-v1/ziele/kdu-je-bg/protokoll",
            [200, 200, 200, 404, 200],
        ),
        (
            "/vereinbarungen/t36402-2022-v1/monitoring",
            [200, 200, 200, 404, 404],
        ),
        ("/import", [200, 403, 200, 403, 403]),
        ("/jobcenter/t36402/aufgaben", [200, 200, 200, 404, 404]),
    ];
    for (path, expected) in reads {
        for (who, want) in all.iter().zip(expected) {
            assert_eq!(who.get(&s.url(path)).await.0, want, "{path}");
        }
    }
    // Readers see nothing internal; once the Kreis publishes the Vorlage, their start page lists
    // it with its files, which they can open.
    let (_, home) = ausschuss.get(&s.url("/")).await;
    assert!(!home.contains("/vereinbarungen/t36402"), "{home}");
    assert!(!home.contains("Veröffentlichte Vorlagen"));
    let publish = format!("/vorlagen/{}/veroeffentlichen", ids.vorlage);
    assert_eq!(post_as(&s, &agentur, &publish, &[]).await.0, 403);
    assert_eq!(post_as(&s, &kreis, &publish, &[]).await.0, 303);
    let (_, home) = ausschuss.get(&s.url("/")).await;
    assert!(
        home.contains("Veröffentlichte Vorlagen") && home.contains("50/058/2022"),
        "{home}"
    );
    let link = home
        .split("href=\"/oparl/v1/files/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let r = ausschuss
        .client
        .get(s.url(&format!("/oparl/v1/files/{link}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.bytes().await.unwrap().starts_with(b"%PDF") || link.ends_with(".docx/download"));
    assert_eq!(
        ausschuss
            .get(&s.url(&format!("/vorlagen/{}", ids.vorlage)))
            .await
            .0,
        404
    );

    // Writes, one role at a time; each form is valid, so 303 means done.
    let vorlage = format!("{METTMANN}/vorlagen");
    for (who, want) in all.iter().zip([303, 403, 403, 404, 404]) {
        assert_eq!(
            post_as(&s, who, &vorlage, &[]).await.0,
            want,
            "Vorlage anlegen"
        );
    }
    let comment = format!("{METTMANN}/ziele/k2/anmerkungen");
    let text = |t: &str| vec![("monat", "2022-09".to_owned()), ("text", t.to_owned())];
    for (who, want) in all.iter().zip([303, 303, 303, 404, 404]) {
        assert_eq!(
            post_as(&s, who, &comment, &text("Sondereffekt")).await.0,
            want
        );
    }
    let status = format!("/aufgaben/{}/status", ids.action);
    let a = s.store.action(&ids.action).await.unwrap().unwrap();
    let form = vec![
        ("status", "in-arbeit".to_owned()),
        ("revision", a.revision.to_string()),
    ];
    assert_eq!(post_as(&s, &ausschuss, &status, &form).await.0, 404);
    assert_eq!(post_as(&s, &agentur, &status, &form).await.0, 303);

    // A goal belongs to its party: the Kreis edits KdU, the Agentur K2, not the other way round.
    // Mettmann is signed, so first a Nachtrag.
    assert_eq!(
        post_as(&s, &agentur, &format!("{METTMANN}/nachtrag"), &[])
            .await
            .0,
        303
    );
    let v2 = "/vereinbarungen/t36402-2022-v2";
    let edit = |goal: &str| format!("{v2}/ziele/{goal}/bearbeiten");
    assert_eq!(kreis.get(&s.url(&edit("kdu-je-bg"))).await.0, 200);
    let (status, page) = kreis.get(&s.url(&edit("k2"))).await;
    assert_eq!(status, 403);
    assert!(
        page.contains("Dazu fehlt Ihnen die Berechtigung: Ziele und Handlungsansätze in der Verantwortung „Agentur für Arbeit“ ändern. Ihre Rollen für dieses Jobcenter: Kommunaler Träger."),
        "{page}"
    );
    assert_eq!(agentur.get(&s.url(&edit("k2"))).await.0, 200);
    assert_eq!(agentur.get(&s.url(&edit("kdu-je-bg"))).await.0, 403);
    assert_eq!(
        jobcenter.get(&s.url(&edit("planung-aktivierung"))).await.0,
        200
    );
    assert_eq!(ausschuss.get(&s.url(&edit("kdu-je-bg"))).await.0, 404);
    // The signed version has no editor at all.
    let (status, page) = kreis
        .get(&s.url(&format!("{METTMANN}/ziele/kdu-je-bg/bearbeiten")))
        .await;
    assert_eq!(status, 409);
    assert!(page.contains("ist unterzeichnet"), "{page}");
    // Each party signs for itself only.
    let (status, _) = post_as(
        &s,
        &kreis,
        &format!("{v2}/unterzeichnen"),
        &[("partei", "agentur".to_owned())],
    )
    .await;
    assert_eq!(status, 403);
    // The administration's start page leads to accounts and audit trails, not to steering.
    let start = admin.get(&s.url("/")).await.1;
    assert!(
        start.contains("Benutzerkonten und Rechte verwalten"),
        "{start}"
    );
    assert!(
        !start.contains("/vereinbarungen/t36402-2022-v1\""),
        "{start}"
    );
}

#[tokio::test]
async fn forms_without_the_token_or_from_elsewhere_are_refused() {
    let s = demo_server().await;
    let before = s.store.verify_audit().await.unwrap().events;
    let comment = s.url(&format!("{METTMANN}/ziele/k2/anmerkungen"));
    let fields = [("monat", "2022-09"), ("text", "Ohne Token")];
    let r = s.client.post(&comment).form(&fields).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert!(r.text().await.unwrap().contains("Sicherheitsmerkmal"));
    let wrong = [("monat", "2022-09"), ("text", "Falsch"), ("_csrf", "00")];
    let r = s.client.post(&comment).form(&wrong).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 403);
    // A token of another session does not fit either.
    let other = s.login("kreis").await;
    let theirs = [
        ("monat", "2022-09"),
        ("text", "Fremd"),
        ("_csrf", other.csrf.as_str()),
    ];
    let r = s.client.post(&comment).form(&theirs).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 403);
    // The right token from a foreign origin is refused too.
    let ok = [
        ("monat", "2022-09"),
        ("text", "Fremde Seite"),
        ("_csrf", s.csrf.as_str()),
    ];
    let r = s
        .client
        .post(&comment)
        .header("origin", "https://angreifer.example")
        .form(&ok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    // An upload without the token in its address is refused.
    let form = reqwest::multipart::Form::new().part(
        "datei",
        reqwest::multipart::Part::text("x").file_name("a.csv"),
    );
    let r = s
        .client
        .post(s.url("/import/vorschau"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(
        s.store.verify_audit().await.unwrap().events,
        before,
        "nothing written"
    );
    // An oversized form is refused with a German message before anything reads it.
    let huge = "x".repeat(3 * 1024 * 1024);
    let big = [
        ("monat", "2022-09"),
        ("text", huge.as_str()),
        ("_csrf", s.csrf.as_str()),
    ];
    let r = s.client.post(&comment).form(&big).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 413);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Das Formular ist zu groß (höchstens 2 MB)")
    );
    // With the token and without a foreign origin it goes through.
    let r = s.client.post(&comment).form(&ok).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test]
async fn sessions_cookies_logout_password_change_and_throttling() {
    let s = demo_server().await;
    let bare = no_redirects();
    // The cookie: HttpOnly, SameSite=Strict; Secure when the request came over TLS.
    let form = bare.get(s.url("/anmelden")).send().await.unwrap();
    let cookie = form.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain HTTP on loopback");
    let form = bare
        .get(s.url("/anmelden"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert!(
        form.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Secure")
    );

    // Security headers on a signed-in page; HSTS only when the request came over TLS.
    let r = s.client.get(s.url(METTMANN)).send().await.unwrap();
    let h = r.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("unsafe"),
        "{csp}"
    );
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "same-origin");
    assert_eq!(h["cross-origin-opener-policy"], "same-origin");
    assert_eq!(h["cache-control"], "private, no-store");
    assert!(h.get("strict-transport-security").is_none());
    let body = r.text().await.unwrap();
    assert!(
        !body.contains("<script") && !body.contains(" style=\""),
        "no inline script or style: the CSP would block it"
    );
    let r = s
        .client
        .get(s.url(METTMANN))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert!(r.headers().contains_key("strict-transport-security"));

    // A password change ends the other sessions, keeps this one, and the new password works.
    let first = s.login("kreis").await;
    let second = s.login("kreis").await;
    let (status, page) = post_as(
        &s,
        &first,
        "/konto/passwort",
        &[
            ("alt", PASSWORD.to_owned()),
            ("neu", "kurz".to_owned()),
            ("wiederholt", "kurz".to_owned()),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert!(page.contains("mindestens 12 Zeichen"), "{page}");
    let (status, page) = post_as(
        &s,
        &first,
        "/konto/passwort",
        &[
            ("alt", PASSWORD.to_owned()),
            ("neu", "ein-neues-langes-passwort".to_owned()),
            ("wiederholt", "ein-neues-langes-passwort".to_owned()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Ihr Passwort wurde geändert"));
    assert_eq!(first.get(&s.url(METTMANN)).await.0, 200);
    let r = second.client.get(s.url(METTMANN)).send().await.unwrap();
    assert!(
        r.url().path().starts_with("/anmelden"),
        "the other session ended"
    );
    assert!(login_as(s.addr, "kreis", PASSWORD).await.is_err());
    let again = login_as(s.addr, "kreis", "ein-neues-langes-passwort")
        .await
        .unwrap();

    // Logout ends the session on the server, not only in the browser.
    let r = again
        .client
        .post(s.url("/abmelden"))
        .form(&[("_csrf", again.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert!(r.url().path().starts_with("/anmelden"));
    let r = again.client.get(s.url(METTMANN)).send().await.unwrap();
    assert!(
        r.url().path().starts_with("/anmelden"),
        "the old cookie is dead"
    );

    // Guessing: after five wrong passwords the account waits, even for the right one.
    for _ in 0..5 {
        let (status, _) = login_as(s.addr, "agentur", "geraten-geraten")
            .await
            .err()
            .unwrap();
        assert_eq!(status, 401);
    }
    let (status, page) = login_as(s.addr, "agentur", PASSWORD).await.err().unwrap();
    assert_eq!(status, 429);
    assert!(
        page.contains("Zu viele fehlgeschlagene Anmeldungen"),
        "{page}"
    );
    // An unknown account gets the same answer as a wrong password.
    let (status, page) = login_as(s.addr, "niemand", "geraten-geraten")
        .await
        .err()
        .unwrap();
    assert_eq!(status, 401);
    assert!(page.contains("Anmeldename oder Passwort ist falsch"));
    assert!(set_cookie(&form, "zielwerk_sitzung").is_none());
}

/// Two people open the same goal; the second save gets a clear conflict, keeps the typed text,
/// and the first save stays.
#[tokio::test]
async fn two_people_editing_the_same_goal() {
    let s = &demo_server().await;
    // Regensburg 2026 is a draft; its goal "bg" is the Jobcenter's.
    let edit = format!("{REGENSBURG}/ziele/bg/bearbeiten");
    let anna = s.login("regensburg").await;
    let bert = s.login("steuerung").await;
    let (_, form_a) = anna.get(&s.url(&edit)).await;
    let (_, form_b) = bert.get(&s.url(&edit)).await;
    let revision = |page: &str| crate::form_value(page, "revision").to_owned();
    assert_eq!(revision(&form_a), revision(&form_b));
    let save = |title: &str, target: &str, rev: String| {
        vec![
            ("revision", rev),
            ("titel", title.to_owned()),
            ("beschreibung", "Neu gefasst".to_owned()),
            ("ziel", target.to_owned()),
            ("toleranz", "50".to_owned()),
        ]
    };
    let (status, _) = post_as(
        s,
        &anna,
        &edit,
        &save("BG senken (Fassung Anna)", "2.550", revision(&form_a)),
    )
    .await;
    assert_eq!(status, 303, "saved");
    let (status, page) = post_as(
        s,
        &bert,
        &edit,
        &save("BG senken (Fassung Bert)", "2.500", revision(&form_b)),
    )
    .await;
    assert_eq!(status, 409);
    assert!(
        page.contains(
            "Das Ziel „BG senken (Fassung Anna)“ wurde inzwischen von jemand anderem geändert"
        ),
        "{page}"
    );
    assert!(
        page.contains("value=\"BG senken (Fassung Bert)\""),
        "Bert's text is kept"
    );
    assert!(
        page.contains("<dd>2.550</dd>"),
        "what is stored now is shown: {page}"
    );
    let stored = s
        .store
        .agreement(&"t73906-2026-v1".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let g = stored
        .goals
        .iter()
        .find(|g| g.key.as_str() == "bg")
        .unwrap();
    assert_eq!(g.title, "BG senken (Fassung Anna)");
    assert_eq!(g.target, zielwerk_domain::Target::Annual { value: 2550.0 });
    // Saving again from the conflict page is a decision, and works.
    let (status, _) = post_as(
        s,
        &bert,
        &edit,
        &save("BG senken (Fassung Bert)", "2.500", revision(&page)),
    )
    .await;
    assert_eq!(status, 303);
    // Bad input names the field and keeps the rest.
    let (status, page) = post_as(s, &bert, &edit, &save("", "viel", revision(&page))).await;
    assert_eq!(status, 422);
    assert!(
        page.contains("Feld „Titel“") && page.contains("Feld „Jahreszielwert“"),
        "{page}"
    );

    // Truly at the same time: both save from the same revision in parallel, ten rounds; each
    // round exactly one wins and the other gets the conflict, on either backend.
    for round in 0..10 {
        let (_, form) = anna.get(&s.url(&edit)).await;
        let rev = revision(&form);
        let a = save(&format!("Runde {round} Anna"), "2.600", rev.clone());
        let b = save(&format!("Runde {round} Bert"), "2.400", rev);
        let (ra, rb) = tokio::join!(post_as(s, &anna, &edit, &a), post_as(s, &bert, &edit, &b));
        let mut statuses = [ra.0, rb.0];
        statuses.sort();
        assert_eq!(statuses, [303, 409], "round {round}: {} / {}", ra.1, rb.1);
    }
    assert_eq!(
        s.store.verify_audit().await.unwrap().broken,
        None,
        "the chain never forks"
    );

    // The goal's trail shows both saves with who, before and after.
    let (_, trail) = anna
        .get(&s.url(&format!("{REGENSBURG}/ziele/bg/protokoll")))
        .await;
    assert_eq!(trail.matches("Ziel geändert").count(), 12, "{trail}");
    assert!(trail.contains("regensburg (Test regensburg)"));
    assert!(trail.contains("steuerung (Test steuerung)"));
    assert!(trail.contains("Fassung Anna") && trail.contains("Fassung Bert"));
}

#[tokio::test]
async fn next_year_is_prepared_from_this_year_and_shows_what_changed() {
    let s = demo_server().await;
    let (kreis, leser) = (s.login("kreis").await, s.login("ausschuss").await);
    let (_, page) = kreis
        .get(&s.url(&format!("{METTMANN}/unterzeichnung")))
        .await;
    assert!(page.contains("Vereinbarung für 2023 vorbereiten"), "{page}");
    // Who may not steer this Jobcenter cannot prepare it.
    let r = leser
        .post(&s.url(&format!("{METTMANN}/folgejahr")), &[])
        .await;
    assert!(matches!(r.status().as_u16(), 403 | 404), "{}", r.status());

    let r = kreis
        .post(&s.url(&format!("{METTMANN}/folgejahr")), &[])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let next = "/vereinbarungen/t36402-2023-v1";
    assert_eq!(r.headers()["location"], next);
    let (status, overview) = kreis.get(&s.url(next)).await;
    assert_eq!(status, 200, "{overview}");
    assert!(overview.contains("2023"), "{overview}");
    // Once only; this year's page links to it instead.
    let r = kreis
        .post(&s.url(&format!("{METTMANN}/folgejahr")), &[])
        .await;
    assert_eq!(r.status().as_u16(), 409);
    let (_, page) = kreis
        .get(&s.url(&format!("{METTMANN}/unterzeichnung")))
        .await;
    assert!(
        page.contains("Die Vereinbarung für das Folgejahr ist vorbereitet: <a href=\"/vereinbarungen/t36402-2023-v1\">"),
        "{page}"
    );

    // Nothing changed yet against last year carried on.
    let (_, page) = kreis.get(&s.url(&format!("{next}/unterzeichnung"))).await;
    assert!(page.contains("Stand: <strong>Entwurf</strong>"), "{page}");
    assert!(page.contains("noch nicht unterzeichnet"), "{page}");
    assert!(
        page.contains("übernimmt die Vereinbarung des Vorjahres unverändert"),
        "{page}"
    );
    // The carried target is the proposal to change; the signing page names the change.
    let edit = format!("{next}/ziele/kdu-je-bg/bearbeiten");
    let (_, form) = kreis.get(&s.url(&edit)).await;
    assert!(
        form.contains("name=\"ziel\" value=\"700,00\""),
        "the target is carried: {form}"
    );
    let rev = crate::form_value(&form, "revision").to_owned();
    let r = kreis
        .post(
            &s.url(&edit),
            &[
                ("revision", &rev),
                ("titel", "Kosten der Unterkunft je BG begrenzen"),
                ("beschreibung", ""),
                ("ziel", "730"),
                ("toleranz", "1,0"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, page) = kreis.get(&s.url(&format!("{next}/unterzeichnung"))).await;
    assert!(
        page.contains("Änderungen gegenüber der Vereinbarung des Vorjahres"),
        "{page}"
    );
    assert!(
        page.contains("<td>Zielwert</td><td>700</td><td>730</td>"),
        "{page}"
    );
    // Last year's signed agreement is untouched.
    let (_, old) = kreis
        .get(&s.url(&format!("{METTMANN}/ziele/kdu-je-bg")))
        .await;
    assert!(old.contains("700"), "{old}");
    let (_, trail) = kreis.get(&s.url(&format!("{next}/protokoll"))).await;
    assert!(
        trail.contains("Vereinbarung des Folgejahres vorbereitet"),
        "{trail}"
    );
    assert_eq!(s.store.verify_audit().await.unwrap().broken, None);
}

/// The rows of the proposals table: value, probability, comparison-group cell (if any), link.
fn proposal_rows(page: &str) -> Vec<Vec<String>> {
    let Some(start) = page.find("<caption>Zielwerte und die Wahrscheinlichkeit") else {
        return Vec::new();
    };
    let table = &page[start..page[start..].find("</table>").unwrap() + start];
    table
        .split("<tr>")
        .skip(2)
        .map(|row| {
            row.split("<td")
                .skip(1)
                .map(|cell| {
                    let cell = &cell[cell.find('>').unwrap() + 1..];
                    cell[..cell.find("</td>").unwrap()].to_owned()
                })
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn target_proposals_come_from_the_forecast_and_are_set_only_by_choice() {
    let s = demo_server().await;
    crate::import_inkar(&s).await;
    let kreis = s.login("kreis").await;
    let r = kreis
        .post(&s.url(&format!("{METTMANN}/folgejahr")), &[])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let edit = "/vereinbarungen/t36402-2023-v1/ziele/kdu-bg/bearbeiten";
    let (status, form) = kreis.get(&s.url(edit)).await;
    assert_eq!(status, 200, "{form}");
    assert!(form.contains("Vorschläge aus der Prognose"), "{form}");
    let rows = proposal_rows(&form);
    assert_eq!(rows.len(), 3, "{form}");
    // Fewer Bedarfsgemeinschaften are better: the likelier target is the higher one, and each
    // probability is near its level (the exact probability of the rounded value is stated).
    let parse = |v: &str| v.replace('.', "").replace(',', ".").parse::<f64>().unwrap();
    let values: Vec<f64> = rows.iter().map(|r| parse(&r[0])).collect();
    assert!(values[0] > values[1] && values[1] > values[2], "{values:?}");
    for (row, level) in rows.iter().zip([80.0, 50.0, 20.0]) {
        let p = parse(row[1].trim_end_matches("\u{a0}%"));
        assert!((p - level).abs() <= 10.0, "{row:?}");
    }
    assert!(
        form.contains("Aus der Prognose für Dezember 2023:")
            && form.contains("berechnet aus den Werten bis Dezember 2022"),
        "the proposal states its forecast and the history used: {form}"
    );
    assert!(form.contains("Verfahren: "), "and its method: {form}");
    // The trajectory of the carried target: twelve months of 2023 ending on it.
    assert!(
        form.contains("Monatlicher Zielpfad zum Jahreszielwert 17.700"),
        "{form}"
    );
    assert!(form.contains("<th scope=\"col\">Jan 23</th>"), "{form}");
    assert!(
        form.contains("<td class=\"num\">17.700</td></tr></tbody>"),
        "December is the target: {form}"
    );

    // Taking one over fills the field, and nothing more.
    let link = rows[0][rows[0].len() - 1].clone();
    let href = &link[link.find("href=\"").unwrap() + 6..];
    let href = href[..href.find('"').unwrap()].replace("&#x3D;", "=");
    assert!(href.starts_with(edit), "{href}");
    let (status, adopted) = kreis.get(&s.url(&href)).await;
    assert_eq!(status, 200, "{adopted}");
    // The goal has a monthly trajectory: the trajectory to the proposal fills the twelve months.
    assert!(
        adopted.contains(&format!("name=\"monat-12\" value=\"{}\"", rows[0][0])),
        "{adopted}"
    );
    assert!(
        adopted.contains(&format!(
            "Zielpfad zum Vorschlag {} in die Monatsfelder übernommen – noch nicht gespeichert",
            rows[0][0]
        )),
        "{adopted}"
    );
    assert!(
        adopted.contains(&format!(
            "Monatlicher Zielpfad zum Jahreszielwert {}",
            rows[0][0]
        )),
        "the trajectory follows the proposal: {adopted}"
    );
    let (_, again) = kreis.get(&s.url(edit)).await;
    assert!(
        again.contains("name=\"monat-12\" value=\"17.700\""),
        "nothing saved: {again}"
    );
    // A proposal that is no number is refused with the parameter named.
    let (status, bad) = kreis.get(&s.url(&format!("{edit}?vorschlag=viel"))).await;
    assert_eq!(status, 400);
    assert!(
        bad.contains("Parameter „vorschlag“: „viel“ ist keine Zahl"),
        "{bad}"
    );

    // KdU per BG has a published statistic: each proposal is placed in the comparison group.
    let edit = "/vereinbarungen/t36402-2023-v1/ziele/kdu-je-bg/bearbeiten";
    let (_, form) = kreis.get(&s.url(edit)).await;
    assert!(
        form.contains("<th scope=\"col\">Vergleichsgruppe 2022</th>"),
        "{form}"
    );
    assert!(
        form.contains("Vergleichsgruppe 2022, Leistungen für Unterkunft je Bedarfsgemeinschaft und Monat (11 Kreise einschließlich Mettmann): unteres Quartil"),
        "{form}"
    );
    let rows = proposal_rows(&form);
    assert_eq!(rows.len(), 3, "{form}");
    for row in &rows {
        assert_eq!(row.len(), 4, "{row:?}");
        assert!(
            row[2].starts_with("im ") || row[2].contains("als der Median"),
            "{row:?}"
        );
    }
    // An annual target: the proposal goes into the one field.
    let value = rows[0][0].trim_end_matches("\u{a0}EUR").to_owned();
    let (_, adopted) = kreis
        .get(&s.url(&format!("{edit}?vorschlag={}", value.replace(',', "."))))
        .await;
    assert!(
        adopted.contains(&format!("name=\"ziel\" value=\"{value}\"")),
        "{adopted}"
    );
    assert!(
        adopted.contains(&format!(
            "Vorschlag {value} in das Feld übernommen – noch nicht gespeichert"
        )),
        "{adopted}"
    );

    // A milestone has none, and says so.
    let (_, form) = kreis
        .get(&s.url("/vereinbarungen/t36402-2023-v1/ziele/kim-kooperation/bearbeiten"))
        .await;
    assert!(
        form.contains("Für Meilensteine gibt es keine Vorschläge aus der Prognose."),
        "{form}"
    );
}

/// A monthly trajectory is entered as twelve fields or by pasting a spreadsheet row; bad input
/// names the field and keeps what was typed; two people saving the same trajectory at once: one
/// wins, the other keeps hers.
#[tokio::test]
async fn a_monthly_trajectory_is_pasted_and_a_conflict_keeps_what_was_typed() {
    let s = &demo_server().await;
    let (anna, bert) = (s.login("kreis").await, s.login("kreis").await);
    let r = anna
        .post(&s.url(&format!("{METTMANN}/folgejahr")), &[])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let edit = "/vereinbarungen/t36402-2023-v1/ziele/kdu-bg/bearbeiten";
    let (_, form) = anna.get(&s.url(edit)).await;
    // Twelve labelled fields, January to December of the new year, with last year's path a year on.
    assert!(
        form.contains("<label for=\"monat-01\">Januar 2023</label>"),
        "{form}"
    );
    assert!(
        form.contains("name=\"monat-12\" value=\"17.700\""),
        "{form}"
    );
    assert!(form.contains("<label for=\"zeile\">Zeile aus der Tabelle einfügen</label>"));
    let revision = |page: &str| crate::form_value(page, "revision").to_owned();
    let base = |rev: String, row: &str| {
        vec![
            ("revision", rev),
            (
                "titel",
                "Zahl der Bedarfsgemeinschaften weiter senken".to_owned(),
            ),
            ("beschreibung", String::new()),
            ("zeile", row.to_owned()),
            ("toleranz", "1,5".to_owned()),
        ]
    };
    // As Excel copies a row: tabs between, a line break at the end; one month left empty.
    let row = "18.500\t18.450\t18.400\t18.350\t18.300\t18.250\t\t18.150\t18.100\t18.050\t18.000\t17.950\r\n";
    let (status, page) = post_as(s, &anna, edit, &base(revision(&form), row)).await;
    assert_eq!(status, 303, "{page}");
    let stored = s
        .store
        .agreement(&"t36402-2023-v1".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let g = stored
        .goals
        .iter()
        .find(|g| g.key.as_str() == "kdu-bg")
        .unwrap();
    let zielwerk_domain::Target::Monthly { values } = &g.target else {
        panic!("{:?}", g.target)
    };
    assert_eq!(values.len(), 11, "July has no target: {values:?}");
    assert_eq!(values[&"2023-01".parse().unwrap()], 18500.0);
    assert_eq!(values[&"2023-12".parse().unwrap()], 17950.0);
    let (_, form) = anna.get(&s.url(edit)).await;
    assert!(form.contains("name=\"monat-07\" value=\"\""), "{form}");
    assert!(
        form.contains("name=\"monat-12\" value=\"17.950\""),
        "{form}"
    );

    // Eleven values, or a word: refused, the field named, the paste kept.
    let short = "1\t2\t3\t4\t5\t6\t7\t8\t9\t10\t11";
    let (status, page) = post_as(s, &anna, edit, &base(revision(&form), short)).await;
    assert_eq!(status, 422, "{page}");
    assert!(
        page.contains("Feld „Zeile aus der Tabelle einfügen“: 11 Werte eingefügt; erwartet sind zwölf, Januar bis Dezember 2023"),
        "{page}"
    );
    assert!(page.contains(&format!(">{short}</textarea>")), "{page}");
    let mut typed = base(revision(&form), "");
    typed.push(("monat-03", "viele".to_owned()));
    let (status, page) = post_as(s, &anna, edit, &typed).await;
    assert_eq!(status, 422, "{page}");
    assert!(
        page.contains("Feld „Zielwert März 2023“: „viele“ ist keine Zahl"),
        "{page}"
    );
    assert!(page.contains("name=\"monat-03\" value=\"viele\""), "{page}");

    // Two at once from the same revision: exactly one wins; the other keeps what she pasted.
    let (_, form) = anna.get(&s.url(edit)).await;
    let rev = revision(&form);
    let twelve = |start: u32| -> String {
        (0..12)
            .map(|i| (start - 10 * i).to_string())
            .collect::<Vec<_>>()
            .join("\t")
    };
    let (a, b) = (
        base(rev.clone(), &twelve(18_600)),
        base(rev, &twelve(18_400)),
    );
    let (ra, rb) = tokio::join!(post_as(s, &anna, edit, &a), post_as(s, &bert, edit, &b));
    let mut statuses = [ra.0, rb.0];
    statuses.sort();
    assert_eq!(statuses, [303, 409], "{} / {}", ra.1, rb.1);
    let (lost, lost_row, won_december) = if ra.0 == 409 {
        (&ra.1, twelve(18_600), "18.290")
    } else {
        (&rb.1, twelve(18_400), "18.490")
    };
    assert!(lost.contains("Nicht gespeichert."), "{lost}");
    assert!(
        lost.contains(&format!(">{lost_row}</textarea>")),
        "kept: {lost}"
    );
    let stored = s
        .store
        .agreement(&"t36402-2023-v1".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let g = stored
        .goals
        .iter()
        .find(|g| g.key.as_str() == "kdu-bg")
        .unwrap();
    assert!(
        zielwerk_domain::nachtrag::target_text(&g.target)
            .ends_with(&format!("2023-12: {won_december}")),
        "{:?}",
        g.target
    );
    assert_eq!(s.store.verify_audit().await.unwrap().broken, None);
}

/// A value that comes on paper is entered on the goal page: the import's checks, its revision
/// rules, the fields named, and "von Hand erfasst von …" as its source.
#[tokio::test]
async fn a_value_is_entered_by_hand_with_the_checks_of_a_file() {
    let s = &demo_server().await;
    let (kreis, leser) = (s.login("kreis").await, s.login("ausschuss").await);
    let goal = format!("{METTMANN}/ziele/sucht-zuweisungen");
    let entry = format!("{goal}/wert");
    let (_, page) = kreis.get(&s.url(&goal)).await;
    assert!(
        page.contains(&format!("<a href=\"{entry}\">Wert von Hand erfassen</a>")),
        "{page}"
    );
    let (_, page) = leser.get(&s.url(&goal)).await;
    assert!(
        !page.contains("Wert von Hand erfassen"),
        "read only: {page}"
    );
    let (status, _) = leser.get(&s.url(&entry)).await;
    assert!(matches!(status, 403 | 404), "{status}");

    let (status, form) = kreis.get(&s.url(&entry)).await;
    assert_eq!(status, 200, "{form}");
    assert!(form.contains("<label for=\"wert\">Wert</label>"), "{form}");
    assert!(
        form.contains("<option value=\"2022-10\">Oktober 2022</option>"),
        "{form}"
    );
    let save = |month: &str, value: &str, status: &str, datenstand: &str| {
        vec![
            ("kennzahl", "SUCHT_ZUWEISUNGEN".to_owned()),
            ("monat", month.to_owned()),
            ("wert", value.to_owned()),
            ("status", status.to_owned()),
            ("datenstand", datenstand.to_owned()),
        ]
    };
    // Wrong input: every field named, nothing saved, what was typed kept.
    let (status, page) = post_as(
        s,
        &kreis,
        &entry,
        &save("2022-10", "zwölf", "endgültig", "31.02.2022"),
    )
    .await;
    assert_eq!(status, 422, "{page}");
    assert!(
        page.contains("Feld „Wert“: „zwölf“ ist keine Zahl im Format 1.234,56"),
        "{page}"
    );
    assert!(page.contains("Feld „Datenstand“:"), "{page}");
    assert!(page.contains("name=\"wert\" value=\"zwölf\" inputmode=\"decimal\" aria-invalid=\"true\" aria-describedby=\"fehler-wert\""), "{page}");
    assert!(
        page.contains("<option value=\"2022-10\" selected>"),
        "{page}"
    );
    let (status, page) = post_as(
        s,
        &kreis,
        &entry,
        &save("2021-10", "12", "endgültig", "05.11.2021"),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("Feld „Monat“: Oktober 2021 liegt nicht im Vereinbarungsjahr 2022"),
        "{page}"
    );
    let (status, page) = post_as(
        s,
        &kreis,
        &entry,
        &save("2022-10", "-3", "endgültig", "01.12.2026"),
    )
    .await;
    assert_eq!(status, 422, "the import's range check: {page}");
    assert!(page.contains("Feld „Wert“:"), "{page}");

    // October has a final value from the demo file: a provisional one does not replace it.
    let (status, page) = post_as(
        s,
        &kreis,
        &entry,
        &save("2022-10", "31", "vorläufig", "01.12.2026"),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Nicht übernommen: Für Oktober 2022 ist ein endgültiger Wert gespeichert"),
        "{page}"
    );
    // A final one with a newer Datenstand revises it; the old one stays as history.
    let (status, page) = post_as(
        s,
        &kreis,
        &entry,
        &save("2022-10", "31", "endgültig", "01.12.2026"),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Der Wert für Oktober 2022 ist gespeichert und ersetzt den bisherigen"),
        "{page}"
    );
    let code: zielwerk_domain::IndicatorCode = "SUCHT_ZUWEISUNGEN".parse().unwrap();
    let values = s
        .store
        .current_values(&"t36402".parse().unwrap(), &[&code])
        .await
        .unwrap();
    let october = values
        .iter()
        .find(|v| v.observation.month == "2022-10".parse().unwrap())
        .unwrap();
    assert_eq!(october.observation.value, Some(31.0));
    assert_eq!(october.source_label, "von Hand erfasst von Test kreis");
    let (_, page) = kreis.get(&s.url(&format!("{goal}?stand=2022-10"))).await;
    assert!(page.contains("von Hand erfasst von Test kreis"), "{page}");
    assert_eq!(s.store.verify_audit().await.unwrap().broken, None);
}

/// Next year's agreement drafted in the browser: a goal with a new indicator in a new area, a
/// value for it by hand, its status on the overview, the TOML file round-tripping what the web
/// built, and the three signatures.
#[tokio::test]
async fn a_goal_with_a_new_indicator_is_added_measured_and_signed() {
    let s = &demo_server().await;
    let (kreis, agentur, jobcenter, leser) = (
        s.login("kreis").await,
        s.login("agentur").await,
        s.login("jobcenter").await,
        s.login("ausschuss").await,
    );
    let r = kreis
        .post(&s.url(&format!("{METTMANN}/folgejahr")), &[])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let next = "/vereinbarungen/t36402-2023-v1";
    let add = format!("{next}/ziel-hinzufuegen");
    let (_, overview) = kreis.get(&s.url(next)).await;
    assert!(
        overview.contains(&format!("<a href=\"{add}\">Ziel hinzufügen</a>")),
        "{overview}"
    );
    let (_, overview) = leser.get(&s.url(next)).await;
    assert!(
        !overview.contains("Ziel hinzufügen"),
        "read only: {overview}"
    );
    // The signed agreement takes no new goal.
    let (status, page) = kreis
        .get(&s.url(&format!("{METTMANN}/ziel-hinzufuegen")))
        .await;
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("über einen Nachtrag"), "{page}");

    let form = |title: &str, code: &str, target: &str| {
        vec![
            ("titel", title.to_owned()),
            (
                "beschreibung",
                "Zahl der angetretenen Beratungen laut Meldung der Träger".to_owned(),
            ),
            ("verantwortlich", "kreis".to_owned()),
            ("herkunft", "agreement".to_owned()),
            ("bereich", "neu".to_owned()),
            (
                "bereich_titel",
                "Suchtberatung nach § 16a SGB II".to_owned(),
            ),
            ("bereich_art", "municipal".to_owned()),
            ("kennzahl", "neu".to_owned()),
            ("kennzahl_code", code.to_owned()),
            ("kennzahl_name", "Angetretene Suchtberatungen".to_owned()),
            ("kennzahl_einheit", "count".to_owned()),
            ("kennzahl_richtung", "higher".to_owned()),
            ("kennzahl_art", "flow".to_owned()),
            ("kennzahl_berechnung", "gespeichert".to_owned()),
            ("zielart", "jahreswert".to_owned()),
            ("ziel", target.to_owned()),
            ("toleranz_art", "prozent".to_owned()),
            ("toleranz", "5".to_owned()),
        ]
    };
    // Every problem at once, at its field, and what was typed kept.
    let (status, page) = post_as(s, &kreis, &add, &form("", "BG", "viel")).await;
    assert_eq!(status, 422, "{page}");
    for message in [
        "Feld „Zielwert“: „viel“ ist keine Zahl",
        "Feld „Titel“: bitte 1 bis 300 Zeichen eingeben",
        "Feld „Code der Kennzahl“: „BG“ gibt es in dieser Vereinbarung schon",
    ] {
        assert!(page.contains(message), "{message}: {page}");
    }
    assert!(page.contains("id=\"ziel\" name=\"ziel\" value=\"viel\" required aria-invalid=\"true\" aria-describedby=\"fehler-ziel\""), "{page}");
    assert!(
        page.contains("value=\"Suchtberatung nach § 16a SGB II\""),
        "{page}"
    );

    let (status, _) = post_as(
        s,
        &kreis,
        &add,
        &form(
            "Angetretene Suchtberatungen erhöhen",
            "sucht_antritte",
            "240",
        ),
    )
    .await;
    assert_eq!(status, 303);
    let goal = format!("{next}/ziele/angetretene-suchtberatungen-erhoehen");
    let (status, page) = kreis.get(&s.url(&goal)).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Angetretene Suchtberatungen"), "{page}");
    // The same title again gets a key of its own.
    let (status, _) = post_as(
        s,
        &kreis,
        &add,
        &form(
            "Angetretene Suchtberatungen erhöhen",
            "SUCHT_ANTRITTE_2",
            "10",
        ),
    )
    .await;
    assert_eq!(status, 303);
    let (status, _) = kreis.get(&s.url(&format!("{goal}-2"))).await;
    assert_eq!(status, 200);
    // Added twice by mistake: removed again, after a confirmation and at the revision confirmed.
    let remove = format!("{goal}-2/entfernen");
    let (_, edit) = kreis.get(&s.url(&format!("{goal}-2/bearbeiten"))).await;
    assert!(
        edit.contains(&format!(
            "<a href=\"{remove}\">Ziel aus dem Entwurf entfernen …</a>"
        )),
        "{edit}"
    );
    let (status, confirm) = kreis.get(&s.url(&remove)).await;
    assert_eq!(status, 200, "{confirm}");
    assert!(
        confirm.contains(
            "Soll das Ziel „Angetretene Suchtberatungen erhöhen“ aus dem Entwurf entfernt werden?"
        ),
        "{confirm}"
    );
    let revision = crate::form_value(&confirm, "revision").to_owned();
    let (status, page) = post_as(s, &kreis, &remove, &[("revision", "99".to_owned())]).await;
    assert_eq!(status, 409, "a stale confirmation removes nothing: {page}");
    assert!(page.contains("Nicht entfernt."), "{page}");
    let (status, _) = post_as(s, &leser, &remove, &[("revision", revision.clone())]).await;
    assert!(matches!(status, 403 | 404), "{status}");
    let (status, _) = post_as(s, &kreis, &remove, &[("revision", revision)]).await;
    assert_eq!(status, 303);
    let (status, _) = kreis.get(&s.url(&format!("{goal}-2"))).await;
    assert_eq!(status, 404);

    // A value that came on paper, for January.
    let (status, page) = post_as(
        s,
        &kreis,
        &format!("{goal}/wert"),
        &[
            ("kennzahl", "SUCHT_ANTRITTE".to_owned()),
            ("monat", "2023-01".to_owned()),
            ("wert", "22".to_owned()),
            ("status", "endgültig".to_owned()),
            ("datenstand", "15.02.2023".to_owned()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Der Wert für Januar 2023 ist gespeichert."),
        "{page}"
    );
    let (_, overview) = kreis.get(&s.url(&format!("{next}?stand=2023-01"))).await;
    let row = overview
        .split("<tr")
        .find(|r| r.contains("Angetretene Suchtberatungen erhöhen"))
        .unwrap_or_else(|| panic!("{overview}"));
    assert!(row.contains(">22<"), "the value on the overview: {row}");
    assert!(row.contains("class=\"status"), "with its status: {row}");

    // The file of the agreement the web built reads back as the same agreement.
    let stored = s
        .store
        .agreement(&"t36402-2023-v1".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let (status, toml) = kreis.get(&s.url(&format!("{next}/export.toml"))).await;
    assert_eq!(status, 200);
    let read = zielwerk_ingest::agreement_file::parse("export.toml", &toml).unwrap();
    assert_eq!(read, stored);
    assert!(
        stored
            .areas
            .iter()
            .any(|a| a.title == "Suchtberatung nach § 16a SGB II")
    );

    // Signed by all three, as today.
    for (who, party) in [
        (&kreis, "kreis"),
        (&agentur, "agentur"),
        (&jobcenter, "jobcenter"),
    ] {
        let (_, page) = who.get(&s.url(&format!("{next}/unterzeichnung"))).await;
        let field = |name: &str| crate::form_value(&page, name).to_owned();
        let r = who
            .post(
                &s.url(&format!("{next}/unterzeichnen")),
                &[
                    ("partei", party),
                    ("stand", &field("stand")),
                    ("inhalt", &field("inhalt")),
                ],
            )
            .await;
        assert_eq!(r.status().as_u16(), 303, "{party}");
    }
    let (_, page) = kreis.get(&s.url(&format!("{next}/unterzeichnung"))).await;
    assert!(
        page.contains("Stand: <strong>unterzeichnet</strong>"),
        "{page}"
    );
    let (_, trail) = kreis.get(&s.url(&format!("{next}/protokoll"))).await;
    assert_eq!(trail.matches("Ziel hinzugefügt").count(), 2, "{trail}");
    assert_eq!(trail.matches("Ziel entfernt").count(), 1, "{trail}");
    assert_eq!(s.store.verify_audit().await.unwrap().broken, None);
}

#[tokio::test]
async fn a_nachtrag_is_signed_by_all_three_and_shows_its_differences() {
    let s = demo_server().await;
    let (kreis, agentur, jobcenter) = (
        s.login("kreis").await,
        s.login("agentur").await,
        s.login("jobcenter").await,
    );
    let (_, page) = kreis
        .get(&s.url(&format!("{METTMANN}/unterzeichnung")))
        .await;
    assert!(page.contains("von allen Parteien unterzeichnet"), "{page}");
    assert!(page.contains("Nachtrag anlegen"));
    let r = kreis
        .post(&s.url(&format!("{METTMANN}/nachtrag")), &[])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let v2 = "/vereinbarungen/t36402-2022-v2";
    assert_eq!(
        r.headers()["location"],
        format!("{v2}/unterzeichnung").as_str()
    );
    let (_, overview) = kreis.get(&s.url(METTMANN)).await;
    assert!(
        overview.contains("Zu dieser Version gibt es einen Nachtrag: <a href=\"/vereinbarungen/t36402-2022-v2\">Version 2</a> (Entwurf)"),
        "{overview}"
    );
    // A second Nachtrag to the same version is refused.
    let r = kreis
        .post(&s.url(&format!("{METTMANN}/nachtrag")), &[])
        .await;
    assert_eq!(r.status().as_u16(), 409);

    // The Kreis raises the cost target per BG.
    let edit = format!("{v2}/ziele/kdu-je-bg/bearbeiten");
    let (_, form) = kreis.get(&s.url(&edit)).await;
    let rev = crate::form_value(&form, "revision").to_owned();
    let r = kreis
        .post(
            &s.url(&edit),
            &[
                ("revision", &rev),
                ("titel", "Kosten der Unterkunft je BG begrenzen"),
                ("beschreibung", ""),
                ("ziel", "715"),
                ("toleranz", "1,0"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);

    // The signing page lists the difference, and each party signs for itself.
    let (_, page) = kreis.get(&s.url(&format!("{v2}/unterzeichnung"))).await;
    assert!(page.contains("Änderungen gegenüber"), "{page}");
    assert!(
        page.contains("<td>Zielwert</td><td>700</td><td>715</td>"),
        "{page}"
    );
    for (who, party) in [
        (&kreis, "kreis"),
        (&agentur, "agentur"),
        (&jobcenter, "jobcenter"),
    ] {
        let (_, page) = who.get(&s.url(&format!("{v2}/unterzeichnung"))).await;
        let field = |name: &str| crate::form_value(&page, name).to_owned();
        assert!(page.contains(&format!("name=\"partei\" value=\"{party}\"")));
        assert_eq!(
            page.matches("name=\"partei\"").count(),
            1,
            "only their own party"
        );
        let r = who
            .post(
                &s.url(&format!("{v2}/unterzeichnen")),
                &[
                    ("partei", party),
                    ("stand", &field("stand")),
                    ("inhalt", &field("inhalt")),
                ],
            )
            .await;
        assert_eq!(r.status().as_u16(), 303, "{party}");
    }
    let (_, page) = kreis.get(&s.url(&format!("{v2}/unterzeichnung"))).await;
    assert!(
        page.contains("Stand: <strong>unterzeichnet</strong>"),
        "{page}"
    );
    assert!(
        page.contains("unterzeichnet von agentur (Test agentur)"),
        "{page}"
    );
    // Frozen: the editor refuses.
    let (status, _) = kreis.get(&s.url(&edit)).await;
    assert_eq!(status, 409);
    // The agreement's trail has the Nachtrag, the edit and the three signatures.
    let (_, trail) = kreis.get(&s.url(&format!("{v2}/protokoll"))).await;
    assert_eq!(trail.matches("Unterzeichnet: ").count(), 3, "{trail}");
    assert!(trail.contains("Nachtrag angelegt"));
    assert!(trail.contains("Ziel geändert"));
    assert_eq!(s.store.verify_audit().await.unwrap().broken, None);
}

#[tokio::test]
async fn hostile_account_names_are_shown_as_text() {
    let s = demo_server().await;
    let hostile = "<script>alert(1)</script> #set text(red) ]";
    let hash = zielwerk_web::auth::hash_password(PASSWORD).unwrap();
    let grants = crate::accounts()
        .into_iter()
        .find(|(l, _)| *l == "regensburg")
        .unwrap()
        .1;
    s.store
        .add_user("boese", hostile, &hash, &grants)
        .await
        .unwrap();
    let who = s.login("boese").await;
    sign_for_jobcenter(&s, &who).await;
    for page in [
        "/",
        &format!("{REGENSBURG}/unterzeichnung"),
        &format!("{REGENSBURG}/protokoll"),
    ] {
        let (_, body) = who.get(&s.url(page)).await;
        assert!(!body.contains("<script>alert"), "{page}");
        assert!(
            body.contains("&#60;script&#62;alert(1)&#60;/script&#62; #set text(red) ]"),
            "{page}: {body}"
        );
    }
}

/// Signs Regensburg for the Jobcenter as `who`.
async fn sign_for_jobcenter(s: &Server, who: &Session) {
    let (_, page) = who
        .get(&s.url(&format!("{REGENSBURG}/unterzeichnung")))
        .await;
    let field = |name: &str| crate::form_value(&page, name).to_owned();
    let r = who
        .post(
            &s.url(&format!("{REGENSBURG}/unterzeichnen")),
            &[
                ("partei", "jobcenter"),
                ("stand", &field("stand")),
                ("inhalt", &field("inhalt")),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
}

#[tokio::test]
async fn administrators_add_accounts_only_where_they_administer() {
    let s = demo_server().await;
    let admin = s.login("admin").await;
    assert_eq!(
        s.login("kreis")
            .await
            .get(&s.url("/verwaltung/benutzer"))
            .await
            .0,
        404
    );
    let (status, page) = admin.get(&s.url("/verwaltung/benutzer")).await;
    assert_eq!(status, 200);
    assert!(page.contains("regensburg") && page.contains("value=\"kreis@t36402\""));

    let new = |login: &str, password: &str, grants: &[&str]| {
        let mut f = vec![
            ("login", login.to_owned()),
            ("name", format!("Person {login}")),
            ("passwort", password.to_owned()),
        ];
        f.extend(grants.iter().map(|g| ("recht", g.to_string())));
        f
    };
    let (status, page) =
        post_as(&s, &admin, "/verwaltung/benutzer", &new("neu", "kurz", &[])).await;
    assert_eq!(status, 422);
    assert!(
        page.contains("Feld „Erstes Passwort“: mindestens 12 Zeichen"),
        "{page}"
    );
    assert!(page.contains("Feld „Rechte“"), "{page}");
    assert!(page.contains("value=\"Person neu\""), "typed name kept");
    let (status, page) = post_as(
        &s,
        &admin,
        "/verwaltung/benutzer",
        &new(
            "neu",
            "ein-langes-passwort",
            &["kreis@t36402", "leserecht@t73906"],
        ),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Das Konto „neu“ (Person neu) wurde angelegt"));
    let neu = login_as(s.addr, "neu", "ein-langes-passwort")
        .await
        .unwrap();
    assert_eq!(neu.get(&s.url(METTMANN)).await.0, 200);
    assert_eq!(neu.get(&s.url(REGENSBURG)).await.0, 404, "Leserecht only");
    let (status, page) = post_as(
        &s,
        &admin,
        "/verwaltung/benutzer",
        &new("neu", "ein-langes-passwort", &["kreis@t36402"]),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("Das Benutzerkonto „neu“ gibt es schon"),
        "{page}"
    );

    // An administrator of Mettmann only grants for Mettmann and sees only its accounts.
    let hash = zielwerk_web::auth::hash_password(PASSWORD).unwrap();
    let grant = zielwerk_domain::Grant {
        scope: "t36402".parse().unwrap(),
        role: zielwerk_domain::Role::Admin,
    };
    s.store
        .add_user("admin-me", "Admin Mettmann", &hash, &[grant])
        .await
        .unwrap();
    let local = s.login("admin-me").await;
    let (_, page) = local.get(&s.url("/verwaltung/benutzer")).await;
    assert!(!page.contains("<td>regensburg</td>"), "{page}");
    assert!(!page.contains("value=\"kreis@t73906\"") && !page.contains("value=\"admin@*\""));
    for grant in ["kreis@t73906", "admin@*"] {
        let (status, page) = post_as(
            &s,
            &local,
            "/verwaltung/benutzer",
            &new("zweiter", "ein-langes-passwort", &[grant]),
        )
        .await;
        assert_eq!(status, 422, "{grant}");
        assert!(page.contains("dürfen Sie keine Rechte vergeben"), "{page}");
    }
    assert!(s.store.user_by_login("zweiter").await.unwrap().is_none());
    assert_eq!(
        local.get(&s.url("/verwaltung/benutzer/regensburg")).await.0,
        404
    );

    // Roles change at once for running sessions. The Mettmann administrator takes „neu“'s Kreis
    // role away; the Leserecht for Regensburg, which someone else administers, stays.
    let (status, page) = local.get(&s.url("/verwaltung/benutzer/neu")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("value=\"kreis@t36402\" aria-label=\"Kommunaler Träger für"),
        "{page}"
    );
    assert!(
        page.contains("Weitere Rechte, die andere verwalten: Leserecht"),
        "{page}"
    );
    let (status, _) = post_as(
        &s,
        &local,
        "/verwaltung/benutzer/neu",
        &[("recht", "jobcenter@t36402".to_owned())],
    )
    .await;
    assert_eq!(status, 200);
    let grants: Vec<String> = s
        .store
        .user_by_login("neu")
        .await
        .unwrap()
        .unwrap()
        .grants
        .iter()
        .map(|g| format!("{}@{}", g.role, g.scope.as_str()))
        .collect();
    assert_eq!(grants, ["jobcenter@t36402", "leserecht@t73906"]);
    let (status, _) = neu
        .get(&s.url(&format!("{METTMANN}/ziele/kdu-je-bg/bearbeiten")))
        .await;
    assert_eq!(status, 403, "no longer Kreis");
    // „neu“ also reads Regensburg: the Mettmann administrator may not lock it (that would end
    // its work for Regensburg too), and nothing of the refused form is written.
    let (status, page) = post_as(
        &s,
        &local,
        "/verwaltung/benutzer/neu",
        &[("gesperrt", "1".to_owned())],
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        page.contains("sperren oder entsperren kann es nur, wer alle seine Jobcenter verwaltet"),
        "{page}"
    );
    let neu_now = s.store.user_by_login("neu").await.unwrap().unwrap();
    assert!(!neu_now.disabled);
    assert_eq!(neu_now.grants.len(), 2, "the grants stayed as they were");
    // An administrator does not make itself Kreis.
    let (status, page) = post_as(
        &s,
        &local,
        "/verwaltung/benutzer/admin-me",
        &[
            ("recht", "admin@t36402".to_owned()),
            ("recht", "kreis@t36402".to_owned()),
        ],
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        page.contains("Die eigenen Rechte kann man nicht erweitern"),
        "{page}"
    );
    assert_eq!(
        local.get(&s.url(METTMANN)).await.0,
        404,
        "still no steering data"
    );
    // Locking (by the installation's administration) ends the session at once.
    let land = s.login("admin").await;
    let (status, _) = post_as(
        &s,
        &land,
        "/verwaltung/benutzer/neu",
        &[
            ("recht", "jobcenter@t36402".to_owned()),
            ("recht", "leserecht@t73906".to_owned()),
            ("gesperrt", "1".to_owned()),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let r = neu.client.get(s.url(METTMANN)).send().await.unwrap();
    assert!(r.url().path().starts_with("/anmelden"));
    assert!(
        login_as(s.addr, "neu", "ein-langes-passwort")
            .await
            .is_err()
    );
    // Nobody takes their own administration away by accident.
    let (status, page) = post_as(&s, &local, "/verwaltung/benutzer/admin-me", &[]).await;
    assert_eq!(status, 400);
    assert!(page.contains("eigene Administration"), "{page}");
    // The new account is in the trail, without its password hash.
    let trail = s.store.verify_audit().await.unwrap();
    assert_eq!(trail.broken, None);
}

/// The Jobcenter keeps its planning document: it edits its own Handlungsansätze in a Nachtrag,
/// the Kreis may not, a stale form gets a conflict, and the signing page lists the change.
#[tokio::test]
async fn the_jobcenter_keeps_its_planning_document() {
    let s = demo_server().await;
    let (kreis, jobcenter) = (s.login("kreis").await, s.login("jobcenter").await);
    let (_, annexes) = jobcenter.get(&s.url(&format!("{METTMANN}/anlagen"))).await;
    assert!(
        !annexes.contains("Handlungsansatz bearbeiten"),
        "signed: no editor"
    );
    let r = jobcenter
        .post(&s.url(&format!("{METTMANN}/nachtrag")), &[])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let v2 = "/vereinbarungen/t36402-2022-v2";
    let (_, annexes) = jobcenter.get(&s.url(&format!("{v2}/anlagen"))).await;
    let own = format!("{v2}/massnahmen/planung-coaching/bearbeiten");
    assert!(annexes.contains(&format!("href=\"{own}\"")), "{annexes}");
    assert!(
        !annexes.contains("massnahmen/but-team/bearbeiten"),
        "the Kreis's is not offered"
    );
    assert_eq!(kreis.get(&s.url(&own)).await.0, 403);
    assert_eq!(
        jobcenter
            .get(&s.url(&format!("{v2}/massnahmen/but-team/bearbeiten")))
            .await
            .0,
        403
    );

    let (_, form) = jobcenter.get(&s.url(&own)).await;
    let rev = crate::form_value(&form, "revision").to_owned();
    let fields = |effect: &str, start: &str, rev: &str| {
        vec![
            ("revision", rev.to_owned()),
            (
                "titel",
                "Ganzheitliches Coaching für Langzeitleistungsbeziehende".to_owned(),
            ),
            ("beschreibung", "Coaching in Kleingruppen".to_owned()),
            ("wirkung", effect.to_owned()),
            ("beginn", start.to_owned()),
            ("ende", String::new()),
        ]
    };
    let (status, page) = post_as(&s, &jobcenter, &own, &fields("x", "März 2022", &rev)).await;
    assert_eq!(status, 422);
    assert!(page.contains("Feld „Beginn“"), "{page}");
    let (status, _) = post_as(
        &s,
        &jobcenter,
        &own,
        &fields("200 Integrationen aus dem Langzeitbezug", "2022-02", &rev),
    )
    .await;
    assert_eq!(status, 303);
    let (status, page) = post_as(
        &s,
        &jobcenter,
        &own,
        &fields("Alte Fassung", "2022-02", &rev),
    )
    .await;
    assert_eq!(status, 409);
    assert!(
        page.contains("wurde inzwischen von jemand anderem geändert"),
        "{page}"
    );
    assert!(page.contains("Alte Fassung"), "the typed text is kept");

    let (_, page) = kreis.get(&s.url(&format!("{v2}/unterzeichnung"))).await;
    assert!(
        page.contains("<td>Handlungsansatz „Ganzheitliches Coaching für Langzeitleistungsbeziehende“</td><td>Wirkungserwartung</td>"),
        "{page}"
    );
    assert!(page.contains("<td>200 Integrationen aus dem Langzeitbezug</td>"));
    let (_, trail) = kreis.get(&s.url(&format!("{v2}/protokoll"))).await;
    assert!(trail.contains("Handlungsansatz geändert"), "{trail}");
}

/// Aufsicht (Land, Regionaldirektion) sees the published figures and where the goals of every
/// Jobcenter stand, and nothing internal: every internal page of Mettmann is "not found", every
/// write refused, and the Land view shows the standing without a link into the agreement.
#[tokio::test]
async fn oversight_sees_where_the_goals_stand_and_nothing_internal() {
    let s = &demo_server().await;
    crate::import_inkar(s).await;
    let ids = mettmann_ids(s).await;
    let aufsicht = s.login("aufsicht").await;
    let before = s.store.verify_audit().await.unwrap().events;

    let (status, home) = aufsicht.get(&s.url("/")).await;
    assert_eq!(status, 200);
    assert!(home.contains("Regionen vergleichen"), "{home}");
    assert!(
        home.contains("bei den Jobcentern, für die Sie Aufsicht haben"),
        "{home}"
    );
    assert!(
        !home.contains("t36402-2022-v1"),
        "no agreement listed: {home}"
    );

    for page in mettmann_pages(&ids) {
        let (status, body) = aufsicht.get(&s.url(&page)).await;
        assert_eq!(status, 404, "{page}: {body}");
    }
    for (path, form) in mettmann_writes(&ids) {
        let (status, body) = post_as(s, &aufsicht, &path, &form).await;
        assert!(status == 404 || status == 403, "{path}: {status} {body}");
    }

    // The Land view: the standing of Mettmann's 2022 agreement, no link into it.
    let row = |page: &str| {
        page.split("<th scope=\"row\"><a href=\"/regionen/05158?")
            .nth(1)
            .and_then(|r| r.split("</tr>").next())
            .unwrap_or_default()
            .to_owned()
    };
    let land = s.url("/regionen/05?kennzahl=D_UNTERKUNFT_LSTG&jahr=2022");
    // The view shows kept assessments only; the first one after the start may still say that
    // the standing is being computed.
    let mut tries = 0;
    let page = loop {
        let (status, page) = aufsicht.get(&land).await;
        assert_eq!(status, 200);
        tries += 1;
        if !row(&page).contains("wird noch berechnet") || tries == 100 {
            break page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let mettmann = row(&page);
    assert!(mettmann.contains("Stand "), "{mettmann}");
    assert!(
        mettmann.contains("im Plan") || mettmann.contains("verfehlt"),
        "{mettmann}"
    );
    assert!(!mettmann.contains("/vereinbarungen/"), "{mettmann}");
    // The committee's reader sees the figures but not the standing; the Kreis both.
    let (_, page) = s.login("ausschuss").await.get(&land).await;
    assert!(!row(&page).contains("Stand "), "{}", row(&page));
    let (_, page) = s.login("kreis").await.get(&land).await;
    assert!(row(&page).contains("Stand "));
    assert!(row(&page).contains("/vereinbarungen/t36402-2022-v1"));

    let after = s.store.verify_audit().await.unwrap();
    assert_eq!(after.events, before, "nothing was written");
}
