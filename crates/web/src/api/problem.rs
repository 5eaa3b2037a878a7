//! Errors of the API as `application/problem+json` (RFC 9457): `title` and `detail` in German,
//! and for invalid input `fehler`, every problem at its place (a JSON pointer into the request,
//! or line and column of a delivered file).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use zielwerk_app::AppError;
use zielwerk_ingest::long_csv::Refused;

/// Ein Fehler nach RFC 9457.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// Immer `about:blank`: die Art des Fehlers sagt `status`.
    #[serde(rename = "type")]
    #[schema(example = "about:blank")]
    pub kind: String,
    /// Kurz, auf Deutsch, z. B. „Nicht gefunden“.
    pub title: String,
    pub status: u16,
    /// Was falsch ist und was erwartet wird, auf Deutsch.
    pub detail: String,
    /// Die einzelnen Probleme einer ungültigen Eingabe, jedes an seinem Ort.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fehler: Vec<FieldProblem>,
    #[serde(skip)]
    #[schema(ignore)]
    retry_after: bool,
}

/// Ein Problem an einem Ort der Eingabe.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldProblem {
    /// JSON-Pointer in den Rumpf oder Name des Parameters (leer: die Anfrage als Ganzes).
    #[schema(example = "/werte/3/monat")]
    pub feld: String,
    /// Zeile der gelieferten Datei (die Kopfzeile ist Zeile 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zeile: Option<u64>,
    /// Spalte der gelieferten Datei.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spalte: Option<String>,
    /// Der beanstandete Wert (höchstens 60 Zeichen).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wert: Option<String>,
    pub meldung: String,
    /// An wie vielen weiteren Stellen dasselbe Problem (gleiche Spalte, gleicher Wert, gleiche
    /// Meldung) vorkommt; es wird nur einmal aufgeführt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weitere: Option<u64>,
    /// Die ersten dieser weiteren Stellen (höchstens vier): JSON-Pointer bei Datensätzen, bei
    /// einer Datei „Zeile 3“.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(example = json!(["/werte/4/jobcenter", "/werte/5/jobcenter"]))]
    pub weitere_stellen: Vec<String>,
}

impl Problem {
    fn new(status: StatusCode, title: &str, detail: String) -> Self {
        Self {
            kind: "about:blank".into(),
            title: title.into(),
            status: status.as_u16(),
            detail,
            fehler: Vec::new(),
            retry_after: false,
        }
    }

    /// Not signed in, or a token that is unknown, revoked or expired (which one is not said).
    pub fn unauthorized(detail: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Nicht angemeldet", detail.into())
    }

    pub fn forbidden(detail: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, "Keine Berechtigung", detail.into())
    }

    /// A delivery refused: 422 with every problem at its row and column.
    pub fn refused(r: &Refused, place: RowPlace) -> Self {
        let mut p = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Nicht gespeichert",
            format!(
                "{} abgelehnt, es wurde nichts gespeichert: {}{}.",
                match place {
                    RowPlace::Records => "Die Werte wurden".to_owned(),
                    RowPlace::File => format!("Die Datei {} wurde", r.file),
                },
                zielwerk_domain::format::counted(
                    usize::try_from(r.total()).unwrap_or(usize::MAX),
                    "Problem",
                    "Probleme"
                ),
                if r.more > 0 {
                    format!(
                        " (die ersten {} verschiedenen sind aufgeführt)",
                        r.errors.len()
                    )
                } else if r.total() > r.errors.len() as u64 {
                    " (gleiche Probleme an mehreren Stellen einmal aufgeführt, mit der Zahl der weiteren)".to_owned()
                } else {
                    String::new()
                }
            ),
        );
        p.fehler = r.errors.iter().map(|e| place.of(e)).collect();
        p
    }
}

/// The refusals of every read of an object, for the contract: invalid parameters, no valid
/// token, and an object that does not exist (or is another Jobcenter's: the same answer).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // A description of answers, never built.
pub enum ReadRefusals {
    /// Ungültige Anfrage (Parameter oder Rumpf)
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// Kein gültiger API-Schlüssel
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// Gibt es nicht (oder nicht für diesen Schlüssel)
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
}

/// The refusals of every write, for the contract: invalid input, no valid token, no right to do
/// it (or a read-only token); nothing is written.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // A description of answers, never built.
pub enum WriteRefusals {
    /// Ungültige Eingabe; nichts gespeichert
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// Kein gültiger API-Schlüssel
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// Keine Berechtigung (oder Schlüssel nur zum Lesen); nichts gespeichert
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// Der Rumpf ist zu groß (höchstens 128 MB); nichts gespeichert
    #[response(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Problem),
}

/// Where the rows of a delivery came from.
#[derive(Debug, Clone, Copy)]
pub enum RowPlace {
    /// JSON records (`werte[i]`).
    Records,
    /// A delivered file (line and column).
    File,
}

impl RowPlace {
    /// A problem of a row of the delivery at its place: a JSON pointer to the record and field,
    /// or the line and column of the file.
    pub fn of(self, e: &zielwerk_ingest::long_csv::Problem) -> FieldProblem {
        let column = (!e.column.is_empty()).then(|| e.column.clone());
        let wert = (!e.value.is_empty()).then(|| e.value.chars().take(60).collect());
        let meldung = e.message.clone();
        // Line 2 of the file made from the records is record 0.
        let pointer = |row: u64| match row.checked_sub(2) {
            Some(i) => format!(
                "/werte/{i}{}",
                column
                    .as_deref()
                    .map(|c| format!("/{c}"))
                    .unwrap_or_default()
            ),
            None => "/werte".into(),
        };
        let weitere = (e.repeats > 0).then_some(e.repeats);
        match self {
            RowPlace::Records => FieldProblem {
                feld: pointer(e.row),
                zeile: None,
                spalte: None,
                wert,
                meldung,
                weitere,
                weitere_stellen: e.same_rows.iter().map(|r| pointer(*r)).collect(),
            },
            RowPlace::File => FieldProblem {
                feld: String::new(),
                zeile: (e.row > 0).then_some(e.row),
                spalte: column.clone(),
                wert,
                meldung,
                weitere,
                weitere_stellen: e.same_rows.iter().map(|r| format!("Zeile {r}")).collect(),
            },
        }
    }
}

impl From<AppError> for Problem {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound(m) => Self::new(StatusCode::NOT_FOUND, "Nicht gefunden", m),
            AppError::Forbidden(m) => Self::new(StatusCode::FORBIDDEN, "Keine Berechtigung", m),
            AppError::Conflict { message, .. } => {
                Self::new(StatusCode::CONFLICT, "Nicht gespeichert", message)
            }
            AppError::Invalid(problems) => {
                let mut p = Self::new(
                    StatusCode::BAD_REQUEST,
                    "Ungültige Anfrage",
                    format!(
                        "Nicht gespeichert: {}.",
                        problems
                            .iter()
                            .map(|p| p.message.trim_end_matches('.'))
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                );
                p.fehler = problems
                    .into_iter()
                    .map(|x| FieldProblem {
                        feld: x.field,
                        zeile: None,
                        spalte: None,
                        wert: None,
                        meldung: x.message,
                        weitere: None,
                        weitere_stellen: Vec::new(),
                    })
                    .collect();
                p
            }
            AppError::Busy(m) => {
                let mut p = Self::new(StatusCode::SERVICE_UNAVAILABLE, "Gerade belegt", m);
                p.retry_after = true;
                p
            }
            AppError::Internal(m) => {
                tracing::error!(error = %m, "API: internal error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Interner Fehler",
                    "Es ist ein interner Fehler aufgetreten; die Ursache steht im Protokoll des Servers. Es wurde nichts gespeichert.".into(),
                )
            }
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut r = (status, serde_json::to_string(&self).unwrap_or_default()).into_response();
        let h = r.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        if status == StatusCode::UNAUTHORIZED {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"zielwerk\""),
            );
        }
        r
    }
}

/// An error of a command sent as a JSON body: its fields are JSON pointers into the body.
pub fn in_body(e: AppError) -> Problem {
    match e {
        AppError::Invalid(problems) => AppError::Invalid(
            problems
                .into_iter()
                .map(|p| zielwerk_app::Problem {
                    field: if p.field.is_empty() || p.field.starts_with('/') {
                        p.field
                    } else {
                        format!("/{}", p.field)
                    },
                    message: p.message,
                })
                .collect(),
        )
        .into(),
        e => e.into(),
    }
}

/// A body over the upload limit, in German.
pub fn too_large() -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "Zu groß",
        format!(
            "Der Rumpf der Anfrage ist zu groß: höchstens {}\u{a0}MB. Teilen Sie die Lieferung auf; es wurde nichts gespeichert.",
            crate::UPLOAD_LIMIT / 1024 / 1024
        ),
    )
}

/// The body of a request, or why it could not be received: too large (413, with the limit) or
/// broken off (400), as problem+json.
pub fn received(
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<axum::body::Bytes, Problem> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "Ungültige Anfrage",
                "Der Rumpf der Anfrage ließ sich nicht empfangen (unvollständig übertragen); es wurde nichts gespeichert.".into(),
            )
        }
    })
}

/// A query string that does not fit, in German.
pub fn query(e: axum::extract::rejection::QueryRejection) -> Problem {
    AppError::Invalid(vec![zielwerk_app::Problem::at(
        "",
        format!(
            "Die Parameter der Anfrage passen nicht: {}",
            crate::error::rejection_de(&e.body_text())
        ),
    )])
    .into()
}

/// A JSON body that does not deserialize, in German, with its place.
pub fn json_error_de(e: &serde_json::Error, path: &str) -> String {
    use serde_json::error::Category;
    let at = format!("Zeile {}, Spalte {}", e.line(), e.column());
    let text = e.to_string();
    let quoted = |marker: &str| {
        text.split(marker)
            .nth(1)
            .and_then(|rest| rest.split('`').nth(1))
            .map(str::to_owned)
    };
    match e.classify() {
        Category::Syntax | Category::Eof => format!(
            "Der Rumpf ist kein gültiges JSON ({at}). Erwartet wird ein JSON-Objekt, siehe /api/v1/openapi.json."
        ),
        Category::Io => "Der Rumpf ließ sich nicht lesen.".into(),
        Category::Data => {
            if let Some(f) = quoted("missing field") {
                format!("Das Feld „{f}“ fehlt ({at}).")
            } else if let Some(f) = quoted("unknown field") {
                format!("Das Feld „{f}“ gibt es hier nicht ({at}).")
            } else if let Some(f) = quoted("duplicate field") {
                format!("Das Feld „{f}“ steht doppelt ({at}).")
            } else {
                let field = if path.is_empty() || path == "." {
                    "Ein Feld".to_owned()
                } else {
                    format!("Das Feld „{path}“")
                };
                let expected = if text.contains("expected f64") {
                    "eine Zahl"
                } else if text.contains("expected i64") || text.contains("expected u") {
                    "eine ganze Zahl"
                } else if text.contains("expected a string") {
                    "einen Text"
                } else if text.contains("expected a boolean") {
                    "true oder false"
                } else if text.contains("expected a sequence") {
                    "eine Liste"
                } else {
                    "einen anderen Typ"
                };
                format!("{field} hat einen Wert, der nicht passt: erwartet {expected} ({at}).")
            }
        }
    }
}
