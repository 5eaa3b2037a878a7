//! `zielwerk backtest`: the forecasts checked against what came.

use anyhow::Result;
use zielwerk_store::Store;

use super::{DbArg, open};

/// Prüft die Prognosen rückblickend: für jede Kennzahl mit Ziel die mittlere absolute
/// prozentuale Abweichung (MAPE) des Modells und zweier einfacher Verfahren, und wie oft der
/// wahre Wert im 80-%-Intervall lag.
#[derive(clap::Args)]
pub struct Args {
    /// Prognosen bis zu so vielen Monaten voraus.
    #[arg(long, default_value_t = 12)]
    horizon: usize,
    /// Mindestzahl an Monaten vor dem ersten Prognosezeitpunkt.
    #[arg(long, default_value_t = 12)]
    min_train: usize,
    #[command(flatten)]
    db: DbArg,
}

pub async fn run(a: Args) -> Result<()> {
    let store = open(&a.db.db).await?;
    backtest(&store, a.horizon, a.min_train).await
}

async fn backtest(store: &Store, horizon: usize, min_train: usize) -> Result<()> {
    use zielwerk_domain::format::number;
    use zielwerk_domain::{Accumulation, Target};
    say!(
        "{:<8} {:<44} {:>9} {:>11} {:>11} {:>11} {:>10}  Verfahren",
        "JC",
        "Kennzahl",
        "Prognosen",
        "MAPE Modell",
        "MAPE letzt.",
        "MAPE Vorj.",
        "Abdeck. 80"
    );
    let (mut sum_model, mut sum_naive, mut sum_seasonal, mut sum_cov, mut rows) =
        (0.0, 0.0, 0.0, 0.0, 0);
    for summary in store.agreements().await? {
        let Some(a) = store.agreement(&summary.key).await? else {
            continue;
        };
        let values = store
            .current_values(&a.jobcenter.ba_id, &a.stored_indicator_codes())
            .await?;
        let observations: Vec<_> = values.into_iter().map(|v| v.observation).collect();
        let state = zielwerk_engine::assess_agreement(
            &a,
            &observations,
            zielwerk_engine::default_as_of(&a, observations.iter().map(|o| o.month)),
        );
        let mut seen = std::collections::HashSet::new();
        for g in &state.goals {
            if matches!(g.goal.target, Target::Milestone { .. })
                || !seen.insert(g.indicator.code.clone())
            {
                continue;
            }
            let monthly: Vec<(zielwerk_domain::YearMonth, f64)> =
                g.series.iter().map(|(m, p)| (*m, p.value)).collect();
            // The longest gap-free run, as the model would see it.
            let mut run: Vec<f64> = Vec::new();
            let mut best: Vec<f64> = Vec::new();
            let mut prev: Option<zielwerk_domain::YearMonth> = None;
            for (m, v) in &monthly {
                if prev.is_some_and(|p| p.months_until(*m) != 1) {
                    run.clear();
                }
                run.push(*v);
                if run.len() > best.len() {
                    best = run.clone();
                }
                prev = Some(*m);
            }
            let series = match g.indicator.accumulation {
                Accumulation::Stock => best,
                Accumulation::Flow => zielwerk_forecast::rolling_sums(&best),
            };
            let Some(bt) = zielwerk_forecast::backtest(&series, min_train, horizon) else {
                say!(
                    "{:<8} {:<44} zu kurz für einen Rückblick ({} Monate)",
                    a.jobcenter.ba_id,
                    g.indicator.code,
                    series.len()
                );
                continue;
            };
            rows += 1;
            sum_model += bt.mape_model;
            sum_naive += bt.mape_naive;
            sum_seasonal += bt.mape_seasonal;
            sum_cov += bt.coverage;
            let name: String = format!(
                "{} {}",
                g.indicator.code,
                if g.indicator.accumulation == Accumulation::Flow {
                    "(Jahressumme)"
                } else {
                    ""
                }
            );
            say!(
                "{:<8} {:<44} {:>9} {:>10} % {:>9} % {:>9} % {:>8} %  {}",
                a.jobcenter.ba_id,
                name.trim_end(),
                bt.forecasts,
                number(bt.mape_model, 2),
                number(bt.mape_naive, 2),
                number(bt.mape_seasonal, 2),
                number(bt.coverage * 100.0, 0),
                if bt.seasonal_fits > 0 {
                    "MSTL+ETS / ETS"
                } else {
                    "ETS"
                }
            );
        }
    }
    if rows > 0 {
        let n = f64::from(rows);
        say!(
            "{:<8} {:<44} {:>9} {:>10} % {:>9} % {:>9} % {:>8} %",
            "",
            "Durchschnitt",
            rows,
            number(sum_model / n, 2),
            number(sum_naive / n, 2),
            number(sum_seasonal / n, 2),
            number(sum_cov / n * 100.0, 0)
        );
    }
    Ok(())
}
