//! Target proposals for an agreement being negotiated: values the goal's year-end forecast
//! reaches with a stated probability, and the monthly trajectory a chosen year-end target
//! implies. Nothing here sets a target; a person chooses one.
//!
//! The forecast's distribution is the one [`crate::probability`] states on the goal page
//! (normal, its central 80 % the interval), so a proposal's probability is exactly what the goal
//! page will say for that target once it is chosen.

use std::collections::BTreeMap;

use zielwerk_domain::{Accumulation, Direction, YearMonth};

use crate::{YearEnd, Z80, probability};

/// The probabilities proposals are made for, most likely first.
pub const LEVELS: [f64; 3] = [0.8, 0.5, 0.2];

/// A proposed target value and the probability of reaching it under the forecast.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Proposal {
    pub value: f64,
    /// 0 to 1: the forecast's probability for `value` (after rounding), not the level asked for.
    pub probability: f64,
}

/// The standard normal quantile: `phi(x) = p`, by bisection (exact to 1e-12).
fn normal_quantile(p: f64) -> f64 {
    let (mut lo, mut hi) = (-12.0_f64, 12.0_f64);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if crate::phi(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The target reached with probability `p` under a forecast `point` with 80 % interval
/// `lower`–`upper`: for a goal to lower the value the one the value stays at or below with
/// probability `p`, to raise it the one it reaches at least. `None` for a goal without direction
/// (a corridor is not one number).
pub fn value_for(point: f64, lower: f64, upper: f64, direction: Direction, p: f64) -> Option<f64> {
    let sd = (upper - lower) / (2.0 * Z80);
    let z = normal_quantile(p.clamp(1e-9, 1.0 - 1e-9));
    match direction {
        Direction::Lower => Some(point + sd * z),
        Direction::Higher => Some(point - sd * z),
        Direction::Neutral => None,
    }
}

/// The rounding step of proposals: a power of ten near a quarter of the interval's width, so
/// that the three proposals differ and read like numbers people negotiate (17.600 BG, 712 €).
pub fn step(lower: f64, upper: f64) -> Option<f64> {
    let width = upper - lower;
    (width > 0.0 && width.is_finite()).then(|| 10f64.powf((width / 4.0).log10().floor()))
}

fn round_to(v: f64, step: f64) -> f64 {
    let r = (v / step).round() * step;
    // Clean the binary noise of a decimal step (0.1 × 3).
    let decimals = (-step.log10()).ceil().max(0.0) as i32;
    let f = 10f64.powi(decimals);
    (r * f).round() / f
}

/// The proposals for a year-end forecast: for each of [`LEVELS`] the value reached with about
/// that probability, rounded to [`step`] (at least `min_step`, the precision the value is shown
/// at), with the exact probability of the rounded value.
/// Values that round alike are proposed once; a forecast without spread proposes its value
/// (reached for certain). Empty for a goal without direction.
pub fn proposals(y: &YearEnd, direction: Direction, min_step: f64) -> Vec<Proposal> {
    if direction == Direction::Neutral {
        return Vec::new();
    }
    let Some(step) = step(y.lower, y.upper).map(|s| s.max(min_step)) else {
        return vec![Proposal {
            value: y.point,
            probability: probability(y.point, y.lower, y.upper, y.point, 0.0, direction),
        }];
    };
    let mut out: Vec<Proposal> = Vec::new();
    for p in LEVELS {
        let Some(v) = value_for(y.point, y.lower, y.upper, direction, p) else {
            continue;
        };
        let value = round_to(v, step);
        if out.iter().any(|o| o.value == value) {
            continue;
        }
        out.push(Proposal {
            value,
            probability: probability(y.point, y.lower, y.upper, value, 0.0, direction),
        });
    }
    out
}

/// A monthly trajectory implied by a year-end target.
#[derive(Debug, Clone, PartialEq)]
pub struct Trajectory {
    /// January to December of the year.
    pub values: BTreeMap<YearMonth, f64>,
    /// The complete years whose pattern the months follow (empty: evenly, no complete year).
    pub pattern_years: Vec<i32>,
    /// For a stock: the month and value the trajectory starts from (last December, or the last
    /// month before the year when December is not yet known).
    pub start: Option<(YearMonth, f64)>,
}

/// How many complete years at most the seasonal pattern is averaged over.
pub const PATTERN_YEARS: usize = 3;

/// The monthly trajectory to `target` in `year` with the seasonal pattern of `history` (monthly
/// values, any order; months of `year` itself are not used):
///
/// - a flow (monthly amounts whose sum is the year's value): each month its average share of the
///   year's sum in the latest complete years, so that the twelve amounts add up to `target`;
/// - a stock (a value at each month end): a straight line from the start (last December) to
///   `target` in December, plus each month's average deviation from such a line in the latest
///   complete years (a December-to-December line through each year), so that December is
///   `target`.
///
/// Values are rounded to `decimals`; the rounding remainder goes to December (a flow's sum and a
/// stock's December are `target` exactly, at that precision). `None` for a stock without any
/// value before the year.
pub fn implied_trajectory(
    history: &[(YearMonth, f64)],
    accumulation: Accumulation,
    year: i32,
    target: f64,
    decimals: u32,
) -> Option<Trajectory> {
    let (jan, dec) = YearMonth::year_bounds(year).ok()?;
    let known: BTreeMap<YearMonth, f64> = history
        .iter()
        .copied()
        .filter(|(m, v)| *m < jan && v.is_finite())
        .collect();
    let month = |y: i32, k: u32| YearMonth::new(y, k).ok();
    let value = |y: i32, k: u32| month(y, k).and_then(|m| known.get(&m).copied());
    let complete = |y: i32, with_december_before: bool| {
        (1..=12).all(|k| value(y, k).is_some())
            && (!with_december_before || value(y - 1, 12).is_some())
    };
    let first_year = known.keys().next().map(|m| m.year()).unwrap_or(year);
    let years: Vec<i32> = (first_year..year)
        .rev()
        .filter(|&y| complete(y, accumulation == Accumulation::Stock))
        .filter(|&y| {
            accumulation == Accumulation::Stock
                || (1..=12).filter_map(|k| value(y, k)).sum::<f64>() > 0.0
        })
        .take(PATTERN_YEARS)
        .collect();
    let scale = 10f64.powi(decimals as i32);
    let round = |v: f64| (v * scale).round() / scale;
    let mut values = BTreeMap::new();
    let start;
    match accumulation {
        Accumulation::Flow => {
            start = None;
            let mut shares = [0.0; 12];
            for &y in &years {
                let sum: f64 = (1..=12).filter_map(|k| value(y, k)).sum();
                for (k, share) in shares.iter_mut().enumerate() {
                    *share += value(y, k as u32 + 1).unwrap_or(0.0) / sum;
                }
            }
            let total: f64 = shares.iter().sum();
            if years.is_empty() || total <= 0.0 {
                shares = [1.0 / 12.0; 12];
            } else {
                shares.iter_mut().for_each(|s| *s /= total);
            }
            let mut so_far = 0.0;
            for (k, share) in shares.iter().enumerate().take(11) {
                let v = round(target * share);
                so_far += v;
                values.insert(month(year, k as u32 + 1)?, v);
            }
            values.insert(dec, round(round(target) - so_far));
        }
        Accumulation::Stock => {
            let (from, v0) = known.range(..jan).next_back().map(|(m, v)| (*m, *v))?;
            start = Some((from, v0));
            let mut deviation = [0.0; 12];
            for &y in &years {
                let (d0, d1) = (value(y - 1, 12)?, value(y, 12)?);
                for (k, d) in deviation.iter_mut().enumerate() {
                    let line = d0 + (d1 - d0) * (k as f64 + 1.0) / 12.0;
                    *d += (value(y, k as u32 + 1)? - line) / years.len() as f64;
                }
            }
            let span = f64::from(from.months_until(dec));
            for (k, d) in deviation.iter().enumerate() {
                let m = month(year, k as u32 + 1)?;
                let line = v0 + (target - v0) * f64::from(from.months_until(m)) / span;
                values.insert(m, round(if m == dec { target } else { line + d }));
            }
        }
    }
    Some(Trajectory {
        values,
        pattern_years: {
            let mut y = years;
            y.sort_unstable();
            y
        },
        start,
    })
}

/// One held-back year of [`backtest`]: the proposals made from the values before it, and what came.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldBack {
    pub year: i32,
    pub proposals: Vec<Proposal>,
    /// December's value (stocks) or the year's sum (flows).
    pub actual: f64,
}

impl HeldBack {
    /// Whether the proposal was reached by what came (on the better side, or equal).
    pub fn reached(&self, p: &Proposal, direction: Direction) -> bool {
        match direction {
            Direction::Lower => self.actual <= p.value,
            _ => self.actual >= p.value,
        }
    }
}

/// The fewest years of history before a held-back year.
pub const BACKTEST_MIN_YEARS: usize = 1;

/// Proposals tested on held-back years: for each complete year of `series` with at least
/// [`BACKTEST_MIN_YEARS`] years of values before it, the proposals are made as the editor makes
/// them for next year's agreement (the year-end forecast from the values up to December before,
/// the breaks known by then) and set against the year's outcome.
pub fn backtest(
    series: &[(YearMonth, f64)],
    accumulation: Accumulation,
    direction: Direction,
    breaks: &[YearMonth],
    min_step: f64,
) -> Vec<HeldBack> {
    let by_month: BTreeMap<YearMonth, f64> = series.iter().copied().collect();
    let Some(first) = by_month.keys().next().copied() else {
        return Vec::new();
    };
    let years: std::collections::BTreeSet<i32> = by_month.keys().map(|m| m.year()).collect();
    let mut out = Vec::new();
    for &year in &years {
        let Ok((jan, dec)) = YearMonth::year_bounds(year) else {
            continue;
        };
        if first.months_until(jan) < (BACKTEST_MIN_YEARS * 12) as i32 {
            continue;
        }
        let actual = match accumulation {
            Accumulation::Stock => by_month.get(&dec).copied(),
            Accumulation::Flow => jan.through(dec).map(|m| by_month.get(&m)).sum(),
        };
        let Some(actual) = actual else { continue };
        let before: Vec<(YearMonth, f64)> = by_month.range(..jan).map(|(m, v)| (*m, *v)).collect();
        let known: Vec<YearMonth> = breaks.iter().copied().filter(|b| *b < jan).collect();
        let Ok(y) = crate::year_end(&before, accumulation, direction, 0.0, 0.0, jan, &known) else {
            continue;
        };
        if y.method.is_none() {
            continue;
        }
        out.push(HeldBack {
            year,
            proposals: proposals(&y, direction, min_step),
            actual,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn year_end(point: f64, lower: f64, upper: f64) -> YearEnd {
        YearEnd {
            point,
            lower,
            upper,
            probability: 0.0,
            method: None,
            horizon: 3,
            path: Vec::new(),
        }
    }

    #[test]
    fn proposals_for_a_falling_stock_read_like_negotiated_numbers() {
        // BG around 17.400 with an 80 % interval of ±400.
        let y = year_end(17_400.0, 17_000.0, 17_800.0);
        let p = proposals(&y, Direction::Lower, 1.0);
        let values: Vec<f64> = p.iter().map(|p| p.value).collect();
        assert_eq!(values, [17_700.0, 17_400.0, 17_100.0]);
        // Lower is better: the higher target is the likelier one.
        assert!(p[0].probability > 0.75 && p[0].probability < 0.85, "{p:?}");
        assert!((p[1].probability - 0.5).abs() < 1e-9);
        let up = proposals(&y, Direction::Higher, 1.0);
        assert_eq!(up[0].value, 17_100.0, "{up:?}");
        assert!(proposals(&y, Direction::Neutral, 1.0).is_empty());
    }

    #[test]
    fn a_forecast_without_spread_proposes_its_value_for_certain() {
        let p = proposals(&year_end(712.0, 712.0, 712.0), Direction::Lower, 0.01);
        assert_eq!(
            p,
            [Proposal {
                value: 712.0,
                probability: 1.0
            }]
        );
    }

    proptest! {
        /// The stated probability of each proposed value is the forecast distribution's
        /// probability for it, the one the goal page states once it is the target.
        #[test]
        fn the_stated_probability_is_the_forecasts(
            point in -1e5f64..1e5,
            half in 0.0f64..1e4,
            skew in -0.5f64..0.5,
            lower_is_better in any::<bool>(),
        ) {
            let direction = if lower_is_better { Direction::Lower } else { Direction::Higher };
            let (lower, upper) = (point - half * (1.0 + skew), point + half * (1.0 - skew));
            let mid = 0.5 * (lower + upper);
            let y = year_end(mid, lower, upper);
            let p = proposals(&y, direction, 0.01);
            prop_assert!(!p.is_empty());
            for q in &p {
                let stated = probability(mid, lower, upper, q.value, 0.0, direction);
                prop_assert_eq!(q.probability, stated);
            }
            // Most likely first, never the same value twice.
            for w in p.windows(2) {
                prop_assert!(w[0].probability >= w[1].probability);
                prop_assert!(w[0].value != w[1].value);
            }
            // Before rounding, the level's value has exactly the level's probability.
            if half > 1e-6 {
                for level in LEVELS {
                    let v = value_for(mid, lower, upper, direction, level).unwrap();
                    let back = probability(mid, lower, upper, v, 0.0, direction);
                    prop_assert!((back - level).abs() < 1e-6, "{} {}", back, level);
                }
            }
        }

        /// A flow's trajectory adds up to its target; a stock's ends at it.
        #[test]
        fn trajectories_meet_their_target(
            base in 1.0f64..1e4,
            amplitude in 0.0f64..0.5,
            target in 0.0f64..1e5,
            years in 0usize..5,
        ) {
            let from = YearMonth::new(2022 - years as i32, 1).unwrap();
            let history: Vec<(YearMonth, f64)> = (0..12 * years + 6)
                .map(|i| {
                    let m = from.plus(i as i32 - 6).unwrap();
                    (m, base * (1.0 + amplitude * (f64::from(m.month()) - 6.5) / 6.0))
                })
                .collect();
            let flow = implied_trajectory(&history, Accumulation::Flow, 2023, target, 0).unwrap();
            prop_assert_eq!(flow.values.len(), 12);
            prop_assert_eq!(flow.values.values().sum::<f64>(), target.round());
            let stock = implied_trajectory(&history, Accumulation::Stock, 2023, target, 2).unwrap();
            prop_assert_eq!(stock.values.len(), 12);
            let dec = YearMonth::new(2023, 12).unwrap();
            prop_assert_eq!(stock.values[&dec], (target * 100.0).round() / 100.0);
        }
    }

    #[test]
    fn a_flow_follows_the_months_of_its_own_history() {
        // Two complete years with twice as much in the second half-year, and a third half year.
        let from = YearMonth::new(2021, 1).unwrap();
        let history: Vec<(YearMonth, f64)> = (0..24)
            .map(|i| {
                let m = from.plus(i).unwrap();
                (m, if m.month() > 6 { 20.0 } else { 10.0 })
            })
            .collect();
        let t = implied_trajectory(&history, Accumulation::Flow, 2023, 360.0, 0).unwrap();
        assert_eq!(t.pattern_years, [2021, 2022]);
        let v: Vec<f64> = t.values.values().copied().collect();
        assert_eq!(
            v,
            [
                20.0, 20.0, 20.0, 20.0, 20.0, 20.0, 40.0, 40.0, 40.0, 40.0, 40.0, 40.0
            ]
        );
        // Without a complete year: evenly.
        let t = implied_trajectory(&history[..10], Accumulation::Flow, 2023, 120.0, 0).unwrap();
        assert!(t.pattern_years.is_empty());
        assert!(t.values.values().all(|v| *v == 10.0));
    }

    #[test]
    fn a_stock_runs_from_last_december_with_its_seasonal_swing() {
        // Each year falls by 120 from December to December, with a summer bump of +30 in July.
        let mut history = Vec::new();
        let mut m = YearMonth::new(2019, 12).unwrap();
        let mut dec_value = 1_000.0;
        history.push((m, dec_value));
        for _ in 0..36 {
            m = m.next().unwrap();
            let k = f64::from(m.month());
            let line = dec_value - 120.0 * k / 12.0;
            history.push((m, line + if m.month() == 7 { 30.0 } else { 0.0 }));
            if m.month() == 12 {
                dec_value = line;
            }
        }
        // Last December: 640. Target 580: a line of −5 a month, July +30.
        let t = implied_trajectory(&history, Accumulation::Stock, 2023, 580.0, 0).unwrap();
        assert_eq!(t.start, Some((YearMonth::new(2022, 12).unwrap(), 640.0)));
        assert_eq!(t.pattern_years, [2020, 2021, 2022]);
        let at = |k| t.values[&YearMonth::new(2023, k).unwrap()];
        assert_eq!(at(1), 635.0);
        assert_eq!(at(6), 610.0);
        assert_eq!(at(7), 635.0);
        assert_eq!(at(12), 580.0);
        assert!(implied_trajectory(&[], Accumulation::Stock, 2023, 1.0, 0).is_none());
    }

    #[test]
    fn held_back_years_are_forecast_from_the_december_before() {
        // A steady fall of 10 a month with a little wobble: each year's proposals come from the
        // years before it only, and the 50 % proposal sits near what came.
        let start: YearMonth = "2015-01".parse().unwrap();
        let series: Vec<(YearMonth, f64)> = (0..96)
            .map(|i| {
                (
                    start.plus(i).unwrap(),
                    2000.0 - 10.0 * i as f64 + [3.0, -2.0, 1.0][i as usize % 3],
                )
            })
            .collect();
        let held = backtest(&series, Accumulation::Stock, Direction::Lower, &[], 1.0);
        let years: Vec<i32> = held.iter().map(|h| h.year).collect();
        assert_eq!(years, [2016, 2017, 2018, 2019, 2020, 2021, 2022]);
        for h in &held {
            assert_eq!(
                h.actual,
                series
                    .iter()
                    .find(|(m, _)| *m == YearMonth::new(h.year, 12).unwrap())
                    .unwrap()
                    .1
            );
            let values: Vec<f64> = h.proposals.iter().map(|p| p.value).collect();
            // Lower is better: the likelier proposal is the higher value.
            assert!(values.windows(2).all(|w| w[0] > w[1]), "{values:?}");
            let median = h
                .proposals
                .iter()
                .find(|p| (p.probability - 0.5).abs() < 0.15)
                .unwrap();
            assert!(
                (median.value - h.actual).abs() < 40.0,
                "{} {:?}",
                h.actual,
                h.proposals
            );
            assert!(
                h.reached(&h.proposals[0], Direction::Lower) || h.actual > h.proposals[0].value
            );
        }
        // A flow is judged by the year's sum, and needs every month of it (2019); one year of
        // months before is a single 12-month sum, too short to forecast from (2016).
        let mut flow: Vec<(YearMonth, f64)> = (0..60)
            .map(|i| (start.plus(i).unwrap(), 10.0 + (i % 2) as f64))
            .collect();
        flow.retain(|(m, _)| *m != YearMonth::new(2019, 5).unwrap());
        let held = backtest(&flow, Accumulation::Flow, Direction::Higher, &[], 1.0);
        assert_eq!(
            held.iter().map(|h| (h.year, h.actual)).collect::<Vec<_>>(),
            [(2017, 126.0), (2018, 126.0)]
        );
    }
}
