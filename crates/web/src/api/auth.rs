//! Who calls the API: a personal API token (`Authorization: Bearer zw_…`), or the session cookie
//! of a signed-in browser. A write with the cookie needs the session's CSRF token in the header
//! `X-CSRF-Token` and must not come from a foreign origin: a cookie alone never authenticates a
//! write.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use zielwerk_domain::Principal;

use super::Problem;
use crate::AppState;

/// The principal of an API request.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| Problem::unauthorized(MISSING))
    }
}

const MISSING: &str = "Für die API ist ein API-Schlüssel nötig (Kopfzeile „Authorization: Bearer zw_…“); anlegen lässt er sich im Browser unter „Konto → API-Schlüssel“.";
const INVALID: &str = "Dieser API-Schlüssel gilt nicht (unbekannt, widerrufen oder abgelaufen, oder das Konto ist gesperrt).";

/// Middleware: finds the caller, or answers 401/403 as problem+json.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let caller = match bearer(req.headers()) {
        Some(Ok(token)) => match zielwerk_app::tokens::authenticate(&state.store, token).await {
            Ok(Some(p)) => p,
            Ok(None) => return Problem::unauthorized(INVALID).into_response(),
            Err(e) => return Problem::from(e).into_response(),
        },
        Some(Err(())) => {
            return Problem::unauthorized(
                "Die Kopfzeile „Authorization“ hat nicht die Form „Bearer zw_…“.",
            )
            .into_response();
        }
        None => match session(&state, req.headers().clone()).await {
            Ok(Some(s)) => {
                let unsafe_method =
                    !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
                if unsafe_method {
                    let tls = crate::auth::is_secure(&state, req.headers());
                    let csrf = req
                        .headers()
                        .get("x-csrf-token")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    if crate::auth::foreign_origin(req.headers(), tls)
                        || !crate::auth::same_token(csrf, &s.csrf)
                    {
                        return Problem::forbidden(
                            "Ein Schreibzugriff mit der Anmeldung des Browsers braucht das Sicherheitsmerkmal der Sitzung in der Kopfzeile „X-CSRF-Token“; andere Systeme verwenden einen API-Schlüssel. Es wurde nichts gespeichert.",
                        )
                        .into_response();
                    }
                }
                s.principal
            }
            Ok(None) => return Problem::unauthorized(MISSING).into_response(),
            Err(e) => return e.into_response(),
        },
    };
    req.extensions_mut().insert(Caller(caller));
    let mut r = next.run(req).await;
    // Answers are for this caller only; clients revalidate with the ETag.
    r.headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("private, no-cache"));
    r.headers_mut().insert(
        header::VARY,
        HeaderValue::from_static("Authorization, Cookie"),
    );
    r
}

/// The token of an `Authorization: Bearer …` header; `Err` for another form.
fn bearer(headers: &axum::http::HeaderMap) -> Option<Result<&str, ()>> {
    let v = headers.get(header::AUTHORIZATION)?;
    let Ok(v) = v.to_str() else {
        return Some(Err(()));
    };
    match v.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Some(Ok(token.trim()))
        }
        _ => Some(Err(())),
    }
}

async fn session(
    state: &AppState,
    headers: axum::http::HeaderMap,
) -> Result<Option<crate::auth::Session>, Problem> {
    let Some(token) = crate::auth::cookie(&headers, crate::auth::SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = crate::auth::token_hash(&token);
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let found = state
        .store
        .session(&hash, &now)
        .await
        .map_err(|e| Problem::from(zielwerk_app::AppError::from(e)))?;
    Ok(found.map(|s| crate::auth::Session {
        has_password: s.user.password_hash.is_some(),
        principal: s.user.principal(),
        csrf: s.csrf,
        token_hash: hash,
    }))
}
