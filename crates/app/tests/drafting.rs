//! Agreements built the way the browser builds them round-trip through their TOML file: next
//! year prepared from this year, goals with new indicators and areas added, targets of every
//! kind set (annual values, milestones, monthly trajectories with empty months), areas and
//! indicators of the agreement's own edited, Handlungsansätze added for some of the goals.

use proptest::prelude::*;
use zielwerk_app::agreements::{AddGoal, AreaChoice, IndicatorChoice, NewIndicator, new_goal};
use zielwerk_domain::{
    Accumulation, Agreement, AreaKind, Direction, Origin, PartyRole, Target, Tolerance, Unit,
    YearMonth,
};
use zielwerk_ingest::agreement_file::{export, parse};

const EXAMPLE: &str = include_str!("../../../examples/agreement-mettmann-2022.toml");

/// One goal as a person adds it in the form.
#[derive(Debug, Clone)]
struct Added {
    title: String,
    new_area: Option<(String, AreaKind)>,
    indicator: (String, String, Unit, Direction, Accumulation, bool),
    responsible: PartyRole,
    origin: Origin,
    target: Target,
    tolerance: Tolerance,
}

fn text() -> impl Strategy<Value = String> {
    // German titles: letters, umlauts, digits, punctuation a person types, quotes and "§".
    "[A-Za-zÄÖÜäöüß0-9 §„“\"'()\\-:,.]{1,60}".prop_filter("a letter or digit", |s| {
        s.chars().any(char::is_alphanumeric)
    })
}

fn target(year: i32) -> impl Strategy<Value = Target> {
    prop_oneof![
        (0f64..1e7).prop_map(|value| Target::Annual { value }),
        (1u32..=365).prop_map(move |d| Target::Milestone {
            due: chrono::NaiveDate::from_yo_opt(year, d).unwrap()
        }),
        proptest::collection::vec(proptest::option::of(0f64..1e6), 12).prop_map(move |cells| {
            // At least one month has a target.
            let mut values = std::collections::BTreeMap::new();
            for (i, v) in cells.iter().enumerate() {
                if let Some(v) = v {
                    values.insert(YearMonth::new(year, i as u32 + 1).unwrap(), *v);
                }
            }
            values
                .entry(YearMonth::new(year, 12).unwrap())
                .or_insert(1.0);
            Target::Monthly { values }
        }),
    ]
}

fn added(year: i32) -> impl Strategy<Value = Added> {
    (
        text(),
        proptest::option::of((text(), prop::sample::select(AreaKind::ALL.to_vec()))),
        (
            "[A-Z][A-Z0-9_]{0,20}",
            text(),
            prop::sample::select(vec![Unit::Count, Unit::Percent, Unit::Euro, Unit::Days]),
            prop::sample::select(Direction::ALL.to_vec()),
            prop::sample::select(Accumulation::ALL.to_vec()),
            any::<bool>(),
        ),
        prop::sample::select(PartyRole::ALL.to_vec()),
        prop::sample::select(Origin::ALL.to_vec()),
        target(year),
        prop_oneof![
            (0f64..100.0).prop_map(|percent| Tolerance::Relative { percent }),
            (0f64..1000.0).prop_map(|value| Tolerance::Absolute { value }),
            (0u32..60).prop_map(|days| Tolerance::Days { days }),
        ],
    )
        .prop_map(
            |(title, new_area, indicator, responsible, origin, target, tolerance)| Added {
                title,
                new_area,
                indicator,
                responsible,
                origin,
                target,
                tolerance,
            },
        )
}

/// The agreement after the additions the rules accept, in order (refused ones change nothing,
/// as in the browser).
fn build(mut a: Agreement, adds: &[Added]) -> Agreement {
    for x in adds {
        let (code, name, unit, direction, accumulation, ratio) = x.indicator.clone();
        let milestone = matches!(x.target, Target::Milestone { .. });
        let cmd = AddGoal {
            agreement: a.key().to_string(),
            area: match &x.new_area {
                Some((title, kind)) => AreaChoice::New {
                    title: title.clone(),
                    kind: *kind,
                },
                None => AreaChoice::Existing(a.areas[0].key.to_string()),
            },
            title: x.title.clone(),
            description: String::new(),
            responsible: x.responsible,
            origin: x.origin,
            indicator: IndicatorChoice::New(NewIndicator {
                code,
                name,
                unit: if milestone { Unit::Milestone } else { unit },
                direction,
                accumulation,
                ratio: ratio && !milestone,
            }),
            target: x.target.clone(),
            tolerance: x.tolerance,
        };
        if let Ok((goal, area, indicator)) = new_goal(&a, &cmd) {
            a.areas.extend(area);
            a.indicators.extend(indicator);
            a.goals.push(goal);
        }
    }
    a
}

/// A change to the rest of the draft, as the forms make it: `which` picks the area, indicator or
/// goals by position.
#[derive(Debug, Clone)]
enum Change {
    Area {
        which: usize,
        title: String,
        kind: AreaKind,
        description: String,
    },
    Indicator {
        which: usize,
        name: String,
        direction: Direction,
        accumulation: Accumulation,
    },
    Measure {
        title: String,
        effect: String,
        responsible: PartyRole,
        goals: Vec<usize>,
        months: (u32, Option<u32>),
    },
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        (
            any::<usize>(),
            text(),
            prop::sample::select(AreaKind::ALL.to_vec()),
            text()
        )
            .prop_map(|(which, title, kind, description)| Change::Area {
                which,
                title,
                kind,
                description
            }),
        (
            any::<usize>(),
            text(),
            prop::sample::select(Direction::ALL.to_vec()),
            prop::sample::select(Accumulation::ALL.to_vec())
        )
            .prop_map(|(which, name, direction, accumulation)| Change::Indicator {
                which,
                name,
                direction,
                accumulation
            }),
        (
            text(),
            text(),
            prop::sample::select(PartyRole::ALL.to_vec()),
            proptest::collection::vec(any::<usize>(), 1..4),
            (1u32..=12, proptest::option::of(1u32..=12))
        )
            .prop_map(
                |(title, effect, responsible, goals, months)| Change::Measure {
                    title,
                    effect,
                    responsible,
                    goals,
                    months
                }
            ),
    ]
}

/// The draft after the changes the rules accept, in order.
fn changed(mut a: Agreement, changes: &[Change]) -> Agreement {
    use zielwerk_app::drafting::{
        AddMeasure, area_problems, defined_outside, indicator_problems, new_measure,
    };
    for c in changes {
        match c {
            Change::Area {
                which,
                title,
                kind,
                description,
            } => {
                let mut x = a.areas[which % a.areas.len()].clone();
                x.title = title.trim().to_owned();
                x.kind = *kind;
                x.description = description.clone();
                if area_problems(&a, &x).is_empty() {
                    let slot = a.areas.iter_mut().find(|y| y.key == x.key).unwrap();
                    *slot = x;
                }
            }
            Change::Indicator {
                which,
                name,
                direction,
                accumulation,
            } => {
                let own: Vec<usize> = (0..a.indicators.len())
                    .filter(|i| !defined_outside(&a.indicators[*i].code))
                    .collect();
                let mut x = a.indicators[own[which % own.len()]].clone();
                x.name = name.trim().to_owned();
                x.direction = *direction;
                x.accumulation = *accumulation;
                if indicator_problems(&a, &x).is_empty() {
                    let slot = a.indicators.iter_mut().find(|y| y.code == x.code).unwrap();
                    *slot = x;
                }
            }
            Change::Measure {
                title,
                effect,
                responsible,
                goals,
                months,
            } => {
                let cmd = AddMeasure {
                    agreement: a.key().to_string(),
                    title: title.clone(),
                    description: String::new(),
                    expected_effect: effect.clone(),
                    responsible: *responsible,
                    start: YearMonth::new(a.year, months.0).unwrap(),
                    end: months
                        .1
                        .map(|m| YearMonth::new(a.year, m.max(months.0)).unwrap()),
                    goals: goals
                        .iter()
                        .map(|i| a.goals[i % a.goals.len()].key.to_string())
                        .collect(),
                };
                if let Ok(m) = new_measure(&a, &cmd) {
                    a.measures.push(m);
                }
            }
        }
    }
    a
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn web_built_agreements_round_trip_through_their_file(
        adds in proptest::collection::vec(added(2023), 1..6),
        changes in proptest::collection::vec(change(), 0..8),
    ) {
        let last = parse("mettmann-2022.toml", EXAMPLE).unwrap();
        let a = changed(build(last.for_next_year(), &adds), &changes);
        prop_assert!(a.check().is_empty(), "{:?}", a.check());
        let file = export(&a);
        let back = parse("export.toml", &file).unwrap_or_else(|e| panic!("{e}\n{file}"));
        prop_assert_eq!(back, a);
    }
}

#[test]
fn the_generator_adds_goals_the_rules_accept() {
    // Not every generated addition passes, but most do: the property above tests real drafts.
    let last = parse("mettmann-2022.toml", EXAMPLE).unwrap();
    let base = last.for_next_year();
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = proptest::collection::vec(added(2023), 5);
    let mut goals = 0;
    for _ in 0..20 {
        let adds = strategy.new_tree(&mut runner).unwrap().current();
        goals += build(base.clone(), &adds).goals.len() - base.goals.len();
    }
    assert!(goals >= 50, "only {goals} of 100 additions accepted");
    // And most changes to the rest of the draft too.
    let changes = proptest::collection::vec(change(), 10);
    let (mut measures, mut areas) = (0, 0);
    for _ in 0..10 {
        let list = changes.new_tree(&mut runner).unwrap().current();
        let after = changed(base.clone(), &list);
        measures += after.measures.len() - base.measures.len();
        areas += after
            .areas
            .iter()
            .zip(&base.areas)
            .filter(|(x, y)| x != y)
            .count();
    }
    assert!(
        measures >= 10 && areas >= 5,
        "{measures} Handlungsansätze, {areas} areas changed"
    );
}
