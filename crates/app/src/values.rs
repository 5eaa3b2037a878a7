//! Values: importing them (preview and commit, all or nothing), as a file or as JSON records,
//! and commenting on one. Every front door (upload page, API, command line) runs these.

use zielwerk_domain::{Action, Principal, ValueComment, YearMonth, meeting::check_text};
use zielwerk_importer::{ImportError, Report, Request};
use zielwerk_ingest::long_csv::Refused;
use zielwerk_store::Store;

use crate::{AppError, Problem, reads};

/// The mappings that ship with Zielwerk (`mappings/`): key, label, text.
pub const MAPPINGS: [(&str, &str, &str); 4] = [
    (
        "regensburg-kennzahlen-sgb2",
        "Eckwerte für Jobcenter, breite Tabelle (kennzahlen_sgb2.csv, Regensburg)",
        include_str!("../../../mappings/regensburg-kennzahlen-sgb2.toml"),
    ),
    (
        "regensburg-eckwerte-long",
        "Eckwerte für Jobcenter, Kategorienliste (eckwerte_long.csv, Regensburg)",
        include_str!("../../../mappings/regensburg-eckwerte-long.toml"),
    ),
    (
        "ba-wohnkosten-haushaltsgroesse",
        "BA-Statistik Wohnkosten nach Haushaltsgröße",
        include_str!("../../../mappings/ba-wohnkosten-haushaltsgroesse.toml"),
    ),
    (
        "inkar-sgb2-kreise",
        "INKAR: SGB-II-Kennzahlen aller Kreise, Länder und des Bundes, jährlich (BBSR)",
        include_str!("../../../mappings/inkar-sgb2-kreise.toml"),
    ),
];

/// A shipped mapping by its key; `""` for none (the long CSV format).
pub fn mapping(key: &str) -> Result<Option<zielwerk_ingest::mapped::Mapping>, AppError> {
    if key.is_empty() {
        return Ok(None);
    }
    let (_, _, text) = MAPPINGS.iter().find(|(k, _, _)| *k == key).ok_or_else(|| {
        AppError::Invalid(vec![Problem::at(
            "zuordnung",
            format!(
                "Unbekannte Zuordnung „{key}“ (erwartet eine von: {})",
                MAPPINGS.map(|(k, _, _)| k).join(", ")
            ),
        )])
    })?;
    zielwerk_ingest::mapped::parse_mapping(key, text)
        .map(Some)
        .map_err(AppError::Internal)
}

/// Importing needs the role for at least one Jobcenter (which ones is decided per value).
pub fn may_import(p: &Principal) -> Result<(), AppError> {
    if p.may_anywhere(Action::ImportValues) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "Dazu fehlt Ihnen die Berechtigung: {}.",
            Action::ImportValues.label_de()
        )))
    }
}

/// Whether `p` may import values of `region`: a Jobcenter's values with the import right for
/// that Jobcenter; published statistics of a Kreis, a Land or the Bund (which every signed-in
/// user reads, and which hold no one's internal figures) with the import right for any
/// Jobcenter.
pub fn may_import_for(p: &Principal, region: &zielwerk_domain::RegionId) -> bool {
    match region.jobcenter() {
        Some(jobcenter) => p.may(&jobcenter, Action::ImportValues),
        None => p.may_anywhere(Action::ImportValues),
    }
}

/// A file of values to import.
pub struct ImportFile {
    pub name: String,
    /// The file's content, read as it is imported.
    pub input: Box<dyn std::io::Read + Send>,
    /// For other shapes than the long CSV format, and for every workbook.
    pub mapping: Option<zielwerk_ingest::mapped::Mapping>,
    /// How it came ("Web-Upload", "API", "zielwerk import"), for its provenance.
    pub via: &'static str,
    /// Told how far the import has come, if anyone watches.
    pub progress: Option<zielwerk_importer::OnProgress>,
    /// More about where the values came from, for their provenance (e.g. the record files a
    /// computation read).
    pub about: Option<String>,
}

/// Imports `file` for `p` (or, without `commit`, says what it would do): only values of
/// Jobcenter `p` may import for are accepted; others are refused like unknown ones. A file
/// refused is `Ok(Err(refused))` with every problem at its row and column; nothing is kept.
pub async fn import(
    store: &Store,
    p: &Principal,
    file: ImportFile,
    commit: bool,
) -> Result<Result<Report, Refused>, AppError> {
    may_import(p)?;
    let who = p.clone();
    let request = Request {
        name: file.name,
        input: file.input,
        mapping: file.mapping,
        recorded_by: p.name.clone(),
        via: file.via,
        commit,
        may_write: Some(Box::new(move |r| may_import_for(&who, r))),
        progress: file.progress,
        by_hand: false,
        about: file.about,
    };
    let when = chrono::Local::now().format("%d.%m.%Y %H:%M").to_string();
    match zielwerk_importer::run(&store.acting_as(&p.audit_name()), request, &when).await {
        Ok(report) => Ok(Ok(report)),
        Err(ImportError::Refused(r)) => Ok(Err(r)),
        Err(ImportError::Store { source, .. }) => Err(source.into()),
        Err(e @ ImportError::Aborted(_)) => Err(AppError::Internal(e.to_string())),
    }
}

/// One value as another system sends it (the columns of the long CSV format, numbers as
/// numbers): see `docs/api.md`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueRecord {
    pub jobcenter: String,
    pub kennzahl: String,
    pub monat: String,
    #[serde(default)]
    pub wert: Option<f64>,
    #[serde(default)]
    pub zaehler: Option<f64>,
    #[serde(default)]
    pub nenner: Option<f64>,
    pub status: String,
    pub datenstand: String,
    #[serde(default)]
    pub aufschluesselung: Option<String>,
}

/// The records as a long CSV file, so that they pass exactly the checks a file passes. Row `i`
/// of the records is line `i + 2` of the file.
pub fn records_as_csv(records: &[ValueRecord]) -> Result<Vec<u8>, AppError> {
    let number = |v: Option<f64>| {
        v.map(|v| {
            if v.is_finite() {
                format!("{v}").replace('.', ",")
            } else {
                v.to_string()
            }
        })
        .unwrap_or_default()
    };
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    let internal = |e: csv::Error| AppError::Internal(format!("Werte als CSV: {e}"));
    w.write_record(zielwerk_ingest::long_csv::COLUMNS)
        .map_err(internal)?;
    for r in records {
        w.write_record([
            r.jobcenter.as_str(),
            r.kennzahl.as_str(),
            r.monat.as_str(),
            &number(r.wert),
            &number(r.zaehler),
            &number(r.nenner),
            r.status.as_str(),
            r.datenstand.as_str(),
            r.aufschluesselung.as_deref().unwrap_or(""),
        ])
        .map_err(internal)?;
    }
    w.into_inner()
        .map_err(|e| AppError::Internal(format!("Werte als CSV: {e}")))
}

/// Comment on the value of a goal's indicator in a month.
#[derive(Debug, Clone)]
pub struct Comment {
    pub agreement: String,
    pub goal: String,
    /// `JJJJ-MM`, in the agreement's year.
    pub month: String,
    pub text: String,
    /// Who wrote it; empty: the account that writes it.
    pub author: String,
}

/// The longest author name.
pub const MAX_AUTHOR: usize = 200;

/// Adds a comment for `p`; returns its id.
pub async fn comment(store: &Store, p: &Principal, cmd: Comment) -> Result<String, AppError> {
    let key = reads::agreement_key(p, &cmd.agreement, Action::Comment)?;
    let a = store
        .agreement(&key)
        .await?
        .ok_or_else(|| AppError::NotFound(reads::agreement_missing(&cmd.agreement)))?;
    let g = cmd
        .goal
        .parse()
        .ok()
        .and_then(|k| a.goal(&k).cloned())
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "Das Ziel „{}“ gibt es in dieser Vereinbarung nicht.",
                cmd.goal
            ))
        })?;
    let mut problems = Vec::new();
    let text = cmd.text.replace("\r\n", "\n");
    if let Err(e) = check_text("Erläuterung zum Wert", &text) {
        problems.push(Problem::at("text", e));
    }
    let author = match cmd.author.trim() {
        "" => p.name.as_str(),
        a => a,
    };
    if author.chars().count() > MAX_AUTHOR {
        problems.push(Problem::at(
            "autor",
            format!("Feld „Verfasst von“: höchstens {MAX_AUTHOR} Zeichen"),
        ));
    }
    let month = match cmd.month.trim().parse::<YearMonth>() {
        Ok(m) if m.year() == a.year => Some(m),
        Ok(m) => {
            problems.push(Problem::at(
                "monat",
                format!(
                    "Feld „Monat“: {} liegt nicht im Vereinbarungsjahr {}",
                    m.german_long(),
                    a.year
                ),
            ));
            None
        }
        Err(e) => {
            problems.push(Problem::at("monat", format!("Feld „Monat“: {e}")));
            None
        }
    };
    let Some(month) = month.filter(|_| problems.is_empty()) else {
        return Err(AppError::Invalid(problems));
    };
    Ok(store
        .acting_as(&p.audit_name())
        .add_comment(
            &a.jobcenter.ba_id,
            &ValueComment {
                indicator: g.indicator.clone(),
                month,
                text,
                author: author.to_owned(),
            },
        )
        .await?)
}

/// A value entered by hand on a goal's page (a provider's count that comes on paper): the fields
/// as typed, in German notation.
#[derive(Debug, Clone, Default)]
pub struct HandValue {
    pub agreement: String,
    pub goal: String,
    /// The stored indicator the value is for: the goal's own or one it is computed from.
    pub indicator: String,
    /// `JJJJ-MM`, in the agreement's year.
    pub month: String,
    pub value: String,
    pub numerator: String,
    pub denominator: String,
    /// "endgültig" or "vorläufig".
    pub status: String,
    /// `TT.MM.JJJJ`.
    pub datenstand: String,
}

/// The indicators a value may be entered for on the page of goal `goal`: the stored ones its
/// indicator is computed from (itself, when it is stored). None for the federal key figures
/// (§ 48a): they come from the BA's statistics, not on paper.
pub fn hand_indicators<'a>(
    a: &'a zielwerk_domain::Agreement,
    goal: &zielwerk_domain::Goal,
) -> Vec<&'a zielwerk_domain::Indicator> {
    let federal = a
        .areas
        .iter()
        .any(|x| x.key == goal.area && x.kind == zielwerk_domain::AreaKind::Federal);
    if federal {
        return Vec::new();
    }
    a.stored_inputs(&goal.indicator)
        .into_iter()
        .filter_map(|c| a.indicator(c))
        .collect()
}

/// Whether `p` may enter values by hand on the page of goal `goal`: who may import values of the
/// Jobcenter, for a goal with a stored indicator to enter.
pub fn may_enter_by_hand(
    p: &Principal,
    a: &zielwerk_domain::Agreement,
    goal: &zielwerk_domain::Goal,
) -> bool {
    p.may(&a.jobcenter.ba_id, Action::ImportValues) && !hand_indicators(a, goal).is_empty()
}

/// The form's field of each column of the long format, for messages.
fn hand_field(column: &str) -> (&'static str, &'static str) {
    match column {
        "monat" => ("monat", "Monat"),
        "wert" => ("wert", "Wert"),
        "zaehler" => ("zaehler", "Zähler"),
        "nenner" => ("nenner", "Nenner"),
        "status" => ("status", "Status"),
        "datenstand" => ("datenstand", "Datenstand"),
        "kennzahl" => ("kennzahl", "Kennzahl"),
        _ => ("", ""),
    }
}

/// Enters one value by hand for `p`: it passes exactly the checks and revision rules of a file
/// (it is imported as a one-row file of the long format) and is recorded with the source "von
/// Hand erfasst von …". Problems name the form's fields.
pub async fn enter_by_hand(store: &Store, p: &Principal, v: HandValue) -> Result<Report, AppError> {
    let key = reads::agreement_key(p, &v.agreement, Action::ImportValues)?;
    let a = store
        .agreement(&key)
        .await?
        .ok_or_else(|| AppError::NotFound(reads::agreement_missing(&v.agreement)))?;
    let g = crate::agreements::find_goal(&a, &v.goal)?;
    let allowed = hand_indicators(&a, g);
    let Some(ind) = allowed
        .iter()
        .find(|i| i.code.as_str() == v.indicator.trim())
    else {
        return Err(AppError::Invalid(vec![Problem::at(
            "kennzahl",
            format!(
                "Feld „Kennzahl“: für dieses Ziel lassen sich Werte für {} erfassen",
                allowed
                    .iter()
                    .map(|i| format!("„{}“ ({})", i.name, i.code))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )]));
    };
    let mut problems = Vec::new();
    match v.month.trim().parse::<YearMonth>() {
        Ok(m) if m.year() != a.year => problems.push(Problem::at(
            "monat",
            format!(
                "Feld „Monat“: {} liegt nicht im Vereinbarungsjahr {}",
                m.german_long(),
                a.year
            ),
        )),
        Ok(_) => {}
        Err(e) => problems.push(Problem::at("monat", format!("Feld „Monat“: {e}"))),
    }
    let ratio = matches!(ind.formula, zielwerk_domain::Formula::StoredRatio { .. });
    let (value, numerator, denominator) = if ratio {
        for (field, label, raw) in [
            ("zaehler", "Zähler", &v.numerator),
            ("nenner", "Nenner", &v.denominator),
        ] {
            if raw.trim().is_empty() {
                problems.push(Problem::at(
                    field,
                    format!(
                        "Feld „{label}“: „{}“ wird aus Zähler und Nenner berechnet; beide sind nötig",
                        ind.name
                    ),
                ));
            }
        }
        ("", v.numerator.trim(), v.denominator.trim())
    } else {
        if v.value.trim().is_empty() {
            problems.push(Problem::at("wert", "Feld „Wert“: Der Wert ist leer"));
        }
        (v.value.trim(), "", "")
    };
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    let internal = |e: csv::Error| AppError::Internal(format!("Wert als CSV: {e}"));
    w.write_record(zielwerk_ingest::long_csv::COLUMNS)
        .map_err(internal)?;
    w.write_record([
        a.jobcenter.ba_id.as_str(),
        ind.code.as_str(),
        v.month.trim(),
        value,
        numerator,
        denominator,
        v.status.trim(),
        v.datenstand.trim(),
        "",
    ])
    .map_err(internal)?;
    let csv = w
        .into_inner()
        .map_err(|e| AppError::Internal(format!("Wert als CSV: {e}")))?;
    let who = p.clone();
    let request = Request {
        name: "Eingabe auf der Zielseite".into(),
        input: Box::new(std::io::Cursor::new(csv)),
        mapping: None,
        recorded_by: p.name.clone(),
        via: "Zielseite",
        commit: true,
        may_write: Some(Box::new(move |r| may_import_for(&who, r))),
        progress: None,
        by_hand: true,
        about: None,
    };
    let when = chrono::Local::now().format("%d.%m.%Y %H:%M").to_string();
    match zielwerk_importer::run(&store.acting_as(&p.audit_name()), request, &when).await {
        Ok(report) => Ok(report),
        Err(ImportError::Refused(r)) => Err(AppError::Invalid(
            r.errors
                .iter()
                .map(|e| {
                    let (field, label) = hand_field(&e.column);
                    if label.is_empty() {
                        Problem::at("", e.message.clone())
                    } else {
                        Problem::at(field, format!("Feld „{label}“: {}", e.message))
                    }
                })
                .collect(),
        )),
        Err(ImportError::Store { source, .. }) => Err(source.into()),
        Err(e @ ImportError::Aborted(_)) => Err(AppError::Internal(e.to_string())),
    }
}
