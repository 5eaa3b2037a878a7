//! A corpus of malformed inputs, one kind of mistake each, for every format a user hands in:
//! each must be refused (nothing accepted), with a German message that names the place (file and
//! row and column, line and column and field, or the value). The count and share are printed for
//! `docs/reliability.md` (`cargo test -p zielwerk-fuzz --test malformed -- --nocapture`).

use zielwerk_fuzz::german;
use zielwerk_fuzz::targets::{catalog, mappings, refusal_is_usable};
use zielwerk_ingest::german::{DecimalStyle, parse_month, parse_number};

const HEADER: &str =
    "jobcenter;kennzahl;monat;wert;zaehler;nenner;status;datenstand;aufschluesselung";
const LONG_CLASS: &str =
    "haushaltsgroesse=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
const GOOD: [&str; 3] = [
    "t36402;BG;2022-01;18.123;;;endgültig;31.01.2023;",
    "t36402;SUCHT_ANTRITT;2022-01;;25;41;endgültig;15.02.2022;",
    "t36402;KDU_SUMME;2022-02;1.234.567,89;;;vorläufig;31.03.2022;haushaltsgroesse=1",
];

/// (what is wrong, the file): the good rows with one field of one row replaced, or the shape
/// broken.
fn csv_cases() -> Vec<(String, String)> {
    let mut cases = Vec::new();
    let fields: [(usize, &[&str]); 9] = [
        (0, &["t99999", "36402", "T3640", "", "t36402 x"]),
        (1, &["XYZ", "", "bg-summe"]),
        (
            2,
            &[
                "2022-13",
                "13/2022",
                "März",
                "31.1.23",
                "2004-12",
                "2101-01",
                "Januar 20222",
                "",
            ],
        ),
        (
            3,
            &["abc", "1e400", "1,2,3", "12.34.56", "100000000000000000000"],
        ),
        (4, &["x"]),
        (5, &["0"]),
        (6, &["egal", "", "fertig"]),
        (
            7,
            &["31.02.2023", "31.12.9999", "2023", "gestern", "15.01.2021"],
        ),
        (
            8,
            &[
                "haushaltsgroesse",
                "=1",
                "Haushalt Größe=1",
                "haushaltsgroesse=\u{0}",
                LONG_CLASS,
            ],
        ),
    ];
    for (col, values) in fields {
        for bad in values {
            // Row 2 (SUCHT_ANTRITT) for numerator and denominator, row 1 otherwise; the column
            // of the numerator is also wrong for a row that has a value.
            let row = if col == 4 || col == 5 { 1 } else { 0 };
            let mut rows: Vec<Vec<String>> = GOOD
                .iter()
                .map(|r| r.split(';').map(str::to_owned).collect())
                .collect();
            rows[row][col] = (*bad).to_owned();
            let body = rows
                .iter()
                .map(|r| r.join(";"))
                .collect::<Vec<_>>()
                .join("\n");
            cases.push((
                format!("Spalte {} = {bad:?}", HEADER.split(';').nth(col).unwrap()),
                format!("{HEADER}\n{body}\n"),
            ));
        }
    }
    let all = GOOD.join("\n");
    for (what, file) in [
        ("leere Datei", String::new()),
        ("nur Leerzeilen", "\n\n\n".to_owned()),
        (
            "Kopfzeile ohne kennzahl",
            format!("{}\n{all}\n", HEADER.replace("kennzahl", "kennziffer")),
        ),
        (
            "Spalte jobcenter doppelt",
            format!("jobcenter;{HEADER}\nt73906;{}\n", GOOD[0]),
        ),
        (
            "eine Zeile zu lang",
            format!("{HEADER}\n{};zuviel\n", GOOD[0]),
        ),
        (
            "eine Zeile zu kurz",
            format!("{HEADER}\nt36402;BG;2022-01\n"),
        ),
        (
            "falsches Trennzeichen",
            format!("{}\n{}\n", HEADER.replace(';', "\t"), GOOD[0]),
        ),
        (
            "offenes Anführungszeichen",
            format!("{HEADER}\nt36402;\"BG;2022-01;1;;;endgültig;31.01.2023;\n"),
        ),
        (
            "Anteil 0/0",
            format!("{HEADER}\nt36402;SUCHT_ANTRITT;2022-01;;0;0;endgültig;15.02.2022;\n"),
        ),
        (
            "Zähler über Nenner",
            format!("{HEADER}\nt36402;SUCHT_ANTRITT;2022-01;;50;41;endgültig;15.02.2022;\n"),
        ),
        (
            "derselbe Wert zweimal",
            format!(
                "{HEADER}\n{}\n{}\n",
                GOOD[0],
                GOOD[0].replace("18.123", "18.124")
            ),
        ),
    ] {
        cases.push((what.to_owned(), file));
    }
    cases
}

fn check_csv(file: &str) -> Result<(), String> {
    let mut sink = |_: Vec<zielwerk_domain::Observation>| Ok(());
    match zielwerk_ingest::long_csv::read("werte.csv", file.as_bytes(), &catalog(), &mut sink) {
        Ok(_) => Err("angenommen".into()),
        Err(r) => refusal_is_usable(&r),
    }
}

const AGREEMENT: &str = include_str!("../../../examples/agreement-regensburg-2026.toml");

/// (what, replace this, with that) in the Regensburg example.
const AGREEMENT_CASES: [(&str, &str, &str); 16] = [
    ("Jahr außerhalb", "year = 2026", "year = 99999"),
    ("Version 0", "version = 1", "version = 0"),
    (
        "Titel leer",
        "title = \"Zielvereinbarung 2026 (Beispielziele)\"",
        "title = \"\"",
    ),
    (
        "Titel mit NUL",
        "title = \"Zielvereinbarung 2026 (Beispielziele)\"",
        "title = \"Ziel\\u0000\"",
    ),
    (
        "BA-Kennung falsch",
        "ba_id = \"t73906\"",
        "ba_id = \"73906\"",
    ),
    (
        "unbekanntes Feld",
        "key = \"bg\"",
        "key = \"bg\"\ntitel = \"x\"",
    ),
    (
        "unbekannte Kennzahl",
        "indicator = \"BG\"",
        "indicator = \"GIBTESNICHT\"",
    ),
    (
        "unbekannter Bereich",
        "area = \"leistungsbezug\"\ntitle = \"Zahl der Bedarfs",
        "area = \"nirgends\"\ntitle = \"Zahl der Bedarfs",
    ),
    ("Zielschlüssel doppelt", "key = \"elb\"", "key = \"bg\""),
    (
        "negativer Zielwert einer Zählung",
        "value = 2600.0",
        "value = -5.0",
    ),
    ("Zielwert unendlich", "value = 2600.0", "value = inf"),
    (
        "Richtung unbekannt",
        "direction = \"lower\"",
        "direction = \"runter\"",
    ),
    (
        "Formel auf sich selbst",
        "numerator = \"ELB\"",
        "numerator = \"ELB_JE_BG\"",
    ),
    ("Gleichheitszeichen fehlt", "year = 2026", "year 2026"),
    (
        "Anführungszeichen offen",
        "name = \"Jobcenter Regensburg\"",
        "name = \"Jobcenter Regensburg",
    ),
    (
        "Tabelle doppelt",
        "[agreement]",
        "[agreement]\nyear = 2026\n[agreement]",
    ),
];

fn check_agreement(text: &str) -> Result<(), String> {
    match zielwerk_ingest::parse("vereinbarung.toml", text) {
        Ok(_) => Err("angenommen".into()),
        Err(e) => {
            for p in &e.problems {
                german(&p.message)?;
                if p.line == 0 || p.column == 0 {
                    return Err(format!("ohne Zeile: {}", p.message));
                }
            }
            Ok(())
        }
    }
}

const MAPPING: &str = include_str!("../../../mappings/regensburg-kennzahlen-sgb2.toml");

const MAPPING_CASES: [(&str, &str, &str); 7] = [
    (
        "falsches Format",
        "format = \"zielwerk-zuordnung/1\"",
        "format = \"zielwerk-zuordnung/9\"",
    ),
    (
        "unbekannter Status",
        "status = \"projected_if_fractional\"",
        "status = \"irgendwie\"",
    ),
    (
        "Gleichheitszeichen fehlt",
        "month_column = \"period\"",
        "month_column \"period\"",
    ),
    (
        "unbekanntes Feld",
        "month_column = \"period\"",
        "month_column = \"period\"\nmonat = 1",
    ),
    (
        "Jobcenter doppelt angegeben",
        "jobcenter = \"t73906\"",
        "jobcenter = \"t73906\"\njobcenter_column = \"jc\"",
    ),
    (
        "Datenstand unlesbar",
        "datenstand = \"next_month\"",
        "datenstand = \"bald\"",
    ),
    ("kein Wert zugeordnet", "[[values]]", "[[nichts]]"),
];

fn check_mapping(text: &str) -> Result<(), String> {
    match zielwerk_ingest::mapped::parse_mapping("zuordnung.toml", text) {
        Ok(_) => Err("angenommen".into()),
        Err(m) => {
            german(&m)?;
            if m.contains("zuordnung.toml") {
                Ok(())
            } else {
                Err(format!("nennt die Datei nicht: {m}"))
            }
        }
    }
}

fn workbook(header: &[&str], rows: &[(&str, f64)]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in header.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, (m, v)) in rows.iter().enumerate() {
        ws.write_string(r as u32 + 1, 0, *m).unwrap();
        ws.write_number(r as u32 + 1, 1, *v).unwrap();
    }
    wb.save_to_buffer().unwrap()
}

fn workbook_cases() -> Vec<(&'static str, Vec<u8>)> {
    let good = workbook(&["period", "Bedarfsgemeinschaften"], &[("2022-01", 5000.0)]);
    vec![
        ("abgeschnitten", good[..good.len() / 2].to_vec()),
        ("keine Arbeitsmappe", b"das ist keine Arbeitsmappe".to_vec()),
        ("leer", Vec::new()),
        (
            "Monatsspalte fehlt",
            workbook(
                &["zeitraum", "Bedarfsgemeinschaften"],
                &[("2022-01", 5000.0)],
            ),
        ),
        (
            "Monat unlesbar",
            workbook(
                &["period", "Bedarfsgemeinschaften"],
                &[("irgendwann", 5000.0)],
            ),
        ),
        (
            "Wert negativ unendlich groß",
            workbook(&["period", "Bedarfsgemeinschaften"], &[("2022-01", 1e300)]),
        ),
    ]
}

fn check_workbook(bytes: &[u8]) -> Result<(), String> {
    let mapping = mappings().swap_remove(0).1;
    let mut sink = |_: Vec<zielwerk_domain::Observation>| Ok(());
    match zielwerk_ingest::mapped::read_workbook(
        "mappe.xlsx",
        bytes.to_vec(),
        &mapping,
        &catalog(),
        &mut sink,
    ) {
        Ok(_) => Err("angenommen".into()),
        Err(r) => refusal_is_usable(&r),
    }
}

const NUMBERS: [&str; 16] = [
    "",
    "abc",
    "1,2,3",
    "12.34",
    "1.2345,6",
    "1e5",
    "NaN",
    "inf",
    "--5",
    "5-",
    "1 000",
    "1.000.000.000.000,5",
    "0x10",
    "½",
    "1,5,",
    ",",
];
const MONTHS: [&str; 12] = [
    "",
    "2022-13",
    "2022-00",
    "13/2022",
    "Märzz 2022",
    "2004-12",
    "2101-01",
    "31.1.23",
    "2022",
    "22-01",
    "2022/01",
    "01.13.2022",
];

#[test]
fn every_malformed_input_is_refused_in_german_at_its_place() {
    let mut results: Vec<(&str, String, Result<(), String>)> = Vec::new();
    for (what, file) in csv_cases() {
        results.push(("Werte-CSV", what, check_csv(&file)));
    }
    for (what, from, to) in AGREEMENT_CASES {
        assert!(
            AGREEMENT.contains(from),
            "{what}: {from} not in the example"
        );
        results.push((
            "Vereinbarung",
            what.to_owned(),
            check_agreement(&AGREEMENT.replacen(from, to, 1)),
        ));
    }
    for (what, from, to) in MAPPING_CASES {
        assert!(MAPPING.contains(from), "{what}: {from} not in the mapping");
        results.push((
            "Zuordnungsdatei",
            what.to_owned(),
            check_mapping(&MAPPING.replacen(from, to, 1)),
        ));
    }
    for (what, bytes) in workbook_cases() {
        results.push(("Arbeitsmappe", what.to_owned(), check_workbook(&bytes)));
    }
    for n in NUMBERS {
        let r = match parse_number(n, DecimalStyle::Comma) {
            Ok(v) => Err(format!("als {v} angenommen")),
            Err(m) => german(&m).and_then(|()| {
                // The value is named, or said to be empty.
                if m.contains(&format!("„{n}“")) || (n.is_empty() && m.contains("leer")) {
                    Ok(())
                } else {
                    Err(format!("nennt den Wert nicht: {m}"))
                }
            }),
        };
        results.push(("Zahl", format!("{n:?}"), r));
    }
    for m in MONTHS {
        let r = match parse_month(m) {
            Ok(v) => Err(format!("als {v} angenommen")),
            Err(e) => german(&e),
        };
        results.push(("Monat", format!("{m:?}"), r));
    }

    let failed: Vec<_> = results.iter().filter(|(_, _, r)| r.is_err()).collect();
    let mut kinds: Vec<&str> = results.iter().map(|(k, _, _)| *k).collect();
    kinds.dedup();
    println!(
        "{} fehlerhafte Eingaben in {} Formaten; {} ({:.0} %) abgelehnt mit deutscher Meldung, die die Stelle nennt",
        results.len(),
        kinds.len(),
        results.len() - failed.len(),
        100.0 * (results.len() - failed.len()) as f64 / results.len() as f64
    );
    for k in &kinds {
        println!(
            "  {k}: {}",
            results.iter().filter(|(x, _, _)| x == k).count()
        );
    }
    assert!(
        failed.is_empty(),
        "{}",
        failed
            .iter()
            .map(|(k, w, r)| format!("{k} / {w}: {}", r.as_ref().unwrap_err()))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
