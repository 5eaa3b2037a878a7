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

async fn stored(
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

/// Edit a goal: its title, description, target and tolerance. What it measures, who is
/// responsible and where it stands are not the editor's to change and are kept.
#[derive(Debug, Clone)]
pub struct EditGoal {
    pub agreement: String,
    pub goal: String,
    pub title: String,
    pub description: String,
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
    let mut new = old.clone();
    new.title = cmd.title.trim().to_owned();
    new.description = cmd.description.replace("\r\n", "\n");
    new.target = cmd.target;
    new.tolerance = cmd.tolerance;
    let problems = goal_problems(&a, &new);
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    Ok(store
        .acting_as(&p.audit_name())
        .update_goal(&key, &new, cmd.revision)
        .await?)
}

/// Edit a Handlungsansatz of the planning document: title, description, expected effect,
/// period.
#[derive(Debug, Clone)]
pub struct EditMeasure {
    pub agreement: String,
    pub measure: String,
    pub title: String,
    pub description: String,
    pub expected_effect: String,
    pub start: zielwerk_domain::YearMonth,
    pub end: Option<zielwerk_domain::YearMonth>,
    pub revision: i64,
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
    let problems = measure_problems(&a, &new);
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
