//! Personal API tokens: a signed-in user gives another system (a data warehouse, a dashboard)
//! access in their name. A token acts with its owner's grants, optionally narrowed to reading
//! or to one Jobcenter; it is shown once, stored as a hash, expires, and can be revoked. Every
//! write made with it carries its name in the audit trail ([`Principal::audit_name`]).

use zielwerk_domain::{BaId, Narrowing, Principal};
use zielwerk_store::{NewToken, Store, StoredToken};

use crate::accounts::{random_token, token_hash};
use crate::{AppError, Problem};

/// What every token starts with, so that a leaked one is recognised (secret scanners, logs).
pub const PREFIX: &str = "zw_";
/// The longest a token may live.
pub const MAX_DAYS: u32 = 366;
/// The longest name.
pub const MAX_NAME: usize = 100;

/// Create a token.
#[derive(Debug, Clone)]
pub struct CreateToken {
    /// What the token is for ("Data Warehouse Kreis").
    pub name: String,
    pub read_only: bool,
    /// Only this Jobcenter (a BA id as typed), or every Jobcenter the owner works for.
    pub jobcenter: Option<String>,
    /// Days until the token expires.
    pub valid_days: u32,
}

/// A token just made: the secret is in `token` and nowhere else, shown once.
#[derive(Debug, Clone)]
pub struct CreatedToken {
    pub token: String,
    pub stored: StoredToken,
}

fn signed_in(p: &Principal) -> Result<(), AppError> {
    if p.narrowing.is_none() {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "API-Schlüssel verwaltet nur, wer angemeldet ist, nicht ein API-Schlüssel.".into(),
        ))
    }
}

/// Makes a token for `p` (who must be signed in, not acting with a token).
pub async fn create(
    store: &Store,
    p: &Principal,
    cmd: CreateToken,
) -> Result<CreatedToken, AppError> {
    signed_in(p)?;
    create_for(&store.acting_as(&p.audit_name()), p, cmd).await
}

/// Makes a token for the account `p` on behalf of whoever `store` acts as (the operator on the
/// command line, for a system account). The same rules as [`create`].
pub async fn create_for(
    store: &Store,
    p: &Principal,
    cmd: CreateToken,
) -> Result<CreatedToken, AppError> {
    let mut problems = Vec::new();
    let name = cmd.name.trim();
    if name.is_empty() {
        problems.push(Problem::at(
            "name",
            "Feld „Bezeichnung“: bitte angeben, wofür der Schlüssel ist",
        ));
    } else if name.chars().count() > MAX_NAME {
        problems.push(Problem::at(
            "name",
            format!("Feld „Bezeichnung“: höchstens {MAX_NAME} Zeichen"),
        ));
    } else if name.chars().any(char::is_control) {
        problems.push(Problem::at(
            "name",
            "Feld „Bezeichnung“: keine Steuerzeichen",
        ));
    }
    if !(1..=MAX_DAYS).contains(&cmd.valid_days) {
        problems.push(Problem::at(
            "gueltig_tage",
            format!(
                "Feld „Gültig für“: {} Tage (erwartet 1 bis {MAX_DAYS})",
                cmd.valid_days
            ),
        ));
    }
    let jobcenter = match cmd
        .jobcenter
        .as_deref()
        .map(str::trim)
        .filter(|j| !j.is_empty())
    {
        None => None,
        Some(raw) => match raw.parse::<BaId>() {
            Ok(j) if p.knows(&j) => Some(j),
            _ => {
                problems.push(Problem::at(
                    "jobcenter",
                    format!("Feld „Nur für Jobcenter“: „{raw}“ ist keines Ihrer Jobcenter"),
                ));
                None
            }
        },
    };
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    let token = format!("{PREFIX}{}", random_token());
    let expires_at = (chrono::Utc::now() + chrono::Duration::days(i64::from(cmd.valid_days)))
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let stored = store
        .create_token(&NewToken {
            user_id: &p.user_id,
            login: &p.login,
            name,
            token_hash: &token_hash(&token),
            read_only: cmd.read_only,
            jobcenter: jobcenter.as_ref(),
            expires_at: &expires_at,
        })
        .await?;
    Ok(CreatedToken { token, stored })
}

/// `p`'s tokens, newest first.
pub async fn list(store: &Store, p: &Principal) -> Result<Vec<StoredToken>, AppError> {
    signed_in(p)?;
    Ok(store.tokens(&p.user_id).await?)
}

/// Revokes one of `p`'s tokens; someone else's is not found.
pub async fn revoke(store: &Store, p: &Principal, id: &str) -> Result<StoredToken, AppError> {
    signed_in(p)?;
    store
        .acting_as(&p.audit_name())
        .revoke_token(&p.user_id, id)
        .await
        .map_err(|e| match e {
            zielwerk_store::StoreError::NotFound(_) => {
                AppError::NotFound(format!("Den API-Schlüssel „{id}“ gibt es nicht."))
            }
            e => e.into(),
        })
}

/// The principal a token acts as, if it is a live token of an unlocked account: its owner's
/// grants with the token's narrowing. `None` for anything else (unknown, revoked, expired),
/// without saying which.
pub async fn authenticate(store: &Store, token: &str) -> Result<Option<Principal>, AppError> {
    if !token.starts_with(PREFIX) || token.len() > 200 {
        return Ok(None);
    }
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let Some((t, user)) = store.token_by_hash(&token_hash(token), &now).await? else {
        return Ok(None);
    };
    let mut p = user.principal();
    p.narrowing = Narrowing {
        token: Some(t.name),
        read_only: t.read_only,
        jobcenter: t.jobcenter,
    };
    Ok(Some(p))
}
