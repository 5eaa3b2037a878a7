//! Reported values with their revisions and sources.

use sqlx::Row;
use zielwerk_domain::{
    BaId, Breakdown, IndicatorCode, Observation, Source, SourceKind, ValueStatus,
};

use crate::audit::{Change, record};
use crate::{Result, Store, StoreError, now, parse_col};

pub use zielwerk_domain::CurrentValue;

/// What recording a batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordOutcome {
    /// Values for keys that had none.
    pub inserted: u64,
    /// Values that replaced a current value as a newer revision (the old one stays as history).
    pub revised: u64,
    /// Values identical to the current ones: nothing to do.
    pub unchanged: u64,
    /// Values with an older Datenstand than the current one: kept as history, not current.
    pub older: u64,
}

fn same(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => x == y || (x - y).abs() <= 1e-9 * x.abs().max(y.abs()),
        (None, None) => true,
        _ => false,
    }
}

impl Store {
    /// Records a batch of values from one source in one transaction.
    ///
    /// Per key (Jobcenter, indicator, month): a value equal to the current one changes nothing
    /// (so re-recording the same batch is idempotent); a value with the same or a newer
    /// Datenstand becomes current and the previous one stays as history; a value with an older
    /// Datenstand is kept as history only.
    pub async fn record_observations(
        &self,
        source: &Source,
        observations: &[Observation],
    ) -> Result<RecordOutcome> {
        let mut recording = self.begin_recording(source.clone()).await?;
        recording.add(observations).await?;
        recording.commit().await
    }

    /// Starts recording values from `source` in one transaction, for inputs that arrive in
    /// chunks (a streamed file). Nothing is visible to others until [`Recording::commit`];
    /// dropping the recording or [`Recording::rollback`] leaves the database as it was.
    pub async fn begin_recording(&self, source: Source) -> Result<Recording> {
        Ok(Recording {
            tx: self.begin_write().await?,
            source,
            source_id: uuid::Uuid::now_v7().to_string(),
            ts: now(),
            source_used: false,
            outcome: RecordOutcome::default(),
            actor: self.actor.clone(),
            changes: Default::default(),
            known_jobcenters: Default::default(),
        })
    }

    /// The current totals of the given indicators for one Jobcenter, ordered by indicator and
    /// month.
    pub async fn current_values(
        &self,
        jobcenter: &BaId,
        indicators: &[&IndicatorCode],
    ) -> Result<Vec<CurrentValue>> {
        self.current(jobcenter, indicators, false).await
    }

    /// The current values of the breakdowns (e.g. by household size) of the given indicators.
    pub async fn breakdown_values(
        &self,
        jobcenter: &BaId,
        indicators: &[&IndicatorCode],
    ) -> Result<Vec<CurrentValue>> {
        self.current(jobcenter, indicators, true).await
    }

    async fn current(
        &self,
        jobcenter: &BaId,
        indicators: &[&IndicatorCode],
        breakdowns: bool,
    ) -> Result<Vec<CurrentValue>> {
        let condition = if breakdowns {
            "o.is_current = 1 AND o.breakdown <> ''"
        } else {
            "o.is_current = 1 AND o.breakdown = ''"
        };
        self.values_where(
            jobcenter,
            indicators,
            condition,
            "o.indicator_code, o.month, o.breakdown",
        )
        .await
    }

    /// Earlier revisions (no longer current) of the given indicators' totals for one Jobcenter,
    /// newest month first: what a later import replaced.
    pub async fn superseded_values(
        &self,
        jobcenter: &BaId,
        indicators: &[&IndicatorCode],
    ) -> Result<Vec<CurrentValue>> {
        self.values_where(
            jobcenter,
            indicators,
            "o.is_current = 0 AND o.breakdown = ''",
            "o.month DESC, o.indicator_code, o.datenstand DESC",
        )
        .await
    }

    /// Values of the given indicators for one Jobcenter under a fixed `condition` and `order`
    /// (constants of this module, never user input).
    async fn values_where(
        &self,
        jobcenter: &BaId,
        indicators: &[&IndicatorCode],
        condition: &str,
        order: &str,
    ) -> Result<Vec<CurrentValue>> {
        if indicators.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (0..indicators.len())
            .map(|i| format!("${}", i + 2))
            .collect();
        let sql = format!(
            "{SELECT_VALUES}
             WHERE o.jobcenter_id = $1 AND {condition} AND o.indicator_code IN ({})
             ORDER BY {order}",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(jobcenter.as_str());
        for code in indicators {
            query = query.bind(code.as_str());
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| current_value_from_row(jobcenter, r))
            .collect()
    }

    /// The keys whose current value is final (Jobcenter, indicator, month, breakdown key): an
    /// import must not replace them with projections.
    pub async fn final_keys(&self) -> Result<Vec<(String, String, String, String)>> {
        sqlx::query(
            "SELECT jobcenter_id, indicator_code, month, breakdown FROM observation
             WHERE is_current = 1 AND status = 'final'",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get("jobcenter_id")?,
                r.try_get("indicator_code")?,
                r.try_get("month")?,
                r.try_get("breakdown")?,
            ))
        })
        .collect()
    }

    /// Number of observation rows (all revisions) — for tests and the status line.
    pub async fn observation_count(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM observation")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }
}

/// Values being recorded in one transaction (see [`Store::begin_recording`]).
pub struct Recording {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    source: Source,
    source_id: String,
    ts: String,
    source_used: bool,
    outcome: RecordOutcome,
    known_jobcenters: std::collections::HashSet<String>,
    actor: std::sync::Arc<str>,
    /// Per Jobcenter and indicator: what changed, for the audit trail.
    changes: std::collections::BTreeMap<(String, String), SeriesChange>,
}

/// The changes of one series in one recording.
#[derive(Debug, Default)]
struct SeriesChange {
    inserted: u64,
    older: u64,
    months: std::collections::BTreeSet<String>,
    revised: Vec<Revision>,
}

/// Month, value before, value after (the value, or the numerator for ratios).
type Revision = (String, Option<f64>, Option<f64>);

impl Recording {
    /// Records a chunk; see [`Store::record_observations`] for the rules per value.
    pub async fn add(&mut self, observations: &[Observation]) -> Result<()> {
        for obs in observations {
            // The last line of defence: readers refuse these with a message of their own.
            if [obs.value, obs.numerator, obs.denominator]
                .iter()
                .flatten()
                .any(|v| !v.is_finite())
            {
                return Err(StoreError::NotFinite(format!(
                    "{} {} ({})",
                    obs.indicator,
                    obs.month.german_long(),
                    obs.jobcenter
                )));
            }
            if !self.known_jobcenters.contains(obs.jobcenter.as_str()) {
                let known: Option<String> =
                    sqlx::query("SELECT ba_id FROM jobcenter WHERE ba_id = $1")
                        .bind(obs.jobcenter.as_str())
                        .fetch_optional(&mut *self.tx)
                        .await?
                        .map(|r| r.try_get("ba_id"))
                        .transpose()?;
                if known.is_none() {
                    return Err(StoreError::UnknownJobcenter(obs.jobcenter.to_string()));
                }
                self.known_jobcenters.insert(obs.jobcenter.to_string());
            }
            let breakdown = obs.breakdown.as_ref().map(|b| b.key()).unwrap_or_default();
            let current = sqlx::query(
                "SELECT id, value, numerator, denominator, status, datenstand FROM observation
                 WHERE jobcenter_id = $1 AND indicator_code = $2 AND month = $3 AND breakdown = $4
                   AND is_current = 1",
            )
            .bind(obs.jobcenter.as_str())
            .bind(obs.indicator.as_str())
            .bind(obs.month.to_string())
            .bind(&breakdown)
            .fetch_optional(&mut *self.tx)
            .await?;
            let datenstand = obs.datenstand.to_string();
            let change = self
                .changes
                .entry((obs.jobcenter.to_string(), obs.indicator.to_string()))
                .or_default();
            let becomes_current = match &current {
                None => {
                    self.outcome.inserted += 1;
                    change.inserted += 1;
                    true
                }
                Some(row) => {
                    let cur_datenstand: String = row.try_get("datenstand")?;
                    let cur_status: String = row.try_get("status")?;
                    if same(row.try_get("value")?, obs.value)
                        && same(row.try_get("numerator")?, obs.numerator)
                        && same(row.try_get("denominator")?, obs.denominator)
                        && cur_status == obs.status.as_str()
                    {
                        self.outcome.unchanged += 1;
                        continue;
                    }
                    if datenstand >= cur_datenstand {
                        let id: String = row.try_get("id")?;
                        sqlx::query("UPDATE observation SET is_current = 0 WHERE id = $1")
                            .bind(id)
                            .execute(&mut *self.tx)
                            .await?;
                        self.outcome.revised += 1;
                        let before: Option<f64> = row.try_get("value")?;
                        let before_numerator: Option<f64> = row.try_get("numerator")?;
                        change.revised.push((
                            obs.month.to_string(),
                            before.or(before_numerator),
                            obs.value.or(obs.numerator),
                        ));
                        true
                    } else {
                        self.outcome.older += 1;
                        change.older += 1;
                        false
                    }
                }
            };
            change.months.insert(obs.month.to_string());
            if !self.source_used {
                sqlx::query(
                    "INSERT INTO source (id, kind, label, detail, file_name, sha256, recorded_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&self.source_id)
                .bind(self.source.kind.as_str())
                .bind(&self.source.label)
                .bind(&self.source.detail)
                .bind(self.source.file_name.as_deref())
                .bind(self.source.sha256.as_deref())
                .bind(&self.ts)
                .execute(&mut *self.tx)
                .await?;
                self.source_used = true;
            }
            // The usual shapes (a value, or numerator and denominator) bind no NULL float and so
            // can stay prepared; anything else is not kept prepared (see the note on nullable
            // floats in agreements.rs).
            let (sql, nulls_bound) = match (obs.value, obs.numerator, obs.denominator) {
                (Some(_), None, None) => (INSERT_VALUE, false),
                (None, Some(_), Some(_)) => (INSERT_RATIO, false),
                _ => (INSERT_ANY, true),
            };
            let mut query = sqlx::query(sql)
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(obs.jobcenter.as_str())
                .bind(obs.indicator.as_str())
                .bind(obs.month.to_string())
                .bind(&breakdown)
                .bind(obs.status.as_str())
                .bind(&datenstand)
                .bind(&self.source_id)
                .bind(&self.ts)
                .bind(i64::from(becomes_current));
            query = match (obs.value, obs.numerator, obs.denominator) {
                (Some(v), None, None) => query.bind(v),
                (None, Some(n), Some(d)) => query.bind(n).bind(d),
                (v, n, d) => query.bind(v).bind(n).bind(d),
            };
            query
                .persistent(!nulls_bound)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    /// What has been recorded so far.
    pub fn outcome(&self) -> RecordOutcome {
        self.outcome
    }

    /// The id of the source row (the import id), once anything was recorded.
    pub fn import_id(&self) -> Option<&str> {
        self.source_used.then_some(self.source_id.as_str())
    }

    /// Sets the file's SHA-256, known only once the whole file has been read.
    pub fn set_sha256(&mut self, sha256: String) {
        self.source.sha256 = Some(sha256);
    }

    /// Makes everything recorded visible at once.
    pub async fn commit(mut self) -> Result<RecordOutcome> {
        if self.source_used {
            // The source row was written with the first change; complete it.
            sqlx::query("UPDATE source SET sha256 = $1 WHERE id = $2")
                .bind(self.source.sha256.as_deref())
                .bind(&self.source_id)
                .execute(&mut *self.tx)
                .await?;
            for ((jobcenter, indicator), c) in std::mem::take(&mut self.changes) {
                if c.inserted == 0 && c.older == 0 && c.revised.is_empty() {
                    continue;
                }
                let months = match (c.months.first(), c.months.last()) {
                    (Some(a), Some(b)) => {
                        let german = |m: &String| {
                            m.parse::<zielwerk_domain::YearMonth>()
                                .map(|m| m.german_long())
                                .unwrap_or_else(|_| m.clone())
                        };
                        format!("{} bis {}", german(a), german(b))
                    }
                    _ => String::new(),
                };
                let revised = |pick: fn(&Revision) -> Option<f64>| {
                    c.revised
                        .iter()
                        .map(|r| serde_json::json!({"monat": r.0, "wert": pick(r)}))
                        .collect::<Vec<_>>()
                };
                let change = Change {
                    jobcenter: Some(jobcenter),
                    indicator: Some(indicator.clone()),
                    ..Change::new(
                        "values.import",
                        format!("Werte {indicator} ({months}) aus „{}“", self.source.label),
                    )
                }
                .before(serde_json::json!({"revidiert": revised(|r| r.1)}))
                .after(serde_json::json!({
                    "quelle": self.source.label,
                    "datei": self.source.file_name,
                    "sha256": self.source.sha256,
                    "neu": c.inserted,
                    "revidiert": revised(|r| r.2),
                    "aelterer_datenstand": c.older,
                }));
                record(&mut self.tx, &self.actor, change).await?;
            }
        }
        self.tx.commit().await?;
        Ok(self.outcome)
    }

    /// Throws everything recorded away.
    pub async fn rollback(self) -> Result<()> {
        self.tx.rollback().await?;
        Ok(())
    }
}

const INSERT_VALUE: &str = "INSERT INTO observation (id, jobcenter_id, indicator_code, month,
        breakdown, status, datenstand, source_id, recorded_at, is_current, value)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
const INSERT_RATIO: &str = "INSERT INTO observation (id, jobcenter_id, indicator_code, month,
        breakdown, status, datenstand, source_id, recorded_at, is_current, numerator, denominator)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
const INSERT_ANY: &str = "INSERT INTO observation (id, jobcenter_id, indicator_code, month,
        breakdown, status, datenstand, source_id, recorded_at, is_current, value, numerator,
        denominator)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";

/// The columns [`current_value_from_row`] reads.
const SELECT_VALUES: &str = "SELECT o.indicator_code, o.month, o.breakdown, o.value, o.numerator,
        o.denominator, o.status, o.datenstand, s.kind AS source_kind, s.label AS source_label
     FROM observation o JOIN source s ON s.id = o.source_id";

fn current_value_from_row(jobcenter: &BaId, r: &sqlx::any::AnyRow) -> Result<CurrentValue> {
    let status: String = r.try_get("status")?;
    let kind: String = r.try_get("source_kind")?;
    Ok(CurrentValue {
        observation: Observation {
            jobcenter: jobcenter.clone(),
            indicator: parse_col(
                "observation",
                "indicator_code",
                r.try_get("indicator_code")?,
            )?,
            month: parse_col("observation", "month", r.try_get("month")?)?,
            value: r.try_get("value")?,
            numerator: r.try_get("numerator")?,
            denominator: r.try_get("denominator")?,
            status: ValueStatus::parse(&status).ok_or(StoreError::Corrupt {
                table: "observation",
                column: "status",
                value: status.clone(),
            })?,
            datenstand: parse_col("observation", "datenstand", r.try_get("datenstand")?)?,
            breakdown: Breakdown::from_key(&r.try_get::<String, _>("breakdown")?),
        },
        source_kind: SourceKind::parse(&kind).ok_or(StoreError::Corrupt {
            table: "source",
            column: "kind",
            value: kind.clone(),
        })?,
        source_label: r.try_get("source_label")?,
    })
}
