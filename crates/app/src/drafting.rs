//! Drafting the rest of an agreement in the browser: its goal areas, its indicators of its own,
//! its Handlungsansätze added and removed. Goals are in [`crate::agreements`]. Each command is
//! authorised inside, checks the whole agreement as it would be afterwards, and is guarded by
//! the revision of what it changes.
//!
//! Who may change what is shared by several goals: an area or an indicator belongs to the
//! parties responsible for the goals in it or measuring it, and changing it needs the edit
//! right of every one of them; one that no goal uses yet may be changed by anyone who may edit
//! goals of the agreement. The indicators the law and the statistics define (§ 48a SGB II, the
//! BA's and INKAR's) are not the agreement's to change.

use zielwerk_domain::{
    Accumulation, Action, Agreement, AreaKind, Direction, Formula, GoalArea, Indicator, Measure,
    PartyRole, Principal, Unit, YearMonth,
};
use zielwerk_store::{Element, Store};

use crate::agreements::{MAX_TEXT, MAX_TITLE, editable_parties, measure_goals, stored};
use crate::{AppError, Problem, access, reads};

/// Problems of texts: a title (`true`) needs 1 to [`MAX_TITLE`] characters, any other text at
/// most [`MAX_TEXT`].
fn text_problems(fields: &[(&str, &str, &str, bool)]) -> Vec<Problem> {
    let mut out = Vec::new();
    for (field, label, text, title) in fields {
        let n = text.chars().count();
        if *title && (text.trim().is_empty() || n > MAX_TITLE) {
            out.push(Problem::at(
                field,
                format!("Feld „{label}“: bitte 1 bis {MAX_TITLE} Zeichen eingeben"),
            ));
        } else if n > MAX_TEXT {
            out.push(Problem::at(
                field,
                format!(
                    "Feld „{label}“: höchstens {} Zeichen",
                    zielwerk_domain::format::number(MAX_TEXT as f64, 0)
                ),
            ));
        }
    }
    out
}

fn whole_problems(whole: &Agreement) -> impl Iterator<Item = Problem> {
    whole
        .check()
        .into_iter()
        .map(|p| Problem::at(&p.path.to_string(), format!("{}: {}", p.path, p.message)))
}

/// The edit rule for a part several goals share: the edit right for every party in `parties`,
/// or, when no goal uses it, for at least one party of the agreement.
fn may_edit_shared(
    p: &Principal,
    a: &Agreement,
    parties: &[PartyRole],
    missing: impl Fn() -> String,
) -> Result<(), AppError> {
    if parties.is_empty() {
        if editable_parties(p, a).is_empty() {
            // Says why: signed, or no edit right at all.
            return access::may_edit(p, a, PartyRole::Kreis, missing);
        }
        return Ok(());
    }
    for party in parties {
        access::may_edit(p, a, *party, &missing)?;
    }
    Ok(())
}

fn parties_of<'a>(goals: impl Iterator<Item = &'a zielwerk_domain::Goal>) -> Vec<PartyRole> {
    let mut out: Vec<PartyRole> = Vec::new();
    for g in goals {
        if !out.contains(&g.responsible) {
            out.push(g.responsible);
        }
    }
    out
}

// ----- Goal areas ---------------------------------------------------------------------------

/// The area `key` of `a`, or not found.
pub fn find_area<'a>(a: &'a Agreement, key: &str) -> Result<&'a GoalArea, AppError> {
    a.areas
        .iter()
        .find(|x| x.key.as_str() == key)
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "Den Zielbereich „{key}“ gibt es in dieser Vereinbarung nicht."
            ))
        })
}

/// May `p` change the area `area` of `a` (see the module's rule)?
pub fn may_edit_area(p: &Principal, a: &Agreement, area: &GoalArea) -> Result<(), AppError> {
    let parties = parties_of(a.goals.iter().filter(|g| g.area == area.key));
    may_edit_shared(p, a, &parties, || {
        format!("Den Zielbereich „{}“ gibt es nicht.", area.key)
    })
}

/// Edit a goal area: its title, kind and description.
#[derive(Debug, Clone)]
pub struct EditArea {
    pub agreement: String,
    pub area: String,
    pub title: String,
    pub kind: AreaKind,
    pub description: String,
    pub revision: i64,
}

/// What is wrong with `changed` as the new state of its area in `a`. Empty: it may be saved.
pub fn area_problems(a: &Agreement, changed: &GoalArea) -> Vec<Problem> {
    let mut problems = text_problems(&[
        ("titel", "Titel", &changed.title, true),
        ("beschreibung", "Beschreibung", &changed.description, false),
    ]);
    if problems.is_empty() {
        let mut whole = a.clone();
        if let Some(slot) = whole.areas.iter_mut().find(|x| x.key == changed.key) {
            *slot = changed.clone();
        }
        problems.extend(whole_problems(&whole));
    }
    problems
}

/// Saves an area edit for `p`; returns the new revision.
pub async fn edit_area(store: &Store, p: &Principal, cmd: EditArea) -> Result<i64, AppError> {
    let (key, a) = stored(store, p, &cmd.agreement).await?;
    let old = find_area(&a, &cmd.area)?;
    may_edit_area(p, &a, old)?;
    let new = GoalArea {
        key: old.key.clone(),
        title: cmd.title.trim().to_owned(),
        kind: cmd.kind,
        description: cmd.description.replace("\r\n", "\n"),
    };
    let problems = area_problems(&a, &new);
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    Ok(store
        .acting_as(&p.audit_name())
        .update_area(&key, &new, old, cmd.revision)
        .await?)
}

// ----- Indicators of the agreement's own ----------------------------------------------------

/// Whether the law or a statistic defines the indicator `code` (the § 48a key figures and
/// their components, the BA's and INKAR's figures): then no agreement changes it.
pub fn defined_outside(code: &zielwerk_domain::IndicatorCode) -> bool {
    zielwerk_domain::keyfigures::catalogue()
        .iter()
        .any(|i| &i.code == code)
}

/// The indicator `code` of `a`, or not found.
pub fn find_indicator<'a>(a: &'a Agreement, code: &str) -> Result<&'a Indicator, AppError> {
    a.indicators
        .iter()
        .find(|i| i.code.as_str() == code)
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "Die Kennzahl „{code}“ gibt es in dieser Vereinbarung nicht."
            ))
        })
}

/// May `p` change the indicator `ind` of `a` (see the module's rule)?
pub fn may_edit_indicator(p: &Principal, a: &Agreement, ind: &Indicator) -> Result<(), AppError> {
    access::require(p, &a.jobcenter.ba_id, Action::ReadInternal, || {
        format!("Die Kennzahl „{}“ gibt es nicht.", ind.code)
    })?;
    if defined_outside(&ind.code) {
        return Err(AppError::Forbidden(format!(
            "„{}“ ({}) ist bundesweit festgelegt (§ 48a SGB II oder die amtliche Statistik) und wird in keiner Vereinbarung geändert.",
            ind.name, ind.code
        )));
    }
    let parties = parties_of(a.goals.iter().filter(|g| g.indicator == ind.code));
    may_edit_shared(p, a, &parties, || {
        format!("Die Kennzahl „{}“ gibt es nicht.", ind.code)
    })
}

/// Edit an indicator of the agreement's own: what it is called, what it counts and how it is
/// computed from other indicators.
#[derive(Debug, Clone)]
pub struct EditIndicator {
    pub agreement: String,
    pub code: String,
    pub name: String,
    pub description: String,
    pub unit: Unit,
    pub direction: Direction,
    pub accumulation: Accumulation,
    pub formula: Formula,
    pub revision: i64,
}

/// What is wrong with `changed` as the new state of its indicator in `a` (as
/// [`area_problems`]): the whole agreement is checked, so a formula over a missing indicator,
/// a cycle, or a target that no longer fits the unit is named.
pub fn indicator_problems(a: &Agreement, changed: &Indicator) -> Vec<Problem> {
    let mut problems = text_problems(&[
        ("name", "Name", &changed.name, true),
        ("beschreibung", "Beschreibung", &changed.description, false),
    ]);
    if problems.is_empty() {
        let mut whole = a.clone();
        if let Some(slot) = whole.indicators.iter_mut().find(|x| x.code == changed.code) {
            *slot = changed.clone();
        }
        problems.extend(whole_problems(&whole));
    }
    problems
}

/// Saves an indicator edit for `p`; returns the new revision. Values stored for the indicator
/// stay; what is computed from them follows the new formula.
pub async fn edit_indicator(
    store: &Store,
    p: &Principal,
    cmd: EditIndicator,
) -> Result<i64, AppError> {
    let (key, a) = stored(store, p, &cmd.agreement).await?;
    let old = find_indicator(&a, &cmd.code)?;
    may_edit_indicator(p, &a, old)?;
    let mut new = old.clone();
    new.name = cmd.name.trim().to_owned();
    new.description = cmd.description.replace("\r\n", "\n");
    new.unit = cmd.unit;
    new.direction = cmd.direction;
    new.accumulation = cmd.accumulation;
    if new.formula != cmd.formula {
        // The labels of numerator and denominator belong to the stored ratio they named.
        if !matches!(cmd.formula, Formula::StoredRatio { .. }) {
            new.numerator_label = None;
            new.denominator_label = None;
        }
        new.formula = cmd.formula;
    }
    let problems = indicator_problems(&a, &new);
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    Ok(store
        .acting_as(&p.audit_name())
        .update_indicator(&key, &new, old, cmd.revision)
        .await?)
}

// ----- Handlungsansätze ---------------------------------------------------------------------

/// Add a Handlungsansatz to the planning document of an unsigned agreement.
#[derive(Debug, Clone)]
pub struct AddMeasure {
    pub agreement: String,
    pub title: String,
    pub description: String,
    pub expected_effect: String,
    pub responsible: PartyRole,
    pub start: YearMonth,
    pub end: Option<YearMonth>,
    pub goals: Vec<String>,
}

/// The Handlungsansatz `cmd` asks for in `a`, or every problem at its field. Pure.
pub fn new_measure(a: &Agreement, cmd: &AddMeasure) -> Result<Measure, Vec<Problem>> {
    let mut problems = text_problems(&[
        ("titel", "Titel", &cmd.title, true),
        ("beschreibung", "Beschreibung", &cmd.description, false),
        ("wirkung", "Wirkungserwartung", &cmd.expected_effect, false),
    ]);
    let goals = measure_goals(a, &cmd.goals)
        .map_err(|p| problems.push(p))
        .unwrap_or_default();
    let key = crate::agreements::free_key(&cmd.title, "massnahme", |k| {
        a.measures.iter().any(|m| m.key.as_str() == k)
    });
    let m = Measure {
        key,
        title: cmd.title.trim().to_owned(),
        description: cmd.description.replace("\r\n", "\n"),
        expected_effect: cmd.expected_effect.replace("\r\n", "\n"),
        responsible: cmd.responsible,
        start: cmd.start,
        end: cmd.end,
        goals,
    };
    if problems.is_empty() {
        let mut whole = a.clone();
        whole.measures.push(m.clone());
        problems.extend(whole_problems(&whole));
    }
    if problems.is_empty() {
        Ok(m)
    } else {
        Err(problems)
    }
}

/// Adds a Handlungsansatz for `p`, who must be allowed to edit the party responsible for it;
/// returns its key.
pub async fn add_measure(
    store: &Store,
    p: &Principal,
    cmd: AddMeasure,
) -> Result<String, AppError> {
    let (key, a) = stored(store, p, &cmd.agreement).await?;
    access::may_edit(p, &a, cmd.responsible, || {
        reads::agreement_missing(&cmd.agreement)
    })?;
    let m = new_measure(&a, &cmd).map_err(AppError::Invalid)?;
    store
        .acting_as(&p.audit_name())
        .add_measure(&key, &m)
        .await?;
    Ok(m.key.to_string())
}

// ----- Removal ------------------------------------------------------------------------------

/// What a removal takes away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removable {
    Area,
    Indicator,
    Measure,
}

/// Remove an area, an indicator or a Handlungsansatz, confirmed at its revision.
#[derive(Debug, Clone)]
pub struct Remove {
    pub agreement: String,
    pub what: Removable,
    pub key: String,
    pub revision: i64,
}

/// Why the part `key` of `a` cannot be removed, in words; empty when it can. An area that holds
/// goals and an indicator that goals measure or other indicators are computed from stay until
/// those are moved or removed.
pub fn removal_blockers(a: &Agreement, what: Removable, key: &str) -> Vec<String> {
    let goal_titles = |f: &dyn Fn(&zielwerk_domain::Goal) -> bool| -> Vec<String> {
        a.goals
            .iter()
            .filter(|g| f(g))
            .map(|g| format!("das Ziel „{}“", g.title))
            .collect()
    };
    match what {
        Removable::Area => goal_titles(&|g| g.area.as_str() == key),
        Removable::Indicator => {
            let mut out = goal_titles(&|g| g.indicator.as_str() == key);
            out.extend(
                a.indicators
                    .iter()
                    .filter(|i| i.formula.inputs().iter().any(|c| c.as_str() == key))
                    .map(|i| format!("die Kennzahl „{}“, die aus ihr berechnet wird", i.name)),
            );
            out
        }
        Removable::Measure => Vec::new(),
    }
}

/// The title of the part and its state as the audit trail keeps it; not found when there is none.
fn removed(
    a: &Agreement,
    what: Removable,
    key: &str,
) -> Result<(String, serde_json::Value), AppError> {
    let json = |v: serde_json::Result<serde_json::Value>| v.unwrap_or_default();
    Ok(match what {
        Removable::Area => {
            let x = find_area(a, key)?;
            (x.title.clone(), json(serde_json::to_value(x)))
        }
        Removable::Indicator => {
            let x = find_indicator(a, key)?;
            (x.name.clone(), json(serde_json::to_value(x)))
        }
        Removable::Measure => {
            let x = crate::agreements::find_measure(a, key)?;
            (x.title.clone(), json(serde_json::to_value(x)))
        }
    })
}

/// May `p` remove the part `key` of `a`? The edit rule of that part.
pub fn may_remove(
    p: &Principal,
    a: &Agreement,
    what: Removable,
    key: &str,
) -> Result<(), AppError> {
    match what {
        Removable::Area => may_edit_area(p, a, find_area(a, key)?),
        Removable::Indicator => may_edit_indicator(p, a, find_indicator(a, key)?),
        Removable::Measure => {
            let m = crate::agreements::find_measure(a, key)?;
            access::may_edit(p, a, m.responsible, || {
                format!("Den Handlungsansatz „{key}“ gibt es nicht.")
            })
        }
    }
}

/// Removes the part for `p`; refused with the reason when something still uses it.
pub async fn remove(store: &Store, p: &Principal, cmd: Remove) -> Result<(), AppError> {
    let (key, a) = stored(store, p, &cmd.agreement).await?;
    may_remove(p, &a, cmd.what, &cmd.key)?;
    let blockers = removal_blockers(&a, cmd.what, &cmd.key);
    if !blockers.is_empty() {
        return Err(AppError::invalid(format!(
            "Noch in Gebrauch durch {}; ändern oder entfernen Sie zuerst diese",
            blockers.join(", ")
        )));
    }
    let (title, before) = removed(&a, cmd.what, &cmd.key)?;
    let element = match cmd.what {
        Removable::Area => Element::Area(&cmd.key),
        Removable::Indicator => Element::Indicator(&cmd.key),
        Removable::Measure => Element::Measure(&cmd.key),
    };
    Ok(store
        .acting_as(&p.audit_name())
        .remove_element(&key, element, &title, before, cmd.revision)
        .await?)
}
