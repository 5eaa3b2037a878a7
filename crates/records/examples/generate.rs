//! A generated national data set of records for `bench/records.sh`, seeded:
//! `cargo run --release -p zielwerk-records --example generate -- DIR [PERSONS] [SEED]`.
//!
//! Persons in need between 2015 and mid-2023 at 400 Jobcenter: one to three spells each
//! (benefit spells of about two years on average, a fifth of them continuing without a gap in
//! another BG, half of those at another Jobcenter), children who turn erwerbsfähig, single
//! parents; integrations mostly at the end of a spell, some of them twice in a month; employment
//! after most integrations into employment subject to social insurance; measures for a third of
//! the ELB; payments of the first 100,000 BG for every month they are in need. The files are in
//! the German style (semicolons, TT.MM.JJJJ, decimal comma), as `docs/records.md` describes.
//! A person's spells do not overlap (the engine allows that; the benchmark's SQL does not).

use std::io::{BufWriter, Write};

use chrono::NaiveDate;
use rand::{Rng, SeedableRng};

const JOBCENTERS: u32 = 400;
const PAYING_BG: u32 = 100_000;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().expect("an output directory"));
    let persons: u32 = args
        .next()
        .map_or(4_000_000, |a| a.parse().expect("persons"));
    let seed: u64 = args.next().map_or(2023, |a| a.parse().expect("seed"));
    std::fs::create_dir_all(&dir)?;
    let file = |name: &str, header: &str| -> std::io::Result<BufWriter<std::fs::File>> {
        let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(dir.join(name))?);
        writeln!(w, "{header}")?;
        Ok(w)
    };
    let mut spells = file(
        "leistungszeitraeume.csv",
        "person;bg;jobcenter;von;bis;erwerbsfaehig;alleinerziehend",
    )?;
    let mut integrations = file("integrationen.csv", "person;datum;art")?;
    let mut employment = file("beschaeftigung.csv", "person;von;bis")?;
    let mut measures = file("massnahmen.csv", "person;von;bis")?;
    let mut payments = file(
        "zahlungen.csv",
        "bg;jobcenter;monat;lebensunterhalt;unterkunft",
    )?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let origin = NaiveDate::from_ymd_opt(2015, 1, 1).unwrap();
    let horizon = NaiveDate::from_ymd_opt(2023, 6, 30).unwrap();
    let span = (horizon - origin).num_days();
    let first_month = NaiveDate::from_ymd_opt(2019, 1, 1).unwrap();
    let g = |d: NaiveDate| d.format("%d.%m.%Y").to_string();
    let exp = |rng: &mut rand_chacha::ChaCha8Rng, mean: f64| -> i64 {
        let u: f64 = rng.random::<f64>().max(1e-12);
        (-u.ln() * mean) as i64
    };
    for person in 0..persons {
        // Jobcenter sizes differ: a skewed draw.
        let mut jc = (f64::from(JOBCENTERS) * rng.random::<f64>().powf(1.6)) as u32;
        let mut bg = person / 2;
        let mut elb = rng.random::<f64>() < 0.78;
        let ae = elb && rng.random::<f64>() < 0.09;
        let mut from = origin + chrono::Duration::days(rng.random_range(0..span));
        let count = match rng.random::<f64>() {
            x if x < 0.75 => 1,
            x if x < 0.95 => 2,
            _ => 3,
        };
        let mut was_elb = false;
        for k in 0..count {
            if from > horizon {
                break;
            }
            let len = exp(&mut rng, 700.0);
            let to = from + chrono::Duration::days(len);
            let open = to > horizon;
            writeln!(
                spells,
                "{person};{bg};t{jc:05};{};{};{};{}",
                g(from),
                if open { String::new() } else { g(to) },
                if elb { "ja" } else { "nein" },
                if ae { "ja" } else { "nein" }
            )?;
            was_elb |= elb;
            // Payments of the first BG, by their first person, for the months in need.
            if person % 2 == 0 && bg < PAYING_BG {
                let mut m = first_month;
                while m <= NaiveDate::from_ymd_opt(2022, 12, 1).unwrap() {
                    let end = m
                        .checked_add_months(chrono::Months::new(1))
                        .unwrap()
                        .pred_opt()
                        .unwrap();
                    if from <= end && (open || to >= end) {
                        let lu: u32 = rng.random_range(30_000..140_000);
                        let uh: u32 = rng.random_range(25_000..95_000);
                        writeln!(
                            payments,
                            "{bg};t{jc:05};{};{},{:02};{},{:02}",
                            m.format("%m.%Y"),
                            lu / 100,
                            lu % 100,
                            uh / 100,
                            uh % 100
                        )?;
                    }
                    m = m.checked_add_months(chrono::Months::new(1)).unwrap();
                }
            }
            if elb && rng.random::<f64>() < 0.33 {
                let start = from + chrono::Duration::days(rng.random_range(0..=len.max(1)));
                let end = start + chrono::Duration::days(rng.random_range(90..270));
                writeln!(measures, "{person};{};{}", g(start), g(end))?;
            }
            // Now and then a job on the side while in need.
            if elb && rng.random::<f64>() < 0.06 {
                let on = from + chrono::Duration::days(rng.random_range(0..=len.max(1)));
                writeln!(integrations, "{person};{};geringfuegig", g(on))?;
            }
            if open {
                break;
            }
            let next = to + chrono::Duration::days(1);
            // Need ends with a take-up of work for a third.
            if elb && rng.random::<f64>() < 0.35 {
                let kind = match rng.random::<f64>() {
                    x if x < 0.62 => "sv_beschaeftigung",
                    x if x < 0.70 => "ausbildung",
                    x if x < 0.74 => "selbststaendig",
                    x if x < 0.88 => "geringfuegig",
                    _ => "oeffentlich_gefoerdert",
                };
                writeln!(integrations, "{person};{};{kind}", g(next))?;
                if rng.random::<f64>() < 0.03 {
                    writeln!(integrations, "{person};{};ausbildung", g(next))?;
                }
                if kind == "sv_beschaeftigung" {
                    let stays = if rng.random::<f64>() < 0.7 {
                        400.0
                    } else {
                        90.0
                    };
                    let end = next + chrono::Duration::days(exp(&mut rng, stays));
                    writeln!(
                        employment,
                        "{person};{};{}",
                        g(next),
                        if end > horizon { String::new() } else { g(end) }
                    )?;
                }
            }
            // The next spell: without a gap for a fifth (another BG, half of them at another
            // Jobcenter), otherwise after a while.
            if rng.random::<f64>() < 0.2 {
                from = next;
                bg = persons / 2 + person * 3 + k;
                if rng.random::<bool>() {
                    jc = (jc + 1 + rng.random_range(0..JOBCENTERS - 1)) % JOBCENTERS;
                }
            } else {
                from = next + chrono::Duration::days(1 + exp(&mut rng, 250.0));
            }
            // A child in the BG turns 15.
            if !elb && !was_elb && rng.random::<f64>() < 0.5 {
                elb = true;
            }
        }
    }
    for mut w in [spells, integrations, employment, measures, payments] {
        w.flush()?;
    }
    Ok(())
}
