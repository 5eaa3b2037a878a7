//! Time to forecast the year end of every goal of the demo overview (Mettmann 2022) at its
//! reporting month, as a page that found nothing kept would: every method of every goal chosen
//! afresh at all its evaluation origins, every model fitted anew. Also the same with the fits
//! and choices kept (what a read of a computed assessment does), and at the months the demo's
//! documents and a mid-year meeting use (the demo's data reach December, so its overview's
//! reporting month needs no forecast). Run with `bench/forecast.sh`.

use std::time::{Duration, Instant};

use zielwerk_app::documents;
use zielwerk_domain::YearMonth;
use zielwerk_store::Store;

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let loaded = rt.block_on(async {
        let store = Store::open(dir.path().join("b.db").to_str().unwrap())
            .await
            .unwrap();
        let demo = zielwerk_demo::build(zielwerk_demo::DEFAULT_SEED).unwrap();
        for a in &demo.agreements {
            store.save_agreement(a).await.unwrap();
        }
        for b in &demo.batches {
            store
                .record_observations(&b.source, &b.observations)
                .await
                .unwrap();
        }
        documents::load(&store, &demo.agreements[0].key())
            .await
            .unwrap()
    });
    let observations: Vec<_> = loaded
        .values
        .iter()
        .map(|v| v.observation.clone())
        .collect();
    let agreement = &loaded.agreement;
    let prepared = zielwerk_engine::prepare(agreement, &observations);
    let latest = zielwerk_engine::default_as_of(agreement, observations.iter().map(|o| o.month));
    let month = |m| YearMonth::new(agreement.year, m).unwrap();
    for (what, as_of) in [
        ("Berichtsmonat der Übersicht", latest),
        ("Monat der Demo-Vorlage", month(9)),
        ("Monat mit dem weitesten Horizont der Demo", month(6)),
    ] {
        let state = prepared.at(agreement, as_of);
        let forecast_all = || {
            state
                .goals
                .iter()
                .filter(|g| matches!(zielwerk_report::present::year_end(g, as_of), Some(Ok(y)) if y.method.is_some()))
                .count()
        };
        let cold = measure(7, || zielwerk_forecast::fits::afresh(forecast_all));
        let forecasts = forecast_all();
        let warm = measure(51, forecast_all);
        println!(
            "{what} ({}, {} Ziele, davon {forecasts} mit Prognose): alles neu {}, gemerkt {}",
            as_of.german_long(),
            state.goals.len(),
            summary(&cold),
            summary(&warm)
        );
    }
}

fn measure(n: usize, f: impl Fn() -> usize) -> Vec<Duration> {
    let mut times: Vec<Duration> = (0..n)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .collect();
    times.sort();
    times
}

fn summary(times: &[Duration]) -> String {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    format!(
        "Median {:.1} ms (Minimum {:.1}, Maximum {:.1}; {} Läufe)",
        ms(times[times.len() / 2]),
        ms(times[0]),
        ms(times[times.len() - 1]),
        times.len()
    )
}
