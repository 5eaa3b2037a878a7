//! Signing in and out, and changing one's password.

use askama::Template;
use axum::Form;
use axum::extract::FromRequest;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect};
use serde::Deserialize;

use super::{PageResult, html};
use crate::AppState;
use crate::auth::{self, LOGIN_COOKIE, SESSION_COOKIE, Session};
use crate::error::WebError;
use crate::oidc::{LocalSignIn, Refusal};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    message: String,
    login: String,
    next: String,
    form_token: String,
    /// The button of the identity provider: its words and where it starts.
    external: Option<(String, String)>,
    /// Whether the password form is shown, and for whom (empty: everyone).
    local: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    weiter: Option<String>,
}

/// Only paths on this server are followed after login (no open redirect).
/// Where to go after signing in: a path of this site only. Browsers drop tabs, line breaks
/// and spaces from a URL, so `/\t/evil.example` is `//evil.example` to them: a path with any
/// control character or space is refused, as are `//…` and `/\…`.
fn local_path(next: Option<&str>) -> String {
    match next {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.contains('\\')
                && !p.chars().any(|c| c.is_control() || c.is_whitespace()) =>
        {
            p.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[tokio::test]
    async fn wrong_passwords_from_elsewhere_do_not_lock_the_owner_out() {
        use crate::auth::throttle_wait;
        let dir = tempfile::tempdir().unwrap();
        let store = zielwerk_store::Store::open(dir.path().join("t.db").to_str().unwrap())
            .await
            .unwrap();
        let now = 1_800_000_000_000;
        let attacker = super::throttle_keys("kreis", Some("203.0.113.9".parse().unwrap()));
        let keys: Vec<&str> = attacker.iter().map(|(k, _)| k.as_str()).collect();
        for _ in 0..crate::auth::FREE_ATTEMPTS + 3 {
            store.add_sign_in_failure(&keys, now).await.unwrap();
        }
        let blocked = async |keys: &[(String, u32)]| {
            for (k, free) in keys {
                let f = store.sign_in_failures(k).await.unwrap();
                if !throttle_wait(f, *free, now).is_zero() {
                    return true;
                }
            }
            false
        };
        assert!(blocked(&attacker).await, "the guesser is slowed down");
        let owner = super::throttle_keys("kreis", Some("198.51.100.7".parse().unwrap()));
        assert!(
            !blocked(&owner).await,
            "the owner at her own address is not"
        );
    }

    #[test]
    fn only_paths_of_this_site_are_followed() {
        for (next, to) in [
            (
                Some("/vereinbarungen/x?stand=2022-06"),
                "/vereinbarungen/x?stand=2022-06",
            ),
            (None, "/"),
            (Some("https://evil.example/"), "/"),
            (Some("//evil.example"), "/"),
            (Some("/\\evil.example"), "/"),
            (Some("/\t/evil.example"), "/"),
            (Some("/\n/evil.example"), "/"),
            (Some("/ /evil.example"), "/"),
            (Some("/\u{0}/x"), "/"),
        ] {
            assert_eq!(local_path(next), to, "{next:?}");
        }
    }
}

/// What failed sign-ins are counted against, with the failures each may have for free.
///
/// Where the server knows the address: the account *at that address* (so five wrong passwords
/// typed elsewhere do not lock its owner out), the address (an office behind one proxy shares
/// one: four times as many), and the account from anywhere with a high allowance (which still
/// slows a guesser spread over many addresses). Without an address, the account.
fn throttle_keys(login: &str, ip: Option<std::net::IpAddr>) -> Vec<(String, u32)> {
    let account = format!("konto:{}", login.to_lowercase());
    match ip {
        Some(ip) => vec![
            (format!("{account}@{ip}"), auth::FREE_ATTEMPTS),
            (format!("adresse:{ip}"), 4 * auth::FREE_ATTEMPTS),
            (account, 20 * auth::FREE_ATTEMPTS),
        ],
        None => vec![(account, auth::FREE_ATTEMPTS)],
    }
}

/// The login page with a fresh signed token in a cookie and the form (double submit).
async fn login_page(
    state: &AppState,
    status: StatusCode,
    message: String,
    login: String,
    next: String,
    secure: bool,
) -> PageResult {
    let token = auth::login_token(&auth::login_secret(state).await?, auth::now_ms() / 1000);
    let local = match state.oidc.as_ref().map(|o| o.settings.local) {
        None | Some(LocalSignIn::Everyone) => Some(""),
        Some(LocalSignIn::AdminsOnly) => {
            Some("Nur für die Administration, falls die zentrale Anmeldung nicht erreichbar ist.")
        }
        Some(LocalSignIn::Off) => None,
    };
    let body = LoginPage {
        message,
        login,
        external: state.oidc.as_ref().map(|o| {
            (
                o.settings.label.clone(),
                format!(
                    "{}?weiter={}",
                    crate::paths::ExternalSignIn::PATH,
                    form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                ),
            )
        }),
        local,
        next,
        form_token: token.clone(),
    }
    .render()?;
    let mut r = (status, Html(body)).into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        auth::set_cookie(LOGIN_COOKIE, &token, auth::LOGIN_TOKEN_SECONDS, secure),
    );
    Ok(r)
}

pub async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> PageResult {
    login_page(
        &state,
        StatusCode::OK,
        String::new(),
        String::new(),
        local_path(q.weiter.as_deref()),
        auth::is_secure(&state, &headers),
    )
    .await
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    _anmeldung: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    passwort: String,
    weiter: Option<String>,
}

/// A hash to verify against when the account does not exist, so that the answer takes as long
/// as for a wrong password.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| auth::hash_password("kein-konto-vorhanden").unwrap_or_default())
}

pub async fn login(State(state): State<AppState>, req: Request) -> PageResult {
    let headers = req.headers().clone();
    let peer = auth::peer(req.extensions());
    let Form(f) = Form::<LoginForm>::from_request(req, &state)
        .await
        .map_err(|e| {
            WebError::BadRequest(format!(
                "Das Anmeldeformular ließ sich nicht lesen. {}",
                crate::error::rejection_de(&e.body_text())
            ))
        })?;
    let secure = auth::is_secure(&state, &headers);
    let next = local_path(f.weiter.as_deref());
    let login = f.login.trim().to_owned();
    let fail = async |status, message: &str| {
        login_page(
            &state,
            status,
            message.to_owned(),
            login.clone(),
            next.clone(),
            secure,
        )
        .await
    };
    // Login CSRF: the form's token must be the one in its cookie, and one this installation
    // signed and that has not ended.
    let cookie = auth::cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    let now = auth::now_ms();
    if cookie != f._anmeldung
        || !auth::valid_login_token(&auth::login_secret(&state).await?, &cookie, now / 1000)
    {
        return fail(
            StatusCode::FORBIDDEN,
            "Das Anmeldeformular ist abgelaufen; bitte melden Sie sich erneut an.",
        )
        .await;
    }
    let keys = throttle_keys(&login, peer.map(|p| p.ip()));
    let mut wait = std::time::Duration::ZERO;
    for (k, free) in &keys {
        let failures = state.store.sign_in_failures(k).await?;
        wait = wait.max(auth::throttle_wait(failures, *free, now));
    }
    if !wait.is_zero() {
        let seconds = wait.as_secs_f64().ceil().max(1.0) as usize;
        return fail(
            StatusCode::TOO_MANY_REQUESTS,
            &format!(
                "Zu viele fehlgeschlagene Anmeldungen. Versuchen Sie es in {} erneut.",
                zielwerk_domain::format::counted(seconds, "Sekunde", "Sekunden")
            ),
        )
        .await;
    }
    let user = state.store.user_by_login(&login).await?;
    let hash = user
        .as_ref()
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(|| dummy_hash().to_owned());
    let password = f.passwort.clone();
    let ok = tokio::task::spawn_blocking(move || auth::verify_password(&hash, &password))
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let user = match user {
        Some(u) if ok && !u.disabled && !local_refused(&state, &u) => u,
        Some(u) if ok && !u.disabled => {
            return fail(
                StatusCode::FORBIDDEN,
                "Die Anmeldung mit Passwort ist für dieses Konto abgeschaltet; bitte melden Sie sich über die zentrale Anmeldung an.",
            )
            .await;
        }
        _ => {
            let names: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
            state.store.add_sign_in_failure(&names, now).await?;
            tracing::warn!(login = %login, peer = ?peer, "failed login");
            return fail(
                StatusCode::UNAUTHORIZED,
                "Anmeldename oder Passwort ist falsch.",
            )
            .await;
        }
    };
    // Success clears the count of the account at this address; the others fade with time.
    state.store.clear_sign_in_failures(&keys[0].0).await?;
    let cookie = auth::start_session(&state, &user.id, secure).await?;
    let mut r = Redirect::to(&next).into_response();
    r.headers_mut().append(header::SET_COOKIE, cookie);
    r.headers_mut().append(
        header::SET_COOKIE,
        auth::set_cookie(LOGIN_COOKIE, "", 0, secure),
    );
    Ok(r)
}

/// Whether the installation refuses `u` a password sign-in (the rule is the core's).
fn local_refused(state: &AppState, u: &zielwerk_store::StoredUser) -> bool {
    state
        .oidc
        .as_ref()
        .is_some_and(|o| !zielwerk_app::external::password_allowed(o.settings.local, u))
}

/// Where the provider sends the browser back: the installation's public address, else this
/// request's host.
fn return_url(state: &AppState, headers: &HeaderMap) -> String {
    let base = state.public_url.clone().unwrap_or_else(|| {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        let scheme = if auth::is_secure(state, headers) {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{host}")
    });
    format!("{base}{}", crate::paths::ExternalReturn::PATH)
}

/// `/anmelden/extern`: off to the identity provider.
pub async fn external_start(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> PageResult {
    let secure = auth::is_secure(&state, &headers);
    let next = local_path(q.weiter.as_deref());
    let Some(oidc) = state.oidc.clone() else {
        return Err(WebError::NotFound(
            "Eine zentrale Anmeldung ist für diese Installation nicht eingerichtet.".into(),
        ));
    };
    match oidc.start(&return_url(&state, &headers)).await {
        Ok((url, flow_state, nonce, verifier)) => {
            let expires = chrono::Utc::now() + chrono::Duration::minutes(crate::oidc::FLOW_MINUTES);
            state
                .store
                .put_sign_in_flow(
                    &auth::token_hash(&flow_state),
                    &nonce,
                    &verifier,
                    &next,
                    &expires.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                )
                .await?;
            Ok(Redirect::to(&url).into_response())
        }
        Err(refusal) => {
            login_page(
                &state,
                StatusCode::SERVICE_UNAVAILABLE,
                refusal.to_string(),
                String::new(),
                next,
                secure,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct ReturnQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Template)]
#[template(path = "signed_in.html")]
struct SignedInPage {
    next: String,
}

/// `/anmelden/extern/rueckkehr`: back from the identity provider.
pub async fn external_return(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ReturnQuery>,
) -> PageResult {
    let secure = auth::is_secure(&state, &headers);
    let refused = async |status: StatusCode, message: String| {
        login_page(&state, status, message, String::new(), "/".into(), secure).await
    };
    let Some(oidc) = state.oidc.clone() else {
        return Err(WebError::NotFound(
            "Eine zentrale Anmeldung ist für diese Installation nicht eingerichtet.".into(),
        ));
    };
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    // The flow is taken out first, whatever else is wrong: a state works once.
    let flow = match q.state.as_deref() {
        Some(s) if !s.is_empty() => {
            state
                .store
                .take_sign_in_flow(&auth::token_hash(s), &now)
                .await?
        }
        _ => None,
    };
    if let Some(error) = q.error {
        let why = q.error_description.unwrap_or(error);
        let why: String = why.chars().take(200).collect();
        return refused(StatusCode::UNAUTHORIZED, Refusal::Provider(why).to_string()).await;
    }
    let Some((nonce, verifier, next)) = flow else {
        return refused(StatusCode::BAD_REQUEST, Refusal::UnknownFlow.to_string()).await;
    };
    let code = q.code.unwrap_or_default();
    let who = match oidc
        .finish(&return_url(&state, &headers), &code, &nonce, &verifier)
        .await
    {
        Ok(who) => who,
        Err(r) => return refused(StatusCode::UNAUTHORIZED, r.to_string()).await,
    };
    let user = match zielwerk_app::external::sign_in(&state.store, &who, &oidc.settings.policy)
        .await
    {
        Ok(u) => u,
        Err(zielwerk_app::AppError::Forbidden(m)) => {
            tracing::warn!(issuer = %who.issuer, subject = %who.subject, "OpenID sign-in refused: {m}");
            return refused(StatusCode::FORBIDDEN, m).await;
        }
        Err(e) => return Err(e.into()),
    };
    let cookie = auth::start_session(&state, &user.id, secure).await?;
    // A page that goes on by itself: the browser arrives here from the provider's site, and a
    // redirect straight on would not yet carry the new SameSite=Strict session cookie.
    let mut r = Html(SignedInPage { next }.render()?).into_response();
    r.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(r)
}

pub async fn logout(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
) -> PageResult {
    state.store.end_session(&session.token_hash).await?;
    // An account of the identity provider ends the provider's session too, where it offers that.
    let mut to = crate::paths::SignIn::PATH.to_owned();
    if let Some(oidc) = state.oidc.as_ref()
        && let Some(user) = state.store.user_by_id(&session.principal.user_id).await?
        && user.identity_provider.is_some()
    {
        let after = return_url(&state, &headers).replace(
            crate::paths::ExternalReturn::PATH,
            crate::paths::SignIn::PATH,
        );
        if let Some(url) = oidc.logout_url(&after).await {
            to = url;
        }
    }
    let mut r = Redirect::to(&to).into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        auth::set_cookie(SESSION_COOKIE, "", 0, auth::is_secure(&state, &headers)),
    );
    Ok(r)
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    message: String,
    done: bool,
    min: usize,
}

pub async fn password_form(_session: Session) -> PageResult {
    html(&PasswordPage {
        message: String::new(),
        done: false,
        min: auth::MIN_PASSWORD,
    })
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    alt: String,
    #[serde(default)]
    neu: String,
    #[serde(default)]
    wiederholt: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    session: Session,
    Form(f): Form<PasswordForm>,
) -> PageResult {
    let page = |status: StatusCode, message: String, done: bool| -> PageResult {
        let body = PasswordPage {
            message,
            done,
            min: auth::MIN_PASSWORD,
        }
        .render()?;
        Ok((status, Html(body)).into_response())
    };
    let cmd = zielwerk_app::accounts::ChangePassword {
        old: f.alt,
        new: f.neu,
        repeated: f.wiederholt,
        keep_session: Some(session.token_hash.clone()),
    };
    match zielwerk_app::accounts::change_password(&state.store, &session.principal, cmd).await {
        Ok(()) => {}
        Err(zielwerk_app::AppError::Invalid(problems)) => {
            let message = problems
                .into_iter()
                .map(|p| p.message)
                .collect::<Vec<_>>()
                .join("; ");
            return page(StatusCode::BAD_REQUEST, message, false);
        }
        Err(e) => return Err(e.into()),
    }
    page(StatusCode::OK, "Ihr Passwort wurde geändert.".into(), true)
}
