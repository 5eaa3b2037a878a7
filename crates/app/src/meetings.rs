//! Steering meetings: creating one with its agenda, editing its header, the agenda, appraisals
//! and decisions with their action items. Each command is authorised inside
//! (`Action::ManageMeetings` on the meeting's Jobcenter; another Jobcenter's meeting is not found).

use zielwerk_domain::{Action, ActionItem, MeetingHeader, Principal, meeting::check_text};
use zielwerk_store::{AgendaKind, NewAgendaItem, Store, StoredMeeting};

use crate::{AppError, Problem, access, reads};

/// The longest title of an agenda item added by hand.
pub const MAX_ITEM_TITLE: usize = 200;
/// The longest text of an action item.
pub const MAX_ACTION: usize = 500;

fn missing(id: &str) -> String {
    format!("Die Sitzung „{id}“ gibt es nicht.")
}

/// The meeting `id` for `p` doing `action`.
pub async fn meeting_for(
    store: &Store,
    p: &Principal,
    id: &str,
    action: Action,
) -> Result<StoredMeeting, AppError> {
    access::stored(
        p,
        store.meeting(id).await?,
        |m| &m.jobcenter,
        action,
        || missing(id),
    )
}

fn header_problems(header: &MeetingHeader, year: i32) -> Result<(), AppError> {
    let problems = header.check(year);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(
            problems.into_iter().map(Problem::whole).collect(),
        ))
    }
}

/// Creates a meeting of agreement `id` with the agenda its figures give; returns its id.
pub async fn create(
    store: &Store,
    p: &Principal,
    id: &str,
    header: MeetingHeader,
) -> Result<String, AppError> {
    let key = reads::agreement_key(p, id, Action::ManageMeetings)?;
    crate::documents::create_meeting(&store.acting_as(&p.audit_name()), &key, header).await
}

/// Changes a meeting's header (its reporting month stays: the agenda was drawn up for it).
pub async fn update(
    store: &Store,
    p: &Principal,
    id: &str,
    mut header: MeetingHeader,
    revision: i64,
) -> Result<i64, AppError> {
    let m = meeting_for(store, p, id, Action::ManageMeetings).await?;
    header.month = m.header.month;
    header_problems(&header, m.agreement.year)?;
    Ok(store
        .acting_as(&p.audit_name())
        .update_meeting(id, &header, revision)
        .await?)
}

/// Adds an agenda item by hand; returns its id.
pub async fn add_item(
    store: &Store,
    p: &Principal,
    id: &str,
    title: &str,
) -> Result<String, AppError> {
    meeting_for(store, p, id, Action::ManageMeetings).await?;
    let title = title.trim();
    if title.is_empty() || title.chars().count() > MAX_ITEM_TITLE {
        return Err(AppError::Invalid(vec![Problem::at(
            "titel",
            format!(
                "Feld „Neuer Tagesordnungspunkt“: bitte 1 bis {MAX_ITEM_TITLE} Zeichen eingeben"
            ),
        )]));
    }
    Ok(store
        .acting_as(&p.audit_name())
        .add_agenda_item(
            id,
            &NewAgendaItem {
                title: title.to_owned(),
                kind: AgendaKind::Free,
            },
        )
        .await?)
}

async fn require_item(store: &Store, meeting: &str, item: &str) -> Result<(), AppError> {
    if store.agenda(meeting).await?.iter().any(|i| i.id == item) {
        Ok(())
    } else {
        Err(AppError::NotFound(format!(
            "Den Tagesordnungspunkt „{item}“ gibt es in dieser Sitzung nicht."
        )))
    }
}

/// Moves an agenda item up or down.
pub async fn move_item(
    store: &Store,
    p: &Principal,
    id: &str,
    item: &str,
    up: bool,
) -> Result<(), AppError> {
    meeting_for(store, p, id, Action::ManageMeetings).await?;
    require_item(store, id, item).await?;
    store
        .acting_as(&p.audit_name())
        .move_agenda_item(id, item, up)
        .await?;
    Ok(())
}

/// Appraise an agenda item: the text, and whether steering is needed.
#[derive(Debug, Clone)]
pub struct Appraise {
    pub meeting: String,
    pub item: String,
    pub text: String,
    pub steering_needed: bool,
    pub revision: i64,
}

/// Saves an appraisal; a change in between is a conflict that repeats the text typed.
pub async fn appraise(store: &Store, p: &Principal, cmd: Appraise) -> Result<i64, AppError> {
    meeting_for(store, p, &cmd.meeting, Action::ManageMeetings).await?;
    let text = cmd.text.replace("\r\n", "\n");
    check_text("Würdigung", &text)
        .map_err(|e| AppError::Invalid(vec![Problem::at("wuerdigung", e)]))?;
    require_item(store, &cmd.meeting, &cmd.item).await?;
    store
        .acting_as(&p.audit_name())
        .appraise(&cmd.item, &text, cmd.steering_needed, cmd.revision)
        .await
        .map_err(|e| match AppError::from(e) {
            AppError::Conflict { message, kind } => AppError::Conflict {
                message: format!("{message}. Ihr Text war: „{text}“"),
                kind,
            },
            e => e,
        })
}

/// Record a decision on an agenda item, with the action item it sets, if any.
#[derive(Debug, Clone)]
pub struct Decide {
    pub meeting: String,
    pub item: String,
    pub text: String,
    pub action: Option<ActionItem>,
}

/// What is wrong with a decision's text and its action item's text, each at its field.
pub fn decision_problems(text: &str, action: Option<&ActionItem>) -> Vec<Problem> {
    let mut problems = Vec::new();
    if let Err(e) = check_text("Beschluss", text) {
        problems.push(Problem::at("beschluss", e));
    }
    if let Some(a) = action
        && (a.what.trim().is_empty() || a.what.chars().count() > MAX_ACTION)
    {
        problems.push(Problem::at(
            "aufgabe",
            format!("Feld „Aufgabe“: bitte 1 bis {MAX_ACTION} Zeichen eingeben"),
        ));
    }
    problems
}

/// Records a decision; returns the decision's id and the action item's.
pub async fn decide(
    store: &Store,
    p: &Principal,
    cmd: Decide,
) -> Result<(String, Option<String>), AppError> {
    let m = meeting_for(store, p, &cmd.meeting, Action::ManageMeetings).await?;
    let text = cmd.text.replace("\r\n", "\n");
    let mut problems = decision_problems(&text, cmd.action.as_ref());
    if let Some(a) = &cmd.action {
        let agreement = store.agreement(&m.agreement).await?.ok_or_else(|| {
            AppError::NotFound(reads::agreement_missing(&m.agreement.to_string()))
        })?;
        if let Some(g) = a.goal.as_ref().filter(|g| agreement.goal(g).is_none()) {
            problems.push(Problem::at(
                "ziel",
                format!("Feld „Ziel“: „{g}“ gibt es in dieser Vereinbarung nicht"),
            ));
        }
        if let Some(k) = a
            .measure
            .as_ref()
            .filter(|k| !agreement.measures.iter().any(|x| &x.key == *k))
        {
            problems.push(Problem::at(
                "massnahme",
                format!("Feld „Maßnahme“: „{k}“ gibt es in dieser Vereinbarung nicht"),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    require_item(store, &cmd.meeting, &cmd.item).await?;
    Ok(store
        .acting_as(&p.audit_name())
        .add_decision(&cmd.meeting, Some(&cmd.item), &text, cmd.action.as_ref())
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use zielwerk_domain::{ActionStatus, PartyRole};

    #[test]
    fn a_decision_needs_a_text_and_an_action_item_a_short_one() {
        assert!(decision_problems("Zur Kenntnis genommen", None).is_empty());
        let empty = decision_problems(" ", None);
        assert_eq!(empty.len(), 1);
        assert_eq!(empty[0].field, "beschluss");
        let mut item = ActionItem {
            what: "x".repeat(MAX_ACTION),
            owner_party: PartyRole::Kreis,
            owner_person: String::new(),
            due: "2022-11-30".parse().unwrap(),
            status: ActionStatus::Open,
            goal: None,
            measure: None,
        };
        assert!(decision_problems("Konzept", Some(&item)).is_empty());
        item.what.push('x');
        let long = decision_problems("Konzept", Some(&item));
        assert_eq!(long.len(), 1);
        assert_eq!(long[0].field, "aufgabe");
    }
}
