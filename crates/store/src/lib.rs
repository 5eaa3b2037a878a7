//! The storage boundary. Only this crate speaks SQL.
//!
//! One schema and one set of queries serve SQLite (embedded default) and PostgreSQL (server
//! installations), through `sqlx::Any`: the SQL stays portable (see `migrations/`), and placeholders are
//! written `$1, $2, …` in order of appearance, which both backends accept. Every write that
//! touches more than one row runs in a transaction: an agreement is saved whole or not at all,
//! and a batch of values is recorded whole or not at all.

mod agreements;
mod audit;
mod backup;
mod documents;
mod drafting;
mod groupings;
mod meetings;
mod observations;
mod shared;
mod signing;
mod tokens;
mod users;
mod vorlagen;

use std::str::FromStr;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Row};

pub use agreements::{AgreementSummary, SaveOutcome};
pub use audit::{AuditCheck, AuditEvent, GENESIS};
pub use backup::{BackupSummary, NOT_BACKED_UP, TABLES};
pub use drafting::Element;
pub use groupings::{AssignedGroup, StoredGrouping};
pub use meetings::{
    ActionFilter, ActionUpdate, AgendaKind, NewAgendaItem, StoredAction, StoredAgendaItem,
    StoredComment, StoredDecision, StoredMeeting,
};
pub use observations::{
    AcrossValue, CurrentValue, KEPT_FINAL_LISTED, KeptFinal, RecordOutcome, Recording, ValueCheck,
    ValueWarning,
};
pub use shared::{Failures, PendingUpload};
pub use signing::{StoredSignature, content_digest};
pub use tokens::{NewToken, StoredToken};
pub use users::{StoredSession, StoredUser};
pub use vorlagen::{FileMeta, FileRole, NewFile, StoredVorlage};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    // The sources are not repeated in the messages: callers print the chain.
    #[error("Datenbankfehler")]
    Database(sqlx::Error),
    /// Another write held the database for longer than the wait allows (SQLite's single writer,
    /// or a PostgreSQL serialisation failure or deadlock). Nothing was written; trying again
    /// shortly succeeds.
    #[error(
        "Die Datenbank ist gerade durch einen anderen Schreibvorgang belegt; es wurde nichts gespeichert. Bitte versuchen Sie es in einigen Sekunden erneut"
    )]
    Busy(sqlx::Error),
    #[error("Datenbank-Migration fehlgeschlagen")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error(
        "Die Vereinbarung {0} ist unterzeichnet und kann nicht überschrieben werden; legen Sie eine neue Version an"
    )]
    SignedAgreement(String),
    /// A value that is not a finite number (a backup could not hold it, and no page can show it).
    #[error("Der Wert für {0} ist keine endliche Zahl und wird nicht gespeichert")]
    NotFinite(String),
    #[error("Das Jobcenter {0} ist nicht bekannt; importieren Sie zuerst seine Vereinbarung")]
    UnknownJobcenter(String),
    #[error("Die Region {0} steht nicht im Regionsregister")]
    UnknownRegion(String),
    #[error("Ungültiger Wert in der Datenbank ({table}.{column}): „{value}“")]
    Corrupt {
        table: &'static str,
        column: &'static str,
        value: String,
    },
    #[error(
        "Nicht unterstützte Datenbankadresse „{0}“: erwartet wird ein Dateipfad, sqlite://… oder postgres://…"
    )]
    UnsupportedUrl(String),
    #[error("{0} gibt es nicht")]
    NotFound(String),
    #[error(
        "{what} wurde inzwischen von jemand anderem geändert ({at}); laden Sie die Seite neu und übernehmen Sie Ihre Änderungen erneut"
    )]
    Conflict { what: String, at: String },
    #[error("Die Vorlage {0} ist veröffentlicht und kann nicht mehr geändert werden")]
    Published(String),
    #[error("Sicherung: {0}")]
    Backup(String),
    #[error("{0} gibt es schon")]
    Exists(String),
    #[error(
        "Die Vereinbarung {0} ist noch nicht von allen Parteien unterzeichnet; ändern Sie sie direkt statt mit einem Nachtrag"
    )]
    NotSigned(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        let busy = match &e {
            // SQLITE_BUSY, SQLITE_LOCKED (with their extended codes); PostgreSQL's
            // serialization_failure, deadlock_detected and lock_not_available.
            sqlx::Error::Database(d) => d.code().is_some_and(|c| {
                let c = c.as_ref();
                matches!(c, "5" | "6" | "40001" | "40P01" | "55P03")
                    || c.parse::<i32>().is_ok_and(|n| matches!(n & 0xff, 5 | 6))
            }),
            sqlx::Error::PoolTimedOut => true,
            _ => false,
        };
        if busy {
            StoreError::Busy(e)
        } else {
            StoreError::Database(e)
        }
    }
}

impl StoreError {
    /// Whether the database failed (not the request): worth logging with its whole chain.
    pub fn is_fault(&self) -> bool {
        matches!(
            self,
            StoreError::Database(_)
                | StoreError::Busy(_)
                | StoreError::Migration(_)
                | StoreError::Corrupt { .. }
        )
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A handle on the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    /// The same database through its typed driver, for what `sqlx::Any` cannot reach: the
    /// recordings of values write through it (PostgreSQL's `COPY`, SQLite's statements without
    /// the Any driver's conversions). Connects on first use.
    bulk: Bulk,
    backend: Backend,
    /// Who the writes through this handle are recorded for in the audit trail.
    actor: std::sync::Arc<str>,
}

impl std::fmt::Debug for Store {
    /// Never prints connection details: a URL may carry a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .field("actor", &self.actor)
            .finish_non_exhaustive()
    }
}

/// A pool on a backend's typed driver (see [`Store`]).
#[derive(Clone)]
pub(crate) enum Bulk {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// Connections of the typed pool: a recording takes one, and recordings take turns anyway.
const BULK_CONNECTIONS: u32 = 2;

impl Bulk {
    /// A pool on `url` that connects when it is first used, set up like the Any pool's
    /// connections.
    fn lazy(backend: Backend, url: &str) -> Result<Self> {
        Ok(match backend {
            Backend::Sqlite => {
                let connect = SQLITE_PRAGMAS.iter().fold(
                    sqlx::sqlite::SqliteConnectOptions::from_str(url)?.disable_statement_logging(),
                    |options, (key, value)| options.pragma(*key, *value),
                );
                Bulk::Sqlite(
                    sqlx::pool::PoolOptions::new()
                        .max_connections(BULK_CONNECTIONS)
                        .connect_lazy_with(connect),
                )
            }
            Backend::Postgres => {
                let connect =
                    sqlx::postgres::PgConnectOptions::from_str(url)?.disable_statement_logging();
                Bulk::Postgres(
                    sqlx::pool::PoolOptions::new()
                        .max_connections(BULK_CONNECTIONS)
                        .connect_lazy_with(connect),
                )
            }
        })
    }

    async fn close(&self) {
        match self {
            Bulk::Sqlite(pool) => pool.close().await,
            Bulk::Postgres(pool) => pool.close().await,
        }
    }

    /// [`Store::begin_write`] on the typed driver.
    pub(crate) async fn begin_write(&self) -> Result<BulkTx> {
        Ok(match self {
            Bulk::Sqlite(pool) => BulkTx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Bulk::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                for lock in PG_WRITE_LOCK {
                    sqlx::query(lock).execute(&mut *tx).await?;
                }
                BulkTx::Postgres(tx)
            }
        })
    }
}

/// A write transaction on a backend's typed driver.
pub(crate) enum BulkTx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl BulkTx {
    pub(crate) fn backend(&self) -> Backend {
        match self {
            BulkTx::Sqlite(_) => Backend::Sqlite,
            BulkTx::Postgres(_) => Backend::Postgres,
        }
    }
}

/// How every SQLite connection is set up, through either driver. Foreign keys are per
/// connection in SQLite; WAL lets readers run while a writer commits, which the server relies
/// on; a writer waits up to 30 s for another to finish (imports of a few hundred thousand rows
/// take that long) before giving up.
const SQLITE_PRAGMAS: [(&str, &str); 4] = [
    ("foreign_keys", "ON"),
    ("journal_mode", "WAL"),
    ("synchronous", "NORMAL"),
    ("busy_timeout", "30000"),
];

/// What a writer on PostgreSQL runs first (see [`Store::begin_write`]).
const PG_WRITE_LOCK: [&str; 2] = [
    "SET LOCAL lock_timeout = '30s'",
    "SELECT version FROM data_version WHERE id = 1 FOR UPDATE",
];

/// Turns the `--db` argument into a backend and connection URL: a plain path means an SQLite
/// file, created if missing.
pub fn database_url(db: &str) -> Result<(Backend, String)> {
    if db.starts_with("sqlite:") {
        Ok((Backend::Sqlite, db.to_owned()))
    } else if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        Ok((Backend::Postgres, db.to_owned()))
    } else if db.contains("://") {
        Err(StoreError::UnsupportedUrl(redact(db)))
    } else {
        Ok((Backend::Sqlite, format!("sqlite://{db}?mode=rwc")))
    }
}

/// A URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl Store {
    /// Opens the database at `db` (a path or URL, see [`database_url`]) and brings its schema up
    /// to date.
    pub async fn open(db: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let (backend, url) = database_url(db)?;
        let options = AnyConnectOptions::from_str(&url)?.disable_statement_logging();
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        for (key, value) in SQLITE_PRAGMAS {
                            sqlx::query(&format!("PRAGMA {key} = {value}"))
                                .execute(&mut *conn)
                                .await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self {
            pool,
            bulk: Bulk::lazy(backend, &url)?,
            backend,
            actor: "System".into(),
        })
    }

    /// The same database, with writes recorded in the audit trail as made by `actor` (a user's
    /// login and name, or the command line with the operating-system user).
    pub fn acting_as(&self, actor: &str) -> Store {
        Store {
            actor: actor.into(),
            ..self.clone()
        }
    }

    pub fn actor(&self) -> &str {
        &self.actor
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn close(&self) {
        self.pool.close().await;
        self.bulk.close().await;
    }

    /// Starts a transaction that will write; writers take turns, on both backends and across
    /// processes, waiting up to 30 s for the one before.
    ///
    /// On SQLite the write lock is taken at once (`BEGIN IMMEDIATE`): a transaction that reads
    /// first and writes later would otherwise fail as soon as another had committed in between
    /// (SQLite cannot move a reader's snapshot forward). On PostgreSQL the row of
    /// `data_version` is locked first: two imports of the same month would otherwise both find
    /// no current value and both insert one. Every statement after the lock sees what the
    /// writer before committed.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                for lock in PG_WRITE_LOCK {
                    sqlx::query(lock).execute(&mut *tx).await?;
                }
                tx
            }
        })
    }

    /// On SQLite, writes everything from the write-ahead log into the database file and empties
    /// the log, so that the file alone holds the data (someone copying `zielwerk.db` gets it
    /// all). Nothing to do on PostgreSQL.
    pub async fn checkpoint(&self) -> Result<()> {
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// A number that grows with every committed write, from any process. Equal numbers mean
    /// equal data.
    pub async fn data_version(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT version FROM data_version WHERE id = 1")
            .fetch_one(&self.pool)
            .await?
            .try_get("version")?)
    }
}

/// The statement that marks a write inside a transaction (see [`Store::data_version`]).
pub(crate) const BUMP_VERSION: &str = "UPDATE data_version SET version = version + 1 WHERE id = 1";

pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

pub(crate) fn parse_col<T: FromStr>(
    table: &'static str,
    column: &'static str,
    value: String,
) -> Result<T> {
    value.parse().map_err(|_| StoreError::Corrupt {
        table,
        column,
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            database_url("./z.db").unwrap(),
            (Backend::Sqlite, "sqlite://./z.db?mode=rwc".into())
        );
        assert_eq!(
            database_url("postgres://u:p@h/db").unwrap().0,
            Backend::Postgres
        );
        assert_eq!(
            database_url("mysql://u:geheim@h/db")
                .unwrap_err()
                .to_string(),
            "Nicht unterstützte Datenbankadresse „mysql://u:***@h/db“: erwartet wird ein Dateipfad, sqlite://… oder postgres://…"
        );
        assert_eq!(
            redact("postgres://u:geheim@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
    }
}
