//! Figures in the long CSV format (`docs/import-long-csv.md`): one row per region (a Jobcenter,
//! Kreis, Land or the Bund), indicator, period (month, year, 12-month mean) and breakdown class.
//!
//! The reader streams: rows are parsed, checked and handed to a sink in chunks, so memory stays
//! flat (only the keys seen, for the duplicate check, grow with the file). The caller runs the
//! sink inside one database transaction and rolls it back when the file is refused, so a bad file
//! leaves nothing behind. Every problem names file, row, column and the value found, in German.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::rc::Rc;

use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use zielwerk_domain::{
    Breakdown, Formula, Indicator, IndicatorCode, Observation, Period, PeriodKind, RegionId,
    RegionKind, Unit, ValueStatus,
};

use crate::german::{DecimalStyle, parse_date, parse_number, parse_period};

/// Rows handed to the sink at once.
pub const CHUNK: usize = 10_000;
/// Errors collected before the reader stops listing them (it still counts them).
pub const MAX_LISTED: usize = 100;

/// How much of an offending value a message repeats.
pub const MAX_VALUE_SHOWN: usize = 60;

/// What the file may refer to: the regions and indicators the installation knows.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// The regions values may belong to: the register (Kreise, Länder, Bund) and the Jobcenter
    /// the importing person may import for.
    pub regions: HashSet<RegionId>,
    pub indicators: HashMap<IndicatorCode, Indicator>,
    /// The latest plausible Datenstand (today, set by the importer): a figure cannot have been
    /// compiled in the future. `None` checks nothing (tests of other rules).
    pub latest_datenstand: Option<NaiveDate>,
}

/// One problem in one place of the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line of the file (the header is line 1).
    pub row: u64,
    pub column: String,
    pub value: String,
    pub message: String,
    /// How many further rows have the same problem (same column, value and message): a file
    /// with a wrong Jobcenter id in 612 rows gets one problem, not 612.
    pub repeats: u64,
    /// The first of those further rows (at most [`SAME_ROWS_SHOWN`]).
    pub same_rows: Vec<u64>,
}

/// How many further rows of a repeated problem are named.
pub const SAME_ROWS_SHOWN: usize = 4;

impl Problem {
    /// "werte.csv, Zeile 3, Spalte „monat“, Wert „2023-13“: …": the place, then the message.
    pub fn render(&self, file: &str) -> String {
        let mut s = format!("{file}, Zeile {}", self.row);
        if !self.column.is_empty() {
            s.push_str(&format!(", Spalte „{}“", self.column));
        }
        if !self.value.is_empty() {
            s.push_str(&format!(", Wert „{}“", self.value));
        }
        format!("{s}: {}{}", self.message, self.repeated_de())
    }

    /// "; ebenso in 611 weiteren Zeilen, darunter 3, 4, 5 und 6", or nothing.
    pub fn repeated_de(&self) -> String {
        if self.repeats == 0 {
            return String::new();
        }
        let rows: Vec<String> = self
            .same_rows
            .iter()
            .map(|r| zielwerk_domain::format::number(*r as f64, 0))
            .collect();
        let listed = match rows.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} und {last}", rest.join(", ")),
            None => String::new(),
        };
        if self.repeats as usize <= rows.len() {
            format!("; ebenso in Zeile {listed}")
        } else {
            format!(
                "; ebenso in {} weiteren Zeilen, darunter {listed}",
                zielwerk_domain::format::number(self.repeats as f64, 0)
            )
        }
    }

    /// Every occurrence: this one and its repeats.
    pub fn occurrences(&self) -> u64 {
        1 + self.repeats
    }
}

/// A file refused: nothing of it may be stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Refused {
    pub file: String,
    pub errors: Vec<Problem>,
    /// Errors beyond [`MAX_LISTED`], counted but not listed.
    pub more: u64,
}

impl Refused {
    /// A file refused as a whole, for a reason not tied to a row.
    pub fn whole_file(file: &str, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            errors: vec![Problem {
                row: 1,
                column: String::new(),
                value: String::new(),
                message: message.into(),
                ..Default::default()
            }],
            more: 0,
        }
    }

    /// Every error of the file: the listed ones with their repeats, and those only counted.
    pub fn total(&self) -> u64 {
        self.errors.iter().map(Problem::occurrences).sum::<u64>() + self.more
    }
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.total();
        writeln!(
            f,
            "Die Datei {} wurde nicht importiert ({total} Fehler; es wurde nichts gespeichert):",
            self.file
        )?;
        for e in &self.errors {
            writeln!(f, "  {}", e.render(&self.file))?;
        }
        if self.more > 0 {
            writeln!(f, "  … und {} weitere Fehler", self.more)?;
        }
        Ok(())
    }
}

/// A file read completely and without errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub rows: u64,
    pub sha256: String,
    pub encoding: &'static str,
    pub warnings: Vec<Problem>,
    /// Every identity the mapping declares, checked for every value it applies to.
    pub checks: Vec<crate::identity::IdentityCheck>,
}

/// The columns of the long format, in their order.
pub const COLUMNS: [&str; 9] = [
    "jobcenter",
    "kennzahl",
    "monat",
    "wert",
    "zaehler",
    "nenner",
    "status",
    "datenstand",
    "aufschluesselung",
];
const REQUIRED: [&str; 5] = ["jobcenter", "kennzahl", "monat", "status", "datenstand"];

/// Errors found so far: the first [`MAX_LISTED`] different ones listed, each with the rows that
/// repeat it, the rest counted.
#[derive(Default)]
pub(crate) struct Collected {
    pub list: Vec<Problem>,
    pub more: u64,
    /// (column, value, message) → index in `list`.
    seen: HashMap<(String, String, String), usize>,
}

impl Collected {
    /// Keeps the first [`MAX_LISTED`] different problems, each naming its value shortened to
    /// [`MAX_VALUE_SHOWN`] characters; a problem the list has already (same column, value and
    /// message in another row) is counted with it, and the rest are counted: a refusal stays
    /// small whatever the file.
    pub(crate) fn push(&mut self, mut p: Problem) {
        p.value = crate::german::shorten(&p.value, MAX_VALUE_SHOWN);
        p.column = crate::german::shorten(&p.column, MAX_VALUE_SHOWN);
        let key = (p.column.clone(), p.value.clone(), p.message.clone());
        if let Some(&i) = self.seen.get(&key) {
            let first = &mut self.list[i];
            first.repeats += 1 + p.repeats;
            for row in std::iter::once(p.row).chain(p.same_rows) {
                if first.same_rows.len() < SAME_ROWS_SHOWN && row != first.row {
                    first.same_rows.push(row);
                }
            }
        } else if self.list.len() < MAX_LISTED {
            self.seen.insert(key, self.list.len());
            self.list.push(p);
        } else {
            self.more += p.occurrences();
        }
    }

    pub(crate) fn into_refused(self, file: &str) -> Refused {
        Refused {
            file: file.to_owned(),
            errors: self.list,
            more: self.more,
        }
    }

    fn any(&self) -> bool {
        !self.list.is_empty() || self.more > 0
    }
}

/// Hashes everything read through it into a hasher shared with the caller.
struct Hashing<R> {
    inner: R,
    hasher: Rc<RefCell<Sha256>>,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.borrow_mut().update(&buf[..n]);
        Ok(n)
    }
}

pub(crate) fn finish_hash(hasher: &Rc<RefCell<Sha256>>) -> String {
    format!("{:x}", hasher.replace(Sha256::new()).finalize())
}

/// The two statuses a mapping can assign.
pub(crate) enum StatusText {
    Final,
    Projected,
}

/// A CSV file opened for reading: encoding and delimiter detected, bytes hashed as they pass.
pub(crate) struct Opened<'r> {
    pub csv: csv::Reader<Box<dyn Read + 'r>>,
    /// The first line, already read.
    pub header: csv::StringRecord,
    pub encoding: &'static encoding_rs::Encoding,
    pub style: DecimalStyle,
    pub hasher: Rc<RefCell<Sha256>>,
}

/// Detects the encoding (a UTF-8 BOM or valid UTF-8 in the first block means UTF-8, anything
/// else is read as the Windows-1252 of Excel's "CSV (Trennzeichen-getrennt)") and the delimiter (a
/// semicolon in the header line means the German CSV with decimal commas).
/// The header line is read too; an unreadable or empty file is refused with `empty` as the
/// message.
pub(crate) fn open<'r>(
    file: &str,
    input: impl Read + 'r,
    empty: &str,
) -> Result<Opened<'r>, Refused> {
    let hasher = Rc::new(RefCell::new(Sha256::new()));
    let hashing = Hashing {
        inner: input,
        hasher: Rc::clone(&hasher),
    };
    let mut buffered = BufReader::with_capacity(64 * 1024, hashing);
    let head = buffered.fill_buf().map(<[u8]>::to_vec).unwrap_or_default();
    let utf8 = match std::str::from_utf8(&head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(), // only a character cut at the block's end
    };
    // A byte-order mark names the encoding (Excel's "Unicode-Text" is UTF-16); otherwise valid
    // UTF-8, otherwise Windows-1252.
    let encoding = match encoding_rs::Encoding::for_bom(&head) {
        Some((bom, _)) => bom,
        None if utf8 => encoding_rs::UTF_8,
        None => encoding_rs::WINDOWS_1252,
    };
    let decoded = encoding_rs_io::DecodeReaderBytesBuilder::new()
        .encoding(Some(encoding))
        .bom_override(true)
        .strip_bom(true)
        .build(buffered);
    let mut decoded = BufReader::new(decoded);
    let mut header_line = String::new();
    decoded
        .read_line(&mut header_line)
        .map_err(|e| Refused::whole_file(file, format!("Die Datei lässt sich nicht lesen: {e}")))?;
    let (delimiter, style) = if header_line.contains(';') {
        (b';', DecimalStyle::Comma)
    } else {
        (b',', DecimalStyle::Point)
    };
    let reader: Box<dyn Read + 'r> =
        Box::new(std::io::Cursor::new(header_line.into_bytes()).chain(decoded));
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut header = csv::StringRecord::new();
    if !matches!(csv.read_record(&mut header), Ok(true)) {
        return Err(Refused::whole_file(file, empty));
    }
    Ok(Opened {
        csv,
        header,
        encoding,
        style,
        hasher,
    })
}

fn parse_status(raw: &str) -> Option<ValueStatus> {
    match raw.trim().to_lowercase().as_str() {
        "endgültig" | "endgueltig" | "final" => Some(ValueStatus::Final),
        "vorläufig" | "vorlaeufig" | "hochgerechnet" | "projected" => Some(ValueStatus::Projected),
        "aus eigenen daten" | "eigene daten" | "eigene_daten" | "own" => Some(ValueStatus::Own),
        _ => None,
    }
}

/// A row with more non-empty fields than the header has columns: a value would be dropped
/// without a word (usually a separator inside an unquoted value). Empty trailing fields, as
/// spreadsheet programs write them, are fine.
pub(crate) fn extra_fields(row: u64, record: &csv::StringRecord, width: usize) -> Option<Problem> {
    let (at, value) = record
        .iter()
        .enumerate()
        .skip(width)
        .find(|(_, f)| !f.trim().is_empty())?;
    Some(Problem {
        row,
        column: format!("Feld {}", at + 1),
        value: value.to_owned(),
        message: format!(
            "Die Zeile hat {} Felder, die Kopfzeile nur {width} Spalten; steht ein Trennzeichen in einem Wert, setzen Sie den Wert in Anführungszeichen",
            record.len()
        ),
        ..Default::default()
    })
}

/// The csv crate's error in German: what is wrong with the row.
pub(crate) fn csv_error_de(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!(
            "Die Zeile hat {} statt {} wie die Kopfzeile",
            zielwerk_domain::format::counted(*len as usize, "Feld", "Felder"),
            expected_len
        ),
        csv::ErrorKind::Utf8 { .. } => {
            "Die Zeile ist kein gültiger Text in der erkannten Zeichenkodierung".into()
        }
        _ => "Die Zeile ist kein gültiges CSV (Anführungszeichen oder Trennzeichen prüfen)".into(),
    }
}

/// Reads `input` (named `file` in messages) and hands the checked observations to `sink` in
/// chunks. A sink error stops the read and refuses the file.
pub fn read(
    file: &str,
    input: impl Read,
    catalog: &Catalog,
    sink: &mut dyn FnMut(Vec<Observation>) -> Result<(), String>,
) -> Result<Accepted, Refused> {
    read_rows(file, input, catalog, &mut |chunk, _| sink(chunk))
}

/// [`read`], with the line of each value handed over beside it.
pub fn read_rows(
    file: &str,
    input: impl Read,
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
        "Die Datei ist leer; erwartet wird eine Kopfzeile mit den Spalten jobcenter;kennzahl;monat;wert;zaehler;nenner;status;datenstand",
    )?;
    let mut errs = Collected::default();
    let records = csv.records();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, name) in header.iter().enumerate() {
        let name = name.trim().trim_start_matches('\u{feff}').to_lowercase();
        // A region that is not a Jobcenter, a period that is not a month: the same columns
        // under the names that fit them.
        let name = match name.as_str() {
            "region" => "jobcenter".to_owned(),
            "zeitraum" => "monat".to_owned(),
            _ => name,
        };
        match COLUMNS.iter().find(|c| **c == name) {
            // Two columns of one name: which one is meant cannot be guessed (a row meant for
            // one Jobcenter would be written to another).
            Some(c) if index.contains_key(c) => errs.push(Problem {
                row: 1,
                column: name.clone(),
                value: String::new(),
                message: format!(
                    "Die Spalte steht doppelt in der Kopfzeile (Spalten {} und {}); jede Spalte darf nur einmal vorkommen",
                    index[c] + 1,
                    i + 1
                ),
                ..Default::default()
            }),
            Some(c) => {
                index.insert(c, i);
            }
            None => errs.push(Problem {
                row: 1,
                column: name.clone(),
                value: String::new(),
                message: format!("Unbekannte Spalte; erlaubt sind: {}", COLUMNS.join(", ")),
                ..Default::default()
            }),
        }
    }
    for required in REQUIRED {
        if !index.contains_key(required) {
            errs.push(Problem {
                row: 1,
                column: required.into(),
                value: String::new(),
                message: "Pflichtspalte fehlt".into(),
                ..Default::default()
            });
        }
    }
    let has_value_columns = index.contains_key("wert")
        || (index.contains_key("zaehler") && index.contains_key("nenner"));
    if !has_value_columns {
        errs.push(Problem {
            row: 1,
            column: "wert".into(),
            value: String::new(),
            message: "Es fehlt die Spalte „wert“ (oder die Spalten „zaehler“ und „nenner“)".into(),
            ..Default::default()
        });
    }
    if errs.any() {
        return Err(errs.into_refused(file));
    }

    // The file's position of each column of the format, by the format's order.
    let positions: [Option<usize>; COLUMNS.len()] =
        std::array::from_fn(|k| index.get(COLUMNS[k]).copied());
    let mut checker = Checker::new(catalog, style, sink);
    for (i, record) in records.enumerate() {
        let row = i as u64 + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                checker.errs.push(Problem {
                    row,
                    column: String::new(),
                    value: String::new(),
                    message: csv_error_de(&e),
                    ..Default::default()
                });
                continue;
            }
        };
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if let Some(p) = extra_fields(row, &record, header.len()) {
            checker.errs.push(p);
            continue;
        }
        let get = |c: &str| {
            let at = COLUMNS
                .iter()
                .position(|k| *k == c)
                .and_then(|k| positions[k]);
            Cow::Borrowed(at.and_then(|i| record.get(i)).unwrap_or("").trim())
        };
        checker.check(row, &get, &|c: &str| c.to_owned());
    }
    let (rows, warnings, checks) = match checker.finish() {
        Ok(done) => done,
        Err(errs) => return Err(errs.into_refused(file)),
    };
    drop(csv);
    let sha256 = finish_hash(&hasher);
    Ok(Accepted {
        rows,
        sha256,
        encoding: encoding.name(),
        warnings,
        checks,
    })
}

/// What a read that found no error reports: rows, warnings, identity checks.
pub(crate) type Finished = (u64, Vec<Problem>, Vec<crate::identity::IdentityCheck>);

/// Checks rows (whatever their file shape) and hands the accepted observations to the sink.
pub(crate) struct Checker<'a> {
    catalog: &'a Catalog,
    style: DecimalStyle,
    pub(crate) errs: Collected,
    /// Series (Jobcenter, indicator, breakdown) by number, so that the per-row state below
    /// holds small integers rather than strings: memory stays low for files of millions of rows.
    series: HashMap<SeriesName, u32>,
    series_names: Vec<SeriesName>,
    /// The row of each month of each series, for the duplicate and the gap check.
    months: Vec<SeriesMonths>,
    chunk: Vec<Observation>,
    /// The line of each value of the chunk.
    chunk_rows: Vec<u64>,
    rows: u64,
    sink: &'a mut RowSink<'a>,
    sink_failed: bool,
    /// The last raw text of each column and what it was read as: rows of one file mostly repeat
    /// the Jobcenter, indicator, status, Datenstand and breakdown of the row before.
    memo: Memo<'a>,
    /// The identities the values must satisfy, and the values they need.
    identities: crate::identity::Identities,
}

/// See [`Checker::memo`].
#[derive(Default)]
struct Memo<'a> {
    region: Option<(String, Result<RegionId, String>)>,
    indicator: Option<(String, Result<&'a Indicator, String>)>,
    status: Option<(String, Option<ValueStatus>)>,
    datenstand: Option<(String, Option<NaiveDate>)>,
    breakdown: Option<(String, Result<Breakdown, String>)>,
    /// The series of the last row: region, indicator, the breakdown's raw text, the kind of
    /// period and the series' number.
    series: Option<(String, String, String, PeriodKind, u32)>,
}

/// What `read` returned for `raw` last time, or reads it now and keeps it.
fn remembered<T: Clone>(
    slot: &mut Option<(String, T)>,
    raw: &str,
    read: impl FnOnce(&str) -> T,
) -> T {
    if let Some((last, value)) = slot
        && last == raw
    {
        return value.clone();
    }
    let value = read(raw);
    *slot = Some((raw.to_owned(), value.clone()));
    value
}

/// Takes the checked values a chunk at a time, with the line of each.
pub type RowSink<'a> = dyn FnMut(Vec<Observation>, Vec<u64>) -> Result<(), String> + 'a;

/// A series in a file: region, indicator, breakdown key, kind of period (a 12-month mean and
/// the monthly values are two series, never duplicates of each other).
type SeriesName = (String, String, String, PeriodKind);

/// The rows of one series by period, four bytes a period from its first to its last: memory
/// grows with the series and their spans, not with the rows of the file.
#[derive(Debug, Default)]
pub(crate) struct SeriesMonths {
    first: i32,
    /// The line of month `first + i`; 0 for none.
    rows: Vec<u32>,
}

impl SeriesMonths {
    /// Notes the line of a month; `false` if the month has a line already.
    fn note(&mut self, period: Period, row: u64) -> bool {
        let m = period.index();
        let row = u32::try_from(row).unwrap_or(u32::MAX).max(1);
        if self.rows.is_empty() {
            self.first = m;
        } else if m < self.first {
            let shift = (self.first - m) as usize;
            self.rows.splice(0..0, std::iter::repeat_n(0, shift));
            self.first = m;
        }
        let at = (m - self.first) as usize;
        if at >= self.rows.len() {
            self.rows.resize(at + 1, 0);
        }
        if self.rows[at] != 0 {
            return false;
        }
        self.rows[at] = row;
        true
    }

    /// Each gap: the last period before it, the first after it and that period's line.
    fn gaps(&self, kind: PeriodKind) -> impl Iterator<Item = (Period, Period, u64)> + '_ {
        let month = move |i: usize| Period::from_index(kind, self.first + i as i32);
        let present = self
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| **r != 0)
            .map(|(i, r)| (i, *r));
        present
            .clone()
            .zip(present.skip(1))
            .filter(|((a, _), (b, _))| b - a > 1)
            .filter_map(move |((a, _), (b, row))| Some((month(a)?, month(b)?, u64::from(row))))
    }
}

impl<'a> Checker<'a> {
    pub(crate) fn new(
        catalog: &'a Catalog,
        style: DecimalStyle,
        sink: &'a mut RowSink<'a>,
    ) -> Self {
        Self {
            catalog,
            style,
            errs: Collected::default(),
            series: HashMap::new(),
            series_names: Vec::new(),
            months: Vec::new(),
            chunk: Vec::with_capacity(CHUNK),
            chunk_rows: Vec::with_capacity(CHUNK),
            rows: 0,
            sink,
            sink_failed: false,
            memo: Memo::default(),
            identities: Default::default(),
        }
    }

    /// Checks the values against `identities` too (warnings at the end).
    pub(crate) fn with_identities(mut self, identities: &[crate::identity::Identity]) -> Self {
        self.identities = crate::identity::Identities::new(identities);
        self
    }

    /// Checks one value. `get` returns the raw text of a logical column (`jobcenter`, `kennzahl`,
    /// `monat`, `wert`, `zaehler`, `nenner`, `status`, `datenstand`, `aufschluesselung`); `col`
    /// names the column of the file it came from, for messages.
    pub(crate) fn check<'r>(
        &mut self,
        row: u64,
        get: &dyn Fn(&str) -> Cow<'r, str>,
        col: &dyn Fn(&str) -> String,
    ) {
        self.rows += 1;
        let mut bad = |column: &str, value: &str, message: String| {
            self.errs.push(Problem {
                row,
                column: col(column),
                value: value.into(),
                message,
                ..Default::default()
            })
        };

        let jc_raw = &get("jobcenter");
        let catalog = self.catalog;
        let jobcenter = remembered(&mut self.memo.region, jc_raw, |raw| {
            match RegionId::from_key(raw) {
                Ok(id) if catalog.regions.contains(&id) => Ok(id),
                Ok(id) if id.kind() == RegionKind::Jobcenter => Err(
                    "Dieses Jobcenter ist nicht bekannt; importieren Sie zuerst seine Vereinbarung"
                        .to_owned(),
                ),
                Ok(id) if id.kind() == RegionKind::Kreis => Err(format!(
                    "Kein Kreis im Regionsregister hat den Kreisschlüssel {id}; eine Jobcenter-Kennung der BA beginnt mit „t“ (z. B. t36402)"
                )),
                Ok(id) => Err(format!(
                    "Die Region {id} ({}) steht nicht im Regionsregister",
                    id.kind().label_de()
                )),
                Err(e) => Err(e.to_string()),
            }
        })
        .map_err(|e| bad("jobcenter", jc_raw, e))
        .ok();
        let code_raw = &get("kennzahl");
        let indicator = remembered(&mut self.memo.indicator, code_raw, |raw| {
            match raw.parse::<IndicatorCode>() {
                Ok(code) => match catalog.indicators.get(&code) {
                    Some(ind) if ind.formula.is_stored() => Ok(ind),
                    Some(_) => Err("Diese Kennzahl wird aus anderen berechnet und kann nicht importiert werden; importieren Sie ihre Bestandteile".to_owned()),
                    None => Err(
                        "Unbekannte Kennzahl; sie muss in einer Vereinbarung definiert sein"
                            .to_owned(),
                    ),
                },
                Err(e) => Err(e.to_string()),
            }
        })
        .map_err(|e| bad("kennzahl", code_raw, e))
        .ok();
        let month_raw = &get("monat");
        let period = parse_period(month_raw)
            .map_err(|e| bad("monat", month_raw, e))
            .ok();
        let status_raw = &get("status");
        let status = remembered(&mut self.memo.status, status_raw, parse_status);
        if status.is_none() {
            bad(
                "status",
                status_raw,
                "Erwartet wird „endgültig“, „vorläufig“ oder „aus eigenen Daten“".into(),
            );
        }
        let ds_raw = &get("datenstand");
        let datenstand = remembered(&mut self.memo.datenstand, ds_raw, parse_date);
        if datenstand.is_none() {
            bad(
                "datenstand",
                ds_raw,
                "Erwartet wird ein Datum wie 31.01.2023".into(),
            );
        }
        if let (Some(ds), Some(latest)) = (datenstand, self.catalog.latest_datenstand)
            && ds > latest
        {
            bad(
                "datenstand",
                ds_raw,
                format!(
                    "Der Datenstand liegt in der Zukunft (heute ist der {}); ein Wert kann nicht später ermittelt sein",
                    latest.format("%d.%m.%Y")
                ),
            );
        }
        if let (Some(p), Some(ds)) = (period, datenstand)
            && ds < p.end.first_day()
        {
            bad(
                "datenstand",
                ds_raw,
                match p.kind {
                    PeriodKind::Month => format!(
                        "Der Datenstand liegt vor dem Monat {}, zu dem der Wert gehört",
                        p.end.german_long()
                    ),
                    _ => format!(
                        "Der Datenstand liegt vor dem letzten Monat ({}) des Zeitraums {}, zu dem der Wert gehört",
                        p.end.german_long(),
                        p.german_long()
                    ),
                },
            );
        }
        let number = |c: &str, bad: &mut dyn FnMut(&str, &str, String)| -> Option<Option<f64>> {
            let raw = &get(c);
            if raw.is_empty() {
                return Some(None);
            }
            match parse_number(raw, self.style) {
                Ok(v) => Some(Some(v)),
                Err(e) => {
                    bad(c, raw, e);
                    None
                }
            }
        };
        let mut bad_dyn = |c: &str, v: &str, m: String| bad(c, v, m);
        let value = number("wert", &mut bad_dyn);
        let numerator = number("zaehler", &mut bad_dyn);
        let denominator = number("nenner", &mut bad_dyn);
        let breakdown_raw = &get("aufschluesselung");
        let breakdown = if breakdown_raw.is_empty() {
            Some(None)
        } else {
            match remembered(&mut self.memo.breakdown, breakdown_raw, Breakdown::parse) {
                Ok(b) => Some(Some(b)),
                Err(e) => {
                    bad("aufschluesselung", breakdown_raw, e);
                    None
                }
            }
        };
        let (
            Some(jobcenter),
            Some(indicator),
            Some(period),
            Some(status),
            Some(datenstand),
            Some(value),
            Some(numerator),
            Some(denominator),
            Some(breakdown),
        ) = (
            jobcenter,
            indicator,
            period,
            status,
            datenstand,
            value,
            numerator,
            denominator,
            breakdown,
        )
        else {
            return;
        };
        match indicator.formula {
            Formula::StoredRatio { .. } => match (numerator, denominator) {
                (Some(n), Some(d)) => {
                    if n < 0.0 || d < 0.0 {
                        bad(
                            "zaehler",
                            &get("zaehler"),
                            "Zähler und Nenner sind Anzahlen und dürfen nicht negativ sein".into(),
                        );
                        return;
                    }
                    if d == 0.0 {
                        bad(
                            "nenner",
                            &get("nenner"),
                            "Der Nenner ist 0: ein Anteil an nichts lässt sich nicht bilden; lassen Sie den Monat weg".into(),
                        );
                        return;
                    }
                    if n > d && indicator.unit == Unit::Percent {
                        bad(
                            "zaehler",
                            &get("zaehler"),
                            format!(
                                "Der Zähler ist größer als der Nenner ({}); ein Anteil kann 100 % nicht übersteigen",
                                get("nenner")
                            ),
                        );
                        return;
                    }
                }
                _ => {
                    bad(
                        "zaehler",
                        &get("zaehler"),
                        format!(
                            "Die Kennzahl {} ist ein Anteil: Zähler und Nenner sind nötig",
                            indicator.code
                        ),
                    );
                    return;
                }
            },
            _ => match value {
                Some(v)
                    if v < 0.0
                        && matches!(indicator.unit, Unit::Count | Unit::Days | Unit::Milestone) =>
                {
                    bad(
                        "wert",
                        &get("wert"),
                        format!(
                            "Die Kennzahl {} zählt und kann nicht negativ sein",
                            indicator.code
                        ),
                    );
                    return;
                }
                Some(v) if indicator.unit == Unit::Milestone && v != 0.0 && v != 1.0 => {
                    bad(
                        "wert",
                        &get("wert"),
                        format!(
                            "Die Kennzahl {} ist ein Meilenstein: 1 heißt erreicht, 0 offen",
                            indicator.code
                        ),
                    );
                    return;
                }
                Some(_) => {}
                None => {
                    bad("wert", "", "Der Wert fehlt".into());
                    return;
                }
            },
        }
        // The series by the raw texts of the row before (a breakdown written differently but
        // meaning the same is found by its key below).
        let series = match &self.memo.series {
            Some((jc, code, bd, kind, id))
                if jc == jobcenter.as_str()
                    && code == indicator.code.as_str()
                    && bd == breakdown_raw.as_ref()
                    && *kind == period.kind =>
            {
                *id
            }
            _ => {
                let name = (
                    jobcenter.to_string(),
                    indicator.code.to_string(),
                    breakdown.as_ref().map(Breakdown::key).unwrap_or_default(),
                    period.kind,
                );
                let id = match self.series.get(&name) {
                    Some(id) => *id,
                    None => {
                        let id = self.series_names.len() as u32;
                        self.series.insert(name.clone(), id);
                        self.series_names.push(name.clone());
                        self.months.push(SeriesMonths::default());
                        id
                    }
                };
                self.memo.series = Some((name.0, name.1, breakdown_raw.to_string(), name.3, id));
                id
            }
        };
        if !self.months[series as usize].note(period, row) {
            bad(
                "monat",
                month_raw,
                format!(
                    "Für {} {} gibt es in dieser Datei schon einen Wert (doppelter Schlüssel)",
                    indicator.code,
                    period.german_long()
                ),
            );
            return;
        }
        self.chunk.push(Observation {
            region: jobcenter,
            indicator: indicator.code.clone(),
            month: period.end,
            period: period.kind,
            value: if matches!(indicator.formula, Formula::StoredRatio { .. }) {
                None
            } else {
                value
            },
            numerator,
            denominator,
            status,
            datenstand,
            breakdown,
        });
        self.chunk_rows.push(row);
        if let Some(last) = self.chunk.last() {
            self.identities.note(last, row);
        }
        if self.chunk.len() >= CHUNK && !self.errs.any() && !self.sink_failed {
            let rows = std::mem::replace(&mut self.chunk_rows, Vec::with_capacity(CHUNK));
            let chunk = std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK));
            if let Err(e) = (self.sink)(chunk, rows) {
                self.sink_failed = true;
                self.errs.push(Problem {
                    row,
                    column: String::new(),
                    value: String::new(),
                    message: e,
                    ..Default::default()
                });
            }
        } else if self.chunk.len() >= CHUNK {
            self.chunk.clear();
            self.chunk_rows.clear();
        }
    }

    /// Hands over the rest and reports: the rows read, the warnings and the identity checks, or
    /// every error.
    pub(crate) fn finish(mut self) -> Result<Finished, Collected> {
        if !self.errs.any()
            && !self.chunk.is_empty()
            && let Err(e) = (self.sink)(
                std::mem::take(&mut self.chunk),
                std::mem::take(&mut self.chunk_rows),
            )
        {
            self.errs.push(Problem {
                row: self.rows + 1,
                column: String::new(),
                value: String::new(),
                message: e,
                ..Default::default()
            });
        }
        if self.errs.any() {
            return Err(self.errs);
        }
        // Gaps inside a series are worth a look before confirming, but not an error.
        let mut warnings = Vec::new();
        for ((jc, code, breakdown, kind), months) in self.series_names.into_iter().zip(self.months)
        {
            let (one, many) = kind.unit_de();
            for (a, b, row_b) in months.gaps(kind) {
                warnings.push(Problem {
                    row: row_b,
                    column: "monat".into(),
                    value: b.to_string(),
                    message: format!(
                        "Lücke in der Reihe {code} für {jc}{}: zwischen {} und {} {}",
                        if breakdown.is_empty() {
                            String::new()
                        } else {
                            format!(" ({breakdown})")
                        },
                        a.german_long(),
                        b.german_long(),
                        match b.index() - a.index() - 1 {
                            1 => format!("fehlt 1 {one}"),
                            n => format!("fehlen {n} {many}"),
                        }
                    ),
                    ..Default::default()
                });
            }
        }
        let (violated, checks) = self.identities.results();
        warnings.extend(violated);
        Ok((self.rows, warnings, checks))
    }
}
