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

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::{METTMANN, demo_server};

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

/// Follows the link with this text, as a person clicking it.
async fn follow(client: &Client, link: &str) {
    client
        .find(Locator::LinkText(link))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
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

    // Follow the link to a goal page as a person would.
    client
        .find(Locator::LinkText(
            "Kosten der Unterkunft je Bedarfsgemeinschaft begrenzen",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
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

    client.close().await.unwrap();
}
