//! The `zielwerk` command: serve the web application, build the demo, import values, set
//! reports, manage accounts and tokens. Wiring only: one module per command in `commands/`,
//! the rules live in the library crates (the operations in the application core).

use std::process::ExitCode;

use anyhow::Result;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

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

// After `say!`, which the commands use.
mod commands;

use commands::{
    agreement, audit, backtest, backup, demo, figures, groups, import, records, report, serve,
    token, user,
};

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

#[derive(Subcommand)]
enum Command {
    Serve(serve::Args),
    Demo(demo::Args),
    Import(import::Args),
    Records(records::Args),
    Figures(figures::Args),
    Backtest(backtest::Args),
    /// Berichte: die Vorlage für den Ausschuss (PDF, DOCX), der Monitoringbericht (PDF, HTML
    /// über den Server), die Excel-Ausgabe der Werte, und die Veröffentlichung einer Vorlage.
    Report {
        #[command(subcommand)]
        command: report::ReportCommand,
    },
    /// Vereinbarungsdateien prüfen, importieren und exportieren.
    Agreement {
        #[command(subcommand)]
        command: agreement::AgreementCommand,
    },
    /// Vergleichsgruppen zuordnen (z. B. die SGB-II-Vergleichstypen der BA) und auflisten.
    Groups {
        #[command(subcommand)]
        command: groups::GroupsCommand,
    },
    Backup(backup::BackupArgs),
    Restore(backup::RestoreArgs),
    /// Benutzerkonten anlegen (das erste Konto der Administration entsteht hier).
    User {
        #[command(subcommand)]
        command: user::UserCommand,
    },
    /// Persönliche API-Schlüssel eines Kontos anlegen, auflisten und widerrufen.
    Token {
        #[command(subcommand)]
        command: token::TokenCommand,
    },
    /// Das Änderungsprotokoll prüfen.
    Audit {
        #[command(subcommand)]
        command: audit::AuditCommand,
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
        Command::Serve(a) => serve::run(a).await,
        Command::Demo(a) => demo::run(a).await,
        Command::Import(a) => import::run(a).await,
        Command::Records(a) => records::run(a).await,
        Command::Figures(a) => figures::run(a).await,
        Command::Backtest(a) => backtest::run(a).await,
        Command::Report { command } => report::run(command).await,
        Command::Agreement { command } => agreement::run(command).await,
        Command::Groups { command } => groups::run(command).await,
        Command::Backup(a) => backup::run_backup(a).await,
        Command::Restore(a) => backup::run_restore(a).await,
        Command::User { command } => user::run(command).await,
        Command::Token { command } => token::run(command).await,
        Command::Audit { command } => audit::run(command).await,
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// clap's own check of the whole command line: no two arguments with one name, every
    /// default valid, every subcommand reachable; and the German help of each command.
    #[test]
    fn the_command_line_is_consistent() {
        super::Cli::command().debug_assert();
        let german = super::cli_de::german(super::Cli::command());
        for sub in german.get_subcommands() {
            assert!(
                sub.get_about().is_some(),
                "zielwerk {} hat keine Beschreibung",
                sub.get_name()
            );
        }
    }
}
