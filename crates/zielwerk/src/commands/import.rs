//! `zielwerk import`: monthly values from a file, all or nothing.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use zielwerk_store::Store;

use super::{DbArg, open, read_text};

/// Importiert Monatswerte: eine CSV-Datei im Langformat, oder mit --mapping jede andere
/// Form (breite Tabellen, Kategorienlisten, Haushaltsgrößen, Arbeitsmappen XLSX/ODS der
/// BA). Eine Datei mit Fehlern wird ganz abgelehnt; es bleibt nichts halb gespeichert.
#[derive(clap::Args)]
pub struct Args {
    /// Die Datei (.csv, .txt, .xlsx, .xlsm, .xls, .ods).
    file: PathBuf,
    /// Zuordnungsdatei für Dateien in anderer Form (breite Tabellen, Kategorienlisten,
    /// Haushaltsgrößen); siehe docs/import-mapping.md und mappings/.
    #[arg(long)]
    mapping: Option<PathBuf>,
    #[command(flatten)]
    db: DbArg,
}

pub async fn run(a: Args) -> Result<()> {
    let store = open(&a.db.db).await?;
    import(&store, &a.file, a.mapping.as_deref()).await
}

async fn import(
    store: &Store,
    path: &std::path::Path,
    mapping: Option<&std::path::Path>,
) -> Result<()> {
    let mapping = match mapping {
        Some(m) => {
            let text = read_text(m)?;
            Some(
                zielwerk_ingest::mapped::parse_mapping(&m.display().to_string(), &text)
                    .map_err(anyhow::Error::msg)?,
            )
        }
        None => None,
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let input = std::fs::File::open(path)
        .with_context(|| format!("{} lässt sich nicht öffnen", path.display()))?;
    let operator = zielwerk_app::access::operator(
        &std::env::var("USER").unwrap_or_else(|_| "unbekannt".into()),
    );
    let file = zielwerk_app::values::ImportFile {
        name: name.clone(),
        input: Box::new(input),
        mapping,
        via: "zielwerk import",
    };
    let report = match zielwerk_app::values::import(store, &operator, file, true).await {
        Ok(Ok(report)) => report,
        Ok(Err(refused)) => bail!("{refused}"),
        Err(e) => bail!("{name} wurde nicht importiert; es wurde nichts gespeichert: {e}"),
    };
    let (accepted, o) = (&report.accepted, report.outcome);
    say!(
        "{name}: {} gelesen ({}), {} neu, {} revidiert, {} unverändert, {} mit älterem Datenstand als Historie",
        zielwerk_domain::format::counted(accepted.rows as usize, "Wert", "Werte"),
        accepted.encoding,
        o.inserted,
        o.revised,
        o.unchanged,
        o.older
    );
    say!("SHA-256 {}", accepted.sha256);
    match &report.import_id {
        Some(id) => say!("Import-Kennung {id}"),
        None => say!("Nichts geändert: alle Werte waren schon so gespeichert."),
    }
    for w in &accepted.warnings {
        say!(
            "Hinweis: {name}, Zeile {}, Spalte „{}“: {}",
            w.row,
            w.column,
            w.message
        );
    }
    Ok(())
}
