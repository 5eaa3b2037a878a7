//! Changing an agreement: a goal or a Handlungsansatz edited by the party responsible, a
//! signature, a Nachtrag. Each command is authorised inside and checks the whole agreement.

use zielwerk_domain::{
    Action, Agreement, AgreementKey, Goal, Measure, PartyRole, Principal,
    agreement::Problem as AgreementProblem,
};
use zielwerk_store::{Store, StoredSignature};

use crate::{AppError, Problem, access, reads};

/// The longest title of a goal or Handlungsansatz.
pub const MAX_TITLE: usize = 300;
/// The longest description or expected effect.
pub const MAX_TEXT: usize = 4000;

/// The agreement `id` as stored, for `p`, who must be allowed to read its internal data.
pub(crate) async fn stored(
    store: &Store,
    p: &Principal,
    id: &str,
) -> Result<(AgreementKey, Agreement), AppError> {
    let key = reads::agreement_key(p, id, Action::ReadInternal)?;
    let a = store
        .agreement(&key)
        .await?
        .ok_or_else(|| AppError::NotFound(reads::agreement_missing(id)))?;
    Ok((key, a))
}

/// The goal `goal` of `a`, or not found.
pub fn find_goal<'a>(a: &'a Agreement, goal: &str) -> Result<&'a Goal, AppError> {
    goal.parse().ok().and_then(|k| a.goal(&k)).ok_or_else(|| {
        AppError::NotFound(format!(
            "Das Ziel „{goal}“ gibt es in dieser Vereinbarung nicht."
        ))
    })
}

/// The Handlungsansatz `key` of `a`, or not found.
pub fn find_measure<'a>(a: &'a Agreement, key: &str) -> Result<&'a Measure, AppError> {
    a.measures
        .iter()
        .find(|m| m.key.as_str() == key)
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "Den Handlungsansatz „{key}“ gibt es in dieser Vereinbarung nicht."
            ))
        })
}

fn title_problems(title: &str, texts: &[(&str, &str, &str)]) -> Vec<Problem> {
    let mut out = Vec::new();
    if title.trim().is_empty() || title.chars().count() > MAX_TITLE {
        out.push(Problem::at(
            "titel",
            format!("Feld „Titel“: bitte 1 bis {MAX_TITLE} Zeichen eingeben"),
        ));
    }
    for (field, label, text) in texts {
        if text.chars().count() > MAX_TEXT {
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

fn agreement_problems(problems: Vec<AgreementProblem>) -> impl Iterator<Item = Problem> {
    problems
        .into_iter()
        .map(|p| Problem::at(&p.path.to_string(), format!("{}: {}", p.path, p.message)))
}

/// What is wrong with `changed` as the new state of the goal `old` of `a`: the text limits, and
/// every rule of the whole agreement with the goal replaced. Empty: it may be saved. (The page
/// asks this too, to list every problem at once beside the ones of reading its form.)
pub fn goal_problems(a: &Agreement, changed: &Goal) -> Vec<Problem> {
    let mut problems = title_problems(
        &changed.title,
        &[("beschreibung", "Beschreibung", &changed.description)],
    );
    if problems.is_empty() {
        let mut whole = a.clone();
        if let Some(slot) = whole.goals.iter_mut().find(|x| x.key == changed.key) {
            *slot = changed.clone();
        }
        problems.extend(agreement_problems(whole.check()));
    }
    problems
}

/// What is wrong with `changed` as the new state of a Handlungsansatz of `a` (as
/// [`goal_problems`]).
pub fn measure_problems(a: &Agreement, changed: &Measure) -> Vec<Problem> {
    let mut problems = title_problems(
        &changed.title,
        &[
            ("beschreibung", "Beschreibung", &changed.description),
            ("wirkung", "Wirkungserwartung", &changed.expected_effect),
        ],
    );
    if problems.is_empty() {
        let mut whole = a.clone();
        if let Some(slot) = whole.measures.iter_mut().find(|x| x.key == changed.key) {
            *slot = changed.clone();
        }
        problems.extend(agreement_problems(whole.check()));
    }
    problems
}

/// Edit a goal: its title, description, area, indicator, responsible party, target and
/// tolerance. Its key and origin are kept.
#[derive(Debug, Clone)]
pub struct EditGoal {
    pub agreement: String,
    pub goal: String,
    pub title: String,
    pub description: String,
    /// The key of an area of the agreement.
    pub area: String,
    /// The code of an indicator of the agreement.
    pub indicator: String,
    /// Handing a goal to another party needs the edit right of both.
    pub responsible: PartyRole,
    pub target: zielwerk_domain::Target,
    pub tolerance: zielwerk_domain::Tolerance,
    /// The revision the person started from; a change in between is a conflict.
    pub revision: i64,
}

/// Saves a goal edit for `p` (the party responsible, while the agreement is unsigned); returns
/// the new revision.
pub async fn edit_goal(store: &Store, p: &Principal, cmd: EditGoal) -> Result<i64, AppError> {
    let (key, a) = stored(store, p, &cmd.agreement).await?;
    let old = find_goal(&a, &cmd.goal)?;
    access::may_edit(p, &a, old.responsible, || {
        format!("Das Ziel „{}“ gibt es nicht.", old.key)
    })?;
    if cmd.responsible != old.responsible {
        access::may_edit(p, &a, cmd.responsible, || {
            format!("Das Ziel „{}“ gibt es nicht.", old.key)
        })?;
    }
    let mut new = old.clone();
    new.title = cmd.title.trim().to_owned();
    new.description = cmd.description.replace("\r\n", "\n");
    new.target = cmd.target;
    new.tolerance = cmd.tolerance;
    new.responsible = cmd.responsible;
    let mut problems = Vec::new();
    match a.areas.iter().find(|x| x.key.as_str() == cmd.area.trim()) {
        Some(x) => new.area = x.key.clone(),
        None => problems.push(Problem::at(
            "bereich",
            format!(
                "Feld „Zielbereich“: den Zielbereich „{}“ gibt es in dieser Vereinbarung nicht",
                cmd.area
            ),
        )),
    }
    match a
        .indicators
        .iter()
        .find(|i| i.code.as_str() == cmd.indicator.trim())
    {
        Some(i) => new.indicator = i.code.clone(),
        None => problems.push(Problem::at(
            "kennzahl",
            format!(
                "Feld „Kennzahl“: die Kennzahl „{}“ gibt es in dieser Vereinbarung nicht",
                cmd.indicator
            ),
        )),
    }
    problems.extend(goal_problems(&a, &new));
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    Ok(store
        .acting_as(&p.audit_name())
        .update_goal(&key, &new, cmd.revision)
        .await?)
}

/// Edit a Handlungsansatz of the planning document: title, description, expected effect,
/// period, the goals it serves.
#[derive(Debug, Clone)]
pub struct EditMeasure {
    pub agreement: String,
    pub measure: String,
    pub title: String,
    pub description: String,
    pub expected_effect: String,
    pub start: zielwerk_domain::YearMonth,
    pub end: Option<zielwerk_domain::YearMonth>,
    /// The keys of the goals it serves, in order.
    pub goals: Vec<String>,
    pub revision: i64,
}

/// The goals `keys` of `a` as a Handlungsansatz links them, or a problem at the field "ziele".
pub fn measure_goals(a: &Agreement, keys: &[String]) -> Result<Vec<zielwerk_domain::Key>, Problem> {
    let mut out: Vec<zielwerk_domain::Key> = Vec::new();
    for k in keys {
        let g = a
            .goals
            .iter()
            .find(|g| g.key.as_str() == k.trim())
            .ok_or_else(|| {
                Problem::at(
                    "ziele",
                    format!("Feld „Ziele“: das Ziel „{k}“ gibt es in dieser Vereinbarung nicht"),
                )
            })?;
        if !out.contains(&g.key) {
            out.push(g.key.clone());
        }
    }
    if out.is_empty() {
        return Err(Problem::at(
            "ziele",
            "Feld „Ziele“: bitte mindestens ein Ziel wählen, dem der Handlungsansatz dient",
        ));
    }
    Ok(out)
}

/// Saves a Handlungsansatz edit for `p` (as [`edit_goal`]); returns the new revision.
pub async fn edit_measure(store: &Store, p: &Principal, cmd: EditMeasure) -> Result<i64, AppError> {
    let (key, a) = stored(store, p, &cmd.agreement).await?;
    let old = find_measure(&a, &cmd.measure)?;
    access::may_edit(p, &a, old.responsible, || {
        format!("Den Handlungsansatz „{}“ gibt es nicht.", old.key)
    })?;
    let mut new = old.clone();
    new.title = cmd.title.trim().to_owned();
    new.description = cmd.description.replace("\r\n", "\n");
    new.expected_effect = cmd.expected_effect.replace("\r\n", "\n");
    new.start = cmd.start;
    new.end = cmd.end;
    let mut problems = Vec::new();
    match measure_goals(&a, &cmd.goals) {
        Ok(goals) => new.goals = goals,
        Err(p) => problems.push(p),
    }
    problems.extend(measure_problems(&a, &new));
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    Ok(store
        .acting_as(&p.audit_name())
        .update_measure(&key, &new, cmd.revision)
        .await?)
}

/// Sign an agreement version for a party.
#[derive(Debug, Clone)]
pub struct Sign {
    pub agreement: String,
    /// `kreis`, `agentur` or `jobcenter`.
    pub party: String,
    /// The agreement's stamp the person saw (a change in between voids the signature).
    pub stamp: String,
    /// The SHA-256 of the content the person was shown.
    pub content: String,
    pub on: chrono::NaiveDate,
}

/// Signs for `p`, who must hold the signing right of that party.
pub async fn sign(store: &Store, p: &Principal, cmd: Sign) -> Result<(), AppError> {
    let key = reads::agreement_key(p, &cmd.agreement, Action::ReadInternal)?;
    let party = PartyRole::ALL
        .into_iter()
        .find(|r| r.as_str() == cmd.party.trim())
        .ok_or_else(|| {
            AppError::Invalid(vec![Problem::at(
                "partei",
                format!(
                    "Feld „Partei“: „{}“ (erwartet kreis, agentur oder jobcenter)",
                    cmd.party.chars().take(60).collect::<String>()
                ),
            )])
        })?;
    access::require(p, &key.jobcenter, Action::Sign(party), || {
        reads::agreement_missing(&cmd.agreement)
    })?;
    store
        .acting_as(&p.audit_name())
        .sign(
            &key,
            party,
            &p.user_id,
            cmd.stamp.trim(),
            cmd.content.trim(),
            cmd.on,
        )
        .await?;
    Ok(())
}

/// The signatures of an agreement version, for `p` who may read it.
pub async fn signatures(
    store: &Store,
    p: &Principal,
    id: &str,
) -> Result<Vec<StoredSignature>, AppError> {
    let (key, _) = stored(store, p, id).await?;
    Ok(store.signatures(&key).await?)
}

/// Opens a Nachtrag (a new version) of a signed agreement for `p`; returns the new version's key.
pub async fn open_nachtrag(
    store: &Store,
    p: &Principal,
    id: &str,
) -> Result<AgreementKey, AppError> {
    let key = reads::agreement_key(p, id, Action::OpenNachtrag)?;
    Ok(store.acting_as(&p.audit_name()).open_nachtrag(&key).await?)
}

/// Prepares next year's agreement as a draft from `id` for `p`, who may steer this Jobcenter;
/// returns the new draft's key. What is carried: [`Agreement::for_next_year`].
pub async fn prepare_next_year(
    store: &Store,
    p: &Principal,
    id: &str,
) -> Result<AgreementKey, AppError> {
    let key = reads::agreement_key(p, id, Action::PrepareNextYear)?;
    Ok(store
        .acting_as(&p.audit_name())
        .prepare_next_year(&key)
        .await?)
}

/// What a draft changes against the agreement it was made from, in words: against last year's
/// carried a year on when it was prepared from last year, against the amended version for a
/// Nachtrag. `None` when it was made from nothing (imported).
pub async fn changes_from_origin(
    store: &Store,
    p: &Principal,
    id: &str,
) -> Result<Option<(AgreementKey, Vec<zielwerk_domain::nachtrag::Difference>)>, AppError> {
    let (key, a) = stored(store, p, id).await?;
    let Some(origin) = store.based_on(&key).await? else {
        return Ok(None);
    };
    let Some(old) = store.agreement(&origin).await? else {
        return Ok(None);
    };
    let changes = if old.year < a.year {
        zielwerk_domain::nachtrag::changes_from_last_year(&old, &a)
    } else {
        zielwerk_domain::nachtrag::differences(&old, &a)
    };
    Ok(Some((origin, changes)))
}

/// Where next year stands for an agreement version, for the button that prepares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextYear {
    /// It may be prepared from this version, for this year.
    Prepare(i32),
    /// It exists already (its first version).
    Prepared(AgreementKey),
}

/// Next year's state for `p` at the agreement `key`: `None` when `p` may not prepare it or this
/// is not the newest version of its year (the newest is what is carried).
pub async fn next_year(
    store: &Store,
    p: &Principal,
    key: &AgreementKey,
) -> Result<Option<NextYear>, AppError> {
    let all = store.agreements().await?;
    let same = |s: &&zielwerk_store::AgreementSummary| s.jobcenter == key.jobcenter;
    if let Some(next) = all
        .iter()
        .filter(same)
        .filter(|s| s.year == key.year + 1)
        .min_by_key(|s| s.version)
    {
        return Ok(Some(NextYear::Prepared(next.key.clone())));
    }
    let newest = all
        .iter()
        .filter(same)
        .filter(|s| s.year == key.year)
        .all(|s| s.version <= key.version);
    Ok((newest && p.may(&key.jobcenter, Action::PrepareNextYear))
        .then_some(NextYear::Prepare(key.year + 1)))
}

/// Where a new goal goes: an area of the agreement, or a new one.
#[derive(Debug, Clone)]
pub enum AreaChoice {
    Existing(String),
    New {
        title: String,
        kind: zielwerk_domain::AreaKind,
    },
}

/// What a new goal measures: an indicator of the agreement, or a new one of its own.
#[derive(Debug, Clone)]
pub enum IndicatorChoice {
    Existing(String),
    New(NewIndicator),
}

/// An indicator of the agreement's own, as the form gives it.
#[derive(Debug, Clone)]
pub struct NewIndicator {
    pub code: String,
    pub name: String,
    pub unit: zielwerk_domain::Unit,
    pub direction: zielwerk_domain::Direction,
    pub accumulation: zielwerk_domain::Accumulation,
    /// Stored as it arrives, or numerator and denominator stored (a quota in percent).
    pub ratio: bool,
}

/// Add a goal to an unsigned agreement, for the party responsible for it.
#[derive(Debug, Clone)]
pub struct AddGoal {
    pub agreement: String,
    pub area: AreaChoice,
    pub title: String,
    pub description: String,
    pub responsible: PartyRole,
    pub origin: zielwerk_domain::Origin,
    pub indicator: IndicatorChoice,
    pub target: zielwerk_domain::Target,
    pub tolerance: zielwerk_domain::Tolerance,
}

/// A key for `title` not yet taken by `taken`: the title's key, with "-2", "-3", … if needed.
pub(crate) fn free_key(
    title: &str,
    fallback: &str,
    taken: impl Fn(&str) -> bool,
) -> zielwerk_domain::Key {
    let base = zielwerk_domain::Key::from_title(title)
        .map(|k| k.to_string())
        .unwrap_or_else(|| fallback.to_owned());
    let mut n = 1;
    loop {
        let candidate = if n == 1 {
            base.clone()
        } else {
            format!("{}-{n}", base.chars().take(44).collect::<String>())
        };
        if !taken(&candidate) {
            return candidate.parse().expect("a key made of a key and digits");
        }
        n += 1;
    }
}

/// The goal, and the area and indicator it brings, as `cmd` asks for them in `a`; or every
/// problem, at its field. Pure: the rules of the whole agreement with the goal added.
pub fn new_goal(
    a: &Agreement,
    cmd: &AddGoal,
) -> Result<
    (
        Goal,
        Option<zielwerk_domain::GoalArea>,
        Option<zielwerk_domain::Indicator>,
    ),
    Vec<Problem>,
> {
    use zielwerk_domain::{Formula, GoalArea, Indicator, IndicatorCode};
    let mut problems = title_problems(
        &cmd.title,
        &[("beschreibung", "Beschreibung", &cmd.description)],
    );
    let (area_key, new_area) = match &cmd.area {
        AreaChoice::Existing(k) => match a.areas.iter().find(|x| x.key.as_str() == k) {
            Some(x) => (x.key.clone(), None),
            None => {
                problems.push(Problem::at(
                    "bereich",
                    format!("Feld „Zielbereich“: den Zielbereich „{k}“ gibt es nicht"),
                ));
                return Err(problems);
            }
        },
        AreaChoice::New { title, kind } => {
            if title.trim().is_empty() || title.chars().count() > MAX_TITLE {
                problems.push(Problem::at(
                    "bereich_titel",
                    format!("Feld „Neuer Zielbereich“: bitte 1 bis {MAX_TITLE} Zeichen eingeben"),
                ));
                return Err(problems);
            }
            let key = free_key(title, "bereich", |k| {
                a.areas.iter().any(|x| x.key.as_str() == k)
            });
            (
                key.clone(),
                Some(GoalArea {
                    key,
                    title: title.trim().to_owned(),
                    kind: *kind,
                    description: String::new(),
                }),
            )
        }
    };
    let (code, new_indicator) = match &cmd.indicator {
        IndicatorChoice::Existing(c) => {
            match a.indicators.iter().find(|i| i.code.as_str() == c) {
                Some(i) => (i.code.clone(), None),
                None => {
                    problems.push(Problem::at(
                    "kennzahl",
                    format!("Feld „Kennzahl“: die Kennzahl „{c}“ gibt es in dieser Vereinbarung nicht"),
                ));
                    return Err(problems);
                }
            }
        }
        IndicatorChoice::New(n) => {
            let code = match n.code.trim().parse::<IndicatorCode>() {
                Ok(c) if a.indicator(&c).is_some() => {
                    problems.push(Problem::at(
                        "kennzahl_code",
                        format!("Feld „Code der Kennzahl“: „{c}“ gibt es in dieser Vereinbarung schon; wählen Sie sie oben aus oder einen anderen Code"),
                    ));
                    None
                }
                Ok(c) => Some(c),
                Err(e) => {
                    problems.push(Problem::at(
                        "kennzahl_code",
                        format!("Feld „Code der Kennzahl“: {e}"),
                    ));
                    None
                }
            };
            if n.name.trim().is_empty() || n.name.chars().count() > MAX_TITLE {
                problems.push(Problem::at(
                    "kennzahl_name",
                    format!("Feld „Name der Kennzahl“: bitte 1 bis {MAX_TITLE} Zeichen eingeben"),
                ));
            }
            let Some(code) = code.filter(|_| problems.is_empty()) else {
                return Err(problems);
            };
            let indicator = Indicator {
                code: code.clone(),
                name: n.name.trim().to_owned(),
                description: String::new(),
                unit: n.unit,
                direction: n.direction,
                accumulation: n.accumulation,
                formula: if n.ratio {
                    Formula::StoredRatio { scale: 100.0 }
                } else {
                    Formula::Stored
                },
                numerator_label: None,
                denominator_label: None,
                comparison: None,
            };
            (code, Some(indicator))
        }
    };
    let key = free_key(&cmd.title, "ziel", |k| {
        a.goals.iter().any(|g| g.key.as_str() == k)
    });
    let goal = Goal {
        key,
        area: area_key,
        title: cmd.title.trim().to_owned(),
        description: cmd.description.replace("\r\n", "\n"),
        responsible: cmd.responsible,
        origin: cmd.origin,
        indicator: code,
        target: cmd.target.clone(),
        tolerance: cmd.tolerance,
    };
    if problems.is_empty() {
        let mut whole = a.clone();
        whole.areas.extend(new_area.clone());
        whole.indicators.extend(new_indicator.clone());
        whole.goals.push(goal.clone());
        problems.extend(agreement_problems(whole.check()));
    }
    if problems.is_empty() {
        Ok((goal, new_area, new_indicator))
    } else {
        Err(problems)
    }
}

/// Adds a goal for `p`, who must be allowed to edit goals of the party responsible for it;
/// returns its key.
pub async fn add_goal(store: &Store, p: &Principal, cmd: AddGoal) -> Result<String, AppError> {
    let (key, a) = stored(store, p, &cmd.agreement).await?;
    access::may_edit(p, &a, cmd.responsible, || {
        reads::agreement_missing(&cmd.agreement)
    })?;
    let (goal, area, indicator) = new_goal(&a, &cmd).map_err(AppError::Invalid)?;
    store
        .acting_as(&p.audit_name())
        .add_goal(&key, area.as_ref(), indicator.as_ref(), &goal)
        .await?;
    Ok(goal.key.to_string())
}

/// The parties whose goals `p` may add to or edit in `a`; empty when the agreement is signed.
pub fn editable_parties(p: &Principal, a: &Agreement) -> Vec<PartyRole> {
    if a.status == zielwerk_domain::AgreementStatus::Signed {
        return Vec::new();
    }
    PartyRole::ALL
        .into_iter()
        .filter(|r| p.may(&a.jobcenter.ba_id, Action::EditGoal(*r)))
        .collect()
}

/// Remove a goal from an unsigned agreement, confirmed at the goal's revision.
#[derive(Debug, Clone)]
pub struct RemoveGoal {
    pub agreement: String,
    pub goal: String,
    pub revision: i64,
}

/// The agreement without the goal `goal` (and without the links of Handlungsansätze to it);
/// what is wrong with that, if anything (a Handlungsansatz left without a goal).
pub fn without_goal(a: &Agreement, goal: &zielwerk_domain::Key) -> (Agreement, Vec<Problem>) {
    let mut whole = a.clone();
    whole.goals.retain(|g| &g.key != goal);
    for m in &mut whole.measures {
        m.goals.retain(|g| g != goal);
    }
    let problems = agreement_problems(whole.check()).collect();
    (whole, problems)
}

/// Removes a goal for `p`, who must be allowed to edit the goals of its party.
pub async fn remove_goal(store: &Store, p: &Principal, cmd: RemoveGoal) -> Result<(), AppError> {
    let (key, a) = stored(store, p, &cmd.agreement).await?;
    let g = find_goal(&a, &cmd.goal)?;
    access::may_edit(p, &a, g.responsible, || {
        format!("Das Ziel „{}“ gibt es nicht.", g.key)
    })?;
    let (_, problems) = without_goal(&a, &g.key);
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    Ok(store
        .acting_as(&p.audit_name())
        .remove_goal(&key, g.key.as_str(), cmd.revision)
        .await?)
}
