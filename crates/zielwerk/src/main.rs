//! The `zielwerk` command: serve the web application, build the demo, and work with agreement
//! files. Wiring only; the rules live in the library crates.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use zielwerk_domain::AgreementKey;
use zielwerk_store::{SaveOutcome, Store};

/// mimalloc instead of the system allocator: under a long mixed load glibc's per-thread arenas
/// kept freed memory (RSS 593 MB after the warm-up of a 5-minute soak, 1,302 MB at its end);
/// mimalloc returns it (see docs/reliability.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cli_de;

/// `println!` for the command's output, which may go into a pipe that closes early
/// (`zielwerk figures … | head -1`): a closed pipe ends the command quietly instead of a panic.
macro_rules! say {
    ($($t:tt)*) => {
        $crate::say_line(&format!($($t)*))
    };
}

fn say_line(line: &str) {
    say_text(&format!("{line}\n"));
}

fn say_text(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush())
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}

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
        /// Sitzungs-Cookies immer als „Secure“ setzen (hinter einem TLS-Proxy, der kein
        /// X-Forwarded-Proto mitschickt).
        #[arg(long, env = "ZIELWERK_SECURE_COOKIES")]
        secure_cookies: bool,
        /// Öffentliche Adresse der Installation, z. B. https://zielwerk.kreis.example; OParl
        /// nennt seine Objekte damit (ohne Angabe nach dem Host-Kopf der Anfrage).
        #[arg(long, env = "ZIELWERK_PUBLIC_URL", value_parser = public_url)]
        public_url: Option<String>,
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
    /// Importiert Monatswerte: eine CSV-Datei im Langformat, oder mit --mapping jede andere
    /// Form (breite Tabellen, Kategorienlisten, Haushaltsgrößen, Arbeitsmappen XLSX/ODS der
    /// BA). Eine Datei mit Fehlern wird ganz abgelehnt; es bleibt nichts halb gespeichert.
    Import {
        /// Die Datei (.csv, .txt, .xlsx, .xlsm, .xls, .ods).
        file: PathBuf,
        /// Zuordnungsdatei für Dateien in anderer Form (breite Tabellen, Kategorienlisten,
        /// Haushaltsgrößen); siehe docs/import-mapping.md und mappings/.
        #[arg(long)]
        mapping: Option<PathBuf>,
        #[command(flatten)]
        db: DbArg,
    },
    /// Gibt eine Kennzahl eines Jobcenters Monat für Monat aus: Zähler, Nenner, Wert, Status
    /// oder der Grund, warum es keinen Wert gibt.
    Figures {
        /// BA-Kennung des Jobcenters, z. B. t36402.
        #[arg(long)]
        jobcenter: String,
        /// Kennzahl-Code, z. B. K2, K1E4, BG oder KDU_JE_BG.
        #[arg(long)]
        indicator: String,
        /// Erster Monat (JJJJ-MM); ohne Angabe der erste Monat mit Daten.
        #[arg(long)]
        from: Option<String>,
        /// Letzter Monat (JJJJ-MM); ohne Angabe der letzte Monat mit Daten.
        #[arg(long)]
        to: Option<String>,
        /// CSV für Skripte (Komma, Dezimalpunkt) statt einer Tabelle.
        #[arg(long)]
        csv: bool,
        #[command(flatten)]
        db: DbArg,
    },
    /// Prüft die Prognosen rückblickend: für jede Kennzahl mit Ziel die mittlere absolute
    /// prozentuale Abweichung (MAPE) des Modells und zweier einfacher Verfahren, und wie oft der
    /// wahre Wert im 80-%-Intervall lag.
    Backtest {
        /// Prognosen bis zu so vielen Monaten voraus.
        #[arg(long, default_value_t = 12)]
        horizon: usize,
        /// Mindestzahl an Monaten vor dem ersten Prognosezeitpunkt.
        #[arg(long, default_value_t = 12)]
        min_train: usize,
        #[command(flatten)]
        db: DbArg,
    },
    /// Berichte: die Vorlage für den Ausschuss (PDF, DOCX), der Monitoringbericht (PDF, HTML
    /// über den Server), die Excel-Ausgabe der Werte, und die Veröffentlichung einer Vorlage.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Vereinbarungsdateien prüfen, importieren und exportieren.
    Agreement {
        #[command(subcommand)]
        command: AgreementCommand,
    },
    /// Schreibt eine konsistente Sicherung der ganzen Datenbank, auch während der Server läuft.
    Backup {
        /// Sicherungsdatei (wird neu angelegt; eine vorhandene Datei wird nicht überschrieben).
        #[arg(long, short)]
        output: PathBuf,
        #[command(flatten)]
        db: DbArg,
    },
    /// Stellt eine Sicherung in eine leere Datenbank wieder her (SQLite oder PostgreSQL).
    Restore {
        /// Sicherungsdatei von „zielwerk backup“.
        file: PathBuf,
        #[command(flatten)]
        db: DbArg,
    },
    /// Benutzerkonten anlegen (das erste Konto der Administration entsteht hier).
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Das Änderungsprotokoll prüfen.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Legt ein lokales Konto an. Das Passwort wird abgefragt (oder als erste Zeile von der
    /// Standardeingabe gelesen, wenn diese kein Terminal ist).
    Add {
        /// Anmeldename, z. B. k.mueller
        login: String,
        /// Angezeigter Name, z. B. "Karla Müller (Sozialamt)"
        #[arg(long)]
        name: String,
        /// Recht als ROLLE@JOBCENTER, mehrfach möglich: kreis, agentur, jobcenter, leserecht
        /// oder admin; JOBCENTER ist eine BA-Kennung wie t36402 oder * für alle.
        #[arg(long = "recht", required = true)]
        grants: Vec<String>,
        #[command(flatten)]
        db: DbArg,
    },
    /// Listet alle Konten mit ihren Rechten.
    List {
        #[command(flatten)]
        db: DbArg,
    },
    /// Setzt das Passwort eines Kontos neu (z. B. wenn es vergessen wurde); beendet dessen
    /// Sitzungen.
    Password {
        login: String,
        #[command(flatten)]
        db: DbArg,
    },
    /// Sperrt ein Konto (beendet sofort alle Sitzungen) oder hebt die Sperre mit --aufheben auf.
    Disable {
        login: String,
        /// Die Sperre aufheben.
        #[arg(long)]
        aufheben: bool,
        #[command(flatten)]
        db: DbArg,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Prüft die Verkettung aller Einträge; Rückgabewert 1, wenn ein Eintrag verändert oder
    /// entfernt wurde.
    Verify {
        #[command(flatten)]
        db: DbArg,
    },
}

#[derive(Subcommand)]
enum ReportCommand {
    /// Setzt eine Vorlage als PDF oder DOCX (nach der Endung von --output).
    Vorlage {
        /// Kennung der Vorlage; ohne Angabe die jüngste gespeicherte.
        id: Option<String>,
        /// Zieldatei: .pdf oder .docx.
        #[arg(long, short)]
        output: PathBuf,
        /// Nur eine Anlage setzen (1 oder 2).
        #[arg(long)]
        anlage: Option<u32>,
        #[command(flatten)]
        db: DbArg,
    },
    /// Setzt die Niederschrift eines Steuerungsgesprächs als PDF oder DOCX (nach der Endung).
    Niederschrift {
        /// Kennung der Sitzung (aus der Adresse /sitzungen/…).
        id: String,
        /// Zieldatei: .pdf oder .docx.
        #[arg(long, short)]
        output: PathBuf,
        #[command(flatten)]
        db: DbArg,
    },
    /// Setzt den Monitoringbericht einer Vereinbarung für einen Berichtsmonat als PDF.
    Monitoring {
        /// Kennung der Vereinbarung wie t36402-2022-v1.
        agreement: String,
        /// Berichtsmonat (JJJJ-MM); ohne Angabe der letzte Monat mit Werten.
        #[arg(long)]
        stand: Option<String>,
        /// Öffentliche Fassung mit statistischer Geheimhaltung statt der internen.
        #[arg(long)]
        oeffentlich: bool,
        /// Endgültige Fassung: verweigert, solange ein verfehltes Ziel ohne Erläuterung ist.
        #[arg(long)]
        endgueltig: bool,
        /// Zieldatei (.pdf).
        #[arg(long, short)]
        output: PathBuf,
        #[command(flatten)]
        db: DbArg,
    },
    /// Setzt den Quartalsbericht einer Vereinbarung (Stand und Entwicklung jedes Ziels zu jedem
    /// Quartalsende, Prognose für das Jahresende) als PDF oder DOCX (nach der Endung).
    Quartal {
        /// Kennung der Vereinbarung wie t36402-2022-v1.
        agreement: String,
        /// Das Quartal: 1, 2, 3 oder 4.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=4))]
        quartal: u32,
        /// Öffentliche Fassung mit statistischer Geheimhaltung statt der internen.
        #[arg(long)]
        oeffentlich: bool,
        /// Zieldatei: .pdf oder .docx.
        #[arg(long, short)]
        output: PathBuf,
        #[command(flatten)]
        db: DbArg,
    },
    /// Setzt den Jahresbericht einer Vereinbarung (Ergebnis jedes Ziels zum Jahresende) als PDF
    /// oder DOCX (nach der Endung).
    Jahr {
        /// Kennung der Vereinbarung wie t36402-2022-v1.
        agreement: String,
        /// Öffentliche Fassung mit statistischer Geheimhaltung statt der internen.
        #[arg(long)]
        oeffentlich: bool,
        /// Zieldatei: .pdf oder .docx.
        #[arg(long, short)]
        output: PathBuf,
        #[command(flatten)]
        db: DbArg,
    },
    /// Schreibt die Werte einer Vereinbarung oder eines Ziels als Excel-Datei (.xlsx).
    Excel {
        /// Kennung der Vereinbarung wie t36402-2022-v1.
        agreement: String,
        /// Nur dieses Ziel (Schlüssel wie k2).
        #[arg(long)]
        ziel: Option<String>,
        /// Berichtsmonat (JJJJ-MM); ohne Angabe der letzte Monat mit Werten.
        #[arg(long)]
        stand: Option<String>,
        /// Öffentliche Fassung mit statistischer Geheimhaltung statt der internen.
        #[arg(long)]
        oeffentlich: bool,
        /// Zieldatei (.xlsx).
        #[arg(long, short)]
        output: PathBuf,
        #[command(flatten)]
        db: DbArg,
    },
    /// Veröffentlicht eine Vorlage: PDF, DOCX und Anlagen werden eingefroren und über OParl
    /// abrufbar.
    Publish {
        /// Kennung der Vorlage (aus der Adresse /vorlagen/…).
        id: String,
        #[command(flatten)]
        db: DbArg,
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
    let parsed = cli_de::german(Cli::command())
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => match cli_de::message(&e) {
            Some(text) => {
                eprintln!("{text}");
                return ExitCode::from(2);
            }
            None => {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
        },
    };
    // Blocking work (assessments, PDFs, password hashing, reading files) is CPU-bound: more
    // threads than a few per core only add memory (each may hold its own allocator arena and a
    // document being set), not speed.
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads((4 * cores).max(8))
        .build()
    {
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
        Command::Serve {
            db,
            bind,
            secure_cookies,
            public_url,
        } => {
            let store = open(&db.db).await?;
            serve(store, &bind.bind, secure_cookies, public_url).await
        }
        Command::User {
            command:
                UserCommand::Add {
                    login,
                    name,
                    grants,
                    db,
                },
        } => {
            let grants = grants
                .iter()
                .map(|g| parse_grant(g))
                .collect::<Result<Vec<_>>>()?;
            let password = read_password(&login)?;
            if let Err(m) = zielwerk_app::accounts::check_new_password(&password, &password) {
                bail!("{m}");
            }
            let hash =
                zielwerk_app::accounts::hash_password(&password).map_err(anyhow::Error::msg)?;
            let store = open(&db.db).await?;
            store.add_user(&login, &name, &hash, &grants).await?;
            eprintln!(
                "Benutzerkonto „{login}“ ({name}) angelegt mit den Rechten: {}",
                grants
                    .iter()
                    .map(|g| format!("{}@{}", g.role, g.scope.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            Ok(())
        }
        Command::User {
            command: UserCommand::List { db },
        } => {
            let store = open(&db.db).await?;
            for u in store.users().await? {
                say!(
                    "{}\t{}\t{}\t{}",
                    u.login,
                    u.name,
                    u.grants
                        .iter()
                        .map(|g| format!("{}@{}", g.role, g.scope.as_str()))
                        .collect::<Vec<_>>()
                        .join(","),
                    if u.disabled { "gesperrt" } else { "aktiv" }
                );
            }
            Ok(())
        }
        Command::User {
            command: UserCommand::Password { login, db },
        } => {
            let store = open(&db.db).await?;
            let Some(user) = store.user_by_login(&login).await? else {
                bail!("Das Benutzerkonto „{login}“ gibt es nicht");
            };
            let password = read_password(&login)?;
            if let Err(m) = zielwerk_app::accounts::check_new_password(&password, &password) {
                bail!("{m}");
            }
            let hash =
                zielwerk_app::accounts::hash_password(&password).map_err(anyhow::Error::msg)?;
            store.set_password(&user.id, &hash, None).await?;
            eprintln!("Passwort von „{login}“ neu gesetzt; seine Sitzungen sind beendet.");
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Disable {
                    login,
                    aufheben,
                    db,
                },
        } => {
            let store = open(&db.db).await?;
            if !store.set_disabled(&login, !aufheben).await? {
                bail!("Das Benutzerkonto „{login}“ gibt es nicht");
            }
            if aufheben {
                eprintln!("Sperre von „{login}“ aufgehoben.");
            } else {
                eprintln!("„{login}“ ist gesperrt; seine Sitzungen sind beendet.");
            }
            Ok(())
        }
        Command::Audit {
            command: AuditCommand::Verify { db },
        } => {
            let store = open(&db.db).await?;
            let check = store.verify_audit().await?;
            match check.broken {
                None => {
                    say!(
                        "Änderungsprotokoll unverändert: {} Einträge, Kette lückenlos. Letzte Prüfsumme {}",
                        check.events,
                        check.head
                    );
                    Ok(())
                }
                Some((seq, reason)) => bail!(
                    "Änderungsprotokoll verändert: {reason}. Die ersten {} Einträge (bis Nr. {}) sind in Ordnung.",
                    check.events,
                    seq - 1
                ),
            }
        }
        Command::Demo {
            db,
            bind,
            seed,
            no_serve,
        } => {
            let store = open(&db.db).await?.acting_as("Demo-Generator");
            build_demo(&store, seed).await?;
            store.checkpoint().await?;
            if no_serve {
                Ok(())
            } else {
                serve(store, &bind.bind, false, None).await
            }
        }
        Command::Agreement { command } => agreement(command).await,
        Command::Backup { output, db } => {
            let store = open(&db.db).await?;
            backup(&store, &output).await
        }
        Command::Restore { file, db } => {
            let store = open(&db.db).await?;
            let text = read_text(&file)?;
            let s = store
                .restore(&text)
                .await
                .with_context(|| format!("{} lässt sich nicht wiederherstellen", file.display()))?;
            eprintln!(
                "{} wiederhergestellt: {} Tabellen, {} Zeilen (SHA-256 {})",
                file.display(),
                s.tables,
                s.rows,
                s.sha256
            );
            Ok(())
        }
        Command::Report { command } => report(command).await,
        Command::Import { file, mapping, db } => {
            let store = open(&db.db).await?;
            import(&store, &file, mapping.as_deref()).await
        }
        Command::Backtest {
            horizon,
            min_train,
            db,
        } => {
            let store = open(&db.db).await?;
            backtest(&store, horizon, min_train).await
        }
        Command::Figures {
            jobcenter,
            indicator,
            from,
            to,
            csv,
            db,
        } => {
            let store = open(&db.db).await?;
            figures(
                &store,
                &jobcenter,
                &indicator,
                from.as_deref(),
                to.as_deref(),
                csv,
            )
            .await
        }
    }
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
    let file = std::fs::File::open(path)
        .with_context(|| format!("{} lässt sich nicht öffnen", path.display()))?;
    let request = zielwerk_importer::Request {
        name: name.clone(),
        input: Box::new(file),
        mapping,
        recorded_by: std::env::var("USER").unwrap_or_else(|_| "unbekannt".into()),
        via: "zielwerk import",
        commit: true,
        may_write: None,
    };
    let when = chrono::Local::now().format("%d.%m.%Y %H:%M").to_string();
    let report = zielwerk_importer::run(store, request, &when).await?;
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

async fn backtest(store: &Store, horizon: usize, min_train: usize) -> Result<()> {
    use zielwerk_domain::format::number;
    use zielwerk_domain::{Accumulation, Target};
    say!(
        "{:<8} {:<44} {:>9} {:>11} {:>11} {:>11} {:>10}  Verfahren",
        "JC",
        "Kennzahl",
        "Prognosen",
        "MAPE Modell",
        "MAPE letzt.",
        "MAPE Vorj.",
        "Abdeck. 80"
    );
    let (mut sum_model, mut sum_naive, mut sum_seasonal, mut sum_cov, mut rows) =
        (0.0, 0.0, 0.0, 0.0, 0);
    for summary in store.agreements().await? {
        let key: AgreementKey = summary
            .id
            .parse()
            .map_err(|_| anyhow::anyhow!("ungültige Kennung {}", summary.id))?;
        let Some(a) = store.agreement(&key).await? else {
            continue;
        };
        let values = store
            .current_values(&a.jobcenter.ba_id, &a.stored_indicator_codes())
            .await?;
        let observations: Vec<_> = values.into_iter().map(|v| v.observation).collect();
        let state = zielwerk_engine::assess_agreement(
            &a,
            &observations,
            zielwerk_engine::default_as_of(&a, observations.iter().map(|o| o.month)),
        );
        let mut seen = std::collections::HashSet::new();
        for g in &state.goals {
            if matches!(g.goal.target, Target::Milestone { .. })
                || !seen.insert(g.indicator.code.clone())
            {
                continue;
            }
            let monthly: Vec<(zielwerk_domain::YearMonth, f64)> =
                g.series.iter().map(|(m, p)| (*m, p.value)).collect();
            // The longest gap-free run, as the model would see it.
            let mut run: Vec<f64> = Vec::new();
            let mut best: Vec<f64> = Vec::new();
            let mut prev: Option<zielwerk_domain::YearMonth> = None;
            for (m, v) in &monthly {
                if prev.is_some_and(|p| p.months_until(*m) != 1) {
                    run.clear();
                }
                run.push(*v);
                if run.len() > best.len() {
                    best = run.clone();
                }
                prev = Some(*m);
            }
            let series = match g.indicator.accumulation {
                Accumulation::Stock => best,
                Accumulation::Flow => zielwerk_forecast::rolling_sums(&best),
            };
            let Some(bt) = zielwerk_forecast::backtest(&series, min_train, horizon) else {
                say!(
                    "{:<8} {:<44} zu kurz für einen Rückblick ({} Monate)",
                    a.jobcenter.ba_id,
                    g.indicator.code,
                    series.len()
                );
                continue;
            };
            rows += 1;
            sum_model += bt.mape_model;
            sum_naive += bt.mape_naive;
            sum_seasonal += bt.mape_seasonal;
            sum_cov += bt.coverage;
            let name: String = format!(
                "{} {}",
                g.indicator.code,
                if g.indicator.accumulation == Accumulation::Flow {
                    "(Jahressumme)"
                } else {
                    ""
                }
            );
            say!(
                "{:<8} {:<44} {:>9} {:>10} % {:>9} % {:>9} % {:>8} %  {}",
                a.jobcenter.ba_id,
                name.trim_end(),
                bt.forecasts,
                number(bt.mape_model, 2),
                number(bt.mape_naive, 2),
                number(bt.mape_seasonal, 2),
                number(bt.coverage * 100.0, 0),
                if bt.seasonal_fits > 0 {
                    "MSTL+ETS / ETS"
                } else {
                    "ETS"
                }
            );
        }
    }
    if rows > 0 {
        let n = f64::from(rows);
        say!(
            "{:<8} {:<44} {:>9} {:>10} % {:>9} % {:>9} % {:>8} %",
            "",
            "Durchschnitt",
            rows,
            number(sum_model / n, 2),
            number(sum_naive / n, 2),
            number(sum_seasonal / n, 2),
            number(sum_cov / n * 100.0, 0)
        );
    }
    Ok(())
}

async fn figures(
    store: &Store,
    jobcenter: &str,
    indicator: &str,
    from: Option<&str>,
    to: Option<&str>,
    csv: bool,
) -> Result<()> {
    use zielwerk_domain::format::number;
    use zielwerk_domain::{BaId, IndicatorCode, YearMonth};
    let jobcenter: BaId = jobcenter
        .parse()
        .map_err(|e| anyhow::anyhow!("--jobcenter: {e}"))?;
    let code: IndicatorCode = indicator
        .parse()
        .map_err(|e| anyhow::anyhow!("--indicator: {e}"))?;
    let month = |arg: &str, v: Option<&str>| -> Result<Option<YearMonth>> {
        v.map(|s| s.parse().map_err(|e| anyhow::anyhow!("{arg}: {e}")))
            .transpose()
    };
    let (from, to) = (month("--from", from)?, month("--to", to)?);

    // Definitions: the legal key figures first, then the Jobcenter's agreements, newest first, so
    // that a newer agreement's definition of a local indicator wins.
    let mut indicators = zielwerk_domain::keyfigures::catalogue();
    for summary in store.agreements().await? {
        if summary.jobcenter_id != jobcenter.as_str() {
            continue;
        }
        let key: AgreementKey = summary
            .id
            .parse()
            .map_err(|_| anyhow::anyhow!("ungültige Kennung {}", summary.id))?;
        if let Some(a) = store.agreement(&key).await? {
            for ind in a.indicators {
                if !indicators.iter().any(|i| i.code == ind.code) {
                    indicators.push(ind);
                }
            }
        }
    }
    let indicator = indicators
        .iter()
        .find(|i| i.code == code)
        .ok_or_else(|| anyhow::anyhow!("Die Kennzahl {code} ist für {jobcenter} nicht definiert"))?
        .clone();
    let stored_codes: Vec<&IndicatorCode> = indicators
        .iter()
        .filter(|i| i.formula.is_stored())
        .map(|i| &i.code)
        .collect();
    let values = store.current_values(&jobcenter, &stored_codes).await?;
    let observations: Vec<_> = values.into_iter().map(|v| v.observation).collect();
    let stored: zielwerk_engine::SeriesSet = indicators
        .iter()
        .filter(|i| i.formula.is_stored())
        .map(|i| {
            (
                i.code.clone(),
                zielwerk_engine::stored_series(i, &observations),
            )
        })
        .collect();
    let evaluator = zielwerk_engine::Evaluator::new(&indicators, &stored);
    let available = evaluator.series(&code);
    let first = from.or_else(|| observations.iter().map(|o| o.month).min());
    let last = to.or_else(|| observations.iter().map(|o| o.month).max());
    let (Some(first), Some(last)) = (first, last) else {
        bail!("Für {jobcenter} liegen keine Werte vor");
    };
    let decimals = indicator.unit.decimals();
    let mut out = String::new();
    if csv {
        out.push_str("monat,zaehler,nenner,wert,status,grund\n");
    } else {
        out.push_str(&format!("{} ({}), {}\n", indicator.name, code, jobcenter));
        out.push_str(&format!(
            "{:<8} {:>16} {:>16} {:>12}  {}\n",
            "Monat", "Zähler", "Nenner", "Wert", "Status"
        ));
    }
    for m in first.through(last) {
        let row = evaluator.at(&code, m);
        debug_assert_eq!(row.is_ok(), available.contains_key(&m));
        match row {
            Ok(p) => {
                if csv {
                    let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
                    out.push_str(&format!(
                        "{m},{},{},{},{},\n",
                        opt(p.numerator),
                        opt(p.denominator),
                        p.value,
                        p.status.as_str()
                    ));
                } else {
                    let opt = |v: Option<f64>| v.map(|v| number(v, 2)).unwrap_or_default();
                    out.push_str(&format!(
                        "{m:<8} {:>16} {:>16} {:>12}  {}\n",
                        opt(p.numerator),
                        opt(p.denominator),
                        number(p.value, decimals.max(1)),
                        p.status.label_de()
                    ));
                }
            }
            Err(gap) => {
                if csv {
                    out.push_str(&format!(
                        "{m},,,,,\"{}\"\n",
                        gap.reason.replace('"', "\"\"")
                    ));
                } else {
                    out.push_str(&format!("{m:<8} kein Wert: {}\n", gap.reason));
                }
            }
        }
    }
    say_text(&out);
    Ok(())
}

/// Opens the database; writes from the command line are recorded for the operating-system user.
async fn open(db: &str) -> Result<Store> {
    let store = Store::open(db).await.with_context(|| {
        format!(
            "Datenbank „{}“ lässt sich nicht öffnen",
            zielwerk_store::redact(db)
        )
    })?;
    let user = std::env::var("USER").unwrap_or_else(|_| "unbekannt".into());
    Ok(store.acting_as(&format!("Kommandozeile ({user})")))
}

/// `ROLLE@JOBCENTER`, e.g. `kreis@t36402` or `admin@*`.
fn parse_grant(raw: &str) -> Result<zielwerk_domain::Grant> {
    let Some((role, scope)) = raw.split_once('@') else {
        bail!("--recht „{raw}“: erwartet ROLLE@JOBCENTER, z. B. kreis@t36402 oder admin@*");
    };
    Ok(zielwerk_domain::Grant {
        role: role
            .parse()
            .map_err(|e| anyhow::anyhow!("--recht „{raw}“: {e}"))?,
        scope: scope
            .parse()
            .map_err(|e| anyhow::anyhow!("--recht „{raw}“: {e}"))?,
    })
}

/// The password: asked for without echo on a terminal, else the first line of standard input.
fn read_password(login: &str) -> Result<String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!(
            "Passwort für „{login}“ (mindestens {} Zeichen): ",
            zielwerk_app::accounts::MIN_PASSWORD
        ))?;
        let again = rpassword::prompt_password("Passwort wiederholen: ")?;
        if first != again {
            bail!("Die beiden Passwörter stimmen nicht überein");
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

/// `--public-url`: an absolute http(s) address without query or fragment.
fn public_url(s: &str) -> std::result::Result<String, String> {
    let ok = (s.starts_with("https://") || s.starts_with("http://"))
        && s.split_once("://").is_some_and(|(_, rest)| {
            !rest.is_empty() && !rest.contains(['?', '#', ' ']) && !rest.starts_with('/')
        });
    if ok {
        Ok(s.trim_end_matches('/').to_owned())
    } else {
        Err("erwartet wird eine Adresse wie https://zielwerk.kreis.example".into())
    }
}

async fn serve(
    store: Store,
    bind: &str,
    secure_cookies: bool,
    public_url: Option<String>,
) -> Result<()> {
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
    if !store.has_users().await? {
        eprintln!(
            "Hinweis: Es gibt noch kein Benutzerkonto. Legen Sie das erste an, z. B.:\n  zielwerk user add admin --name \"Administration\" --recht admin@*"
        );
    }
    let mut state = zielwerk_web::AppState::new(store);
    state.secure_cookies = secure_cookies;
    state.public_url = public_url;
    zielwerk_web::serve(listener, state).await?;
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
    // The committee paper of the seed, as a draft, unless the demo database already has one.
    let mettmann = zielwerk_demo::mettmann_agreement()?;
    if store.vorlagen(&mettmann.key()).await?.is_empty() {
        let header = zielwerk_demo::mettmann_vorlage(&mettmann);
        store.create_vorlage(&mettmann.key(), &header).await?;
        eprintln!("Vorlage {} (Entwurf): angelegt", header.number);
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
    demo_users(store).await?;
    // A steering meeting on the September figures, with its generated agenda, unless there is one.
    if store.meetings(&mettmann.key()).await?.is_empty() {
        use zielwerk_domain::{MeetingHeader, MeetingKind, Participant, PartyRole};
        let participant = |party, name: &str| Participant {
            party,
            name: name.into(),
        };
        let header = MeetingHeader {
            kind: MeetingKind::Zielnachhaltedialog,
            title: String::new(),
            date: chrono::NaiveDate::from_ymd_opt(2022, 10, 12).expect("a real date"),
            month: zielwerk_domain::YearMonth::new(2022, 9)?,
            place: "Kreishaus Mettmann".into(),
            participants: vec![
                participant(PartyRole::Kreis, "Sozialamt, Controlling (Demo)"),
                participant(PartyRole::Agentur, "Vorsitz der Trägerversammlung (Demo)"),
                participant(PartyRole::Jobcenter, "Geschäftsführung (Demo)"),
            ],
        };
        let title = header.display_title();
        zielwerk_app::documents::create_meeting(store, &mettmann.key(), header).await?;
        eprintln!("Sitzung „{title}“: angelegt");
    }
    Ok(())
}

/// The demo's password, for every demo account; printed by `zielwerk demo`.
pub const DEMO_PASSWORD: &str = "zielwerk-demo";

/// One account per role for the demo, unless the database has accounts already.
async fn demo_users(store: &Store) -> Result<()> {
    use zielwerk_domain::{Grant, Role};
    let note = format!(
        "Demo-Konten (Passwort jeweils „{DEMO_PASSWORD}“): kreis, agentur, jobcenter, ausschuss (Leserecht), admin"
    );
    if store.has_users().await? {
        if store.user_by_login("kreis").await?.is_some() {
            eprintln!("{note}");
        }
        return Ok(());
    }
    let both = |role| -> Vec<Grant> {
        ["t36402", "t73906"]
            .iter()
            .map(|j| Grant {
                scope: j.parse().expect("a BA id"),
                role,
            })
            .collect()
    };
    let accounts: [(&str, &str, Vec<Grant>); 5] = [
        ("kreis", "Karla Kreis (Sozialamt, Demo)", both(Role::Kreis)),
        (
            "agentur",
            "Anton Agentur (Agentur für Arbeit, Demo)",
            both(Role::Agentur),
        ),
        (
            "jobcenter",
            "Jana Jobcenter (Controlling, Demo)",
            both(Role::Jobcenter),
        ),
        (
            "ausschuss",
            "Ausschussmitglied Mettmann (Demo)",
            vec![Grant {
                scope: "t36402".parse().expect("a BA id"),
                role: Role::Leserecht,
            }],
        ),
        (
            "admin",
            "Administration (Demo)",
            vec![Grant {
                scope: zielwerk_domain::Scope::All,
                role: Role::Admin,
            }],
        ),
    ];
    for (login, name, grants) in accounts {
        let hash =
            zielwerk_app::accounts::hash_password(DEMO_PASSWORD).map_err(anyhow::Error::msg)?;
        store.add_user(login, name, &hash, &grants).await?;
    }
    eprintln!("{note}: angelegt");
    Ok(())
}

async fn agreement(command: AgreementCommand) -> Result<()> {
    match command {
        AgreementCommand::Check { file } => {
            let a = read_agreement(&file)?;
            say!(
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
            say!("Vereinbarung {} {what}: {} Ziele", a.key(), a.goals.len());
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
                None => say_text(&text),
            }
            Ok(())
        }
    }
}

/// A text file (agreement, mapping, backup), with a German message for what goes wrong: the
/// operating system's English ("stream did not contain valid UTF-8") never reaches the user.
fn read_text(file: &std::path::Path) -> Result<String> {
    std::fs::read_to_string(file).map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => "gibt es nicht".to_owned(),
            std::io::ErrorKind::PermissionDenied => "darf nicht gelesen werden".to_owned(),
            std::io::ErrorKind::InvalidData => {
                "ist kein UTF-8-Text; speichern Sie die Datei mit der Kodierung UTF-8".to_owned()
            }
            std::io::ErrorKind::IsADirectory => "ist ein Verzeichnis, keine Datei".to_owned(),
            _ => "lässt sich nicht lesen".to_owned(),
        };
        anyhow::anyhow!("{} {why}", file.display())
    })
}

fn read_agreement(file: &std::path::Path) -> Result<zielwerk_domain::Agreement> {
    let source = read_text(file)?;
    Ok(zielwerk_ingest::parse(
        &file.display().to_string(),
        &source,
    )?)
}

fn month_arg(s: &Option<String>) -> Result<Option<zielwerk_domain::YearMonth>> {
    s.as_deref()
        .map(|m| {
            m.parse()
                .map_err(|e| anyhow::anyhow!("--stand „{m}“: {e} (erwartet JJJJ-MM)"))
        })
        .transpose()
}

fn agreement_key(id: &str) -> Result<AgreementKey> {
    id.parse()
        .map_err(|_| anyhow::anyhow!("Kennung „{id}“ ist ungültig (erwartet z. B. t36402-2022-v1)"))
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

fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes)
        .with_context(|| format!("{} lässt sich nicht schreiben", path.display()))?;
    eprintln!(
        "{} geschrieben ({})",
        path.display(),
        zielwerk_domain::format::bytes(bytes.len() as u64)
    );
    Ok(())
}

async fn report(command: ReportCommand) -> Result<()> {
    use zielwerk_app::documents;
    use zielwerk_report::model::Audience;
    let today = chrono::Local::now().date_naive();
    let audience = |public: bool| {
        if public {
            Audience::Public
        } else {
            Audience::Internal
        }
    };
    match command {
        ReportCommand::Vorlage {
            id,
            output,
            anlage,
            db,
        } => {
            let store = open(&db.db).await?;
            let id = match id {
                Some(id) => id,
                None => {
                    let mut all = Vec::new();
                    for a in store.agreements().await? {
                        all.extend(store.vorlagen(&agreement_key(&a.id)?).await?);
                    }
                    all.sort_by(|a, b| a.created_at.cmp(&b.created_at));
                    all.pop()
                        .map(|v| v.id)
                        .context("Es ist keine Vorlage gespeichert")?
                }
            };
            let (v, loaded) = documents::load_vorlage(&store, &id).await?;
            documents::check_complete(&v, &loaded)?;
            let model = documents::vorlage_model(&v, &loaded);
            let ext = output.extension().and_then(|e| e.to_str()).unwrap_or("");
            let bytes = match (ext, anlage) {
                ("pdf", None) => documents::vorlage_pdf(&model, "vorlage", today)?,
                ("pdf", Some(n)) => documents::vorlage_pdf(&model, &format!("anlage-{n}"), today)?,
                ("docx", None) => documents::vorlage_docx(&model)?,
                _ => bail!("--output muss auf .pdf oder .docx enden (Anlagen nur als .pdf)"),
            };
            write_file(&output, &bytes)
        }
        ReportCommand::Niederschrift { id, output, db } => {
            let store = open(&db.db).await?;
            let bundle = documents::load_meeting(&store, &id).await?;
            let minutes = documents::minutes_model(&bundle, today);
            let bytes = match output.extension().and_then(|e| e.to_str()).unwrap_or("") {
                "pdf" => documents::minutes_pdf(&minutes, today)?,
                "docx" => documents::minutes_docx(&minutes)?,
                _ => bail!("--output muss auf .pdf oder .docx enden"),
            };
            write_file(&output, &bytes)
        }
        ReportCommand::Monitoring {
            agreement,
            stand,
            oeffentlich,
            endgueltig,
            output,
            db,
        } => {
            let store = open(&db.db).await?;
            let key = agreement_key(&agreement)?;
            let loaded = documents::load(&store, &key).await?;
            let actions = documents::open_actions(&store, &key).await?;
            let m = documents::monitoring_model(
                &loaded,
                &actions,
                month_arg(&stand)?,
                audience(oeffentlich),
                today,
            );
            if endgueltig {
                documents::check_final(&m)?;
            }
            write_file(&output, &documents::monitoring_pdf(&m, today)?)
        }
        ReportCommand::Quartal {
            agreement,
            quartal,
            oeffentlich,
            output,
            db,
        } => {
            period_report(
                &db.db,
                &agreement,
                zielwerk_report::period::Period::Quarter(quartal),
                audience(oeffentlich),
                &output,
                today,
            )
            .await
        }
        ReportCommand::Jahr {
            agreement,
            oeffentlich,
            output,
            db,
        } => {
            period_report(
                &db.db,
                &agreement,
                zielwerk_report::period::Period::Year,
                audience(oeffentlich),
                &output,
                today,
            )
            .await
        }
        ReportCommand::Excel {
            agreement,
            ziel,
            stand,
            oeffentlich,
            output,
            db,
        } => {
            let store = open(&db.db).await?;
            let loaded = documents::load(&store, &agreement_key(&agreement)?).await?;
            let goal = ziel
                .as_deref()
                .map(|k| {
                    k.parse::<zielwerk_domain::Key>()
                        .map_err(|e| anyhow::anyhow!("--ziel „{k}“: {e}"))
                })
                .transpose()?;
            let bytes = documents::figures_xlsx(
                &loaded,
                month_arg(&stand)?,
                goal.as_ref(),
                audience(oeffentlich),
            )?;
            write_file(&output, &bytes)
        }
        ReportCommand::Publish { id, db } => {
            let store = open(&db.db).await?;
            for f in documents::publish(&store, &id, today).await? {
                eprintln!("veröffentlicht: {} ({} Bytes)", f.name, f.content.len());
            }
            Ok(())
        }
    }
}

/// A quarterly status report or the year-end review as PDF or DOCX, by the output's extension.
async fn period_report(
    db: &str,
    agreement: &str,
    period: zielwerk_report::period::Period,
    audience: zielwerk_report::model::Audience,
    output: &std::path::Path,
    today: chrono::NaiveDate,
) -> Result<()> {
    use zielwerk_app::documents;
    let store = open(db).await?;
    let key = agreement_key(agreement)?;
    let loaded = documents::load(&store, &key).await?;
    let actions = documents::all_actions(&store, &key).await?;
    let r = documents::period_model(&loaded, &actions, period, audience, today);
    let bytes = match output.extension().and_then(|e| e.to_str()) {
        Some("pdf") => documents::period_pdf(&r, today)?,
        Some("docx") => documents::period_docx(&r)?,
        _ => bail!(
            "Zieldatei {}: erwartet wird die Endung .pdf oder .docx",
            output.display()
        ),
    };
    write_file(output, &bytes)
}
