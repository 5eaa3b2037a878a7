//! The one error type of the web layer.
//!
//! Policy: every error becomes a German HTML page with the right status code. Users see what
//! went wrong in words they can act on ("Diese Vereinbarung gibt es nicht"); internal details
//! (SQL, file paths) go to the log only, never to the page.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

#[derive(Debug, Clone, thiserror::Error)]
pub enum WebError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    /// Someone else changed the thing in between, or it is frozen: nothing was written.
    #[error("{0}")]
    Conflict(String),
    /// Not signed in.
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but the role does not allow it.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    TooManyRequests(String),
    /// The database was held by other writers for longer than a write waits: nothing was
    /// written, trying again shortly succeeds.
    #[error("{0}")]
    Busy(String),
    /// The request took longer than it may.
    #[error("{0}")]
    TimedOut(String),
    #[error("interner Fehler: {0}")]
    Internal(String),
}

/// Store errors mean what the application core says they mean (`AppError::from`); the web only
/// translates that into a page.
impl From<zielwerk_store::StoreError> for WebError {
    fn from(e: zielwerk_store::StoreError) -> Self {
        zielwerk_app::AppError::from(e).into()
    }
}

impl From<zielwerk_app::AppError> for WebError {
    fn from(e: zielwerk_app::AppError) -> Self {
        use zielwerk_app::AppError as A;
        match e {
            A::NotFound(m) => WebError::NotFound(m),
            A::Forbidden(m) => WebError::Forbidden(m),
            A::Conflict { message, .. } => WebError::Conflict(message),
            A::Invalid(problems) => WebError::BadRequest(
                problems
                    .iter()
                    .map(|p| p.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            A::Busy(m) => WebError::Busy(m),
            A::Internal(m) => WebError::Internal(m),
        }
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        WebError::Internal(format!("Vorlage: {e}"))
    }
}

/// An extractor's rejection (axum's English plain text, e.g. "Failed to deserialize form body:
/// missing field `token`") in German, naming the field where the text names one.
pub fn rejection_de(text: &str) -> String {
    let field = |marker: &str| {
        text.split(marker)
            .nth(1)
            .and_then(|rest| rest.split('`').nth(1))
            .map(str::to_owned)
    };
    if let Some(f) = field("missing field") {
        return format!("In der Anfrage fehlt das Feld „{f}“.");
    }
    if let Some(f) = field("duplicate field") {
        return format!(
            "Das Feld „{f}“ steht mehrfach in der Anfrage; es darf nur einmal vorkommen."
        );
    }
    if text.contains("Content-Type") {
        return "Die Anfrage hat nicht die erwartete Form (ein Formular, application/x-www-form-urlencoded).".into();
    }
    if text.contains("UTF-8") || text.contains("utf-8") {
        return "Die Anfrage enthält Zeichen, die kein gültiger Text (UTF-8) sind.".into();
    }
    "Die Anfrage ließ sich nicht lesen: ein Feld hat einen Wert, der hier nicht passt.".into()
}

/// Answers an extractor's plain-text rejection (400, 415, 422 …) with the German error page
/// instead, keeping its status.
pub async fn german_rejections(response: Response) -> Response {
    let plain = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !response.status().is_client_error() || !plain {
        return response;
    }
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    let mut r = WebError::BadRequest(rejection_de(&String::from_utf8_lossy(&body))).into_response();
    *r.status_mut() = status;
    r
}

/// The title and message of an error response, for layers that render it otherwise.
#[derive(Debug, Clone)]
pub struct Message {
    pub title: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            WebError::NotFound(m) => (StatusCode::NOT_FOUND, "Nicht gefunden", m.as_str()),
            WebError::BadRequest(m) => (StatusCode::BAD_REQUEST, "Ungültige Anfrage", m.as_str()),
            WebError::Conflict(m) => (StatusCode::CONFLICT, "Nicht gespeichert", m.as_str()),
            WebError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, "Nicht angemeldet", m.as_str()),
            WebError::Forbidden(m) => (StatusCode::FORBIDDEN, "Keine Berechtigung", m.as_str()),
            WebError::PayloadTooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, "Zu groß", m.as_str()),
            WebError::Busy(m) => (StatusCode::SERVICE_UNAVAILABLE, "Gerade belegt", m.as_str()),
            WebError::TimedOut(m) => (
                StatusCode::REQUEST_TIMEOUT,
                "Zeitüberschreitung",
                m.as_str(),
            ),
            WebError::TooManyRequests(m) => (
                StatusCode::TOO_MANY_REQUESTS,
                "Zu viele Versuche",
                m.as_str(),
            ),
            WebError::Internal(detail) => {
                tracing::error!(%detail, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Interner Fehler",
                    "Die Seite konnte wegen eines internen Fehlers nicht erstellt werden. Der Fehler wurde protokolliert.",
                )
            }
        };
        let body = ErrorPage { title, message }
            .render()
            .unwrap_or_else(|_| message.to_owned());
        let mut r = (status, Html(body)).into_response();
        if matches!(self, WebError::Busy(_)) {
            r.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("5"),
            );
        }
        // For front doors that answer in another format (the OParl API answers JSON).
        r.extensions_mut().insert(Message {
            title: title.to_owned(),
            text: message.to_owned(),
        });
        r
    }
}
