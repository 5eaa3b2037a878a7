//! The simple rules a forecast must beat, and the M4 benchmarks built from them.
//!
//! Seasonal naive, last value and drift work on the series as it is. SES, Holt, damped Holt,
//! their mean ("Comb", the benchmark of the M4 competition) and Theta work, as in M4, on the
//! seasonally adjusted series when a seasonal pattern is found (autocorrelation at the
//! seasonal lag beyond the 90 % limit, at least three seasons of history): a classical
//! decomposition (centred moving average), multiplicative for positive series, additive
//! otherwise, and the forecast is seasonalised again with the same indices.
//!
//! The smoothing parameters are fitted by least squares of the one-step errors over a fixed grid
//! (the fits are cheap enough to repeat at every origin of a rolling evaluation, and a grid has no
//! local minimum to get stuck in).

/// A simple forecasting rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    /// The value of the same period a season earlier.
    SeasonalNaive,
    /// The last value, carried forward.
    Naive,
    /// The last value plus the mean change per period so far.
    Drift,
    /// Simple exponential smoothing.
    Ses,
    /// Holt's linear trend.
    Holt,
    /// Holt's trend, damped.
    Damped,
    /// The mean of SES, Holt and damped Holt (M4's "Comb").
    Comb,
    /// The Theta method (SES with half the linear trend's drift).
    Theta,
}

impl Rule {
    pub const ALL: [Rule; 8] = [
        Rule::SeasonalNaive,
        Rule::Naive,
        Rule::Drift,
        Rule::Ses,
        Rule::Holt,
        Rule::Damped,
        Rule::Comb,
        Rule::Theta,
    ];

    /// The rules that need no fitting: the yardsticks.
    pub const NAIVE: [Rule; 3] = [Rule::SeasonalNaive, Rule::Naive, Rule::Drift];

    /// The rule's name in a German sentence on a goal page or in a document.
    pub fn label_de(self) -> &'static str {
        match self {
            Rule::SeasonalNaive => "Vorjahreswert",
            Rule::Naive => "letzter Wert",
            Rule::Drift => "bisheriger Durchschnittstrend",
            Rule::Ses => "Glättung",
            Rule::Holt => "Glättung mit Trend",
            Rule::Damped => "Glättung mit gedämpftem Trend",
            Rule::Comb => "Mittel dreier Glättungen",
            Rule::Theta => "Theta-Verfahren",
        }
    }

    /// A short name for tables.
    pub fn short(self) -> &'static str {
        match self {
            Rule::SeasonalNaive => "Vorjahreswert",
            Rule::Naive => "Letzter Wert",
            Rule::Drift => "Drift",
            Rule::Ses => "SES",
            Rule::Holt => "Holt",
            Rule::Damped => "Gedämpfter Trend",
            Rule::Comb => "Comb",
            Rule::Theta => "Theta",
        }
    }
}

/// Forecasts `horizon` periods after `y` by `rule`, with `period` periods per season (12 for
/// months, 1 for years). `None` when the history is too short for the rule (seasonal naive
/// needs a season, drift two values, the smoothing rules three).
pub fn forecast(rule: Rule, y: &[f64], period: usize, horizon: usize) -> Option<Vec<f64>> {
    if Rule::NAIVE.contains(&rule) {
        return unfitted(rule, y, period, horizon);
    }
    let at = Rule::ALL.iter().position(|r| *r == rule)?;
    forecast_all(y, period, horizon)[at].take()
}

/// The rules that need no fitting.
fn unfitted(rule: Rule, y: &[f64], period: usize, horizon: usize) -> Option<Vec<f64>> {
    let n = y.len();
    match rule {
        Rule::SeasonalNaive => {
            let m = period.max(1);
            (n >= m).then(|| (0..horizon).map(|h| y[n - m + h % m]).collect())
        }
        Rule::Naive => y.last().map(|v| vec![*v; horizon]),
        Rule::Drift => (n >= 2).then(|| {
            let slope = (y[n - 1] - y[0]) / (n - 1) as f64;
            (1..=horizon).map(|h| y[n - 1] + slope * h as f64).collect()
        }),
        _ => None,
    }
}

/// Every rule's forecast of `y` at once, in the order of [`Rule::ALL`]: the seasonal adjustment
/// and the smoothing fits are made once and shared (Comb is the mean of the SES, Holt and damped
/// forecasts beside it). What one rule gives here is what [`forecast`] gives for it.
pub fn forecast_all(y: &[f64], period: usize, horizon: usize) -> [Option<Vec<f64>>; 8] {
    let n = y.len();
    let mut out: [Option<Vec<f64>>; 8] = Default::default();
    for (slot, rule) in out.iter_mut().zip(Rule::NAIVE) {
        *slot = unfitted(rule, y, period, horizon);
    }
    if n >= 3 {
        let season = Season::of(y, period);
        let adjusted = season.adjust(y);
        let (alpha, _) = best_alpha(&adjusted);
        let a = vec![ses_level(&adjusted, alpha); horizon];
        let b = holt(&adjusted, horizon, &[1.0]);
        let c = holt(&adjusted, horizon, &DAMPING);
        let comb: Vec<f64> = (0..horizon).map(|h| (a[h] + b[h] + c[h]) / 3.0).collect();
        let t = theta_with(&adjusted, horizon, alpha);
        for (slot, f) in out[3..].iter_mut().zip([a, b, c, comb, t]) {
            *slot = Some(season.reseasonalise(&f, n));
        }
    }
    out
}

/// Damping factors tried for damped Holt (the range in which the literature finds them).
const DAMPING: [f64; 5] = [0.8, 0.85, 0.9, 0.95, 0.98];
/// Smoothing parameters tried for the level.
fn alphas() -> impl Iterator<Item = f64> {
    (1..=50).map(|i| f64::from(i) / 50.0)
}

/// The α of least one-step squared error, and that error.
fn best_alpha(y: &[f64]) -> (f64, f64) {
    let mut best = (1.0, f64::INFINITY);
    for alpha in alphas() {
        let mut level = y[0];
        let mut sse = 0.0;
        for v in &y[1..] {
            let e = v - level;
            sse += e * e;
            level += alpha * e;
            // The error only grows: a worse α is left as soon as it is worse.
            if sse >= best.1 {
                break;
            }
        }
        if sse < best.1 {
            best = (alpha, sse);
        }
    }
    best
}

fn ses_level(y: &[f64], alpha: f64) -> f64 {
    y[1..]
        .iter()
        .fold(y[0], |level, v| level + alpha * (v - level))
}

/// Holt's linear trend, damped by the best of `damping` (1.0: not damped), level and trend
/// started at the first value and the first change.
fn holt(y: &[f64], horizon: usize, damping: &[f64]) -> Vec<f64> {
    let mut best = (f64::INFINITY, 0.0, 0.0, 1.0);
    for &phi in damping {
        for alpha in (1..=20).map(|i| f64::from(i) / 20.0) {
            for beta in (1..=10).map(|i| alpha * f64::from(i) / 10.0) {
                let (mut level, mut trend) = (y[0], y[1] - y[0]);
                let mut sse = 0.0;
                for v in &y[1..] {
                    let predicted = level + phi * trend;
                    let e = v - predicted;
                    sse += e * e;
                    let new_level = predicted + alpha * e;
                    trend = phi * trend + beta * e;
                    level = new_level;
                    if sse >= best.0 {
                        break;
                    }
                }
                if sse < best.0 {
                    best = (sse, level, trend, phi);
                }
            }
        }
    }
    let (_, level, trend, phi) = best;
    let mut damped = 0.0;
    let mut factor = 1.0;
    (0..horizon)
        .map(|_| {
            factor *= phi;
            damped += factor;
            level + damped * trend
        })
        .collect()
}

/// The Theta method with θ = 2 (Hyndman and Billah's form): SES plus half the slope of the
/// least-squares line, adjusted for the smoothing.
fn theta_with(y: &[f64], horizon: usize, alpha: f64) -> Vec<f64> {
    let n = y.len() as f64;
    let level = ses_level(y, alpha);
    let mean_t = (n - 1.0) / 2.0;
    let mean_y = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (t, v) in y.iter().enumerate() {
        let dt = t as f64 - mean_t;
        sxy += dt * (v - mean_y);
        sxx += dt * dt;
    }
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let carry = (1.0 - alpha).powf(n);
    (1..=horizon)
        .map(|h| level + slope / 2.0 * ((h as f64 - 1.0) + 1.0 / alpha - carry / alpha))
        .collect()
}

/// A seasonal pattern of a series: indices per position in the season, or none.
#[derive(Debug, Clone, PartialEq)]
enum Season {
    None,
    Multiplicative { period: usize, index: Vec<f64> },
    Additive { period: usize, index: Vec<f64> },
}

impl Season {
    /// The pattern of `y`, if the autocorrelation at the seasonal lag is beyond the 90 % limit
    /// and there are three seasons of history.
    fn of(y: &[f64], period: usize) -> Season {
        let n = y.len();
        if period < 2 || n < 3 * period || !seasonal(y, period) {
            return Season::None;
        }
        let multiplicative = y.iter().all(|v| *v > 0.0);
        // Centred moving average over one season (2×m for even m).
        let half = period / 2;
        let mut sums = vec![0.0; period];
        let mut counts = vec![0usize; period];
        for t in half..n - half {
            let window = &y[t - half..=t + half];
            let trend = if period.is_multiple_of(2) {
                (window[1..period].iter().sum::<f64>() + (window[0] + window[period]) / 2.0)
                    / period as f64
            } else {
                window.iter().sum::<f64>() / period as f64
            };
            let detrended = if multiplicative {
                y[t] / trend
            } else {
                y[t] - trend
            };
            if detrended.is_finite() {
                sums[t % period] += detrended;
                counts[t % period] += 1;
            }
        }
        if counts.contains(&0) {
            return Season::None;
        }
        let mut index: Vec<f64> = sums
            .iter()
            .zip(&counts)
            .map(|(s, c)| s / *c as f64)
            .collect();
        let mean = index.iter().sum::<f64>() / period as f64;
        if multiplicative {
            if mean <= 0.0 {
                return Season::None;
            }
            index.iter_mut().for_each(|i| *i /= mean);
            Season::Multiplicative { period, index }
        } else {
            index.iter_mut().for_each(|i| *i -= mean);
            Season::Additive { period, index }
        }
    }

    fn adjust(&self, y: &[f64]) -> Vec<f64> {
        match self {
            Season::None => y.to_vec(),
            Season::Multiplicative { period, index } => y
                .iter()
                .enumerate()
                .map(|(t, v)| v / index[t % period])
                .collect(),
            Season::Additive { period, index } => y
                .iter()
                .enumerate()
                .map(|(t, v)| v - index[t % period])
                .collect(),
        }
    }

    /// Seasonalises a forecast of the periods after the first `n`.
    fn reseasonalise(&self, f: &[f64], n: usize) -> Vec<f64> {
        match self {
            Season::None => f.to_vec(),
            Season::Multiplicative { period, index } => f
                .iter()
                .enumerate()
                .map(|(h, v)| v * index[(n + h) % period])
                .collect(),
            Season::Additive { period, index } => f
                .iter()
                .enumerate()
                .map(|(h, v)| v + index[(n + h) % period])
                .collect(),
        }
    }
}

/// The M4 test: the autocorrelation at lag `period` exceeds 1.645 standard errors (Bartlett).
fn seasonal(y: &[f64], period: usize) -> bool {
    let n = y.len();
    let mean = y.iter().sum::<f64>() / n as f64;
    let var: f64 = y.iter().map(|v| (v - mean).powi(2)).sum();
    if var <= 0.0 {
        return false;
    }
    let acf = |k: usize| -> f64 {
        (k..n)
            .map(|t| (y[t] - mean) * (y[t - k] - mean))
            .sum::<f64>()
            / var
    };
    let bartlett: f64 = 1.0 + 2.0 * (1..period).map(|k| acf(k).powi(2)).sum::<f64>();
    acf(period).abs() > 1.645 * (bartlett / n as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
    }

    #[test]
    fn every_rule_forecasts_a_constant_as_itself() {
        let y = vec![250.0; 40];
        for rule in Rule::ALL {
            let f = forecast(rule, &y, 12, 14).unwrap();
            assert!(f.iter().all(|v| close(*v, 250.0)), "{rule:?} {f:?}");
        }
    }

    #[test]
    fn a_straight_line_is_continued_by_the_trend_rules() {
        let y: Vec<f64> = (0..30).map(|t| 100.0 + 3.0 * f64::from(t)).collect();
        for rule in [Rule::Drift, Rule::Holt] {
            let f = forecast(rule, &y, 1, 5).unwrap();
            for (h, v) in f.iter().enumerate() {
                assert!(
                    close(*v, 100.0 + 3.0 * (29.0 + h as f64 + 1.0)),
                    "{rule:?} {f:?}"
                );
            }
        }
        // The last value and SES stay at the end of the line.
        assert!(close(forecast(Rule::Naive, &y, 1, 3).unwrap()[2], 187.0));
    }

    #[test]
    fn a_seasonal_pattern_is_found_and_carried_over() {
        // A pure pattern with a level: the smoothing rules forecast the pattern itself.
        let pattern = [
            1.1, 1.0, 0.9, 0.95, 1.05, 1.0, 0.9, 0.85, 1.1, 1.15, 1.0, 0.9,
        ];
        let y: Vec<f64> = (0..48).map(|t| 1000.0 * pattern[t % 12]).collect();
        assert!(seasonal(&y, 12));
        let f = forecast(Rule::Ses, &y, 12, 12).unwrap();
        for (h, v) in f.iter().enumerate() {
            let expected = 1000.0 * pattern[(48 + h) % 12];
            assert!((v - expected).abs() < 0.5, "{h}: {v} vs {expected}");
        }
        assert_eq!(
            forecast(Rule::SeasonalNaive, &y, 12, 3).unwrap(),
            vec![1100.0, 1000.0, 900.0]
        );
    }

    #[test]
    fn short_histories_are_refused_by_the_rules_that_need_more() {
        assert_eq!(forecast(Rule::SeasonalNaive, &[1.0; 11], 12, 1), None);
        assert_eq!(forecast(Rule::Drift, &[1.0], 12, 1), None);
        assert_eq!(forecast(Rule::Theta, &[1.0, 2.0], 12, 1), None);
        assert!(forecast(Rule::Naive, &[1.0], 12, 1).is_some());
    }
}
