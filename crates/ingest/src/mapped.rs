//! Files in other shapes (wide tables, category lists, matrices by household size) read through a
//! mapping file (`docs/import-mapping.md`) that says which column of which rows is which indicator.
//!
//! Each mapped value goes through the same checks as a row of the long format, and messages name
//! the row and the column of the original file.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use serde::Deserialize;
use zielwerk_domain::Observation;

use crate::german::{parse_number, parse_period};
use crate::location::line_col;
use crate::long_csv::{
    Accepted, Catalog, Checker, Collected, Opened, Problem, Refused, RowSink, open,
};

/// The value of `format` this version reads.
pub const FORMAT: &str = "zielwerk-zuordnung/1";

/// BA footnote symbols in a cell: no value, and not an error.
const NO_VALUE: [&str; 4] = ["*", "-", "x", "."];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusRule {
    Final,
    Projected,
    /// Values with a fractional part are the BA's projections; whole numbers are counted.
    ProjectedIfFractional,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueRule {
    /// The column holding the value.
    pub column: String,
    /// The indicator code the value belongs to.
    pub indicator: String,
    /// Only rows whose columns have exactly these values.
    #[serde(default, rename = "where")]
    pub when: BTreeMap<String, String>,
    /// A breakdown class for the value, e.g. `haushaltsgroesse=3`.
    #[serde(default)]
    pub breakdown: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    pub format: String,
    /// Shown as the source of every value.
    pub label: String,
    /// The region of every row (a Jobcenter's BA id, a Kreis, Land or the Bund by any of its
    /// keys), or …
    #[serde(default, alias = "region")]
    pub jobcenter: Option<String>,
    /// … the column holding it.
    #[serde(default, alias = "region_column")]
    pub jobcenter_column: Option<String>,
    /// The column of the period: a month, a year (`2015`) or a 12-month mean (`202505..202604`).
    #[serde(alias = "period_column")]
    pub month_column: String,
    pub status: StatusRule,
    /// `next_month` (the first day of the month after the value's month) or a date `JJJJ-MM-TT`.
    pub datenstand: String,
    /// For workbooks: the sheet to read (default: the first).
    #[serde(default)]
    pub sheet: Option<String>,
    /// For workbooks: the row (1-based) of the header; by default the first row within the first
    /// 30 that holds every column the mapping names (title rows above it are skipped).
    #[serde(default)]
    pub header_row: Option<u32>,
    /// For workbooks: header lines that belong together (e.g. a merged group title above the
    /// column titles); their texts are joined as "oben / unten", empty cells of a merged title
    /// take the title from their left.
    #[serde(default = "one")]
    pub header_rows: u32,
    pub values: Vec<ValueRule>,
    /// Identities the values must satisfy (checked; each violation is a warning).
    #[serde(default)]
    pub identities: Vec<crate::identity::Identity>,
}

fn one() -> u32 {
    1
}

/// Reads and checks a mapping file; messages name line and column in German.
pub fn parse_mapping(file: &str, source: &str) -> Result<Mapping, String> {
    let mapping: Mapping = toml::from_str(source).map_err(|e| {
        let (line, column) = line_col(source, e.span().map_or(0, |s| s.start));
        // Syntax errors and errors of the shape speak differently; each has its translation.
        let syntax = toml::de::DeTable::parse(source).is_err();
        format!(
            "Zuordnungsdatei {file}, Zeile {line}, Spalte {column}: {}",
            crate::agreement_file::german_message(e.message(), syntax)
        )
    })?;
    let fail = |m: String| Err(format!("Zuordnungsdatei {file}: {m}"));
    if mapping.format != FORMAT {
        return fail(format!(
            "Unbekanntes Format „{}“; diese Version liest „{FORMAT}“",
            mapping.format
        ));
    }
    if mapping.jobcenter.is_some() == mapping.jobcenter_column.is_some() {
        return fail("Genau eines von „jobcenter“/„region“ (fester Wert) oder „jobcenter_column“/„region_column“ (Spalte) ist anzugeben".into());
    }
    if mapping.datenstand != "next_month"
        && chrono::NaiveDate::parse_from_str(&mapping.datenstand, "%Y-%m-%d").is_err()
    {
        return fail(format!(
            "„datenstand“ ist „{}“; erwartet wird „next_month“ oder ein Datum wie 2026-07-01",
            mapping.datenstand
        ));
    }
    if mapping.values.is_empty() {
        return fail("Es ist kein Wert zugeordnet ([[values]] fehlt)".into());
    }
    Ok(mapping)
}

/// Reads `input` through `mapping`, checks every value and hands them to `sink` in chunks.
pub fn read_mapped(
    file: &str,
    input: impl Read,
    mapping: &Mapping,
    catalog: &Catalog,
    sink: &mut dyn FnMut(Vec<Observation>) -> Result<(), String>,
) -> Result<Accepted, Refused> {
    read_mapped_rows(file, input, mapping, catalog, &mut |chunk, _| sink(chunk))
}

/// [`read_mapped`], with the line of each value handed over beside it.
pub fn read_mapped_rows(
    file: &str,
    input: impl Read,
    mapping: &Mapping,
    catalog: &Catalog,
    sink: &mut RowSink<'_>,
) -> Result<Accepted, Refused> {
    let Opened {
        mut csv,
        header,
        encoding,
        style,
        hasher,
    } = open(
        file,
        input,
        "Die Datei ist leer; erwartet wird eine Kopfzeile",
    )?;
    let records = csv.records();
    let header: Vec<String> = header.iter().map(str::to_owned).collect();
    let width = header.len();
    let rows = records.enumerate().map(move |(i, r)| {
        let row = i as u64 + 2;
        let rec = r.map_err(|e| Problem {
            row,
            column: String::new(),
            value: String::new(),
            message: crate::long_csv::csv_error_de(&e),
            ..Default::default()
        })?;
        if let Some(p) = crate::long_csv::extra_fields(row, &rec, width) {
            return Err(p);
        }
        Ok((row, rec.iter().map(str::to_owned).collect::<Vec<_>>()))
    });
    let (rows, warnings, checks) =
        process(header, rows, mapping, catalog, style, sink).map_err(|e| e.into_refused(file))?;
    drop(csv);
    Ok(Accepted {
        rows,
        sha256: crate::long_csv::finish_hash(&hasher),
        encoding: encoding.name(),
        warnings,
        checks,
    })
}

/// Applies `mapping` to a table: `header` names the columns, `rows` are (row number, cells).
fn process(
    header: Vec<String>,
    rows: impl Iterator<Item = Result<(u64, Vec<String>), Problem>>,
    mapping: &Mapping,
    catalog: &Catalog,
    style: crate::german::DecimalStyle,
    sink: &mut RowSink<'_>,
) -> Result<crate::long_csv::Finished, Collected> {
    let mut index: HashMap<String, usize> = HashMap::new();
    // Every position of each name, in order.
    let mut positions: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        let name = h.trim().trim_start_matches('\u{feff}').to_owned();
        index.entry(name.clone()).or_insert(i);
        positions.entry(name).or_default().push(i);
    }
    let wanted = wanted(mapping);
    // Every column the mapping names must be in the file, and only once: of two columns
    // "jobcenter" neither may silently win. One problem per name, however often it repeats.
    let mut problems = Collected::default();
    let mut seen = std::collections::HashSet::new();
    for c in wanted.iter().filter(|c| seen.insert(**c)) {
        let at = positions.get(*c).map(Vec::as_slice).unwrap_or_default();
        let message = match at {
            [] => "Die Zuordnung nennt diese Spalte, die Datei hat sie nicht".to_owned(),
            [_] => continue,
            [a, b] => format!(
                "Die Spalte steht doppelt in der Kopfzeile (Spalten {} und {}); jede Spalte, die die Zuordnung nennt, darf nur einmal vorkommen",
                a + 1,
                b + 1
            ),
            many => format!(
                "Die Spalte steht {}-mal in der Kopfzeile (Spalten {}{}); jede Spalte, die die Zuordnung nennt, darf nur einmal vorkommen",
                many.len(),
                many.iter()
                    .take(5)
                    .map(|i| (i + 1).to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                if many.len() > 5 { ", …" } else { "" }
            ),
        };
        problems.push(Problem {
            row: 1,
            column: (*c).to_owned(),
            value: String::new(),
            message,
            ..Default::default()
        });
    }
    if !problems.list.is_empty() {
        return Err(problems);
    }
    let cell = |record: &[String], column: &str| {
        index
            .get(column)
            .and_then(|i| record.get(*i))
            .map(|c| c.trim().to_owned())
            .unwrap_or_default()
    };
    let fixed_datenstand = (mapping.datenstand != "next_month").then(|| mapping.datenstand.clone());
    let jobcenter_column = mapping
        .jobcenter_column
        .clone()
        .unwrap_or_else(|| "jobcenter (Zuordnung)".into());
    for identity in &mapping.identities {
        let known = |c: &str| {
            c.parse::<zielwerk_domain::IndicatorCode>()
                .is_ok_and(|code| catalog.indicators.contains_key(&code))
        };
        if let Err(message) = identity.check(&known) {
            problems.push(Problem {
                row: 1,
                column: String::new(),
                value: String::new(),
                message: format!("Zuordnung: {message}"),
                ..Default::default()
            });
        }
    }
    if !problems.list.is_empty() {
        return Err(problems);
    }
    let mut checker = Checker::new(catalog, style, sink).with_identities(&mapping.identities);
    for item in rows {
        let (row, record) = match item {
            Ok(r) => r,
            Err(problem) => {
                checker.errs.push(problem);
                continue;
            }
        };
        let month_raw = cell(&record, &mapping.month_column);
        let jobcenter = match &mapping.jobcenter {
            Some(j) => j.clone(),
            None => cell(&record, &jobcenter_column),
        };
        // The Datenstand follows from the month; an unreadable month is reported once, as such.
        // Never later than today: the first of next month is an assumption, not a date read.
        let datenstand = fixed_datenstand.clone().unwrap_or_else(|| {
            parse_period(&month_raw)
                .ok()
                .and_then(|p| p.end.next())
                .map(|m| {
                    let first = m.first_day();
                    catalog.latest_datenstand.map_or(first, |l| first.min(l))
                })
                .or(catalog.latest_datenstand)
                .map_or_else(|| "2100-01-01".into(), |d| d.to_string())
        });
        for rule in &mapping.values {
            if !rule.when.iter().all(|(c, v)| cell(&record, c) == *v) {
                continue;
            }
            let raw = cell(&record, &rule.column);
            if raw.is_empty() || NO_VALUE.contains(&raw.as_str()) {
                continue;
            }
            let status = match rule_status(mapping.status, &raw, style) {
                crate::long_csv::StatusText::Final => "endgültig",
                crate::long_csv::StatusText::Projected => "vorläufig",
            };
            let get = |c: &str| -> String {
                match c {
                    "jobcenter" => jobcenter.clone(),
                    "kennzahl" => rule.indicator.clone(),
                    "monat" => month_raw.clone(),
                    "wert" => raw.clone(),
                    "status" => status.into(),
                    "datenstand" => datenstand.clone(),
                    "aufschluesselung" => rule.breakdown.clone().unwrap_or_default(),
                    _ => String::new(),
                }
            };
            let col = |c: &str| -> String {
                match c {
                    "jobcenter" => jobcenter_column.clone(),
                    "kennzahl" => format!("{} (Zuordnung: {})", rule.column, rule.indicator),
                    "monat" => mapping.month_column.clone(),
                    "wert" | "zaehler" | "nenner" => rule.column.clone(),
                    other => format!("{other} (Zuordnung)"),
                }
            };
            checker.check(row, &|c| std::borrow::Cow::Owned(get(c)), &col);
        }
    }
    checker.finish()
}

/// Reads the first sheet (or `mapping.sheet`) of an XLSX/XLS/ODS workbook through `mapping`.
///
/// Title rows above the header are skipped (the header is found by the columns the mapping
/// names, or given as `header_row`); a header of several lines (`header_rows`) is joined as
/// "oben / unten", with empty cells of merged titles taking the title from their left. Number
/// cells are read as numbers, date cells as dates; rows without any mapped value (footnotes,
/// sums below the table) produce nothing. BA footnote symbols in cells mean "no value".
pub fn read_workbook(
    file: &str,
    bytes: Vec<u8>,
    mapping: &Mapping,
    catalog: &Catalog,
    sink: &mut dyn FnMut(Vec<Observation>) -> Result<(), String>,
) -> Result<Accepted, Refused> {
    read_workbook_rows(file, bytes, mapping, catalog, &mut |chunk, _| sink(chunk))
}

/// [`read_workbook`], with the line of each value handed over beside it.
pub fn read_workbook_rows(
    file: &str,
    bytes: Vec<u8>,
    mapping: &Mapping,
    catalog: &Catalog,
    sink: &mut RowSink<'_>,
) -> Result<Accepted, Refused> {
    use sha2::Digest;
    let refuse = |message: String| Refused::whole_file(file, message);
    let sha256 = format!("{:x}", sha2::Sha256::digest(&bytes));
    check_container(&bytes).map_err(refuse)?;
    let (sheet, grid) = read_grid(bytes, mapping.sheet.as_deref()).map_err(refuse)?;
    let lines = mapping.header_rows.max(1) as usize;
    let header_at = |top: usize| -> Vec<String> {
        let width = grid.iter().map(|(_, r)| r.len()).max().unwrap_or(0);
        (0..width)
            .map(|c| {
                let mut parts = Vec::new();
                for (k, (_, line)) in grid.iter().skip(top).take(lines).enumerate() {
                    let mut text = line.get(c).cloned().unwrap_or_default();
                    // An empty cell in an upper header line belongs to a merged title on its left.
                    if text.is_empty() && k + 1 < lines {
                        text = line[..c.min(line.len())]
                            .iter()
                            .rev()
                            .find(|t| !t.is_empty())
                            .cloned()
                            .unwrap_or_default();
                    }
                    if !text.is_empty() {
                        parts.push(text);
                    }
                }
                parts.join(" / ")
            })
            .collect()
    };
    let needed = wanted(mapping);
    let top = match mapping.header_row {
        Some(r) => grid
            .iter()
            .position(|(number, _)| *number == r as u64)
            .ok_or_else(|| refuse(format!("Die Kopfzeile {r} liegt außerhalb des Blatts „{sheet}“ oder ist leer")))?,
        None => (0..grid.len().min(30))
            .find(|t| {
                let h = header_at(*t);
                needed.iter().all(|w| h.iter().any(|c| c == w))
            })
            .ok_or_else(|| {
                refuse(format!(
                    "Im Blatt „{sheet}“ steht in den ersten 30 Zeilen keine Kopfzeile mit den Spalten {}",
                    needed.join(", ")
                ))
            })?,
    };
    let header = header_at(top);
    let rows = grid
        .iter()
        .skip(top + lines)
        .map(|(number, cells)| Ok((*number, cells.clone())));
    let (rows, warnings, checks) = process(
        header,
        rows,
        mapping,
        catalog,
        crate::german::DecimalStyle::Point,
        sink,
    )
    .map_err(|e| e.into_refused(file))?;
    Ok(Accepted {
        rows,
        sha256,
        encoding: "XLSX",
        warnings,
        checks,
    })
}

/// What a workbook may unpack to: a Jobcenter's figures are kilobytes to a few megabytes;
/// anything near these limits is not a table of monthly values but an attack on the memory.
pub const MAX_UNPACKED: u64 = 100 * 1024 * 1024;
/// The most entries (sheets, styles, strings files) a workbook archive may hold.
const MAX_ENTRIES: usize = 10_000;
/// The widest sheet read, in columns (Excel's XFD is 16,384).
pub const MAX_COLUMNS: u32 = 1_000;
/// The most filled cells read from one sheet.
pub const MAX_CELLS: usize = 5_000_000;

/// Refuses a zip container (XLSX, ODS) whose entries unpack to more than [`MAX_UNPACKED`],
/// before any of it is unpacked. Reads only the directory of the archive.
fn check_container(bytes: &[u8]) -> Result<(), String> {
    if !bytes.starts_with(b"PK") {
        return Ok(());
    }
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|_| "Die Arbeitsmappe ist kein gültiges XLSX- oder ODS-Archiv".to_owned())?;
    if zip.len() > MAX_ENTRIES {
        return Err(format!(
            "Die Arbeitsmappe enthält {} Teile; gelesen werden Arbeitsmappen mit höchstens {}",
            zip.len(),
            MAX_ENTRIES
        ));
    }
    let mut total = 0u64;
    for i in 0..zip.len() {
        let entry = zip
            .by_index_raw(i)
            .map_err(|_| "Die Arbeitsmappe ist beschädigt (Inhaltsverzeichnis)".to_owned())?;
        total = total.saturating_add(entry.size());
    }
    if total > MAX_UNPACKED {
        return Err(format!(
            "Die Arbeitsmappe würde entpackt {} MB groß; gelesen werden höchstens {} MB. Speichern Sie nur das Blatt mit den Werten, oder als CSV",
            total / (1024 * 1024),
            MAX_UNPACKED / (1024 * 1024)
        ));
    }
    Ok(())
}

/// A filled row of a sheet: its 1-based number and its cells as text.
type Line = (u64, Vec<String>);

/// The filled rows of a sheet (1-based row number, cells as text), read cell by cell with
/// limits on width and count: one cell at XFD1048576 does not make a grid of 17 billion cells.
/// Returns the sheet's name.
fn read_grid(bytes: Vec<u8>, wanted: Option<&str>) -> Result<(String, Vec<Line>), String> {
    use calamine::Reader;
    use std::io::Cursor;
    let first_sheet = |names: Vec<String>| -> Result<String, String> {
        match wanted {
            Some(s) if names.iter().any(|n| n == s) => Ok(s.to_owned()),
            Some(s) => Err(format!(
                "Das Blatt „{s}“ gibt es in der Arbeitsmappe nicht; sie hat: {}",
                names.join(", ")
            )),
            None => names
                .first()
                .cloned()
                .ok_or_else(|| "Die Arbeitsmappe hat kein Blatt".to_owned()),
        }
    };
    let mut rows: std::collections::BTreeMap<u32, Vec<(u32, String)>> = Default::default();
    let mut count = 0usize;
    let mut put = |row: u32, col: u32, text: String| -> Result<(), String> {
        if text.is_empty() {
            return Ok(());
        }
        if col >= MAX_COLUMNS {
            return Err(format!(
                "Das Blatt hat Werte in Spalte {} (Zeile {}); gelesen werden höchstens {} Spalten",
                col + 1,
                row + 1,
                MAX_COLUMNS
            ));
        }
        count += 1;
        if count > MAX_CELLS {
            return Err(format!(
                "Das Blatt hat mehr als {} gefüllte Zellen; teilen Sie die Datei",
                zielwerk_domain::format::number(MAX_CELLS as f64, 0)
            ));
        }
        rows.entry(row).or_default().push((col, text));
        Ok(())
    };
    // The reader's own words (English) are quoted for whoever supports the user; the sentence
    // says in German what is wrong and what to do.
    let unreadable = |e: &dyn std::fmt::Display| {
        let detail = crate::german::shorten(&e.to_string(), 120);
        let lower = detail.to_lowercase();
        let what = if lower.contains("zip") {
            "Die Arbeitsmappe ist beschädigt: das ZIP-Archiv ist unvollständig oder fehlerhaft"
        } else if lower.contains("xml") {
            "Die Arbeitsmappe ist beschädigt: ihr Inhalt ist kein gültiges XML"
        } else {
            "Die Arbeitsmappe lässt sich nicht lesen"
        };
        format!(
            "{what}. Speichern Sie sie in Excel oder LibreOffice erneut als XLSX (Meldung des Lesers: „{detail}“)"
        )
    };
    let sheet = match calamine::open_workbook_from_rs::<calamine::Xlsx<_>, _>(Cursor::new(
        &bytes[..],
    )) {
        Ok(mut book) => {
            let sheet = first_sheet(book.sheet_names())?;
            let mut cells = book
                .worksheet_cells_reader(&sheet)
                .map_err(|e| unreadable(&e))?;
            while let Some(cell) = cells.next_cell().map_err(|e| unreadable(&e))? {
                let (row, col) = cell.get_position();
                put(
                    row,
                    col,
                    cell_text(&calamine::Data::from(cell.get_value().clone())),
                )?;
            }
            sheet
        }
        Err(_) => {
            // XLS and ODS have no cell reader; their unpacked size is bounded above.
            let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(&bytes[..]))
                    .map_err(|e| {
                        match e {
                    calamine::Error::Msg(_) => {
                        "Die Datei ist keine lesbare Arbeitsmappe; gelesen werden XLSX, XLSM, XLS und ODS"
                            .to_owned()
                    }
                    e => unreadable(&e),
                }
                    })?;
            let sheet = first_sheet(book.sheet_names())?;
            let range = book.worksheet_range(&sheet).map_err(|e| unreadable(&e))?;
            let (r0, c0) = range.start().unwrap_or((0, 0));
            for (i, r) in range.rows().enumerate() {
                for (j, c) in r.iter().enumerate() {
                    put(r0 + i as u32, c0 + j as u32, cell_text(c))?;
                }
            }
            sheet
        }
    };
    let grid = rows
        .into_iter()
        .map(|(row, cells)| {
            let width = cells.iter().map(|(c, _)| *c + 1).max().unwrap_or(0) as usize;
            let mut line = vec![String::new(); width];
            for (c, text) in cells {
                line[c as usize] = text;
            }
            (u64::from(row) + 1, line)
        })
        .collect();
    Ok((sheet, grid))
}

/// A cell as text: numbers (also German numbers written as text) in decimal-point form, dates
/// as JJJJ-MM-TT.
fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Int(i) => i.to_string(),
        Data::Float(f) => f.to_string(),
        // German workbooks often hold numbers as text ("2.790,5"): read them the German way
        // and hand them on in decimal-point form like the numeric cells.
        Data::String(s) => match parse_number(s, crate::german::DecimalStyle::Comma) {
            Ok(v) if s.contains([',', '.']) => v.to_string(),
            _ => s.trim().to_owned(),
        },
        Data::DateTimeIso(s) => s.trim().to_owned(),
        Data::DateTime(dt) => dt
            .as_datetime()
            .map(|d| d.date().to_string())
            .unwrap_or_default(),
        Data::Error(e) => format!("#FEHLER {e:?}"),
        Data::Bool(_) | Data::DurationIso(_) | Data::Empty => String::new(),
    }
}

/// Every column the mapping names.
fn wanted(mapping: &Mapping) -> Vec<&str> {
    let mut wanted: Vec<&str> = vec![mapping.month_column.as_str()];
    wanted.extend(mapping.jobcenter_column.as_deref());
    for rule in &mapping.values {
        wanted.push(&rule.column);
        wanted.extend(rule.when.keys().map(String::as_str));
    }
    wanted.sort_unstable();
    wanted.dedup();
    wanted
}

fn rule_status(
    rule: StatusRule,
    raw: &str,
    style: crate::german::DecimalStyle,
) -> crate::long_csv::StatusText {
    use crate::long_csv::StatusText;
    match rule {
        StatusRule::Final => StatusText::Final,
        StatusRule::Projected => StatusText::Projected,
        StatusRule::ProjectedIfFractional => match parse_number(raw, style) {
            Ok(v) if v.fract() != 0.0 => StatusText::Projected,
            _ => StatusText::Final,
        },
    }
}
