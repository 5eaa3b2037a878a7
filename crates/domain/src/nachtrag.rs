//! The differences between two versions of an agreement (a Nachtrag and what it amends), in
//! words, for the page that shows what the parties sign again.

use std::collections::BTreeMap;

use crate::agreement::{Agreement, Goal, Measure, Target, Tolerance};
use crate::format::number;

/// One difference: where, and the text before and after (empty when added or removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// E.g. "Ziel „Integrationsquote erhöhen“".
    pub place: String,
    /// E.g. "Zielwert".
    pub field: String,
    pub before: String,
    pub after: String,
}

fn num(v: f64) -> String {
    if v.fract() == 0.0 {
        number(v, 0)
    } else {
        number(v, 2)
    }
}

/// A target in words.
pub fn target_text(t: &Target) -> String {
    match t {
        Target::Annual { value } => num(*value),
        Target::Monthly { values } => values
            .iter()
            .map(|(m, v)| format!("{m}: {}", num(*v)))
            .collect::<Vec<_>>()
            .join(", "),
        Target::Milestone { due } => format!("bis {}", due.format("%d.%m.%Y")),
    }
}

/// A tolerance in words.
pub fn tolerance_text(t: &Tolerance) -> String {
    match t {
        Tolerance::Absolute { value } => num(*value),
        Tolerance::Relative { percent } => format!("{} %", num(*percent)),
        Tolerance::Days { days } => format!("{days} Tage"),
    }
}

fn goal_fields(g: &Goal) -> Vec<(&'static str, String)> {
    vec![
        ("Titel", g.title.clone()),
        ("Beschreibung", g.description.clone()),
        ("Verantwortlich", g.responsible.label_de().to_owned()),
        ("Kennzahl", g.indicator.to_string()),
        ("Zielart", g.target.kind_de().to_owned()),
        ("Zielwert", target_text(&g.target)),
        ("Toleranz", tolerance_text(&g.tolerance)),
    ]
}

fn measure_fields(m: &Measure) -> Vec<(&'static str, String)> {
    vec![
        ("Titel", m.title.clone()),
        ("Beschreibung", m.description.clone()),
        ("Wirkungserwartung", m.expected_effect.clone()),
        ("Verantwortlich", m.responsible.label_de().to_owned()),
        ("Beginn", m.start.german_long()),
        (
            "Ende",
            m.end
                .map(|e| e.german_long())
                .unwrap_or_else(|| "offen".into()),
        ),
        (
            "Ziele",
            m.goals
                .iter()
                .map(|g| g.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        ),
    ]
}

/// Compares keyed items field by field; added and removed items are one difference each.
fn compare<T>(
    out: &mut Vec<Difference>,
    kind: &str,
    old: &[T],
    new: &[T],
    key: impl Fn(&T) -> String,
    title: impl Fn(&T) -> String,
    fields: impl Fn(&T) -> Vec<(&'static str, String)>,
) {
    let old_by: BTreeMap<String, &T> = old.iter().map(|x| (key(x), x)).collect();
    let new_by: BTreeMap<String, &T> = new.iter().map(|x| (key(x), x)).collect();
    for x in new {
        let place = format!("{kind} „{}“", title(x));
        match old_by.get(&key(x)) {
            None => out.push(Difference {
                place,
                field: "neu aufgenommen".into(),
                before: String::new(),
                after: fields(x)
                    .into_iter()
                    .map(|(f, v)| format!("{f}: {v}"))
                    .collect::<Vec<_>>()
                    .join("; "),
            }),
            Some(o) => {
                for ((field, before), (_, after)) in fields(o).into_iter().zip(fields(x)) {
                    if before != after {
                        out.push(Difference {
                            place: place.clone(),
                            field: field.into(),
                            before,
                            after,
                        });
                    }
                }
            }
        }
    }
    for x in old {
        if !new_by.contains_key(&key(x)) {
            out.push(Difference {
                place: format!("{kind} „{}“", title(x)),
                field: "gestrichen".into(),
                before: title(x),
                after: String::new(),
            });
        }
    }
}

/// What the draft of next year changes against last year's agreement: the differences from last
/// year carried a year on ([`Agreement::for_next_year`]), so that a target carried unchanged is
/// no difference and only what the parties changed in the draft is listed.
pub fn changes_from_last_year(last: &Agreement, draft: &Agreement) -> Vec<Difference> {
    differences(&last.for_next_year(), draft)
}

/// What `new` changes against `old`: title, goals and measures (by key), the parties' names.
/// Status and signatures are not content and are never listed.
pub fn differences(old: &Agreement, new: &Agreement) -> Vec<Difference> {
    let mut out = Vec::new();
    if old.title != new.title {
        out.push(Difference {
            place: "Vereinbarung".into(),
            field: "Titel".into(),
            before: old.title.clone(),
            after: new.title.clone(),
        });
    }
    compare(
        &mut out,
        "Partei",
        &old.parties,
        &new.parties,
        |p| p.role.as_str().to_owned(),
        |p| p.role.label_de().to_owned(),
        |p| {
            vec![
                ("Name", p.name.clone()),
                ("Unterzeichnet durch", p.signatory.clone()),
            ]
        },
    );
    compare(
        &mut out,
        "Ziel",
        &old.goals,
        &new.goals,
        |g| g.key.to_string(),
        |g| g.title.clone(),
        goal_fields,
    );
    compare(
        &mut out,
        "Handlungsansatz",
        &old.measures,
        &new.measures,
        |m| m.key.to_string(),
        |m| m.title.clone(),
        measure_fields,
    );
    compare(
        &mut out,
        "Reihenbruch",
        &old.breaks,
        &new.breaks,
        |b| format!("{}@{}", b.indicator, b.month),
        |b| format!("{} ab {}", b.indicator, b.month.german_long()),
        |b| vec![("Grund", b.reason.clone())],
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agreement::{AgreementStatus, AreaKind, GoalArea, Jobcenter, Origin, PartyRole};

    fn goal(key: &str, title: &str) -> Goal {
        Goal {
            key: key.parse().unwrap(),
            area: "kdu".parse().unwrap(),
            title: title.into(),
            description: String::new(),
            responsible: PartyRole::Kreis,
            origin: Origin::Agreement,
            indicator: "BG".parse().unwrap(),
            target: Target::Annual { value: 1000.0 },
            tolerance: Tolerance::Absolute { value: 10.0 },
        }
    }

    fn sample() -> Agreement {
        Agreement {
            jobcenter: Jobcenter {
                ba_id: "t36402".parse().unwrap(),
                name: "JC".into(),
                ags: "05158".parse().unwrap(),
                vergleichstyp: None,
            },
            year: 2022,
            version: 1,
            status: AgreementStatus::Signed,
            title: "T".into(),
            parties: vec![],
            areas: vec![GoalArea {
                key: "kdu".parse().unwrap(),
                title: "KdU".into(),
                kind: AreaKind::Municipal,
                description: String::new(),
            }],
            indicators: vec![],
            goals: vec![goal("bg", "BG senken"), goal("kdu", "KdU begrenzen")],
            measures: vec![],
            breaks: vec![],
        }
    }

    #[test]
    fn a_changed_target_an_added_and_a_removed_goal_are_listed() {
        let old = sample();
        let mut new = old.clone();
        new.version = 2;
        new.status = AgreementStatus::Draft;
        assert!(
            differences(&old, &new).is_empty(),
            "status and version are not content"
        );

        new.goals[0].target = Target::Annual { value: 1234.5 };
        let removed = new.goals.remove(1);
        let mut added = new.goals[0].clone();
        added.key = "neu".parse().unwrap();
        added.title = "Neues Ziel".into();
        new.goals.push(added);
        let d = differences(&old, &new);
        let target = d
            .iter()
            .find(|d| d.field == "Zielwert")
            .expect("target change");
        assert_eq!(target.after, "1.234,50");
        assert_eq!(target.place, format!("Ziel „{}“", old.goals[0].title));
        assert!(
            d.iter()
                .any(|d| d.field == "neu aufgenommen" && d.place == "Ziel „Neues Ziel“")
        );
        assert!(
            d.iter()
                .any(|d| d.field == "gestrichen" && d.before == removed.title)
        );
        assert_eq!(d.len(), 3, "{d:#?}");
    }

    #[test]
    fn targets_and_tolerances_in_words() {
        assert_eq!(target_text(&Target::Annual { value: 18500.0 }), "18.500");
        assert_eq!(
            target_text(&Target::Milestone {
                due: chrono::NaiveDate::from_ymd_opt(2022, 6, 30).unwrap()
            }),
            "bis 30.06.2022"
        );
        assert_eq!(
            tolerance_text(&Tolerance::Relative { percent: 2.5 }),
            "2,50 %"
        );
        assert_eq!(tolerance_text(&Tolerance::Days { days: 30 }), "30 Tage");
    }

    #[test]
    fn next_year_carries_everything_a_year_on_unsigned() {
        use crate::agreement::{Measure, Party};
        use crate::month::YearMonth;
        let ym = |s: &str| s.parse::<YearMonth>().unwrap();
        let mut last = sample();
        last.title = "Zielvereinbarung 2022".into();
        last.parties = vec![Party {
            role: PartyRole::Kreis,
            name: "Kreis".into(),
            signatory: "Landrat".into(),
            signed_on: chrono::NaiveDate::from_ymd_opt(2022, 1, 20),
        }];
        last.goals[0].target = Target::Monthly {
            values: [(ym("2022-01"), 10.0), (ym("2022-12"), 12.0)].into(),
        };
        last.goals[1].target = Target::Milestone {
            due: chrono::NaiveDate::from_ymd_opt(2020, 2, 29).unwrap(),
        };
        let measure = |key: &str, start: &str, end: Option<&str>| Measure {
            key: key.parse().unwrap(),
            title: key.into(),
            description: String::new(),
            expected_effect: String::new(),
            responsible: PartyRole::Kreis,
            start: ym(start),
            end: end.map(ym),
            goals: vec![],
        };
        last.measures = vec![
            measure("ende", "2022-04", Some("2022-09")),
            measure("laeuft", "2021-03", None),
            measure("spaeter", "2022-01", Some("2024-12")),
        ];
        let next = last.for_next_year();
        assert_eq!((next.year, next.version), (2023, 1));
        assert_eq!(next.status, AgreementStatus::Draft);
        assert_eq!(next.title, "Zielvereinbarung 2023");
        assert_eq!(next.parties[0].signed_on, None);
        assert_eq!(next.parties[0].signatory, "Landrat");
        assert_eq!(
            next.goals[0].target,
            Target::Monthly {
                values: [(ym("2023-01"), 10.0), (ym("2023-12"), 12.0)].into()
            }
        );
        assert_eq!(
            next.goals[1].target,
            Target::Milestone {
                due: chrono::NaiveDate::from_ymd_opt(2021, 2, 28).unwrap()
            },
            "29 February becomes the 28th"
        );
        let span = |m: &Measure| (m.start.to_string(), m.end.map(|e| e.to_string()));
        assert_eq!(
            span(&next.measures[0]),
            ("2023-04".into(), Some("2023-09".into()))
        );
        assert_eq!(span(&next.measures[1]), ("2021-03".into(), None));
        assert_eq!(
            span(&next.measures[2]),
            ("2022-01".into(), Some("2024-12".into()))
        );
        assert!(
            changes_from_last_year(&last, &next).is_empty(),
            "carried unchanged is no change"
        );
        let mut changed = next.clone();
        changed.goals[0].target = Target::Annual { value: 11.0 };
        let d = changes_from_last_year(&last, &changed);
        assert!(
            d.iter().any(|d| d.field == "Zielwert" && d.after == "11"),
            "{d:#?}"
        );
    }
}
