//! One import, start to finish: the file is read on a blocking thread (ingest) and its values
//! are handed over in chunks to one store transaction; the transaction is committed only if the
//! whole file was accepted, and never for a preview. The command line and the web upload both
//! run imports through here.

use std::io::Read;

use zielwerk_domain::{Observation, Source, SourceKind, ValueStatus};
use zielwerk_ingest::long_csv::{self, Accepted, Catalog, Problem, Refused};
use zielwerk_ingest::mapped::{self, Mapping};
use zielwerk_store::{KeptFinal, RecordOutcome, Store, StoreError, ValueCheck};

/// Whether the importing user may write values for a region.
pub type MayWrite = Box<dyn Fn(&zielwerk_domain::RegionId) -> bool + Send + Sync>;

/// What to import.
pub struct Request {
    /// The file's name, for messages and provenance.
    pub name: String,
    pub input: Box<dyn Read + Send>,
    /// Needed for files not in the long CSV format, and for every workbook.
    pub mapping: Option<Mapping>,
    /// Who imports, for provenance.
    pub recorded_by: String,
    /// How, for provenance (e.g. "zielwerk import", "Web-Upload").
    pub via: &'static str,
    /// `false` for a preview: everything is checked and counted, nothing is kept.
    pub commit: bool,
    /// Which Jobcenter the importing user may write values for; `None` for all (the command
    /// line, run by whoever runs the server). Values for any other Jobcenter are refused as
    /// unknown.
    pub may_write: Option<MayWrite>,
    /// Told how far the import has come, if anyone watches.
    pub progress: Option<OnProgress>,
    /// Values entered by hand (a form, not a file): recorded with the source "von Hand erfasst
    /// von …".
    pub by_hand: bool,
    /// More about where the values came from, added to the source's detail.
    pub about: Option<String>,
}

/// What an import did (or, for a preview, would do).
#[derive(Debug, Clone)]
pub struct Report {
    pub accepted: Accepted,
    pub outcome: RecordOutcome,
    /// The source row's id, if anything changed and was committed.
    pub import_id: Option<String>,
    pub committed: bool,
    /// The first values, for a preview.
    pub sample: Vec<Observation>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Refused(Refused),
    #[error("{name} wurde nicht importiert; es wurde nichts gespeichert: {source}")]
    Store { name: String, source: StoreError },
    #[error("Der Import wurde abgebrochen: {0}")]
    Aborted(String),
}

/// How many values a preview shows.
pub const SAMPLE: usize = 20;

fn is_workbook(name: &str) -> bool {
    let name = name.to_lowercase();
    [".xlsx", ".xlsm", ".xls", ".ods"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// What a file may refer to: the known regions (the register and the Jobcenter), the built-in catalogue and every agreement's
/// indicators. Read in two statements, whatever the size of the database: nothing here reads
/// values (whether a projection meets a final value is decided by the store, per chunk).
pub async fn catalog(store: &Store) -> Result<Catalog, StoreError> {
    let mut catalog = Catalog::default();
    for ind in zielwerk_domain::keyfigures::catalogue() {
        catalog.indicators.insert(ind.code.clone(), ind);
    }
    let (regions, indicators) = store.import_catalog().await?;
    catalog.regions.extend(regions);
    for ind in indicators {
        catalog.indicators.entry(ind.code.clone()).or_insert(ind);
    }
    // A Datenstand after today is a typo ("31.12.9999"); a day's slack for time zones.
    catalog.latest_datenstand = chrono::Local::now()
        .date_naive()
        .checked_add_days(chrono::Days::new(1));
    Ok(catalog)
}

/// What an import is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Reading the file, checking each row and writing the checked values (the three run side
    /// by side, a chunk at a time).
    Reading,
    /// The whole file is read; the audit trail is written and the transaction committed.
    Committing,
    /// Done (committed, or for a preview: rolled back).
    Done,
}

impl Phase {
    /// For progress displays.
    pub fn label_de(self) -> &'static str {
        match self {
            Phase::Reading => "lesen, prüfen, schreiben",
            Phase::Committing => "abschließen",
            Phase::Done => "fertig",
        }
    }
}

/// How far an import has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub phase: Phase,
    /// Bytes of the file read so far.
    pub bytes: u64,
    /// Values checked and written so far.
    pub written: u64,
}

/// Called as an import goes on: after every chunk and at each change of phase.
pub type OnProgress = Box<dyn Fn(Progress) + Send + Sync>;

/// Counts the bytes read through it.
struct Counting<R> {
    inner: R,
    read: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// The kept-final hints in the reader's words: each of the first listed at its line, then one
/// line for the rest of each kind (projections under a final value, values from own records
/// under an official one).
fn kept_final_warnings(listed: &[KeptFinal], outcome: &RecordOutcome) -> Vec<Problem> {
    let mut warnings: Vec<Problem> = listed
        .iter()
        .map(|k| {
            let (value, message) = if k.status == ValueStatus::Own {
                (
                    "aus eigenen Daten",
                    format!(
                        "Für {} {} ist schon ein amtlicher Wert gespeichert; er bleibt, der Wert aus eigenen Daten dieser Zeile wird nicht übernommen",
                        k.indicator,
                        k.period.german_long()
                    ),
                )
            } else {
                (
                    "vorläufig",
                    format!(
                        "Für {} {} ist schon ein endgültiger Wert gespeichert; er bleibt, der vorläufige Wert dieser Zeile wird nicht übernommen",
                        k.indicator,
                        k.period.german_long()
                    ),
                )
            };
            Problem {
                row: k.row,
                column: "status".into(),
                value: value.into(),
                message,
                ..Default::default()
            }
        })
        .collect();
    let listed_of = |own: bool| {
        listed
            .iter()
            .filter(|k| (k.status == ValueStatus::Own) == own)
            .count() as u64
    };
    let last_row = listed.last().map(|k| k.row).unwrap_or_default();
    if outcome.kept_final > listed_of(false) {
        warnings.push(Problem {
            row: last_row,
            column: "status".into(),
            value: String::new(),
            message: format!(
                "Insgesamt {} Zeilen mit vorläufigen Werten für Monate, deren endgültiger Wert gespeichert ist (die ersten {} sind einzeln genannt); die endgültigen Werte bleiben",
                outcome.kept_final,
                listed_of(false)
            ),
            ..Default::default()
        });
    }
    if outcome.kept_official > listed_of(true) {
        warnings.push(Problem {
            row: last_row,
            column: "status".into(),
            value: String::new(),
            message: format!(
                "Insgesamt {} Zeilen mit Werten aus eigenen Daten für Monate, deren amtlicher Wert gespeichert ist (die ersten {} sind einzeln genannt); die amtlichen Werte bleiben",
                outcome.kept_official,
                listed_of(true)
            ),
            ..Default::default()
        });
    }
    warnings
}

/// Runs one import (or preview) against `store`.
pub async fn run(store: &Store, request: Request, when: &str) -> Result<Report, ImportError> {
    let Request {
        name,
        input,
        mapping,
        recorded_by,
        via,
        commit,
        may_write,
        progress,
        by_hand,
        about,
    } = request;
    let store_error = |source| ImportError::Store {
        name: name.clone(),
        source,
    };
    let mut catalog = catalog(store).await.map_err(store_error)?;
    if let Some(may_write) = &may_write {
        catalog.regions.retain(|r| may_write(r));
    }
    let source = if by_hand {
        Source {
            kind: SourceKind::Manual,
            label: format!("von Hand erfasst von {recorded_by}"),
            detail: format!("Von Hand erfasst von {recorded_by} am {when} ({via})"),
            file_name: None,
            sha256: None,
        }
    } else {
        Source {
            kind: SourceKind::File,
            label: match &mapping {
                Some(m) => format!("{} (Import {name})", m.label),
                None => format!("Import {name}"),
            },
            detail: match &about {
                Some(about) => {
                    format!("Datei {name}, importiert von {recorded_by} am {when} ({via}). {about}")
                }
                None => format!("Datei {name}, importiert von {recorded_by} am {when} ({via})"),
            },
            file_name: Some(name.clone()),
            sha256: None,
        }
    };
    let bytes_read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let input = Counting {
        inner: input,
        read: bytes_read.clone(),
    };
    let report = |phase, written| {
        if let Some(progress) = &progress {
            progress(Progress {
                phase,
                bytes: bytes_read.load(std::sync::atomic::Ordering::Relaxed),
                written,
            });
        }
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(Vec<Observation>, Vec<u64>)>(2);
    let reader_name = name.clone();
    let reader = tokio::task::spawn_blocking(move || {
        let mut sink = |chunk, rows| {
            tx.blocking_send((chunk, rows))
                .map_err(|_| "Das Speichern wurde abgebrochen".to_string())
        };
        let mut input = std::io::BufReader::with_capacity(256 * 1024, input);
        match (&mapping, is_workbook(&reader_name)) {
            (Some(m), true) => {
                let mut bytes = Vec::new();
                input.read_to_end(&mut bytes).map_err(|e| {
                    Refused::whole_file(
                        &reader_name,
                        format!("Die Datei lässt sich nicht lesen: {e}"),
                    )
                })?;
                mapped::read_workbook_rows(&reader_name, bytes, m, &catalog, &mut sink)
            }
            (Some(m), false) => {
                mapped::read_mapped_rows(&reader_name, input, m, &catalog, &mut sink)
            }
            (None, true) => Err(Refused::whole_file(
                &reader_name,
                "Für Arbeitsmappen ist eine Zuordnungsdatei nötig (siehe docs/import-mapping.md)",
            )),
            (None, false) => long_csv::read_rows(&reader_name, input, &catalog, &mut sink),
        }
    });
    let mut recording = store.begin_recording(source).await.map_err(store_error)?;
    let mut failure = None;
    let mut sample = Vec::new();
    let mut written = 0u64;
    report(Phase::Reading, 0);
    while let Some((chunk, rows)) = rx.recv().await {
        if sample.len() < SAMPLE {
            sample.extend(chunk.iter().take(SAMPLE - sample.len()).cloned());
        }
        if let Err(e) = recording.add_rows(&chunk, Some(&rows)).await {
            failure = Some(e);
            break;
        }
        written += chunk.len() as u64;
        report(Phase::Reading, written);
    }
    drop(rx);
    let read = reader
        .await
        .map_err(|e| ImportError::Aborted(e.to_string()))?;
    match (read, failure) {
        (Ok(mut accepted), None) => {
            recording.set_sha256(accepted.sha256.clone());
            let checks: Vec<ValueCheck> = std::mem::take(&mut accepted.checks)
                .into_iter()
                .map(|c| ValueCheck {
                    region: c.region,
                    indicator: c.indicator,
                    period: c.period,
                    warning: c.violation,
                })
                .collect();
            recording
                .record_checks(&checks)
                .await
                .map_err(store_error)?;
            let outcome = recording.outcome();
            let mut warnings = kept_final_warnings(recording.kept_final(), &outcome);
            warnings.append(&mut accepted.warnings);
            accepted.warnings = warnings;
            report(Phase::Committing, written);
            let (import_id, committed, outcome) = if commit {
                let import_id = recording.import_id().map(str::to_owned);
                (
                    import_id,
                    true,
                    recording.commit().await.map_err(store_error)?,
                )
            } else {
                recording.rollback().await.map_err(store_error)?;
                (None, false, outcome)
            };
            report(Phase::Done, written);
            Ok(Report {
                accepted,
                outcome,
                import_id,
                committed,
                sample,
            })
        }
        // The store's failure stopped the reader ("Das Speichern wurde abgebrochen"): it is the
        // cause, and what the message must name.
        (_, Some(e)) => {
            recording.rollback().await.map_err(store_error)?;
            Err(store_error(e))
        }
        (Err(refused), None) => {
            recording.rollback().await.map_err(store_error)?;
            Err(ImportError::Refused(refused))
        }
    }
}
