//! The `zielwerk` command: serve the web application, build the demo, and work with agreement
//! files. Wiring only; the rules live in the library crates.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use zielwerk_domain::AgreementKey;
use zielwerk_store::{SaveOutcome, Store};

#[derive(Parser)]
#[command(
    name = "zielwerk",
    version,
    about = "Zielsteuerung in der Grundsicherung (SGB II)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct DbArg {
    /// Datenbank: Pfad einer SQLite-Datei (wird angelegt), sqlite://… oder postgres://…
    #[arg(long, env = "ZIELWERK_DB", default_value = "./zielwerk.db")]
    db: String,
}

#[derive(clap::Args, Clone)]
struct BindArg {
    /// Adresse und Port, auf denen der Server lauscht.
    #[arg(long, env = "ZIELWERK_BIND", default_value = "127.0.0.1:8080")]
    bind: String,
}

#[derive(Subcommand)]
enum Command {
    /// Startet den Webserver.
    Serve {
        #[command(flatten)]
        db: DbArg,
        #[command(flatten)]
        bind: BindArg,
    },
    /// Legt die Demodatenbank an oder frischt sie auf und startet dann den Webserver.
    Demo {
        #[command(flatten)]
        db: DbArg,
        #[command(flatten)]
        bind: BindArg,
        /// Startwert des Demo-Generators (gleicher Startwert, gleiche Zahlen).
        #[arg(long, default_value_t = zielwerk_demo::DEFAULT_SEED)]
        seed: u64,
        /// Nur die Datenbank aufbauen, keinen Server starten.
        #[arg(long)]
        no_serve: bool,
    },
    /// Vereinbarungsdateien prüfen, importieren und exportieren.
    Agreement {
        #[command(subcommand)]
        command: AgreementCommand,
    },
}

#[derive(Subcommand)]
enum AgreementCommand {
    /// Prüft eine Vereinbarungsdatei (TOML), ohne etwas zu speichern.
    Check { file: PathBuf },
    /// Prüft und importiert eine Vereinbarungsdatei; bei Fehlern wird nichts gespeichert.
    Import {
        file: PathBuf,
        #[command(flatten)]
        db: DbArg,
    },
    /// Schreibt eine gespeicherte Vereinbarung als TOML (auf die Standardausgabe oder in --output).
    Export {
        /// Kennung wie t36402-2022-v1; ohne Angabe die einzige gespeicherte Vereinbarung.
        id: Option<String>,
        #[arg(long, short)]
        output: Option<PathBuf>,
        #[command(flatten)]
        db: DbArg,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ZIELWERK_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Fehler: Laufzeitumgebung konnte nicht starten: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Fehler: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve { db, bind } => {
            let store = open(&db.db).await?;
            serve(store, &bind.bind).await
        }
        Command::Demo {
            db,
            bind,
            seed,
            no_serve,
        } => {
            let store = open(&db.db).await?;
            build_demo(&store, seed).await?;
            if no_serve {
                Ok(())
            } else {
                serve(store, &bind.bind).await
            }
        }
        Command::Agreement { command } => agreement(command).await,
    }
}

async fn open(db: &str) -> Result<Store> {
    Store::open(db).await.with_context(|| {
        format!(
            "Datenbank „{}“ lässt sich nicht öffnen",
            zielwerk_store::redact(db)
        )
    })
}

async fn serve(store: Store, bind: &str) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("Adresse {bind} ist nicht verfügbar"))?;
    let addr = listener.local_addr()?;
    eprintln!("Zielwerk läuft auf http://{addr}/ (beenden mit Strg+C)");
    for a in store.agreements().await? {
        eprintln!(
            "  {} {}: http://{addr}/vereinbarungen/{}",
            a.jobcenter_name, a.year, a.id
        );
    }
    zielwerk_web::serve(listener, zielwerk_web::AppState::new(store)).await?;
    Ok(())
}

async fn build_demo(store: &Store, seed: u64) -> Result<()> {
    let demo = zielwerk_demo::build(seed)?;
    for a in &demo.agreements {
        // The demo owns its agreements: a newer demo replaces them even when signed.
        if let Some(existing) = store.agreement(&a.key()).await?
            && &existing != a
        {
            store.delete_agreement(&a.key()).await?;
        }
        let outcome = store
            .save_agreement(a)
            .await
            .with_context(|| format!("Demo-Vereinbarung {} lässt sich nicht speichern", a.key()))?;
        let what = match outcome {
            SaveOutcome::Created => "angelegt",
            SaveOutcome::Replaced => "ersetzt",
            SaveOutcome::Unchanged => "unverändert",
        };
        eprintln!("Vereinbarung {} ({}): {what}", a.key(), a.jobcenter.name);
    }
    for batch in &demo.batches {
        let o = store
            .record_observations(&batch.source, &batch.observations)
            .await
            .with_context(|| {
                format!(
                    "Werte aus „{}“ lassen sich nicht speichern",
                    batch.source.label
                )
            })?;
        eprintln!(
            "{}: {} neu, {} revidiert, {} unverändert",
            batch.source.label, o.inserted, o.revised, o.unchanged
        );
    }
    Ok(())
}

async fn agreement(command: AgreementCommand) -> Result<()> {
    match command {
        AgreementCommand::Check { file } => {
            let a = read_agreement(&file)?;
            println!(
                "{}: in Ordnung – {} {} (Version {}), {} Zielbereiche, {} Ziele, {} Kennzahlen, {} Handlungsansätze",
                file.display(),
                a.jobcenter.name,
                a.year,
                a.version,
                a.areas.len(),
                a.goals.len(),
                a.indicators.len(),
                a.measures.len()
            );
            Ok(())
        }
        AgreementCommand::Import { file, db } => {
            let a = read_agreement(&file)?;
            let store = open(&db.db).await?;
            let outcome = store.save_agreement(&a).await?;
            let what = match outcome {
                SaveOutcome::Created => "importiert",
                SaveOutcome::Replaced => "importiert (vorherige Fassung ersetzt)",
                SaveOutcome::Unchanged => "unverändert (identisch mit der gespeicherten Fassung)",
            };
            println!("Vereinbarung {} {what}: {} Ziele", a.key(), a.goals.len());
            Ok(())
        }
        AgreementCommand::Export { id, output, db } => {
            let store = open(&db.db).await?;
            let key: AgreementKey = match id {
                Some(id) => id
                    .parse()
                    .map_err(|_| anyhow::anyhow!("„{id}“ ist keine Kennung wie t36402-2022-v1"))?,
                None => {
                    let all = store.agreements().await?;
                    match all.as_slice() {
                        [one] => one
                            .id
                            .parse()
                            .map_err(|_| anyhow::anyhow!("ungültige Kennung {}", one.id))?,
                        [] => bail!("Die Datenbank enthält keine Vereinbarung"),
                        many => bail!(
                            "Die Datenbank enthält {} Vereinbarungen; bitte eine Kennung angeben: {}",
                            many.len(),
                            many.iter()
                                .map(|a| a.id.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    }
                }
            };
            let a = store
                .agreement(&key)
                .await?
                .ok_or_else(|| anyhow::anyhow!("Die Vereinbarung {key} gibt es nicht"))?;
            let text = zielwerk_ingest::export(&a);
            match output {
                Some(path) => std::fs::write(&path, text)
                    .with_context(|| format!("{} lässt sich nicht schreiben", path.display()))?,
                None => print!("{text}"),
            }
            Ok(())
        }
    }
}

fn read_agreement(file: &PathBuf) -> Result<zielwerk_domain::Agreement> {
    let source = std::fs::read_to_string(file)
        .with_context(|| format!("{} lässt sich nicht lesen", file.display()))?;
    Ok(zielwerk_ingest::parse(
        &file.display().to_string(),
        &source,
    )?)
}
