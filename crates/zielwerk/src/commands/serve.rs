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
    /// Hochgeladene Datensätze eigener Daten zur Neuberechnung in diesem Verzeichnis
    /// aufbewahren, getrennt von der Datenbank (ein Ordner je Import, nur für den Benutzer des
    /// Servers lesbar; keine Ausgabe und keine Sicherung liest es). Ohne Angabe werden sie nach
    /// der Berechnung verworfen.
    #[arg(long, env = "ZIELWERK_EIGENE_DATEN_AUFBEWAHREN")]
    eigene_daten_aufbewahren: Option<std::path::PathBuf>,
    #[command(flatten)]
    oidc: OidcArgs,
}

/// Anmeldung über den Identitätsanbieter der Verwaltung (OpenID Connect, docs/oidc.md).
#[derive(clap::Args)]
pub struct OidcArgs {
    /// Aussteller-Adresse des Identitätsanbieters, z. B.
    /// https://login.kreis.example/realms/verwaltung; ohne Angabe keine zentrale Anmeldung.
    #[arg(long, env = "ZIELWERK_OIDC_ISSUER", value_parser = issuer_url)]
    oidc_issuer: Option<String>,
    /// Client-ID, unter der Zielwerk beim Identitätsanbieter eingetragen ist.
    #[arg(long, env = "ZIELWERK_OIDC_CLIENT_ID", default_value = "zielwerk")]
    oidc_client_id: String,
    /// Datei mit dem Client-Geheimnis (eine Zeile). Alternativ die Umgebungsvariable
    /// ZIELWERK_OIDC_CLIENT_SECRET.
    #[arg(long, env = "ZIELWERK_OIDC_CLIENT_SECRET_FILE")]
    oidc_client_secret_file: Option<std::path::PathBuf>,
    /// Woher die Rechte kommen: der Name eines Claims (z. B. groups oder realm_access.roles)
    /// mit Werten wie zielwerk:kreis@t36402, oder „lokal“ (wie in Zielwerk vergeben).
    #[arg(long, env = "ZIELWERK_OIDC_RECHTE", default_value = "groups")]
    oidc_rechte: String,
    /// Beim ersten Anmelden ein Benutzerkonto anlegen (sonst nur vorhandene Konten).
    #[arg(long, env = "ZIELWERK_OIDC_KONTEN_ANLEGEN")]
    oidc_konten_anlegen: bool,
    /// Anmeldung mit Passwort: alle, admin (nur Konten mit Administration) oder aus.
    #[arg(long, env = "ZIELWERK_PASSWORT_ANMELDUNG", default_value = "alle", value_parser = ["alle", "admin", "aus"])]
    passwort_anmeldung: String,
    /// Beschriftung der Schaltfläche auf der Anmeldeseite.
    #[arg(
        long,
        env = "ZIELWERK_OIDC_BESCHRIFTUNG",
        default_value = "Mit dem Konto der Verwaltung anmelden"
    )]
    oidc_beschriftung: String,
}

impl OidcArgs {
    /// The settings, or `None` without an issuer. The secret comes from its file or the
    /// environment and is never printed.
    pub fn settings(&self) -> Result<Option<zielwerk_web::oidc::OidcSettings>> {
        use zielwerk_app::external::{ExternalPolicy, GrantSource};
        use zielwerk_web::oidc::{LocalSignIn, OidcSettings, Secret};
        let Some(issuer) = self.oidc_issuer.clone() else {
            return Ok(None);
        };
        let secret = match &self.oidc_client_secret_file {
            Some(path) => std::fs::read_to_string(path)
                .with_context(|| format!("Client-Geheimnis: Datei {} nicht lesbar", path.display()))?
                .trim()
                .to_owned(),
            None => std::env::var("ZIELWERK_OIDC_CLIENT_SECRET").map_err(|_| {
                anyhow::anyhow!(
                    "Für die zentrale Anmeldung fehlt das Client-Geheimnis: --oidc-client-secret-file DATEI oder die Umgebungsvariable ZIELWERK_OIDC_CLIENT_SECRET"
                )
            })?,
        };
        Ok(Some(OidcSettings {
            issuer,
            client_id: self.oidc_client_id.clone(),
            client_secret: Secret::new(secret),
            policy: ExternalPolicy {
                grants: match self.oidc_rechte.trim() {
                    "lokal" => GrantSource::Local,
                    claim => GrantSource::Claim(claim.to_owned()),
                },
                create_accounts: self.oidc_konten_anlegen,
            },
            local: match self.passwort_anmeldung.as_str() {
                "aus" => LocalSignIn::Off,
                "admin" => LocalSignIn::AdminsOnly,
                _ => LocalSignIn::Everyone,
            },
            label: self.oidc_beschriftung.clone(),
        }))
    }
}

pub async fn run(a: Args) -> Result<()> {
    let oidc = a.oidc.settings()?;
    let store = open(&a.db.db).await?;
    let keep = a
        .eigene_daten_aufbewahren
        .map(|dir| zielwerk_app::own_records::Kept { dir });
    serve(
        store,
        &a.bind.bind,
        a.secure_cookies,
        a.public_url,
        oidc,
        keep,
    )
    .await
}

/// `--oidc-issuer`: an absolute http(s) address without query or fragment, kept exactly as given
/// (the ID token's `iss` must equal it, trailing slash and all).
fn issuer_url(s: &str) -> std::result::Result<String, String> {
    public_url(s).map(|_| s.to_owned()).map_err(|_| {
        "erwartet wird eine Adresse wie https://login.kreis.example/realms/verwaltung".into()
    })
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
    oidc: Option<zielwerk_web::oidc::OidcSettings>,
    keep_records: Option<zielwerk_app::own_records::Kept>,
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
    if let Some(k) = &keep_records {
        eprintln!(
            "Datensätze eigener Daten werden aufbewahrt in {} (getrennt von der Datenbank)",
            k.dir.display()
        );
    }
    state.keep_records = keep_records;
    if let Some(settings) = oidc {
        eprintln!(
            "Zentrale Anmeldung über {} (Client {})",
            settings.issuer, settings.client_id
        );
        state.oidc = Some(std::sync::Arc::new(
            zielwerk_web::oidc::Oidc::new(settings).map_err(anyhow::Error::msg)?,
        ));
    }
    zielwerk_web::serve(listener, state).await?;
    Ok(())
}
