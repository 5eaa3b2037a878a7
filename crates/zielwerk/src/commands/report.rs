//! `zielwerk report`: Vorlage, minutes, monitoring, quarterly and annual reports, Excel, and
//! publishing a Vorlage.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use super::{DbArg, agreement_key, month_arg, open, write_file};

#[derive(clap::Subcommand)]
pub enum ReportCommand {
    /// Setzt eine Vorlage als PDF oder DOCX (nach der Endung von --output).
    Vorlage {
        /// Kennung der Vorlage; ohne Angabe die jüngste gespeicherte.
        id: Option<String>,
        /// Zieldatei: .pdf oder .docx.
        #[arg(long, short)]
        output: PathBuf,
        /// Nur eine Anlage setzen (1 oder 2).
        #[arg(long)]
        anlage: Option<u32>,
        #[command(flatten)]
        db: DbArg,
    },
    /// Setzt die Niederschrift eines Steuerungsgesprächs als PDF oder DOCX (nach der Endung).
    Niederschrift {
        /// Kennung der Sitzung (aus der Adresse /sitzungen/…).
        id: String,
        /// Zieldatei: .pdf oder .docx.
        #[arg(long, short)]
        output: PathBuf,
        #[command(flatten)]
        db: DbArg,
    },
    /// Setzt den Monitoringbericht einer Vereinbarung für einen Berichtsmonat als PDF.
    Monitoring {
        /// Kennung der Vereinbarung wie t36402-2022-v1.
        agreement: String,
        /// Berichtsmonat (JJJJ-MM); ohne Angabe der letzte Monat mit Werten.
        #[arg(long)]
        stand: Option<String>,
        /// Öffentliche Fassung mit statistischer Geheimhaltung statt der internen.
        #[arg(long)]
        oeffentlich: bool,
        /// Endgültige Fassung: verweigert, solange ein verfehltes Ziel ohne Erläuterung ist.
        #[arg(long)]
        endgueltig: bool,
        /// Zieldatei (.pdf).
        #[arg(long, short)]
        output: PathBuf,
        #[command(flatten)]
        db: DbArg,
    },
    /// Setzt den Quartalsbericht einer Vereinbarung (Stand und Entwicklung jedes Ziels zu jedem
    /// Quartalsende, Prognose für das Jahresende) als PDF oder DOCX (nach der Endung).
    Quartal {
        /// Kennung der Vereinbarung wie t36402-2022-v1.
        agreement: String,
        /// Das Quartal: 1, 2, 3 oder 4.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=4))]
        quartal: u32,
        /// Öffentliche Fassung mit statistischer Geheimhaltung statt der internen.
        #[arg(long)]
        oeffentlich: bool,
        /// Zieldatei: .pdf oder .docx.
        #[arg(long, short)]
        output: PathBuf,
        #[command(flatten)]
        db: DbArg,
    },
    /// Setzt den Jahresbericht einer Vereinbarung (Ergebnis jedes Ziels zum Jahresende) als PDF
    /// oder DOCX (nach der Endung).
    Jahr {
        /// Kennung der Vereinbarung wie t36402-2022-v1.
        agreement: String,
        /// Öffentliche Fassung mit statistischer Geheimhaltung statt der internen.
        #[arg(long)]
        oeffentlich: bool,
        /// Zieldatei: .pdf oder .docx.
        #[arg(long, short)]
        output: PathBuf,
        #[command(flatten)]
        db: DbArg,
    },
    /// Schreibt die Werte einer Vereinbarung oder eines Ziels als Excel-Datei (.xlsx).
    Excel {
        /// Kennung der Vereinbarung wie t36402-2022-v1.
        agreement: String,
        /// Nur dieses Ziel (Schlüssel wie k2).
        #[arg(long)]
        ziel: Option<String>,
        /// Berichtsmonat (JJJJ-MM); ohne Angabe der letzte Monat mit Werten.
        #[arg(long)]
        stand: Option<String>,
        /// Öffentliche Fassung mit statistischer Geheimhaltung statt der internen.
        #[arg(long)]
        oeffentlich: bool,
        /// Zieldatei (.xlsx).
        #[arg(long, short)]
        output: PathBuf,
        #[command(flatten)]
        db: DbArg,
    },
    /// Veröffentlicht eine Vorlage: PDF, DOCX und Anlagen werden eingefroren und über OParl
    /// abrufbar.
    Publish {
        /// Kennung der Vorlage (aus der Adresse /vorlagen/…).
        id: String,
        #[command(flatten)]
        db: DbArg,
    },
}

pub async fn run(command: ReportCommand) -> Result<()> {
    use zielwerk_app::documents;
    use zielwerk_report::model::Audience;
    let today = chrono::Local::now().date_naive();
    let audience = |public: bool| {
        if public {
            Audience::Public
        } else {
            Audience::Internal
        }
    };
    match command {
        ReportCommand::Vorlage {
            id,
            output,
            anlage,
            db,
        } => {
            let store = open(&db.db).await?;
            let id = match id {
                Some(id) => id,
                None => {
                    let mut all = Vec::new();
                    for a in store.agreements().await? {
                        all.extend(store.vorlagen(&a.key).await?);
                    }
                    all.sort_by(|a, b| a.created_at.cmp(&b.created_at));
                    all.pop()
                        .map(|v| v.id)
                        .context("Es ist keine Vorlage gespeichert")?
                }
            };
            let (v, loaded) = documents::load_vorlage(&store, &id).await?;
            documents::check_complete(&v, &loaded)?;
            let model = documents::vorlage_model(&v, &loaded);
            let ext = output.extension().and_then(|e| e.to_str()).unwrap_or("");
            let bytes = match (ext, anlage) {
                ("pdf", None) => documents::vorlage_pdf(&model, "vorlage", today)?,
                ("pdf", Some(n)) => documents::vorlage_pdf(&model, &format!("anlage-{n}"), today)?,
                ("docx", None) => documents::vorlage_docx(&model)?,
                _ => bail!("--output muss auf .pdf oder .docx enden (Anlagen nur als .pdf)"),
            };
            write_file(&output, &bytes)
        }
        ReportCommand::Niederschrift { id, output, db } => {
            let store = open(&db.db).await?;
            let bundle = documents::load_meeting(&store, &id).await?;
            let minutes = documents::minutes_model(&bundle, today);
            let bytes = match output.extension().and_then(|e| e.to_str()).unwrap_or("") {
                "pdf" => documents::minutes_pdf(&minutes, today)?,
                "docx" => documents::minutes_docx(&minutes)?,
                _ => bail!("--output muss auf .pdf oder .docx enden"),
            };
            write_file(&output, &bytes)
        }
        ReportCommand::Monitoring {
            agreement,
            stand,
            oeffentlich,
            endgueltig,
            output,
            db,
        } => {
            let store = open(&db.db).await?;
            let key = agreement_key(&agreement)?;
            let loaded = documents::load(&store, &key).await?;
            let actions = documents::open_actions(&store, &key).await?;
            let m = documents::monitoring_model(
                &loaded,
                &actions,
                month_arg(&stand)?,
                audience(oeffentlich),
                today,
            );
            if endgueltig {
                documents::check_final(&m)?;
            }
            write_file(&output, &documents::monitoring_pdf(&m, today)?)
        }
        ReportCommand::Quartal {
            agreement,
            quartal,
            oeffentlich,
            output,
            db,
        } => {
            period_report(
                &db.db,
                &agreement,
                zielwerk_report::period::Period::Quarter(quartal),
                audience(oeffentlich),
                &output,
                today,
            )
            .await
        }
        ReportCommand::Jahr {
            agreement,
            oeffentlich,
            output,
            db,
        } => {
            period_report(
                &db.db,
                &agreement,
                zielwerk_report::period::Period::Year,
                audience(oeffentlich),
                &output,
                today,
            )
            .await
        }
        ReportCommand::Excel {
            agreement,
            ziel,
            stand,
            oeffentlich,
            output,
            db,
        } => {
            let store = open(&db.db).await?;
            let loaded = documents::load(&store, &agreement_key(&agreement)?).await?;
            let goal = ziel
                .as_deref()
                .map(|k| {
                    k.parse::<zielwerk_domain::Key>()
                        .map_err(|e| anyhow::anyhow!("--ziel „{k}“: {e}"))
                })
                .transpose()?;
            let bytes = documents::figures_xlsx(
                &loaded,
                month_arg(&stand)?,
                goal.as_ref(),
                audience(oeffentlich),
            )?;
            write_file(&output, &bytes)
        }
        ReportCommand::Publish { id, db } => {
            let store = open(&db.db).await?;
            for f in documents::publish(&store, &id, today).await? {
                eprintln!("veröffentlicht: {} ({} Bytes)", f.name, f.content.len());
            }
            Ok(())
        }
    }
}

/// A quarterly status report or the year-end review as PDF or DOCX, by the output's extension.
async fn period_report(
    db: &str,
    agreement: &str,
    period: zielwerk_report::period::Period,
    audience: zielwerk_report::model::Audience,
    output: &std::path::Path,
    today: chrono::NaiveDate,
) -> Result<()> {
    use zielwerk_app::documents;
    let store = open(db).await?;
    let key = agreement_key(agreement)?;
    let loaded = documents::load(&store, &key).await?;
    let actions = documents::all_actions(&store, &key).await?;
    let r = documents::period_model(&loaded, &actions, period, audience, today);
    let bytes = match output.extension().and_then(|e| e.to_str()) {
        Some("pdf") => documents::period_pdf(&r, today)?,
        Some("docx") => documents::period_docx(&r)?,
        _ => bail!(
            "Zieldatei {}: erwartet wird die Endung .pdf oder .docx",
            output.display()
        ),
    };
    write_file(output, &bytes)
}
