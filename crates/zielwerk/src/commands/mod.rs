//! One module per command of `zielwerk`: its arguments (clap) and what it does. Each command
//! translates: it parses its arguments, calls the library crates (the application core for
//! operations a person does), and writes German lines. Shared here: the database argument and
//! opening the store, reading and writing files.

pub mod agreement;
pub mod audit;
pub mod backtest;
pub mod backup;
pub mod demo;
pub mod figures;
pub mod groups;
pub mod import;
pub mod records;
pub mod report;
pub mod serve;
pub mod token;
pub mod user;

use anyhow::{Context, Result};
use zielwerk_domain::AgreementKey;
use zielwerk_store::Store;

#[derive(clap::Args, Clone)]
pub struct DbArg {
    /// Datenbank: Pfad einer SQLite-Datei (wird angelegt), sqlite://… oder postgres://…
    #[arg(long, env = "ZIELWERK_DB", default_value = "./zielwerk.db")]
    pub db: String,
}

#[derive(clap::Args, Clone)]
pub struct BindArg {
    /// Adresse und Port, auf denen der Server lauscht.
    #[arg(long, env = "ZIELWERK_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
}

/// Opens the database; writes from the command line are recorded for the operating-system user.
pub async fn open(db: &str) -> Result<Store> {
    let store = Store::open(db).await.with_context(|| {
        format!(
            "Datenbank „{}“ lässt sich nicht öffnen",
            zielwerk_store::redact(db)
        )
    })?;
    let user = std::env::var("USER").unwrap_or_else(|_| "unbekannt".into());
    Ok(store.acting_as(&format!("Kommandozeile ({user})")))
}

/// A text file (agreement, mapping), with a German message for what goes wrong: the
/// operating system's English ("stream did not contain valid UTF-8") never reaches the user.
pub fn read_text(file: &std::path::Path) -> Result<String> {
    std::fs::read_to_string(file).map_err(|e| unreadable(file, &e))
}

/// A file opened for reading a line at a time (a backup), with the same German messages.
pub fn open_lines(file: &std::path::Path) -> Result<std::io::BufReader<std::fs::File>> {
    let f = std::fs::File::open(file).map_err(|e| unreadable(file, &e))?;
    if f.metadata().is_ok_and(|m| m.is_dir()) {
        anyhow::bail!("{} ist ein Verzeichnis, keine Datei", file.display());
    }
    Ok(std::io::BufReader::new(f))
}

fn unreadable(file: &std::path::Path, e: &std::io::Error) -> anyhow::Error {
    let why = match e.kind() {
        std::io::ErrorKind::NotFound => "gibt es nicht",
        std::io::ErrorKind::PermissionDenied => "darf nicht gelesen werden",
        std::io::ErrorKind::InvalidData => {
            "ist kein UTF-8-Text; speichern Sie die Datei mit der Kodierung UTF-8"
        }
        std::io::ErrorKind::IsADirectory => "ist ein Verzeichnis, keine Datei",
        _ => "lässt sich nicht lesen",
    };
    anyhow::anyhow!("{} {why}", file.display())
}

/// An agreement file, parsed and checked.
pub fn read_agreement(file: &std::path::Path) -> Result<zielwerk_domain::Agreement> {
    let source = read_text(file)?;
    Ok(zielwerk_ingest::parse(
        &file.display().to_string(),
        &source,
    )?)
}

/// `--stand JJJJ-MM`.
pub fn month_arg(s: &Option<String>) -> Result<Option<zielwerk_domain::YearMonth>> {
    s.as_deref()
        .map(|m| {
            m.parse()
                .map_err(|e| anyhow::anyhow!("--stand „{m}“: {e} (erwartet JJJJ-MM)"))
        })
        .transpose()
}

/// An agreement id as typed.
pub fn agreement_key(id: &str) -> Result<AgreementKey> {
    id.parse()
        .map_err(|_| anyhow::anyhow!("Kennung „{id}“ ist ungültig (erwartet z. B. t36402-2022-v1)"))
}

/// Writes `bytes` to `path` and says so.
pub fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes)
        .with_context(|| format!("{} lässt sich nicht schreiben", path.display()))?;
    eprintln!(
        "{} geschrieben ({})",
        path.display(),
        zielwerk_domain::format::bytes(bytes.len() as u64)
    );
    Ok(())
}
