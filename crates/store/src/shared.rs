//! State the server processes on one database share: the sign-in form's signing key, failed
//! sign-ins, and uploads awaiting confirmation (see `migrations/0006_shared_state.sql`).
//!
//! None of these writes moves the data version: they change no page.

use sqlx::Row;

use crate::{Result, Store, now};

/// An upload awaiting its confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingUpload {
    pub file_name: String,
    pub mapping: String,
    pub content: Vec<u8>,
}

/// A key's failed sign-ins: how many, and the last one (milliseconds since 1970).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    pub count: u32,
    pub last_ms: i64,
}

impl Store {
    /// The installation's secret: the first process that asks stores `candidate`, every later
    /// one (in any process) gets that same value.
    pub async fn server_secret(&self, candidate: &str) -> Result<String> {
        sqlx::query(
            "INSERT INTO server_secret (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
        )
        .bind(candidate)
        .execute(&self.pool)
        .await?;
        Ok(sqlx::query("SELECT secret FROM server_secret WHERE id = 1")
            .fetch_one(&self.pool)
            .await?
            .try_get("secret")?)
    }

    /// The failed sign-ins counted against `key`, if any.
    pub async fn sign_in_failures(&self, key: &str) -> Result<Option<Failures>> {
        let row =
            sqlx::query("SELECT failures, last_at FROM sign_in_failure WHERE throttle_key = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| {
            Ok(Failures {
                count: u32::try_from(r.try_get::<i64, _>("failures")?).unwrap_or(u32::MAX),
                last_ms: r.try_get("last_at")?,
            })
        })
        .transpose()
    }

    /// Counts one more failed sign-in against each of `keys` at `now_ms`, and forgets keys
    /// that have been quiet for a day.
    pub async fn add_sign_in_failure(&self, keys: &[&str], now_ms: i64) -> Result<()> {
        for key in keys {
            sqlx::query(
                "INSERT INTO sign_in_failure (throttle_key, failures, last_at) VALUES ($1, 1, $2)
                 ON CONFLICT (throttle_key) DO UPDATE
                 SET failures = sign_in_failure.failures + 1, last_at = excluded.last_at",
            )
            .bind(*key)
            .bind(now_ms)
            .execute(&self.pool)
            .await?;
        }
        sqlx::query("DELETE FROM sign_in_failure WHERE last_at < $1")
            .bind(now_ms - 86_400_000)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Forgets the failed sign-ins of `key` (after a successful one).
    pub async fn clear_sign_in_failures(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM sign_in_failure WHERE throttle_key = $1")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Keeps `upload` under `token` for the session `session_hash` until it is confirmed. Each
    /// session keeps its newest `per_session`; all sessions together at most `total_bytes`
    /// (the oldest go first, but the newest always stays).
    pub async fn put_pending_upload(
        &self,
        session_hash: &str,
        token: &str,
        upload: &PendingUpload,
        per_session: usize,
        total_bytes: usize,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO pending_upload (token, session_hash, file_name, mapping, size, created_at, content)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(token)
        .bind(session_hash)
        .bind(&upload.file_name)
        .bind(&upload.mapping)
        .bind(i64::try_from(upload.content.len()).unwrap_or(i64::MAX))
        .bind(now())
        .bind(upload.content.as_slice())
        .execute(&mut *tx)
        .await?;
        let rows = sqlx::query(
            "SELECT token, session_hash, size FROM pending_upload ORDER BY created_at DESC, token",
        )
        .fetch_all(&mut *tx)
        .await?;
        let (mut own, mut bytes) = (0usize, 0usize);
        for (i, r) in rows.iter().enumerate() {
            let other: String = r.try_get("token")?;
            let size = usize::try_from(r.try_get::<i64, _>("size")?).unwrap_or(usize::MAX);
            let mine = r.try_get::<String, _>("session_hash")? == session_hash;
            own += usize::from(mine);
            bytes = bytes.saturating_add(size);
            if i > 0 && ((mine && own > per_session) || bytes > total_bytes) {
                sqlx::query("DELETE FROM pending_upload WHERE token = $1")
                    .bind(other)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Takes the upload kept under `token` for `session_hash` (once: it is gone afterwards).
    pub async fn take_pending_upload(
        &self,
        session_hash: &str,
        token: &str,
    ) -> Result<Option<PendingUpload>> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT file_name, mapping, content FROM pending_upload WHERE token = $1 AND session_hash = $2",
        )
        .bind(token)
        .bind(session_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let deleted = sqlx::query("DELETE FROM pending_upload WHERE token = $1")
            .bind(token)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        if deleted == 0 {
            // Another process confirmed it in between.
            return Ok(None);
        }
        Ok(Some(PendingUpload {
            file_name: row.try_get("file_name")?,
            mapping: row.try_get("mapping")?,
            content: row.try_get("content")?,
        }))
    }
}
