//! The three real files in `shared/data/real/` import unchanged through their mapping files.

use std::collections::BTreeMap;

use zielwerk_domain::keyfigures::catalogue;
use zielwerk_domain::{Observation, ValueStatus, YearMonth};
use zielwerk_ingest::long_csv::Catalog;
use zielwerk_ingest::mapped::{parse_mapping, read_mapped};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn catalog() -> Catalog {
    let mut c = Catalog::default();
    c.regions.insert("t73906".parse().unwrap());
    c.regions.insert("t36402".parse().unwrap());
    for ind in catalogue() {
        c.indicators.insert(ind.code.clone(), ind);
    }
    let regensburg = zielwerk_ingest::parse(
        "r.toml",
        include_str!("../../../examples/agreement-regensburg-2026.toml"),
    )
    .unwrap();
    for ind in regensburg.indicators {
        c.indicators.entry(ind.code.clone()).or_insert(ind);
    }
    c
}

fn import(data: &str, mapping: &str) -> (Vec<Observation>, zielwerk_ingest::long_csv::Accepted) {
    let data_path = format!("{ROOT}/../shared/data/real/{data}");
    let mapping_path = format!("{ROOT}/mappings/{mapping}");
    let m = parse_mapping(mapping, &std::fs::read_to_string(&mapping_path).unwrap()).unwrap();
    let mut got = Vec::new();
    let mut sink = |chunk: Vec<Observation>| {
        got.extend(chunk);
        Ok(())
    };
    let file = std::fs::File::open(&data_path).unwrap_or_else(|e| panic!("{data_path}: {e}"));
    let accepted =
        read_mapped(data, file, &m, &catalog(), &mut sink).unwrap_or_else(|e| panic!("{e}"));
    (got, accepted)
}

fn by(obs: &[Observation], code: &str) -> BTreeMap<YearMonth, f64> {
    obs.iter()
        .filter(|o| o.indicator.as_str() == code && o.breakdown.is_none())
        .map(|o| (o.month, o.value.unwrap()))
        .collect()
}

#[test]
fn regensburg_wide_table_rlb_is_elb_plus_nef() {
    let (obs, acc) = import(
        "regensburg/kennzahlen_sgb2.csv",
        "regensburg-kennzahlen-sgb2.toml",
    );
    assert_eq!(acc.rows, 18 * 6);
    assert!(acc.warnings.is_empty());
    let (rlb, elb, nef) = (by(&obs, "RLB"), by(&obs, "ELB"), by(&obs, "NEF"));
    assert_eq!(rlb.len(), 18);
    for (m, r) in &rlb {
        assert!((r - (elb[m] + nef[m])).abs() < 1e-6, "{m}");
    }
    let jan = obs
        .iter()
        .find(|o| o.indicator.as_str() == "BG" && o.month.to_string() == "2025-01")
        .unwrap();
    assert_eq!(
        (jan.value, jan.status),
        (Some(2797.30338102), ValueStatus::Projected)
    );
    assert_eq!(jan.datenstand.to_string(), "2025-02-01");
    let alo = obs
        .iter()
        .find(|o| o.indicator.as_str() == "ALO_SGB2" && o.month.to_string() == "2025-01")
        .unwrap();
    assert_eq!((alo.value, alo.status), (Some(1470.0), ValueStatus::Final));
}

#[test]
fn regensburg_long_file_agrees_with_the_wide_one() {
    let (long, acc) = import(
        "regensburg/eckwerte_long.csv",
        "regensburg-eckwerte-long.toml",
    );
    assert_eq!(acc.rows, 18 * 6);
    let (wide, _) = import(
        "regensburg/kennzahlen_sgb2.csv",
        "regensburg-kennzahlen-sgb2.toml",
    );
    for code in ["BG", "ELB", "NEF", "RLB", "ALO_SGB2", "LZA_SGB2"] {
        assert_eq!(by(&long, code), by(&wide, code), "{code}");
    }
}

#[test]
fn mettmann_household_sizes_sum_to_17_225() {
    let (obs, acc) = import(
        "ba_wohnkosten_mettmann/t36402_mettmann_202604_household_size.csv",
        "ba-wohnkosten-haushaltsgroesse.toml",
    );
    // BG, BG with recognised KdU and KdU per such BG, each in total and for six sizes; the
    // actual KdU per BG in total.
    assert_eq!(acc.rows, 3 * 7 + 1);
    // The file's identities all hold: classes add up, the mean is weighted as the BA weights.
    assert!(acc.warnings.is_empty(), "{:?}", acc.warnings);
    let month: YearMonth = "2026-04".parse().unwrap();
    let classes = |code: &str| -> BTreeMap<String, f64> {
        obs.iter()
            .filter(|o| o.indicator.as_str() == code)
            .filter_map(|o| Some((o.breakdown.as_ref()?.class.clone(), o.value.unwrap())))
            .collect()
    };
    assert_eq!(classes("BG").values().sum::<f64>(), 17_225.0);
    assert_eq!(by(&obs, "BG")[&month], 17_225.0);
    assert_eq!(by(&obs, "BG_MIT_ANERKANNTEN_KDU")[&month], 16_878.0);
    assert_eq!(by(&obs, "KDU_ANERKANNT_JE_BG")[&month], 732.3986);
    // KdU per BG recomputed from the household sizes, weighted with BG with recognised KdU,
    // is the published figure at its four places; weighted with all BG it is not.
    let (price, with_kdu, all) = (
        classes("KDU_ANERKANNT_JE_BG"),
        classes("BG_MIT_ANERKANNTEN_KDU"),
        classes("BG"),
    );
    assert_eq!(price.len(), 6);
    let mean = |w: &BTreeMap<String, f64>| {
        price.iter().map(|(c, p)| p * w[c]).sum::<f64>() / w.values().sum::<f64>()
    };
    assert_eq!(format!("{:.4}", mean(&with_kdu)), "732.3986");
    assert_eq!(format!("{:.4}", mean(&all)), "731.7067");
    assert!(
        obs.iter()
            .all(|o| o.region.as_str() == "t36402" && o.status == ValueStatus::Final)
    );
}

/// The pitfall the shipped mapping avoids: a mapping that declares the BA's KdU per BG a mean
/// over all BG gets a warning naming both sides.
#[test]
fn weighting_kdu_per_bg_with_all_bg_is_flagged_by_the_identity() {
    let shipped = std::fs::read_to_string(format!(
        "{ROOT}/mappings/ba-wohnkosten-haushaltsgroesse.toml"
    ))
    .unwrap();
    let wrong = shipped.replace(
        "value = \"KDU_ANERKANNT_JE_BG\"\nweight = \"BG_MIT_ANERKANNTEN_KDU\"",
        "value = \"KDU_ANERKANNT_JE_BG\"\nweight = \"BG\"",
    );
    assert_ne!(wrong, shipped);
    let m = parse_mapping("falsch.toml", &wrong).unwrap();
    let file = std::fs::File::open(format!(
        "{ROOT}/../shared/data/real/ba_wohnkosten_mettmann/t36402_mettmann_202604_household_size.csv"
    ))
    .unwrap();
    let mut sink = |_c: Vec<Observation>| Ok(());
    let acc = read_mapped("kdu.csv", file, &m, &catalog(), &mut sink).unwrap();
    let messages: Vec<&str> = acc.warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "Identität „KDU_ANERKANNT_JE_BG = Mittel der Klassen nach haushaltsgroesse, gewichtet mit BG“ verletzt für t36402, April 2026: veröffentlicht 732,3986, berechnet 731,706668 (Abweichung 0,691932)"
        ]
    );
}

#[test]
fn a_mapping_naming_a_missing_column_is_refused_with_that_column() {
    let m = parse_mapping(
        "m.toml",
        "format = \"zielwerk-zuordnung/1\"\nlabel = \"x\"\njobcenter = \"t73906\"\nmonth_column = \"period\"\nstatus = \"final\"\ndatenstand = \"next_month\"\n[[values]]\ncolumn = \"Gibt es nicht\"\nindicator = \"BG\"\n",
    )
    .unwrap();
    let file = std::fs::File::open(format!(
        "{ROOT}/../shared/data/real/regensburg/kennzahlen_sgb2.csv"
    ))
    .unwrap();
    let mut sink = |_c: Vec<Observation>| Ok(());
    let err = read_mapped("k.csv", file, &m, &catalog(), &mut sink).unwrap_err();
    assert_eq!(
        err.to_string().lines().nth(1).unwrap().trim(),
        "k.csv, Zeile 1, Spalte „Gibt es nicht“: Die Zuordnung nennt diese Spalte, die Datei hat sie nicht"
    );
    // Bad mapping files get German messages too.
    let e = parse_mapping("m.toml", "format = \"zielwerk-zuordnung/1\"\nlabel = 3\n").unwrap_err();
    assert!(e.starts_with("Zuordnungsdatei m.toml, Zeile 2"), "{e}");
    let e = parse_mapping(
        "m.toml",
        "format = \"zielwerk-zuordnung/1\"\nlabel = \"x\"\nmonth_column = \"p\"\nstatus = \"final\"\ndatenstand = \"next_month\"\n[[values]]\ncolumn = \"a\"\nindicator = \"BG\"\n",
    )
    .unwrap_err();
    assert_eq!(
        e,
        "Zuordnungsdatei m.toml: Genau eines von „jobcenter“/„region“ (fester Wert) oder „jobcenter_column“/„region_column“ (Spalte) ist anzugeben"
    );
}

/// A workbook as the BA publishes them: a title row, a two-line header with a merged group title,
/// date cells for months, a suppressed cell ("*") and a footnote line below the table.
fn ba_style_workbook() -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let date = Format::new().set_num_format("mm/yyyy");
    ws.merge_range(
        0,
        0,
        0,
        3,
        "Eckwerte für Jobcenter – Regensburg (t73906)",
        &Format::new(),
    )
    .unwrap();
    ws.write_string(2, 0, "Berichtsmonat").unwrap();
    ws.merge_range(2, 1, 2, 2, "Arbeitslose", &Format::new())
        .unwrap();
    ws.write_string(3, 1, "insgesamt").unwrap();
    ws.write_string(3, 2, "SGB II").unwrap();
    let rows: [(u8, f64, Option<f64>); 3] = [
        (1, 3743.0, Some(1470.0)),
        (2, 3650.0, None),
        (3, 3600.0, Some(1414.0)),
    ];
    for (i, (month, total, sgb2)) in rows.iter().enumerate() {
        let r = 4 + i as u32;
        ws.write_datetime_with_format(
            r,
            0,
            ExcelDateTime::from_ymd(2025, *month, 1).unwrap(),
            &date,
        )
        .unwrap();
        ws.write_number(r, 1, *total).unwrap();
        match sgb2 {
            Some(v) => ws.write_number(r, 2, *v).unwrap(),
            None => ws.write_string(r, 2, "*").unwrap(),
        };
    }
    ws.write_string(8, 0, "* Werte gesperrt (weniger als 3 Fälle)")
        .unwrap();
    wb.save_to_buffer().unwrap()
}

const WORKBOOK_MAPPING: &str = r#"
format = "zielwerk-zuordnung/1"
label = "BA-Arbeitsmappe"
jobcenter = "t73906"
month_column = "Berichtsmonat"
header_rows = 2
status = "final"
datenstand = "next_month"

[[values]]
column = "Arbeitslose / SGB II"
indicator = "ALO_SGB2"
"#;

/// How German workbooks often come: the month typed as text "01.2025", numbers typed as text
/// "2.790,5" (or "1.470" for 1470) beside real numeric cells.
#[test]
fn a_workbook_with_german_text_numbers_and_text_months() {
    use rust_xlsxwriter::Workbook;
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "Berichtsmonat").unwrap();
    ws.write_string(0, 1, "Arbeitslose / SGB II").unwrap();
    ws.write_string(1, 0, "01.2025").unwrap();
    ws.write_string(1, 1, "2.790,5").unwrap();
    ws.write_string(2, 0, "02.2025").unwrap();
    ws.write_string(2, 1, "1.470").unwrap();
    ws.write_string(3, 0, "03.2025").unwrap();
    ws.write_number(3, 1, 1414.0).unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let m = parse_mapping(
        "wb.toml",
        &WORKBOOK_MAPPING.replace("header_rows = 2\n", ""),
    )
    .unwrap();
    let mut got = Vec::new();
    let mut sink = |chunk: Vec<Observation>| {
        got.extend(chunk);
        Ok(())
    };
    zielwerk_ingest::mapped::read_workbook("deutsch.xlsx", bytes, &m, &catalog(), &mut sink)
        .unwrap_or_else(|e| panic!("{e}"));
    let values: Vec<(String, f64)> = got
        .iter()
        .map(|o| (o.month.to_string(), o.value.unwrap()))
        .collect();
    assert_eq!(
        values,
        vec![
            ("2025-01".into(), 2790.5),
            ("2025-02".into(), 1470.0),
            ("2025-03".into(), 1414.0)
        ]
    );
}

#[test]
fn a_ba_workbook_with_title_rows_merged_headers_and_footnote_symbols() {
    let m = parse_mapping("wb.toml", WORKBOOK_MAPPING).unwrap();
    let mut got = Vec::new();
    let mut sink = |chunk: Vec<Observation>| {
        got.extend(chunk);
        Ok(())
    };
    let acc = zielwerk_ingest::mapped::read_workbook(
        "eckwerte.xlsx",
        ba_style_workbook(),
        &m,
        &catalog(),
        &mut sink,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(acc.encoding, "XLSX");
    let values: Vec<(String, f64)> = got
        .iter()
        .map(|o| (o.month.to_string(), o.value.unwrap()))
        .collect();
    // February is suppressed ("*"): no value, not an error and not zero.
    assert_eq!(
        values,
        vec![("2025-01".into(), 1470.0), ("2025-03".into(), 1414.0)]
    );
    assert_eq!(
        acc.warnings.len(),
        1,
        "the suppressed month is a gap in the series"
    );

    // A column the sheet does not have is named in the message.
    let bad = parse_mapping(
        "wb.toml",
        &WORKBOOK_MAPPING.replace("Arbeitslose / SGB II", "Arbeitslose / SGB III"),
    )
    .unwrap();
    let mut sink = |_c: Vec<Observation>| Ok(());
    let err = zielwerk_ingest::mapped::read_workbook(
        "eckwerte.xlsx",
        ba_style_workbook(),
        &bad,
        &catalog(),
        &mut sink,
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("keine Kopfzeile mit den Spalten Arbeitslose / SGB III, Berichtsmonat"),
        "{err}"
    );
    // Not a workbook at all.
    let err = zielwerk_ingest::mapped::read_workbook(
        "kaputt.xlsx",
        b"kein zip".to_vec(),
        &m,
        &catalog(),
        &mut sink,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains(
            "Die Datei ist keine lesbare Arbeitsmappe; gelesen werden XLSX, XLSM, XLS und ODS"
        ),
        "{err}"
    );
}

/// Workbooks built to exhaust the memory are refused before they are unpacked or laid out:
/// one extra cell at XFD1048576, and shared strings of hundreds of megabytes.
#[test]
fn hostile_workbooks_are_refused_with_the_limit() {
    use rust_xlsxwriter::Workbook;
    let m = parse_mapping(
        "wb.toml",
        &WORKBOOK_MAPPING.replace("header_rows = 2\n", ""),
    )
    .unwrap();
    let mut sink = |_c: Vec<Observation>| Ok(());
    // One value, and one more cell far out.
    let one_value_and = |row: u32, col: u16, text: &str| {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "Berichtsmonat").unwrap();
        ws.write_string(0, 1, "Arbeitslose / SGB II").unwrap();
        ws.write_string(1, 0, "01.2025").unwrap();
        ws.write_number(1, 1, 1470.0).unwrap();
        ws.write_string(row, col, text).unwrap();
        wb.save_to_buffer().unwrap()
    };
    // A 5 KB workbook with a cell in the last column and row of the sheet.
    let bytes = one_value_and(1_048_575, 16_383, "x");
    assert!(bytes.len() < 10_000);
    let err = zielwerk_ingest::mapped::read_workbook("xfd.xlsx", bytes, &m, &catalog(), &mut sink)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("Das Blatt hat Werte in Spalte 16384 (Zeile 1048576); gelesen werden höchstens 1000 Spalten"),
        "{err}"
    );
    // Far down but narrow: read (the rows between are not laid out).
    let mut got = Vec::new();
    let mut keep = |c: Vec<Observation>| {
        got.extend(c);
        Ok(())
    };
    zielwerk_ingest::mapped::read_workbook(
        "weit.xlsx",
        one_value_and(199_999, 700, "Fußnote"),
        &m,
        &catalog(),
        &mut keep,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got.len(), 1);
    // Shared strings that unpack to more than the limit (highly compressible text).
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let big = "x".repeat(30_000);
    for r in 0..4_000u32 {
        ws.write_string(r, 0, format!("{r}{big}")).unwrap();
    }
    let bytes = wb.save_to_buffer().unwrap();
    let err =
        zielwerk_ingest::mapped::read_workbook("strings.xlsx", bytes, &m, &catalog(), &mut sink)
            .unwrap_err()
            .to_string();
    assert!(
        err.contains("würde entpackt") && err.contains("höchstens 100 MB"),
        "{err}"
    );
}

#[test]
fn a_mapped_csv_row_with_more_fields_than_the_header_is_refused_at_that_field() {
    // The real Regensburg file with a stray separator in one row: its last value would have been
    // dropped without a word.
    let path = format!("{ROOT}/../shared/data/real/regensburg/kennzahlen_sgb2.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[2].push_str(",99");
    let broken = lines.join("\n");
    let m = parse_mapping(
        "regensburg-kennzahlen-sgb2.toml",
        &std::fs::read_to_string(format!("{ROOT}/mappings/regensburg-kennzahlen-sgb2.toml"))
            .unwrap(),
    )
    .unwrap();
    let mut sink = |_c: Vec<Observation>| Ok(());
    let err = read_mapped("k.csv", broken.as_bytes(), &m, &catalog(), &mut sink).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("k.csv, Zeile 3, Spalte „Feld 11“, Wert „99“: Die Zeile hat 11 Felder, die Kopfzeile nur 10 Spalten"),
        "{message}"
    );
}
