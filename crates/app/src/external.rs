//! Accounts of the administration's identity provider (OpenID Connect): who a verified ID token
//! is in Zielwerk, and with which grants. The protocol (redirects, the token exchange, the
//! signature and claims checks) is the web front door's; what the verified claims mean is
//! decided here, once.
//!
//! The rules:
//! - An account is found by (issuer, subject), never by a name or an e-mail address a provider
//!   could let someone change. If there is none, it is created when the installation says so,
//!   and otherwise the sign-in is refused.
//! - A locked account stays locked, whatever the provider says.
//! - Grants come from a claim (`groups`, or Keycloak's `realm_access.roles`) whose values name
//!   them as `zielwerk:ROLLE@JOBCENTER` (`zielwerk:kreis@t36402`, `zielwerk:aufsicht@*`); other
//!   values are someone else's and ignored. With claims as the source, each sign-in replaces the
//!   account's grants by what the token says; with the local source they stay as granted in
//!   Zielwerk's own account administration.

use zielwerk_domain::Grant;
use zielwerk_store::{Store, StoredUser};

use crate::AppError;

/// The prefix of a claim value that names a Zielwerk grant.
pub const GRANT_PREFIX: &str = "zielwerk:";

/// Where an account's grants come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantSource {
    /// From the claim at this path of the ID token (dots between object keys), on every
    /// sign-in.
    Claim(String),
    /// As granted in Zielwerk.
    Local,
}

/// What the installation allows for accounts of its identity provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalPolicy {
    pub grants: GrantSource,
    /// Create an account on the first sign-in of a subject.
    pub create_accounts: bool,
}

/// Who may still sign in with a password when the identity provider is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalSignIn {
    Everyone,
    /// Accounts with Administration only (a way in when the provider is down).
    AdminsOnly,
    Off,
}

/// Whether `u` may sign in with a password under `local`.
pub fn password_allowed(local: LocalSignIn, u: &StoredUser) -> bool {
    match local {
        LocalSignIn::Everyone => true,
        LocalSignIn::AdminsOnly => u
            .grants
            .iter()
            .any(|g| g.role == zielwerk_domain::Role::Admin),
        LocalSignIn::Off => false,
    }
}

/// A person as a verified ID token describes them.
#[derive(Debug, Clone)]
pub struct ExternalIdentity {
    pub issuer: String,
    pub subject: String,
    /// `preferred_username`, else the subject: the login name of a new account.
    pub login: String,
    /// `name`, else the login.
    pub name: String,
    /// Every claim of the token, for the grant mapping.
    pub claims: serde_json::Value,
}

/// The grants the claim at `path` of `claims` names (see the module's rules); values that are
/// not Zielwerk grants, or not valid ones, are left out.
pub fn grants_from_claims(claims: &serde_json::Value, path: &str) -> Vec<Grant> {
    let mut at = claims;
    for key in path.split('.') {
        match at.get(key) {
            Some(v) => at = v,
            None => return Vec::new(),
        }
    }
    let values: Vec<&str> = match at {
        serde_json::Value::Array(items) => items.iter().filter_map(|v| v.as_str()).collect(),
        serde_json::Value::String(s) => s.split_whitespace().collect(),
        _ => Vec::new(),
    };
    let mut grants: Vec<Grant> = values
        .into_iter()
        .filter_map(|v| v.strip_prefix(GRANT_PREFIX))
        .filter_map(|v| {
            let (role, scope) = v.split_once('@')?;
            Some(Grant {
                role: role.parse().ok()?,
                scope: scope.parse().ok()?,
            })
        })
        .collect();
    grants.sort();
    grants.dedup();
    grants
}

/// The account `who` signs in as, created or with its grants brought up to date as `policy`
/// says; refused (with a German message for the sign-in page) when there is none and none may
/// be made, or when it is locked.
pub async fn sign_in(
    store: &Store,
    who: &ExternalIdentity,
    policy: &ExternalPolicy,
) -> Result<StoredUser, AppError> {
    let claimed = match &policy.grants {
        GrantSource::Claim(path) => Some(grants_from_claims(&who.claims, path)),
        GrantSource::Local => None,
    };
    let store = store.acting_as(&format!("Anmeldung über {}", who.issuer));
    let user = match store.user_by_external(&who.issuer, &who.subject).await? {
        Some(user) => user,
        None if policy.create_accounts => {
            let id = store
                .add_external_user(
                    &who.login,
                    &who.name,
                    &who.issuer,
                    &who.subject,
                    claimed.as_deref().unwrap_or_default(),
                )
                .await?;
            store
                .user_by_id(&id)
                .await?
                .ok_or_else(|| AppError::Internal(format!("Konto {id} fehlt nach dem Anlegen")))?
        }
        None => {
            return Err(AppError::Forbidden(
                "Für Ihr Konto der Verwaltung gibt es in Zielwerk kein Benutzerkonto. Bitte wenden Sie sich an die Administration."
                    .into(),
            ));
        }
    };
    if user.disabled {
        return Err(AppError::Forbidden(
            "Ihr Benutzerkonto ist gesperrt. Bitte wenden Sie sich an die Administration.".into(),
        ));
    }
    match claimed {
        Some(grants) if grants != user.grants => {
            store.set_grants(&user.login, &grants, |_| true).await?;
            Ok(store.user_by_id(&user.id).await?.unwrap_or(user))
        }
        _ => Ok(user),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zielwerk_domain::{Role, Scope};

    #[test]
    fn grants_come_from_the_named_claim_and_only_from_zielwerk_values() {
        let claims = serde_json::json!({
            "groups": ["zielwerk:kreis@t36402", "buchhaltung", "zielwerk:aufsicht@*", "zielwerk:gott@t36402", "zielwerk:kreis@t36402"],
            "realm_access": {"roles": ["offline_access", "zielwerk:jobcenter@t73906"]},
        });
        assert_eq!(
            grants_from_claims(&claims, "groups"),
            vec![
                Grant {
                    scope: Scope::All,
                    role: Role::Aufsicht
                },
                Grant {
                    scope: Scope::Jobcenter("t36402".parse().unwrap()),
                    role: Role::Kreis
                },
            ]
        );
        assert_eq!(
            grants_from_claims(&claims, "realm_access.roles"),
            vec![Grant {
                scope: Scope::Jobcenter("t73906".parse().unwrap()),
                role: Role::Jobcenter
            }]
        );
        assert!(grants_from_claims(&claims, "roles").is_empty());
        assert!(grants_from_claims(&claims, "realm_access.roles.x").is_empty());
    }
}
