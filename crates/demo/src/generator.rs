//! The demo generator: monthly figures for jobcenter ME-aktiv (Kreis Mettmann), 2019-01 to
//! 2022-12, from a seed.
//!
//! # How the figures come about
//!
//! Every series is a documented path with seeded noise; the same seed always gives the same
//! figures (ChaCha8, a portable generator). Levels are calibrated to public orders of magnitude:
//!
//! - **Bedarfsgemeinschaften (BG)**: 18 900 in January 2019, falling 0.12 % a month; +1.2 % a
//!   month April to June 2020 (pandemic); then falling 0.28 % a month; +3.8 % in June 2022 when
//!   refugees from Ukraine moved into the SGB II (Rechtskreiswechsel), then falling 0.15 % a
//!   month. Persistent noise (AR(1), 0.25 %). This keeps Mettmann within 17–19 thousand BG.
//! - **KdU per BG**: 630 EUR in January 2019, rising 0.28 % a month (towards the 750 EUR the BA
//!   reports for April 2026, `shared/data/real/ba_wohnkosten_mettmann/`), 1.5 % higher in the
//!   heating months, 1 % lower from June 2022 (smaller refugee households). KdU total = BG × KdU
//!   per BG, so the decomposition into quantity and price effects is exact.
//! - **By household size** (1, 2, 3, 4, 5, 6+ persons): BG split by the shares Mettmann's BG had in
//!   April 2026 (real BA file), with the share of single households rising from 40 % by 0.04
//!   points a month; refugee households are larger (25/30/22/13/6/4 %). KdU per BG of each size
//!   follows the BA's April 2026 profile (539 … 1 289 EUR against a mean of 750 EUR). The classes
//!   add up exactly to the totals (largest-remainder split; KdU to the cent), which lets the
//!   decomposition show a structure effect.
//! - **ELB** = 1.36 × BG (1.40 for the refugee households); **LZB** a share of the ELB without
//!   refugees that rises during the pandemic (64 % → 70 %) and falls again from July 2021.
//! - **Integrations**: 23 % of the ELB a year with a seasonal profile (weak in December and
//!   January, strong in spring and September); −45 % April to June 2020, −20 % for the rest of
//!   2020, recovering through 2021. Poisson-like noise.
//! - **Alleinerziehende**: 10.5 % of the ELB, integration rate 15.5 % a year, 17.5 % from March
//!   2022 (planning-document measure).
//! - **LZB in measures**: 15 % of LZB, 11 % in the pandemic, rising to 19 % in 2022.
//! - **Leistungen zum Lebensunterhalt**: BG × an amount per BG that follows the Regelbedarf
//!   (1 010 EUR in 2019, 1 030, 1 055, 1 065 EUR in 2022).
//! - **Suchtberatung**: referrals about 36 a month (22 in 2020, 30 in 2021, 38 in 2022, 41 once the
//!   Suchtlotsen work from February 2022); about 58 % of referrals start counselling (50 % in 2020,
//!   66 % from April 2022 with the open consultation hour); waiting time 18 days, 24 in 2020,
//!   falling to 13 from April 2022.
//! - **Bildung und Teilhabe**: 9 400 entitled children (scaled with BG); 62 % with at least one
//!   benefit in 12 months (55 % in the pandemic, 72 % by the end of 2022); 85–91 % of applications
//!   decided within 14 days, with a rush at school start (August/September); backlog 420 → 210.
//! - **KIM milestones** (2022 only): cooperation agreement signed in March, case-management posts
//!   filled in August (due end of June: late), case conferences established in October.
//!
//! Status and Datenstand: the batch has Datenstand 2023-01-31. Figures from BA statistics are
//! final up to 2022-09 and projected for the last three months (the three-month waiting
//! period); the Kreis's own counts are final.

use chrono::NaiveDate;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use zielwerk_domain::{BaId, Breakdown, IndicatorCode, Observation, ValueStatus, YearMonth};

pub const FIRST_MONTH: &str = "2019-01";
pub const LAST_MONTH: &str = "2022-12";

/// Integration seasonality, January to December (mean 1).
const SEASON: [f64; 12] = [
    0.80, 0.95, 1.10, 1.05, 1.00, 1.00, 1.00, 1.15, 1.20, 1.05, 0.95, 0.75,
];

struct Gen {
    rng: ChaCha8Rng,
    unit: Normal<f64>,
}

impl Gen {
    fn normal(&mut self) -> f64 {
        self.unit.sample(&mut self.rng)
    }

    /// A count with Poisson-like spread around `mean`.
    fn count(&mut self, mean: f64) -> f64 {
        (mean + mean.max(0.0).sqrt() * self.normal())
            .round()
            .max(0.0)
    }

    /// Successes out of `n` with probability `p` (normal approximation, clamped).
    fn binomial(&mut self, n: f64, p: f64) -> f64 {
        let sd = (n * p * (1.0 - p)).max(0.0).sqrt();
        (n * p + sd * self.normal()).round().clamp(0.0, n)
    }
}

/// A persistent multiplicative noise: e(t) = φ·e(t−1) + σ·z.
struct Ar1 {
    phi: f64,
    sigma: f64,
    state: f64,
}

impl Ar1 {
    fn new(phi: f64, sigma: f64) -> Self {
        Self {
            phi,
            sigma,
            state: 0.0,
        }
    }

    fn step(&mut self, g: &mut Gen) -> f64 {
        self.state = self.phi * self.state + self.sigma * g.normal();
        1.0 + self.state
    }
}

fn ym(s: &str) -> YearMonth {
    s.parse().expect("valid month literal")
}

/// Generates every demo figure for `jobcenter` with `seed`.
pub fn generate(jobcenter: &BaId, seed: u64) -> Vec<Observation> {
    let mut g = Gen {
        rng: ChaCha8Rng::seed_from_u64(seed),
        unit: Normal::new(0.0, 1.0).expect("valid normal"),
    };
    let datenstand = NaiveDate::from_ymd_opt(2023, 1, 31).expect("valid date");
    let last_final = ym("2022-09");
    let mut out = Vec::new();
    // Figures by household size, kept apart from `out` (which `push` borrows) until the end.
    let mut by_size = Vec::new();
    let mut push =
        |code: &str, month: YearMonth, value: Option<f64>, ratio: Option<(f64, f64)>, ba: bool| {
            let status = if ba && month > last_final {
                ValueStatus::Projected
            } else {
                ValueStatus::Final
            };
            out.push(Observation {
                region: jobcenter.clone().into(),
                period: zielwerk_domain::PeriodKind::Month,
                indicator: code.parse::<IndicatorCode>().expect("valid code"),
                month,
                value,
                numerator: ratio.map(|r| r.0),
                denominator: ratio.map(|r| r.1),
                status,
                datenstand,
                breakdown: None,
            });
        };

    let mut bg_noise = Ar1::new(0.7, 0.0025);
    let mut kdu_noise = Ar1::new(0.5, 0.003);
    let mut lzb_noise = Ar1::new(0.6, 0.002);
    let mut but_noise = Ar1::new(0.6, 0.006);
    let mut bg_level = 18_900.0_f64;
    let mut ukraine_bg = 0.0_f64;
    let mut backlog_noise = Ar1::new(0.5, 0.05);

    for month in ym(FIRST_MONTH).through(ym(LAST_MONTH)) {
        let t = ym(FIRST_MONTH).months_until(month);
        let year = month.year();
        let m = month.month() as usize;
        let in_range = |a: &str, b: &str| month >= ym(a) && month <= ym(b);

        // --- Bedarfsgemeinschaften ---------------------------------------------------------
        let growth = if t == 0 {
            1.0
        } else if month <= ym("2020-03") {
            0.9988
        } else if in_range("2020-04", "2020-06") {
            1.012
        } else if month <= ym("2022-05") {
            0.9972
        } else {
            0.9985
        };
        bg_level *= growth;
        if month == ym("2022-06") {
            ukraine_bg = bg_level * 0.038;
        } else if month > ym("2022-06") {
            ukraine_bg *= 0.9985;
        }
        let bg_core = (bg_level * bg_noise.step(&mut g)).round();
        let bg = bg_core + ukraine_bg.round();
        push("BG", month, Some(bg), None, true);

        // --- KdU -----------------------------------------------------------------------------
        let heating = if matches!(m, 1 | 2 | 3 | 11 | 12) {
            1.015
        } else {
            1.0
        };
        let refugee_mix = if month >= ym("2022-06") { 0.99 } else { 1.0 };
        let kdu_per_bg =
            630.0 * 1.0028_f64.powi(t) * heating * refugee_mix * kdu_noise.step(&mut g);
        // By household size: BG allocated exactly, cost per size proportional to the BA's
        // profile, so that the classes add up to the totals to the cent.
        let single_share = 0.40 + 0.0004 * f64::from(t);
        let base_rest: f64 = HOUSEHOLD_BASE[1..].iter().sum();
        let core_shares: Vec<f64> = std::iter::once(single_share)
            .chain(
                HOUSEHOLD_BASE[1..]
                    .iter()
                    .map(|s| s / base_rest * (1.0 - single_share)),
            )
            .collect();
        let core = allocate(bg_core, &core_shares);
        let refugees = allocate(ukraine_bg.round(), &UKRAINE_SHARES);
        let bg_by_size: Vec<f64> = core.iter().zip(&refugees).map(|(a, b)| a + b).collect();
        let mix: f64 = bg_by_size
            .iter()
            .zip(&COST_RATIO)
            .map(|(b, r)| b / bg * r)
            .sum();
        let kdu_by_size: Vec<f64> = bg_by_size
            .iter()
            .zip(&COST_RATIO)
            .map(|(b, r)| (b * kdu_per_bg * r / mix * 100.0).round() / 100.0)
            .collect();
        let kdu_sum = (kdu_by_size.iter().sum::<f64>() * 100.0).round() / 100.0;
        push("KDU_SUMME", month, Some(kdu_sum), None, true);
        let status = if month > last_final {
            ValueStatus::Projected
        } else {
            ValueStatus::Final
        };
        for (i, class) in HOUSEHOLD_CLASSES.iter().enumerate() {
            for (code, value) in [("BG", bg_by_size[i]), ("KDU_SUMME", kdu_by_size[i])] {
                by_size.push(Observation {
                    region: jobcenter.clone().into(),
                    period: zielwerk_domain::PeriodKind::Month,
                    indicator: code.parse::<IndicatorCode>().expect("valid code"),
                    month,
                    value: Some(value),
                    numerator: None,
                    denominator: None,
                    status,
                    datenstand,
                    breakdown: Some(Breakdown::household_size(*class)),
                });
            }
        }

        // --- ELB, LZB ------------------------------------------------------------------------
        let elb_core = (bg_core * 1.36).round();
        let elb_ukraine = (ukraine_bg * 1.40).round();
        let elb = elb_core + elb_ukraine;
        push("ELB", month, Some(elb), None, true);
        let lzb_share = if month < ym("2020-04") {
            0.64
        } else if month <= ym("2021-06") {
            0.64 + 0.004 * f64::from(ym("2020-03").months_until(month))
        } else {
            (0.70 - 0.0025 * f64::from(ym("2021-06").months_until(month))).max(0.64)
        };
        let lzb = (elb_core * lzb_share * lzb_noise.step(&mut g)).round();
        push("LZB", month, Some(lzb), None, true);

        // --- Integrations --------------------------------------------------------------------
        let covid = if in_range("2020-04", "2020-06") {
            0.55
        } else if in_range("2020-07", "2020-12") {
            0.80
        } else if year == 2021 {
            0.88 + 0.07 * (m as f64 - 1.0) / 11.0
        } else if year == 2022 {
            0.97
        } else {
            1.0
        };
        let integrations = g.count(elb * 0.23 / 12.0 * SEASON[m - 1] * covid);
        push("INTEGRATIONEN", month, Some(integrations), None, true);
        let elb_ae = (elb * 0.105).round();
        push("ELB_AE", month, Some(elb_ae), None, true);
        let ae_rate = if month >= ym("2022-03") { 0.175 } else { 0.155 };
        let int_ae = g.count(elb_ae * ae_rate / 12.0 * SEASON[m - 1] * covid);
        push("INTEGRATIONEN_AE", month, Some(int_ae), None, true);
        let activation = if month < ym("2020-04") {
            0.15
        } else if month <= ym("2021-06") {
            0.11
        } else if year == 2021 {
            0.13
        } else {
            0.14 + 0.05 * (m as f64 - 1.0) / 11.0
        };
        let lzb_active = g.binomial(lzb, activation);
        push("LZB_AKTIV", month, Some(lzb_active), None, true);

        // --- Leistungen zum Lebensunterhalt --------------------------------------------------
        let per_bg = match year {
            2019 => 1010.0,
            2020 => 1030.0,
            2021 => 1055.0,
            _ => 1065.0,
        };
        let llu = (bg * per_bg * (1.0 + 0.003 * g.normal()) * 100.0).round() / 100.0;
        push("LLU_SUMME", month, Some(llu), None, true);

        // --- § 16a Suchtberatung -------------------------------------------------------------
        let referral_mean = match year {
            2019 => 36.0,
            2020 => 22.0,
            2021 => 30.0,
            _ if m >= 2 => 41.0,
            _ => 38.0,
        };
        let referrals = g.count(referral_mean);
        push("SUCHT_ZUWEISUNGEN", month, Some(referrals), None, false);
        let start_share = match year {
            2019 => 0.58,
            2020 => 0.50,
            2021 => 0.55,
            _ if m >= 4 => 0.66,
            _ => 0.60,
        };
        let starts = g.binomial(referrals, start_share);
        if referrals > 0.0 {
            push(
                "SUCHT_ANTRITT",
                month,
                None,
                Some((starts, referrals)),
                false,
            );
        }
        let wait_mean = match year {
            2019 => 18.0,
            2020 => 24.0,
            2021 => 20.0,
            _ if m >= 4 => 13.0,
            _ => 19.0,
        };
        let wait = ((wait_mean + 1.5 * g.normal()).max(3.0) * 10.0).round() / 10.0;
        push("SUCHT_WARTEZEIT", month, Some(wait), None, false);

        // --- Bildung und Teilhabe ------------------------------------------------------------
        let children = (9_400.0 * bg / 18_900.0).round();
        let take_up = if month < ym("2020-04") {
            0.62
        } else if month <= ym("2021-06") {
            0.55
        } else if year == 2021 {
            0.55 + 0.06 * f64::from(ym("2021-06").months_until(month)) / 6.0
        } else {
            0.66 + 0.06 * (m as f64 - 1.0) / 11.0
        };
        let with_benefit = (children * take_up * but_noise.step(&mut g))
            .round()
            .min(children);
        push(
            "BUT_QUOTE",
            month,
            None,
            Some((with_benefit, children)),
            false,
        );
        let decided = g.count(if matches!(m, 8 | 9) { 1_250.0 } else { 900.0 });
        let fast_share = match year {
            2019 => 0.85,
            2020 => 0.78,
            2021 => 0.86,
            _ => 0.91,
        } - if matches!(m, 8 | 9) { 0.07 } else { 0.0 };
        let fast = g.binomial(decided, fast_share);
        push("BUT_14_TAGE", month, None, Some((fast, decided)), false);
        let backlog_level = match year {
            2019 => 420.0,
            2020 => 520.0,
            2021 => 420.0 - 100.0 * (m as f64 - 1.0) / 11.0,
            _ => 300.0 - 90.0 * (m as f64 - 1.0) / 11.0,
        } * if matches!(m, 9 | 10) { 1.25 } else { 1.0 };
        let backlog = (backlog_level * backlog_noise.step(&mut g))
            .round()
            .max(0.0);
        push("BUT_RUECKSTAND", month, Some(backlog), None, false);

        // --- KIM milestones (2022) -----------------------------------------------------------
        if year == 2022 {
            let reached = |from: &str| if month >= ym(from) { 1.0 } else { 0.0 };
            push(
                "KIM_KOOPERATION",
                month,
                Some(reached("2022-03")),
                None,
                false,
            );
            push(
                "KIM_CASE_MANAGEMENT",
                month,
                Some(reached("2022-08")),
                None,
                false,
            );
            push(
                "KIM_FALLKONFERENZ",
                month,
                Some(reached("2022-10")),
                None,
                false,
            );
        }
    }
    out.extend(by_size);
    out
}

/// Household-size classes as in the BA's KdU statistics.
const HOUSEHOLD_CLASSES: [&str; 6] = ["1", "2", "3", "4", "5", "6+"];
/// Mettmann's BG by household size in April 2026 (shared/data/real/ba_wohnkosten_mettmann/).
const HOUSEHOLD_BASE: [f64; 6] = [
    7252.0 / 17225.0,
    3734.0 / 17225.0,
    2705.0 / 17225.0,
    1924.0 / 17225.0,
    942.0 / 17225.0,
    668.0 / 17225.0,
];
/// Actual KdU per BG of each size relative to the mean, same source (539 … 1 289 EUR vs 750 EUR).
const COST_RATIO: [f64; 6] = [0.7182, 1.0162, 1.1726, 1.3100, 1.4508, 1.7177];
/// Refugee households from Ukraine are larger on average (mothers with children).
const UKRAINE_SHARES: [f64; 6] = [0.25, 0.30, 0.22, 0.13, 0.06, 0.04];

/// Splits a whole `total` into whole parts by `shares` (largest remainder): the parts add up.
fn allocate(total: f64, shares: &[f64]) -> Vec<f64> {
    let sum: f64 = shares.iter().sum();
    let exact: Vec<f64> = shares.iter().map(|s| total * s / sum).collect();
    let mut parts: Vec<f64> = exact.iter().map(|e| e.floor()).collect();
    let missing = (total - parts.iter().sum::<f64>()).round() as usize;
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|a, b| (exact[*b] - parts[*b]).total_cmp(&(exact[*a] - parts[*a])));
    for i in order.into_iter().take(missing) {
        parts[i] += 1.0;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(obs: &[Observation], code: &str) -> Vec<(YearMonth, f64)> {
        obs.iter()
            .filter(|o| o.indicator.as_str() == code && o.breakdown.is_none())
            .map(|o| {
                (
                    o.month,
                    o.value
                        .unwrap_or_else(|| o.numerator.unwrap() / o.denominator.unwrap()),
                )
            })
            .collect()
    }

    #[test]
    fn same_seed_same_figures_other_seed_other_figures() {
        let id: BaId = "t36402".parse().unwrap();
        assert_eq!(generate(&id, 7), generate(&id, 7));
        assert_ne!(generate(&id, 7), generate(&id, 8));
    }

    #[test]
    fn calibrated_to_public_levels() {
        let id: BaId = "t36402".parse().unwrap();
        for seed in [1, 2, 3, crate::DEFAULT_SEED] {
            let obs = generate(&id, seed);
            let bg = values(&obs, "BG");
            assert_eq!(bg.len(), 48);
            for (m, v) in &bg {
                assert!(
                    (17_000.0..=19_600.0).contains(v),
                    "seed {seed}: BG {v} in {m}"
                );
            }
            let kdu = values(&obs, "KDU_SUMME");
            for ((m, sum), (_, bg)) in kdu.iter().zip(&bg) {
                let per_bg = sum / bg;
                assert!(
                    (600.0..=740.0).contains(&per_bg),
                    "seed {seed}: KdU/BG {per_bg} in {m}"
                );
            }
            // Ratios keep their components; a share never exceeds its base.
            for o in obs.iter().filter(|o| o.numerator.is_some()) {
                assert!(o.numerator.unwrap() <= o.denominator.unwrap(), "{o:?}");
            }
        }
    }

    #[test]
    fn household_sizes_add_up_to_the_totals() {
        let id: BaId = "t36402".parse().unwrap();
        let obs = generate(&id, 3);
        for code in ["BG", "KDU_SUMME"] {
            for (month, total) in values(&obs, code) {
                let parts: Vec<f64> = obs
                    .iter()
                    .filter(|o| {
                        o.indicator.as_str() == code && o.month == month && o.breakdown.is_some()
                    })
                    .map(|o| o.value.unwrap())
                    .collect();
                assert_eq!(parts.len(), 6);
                assert!(
                    (parts.iter().sum::<f64>() - total).abs() < 0.005,
                    "{code} {month}"
                );
            }
        }
    }

    #[test]
    fn allocation_is_exact() {
        assert_eq!(allocate(10.0, &[1.0, 1.0, 1.0]), vec![4.0, 3.0, 3.0]);
        assert_eq!(allocate(0.0, &HOUSEHOLD_BASE).iter().sum::<f64>(), 0.0);
        assert_eq!(
            allocate(17_225.0, &HOUSEHOLD_BASE),
            vec![7252.0, 3734.0, 2705.0, 1924.0, 942.0, 668.0]
        );
    }

    #[test]
    fn last_three_months_of_ba_figures_are_projected() {
        let id: BaId = "t36402".parse().unwrap();
        let obs = generate(&id, 1);
        let status = |code: &str, month: &str| {
            obs.iter()
                .find(|o| o.indicator.as_str() == code && o.month == ym(month))
                .unwrap()
                .status
        };
        assert_eq!(status("BG", "2022-09"), ValueStatus::Final);
        assert_eq!(status("BG", "2022-10"), ValueStatus::Projected);
        assert_eq!(status("BUT_RUECKSTAND", "2022-12"), ValueStatus::Final);
    }
}
