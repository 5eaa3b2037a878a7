//! `zielwerk audit verify`: the audit chain checked end to end.

use anyhow::{Result, bail};

use super::{DbArg, open};

#[derive(clap::Subcommand)]
pub enum AuditCommand {
    /// Prüft die Verkettung aller Einträge; Rückgabewert 1, wenn ein Eintrag verändert oder
    /// entfernt wurde.
    Verify {
        #[command(flatten)]
        db: DbArg,
    },
}

pub async fn run(command: AuditCommand) -> Result<()> {
    match command {
        AuditCommand::Verify { db } => {
            let store = open(&db.db).await?;
            let check = store.verify_audit().await?;
            match check.broken {
                None => {
                    say!(
                        "Änderungsprotokoll unverändert: {} Einträge, Kette lückenlos. Letzte Prüfsumme {}",
                        check.events,
                        check.head
                    );
                    Ok(())
                }
                Some((seq, reason)) => bail!(
                    "Änderungsprotokoll verändert: {reason}. Die ersten {} Einträge (bis Nr. {}) sind in Ordnung.",
                    check.events,
                    seq - 1
                ),
            }
        }
    }
}
