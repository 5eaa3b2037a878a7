//! `zielwerk serve`: the web application on a database. The only command that needs the web
//! crate.

use anyhow::{Context, Result};
use zielwerk_store::Store;

use super::{BindArg, DbArg, open};

/// Startet den Webserver.
#[derive(clap::Args)]
pub struct Args {
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
}

pub async fn run(a: Args) -> Result<()> {
    let store = open(&a.db.db).await?;
    serve(store, &a.bind.bind, a.secure_cookies, a.public_url).await
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

/// Serves `store` on `bind` until Ctrl-C.
pub async fn serve(
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
    // Up to ten agreements by name; a national database (hundreds) is summed up.
    const LISTED: usize = 10;
    let agreements = store.agreements().await?;
    for a in agreements.iter().take(LISTED) {
        eprintln!(
            "  {} {}: http://{addr}/vereinbarungen/{}",
            a.jobcenter_name, a.year, a.key
        );
    }
    if agreements.len() > LISTED {
        let more = agreements.len() - LISTED;
        eprintln!(
            "  … und {} (alle auf http://{addr}/)",
            if more == 1 {
                "eine weitere Vereinbarung".to_owned()
            } else {
                format!("{more} weitere Vereinbarungen")
            }
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
