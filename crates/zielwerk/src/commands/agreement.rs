//! `zielwerk agreement`: agreement files checked, imported and exported.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use zielwerk_store::SaveOutcome;

use zielwerk_domain::AgreementKey;

use super::{DbArg, open, read_agreement};

#[derive(clap::Subcommand)]
pub enum AgreementCommand {
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

pub async fn run(command: AgreementCommand) -> Result<()> {
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
                        [one] => one.key.clone(),
                        [] => bail!("Die Datenbank enthält keine Vereinbarung"),
                        many => bail!(
                            "Die Datenbank enthält {} Vereinbarungen; bitte eine Kennung angeben: {}",
                            many.len(),
                            many.iter()
                                .map(|a| a.key.to_string())
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
                None => crate::say_text(&text),
            }
            Ok(())
        }
    }
}
