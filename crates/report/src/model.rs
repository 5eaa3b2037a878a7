//! The report models: what a Vorlage and a monitoring report contain, as plain strings, tables and
//! charts. Built by pure functions from an agreement's assessed state; written to PDF, DOCX and
//! HTML by the writers, which decide nothing about content.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use zielwerk_domain::format::counted;
use zielwerk_domain::vorlage::paragraphs;
use zielwerk_domain::{
    Accumulation, ActionItem, Agreement, AreaKind, CurrentValue, DecisionKind, Impact, Origin,
    Target, ValueComment, VorlageHeader, YearMonth,
};
use zielwerk_engine::{AgreementState, GoalState, Status};

use crate::disclosure::Disclosure;
use crate::present::{self, NumberedComment, Provenance, value_text};

/// Who may read a document: internal documents show every value, public ones (committee,
/// council information system, the public) pass the suppression step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Internal,
    Public,
}

/// A chart of a document: its file name in the document bundle and its SVG.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub name: String,
    pub svg: String,
}

/// A small table: header row and body rows of text cells.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Source and Datenstand of the figures, and marks used.
    pub caption: String,
}

/// One goal in the report text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GoalBlock {
    pub title: String,
    pub responsible: String,
    pub indicator: String,
    pub target: String,
    pub status: String,
    /// `on-track`, `at-risk`, `missed`, `no-data`: for colours and symbols.
    pub status_key: String,
    pub reason: String,
    pub forecast: String,
    /// File name of the chart, if the goal has one.
    pub chart: Option<String>,
    pub chart_title: String,
    pub table: Option<Table>,
    /// Comments on the values, numbered as the markers in the chart.
    pub comments: Vec<NumberedComment>,
    /// The Kreis among others, where the indicator names a published statistic.
    pub comparison: Option<present::ComparisonText>,
}

/// One goal area: a section of the report text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    pub number: String,
    pub title: String,
    pub kind: String,
    pub description: String,
    pub summary: String,
    pub goals: Vec<GoalBlock>,
    /// The Sozialamt's steering notes for the area, as paragraphs.
    pub notes: Vec<String>,
}

/// A row of Anlage 1 and of the goal list of Anlage 2.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GoalRow {
    pub area: String,
    pub title: String,
    pub indicator: String,
    pub target: String,
    pub tolerance: String,
    pub responsible: String,
}

/// A Handlungsansatz of the planning document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeasureRow {
    pub title: String,
    pub description: String,
    pub expected_effect: String,
    pub responsible: String,
    pub period: String,
    pub goals: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Anlage {
    pub number: u32,
    pub title: String,
    pub intro: String,
    pub goals: Vec<GoalRow>,
    pub measures: Vec<MeasureRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Choice {
    pub label: String,
    pub checked: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImpactRow {
    pub label: String,
    pub options: Vec<Choice>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConsultationRow {
    pub committee: String,
    pub date: String,
    pub decision: String,
}

/// The committee paper in the form of the seed paper.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Vorlage {
    pub number: String,
    pub visibility: String,
    pub fachbereich: String,
    pub bearbeiter: String,
    pub date: String,
    pub aktenzeichen: String,
    pub title: String,
    /// The three boxes at the top (Beschluss, Wahl, Kenntnisnahme), checked by the first step of
    /// the Beratungsfolge.
    pub decision_kinds: Vec<Choice>,
    pub consultations: Vec<ConsultationRow>,
    pub impacts: Vec<ImpactRow>,
    pub resolution: String,
    pub occasion: Vec<String>,
    pub agreement_title: String,
    pub jobcenter: String,
    pub year: i32,
    pub as_of: String,
    pub summary: String,
    pub sections: Vec<Section>,
    pub anlagen: Vec<Anlage>,
    pub sources: Vec<String>,
    pub demo: bool,
    pub confidentiality: String,
    #[serde(skip)]
    pub charts: Vec<Chart>,
}

/// A goal in the monitoring report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonitoringRow {
    /// The goal's key (for links).
    pub key: String,
    pub area: String,
    pub title: String,
    pub responsible: String,
    pub status: String,
    pub status_key: String,
    pub value: String,
    pub month: String,
    pub target_to_date: String,
    pub forecast: String,
    pub probability: String,
    pub reason: String,
    pub datenstand: String,
    pub source: String,
    /// Comments on the goal's values this year, numbered.
    pub comments: Vec<NumberedComment>,
    /// Verfehlt without a comment on the value of its month: the report is not final.
    pub needs_explanation: bool,
    /// The Kreis among others, where the indicator names a published statistic.
    pub comparison: Option<present::ComparisonText>,
}

/// An open action item in the monitoring report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionRow {
    pub what: String,
    /// The party, and internally the person.
    pub owner: String,
    pub due: String,
    pub status: String,
    pub overdue: bool,
    pub goal: String,
}

impl ActionRow {
    /// An action item as a report lists it: the person only in internal documents.
    pub(crate) fn of(
        a: &ActionItem,
        agreement: &Agreement,
        audience: Audience,
        day: chrono::NaiveDate,
    ) -> Self {
        ActionRow {
            what: a.what.clone(),
            owner: match audience {
                Audience::Internal => a.owner_de(),
                Audience::Public => a.owner_party.label_de().into(),
            },
            due: present::date_de(a.due),
            status: a.status.label_de().into(),
            overdue: a.is_overdue(day),
            goal: a
                .goal
                .as_ref()
                .and_then(|k| agreement.goal(k))
                .map(|g| g.title.clone())
                .unwrap_or_default(),
        }
    }
}

/// The monthly monitoring report for the carriers' meeting.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Monitoring {
    pub title: String,
    pub agreement_title: String,
    pub jobcenter: String,
    pub as_of: String,
    pub created: String,
    pub audience: String,
    pub summary: String,
    /// Goals off track first (verfehlt, then gefährdet), then the rest in the agreement's order.
    pub rows: Vec<MonitoringRow>,
    /// Open action items (offen, in Arbeit) of the agreement, earliest due first.
    pub actions: Vec<ActionRow>,
    pub actions_note: String,
    /// Goals verfehlt whose value has no explanation yet; while any is listed the report is a
    /// draft.
    pub missing_explanations: Vec<String>,
    /// `endgültig`, or `Entwurf` while explanations are missing.
    pub version: String,
    pub sources: Vec<String>,
    pub demo: bool,
    pub confidentiality: String,
}

pub(crate) fn confidentiality_note(audience: Audience, d: &Disclosure) -> String {
    match audience {
        Audience::Internal => "Interne Fassung: alle Werte ungesperrt. Nicht zur Weitergabe an Gremien oder die Öffentlichkeit.".into(),
        Audience::Public => {
            let hidden = d.primary + d.secondary;
            let what = if hidden == 0 {
                "In diesem Dokument ist kein Monatswert gesperrt.".to_owned()
            } else {
                format!(
                    "In diesem Dokument {} {} gesperrt: {} wegen kleiner Fallzahlen, {} damit sich kein gesperrter Wert errechnen lässt.",
                    if hidden == 1 { "ist" } else { "sind" },
                    counted(hidden, "Monatswert", "Monatswerte"),
                    d.primary,
                    d.secondary,
                )
            };
            format!(
                "Statistische Geheimhaltung: Fallzahlen unter {min} und Werte, die auf weniger als {min} Fällen beruhen, sind mit * gesperrt (primäre Sperrung). Weitere Werte sind gesperrt, wo sich ein gesperrter Wert sonst aus Summen, aus der Summe seit Januar, aus Monatswerten oder aus den Zahlen hinter einer Quote errechnen ließe (sekundäre Sperrung); alle für denselben Berichtsmonat veröffentlichten Dokumente sperren dieselben Werte. {what}",
                min = zielwerk_engine::confidentiality::MIN_CASES,
            )
        }
    }
}

/// The columns of a goal's short table: the quarter ends up to the reporting month, and the
/// reporting month itself.
fn table_months(year: i32, as_of: YearMonth) -> Vec<YearMonth> {
    let mut months: Vec<YearMonth> = [3, 6, 9, 12]
        .into_iter()
        .filter_map(|m| YearMonth::new(year, m).ok())
        .filter(|m| *m < as_of)
        .collect();
    months.push(as_of);
    months
}

fn goal_table(
    state: &GoalState<'_>,
    agreement: &Agreement,
    as_of: YearMonth,
    hidden: &BTreeSet<YearMonth>,
    provenance: &Provenance<'_>,
) -> Option<Table> {
    if matches!(state.goal.target, Target::Milestone { .. }) {
        return None;
    }
    let ind = state.indicator;
    let months = table_months(agreement.year, as_of);
    let shown: BTreeMap<YearMonth, f64> = state.year_to_date(agreement.year).into_iter().collect();
    let targets: BTreeMap<YearMonth, f64> = state.target_path.iter().copied().collect();
    let cell = |m: &YearMonth, v: Option<f64>| match v {
        _ if hidden.contains(m) => "*".to_owned(),
        Some(v) => value_text(ind, v),
        None => "–".to_owned(),
    };
    let actual_label = match ind.accumulation {
        Accumulation::Flow => "Ist (Summe seit Januar)",
        Accumulation::Stock => "Ist",
    };
    let mut header = vec![String::new()];
    header.extend(months.iter().map(|m| m.german_short()));
    let actual: Vec<String> = std::iter::once(actual_label.to_owned())
        .chain(months.iter().map(|m| cell(m, shown.get(m).copied())))
        .collect();
    let target: Vec<String> = std::iter::once("Ziel".to_owned())
        .chain(months.iter().map(|m| {
            targets
                .get(m)
                .map(|t| value_text(ind, *t))
                .unwrap_or_else(|| "–".into())
        }))
        .collect();
    let last = months
        .iter()
        .rev()
        .find(|m| state.series.contains_key(m))
        .copied()
        .unwrap_or(as_of);
    let (datenstand, source) = provenance.of(&ind.code, last);
    let mut caption = if source.is_empty() {
        "Noch keine Werte.".to_owned()
    } else {
        format!("Quelle: {source}; Datenstand: {datenstand}.")
    };
    if state.series.range(..=as_of).any(|(m, p)| {
        m.year() == agreement.year && p.status == zielwerk_domain::ValueStatus::Projected
    }) {
        caption.push_str(" Werte der letzten Monate vorläufig (hochgerechnet).");
    }
    if state
        .series
        .range(..=as_of)
        .any(|(m, p)| m.year() == agreement.year && p.status == zielwerk_domain::ValueStatus::Own)
    {
        caption.push_str(
            " Werte der letzten Monate aus eigenen Daten des Jobcenters berechnet, noch ohne amtliche Zahl.",
        );
    }
    if !hidden.is_empty() {
        caption.push_str(" * gesperrt (statistische Geheimhaltung).");
    }
    Some(Table {
        header,
        rows: vec![actual, target],
        caption,
    })
}

/// The reason of a goal's status, unless its month is suppressed: the reason names the value,
/// which would give the suppressed figure away.
pub(crate) fn public_reason(g: &GoalState<'_>, hidden: &BTreeSet<YearMonth>) -> String {
    match g.assessment.month {
        Some(m) if hidden.contains(&m) => format!(
            "Der Wert für {} ist gesperrt (statistische Geheimhaltung).",
            m.german_long()
        ),
        _ => g.assessment.reason.clone(),
    }
}

fn status_counts(state: &AgreementState<'_>) -> String {
    let count = |s: Status| {
        state
            .goals
            .iter()
            .filter(|g| g.assessment.status == s)
            .count()
    };
    format!(
        "Stand {}: {}, davon {} im Plan, {} gefährdet, {} verfehlt und {} noch ohne Werte.",
        state.as_of.german_long(),
        counted(state.goals.len(), "Ziel", "Ziele"),
        count(Status::OnTrack),
        count(Status::AtRisk),
        count(Status::Missed),
        count(Status::NoData),
    )
}

fn goal_row(agreement: &Agreement, state: &GoalState<'_>) -> GoalRow {
    GoalRow {
        area: agreement
            .area(&state.goal.area)
            .map(|a| a.title.clone())
            .unwrap_or_default(),
        title: state.goal.title.clone(),
        indicator: state.indicator.name.clone(),
        target: present::target_text(state.goal, state.indicator),
        tolerance: present::tolerance_text(state.goal, state.indicator),
        responsible: state.goal.responsible.label_de().into(),
    }
}

fn anlagen(agreement: &Agreement, state: &AgreementState<'_>) -> Vec<Anlage> {
    let municipal = |g: &&GoalState<'_>| {
        g.goal.origin == Origin::Agreement
            && agreement
                .area(&g.goal.area)
                .is_some_and(|a| a.kind == AreaKind::Municipal)
    };
    let planning: Vec<GoalRow> = state
        .goals
        .iter()
        .filter(|g| g.goal.origin == Origin::PlanningDocument)
        .map(|g| goal_row(agreement, g))
        .collect();
    let goal_titles = |keys: &[zielwerk_domain::Key]| {
        keys.iter()
            .filter_map(|k| agreement.goal(k))
            .map(|g| g.title.clone())
            .collect::<Vec<_>>()
            .join("; ")
    };
    vec![
        Anlage {
            number: 1,
            title: format!("Kommunale Ziele {}", agreement.year),
            intro: format!(
                "Die kommunalen Ziele und Zielwerte aus „{}“ mit ihren Toleranzen.",
                agreement.title
            ),
            goals: state
                .goals
                .iter()
                .filter(municipal)
                .map(|g| goal_row(agreement, g))
                .collect(),
            measures: Vec::new(),
        },
        Anlage {
            number: 2,
            title: "Lokales Planungsdokument".into(),
            intro: format!(
                "Das Planungsdokument von {} für {}: weitere Zielsetzungen, die Handlungsansätze und die Wirkungserwartungen.",
                agreement.jobcenter.name, agreement.year
            ),
            goals: planning,
            measures: agreement
                .measures
                .iter()
                .map(|m| MeasureRow {
                    title: m.title.clone(),
                    description: m.description.clone(),
                    expected_effect: m.expected_effect.clone(),
                    responsible: m.responsible.label_de().into(),
                    period: present::period(m),
                    goals: goal_titles(&m.goals),
                })
                .collect(),
        },
    ]
}

/// Builds the Vorlage for a committee from the header, the agreement's state and the values
/// behind it. Always public: every figure passes the suppression step.
pub fn vorlage(
    header: &VorlageHeader,
    state: &AgreementState<'_>,
    values: &[CurrentValue],
    comments: &[ValueComment],
    comparisons: &present::Comparisons,
) -> Vorlage {
    let agreement = state.agreement;
    let provenance = Provenance::new(agreement, values);
    let as_of = state.as_of;
    let mut charts = Vec::new();
    let disclosure = Disclosure::of(state);
    let mut sections = Vec::new();
    for (i, area) in agreement.areas.iter().enumerate() {
        let goals: Vec<&GoalState<'_>> = state
            .goals
            .iter()
            .filter(|g| g.goal.area == area.key)
            .collect();
        let mut blocks = Vec::new();
        for g in &goals {
            let hidden = disclosure.hidden(&g.goal.key);
            let year_end = present::year_end(g, as_of);
            let name = format!("ziel-{}.svg", g.goal.key);
            let notes = present::goal_comments(g, comments, agreement.year, as_of, false);
            let svg = present::goal_chart(
                g,
                agreement.year,
                as_of,
                year_end
                    .as_ref()
                    .and_then(|r| r.as_ref().ok())
                    .map_or(&[][..], |y| &y.path),
                &format!("chart-{}", g.goal.key),
                &hidden,
                &notes,
            );
            charts.push(Chart {
                name: name.clone(),
                svg,
            });
            let asm = &g.assessment;
            blocks.push(GoalBlock {
                title: g.goal.title.clone(),
                responsible: g.goal.responsible.label_de().into(),
                indicator: g.indicator.name.clone(),
                target: present::target_text(g.goal, g.indicator),
                status: asm.status.label_de().into(),
                status_key: asm.status.css().into(),
                reason: public_reason(g, &hidden),
                forecast: present::forecast_sentence(g, agreement.year, as_of),
                chart: Some(name),
                chart_title: format!("{}: Ist und Ziel {}", g.indicator.name, agreement.year),
                table: goal_table(g, agreement, as_of, &hidden, &provenance),
                comments: notes,
                comparison: comparisons.get(&g.indicator.code).cloned(),
            });
        }
        let count = |s: Status| goals.iter().filter(|g| g.assessment.status == s).count();
        sections.push(Section {
            number: format!("{}", i + 1),
            title: area.title.clone(),
            kind: area.kind.label_de().into(),
            description: area.description.clone(),
            summary: format!(
                "{}: {} im Plan, {} gefährdet, {} verfehlt, {} ohne Werte.",
                counted(goals.len(), "Ziel", "Ziele"),
                count(Status::OnTrack),
                count(Status::AtRisk),
                count(Status::Missed),
                count(Status::NoData)
            ),
            goals: blocks,
            notes: header
                .area_notes
                .get(area.key.as_str())
                .map(|t| paragraphs(t))
                .unwrap_or_default(),
        });
    }
    let first_decision = header.consultations.first().map(|c| c.decision);
    let (demo, sources) = present::sources(values);
    Vorlage {
        number: header.number.clone(),
        visibility: if header.public {
            "öffentlich"
        } else {
            "nicht öffentlich"
        }
        .into(),
        fachbereich: header.fachbereich.clone(),
        bearbeiter: header.bearbeiter.clone(),
        date: present::date_de(header.date),
        aktenzeichen: header.aktenzeichen.clone(),
        title: header.title.clone(),
        decision_kinds: DecisionKind::ALL
            .iter()
            .map(|k| Choice {
                label: k.label_de().into(),
                checked: first_decision == Some(*k),
            })
            .collect(),
        consultations: header
            .consultations
            .iter()
            .map(|c| ConsultationRow {
                committee: c.committee.clone(),
                date: present::date_de(c.date),
                decision: c.decision.label_de().into(),
            })
            .collect(),
        impacts: header
            .impacts
            .rows()
            .iter()
            .map(|(label, answer)| ImpactRow {
                label: (*label).into(),
                options: Impact::ALL
                    .iter()
                    .map(|i| Choice {
                        label: i.label_de().into(),
                        checked: i == answer,
                    })
                    .collect(),
            })
            .collect(),
        resolution: header.resolution.clone(),
        occasion: header.occasion_paragraphs(),
        agreement_title: agreement.title.clone(),
        jobcenter: agreement.jobcenter.name.clone(),
        year: agreement.year,
        as_of: as_of.german_long(),
        summary: status_counts(state),
        sections,
        anlagen: anlagen(agreement, state),
        sources,
        demo,
        confidentiality: confidentiality_note(Audience::Public, &disclosure),
        charts,
    }
}

/// Builds the monitoring report for the reporting month of `state`, with the comments on values
/// and the agreement's open action items.
pub fn monitoring(
    state: &AgreementState<'_>,
    values: &[CurrentValue],
    comments: &[ValueComment],
    actions: &[ActionItem],
    audience: Audience,
    created: chrono::NaiveDate,
    comparisons: &present::Comparisons,
) -> Monitoring {
    let agreement = state.agreement;
    let provenance = Provenance::new(agreement, values);
    let as_of = state.as_of;
    let disclosure = match audience {
        Audience::Internal => Disclosure::default(),
        Audience::Public => Disclosure::of(state),
    };
    let mut goals: Vec<&GoalState<'_>> = state.goals.iter().collect();
    let rank = |s: Status| match s {
        Status::Missed => 0,
        Status::AtRisk => 1,
        _ => 2,
    };
    // Stable: within a rank, the agreement's order (which is by area).
    goals.sort_by_key(|g| rank(g.assessment.status));
    let rows = goals
        .iter()
        .map(|g| {
            let asm = &g.assessment;
            let ind = g.indicator;
            let hidden = disclosure.hidden(&g.goal.key);
            let value = match (asm.month, present::shown_actual(g, agreement.year)) {
                (Some(m), _) if hidden.contains(&m) => "*".to_owned(),
                (_, Some(v)) => value_text(ind, v),
                _ => "–".to_owned(),
            };
            let (forecast, probability) = present::year_end_columns(g, as_of, "");
            let (datenstand, source) = asm
                .month
                .map(|m| provenance.of(&ind.code, m))
                .unwrap_or_default();
            let notes = present::goal_comments(
                g,
                comments,
                agreement.year,
                as_of,
                audience == Audience::Internal,
            );
            let explained = asm
                .month
                .is_some_and(|m| notes.iter().any(|c| c.month == m));
            MonitoringRow {
                key: g.goal.key.to_string(),
                area: agreement
                    .area(&g.goal.area)
                    .map(|a| a.title.clone())
                    .unwrap_or_default(),
                title: g.goal.title.clone(),
                responsible: g.goal.responsible.label_de().into(),
                status: asm.status.label_de().into(),
                status_key: asm.status.css().into(),
                value,
                month: asm.month.map(|m| m.german_long()).unwrap_or_default(),
                target_to_date: present::target_to_date_text(g),
                forecast,
                probability,
                reason: public_reason(g, &hidden),
                datenstand,
                source,
                needs_explanation: asm.status == Status::Missed && !explained,
                comments: notes,
                comparison: comparisons.get(&g.indicator.code).cloned(),
            }
        })
        .collect::<Vec<_>>();
    let missing_explanations: Vec<String> = rows
        .iter()
        .filter(|r| r.needs_explanation)
        .map(|r| format!("{} ({})", r.title, r.month))
        .collect();
    let today = created;
    let mut open: Vec<&ActionItem> = actions.iter().filter(|a| a.status.is_open()).collect();
    open.sort_by_key(|a| a.due);
    let overdue = open.iter().filter(|a| a.is_overdue(today)).count();
    let action_rows: Vec<ActionRow> = open
        .iter()
        .map(|a| ActionRow::of(a, agreement, audience, today))
        .collect();
    let (demo, sources) = present::sources(values);
    Monitoring {
        title: format!("Monitoringbericht {}", as_of.german_long()),
        agreement_title: agreement.title.clone(),
        jobcenter: agreement.jobcenter.name.clone(),
        as_of: as_of.german_long(),
        created: present::date_de(created),
        audience: match audience {
            Audience::Internal => "intern",
            Audience::Public => "öffentlich",
        }
        .into(),
        summary: status_counts(state),
        rows,
        actions_note: match (action_rows.len(), overdue) {
            (0, _) => "Aus den Steuerungsgesprächen sind keine Aufgaben offen.".into(),
            (n, 0) => format!(
                "{} offen, keine überfällig.",
                counted(n, "Aufgabe", "Aufgaben")
            ),
            (n, o) => format!(
                "{} offen, davon {o} überfällig (Stand {}).",
                counted(n, "Aufgabe", "Aufgaben"),
                present::date_de(today)
            ),
        },
        actions: action_rows,
        version: if missing_explanations.is_empty() {
            "endgültig".into()
        } else {
            "Entwurf".into()
        },
        missing_explanations,
        sources,
        demo,
        confidentiality: confidentiality_note(audience, &disclosure),
    }
}
