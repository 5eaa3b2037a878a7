//! `zielwerk token`: personal API tokens for an account, made by the operator (for a system
//! account of a data warehouse, or to seed a test). People make their own in the browser
//! ("Konto → API-Schlüssel"); the rules are the same (`zielwerk_app::tokens`).

use anyhow::{Result, bail};
use zielwerk_app::AppError;
use zielwerk_app::tokens::{self, CreateToken};

use super::{DbArg, open};

#[derive(clap::Subcommand)]
pub enum TokenCommand {
    /// Legt einen API-Schlüssel für ein Konto an und gibt ihn (einmal) auf der Standardausgabe
    /// aus.
    Create {
        /// Anmeldename des Kontos, in dessen Namen der Schlüssel handelt.
        login: String,
        /// Wofür der Schlüssel ist, z. B. "Data Warehouse Kreis".
        #[arg(long)]
        name: String,
        /// Nur lesen.
        #[arg(long)]
        nur_lesen: bool,
        /// Nur für dieses Jobcenter (BA-Kennung wie t36402).
        #[arg(long)]
        jobcenter: Option<String>,
        /// Gültig für so viele Tage (höchstens 366).
        #[arg(long, default_value_t = 90)]
        tage: u32,
        #[command(flatten)]
        db: DbArg,
    },
    /// Listet die API-Schlüssel eines Kontos.
    List {
        login: String,
        #[command(flatten)]
        db: DbArg,
    },
    /// Widerruft einen API-Schlüssel eines Kontos.
    Revoke {
        login: String,
        /// Kennung des Schlüssels (aus „zielwerk token list“).
        id: String,
        #[command(flatten)]
        db: DbArg,
    },
}

async fn account(store: &zielwerk_store::Store, login: &str) -> Result<zielwerk_domain::Principal> {
    match store.user_by_login(login).await? {
        Some(u) if !u.disabled => Ok(u.principal()),
        Some(_) => bail!("Das Benutzerkonto „{login}“ ist gesperrt"),
        None => bail!("Das Benutzerkonto „{login}“ gibt es nicht"),
    }
}

fn german(e: AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

pub async fn run(command: TokenCommand) -> Result<()> {
    match command {
        TokenCommand::Create {
            login,
            name,
            nur_lesen,
            jobcenter,
            tage,
            db,
        } => {
            let store = open(&db.db).await?;
            let owner = account(&store, &login).await?;
            let made = tokens::create_for(
                &store,
                &owner,
                CreateToken {
                    name,
                    read_only: nur_lesen,
                    jobcenter,
                    valid_days: tage,
                },
            )
            .await
            .map_err(german)?;
            eprintln!(
                "API-Schlüssel „{}“ für „{login}“ angelegt, gültig bis {}; er wird nur jetzt angezeigt:",
                made.stored.name,
                zielwerk_report::present::time_de(&made.stored.expires_at, "%d.%m.%Y")
            );
            say!("{}", made.token);
            Ok(())
        }
        TokenCommand::List { login, db } => {
            let store = open(&db.db).await?;
            let owner = account(&store, &login).await?;
            for t in store.tokens(&owner.user_id).await? {
                say!(
                    "{}\t{}\t{}\t{}\tbis {}\t{}",
                    t.id,
                    t.name,
                    if t.read_only {
                        "nur lesen"
                    } else {
                        "lesen und schreiben"
                    },
                    t.jobcenter.as_ref().map_or("alle", |j| j.as_str()),
                    t.expires_at,
                    if t.revoked_at.is_some() {
                        "widerrufen"
                    } else {
                        ""
                    }
                );
            }
            Ok(())
        }
        TokenCommand::Revoke { login, id, db } => {
            let store = open(&db.db).await?;
            let owner = account(&store, &login).await?;
            let t = store
                .revoke_token(&owner.user_id, &id)
                .await
                .map_err(|e| match e {
                    zielwerk_store::StoreError::NotFound(_) => {
                        anyhow::anyhow!("Den API-Schlüssel „{id}“ von „{login}“ gibt es nicht")
                    }
                    e => e.into(),
                })?;
            eprintln!("API-Schlüssel „{}“ widerrufen.", t.name);
            Ok(())
        }
    }
}
