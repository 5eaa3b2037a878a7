//! Sign-in through the administration's identity provider (issue 21), against real providers on
//! loopback, started from `tests/oidc/provider.mjs` (`npm ci` there): `oidc-provider` from npm
//! with Keycloak's URL layout for the flow as it should be, and a provider that misbehaves on
//! purpose for the attacks. Nothing of the protocol is mocked inside this process.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use zielwerk_app::external::{ExternalPolicy, GrantSource};
use zielwerk_store::Store;
use zielwerk_web::oidc::{LocalSignIn, Oidc, OidcSettings, Secret};

use crate::{PASSWORD, Server, login_as, serve_demo_on};

pub const CLIENT_ID: &str = "zielwerk";
pub const CLIENT_SECRET: &str = "ein-langes-geheimnis-nur-fuer-tests";

/// A provider process; stopped when dropped.
pub struct Provider {
    child: Child,
    pub issuer: String,
    pub port: u16,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The account the providers know: Anna Amt of the Kreis Mettmann's Sozialamt.
pub fn anna() -> serde_json::Value {
    serde_json::json!({
        "anna": {
            "name": "Anna Amt",
            "preferred_username": "anna",
            "email": "anna.amt@kreis.example",
            "groups": ["zielwerk:kreis@t36402", "kreisverwaltung-alle"]
        }
    })
}

/// Starts `provider.mjs` in `mode` ("provider" or "forger") for a Zielwerk at `app`.
pub fn start_provider(
    mode: &str,
    app: std::net::SocketAddr,
    accounts: &serde_json::Value,
) -> Provider {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/oidc");
    assert!(
        dir.join("node_modules/oidc-provider").exists(),
        "oidc-provider fehlt: npm ci in {}",
        dir.display()
    );
    let mut child = Command::new("node")
        .arg(dir.join("provider.mjs"))
        .env("OIDC_MODE", mode)
        .env("OIDC_CLIENT_ID", CLIENT_ID)
        .env("OIDC_CLIENT_SECRET", CLIENT_SECRET)
        .env(
            "OIDC_REDIRECT_URI",
            format!("http://{app}/anmelden/extern/rueckkehr"),
        )
        .env("OIDC_POST_LOGOUT_URI", format!("http://{app}/anmelden"))
        .env("OIDC_ACCOUNTS", accounts.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node startet (Node.js installiert?)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    Provider {
        child,
        issuer: ready["issuer"].as_str().unwrap().to_owned(),
        port: ready["port"].as_u64().unwrap() as u16,
    }
}

pub fn settings(issuer: &str, policy: ExternalPolicy, local: LocalSignIn) -> OidcSettings {
    OidcSettings {
        issuer: issuer.to_owned(),
        client_id: CLIENT_ID.into(),
        client_secret: Secret::new(CLIENT_SECRET.into()),
        policy,
        local,
        label: "Mit dem Konto der Kreisverwaltung anmelden".into(),
    }
}

pub fn from_claims() -> ExternalPolicy {
    ExternalPolicy {
        grants: GrantSource::Claim("groups".into()),
        create_accounts: true,
    }
}

/// Every test account (`crate::accounts`) as an account of the provider: subject and
/// `preferred_username` its login, `groups` its grants as `zielwerk:ROLLE@JOBCENTER`.
pub fn mirrored_accounts() -> serde_json::Value {
    crate::accounts()
        .into_iter()
        .map(|(login, grants)| {
            let groups: Vec<String> = grants
                .iter()
                .map(|g| format!("zielwerk:{}@{}", g.role.as_str(), g.scope.as_str()))
                .collect();
            (
                login.to_owned(),
                serde_json::json!({
                    "name": format!("Zentral {login}"),
                    "preferred_username": login,
                    "groups": groups,
                }),
            )
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// The demo served with every test account also at a provider that behaves (the forger with
/// no attack), and [`Server::login`] signing in through it: the tests of grants and isolation
/// run unchanged for accounts of an identity provider.
pub async fn provider_server() -> Server {
    let (mut s, p) = server_for(
        "forger",
        from_claims(),
        LocalSignIn::Everyone,
        &mirrored_accounts(),
    )
    .await;
    s.provider = Some(p);
    s
}

/// Signs `login` in through the provider `p` (see [`mirrored_accounts`]).
pub async fn session_through(s: &Server, p: &Provider, login: &str) -> crate::Session {
    let c = client();
    c.post(format!("http://127.0.0.1:{}/control", p.port))
        .header("content-type", "application/json")
        .body(serde_json::json!({ "attack": "none", "account": login }).to_string())
        .send()
        .await
        .unwrap();
    let r = c.get(s.url("/anmelden/extern")).send().await.unwrap();
    let r = c.get(location(&r)).send().await.unwrap();
    let r = c.get(location(&r)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "{login} through the provider");
    let cookie = crate::set_cookie(&r, "zielwerk_sitzung").expect("a session");
    let session = crate::session_with_cookie(s.addr, &cookie).await;
    let (_, home) = session.get(&s.url("/")).await;
    assert!(home.contains(&format!("Zentral {login}")), "{home}");
    session
}

/// The demo served with sign-in through a provider in `mode`, which knows Anna.
pub async fn server_with(
    mode: &str,
    policy: ExternalPolicy,
    local: LocalSignIn,
) -> (Server, Provider) {
    server_for(mode, policy, local, &anna()).await
}

/// The demo served with sign-in through a provider in `mode` that knows `accounts`.
pub async fn server_for(
    mode: &str,
    policy: ExternalPolicy,
    local: LocalSignIn,
    accounts: &serde_json::Value,
) -> (Server, Provider) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("demo.db").to_str().unwrap())
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let app = listener.local_addr().unwrap();
    let provider = start_provider(mode, app, accounts);
    let oidc = Oidc::new(settings(&provider.issuer, policy, local)).unwrap();
    let server = serve_demo_on(listener, store, dir, |state| {
        state.oidc = Some(Arc::new(oidc));
    })
    .await;
    (server, provider)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .unwrap_or_else(|| panic!("keine Weiterleitung: {}", r.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

/// Through the forger with `attack`: the callback URL, its status, its page, and the session
/// cookie it set, if any.
async fn through_forger(
    s: &Server,
    forger: &Provider,
    attack: &str,
    c: &reqwest::Client,
) -> (String, u16, String, Option<String>) {
    c.post(format!("http://127.0.0.1:{}/control", forger.port))
        .header("content-type", "application/json")
        .body(serde_json::json!({ "attack": attack }).to_string())
        .send()
        .await
        .unwrap();
    let r = c.get(s.url("/anmelden/extern")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let at_provider = location(&r);
    assert!(at_provider.starts_with(&forger.issuer), "{at_provider}");
    for p in ["code_challenge_method=S256", "nonce=", "state=", "max_age="] {
        assert!(at_provider.contains(p), "{p}: {at_provider}");
    }
    let r = c.get(&at_provider).send().await.unwrap();
    let back = location(&r);
    let r = c.get(&back).send().await.unwrap();
    let status = r.status().as_u16();
    let session = crate::set_cookie(&r, "zielwerk_sitzung");
    (back, status, r.text().await.unwrap(), session)
}

/// Whether the session cookie signs in: the start page answers instead of sending to the
/// sign-in page.
async fn signed_in(s: &Server, session: &Option<String>) -> bool {
    let Some(cookie) = session else { return false };
    client()
        .get(s.url("/"))
        .header("cookie", format!("zielwerk_sitzung={cookie}"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
        == 200
}

/// A GET with the session cookie.
async fn get_with(s: &Server, session: &Option<String>, path: &str) -> u16 {
    client()
        .get(s.url(path))
        .header(
            "cookie",
            format!("zielwerk_sitzung={}", session.clone().unwrap_or_default()),
        )
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn forged_and_spoiled_tokens_sign_nobody_in() {
    let (s, forger) = server_with("forger", from_claims(), LocalSignIn::Everyone).await;
    for (attack, says) in [
        ("wrong-key", "Signatur ungültig"),
        ("wrong-issuer", "von einem anderen Aussteller"),
        ("wrong-audience", "für eine andere Anwendung ausgestellt"),
        ("expired", "abgelaufen"),
        ("no-nonce", "passt nicht zu dieser Anmeldung (nonce)"),
        ("wrong-nonce", "passt nicht zu dieser Anmeldung (nonce)"),
        (
            "no-auth-time",
            "auth_time fehlt, obwohl max_age verlangt war",
        ),
        (
            "old-auth-time",
            "die Anmeldung beim Anmeldedienst liegt zu lange zurück",
        ),
    ] {
        let (_, status, page, session) = through_forger(&s, &forger, attack, &client()).await;
        assert_eq!(status, 401, "{attack}: {page}");
        assert!(
            page.contains("Die Anmeldebestätigung des Anmeldedienstes ist ungültig"),
            "{attack}: {page}"
        );
        assert!(page.contains(says), "{attack}: {says}: {page}");
        assert!(session.is_none(), "{attack}: a session cookie");
    }
    assert!(
        s.store.user_by_login("anna").await.unwrap().is_none(),
        "no account made by a refused token"
    );

    // The same provider behaving: accepted, so the refusals above were the tokens'.
    let (back, status, page, anna) = through_forger(&s, &forger, "none", &client()).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Sie sind über die zentrale Anmeldung angemeldet"),
        "{page}"
    );
    assert!(signed_in(&s, &anna).await);

    // The same return again (a replayed state): nothing.
    let r = client().get(&back).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert!(crate::set_cookie(&r, "zielwerk_sitzung").is_none());
    let page = r.text().await.unwrap();
    assert!(
        page.contains("abgelaufen oder wurde schon verwendet"),
        "{page}"
    );

    // A code used twice: a new sign-in started, but the old code brought back with its state.
    let c2 = client();
    let r = c2.get(s.url("/anmelden/extern")).send().await.unwrap();
    let at_provider = location(&r);
    let state = url_param(&at_provider, "state");
    let old_code = url_param(&back, "code");
    let r = c2
        .get(s.url(&format!(
            "/anmelden/extern/rueckkehr?code={old_code}&state={state}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert!(crate::set_cookie(&r, "zielwerk_sitzung").is_none());
    let page = r.text().await.unwrap();
    assert!(
        page.contains("hat den Anmeldecode nicht angenommen"),
        "{page}"
    );

    // The provider rotates its keys: the token names a key Zielwerk has not seen; it fetches
    // the keys again and accepts.
    let (_, status, page, rotated) = through_forger(&s, &forger, "rotate", &client()).await;
    assert_eq!(status, 200, "{page}");
    assert!(signed_in(&s, &rotated).await);

    // A locked account stays locked, whatever the provider says.
    assert!(s.store.set_disabled("anna", true).await.unwrap());
    assert!(!signed_in(&s, &anna).await, "locking ended the session");
    let (_, status, page, session) = through_forger(&s, &forger, "none", &client()).await;
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("Ihr Benutzerkonto ist gesperrt"), "{page}");
    assert!(session.is_none());
}

fn url_param(url: &str, name: &str) -> String {
    reqwest::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn grants_come_from_the_claims_and_isolate_jobcenter_as_for_a_local_account() {
    let (s, forger) = server_with("forger", from_claims(), LocalSignIn::Everyone).await;
    let (_, status, page, session) = through_forger(&s, &forger, "none", &client()).await;
    assert_eq!(status, 200, "{page}");
    let anna = s.store.user_by_login("anna").await.unwrap().unwrap();
    assert_eq!(anna.name, "Anna Amt");
    assert_eq!(
        anna.identity_provider.as_deref(),
        Some(forger.issuer.as_str())
    );
    assert!(anna.password_hash.is_none());
    let local = s.store.user_by_login("kreis").await.unwrap().unwrap();
    assert_eq!(anna.grants, local.grants, "the claim gives what kreis has");
    // What she sees and may do is what the local Kreis account sees and may do.
    let kreis = s.login("kreis").await;
    for path in [
        "/vereinbarungen/t36402-2022-v1",
        "/vereinbarungen/t73906-2026-v1",
        "/vereinbarungen/t73906-2026-v1/ziele/k2",
        "/vereinbarungen/t36402-2022-v1/protokoll",
        "/verwaltung/benutzer",
        "/import",
    ] {
        assert_eq!(
            get_with(&s, &session, path).await,
            kreis.get(&s.url(path)).await.0,
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_provider_that_is_down_gets_a_clear_message_and_leaves_the_admin_a_way_in() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("demo.db").to_str().unwrap())
        .await
        .unwrap();
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let issuer = format!("http://{}/realms/zielwerk", closed.local_addr().unwrap());
    drop(closed);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let oidc = Oidc::new(settings(&issuer, from_claims(), LocalSignIn::AdminsOnly)).unwrap();
    let s = serve_demo_on(listener, store, dir, |state| {
        state.oidc = Some(Arc::new(oidc));
    })
    .await;
    let c = client();
    let (status, page) = {
        let r = c.get(s.url("/anmelden")).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    };
    assert_eq!(status, 200);
    assert!(
        page.contains("Mit dem Konto der Kreisverwaltung anmelden"),
        "{page}"
    );
    assert!(page.contains("Nur für die Administration"), "{page}");
    let r = c.get(s.url("/anmelden/extern")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 503);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Die zentrale Anmeldung ist gerade nicht erreichbar"),
        "{page}"
    );
    assert!(
        page.contains("name=\"passwort\""),
        "the password form stays: {page}"
    );
    assert!(login_as(s.addr, "admin", PASSWORD).await.is_ok());

    // Passwords for administrators only: the local Kreis account is refused, the admin not.
    let refused = login_as(s.addr, "kreis", PASSWORD).await;
    let Err((status, page)) = refused else {
        panic!("kreis signed in with a password")
    };
    assert_eq!(status, 403);
    assert!(
        page.contains("Die Anmeldung mit Passwort ist für dieses Konto abgeschaltet"),
        "{page}"
    );
    assert!(login_as(s.addr, "admin", PASSWORD).await.is_ok());
}

#[tokio::test]
async fn without_account_creation_only_existing_accounts_sign_in() {
    let policy = ExternalPolicy {
        grants: GrantSource::Local,
        create_accounts: false,
    };
    let (s, forger) = server_with("forger", policy, LocalSignIn::Everyone).await;
    let (_, status, page, session) = through_forger(&s, &forger, "none", &client()).await;
    assert_eq!(status, 403, "{page}");
    assert!(
        page.contains("gibt es in Zielwerk kein Benutzerkonto"),
        "{page}"
    );
    assert!(session.is_none());
    assert!(s.store.user_by_login("anna").await.unwrap().is_none());
    // Made beforehand by the administration, with grants given in Zielwerk: those stay, the
    // token's groups are not read.
    let grants = vec![zielwerk_domain::Grant {
        scope: zielwerk_domain::Scope::Jobcenter("t73906".parse().unwrap()),
        role: zielwerk_domain::Role::Jobcenter,
    }];
    s.store
        .add_external_user("anna", "Anna Amt", &forger.issuer, "anna", &grants)
        .await
        .unwrap();
    let (_, status, page, session) = through_forger(&s, &forger, "none", &client()).await;
    assert_eq!(status, 200, "{page}");
    let anna = s.store.user_by_login("anna").await.unwrap().unwrap();
    assert_eq!(anna.grants, grants, "the grants given in Zielwerk");
    assert_eq!(
        get_with(&s, &session, "/vereinbarungen/t73906-2026-v1").await,
        200
    );
    assert_eq!(
        get_with(&s, &session, "/vereinbarungen/t36402-2022-v1").await,
        404
    );
}
