//! Drafting an agreement element by element: goal areas and indicators of the agreement's own
//! edited and removed, Handlungsansätze added and removed. The rules of
//! [`crate::signing`] hold: only an unsigned agreement changes, each edit is guarded by the
//! revision of what it changes, voids the signatures given so far and is in the audit trail.

use sqlx::Row;
use zielwerk_domain::{AgreementKey, GoalArea, Indicator, Measure};

use crate::audit::Change;
use crate::signing::open_for_edit;
use crate::{Result, Store, StoreError};

/// A part of an agreement that carries its own revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Element<'a> {
    Goal(&'a str),
    Area(&'a str),
    Indicator(&'a str),
    Measure(&'a str),
}

impl Element<'_> {
    fn table_and_column(self) -> (&'static str, &'static str) {
        match self {
            Element::Goal(_) => ("goal", "goal_key"),
            Element::Area(_) => ("goal_area", "area_key"),
            Element::Indicator(_) => ("indicator", "code"),
            Element::Measure(_) => ("measure", "measure_key"),
        }
    }

    fn value(&self) -> &str {
        match self {
            Element::Goal(k) | Element::Area(k) | Element::Indicator(k) | Element::Measure(k) => k,
        }
    }
}

impl Store {
    /// The revision of a part of an agreement, for its edit form; `None` if there is none.
    pub async fn revision(&self, key: &AgreementKey, element: Element<'_>) -> Result<Option<i64>> {
        let (table, column) = element.table_and_column();
        sqlx::query(&format!(
            "SELECT revision FROM {table} WHERE agreement_id = $1 AND {column} = $2"
        ))
        .bind(key.to_string())
        .bind(element.value())
        .fetch_optional(&self.pool)
        .await?
        .map(|r| r.try_get("revision"))
        .transpose()
        .map_err(Into::into)
    }

    /// The conflict of an edit of `what` whose revision is no longer the stored one.
    pub(crate) async fn changed_in_between(&self, key: &AgreementKey, what: String) -> StoreError {
        match self.agreement_stamp(key).await {
            Ok(at) => StoreError::Conflict {
                what,
                at: at.unwrap_or_default(),
            },
            Err(e) => e,
        }
    }

    /// Saves an edited goal area (same key) of an unsigned agreement, guarded by its revision.
    /// Returns the new revision.
    pub async fn update_area(
        &self,
        key: &AgreementKey,
        area: &GoalArea,
        before: &GoalArea,
        revision: i64,
    ) -> Result<i64> {
        let id = key.to_string();
        let mut tx = self.begin_write().await?;
        open_for_edit(&mut tx, &id).await?;
        let n = sqlx::query(
            "UPDATE goal_area SET title = $1, kind = $2, description = $3, revision = revision + 1
             WHERE agreement_id = $4 AND area_key = $5 AND revision = $6",
        )
        .bind(&area.title)
        .bind(area.kind.as_str())
        .bind(&area.description)
        .bind(&id)
        .bind(area.key.as_str())
        .bind(revision)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            tx.rollback().await?;
            return Err(self
                .changed_in_between(key, format!("Der Zielbereich „{}“", before.title))
                .await);
        }
        let change = Change::new("area.edit", format!("Zielbereich „{}“", area.title))
            .agreement(key)
            .before(serde_json::to_value(before).unwrap_or_default());
        self.finish_edit(tx, &id, change, serde_json::to_value(area))
            .await?;
        Ok(revision + 1)
    }

    /// Saves an edited indicator (same code) of an unsigned agreement, guarded by its revision.
    /// Returns the new revision.
    pub async fn update_indicator(
        &self,
        key: &AgreementKey,
        ind: &Indicator,
        before: &Indicator,
        revision: i64,
    ) -> Result<i64> {
        let id = key.to_string();
        let mut tx = self.begin_write().await?;
        open_for_edit(&mut tx, &id).await?;
        let (kind, num, den, base, scale, lag) = crate::agreements::formula_columns(&ind.formula);
        // Not kept prepared, for the nullable float (see `insert_indicator`).
        let n = sqlx::query(
            "UPDATE indicator SET name = $1, description = $2, unit = $3, direction = $4,
                 accumulation = $5, formula = $6, formula_numerator = $7, formula_denominator = $8,
                 formula_base = $9, formula_scale = $10, formula_lag = $11, numerator_label = $12,
                 denominator_label = $13, revision = revision + 1
             WHERE agreement_id = $14 AND code = $15 AND revision = $16",
        )
        .bind(&ind.name)
        .bind(&ind.description)
        .bind(ind.unit.as_str())
        .bind(ind.direction.as_str())
        .bind(ind.accumulation.as_str())
        .bind(kind)
        .bind(num.map(|c| c.as_str()))
        .bind(den.map(|c| c.as_str()))
        .bind(base.map(|c| c.as_str()))
        .bind(scale)
        .bind(lag)
        .bind(ind.numerator_label.as_deref())
        .bind(ind.denominator_label.as_deref())
        .bind(&id)
        .bind(ind.code.as_str())
        .bind(revision)
        .persistent(false)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            tx.rollback().await?;
            return Err(self
                .changed_in_between(key, format!("Die Kennzahl „{}“", before.name))
                .await);
        }
        let change = Change::new("indicator.edit", format!("Kennzahl „{}“", ind.name))
            .agreement(key)
            .before(serde_json::to_value(before).unwrap_or_default());
        self.finish_edit(tx, &id, change, serde_json::to_value(ind))
            .await?;
        Ok(revision + 1)
    }

    /// Removes a goal area, an indicator or a Handlungsansatz (with its links to goals) of an
    /// unsigned agreement, guarded by the revision the removal was confirmed at. `before` is what
    /// is removed, for the audit trail. An area that still holds a goal, or an indicator a goal
    /// still measures, is refused by the database's references (the application core checks
    /// first and says why).
    pub async fn remove_element(
        &self,
        key: &AgreementKey,
        element: Element<'_>,
        title: &str,
        before: serde_json::Value,
        revision: i64,
    ) -> Result<()> {
        let id = key.to_string();
        let (table, column) = element.table_and_column();
        let (action, what, label) = match element {
            Element::Goal(_) => ("goal.remove", "Das Ziel", "Ziel"),
            Element::Area(_) => ("area.remove", "Der Zielbereich", "Zielbereich"),
            Element::Indicator(_) => ("indicator.remove", "Die Kennzahl", "Kennzahl"),
            Element::Measure(_) => ("measure.remove", "Der Handlungsansatz", "Handlungsansatz"),
        };
        let mut tx = self.begin_write().await?;
        open_for_edit(&mut tx, &id).await?;
        let children: &[&str] = match element {
            Element::Goal(_) => &["measure_goal", "goal_target_month"],
            Element::Measure(_) => &["measure_goal"],
            Element::Area(_) | Element::Indicator(_) => &[],
        };
        for child in children {
            sqlx::query(&format!(
                "DELETE FROM {child} WHERE agreement_id = $1 AND {column} = $2"
            ))
            .bind(&id)
            .bind(element.value())
            .execute(&mut *tx)
            .await?;
        }
        let n = sqlx::query(&format!(
            "DELETE FROM {table} WHERE agreement_id = $1 AND {column} = $2 AND revision = $3"
        ))
        .bind(&id)
        .bind(element.value())
        .bind(revision)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            tx.rollback().await?;
            return Err(self
                .changed_in_between(key, format!("{what} „{title}“"))
                .await);
        }
        let mut change = Change::new(action, format!("{label} „{title}“"))
            .agreement(key)
            .before(before);
        if let Element::Goal(goal) = element {
            change = change.goal(Some(goal.to_owned()));
        }
        self.finish_edit(tx, &id, change, Ok(serde_json::Value::Null))
            .await
    }

    /// Adds a Handlungsansatz to an unsigned agreement, at the end of its planning document. A key
    /// taken by then is [`StoreError::Exists`]; a goal it names that is gone by then is refused
    /// by the database's references.
    pub async fn add_measure(&self, key: &AgreementKey, measure: &Measure) -> Result<()> {
        let id = key.to_string();
        let mut tx = self.begin_write().await?;
        open_for_edit(&mut tx, &id).await?;
        let row = sqlx::query(
            "SELECT COALESCE(MAX(position), -1) + 1 AS next FROM measure WHERE agreement_id = $1",
        )
        .bind(&id)
        .fetch_one(&mut *tx)
        .await?;
        let next: i64 = row.try_get("next")?;
        let taken: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM measure WHERE agreement_id = $1 AND measure_key = $2",
        )
        .bind(&id)
        .bind(measure.key.as_str())
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
        if taken > 0 {
            tx.rollback().await?;
            return Err(StoreError::Exists(format!(
                "Ein Handlungsansatz mit dem Schlüssel „{}“",
                measure.key
            )));
        }
        crate::agreements::insert_measure(
            &mut tx,
            &id,
            usize::try_from(next).unwrap_or_default(),
            measure,
        )
        .await?;
        let change = Change::new(
            "measure.add",
            format!("Handlungsansatz „{}“", measure.title),
        )
        .agreement(key);
        self.finish_edit(tx, &id, change, serde_json::to_value(measure))
            .await
    }
}
