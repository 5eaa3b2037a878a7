//! Key figures from the Jobcenter's own records (issue 23, `docs/records.md`): the record files
//! are read and counted by `zielwerk-records`, the case lists of the Kreis (BuT applications,
//! § 16a referrals) by `engine::municipal`, and only the figures per Jobcenter and month are
//! kept: imported like any file of values, with the status „aus eigenen Daten“ and the records'
//! Datenstand, so that every rule of an import holds (all or nothing, revisions, provenance, the
//! audit trail, an official value never replaced). The records themselves are not kept: the
//! source of the values names each file with its SHA-256.
//!
//! Two steps, so that a preview never has to keep records: [`compute`] reads the files and
//! gives [`OwnFigures`] (aggregates only), [`import_figures`] imports them, as a preview or for
//! good. [`import_records`] does both.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zielwerk_domain::{Formula, IndicatorCode, Principal, YearMonth};
use zielwerk_engine::municipal::{self, Amount, ButApplication, CaseFigures, Referral};
use zielwerk_importer::Report;
use zielwerk_ingest::long_csv::Refused;
use zielwerk_records::read::{
    Jobcenters, ReadError, read_but_applications, read_entitled, read_integrations, read_payments,
    read_periods, read_referrals, read_spells,
};
use zielwerk_records::{Month, Records, Spells};
use zielwerk_store::Store;

use crate::values::{ImportFile, import, may_import};
use crate::{AppError, Problem};

/// The kinds of file, by the name a file's name starts with: the Jobcenter's records, then the
/// Kreis's case lists.
pub const KINDS: [&str; 8] = [
    "leistungszeitraeume",
    "integrationen",
    "beschaeftigung",
    "massnahmen",
    "zahlungen",
    "but_antraege",
    "but_berechtigte",
    "suchtberatung",
];

/// Record files and case lists to compute figures from.
pub struct RecordFiles {
    /// Name and content of each file; its kind is told by the start of its name (see
    /// [`KINDS`]). Benefit spells are needed when any other record of the Jobcenter is given;
    /// case lists stand on their own.
    pub files: Vec<(String, Vec<u8>)>,
    /// The months to compute.
    pub first: YearMonth,
    pub last: YearMonth,
    /// The day the records were exported: their Datenstand, and how far the employment records
    /// and the case lists reach.
    pub datenstand: NaiveDate,
    /// The Jobcenter of a case list without a column `jobcenter`.
    pub jobcenter: Option<String>,
    /// How they came ("Web-Upload", "zielwerk records", "API"), for the provenance.
    pub via: &'static str,
    /// Where the installation keeps the records for recomputation, if it is set to
    /// ([`Kept`]); `None`, the default, keeps none.
    pub keep: Option<Kept>,
}

/// The setting to keep the records for recomputation (`--eigene-daten-aufbewahren DIR`): a
/// directory apart from the database, a folder per import (`JJJJ-MM-TT-<Import-Kennung>`) with
/// the files as they came, folders and files readable by the server's user only. Nothing that
/// leaves Zielwerk (exports, reports, the API, `zielwerk backup`) reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub dir: std::path::PathBuf,
}

/// Staged records older than this are removed (a preview that was never confirmed).
const STAGED_FOR: std::time::Duration = std::time::Duration::from_secs(60 * 60);

impl Kept {
    fn failed(&self, e: std::io::Error) -> AppError {
        AppError::Internal(format!(
            "Die Datensätze ließen sich nicht im Verzeichnis {} aufbewahren: {e}",
            self.dir.display()
        ))
    }

    fn staging(&self) -> std::path::PathBuf {
        self.dir.join(".vorschau")
    }

    /// Writes `files` into a folder of their own under the staging area, named by the SHA-256
    /// of `key` (never the key itself); staged folders older than an hour go first.
    pub fn stage(&self, key: &str, files: &[(String, Vec<u8>)]) -> Result<(), AppError> {
        let staging = self.staging();
        private_dir(&self.dir).map_err(|e| self.failed(e))?;
        private_dir(&staging).map_err(|e| self.failed(e))?;
        if let Ok(entries) = std::fs::read_dir(&staging) {
            for entry in entries.flatten() {
                let old = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age > STAGED_FOR);
                if old {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
        let folder = staging.join(format!("{:x}", Sha256::digest(key.as_bytes())));
        let _ = std::fs::remove_dir_all(&folder);
        private_dir(&folder).map_err(|e| self.failed(e))?;
        for (name, bytes) in files {
            write_private(&folder.join(safe_name(name)), bytes).map_err(|e| self.failed(e))?;
        }
        Ok(())
    }

    /// After the import: the staged folder of `key` becomes the import's folder (where the
    /// import stored something) or is removed (where it stored nothing, or was refused).
    pub fn settle(
        &self,
        key: &str,
        import_id: Option<&str>,
    ) -> Result<Option<std::path::PathBuf>, AppError> {
        let folder = self
            .staging()
            .join(format!("{:x}", Sha256::digest(key.as_bytes())));
        match import_id {
            Some(id) => {
                let target = self.dir.join(format!(
                    "{}-{}",
                    chrono::Local::now().date_naive(),
                    safe_name(id)
                ));
                std::fs::rename(&folder, &target).map_err(|e| self.failed(e))?;
                Ok(Some(target))
            }
            None => {
                let _ = std::fs::remove_dir_all(&folder);
                Ok(None)
            }
        }
    }
}

/// A file's name without any folder, never hidden or empty.
fn safe_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last
        .chars()
        .map(|c| if c.is_control() { '_' } else { c })
        .collect();
    if clean.is_empty() || clean.starts_with('.') {
        format!("datei{clean}")
    } else {
        clean
    }
}

fn private_dir(path: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// One figure of one Jobcenter and month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OwnFigure {
    pub jobcenter: String,
    pub code: String,
    pub month: YearMonth,
    pub value: Option<f64>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
}

/// A figure that has no value yet, for every Jobcenter of the files alike.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NotYet {
    pub month: YearMonth,
    pub code: String,
    pub reason: String,
}

/// What the files gave: figures only, no record. Small enough to wait for a confirmation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OwnFigures {
    /// "eigene Daten (leistungszeitraeume.csv, …)".
    pub name: String,
    /// Each file's name and SHA-256 (hex).
    pub files: Vec<(String, String)>,
    /// The provenance: how they were computed, from which files (by SHA-256).
    pub about: String,
    pub datenstand: NaiveDate,
    pub figures: Vec<OwnFigure>,
    pub not_yet: Vec<NotYet>,
    /// Whether the records are kept for recomputation ([`Kept`]).
    pub kept: bool,
}

impl OwnFigures {
    /// What has no value yet, with the months of one code and one reason run together:
    /// ("Juli 2022 bis Dezember 2022", code, reason), in the order of code and first month.
    pub fn not_yet_by_span(&self) -> Vec<(String, String, String)> {
        let mut sorted: Vec<&NotYet> = self.not_yet.iter().collect();
        sorted.sort_by(|a, b| (&a.code, &a.reason, a.month).cmp(&(&b.code, &b.reason, b.month)));
        let mut spans: Vec<(YearMonth, YearMonth, &NotYet)> = Vec::new();
        for n in sorted {
            match spans.last_mut() {
                Some((_, last, first))
                    if first.code == n.code
                        && first.reason == n.reason
                        && last.next() == Some(n.month) =>
                {
                    *last = n.month
                }
                _ => spans.push((n.month, n.month, n)),
            }
        }
        spans.sort_by(|a, b| (&a.2.code, a.0).cmp(&(&b.2.code, b.0)));
        spans
            .into_iter()
            .map(|(from, to, n)| (from.german_span(to), n.code.clone(), n.reason.clone()))
            .collect()
    }
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::Invalid(vec![Problem::at("dateien", message.into())])
}

fn month(m: YearMonth) -> Result<Month, AppError> {
    Month::new(m.year(), m.month()).ok_or_else(|| invalid(format!("Ungültiger Monat {m}")))
}

fn kind_of(name: &str) -> Option<&'static str> {
    let stem = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(name)
        .to_lowercase();
    KINDS.iter().copied().find(|k| stem.starts_with(k))
}

/// The files read, by kind.
#[derive(Default)]
struct Read {
    jobcenters: Jobcenters,
    spells: Option<Vec<zielwerk_records::Spell>>,
    integrations: Vec<zielwerk_records::Integration>,
    employment: Vec<zielwerk_records::Period>,
    measures: Vec<zielwerk_records::Period>,
    payments: Vec<zielwerk_records::Payment>,
    /// Whether any record besides the spells was given.
    more_records: bool,
    but: Option<Vec<zielwerk_records::read::ButRecord>>,
    entitled: Vec<zielwerk_records::read::EntitledRecord>,
    referrals: Option<Vec<zielwerk_records::read::ReferralRecord>>,
}

fn read_files(files: &[(String, Vec<u8>)], default: Option<&str>) -> Result<Read, AppError> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let mut r = Read::default();
    let read = |e: ReadError| invalid(e.to_string());
    let twice = |name: &str, what: &str| {
        invalid(format!(
            "{name}: {what} sind schon in einer anderen Datei gegeben"
        ))
    };
    for (name, bytes) in files {
        let converted;
        let input = if zielwerk_records::read::is_parquet(name) {
            converted =
                zielwerk_records::read::parquet_as_csv(name, bytes.clone()).map_err(read)?;
            converted.as_slice()
        } else {
            bytes.as_slice()
        };
        let j = &mut r.jobcenters;
        match kind_of(name) {
            Some("leistungszeitraeume") => {
                if r.spells.is_some() {
                    return Err(twice(name, "Leistungszeiträume"));
                }
                r.spells = Some(read_spells(name, input, j, threads).map_err(read)?);
            }
            Some("integrationen") => {
                r.more_records = true;
                r.integrations
                    .extend(read_integrations(name, input, threads).map_err(read)?)
            }
            Some("beschaeftigung") => {
                r.more_records = true;
                r.employment
                    .extend(read_periods(name, input, threads).map_err(read)?)
            }
            Some("massnahmen") => {
                r.more_records = true;
                r.measures
                    .extend(read_periods(name, input, threads).map_err(read)?)
            }
            Some("zahlungen") => {
                r.more_records = true;
                r.payments
                    .extend(read_payments(name, input, j, threads).map_err(read)?)
            }
            Some("but_antraege") => {
                if r.but.is_some() {
                    return Err(twice(name, "BuT-Anträge"));
                }
                r.but =
                    Some(read_but_applications(name, input, j, default, threads).map_err(read)?);
            }
            Some("but_berechtigte") => r
                .entitled
                .extend(read_entitled(name, input, j, default, threads).map_err(read)?),
            Some(_) => {
                if r.referrals.is_some() {
                    return Err(twice(name, "Zuweisungen in die Suchtberatung"));
                }
                r.referrals = Some(read_referrals(name, input, j, default, threads).map_err(read)?);
            }
            None => {
                return Err(invalid(format!(
                    "{name}: unbekannte Art von Datei (der Name beginnt mit einem von: {})",
                    KINDS.join(", ")
                )));
            }
        }
    }
    if r.spells.is_none() && r.more_records {
        return Err(invalid(
            "Die Leistungszeiträume fehlen (eine Datei leistungszeitraeume.csv): ohne sie lassen sich Integrationen, Beschäftigung, Maßnahmen und Zahlungen keinem Bestand zuordnen",
        ));
    }
    if !r.entitled.is_empty() && r.but.is_none() {
        return Err(invalid(
            "Die leistungsberechtigten Kinder (but_berechtigte) sind ohne die Liste der BuT-Anträge (but_antraege) gegeben",
        ));
    }
    if r.spells.is_none() && r.but.is_none() && r.referrals.is_none() {
        return Err(invalid("Keine Datei gegeben"));
    }
    Ok(r)
}

/// The figures of the case lists of each Jobcenter.
fn case_figures(
    r: &Read,
    first: YearMonth,
    last: YearMonth,
    stand: NaiveDate,
    out: &mut Vec<OwnFigure>,
    not_yet: &mut BTreeSet<NotYet>,
) {
    let mut add = |jobcenter: u16, f: CaseFigures| {
        let id = r.jobcenters.id(jobcenter).unwrap_or_default();
        for x in f.figures {
            let (value, numerator, denominator) = match x.amount {
                Amount::Value(v) => (Some(v), None, None),
                Amount::Share {
                    numerator,
                    denominator,
                } => (None, Some(numerator), Some(denominator)),
            };
            out.push(OwnFigure {
                jobcenter: id.to_owned(),
                code: x.code.to_owned(),
                month: x.month,
                value,
                numerator,
                denominator,
            });
        }
        not_yet.extend(f.pending.into_iter().map(|p| NotYet {
            month: p.month,
            code: p.code.to_owned(),
            reason: p.reason,
        }));
    };
    if let Some(but) = &r.but {
        let mut by: BTreeMap<u16, Vec<ButApplication>> = BTreeMap::new();
        for a in but {
            by.entry(a.jobcenter).or_default().push(ButApplication {
                child: a.child.to_string(),
                applied: a.applied,
                decided: a.decided,
                granted: a.granted,
            });
        }
        for (jobcenter, list) in by {
            let entitled: BTreeMap<YearMonth, u32> = r
                .entitled
                .iter()
                .filter(|e| e.jobcenter == jobcenter)
                .filter_map(|e| {
                    let m = YearMonth::new(e.month.year(), e.month.month()).ok()?;
                    Some((m, e.children))
                })
                .collect();
            add(
                jobcenter,
                municipal::but_figures(&list, &entitled, first, last, stand),
            );
        }
    }
    if let Some(referrals) = &r.referrals {
        let mut by: BTreeMap<u16, Vec<Referral>> = BTreeMap::new();
        for x in referrals {
            by.entry(x.jobcenter).or_default().push(Referral {
                person: x.person.to_string(),
                referred: x.referred,
                started: x.started,
                completed: x.completed,
            });
        }
        for (jobcenter, list) in by {
            add(
                jobcenter,
                municipal::counselling_figures(&list, first, last, stand),
            );
        }
    }
}

fn compute_blocking(files: RecordFiles) -> Result<OwnFigures, AppError> {
    let (first, last) = (month(files.first)?, month(files.last)?);
    if last < first {
        return Err(invalid(format!(
            "Der letzte Monat {} liegt vor dem ersten {}",
            files.last, files.first
        )));
    }
    let datenstand = files.datenstand;
    let mut r = read_files(&files.files, files.jobcenter.as_deref())?;
    let mut figures = Vec::new();
    let mut not_yet = BTreeSet::new();
    if let Some(spells) = r.spells.take() {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let spells = Spells::new(&spells).map_err(|e| invalid(e.to_string()))?;
        let records = Records::new(
            spells,
            &r.integrations,
            &r.employment,
            Some(datenstand),
            &r.measures,
            std::mem::take(&mut r.payments),
        )
        .map_err(|e| invalid(e.to_string()))?;
        let monthly = records.monthly(first, last, threads);
        for key in 0..r.jobcenters.len() {
            let Some(id) = u16::try_from(key).ok().and_then(|k| r.jobcenters.id(k)) else {
                continue;
            };
            for m in monthly.months() {
                let Some(c) = monthly.get(key as u16, m) else {
                    continue;
                };
                let ym = YearMonth::new(m.year(), m.month())
                    .map_err(|e| AppError::Internal(e.to_string()))?;
                for (code, value) in c.by_code() {
                    figures.push(OwnFigure {
                        jobcenter: id.to_owned(),
                        code: code.to_owned(),
                        month: ym,
                        value: Some(value),
                        numerator: None,
                        denominator: None,
                    });
                }
                if let Some(reason) = c.integrationen_svb_kontinuierlich.reason() {
                    not_yet.insert(NotYet {
                        month: ym,
                        code: "INTEGRATIONEN_SVB_KONTINUIERLICH".to_owned(),
                        reason,
                    });
                }
            }
        }
    }
    case_figures(
        &r,
        files.first,
        files.last,
        datenstand,
        &mut figures,
        &mut not_yet,
    );
    let hashes: Vec<(String, String)> = files
        .files
        .iter()
        .map(|(name, bytes)| (name.clone(), format!("{:x}", Sha256::digest(bytes))))
        .collect();
    let about = hashes
        .iter()
        .map(|(name, sha)| format!("{name} (SHA-256 {sha})"))
        .collect::<Vec<_>>()
        .join(", ");
    let names = files
        .files
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    Ok(OwnFigures {
        name: format!("eigene Daten ({names})"),
        files: hashes,
        about: format!(
            "Kennzahlen aus eigenen Daten berechnet ({}), Datenstand {}; {}. Berechnet aus: {about}",
            files.via,
            datenstand.format("%d.%m.%Y"),
            if files.keep.is_some() {
                "die Datensätze sind zur Neuberechnung aufbewahrt, getrennt von der Datenbank und von jeder Ausgabe (Einstellung „eigene Daten aufbewahren“)"
            } else {
                "die Datensätze selbst sind nicht gespeichert"
            }
        ),
        datenstand,
        figures,
        not_yet: not_yet.into_iter().collect(),
        kept: files.keep.is_some(),
    })
}

/// The Jobcenter of the agreements `p` may import values for, with their names: those a case
/// list without a column `jobcenter` can belong to.
pub async fn jobcenters(
    store: &Store,
    p: &Principal,
) -> Result<Vec<(zielwerk_domain::BaId, String)>, AppError> {
    let mut out: Vec<(zielwerk_domain::BaId, String)> = Vec::new();
    for a in store.agreements().await? {
        if p.may(&a.jobcenter, zielwerk_domain::Action::ImportValues)
            && !out.iter().any(|(id, _)| *id == a.jobcenter)
        {
            out.push((a.jobcenter, a.jobcenter_name));
        }
    }
    out.sort_by_key(|(_, name)| name.to_lowercase());
    Ok(out)
}

/// Reads and counts `files` (on the blocking pool). A file that cannot be read is refused with
/// its place. Nothing is stored.
pub async fn compute(p: &Principal, files: RecordFiles) -> Result<OwnFigures, AppError> {
    may_import(p)?;
    crate::compute::blocking(move || compute_blocking(files)).await
}

/// What an import of own figures gave: the import's report (or why the values were refused),
/// and the figures no agreement defines, which were left out (code and how many values).
#[derive(Debug)]
pub struct OwnReport {
    pub result: Result<Report, Refused>,
    pub undefined: Vec<(String, usize)>,
}

/// Imports `figures` for `p` (or, without `commit`, says what it would do). Only Jobcenter `p`
/// may import for are accepted. Figures of a case list whose code no agreement defines are
/// left out and named; a share goes in as numerator and denominator where its indicator stores
/// them, else as its percentage.
pub async fn import_figures(
    store: &Store,
    p: &Principal,
    figures: &OwnFigures,
    via: &'static str,
    commit: bool,
) -> Result<OwnReport, AppError> {
    may_import(p)?;
    let catalog = zielwerk_importer::catalog(store).await?;
    let mut out = String::from("jobcenter;kennzahl;monat;wert;zaehler;nenner;status;datenstand\n");
    let stand = figures.datenstand.format("%d.%m.%Y").to_string();
    let mut undefined: BTreeMap<String, usize> = BTreeMap::new();
    let number = |v: f64| {
        if v.fract() == 0.0 {
            format!("{v}")
        } else {
            format!("{v:.4}").replace('.', ",")
        }
    };
    for f in &figures.figures {
        let indicator = f
            .code
            .parse::<IndicatorCode>()
            .ok()
            .and_then(|c| catalog.indicators.get(&c));
        let Some(indicator) = indicator else {
            *undefined.entry(f.code.clone()).or_default() += 1;
            continue;
        };
        let (value, numerator, denominator) = match (f.value, f.numerator, f.denominator) {
            (Some(v), _, _) if f.code.ends_with("_SUMME") => (
                format!("{v:.2}").replace('.', ","),
                String::new(),
                String::new(),
            ),
            (Some(v), _, _) => (number(v), String::new(), String::new()),
            (None, Some(a), Some(b)) => match indicator.formula {
                Formula::StoredRatio { .. } => (String::new(), number(a), number(b)),
                _ if b > 0.0 => (number(a / b * 100.0), String::new(), String::new()),
                _ => continue,
            },
            _ => continue,
        };
        out.push_str(&format!(
            "{};{};{:02}.{};{value};{numerator};{denominator};aus eigenen Daten;{stand}\n",
            f.jobcenter,
            f.code,
            f.month.month(),
            f.month.year()
        ));
    }
    let result = import(
        store,
        p,
        ImportFile {
            name: figures.name.clone(),
            input: Box::new(std::io::Cursor::new(out.into_bytes())),
            mapping: None,
            via,
            progress: None,
            about: Some(figures.about.clone()),
        },
        commit,
    )
    .await?;
    Ok(OwnReport {
        result,
        undefined: undefined.into_iter().collect(),
    })
}

/// Computes the figures of `files` and imports them for `p` (or, without `commit`, says what it
/// would do): [`compute`], then [`import_figures`].
pub async fn import_records(
    store: &Store,
    p: &Principal,
    files: RecordFiles,
    commit: bool,
) -> Result<(OwnFigures, OwnReport), AppError> {
    let via = files.via;
    let keep = files.keep.clone().filter(|_| commit);
    let key = crate::accounts::random_token();
    if let Some(k) = &keep {
        k.stage(&key, &files.files)?;
    }
    let figures = compute(p, files).await;
    let report = match figures {
        Ok(f) => import_figures(store, p, &f, via, commit)
            .await
            .map(|r| (f, r)),
        Err(e) => Err(e),
    };
    if let Some(k) = &keep {
        let stored = report
            .as_ref()
            .ok()
            .and_then(|(_, r)| r.result.as_ref().ok())
            .and_then(|r| r.import_id.as_deref());
        k.settle(&key, stored)?;
    }
    report
}
