//! Reading record files (see `docs/records.md`): CSV with a header row, German (semicolons,
//! decimal comma) or plain (commas, decimal point), told apart by the header's separator.
//! Columns are found by name, in any order; columns the format does not name are left alone
//! (exports carry more). Every refusal names the file, the line, the column, the value and what
//! was expected. Files are streamed; nothing but the parsed records is kept.

use std::collections::HashMap;
use std::io::Read;

use chrono::NaiveDate;

use crate::{Integration, IntegrationKind, Month, Payment, Period, Spell};

/// A value in a record file that cannot be read, with its place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}, Zeile {line}{}: {problem}", column.as_ref().map(|c| format!(", Spalte „{c}“")).unwrap_or_default())]
pub struct ReadError {
    pub file: String,
    pub line: u64,
    pub column: Option<String>,
    pub problem: String,
}

/// The Jobcenter of the files, as dense keys in the order they were first seen.
#[derive(Debug, Clone, Default)]
pub struct Jobcenters {
    ids: Vec<String>,
    index: HashMap<String, u16>,
}

impl Jobcenters {
    /// The key of `id`, given out when it is new; `None` past 65,535 Jobcenter.
    fn key(&mut self, id: &str) -> Option<u16> {
        if let Some(k) = self.index.get(id) {
            return Some(*k);
        }
        let k = u16::try_from(self.ids.len()).ok()?;
        self.ids.push(id.to_owned());
        self.index.insert(id.to_owned(), k);
        Some(k)
    }

    /// The file's id of the Jobcenter with key `key`.
    pub fn id(&self, key: u16) -> Option<&str> {
        self.ids.get(usize::from(key)).map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// How a file's rows are laid out: its name, style, width and the positions of the wanted
/// columns.
struct Layout {
    file: String,
    german: bool,
    width: usize,
    columns: Vec<usize>,
    names: &'static [&'static str],
}

/// One row of a file, with its line.
struct Row<'a> {
    layout: &'a Layout,
    record: &'a csv::ByteRecord,
    line: u64,
}

/// Bytes read and parsed per block; blocks end at a line break.
const BLOCK: usize = 4 << 20;

fn unreadable(file: &str, line: u64, e: impl std::fmt::Display) -> ReadError {
    ReadError {
        file: file.to_owned(),
        line,
        column: None,
        problem: format!("Die Datei lässt sich nicht lesen: {e}"),
    }
}

/// Reads the header of `input`: the layout of the table `names` (`optional` among them may be
/// missing).
fn header(
    file: &str,
    input: &mut impl Read,
    names: &'static [&'static str],
    optional: &[&str],
) -> Result<Layout, ReadError> {
    // Up to the first line break, byte by byte, so that the rest is read in blocks.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match input.read(&mut byte) {
            Ok(0) => break,
            Ok(_) => {
                head.push(byte[0]);
                if byte[0] == b'\n' {
                    break;
                }
            }
            Err(e) => return Err(unreadable(file, 1, e)),
        }
    }
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        head.drain(..3);
    }
    let german = head.contains(&b';');
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(if german { b';' } else { b',' })
        .has_headers(true)
        .from_reader(head.as_slice());
    let header = reader.byte_headers().map_err(|e| ReadError {
        file: file.to_owned(),
        line: 1,
        column: None,
        problem: format!("Die Kopfzeile lässt sich nicht lesen: {e}"),
    })?;
    let found: Vec<String> = header
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_lowercase())
        .collect();
    let mut columns = Vec::with_capacity(names.len());
    for name in names {
        match found.iter().position(|f| f == name) {
            Some(i) => columns.push(i),
            None if optional.contains(name) => columns.push(usize::MAX),
            None => {
                return Err(ReadError {
                    file: file.to_owned(),
                    line: 1,
                    column: Some((*name).to_owned()),
                    problem: format!(
                        "Die Spalte fehlt in der Kopfzeile (erwartet: {}; gefunden: {})",
                        names.join(", "),
                        found.join(", ")
                    ),
                });
            }
        }
    }
    Ok(Layout {
        file: file.to_owned(),
        german,
        width: found.len(),
        columns,
        names,
    })
}

/// What a block of rows gave: its records and the Jobcenter its rows named, by local key.
type Parsed<T> = Result<(Vec<T>, Jobcenters), ReadError>;

/// Reads the rows of `input` after its header in blocks of [`BLOCK`] bytes, parsed by `parse`
/// on `threads` threads, in the order of the file. Each block's rows give Jobcenter keys of
/// their own (`parse` gets a fresh [`Jobcenters`]); `remap` then puts the keys of `jobcenters`
/// in their place, in the order the file names them. Fields must not hold line breaks.
fn read_rows<T: Send>(
    layout: &Layout,
    mut input: impl Read,
    threads: usize,
    jobcenters: &mut Jobcenters,
    parse: impl Fn(&Row, &mut Jobcenters) -> Result<T, ReadError> + Sync,
    remap: impl Fn(&mut T, &[u16]),
) -> Result<Vec<T>, ReadError> {
    let threads = threads.max(1);
    let parse_block = |start_line: u64, block: &[u8]| -> Parsed<T> {
        let mut local = Jobcenters::default();
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(if layout.german { b';' } else { b',' })
            .has_headers(false)
            .flexible(true)
            .from_reader(block);
        let mut record = csv::ByteRecord::new();
        let mut out = Vec::new();
        loop {
            let more = reader.read_byte_record(&mut record).map_err(|e| {
                let line = start_line + e.position().map_or(1, |p| p.line()) - 1;
                ReadError {
                    file: layout.file.clone(),
                    line,
                    column: None,
                    problem: format!("Die Zeile lässt sich nicht lesen: {e}"),
                }
            })?;
            if !more {
                break;
            }
            let line = start_line + record.position().map_or(1, |p| p.line()) - 1;
            if record.len() != layout.width {
                return Err(ReadError {
                    file: layout.file.clone(),
                    line,
                    column: None,
                    problem: format!(
                        "{} Felder statt {} wie in der Kopfzeile",
                        record.len(),
                        layout.width
                    ),
                });
            }
            let row = Row {
                layout,
                record: &record,
                line,
            };
            out.push(parse(&row, &mut local)?);
        }
        Ok((out, local))
    };
    let (work, todo) = std::sync::mpsc::sync_channel::<(usize, u64, Vec<u8>)>(threads * 2);
    let (done, results) = std::sync::mpsc::channel::<(usize, Parsed<T>)>();
    let todo = std::sync::Mutex::new(todo);
    let read: Result<(), ReadError> = std::thread::scope(|scope| {
        for _ in 0..threads {
            let (todo, done) = (&todo, done.clone());
            let parse_block = &parse_block;
            scope.spawn(move || {
                loop {
                    let next = todo.lock().map(|t| t.recv());
                    let Ok(Ok((index, line, block))) = next else {
                        break;
                    };
                    if done.send((index, parse_block(line, &block))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done);
        let mut carry: Vec<u8> = Vec::new();
        let mut line = 2u64;
        for index in 0.. {
            let mut block = Vec::with_capacity(BLOCK + carry.len());
            block.append(&mut carry);
            let want = BLOCK.saturating_sub(block.len()) as u64;
            let got = input
                .by_ref()
                .take(want)
                .read_to_end(&mut block)
                .map_err(|e| unreadable(&layout.file, line, e))?;
            let end = got == 0 || (got as u64) < want;
            if !end && let Some(last) = block.iter().rposition(|&b| b == b'\n') {
                carry = block.split_off(last + 1);
            }
            if block.is_empty() && end {
                break;
            }
            let lines = block.iter().filter(|&&b| b == b'\n').count() as u64;
            if work.send((index, line, block)).is_err() {
                break;
            }
            line += lines;
            if end && carry.is_empty() {
                break;
            }
        }
        drop(work);
        Ok(())
    });
    read?;
    let mut parts: Vec<(usize, Parsed<T>)> = results.into_iter().collect();
    parts.sort_by_key(|p| p.0);
    let mut out = Vec::new();
    for (_, part) in parts {
        let (mut rows, local) = part?;
        let map: Vec<u16> = local
            .ids
            .iter()
            .map(|id| {
                jobcenters.key(id).ok_or_else(|| ReadError {
                    file: layout.file.clone(),
                    line: 0,
                    column: None,
                    problem: "Mehr als 65.535 Jobcenter".to_owned(),
                })
            })
            .collect::<Result<_, _>>()?;
        if !map.is_empty() {
            for r in &mut rows {
                remap(r, &map);
            }
        }
        out.append(&mut rows);
    }
    Ok(out)
}

impl Row<'_> {
    /// The raw text of the `k`-th wanted column (empty for an optional one that is missing).
    fn raw(&self, k: usize) -> &[u8] {
        let c = self.layout.columns[k];
        if c == usize::MAX {
            return b"";
        }
        self.record.get(c).unwrap_or_default().trim_ascii()
    }

    fn problem(&self, k: usize, expected: &str) -> ReadError {
        ReadError {
            file: self.layout.file.clone(),
            line: self.line,
            column: Some(self.layout.names[k].to_owned()),
            problem: format!(
                "„{}“ {expected}",
                String::from_utf8_lossy(self.raw(k))
                    .chars()
                    .take(60)
                    .collect::<String>()
            ),
        }
    }

    fn pseudonym(&self, k: usize) -> Result<u32, ReadError> {
        parse_u32(self.raw(k)).ok_or_else(|| {
            self.problem(
                k,
                "ist kein Pseudonym (erwartet: eine ganze Zahl von 0 bis 4294967295)",
            )
        })
    }

    fn date(&self, k: usize) -> Result<NaiveDate, ReadError> {
        parse_date(self.raw(k))
            .ok_or_else(|| self.problem(k, "ist kein Datum (erwartet: TT.MM.JJJJ oder JJJJ-MM-TT)"))
    }

    fn open_date(&self, k: usize) -> Result<Option<NaiveDate>, ReadError> {
        if self.raw(k).is_empty() {
            Ok(None)
        } else {
            self.date(k).map(Some)
        }
    }

    fn yes_no(&self, k: usize) -> Result<bool, ReadError> {
        match self.raw(k).to_ascii_lowercase().as_slice() {
            b"ja" | b"j" | b"1" | b"true" | b"wahr" => Ok(true),
            b"nein" | b"n" | b"0" | b"false" | b"falsch" => Ok(false),
            _ => Err(self.problem(
                k,
                "ist weder ja noch nein (erwartet: ja/nein, j/n oder 1/0)",
            )),
        }
    }

    fn jobcenter(&self, k: usize, jobcenters: &mut Jobcenters) -> Result<u16, ReadError> {
        let raw = self.raw(k);
        let id = std::str::from_utf8(raw)
            .ok()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| self.problem(k, "ist keine Kennung eines Jobcenters"))?;
        jobcenters
            .key(id)
            .ok_or_else(|| self.problem(k, "ist ein Jobcenter zu viel (höchstens 65.535)"))
    }

    fn cents(&self, k: usize) -> Result<i64, ReadError> {
        parse_cents(self.raw(k), self.layout.german).ok_or_else(|| {
            self.problem(
                k,
                if self.layout.german {
                    "ist kein Betrag in Euro (erwartet z. B. 1.234,56)"
                } else {
                    "ist kein Betrag in Euro (erwartet z. B. 1234.56)"
                },
            )
        })
    }

    fn month(&self, k: usize) -> Result<Month, ReadError> {
        parse_month(self.raw(k))
            .ok_or_else(|| self.problem(k, "ist kein Monat (erwartet: MM.JJJJ oder JJJJ-MM)"))
    }
}

/// Reads a file of benefit spells (`leistungszeitraeume`) on `threads` threads.
pub fn read_spells(
    file: &str,
    mut input: impl Read,
    jobcenters: &mut Jobcenters,
    threads: usize,
) -> Result<Vec<Spell>, ReadError> {
    const NAMES: &[&str] = &[
        "person",
        "bg",
        "jobcenter",
        "von",
        "bis",
        "erwerbsfaehig",
        "alleinerziehend",
    ];
    let layout = header(file, &mut input, NAMES, &[])?;
    read_rows(
        &layout,
        input,
        threads,
        jobcenters,
        |t, local| {
            let spell = Spell {
                person: t.pseudonym(0)?,
                bg: t.pseudonym(1)?,
                jobcenter: t.jobcenter(2, local)?,
                from: t.date(3)?,
                to: t.open_date(4)?,
                erwerbsfaehig: t.yes_no(5)?,
                alleinerziehend: t.yes_no(6)?,
            };
            if let Some(to) = spell.to
                && to < spell.from
            {
                return Err(t.problem(4, &format!("liegt vor dem Beginn {}", german(spell.from))));
            }
            Ok(spell)
        },
        |s, map| s.jobcenter = map[usize::from(s.jobcenter)],
    )
}

/// Reads a file of integrations (`integrationen`) on `threads` threads.
pub fn read_integrations(
    file: &str,
    mut input: impl Read,
    threads: usize,
) -> Result<Vec<Integration>, ReadError> {
    const NAMES: &[&str] = &["person", "datum", "art"];
    let layout = header(file, &mut input, NAMES, &[])?;
    read_rows(
        &layout,
        input,
        threads,
        &mut Jobcenters::default(),
        |t, _| {
            let kind = match t.raw(2).to_ascii_lowercase().as_slice() {
                b"sv_beschaeftigung" => IntegrationKind::Beschaeftigung,
                b"ausbildung" => IntegrationKind::Ausbildung,
                b"selbststaendig" => IntegrationKind::Selbstaendig,
                b"geringfuegig" => IntegrationKind::Minijob,
                b"oeffentlich_gefoerdert" => IntegrationKind::OeffentlichGefoerdert,
                _ => {
                    return Err(t.problem(
                        2,
                        "ist keine Art der Aufnahme (erwartet: sv_beschaeftigung, ausbildung, selbststaendig, geringfuegig oder oeffentlich_gefoerdert)",
                    ));
                }
            };
            Ok(Integration {
                person: t.pseudonym(0)?,
                date: t.date(1)?,
                kind,
            })
        },
        |_, _| {},
    )
}

/// Reads a file of periods of one person (`beschaeftigung`, `massnahmen`) on `threads`
/// threads.
pub fn read_periods(
    file: &str,
    mut input: impl Read,
    threads: usize,
) -> Result<Vec<Period>, ReadError> {
    const NAMES: &[&str] = &["person", "von", "bis"];
    let layout = header(file, &mut input, NAMES, &[])?;
    read_rows(
        &layout,
        input,
        threads,
        &mut Jobcenters::default(),
        |t, _| {
            let p = Period {
                person: t.pseudonym(0)?,
                from: t.date(1)?,
                to: t.open_date(2)?,
            };
            if let Some(to) = p.to
                && to < p.from
            {
                return Err(t.problem(2, &format!("liegt vor dem Beginn {}", german(p.from))));
            }
            Ok(p)
        },
        |_, _| {},
    )
}

/// Reads a file of payments per Bedarfsgemeinschaft and month (`zahlungen`) on `threads`
/// threads.
pub fn read_payments(
    file: &str,
    mut input: impl Read,
    jobcenters: &mut Jobcenters,
    threads: usize,
) -> Result<Vec<Payment>, ReadError> {
    const NAMES: &[&str] = &["bg", "jobcenter", "monat", "lebensunterhalt", "unterkunft"];
    let layout = header(file, &mut input, NAMES, &[])?;
    read_rows(
        &layout,
        input,
        threads,
        jobcenters,
        |t, local| {
            Ok(Payment {
                bg: t.pseudonym(0)?,
                jobcenter: t.jobcenter(1, local)?,
                month: t.month(2)?,
                lebensunterhalt: t.cents(3)?,
                unterkunft: t.cents(4)?,
            })
        },
        |p, map| p.jobcenter = map[usize::from(p.jobcenter)],
    )
}

/// One BuT application from a case list (`but_antraege`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ButRecord {
    pub child: u32,
    pub jobcenter: u16,
    pub applied: NaiveDate,
    pub decided: Option<NaiveDate>,
    /// Whether the decision granted a benefit (`false` while undecided).
    pub granted: bool,
}

/// One referral to addiction counselling under § 16a SGB II (`suchtberatung`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReferralRecord {
    pub person: u32,
    pub jobcenter: u16,
    pub referred: NaiveDate,
    pub started: Option<NaiveDate>,
    pub completed: Option<NaiveDate>,
}

/// The children entitled to BuT in a month (`but_berechtigte`), from the benefit statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntitledRecord {
    pub jobcenter: u16,
    pub month: Month,
    pub children: u32,
}

/// The column of the Jobcenter in a case list may be missing when the upload names the
/// Jobcenter the whole file belongs to (`default`).
fn case_header(
    file: &str,
    input: &mut impl Read,
    names: &'static [&'static str],
    optional: &[&str],
    default: Option<&str>,
) -> Result<Layout, ReadError> {
    let layout = header(file, input, names, optional)?;
    if layout.columns[0] == usize::MAX && default.is_none() {
        return Err(ReadError {
            file: file.to_owned(),
            line: 1,
            column: Some("jobcenter".to_owned()),
            problem: "Die Spalte fehlt in der Kopfzeile; ohne sie muss beim Hochladen angegeben sein, zu welchem Jobcenter die Liste gehört".to_owned(),
        });
    }
    Ok(layout)
}

impl Row<'_> {
    /// The Jobcenter in column `k`, or `default` where the file has no such column.
    fn jobcenter_or(
        &self,
        k: usize,
        default: Option<&str>,
        jobcenters: &mut Jobcenters,
    ) -> Result<u16, ReadError> {
        match default {
            Some(id) if self.layout.columns[k] == usize::MAX => jobcenters
                .key(id)
                .ok_or_else(|| self.problem(k, "ist ein Jobcenter zu viel (höchstens 65.535)")),
            _ => self.jobcenter(k, jobcenters),
        }
    }

    /// A date in column `k` that must not lie before `earlier` (named `what`).
    fn not_before(
        &self,
        k: usize,
        date: Option<NaiveDate>,
        earlier: NaiveDate,
        what: &str,
    ) -> Result<(), ReadError> {
        match date {
            Some(d) if d < earlier => {
                Err(self.problem(k, &format!("liegt vor {what} {}", german(earlier))))
            }
            _ => Ok(()),
        }
    }
}

/// Reads a case list of BuT applications (`but_antraege`); `default` is the Jobcenter of a list
/// without a column `jobcenter`.
pub fn read_but_applications(
    file: &str,
    mut input: impl Read,
    jobcenters: &mut Jobcenters,
    default: Option<&str>,
    threads: usize,
) -> Result<Vec<ButRecord>, ReadError> {
    const NAMES: &[&str] = &["jobcenter", "kind", "antrag", "entscheidung", "bewilligt"];
    let layout = case_header(file, &mut input, NAMES, &["jobcenter"], default)?;
    read_rows(
        &layout,
        input,
        threads,
        jobcenters,
        |t, local| {
            let applied = t.date(2)?;
            let decided = t.open_date(3)?;
            t.not_before(3, decided, applied, "dem Antrag vom")?;
            let granted = match decided {
                Some(_) => t.yes_no(4)?,
                None if t.raw(4).is_empty() => false,
                None => {
                    return Err(t.problem(
                        4,
                        "steht bei einem Antrag ohne Entscheidung (erwartet: leer, solange nicht entschieden ist)",
                    ));
                }
            };
            Ok(ButRecord {
                jobcenter: t.jobcenter_or(0, default, local)?,
                child: t.pseudonym(1)?,
                applied,
                decided,
                granted,
            })
        },
        |r, map| r.jobcenter = map[usize::from(r.jobcenter)],
    )
}

/// Reads a case list of § 16a referrals to addiction counselling (`suchtberatung`).
pub fn read_referrals(
    file: &str,
    mut input: impl Read,
    jobcenters: &mut Jobcenters,
    default: Option<&str>,
    threads: usize,
) -> Result<Vec<ReferralRecord>, ReadError> {
    const NAMES: &[&str] = &["jobcenter", "person", "zuweisung", "beginn", "abschluss"];
    let layout = case_header(
        file,
        &mut input,
        NAMES,
        &["jobcenter", "abschluss"],
        default,
    )?;
    read_rows(
        &layout,
        input,
        threads,
        jobcenters,
        |t, local| {
            let referred = t.date(2)?;
            let started = t.open_date(3)?;
            let completed = t.open_date(4)?;
            t.not_before(3, started, referred, "der Zuweisung vom")?;
            match (started, completed) {
                (Some(s), _) => t.not_before(4, completed, s, "dem Beginn vom")?,
                (None, Some(_)) => {
                    return Err(t.problem(4, "steht bei einer Beratung ohne Beginn"));
                }
                (None, None) => {}
            }
            Ok(ReferralRecord {
                jobcenter: t.jobcenter_or(0, default, local)?,
                person: t.pseudonym(1)?,
                referred,
                started,
                completed,
            })
        },
        |r, map| r.jobcenter = map[usize::from(r.jobcenter)],
    )
}

/// Reads the children entitled to BuT per month (`but_berechtigte`).
pub fn read_entitled(
    file: &str,
    mut input: impl Read,
    jobcenters: &mut Jobcenters,
    default: Option<&str>,
    threads: usize,
) -> Result<Vec<EntitledRecord>, ReadError> {
    const NAMES: &[&str] = &["jobcenter", "monat", "kinder"];
    let layout = case_header(file, &mut input, NAMES, &["jobcenter"], default)?;
    read_rows(
        &layout,
        input,
        threads,
        jobcenters,
        |t, local| {
            Ok(EntitledRecord {
                jobcenter: t.jobcenter_or(0, default, local)?,
                month: t.month(1)?,
                children: digits(t.raw(2)).ok_or_else(|| {
                    t.problem(2, "ist keine Anzahl (erwartet: eine ganze Zahl ab 0)")
                })?,
            })
        },
        |r, map| r.jobcenter = map[usize::from(r.jobcenter)],
    )
}

/// Whether `name` is a Parquet file (by its ending).
pub fn is_parquet(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".parquet")
}

/// A Parquet file with a flat schema as the plain CSV the readers above read: the header from
/// the column names, a line per row (row n is line n + 1, as in a CSV file), dates as
/// `JJJJ-MM-TT`, booleans as 1/0, decimals and floating-point amounts with a decimal point,
/// missing values empty. Only the columns' values are converted; their meaning is checked by
/// the reader the CSV goes to, with the same messages.
pub fn parquet_as_csv(file: &str, content: Vec<u8>) -> Result<Vec<u8>, ReadError> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;
    let at = |line: u64, column: Option<&str>, problem: String| ReadError {
        file: file.to_owned(),
        line,
        column: column.map(str::to_owned),
        problem,
    };
    let reader = SerializedFileReader::new(bytes::Bytes::from(content)).map_err(|e| {
        at(
            1,
            None,
            format!("Die Datei lässt sich nicht als Parquet lesen: {e}"),
        )
    })?;
    for group in reader.metadata().row_groups() {
        for column in group.columns() {
            use parquet::basic::Compression;
            let codec = column.compression();
            if !matches!(codec, Compression::UNCOMPRESSED | Compression::SNAPPY) {
                return Err(at(
                    1,
                    Some(column.column_path().string().as_str()),
                    format!(
                        "Die Spalte ist mit {codec} komprimiert; Zielwerk liest Parquet unkomprimiert oder mit Snappy (z. B. DuckDB: COPY … TO 'datei.parquet' (FORMAT parquet, COMPRESSION snappy))"
                    ),
                ));
            }
        }
    }
    let schema = reader.metadata().file_metadata().schema_descr();
    let names: Vec<String> = schema
        .root_schema()
        .get_fields()
        .iter()
        .map(|f| f.name().to_owned())
        .collect();
    let mut out = csv::WriterBuilder::new().from_writer(Vec::new());
    let written = |e: csv::Error| at(1, None, format!("Umwandlung: {e}"));
    out.write_record(&names).map_err(written)?;
    let rows = reader.get_row_iter(None).map_err(|e| {
        at(
            1,
            None,
            format!("Die Datei lässt sich nicht als Parquet lesen: {e}"),
        )
    })?;
    let mut record: Vec<String> = Vec::with_capacity(names.len());
    for (i, row) in rows.enumerate() {
        let line = i as u64 + 2;
        let row = row.map_err(|e| {
            at(
                line,
                None,
                format!("Der Datensatz lässt sich nicht lesen: {e}"),
            )
        })?;
        record.clear();
        for (name, field) in row.get_column_iter() {
            let text = match field {
                Field::Null => String::new(),
                Field::Bool(b) => if *b { "1" } else { "0" }.to_owned(),
                Field::Byte(n) => n.to_string(),
                Field::Short(n) => n.to_string(),
                Field::Int(n) => n.to_string(),
                Field::Long(n) => n.to_string(),
                Field::UByte(n) => n.to_string(),
                Field::UShort(n) => n.to_string(),
                Field::UInt(n) => n.to_string(),
                Field::ULong(n) => n.to_string(),
                Field::Float(x) => x.to_string(),
                Field::Double(x) => x.to_string(),
                Field::Decimal(d) => decimal_text(d.data(), d.scale()).ok_or_else(|| {
                    at(
                        line,
                        Some(name),
                        "Dezimalzahl mit mehr als 38 Stellen".to_owned(),
                    )
                })?,
                Field::Str(s) => s.clone(),
                Field::Date(days) => NaiveDate::from_num_days_from_ce_opt(719_163 + days)
                    .map(|d| d.to_string())
                    .ok_or_else(|| {
                        at(
                            line,
                            Some(name),
                            format!("Datum außerhalb des Kalenders ({days} Tage)"),
                        )
                    })?,
                Field::TimestampMillis(ms) => chrono::DateTime::from_timestamp_millis(*ms)
                    .map(|t| t.date_naive().to_string())
                    .unwrap_or_default(),
                Field::TimestampMicros(us) => chrono::DateTime::from_timestamp_micros(*us)
                    .map(|t| t.date_naive().to_string())
                    .unwrap_or_default(),
                other => {
                    return Err(at(
                        line,
                        Some(name),
                        format!(
                            "Werte dieser Art lassen sich nicht lesen ({}; erwartet: Zahl, Text, Datum oder ja/nein)",
                            match other {
                                Field::Group(_) => "Gruppe",
                                Field::ListInternal(_) => "Liste",
                                Field::MapInternal(_) => "Zuordnung",
                                Field::Bytes(_) => "Bytes",
                                _ => "Uhrzeit oder Gleitkommazahl halber Genauigkeit",
                            }
                        ),
                    ));
                }
            };
            record.push(text);
        }
        out.write_record(&record).map_err(written)?;
    }
    out.into_inner()
        .map_err(|e| at(1, None, format!("Umwandlung: {e}")))
}

/// A decimal's big-endian two's-complement digits with `scale` places after the point.
fn decimal_text(data: &[u8], scale: i32) -> Option<String> {
    if data.is_empty() || data.len() > 16 {
        return None;
    }
    let fill = if data[0] & 0x80 != 0 { 0xFF } else { 0 };
    let mut bytes = [fill; 16];
    bytes[16 - data.len()..].copy_from_slice(data);
    let n = i128::from_be_bytes(bytes);
    let scale = usize::try_from(scale).unwrap_or(0);
    if scale == 0 {
        return Some(n.to_string());
    }
    let digits = format!("{:0>width$}", n.unsigned_abs(), width = scale + 1);
    let (whole, fraction) = digits.split_at(digits.len() - scale);
    Some(format!(
        "{}{whole}.{fraction}",
        if n < 0 { "-" } else { "" }
    ))
}

fn german(d: NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')))
}

fn parse_u32(b: &[u8]) -> Option<u32> {
    if b.len() == 10 {
        let n: u64 = b.iter().try_fold(0u64, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + u64::from(d - b'0'))
        })?;
        return u32::try_from(n).ok();
    }
    digits(b)
}

/// `TT.MM.JJJJ` or `JJJJ-MM-TT`.
pub(crate) fn parse_date(b: &[u8]) -> Option<NaiveDate> {
    let (y, m, d) = match b {
        [d1, d2, b'.', m1, m2, b'.', y @ ..] if y.len() == 4 => {
            (digits(y)?, digits(&[*m1, *m2])?, digits(&[*d1, *d2])?)
        }
        [y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2] => (
            digits(&[*y1, *y2, *y3, *y4])?,
            digits(&[*m1, *m2])?,
            digits(&[*d1, *d2])?,
        ),
        _ => return None,
    };
    NaiveDate::from_ymd_opt(y as i32, m, d)
}

/// `MM.JJJJ` or `JJJJ-MM`.
fn parse_month(b: &[u8]) -> Option<Month> {
    match b {
        [m1, m2, b'.', y @ ..] if y.len() == 4 => {
            Month::new(digits(y)? as i32, digits(&[*m1, *m2])?)
        }
        [y1, y2, y3, y4, b'-', m1, m2] => {
            Month::new(digits(&[*y1, *y2, *y3, *y4])? as i32, digits(&[*m1, *m2])?)
        }
        _ => None,
    }
}

/// A sum of money in cents, exactly: `1.234,56` (German; the thousands dots optional) or
/// `1234.56` (plain), with at most two decimals and an optional minus.
pub(crate) fn parse_cents(b: &[u8], german: bool) -> Option<i64> {
    let (negative, b) = match b {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, b),
    };
    let (decimal, thousands) = if german {
        (b',', Some(b'.'))
    } else {
        (b'.', None)
    };
    let (whole, fraction) = match b.iter().position(|&c| c == decimal) {
        Some(i) => (&b[..i], &b[i + 1..]),
        None => (b, &b""[..]),
    };
    if whole.is_empty() || fraction.len() > 2 {
        return None;
    }
    // Thousands separators only between groups of three digits.
    let groups: Vec<&[u8]> = match thousands {
        Some(t) if whole.contains(&t) => whole.split(|&c| c == t).collect(),
        _ => vec![whole],
    };
    if groups.len() > 1
        && (groups[0].is_empty() || groups[0].len() > 3 || groups[1..].iter().any(|g| g.len() != 3))
    {
        return None;
    }
    let mut cents: i64 = 0;
    for g in groups {
        for &c in g {
            if !c.is_ascii_digit() {
                return None;
            }
            cents = cents.checked_mul(10)?.checked_add(i64::from(c - b'0'))?;
        }
    }
    for k in 0..2 {
        let c = fraction.get(k).copied().unwrap_or(b'0');
        if !c.is_ascii_digit() {
            return None;
        }
        cents = cents.checked_mul(10)?.checked_add(i64::from(c - b'0'))?;
    }
    Some(if negative { -cents } else { cents })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A Parquet file of benefit spells, as an export would write it: integers, text, DATE
    /// columns with a missing end, booleans; compressed with snappy.
    /// person, bg, jobcenter, von and bis (days since 1970), erwerbsfähig, alleinerziehend.
    type SpellRow<'a> = (i64, i64, &'a str, i32, Option<i32>, bool, bool);

    fn spells_parquet(rows: &[SpellRow]) -> Vec<u8> {
        use parquet::data_type::{BoolType, ByteArray, ByteArrayType, Int32Type, Int64Type};
        use parquet::file::properties::WriterProperties;
        use parquet::file::writer::SerializedFileWriter;
        let schema = std::sync::Arc::new(
            parquet::schema::parser::parse_message_type(
                "message spells { REQUIRED INT64 person; REQUIRED INT64 bg; REQUIRED BYTE_ARRAY jobcenter (UTF8); \
                 REQUIRED INT32 von (DATE); OPTIONAL INT32 bis (DATE); REQUIRED BOOLEAN erwerbsfaehig; \
                 REQUIRED BOOLEAN alleinerziehend; }",
            )
            .unwrap(),
        );
        let props = std::sync::Arc::new(
            WriterProperties::builder()
                .set_compression(parquet::basic::Compression::SNAPPY)
                .build(),
        );
        let mut w = SerializedFileWriter::new(Vec::new(), schema, props).unwrap();
        let mut g = w.next_row_group().unwrap();
        let mut column = 0;
        while let Some(mut c) = g.next_column().unwrap() {
            match column {
                0 | 1 => {
                    let v: Vec<i64> = rows
                        .iter()
                        .map(|r| if column == 0 { r.0 } else { r.1 })
                        .collect();
                    c.typed::<Int64Type>().write_batch(&v, None, None).unwrap();
                }
                2 => {
                    let v: Vec<ByteArray> = rows.iter().map(|r| ByteArray::from(r.2)).collect();
                    c.typed::<ByteArrayType>()
                        .write_batch(&v, None, None)
                        .unwrap();
                }
                3 => {
                    let v: Vec<i32> = rows.iter().map(|r| r.3).collect();
                    c.typed::<Int32Type>().write_batch(&v, None, None).unwrap();
                }
                4 => {
                    let v: Vec<i32> = rows.iter().filter_map(|r| r.4).collect();
                    let def: Vec<i16> = rows.iter().map(|r| i16::from(r.4.is_some())).collect();
                    c.typed::<Int32Type>()
                        .write_batch(&v, Some(&def), None)
                        .unwrap();
                }
                _ => {
                    let v: Vec<bool> = rows
                        .iter()
                        .map(|r| if column == 5 { r.5 } else { r.6 })
                        .collect();
                    c.typed::<BoolType>().write_batch(&v, None, None).unwrap();
                }
            }
            c.close().unwrap();
            column += 1;
        }
        g.close().unwrap();
        w.into_inner().unwrap()
    }

    fn days(d: &str) -> i32 {
        (d.parse::<NaiveDate>().unwrap() - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days()
            as i32
    }

    #[test]
    fn parquet_spells_read_as_the_same_csv_would() {
        let parquet = spells_parquet(&[
            (17, 4, "t36402", days("2021-01-01"), None, true, false),
            (
                18,
                4,
                "t36402",
                days("2021-01-01"),
                Some(days("2022-06-30")),
                false,
                false,
            ),
        ]);
        let csv = parquet_as_csv("lz.parquet", parquet).unwrap();
        let mut a = Jobcenters::default();
        let from_parquet = read_spells("lz.parquet", csv.as_slice(), &mut a, 2).unwrap();
        let plain = "person,bg,jobcenter,von,bis,erwerbsfaehig,alleinerziehend\n\
                     17,4,t36402,2021-01-01,,1,0\n\
                     18,4,t36402,2021-01-01,2022-06-30,0,0\n";
        let mut b = Jobcenters::default();
        assert_eq!(
            from_parquet,
            read_spells("b.csv", plain.as_bytes(), &mut b, 1).unwrap()
        );
        // A value the format does not allow keeps its place: the second row is line 3.
        let bad = spells_parquet(&[
            (1, 1, "t1", days("2021-05-01"), None, true, false),
            (
                2,
                1,
                "t1",
                days("2021-05-01"),
                Some(days("2021-04-30")),
                true,
                false,
            ),
        ]);
        let csv = parquet_as_csv("lz.parquet", bad).unwrap();
        assert_eq!(
            read_spells("lz.parquet", csv.as_slice(), &mut a, 1)
                .unwrap_err()
                .to_string(),
            "lz.parquet, Zeile 3, Spalte „bis“: „2021-04-30“ liegt vor dem Beginn 01.05.2021"
        );
        assert!(
            parquet_as_csv("lz.parquet", b"PAR1 kaputt".to_vec())
                .unwrap_err()
                .to_string()
                .starts_with("lz.parquet, Zeile 1: Die Datei lässt sich nicht als Parquet lesen"),
        );
    }

    #[test]
    fn parquet_decimals_keep_their_cents() {
        assert_eq!(
            decimal_text(&123_456i64.to_be_bytes(), 2).as_deref(),
            Some("1234.56")
        );
        assert_eq!(
            decimal_text(&(-5i32).to_be_bytes(), 2).as_deref(),
            Some("-0.05")
        );
        assert_eq!(decimal_text(&[0x01, 0x00], 0).as_deref(), Some("256"));
        assert_eq!(
            parse_cents(
                decimal_text(&(-5i32).to_be_bytes(), 2).unwrap().as_bytes(),
                false
            ),
            Some(-5)
        );
    }

    #[test]
    fn case_lists_take_the_jobcenter_from_the_upload_where_they_have_no_column() {
        let but = "Kind;Antrag;Entscheidung;Bewilligt\n\
                   7;03.01.2022;10.01.2022;ja\n\
                   8;04.01.2022;;\n";
        let mut j = Jobcenters::default();
        let rows = read_but_applications(
            "but_antraege.csv",
            but.as_bytes(),
            &mut j,
            Some("t36402"),
            2,
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].granted, rows[1].decided, rows[1].granted),
            (true, None, false)
        );
        assert_eq!(j.id(rows[1].jobcenter), Some("t36402"));
        let e = read_but_applications("but_antraege.csv", but.as_bytes(), &mut j, None, 1)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "but_antraege.csv, Zeile 1, Spalte „jobcenter“: Die Spalte fehlt in der Kopfzeile; ohne sie muss beim Hochladen angegeben sein, zu welchem Jobcenter die Liste gehört"
        );
        // A column of the file wins over the upload's Jobcenter.
        let with = "jobcenter,person,zuweisung,beginn\nt05158,3,2022-04-04,2022-04-14\n";
        let r = read_referrals(
            "suchtberatung.csv",
            with.as_bytes(),
            &mut j,
            Some("t36402"),
            1,
        )
        .unwrap();
        assert_eq!(j.id(r[0].jobcenter), Some("t05158"));
        assert_eq!(r[0].completed, None, "the column abschluss may be missing");
    }

    #[test]
    fn case_lists_refuse_dates_out_of_order_with_their_place() {
        let mut j = Jobcenters::default();
        let but = |row: &str| {
            read_but_applications(
                "but.csv",
                format!("kind;antrag;entscheidung;bewilligt\n{row}\n").as_bytes(),
                &mut Jobcenters::default(),
                Some("t1"),
                1,
            )
            .unwrap_err()
            .to_string()
        };
        assert_eq!(
            but("7;10.01.2022;03.01.2022;ja"),
            "but.csv, Zeile 2, Spalte „entscheidung“: „03.01.2022“ liegt vor dem Antrag vom 10.01.2022"
        );
        assert_eq!(
            but("7;10.01.2022;;nein"),
            "but.csv, Zeile 2, Spalte „bewilligt“: „nein“ steht bei einem Antrag ohne Entscheidung (erwartet: leer, solange nicht entschieden ist)"
        );
        let sucht = "person;zuweisung;beginn;abschluss\n1;04.04.2022;;30.04.2022\n";
        assert_eq!(
            read_referrals("sucht.csv", sucht.as_bytes(), &mut j, Some("t1"), 1)
                .unwrap_err()
                .to_string(),
            "sucht.csv, Zeile 2, Spalte „abschluss“: „30.04.2022“ steht bei einer Beratung ohne Beginn"
        );
        let kinder = "monat;kinder\n02.2022;viele\n";
        assert_eq!(
            read_entitled(
                "but_berechtigte.csv",
                kinder.as_bytes(),
                &mut j,
                Some("t1"),
                1
            )
            .unwrap_err()
            .to_string(),
            "but_berechtigte.csv, Zeile 2, Spalte „kinder“: „viele“ ist keine Anzahl (erwartet: eine ganze Zahl ab 0)"
        );
    }

    #[test]
    fn spells_are_read_in_either_style_with_columns_in_any_order() {
        let german = "\u{feff}Person;BG;Jobcenter;von;bis;erwerbsfaehig;alleinerziehend;extra\n\
                      17;4;t36402;01.01.2021;;ja;nein;x\n\
                      18;4;t36402;01.01.2021;30.06.2022;nein;nein;y\n";
        let plain = "jobcenter,person,bg,von,bis,erwerbsfaehig,alleinerziehend\n\
                     t36402,17,4,2021-01-01,,1,0\n\
                     t36402,18,4,2021-01-01,2022-06-30,0,0\n";
        let mut a = Jobcenters::default();
        let mut b = Jobcenters::default();
        let x = read_spells("a.csv", german.as_bytes(), &mut a, 2).unwrap();
        let y = read_spells("b.csv", plain.as_bytes(), &mut b, 1).unwrap();
        assert_eq!(x, y);
        assert_eq!(x[1].to, NaiveDate::from_ymd_opt(2022, 6, 30));
        assert_eq!(a.id(0), Some("t36402"));
    }

    #[test]
    fn every_refusal_names_file_line_column_and_what_was_expected() {
        let mut j = Jobcenters::default();
        let e = |text: &str, j: &mut Jobcenters| {
            read_spells("lz.csv", text.as_bytes(), j, 2)
                .unwrap_err()
                .to_string()
        };
        let head = "person;bg;jobcenter;von;bis;erwerbsfaehig;alleinerziehend\n";
        assert_eq!(
            e(
                &format!("{head}1;2;t1;01.01.2021;;ja;nein\n1;2;t1;31.02.2021;;ja;nein\n"),
                &mut j
            ),
            "lz.csv, Zeile 3, Spalte „von“: „31.02.2021“ ist kein Datum (erwartet: TT.MM.JJJJ oder JJJJ-MM-TT)"
        );
        assert_eq!(
            e(&format!("{head}A7;2;t1;01.01.2021;;ja;nein\n"), &mut j),
            "lz.csv, Zeile 2, Spalte „person“: „A7“ ist kein Pseudonym (erwartet: eine ganze Zahl von 0 bis 4294967295)"
        );
        assert_eq!(
            e(
                &format!("{head}1;2;t1;01.01.2021;;vielleicht;nein\n"),
                &mut j
            ),
            "lz.csv, Zeile 2, Spalte „erwerbsfaehig“: „vielleicht“ ist weder ja noch nein (erwartet: ja/nein, j/n oder 1/0)"
        );
        assert_eq!(
            e(
                &format!("{head}1;2;t1;01.05.2021;30.04.2021;ja;nein\n"),
                &mut j
            ),
            "lz.csv, Zeile 2, Spalte „bis“: „30.04.2021“ liegt vor dem Beginn 01.05.2021"
        );
        assert_eq!(
            e(&format!("{head}1;2;t1;01.05.2021\n"), &mut j),
            "lz.csv, Zeile 2: 4 Felder statt 7 wie in der Kopfzeile"
        );
        assert_eq!(
            e("person;bg;von;bis;erwerbsfaehig;alleinerziehend\n", &mut j),
            "lz.csv, Zeile 1, Spalte „jobcenter“: Die Spalte fehlt in der Kopfzeile (erwartet: person, bg, jobcenter, von, bis, erwerbsfaehig, alleinerziehend; gefunden: person, bg, von, bis, erwerbsfaehig, alleinerziehend)"
        );
        let e = read_integrations(
            "int.csv",
            "person;datum;art\n1;01.01.2022;festanstellung\n".as_bytes(),
            1,
        )
        .unwrap_err();
        assert_eq!(e.column.as_deref(), Some("art"));
        assert_eq!(e.line, 2);
    }

    #[test]
    fn a_file_of_many_blocks_reads_the_same_on_any_number_of_threads() {
        use std::fmt::Write;
        let mut text = String::from("person;bg;jobcenter;von;bis;erwerbsfaehig;alleinerziehend\n");
        let rows = 2 * BLOCK / 40;
        for i in 0..rows {
            let _ = writeln!(
                text,
                "{i};{};t{:05};01.01.2021;{};ja;nein",
                i / 2,
                (i * 7919) % 401,
                if i % 3 == 0 { "" } else { "30.06.2022" }
            );
        }
        let read = |threads, text: &str| {
            let mut j = Jobcenters::default();
            read_spells("lz.csv", text.as_bytes(), &mut j, threads).map(|s| (s, j.ids))
        };
        let one = read(1, &text).unwrap();
        assert_eq!(one.0.len(), rows);
        assert_eq!(read(3, &text).unwrap(), one);
        // A bad value far into the file is named at its line.
        let bad = rows - 5;
        let broken = text.replacen(&format!("\n{bad};"), &format!("\nx{bad};"), 1);
        let e = read(3, &broken).unwrap_err();
        assert_eq!(
            (e.line, e.column.as_deref()),
            (bad as u64 + 2, Some("person"))
        );
    }

    #[test]
    fn payments_in_cents_exactly() {
        let mut j = Jobcenters::default();
        let p = read_payments(
            "z.csv",
            "bg;jobcenter;monat;lebensunterhalt;unterkunft\n4;t1;05.2022;1.234,56;502\n".as_bytes(),
            &mut j,
            2,
        )
        .unwrap();
        assert_eq!((p[0].lebensunterhalt, p[0].unterkunft), (123_456, 50_200));
        assert_eq!(p[0].month, Month::new(2022, 5).unwrap());
        for bad in ["1.23,45", "12,345", "1,2,3", "", "1.2345", "-", "1 234"] {
            assert_eq!(parse_cents(bad.as_bytes(), true), None, "{bad}");
        }
        assert_eq!(parse_cents(b"-0,5", true), Some(-50));
        assert_eq!(parse_cents(b"1234.5", false), Some(123_450));
        assert_eq!(parse_cents(b"1.234", false), None);
    }

    proptest! {
        /// A case list of any content is read or refused with a place, never a panic; an
        /// accepted list has one record per line after the header. Random bytes are never taken
        /// for Parquet.
        #[test]
        fn case_lists_of_any_content_are_read_or_refused(
            rows in prop::collection::vec("[0-9]{1,3};[0-3][0-9]\\.[01][0-9]\\.202[0-3];([0-3][0-9]\\.[01][0-9]\\.202[0-3])?;(ja|nein|x)?", 0..20),
            junk in prop::collection::vec(any::<u8>(), 0..200),
        ) {
            let text = format!("kind;antrag;entscheidung;bewilligt\n{}\n", rows.join("\n"));
            let mut j = Jobcenters::default();
            match read_but_applications("but.csv", text.as_bytes(), &mut j, Some("t1"), 2) {
                Ok(read) => prop_assert_eq!(read.len(), rows.len()),
                Err(e) => prop_assert!(e.line >= 1 && e.to_string().starts_with("but.csv, Zeile ")),
            }
            let _ = read_referrals("s.csv", junk.as_slice(), &mut j, Some("t1"), 1);
            let _ = read_entitled("k.csv", junk.as_slice(), &mut j, None, 1);
            prop_assert!(parquet_as_csv("x.parquet", junk.clone()).is_err());
        }

        /// Cents written in either style read back as the same cents.
        #[test]
        fn cents_round_trip(cents in -10_000_000_000i64..10_000_000_000) {
            let whole = cents.unsigned_abs() / 100;
            let frac = cents.unsigned_abs() % 100;
            let sign = if cents < 0 { "-" } else { "" };
            let digits = whole.to_string();
            let mut grouped = String::new();
            for (i, c) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i) % 3 == 0 {
                    grouped.push('.');
                }
                grouped.push(c);
            }
            let german = format!("{sign}{grouped},{frac:02}");
            let plain = format!("{sign}{whole}.{frac:02}");
            prop_assert_eq!(parse_cents(german.as_bytes(), true), Some(cents));
            prop_assert_eq!(parse_cents(plain.as_bytes(), false), Some(cents));
        }

        /// Any date written in either form reads back as itself; nothing else panics.
        #[test]
        fn dates_round_trip(days in 0i64..80_000, junk in "[0-9.\\-]{0,12}") {
            let d = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono::Duration::days(days);
            prop_assert_eq!(parse_date(d.format("%d.%m.%Y").to_string().as_bytes()), Some(d));
            prop_assert_eq!(parse_date(d.format("%Y-%m-%d").to_string().as_bytes()), Some(d));
            let _ = parse_date(junk.as_bytes());
        }
    }
}
