//! The long CSV format: German habits accepted, bad rows refused with file, row, column, value
//! and a German message.

use zielwerk_domain::keyfigures::catalogue;
use zielwerk_domain::{Observation, ValueStatus};
use zielwerk_ingest::long_csv::{CHUNK, Catalog, Refused, read};

fn catalog() -> Catalog {
    let mut c = Catalog::default();
    c.regions.insert("t36402".parse().unwrap());
    for ind in catalogue() {
        c.indicators.insert(ind.code.clone(), ind);
    }
    let example = zielwerk_ingest::parse(
        "x.toml",
        include_str!("../../../examples/agreement-mettmann-2022.toml"),
    )
    .unwrap();
    for ind in example.indicators {
        c.indicators.entry(ind.code.clone()).or_insert(ind);
    }
    c
}

const HEADER: &str = "jobcenter;kennzahl;monat;wert;zaehler;nenner;status;datenstand\n";

fn run(bytes: &[u8]) -> Result<(Vec<Observation>, zielwerk_ingest::long_csv::Accepted), Refused> {
    let mut got = Vec::new();
    let mut sink = |chunk: Vec<Observation>| {
        got.extend(chunk);
        Ok(())
    };
    let accepted = read("werte.csv", bytes, &catalog(), &mut sink)?;
    Ok((got, accepted))
}

#[test]
fn german_csv_with_all_month_spellings() {
    let body = format!(
        "{HEADER}t36402;BG;2022-01;18.123;;;endgültig;31.01.2023\nt36402;BG;02/2022;18.100,5;;;vorläufig;31.01.2023\nt36402;BG;März 2022;18.050;;;hochgerechnet;2023-01-31\nt36402;BG;01.04.2022;18.000;;;final;31.01.2023\nt36402;SUCHT_ANTRITT;2022-01;;25;41;endgültig;15.02.2022\n"
    );
    let (obs, acc) = run(body.as_bytes()).unwrap();
    assert_eq!(acc.rows, 5);
    assert_eq!(acc.encoding, "UTF-8");
    assert!(acc.warnings.is_empty(), "{:?}", acc.warnings);
    let v: Vec<(String, Option<f64>, ValueStatus)> = obs
        .iter()
        .map(|o| (o.month.to_string(), o.value, o.status))
        .collect();
    assert_eq!(v[0], ("2022-01".into(), Some(18_123.0), ValueStatus::Final));
    assert_eq!(
        v[1],
        ("2022-02".into(), Some(18_100.5), ValueStatus::Projected)
    );
    assert_eq!(v[2].0, "2022-03");
    assert_eq!(v[3].0, "2022-04");
    assert_eq!(
        (obs[4].numerator, obs[4].denominator, obs[4].value),
        (Some(25.0), Some(41.0), None)
    );
    assert_eq!(acc.sha256.len(), 64);
}

#[test]
fn windows_1252_and_bom_and_comma_files() {
    // "endgültig" in Windows-1252: ü = 0xFC.
    let mut cp1252 = HEADER.as_bytes().to_vec();
    cp1252.extend(b"t36402;BG;2022-01;18.123;;;endg\xfcltig;31.01.2023\n");
    let (obs, acc) = run(&cp1252).unwrap();
    assert_eq!(
        (acc.encoding, obs[0].status),
        ("windows-1252", ValueStatus::Final)
    );

    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend(format!("{HEADER}t36402;BG;2022-01;18.123;;;endgültig;31.01.2023\n").as_bytes());
    let (obs, acc) = run(&bom).unwrap();
    assert_eq!((acc.encoding, obs[0].value), ("UTF-8", Some(18_123.0)));

    // A comma-separated file uses decimal points.
    let comma = "jobcenter,kennzahl,monat,wert,status,datenstand\nt36402,BG,2022-01,2797.30338102,vorläufig,2023-01-31\n";
    let (obs, _) = run(comma.as_bytes()).unwrap();
    assert_eq!(obs[0].value, Some(2797.30338102));
}

#[test]
fn gaps_are_warnings_not_errors() {
    let body = format!(
        "{HEADER}t36402;BG;2022-01;1;;;final;31.01.2023\nt36402;BG;2022-04;1;;;final;31.01.2023\n"
    );
    let (_, acc) = run(body.as_bytes()).unwrap();
    assert_eq!(acc.warnings.len(), 1);
    assert_eq!(acc.warnings[0].row, 3);
    assert_eq!(
        acc.warnings[0].message,
        "Lücke in der Reihe BG für t36402: zwischen Januar 2022 und April 2022 fehlen 2 Monate"
    );
}

/// One bad row after a good one: exactly one problem at row 3 with this column, value, message.
#[track_caller]
fn refused(row: &str, column: &str, value: &str, message: &str) {
    let body = format!("{HEADER}t36402;BG;2022-01;18.123;;;endgültig;31.01.2023\n{row}\n");
    let err = run(body.as_bytes()).unwrap_err();
    let found: Vec<_> = err
        .errors
        .iter()
        .map(|p| {
            (
                p.row,
                p.column.as_str(),
                p.value.as_str(),
                p.message.as_str(),
            )
        })
        .collect();
    assert_eq!(found, vec![(3, column, value, message)], "\n{err}");
    assert!(
        err.to_string()
            .contains(&format!("werte.csv, Zeile 3, Spalte „{column}“"))
    );
}

#[test]
fn bad_rows_are_refused_with_place_and_value() {
    refused(
        "t99999;BG;2022-02;1;;;final;31.01.2023",
        "jobcenter",
        "t99999",
        "Dieses Jobcenter ist nicht bekannt; importieren Sie zuerst seine Vereinbarung",
    );
    refused(
        "36402;BG;2022-02;1;;;final;31.01.2023",
        "jobcenter",
        "36402",
        // Five digits are a Kreisschlüssel (regions, issue 18); the message points to the BA id.
        "Kein Kreis im Regionsregister hat den Kreisschlüssel 36402; eine Jobcenter-Kennung der BA beginnt mit „t“ (z. B. t36402)",
    );
    refused(
        "t36402;XYZ;2022-02;1;;;final;31.01.2023",
        "kennzahl",
        "XYZ",
        "Unbekannte Kennzahl; sie muss in einer Vereinbarung definiert sein",
    );
    refused(
        "t36402;K2;2022-02;1;;;final;31.01.2023",
        "kennzahl",
        "K2",
        "Diese Kennzahl wird aus anderen berechnet und kann nicht importiert werden; importieren Sie ihre Bestandteile",
    );
    refused(
        "t36402;BG;Feb 22;1;;;final;31.01.2023",
        "monat",
        "Feb 22",
        "„Feb 22“ ist kein Monat; erwartet wird z. B. 2022-03, 03/2022, 03.2022, März 2022 oder 01.03.2022",
    );
    refused(
        "t36402;BG;1999-02;1;;;final;31.01.2023",
        "monat",
        "1999-02",
        "„1999-02“: Jahr 1999 liegt außerhalb des zulässigen Bereichs 2005 bis 2100",
    );
    refused(
        "t36402;BG;2022-02;1,2,3;;;final;31.01.2023",
        "wert",
        "1,2,3",
        "„1,2,3“ ist keine Zahl im Format 1.234,56",
    );
    refused(
        "t36402;BG;2022-02;-4;;;final;31.01.2023",
        "wert",
        "-4",
        "Die Kennzahl BG zählt und kann nicht negativ sein",
    );
    refused(
        "t36402;BG;2022-02;;;;final;31.01.2023",
        "wert",
        "",
        "Der Wert fehlt",
    );
    refused(
        "t36402;SUCHT_ANTRITT;2022-02;;50;41;final;31.03.2022",
        "zaehler",
        "50",
        "Der Zähler ist größer als der Nenner (41); ein Anteil kann 100 % nicht übersteigen",
    );
    refused(
        "t36402;SUCHT_ANTRITT;2022-02;60;;;final;31.03.2022",
        "zaehler",
        "",
        "Die Kennzahl SUCHT_ANTRITT ist ein Anteil: Zähler und Nenner sind nötig",
    );
    refused(
        "t36402;BG;2022-01;1;;;final;31.01.2023",
        "monat",
        "2022-01",
        "Für BG Januar 2022 gibt es in dieser Datei schon einen Wert (doppelter Schlüssel)",
    );
    refused(
        "t36402;BG;2022-02;1;;;geschätzt;31.01.2023",
        "status",
        "geschätzt",
        "Erwartet wird „endgültig“, „vorläufig“ oder „aus eigenen Daten“",
    );
    refused(
        "t36402;BG;2022-02;1;;;final;31.02.2023",
        "datenstand",
        "31.02.2023",
        "Erwartet wird ein Datum wie 31.01.2023",
    );
    refused(
        "t36402;BG;2022-02;1;;;final;15.01.2022",
        "datenstand",
        "15.01.2022",
        "Der Datenstand liegt vor dem Monat Februar 2022, zu dem der Wert gehört",
    );
}

#[test]
fn bad_headers_are_refused_before_any_row() {
    let err = run(b"jobcenter;kennzahl;monat;wert;status\n").unwrap_err();
    assert_eq!(err.errors.len(), 1);
    assert_eq!(
        (
            err.errors[0].row,
            err.errors[0].column.as_str(),
            err.errors[0].message.as_str()
        ),
        (1, "datenstand", "Pflichtspalte fehlt")
    );
    let err = run(b"jobcenter;kennzahl;monat;betrag;status;datenstand\n").unwrap_err();
    let messages: Vec<_> = err.errors.iter().map(|e| e.message.as_str()).collect();
    assert!(
        messages[0].starts_with("Unbekannte Spalte; erlaubt sind: jobcenter, kennzahl"),
        "{messages:?}"
    );
    assert_eq!(
        messages[1],
        "Es fehlt die Spalte „wert“ (oder die Spalten „zaehler“ und „nenner“)"
    );
    let err = run(b"").unwrap_err();
    assert!(err.errors[0].message.starts_with("Die Datei ist leer"));
}

#[test]
fn a_late_error_refuses_the_file_even_after_chunks_went_out() {
    // More rows than one chunk, then one bad row: the sink has seen chunks, but the read fails,
    // so the caller rolls back (tested end to end in the CLI tests).
    let mut body = String::from(HEADER);
    let start: zielwerk_domain::YearMonth = "2005-01".parse().unwrap();
    let mut n = 0;
    'outer: for code in [
        "BG",
        "ELB",
        "LZB",
        "INTEGRATIONEN",
        "ELB_AE",
        "LZB_AKTIV",
        "ELB_ZUGANG",
        "ELB_ABGANG",
        "LZB_ZUGANG",
        "LZB_ABGANG",
        "INTEGRATIONEN_AE",
        "INTEGRATIONEN_LZB",
    ] {
        for i in 0..1000 {
            let m = start.plus(i).unwrap();
            body.push_str(&format!("t36402;{code};{m};1;;;final;01.01.2100\n"));
            n += 1;
            if n > CHUNK + 5 {
                break 'outer;
            }
        }
    }
    body.push_str("t36402;BG;2022-02;kaputt;;;final;01.01.2100\n");
    let mut chunks = 0;
    let mut sink = |_chunk: Vec<Observation>| {
        chunks += 1;
        Ok(())
    };
    let err = read("gross.csv", body.as_bytes(), &catalog(), &mut sink).unwrap_err();
    assert_eq!(chunks, 1, "one chunk went out before the error");
    assert_eq!(err.errors.len(), 1);
    assert!(err.to_string().contains("gross.csv, Zeile"));
}

/// A file with a wrong Jobcenter id in every one of its 612 rows gets one error with the count
/// and the first rows, not 612; a different error keeps its own line, and the total counts all.
#[test]
fn identical_errors_across_rows_are_reported_once_with_their_count() {
    let mut body = String::from(HEADER);
    let start: zielwerk_domain::YearMonth = "2005-01".parse().unwrap();
    for i in 0..612 {
        let m = start.plus(i).unwrap();
        body.push_str(&format!("t99999;BG;{m};1;;;final;01.01.2100\n"));
    }
    body.push_str("t36402;BG;2022-02;kaputt;;;final;01.01.2100\n");
    let err = run(body.as_bytes()).unwrap_err();
    assert_eq!(err.errors.len(), 2, "{err}");
    assert_eq!(err.total(), 613);
    let first = &err.errors[0];
    assert_eq!((first.row, first.repeats), (2, 611));
    assert_eq!(first.same_rows, [3, 4, 5, 6]);
    let text = err.to_string();
    assert_eq!(
        text.lines().next().unwrap(),
        "Die Datei werte.csv wurde nicht importiert (613 Fehler; es wurde nichts gespeichert):"
    );
    assert!(
        text.lines()
            .nth(1)
            .unwrap()
            .ends_with("; ebenso in 611 weiteren Zeilen, darunter 3, 4, 5 und 6"),
        "{text}"
    );
    assert!(
        text.contains("werte.csv, Zeile 2, Spalte „jobcenter“, Wert „t99999“: "),
        "{text}"
    );
    assert_eq!(err.errors[1].row, 614);
    assert_eq!(err.errors[1].repeats, 0);
    // Two rows alike: the other one is named.
    let two = format!(
        "{HEADER}t99999;BG;2022-01;1;;;final;01.01.2100\nt99999;BG;2022-02;1;;;final;01.01.2100\n"
    );
    let err = run(two.as_bytes()).unwrap_err();
    assert!(
        err.to_string().trim_end().ends_with("; ebenso in Zeile 3"),
        "{err}"
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Arbitrary bytes never panic the reader; they are read or refused with places.
        #[test]
        fn arbitrary_input_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
            let mut input = HEADER.as_bytes().to_vec();
            input.extend(bytes);
            let mut sink = |_c: Vec<Observation>| Ok(());
            if let Err(e) = read("zufall.csv", input.as_slice(), &catalog(), &mut sink) {
                for p in e.errors {
                    prop_assert!(p.row >= 1);
                    prop_assert!(!p.message.is_empty());
                }
            }
        }
    }
}

/// What the attack run slipped through: each row is refused with its column and a German
/// message saying what is expected (one case per defect of the report).
#[test]
fn implausible_values_are_refused_with_the_reason() {
    let mut c = catalog();
    c.latest_datenstand = chrono::NaiveDate::from_ymd_opt(2026, 12, 1);
    let huge = format!("1{}", "0".repeat(400));
    let long_class = format!("haushaltsgroesse={}", "x".repeat(1_000_000));
    let cases: Vec<(String, &str, &str)> = vec![
        (
            format!("t36402;BG;2022-03;{huge};;;endgültig;31.01.2023"),
            "wert",
            "ist zu groß",
        ),
        (
            "t36402;BG;2022-03;99.999;;;endgültig;31.12.9999".into(),
            "datenstand",
            "Der Datenstand liegt in der Zukunft",
        ),
        (
            "t36402;BG;2022-03;18.000;;;endgültig;31.1.23".into(),
            "datenstand",
            "Erwartet wird ein Datum wie 31.01.2023",
        ),
        (
            "t36402;KIM_KOOPERATION;2022-03;7;;;endgültig;31.03.2022".into(),
            "wert",
            "ist ein Meilenstein: 1 heißt erreicht, 0 offen",
        ),
        (
            "t36402;KIM_KOOPERATION;2022-03;0,5;;;endgültig;31.03.2022".into(),
            "wert",
            "ist ein Meilenstein",
        ),
        (
            "t36402;SUCHT_ANTRITT;2022-03;;0;0;endgültig;15.04.2022".into(),
            "nenner",
            "Der Nenner ist 0",
        ),
        (
            "t36402;BG;2022-03;7.000;;;endgültig;31.01.2023;haushaltsgroesse=1\u{0}\u{1b}".into(),
            "aufschluesselung",
            "keine Steuerzeichen",
        ),
        (
            format!("t36402;BG;2022-03;7.000;;;endgültig;31.01.2023;{long_class}"),
            "aufschluesselung",
            "höchstens 60 Zeichen",
        ),
        (
            "t36402;BG;2022-03;7.000;;;endgültig;31.01.2023;Haushalt Größe=1".into(),
            "aufschluesselung",
            "Das Merkmal besteht aus Kleinbuchstaben",
        ),
    ];
    let header =
        "jobcenter;kennzahl;monat;wert;zaehler;nenner;status;datenstand;aufschluesselung\n";
    for (row, column, message) in cases {
        let body = format!("{header}{row}\n");
        let mut sink = |_c: Vec<Observation>| Ok(());
        let err = read("werte.csv", body.as_bytes(), &c, &mut sink)
            .expect_err(&row.chars().take(80).collect::<String>());
        let p = &err.errors[0];
        assert_eq!(p.column, column, "{}", p.message);
        assert!(p.message.contains(message), "{}: {}", column, p.message);
        assert!(
            err.to_string().len() < 2_000,
            "the refusal does not repeat a megabyte: {} bytes",
            err.to_string().len()
        );
    }
    // Spaces around a class are not a second class.
    let body =
        format!("{header}t36402;BG;2022-03;7.000;;;endgültig;31.01.2023; haushaltsgroesse = 1 \n");
    let mut got = Vec::new();
    let mut sink = |c: Vec<Observation>| {
        got.extend(c);
        Ok(())
    };
    read("werte.csv", body.as_bytes(), &c, &mut sink).unwrap();
    assert_eq!(
        got[0].breakdown.as_ref().unwrap().key(),
        "haushaltsgroesse=1"
    );
}

/// Two columns of one name: the file is refused, naming both, instead of the last one winning
/// (which wrote a row meant for one Jobcenter into another).
#[test]
fn a_doubled_column_is_refused() {
    let body = "jobcenter;kennzahl;monat;wert;status;datenstand;jobcenter\nt36402;BG;2022-03;7.000;endgültig;31.01.2023;t73906\n";
    let mut sink = |_c: Vec<Observation>| Ok(());
    let err = read("werte.csv", body.as_bytes(), &catalog(), &mut sink).unwrap_err();
    assert_eq!(err.errors[0].column, "jobcenter");
    assert!(
        err.errors[0]
            .message
            .contains("Die Spalte steht doppelt in der Kopfzeile (Spalten 1 und 7)"),
        "{}",
        err.errors[0].message
    );
}

/// Excel's "Unicode-Text" is UTF-16 with a byte-order mark: read as such and named so.
#[test]
fn utf16_files_are_read_and_named() {
    let text = format!("{HEADER}t36402;BG;März 2022;18.050;;;endgültig;31.01.2023\n");
    for (bom, le, name) in [
        (&[0xFF, 0xFE][..], true, "UTF-16LE"),
        (&[0xFE, 0xFF][..], false, "UTF-16BE"),
    ] {
        let mut bytes = bom.to_vec();
        for unit in text.encode_utf16() {
            bytes.extend(if le {
                unit.to_le_bytes()
            } else {
                unit.to_be_bytes()
            });
        }
        let (obs, acc) = run(&bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(acc.encoding, name);
        assert_eq!(obs[0].month.to_string(), "2022-03");
        assert_eq!(obs[0].value, Some(18_050.0));
    }
}
