//! The national demo: one generated Jobcenter for every Kreis of the INKAR table (all but those a
//! demo Jobcenter covers already), with monthly key-figure components over ten years
//! (January 2013 to December 2022) and a 2022 agreement on K1, K2, K3 and KdU per BG, so that
//! the Land view shows where the goals of many Jobcenter stand. `zielwerk demo --bundesweit`
//! builds it.
//!
//! **Everything here is generated, not official**: the Jobcenter are named "Demo-Jobcenter …
//! (erzeugt)", their BA ids are `t` and the Kreisschlüssel (not the BA's numbers), and every value
//! has a source of kind demo, which every page shows.
//!
//! # How the figures come about
//!
//! INKAR (`data/inkar_sgb2_kreise_2007_2022.csv`, real) gives each Kreis's yearly levels; the
//! generator adds what INKAR does not have, with seeded noise (ChaCha8 seeded from the seed and
//! the Kreisschlüssel, so a Kreis's figures do not depend on the others):
//!
//! - **Size** (not in INKAR, which has no absolute counts): Bedarfsgemeinschaften in January 2013
//!   log-normal around 7 000 (σ 0.6 on the logarithm, 1 500 to 250 000), scaled by the Kreis's
//!   persons in BG per 1 000 inhabitants against the median Kreis.
//! - **Development of the BG**: the yearly level follows INKAR's persons in BG per 1 000
//!   inhabitants (`Q_PBG_BEV`) of the Kreis, year by year (the population taken as constant),
//!   interpolated between Julys, with a persistent noise of 0.3 %.
//! - **KdU per BG**: the monthly amounts scaled so that each year's mean equals INKAR's
//!   "Leistungen für Unterkunft je Bedarfsgemeinschaft und Monat" (`D_UNTERKUNFT_LSTG`) of the
//!   Kreis exactly; 1.5 % more in the heating months before that scaling. KDU_SUMME = BG × KdU per BG.
//! - **Leistungen zum Lebensunterhalt**: BG × INKAR's Arbeitslosengeld II je BG (`D_ALGII_LSTG`)
//!   of the year, exactly as the yearly mean.
//! - **ELB** = BG × 1.36 × the Kreis's share of ELB among persons in BG (`A_EWFBG`) against the
//!   median Kreis; **LZB** a share of the ELB of 58 % plus 0.5 points per point of the Kreis's
//!   share of ELB aged 55 and over (`A_EWFBG_55UM_`) above the median, 4 points higher in 2021.
//! - **Integrations**: a yearly rate per Kreis drawn around 23 % (σ 3 points), lower by 0.3
//!   points per point of the share aged 55 and over above the median; the seasonal profile of the
//!   Mettmann demo; −40 % April to June 2020, −15 % for the rest of 2020.
//!
//! Status and Datenstand: Datenstand 31.01.2023; final up to September 2022, projected for the
//! last three months.
//!
//! The agreements (2022, signed as the Mettmann template is) take K1, K2, K3 and KdU per BG from
//! the Mettmann agreement; their targets come from the Kreis's parameters: K2 the Kreis's
//! integration rate plus 0.4 points, K1 −1 %, K3 −3 %, KdU per BG INKAR's 2021 level plus 3 %
//! (so that Kreise whose housing costs rose faster miss it).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use zielwerk_domain::{
    Agreement, BaId, IndicatorCode, Jobcenter, Observation, PeriodKind, Target, ValueStatus,
    YearMonth,
};

use crate::DemoError;

pub const FIRST_YEAR: i32 = 2013;
pub const LAST_YEAR: i32 = 2022;

/// Integration seasonality, January to December (mean 1), as in the Mettmann demo.
const SEASON: [f64; 12] = [
    0.80, 0.95, 1.10, 1.05, 1.00, 1.00, 1.00, 1.15, 1.20, 1.05, 0.95, 0.75,
];

/// The goals taken from the Mettmann agreement, and the indicators they need.
const GOALS: [&str; 4] = ["k1", "k2", "k3", "kdu-je-bg"];
const INDICATORS: [&str; 10] = [
    "LLU_SUMME",
    "ELB",
    "INTEGRATIONEN",
    "LZB",
    "BG",
    "KDU_SUMME",
    "K1",
    "K2",
    "K3",
    "KDU_JE_BG",
];

/// One Kreis's yearly INKAR figures by column.
#[derive(Debug, Clone, Default)]
pub struct Kreis {
    pub key: String,
    pub name: String,
    pub years: BTreeMap<i32, BTreeMap<String, f64>>,
}

impl Kreis {
    fn get(&self, year: i32, column: &str) -> Option<f64> {
        self.years.get(&year)?.get(column).copied()
    }

    /// The value of `year`, or of the nearest year that has one.
    fn near(&self, year: i32, column: &str) -> Option<f64> {
        (0..=15).find_map(|d| {
            self.get(year - d, column)
                .or_else(|| self.get(year + d, column))
        })
    }
}

/// The Kreise of the shipped INKAR table (`ebene` "Kreise"), by five-digit key.
pub fn kreise() -> BTreeMap<String, Kreis> {
    let mut out: BTreeMap<String, Kreis> = BTreeMap::new();
    let mut reader = csv::Reader::from_reader(crate::inkar::CSV.as_bytes());
    let header = reader.headers().cloned().unwrap_or_default();
    for cells in reader.records().flatten() {
        if cells.get(0) != Some("Kreise") {
            continue;
        }
        let (Some(key), Some(Ok(year))) = (
            cells.get(1).and_then(|k| k.get(..5)),
            cells.get(3).map(str::parse::<i32>),
        ) else {
            continue;
        };
        let kreis = out.entry(key.to_owned()).or_insert_with(|| Kreis {
            key: key.to_owned(),
            name: cells.get(2).unwrap_or_default().to_owned(),
            ..Kreis::default()
        });
        let values = kreis.years.entry(year).or_default();
        for (h, c) in header.iter().zip(cells.iter()).skip(4) {
            if let Ok(v) = c.parse::<f64>() {
                values.insert(h.to_owned(), v);
            }
        }
    }
    out
}

/// The national demo: a Jobcenter, its agreement and its figures per Kreis.
#[derive(Debug, Clone)]
pub struct National {
    pub agreements: Vec<Agreement>,
    pub observations: Vec<Observation>,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The generated Jobcenter of a Kreis: `t` and the Kreisschlüssel.
pub fn jobcenter_id(kreis: &str) -> BaId {
    format!("t{kreis}").parse().expect("t and five digits")
}

/// Builds the national demo for `seed`, leaving out the Kreise in `skip` (covered by a demo
/// Jobcenter already). The same seed always gives the same figures.
pub fn build(seed: u64, skip: &[&str]) -> Result<National, DemoError> {
    let all = kreise();
    let template = crate::mettmann_agreement()?;
    let med = |column: &str| {
        median(
            all.values()
                .filter_map(|k| k.near(2013, column))
                .collect::<Vec<_>>(),
        )
    };
    let (med_pbg, med_ewf, med_55) = (med("q_PBG_bev"), med("a_ewfBG"), med("a_ewfBG_55um_"));
    let mut agreements = Vec::new();
    let mut observations = Vec::new();
    for kreis in all.values().filter(|k| !skip.contains(&k.key.as_str())) {
        let Some(params) = Params::of(kreis, seed, med_pbg, med_ewf, med_55) else {
            continue;
        };
        let id = jobcenter_id(&kreis.key);
        agreements.push(agreement(&template, kreis, &id, &params)?);
        observations.extend(params.figures(kreis, &id));
    }
    Ok(National {
        agreements,
        observations,
    })
}

/// What the generator draws for a Kreis.
struct Params {
    rng: ChaCha8Rng,
    bg_2013: f64,
    elb_per_bg: f64,
    lzb_share: f64,
    integration_rate: f64,
}

impl Params {
    fn of(kreis: &Kreis, seed: u64, med_pbg: f64, med_ewf: f64, med_55: f64) -> Option<Params> {
        let key: u64 = kreis.key.parse().ok()?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ key.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let unit = Normal::new(0.0, 1.0).expect("valid normal");
        let pbg = kreis.near(FIRST_YEAR, "q_PBG_bev")?;
        let bg_2013 = (7_000.0 * (0.6_f64 * unit.sample(&mut rng)).exp() * pbg / med_pbg)
            .clamp(1_500.0, 250_000.0)
            .round();
        let ewf = kreis.near(FIRST_YEAR, "a_ewfBG").unwrap_or(med_ewf);
        let older = kreis.near(FIRST_YEAR, "a_ewfBG_55um_").unwrap_or(med_55) - med_55;
        Some(Params {
            bg_2013,
            elb_per_bg: 1.36 * ewf / med_ewf,
            lzb_share: (0.58 + 0.005 * older).clamp(0.4, 0.8),
            integration_rate: (0.23 + 0.03 * unit.sample(&mut rng) - 0.003 * older)
                .clamp(0.12, 0.34),
            rng,
        })
    }

    fn normal(&mut self) -> f64 {
        Normal::new(0.0, 1.0)
            .expect("valid normal")
            .sample(&mut self.rng)
    }

    /// The monthly figures of the Kreis's Jobcenter.
    fn figures(mut self, kreis: &Kreis, id: &BaId) -> Vec<Observation> {
        let datenstand = NaiveDate::from_ymd_opt(2023, 1, 31).expect("valid date");
        let last_final = YearMonth::new(LAST_YEAR, 9).expect("valid month");
        let months: Vec<YearMonth> = YearMonth::new(FIRST_YEAR, 1)
            .expect("valid month")
            .through(YearMonth::new(LAST_YEAR, 12).expect("valid month"))
            .collect();
        // The BG's yearly level from persons in BG per 1 000 inhabitants, interpolated between
        // Julys.
        let base = kreis.near(FIRST_YEAR, "q_PBG_bev").unwrap_or(1.0);
        let level = |y: i32| self.bg_2013 * kreis.near(y, "q_PBG_bev").unwrap_or(base) / base;
        let levels: BTreeMap<i32, f64> = (FIRST_YEAR - 1..=LAST_YEAR + 1)
            .map(|y| (y, level(y)))
            .collect();
        let mut noise = 0.0_f64;
        let mut bg = Vec::with_capacity(months.len());
        for m in &months {
            let (y, k) = (m.year(), f64::from(m.month()));
            // Months before July lie between last July and this one.
            let (from, to, w) = if k < 7.0 {
                (y - 1, y, (k + 5.0) / 12.0)
            } else {
                (y, y + 1, (k - 7.0) / 12.0)
            };
            let l = levels[&from] + w * (levels[&to] - levels[&from]);
            noise = 0.7 * noise + 0.003 * self.normal();
            bg.push((l * (1.0 + noise)).round().max(1.0));
        }
        // A yearly mean per BG, met exactly: monthly shape × the year's INKAR level.
        let per_bg = |column: &str, heating: bool, this: &mut Params| -> Vec<f64> {
            let raw: Vec<f64> = months
                .iter()
                .map(|m| {
                    let h = if heating && matches!(m.month(), 1 | 2 | 3 | 11 | 12) {
                        1.015
                    } else {
                        1.0
                    };
                    h * (1.0 + 0.004 * this.normal())
                })
                .collect();
            months
                .iter()
                .zip(&raw)
                .map(|(m, r)| {
                    let of_year: Vec<f64> = months
                        .iter()
                        .zip(&raw)
                        .filter(|(n, _)| n.year() == m.year())
                        .map(|(_, r)| *r)
                        .collect();
                    let mean = of_year.iter().sum::<f64>() / of_year.len() as f64;
                    kreis.near(m.year(), column).unwrap_or(0.0) * r / mean
                })
                .collect()
        };
        let kdu = per_bg("d_Unterkunft_Lstg", true, &mut self);
        let llu = per_bg("d_ALGII_Lstg", false, &mut self);
        let mut out = Vec::with_capacity(months.len() * 6);
        let mut push = |code: &str, month: YearMonth, value: f64| {
            out.push(Observation {
                region: id.clone().into(),
                period: PeriodKind::Month,
                indicator: code.parse::<IndicatorCode>().expect("valid code"),
                month,
                value: Some(value),
                numerator: None,
                denominator: None,
                status: if month > last_final {
                    ValueStatus::Projected
                } else {
                    ValueStatus::Final
                },
                datenstand,
                breakdown: None,
            });
        };
        for (i, m) in months.iter().enumerate() {
            let b = bg[i];
            let elb = (b * self.elb_per_bg).round();
            let pandemic_lzb = if m.year() == 2021 { 0.04 } else { 0.0 };
            let lzb = (elb * (self.lzb_share + pandemic_lzb)).round();
            let dip = match (m.year(), m.month()) {
                (2020, 4..=6) => 0.60,
                (2020, _) => 0.85,
                _ => 1.0,
            };
            let mean = elb * self.integration_rate / 12.0 * SEASON[m.month() as usize - 1] * dip;
            let integrations = (mean + mean.max(0.0).sqrt() * self.normal())
                .round()
                .max(0.0);
            push("BG", *m, b);
            push("ELB", *m, elb);
            push("LZB", *m, lzb);
            push("INTEGRATIONEN", *m, integrations);
            push("KDU_SUMME", *m, (b * kdu[i] * 100.0).round() / 100.0);
            push("LLU_SUMME", *m, (b * llu[i] * 100.0).round() / 100.0);
        }
        out
    }
}

/// The Kreis's 2022 agreement: the template's federal goals and KdU per BG, its parties renamed,
/// targets from the Kreis's parameters.
fn agreement(
    template: &Agreement,
    kreis: &Kreis,
    id: &BaId,
    params: &Params,
) -> Result<Agreement, DemoError> {
    let mut a = template.clone();
    a.jobcenter = Jobcenter {
        ba_id: id.clone(),
        name: format!("Demo-Jobcenter {} (erzeugt)", kreis.name),
        ags: kreis.key.parse().expect("five digits"),
        vergleichstyp: None,
    };
    a.title = format!("Zielvereinbarung 2022 (erzeugt, Demo): {}", kreis.name);
    for p in &mut a.parties {
        p.name = match p.role {
            zielwerk_domain::PartyRole::Kreis => format!("{} (Demo)", kreis.name),
            zielwerk_domain::PartyRole::Agentur => {
                format!("Agentur für Arbeit {} (Demo)", kreis.name)
            }
            zielwerk_domain::PartyRole::Jobcenter => a.jobcenter.name.clone(),
        };
    }
    a.goals.retain(|g| GOALS.contains(&g.key.as_str()));
    a.indicators
        .retain(|i| INDICATORS.contains(&i.code.as_str()));
    let areas: Vec<_> = a.goals.iter().map(|g| g.area.clone()).collect();
    a.areas.retain(|ar| areas.contains(&ar.key));
    a.measures.clear();
    let kdu_2021 = kreis.near(2021, "d_Unterkunft_Lstg").unwrap_or(0.0);
    for g in &mut a.goals {
        let value = match g.key.as_str() {
            "k1" => -1.0,
            "k2" => ((params.integration_rate * 100.0 + 0.4) * 10.0).round() / 10.0,
            "k3" => -3.0,
            _ => (kdu_2021 * 1.03 * 100.0).round() / 100.0,
        };
        g.target = Target::Annual { value };
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kreis_but_the_skipped_gets_a_jobcenter_and_ten_years() {
        let n = build(7, &["05158"]).unwrap();
        assert_eq!(n.agreements.len(), 399);
        assert!(
            !n.agreements
                .iter()
                .any(|a| a.jobcenter.ba_id.as_str() == "t05158")
        );
        // Six components a month, 120 months, 399 Jobcenter.
        assert_eq!(n.observations.len(), 399 * 120 * 6);
        for a in &n.agreements {
            assert!(a.jobcenter.name.ends_with("(erzeugt)"));
            assert_eq!(a.goals.len(), 4);
            assert!(a.check().is_empty(), "{:?}", a.check());
        }
    }

    #[test]
    fn kdu_per_bg_meets_the_inkar_level_of_every_year_exactly() {
        let n = build(7, &["05158"]).unwrap();
        let kreise = kreise();
        let k = &kreise["09362"];
        let id = jobcenter_id("09362");
        for year in FIRST_YEAR..=LAST_YEAR {
            let of = |code: &str| -> Vec<f64> {
                n.observations
                    .iter()
                    .filter(|o| {
                        o.region.as_str() == id.as_str()
                            && o.indicator.as_str() == code
                            && o.month.year() == year
                    })
                    .map(|o| o.value.unwrap())
                    .collect()
            };
            let (kdu, bg) = (of("KDU_SUMME"), of("BG"));
            let mean = kdu.iter().zip(&bg).map(|(k, b)| k / b).sum::<f64>() / 12.0;
            let inkar = k.near(year, "d_Unterkunft_Lstg").unwrap();
            assert!((mean - inkar).abs() < 0.01, "{year}: {mean} vs {inkar}");
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_figures() {
        let a = build(7, &[]).unwrap();
        let b = build(7, &[]).unwrap();
        let c = build(8, &[]).unwrap();
        assert_eq!(a.observations, b.observations);
        assert_ne!(a.observations, c.observations);
    }
}
