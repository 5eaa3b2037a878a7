//! Personal API tokens. The store keeps the SHA-256 of a token, never the token; it is made
//! and hashed by the application core, which also decides what a token may do.
//!
//! Creating and revoking a token are in the audit trail (who gave which system access, and
//! when it ended); using one is not a change and is only noted in `last_used_at`.

use sqlx::Row;
use zielwerk_domain::BaId;

use crate::audit::{Change, record};
use crate::users::StoredUser;
use crate::{Result, Store, StoreError, now, parse_col};

/// A token as stored (without its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredToken {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub read_only: bool,
    pub jobcenter: Option<BaId>,
    /// RFC 3339 (UTC).
    pub created_at: String,
    pub expires_at: String,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
}

/// What a new token is to be.
#[derive(Debug, Clone)]
pub struct NewToken<'a> {
    pub user_id: &'a str,
    pub login: &'a str,
    pub name: &'a str,
    pub token_hash: &'a str,
    pub read_only: bool,
    pub jobcenter: Option<&'a BaId>,
    pub expires_at: &'a str,
}

const COLUMNS: &str =
    "id, user_id, name, read_only, jobcenter_id, created_at, expires_at, revoked_at, last_used_at";
/// [`COLUMNS`] of the token in a join (`t`).
const JOINED_COLUMNS: &str = "t.id, t.user_id, t.name, t.read_only, t.jobcenter_id, t.created_at, t.expires_at, t.revoked_at, t.last_used_at";

fn token_from(r: &sqlx::any::AnyRow) -> Result<StoredToken> {
    Ok(StoredToken {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        name: r.try_get("name")?,
        read_only: r.try_get::<i64, _>("read_only")? != 0,
        jobcenter: r
            .try_get::<Option<String>, _>("jobcenter_id")?
            .map(|j| parse_col("api_token", "jobcenter_id", j))
            .transpose()?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        revoked_at: r.try_get("revoked_at")?,
        last_used_at: r.try_get("last_used_at")?,
    })
}

impl Store {
    /// Stores a new token and records it in the audit trail; returns it as stored.
    pub async fn create_token(&self, t: &NewToken<'_>) -> Result<StoredToken> {
        let id = uuid::Uuid::now_v7().to_string();
        let created_at = now();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO api_token (id, user_id, name, token_hash, read_only, jobcenter_id, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(t.user_id)
        .bind(t.name)
        .bind(t.token_hash)
        .bind(i64::from(t.read_only))
        .bind(t.jobcenter.map(BaId::to_string))
        .bind(&created_at)
        .bind(t.expires_at)
        .execute(&mut *tx)
        .await?;
        let mut change = Change::new(
            "token.create",
            format!("API-Schlüssel „{}“ von {}", t.name, t.login),
        )
        .after(serde_json::json!({
            "name": t.name,
            "nur_lesen": t.read_only,
            "jobcenter": t.jobcenter.map(BaId::as_str),
            "gueltig_bis": t.expires_at,
        }));
        if let Some(j) = t.jobcenter {
            change = change.jobcenter(j);
        }
        record(&mut tx, &self.actor, change).await?;
        tx.commit().await?;
        Ok(StoredToken {
            id,
            user_id: t.user_id.to_owned(),
            name: t.name.to_owned(),
            read_only: t.read_only,
            jobcenter: t.jobcenter.cloned(),
            created_at,
            expires_at: t.expires_at.to_owned(),
            revoked_at: None,
            last_used_at: None,
        })
    }

    /// A user's tokens, newest first (revoked and expired ones too, for the list).
    pub async fn tokens(&self, user_id: &str) -> Result<Vec<StoredToken>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM api_token WHERE user_id = $1 ORDER BY created_at DESC, id DESC"
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(token_from)
        .collect()
    }

    /// Revokes a token of `user_id` (from that moment it authenticates nothing) and records it.
    /// A token of someone else is not found; revoking twice changes nothing.
    pub async fn revoke_token(&self, user_id: &str, id: &str) -> Result<StoredToken> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM api_token WHERE id = $1 AND user_id = $2"
        ))
        .bind(id)
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("API-Schlüssel {id}")))?;
        let mut token = token_from(&row)?;
        if token.revoked_at.is_none() {
            let at = now();
            sqlx::query("UPDATE api_token SET revoked_at = $1 WHERE id = $2")
                .bind(&at)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let mut change = Change::new("token.revoke", format!("API-Schlüssel „{}“", token.name))
                .after(serde_json::json!({ "widerrufen": at }));
            if let Some(j) = &token.jobcenter {
                change = change.jobcenter(j);
            }
            record(&mut tx, &self.actor, change).await?;
            token.revoked_at = Some(at);
        }
        tx.commit().await?;
        Ok(token)
    }

    /// The token with this hash and its owner, if it is neither revoked nor expired at `at`
    /// (RFC 3339) and its owner's account is not locked; notes the use.
    pub async fn token_by_hash(
        &self,
        token_hash: &str,
        at: &str,
    ) -> Result<Option<(StoredToken, StoredUser)>> {
        let Some(row) = sqlx::query(&format!(
            "SELECT {JOINED_COLUMNS} FROM api_token t JOIN app_user u ON u.id = t.user_id
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2
               AND u.disabled = 0"
        ))
        .bind(token_hash)
        .bind(at)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let token = token_from(&row)?;
        let Some(user) = self.user_by_id(&token.user_id).await? else {
            return Ok(None);
        };
        // A note, not a change: no audit event, no new data version (cached pages stay), and at
        // most once a minute, so that a busy integration does not write on every read.
        let stale = chrono::DateTime::parse_from_rfc3339(at)
            .map(|t| {
                (t - chrono::Duration::minutes(1))
                    .to_utc()
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
            })
            .unwrap_or_default();
        // Best effort: a read is not refused because the note could not be written (another
        // writer holding the database).
        if token.last_used_at.as_deref().is_none_or(|l| *l < *stale)
            && let Err(e) = sqlx::query("UPDATE api_token SET last_used_at = $1 WHERE id = $2")
                .bind(at)
                .bind(&token.id)
                .execute(&self.pool)
                .await
        {
            tracing::warn!(error = %e, "API token: last use not noted");
        }
        Ok(Some((token, user)))
    }
}

#[cfg(test)]
mod tests {
    /// The join names the same columns, in the same order.
    #[test]
    fn joined_columns_are_the_columns() {
        let prefixed: Vec<String> = super::COLUMNS
            .split(", ")
            .map(|c| format!("t.{c}"))
            .collect();
        assert_eq!(super::JOINED_COLUMNS, prefixed.join(", "));
    }
}
