//! The report models of the demo, as snapshots (reviewed like code), and the suppression step
//! applied to a goal with small case numbers.

mod common;
use common::demo_values;

use zielwerk_domain::{Observation, SourceKind, YearMonth};
use zielwerk_engine::assess_agreement;
use zielwerk_report::model::{self, Audience};

#[test]
fn the_demo_vorlage_model() {
    let (agreement, values) = demo_values();
    let header = zielwerk_demo::mettmann_vorlage(&agreement);
    let obs: Vec<Observation> = values.iter().map(|v| v.observation.clone()).collect();
    let state = assess_agreement(&agreement, &obs, header.as_of.unwrap());
    let v = model::vorlage(&header, &state, &values, &[], &Default::default());
    assert_eq!(v.charts.len(), agreement.goals.len());
    assert!(v.charts.iter().all(|c| c.svg.starts_with("<svg")));
    insta::assert_json_snapshot!("vorlage_mettmann_2022_09", v);
}

#[test]
fn the_demo_monitoring_model() {
    let (agreement, values) = demo_values();
    let obs: Vec<Observation> = values.iter().map(|v| v.observation.clone()).collect();
    let state = assess_agreement(&agreement, &obs, YearMonth::new(2022, 9).unwrap());
    let created = chrono::NaiveDate::from_ymd_opt(2022, 10, 14).unwrap();
    let m = model::monitoring(
        &state,
        &values,
        &[],
        &[],
        Audience::Internal,
        created,
        &Default::default(),
    );
    let ranks: Vec<&str> = m.rows.iter().map(|r| r.status_key.as_str()).collect();
    let first_other = ranks.iter().position(|s| *s != "missed").unwrap();
    assert!(
        ranks[first_other..].iter().all(|s| *s != "missed"),
        "{ranks:?}"
    );
    insta::assert_json_snapshot!("monitoring_mettmann_2022_09", m);
}

/// The Suchtberatung referrals with a month of 2 cases: public documents hide that month and
/// enough of the running sums that it cannot be recovered; internal ones show everything.
#[test]
fn public_documents_suppress_small_case_numbers() {
    let (agreement, mut values) = demo_values();
    let code: zielwerk_domain::IndicatorCode = "SUCHT_ZUWEISUNGEN".parse().unwrap();
    for v in values.iter_mut() {
        let o = &mut v.observation;
        if o.indicator == code && o.month == YearMonth::new(2022, 9).unwrap() {
            o.value = Some(2.0);
        }
    }
    assert!(
        values
            .iter()
            .any(|v| v.observation.indicator == code && v.source_kind == SourceKind::Demo)
    );
    let obs: Vec<Observation> = values.iter().map(|v| v.observation.clone()).collect();
    let state = assess_agreement(&agreement, &obs, YearMonth::new(2022, 9).unwrap());
    let goal = state
        .goals
        .iter()
        .find(|g| g.indicator.code == code)
        .unwrap();
    let title = goal.goal.title.clone();
    let created = chrono::NaiveDate::from_ymd_opt(2022, 10, 14).unwrap();

    // Printed in public: every month's cases (Excel) and the running sums (chart, tables).
    // September's 2 cases are suppressed; they would follow from August's and September's sums,
    // so one more month goes.
    let public = model::monitoring(
        &state,
        &values,
        &[],
        &[],
        Audience::Public,
        created,
        &Default::default(),
    );
    let counts = "2 Monatswerte gesperrt: 1 wegen kleiner Fallzahlen, 1 damit";
    assert!(
        public.confidentiality.contains(counts),
        "{}",
        public.confidentiality
    );
    let internal = model::monitoring(
        &state,
        &values,
        &[],
        &[],
        Audience::Internal,
        created,
        &Default::default(),
    );
    assert!(internal.confidentiality.starts_with("Interne Fassung"));

    let header = zielwerk_demo::mettmann_vorlage(&agreement);
    let v = model::vorlage(&header, &state, &values, &[], &Default::default());
    assert!(v.confidentiality.contains(counts), "{}", v.confidentiality);
    let block = v
        .sections
        .iter()
        .flat_map(|s| &s.goals)
        .find(|g| g.title == title)
        .unwrap();
    assert!(block.table.as_ref().unwrap().caption.contains("gesperrt"));
    let chart = &v
        .charts
        .iter()
        .find(|c| Some(&c.name) == block.chart.as_ref())
        .unwrap()
        .svg;
    // The suppressed months are not drawn: two points fewer than in the internal chart.
    let g = state
        .goals
        .iter()
        .find(|g| g.indicator.code == code)
        .unwrap();
    let internal_chart = zielwerk_report::present::goal_chart(
        g,
        2022,
        YearMonth::new(2022, 9).unwrap(),
        &[],
        "x",
        &Default::default(),
        &[],
    );
    assert_eq!(
        chart.matches("<circle").count() + 2,
        internal_chart.matches("<circle").count()
    );
}

/// A goal verfehlt asks for an explanation of its value before the monitoring report is final;
/// comments show in the report (authors only internally), open action items are listed with
/// overdue ones marked, and the public version names parties, never persons.
#[test]
fn monitoring_is_a_draft_until_every_missed_goal_is_explained() {
    use zielwerk_domain::{ActionItem, ActionStatus, PartyRole, ValueComment};
    let (agreement, values) = demo_values();
    let obs: Vec<Observation> = values.iter().map(|v| v.observation.clone()).collect();
    let as_of = YearMonth::new(2022, 9).unwrap();
    let state = assess_agreement(&agreement, &obs, as_of);
    let created = chrono::NaiveDate::from_ymd_opt(2022, 10, 14).unwrap();
    let draft = model::monitoring(
        &state,
        &values,
        &[],
        &[],
        Audience::Internal,
        created,
        &Default::default(),
    );
    let missed: Vec<_> = state
        .goals
        .iter()
        .filter(|g| g.assessment.status == zielwerk_engine::Status::Missed)
        .collect();
    assert!(
        !missed.is_empty(),
        "the demo has goals verfehlt in September"
    );
    assert_eq!(draft.version, "Entwurf");
    assert_eq!(draft.missing_explanations.len(), missed.len());

    // A comment on another month does not explain this month's value.
    let comment = |g: &zielwerk_engine::GoalState<'_>, m: YearMonth| ValueComment {
        indicator: g.indicator.code.clone(),
        month: m,
        text: "Sondereffekt Umzug der Leistungsabteilung".into(),
        author: "Controlling".into(),
    };
    let mut comments: Vec<ValueComment> = missed
        .iter()
        .skip(1)
        .map(|g| comment(g, g.assessment.month.unwrap()))
        .collect();
    comments.push(comment(missed[0], YearMonth::new(2022, 3).unwrap()));
    let almost = model::monitoring(
        &state,
        &values,
        &comments,
        &[],
        Audience::Internal,
        created,
        &Default::default(),
    );
    assert_eq!(almost.missing_explanations.len(), 1);
    assert!(almost.missing_explanations[0].starts_with(&missed[0].goal.title));
    comments.push(comment(missed[0], missed[0].assessment.month.unwrap()));

    let action = |due: &str, status| ActionItem {
        what: "Konzept Fallkonferenzen vorlegen".into(),
        owner_party: PartyRole::Jobcenter,
        owner_person: "Herr Muster".into(),
        due: due.parse().unwrap(),
        status,
        goal: Some(missed[0].goal.key.clone()),
        measure: None,
    };
    let actions = [
        action("2022-10-13", ActionStatus::Open),
        action("2022-10-14", ActionStatus::InProgress),
        action("2022-09-01", ActionStatus::Done),
    ];
    let done = model::monitoring(
        &state,
        &values,
        &comments,
        &actions,
        Audience::Internal,
        created,
        &Default::default(),
    );
    assert_eq!(done.version, "endgültig");
    assert!(done.missing_explanations.is_empty());
    let row = done
        .rows
        .iter()
        .find(|r| r.title == missed[0].goal.title)
        .unwrap();
    assert_eq!(row.comments.len(), 2);
    assert!(
        row.comments[1]
            .text
            .ends_with("Sondereffekt Umzug der Leistungsabteilung (Controlling)")
    );
    assert_eq!(done.actions.len(), 2, "erledigt is not listed");
    assert_eq!(
        done.actions.iter().map(|a| a.overdue).collect::<Vec<_>>(),
        [true, false],
        "due yesterday is overdue, due today is not"
    );
    assert_eq!(done.actions[0].owner, "Jobcenter (Herr Muster)");
    assert_eq!(
        done.actions_note,
        "2 Aufgaben offen, davon 1 überfällig (Stand 14.10.2022)."
    );
    let public = model::monitoring(
        &state,
        &values,
        &comments,
        &actions,
        Audience::Public,
        created,
        &Default::default(),
    );
    assert_eq!(public.actions[0].owner, "Jobcenter");
    let row = public
        .rows
        .iter()
        .find(|r| r.title == missed[0].goal.title)
        .unwrap();
    assert!(!row.comments[1].text.contains("Controlling"));
}

#[test]
fn a_goal_chart_shows_three_years_before_the_agreement_year_however_long_the_history() {
    let (agreement, values) = demo_values();
    // The demo's values of 2019, copied back to 2005: 18 years on record.
    let mut obs: Vec<Observation> = values.iter().map(|v| v.observation.clone()).collect();
    let earlier: Vec<Observation> = obs
        .iter()
        .filter(|o| o.month.year() == 2019 && o.breakdown.is_none())
        .flat_map(|o| {
            (2005..2019).map(move |y| Observation {
                month: YearMonth::new(y, o.month.month()).unwrap(),
                ..o.clone()
            })
        })
        .collect();
    obs.extend(earlier);
    let as_of = YearMonth::new(2022, 6).unwrap();
    let state = assess_agreement(&agreement, &obs, as_of);
    let bg = state
        .goals
        .iter()
        .find(|g| g.indicator.code.as_str() == "BG")
        .expect("a goal on BG");
    assert_eq!(
        bg.series.keys().next(),
        Some(&YearMonth::new(2005, 1).unwrap())
    );
    let svg = zielwerk_report::present::goal_chart(
        bg,
        2022,
        as_of,
        &[],
        "chart",
        &Default::default(),
        &[],
    );
    assert!(svg.contains("von Januar 2019 bis Juni 2022"), "{svg}");
    assert!(!svg.contains("2005"), "{svg}");
}
