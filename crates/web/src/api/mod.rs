//! The JSON API under `/api/v1`, for other systems: a data warehouse pushing monthly figures,
//! the council information system, dashboards. See `docs/api.md`.
//!
//! Like the pages, it only translates: a request becomes a call into the application core
//! (`zielwerk_app`), the answer becomes JSON with German field names, and an `AppError` becomes
//! `application/problem+json` (RFC 9457) with a German `detail` and, for invalid input, every
//! problem at its field. The routes and the OpenAPI description come from the same annotations
//! (utoipa), so the contract cannot drift from the code; `openapi.json` is snapshot-tested.
//!
//! Authentication: a personal API token (`Authorization: Bearer zw_…`), or the browser's session
//! cookie for reads; a write with the cookie needs the session's CSRF token in `X-CSRF-Token`.

mod auth;
mod dto;
mod problem;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zielwerk_app::{AppError, compute, reads, values};

use crate::AppState;
pub use auth::Caller;
use dto::*;
pub use problem::Problem;
use problem::{ReadRefusals, WriteRefusals};

/// The contract's version, in the path and in `info.version`.
pub const VERSION: &str = "1";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Zielwerk-API",
        version = "1",
        description = "Lesen und Liefern für andere Systeme: Vereinbarungen, Ziele mit Stand und Prognose, Kennzahlreihen, Sitzungen, Aufgaben, Vorlagen, Änderungsprotokoll; Werte importieren (JSON oder Datei, mit Vorschau), Anmerkungen, Stand von Aufgaben. Fehler als application/problem+json (RFC 9457) mit deutschem `detail`.",
        license(name = "EUPL-1.2")
    ),
    modifiers(&BearerAuth),
    security(("api_schluessel" = [])),
    tags(
        (name = "Vereinbarungen", description = "Vereinbarungen, Ziele und Kennzahlreihen"),
        (name = "Werte", description = "Werte liefern und kommentieren"),
        (name = "Steuerung", description = "Sitzungen und Aufgaben"),
        (name = "Berichte", description = "Vorlagen und ihre Dateien"),
        (name = "Protokoll", description = "Das Änderungsprotokoll")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        openapi.components.get_or_insert_default().add_security_scheme(
            "api_schluessel",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "Persönlicher API-Schlüssel (zw_…), angelegt unter „Konto → API-Schlüssel“.",
                    ))
                    .build(),
            ),
        );
    }
}

fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(list_agreements))
        .routes(routes!(agreement))
        .routes(routes!(goal))
        .routes(routes!(series))
        .routes(routes!(meetings))
        .routes(routes!(actions))
        .routes(routes!(set_action_status))
        .routes(routes!(vorlagen))
        .routes(routes!(vorlage_file))
        .routes(routes!(audit))
        .routes(routes!(import_values))
        .routes(routes!(import_file))
        .routes(routes!(import_own_data))
        .routes(routes!(comment))
}

/// The OpenAPI 3.1 description of the API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().split_for_parts().1
}

/// The API's routes, authenticated by [`auth::authenticate`], with `openapi.json` open to all.
pub fn router(state: AppState) -> axum::Router<AppState> {
    let (routes, doc) = api().split_for_parts();
    let doc = std::sync::Arc::new(doc.to_pretty_json().unwrap_or_default());
    routes
        .layer(axum::middleware::from_fn_with_state(
            state,
            auth::authenticate,
        ))
        .route(
            "/api/{*rest}",
            axum::routing::any(|| async {
                Problem::from(AppError::NotFound(
                    "Diesen Pfad gibt es in der API nicht (siehe /api/v1/openapi.json).".into(),
                ))
            }),
        )
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let doc = doc.clone();
                async move {
                    (
                        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                        doc.as_str().to_owned(),
                    )
                }
            }),
        )
}

type ApiResult = Result<Response, Problem>;

/// A JSON answer with an ETag; `304 Not Modified` when the client has it already.
fn json_etag<T: serde::Serialize>(headers: &HeaderMap, body: &T) -> ApiResult {
    use sha2::Digest;
    let bytes = serde_json::to_vec(body)
        .map_err(|e| Problem::from(AppError::Internal(format!("JSON: {e}"))))?;
    let tag = format!("\"{}\"", hex::encode(&sha2::Sha256::digest(&bytes)[..16]));
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    let mut r = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            bytes,
        )
            .into_response()
    };
    if let Ok(v) = header::HeaderValue::from_str(&tag) {
        r.headers_mut().insert(header::ETAG, v);
    }
    Ok(r)
}

/// Reads a JSON body: every problem with its place (field path, line, column), in German.
fn body<T: serde::de::DeserializeOwned>(bytes: &Bytes) -> Result<T, Problem> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        Problem::from(AppError::Invalid(vec![zielwerk_app::Problem::at(
            &pointer(&path),
            problem::json_error_de(&inner, &path),
        )]))
    })
}

/// A serde path (`werte[3].monat`) as a JSON pointer (`/werte/3/monat`).
fn pointer(path: &str) -> String {
    if path == "." || path.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    for part in path.split('.') {
        let mut rest = part;
        while let Some(i) = rest.find('[') {
            if i > 0 {
                out.push('/');
                out.push_str(&rest[..i]);
            }
            let end = rest[i..].find(']').map_or(rest.len(), |j| i + j);
            out.push('/');
            out.push_str(&rest[i + 1..end]);
            rest = rest.get(end + 1..).unwrap_or("");
        }
        if !rest.is_empty() {
            out.push('/');
            out.push_str(rest);
        }
    }
    out
}

/// Query parameters of a list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct Page {
    /// Seite, ab 1.
    #[param(minimum = 1)]
    seite: Option<u64>,
    /// Einträge je Seite, 1 bis 1000 (Vorgabe 100).
    #[param(minimum = 1, maximum = 1000)]
    pro_seite: Option<u64>,
}

impl Page {
    fn of<T>(&self, all: Vec<T>) -> Result<Paged<T>, Problem> {
        let seite = self.seite.unwrap_or(1);
        let pro_seite = self.pro_seite.unwrap_or(100);
        let mut problems = Vec::new();
        if seite == 0 {
            problems.push(zielwerk_app::Problem::at(
                "seite",
                "Parameter „seite“: ab 1 zählen",
            ));
        }
        if !(1..=1000).contains(&pro_seite) {
            problems.push(zielwerk_app::Problem::at(
                "pro_seite",
                format!("Parameter „pro_seite“: {pro_seite} (erwartet 1 bis 1000)"),
            ));
        }
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems).into());
        }
        let gesamt = all.len() as u64;
        let skip = usize::try_from((seite - 1).saturating_mul(pro_seite)).unwrap_or(usize::MAX);
        let take = usize::try_from(pro_seite).unwrap_or(usize::MAX);
        Ok(Paged {
            seite,
            pro_seite,
            gesamt,
            eintraege: all.into_iter().skip(skip).take(take).collect(),
        })
    }
}

/// The reporting month of a read.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct StandQuery {
    /// Berichtsmonat JJJJ-MM im Vereinbarungsjahr; ohne: der letzte Monat mit Werten.
    #[param(example = "2022-06")]
    stand: Option<String>,
}

/// Die Vereinbarungen, die der Schlüssel lesen darf, neueste zuerst.
#[utoipa::path(
    get, path = "/api/v1/vereinbarungen", tag = "Vereinbarungen",
    params(Page),
    responses(
        (status = 200, description = "Vereinbarungen", body = Paged<AgreementSummary>),
        (status = 304, description = "Unverändert (If-None-Match)"),
        (status = 400, description = "Ungültige Parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Nicht angemeldet", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list_agreements(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    page: Result<Query<Page>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let Query(page) = page.map_err(problem::query)?;
    let list = reads::agreements(&state.store, &caller.0).await?;
    json_etag(
        &headers,
        &page.of(list.into_iter().map(AgreementSummary::from).collect())?,
    )
}

/// Eine Vereinbarung mit allen Zielen zum Berichtsmonat: Status, Begründung, Soll bis dahin,
/// Prognose und Wahrscheinlichkeit.
#[utoipa::path(
    get, path = "/api/v1/vereinbarungen/{id}", tag = "Vereinbarungen",
    params(("id" = String, Path, description = "Kennung der Vereinbarung", example = "t36402-2022-v1"), StandQuery),
    responses(
        (status = 200, description = "Die Vereinbarung zum Berichtsmonat", body = AgreementReport),
        (status = 304, description = "Unverändert (If-None-Match)"),
        ReadRefusals,
    )
)]
async fn agreement(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: Result<Query<StandQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let Query(q) = q.map_err(problem::query)?;
    let a = reads::assessed(
        &state.assessments,
        &caller.0,
        &id,
        q.stand.as_deref(),
        state.time_limits.assessment,
    )
    .await?;
    let report = compute::blocking(move || {
        let goals = reads::goal_reports(&a);
        Ok::<_, AppError>(AgreementReport::new(&a, goals))
    })
    .await?;
    json_etag(&headers, &report)
}

/// Ein Ziel zum Berichtsmonat mit Prognose und der Monatsreihe seiner Kennzahl.
#[utoipa::path(
    get, path = "/api/v1/vereinbarungen/{id}/ziele/{ziel}", tag = "Vereinbarungen",
    params(
        ("id" = String, Path, description = "Kennung der Vereinbarung", example = "t36402-2022-v1"),
        ("ziel" = String, Path, description = "Schlüssel des Ziels", example = "k2"),
        StandQuery
    ),
    responses(
        (status = 200, description = "Das Ziel", body = GoalDetail),
        (status = 304, description = "Unverändert (If-None-Match)"),
        ReadRefusals,
    )
)]
async fn goal(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((id, ziel)): Path<(String, String)>,
    q: Result<Query<StandQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let Query(q) = q.map_err(problem::query)?;
    let a = reads::assessed(
        &state.assessments,
        &caller.0,
        &id,
        q.stand.as_deref(),
        state.time_limits.assessment,
    )
    .await?;
    let detail = compute::blocking(move || {
        let g = reads::goal_report(&a, &ziel)?;
        let ind = a
            .agreement()
            .indicator(&g.indicator)
            .cloned()
            .ok_or_else(|| AppError::Internal(format!("Ziel {ziel}: Kennzahl fehlt")))?;
        let series = reads::series_of(a.agreement(), a.values(), ind);
        Ok::<_, AppError>(GoalDetail::new(a.agreement(), g, &series))
    })
    .await?;
    json_etag(&headers, &detail)
}

/// Die Monatsreihe einer Kennzahl der Vereinbarung mit Zähler, Nenner, Status, Datenstand und
/// Quelle, älteste zuerst.
#[utoipa::path(
    get, path = "/api/v1/vereinbarungen/{id}/kennzahlen/{kennzahl}/werte", tag = "Vereinbarungen",
    params(
        ("id" = String, Path, description = "Kennung der Vereinbarung", example = "t36402-2022-v1"),
        ("kennzahl" = String, Path, description = "Code der Kennzahl", example = "K2"),
        Page
    ),
    responses(
        (status = 200, description = "Die Reihe", body = PagedSeries),
        (status = 304, description = "Unverändert (If-None-Match)"),
        ReadRefusals,
    )
)]
async fn series(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((id, kennzahl)): Path<(String, String)>,
    page: Result<Query<Page>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let Query(page) = page.map_err(problem::query)?;
    let s = reads::series(&state.store, &caller.0, &id, &kennzahl).await?;
    let head = SeriesHead::from(&s);
    let paged = page.of(s.points.iter().map(SeriesValue::from).collect())?;
    json_etag(&headers, &PagedSeries::new(head, paged))
}

/// Die Steuerungsgespräche einer Vereinbarung.
#[utoipa::path(
    get, path = "/api/v1/vereinbarungen/{id}/sitzungen", tag = "Steuerung",
    params(("id" = String, Path, description = "Kennung der Vereinbarung", example = "t36402-2022-v1"), Page),
    responses(
        (status = 200, description = "Sitzungen", body = Paged<Meeting>),
        (status = 304, description = "Unverändert (If-None-Match)"),
        ReadRefusals,
    )
)]
async fn meetings(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    page: Result<Query<Page>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let Query(page) = page.map_err(problem::query)?;
    let list = reads::meetings(&state.store, &caller.0, &id).await?;
    json_etag(
        &headers,
        &page.of(list.iter().map(Meeting::from).collect())?,
    )
}

/// Filter of the action items.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ActionQuery {
    /// offen, in-arbeit, erledigt oder verworfen; ohne: alle.
    status: Option<String>,
    /// Seite, ab 1.
    #[param(minimum = 1)]
    seite: Option<u64>,
    /// Einträge je Seite, 1 bis 1000 (Vorgabe 100).
    #[param(minimum = 1, maximum = 1000)]
    pro_seite: Option<u64>,
}

/// Die Aufgaben eines Jobcenters aus den Beschlüssen seiner Sitzungen.
#[utoipa::path(
    get, path = "/api/v1/jobcenter/{jobcenter}/aufgaben", tag = "Steuerung",
    params(("jobcenter" = String, Path, description = "BA-Kennung des Jobcenters", example = "t36402"), ActionQuery),
    responses(
        (status = 200, description = "Aufgaben", body = Paged<ActionItem>),
        (status = 304, description = "Unverändert (If-None-Match)"),
        ReadRefusals,
    )
)]
async fn actions(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(jobcenter): Path<String>,
    q: Result<Query<ActionQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let Query(q) = q.map_err(problem::query)?;
    let statuses = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Vec::new(),
        Some(s) => vec![zielwerk_domain::ActionStatus::parse(s).ok_or_else(|| {
            AppError::Invalid(vec![zielwerk_app::Problem::at(
                "status",
                format!(
                    "Parameter „status“: „{}“ (erwartet offen, in-arbeit, erledigt oder verworfen)",
                    s.chars().take(60).collect::<String>()
                ),
            )])
        })?],
    };
    let list = reads::actions(&state.store, &caller.0, &jobcenter, statuses).await?;
    let page = Page {
        seite: q.seite,
        pro_seite: q.pro_seite,
    };
    json_etag(
        &headers,
        &page.of(list.iter().map(ActionItem::from).collect())?,
    )
}

/// Den Stand einer Aufgabe ändern. `revision` ist die zuletzt gelesene; hat jemand die Aufgabe
/// inzwischen geändert, antwortet die API mit 409 und speichert nichts.
#[utoipa::path(
    post, path = "/api/v1/aufgaben/{aufgabe}/status", tag = "Steuerung",
    params(("aufgabe" = String, Path, description = "Kennung der Aufgabe")),
    request_body(content = SetActionStatus, content_type = "application/json"),
    responses(
        (status = 200, description = "Gespeichert", body = ActionStatusChanged),
        (status = 404, description = "Gibt es nicht (oder nicht für diesen Schlüssel)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Inzwischen geändert", body = Problem, content_type = "application/problem+json"),
        WriteRefusals,
    )
)]
async fn set_action_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(aufgabe): Path<String>,
    bytes: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult {
    let bytes = problem::received(bytes)?;
    let cmd: SetActionStatus = body(&bytes)?;
    let revision = zielwerk_app::actions::set_status(
        &state.store,
        &caller.0,
        zielwerk_app::actions::SetStatus {
            action: aufgabe.clone(),
            status: cmd.status,
            note: cmd.vermerk.unwrap_or_default(),
            meeting: cmd.sitzung,
            revision: cmd.revision,
        },
    )
    .await
    .map_err(problem::in_body)?;
    Ok(Json(ActionStatusChanged { aufgabe, revision }).into_response())
}

/// Die Vorlagen einer Vereinbarung, mit den Dateien der veröffentlichten.
#[utoipa::path(
    get, path = "/api/v1/vereinbarungen/{id}/vorlagen", tag = "Berichte",
    params(("id" = String, Path, description = "Kennung der Vereinbarung", example = "t36402-2022-v1"), Page),
    responses(
        (status = 200, description = "Vorlagen", body = Paged<Vorlage>),
        (status = 304, description = "Unverändert (If-None-Match)"),
        ReadRefusals,
    )
)]
async fn vorlagen(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    page: Result<Query<Page>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let Query(page) = page.map_err(problem::query)?;
    let list = reads::vorlagen(&state.store, &caller.0, &id).await?;
    json_etag(
        &headers,
        &page.of(list.iter().map(|(v, f)| Vorlage::new(v, f)).collect())?,
    )
}

/// Eine Datei einer veröffentlichten Vorlage (PDF, DOCX), wie sie veröffentlicht wurde.
#[utoipa::path(
    get, path = "/api/v1/vorlagen/{vorlage}/dateien/{datei}", tag = "Berichte",
    params(
        ("vorlage" = String, Path, description = "Kennung der Vorlage"),
        ("datei" = String, Path, description = "Dateiname", example = "vorlage.pdf")
    ),
    responses(
        (status = 200, description = "Die Datei", content_type = "application/octet-stream"),
        ReadRefusals,
    )
)]
async fn vorlage_file(
    State(state): State<AppState>,
    caller: Caller,
    Path((vorlage, datei)): Path<(String, String)>,
) -> ApiResult {
    let (meta, bytes) = reads::vorlage_file(&state.store, &caller.0, &vorlage, &datei).await?;
    let mut r = bytes.into_response();
    if let Ok(v) = header::HeaderValue::from_str(&meta.mime_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    Ok(r)
}

/// Das Änderungsprotokoll einer Vereinbarung, neueste Einträge zuerst.
#[utoipa::path(
    get, path = "/api/v1/vereinbarungen/{id}/protokoll", tag = "Protokoll",
    params(("id" = String, Path, description = "Kennung der Vereinbarung", example = "t36402-2022-v1"), Page),
    responses(
        (status = 200, description = "Einträge", body = Paged<AuditEntry>),
        (status = 304, description = "Unverändert (If-None-Match)"),
        (status = 403, description = "Keine Berechtigung", body = Problem, content_type = "application/problem+json"),
        ReadRefusals,
    )
)]
async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    page: Result<Query<Page>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let Query(page) = page.map_err(problem::query)?;
    let list = reads::audit(&state.store, &caller.0, &id).await?;
    json_etag(
        &headers,
        &page.of(list.iter().map(AuditEntry::from).collect())?,
    )
}

/// Preview or commit.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ImportQuery {
    /// `true`: alles prüfen und zählen, nichts speichern.
    vorschau: Option<bool>,
}

/// Werte als JSON liefern, mit denselben Prüfungen wie eine Datei: alles oder nichts.
#[utoipa::path(
    post, path = "/api/v1/werte", tag = "Werte",
    params(ImportQuery),
    request_body(content = ValueDelivery, content_type = "application/json"),
    responses(
        (status = 200, description = "Gespeichert (oder, mit vorschau=true, was gespeichert würde)", body = ImportReport),
        WriteRefusals,
        (status = 422, description = "Werte abgelehnt, nichts gespeichert; jedes Problem an seinem Feld", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn import_values(
    State(state): State<AppState>,
    caller: Caller,
    q: Result<Query<ImportQuery>, axum::extract::rejection::QueryRejection>,
    bytes: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult {
    let bytes = problem::received(bytes)?;
    let Query(q) = q.map_err(problem::query)?;
    values::may_import(&caller.0)?;
    let delivery: ValueDelivery = body(&bytes)?;
    let name = "werte.json".to_owned();
    let file = values::ImportFile {
        name: name.clone(),
        input: Box::new(std::io::Cursor::new(values::records_as_csv(
            &delivery.werte,
        )?)),
        mapping: None,
        via: "API",
        progress: None,
        about: None,
    };
    let commit = !q.vorschau.unwrap_or(false);
    match values::import(&state.store, &caller.0, file, commit).await? {
        Ok(report) => Ok(Json(ImportReport::new(
            &name,
            &report,
            problem::RowPlace::Records,
        ))
        .into_response()),
        Err(refused) => Err(Problem::refused(&refused, problem::RowPlace::Records)),
    }
}

/// Where a file comes from.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct FileQuery {
    /// Dateiname (bestimmt, ob CSV oder Arbeitsmappe), z. B. werte-2022-06.csv.
    name: String,
    /// Zuordnung für andere Formen als das lange CSV-Format, z. B. regensburg-kennzahlen-sgb2.
    zuordnung: Option<String>,
    /// `true`: alles prüfen und zählen, nichts speichern.
    vorschau: Option<bool>,
}

/// Eine Datei liefern (CSV oder Arbeitsmappe, als Rumpf der Anfrage), mit denselben Prüfungen
/// wie der Upload im Browser: alles oder nichts.
#[utoipa::path(
    post, path = "/api/v1/werte/datei", tag = "Werte",
    params(FileQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "Der Inhalt der Datei"),
    responses(
        (status = 200, description = "Gespeichert (oder, mit vorschau=true, was gespeichert würde)", body = ImportReport),
        WriteRefusals,
        (status = 422, description = "Datei abgelehnt, nichts gespeichert; jedes Problem an Zeile und Spalte", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn import_file(
    State(state): State<AppState>,
    caller: Caller,
    q: Result<Query<FileQuery>, axum::extract::rejection::QueryRejection>,
    bytes: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult {
    let bytes = problem::received(bytes)?;
    let Query(q) = q.map_err(problem::query)?;
    values::may_import(&caller.0)?;
    let name = q.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(AppError::Invalid(vec![zielwerk_app::Problem::at(
            "name",
            "Parameter „name“: der Dateiname, 1 bis 200 Zeichen ohne Steuerzeichen",
        )])
        .into());
    }
    if bytes.is_empty() {
        return Err(AppError::Invalid(vec![zielwerk_app::Problem::at(
            "",
            "Die Anfrage enthält keine Datei (der Rumpf ist leer).",
        )])
        .into());
    }
    let file = values::ImportFile {
        name: name.clone(),
        input: Box::new(std::io::Cursor::new(bytes)),
        mapping: values::mapping(q.zuordnung.as_deref().unwrap_or("").trim())?,
        via: "API",
        progress: None,
        about: None,
    };
    let commit = !q.vorschau.unwrap_or(false);
    match values::import(&state.store, &caller.0, file, commit).await? {
        Ok(report) => {
            Ok(Json(ImportReport::new(&name, &report, problem::RowPlace::File)).into_response())
        }
        Err(refused) => Err(Problem::refused(&refused, problem::RowPlace::File)),
    }
}

/// Kennzahlen aus eigenen Daten berechnen und speichern.
///
/// Datensätze des Jobcenters (Leistungszeiträume, Integrationen, Beschäftigung, Maßnahmen,
/// Zahlungen) und Falllisten des Kreises (BuT-Anträge, leistungsberechtigte Kinder, Zuweisungen
/// in die Suchtberatung), als multipart/form-data. Gespeichert werden nur die Werte je Jobcenter
/// und Monat mit dem Status eigene_daten, nicht die Datensätze; ein amtlicher Wert wird nie
/// ersetzt.
#[utoipa::path(
    post, path = "/api/v1/eigene-daten", tag = "Werte",
    params(ImportQuery),
    request_body(content = OwnDataUpload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "Gespeichert (oder, mit vorschau=true, was gespeichert würde)", body = OwnDataReport),
        WriteRefusals,
        (status = 422, description = "Werte abgelehnt, nichts gespeichert", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn import_own_data(
    State(state): State<AppState>,
    caller: Caller,
    q: Result<Query<ImportQuery>, axum::extract::rejection::QueryRejection>,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult {
    use zielwerk_app::own_records;
    let Query(q) = q.map_err(problem::query)?;
    values::may_import(&caller.0)?;
    let invalid = |field: &str, message: String| -> Problem {
        AppError::Invalid(vec![zielwerk_app::Problem::at(field, message)]).into()
    };
    let broken = |e: axum::extract::multipart::MultipartError| -> Problem {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            problem::too_large()
        } else {
            invalid(
                "",
                format!(
                    "Der Rumpf ist kein lesbares multipart/form-data: {}",
                    e.body_text()
                ),
            )
        }
    };
    let mut multipart = multipart.map_err(|e| {
        invalid(
            "",
            format!(
                "Erwartet wird multipart/form-data mit den Feldern dateien, von, bis, datenstand: {}",
                crate::error::rejection_de(&e.body_text())
            ),
        )
    })?;
    let mut files = Vec::new();
    let mut fields = std::collections::HashMap::new();
    while let Some(field) = multipart.next_field().await.map_err(broken)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "dateien" {
            let file = field.file_name().unwrap_or("datei").to_owned();
            files.push((file, field.bytes().await.map_err(broken)?.to_vec()));
        } else {
            fields.insert(name, field.text().await.map_err(broken)?);
        }
    }
    if files.is_empty() {
        return Err(invalid(
            "dateien",
            "Feld „dateien“: keine Datei geliefert".into(),
        ));
    }
    let text = |k: &str| fields.get(k).map(|s| s.trim()).unwrap_or_default();
    let month = |k: &str| {
        zielwerk_ingest::german::parse_month(text(k))
            .map_err(|e| invalid(k, format!("Feld „{k}“: {e}")))
    };
    let (first, last) = (month("von")?, month("bis")?);
    let datenstand = zielwerk_ingest::german::parse_date(text("datenstand")).ok_or_else(|| {
        invalid(
            "datenstand",
            "Feld „datenstand“: erwartet ein Datum TT.MM.JJJJ oder JJJJ-MM-TT".into(),
        )
    })?;
    let request = own_records::RecordFiles {
        files,
        first,
        last,
        datenstand,
        jobcenter: Some(text("jobcenter").to_owned()).filter(|j| !j.is_empty()),
        via: "API",
        keep: state.keep_records.clone(),
    };
    let commit = !q.vorschau.unwrap_or(false);
    let (figures, own) =
        own_records::import_records(&state.store, &caller.0, request, commit).await?;
    match own.result {
        Ok(report) => {
            Ok(Json(OwnDataReport::new(&figures, &own.undefined, &report)).into_response())
        }
        Err(refused) => {
            let mut p = Problem::refused(&refused, problem::RowPlace::File);
            // The rows are those of the computed values, not of the delivered files.
            for f in &mut p.fehler {
                f.zeile = None;
            }
            Err(p)
        }
    }
}

/// Einen Wert eines Ziels in einem Monat kommentieren.
#[utoipa::path(
    post, path = "/api/v1/vereinbarungen/{id}/ziele/{ziel}/anmerkungen", tag = "Werte",
    params(
        ("id" = String, Path, description = "Kennung der Vereinbarung", example = "t36402-2022-v1"),
        ("ziel" = String, Path, description = "Schlüssel des Ziels", example = "k2")
    ),
    request_body(content = NewComment, content_type = "application/json"),
    responses(
        (status = 201, description = "Gespeichert", body = CommentCreated),
        (status = 404, description = "Gibt es nicht (oder nicht für diesen Schlüssel)", body = Problem, content_type = "application/problem+json"),
        WriteRefusals,
    )
)]
async fn comment(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, ziel)): Path<(String, String)>,
    bytes: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult {
    let bytes = problem::received(bytes)?;
    let c: NewComment = body(&bytes)?;
    let new_id = values::comment(
        &state.store,
        &caller.0,
        values::Comment {
            agreement: id,
            goal: ziel,
            month: c.monat,
            text: c.text,
            author: c.autor.unwrap_or_default(),
        },
    )
    .await
    .map_err(problem::in_body)?;
    Ok((StatusCode::CREATED, Json(CommentCreated { id: new_id })).into_response())
}

#[cfg(test)]
mod tests {
    use super::pointer;

    /// The contract: a change to the API shows here as a changed snapshot, reviewed like code.
    #[test]
    fn the_openapi_contract() {
        let doc = super::openapi();
        assert!(doc.openapi == utoipa::openapi::OpenApiVersion::Version31);
        insta::assert_snapshot!("openapi", doc.to_pretty_json().unwrap());
    }

    #[test]
    fn serde_paths_become_json_pointers() {
        assert_eq!(pointer("."), "");
        assert_eq!(pointer("monat"), "/monat");
        assert_eq!(pointer("werte[3].monat"), "/werte/3/monat");
        assert_eq!(pointer("werte[0]"), "/werte/0");
    }
}
