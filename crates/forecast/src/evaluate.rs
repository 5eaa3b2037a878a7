//! The backtest of the chosen method against every candidate: from each origin of a series,
//! the method is chosen on the history before the origin only (see [`crate::choice`]) and its
//! forecast compared with what came, next to every candidate's forecast from the same origin.

use crate::choice::{self, Candidate};

/// The stated probabilities checked: "the value reaches at least t" for the thresholds t at
/// which the forecast gives these probabilities, with the standard normal quantile that puts
/// t below the point forecast (the interval's lower end is the 90 % statement).
pub const STATEMENTS: [(f64, f64); 5] = [
    (0.9, 1.281_551_565_544_600_4),
    (0.8, 0.841_621_233_572_914_3),
    (0.5, 0.0),
    (0.2, -0.841_621_233_572_914_3),
    (0.1, -1.281_551_565_544_600_4),
];

/// The backtest of one series.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesScore {
    /// Forecasts compared (origin × horizon).
    pub forecasts: usize,
    /// MASE of each candidate that forecast from every origin, over the same forecasts.
    pub mase: Vec<(Candidate, f64)>,
    /// MASE of the chosen method.
    pub chosen: f64,
    /// MASE of the chosen method scaled by the last value's in-sample error instead.
    pub chosen_vs_naive: f64,
    /// Share of actual values inside the chosen method's 80 % interval.
    pub coverage: f64,
    /// Mean width of the 80 % interval, in units of the MASE scale.
    pub width: f64,
    /// Per stated probability (see [`STATEMENTS`]): statements made, statements that came true.
    pub statements: [(usize, usize); 5],
    /// How often each candidate was chosen.
    pub chosen_counts: Vec<(Candidate, usize)>,
}

/// Backtests `y` (`period` per season) from every origin with at least `min_train` values,
/// up to `horizon` ahead.
pub fn series(y: &[f64], period: usize, horizon: usize, min_train: usize) -> Option<SeriesScore> {
    series_with(y, period, horizon, min_train, |origin| y[..origin].to_vec())
}

/// [`series`], with the history a forecast from `origin` sees given by `history(origin)` (the
/// values before the origin, with the breaks known by then taken out; see
/// [`crate::level_at_breaks`]). What came is always compared as it was.
pub fn series_with(
    y: &[f64],
    period: usize,
    horizon: usize,
    min_train: usize,
    history: impl Fn(usize) -> Vec<f64>,
) -> Option<SeriesScore> {
    let n = y.len();
    let candidates: Vec<Candidate> = Candidate::all().collect();
    let mut sums = vec![0.0; candidates.len()];
    let mut counts = vec![0usize; candidates.len()];
    let (mut chosen_sum, mut chosen_naive_sum, mut forecasts) = (0.0, 0.0, 0usize);
    let (mut inside, mut width) = (0usize, 0.0);
    let mut statements = [(0usize, 0usize); 5];
    let mut chosen_counts: Vec<(Candidate, usize)> = Vec::new();
    for origin in min_train.max(choice::MIN_TRAIN)..n {
        let seen = history(origin);
        let train = seen.as_slice();
        let scale = choice::scale(train, period);
        let naive_scale = choice::scale(train, 1);
        if scale <= 0.0 || naive_scale <= 0.0 {
            continue;
        }
        let h_max = horizon.min(n - origin);
        let Some(f) = choice::forecast(train, period, h_max) else {
            continue;
        };
        match chosen_counts
            .iter_mut()
            .find(|(c, _)| *c == f.chosen.lead())
        {
            Some((_, k)) => *k += 1,
            None => chosen_counts.push((f.chosen.lead(), 1)),
        }
        for (i, g) in choice::every_forecast(train, period, h_max)
            .into_iter()
            .enumerate()
        {
            if let Some(g) = g {
                for h in 0..h_max {
                    sums[i] += (y[origin + h] - g[h]).abs() / scale;
                    counts[i] += 1;
                }
            }
        }
        for h in 0..h_max {
            let actual = y[origin + h];
            let e = (actual - f.point[h]).abs();
            chosen_sum += e / scale;
            chosen_naive_sum += e / naive_scale;
            forecasts += 1;
            if f.lower[h] <= actual && actual <= f.upper[h] {
                inside += 1;
            }
            width += (f.upper[h] - f.lower[h]) / scale;
            let sd = (f.upper[h] - f.lower[h]) / 2.0 / 1.281_551_565_544_600_4;
            for (k, (_, z)) in STATEMENTS.iter().enumerate() {
                let threshold = f.point[h] - z * sd;
                statements[k].0 += 1;
                if actual >= threshold {
                    statements[k].1 += 1;
                }
            }
        }
    }
    if forecasts == 0 {
        return None;
    }
    let mase = candidates
        .iter()
        .enumerate()
        .filter(|(i, _)| counts[*i] == forecasts)
        .map(|(i, c)| (*c, sums[i] / forecasts as f64))
        .collect();
    chosen_counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let k = forecasts as f64;
    Some(SeriesScore {
        forecasts,
        mase,
        chosen: chosen_sum / k,
        chosen_vs_naive: chosen_naive_sum / k,
        coverage: inside as f64 / k,
        width: width / k,
        statements,
        chosen_counts,
    })
}

/// The backtest of a group of series: means over its series.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupScore {
    pub series: usize,
    pub forecasts: usize,
    /// Mean MASE per candidate, over the series every candidate forecast.
    pub mase: Vec<(Candidate, f64)>,
    pub chosen: f64,
    pub chosen_vs_naive: f64,
    /// Share of all compared values inside the 80 % interval.
    pub coverage: f64,
    pub width: f64,
    pub statements: [(usize, usize); 5],
    pub chosen_counts: Vec<(Candidate, usize)>,
}

impl GroupScore {
    /// The best single candidate other than the chosen method, by mean MASE.
    pub fn best_single(&self) -> Option<(Candidate, f64)> {
        self.mase.iter().copied().min_by(|a, b| a.1.total_cmp(&b.1))
    }

    /// The best of the candidates among `of`.
    pub fn best_of(&self, of: &[Candidate]) -> Option<(Candidate, f64)> {
        self.mase
            .iter()
            .copied()
            .filter(|(c, _)| of.contains(c))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }

    /// The share of statements with a stated probability of at least 80 % that came true.
    pub fn sure_statements(&self) -> Option<f64> {
        let (made, true_) = STATEMENTS
            .iter()
            .zip(&self.statements)
            .filter(|((p, _), _)| *p >= 0.8)
            .fold((0, 0), |(m, t), (_, (mm, tt))| (m + mm, t + tt));
        (made > 0).then(|| true_ as f64 / made as f64)
    }
}

/// Means over the scores of a group's series.
pub fn group(scores: &[SeriesScore]) -> Option<GroupScore> {
    if scores.is_empty() {
        return None;
    }
    let n = scores.len() as f64;
    let candidates: Vec<Candidate> = Candidate::all()
        .filter(|c| scores.iter().all(|s| s.mase.iter().any(|(d, _)| d == c)))
        .collect();
    let mase = candidates
        .iter()
        .map(|c| {
            let sum: f64 = scores
                .iter()
                .filter_map(|s| s.mase.iter().find(|(d, _)| d == c).map(|(_, m)| m))
                .sum();
            (*c, sum / n)
        })
        .collect();
    let forecasts: usize = scores.iter().map(|s| s.forecasts).sum();
    let weighted = |f: fn(&SeriesScore) -> f64| {
        scores
            .iter()
            .map(|s| f(s) * s.forecasts as f64)
            .sum::<f64>()
            / forecasts as f64
    };
    let mut statements = [(0, 0); 5];
    let mut chosen_counts: Vec<(Candidate, usize)> = Vec::new();
    for s in scores {
        for (k, (m, t)) in s.statements.iter().enumerate() {
            statements[k].0 += m;
            statements[k].1 += t;
        }
        for (c, k) in &s.chosen_counts {
            match chosen_counts.iter_mut().find(|(d, _)| d == c) {
                Some((_, j)) => *j += k,
                None => chosen_counts.push((*c, *k)),
            }
        }
    }
    chosen_counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Some(GroupScore {
        series: scores.len(),
        forecasts,
        mase,
        chosen: scores.iter().map(|s| s.chosen).sum::<f64>() / n,
        chosen_vs_naive: scores.iter().map(|s| s.chosen_vs_naive).sum::<f64>() / n,
        coverage: weighted(|s| s.coverage),
        width: weighted(|s| s.width),
        statements,
        chosen_counts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_random_walk_is_scored_against_every_candidate() {
        let mut v = 100.0;
        let y: Vec<f64> = (0..40u32)
            .map(|t| {
                v += f64::from((t * 7919) % 11) - 5.0;
                v
            })
            .collect();
        let s = series(&y, 1, 3, 10).unwrap();
        assert!(s.forecasts > 0);
        assert!(
            s.mase
                .iter()
                .any(|(c, _)| *c == Candidate::Rule(crate::rules::Rule::Naive))
        );
        assert!((0.0..=1.0).contains(&s.coverage));
        // A statement of 90 % is made as often as one of 10 %, and comes true at least as often.
        assert_eq!(s.statements[0].0, s.statements[4].0);
        assert!(s.statements[0].1 >= s.statements[4].1);
        let g = group(&[s.clone(), s]).unwrap();
        assert_eq!(g.series, 2);
        assert!(g.best_single().is_some());
    }
}
