//! `zielwerk-fuzz`: runs the attack harness for a chosen time (see the library's documentation).
//!
//! ```text
//! cargo run -p zielwerk-fuzz -- [ZIEL …] [--sekunden N] [--startwert S] [--funde VERZEICHNIS]
//! ```
//!
//! Without a target every target runs, each for the time given (default 10 s). Findings are
//! printed and saved as files in the findings directory (default `target/fuzz-funde`); the exit
//! code is 1 when there are any.

use std::process::ExitCode;
use std::time::Duration;

use zielwerk_fuzz::{Target, printable, run};

fn usage() -> ExitCode {
    eprintln!(
        "Aufruf: zielwerk-fuzz [ZIEL …] [--sekunden N] [--startwert S] [--funde VERZEICHNIS]\nZiele: {}",
        names().join(", ")
    );
    ExitCode::from(2)
}

fn names() -> Vec<&'static str> {
    let mut n: Vec<&str> = zielwerk_fuzz::targets::all()
        .iter()
        .map(|t| t.name())
        .collect();
    n.push("formulare");
    n
}

fn main() -> ExitCode {
    let mut chosen: Vec<String> = Vec::new();
    let mut seconds = 10u64;
    let mut base_seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(1);
    let mut findings_dir = std::path::PathBuf::from("target/fuzz-funde");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| {
            args.next().ok_or_else(|| {
                eprintln!("{name} braucht einen Wert");
            })
        };
        match a.as_str() {
            "--sekunden" => match value("--sekunden").map(|v| v.parse()) {
                Ok(Ok(v)) => seconds = v,
                _ => return usage(),
            },
            "--startwert" => match value("--startwert").map(|v| v.parse()) {
                Ok(Ok(v)) => base_seed = v,
                _ => return usage(),
            },
            "--funde" => match value("--funde") {
                Ok(v) => findings_dir = v.into(),
                Err(()) => return usage(),
            },
            "-h" | "--hilfe" | "--help" => {
                usage();
                return ExitCode::SUCCESS;
            }
            name if names().contains(&name) => chosen.push(name.to_owned()),
            _ => return usage(),
        }
    }
    // Panics are findings, reported below; their default message would only clutter the output.
    std::panic::set_hook(Box::new(|_| {}));
    let wanted = |n: &str| chosen.is_empty() || chosen.iter().any(|c| c == n);
    let mut targets: Vec<Box<dyn Target>> = zielwerk_fuzz::targets::all()
        .into_iter()
        .filter(|t| wanted(t.name()))
        .collect();
    if wanted("formulare") {
        targets.push(Box::new(zielwerk_fuzz::web::Forms::new()));
    }
    println!("Startwert {base_seed}, je Ziel {seconds} s");
    let mut total = 0;
    for t in &targets {
        let report = run(t.as_ref(), Duration::from_secs(seconds), base_seed);
        println!(
            "{:<16} {:<52} {:>9} Fälle in {:>6.1} s, {} Funde",
            t.name(),
            t.what(),
            report.cases,
            report.elapsed.as_secs_f64(),
            report.findings.len()
        );
        for (i, (what, input)) in report.findings.iter().enumerate() {
            println!(
                "  - {what}\n    Eingabe ({} Bytes): {}",
                input.len(),
                printable(input)
            );
            let _ = std::fs::create_dir_all(&findings_dir);
            let file = findings_dir.join(format!("{}-{base_seed}-{i}.bin", t.name()));
            if std::fs::write(&file, input).is_ok() {
                println!("    gespeichert: {}", file.display());
            }
        }
        total += report.findings.len();
    }
    if total == 0 {
        ExitCode::SUCCESS
    } else {
        println!("{total} Funde");
        ExitCode::from(1)
    }
}
