//! Drafting an agreement in the browser: a new goal, in an area of the agreement or a new one,
//! measuring an indicator of the agreement or a new one of its own. What may be added and what
//! it means is the application core's (`zielwerk_app::agreements::add_goal`); this page reads
//! the form and shows the problems at their fields.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect};
use zielwerk_app::AppError;
use zielwerk_app::agreements::{
    AddGoal, AreaChoice, IndicatorChoice, NewIndicator, add_goal, editable_parties,
};
use zielwerk_domain::{
    Accumulation, Action, Agreement, AreaKind, Direction, Origin, PartyRole, Target, Tolerance,
    Unit,
};

use super::{Head, PageResult, agreement_for, date_field, field, head, html, stored_agreement};
use crate::AppState;
use crate::auth::Session;
use crate::error::WebError;
use crate::paths;

/// The choice "a new one" in the area and indicator selects.
const NEW: &str = "neu";

#[derive(Template)]
#[template(path = "goal_add.html")]
struct AddGoalPage {
    head: Head,
    action_url: String,
    /// (key, title) of the agreement's areas.
    areas: Vec<(String, String)>,
    /// (code, name) of the agreement's indicators.
    indicators: Vec<(String, String)>,
    /// (token, label) of the parties the user may add goals for.
    parties: Vec<(&'static str, &'static str)>,
    /// What the form holds.
    fields: Vec<(String, String)>,
    /// Problems by field ("" for the whole form).
    problems: Vec<(String, String)>,
}

impl AddGoalPage {
    fn v(&self, name: &str) -> &str {
        field(&self.fields, name)
    }

    fn is(&self, name: &str, value: &str) -> bool {
        self.v(name) == value
    }

    fn problem(&self, name: &str) -> Option<&str> {
        self.problems
            .iter()
            .find(|(f, _)| f == name)
            .map(|(_, m)| m.as_str())
    }

    fn units(&self) -> Vec<(&'static str, &'static str)> {
        unit_options()
            .into_iter()
            .filter(|(t, _)| *t != Unit::Milestone.as_str())
            .collect()
    }

    fn directions(&self) -> Vec<(&'static str, &'static str)> {
        direction_options()
    }

    fn accumulations(&self) -> Vec<(&'static str, &'static str)> {
        accumulation_options()
    }

    fn area_kinds(&self) -> Vec<(&'static str, &'static str)> {
        AreaKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label_de()))
            .collect()
    }

    fn origins(&self) -> Vec<(&'static str, &'static str)> {
        Origin::ALL
            .iter()
            .map(|o| (o.as_str(), o.label_de()))
            .collect()
    }
}

/// (token, label) of every unit, for a select.
pub(super) fn unit_options() -> Vec<(&'static str, &'static str)> {
    Unit::ALL
        .iter()
        .map(|u| (u.as_str(), u.label_de()))
        .collect()
}

/// (token, label) of every direction, for a select.
pub(super) fn direction_options() -> Vec<(&'static str, &'static str)> {
    Direction::ALL
        .iter()
        .map(|d| (d.as_str(), d.label_de()))
        .collect()
}

/// (token, label) of every accumulation, for a select.
pub(super) fn accumulation_options() -> Vec<(&'static str, &'static str)> {
    Accumulation::ALL
        .iter()
        .map(|a| (a.as_str(), a.label_de()))
        .collect()
}

fn page(a: &Agreement, parties: &[PartyRole], fields: Vec<(String, String)>) -> AddGoalPage {
    let mut fields = fields;
    let defaults = [
        (
            "bereich",
            a.areas
                .first()
                .map(|x| x.key.to_string())
                .unwrap_or_else(|| NEW.into()),
        ),
        // Goals added here are mostly the Kreis's own; the federal key figures come with the law.
        ("bereich_art", AreaKind::Municipal.as_str().to_owned()),
        ("kennzahl", NEW.to_owned()),
        (
            "verantwortlich",
            parties
                .first()
                .map(|p| p.as_str())
                .unwrap_or_default()
                .to_owned(),
        ),
        ("herkunft", Origin::Agreement.as_str().to_owned()),
        ("kennzahl_einheit", Unit::Count.as_str().to_owned()),
        ("kennzahl_richtung", Direction::Higher.as_str().to_owned()),
        ("kennzahl_art", Accumulation::Flow.as_str().to_owned()),
        ("kennzahl_berechnung", "gespeichert".to_owned()),
        ("zielart", "jahreswert".to_owned()),
        ("toleranz_art", "prozent".to_owned()),
        ("toleranz", "5".to_owned()),
    ];
    for (name, value) in defaults {
        if !fields.iter().any(|(k, _)| k == name) {
            fields.push((name.to_owned(), value));
        }
    }
    AddGoalPage {
        head: head(a, &[]),
        action_url: paths::AddGoal::url(a.key()),
        areas: a
            .areas
            .iter()
            .map(|x| (x.key.to_string(), x.title.clone()))
            .collect(),
        indicators: a
            .indicators
            .iter()
            .map(|i| (i.code.to_string(), format!("{} ({})", i.name, i.code)))
            .collect(),
        parties: parties.iter().map(|p| (p.as_str(), p.label_de())).collect(),
        fields,
        problems: Vec::new(),
    }
}

fn parties_of(session: &Session, a: &Agreement) -> Result<Vec<PartyRole>, WebError> {
    let parties = editable_parties(&session.principal, a);
    if parties.is_empty() {
        return Err(WebError::Forbidden(
            if a.status == zielwerk_domain::AgreementStatus::Signed {
                "Die Vereinbarung ist unterzeichnet; Ziele kommen über einen Nachtrag hinzu.".into()
            } else {
                "Ziele dieser Vereinbarung darf Ihr Konto nicht anlegen.".into()
            },
        ));
    }
    Ok(parties)
}

pub async fn form(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> PageResult {
    let k = agreement_for(&session, &id, Action::ReadInternal)?;
    let a = stored_agreement(&state, &k).await?;
    let parties = parties_of(&session, &a)?;
    html(&page(&a, &parties, Vec::new()))
}

/// The form read into the command, and the problems of reading it (each at its field); where a
/// field could not be read the command holds a stand-in, so that the rules can still be asked
/// about the rest and every problem is listed at once.
fn read(id: &str, f: &[(String, String)]) -> (AddGoal, Vec<(String, String)>) {
    use zielwerk_ingest::german::{DecimalStyle, parse_number};
    let mut problems: Vec<(String, String)> = Vec::new();
    let mut problem = |field: &str, message: String| problems.push((field.to_owned(), message));
    let pick = |name: &str, tokens: &[&'static str]| -> Option<&'static str> {
        tokens.iter().copied().find(|t| *t == field(f, name))
    };
    let area = if field(f, "bereich") == NEW {
        let kinds: Vec<&str> = AreaKind::ALL.iter().map(|k| k.as_str()).collect();
        let kind = pick("bereich_art", &kinds)
            .and_then(|t| AreaKind::ALL.into_iter().find(|k| k.as_str() == t))
            .unwrap_or(AreaKind::Municipal);
        AreaChoice::New {
            title: field(f, "bereich_titel").to_owned(),
            kind,
        }
    } else {
        AreaChoice::Existing(field(f, "bereich").to_owned())
    };
    let responsible = PartyRole::ALL
        .into_iter()
        .find(|p| p.as_str() == field(f, "verantwortlich"));
    if responsible.is_none() {
        problem(
            "verantwortlich",
            "Feld „Verantwortlich“: bitte eine Partei wählen".into(),
        );
    }
    let origin = Origin::ALL
        .into_iter()
        .find(|o| o.as_str() == field(f, "herkunft"))
        .unwrap_or(Origin::Agreement);
    let indicator = if field(f, "kennzahl") == NEW {
        IndicatorChoice::New(NewIndicator {
            code: field(f, "kennzahl_code").trim().to_uppercase(),
            name: field(f, "kennzahl_name").to_owned(),
            unit: Unit::ALL
                .into_iter()
                .find(|u| u.as_str() == field(f, "kennzahl_einheit"))
                .unwrap_or(Unit::Count),
            direction: Direction::ALL
                .into_iter()
                .find(|d| d.as_str() == field(f, "kennzahl_richtung"))
                .unwrap_or(Direction::Higher),
            accumulation: Accumulation::ALL
                .into_iter()
                .find(|a| a.as_str() == field(f, "kennzahl_art"))
                .unwrap_or(Accumulation::Flow),
            ratio: field(f, "kennzahl_berechnung") == "quote",
        })
    } else {
        IndicatorChoice::Existing(field(f, "kennzahl").to_owned())
    };
    let target = match field(f, "zielart") {
        "meilenstein" => match date_field("Meilenstein fällig am", field(f, "ziel")) {
            Ok(due) => Some(Target::Milestone { due }),
            Err(e) => {
                problem("ziel", e);
                None
            }
        },
        _ => match parse_number(field(f, "ziel"), DecimalStyle::Comma) {
            Ok(value) => Some(Target::Annual { value }),
            Err(e) => {
                problem("ziel", format!("Feld „Zielwert“: {e}"));
                None
            }
        },
    };
    let raw = field(f, "toleranz");
    let tolerance = match field(f, "toleranz_art") {
        "tage" => raw
            .trim()
            .parse::<u32>()
            .map(|days| Tolerance::Days { days })
            .map_err(|_| format!("Feld „Toleranz“: „{raw}“ ist keine ganze Zahl von Tagen")),
        kind => parse_number(raw, DecimalStyle::Comma)
            .map(|v| match kind {
                "absolut" => Tolerance::Absolute { value: v },
                _ => Tolerance::Relative { percent: v },
            })
            .map_err(|e| format!("Feld „Toleranz“: {e}")),
    };
    let tolerance = tolerance.map_err(|e| problem("toleranz", e)).ok();
    let cmd = AddGoal {
        agreement: id.to_owned(),
        area,
        title: field(f, "titel").to_owned(),
        description: field(f, "beschreibung").to_owned(),
        responsible: responsible.unwrap_or(PartyRole::Kreis),
        origin,
        indicator,
        target: target.unwrap_or(Target::Annual { value: 0.0 }),
        tolerance: tolerance.unwrap_or(Tolerance::Relative { percent: 5.0 }),
    };
    (cmd, problems)
}

/// The field of the form a problem of the whole agreement belongs to (its path).
fn form_field(path: &str) -> &str {
    match path {
        p if p.ends_with(".target") => "ziel",
        p if p.ends_with(".tolerance") => "toleranz",
        p if p.ends_with(".indicator") => "kennzahl",
        p if p.ends_with(".title") => "titel",
        p => p,
    }
}

pub async fn save(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let k = agreement_for(&session, &id, Action::ReadInternal)?;
    let a = stored_agreement(&state, &k).await?;
    let parties = parties_of(&session, &a)?;
    let refused = |problems: Vec<(String, String)>| {
        let mut p = page(&a, &parties, fields.clone());
        p.problems = problems;
        Ok::<_, WebError>((StatusCode::UNPROCESSABLE_ENTITY, Html(p.render()?)).into_response())
    };
    let (cmd, mut problems) = read(&id, &fields);
    if !problems.is_empty() {
        // With the rules' problems of the other fields.
        if let Err(more) = zielwerk_app::agreements::new_goal(&a, &cmd) {
            for p in more {
                let at = form_field(&p.field).to_owned();
                if !problems.iter().any(|(f, _)| *f == at) {
                    problems.push((at, p.message));
                }
            }
        }
        return refused(problems);
    }
    match add_goal(&state.store, &session.principal, cmd).await {
        Ok(goal) => Ok(Redirect::to(&paths::Goal::url(&k, &goal)).into_response()),
        Err(AppError::Invalid(problems)) => refused(
            problems
                .into_iter()
                .map(|p| (form_field(&p.field).to_owned(), p.message))
                .collect(),
        ),
        Err(AppError::Conflict { message, .. }) => refused(vec![(
            String::new(),
            format!("{message}; prüfen Sie die Übersicht und speichern Sie erneut"),
        )]),
        Err(e) => Err(e.into()),
    }
}

// ----- Removing a goal ------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "goal_remove.html")]
struct RemovePage {
    head: Head,
    goal_title: String,
    goal_url: String,
    action_url: String,
    revision: i64,
    /// Handlungsansätze linked to the goal, which lose the link.
    measures: Vec<String>,
    voids_signatures: bool,
    problems: Vec<String>,
}

async fn remove_page(
    state: &AppState,
    a: &Agreement,
    g: &zielwerk_domain::Goal,
    problems: Vec<String>,
) -> Result<RemovePage, WebError> {
    Ok(RemovePage {
        head: head(a, &[]),
        goal_title: g.title.clone(),
        goal_url: paths::Goal::url(a.key(), &g.key),
        action_url: paths::RemoveGoal::url(a.key(), &g.key),
        revision: state
            .store
            .goal_revision(&a.key(), g.key.as_str())
            .await?
            .unwrap_or_default(),
        measures: a.measures_for(&g.key).map(|m| m.title.clone()).collect(),
        voids_signatures: !state.store.signatures(&a.key()).await?.is_empty(),
        problems,
    })
}

pub async fn remove_form(
    State(state): State<AppState>,
    session: Session,
    Path((id, goal)): Path<(String, String)>,
) -> PageResult {
    let k = agreement_for(&session, &id, Action::ReadInternal)?;
    let a = stored_agreement(&state, &k).await?;
    let g = zielwerk_app::agreements::find_goal(&a, &goal)?;
    zielwerk_app::access::may_edit(&session.principal, &a, g.responsible, || {
        format!("Das Ziel „{goal}“ gibt es nicht.")
    })?;
    html(&remove_page(&state, &a, g, Vec::new()).await?)
}

pub async fn remove(
    State(state): State<AppState>,
    session: Session,
    Path((id, goal)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let k = agreement_for(&session, &id, Action::ReadInternal)?;
    let cmd = zielwerk_app::agreements::RemoveGoal {
        agreement: id.clone(),
        goal: goal.clone(),
        revision: field(&fields, "revision").parse().unwrap_or(-1),
    };
    match zielwerk_app::agreements::remove_goal(&state.store, &session.principal, cmd).await {
        Ok(()) => Ok(Redirect::to(&paths::Agreement::url(&k)).into_response()),
        Err(AppError::Conflict {
            message,
            kind: zielwerk_app::ConflictKind::Stale,
        }) => {
            // Someone changed the goal since the confirmation was shown: shown again, as it is now.
            let a = stored_agreement(&state, &k).await?;
            let g = zielwerk_app::agreements::find_goal(&a, &goal)?;
            let page = remove_page(
                &state,
                &a,
                g,
                vec![format!(
                    "{message}. Prüfen Sie das Ziel und bestätigen Sie erneut, wenn es entfernt werden soll."
                )],
            )
            .await?;
            Ok((StatusCode::CONFLICT, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
