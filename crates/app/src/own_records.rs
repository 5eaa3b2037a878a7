//! Key figures from the Jobcenter's own records (issue 23, `docs/records.md`): the record files
//! are read and counted by `zielwerk-records`, and only the components per Jobcenter and month
//! are kept: imported like any file of values, with the status „aus eigenen Daten“ and the
//! records' Datenstand, so that every rule of an import holds (all or nothing, revisions,
//! provenance, the audit trail, an official value never replaced). The records themselves are
//! not kept: the source of the values names each file with its SHA-256.

use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use zielwerk_domain::{Principal, YearMonth};
use zielwerk_importer::Report;
use zielwerk_ingest::long_csv::Refused;
use zielwerk_records::read::{
    Jobcenters, ReadError, read_integrations, read_payments, read_periods, read_spells,
};
use zielwerk_records::{Month, Records, Spells};
use zielwerk_store::Store;

use crate::values::{ImportFile, import, may_import};
use crate::{AppError, Problem};

/// The kinds of record file, by the name a file's name starts with.
pub const KINDS: [&str; 5] = [
    "leistungszeitraeume",
    "integrationen",
    "beschaeftigung",
    "massnahmen",
    "zahlungen",
];

/// Record files to compute the key figures' components from.
pub struct RecordFiles {
    /// Name and content of each file; its kind is told by the start of its name (see
    /// [`KINDS`]). The benefit spells are needed, the rest are optional.
    pub files: Vec<(String, Vec<u8>)>,
    /// The months to compute.
    pub first: YearMonth,
    pub last: YearMonth,
    /// The day the records were exported: their Datenstand, and how far the employment records
    /// reach (for K2E3's six following months).
    pub datenstand: NaiveDate,
    /// How they came ("Web-Upload", "zielwerk eigene-daten"), for the provenance.
    pub via: &'static str,
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::Invalid(vec![Problem::at("dateien", message.into())])
}

fn month(m: YearMonth) -> Result<Month, AppError> {
    Month::new(m.year(), m.month()).ok_or_else(|| invalid(format!("Ungültiger Monat {m}")))
}

/// The components as a file of values in the long CSV format, with the status „aus eigenen
/// Daten“: one line per Jobcenter, month and component (K2E3's numerator only where its six
/// following months are covered).
fn components_as_csv(
    records: &[(String, Vec<u8>)],
    first: Month,
    last: Month,
    datenstand: NaiveDate,
) -> Result<Vec<u8>, AppError> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let kind_of = |name: &str| {
        let stem = name
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or(name)
            .to_lowercase();
        KINDS.iter().copied().find(|k| stem.starts_with(k))
    };
    let mut jobcenters = Jobcenters::default();
    let (mut spells, mut integrations, mut employment, mut measures, mut payments) =
        (None, Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let read = |e: ReadError| invalid(e.to_string());
    for (name, bytes) in records {
        let input = bytes.as_slice();
        match kind_of(name) {
            Some("leistungszeitraeume") => {
                if spells.is_some() {
                    return Err(invalid(format!(
                        "{name}: Leistungszeiträume sind schon in einer anderen Datei gegeben"
                    )));
                }
                spells = Some(read_spells(name, input, &mut jobcenters, threads).map_err(read)?);
            }
            Some("integrationen") => {
                integrations.extend(read_integrations(name, input, threads).map_err(read)?)
            }
            Some("beschaeftigung") => {
                employment.extend(read_periods(name, input, threads).map_err(read)?)
            }
            Some("massnahmen") => {
                measures.extend(read_periods(name, input, threads).map_err(read)?)
            }
            Some(_) => {
                payments.extend(read_payments(name, input, &mut jobcenters, threads).map_err(read)?)
            }
            None => {
                return Err(invalid(format!(
                    "{name}: unbekannte Art von Datei (der Name beginnt mit einem von: {})",
                    KINDS.join(", ")
                )));
            }
        }
    }
    let spells = spells.ok_or_else(|| {
        invalid("Die Leistungszeiträume fehlen (eine Datei leistungszeitraeume.csv)")
    })?;
    let spells = Spells::new(&spells).map_err(|e| invalid(e.to_string()))?;
    let records = Records::new(
        spells,
        &integrations,
        &employment,
        Some(datenstand),
        &measures,
        payments,
    )
    .map_err(|e| invalid(e.to_string()))?;
    let monthly = records.monthly(first, last, threads);
    let mut out = String::from("jobcenter;kennzahl;monat;wert;status;datenstand\n");
    let stand = datenstand.format("%d.%m.%Y").to_string();
    for key in 0..jobcenters.len() {
        let Some(id) = u16::try_from(key).ok().and_then(|k| jobcenters.id(k)) else {
            continue;
        };
        for m in monthly.months() {
            let Some(c) = monthly.get(key as u16, m) else {
                continue;
            };
            for (code, value) in c.by_code() {
                let text = if code.ends_with("_SUMME") {
                    format!("{value:.2}").replace('.', ",")
                } else {
                    format!("{value}")
                };
                out.push_str(&format!(
                    "{id};{code};{:02}.{};{text};aus eigenen Daten;{stand}\n",
                    m.month(),
                    m.year()
                ));
            }
        }
    }
    Ok(out.into_bytes())
}

/// Computes the components of the key figures from `files` and imports them for `p` (or, without
/// `commit`, says what it would do). Only Jobcenter `p` may import for are accepted. A file that
/// cannot be read is refused with its place; nothing is kept.
pub async fn import_records(
    store: &Store,
    p: &Principal,
    files: RecordFiles,
    commit: bool,
) -> Result<Result<Report, Refused>, AppError> {
    may_import(p)?;
    let (first, last) = (month(files.first)?, month(files.last)?);
    if last < first {
        return Err(invalid(format!(
            "Der letzte Monat {} liegt vor dem ersten {}",
            files.last, files.first
        )));
    }
    let about = files
        .files
        .iter()
        .map(|(name, bytes)| format!("{name} (SHA-256 {:x})", Sha256::digest(bytes)))
        .collect::<Vec<_>>()
        .join(", ");
    let names = files
        .files
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let datenstand = files.datenstand;
    let records = files.files;
    let csv =
        crate::compute::blocking(move || components_as_csv(&records, first, last, datenstand))
            .await?;
    import(
        store,
        p,
        ImportFile {
            name: format!("eigene Daten ({names})"),
            input: Box::new(std::io::Cursor::new(csv)),
            mapping: None,
            via: files.via,
            progress: None,
            about: Some(format!(
                "Kennzahlen aus eigenen Daten berechnet, Datenstand {}; die Datensätze selbst sind nicht gespeichert. Berechnet aus: {about}",
                datenstand.format("%d.%m.%Y")
            )),
        },
        commit,
    )
    .await
}
