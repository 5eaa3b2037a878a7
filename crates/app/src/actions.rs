//! Action items (Aufgaben) decided in meetings: changing their status, for every front door.

use zielwerk_domain::{Action, ActionStatus, Principal};
use zielwerk_store::{Store, StoredAction};

use crate::{AppError, Problem, access};

/// The longest note on a status change.
pub const MAX_NOTE: usize = 1000;

/// Change the status of an action item.
#[derive(Debug, Clone)]
pub struct SetStatus {
    pub action: String,
    /// `offen`, `in-arbeit`, `erledigt` or `verworfen`.
    pub status: String,
    pub note: String,
    /// The meeting the change is recorded in, if any (of the same Jobcenter).
    pub meeting: Option<String>,
    /// The revision the person saw; a change made in between is a conflict.
    pub revision: i64,
}

fn missing(id: &str) -> String {
    format!("Die Aufgabe „{id}“ gibt es nicht.")
}

/// The action item `id` for `p` doing `action`; another Jobcenter's is not found.
pub async fn action_for(
    store: &Store,
    p: &Principal,
    id: &str,
    action: Action,
) -> Result<StoredAction, AppError> {
    access::stored(
        p,
        store.action(id).await?,
        |a| &a.jobcenter,
        action,
        || missing(id),
    )
}

/// Sets the status for `p`; returns the new revision.
pub async fn set_status(store: &Store, p: &Principal, cmd: SetStatus) -> Result<i64, AppError> {
    let mut problems = Vec::new();
    let status = ActionStatus::parse(cmd.status.trim());
    if status.is_none() {
        problems.push(Problem::at(
            "status",
            format!(
                "Feld „Status“: „{}“ (erwartet offen, in-arbeit, erledigt oder verworfen)",
                cmd.status.chars().take(60).collect::<String>()
            ),
        ));
    }
    if cmd.note.chars().count() > MAX_NOTE {
        problems.push(Problem::at(
            "vermerk",
            format!("Feld „Vermerk“: höchstens {MAX_NOTE} Zeichen"),
        ));
    }
    let action = action_for(store, p, &cmd.action, Action::SetActionStatus).await?;
    let (Some(status), true) = (status, problems.is_empty()) else {
        return Err(AppError::Invalid(problems));
    };
    let meeting = match cmd
        .meeting
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        None => None,
        Some(m) => {
            let found = store.meeting(m).await?;
            // A status change is recorded only in a meeting of the same Jobcenter.
            if found.is_none_or(|x| x.jobcenter != action.jobcenter) {
                return Err(AppError::NotFound(format!(
                    "Die Sitzung „{m}“ gibt es für diese Aufgabe nicht."
                )));
            }
            Some(m.to_owned())
        }
    };
    Ok(store
        .acting_as(&p.audit_name())
        .set_action_status(
            &cmd.action,
            status,
            cmd.note.trim(),
            meeting.as_deref(),
            cmd.revision,
        )
        .await?)
}
