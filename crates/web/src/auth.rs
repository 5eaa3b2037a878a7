//! Sign-in, sessions, CSRF and login throttling.
//!
//! Authentication ends in a [`Session`] holding a [`Principal`]; everything after that asks
//! [`Session::require`], which asks `zielwerk_domain::access` — the one place of the rules. The
//! local password login is one way to get a session ([`start_session`]); an OpenID Connect login
//! would be another (look the account up by issuer and subject, then call [`start_session`]),
//! without any change to the rules.
//!
//! - Passwords: Argon2id (the `argon2` crate's defaults), at least [`MIN_PASSWORD`] characters.
//! - Sessions: 32 random bytes in an HttpOnly, SameSite=Strict cookie (Secure behind TLS); the
//!   database keeps only their SHA-256. They end after [`SESSION_HOURS`] or on logout.
//! - CSRF: every state-changing request needs the session's token (`_csrf` in the form, or in
//!   the query for file uploads), and a foreign `Origin` is refused outright.
//! - Throttling: after [`FREE_ATTEMPTS`] failed logins for an account (or four times as many
//!   from one address, which may be a whole office behind a proxy), each further attempt waits
//!   twice as long as the one before (up to 15 minutes).

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zielwerk_domain::{Action, BaId, Principal};
use zielwerk_store::{Failures, Store};

use crate::AppState;
use crate::error::WebError;

pub const SESSION_COOKIE: &str = "zielwerk_sitzung";
/// The pre-login CSRF cookie of the login form (double submit of a token the server signed,
/// see [`login_token`]).
pub const LOGIN_COOKIE: &str = "zielwerk_anmeldung";
pub const SESSION_HOURS: i64 = 10;
pub const FREE_ATTEMPTS: u32 = 5;
/// The largest form body the CSRF check reads (file uploads carry the token in the query and
/// have their own limit). The same as axum's default for forms, so that an oversized form is
/// refused here, with a German message, before any handler sees it.
const FORM_LIMIT: usize = 2 * 1024 * 1024;

pub use zielwerk_app::accounts::{
    MIN_PASSWORD, check_new_password, hash_password, random_token, token_hash, verify_password,
};

/// Compares without an early exit, so the time taken says nothing about the token.
pub(crate) fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && !a.is_empty()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A signed-in user, for one request.
#[derive(Debug, Clone)]
pub struct Session {
    pub principal: Principal,
    pub csrf: String,
    pub token_hash: String,
    /// Whether the account has a password of its own (not one of an identity provider only).
    pub has_password: bool,
}

tokio::task_local! {
    static CURRENT: Option<Session>;
}

/// The CSRF token of the current request's session, for the hidden field of every form.
pub fn csrf_token() -> String {
    CURRENT
        .try_with(|s| s.as_ref().map(|s| s.csrf.clone()))
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// The signed-in user's name, for the page header.
pub fn user_name() -> String {
    CURRENT
        .try_with(|s| s.as_ref().map(|s| s.principal.name.clone()))
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// Whether the signed-in user has a password to change (for the header link).
pub fn has_password() -> bool {
    CURRENT
        .try_with(|s| s.as_ref().is_some_and(|s| s.has_password))
        .unwrap_or(false)
}

/// Whether the signed-in user manages accounts somewhere (for the header link).
pub fn may_manage_users() -> bool {
    may_anywhere(Action::ManageUsers)
}

/// Whether the signed-in user may do `action` for some Jobcenter (for links in the page
/// header). Asks the permission table; decides nothing itself.
fn may_anywhere(action: Action) -> bool {
    CURRENT
        .try_with(|s| s.as_ref().is_some_and(|s| s.principal.may_anywhere(action)))
        .unwrap_or(false)
}

/// Whether the signed-in user may do `action` with the data of the Jobcenter `ba_id` (for
/// links and buttons of a page: a page offers only what the user may do).
pub fn may_for(ba_id: &str, action: Action) -> bool {
    let Ok(jc) = ba_id.parse() else {
        return false;
    };
    CURRENT
        .try_with(|s| s.as_ref().is_some_and(|s| s.principal.may(&jc, action)))
        .unwrap_or(false)
}

/// For the header's "Daten importieren".
pub fn may_import() -> bool {
    may_anywhere(Action::ImportValues)
}

/// For the links of an agreement's internal pages.
pub fn may_read_internal(ba_id: &str) -> bool {
    may_for(ba_id, Action::ReadInternal)
}

/// For the link to the audit trail.
pub fn may_read_audit(ba_id: &str) -> bool {
    may_for(ba_id, Action::ReadAudit)
}

/// The current session's token hash (pages are cached per session: they carry its CSRF token).
pub(crate) fn session_key() -> String {
    CURRENT
        .try_with(|s| s.as_ref().map(|s| s.token_hash.clone()))
        .ok()
        .flatten()
        .unwrap_or_default()
}

impl Session {
    /// Allows `action` on `jobcenter`'s data, or says why not. Someone who may not read the
    /// Jobcenter's internal data gets "not found" for everything internal (`missing` is the
    /// same message a wrong id gets), so ids of other Jobcenter cannot be probed.
    pub fn require(
        &self,
        jobcenter: &BaId,
        action: Action,
        missing: impl FnOnce() -> String,
    ) -> Result<(), WebError> {
        Ok(zielwerk_app::access::require(
            &self.principal,
            jobcenter,
            action,
            missing,
        )?)
    }

    /// The store, with writes recorded for this user.
    pub fn store(&self, store: &Store) -> Store {
        store.acting_as(&self.principal.audit_name())
    }
}

/// Handlers that take a `Session` need a signed-in user; others get the login page.
impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        if let Some(s) = parts.extensions.get::<Session>() {
            return Ok(s.clone());
        }
        Err(login_required(parts.method.clone(), &parts.uri))
    }
}

fn login_required(method: Method, uri: &axum::http::Uri) -> Response {
    if method == Method::GET || method == Method::HEAD {
        let back = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("weiter", back)
            .finish();
        Redirect::to(&format!("{}?{query}", crate::paths::SignIn::PATH)).into_response()
    } else {
        WebError::Unauthorized("Bitte melden Sie sich an; es wurde nichts gespeichert.".into())
            .into_response()
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub(crate) fn cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// Whether the request came over TLS (directly, or through a proxy that says so), or the server
/// was told to always mark cookies Secure.
pub(crate) fn is_secure(state: &AppState, headers: &axum::http::HeaderMap) -> bool {
    state.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, path `/`, Secure when `secure`.
pub(crate) fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let c = cookie::Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(max_age_secs))
        .build();
    HeaderValue::from_str(&c.to_string()).expect("cookie values are hex")
}

/// Creates a session for `user_id`; returns the cookie to set. Used by every login method.
pub async fn start_session(
    state: &AppState,
    user_id: &str,
    secure: bool,
) -> Result<HeaderValue, WebError> {
    let token = random_token();
    let expires = chrono::Utc::now() + chrono::Duration::hours(SESSION_HOURS);
    state
        .store
        .create_session(
            &token_hash(&token),
            user_id,
            &random_token(),
            &expires.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        )
        .await?;
    Ok(set_cookie(
        SESSION_COOKIE,
        &token,
        SESSION_HOURS * 3600,
        secure,
    ))
}

/// Middleware: finds the session of the request, refuses state-changing requests without a
/// valid CSRF token or from a foreign origin, and runs the rest with the session at hand.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let session = match cookie(req.headers(), SESSION_COOKIE) {
        Some(token) => {
            let hash = token_hash(&token);
            match state.store.session(&hash, &now).await {
                Ok(found) => found.map(|s| Session {
                    has_password: s.user.password_hash.is_some(),
                    principal: s.user.principal(),
                    csrf: s.csrf,
                    token_hash: hash,
                }),
                Err(e) => return WebError::from(e).into_response(),
            }
        }
        None => None,
    };
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method {
        if foreign_origin(req.headers(), is_secure(&state, req.headers())) {
            return WebError::Forbidden(
                "Diese Anfrage kommt von einer fremden Seite und wurde abgewiesen.".into(),
            )
            .into_response();
        }
        // The login form has no session yet; it checks its own double-submit token.
        if req.uri().path() != "/anmelden" {
            let Some(s) = &session else {
                return login_required(req.method().clone(), req.uri());
            };
            let (checked, token) = match csrf_of(req).await {
                Ok(x) => x,
                Err(e) => return e.into_response(),
            };
            req = checked;
            if !token.is_some_and(|t| same_token(&t, &s.csrf)) {
                return WebError::Forbidden(
                    "Das Formular ist abgelaufen oder stammt nicht von dieser Seite (Sicherheitsmerkmal fehlt oder passt nicht). Laden Sie die Seite neu und senden Sie es erneut; es wurde nichts gespeichert."
                        .into(),
                )
                .into_response();
            }
        }
    }
    let signed_in = session.is_some();
    let tls = is_secure(&state, req.headers());
    if let Some(s) = &session {
        req.extensions_mut().insert(s.clone());
    }
    let mut response = CURRENT.scope(session, next.run(req)).await;
    if signed_in {
        // Pages for a signed-in user are theirs alone.
        response
            .headers_mut()
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("private, no-store"));
    }
    if tls {
        response.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}

/// An `Origin` header that is not this server: another host, or the same host under the other
/// scheme (`http://` while the server is reached over TLS, or the reverse).
pub(crate) fn foreign_origin(headers: &axum::http::HeaderMap, tls: bool) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let scheme = if tls { "https" } else { "http" };
    origin != format!("{scheme}://{host}")
}

#[cfg(test)]
mod origin_tests {
    use super::foreign_origin;
    use axum::http::HeaderMap;

    fn headers(origin: &str, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("origin", origin.parse().unwrap());
        h.insert("host", host.parse().unwrap());
        h
    }

    #[test]
    fn the_origin_must_match_host_and_scheme() {
        assert!(!foreign_origin(
            &headers("http://z.example:8080", "z.example:8080"),
            false
        ));
        assert!(!foreign_origin(
            &headers("https://z.example", "z.example"),
            true
        ));
        assert!(foreign_origin(
            &headers("https://z.example", "z.example"),
            false
        ));
        assert!(foreign_origin(
            &headers("http://z.example", "z.example"),
            true
        ));
        assert!(foreign_origin(
            &headers("http://evil.example", "z.example"),
            false
        ));
        assert!(foreign_origin(&headers("null", "z.example"), false));
        assert!(
            !foreign_origin(&HeaderMap::new(), false),
            "no Origin: other checks apply"
        );
    }
}

/// The request's CSRF token: from the query (`_csrf`), or from a form body (which is read and
/// put back).
async fn csrf_of(req: Request) -> Result<(Request, Option<String>), WebError> {
    let from_query = req.uri().query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "_csrf")
            .map(|(_, v)| v.into_owned())
    });
    if from_query.is_some() {
        return Ok((req, from_query));
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok((req, None));
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, FORM_LIMIT).await.map_err(|_| {
        WebError::PayloadTooLarge(format!(
            "Das Formular ist zu groß (höchstens {} MB).",
            FORM_LIMIT / 1024 / 1024
        ))
    })?;
    let token = form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "_csrf")
        .map(|(_, v)| v.into_owned());
    Ok((Request::from_parts(parts, Body::from(bytes)), token))
}

/// The client's address, when the server knows it.
pub(crate) fn peer(req_extensions: &axum::http::Extensions) -> Option<SocketAddr> {
    req_extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| *a)
}

/// How long a key with `failures` must still wait at `now_ms` before the next sign-in attempt
/// (zero: go ahead), when `free` failures go unpunished: each failure beyond those doubles the
/// wait, up to 15 minutes. The counts live in the database (`Store::sign_in_failures`), so every
/// server process on it counts the same.
pub fn throttle_wait(failures: Option<Failures>, free: u32, now_ms: i64) -> Duration {
    match failures {
        Some(f) if f.count >= free => {
            let delay = Duration::from_secs(1u64 << (f.count - free).min(10))
                .min(Duration::from_secs(15 * 60));
            let since = Duration::from_millis(u64::try_from(now_ms - f.last_ms).unwrap_or(0));
            delay.saturating_sub(since)
        }
        _ => Duration::ZERO,
    }
}

/// Milliseconds since 1970, the clock of the sign-in counts.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The sign-in form's token: a random nonce, when it ends (seconds since 1970), and an HMAC
/// of both under the installation's secret. The token is set in a cookie and in the form
/// (double submit), and the server accepts only tokens it signed itself and that have not
/// ended: a value a client makes up is refused even when cookie and field agree.
pub fn login_token(secret: &[u8], now_s: i64) -> String {
    let nonce = random_token();
    let until = now_s + LOGIN_TOKEN_SECONDS;
    let mac = login_mac(secret, &nonce, until);
    format!("{nonce}.{until}.{mac}")
}

/// How long a sign-in form stays valid.
pub const LOGIN_TOKEN_SECONDS: i64 = 3600;

fn login_mac(secret: &[u8], nonce: &str, until: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(format!("zielwerk-anmeldung|{nonce}|{until}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `token` is one [`login_token`] made under `secret` and still valid at `now_s`.
pub fn valid_login_token(secret: &[u8], token: &str, now_s: i64) -> bool {
    let mut parts = token.split('.');
    let (Some(nonce), Some(until), Some(mac), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let Ok(until_s) = until.parse::<i64>() else {
        return false;
    };
    nonce.len() == 64
        && until_s >= now_s
        && until_s <= now_s + LOGIN_TOKEN_SECONDS
        && same_token(&login_mac(secret, nonce, until_s), mac)
}

/// The installation's secret for signing sign-in tokens, from the database (shared by every
/// process on it), fetched once per process.
pub async fn login_secret(state: &AppState) -> Result<std::sync::Arc<[u8]>, WebError> {
    state
        .login_secret
        .get_or_try_init(|| async {
            let secret = state.store.server_secret(&random_token()).await?;
            Ok::<_, WebError>(std::sync::Arc::from(secret.into_bytes()))
        })
        .await
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_waits_double_after_five_failures() {
        let at = |count, last_ms| Some(Failures { count, last_ms });
        let t0 = 1_000_000;
        assert_eq!(throttle_wait(None, FREE_ATTEMPTS, t0), Duration::ZERO);
        assert_eq!(
            throttle_wait(at(4, t0), FREE_ATTEMPTS, t0),
            Duration::ZERO,
            "four are free"
        );
        assert_eq!(
            throttle_wait(at(5, t0), FREE_ATTEMPTS, t0),
            Duration::from_secs(1)
        );
        assert_eq!(
            throttle_wait(at(6, t0), FREE_ATTEMPTS, t0),
            Duration::from_secs(2)
        );
        assert_eq!(
            throttle_wait(at(6, t0), FREE_ATTEMPTS, t0 + 1_500),
            Duration::from_millis(500)
        );
        assert_eq!(
            throttle_wait(at(6, t0), FREE_ATTEMPTS, t0 + 2_000),
            Duration::ZERO
        );
        assert_eq!(
            throttle_wait(at(26, t0), FREE_ATTEMPTS, t0),
            Duration::from_secs(15 * 60),
            "capped"
        );
        assert_eq!(
            throttle_wait(at(u32::MAX, t0), FREE_ATTEMPTS, t0),
            Duration::from_secs(15 * 60)
        );
    }

    #[test]
    fn only_tokens_the_server_signed_and_that_have_not_ended_pass() {
        let secret = b"geheim";
        let now = 1_800_000_000;
        let t = login_token(secret, now);
        assert!(valid_login_token(secret, &t, now));
        assert!(valid_login_token(secret, &t, now + LOGIN_TOKEN_SECONDS));
        assert!(
            !valid_login_token(secret, &t, now + LOGIN_TOKEN_SECONDS + 1),
            "ended"
        );
        assert!(!valid_login_token(b"anders", &t, now), "another key");
        let made_up = format!("{}.{}.{}", "a".repeat(64), now + 60, "b".repeat(64));
        assert!(!valid_login_token(secret, &made_up, now), "made up");
        let (head, _) = t.rsplit_once('.').unwrap();
        let longer = format!("{}.{}", head.rsplit_once('.').unwrap().0, now + 999_999);
        assert!(
            !valid_login_token(
                secret,
                &format!("{longer}.{}", t.rsplit_once('.').unwrap().1),
                now
            ),
            "its end cannot be moved"
        );
        for bad in ["", "x", "a.b.c", "a.b.c.d", &format!("{t}.x")] {
            assert!(!valid_login_token(secret, bad, now), "{bad:?}");
        }
    }

    #[test]
    fn tokens_compare_fully() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "ab"));
        assert!(!same_token("", ""), "an empty token never matches");
        assert_eq!(random_token().len(), 64);
        assert_ne!(random_token(), random_token());
    }
}
