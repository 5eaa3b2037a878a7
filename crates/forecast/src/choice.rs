//! The method of a series chosen by evidence: every candidate is forecast from each of the
//! series' own recent origins (rolling origin), scored by MASE, and the best one forecasts; its
//! interval is the spread of its own past errors at each horizon (split conformal).
//!
//! MASE (mean absolute scaled error) divides the absolute errors by the mean absolute change
//! from one season to the next in the history (the in-sample error of seasonal naive), so that
//! it means the same for a count of 17,000 Bedarfsgemeinschaften and for a quota of 8 %, and
//! for K1 or K3, whose changes lie around zero where percentages say nothing. Below 1 a method
//! beats seasonal naive.

use crate::LEVEL;
use crate::rules::{self, Rule};

/// A candidate method: a simple rule or today's model (MSTL with ETS, or ETS alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Candidate {
    Rule(Rule),
    Model,
}

impl Candidate {
    /// Every candidate: the rules and the model.
    pub fn all() -> impl Iterator<Item = Candidate> {
        Rule::ALL
            .into_iter()
            .map(Candidate::Rule)
            .chain([Candidate::Model])
    }

    pub fn label_de(self) -> &'static str {
        match self {
            Candidate::Rule(r) => r.label_de(),
            Candidate::Model => "Saisonzerlegung mit Glättung (MSTL/ETS)",
        }
    }

    pub fn short(self) -> &'static str {
        match self {
            Candidate::Rule(r) => r.short(),
            Candidate::Model => "MSTL+ETS",
        }
    }

    /// Whether it is one of the rules that need no fitting (the yardsticks).
    fn is_simple(self) -> bool {
        matches!(self, Candidate::Rule(r) if Rule::NAIVE.contains(&r))
    }
}

/// Every rule's point forecast of `y` for `horizon` periods, in the order of [`Rule::ALL`] (and of
/// [`Candidate::all`]), each seeing the last [`crate::MAX_FIT_HISTORY`] values.
fn rule_forecasts(y: &[f64], period: usize, horizon: usize) -> [Option<Vec<f64>>; 8] {
    rules::forecast_all(window(y), period, horizon)
}

/// Every candidate's point forecast of `y` for `horizon` periods, in the order of
/// [`Candidate::all`], as the choice sees them.
pub fn every_forecast(y: &[f64], period: usize, horizon: usize) -> Vec<Option<Vec<f64>>> {
    let mut out: Vec<Option<Vec<f64>>> = rule_forecasts(y, period, horizon).into();
    out.push(model(y, period, horizon));
    out
}

/// Today's model; it knows months only.
fn model(y: &[f64], period: usize, horizon: usize) -> Option<Vec<f64>> {
    (period == 12)
        .then(|| crate::predict(y, horizon).ok().map(|p| p.point))
        .flatten()
}

/// Origins of the evaluation inside a series' history, at most.
pub const ORIGINS: usize = 24;
/// Fewer scored forecasts than this: the history is too short to choose, the last value is
/// carried forward.
pub const MIN_SCORED: usize = 6;
/// The shortest history an evaluation starts from.
pub const MIN_TRAIN: usize = 4;

/// Candidates combined at most: the best ones of the evaluation, weighted by the inverse of
/// their MASE (a combination of a few good methods is steadier than the one that happened to
/// win on a short history).
pub const COMBINED: usize = 3;

/// A fitted method (or a combination) forecasts only when its MASE on the series' own history is
/// at least this share below the best simple rule's; otherwise the simple rule does. The winner of
/// 24 origins is often the luckiest rather than the best, and the backtest showed the simple
/// rule's steadiness worth more than a small lead (`docs/forecast.md`).
pub const SIMPLER_UNLESS: f64 = 0.2;

/// Why a method was chosen: its score and the best yardstick's.
#[derive(Debug, Clone, PartialEq)]
pub struct Chosen {
    /// The candidates combined, best first, with their weights (summing to 1).
    pub members: Vec<(Candidate, f64)>,
    /// The combination's MASE over the evaluation; `None` when the history was too short to
    /// score.
    pub mase: Option<f64>,
    /// The best of the rules that need no fitting (seasonal naive, last value, drift) and its
    /// MASE.
    pub yardstick: Option<(Candidate, f64)>,
    /// The best fitted candidate when it was not clearly better than the simple rule that
    /// forecasts instead (see [`SIMPLER_UNLESS`]), with its MASE.
    pub passed_over: Option<(Candidate, f64)>,
    /// Forecasts scored per candidate.
    pub scored: usize,
    /// Values of history used.
    pub history: usize,
    /// Absolute errors of the combination by horizon (index h − 1), for the interval.
    errors: Vec<Vec<f64>>,
}

impl Chosen {
    /// The best candidate of the combination.
    pub fn lead(&self) -> Candidate {
        self.members[0].0
    }

    /// The method in a few words: the candidate, or the weighted combination of the candidates
    /// (`docs/forecast.md` explains each).
    pub fn label_de(&self) -> String {
        use zielwerk_domain::format::number;
        let names: Vec<String> = self
            .members
            .iter()
            .map(|(c, w)| format!("{} ({}\u{a0}%)", c.label_de(), number(w * 100.0, 0)))
            .collect();
        match names.as_slice() {
            [_] => self.lead().label_de().to_owned(),
            [init @ .., last] => format!("Kombination aus {} und {last}", init.join(", ")),
            [] => String::new(),
        }
    }

    /// The German sentence the goal page and every document show: which method and why.
    /// `on` names what is forecast when it is not the series itself (" auf der gleitenden
    /// 12-Monats-Summe"); `besides` is a last clause ("Bruch im Juni 2022 berücksichtigt …").
    pub fn sentence_de(&self, unit_de: &str, on: &str, besides: Option<&str>) -> String {
        use zielwerk_domain::format::number;
        let besides = besides.map(|b| format!("; {b}")).unwrap_or_default();
        match (self.mase, self.yardstick, self.passed_over) {
            (Some(m), _, Some((other, om))) => format!(
                "Verfahren: {}{on}, weil in {} rückblickenden Prognosen aus den letzten {} {unit_de} dieser Reihe kein aufwendigeres Verfahren um mindestens {}\u{a0}% genauer war (mittlerer Fehler {} gegenüber {} beim besten aufwendigeren, {}){besides}.",
                self.label_de(),
                self.scored,
                self.history,
                number(SIMPLER_UNLESS * 100.0, 0),
                number(m, 2),
                number(om, 2),
                other.label_de()
            ),
            (Some(m), Some((y, ym)), None) if self.members.len() == 1 => format!(
                "Verfahren: {}{on}, gewählt, weil es in {} rückblickenden Prognosen aus den letzten {} {unit_de} dieser Reihe am genauesten war (mittlerer Fehler {} gegenüber {} beim besten einfachen Verfahren, {}){besides}.",
                self.label_de(),
                self.scored,
                self.history,
                number(m, 2),
                number(ym, 2),
                y.label_de()
            ),
            // The combination of the best few is not always better on the history than its
            // best member alone: the sentence says what each scored, not that it won.
            (Some(m), Some((y, ym)), None) => format!(
                "Verfahren: {}{on}, die {} Verfahren, die in {} rückblickenden Prognosen aus den letzten {} {unit_de} dieser Reihe am genauesten waren (mittlerer Fehler der Kombination {}, beim besten einfachen Verfahren, {}, {}){besides}.",
                self.label_de(),
                count_de(self.members.len()),
                self.scored,
                self.history,
                number(m, 2),
                y.label_de(),
                number(ym, 2),
            ),
            _ => format!(
                "Verfahren: {}{on}, weil die Reihe mit {} {unit_de} zu kurz ist, um Verfahren rückblickend zu vergleichen{besides}.",
                self.lead().label_de(),
                self.history
            ),
        }
    }

    /// The combination's forecast of `y`.
    fn forecast(&self, y: &[f64], period: usize, horizon: usize) -> Option<Vec<f64>> {
        let by_rule = rule_forecasts(y, period, horizon);
        let mut out = vec![0.0; horizon];
        for (c, w) in &self.members {
            let f = match c {
                Candidate::Rule(r) => by_rule[Rule::ALL.iter().position(|q| q == r)?].clone()?,
                Candidate::Model => model(y, period, horizon)?,
            };
            for h in 0..horizon {
                out[h] += w * f[h];
            }
        }
        Some(out)
    }
}

/// A small count in words, as the method sentence uses it.
fn count_de(n: usize) -> String {
    match n {
        2 => "zwei".into(),
        3 => "drei".into(),
        4 => "vier".into(),
        n => n.to_string(),
    }
}

/// The mean absolute change from one season to the next (from one value to the next when the
/// history is shorter than two seasons): the scale of MASE. Zero for a constant series.
pub fn scale(y: &[f64], period: usize) -> f64 {
    let m = if y.len() > period { period } else { 1 };
    if y.len() <= m {
        return 0.0;
    }
    let sum: f64 = (m..y.len()).map(|t| (y[t] - y[t - m]).abs()).sum();
    sum / (y.len() - m) as f64
}

/// Chooses the method for forecasting `horizon` periods after `y` (`period` per season).
pub fn choose(y: &[f64], period: usize, horizon: usize) -> Chosen {
    let n = y.len();
    let s = scale(y, period);
    let first = n.saturating_sub(ORIGINS).max(MIN_TRAIN);
    let candidates: Vec<Candidate> = Candidate::all().collect();
    // Each candidate's forecast from each origin (None where it cannot forecast).
    let origins: Vec<usize> = (first..n).collect();
    let mut paths: Vec<Vec<Option<Vec<f64>>>> =
        vec![Vec::with_capacity(origins.len()); candidates.len()];
    for &o in &origins {
        for (i, f) in rule_forecasts(&y[..o], period, horizon.min(n - o))
            .into_iter()
            .enumerate()
        {
            paths[i].push(f);
        }
    }
    // The model's fits are most of the work: made on every core.
    paths[Rule::ALL.len()] =
        crate::fits::on_every_core(&origins, |&o| model(&y[..o], period, horizon.min(n - o)));
    let scored = |i: usize| -> Option<f64> {
        let mut sum = 0.0;
        for (k, &o) in origins.iter().enumerate() {
            let f = paths[i][k].as_ref()?;
            sum += f
                .iter()
                .enumerate()
                .map(|(h, v)| (y[o + h] - v).abs())
                .sum::<f64>();
        }
        Some(sum)
    };
    let full: usize = origins.iter().map(|&o| horizon.min(n - o)).sum();
    let sums: Vec<Option<f64>> = (0..candidates.len()).map(scored).collect();
    let errors_of = |members: &[(usize, f64)]| -> Vec<Vec<f64>> {
        let mut errors = vec![Vec::new(); horizon];
        for (k, &o) in origins.iter().enumerate() {
            for h in 0..horizon.min(n - o) {
                let f: Option<f64> = members
                    .iter()
                    .map(|(i, w)| paths[*i][k].as_ref().map(|p| w * p[h]))
                    .sum();
                if let Some(f) = f {
                    errors[h].push((y[o + h] - f).abs());
                }
            }
        }
        errors
    };
    let naive = candidates
        .iter()
        .position(|c| *c == Candidate::Rule(Rule::Naive))
        .expect("naive is a candidate");
    // Only candidates scored on every forecast compete (a rule that needs more history than
    // the first origins had is not compared on fewer, easier forecasts).
    if full < MIN_SCORED || s <= 0.0 || sums[naive].is_none() {
        return Chosen {
            passed_over: None,
            members: vec![(Candidate::Rule(Rule::Naive), 1.0)],
            mase: None,
            yardstick: None,
            scored: full,
            history: n,
            errors: errors_of(&[(naive, 1.0)]),
        };
    }
    let mase = |i: usize| sums[i].map(|sum| sum / full as f64 / s);
    let mut ranked: Vec<(usize, f64)> = (0..candidates.len())
        .filter_map(|i| mase(i).map(|m| (i, m)))
        .collect();
    ranked.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    let simple = ranked
        .iter()
        .copied()
        .find(|(i, _)| candidates[*i].is_simple());
    let yardstick = simple.map(|(i, m)| (candidates[i], m));
    // The simple rule, unless a fitted method beats it clearly on this series' own history.
    let mut passed_over = None;
    if let (Some(&best), Some(simple)) = (ranked.first(), simple)
        && best.0 != simple.0
        && best.1 > simple.1 * (1.0 - SIMPLER_UNLESS)
    {
        passed_over = Some((candidates[best.0], best.1));
        ranked = vec![simple];
    }
    ranked.truncate(COMBINED);
    // Inverse-MASE weights; a perfect candidate (MASE 0) takes all.
    let members: Vec<(usize, f64)> = if ranked[0].1 <= 0.0 {
        vec![(ranked[0].0, 1.0)]
    } else {
        let total: f64 = ranked.iter().map(|(_, m)| 1.0 / m).sum();
        ranked.iter().map(|(i, m)| (*i, 1.0 / m / total)).collect()
    };
    let errors = errors_of(&members);
    let combined: f64 = errors.iter().flatten().sum::<f64>() / full as f64 / s;
    Chosen {
        passed_over,
        members: members.iter().map(|(i, w)| (candidates[*i], *w)).collect(),
        mase: Some(combined),
        yardstick,
        scored: full,
        history: n,
        errors,
    }
}

/// A forecast by the chosen method with its 80 % interval.
#[derive(Debug, Clone, PartialEq)]
pub struct ChosenForecast {
    pub point: Vec<f64>,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
    pub chosen: Chosen,
}

/// Fewer past errors at a horizon than this: its half-width is carried over from the horizon
/// before, grown with the square root of the horizon.
const MIN_ERRORS: usize = 5;

/// [`forecast`], kept by its history (see [`crate::fits`]): the year-end forecasts of an
/// assessment are made once and found again by every read.
pub fn kept(y: &[f64], period: usize, horizon: usize) -> std::sync::Arc<Option<ChosenForecast>> {
    crate::fits::chosen_for(y, period, horizon, || forecast(y, period, horizon))
}

/// The part of a history the methods see: its last [`crate::MAX_FIT_HISTORY`] values (ten years
/// of months show the trend and seasonal pattern that matter for this year's end). The origins
/// of an evaluation are taken in the whole history and each one's forecast sees its own window,
/// so that next month's evaluation finds this month's model fits again.
fn window(y: &[f64]) -> &[f64] {
    &y[y.len().saturating_sub(crate::MAX_FIT_HISTORY)..]
}

/// Forecasts `horizon` periods after `y` by the chosen method. The interval at horizon h is
/// ± the 80 % quantile of the method's absolute errors at that horizon in the evaluation, never
/// narrower than at the horizon before.
pub fn forecast(y: &[f64], period: usize, horizon: usize) -> Option<ChosenForecast> {
    let chosen = choose(y, period, horizon);
    let point = chosen
        .forecast(y, period, horizon)
        .or_else(|| rules::forecast(Rule::Naive, y, period, horizon))?;
    let mut halves: Vec<f64> = Vec::with_capacity(horizon);
    for h in 0..horizon {
        let mut e = chosen.errors.get(h).cloned().unwrap_or_default();
        let own = (e.len() >= MIN_ERRORS).then(|| {
            e.sort_by(f64::total_cmp);
            // The finite-sample quantile of split conformal prediction: ⌈(n + 1) · 0.8⌉-th.
            let idx = (((e.len() + 1) as f64) * LEVEL).ceil() as usize - 1;
            e[idx.min(e.len() - 1)]
        });
        // Without errors of its own a horizon carries the one before, grown with √h.
        let carried = halves
            .last()
            .map(|last| last * ((h + 1) as f64 / h as f64).sqrt());
        let half = own
            .or(carried)
            .unwrap_or_else(|| scale(y, period) * 1.281_551_565_544_600_4);
        let half = halves.last().map_or(half, |before| half.max(*before));
        halves.push(half);
    }
    Some(ChosenForecast {
        lower: point.iter().zip(&halves).map(|(p, w)| p - w).collect(),
        upper: point.iter().zip(&halves).map(|(p, w)| p + w).collect(),
        point,
        chosen,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_constant_series_forecasts_itself_with_a_zero_width_interval() {
        let y = vec![17_400.0; 40];
        let f = forecast(&y, 12, 12).unwrap();
        for h in 0..12 {
            assert_eq!(
                (f.point[h], f.lower[h], f.upper[h]),
                (17_400.0, 17_400.0, 17_400.0)
            );
        }
    }

    #[test]
    fn a_short_history_falls_back_to_the_last_value_and_says_so() {
        let y = [10.0, 11.0, 12.0, 11.0, 13.0];
        let c = choose(&y, 12, 3);
        assert_eq!((c.lead(), c.mase), (Candidate::Rule(Rule::Naive), None));
        assert!(
            c.sentence_de("Monaten", "", None).contains("zu kurz"),
            "{}",
            c.sentence_de("Monaten", "", None)
        );
    }

    #[test]
    fn mase_scale_is_the_seasonal_naive_in_sample_error() {
        let y: Vec<f64> = (0..24)
            .map(|t| f64::from(t % 12) + f64::from(t / 12) * 2.0)
            .collect();
        assert!((scale(&y, 12) - 2.0).abs() < 1e-12);
        assert!((scale(&[1.0, 3.0, 2.0], 12) - 1.5).abs() < 1e-12);
    }

    #[test]
    fn a_trend_is_given_to_a_trend_method() {
        let y: Vec<f64> = (0..30)
            .map(|t| 100.0 + 5.0 * f64::from(t) + if t % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        let c = choose(&y, 1, 3);
        assert!(
            matches!(
                c.lead(),
                Candidate::Rule(Rule::Drift | Rule::Holt | Rule::Damped | Rule::Theta | Rule::Comb)
            ),
            "{c:?}"
        );
        assert!(c.mase.unwrap() < c.yardstick.unwrap().1 + 1e-9);
    }

    #[test]
    fn a_fitted_method_that_is_not_clearly_better_gives_way_to_the_simple_rule() {
        // A random walk seen through a little noise: smoothing forecasts it a little better than
        // its last value, not clearly.
        let mut v = 1000.0;
        let y: Vec<f64> = (0..60u32)
            .map(|t| {
                v += f64::from((t * 7919) % 13) - 6.0;
                v + f64::from((t * 104_729) % 3) - 1.0
            })
            .collect();
        let c = choose(&y, 1, 3);
        let lead = c.lead();
        assert!(
            matches!(lead, Candidate::Rule(r) if Rule::NAIVE.contains(&r)),
            "{c:?}"
        );
        let (other, m) = c.passed_over.expect("a fitted method came close");
        assert!(m > c.mase.unwrap() * (1.0 - SIMPLER_UNLESS), "{c:?}");
        assert_ne!(other, lead);
        let sentence = c.sentence_de("Jahren", "", None);
        assert!(
            sentence.contains("kein aufwendigeres Verfahren um mindestens 20\u{a0}% genauer"),
            "{sentence}"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        #[test]
        fn the_interval_contains_the_point_forecast(
            base in 10.0..10_000.0f64,
            slope in -5.0..5.0f64,
            noise in prop::collection::vec(-1.0..1.0f64, 8..30),
        ) {
            let y: Vec<f64> = noise.iter().enumerate().map(|(t, e)| base + slope * t as f64 + base * 0.05 * e).collect();
            let f = forecast(&y, 1, 3).unwrap();
            for h in 0..3 {
                prop_assert!(f.lower[h] <= f.point[h] && f.point[h] <= f.upper[h], "{f:?}");
            }
        }
    }
}
