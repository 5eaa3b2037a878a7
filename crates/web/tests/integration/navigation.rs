//! Each person sees only what they may do: for every role, a crawl from the start page follows
//! every link and submits every form as the page offers it, and nothing answers 403 (or 404: a
//! link to a page that does not exist is a dead end too). Also: every role has a start page that
//! leads somewhere, agreement versions say which one is in force, and the OParl API answers
//! errors as JSON.

use std::collections::{BTreeSet, VecDeque};

use crate::reports::demo_vorlage;
use crate::{Session, demo_server, get};

/// Creates the demo Vorlage and publishes it, as the Kreis would.
async fn published_demo_vorlage(s: &crate::Server) -> String {
    let vid = demo_vorlage(s).await;
    let r = s
        .client
        .post(s.url(&format!("/vorlagen/{vid}/veroeffentlichen")))
        .form(&[("_csrf", s.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    vid
}

/// Links (`href`) and forms (`action`, `method`, the values of its fields) of a page.
struct Found {
    links: Vec<String>,
    forms: Vec<(String, Vec<(String, String)>)>,
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = start + tag[start..].find('"')?;
    Some(tag[start..end].replace("&amp;", "&").replace("&#x2F;", "/"))
}

fn scan(page: &str) -> Found {
    let mut links = Vec::new();
    for piece in page.split("<a ").skip(1) {
        let tag = &piece[..piece.find('>').unwrap_or(piece.len())];
        if let Some(h) = attr(&format!(" {tag}"), "href") {
            links.push(h);
        }
    }
    let mut forms = Vec::new();
    for piece in page.split("<form").skip(1) {
        let tag_end = piece.find('>').unwrap_or(piece.len());
        let tag = &piece[..tag_end];
        let body = &piece[tag_end..piece.find("</form>").unwrap_or(piece.len())];
        let action = attr(tag, "action").unwrap_or_default();
        let post = tag.contains("method=\"post\"");
        let mut fields = Vec::new();
        for input in body.split("<input").skip(1) {
            let t = &input[..input.find('>').unwrap_or(input.len())];
            let t = format!(" {t}");
            let (Some(name), value) = (attr(&t, "name"), attr(&t, "value")) else {
                continue;
            };
            let kind = attr(&t, "type").unwrap_or_default();
            if (kind == "checkbox" || kind == "radio") && !t.contains(" checked") {
                continue;
            }
            fields.push((name, value.unwrap_or_default()));
        }
        for select in body.split("<select").skip(1) {
            let t = &select[..select.find('>').unwrap_or(select.len())];
            let Some(name) = attr(&format!(" {t}"), "name") else {
                continue;
            };
            let options = &select[..select.find("</select>").unwrap_or(select.len())];
            let chosen = options
                .split("<option")
                .skip(1)
                .find(|o| o.contains(" selected"))
                .or_else(|| options.split("<option").nth(1))
                .and_then(|o| attr(&format!(" {o}"), "value"))
                .unwrap_or_default();
            fields.push((name, chosen));
        }
        for area in body.split("<textarea").skip(1) {
            let t = &area[..area.find('>').unwrap_or(area.len())];
            let Some(name) = attr(&format!(" {t}"), "name") else {
                continue;
            };
            let text_start = area.find('>').map_or(0, |i| i + 1);
            let text = &area[text_start..area.find("</textarea>").unwrap_or(area.len())];
            fields.push((name, text.to_owned()));
        }
        if post {
            forms.push((action, fields));
        } else if !action.is_empty() {
            // A GET form is a link with its current values.
            let query: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
            links.push(format!("{action}?{}", query.join("&")));
        }
    }
    Found { links, forms }
}

/// Same-site paths worth following (no anchors, no external sites, not the sign-out).
fn local(href: &str, from: &str) -> Option<String> {
    let href = href.split('#').next()?;
    if href.is_empty() || href.starts_with("http") || href.starts_with("mailto:") {
        return None;
    }
    if href.starts_with('/') {
        Some(href.to_owned())
    } else if href.starts_with('?') {
        Some(format!("{}{href}", from.split('?').next().unwrap_or(from)))
    } else {
        None
    }
}

/// Follows every link and submits every form a role is offered, up to `limit` pages. Returns
/// each refusal: (status, what, where it was offered).
async fn crawl(base: &str, who: &Session, limit: usize) -> (usize, Vec<(u16, String, String)>) {
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from([("/".to_owned(), "Anmeldung".to_owned())]);
    let mut forms_done = BTreeSet::new();
    let mut refused = Vec::new();
    let mut pages = 0;
    // The region pages link to hundreds of Kreise, all alike: a few are enough, and the rest of
    // the budget goes to the pages of the agreements.
    let mut regions = 0;
    while let Some((path, from)) = queue.pop_front() {
        if pages >= limit || seen.contains(&path) {
            continue;
        }
        if path.starts_with("/regionen/") {
            if regions >= 4 {
                continue;
            }
            regions += 1;
        }
        seen.insert(path.clone());
        pages += 1;
        let r = who
            .client
            .get(format!("{base}{path}"))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let html = r
            .headers()
            .get("content-type")
            .is_some_and(|c| c.to_str().unwrap_or("").starts_with("text/html"));
        let body = r.text().await.unwrap_or_default();
        if status == 403 || status == 404 || status >= 500 {
            refused.push((status, format!("GET {path}"), from.clone()));
            continue;
        }
        if !html {
            continue;
        }
        let found = scan(&body);
        for l in found.links {
            if let Some(p) = local(&l, &path)
                && !seen.contains(&p)
            {
                queue.push_back((p, path.clone()));
            }
        }
        for (action, fields) in found.forms {
            let Some(target) = local(&action, &path) else {
                continue;
            };
            // Removals are confirmed on a page of their own and tested in `drafting`: carried
            // out here they would take away the pages queued behind them.
            if target == "/abmelden"
                || target.ends_with("/entfernen")
                || !forms_done.insert(target.clone())
            {
                continue;
            }
            let r = who
                .nofollow
                .post(format!("{base}{target}"))
                .form(&fields)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            if status == 403 || status == 404 || status >= 500 {
                let text = r.text().await.unwrap_or_default();
                let message = text
                    .split("<p")
                    .nth(1)
                    .map(|p| p.chars().take(160).collect::<String>())
                    .unwrap_or_default();
                refused.push((status, format!("POST {target}: {message}"), path.clone()));
            }
        }
    }
    (pages, refused)
}

#[tokio::test]
async fn no_role_is_offered_a_link_or_button_it_may_not_use() {
    for login in [
        "kreis",
        "agentur",
        "jobcenter",
        "ausschuss",
        "admin",
        "aufsicht",
    ] {
        // A server of its own per role: the crawl submits forms (signs, publishes, edits).
        let s = demo_server().await;
        published_demo_vorlage(&s).await;
        let who = s.login(login).await;
        let (pages, refused) = crawl(&format!("http://{}", s.addr), &who, 120).await;
        assert!(
            pages >= 2,
            "{login}: the start page leads somewhere ({pages} pages)"
        );
        assert!(refused.is_empty(), "{login} ({pages} pages): {refused:#?}");
    }
}

#[tokio::test]
async fn every_role_has_a_start_page_that_says_what_it_can_do() {
    let s = demo_server().await;
    published_demo_vorlage(&s).await;
    for (login, must, must_not) in [
        (
            "kreis",
            vec!["Zielvereinbarungen", "Daten importieren"],
            vec!["Benutzerkonten und Rechte"],
        ),
        (
            "agentur",
            vec!["Zielvereinbarungen"],
            vec!["Daten importieren"],
        ),
        (
            "ausschuss",
            vec!["Veröffentlichte Vorlagen", "50/058/2022"],
            vec!["Daten importieren", "Zielvereinbarungen"],
        ),
        (
            "aufsicht",
            vec![
                "Regionen vergleichen",
                "Aufsicht (Land, Regionaldirektion: Stand der Ziele)",
            ],
            vec!["Daten importieren", "Zielvereinbarungen"],
        ),
        (
            "admin",
            vec![
                "Benutzerkonten und Rechte verwalten",
                "Änderungsprotokoll: Trilaterale Zielvereinbarung 2022",
            ],
            vec!["Daten importieren"],
        ),
    ] {
        let who = s.login(login).await;
        let (status, page) = who.get(&s.url("/")).await;
        assert_eq!(status, 200);
        for m in must {
            assert!(page.contains(m), "{login}: „{m}“ missing:\n{page}");
        }
        for m in must_not {
            assert!(!page.contains(m), "{login}: „{m}“ offered:\n{page}");
        }
        assert!(
            !page.contains("zielwerk agreement import"),
            "{login}: {page}"
        );
        assert!(!page.contains("zielwerk user add"), "{login}: {page}");
    }
}

#[tokio::test]
async fn the_start_page_says_which_version_is_in_force() {
    let s = demo_server().await;
    // Version 1 signed, and its Nachtrag (version 2) signed as well.
    let mut a = zielwerk_demo::mettmann_agreement().unwrap();
    a.status = zielwerk_domain::AgreementStatus::Signed;
    s.store.save_agreement(&a).await.unwrap();
    let mut b = a.clone();
    b.version = 2;
    s.store.save_agreement(&b).await.unwrap();
    let (_, page, _) = get(&s.url("/")).await;
    assert!(
        page.contains("unterzeichnet, ersetzt durch Version 2"),
        "{page}"
    );
    assert!(page.contains("unterzeichnet, in Kraft"), "{page}");
    // The action list's filter names each version once, with its standing.
    let (_, list, _) = get(&s.url("/jobcenter/t36402/aufgaben")).await;
    let options = list
        .matches("Trilaterale Zielvereinbarung 2022, Version")
        .count();
    assert_eq!(options, 2, "{list}");
    assert!(
        list.contains("Version 2 (unterzeichnet, in Kraft)"),
        "{list}"
    );
}

#[tokio::test]
async fn oparl_answers_errors_as_german_json() {
    let s = demo_server().await;
    published_demo_vorlage(&s).await;
    for (path, status, detail) in [
        (
            "/oparl/v1/bodies/t36402/papers?created_since=gestern",
            400,
            "Parameter „created_since“: „gestern“ ist kein Zeitpunkt",
        ),
        (
            "/oparl/v1/bodies/t36402/papers?limit=-1",
            400,
            "Parameter „limit“: „-1“ ist keine ganze Zahl von 1 bis 100",
        ),
        ("/oparl/v1/papers/gibtsnicht", 404, "gibt es nicht"),
        (
            "/oparl/v1/gibtsnicht",
            404,
            "Diesen OParl-Pfad gibt es nicht.",
        ),
    ] {
        let r = reqwest::get(s.url(path)).await.unwrap();
        assert_eq!(r.status().as_u16(), status, "{path}");
        let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
        assert_eq!(ct, "application/problem+json", "{path}");
        let v: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
        assert_eq!(v["status"], status, "{path}");
        assert!(
            v["detail"].as_str().unwrap().contains(detail),
            "{path}: {v}"
        );
    }
}

/// What people read is plain German: dates and times as Germans write them, sizes in KB,
/// checksums shortened behind „Prüfsumme“, audit fields by name, no paths of the documentation,
/// and a probability that reads as one.
#[tokio::test]
async fn pages_speak_plain_german() {
    let s = demo_server().await;
    let vid = published_demo_vorlage(&s).await;
    let (_, page, _) = get(&s.url(&format!("/vorlagen/{vid}"))).await;
    let published = page
        .split("Veröffentlicht am ")
        .nth(1)
        .and_then(|p| {
            p.split('.')
                .take(3)
                .collect::<Vec<_>>()
                .join(".")
                .get(..10)
                .map(str::to_owned)
        })
        .unwrap_or_default();
    assert!(
        chrono::NaiveDate::parse_from_str(&published, "%d.%m.%Y").is_ok(),
        "„{published}“ in {page}"
    );
    assert!(page.contains(" Uhr."), "{page}");
    assert!(
        !page.contains("T0") && !page.contains("Z."),
        "no RFC 3339 time: {page}"
    );
    assert!(page.contains("\u{a0}KB"), "{page}");
    assert!(!page.contains(" Bytes"), "{page}");
    assert!(page.contains("<summary>Prüfsumme</summary>"), "{page}");

    let (_, signing, _) = get(&s.url(&format!("{}/unterzeichnung", crate::METTMANN))).await;
    assert!(signing.contains("Prüfsumme des Inhalts: "), "{signing}");

    // The audit trail names the fields of the Vorlage it recorded in German.
    let kreis = s.login("kreis").await;
    let (_, trail) = kreis
        .get(&s.url(&format!("{}/protokoll", crate::METTMANN)))
        .await;
    assert!(trail.contains("<li>Aktenzeichen: "), "{trail}");
    assert!(trail.contains("<li>Steuerungshinweise › kdu: "), "{trail}");
    assert!(trail.contains("<li>Dateien Nr. 1 › Größe: "), "{trail}");
    assert!(
        !trail.contains("<li><code>") && !trail.contains("<li>area_notes"),
        "{trail}"
    );

    let (_, import, _) = get(&s.url("/import")).await;
    assert!(!import.contains("docs/"), "{import}");
    assert!(import.contains("Wie muss die Datei aussehen?"), "{import}");

    let (_, overview, _) = get(&s.url(&format!("{}?stand=2022-06", crate::METTMANN))).await;
    assert!(
        overview.contains("Wahrscheinlichkeit, das Ziel zu erreichen: "),
        "{overview}"
    );
    assert!(!overview.contains("Ziel erreicht mit"), "{overview}");
}

/// OParl names its objects with the configured public address, whatever `Host` a request
/// sends; without one, with the request's host. `System.product` is a URL, as the schema asks.
#[tokio::test]
async fn oparl_ids_use_the_public_address() {
    let dir = tempfile::tempdir().unwrap();
    let store = zielwerk_store::Store::open(dir.path().join("d.db").to_str().unwrap())
        .await
        .unwrap();
    let s = crate::serve_demo_with(store, dir, |state| {
        state.public_url = Some("https://zielwerk.kreis.example".into());
    })
    .await;
    published_demo_vorlage(&s).await;
    let r = reqwest::Client::new()
        .get(s.url("/oparl/v1/system"))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    let system: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(
        system["id"],
        "https://zielwerk.kreis.example/oparl/v1/system"
    );
    assert_eq!(system["product"], "https://zielwerk.kreis.example/");
    assert!(!system.to_string().contains("evil.example"), "{system}");

    let plain = demo_server().await;
    let (_, body, _) = get(&plain.url("/oparl/v1/system")).await;
    let system: serde_json::Value = serde_json::from_str(&body).unwrap();
    let product = system["product"].as_str().unwrap();
    assert!(
        product.starts_with("http://127.0.0.1:") && product.ends_with('/'),
        "{product}"
    );
}
