//! Changing and signing an agreement, and the audit trail: the goal editor (guarded by the
//! goal's revision), the signing page with the differences a Nachtrag makes, and the trail per
//! agreement and per goal.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect};
use zielwerk_domain::nachtrag::{Difference, target_text, tolerance_text};
use zielwerk_domain::{
    Action, Agreement, AgreementStatus, Goal, Measure, Target, Tolerance, Unit, YearMonth,
};
use zielwerk_store::AuditEvent;

use super::{
    Head, PageResult, agreement_for, date_field, field, head, html, stored_agreement, today,
};
use crate::AppState;
use crate::auth::Session;
use crate::error::WebError;
use crate::paths;
use zielwerk_app::AppError;
use zielwerk_app::agreements::{EditGoal, EditMeasure, goal_problems, measure_problems};

fn find_goal<'a>(a: &'a Agreement, goal: &str) -> Result<&'a Goal, WebError> {
    Ok(zielwerk_app::agreements::find_goal(a, goal)?)
}

// ----- Goal editor ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "goal_edit.html")]
struct GoalEditPage {
    head: Head,
    goal_url: String,
    action_url: String,
    /// The confirmation page for removing the goal.
    remove_url: String,
    goal_title: String,
    /// The values in the form: what is stored, or what the user typed.
    title: String,
    description: String,
    /// (key, title, chosen) of the agreement's areas.
    areas: Vec<(String, String, bool)>,
    /// (code, name, chosen) of the agreement's indicators.
    indicators: Vec<(String, String, bool)>,
    /// (token, label, chosen) of the parties the goal may be given to.
    parties: Vec<(&'static str, &'static str, bool)>,
    /// How the chosen indicator counts: unit and direction, in words.
    indicator_facts: String,
    target_label: &'static str,
    target: String,
    /// Annual values and milestones are one field; a monthly trajectory is `months`.
    target_editable: bool,
    /// The form token of the target's kind, and the other kind it may switch to: (token, link
    /// text, URL); none for a milestone.
    target_kind: &'static str,
    switch_kind: Option<(&'static str, String)>,
    /// Set when the kind shown is not the stored one.
    switched_from: Option<&'static str>,
    /// The twelve fields of a monthly trajectory (empty for other targets).
    months: Vec<MonthField>,
    /// What was pasted into the row field (kept on a refusal).
    pasted: String,
    tolerance_label: String,
    tolerance: String,
    revision: i64,
    problems: Vec<String>,
    /// Set after a conflict: what is stored now.
    conflict: Option<(String, Vec<(String, String)>)>,
    voids_signatures: bool,
    /// Set when the target field holds a proposal taken over from the forecast.
    adopted: Option<String>,
    proposals: Option<ProposalsView>,
}

/// One month of a monthly trajectory in the editor.
struct MonthField {
    name: String,
    label: String,
    value: String,
}

/// The field names and labels of the twelve months of `year`.
fn month_names(year: i32) -> Vec<(YearMonth, String, String)> {
    YearMonth::year_bounds(year)
        .map(|(jan, dec)| {
            jan.through(dec)
                .map(|m| (m, format!("monat-{:02}", m.month()), m.german_long()))
                .collect()
        })
        .unwrap_or_default()
}

/// Decimals a value of the goal's indicator is entered with: as the page shows it.
fn input_decimals(a: &Agreement, g: &Goal) -> usize {
    let unit = a.indicator(&g.indicator).map_or(Unit::Count, |i| i.unit);
    zielwerk_app::proposals::shown_step(unit, 0.0).1 as usize
}

/// The proposals from the forecast, as the editor shows them.
struct ProposalsView {
    items: Vec<ProposalItem>,
    basis: String,
    unavailable: Option<String>,
    /// The year target the trajectory is for, formatted.
    trajectory_for: Option<String>,
    /// Month (short German) and value of the implied trajectory.
    trajectory: Vec<(String, String)>,
    trajectory_basis: String,
    /// The column heading and the sentence on the comparison group, where there is one.
    group: Option<(String, String)>,
}

struct ProposalItem {
    value: String,
    probability: String,
    /// Where the value would stand in the comparison group; empty without one.
    in_group: String,
    /// The editor with this value in the target field (nothing saved).
    adopt_url: String,
}

fn target_input(t: &Target) -> (&'static str, String, bool) {
    match t {
        Target::Annual { value } => (
            "Jahreszielwert",
            zielwerk_domain::format::number(*value, 2),
            true,
        ),
        Target::Milestone { due } => (
            "Meilenstein fällig am (TT.MM.JJJJ)",
            due.format("%d.%m.%Y").to_string(),
            true,
        ),
        Target::Monthly { .. } => ("Monatlicher Zielpfad", target_text(t), false),
    }
}

fn tolerance_input(t: &Tolerance) -> (String, String) {
    match t {
        Tolerance::Absolute { value } => (
            "Toleranz (in der Einheit der Kennzahl)".into(),
            zielwerk_domain::format::number(*value, 2),
        ),
        Tolerance::Relative { percent } => (
            "Toleranz (in Prozent des Zielwerts)".into(),
            zielwerk_domain::format::number(*percent, 2),
        ),
        Tolerance::Days { days } => ("Vorlauf in Tagen".into(), days.to_string()),
    }
}

/// The edit rule for a goal (`zielwerk_app::access::may_edit`).
fn may_edit(session: &Session, a: &Agreement, g: &Goal) -> Result<(), WebError> {
    Ok(zielwerk_app::access::may_edit(
        &session.principal,
        a,
        g.responsible,
        || format!("Das Ziel „{}“ gibt es nicht.", g.key),
    )?)
}

#[allow(clippy::too_many_arguments)]
async fn edit_page(
    state: &AppState,
    session: &Session,
    a: &Agreement,
    g: &Goal,
    typed: Option<(&[(String, String)], i64)>,
    adopt: Option<f64>,
    problems: Vec<String>,
    conflict: Option<(String, Vec<(String, String)>)>,
) -> Result<GoalEditPage, WebError> {
    let (target_label, target, target_editable) = target_input(&g.target);
    let (tolerance_label, tolerance) = tolerance_input(&g.tolerance);
    let stored_revision = state
        .store
        .goal_revision(&a.key(), g.key.as_str())
        .await?
        .unwrap_or_default();
    let signed = state.store.signatures(&a.key()).await?;
    let decimals = input_decimals(a, g);
    let months = match &g.target {
        Target::Monthly { values } => month_names(a.year)
            .into_iter()
            .map(|(m, name, label)| MonthField {
                name,
                label,
                value: values
                    .get(&m)
                    .map(|v| zielwerk_domain::format::number(*v, decimals))
                    .unwrap_or_default(),
            })
            .collect(),
        _ => Vec::new(),
    };
    let mut page = GoalEditPage {
        head: head(a, &[]),
        goal_url: paths::Goal::url(a.key(), &g.key),
        action_url: paths::EditGoal::url(a.key(), &g.key),
        remove_url: paths::RemoveGoal::url(a.key(), &g.key),
        goal_title: g.title.clone(),
        title: g.title.clone(),
        description: g.description.clone(),
        areas: Vec::new(),
        indicators: Vec::new(),
        parties: Vec::new(),
        indicator_facts: String::new(),
        target_label,
        target,
        target_editable,
        target_kind: target_kind(&g.target),
        switch_kind: match &g.target {
            Target::Annual { .. } => Some((
                "Monatlichen Zielpfad vereinbaren",
                format!("{}?zielart=zielpfad", paths::EditGoal::url(a.key(), &g.key)),
            )),
            Target::Monthly { .. } => Some((
                "Nur einen Jahreszielwert vereinbaren",
                format!(
                    "{}?zielart=jahreswert",
                    paths::EditGoal::url(a.key(), &g.key)
                ),
            )),
            Target::Milestone { .. } => None,
        },
        switched_from: a
            .goal(&g.key)
            .filter(|stored| target_kind(&stored.target) != target_kind(&g.target))
            .map(|stored| match stored.target {
                Target::Annual { .. } => "Jahreszielwert",
                Target::Monthly { .. } => "monatlicher Zielpfad",
                Target::Milestone { .. } => "Meilenstein",
            }),
        months,
        pasted: String::new(),
        tolerance_label,
        tolerance,
        revision: stored_revision,
        problems,
        conflict,
        voids_signatures: !signed.is_empty(),
        adopted: None,
        proposals: None,
    };
    if let Some((fields, revision)) = typed {
        page.title = field(fields, "titel").to_owned();
        page.description = field(fields, "beschreibung").to_owned();
        if target_editable {
            page.target = field(fields, "ziel").to_owned();
        }
        for m in &mut page.months {
            m.value = field(fields, &m.name).to_owned();
        }
        page.pasted = field(fields, "zeile").to_owned();
        page.tolerance = field(fields, "toleranz").to_owned();
        page.revision = revision;
    }
    // What a select shows chosen: what the user sent, else what is stored.
    let current = |name: &str, stored: String| match typed {
        Some((fields, _)) if !field(fields, name).is_empty() => field(fields, name).to_owned(),
        _ => stored,
    };
    let area = current("bereich", g.area.to_string());
    page.areas = a
        .areas
        .iter()
        .map(|x| (x.key.to_string(), x.title.clone(), x.key.as_str() == area))
        .collect();
    let code = current("kennzahl", g.indicator.to_string());
    page.indicators = a
        .indicators
        .iter()
        .map(|i| {
            let name = format!("{} ({})", i.name, i.code);
            (i.code.to_string(), name, i.code.as_str() == code)
        })
        .collect();
    let party = current("verantwortlich", g.responsible.as_str().to_owned());
    let mut parties = zielwerk_app::agreements::editable_parties(&session.principal, a);
    if !parties.contains(&g.responsible) {
        parties.insert(0, g.responsible);
    }
    page.parties = zielwerk_domain::PartyRole::ALL
        .into_iter()
        .filter(|r| parties.contains(r))
        .map(|r| (r.as_str(), r.label_de(), r.as_str() == party))
        .collect();
    if let Some(i) = a.indicator(&g.indicator) {
        page.indicator_facts = format!(
            "Die Kennzahl „{}“ zählt in {}; {}. Einheit und Richtung ändern Sie bei der Kennzahl.",
            i.name,
            i.unit.label_de(),
            i.direction.label_de()
        );
    }
    use zielwerk_ingest::german::{DecimalStyle, parse_number};
    // The year target the trajectory is shown for: a proposal being taken over, or what the
    // form holds (December of a monthly trajectory).
    let in_form = match &g.target {
        Target::Annual { .. } => parse_number(&page.target, DecimalStyle::Comma).ok(),
        Target::Monthly { .. } => page
            .months
            .last()
            .and_then(|m| parse_number(&m.value, DecimalStyle::Comma).ok()),
        Target::Milestone { .. } => None,
    };
    let (view, trajectory) = proposals_view(state, session, a, g, adopt.or(in_form)).await?;
    page.proposals = view;
    if let Some(v) = adopt {
        match &g.target {
            Target::Annual { .. } => {
                page.target = zielwerk_domain::format::number(v, 2);
                page.adopted = Some(format!("Vorschlag {} in das Feld übernommen", page.target));
            }
            Target::Monthly { .. } if !trajectory.is_empty() => {
                for m in &mut page.months {
                    m.value = trajectory
                        .iter()
                        .find(|(month, _)| format!("monat-{:02}", month.month()) == m.name)
                        .map(|(_, v)| zielwerk_domain::format::number(*v, decimals))
                        .unwrap_or_default();
                }
                page.adopted = Some(format!(
                    "Zielpfad zum Vorschlag {} in die Monatsfelder übernommen",
                    zielwerk_domain::format::number(v, decimals)
                ));
            }
            _ => {}
        }
    }
    Ok(page)
}

/// The proposals for the goal and the trajectory of the year target `typed` (or the stored one),
/// with the trajectory's values.
async fn proposals_view(
    state: &AppState,
    session: &Session,
    a: &Agreement,
    g: &Goal,
    typed: Option<f64>,
) -> Result<(Option<ProposalsView>, Vec<(YearMonth, f64)>), WebError> {
    let id = a.key().to_string();
    let assessed = zielwerk_app::reads::assessed(
        &state.assessments,
        &session.principal,
        &id,
        None,
        state.time_limits.assessment,
    )
    .await?;
    let goal = g.key.to_string();
    let code = g.indicator.clone();
    let edit_url = paths::EditGoal::url(a.key(), &g.key);
    super::blocking(move || {
        let p = zielwerk_app::proposals::target_proposals(&assessed, &goal, typed)?;
        let ind = assessed
            .agreement()
            .indicator(&code)
            .cloned()
            .ok_or_else(|| AppError::Internal(format!("Ziel {goal}: Kennzahl fehlt")))?;
        let text = |v: f64| zielwerk_report::present::value_text(&ind, v);
        let values: Vec<(YearMonth, f64)> = p
            .trajectory
            .iter()
            .flat_map(|t| t.values.iter().map(|(m, v)| (*m, *v)))
            .collect();
        let view = ProposalsView {
            items: p
                .proposals
                .iter()
                .enumerate()
                .map(|(i, x)| ProposalItem {
                    in_group: p
                        .group
                        .as_ref()
                        .and_then(|g| g.positions.get(i).cloned())
                        .unwrap_or_default(),
                    value: text(x.value),
                    probability: format!(
                        "{}\u{a0}%",
                        zielwerk_domain::format::number(x.probability * 100.0, 0)
                    ),
                    adopt_url: format!("{edit_url}?vorschlag={}", plain(x.value)),
                })
                .collect(),
            basis: p.basis,
            unavailable: p.unavailable,
            trajectory_for: p.for_target.map(text),
            trajectory: p
                .trajectory
                .iter()
                .flat_map(|t| t.values.iter())
                .map(|(m, v)| (m.german_short(), text(*v)))
                .collect(),
            group: p
                .group
                .as_ref()
                .map(|g| (g.heading.clone(), g.sentence.clone())),
            trajectory_basis: p.trajectory_basis,
        };
        Ok::<_, WebError>((Some(view), values))
    })
    .await
}

/// A number as a URL carries it: a point, no more than two decimals, no trailing zeros.
fn plain(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[derive(serde::Deserialize)]
pub struct AdoptQuery {
    /// A proposal to put into the target field, as a plain number.
    vorschlag: Option<String>,
    /// Another kind of target for the goal: `jahreswert` or `zielpfad`.
    zielart: Option<String>,
}

/// The form's token of a target's kind.
fn target_kind(t: &Target) -> &'static str {
    match t {
        Target::Annual { .. } => "jahreswert",
        Target::Monthly { .. } => "zielpfad",
        Target::Milestone { .. } => "meilenstein",
    }
}

/// `g` with a target of the kind `kind` (a form token), carried over from the one it has: an
/// annual value becomes the December of a trajectory, a trajectory's December the annual
/// value. A milestone stays one (its indicator says so), as does an unknown token.
fn with_target_kind(g: &Goal, kind: &str, year: i32) -> Goal {
    let mut g = g.clone();
    let december = YearMonth::new(year, 12).expect("December");
    g.target = match (&g.target, kind) {
        (Target::Annual { value }, "zielpfad") => Target::Monthly {
            values: [(december, *value)].into_iter().collect(),
        },
        (Target::Monthly { values }, "jahreswert") => Target::Annual {
            value: values
                .get(&december)
                .or_else(|| values.values().last())
                .copied()
                .unwrap_or_default(),
        },
        (t, _) => t.clone(),
    };
    g
}

pub async fn edit_goal_form(
    State(state): State<AppState>,
    session: Session,
    Path((id, goal)): Path<(String, String)>,
    axum::extract::Query(q): axum::extract::Query<AdoptQuery>,
) -> PageResult {
    let k = agreement_for(&session, &id, Action::ReadInternal)?;
    let a = stored_agreement(&state, &k).await?;
    let stored = find_goal(&a, &goal)?;
    may_edit(&session, &a, stored)?;
    let switched = q
        .zielart
        .as_deref()
        .map(|k| with_target_kind(stored, k, a.year));
    let g = switched.as_ref().unwrap_or(stored);
    let adopt = match q.vorschlag.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(
            raw.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    WebError::BadRequest(format!(
                        "Parameter „vorschlag“: „{raw}“ ist keine Zahl (erwartet z. B. 17700 oder 6.5)"
                    ))
                })?,
        ),
    };
    html(&edit_page(&state, &session, &a, g, None, adopt, Vec::new(), None).await?)
}

/// Reads the goal form onto `g`: the target and tolerance typed in German notation. Problems of
/// reading name their field; what may be saved is the app core's to say
/// (`zielwerk_app::agreements::goal_problems`).
fn read_goal_form(
    a: &Agreement,
    g: &Goal,
    fields: &[(String, String)],
) -> (Goal, Option<i64>, Vec<String>) {
    let mut problems = Vec::new();
    let mut new = g.clone();
    new.title = field(fields, "titel").to_owned();
    new.description = field(fields, "beschreibung").replace("\r\n", "\n");
    if let Ok(k) = field(fields, "bereich").parse() {
        new.area = k;
    }
    if let Ok(c) = field(fields, "kennzahl").parse() {
        new.indicator = c;
    }
    // A field the form did not send (a page from before it had one) keeps what is stored.
    match field(fields, "verantwortlich") {
        "" => {}
        token => match zielwerk_domain::PartyRole::ALL
            .into_iter()
            .find(|r| r.as_str() == token)
        {
            Some(r) => new.responsible = r,
            None => problems.push("Feld „Verantwortlich“: bitte eine Partei wählen".into()),
        },
    }
    let number = |label: &str, raw: &str, problems: &mut Vec<String>| {
        use zielwerk_ingest::german::{DecimalStyle, parse_number};
        parse_number(raw, DecimalStyle::Comma)
            .map_err(|e| problems.push(format!("Feld „{label}“: {e}")))
            .ok()
    };
    match &g.target {
        Target::Annual { .. } => {
            if let Some(v) = number("Jahreszielwert", field(fields, "ziel"), &mut problems) {
                new.target = Target::Annual { value: v };
            }
        }
        Target::Milestone { .. } => {
            match date_field("Meilenstein fällig am", field(fields, "ziel")) {
                Ok(due) => new.target = Target::Milestone { due },
                Err(e) => problems.push(e),
            }
        }
        Target::Monthly { .. } => {
            if let Some(values) = read_trajectory(a.year, fields, &mut problems) {
                new.target = Target::Monthly { values };
            }
        }
    }
    let raw = field(fields, "toleranz");
    new.tolerance = match g.tolerance {
        Tolerance::Days { .. } => match raw.parse::<u32>() {
            Ok(days) => Tolerance::Days { days },
            Err(_) => {
                problems.push(format!(
                    "Feld „Vorlauf in Tagen“: „{raw}“ ist keine ganze Zahl"
                ));
                g.tolerance
            }
        },
        Tolerance::Absolute { .. } => number("Toleranz", raw, &mut problems)
            .map(|value| Tolerance::Absolute { value })
            .unwrap_or(g.tolerance),
        Tolerance::Relative { .. } => number("Toleranz", raw, &mut problems)
            .map(|percent| Tolerance::Relative { percent })
            .unwrap_or(g.tolerance),
    };
    let revision = field(fields, "revision").parse::<i64>().ok();
    if revision.is_none() {
        problems.push("Die Bearbeitungsnummer fehlt; laden Sie die Seite neu".into());
    }
    (new, revision, problems)
}

/// The monthly trajectory of the form: a pasted row of twelve values (from Excel: tab-separated)
/// when there is one, else the twelve month fields; an empty month has no target.
fn read_trajectory(
    year: i32,
    fields: &[(String, String)],
    problems: &mut Vec<String>,
) -> Option<std::collections::BTreeMap<YearMonth, f64>> {
    use zielwerk_ingest::german::{DecimalStyle, parse_number, parse_row};
    let months = month_names(year);
    let pasted = field(fields, "zeile");
    let cells: Vec<Option<f64>> = if pasted.trim().is_empty() {
        let mut cells = Vec::new();
        for (_, name, label) in &months {
            let raw = field(fields, name).trim();
            if raw.is_empty() {
                cells.push(None);
                continue;
            }
            match parse_number(raw, DecimalStyle::Comma) {
                Ok(v) => cells.push(Some(v)),
                Err(e) => problems.push(format!("Feld „Zielwert {label}“: {e}")),
            }
        }
        cells
    } else {
        const LABEL: &str = "Feld „Zeile aus der Tabelle einfügen“";
        match parse_row(pasted) {
            Err(e) => {
                problems.push(format!("{LABEL}: {e}"));
                return None;
            }
            Ok(cells) if cells.len() != months.len() => {
                problems.push(format!(
                    "{LABEL}: {} eingefügt; erwartet sind zwölf, Januar bis Dezember {year} (leere Zellen für Monate ohne Zielwert)",
                    match cells.len() {
                        1 => "ein Wert".to_owned(),
                        n => format!("{n} Werte"),
                    }
                ));
                return None;
            }
            Ok(cells) => cells,
        }
    };
    (cells.len() == months.len()).then(|| {
        months
            .iter()
            .zip(cells)
            .filter_map(|((m, ..), v)| Some((*m, v?)))
            .collect()
    })
}

pub async fn edit_goal(
    State(state): State<AppState>,
    session: Session,
    Path((id, goal)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let k = agreement_for(&session, &id, Action::ReadInternal)?;
    let a = stored_agreement(&state, &k).await?;
    let stored = find_goal(&a, &goal)?;
    may_edit(&session, &a, stored)?;
    // The kind of target the form was for (the editor can switch it before saving).
    let switched = with_target_kind(stored, field(&fields, "zielart"), a.year);
    let g = &switched;
    let typed_revision = field(&fields, "revision").parse().unwrap_or_default();
    let refused = |problems: Vec<String>| async {
        let typed = Some((fields.as_slice(), typed_revision));
        let page = edit_page(&state, &session, &a, g, typed, None, problems, None).await?;
        Ok::<_, WebError>((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
    };
    let (new, revision, mut problems) = read_goal_form(&a, g, &fields);
    let Some(revision) = revision.filter(|_| problems.is_empty()) else {
        // Every problem at once: those of reading the form and those of the rules.
        problems.extend(goal_problems(&a, &new).into_iter().map(|p| p.message));
        return refused(problems).await;
    };
    let edit = EditGoal {
        agreement: id.clone(),
        goal: goal.clone(),
        title: new.title,
        description: new.description,
        area: new.area.to_string(),
        indicator: new.indicator.to_string(),
        responsible: new.responsible,
        target: new.target,
        tolerance: new.tolerance,
        revision,
    };
    match zielwerk_app::agreements::edit_goal(&state.store, &session.principal, edit).await {
        Ok(_) => Ok(Redirect::to(&paths::Goal::url(&k, &g.key)).into_response()),
        Err(AppError::Invalid(problems)) => {
            refused(problems.into_iter().map(|p| p.message).collect()).await
        }
        Err(AppError::Conflict {
            message,
            kind: zielwerk_app::ConflictKind::Stale,
        }) => {
            // Nothing is lost: the page shows what the other person saved and keeps what this
            // user typed, with the current revision, so that saving again is a decision.
            let now = stored_agreement(&state, &k).await?;
            let stored = find_goal(&now, &goal)?;
            let theirs = vec![
                ("Titel".to_owned(), stored.title.clone()),
                ("Beschreibung".to_owned(), stored.description.clone()),
                (
                    "Zielbereich".to_owned(),
                    now.area(&stored.area)
                        .map(|x| x.title.clone())
                        .unwrap_or_default(),
                ),
                (
                    "Kennzahl".to_owned(),
                    now.indicator(&stored.indicator)
                        .map(|i| i.name.clone())
                        .unwrap_or_default(),
                ),
                (
                    "Verantwortlich".to_owned(),
                    stored.responsible.label_de().to_owned(),
                ),
                ("Zielwert".to_owned(), target_text(&stored.target)),
                ("Toleranz".to_owned(), tolerance_text(&stored.tolerance)),
            ];
            let mut page = edit_page(
                &state,
                &session,
                &now,
                stored,
                Some((&fields, typed_revision)),
                None,
                Vec::new(),
                Some((message, theirs)),
            )
            .await?;
            page.revision = state
                .store
                .goal_revision(&k, g.key.as_str())
                .await?
                .unwrap_or_default();
            Ok((StatusCode::CONFLICT, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

// ----- Handlungsansätze ------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "measure_edit.html")]
struct MeasureEditPage {
    head: Head,
    /// `None` while a new one is being added.
    key: Option<String>,
    heading: String,
    action_url: String,
    /// The fixed party of one being edited.
    responsible: &'static str,
    /// (token, label, chosen) of the parties a new one may be given to.
    parties: Vec<(&'static str, &'static str, bool)>,
    title: String,
    description: String,
    effect: String,
    start: String,
    end: String,
    /// (key, title, checked) of the agreement's goals.
    goals: Vec<(String, String, bool)>,
    revision: i64,
    /// (field, message); "" for the whole form.
    problems: Vec<(String, String)>,
    conflict: Option<String>,
}

impl MeasureEditPage {
    fn problem(&self, name: &str) -> Option<&str> {
        self.problems
            .iter()
            .find(|(f, _)| f == name)
            .map(|(_, m)| m.as_str())
    }
}

/// The field of the Handlungsansatz form a problem belongs to: its own field, or the last
/// segment of a path in the whole agreement in the form's words.
fn measure_field(p: zielwerk_app::Problem) -> (String, String) {
    let field = match p.field.rsplit('.').next().unwrap_or_default() {
        "title" => "titel",
        "description" => "beschreibung",
        "expected_effect" => "wirkung",
        "start" => "beginn",
        "end" => "ende",
        "goals" => "ziele",
        other => other,
    };
    (field.to_owned(), p.message)
}

fn find_measure<'a>(a: &'a Agreement, key: &str) -> Result<&'a Measure, WebError> {
    Ok(zielwerk_app::agreements::find_measure(a, key)?)
}

/// The edit rule for a Handlungsansatz (`zielwerk_app::access::may_edit`).
fn may_edit_measure(session: &Session, a: &Agreement, m: &Measure) -> Result<(), WebError> {
    Ok(zielwerk_app::access::may_edit(
        &session.principal,
        a,
        m.responsible,
        || format!("Den Handlungsansatz „{}“ gibt es nicht.", m.key),
    )?)
}

/// The goal checkboxes sent by the form; `None` when the form had none (a page from before it
/// had them: the stored goals stay).
fn sent_goals(fields: &[(String, String)]) -> Option<Vec<String>> {
    (field(fields, "ziele_gesendet") == "1").then(|| checked_goals(fields))
}

/// The goal checkboxes checked in the form.
fn checked_goals(fields: &[(String, String)]) -> Vec<String> {
    fields
        .iter()
        .filter(|(k, _)| k == "ziele")
        .map(|(_, v)| v.clone())
        .collect()
}

/// The form for the Handlungsansatz `m`, or for a new one (`None`), with what the user typed.
async fn measure_page(
    state: &AppState,
    session: &Session,
    a: &Agreement,
    m: Option<&Measure>,
    typed: Option<&[(String, String)]>,
    problems: Vec<(String, String)>,
    conflict: Option<String>,
) -> Result<MeasureEditPage, WebError> {
    let revision = match m {
        Some(m) => state
            .store
            .measure_revision(&a.key(), m.key.as_str())
            .await?
            .unwrap_or_default(),
        None => 0,
    };
    let linked: Vec<String> = typed.and_then(sent_goals).unwrap_or_else(|| {
        m.map(|m| m.goals.iter().map(|g| g.to_string()).collect())
            .unwrap_or_default()
    });
    let parties = zielwerk_app::agreements::editable_parties(&session.principal, a);
    let chosen = typed
        .map(|f| field(f, "verantwortlich").to_owned())
        .unwrap_or_else(|| {
            parties
                .first()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default()
        });
    let mut page = MeasureEditPage {
        head: head(a, &[]),
        key: m.map(|m| m.key.to_string()),
        heading: m.map_or_else(
            || "Handlungsansatz hinzufügen".into(),
            |m| format!("Handlungsansatz bearbeiten: {}", m.title),
        ),
        action_url: match m {
            Some(m) => paths::EditMeasure::url(a.key(), &m.key),
            None => paths::AddMeasure::url(a.key()),
        },
        responsible: m.map_or("", |m| m.responsible.label_de()),
        parties: parties
            .iter()
            .map(|p| (p.as_str(), p.label_de(), p.as_str() == chosen))
            .collect(),
        title: m.map(|m| m.title.clone()).unwrap_or_default(),
        description: m.map(|m| m.description.clone()).unwrap_or_default(),
        effect: m.map(|m| m.expected_effect.clone()).unwrap_or_default(),
        start: m.map_or_else(|| format!("{}-01", a.year), |m| m.start.to_string()),
        end: m.map_or_else(
            || format!("{}-12", a.year),
            |m| m.end.map(|e| e.to_string()).unwrap_or_default(),
        ),
        goals: a
            .goals
            .iter()
            .map(|g| {
                let on = linked.iter().any(|k| k == g.key.as_str());
                (g.key.to_string(), g.title.clone(), on)
            })
            .collect(),
        revision,
        problems,
        conflict,
    };
    if let Some(f) = typed {
        page.title = field(f, "titel").to_owned();
        page.description = field(f, "beschreibung").to_owned();
        page.effect = field(f, "wirkung").to_owned();
        page.start = field(f, "beginn").to_owned();
        page.end = field(f, "ende").to_owned();
    }
    Ok(page)
}

pub async fn edit_measure_form(
    State(state): State<AppState>,
    session: Session,
    Path((id, measure)): Path<(String, String)>,
) -> PageResult {
    let k = agreement_for(&session, &id, Action::ReadInternal)?;
    let a = stored_agreement(&state, &k).await?;
    let m = find_measure(&a, &measure)?;
    may_edit_measure(&session, &a, m)?;
    html(&measure_page(&state, &session, &a, Some(m), None, Vec::new(), None).await?)
}

/// The period of the Handlungsansatz form, typed as months; problems of reading name their field.
fn read_period(
    fields: &[(String, String)],
    problems: &mut Vec<(String, String)>,
) -> (Option<YearMonth>, Option<Option<YearMonth>>) {
    let start = field(fields, "beginn")
        .trim()
        .parse()
        .map_err(|e| problems.push(("beginn".into(), format!("Feld „Beginn“: {e}"))))
        .ok();
    let end = match field(fields, "ende").trim() {
        "" => Some(None),
        raw => raw
            .parse()
            .map(Some)
            .map_err(|e| problems.push(("ende".into(), format!("Feld „Ende“: {e}"))))
            .ok(),
    };
    (start, end)
}

/// Reads the Handlungsansatz form onto `m`. What may be saved is the app core's to say
/// (`zielwerk_app::agreements::measure_problems`).
fn read_measure_form(
    a: &Agreement,
    m: &Measure,
    fields: &[(String, String)],
) -> (Measure, Option<i64>, Vec<(String, String)>) {
    let mut problems = Vec::new();
    let mut new = m.clone();
    new.title = field(fields, "titel").to_owned();
    new.description = field(fields, "beschreibung").replace("\r\n", "\n");
    new.expected_effect = field(fields, "wirkung").replace("\r\n", "\n");
    let (start, end) = read_period(fields, &mut problems);
    new.start = start.unwrap_or(m.start);
    new.end = end.unwrap_or(m.end);
    if let Some(keys) = sent_goals(fields) {
        match zielwerk_app::agreements::measure_goals(a, &keys) {
            Ok(goals) => new.goals = goals,
            Err(p) => problems.push(measure_field(p)),
        }
    }
    let revision = field(fields, "revision").parse::<i64>().ok();
    if revision.is_none() {
        problems.push((
            String::new(),
            "Die Bearbeitungsnummer fehlt; laden Sie die Seite neu".into(),
        ));
    }
    (new, revision, problems)
}

pub async fn edit_measure(
    State(state): State<AppState>,
    session: Session,
    Path((id, measure)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let k = agreement_for(&session, &id, Action::ReadInternal)?;
    let a = stored_agreement(&state, &k).await?;
    let m = find_measure(&a, &measure)?;
    may_edit_measure(&session, &a, m)?;
    let refused = |problems: Vec<(String, String)>| async {
        let page =
            measure_page(&state, &session, &a, Some(m), Some(&fields), problems, None).await?;
        Ok::<_, WebError>((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
    };
    let (new, revision, mut problems) = read_measure_form(&a, m, &fields);
    let Some(revision) = revision.filter(|_| problems.is_empty()) else {
        problems.extend(measure_problems(&a, &new).into_iter().map(measure_field));
        return refused(problems).await;
    };
    let edit = EditMeasure {
        agreement: id.clone(),
        measure: measure.clone(),
        title: new.title,
        description: new.description,
        expected_effect: new.expected_effect,
        start: new.start,
        end: new.end,
        goals: new.goals.iter().map(|g| g.to_string()).collect(),
        revision,
    };
    match zielwerk_app::agreements::edit_measure(&state.store, &session.principal, edit).await {
        Ok(_) => Ok(Redirect::to(&paths::Draft::url(&k)).into_response()),
        Err(AppError::Invalid(problems)) => {
            refused(problems.into_iter().map(measure_field).collect()).await
        }
        Err(AppError::Conflict {
            message,
            kind: zielwerk_app::ConflictKind::Stale,
        }) => {
            let now = stored_agreement(&state, &k).await?;
            let stored = find_measure(&now, &measure)?;
            let page = measure_page(
                &state,
                &session,
                &now,
                Some(stored),
                Some(&fields),
                Vec::new(),
                Some(message),
            )
            .await?;
            Ok((StatusCode::CONFLICT, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn add_measure_form(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> PageResult {
    let k = agreement_for(&session, &id, Action::ReadInternal)?;
    let a = stored_agreement(&state, &k).await?;
    super::elements::require_editable(&session, &a)?;
    html(&measure_page(&state, &session, &a, None, None, Vec::new(), None).await?)
}

pub async fn add_measure(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let k = agreement_for(&session, &id, Action::ReadInternal)?;
    let a = stored_agreement(&state, &k).await?;
    super::elements::require_editable(&session, &a)?;
    let refused = |problems: Vec<(String, String)>| async {
        let page = measure_page(&state, &session, &a, None, Some(&fields), problems, None).await?;
        Ok::<_, WebError>((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
    };
    let mut problems = Vec::new();
    let (start, end) = read_period(&fields, &mut problems);
    let responsible = zielwerk_domain::PartyRole::ALL
        .into_iter()
        .find(|r| r.as_str() == field(&fields, "verantwortlich"));
    if responsible.is_none() {
        problems.push((
            "verantwortlich".into(),
            "Feld „Verantwortlich“: bitte eine Partei wählen".into(),
        ));
    }
    let cmd = zielwerk_app::drafting::AddMeasure {
        agreement: id.clone(),
        title: field(&fields, "titel").to_owned(),
        description: field(&fields, "beschreibung").to_owned(),
        expected_effect: field(&fields, "wirkung").to_owned(),
        responsible: responsible.unwrap_or(zielwerk_domain::PartyRole::Jobcenter),
        start: start.unwrap_or_else(|| YearMonth::new(a.year, 1).expect("January")),
        end: end.flatten(),
        goals: checked_goals(&fields),
    };
    if !problems.is_empty() {
        if let Err(more) = zielwerk_app::drafting::new_measure(&a, &cmd) {
            problems.extend(more.into_iter().map(measure_field));
        }
        return refused(problems).await;
    }
    match zielwerk_app::drafting::add_measure(&state.store, &session.principal, cmd).await {
        Ok(_) => Ok(Redirect::to(&paths::Draft::url(&k)).into_response()),
        Err(AppError::Invalid(problems)) => {
            refused(problems.into_iter().map(measure_field).collect()).await
        }
        Err(AppError::Conflict { message, .. }) => {
            refused(vec![(
                String::new(),
                format!("{message}; prüfen Sie den Entwurf und speichern Sie erneut"),
            )])
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// ----- Signing and Nachtrag ------------------------------------------------------------------

struct PartyLine {
    role: &'static str,
    token: &'static str,
    name: String,
    state: String,
    /// The user may sign for this party now.
    can_sign: bool,
}

#[derive(Template)]
#[template(path = "signing.html")]
struct SigningPage {
    head: Head,
    status: &'static str,
    signed: bool,
    parties: Vec<PartyLine>,
    stamp: String,
    digest: String,
    /// The first characters of the digest, enough to compare two printouts.
    digest_short: String,
    can_open_nachtrag: bool,
    /// Next year's agreement: to prepare (its year) or prepared (its id).
    next_year: Option<zielwerk_app::agreements::NextYear>,
    based_on: Option<String>,
    /// Whether `based_on` is last year's agreement (this one was prepared from it) rather than
    /// the version a Nachtrag amends.
    from_last_year: bool,
    differences: Vec<Difference>,
}

pub async fn signing(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> PageResult {
    let k = agreement_for(&session, &id, Action::ReadInternal)?;
    let a = stored_agreement(&state, &k).await?;
    let signatures = state.store.signatures(&k).await?;
    let signed = a.status == AgreementStatus::Signed;
    let digest = zielwerk_store::content_digest(&a);
    let parties = a
        .parties
        .iter()
        .map(|p| {
            let sig = signatures.iter().find(|s| s.role == p.role);
            let state = match (sig, p.signed_on) {
                (Some(s), _) => format!(
                    "unterzeichnet von {} am {} (Inhalt SHA-256 {}…)",
                    s.signer,
                    german_time(&s.signed_at, "%d.%m.%Y"),
                    s.content_hash.get(..16).unwrap_or(&s.content_hash)
                ),
                (None, Some(d)) => format!(
                    "unterzeichnet am {} (laut Vereinbarungsdatei)",
                    d.format("%d.%m.%Y")
                ),
                (None, None) => "noch nicht unterzeichnet".into(),
            };
            PartyLine {
                role: p.role.label_de(),
                token: p.role.as_str(),
                name: p.name.clone(),
                state,
                can_sign: !signed
                    && sig.is_none()
                    && session
                        .principal
                        .may(&a.jobcenter.ba_id, Action::Sign(p.role)),
            }
        })
        .collect();
    let origin =
        zielwerk_app::agreements::changes_from_origin(&state.store, &session.principal, &id)
            .await?;
    let from_last_year = origin.as_ref().is_some_and(|(o, _)| o.year < a.year);
    let (based_on, differences) = origin.unzip();
    let next_year =
        zielwerk_app::agreements::next_year(&state.store, &session.principal, &k).await?;
    html(&SigningPage {
        head: head(&a, &[]),
        status: a.status.label_de(),
        signed,
        parties,
        stamp: state.store.agreement_stamp(&k).await?.unwrap_or_default(),
        digest_short: digest.chars().take(12).collect(),
        digest,
        can_open_nachtrag: signed
            && session
                .principal
                .may(&a.jobcenter.ba_id, Action::OpenNachtrag),
        next_year,
        based_on: based_on.map(|k| k.to_string()),
        from_last_year,
        differences: differences.unwrap_or_default(),
    })
}

pub async fn sign(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Form(f): Form<SignForm>,
) -> PageResult {
    let cmd = zielwerk_app::agreements::Sign {
        agreement: id,
        party: f.partei,
        stamp: f.stand,
        content: f.inhalt,
        on: today(),
    };
    let key = cmd.agreement.clone();
    zielwerk_app::agreements::sign(&state.store, &session.principal, cmd).await?;
    Ok(Redirect::to(&paths::Signing::url(&key)).into_response())
}

/// The signing form of a party.
#[derive(serde::Deserialize)]
pub struct SignForm {
    #[serde(default)]
    partei: String,
    #[serde(default)]
    stand: String,
    #[serde(default)]
    inhalt: String,
}

pub async fn open_nachtrag(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> PageResult {
    let new =
        zielwerk_app::agreements::open_nachtrag(&state.store, &session.principal, &id).await?;
    Ok(Redirect::to(&paths::Signing::url(&new)).into_response())
}

pub async fn prepare_next_year(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> PageResult {
    let new =
        zielwerk_app::agreements::prepare_next_year(&state.store, &session.principal, &id).await?;
    Ok(Redirect::to(&paths::Agreement::url(&new)).into_response())
}

// ----- Audit trail ---------------------------------------------------------------------------

struct AuditRow {
    seq: i64,
    at: String,
    actor: String,
    action: String,
    subject: String,
    /// What changed, field by field: path, before, after.
    changes: Vec<(String, String, String)>,
    before: String,
    after: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    head: Head,
    title: String,
    back: Option<(String, String)>,
    rows: Vec<AuditRow>,
}

/// An RFC 3339 time in local time, formatted with `format`.
fn german_time(rfc3339: &str, format: &str) -> String {
    zielwerk_report::present::time_de(rfc3339, format)
}

fn pretty(json: Option<&str>) -> String {
    json.and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok())
        .map(|v| serde_json::to_string_pretty(&v).unwrap_or_default())
        .unwrap_or_default()
}

/// A JSON value as `path → scalar text` pairs (`target.value`, `teilnehmende[2].name`).
fn flatten(
    prefix: &str,
    v: &serde_json::Value,
    out: &mut std::collections::BTreeMap<String, String>,
) {
    use serde_json::Value;
    let join = |k: &str| {
        if prefix.is_empty() {
            k.to_owned()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match v {
        Value::Object(m) => m.iter().for_each(|(k, v)| flatten(&join(k), v, out)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, v)| flatten(&format!("{prefix}[{}]", i + 1), v, out)),
        Value::String(s) => {
            out.insert(prefix.to_owned(), s.clone());
        }
        Value::Null => {
            out.insert(prefix.to_owned(), "–".into());
        }
        other => {
            out.insert(prefix.to_owned(), other.to_string());
        }
    }
}

/// The fields that differ between two recorded states (all of `after` for a creation).
fn changed_fields(before: Option<&str>, after: Option<&str>) -> Vec<(String, String, String)> {
    let parse = |j: Option<&str>| {
        let mut m = std::collections::BTreeMap::new();
        if let Some(v) = j.and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok()) {
            flatten("", &v, &mut m);
        }
        m
    };
    let (b, a) = (parse(before), parse(after));
    let keys: std::collections::BTreeSet<&String> = b.keys().chain(a.keys()).collect();
    keys.into_iter()
        .filter(|k| b.get(*k) != a.get(*k))
        .map(|k| {
            (
                k.clone(),
                b.get(k).cloned().unwrap_or_default(),
                a.get(k).cloned().unwrap_or_default(),
            )
        })
        .collect()
}

/// A field path of the audit trail as a person reads it: `sitzung.participants[2].name` becomes
/// „Sitzung › Teilnehmende Nr. 2 › Name“. Unknown keys (goal or area keys) stay as they are.
fn field_label(path: &str) -> String {
    let word = |key: &str| -> String {
        let label = match key {
            "accumulation" => "Zählweise",
            "aelterer_datenstand" => "älterer Datenstand",
            "aktenzeichen" => "Aktenzeichen",
            "area" => "Zielbereich",
            "area_notes" => "Steuerungshinweise",
            "areas" => "Zielbereiche",
            "as_of" => "Berichtsmonat",
            "ba_id" => "BA-Kennung",
            "base" => "Basis",
            "bytes" => "Größe",
            "dateien" => "Dateien",
            "veroeffentlicht" => "veröffentlicht",
            "bearbeiter" => "Bearbeiter/in",
            "climate" => "Klimarelevanz",
            "code" => "Code",
            "committee" => "Gremium",
            "consultations" => "Beratungsfolge",
            "date" => "Datum",
            "datei" => "Datei",
            "days" => "Tage",
            "decision" => "Art der Entscheidung",
            "denominator" => "Nenner",
            "denominator_label" => "Bezeichnung des Nenners",
            "description" => "Beschreibung",
            "direction" => "Richtung",
            "due" => "fällig",
            "end" => "Ende",
            "expected_effect" => "Wirkungserwartung",
            "fachbereich" => "Fachbereich",
            "financial" => "Finanzielle Auswirkung",
            "formula" => "Formel",
            "goals" => "Ziele",
            "impacts" => "Auswirkungen",
            "indicator" => "Kennzahl",
            "indicators" => "Kennzahlen",
            "jobcenter" => "Jobcenter",
            "key" => "Schlüssel",
            "key_figures" => "Auswirkung auf Kennzahlen",
            "kind" => "Art",
            "login" => "Anmeldename",
            "measures" => "Handlungsansätze",
            "month" => "Monat",
            "name" => "Name",
            "neu" => "neu",
            "number" => "Nummer",
            "numerator" => "Zähler",
            "numerator_label" => "Bezeichnung des Zählers",
            "occasion" => "Anlass",
            "organisational" => "Organisatorische Auswirkung",
            "origin" => "Herkunft",
            "participants" => "Teilnehmende",
            "parties" => "Parteien",
            "party" => "Partei",
            "percent" => "Prozent",
            "personnel" => "Personelle Auswirkung",
            "place" => "Ort",
            "public" => "öffentlich",
            "quelle" => "Quelle",
            "rechte" => "Rechte",
            "resolution" => "Beschlussvorschlag",
            "responsible" => "verantwortlich",
            "revidiert" => "revidiert",
            "role" | "rolle" => "Rolle",
            "scale" => "Faktor",
            "sha256" => "Prüfsumme",
            "signatory" => "unterzeichnet von",
            "signed_on" => "unterzeichnet am",
            "sitzung" => "Sitzung",
            "start" => "Beginn",
            "status" => "Status",
            "tagesordnung" => "Tagesordnung",
            "target" => "Zielwert",
            "title" => "Titel",
            "tolerance" => "Toleranz",
            "unit" => "Einheit",
            "value" => "Wert",
            "values" => "Werte",
            "version" => "Version",
            "year" => "Jahr",
            other => {
                return other
                    .parse::<zielwerk_domain::YearMonth>()
                    .map(|m| m.german_long())
                    .unwrap_or_else(|_| other.to_owned());
            }
        };
        label.to_owned()
    };
    path.split('.')
        .map(|segment| match segment.split_once('[') {
            Some((key, rest)) => {
                let numbers: Vec<&str> = rest.split(['[', ']']).filter(|n| !n.is_empty()).collect();
                format!("{} Nr. {}", word(key), numbers.join("."))
            }
            None => word(segment),
        })
        .collect::<Vec<_>>()
        .join(" › ")
}

fn audit_rows(events: Vec<AuditEvent>) -> Vec<AuditRow> {
    events
        .into_iter()
        .map(|e| AuditRow {
            seq: e.seq,
            at: german_time(&e.at, "%d.%m.%Y %H:%M:%S"),
            actor: e.actor.clone(),
            action: e.action_de().to_owned(),
            subject: e.subject.clone(),
            changes: changed_fields(e.before.as_deref(), e.after.as_deref())
                .into_iter()
                .map(|(field, before, after)| (field_label(&field), before, after))
                .collect(),
            before: pretty(e.before.as_deref()),
            after: pretty(e.after.as_deref()),
        })
        .collect()
}

pub async fn agreement_audit(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> PageResult {
    let k = agreement_for(&session, &id, Action::ReadAudit)?;
    let a = stored_agreement(&state, &k).await?;
    html(&AuditPage {
        head: head(&a, &[]),
        title: format!("Änderungsprotokoll: {}", a.title),
        back: None,
        rows: audit_rows(state.store.audit_trail(&k, None).await?),
    })
}

pub async fn goal_audit(
    State(state): State<AppState>,
    session: Session,
    Path((id, goal)): Path<(String, String)>,
) -> PageResult {
    let k = agreement_for(&session, &id, Action::ReadAudit)?;
    let a = stored_agreement(&state, &k).await?;
    let g = find_goal(&a, &goal)?;
    html(&AuditPage {
        head: head(&a, &[]),
        title: format!("Änderungsprotokoll des Ziels „{}“", g.title),
        back: Some((paths::Goal::url(&k, &g.key), g.title.clone())),
        rows: audit_rows(
            state
                .store
                .audit_trail(&k, Some((g.key.as_str(), g.indicator.as_str())))
                .await?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_changed_fields_are_listed_with_their_paths() {
        let before =
            r#"{"title":"A","target":{"kind":"annual","value":700.0},"parts":[{"name":"x"}]}"#;
        let after = r#"{"title":"A","target":{"kind":"annual","value":715.0},"parts":[{"name":"y"}],"neu":1}"#;
        assert_eq!(
            changed_fields(Some(before), Some(after)),
            vec![
                ("neu".into(), "".into(), "1".into()),
                ("parts[1].name".into(), "x".into(), "y".into()),
                ("target.value".into(), "700.0".into(), "715.0".into()),
            ]
        );
        assert_eq!(
            changed_fields(None, Some(r#"{"a":null}"#)),
            vec![("a".into(), "".into(), "–".into())]
        );
        assert!(changed_fields(Some(before), Some(before)).is_empty());
    }
}
