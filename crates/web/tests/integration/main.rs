//! Pages over real HTTP, and in real headless Chromium.
//!
//! The whole suite runs on SQLite by default and on PostgreSQL with
//! `ZIELWERK_TEST_BACKEND=postgres` (each demo server then gets its own throwaway cluster);
//! `scripts/test` runs it both ways.

mod api;
mod assessments;
mod browser;
mod drafting;
mod http;
mod limits;
mod meetings;
mod navigation;
mod oidc;
mod own_records;
mod postgres;
mod reports;
mod snapshots;
mod trust;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Mutex, OnceLock};

use zielwerk_domain::{Grant, Role, Scope};
use zielwerk_store::Store;
use zielwerk_web::AppState;

/// A demo database in a temporary directory, served on a free loopback port, with a signed-in
/// client (`steuerung`: Kreis, Agentur and Jobcenter for both demo Jobcenter, and installation-wide
/// Administration).
pub struct Server {
    pub addr: SocketAddr,
    pub store: Store,
    /// Signed in as `steuerung`; sends the session cookie with every request.
    pub client: reqwest::Client,
    /// The session's CSRF token, for forms.
    pub csrf: String,
    _dir: tempfile::TempDir,
    /// The PostgreSQL cluster behind `store`, when the suite runs on PostgreSQL; stopped last.
    _cluster: Option<zielwerk_testkit::PgCluster>,
    /// With a provider, [`Server::login`] signs in through it (as an account of the provider
    /// with the same grants) instead of with a password.
    pub provider: Option<oidc::Provider>,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Signs in as one of the test accounts (see [`ACCOUNTS`]).
    pub async fn login(&self, login: &str) -> Session {
        match &self.provider {
            Some(p) => oidc::session_through(self, p, login).await,
            None => login_as(self.addr, login, PASSWORD).await.expect("login"),
        }
    }
}

/// A signed-in HTTP client and its CSRF token.
#[derive(Clone)]
pub struct Session {
    pub client: reqwest::Client,
    /// The same session, not following redirects (to see a 303 and where it leads).
    pub nofollow: reqwest::Client,
    pub csrf: String,
}

impl Session {
    /// Posts a form (with the CSRF token) without following redirects.
    pub async fn post(&self, url: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        fields.push(("_csrf", &self.csrf));
        self.nofollow.post(url).form(&fields).send().await.unwrap()
    }

    pub async fn get(&self, url: &str) -> (u16, String) {
        let r = self.client.get(url).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }
}

pub const PASSWORD: &str = "test-passwort-lang";

/// The test accounts: login and grants.
pub fn accounts() -> Vec<(&'static str, Vec<Grant>)> {
    let g = |scope: &str, role| Grant {
        scope: scope.parse::<Scope>().unwrap(),
        role,
    };
    let carriers = |jc: &str| {
        [Role::Kreis, Role::Agentur, Role::Jobcenter]
            .map(|r| g(jc, r))
            .to_vec()
    };
    let mut steuerung = carriers("t36402");
    steuerung.extend(carriers("t73906"));
    steuerung.push(g("*", Role::Admin));
    vec![
        ("steuerung", steuerung),
        ("kreis", vec![g("t36402", Role::Kreis)]),
        ("agentur", vec![g("t36402", Role::Agentur)]),
        ("jobcenter", vec![g("t36402", Role::Jobcenter)]),
        ("ausschuss", vec![g("t36402", Role::Leserecht)]),
        ("admin", vec![g("*", Role::Admin)]),
        ("regensburg", carriers("t73906")),
        ("aufsicht", vec![g("*", Role::Aufsicht)]),
    ]
}

/// Signs in through the login form, as a browser would (login cookie, form token, redirect).
pub async fn login_as(
    addr: SocketAddr,
    login: &str,
    password: &str,
) -> Result<Session, (u16, String)> {
    let bare = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = bare
        .get(format!("http://{addr}/anmelden"))
        .send()
        .await
        .unwrap();
    let login_cookie = set_cookie(&form, "zielwerk_anmeldung").expect("login cookie");
    let page = form.text().await.unwrap();
    let token = form_value(&page, "_anmeldung").to_owned();
    let r = bare
        .post(format!("http://{addr}/anmelden"))
        .header("cookie", format!("zielwerk_anmeldung={login_cookie}"))
        .form(&[
            ("_anmeldung", token.as_str()),
            ("login", login),
            ("passwort", password),
            ("weiter", "/"),
        ])
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let Some(session) = set_cookie(&r, "zielwerk_sitzung") else {
        return Err((status, r.text().await.unwrap()));
    };
    assert_eq!(status, 303);
    Ok(session_with_cookie(addr, &session).await)
}

/// The signed-in clients of the session cookie `session`, with the session's CSRF token read
/// from the start page.
pub async fn session_with_cookie(addr: SocketAddr, session: &str) -> Session {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "cookie",
        format!("zielwerk_sitzung={session}").parse().unwrap(),
    );
    let client = reqwest::Client::builder()
        .default_headers(headers.clone())
        .build()
        .unwrap();
    let nofollow = reqwest::Client::builder()
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let home = client
        .get(format!("http://{addr}/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = form_value(&home, "_csrf").to_owned();
    Session {
        client,
        nofollow,
        csrf,
    }
}

/// The value of the first form field `name` (`name="…" value="…"`) in `page`.
pub fn form_value<'a>(page: &'a str, name: &str) -> &'a str {
    page.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .unwrap_or_else(|| panic!("Feld {name} fehlt"))
        .split('"')
        .next()
        .unwrap()
}

/// The value of cookie `name` set by `r`, if any.
pub fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_owned())
        .filter(|v| !v.is_empty())
}

/// The signed-in client of each running test server, by address, for [`get`] and [`bytes`].
fn clients() -> &'static Mutex<HashMap<String, reqwest::Client>> {
    static CLIENTS: OnceLock<Mutex<HashMap<String, reqwest::Client>>> = OnceLock::new();
    CLIENTS.get_or_init(Default::default)
}

fn client_for(url: &str) -> reqwest::Client {
    let host = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    clients()
        .lock()
        .unwrap()
        .get(&host)
        .cloned()
        .unwrap_or_default()
}

/// The demo on the backend the suite runs on (see the module documentation).
pub async fn demo_server() -> Server {
    demo_server_keeping(&|_| true).await
}

/// As [`demo_server`], with only the demo's values `keep` keeps.
pub async fn demo_server_keeping(
    keep: &(dyn Fn(&zielwerk_domain::Observation) -> bool + Sync),
) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let serve = async |store: Store, dir: tempfile::TempDir| {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        serve_on(listener, store, dir, |_| {}, keep).await
    };
    match std::env::var("ZIELWERK_TEST_BACKEND").as_deref() {
        Ok("postgres") => {
            let cluster = zielwerk_testkit::PgCluster::start();
            let url = cluster.create_database("demo");
            let store = Store::open(&url).await.unwrap();
            assert_eq!(store.backend(), zielwerk_store::Backend::Postgres);
            let mut s = serve(store, dir).await;
            s._cluster = Some(cluster);
            s
        }
        Ok("sqlite") | Err(_) => {
            let db = dir.path().join("demo.db");
            let store = Store::open(db.to_str().unwrap()).await.unwrap();
            serve(store, dir).await
        }
        Ok(other) => panic!("ZIELWERK_TEST_BACKEND={other}: erwartet sqlite oder postgres"),
    }
}

/// Loads the demo into `store` and serves it; `dir` lives as long as the server.
pub async fn serve_demo(store: Store, dir: tempfile::TempDir) -> Server {
    serve_demo_with(store, dir, |_| {}).await
}

/// As [`serve_demo`], with the application's settings changed by `configure`.
pub async fn serve_demo_with(
    store: Store,
    dir: tempfile::TempDir,
    configure: impl FnOnce(&mut AppState),
) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    serve_demo_on(listener, store, dir, configure).await
}

/// As [`serve_demo_with`], on a listener bound already (its address known before the settings
/// are made, e.g. for an identity provider's redirect address).
pub async fn serve_demo_on(
    listener: tokio::net::TcpListener,
    store: Store,
    dir: tempfile::TempDir,
    configure: impl FnOnce(&mut AppState),
) -> Server {
    serve_on(listener, store, dir, configure, &|_| true).await
}

async fn serve_on(
    listener: tokio::net::TcpListener,
    store: Store,
    dir: tempfile::TempDir,
    configure: impl FnOnce(&mut AppState),
    keep: &(dyn Fn(&zielwerk_domain::Observation) -> bool + Sync),
) -> Server {
    let demo = zielwerk_demo::build(zielwerk_demo::DEFAULT_SEED).unwrap();
    for a in &demo.agreements {
        store.save_agreement(a).await.unwrap();
    }
    for b in &demo.batches {
        let kept: Vec<_> = b.observations.iter().filter(|o| keep(o)).cloned().collect();
        store.record_observations(&b.source, &kept).await.unwrap();
    }
    static HASH: OnceLock<String> = OnceLock::new();
    let hash = HASH.get_or_init(|| zielwerk_web::auth::hash_password(PASSWORD).unwrap());
    for (login, grants) in accounts() {
        store
            .add_user(login, &format!("Test {login}"), hash, &grants)
            .await
            .unwrap();
    }
    let addr = listener.local_addr().unwrap();
    let mut state = AppState::new(store.clone());
    // Tests read what they just wrote: pages wait for the new assessment instead of showing the
    // last one (the test of that path sets its own wait).
    state.time_limits.assessment = std::time::Duration::from_secs(120);
    configure(&mut state);
    let app = zielwerk_web::router(state);
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    let Session { client, csrf, .. } = login_as(addr, "steuerung", PASSWORD).await.unwrap();
    clients()
        .lock()
        .unwrap()
        .insert(addr.to_string(), client.clone());
    Server {
        addr,
        store,
        client,
        csrf,
        _dir: dir,
        _cluster: None,
        provider: None,
    }
}

pub const METTMANN: &str = "/vereinbarungen/t36402-2022-v1";

/// A GET as the server's signed-in client.
pub async fn get(url: &str) -> (u16, String, reqwest::header::HeaderMap) {
    let r = client_for(url).get(url).send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, r.text().await.unwrap(), headers)
}

/// Uploads `body` as `name` for a preview; returns status and page.
pub async fn upload(s: &Server, name: &str, body: &str, mapping: &str) -> (u16, String) {
    let part = reqwest::multipart::Part::text(body.to_owned()).file_name(name.to_owned());
    let r = upload_part(s, part, mapping).await;
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Imports the real INKAR file (400 Kreise, 16 Länder, the Bund, 2007–2022) through its
/// shipped mapping, straight into the server's store.
pub async fn import_inkar(s: &Server) {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let mapping = zielwerk_ingest::mapped::parse_mapping(
        "inkar-sgb2-kreise.toml",
        &std::fs::read_to_string(format!("{root}/mappings/inkar-sgb2-kreise.toml")).unwrap(),
    )
    .unwrap();
    let file = format!("{root}/../shared/data/real/inkar/inkar_sgb2_kreise_2007_2022.csv");
    let request = zielwerk_importer::Request {
        name: "inkar_sgb2_kreise_2007_2022.csv".into(),
        input: Box::new(std::fs::File::open(file).unwrap()),
        mapping: Some(mapping),
        recorded_by: "Test".into(),
        via: "Test",
        commit: true,
        may_write: None,
        progress: None,
        by_hand: false,
        about: None,
    };
    zielwerk_importer::run(&s.store, request, "02.12.2026 10:00")
        .await
        .unwrap();
}

/// Posts `part` as the file of an upload for a preview, with `mapping`.
pub async fn upload_part(
    s: &Server,
    part: reqwest::multipart::Part,
    mapping: &str,
) -> reqwest::Response {
    let form = reqwest::multipart::Form::new()
        .part("datei", part)
        .text("zuordnung", mapping.to_owned());
    s.client
        .post(s.url(&format!("/import/vorschau?_csrf={}", s.csrf)))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// The confirmation token of a preview page.
pub fn token_of(preview: &str) -> String {
    form_value(preview, "token").to_owned()
}

/// Confirms a previewed import; returns status and page.
pub async fn confirm(s: &Server, token: &str) -> (u16, String) {
    let r = s
        .client
        .post(s.url("/import/bestaetigen"))
        .form(&[("token", token), ("_csrf", &s.csrf)])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Status, content type and body of a GET.
pub async fn bytes(url: &str) -> (u16, String, Vec<u8>) {
    let r = client_for(url).get(url).send().await.unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, r.bytes().await.unwrap().to_vec())
}

/// The text of a PDF, by poppler's pdftotext (layout kept).
pub fn pdftotext(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) is installed by scripts/test");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// Records a revised final value of Regensburg's BG for `month` (Datenstand 1 October 2026) from
/// the file source "Revision Oktober", as a later delivery would.
pub async fn revise_regensburg_bg(store: &Store, month: &str, value: f64) {
    let revised = zielwerk_domain::Observation {
        region: "t73906".parse().unwrap(),
        period: zielwerk_domain::PeriodKind::Month,
        indicator: "BG".parse().unwrap(),
        month: month.parse().unwrap(),
        value: Some(value),
        numerator: None,
        denominator: None,
        status: zielwerk_domain::ValueStatus::Final,
        datenstand: "2026-10-01".parse().unwrap(),
        breakdown: None,
    };
    let source = zielwerk_domain::Source {
        kind: zielwerk_domain::SourceKind::File,
        label: "Revision Oktober".into(),
        detail: String::new(),
        file_name: None,
        sha256: None,
    };
    store
        .record_observations(&source, &[revised])
        .await
        .unwrap();
}
