//! Backup and restore: a consistent logical snapshot of the whole database as JSON lines, taken in
//! one read transaction while the server keeps running, and restored into an empty database of
//! either backend in one transaction (so a backup also moves an installation from SQLite to
//! PostgreSQL).
//!
//! The file: a header line (format, version, schema version, backend, time), then per table a line
//! with its columns and their kinds followed by one JSON array per row, then the data version, and
//! a last line with the number of rows and the SHA-256 of everything before it. Bytes are written
//! as hex. A restore checks the checksum, the schema version and the columns before it writes
//! anything, and refuses a database that already holds data.

use std::io::{BufRead, Write};

use futures_util::TryStreamExt;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Backend, Result, Store, StoreError, now};

/// Every table with data, parents before children (the order a restore inserts in). A test
/// checks that this and [`NOT_BACKED_UP`] are exactly the set of tables the migrations create.
pub const TABLES: [&str; 29] = [
    "jobcenter",
    "region",
    "region_coverage",
    "agreement",
    "party",
    "goal_area",
    "indicator",
    "goal",
    "goal_target_month",
    "measure",
    "measure_goal",
    "series_break",
    "source",
    "observation",
    "value_warning",
    "comparison_scheme",
    "comparison_assignment",
    "vorlage",
    "vorlage_file",
    "meeting",
    "agenda_item",
    "decision",
    "action_item",
    "action_update",
    "value_comment",
    "app_user",
    "user_grant",
    "signature",
    "audit_event",
];

/// Tables a backup leaves out: sessions, API tokens, the sign-in key, failed sign-ins, uploads awaiting
/// confirmation and sign-ins under way at an identity provider belong to the running installation.
pub const NOT_BACKED_UP: [&str; 6] = [
    "user_session",
    "sign_in_flow",
    "api_token",
    "server_secret",
    "sign_in_failure",
    "pending_upload",
];

const FORMAT: &str = "zielwerk-backup";
const VERSION: i64 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Integer,
    Double,
    Bytes,
}

impl Kind {
    fn of(declared: &str) -> Option<Kind> {
        match declared.to_ascii_lowercase().as_str() {
            "text" => Some(Kind::Text),
            "integer" | "bigint" => Some(Kind::Integer),
            "double precision" => Some(Kind::Double),
            "bytea" => Some(Kind::Bytes),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Integer => "integer",
            Kind::Double => "double",
            Kind::Bytes => "bytes",
        }
    }
}

/// What a backup or restore covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSummary {
    pub tables: usize,
    pub rows: usize,
    pub sha256: String,
}

fn bad(line: usize, what: impl std::fmt::Display) -> StoreError {
    StoreError::Backup(format!("Zeile {line}: {what}"))
}

impl Store {
    /// The columns of a table with their kinds, in table order.
    async fn columns<'c, E>(&self, exec: E, table: &str) -> Result<Vec<(String, Kind)>>
    where
        E: sqlx::Executor<'c, Database = sqlx::Any>,
    {
        let sql = match self.backend {
            Backend::Sqlite => "SELECT name, type FROM pragma_table_info($1) ORDER BY cid",
            Backend::Postgres => {
                "SELECT column_name::text AS name, data_type::text AS type FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"
            }
        };
        sqlx::query(sql)
            .bind(table)
            .fetch_all(exec)
            .await?
            .iter()
            .map(|r| {
                let name: String = r.try_get("name")?;
                let declared: String = r.try_get("type")?;
                let kind = Kind::of(&declared).ok_or_else(|| StoreError::Corrupt {
                    table: "schema",
                    column: "type",
                    value: format!("{table}.{name}: {declared}"),
                })?;
                Ok((name, kind))
            })
            .collect()
    }

    /// The tables the migrations created (without the migration bookkeeping).
    pub async fn table_names(&self) -> Result<Vec<String>> {
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name"
            }
            Backend::Postgres => {
                "SELECT table_name::text AS name FROM information_schema.tables
                 WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations' ORDER BY table_name"
            }
        };
        sqlx::query(sql)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok(r.try_get("name")?))
            .collect()
    }

    async fn schema_version(&self) -> Result<i64> {
        Ok(
            sqlx::query("SELECT MAX(version) AS v FROM _sqlx_migrations")
                .fetch_one(&self.pool)
                .await?
                .try_get("v")?,
        )
    }

    /// Writes a consistent snapshot of every table to `out`, read in one transaction (a
    /// repeatable-read snapshot on PostgreSQL, a WAL read snapshot on SQLite): writers may go on
    /// meanwhile, the backup sees none of their changes.
    pub async fn backup(&self, out: &mut dyn Write) -> Result<BackupSummary> {
        let schema = self.schema_version().await?;
        let mut hasher = Sha256::new();
        let mut rows = 0usize;
        let mut emit = |line: Value, out: &mut dyn Write| -> Result<()> {
            let mut text = line.to_string();
            text.push('\n');
            hasher.update(text.as_bytes());
            out.write_all(text.as_bytes())
                .map_err(|e| StoreError::Backup(format!("Schreiben fehlgeschlagen: {e}")))
        };
        // A reading transaction: one consistent snapshot, without holding up writers.
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        emit(
            json!({
                "format": FORMAT,
                "version": VERSION,
                "schema": schema,
                "backend": match self.backend { Backend::Sqlite => "sqlite", Backend::Postgres => "postgres" },
                "created": now(),
            }),
            out,
        )?;
        for table in TABLES {
            let columns = self.columns(&mut *tx, table).await?;
            emit(
                json!({
                    "table": table,
                    "columns": columns.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
                    "kinds": columns.iter().map(|(_, k)| k.name()).collect::<Vec<_>>(),
                }),
                out,
            )?;
            let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
            let list = names.join(", ");
            // Ordered by every column: the same data always gives the same file.
            let sql = format!("SELECT {list} FROM {table} ORDER BY {list}");
            // Row by row as the database hands them out: memory stays flat with the table's size.
            let mut stream = sqlx::query(&sql).fetch(&mut *tx);
            while let Some(row) = stream.try_next().await? {
                emit(Value::Array(values(&row, &columns)?), out)?;
                rows += 1;
            }
        }
        let version: i64 = sqlx::query("SELECT version FROM data_version WHERE id = 1")
            .fetch_one(&mut *tx)
            .await?
            .try_get("version")?;
        emit(json!({ "data_version": version }), out)?;
        tx.commit().await?;
        let sha256 = hex::encode(hasher.finalize());
        let trailer =
            json!({ "end": true, "tables": TABLES.len(), "rows": rows, "sha256": sha256 });
        out.write_all(format!("{trailer}\n").as_bytes())
            .map_err(|e| StoreError::Backup(format!("Schreiben fehlgeschlagen: {e}")))?;
        Ok(BackupSummary {
            tables: TABLES.len(),
            rows,
            sha256,
        })
    }

    /// Restores a backup held in memory (see [`Store::restore_from`]).
    pub async fn restore(&self, text: &str) -> Result<BackupSummary> {
        self.restore_from(|| Ok(text.as_bytes())).await
    }

    /// Restores a backup into this database, which must hold no data yet. `open` gives the file
    /// from its start; it is read twice, a line at a time, so memory stays flat with its size:
    /// first everything is checked (checksum, format, schema version), then it is written in one
    /// transaction, checking the columns of each table and the checksum again before the commit.
    /// A restore is complete or leaves nothing behind.
    pub async fn restore_from<R: BufRead>(
        &self,
        mut open: impl FnMut() -> std::io::Result<R>,
    ) -> Result<BackupSummary> {
        let (count, sha256) = checked(open().map_err(unreadable)?)?;
        let schema = self.schema_version().await?;
        {
            let mut lines = Lines::new(open().map_err(unreadable)?);
            let first = lines.next_line()?.unwrap_or_default();
            let header: Value = serde_json::from_str(&first).map_err(|_| bad(1, "kein Kopf"))?;
            if header["schema"].as_i64() != Some(schema) {
                return Err(bad(
                    1,
                    format!(
                        "die Sicherung hat den Datenbankstand {}, diese Datenbank {schema}; stellen Sie sie mit der passenden Zielwerk-Version wieder her",
                        header["schema"]
                    ),
                ));
            }
        }
        let used: i64 = sqlx::query("SELECT COUNT(*) AS n FROM jobcenter")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        if used > 0 {
            return Err(StoreError::Backup(
                "die Zieldatenbank enthält schon Daten; stellen Sie nur in eine leere Datenbank wieder her".into(),
            ));
        }
        let mut lines = Lines::new(open().map_err(unreadable)?);
        let mut hasher = Sha256::new();
        let mut tx = self.begin_write().await?;
        let (mut rows, mut tables, mut data_version) = (0usize, 0usize, None);
        // The rows of the table being read, written a batch at a time.
        let mut current: Option<Batch> = None;
        for line_no in 1..count {
            let line = lines
                .next_line()?
                .ok_or_else(|| bad(line_no, "die Datei ist kürzer geworden"))?;
            hasher.update(line.as_bytes());
            hasher.update(b"\n");
            if line_no == 1 {
                continue;
            }
            if line.starts_with('[') {
                let Some(batch) = current.as_mut() else {
                    return Err(bad(line_no, "eine Zeile ohne Tabelle"));
                };
                batch.push(line_no, &line)?;
                if batch.full() {
                    batch.flush(&mut tx).await?;
                }
                rows += 1;
                continue;
            }
            if let Some(batch) = current.as_mut() {
                batch.flush(&mut tx).await?;
            }
            let meta: Value = serde_json::from_str(&line)
                .map_err(|_| bad(line_no, "keine gültige JSON-Zeile"))?;
            if let Some(v) = meta["data_version"].as_i64() {
                data_version = Some(v);
                continue;
            }
            let table = meta["table"]
                .as_str()
                .filter(|t| TABLES.contains(t))
                .ok_or_else(|| bad(line_no, "unbekannte Tabelle"))?;
            let expected = self.columns(&mut *tx, table).await?;
            let names: Vec<&str> = meta["columns"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if names.len() != expected.len()
                || names.iter().zip(&expected).any(|(a, (b, _))| a != b)
            {
                return Err(bad(
                    line_no,
                    format!("die Spalten der Tabelle {table} passen nicht zu dieser Datenbank"),
                ));
            }
            if table == "region" {
                // The register that the migrations wrote gives way to the one of the backup.
                sqlx::query("DELETE FROM region_coverage")
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM region").execute(&mut *tx).await?;
            }
            tables += 1;
            current = Some(Batch::new(self.backend, table, expected));
        }
        if let Some(batch) = current.as_mut() {
            batch.flush(&mut tx).await?;
        }
        if hex::encode(hasher.finalize()) != sha256 {
            return Err(bad(
                count,
                "die Datei hat sich während der Wiederherstellung verändert",
            ));
        }
        if tables != TABLES.len() {
            return Err(StoreError::Backup(format!(
                "die Sicherung enthält {tables} von {} Tabellen",
                TABLES.len()
            )));
        }
        // Past the backup's version, so no cached page of the old data is taken for current.
        sqlx::query("UPDATE data_version SET version = $1 WHERE id = 1")
            .bind(data_version.unwrap_or(0) + 1)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(BackupSummary {
            tables,
            rows,
            sha256,
        })
    }
}

fn unreadable(e: std::io::Error) -> StoreError {
    StoreError::Backup(format!("die Datei lässt sich nicht lesen: {e}"))
}

/// The lines of a file, one at a time, as `str::lines` splits them.
struct Lines<R> {
    reader: R,
    buf: Vec<u8>,
    line: usize,
}

impl<R: BufRead> Lines<R> {
    fn new(reader: R) -> Self {
        Self {
            reader,
            buf: Vec::new(),
            line: 0,
        }
    }

    fn next_line(&mut self) -> Result<Option<String>> {
        self.buf.clear();
        let n = self
            .reader
            .read_until(b'\n', &mut self.buf)
            .map_err(unreadable)?;
        if n == 0 {
            return Ok(None);
        }
        self.line += 1;
        if self.buf.last() == Some(&b'\n') {
            self.buf.pop();
            if self.buf.last() == Some(&b'\r') {
                self.buf.pop();
            }
        }
        String::from_utf8(std::mem::take(&mut self.buf))
            .map(Some)
            .map_err(|_| bad(self.line, "kein UTF-8-Text"))
    }
}

/// The first pass over a backup: the number of lines and the checksum of all but the last,
/// checked against the last; the header checked by format and version.
fn checked<R: BufRead>(reader: R) -> Result<(usize, String)> {
    let mut lines = Lines::new(reader);
    let mut hasher = Sha256::new();
    let mut previous: Option<String> = None;
    let mut count = 0;
    while let Some(line) = lines.next_line()? {
        count += 1;
        if count == 1 {
            let header: Value = serde_json::from_str(&line).map_err(|_| bad(1, "kein Kopf"))?;
            if header["format"] != FORMAT || header["version"] != VERSION {
                return Err(bad(
                    1,
                    format!("keine Zielwerk-Sicherung im Format {VERSION}"),
                ));
            }
        }
        if let Some(p) = previous.replace(line) {
            hasher.update(p.as_bytes());
            hasher.update(b"\n");
        }
    }
    let Some(last) = previous else {
        return Err(StoreError::Backup(
            "die Datei ist leer; erwartet wird eine Sicherung von „zielwerk backup“".into(),
        ));
    };
    let trailer: Value = serde_json::from_str(&last)
        .map_err(|_| bad(count, "die Abschlusszeile fehlt oder ist beschädigt"))?;
    let sha256 = hex::encode(hasher.finalize());
    if trailer["sha256"].as_str() != Some(sha256.as_str()) {
        return Err(bad(
            count,
            "die Prüfsumme stimmt nicht: die Datei ist unvollständig oder wurde verändert",
        ));
    }
    Ok((count, sha256))
}

/// Values bound per insert statement at most (SQLite allows 32,766, PostgreSQL 65,535).
const BATCH_BINDS: usize = 16_000;
/// Bytes of cells per insert statement at most (files are rows of a few megabytes).
const BATCH_BYTES: usize = 8 << 20;

/// The rows of one table read from a backup, checked line by line and written many per
/// statement.
struct Batch {
    backend: Backend,
    table: String,
    columns: Vec<(String, Kind)>,
    /// Line numbers and cells of the rows not yet written.
    rows: Vec<(usize, Vec<Value>)>,
    bytes: usize,
}

impl Batch {
    fn new(backend: Backend, table: &str, columns: Vec<(String, Kind)>) -> Self {
        Self {
            backend,
            table: table.to_owned(),
            columns,
            rows: Vec::new(),
            bytes: 0,
        }
    }

    /// Checks a row's cells against the table's columns and keeps it.
    fn push(&mut self, line_no: usize, line: &str) -> Result<()> {
        let cells: Vec<Value> =
            serde_json::from_str(line).map_err(|_| bad(line_no, "keine gültige Zeile"))?;
        if cells.len() != self.columns.len() {
            return Err(bad(
                line_no,
                format!("{} Werte statt {}", cells.len(), self.columns.len()),
            ));
        }
        for (cell, (column, kind)) in cells.iter().zip(&self.columns) {
            let fits = match (kind, cell) {
                (_, Value::Null) => true,
                (Kind::Text, Value::String(_)) => true,
                (Kind::Integer, v) => v.as_i64().is_some(),
                (Kind::Double, v) => v.as_f64().is_some(),
                (Kind::Bytes, Value::String(s)) => hex::decode(s).is_ok(),
                _ => false,
            };
            if !fits {
                let table = &self.table;
                return Err(bad(
                    line_no,
                    format!("{table}.{column}: „{cell}“ passt nicht"),
                ));
            }
        }
        self.bytes += line.len();
        self.rows.push((line_no, cells));
        Ok(())
    }

    fn full(&self) -> bool {
        (self.rows.len() + 1) * self.columns.len() > BATCH_BINDS || self.bytes > BATCH_BYTES
    }

    /// Writes the kept rows in one statement.
    async fn flush(&mut self, tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<()> {
        let (Some((first, _)), Some((last, _))) = (self.rows.first(), self.rows.last()) else {
            return Ok(());
        };
        let lines = if first == last {
            format!("Zeile {first}")
        } else {
            format!("Zeilen {first} bis {last}")
        };
        let width = self.columns.len();
        // Positional marks for SQLite: its driver finds a numbered mark by comparing names, which
        // takes the square of the number of values.
        let tuples: Vec<String> = (0..self.rows.len())
            .map(|r| {
                let marks: Vec<String> = (1..=width)
                    .map(|c| match self.backend {
                        Backend::Sqlite => "?".to_owned(),
                        Backend::Postgres => format!("${}", r * width + c),
                    })
                    .collect();
                format!("({})", marks.join(", "))
            })
            .collect();
        let names: Vec<&str> = self.columns.iter().map(|(n, _)| n.as_str()).collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES {}",
            self.table,
            names.join(", "),
            tuples.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for (_, cells) in &self.rows {
            for (cell, (_, kind)) in cells.iter().zip(&self.columns) {
                q = match (kind, cell) {
                    (Kind::Text, Value::String(s)) => q.bind(s.clone()),
                    (Kind::Text, _) => q.bind(None::<String>),
                    (Kind::Integer, v) => q.bind(v.as_i64()),
                    (Kind::Double, v) => q.bind(v.as_f64()),
                    (Kind::Bytes, Value::String(s)) => q.bind(hex::decode(s).ok()),
                    (Kind::Bytes, _) => q.bind(None::<Vec<u8>>),
                };
            }
        }
        // Not kept prepared: sqlx's Any driver types a NULL f64 as float4 for PostgreSQL, and a
        // statement prepared with that type refuses the next non-NULL f64.
        q.persistent(false).execute(&mut **tx).await.map_err(|e| {
            StoreError::Backup(format!(
                "{lines}: Tabelle {} lässt sich nicht schreiben ({e})",
                self.table
            ))
        })?;
        self.rows.clear();
        self.bytes = 0;
        Ok(())
    }
}

fn values(row: &AnyRow, columns: &[(String, Kind)]) -> Result<Vec<Value>> {
    columns
        .iter()
        .map(|(name, kind)| {
            let name = name.as_str();
            Ok(match kind {
                Kind::Text => row
                    .try_get::<Option<String>, _>(name)?
                    .map_or(Value::Null, Value::from),
                Kind::Integer => row
                    .try_get::<Option<i64>, _>(name)?
                    .map_or(Value::Null, Value::from),
                Kind::Double => row
                    .try_get::<Option<f64>, _>(name)?
                    .map_or(Value::Null, Value::from),
                Kind::Bytes => row
                    .try_get::<Option<Vec<u8>>, _>(name)?
                    .map_or(Value::Null, |b| Value::from(hex::encode(b))),
            })
        })
        .collect()
}
