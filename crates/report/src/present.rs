//! Presentation shared by pages and documents: values, targets and forecasts as German text, and
//! the charts of a goal, built from engine results.

use std::collections::{BTreeMap, BTreeSet};

use zielwerk_charts::{
    LineChart, MilestoneChart, Series as ChartSeries, Sparkline, Step, Waterfall,
};
use zielwerk_domain::CurrentValue;
use zielwerk_domain::format::{counted, number};
use zielwerk_domain::{
    Accumulation, Agreement, Direction, Formula, Goal, Indicator, IndicatorCode, SourceKind,
    Target, Tolerance, Unit, ValueComment, ValueStatus, YearMonth,
};
use zielwerk_engine::{ChangeExplanation, GoalState, Status};

/// A goal's indicator as the statistics publish it across regions (`docs/comparisons.md`), as
/// documents print it: one sentence with the places, the group named, the source line.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ComparisonText {
    pub sentence: String,
    pub group: String,
    pub attribution: String,
}

/// The comparisons of an agreement by the goal indicator they belong to.
pub type Comparisons = BTreeMap<IndicatorCode, ComparisonText>;

/// A value with its unit, German format.
pub fn value_text(indicator: &Indicator, v: f64) -> String {
    match indicator.unit {
        Unit::Percent => format!("{}\u{a0}%", number(v, 1)),
        Unit::Euro if v.abs() >= 100_000.0 => format!("{}\u{a0}EUR", number(v, 0)),
        Unit::Euro => format!("{}\u{a0}EUR", number(v, 2)),
        Unit::Days => format!("{}\u{a0}Tage", number(v, 1)),
        Unit::Count => number(v, 0),
        Unit::Milestone => if v >= 1.0 { "erreicht" } else { "offen" }.into(),
    }
}

pub fn date_de(d: chrono::NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

/// A stored RFC 3339 time in the server's local time, formatted with `format` (e.g.
/// `%d.%m.%Y um %H:%M Uhr`); the stored text if it is not a time.
pub fn time_de(rfc3339: &str, format: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.with_timezone(&chrono::Local).format(format).to_string())
        .unwrap_or_else(|_| rfc3339.to_owned())
}

pub fn target_text(goal: &Goal, indicator: &Indicator) -> String {
    let flow = indicator.accumulation == Accumulation::Flow;
    match &goal.target {
        Target::Annual { value } if flow => {
            format!("{} im Jahr", value_text(indicator, *value))
        }
        Target::Annual { value } => format!("{} im Dezember", value_text(indicator, *value)),
        Target::Monthly { values } => match values.iter().next_back() {
            Some((m, v)) => format!(
                "Zielpfad bis {} ({})",
                value_text(indicator, *v),
                m.german_long()
            ),
            None => "Zielpfad".into(),
        },
        Target::Milestone { due } => format!("bis {}", date_de(*due)),
    }
}

pub fn tolerance_text(goal: &Goal, indicator: &Indicator) -> String {
    match goal.tolerance {
        Tolerance::Absolute { value } if indicator.unit == Unit::Percent => {
            format!("± {}\u{a0}Prozentpunkte", number(value, 1))
        }
        Tolerance::Absolute { value } => format!("± {}", value_text(indicator, value)),
        Tolerance::Relative { percent } => format!("{} % des Zielwerts", number(percent, 1)),
        Tolerance::Days { days } => format!("{days} Tage vor Fälligkeit"),
    }
}

/// Distinct source labels of the values behind an indicator (following derived formulas).
pub struct Provenance<'a> {
    agreement: &'a Agreement,
    by_key: BTreeMap<(&'a str, YearMonth), &'a CurrentValue>,
}

impl<'a> Provenance<'a> {
    pub fn new(agreement: &'a Agreement, values: &'a [CurrentValue]) -> Self {
        let by_key = values
            .iter()
            .filter(|v| v.observation.breakdown.is_none())
            .map(|v| ((v.observation.indicator.as_str(), v.observation.month), v))
            .collect();
        Self { agreement, by_key }
    }

    /// Datenstand (latest of the inputs) and source labels of `code` in `month`.
    pub fn of(&self, code: &IndicatorCode, month: YearMonth) -> (String, String) {
        let found: Vec<&CurrentValue> = self
            .agreement
            .stored_inputs(code)
            .iter()
            .filter_map(|c| self.by_key.get(&(c.as_str(), month)).copied())
            .collect();
        let datenstand = found
            .iter()
            .map(|v| v.observation.datenstand)
            .max()
            .map(date_de)
            .unwrap_or_default();
        let labels: BTreeSet<&str> = found.iter().map(|v| v.source_label.as_str()).collect();
        (
            datenstand,
            labels.into_iter().collect::<Vec<_>>().join("; "),
        )
    }
}

/// Whether any value is demo data, and the distinct source labels.
pub fn sources(values: &[CurrentValue]) -> (bool, Vec<String>) {
    let demo = values.iter().any(|v| v.source_kind == SourceKind::Demo);
    let labels: BTreeSet<&str> = values.iter().map(|v| v.source_label.as_str()).collect();
    (demo, labels.into_iter().map(str::to_owned).collect())
}

/// The tolerance band around a target path, on the side where the goal is missed.
fn band(
    goal: &Goal,
    indicator: &Indicator,
    path: &[(YearMonth, f64)],
) -> Vec<(YearMonth, f64, f64)> {
    path.iter()
        .map(|(m, t)| {
            let tol = goal.tolerance.amount(*t);
            match indicator.direction {
                Direction::Higher => (*m, t - tol, *t),
                Direction::Lower => (*m, *t, t + tol),
                Direction::Neutral => (*m, t - tol, t + tol),
            }
        })
        .collect()
}

/// A comment on a goal's value, numbered as its marker in the chart.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NumberedComment {
    pub number: usize,
    #[serde(skip)]
    pub month: YearMonth,
    /// "Mai 2022: Sondereffekt Umzug der Leistungsabteilung (Controlling)".
    pub text: String,
}

/// The comments on the values of a goal's indicator in the agreement year up to the reporting
/// month, numbered in month order (the order of the markers in its chart). Authors are named
/// only in internal documents (`authors`).
pub fn goal_comments(
    state: &GoalState<'_>,
    comments: &[ValueComment],
    year: i32,
    as_of: YearMonth,
    authors: bool,
) -> Vec<NumberedComment> {
    let mut mine: Vec<&ValueComment> = comments
        .iter()
        .filter(|c| {
            c.indicator == state.indicator.code && c.month.year() == year && c.month <= as_of
        })
        .collect();
    mine.sort_by_key(|c| c.month);
    mine.into_iter()
        .enumerate()
        .map(|(i, c)| NumberedComment {
            number: i + 1,
            month: c.month,
            text: if !authors || c.author.trim().is_empty() {
                format!("{}: {}", c.month.german_long(), c.text.trim())
            } else {
                format!(
                    "{}: {} ({})",
                    c.month.german_long(),
                    c.text.trim(),
                    c.author.trim()
                )
            },
        })
        .collect()
}

/// Years before the agreement year a goal's chart shows.
pub const CHART_YEARS: i32 = 3;

/// The full chart of a goal page, as of the reporting month `as_of`: later values are not drawn,
/// earlier ones from January [`CHART_YEARS`] years before the agreement year.
pub fn goal_chart(
    state: &GoalState<'_>,
    year: i32,
    as_of: YearMonth,
    forecast: &[(YearMonth, f64, f64, f64)],
    id: &str,
    hidden: &BTreeSet<YearMonth>,
    comments: &[NumberedComment],
) -> String {
    let goal = state.goal;
    let ind = state.indicator;
    let a = &state.assessment;
    if let Target::Milestone { due } = goal.target {
        let reached = state
            .series
            .iter()
            .find(|(m, p)| m.year() == year && **m <= as_of && p.value >= 1.0)
            .map(|(m, _)| *m);
        return MilestoneChart {
            id: id.into(),
            title: format!("Meilenstein: {}", goal.title),
            description: format!(
                "Zeitleiste {year} mit dem Fälligkeitsdatum {}{}. Status: {}. {}",
                date_de(due),
                reached
                    .map(|m| format!(" und dem Monat der Erreichung ({})", m.german_long()))
                    .unwrap_or_default(),
                a.status.label_de(),
                a.reason
            ),
            year,
            due,
            reached,
            as_of: a.month,
        }
        .render();
    }
    let mut actual: Vec<(YearMonth, f64)> = match ind.accumulation {
        Accumulation::Stock => state.series.iter().map(|(m, p)| (*m, p.value)).collect(),
        Accumulation::Flow => state.year_to_date(year),
    };
    // From January three years before the agreement year: the development a committee compares
    // with, readable at a glance; every month on record stays in the table.
    actual.retain(|(m, _)| *m <= as_of && m.year() >= year - CHART_YEARS && !hidden.contains(m));
    let projected_from = state
        .series
        .iter()
        .find(|(_, p)| p.status == ValueStatus::Projected)
        .map(|(m, _)| *m);
    let own: Vec<YearMonth> = state
        .series
        .iter()
        .filter(|(m, p)| p.status == ValueStatus::Own && actual.iter().any(|(a, _)| a == *m))
        .map(|(m, _)| *m)
        .collect();
    let own_text = match (own.first(), own.last()) {
        (Some(f), Some(l)) => format!(
            " Werte aus eigenen Daten, noch ohne amtliche Zahl (Quadrate): {}.",
            f.german_span(*l)
        ),
        _ => String::new(),
    };
    let range = match (actual.first(), actual.last()) {
        (Some(f), Some(l)) => format!("von {} bis {}", f.0.german_long(), l.0.german_long()),
        _ => "ohne Werte".into(),
    };
    let what = match ind.accumulation {
        Accumulation::Stock => ind.name.clone(),
        Accumulation::Flow => format!("{}, Summe seit Januar {year}", ind.name),
    };
    let latest = match (a.actual, a.month) {
        (_, Some(m)) if hidden.contains(&m) => format!(
            " Der Wert für {} ist gesperrt (statistische Geheimhaltung).",
            m.german_long()
        ),
        (Some(v), Some(m)) => format!(
            " Letzter Wert: {} ({}).",
            value_text(ind, v),
            m.german_long()
        ),
        _ => String::new(),
    };
    let target = a
        .target
        .map(|t| format!(" Ziel zu diesem Zeitpunkt: {}.", value_text(ind, t)))
        .unwrap_or_default();
    LineChart {
        id: id.into(),
        title: format!("{}: Ist und Ziel", goal.title),
        description: format!(
            "Liniendiagramm: {what} {range} (durchgezogene Linie), Zielpfad {year} (gestrichelt) und Toleranzbereich (schraffiert).{latest}{target}{own_text} Status: {}.{} Alle Werte stehen in der Tabelle unter dem Diagramm.",
            a.status.label_de(),
            comments
                .iter()
                .map(|c| format!(" Anmerkung {}: {}", c.number, c.text))
                .collect::<String>()
        ),
        y_label: match ind.accumulation {
            Accumulation::Flow => format!("{} (kumuliert)", ind.unit.label_de()),
            Accumulation::Stock => ind.unit.label_de().into(),
        },
        decimals: ind.unit.decimals(),
        actual: ChartSeries { points: actual },
        projected_from,
        own,
        target: ChartSeries { points: state.target_path.clone() },
        band: band(goal, ind, &state.target_path),
        forecast: forecast.to_vec(),
        notes: comments
            .iter()
            .map(|c| (c.month, c.number.to_string()))
            .collect(),
    }
    .render()
}

/// The goal's value at the month its status refers to, as tables show it: the running sum since
/// January for a flow, the value itself for a stock.
pub fn shown_actual(state: &GoalState<'_>, year: i32) -> Option<f64> {
    let asm = &state.assessment;
    asm.month.and_then(|m| {
        state
            .year_to_date(year)
            .into_iter()
            .find(|(x, _)| *x == m)
            .map(|(_, v)| v)
            .or(asm.actual)
    })
}

/// The target to date as text: the due date for a milestone, else the value ("–" if none).
pub fn target_to_date_text(state: &GoalState<'_>) -> String {
    match (&state.goal.target, state.assessment.target) {
        (Target::Milestone { due }, _) => format!("bis {}", date_de(*due)),
        (_, Some(t)) => value_text(state.indicator, t),
        (_, None) => "–".into(),
    }
}

/// The year-end forecast in a table: the forecast value, and the probability of reaching the
/// target with `prefix` before the percentage (or that December's value is already known).
pub fn year_end_columns(state: &GoalState<'_>, as_of: YearMonth, prefix: &str) -> (String, String) {
    let ind = state.indicator;
    match year_end(state, as_of) {
        None => ("–".to_owned(), String::new()),
        Some(Err(_)) => ("keine Prognose".to_owned(), String::new()),
        Some(Ok(y)) if y.method.is_none() => {
            (value_text(ind, y.point), "Wert liegt vor".to_owned())
        }
        Some(Ok(y)) => (
            value_text(ind, y.point),
            format!("{prefix}{}\u{a0}%", number(y.probability * 100.0, 0)),
        ),
    }
}

/// The forecast sentence of a goal for documents; empty for milestones.
pub fn forecast_sentence(state: &GoalState<'_>, year: i32, as_of: YearMonth) -> String {
    match year_end(state, as_of) {
        None => String::new(),
        Some(r) => forecast_text(state, year, &r).0,
    }
}

/// The year-end forecast of a goal, or why there is none; `None` for milestones.
pub fn year_end(
    state: &GoalState<'_>,
    as_of: YearMonth,
) -> Option<Result<zielwerk_forecast::YearEnd, zielwerk_forecast::ForecastError>> {
    if matches!(state.goal.target, Target::Milestone { .. }) {
        return None;
    }
    let (_, target) = state
        .target_path
        .iter()
        .rev()
        .find(|(m, _)| m.month() == 12)?;
    let series: Vec<(YearMonth, f64)> = state.series.iter().map(|(m, p)| (*m, p.value)).collect();
    Some(zielwerk_forecast::year_end(
        &series,
        state.indicator.accumulation,
        state.indicator.direction,
        *target,
        state.goal.tolerance.amount(*target),
        as_of,
        &state.breaks,
    ))
}

/// The forecast paragraph of a goal page.
pub fn forecast_text(
    state: &GoalState<'_>,
    year: i32,
    result: &Result<zielwerk_forecast::YearEnd, zielwerk_forecast::ForecastError>,
) -> (String, Option<String>) {
    let ind = state.indicator;
    let what = match ind.accumulation {
        Accumulation::Flow => format!("Summe {year}"),
        Accumulation::Stock => format!("Dezember {year}"),
    };
    match result {
        Err(e) => (format!("Keine Prognose: {e}."), None),
        Ok(y) if y.method.is_none() => (
            format!(
                "Der Wert für {what} liegt vor: {}.",
                value_text(ind, y.point)
            ),
            None,
        ),
        Ok(y) => (
            format!(
                "Prognose für {what}: {} (80-%-Intervall {} bis {}), {} voraus. {}",
                value_text(ind, y.point),
                value_text(ind, y.lower),
                value_text(ind, y.upper),
                counted(y.horizon, "Monat", "Monate"),
                y.method
                    .as_ref()
                    .map(|m| m.sentence.as_str())
                    .unwrap_or_default(),
            ),
            Some(format!("{}\u{a0}%", number(y.probability * 100.0, 0))),
        ),
    }
}

/// The small trend line of the overview: the last 13 months of the indicator (a year and its
/// previous-year month), against the current target to date.
pub fn spark(state: &GoalState<'_>, year: i32) -> String {
    let ind = state.indicator;
    let values: Vec<f64> = match (ind.accumulation, &state.goal.target) {
        (_, Target::Milestone { .. }) => state
            .series
            .iter()
            .filter(|(m, _)| m.year() == year)
            .map(|(_, p)| p.value)
            .collect(),
        (Accumulation::Flow, _) => state
            .year_to_date(year)
            .into_iter()
            .map(|(_, v)| v)
            .collect(),
        (Accumulation::Stock, _) => {
            let end = state.assessment.month;
            let mut v: Vec<f64> = state
                .series
                .iter()
                .filter(|(m, _)| end.is_none_or(|e| **m <= e))
                .map(|(_, p)| p.value)
                .collect();
            let skip = v.len().saturating_sub(13);
            v.drain(..skip);
            v
        }
    };
    let label = match (values.first(), values.last()) {
        (Some(f), Some(l)) if values.len() > 1 => format!(
            "Verlauf {}: von {} auf {}",
            ind.name,
            value_text(ind, *f),
            value_text(ind, *l)
        ),
        _ => format!("Verlauf {}: zu wenige Werte", ind.name),
    };
    Sparkline {
        label,
        values,
        target: state
            .assessment
            .target
            .filter(|_| ind.unit != Unit::Milestone),
    }
    .render()
}

/// The period of a Handlungsansatz: "Januar 2022 bis Juni 2022" or "ab Januar 2022".
pub fn period(m: &zielwerk_domain::Measure) -> String {
    match m.end {
        Some(end) => format!("{} bis {}", m.start.german_long(), end.german_long()),
        None => format!("ab {}", m.start.german_long()),
    }
}

pub fn status_icon(status: Status) -> &'static str {
    match status {
        Status::OnTrack => "✓",
        Status::AtRisk => "!",
        Status::Missed => "✕",
        Status::NoData => "?",
    }
}

/// What the numerator and denominator of an indicator's values are, for table headers.
pub struct Components {
    pub numerator_label: String,
    pub denominator_label: String,
    pub numerator_unit: Unit,
    pub denominator_unit: Unit,
}

impl Components {
    pub fn of(agreement: &Agreement, ind: &Indicator) -> Self {
        let named = |code: &IndicatorCode| match agreement.indicator(code) {
            Some(i) => (i.name.clone(), i.unit),
            None => (code.to_string(), ind.unit),
        };
        let ((numerator_label, numerator_unit), (denominator_label, denominator_unit)) =
            match (&ind.formula, ind.formula.components()) {
                (_, Some((numerator, denominator))) => (named(numerator), named(denominator)),
                (Formula::YearOverYear { base }, _) => {
                    let unit = named(base).1;
                    (("Monat".into(), unit), ("Vorjahresmonat".into(), unit))
                }
                _ => (
                    (
                        ind.numerator_label
                            .clone()
                            .unwrap_or_else(|| "Zähler".into()),
                        ind.unit,
                    ),
                    (
                        ind.denominator_label
                            .clone()
                            .unwrap_or_else(|| "Nenner".into()),
                        ind.unit,
                    ),
                ),
            };
        Self {
            numerator_label,
            denominator_label,
            numerator_unit,
            denominator_unit,
        }
    }
}

pub fn formula_text(ind: &Indicator) -> String {
    match &ind.formula {
        Formula::StoredRatio { .. } => format!(
            "{} ({} ÷ {})",
            ind.formula.describe_de(),
            ind.numerator_label.as_deref().unwrap_or("Zähler"),
            ind.denominator_label.as_deref().unwrap_or("Nenner")
        ),
        _ => ind.formula.describe_de(),
    }
}

/// The decomposition section of a goal page.
pub struct ChangeView {
    pub heading: String,
    pub summary: String,
    pub chart: String,
    /// (label, amount) rows of the table beside the chart.
    pub rows: Vec<(String, String)>,
    pub note: String,
}

fn euro(v: f64) -> String {
    format!("{}\u{a0}EUR", number(v, 0))
}

fn signed_euro(v: f64) -> String {
    format!("{}\u{a0}EUR", zielwerk_domain::format::signed(v, 0))
}

pub fn change_view(e: &ChangeExplanation<'_>) -> ChangeView {
    let d = e.decomposition;
    let period = if e.first == e.last {
        e.last.german_long()
    } else {
        format!("{} bis {}", e.first.german_long(), e.last.german_long())
    };
    let base = match (e.first.plus(-12), e.last.plus(-12)) {
        (Some(f), Some(l)) if f == l => l.german_long(),
        (Some(f), Some(l)) => format!("{} bis {}", f.german_long(), l.german_long()),
        _ => "Vorjahr".into(),
    };
    let direction = |v: f64, up: &str, down: &str| {
        if v >= 0.0 {
            up.to_owned()
        } else {
            down.to_owned()
        }
    };
    let structure = e.months_by_household > 0;
    let summary = format!(
        "{} {} gegenüber dem Vorjahreszeitraum um {}. Davon gehen {} auf die Zahl der {} zurück (Mengeneffekt) und {} auf die {} (Preiseffekt){}.",
        e.total.name,
        direction(d.change(), "stieg", "sank"),
        euro(d.change().abs()),
        signed_euro(d.quantity),
        e.quantity.name,
        signed_euro(d.price),
        e.price.name,
        if structure {
            format!(
                "; {} auf die veränderte Mischung der Haushaltsgrößen (Struktureffekt)",
                signed_euro(d.structure)
            )
        } else {
            String::new()
        }
    );
    let mut steps = vec![
        Step {
            label: "Vorjahr".into(),
            value: d.start,
            is_total: true,
        },
        Step {
            label: "Mengeneffekt".into(),
            value: d.quantity,
            is_total: false,
        },
        Step {
            label: "Preiseffekt".into(),
            value: d.price,
            is_total: false,
        },
    ];
    if structure {
        steps.push(Step {
            label: "Struktureffekt".into(),
            value: d.structure,
            is_total: false,
        });
    }
    steps.push(Step {
        label: "Aktuell".into(),
        value: d.end,
        is_total: true,
    });
    let chart = Waterfall {
        id: "zerlegung".into(),
        title: format!("Zerlegung der Veränderung: {}", e.total.name),
        description: format!(
            "Wasserfalldiagramm. {period} gegenüber {base}: {} im Vorjahreszeitraum, Mengeneffekt {}, Preiseffekt {}{}, {} im aktuellen Zeitraum. {summary}",
            euro(d.start),
            signed_euro(d.quantity),
            signed_euro(d.price),
            if structure {
                format!(", Struktureffekt {}", signed_euro(d.structure))
            } else {
                String::new()
            },
            euro(d.end)
        ),
        unit: "EUR".into(),
        decimals: 0,
        steps,
    }
    .render();
    let mut note = format!(
        "Zerlegung je Monat mit Shapley-Gewichten, summiert über {}; ohne Rest. {}",
        counted(e.months_used, "Monat", "Monate"),
        if e.months_by_household == e.months_used {
            "Preiseffekt je Haushaltsgröße; der Struktureffekt misst die veränderte Mischung der Haushaltsgrößen.".to_owned()
        } else if structure {
            format!(
                "Zahlen nach Haushaltsgröße lagen für {} vor; nur dort ist ein Struktureffekt ausgewiesen, sonst steckt er im Preiseffekt.",
                match e.months_by_household {
                    1 => "einen Monat".to_owned(),
                    n => format!("{n} Monate"),
                }
            )
        } else {
            "Ohne Zahlen nach Haushaltsgröße steckt eine veränderte Mischung der Haushaltsgrößen im Preiseffekt.".to_owned()
        }
    );
    if e.months_missing > 0 {
        note.push_str(&format!(
            " {} ohne vollständige Werte in beiden Jahren {} nicht enthalten.",
            counted(e.months_missing, "Monat", "Monate"),
            if e.months_missing == 1 { "ist" } else { "sind" }
        ));
    }
    ChangeView {
        heading: format!(
            "Warum sich {} verändert hat: {period} gegenüber {base}",
            e.total.name
        ),
        summary,
        chart,
        rows: vec![
            (format!("{} {base}", e.total.name), euro(d.start)),
            (
                format!("Mengeneffekt ({})", e.quantity.name),
                signed_euro(d.quantity),
            ),
            (
                format!("Preiseffekt ({})", e.price.name),
                signed_euro(d.price),
            ),
        ]
        .into_iter()
        .chain(structure.then(|| {
            (
                "Struktureffekt (Mischung der Haushaltsgrößen)".to_owned(),
                signed_euro(d.structure),
            )
        }))
        .chain([
            (format!("{} {period}", e.total.name), euro(d.end)),
            ("Veränderung insgesamt".into(), signed_euro(d.change())),
        ])
        .collect(),
        note,
    }
}
