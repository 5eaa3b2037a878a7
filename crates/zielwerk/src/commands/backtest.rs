//! `zielwerk backtest`: the forecasts checked against what came, per group of series.

use anyhow::Result;
use zielwerk_domain::format::number;
use zielwerk_domain::{Accumulation, Direction, IndicatorCode, PeriodKind, Target, YearMonth};
use zielwerk_forecast::choice::Candidate;
use zielwerk_forecast::evaluate::{self, GroupScore, STATEMENTS, SeriesScore};
use zielwerk_forecast::rules::Rule;
use zielwerk_store::Store;

use super::{DbArg, open};

/// Prüft die Prognoseverfahren rückblickend: von jedem Zeitpunkt einer Reihe aus wird das
/// Verfahren nur mit den Werten davor gewählt und seine Prognose mit dem verglichen, was kam,
/// neben allen anderen Verfahren, so wie Zielseiten und Berichte prognostizieren (in der
/// Vereinbarung vermerkte Reihenbrüche eingeschlossen). Gruppen: jede Vereinbarung (ihre
/// Monatsreihen) und die Jahreswerte aller Kreise aus INKAR (Leistungen für Unterkunft je
/// Bedarfsgemeinschaft, SGB-II-Quote).
#[derive(clap::Args)]
pub struct Args {
    /// Monatsreihen: Prognosen bis zu so vielen Monaten voraus.
    #[arg(long, default_value_t = 12)]
    horizon: usize,
    /// Monatsreihen: Mindestzahl an Monaten vor dem ersten Prognosezeitpunkt.
    #[arg(long, default_value_t = 12)]
    min_train: usize,
    /// Jahresreihen: Prognosen bis zu so vielen Jahren voraus.
    #[arg(long, default_value_t = 3)]
    years: usize,
    /// Jahresreihen: Mindestzahl an Jahren vor dem ersten Prognosezeitpunkt.
    #[arg(long, default_value_t = 6)]
    min_years: usize,
    /// Schreibt das Kalibrierungsdiagramm (angegebene Wahrscheinlichkeit gegen eingetroffen, je
    /// Gruppe) als SVG in diese Datei.
    #[arg(long, value_name = "DATEI")]
    grafik: Option<std::path::PathBuf>,
    #[command(flatten)]
    db: DbArg,
}

pub async fn run(a: Args) -> Result<()> {
    let store = open(&a.db.db).await?;
    let mut groups: Vec<(String, GroupScore)> = Vec::new();
    let mut proposals = Vec::new();
    for (name, series) in agreement_series(&store).await? {
        proposals.push((name.clone(), proposal_backtest(&series)));
        groups.extend(scored(&series, 12, a.horizon, a.min_train).map(|g| (name, g)));
    }
    for (code, name) in [
        (
            "D_UNTERKUNFT_LSTG",
            "INKAR: Unterkunft je BG, 400 Kreise, jährlich",
        ),
        ("Q_SGBII", "INKAR: SGB-II-Quote, 400 Kreise, jährlich"),
    ] {
        let series = yearly_series(&store, code).await?;
        groups.extend(scored(&series, 1, a.years, a.min_years).map(|g| (name.to_owned(), g)));
    }
    if groups.is_empty() {
        say!("Keine Reihe ist lang genug für einen Rückblick.");
    }
    for (name, g) in &groups {
        print_group(name, g);
    }
    for (name, p) in &proposals {
        print_proposals(name, p);
    }
    if let Some(path) = &a.grafik {
        std::fs::write(path, calibration_plot(&groups).render()).map_err(|e| {
            anyhow::anyhow!(
                "Das Kalibrierungsdiagramm ließ sich nicht nach {} schreiben: {e}",
                path.display()
            )
        })?;
        say!("");
        say!("Kalibrierungsdiagramm: {}", path.display());
    }
    Ok(())
}

/// Stated probabilities against the share that came true, one line per group.
fn calibration_plot(groups: &[(String, GroupScore)]) -> zielwerk_charts::CalibrationPlot {
    zielwerk_charts::CalibrationPlot {
        id: "kalibrierung".into(),
        title: "Wie oft trafen die Prognoseaussagen ein?".into(),
        description: format!(
            "Für {}: angegebene Wahrscheinlichkeit, einen Wert mindestens zu erreichen (10 bis 90 %), gegen den Anteil der Aussagen, die eintrafen.",
            groups
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        ),
        groups: groups
            .iter()
            .map(|(name, g)| zielwerk_charts::CalibrationGroup {
                label: name.clone(),
                points: STATEMENTS
                    .iter()
                    .zip(&g.statements)
                    .filter(|(_, (made, _))| *made > 0)
                    .map(|((p, _), (made, came))| (*p, *came as f64 / *made as f64, *made))
                    .collect(),
            })
            .collect(),
    }
}

/// A series as the backtest forecasts it.
struct Backtested {
    /// The values compared (flows: their 12-month sums).
    y: Vec<f64>,
    /// The values as they came (flows: the monthly values); `y` is made from them.
    raw: Vec<f64>,
    /// Indices of `raw` at which the series breaks (marked in the agreement).
    breaks: Vec<usize>,
    flow: bool,
    /// A goal's monthly series, for testing target proposals on held-back years.
    goal: Option<GoalSeries>,
}

/// What the proposal backtest needs of a goal.
struct GoalSeries {
    monthly: Vec<(YearMonth, f64)>,
    accumulation: Accumulation,
    direction: Direction,
    breaks: Vec<YearMonth>,
    min_step: f64,
}

impl Backtested {
    fn plain(y: Vec<f64>) -> Self {
        Self {
            raw: y.clone(),
            y,
            breaks: Vec::new(),
            flow: false,
            goal: None,
        }
    }

    /// The history a forecast from `origin` (an index of `y`) sees: the values before it, with
    /// the breaks before it taken out, as the goal page's forecast does.
    fn history(&self, origin: usize, period: usize) -> Vec<f64> {
        let end = if self.flow { origin + 11 } else { origin };
        let known: Vec<usize> = self.breaks.iter().copied().filter(|b| *b < end).collect();
        let seen = zielwerk_forecast::level_at_breaks(&self.raw[..end], &known, period);
        if self.flow {
            zielwerk_forecast::rolling_sums(&seen)
        } else {
            seen
        }
    }
}

/// The backtest of a group of series (`period` per season), if any is long enough.
fn scored(
    series: &[Backtested],
    period: usize,
    horizon: usize,
    min_train: usize,
) -> Option<GroupScore> {
    let scores: Vec<SeriesScore> = series
        .iter()
        .filter_map(|s| {
            evaluate::series_with(&s.y, period, horizon, min_train, |o| s.history(o, period))
        })
        .collect();
    evaluate::group(&scores)
}

/// Per agreement, its goals' monthly series (flows as 12-month sums), each indicator once.
async fn agreement_series(store: &Store) -> Result<Vec<(String, Vec<Backtested>)>> {
    let mut out = Vec::new();
    // One agreement per Jobcenter, the latest: its series hold every earlier year too.
    let mut latest: std::collections::BTreeMap<_, zielwerk_store::AgreementSummary> =
        Default::default();
    for summary in store.agreements().await? {
        let newer = latest
            .get(&summary.key.jobcenter)
            .is_none_or(|l| (summary.key.year, summary.key.version) > (l.key.year, l.key.version));
        if newer {
            latest.insert(summary.key.jobcenter.clone(), summary);
        }
    }
    for summary in latest.into_values() {
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
        let mut series = Vec::new();
        for g in &state.goals {
            if matches!(g.goal.target, Target::Milestone { .. })
                || !seen.insert(g.indicator.code.clone())
            {
                continue;
            }
            let monthly: Vec<(YearMonth, f64)> =
                g.series.iter().map(|(m, p)| (*m, p.value)).collect();
            let run = longest_run(&monthly, |a, b| a.months_until(b) == 1);
            let Some(&(first, _)) = run.first() else {
                continue;
            };
            let breaks = g
                .breaks
                .iter()
                .filter_map(|b| usize::try_from(first.months_until(*b)).ok())
                .filter(|i| (1..run.len()).contains(i))
                .collect();
            let raw: Vec<f64> = run.iter().map(|(_, v)| *v).collect();
            let flow = g.indicator.accumulation == Accumulation::Flow;
            let last = raw.last().copied().unwrap_or_default();
            let goal = GoalSeries {
                monthly: run.clone(),
                accumulation: g.indicator.accumulation,
                direction: g.indicator.direction,
                breaks: g.breaks.clone(),
                min_step: zielwerk_app::proposals::shown_step(g.indicator.unit, last).0,
            };
            series.push(Backtested {
                goal: Some(goal),
                y: if flow {
                    zielwerk_forecast::rolling_sums(&raw)
                } else {
                    raw.clone()
                },
                raw,
                breaks,
                flow,
            });
        }
        out.push((format!("{} {}", a.jobcenter.name, a.year), series));
    }
    Ok(out)
}

/// Per proposal level (80, 50, 20 %): proposals made, reached, and the sum of their stated
/// probabilities; and the goals and years tested.
#[derive(Default)]
struct ProposalScore {
    levels: [(usize, usize, f64); 3],
    goals: usize,
    years: usize,
}

/// The target proposals of every goal on its held-back years (`targets::backtest`).
fn proposal_backtest(series: &[Backtested]) -> ProposalScore {
    let mut score = ProposalScore::default();
    for g in series.iter().filter_map(|s| s.goal.as_ref()) {
        let held = zielwerk_forecast::targets::backtest(
            &g.monthly,
            g.accumulation,
            g.direction,
            &g.breaks,
            g.min_step,
        );
        if held.iter().any(|h| !h.proposals.is_empty()) {
            score.goals += 1;
        }
        for h in &held {
            if h.proposals.len() != zielwerk_forecast::targets::LEVELS.len() {
                // Proposals that rounded together are not one level's statement.
                continue;
            }
            score.years += 1;
            for (level, p) in score.levels.iter_mut().zip(&h.proposals) {
                level.0 += 1;
                level.1 += usize::from(h.reached(p, g.direction));
                level.2 += p.probability;
            }
        }
    }
    score
}

fn print_proposals(name: &str, p: &ProposalScore) {
    say!("");
    say!(
        "{name}: Zielvorschläge in zurückgehaltenen Jahren ({} {}, {} {}; jeweils aus den Werten bis zum Dezember davor, wie der Zieleditor sie für das Folgejahr macht)",
        p.goals,
        if p.goals == 1 { "Ziel" } else { "Ziele" },
        p.years,
        if p.years == 1 {
            "Zieljahr"
        } else {
            "Zieljahre"
        },
    );
    if p.years == 0 {
        say!("  Keine Reihe hat ein vollständiges Jahr mit einem Jahr an Werten davor.");
        return;
    }
    for (level, (made, reached, stated)) in zielwerk_forecast::targets::LEVELS.iter().zip(&p.levels)
    {
        say!(
            "  „{} % erreichbar“: {reached} von {made} erreicht ({} %; angegeben im Mittel {} %)",
            number(level * 100.0, 0),
            number(*reached as f64 / *made as f64 * 100.0, 1),
            number(stated / *made as f64 * 100.0, 1),
        );
    }
}

/// The longest gap-free run of a series of (period, value), oldest first, as the model would
/// see it; `follows(a, b)` says whether `b` is the period right after `a`.
fn longest_run<P: Copy>(points: &[(P, f64)], follows: impl Fn(P, P) -> bool) -> Vec<(P, f64)> {
    let mut run: Vec<(P, f64)> = Vec::new();
    let mut best: Vec<(P, f64)> = Vec::new();
    let mut prev: Option<P> = None;
    for (p, v) in points {
        if prev.is_some_and(|q| !follows(q, *p)) {
            run.clear();
        }
        run.push((*p, *v));
        if run.len() > best.len() {
            best = run.clone();
        }
        prev = Some(*p);
    }
    best
}

/// The yearly values of `code` of every Kreis, each Kreis's longest gap-free run of years.
async fn yearly_series(store: &Store, code: &str) -> Result<Vec<Backtested>> {
    let code: IndicatorCode = code.parse()?;
    let values = store.values_across(&[&code], PeriodKind::Year, &[]).await?;
    let mut by_region: std::collections::BTreeMap<String, Vec<(i32, f64)>> = Default::default();
    for v in values {
        if v.region.kind() == zielwerk_domain::RegionKind::Kreis {
            by_region
                .entry(v.region.to_string())
                .or_default()
                .push((v.period.end.year(), v.value));
        }
    }
    Ok(by_region
        .into_values()
        .map(|mut years| {
            years.sort_by_key(|(y, _)| *y);
            Backtested::plain(
                longest_run(&years, |a, b| b == a + 1)
                    .into_iter()
                    .map(|(_, v)| v)
                    .collect(),
            )
        })
        .collect())
}

fn print_group(name: &str, g: &GroupScore) {
    say!("");
    say!(
        "{name}: {} {}, {} verglichene Prognosen",
        g.series,
        if g.series == 1 { "Reihe" } else { "Reihen" },
        g.forecasts
    );
    say!("  {:<34} {:>8}", "Verfahren", "MASE");
    for (c, m) in &g.mase {
        say!("  {:<34} {:>8}", c.short(), number(*m, 3));
    }
    say!(
        "  {:<34} {:>8}   (gegen den letzten Wert skaliert: {})",
        "gewählt (Kombination) je Reihe",
        number(g.chosen, 3),
        number(g.chosen_vs_naive, 3)
    );
    let naive: Vec<Candidate> = Rule::NAIVE.into_iter().map(Candidate::Rule).collect();
    if let (Some((best, bm)), Some((yard, ym))) = (g.best_single(), g.best_of(&naive)) {
        let against = |m: f64| {
            let gain = (1.0 - g.chosen / m) * 100.0;
            if gain >= 0.0 {
                format!("{} % besser", number(gain, 1))
            } else {
                format!("{} % schlechter", number(-gain, 1))
            }
        };
        say!(
            "  gewählt gegen das beste einzelne Verfahren ({}): {}; gegen die beste einfache Regel ({}): {}",
            best.short(),
            against(bm),
            yard.short(),
            against(ym)
        );
    }
    say!(
        "  80-%-Intervall: Abdeckung {} %, mittlere Breite {} Skaleneinheiten",
        number(g.coverage * 100.0, 1),
        number(g.width, 2)
    );
    if let Some(sure) = g.sure_statements() {
        say!(
            "  Aussagen „mindestens 80 % wahrscheinlich“: {} % trafen ein",
            number(sure * 100.0, 1)
        );
    }
    say!("  Kalibrierung (angegebene Wahrscheinlichkeit → eingetroffen):");
    for ((p, _), (made, came)) in STATEMENTS.iter().zip(&g.statements) {
        if *made > 0 {
            say!(
                "    {:>3} % → {:>5} % ({} Aussagen)",
                number(p * 100.0, 0),
                number(*came as f64 / *made as f64 * 100.0, 1),
                made
            );
        }
    }
    let chosen: Vec<String> = g
        .chosen_counts
        .iter()
        .map(|(c, k)| format!("{} {k}", c.short()))
        .collect();
    say!("  bestes Verfahren der Kombination: {}", chosen.join(", "));
}
