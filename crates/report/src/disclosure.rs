//! What a public output may print: the one suppression decision per agreement and reporting
//! month, shared by every output released for that month (Vorlage and its Anlagen, public
//! monitoring report, public Excel export, the OParl files, which are the Vorlage's).
//!
//! An attacker holds all of them at once, so the decision is taken over the union of what any of
//! them prints for the agreement year up to the reporting month: each goal's monthly value, for
//! flows the running sum since January (the Vorlage's table and the chart) beside the monthly
//! value (the Excel sheet), and for ratios the counts behind them (numerator and denominator,
//! printed by the Excel sheet). A figure that two goals print (a count that is one goal's value
//! and another goal's numerator) is one cell. The equations an attacker can use are the running
//! sums (this month's sum is last month's plus the month; the year total is December's sum);
//! [`zielwerk_engine::confidentiality::protect`] then suppresses until no small count can be
//! recovered. An output hides a whole month of a goal when any of its cells is suppressed, which
//! hides at least what the protection asks (hiding more never makes anything recoverable).

use std::collections::{BTreeMap, BTreeSet};

use zielwerk_domain::{Accumulation, Agreement, Formula, IndicatorCode, Key, Unit, YearMonth};
use zielwerk_engine::confidentiality::{Cell, Grid, is_small, protect};
use zielwerk_engine::{AgreementState, GoalState};

/// Which figure of a month a cell is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Figure {
    Value,
    RunningSum,
    Numerator,
    Denominator,
}

/// The months each goal's public outputs leave out, and how many (goal, month) pairs that is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Disclosure {
    hidden: BTreeMap<Key, BTreeSet<YearMonth>>,
    /// Months hidden because a figure of the month itself rests on fewer than three cases.
    pub primary: usize,
    /// Months hidden so that no such figure can be recomputed from the others.
    pub secondary: usize,
}

impl Disclosure {
    /// The months of `goal` that public outputs must not print.
    pub fn hidden(&self, goal: &Key) -> BTreeSet<YearMonth> {
        self.hidden.get(goal).cloned().unwrap_or_default()
    }

    /// The decision for the agreement year of `state` up to its reporting month.
    pub fn of(state: &AgreementState<'_>) -> Self {
        let agreement = state.agreement;
        let mut b = Builder::default();
        for g in &state.goals {
            let ind = g.indicator;
            let key = &g.goal.key;
            let counted = ind.unit == Unit::Count && ind.formula == Formula::Stored;
            let (num_count, den_count) = counts_behind(agreement, g);
            let mut previous_sum: Option<usize> = None;
            let mut sum = 0i64;
            let months = g
                .series
                .iter()
                .filter(|(m, _)| m.year() == agreement.year && **m <= state.as_of);
            for (&m, p) in months {
                let v = p.value.round() as i64;
                let value = b.cell(key, (ind.code.clone(), m, Figure::Value), || Cell {
                    value: if counted { v } else { 0 },
                    shown: true,
                    sensitive: counted && is_small(v),
                });
                if counted && ind.accumulation == Accumulation::Flow {
                    sum += v;
                    let total = b.cell(key, (ind.code.clone(), m, Figure::RunningSum), || Cell {
                        value: sum,
                        shown: true,
                        sensitive: is_small(sum),
                    });
                    match previous_sum {
                        Some(prev) => b.grid.sum(total, &[prev, value]),
                        None => b.grid.sum(total, &[value]),
                    }
                    previous_sum = Some(total);
                }
                for (part, is_count, figure, component) in [
                    (p.numerator, num_count, Figure::Numerator, numerator_of(g)),
                    (
                        p.denominator,
                        den_count,
                        Figure::Denominator,
                        denominator_of(g),
                    ),
                ] {
                    let Some(part) = part else { continue };
                    let part = part.round() as i64;
                    // The same month's stored count is one cell wherever it is printed.
                    let at = match component {
                        Some(c) => (c.clone(), m, Figure::Value),
                        None => (ind.code.clone(), m, figure),
                    };
                    b.cell(key, at, || Cell {
                        value: part,
                        shown: true,
                        sensitive: is_count && is_small(part),
                    });
                }
            }
        }
        let protection = protect(&b.grid);
        let mut d = Disclosure::default();
        for ((goal, month), cells) in b.of_month {
            if cells.iter().any(|&c| protection.is_suppressed(c)) {
                if cells.iter().any(|&c| b.grid.cells[c].sensitive) {
                    d.primary += 1;
                } else {
                    d.secondary += 1;
                }
                d.hidden.entry(goal).or_default().insert(month);
            }
        }
        d
    }
}

/// The grid under construction: cells by what they are, and the cells of each goal's month.
#[derive(Default)]
struct Builder {
    grid: Grid,
    index: BTreeMap<(IndicatorCode, YearMonth, Figure), usize>,
    of_month: BTreeMap<(Key, YearMonth), Vec<usize>>,
}

impl Builder {
    /// The cell `at`, added on first use; recorded as printed with `goal`'s month.
    fn cell(
        &mut self,
        goal: &Key,
        at: (IndicatorCode, YearMonth, Figure),
        cell: impl FnOnce() -> Cell,
    ) -> usize {
        let month = at.1;
        let grid = &mut self.grid;
        let i = *self.index.entry(at).or_insert_with(|| grid.push(cell()));
        let cells = self.of_month.entry((goal.clone(), month)).or_default();
        if !cells.contains(&i) {
            cells.push(i);
        }
        i
    }
}

/// The numerator indicator whose same-month stored value is the numerator itself (a plain
/// ratio); `None` where the numerator is a sum over months or stored with the ratio.
fn numerator_of<'a>(g: &GoalState<'a>) -> Option<&'a IndicatorCode> {
    match &g.indicator.formula {
        Formula::Ratio { numerator, .. } => Some(numerator),
        _ => None,
    }
}

fn denominator_of<'a>(g: &GoalState<'a>) -> Option<&'a IndicatorCode> {
    match &g.indicator.formula {
        Formula::Ratio { denominator, .. } => Some(denominator),
        _ => None,
    }
}

/// Whether the numerator and the denominator behind a goal's value are counts of cases.
fn counts_behind(agreement: &Agreement, g: &GoalState<'_>) -> (bool, bool) {
    let count = |code: &IndicatorCode| {
        agreement
            .indicator(code)
            .is_some_and(|i| i.unit == Unit::Count)
    };
    match &g.indicator.formula {
        // A stored ratio (share of cases) keeps both counts.
        Formula::StoredRatio { .. } => (true, true),
        f => f
            .components()
            .map_or((false, false), |(n, d)| (count(n), count(d))),
    }
}
