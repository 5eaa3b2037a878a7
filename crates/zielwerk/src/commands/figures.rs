//! `zielwerk figures`: one indicator of a Jobcenter month by month.

use anyhow::{Result, bail};
use zielwerk_store::Store;

use super::{DbArg, open};

/// Gibt eine Kennzahl eines Jobcenters Monat für Monat aus: Zähler, Nenner, Wert, Status
/// oder der Grund, warum es keinen Wert gibt.
#[derive(clap::Args)]
pub struct Args {
    /// BA-Kennung des Jobcenters, z. B. t36402.
    #[arg(long)]
    jobcenter: String,
    /// Kennzahl-Code, z. B. K2, K1E4, BG oder KDU_JE_BG.
    #[arg(long)]
    indicator: String,
    /// Erster Monat (JJJJ-MM); ohne Angabe der erste Monat mit Daten.
    #[arg(long)]
    from: Option<String>,
    /// Letzter Monat (JJJJ-MM); ohne Angabe der letzte Monat mit Daten.
    #[arg(long)]
    to: Option<String>,
    /// CSV für Skripte (Komma, Dezimalpunkt) statt einer Tabelle.
    #[arg(long)]
    csv: bool,
    #[command(flatten)]
    db: DbArg,
}

pub async fn run(a: Args) -> Result<()> {
    let store = open(&a.db.db).await?;
    figures(
        &store,
        &a.jobcenter,
        &a.indicator,
        a.from.as_deref(),
        a.to.as_deref(),
        a.csv,
    )
    .await
}

async fn figures(
    store: &Store,
    jobcenter: &str,
    indicator: &str,
    from: Option<&str>,
    to: Option<&str>,
    csv: bool,
) -> Result<()> {
    use zielwerk_domain::format::number;
    use zielwerk_domain::{BaId, IndicatorCode, YearMonth};
    let jobcenter: BaId = jobcenter
        .parse()
        .map_err(|e| anyhow::anyhow!("--jobcenter: {e}"))?;
    let code: IndicatorCode = indicator
        .parse()
        .map_err(|e| anyhow::anyhow!("--indicator: {e}"))?;
    let month = |arg: &str, v: Option<&str>| -> Result<Option<YearMonth>> {
        v.map(|s| s.parse().map_err(|e| anyhow::anyhow!("{arg}: {e}")))
            .transpose()
    };
    let (from, to) = (month("--from", from)?, month("--to", to)?);

    // Definitions: the legal key figures first, then the Jobcenter's agreements, newest first, so
    // that a newer agreement's definition of a local indicator wins.
    let mut indicators = zielwerk_domain::keyfigures::catalogue();
    for summary in store.agreements().await? {
        if summary.jobcenter.as_str() != jobcenter.as_str() {
            continue;
        }
        if let Some(a) = store.agreement(&summary.key).await? {
            for ind in a.indicators {
                if !indicators.iter().any(|i| i.code == ind.code) {
                    indicators.push(ind);
                }
            }
        }
    }
    let indicator = indicators
        .iter()
        .find(|i| i.code == code)
        .ok_or_else(|| anyhow::anyhow!("Die Kennzahl {code} ist für {jobcenter} nicht definiert"))?
        .clone();
    let stored_codes: Vec<&IndicatorCode> = indicators
        .iter()
        .filter(|i| i.formula.is_stored())
        .map(|i| &i.code)
        .collect();
    let values = store.current_values(&jobcenter, &stored_codes).await?;
    let observations: Vec<_> = values.into_iter().map(|v| v.observation).collect();
    let stored: zielwerk_engine::SeriesSet = indicators
        .iter()
        .filter(|i| i.formula.is_stored())
        .map(|i| {
            (
                i.code.clone(),
                zielwerk_engine::stored_series(i, &observations),
            )
        })
        .collect();
    let evaluator = zielwerk_engine::Evaluator::new(&indicators, &stored);
    let available = evaluator.series(&code);
    let first = from.or_else(|| observations.iter().map(|o| o.month).min());
    let last = to.or_else(|| observations.iter().map(|o| o.month).max());
    let (Some(first), Some(last)) = (first, last) else {
        bail!("Für {jobcenter} liegen keine Werte vor");
    };
    let decimals = indicator.unit.decimals();
    let mut out = String::new();
    if csv {
        out.push_str("monat,zaehler,nenner,wert,status,grund\n");
    } else {
        out.push_str(&format!("{} ({}), {}\n", indicator.name, code, jobcenter));
        out.push_str(&format!(
            "{:<8} {:>16} {:>16} {:>12}  {}\n",
            "Monat", "Zähler", "Nenner", "Wert", "Status"
        ));
    }
    for m in first.through(last) {
        let row = evaluator.at(&code, m);
        debug_assert_eq!(row.is_ok(), available.contains_key(&m));
        match row {
            Ok(p) => {
                if csv {
                    let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
                    out.push_str(&format!(
                        "{m},{},{},{},{},\n",
                        opt(p.numerator),
                        opt(p.denominator),
                        p.value,
                        p.status.as_str()
                    ));
                } else {
                    let opt = |v: Option<f64>| v.map(|v| number(v, 2)).unwrap_or_default();
                    out.push_str(&format!(
                        "{m:<8} {:>16} {:>16} {:>12}  {}\n",
                        opt(p.numerator),
                        opt(p.denominator),
                        number(p.value, decimals.max(1)),
                        p.status.label_de()
                    ));
                }
            }
            Err(gap) => {
                if csv {
                    out.push_str(&format!(
                        "{m},,,,,\"{}\"\n",
                        gap.reason.replace('"', "\"\"")
                    ));
                } else {
                    out.push_str(&format!("{m:<8} kein Wert: {}\n", gap.reason));
                }
            }
        }
    }
    crate::say_text(&out);
    Ok(())
}
