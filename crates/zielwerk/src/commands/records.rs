//! `zielwerk records`: the key figures' components from the Jobcenter's own records
//! (docs/records.md), stored as values „aus eigenen Daten“; the records themselves are not kept.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use super::{DbArg, open};

/// Berechnet die Bestandteile der Kennzahlen nach § 48a SGB II aus eigenen Daten des
/// Jobcenters (Leistungszeiträume, Integrationen, Beschäftigung, Maßnahmen, Zahlungen) und die
/// kommunalen Kennzahlen aus den Falllisten des Kreises (BuT-Anträge, Zuweisungen in die
/// Suchtberatung nach § 16a SGB II; siehe docs/records.md) und speichert sie als Werte „aus
/// eigenen Daten“. Gespeichert werden nur die Summen je Jobcenter und Monat, nicht die
/// Datensätze; ein amtlicher Wert wird nie ersetzt. Eine Datei mit Fehlern wird ganz abgelehnt.
#[derive(clap::Args)]
pub struct Args {
    /// Die Dateien (CSV oder Parquet), oder ein Verzeichnis mit ihnen (leistungszeitraeume.csv,
    /// integrationen.csv, beschaeftigung.csv, massnahmen.csv, zahlungen.csv, but_antraege.csv,
    /// but_berechtigte.csv, suchtberatung.csv; ebenso .parquet).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Das Jobcenter (z. B. t36402) einer Fallliste ohne Spalte „jobcenter“.
    #[arg(long)]
    jobcenter: Option<String>,
    /// Der erste Monat (JJJJ-MM).
    #[arg(long)]
    von: zielwerk_domain::YearMonth,
    /// Der letzte Monat (JJJJ-MM).
    #[arg(long)]
    bis: zielwerk_domain::YearMonth,
    /// Der Tag, an dem die Daten ausgelesen wurden (JJJJ-MM-TT): ihr Datenstand.
    #[arg(long)]
    datenstand: chrono::NaiveDate,
    /// Nur prüfen und zählen, nichts speichern.
    #[arg(long)]
    probe: bool,
    /// Die Datensätze zur Neuberechnung in diesem Verzeichnis aufbewahren, getrennt von der
    /// Datenbank (ein Ordner je Import, nur für den eigenen Benutzer lesbar; keine Ausgabe und
    /// keine Sicherung liest es). Ohne Angabe werden sie nicht aufbewahrt.
    #[arg(long, env = "ZIELWERK_EIGENE_DATEN_AUFBEWAHREN")]
    eigene_daten_aufbewahren: Option<PathBuf>,
    #[command(flatten)]
    db: DbArg,
}

pub async fn run(a: Args) -> Result<()> {
    let mut paths = Vec::new();
    for p in &a.files {
        if p.is_dir() {
            let mut inside: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("{} lässt sich nicht lesen", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.extension().is_some_and(|x| {
                        x.eq_ignore_ascii_case("csv") || x.eq_ignore_ascii_case("parquet")
                    })
                })
                .collect();
            inside.sort();
            paths.extend(inside);
        } else {
            paths.push(p.clone());
        }
    }
    let mut files = Vec::new();
    for p in &paths {
        let bytes =
            std::fs::read(p).with_context(|| format!("{} lässt sich nicht lesen", p.display()))?;
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| p.display().to_string());
        files.push((name, bytes));
    }
    let store = open(&a.db.db).await?;
    let operator = zielwerk_app::access::operator(
        &std::env::var("USER").unwrap_or_else(|_| "unbekannt".into()),
    );
    let request = zielwerk_app::own_records::RecordFiles {
        files,
        first: a.von,
        last: a.bis,
        datenstand: a.datenstand,
        jobcenter: a.jobcenter,
        via: "zielwerk records",
        keep: a
            .eigene_daten_aufbewahren
            .clone()
            .map(|dir| zielwerk_app::own_records::Kept { dir }),
    };
    let (figures, own) =
        match zielwerk_app::own_records::import_records(&store, &operator, request, !a.probe).await
        {
            Ok(done) => done,
            Err(e) => bail!("Es wurde nichts gespeichert: {e}"),
        };
    let report = match own.result {
        Ok(report) => report,
        Err(refused) => bail!("{refused}"),
    };
    for (months, code, reason) in figures.not_yet_by_span() {
        say!("{code}, {months}: {reason}");
    }
    for (code, count) in &own.undefined {
        say!(
            "{code}: {} nicht gespeichert, weil keine Vereinbarung diese Kennzahl definiert",
            zielwerk_domain::format::counted(*count, "Wert", "Werte")
        );
    }
    let o = report.outcome;
    say!(
        "{} aus eigenen Daten berechnet: {} neu, {} revidiert, {} unverändert, {} neben einem amtlichen Wert nicht übernommen{}",
        zielwerk_domain::format::counted(report.accepted.rows as usize, "Wert", "Werte"),
        o.inserted,
        o.revised,
        o.unchanged,
        o.kept_official,
        if report.committed {
            ""
        } else {
            " (nur geprüft, nichts gespeichert)"
        }
    );
    match &report.import_id {
        Some(id) => say!("Import-Kennung {id}"),
        None if report.committed => say!("Nichts geändert: alle Werte waren schon so gespeichert."),
        None => {}
    }
    Ok(())
}
