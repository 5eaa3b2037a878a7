//! Year-end forecasts with an 80 % interval and the probability of reaching a target.
//!
//! # Method
//!
//! Every forecast is made by the method its own series chose (see [`choice`]): the simple rules
//! a forecast must beat (seasonal naive, last value, drift), the M4 benchmarks (SES, Holt,
//! damped Holt, their mean "Comb", Theta; see [`rules`]) and the model used before (MSTL with
//! period 12 around an automatically chosen non-seasonal ETS, from `augurs`) are scored by MASE
//! on the series' last 24 origins, and the best three are combined by the inverse of their
//! MASE. The 80 % interval is the spread of that combination's own past errors at each horizon
//! (split conformal). A history too short to compare methods carries the last value forward and
//! says so. Flows (referrals, spending) are forecast as their 12-month rolling sum, whose value
//! in December is the calendar-year sum.
//!
//! A known break of a series (marked in the agreement: refugees from Ukraine moving into the
//! SGB II in June 2022, the pandemic) is taken out before the methods see the series: the values
//! before it are moved by the jump at the break (see [`level_at_breaks`]), so the forecast starts
//! from the level after the break and no trend is drawn across it.
//!
//! The probability of reaching the target reads the forecast as a normal distribution whose
//! central 80 % is the interval. `zielwerk backtest` ([`evaluate`]) says how far to trust it.

use augurs_core::{Fit, Predict};
use augurs_ets::AutoETS;
use augurs_ets::trend::AutoETSTrendModel;
use augurs_mstl::MSTLModel;
use zielwerk_domain::{Accumulation, Direction, YearMonth};

pub mod choice;
pub mod evaluate;
pub mod fits;
pub mod rules;
pub mod targets;
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

/// How a forecast was made, for the page and the documents.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodNote {
    /// The method in a few words (for a table or the API).
    pub label: String,
    /// Which method, and why, in German sentences.
    pub sentence: String,
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
    pub method: Option<MethodNote>,
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

/// `values` with their known breaks taken out: at each break (an index of `values`, the first
/// value at the new level), every value before it is moved by the jump at the break, so that the
/// series continues at the level after the break. The jump is the change into the break month
/// less the change between the same months a season earlier (their usual change, when the
/// history reaches back that far). The latest break is taken out first; the values from the
/// latest break on are never changed, and the level before a break does not matter: adding a
/// constant to every value before it gives the same result.
pub fn level_at_breaks(values: &[f64], breaks: &[usize], period: usize) -> Vec<f64> {
    let mut v = values.to_vec();
    let mut at: Vec<usize> = breaks
        .iter()
        .copied()
        .filter(|b| (1..v.len()).contains(b))
        .collect();
    at.sort_unstable();
    at.dedup();
    for &b in at.iter().rev() {
        let usual = if b > period && period > 0 {
            v[b - period] - v[b - period - 1]
        } else {
            0.0
        };
        let jump = v[b] - v[b - 1] - usual;
        for x in &mut v[..b] {
            *x += jump;
        }
    }
    v
}

/// Year-end forecast for an indicator of the given accumulation and direction, from its monthly
/// values up to `as_of`, against the December target `target` (for flows: the annual sum).
/// `breaks` are the months at which the series is known to break (see [`level_at_breaks`]).
pub fn year_end(
    series: &[(YearMonth, f64)],
    accumulation: Accumulation,
    direction: Direction,
    target: f64,
    tolerance: f64,
    as_of: YearMonth,
    breaks: &[YearMonth],
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
    let (first, last) = match (tail.first(), tail.last()) {
        (Some((f, _)), Some((l, _))) => (*f, *l),
        _ => return Err(too_short(0)),
    };
    let december =
        YearMonth::new(as_of.year(), 12).map_err(|e| ForecastError::Model(e.to_string()))?;
    let horizon = usize::try_from(last.months_until(december)).unwrap_or(0);
    let raw: Vec<f64> = tail.iter().map(|(_, v)| *v).collect();
    if horizon == 0 {
        let v = match accumulation {
            Accumulation::Stock => raw.last().copied(),
            Accumulation::Flow => (raw.len() >= 12).then(|| raw[raw.len() - 12..].iter().sum()),
        }
        .ok_or(too_short(tail.len()))?;
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
    // The breaks inside the history, as indices of `raw`.
    let used: Vec<YearMonth> = breaks
        .iter()
        .copied()
        .filter(|b| *b > first && *b <= last)
        .collect();
    let indices: Vec<usize> = used
        .iter()
        .filter_map(|b| usize::try_from(first.months_until(*b)).ok())
        .collect();
    let adjusted = level_at_breaks(&raw, &indices, 12);
    // Flows: the rolling 12-month sum, whose December value is the calendar-year sum.
    let values: Vec<f64> = match accumulation {
        Accumulation::Stock => adjusted.clone(),
        Accumulation::Flow => rolling_sums(&adjusted),
    };
    if values.len() < MIN_HISTORY {
        return Err(too_short(values.len()));
    }
    let kept = choice::kept(&values, 12, horizon);
    let p = kept.as_ref().as_ref().ok_or(too_short(values.len()))?;
    // The chart shows what the goal page shows: monthly values for a stock, the running sum since
    // January for a flow (this year's actual sum plus the forecast rolling sum's increments).
    // Only the months of the target year are shown (a draft for next year forecasts from months
    // before it).
    let (jan, _) =
        YearMonth::year_bounds(as_of.year()).map_err(|e| ForecastError::Model(e.to_string()))?;
    let path: Vec<(YearMonth, f64, f64, f64)> = match accumulation {
        Accumulation::Stock => (0..horizon)
            .filter_map(|i| Some((last.plus(i as i32 + 1)?, p.point[i], p.lower[i], p.upper[i])))
            .filter(|(m, ..)| *m >= jan)
            .collect(),
        Accumulation::Flow => {
            // Month k's value is the rolling sum's increment plus the value twelve months
            // earlier: x(k) = R(k) − R(k−1) + x(k−12), with the values the forecast saw (breaks
            // taken out) and, further ahead than a year, the ones it implies. The running sum
            // since January is this year's actual sum plus the implied values from the month
            // after `last`; the bounds lie as far from it as the rolling sum's bounds from its
            // point. In December it is the rolling sum itself, the calendar year's sum.
            let ytd: f64 = tail.iter().filter(|(m, _)| *m >= jan).map(|(_, v)| v).sum();
            let mut x = adjusted.clone();
            let mut before = *values.last().unwrap_or(&0.0);
            let mut running = ytd;
            let mut path = Vec::with_capacity(horizon.min(12));
            for i in 0..horizon {
                let Some(m) = last.plus(i as i32 + 1) else {
                    break;
                };
                let year_ago = x.len().checked_sub(12).map_or(0.0, |k| x[k]);
                let xm = p.point[i] - before + year_ago;
                x.push(xm);
                before = p.point[i];
                if m >= jan {
                    running += xm;
                    path.push((
                        m,
                        running,
                        running + p.lower[i] - p.point[i],
                        running + p.upper[i] - p.point[i],
                    ));
                }
            }
            path
        }
    };
    let &(_, point, lower, upper) = path.last().ok_or(too_short(values.len()))?;
    let on = match accumulation {
        Accumulation::Flow => " auf der gleitenden 12-Monats-Summe",
        Accumulation::Stock => "",
    };
    let besides = used.iter().max().map(|latest| {
        let months: Vec<String> = used.iter().map(|m| m.german_long()).collect();
        format!(
            "{} berücksichtigt, die Prognose setzt beim Stand seit {} an",
            match months.as_slice() {
                [init @ .., last] if !init.is_empty() =>
                    format!("Brüche im {} und im {last}", init.join(", im ")),
                _ => format!("Bruch im {}", months.join("")),
            },
            latest.german_long()
        )
    });
    let sentence = p.chosen.sentence_de("Monaten", on, besides.as_deref());
    Ok(YearEnd {
        point,
        lower,
        upper,
        probability: probability(point, lower, upper, target, tolerance, direction),
        method: Some(MethodNote {
            label: p.chosen.label_de(),
            sentence,
        }),
        horizon,
        path,
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
        let before = fits::fitted();
        let (_, first) = pinning(|| choice::kept(&y[..180], 12, 6));
        let between = fits::fitted();
        let (_, next) = pinning(|| choice::kept(&y[..181], 12, 5));
        // The choice evaluates the model at 24 origins (and forecasts with it from the whole
        // history when it is among the chosen); a month later 23 of those windows are the same,
        // found again: at most the newest origin and the whole history are fitted.
        assert!(
            (24..=25).contains(&first.fits.len()),
            "{}",
            first.fits.len()
        );
        assert!(between - before <= 25);
        assert!(fits::fitted() - between <= 2);
        assert_eq!(next.chosen.len(), 1);
        // Found again while pinned, without choosing anew.
        let again = choice::kept(&y[..181], 12, 5);
        assert!(Arc::ptr_eq(&again, &next.chosen[0]));
    }

    #[test]
    fn history_beyond_ten_years_does_not_change_the_fit() {
        let y = seasonal_series(216);
        let long = predict(&y, 6).unwrap();
        let short = predict(&y[216 - MAX_FIT_HISTORY..], 6).unwrap();
        assert_eq!(long, short);
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
            &[],
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
    fn a_flow_for_next_year_sums_that_year_only() {
        // A seasonal flow known to September 2022; the draft for 2023 forecasts 15 months ahead
        // and shows January to December 2023, ending at that year's sum.
        let months: Vec<(YearMonth, f64)> = YearMonth::new(2018, 1)
            .unwrap()
            .through(YearMonth::new(2022, 9).unwrap())
            .map(|m| (m, 30.0 + f64::from(m.month())))
            .collect();
        let y = year_end(
            &months,
            Accumulation::Flow,
            Direction::Higher,
            400.0,
            0.0,
            YearMonth::new(2023, 1).unwrap(),
            &[],
        )
        .unwrap();
        assert_eq!(y.horizon, 15);
        assert_eq!(y.path.len(), 12, "{:?}", y.path);
        assert_eq!(y.path[0].0, YearMonth::new(2023, 1).unwrap());
        assert!((y.point - 438.0).abs() < 1.0, "{y:?}");
        assert!((y.path[0].1 - 31.0).abs() < 1.0, "{:?}", y.path[0]);
        assert!(y.path.iter().all(|(_, p, l, u)| l <= p && p <= u));
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
            &[],
        )
        .unwrap();
        assert_eq!((y.point, y.probability, y.method), (10.0, 0.0, None));
    }

    fn months(from: YearMonth, values: &[f64]) -> Vec<(YearMonth, f64)> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| (from.plus(i as i32).unwrap(), *v))
            .collect()
    }

    #[test]
    fn a_constant_series_forecasts_its_value_with_a_zero_width_interval() {
        let from = YearMonth::new(2019, 1).unwrap();
        let y = year_end(
            &months(from, &[17_400.0; 42]),
            Accumulation::Stock,
            Direction::Lower,
            17_500.0,
            0.0,
            YearMonth::new(2022, 6).unwrap(),
            &[],
        )
        .unwrap();
        assert_eq!((y.point, y.lower, y.upper), (17_400.0, 17_400.0, 17_400.0));
        assert_eq!(y.probability, 1.0);
    }

    #[test]
    fn a_marked_break_sets_the_level_and_the_sentence_names_it() {
        // Falling by 10 a month, then 600 more from June 2022 on, falling on.
        let from = YearMonth::new(2019, 1).unwrap();
        let v: Vec<f64> = (0..44)
            .map(|t| 17_000.0 - 10.0 * f64::from(t) + if t >= 41 { 600.0 } else { 0.0 })
            .collect();
        let june = YearMonth::new(2022, 6).unwrap();
        let as_of = YearMonth::new(2022, 8).unwrap();
        let at = |breaks: &[YearMonth]| {
            year_end(
                &months(from, &v),
                Accumulation::Stock,
                Direction::Lower,
                17_000.0,
                0.0,
                as_of,
                breaks,
            )
            .unwrap()
        };
        let marked = at(&[june]);
        // August 2022 stands at 17 170; four more months of the fall by 10 a month.
        assert!((marked.point - 17_130.0).abs() < 15.0, "{marked:?}");
        let note = marked.method.unwrap().sentence;
        assert!(
            note.ends_with(
                "; Bruch im Juni 2022 berücksichtigt, die Prognose setzt beim Stand seit Juni 2022 an."
            ),
            "{note}"
        );
        assert!(!at(&[]).method.unwrap().sentence.contains("Bruch"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]

        #[test]
        fn a_series_with_a_marked_break_ignores_the_level_before_it(
            noise in prop::collection::vec(-1.0..1.0f64, 40),
            jump in -2_000.0..2_000.0f64,
            shift in -5_000.0..5_000.0f64,
            at in 14usize..38,
        ) {
            let from = YearMonth::new(2019, 1).unwrap();
            let base: Vec<f64> = noise.iter().enumerate()
                .map(|(t, e)| 10_000.0 - 5.0 * t as f64 + 40.0 * e + if t >= at { jump } else { 0.0 })
                .collect();
            let moved: Vec<f64> = base.iter().enumerate()
                .map(|(t, v)| if t < at { v + shift } else { *v })
                .collect();
            let brk = from.plus(at as i32).unwrap();
            let as_of = from.plus(39).unwrap();
            let f = |v: &[f64]| fits::afresh(|| year_end(&months(from, v), Accumulation::Stock, Direction::Lower, 9_000.0, 0.0, as_of, &[brk]).unwrap());
            let (a, b) = (f(&base), f(&moved));
            for (x, y) in [(a.point, b.point), (a.lower, b.lower), (a.upper, b.upper)] {
                prop_assert!((x - y).abs() <= 1e-6 * x.abs().max(1.0), "{x} {y}");
            }
        }

        #[test]
        fn breaks_leave_the_values_after_the_latest_one_alone(
            v in prop::collection::vec(-1e6..1e6f64, 2..40),
            b in prop::collection::vec(0usize..45, 0..4),
        ) {
            let out = level_at_breaks(&v, &b, 12);
            let latest = b.iter().copied().filter(|i| (1..v.len()).contains(i)).max().unwrap_or(0);
            prop_assert_eq!(&out[latest..], &v[latest..]);
        }
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
