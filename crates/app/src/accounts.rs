//! Accounts: the password rules and their hashing (Argon2id), for every way an account is made
//! or changed (the administration page, the command line, the password form).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// 32 random bytes as hex: session tokens, CSRF tokens, API tokens.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system provides random numbers");
    hex::encode(bytes)
}

/// The SHA-256 of a session or API token, as stored.
pub fn token_hash(token: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

/// The shortest password accepted.
pub const MIN_PASSWORD: usize = 12;

/// An Argon2id hash (PHC string) of `password` with a fresh salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| format!("Zufallszahlen nicht verfügbar: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Whether `password` matches `hash`. A malformed hash never matches.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// The rules for a new password, with the message that names the field.
pub fn check_new_password(password: &str, repeated: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(format!(
            "Feld „Neues Passwort“: mindestens {MIN_PASSWORD} Zeichen"
        ));
    }
    if password != repeated {
        return Err(
            "Feld „Neues Passwort wiederholen“: stimmt nicht mit dem neuen Passwort überein".into(),
        );
    }
    Ok(())
}

/// The longest login name.
pub const MAX_LOGIN: usize = 100;
/// The longest display name.
pub const MAX_NAME: usize = 200;

use zielwerk_domain::{Action, Grant, Principal, Role, Scope};
use zielwerk_store::{Store, StoredUser};

use crate::{AppError, Problem};

/// Account administration needs Administration somewhere; for anyone else the pages do not exist.
pub fn require_admin(p: &Principal) -> Result<(), AppError> {
    if p.may_anywhere(Action::ManageUsers) {
        Ok(())
    } else {
        Err(AppError::NotFound("Diese Seite gibt es nicht.".into()))
    }
}

/// Whether `p` administers the account `u`: everyone for an installation-wide administrator,
/// else accounts with a grant where `p` may grant.
pub fn administers(p: &Principal, u: &StoredUser) -> bool {
    p.may_grant_on(&Scope::All) || u.grants.iter().any(|g| p.may_grant_on(&g.scope))
}

/// The scopes `p` may grant on, as (token, label), for the grant table.
pub async fn manageable_scopes(
    store: &Store,
    p: &Principal,
) -> Result<Vec<(String, String)>, AppError> {
    let mut scopes = Vec::new();
    if p.may_grant_on(&Scope::All) {
        scopes.push(("*".to_owned(), "alle Jobcenter".to_owned()));
    }
    let mut seen = std::collections::BTreeSet::new();
    for a in store.agreements().await? {
        let j = a.jobcenter;
        if p.may_grant_on(&Scope::Jobcenter(j.clone())) && seen.insert(j.to_string()) {
            scopes.push((j.to_string(), format!("{} ({j})", a.jobcenter_name)));
        }
    }
    Ok(scopes)
}

/// The accounts `p` administers, by login.
pub async fn accounts(store: &Store, p: &Principal) -> Result<Vec<StoredUser>, AppError> {
    require_admin(p)?;
    Ok(store
        .users()
        .await?
        .into_iter()
        .filter(|u| administers(p, u))
        .collect())
}

/// The account `login`, for `p` who administers it; any other is not found.
pub async fn account(store: &Store, p: &Principal, login: &str) -> Result<StoredUser, AppError> {
    require_admin(p)?;
    store
        .user_by_login(login)
        .await?
        .filter(|u| administers(p, u))
        .ok_or_else(|| AppError::NotFound(format!("Das Benutzerkonto „{login}“ gibt es nicht.")))
}

/// `ROLLE@JOBCENTER` as the forms send it.
fn grant(raw: &str) -> Option<Grant> {
    let (role, scope) = raw.split_once('@')?;
    Some(Grant {
        role: role.parse().ok()?,
        scope: scope.parse().ok()?,
    })
}

/// A new local account.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub login: String,
    pub name: String,
    pub password: String,
    /// `ROLLE@JOBCENTER` each.
    pub grants: Vec<String>,
}

/// Creates an account for `p`, who may grant each of its roles; returns its id.
pub async fn create(store: &Store, p: &Principal, cmd: NewAccount) -> Result<String, AppError> {
    require_admin(p)?;
    let mut problems = Vec::new();
    let login = cmd.login.trim().to_owned();
    if login.is_empty()
        || login.chars().count() > MAX_LOGIN
        || !login
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'))
    {
        problems.push(Problem::at(
            "login",
            format!(
                "Feld „Anmeldename“: 1 bis {MAX_LOGIN} Zeichen aus Buchstaben, Ziffern und . - _ @"
            ),
        ));
    }
    let name = cmd.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        problems.push(Problem::at(
            "name",
            format!("Feld „Name“: bitte 1 bis {MAX_NAME} Zeichen eingeben"),
        ));
    }
    if let Err(m) = check_new_password(&cmd.password, &cmd.password) {
        problems.push(Problem::at(
            "passwort",
            m.replace("Neues Passwort", "Erstes Passwort"),
        ));
    }
    let mut grants = Vec::new();
    for raw in &cmd.grants {
        match grant(raw) {
            Some(g) if p.may_grant_on(&g.scope) => grants.push(g),
            Some(g) => problems.push(Problem::at(
                "recht",
                format!(
                    "Feld „Rechte“: für „{}“ dürfen Sie keine Rechte vergeben",
                    g.scope.as_str()
                ),
            )),
            None => problems.push(Problem::at(
                "recht",
                format!(
                    "Feld „Rechte“: „{}“ ist kein Recht",
                    raw.chars().take(60).collect::<String>()
                ),
            )),
        }
    }
    if cmd.grants.is_empty() {
        problems.push(Problem::at(
            "recht",
            "Feld „Rechte“: bitte mindestens eine Rolle für einen Jobcenter wählen",
        ));
    }
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    let password = cmd.password;
    let hash =
        crate::compute::blocking(move || hash_password(&password).map_err(AppError::Internal))
            .await?;
    Ok(store
        .acting_as(&p.audit_name())
        .add_user(&login, &name, &hash, &grants)
        .await?)
}

/// Set an account's roles (in the scopes the administrator manages) and whether it is locked.
#[derive(Debug, Clone)]
pub struct SetAccount {
    pub login: String,
    /// `ROLLE@JOBCENTER` each.
    pub grants: Vec<String>,
    pub locked: bool,
}

/// Saves roles and lock for `p`. Refused before anything is written: a role `p` may not grant,
/// raising one's own rights, dropping one's own Administration, or a lock of an account that
/// also works for Jobcenter `p` does not manage.
pub async fn update(store: &Store, p: &Principal, cmd: SetAccount) -> Result<(), AppError> {
    let u = account(store, p, &cmd.login).await?;
    let mut grants = Vec::new();
    for raw in &cmd.grants {
        let g = grant(raw)
            .filter(|g| p.may_grant_on(&g.scope))
            .ok_or_else(|| {
                AppError::Invalid(vec![Problem::at(
                    "recht",
                    format!(
                        "Feld „Rechte“: „{}“ ist kein Recht, das Sie vergeben dürfen",
                        raw.chars().take(60).collect::<String>()
                    ),
                )])
            })?;
        grants.push(g);
    }
    if !p.may_set_grants(&u.id, &u.grants, &grants) {
        return Err(AppError::Forbidden(
            "Die eigenen Rechte kann man nicht erweitern; das muss eine andere Administratorin oder ein anderer Administrator tun.".into(),
        ));
    }
    if u.id == p.user_id
        && !grants
            .iter()
            .any(|g| g.role == Role::Admin && p.may_grant_on(&g.scope))
    {
        return Err(AppError::invalid(
            "Sie können sich die eigene Administration nicht entziehen; das muss eine andere Administratorin oder ein anderer Administrator tun.",
        ));
    }
    if cmd.locked != u.disabled && !p.may_lock(&u.grants) {
        return Err(AppError::Forbidden(
            "Dieses Konto arbeitet auch für Jobcenter, die Sie nicht verwalten; sperren oder entsperren kann es nur, wer alle seine Jobcenter verwaltet.".into(),
        ));
    }
    let store = store.acting_as(&p.audit_name());
    store
        .set_grants(&cmd.login, &grants, |s| p.may_grant_on(s))
        .await?;
    if cmd.locked != u.disabled {
        store.set_disabled(&cmd.login, cmd.locked).await?;
    }
    Ok(())
}

/// Change one's own password.
#[derive(Debug, Clone)]
pub struct ChangePassword {
    pub old: String,
    pub new: String,
    pub repeated: String,
    /// The session the change is made in, which stays; every other session of the account ends.
    pub keep_session: Option<String>,
}

/// Changes `p`'s own password.
pub async fn change_password(
    store: &Store,
    p: &Principal,
    cmd: ChangePassword,
) -> Result<(), AppError> {
    if !p.narrowing.is_none() {
        return Err(AppError::Forbidden(
            "Das Passwort ändert nur, wer angemeldet ist.".into(),
        ));
    }
    check_new_password(&cmd.new, &cmd.repeated)
        .map_err(|m| AppError::Invalid(vec![Problem::at("neu", m)]))?;
    let user = store
        .user_by_login(&p.login)
        .await?
        .ok_or_else(|| AppError::NotFound("Ihr Benutzerkonto gibt es nicht mehr.".into()))?;
    if user.password_hash.is_none() {
        return Err(AppError::Forbidden(
            "Ihr Konto meldet sich über die zentrale Anmeldung an und hat in Zielwerk kein Passwort; das Passwort ändern Sie beim Anmeldedienst Ihrer Verwaltung.".into(),
        ));
    }
    let (hash, old, new) = (
        user.password_hash.clone().unwrap_or_default(),
        cmd.old,
        cmd.new,
    );
    let new_hash = crate::compute::blocking(move || {
        Ok::<_, AppError>(verify_password(&hash, &old).then(|| hash_password(&new)))
    })
    .await?
    .ok_or_else(|| {
        AppError::Invalid(vec![Problem::at(
            "alt",
            "Feld „Bisheriges Passwort“: stimmt nicht",
        )])
    })?
    .map_err(AppError::Internal)?;
    store
        .acting_as(&p.audit_name())
        .set_password(&user.id, &new_hash, cmd.keep_session.as_deref())
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("richtig-langes-passwort").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password(&h, "richtig-langes-passwort"));
        assert!(!verify_password(&h, "richtig-langes-passworT"));
        assert!(!verify_password("kein hash", "x"));
        assert_ne!(
            h,
            hash_password("richtig-langes-passwort").unwrap(),
            "fresh salt"
        );
    }

    #[test]
    fn new_passwords_need_twelve_characters_and_the_same_twice() {
        assert!(
            check_new_password("elf-zeichen", "elf-zeichen")
                .unwrap_err()
                .contains("mindestens 12")
        );
        assert!(check_new_password("zwoelf-zeich", "zwoelf-zeich").is_ok());
        assert!(
            check_new_password("zwoelf-zeich", "zwoelf-zeicH")
                .unwrap_err()
                .contains("wiederholen")
        );
    }
}
