//! The audit trail: every write appends one event (who, when, what, before, after) in the same
//! transaction as the write itself, so there is no change without its record and no record
//! without its change.
//!
//! The events form a hash chain: each `hash` is SHA-256 over the event's fields and the hash of
//! the event before it. A row changed or deleted behind the application's back (in the database
//! directly) no longer matches, and [`Store::verify_audit`] names the first event that breaks.
//! Appending takes the `data_version` row lock first, so concurrent writers append one after the
//! other and the chain never forks.

use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;
use zielwerk_domain::{AgreementKey, BaId};

use crate::{Result, Store, now};

/// The `prev_hash` of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One recorded change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub jobcenter: Option<String>,
    pub agreement: Option<String>,
    pub goal: Option<String>,
    pub indicator: Option<String>,
    /// A stable token, e.g. `goal.edit`; see [`AuditEvent::action_de`].
    pub action: String,
    /// What was changed, in words.
    pub subject: String,
    /// The state before and after, as JSON (absent for creations and deletions).
    pub before: Option<String>,
    pub after: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEvent {
    /// The action in German, for the pages.
    pub fn action_de(&self) -> &str {
        match self.action.as_str() {
            "agreement.save" => "Vereinbarung gespeichert",
            "agreement.delete" => "Vereinbarung gelöscht",
            "agreement.sign" => "Unterzeichnet",
            "agreement.nachtrag" => "Nachtrag angelegt",
            "agreement.next_year" => "Vereinbarung des Folgejahres vorbereitet",
            "goal.add" => "Ziel hinzugefügt",
            "goal.remove" => "Ziel entfernt",
            "goal.edit" => "Ziel geändert",
            "measure.edit" => "Handlungsansatz geändert",
            "measure.add" => "Handlungsansatz hinzugefügt",
            "measure.remove" => "Handlungsansatz entfernt",
            "area.edit" => "Zielbereich geändert",
            "area.remove" => "Zielbereich entfernt",
            "indicator.edit" => "Kennzahl geändert",
            "indicator.remove" => "Kennzahl entfernt",
            "values.import" => "Werte importiert",
            "comment.add" => "Anmerkung zu einem Wert",
            "vorlage.create" => "Vorlage angelegt",
            "vorlage.edit" => "Vorlage bearbeitet",
            "vorlage.publish" => "Vorlage veröffentlicht",
            "meeting.create" => "Sitzung angelegt",
            "meeting.edit" => "Sitzungsdaten geändert",
            "agenda.add" => "Tagesordnungspunkt ergänzt",
            "agenda.move" => "Tagesordnung umgestellt",
            "agenda.appraise" => "Würdigung",
            "decision.add" => "Beschluss",
            "action.status" => "Stand einer Aufgabe",
            "user.add" => "Benutzerkonto angelegt",
            "user.password" => "Passwort geändert",
            "user.disable" => "Benutzerkonto gesperrt",
            "user.grants" => "Rechte geändert",
            "user.enable" => "Benutzerkonto entsperrt",
            "token.create" => "API-Schlüssel angelegt",
            "token.revoke" => "API-Schlüssel widerrufen",
            "grouping.import" => "Vergleichsgruppen importiert",
            other => other,
        }
    }
}

/// A change about to be recorded.
#[derive(Debug, Clone, Default)]
pub(crate) struct Change {
    pub jobcenter: Option<String>,
    pub agreement: Option<String>,
    pub goal: Option<String>,
    pub indicator: Option<String>,
    pub action: &'static str,
    pub subject: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl Change {
    pub fn new(action: &'static str, subject: impl Into<String>) -> Self {
        Change {
            action,
            subject: subject.into(),
            ..Default::default()
        }
    }

    pub fn agreement(mut self, key: &AgreementKey) -> Self {
        self.jobcenter = Some(key.jobcenter.to_string());
        self.agreement = Some(key.to_string());
        self
    }

    pub fn jobcenter(mut self, jobcenter: &BaId) -> Self {
        self.jobcenter = Some(jobcenter.to_string());
        self
    }

    /// The agreement and Jobcenter of a stored row (see [`Scoped`]).
    pub fn scoped(mut self, row: &Scoped) -> Self {
        self.agreement = Some(row.agreement.clone());
        self.jobcenter = Some(row.jobcenter.clone());
        self
    }

    pub fn goal(mut self, goal: Option<String>) -> Self {
        self.goal = goal;
        self
    }

    pub fn before(mut self, v: Value) -> Self {
        self.before = Some(v);
        self
    }

    pub fn after(mut self, v: Value) -> Self {
        self.after = Some(v);
        self
    }
}

/// The agreement and Jobcenter of a row about to change, and its state before (JSON text, or any
/// text), read inside the writing transaction.
pub(crate) struct Scoped {
    pub agreement: String,
    pub jobcenter: String,
    pub state: Value,
}

/// Runs `sql` (selecting `agreement_id`, `jobcenter_id` and `state`, with `$1` bound to `id`).
pub(crate) async fn scoped(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    sql: &str,
    id: &str,
) -> Result<Option<Scoped>> {
    let Some(row) = sqlx::query(sql).bind(id).fetch_optional(&mut **tx).await? else {
        return Ok(None);
    };
    let state: Option<String> = row.try_get("state")?;
    Ok(Some(Scoped {
        agreement: row.try_get("agreement_id")?,
        jobcenter: row.try_get("jobcenter_id")?,
        state: state
            .map(|s| serde_json::from_str(&s).unwrap_or(Value::String(s)))
            .unwrap_or(Value::Null),
    }))
}

impl AuditEvent {
    /// The event's hash: SHA-256 over its fields and the previous hash as one JSON array, then
    /// hex. The fields are hashed exactly as stored (before/after as their JSON text).
    pub fn computed_hash(&self) -> String {
        let fields = serde_json::json!([
            self.seq,
            self.at,
            self.actor,
            self.jobcenter,
            self.agreement,
            self.goal,
            self.indicator,
            self.action,
            self.subject,
            self.before,
            self.after,
            self.prev_hash
        ]);
        hex::encode(Sha256::digest(fields.to_string().as_bytes()))
    }
}

/// The event that follows `last` (its number and hash; none for the first).
pub(crate) fn next_event(last: Option<(i64, String)>, actor: &str, change: Change) -> AuditEvent {
    let (seq, prev_hash) = match last {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_owned()),
    };
    let mut e = AuditEvent {
        seq,
        at: now(),
        actor: actor.to_owned(),
        jobcenter: change.jobcenter,
        agreement: change.agreement,
        goal: change.goal,
        indicator: change.indicator,
        action: change.action.to_owned(),
        subject: change.subject,
        before: change.before.map(|v| v.to_string()),
        after: change.after.map(|v| v.to_string()),
        prev_hash,
        hash: String::new(),
    };
    e.hash = e.computed_hash();
    e
}

/// [`record`] on any connection (`$conn: &mut` a connection of the Any or a typed driver),
/// written once: it marks the write, reads the last event and appends the next. Evaluates to a
/// `Result<()>`.
macro_rules! append {
    ($conn:expr, $actor:expr, $change:expr) => {{
        let conn = $conn;
        // The version row lock serialises appenders: the last event read below is the last one.
        sqlx::query($crate::BUMP_VERSION)
            .execute(&mut *conn)
            .await?;
        let last = sqlx::query("SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| -> $crate::Result<(i64, String)> {
                Ok((r.try_get("seq")?, r.try_get("hash")?))
            })
            .transpose()?;
        let e = $crate::audit::next_event(last, $actor, $change);
        sqlx::query($crate::audit::INSERT)
            .bind(e.seq)
            .bind(e.at)
            .bind(e.actor)
            .bind(e.jobcenter)
            .bind(e.agreement)
            .bind(e.goal)
            .bind(e.indicator)
            .bind(e.action)
            .bind(e.subject)
            .bind(e.before)
            .bind(e.after)
            .bind(e.prev_hash)
            .bind(e.hash)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }};
}
pub(crate) use append;

/// Appends `change` by `actor` inside `tx` and marks the write (see [`Store::data_version`]).
pub(crate) async fn record(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    actor: &str,
    change: Change,
) -> Result<()> {
    append!(&mut **tx, actor, change)
}

/// The columns of an audit event, in the order of its hash.
macro_rules! columns {
    () => {
        "seq, at, actor, jobcenter_id, agreement_id, goal_key, indicator, action, subject, before_state, after_state, prev_hash, hash"
    };
}

pub(crate) const INSERT: &str = concat!(
    "INSERT INTO audit_event (",
    columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
);

const COLUMNS: &str = columns!();

fn event_from(r: &AnyRow) -> Result<AuditEvent> {
    Ok(AuditEvent {
        seq: r.try_get("seq")?,
        at: r.try_get("at")?,
        actor: r.try_get("actor")?,
        jobcenter: r.try_get("jobcenter_id")?,
        agreement: r.try_get("agreement_id")?,
        goal: r.try_get("goal_key")?,
        indicator: r.try_get("indicator")?,
        action: r.try_get("action")?,
        subject: r.try_get("subject")?,
        before: r.try_get("before_state")?,
        after: r.try_get("after_state")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

/// The result of checking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditCheck {
    /// Events checked.
    pub events: u64,
    /// The hash of the last event (to note down outside the database: a chain cut off at the end
    /// is only noticed against an earlier noted head).
    pub head: String,
    /// The first event that breaks the chain, with the reason in German.
    pub broken: Option<(i64, String)>,
}

impl Store {
    /// The audit events of one agreement (and, with `goal`, of one goal: its own changes and
    /// those of the values and comments of its indicator), newest first.
    pub async fn audit_trail(
        &self,
        key: &AgreementKey,
        goal: Option<(&str, &str)>,
    ) -> Result<Vec<AuditEvent>> {
        let rows = match goal {
            None => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM audit_event WHERE agreement_id = $1
                        OR (agreement_id IS NULL AND jobcenter_id = $2)
                     ORDER BY seq DESC"
                ))
                .bind(key.to_string())
                .bind(key.jobcenter.as_str())
                .fetch_all(&self.pool)
                .await?
            }
            Some((goal, indicator)) => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM audit_event
                     WHERE (agreement_id = $1 AND goal_key = $2)
                        OR (jobcenter_id = $3 AND indicator = $4)
                     ORDER BY seq DESC"
                ))
                .bind(key.to_string())
                .bind(goal)
                .bind(key.jobcenter.as_str())
                .bind(indicator)
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(event_from).collect()
    }

    /// Checks the whole chain from the first event: numbering without gaps, each event linked to
    /// the one before, and each hash matching the event's content.
    pub async fn verify_audit(&self) -> Result<AuditCheck> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM audit_event ORDER BY seq"))
            .fetch_all(&self.pool)
            .await?;
        let mut prev = GENESIS.to_owned();
        let mut events = 0;
        for row in &rows {
            let e = event_from(row)?;
            let expected = events as i64 + 1;
            let broken = if e.seq != expected {
                Some(format!(
                    "Eintrag {expected} fehlt (gelöscht), es folgt Eintrag {}",
                    e.seq
                ))
            } else if e.prev_hash != prev {
                Some(format!(
                    "Eintrag {} ist nicht mit seinem Vorgänger verkettet",
                    e.seq
                ))
            } else if e.computed_hash() != e.hash {
                Some(format!(
                    "Eintrag {} wurde nachträglich verändert: sein Inhalt passt nicht zu seiner Prüfsumme",
                    e.seq
                ))
            } else {
                None
            };
            if let Some(reason) = broken {
                return Ok(AuditCheck {
                    events,
                    head: prev,
                    broken: Some((expected.min(e.seq), reason)),
                });
            }
            prev = e.hash;
            events += 1;
        }
        Ok(AuditCheck {
            events,
            head: prev,
            broken: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_covers_every_field_and_the_link() {
        let base = AuditEvent {
            seq: 1,
            at: "2026-01-01T00:00:00Z".into(),
            actor: "anna".into(),
            jobcenter: Some("t1".into()),
            agreement: None,
            goal: None,
            indicator: None,
            action: "goal.edit".into(),
            subject: "Ziel".into(),
            before: Some("{}".into()),
            after: Some(r#"{"a":1}"#.into()),
            prev_hash: GENESIS.into(),
            hash: String::new(),
        };
        let hash = base.computed_hash();
        assert_eq!(hash.len(), 64);
        assert_eq!(hash, base.clone().computed_hash());
        let changed = |f: fn(&mut AuditEvent)| {
            let mut e = base.clone();
            f(&mut e);
            e.computed_hash()
        };
        assert_ne!(hash, changed(|e| e.actor = "bert".into()));
        assert_ne!(hash, changed(|e| e.after = Some(r#"{"a":2}"#.into())));
        assert_ne!(hash, changed(|e| e.prev_hash = "1".repeat(64)), "the link");
        // A missing field and an empty one are different.
        assert_ne!(
            changed(|e| e.jobcenter = Some(String::new())),
            changed(|e| e.jobcenter = None)
        );
    }
}
