//! Year-end forecasts with an 80 % interval and the probability of reaching a target, and the
//! backtest that says how far to trust them.
//!
//! # Model choice
//!
//! Monthly SGB II series are short (a few years), seasonal (integrations dip in December and
//! peak in spring and September) and break at events (the pandemic, the move of refugees from
//! Ukraine into the SGB II in June 2022). We use `augurs`: with at least three years of history,
//! MSTL with an explicit period of 12 separates the seasonal pattern and an automatically chosen
//! non-seasonal ETS model (error, trend, damping by likelihood) forecasts the rest; shorter series
//! get the non-seasonal ETS alone. augurs' ETS has no seasonal models itself, hence MSTL around it.
//! Flows (referrals, spending) are forecast as their 12-month rolling sum, whose value in December
//! is the calendar-year sum: the seasonal pattern cancels, and the interval of the year's sum
//! comes straight from the model instead of from summing correlated monthly errors.
//!
//! The model's own interval assumes the model is right; [`forecast`] calibrates it on the
//! series' recent forecast errors (split conformal), so that it covers about 80 % in practice.
//! The probability of reaching the target reads the forecast as a normal distribution whose
//! central 80 % is the interval. The backtest (`backtest`) compares the model with two naive
//! baselines and reports how often the actual value fell inside the 80 % interval.

use augurs_core::{Fit, Predict};
use augurs_ets::AutoETS;
use augurs_ets::trend::AutoETSTrendModel;
use augurs_mstl::MSTLModel;
use zielwerk_domain::{Accumulation, Direction, YearMonth};

pub mod choice;
pub mod evaluate;
pub mod fits;
pub mod rules;
pub use fits::{Pins, pinning};

/// The interval level shown everywhere.
pub const LEVEL: f64 = 0.8;
/// The standard normal quantile of 0.9: an 80 % central interval is ±1.2816 σ.
const Z80: f64 = 1.281_551_565_544_600_4;
/// Minimum history for the seasonal model (three periods of 12 months).
pub const SEASONAL_MIN: usize = 36;
/// Minimum history for any model.
pub const MIN_HISTORY: usize = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// MSTL with period 12 around an automatically chosen non-seasonal ETS.
    MstlEts,
    /// Automatically chosen non-seasonal ETS.
    Ets,
}

impl Method {
    pub fn label_de(self) -> &'static str {
        match self {
            Method::MstlEts => "MSTL (Saison 12 Monate) mit ETS-Trend",
            Method::Ets => "ETS ohne Saisonkomponente",
        }
    }
}

#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum ForecastError {
    #[error(
        "zu wenige Monatswerte für eine Prognose: nötig sind mindestens {needed} lückenlose Monate, vorhanden: {found}"
    )]
    TooShort { found: usize, needed: usize },
    #[error("das Prognosemodell ließ sich nicht anpassen: {0}")]
    Model(String),
}

/// Point forecasts for the next months with their 80 % interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    pub point: Vec<f64>,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
    pub method: Method,
}

fn ets_prediction(history: &[f64], horizon: usize) -> Result<Prediction, ForecastError> {
    let fitted = AutoETS::non_seasonal()
        .fit(history)
        .map_err(|e| ForecastError::Model(e.to_string()))?;
    let f = fitted
        .predict(horizon, LEVEL)
        .map_err(|e| ForecastError::Model(e.to_string()))?;
    finish(f, Method::Ets)
}

fn mstl_prediction(history: &[f64], horizon: usize) -> Result<Prediction, ForecastError> {
    let model = MSTLModel::new(vec![12], AutoETSTrendModel::from(AutoETS::non_seasonal()));
    let fitted = model
        .fit(history)
        .map_err(|e| ForecastError::Model(e.to_string()))?;
    let f = fitted
        .predict(horizon, LEVEL)
        .map_err(|e| ForecastError::Model(e.to_string()))?;
    finish(f, Method::MstlEts)
}

fn finish(f: augurs_core::Forecast, method: Method) -> Result<Prediction, ForecastError> {
    let intervals = f
        .intervals
        .ok_or_else(|| ForecastError::Model("keine Intervalle".into()))?;
    let all_finite = f
        .point
        .iter()
        .chain(&intervals.lower)
        .chain(&intervals.upper)
        .all(|v| v.is_finite());
    if !all_finite {
        return Err(ForecastError::Model("nicht endliche Prognosewerte".into()));
    }
    // The interval always contains the point forecast (guards against rounding in the model).
    let lower = f
        .point
        .iter()
        .zip(&intervals.lower)
        .map(|(p, l)| l.min(*p))
        .collect();
    let upper = f
        .point
        .iter()
        .zip(&intervals.upper)
        .map(|(p, u)| u.max(*p))
        .collect();
    Ok(Prediction {
        point: f.point,
        lower,
        upper,
        method,
    })
}

/// Months of history a model is fitted on at most: ten years show the trend and seasonal
/// pattern that matter for this year's end; older months are not refitted at every origin
/// (real BA series go back to 2005).
pub const MAX_FIT_HISTORY: usize = 120;

fn fit(history: &[f64], horizon: usize) -> Result<Prediction, ForecastError> {
    if history.len() < MIN_HISTORY {
        return Err(ForecastError::TooShort {
            found: history.len(),
            needed: MIN_HISTORY,
        });
    }
    if history.len() >= SEASONAL_MIN
        && let Ok(p) = mstl_prediction(history, horizon)
    {
        return Ok(p);
    }
    ets_prediction(history, horizon)
}

/// Forecasts `horizon` months after `history` (contiguous monthly values, oldest first), from
/// a model fitted on its last [`MAX_FIT_HISTORY`] months. Fits are kept (see [`fits`]): the same
/// window is fitted once, whatever horizon up to [`fits::FIT_HORIZON`] is asked for.
pub fn predict(history: &[f64], horizon: usize) -> Result<Prediction, ForecastError> {
    let window = &history[history.len().saturating_sub(MAX_FIT_HISTORY)..];
    if horizon > fits::FIT_HORIZON {
        return fit(window, horizon);
    }
    let kept = fits::fitted_for(window, || fit(window, fits::FIT_HORIZON));
    let p = (*kept).clone()?;
    Ok(Prediction {
        point: p.point[..horizon].to_vec(),
        lower: p.lower[..horizon].to_vec(),
        upper: p.upper[..horizon].to_vec(),
        method: p.method,
    })
}

/// Months of recent history used to calibrate the interval.
const CALIBRATION_WINDOW: usize = 24;
/// Fewer errors than this leave the model's own interval as it is.
const CALIBRATION_MIN_ERRORS: usize = 8;

/// Forecasts like [`predict`], with the 80 % interval calibrated on the series' own recent
/// history: the model fitted at each of the last 24 months (found again when an earlier
/// forecast fitted it), and the interval is scaled so
/// that 80 % of those past forecast errors would have fallen inside it (split conformal). Model
/// intervals assume the model is right; SGB II series break at events, and the calibration
/// widens the interval by as much as such breaks have cost before (or narrows it when the model
/// was too cautious).
pub fn forecast(history: &[f64], horizon: usize) -> Result<Prediction, ForecastError> {
    fits::calibrated_for(history, horizon, || calibrated(history, horizon))
}

fn calibrated(history: &[f64], horizon: usize) -> Result<Prediction, ForecastError> {
    let mut p = predict(history, horizon)?;
    let n = history.len();
    let mut ratios = Vec::new();
    for origin in n.saturating_sub(CALIBRATION_WINDOW).max(MIN_HISTORY)..n {
        let h_max = horizon.min(n - origin);
        let Ok(past) = predict(&history[..origin], h_max) else {
            continue;
        };
        for h in 0..h_max {
            let half = (past.upper[h] - past.lower[h]) / 2.0;
            if half > 0.0 {
                ratios.push((history[origin + h] - past.point[h]).abs() / half);
            }
        }
    }
    if ratios.len() >= CALIBRATION_MIN_ERRORS {
        ratios.sort_by(f64::total_cmp);
        let idx = ((ratios.len() as f64) * LEVEL).ceil() as usize - 1;
        let scale = ratios[idx.min(ratios.len() - 1)];
        for h in 0..horizon {
            p.lower[h] = p.point[h] - (p.point[h] - p.lower[h]) * scale;
            p.upper[h] = p.point[h] + (p.upper[h] - p.point[h]) * scale;
        }
    }
    Ok(p)
}

/// The last value, carried forward.
pub fn naive(history: &[f64], horizon: usize) -> Option<Vec<f64>> {
    history.last().map(|v| vec![*v; horizon])
}

/// The value of the same month a year earlier.
pub fn seasonal_naive(history: &[f64], horizon: usize) -> Option<Vec<f64>> {
    let n = history.len();
    (n >= 12).then(|| (0..horizon).map(|h| history[n - 12 + h % 12]).collect())
}

fn phi(x: f64) -> f64 {
    0.5 * (1.0 + libm::erf(x / std::f64::consts::SQRT_2))
}

/// The probability that a value distributed as the forecast (normal, central 80 % = the
/// interval) reaches `target`, given the direction; for neutral goals: lands within ±`tolerance`.
pub fn probability(
    point: f64,
    lower: f64,
    upper: f64,
    target: f64,
    tolerance: f64,
    direction: Direction,
) -> f64 {
    let sd = (upper - lower) / (2.0 * Z80);
    let cdf = |x: f64| {
        if sd > 0.0 {
            phi((x - point) / sd)
        } else if point <= x {
            1.0
        } else {
            0.0
        }
    };
    let p = match direction {
        Direction::Higher => 1.0 - cdf(target - 1e-12 * target.abs().max(1.0)),
        Direction::Lower => cdf(target),
        Direction::Neutral => cdf(target + tolerance) - cdf(target - tolerance),
    };
    p.clamp(0.0, 1.0)
}

/// The forecast of a goal's indicator for December of the agreement year.
#[derive(Debug, Clone, PartialEq)]
pub struct YearEnd {
    pub point: f64,
    pub lower: f64,
    pub upper: f64,
    /// Probability of reaching the target, 0 to 1.
    pub probability: f64,
    /// `None` when December is already known (no forecast needed).
    pub method: Option<Method>,
    /// Months forecast ahead.
    pub horizon: usize,
    /// The monthly forecast path to December (for flows: the running sum since January), for
    /// the chart: (month, point, lower, upper).
    pub path: Vec<(YearMonth, f64, f64, f64)>,
}

/// The contiguous run of months ending at the last one, as values.
fn contiguous_tail(series: &[(YearMonth, f64)]) -> Vec<(YearMonth, f64)> {
    let mut out: Vec<(YearMonth, f64)> = Vec::new();
    for (m, v) in series.iter().rev() {
        if let Some((next, _)) = out.last()
            && m.months_until(*next) != 1
        {
            break;
        }
        out.push((*m, *v));
    }
    out.reverse();
    out
}

/// Year-end forecast for an indicator of the given accumulation and direction, from its monthly
/// values up to `as_of`, against the December target `target` (for flows: the annual sum).
pub fn year_end(
    series: &[(YearMonth, f64)],
    accumulation: Accumulation,
    direction: Direction,
    target: f64,
    tolerance: f64,
    as_of: YearMonth,
) -> Result<YearEnd, ForecastError> {
    let known: Vec<(YearMonth, f64)> = series
        .iter()
        .copied()
        .filter(|(m, _)| *m <= as_of)
        .collect();
    let tail = contiguous_tail(&known);
    let too_short = |found| ForecastError::TooShort {
        found,
        needed: MIN_HISTORY,
    };
    let last = tail.last().map(|(m, _)| *m).ok_or(too_short(0))?;
    let december =
        YearMonth::new(as_of.year(), 12).map_err(|e| ForecastError::Model(e.to_string()))?;
    let horizon = usize::try_from(last.months_until(december)).unwrap_or(0);
    // Flows: the rolling 12-month sum, whose December value is the calendar-year sum.
    let modelled: Vec<(YearMonth, f64)> = match accumulation {
        Accumulation::Stock => tail.clone(),
        Accumulation::Flow => tail
            .windows(12)
            .map(|w| (w[11].0, w.iter().map(|(_, v)| v).sum()))
            .collect(),
    };
    let values: Vec<f64> = modelled.iter().map(|(_, v)| *v).collect();
    if horizon == 0 {
        let v = *values.last().ok_or(too_short(tail.len()))?;
        return Ok(YearEnd {
            point: v,
            lower: v,
            upper: v,
            probability: probability(v, v, v, target, tolerance, direction),
            method: None,
            horizon: 0,
            path: Vec::new(),
        });
    }
    let p = forecast(&values, horizon)?;
    let h = horizon - 1;
    // The chart shows what the goal page shows: monthly values for a stock, the running sum since
    // January for a flow (this year's actual sum plus the forecast rolling sum's increments).
    let path = match accumulation {
        Accumulation::Stock => (0..horizon)
            .filter_map(|i| Some((last.plus(i as i32 + 1)?, p.point[i], p.lower[i], p.upper[i])))
            .collect(),
        Accumulation::Flow => {
            // Month k's value is the rolling sum's increment plus the value twelve months
            // earlier: x(k) = R(k) − R(k−1) + x(k−12). Summed from the month after `last` to m,
            // the running sum since January is ytd + R(m) − R(last) + Σ x(k−12).
            let (jan, _) = YearMonth::year_bounds(as_of.year())
                .map_err(|e| ForecastError::Model(e.to_string()))?;
            let ytd: f64 = tail.iter().filter(|(m, _)| *m >= jan).map(|(_, v)| v).sum();
            let last_rolling = *values.last().unwrap_or(&0.0);
            let year_ago = |m: YearMonth| {
                m.plus(-12)
                    .and_then(|k| tail.iter().find(|(t, _)| *t == k))
                    .map_or(0.0, |(_, v)| *v)
            };
            let mut carried = 0.0;
            let mut path = Vec::with_capacity(horizon);
            for i in 0..horizon {
                let Some(m) = last.plus(i as i32 + 1) else {
                    break;
                };
                carried += year_ago(m);
                let at = |r: f64| ytd + r - last_rolling + carried;
                path.push((m, at(p.point[i]), at(p.lower[i]), at(p.upper[i])));
            }
            path
        }
    };
    Ok(YearEnd {
        point: p.point[h],
        lower: p.lower[h],
        upper: p.upper[h],
        probability: probability(
            p.point[h], p.lower[h], p.upper[h], target, tolerance, direction,
        ),
        method: Some(p.method),
        horizon,
        path,
    })
}

/// Accuracy of the model against the naive baselines on one series.
#[derive(Debug, Clone, PartialEq)]
pub struct Backtest {
    /// Number of (origin, horizon) forecasts compared.
    pub forecasts: usize,
    /// Mean absolute percentage error of the model, in percent.
    pub mape_model: f64,
    /// … of the last value carried forward.
    pub mape_naive: f64,
    /// … of the same month a year earlier.
    pub mape_seasonal: f64,
    /// Share of actual values inside the model's 80 % interval, 0 to 1.
    pub coverage: f64,
    /// How many origins used the seasonal model.
    pub seasonal_fits: usize,
}

/// Rolling-origin backtest: from every origin with at least `min_train` months (and a year for
/// the seasonal baseline), forecast up to `max_horizon` months and compare with what came.
/// Months with an actual value of zero are left out of the percentage errors.
pub fn backtest(series: &[f64], min_train: usize, max_horizon: usize) -> Option<Backtest> {
    let start = min_train.max(12).max(MIN_HISTORY);
    let (mut n, mut model, mut naive_e, mut seasonal_e, mut inside, mut seasonal_fits) =
        (0usize, 0.0, 0.0, 0.0, 0usize, 0usize);
    for origin in start..series.len() {
        let train = &series[..origin];
        let horizon = max_horizon.min(series.len() - origin);
        let Ok(p) = forecast(train, horizon) else {
            continue;
        };
        if p.method == Method::MstlEts {
            seasonal_fits += 1;
        }
        let nv = naive(train, horizon)?;
        let sv = seasonal_naive(train, horizon)?;
        for h in 0..horizon {
            let actual = series[origin + h];
            if actual == 0.0 {
                continue;
            }
            let ape = |f: f64| (actual - f).abs() / actual.abs() * 100.0;
            n += 1;
            model += ape(p.point[h]);
            naive_e += ape(nv[h]);
            seasonal_e += ape(sv[h]);
            if p.lower[h] <= actual && actual <= p.upper[h] {
                inside += 1;
            }
        }
    }
    (n > 0).then(|| Backtest {
        forecasts: n,
        mape_model: model / n as f64,
        mape_naive: naive_e / n as f64,
        mape_seasonal: seasonal_e / n as f64,
        coverage: inside as f64 / n as f64,
        seasonal_fits,
    })
}

/// Turns a flow series into its rolling 12-month sums (the form the model forecasts).
pub fn rolling_sums(values: &[f64]) -> Vec<f64> {
    values.windows(12).map(|w| w.iter().sum()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::sync::Arc;

    fn seasonal_series(n: usize) -> Vec<f64> {
        (0..n)
            .map(|t| {
                1000.0
                    + 2.0 * t as f64
                    + 80.0 * (t as f64 * std::f64::consts::TAU / 12.0).sin()
                    + ((t * 7919) % 13) as f64
            })
            .collect()
    }

    #[test]
    fn seasonal_model_for_long_series_ets_for_short_ones() {
        assert_eq!(
            predict(&seasonal_series(48), 6).unwrap().method,
            Method::MstlEts
        );
        assert_eq!(
            predict(&seasonal_series(18), 6).unwrap().method,
            Method::Ets
        );
        assert_eq!(
            predict(&seasonal_series(5), 6).unwrap_err(),
            ForecastError::TooShort {
                found: 5,
                needed: 6
            }
        );
    }

    #[test]
    fn a_kept_twelve_month_fit_gives_what_a_fit_for_fewer_months_gives() {
        // The memo fits every window for twelve months and hands out the first h; that must be
        // the forecast a fit for h months makes, for both models.
        for (n, method) in [(48, Method::MstlEts), (20, Method::Ets)] {
            let y = seasonal_series(n);
            for h in [1, 5, 11] {
                let direct = fit(&y, h).unwrap();
                let kept = predict(&y, h).unwrap();
                assert_eq!(kept.method, method);
                for i in 0..h {
                    for (a, b) in [
                        (direct.point[i], kept.point[i]),
                        (direct.lower[i], kept.lower[i]),
                        (direct.upper[i], kept.upper[i]),
                    ] {
                        assert!(
                            (a - b).abs() <= 1e-9 * a.abs().max(1.0),
                            "{n} {h} {i}: {a} {b}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_next_months_forecast_refits_only_the_new_origin() {
        let y = seasonal_series(200);
        let (_, first) = pinning(|| forecast(&y[..180], 6).unwrap());
        let (_, next) = pinning(|| forecast(&y[..181], 5).unwrap());
        // The forecast and its 24 calibration origins; all but the newest were the month
        // before's, found again (the same kept fits, not fitted anew).
        assert_eq!((first.len(), next.len()), (25, 25));
        let shared = next
            .0
            .iter()
            .filter(|f| first.0.iter().any(|g| Arc::ptr_eq(f, g)))
            .count();
        assert_eq!(shared, 24);
    }

    #[test]
    fn history_beyond_ten_years_does_not_change_the_fit() {
        let y = seasonal_series(216);
        let long = predict(&y, 6).unwrap();
        let short = predict(&y[216 - MAX_FIT_HISTORY..], 6).unwrap();
        assert_eq!(long, short);
    }

    #[test]
    fn the_seasonal_model_beats_the_naive_baselines_on_a_seasonal_trend() {
        let bt = backtest(&seasonal_series(72), 36, 12).unwrap();
        assert!(bt.mape_model < bt.mape_naive, "{bt:?}");
        assert!(bt.mape_model < bt.mape_seasonal, "{bt:?}");
        assert!(bt.seasonal_fits > 0);
    }

    #[test]
    fn probability_reads_the_interval_as_a_normal_distribution() {
        // Point on the target: even odds.
        assert!(
            (probability(100.0, 90.0, 110.0, 100.0, 0.0, Direction::Higher) - 0.5).abs() < 1e-9
        );
        // Target at the upper end of the 80 % interval: 10 % chance to exceed it.
        assert!(
            (probability(100.0, 90.0, 110.0, 110.0, 0.0, Direction::Higher) - 0.1).abs() < 1e-6
        );
        assert!((probability(100.0, 90.0, 110.0, 110.0, 0.0, Direction::Lower) - 0.9).abs() < 1e-6);
        // Neutral: within ±10 of 100 is the 80 % interval itself.
        assert!(
            (probability(100.0, 90.0, 110.0, 100.0, 10.0, Direction::Neutral) - 0.8).abs() < 1e-6
        );
        // A known value: certain either way.
        assert_eq!(probability(5.0, 5.0, 5.0, 5.0, 0.0, Direction::Higher), 1.0);
        assert_eq!(probability(4.0, 4.0, 4.0, 5.0, 0.0, Direction::Higher), 0.0);
    }

    #[test]
    fn flows_are_forecast_as_the_years_sum() {
        let months: Vec<(YearMonth, f64)> = YearMonth::new(2019, 1)
            .unwrap()
            .through(YearMonth::new(2022, 6).unwrap())
            .map(|m| (m, 40.0))
            .collect();
        let y = year_end(
            &months,
            Accumulation::Flow,
            Direction::Higher,
            480.0,
            0.0,
            YearMonth::new(2022, 6).unwrap(),
        )
        .unwrap();
        assert_eq!(y.horizon, 6);
        assert!((y.point - 480.0).abs() < 1.0, "{y:?}");
        assert_eq!(y.path.len(), 6);
        assert!(
            (y.path[5].1 - y.point).abs() < 1e-6,
            "the path ends at the forecast sum"
        );
        assert!((y.path[0].1 - 280.0).abs() < 1.0, "{:?}", y.path[0]);
    }

    #[test]
    fn december_known_needs_no_forecast() {
        let months: Vec<(YearMonth, f64)> = YearMonth::new(2022, 1)
            .unwrap()
            .through(YearMonth::new(2022, 12).unwrap())
            .map(|m| (m, 10.0))
            .collect();
        let y = year_end(
            &months,
            Accumulation::Stock,
            Direction::Lower,
            9.0,
            0.0,
            YearMonth::new(2022, 12).unwrap(),
        )
        .unwrap();
        assert_eq!((y.point, y.probability, y.method), (10.0, 0.0, None));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn the_interval_contains_the_point_forecast(
            base in 10.0..10_000.0f64,
            slope in -5.0..5.0f64,
            noise in prop::collection::vec(-1.0..1.0f64, 18..40),
        ) {
            let y: Vec<f64> = noise.iter().enumerate().map(|(t, e)| base + slope * t as f64 + base * 0.02 * e).collect();
            if let Ok(p) = predict(&y, 12) {
                for h in 0..12 {
                    prop_assert!(p.lower[h] <= p.point[h] && p.point[h] <= p.upper[h], "{p:?}");
                }
            }
        }
    }
}
