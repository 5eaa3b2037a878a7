//! `zielwerk groups`: assigned comparison groups (the BA's SGB II Vergleichstypen) imported from
//! a file and listed (`docs/comparisons.md`).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use super::{DbArg, open};

#[derive(clap::Subcommand)]
pub enum GroupsCommand {
    /// Importiert eine Zuordnung der Kreise zu Vergleichsgruppen (CSV mit den Spalten „kreis“,
    /// „vergleichstyp“ und wahlweise „bezeichnung“); eine Zuordnung gleichen Namens wird
    /// ersetzt. Bei Fehlern wird nichts gespeichert.
    Import {
        file: PathBuf,
        /// Name der Zuordnung, wie ihn die Seiten nennen, z. B. „SGB-II-Vergleichstypen 2024“.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        db: DbArg,
    },
    /// Listet die gespeicherten Zuordnungen, die zuletzt eingelesene zuerst (sie gilt, wo
    /// mehrere einen Kreis zuordnen).
    List {
        #[command(flatten)]
        db: DbArg,
    },
}

pub async fn run(command: GroupsCommand) -> Result<()> {
    match command {
        GroupsCommand::Import { file, name, db } => {
            let store = open(&db.db).await?;
            let file_name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| file.display().to_string());
            let input = std::fs::File::open(&file)
                .with_context(|| format!("{} lässt sich nicht öffnen", file.display()))?;
            let operator = zielwerk_app::access::operator(
                &std::env::var("USER").unwrap_or_else(|_| "unbekannt".into()),
            );
            match zielwerk_app::regions::import_grouping(
                &store, &operator, &name, &file_name, input,
            )
            .await
            {
                Ok(Ok(done)) => {
                    say!(
                        "Vergleichsgruppen „{}“ importiert: {} in {}; SHA-256 {}",
                        done.name,
                        zielwerk_domain::format::counted(done.regions, "Kreis", "Kreise"),
                        zielwerk_domain::format::counted(done.groups, "Gruppe", "Gruppen"),
                        done.sha256
                    );
                    Ok(())
                }
                Ok(Err(refused)) => bail!("{refused}"),
                Err(e) => {
                    bail!("{file_name} wurde nicht importiert; es wurde nichts gespeichert: {e}")
                }
            }
        }
        GroupsCommand::List { db } => {
            let store = open(&db.db).await?;
            let all = store.groupings().await?;
            if all.is_empty() {
                say!(
                    "Keine Vergleichsgruppen zugeordnet: die Seiten berechnen die Gruppe aus Strukturmerkmalen."
                );
            }
            for g in all {
                say!(
                    "„{}“: {} in {}, aus {} (eingelesen {} von {})",
                    g.name,
                    zielwerk_domain::format::counted(g.regions, "Kreis", "Kreise"),
                    zielwerk_domain::format::counted(g.groups, "Gruppe", "Gruppen"),
                    g.file_name,
                    g.imported_at,
                    g.imported_by
                );
            }
            Ok(())
        }
    }
}
