//! Account administration: the accounts of the Jobcenter an administrator manages, and new
//! accounts with their roles. An administrator grants roles only where they hold
//! Administration; only an installation-wide administrator grants for every Jobcenter (`*`).

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use zielwerk_domain::{Grant, Role};
use zielwerk_store::StoredUser;

use super::PageResult;
use crate::AppState;
use crate::auth::{self, Session};
use crate::error::WebError;
use zielwerk_app::AppError;
use zielwerk_app::accounts;

struct UserRow {
    url: String,
    login: String,
    name: String,
    grants: String,
    how: &'static str,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    users: Vec<UserRow>,
    /// Scope token and label, for the grant table.
    scopes: Vec<(String, String)>,
    roles: Vec<(&'static str, &'static str)>,
    message: String,
    ok: bool,
    min: usize,
    form_login: String,
    form_name: String,
}

async fn page(
    state: &AppState,
    session: &Session,
    message: String,
    ok: bool,
    form: (String, String),
) -> Result<UsersPage, WebError> {
    let scopes = accounts::manageable_scopes(&state.store, &session.principal).await?;
    let users = accounts::accounts(&state.store, &session.principal)
        .await?
        .into_iter()
        .map(|u| UserRow {
            url: crate::paths::User::url(&u.login),
            grants: u
                .grants
                .iter()
                .map(|g| format!("{} ({})", g.role.label_de(), g.scope.as_str()))
                .collect::<Vec<_>>()
                .join(", "),
            how: if u.disabled {
                "gesperrt"
            } else if u.password_hash.is_some() {
                "Passwort"
            } else {
                "externer Anbieter"
            },
            login: u.login,
            name: u.name,
        })
        .collect();
    Ok(UsersPage {
        users,
        scopes,
        roles: Role::ALL
            .iter()
            .map(|r| (r.as_str(), r.label_de()))
            .collect(),
        message,
        ok,
        min: auth::MIN_PASSWORD,
        form_login: form.0,
        form_name: form.1,
    })
}

pub async fn list(State(state): State<AppState>, session: Session) -> PageResult {
    accounts::require_admin(&session.principal)?;
    let p = page(&state, &session, String::new(), true, Default::default()).await?;
    Ok(Html(p.render()?).into_response())
}

pub async fn add(
    State(state): State<AppState>,
    session: Session,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    accounts::require_admin(&session.principal)?;
    let cmd = accounts::NewAccount {
        login: super::field(&fields, "login").to_owned(),
        name: super::field(&fields, "name").to_owned(),
        password: fields
            .iter()
            .find(|(k, _)| k == "passwort")
            .map(|(_, v)| v.clone())
            .unwrap_or_default(),
        grants: fields
            .iter()
            .filter(|(k, _)| k == "recht")
            .map(|(_, v)| v.clone())
            .collect(),
    };
    let (login, name) = (cmd.login.clone(), cmd.name.clone());
    let outcome = match accounts::create(&state.store, &session.principal, cmd).await {
        Ok(_) => Ok(format!("Das Konto „{login}“ ({name}) wurde angelegt.")),
        Err(AppError::Invalid(problems)) => Err(problems.into_iter().map(|p| p.message).collect()),
        Err(AppError::Conflict { message, .. }) => Err(vec![message]),
        Err(e) => return Err(e.into()),
    };
    let typed = |k: &str| super::field(&fields, k).to_owned();
    let (status, p) = match outcome {
        Ok(message) => (
            StatusCode::OK,
            page(&state, &session, message, true, Default::default()).await?,
        ),
        Err(problems) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            page(
                &state,
                &session,
                format!("Nicht angelegt: {}", problems.join("; ")),
                false,
                (typed("login"), typed("name")),
            )
            .await?,
        ),
    };
    Ok((status, Html(p.render()?)).into_response())
}

// ----- One account: its roles and whether it is locked --------------------------------------

#[derive(Template)]
#[template(path = "user_edit.html")]
struct UserEditPage {
    login: String,
    name: String,
    scopes: Vec<(String, String)>,
    roles: Vec<(&'static str, &'static str)>,
    /// `role@scope` tokens the account holds.
    held: Vec<String>,
    /// Grants in scopes this administrator does not manage (they stay as they are).
    others: Vec<String>,
    disabled: bool,
    message: String,
}

async fn account_for(
    state: &AppState,
    session: &Session,
    login: &str,
) -> Result<StoredUser, WebError> {
    Ok(accounts::account(&state.store, &session.principal, login).await?)
}

async fn edit_page(
    state: &AppState,
    session: &Session,
    u: StoredUser,
    message: String,
) -> Result<UserEditPage, WebError> {
    let (mine, others): (Vec<&Grant>, Vec<&Grant>) = u
        .grants
        .iter()
        .partition(|g| session.principal.may_grant_on(&g.scope));
    Ok(UserEditPage {
        scopes: accounts::manageable_scopes(&state.store, &session.principal).await?,
        roles: Role::ALL
            .iter()
            .map(|r| (r.as_str(), r.label_de()))
            .collect(),
        held: mine
            .iter()
            .map(|g| format!("{}@{}", g.role.as_str(), g.scope.as_str()))
            .collect(),
        others: others
            .iter()
            .map(|g| format!("{} ({})", g.role.label_de(), g.scope.as_str()))
            .collect(),
        disabled: u.disabled,
        login: u.login,
        name: u.name,
        message,
    })
}

pub async fn edit_form(
    State(state): State<AppState>,
    session: Session,
    Path(login): Path<String>,
) -> PageResult {
    let u = account_for(&state, &session, &login).await?;
    let p = edit_page(&state, &session, u, String::new()).await?;
    Ok(Html(p.render()?).into_response())
}

/// Saves the roles (in the scopes this administrator manages) and the lock.
pub async fn edit(
    State(state): State<AppState>,
    session: Session,
    Path(login): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let cmd = accounts::SetAccount {
        login: login.clone(),
        grants: fields
            .iter()
            .filter(|(k, _)| k == "recht")
            .map(|(_, v)| v.clone())
            .collect(),
        locked: fields.iter().any(|(k, v)| k == "gesperrt" && v == "1"),
    };
    accounts::update(&state.store, &session.principal, cmd).await?;
    let u = account_for(&state, &session, &login).await?;
    let p = edit_page(&state, &session, u, "Gespeichert.".into()).await?;
    Ok(Html(p.render()?).into_response())
}
