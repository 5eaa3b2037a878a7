//! Agreements built the way the browser builds them round-trip through their TOML file: next
//! year prepared from this year, goals with new indicators and areas added, targets of every
//! kind set (annual values, milestones, monthly trajectories with empty months).

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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn web_built_agreements_round_trip_through_their_file(adds in proptest::collection::vec(added(2023), 1..6)) {
        let last = parse("mettmann-2022.toml", EXAMPLE).unwrap();
        let a = build(last.for_next_year(), &adds);
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
}
