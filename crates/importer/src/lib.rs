//! One import, start to finish: the file is read on a blocking thread (ingest) and its values
//! are handed over in chunks to one store transaction; the transaction is committed only if the
//! whole file was accepted, and never for a preview. The command line and the web upload both
//! run imports through here.

use std::io::Read;

use zielwerk_domain::{Observation, Source, SourceKind};
use zielwerk_ingest::long_csv::{Accepted, Catalog, Refused};
use zielwerk_ingest::mapped::Mapping;
use zielwerk_store::{RecordOutcome, Store, StoreError};

/// Whether the importing user may write values for a Jobcenter.
pub type MayWrite = Box<dyn Fn(&zielwerk_domain::BaId) -> bool + Send + Sync>;

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

/// What a file may refer to: the known Jobcenter, the built-in catalogue and every agreement's
/// indicators, and the keys whose current value is final.
pub async fn catalog(store: &Store) -> Result<Catalog, StoreError> {
    let mut catalog = Catalog::default();
    for ind in zielwerk_domain::keyfigures::catalogue() {
        catalog.indicators.insert(ind.code.clone(), ind);
    }
    for summary in store.agreements().await? {
        if let Some(a) = store.agreement(&summary.key).await? {
            catalog.jobcenters.insert(a.jobcenter.ba_id.clone());
            for ind in a.indicators {
                catalog.indicators.entry(ind.code.clone()).or_insert(ind);
            }
        }
    }
    for (jc, code, month, breakdown) in store.final_keys().await? {
        if let (Ok(jc), Ok(code), Ok(month)) = (jc.parse(), code.parse(), month.parse()) {
            catalog.finals.insert((jc, code, month, breakdown));
        }
    }
    // A Datenstand after today is a typo ("31.12.9999"); a day's slack for time zones.
    catalog.latest_datenstand = chrono::Local::now()
        .date_naive()
        .checked_add_days(chrono::Days::new(1));
    Ok(catalog)
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
    } = request;
    let store_error = |source| ImportError::Store {
        name: name.clone(),
        source,
    };
    let mut catalog = catalog(store).await.map_err(store_error)?;
    if let Some(may_write) = &may_write {
        catalog.jobcenters.retain(|j| may_write(j));
    }
    let source = Source {
        kind: SourceKind::File,
        label: match &mapping {
            Some(m) => format!("{} (Import {name})", m.label),
            None => format!("Import {name}"),
        },
        detail: format!("Datei {name}, importiert von {recorded_by} am {when} ({via})"),
        file_name: Some(name.clone()),
        sha256: None,
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<Observation>>(2);
    let reader_name = name.clone();
    let reader = tokio::task::spawn_blocking(move || {
        let mut sink = |chunk| {
            tx.blocking_send(chunk)
                .map_err(|_| "Das Speichern wurde abgebrochen".to_string())
        };
        let mut input = std::io::BufReader::new(input);
        match (&mapping, is_workbook(&reader_name)) {
            (Some(m), true) => {
                let mut bytes = Vec::new();
                input.read_to_end(&mut bytes).map_err(|e| {
                    Refused::whole_file(
                        &reader_name,
                        format!("Die Datei lässt sich nicht lesen: {e}"),
                    )
                })?;
                zielwerk_ingest::mapped::read_workbook(&reader_name, bytes, m, &catalog, &mut sink)
            }
            (Some(m), false) => {
                zielwerk_ingest::mapped::read_mapped(&reader_name, input, m, &catalog, &mut sink)
            }
            (None, true) => Err(Refused::whole_file(
                &reader_name,
                "Für Arbeitsmappen ist eine Zuordnungsdatei nötig (siehe docs/import-mapping.md)",
            )),
            (None, false) => {
                zielwerk_ingest::long_csv::read(&reader_name, input, &catalog, &mut sink)
            }
        }
    });
    let mut recording = store.begin_recording(source).await.map_err(store_error)?;
    let mut failure = None;
    let mut sample = Vec::new();
    while let Some(chunk) = rx.recv().await {
        if sample.len() < SAMPLE {
            sample.extend(chunk.iter().take(SAMPLE - sample.len()).cloned());
        }
        if let Err(e) = recording.add(&chunk).await {
            failure = Some(e);
            break;
        }
    }
    drop(rx);
    let read = reader
        .await
        .map_err(|e| ImportError::Aborted(e.to_string()))?;
    match (read, failure) {
        (Ok(accepted), None) => {
            recording.set_sha256(accepted.sha256.clone());
            let outcome = recording.outcome();
            if commit {
                let import_id = recording.import_id().map(str::to_owned);
                let outcome = recording.commit().await.map_err(store_error)?;
                Ok(Report {
                    accepted,
                    outcome,
                    import_id,
                    committed: true,
                    sample,
                })
            } else {
                recording.rollback().await.map_err(store_error)?;
                Ok(Report {
                    accepted,
                    outcome,
                    import_id: None,
                    committed: false,
                    sample,
                })
            }
        }
        (Err(refused), _) => {
            recording.rollback().await.map_err(store_error)?;
            Err(ImportError::Refused(refused))
        }
        (Ok(_), Some(e)) => {
            recording.rollback().await.map_err(store_error)?;
            Err(store_error(e))
        }
    }
}
