//! The agreement file: a TOML document describing one version of one agreement.
//!
//! The format is documented in `docs/agreement-file.md`; `examples/` holds the demo agreement.
//! [`parse`] checks everything — syntax, types, references, targets — and reports every problem
//! with line, column and field in German. [`export`] writes an agreement back; parsing an export
//! gives the same agreement (tested as a round trip).

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use toml::de::DeTable;
use toml::value::Datetime;
use zielwerk_domain::agreement::{FieldPath, PathSeg, Problem};
use zielwerk_domain::{
    Accumulation, Agreement, AgreementStatus, Ags, AreaKind, BaId, Direction, Formula, Goal,
    GoalArea, Indicator, IndicatorCode, Jobcenter, Key, Measure, Origin, Party, PartyRole,
    SeriesBreak, Target, Tolerance, Unit, YearMonth,
};

use crate::location::{LineIndex, line_col, path_at, span_of};

/// The value of the `format` field this version of Zielwerk reads and writes.
pub const FORMAT: &str = "zielwerk-vereinbarung/1";

/// One problem in an agreement file, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProblem {
    pub line: usize,
    pub column: usize,
    /// The field path, e.g. `goals[3].indicator` (1-based indices), empty for the whole file.
    pub field: String,
    /// German message saying what is wrong and what is expected.
    pub message: String,
}

/// All problems of one agreement file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct AgreementFileError {
    pub file: String,
    pub problems: Vec<FileProblem>,
}

impl fmt::Display for AgreementFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        writeln!(
            f,
            "Die Vereinbarungsdatei {} enthält {} Fehler:",
            self.file,
            if n == 1 {
                "einen".to_string()
            } else {
                n.to_string()
            }
        )?;
        // The first problems, in the order of the file; a file with thousands says how many more.
        for p in self.problems.iter().take(crate::long_csv::MAX_LISTED) {
            write!(f, "  {}, Zeile {}, Spalte {}", self.file, p.line, p.column)?;
            if !p.field.is_empty() {
                write!(f, ", Feld „{}“", p.field)?;
            }
            writeln!(f, ": {}", p.message)?;
        }
        if n > crate::long_csv::MAX_LISTED {
            writeln!(
                f,
                "  … und {} weitere Fehler (die ersten {} sind aufgeführt).",
                n - crate::long_csv::MAX_LISTED,
                crate::long_csv::MAX_LISTED
            )?;
        }
        Ok(())
    }
}

// ----- The file's shape (serde DTOs) ---------------------------------------------------------

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDto {
    format: String,
    jobcenter: JobcenterDto,
    agreement: AgreementDto,
    #[serde(default)]
    parties: Vec<PartyDto>,
    #[serde(default)]
    areas: Vec<AreaDto>,
    #[serde(default)]
    indicators: Vec<IndicatorDto>,
    #[serde(default)]
    goals: Vec<GoalDto>,
    #[serde(default)]
    measures: Vec<MeasureDto>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    breaks: Vec<BreakDto>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JobcenterDto {
    ba_id: BaId,
    name: String,
    ags: Ags,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vergleichstyp: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AgreementDto {
    year: i32,
    version: u32,
    status: AgreementStatus,
    title: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PartyDto {
    role: PartyRole,
    name: String,
    signatory: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signed_on: Option<Datetime>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AreaDto {
    key: Key,
    title: String,
    kind: AreaKind,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    description: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum FormulaKind {
    Stored,
    StoredRatio,
    Ratio,
    YearOverYear,
    Rolling12,
    RollingRate,
    Change,
    Product,
}

impl FormulaKind {
    /// The kind as the file writes it, and the fields it needs, for messages.
    fn describe(self) -> (&'static str, &'static str) {
        match self {
            FormulaKind::Stored => ("stored", "keine weiteren Felder"),
            FormulaKind::StoredRatio => ("stored_ratio", "keine (scale nach Wunsch)"),
            FormulaKind::Ratio => ("ratio", "numerator, denominator (scale nach Wunsch)"),
            FormulaKind::YearOverYear => ("year_over_year", "base"),
            FormulaKind::Rolling12 => ("rolling12", "numerator, denominator"),
            FormulaKind::RollingRate => {
                ("rolling_rate", "numerator, denominator (lag nach Wunsch)")
            }
            FormulaKind::Change => ("change", "base, periods (percent nach Wunsch)"),
            FormulaKind::Product => ("product", "quantity, price"),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FormulaDto {
    kind: FormulaKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    numerator: Option<IndicatorCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    denominator: Option<IndicatorCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    base: Option<IndicatorCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scale: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lag: Option<u8>,
    /// For `change`: over how many periods of the series.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    periods: Option<u16>,
    /// For `change`: in percent instead of the difference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    percent: Option<bool>,
    /// For `product`: the count (e.g. BG with recognised KdU).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    quantity: Option<IndicatorCode>,
    /// For `product`: the amount per unit of that count (e.g. KdU per such BG).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    price: Option<IndicatorCode>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IndicatorDto {
    code: IndicatorCode,
    name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    description: String,
    unit: Unit,
    direction: Direction,
    accumulation: Accumulation,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    numerator_label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    denominator_label: Option<String>,
    /// The published statistic across regions that measures the same (`docs/comparisons.md`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    comparison: Option<IndicatorCode>,
    formula: FormulaDto,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum TargetKind {
    Annual,
    Monthly,
    Milestone,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetDto {
    kind: TargetKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    values: Option<BTreeMap<String, f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due: Option<Datetime>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ToleranceKind {
    Absolute,
    Relative,
    Days,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ToleranceDto {
    kind: ToleranceKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    percent: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    days: Option<u32>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct GoalDto {
    key: Key,
    area: Key,
    title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    description: String,
    responsible: PartyRole,
    origin: Origin,
    indicator: IndicatorCode,
    target: TargetDto,
    tolerance: ToleranceDto,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MeasureDto {
    key: Key,
    title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    description: String,
    expected_effect: String,
    responsible: PartyRole,
    start: YearMonth,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    end: Option<YearMonth>,
    #[serde(default)]
    goals: Vec<Key>,
}

/// A known break in an indicator's series: `[[breaks]] indicator, month, reason`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BreakDto {
    indicator: IndicatorCode,
    month: YearMonth,
    reason: String,
}

// ----- Parsing --------------------------------------------------------------------------------

/// Collects conversion problems with their paths while turning DTOs into domain values.
#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn push(&mut self, path: &[PathSeg], message: impl Into<String>) {
        self.0.push(Problem {
            path: FieldPath(path.to_vec()),
            message: message.into(),
        });
    }
}

use PathSeg::{Field as F, Index as I};

fn date_of(dt: &Datetime) -> Option<NaiveDate> {
    match (dt.date, dt.time, dt.offset) {
        (Some(d), None, None) => {
            NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
        }
        _ => None,
    }
}

fn datetime_of(date: NaiveDate) -> Datetime {
    use chrono::Datelike;
    Datetime {
        date: Some(toml::value::Date {
            year: date.year() as u16,
            month: date.month() as u8,
            day: date.day() as u8,
        }),
        time: None,
        offset: None,
    }
}

fn convert_formula(dto: &FormulaDto, at: &[PathSeg], problems: &mut Problems) -> Option<Formula> {
    let (kind, fields) = dto.kind.describe();
    let need = |field: Option<&IndicatorCode>, name: &'static str, problems: &mut Problems| {
        if field.is_none() {
            let mut p = at.to_vec();
            p.push(F(name));
            problems.push(
                &p,
                format!(
                    "Für die Formelart „{kind}“ fehlt das Feld „{name}“ (Code einer Kennzahl); sie braucht: {fields}"
                ),
            );
        }
        field.cloned()
    };
    let forbid = |present: bool, name: &'static str, problems: &mut Problems| {
        if present {
            let mut p = at.to_vec();
            p.push(F(name));
            problems.push(
                &p,
                format!(
                    "Das Feld „{name}“ passt nicht zur Formelart „{kind}“; sie braucht: {fields}"
                ),
            );
        }
    };
    if !matches!(dto.kind, FormulaKind::RollingRate) {
        forbid(dto.lag.is_some(), "lag", problems);
    }
    if !matches!(dto.kind, FormulaKind::Change) {
        forbid(dto.periods.is_some(), "periods", problems);
        forbid(dto.percent.is_some(), "percent", problems);
    }
    if !matches!(dto.kind, FormulaKind::Product) {
        forbid(dto.quantity.is_some(), "quantity", problems);
        forbid(dto.price.is_some(), "price", problems);
    }
    match dto.kind {
        FormulaKind::Stored => {
            forbid(dto.numerator.is_some(), "numerator", problems);
            forbid(dto.denominator.is_some(), "denominator", problems);
            forbid(dto.base.is_some(), "base", problems);
            forbid(dto.scale.is_some(), "scale", problems);
            Some(Formula::Stored)
        }
        FormulaKind::StoredRatio => {
            forbid(dto.numerator.is_some(), "numerator", problems);
            forbid(dto.denominator.is_some(), "denominator", problems);
            forbid(dto.base.is_some(), "base", problems);
            Some(Formula::StoredRatio {
                scale: dto.scale.unwrap_or(1.0),
            })
        }
        FormulaKind::Ratio => {
            forbid(dto.base.is_some(), "base", problems);
            let n = need(dto.numerator.as_ref(), "numerator", problems);
            let d = need(dto.denominator.as_ref(), "denominator", problems);
            Some(Formula::Ratio {
                numerator: n?,
                denominator: d?,
                scale: dto.scale.unwrap_or(1.0),
            })
        }
        FormulaKind::YearOverYear => {
            forbid(dto.numerator.is_some(), "numerator", problems);
            forbid(dto.denominator.is_some(), "denominator", problems);
            forbid(dto.scale.is_some(), "scale", problems);
            Some(Formula::YearOverYear {
                base: need(dto.base.as_ref(), "base", problems)?,
            })
        }
        FormulaKind::Rolling12 => {
            forbid(dto.base.is_some(), "base", problems);
            forbid(dto.scale.is_some(), "scale", problems);
            let n = need(dto.numerator.as_ref(), "numerator", problems);
            let d = need(dto.denominator.as_ref(), "denominator", problems);
            Some(Formula::Rolling12 {
                numerator: n?,
                denominator: d?,
            })
        }
        FormulaKind::RollingRate => {
            forbid(dto.base.is_some(), "base", problems);
            forbid(dto.scale.is_some(), "scale", problems);
            let n = need(dto.numerator.as_ref(), "numerator", problems);
            let d = need(dto.denominator.as_ref(), "denominator", problems);
            Some(Formula::RollingRate {
                numerator: n?,
                denominator: d?,
                lag: dto.lag.unwrap_or(0),
            })
        }
        FormulaKind::Change => {
            forbid(dto.numerator.is_some(), "numerator", problems);
            forbid(dto.denominator.is_some(), "denominator", problems);
            forbid(dto.scale.is_some(), "scale", problems);
            let base = need(dto.base.as_ref(), "base", problems);
            let periods = match dto.periods {
                Some(n) if n >= 1 => Some(n),
                _ => {
                    let mut p = at.to_vec();
                    p.push(F("periods"));
                    problems.push(
                        &p,
                        format!(
                            "Für die Formelart „{kind}“ fehlt das Feld „periods“ (über wie viele Zeiträume, mindestens 1); sie braucht: {fields}"
                        ),
                    );
                    None
                }
            };
            Some(Formula::Change {
                base: base?,
                periods: periods?,
                percent: dto.percent.unwrap_or(false),
            })
        }
        FormulaKind::Product => {
            forbid(dto.numerator.is_some(), "numerator", problems);
            forbid(dto.denominator.is_some(), "denominator", problems);
            forbid(dto.base.is_some(), "base", problems);
            forbid(dto.scale.is_some(), "scale", problems);
            let quantity = need(dto.quantity.as_ref(), "quantity", problems);
            let price = need(dto.price.as_ref(), "price", problems);
            Some(Formula::Product {
                quantity: quantity?,
                price: price?,
            })
        }
    }
}

fn convert_target(dto: &TargetDto, at: &[PathSeg], problems: &mut Problems) -> Option<Target> {
    let field = |name: &'static str| {
        let mut p = at.to_vec();
        p.push(F(name));
        p
    };
    let extra = |present: bool, name: &'static str, problems: &mut Problems| {
        if present {
            problems.push(
                &field(name),
                format!("Das Feld „{name}“ passt nicht zu dieser Zielart"),
            );
        }
    };
    match dto.kind {
        TargetKind::Annual => {
            extra(dto.values.is_some(), "values", problems);
            extra(dto.due.is_some(), "due", problems);
            match dto.value {
                Some(value) => Some(Target::Annual { value }),
                None => {
                    problems.push(
                        &field("value"),
                        "Für ein Jahresziel (kind = \"annual\") fehlt der Zielwert „value“",
                    );
                    None
                }
            }
        }
        TargetKind::Monthly => {
            extra(dto.value.is_some(), "value", problems);
            extra(dto.due.is_some(), "due", problems);
            let Some(raw) = &dto.values else {
                problems.push(
                    &field("values"),
                    "Für einen Zielpfad (kind = \"monthly\") fehlt die Tabelle „values“ mit einem Wert je Monat, z. B. \"2022-01\" = 18000",
                );
                return None;
            };
            let mut values = BTreeMap::new();
            let mut ok = true;
            for (month, value) in raw {
                match month.parse::<YearMonth>() {
                    Ok(m) => {
                        values.insert(m, *value);
                    }
                    Err(e) => {
                        ok = false;
                        problems.push(&field("values"), format!("Ungültiger Monat: {e}"));
                    }
                }
            }
            ok.then_some(Target::Monthly { values })
        }
        TargetKind::Milestone => {
            extra(dto.value.is_some(), "value", problems);
            extra(dto.values.is_some(), "values", problems);
            match dto.due.as_ref().map(|d| (d, date_of(d))) {
                Some((_, Some(due))) => Some(Target::Milestone { due }),
                Some((raw, None)) => {
                    problems.push(
                        &field("due"),
                        format!(
                            "„{raw}“ ist kein reines Datum; erwartet wird z. B. due = 2022-03-31"
                        ),
                    );
                    None
                }
                None => {
                    problems.push(
                        &field("due"),
                        "Für einen Meilenstein (kind = \"milestone\") fehlt das Fälligkeitsdatum „due“, z. B. due = 2022-03-31",
                    );
                    None
                }
            }
        }
    }
}

fn convert_tolerance(
    dto: &ToleranceDto,
    at: &[PathSeg],
    problems: &mut Problems,
) -> Option<Tolerance> {
    let (name, present): (&str, bool) = match dto.kind {
        ToleranceKind::Absolute => ("value", dto.value.is_some()),
        ToleranceKind::Relative => ("percent", dto.percent.is_some()),
        ToleranceKind::Days => ("days", dto.days.is_some()),
    };
    let others = [
        ("value", dto.value.is_some()),
        ("percent", dto.percent.is_some()),
        ("days", dto.days.is_some()),
    ];
    for (other, set) in others {
        if set && other != name {
            let mut p = at.to_vec();
            p.push(F(match other {
                "value" => "value",
                "percent" => "percent",
                _ => "days",
            }));
            problems.push(
                &p,
                format!("Das Feld „{other}“ passt nicht zur Toleranzart; erwartet wird „{name}“"),
            );
        }
    }
    if !present {
        problems.push(at, format!("Für diese Toleranzart fehlt das Feld „{name}“"));
        return None;
    }
    Some(match dto.kind {
        ToleranceKind::Absolute => Tolerance::Absolute { value: dto.value? },
        ToleranceKind::Relative => Tolerance::Relative {
            percent: dto.percent?,
        },
        ToleranceKind::Days => Tolerance::Days { days: dto.days? },
    })
}

fn convert(dto: FileDto, problems: &mut Problems) -> Option<Agreement> {
    if dto.format != FORMAT {
        problems.push(
            &[F("format")],
            format!(
                "Unbekanntes Dateiformat „{}“; diese Version von Zielwerk liest „{FORMAT}“",
                dto.format
            ),
        );
    }
    let mut parties = Vec::new();
    for (i, p) in dto.parties.into_iter().enumerate() {
        let signed_on = match &p.signed_on {
            None => None,
            Some(d) => match date_of(d) {
                Some(d) => Some(d),
                None => {
                    problems.push(
                        &[F("parties"), I(i), F("signed_on")],
                        format!("„{d}“ ist kein reines Datum; erwartet wird z. B. signed_on = 2022-01-10"),
                    );
                    None
                }
            },
        };
        parties.push(Party {
            role: p.role,
            name: p.name,
            signatory: p.signatory,
            signed_on,
        });
    }
    let mut indicators = Vec::new();
    for (i, ind) in dto.indicators.into_iter().enumerate() {
        let formula = convert_formula(
            &ind.formula,
            &[F("indicators"), I(i), F("formula")],
            problems,
        );
        if let Some(formula) = formula {
            indicators.push(Indicator {
                code: ind.code,
                name: ind.name,
                description: ind.description,
                unit: ind.unit,
                direction: ind.direction,
                accumulation: ind.accumulation,
                formula,
                numerator_label: ind.numerator_label,
                denominator_label: ind.denominator_label,
                comparison: ind.comparison,
            });
        }
    }
    let mut goals = Vec::new();
    for (i, g) in dto.goals.into_iter().enumerate() {
        let target = convert_target(&g.target, &[F("goals"), I(i), F("target")], problems);
        let tolerance =
            convert_tolerance(&g.tolerance, &[F("goals"), I(i), F("tolerance")], problems);
        if let (Some(target), Some(tolerance)) = (target, tolerance) {
            goals.push(Goal {
                key: g.key,
                area: g.area,
                title: g.title,
                description: g.description,
                responsible: g.responsible,
                origin: g.origin,
                indicator: g.indicator,
                target,
                tolerance,
            });
        }
    }
    // The law once: a goal (or a formula) may name a key figure of § 48a SGB II, its
    // components or a built-in statistic by code without defining it; the built-in definition
    // is taken, with every input it needs.
    let builtin = zielwerk_domain::keyfigures::catalogue();
    let mut wanted: Vec<IndicatorCode> = goals.iter().map(|g| g.indicator.clone()).collect();
    wanted.extend(dto.breaks.iter().map(|b| b.indicator.clone()));
    wanted.extend(
        indicators
            .iter()
            .flat_map(|i| i.formula.inputs().into_iter().cloned()),
    );
    while let Some(code) = wanted.pop() {
        if indicators.iter().any(|i| i.code == code) {
            continue;
        }
        if let Some(def) = builtin.iter().find(|b| b.code == code) {
            wanted.extend(def.formula.inputs().into_iter().cloned());
            indicators.push(def.clone());
        }
    }
    let agreement = Agreement {
        jobcenter: Jobcenter {
            ba_id: dto.jobcenter.ba_id,
            name: dto.jobcenter.name,
            ags: dto.jobcenter.ags,
            vergleichstyp: dto.jobcenter.vergleichstyp,
        },
        year: dto.agreement.year,
        version: dto.agreement.version,
        status: dto.agreement.status,
        title: dto.agreement.title,
        parties,
        areas: dto
            .areas
            .into_iter()
            .map(|a| GoalArea {
                key: a.key,
                title: a.title,
                kind: a.kind,
                description: a.description,
            })
            .collect(),
        indicators,
        goals,
        measures: dto
            .measures
            .into_iter()
            .map(|m| Measure {
                key: m.key,
                title: m.title,
                description: m.description,
                expected_effect: m.expected_effect,
                responsible: m.responsible,
                start: m.start,
                end: m.end,
                goals: m.goals,
            })
            .collect(),
        breaks: dto
            .breaks
            .into_iter()
            .map(|b| SeriesBreak {
                indicator: b.indicator,
                month: b.month,
                reason: b.reason,
            })
            .collect(),
    };
    // Conversion problems make some goals or indicators incomplete; checking references on a
    // partial agreement would only add noise.
    if problems.0.is_empty() {
        problems.0.extend(agreement.check());
    }
    problems.0.is_empty().then_some(agreement)
}

/// The largest agreement file read (a hundred times a large real one).
pub const MAX_FILE_BYTES: usize = 4_000_000;

/// Parses and checks an agreement file. `file` names it in messages.
pub fn parse(file: &str, source: &str) -> Result<Agreement, AgreementFileError> {
    let fail = |problems: Vec<FileProblem>| AgreementFileError {
        file: file.to_owned(),
        problems,
    };
    if source.len() > MAX_FILE_BYTES {
        return Err(fail(vec![FileProblem {
            line: 1,
            column: 1,
            field: String::new(),
            message: format!(
                "Die Datei ist {} groß; eine Vereinbarungsdatei darf höchstens {} groß sein (die Vereinbarung Mettmann 2022 mit 14 Zielen hat 19 KB)",
                zielwerk_domain::format::bytes(source.len() as u64),
                zielwerk_domain::format::bytes(MAX_FILE_BYTES as u64)
            ),
        }]));
    }
    // Syntax first, with spans for everything.
    let doc = match DeTable::parse(source) {
        Ok(doc) => doc,
        Err(e) => return Err(fail(vec![locate_serde(source, None, &e)])),
    };
    let dto: FileDto = match toml::from_str(source) {
        Ok(dto) => dto,
        Err(e) => return Err(fail(vec![locate_serde(source, Some(doc.get_ref()), &e)])),
    };
    let mut problems = Problems::default();
    match convert(dto, &mut problems) {
        Some(agreement) => Ok(agreement),
        None => {
            let lines = LineIndex::new(source);
            let mut located: Vec<FileProblem> = problems
                .0
                .into_iter()
                .map(|p| {
                    let (line, column) = span_of(doc.get_ref(), &p.path)
                        .map_or((1, 1), |span| lines.line_col(span.start));
                    FileProblem {
                        line,
                        column,
                        field: p.path.to_string(),
                        message: p.message,
                    }
                })
                .collect();
            located.sort_by_key(|p| (p.line, p.column));
            Err(fail(located))
        }
    }
}

fn locate_serde(source: &str, doc: Option<&DeTable<'_>>, e: &toml::de::Error) -> FileProblem {
    let start = e.span().map_or(0, |s| s.start);
    let (line, column) = line_col(source, start);
    let field = doc.map(|d| path_at(d, start)).unwrap_or_default();
    FileProblem {
        line,
        column,
        field,
        message: german_message(e.message(), doc.is_none()),
    }
}

/// Translates the parser's and serde's English messages into German. Messages produced by the
/// domain's own parsers are German already and pass through.
pub(crate) fn german_message(msg: &str, syntax: bool) -> String {
    let msg = msg.trim();
    let ticked =
        |s: &str| -> Vec<String> { s.split('`').skip(1).step_by(2).map(str::to_owned).collect() };
    if syntax {
        // The TOML parser's messages, by what they say; the place (line, column) is reported
        // beside the message.
        const SYNTAX: [(&str, &str); 22] = [
            ("duplicate key", "Ein Schlüssel ist doppelt vergeben"),
            ("duplicate table", "Eine Tabelle ist doppelt vergeben"),
            (
                "key with no value",
                "Hier fehlt nach dem Schlüssel ein „=“ mit einem Wert",
            ),
            ("missing value", "Hier fehlt nach dem „=“ ein Wert"),
            (
                "missing assignment",
                "Hier fehlt ein „=“ zwischen Schlüssel und Wert",
            ),
            (
                "expected `=`",
                "Hier fehlt ein „=“ zwischen Schlüssel und Wert",
            ),
            ("extra `=`", "Hier steht ein „=“ zu viel"),
            ("extra assignment", "Hier steht ein „=“ zu viel"),
            (
                "basic string",
                "Ein Text ist nicht richtig in Anführungszeichen gesetzt (fehlt das schließende „\"“?)",
            ),
            (
                "literal string",
                "Ein Text ist nicht richtig in Hochkommas gesetzt (fehlt das schließende „'“?)",
            ),
            (
                "string values must be quoted",
                "Texte stehen in Anführungszeichen: name = \"…\"",
            ),
            (
                "missing opening quote",
                "Hier fehlt ein öffnendes Anführungszeichen",
            ),
            ("unclosed", "Hier fehlt eine schließende Klammer"),
            (
                "missing comma",
                "Hier fehlt ein Komma zwischen zwei Einträgen",
            ),
            ("extra comma", "Hier steht ein Komma zu viel"),
            (
                "unquoted key",
                "Ein Schlüssel enthält unerlaubte Zeichen (erlaubt: Buchstaben, Ziffern, _ und -)",
            ),
            (
                "table open",
                "Eine Tabellenüberschrift [ … ] ist nicht richtig geschrieben",
            ),
            (
                "unexpected content",
                "Nach einem Wert muss die Zeile enden (oder ein Kommentar mit # folgen)",
            ),
            (
                "unexpected key or value",
                "Hier steht etwas, das weder Schlüssel noch Wert sein kann",
            ),
            (
                "leading zero",
                "Eine Zahl beginnt mit einer überflüssigen 0",
            ),
            ("`_`", "Ein „_“ darf nur zwischen Ziffern stehen"),
            ("invalid", "Ein Wert ist nicht richtig geschrieben"),
        ];
        let lower = msg.to_lowercase();
        return SYNTAX
            .iter()
            .find(|(en, _)| lower.contains(en))
            .map_or_else(
                || "Die Datei ist kein gültiges TOML; prüfen Sie an dieser Stelle Anführungszeichen, Gleichheitszeichen und Klammern".to_owned(),
                |(_, de)| (*de).to_owned(),
            );
    }
    if let Some(rest) = msg.strip_prefix("missing field ") {
        return format!("Pflichtfeld „{}“ fehlt", rest.trim_matches('`'));
    }
    if let Some(rest) = msg.strip_prefix("unknown field ") {
        let names = ticked(rest);
        let (found, allowed) = names
            .split_first()
            .map_or(("?", &[][..]), |(f, a)| (f.as_str(), a));
        return format!(
            "Unbekanntes Feld „{found}“; erlaubt sind: {}",
            quoted(allowed)
        );
    }
    if let Some(rest) = msg.strip_prefix("unknown variant ") {
        let names = ticked(rest);
        let (found, allowed) = names
            .split_first()
            .map_or(("?", &[][..]), |(f, a)| (f.as_str(), a));
        return format!(
            "Unbekannter Wert „{found}“; erlaubt sind: {}",
            quoted(allowed)
        );
    }
    if let Some(rest) = msg
        .strip_prefix("invalid type: ")
        .or_else(|| msg.strip_prefix("invalid value: "))
    {
        let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, "?"));
        return format!(
            "Falscher Typ: gefunden {}, erwartet {}",
            german_kind(found),
            german_kind(expected)
        );
    }
    if let Some(rest) = msg.strip_prefix("duplicate field ") {
        return format!("Das Feld „{}“ steht doppelt", rest.trim_matches('`'));
    }
    if let Some(rest) = msg.strip_prefix("invalid length ") {
        let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, "?"));
        return format!("Falsche Anzahl von Einträgen: {found}, erwartet „{expected}“");
    }
    // Everything else comes from the domain's own parsers, which speak German already.
    msg.to_owned()
}

/// Names of the format's fields or values, each quoted: „key“, „area“, …
fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("„{n}“"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn german_kind(s: &str) -> String {
    let s = s.trim();
    let value = s
        .split_once(' ')
        .map(|(_, v)| v.trim_matches(|c| c == '`' || c == '"'))
        .unwrap_or("");
    let word = s.split(' ').next().unwrap_or(s);
    match word {
        "string" if !value.is_empty() => format!("Text „{value}“"),
        "string" | "a" if s.contains("string") => "Text".into(),
        "integer" if !value.is_empty() => format!("ganze Zahl {value}"),
        "floating" => format!(
            "Kommazahl {}",
            s.rsplit(' ').next().unwrap_or("").trim_matches('`')
        ),
        "boolean" => format!("Wahrheitswert {value}"),
        "sequence" | "a sequence" => "Liste".into(),
        "map" => "Tabelle".into(),
        "f64" | "f32" => "eine Zahl".into(),
        "i32" | "i64" => "eine ganze Zahl".into(),
        "u32" | "u64" | "u16" | "u8" => "eine nicht negative ganze Zahl".into(),
        "struct" => "eine Tabelle".into(),
        "a" if s.contains("sequence") => "eine Liste".into(),
        "a" if s.contains("boolean") => "einen Wahrheitswert (true/false)".into(),
        "a" if s.contains("map") => "eine Tabelle".into(),
        "a" if s.contains("date") => "ein Datum".into(),
        _ if s.contains("sequence") => "eine Liste".into(),
        _ if s.contains("map") || s.contains("table") => "eine Tabelle".into(),
        _ => s.to_owned(),
    }
}

// ----- Export ---------------------------------------------------------------------------------

/// Writes an agreement in the file format. `parse(export(a)) == a` for every valid agreement.
pub fn export(agreement: &Agreement) -> String {
    let dto = FileDto {
        format: FORMAT.to_owned(),
        jobcenter: JobcenterDto {
            ba_id: agreement.jobcenter.ba_id.clone(),
            name: agreement.jobcenter.name.clone(),
            ags: agreement.jobcenter.ags.clone(),
            vergleichstyp: agreement.jobcenter.vergleichstyp.clone(),
        },
        agreement: AgreementDto {
            year: agreement.year,
            version: agreement.version,
            status: agreement.status,
            title: agreement.title.clone(),
        },
        parties: agreement
            .parties
            .iter()
            .map(|p| PartyDto {
                role: p.role,
                name: p.name.clone(),
                signatory: p.signatory.clone(),
                signed_on: p.signed_on.map(datetime_of),
            })
            .collect(),
        areas: agreement
            .areas
            .iter()
            .map(|a| AreaDto {
                key: a.key.clone(),
                title: a.title.clone(),
                kind: a.kind,
                description: a.description.clone(),
            })
            .collect(),
        indicators: agreement
            .indicators
            .iter()
            .map(|i| IndicatorDto {
                code: i.code.clone(),
                name: i.name.clone(),
                description: i.description.clone(),
                unit: i.unit,
                direction: i.direction,
                accumulation: i.accumulation,
                numerator_label: i.numerator_label.clone(),
                denominator_label: i.denominator_label.clone(),
                comparison: i.comparison.clone(),
                formula: formula_dto(&i.formula),
            })
            .collect(),
        goals: agreement
            .goals
            .iter()
            .map(|g| GoalDto {
                key: g.key.clone(),
                area: g.area.clone(),
                title: g.title.clone(),
                description: g.description.clone(),
                responsible: g.responsible,
                origin: g.origin,
                indicator: g.indicator.clone(),
                target: target_dto(&g.target),
                tolerance: tolerance_dto(g.tolerance),
            })
            .collect(),
        measures: agreement
            .measures
            .iter()
            .map(|m| MeasureDto {
                key: m.key.clone(),
                title: m.title.clone(),
                description: m.description.clone(),
                expected_effect: m.expected_effect.clone(),
                responsible: m.responsible,
                start: m.start,
                end: m.end,
                goals: m.goals.clone(),
            })
            .collect(),
        breaks: agreement
            .breaks
            .iter()
            .map(|b| BreakDto {
                indicator: b.indicator.clone(),
                month: b.month,
                reason: b.reason.clone(),
            })
            .collect(),
    };
    let body = toml::to_string_pretty(&dto).expect("agreement DTOs always serialise");
    // A comment holds one line of text without control characters, whatever the names hold.
    let comment = |s: &str| -> String {
        s.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect()
    };
    format!(
        "# Zielwerk-Vereinbarungsdatei, Format {FORMAT} (siehe docs/agreement-file.md)\n# {} — {}, Version {}\n\n{body}",
        comment(&agreement.title),
        comment(&agreement.jobcenter.name),
        agreement.version
    )
}

fn formula_dto(f: &Formula) -> FormulaDto {
    let empty = |kind| FormulaDto {
        kind,
        numerator: None,
        denominator: None,
        base: None,
        scale: None,
        lag: None,
        periods: None,
        percent: None,
        quantity: None,
        price: None,
    };
    match f {
        Formula::Stored => empty(FormulaKind::Stored),
        Formula::StoredRatio { scale } => FormulaDto {
            scale: Some(*scale),
            ..empty(FormulaKind::StoredRatio)
        },
        Formula::Ratio {
            numerator,
            denominator,
            scale,
        } => FormulaDto {
            numerator: Some(numerator.clone()),
            denominator: Some(denominator.clone()),
            scale: Some(*scale),
            ..empty(FormulaKind::Ratio)
        },
        Formula::YearOverYear { base } => FormulaDto {
            base: Some(base.clone()),
            ..empty(FormulaKind::YearOverYear)
        },
        Formula::Rolling12 {
            numerator,
            denominator,
        } => FormulaDto {
            numerator: Some(numerator.clone()),
            denominator: Some(denominator.clone()),
            ..empty(FormulaKind::Rolling12)
        },
        Formula::RollingRate {
            numerator,
            denominator,
            lag,
        } => FormulaDto {
            numerator: Some(numerator.clone()),
            denominator: Some(denominator.clone()),
            lag: Some(*lag),
            ..empty(FormulaKind::RollingRate)
        },
        Formula::Change {
            base,
            periods,
            percent,
        } => FormulaDto {
            base: Some(base.clone()),
            periods: Some(*periods),
            percent: percent.then_some(true),
            ..empty(FormulaKind::Change)
        },
        Formula::Product { quantity, price } => FormulaDto {
            quantity: Some(quantity.clone()),
            price: Some(price.clone()),
            ..empty(FormulaKind::Product)
        },
    }
}

fn target_dto(t: &Target) -> TargetDto {
    let empty = |kind| TargetDto {
        kind,
        value: None,
        values: None,
        due: None,
    };
    match t {
        Target::Annual { value } => TargetDto {
            value: Some(*value),
            ..empty(TargetKind::Annual)
        },
        Target::Monthly { values } => TargetDto {
            values: Some(values.iter().map(|(m, v)| (m.to_string(), *v)).collect()),
            ..empty(TargetKind::Monthly)
        },
        Target::Milestone { due } => TargetDto {
            due: Some(datetime_of(*due)),
            ..empty(TargetKind::Milestone)
        },
    }
}

fn tolerance_dto(t: Tolerance) -> ToleranceDto {
    let empty = |kind| ToleranceDto {
        kind,
        value: None,
        percent: None,
        days: None,
    };
    match t {
        Tolerance::Absolute { value } => ToleranceDto {
            value: Some(value),
            ..empty(ToleranceKind::Absolute)
        },
        Tolerance::Relative { percent } => ToleranceDto {
            percent: Some(percent),
            ..empty(ToleranceKind::Relative)
        },
        Tolerance::Days { days } => ToleranceDto {
            days: Some(days),
            ..empty(ToleranceKind::Days)
        },
    }
}
