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
    let size = input.metadata().map(|m| m.len()).unwrap_or(0);
    let operator = zielwerk_app::access::operator(
        &std::env::var("USER").unwrap_or_else(|_| "unbekannt".into()),
    );
    let file = zielwerk_app::values::ImportFile {
        name: name.clone(),
        input: Box::new(input),
        mapping,
        via: "zielwerk import",
        progress: Some(watch(&name, size)),
        about: None,
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
        say!("Hinweis: {}", w.render(&name));
    }
    Ok(())
}

/// Shows how far an import has come on standard error: a progress bar on a terminal (bytes of
/// the file, values written, values per second, what is being done), plain lines every five
/// seconds otherwise (a log, a pipe; the first after a second), and nothing for a file read within
/// the first second.
fn watch(name: &str, size: u64) -> zielwerk_importer::OnProgress {
    use std::io::IsTerminal;
    use zielwerk_importer::Phase;
    let started = std::time::Instant::now();
    let rate = move |written: u64| {
        let seconds = started.elapsed().as_secs_f64().max(1e-3);
        zielwerk_domain::format::number(written as f64 / seconds, 0)
    };
    if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(size),
            indicatif::ProgressDrawTarget::stderr(),
        );
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{prefix} [{bar:30}] {percent:>3} % · {msg} · {elapsed_precise}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_prefix(name.to_owned());
        Box::new(move |p| {
            bar.set_position(p.bytes.min(size));
            bar.set_message(format!(
                "{}: {} Werte, {} Werte/s",
                p.phase.label_de(),
                zielwerk_domain::format::number(p.written as f64, 0),
                rate(p.written)
            ));
            if p.phase == Phase::Done {
                bar.finish_and_clear();
            }
        })
    } else {
        let name = name.to_owned();
        // The first line after a second, then one every five.
        let last = std::sync::Mutex::new(
            std::time::Instant::now()
                .checked_sub(std::time::Duration::from_secs(4))
                .unwrap_or_else(std::time::Instant::now),
        );
        Box::new(move |p| {
            let Ok(mut last) = last.lock() else { return };
            let due = last.elapsed() >= std::time::Duration::from_secs(5);
            let news = p.phase == Phase::Committing && started.elapsed().as_secs() >= 1;
            if !(due || news) {
                return;
            }
            *last = std::time::Instant::now();
            let share = p
                .bytes
                .saturating_mul(100)
                .checked_div(size)
                .map(|pct| format!("{pct} % der Datei, "))
                .unwrap_or_default();
            eprintln!(
                "{name}: {}{} Werte geschrieben ({} Werte/s), {}",
                share,
                zielwerk_domain::format::number(p.written as f64, 0),
                rate(p.written),
                p.phase.label_de()
            );
        })
    }
}
