//! The state of a whole agreement at a reporting month: every goal with its series, target path
//! and assessment. Pages and reports render this; they compute nothing themselves.

use zielwerk_domain::{
    Accumulation, Agreement, Formula, Goal, Indicator, IndicatorCode, Observation, Target,
    YearMonth,
};

use crate::decomposition::{Decomposition, decompose_total};
use crate::series::{Series, SeriesSet, evaluate, stored_series};
use crate::status::{Assessment, assess, target_path};

/// One goal, assessed.
#[derive(Debug, Clone)]
pub struct GoalState<'a> {
    pub goal: &'a Goal,
    pub indicator: &'a Indicator,
    /// The indicator's monthly values (all months available).
    pub series: Series,
    /// The target to date for each month of the agreement year (cumulative for flows).
    pub target_path: Vec<(YearMonth, f64)>,
    pub assessment: Assessment,
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
    stored: SeriesSet,
}

/// The change of a total (e.g. KdU) over the year to date against the same months a year
/// earlier, split into a quantity effect (e.g. BG) and a price effect (e.g. KdU per BG).
#[derive(Debug, Clone)]
pub struct ChangeExplanation<'a> {
    pub total: &'a Indicator,
    pub quantity: &'a Indicator,
    pub price: &'a Indicator,
    /// First and last month of the current period (the same months a year earlier are the base).
    pub first: YearMonth,
    pub last: YearMonth,
    /// Months of the period with all four inputs; months without are left out and counted here.
    pub months_used: usize,
    pub months_missing: usize,
    pub decomposition: Decomposition,
}

impl<'a> AgreementState<'a> {
    /// The monthly series of any indicator of the agreement.
    pub fn series(&self, code: &IndicatorCode) -> Series {
        evaluate(code, &self.agreement.indicators, &self.stored)
    }

    /// Explains the change of a total whose indicator (or whose ratio indicator) has the form
    /// total = quantity × price, i.e. a ratio price = total ÷ quantity with scale 1 exists in the
    /// agreement. Applies to the goal's indicator as the total or as the price; `None` otherwise
    /// or without data for any month of the period.
    pub fn explain_change(&self, goal: &Goal) -> Option<ChangeExplanation<'a>> {
        let agreement = self.agreement;
        let is_unit_ratio =
            |i: &Indicator| matches!(i.formula, Formula::Ratio { scale, .. } if scale == 1.0);
        let ratio = agreement.indicator(&goal.indicator).filter(|i| is_unit_ratio(i)).or_else(|| {
            agreement.indicators.iter().find(|i| {
                is_unit_ratio(i)
                    && matches!(&i.formula, Formula::Ratio { numerator, .. } if *numerator == goal.indicator)
            })
        })?;
        let Formula::Ratio {
            numerator,
            denominator,
            ..
        } = &ratio.formula
        else {
            return None;
        };
        let total = agreement.indicator(numerator)?;
        let quantity = agreement.indicator(denominator)?;
        let (first, _) = YearMonth::year_bounds(self.as_of.year()).ok()?;
        let q = self.series(denominator);
        let p = self.series(&ratio.code);
        let mut sum: Option<Decomposition> = None;
        let (mut used, mut missing) = (0, 0);
        for month in first.through(self.as_of) {
            let before = month.plus(-12)?;
            let parts = (q.get(&before), q.get(&month), p.get(&before), p.get(&month));
            let d = match parts {
                (Some(q0), Some(q1), Some(p0), Some(p1)) => {
                    decompose_total(q0.value, q1.value, p0.value, p1.value)
                }
                _ => None,
            };
            match d {
                Some(d) => {
                    used += 1;
                    sum = Some(match sum {
                        None => d,
                        Some(s) => Decomposition {
                            start: s.start + d.start,
                            end: s.end + d.end,
                            quantity: s.quantity + d.quantity,
                            price: s.price + d.price,
                            structure: s.structure + d.structure,
                        },
                    });
                }
                None => missing += 1,
            }
        }
        Some(ChangeExplanation {
            total,
            quantity,
            price: ratio,
            first,
            last: self.as_of,
            months_used: used,
            months_missing: missing,
            decomposition: sum?,
        })
    }
}

/// The latest month of the agreement year that has a value for any of the agreement's indicators
/// (December if the year is complete, January if nothing has arrived yet).
pub fn default_as_of(agreement: &Agreement, observations: &[Observation]) -> YearMonth {
    let (jan, dec) = YearMonth::year_bounds(agreement.year).unwrap_or_else(|_| {
        YearMonth::year_bounds(zielwerk_domain::month::MIN_YEAR).expect("valid")
    });
    observations
        .iter()
        .map(|o| o.month)
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
    let stored: SeriesSet = agreement
        .indicators
        .iter()
        .filter(|i| i.formula.is_stored())
        .map(|i| (i.code.clone(), stored_series(i, observations)))
        .collect();
    let goals = agreement
        .goals
        .iter()
        .filter_map(|goal| {
            let indicator = agreement.indicator(&goal.indicator)?;
            let series = evaluate(&goal.indicator, &agreement.indicators, &stored);
            let path = match goal.target {
                Target::Milestone { .. } => Vec::new(),
                _ => target_path(goal, indicator, &series, agreement.year),
            };
            let assessment = assess(goal, indicator, &series, as_of);
            Some(GoalState {
                goal,
                indicator,
                series,
                target_path: path,
                assessment,
            })
        })
        .collect();
    AgreementState {
        agreement,
        as_of,
        goals,
        stored,
    }
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
        }
    }

    fn obs(code: &str, month: &str, value: f64) -> Observation {
        Observation {
            jobcenter: "t36402".parse().unwrap(),
            indicator: code.parse().unwrap(),
            month: month.parse().unwrap(),
            value: Some(value),
            numerator: None,
            denominator: None,
            status: ValueStatus::Final,
            datenstand: NaiveDate::from_ymd_opt(2022, 3, 1).unwrap(),
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
}
