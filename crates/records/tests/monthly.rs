//! The monthly components from records: hand-computed cases at the legal edges, and every
//! component against counting day by day, person by person, with the rules written as plainly
//! as they read; then the 15 key figures the engine computes from either.

use chrono::NaiveDate;
use proptest::prelude::*;
use zielwerk_records::{
    Continuity, Integration, IntegrationKind, Month, Payment, Period, Records, Spell, Spells,
};

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn month(s: &str) -> Month {
    let (y, m) = s.split_once('-').unwrap();
    Month::new(y.parse().unwrap(), m.parse().unwrap()).unwrap()
}

fn spell(person: u32, jobcenter: u16, from: &str, to: Option<&str>) -> Spell {
    Spell {
        person,
        bg: person,
        jobcenter,
        from: date(from),
        to: to.map(date),
        erwerbsfaehig: true,
        alleinerziehend: false,
    }
}

fn integration(person: u32, on: &str, kind: IntegrationKind) -> Integration {
    Integration {
        person,
        date: date(on),
        kind,
    }
}

fn period(person: u32, from: &str, to: Option<&str>) -> Period {
    Period {
        person,
        from: date(from),
        to: to.map(date),
    }
}

fn records(spells: &[Spell], integrations: &[Integration], employment: &[Period]) -> Records {
    Records::new(
        Spells::new(spells).unwrap(),
        integrations,
        employment,
        Some(date("2023-12-31")),
        &[],
        Vec::new(),
    )
    .unwrap()
}

#[test]
fn a_change_of_jobcenter_is_neither_inflow_nor_outflow() {
    let r = records(
        &[
            spell(1, 1, "2022-01-10", Some("2022-03-14")),
            spell(1, 2, "2022-03-15", Some("2022-05-31")),
        ],
        &[],
        &[],
    );
    let m = r.monthly(month("2022-01"), month("2022-06"), 2);
    let at = |jc, s| m.get(jc, month(s)).unwrap();
    assert_eq!((at(1, "2022-01").elb_zugang, at(1, "2022-01").elb), (1, 1));
    assert_eq!(at(1, "2022-02").elb, 1);
    // March: moved to Jobcenter 2 on the 15th.
    assert_eq!((at(1, "2022-03").elb, at(1, "2022-03").elb_abgang), (0, 0));
    assert_eq!((at(2, "2022-03").elb, at(2, "2022-03").elb_zugang), (1, 0));
    // In need up to 31 May, the reporting date: in May's stock, the outflow in June.
    assert_eq!((at(2, "2022-05").elb, at(2, "2022-05").elb_abgang), (1, 0));
    assert_eq!((at(2, "2022-06").elb, at(2, "2022-06").elb_abgang), (0, 1));
}

#[test]
fn in_need_on_the_reporting_date_only_is_an_inflow_and_in_the_stock() {
    let r = records(&[spell(1, 1, "2022-06-30", Some("2022-06-30"))], &[], &[]);
    let m = r.monthly(month("2022-06"), month("2022-07"), 1);
    let june = m.get(1, month("2022-06")).unwrap();
    let july = m.get(1, month("2022-07")).unwrap();
    assert_eq!((june.elb, june.elb_zugang, june.elb_abgang), (1, 1, 0));
    assert_eq!((july.elb, july.elb_zugang, july.elb_abgang), (0, 0, 1));
}

#[test]
fn two_integrations_in_one_month_count_once_and_the_first_decides_its_kind() {
    let r = records(
        &[spell(1, 1, "2021-01-01", None)],
        &[
            integration(1, "2022-03-20", IntegrationKind::Beschaeftigung),
            integration(1, "2022-03-05", IntegrationKind::Ausbildung),
            // Another month: counted again.
            integration(1, "2022-04-01", IntegrationKind::Beschaeftigung),
            // Marginal employment is no integration and is counted on its own.
            integration(1, "2022-03-07", IntegrationKind::Minijob),
            integration(1, "2022-03-08", IntegrationKind::Minijob),
        ],
        &[],
    );
    let m = r.monthly(month("2022-03"), month("2022-04"), 1);
    let march = m.get(1, month("2022-03")).unwrap();
    assert_eq!(march.integrationen, 1);
    assert_eq!(march.integrationen_svb, 0, "the first, a training, counted");
    assert_eq!(march.zugang_minijob, 1);
    let april = m.get(1, month("2022-04")).unwrap();
    assert_eq!((april.integrationen, april.integrationen_svb), (1, 1));
}

#[test]
fn an_integration_counts_where_the_person_was_an_elb_the_day_before() {
    // Need ends on the day before the job starts: the integration of an ELB of Jobcenter 3.
    let r = records(
        &[spell(1, 3, "2022-01-01", Some("2022-05-14"))],
        &[
            integration(1, "2022-05-15", IntegrationKind::Beschaeftigung),
            // Long after need ended: no integration of an ELB.
            integration(2, "2022-05-20", IntegrationKind::Beschaeftigung),
        ],
        &[],
    );
    let m = r.monthly(month("2022-05"), month("2022-05"), 1);
    assert_eq!(m.get(3, month("2022-05")).unwrap().integrationen, 1);
    let r = records(
        &[spell(1, 3, "2022-01-01", Some("2022-05-10"))],
        &[integration(
            1,
            "2022-05-15",
            IntegrationKind::Beschaeftigung,
        )],
        &[],
    );
    let m = r.monthly(month("2022-05"), month("2022-05"), 1);
    assert_eq!(m.get(3, month("2022-05")).unwrap().integrationen, 0);
}

#[test]
fn continuity_needs_employment_at_each_of_the_six_following_reporting_dates() {
    let spells = [spell(1, 1, "2021-01-01", Some("2022-01-14")), {
        Spell {
            person: 2,
            ..spell(2, 1, "2021-01-01", Some("2022-01-14"))
        }
    }];
    let ints = [
        integration(1, "2022-01-15", IntegrationKind::Beschaeftigung),
        integration(2, "2022-01-15", IntegrationKind::Beschaeftigung),
    ];
    // Person 1 stays employed to the end of July (the sixth month after January); person 2
    // leaves on 30 July, a day before the sixth reporting date.
    let employment = [
        period(1, "2022-01-15", Some("2022-07-31")),
        period(2, "2022-01-15", Some("2022-07-30")),
    ];
    let m = records(&spells, &ints, &employment).monthly(month("2022-01"), month("2022-01"), 1);
    let jan = m.get(1, month("2022-01")).unwrap();
    assert_eq!(jan.integrationen_svb, 2);
    assert_eq!(jan.integrationen_svb_kontinuierlich, Continuity::Known(1));
}

#[test]
fn continuity_is_pending_until_the_employment_records_reach_the_sixth_month() {
    let r = Records::new(
        Spells::new(&[spell(1, 1, "2021-01-01", Some("2022-06-14"))]).unwrap(),
        &[integration(
            1,
            "2022-06-15",
            IntegrationKind::Beschaeftigung,
        )],
        &[period(1, "2022-06-15", None)],
        Some(date("2022-12-30")),
        &[],
        Vec::new(),
    )
    .unwrap();
    let m = r.monthly(month("2022-05"), month("2022-06"), 1);
    let june = m.get(1, month("2022-06")).unwrap();
    assert_eq!(june.integrationen_svb, 1);
    assert_eq!(june.integrationen_svb_kontinuierlich.known(), None);
    assert_eq!(
        june.integrationen_svb_kontinuierlich.reason().unwrap(),
        "Noch kein Wert: die sechs Folgemonate reichen bis 31.12.2022, die Beschäftigungsdaten bis 30.12.2022"
    );
    // May's six following months end on 30 November: known (none to count).
    assert_eq!(
        m.get(1, month("2022-05"))
            .unwrap()
            .integrationen_svb_kontinuierlich,
        Continuity::Known(0)
    );
}

#[test]
fn lzb_inflow_when_the_638th_day_is_reached_and_outflow_at_the_end_of_need() {
    // In need from 1 January 2021: on 30 September 2022 that is 638 days (365 + 273).
    let r = records(&[spell(1, 4, "2021-01-01", Some("2022-11-15"))], &[], &[]);
    let m = r.monthly(month("2022-08"), month("2022-12"), 1);
    let at = |s| m.get(4, month(s)).unwrap();
    assert_eq!((at("2022-08").lzb, at("2022-08").lzb_zugang), (0, 0));
    assert_eq!((at("2022-09").lzb, at("2022-09").lzb_zugang), (1, 1));
    assert_eq!((at("2022-10").lzb, at("2022-10").lzb_zugang), (1, 0));
    assert_eq!((at("2022-11").lzb, at("2022-11").lzb_abgang), (0, 1));
    assert_eq!(at("2022-11").elb_abgang, 1);
}

#[test]
fn payments_are_summed_per_jobcenter_and_month_in_cents() {
    let pay = |bg, jobcenter, m: &str, lu, uh| Payment {
        bg,
        jobcenter,
        month: month(m),
        lebensunterhalt: lu,
        unterkunft: uh,
    };
    let r = Records::new(
        Spells::new(&[]).unwrap(),
        &[],
        &[],
        None,
        &[],
        vec![
            pay(1, 1, "2022-01", 50_210, 61_099),
            pay(2, 1, "2022-01", 1, 1),
            pay(3, 2, "2022-01", 7, 8),
            pay(1, 1, "2022-02", 100, 200),
        ],
    )
    .unwrap();
    let m = r.monthly(month("2022-01"), month("2022-02"), 2);
    let jan = m.get(1, month("2022-01")).unwrap();
    assert_eq!((jan.llu_summe, jan.kdu_summe), (50_211, 61_100));
    assert_eq!(m.get(2, month("2022-01")).unwrap().llu_summe, 7);
    assert_eq!(m.get(1, month("2022-02")).unwrap().kdu_summe, 200);
}

/// The components counted day by day from the raw records, with each rule as it reads.
mod by_day {
    use super::*;
    use std::collections::BTreeMap;

    /// Per (Jobcenter, month index): the 17 counts in the order of `counts`.
    pub type Counts = BTreeMap<(u16, usize), [i64; 16]>;

    #[derive(Clone, Copy, PartialEq)]
    struct State {
        jc: u16,
        elb: bool,
        ae: bool,
    }

    fn state(spells: &[Spell], d: NaiveDate) -> Option<State> {
        // The spell that started latest among those covering the day (the first listed of
        // those that started the same day, as a stable sort leaves them).
        let mut covering: Vec<&Spell> = spells
            .iter()
            .filter(|s| s.from <= d && s.to.is_none_or(|t| d <= t))
            .collect();
        covering.sort_by_key(|s| s.from);
        covering.last().map(|s| State {
            jc: s.jobcenter,
            elb: s.erwerbsfaehig,
            ae: s.alleinerziehend,
        })
    }

    fn in_need(spells: &[Spell], d: NaiveDate) -> bool {
        spells
            .iter()
            .any(|s| s.from <= d && s.to.is_none_or(|t| d <= t))
    }

    fn lzb(spells: &[Spell], d: NaiveDate) -> bool {
        (0..730)
            .filter(|k| in_need(spells, d - chrono::Days::new(*k)))
            .count()
            >= 638
    }

    fn elb_at(spells: &[Spell], d: NaiveDate) -> Option<State> {
        state(spells, d).filter(|s| s.elb)
    }

    pub fn counts(
        spells: &[Spell],
        integrations: &[Integration],
        employment: &[Period],
        participations: &[Period],
        first: Month,
        months: usize,
    ) -> Counts {
        let mut out = Counts::new();
        let mut add = |jc: u16, m: usize, k: usize| out.entry((jc, m)).or_default()[k] += 1;
        let persons: std::collections::BTreeSet<u32> = spells.iter().map(|s| s.person).collect();
        let covers = |ps: &[Period], p: u32, d: NaiveDate| {
            ps.iter()
                .any(|x| x.person == p && x.from <= d && x.to.is_none_or(|t| d <= t))
        };
        for p in persons {
            // A stable sort by start keeps the input order of spells that start the same day,
            // as the engine's does.
            let mut mine: Vec<Spell> = spells.iter().filter(|s| s.person == p).copied().collect();
            mine.sort_by_key(|s| s.from);
            for m in 0..months {
                let month = first.plus(m as i32);
                let end = month.last_day();
                let prev_end = month.plus(-1).last_day();
                if let Some(s) = elb_at(&mine, end) {
                    add(s.jc, m, 0);
                    if s.ae {
                        add(s.jc, m, 1);
                    }
                    if lzb(&mine, end) {
                        add(s.jc, m, 2);
                        if covers(participations, p, end) {
                            add(s.jc, m, 3);
                        }
                    }
                }
                let now = elb_at(&mine, end).filter(|_| lzb(&mine, end));
                let before = elb_at(&mine, prev_end).filter(|_| lzb(&mine, prev_end));
                match (before, now) {
                    (None, Some(n)) => add(n.jc, m, 4),
                    (Some(b), None) => add(b.jc, m, 5),
                    _ => {}
                }
                let mut d = month.first_day();
                while d <= end {
                    let y = d.pred_opt().unwrap();
                    match (elb_at(&mine, y), elb_at(&mine, d)) {
                        (None, Some(t)) => add(t.jc, m, 6),
                        (Some(b), None) => add(b.jc, m, 7),
                        _ => {}
                    }
                    d = d.succ_opt().unwrap();
                }
                let mut ints: Vec<&Integration> = integrations
                    .iter()
                    .filter(|i| i.person == p && Month::of(i.date) == month)
                    .collect();
                ints.sort_by_key(|i| (i.date, i.kind));
                let status = |i: &Integration| {
                    let y = i.date.pred_opt().unwrap();
                    elb_at(&mine, y)
                        .map(|s| (y, s))
                        .or_else(|| elb_at(&mine, i.date).map(|s| (i.date, s)))
                };
                let counted = |pick: &dyn Fn(IntegrationKind) -> bool| {
                    ints.iter()
                        .filter(|i| pick(i.kind))
                        .find_map(|i| status(i).map(|s| (*i, s)))
                };
                if let Some((i, (sd, s))) = counted(&|k| k.is_integration()) {
                    add(s.jc, m, 8);
                    if s.ae {
                        add(s.jc, m, 9);
                    }
                    if lzb(&mine, sd) {
                        add(s.jc, m, 10);
                    }
                    if i.kind == IntegrationKind::Beschaeftigung {
                        add(s.jc, m, 11);
                        if (1..=6).all(|k| covers(employment, p, month.plus(k).last_day())) {
                            add(s.jc, m, 12);
                        }
                    }
                }
                if let Some((_, (_, s))) = counted(&|k| k == IntegrationKind::Minijob) {
                    add(s.jc, m, 13);
                }
                if let Some((_, (_, s))) = counted(&|k| k == IntegrationKind::OeffentlichGefoerdert)
                {
                    add(s.jc, m, 14);
                }
            }
        }
        out
    }
}

/// The engine's components in the order of [`by_day::counts`].
fn as_counts(c: &zielwerk_records::Components) -> [i64; 16] {
    [
        c.elb,
        c.elb_ae,
        c.lzb,
        c.lzb_aktiv,
        c.lzb_zugang,
        c.lzb_abgang,
        c.elb_zugang,
        c.elb_abgang,
        c.integrationen,
        c.integrationen_ae,
        c.integrationen_lzb,
        c.integrationen_svb,
        c.integrationen_svb_kontinuierlich.known().unwrap(),
        c.zugang_minijob,
        c.zugang_oeff_besch,
        0,
    ]
}

/// The 15 key figures of one Jobcenter as the engine computes them from monthly counts in
/// the order of [`by_day::counts`] (money left out: the payments are summed, not counted).
fn key_figures(
    first: Month,
    counts: impl Fn(usize) -> [i64; 16],
    months: usize,
) -> Vec<(String, zielwerk_engine::series::Series)> {
    use zielwerk_domain::{ValueStatus, YearMonth, keyfigures};
    use zielwerk_engine::series::{Point, SeriesSet, evaluate};
    let codes = [
        "ELB",
        "ELB_AE",
        "LZB",
        "LZB_AKTIV",
        "LZB_ZUGANG",
        "LZB_ABGANG",
        "ELB_ZUGANG",
        "ELB_ABGANG",
        "INTEGRATIONEN",
        "INTEGRATIONEN_AE",
        "INTEGRATIONEN_LZB",
        "INTEGRATIONEN_SVB",
        "INTEGRATIONEN_SVB_KONTINUIERLICH",
        "ZUGANG_MINIJOB",
        "ZUGANG_OEFF_BESCH",
    ];
    let mut set = SeriesSet::new();
    for m in 0..months {
        let month = first.plus(m as i32);
        let ym = YearMonth::new(month.year(), month.month()).unwrap();
        let c = counts(m);
        for (k, code) in codes.iter().enumerate() {
            set.entry(code.parse().unwrap())
                .or_default()
                .insert(ym, Point::plain(c[k] as f64, ValueStatus::Final));
        }
    }
    let mut indicators = keyfigures::components();
    indicators.extend(keyfigures::key_figures());
    keyfigures::key_figures()
        .iter()
        .filter(|f| !["K1", "K1E1"].contains(&f.code.as_str()))
        .map(|f| (f.code.to_string(), evaluate(&f.code, &indicators, &set)))
        .collect()
}

fn kind() -> impl Strategy<Value = IntegrationKind> {
    prop_oneof![
        Just(IntegrationKind::Beschaeftigung),
        Just(IntegrationKind::Ausbildung),
        Just(IntegrationKind::Selbstaendig),
        Just(IntegrationKind::Minijob),
        Just(IntegrationKind::OeffentlichGefoerdert),
    ]
}

/// Up to three persons with up to four spells each around 2021–2022, some integrations,
/// employment and participations.
fn generated() -> impl Strategy<Value = (Vec<Spell>, Vec<Integration>, Vec<Period>, Vec<Period>)> {
    let base = date("2020-06-01");
    let at = move |d: u32| base + chrono::Days::new(u64::from(d));
    let spell = (
        1u32..4,
        1u16..3,
        0u32..900,
        prop_oneof![Just(None), (0u32..400).prop_map(Some)],
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(move |(person, jobcenter, from, len, elb, ae)| Spell {
            person,
            bg: person,
            jobcenter,
            from: at(from),
            to: len.map(|l| at(from + l)),
            erwerbsfaehig: elb || person == 1,
            alleinerziehend: ae,
        });
    // Integrations anywhere, or near a spell's start or end, where the rules have their edges.
    let integration = (
        1u32..4,
        500u32..950,
        kind(),
        any::<prop::sample::Index>(),
        -2i64..3,
        0u8..3,
    );
    let period = (1u32..4, 500u32..950, 0u32..300).prop_map(move |(person, from, len)| Period {
        person,
        from: at(from),
        to: Some(at(from + len)),
    });
    (
        proptest::collection::vec(spell, 1..10),
        proptest::collection::vec(integration, 0..10),
        proptest::collection::vec(period.clone(), 0..5),
        proptest::collection::vec(period, 0..4),
        // Employment from an integration on, ending around its sixth following month.
        proptest::collection::vec((any::<prop::sample::Index>(), 150i64..220), 0..6),
    )
        .prop_map(
            move |(spells, raw, mut employment, participations, after)| {
                let integrations = raw
                    .into_iter()
                    .map(|(person, d, kind, pick, offset, near)| {
                        let s = pick.get(&spells);
                        let date = match near {
                            0 => at(d),
                            1 => s.from + chrono::Duration::days(offset),
                            _ => s.to.unwrap_or(s.from) + chrono::Duration::days(offset),
                        };
                        Integration {
                            person: if near == 0 { person } else { s.person },
                            date,
                            kind,
                        }
                    })
                    .collect::<Vec<Integration>>();
                if !integrations.is_empty() {
                    for (pick, len) in after {
                        let i = pick.get(&integrations);
                        employment.push(Period {
                            person: i.person,
                            from: i.date,
                            to: Some(i.date + chrono::Duration::days(len)),
                        });
                    }
                }
                (spells, integrations, employment, participations)
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Every component equals counting day by day.
    #[test]
    fn every_component_equals_counting_day_by_day(
        (spells, integrations, employment, participations) in generated(),
        threads in 1usize..4,
    ) {
        let first = month("2021-11");
        let months = 14;
        let records = Records::new(
            Spells::new(&spells).unwrap(),
            &integrations,
            &employment,
            Some(date("2024-01-31")),
            &participations,
            Vec::new(),
        )
        .unwrap();
        let computed = records.monthly(first, first.plus(months as i32 - 1), threads);
        let expected = by_day::counts(&spells, &integrations, &employment, &participations, first, months);
        for jc in 0..3u16 {
            for m in 0..months {
                let got = computed
                    .get(jc, first.plus(m as i32))
                    .map(|c| as_counts(&c))
                    .unwrap_or_default();
                let want = expected.get(&(jc, m)).copied().unwrap_or_default();
                prop_assert_eq!(got, want, "Jobcenter {} in {}", jc, first.plus(m as i32));
            }
            // And so the key figures the engine computes from either.
            let from_records = key_figures(first, |m| {
                computed.get(jc, first.plus(m as i32)).map(|c| as_counts(&c)).unwrap_or_default()
            }, months);
            let from_counts = key_figures(first, |m| {
                expected.get(&(jc, m)).copied().unwrap_or_default()
            }, months);
            prop_assert_eq!(from_records, from_counts);
        }
    }
}
