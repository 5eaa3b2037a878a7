//! The reports of a period, beside the monthly monitoring and the Vorlage: the quarterly status
//! report (Quartalsbericht) and the year-end review (Jahresbericht). One model for both: every
//! goal's status and value at each quarter end so far, how it developed since the quarter
//! before, and the outlook (the year-end forecast) or, at the end of the year, the result. Built
//! purely from the agreement assessed at each quarter end; PDF and DOCX are written from it.

use serde::Serialize;
use zielwerk_domain::format::counted;
use zielwerk_domain::{ActionItem, CurrentValue, ValueComment, YearMonth};
use zielwerk_engine::{AgreementState, GoalState, Status};

use crate::disclosure::Disclosure;
use crate::model::{ActionRow, Audience, confidentiality_note, public_reason};
use crate::present::{self, NumberedComment, value_text};

/// Which period a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// The quarter 1 to 4 of the agreement year.
    Quarter(u32),
    /// The whole agreement year.
    Year,
}

impl Period {
    /// The last month of the period.
    pub fn end(self, year: i32) -> YearMonth {
        let month = match self {
            Period::Quarter(q) => q.clamp(1, 4) * 3,
            Period::Year => 12,
        };
        YearMonth::new(year, month).expect("a quarter end is a month")
    }

    /// The quarter ends the report shows: from March to the end of the period.
    pub fn columns(self, year: i32) -> Vec<YearMonth> {
        let end = self.end(year);
        [3, 6, 9, 12]
            .into_iter()
            .filter_map(|m| YearMonth::new(year, m).ok())
            .filter(|m| *m <= end)
            .collect()
    }

    fn first_month(self, year: i32) -> YearMonth {
        let month = match self {
            Period::Quarter(q) => q.clamp(1, 4) * 3 - 2,
            Period::Year => 1,
        };
        YearMonth::new(year, month).expect("a quarter start is a month")
    }
}

/// A goal's status and value at one quarter end.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodCell {
    pub status: String,
    pub status_key: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodRow {
    pub area: String,
    pub title: String,
    pub responsible: String,
    /// The annual target in words.
    pub target: String,
    /// One per quarter end, in the order of [`PeriodReport::columns`].
    pub cells: Vec<PeriodCell>,
    /// "verbessert", "verschlechtert", "unverändert" against the quarter before, or empty.
    pub development: String,
    /// The year-end forecast (quarters), or the result of the year (year-end review).
    pub outcome: String,
    /// Status and reason at the end of the period.
    pub reason: String,
    pub comments: Vec<NumberedComment>,
}

/// A quarterly status report or a year-end review.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodReport {
    /// "Quartalsbericht" or "Jahresbericht".
    pub kind: String,
    /// "Quartalsbericht 3. Quartal 2022", "Jahresbericht 2022".
    pub title: String,
    pub agreement_title: String,
    pub jobcenter: String,
    /// "Juli bis September 2022", "Januar bis Dezember 2022".
    pub period: String,
    pub created: String,
    pub audience: String,
    pub summary: String,
    /// The quarter ends shown, as "März 2022".
    pub columns: Vec<String>,
    pub outcome_heading: String,
    pub rows: Vec<PeriodRow>,
    pub actions_note: String,
    /// Action items due in the period, and those still open from before.
    pub actions: Vec<ActionRow>,
    pub sources: Vec<String>,
    pub demo: bool,
    pub confidentiality: String,
}

fn rank(s: Status) -> Option<u8> {
    match s {
        Status::OnTrack => Some(0),
        Status::AtRisk => Some(1),
        Status::Missed => Some(2),
        Status::NoData => None,
    }
}

fn quarter_name(m: YearMonth) -> String {
    format!("{}. Quartal {}", m.month().div_ceil(3), m.year())
}

/// The report for `period` from the agreement assessed at each of `period.columns()` (in that
/// order; the last one is the end of the period).
pub fn period_report(
    period: Period,
    states: &[AgreementState<'_>],
    values: &[CurrentValue],
    comments: &[ValueComment],
    actions: &[ActionItem],
    audience: Audience,
    created: chrono::NaiveDate,
) -> PeriodReport {
    let last = states
        .last()
        .expect("a period has at least one quarter end");
    let agreement = last.agreement;
    let year = agreement.year;
    let end = last.as_of;
    // The decision of the period's last month covers every month printed here.
    let disclosure = match audience {
        Audience::Internal => Disclosure::default(),
        Audience::Public => Disclosure::of(last),
    };
    let cell = |g: &GoalState<'_>| {
        let asm = &g.assessment;
        let hidden = disclosure.hidden(&g.goal.key);
        PeriodCell {
            status: asm.status.label_de().into(),
            status_key: asm.status.css().into(),
            value: match (asm.month, present::shown_actual(g, year)) {
                (Some(m), _) if hidden.contains(&m) => "*".into(),
                (_, Some(v)) => value_text(g.indicator, v),
                _ => "–".into(),
            },
        }
    };
    let mut improved = 0;
    let mut worse = 0;
    let rows: Vec<PeriodRow> = last
        .goals
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let cells = states
                .iter()
                .filter_map(|s| s.goals.get(i))
                .map(cell)
                .collect();
            let development = match states.len().checked_sub(2).and_then(|p| states.get(p)) {
                Some(before) => match (
                    before.goals.get(i).and_then(|b| rank(b.assessment.status)),
                    rank(g.assessment.status),
                ) {
                    (Some(a), Some(b)) if b < a => {
                        improved += 1;
                        "verbessert".to_owned()
                    }
                    (Some(a), Some(b)) if b > a => {
                        worse += 1;
                        "verschlechtert".to_owned()
                    }
                    (Some(_), Some(_)) => "unverändert".to_owned(),
                    _ => String::new(),
                },
                None => String::new(),
            };
            let hidden = disclosure.hidden(&g.goal.key);
            let outcome = match period {
                Period::Year => match g.assessment.status {
                    Status::OnTrack => "erreicht".to_owned(),
                    Status::AtRisk => "knapp verfehlt (innerhalb der Toleranz)".to_owned(),
                    Status::Missed => "verfehlt".to_owned(),
                    Status::NoData => "ohne Werte".to_owned(),
                },
                Period::Quarter(_) => {
                    let (forecast, probability) = present::year_end_columns(g, end, "");
                    match probability.as_str() {
                        "" => forecast,
                        p if p.ends_with('%') => {
                            format!("{forecast}\nZiel mit {p} Wahrscheinlichkeit erreicht")
                        }
                        p => format!("{forecast}\n{p}"),
                    }
                }
            };
            PeriodRow {
                area: agreement
                    .area(&g.goal.area)
                    .map(|a| a.title.clone())
                    .unwrap_or_default(),
                title: g.goal.title.clone(),
                responsible: g.goal.responsible.label_de().into(),
                target: present::target_text(g.goal, g.indicator),
                cells,
                development,
                outcome,
                reason: public_reason(g, &hidden),
                comments: present::goal_comments(
                    g,
                    comments,
                    year,
                    end,
                    audience == Audience::Internal,
                ),
            }
        })
        .collect();
    let count = |s: Status| {
        last.goals
            .iter()
            .filter(|g| g.assessment.status == s)
            .count()
    };
    let total = counted(last.goals.len(), "Ziel", "Ziele");
    let summary = match period {
        Period::Year => format!(
            "Ergebnis {year}: {total}, davon {} erreicht, {} knapp verfehlt (innerhalb der Toleranz), {} verfehlt und {} ohne Werte.",
            count(Status::OnTrack),
            count(Status::AtRisk),
            count(Status::Missed),
            count(Status::NoData),
        ),
        Period::Quarter(_) => {
            let mut s = format!(
                "Stand {}: {total}, davon {} im Plan, {} gefährdet, {} verfehlt und {} noch ohne Werte.",
                end.german_long(),
                count(Status::OnTrack),
                count(Status::AtRisk),
                count(Status::Missed),
                count(Status::NoData),
            );
            if states.len() > 1 {
                s.push_str(&format!(
                    " Gegenüber dem Vorquartal: {} verbessert, {} verschlechtert.",
                    counted(improved, "Ziel", "Ziele"),
                    worse
                ));
            }
            s
        }
    };
    let (first, last_day) = (period.first_month(year), end);
    let in_period = |a: &&ActionItem| {
        let due = YearMonth::new(
            chrono::Datelike::year(&a.due),
            chrono::Datelike::month(&a.due),
        )
        .ok();
        due.is_some_and(|m| m >= first && m <= last_day)
            || (a.status.is_open() && due < Some(first))
    };
    let mut listed: Vec<&ActionItem> = actions.iter().filter(in_period).collect();
    listed.sort_by_key(|a| a.due);
    let done = listed.iter().filter(|a| !a.status.is_open()).count();
    let open = listed.len() - done;
    let action_rows = listed
        .iter()
        .map(|a| ActionRow::of(a, agreement, audience, created))
        .collect();
    let (demo, sources) = present::sources(values);
    let (kind, title) = match period {
        Period::Quarter(_) => (
            "Quartalsbericht",
            format!("Quartalsbericht {}", quarter_name(end)),
        ),
        Period::Year => ("Jahresbericht", format!("Jahresbericht {year}")),
    };
    PeriodReport {
        kind: kind.into(),
        title,
        agreement_title: agreement.title.clone(),
        jobcenter: agreement.jobcenter.name.clone(),
        period: format!(
            "{} bis {}",
            first.german_long().split(' ').next().unwrap_or_default(),
            end.german_long()
        ),
        created: present::date_de(created),
        audience: match audience {
            Audience::Internal => "intern",
            Audience::Public => "öffentlich",
        }
        .into(),
        summary,
        columns: states.iter().map(|s| s.as_of.german_long()).collect(),
        outcome_heading: match period {
            Period::Quarter(_) => "Prognose für das Jahresende".into(),
            Period::Year => "Ergebnis des Jahres".into(),
        },
        rows,
        actions_note: match listed.len() {
            0 => {
                "Im Berichtszeitraum war keine Aufgabe aus den Steuerungsgesprächen fällig.".into()
            }
            n => format!(
                "{} aus den Steuerungsgesprächen im Berichtszeitraum: {done} erledigt oder verworfen, {open} offen.",
                counted(n, "Aufgabe", "Aufgaben")
            ),
        },
        actions: action_rows,
        sources,
        demo,
        confidentiality: confidentiality_note(audience, &disclosure),
    }
}
