//! Agreements: saved whole in one transaction, loaded whole.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use zielwerk_domain::{
    Accumulation, Agreement, AgreementKey, AgreementStatus, AreaKind, Direction, Formula, Goal,
    GoalArea, Indicator, IndicatorCode, Jobcenter, Measure, Origin, Party, PartyRole, Region,
    RegionId, SeriesBreak, Target, Tolerance, Unit, YearMonth,
};

use crate::audit::{Change, record};
use crate::{Result, Store, StoreError, now, parse_col};

/// A line of the agreement list.
#[derive(Debug, Clone, PartialEq)]
pub struct AgreementSummary {
    pub key: AgreementKey,
    pub jobcenter: zielwerk_domain::BaId,
    pub jobcenter_name: String,
    pub year: i32,
    pub version: u32,
    pub status: AgreementStatus,
    pub title: String,
    pub goals: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveOutcome {
    Created,
    Replaced,
    Unchanged,
}

/// Domain enums stored as their stable text token (`as_str`).
trait DbEnum: Copy + 'static {
    const ALL: &'static [Self];
    fn token(self) -> &'static str;
}

macro_rules! db_enum {
    ($($t:ty),* $(,)?) => {$(
        impl DbEnum for $t {
            const ALL: &'static [Self] = &<$t>::ALL;
            fn token(self) -> &'static str {
                self.as_str()
            }
        }
    )*};
}

db_enum!(
    AgreementStatus,
    PartyRole,
    AreaKind,
    Origin,
    Accumulation,
    Unit,
    Direction
);

/// Reads the enum in `column` of `row`; an unknown token means a corrupt database.
fn get_enum<T: DbEnum>(row: &AnyRow, table: &'static str, column: &'static str) -> Result<T> {
    let value: String = row.try_get(column)?;
    T::ALL
        .iter()
        .copied()
        .find(|v| v.token() == value)
        .ok_or(StoreError::Corrupt {
            table,
            column,
            value,
        })
}

impl Store {
    /// Saves an agreement. A draft or negotiating agreement with the same key is replaced; a
    /// signed one is never overwritten (unless the new content is identical, which is a no-op).
    pub async fn save_agreement(&self, agreement: &Agreement) -> Result<SaveOutcome> {
        let key = agreement.key();
        let id = key.to_string();
        let existing = self.agreement(&key).await?;
        if let Some(existing) = &existing {
            if existing == agreement {
                return Ok(SaveOutcome::Unchanged);
            }
            if existing.status == AgreementStatus::Signed {
                return Err(StoreError::SignedAgreement(id));
            }
        }
        let mut tx = self.begin_write().await?;
        let jc = &agreement.jobcenter;
        sqlx::query(
            "INSERT INTO jobcenter (ba_id, name, ags, vergleichstyp) VALUES ($1, $2, $3, $4)
             ON CONFLICT (ba_id) DO UPDATE SET name = excluded.name, ags = excluded.ags,
                 vergleichstyp = excluded.vergleichstyp",
        )
        .bind(jc.ba_id.as_str())
        .bind(&jc.name)
        .bind(jc.ags.as_str())
        .bind(jc.vergleichstyp.as_deref())
        .execute(&mut *tx)
        .await?;
        // The Jobcenter as a region: in the Land of its AGS, covering the Kreis of its AGS.
        let land = jc.ags.as_str().get(..2).unwrap_or_default();
        sqlx::query(
            "INSERT INTO region (id, kind, name, parent_id)
             VALUES ($1, 'jobcenter', $2, (SELECT id FROM region WHERE kind = 'land' AND id = $3))
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, parent_id = excluded.parent_id",
        )
        .bind(jc.ba_id.as_str())
        .bind(&jc.name)
        .bind(land)
        .execute(&mut *tx)
        .await?;
        if let Some(kreis) = jc.ags.as_str().get(..5) {
            sqlx::query(
                "INSERT INTO region_coverage (jobcenter_id, kreis_id)
                 SELECT $1, id FROM region WHERE kind = 'kreis' AND id = $2
                 ON CONFLICT (jobcenter_id, kreis_id) DO NOTHING",
            )
            .bind(jc.ba_id.as_str())
            .bind(kreis)
            .execute(&mut *tx)
            .await?;
        }

        let deleted = sqlx::query("DELETE FROM agreement WHERE id = $1")
            .bind(&id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let ts = now();
        sqlx::query(
            "INSERT INTO agreement (id, jobcenter_id, year, version, status, title, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(jc.ba_id.as_str())
        .bind(i64::from(agreement.year))
        .bind(i64::from(agreement.version))
        .bind(agreement.status.as_str())
        .bind(&agreement.title)
        .bind(&ts)
        .bind(&ts)
        .execute(&mut *tx)
        .await?;
        insert_children(&mut tx, &id, agreement).await?;
        let mut change = Change::new("agreement.save", format!("Vereinbarung {id}"))
            .agreement(&key)
            .after(serde_json::to_value(agreement).unwrap_or_default());
        if let Some(existing) = existing {
            change = change.before(serde_json::to_value(existing).unwrap_or_default());
        }
        record(&mut tx, &self.actor, change).await?;
        tx.commit().await?;
        Ok(if deleted > 0 {
            SaveOutcome::Replaced
        } else {
            SaveOutcome::Created
        })
    }

    /// Deletes one agreement with everything it holds. Values stay: they belong to the Jobcenter,
    /// not to an agreement. Returns whether there was one.
    pub async fn delete_agreement(&self, key: &AgreementKey) -> Result<bool> {
        let Some(existing) = self.agreement(key).await? else {
            return Ok(false);
        };
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("DELETE FROM agreement WHERE id = $1")
            .bind(key.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let change = Change::new("agreement.delete", format!("Vereinbarung {key}"))
            .agreement(key)
            .before(serde_json::to_value(existing).unwrap_or_default());
        record(&mut tx, &self.actor, change).await?;
        tx.commit().await?;
        Ok(n > 0)
    }

    /// All agreements, newest year first.
    pub async fn agreements(&self) -> Result<Vec<AgreementSummary>> {
        let rows = sqlx::query(
            "SELECT a.id, a.jobcenter_id, j.name AS jobcenter_name, a.year, a.version, a.status, a.title,
                    (SELECT COUNT(*) FROM goal g WHERE g.agreement_id = a.id) AS goals
             FROM agreement a JOIN jobcenter j ON j.ba_id = a.jobcenter_id
             ORDER BY a.year DESC, j.name, a.version DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(AgreementSummary {
                    key: crate::parse_col("agreement", "id", r.try_get("id")?)?,
                    jobcenter: crate::parse_col(
                        "agreement",
                        "jobcenter_id",
                        r.try_get("jobcenter_id")?,
                    )?,
                    jobcenter_name: r.try_get("jobcenter_name")?,
                    year: r.try_get::<i64, _>("year")? as i32,
                    version: r.try_get::<i64, _>("version")? as u32,
                    status: get_enum(&r, "agreement", "status")?,
                    title: r.try_get("title")?,
                    goals: r.try_get("goals")?,
                })
            })
            .collect()
    }

    /// Every region: the register (Bund, Länder, Kreise) and the Jobcenter, each with its
    /// parent and, for a Jobcenter, the Kreise it covers; ordered by id.
    pub async fn regions(&self) -> Result<Vec<Region>> {
        let mut covers: BTreeMap<String, Vec<RegionId>> = BTreeMap::new();
        for r in sqlx::query("SELECT jobcenter_id, kreis_id FROM region_coverage ORDER BY kreis_id")
            .fetch_all(&self.pool)
            .await?
        {
            covers
                .entry(r.try_get("jobcenter_id")?)
                .or_default()
                .push(parse_col(
                    "region_coverage",
                    "kreis_id",
                    r.try_get("kreis_id")?,
                )?);
        }
        sqlx::query("SELECT id, kind, name, parent_id FROM region ORDER BY id")
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                let kind: String = r.try_get("kind")?;
                let region = Region {
                    id: parse_col("region", "id", id.clone())?,
                    name: r.try_get("name")?,
                    parent: r
                        .try_get::<Option<String>, _>("parent_id")?
                        .map(|p| parse_col("region", "parent_id", p))
                        .transpose()?,
                    covers: covers.remove(&id).unwrap_or_default(),
                };
                if region.kind().as_str() != kind {
                    return Err(StoreError::Corrupt {
                        table: "region",
                        column: "kind",
                        value: kind,
                    });
                }
                Ok(region)
            })
            .collect()
    }

    /// What an import may refer to, in two statements whatever the number of agreements: the
    /// regions (the register and every Jobcenter that has an agreement), and every agreement's indicators (newest agreement
    /// first, in the order of [`Store::agreements`], so that the first definition of a code is
    /// the newest).
    pub async fn import_catalog(&self) -> Result<(Vec<RegionId>, Vec<Indicator>)> {
        let regions = sqlx::query("SELECT id FROM region")
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| parse_col("region", "id", r.try_get("id")?))
            .collect::<Result<Vec<_>>>()?;
        let indicators = sqlx::query(
            "SELECT i.code, i.name, i.description, i.unit, i.direction, i.accumulation, i.formula,
                    i.formula_numerator, i.formula_denominator, i.formula_base, i.formula_scale,
                    i.formula_lag, i.numerator_label, i.denominator_label, i.comparison
             FROM indicator i
             JOIN agreement a ON a.id = i.agreement_id
             JOIN jobcenter j ON j.ba_id = a.jobcenter_id
             ORDER BY a.year DESC, j.name, a.version DESC, i.position",
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| indicator_from_row(&r))
        .collect::<Result<Vec<_>>>()?;
        Ok((regions, indicators))
    }

    /// Loads one agreement whole, or `None` if there is none with that key.
    pub async fn agreement(&self, key: &AgreementKey) -> Result<Option<Agreement>> {
        let id = key.to_string();
        let Some(head) = sqlx::query(
            "SELECT a.year, a.version, a.status, a.title, j.ba_id, j.name, j.ags, j.vergleichstyp
             FROM agreement a JOIN jobcenter j ON j.ba_id = a.jobcenter_id WHERE a.id = $1",
        )
        .bind(&id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let jobcenter = Jobcenter {
            ba_id: parse_col("jobcenter", "ba_id", head.try_get("ba_id")?)?,
            name: head.try_get("name")?,
            ags: parse_col("jobcenter", "ags", head.try_get("ags")?)?,
            vergleichstyp: head.try_get("vergleichstyp")?,
        };

        let parties = sqlx::query(
            "SELECT role, name, signatory, signed_on FROM party WHERE agreement_id = $1 ORDER BY position",
        )
        .bind(&id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| {
            Ok(Party {
                role: get_enum(&r, "party", "role")?,
                name: r.try_get("name")?,
                signatory: r.try_get("signatory")?,
                signed_on: opt_date("party", "signed_on", r.try_get("signed_on")?)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;

        let areas = sqlx::query(
            "SELECT area_key, title, kind, description FROM goal_area WHERE agreement_id = $1 ORDER BY position",
        )
        .bind(&id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| {
            Ok(GoalArea {
                key: parse_col("goal_area", "area_key", r.try_get("area_key")?)?,
                title: r.try_get("title")?,
                kind: get_enum(&r, "goal_area", "kind")?,
                description: r.try_get("description")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;

        let indicators = sqlx::query(
            "SELECT code, name, description, unit, direction, accumulation, formula, formula_numerator,
                    formula_denominator, formula_base, formula_scale, formula_lag, numerator_label,
                    denominator_label, comparison
             FROM indicator WHERE agreement_id = $1 ORDER BY position",
        )
        .bind(&id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| indicator_from_row(&r))
        .collect::<Result<Vec<_>>>()?;

        let mut months: BTreeMap<String, BTreeMap<YearMonth, f64>> = BTreeMap::new();
        for r in sqlx::query(
            "SELECT goal_key, month, value FROM goal_target_month WHERE agreement_id = $1",
        )
        .bind(&id)
        .fetch_all(&self.pool)
        .await?
        {
            months.entry(r.try_get("goal_key")?).or_default().insert(
                parse_col("goal_target_month", "month", r.try_get("month")?)?,
                r.try_get("value")?,
            );
        }

        let goals = sqlx::query(
            "SELECT goal_key, area_key, title, description, responsible, origin, indicator_code,
                    target_kind, target_value, target_due, tolerance_kind, tolerance_value
             FROM goal WHERE agreement_id = $1 ORDER BY position",
        )
        .bind(&id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| goal_from_row(&r, &mut months))
        .collect::<Result<Vec<_>>>()?;

        let mut links: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
        for r in sqlx::query(
            "SELECT measure_key, goal_key, position FROM measure_goal WHERE agreement_id = $1",
        )
        .bind(&id)
        .fetch_all(&self.pool)
        .await?
        {
            links
                .entry(r.try_get("measure_key")?)
                .or_default()
                .push((r.try_get("position")?, r.try_get("goal_key")?));
        }
        let measures = sqlx::query(
            "SELECT measure_key, title, description, expected_effect, responsible, start_month, end_month
             FROM measure WHERE agreement_id = $1 ORDER BY position",
        )
        .bind(&id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| {
            let key: String = r.try_get("measure_key")?;
            let mut goals = links.remove(&key).unwrap_or_default();
            goals.sort();
            Ok(Measure {
                key: parse_col("measure", "measure_key", key)?,
                title: r.try_get("title")?,
                description: r.try_get("description")?,
                expected_effect: r.try_get("expected_effect")?,
                responsible: get_enum(&r, "measure", "responsible")?,
                start: parse_col("measure", "start_month", r.try_get("start_month")?)?,
                end: r
                    .try_get::<Option<String>, _>("end_month")?
                    .map(|m| parse_col("measure", "end_month", m))
                    .transpose()?,
                goals: goals
                    .into_iter()
                    .map(|(_, g)| parse_col("measure_goal", "goal_key", g))
                    .collect::<Result<_>>()?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let breaks = sqlx::query(
            "SELECT indicator, month, reason FROM series_break WHERE agreement_id = $1 ORDER BY position",
        )
        .bind(&id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| {
            Ok(SeriesBreak {
                indicator: parse_col("series_break", "indicator", r.try_get("indicator")?)?,
                month: parse_col("series_break", "month", r.try_get("month")?)?,
                reason: r.try_get("reason")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;

        Ok(Some(Agreement {
            jobcenter,
            year: head.try_get::<i64, _>("year")? as i32,
            version: head.try_get::<i64, _>("version")? as u32,
            status: get_enum(&head, "agreement", "status")?,
            title: head.try_get("title")?,
            parties,
            areas,
            indicators,
            goals,
            measures,
            breaks,
        }))
    }
}

fn opt_date(
    table: &'static str,
    column: &'static str,
    v: Option<String>,
) -> Result<Option<NaiveDate>> {
    v.map(|s| parse_col(table, column, s)).transpose()
}

fn indicator_from_row(r: &AnyRow) -> Result<Indicator> {
    let code = |col: &'static str| -> Result<Option<IndicatorCode>> {
        r.try_get::<Option<String>, _>(col)?
            .map(|v| parse_col("indicator", col, v))
            .transpose()
    };
    let required = |col: &'static str| -> Result<IndicatorCode> {
        code(col)?.ok_or(StoreError::Corrupt {
            table: "indicator",
            column: col,
            value: String::new(),
        })
    };
    let scale: Option<f64> = r.try_get("formula_scale")?;
    let kind: String = r.try_get("formula")?;
    let formula = match kind.as_str() {
        "stored" => Formula::Stored,
        "stored_ratio" => Formula::StoredRatio {
            scale: scale.unwrap_or(1.0),
        },
        "ratio" => Formula::Ratio {
            numerator: required("formula_numerator")?,
            denominator: required("formula_denominator")?,
            scale: scale.unwrap_or(1.0),
        },
        "year_over_year" => Formula::YearOverYear {
            base: required("formula_base")?,
        },
        "rolling_rate" => Formula::RollingRate {
            numerator: required("formula_numerator")?,
            denominator: required("formula_denominator")?,
            lag: r
                .try_get::<Option<i64>, _>("formula_lag")?
                .and_then(|l| u8::try_from(l).ok())
                .ok_or(StoreError::Corrupt {
                    table: "indicator",
                    column: "formula_lag",
                    value: String::new(),
                })?,
        },
        "change" => Formula::Change {
            base: required("formula_base")?,
            periods: r
                .try_get::<Option<i64>, _>("formula_lag")?
                .and_then(|l| u16::try_from(l).ok())
                .ok_or(StoreError::Corrupt {
                    table: "indicator",
                    column: "formula_lag",
                    value: String::new(),
                })?,
            // The scale column holds 100 for a change in percent.
            percent: scale.is_some_and(|s| s == 100.0),
        },
        "product" => Formula::Product {
            quantity: required("formula_numerator")?,
            price: required("formula_denominator")?,
        },
        "rolling12" => Formula::Rolling12 {
            numerator: required("formula_numerator")?,
            denominator: required("formula_denominator")?,
        },
        _ => {
            return Err(StoreError::Corrupt {
                table: "indicator",
                column: "formula",
                value: kind,
            });
        }
    };
    Ok(Indicator {
        code: required("code")?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        unit: get_enum(r, "indicator", "unit")?,
        direction: get_enum(r, "indicator", "direction")?,
        accumulation: get_enum(r, "indicator", "accumulation")?,
        formula,
        numerator_label: r.try_get("numerator_label")?,
        denominator_label: r.try_get("denominator_label")?,
        comparison: r
            .try_get::<Option<String>, _>("comparison")?
            .map(|c| parse_col("indicator", "comparison", c))
            .transpose()?,
    })
}

fn goal_from_row(
    r: &AnyRow,
    months: &mut BTreeMap<String, BTreeMap<YearMonth, f64>>,
) -> Result<Goal> {
    let key: String = r.try_get("goal_key")?;
    let target_kind: String = r.try_get("target_kind")?;
    let target_value: Option<f64> = r.try_get("target_value")?;
    let corrupt = |column, value: String| StoreError::Corrupt {
        table: "goal",
        column,
        value,
    };
    let target = match target_kind.as_str() {
        "annual" => Target::Annual {
            value: target_value.ok_or_else(|| corrupt("target_value", String::new()))?,
        },
        "monthly" => Target::Monthly {
            values: months.remove(&key).unwrap_or_default(),
        },
        "milestone" => Target::Milestone {
            due: opt_date("goal", "target_due", r.try_get("target_due")?)?
                .ok_or_else(|| corrupt("target_due", String::new()))?,
        },
        _ => return Err(corrupt("target_kind", target_kind)),
    };
    let tolerance_kind: String = r.try_get("tolerance_kind")?;
    let tv: f64 = r.try_get("tolerance_value")?;
    let tolerance = match tolerance_kind.as_str() {
        "absolute" => Tolerance::Absolute { value: tv },
        "relative" => Tolerance::Relative { percent: tv },
        "days" => Tolerance::Days { days: tv as u32 },
        _ => return Err(corrupt("tolerance_kind", tolerance_kind)),
    };
    Ok(Goal {
        key: parse_col("goal", "goal_key", key)?,
        area: parse_col("goal", "area_key", r.try_get("area_key")?)?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        responsible: get_enum(r, "goal", "responsible")?,
        origin: get_enum(r, "goal", "origin")?,
        indicator: parse_col("goal", "indicator_code", r.try_get("indicator_code")?)?,
        target,
        tolerance,
    })
}

/// A target as the columns `target_kind`, `target_value`, `target_due` (monthly values are rows of
/// `goal_target_month`).
pub(crate) fn target_columns(t: &Target) -> (&'static str, Option<f64>, Option<String>) {
    match t {
        Target::Annual { value } => ("annual", Some(*value), None),
        Target::Monthly { .. } => ("monthly", None, None),
        Target::Milestone { due } => ("milestone", None, Some(due.to_string())),
    }
}

/// A tolerance as the columns `tolerance_kind`, `tolerance_value`.
pub(crate) fn tolerance_columns(t: &Tolerance) -> (&'static str, f64) {
    match *t {
        Tolerance::Absolute { value } => ("absolute", value),
        Tolerance::Relative { percent } => ("relative", percent),
        Tolerance::Days { days } => ("days", f64::from(days)),
    }
}

pub(crate) async fn insert_area(
    tx: &mut Transaction<'_, Any>,
    id: &str,
    pos: usize,
    area: &GoalArea,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO goal_area (agreement_id, area_key, position, title, kind, description)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(area.key.as_str())
    .bind(pos as i64)
    .bind(&area.title)
    .bind(area.kind.as_str())
    .bind(&area.description)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The formula columns of an indicator row: kind, numerator, denominator, base, scale, lag.
pub(crate) type FormulaColumns<'a> = (
    &'static str,
    Option<&'a IndicatorCode>,
    Option<&'a IndicatorCode>,
    Option<&'a IndicatorCode>,
    Option<f64>,
    Option<i64>,
);

pub(crate) fn formula_columns(formula: &Formula) -> FormulaColumns<'_> {
    let (kind, num, den, base, scale) = match formula {
        Formula::Stored => ("stored", None, None, None, None),
        Formula::StoredRatio { scale } => ("stored_ratio", None, None, None, Some(*scale)),
        Formula::Ratio {
            numerator,
            denominator,
            scale,
        } => (
            "ratio",
            Some(numerator),
            Some(denominator),
            None,
            Some(*scale),
        ),
        Formula::YearOverYear { base } => ("year_over_year", None, None, Some(base), None),
        Formula::Change { base, percent, .. } => {
            ("change", None, None, Some(base), percent.then_some(100.0))
        }
        // The quantity in the numerator column, the price in the denominator column.
        Formula::Product { quantity, price } => {
            ("product", Some(quantity), Some(price), None, None)
        }
        Formula::Rolling12 {
            numerator,
            denominator,
        } => ("rolling12", Some(numerator), Some(denominator), None, None),
        Formula::RollingRate {
            numerator,
            denominator,
            ..
        } => (
            "rolling_rate",
            Some(numerator),
            Some(denominator),
            None,
            None,
        ),
    };
    let lag = match *formula {
        Formula::RollingRate { lag, .. } => Some(i64::from(lag)),
        Formula::Change { periods, .. } => Some(i64::from(periods)),
        _ => None,
    };
    (kind, num, den, base, scale, lag)
}

pub(crate) async fn insert_indicator(
    tx: &mut Transaction<'_, Any>,
    id: &str,
    pos: usize,
    ind: &Indicator,
) -> Result<()> {
    let (kind, num, den, base, scale, lag) = formula_columns(&ind.formula);
    // Statements that bind a nullable float are not kept prepared: sqlx 0.8's Any driver types a
    // NULL f64 as float4 for PostgreSQL, and a statement prepared with that type would refuse
    // the next non-NULL f64.
    sqlx::query(
        "INSERT INTO indicator (agreement_id, code, position, name, description, unit, direction,
             accumulation, formula, formula_numerator, formula_denominator, formula_base,
             formula_scale, formula_lag, numerator_label, denominator_label, comparison)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(id)
    .bind(ind.code.as_str())
    .bind(pos as i64)
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
    .bind(ind.comparison.as_ref().map(|c| c.as_str()))
    .persistent(false)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(crate) async fn insert_goal(
    tx: &mut Transaction<'_, Any>,
    id: &str,
    pos: usize,
    g: &Goal,
) -> Result<()> {
    let (kind, value, due) = target_columns(&g.target);
    let (tol_kind, tol_value) = tolerance_columns(&g.tolerance);
    sqlx::query(
        "INSERT INTO goal (agreement_id, goal_key, position, area_key, title, description, responsible,
             origin, indicator_code, target_kind, target_value, target_due, tolerance_kind, tolerance_value)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(id)
    .bind(g.key.as_str())
    .bind(pos as i64)
    .bind(g.area.as_str())
    .bind(&g.title)
    .bind(&g.description)
    .bind(g.responsible.as_str())
    .bind(g.origin.as_str())
    .bind(g.indicator.as_str())
    .bind(kind)
    .bind(value)
    .bind(due)
    .bind(tol_kind)
    .bind(tol_value)
    .persistent(false)
    .execute(&mut **tx)
    .await?;
    if let Target::Monthly { values } = &g.target {
        for (month, value) in values {
            sqlx::query(
                "INSERT INTO goal_target_month (agreement_id, goal_key, month, value) VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(g.key.as_str())
            .bind(month.to_string())
            .bind(*value)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}

pub(crate) async fn insert_children(
    tx: &mut Transaction<'_, Any>,
    id: &str,
    a: &Agreement,
) -> Result<()> {
    for (pos, p) in a.parties.iter().enumerate() {
        sqlx::query(
            "INSERT INTO party (agreement_id, role, position, name, signatory, signed_on)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(p.role.as_str())
        .bind(pos as i64)
        .bind(&p.name)
        .bind(&p.signatory)
        .bind(p.signed_on.map(|d| d.to_string()))
        .execute(&mut **tx)
        .await?;
    }
    for (pos, area) in a.areas.iter().enumerate() {
        insert_area(tx, id, pos, area).await?;
    }
    for (pos, ind) in a.indicators.iter().enumerate() {
        insert_indicator(tx, id, pos, ind).await?;
    }
    for (pos, g) in a.goals.iter().enumerate() {
        insert_goal(tx, id, pos, g).await?;
    }
    for (pos, m) in a.measures.iter().enumerate() {
        insert_measure(tx, id, pos, m).await?;
    }
    for (pos, b) in a.breaks.iter().enumerate() {
        sqlx::query(
            "INSERT INTO series_break (agreement_id, indicator, month, position, reason) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(b.indicator.as_str())
        .bind(b.month.to_string())
        .bind(pos as i64)
        .bind(&b.reason)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

pub(crate) async fn insert_measure(
    tx: &mut Transaction<'_, Any>,
    id: &str,
    pos: usize,
    m: &Measure,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO measure (agreement_id, measure_key, position, title, description, expected_effect,
             responsible, start_month, end_month)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(m.key.as_str())
    .bind(pos as i64)
    .bind(&m.title)
    .bind(&m.description)
    .bind(&m.expected_effect)
    .bind(m.responsible.as_str())
    .bind(m.start.to_string())
    .bind(m.end.map(|e| e.to_string()))
    .execute(&mut **tx)
    .await?;
    insert_measure_goals(tx, id, m).await
}

/// The links of a Handlungsansatz to its goals, in order.
pub(crate) async fn insert_measure_goals(
    tx: &mut Transaction<'_, Any>,
    id: &str,
    m: &Measure,
) -> Result<()> {
    for (pos, goal) in m.goals.iter().enumerate() {
        sqlx::query(
            "INSERT INTO measure_goal (agreement_id, measure_key, goal_key, position) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(m.key.as_str())
        .bind(goal.as_str())
        .bind(pos as i64)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
