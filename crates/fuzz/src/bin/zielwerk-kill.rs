//! `zielwerk-kill`: the kill -9 loop. An import of a large file is started again and again on a
//! copy of the demo database and killed without warning at a random moment; after each kill the
//! database must open, its audit chain must be whole, and the imported figures must be either
//! all there or not there at all.
//!
//! ```text
//! zielwerk-kill --programm target/release/zielwerk [--laeufe 100] [--startwert S]
//! ```
//!
//! It prints how many runs ended before, during and after the commit, and exits with 1 on any
//! mixed state, unreadable database or broken chain.

use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

const CODES: [&str; 2] = ["BG", "KDU_SUMME"];

fn zielwerk(program: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(program)
        .args(args)
        .env("ZIELWERK_LOG", "warn")
        .output()
        .expect("zielwerk runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The figures the file touches, as the command line prints them.
fn state(program: &str, db: &str) -> Result<String, String> {
    let mut all = String::new();
    for code in CODES {
        let (ok, out, err) = zielwerk(
            program,
            &[
                "figures",
                "--db",
                db,
                "--jobcenter",
                "t36402",
                "--indicator",
                code,
                "--from",
                "2023-01",
                "--to",
                "2026-10",
                "--csv",
            ],
        );
        if !ok {
            return Err(format!("figures: {err}"));
        }
        all.push_str(&out);
    }
    Ok(all)
}

/// About `rows` rows: the totals of BG for 46 months first, then classes of BG to make the file
/// long, and the totals of KDU_SUMME last. A state with the first totals but not the last is a
/// half-written import.
fn big_file(rows: usize) -> String {
    let mut s = String::from("jobcenter;kennzahl;monat;wert;status;datenstand;aufschluesselung\n");
    let month = |i: usize| format!("{}-{:02}", 2023 + (i % 46) / 12, (i % 46) % 12 + 1);
    for i in 0..46 {
        s.push_str(&format!(
            "t36402;BG;{};{};endgültig;15.11.2026;\n",
            month(i),
            20_000 + i
        ));
    }
    for i in 46..rows.max(92) - 46 {
        s.push_str(&format!(
            "t36402;BG;{};{};endgültig;15.11.2026;nr={}\n",
            month(i),
            1000 + i,
            i / 46
        ));
    }
    for i in 0..46 {
        s.push_str(&format!(
            "t36402;KDU_SUMME;{};{};endgültig;15.11.2026;\n",
            month(i),
            9_000_000 + i
        ));
    }
    s
}

/// Imports `file` into `db` once, uninterrupted: how long it took, and when the writing ended.
/// Its progress lines (standard error, not a terminal) say that: the line "abschließen" comes
/// when the whole file is read, checked and written, before the commit; it is printed only for
/// an import that has run for a second.
fn whole_import(program: &str, file_s: &str, whole_s: &str) -> (Duration, Option<Duration>) {
    let t0 = Instant::now();
    let mut child = Command::new(program)
        .args(["import", file_s, "--db", whole_s])
        .env("ZIELWERK_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the import starts");
    let mut written_by = None;
    let mut err = String::new();
    for line in
        std::io::BufRead::lines(std::io::BufReader::new(child.stderr.take().expect("piped")))
            .map_while(Result::ok)
    {
        if written_by.is_none() && line.ends_with("abschließen") {
            written_by = Some(t0.elapsed());
        }
        err.push_str(&line);
    }
    let ok = child.wait().expect("the import ends").success();
    assert!(ok, "the whole import: {err}");
    let full = t0.elapsed();
    (full, written_by)
}

fn main() -> ExitCode {
    let mut program = String::new();
    let mut runs = 100usize;
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(1);
    let mut rows = 40_000usize;
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().unwrap_or_default();
        match k.as_str() {
            "--programm" => program = v,
            "--laeufe" => runs = v.parse().unwrap_or(runs),
            "--startwert" => seed = v.parse().unwrap_or(seed),
            "--zeilen" => rows = v.parse().unwrap_or(rows),
            _ => {
                eprintln!("zielwerk-kill: unbekannte Angabe {k}");
                return ExitCode::from(2);
            }
        }
    }
    if program.is_empty() {
        eprintln!("zielwerk-kill: --programm fehlt (der Pfad des zielwerk-Programms)");
        return ExitCode::from(2);
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let pristine = dir.path().join("demo.db");
    let pristine_s = pristine.to_string_lossy().into_owned();
    let (ok, _, err) = zielwerk(&program, &["demo", "--db", &pristine_s, "--no-serve"]);
    assert!(ok, "zielwerk demo: {err}");
    let file = dir.path().join("gross.csv");
    let file_s = file.to_string_lossy().into_owned();
    let before = state(&program, &pristine_s).expect("the demo's figures");
    let whole = dir.path().join("ganz.db");
    let whole_s = whole.to_string_lossy().into_owned();
    // The whole import once, uninterrupted: the state after, and how long it takes. A file
    // written so fast that no progress line says when the writing ends (it takes less than a
    // second) cannot be killed inside the write phase on purpose: then twice as many rows.
    let (full, written_by) = loop {
        std::fs::write(&file, big_file(rows)).expect("the file is written");
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", whole.display()));
        }
        std::fs::copy(&pristine, &whole).expect("a copy");
        match whole_import(&program, &file_s, &whole_s) {
            (full, Some(written_by)) => break (full, written_by),
            (_, None) if rows < 16_000_000 => rows *= 2,
            (_, None) => panic!("even {rows} rows are written within a second"),
        }
    };
    let after = state(&program, &whole_s).expect("the figures after");
    assert_ne!(before, after, "the file changes the figures");
    println!(
        "Startwert {seed}; {rows} Zeilen, ein ganzer Import dauert {:.1} s, davon {:.1} s bis alles geschrieben ist; {runs} Läufe",
        full.as_secs_f64(),
        written_by.as_secs_f64()
    );

    let (mut none, mut all, mut mixed, mut broken, mut writing) = (0, 0, 0, 0, 0);
    let mut x = seed;
    for run in 0..runs {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        // Anywhere from the start to a little past the end of a whole import.
        let wait = Duration::from_secs_f64(
            full.as_secs_f64() * 1.1 * ((x >> 11) as f64 / (1u64 << 53) as f64),
        );
        let db = dir.path().join(format!("lauf{run}.db"));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
        std::fs::copy(&pristine, &db).expect("a copy");
        let db_s = db.to_string_lossy().into_owned();
        let mut child = Command::new(&program)
            .args(["import", &file_s, "--db", &db_s])
            .env("ZIELWERK_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the import starts");
        std::thread::sleep(wait);
        if wait < written_by {
            writing += 1;
        }
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let verdict = match state(&program, &db_s) {
            Err(e) => {
                broken += 1;
                format!("Datenbank nicht lesbar: {e}")
            }
            Ok(s) if s == before => {
                none += 1;
                String::new()
            }
            Ok(s) if s == after => {
                all += 1;
                String::new()
            }
            Ok(_) => {
                mixed += 1;
                "gemischter Zustand: ein Teil des Imports ist gespeichert".to_owned()
            }
        };
        let (ok, out, err) = zielwerk(&program, &["audit", "verify", "--db", &db_s]);
        let chain = if ok && out.contains("Kette lückenlos") {
            String::new()
        } else {
            broken += 1;
            format!("Prüfkette: {out}{err}")
        };
        if !verdict.is_empty() || !chain.is_empty() {
            println!(
                "  Lauf {run} (nach {} ms): {verdict} {chain}",
                wait.as_millis()
            );
        }
        let _ = std::fs::remove_file(Path::new(&db));
    }
    println!(
        "{runs} Läufe ({writing} davon abgebrochen, bevor alles geschrieben war): {none} ohne den Import, {all} mit dem ganzen Import, {mixed} gemischt, {broken} beschädigt"
    );
    if mixed + broken == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
