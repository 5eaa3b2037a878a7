//! German habits in numbers and months, parsed strictly: "1.234,56", "03/2022", "März 2022".
//!
//! Each function accepts exactly the forms documented on it and refuses everything else with a
//! German message; nothing is guessed silently.

use chrono::NaiveDate;
use zielwerk_domain::{Period, YearMonth};

/// How decimals are written in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalStyle {
    /// "1.234,56": comma for decimals, dot for thousands (the German default).
    Comma,
    /// "1234.56" or "1,234.56": point for decimals (exports from English-language tools).
    Point,
}

/// Parses a number written in `style`. Thousands separators must group digits by three.
/// Whitespace around the number is ignored; a leading minus (ASCII or U+2212) is allowed.
pub fn parse_number(raw: &str, style: DecimalStyle) -> Result<f64, String> {
    let s = raw.trim();
    // A message repeats at most 60 characters of the value (a refusal stays small).
    let shown = Shortened(raw);
    let bad = || {
        format!(
            "„{shown}“ ist keine Zahl im Format {}",
            match style {
                DecimalStyle::Comma => "1.234,56",
                DecimalStyle::Point => "1234.56",
            }
        )
    };
    if s.is_empty() {
        return Err("Der Wert ist leer".into());
    }
    let (negative, body) = match s.strip_prefix('-').or_else(|| s.strip_prefix('−')) {
        Some(rest) => (true, rest.trim_start()),
        None => (false, s),
    };
    let (thousands, decimal) = match style {
        DecimalStyle::Comma => ('.', ','),
        DecimalStyle::Point => (',', '.'),
    };
    let (int_part, frac_part) = match body.split_once(decimal) {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    if int_part.is_empty() && frac_part.is_none() {
        return Err(bad());
    }
    // Thousands groups: the first 1–3 digits, then groups of exactly 3.
    let digits_ok = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    let mut groups = int_part.split(thousands);
    let first = groups.next().unwrap_or_default();
    let (mut more, mut rest_ok) = (0usize, true);
    for g in groups.clone() {
        more += 1;
        rest_ok &= g.len() == 3 && digits_ok(g);
    }
    let grouped_ok = more == 0 || (!first.is_empty() && first.len() <= 3);
    if !grouped_ok || !rest_ok || !digits_ok(first) {
        return Err(bad());
    }
    if let Some(f) = frac_part
        && (f.is_empty() || !digits_ok(f))
    {
        return Err(bad());
    }
    // The digits without separators, with a point for the decimal comma: on the stack for every
    // number a file holds in practice.
    let mut plain = String::new();
    let mut short = [0u8; 40];
    let mut len = 0;
    let parts = std::iter::once(if first.is_empty() { "0" } else { first })
        .chain(groups)
        .chain(frac_part.map(|_| "."))
        .chain(frac_part);
    for part in parts.clone() {
        if len + part.len() > short.len() {
            plain = parts.collect();
            break;
        }
        short[len..len + part.len()].copy_from_slice(part.as_bytes());
        len += part.len();
    }
    let plain = if plain.is_empty() {
        // Only ASCII digits and a point were copied.
        std::str::from_utf8(&short[..len]).map_err(|_| bad())?
    } else {
        plain.as_str()
    };
    let v: f64 = plain.parse().map_err(|_| bad())?;
    if !v.is_finite() || v.abs() > MAX_ABS {
        return Err(format!(
            "„{}“ ist zu groß; Werte liegen zwischen −{} und {}",
            shorten(raw, 40),
            zielwerk_domain::format::number(MAX_ABS, 0),
            zielwerk_domain::format::number(MAX_ABS, 0)
        ));
    }
    Ok(if negative { -v } else { v })
}

/// Splits a row of German numbers as a spreadsheet pastes it: cells separated by tabs (Excel,
/// LibreOffice), semicolons (German CSV) or line breaks (a pasted column); where there is none of
/// these, by spaces. An empty cell is `None` (a month without a value); a trailing separator
/// adds no cell. A cell that is no number is an error naming its position (1-based).
pub fn parse_row(raw: &str) -> Result<Vec<Option<f64>>, String> {
    let trimmed = raw.trim_matches(|c: char| c == '\n' || c == '\r' || c == ' ');
    let trimmed = trimmed.strip_suffix(['\t', ';']).unwrap_or(trimmed);
    if trimmed.trim().is_empty() {
        return Ok(Vec::new());
    }
    let separated = |c: char| matches!(c, '\t' | ';' | '\n');
    let cells: Vec<&str> = if trimmed.contains(separated) {
        trimmed.split(separated).collect()
    } else {
        trimmed.split_whitespace().collect()
    };
    cells
        .iter()
        .enumerate()
        .map(|(i, cell)| {
            let cell = cell.trim_matches(|c: char| c.is_whitespace());
            if cell.is_empty() {
                Ok(None)
            } else {
                parse_number(cell, DecimalStyle::Comma)
                    .map(Some)
                    .map_err(|e| format!("Wert {}: {e}", i + 1))
            }
        })
        .collect()
}

/// The largest magnitude a figure may have: a thousand billion, far beyond any amount of a
/// Jobcenter, and small enough that sums of millions of values stay exact to the cent.
pub const MAX_ABS: f64 = 1e12;

/// `s`, cut to at most `n` characters with "…" where it was cut: error messages name the
/// offending value without repeating a megabyte of it.
pub fn shorten(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

const MONTHS: [&str; 12] = [
    "januar",
    "februar",
    "märz",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "dezember",
];

/// A value as a message repeats it (at most 60 characters), shortened only when it is shown.
struct Shortened<'a>(&'a str);

impl std::fmt::Display for Shortened<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&shorten(self.0, 60))
    }
}

/// Parses a period: a month (every form of [`parse_month`]), a calendar year (`2015`), or a
/// 12-month mean as the BA writes it (`202505..202604`, also `2025-05..2026-04` or
/// `05/2025 bis 04/2026`), which must span exactly twelve months.
pub fn parse_period(raw: &str) -> Result<Period, String> {
    let s = raw.trim();
    let shown = Shortened(raw);
    if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
        return Period::year(s.parse().unwrap_or(0)).map_err(|e| format!("„{shown}“: {e}"));
    }
    let range = s
        .split_once("..")
        .or_else(|| s.split_once(" bis "))
        .or_else(|| s.split_once('–'));
    let Some((a, b)) = range else {
        // Most values are monthly: the month's message stays as it was.
        return parse_month(s).map(Period::month);
    };
    let month = |p: &str| {
        let p = p.trim();
        // 202505: the BA's compact form of a month.
        if p.len() == 6 && p.bytes().all(|b| b.is_ascii_digit()) {
            return parse_month(&format!("{}-{}", &p[..4], &p[4..]));
        }
        parse_month(p)
    };
    let (start, end) = (month(a)?, month(b)?);
    if start.months_until(end) != 11 {
        return Err(format!(
            "„{shown}“ umfasst {} statt 12 Monate; ein Durchschnitt über 12 Monate reicht z. B. von 202505 bis 202604",
            start.months_until(end) + 1
        ));
    }
    Ok(Period::mean12(end))
}

/// A date as `31.01.2023` or `2023-01-31`, with a four-digit year ("31.1.23" is not the year
/// 23, it is refused).
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    let s = raw.trim();
    let four_digit_year = match s.split_once('-') {
        Some((y, _)) => y.len() == 4,
        None => s.rsplit('.').next().is_some_and(|y| y.len() == 4),
    };
    if !four_digit_year {
        return None;
    }
    NaiveDate::parse_from_str(s, "%d.%m.%Y")
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y-%m-%d"))
        .ok()
}

/// Parses a month as `2022-03`, `03/2022`, `3/2022`, `03.2022` (MM.JJJJ), `März 2022` (also
/// `Maerz`, `Mär`, `Mrz`), `01.03.2022` (a date on the first of the month) or `2022-03-01`.
pub fn parse_month(raw: &str) -> Result<YearMonth, String> {
    let s = raw.trim();
    // A message repeats at most 60 characters of the value (a refusal stays small).
    let shown = Shortened(raw);
    let bad = || {
        format!(
            "„{shown}“ ist kein Monat; erwartet wird z. B. 2022-03, 03/2022, 03.2022, März 2022 oder 01.03.2022"
        )
    };
    let num = |p: &str| -> Option<u32> {
        (!p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse().ok())
            .flatten()
    };
    let make = |year: u32, month: u32| {
        YearMonth::new(year as i32, month).map_err(|e| format!("„{shown}“: {e}"))
    };
    // 2022-03 and 2022-03-01
    let dash: Vec<&str> = s.split('-').collect();
    if dash.len() >= 2 && dash.len() <= 3 && dash[0].len() == 4 && dash[1].len() == 2 {
        if let (Some(y), Some(m)) = (num(dash[0]), num(dash[1])) {
            if dash.len() == 3 && dash[2] != "01" {
                return Err(format!(
                    "„{shown}“ ist nicht der Erste eines Monats; Monatswerte werden mit dem Monatsersten oder als 2022-03 angegeben"
                ));
            }
            return make(y, m);
        }
        return Err(bad());
    }
    // 03/2022
    if let Some((m, y)) = s.split_once('/') {
        return match (num(m), num(y)) {
            (Some(m), Some(y)) if y >= 1000 && m.to_string().len() <= 2 => make(y, m),
            _ => Err(bad()),
        };
    }
    // 01.03.2022, and 03.2022 as German workbooks write a month
    let dots: Vec<&str> = s.split('.').collect();
    if dots.len() == 2 {
        return match (num(dots[0]), num(dots[1])) {
            (Some(m), Some(y)) if dots[0].len() <= 2 && dots[1].len() == 4 => make(y, m),
            _ => Err(bad()),
        };
    }
    if dots.len() == 3 {
        return match (num(dots[0]), num(dots[1]), num(dots[2])) {
            (Some(1), Some(m), Some(y)) if dots[2].len() == 4 => make(y, m),
            (Some(_), Some(_), Some(_)) if dots[2].len() == 4 => Err(format!(
                "„{shown}“ ist nicht der Erste eines Monats; Monatswerte werden mit dem Monatsersten oder als 03/2022 angegeben"
            )),
            _ => Err(bad()),
        };
    }
    // März 2022
    if let Some((name, y)) = s.rsplit_once(' ') {
        let name = name
            .trim()
            .trim_end_matches('.')
            .to_lowercase()
            .replace("ae", "ä");
        let y = num(y.trim()).filter(|y| *y >= 1000).ok_or_else(bad)?;
        let m = MONTHS
            .iter()
            .position(|full| {
                *full == name
                    || (name.len() >= 3 && full.starts_with(&name))
                    || (name == "mrz" && *full == "märz")
            })
            .ok_or_else(bad)?;
        return make(y, m as u32 + 1);
    }
    Err(bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_of_every_kind() {
        assert_eq!(parse_period("2022-03").unwrap().to_string(), "2022-03");
        assert_eq!(parse_period("März 2022").unwrap().to_string(), "2022-03");
        assert_eq!(parse_period("2015").unwrap().to_string(), "2015");
        for mean in ["202505..202604", "2025-05..2026-04", "05/2025 bis 04/2026"] {
            assert_eq!(
                parse_period(mean).unwrap().to_string(),
                "2025-05..2026-04",
                "{mean}"
            );
        }
        let e = parse_period("202505..202603").unwrap_err();
        assert!(e.contains("umfasst 11 statt 12 Monate"), "{e}");
        assert!(parse_period("1999").is_err());
    }

    /// Found by zielwerk-fuzz (zuordnung): a month of 8,000 characters was repeated whole in each
    /// of a hundred problems.
    #[test]
    fn messages_repeat_at_most_sixty_characters_of_the_value() {
        let long = "2025-04".repeat(1000);
        for m in [
            parse_month(&long).unwrap_err(),
            parse_number(&long, DecimalStyle::Comma).unwrap_err(),
        ] {
            assert!(m.chars().count() < 200, "{} characters", m.chars().count());
            assert!(m.contains('…'), "{m}");
        }
    }
    use DecimalStyle::{Comma, Point};
    use proptest::prelude::*;

    #[test]
    fn german_numbers() {
        for (raw, v) in [
            ("1.234,56", 1234.56),
            ("1234,56", 1234.56),
            ("17.225", 17225.0),
            ("0,5", 0.5),
            (",5", 0.5),
            ("-3,25", -3.25),
            ("−3,25", -3.25),
            (" 42 ", 42.0),
            ("1.000.000", 1_000_000.0),
        ] {
            assert_eq!(parse_number(raw, Comma), Ok(v), "{raw}");
        }
        for raw in [
            "1,234,56", "12.34", "1.2345", "abc", "1,", "", "1.234.5", "--1", "1e5", "12 345",
        ] {
            assert!(parse_number(raw, Comma).is_err(), "{raw} accepted");
        }
        assert_eq!(parse_number("1,234.5", Point), Ok(1234.5));
        assert_eq!(parse_number("2797.30338102", Point), Ok(2797.30338102));
        assert_eq!(
            parse_number("1,2,3", Comma).unwrap_err(),
            "„1,2,3“ ist keine Zahl im Format 1.234,56"
        );
    }

    #[test]
    fn months_in_every_documented_spelling() {
        for raw in [
            "2022-03",
            "03/2022",
            "3/2022",
            "März 2022",
            "Maerz 2022",
            "Mär 2022",
            "Mrz 2022",
            "märz 2022",
            "01.03.2022",
            "03.2022",
            "3.2022",
            "2022-03-01",
        ] {
            assert_eq!(
                parse_month(raw).map(|m| m.to_string()),
                Ok("2022-03".into()),
                "{raw}"
            );
        }
        assert_eq!(parse_month("Dezember 2019").unwrap().to_string(), "2019-12");
        for raw in [
            "2022-13",
            "13/2022",
            "15.03.2022",
            "Marz 2022",
            "2022",
            "03-2022",
            "Foo 2022",
            "1.3.22",
            "03.22",
            "13.2022",
            "003.2022",
        ] {
            assert!(parse_month(raw).is_err(), "{raw} accepted");
        }
        assert_eq!(
            parse_month("15.03.2022").unwrap_err(),
            "„15.03.2022“ ist nicht der Erste eines Monats; Monatswerte werden mit dem Monatsersten oder als 03/2022 angegeben"
        );
    }

    #[test]
    fn rows_as_spreadsheets_paste_them() {
        // Excel copies a row with tabs and ends it with a line break.
        assert_eq!(
            parse_row("18.140\t18.100\t\t17,5\r\n").unwrap(),
            [Some(18140.0), Some(18100.0), None, Some(17.5)]
        );
        assert_eq!(
            parse_row("1;2;3;").unwrap(),
            [Some(1.0), Some(2.0), Some(3.0)]
        );
        assert_eq!(
            parse_row("1\n2\n3").unwrap(),
            [Some(1.0), Some(2.0), Some(3.0)]
        );
        assert_eq!(
            parse_row("1 2  3").unwrap(),
            [Some(1.0), Some(2.0), Some(3.0)]
        );
        assert_eq!(parse_row("  ").unwrap(), []);
        assert_eq!(
            parse_row("1\tzwei\t3").unwrap_err(),
            "Wert 2: „zwei“ ist keine Zahl im Format 1.234,56"
        );
    }

    proptest! {
        #[test]
        fn pasted_rows_parse_back(vs in proptest::collection::vec(proptest::option::of(-1e9f64..1e9), 1..14)) {
            // Written as a spreadsheet copies them: two decimals, tabs between, a line break after.
            let cells: Vec<String> = vs
                .iter()
                .map(|v| v.map(|v| zielwerk_domain::format::number(v, 2)).unwrap_or_default())
                .collect();
            let row = format!("{}\r\n", cells.join("\t"));
            let parsed = parse_row(&row).unwrap();
            // Trailing empty cells are indistinguishable from the line's end except the last.
            let expected: Vec<Option<f64>> = vs.iter().map(|v| v.map(|v| (v * 100.0).round() / 100.0)).collect();
            prop_assert!(parsed.len() <= expected.len());
            for (p, e) in parsed.iter().zip(&expected) {
                match (p, e) {
                    (Some(p), Some(e)) => prop_assert!((p - e).abs() < 1e-6, "{} {}", p, e),
                    (None, None) => {}
                    _ => prop_assert!(false, "{:?} {:?} in {:?}", p, e, row),
                }
            }
            prop_assert!(expected[parsed.len()..].iter().all(Option::is_none));
        }

        #[test]
        fn formatted_numbers_parse_back(v in -1e12f64..1e12) {
            let s = zielwerk_domain::format::number(v, 2);
            let back = parse_number(&s, Comma).unwrap();
            prop_assert!((back - (v * 100.0).round() / 100.0).abs() <= 1e-6_f64.max(v.abs() * 1e-12), "{s}");
        }

        #[test]
        fn parsers_never_panic(s in "\\PC{0,20}") {
            let _ = parse_number(&s, Comma);
            let _ = parse_number(&s, Point);
            let _ = parse_month(&s);
        }

        #[test]
        fn every_month_round_trips_in_every_spelling(y in 2005i32..2100, m in 1u32..=12) {
            let ym = YearMonth::new(y, m).unwrap();
            for s in [ym.to_string(), format!("{m:02}/{y}"), ym.german_long(), format!("01.{m:02}.{y}"), format!("{m:02}.{y}")] {
                prop_assert_eq!(parse_month(&s), Ok(ym), "{}", s);
            }
        }
    }
}
