//! Authorisation as the operations ask it: one door to the permission table
//! (`zielwerk_domain::access::allows`), and the rules that need more than a role.

use zielwerk_domain::{Action, Agreement, AgreementStatus, BaId, PartyRole, Principal};

use crate::AppError;

/// Allows `action` on `jobcenter`'s data for `p`, or says why not. Someone who may not read the
/// Jobcenter's internal data gets "not found" for everything internal (`missing` is the same
/// message a wrong id gets), so ids of other Jobcenter cannot be probed.
pub fn require(
    p: &Principal,
    jobcenter: &BaId,
    action: Action,
    missing: impl FnOnce() -> String,
) -> Result<(), AppError> {
    if p.may(jobcenter, action) {
        return Ok(());
    }
    if action != Action::ReadPublished && !p.may(jobcenter, Action::ReadInternal)
        || !p.knows(jobcenter)
    {
        return Err(AppError::NotFound(missing()));
    }
    Err(AppError::Forbidden(format!(
        "Dazu fehlt Ihnen die Berechtigung: {}. Ihre Rollen für dieses Jobcenter: {}.",
        action.label_de(),
        p.roles_for(jobcenter)
            .map(|r| r.label_de())
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

/// A stored object (a meeting, a Vorlage, an action item) looked up by id, for `p` doing `action`
/// with the data of its Jobcenter: not found when there is none and when `p` may not know of it,
/// with the same message either way.
pub fn stored<T>(
    p: &Principal,
    found: Option<T>,
    jobcenter: impl FnOnce(&T) -> &BaId,
    action: Action,
    missing: impl Fn() -> String,
) -> Result<T, AppError> {
    let found = found.ok_or_else(|| AppError::NotFound(missing()))?;
    require(p, jobcenter(&found), action, &missing)?;
    Ok(found)
}

/// The edit rule, the one place it lives: the party `responsible` for a goal or a
/// Handlungsansatz edits it while the agreement is not signed. `missing` is the not-found
/// message of the thing edited.
pub fn may_edit(
    p: &Principal,
    agreement: &Agreement,
    responsible: PartyRole,
    missing: impl FnOnce() -> String,
) -> Result<(), AppError> {
    require(
        p,
        &agreement.jobcenter.ba_id,
        Action::EditGoal(responsible),
        missing,
    )?;
    if agreement.status == AgreementStatus::Signed {
        return Err(
            zielwerk_store::StoreError::SignedAgreement(agreement.key().to_string()).into(),
        );
    }
    Ok(())
}

/// The principal of the command line. Whoever runs it on the server's machine holds the
/// database anyway; they act with the rights of every carrier for every Jobcenter (not
/// Administration: accounts have their own commands), recorded as „Kommandozeile (user)“,
/// where `user` is the operating-system account.
pub fn operator(user: &str) -> Principal {
    use zielwerk_domain::{Grant, Role, Scope};
    Principal {
        user_id: String::new(),
        login: "Kommandozeile".into(),
        name: user.into(),
        grants: [Role::Kreis, Role::Agentur, Role::Jobcenter]
            .map(|role| Grant {
                scope: Scope::All,
                role,
            })
            .to_vec(),
        narrowing: Default::default(),
    }
}

/// Whether the edit rule lets `p` edit a thing `responsible` is responsible for (for the links
/// and buttons a page offers).
pub fn can_edit(p: &Principal, agreement: &Agreement, responsible: PartyRole) -> bool {
    may_edit(p, agreement, responsible, String::new).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use zielwerk_domain::{Grant, Role};

    fn person(grants: &[(&str, Role)]) -> Principal {
        Principal {
            user_id: "u".into(),
            login: "u".into(),
            name: "U".into(),
            grants: grants
                .iter()
                .map(|(scope, role)| Grant {
                    scope: scope.parse().unwrap(),
                    role: *role,
                })
                .collect(),
            narrowing: Default::default(),
        }
    }

    /// The edit rule at its boundaries: the responsible party of an unsigned agreement edits;
    /// another party may not; another Jobcenter's user does not learn the goal exists; nobody
    /// edits a signed agreement.
    #[test]
    fn the_edit_rule() {
        let mut a = zielwerk_demo::mettmann_agreement().unwrap();
        a.status = AgreementStatus::Draft;
        let missing = || "Das Ziel „x“ gibt es nicht.".to_owned();
        let kreis = person(&[("t36402", Role::Kreis)]);
        let agentur = person(&[("t36402", Role::Agentur)]);
        let other = person(&[("t73906", Role::Kreis)]);
        assert!(may_edit(&kreis, &a, PartyRole::Kreis, missing).is_ok());
        assert!(can_edit(&kreis, &a, PartyRole::Kreis));
        assert!(matches!(
            may_edit(&agentur, &a, PartyRole::Kreis, missing),
            Err(AppError::Forbidden(_))
        ));
        assert!(matches!(
            may_edit(&other, &a, PartyRole::Kreis, missing),
            Err(AppError::NotFound(m)) if m == missing()
        ));
        a.status = AgreementStatus::Signed;
        assert!(matches!(
            may_edit(&kreis, &a, PartyRole::Kreis, missing),
            Err(AppError::Conflict { .. })
        ));
        assert!(!can_edit(&kreis, &a, PartyRole::Kreis));
    }
}
