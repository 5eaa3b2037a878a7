//! Who may do what: roles per Jobcenter and the one table of permissions.
//!
//! Authentication (a local password today, an OpenID Connect login later) only has to produce a
//! [`Principal`]: a user with their [`Grant`]s. Every rule about what that user may see or change
//! is in [`allows`], and nowhere else; the web layer asks [`Principal::may`] before every read
//! and write. A new login method therefore never touches these rules.

use std::fmt;
use std::str::FromStr;

use crate::{BaId, PartyRole};

/// A role a user holds for one Jobcenter (or for all, see [`Scope`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// The kommunaler Träger (Kreis, e.g. the Sozialamt's controlling).
    Kreis,
    /// The Agentur für Arbeit.
    Agentur,
    /// The Jobcenter's own staff (management, controlling).
    Jobcenter,
    /// Committee members and other readers: published reports only.
    Leserecht,
    /// Administration: user accounts and the audit trail, no steering data.
    Admin,
    /// Oversight (the Land ministry, the BA's Regionaldirektion): published figures and where
    /// the goals of many Jobcenter stand, nothing internal.
    Aufsicht,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Kreis,
        Role::Agentur,
        Role::Jobcenter,
        Role::Leserecht,
        Role::Admin,
        Role::Aufsicht,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Kreis => "kreis",
            Role::Agentur => "agentur",
            Role::Jobcenter => "jobcenter",
            Role::Leserecht => "leserecht",
            Role::Admin => "admin",
            Role::Aufsicht => "aufsicht",
        }
    }

    pub fn label_de(self) -> &'static str {
        match self {
            Role::Kreis => "Kommunaler Träger",
            Role::Agentur => "Agentur für Arbeit",
            Role::Jobcenter => "Jobcenter",
            Role::Leserecht => "Leserecht (veröffentlichte Berichte)",
            Role::Admin => "Administration",
            Role::Aufsicht => "Aufsicht (Land, Regionaldirektion: Stand der Ziele)",
        }
    }

    /// The party of the agreement this role speaks for, if any.
    pub fn party(self) -> Option<PartyRole> {
        match self {
            Role::Kreis => Some(PartyRole::Kreis),
            Role::Agentur => Some(PartyRole::Agentur),
            Role::Jobcenter => Some(PartyRole::Jobcenter),
            Role::Leserecht | Role::Admin | Role::Aufsicht => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unbekannte Rolle „{s}“; erwartet wird kreis, agentur, jobcenter, leserecht, admin oder aufsicht"
                )
            })
    }
}

/// Everything a user can ask to do with one Jobcenter's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Internal pages: agreements, goals, values, meetings, action items, internal reports.
    ReadInternal,
    /// Published Vorlagen and their files.
    ReadPublished,
    /// Where the goals of an agreement stand (each goal's status), without the values, comments,
    /// meetings or drafts behind them.
    ReadStatus,
    /// The audit trail.
    ReadAudit,
    /// Import monthly values.
    ImportValues,
    /// Change a goal or Handlungsansatz of an unsigned agreement version whose responsible party
    /// is this one.
    EditGoal(PartyRole),
    /// Comment on a value.
    Comment,
    /// Create and edit draft Vorlagen.
    PrepareVorlage,
    /// Publish a Vorlage to the committee.
    PublishVorlage,
    /// Create and edit steering meetings: agenda, appraisals, decisions with action items.
    ManageMeetings,
    /// Change the status of an action item (in a meeting).
    SetActionStatus,
    /// Sign an agreement version for this party.
    Sign(PartyRole),
    /// Open a new version (Nachtrag) of a signed agreement.
    OpenNachtrag,
    /// Prepare next year's agreement as a draft from this year's.
    PrepareNextYear,
    /// Create accounts and grant roles.
    ManageUsers,
}

impl Action {
    /// Every action, for the permission table and its test.
    pub fn all() -> Vec<Action> {
        let mut all = vec![
            Action::ReadInternal,
            Action::ReadPublished,
            Action::ReadStatus,
            Action::ReadAudit,
            Action::ImportValues,
        ];
        all.extend(PartyRole::ALL.map(Action::EditGoal));
        all.extend([
            Action::Comment,
            Action::PrepareVorlage,
            Action::PublishVorlage,
            Action::ManageMeetings,
            Action::SetActionStatus,
        ]);
        all.extend(PartyRole::ALL.map(Action::Sign));
        all.extend([
            Action::OpenNachtrag,
            Action::PrepareNextYear,
            Action::ManageUsers,
        ]);
        all
    }

    /// Whether the action only reads (what a read-only API token may do).
    pub fn reads(self) -> bool {
        matches!(
            self,
            Action::ReadInternal | Action::ReadPublished | Action::ReadStatus | Action::ReadAudit
        )
    }

    /// What the action is, for "Dazu fehlt Ihnen die Berechtigung: …" messages.
    pub fn label_de(self) -> String {
        match self {
            Action::ReadInternal => "interne Seiten dieses Jobcenters lesen".into(),
            Action::ReadPublished => "veröffentlichte Berichte lesen".into(),
            Action::ReadStatus => "den Stand der Ziele lesen".into(),
            Action::ReadAudit => "das Änderungsprotokoll lesen".into(),
            Action::ImportValues => "Werte importieren".into(),
            Action::EditGoal(p) => format!(
                "Ziele und Handlungsansätze in der Verantwortung „{}“ ändern",
                p.label_de()
            ),
            Action::Comment => "Werte kommentieren".into(),
            Action::PrepareVorlage => "Vorlagen vorbereiten".into(),
            Action::PublishVorlage => "Vorlagen veröffentlichen".into(),
            Action::ManageMeetings => "Steuerungsgespräche bearbeiten".into(),
            Action::SetActionStatus => "den Stand von Aufgaben ändern".into(),
            Action::Sign(p) => format!("für „{}“ unterzeichnen", p.label_de()),
            Action::OpenNachtrag => "einen Nachtrag anlegen".into(),
            Action::PrepareNextYear => "die Vereinbarung des Folgejahres vorbereiten".into(),
            Action::ManageUsers => "Benutzerkonten verwalten".into(),
        }
    }
}

/// The permission table: may a holder of `role` do `action`? The only place these rules live.
///
/// - Each carrier edits the goals it is responsible for and signs for itself only; the Kreis
///   prepares and publishes the Vorlage to its committee.
/// - Values come from the Jobcenter (BA statistics) and the Kreis (its own case lists).
/// - Leserecht reads what was published, nothing else.
/// - Administration manages accounts and reads the audit trail, but does not steer.
/// - Aufsicht (Land, Regionaldirektion) sees where the goals stand and what was published.
pub fn allows(role: Role, action: Action) -> bool {
    use Action as A;
    match role {
        Role::Leserecht => matches!(action, A::ReadPublished),
        Role::Aufsicht => matches!(action, A::ReadStatus | A::ReadPublished),
        Role::Admin => matches!(action, A::ManageUsers | A::ReadAudit | A::ReadPublished),
        Role::Kreis | Role::Agentur | Role::Jobcenter => {
            let own = role.party();
            match action {
                A::ReadInternal
                | A::ReadPublished
                | A::ReadStatus
                | A::ReadAudit
                | A::Comment
                | A::ManageMeetings
                | A::SetActionStatus
                | A::OpenNachtrag
                | A::PrepareNextYear => true,
                A::EditGoal(p) | A::Sign(p) => own == Some(p),
                A::ImportValues => matches!(role, Role::Jobcenter | Role::Kreis),
                A::PrepareVorlage | A::PublishVorlage => role == Role::Kreis,
                A::ManageUsers => false,
            }
        }
    }
}

/// Where a grant applies.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Every Jobcenter of the installation (a Land-wide administrator).
    All,
    Jobcenter(BaId),
}

impl Scope {
    pub fn covers(&self, jobcenter: &BaId) -> bool {
        match self {
            Scope::All => true,
            Scope::Jobcenter(j) => j == jobcenter,
        }
    }

    /// `*` or the BA id, as stored.
    pub fn as_str(&self) -> &str {
        match self {
            Scope::All => "*",
            Scope::Jobcenter(j) => j.as_str(),
        }
    }
}

impl FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "*" {
            return Ok(Scope::All);
        }
        s.parse().map(Scope::Jobcenter).map_err(|_| {
            format!(
                "„{s}“ ist kein Jobcenter: erwartet wird eine BA-Kennung wie t36402 oder * für alle"
            )
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Grant {
    pub scope: Scope,
    pub role: Role,
}

/// A signed-in user with everything they were granted. Built by whatever authenticated them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    pub login: String,
    pub name: String,
    pub grants: Vec<Grant>,
    /// What the credential of this request narrows the grants to (a personal API token may be
    /// read-only or for one Jobcenter); a signed-in session narrows nothing.
    pub narrowing: Narrowing,
}

/// A narrowing of a user's grants by the credential they act with. It only ever takes away: a
/// narrowed principal may do a subset of what its owner may do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Narrowing {
    /// The name of the personal API token the request came with, for the audit trail. A token
    /// never manages accounts, even when it narrows nothing else.
    pub token: Option<String>,
    /// Only actions that read ([`Action::reads`]).
    pub read_only: bool,
    /// Only this Jobcenter; every other one does not exist for the credential.
    pub jobcenter: Option<BaId>,
}

impl Narrowing {
    /// Whether nothing is taken away.
    pub fn is_none(&self) -> bool {
        self.token.is_none() && !self.read_only && self.jobcenter.is_none()
    }
}

/// The rules of account administration, beside the permission table: who may grant where, whose
/// account an administrator may lock, and that nobody raises their own rights.
impl Principal {
    /// May this user grant roles on `scope`? `*` needs Administration for every Jobcenter.
    pub fn may_grant_on(&self, scope: &Scope) -> bool {
        if !self.narrowing.is_none() {
            // Accounts are managed by a person signed in, never through a narrowed credential.
            return false;
        }
        match scope {
            Scope::All => self
                .grants
                .iter()
                .any(|g| g.scope == Scope::All && g.role == Role::Admin),
            Scope::Jobcenter(j) => self.may(j, Action::ManageUsers),
        }
    }

    /// May this user lock (or unlock) an account with `grants`? Only who administers every
    /// Jobcenter the account works for: locking ends its work everywhere.
    pub fn may_lock(&self, grants: &[Grant]) -> bool {
        if self.may_grant_on(&Scope::All) {
            return true;
        }
        !grants.is_empty() && grants.iter().all(|g| self.may_grant_on(&g.scope))
    }

    /// May this user give the account `account_id` the grants `new` in the scopes the user
    /// administers, when it holds `old`? Every one of them must be in such a scope; on their own
    /// account a user may keep or drop grants but never add one (an administrator does not make
    /// itself Kreis). Grants elsewhere are not this user's to change and stay as they are.
    pub fn may_set_grants(&self, account_id: &str, old: &[Grant], new: &[Grant]) -> bool {
        new.iter().all(|g| self.may_grant_on(&g.scope))
            && (account_id != self.user_id || new.iter().all(|g| old.contains(g)))
    }
}

impl Principal {
    /// May this user do `action` with the data of `jobcenter`?
    pub fn may(&self, jobcenter: &BaId, action: Action) -> bool {
        (!self.narrowing.read_only || action.reads())
            && self.roles_for(jobcenter).any(|r| allows(r, action))
    }

    /// The roles this user holds for `jobcenter` (none outside the credential's Jobcenter).
    pub fn roles_for<'a>(&'a self, jobcenter: &'a BaId) -> impl Iterator<Item = Role> + 'a {
        let inside = self
            .narrowing
            .jobcenter
            .as_ref()
            .is_none_or(|j| j == jobcenter);
        self.grants
            .iter()
            .filter(move |g| inside && g.scope.covers(jobcenter))
            .map(|g| g.role)
    }

    /// Whether the user may see anything of `jobcenter` at all; if not, its data does not exist
    /// for them (pages answer 404, not 403, so ids cannot be probed).
    pub fn knows(&self, jobcenter: &BaId) -> bool {
        self.roles_for(jobcenter).next().is_some()
    }

    /// Whether the user holds `action` for some Jobcenter (for installation-wide pages).
    pub fn may_anywhere(&self, action: Action) -> bool {
        if let Some(j) = &self.narrowing.jobcenter {
            return self.may(j, action);
        }
        (!self.narrowing.read_only || action.reads())
            && self.grants.iter().any(|g| allows(g.role, action))
    }

    /// How the user appears in the audit trail: the login, then the name.
    pub fn audit_name(&self) -> String {
        match &self.narrowing.token {
            None => format!("{} ({})", self.login, self.name),
            Some(t) => format!("{} ({}) mit API-Schlüssel „{t}“", self.login, self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(id: &str, grants: &[&str]) -> Principal {
        Principal {
            user_id: id.into(),
            login: id.into(),
            name: id.into(),
            grants: grants
                .iter()
                .map(|g| {
                    let (role, scope) = g.split_once('@').unwrap();
                    Grant {
                        role: role.parse().unwrap(),
                        scope: scope.parse().unwrap(),
                    }
                })
                .collect(),
            narrowing: Narrowing::default(),
        }
    }

    #[test]
    fn administrators_lock_only_accounts_wholly_theirs_and_never_raise_themselves() {
        let admin = account("a", &["admin@t36402"]);
        let land = account("l", &["admin@*"]);
        let both = account("x", &["kreis@t36402", "kreis@t73906"]).grants;
        let mine = account("y", &["kreis@t36402"]).grants;
        assert!(!admin.may_lock(&both), "the account also works for t73906");
        assert!(admin.may_lock(&mine));
        assert!(land.may_lock(&both));
        // Granting itself a steering role is refused; dropping one is fine.
        let kreis = account("z", &["kreis@t36402"]).grants;
        let with_kreis: Vec<Grant> = admin.grants.iter().cloned().chain(kreis.clone()).collect();
        assert!(!admin.may_set_grants("a", &admin.grants, &with_kreis));
        assert!(admin.may_set_grants("a", &admin.grants, &admin.grants));
        assert!(admin.may_set_grants("other", &[], &kreis));
        let elsewhere = account("w", &["kreis@t73906"]).grants;
        assert!(!admin.may_set_grants("other", &[], &elsewhere));
    }

    /// The whole table, every role × every action, written out as a reader would check it.
    #[test]
    fn permission_table() {
        use Action as A;
        use PartyRole::{Agentur as Ag, Jobcenter as Jc, Kreis as Kr};
        // Columns: Kreis, Agentur, Jobcenter, Leserecht, Admin, Aufsicht.
        let table: Vec<(Action, [bool; 6])> = vec![
            (A::ReadInternal, [true, true, true, false, false, false]),
            (A::ReadPublished, [true, true, true, true, true, true]),
            (A::ReadStatus, [true, true, true, false, false, true]),
            (A::ReadAudit, [true, true, true, false, true, false]),
            (A::ImportValues, [true, false, true, false, false, false]),
            (A::EditGoal(Kr), [true, false, false, false, false, false]),
            (A::EditGoal(Ag), [false, true, false, false, false, false]),
            (A::EditGoal(Jc), [false, false, true, false, false, false]),
            (A::Comment, [true, true, true, false, false, false]),
            (A::PrepareVorlage, [true, false, false, false, false, false]),
            (A::PublishVorlage, [true, false, false, false, false, false]),
            (A::ManageMeetings, [true, true, true, false, false, false]),
            (A::SetActionStatus, [true, true, true, false, false, false]),
            (A::Sign(Kr), [true, false, false, false, false, false]),
            (A::Sign(Ag), [false, true, false, false, false, false]),
            (A::Sign(Jc), [false, false, true, false, false, false]),
            (A::OpenNachtrag, [true, true, true, false, false, false]),
            (A::PrepareNextYear, [true, true, true, false, false, false]),
            (A::ManageUsers, [false, false, false, false, true, false]),
        ];
        // The table covers every action exactly once.
        let all = Action::all();
        assert_eq!(table.len(), all.len());
        for a in &all {
            assert_eq!(table.iter().filter(|(t, _)| t == a).count(), 1, "{a:?}");
        }
        for (action, expected) in table {
            for (role, allowed) in Role::ALL.into_iter().zip(expected) {
                assert_eq!(allows(role, action), allowed, "{role:?} × {action:?}");
            }
        }
    }

    fn principal(grants: &[(&str, Role)]) -> Principal {
        Principal {
            user_id: "u1".into(),
            login: "anna".into(),
            name: "Anna Beispiel".into(),
            grants: grants
                .iter()
                .map(|(s, role)| Grant {
                    scope: s.parse().unwrap(),
                    role: *role,
                })
                .collect(),
            narrowing: Narrowing::default(),
        }
    }

    #[test]
    fn grants_apply_to_their_jobcenter_only() {
        let mettmann: BaId = "t05158".parse().unwrap();
        let regensburg: BaId = "t09362".parse().unwrap();
        let p = principal(&[("t05158", Role::Kreis), ("t09362", Role::Leserecht)]);
        assert!(p.may(&mettmann, Action::ReadInternal));
        assert!(p.may(&mettmann, Action::EditGoal(PartyRole::Kreis)));
        assert!(!p.may(&regensburg, Action::ReadInternal));
        assert!(p.may(&regensburg, Action::ReadPublished));
        assert!(p.knows(&regensburg));
        assert!(!p.knows(&"t36402".parse().unwrap()));
        assert!(!p.may_anywhere(Action::ManageUsers));

        let admin = principal(&[("*", Role::Admin)]);
        assert!(admin.may(&regensburg, Action::ManageUsers));
        assert!(!admin.may(&regensburg, Action::ReadInternal));
        assert!(admin.may_anywhere(Action::ManageUsers));
    }

    /// A narrowed credential only takes away: read-only keeps exactly the reads, one Jobcenter
    /// makes every other one unknown (not found, not forbidden), and neither manages accounts.
    #[test]
    fn narrowing_only_takes_away() {
        let mettmann: BaId = "t05158".parse().unwrap();
        let regensburg: BaId = "t09362".parse().unwrap();
        let full = principal(&[("*", Role::Kreis), ("*", Role::Admin)]);
        let mut read_only = full.clone();
        read_only.narrowing.read_only = true;
        let mut one = full.clone();
        one.narrowing.jobcenter = Some(mettmann.clone());
        for action in Action::all() {
            for jc in [&mettmann, &regensburg] {
                assert_eq!(
                    read_only.may(jc, action),
                    full.may(jc, action) && action.reads(),
                    "{action:?}"
                );
                assert_eq!(
                    one.may(jc, action),
                    full.may(jc, action) && jc == &mettmann,
                    "{action:?}"
                );
                // Nothing a narrowed principal may do is denied to the whole one.
                assert!(!read_only.may(jc, action) || full.may(jc, action));
            }
            assert_eq!(
                read_only.may_anywhere(action),
                full.may_anywhere(action) && action.reads()
            );
        }
        assert!(one.knows(&mettmann) && !one.knows(&regensburg));
        assert!(full.may_grant_on(&Scope::All));
        assert!(!read_only.may_grant_on(&Scope::All));
        assert!(!one.may_grant_on(&Scope::Jobcenter(mettmann)));
        let mut token = full.clone();
        token.narrowing.token = Some("Data Warehouse".into());
        assert!(!token.may_grant_on(&Scope::All));
        assert_eq!(
            token.audit_name(),
            "anna (Anna Beispiel) mit API-Schlüssel „Data Warehouse“"
        );
    }

    #[test]
    fn tokens_round_trip_and_bad_ones_are_named() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert!("chef".parse::<Role>().unwrap_err().contains("„chef“"));
        assert_eq!("*".parse::<Scope>().unwrap(), Scope::All);
        assert_eq!("t05158".parse::<Scope>().unwrap().as_str(), "t05158");
        assert!(
            "Mettmann"
                .parse::<Scope>()
                .unwrap_err()
                .contains("BA-Kennung")
        );
    }
}
