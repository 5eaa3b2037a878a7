//! Accounts, their grants, and sessions.
//!
//! The store keeps password hashes (made and checked by the web layer) and never sees a
//! password. A session is kept by the SHA-256 of its token only. Sessions are not data: creating
//! or ending one does not change the data version, and they are not part of a backup.

use sqlx::Row;
use zielwerk_domain::{Grant, Principal, Role, Scope};

use crate::audit::{Change, record};
use crate::{Result, Store, StoreError, now};

/// An account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUser {
    pub id: String,
    pub login: String,
    pub name: String,
    /// Argon2id PHC string; `None` for accounts of an identity provider.
    pub password_hash: Option<String>,
    /// The issuer of the identity provider the account signs in through, if any.
    pub identity_provider: Option<String>,
    pub disabled: bool,
    pub grants: Vec<Grant>,
}

impl StoredUser {
    pub fn principal(&self) -> Principal {
        Principal {
            user_id: self.id.clone(),
            login: self.login.clone(),
            name: self.name.clone(),
            grants: self.grants.clone(),
            narrowing: Default::default(),
        }
    }
}

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub user: StoredUser,
    pub csrf: String,
    pub expires_at: String,
}

fn grants_json(grants: &[Grant]) -> serde_json::Value {
    grants
        .iter()
        .map(|g| serde_json::json!({"jobcenter": g.scope.as_str(), "rolle": g.role.as_str()}))
        .collect()
}

async fn insert_grants(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user_id: &str,
    grants: &[Grant],
) -> Result<()> {
    for g in grants {
        sqlx::query("INSERT INTO user_grant (user_id, scope, role) VALUES ($1, $2, $3)")
            .bind(user_id)
            .bind(g.scope.as_str())
            .bind(g.role.as_str())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

impl Store {
    /// Creates a local account with its grants, in one transaction; returns its id. A login that
    /// exists already is refused.
    pub async fn add_user(
        &self,
        login: &str,
        name: &str,
        password_hash: &str,
        grants: &[Grant],
    ) -> Result<String> {
        if self.user_by_login(login).await?.is_some() {
            return Err(StoreError::Exists(format!("Das Benutzerkonto „{login}“")));
        }
        // A form may name a grant twice; an account holds each once.
        let mut grants = grants.to_vec();
        grants.sort();
        grants.dedup();
        let id = uuid::Uuid::now_v7().to_string();
        let ts = now();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO app_user (id, login, display_name, password_hash, disabled, created_at, updated_at)
             VALUES ($1, $2, $3, $4, 0, $5, $6)",
        )
        .bind(&id)
        .bind(login)
        .bind(name)
        .bind(password_hash)
        .bind(&ts)
        .bind(&ts)
        .execute(&mut *tx)
        .await?;
        insert_grants(&mut tx, &id, &grants).await?;
        let change = Change::new("user.add", format!("Benutzerkonto {login}")).after(
            serde_json::json!({"login": login, "name": name, "rechte": grants_json(&grants)}),
        );
        record(&mut tx, &self.actor, change).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// An account by its login name.
    pub async fn user_by_login(&self, login: &str) -> Result<Option<StoredUser>> {
        let Some(row) = sqlx::query(
            "SELECT id, login, display_name, password_hash, identity_provider, disabled FROM app_user WHERE login = $1",
        )
        .bind(login)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        self.user_from(&row).await.map(Some)
    }

    /// An account by its id.
    pub async fn user_by_id(&self, id: &str) -> Result<Option<StoredUser>> {
        let Some(row) = sqlx::query(
            "SELECT id, login, display_name, password_hash, identity_provider, disabled FROM app_user WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        self.user_from(&row).await.map(Some)
    }

    async fn user_from(&self, row: &sqlx::any::AnyRow) -> Result<StoredUser> {
        let id: String = row.try_get("id")?;
        let mut grants = Vec::new();
        for g in sqlx::query(
            "SELECT scope, role FROM user_grant WHERE user_id = $1 ORDER BY scope, role",
        )
        .bind(&id)
        .fetch_all(&self.pool)
        .await?
        {
            let scope: String = g.try_get("scope")?;
            let role: String = g.try_get("role")?;
            grants.push(Grant {
                scope: scope.parse::<Scope>().map_err(|_| StoreError::Corrupt {
                    table: "user_grant",
                    column: "scope",
                    value: scope,
                })?,
                role: role.parse::<Role>().map_err(|_| StoreError::Corrupt {
                    table: "user_grant",
                    column: "role",
                    value: role,
                })?,
            });
        }
        Ok(StoredUser {
            id,
            login: row.try_get("login")?,
            name: row.try_get("display_name")?,
            password_hash: row.try_get("password_hash")?,
            identity_provider: row.try_get("identity_provider")?,
            disabled: row.try_get::<i64, _>("disabled")? != 0,
            grants,
        })
    }

    /// The account of an identity provider's subject (`issuer`, `subject`: the ID token's `iss`
    /// and `sub`).
    pub async fn user_by_external(
        &self,
        issuer: &str,
        subject: &str,
    ) -> Result<Option<StoredUser>> {
        let Some(row) = sqlx::query(
            "SELECT id, login, display_name, password_hash, identity_provider, disabled FROM app_user
             WHERE identity_provider = $1 AND external_subject = $2",
        )
        .bind(issuer)
        .bind(subject)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        self.user_from(&row).await.map(Some)
    }

    /// Creates an account that signs in through an identity provider (no password), with its
    /// grants; returns its id. `login` is taken as it is when free, else with "-2", "-3", …
    pub async fn add_external_user(
        &self,
        login: &str,
        name: &str,
        issuer: &str,
        subject: &str,
        grants: &[Grant],
    ) -> Result<String> {
        let mut chosen = login.to_owned();
        let mut n = 1;
        while self.user_by_login(&chosen).await?.is_some() {
            n += 1;
            chosen = format!("{login}-{n}");
        }
        let mut grants = grants.to_vec();
        grants.sort();
        grants.dedup();
        let id = uuid::Uuid::now_v7().to_string();
        let ts = now();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO app_user (id, login, display_name, password_hash, identity_provider,
                 external_subject, disabled, created_at, updated_at)
             VALUES ($1, $2, $3, NULL, $4, $5, 0, $6, $7)",
        )
        .bind(&id)
        .bind(&chosen)
        .bind(name)
        .bind(issuer)
        .bind(subject)
        .bind(&ts)
        .bind(&ts)
        .execute(&mut *tx)
        .await?;
        insert_grants(&mut tx, &id, &grants).await?;
        let change =
            Change::new("user.add", format!("Benutzerkonto {chosen}")).after(serde_json::json!({
                "login": chosen, "name": name, "anmeldung": issuer, "rechte": grants_json(&grants)
            }));
        record(&mut tx, &self.actor, change).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Keeps a sign-in under way at an identity provider until `expires_at` (RFC 3339).
    pub async fn put_sign_in_flow(
        &self,
        state_hash: &str,
        nonce: &str,
        verifier: &str,
        next_path: &str,
        expires_at: &str,
    ) -> Result<()> {
        // Expired ones go with each new one.
        sqlx::query("DELETE FROM sign_in_flow WHERE expires_at < $1")
            .bind(now())
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "INSERT INTO sign_in_flow (state_hash, nonce, verifier, next_path, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(state_hash)
        .bind(nonce)
        .bind(verifier)
        .bind(next_path)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Takes out the sign-in under way with this `state` if it has not expired at `at`: (nonce,
    /// PKCE verifier, path to go to). Once only: a second return with the same state finds
    /// nothing.
    pub async fn take_sign_in_flow(
        &self,
        state_hash: &str,
        at: &str,
    ) -> Result<Option<(String, String, String)>> {
        let row = sqlx::query(
            "DELETE FROM sign_in_flow WHERE state_hash = $1
             RETURNING nonce, verifier, next_path, expires_at",
        )
        .bind(state_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let expires: String = row.try_get("expires_at")?;
        if expires.as_str() < at {
            return Ok(None);
        }
        Ok(Some((
            row.try_get("nonce")?,
            row.try_get("verifier")?,
            row.try_get("next_path")?,
        )))
    }

    /// Replaces an account's password hash and ends all its sessions except `keep` (the
    /// session the change was made in).
    pub async fn set_password(
        &self,
        user_id: &str,
        password_hash: &str,
        keep: Option<&str>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let login: String = sqlx::query(
            "UPDATE app_user SET password_hash = $1, updated_at = $2 WHERE id = $3 RETURNING login",
        )
        .bind(password_hash)
        .bind(now())
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("Benutzerkonto {user_id}")))?
        .try_get("login")?;
        sqlx::query("DELETE FROM user_session WHERE user_id = $1 AND token_hash <> $2")
            .bind(user_id)
            .bind(keep.unwrap_or(""))
            .execute(&mut *tx)
            .await?;
        // The hash itself never goes into the trail.
        let change = Change::new("user.password", format!("Passwort von {login}"));
        record(&mut tx, &self.actor, change).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every account, by login.
    pub async fn users(&self) -> Result<Vec<StoredUser>> {
        let rows = sqlx::query(
            "SELECT id, login, display_name, password_hash, identity_provider, disabled FROM app_user ORDER BY login",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut users = Vec::with_capacity(rows.len());
        for row in &rows {
            users.push(self.user_from(row).await?);
        }
        Ok(users)
    }

    /// Replaces an account's grants within the scopes `manageable` says yes to; grants in other
    /// scopes stay. In one transaction, recorded with before and after.
    pub async fn set_grants(
        &self,
        login: &str,
        grants: &[Grant],
        manageable: impl Fn(&Scope) -> bool,
    ) -> Result<()> {
        let user = self
            .user_by_login(login)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("Das Benutzerkonto „{login}“")))?;
        let mut after: Vec<Grant> = user
            .grants
            .iter()
            .filter(|g| !manageable(&g.scope))
            .cloned()
            .collect();
        after.extend(grants.iter().filter(|g| manageable(&g.scope)).cloned());
        after.sort();
        after.dedup();
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM user_grant WHERE user_id = $1")
            .bind(&user.id)
            .execute(&mut *tx)
            .await?;
        insert_grants(&mut tx, &user.id, &after).await?;
        let change = Change::new("user.grants", format!("Rechte von {login}"))
            .before(serde_json::json!({ "rechte": grants_json(&user.grants) }))
            .after(serde_json::json!({ "rechte": grants_json(&after) }));
        record(&mut tx, &self.actor, change).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Locks (`disabled`) or unlocks an account; locking ends its sessions at once. Returns
    /// whether the account exists.
    pub async fn set_disabled(&self, login: &str, disabled: bool) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let Some(row) = sqlx::query(
            "UPDATE app_user SET disabled = $1, updated_at = $2 WHERE login = $3 RETURNING id",
        )
        .bind(i64::from(disabled))
        .bind(now())
        .bind(login)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(false);
        };
        let id: String = row.try_get("id")?;
        if disabled {
            sqlx::query("DELETE FROM user_session WHERE user_id = $1")
                .bind(&id)
                .execute(&mut *tx)
                .await?;
        }
        let change = Change::new(
            if disabled {
                "user.disable"
            } else {
                "user.enable"
            },
            format!("Benutzerkonto {login}"),
        )
        .after(serde_json::json!({ "gesperrt": disabled }));
        record(&mut tx, &self.actor, change).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Whether any account exists (an installation without one cannot be used yet).
    pub async fn has_users(&self) -> Result<bool> {
        Ok(sqlx::query("SELECT id FROM app_user LIMIT 1")
            .fetch_optional(&self.pool)
            .await?
            .is_some())
    }

    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: &str,
        csrf: &str,
        expires_at: &str,
    ) -> Result<()> {
        let ts = now();
        sqlx::query(
            "INSERT INTO user_session (token_hash, user_id, csrf, created_at, last_seen, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf)
        .bind(&ts)
        .bind(&ts)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The session with this token hash if it has not expired at `now` (RFC 3339) and its account
    /// is not disabled.
    pub async fn session(&self, token_hash: &str, at: &str) -> Result<Option<StoredSession>> {
        let Some(row) = sqlx::query(
            "SELECT u.id, u.login, u.display_name, u.password_hash, u.identity_provider, u.disabled, s.csrf, s.expires_at
             FROM user_session s JOIN app_user u ON u.id = s.user_id
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled = 0",
        )
        .bind(token_hash)
        .bind(at)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        Ok(Some(StoredSession {
            user: self.user_from(&row).await?,
            csrf: row.try_get("csrf")?,
            expires_at: row.try_get("expires_at")?,
        }))
    }

    /// Ends a session (logout); also removes every expired session.
    pub async fn end_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM user_session WHERE token_hash = $1 OR expires_at < $2")
            .bind(token_hash)
            .bind(now())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
