//! `zielwerk-soak`: a bounded soak of a real `zielwerk serve` process. Clients sign in as the
//! demo's accounts and mix reads (overview, goal pages, monitoring, OParl) with writes (comments
//! on values, small imports with preview and confirmation); the server's resident memory is
//! sampled every second.
//!
//! ```text
//! zielwerk-soak --programm target/release/zielwerk [--sekunden 300] [--clients 50] [--aufwaermen 60] [--nur-lesen] [--db DB]
//! ```
//!
//! It prints requests, errors, latency and RSS at the end of the warm-up and at the end, and
//! exits with 1 when any request failed (a 5xx, a refused write, a broken connection).

use std::io::{BufRead, BufReader};
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

struct Args {
    program: String,
    seconds: u64,
    clients: usize,
    warmup: u64,
    db: Option<String>,
    /// Reads only (to tell growth of the data from growth of the server).
    read_only: bool,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        program: String::new(),
        seconds: 300,
        clients: 50,
        warmup: 60,
        db: None,
        read_only: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().ok_or(format!("{k} braucht einen Wert"));
        match k.as_str() {
            "--programm" => a.program = v()?,
            "--sekunden" => a.seconds = v()?.parse().map_err(|_| "--sekunden: eine Zahl")?,
            "--clients" => a.clients = v()?.parse().map_err(|_| "--clients: eine Zahl")?,
            "--aufwaermen" => a.warmup = v()?.parse().map_err(|_| "--aufwaermen: eine Zahl")?,
            "--db" => a.db = Some(v()?),
            "--nur-lesen" => a.read_only = true,
            _ => return Err(format!("unbekannte Angabe {k}")),
        }
    }
    if a.program.is_empty() {
        return Err("--programm fehlt (der Pfad des zielwerk-Programms)".into());
    }
    a.warmup = a.warmup.min(a.seconds / 2);
    Ok(a)
}

/// The resident memory of `pid` in MB, from `/proc`.
fn rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

#[derive(Default)]
struct Tally {
    requests: AtomicU64,
    errors: AtomicU64,
    writes: AtomicU64,
    latencies_ms: Mutex<Vec<u32>>,
    first_errors: Mutex<Vec<String>>,
}

impl Tally {
    async fn error(&self, what: String) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        let mut f = self.first_errors.lock().await;
        if f.len() < 10 {
            f.push(what);
        }
    }
}

/// Signs in through the form; the session cookie and the CSRF token.
async fn sign_in(
    http: &reqwest::Client,
    base: &str,
    login: &str,
) -> Result<(String, String), String> {
    let form = http
        .get(format!("{base}/anmelden"))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let token = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("zielwerk_anmeldung="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
        .ok_or("kein Anmelde-Cookie")?;
    let r = http
        .post(format!("{base}/anmelden"))
        .header("cookie", format!("zielwerk_anmeldung={token}"))
        .form(&[
            ("_anmeldung", token.as_str()),
            ("login", login),
            ("passwort", "zielwerk-demo"),
            ("weiter", "/"),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let session = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("zielwerk_sitzung="))
        .map(|v| {
            format!(
                "zielwerk_sitzung={}",
                v.split(';').next().unwrap_or_default()
            )
        })
        .ok_or(format!("Anmeldung als {login} abgelehnt ({})", r.status()))?;
    let home = http
        .get(format!("{base}/"))
        .header("cookie", &session)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    let csrf = home
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .ok_or("kein CSRF-Token auf der Startseite")?
        .to_owned();
    Ok((session, csrf))
}

const READS: [&str; 7] = [
    "/vereinbarungen/t36402-2022-v1",
    "/vereinbarungen/t36402-2022-v1/ziele/kdu-bg",
    "/vereinbarungen/t36402-2022-v1/ziele/kdu-je-bg",
    "/vereinbarungen/t36402-2022-v1/monitoring",
    "/vereinbarungen/t36402-2022-v1/berichte",
    "/oparl/v1/bodies",
    "/",
];

/// One client: `n` decides its account and its share of writes.
async fn client(n: usize, base: String, until: Instant, tally: Arc<Tally>, read_only: bool) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .expect("an HTTP client");
    let login = ["kreis", "jobcenter", "agentur"][n % 3];
    let (cookie, csrf) = match sign_in(&http, &base, login).await {
        Ok(s) => s,
        Err(e) => {
            tally.error(format!("Client {n}: {e}")).await;
            return;
        }
    };
    let mut i = n;
    while Instant::now() < until {
        i = i
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let pick = if read_only {
            14 + (i >> 33) % 86
        } else {
            (i >> 33) % 100
        };
        let started = Instant::now();
        let outcome: Result<(), String> = if pick < 8 {
            // A comment on a value (Kreis and Jobcenter may comment).
            let r = http
                .post(format!(
                    "{base}/vereinbarungen/t36402-2022-v1/ziele/kdu-bg/anmerkungen"
                ))
                .header("cookie", &cookie)
                .form(&[
                    ("_csrf", csrf.as_str()),
                    ("monat", "2022-06"),
                    ("text", &format!("Soak-Anmerkung {n}-{pick}")),
                    ("autor", "Soak"),
                ])
                .send()
                .await;
            tally.writes.fetch_add(1, Ordering::Relaxed);
            match r {
                Ok(r) if r.status().is_redirection() || r.status().is_success() => Ok(()),
                // Agentur may not comment: a 403 is the right answer, not an error.
                Ok(r) if r.status() == 403 && login == "agentur" => Ok(()),
                Ok(r) => Err(format!("Anmerkung: {}", r.status())),
                Err(e) => Err(format!("Anmerkung: {e}")),
            }
        } else if pick < 14 && login != "agentur" {
            import(&http, &base, &cookie, &csrf, n, pick).await
        } else {
            // Now and then a PDF (typst holds caches between documents).
            let path = if pick < 16 {
                "/vereinbarungen/t36402-2022-v1/monitoring.pdf"
            } else {
                READS[(i >> 40) % READS.len()]
            };
            match http
                .get(format!("{base}{path}"))
                .header("cookie", &cookie)
                .send()
                .await
            {
                Ok(r) if r.status().is_success() => {
                    r.bytes().await.map(|_| ()).map_err(|e| e.to_string())
                }
                Ok(r) => Err(format!("{path}: {}", r.status())),
                Err(e) => Err(format!("{path}: {e}")),
            }
        };
        tally.requests.fetch_add(1, Ordering::Relaxed);
        let ms = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
        tally.latencies_ms.lock().await.push(ms);
        if let Err(e) = outcome {
            tally.error(e).await;
        }
    }
}

/// A one-row import, previewed and confirmed.
async fn import(
    http: &reqwest::Client,
    base: &str,
    cookie: &str,
    csrf: &str,
    n: usize,
    pick: usize,
) -> Result<(), String> {
    let csv = format!(
        "jobcenter;kennzahl;monat;wert;status;datenstand\nt36402;BG;2022-{:02};{}.{:03};endgültig;31.03.2023\n",
        1 + n % 12,
        17,
        pick * 7 % 1000
    );
    let form = reqwest::multipart::Form::new()
        .part(
            "datei",
            reqwest::multipart::Part::text(csv).file_name("soak.csv"),
        )
        .text("zuordnung", "");
    let preview = http
        .post(format!("{base}/import/vorschau?_csrf={csrf}"))
        .header("cookie", cookie)
        .multipart(form)
        .send()
        .await
        .map_err(|e| format!("Vorschau: {e}"))?;
    let status = preview.status();
    let page = preview.text().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("Vorschau: {status}"));
    }
    let token = page
        .split("name=\"token\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .ok_or("Vorschau ohne Bestätigung")?;
    let done = http
        .post(format!("{base}/import/bestaetigen"))
        .header("cookie", cookie)
        .form(&[("token", token), ("_csrf", csrf)])
        .send()
        .await
        .map_err(|e| format!("Bestätigung: {e}"))?;
    let status = done.status();
    let page = done.text().await.map_err(|e| e.to_string())?;
    if status.is_success() && page.contains("Import gespeichert") {
        Ok(())
    } else {
        Err(format!("Bestätigung: {status}"))
    }
}

fn main() -> ExitCode {
    let a = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("zielwerk-soak: {e}");
            return ExitCode::from(2);
        }
    };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db =
        a.db.clone()
            .unwrap_or_else(|| dir.path().join("soak.db").to_string_lossy().into_owned());
    let demo = Command::new(&a.program)
        .args(["demo", "--db", &db, "--no-serve"])
        .env("ZIELWERK_LOG", "warn")
        .output()
        .expect("zielwerk demo runs");
    if !demo.status.success() {
        eprintln!("zielwerk demo: {}", String::from_utf8_lossy(&demo.stderr));
        return ExitCode::from(2);
    }
    let mut server = Command::new(&a.program)
        .args(["serve", "--db", &db, "--bind", "127.0.0.1:0"])
        .env("ZIELWERK_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("zielwerk serve starts");
    let pid = server.id();
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = server.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("Zielwerk läuft auf http://") {
                let _ = tx.send(rest.split('/').next().unwrap_or_default().to_owned());
            } else if line.contains("ERROR") {
                eprintln!("Server: {line}");
            }
        }
    });
    let Ok(addr) = rx.recv_timeout(Duration::from_secs(120)) else {
        eprintln!("Der Server meldete keine Adresse");
        let _ = server.kill();
        let _ = server.wait();
        return ExitCode::from(2);
    };
    let base = format!("http://{addr}");
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let tally = Arc::new(Tally::default());
    let started = Instant::now();
    let until = started + Duration::from_secs(a.seconds);
    let samples: Arc<std::sync::Mutex<Vec<(f64, f64)>>> = Arc::default();
    let sampler = {
        let samples = samples.clone();
        std::thread::spawn(move || {
            while Instant::now() < until + Duration::from_secs(1) {
                if let Some(mb) = rss_mb(pid) {
                    samples
                        .lock()
                        .unwrap()
                        .push((started.elapsed().as_secs_f64(), mb));
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        })
    };
    let rss_start = rss_mb(pid).unwrap_or_default();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..a.clients)
            .map(|n| tokio::spawn(client(n, base.clone(), until, tally.clone(), a.read_only)))
            .collect();
        for t in tasks {
            let _ = t.await;
        }
    });
    let _ = sampler.join();
    let _ = server.kill();
    let _ = server.wait();

    let samples = samples.lock().unwrap().clone();
    let at = |t: f64| {
        samples
            .iter()
            .rev()
            .find(|(s, _)| *s <= t)
            .map_or(rss_start, |(_, mb)| *mb)
    };
    let warm = at(a.warmup as f64);
    let end = samples.last().map_or(rss_start, |(_, mb)| *mb);
    let peak = samples.iter().map(|(_, mb)| *mb).fold(rss_start, f64::max);
    let mut lat = runtime.block_on(async { tally.latencies_ms.lock().await.clone() });
    lat.sort_unstable();
    let q = |p: f64| {
        lat.get(((lat.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or(0)
    };
    let requests = tally.requests.load(Ordering::Relaxed);
    let errors = tally.errors.load(Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{} Clients, {:.0} s: {} Anfragen ({:.1}/s), davon {} Schreibvorgänge, {} Fehler; Antwortzeit p50 {} ms, p95 {} ms, p99 {} ms",
        a.clients,
        elapsed,
        requests,
        requests as f64 / elapsed,
        tally.writes.load(Ordering::Relaxed),
        errors,
        q(0.5),
        q(0.95),
        q(0.99)
    );
    println!(
        "Speicher (RSS): Start {rss_start:.0} MB, nach {} s Aufwärmen {warm:.0} MB, Ende {end:.0} MB ({:+.1} % seit dem Aufwärmen), höchstens {peak:.0} MB",
        a.warmup,
        if warm > 0.0 {
            (end / warm - 1.0) * 100.0
        } else {
            0.0
        }
    );
    for e in runtime.block_on(async { tally.first_errors.lock().await.clone() }) {
        println!("  Fehler: {e}");
    }
    if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
