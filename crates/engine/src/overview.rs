//! The state of a whole agreement at a reporting month: every goal with its series, target path
//! and assessment. Pages and reports render this; they compute nothing themselves.

use zielwerk_domain::{Accumulation, Agreement, Goal, Indicator, Observation, Target, YearMonth};

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
    }
}
