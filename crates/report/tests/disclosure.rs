//! The differencing attack on everything that leaves the house for one reporting month.
//!
//! An attacker holds the public Excel export, the public monitoring report, the Vorlage (whose
//! PDF and Anlagen are also the OParl files) and, at a quarter end, the public quarterly report
//! of the same month. For a goal counting cases
//! (the referrals to the Suchtberatung) the test collects every number these outputs print for
//! the goal — monthly values, running sums since January, the reporting month's value — as
//! linear equations over the true monthly counts, solves the system exactly (its own elimination
//! over rationals, independent of `engine::confidentiality`) and asserts that no month with one
//! or two cases is determined. Property-tested over random small counts and reporting months.

mod common;
use common::demo_values;

use proptest::prelude::*;
use zielwerk_domain::{CurrentValue, IndicatorCode, Observation, YearMonth};
use zielwerk_engine::assess_agreement;
use zielwerk_report::model::{self, Audience};

/// A German integer as printed ("1.234"); `None` for "*", "–" and text.
fn german_int(s: &str) -> Option<i64> {
    let t = s.trim().replace('.', "");
    t.parse().ok()
}

/// One equation: coefficients over the months 1..=n (index 0 is January) = value.
type Equation = (Vec<i64>, i64);

fn running_sum(n: usize, month: usize) -> Vec<i64> {
    (0..n).map(|j| i64::from(j < month)).collect()
}

fn single(n: usize, month: usize) -> Vec<i64> {
    (0..n).map(|j| i64::from(j + 1 == month)).collect()
}

/// Whether the equations fix month `k` (0-based): `e_k` lies in their row space. Gaussian
/// elimination over exact fractions (numerator/denominator in i128).
fn determined(equations: &[Equation], n: usize, k: usize) -> bool {
    let rank = |rows: &[Vec<i128>]| -> usize {
        let mut m: Vec<Vec<i128>> = rows.to_vec();
        let mut r = 0;
        for c in 0..n {
            let Some(p) = (r..m.len()).find(|&i| m[i][c] != 0) else {
                continue;
            };
            m.swap(r, p);
            for i in 0..m.len() {
                if i != r && m[i][c] != 0 {
                    let (a, b) = (m[r][c], m[i][c]);
                    let pivot = m[r].clone();
                    for (x, y) in m[i].iter_mut().zip(&pivot) {
                        *x = *x * a - y * b;
                    }
                }
            }
            r += 1;
        }
        r
    };
    let rows: Vec<Vec<i128>> = equations
        .iter()
        .map(|(c, _)| c.iter().map(|&v| i128::from(v)).collect())
        .collect();
    let mut with = rows.clone();
    with.push((0..n).map(|j| i128::from(j == k)).collect());
    rank(&rows) == rank(&with)
}

/// Every equation the public outputs of `as_of` give about the monthly counts of `code`.
fn attack(
    agreement: &zielwerk_domain::Agreement,
    values: &[CurrentValue],
    code: &IndicatorCode,
    as_of: YearMonth,
) -> Vec<Equation> {
    let n = as_of.month() as usize;
    let obs: Vec<Observation> = values.iter().map(|v| v.observation.clone()).collect();
    let state = assess_agreement(agreement, &obs, as_of);
    let goal = state
        .goals
        .iter()
        .find(|g| &g.indicator.code == code)
        .unwrap();
    let title = goal.goal.title.clone();
    let mut eqs: Vec<Equation> = Vec::new();

    // The Excel sheet: month (a date), Wert, Summe seit Januar.
    let xlsx = zielwerk_report::xlsx::figures(&state, values, None, Audience::Public).unwrap();
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).unwrap();
    use calamine::{DataType, Reader};
    let sheet = wb.worksheet_range("Werte").unwrap();
    for row in sheet.rows().skip(1) {
        if row[1].to_string() != title {
            continue;
        }
        let month = row[5].as_date().unwrap();
        let m = chrono::Datelike::month(&month) as usize;
        if let Some(v) = row[6].as_f64() {
            eqs.push((single(n, m), v.round() as i64));
        }
        if let Some(v) = row[7].as_f64() {
            eqs.push((running_sum(n, m), v.round() as i64));
        }
    }

    // The Vorlage: the goal's table (quarter ends and the reporting month); its text names the
    // reporting month's value. (Its chart draws the running sums of the months the sheet
    // prints, no more: `public_documents_suppress_small_case_numbers` counts its points.)
    let header = zielwerk_demo::mettmann_vorlage(agreement);
    let v = model::vorlage(&header, &state, values, &[], &Default::default());
    let block = v
        .sections
        .iter()
        .flat_map(|s| &s.goals)
        .find(|g| g.title == title)
        .unwrap();
    if let Some(t) = &block.table {
        for (i, h) in t.header.iter().enumerate().skip(1) {
            let m = (1..=12)
                .find(|&m| YearMonth::new(agreement.year, m).unwrap().german_short() == *h)
                .unwrap() as usize;
            if let Some(x) = german_int(&t.rows[0][i]) {
                eqs.push((running_sum(n, m), x));
            }
        }
    }
    let month_of_reason = |reason: &str| -> Option<i64> {
        // "Ist Januar bis September 2022: 365; …"
        let rest = reason.split_once(&format!("{}: ", as_of.german_long()))?.1;
        german_int(rest.split(';').next()?)
    };
    if let Some(x) = month_of_reason(&block.reason) {
        eqs.push((running_sum(n, n), x));
    }
    // The monitoring report: the reporting month's running sum and the reason.
    let created = chrono::NaiveDate::from_ymd_opt(2022, 10, 14).unwrap();
    let m = model::monitoring(
        &state,
        values,
        &[],
        &[],
        Audience::Public,
        created,
        &Default::default(),
    );
    let row = m.rows.iter().find(|r| r.title == title).unwrap();
    if let Some(x) = german_int(&row.value) {
        eqs.push((running_sum(n, n), x));
    }
    if let Some(x) = month_of_reason(&row.reason) {
        eqs.push((running_sum(n, n), x));
    }

    // At a quarter end, the public quarterly report: the running sum at every quarter end.
    if n.is_multiple_of(3) {
        let period = zielwerk_report::period::Period::Quarter(n as u32 / 3);
        let states: Vec<_> = period
            .columns(agreement.year)
            .into_iter()
            .map(|m| assess_agreement(agreement, &obs, m))
            .collect();
        let r = zielwerk_report::period::period_report(
            period,
            &states,
            values,
            &[],
            &[],
            Audience::Public,
            created,
        );
        let row = r.rows.iter().find(|r| r.title == title).unwrap();
        for (i, c) in row.cells.iter().enumerate() {
            if let Some(x) = german_int(&c.value) {
                eqs.push((running_sum(n, 3 * (i + 1)), x));
            }
        }
        if let Some(x) = month_of_reason(&row.reason) {
            eqs.push((running_sum(n, n), x));
        }
    }

    eqs
}

fn with_counts(counts: &[i64]) -> (zielwerk_domain::Agreement, Vec<CurrentValue>, IndicatorCode) {
    let (agreement, mut values) = demo_values();
    let code: IndicatorCode = "SUCHT_ZUWEISUNGEN".parse().unwrap();
    for v in values.iter_mut() {
        let o = &mut v.observation;
        if o.indicator == code && o.month.year() == agreement.year {
            let i = o.month.month() as usize - 1;
            if let Some(c) = counts.get(i) {
                o.value = Some(*c as f64);
            }
        }
    }
    (agreement, values, code)
}

fn check(counts: &[i64], as_of: u32) -> Result<(), String> {
    let (agreement, values, code) = with_counts(counts);
    let as_of = YearMonth::new(agreement.year, as_of).unwrap();
    let eqs = attack(&agreement, &values, &code, as_of);
    let n = as_of.month() as usize;
    // Every equation holds for the true counts: the outputs print what they say.
    for (c, v) in &eqs {
        let truth: i64 = c.iter().zip(counts).map(|(a, b)| a * b).sum();
        if truth != *v {
            return Err(format!("printed {v}, true {truth} for {c:?}"));
        }
    }
    for (k, &cases) in counts.iter().enumerate().take(n) {
        if (1..=2).contains(&cases) && determined(&eqs, n, k) {
            return Err(format!(
                "month {} ({cases} cases) is determined by {} printed figures: {eqs:?}",
                k + 1,
                eqs.len()
            ));
        }
    }
    Ok(())
}

/// The case from the report of the defect: 2, 5 and 40 referrals in January to March.
#[test]
fn january_cannot_be_recomputed_from_february_and_the_running_sum() {
    check(&[2, 5, 40, 30, 31, 29, 33, 35, 30], 3).unwrap();
    check(&[2, 5, 40, 30, 31, 29, 33, 35, 30], 9).unwrap();
}

/// The attacker's solver finds what it should: all twelve monthly values printed determine
/// every month.
#[test]
fn the_solver_determines_printed_months() {
    let eqs: Vec<Equation> = (1..=3).map(|m| (running_sum(3, m), 0)).collect();
    assert!((0..3).all(|k| determined(&eqs, 3, k)));
    let only_total = vec![(running_sum(3, 3), 9)];
    assert!(!determined(&only_total, 3, 0));
    let differences = vec![(running_sum(3, 3), 9), (single(3, 2), 4), (single(3, 3), 3)];
    assert!(determined(&differences, 3, 0));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn no_small_count_is_determined_by_what_is_published(
        counts in prop::collection::vec(prop_oneof![0i64..4, 0i64..40], 9),
        as_of in 1u32..=9,
    ) {
        prop_assert_eq!(check(&counts, as_of), Ok(()));
    }
}
