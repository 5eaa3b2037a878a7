//! Personal API tokens: a signed-in user creates, names and revokes them. The page only
//! translates; the rules are in `zielwerk_app::tokens`.

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use zielwerk_app::AppError;
use zielwerk_app::tokens::{self, CreateToken, MAX_DAYS};
use zielwerk_report::present::time_de;

use super::{PageResult, html};
use crate::AppState;
use crate::auth::Session;

struct TokenRow {
    id: String,
    name: String,
    scope: String,
    created: String,
    expires: String,
    last_used: String,
    live: bool,
    state: &'static str,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    new_token: Option<String>,
    new_name: String,
    message: String,
    jobcenters: Vec<(String, String)>,
    form_name: String,
    form_read_only: bool,
    form_days: u32,
    max_days: u32,
    tokens_caption: String,
    tokens: Vec<TokenRow>,
}

const DEFAULT_DAYS: u32 = 90;

async fn page(
    state: &AppState,
    session: &Session,
    new_token: Option<(String, String)>,
    message: String,
    form: Option<&NewTokenForm>,
) -> Result<TokensPage, crate::WebError> {
    let p = &session.principal;
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let list = tokens::list(&state.store, p).await?;
    let mut jobcenters: Vec<(String, String)> = Vec::new();
    for a in state.store.agreements().await? {
        if p.knows(&a.jobcenter) && !jobcenters.iter().any(|(id, _)| id == a.jobcenter.as_str()) {
            jobcenters.push((
                a.jobcenter.to_string(),
                format!("{} ({})", a.jobcenter_name, a.jobcenter),
            ));
        }
    }
    let live = list
        .iter()
        .filter(|t| t.revoked_at.is_none() && t.expires_at > now)
        .count();
    let tokens = list
        .iter()
        .map(|t| token_row(t, &now, &jobcenters))
        .collect();
    Ok(TokensPage {
        tokens,
        new_name: new_token
            .as_ref()
            .map(|(n, _)| n.clone())
            .unwrap_or_default(),
        new_token: new_token.map(|(_, t)| t),
        message,
        jobcenters,
        form_name: form.map(|f| f.name.clone()).unwrap_or_default(),
        form_read_only: form.is_some_and(|f| !f.nur_lesen.is_empty()),
        form_days: form
            .and_then(|f| f.gueltig_tage.trim().parse().ok())
            .unwrap_or(DEFAULT_DAYS),
        max_days: MAX_DAYS,
        tokens_caption: format!(
            "{}, davon {} gültig",
            zielwerk_domain::format::counted(list.len(), "Schlüssel", "Schlüssel"),
            live
        ),
    })
}

fn token_row(
    t: &zielwerk_store::StoredToken,
    now: &str,
    jobcenters: &[(String, String)],
) -> TokenRow {
    let revoked = t.revoked_at.is_some();
    let expired = *t.expires_at <= *now;
    TokenRow {
        scope: format!(
            "{}, {}",
            if t.read_only {
                "nur lesen"
            } else {
                "lesen und schreiben"
            },
            t.jobcenter.as_ref().map_or_else(
                || "alle meine Jobcenter".to_owned(),
                |j| {
                    let label = jobcenters
                        .iter()
                        .find(|(id, _)| id == j.as_str())
                        .map_or_else(|| j.to_string(), |(_, l)| l.clone());
                    format!("nur {label}")
                }
            )
        ),
        created: time_de(&t.created_at, "%d.%m.%Y %H:%M"),
        expires: time_de(&t.expires_at, "%d.%m.%Y"),
        last_used: t
            .last_used_at
            .as_deref()
            .map_or_else(|| "nie".to_owned(), |l| time_de(l, "%d.%m.%Y %H:%M")),
        live: !revoked && !expired,
        state: if revoked { "widerrufen" } else { "abgelaufen" },
        id: t.id.clone(),
        name: t.name.clone(),
    }
}

pub async fn list(State(state): State<AppState>, session: Session) -> PageResult {
    html(&page(&state, &session, None, String::new(), None).await?)
}

#[derive(Deserialize)]
pub struct NewTokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    jobcenter: String,
    #[serde(default)]
    nur_lesen: String,
    #[serde(default)]
    gueltig_tage: String,
}

pub async fn create(
    State(state): State<AppState>,
    session: Session,
    Form(f): Form<NewTokenForm>,
) -> PageResult {
    let days = f.gueltig_tage.trim().parse::<u32>();
    let result = match days {
        Err(_) => Err(AppError::Invalid(vec![zielwerk_app::Problem::at(
            "gueltig_tage",
            format!(
                "Feld „Gültig für“: „{}“ ist keine Zahl von Tagen (erwartet 1 bis {MAX_DAYS})",
                f.gueltig_tage.chars().take(60).collect::<String>()
            ),
        )])),
        Ok(valid_days) => {
            tokens::create(
                &state.store,
                &session.principal,
                CreateToken {
                    name: f.name.clone(),
                    read_only: !f.nur_lesen.is_empty(),
                    jobcenter: Some(f.jobcenter.clone()),
                    valid_days,
                },
            )
            .await
        }
    };
    match result {
        Ok(created) => {
            let p = page(
                &state,
                &session,
                Some((created.stored.name, created.token)),
                String::new(),
                None,
            )
            .await?;
            html(&p)
        }
        Err(AppError::Invalid(problems)) => {
            let message = format!(
                "Nicht angelegt: {}.",
                problems
                    .into_iter()
                    .map(|p| p.message)
                    .collect::<Vec<_>>()
                    .join("; ")
            );
            let mut r = html(&page(&state, &session, None, message, Some(&f)).await?)?;
            *r.status_mut() = StatusCode::BAD_REQUEST;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> PageResult {
    tokens::revoke(&state.store, &session.principal, &id).await?;
    Ok(Redirect::to(crate::paths::Tokens::PATH).into_response())
}
