//! Assessments are computed in the background: after an import, a page shows either the whole
//! last assessment (and says that new values are being computed) or the whole new one, never new
//! values next to old forecasts.

use super::*;

/// What the goal page says about June 2026: the value in the table, the forecast paragraph, and
/// whether it says that new values are being computed.
fn seen(page: &str) -> (String, String, bool) {
    let value = page
        .split("<th scope=\"row\">Juni 2026</th>\n<td class=\"num\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap_or_default()
        .to_owned();
    let forecast = page
        .split("<p class=\"forecast\">")
        .nth(1)
        .and_then(|r| r.split("</p>").next())
        .unwrap_or_default()
        .to_owned();
    (value, forecast, page.contains("class=\"computed pending\""))
}

#[tokio::test]
async fn after_a_one_value_import_pages_show_the_old_or_the_new_assessment_never_a_mix() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let store = Store::open(db.to_str().unwrap()).await.unwrap();
    let s = serve_demo_with(
        store,
        dir,
        // Pages never wait: every read while the computation runs gets the last assessment.
        |state| state.time_limits.assessment = std::time::Duration::ZERO,
    )
    .await;
    let page = s.url("/vereinbarungen/t73906-2026-v1/ziele/bg");
    let (_, before, _) = get(&page).await;
    let (old_value, old_forecast, pending) = seen(&before);
    assert_eq!(old_value, "2.673");
    assert!(
        old_forecast.starts_with("Prognose für Dezember 2026"),
        "{before}"
    );
    assert!(!pending && before.contains("Bewertung und Prognosen berechnet am"));

    let imported = std::time::Instant::now();
    revise_regensburg_bg(&s.store, "2026-06", 2_950.0).await;

    let (mut old_pages, mut new_page) = (0, None);
    while imported.elapsed() < std::time::Duration::from_secs(120) {
        let (status, body, _) = get(&page).await;
        assert_eq!(status, 200);
        let (value, forecast, pending) = seen(&body);
        if value == old_value {
            // The whole last assessment, and the page says so.
            assert_eq!(forecast, old_forecast, "old values with a new forecast");
            assert!(pending, "the last assessment shown as if it were current");
            assert!(
                !body.contains("Revision Oktober"),
                "a source of the new values"
            );
            old_pages += 1;
        } else {
            assert_eq!(value, "2.950", "{body}");
            assert!(!pending, "the new assessment marked as the old one");
            assert_ne!(forecast, old_forecast, "new values with the old forecast");
            assert!(body.contains("Revision Oktober"));
            new_page = Some(body);
            break;
        }
    }
    let took = imported.elapsed();
    let new_page = new_page.expect("the new assessment within two minutes");
    println!(
        "neue Bewertung nach {} ms, davor {old_pages} Seiten mit der letzten",
        took.as_millis()
    );
    assert!(
        old_pages >= 1,
        "the first read after the import does not wait"
    );
    // The overview agrees with the goal page, and the replaced value is in the history.
    let (_, overview, _) = get(&s.url("/vereinbarungen/t73906-2026-v1")).await;
    assert!(overview.contains("2.950") && !overview.contains("class=\"computed pending\""));
    let history = new_page.split("Frühere Werte (Revisionen)").nth(1).unwrap();
    assert!(
        history.contains("<td class=\"num\">2.673</td>"),
        "{history}"
    );
}
