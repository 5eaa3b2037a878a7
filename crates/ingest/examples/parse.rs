//! Reads and checks a long CSV file without storing anything, and says how long that took: the
//! reader's share of an import, measured alone (`bench/import.sh` runs it).
//!
//! ```text
//! cargo run --release -p zielwerk-ingest --example parse -- werte.csv [Jobcenter …]
//! ```

// The allocator of the `zielwerk` binary, so that the figure is the reader's share of an import.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("Aufruf: parse DATEI [JOBCENTER …]");
        std::process::exit(2);
    };
    let mut catalog = zielwerk_ingest::long_csv::Catalog::default();
    // The built-in catalogue and the demo agreement's indicators, as an import sees them.
    let demo = zielwerk_demo::mettmann_agreement().expect("the demo agreement");
    for ind in zielwerk_domain::keyfigures::catalogue()
        .into_iter()
        .chain(demo.indicators)
    {
        catalog.indicators.entry(ind.code.clone()).or_insert(ind);
    }
    let jobcenters: Vec<String> = args.collect();
    for jc in if jobcenters.is_empty() {
        vec!["t36402".to_owned()]
    } else {
        jobcenters
    } {
        catalog.regions.insert(jc.parse().expect("a region id"));
    }
    let file = std::fs::File::open(&path).expect("the file opens");
    let started = std::time::Instant::now();
    let mut values = 0usize;
    let mut sink = |chunk: Vec<zielwerk_domain::Observation>| {
        values += chunk.len();
        Ok(())
    };
    let result = zielwerk_ingest::long_csv::read(&path, file, &catalog, &mut sink);
    let seconds = started.elapsed().as_secs_f64();
    match result {
        Ok(accepted) => println!(
            "{} Zeilen gelesen und geprüft, {values} Werte, in {seconds:.3} s ({:.0} Zeilen/s)",
            accepted.rows,
            accepted.rows as f64 / seconds
        ),
        Err(refused) => {
            eprintln!("{refused}");
            std::process::exit(1);
        }
    }
}
