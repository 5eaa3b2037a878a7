//! Monthly series of an indicator, computed from what is stored.

use std::collections::{BTreeMap, HashMap};

use zielwerk_domain::{
    Formula, Indicator, IndicatorCode, Observation, PeriodKind, ValueStatus, YearMonth,
};

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
    stored_period_series(indicator, PeriodKind::Month, observations)
}

/// Builds the stored series of `indicator` for periods of `kind` (months; a yearly series; the
/// 12-month means), keyed by each period's last month.
pub fn stored_period_series<'a>(
    indicator: &Indicator,
    kind: PeriodKind,
    observations: impl IntoIterator<Item = &'a Observation>,
) -> Series {
    let mut out = Series::new();
    // Monthly totals only: breakdowns (e.g. by household size) are classes of a total, not the
    // total; a year or a 12-month mean is not the value of its last month.
    for obs in observations
        .into_iter()
        .filter(|o| o.indicator == indicator.code && o.breakdown.is_none() && o.period == kind)
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
    a.weaker(b)
}

/// Why an indicator has no value in a month, in German. Zielwerk never fills a gap with a
/// made-up number; it says what is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    pub reason: String,
}

impl Gap {
    fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }

    fn context(self, what: &str) -> Self {
        Self::new(format!("{what}: {}", self.reason))
    }
}

/// Evaluates indicators period by period from stored series, following formulas: month by
/// month, or year by year for yearly series ([`Evaluator::yearly`]).
pub struct Evaluator<'a> {
    indicators: &'a [Indicator],
    stored: &'a SeriesSet,
    /// Months from one period to the next: 1, or 12 for yearly series (keyed by December).
    step: i32,
}

/// Formulas nest only a few levels; the guard keeps a corrupt catalogue (cycles are refused when
/// an agreement is checked) from recursing forever.
const MAX_DEPTH: u32 = 16;

impl<'a> Evaluator<'a> {
    pub fn new(indicators: &'a [Indicator], stored: &'a SeriesSet) -> Self {
        Self {
            indicators,
            stored,
            step: 1,
        }
    }

    /// An evaluator of yearly series (each keyed by its December, see
    /// [`stored_period_series`]): a change over n periods is over n years; twelve-month windows
    /// have no meaning and give no value.
    pub fn yearly(indicators: &'a [Indicator], stored: &'a SeriesSet) -> Self {
        Self {
            indicators,
            stored,
            step: PeriodKind::Year.step(),
        }
    }

    /// The value of `code` in `month`, or why there is none.
    pub fn at(&self, code: &IndicatorCode, month: YearMonth) -> Result<Point, Gap> {
        self.at_depth(code, month, 0)
    }

    fn at_depth(&self, code: &IndicatorCode, month: YearMonth, depth: u32) -> Result<Point, Gap> {
        if depth > MAX_DEPTH {
            return Err(Gap::new(format!(
                "Die Formel von {code} ist zu tief verschachtelt"
            )));
        }
        let indicator = self
            .indicators
            .iter()
            .find(|i| &i.code == code)
            .ok_or_else(|| Gap::new(format!("Die Kennzahl {code} ist nicht definiert")))?;
        let input = |c: &IndicatorCode, m: YearMonth| self.at_depth(c, m, depth + 1);
        match &indicator.formula {
            Formula::Stored | Formula::StoredRatio { .. } => self
                .stored
                .get(code)
                .and_then(|s| s.get(&month))
                .copied()
                .ok_or_else(|| {
                    Gap::new(format!(
                        "Für {code} liegt für {} kein Wert vor",
                        month.german_long()
                    ))
                }),
            Formula::Ratio {
                numerator,
                denominator,
                scale,
            } => {
                let n = input(numerator, month)?;
                let d = input(denominator, month)?;
                if d.value == 0.0 {
                    return Err(Gap::new(format!(
                        "Der Nenner {denominator} ist im {} null",
                        month.german_long()
                    )));
                }
                Ok(Point {
                    value: n.value / d.value * scale,
                    numerator: Some(n.value),
                    denominator: Some(d.value),
                    status: combine(n.status, d.status),
                })
            }
            Formula::Product { quantity, price } => {
                let q = input(quantity, month)?;
                let p = input(price, month)?;
                Ok(Point {
                    value: q.value * p.value,
                    numerator: None,
                    denominator: None,
                    status: combine(q.status, p.status),
                })
            }
            Formula::YearOverYear { base } => {
                let now = input(base, month)?;
                let earlier = month.plus(-12).ok_or_else(|| {
                    Gap::new("Der Vorjahresmonat liegt außerhalb des zulässigen Bereichs")
                })?;
                let before = input(base, earlier).map_err(|g| g.context("Vorjahresmonat fehlt"))?;
                if before.value == 0.0 {
                    return Err(Gap::new(format!(
                        "{base} ist im Vorjahresmonat {} null",
                        earlier.german_long()
                    )));
                }
                Ok(Point {
                    value: (now.value / before.value - 1.0) * 100.0,
                    numerator: Some(now.value),
                    denominator: Some(before.value),
                    status: combine(now.status, before.status),
                })
            }
            Formula::Change {
                base,
                periods,
                percent,
            } => {
                let now = input(base, month)?;
                let earlier = month
                    .plus(-i32::from(*periods) * self.step)
                    .ok_or_else(|| {
                        Gap::new("Der Vergleichszeitraum liegt außerhalb des zulässigen Bereichs")
                    })?;
                let (one, many) = if self.step == 1 {
                    ("Monat", "Monate")
                } else {
                    ("Jahr", "Jahre")
                };
                let ago = zielwerk_domain::format::counted(usize::from(*periods), one, many);
                let before = input(base, earlier)
                    .map_err(|g| g.context(&format!("Wert {ago} früher fehlt")))?;
                if *percent && before.value == 0.0 {
                    return Err(Gap::new(format!("{base} ist {ago} früher null")));
                }
                Ok(Point {
                    value: if *percent {
                        (now.value / before.value - 1.0) * 100.0
                    } else {
                        now.value - before.value
                    },
                    numerator: Some(now.value),
                    denominator: Some(before.value),
                    status: combine(now.status, before.status),
                })
            }
            Formula::Rolling12 { .. } | Formula::RollingRate { .. } if self.step != 1 => {
                Err(Gap::new(format!(
                    "Die Formel von {code} rechnet über 12 Monate und wird nur aus Monatswerten gebildet"
                )))
            }
            Formula::Rolling12 {
                numerator,
                denominator,
            } => {
                let (sum_num, sum_den, status) =
                    self.window(numerator, denominator, month, 0, depth)?;
                let mean_den = sum_den / 12.0;
                if mean_den == 0.0 {
                    return Err(Gap::new(format!(
                        "Der Durchschnitt von {denominator} über 12 Monate ist null"
                    )));
                }
                Ok(Point {
                    value: sum_num / mean_den * 100.0,
                    numerator: Some(sum_num),
                    denominator: Some(mean_den),
                    status,
                })
            }
            Formula::RollingRate {
                numerator,
                denominator,
                lag,
            } => {
                let (sum_num, sum_den, status) =
                    self.window(numerator, denominator, month, i32::from(*lag), depth)?;
                if sum_den == 0.0 {
                    return Err(Gap::new(format!(
                        "Die Summe von {denominator} über 12 Monate ist null"
                    )));
                }
                Ok(Point {
                    value: sum_num / sum_den * 100.0,
                    numerator: Some(sum_num),
                    denominator: Some(sum_den),
                    status,
                })
            }
        }
    }

    /// Σ numerator over month−11..=month and Σ denominator over the same months shifted back by
    /// `lag`; every one of the 24 inputs must be there.
    fn window(
        &self,
        numerator: &IndicatorCode,
        denominator: &IndicatorCode,
        month: YearMonth,
        lag: i32,
        depth: u32,
    ) -> Result<(f64, f64, ValueStatus), Gap> {
        let mut sum_num = 0.0;
        let mut sum_den = 0.0;
        let mut status = ValueStatus::Final;
        let outside = || Gap::new("Das 12-Monats-Fenster reicht vor den zulässigen Zeitraum");
        for back in 0..12 {
            let m = month.plus(-back).ok_or_else(outside)?;
            let md = m.plus(-lag).ok_or_else(outside)?;
            let n = self
                .at_depth(numerator, m, depth + 1)
                .map_err(|g| g.context("12-Monats-Fenster unvollständig"))?;
            let d = self
                .at_depth(denominator, md, depth + 1)
                .map_err(|g| g.context("12-Monats-Fenster unvollständig"))?;
            sum_num += n.value;
            sum_den += d.value;
            status = combine(status, combine(n.status, d.status));
        }
        Ok((sum_num, sum_den, status))
    }

    /// Every month in which `code` has a value.
    pub fn series(&self, code: &IndicatorCode) -> Series {
        self.candidate_months(code)
            .into_iter()
            .filter_map(|m| self.at(code, m).ok().map(|p| (m, p)))
            .collect()
    }

    /// The months of the stored series `code` depends on: every formula's value at t needs an
    /// input at t, so no other month can have a value.
    fn candidate_months(&self, code: &IndicatorCode) -> std::collections::BTreeSet<YearMonth> {
        let mut out = std::collections::BTreeSet::new();
        let mut stack = vec![code];
        let mut seen = std::collections::HashSet::new();
        while let Some(c) = stack.pop() {
            if !seen.insert(c) {
                continue;
            }
            if let Some(s) = self.stored.get(c) {
                out.extend(s.keys().copied());
            }
            if let Some(ind) = self.indicators.iter().find(|i| &i.code == c) {
                stack.extend(ind.formula.inputs());
            }
        }
        out
    }
}

/// Evaluates `code` for every month where its inputs allow it.
///
/// `indicators` resolves formula inputs; `stored` holds the stored series by code (see
/// [`stored_series`]). Derived points are projected as soon as one input is projected.
pub fn evaluate(code: &IndicatorCode, indicators: &[Indicator], stored: &SeriesSet) -> Series {
    Evaluator::new(indicators, stored).series(code)
}

/// One month of an indicator as the Jobcenter's own records give it, beside the official
/// figure of the same month.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OwnBesideOfficial {
    pub month: YearMonth,
    pub own: f64,
    pub official: f64,
}

impl OwnBesideOfficial {
    /// Own minus official.
    pub fn difference(&self) -> f64 {
        self.own - self.official
    }
}

/// The months where `code` can be computed both from the official values and from the values
/// „aus eigenen Daten“ the official ones replaced: the indicator from the current values (all
/// of them official in that month), beside the same indicator with each input's own value in
/// its place where there was one. `current` are the current values, `superseded` the earlier
/// revisions (only those with the status own are used). Newest month first.
pub fn own_beside_official(
    code: &IndicatorCode,
    indicators: &[Indicator],
    current: &[Observation],
    superseded: &[Observation],
) -> Vec<OwnBesideOfficial> {
    let mut official = SeriesSet::new();
    let mut own = SeriesSet::new();
    for ind in indicators.iter().filter(|i| i.formula.is_stored()) {
        let now = stored_series(ind, current);
        if now.is_empty() {
            continue;
        }
        // The latest own revision of each month (the superseded values are newest first
        // within a month, by Datenstand).
        let mut mine = now.clone();
        let earlier: Vec<&Observation> = superseded
            .iter()
            .filter(|o| o.status == ValueStatus::Own && o.indicator == ind.code)
            .collect();
        let mut latest: BTreeMap<YearMonth, &Observation> = BTreeMap::new();
        for o in earlier {
            latest
                .entry(o.month)
                .and_modify(|k| {
                    if o.datenstand > k.datenstand {
                        *k = o;
                    }
                })
                .or_insert(o);
        }
        for (m, p) in stored_series(ind, latest.values().copied()) {
            if now.get(&m).is_some_and(|c| c.status.is_official()) {
                mine.insert(m, p);
            }
        }
        official.insert(ind.code.clone(), now);
        own.insert(ind.code.clone(), mine);
    }
    let by_official = evaluate(code, indicators, &official);
    let by_own = evaluate(code, indicators, &own);
    by_official
        .iter()
        .rev()
        .filter(|(_, p)| p.status.is_official())
        .filter_map(|(m, p)| {
            let o = by_own.get(m)?;
            (o.status == ValueStatus::Own).then_some(OwnBesideOfficial {
                month: *m,
                own: o.value,
                official: p.value,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_figures_stand_beside_the_official_ones_only_where_both_exist() {
        let inds = vec![
            ind("A", Formula::Stored),
            ind("B", Formula::Stored),
            ind(
                "Q",
                Formula::Ratio {
                    numerator: "A".parse().unwrap(),
                    denominator: "B".parse().unwrap(),
                    scale: 100.0,
                },
            ),
        ];
        let obs = |c: &str, m: &str, v: f64, status, ds: &str| Observation {
            region: "t36402".parse().unwrap(),
            indicator: c.parse().unwrap(),
            month: m.parse().unwrap(),
            period: PeriodKind::Month,
            breakdown: None,
            value: Some(v),
            numerator: None,
            denominator: None,
            status,
            datenstand: ds.parse().unwrap(),
        };
        use ValueStatus::{Final, Own, Projected};
        let current = [
            obs("A", "2023-01", 30.0, Projected, "2023-05-01"),
            obs("B", "2023-01", 200.0, Final, "2023-05-01"),
            obs("A", "2023-02", 31.0, Final, "2023-05-01"),
            obs("B", "2023-02", 200.0, Final, "2023-05-01"),
            // March: only own values so far.
            obs("A", "2023-03", 33.0, Own, "2023-04-03"),
            obs("B", "2023-03", 200.0, Own, "2023-04-03"),
        ];
        let superseded = [
            obs("A", "2023-01", 28.0, Own, "2023-02-03"),
            obs("A", "2023-01", 29.0, Own, "2023-02-20"),
            obs("A", "2023-02", 30.0, Projected, "2023-04-01"),
        ];
        let rows = own_beside_official(&"Q".parse().unwrap(), &inds, &current, &superseded);
        // January: the later own value 29 beside the official 30; February had no own value;
        // March has no official one.
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0].month, "2023-01".parse().unwrap());
        assert!((rows[0].own - 14.5).abs() < 1e-12 && rows[0].official == 15.0);
        assert!((rows[0].difference() - -0.5).abs() < 1e-12);
    }
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
            comparison: None,
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
            region: "t36402".parse().unwrap(),
            period: zielwerk_domain::PeriodKind::Month,
            indicator: code("QUOTE"),
            month: m("2022-01"),
            value: None,
            numerator: Some(n),
            denominator: Some(d),
            status: ValueStatus::Final,
            datenstand: chrono::NaiveDate::from_ymd_opt(2022, 2, 1).unwrap(),
            breakdown: None,
        };
        assert!(stored_series(&indicator, &[obs(1.0, 0.0)]).is_empty());
        let s = stored_series(&indicator, &[obs(1.0, 4.0)]);
        assert_eq!(s[&m("2022-01")].value, 25.0);
    }
}
