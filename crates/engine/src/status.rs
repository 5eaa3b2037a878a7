//! Target achievement: the target to date, and the status of a goal with the rule that decided it.
//!
//! The rules, in words (they are shown to users in the same words):
//! - The **target to date** is the trajectory value of the month when a monthly trajectory is
//!   agreed. For an annual target of a flow indicator it is the annual value pro rata
//!   (month/12). For an annual target of a stock indicator it is the straight line from the
//!   previous December's actual value to the target in December (the target itself when the
//!   previous December is unknown).
//! - The **actual to date** is the latest month's value for a stock, the sum since January for a
//!   flow.
//! - **Higher/lower is better**: at or better than the target is *im Plan*; worse by at most the
//!   tolerance is *gefährdet*; worse by more is *verfehlt*.
//! - **Neutral**: within the tolerance either way is *im Plan*, within twice the tolerance
//!   *gefährdet*, further away *verfehlt*.
//! - **Milestones**: reached by the due date is *im Plan*; open and not yet due is *im Plan*, or
//!   *gefährdet* within the tolerance days before the due date; open after the due date, or
//!   reached late, is *verfehlt*.
//! - No value in the agreement year up to the reporting month is *keine Daten*.

use chrono::NaiveDate;
use zielwerk_domain::format::number;
use zielwerk_domain::{
    Accumulation, Direction, Goal, Indicator, Target, Tolerance, Unit, YearMonth,
};

use crate::series::Series;
pub use zielwerk_domain::Status;

/// Comparisons at the tolerance boundary must not flip on the last bit of a float.
const EPS: f64 = 1e-9;

/// The result of assessing one goal at one reporting month.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub status: Status,
    /// The month the actual value refers to (latest month with data up to the reporting month).
    pub month: Option<YearMonth>,
    pub actual: Option<f64>,
    pub target: Option<f64>,
    /// The tolerance in the indicator's unit (for milestones: none).
    pub tolerance: Option<f64>,
    /// The rule that decided, in German.
    pub reason: String,
}

impl Assessment {
    fn no_data(reason: String) -> Self {
        Self {
            status: Status::NoData,
            month: None,
            actual: None,
            target: None,
            tolerance: None,
            reason,
        }
    }
}

/// The target to date for every month of the agreement year for which one is defined. For a flow
/// indicator the values are cumulative since January.
pub fn target_path(
    goal: &Goal,
    indicator: &Indicator,
    series: &Series,
    year: i32,
) -> Vec<(YearMonth, f64)> {
    let Ok((jan, dec)) = YearMonth::year_bounds(year) else {
        return Vec::new();
    };
    jan.through(dec)
        .filter_map(|m| target_for(goal, indicator, series, m).map(|t| (m, t)))
        .collect()
}

/// The target to date at `month` (see the module documentation).
pub fn target_for(
    goal: &Goal,
    indicator: &Indicator,
    series: &Series,
    month: YearMonth,
) -> Option<f64> {
    match &goal.target {
        Target::Monthly { values } => match indicator.accumulation {
            Accumulation::Stock => values.get(&month).copied(),
            // A monthly trajectory of a flow gives each month's amount; to date it is cumulative.
            Accumulation::Flow => {
                let (jan, _) = YearMonth::year_bounds(month.year()).ok()?;
                values.get(&month)?;
                Some(jan.through(month).filter_map(|m| values.get(&m)).sum())
            }
        },
        Target::Annual { value } => {
            let share = f64::from(month.month()) / 12.0;
            match indicator.accumulation {
                Accumulation::Flow => Some(value * share),
                Accumulation::Stock => {
                    let baseline = month
                        .plus(-(month.month() as i32))
                        .and_then(|dec| series.get(&dec));
                    Some(match baseline {
                        Some(b) => b.value + (value - b.value) * share,
                        None => *value,
                    })
                }
            }
        }
        Target::Milestone { .. } => None,
    }
}

fn fmt(indicator: &Indicator, v: f64) -> String {
    let (unit, decimals) = match indicator.unit {
        Unit::Percent => ("\u{a0}%", 1),
        Unit::Euro if v.abs() >= 100_000.0 => ("\u{a0}EUR", 0),
        Unit::Euro => ("\u{a0}EUR", 2),
        Unit::Days => ("\u{a0}Tage", 1),
        Unit::Count | Unit::Milestone => ("", 0),
    };
    format!("{}{unit}", number(v, decimals))
}

/// A difference between two values: for percentages that is percentage points.
fn fmt_diff(indicator: &Indicator, v: f64) -> String {
    match indicator.unit {
        Unit::Percent => format!("{}\u{a0}Prozentpunkte", number(v, 1)),
        _ => fmt(indicator, v),
    }
}

fn date_de(d: NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

/// Assesses `goal` at the reporting month `as_of` from the indicator's series.
pub fn assess(goal: &Goal, indicator: &Indicator, series: &Series, as_of: YearMonth) -> Assessment {
    if let Target::Milestone { due } = goal.target {
        return assess_milestone(goal, series, due, as_of);
    }
    let Ok((jan, _)) = YearMonth::year_bounds(as_of.year()) else {
        return Assessment::no_data("Berichtsmonat außerhalb des zulässigen Bereichs".into());
    };

    // Actual to date.
    let in_year: Vec<_> = series.range(jan..=as_of).collect();
    let Some((&last_month, last)) = in_year.last().map(|(m, p)| (*m, *p)) else {
        return Assessment::no_data(format!(
            "Für {} liegt bis {} kein Wert vor.",
            as_of.year(),
            as_of.german_long()
        ));
    };
    let (actual, actual_desc) = match indicator.accumulation {
        Accumulation::Stock => (last.value, format!("Ist {}", last_month.german_long())),
        Accumulation::Flow => {
            let sum: f64 = in_year.iter().map(|(_, p)| p.value).sum();
            let missing = jan.months_until(last_month) + 1 - in_year.len() as i32;
            let note = if missing > 0 {
                format!(
                    ", {} ohne Meldung",
                    zielwerk_domain::format::counted(missing as usize, "Monat", "Monate")
                )
            } else {
                String::new()
            };
            (
                sum,
                format!("Ist Januar bis {}{note}", last_month.german_long()),
            )
        }
    };
    let Some(target) = target_for(goal, indicator, series, last_month) else {
        return Assessment {
            month: Some(last_month),
            actual: Some(actual),
            ..Assessment::no_data(format!(
                "Für {} ist kein Zielwert vereinbart.",
                last_month.german_long()
            ))
        };
    };
    let tol = goal.tolerance.amount(target).max(0.0);
    let deviation = actual - target;

    let (status, rule) = match indicator.direction {
        Direction::Higher | Direction::Lower => {
            // Positive gap = better than the target.
            let gap = if indicator.direction == Direction::Higher {
                deviation
            } else {
                -deviation
            };
            let better = if indicator.direction == Direction::Higher {
                "höher ist besser"
            } else {
                "niedriger ist besser"
            };
            if gap >= -EPS * target.abs().max(1.0) {
                (
                    Status::OnTrack,
                    format!("erreicht oder übertrifft das Ziel ({better})"),
                )
            } else if -gap <= tol + EPS * target.abs().max(1.0) {
                (
                    Status::AtRisk,
                    format!(
                        "liegt um {} hinter dem Ziel, innerhalb der Toleranz ({}; {better})",
                        fmt_diff(indicator, gap.abs()),
                        fmt_diff(indicator, tol)
                    ),
                )
            } else {
                (
                    Status::Missed,
                    format!(
                        "liegt um {} hinter dem Ziel, mehr als die Toleranz ({}; {better})",
                        fmt_diff(indicator, gap.abs()),
                        fmt_diff(indicator, tol)
                    ),
                )
            }
        }
        Direction::Neutral => {
            let off = deviation.abs();
            let slack = EPS * target.abs().max(1.0);
            if off <= tol + slack {
                (
                    Status::OnTrack,
                    format!(
                        "weicht um {} vom Ziel ab, innerhalb der Toleranz ({})",
                        fmt_diff(indicator, off),
                        fmt_diff(indicator, tol)
                    ),
                )
            } else if off <= 2.0 * tol + slack {
                (
                    Status::AtRisk,
                    format!(
                        "weicht um {} vom Ziel ab, mehr als die Toleranz ({}), höchstens das Doppelte",
                        fmt_diff(indicator, off),
                        fmt_diff(indicator, tol)
                    ),
                )
            } else {
                (
                    Status::Missed,
                    format!(
                        "weicht um {} vom Ziel ab, mehr als das Doppelte der Toleranz ({})",
                        fmt_diff(indicator, off),
                        fmt_diff(indicator, tol)
                    ),
                )
            }
        }
    };
    let target_desc = match (&goal.target, indicator.accumulation) {
        (Target::Monthly { .. }, _) => "Zielpfad",
        (Target::Annual { .. }, Accumulation::Flow) => "Jahresziel anteilig",
        (Target::Annual { .. }, Accumulation::Stock) => "Zielpfad zum Jahresziel",
        (Target::Milestone { .. }, _) => "Meilenstein",
    };
    Assessment {
        status,
        month: Some(last_month),
        actual: Some(actual),
        target: Some(target),
        tolerance: Some(tol),
        reason: format!(
            "{actual_desc}: {}; {target_desc}: {}. Der Wert {rule}.",
            fmt(indicator, actual),
            fmt(indicator, target)
        ),
    }
}

fn assess_milestone(goal: &Goal, series: &Series, due: NaiveDate, as_of: YearMonth) -> Assessment {
    let Ok((jan, _)) = YearMonth::year_bounds(as_of.year()) else {
        return Assessment::no_data("Berichtsmonat außerhalb des zulässigen Bereichs".into());
    };
    let reported: Vec<_> = series.range(jan..=as_of).collect();
    let Some(last_month) = reported.last().map(|(m, _)| **m) else {
        return Assessment::no_data(format!(
            "Für {} liegt bis {} keine Meldung zum Meilenstein vor.",
            as_of.year(),
            as_of.german_long()
        ));
    };
    let reached = reported
        .iter()
        .find(|(_, p)| p.value >= 1.0)
        .map(|(m, _)| **m);
    let days = match goal.tolerance {
        Tolerance::Days { days } => i64::from(days),
        _ => 0,
    };
    let due_month = YearMonth::of_date(due).ok();
    let base = |status, reason: String| Assessment {
        status,
        month: Some(last_month),
        actual: Some(if reached.is_some() { 1.0 } else { 0.0 }),
        target: Some(1.0),
        tolerance: None,
        reason,
    };
    match reached {
        // Values are monthly: reaching it in the due month counts as on time.
        Some(m) if Some(m) <= due_month => base(
            Status::OnTrack,
            format!(
                "Erreicht im {}; fällig am {}.",
                m.german_long(),
                date_de(due)
            ),
        ),
        Some(m) => base(
            Status::Missed,
            format!(
                "Erst im {} erreicht; fällig war er am {}.",
                m.german_long(),
                date_de(due)
            ),
        ),
        None => {
            let today = as_of.last_day();
            if today > due {
                base(
                    Status::Missed,
                    format!(
                        "Offen und seit {} überfällig (Stand {}).",
                        date_de(due),
                        as_of.german_long()
                    ),
                )
            } else if (due - today).num_days() <= days {
                base(
                    Status::AtRisk,
                    format!(
                        "Offen; fällig am {}, also in höchstens {days} Tagen (Stand {}).",
                        date_de(due),
                        as_of.german_long()
                    ),
                )
            } else {
                base(
                    Status::OnTrack,
                    format!(
                        "Offen; fällig am {} (Stand {}).",
                        date_de(due),
                        as_of.german_long()
                    ),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::series::Point;
    use std::collections::BTreeMap;
    use zielwerk_domain::{Formula, Origin, PartyRole, ValueStatus};

    fn m(s: &str) -> YearMonth {
        s.parse().unwrap()
    }

    fn indicator(direction: Direction, accumulation: Accumulation, unit: Unit) -> Indicator {
        Indicator {
            code: "X".parse().unwrap(),
            name: "X".into(),
            description: String::new(),
            unit,
            direction,
            accumulation,
            formula: Formula::Stored,
            numerator_label: None,
            denominator_label: None,
            comparison: None,
        }
    }

    fn goal(target: Target, tolerance: Tolerance) -> Goal {
        Goal {
            key: "g".parse().unwrap(),
            area: "a".parse().unwrap(),
            title: "G".into(),
            description: String::new(),
            responsible: PartyRole::Kreis,
            origin: Origin::Agreement,
            indicator: "X".parse().unwrap(),
            target,
            tolerance,
        }
    }

    fn series(points: &[(&str, f64)]) -> Series {
        points
            .iter()
            .map(|(mo, v)| (m(mo), Point::plain(*v, ValueStatus::Final)))
            .collect()
    }

    fn monthly(month: &str, target: f64) -> Target {
        Target::Monthly {
            values: BTreeMap::from([(m(month), target)]),
        }
    }

    /// Status of a stock indicator with a trajectory value `target` in 2022-06 and actual `actual`.
    fn check(direction: Direction, target: f64, tol: Tolerance, actual: f64) -> Status {
        let ind = indicator(direction, Accumulation::Stock, Unit::Count);
        let g = goal(monthly("2022-06", target), tol);
        assess(&g, &ind, &series(&[("2022-06", actual)]), m("2022-06")).status
    }

    const ABS5: Tolerance = Tolerance::Absolute { value: 5.0 };

    #[test]
    fn higher_is_better_at_the_edges() {
        use Direction::Higher as H;
        assert_eq!(check(H, 100.0, ABS5, 100.0), Status::OnTrack);
        assert_eq!(check(H, 100.0, ABS5, 100.1), Status::OnTrack);
        assert_eq!(check(H, 100.0, ABS5, 99.9), Status::AtRisk);
        assert_eq!(check(H, 100.0, ABS5, 95.0), Status::AtRisk);
        assert_eq!(check(H, 100.0, ABS5, 94.99), Status::Missed);
    }

    #[test]
    fn lower_is_better_at_the_edges() {
        use Direction::Lower as L;
        assert_eq!(check(L, 100.0, ABS5, 100.0), Status::OnTrack);
        assert_eq!(check(L, 100.0, ABS5, 80.0), Status::OnTrack);
        assert_eq!(check(L, 100.0, ABS5, 100.01), Status::AtRisk);
        assert_eq!(check(L, 100.0, ABS5, 105.0), Status::AtRisk);
        assert_eq!(check(L, 100.0, ABS5, 105.01), Status::Missed);
    }

    #[test]
    fn relative_tolerance_is_a_share_of_the_target() {
        let rel = Tolerance::Relative { percent: 2.0 };
        // 2 % of 17 600 = 352.
        assert_eq!(
            check(Direction::Lower, 17_600.0, rel, 17_952.0),
            Status::AtRisk
        );
        assert_eq!(
            check(Direction::Lower, 17_600.0, rel, 17_953.0),
            Status::Missed
        );
        // Relative tolerance of a negative target (a change of −3 %) uses its magnitude.
        let rel10 = Tolerance::Relative { percent: 10.0 };
        assert_eq!(check(Direction::Lower, -3.0, rel10, -2.7), Status::AtRisk);
        assert_eq!(check(Direction::Lower, -3.0, rel10, -2.6), Status::Missed);
    }

    #[test]
    fn zero_tolerance_has_no_amber() {
        let zero = Tolerance::Absolute { value: 0.0 };
        assert_eq!(check(Direction::Higher, 50.0, zero, 50.0), Status::OnTrack);
        assert_eq!(check(Direction::Higher, 50.0, zero, 49.9), Status::Missed);
    }

    #[test]
    fn neutral_direction_is_symmetric() {
        use Direction::Neutral as N;
        assert_eq!(check(N, 100.0, ABS5, 105.0), Status::OnTrack);
        assert_eq!(check(N, 100.0, ABS5, 95.0), Status::OnTrack);
        assert_eq!(check(N, 100.0, ABS5, 110.0), Status::AtRisk);
        assert_eq!(check(N, 100.0, ABS5, 89.0), Status::Missed);
    }

    #[test]
    fn no_data_in_the_year_is_keine_daten() {
        let ind = indicator(Direction::Higher, Accumulation::Stock, Unit::Count);
        let g = goal(Target::Annual { value: 10.0 }, ABS5);
        // Only last year's value: nothing for 2022.
        let a = assess(&g, &ind, &series(&[("2021-12", 9.0)]), m("2022-03"));
        assert_eq!(a.status, Status::NoData);
        assert!(a.reason.contains("kein Wert"), "{}", a.reason);
        // Values after the reporting month do not count.
        let a = assess(&g, &ind, &series(&[("2022-04", 9.0)]), m("2022-03"));
        assert_eq!(a.status, Status::NoData);
    }

    #[test]
    fn annual_stock_target_interpolates_from_previous_december() {
        let ind = indicator(Direction::Lower, Accumulation::Stock, Unit::Count);
        let g = goal(
            Target::Annual { value: 17_400.0 },
            Tolerance::Absolute { value: 100.0 },
        );
        // From 18 000 in December to 17 400 in December: 17 850 in March.
        let s = series(&[("2021-12", 18_000.0), ("2022-03", 17_900.0)]);
        let a = assess(&g, &ind, &s, m("2022-03"));
        assert_eq!(a.target, Some(17_850.0));
        assert_eq!(a.status, Status::AtRisk);
        // Without the previous December, the annual value itself applies.
        let a = assess(&g, &ind, &series(&[("2022-03", 17_900.0)]), m("2022-03"));
        assert_eq!(a.target, Some(17_400.0));
        assert_eq!(a.status, Status::Missed);
    }

    #[test]
    fn annual_flow_target_is_pro_rata_and_actual_is_the_sum() {
        let ind = indicator(Direction::Higher, Accumulation::Flow, Unit::Count);
        let g = goal(
            Target::Annual { value: 120.0 },
            Tolerance::Relative { percent: 10.0 },
        );
        let s = series(&[
            ("2021-12", 50.0),
            ("2022-01", 10.0),
            ("2022-02", 9.0),
            ("2022-03", 11.0),
        ]);
        let a = assess(&g, &ind, &s, m("2022-03"));
        assert_eq!(a.actual, Some(30.0));
        assert_eq!(a.target, Some(30.0));
        assert_eq!(a.status, Status::OnTrack);
        let s = series(&[("2022-01", 10.0), ("2022-03", 10.0)]);
        let a = assess(&g, &ind, &s, m("2022-03"));
        assert_eq!(a.actual, Some(20.0));
        assert_eq!(a.status, Status::Missed);
        assert!(a.reason.contains("1 Monat ohne Meldung"), "{}", a.reason);
    }

    #[test]
    fn trajectory_without_a_value_for_the_month_is_keine_daten() {
        let ind = indicator(Direction::Higher, Accumulation::Stock, Unit::Percent);
        let g = goal(monthly("2022-06", 50.0), ABS5);
        let a = assess(&g, &ind, &series(&[("2022-05", 51.0)]), m("2022-06"));
        assert_eq!(a.status, Status::NoData);
        assert!(a.reason.contains("kein Zielwert"), "{}", a.reason);
    }

    fn milestone(due: &str, days: u32, reports: &[(&str, f64)], as_of: &str) -> Status {
        let ind = indicator(Direction::Higher, Accumulation::Stock, Unit::Milestone);
        let g = goal(
            Target::Milestone {
                due: due.parse().unwrap(),
            },
            Tolerance::Days { days },
        );
        assess(&g, &ind, &series(reports), m(as_of)).status
    }

    #[test]
    fn milestones_by_due_date() {
        // Reached in the due month: on time.
        assert_eq!(
            milestone("2022-03-31", 30, &[("2022-03", 1.0)], "2022-06"),
            Status::OnTrack
        );
        // Reached a month late.
        assert_eq!(
            milestone("2022-03-31", 30, &[("2022-04", 1.0)], "2022-06"),
            Status::Missed
        );
        // Open, reporting month ends on the due date: not yet overdue, within 30 days.
        assert_eq!(
            milestone("2022-03-31", 30, &[("2022-03", 0.0)], "2022-03"),
            Status::AtRisk
        );
        // Open, one day after the due date.
        assert_eq!(
            milestone("2022-03-30", 30, &[("2022-03", 0.0)], "2022-03"),
            Status::Missed
        );
        // Open, due in 31 days with 30 days' tolerance: still on track.
        assert_eq!(
            milestone("2022-05-01", 30, &[("2022-03", 0.0)], "2022-03"),
            Status::OnTrack
        );
        assert_eq!(
            milestone("2022-04-30", 30, &[("2022-03", 0.0)], "2022-03"),
            Status::AtRisk
        );
        // No report at all.
        assert_eq!(milestone("2022-03-31", 30, &[], "2022-06"), Status::NoData);
    }

    #[test]
    fn percentage_gaps_are_percentage_points() {
        let ind = indicator(Direction::Higher, Accumulation::Stock, Unit::Percent);
        let g = goal(monthly("2022-06", 23.0), Tolerance::Absolute { value: 0.8 });
        let a = assess(&g, &ind, &series(&[("2022-06", 22.5)]), m("2022-06"));
        assert_eq!(a.status, Status::AtRisk);
        assert!(
            a.reason.ends_with("liegt um 0,5\u{a0}Prozentpunkte hinter dem Ziel, innerhalb der Toleranz (0,8\u{a0}Prozentpunkte; höher ist besser)."),
            "{}",
            a.reason
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn status_of(direction: Direction, target: f64, tol: f64, actual: f64) -> Status {
            check(
                direction,
                target,
                Tolerance::Absolute { value: tol },
                actual,
            )
        }

        proptest! {
            /// For a fixed target, a better actual value never gets a worse status.
            #[test]
            fn status_is_monotone_in_the_actual_value(
                target in -1e6..1e6f64,
                tol in 0.0..1e4f64,
                a in -2e6..2e6f64,
                b in -2e6..2e6f64,
            ) {
                let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
                // Higher is better: the higher value ranks at least as well (rank: missed 0 … on track 3).
                prop_assert!(status_of(Direction::Higher, target, tol, hi).rank() >= status_of(Direction::Higher, target, tol, lo).rank());
                prop_assert!(status_of(Direction::Lower, target, tol, lo).rank() >= status_of(Direction::Lower, target, tol, hi).rank());
                // Neutral: closer to the target ranks at least as well.
                let (near, far) = if (a - target).abs() <= (b - target).abs() { (a, b) } else { (b, a) };
                prop_assert!(status_of(Direction::Neutral, target, tol, near).rank() >= status_of(Direction::Neutral, target, tol, far).rank());
            }
        }
    }

    #[test]
    fn reason_names_values_in_german() {
        let ind = indicator(Direction::Lower, Accumulation::Stock, Unit::Euro);
        let g = goal(
            monthly("2022-06", 700.0),
            Tolerance::Absolute { value: 10.0 },
        );
        let a = assess(&g, &ind, &series(&[("2022-06", 1_712.5)]), m("2022-06"));
        assert_eq!(a.status, Status::Missed);
        assert_eq!(
            a.reason,
            "Ist Juni 2022: 1.712,50\u{a0}EUR; Zielpfad: 700,00\u{a0}EUR. Der Wert liegt um 1.012,50\u{a0}EUR hinter dem Ziel, mehr als die Toleranz (10,00\u{a0}EUR; niedriger ist besser)."
        );
    }
}
