//! Every § 48a key figure on hand-computed examples, with the edges that decide results: the
//! first months without a previous year, zero denominators, 12-month windows crossing a year, and
//! outflow rates against the previous month's stock.

use zielwerk_domain::keyfigures::catalogue;
use zielwerk_domain::{IndicatorCode, ValueStatus, YearMonth};
use zielwerk_engine::{Evaluator, Point, SeriesSet};

/// Stored series: (component, first month, monthly values).
type Spec<'a> = &'a [(&'a str, &'a str, &'a [f64])];

fn stored(spec: Spec<'_>) -> SeriesSet {
    let mut set = SeriesSet::new();
    for (code, start, values) in spec {
        let start: YearMonth = start.parse().unwrap();
        let series = set
            .entry(code.parse::<IndicatorCode>().unwrap())
            .or_default();
        for (i, v) in values.iter().enumerate() {
            series.insert(
                start.plus(i as i32).unwrap(),
                Point::plain(*v, ValueStatus::Final),
            );
        }
    }
    set
}

/// Value (rounded to 1e-9), numerator and denominator of `code` in `month`, or the gap's reason.
fn check(
    spec: Spec<'_>,
    code: &str,
    month: &str,
) -> Result<(f64, Option<f64>, Option<f64>), String> {
    let indicators = catalogue();
    let set = stored(spec);
    let ev = Evaluator::new(&indicators, &set);
    ev.at(&code.parse().unwrap(), month.parse().unwrap())
        .map(|p| ((p.value * 1e9).round() / 1e9, p.numerator, p.denominator))
        .map_err(|g| g.reason)
}

const TWELVE_1000: &[f64] = &[1000.0; 12];

#[test]
fn change_figures_compare_with_the_same_month_a_year_earlier() {
    let base: &[f64] = &[
        1000.0, 1000.0, 1000.0, 1000.0, 1000.0, 1000.0, 1000.0, 1000.0, 1000.0, 1000.0, 1000.0,
        1000.0, 950.0, 1100.0,
    ];
    for (code, component) in [
        ("K1", "LLU_SUMME"),
        ("K1E1", "KDU_SUMME"),
        ("K1E2", "ELB"),
        ("K3", "LZB"),
    ] {
        let spec: Spec = &[(component, "2021-01", base)];
        assert_eq!(
            check(spec, code, "2022-01"),
            Ok((-5.0, Some(950.0), Some(1000.0))),
            "{code}"
        );
        assert_eq!(
            check(spec, code, "2022-02"),
            Ok((10.0, Some(1100.0), Some(1000.0))),
            "{code}"
        );
        // The first year has no previous year: no value, with the reason.
        assert_eq!(
            check(spec, code, "2021-06"),
            Err(format!(
                "Vorjahresmonat fehlt: Für {component} liegt für Juni 2020 kein Wert vor"
            )),
            "{code}"
        );
    }
    // A zero base is no value, not an infinite change.
    let spec: Spec = &[
        ("KDU_SUMME", "2021-03", &[0.0]),
        ("KDU_SUMME", "2022-03", &[5.0]),
    ];
    assert_eq!(
        check(spec, "K1E1", "2022-03"),
        Err("KDU_SUMME ist im Vorjahresmonat März 2021 null".into())
    );
}

#[test]
fn inflow_rates_use_the_same_months_stock() {
    // 12 months of 50 inflows against a stock of 1000: 600 / 12 000 = 5 %.
    for (code, inflow, stock) in [("K1E3", "ELB_ZUGANG", "ELB"), ("K3E3", "LZB_ZUGANG", "LZB")] {
        let spec: Spec = &[
            (inflow, "2021-01", &[50.0; 12]),
            (stock, "2021-01", TWELVE_1000),
        ];
        assert_eq!(
            check(spec, code, "2021-12"),
            Ok((5.0, Some(600.0), Some(12_000.0))),
            "{code}"
        );
        assert_eq!(
            check(spec, code, "2021-11"),
            Err(format!(
                "12-Monats-Fenster unvollständig: Für {inflow} liegt für Dezember 2020 kein Wert vor"
            )),
            "{code}"
        );
    }
}

#[test]
fn outflow_rates_use_the_previous_months_stock() {
    // Stock 1000 from December 2020 to November 2021, then 2000 in December 2021. The outflow
    // rate for December 2021 divides by the stocks of December 2020 to November 2021: the jump
    // in December 2021 does not count.
    let mut stock = vec![1000.0; 12];
    stock.push(2000.0);
    for (code, outflow, stock_code) in
        [("K1E4", "ELB_ABGANG", "ELB"), ("K3E4", "LZB_ABGANG", "LZB")]
    {
        let spec: Spec = &[
            (outflow, "2021-01", &[50.0; 12]),
            (stock_code, "2020-12", &stock),
        ];
        assert_eq!(
            check(spec, code, "2021-12"),
            Ok((5.0, Some(600.0), Some(12_000.0))),
            "{code}"
        );
        // Without the stock of December 2020 there is no value for December 2021.
        let spec: Spec = &[
            (outflow, "2021-01", &[50.0; 12]),
            (stock_code, "2021-01", &stock[1..]),
        ];
        assert_eq!(
            check(spec, code, "2021-12"),
            Err(format!(
                "12-Monats-Fenster unvollständig: Für {stock_code} liegt für Dezember 2020 kein Wert vor"
            )),
            "{code}"
        );
    }
}

#[test]
fn integration_quotas_divide_twelve_months_of_events_by_the_mean_stock() {
    // Window July 2021 to June 2022 crosses the year: 12 × 20 = 240 events over a mean stock of
    // (6 × 800 + 6 × 1000) / 12 = 900: 26.666… %.
    let mut stock = vec![800.0; 6];
    stock.extend([1000.0; 6]);
    for (code, events, stock_code) in [
        ("K2", "INTEGRATIONEN", "ELB"),
        ("K2E1", "ZUGANG_MINIJOB", "ELB"),
        ("K2E2", "ZUGANG_OEFF_BESCH", "ELB"),
        ("K2E4", "INTEGRATIONEN_AE", "ELB_AE"),
        ("K3E1", "INTEGRATIONEN_LZB", "LZB"),
    ] {
        let spec: Spec = &[
            (events, "2021-07", &[20.0; 12]),
            (stock_code, "2021-07", &stock),
        ];
        let (value, num, den) = check(spec, code, "2022-06").unwrap();
        assert!(
            (value - 240.0 / 900.0 * 100.0).abs() < 1e-9,
            "{code}: {value}"
        );
        assert_eq!((num, den), (Some(240.0), Some(900.0)), "{code}");
        // A stock of zero all year: no quota.
        let spec: Spec = &[
            (events, "2021-07", &[0.0; 12]),
            (stock_code, "2021-07", &[0.0; 12]),
        ];
        assert_eq!(
            check(spec, code, "2022-06"),
            Err(format!(
                "Der Durchschnitt von {stock_code} über 12 Monate ist null"
            )),
            "{code}"
        );
    }
}

#[test]
fn continuous_employment_is_a_share_of_twelve_months_of_integrations() {
    let spec: Spec = &[
        ("INTEGRATIONEN_SVB", "2021-01", &[100.0; 12]),
        ("INTEGRATIONEN_SVB_KONTINUIERLICH", "2021-01", &[60.0; 12]),
    ];
    assert_eq!(
        check(spec, "K2E3", "2021-12"),
        Ok((60.0, Some(720.0), Some(1200.0)))
    );
}

#[test]
fn activation_rate_is_the_same_months_share() {
    let spec: Spec = &[
        ("LZB_AKTIV", "2022-03", &[120.0]),
        ("LZB", "2022-03", &[800.0, 810.0]),
    ];
    assert_eq!(
        check(spec, "K3E2", "2022-03"),
        Ok((15.0, Some(120.0), Some(800.0)))
    );
    assert_eq!(
        check(spec, "K3E2", "2022-04"),
        Err("Für LZB_AKTIV liegt für April 2022 kein Wert vor".into())
    );
    let spec: Spec = &[("LZB_AKTIV", "2022-03", &[0.0]), ("LZB", "2022-03", &[0.0])];
    assert_eq!(
        check(spec, "K3E2", "2022-03"),
        Err("Der Nenner LZB ist im März 2022 null".into())
    );
}

#[test]
fn every_key_figure_has_a_case_here() {
    // Keep this list in step with the tests above: a new figure needs its own example.
    let tested = [
        "K1", "K1E1", "K1E2", "K1E3", "K1E4", "K2", "K2E1", "K2E2", "K2E3", "K2E4", "K3", "K3E1",
        "K3E2", "K3E3", "K3E4",
    ];
    let all: Vec<String> = zielwerk_domain::keyfigures::key_figures()
        .into_iter()
        .map(|k| k.code.to_string())
        .collect();
    assert_eq!(all, tested);
}
