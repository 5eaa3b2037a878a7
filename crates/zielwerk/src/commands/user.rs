//! `zielwerk user`: accounts (the first administration account is made here).

use anyhow::{Result, bail};

use super::{DbArg, open};

#[derive(clap::Subcommand)]
pub enum UserCommand {
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

pub async fn run(command: UserCommand) -> Result<()> {
    match command {
        UserCommand::Add {
            login,
            name,
            grants,
            db,
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
        UserCommand::List { db } => {
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
        UserCommand::Password { login, db } => {
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
        UserCommand::Disable {
            login,
            aufheben,
            db,
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
    }
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
