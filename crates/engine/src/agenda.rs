//! The agenda of a steering meeting, drawn up from the status at the reporting month: goals that
//! are verfehlt first, then gefährdet, then the action items from earlier meetings that are
//! overdue on the meeting day, then the remaining goals by goal area. Within each group goals
//! keep the order of the areas and, within an area, of the agreement.

use chrono::NaiveDate;
use zielwerk_domain::{ActionItem, Status};

use crate::overview::{AgreementState, GoalState};

/// One item of a generated agenda.
#[derive(Debug, Clone, Copy)]
pub enum Planned<'s, 'a, A> {
    Goal(&'s GoalState<'a>),
    /// An overdue action item, with the caller's handle on it (e.g. its id).
    Action(&'s A),
}

/// Draws up the agenda for a meeting on `day`. `actions` are the action items of earlier
/// meetings with the caller's handle; only those overdue on `day` are put on the agenda.
pub fn plan<'s, 'a, A>(
    state: &'s AgreementState<'a>,
    actions: &'s [(A, ActionItem)],
    day: NaiveDate,
) -> Vec<Planned<'s, 'a, A>> {
    let area_rank = |g: &GoalState<'_>| {
        state
            .agreement
            .areas
            .iter()
            .position(|a| a.key == g.goal.area)
            .unwrap_or(usize::MAX)
    };
    let mut goals: Vec<(usize, &GoalState<'a>)> = state.goals.iter().enumerate().collect();
    // Stable sort: within an area the agreement's order stays.
    goals.sort_by_key(|(i, g)| (area_rank(g), *i));
    let of = |wanted: fn(Status) -> bool| {
        goals
            .iter()
            .filter(move |(_, g)| wanted(g.assessment.status))
            .map(|(_, g)| Planned::Goal(g))
    };
    of(|s| s == Status::Missed)
        .chain(of(|s| s == Status::AtRisk))
        .chain(
            actions
                .iter()
                .filter(|(_, a)| a.is_overdue(day))
                .map(|(h, _)| Planned::Action(h)),
        )
        .chain(of(|s| !matches!(s, Status::Missed | Status::AtRisk)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess_agreement;
    use zielwerk_domain::{
        Accumulation, ActionStatus, Agreement, AgreementStatus, AreaKind, Direction, Formula, Goal,
        GoalArea, Indicator, Jobcenter, Observation, Origin, PartyRole, Target, Tolerance, Unit,
        ValueStatus, YearMonth,
    };

    fn goal(key: &str, area: &str, code: &str) -> Goal {
        Goal {
            key: key.parse().unwrap(),
            area: area.parse().unwrap(),
            title: key.into(),
            description: String::new(),
            responsible: PartyRole::Jobcenter,
            origin: Origin::Agreement,
            indicator: code.parse().unwrap(),
            target: Target::Annual { value: 100.0 },
            tolerance: Tolerance::Relative { percent: 5.0 },
        }
    }

    fn indicator(code: &str) -> Indicator {
        Indicator {
            code: code.parse().unwrap(),
            name: code.into(),
            unit: Unit::Count,
            description: String::new(),
            direction: Direction::Higher,
            accumulation: Accumulation::Stock,
            formula: Formula::Stored,
            numerator_label: None,
            denominator_label: None,
            comparison: None,
        }
    }

    fn area(key: &str) -> GoalArea {
        GoalArea {
            key: key.parse().unwrap(),
            title: key.into(),
            kind: AreaKind::Municipal,
            description: String::new(),
        }
    }

    fn obs(code: &str, value: f64) -> Observation {
        Observation {
            region: "t36402".parse().unwrap(),
            period: zielwerk_domain::PeriodKind::Month,
            indicator: code.parse().unwrap(),
            month: "2022-12".parse().unwrap(),
            value: Some(value),
            numerator: None,
            denominator: None,
            status: ValueStatus::Final,
            datenstand: "2023-01-15".parse().unwrap(),
            breakdown: None,
        }
    }

    fn action(due: &str, status: ActionStatus) -> ActionItem {
        ActionItem {
            what: "x".into(),
            owner_party: PartyRole::Kreis,
            owner_person: String::new(),
            due: due.parse().unwrap(),
            status,
            goal: None,
            measure: None,
        }
    }

    #[test]
    fn off_track_first_then_overdue_actions_then_the_rest_by_area() {
        // Goals listed out of area order on purpose; values decide the status:
        // ≥ 100 im Plan, ≥ 95 gefährdet (5 % tolerance), below verfehlt, none: keine Daten.
        let codes = ["A1", "B1", "A2", "B2", "A3", "B3"];
        let agreement = Agreement {
            jobcenter: Jobcenter {
                ba_id: "t36402".parse().unwrap(),
                name: "Jobcenter".into(),
                ags: "05158".parse().unwrap(),
                vergleichstyp: None,
            },
            year: 2022,
            version: 1,
            status: AgreementStatus::Draft,
            title: "Test".into(),
            parties: vec![],
            areas: vec![area("a"), area("b")],
            indicators: codes.iter().map(|c| indicator(c)).collect(),
            goals: vec![
                goal("b-im-plan", "b", "B1"),
                goal("a-im-plan", "a", "A1"),
                goal("b-verfehlt", "b", "B2"),
                goal("a-gefaehrdet", "a", "A2"),
                goal("a-verfehlt", "a", "A3"),
                goal("b-ohne-daten", "b", "B3"),
            ],
            measures: vec![],
            breaks: vec![],
        };
        let values = [
            obs("B1", 120.0),
            obs("A1", 100.0),
            obs("B2", 50.0),
            obs("A2", 96.0),
            obs("A3", 94.9),
        ];
        let state = assess_agreement(&agreement, &values, YearMonth::new(2022, 12).unwrap());
        let actions = vec![
            ("zu spät", action("2023-01-09", ActionStatus::InProgress)),
            ("heute fällig", action("2023-01-10", ActionStatus::Open)),
            ("erledigt", action("2022-11-01", ActionStatus::Done)),
        ];
        let agenda = plan(&state, &actions, "2023-01-10".parse().unwrap());
        let names: Vec<String> = agenda
            .iter()
            .map(|p| match p {
                Planned::Goal(g) => g.goal.key.to_string(),
                Planned::Action(h) => format!("Aufgabe {h}"),
            })
            .collect();
        assert_eq!(
            names,
            [
                "a-verfehlt",
                "b-verfehlt",
                "a-gefaehrdet",
                "Aufgabe zu spät",
                "a-im-plan",
                "b-im-plan",
                "b-ohne-daten"
            ]
        );
    }
}
