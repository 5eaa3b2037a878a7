//! The 15 key figures of every Jobcenter and month from a directory of record files, for
//! `bench/records.sh`:
//! `cargo run --release -p zielwerk-records --example compute -- DIR FIRST LAST DATENSTAND OUT`
//! (months as JJJJ-MM, the Datenstand as JJJJ-MM-TT). Writes one line per Jobcenter and month
//! with the components and the figures the engine computes from them, and prints the time of
//! each step to standard error.

use std::io::Write;
use std::time::Instant;

use zielwerk_domain::{ValueStatus, YearMonth, keyfigures};
use zielwerk_engine::series::{Point, SeriesSet, evaluate};
use zielwerk_records::read::{
    Jobcenters, read_integrations, read_payments, read_periods, read_spells,
};
use zielwerk_records::{Month, Records, Spells};

fn month(s: &str) -> Month {
    let (y, m) = s.split_once('-').expect("JJJJ-MM");
    Month::new(y.parse().expect("year"), m.parse().expect("month")).expect("a month")
}

fn open(dir: &std::path::Path, name: &str) -> std::io::BufReader<std::fs::File> {
    std::io::BufReader::with_capacity(
        1 << 20,
        std::fs::File::open(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}")),
    )
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, first, last, datenstand, out] = &args[..] else {
        panic!("DIR FIRST LAST DATENSTAND OUT");
    };
    let dir = std::path::Path::new(dir);
    let (first, last) = (month(first), month(last));
    let datenstand: chrono::NaiveDate = datenstand.parse().expect("JJJJ-MM-TT");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let t = Instant::now();
    let mut jobcenters = Jobcenters::default();
    // Each file on every core in turn (the spells are the big one).
    let spells = read_spells(
        "leistungszeitraeume.csv",
        open(dir, "leistungszeitraeume.csv"),
        &mut jobcenters,
        threads,
    )
    .unwrap();
    let integrations =
        read_integrations("integrationen.csv", open(dir, "integrationen.csv"), threads).unwrap();
    let employment = read_periods(
        "beschaeftigung.csv",
        open(dir, "beschaeftigung.csv"),
        threads,
    )
    .unwrap();
    let measures = read_periods("massnahmen.csv", open(dir, "massnahmen.csv"), threads).unwrap();
    let payments = read_payments(
        "zahlungen.csv",
        open(dir, "zahlungen.csv"),
        &mut jobcenters,
        threads,
    )
    .unwrap();
    let read = t.elapsed();
    let spell_rows = spells.len();
    let records = Records::new(
        Spells::new(&spells).unwrap(),
        &integrations,
        &employment,
        Some(datenstand),
        &measures,
        payments,
    )
    .unwrap();
    drop(spells);
    let sorted = t.elapsed();
    let monthly = records.monthly(first, last, threads);
    let counted = t.elapsed();
    let mut indicators = keyfigures::components();
    let figures = keyfigures::key_figures();
    indicators.extend(figures.iter().cloned());
    let mut w = std::io::BufWriter::new(std::fs::File::create(out).expect("OUT"));
    let component_codes: Vec<String> = keyfigures::components()
        .iter()
        .map(|c| c.code.to_string())
        .collect();
    write!(w, "jobcenter,monat").unwrap();
    for c in component_codes
        .iter()
        .map(String::as_str)
        .chain(figures.iter().map(|f| f.code.as_str()))
    {
        write!(w, ",{c}").unwrap();
    }
    writeln!(w).unwrap();
    let mut by_key: Vec<(String, u16)> = (0..jobcenters.len() as u16)
        .map(|k| (jobcenters.id(k).unwrap().to_owned(), k))
        .collect();
    by_key.sort();
    // The figures of each Jobcenter are independent: computed on every core, written in order.
    let lines = |(id, k): &(String, u16)| -> String {
        use std::fmt::Write as _;
        let mut set = SeriesSet::new();
        let mut rows = Vec::new();
        for m in monthly.months() {
            let c = monthly.get(*k, m).unwrap();
            let ym = YearMonth::new(m.year(), m.month()).unwrap();
            let values = c.by_code();
            for (code, v) in &values {
                set.entry(code.parse().unwrap())
                    .or_default()
                    .insert(ym, Point::plain(*v, ValueStatus::Final));
            }
            rows.push((m, ym, values));
        }
        let series: Vec<_> = figures
            .iter()
            .map(|f| evaluate(&f.code, &indicators, &set))
            .collect();
        let mut out = String::new();
        for (m, ym, values) in rows {
            let _ = write!(out, "{id},{m}");
            for code in &component_codes {
                match values.iter().find(|(c, _)| *c == code.as_str()) {
                    Some((_, v)) => {
                        let _ = write!(out, ",{v}");
                    }
                    None => out.push(','),
                }
            }
            for s in &series {
                match s.get(&ym) {
                    Some(p) => {
                        let _ = write!(out, ",{:.10}", p.value);
                    }
                    None => out.push(','),
                }
            }
            out.push('\n');
        }
        out
    };
    let per = by_key.len().div_ceil(threads).max(1);
    let parts: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = by_key
            .chunks(per)
            .map(|chunk| s.spawn(|| chunk.iter().map(lines).collect::<String>()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for part in parts {
        w.write_all(part.as_bytes()).unwrap();
    }
    w.flush().unwrap();
    let total = t.elapsed();
    eprintln!(
        "zielwerk: {spell_rows} Leistungszeiträume, {} Personen, {} Jobcenter, {} Monate; gelesen {:.2} s, sortiert {:.2} s, gezählt {:.2} s ({threads} Threads), Kennzahlen und Ausgabe {:.2} s, zusammen {:.2} s",
        records.spells.persons(),
        jobcenters.len(),
        monthly.months().count(),
        read.as_secs_f64(),
        (sorted - read).as_secs_f64(),
        (counted - sorted).as_secs_f64(),
        (total - counted).as_secs_f64(),
        total.as_secs_f64()
    );
}
