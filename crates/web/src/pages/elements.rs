//! The draft of an agreement as one page with every part it holds, and the forms for the parts
//! that are not goals: goal areas and indicators edited, areas, indicators and Handlungsansätze
//! removed after a confirmation. What may be changed and what a change means is the
//! application core's (`zielwerk_app::drafting`); these pages read the forms.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect};
use zielwerk_app::AppError;
use zielwerk_app::drafting::{self, Removable};
use zielwerk_domain::{
    Accumulation, Action, Agreement, AgreementStatus, AreaKind, Direction, Formula, IndicatorCode,
    Unit,
};
use zielwerk_store::Element;

use super::{Head, PageResult, agreement_for, field, head, html, stored_agreement};
use crate::AppState;
use crate::auth::Session;
use crate::error::WebError;
use crate::paths;

/// Refuses a signed agreement and a person who may edit none of its goals, with the reason.
pub fn require_editable(session: &Session, a: &Agreement) -> Result<(), WebError> {
    if zielwerk_app::agreements::editable_parties(&session.principal, a).is_empty() {
        return Err(WebError::Forbidden(
            if a.status == AgreementStatus::Signed {
                "Die Vereinbarung ist unterzeichnet; geändert wird sie über einen Nachtrag.".into()
            } else {
                "Diese Vereinbarung darf Ihr Konto nicht bearbeiten.".into()
            },
        ));
    }
    Ok(())
}

// ----- The draft at a glance ----------------------------------------------------------------

/// One part of the draft in a list: what it is, and the links the user may follow.
struct Row {
    title: String,
    facts: String,
    edit_url: Option<String>,
    remove_url: Option<String>,
}

#[derive(Template)]
#[template(path = "draft.html")]
struct DraftPage {
    head: Head,
    areas: Vec<Row>,
    goals: Vec<Row>,
    indicators: Vec<Row>,
    /// The indicators the law and the statistics define, by name.
    defined_outside: Vec<String>,
    measures: Vec<Row>,
    add_goal_url: String,
    add_measure_url: String,
    export_url: String,
}

pub async fn draft(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> PageResult {
    let k = agreement_for(&session, &id, Action::ReadInternal)?;
    let a = stored_agreement(&state, &k).await?;
    require_editable(&session, &a)?;
    let p = &session.principal;
    let area_title =
        |key: &zielwerk_domain::Key| a.area(key).map(|x| x.title.clone()).unwrap_or_default();
    let goals_in = |n: usize| match n {
        0 => "keine Ziele".to_owned(),
        1 => "ein Ziel".to_owned(),
        n => format!("{n} Ziele"),
    };
    let areas = a
        .areas
        .iter()
        .map(|x| {
            let may = drafting::may_edit_area(p, &a, x).is_ok();
            let n = a.goals.iter().filter(|g| g.area == x.key).count();
            Row {
                title: x.title.clone(),
                facts: format!("{} · {}", x.kind.label_de(), goals_in(n)),
                edit_url: may.then(|| paths::EditArea::url(&k, &x.key)),
                remove_url: (may && n == 0).then(|| paths::RemoveArea::url(&k, &x.key)),
            }
        })
        .collect();
    let goals = a
        .goals
        .iter()
        .map(|g| {
            let may = zielwerk_app::access::may_edit(p, &a, g.responsible, String::new).is_ok();
            Row {
                title: g.title.clone(),
                facts: format!(
                    "{} · {} · {}",
                    area_title(&g.area),
                    a.indicator(&g.indicator)
                        .map(|i| i.name.clone())
                        .unwrap_or_default(),
                    g.responsible.label_de()
                ),
                edit_url: may.then(|| paths::EditGoal::url(&k, &g.key)),
                remove_url: may.then(|| paths::RemoveGoal::url(&k, &g.key)),
            }
        })
        .collect();
    let (outside, own): (Vec<_>, Vec<_>) = a
        .indicators
        .iter()
        .partition(|i| drafting::defined_outside(&i.code));
    let indicators = own
        .iter()
        .map(|i| {
            let may = drafting::may_edit_indicator(p, &a, i).is_ok();
            let free =
                drafting::removal_blockers(&a, Removable::Indicator, i.code.as_str()).is_empty();
            Row {
                title: format!("{} ({})", i.name, i.code),
                facts: format!(
                    "{} · {} · {}",
                    i.unit.label_de(),
                    i.direction.label_de(),
                    i.formula.describe_de()
                ),
                edit_url: may.then(|| paths::EditIndicator::url(&k, &i.code)),
                remove_url: (may && free).then(|| paths::RemoveIndicator::url(&k, &i.code)),
            }
        })
        .collect();
    let measures = a
        .measures
        .iter()
        .map(|m| {
            let may = zielwerk_app::access::may_edit(p, &a, m.responsible, String::new).is_ok();
            let goals: Vec<String> = m
                .goals
                .iter()
                .filter_map(|g| a.goal(g).map(|g| format!("„{}“", g.title)))
                .collect();
            Row {
                title: m.title.clone(),
                facts: format!(
                    "{} · für {}",
                    m.responsible.label_de(),
                    if goals.is_empty() {
                        "kein Ziel".to_owned()
                    } else {
                        goals.join(", ")
                    }
                ),
                edit_url: may.then(|| paths::EditMeasure::url(&k, &m.key)),
                remove_url: may.then(|| paths::RemoveMeasure::url(&k, &m.key)),
            }
        })
        .collect();
    html(&DraftPage {
        head: head(&a, &[]),
        areas,
        goals,
        indicators,
        defined_outside: outside
            .iter()
            .map(|i| format!("{} ({})", i.name, i.code))
            .collect(),
        measures,
        add_goal_url: paths::AddGoal::url(&k),
        add_measure_url: paths::AddMeasure::url(&k),
        export_url: paths::ExportToml::url(&k),
    })
}

// ----- Goal areas ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "area_edit.html")]
struct AreaEditPage {
    head: Head,
    heading: String,
    action_url: String,
    title: String,
    description: String,
    /// (token, label, chosen)
    kinds: Vec<(&'static str, &'static str, bool)>,
    revision: i64,
    /// (field, message)
    problems: Vec<(String, String)>,
    /// Set after a conflict: what is stored now.
    conflict: Option<(String, Vec<(String, String)>)>,
}

impl AreaEditPage {
    fn problem(&self, name: &str) -> Option<&str> {
        problem_at(&self.problems, name)
    }
}

fn problem_at<'a>(problems: &'a [(String, String)], name: &str) -> Option<&'a str> {
    problems
        .iter()
        .find(|(f, _)| f == name)
        .map(|(_, m)| m.as_str())
}

/// The field of a form a problem of the whole agreement belongs to: its last path segment in
/// the form's words.
fn form_field(path: &str) -> String {
    match path.rsplit('.').next().unwrap_or(path) {
        "title" => "titel".into(),
        "description" => "beschreibung".into(),
        "formula" => "berechnung".into(),
        "unit" => "einheit".into(),
        "name" => "name".into(),
        _ => path.to_owned(),
    }
}

fn field_problems(problems: Vec<zielwerk_app::Problem>) -> Vec<(String, String)> {
    problems
        .into_iter()
        .map(|p| (form_field(&p.field), p.message))
        .collect()
}

async fn area_page(
    state: &AppState,
    a: &Agreement,
    area: &zielwerk_domain::GoalArea,
    typed: Option<&[(String, String)]>,
) -> Result<AreaEditPage, WebError> {
    let revision = state
        .store
        .revision(&a.key(), Element::Area(area.key.as_str()))
        .await?
        .unwrap_or_default();
    let kind = typed.map_or(area.kind.as_str(), |f| field(f, "art"));
    Ok(AreaEditPage {
        head: head(a, &[]),
        heading: format!("Zielbereich bearbeiten: {}", area.title),
        action_url: paths::EditArea::url(a.key(), &area.key),
        title: typed.map_or_else(|| area.title.clone(), |f| field(f, "titel").to_owned()),
        description: typed.map_or_else(
            || area.description.clone(),
            |f| field(f, "beschreibung").to_owned(),
        ),
        kinds: AreaKind::ALL
            .iter()
            .map(|x| (x.as_str(), x.label_de(), x.as_str() == kind))
            .collect(),
        revision: typed
            .and_then(|f| field(f, "revision").parse().ok())
            .unwrap_or(revision),
        problems: Vec::new(),
        conflict: None,
    })
}

pub async fn edit_area_form(
    State(state): State<AppState>,
    session: Session,
    Path((id, area)): Path<(String, String)>,
) -> PageResult {
    let k = agreement_for(&session, &id, Action::ReadInternal)?;
    let a = stored_agreement(&state, &k).await?;
    let x = drafting::find_area(&a, &area)?;
    drafting::may_edit_area(&session.principal, &a, x)?;
    html(&area_page(&state, &a, x, None).await?)
}

pub async fn edit_area(
    State(state): State<AppState>,
    session: Session,
    Path((id, area)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let k = agreement_for(&session, &id, Action::ReadInternal)?;
    let a = stored_agreement(&state, &k).await?;
    let x = drafting::find_area(&a, &area)?;
    let cmd = drafting::EditArea {
        agreement: id.clone(),
        area: area.clone(),
        title: field(&fields, "titel").to_owned(),
        kind: AreaKind::ALL
            .into_iter()
            .find(|x| x.as_str() == field(&fields, "art"))
            .unwrap_or(x.kind),
        description: field(&fields, "beschreibung").to_owned(),
        revision: field(&fields, "revision").parse().unwrap_or(-1),
    };
    match drafting::edit_area(&state.store, &session.principal, cmd).await {
        Ok(_) => Ok(Redirect::to(&paths::Draft::url(&k)).into_response()),
        Err(AppError::Invalid(problems)) => {
            let mut page = area_page(&state, &a, x, Some(&fields)).await?;
            page.problems = field_problems(problems);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(AppError::Conflict {
            message,
            kind: zielwerk_app::ConflictKind::Stale,
        }) => {
            let now = stored_agreement(&state, &k).await?;
            let stored = drafting::find_area(&now, &area)?;
            let mut page = area_page(&state, &now, stored, Some(&fields)).await?;
            page.revision = state
                .store
                .revision(&k, Element::Area(&area))
                .await?
                .unwrap_or_default();
            page.conflict = Some((
                message,
                vec![
                    ("Titel".into(), stored.title.clone()),
                    ("Art".into(), stored.kind.label_de().into()),
                    ("Beschreibung".into(), stored.description.clone()),
                ],
            ));
            Ok((StatusCode::CONFLICT, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

// ----- Indicators of the agreement's own ----------------------------------------------------

/// The ways of computing an indicator the form offers, with the form's token.
const FORMULAS: [(&str, &str); 5] = [
    ("gespeichert", "Wie geliefert gespeichert"),
    (
        "quote",
        "Quote in Prozent: Zähler und Nenner werden geliefert",
    ),
    (
        "verhaeltnis",
        "Verhältnis zweier Kennzahlen: Zähler ÷ Nenner × Faktor",
    ),
    (
        "vorjahr",
        "Veränderung gegenüber dem Vorjahresmonat in Prozent",
    ),
    ("produkt", "Produkt: Menge × Preis"),
];

fn formula_token(f: &Formula) -> &'static str {
    match f {
        Formula::Stored => "gespeichert",
        Formula::StoredRatio { .. } => "quote",
        Formula::Ratio { .. } => "verhaeltnis",
        Formula::YearOverYear { .. } => "vorjahr",
        Formula::Product { .. } => "produkt",
        // Kept as it is: the form does not build these.
        Formula::Rolling12 { .. } | Formula::RollingRate { .. } | Formula::Change { .. } => {
            "bisher"
        }
    }
}

#[derive(Template)]
#[template(path = "indicator_edit.html")]
struct IndicatorEditPage {
    head: Head,
    heading: String,
    code: String,
    action_url: String,
    fields: Vec<(String, String)>,
    /// (token, label) of the ways of computing; "bisher" first when the stored one is another.
    formulas: Vec<(&'static str, String)>,
    /// (code, name) of the other indicators of the agreement, for the components.
    others: Vec<(String, String)>,
    /// Goals measuring the indicator, whose status follows a change.
    used_by: Vec<String>,
    revision: i64,
    problems: Vec<(String, String)>,
    conflict: Option<(String, Vec<(String, String)>)>,
}

impl IndicatorEditPage {
    fn v(&self, name: &str) -> &str {
        field(&self.fields, name)
    }

    fn is(&self, name: &str, value: &str) -> bool {
        self.v(name) == value
    }

    fn problem(&self, name: &str) -> Option<&str> {
        problem_at(&self.problems, name)
    }

    fn units(&self) -> Vec<(&'static str, &'static str)> {
        super::drafting::unit_options()
    }

    fn directions(&self) -> Vec<(&'static str, &'static str)> {
        super::drafting::direction_options()
    }

    fn accumulations(&self) -> Vec<(&'static str, &'static str)> {
        super::drafting::accumulation_options()
    }
}

/// The form's fields for the stored indicator.
fn indicator_fields(i: &zielwerk_domain::Indicator) -> Vec<(String, String)> {
    let mut f = vec![
        ("name", i.name.clone()),
        ("beschreibung", i.description.clone()),
        ("einheit", i.unit.as_str().to_owned()),
        ("richtung", i.direction.as_str().to_owned()),
        ("art", i.accumulation.as_str().to_owned()),
        ("berechnung", formula_token(&i.formula).to_owned()),
        ("faktor", "100".to_owned()),
    ];
    let mut set = |name: &'static str, v: String| {
        f.retain(|(k, _)| *k != name);
        f.push((name, v));
    };
    match &i.formula {
        Formula::Ratio {
            numerator,
            denominator,
            scale,
        } => {
            set("zaehler", numerator.to_string());
            set("nenner", denominator.to_string());
            set("faktor", zielwerk_domain::format::number(*scale, 2));
        }
        Formula::StoredRatio { scale } => set("faktor", zielwerk_domain::format::number(*scale, 2)),
        Formula::YearOverYear { base } => set("basis", base.to_string()),
        Formula::Product { quantity, price } => {
            set("menge", quantity.to_string());
            set("preis", price.to_string());
        }
        _ => {}
    }
    f.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

async fn indicator_page(
    state: &AppState,
    a: &Agreement,
    i: &zielwerk_domain::Indicator,
    typed: Option<&[(String, String)]>,
) -> Result<IndicatorEditPage, WebError> {
    let stored_revision = state
        .store
        .revision(&a.key(), Element::Indicator(i.code.as_str()))
        .await?
        .unwrap_or_default();
    let mut formulas: Vec<(&'static str, String)> = Vec::new();
    if formula_token(&i.formula) == "bisher" {
        formulas.push((
            "bisher",
            format!("Unverändert: {}", i.formula.describe_de()),
        ));
    }
    formulas.extend(FORMULAS.iter().map(|(t, l)| (*t, (*l).to_owned())));
    Ok(IndicatorEditPage {
        head: head(a, &[]),
        heading: format!("Kennzahl bearbeiten: {}", i.name),
        code: i.code.to_string(),
        action_url: paths::EditIndicator::url(a.key(), &i.code),
        fields: typed.map_or_else(|| indicator_fields(i), <[_]>::to_vec),
        formulas,
        others: a
            .indicators
            .iter()
            .filter(|o| o.code != i.code)
            .map(|o| (o.code.to_string(), format!("{} ({})", o.name, o.code)))
            .collect(),
        used_by: a
            .goals
            .iter()
            .filter(|g| g.indicator == i.code)
            .map(|g| g.title.clone())
            .collect(),
        revision: typed
            .and_then(|f| field(f, "revision").parse().ok())
            .unwrap_or(stored_revision),
        problems: Vec::new(),
        conflict: None,
    })
}

pub async fn edit_indicator_form(
    State(state): State<AppState>,
    session: Session,
    Path((id, code)): Path<(String, String)>,
) -> PageResult {
    let k = agreement_for(&session, &id, Action::ReadInternal)?;
    let a = stored_agreement(&state, &k).await?;
    let i = drafting::find_indicator(&a, &code)?;
    drafting::may_edit_indicator(&session.principal, &a, i)?;
    html(&indicator_page(&state, &a, i, None).await?)
}

/// The formula the form asks for; problems of reading name their field. `old` is kept for
/// "bisher".
fn read_formula(
    f: &[(String, String)],
    old: &Formula,
    problems: &mut Vec<(String, String)>,
) -> Formula {
    use zielwerk_ingest::german::{DecimalStyle, parse_number};
    let code = |name: &str, label: &str, problems: &mut Vec<(String, String)>| {
        let c = field(f, name).trim().parse::<IndicatorCode>().ok();
        if c.is_none() {
            problems.push((
                name.to_owned(),
                format!("Feld „{label}“: bitte eine Kennzahl der Vereinbarung wählen"),
            ));
        }
        c
    };
    let scale = |problems: &mut Vec<(String, String)>| {
        parse_number(field(f, "faktor"), DecimalStyle::Comma)
            .map_err(|e| problems.push(("faktor".into(), format!("Feld „Faktor“: {e}"))))
            .ok()
    };
    // Every field of the chosen formula is read, so that every problem is named at once.
    match field(f, "berechnung") {
        "gespeichert" => Formula::Stored,
        "quote" => {
            scale(problems).map_or_else(|| old.clone(), |scale| Formula::StoredRatio { scale })
        }
        "verhaeltnis" => match (
            code("zaehler", "Zähler", problems),
            code("nenner", "Nenner", problems),
            scale(problems),
        ) {
            (Some(numerator), Some(denominator), Some(scale)) => Formula::Ratio {
                numerator,
                denominator,
                scale,
            },
            _ => old.clone(),
        },
        "vorjahr" => code("basis", "Basis", problems)
            .map_or_else(|| old.clone(), |base| Formula::YearOverYear { base }),
        "produkt" => match (
            code("menge", "Menge", problems),
            code("preis", "Preis", problems),
        ) {
            (Some(quantity), Some(price)) => Formula::Product { quantity, price },
            _ => old.clone(),
        },
        "bisher" => old.clone(),
        other => {
            problems.push((
                "berechnung".into(),
                format!(
                    "Feld „Berechnung“: „{}“ ist keine der angebotenen Berechnungen",
                    other.chars().take(40).collect::<String>()
                ),
            ));
            old.clone()
        }
    }
}

pub async fn edit_indicator(
    State(state): State<AppState>,
    session: Session,
    Path((id, code)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let k = agreement_for(&session, &id, Action::ReadInternal)?;
    let a = stored_agreement(&state, &k).await?;
    let i = drafting::find_indicator(&a, &code)?;
    drafting::may_edit_indicator(&session.principal, &a, i)?;
    let mut problems = Vec::new();
    let formula = read_formula(&fields, &i.formula, &mut problems);
    let pick = |name: &str| field(&fields, name);
    let cmd = drafting::EditIndicator {
        agreement: id.clone(),
        code: code.clone(),
        name: pick("name").to_owned(),
        description: pick("beschreibung").to_owned(),
        unit: Unit::ALL
            .into_iter()
            .find(|u| u.as_str() == pick("einheit"))
            .unwrap_or(i.unit),
        direction: Direction::ALL
            .into_iter()
            .find(|d| d.as_str() == pick("richtung"))
            .unwrap_or(i.direction),
        accumulation: Accumulation::ALL
            .into_iter()
            .find(|x| x.as_str() == pick("art"))
            .unwrap_or(i.accumulation),
        formula,
        revision: pick("revision").parse().unwrap_or(-1),
    };
    let refused = |problems: Vec<(String, String)>| async {
        let mut page = indicator_page(&state, &a, i, Some(&fields)).await?;
        page.problems = problems;
        Ok::<_, WebError>((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
    };
    if !problems.is_empty() {
        // With the rules' problems of the other fields (the formula as stored).
        let mut candidate = i.clone();
        candidate.name = cmd.name.trim().to_owned();
        candidate.description = cmd.description.clone();
        candidate.unit = cmd.unit;
        candidate.direction = cmd.direction;
        candidate.accumulation = cmd.accumulation;
        for (at, message) in field_problems(drafting::indicator_problems(&a, &candidate)) {
            if !problems.iter().any(|(f, _)| *f == at) {
                problems.push((at, message));
            }
        }
        return refused(problems).await;
    }
    match drafting::edit_indicator(&state.store, &session.principal, cmd).await {
        Ok(_) => Ok(Redirect::to(&paths::Draft::url(&k)).into_response()),
        Err(AppError::Invalid(problems)) => refused(field_problems(problems)).await,
        Err(AppError::Conflict {
            message,
            kind: zielwerk_app::ConflictKind::Stale,
        }) => {
            let now = stored_agreement(&state, &k).await?;
            let stored = drafting::find_indicator(&now, &code)?;
            let mut page = indicator_page(&state, &now, stored, Some(&fields)).await?;
            page.revision = state
                .store
                .revision(&k, Element::Indicator(&code))
                .await?
                .unwrap_or_default();
            page.conflict = Some((
                message,
                vec![
                    ("Name".into(), stored.name.clone()),
                    ("Einheit".into(), stored.unit.label_de().into()),
                    ("Richtung".into(), stored.direction.label_de().into()),
                    ("Berechnung".into(), stored.formula.describe_de()),
                ],
            ));
            Ok((StatusCode::CONFLICT, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

// ----- Removal ------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "element_remove.html")]
struct RemovePage {
    head: Head,
    /// "Zielbereich", "Kennzahl", "Handlungsansatz"
    what: &'static str,
    title: String,
    action_url: String,
    back_url: String,
    revision: i64,
    /// What still uses it: then it cannot be removed yet.
    blockers: Vec<String>,
    /// What goes with it.
    consequence: String,
    voids_signatures: bool,
    problems: Vec<String>,
}

fn element(what: Removable, key: &str) -> Element<'_> {
    match what {
        Removable::Area => Element::Area(key),
        Removable::Indicator => Element::Indicator(key),
        Removable::Measure => Element::Measure(key),
    }
}

async fn remove_page(
    state: &AppState,
    a: &Agreement,
    what: Removable,
    key: &str,
    problems: Vec<String>,
) -> Result<RemovePage, WebError> {
    let k = a.key();
    let (label, title, action_url, consequence) = match what {
        Removable::Area => (
            "Zielbereich",
            drafting::find_area(a, key)?.title.clone(),
            paths::RemoveArea::url(&k, key),
            "Der Bereich verschwindet aus der Vereinbarung und ihren Anlagen.".to_owned(),
        ),
        Removable::Indicator => (
            "Kennzahl",
            drafting::find_indicator(a, key)?.name.clone(),
            paths::RemoveIndicator::url(&k, key),
            "Die Definition verschwindet aus der Vereinbarung; gespeicherte Werte bleiben erhalten und gelten wieder, wenn die Kennzahl erneut angelegt wird.".to_owned(),
        ),
        Removable::Measure => (
            "Handlungsansatz",
            zielwerk_app::agreements::find_measure(a, key)?.title.clone(),
            paths::RemoveMeasure::url(&k, key),
            "Der Handlungsansatz verschwindet aus dem Planungsdokument, mit seiner Wirkungserwartung und seiner Zuordnung zu den Zielen.".to_owned(),
        ),
    };
    Ok(RemovePage {
        head: head(a, &[]),
        what: label,
        title,
        action_url,
        back_url: paths::Draft::url(&k),
        revision: state
            .store
            .revision(&k, element(what, key))
            .await?
            .unwrap_or_default(),
        blockers: drafting::removal_blockers(a, what, key),
        consequence,
        voids_signatures: !state.store.signatures(&k).await?.is_empty(),
        problems,
    })
}

async fn removal_form(
    state: AppState,
    session: Session,
    id: String,
    key: String,
    what: Removable,
) -> PageResult {
    let k = agreement_for(&session, &id, Action::ReadInternal)?;
    let a = stored_agreement(&state, &k).await?;
    drafting::may_remove(&session.principal, &a, what, &key)?;
    html(&remove_page(&state, &a, what, &key, Vec::new()).await?)
}

async fn removal(
    state: AppState,
    session: Session,
    id: String,
    key: String,
    what: Removable,
    fields: Vec<(String, String)>,
) -> PageResult {
    let k = agreement_for(&session, &id, Action::ReadInternal)?;
    let cmd = drafting::Remove {
        agreement: id.clone(),
        what,
        key: key.clone(),
        revision: field(&fields, "revision").parse().unwrap_or(-1),
    };
    let (state_ref, k_ref, key_ref) = (&state, &k, key.as_str());
    let again = move |problems: Vec<String>, status: StatusCode| async move {
        let a = stored_agreement(state_ref, k_ref).await?;
        let page = remove_page(state_ref, &a, what, key_ref, problems).await?;
        Ok::<_, WebError>((status, Html(page.render()?)).into_response())
    };
    match drafting::remove(&state.store, &session.principal, cmd).await {
        Ok(()) => Ok(Redirect::to(&paths::Draft::url(&k)).into_response()),
        Err(AppError::Invalid(problems)) => {
            again(
                problems.into_iter().map(|p| p.message).collect(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict {
            message,
            kind: zielwerk_app::ConflictKind::Stale,
        }) => {
            again(
                vec![format!(
                    "{message}. Prüfen Sie, was jetzt gespeichert ist, und bestätigen Sie erneut, wenn es entfernt werden soll."
                )],
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn remove_area_form(
    State(state): State<AppState>,
    session: Session,
    Path((id, key)): Path<(String, String)>,
) -> PageResult {
    removal_form(state, session, id, key, Removable::Area).await
}

pub async fn remove_area(
    State(state): State<AppState>,
    session: Session,
    Path((id, key)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    removal(state, session, id, key, Removable::Area, fields).await
}

pub async fn remove_indicator_form(
    State(state): State<AppState>,
    session: Session,
    Path((id, key)): Path<(String, String)>,
) -> PageResult {
    removal_form(state, session, id, key, Removable::Indicator).await
}

pub async fn remove_indicator(
    State(state): State<AppState>,
    session: Session,
    Path((id, key)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    removal(state, session, id, key, Removable::Indicator, fields).await
}

pub async fn remove_measure_form(
    State(state): State<AppState>,
    session: Session,
    Path((id, key)): Path<(String, String)>,
) -> PageResult {
    removal_form(state, session, id, key, Removable::Measure).await
}

pub async fn remove_measure(
    State(state): State<AppState>,
    session: Session,
    Path((id, key)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    removal(state, session, id, key, Removable::Measure, fields).await
}
