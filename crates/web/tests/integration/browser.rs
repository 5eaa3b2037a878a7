//! Real headless Chromium (Debian's package) driven through ChromeDriver: what a person sees,
//! and an axe-core accessibility check (WCAG 2.1 A/AA) on the overview and a goal page.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (installed by `scripts/test`) and
//! axe-core from `tests/browser/node_modules` (installed by `npm ci` there). Missing pieces fail
//! the test with a message saying what to install; they never skip it.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::{METTMANN, Server, demo_server};

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn require(path: &str, what: &str) -> PathBuf {
    let p = PathBuf::from(path);
    assert!(
        p.exists(),
        "{path} fehlt: {what} (scripts/test installiert es)"
    );
    p
}

async fn browser() -> (Client, Driver) {
    let chromedriver =
        std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    require(&chromedriver, "Debian-Paket chromium-driver");
    require(&chromium, "Debian-Paket chromium");
    let port = free_port();
    let child = Command::new(&chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver(child);
    let profile = tempfile::tempdir().unwrap().keep();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1280,1000",
                format!("--user-data-dir={}", profile.display()),
            ]
        }),
    );
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(client) => return (client, driver),
            Err(e) if Instant::now() > deadline => panic!("ChromeDriver antwortet nicht: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

fn axe_source() -> String {
    let path = std::env::var("AXE_CORE_JS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../tests/browser/node_modules/axe-core/axe.min.js")
        });
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} – axe-core fehlt (npm ci in tests/browser)",
            path.display()
        )
    })
}

/// The visible text of the first element matching `css`.
async fn text_of(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Follows the link with this text, as a person clicking it, and waits until the new page has
/// loaded (under load, a query right after the click could otherwise still find an element of
/// the old page, which then goes stale).
async fn follow(client: &Client, link: &str) {
    let before = client.current_url().await.unwrap().to_string();
    client
        .find(Locator::LinkText(link))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    new_page(client, &before, &format!("dem Link „{link}“")).await;
}

/// Clicks the button `css` of a form and waits until the page it leads to has loaded.
async fn submit(client: &Client, css: &str) {
    let before = client.current_url().await.unwrap().to_string();
    client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    new_page(client, &before, css).await;
}

/// Waits until the browser has left `before` and the new page has loaded.
async fn new_page(client: &Client, before: &str, after: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now = client.current_url().await.unwrap();
        let ready = client
            .execute("return document.readyState === 'complete'", vec![])
            .await
            .unwrap_or(json!(false));
        if now.as_str() != before && ready == json!(true) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "nach {after} auf {before} kam keine neue Seite"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs axe-core on the current page and returns the serious and critical violations.
async fn axe(client: &Client, axe_js: &str) -> Vec<Value> {
    client.execute(axe_js, vec![]).await.unwrap();
    let result = client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
                  .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')) }))))
                  .catch(e => done([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }]));"#,
            vec![],
        )
        .await
        .unwrap();
    let all = result.as_array().cloned().unwrap_or_default();
    for v in &all {
        eprintln!(
            "axe: {} ({}) {} {:?}",
            v["id"], v["impact"], v["help"], v["nodes"]
        );
    }
    all.into_iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .collect()
}

#[tokio::test]
async fn overview_and_goal_page_in_chromium_with_axe() {
    let server = demo_server().await;
    let axe_js = axe_source();
    let (client, _driver) = browser().await;
    sign_in(&client, &server).await;

    // Overview: title, goal rows, statuses as text.
    client.goto(&server.url(METTMANN)).await.unwrap();
    let h1 = text_of(&client, "h1").await;
    assert_eq!(h1, "Trilaterale Zielvereinbarung 2022");
    let rows = client.find_all(Locator::Css("tr.goal")).await.unwrap();
    assert!(rows.len() >= 12, "{} rows visible", rows.len());
    let body = text_of(&client, "main").await;
    assert!(body.contains("Kosten der Unterkunft und Bedarfsgemeinschaften"));
    assert!(body.contains("verfehlt") && body.contains("im Plan"));
    let violations = axe(&client, &axe_js).await;
    assert!(violations.is_empty(), "overview: {violations:#?}");

    // In a window 1,400 pixels wide no goal table needs sideways scrolling (the KdU table did).
    client.set_window_size(1400, 1000).await.unwrap();
    for path in [METTMANN.to_owned(), format!("{METTMANN}?stand=2022-06")] {
        client.goto(&server.url(&path)).await.unwrap();
        let wide = client
            .execute(
                "return [...document.querySelectorAll('.scroll')]
                    .filter(e => e.scrollWidth > e.clientWidth + 1)
                    .map(e => e.getAttribute('aria-label') + ': ' + e.scrollWidth + ' > ' + e.clientWidth)",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(wide, serde_json::json!([]), "{path}");
    }
    client.set_window_size(1280, 1000).await.unwrap();
    client.goto(&server.url(METTMANN)).await.unwrap();

    // Follow the link to a goal page as a person would.
    follow(
        &client,
        "Kosten der Unterkunft je Bedarfsgemeinschaft begrenzen",
    )
    .await;
    let url = client.current_url().await.unwrap();
    assert!(url.path().ends_with("/ziele/kdu-je-bg"), "{url}");
    let chart = client.find(Locator::Css("figure.chart svg")).await.unwrap();
    assert!(chart.is_displayed().await.unwrap());
    let size = chart.rectangle().await.unwrap();
    assert!(
        size.2 > 300.0 && size.3 > 100.0,
        "chart is drawn at a readable size: {size:?}"
    );
    let title = client
        .execute(
            "return document.querySelector('figure.chart svg title').textContent",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        title,
        json!("Kosten der Unterkunft je Bedarfsgemeinschaft begrenzen: Ist und Ziel")
    );
    let target_paths = client
        .find_all(Locator::Css("figure.chart svg .target"))
        .await
        .unwrap();
    assert!(!target_paths.is_empty(), "target line drawn");
    let status = text_of(&client, ".assessment .status").await;
    assert!(
        ["im Plan", "gefährdet", "verfehlt"]
            .iter()
            .any(|s| status.contains(s)),
        "{status}"
    );
    let violations = axe(&client, &axe_js).await;
    assert!(violations.is_empty(), "goal page: {violations:#?}");

    // The upload form, reached through the header link.
    follow(&client, "Daten importieren").await;
    let h1 = text_of(&client, "h1").await;
    assert_eq!(h1, "Monatswerte importieren");
    let violations = axe(&client, &axe_js).await;
    assert!(violations.is_empty(), "import form: {violations:#?}");

    // The pages of trust: login, password, goal editor, signing, audit trail.
    for (path, h1) in [
        ("/anmelden", "Anmelden"),
        ("/konto/passwort", "Passwort ändern"),
        (
            "/vereinbarungen/t73906-2026-v1/ziele/bg/bearbeiten",
            "Ziel bearbeiten: Zahl der Bedarfsgemeinschaften senken",
        ),
        (
            "/vereinbarungen/t73906-2026-v1/unterzeichnung",
            "Unterzeichnung: Zielvereinbarung 2026 (Beispielziele), Version 1",
        ),
        (
            "/vereinbarungen/t36402-2022-v1/protokoll",
            "Änderungsprotokoll: Trilaterale Zielvereinbarung 2022",
        ),
        ("/verwaltung/benutzer", "Benutzerkonten"),
        ("/verwaltung/benutzer/kreis", "Benutzerkonto kreis"),
    ] {
        client.goto(&server.url(path)).await.unwrap();
        assert_eq!(text_of(&client, "h1").await, h1, "{path}");
        let violations = axe(&client, &axe_js).await;
        assert!(violations.is_empty(), "{path}: {violations:#?}");
    }

    client.close().await.unwrap();
}

/// The Land view and a Kreis with its comparison group on the real INKAR figures, reached by
/// the header link as a person would, each checked with axe.
#[tokio::test]
async fn the_land_view_and_a_kreis_with_its_group_in_chromium_with_axe() {
    let server = demo_server().await;
    crate::import_inkar(&server).await;
    let axe_js = axe_source();
    let (client, _driver) = browser().await;
    sign_in(&client, &server).await;
    client.goto(&server.url("/")).await.unwrap();
    follow(&client, "Regionen vergleichen").await;
    assert_eq!(text_of(&client, "h1").await, "Regionen vergleichen");
    let violations = axe(&client, &axe_js).await;
    assert!(violations.is_empty(), "regions: {violations:#?}");

    follow(&client, "Nordrhein-Westfalen").await;
    assert_eq!(
        text_of(&client, "h1").await,
        "Kreise in Nordrhein-Westfalen: Leistungen für Unterkunft je Bedarfsgemeinschaft und Monat"
    );
    let rows = client
        .find_all(Locator::Css("table.data tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 53);
    let dots = client
        .find_all(Locator::Css("svg.strip .dot"))
        .await
        .unwrap();
    assert_eq!(dots.len(), 53, "one dot a Kreis");
    let violations = axe(&client, &axe_js).await;
    assert!(violations.is_empty(), "land view: {violations:#?}");

    // The year 2021, sorted by name, filtered: the form as a person fills it.
    client
        .find(Locator::Css("#jahr option[value='2021']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(Locator::Css("#sortierung option[value='name']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(Locator::Css("#suche"))
        .await
        .unwrap()
        .send_keys("mett")
        .await
        .unwrap();
    submit(&client, "form.filters button").await;
    let caption = text_of(&client, "table.data caption").await;
    assert_eq!(
        caption,
        "Leistungen für Unterkunft je Bedarfsgemeinschaft und Monat, 2021: 1 Kreis von 53 (Suche „mett“)"
    );
    let row = text_of(&client, "table.data tbody tr").await;
    assert!(row.starts_with("Mettmann 477,25 €"), "{row}");
    assert!(row.contains("48"), "{row}");

    follow(&client, "Mettmann").await;
    assert_eq!(
        text_of(&client, "h1").await,
        "Mettmann: Leistungen für Unterkunft je Bedarfsgemeinschaft und Monat"
    );
    let body = text_of(&client, "main").await;
    assert!(
        body.contains("Rang 48 von 53 Kreisen in Nordrhein-Westfalen; niedriger ist besser"),
        "{body}"
    );
    assert!(
        body.contains("Vergleichsgruppe: die 10 Kreise und kreisfreien Städte, die Mettmann nach")
    );
    assert!(body.contains("Datenbasis: INKAR, BBSR Bonn; Statistik der Bundesagentur für Arbeit"));
    let marked = client
        .find_all(Locator::Css("svg.strip .marked"))
        .await
        .unwrap();
    assert_eq!(marked.len(), 1);
    let violations = axe(&client, &axe_js).await;
    assert!(violations.is_empty(), "kreis page: {violations:#?}");

    // The goal whose indicator names the published statistic shows the comparison beside it.
    client
        .goto(&server.url("/vereinbarungen/t36402-2022-v1/ziele/kdu-je-bg"))
        .await
        .unwrap();
    assert_eq!(
        text_of(&client, "#vergleich-h").await,
        "Im Vergleich mit anderen Kreisen: Leistungen für Unterkunft je Bedarfsgemeinschaft und Monat"
    );
    let section = text_of(&client, "section.comparison").await;
    // 2022: 494,33 €, 47 Kreise of NRW lower (a count over the INKAR file).
    assert!(
        section.contains("Rang 48 von 53 Kreisen in Nordrhein-Westfalen; niedriger ist besser"),
        "{section}"
    );
    assert!(
        section.contains("berechnet aus den Werten von 2021"),
        "{section}"
    );
    assert!(
        section.contains("Datenbasis: INKAR, BBSR Bonn"),
        "{section}"
    );
    let years = client
        .find_all(Locator::Css("svg.band .own-dot"))
        .await
        .unwrap();
    assert_eq!(years.len(), 15, "one dot a year, 2008 to 2022");
    let violations = axe(&client, &axe_js).await;
    assert!(
        violations.is_empty(),
        "goal page with comparison: {violations:#?}"
    );
    client.close().await.unwrap();
}

// ----- Keyboard only ----------------------------------------------------------------------------

/// Sends keys to whatever has the focus, as a person typing.
/// Signs in as `steuerung` through the login form, by keyboard.
async fn sign_in(client: &Client, server: &Server) {
    client.goto(&server.url("/anmelden")).await.unwrap();
    tab_to(client, "#login").await;
    keys(client, "steuerung").await;
    tab_to(client, "#passwort").await;
    keys(client, crate::PASSWORD).await;
    enter_and_wait(client, "location.pathname === '/'").await;
    assert_eq!(text_of(client, "h1").await, "Zielsteuerung");
}

/// Each character is pressed and released as a key of the keyboard (WebDriver actions), not
/// sent to an element: chromedriver sets a date field's value from "Element Send Keys" instead
/// of typing into it, and then a Tab never leaves the field.
async fn keys(client: &Client, text: &str) {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let mut actions = KeyActions::new("tastatur".into());
    for value in text.chars() {
        actions = actions
            .then(KeyAction::Down { value })
            .then(KeyAction::Up { value });
    }
    client.perform_actions(actions).await.unwrap();
}

/// Presses Tab until the focused element matches `css`; fails if it is not reachable.
async fn tab_to(client: &Client, css: &str) {
    let tab = Key::Tab.to_string();
    for _ in 0..400 {
        keys(client, &tab).await;
        let hit = client
            .execute(
                "return document.activeElement.matches(arguments[0])",
                vec![json!(css)],
            )
            .await
            .unwrap();
        if hit == json!(true) {
            return;
        }
    }
    let focused = client
        .execute(
            "return document.activeElement.outerHTML.slice(0, 200)",
            vec![],
        )
        .await
        .unwrap();
    panic!("{css} ist mit der Tabulatortaste nicht erreichbar; den Fokus hat {focused}");
}

/// Presses Enter on the focused element and waits until `condition` (JavaScript) holds.
async fn enter_and_wait(client: &Client, condition: &str) {
    let before = client.current_url().await.unwrap();
    keys(client, &Key::Enter.to_string()).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ready = client
            .execute(
                &format!("return document.readyState === 'complete' && ({condition})"),
                vec![],
            )
            .await
            .unwrap_or(json!(false));
        if ready == json!(true) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "nach Enter auf {before} trat „{condition}“ nicht ein"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn focused_value(client: &Client) -> Value {
    client
        .execute("return document.activeElement.value", vec![])
        .await
        .unwrap()
}

/// Types a date into the focused date field, segment by segment in the order the browser's
/// locale shows them (Debian's Chromium without its l10n package is en-US: MM/TT/JJJJ; in
/// German TT.MM.JJJJ), and checks what the field holds.
async fn type_date(client: &Client, day: &str, month: &str, year: &str, iso: &str) {
    let order = client
        .execute(
            "return new Intl.DateTimeFormat().formatToParts(new Date(2022, 9, 12)).map(p => p.type).filter(t => t === 'day' || t === 'month' || t === 'year')",
            vec![],
        )
        .await
        .unwrap();
    let typed: String = order
        .as_array()
        .unwrap()
        .iter()
        .map(|t| match t.as_str().unwrap() {
            "day" => day,
            "month" => month,
            _ => year,
        })
        .collect();
    keys(client, &typed).await;
    assert_eq!(
        focused_value(client).await,
        json!(iso),
        "Datumsfeld ({order})"
    );
}

/// Fills the "new meeting" form by keyboard and submits it; returns the meeting page's path.
async fn create_meeting_by_keyboard(
    client: &Client,
    kind_initial: &str,
    date: (&str, &str, &str, &str),
    month_initial: &str,
) -> String {
    tab_to(client, "#s-art").await;
    keys(client, kind_initial).await;
    tab_to(client, "#s-datum").await;
    type_date(client, date.0, date.1, date.2, date.3).await;
    tab_to(client, "#s-monat").await;
    keys(client, month_initial).await;
    tab_to(client, "#s-ort").await;
    keys(client, "Kreishaus Mettmann").await;
    tab_to(client, "#s-teilnehmende-kreis").await;
    keys(client, "Frau Kreis").await;
    tab_to(client, "#s-teilnehmende-jobcenter").await;
    keys(client, "Herr Geschäftsführer").await;
    tab_to(client, "form[action$='/sitzungen'] button[type=submit]").await;
    enter_and_wait(client, "location.pathname.startsWith('/sitzungen/')").await;
    client.current_url().await.unwrap().path().to_owned()
}

#[tokio::test]
async fn a_steering_meeting_end_to_end_by_keyboard_only() {
    let server = demo_server().await;
    let axe_js = axe_source();
    let (client, _driver) = browser().await;
    sign_in(&client, &server).await;

    // Open the demo; from here on every input is a key press.
    client.goto(&server.url(METTMANN)).await.unwrap();
    tab_to(&client, "nav.agreement a[href$='/sitzungen']").await;
    enter_and_wait(&client, "location.pathname.endsWith('/sitzungen')").await;
    assert_eq!(text_of(&client, "h1").await, "Steuerungsgespräche");
    let violations = axe(&client, &axe_js).await;
    assert!(violations.is_empty(), "meetings page: {violations:#?}");

    // A Zielnachhaltedialog on 12.10.2022 for September ("S" picks September 2022).
    let first =
        create_meeting_by_keyboard(&client, "Z", ("12", "10", "2022", "2022-10-12"), "S").await;
    assert_eq!(
        text_of(&client, "h1").await,
        "Zielnachhaltedialog am 12.10.2022"
    );
    assert!(text_of(&client, ".lead").await.contains("September 2022"));
    let agenda: Vec<String> = client
        .execute(
            "return [...document.querySelectorAll('ol.agenda-overview li')].map(li => li.textContent.trim().replace(/\\s+/g, ' '))",
            vec![],
        )
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(agenda.len(), 17);
    let rank = |s: &String| {
        if s.contains("verfehlt") {
            0
        } else if s.contains("gefährdet") {
            1
        } else {
            2
        }
    };
    assert_eq!(rank(&agenda[0]), 0, "{agenda:#?}");
    assert!(
        agenda.windows(2).all(|w| rank(&w[0]) <= rank(&w[1])),
        "{agenda:#?}"
    );
    let violations = axe(&client, &axe_js).await;
    assert!(violations.is_empty(), "meeting page: {violations:#?}");

    // The appraisal of TOP 1, with steering needed (Space ticks the box).
    tab_to(&client, "textarea[name=wuerdigung]").await;
    keys(&client, "Deutlich hinter dem Zielpfad; Zuzüge wirken nach.").await;
    tab_to(&client, "input[name=steuerungsbedarf]").await;
    keys(&client, &Key::Space.to_string()).await;
    tab_to(&client, "form[action$='/wuerdigung'] button").await;
    enter_and_wait(
        &client,
        "document.querySelector('textarea[name=wuerdigung]').value.includes('Zuzüge wirken nach')",
    )
    .await;
    assert!(
        text_of(&client, "section.agenda-item")
            .await
            .contains("Steuerungsbedarf festgestellt")
    );

    // A decision with an action item under TOP 1: open the form (Enter on its summary).
    tab_to(&client, "details.decide summary").await;
    keys(&client, &Key::Enter.to_string()).await;
    tab_to(&client, "textarea[name=beschluss]").await;
    keys(
        &client,
        "Das Jobcenter legt ein Konzept für Fallkonferenzen vor.",
    )
    .await;
    tab_to(&client, "input[name=aufgabe]").await;
    keys(&client, "Konzept Fallkonferenzen vorlegen").await;
    tab_to(&client, "input[name=person]").await;
    keys(&client, "Herr Geschäftsführer").await;
    tab_to(&client, "input[name=faellig]").await;
    type_date(&client, "15", "11", "2022", "2022-11-15").await;
    tab_to(&client, "form[action$='/beschluesse'] button").await;
    enter_and_wait(
        &client,
        "document.body.textContent.includes('Aufgabe: Konzept Fallkonferenzen vorlegen')",
    )
    .await;
    let item = text_of(&client, "section.agenda-item").await;
    assert!(
        item.contains("Aufgabe: Konzept Fallkonferenzen vorlegen – verantwortlich: Jobcenter (Herr Geschäftsführer), fällig 15.11.2022, offen"),
        "{item}"
    );

    // Back to the list by keyboard, and a second meeting in December for October.
    tab_to(&client, "main a[href$='/sitzungen']").await;
    enter_and_wait(&client, "location.pathname.endsWith('/sitzungen')").await;
    let second =
        create_meeting_by_keyboard(&client, "T", ("07", "12", "2022", "2022-12-07"), "O").await;
    assert_ne!(first, second);
    assert_eq!(
        text_of(&client, "h1").await,
        "Trägerversammlung am 07.12.2022"
    );
    let overview = text_of(&client, "ol.agenda-overview").await;
    assert!(
        overview.contains("Überfällige Aufgabe: Konzept Fallkonferenzen vorlegen"),
        "{overview}"
    );

    // Mark it done in this meeting: "e" picks "erledigt" in the status list.
    tab_to(
        &client,
        "section[aria-labelledby=fruehere] select[name=status]",
    )
    .await;
    keys(&client, "e").await;
    assert_eq!(focused_value(&client).await, json!("erledigt"));
    tab_to(
        &client,
        "section[aria-labelledby=fruehere] input[name=vermerk]",
    )
    .await;
    keys(&client, "Konzept liegt vor").await;
    tab_to(&client, "section[aria-labelledby=fruehere] button").await;
    enter_and_wait(
        &client,
        "document.querySelector('section[aria-labelledby=fruehere]').textContent.includes('In dieser Sitzung geändert')",
    )
    .await;
    let earlier = text_of(&client, "section[aria-labelledby=fruehere]").await;
    assert!(
        earlier.contains("Konzept Fallkonferenzen vorlegen: erledigt (Konzept liegt vor)"),
        "{earlier}"
    );
    let violations = axe(&client, &axe_js).await;
    assert!(violations.is_empty(), "second meeting: {violations:#?}");

    // The minutes PDF of the second meeting, through the link on the page.
    let href = client
        .find(Locator::LinkText("als PDF"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let pdf = server
        .client
        .get(server.url(&href))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let text = crate::pdftotext(&pdf)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(text.contains("Niederschrift: Trägerversammlung am 07.12.2022"));
    assert!(
        text.contains("Stand der Aufgaben aus früheren Sitzungen"),
        "{text}"
    );
    assert!(
        text.contains("Konzept Fallkonferenzen") && text.contains("erledigt Konzept liegt vor"),
        "{text}"
    );

    // The Jobcenter-wide list, reached through the navigation.
    tab_to(&client, "nav.agreement a[href$='/aufgaben']").await;
    enter_and_wait(&client, "location.pathname.endsWith('/aufgaben')").await;
    assert!(
        text_of(&client, "main")
            .await
            .contains("0 Aufgaben, davon 0 überfällig.")
    );
    let violations = axe(&client, &axe_js).await;
    assert!(violations.is_empty(), "action list: {violations:#?}");

    client.close().await.unwrap();
}

/// A key held while another is pressed (Ctrl+A, Ctrl+C, Ctrl+V).
async fn chord(client: &Client, modifier: Key, key: char) {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let m: char = modifier.into();
    let actions = KeyActions::new("tastatur".into())
        .then(KeyAction::Down { value: m })
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key })
        .then(KeyAction::Up { value: m });
    client.perform_actions(actions).await.unwrap();
}

/// Saves what the browser shows, for a person to look at (`target/browser/NAME.png` under the
/// cargo target directory, or the temporary directory).
async fn screenshot(client: &Client, name: &str) {
    let dir = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir())
        .join("browser");
    std::fs::create_dir_all(&dir).unwrap();
    let png = client.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

/// Checks the page with axe and keeps a screenshot of it.
async fn looked_at(client: &Client, axe_js: &str, name: &str) {
    screenshot(client, name).await;
    let violations = axe(client, axe_js).await;
    assert!(violations.is_empty(), "{name}: {violations:#?}");
}

#[tokio::test]
async fn next_years_agreement_drafted_by_keyboard_only() {
    let server = demo_server().await;
    let axe_js = axe_source();
    let (client, _driver) = browser().await;
    sign_in(&client, &server).await;
    let next = "/vereinbarungen/t36402-2023-v1";

    // Prepare 2023 from the signed 2022 agreement.
    client.goto(&server.url(METTMANN)).await.unwrap();
    tab_to(&client, "nav.agreement a[href$='/unterzeichnung']").await;
    enter_and_wait(&client, "location.pathname.endsWith('/unterzeichnung')").await;
    tab_to(&client, "form[action$='/folgejahr'] button").await;
    enter_and_wait(&client, &format!("location.pathname === '{next}'")).await;
    assert!(text_of(&client, "h1").await.contains("2023"));
    looked_at(&client, &axe_js, "entwurf-2023-uebersicht").await;

    // Change a target: KdU per BG to 720 €, starting from its proposals.
    tab_to(&client, "a[href$='/ziele/kdu-je-bg']").await;
    enter_and_wait(&client, "location.pathname.endsWith('/ziele/kdu-je-bg')").await;
    tab_to(&client, "a[href$='/kdu-je-bg/bearbeiten']").await;
    enter_and_wait(&client, "location.pathname.endsWith('/bearbeiten')").await;
    assert!(
        text_of(&client, "#vorschlaege")
            .await
            .contains("Vorschläge aus der Prognose")
    );
    looked_at(&client, &axe_js, "ziel-bearbeiten-vorschlaege").await;
    tab_to(&client, "#ziel").await;
    chord(&client, Key::Control, 'a').await;
    keys(&client, "720").await;
    tab_to(&client, "form.fields button[type=submit]").await;
    enter_and_wait(&client, "location.pathname.endsWith('/ziele/kdu-je-bg')").await;

    // A monthly trajectory pasted from a table: twelve cells copied (Ctrl+A, Ctrl+C) as from a
    // spreadsheet, tab-separated, then pasted (Ctrl+V) into the row field.
    let row: Vec<String> = (0..12).map(|i| format!("{}", 18_500 - 50 * i)).collect();
    let table = format!(
        "data:text/html;charset=utf-8,<table><tr>{}</tr></table>",
        row.iter()
            .map(|v| format!("<td>{v}</td>"))
            .collect::<String>()
    );
    // Under load the keys can reach the data page before it has the focus and nothing is
    // selected: the selection is waited for, and copy and paste tried again (at most three
    // times) when the paste brought nothing.
    let mut pasted = json!("");
    for _ in 0..3 {
        client.goto(&table).await.unwrap();
        for _ in 0..20 {
            chord(&client, Key::Control, 'a').await;
            let selected = client
                .execute("return window.getSelection().toString()", vec![])
                .await
                .unwrap();
            if selected.as_str().is_some_and(|t| t.contains("18500")) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        chord(&client, Key::Control, 'c').await;
        client
            .goto(&server.url(&format!("{next}/ziele/kdu-bg/bearbeiten")))
            .await
            .unwrap();
        tab_to(&client, "#zeile").await;
        chord(&client, Key::Control, 'v').await;
        pasted = focused_value(&client).await;
        if pasted.as_str().is_some_and(|p| !p.is_empty()) {
            break;
        }
    }
    assert!(
        pasted.as_str().is_some_and(|p| p.contains('\t')),
        "what the paste put in: {pasted}"
    );
    looked_at(&client, &axe_js, "zielpfad-eingefuegt").await;
    tab_to(&client, "form.fields button[type=submit]").await;
    enter_and_wait(&client, "location.pathname.endsWith('/ziele/kdu-bg')").await;
    let stored = server
        .store
        .agreement(&"t36402-2023-v1".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let kdu_bg = stored
        .goals
        .iter()
        .find(|g| g.key.as_str() == "kdu-bg")
        .unwrap();
    let zielwerk_domain::Target::Monthly { values } = &kdu_bg.target else {
        panic!("{:?}", kdu_bg.target)
    };
    assert_eq!(values.len(), 12);
    assert_eq!(values[&"2023-12".parse().unwrap()], 17_950.0);
    let kdu = stored
        .goals
        .iter()
        .find(|g| g.key.as_str() == "kdu-je-bg")
        .unwrap();
    assert_eq!(kdu.target, zielwerk_domain::Target::Annual { value: 720.0 });

    // A goal with a new indicator, in a new area.
    client.goto(&server.url(next)).await.unwrap();
    tab_to(&client, "a[href$='/ziel-hinzufuegen']").await;
    enter_and_wait(&client, "location.pathname.endsWith('/ziel-hinzufuegen')").await;
    looked_at(&client, &axe_js, "ziel-hinzufuegen").await;
    tab_to(&client, "#titel").await;
    keys(&client, "Angetretene Suchtberatungen erhöhen").await;
    tab_to(&client, "#bereich").await;
    keys(&client, "N").await;
    assert_eq!(focused_value(&client).await, json!("neu"));
    tab_to(&client, "#bereich_titel").await;
    keys(&client, "Suchtberatung nach § 16a SGB II").await;
    tab_to(&client, "#kennzahl_code").await;
    keys(&client, "SUCHT_ANTRITTE").await;
    tab_to(&client, "#kennzahl_name").await;
    keys(&client, "Angetretene Suchtberatungen").await;
    tab_to(&client, "#ziel").await;
    keys(&client, "240").await;
    tab_to(&client, "form.fields button[type=submit]").await;
    enter_and_wait(
        &client,
        "location.pathname.endsWith('/ziele/angetretene-suchtberatungen-erhoehen')",
    )
    .await;
    looked_at(&client, &axe_js, "neues-ziel").await;

    // One value by hand: January 2023, 22 Beratungen.
    tab_to(&client, "a[href$='/wert']").await;
    enter_and_wait(&client, "location.pathname.endsWith('/wert')").await;
    tab_to(&client, "#monat").await;
    keys(&client, &Key::Home.to_string()).await;
    assert_eq!(focused_value(&client).await, json!("2023-01"));
    tab_to(&client, "#wert").await;
    keys(&client, "22").await;
    tab_to(&client, "form.fields button[type=submit]").await;
    enter_and_wait(&client, "document.querySelector('[role=status]') !== null").await;
    assert!(
        text_of(&client, "[role=status]")
            .await
            .contains("Der Wert für Januar 2023 ist gespeichert.")
    );
    looked_at(&client, &axe_js, "wert-von-hand").await;

    // A Handlungsansatz for the new goal, from the draft page, by keyboard: the goal box
    // checked with the space bar.
    client.goto(&server.url(next)).await.unwrap();
    tab_to(&client, "a[href$='/entwurf']").await;
    enter_and_wait(&client, "location.pathname.endsWith('/entwurf')").await;
    looked_at(&client, &axe_js, "entwurf-bearbeiten").await;
    tab_to(&client, "a[href$='/massnahme-hinzufuegen']").await;
    enter_and_wait(
        &client,
        "location.pathname.endsWith('/massnahme-hinzufuegen')",
    )
    .await;
    tab_to(&client, "#titel").await;
    keys(&client, "Träger melden Antritte monatlich").await;
    tab_to(&client, "#wirkung").await;
    keys(&client, "Antritte werden monatlich sichtbar").await;
    tab_to(&client, "#ziel-angetretene-suchtberatungen-erhoehen").await;
    keys(&client, " ").await;
    looked_at(&client, &axe_js, "handlungsansatz-hinzufuegen").await;
    tab_to(&client, "form.fields button[type=submit]").await;
    enter_and_wait(&client, "location.pathname.endsWith('/entwurf')").await;
    assert!(
        text_of(
            &client,
            "#ansaetze + table, section[aria-labelledby=ansaetze]"
        )
        .await
        .contains("Träger melden Antritte monatlich")
    );
    // The other new pages, looked at and checked.
    for (path, name) in [
        ("/bereiche/kdu/bearbeiten", "zielbereich-bearbeiten"),
        (
            "/kennzahlen/SUCHT_ANTRITTE/bearbeiten",
            "kennzahl-bearbeiten",
        ),
        ("/bereiche/kdu/entfernen", "zielbereich-entfernen"),
    ] {
        client
            .goto(&server.url(&format!("{next}{path}")))
            .await
            .unwrap();
        looked_at(&client, &axe_js, name).await;
    }

    // The status on the overview at January.
    client.goto(&server.url(next)).await.unwrap();
    tab_to(&client, "#stand").await;
    keys(&client, &Key::Home.to_string()).await;
    tab_to(&client, "form.stand button").await;
    enter_and_wait(&client, "location.search.includes('stand=2023-01')").await;
    let row: String = client
        .execute(
            "return [...document.querySelectorAll('tr')].find(r => r.textContent.includes('Angetretene Suchtberatungen erhöhen')).textContent.replace(/\\s+/g, ' ')",
            vec![],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    assert!(row.contains("Ist Januar bis Januar 2023: 22"), "{row}");
    assert!(
        ["im Plan", "gefährdet", "verfehlt", "keine Daten"]
            .iter()
            .any(|s| row.contains(s)),
        "{row}"
    );
    looked_at(&client, &axe_js, "uebersicht-januar").await;

    // Signed as all three parties, one after the other.
    tab_to(&client, "nav.agreement a[href$='/unterzeichnung']").await;
    enter_and_wait(&client, "location.pathname.endsWith('/unterzeichnung')").await;
    looked_at(&client, &axe_js, "unterzeichnung-entwurf").await;
    for signed in 1..=3 {
        tab_to(&client, "form[action$='/unterzeichnen'] button").await;
        enter_and_wait(
            &client,
            &format!(
                "document.querySelectorAll('form[action$=\"/unterzeichnen\"]').length === {}",
                3 - signed
            ),
        )
        .await;
    }
    assert!(
        text_of(&client, "main")
            .await
            .contains("Stand: unterzeichnet")
    );
    looked_at(&client, &axe_js, "unterzeichnet").await;
}

/// Sign-in through the identity provider (issue 21), in Chromium and by keyboard: the button on
/// Zielwerk's sign-in page, the provider's own login and consent pages (oidc-provider's
/// development pages, Keycloak's URL layout), back on the start page with the grants the
/// `groups` claim gives, and out again at both.
#[tokio::test]
async fn signed_in_through_the_identity_provider_and_out_again() {
    use zielwerk_web::oidc::LocalSignIn;
    let (server, provider) = crate::oidc::server_with(
        "provider",
        crate::oidc::from_claims(),
        LocalSignIn::AdminsOnly,
    )
    .await;
    let axe_js = axe_source();
    let (client, _driver) = browser().await;
    client.goto(&server.url("/anmelden")).await.unwrap();
    looked_at(&client, &axe_js, "anmelden-zentral").await;
    tab_to(&client, "a.button").await;
    enter_and_wait(
        &client,
        &format!(
            "location.port === '{}' && document.querySelector('input[name=login]') !== null",
            provider.port
        ),
    )
    .await;
    screenshot(&client, "anbieter-anmeldung").await;
    tab_to(&client, "input[name=login]").await;
    keys(&client, "anna").await;
    tab_to(&client, "input[name=password]").await;
    keys(&client, "beliebig").await;
    enter_and_wait(
        &client,
        "document.querySelector('input[name=prompt][value=consent]') !== null",
    )
    .await;
    tab_to(&client, "button[type=submit]").await;
    enter_and_wait(
        &client,
        &format!(
            "location.port === '{}' && location.pathname === '/'",
            server.addr.port()
        ),
    )
    .await;
    let header = text_of(&client, "header").await;
    assert!(header.contains("Angemeldet: Anna Amt"), "{header}");
    assert!(
        !header.contains("Passwort ändern"),
        "no password of her own: {header}"
    );
    let main = text_of(&client, "main").await;
    assert!(main.contains("ME-aktiv"), "her Jobcenter: {main}");
    assert!(!main.contains("Regensburg"), "not another one: {main}");
    looked_at(&client, &axe_js, "angemeldet-zentral").await;
    let anna = server.store.user_by_login("anna").await.unwrap().unwrap();
    assert_eq!(
        anna.identity_provider.as_deref(),
        Some(provider.issuer.as_str())
    );

    // Out again: the local session ends, then the provider's (its confirmation page).
    tab_to(&client, "form[action='/abmelden'] button").await;
    enter_and_wait(
        &client,
        &format!(
            "location.port === '{}' && document.querySelector('button[name=logout]') !== null",
            provider.port
        ),
    )
    .await;
    tab_to(&client, "button[name=logout]").await;
    enter_and_wait(
        &client,
        &format!(
            "location.port === '{}' && location.pathname === '/anmelden'",
            server.addr.port()
        ),
    )
    .await;
    client.goto(&server.url("/")).await.unwrap();
    let url = client.current_url().await.unwrap();
    assert_eq!(url.path(), "/anmelden", "signed out: {url}");
}

/// The Kreis has not reported the second half of 2022 for its § 16a and BuT goals: the
/// controller uploads the case lists in the browser, previews, confirms, and the goal pages
/// show the months „aus eigenen Daten“ and assess the year with them.
#[tokio::test]
async fn case_lists_uploaded_in_chromium_reach_the_goal_pages() {
    let h2 = |o: &zielwerk_domain::Observation| {
        o.region.to_string() == "t36402"
            && ["SUCHT_", "BUT_"]
                .iter()
                .any(|p| o.indicator.as_str().starts_with(p))
            && o.month >= "2022-07".parse().unwrap()
    };
    let server = crate::demo_server_keeping(&|o| !h2(o)).await;
    // What the demo says for January to June.
    let demo = zielwerk_demo::build(zielwerk_demo::DEFAULT_SEED).unwrap();
    let first_half: f64 = demo
        .batches
        .iter()
        .flat_map(|b| &b.observations)
        .filter(|o| {
            o.region.to_string() == "t36402"
                && o.indicator.as_str() == "SUCHT_ZUWEISUNGEN"
                && o.month.year() == 2022
                && !h2(o)
        })
        .filter_map(|o| o.value)
        .sum();

    // Referrals of July to December: 2, 3, 1, 4, 2 and 3 (15).
    let mut sucht = String::from("person;zuweisung;beginn;abschluss\n");
    let mut person = 0;
    for (month, n) in [(7, 2), (8, 3), (9, 1), (10, 4), (11, 2), (12, 3)] {
        for i in 0..n {
            person += 1;
            sucht.push_str(&format!(
                "{person};{:02}.{month:02}.2022;{:02}.{month:02}.2022;\n",
                1 + i,
                11 + i
            ));
        }
    }
    // BuT: one application open since 1 October (in the backlog from 1 November on), one
    // decided in 5 days in December.
    let but = "kind;antrag;entscheidung;bewilligt\n\
               1;02.08.2021;10.08.2021;ja\n\
               2;01.10.2022;;\n\
               3;05.12.2022;10.12.2022;ja\n";
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (name, text) in [
        ("suchtberatung.csv", sucht.as_str()),
        ("but_antraege.csv", but),
    ] {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        paths.push(p.display().to_string());
    }

    let axe_js = axe_source();
    let (client, _driver) = browser().await;
    sign_in(&client, &server).await;
    follow(&client, "Daten importieren").await;
    follow(&client, "Eigene Daten hochladen").await;
    assert_eq!(text_of(&client, "h1").await, "Eigene Daten hochladen");
    looked_at(&client, &axe_js, "eigene-daten-formular").await;
    client
        .find(Locator::Css("#dateien"))
        .await
        .unwrap()
        .send_keys(&paths.join("\n"))
        .await
        .unwrap();
    client
        .find(Locator::Css("#jobcenter"))
        .await
        .unwrap()
        .select_by_value("t36402")
        .await
        .unwrap();
    tab_to(&client, "#von").await;
    keys(&client, "07.2022").await;
    tab_to(&client, "#bis").await;
    keys(&client, "12.2022").await;
    tab_to(&client, "#datenstand").await;
    type_date(&client, "15", "01", "2023", "2023-01-15").await;
    submit(&client, "form.upload button[type=submit]").await;
    assert_eq!(
        text_of(&client, "h1").await,
        "Vorschau der Werte aus eigenen Daten: eigene Daten (suchtberatung.csv, but_antraege.csv)"
    );
    let notes = text_of(&client, "main").await;
    assert!(
        notes.contains("SUCHT_ANTRITT · Dezember 2022 Noch kein Wert: die Antrittsquote zählt Beratungen bis 31.01.2023, die Liste reicht bis 15.01.2023"),
        "{notes}"
    );
    assert!(
        notes.contains("SUCHT_ABSCHLUESSE 6 Werte nicht übernommen: keine Vereinbarung definiert diese Kennzahl"),
        "{notes}"
    );
    assert!(
        notes.contains("BUT_QUOTE · Juli 2022 bis Dezember 2022 Kein Wert: die Zahl der leistungsberechtigten Kinder des Monats fehlt (Datei but_berechtigte)"),
        "{notes}"
    );
    looked_at(&client, &axe_js, "eigene-daten-vorschau").await;
    submit(&client, "form[action='/import/bestaetigen'] button").await;
    assert_eq!(
        text_of(&client, "h1").await,
        "Werte aus eigenen Daten gespeichert: eigene Daten (suchtberatung.csv, but_antraege.csv)"
    );

    // The goal page, once the agreement has been assessed with the new values.
    let goal = server.url(&format!("{METTMANN}/ziele/sucht-zuweisungen"));
    let expected = format!(
        "Ist Januar bis Dezember 2022: {}",
        zielwerk_domain::format::number(first_half + 15.0, 0)
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        client.goto(&goal).await.unwrap();
        let assessment = text_of(&client, ".assessment").await;
        if assessment.contains(&expected) {
            break;
        }
        assert!(Instant::now() < deadline, "{assessment}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let row = text_of(&client, "table.values tbody tr:first-child").await;
    assert!(
        row.starts_with("Dezember 2022 3") && row.contains("aus eigenen Daten 15.01.2023"),
        "{row}"
    );
    looked_at(&client, &axe_js, "eigene-daten-ziel").await;
    // The chart draws the months from own data as squares, with their own legend entry.
    let squares = client
        .execute(
            "const c = document.querySelector('svg.chart'); c.scrollIntoView(); return c.querySelectorAll('rect.own').length",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(squares, json!(6), "July to December");
    assert!(
        text_of(&client, "svg.chart .legend")
            .await
            .contains("aus eigenen Daten")
    );
    assert!(
        text_of(&client, "figure.chart figcaption")
            .await
            .contains("Werte aus eigenen Daten, noch ohne amtliche Zahl, als Quadrate.")
    );
    screenshot(&client, "eigene-daten-diagramm").await;
    client
        .goto(&server.url(&format!("{METTMANN}/ziele/but-rueckstand")))
        .await
        .unwrap();
    let row = text_of(&client, "table.values tbody tr:first-child").await;
    assert!(
        row.starts_with("Dezember 2022 1") && row.contains("aus eigenen Daten"),
        "{row}"
    );
    client.close().await.unwrap();
}
