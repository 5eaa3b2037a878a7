//! Steering dialogues: meetings and their agenda, appraisals with frozen figures, decisions,
//! action items with their status history, and comments on values.

use chrono::NaiveDate;
use sqlx::Row;
use sqlx::any::AnyRow;
use zielwerk_domain::{
    ActionItem, ActionStatus, AgreementKey, BaId, GoalSnapshot, IndicatorCode, Key, MeetingHeader,
    PartyRole, ValueComment,
};

use crate::audit::{Change, record, scoped};
use crate::{Result, Store, StoreError, now, parse_col};

const MEETING_SCOPE: &str =
    "SELECT agreement_id, jobcenter_id, header AS state FROM meeting WHERE id = $1";
const ITEM_SCOPE: &str = "SELECT m.agreement_id, m.jobcenter_id, i.appraisal AS state
     FROM agenda_item i JOIN meeting m ON m.id = i.meeting_id WHERE i.id = $1";
const ACTION_SCOPE: &str =
    "SELECT agreement_id, jobcenter_id, status AS state FROM action_item WHERE id = $1";

#[derive(Debug, Clone, PartialEq)]
pub struct StoredMeeting {
    pub id: String,
    pub agreement: AgreementKey,
    pub jobcenter: BaId,
    pub header: MeetingHeader,
    pub revision: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// What an agenda item is about.
#[derive(Debug, Clone, PartialEq)]
pub enum AgendaKind {
    /// A goal, with its state frozen when the agenda was drawn up.
    Goal {
        goal: Key,
        snapshot: Box<GoalSnapshot>,
    },
    /// An overdue action item from an earlier meeting.
    Action { action_id: String },
    /// An item added by hand.
    Free,
}

impl AgendaKind {
    fn token(&self) -> &'static str {
        match self {
            AgendaKind::Goal { .. } => "goal",
            AgendaKind::Action { .. } => "action",
            AgendaKind::Free => "free",
        }
    }
}

/// An agenda item to create with a meeting.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAgendaItem {
    pub title: String,
    pub kind: AgendaKind,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredAgendaItem {
    pub id: String,
    pub meeting_id: String,
    /// 1, 2, 3, … in agenda order.
    pub position: i64,
    pub title: String,
    pub kind: AgendaKind,
    /// The appraisal (Würdigung); empty until written.
    pub appraisal: String,
    pub steering_needed: bool,
    pub revision: i64,
    pub appraised_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredDecision {
    pub id: String,
    pub meeting_id: String,
    pub agenda_item_id: Option<String>,
    pub text: String,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredAction {
    pub id: String,
    pub jobcenter: BaId,
    pub agreement: AgreementKey,
    /// The meeting that decided it.
    pub meeting_id: String,
    pub decision_id: String,
    pub item: ActionItem,
    pub revision: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// One status change of an action item.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionUpdate {
    pub action_id: String,
    pub meeting_id: Option<String>,
    pub status: ActionStatus,
    pub note: String,
    pub at: String,
}

/// Which action items to list. Empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct ActionFilter {
    pub agreement: Option<AgreementKey>,
    pub statuses: Vec<ActionStatus>,
    pub party: Option<PartyRole>,
    pub goal: Option<Key>,
    pub meeting: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredComment {
    pub id: String,
    pub jobcenter_id: String,
    pub comment: ValueComment,
    pub created_at: String,
}

fn corrupt(table: &'static str, column: &'static str, value: &str) -> StoreError {
    StoreError::Corrupt {
        table,
        column,
        value: value.chars().take(80).collect(),
    }
}

const MEETING_COLUMNS: &str =
    "id, agreement_id, jobcenter_id, header, revision, created_at, updated_at";
const AGENDA_COLUMNS: &str = "id, meeting_id, position, kind, title, goal_key, action_id, snapshot, appraisal, steering_needed, revision, appraised_at";
const ACTION_COLUMNS: &str = "id, jobcenter_id, agreement_id, meeting_id, decision_id, what, owner_party, owner_person, due, status, goal_key, measure_key, revision, created_at, updated_at";

fn meeting_from(row: &AnyRow) -> Result<StoredMeeting> {
    let header: String = row.try_get("header")?;
    Ok(StoredMeeting {
        id: row.try_get("id")?,
        agreement: parse_col("meeting", "agreement_id", row.try_get("agreement_id")?)?,
        jobcenter: parse_col("meeting", "jobcenter_id", row.try_get("jobcenter_id")?)?,
        header: crate::documents::meeting_header(&header)?,
        revision: row.try_get("revision")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn key_col(table: &'static str, column: &'static str, raw: Option<String>) -> Result<Option<Key>> {
    raw.map(|k| parse_col(table, column, k)).transpose()
}

fn agenda_from(row: &AnyRow) -> Result<StoredAgendaItem> {
    let kind: String = row.try_get("kind")?;
    let kind = match kind.as_str() {
        "goal" => {
            let snapshot: Option<String> = row.try_get("snapshot")?;
            AgendaKind::Goal {
                goal: key_col("agenda_item", "goal_key", row.try_get("goal_key")?)?
                    .ok_or_else(|| corrupt("agenda_item", "goal_key", ""))?,
                snapshot: Box::new(crate::documents::snapshot(
                    snapshot.as_deref().unwrap_or_default(),
                )?),
            }
        }
        "action" => AgendaKind::Action {
            action_id: row
                .try_get::<Option<String>, _>("action_id")?
                .ok_or_else(|| corrupt("agenda_item", "action_id", ""))?,
        },
        "free" => AgendaKind::Free,
        other => return Err(corrupt("agenda_item", "kind", other)),
    };
    Ok(StoredAgendaItem {
        id: row.try_get("id")?,
        meeting_id: row.try_get("meeting_id")?,
        position: row.try_get("position")?,
        title: row.try_get("title")?,
        kind,
        appraisal: row.try_get("appraisal")?,
        steering_needed: row.try_get::<i64, _>("steering_needed")? != 0,
        revision: row.try_get("revision")?,
        appraised_at: row.try_get("appraised_at")?,
    })
}

fn party(table: &'static str, raw: &str) -> Result<PartyRole> {
    PartyRole::ALL
        .into_iter()
        .find(|p| p.as_str() == raw)
        .ok_or_else(|| corrupt(table, "owner_party", raw))
}

fn action_status(table: &'static str, raw: &str) -> Result<ActionStatus> {
    ActionStatus::parse(raw).ok_or_else(|| corrupt(table, "status", raw))
}

fn action_from(row: &AnyRow) -> Result<StoredAction> {
    let due: String = row.try_get("due")?;
    let owner: String = row.try_get("owner_party")?;
    let status: String = row.try_get("status")?;
    Ok(StoredAction {
        id: row.try_get("id")?,
        jobcenter: parse_col("action_item", "jobcenter_id", row.try_get("jobcenter_id")?)?,
        agreement: parse_col("action_item", "agreement_id", row.try_get("agreement_id")?)?,
        meeting_id: row.try_get("meeting_id")?,
        decision_id: row.try_get("decision_id")?,
        item: ActionItem {
            what: row.try_get("what")?,
            owner_party: party("action_item", &owner)?,
            owner_person: row.try_get("owner_person")?,
            due: parse_col::<NaiveDate>("action_item", "due", due)?,
            status: action_status("action_item", &status)?,
            goal: key_col("action_item", "goal_key", row.try_get("goal_key")?)?,
            measure: key_col("action_item", "measure_key", row.try_get("measure_key")?)?,
        },
        revision: row.try_get("revision")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn update_from(row: &AnyRow) -> Result<ActionUpdate> {
    let status: String = row.try_get("status")?;
    Ok(ActionUpdate {
        action_id: row.try_get("action_id")?,
        meeting_id: row.try_get("meeting_id")?,
        status: action_status("action_update", &status)?,
        note: row.try_get("note")?,
        at: row.try_get("at")?,
    })
}

async fn insert_agenda_item(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    meeting_id: &str,
    position: i64,
    item: &NewAgendaItem,
) -> Result<String> {
    let id = uuid::Uuid::now_v7().to_string();
    let (goal, action, snapshot) = match &item.kind {
        AgendaKind::Goal { goal, snapshot } => (
            Some(goal.to_string()),
            None,
            Some(crate::documents::snapshot_json(snapshot)),
        ),
        AgendaKind::Action { action_id } => (None, Some(action_id.clone()), None),
        AgendaKind::Free => (None, None, None),
    };
    sqlx::query(
        "INSERT INTO agenda_item (id, meeting_id, position, kind, title, goal_key, action_id, snapshot, appraisal, steering_needed, revision, appraised_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '', 0, 1, NULL)",
    )
    .bind(&id)
    .bind(meeting_id)
    .bind(position)
    .bind(item.kind.token())
    .bind(&item.title)
    .bind(goal)
    .bind(action)
    .bind(snapshot)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

impl Store {
    /// Creates a meeting with its agenda, in one transaction; returns its id.
    pub async fn create_meeting(
        &self,
        key: &AgreementKey,
        header: &MeetingHeader,
        agenda: &[NewAgendaItem],
    ) -> Result<String> {
        let id = uuid::Uuid::now_v7().to_string();
        let ts = now();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO meeting (id, agreement_id, jobcenter_id, header, meeting_date, month, revision, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8)",
        )
        .bind(&id)
        .bind(key.to_string())
        .bind(key.jobcenter.as_str())
        .bind(crate::documents::meeting_header_json(header))
        .bind(header.date.to_string())
        .bind(header.month.to_string())
        .bind(&ts)
        .bind(&ts)
        .execute(&mut *tx)
        .await?;
        for (i, item) in agenda.iter().enumerate() {
            insert_agenda_item(&mut tx, &id, i as i64 + 1, item).await?;
        }
        let titles: Vec<&str> = agenda.iter().map(|i| i.title.as_str()).collect();
        let change = Change::new("meeting.create", header.display_title())
            .agreement(key)
            .after(serde_json::json!({"sitzung": header, "tagesordnung": titles}));
        record(&mut tx, &self.actor, change).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Saves an edited meeting header, guarded by the revision the edit started from.
    pub async fn update_meeting(
        &self,
        id: &str,
        header: &MeetingHeader,
        revision: i64,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let before = scoped(&mut tx, MEETING_SCOPE, id).await?;
        let n = sqlx::query(
            "UPDATE meeting SET header = $1, meeting_date = $2, month = $3, revision = revision + 1, updated_at = $4
             WHERE id = $5 AND revision = $6",
        )
        .bind(crate::documents::meeting_header_json(header))
        .bind(header.date.to_string())
        .bind(header.month.to_string())
        .bind(now())
        .bind(id)
        .bind(revision)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            tx.rollback().await?;
            return Err(match self.meeting(id).await? {
                None => StoreError::NotFound(format!("Sitzung {id}")),
                Some(m) => StoreError::Conflict {
                    what: format!("Die Sitzung „{}“", m.header.display_title()),
                    at: m.updated_at,
                },
            });
        }
        if let Some(before) = before {
            let change = Change::new("meeting.edit", header.display_title())
                .scoped(&before)
                .before(before.state)
                .after(serde_json::to_value(header).unwrap_or_default());
            record(&mut tx, &self.actor, change).await?;
        }
        tx.commit().await?;
        Ok(revision + 1)
    }

    pub async fn meeting(&self, id: &str) -> Result<Option<StoredMeeting>> {
        sqlx::query(&format!(
            "SELECT {MEETING_COLUMNS} FROM meeting WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(meeting_from)
        .transpose()
    }

    /// The meetings of an agreement, latest meeting date first.
    pub async fn meetings(&self, key: &AgreementKey) -> Result<Vec<StoredMeeting>> {
        sqlx::query(&format!(
            "SELECT {MEETING_COLUMNS} FROM meeting WHERE agreement_id = $1 ORDER BY meeting_date DESC, created_at DESC"
        ))
        .bind(key.to_string())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(meeting_from)
        .collect()
    }

    /// The number of agenda items of each meeting of an agreement, by meeting id.
    pub async fn agenda_sizes(
        &self,
        key: &AgreementKey,
    ) -> Result<std::collections::HashMap<String, i64>> {
        sqlx::query(
            "SELECT a.meeting_id AS id, COUNT(*) AS n FROM agenda_item a
             JOIN meeting m ON m.id = a.meeting_id WHERE m.agreement_id = $1 GROUP BY a.meeting_id",
        )
        .bind(key.to_string())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("n")?)))
        .collect()
    }

    /// The agenda of a meeting, in order.
    pub async fn agenda(&self, meeting_id: &str) -> Result<Vec<StoredAgendaItem>> {
        sqlx::query(&format!(
            "SELECT {AGENDA_COLUMNS} FROM agenda_item WHERE meeting_id = $1 ORDER BY position"
        ))
        .bind(meeting_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(agenda_from)
        .collect()
    }

    async fn agenda_item(&self, id: &str) -> Result<Option<StoredAgendaItem>> {
        sqlx::query(&format!(
            "SELECT {AGENDA_COLUMNS} FROM agenda_item WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(agenda_from)
        .transpose()
    }

    /// Appends an item to a meeting's agenda; returns its id.
    pub async fn add_agenda_item(&self, meeting_id: &str, item: &NewAgendaItem) -> Result<String> {
        let mut tx = self.begin_write().await?;
        let next: i64 = sqlx::query(
            "SELECT COALESCE(MAX(position), 0) + 1 AS next FROM agenda_item WHERE meeting_id = $1",
        )
        .bind(meeting_id)
        .fetch_one(&mut *tx)
        .await?
        .try_get("next")?;
        let id = insert_agenda_item(&mut tx, meeting_id, next, item).await?;
        if let Some(m) = scoped(&mut tx, MEETING_SCOPE, meeting_id).await? {
            let change = Change::new("agenda.add", format!("TOP {next}: {}", item.title))
                .scoped(&m)
                .goal(match &item.kind {
                    AgendaKind::Goal { goal, .. } => Some(goal.to_string()),
                    _ => None,
                })
                .after(serde_json::json!({"position": next, "titel": item.title}));
            record(&mut tx, &self.actor, change).await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Moves an agenda item one place up (`up`) or down by swapping it with its neighbour;
    /// at either end nothing changes. Returns whether it moved.
    pub async fn move_agenda_item(
        &self,
        meeting_id: &str,
        item_id: &str,
        up: bool,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let Some(row) =
            sqlx::query("SELECT position FROM agenda_item WHERE id = $1 AND meeting_id = $2")
                .bind(item_id)
                .bind(meeting_id)
                .fetch_optional(&mut *tx)
                .await?
        else {
            return Err(StoreError::NotFound(format!(
                "Tagesordnungspunkt {item_id}"
            )));
        };
        let position: i64 = row.try_get("position")?;
        let neighbour = sqlx::query(if up {
            "SELECT id, position FROM agenda_item WHERE meeting_id = $1 AND position < $2 ORDER BY position DESC LIMIT 1"
        } else {
            "SELECT id, position FROM agenda_item WHERE meeting_id = $1 AND position > $2 ORDER BY position LIMIT 1"
        })
        .bind(meeting_id)
        .bind(position)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(neighbour) = neighbour else {
            return Ok(false);
        };
        let (other_id, other_position): (String, i64) =
            (neighbour.try_get("id")?, neighbour.try_get("position")?);
        for (id, pos) in [(item_id, other_position), (other_id.as_str(), position)] {
            sqlx::query("UPDATE agenda_item SET position = $1 WHERE id = $2")
                .bind(pos)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(m) = scoped(&mut tx, MEETING_SCOPE, meeting_id).await? {
            let change = Change::new("agenda.move", format!("Tagesordnungspunkt {item_id}"))
                .scoped(&m)
                .before(serde_json::json!({"position": position}))
                .after(serde_json::json!({"position": other_position}));
            record(&mut tx, &self.actor, change).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Saves the appraisal of an agenda item, guarded by the revision it started from. The
    /// frozen figures are never touched. Returns the new revision.
    pub async fn appraise(
        &self,
        item_id: &str,
        text: &str,
        steering_needed: bool,
        revision: i64,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let before = scoped(&mut tx, ITEM_SCOPE, item_id).await?;
        let n = sqlx::query(
            "UPDATE agenda_item SET appraisal = $1, steering_needed = $2, revision = revision + 1, appraised_at = $3
             WHERE id = $4 AND revision = $5",
        )
        .bind(text)
        .bind(i64::from(steering_needed))
        .bind(now())
        .bind(item_id)
        .bind(revision)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            tx.rollback().await?;
            return Err(match self.agenda_item(item_id).await? {
                None => StoreError::NotFound(format!("Tagesordnungspunkt {item_id}")),
                Some(i) => StoreError::Conflict {
                    what: format!("Die Würdigung zu „{}“", i.title),
                    at: i.appraised_at.unwrap_or_default(),
                },
            });
        }
        if let Some(before) = before {
            let goal: Option<String> =
                sqlx::query("SELECT goal_key FROM agenda_item WHERE id = $1")
                    .bind(item_id)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("goal_key")?;
            let change = Change::new("agenda.appraise", format!("Würdigung {item_id}"))
                .scoped(&before)
                .goal(goal)
                .before(serde_json::json!({"wuerdigung": before.state}))
                .after(
                    serde_json::json!({"wuerdigung": text, "steuerungsbedarf": steering_needed}),
                );
            record(&mut tx, &self.actor, change).await?;
        }
        tx.commit().await?;
        Ok(revision + 1)
    }

    /// Records a decision of a meeting and, if given, the action item it sets, in one
    /// transaction. Returns the decision's id and the action item's id.
    pub async fn add_decision(
        &self,
        meeting_id: &str,
        agenda_item_id: Option<&str>,
        text: &str,
        action: Option<&ActionItem>,
    ) -> Result<(String, Option<String>)> {
        let meeting = self
            .meeting(meeting_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("Sitzung {meeting_id}")))?;
        let ts = now();
        let id = uuid::Uuid::now_v7().to_string();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO decision (id, meeting_id, agenda_item_id, text, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(meeting_id)
        .bind(agenda_item_id)
        .bind(text)
        .bind(&ts)
        .execute(&mut *tx)
        .await?;
        let mut action_id = None;
        if let Some(a) = action {
            let aid = uuid::Uuid::now_v7().to_string();
            sqlx::query(&format!(
                "INSERT INTO action_item ({ACTION_COLUMNS})
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $13, $14)"
            ))
            .bind(&aid)
            .bind(meeting.jobcenter.as_str())
            .bind(meeting.agreement.to_string())
            .bind(meeting_id)
            .bind(&id)
            .bind(&a.what)
            .bind(a.owner_party.as_str())
            .bind(&a.owner_person)
            .bind(a.due.to_string())
            .bind(a.status.as_str())
            .bind(a.goal.as_ref().map(|k| k.to_string()))
            .bind(a.measure.as_ref().map(|k| k.to_string()))
            .bind(&ts)
            .bind(&ts)
            .execute(&mut *tx)
            .await?;
            insert_update(&mut tx, &aid, Some(meeting_id), a.status, "angelegt", &ts).await?;
            action_id = Some(aid);
        }
        let change = Change {
            agreement: Some(meeting.agreement.to_string()),
            jobcenter: Some(meeting.jobcenter.to_string()),
            goal: action.and_then(|a| a.goal.as_ref()).map(|g| g.to_string()),
            ..Change::new(
                "decision.add",
                format!("Beschluss in „{}“", meeting.header.display_title()),
            )
        }
        .after(serde_json::json!({"beschluss": text, "aufgabe": action}));
        record(&mut tx, &self.actor, change).await?;
        tx.commit().await?;
        Ok((id, action_id))
    }

    /// The decisions of a meeting, in the order they were taken.
    pub async fn decisions(&self, meeting_id: &str) -> Result<Vec<StoredDecision>> {
        sqlx::query(
            "SELECT id, meeting_id, agenda_item_id, text, created_at FROM decision WHERE meeting_id = $1 ORDER BY created_at, id",
        )
        .bind(meeting_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(StoredDecision {
                id: row.try_get("id")?,
                meeting_id: row.try_get("meeting_id")?,
                agenda_item_id: row.try_get("agenda_item_id")?,
                text: row.try_get("text")?,
                created_at: row.try_get("created_at")?,
            })
        })
        .collect()
    }

    pub async fn action(&self, id: &str) -> Result<Option<StoredAction>> {
        sqlx::query(&format!(
            "SELECT {ACTION_COLUMNS} FROM action_item WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(action_from)
        .transpose()
    }

    /// The action items of a Jobcenter that match `filter`, earliest due date first.
    pub async fn actions(
        &self,
        jobcenter: &BaId,
        filter: &ActionFilter,
    ) -> Result<Vec<StoredAction>> {
        let mut sql = format!("SELECT {ACTION_COLUMNS} FROM action_item WHERE jobcenter_id = $1");
        let mut binds: Vec<String> = vec![jobcenter.to_string()];
        let mut bind = |sql: &mut String, clause: &str, value: String| {
            binds.push(value);
            sql.push_str(&clause.replace('?', &format!("${}", binds.len())));
        };
        if let Some(k) = &filter.agreement {
            bind(&mut sql, " AND agreement_id = ?", k.to_string());
        }
        if let Some(p) = filter.party {
            bind(&mut sql, " AND owner_party = ?", p.as_str().to_owned());
        }
        if let Some(g) = &filter.goal {
            bind(&mut sql, " AND goal_key = ?", g.to_string());
        }
        if let Some(m) = &filter.meeting {
            bind(&mut sql, " AND meeting_id = ?", m.clone());
        }
        if !filter.statuses.is_empty() {
            sql.push_str(" AND status IN (");
            for (i, s) in filter.statuses.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                bind(&mut sql, "?", s.as_str().to_owned());
            }
            sql.push(')');
        }
        sql.push_str(" ORDER BY due, created_at, id");
        let mut q = sqlx::query(&sql);
        for b in &binds {
            q = q.bind(b);
        }
        q.fetch_all(&self.pool)
            .await?
            .iter()
            .map(action_from)
            .collect()
    }

    /// Changes the status of an action item, guarded by the revision the change started from,
    /// and records the change (with the meeting it was made in, if any). Returns the new
    /// revision.
    pub async fn set_action_status(
        &self,
        id: &str,
        status: ActionStatus,
        note: &str,
        meeting_id: Option<&str>,
        revision: i64,
    ) -> Result<i64> {
        let ts = now();
        let mut tx = self.begin_write().await?;
        let before = scoped(&mut tx, ACTION_SCOPE, id).await?;
        let n = sqlx::query(
            "UPDATE action_item SET status = $1, revision = revision + 1, updated_at = $2 WHERE id = $3 AND revision = $4",
        )
        .bind(status.as_str())
        .bind(&ts)
        .bind(id)
        .bind(revision)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            tx.rollback().await?;
            return Err(match self.action(id).await? {
                None => StoreError::NotFound(format!("Aufgabe {id}")),
                Some(a) => StoreError::Conflict {
                    what: format!("Die Aufgabe „{}“", a.item.what),
                    at: a.updated_at,
                },
            });
        }
        insert_update(&mut tx, id, meeting_id, status, note, &ts).await?;
        if let Some(before) = before {
            let goal: Option<String> =
                sqlx::query("SELECT goal_key FROM action_item WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("goal_key")?;
            let change = Change::new("action.status", format!("Aufgabe {id}"))
                .scoped(&before)
                .goal(goal)
                .before(serde_json::json!({"stand": before.state}))
                .after(serde_json::json!({"stand": status.as_str(), "vermerk": note}));
            record(&mut tx, &self.actor, change).await?;
        }
        tx.commit().await?;
        Ok(revision + 1)
    }

    /// Every status change of an action item, oldest first.
    pub async fn action_updates(&self, action_id: &str) -> Result<Vec<ActionUpdate>> {
        sqlx::query(
            "SELECT action_id, meeting_id, status, note, at FROM action_update WHERE action_id = $1 ORDER BY seq",
        )
        .bind(action_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(update_from)
        .collect()
    }

    /// The status changes made in a meeting, in order.
    pub async fn updates_in_meeting(&self, meeting_id: &str) -> Result<Vec<ActionUpdate>> {
        sqlx::query(
            "SELECT action_id, meeting_id, status, note, at FROM action_update WHERE meeting_id = $1 ORDER BY at, action_id, seq",
        )
        .bind(meeting_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(update_from)
        .collect()
    }

    /// Attaches a comment to a value of the Jobcenter; returns its id.
    pub async fn add_comment(&self, jobcenter: &BaId, comment: &ValueComment) -> Result<String> {
        let id = uuid::Uuid::now_v7().to_string();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO value_comment (id, jobcenter_id, indicator, month, text, author, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(jobcenter.as_str())
        .bind(comment.indicator.as_str())
        .bind(comment.month.to_string())
        .bind(&comment.text)
        .bind(&comment.author)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        let change = Change {
            indicator: Some(comment.indicator.to_string()),
            ..Change::new(
                "comment.add",
                format!("Anmerkung zu {} ({})", comment.indicator, comment.month),
            )
            .jobcenter(jobcenter)
        }
        .after(serde_json::to_value(comment).unwrap_or_default());
        record(&mut tx, &self.actor, change).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The comments on the Jobcenter's values of these indicators, by month, oldest first.
    pub async fn comments(
        &self,
        jobcenter: &BaId,
        indicators: &[&IndicatorCode],
    ) -> Result<Vec<StoredComment>> {
        let rows = sqlx::query(
            "SELECT id, jobcenter_id, indicator, month, text, author, created_at FROM value_comment
             WHERE jobcenter_id = $1 ORDER BY month, created_at, id",
        )
        .bind(jobcenter.as_str())
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for row in &rows {
            let indicator: String = row.try_get("indicator")?;
            if !indicators.iter().any(|c| c.as_str() == indicator) {
                continue;
            }
            out.push(StoredComment {
                id: row.try_get("id")?,
                jobcenter_id: row.try_get("jobcenter_id")?,
                comment: ValueComment {
                    indicator: parse_col("value_comment", "indicator", indicator)?,
                    month: parse_col("value_comment", "month", row.try_get("month")?)?,
                    text: row.try_get("text")?,
                    author: row.try_get("author")?,
                },
                created_at: row.try_get("created_at")?,
            });
        }
        Ok(out)
    }
}

async fn insert_update(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    action_id: &str,
    meeting_id: Option<&str>,
    status: ActionStatus,
    note: &str,
    at: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO action_update (action_id, seq, meeting_id, status, note, at)
         SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5 FROM action_update WHERE action_id = $6",
    )
    .bind(action_id)
    .bind(meeting_id)
    .bind(status.as_str())
    .bind(note)
    .bind(at)
    .bind(action_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
