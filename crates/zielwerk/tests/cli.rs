//! The `zielwerk` binary as a user runs it: agreement files in and out, and the demo server.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_zielwerk");
const EXAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/agreement-mettmann-2022.toml"
);

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env("ZIELWERK_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_accepts_the_example_and_refuses_a_bad_file_in_german() {
    let (ok, out, _) = run(&["agreement", "check", EXAMPLE]);
    assert!(ok);
    assert!(
        out.contains("in Ordnung – jobcenter ME-aktiv 2022 (Version 1), 6 Zielbereiche, 17 Ziele"),
        "{out}"
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("kaputt.toml");
    let text = std::fs::read_to_string(EXAMPLE).unwrap().replacen(
        "indicator = \"KDU_JE_BG\"",
        "indicator = \"KDU_PRO_BG\"",
        1,
    );
    std::fs::write(&bad, text).unwrap();
    let (ok, _, err) = run(&["agreement", "check", bad.to_str().unwrap()]);
    assert!(!ok, "a bad file must fail");
    assert!(err.contains("enthält einen Fehler"), "{err}");
    assert!(
        err.contains("Feld „goals[5].indicator“: Die Kennzahl „KDU_PRO_BG“ ist nicht definiert"),
        "{err}"
    );
    assert!(err.contains("kaputt.toml, Zeile "), "{err}");
}

#[test]
fn import_then_export_gives_the_same_agreement_and_a_bad_import_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("z.db");
    let db = db.to_str().unwrap();

    // A refused file leaves the database without an agreement.
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        std::fs::read_to_string(EXAMPLE)
            .unwrap()
            .replacen("year = 2022", "year = 1999", 1),
    )
    .unwrap();
    let (ok, _, err) = run(&["agreement", "import", bad.to_str().unwrap(), "--db", db]);
    assert!(!ok);
    assert!(
        err.contains("Jahr 1999 liegt außerhalb des zulässigen Bereichs"),
        "{err}"
    );
    let (ok, _, err) = run(&["agreement", "export", "--db", db]);
    assert!(!ok);
    assert!(
        err.contains("Die Datenbank enthält keine Vereinbarung"),
        "{err}"
    );

    let (ok, out, err) = run(&["agreement", "import", EXAMPLE, "--db", db]);
    assert!(ok, "{err}");
    assert!(
        out.contains("Vereinbarung t36402-2022-v1 importiert: 17 Ziele"),
        "{out}"
    );
    let exported = dir.path().join("export.toml");
    let (ok, _, err) = run(&[
        "agreement",
        "export",
        "t36402-2022-v1",
        "-o",
        exported.to_str().unwrap(),
        "--db",
        db,
    ]);
    assert!(ok, "{err}");
    // Importing the export is a no-op: it is the same agreement.
    let (ok, out, _) = run(&[
        "agreement",
        "import",
        exported.to_str().unwrap(),
        "--db",
        db,
    ]);
    assert!(ok);
    assert!(out.contains("unverändert"), "{out}");
}

#[test]
fn demo_builds_the_database_and_serves_the_overview() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let (mut child, addr) = start_server(&[
        "demo",
        "--db",
        db.to_str().unwrap(),
        "--bind",
        "127.0.0.1:0",
    ]);
    // Without signing in, the page sends the visitor to the login.
    let anonymous = http_get(&addr, "/vereinbarungen/t36402-2022-v1");
    assert!(anonymous.starts_with("HTTP/1.1 303"), "{anonymous}");
    assert!(anonymous.contains("location: /anmelden?weiter=%2Fvereinbarungen%2Ft36402-2022-v1"));
    // The demo account the README names signs in.
    let cookie = sign_in(&addr, "kreis", "zielwerk-demo").expect("the demo account signs in");
    let body = http(&addr, "GET", "/vereinbarungen/t36402-2022-v1", &cookie, "");
    assert!(wrong_password_is_refused(&addr));
    child.kill().unwrap();
    let _ = child.wait();
    assert!(
        body.starts_with("HTTP/1.1 200"),
        "{}",
        &body[..body.len().min(200)]
    );
    assert!(body.matches("<tr class=\"goal\">").count() >= 12);
    assert!(body.contains("Angemeldet: Karla Kreis"));
}

fn wrong_password_is_refused(addr: &str) -> bool {
    sign_in(addr, "kreis", "falsches-passwort").is_none()
}

/// One HTTP/1.1 request over a plain socket with a `Cookie` header (may be empty) and a form
/// body (may be empty).
fn http(addr: &str, method: &str, path: &str, cookie: &str, form: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if !cookie.is_empty() {
        req.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    if !form.is_empty() {
        req.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            form.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(form);
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// The value of the cookie `name` set in a raw response.
fn cookie_of(response: &str, name: &str) -> Option<String> {
    response
        .lines()
        .filter_map(|l| l.strip_prefix("set-cookie: "))
        .find_map(|l| l.strip_prefix(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_owned())
        .filter(|v| !v.is_empty())
}

/// Signs in through the login form; returns the session cookie, or `None` if refused.
fn sign_in(addr: &str, login: &str, password: &str) -> Option<String> {
    let form = http(addr, "GET", "/anmelden", "", "");
    let login_cookie = cookie_of(&form, "zielwerk_anmeldung").unwrap();
    let token = form
        .split("name=\"_anmeldung\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let r = http(
        addr,
        "POST",
        "/anmelden",
        &format!("zielwerk_anmeldung={login_cookie}"),
        &format!("_anmeldung={token}&login={login}&passwort={password}&weiter=%2F"),
    );
    cookie_of(&r, "zielwerk_sitzung").map(|c| format!("zielwerk_sitzung={c}"))
}

/// `zielwerk user add` with the password on standard input.
fn add_user(db: &str, login: &str, password: &str, grants: &[&str]) -> (bool, String) {
    use std::io::Write;
    let mut args = vec!["user", "add", login, "--name", "Neue Person", "--db", db];
    for g in grants {
        args.extend(["--recht", g]);
    }
    let mut child = Command::new(BIN)
        .args(&args)
        .env("ZIELWERK_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_first_admin_is_added_on_the_command_line_and_signs_in() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("leer.db");
    let db = db.to_str().unwrap();
    let (ok, err) = add_user(db, "chefin", "zu-kurz", &["admin@*"]);
    assert!(!ok);
    assert!(err.contains("mindestens 12 Zeichen"), "{err}");
    let (ok, err) = add_user(db, "chefin", "ein-langes-passwort", &["admin@Mettmann"]);
    assert!(!ok);
    assert!(
        err.contains("--recht „admin@Mettmann“") && err.contains("BA-Kennung"),
        "{err}"
    );
    let (ok, err) = add_user(db, "chefin", "ein-langes-passwort", &["admin@*"]);
    assert!(ok, "{err}");
    assert!(err.contains("angelegt mit den Rechten: admin@*"), "{err}");
    let (ok, err) = add_user(db, "chefin", "ein-anderes-passwort", &["admin@*"]);
    assert!(!ok);
    assert!(
        err.contains("Das Benutzerkonto „chefin“ gibt es schon"),
        "{err}"
    );

    let (mut server, addr) = start_server(&["serve", "--db", db, "--bind", "127.0.0.1:0"]);
    let cookie = sign_in(&addr, "chefin", "ein-langes-passwort");
    let wrong = sign_in(&addr, "chefin", "ein-anderes-passwort");
    let cookie = cookie.unwrap_or_default();
    let home = http(&addr, "GET", "/", &cookie, "");
    // Locking the account on the command line ends its session in the running server at once.
    let (ok, _, err) = run(&["user", "disable", "chefin", "--db", db]);
    assert!(ok, "{err}");
    let locked = http(&addr, "GET", "/", &cookie, "");
    let locked_login = sign_in(&addr, "chefin", "ein-langes-passwort");
    let (ok, _, _) = run(&["user", "disable", "chefin", "--aufheben", "--db", db]);
    assert!(ok);
    let unlocked = sign_in(&addr, "chefin", "ein-langes-passwort");
    // A forgotten password is set anew on the command line.
    let reset = {
        use std::io::Write;
        let mut child = Command::new(BIN)
            .args(["user", "password", "chefin", "--db", db])
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "ein-neues-langes-passwort").unwrap();
        child.wait_with_output().unwrap()
    };
    let old = sign_in(&addr, "chefin", "ein-langes-passwort");
    let new = sign_in(&addr, "chefin", "ein-neues-langes-passwort");
    server.kill().unwrap();
    let _ = server.wait();
    assert!(!cookie.is_empty() && wrong.is_none());
    assert!(home.starts_with("HTTP/1.1 200"), "{home}");
    assert!(home.contains("Angemeldet: Neue Person"), "{home}");
    assert!(locked.starts_with("HTTP/1.1 303"), "{locked}");
    assert!(locked_login.is_none() && unlocked.is_some());
    assert!(
        reset.status.success(),
        "{}",
        String::from_utf8_lossy(&reset.stderr)
    );
    assert!(old.is_none() && new.is_some());
    let (ok, out, _) = run(&["user", "list", "--db", db]);
    assert!(ok);
    assert_eq!(out, "chefin\tNeue Person\tadmin@*\taktiv\n");
    let (ok, _, err) = run(&["user", "disable", "niemand", "--db", db]);
    assert!(!ok && err.contains("„niemand“ gibt es nicht"), "{err}");
    // Every account change is in the audit trail, which still verifies.
    let (ok, out, _) = run(&["audit", "verify", "--db", db]);
    assert!(ok && out.contains("4 Einträge"), "{out}");
}

#[test]
fn audit_verify_detects_a_row_changed_behind_the_applications_back() {
    let (_dir, db) = demo_db();
    let (ok, out, err) = run(&["audit", "verify", "--db", &db]);
    assert!(ok, "{err}");
    assert!(out.contains("Änderungsprotokoll unverändert"), "{out}");
    // Someone edits the database directly: the record of an import now names another person.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&format!("sqlite://{db}"))
            .await
            .unwrap();
        let n = sqlx::query("UPDATE audit_event SET actor = 'Niemand' WHERE seq = 3")
            .execute(&pool)
            .await
            .unwrap()
            .rows_affected();
        assert_eq!(n, 1);
        pool.close().await;
    });
    let (ok, _, err) = run(&["audit", "verify", "--db", &db]);
    assert!(!ok, "a changed row fails the check");
    assert!(
        err.contains("Änderungsprotokoll verändert: Eintrag 3 wurde nachträglich verändert"),
        "{err}"
    );
    assert!(
        err.contains("Die ersten 2 Einträge (bis Nr. 2) sind in Ordnung"),
        "{err}"
    );
}

/// Starts `zielwerk` with `args` (a serving command) and returns the process and the address it
/// announces.
fn start_server(args: &[&str]) -> (std::process::Child, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .env("ZIELWERK_LOG", "warn")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    // Keep draining stderr: a closed pipe would make the server's next message fail.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("Zielwerk läuft auf http://") {
                let _ = tx.send(rest.split('/').next().unwrap_or_default().to_owned());
            }
        }
    });
    let addr = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("server announces its address");
    (child, addr)
}

/// `zielwerk figures … --csv` for one indicator and month range: success, output, errors.
fn figures_csv(
    db: &str,
    jobcenter: &str,
    indicator: &str,
    from: &str,
    to: &str,
) -> (bool, String, String) {
    run(&[
        "figures",
        "--db",
        db,
        "--jobcenter",
        jobcenter,
        "--indicator",
        indicator,
        "--from",
        from,
        "--to",
        to,
        "--csv",
    ])
}

/// A temporary directory with a demo database built by `zielwerk demo`, and the database path.
fn demo_db() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db").to_str().unwrap().to_owned();
    let (ok, _, err) = run(&["demo", "--db", &db, "--no-serve"]);
    assert!(ok, "{err}");
    (dir, db)
}

/// A minimal HTTP/1.1 GET over a plain socket, so this test needs no client library.
fn http_get(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn figures_prints_components_values_and_reasons() {
    let (_dir, db) = demo_db();
    let db = db.as_str();
    let (ok, out, err) = figures_csv(db, "t36402", "K2", "2019-11", "2019-12");
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "monat,zaehler,nenner,wert,status,grund");
    assert_eq!(
        lines[1],
        "2019-11,,,,,\"12-Monats-Fenster unvollständig: Für INTEGRATIONEN liegt für Dezember 2018 kein Wert vor\""
    );
    // K2 = Σ integrations / mean ELB × 100, from the printed components.
    let f: Vec<&str> = lines[2].split(',').collect();
    assert_eq!(f[0], "2019-12");
    let (num, den, value): (f64, f64, f64) = (
        f[1].parse().unwrap(),
        f[2].parse().unwrap(),
        f[3].parse().unwrap(),
    );
    assert!((num / den * 100.0 - value).abs() < 1e-9);
    assert_eq!(f[4], "final");

    // Real figures of the second Jobcenter, and a German message for an unknown indicator.
    let (ok, out, _) = run(&[
        "figures",
        "--db",
        db,
        "--jobcenter",
        "t73906",
        "--indicator",
        "RLB",
        "--to",
        "2025-01",
    ]);
    assert!(ok);
    assert!(
        out.contains("2025-01") && out.contains("5.202,3") && out.contains("vorläufig"),
        "{out}"
    );
    let (ok, _, err) = run(&[
        "figures",
        "--db",
        db,
        "--jobcenter",
        "t73906",
        "--indicator",
        "XYZ",
    ]);
    assert!(!ok);
    assert!(
        err.contains("Die Kennzahl XYZ ist für t73906 nicht definiert"),
        "{err}"
    );
}

#[test]
fn backtest_reports_accuracy_against_baselines_and_coverage() {
    let (dir, db) = demo_db();
    let db = db.as_str();
    let svg = dir.path().join("kalibrierung.svg");
    let (ok, out, err) = run(&["backtest", "--db", db, "--grafik", svg.to_str().unwrap()]);
    assert!(ok, "{err}");
    // Each agreement's monthly series and INKAR's yearly series of all Kreise, each group with
    // the MASE of every candidate, of the chosen method, its coverage and its calibration.
    for group in [
        "Jobcenter Regensburg 2026: 4 Reihen",
        "ME-aktiv 2022: 14 Reihen",
        "INKAR: Unterkunft je BG, 400 Kreise, jährlich: 400 Reihen",
        "INKAR: SGB-II-Quote, 400 Kreise, jährlich: 400 Reihen",
    ] {
        assert!(out.contains(group), "{group}\n{out}");
    }
    for line in [
        "Vorjahreswert",
        "Comb",
        "Theta",
        "MSTL+ETS",
        "gewählt (Kombination) je Reihe",
    ] {
        assert!(out.contains(line), "{line}\n{out}");
    }
    let coverages: Vec<f64> = out
        .lines()
        .filter_map(|l| l.trim().strip_prefix("80-%-Intervall: Abdeckung "))
        .map(|l| {
            l.split(' ')
                .next()
                .unwrap()
                .replace(',', ".")
                .parse()
                .unwrap()
        })
        .collect();
    assert_eq!(coverages.len(), 4, "{out}");
    assert!(
        coverages.iter().all(|c| (40.0..=100.0).contains(c)),
        "{coverages:?}"
    );
    // Target proposals on held-back years: the demo's 14 goals from 2020 on (a year of values
    // before each), each level with how often it was reached and what was stated.
    assert!(
        out.contains(
            "ME-aktiv 2022: Zielvorschläge in zurückgehaltenen Jahren (14 Ziele, 36 Zieljahre;"
        ),
        "{out}"
    );
    let reached: Vec<(u32, u32, f64)> = out
        .lines()
        .filter_map(|l| {
            let (_, rest) = l.split_once("erreichbar“: ")?;
            let (reached, rest) = rest.split_once(" von ")?;
            let (made, rest) = rest.split_once(" erreicht (")?;
            let stated = rest
                .split("angegeben im Mittel ")
                .nth(1)?
                .split(' ')
                .next()?;
            Some((
                reached.parse().ok()?,
                made.parse().ok()?,
                stated.replace(',', ".").parse().ok()?,
            ))
        })
        .collect();
    assert_eq!(reached.len(), 3, "{out}");
    for ((r, m, stated), level) in reached.iter().zip([80.0, 50.0, 20.0]) {
        assert_eq!(*m, 36);
        assert!((stated - level).abs() < 5.0, "{stated} for {level}");
        assert!(r <= m);
    }
    // Likelier proposals are reached more often.
    assert!(
        reached[0].0 >= reached[1].0 && reached[1].0 >= reached[2].0,
        "{reached:?}"
    );
    assert!(
        out.contains("Jobcenter Regensburg 2026: Zielvorschläge in zurückgehaltenen Jahren (0 Ziele, 0 Zieljahre;")
            && out.contains("Keine Reihe hat ein vollständiges Jahr mit einem Jahr an Werten davor."),
        "Regensburg's 18 months hold no year to hold back: {out}"
    );
    // The calibration plot: one line per group, five stated probabilities on each.
    let plot = std::fs::read_to_string(&svg).unwrap();
    assert_eq!(plot.matches("class=\"group\"").count(), 4, "{plot}");
    assert!(plot.contains("INKAR: SGB-II-Quote, 400 Kreise, jährlich: angegeben 80 %"));
    assert!(out.contains("Kalibrierungsdiagramm: "), "{out}");
}

/// `n` plausible rows of `code` for t36402: the months January 2023 to October 2026 over and
/// over, each round a breakdown class of its own (`nr=…`), Datenstand 15.11.2026.
fn many_rows(code: &str, n: usize, value: impl Fn(usize) -> i64) -> String {
    let start: zielwerk_domain::YearMonth = "2023-01".parse().unwrap();
    (0..n)
        .map(|i| {
            let m = start.plus((i % 46) as i32).unwrap();
            format!(
                "t36402;{code};{m};{};endgültig;15.11.2026;nr={}\n",
                value(i),
                i / 46
            )
        })
        .collect()
}

#[test]
fn import_is_idempotent_and_a_bad_file_leaves_nothing_behind() {
    let (dir, db) = demo_db();
    let db = db.as_str();
    let count = || {
        let (ok, out, _) = figures_csv(db, "t36402", "SUCHT_ZUWEISUNGEN", "2023-01", "2023-01");
        assert!(ok);
        out.lines().nth(1).unwrap().to_owned()
    };
    assert!(
        count().contains("kein Wert") || count().contains("Für SUCHT_ZUWEISUNGEN liegt"),
        "{}",
        count()
    );

    // More rows than one chunk (so the transaction already holds rows) and a bad last row.
    let mut bad =
        String::from("jobcenter;kennzahl;monat;wert;status;datenstand;aufschluesselung\n");
    for code in [
        "SUCHT_ZUWEISUNGEN",
        "BUT_RUECKSTAND",
        "SUCHT_WARTEZEIT",
        "BG",
        "ELB",
        "LZB",
        "INTEGRATIONEN",
        "ELB_AE",
        "INTEGRATIONEN_AE",
        "LZB_AKTIV",
        "LLU_SUMME",
        "KDU_SUMME",
        "KIM_KOOPERATION",
        "KIM_CASE_MANAGEMENT",
    ] {
        bad.push_str(&many_rows(code, 900, |_| 1));
    }
    bad.push_str("t36402;BG;2023-01;zwei;endgültig;15.11.2026;\n");
    let bad_file = dir.path().join("kaputt.csv");
    std::fs::write(&bad_file, &bad).unwrap();
    let (ok, _, err) = run(&["import", bad_file.to_str().unwrap(), "--db", db]);
    assert!(!ok);
    assert!(
        err.contains("Die Datei kaputt.csv wurde nicht importiert"),
        "{err}"
    );
    assert!(err.contains("Wert „zwei“"), "{err}");
    assert!(err.contains("es wurde nichts gespeichert"));
    assert!(
        count().contains("kein Wert"),
        "nothing of the refused file was stored: {}",
        count()
    );

    let good = dir.path().join("zuweisungen.csv");
    std::fs::write(&good, "jobcenter;kennzahl;monat;wert;status;datenstand\nt36402;SUCHT_ZUWEISUNGEN;Januar 2023;43;endgültig;15.02.2023\n").unwrap();
    let (ok, out, err) = run(&["import", good.to_str().unwrap(), "--db", db]);
    assert!(ok, "{err}");
    assert!(out.contains("1 Wert gelesen (UTF-8), 1 neu"), "{out}");
    assert!(out.contains("Import-Kennung "));
    assert_eq!(count(), "2023-01,,,43,final,");
    // The same file again changes nothing.
    let (ok, out, _) = run(&["import", good.to_str().unwrap(), "--db", db]);
    assert!(ok);
    assert!(out.contains("0 neu, 0 revidiert, 1 unverändert"), "{out}");
    assert!(out.contains("Nichts geändert"));
}

#[test]
fn killing_an_import_midway_leaves_the_database_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let db_str = db.to_str().unwrap().to_owned();
    assert!(run(&["demo", "--db", &db_str, "--no-serve"]).0);
    let before = run(&[
        "figures",
        "--db",
        &db_str,
        "--jobcenter",
        "t36402",
        "--indicator",
        "BG",
        "--csv",
    ])
    .1;

    // A file large enough that the import is still writing when it is killed: 240,000 rows.
    let mut big =
        String::from("jobcenter;kennzahl;monat;wert;status;datenstand;aufschluesselung\n");
    let codes = [
        "BG",
        "ELB",
        "LZB",
        "INTEGRATIONEN",
        "ELB_AE",
        "INTEGRATIONEN_AE",
        "LZB_AKTIV",
        "LLU_SUMME",
        "KDU_SUMME",
        "SUCHT_ZUWEISUNGEN",
        "SUCHT_WARTEZEIT",
        "BUT_RUECKSTAND",
    ];
    for code in codes {
        big.push_str(&many_rows(code, 20_000, |i| 1000 + i as i64));
    }
    let file = dir.path().join("gross.csv");
    std::fs::write(&file, big).unwrap();
    let mut child = Command::new(BIN)
        .args(["import", file.to_str().unwrap(), "--db", &db_str])
        .env("ZIELWERK_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Its progress lines (standard error is not a terminal) say when values have been written
    // and the commit has not begun: the kill lands inside the write phase.
    let progress = std::io::BufReader::new(child.stderr.take().unwrap());
    let line = std::io::BufRead::lines(progress)
        .map_while(Result::ok)
        .find(|l| l.contains("Werte geschrieben"))
        .expect("a progress line");
    child.kill().unwrap();
    let _ = child.wait();
    assert!(
        line.ends_with("lesen, prüfen, schreiben") && !line.contains(" 0 Werte geschrieben"),
        "killed while writing: {line}"
    );

    // Reopening recovers the database: the figures are exactly those from before.
    let after = run(&[
        "figures",
        "--db",
        &db_str,
        "--jobcenter",
        "t36402",
        "--indicator",
        "BG",
        "--csv",
    ])
    .1;
    assert_eq!(before, after);
    let (ok, out, _) = run(&[
        "figures",
        "--db",
        &db_str,
        "--jobcenter",
        "t36402",
        "--indicator",
        "BG",
        "--from",
        "2005-01",
        "--to",
        "2005-01",
        "--csv",
    ]);
    assert!(ok);
    assert!(
        out.contains("kein Wert"),
        "nothing of the killed import is there: {out}"
    );
}

#[test]
fn the_real_household_file_imports_through_its_mapping() {
    let (_dir, db) = demo_db();
    let db = db.as_str();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let file = format!(
        "{root}/../shared/data/real/ba_wohnkosten_mettmann/t36402_mettmann_202604_household_size.csv"
    );
    let mapping = format!("{root}/mappings/ba-wohnkosten-haushaltsgroesse.toml");
    let (ok, out, err) = run(&["import", &file, "--mapping", &mapping, "--db", db]);
    assert!(ok, "{err}");
    assert!(out.contains("22 Werte gelesen (UTF-8), 22 neu"), "{out}");
    let (ok, out, _) = figures_csv(db, "t36402", "KDU_ANERKANNT_JE_BG", "2026-04", "2026-04");
    assert!(ok);
    assert_eq!(out.lines().nth(1), Some("2026-04,,,732.3986,final,"));
}

#[test]
fn workbooks_import_through_a_mapping_and_need_one() {
    use rust_xlsxwriter::{Format, Workbook};
    let (dir, db) = demo_db();
    let db = db.as_str();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.merge_range(0, 0, 0, 1, "Monatswerte Suchtberatung", &Format::new())
        .unwrap();
    ws.write_string(2, 0, "Monat").unwrap();
    ws.write_string(2, 1, "Zuweisungen").unwrap();
    ws.write_string(3, 0, "Januar 2023").unwrap();
    ws.write_number(3, 1, 44).unwrap();
    let book = dir.path().join("sucht.xlsx");
    wb.save(&book).unwrap();
    let mapping = dir.path().join("sucht.toml");
    std::fs::write(
        &mapping,
        "format = \"zielwerk-zuordnung/1\"\nlabel = \"Träger der Suchtberatung\"\njobcenter = \"t36402\"\nmonth_column = \"Monat\"\nstatus = \"final\"\ndatenstand = \"next_month\"\n[[values]]\ncolumn = \"Zuweisungen\"\nindicator = \"SUCHT_ZUWEISUNGEN\"\n",
    )
    .unwrap();
    let (ok, _, err) = run(&["import", book.to_str().unwrap(), "--db", db]);
    assert!(!ok);
    assert!(
        err.contains("Für Arbeitsmappen ist eine Zuordnungsdatei nötig"),
        "{err}"
    );
    let (ok, out, err) = run(&[
        "import",
        book.to_str().unwrap(),
        "--mapping",
        mapping.to_str().unwrap(),
        "--db",
        db,
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("1 Wert gelesen (XLSX), 1 neu"), "{out}");
    let (_, out, _) = figures_csv(db, "t36402", "SUCHT_ZUWEISUNGEN", "2023-01", "2023-01");
    assert_eq!(out.lines().nth(1), Some("2023-01,,,44,final,"));
}

#[test]
fn backup_while_the_server_runs_and_restore_into_an_empty_database() {
    let (dir, db) = demo_db();
    // The server holds the database open (WAL, connection pool) while the backup reads it.
    let (mut server, addr) = start_server(&["serve", "--db", &db, "--bind", "127.0.0.1:0"]);
    let file = dir.path().join("sicherung.zwb");
    let file = file.to_str().unwrap();
    let (ok, _, err) = run(&["backup", "--db", &db, "-o", file]);
    assert!(ok, "{err}");
    let tables = format!("{} Tabellen", zielwerk_store::TABLES.len());
    assert!(err.contains(&tables), "{err}");
    assert!(
        http_get(&addr, "/health").ends_with("ok"),
        "server still serves"
    );
    server.kill().unwrap();
    let _ = server.wait();
    // An existing file is never overwritten.
    let (ok, _, err) = run(&["backup", "--db", &db, "-o", file]);
    assert!(!ok);
    assert!(err.contains("gibt es schon"), "{err}");

    let restored = dir.path().join("neu.db");
    let restored = restored.to_str().unwrap();
    let (ok, _, err) = run(&["restore", file, "--db", restored]);
    assert!(ok, "{err}");
    assert!(
        err.contains(&format!("wiederhergestellt: {tables}")),
        "{err}"
    );
    let original = figures_csv(&db, "t36402", "K2", "2022-01", "2022-12");
    let copy = figures_csv(restored, "t36402", "K2", "2022-01", "2022-12");
    assert!(original.0 && copy.0);
    assert_eq!(original.1, copy.1, "the same figures come back");
    // Restoring twice is refused: the database is no longer empty.
    let (ok, _, err) = run(&["restore", file, "--db", restored]);
    assert!(!ok);
    assert!(err.contains("enthält schon Daten"), "{err}");
}

/// The same commands on PostgreSQL (a throwaway cluster): the demo, a new account, the server
/// with sign-in, and the audit check that finds a row changed in the database.
#[test]
fn everything_runs_on_postgresql_too() {
    let cluster = zielwerk_testkit::PgCluster::start();
    let url = cluster.create_database("cli");
    let db = url.as_str();
    let (ok, _, err) = run(&["demo", "--db", db, "--no-serve"]);
    assert!(ok, "{err}");
    let (ok, err) = add_user(
        db,
        "pg-admin",
        "ein-langes-passwort",
        &["admin@*", "kreis@t36402"],
    );
    assert!(ok, "{err}");
    let (mut server, addr) = start_server(&["serve", "--db", db, "--bind", "127.0.0.1:0"]);
    let cookie = sign_in(&addr, "pg-admin", "ein-langes-passwort").unwrap_or_default();
    let page = http(&addr, "GET", "/vereinbarungen/t36402-2022-v1", &cookie, "");
    let other = http(&addr, "GET", "/vereinbarungen/t73906-2026-v1", &cookie, "");
    server.kill().unwrap();
    let _ = server.wait();
    assert!(
        page.starts_with("HTTP/1.1 200"),
        "{}",
        &page[..page.len().min(300)]
    );
    assert!(other.starts_with("HTTP/1.1 404"), "no grant for Regensburg");
    let (ok, out, err) = run(&["audit", "verify", "--db", db]);
    assert!(ok && out.contains("Kette lückenlos"), "{out}{err}");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(db).await.unwrap();
        sqlx::query("UPDATE audit_event SET after_state = '{}' WHERE seq = 2")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
    let (ok, _, err) = run(&["audit", "verify", "--db", db]);
    assert!(!ok);
    assert!(
        err.contains("Eintrag 2 wurde nachträglich verändert"),
        "{err}"
    );
}

/// Help and mistakes on the command line are German, for every command: no "Usage:",
/// "Print help", "[default: …]" or "error:" from the argument parser.
#[test]
fn help_and_command_line_errors_are_german() {
    let commands: &[&[&str]] = &[
        &[],
        &["serve"],
        &["demo"],
        &["import"],
        &["figures"],
        &["backtest"],
        &["report"],
        &["report", "vorlage"],
        &["report", "monitoring"],
        &["report", "excel"],
        &["report", "publish"],
        &["report", "niederschrift"],
        &["agreement", "check"],
        &["agreement", "import"],
        &["agreement", "export"],
        &["backup"],
        &["restore"],
        &["user", "add"],
        &["user", "list"],
        &["audit", "verify"],
    ];
    for c in commands {
        let mut args = c.to_vec();
        args.push("--help");
        let (ok, out, err) = run(&args);
        assert!(ok, "{args:?}: {err}");
        assert!(out.contains("Aufruf: zielwerk"), "{args:?}: {out}");
        assert!(out.contains("Diese Hilfe anzeigen"), "{args:?}: {out}");
        for english in [
            "Usage:",
            "Print help",
            "[default:",
            "[env:",
            "Options:",
            "Commands:",
            "Arguments:",
        ] {
            assert!(!out.contains(english), "{args:?}: „{english}“ in\n{out}");
        }
    }
    // Sign-in through an identity provider needs its client secret; the command says where from.
    let (ok, _, err) = run(&[
        "serve",
        "--db",
        "/nonexistent/zielwerk.db",
        "--oidc-issuer",
        "https://login.kreis.example/realms/verwaltung",
    ]);
    assert!(!ok);
    assert!(
        err.contains("Für die zentrale Anmeldung fehlt das Client-Geheimnis: --oidc-client-secret-file DATEI oder die Umgebungsvariable ZIELWERK_OIDC_CLIENT_SECRET"),
        "{err}"
    );
    let (_, out, _) = run(&["serve", "--help"]);
    assert!(
        out.contains("--oidc-issuer") && out.contains("--passwort-anmeldung"),
        "{out}"
    );
    let (_, out, _) = run(&["import", "--help"]);
    assert!(out.contains("--mapping") && out.contains("XLSX"), "{out}");

    for (args, expected) in [
        (
            &["gibtsnicht"][..],
            "Fehler: Den Befehl „gibtsnicht“ gibt es nicht.",
        ),
        (
            &["import", "--falsch", "x"][..],
            "Fehler: Die Angabe „--falsch“ gibt es hier nicht.",
        ),
        (
            &["report", "excel"][..],
            "Fehler: Es fehlt die Angabe --output <OUTPUT>, <AGREEMENT>.",
        ),
    ] {
        let (ok, _, err) = run(args);
        assert!(!ok);
        assert!(err.starts_with(expected), "{args:?}: {err}");
        assert!(err.contains("Mehr mit --help."), "{err}");
        assert!(!err.contains("error:") && !err.contains("Usage:"), "{err}");
    }
}

/// After `zielwerk demo` the database file alone holds the data: copying `zielwerk.db` without
/// its write-ahead log copies everything.
#[test]
fn the_demo_database_file_alone_holds_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("zielwerk.db");
    let (ok, _, err) = run(&["demo", "--no-serve", "--db", db.to_str().unwrap()]);
    assert!(ok, "{err}");
    let copy = tempfile::tempdir().unwrap();
    let copied = copy.path().join("kopie.db");
    std::fs::copy(&db, &copied).unwrap();
    let (ok, out, err) = run(&[
        "agreement",
        "export",
        "t36402-2022-v1",
        "--db",
        copied.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(
        out.contains("title = \"Trilaterale Zielvereinbarung 2022\""),
        "{out}"
    );
}

/// Output into a pipe that is already closed (`zielwerk figures … | head -1` once `head` has
/// gone) ends the command quietly, without a panic.
#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    let (_dir, db) = demo_db();
    for args in [
        vec![
            "figures",
            "--jobcenter",
            "t36402",
            "--indicator",
            "K2",
            "--db",
            &db,
        ],
        vec!["user", "list", "--db", &db],
    ] {
        let mut child = Command::new(BIN)
            .args(&args)
            .env("ZIELWERK_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_ne!(out.status.code(), Some(101), "{args:?}: {err}");
    }
}

/// A file that is not UTF-8 is named with what to do, in German.
#[test]
fn a_file_in_another_encoding_is_refused_in_german() {
    let dir = tempfile::tempdir().unwrap();
    let latin = dir.path().join("latin1.toml");
    std::fs::write(&latin, b"title = \"Zielvereinbarung f\xfcr 2022\"\n").unwrap();
    let (ok, _, err) = run(&["agreement", "check", latin.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        err.contains("ist kein UTF-8-Text; speichern Sie die Datei mit der Kodierung UTF-8"),
        "{err}"
    );
    assert!(!err.contains("stream did not contain"), "{err}");
    let (ok, _, err) = run(&["agreement", "check", "/gibt/es/nicht.toml"]);
    assert!(!ok);
    assert!(err.contains("/gibt/es/nicht.toml gibt es nicht"), "{err}");
}

/// A multipart upload of `body` as `name` to the import preview; the raw response.
fn http_upload(addr: &str, cookie: &str, csrf: &str, name: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let boundary = "zielwerk-test-grenze";
    let payload = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"datei\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n{body}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"zuordnung\"\r\n\r\n\r\n--{boundary}--\r\n"
    );
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST /import/vorschau?_csrf={csrf} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nCookie: {cookie}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n{payload}",
        payload.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// The value of the first form field `name` in a page.
fn field<'a>(page: &'a str, name: &str) -> &'a str {
    page.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .unwrap_or_else(|| panic!("Feld {name} fehlt: {}", &page[..page.len().min(400)]))
        .split('"')
        .next()
        .unwrap()
}

/// Two server processes on one PostgreSQL, as a Land installation behind a load balancer runs
/// them: whatever process a request lands on, sign-in tokens, sessions, the count of failed
/// sign-ins, pages, previews awaiting confirmation and the audit chain are those of one
/// installation (issue 14).
#[test]
fn two_server_processes_on_one_postgresql_act_as_one() {
    let cluster = zielwerk_testkit::PgCluster::start();
    let url = cluster.create_database("zwei");
    let db = url.as_str();
    assert!(run(&["demo", "--db", db, "--no-serve"]).0);
    let (ok, err) = add_user(
        db,
        "land",
        "ein-langes-passwort",
        &["admin@*", "kreis@t36402", "jobcenter@t36402"],
    );
    assert!(ok, "{err}");
    let (mut a_proc, a) = start_server(&["serve", "--db", db, "--bind", "127.0.0.1:0"]);
    let (mut b_proc, b) = start_server(&["serve", "--db", db, "--bind", "127.0.0.1:0"]);

    // A sign-in form from A is good on B; a token nobody signed is refused even when cookie and
    // field agree.
    let form = http(&a, "GET", "/anmelden", "", "");
    let token = cookie_of(&form, "zielwerk_anmeldung").unwrap();
    let r = http(
        &b,
        "POST",
        "/anmelden",
        &format!("zielwerk_anmeldung={token}"),
        &format!("_anmeldung={token}&login=land&passwort=ein-langes-passwort&weiter=%2F"),
    );
    let cookie = cookie_of(&r, "zielwerk_sitzung")
        .map(|c| format!("zielwerk_sitzung={c}"))
        .unwrap_or_else(|| panic!("{}", &r[..r.len().min(400)]));
    let made_up = "a".repeat(64);
    let r = http(
        &a,
        "POST",
        "/anmelden",
        &format!("zielwerk_anmeldung={made_up}"),
        &format!("_anmeldung={made_up}&login=land&passwort=ein-langes-passwort&weiter=%2F"),
    );
    assert!(r.starts_with("HTTP/1.1 403"), "{}", &r[..r.len().min(300)]);
    assert!(cookie_of(&r, "zielwerk_sitzung").is_none());

    // The session made on B is good on A.
    let home = http(&a, "GET", "/", &cookie, "");
    assert!(
        home.starts_with("HTTP/1.1 200"),
        "{}",
        &home[..home.len().min(300)]
    );
    let csrf = field(&home, "_csrf").to_owned();

    // Failed sign-ins count across both: five wrong passwords, alternately on A and B, and the
    // sixth attempt on B waits.
    for i in 0..5 {
        assert!(
            sign_in(
                if i % 2 == 0 { &a } else { &b },
                "kreis",
                "falsch-falsch-falsch"
            )
            .is_none()
        );
    }
    let form = http(&b, "GET", "/anmelden", "", "");
    let t = cookie_of(&form, "zielwerk_anmeldung").unwrap();
    let r = http(
        &b,
        "POST",
        "/anmelden",
        &format!("zielwerk_anmeldung={t}"),
        &format!("_anmeldung={t}&login=kreis&passwort=zielwerk-demo&weiter=%2F"),
    );
    assert!(r.starts_with("HTTP/1.1 429"), "{}", &r[..r.len().min(300)]);
    assert!(r.contains("Zu viele fehlgeschlagene Anmeldungen"));

    // A page B has cached shows a value imported through A; the preview made on A is confirmed
    // on B, once.
    let goal = "/vereinbarungen/t36402-2022-v1/ziele/kdu-bg";
    let before = http(&b, "GET", goal, &cookie, "");
    assert!(before.starts_with("HTTP/1.1 200"));
    assert!(!before.contains("<td class=\"num\">18.123</td>"));
    let csv = "jobcenter;kennzahl;monat;wert;status;datenstand\nt36402;BG;2022-06;18.123;endgültig;31.03.2023\n";
    let preview = http_upload(&a, &cookie, &csrf, "bg.csv", csv);
    assert!(
        preview.starts_with("HTTP/1.1 200"),
        "{}",
        &preview[..preview.len().min(600)]
    );
    let confirm = format!("token={}&_csrf={csrf}", field(&preview, "token"));
    let done = http(&b, "POST", "/import/bestaetigen", &cookie, &confirm);
    assert!(
        done.contains("Import gespeichert"),
        "{}",
        &done[..done.len().min(600)]
    );
    let again = http(&a, "POST", "/import/bestaetigen", &cookie, &confirm);
    assert!(again.contains("Diese Vorschau ist nicht mehr vorhanden"));
    // B reassesses the agreement in the background; a read waits briefly for that and
    // otherwise shows the last assessment marked as not current. Under the load of the other
    // tests the reassessment can take longer than that wait.
    let mut after = String::new();
    for _ in 0..120 {
        after = http(&b, "GET", goal, &cookie, "");
        if after.contains("<td class=\"num\">18.123</td>") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    assert!(
        after.contains("<td class=\"num\">18.123</td>"),
        "B serves the new value"
    );

    // Writes from both processes and from the command line at once keep one audit chain.
    let dir = tempfile::tempdir().unwrap();
    let writers: Vec<_> = (0..6)
        .map(|i| {
            let (a, b, cookie, csrf) = (a.clone(), b.clone(), cookie.clone(), csrf.clone());
            let file = dir.path().join(format!("w{i}.csv"));
            std::fs::write(
                &file,
                format!(
                    "jobcenter;kennzahl;monat;wert;status;datenstand\nt36402;BG;2022-0{};{}.{:03};endgültig;31.03.2023\n",
                    1 + i % 5,
                    17,
                    100 + i
                ),
            )
            .unwrap();
            let db = db.to_owned();
            std::thread::spawn(move || {
                if i % 3 == 2 {
                    let out = Command::new(BIN)
                        .args(["import", file.to_str().unwrap(), "--db", &db])
                        .env("ZIELWERK_LOG", "warn")
                        .output()
                        .unwrap();
                    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
                } else {
                    let csv = std::fs::read_to_string(&file).unwrap();
                    let (x, y) = if i % 2 == 0 { (&a, &b) } else { (&b, &a) };
                    let p = http_upload(x, &cookie, &csrf, "w.csv", &csv);
                    let c = format!("token={}&_csrf={csrf}", field(&p, "token"));
                    let d = http(y, "POST", "/import/bestaetigen", &cookie, &c);
                    assert!(d.contains("Import gespeichert"), "{}", &d[..d.len().min(600)]);
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }

    // Signing out on A ends the session on B.
    let out = http(&a, "POST", "/abmelden", &cookie, &format!("_csrf={csrf}"));
    assert!(
        out.starts_with("HTTP/1.1 303"),
        "{}",
        &out[..out.len().min(300)]
    );
    let gone = http(&b, "GET", goal, &cookie, "");
    assert!(
        !gone.starts_with("HTTP/1.1 200"),
        "{}",
        &gone[..gone.len().min(300)]
    );

    for p in [&mut a_proc, &mut b_proc] {
        p.kill().unwrap();
        let _ = p.wait();
    }
    let (ok, out, err) = run(&["audit", "verify", "--db", db]);
    assert!(ok && out.contains("Kette lückenlos"), "{out}{err}");
}

/// The last audit event of a SQLite database: what it says, and who.
fn last_audit_event(db: &str) -> (Vec<Option<String>>, String) {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sqlx::Row;
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&format!("sqlite://{db}"))
            .await
            .unwrap();
        let r = sqlx::query(
            "SELECT jobcenter_id, agreement_id, goal_key, indicator, action, subject, before_state, after_state, actor
             FROM audit_event ORDER BY seq DESC LIMIT 1",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        let what = (0..8)
            .map(|i| r.try_get::<Option<String>, _>(i).unwrap())
            .collect();
        (what, r.try_get("actor").unwrap())
    })
}

/// One import, through the three front doors: the upload page, the API with a token, the
/// command line. Each runs the application core's import: the same counts, the same audit
/// entry, differing only in who made it.
#[test]
fn the_same_import_through_page_api_and_command_line_is_one_operation() {
    let csv = "jobcenter;kennzahl;monat;wert;status;datenstand\nt36402;BG;2022-06;18.123;endgültig;31.03.2023\nt36402;BG;2023-01;17.901;vorläufig;28.02.2023\n";
    let user = std::env::var("USER").unwrap_or_else(|_| "unbekannt".into());

    // The command line.
    let (_cli_dir, cli_db) = demo_db();
    let file = _cli_dir.path().join("bg.csv");
    std::fs::write(&file, csv).unwrap();
    let (ok, out, err) = run(&["import", file.to_str().unwrap(), "--db", &cli_db]);
    assert!(ok, "{err}");
    assert!(out.contains("2 Werte gelesen"), "{out}");
    assert!(out.contains("1 neu, 1 revidiert"), "{out}");
    let (cli_event, cli_actor) = last_audit_event(&cli_db);
    assert_eq!(cli_actor, format!("Kommandozeile ({user})"));

    // The upload page, preview then confirmation.
    let (_web_dir, web_db) = demo_db();
    let (mut server, addr) = start_server(&["serve", "--db", &web_db, "--bind", "127.0.0.1:0"]);
    let cookie = sign_in(&addr, "kreis", "zielwerk-demo").unwrap();
    let home = http(&addr, "GET", "/", &cookie, "");
    let csrf = field(&home, "_csrf").to_owned();
    let preview = http_upload(&addr, &cookie, &csrf, "bg.csv", csv);
    let confirm = format!("token={}&_csrf={csrf}", field(&preview, "token"));
    let done = http(&addr, "POST", "/import/bestaetigen", &cookie, &confirm);
    assert!(
        done.contains("Import gespeichert"),
        "{}",
        &done[..done.len().min(600)]
    );
    for (label, n) in [("Werte gelesen", 2), ("neu", 1)] {
        assert!(
            done.contains(&format!(
                "<th scope=\"row\">{label}</th><td class=\"num\">{n}</td>"
            )),
            "{label}: {}",
            &done[..done.len().min(2000)]
        );
    }
    server.kill().unwrap();
    let _ = server.wait();
    let (web_event, web_actor) = last_audit_event(&web_db);
    assert_eq!(web_actor, "kreis (Karla Kreis (Sozialamt, Demo))");

    // The API, with a token the operator made for the account.
    let (_api_dir, api_db) = demo_db();
    let (ok, token, err) = run(&[
        "token",
        "create",
        "kreis",
        "--name",
        "Data Warehouse",
        "--db",
        &api_db,
    ]);
    assert!(ok, "{err}");
    let token = token.trim().to_owned();
    assert!(token.starts_with("zw_"), "{token}");
    let (mut server, addr) = start_server(&["serve", "--db", &api_db, "--bind", "127.0.0.1:0"]);
    let answer = {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        write!(
            s,
            "POST /api/v1/werte/datei?name=bg.csv HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAuthorization: Bearer {token}\r\nContent-Type: text/csv\r\nContent-Length: {}\r\n\r\n{csv}",
            csv.len()
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    };
    server.kill().unwrap();
    let _ = server.wait();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains("\"gelesen\":2,\"neu\":1,\"revidiert\":1"),
        "{answer}"
    );
    let (api_event, api_actor) = last_audit_event(&api_db);
    assert_eq!(
        api_actor,
        "kreis (Karla Kreis (Sozialamt, Demo)) mit API-Schlüssel „Data Warehouse“"
    );

    // The same entry: Jobcenter, indicator, action, subject, before and after.
    assert_eq!(web_event, api_event);
    assert_eq!(cli_event, web_event);
    assert_eq!(cli_event[4].as_deref(), Some("values.import"));
}

#[test]
fn comparison_groups_are_assigned_from_a_file_all_or_nothing() {
    let (dir, db) = demo_db();
    let file = dir.path().join("vergleichstypen.csv");
    std::fs::write(
        &file,
        "kreis;vergleichstyp;bezeichnung\n05158;IIc;Städtisch\n05111;IIc;Städtisch\n09362;Ia;Ländlich\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let (ok, out, err) = run(&["groups", "list", "--db", &db]);
    assert!(ok, "{err}");
    assert!(out.contains("Keine Vergleichsgruppen zugeordnet"), "{out}");
    let name = "SGB-II-Vergleichstypen (Test)";
    let (ok, out, err) = run(&["groups", "import", file, "--name", name, "--db", &db]);
    assert!(ok, "{err}");
    assert!(
        out.contains(
            "Vergleichsgruppen „SGB-II-Vergleichstypen (Test)“ importiert: 3 Kreise in 2 Gruppen"
        ),
        "{out}"
    );
    // A refused file names its row and leaves the stored grouping as it was.
    let bad = dir.path().join("kaputt.csv");
    std::fs::write(&bad, "kreis;vergleichstyp\n05158;IIc\n99999;Ia\n").unwrap();
    let (ok, _, err) = run(&[
        "groups",
        "import",
        bad.to_str().unwrap(),
        "--name",
        name,
        "--db",
        &db,
    ]);
    assert!(!ok);
    assert!(
        err.contains("kaputt.csv, Zeile 3, Spalte „kreis“, Wert „99999“: Diesen Kreisschlüssel gibt es im Gebietsverzeichnis nicht"),
        "{err}"
    );
    assert!(err.contains("es wurde nichts gespeichert"), "{err}");
    let (ok, out, _) = run(&["groups", "list", "--db", &db]);
    assert!(ok);
    assert!(
        out.contains("3 Kreise in 2 Gruppen, aus vergleichstypen.csv"),
        "{out}"
    );
}

#[test]
fn records_are_counted_into_values_of_their_own_and_a_bad_file_stores_nothing() {
    let (dir, db) = demo_db();
    let data = dir.path().join("daten");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(
        data.join("leistungszeitraeume.csv"),
        "person;bg;jobcenter;von;bis;erwerbsfaehig;alleinerziehend\n\
         1;1;t36402;01.01.2021;;ja;nein\n\
         2;1;t36402;01.06.2022;31.01.2023;ja;ja\n",
    )
    .unwrap();
    let args = |extra: &[&str]| {
        let mut a = vec![
            "records",
            data.to_str().unwrap(),
            "--von",
            "2023-01",
            "--bis",
            "2023-02",
            "--datenstand",
            "2023-03-05",
            "--db",
            &db,
        ];
        a.extend_from_slice(extra);
        a.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let as_str = |v: &[String]| v.iter().map(String::as_str).collect::<Vec<_>>().join(" ");
    let run_owned = |v: Vec<String>| run(&v.iter().map(String::as_str).collect::<Vec<_>>());
    let (ok, out, err) = run_owned(args(&["--probe"]));
    assert!(ok, "{err}");
    assert!(
        out.contains("32 Werte aus eigenen Daten berechnet: 32 neu") && out.contains("nur geprüft"),
        "{out}"
    );
    let (ok, out, err) = run_owned(args(&[]));
    assert!(ok, "{} {err}", as_str(&args(&[])));
    assert!(
        out.contains("32 Werte aus eigenen Daten berechnet: 32 neu"),
        "{out}"
    );
    assert!(out.contains("Import-Kennung"), "{out}");
    // The ELB of January as the figures command shows them, marked as own.
    let (ok, out, _) = run(&[
        "figures",
        "--db",
        &db,
        "--jobcenter",
        "t36402",
        "--indicator",
        "ELB",
        "--from",
        "2023-01",
    ]);
    assert!(ok);
    assert!(out.contains("aus eigenen Daten"), "{out}");

    std::fs::write(
        data.join("integrationen.csv"),
        "person;datum;art\n2;01.02.2023;festanstellung\n",
    )
    .unwrap();
    let (ok, _, err) = run_owned(args(&[]));
    assert!(!ok);
    assert!(
        err.contains("Es wurde nichts gespeichert: integrationen.csv, Zeile 2, Spalte „art“: „festanstellung“ ist keine Art der Aufnahme"),
        "{err}"
    );

    // A case list of the Kreis on its own, its Jobcenter named on the command line.
    let sucht = dir.path().join("suchtberatung.csv");
    std::fs::write(
        &sucht,
        "person;zuweisung;beginn\n1;03.01.2023;10.01.2023\n2;20.02.2023;\n",
    )
    .unwrap();
    let case_list = |extra: &[&str]| {
        let mut a = vec![
            "records",
            sucht.to_str().unwrap(),
            "--von",
            "2023-01",
            "--bis",
            "2023-02",
            "--datenstand",
            "2023-03-05",
            "--db",
            &db,
        ];
        a.extend_from_slice(extra);
        run(&a)
    };
    let (ok, _, err) = case_list(&[]);
    assert!(!ok);
    assert!(
        err.contains("Spalte „jobcenter“: Die Spalte fehlt in der Kopfzeile; ohne sie muss beim Hochladen angegeben sein"),
        "{err}"
    );
    let (ok, out, err) = case_list(&["--jobcenter", "t36402"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("SUCHT_ANTRITT, Februar 2023: Noch kein Wert: die Antrittsquote zählt Beratungen bis 31.03.2023, die Liste reicht bis 05.03.2023"),
        "{out}"
    );
    assert!(
        out.contains("SUCHT_ABSCHLUESSE: 2 Werte nicht gespeichert, weil keine Vereinbarung diese Kennzahl definiert"),
        "{out}"
    );
    // January: referrals, waiting time and take-up; February: the referrals (no start yet).
    assert!(
        out.contains("4 Werte aus eigenen Daten berechnet: 4 neu"),
        "{out}"
    );
}
