//! What the server answers, checked on the HTML it sends.

use crate::{METTMANN, confirm, demo_server, get, revise_regensburg_bg, token_of, upload};

#[tokio::test]
async fn overview_lists_every_goal_grouped_by_area() {
    let s = demo_server().await;
    let (status, body, headers) = get(&s.url(METTMANN)).await;
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    assert!(body.contains("<html lang=\"de\">"));
    assert!(body.contains("Trilaterale Zielvereinbarung 2022"));
    assert!(body.contains("Demodaten:"), "demo figures are labelled");
    let goals = body.matches("<tr class=\"goal\">").count();
    let areas = body.matches("<section class=\"area\"").count();
    assert!(goals >= 12, "{goals} goals");
    assert!(areas >= 5, "{areas} areas");
    for area in [
        "Kosten der Unterkunft und Bedarfsgemeinschaften",
        "Suchtberatung",
        "Bildung und Teilhabe",
        "Kommunales Integrationsmanagement",
        "Bundesziele nach § 48a SGB II",
    ] {
        assert!(body.contains(area), "{area}");
    }
    // Every goal row has a status word, a year-end column and a trend line.
    assert!(body.contains("Prognose Jahresende"));
    assert_eq!(body.matches("class=\"spark\"").count(), goals);
    let statuses = ["im Plan", "gefährdet", "verfehlt", "keine Daten"];
    let rows: Vec<&str> = body.split("<tr class=\"goal\">").skip(1).collect();
    for row in rows {
        assert!(
            statuses.iter().any(|s| row.contains(s)),
            "row without status: {row}"
        );
    }
}

#[tokio::test]
async fn reporting_month_changes_the_assessment() {
    let s = demo_server().await;
    let (_, june, _) = get(&s.url(&format!("{METTMANN}?stand=2022-06"))).await;
    assert!(june.contains("Stand Juni 2022"));
    assert!(june.contains("<option value=\"2022-06\" selected>"));
    // The KIM cooperation agreement was reached in March; case management is overdue in July.
    let (_, march, _) = get(&s.url(&format!(
        "{METTMANN}/ziele/kim-case-management?stand=2022-03"
    )))
    .await;
    assert!(march.contains("im Plan"), "not due yet in March");
    let (_, july, _) = get(&s.url(&format!(
        "{METTMANN}/ziele/kim-case-management?stand=2022-07"
    )))
    .await;
    assert!(july.contains("überfällig"), "overdue in July");
    // A flow goal in March: the chart draws the running sum of January to March, nothing later.
    let (_, flow, _) =
        get(&s.url(&format!("{METTMANN}/ziele/sucht-zuweisungen?stand=2022-03"))).await;
    let points = flow
        .split("<g class=\"points\">")
        .nth(1)
        .unwrap()
        .split("</g>")
        .next()
        .unwrap();
    assert_eq!(points.matches("<circle").count(), 3, "{points}");
    assert!(flow.contains("Ist Januar bis März 2022"));
}

#[tokio::test]
async fn goal_page_has_chart_with_target_line_table_and_measures() {
    let s = demo_server().await;
    let (status, body, _) = get(&s.url(&format!("{METTMANN}/ziele/kdu-je-bg"))).await;
    assert_eq!(status, 200);
    assert!(body.contains("<svg"));
    assert!(body.contains("role=\"img\""));
    assert!(body.contains("class=\"target\""), "target line");
    assert!(body.contains("class=\"band\""), "tolerance band");
    assert!(body.contains("<desc id=\"zielchart-desc\">Liniendiagramm"));
    assert!(
        body.contains("Angemessenheitsprüfung bei Neuanmietungen"),
        "linked measure"
    );
    assert!(body.contains("Wirkungserwartung"));
    // The table keeps numerator and denominator apart and names Datenstand and source.
    assert!(
        body.contains(
            "<th scope=\"col\" class=\"num\">Kosten der Unterkunft und Heizung, Summe</th>"
        )
    );
    assert!(body.contains("<th scope=\"col\" class=\"num\">Bedarfsgemeinschaften</th>"));
    assert!(body.contains("31.01.2023"));
    assert!(body.contains("vorläufig (hochgerechnet)"));
    assert!(body.contains("Demodaten (erzeugt, Startwert"));
}

#[tokio::test]
async fn regensburg_shows_its_real_figures_and_source() {
    let s = demo_server().await;
    let (status, body, _) = get(&s.url("/vereinbarungen/t73906-2026-v1/ziele/bg")).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("Statistik der Bundesagentur für Arbeit, Eckwerte für Jobcenter (Blatt 1.1)")
    );
    assert!(
        !body.contains("Demodaten:"),
        "real figures are not labelled as demo"
    );
    // June 2026: 2 673.35 BG (projected) — shown rounded.
    assert!(
        body.contains("<th scope=\"row\">Juni 2026</th>\n<td class=\"num\">2.673</td>"),
        "{body}"
    );
}

#[tokio::test]
async fn annexes_follow_the_seed_paper() {
    let s = demo_server().await;
    let (status, body, _) = get(&s.url(&format!("{METTMANN}/anlagen"))).await;
    assert_eq!(status, 200);
    assert!(body.contains("Anlage 1: Kommunale Ziele 2022"));
    assert!(body.contains("Anlage 2: Lokales Planungsdokument"));
    assert!(body.contains("Handlungsansätze und Wirkungserwartungen"));
    let a1 = body.split("Anlage 2").next().unwrap();
    assert!(a1.contains("Kein Kind bleibt ohne die ihm zustehende Leistung"));
    let a2 = body.split("Anlage 2").nth(1).unwrap();
    let (further_goals, measures) = a2
        .split_once("Handlungsansätze und Wirkungserwartungen")
        .unwrap();
    assert!(further_goals.contains("Alleinerziehende besser in Arbeit integrieren"));
    assert!(
        !further_goals.contains("Kooperationsvereinbarung zum KIM abschließen"),
        "agreement goals stay in Anlage 1"
    );
    assert!(measures.contains("Suchtlotsinnen und -lotsen in den Teams"));
}

#[tokio::test]
async fn export_downloads_the_agreement_file_that_parses_back() {
    let s = demo_server().await;
    let (status, body, headers) = get(&s.url(&format!("{METTMANN}/export.toml"))).await;
    assert_eq!(status, 200);
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("vereinbarung-t36402-2022-v1.toml")
    );
    let parsed = zielwerk_ingest::parse("export.toml", &body).unwrap();
    assert_eq!(parsed, zielwerk_demo::mettmann_agreement().unwrap());
}

#[tokio::test]
async fn unknown_things_get_german_404_and_bad_input_400() {
    let s = demo_server().await;
    let (status, body, _) = get(&s.url("/vereinbarungen/t36402-1999-v1")).await;
    assert_eq!(status, 404);
    assert!(body.contains("Die Vereinbarung „t36402-1999-v1“ gibt es nicht."));
    let (status, body, _) = get(&s.url(&format!("{METTMANN}/ziele/gibt-es-nicht"))).await;
    assert_eq!(status, 404);
    assert!(body.contains("Das Ziel „gibt-es-nicht“ gibt es in dieser Vereinbarung nicht."));
    let (status, body, _) = get(&s.url(&format!("{METTMANN}?stand=2022-13"))).await;
    assert_eq!(status, 400);
    assert!(body.contains("Parameter „stand“: Monat 13 liegt außerhalb von 1 bis 12"));
    let (status, body, _) = get(&s.url(&format!("{METTMANN}?stand=2021-12"))).await;
    assert_eq!(status, 400);
    assert!(body.contains("2021-12 liegt nicht im Vereinbarungsjahr 2022"));
    let (status, _, _) = get(&s.url("/gibt/es/nicht")).await;
    assert_eq!(status, 404);
    // Hostile input is escaped, never echoed raw.
    let (_, body, _) = get(&s.url(&format!("{METTMANN}/ziele/%3Cscript%3E"))).await;
    assert!(!body.contains("<script>"));
    assert!(body.contains("&lt;script&gt;") || body.contains("&#60;script&#62;"));
}

#[tokio::test]
async fn a_new_revision_shows_at_once_despite_the_page_cache() {
    let s = demo_server().await;
    let page = s.url("/vereinbarungen/t73906-2026-v1/ziele/bg");
    let (_, before, _) = get(&page).await;
    assert!(before.contains("<td class=\"num\">2.673</td>"));
    let (_, again, _) = get(&page).await;
    assert_eq!(before, again, "served from the cache");
    revise_regensburg_bg(&s.store, "2026-06", 2_650.0).await;
    let (_, after, _) = get(&page).await;
    assert!(
        after.contains("<th scope=\"row\">Juni 2026</th>\n<td class=\"num\">2.650</td>"),
        "{after}"
    );
    assert!(after.contains("Revision Oktober"));
    // The replaced projection stays visible as history.
    let history = after.split("Frühere Werte (Revisionen)").nth(1).unwrap();
    assert!(history.contains("<th scope=\"row\">Juni 2026</th><td>Bedarfsgemeinschaften</td><td class=\"num\">2.673</td><td>vorläufig (hochgerechnet)</td><td>01.07.2026</td>"), "{history}");
}

#[tokio::test]
async fn kdu_goals_explain_the_change_with_a_waterfall() {
    let s = demo_server().await;
    for goal in ["kdu-summe", "kdu-je-bg"] {
        let (_, body, _) = get(&s.url(&format!("{METTMANN}/ziele/{goal}"))).await;
        assert!(body.contains("class=\"chart waterfall\""), "{goal}");
        assert!(
            body.contains("Mengeneffekt (Bedarfsgemeinschaften)"),
            "{goal}"
        );
        assert!(
            body.contains("Preiseffekt (Kosten der Unterkunft je Bedarfsgemeinschaft)"),
            "{goal}"
        );
        // The demo has BG and KdU by household size: the mix gets its own effect.
        assert!(
            body.contains("Struktureffekt (Mischung der Haushaltsgrößen)"),
            "{goal}"
        );
    }
    // A goal without a total = quantity × price structure shows none.
    let (_, body, _) = get(&s.url(&format!("{METTMANN}/ziele/but-quote"))).await;
    assert!(!body.contains("waterfall"));
}

#[tokio::test]
async fn goal_pages_forecast_the_year_end_with_a_probability() {
    let s = demo_server().await;
    let (_, june, _) = get(&s.url(&format!("{METTMANN}/ziele/kdu-je-bg?stand=2022-06"))).await;
    assert!(
        june.contains("Prognose für Dezember 2022:"),
        "forecast sentence"
    );
    assert!(june.contains("80-%-Intervall"));
    assert!(june.contains("Wahrscheinlichkeit, das Ziel zu erreichen:"));
    assert!(
        june.contains("class=\"forecast-band\""),
        "band in the chart"
    );
    // In December the year-end value is known: no forecast, the value.
    let (_, december, _) = get(&s.url(&format!("{METTMANN}/ziele/kdu-je-bg?stand=2022-12"))).await;
    assert!(december.contains("Der Wert für Dezember 2022 liegt vor"));
    assert!(!december.contains("class=\"forecast-band\""));
    // Flows forecast the year's sum.
    let (_, flow, _) =
        get(&s.url(&format!("{METTMANN}/ziele/sucht-zuweisungen?stand=2022-06"))).await;
    assert!(flow.contains("Prognose für Summe 2022:"));
    // Milestones have no forecast.
    let (_, milestone, _) = get(&s.url(&format!("{METTMANN}/ziele/kim-kooperation"))).await;
    assert!(!milestone.contains("Prognose für"));
}

async fn zuweisungen_2023(s: &crate::Server) -> usize {
    s.store
        .current_values(
            &"t36402".parse().unwrap(),
            &[&"SUCHT_ZUWEISUNGEN".parse().unwrap()],
        )
        .await
        .unwrap()
        .iter()
        .filter(|v| v.observation.month.year() == 2023)
        .count()
}

#[tokio::test]
async fn upload_shows_a_preview_and_stores_only_after_confirmation() {
    let s = demo_server().await;
    let (status, form, _) = get(&s.url("/import")).await;
    assert_eq!(status, 200);
    assert!(form.contains("enctype=\"multipart/form-data\""));
    let csv = "jobcenter;kennzahl;monat;wert;status;datenstand\nt36402;SUCHT_ZUWEISUNGEN;Januar 2023;43;endgültig;15.02.2023\nt36402;SUCHT_ZUWEISUNGEN;Februar 2023;1.002;endgültig;15.03.2023\n";
    let (status, preview) = upload(&s, "zuweisungen.csv", csv, "").await;
    assert_eq!(status, 200);
    assert!(
        preview.contains("Vorschau des Imports: zuweisungen.csv"),
        "{preview}"
    );
    assert!(
        preview.contains("<th scope=\"row\">neu</th><td class=\"num\">2</td>"),
        "{preview}"
    );
    assert!(preview.contains("Januar 2023") && preview.contains(">1.002</td>"));
    assert_eq!(zuweisungen_2023(&s).await, 0, "a preview stores nothing");
    let token = token_of(&preview);
    let (_, done) = confirm(&s, &token).await;
    assert!(
        done.contains("Import gespeichert: zuweisungen.csv"),
        "{done}"
    );
    assert!(done.contains("Import-Kennung"));
    assert_eq!(zuweisungen_2023(&s).await, 2);
    // The token is used up.
    assert_eq!(confirm(&s, &token).await.0, 400);
}

#[tokio::test]
async fn a_bad_upload_lists_every_error_and_offers_no_confirmation() {
    let s = demo_server().await;
    let csv = "jobcenter;kennzahl;monat;wert;status;datenstand\nt36402;SUCHT_ZUWEISUNGEN;2023-13;43;endgültig;15.02.2023\nt36402;<script>;2023-01;4;endgültig;15.02.2023\n";
    let (status, page) = upload(&s, "kaputt.csv", csv, "").await;
    assert_eq!(status, 422, "a refused file is not a success");
    assert!(page.contains("Datei abgelehnt: kaputt.csv"));
    assert!(page.contains("Monat 13 liegt außerhalb von 1 bis 12"));
    assert!(!page.contains("<script>"), "hostile values are escaped");
    assert!(
        !page.contains("/import/bestaetigen"),
        "no confirmation for a refused file"
    );
    // The same error in three rows is one line naming the other two.
    let csv = "jobcenter;kennzahl;monat;wert;status;datenstand\nt99999;BG;2023-01;4;endgültig;15.02.2023\nt99999;BG;2023-02;4;endgültig;15.03.2023\nt99999;BG;2023-03;4;endgültig;15.04.2023\n";
    let (status, page) = upload(&s, "falsches-jobcenter.csv", csv, "").await;
    assert_eq!(status, 422);
    assert!(
        page.contains("<caption>3 Fehler, gleiche Fehler in mehreren Zeilen zusammengefasst: 1 Meldung</caption>"),
        "{page}"
    );
    assert_eq!(page.matches("ebenso in Zeile 3 und 4").count(), 1, "{page}");
}

#[tokio::test]
async fn a_shipped_mapping_can_be_chosen_in_the_form() {
    let s = demo_server().await;
    let household = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/real/ba_wohnkosten_mettmann/t36402_mettmann_202604_household_size.csv"
    ))
    .unwrap();
    let (_, preview) = upload(
        &s,
        "haushalte.csv",
        &household,
        "ba-wohnkosten-haushaltsgroesse",
    )
    .await;
    assert!(
        preview.contains("<th scope=\"row\">Werte gelesen</th><td class=\"num\">22</td>"),
        "{preview}"
    );
    assert!(preview.contains("haushaltsgroesse=1"));
}

/// The KdU goal page splits the change of the recognised KdU from the BA's files: the real
/// April 2026 file and its synthetic twin of April 2025, both through the shipped mapping.
#[tokio::test]
async fn the_kdu_goal_page_splits_the_change_from_the_ba_files() {
    let s = demo_server().await;
    let agreement = zielwerk_ingest::parse(
        "kdu.toml",
        include_str!("../../../demo/data/vereinbarung_t36402_2026_kdu.toml"),
    )
    .unwrap();
    s.store.save_agreement(&agreement).await.unwrap();
    for (name, body) in [
        (
            "synthetisch_t36402_202504_household_size.csv",
            include_str!("../../../demo/data/synthetisch_t36402_202504_household_size.csv"),
        ),
        (
            "t36402_mettmann_202604_household_size.csv",
            include_str!(
                "../../../../../shared/data/real/ba_wohnkosten_mettmann/t36402_mettmann_202604_household_size.csv"
            ),
        ),
    ] {
        let (status, preview) = upload(&s, name, body, "ba-wohnkosten-haushaltsgroesse").await;
        assert_eq!(status, 200, "{preview}");
        assert!(!preview.contains("Identität"), "{preview}");
        assert_eq!(confirm(&s, &token_of(&preview)).await.0, 200);
    }
    let (status, page, _) =
        get(&s.url("/vereinbarungen/t36402-2026-v1/ziele/kdu-summe?stand=2026-04")).await;
    assert_eq!(status, 200);
    assert!(page.contains("class=\"chart waterfall\""), "{page}");
    for effect in [
        "Mengeneffekt (Bedarfsgemeinschaften mit anerkannten Kosten der Unterkunft)",
        "Preiseffekt (Anerkannte Kosten der Unterkunft und Heizung je Bedarfsgemeinschaft (BA-Statistik))",
        "Struktureffekt (Mischung der Haushaltsgrößen)",
    ] {
        assert!(page.contains(effect), "{effect}");
    }
    // April 2026: Σ BG with recognised KdU × KdU per such BG over the six sizes.
    assert!(page.contains("12.361.424\u{a0}EUR"), "{page}");
    assert!(!page.contains("Prüfhinweis"));

    // A delivery whose mean does not match its household sizes: imported (the figures are
    // the publisher's), and the warning stands beside the value on both goal pages.
    let real = include_str!(
        "../../../../../shared/data/real/ba_wohnkosten_mettmann/t36402_mettmann_202604_household_size.csv"
    );
    let wrong = real.replace(
        "recognised_kdu_total_eur_per_bg,732.3986,",
        "recognised_kdu_total_eur_per_bg,740.0000,",
    );
    assert_ne!(wrong, real);
    let (_, preview) = upload(&s, "falsch.csv", &wrong, "ba-wohnkosten-haushaltsgroesse").await;
    assert!(preview.contains("Identität „KDU_ANERKANNT_JE_BG = Mittel der Klassen nach haushaltsgroesse, gewichtet mit BG_MIT_ANERKANNTEN_KDU“ verletzt für t36402, April 2026: veröffentlicht 740,0000, berechnet 732,398590"), "{preview}");
    assert_eq!(confirm(&s, &token_of(&preview)).await.0, 200);
    let warning = "Identität „KDU_ANERKANNT_JE_BG = Mittel der Klassen nach haushaltsgroesse, gewichtet mit BG_MIT_ANERKANNTEN_KDU“ verletzt: veröffentlicht 740,0000, berechnet 732,398590 (Abweichung 7,601410)";
    let row = |page: &str| {
        page.split("<th scope=\"row\">April 2026</th>")
            .nth(1)
            .and_then(|r| r.split("</tr>").next())
            .unwrap_or_default()
            .to_owned()
    };
    let (_, per_bg, _) =
        get(&s.url("/vereinbarungen/t36402-2026-v1/ziele/kdu-je-bg?stand=2026-04")).await;
    assert!(
        row(&per_bg).contains(&format!("Prüfhinweis der Quelle:</strong> {warning}")),
        "{per_bg}"
    );
    let (_, total, _) =
        get(&s.url("/vereinbarungen/t36402-2026-v1/ziele/kdu-summe?stand=2026-04")).await;
    assert!(
        row(&total).contains(&format!("KDU_ANERKANNT_JE_BG: {warning}")),
        "{total}"
    );
    // The corrected file again: the value is revised back and the warning is gone.
    let (_, preview) = upload(&s, "richtig.csv", real, "ba-wohnkosten-haushaltsgroesse").await;
    assert_eq!(confirm(&s, &token_of(&preview)).await.0, 200);
    let (_, per_bg, _) =
        get(&s.url("/vereinbarungen/t36402-2026-v1/ziele/kdu-je-bg?stand=2026-04")).await;
    assert!(!per_bg.contains("Prüfhinweis"), "{per_bg}");
}

/// The real Regensburg file re-sent after one of its projected months became final: the final
/// value stays, the preview says so, and the rest of the file is taken.
#[tokio::test]
async fn a_re_sent_real_file_keeps_the_final_values_with_a_hint() {
    let s = demo_server().await;
    // January 2025's BG in the file is fractional, that is a projection.
    let csv = "jobcenter;kennzahl;monat;wert;status;datenstand\nt73906;BG;Januar 2025;2.801;endgültig;30.04.2025\n";
    let (_, preview) = upload(&s, "endgueltig.csv", csv, "").await;
    assert_eq!(confirm(&s, &token_of(&preview)).await.0, 200);

    let real = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../demo/data/kennzahlen_sgb2.csv"
    ))
    .unwrap();
    let (status, preview) = upload(
        &s,
        "kennzahlen_sgb2.csv",
        &real,
        "regensburg-kennzahlen-sgb2",
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        preview.contains("Vorschau des Imports: kennzahlen_sgb2.csv"),
        "{preview}"
    );
    assert!(
        preview.contains(
            "Für BG Januar 2025 ist schon ein endgültiger Wert gespeichert; er bleibt, der vorläufige Wert dieser Zeile wird nicht übernommen"
        ),
        "{preview}"
    );
    let (status, done) = confirm(&s, &token_of(&preview)).await;
    assert_eq!(status, 200, "{done}");
    let bg = s
        .store
        .current_values(&"t73906".parse().unwrap(), &[&"BG".parse().unwrap()])
        .await
        .unwrap();
    let january = bg
        .iter()
        .find(|v| v.observation.month.to_string() == "2025-01")
        .unwrap();
    assert_eq!(january.observation.value, Some(2801.0));
}

/// The Land view and a Kreis page on the real INKAR figures: signed in only, the table and its
/// Excel download agree, wrong input gets a German message naming the parameter.
#[tokio::test]
async fn the_land_view_lists_every_kreis_and_downloads_as_excel() {
    let s = demo_server().await;
    crate::import_inkar(&s).await;
    let query = "kennzahl=D_UNTERKUNFT_LSTG&jahr=2021";
    let (status, page, _) = get(&s.url(&format!("/regionen/05?{query}"))).await;
    assert_eq!(status, 200);
    assert!(page.contains(
        "<caption>Leistungen für Unterkunft je Bedarfsgemeinschaft und Monat, 2021: 53 Kreise</caption>"
    ));
    assert!(
        page.contains("Nordrhein-Westfalen: <strong>438,14\u{a0}€</strong>"),
        "{page}"
    );
    assert!(page.contains("Datenbasis: INKAR, BBSR Bonn; Statistik der Bundesagentur für Arbeit"));
    // Mettmann's row names its Jobcenter with the link to its agreement of the year (none for 2021).
    let mettmann = page
        .split("<th scope=\"row\"><a href=\"/regionen/05158?")
        .nth(1)
        .and_then(|r| r.split("</tr>").next())
        .unwrap();
    assert!(mettmann.contains("477,25\u{a0}€"), "{mettmann}");
    assert!(mettmann.contains("<td class=\"num\">48</td>"), "{mettmann}");
    assert!(mettmann.contains("jobcenter ME-aktiv"), "{mettmann}");

    // The Excel file holds the same rows.
    let (status, ct, xlsx) =
        crate::bytes(&s.url(&format!("/regionen/05/werte.xlsx?{query}"))).await;
    assert_eq!(status, 200);
    assert!(ct.contains("spreadsheetml"), "{ct}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.xlsx");
    std::fs::write(&path, &xlsx).unwrap();
    use calamine::{Data, Reader};
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&path).unwrap();
    let range = wb.worksheet_range("Regionen").unwrap();
    let rows: Vec<Vec<Data>> = range.rows().map(|r| r.to_vec()).collect();
    assert_eq!(rows.len(), 54, "header and 53 Kreise");
    let row = rows
        .iter()
        .find(|r| r[1] == Data::String("05158".into()))
        .unwrap();
    assert_eq!(row[2], Data::Float(477.25));
    assert_eq!(row[4], Data::Float(48.0));
    let info = wb.worksheet_range("Hinweise").unwrap();
    assert!(
        info.rows()
            .any(|r| r[1].to_string().contains("Datenbasis: INKAR, BBSR Bonn"))
    );

    // Wrong input: a German message naming the parameter; an unknown region is not found.
    let (status, page, _) = get(&s.url("/regionen/05?jahr=1990")).await;
    assert_eq!(status, 400);
    assert!(
        page.contains("Parameter „jahr“: Für 1990 liegen keine Werte vor"),
        "{page}"
    );
    let (status, page, _) = get(&s.url("/regionen/05?kennzahl=K2")).await;
    assert_eq!(status, 400);
    assert!(
        page.contains("Parameter „kennzahl“: „K2“ ist keine der Jahreskennzahlen dieser Ansicht")
    );
    let (status, _, _) = get(&s.url("/regionen/99")).await;
    assert_eq!(status, 404);
    // Not signed in: to the sign-in page.
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = anonymous.get(s.url("/regionen/05")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
}
