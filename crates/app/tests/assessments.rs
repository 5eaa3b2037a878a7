//! Precomputing changed no result: the assessment a page or the API reads from the kept snapshot
//! equals the one the engine and the forecast compute directly, with every model fitted afresh,
//! for every goal of the demo and every month of its agreement's year. And a read finds every
//! fit it needs: it fits no model.

use std::time::Duration;

use zielwerk_app::assessments::Assessments;
use zielwerk_app::reads;
use zielwerk_domain::YearMonth;
use zielwerk_store::Store;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kept_assessment_is_the_direct_one_and_reading_it_fits_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("demo.db").to_str().unwrap())
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
    let assessments = Assessments::new(store.clone());
    let operator = zielwerk_app::access::operator("test");
    let wait = Duration::from_secs(600);
    // First reads compute (or wait for the worker's computation of) every agreement.
    for a in &demo.agreements {
        let id = a.key().to_string();
        let read = reads::assessed(&assessments, &operator, &id, None, wait)
            .await
            .unwrap();
        assert!(read.current);
    }

    let fitted = zielwerk_forecast::fits::fitted();
    let mut compared = 0;
    for a in &demo.agreements {
        let id = a.key().to_string();
        let (jan, dec) = YearMonth::year_bounds(a.year).unwrap();
        let loaded = zielwerk_app::documents::load(&store, &a.key())
            .await
            .unwrap();
        for month in jan.through(dec) {
            let stand = month.to_string();
            let kept = reads::assessed(&assessments, &operator, &id, Some(&stand), wait)
                .await
                .unwrap();
            let reports = reads::goal_reports(&kept);
            // The direct computation, from the store, every model fitted afresh.
            let obs: Vec<_> = loaded
                .values
                .iter()
                .map(|v| v.observation.clone())
                .collect();
            let direct = zielwerk_forecast::fits::afresh(|| {
                let state = zielwerk_engine::assess_agreement(&loaded.agreement, &obs, month);
                state
                    .goals
                    .iter()
                    .map(|g| {
                        (
                            g.assessment.clone(),
                            zielwerk_report::present::year_end(g, month),
                        )
                    })
                    .collect::<Vec<_>>()
            });
            assert_eq!(reports.len(), direct.len());
            for (r, (assessment, year_end)) in reports.iter().zip(&direct) {
                let at = format!("{id} {} {month}", r.key);
                assert_eq!(r.status, assessment.status, "{at}");
                assert_eq!(r.reason, assessment.reason, "{at}");
                assert_eq!(r.value, assessment.actual, "{at}");
                assert_eq!(r.target_to_date, assessment.target, "{at}");
                match (&r.forecast, year_end) {
                    (None, None) => {}
                    (Some(Ok(f)), Some(Ok(y))) => {
                        assert_eq!(
                            (f.point, f.lower, f.upper, f.probability),
                            (y.point, y.lower, y.upper, y.probability),
                            "{at}"
                        );
                        compared += 1;
                    }
                    (Some(Err(e)), Some(Err(d))) => assert_eq!(e, &d.to_string(), "{at}"),
                    (kept, direct) => panic!("{at}: {kept:?} ≠ {direct:?}"),
                }
            }
        }
    }
    assert!(compared > 100, "only {compared} forecasts compared");
    assert_eq!(
        zielwerk_forecast::fits::fitted(),
        fitted,
        "reading kept assessments fitted models"
    );

    // One value of Regensburg's BG revised: its next snapshot fits only the windows of the
    // series that changed; Mettmann's next snapshot (the data version moved for it too) fits
    // nothing.
    let [mettmann, regensburg] = [&demo.agreements[0], &demo.agreements[1]].map(|a| a.key());
    let first = assessments.read(&regensburg, wait).await.unwrap().snapshot;
    let revised = zielwerk_domain::Observation {
        region: regensburg.jobcenter.clone().into(),
        period: zielwerk_domain::PeriodKind::Month,
        indicator: "BG".parse().unwrap(),
        month: "2026-03".parse().unwrap(),
        value: Some(2_600.0),
        numerator: None,
        denominator: None,
        status: zielwerk_domain::ValueStatus::Final,
        datenstand: "2026-10-01".parse().unwrap(),
        breakdown: None,
    };
    let source = zielwerk_domain::Source {
        kind: zielwerk_domain::SourceKind::File,
        label: "Revision".into(),
        detail: String::new(),
        file_name: None,
        sha256: None,
    };
    store
        .record_observations(&source, &[revised])
        .await
        .unwrap();
    let next = assessments.read(&regensburg, wait).await.unwrap();
    assert!(next.current && next.snapshot.version > first.version);
    assert!(
        next.snapshot.fitted > 0 && next.snapshot.fitted < first.fits() as u64,
        "{} fitted anew of {} fits",
        next.snapshot.fitted,
        first.fits()
    );
    let m = assessments.read(&mettmann, wait).await.unwrap();
    assert!(m.current);
    assert_eq!(m.snapshot.fitted, 0, "Mettmann's series did not change");
}
