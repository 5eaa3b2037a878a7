//! Changing an agreement between import and signature: goal edits (guarded by the goal's
//! revision), signatures per party, and the Nachtrag that opens a new version of a signed one.
//!
//! The rules: a signed agreement never changes. An edit voids the signatures given so far (they
//! were for other content). Each signature records the SHA-256 of the content it was given for;
//! when every party has signed, the version is frozen. Every step is in the audit trail.

use sha2::{Digest, Sha256};
use sqlx::Row;
use zielwerk_domain::{Agreement, AgreementKey, AgreementStatus, Goal, Measure, PartyRole};

use crate::agreements::insert_children;
use crate::audit::{Change, record};
use crate::{Result, Store, StoreError, now};

/// The SHA-256 of what an agreement says, without its status and signature dates: the same
/// content gives the same digest, whoever has signed it so far.
pub fn content_digest(agreement: &Agreement) -> String {
    let mut a = agreement.clone();
    a.status = AgreementStatus::Draft;
    for p in &mut a.parties {
        p.signed_on = None;
    }
    let json = serde_json::to_string(&a).expect("an agreement always serialises");
    hex::encode(Sha256::digest(json.as_bytes()))
}

/// Starts an edit inside `tx`: locks the agreement row first (so a signature cannot slip in),
/// marks it changed, and refuses a signed agreement.
pub(crate) async fn open_for_edit(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: &str,
) -> Result<()> {
    let open = sqlx::query(
        "UPDATE agreement SET updated_at = $1, status = $2 WHERE id = $3 AND status <> 'signed'",
    )
    .bind(now())
    .bind(AgreementStatus::Draft.as_str())
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if open == 0 {
        return Err(StoreError::SignedAgreement(id.to_owned()));
    }
    Ok(())
}

/// Inserts `new`, made from the agreement `based_on` (a Nachtrag, next year's draft), with
/// everything it holds.
async fn insert_derived(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    new: &Agreement,
    based_on: &str,
    ts: &str,
) -> Result<()> {
    let new_id = new.key().to_string();
    sqlx::query(
        "INSERT INTO agreement (id, jobcenter_id, year, version, status, title, created_at, updated_at, based_on)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&new_id)
    .bind(new.jobcenter.ba_id.as_str())
    .bind(i64::from(new.year))
    .bind(i64::from(new.version))
    .bind(new.status.as_str())
    .bind(&new.title)
    .bind(ts)
    .bind(ts)
    .bind(based_on)
    .execute(&mut **tx)
    .await?;
    insert_children(tx, &new_id, new).await
}

/// Voids the signatures given so far (they were for other content); returns how many.
async fn void_signatures(tx: &mut sqlx::Transaction<'_, sqlx::Any>, id: &str) -> Result<u64> {
    let voided = sqlx::query("DELETE FROM signature WHERE agreement_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    sqlx::query("UPDATE party SET signed_on = NULL WHERE agreement_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(voided)
}

/// A signature as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSignature {
    pub role: PartyRole,
    pub signer: String,
    pub content_hash: String,
    pub signed_at: String,
}

impl Store {
    /// The stamp of an agreement's last change (its `updated_at`), which signing is guarded by.
    pub async fn agreement_stamp(&self, key: &AgreementKey) -> Result<Option<String>> {
        sqlx::query("SELECT updated_at FROM agreement WHERE id = $1")
            .bind(key.to_string())
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.try_get("updated_at"))
            .transpose()
            .map_err(Into::into)
    }

    /// A goal as stored before an edit, or not found.
    async fn stored_goal(&self, key: &AgreementKey, goal: &str) -> Result<Goal> {
        self.agreement(key)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("Die Vereinbarung {key}")))?
            .goals
            .into_iter()
            .find(|g| g.key.as_str() == goal)
            .ok_or_else(|| StoreError::NotFound(format!("Das Ziel {goal}")))
    }

    /// The revision of a goal, for the edit form; `None` if there is no such goal.
    pub async fn goal_revision(&self, key: &AgreementKey, goal: &str) -> Result<Option<i64>> {
        self.revision(key, crate::Element::Goal(goal)).await
    }

    /// Saves an edited goal (same key; its area, indicator and party may change) of an unsigned
    /// agreement, guarded by the revision the
    /// edit started from: if someone else saved the goal in between, nothing is written and the
    /// caller gets [`StoreError::Conflict`]. Signatures given so far are void. Returns the new
    /// revision.
    pub async fn update_goal(&self, key: &AgreementKey, goal: &Goal, revision: i64) -> Result<i64> {
        let id = key.to_string();
        let before = self.stored_goal(key, goal.key.as_str()).await?;
        let mut tx = self.begin_write().await?;
        open_for_edit(&mut tx, &id).await?;
        let (target_kind, target_value, target_due) =
            crate::agreements::target_columns(&goal.target);
        let (tolerance_kind, tolerance_value) =
            crate::agreements::tolerance_columns(&goal.tolerance);
        let n = sqlx::query(
            "UPDATE goal SET title = $1, description = $2, target_kind = $3, target_value = $4,
                 target_due = $5, tolerance_kind = $6, tolerance_value = $7, responsible = $8,
                 indicator_code = $9, area_key = $10, revision = revision + 1
             WHERE agreement_id = $11 AND goal_key = $12 AND revision = $13",
        )
        .bind(&goal.title)
        .bind(&goal.description)
        .bind(target_kind)
        .bind(target_value)
        .bind(target_due)
        .bind(tolerance_kind)
        .bind(tolerance_value)
        .bind(goal.responsible.as_str())
        .bind(goal.indicator.as_str())
        .bind(goal.area.as_str())
        .bind(&id)
        .bind(goal.key.as_str())
        .bind(revision)
        .persistent(false)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            tx.rollback().await?;
            return Err(self
                .changed_in_between(key, format!("Das Ziel „{}“", before.title))
                .await);
        }
        sqlx::query("DELETE FROM goal_target_month WHERE agreement_id = $1 AND goal_key = $2")
            .bind(&id)
            .bind(goal.key.as_str())
            .execute(&mut *tx)
            .await?;
        if let zielwerk_domain::Target::Monthly { values } = &goal.target {
            for (month, value) in values {
                sqlx::query(
                    "INSERT INTO goal_target_month (agreement_id, goal_key, month, value) VALUES ($1, $2, $3, $4)",
                )
                .bind(&id)
                .bind(goal.key.as_str())
                .bind(month.to_string())
                .bind(*value)
                .execute(&mut *tx)
                .await?;
            }
        }
        let change = Change::new("goal.edit", format!("Ziel „{}“", goal.title))
            .agreement(key)
            .goal(Some(goal.key.to_string()))
            .before(serde_json::to_value(&before).unwrap_or_default());
        self.finish_edit(tx, &id, change, serde_json::to_value(goal))
            .await?;
        Ok(revision + 1)
    }

    /// Adds a goal to an unsigned agreement, with the goal area and the indicator it brings when
    /// they are new, in one transaction: all of it or nothing. A goal key (or a new area's or
    /// indicator's key) that exists by then, because someone else added it in between, is
    /// [`StoreError::Exists`]. Signatures given so far are void.
    pub async fn add_goal(
        &self,
        key: &AgreementKey,
        area: Option<&zielwerk_domain::GoalArea>,
        indicator: Option<&zielwerk_domain::Indicator>,
        goal: &Goal,
    ) -> Result<()> {
        let id = key.to_string();
        let mut tx = self.begin_write().await?;
        open_for_edit(&mut tx, &id).await?;
        let next = |table: &'static str| {
            format!(
                "SELECT COALESCE(MAX(position), -1) + 1 AS next FROM {table} WHERE agreement_id = $1"
            )
        };
        let exists = |what: String| StoreError::Exists(what);
        let taken = |table: &'static str, column: &'static str| {
            format!("SELECT COUNT(*) AS n FROM {table} WHERE agreement_id = $1 AND {column} = $2")
        };
        for (table, column, value, what) in [
            (
                "goal",
                "goal_key",
                Some(goal.key.as_str()),
                format!("Ein Ziel mit dem Schlüssel „{}“", goal.key),
            ),
            (
                "goal_area",
                "area_key",
                area.map(|a| a.key.as_str()),
                format!("Ein Zielbereich mit dem Schlüssel „{}“", goal.area),
            ),
            (
                "indicator",
                "code",
                indicator.map(|i| i.code.as_str()),
                format!("Eine Kennzahl mit dem Code „{}“", goal.indicator),
            ),
        ] {
            let Some(value) = value else { continue };
            let n: i64 = sqlx::query(&taken(table, column))
                .bind(&id)
                .bind(value)
                .fetch_one(&mut *tx)
                .await?
                .try_get("n")?;
            if n > 0 {
                tx.rollback().await?;
                return Err(exists(what));
            }
        }
        let position = |row: sqlx::any::AnyRow| -> Result<usize> {
            let n: i64 = row.try_get("next")?;
            Ok(usize::try_from(n).unwrap_or_default())
        };
        if let Some(area) = area {
            let pos = position(
                sqlx::query(&next("goal_area"))
                    .bind(&id)
                    .fetch_one(&mut *tx)
                    .await?,
            )?;
            crate::agreements::insert_area(&mut tx, &id, pos, area).await?;
        }
        if let Some(ind) = indicator {
            let pos = position(
                sqlx::query(&next("indicator"))
                    .bind(&id)
                    .fetch_one(&mut *tx)
                    .await?,
            )?;
            crate::agreements::insert_indicator(&mut tx, &id, pos, ind).await?;
        }
        let pos = position(
            sqlx::query(&next("goal"))
                .bind(&id)
                .fetch_one(&mut *tx)
                .await?,
        )?;
        crate::agreements::insert_goal(&mut tx, &id, pos, goal).await?;
        let change = Change::new("goal.add", format!("Ziel „{}“", goal.title))
            .agreement(key)
            .goal(Some(goal.key.to_string()));
        let after = serde_json::json!({
            "ziel": goal,
            "zielbereich": area,
            "kennzahl": indicator,
        });
        self.finish_edit(tx, &id, change, Ok(after)).await
    }

    /// Removes a goal of an unsigned agreement, with its monthly targets and its links from
    /// Handlungsansätze, guarded by the revision the removal was confirmed at (as
    /// [`Store::update_goal`]). The indicator and the values stay. Signatures given so far are void.
    pub async fn remove_goal(&self, key: &AgreementKey, goal: &str, revision: i64) -> Result<()> {
        let before = self.stored_goal(key, goal).await?;
        self.remove_element(
            key,
            crate::Element::Goal(goal),
            &before.title,
            serde_json::to_value(&before).unwrap_or_default(),
            revision,
        )
        .await
    }

    /// Ends an edit inside `tx`: voids the signatures given so far (they were for other content),
    /// records the change with the new state, and commits.
    pub(crate) async fn finish_edit(
        &self,
        mut tx: sqlx::Transaction<'_, sqlx::Any>,
        id: &str,
        change: Change,
        after: serde_json::Result<serde_json::Value>,
    ) -> Result<()> {
        let voided = void_signatures(&mut tx, id).await?;
        let mut after = after.unwrap_or_default();
        if voided > 0 {
            after["unterschriften_aufgehoben"] = voided.into();
        }
        record(&mut tx, &self.actor, change.after(after)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The revision of a Handlungsansatz, for the edit form; `None` if there is none.
    pub async fn measure_revision(&self, key: &AgreementKey, measure: &str) -> Result<Option<i64>> {
        self.revision(key, crate::Element::Measure(measure)).await
    }

    /// Saves an edited Handlungsansatz (same key and party; its goals may change) of an unsigned
    /// agreement, guarded like [`Store::update_goal`]. Returns the new revision.
    pub async fn update_measure(
        &self,
        key: &AgreementKey,
        measure: &Measure,
        revision: i64,
    ) -> Result<i64> {
        let id = key.to_string();
        let agreement = self
            .agreement(key)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("Die Vereinbarung {id}")))?;
        let before = agreement
            .measures
            .iter()
            .find(|m| m.key == measure.key)
            .cloned()
            .ok_or_else(|| StoreError::NotFound(format!("Der Handlungsansatz {}", measure.key)))?;
        let mut tx = self.begin_write().await?;
        open_for_edit(&mut tx, &id).await?;
        let n = sqlx::query(
            "UPDATE measure SET title = $1, description = $2, expected_effect = $3,
                 start_month = $4, end_month = $5, revision = revision + 1
             WHERE agreement_id = $6 AND measure_key = $7 AND revision = $8",
        )
        .bind(&measure.title)
        .bind(&measure.description)
        .bind(&measure.expected_effect)
        .bind(measure.start.to_string())
        .bind(measure.end.map(|m| m.to_string()))
        .bind(&id)
        .bind(measure.key.as_str())
        .bind(revision)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            tx.rollback().await?;
            return Err(StoreError::Conflict {
                what: format!("Der Handlungsansatz „{}“", before.title),
                at: self.agreement_stamp(key).await?.unwrap_or_default(),
            });
        }
        sqlx::query("DELETE FROM measure_goal WHERE agreement_id = $1 AND measure_key = $2")
            .bind(&id)
            .bind(measure.key.as_str())
            .execute(&mut *tx)
            .await?;
        crate::agreements::insert_measure_goals(&mut tx, &id, measure).await?;
        let change = Change::new(
            "measure.edit",
            format!("Handlungsansatz „{}“", measure.title),
        )
        .agreement(key)
        .before(serde_json::to_value(&before).unwrap_or_default());
        self.finish_edit(tx, &id, change, serde_json::to_value(measure))
            .await?;
        Ok(revision + 1)
    }

    /// The signatures given in the application for an agreement version.
    pub async fn signatures(&self, key: &AgreementKey) -> Result<Vec<StoredSignature>> {
        sqlx::query(
            "SELECT role, signer, content_hash, signed_at FROM signature WHERE agreement_id = $1 ORDER BY signed_at",
        )
        .bind(key.to_string())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            let role: String = r.try_get("role")?;
            Ok(StoredSignature {
                role: PartyRole::ALL
                    .into_iter()
                    .find(|p| p.as_str() == role)
                    .ok_or(StoreError::Corrupt {
                        table: "signature",
                        column: "role",
                        value: role,
                    })?,
                signer: r.try_get("signer")?,
                content_hash: r.try_get("content_hash")?,
                signed_at: r.try_get("signed_at")?,
            })
        })
        .collect()
    }

    /// Signs an agreement version for `role`, as this handle's actor (account `user_id`). `stamp` is the agreement stamp the signer saw
    /// (see [`Store::agreement_stamp`]) and `digest` the content digest of what they saw: if the
    /// agreement changed since, nothing is signed ([`StoreError::Conflict`]). When all parties
    /// have signed, the version is signed and frozen. Returns the new status.
    pub async fn sign(
        &self,
        key: &AgreementKey,
        role: PartyRole,
        user_id: &str,
        stamp: &str,
        digest: &str,
        on: chrono::NaiveDate,
    ) -> Result<AgreementStatus> {
        let id = key.to_string();
        let agreement = self
            .agreement(key)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("Die Vereinbarung {id}")))?;
        if agreement.status == AgreementStatus::Signed {
            return Err(StoreError::SignedAgreement(id));
        }
        let conflict = || StoreError::Conflict {
            what: format!("Die Vereinbarung {id}"),
            at: stamp.to_owned(),
        };
        if content_digest(&agreement) != digest {
            return Err(conflict());
        }
        let mut tx = self.begin_write().await?;
        // Guarded and locking: unchanged since the signer looked, and not signed meanwhile.
        let n = sqlx::query(
            "UPDATE agreement SET status = status WHERE id = $1 AND updated_at = $2 AND status <> 'signed'",
        )
        .bind(&id)
        .bind(stamp)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            tx.rollback().await?;
            return Err(conflict());
        }
        let already =
            sqlx::query("SELECT signer FROM signature WHERE agreement_id = $1 AND role = $2")
                .bind(&id)
                .bind(role.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(row) = already {
            tx.rollback().await?;
            let by: String = row.try_get("signer")?;
            return Err(StoreError::Exists(format!(
                "Die Unterschrift für „{}“ (von {by})",
                role.label_de()
            )));
        }
        let ts = now();
        sqlx::query(
            "INSERT INTO signature (agreement_id, role, user_id, signer, content_hash, signed_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(role.as_str())
        .bind(user_id)
        .bind(self.actor())
        .bind(digest)
        .bind(&ts)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE party SET signed_on = $1 WHERE agreement_id = $2 AND role = $3")
            .bind(on.to_string())
            .bind(&id)
            .bind(role.as_str())
            .execute(&mut *tx)
            .await?;
        let signed: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM signature WHERE agreement_id = $1")
                .bind(&id)
                .fetch_one(&mut *tx)
                .await?
                .try_get("n")?;
        let status = if signed as usize >= agreement.parties.len() {
            AgreementStatus::Signed
        } else {
            AgreementStatus::Negotiating
        };
        sqlx::query("UPDATE agreement SET status = $1 WHERE id = $2")
            .bind(status.as_str())
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        let change = Change::new(
            "agreement.sign",
            format!(
                "Unterschrift für „{}“ durch {}",
                role.label_de(),
                self.actor()
            ),
        )
        .agreement(key)
        .after(serde_json::json!({
            "partei": role.as_str(),
            "unterzeichnet_von": self.actor(),
            "inhalt_sha256": digest,
            "stand": status.as_str(),
        }));
        record(&mut tx, &self.actor, change).await?;
        tx.commit().await?;
        Ok(status)
    }

    /// Opens a Nachtrag: a new version of a signed agreement with the same content, as a draft
    /// to be changed and signed again. Refused if the agreement is not signed or a later version
    /// exists already. Returns the new version's key.
    pub async fn open_nachtrag(&self, key: &AgreementKey) -> Result<AgreementKey> {
        let id = key.to_string();
        let old = self
            .agreement(key)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("Die Vereinbarung {id}")))?;
        if old.status != AgreementStatus::Signed {
            return Err(StoreError::NotSigned(id));
        }
        let mut new = old.clone();
        new.version = old.version + 1;
        new.status = AgreementStatus::Draft;
        for p in &mut new.parties {
            p.signed_on = None;
        }
        let new_key = new.key();
        let new_id = new_key.to_string();
        let later: Option<String> = sqlx::query(
            "SELECT id FROM agreement WHERE jobcenter_id = $1 AND year = $2 AND version > $3 ORDER BY version LIMIT 1",
        )
        .bind(key.jobcenter.as_str())
        .bind(i64::from(key.year))
        .bind(i64::from(key.version))
        .fetch_optional(&self.pool)
        .await?
        .map(|r| r.try_get("id"))
        .transpose()?;
        if let Some(later) = later {
            return Err(StoreError::Exists(format!("Die neuere Version {later}")));
        }
        let ts = now();
        let mut tx = self.begin_write().await?;
        insert_derived(&mut tx, &new, &id, &ts).await?;
        let change = Change::new("agreement.nachtrag", format!("Nachtrag {new_id} zu {id}"))
            .agreement(&new_key)
            .after(serde_json::json!({"version": new.version, "aendert": id}));
        record(&mut tx, &self.actor, change).await?;
        tx.commit().await?;
        Ok(new_key)
    }

    /// Prepares next year's agreement from `key` (the newest version of its year) as a draft,
    /// version 1, linked to it (`based_on`); see [`Agreement::for_next_year`] for what is
    /// carried. Refused when the Jobcenter already has an agreement for the next year.
    pub async fn prepare_next_year(&self, key: &AgreementKey) -> Result<AgreementKey> {
        let id = key.to_string();
        let old = self
            .agreement(key)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("Die Vereinbarung {id}")))?;
        let new = old.for_next_year();
        let new_key = new.key();
        let new_id = new_key.to_string();
        let ts = now();
        let mut tx = self.begin_write().await?;
        let newer: Option<i64> = sqlx::query(
            "SELECT version FROM agreement WHERE jobcenter_id = $1 AND year = $2 AND version > $3 ORDER BY version DESC LIMIT 1",
        )
        .bind(key.jobcenter.as_str())
        .bind(i64::from(key.year))
        .bind(i64::from(key.version))
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get("version"))
        .transpose()?;
        if let Some(v) = newer {
            return Err(StoreError::Exists(format!(
                "Die neuere Version {v} der Vereinbarung {}; bereiten Sie das Folgejahr aus ihr vor, nicht aus Version {}",
                key.year, key.version
            )));
        }
        let existing: Option<String> = sqlx::query(
            "SELECT id FROM agreement WHERE jobcenter_id = $1 AND year = $2 ORDER BY version LIMIT 1",
        )
        .bind(key.jobcenter.as_str())
        .bind(i64::from(new.year))
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get("id"))
        .transpose()?;
        if let Some(existing) = existing {
            return Err(StoreError::Exists(format!(
                "Eine Vereinbarung für {} ({existing})",
                new.year
            )));
        }
        insert_derived(&mut tx, &new, &id, &ts).await?;
        let change = Change::new(
            "agreement.next_year",
            format!("Vereinbarung {new_id} aus {id} vorbereitet"),
        )
        .agreement(&new_key)
        .after(serde_json::json!({"jahr": new.year, "aus": id}));
        record(&mut tx, &self.actor, change).await?;
        tx.commit().await?;
        Ok(new_key)
    }

    /// The agreement this version was made from: the version a Nachtrag amends, or last year's
    /// agreement a draft was prepared from (a different year).
    pub async fn based_on(&self, key: &AgreementKey) -> Result<Option<AgreementKey>> {
        let id: Option<String> = sqlx::query("SELECT based_on FROM agreement WHERE id = $1")
            .bind(key.to_string())
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.try_get("based_on"))
            .transpose()?
            .flatten();
        id.map(|s| {
            s.parse().map_err(|_| StoreError::Corrupt {
                table: "agreement",
                column: "based_on",
                value: s,
            })
        })
        .transpose()
    }
}
