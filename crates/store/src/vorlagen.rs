//! Committee papers: the header text, its edits (with optimistic locking), and the frozen files of
//! a published paper.

use sqlx::Row;
use sqlx::any::AnyRow;
use zielwerk_domain::{AgreementKey, VorlageHeader};

use crate::audit::{Change, record, scoped};
use crate::{Result, Store, StoreError, now};

/// A stored Vorlage.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredVorlage {
    pub id: String,
    pub agreement: AgreementKey,
    pub jobcenter: zielwerk_domain::BaId,
    pub header: VorlageHeader,
    /// Grows with every saved edit; an edit names the revision it started from.
    pub revision: i64,
    pub created_at: String,
    pub updated_at: String,
    /// RFC 3339; `None` while it is a draft.
    pub published_at: Option<String>,
}

/// A file to publish with a Vorlage.
#[derive(Debug, Clone)]
pub struct NewFile {
    /// File name in the download URL, e.g. `vorlage.pdf`.
    pub name: String,
    /// `main`, `derivative` or `anlage`.
    pub role: FileRole,
    pub title: String,
    pub mime_type: String,
    pub content: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRole {
    /// The document itself (PDF).
    Main,
    /// The same document in another format (DOCX).
    Derivative,
    /// An attachment (Anlage).
    Anlage,
}

impl FileRole {
    pub const ALL: [FileRole; 3] = [FileRole::Main, FileRole::Derivative, FileRole::Anlage];

    pub fn as_str(self) -> &'static str {
        match self {
            FileRole::Main => "main",
            FileRole::Derivative => "derivative",
            FileRole::Anlage => "anlage",
        }
    }
}

/// A published file without its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMeta {
    pub vorlage_id: String,
    pub name: String,
    pub role: FileRole,
    pub title: String,
    pub mime_type: String,
    pub size: i64,
    /// Hex SHA-256 of the content.
    pub sha512: String,
    pub created_at: String,
}

fn vorlage_from(row: &AnyRow) -> Result<StoredVorlage> {
    let header: String = row.try_get("header")?;
    Ok(StoredVorlage {
        id: row.try_get("id")?,
        agreement: crate::parse_col("vorlage", "agreement_id", row.try_get("agreement_id")?)?,
        jobcenter: crate::parse_col("vorlage", "jobcenter_id", row.try_get("jobcenter_id")?)?,
        header: crate::documents::vorlage_header(&header)?,
        revision: row.try_get("revision")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        published_at: row.try_get("published_at")?,
    })
}

fn file_from(row: &AnyRow) -> Result<FileMeta> {
    let role: String = row.try_get("role")?;
    Ok(FileMeta {
        vorlage_id: row.try_get("vorlage_id")?,
        name: row.try_get("name")?,
        role: FileRole::ALL
            .into_iter()
            .find(|r| r.as_str() == role)
            .ok_or(StoreError::Corrupt {
                table: "vorlage_file",
                column: "role",
                value: role,
            })?,
        title: row.try_get("title")?,
        mime_type: row.try_get("mime_type")?,
        size: row.try_get("size")?,
        sha512: row.try_get("sha512")?,
        created_at: row.try_get("created_at")?,
    })
}

const VORLAGE_COLUMNS: &str =
    "id, agreement_id, jobcenter_id, header, revision, created_at, updated_at, published_at";
const FILE_COLUMNS: &str =
    "vorlage_id, name, role, title, mime_type, size, sha512, created_at, position";

const VORLAGE_SCOPE: &str =
    "SELECT agreement_id, jobcenter_id, header AS state FROM vorlage WHERE id = $1";

impl Store {
    /// Creates a draft Vorlage for an agreement; returns its id.
    pub async fn create_vorlage(
        &self,
        key: &AgreementKey,
        header: &VorlageHeader,
    ) -> Result<String> {
        let id = uuid::Uuid::now_v7().to_string();
        let ts = now();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO vorlage (id, agreement_id, jobcenter_id, number, header, revision, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, 1, $6, $7)",
        )
        .bind(&id)
        .bind(key.to_string())
        .bind(key.jobcenter.as_str())
        .bind(&header.number)
        .bind(crate::documents::vorlage_header_json(header))
        .bind(&ts)
        .bind(&ts)
        .execute(&mut *tx)
        .await?;
        let change = Change::new("vorlage.create", format!("Vorlage {}", header.number))
            .agreement(key)
            .after(serde_json::to_value(header).unwrap_or_default());
        record(&mut tx, &self.actor, change).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Saves an edited header. `revision` is the revision the edit started from: if someone else
    /// saved in between, nothing is written and the caller gets [`StoreError::Conflict`]. A
    /// published Vorlage cannot be edited. Returns the new revision.
    pub async fn update_vorlage(
        &self,
        id: &str,
        header: &VorlageHeader,
        revision: i64,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let before = scoped(&mut tx, VORLAGE_SCOPE, id).await?;
        let n = sqlx::query(
            "UPDATE vorlage SET header = $1, number = $2, revision = revision + 1, updated_at = $3
             WHERE id = $4 AND revision = $5 AND published_at IS NULL",
        )
        .bind(crate::documents::vorlage_header_json(header))
        .bind(&header.number)
        .bind(now())
        .bind(id)
        .bind(revision)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            tx.rollback().await?;
            return Err(self.why_unchanged(id).await?);
        }
        if let Some(before) = before {
            let change = Change::new("vorlage.edit", format!("Vorlage {}", header.number))
                .scoped(&before)
                .before(before.state)
                .after(serde_json::to_value(header).unwrap_or_default());
            record(&mut tx, &self.actor, change).await?;
        }
        tx.commit().await?;
        Ok(revision + 1)
    }

    /// Why a guarded update of a Vorlage changed no row: gone, published, or edited by someone
    /// else since the caller's revision.
    async fn why_unchanged(&self, id: &str) -> Result<StoreError> {
        Ok(match self.vorlage(id).await? {
            None => StoreError::NotFound(format!("Vorlage {id}")),
            Some(v) if v.published_at.is_some() => StoreError::Published(v.header.number),
            Some(v) => StoreError::Conflict {
                what: format!("Vorlage {}", v.header.number),
                at: v.updated_at,
            },
        })
    }

    pub async fn vorlage(&self, id: &str) -> Result<Option<StoredVorlage>> {
        sqlx::query(&format!(
            "SELECT {VORLAGE_COLUMNS} FROM vorlage WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(vorlage_from)
        .transpose()
    }

    /// The Vorlagen of an agreement, newest first.
    pub async fn vorlagen(&self, key: &AgreementKey) -> Result<Vec<StoredVorlage>> {
        sqlx::query(&format!(
            "SELECT {VORLAGE_COLUMNS} FROM vorlage WHERE agreement_id = $1 ORDER BY created_at DESC"
        ))
        .bind(key.to_string())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(vorlage_from)
        .collect()
    }

    /// Every published Vorlage, oldest publication first (the order OParl lists them in).
    pub async fn published_vorlagen(&self) -> Result<Vec<StoredVorlage>> {
        sqlx::query(&format!(
            "SELECT {VORLAGE_COLUMNS} FROM vorlage WHERE published_at IS NOT NULL ORDER BY published_at, id"
        ))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(vorlage_from)
        .collect()
    }

    /// Publishes a draft with its files, in one transaction: afterwards the header and files are
    /// frozen. Fails with [`StoreError::Conflict`] if the draft changed since `revision`.
    pub async fn publish_vorlage(&self, id: &str, revision: i64, files: &[NewFile]) -> Result<()> {
        use sha2::Digest;
        let ts = now();
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE vorlage SET published_at = $1, updated_at = $2
             WHERE id = $3 AND revision = $4 AND published_at IS NULL",
        )
        .bind(&ts)
        .bind(&ts)
        .bind(id)
        .bind(revision)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            tx.rollback().await?;
            return Err(self.why_unchanged(id).await?);
        }
        for (position, f) in files.iter().enumerate() {
            let digest = sha2::Sha512::digest(&f.content);
            let hex = hex::encode(digest);
            sqlx::query(
                "INSERT INTO vorlage_file (vorlage_id, name, role, position, title, mime_type, size, sha512, content, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(id)
            .bind(&f.name)
            .bind(f.role.as_str())
            .bind(position as i64)
            .bind(&f.title)
            .bind(&f.mime_type)
            .bind(f.content.len() as i64)
            .bind(hex)
            .bind(f.content.clone())
            .bind(&ts)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(v) = scoped(&mut tx, VORLAGE_SCOPE, id).await? {
            let files: Vec<_> = files
                .iter()
                .map(|f| serde_json::json!({"datei": f.name, "bytes": f.content.len()}))
                .collect();
            let number: String = sqlx::query_scalar("SELECT number FROM vorlage WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            let change = Change::new("vorlage.publish", format!("Vorlage {number}"))
                .scoped(&v)
                .after(serde_json::json!({"veroeffentlicht": ts, "dateien": files}));
            record(&mut tx, &self.actor, change).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The published files of a Vorlage, in publication order.
    pub async fn vorlage_files(&self, id: &str) -> Result<Vec<FileMeta>> {
        sqlx::query(&format!(
            "SELECT {FILE_COLUMNS} FROM vorlage_file WHERE vorlage_id = $1 ORDER BY position"
        ))
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(file_from)
        .collect()
    }

    /// One published file with its content.
    pub async fn vorlage_file(&self, id: &str, name: &str) -> Result<Option<(FileMeta, Vec<u8>)>> {
        let Some(row) = sqlx::query(&format!(
            "SELECT {FILE_COLUMNS}, content FROM vorlage_file WHERE vorlage_id = $1 AND name = $2"
        ))
        .bind(id)
        .bind(name)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        Ok(Some((file_from(&row)?, row.try_get("content")?)))
    }
}
