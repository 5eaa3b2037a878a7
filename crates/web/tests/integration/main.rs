//! Pages over real HTTP, and in real headless Chromium.
//!
//! The whole suite runs on SQLite by default and on PostgreSQL with
//! `ZIELWERK_TEST_BACKEND=postgres` (each demo server then gets its own throwaway cluster);
//! `scripts/test` runs it both ways.

mod browser;
mod http;
mod meetings;
mod postgres;
mod reports;

use std::net::SocketAddr;

use zielwerk_store::Store;
use zielwerk_web::AppState;

/// A demo database in a temporary directory, served on a free loopback port.
pub struct Server {
    pub addr: SocketAddr,
    pub store: Store,
    _dir: tempfile::TempDir,
    /// The PostgreSQL cluster behind `store`, when the suite runs on PostgreSQL; stopped last.
    _cluster: Option<zielwerk_testkit::PgCluster>,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// The demo on the backend the suite runs on (see the module documentation).
pub async fn demo_server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    match std::env::var("ZIELWERK_TEST_BACKEND").as_deref() {
        Ok("postgres") => {
            let cluster = zielwerk_testkit::PgCluster::start();
            let url = cluster.create_database("demo");
            let store = Store::open(&url).await.unwrap();
            assert_eq!(store.backend(), zielwerk_store::Backend::Postgres);
            let mut s = serve_demo(store, dir).await;
            s._cluster = Some(cluster);
            s
        }
        Ok("sqlite") | Err(_) => {
            let db = dir.path().join("demo.db");
            let store = Store::open(db.to_str().unwrap()).await.unwrap();
            serve_demo(store, dir).await
        }
        Ok(other) => panic!("ZIELWERK_TEST_BACKEND={other}: erwartet sqlite oder postgres"),
    }
}

/// Loads the demo into `store` and serves it; `dir` lives as long as the server.
pub async fn serve_demo(store: Store, dir: tempfile::TempDir) -> Server {
    let demo = zielwerk_demo::build(zielwerk_demo::DEFAULT_SEED).unwrap();
    for a in &demo.agreements {
        store.save_agreement(a).await.unwrap();
    }
    for b in &demo.batches {
        store
            .record_observations(&b.source, &b.observations)
            .await
            .unwrap();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = zielwerk_web::router(AppState::new(store.clone()));
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Server {
        addr,
        store,
        _dir: dir,
        _cluster: None,
    }
}

pub const METTMANN: &str = "/vereinbarungen/t36402-2022-v1";

pub async fn get(url: &str) -> (u16, String, reqwest::header::HeaderMap) {
    let r = reqwest::get(url).await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, r.text().await.unwrap(), headers)
}

/// Uploads `body` as `name` for a preview; returns status and page.
pub async fn upload(s: &Server, name: &str, body: &str, mapping: &str) -> (u16, String) {
    let form = reqwest::multipart::Form::new()
        .part(
            "datei",
            reqwest::multipart::Part::text(body.to_owned()).file_name(name.to_owned()),
        )
        .text("zuordnung", mapping.to_owned());
    let r = reqwest::Client::new()
        .post(s.url("/import/vorschau"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The confirmation token of a preview page.
pub fn token_of(preview: &str) -> String {
    preview
        .split("name=\"token\" value=\"")
        .nth(1)
        .expect("the preview offers a confirmation")
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

/// Confirms a previewed import; returns status and page.
pub async fn confirm(s: &Server, token: &str) -> (u16, String) {
    let r = reqwest::Client::new()
        .post(s.url("/import/bestaetigen"))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Status, content type and body of a GET.
pub async fn bytes(url: &str) -> (u16, String, Vec<u8>) {
    let r = reqwest::get(url).await.unwrap();
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
