//! Account administration: the accounts of the Jobcenter an administrator manages, and new
//! accounts with their roles. An administrator grants roles only where they hold
//! Administration; only an installation-wide administrator grants for every Jobcenter (`*`).

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use zielwerk_domain::{Action, BaId, Grant, Role, Scope};
use zielwerk_store::StoredUser;

use super::PageResult;
use crate::AppState;
use crate::auth::{self, Session};
use crate::error::WebError;

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

/// May `session` grant on `scope`? (The rule: `Principal::may_grant_on`.)
fn may_grant(session: &Session, scope: &Scope) -> bool {
    session.principal.may_grant_on(scope)
}

fn require_admin(session: &Session) -> Result<(), WebError> {
    if session.principal.may_anywhere(Action::ManageUsers) {
        Ok(())
    } else {
        Err(WebError::NotFound("Diese Seite gibt es nicht.".into()))
    }
}

/// The scopes `session` may grant on, as (token, label), for the grant table.
async fn manageable_scopes(
    state: &AppState,
    session: &Session,
) -> Result<Vec<(String, String)>, WebError> {
    let mut scopes = Vec::new();
    if may_grant(session, &Scope::All) {
        scopes.push(("*".to_owned(), "alle Jobcenter".to_owned()));
    }
    let mut seen = std::collections::BTreeSet::new();
    for a in state.store.agreements().await? {
        if let Ok(j) = a.jobcenter_id.parse::<BaId>()
            && may_grant(session, &Scope::Jobcenter(j.clone()))
            && seen.insert(j.to_string())
        {
            scopes.push((j.to_string(), format!("{} ({j})", a.jobcenter_name)));
        }
    }
    Ok(scopes)
}

/// Whether `session` administers an account: everyone for an installation-wide administrator,
/// else accounts with a grant where the administrator may grant.
fn administers(session: &Session, u: &StoredUser) -> bool {
    may_grant(session, &Scope::All) || u.grants.iter().any(|g| may_grant(session, &g.scope))
}

async fn page(
    state: &AppState,
    session: &Session,
    message: String,
    ok: bool,
    form: (String, String),
) -> Result<UsersPage, WebError> {
    let scopes = manageable_scopes(state, session).await?;
    let users = state
        .store
        .users()
        .await?
        .into_iter()
        .filter(|u| administers(session, u))
        .map(|u| UserRow {
            url: format!("/verwaltung/benutzer/{}", u.login),
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
    require_admin(&session)?;
    let p = page(&state, &session, String::new(), true, Default::default()).await?;
    Ok(Html(p.render()?).into_response())
}

/// Reads the new account; every problem names its field.
fn parse(
    session: &Session,
    fields: &[(String, String)],
) -> Result<(String, String, String, Vec<Grant>), Vec<String>> {
    let get = |name: &str| super::field(fields, name).to_owned();
    let mut problems = Vec::new();
    let login = get("login");
    if login.is_empty()
        || login.chars().count() > 100
        || !login
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'))
    {
        problems.push(
            "Feld „Anmeldename“: 1 bis 100 Zeichen aus Buchstaben, Ziffern und . - _ @".into(),
        );
    }
    let name = get("name");
    if name.is_empty() || name.chars().count() > 200 {
        problems.push("Feld „Name“: bitte 1 bis 200 Zeichen eingeben".into());
    }
    let password = fields
        .iter()
        .find(|(k, _)| k == "passwort")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    if let Err(m) = auth::check_new_password(&password, &password) {
        problems.push(m.replace("Neues Passwort", "Erstes Passwort"));
    }
    let mut grants = Vec::new();
    for (_, raw) in fields.iter().filter(|(k, _)| k == "recht") {
        let parsed = raw.split_once('@').and_then(|(r, s)| {
            Some(Grant {
                role: r.parse().ok()?,
                scope: s.parse().ok()?,
            })
        });
        match parsed {
            Some(g) if may_grant(session, &g.scope) => grants.push(g),
            Some(g) => problems.push(format!(
                "Feld „Rechte“: für „{}“ dürfen Sie keine Rechte vergeben",
                g.scope.as_str()
            )),
            None => problems.push(format!("Feld „Rechte“: „{raw}“ ist kein Recht")),
        }
    }
    if fields.iter().all(|(k, _)| k != "recht") {
        problems
            .push("Feld „Rechte“: bitte mindestens eine Rolle für einen Jobcenter wählen".into());
    }
    if problems.is_empty() {
        Ok((login, name, password, grants))
    } else {
        Err(problems)
    }
}

pub async fn add(
    State(state): State<AppState>,
    session: Session,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    require_admin(&session)?;
    let outcome = match parse(&session, &fields) {
        Err(problems) => Err(problems),
        Ok((login, name, password, grants)) => {
            let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
                .await
                .map_err(|e| WebError::Internal(e.to_string()))?
                .map_err(WebError::Internal)?;
            match session
                .store(&state.store)
                .add_user(&login, &name, &hash, &grants)
                .await
            {
                Ok(_) => Ok(format!("Das Konto „{login}“ ({name}) wurde angelegt.")),
                Err(e @ zielwerk_store::StoreError::Exists(_)) => Err(vec![e.to_string()]),
                Err(e) => return Err(e.into()),
            }
        }
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
    require_admin(session)?;
    state
        .store
        .user_by_login(login)
        .await?
        .filter(|u| administers(session, u))
        .ok_or_else(|| WebError::NotFound(format!("Das Benutzerkonto „{login}“ gibt es nicht.")))
}

async fn edit_page(
    state: &AppState,
    session: &Session,
    u: StoredUser,
    message: String,
) -> Result<UserEditPage, WebError> {
    let (mine, others): (Vec<&Grant>, Vec<&Grant>) =
        u.grants.iter().partition(|g| may_grant(session, &g.scope));
    Ok(UserEditPage {
        scopes: manageable_scopes(state, session).await?,
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
    let u = account_for(&state, &session, &login).await?;
    let mut grants = Vec::new();
    for (_, raw) in fields.iter().filter(|(k, _)| k == "recht") {
        let g = raw
            .split_once('@')
            .and_then(|(r, s)| {
                Some(Grant {
                    role: r.parse().ok()?,
                    scope: s.parse().ok()?,
                })
            })
            .filter(|g| may_grant(&session, &g.scope))
            .ok_or_else(|| {
                WebError::BadRequest(format!(
                    "Feld „Rechte“: „{raw}“ ist kein Recht, das Sie vergeben dürfen"
                ))
            })?;
        grants.push(g);
    }
    if !session.principal.may_set_grants(&u.id, &u.grants, &grants) {
        return Err(WebError::Forbidden(
            "Die eigenen Rechte kann man nicht erweitern; das muss eine andere Administratorin oder ein anderer Administrator tun.".into(),
        ));
    }
    if u.id == session.principal.user_id
        && !grants
            .iter()
            .any(|g| g.role == Role::Admin && may_grant(&session, &g.scope))
    {
        return Err(WebError::BadRequest(
            "Sie können sich die eigene Administration nicht entziehen; das muss eine andere Administratorin oder ein anderer Administrator tun.".into(),
        ));
    }
    // Refused before anything is written: a lock that is not this administrator's to set.
    let lock = fields.iter().any(|(k, v)| k == "gesperrt" && v == "1");
    if lock != u.disabled && !session.principal.may_lock(&u.grants) {
        return Err(WebError::Forbidden(
            "Dieses Konto arbeitet auch für Jobcenter, die Sie nicht verwalten; sperren oder entsperren kann es nur, wer alle seine Jobcenter verwaltet.".into(),
        ));
    }
    let store = session.store(&state.store);
    store
        .set_grants(&login, &grants, |s| may_grant(&session, s))
        .await?;
    if lock != u.disabled {
        store.set_disabled(&login, lock).await?;
    }
    let u = account_for(&state, &session, &login).await?;
    let p = edit_page(&state, &session, u, "Gespeichert.".into()).await?;
    Ok(Html(p.render()?).into_response())
}
