//! `zielwerk backup` and `zielwerk restore`.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use zielwerk_store::Store;

use super::{DbArg, open, open_lines};

/// Schreibt eine konsistente Sicherung der ganzen Datenbank, auch während der Server läuft.
#[derive(clap::Args)]
pub struct BackupArgs {
    /// Sicherungsdatei (wird neu angelegt; eine vorhandene Datei wird nicht überschrieben).
    #[arg(long, short)]
    output: PathBuf,
    #[command(flatten)]
    db: DbArg,
}

/// Stellt eine Sicherung in eine leere Datenbank wieder her (SQLite oder PostgreSQL).
#[derive(clap::Args)]
pub struct RestoreArgs {
    /// Sicherungsdatei von „zielwerk backup“.
    file: PathBuf,
    #[command(flatten)]
    db: DbArg,
}

pub async fn run_backup(a: BackupArgs) -> Result<()> {
    let store = open(&a.db.db).await?;
    backup(&store, &a.output).await
}

pub async fn run_restore(a: RestoreArgs) -> Result<()> {
    let store = open(&a.db.db).await?;
    // Opened once here for a German message if it cannot be; the store reads it twice.
    open_lines(&a.file)?;
    let file = &a.file;
    let s = store
        .restore_from(|| std::fs::File::open(file).map(std::io::BufReader::new))
        .await
        .with_context(|| format!("{} lässt sich nicht wiederherstellen", a.file.display()))?;
    eprintln!(
        "{} wiederhergestellt: {} Tabellen, {} Zeilen (SHA-256 {})",
        a.file.display(),
        s.tables,
        s.rows,
        s.sha256
    );
    Ok(())
}

/// Writes the backup to a temporary file beside `path` and renames it when complete, so a failed
/// backup never leaves a file that looks whole.
async fn backup(store: &Store, path: &std::path::Path) -> Result<()> {
    if path.exists() {
        bail!(
            "{} gibt es schon; wählen Sie einen neuen Dateinamen",
            path.display()
        );
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("{} ist nicht beschreibbar", dir.display()))?;
    let mut out = std::io::BufWriter::new(tmp);
    let s = store.backup(&mut out).await?;
    let tmp = out
        .into_inner()
        .map_err(|e| anyhow::anyhow!("{} lässt sich nicht schreiben: {e}", path.display()))?;
    tmp.as_file().sync_all()?;
    tmp.persist_noclobber(path)
        .map_err(|e| anyhow::anyhow!("{} lässt sich nicht anlegen: {}", path.display(), e.error))?;
    eprintln!(
        "Sicherung {} geschrieben: {} Tabellen, {} Zeilen (SHA-256 {})",
        path.display(),
        s.tables,
        s.rows,
        s.sha256
    );
    Ok(())
}
