//! Monthly series of an indicator, computed from what is stored.

use std::collections::{BTreeMap, HashMap};

use zielwerk_domain::{Formula, Indicator, IndicatorCode, Observation, ValueStatus, YearMonth};

/// One month of an indicator: the value and, where it is a ratio, its components.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub value: f64,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub status: ValueStatus,
}

impl Point {
    pub fn plain(value: f64, status: ValueStatus) -> Self {
        Self {
            value,
            numerator: None,
            denominator: None,
            status,
        }
    }
}

pub type Series = BTreeMap<YearMonth, Point>;

/// The stored series of several indicators of one Jobcenter, by code.
pub type SeriesSet = HashMap<IndicatorCode, Series>;

/// Builds the stored series of `indicator` from its current observations. Observations of other
/// indicators are ignored. A stored ratio whose denominator is zero or missing yields no point:
/// a made-up number would be worse than a gap.
pub fn stored_series<'a>(
    indicator: &Indicator,
    observations: impl IntoIterator<Item = &'a Observation>,
) -> Series {
    let mut out = Series::new();
    for obs in observations
        .into_iter()
        .filter(|o| o.indicator == indicator.code)
    {
        let point = match indicator.formula {
            Formula::StoredRatio { scale } => match (obs.numerator, obs.denominator) {
                (Some(n), Some(d)) if d != 0.0 => Some(Point {
                    value: n / d * scale,
                    numerator: Some(n),
                    denominator: Some(d),
                    status: obs.status,
                }),
                _ => None,
            },
            _ => obs.value.map(|v| Point {
                value: v,
                numerator: obs.numerator,
                denominator: obs.denominator,
                status: obs.status,
            }),
        };
        if let Some(p) = point {
            out.insert(obs.month, p);
        }
    }
    out
}

fn combine(a: ValueStatus, b: ValueStatus) -> ValueStatus {
    if a == ValueStatus::Projected || b == ValueStatus::Projected {
        ValueStatus::Projected
    } else {
        ValueStatus::Final
    }
}

/// Evaluates `code` for every month where its inputs allow it.
///
/// `indicators` resolves formula inputs; `stored` holds the stored series by code (see
/// [`stored_series`]). Derived points are projected as soon as one input is projected.
pub fn evaluate(code: &IndicatorCode, indicators: &[Indicator], stored: &SeriesSet) -> Series {
    let mut depth = 0;
    evaluate_inner(code, indicators, stored, &mut depth)
}

fn evaluate_inner(
    code: &IndicatorCode,
    indicators: &[Indicator],
    stored: &SeriesSet,
    depth: &mut u32,
) -> Series {
    // Cycles are refused when an agreement is checked; the depth guard only keeps a corrupt
    // catalogue from recursing forever.
    *depth += 1;
    if *depth > 32 {
        return Series::new();
    }
    let Some(indicator) = indicators.iter().find(|i| &i.code == code) else {
        return Series::new();
    };
    let result = match &indicator.formula {
        Formula::Stored | Formula::StoredRatio { .. } => {
            stored.get(code).cloned().unwrap_or_default()
        }
        Formula::Ratio {
            numerator,
            denominator,
            scale,
        } => {
            let num = evaluate_inner(numerator, indicators, stored, depth);
            let den = evaluate_inner(denominator, indicators, stored, depth);
            num.iter()
                .filter_map(|(m, n)| {
                    let d = den.get(m)?;
                    (d.value != 0.0).then(|| {
                        (
                            *m,
                            Point {
                                value: n.value / d.value * scale,
                                numerator: Some(n.value),
                                denominator: Some(d.value),
                                status: combine(n.status, d.status),
                            },
                        )
                    })
                })
                .collect()
        }
        Formula::YearOverYear { base } => {
            let base = evaluate_inner(base, indicators, stored, depth);
            base.iter()
                .filter_map(|(m, now)| {
                    let before = base.get(&m.plus(-12)?)?;
                    (before.value != 0.0).then(|| {
                        (
                            *m,
                            Point {
                                value: (now.value / before.value - 1.0) * 100.0,
                                numerator: Some(now.value),
                                denominator: Some(before.value),
                                status: combine(now.status, before.status),
                            },
                        )
                    })
                })
                .collect()
        }
        Formula::Rolling12 {
            numerator,
            denominator,
        } => {
            let num = evaluate_inner(numerator, indicators, stored, depth);
            let den = evaluate_inner(denominator, indicators, stored, depth);
            num.keys()
                .filter_map(|m| rolling12(*m, &num, &den).map(|p| (*m, p)))
                .collect()
        }
    };
    *depth -= 1;
    result
}

/// Σ numerator over t−11..=t divided by the mean of the denominator over the same months, in
/// percent. All 24 inputs must be present.
fn rolling12(month: YearMonth, num: &Series, den: &Series) -> Option<Point> {
    let mut sum_num = 0.0;
    let mut sum_den = 0.0;
    let mut status = ValueStatus::Final;
    for back in 0..12 {
        let m = month.plus(-back)?;
        let n = num.get(&m)?;
        let d = den.get(&m)?;
        sum_num += n.value;
        sum_den += d.value;
        status = combine(status, combine(n.status, d.status));
    }
    let mean_den = sum_den / 12.0;
    (mean_den != 0.0).then_some(Point {
        value: sum_num / mean_den * 100.0,
        numerator: Some(sum_num),
        denominator: Some(mean_den),
        status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use zielwerk_domain::{Accumulation, Direction, Unit};

    fn ind(code: &str, formula: Formula) -> Indicator {
        Indicator {
            code: code.parse().unwrap(),
            name: code.into(),
            description: String::new(),
            unit: Unit::Count,
            direction: Direction::Lower,
            accumulation: Accumulation::Stock,
            formula,
            numerator_label: None,
            denominator_label: None,
        }
    }

    fn m(s: &str) -> YearMonth {
        s.parse().unwrap()
    }

    fn series(start: &str, values: &[f64]) -> Series {
        let start = m(start);
        values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                (
                    start.plus(i as i32).unwrap(),
                    Point::plain(*v, ValueStatus::Final),
                )
            })
            .collect()
    }

    fn code(s: &str) -> IndicatorCode {
        s.parse().unwrap()
    }

    #[test]
    fn ratio_of_two_indicators_keeps_components() {
        let inds = vec![
            ind("KDU", Formula::Stored),
            ind("BG", Formula::Stored),
            ind(
                "KDU_BG",
                Formula::Ratio {
                    numerator: code("KDU"),
                    denominator: code("BG"),
                    scale: 1.0,
                },
            ),
        ];
        let mut stored = SeriesSet::new();
        stored.insert(code("KDU"), series("2022-01", &[1_000_000.0, 990_000.0]));
        stored.insert(code("BG"), series("2022-01", &[1_000.0, 0.0]));
        let s = evaluate(&code("KDU_BG"), &inds, &stored);
        assert_eq!(s.len(), 1, "zero denominator gives no value");
        let p = s[&m("2022-01")];
        assert_eq!(p.value, 1000.0);
        assert_eq!(
            (p.numerator, p.denominator),
            (Some(1_000_000.0), Some(1_000.0))
        );
    }

    #[test]
    fn year_over_year_needs_the_month_a_year_earlier() {
        let inds = vec![
            ind("LZB", Formula::Stored),
            ind("K3", Formula::YearOverYear { base: code("LZB") }),
        ];
        let mut stored = SeriesSet::new();
        // 2021-01 .. 2022-02: 14 months.
        let mut values = vec![100.0; 12];
        values.extend([95.0, 110.0]);
        stored.insert(code("LZB"), series("2021-01", &values));
        let s = evaluate(&code("K3"), &inds, &stored);
        assert_eq!(
            s.keys().copied().collect::<Vec<_>>(),
            vec![m("2022-01"), m("2022-02")]
        );
        assert!((s[&m("2022-01")].value - -5.0).abs() < 1e-12);
        assert!((s[&m("2022-02")].value - 10.0).abs() < 1e-12);
    }

    #[test]
    fn rolling12_divides_sum_by_mean_stock_across_a_year_boundary() {
        let inds = vec![
            ind("INT", Formula::Stored),
            ind("ELB", Formula::Stored),
            ind(
                "K2",
                Formula::Rolling12 {
                    numerator: code("INT"),
                    denominator: code("ELB"),
                },
            ),
        ];
        let mut stored = SeriesSet::new();
        // 2021-03 .. 2022-03 (13 months); integrations 10 per month; ELB 1000, then 1240 in 2022-03.
        stored.insert(code("INT"), series("2021-03", &[10.0; 13]));
        let mut elb = vec![1000.0; 12];
        elb.push(1240.0);
        stored.insert(code("ELB"), series("2021-03", &elb));
        let s = evaluate(&code("K2"), &inds, &stored);
        // First full window ends 2022-02: 120 / 1000 = 12 %.
        assert_eq!(s.keys().next(), Some(&m("2022-02")));
        assert!((s[&m("2022-02")].value - 12.0).abs() < 1e-12);
        // Window 2021-04..2022-03: 120 / ((11·1000 + 1240)/12 = 1020) = 11.7647… %
        let p = s[&m("2022-03")];
        assert!((p.value - 120.0 / 1020.0 * 100.0).abs() < 1e-9);
        assert_eq!(p.numerator, Some(120.0));
        assert_eq!(p.denominator, Some(1020.0));
    }

    #[test]
    fn stored_ratio_with_zero_denominator_is_no_value() {
        let indicator = ind("QUOTE", Formula::StoredRatio { scale: 100.0 });
        let obs = |n, d| Observation {
            jobcenter: "t36402".parse().unwrap(),
            indicator: code("QUOTE"),
            month: m("2022-01"),
            value: None,
            numerator: Some(n),
            denominator: Some(d),
            status: ValueStatus::Final,
            datenstand: chrono::NaiveDate::from_ymd_opt(2022, 2, 1).unwrap(),
        };
        assert!(stored_series(&indicator, &[obs(1.0, 0.0)]).is_empty());
        let s = stored_series(&indicator, &[obs(1.0, 4.0)]);
        assert_eq!(s[&m("2022-01")].value, 25.0);
    }
}
