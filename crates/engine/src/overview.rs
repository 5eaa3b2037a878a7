//! The state of a whole agreement at a reporting month: every goal with its series, target path
//! and assessment. Pages and reports render this; they compute nothing themselves.

use zielwerk_domain::{
    Accumulation, Agreement, Breakdown, Formula, Goal, Indicator, IndicatorCode, Observation,
    Target, YearMonth,
};

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::decomposition::{Cell, Decomposition, decompose, decompose_total};
use crate::series::{Series, SeriesSet, evaluate, stored_series};
use crate::status::{Assessment, assess, target_path};

/// One goal, assessed.
#[derive(Debug, Clone)]
pub struct GoalState<'a> {
    pub goal: &'a Goal,
    pub indicator: &'a Indicator,
    /// The indicator's monthly values (all months available), evaluated once per [`Prepared`].
    pub series: Arc<Series>,
    /// The target to date for each month of the agreement year (cumulative for flows).
    pub target_path: Vec<(YearMonth, f64)>,
    pub assessment: Assessment,
    /// Months at which the indicator's series breaks (marked in the agreement), oldest first:
    /// its forecast takes the level from the latest one.
    pub breaks: Vec<YearMonth>,
}

impl GoalState<'_> {
    /// The values the chart and table show for the agreement year: monthly values for a stock,
    /// the running sum since January for a flow.
    pub fn year_to_date(&self, year: i32) -> Vec<(YearMonth, f64)> {
        let Ok((jan, dec)) = YearMonth::year_bounds(year) else {
            return Vec::new();
        };
        let mut sum = 0.0;
        self.series
            .range(jan..=dec)
            .map(|(m, p)| match self.indicator.accumulation {
                Accumulation::Stock => (*m, p.value),
                Accumulation::Flow => {
                    sum += p.value;
                    (*m, sum)
                }
            })
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct AgreementState<'a> {
    pub agreement: &'a Agreement,
    /// The reporting month the statuses refer to.
    pub as_of: YearMonth,
    /// Goals in the agreement's order.
    pub goals: Vec<GoalState<'a>>,
    /// The stored series of the agreement's indicators, for further computations.
    stored: Arc<SeriesSet>,
    /// Stored values by household size: indicator → month → class → value.
    households: Arc<Households>,
}

/// Stored values by household size: indicator → month → class → value.
type Households = HashMap<IndicatorCode, BTreeMap<YearMonth, BTreeMap<String, f64>>>;

/// What an assessment needs that does not depend on the reporting month: every stored series,
/// each goal's evaluated series and target path, the figures by household size. Evaluated once
/// for an agreement's data, it gives the state at any month ([`Prepared::at`]) without evaluating
/// a formula again.
#[derive(Debug, Clone)]
pub struct Prepared {
    key: zielwerk_domain::AgreementKey,
    stored: Arc<SeriesSet>,
    /// By goal, in the agreement's order; goals whose indicator is missing are left out.
    goals: Vec<PreparedGoal>,
    households: Arc<Households>,
}

/// A goal's index in its agreement, its evaluated series and its target path.
type PreparedGoal = (usize, Arc<Series>, Vec<(YearMonth, f64)>);

/// Evaluates everything of `agreement`'s assessment that does not depend on the reporting month.
pub fn prepare(agreement: &Agreement, observations: &[Observation]) -> Prepared {
    let stored: SeriesSet = agreement
        .indicators
        .iter()
        .filter(|i| i.formula.is_stored())
        .map(|i| (i.code.clone(), stored_series(i, observations)))
        .collect();
    let goals = agreement
        .goals
        .iter()
        .enumerate()
        .filter_map(|(index, goal)| {
            let indicator = agreement.indicator(&goal.indicator)?;
            let series = evaluate(&goal.indicator, &agreement.indicators, &stored);
            let path = match goal.target {
                Target::Milestone { .. } => Vec::new(),
                _ => target_path(goal, indicator, &series, agreement.year),
            };
            Some((index, Arc::new(series), path))
        })
        .collect();
    let mut households = Households::new();
    for o in observations {
        if let (Some(b), Some(v)) = (&o.breakdown, o.value)
            && b.dimension == Breakdown::HOUSEHOLD_SIZE
        {
            households
                .entry(o.indicator.clone())
                .or_default()
                .entry(o.month)
                .or_default()
                .insert(b.class.clone(), v);
        }
    }
    Prepared {
        key: agreement.key(),
        stored: Arc::new(stored),
        goals,
        households: Arc::new(households),
    }
}

impl Prepared {
    /// The state of `agreement` (the one this was prepared from) at the reporting month `as_of`.
    pub fn at<'a>(&self, agreement: &'a Agreement, as_of: YearMonth) -> AgreementState<'a> {
        debug_assert_eq!(agreement.key(), self.key, "prepared from another agreement");
        let goals = self
            .goals
            .iter()
            .filter_map(|(index, series, path)| {
                let goal = agreement.goals.get(*index)?;
                let indicator = agreement.indicator(&goal.indicator)?;
                Some(GoalState {
                    goal,
                    indicator,
                    series: series.clone(),
                    target_path: path.clone(),
                    assessment: assess(goal, indicator, series, as_of),
                    breaks: agreement.breaks_of(&goal.indicator),
                })
            })
            .collect();
        AgreementState {
            agreement,
            as_of,
            goals,
            stored: self.stored.clone(),
            households: self.households.clone(),
        }
    }
}

/// The change of a total (e.g. KdU) over the year to date against the same months a year
/// earlier, split into a quantity effect (e.g. BG) and a price effect (e.g. KdU per BG).
#[derive(Debug, Clone)]
pub struct ChangeExplanation<'a> {
    pub total: &'a Indicator,
    pub quantity: &'a Indicator,
    pub price: &'a Indicator,
    /// First and last month of the current period that the split covers (the same months a
    /// year earlier are the base); months of the year to date without all inputs are left out
    /// and counted in `months_missing`.
    pub first: YearMonth,
    pub last: YearMonth,
    /// Months of the period with all four inputs; months without are left out and counted here.
    pub months_used: usize,
    pub months_missing: usize,
    /// Months whose split used figures by household size (and so has a structure effect).
    pub months_by_household: usize,
    pub decomposition: Decomposition,
}

fn add(sum: Option<Decomposition>, d: Decomposition) -> Decomposition {
    match sum {
        None => d,
        Some(s) => Decomposition {
            start: s.start + d.start,
            end: s.end + d.end,
            quantity: s.quantity + d.quantity,
            price: s.price + d.price,
            structure: s.structure + d.structure,
        },
    }
}

/// How a total splits into quantity × price in an agreement.
#[derive(Debug, Clone, Copy)]
enum Split<'a> {
    /// price = total ÷ quantity (a ratio with scale 1): the total is stored by household size.
    PriceIsRatio {
        total: &'a Indicator,
        quantity: &'a IndicatorCode,
        price: &'a Indicator,
    },
    /// total = quantity × price (a product): the price is stored by household size, as a mean
    /// per unit of the quantity (the BA's KdU per BG with recognised KdU).
    TotalIsProduct {
        total: &'a Indicator,
        quantity: &'a IndicatorCode,
        price: &'a IndicatorCode,
    },
}

impl<'a> AgreementState<'a> {
    /// The stored total of `code` in `month`.
    fn stored_total(&self, code: &IndicatorCode, month: YearMonth) -> Option<f64> {
        self.stored
            .get(code)
            .and_then(|s| s.get(&month))
            .map(|p| p.value)
    }

    /// Cells by household size for `before` → `month`: BG of each size and the amount per BG
    /// of that size. `None` unless both months have the figures for the same sizes, every size
    /// has BG, and the classes match the totals (counts and amounts add up; amounts per BG
    /// average, weighted by the BG, to the published mean): otherwise the split would not
    /// explain the total it claims to explain.
    fn household_cells(
        &self,
        split: Split<'_>,
        before: YearMonth,
        month: YearMonth,
    ) -> Option<Vec<Cell>> {
        let (classed, quantity) = match split {
            Split::PriceIsRatio {
                total, quantity, ..
            } => (&total.code, quantity),
            Split::TotalIsProduct {
                quantity, price, ..
            } => (price, quantity),
        };
        let t = self.households.get(classed)?;
        let q = self.households.get(quantity)?;
        let (t0, t1, q0, q1) = (
            t.get(&before)?,
            t.get(&month)?,
            q.get(&before)?,
            q.get(&month)?,
        );
        if t0.keys().ne(t1.keys()) || q0.keys().ne(t0.keys()) || q1.keys().ne(t0.keys()) {
            return None;
        }
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b.abs().max(1.0);
        let adds_up = |classes: &BTreeMap<String, f64>, code: &IndicatorCode, m: YearMonth| {
            let total = self.stored_total(code, m)?;
            close(classes.values().sum(), total).then_some(())
        };
        let averages = |prices: &BTreeMap<String, f64>,
                        counts: &BTreeMap<String, f64>,
                        code: &IndicatorCode,
                        m: YearMonth| {
            let mean = self.stored_total(code, m)?;
            let weight: f64 = counts.values().sum();
            let sum: f64 = prices.iter().map(|(c, p)| p * counts[c]).sum();
            (weight > 0.0 && close(sum / weight, mean)).then_some(())
        };
        adds_up(q0, quantity, before)?;
        adds_up(q1, quantity, month)?;
        match split {
            Split::PriceIsRatio { total, .. } => {
                adds_up(t0, &total.code, before)?;
                adds_up(t1, &total.code, month)?;
            }
            Split::TotalIsProduct { price, .. } => {
                averages(t0, q0, price, before)?;
                averages(t1, q1, price, month)?;
            }
        }
        let per_bg = matches!(split, Split::TotalIsProduct { .. });
        t0.keys()
            .map(|class| {
                let (b0, b1) = (q0[class], q1[class]);
                (b0 > 0.0 && b1 > 0.0).then(|| Cell {
                    bg_start: b0,
                    bg_end: b1,
                    cost_start: if per_bg { t0[class] } else { t0[class] / b0 },
                    cost_end: if per_bg { t1[class] } else { t1[class] / b1 },
                })
            })
            .collect()
    }

    /// The monthly series of any indicator of the agreement.
    pub fn series(&self, code: &IndicatorCode) -> Series {
        evaluate(code, &self.agreement.indicators, &self.stored)
    }

    /// How the goal's indicator splits into quantity × price: the goal is the price of a ratio
    /// price = total ÷ quantity (scale 1) or its total, or the total of a product
    /// total = quantity × price or its price.
    fn split(&self, goal: &Goal) -> Option<Split<'a>> {
        let agreement = self.agreement;
        let as_split = |i: &'a Indicator| match &i.formula {
            Formula::Ratio {
                numerator,
                denominator,
                scale,
            } if *scale == 1.0 => Some(Split::PriceIsRatio {
                total: agreement.indicator(numerator)?,
                quantity: denominator,
                price: i,
            }),
            Formula::Product { quantity, price } => Some(Split::TotalIsProduct {
                total: i,
                quantity,
                price,
            }),
            _ => None,
        };
        let own = agreement.indicator(&goal.indicator).and_then(as_split);
        own.or_else(|| {
            agreement
                .indicators
                .iter()
                .filter_map(as_split)
                .find(|s| match s {
                    Split::PriceIsRatio { total, .. } => total.code == goal.indicator,
                    Split::TotalIsProduct { price, .. } => **price == goal.indicator,
                })
        })
    }

    /// Explains the change of a total over the year to date against the same months a year
    /// earlier, where the goal's indicator is part of a split total = quantity × price (see
    /// [`AgreementState::split`]); `None` otherwise or without data for any month of the period.
    pub fn explain_change(&self, goal: &Goal) -> Option<ChangeExplanation<'a>> {
        let agreement = self.agreement;
        let split = self.split(goal)?;
        let (total, quantity, price) = match split {
            Split::PriceIsRatio {
                total,
                quantity,
                price,
            } => (total, agreement.indicator(quantity)?, price),
            Split::TotalIsProduct {
                total,
                quantity,
                price,
            } => (
                total,
                agreement.indicator(quantity)?,
                agreement.indicator(price)?,
            ),
        };
        let (january, _) = YearMonth::year_bounds(self.as_of.year()).ok()?;
        let q = self.series(&quantity.code);
        let p = self.series(&price.code);
        let mut sum: Option<Decomposition> = None;
        let (mut used, mut missing) = (0, 0);
        let mut by_household = 0;
        let mut covered: Option<(YearMonth, YearMonth)> = None;
        for month in january.through(self.as_of) {
            let before = month.plus(-12)?;
            let by_size = self
                .household_cells(split, before, month)
                .and_then(|c| decompose(&c));
            let d = by_size.or_else(|| {
                match (q.get(&before), q.get(&month), p.get(&before), p.get(&month)) {
                    (Some(q0), Some(q1), Some(p0), Some(p1)) => {
                        decompose_total(q0.value, q1.value, p0.value, p1.value)
                    }
                    _ => None,
                }
            });
            match d {
                Some(d) => {
                    used += 1;
                    by_household += usize::from(by_size.is_some());
                    covered = Some(covered.map_or((month, month), |(f, _)| (f, month)));
                    sum = Some(add(sum, d));
                }
                None => missing += 1,
            }
        }
        let (first, last) = covered?;
        Some(ChangeExplanation {
            total,
            quantity,
            price,
            first,
            last,
            months_used: used,
            months_missing: missing,
            months_by_household: by_household,
            decomposition: sum?,
        })
    }
}

/// The latest month of the agreement year that has a value for any of the agreement's indicators
/// (December if the year is complete, January if nothing has arrived yet).
pub fn default_as_of(
    agreement: &Agreement,
    months: impl IntoIterator<Item = YearMonth>,
) -> YearMonth {
    let (jan, dec) = YearMonth::year_bounds(agreement.year).unwrap_or_else(|_| {
        YearMonth::year_bounds(zielwerk_domain::month::MIN_YEAR).expect("valid")
    });
    months
        .into_iter()
        .filter(|m| (jan..=dec).contains(m))
        .max()
        .unwrap_or(jan)
}

/// Assesses every goal of `agreement` at `as_of` from the current observations of its Jobcenter.
pub fn assess_agreement<'a>(
    agreement: &'a Agreement,
    observations: &[Observation],
    as_of: YearMonth,
) -> AgreementState<'a> {
    prepare(agreement, observations).at(agreement, as_of)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use zielwerk_domain::{
        AgreementStatus, AreaKind, Direction, GoalArea, Jobcenter, Origin, PartyRole, Tolerance,
        Unit, ValueStatus,
    };

    fn indicator(code: &str, formula: Formula, accumulation: Accumulation) -> Indicator {
        Indicator {
            code: code.parse().unwrap(),
            name: code.into(),
            description: String::new(),
            unit: Unit::Euro,
            direction: Direction::Lower,
            accumulation,
            formula,
            numerator_label: None,
            denominator_label: None,
            comparison: None,
        }
    }

    fn goal(key: &str, indicator: &str) -> Goal {
        Goal {
            key: key.parse().unwrap(),
            area: "kdu".parse().unwrap(),
            title: key.into(),
            description: String::new(),
            responsible: PartyRole::Kreis,
            origin: Origin::Agreement,
            indicator: indicator.parse().unwrap(),
            target: Target::Annual { value: 1.0 },
            tolerance: Tolerance::Absolute { value: 0.0 },
        }
    }

    fn agreement() -> Agreement {
        Agreement {
            jobcenter: Jobcenter {
                ba_id: "t36402".parse().unwrap(),
                name: "JC".into(),
                ags: "05158".parse().unwrap(),
                vergleichstyp: None,
            },
            year: 2022,
            version: 1,
            status: AgreementStatus::Draft,
            title: "T".into(),
            parties: vec![],
            areas: vec![GoalArea {
                key: "kdu".parse().unwrap(),
                title: "KdU".into(),
                kind: AreaKind::Municipal,
                description: String::new(),
            }],
            indicators: vec![
                indicator("KDU", Formula::Stored, Accumulation::Flow),
                indicator("BG", Formula::Stored, Accumulation::Stock),
                indicator(
                    "KDU_JE_BG",
                    Formula::Ratio {
                        numerator: "KDU".parse().unwrap(),
                        denominator: "BG".parse().unwrap(),
                        scale: 1.0,
                    },
                    Accumulation::Stock,
                ),
            ],
            goals: vec![
                goal("je-bg", "KDU_JE_BG"),
                goal("summe", "KDU"),
                goal("bg", "BG"),
            ],
            measures: vec![],
            breaks: vec![],
        }
    }

    fn obs(code: &str, month: &str, value: f64) -> Observation {
        Observation {
            region: "t36402".parse().unwrap(),
            period: zielwerk_domain::PeriodKind::Month,
            indicator: code.parse().unwrap(),
            month: month.parse().unwrap(),
            value: Some(value),
            numerator: None,
            denominator: None,
            status: ValueStatus::Final,
            datenstand: NaiveDate::from_ymd_opt(2022, 3, 1).unwrap(),
            breakdown: None,
        }
    }

    #[test]
    fn kdu_change_is_split_into_bg_and_cost_per_bg_over_the_year_to_date() {
        let a = agreement();
        let data = vec![
            // January: 1 000 BG at 700 → 900 BG at 800.
            obs("BG", "2021-01", 1_000.0),
            obs("KDU", "2021-01", 700_000.0),
            obs("BG", "2022-01", 900.0),
            obs("KDU", "2022-01", 720_000.0),
            // February: unchanged at 1 000 BG and 700.
            obs("BG", "2021-02", 1_000.0),
            obs("KDU", "2021-02", 700_000.0),
            obs("BG", "2022-02", 1_000.0),
            obs("KDU", "2022-02", 700_000.0),
            // March 2022 without the previous year: left out and counted.
            obs("BG", "2022-03", 1_000.0),
            obs("KDU", "2022-03", 700_000.0),
        ];
        let st = assess_agreement(&a, &data, "2022-03".parse().unwrap());
        let e = st.explain_change(&a.goals[0]).unwrap();
        assert_eq!(
            (
                e.total.code.as_str(),
                e.quantity.code.as_str(),
                e.price.code.as_str()
            ),
            ("KDU", "BG", "KDU_JE_BG")
        );
        assert_eq!((e.months_used, e.months_missing), (2, 1));
        let d = e.decomposition;
        assert_eq!((d.start, d.end), (1_400_000.0, 1_420_000.0));
        // January: ΔB·(k0+k1)/2 = −100·750; Δk·(B0+B1)/2 = 100·950.
        assert!((d.quantity - -75_000.0).abs() < 1e-6, "{d:?}");
        assert!((d.price - 95_000.0).abs() < 1e-6, "{d:?}");
        assert!(d.residual().abs() < 1e-6);
        // The total's own goal finds the ratio; a goal on BG has nothing to explain.
        assert!(st.explain_change(&a.goals[1]).is_some());
        assert!(st.explain_change(&a.goals[2]).is_none());
    }

    fn by_size(code: &str, month: &str, class: &str, value: f64) -> Observation {
        Observation {
            breakdown: Some(Breakdown::household_size(class)),
            ..obs(code, month, value)
        }
    }

    #[test]
    fn with_household_sizes_the_change_has_a_structure_effect() {
        let a = agreement();
        // January 2021: 600 single households at 500 and 400 couples at 900 (total 660 000).
        // January 2022: same count, same cost per size, but 500/500: a pure mix shift.
        let data = vec![
            obs("BG", "2021-01", 1_000.0),
            obs("KDU", "2021-01", 660_000.0),
            obs("BG", "2022-01", 1_000.0),
            obs("KDU", "2022-01", 700_000.0),
            by_size("BG", "2021-01", "1", 600.0),
            by_size("BG", "2021-01", "2", 400.0),
            by_size("KDU", "2021-01", "1", 300_000.0),
            by_size("KDU", "2021-01", "2", 360_000.0),
            by_size("BG", "2022-01", "1", 500.0),
            by_size("BG", "2022-01", "2", 500.0),
            by_size("KDU", "2022-01", "1", 250_000.0),
            by_size("KDU", "2022-01", "2", 450_000.0),
        ];
        let st = assess_agreement(&a, &data, "2022-01".parse().unwrap());
        // Breakdowns never leak into the totals.
        assert_eq!(
            st.series(&"BG".parse().unwrap())[&"2022-01".parse().unwrap()].value,
            1_000.0
        );
        let e = st.explain_change(&a.goals[1]).unwrap();
        assert_eq!(e.months_by_household, 1);
        let d = e.decomposition;
        assert!(d.quantity.abs() < 1e-6 && d.price.abs() < 1e-6, "{d:?}");
        assert!((d.structure - 40_000.0).abs() < 1e-6, "{d:?}");
        // Classes that do not add up to the total are not used: back to two factors.
        let mut broken = data.clone();
        broken.pop();
        let st = assess_agreement(&a, &broken, "2022-01".parse().unwrap());
        let e = st.explain_change(&a.goals[1]).unwrap();
        assert_eq!((e.months_by_household, e.decomposition.structure), (0, 0.0));
    }
}
