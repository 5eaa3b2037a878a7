//! The web's form and query decoding: fuzzed query strings and form bodies sent through the whole
//! router (session, CSRF check, extractors, handlers) of a demo installation in memory.
//!
//! An input is a request template chosen by its first byte and the fuzzed query or body in the
//! rest. A case fails on any 5xx, and on an error answer that is not the German error page (or
//! OParl's German problem+json), such as an extractor's English plain-text rejection.

use axum::body::Body;
use axum::http::{Method, Request, header};
use tower::ServiceExt;

use crate::{Target, german};

/// The requests: method, path, and whether the fuzzed part is the query or the form body.
/// Pages that assess a whole agreement (the overview) are left out: they take seconds in a debug
/// build, and their query is the same `stand` the goal page reads.
const TEMPLATES: [(Method, &str, Part); 12] = [
    (
        Method::GET,
        "/vereinbarungen/t36402-2022-v1/ziele/kdu-bg",
        Part::Query,
    ),
    (
        Method::GET,
        "/vereinbarungen/t36402-2022-v1/berichte",
        Part::Query,
    ),
    (Method::GET, "/jobcenter/t36402/aufgaben", Part::Query),
    (Method::GET, "/anmelden", Part::Query),
    (Method::GET, "/oparl/v1/bodies", Part::Query),
    (Method::GET, "/oparl/v1/system", Part::Query),
    (
        Method::POST,
        "/vereinbarungen/t36402-2022-v1/ziele/kdu-bg/bearbeiten",
        Part::Form,
    ),
    (
        Method::POST,
        "/vereinbarungen/t36402-2022-v1/ziele/kdu-bg/anmerkungen",
        Part::Form,
    ),
    (
        Method::POST,
        "/vereinbarungen/t36402-2022-v1/sitzungen",
        Part::Form,
    ),
    (Method::POST, "/verwaltung/benutzer", Part::Form),
    (Method::POST, "/anmelden", Part::Form),
    (Method::POST, "/import/bestaetigen", Part::Form),
];

#[derive(Clone, Copy)]
enum Part {
    Query,
    Form,
}

const CSRF: &str = "fuzz-csrf-token-0123456789";
const SESSION: &str = "fuzz-sitzung-0123456789";

/// A demo installation on SQLite in a temporary directory, with a session of every role.
pub struct Forms {
    runtime: tokio::runtime::Runtime,
    app: axum::Router,
    _dir: tempfile::TempDir,
}

impl Forms {
    pub fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let db = dir.path().join("fuzz.db");
        let app = runtime.block_on(async {
            let store = zielwerk_store::Store::open(db.to_str().expect("a UTF-8 path"))
                .await
                .expect("the database opens");
            let demo = zielwerk_demo::build(zielwerk_demo::DEFAULT_SEED).expect("the demo");
            for a in &demo.agreements {
                store.save_agreement(a).await.expect("a demo agreement");
            }
            for b in &demo.batches {
                store
                    .record_observations(&b.source, &b.observations)
                    .await
                    .expect("demo values");
            }
            let grant = |s: &str| {
                let (role, scope) = s.split_once('@').expect("ROLLE@SCOPE");
                zielwerk_domain::Grant {
                    role: role.parse().expect("a role"),
                    scope: scope.parse().expect("a scope"),
                }
            };
            let grants: Vec<_> = [
                "kreis@t36402",
                "agentur@t36402",
                "jobcenter@t36402",
                "kreis@t73906",
                "admin@*",
            ]
            .map(grant)
            .to_vec();
            let id = store
                .add_user("fuzz", "Fuzz", "kein-passwort", &grants)
                .await
                .expect("an account");
            store
                .create_session(
                    &zielwerk_web::auth::token_hash(SESSION),
                    &id,
                    CSRF,
                    "2999-01-01T00:00:00Z",
                )
                .await
                .expect("a session");
            zielwerk_web::router(zielwerk_web::AppState::new(store))
        });
        Self {
            runtime,
            app,
            _dir: dir,
        }
    }
}

impl Default for Forms {
    fn default() -> Self {
        Self::new()
    }
}

impl Target for Forms {
    fn name(&self) -> &'static str {
        "formulare"
    }
    fn what(&self) -> &'static str {
        "Formulare und Abfragen der Weboberfläche"
    }
    fn seeds(&self) -> Vec<Vec<u8>> {
        let payloads: [&str; 12] = [
            "stand=2022-06",
            "stand=2022-12",
            "status=offen&partei=kreis&ueberfaellig=1",
            "weiter=%2Fvereinbarungen%2Ft36402-2022-v1",
            "page=1&limit=10",
            "",
            "revision=0&titel=Kosten+der+Unterkunft&beschreibung=Text&ziel=17.700&toleranz=1,5",
            "text=Wert+gepr%C3%BCft&monat=2022-06",
            "datum=2022-07-15&titel=Steuerungsrunde",
            "login=neu&name=Neue+Person&passwort=ein-langes-passwort&recht=kreis%40t36402",
            "_anmeldung=x&login=fuzz&passwort=falsch",
            "token=abc",
        ];
        payloads
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let mut v = vec![i as u8];
                v.extend_from_slice(p.as_bytes());
                v
            })
            .collect()
    }
    fn dictionary(&self) -> Vec<Vec<u8>> {
        [
            "&",
            "=",
            "%",
            "%00",
            "%ff",
            "%C3%A4",
            "+",
            "stand=",
            "stand=2022-06&stand=2022-07",
            "limit=-1",
            "limit=99999999999999999999",
            "page=0",
            "revision=",
            "revision=-1",
            "revision=99999999999999999999",
            "ziel=1e400",
            "toleranz=",
            "titel=",
            "_csrf=",
            "weiter=//evil.example",
            "weiter=/%09/evil.example",
            "monat=2022-13",
            "datum=31.02.2022",
            "status=erledigt",
            "recht=admin%40*",
            "quartal=5",
            "oeffentlich=1",
            "%E2%80%AE",
        ]
        .iter()
        .map(|t| t.as_bytes().to_vec())
        .collect()
    }
    fn check(&self, input: &[u8]) -> Result<(), String> {
        let Some((&which, payload)) = input.split_first() else {
            return Ok(());
        };
        let (method, path, part) = &TEMPLATES[usize::from(which) % TEMPLATES.len()];
        let cookie = format!("zielwerk_sitzung={SESSION}");
        let request = match part {
            Part::Query => {
                // Only what a client can send: bytes a URI may hold.
                let Ok(query) = std::str::from_utf8(payload) else {
                    return Ok(());
                };
                let uri = format!("{path}?{query}");
                let Ok(uri) = uri.parse::<axum::http::Uri>() else {
                    return Ok(());
                };
                Request::builder()
                    .method(method.clone())
                    .uri(uri)
                    .header(header::COOKIE, cookie)
                    .body(Body::empty())
            }
            Part::Form => {
                let mut body = format!("_csrf={CSRF}&").into_bytes();
                body.extend_from_slice(payload);
                Request::builder()
                    .method(method.clone())
                    .uri(*path)
                    .header(header::COOKIE, cookie)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(body))
            }
        }
        .map_err(|e| format!("Anfrage nicht baubar: {e}"))?;
        let app = self.app.clone();
        let (status, content_type, body) = self.runtime.block_on(async move {
            let response = app.oneshot(request).await.expect("the router never fails");
            let status = response.status();
            let content_type = response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let body = axum::body::to_bytes(response.into_body(), 64 << 20)
                .await
                .unwrap_or_default();
            (
                status,
                content_type,
                String::from_utf8_lossy(&body).into_owned(),
            )
        });
        let place = format!("{method} {path}");
        if status.is_server_error() {
            return Err(format!("{place}: Antwort {status}"));
        }
        if !status.is_client_error() {
            return Ok(());
        }
        if content_type.starts_with("text/html") {
            let message = body
                .split("<p class=\"error-message\">")
                .nth(1)
                .and_then(|m| m.split("</p>").next());
            match message {
                Some(m) => german(m).map_err(|e| format!("{place}: {e}")),
                // A page that answers 4xx with its own form (login, a refused edit) is German
                // by its template; its messages are checked by the page tests.
                None if body.contains("<html lang=\"de\">") => Ok(()),
                None => Err(format!("{place}: {status} ohne deutsche Seite")),
            }
        } else if content_type.starts_with("application/problem+json") {
            let problem: serde_json::Value = serde_json::from_str(&body)
                .map_err(|_| format!("{place}: kein JSON: {}", crate::shorten(&body)))?;
            let detail = problem["detail"].as_str().unwrap_or_default();
            if detail.is_empty() {
                return Err(format!("{place}: problem+json ohne detail"));
            }
            german(detail).map_err(|e| format!("{place}: {e}"))
        } else {
            Err(format!(
                "{place}: {status} als „{content_type}“: {}",
                crate::shorten(&body)
            ))
        }
    }
}
