//! Target proposals for a goal being negotiated: target values with the probability of reaching
//! each under the goal's year-end forecast, and the monthly trajectory a year-end target implies.
//! They are offered on the goal editor; nothing is set until a person chooses and saves one.

use zielwerk_domain::{Accumulation, Direction, Target, Unit, YearMonth};
use zielwerk_forecast::targets::{self, Proposal, Trajectory};

use crate::AppError;
use crate::reads::Assessed;

/// What the editor offers for a goal.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetProposals {
    /// The proposals, most likely first; empty when there are none (see `unavailable`).
    pub proposals: Vec<Proposal>,
    /// What the proposals are based on, in German: the forecast, its month and history, its
    /// method; or why there are none.
    pub basis: String,
    /// Why there are no proposals (milestone, goal without direction, no forecast).
    pub unavailable: Option<String>,
    /// The monthly trajectory the goal's year target (`for_target`) implies, with the series'
    /// own seasonal pattern.
    pub trajectory: Option<Trajectory>,
    /// The year target the trajectory leads to.
    pub for_target: Option<f64>,
    /// How the trajectory was made, in German.
    pub trajectory_basis: String,
    /// Where each proposal would stand in the comparison group's latest published year (same
    /// order as `proposals`), and the group's spread in words; `None` where the indicator has
    /// no published statistic or the Kreis no group.
    pub group: Option<GroupReference>,
}

/// A proposal set against the comparison group.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupReference {
    /// "Vergleichsgruppe 2022, Leistungen für Unterkunft je Bedarfsgemeinschaft und Monat
    /// (11 Kreise einschließlich Mettmann): unteres Quartil …, Median …, oberes Quartil …;
    /// Mettmann …."
    pub sentence: String,
    /// The column heading: "Vergleichsgruppe 2022".
    pub heading: String,
    /// Per proposal: "im günstigsten Viertel", "günstiger als der Median", …
    pub positions: Vec<String>,
}

/// Where `v` stands among a group with quartiles `q1 ≤ median ≤ q3`, seen in the indicator's
/// direction.
pub fn position_in_group(
    v: f64,
    (q1, median, q3): (f64, f64, f64),
    direction: Direction,
) -> &'static str {
    // Measured so that smaller is better.
    let (v, q1, median, q3) = match direction {
        Direction::Higher => (-v, -q3, -median, -q1),
        _ => (v, q1, median, q3),
    };
    if v <= q1 {
        "im günstigsten Viertel"
    } else if v <= median {
        "günstiger als der Median"
    } else if v <= q3 {
        "ungünstiger als der Median"
    } else {
        "im ungünstigsten Viertel"
    }
}

fn group_reference(
    b: &crate::regions::Benchmark,
    own: &zielwerk_domain::Indicator,
    proposals: &[Proposal],
) -> Option<GroupReference> {
    let y = b.years.iter().find(|y| y.year == b.year)?;
    let (q1, median, q3, n) = y.group?;
    // The group's figures are in the statistic's unit; a goal measured otherwise is not
    // placed among them.
    if b.statistic.unit != own.unit || own.direction == Direction::Neutral {
        return None;
    }
    let text = |v| crate::regions::value_de(&b.statistic, v);
    let kreise = if n == 1 { "Kreis" } else { "Kreise" };
    let own_value = y
        .own
        .map(|v| format!("; {} {}", b.kreis.name, text(v)))
        .unwrap_or_default();
    Some(GroupReference {
        sentence: format!(
            "Vergleichsgruppe {}, {} ({n} {kreise} einschließlich {}): unteres Quartil {}, Median {}, oberes Quartil {}{own_value}.",
            b.year,
            b.statistic.name,
            b.kreis.name,
            text(q1),
            text(median),
            text(q3),
        ),
        heading: format!("Vergleichsgruppe {}", b.year),
        positions: proposals
            .iter()
            .map(|p| position_in_group(p.value, (q1, median, q3), own.direction).to_owned())
            .collect(),
    })
}

/// The precision a value of `unit` is shown at (step and decimals): proposals are not finer than
/// what the page prints.
pub fn shown_step(unit: Unit, v: f64) -> (f64, u32) {
    match unit {
        Unit::Percent | Unit::Days => (0.1, 1),
        Unit::Euro if v.abs() >= 100_000.0 => (1.0, 0),
        Unit::Euro => (0.01, 2),
        Unit::Count | Unit::Milestone => (1.0, 0),
    }
}

/// The proposals for the goal `goal` of an assessed agreement at its reporting month, and the
/// trajectory of `target` (the year target the person is looking at, or the stored one). CPU
/// work (a forecast may have to be made): run it through [`crate::compute::blocking`].
pub fn target_proposals(
    a: &Assessed,
    goal: &str,
    target: Option<f64>,
) -> Result<TargetProposals, AppError> {
    let found = crate::agreements::find_goal(a.agreement(), goal)?
        .key
        .clone();
    let st = a.snapshot.at(a.as_of);
    let g = st
        .goals
        .iter()
        .find(|g| g.goal.key == found)
        .ok_or_else(|| AppError::Internal(format!("goal {found} not assessed")))?;
    let ind = g.indicator;
    let year = a.agreement().year;
    let what = match ind.accumulation {
        Accumulation::Flow => format!("die Summe {year}"),
        Accumulation::Stock => format!("Dezember {year}"),
    };
    let stored_target = g
        .target_path
        .iter()
        .rev()
        .find(|(m, _)| m.month() == 12)
        .map(|(_, t)| *t);
    let mut out = TargetProposals {
        proposals: Vec::new(),
        basis: String::new(),
        unavailable: None,
        trajectory: None,
        for_target: None,
        trajectory_basis: String::new(),
        group: None,
    };
    if matches!(g.goal.target, Target::Milestone { .. }) {
        out.unavailable =
            Some("Für Meilensteine gibt es keine Vorschläge aus der Prognose.".into());
        return Ok(out);
    }
    let (step, decimals) = shown_step(ind.unit, stored_target.unwrap_or(0.0));
    match zielwerk_report::present::year_end(g, a.as_of) {
        None => out.unavailable = Some("Für dieses Ziel gibt es keine Prognose.".into()),
        Some(Err(e)) => out.unavailable = Some(format!("Keine Vorschläge: {e}.")),
        Some(Ok(y)) if y.method.is_none() => {
            out.unavailable = Some(format!(
                "Der Wert für {what} liegt schon vor; Vorschläge gibt es nur für ein Jahr, das noch aussteht."
            ));
        }
        Some(Ok(y)) if ind.direction == Direction::Neutral => {
            out.unavailable = Some(
                "Das Ziel hat keine Richtung (ein Korridor um den Zielwert); Vorschläge gibt es nur für Ziele, die einen Wert senken oder erhöhen."
                    .into(),
            );
            out.basis = forecast_basis(ind, &what, &y);
        }
        Some(Ok(y)) => {
            out.proposals = targets::proposals(&y, ind.direction, step);
            out.basis = forecast_basis(ind, &what, &y);
            out.group = a
                .snapshot
                .loaded
                .benchmarks
                .get(&ind.code)
                .and_then(|b| group_reference(b, ind, &out.proposals));
        }
    }
    let chosen = target.or(stored_target);
    if let Some(t) = chosen {
        let history: Vec<(YearMonth, f64)> = g.series.iter().map(|(m, p)| (*m, p.value)).collect();
        out.trajectory = targets::implied_trajectory(&history, ind.accumulation, year, t, decimals);
        out.for_target = Some(t);
        out.trajectory_basis = match &out.trajectory {
            None => "Für einen Zielpfad fehlt ein Wert vor dem Vereinbarungsjahr.".into(),
            Some(tr) => trajectory_basis(ind, tr),
        };
    }
    Ok(out)
}

fn forecast_basis(
    ind: &zielwerk_domain::Indicator,
    what: &str,
    y: &zielwerk_forecast::YearEnd,
) -> String {
    let text = |v| zielwerk_report::present::value_text(ind, v);
    let last = y
        .path
        .last()
        .and_then(|(dec, ..)| dec.plus(-(y.horizon as i32)))
        .map(|m| m.german_long())
        .unwrap_or_default();
    format!(
        "Aus der Prognose für {what}: {} (80-%-Intervall {} bis {}), berechnet aus den Werten bis {last}. {}",
        text(y.point),
        text(y.lower),
        text(y.upper),
        y.method
            .as_ref()
            .map(|m| m.sentence.as_str())
            .unwrap_or_default()
    )
}

fn trajectory_basis(ind: &zielwerk_domain::Indicator, t: &Trajectory) -> String {
    let years = match t.pattern_years.as_slice() {
        [] => None,
        [one] => Some(format!("des Jahres {one}")),
        [first, .., last] => Some(format!("der Jahre {first} bis {last}")),
    };
    match (ind.accumulation, years) {
        (Accumulation::Flow, Some(y)) => format!(
            "Jeder Monat mit seinem durchschnittlichen Anteil an der Jahressumme {y}; die zwölf Monatswerte ergeben zusammen den Jahreszielwert."
        ),
        (Accumulation::Flow, None) => "Gleichmäßig auf die zwölf Monate verteilt (kein vollständiges Vorjahr in der Reihe); zusammen ergeben sie den Jahreszielwert.".into(),
        (Accumulation::Stock, years) => {
            let from = t
                .start
                .map(|(m, v)| {
                    format!(
                        "{} ({})",
                        m.german_long(),
                        zielwerk_report::present::value_text(ind, v)
                    )
                })
                .unwrap_or_default();
            match years {
                Some(y) => format!(
                    "Eine gerade Linie vom Stand {from} zum Jahreszielwert im Dezember, dazu die übliche Abweichung jedes Monats von einer solchen Linie {y}."
                ),
                None => format!(
                    "Eine gerade Linie vom Stand {from} zum Jahreszielwert im Dezember (kein vollständiges Vorjahr für ein Saisonmuster)."
                ),
            }
        }
    }
}
