//! OParl 1.1, read only: the council information system fetches published Vorlagen from here.
//!
//! One `System`; one `Body` per Jobcenter region with published Vorlagen (the Kreis, named by
//! the agreement's Kreis party and the AGS); the lists the standard requires (organization,
//! person, meeting, paper), empty where Zielwerk has nothing (persons, meetings); a `Paper` per
//! published Vorlage with its Beratungsfolge as `Consultation`s and its frozen files as `File`s
//! (main file PDF, DOCX as derivative of it, Anlagen as auxiliary files) with size, SHA-512 and a
//! working `accessUrl`. Lists are paginated and accept `created_since`, `created_until`,
//! `modified_since`, `modified_until` and `limit`. Drafts never appear. See docs/oparl.md.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use serde_json::{Value, json};
use zielwerk_domain::{DecisionKind, PartyRole};
use zielwerk_store::{FileMeta, FileRole, StoredVorlage};

use crate::AppState;
use crate::error::WebError;

const OPARL: &str = "https://schema.oparl.org/1.1/";
const PAGE_SIZE: usize = 20;
const MAX_PAGE_SIZE: usize = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/system", get(system))
        .route("/bodies", get(bodies))
        .route("/bodies/{body}", get(body))
        .route("/bodies/{body}/organizations", get(organizations))
        .route("/bodies/{body}/organizations/{org}", get(organization))
        .route("/bodies/{body}/people", get(empty_list))
        .route("/bodies/{body}/meetings", get(empty_list))
        .route("/bodies/{body}/papers", get(papers))
        .route("/papers/{paper}", get(paper))
        .route("/papers/{paper}/consultations/{n}", get(consultation))
        .route("/files/{paper}/{name}", get(file))
        .route("/files/{paper}/{name}/download", get(download))
        .fallback(|| async { WebError::NotFound("Diesen OParl-Pfad gibt es nicht.".into()) })
        .layer(axum::middleware::map_response(as_json_error))
}

/// A client of the API reads JSON, also when something is wrong: every error answers as
/// `application/problem+json` (RFC 9457) with the German message of the error.
async fn as_json_error(response: Response) -> Response {
    if !(response.status().is_client_error() || response.status().is_server_error()) {
        return response;
    }
    let status = response.status();
    let (title, detail) = match response.extensions().get::<crate::error::Message>() {
        Some(m) => (m.title.clone(), m.text.clone()),
        None => (
            "Ungültige Anfrage".to_owned(),
            "Die Anfrage konnte nicht verarbeitet werden.".to_owned(),
        ),
    };
    let body = json!({
        "type": "about:blank",
        "title": title,
        "status": status.as_u16(),
        "detail": detail,
    });
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/problem+json"),
    );
    r
}

/// The absolute base URL of the API (OParl ids are absolute URLs): the configured public
/// address, or else the request's host (only host characters; anything else is `localhost`).
fn base(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.public_url {
        return format!("{}/oparl/v1", url.trim_end_matches('/'));
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    let scheme = match headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
    {
        Some("https") => "https",
        _ => "http",
    };
    format!("{scheme}://{host}/oparl/v1")
}

fn json_response(v: Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        v.to_string(),
    )
        .into_response()
}

fn not_found(what: &str) -> WebError {
    WebError::NotFound(format!("{what} gibt es nicht."))
}

/// A committee's id part: "Sozialausschuss" → "sozialausschuss".
fn slug(name: &str) -> String {
    let s: String = name
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'ä' => 'a',
            'ö' => 'o',
            'ü' => 'u',
            'ß' => 's',
            c if c.is_ascii_alphanumeric() => c,
            _ => '-',
        })
        .collect();
    s.split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// Published Vorlagen by body (Jobcenter id).
async fn published(state: &AppState) -> Result<BTreeMap<String, Vec<StoredVorlage>>, WebError> {
    let mut by_body: BTreeMap<String, Vec<StoredVorlage>> = BTreeMap::new();
    for v in state.store.published_vorlagen().await? {
        by_body.entry(v.jobcenter.to_string()).or_default().push(v);
    }
    Ok(by_body)
}

async fn body_vorlagen(state: &AppState, body: &str) -> Result<Vec<StoredVorlage>, WebError> {
    published(state)
        .await?
        .remove(body)
        .ok_or_else(|| not_found(&format!("Die Körperschaft „{body}“")))
}

async fn system(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, WebError> {
    let b = base(&state, &headers);
    let first = state
        .store
        .published_vorlagen()
        .await?
        .first()
        .and_then(|v| v.published_at.clone());
    let mut v = json!({
        "id": format!("{b}/system"),
        "type": format!("{OPARL}System"),
        "oparlVersion": OPARL,
        "body": format!("{b}/bodies"),
        "name": "Zielwerk – Berichte zur Zielsteuerung SGB II",
        // A URL, as the schema asks: the installation's own start page.
        "product": format!("{}/", b.trim_end_matches("/oparl/v1")),
        "website": format!("{}/", b.trim_end_matches("/oparl/v1")),
    });
    if let Some(created) = first {
        v["created"] = created.clone().into();
        v["modified"] = created.into();
    }
    Ok(json_response(v))
}

async fn body_object(
    state: &AppState,
    b: &str,
    body: &str,
    vorlagen: &[StoredVorlage],
) -> Result<Value, WebError> {
    let first = vorlagen
        .first()
        .ok_or_else(|| not_found("Die Körperschaft"))?;
    let agreement = state.store.agreement(&first.agreement).await?;
    let (name, ags) = match &agreement {
        Some(a) => (
            a.parties
                .iter()
                .find(|p| p.role == PartyRole::Kreis)
                .map(|p| p.name.clone())
                .unwrap_or_else(|| a.jobcenter.name.clone()),
            Some(a.jobcenter.ags.to_string()),
        ),
        None => (body.to_owned(), None),
    };
    let created = vorlagen.iter().filter_map(|v| v.published_at.clone()).min();
    let modified = vorlagen.iter().filter_map(|v| v.published_at.clone()).max();
    let mut v = json!({
        "id": format!("{b}/bodies/{body}"),
        "type": format!("{OPARL}Body"),
        "system": format!("{b}/system"),
        "name": name,
        "organization": format!("{b}/bodies/{body}/organizations"),
        "person": format!("{b}/bodies/{body}/people"),
        "meeting": format!("{b}/bodies/{body}/meetings"),
        "paper": format!("{b}/bodies/{body}/papers"),
        "legislativeTerm": [],
    });
    if let Some(ags) = ags {
        v["ags"] = ags.into();
    }
    if let (Some(c), Some(m)) = (created, modified) {
        v["created"] = c.into();
        v["modified"] = m.into();
    }
    Ok(v)
}

async fn bodies(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let b = base(&state, &headers);
    let mut items = Vec::new();
    for (body, vorlagen) in published(&state).await? {
        items.push(body_object(&state, &b, &body, &vorlagen).await?);
    }
    list(&format!("{b}/bodies"), items, &q)
}

async fn body(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(body): Path<String>,
) -> Result<Response, WebError> {
    let b = base(&state, &headers);
    let vorlagen = body_vorlagen(&state, &body).await?;
    Ok(json_response(
        body_object(&state, &b, &body, &vorlagen).await?,
    ))
}

/// The committees named in the Beratungsfolge of the body's published Vorlagen.
fn committees(vorlagen: &[StoredVorlage]) -> BTreeMap<String, (String, String)> {
    let mut out = BTreeMap::new();
    for v in vorlagen {
        let at = v.published_at.clone().unwrap_or_default();
        for c in &v.header.consultations {
            out.entry(slug(&c.committee))
                .or_insert_with(|| (c.committee.clone(), at.clone()));
        }
    }
    out
}

fn organization_object(b: &str, body: &str, slug: &str, name: &str, at: &str) -> Value {
    json!({
        "id": format!("{b}/bodies/{body}/organizations/{slug}"),
        "type": format!("{OPARL}Organization"),
        "body": format!("{b}/bodies/{body}"),
        "name": name,
        "organizationType": "Gremium",
        "classification": "Ausschuss",
        "created": at,
        "modified": at,
    })
}

async fn organizations(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(body): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let b = base(&state, &headers);
    let vorlagen = body_vorlagen(&state, &body).await?;
    let items = committees(&vorlagen)
        .iter()
        .map(|(s, (name, at))| organization_object(&b, &body, s, name, at))
        .collect();
    list(&format!("{b}/bodies/{body}/organizations"), items, &q)
}

async fn organization(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((body, org)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let b = base(&state, &headers);
    let vorlagen = body_vorlagen(&state, &body).await?;
    let all = committees(&vorlagen);
    let (name, at) = all.get(&org).ok_or_else(|| not_found("Dieses Gremium"))?;
    Ok(json_response(organization_object(
        &b, &body, &org, name, at,
    )))
}

/// Persons and meetings: Zielwerk publishes none, but the standard requires the lists.
async fn empty_list(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Path(body): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    body_vorlagen(&state, &body).await?;
    let b = base(&state, &headers);
    let url = format!("{}{}", b.trim_end_matches("/oparl/v1"), uri.path());
    list(&url, Vec::new(), &q)
}

fn file_url(b: &str, f: &FileMeta) -> String {
    format!("{b}/files/{}/{}", f.vorlage_id, f.name)
}

fn file_object(b: &str, v: &StoredVorlage, f: &FileMeta, files: &[FileMeta]) -> Value {
    let mut o = json!({
        "id": file_url(b, f),
        "type": format!("{OPARL}File"),
        "name": f.title,
        "fileName": f.name,
        "mimeType": f.mime_type,
        "date": f.created_at.get(..10).unwrap_or_default(),
        "size": f.size,
        "sha512Checksum": f.sha512,
        "accessUrl": format!("{}/download", file_url(b, f)),
        "downloadUrl": format!("{}/download", file_url(b, f)),
        "paper": [format!("{b}/papers/{}", v.id)],
        "created": f.created_at,
        "modified": f.created_at,
    });
    match f.role {
        FileRole::Main => {
            let derived: Vec<String> = files
                .iter()
                .filter(|d| d.role == FileRole::Derivative)
                .map(|d| file_url(b, d))
                .collect();
            if !derived.is_empty() {
                o["derivativeFile"] = derived.into();
            }
        }
        FileRole::Derivative => {
            if let Some(m) = files.iter().find(|m| m.role == FileRole::Main) {
                o["masterFile"] = file_url(b, m).into();
            }
        }
        FileRole::Anlage => {}
    }
    o
}

fn consultation_object(b: &str, v: &StoredVorlage, n: usize) -> Option<Value> {
    let c = v.header.consultations.get(n)?;
    let at = v.published_at.clone().unwrap_or_default();
    Some(json!({
        "id": format!("{b}/papers/{}/consultations/{}", v.id, n + 1),
        "type": format!("{OPARL}Consultation"),
        "paper": format!("{b}/papers/{}", v.id),
        "organization": [format!("{b}/bodies/{}/organizations/{}", v.jobcenter, slug(&c.committee))],
        "authoritative": c.decision != DecisionKind::Kenntnisnahme,
        "role": format!("{} am {}", c.decision.label_de(), c.date.format("%d.%m.%Y")),
        "created": at,
        "modified": at,
    }))
}

async fn paper_object(state: &AppState, b: &str, v: &StoredVorlage) -> Result<Value, WebError> {
    let files = state.store.vorlage_files(&v.id).await?;
    let at = v.published_at.clone().unwrap_or_default();
    let mut o = json!({
        "id": format!("{b}/papers/{}", v.id),
        "type": format!("{OPARL}Paper"),
        "body": format!("{b}/bodies/{}", v.jobcenter),
        "name": v.header.title,
        "reference": v.header.number,
        "date": v.header.date.to_string(),
        "paperType": match v.header.consultations.first().map(|c| c.decision) {
            Some(DecisionKind::Kenntnisnahme) | None => "Mitteilungsvorlage",
            Some(_) => "Beschlussvorlage",
        },
        "consultation": (0..v.header.consultations.len())
            .filter_map(|n| consultation_object(b, v, n))
            .collect::<Vec<_>>(),
        "auxiliaryFile": files
            .iter()
            .filter(|f| f.role == FileRole::Anlage)
            .map(|f| file_object(b, v, f, &files))
            .collect::<Vec<_>>(),
        "created": at,
        "modified": at,
    });
    if let Some(main) = files.iter().find(|f| f.role == FileRole::Main) {
        o["mainFile"] = file_object(b, v, main, &files);
    }
    Ok(o)
}

async fn published_vorlage(state: &AppState, id: &str) -> Result<StoredVorlage, WebError> {
    state
        .store
        .vorlage(id)
        .await?
        .filter(|v| v.published_at.is_some())
        .ok_or_else(|| not_found(&format!("Die Drucksache „{id}“")))
}

async fn papers(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(body): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let b = base(&state, &headers);
    let filter = q.filter()?;
    let mut items = Vec::new();
    for v in body_vorlagen(&state, &body).await? {
        let at = v.published_at.as_deref().unwrap_or_default();
        if filter.admits(at, at) {
            items.push(paper_object(&state, &b, &v).await?);
        }
    }
    list(&format!("{b}/bodies/{body}/papers"), items, &q)
}

async fn paper(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let v = published_vorlage(&state, &id).await?;
    Ok(json_response(
        paper_object(&state, &base(&state, &headers), &v).await?,
    ))
}

async fn consultation(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, n)): Path<(String, usize)>,
) -> Result<Response, WebError> {
    let v = published_vorlage(&state, &id).await?;
    let o = n
        .checked_sub(1)
        .and_then(|n| consultation_object(&base(&state, &headers), &v, n))
        .ok_or_else(|| not_found("Diese Beratung"))?;
    Ok(json_response(o))
}

async fn file(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, name)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let v = published_vorlage(&state, &id).await?;
    let files = state.store.vorlage_files(&id).await?;
    let f = files
        .iter()
        .find(|f| f.name == name)
        .ok_or_else(|| not_found(&format!("Die Datei „{name}“")))?;
    Ok(json_response(file_object(
        &base(&state, &headers),
        &v,
        f,
        &files,
    )))
}

async fn download(
    State(state): State<AppState>,
    Path((id, name)): Path<(String, String)>,
) -> Result<Response, WebError> {
    published_vorlage(&state, &id).await?;
    let (meta, bytes) = state
        .store
        .vorlage_file(&id, &name)
        .await?
        .ok_or_else(|| not_found(&format!("Die Datei „{name}“")))?;
    Ok((
        [
            (header::CONTENT_TYPE, meta.mime_type),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{}\"", meta.name),
            ),
            (
                header::CACHE_CONTROL,
                "public, max-age=86400, immutable".into(),
            ),
        ],
        bytes,
    )
        .into_response())
}

// ----- Lists ----------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct ListQuery {
    page: Option<String>,
    limit: Option<String>,
    created_since: Option<String>,
    created_until: Option<String>,
    modified_since: Option<String>,
    modified_until: Option<String>,
}

struct Filter {
    created_since: Option<DateTime<FixedOffset>>,
    created_until: Option<DateTime<FixedOffset>>,
    modified_since: Option<DateTime<FixedOffset>>,
    modified_until: Option<DateTime<FixedOffset>>,
}

impl Filter {
    fn admits(&self, created: &str, modified: &str) -> bool {
        let (Ok(c), Ok(m)) = (
            DateTime::parse_from_rfc3339(created),
            DateTime::parse_from_rfc3339(modified),
        ) else {
            return false;
        };
        self.created_since.is_none_or(|s| c >= s)
            && self.created_until.is_none_or(|u| c <= u)
            && self.modified_since.is_none_or(|s| m >= s)
            && self.modified_until.is_none_or(|u| m <= u)
    }
}

impl ListQuery {
    /// A positive whole number parameter, or why not.
    fn number(name: &str, v: &Option<String>, max: usize) -> Result<Option<usize>, WebError> {
        v.as_deref()
            .map(|s| match s.trim().parse::<usize>() {
                Ok(n) if (1..=max).contains(&n) => Ok(n),
                _ => Err(WebError::BadRequest(format!(
                    "Parameter „{name}“: „{s}“ ist keine ganze Zahl von 1 bis {max}"
                ))),
            })
            .transpose()
    }

    fn limit(&self) -> Result<usize, WebError> {
        Ok(Self::number("limit", &self.limit, MAX_PAGE_SIZE)?.unwrap_or(PAGE_SIZE))
    }

    fn page(&self) -> Result<usize, WebError> {
        Ok(Self::number("page", &self.page, usize::MAX)?.unwrap_or(1))
    }

    fn filter(&self) -> Result<Filter, WebError> {
        let parse = |name: &str, v: &Option<String>| {
            v.as_deref()
                .map(|s| {
                    DateTime::parse_from_rfc3339(s).map_err(|_| {
                        WebError::BadRequest(format!(
                            "Parameter „{name}“: „{s}“ ist kein Zeitpunkt nach ISO 8601 mit Zeitzone (z. B. 2022-11-24T00:00:00+01:00)"
                        ))
                    })
                })
                .transpose()
        };
        Ok(Filter {
            created_since: parse("created_since", &self.created_since)?,
            created_until: parse("created_until", &self.created_until)?,
            modified_since: parse("modified_since", &self.modified_since)?,
            modified_until: parse("modified_until", &self.modified_until)?,
        })
    }

    /// The filter parameters to carry into the pagination links.
    fn carried(&self) -> String {
        [
            ("created_since", &self.created_since),
            ("created_until", &self.created_until),
            ("modified_since", &self.modified_since),
            ("modified_until", &self.modified_until),
        ]
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("&{k}={}", encode(v))))
        .chain(
            self.limit()
                .ok()
                .filter(|_| self.limit.is_some())
                .map(|l| format!("&limit={l}")),
        )
        .collect()
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b':' => {
                (b as char).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}

/// An OParl object list with pagination and links.
fn list(url: &str, items: Vec<Value>, q: &ListQuery) -> Result<Response, WebError> {
    q.filter()?;
    let per_page = q.limit()?;
    let total = items.len();
    let pages = total.div_ceil(per_page).max(1);
    let page = q.page()?;
    if page > pages {
        return Err(WebError::NotFound(format!(
            "Seite {page} gibt es nicht; die Liste hat {}.",
            zielwerk_domain::format::counted(pages, "Seite", "Seiten")
        )));
    }
    let data: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    let extra = q.carried();
    let link = |p: usize| format!("{url}?page={p}{extra}");
    let mut links = json!({
        "first": link(1),
        "last": link(pages),
        "self": link(page),
    });
    if page > 1 {
        links["prev"] = link(page - 1).into();
    }
    if page < pages {
        links["next"] = link(page + 1).into();
    }
    Ok(json_response(json!({
        "data": data,
        "pagination": {
            "totalElements": total,
            "elementsPerPage": per_page,
            "currentPage": page,
            "totalPages": pages,
        },
        "links": links,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committee_slugs() {
        assert_eq!(slug("Sozialausschuss"), "sozialausschuss");
        assert_eq!(
            slug("Ausschuss für Soziales & Gesundheit"),
            "ausschuss-fur-soziales-gesundheit"
        );
    }
}
