//! Reported values with their revisions and sources.

use std::collections::HashMap;

use rustc_hash::{FxHashMap, FxHashSet};

use sqlx::Row;
use zielwerk_domain::{
    Breakdown, IndicatorCode, Observation, Period, PeriodKind, RegionId, Source, SourceKind,
    ValueStatus, YearMonth,
};

use crate::audit::{Change, append};
use crate::{BUMP_VERSION, Backend, BulkTx, Result, Store, StoreError, now, parse_col};

/// Runs `$body` with `$c` the typed connection of `$tx` (a `&mut` [`BulkTx`]): the body is
/// written once and compiled for each backend's driver.
macro_rules! on {
    ($tx:expr, $c:ident => $body:expr) => {
        match $tx {
            BulkTx::Sqlite(tx) => {
                let $c: &mut sqlx::SqliteConnection = &mut *tx;
                $body
            }
            BulkTx::Postgres(tx) => {
                let $c: &mut sqlx::PgConnection = &mut *tx;
                $body
            }
        }
    };
}

pub use zielwerk_domain::CurrentValue;

/// `$first, $first+1, …`: `n` numbered placeholders for an `IN (…)` list.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An identity's verdict on one value, as an import hands it to [`Recording::record_checks`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueCheck {
    pub region: RegionId,
    pub indicator: IndicatorCode,
    pub period: Period,
    /// The violation; `None` where the identity holds.
    pub warning: Option<String>,
}

/// One region's current value of an indicator in a period, as a comparison reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct AcrossValue {
    pub region: RegionId,
    pub indicator: IndicatorCode,
    pub period: Period,
    pub value: f64,
}

/// An identity warning kept beside a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueWarning {
    pub region: RegionId,
    pub indicator: IndicatorCode,
    pub period: Period,
    pub message: String,
}

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
    /// Projected values of keys whose current value is final: left out, the final value stays.
    pub kept_final: u64,
    /// Values from own records of keys whose current value is official (projected or final):
    /// left out, the official value stays.
    pub kept_official: u64,
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
        // The typed driver: PostgreSQL's COPY is not reachable through the Any driver, and
        // SQLite's statements skip its conversions.
        let mut tx = self.bulk.begin_write().await?;
        if let BulkTx::Sqlite(tx) = &mut tx {
            // Room for the pages a large import touches, so that SQLite does not write them to
            // the log before the commit only to change them again (the commit stays as durable;
            // the cache is given back afterwards).
            sqlx::query(BULK_CACHE).execute(&mut **tx).await?;
        }
        let (next_id, source_seq): (i64, i64) = on!(&mut tx, c => {
            // Numbers are given out under the write lock: no other writer can take the same.
            let next_id: i64 = sqlx::query("SELECT CAST(COALESCE(MAX(id), 0) + 1 AS BIGINT) AS n FROM observation")
                .fetch_one(&mut *c)
                .await?
                .try_get("n")?;
            let source_seq: i64 = sqlx::query("SELECT CAST(COALESCE(MAX(seq), 0) + 1 AS BIGINT) AS n FROM source")
                .fetch_one(&mut *c)
                .await?
                .try_get("n")?;
            (next_id, source_seq)
        });
        Ok(Recording {
            tx,
            source,
            source_id: uuid::Uuid::now_v7().to_string(),
            source_seq,
            next_id,
            ts: now(),
            source_used: false,
            outcome: RecordOutcome::default(),
            recorded: 0,
            actor: self.actor.clone(),
            changes: Default::default(),
            known_regions: Default::default(),
            kept_final: Vec::new(),
        })
    }

    /// The current monthly totals of the given indicators for one region (a Jobcenter, mostly),
    /// ordered by indicator and month. Values of other periods (years, 12-month means) are
    /// read with [`Store::period_values`].
    pub async fn current_values(
        &self,
        region: impl Into<RegionId>,
        indicators: &[&IndicatorCode],
    ) -> Result<Vec<CurrentValue>> {
        self.current(&region.into(), indicators, false, PeriodKind::Month)
            .await
    }

    /// The current monthly values of the breakdowns (e.g. by household size) of the given
    /// indicators.
    pub async fn breakdown_values(
        &self,
        region: impl Into<RegionId>,
        indicators: &[&IndicatorCode],
    ) -> Result<Vec<CurrentValue>> {
        self.current(&region.into(), indicators, true, PeriodKind::Month)
            .await
    }

    /// The current totals of the given indicators for one region and kind of period, ordered
    /// by indicator and period.
    pub async fn period_values(
        &self,
        region: &RegionId,
        indicators: &[&IndicatorCode],
        kind: PeriodKind,
    ) -> Result<Vec<CurrentValue>> {
        self.current(region, indicators, false, kind).await
    }

    async fn current(
        &self,
        region: &RegionId,
        indicators: &[&IndicatorCode],
        breakdowns: bool,
        kind: PeriodKind,
    ) -> Result<Vec<CurrentValue>> {
        self.values_where(
            region,
            indicators,
            current_condition(breakdowns, kind),
            "o.indicator_code, o.period, o.breakdown",
        )
        .await
    }

    /// The periods of one kind in which any region has a current total of `indicator`, oldest
    /// first: the years a comparison can show. Read from the index `observation_across`
    /// (migration 0011) for years and 12-month means.
    pub async fn periods_across(
        &self,
        indicator: &IndicatorCode,
        kind: PeriodKind,
    ) -> Result<Vec<Period>> {
        let sql = format!(
            "SELECT DISTINCT period FROM observation
             WHERE indicator_code = $1 AND is_current = 1 AND breakdown = '' AND {}
             ORDER BY period",
            across_condition(kind)
        );
        sqlx::query(&sql)
            .bind(indicator.as_str())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| parse_col("observation", "period", r.try_get("period")?))
            .collect()
    }

    /// The current totals of the given indicators for every region, of one kind of period, in
    /// the given periods (all of them when `periods` is empty): what a comparison across a
    /// Land or the Bund reads. For years and 12-month means one range scan of the index
    /// `observation_across` (migration 0011) per period; no sources are read.
    pub async fn values_across(
        &self,
        indicators: &[&IndicatorCode],
        kind: PeriodKind,
        periods: &[Period],
    ) -> Result<Vec<AcrossValue>> {
        if indicators.is_empty() {
            return Ok(Vec::new());
        }
        let of_kind = across_condition(kind);
        let n = indicators.len();
        let sql = format!(
            "SELECT region_id, indicator_code, period, value FROM observation
             WHERE indicator_code IN ({}) AND is_current = 1 AND breakdown = '' AND {of_kind}{}
             ORDER BY indicator_code, period, region_id",
            placeholders(1, n),
            if periods.is_empty() {
                String::new()
            } else {
                format!(" AND period IN ({})", placeholders(n + 1, periods.len()))
            }
        );
        let mut query = sqlx::query(&sql);
        for code in indicators {
            query = query.bind(code.as_str());
        }
        for p in periods {
            query = query.bind(p.to_string());
        }
        query
            .fetch_all(&self.pool)
            .await?
            .iter()
            .filter_map(|r| {
                let value: Option<f64> = match r.try_get("value") {
                    Ok(v) => v,
                    Err(e) => return Some(Err(e.into())),
                };
                let value = value?;
                Some((|| {
                    Ok(AcrossValue {
                        region: parse_col("observation", "region_id", r.try_get("region_id")?)?,
                        indicator: parse_col(
                            "observation",
                            "indicator_code",
                            r.try_get("indicator_code")?,
                        )?,
                        period: parse_col("observation", "period", r.try_get("period")?)?,
                        value,
                    })
                })())
            })
            .collect()
    }

    /// The identity warnings kept beside the given indicators' values of one region (all kinds
    /// of period), ordered by indicator and period.
    pub async fn value_warnings(
        &self,
        region: &RegionId,
        indicators: &[&IndicatorCode],
    ) -> Result<Vec<ValueWarning>> {
        if indicators.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT indicator_code, period, message FROM value_warning
             WHERE region_id = $1 AND indicator_code IN ({})
             ORDER BY indicator_code, period",
            placeholders(2, indicators.len())
        );
        let mut query = sqlx::query(&sql).bind(region.as_str());
        for code in indicators {
            query = query.bind(code.as_str());
        }
        query
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok(ValueWarning {
                    region: region.clone(),
                    indicator: parse_col(
                        "value_warning",
                        "indicator_code",
                        r.try_get("indicator_code")?,
                    )?,
                    period: parse_col("value_warning", "period", r.try_get("period")?)?,
                    message: r.try_get("message")?,
                })
            })
            .collect()
    }

    /// The identity warnings kept beside one indicator's values, of every region: the few a
    /// comparison across regions shows.
    pub async fn warnings_of(&self, indicator: &IndicatorCode) -> Result<Vec<ValueWarning>> {
        sqlx::query(
            "SELECT region_id, period, message FROM value_warning
             WHERE indicator_code = $1 ORDER BY region_id, period",
        )
        .bind(indicator.as_str())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(ValueWarning {
                region: parse_col("value_warning", "region_id", r.try_get("region_id")?)?,
                indicator: indicator.clone(),
                period: parse_col("value_warning", "period", r.try_get("period")?)?,
                message: r.try_get("message")?,
            })
        })
        .collect()
    }

    /// Earlier revisions (no longer current) of the given indicators' monthly totals for one
    /// region, newest month first: what a later import replaced.
    pub async fn superseded_values(
        &self,
        region: impl Into<RegionId>,
        indicators: &[&IndicatorCode],
    ) -> Result<Vec<CurrentValue>> {
        self.values_where(
            &region.into(),
            indicators,
            "o.is_current = 0 AND o.breakdown = '' AND LENGTH(o.period) = 7",
            "o.period DESC, o.indicator_code, o.datenstand DESC",
        )
        .await
    }

    /// Values of the given indicators for one region under a fixed `condition` and `order`
    /// (constants of this module, never user input).
    async fn values_where(
        &self,
        region: &RegionId,
        indicators: &[&IndicatorCode],
        condition: &str,
        order: &str,
    ) -> Result<Vec<CurrentValue>> {
        if indicators.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "{SELECT_VALUES}
             WHERE o.region_id = $1 AND {condition} AND o.indicator_code IN ({})
             ORDER BY {order}",
            placeholders(2, indicators.len())
        );
        let mut query = sqlx::query(&sql).bind(region.as_str());
        for code in indicators {
            query = query.bind(code.as_str());
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| current_value_from_row(region, r))
            .collect()
    }

    /// The source an import wrote (by its id, [`Recording::import_id`]): its label, its detail
    /// and its file's SHA-256.
    pub async fn source(&self, id: &str) -> Result<Option<Source>> {
        let Some(r) =
            sqlx::query("SELECT kind, label, detail, file_name, sha256 FROM source WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
        else {
            return Ok(None);
        };
        let kind: String = r.try_get("kind")?;
        Ok(Some(Source {
            kind: SourceKind::parse(&kind).ok_or(StoreError::Corrupt {
                table: "source",
                column: "kind",
                value: kind.clone(),
            })?,
            label: r.try_get("label")?,
            detail: r.try_get("detail")?,
            file_name: r.try_get("file_name")?,
            sha256: r.try_get("sha256")?,
        }))
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
///
/// A chunk is recorded in sets: the current values of all its keys are read with one statement
/// per [`LOOKUP_KEYS`] keys, compared in memory, and the changes written with one statement per
/// [`UPDATE_IDS`] superseded values and per [`INSERT_ROWS`] new rows. The cost of a chunk grows
/// with the chunk, not with the database.
pub struct Recording {
    tx: BulkTx,
    source: Source,
    source_id: String,
    /// The source's number, which the values refer to; assigned under the write lock.
    source_seq: i64,
    /// The id the next stored value gets; assigned under the write lock.
    next_id: i64,
    ts: String,
    source_used: bool,
    outcome: RecordOutcome,
    /// Values recorded so far (taken or not).
    recorded: u64,
    known_regions: FxHashSet<String>,
    actor: std::sync::Arc<str>,
    /// Per Jobcenter and indicator: what changed, for the audit trail.
    changes: FxHashMap<String, FxHashMap<String, SeriesChange>>,
    /// The first projections not taken because the month's final value is stored.
    kept_final: Vec<KeptFinal>,
}

/// A projected value left out because the final value of its key is stored: a projection
/// never replaces a counted value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptFinal {
    /// The value's place in its input: the file's line if the chunk named it, otherwise its
    /// 0-based position among all values recorded.
    pub row: u64,
    pub region: RegionId,
    pub indicator: IndicatorCode,
    pub period: Period,
    /// The status of the value left out: projected (under a final value) or own (under an
    /// official one).
    pub status: ValueStatus,
}

/// How many [`KeptFinal`] a recording lists (the rest are counted in the outcome).
pub const KEPT_FINAL_LISTED: usize = 100;

/// SQLite's page cache while values are recorded (64 MB) and afterwards (its default, 2 MB).
const BULK_CACHE: &str = "PRAGMA cache_size = -65536";
const NORMAL_CACHE: &str = "PRAGMA cache_size = -2000";

/// Keys looked up per statement (five values bound each).
const LOOKUP_KEYS: usize = 2_000;
/// From this many new rows sharing region, status, Datenstand and currency, they are inserted
/// as a group; this many per statement (one prepared statement serves every full one).
const GROUP_FROM: usize = 16;
const GROUP_ROWS: usize = 2_000;
/// What the rows of an insert group share (see [`insert_group`]).
type GroupKey<'a> = (&'a str, ValueStatus, chrono::NaiveDate, bool, Shape);
/// From this many values of one series in a chunk, the series is read as a range of months;
/// this many ranges per statement (six values bound each).
const RANGE_FROM: usize = 8;
const LOOKUP_RANGES: usize = 1_000;
/// Superseded values marked per statement.
const UPDATE_IDS: usize = 5_000;
/// Values inserted per statement (at most twelve bound each; SQLite allows 32,766 per
/// statement, PostgreSQL 65,535).
const INSERT_ROWS: usize = 1_000;

/// The changes of one series in one recording.
#[derive(Debug, Default)]
struct SeriesChange {
    inserted: u64,
    older: u64,
    first: Option<YearMonth>,
    last: Option<YearMonth>,
    revised: Vec<Revision>,
}

/// Month, value before, value after (the value, or the numerator for ratios).
type Revision = (Period, Option<f64>, Option<f64>);

/// A series read as a range of periods: Jobcenter, indicator, breakdown, first and last period.
type SeriesRange<'a> = (&'a str, &'a str, &'a str, String, String);

/// The current value of a key, as stored.
struct Stored {
    id: i64,
    value: Option<f64>,
    numerator: Option<f64>,
    denominator: Option<f64>,
    status: String,
    datenstand: String,
}

/// A stored current value from a row (of either typed driver) whose columns from `$at` on are
/// id, value, numerator, denominator, status and Datenstand (read by position: a lookup returns
/// a row per value of the file).
macro_rules! stored {
    ($row:expr, $at:expr) => {
        Stored {
            id: $row.try_get($at)?,
            value: $row.try_get($at + 1)?,
            numerator: $row.try_get($at + 2)?,
            denominator: $row.try_get($at + 3)?,
            status: $row.try_get($at + 4)?,
            datenstand: $row.try_get($at + 5)?,
        }
    };
}

/// A value to be inserted.
struct NewRow<'a> {
    id: i64,
    obs: &'a Observation,
    breakdown: &'a str,
    current: bool,
}

/// `rows` groups of `width` bind marks: `(?, ?), (?, ?)` on SQLite (its driver finds a numbered
/// mark by comparing names, which takes the square of their number), `($1, $2), ($3, $4)` on
/// PostgreSQL.
fn marks(backend: Backend, rows: usize, width: usize) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(rows * width * 6);
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..width {
            if c > 0 {
                s.push_str(", ");
            }
            match backend {
                Backend::Sqlite => s.push('?'),
                Backend::Postgres => {
                    let _ = write!(s, "${}", 1 + r * width + c);
                }
            }
        }
        s.push(')');
    }
    s
}

impl Recording {
    /// Records a chunk; see [`Store::record_observations`] for the rules per value.
    pub async fn add(&mut self, observations: &[Observation]) -> Result<()> {
        self.add_rows(observations, None).await
    }

    /// Records a chunk whose values came from the given lines of a file (one per value), so that
    /// what is left out can be named by its line.
    pub async fn add_rows(
        &mut self,
        observations: &[Observation],
        rows: Option<&[u64]>,
    ) -> Result<()> {
        self.check(observations).await?;
        let keys: Vec<String> = observations
            .iter()
            .map(|o| o.breakdown.as_ref().map(|b| b.key()).unwrap_or_default())
            .collect();
        // A key twice in one chunk (never from a file, whose reader refuses that): the later
        // value must see the earlier one, so the chunk is recorded in parts.
        let mut start = 0;
        let mut seen = FxHashSet::default();
        for (i, (obs, breakdown)) in observations.iter().zip(&keys).enumerate() {
            let key = (
                obs.region.as_str(),
                obs.indicator.as_str(),
                obs.period(),
                breakdown.as_str(),
            );
            if !seen.insert(key) {
                let at = rows.map(|r| &r[start.min(r.len())..]);
                self.record_part(&observations[start..i], &keys[start..i], at)
                    .await?;
                start = i;
                seen.clear();
                seen.insert(key);
            }
        }
        let at = rows.map(|r| &r[start.min(r.len())..]);
        self.record_part(&observations[start..], &keys[start..], at)
            .await
    }

    /// Refuses a chunk with a value that is not finite or a Jobcenter the store does not know,
    /// naming the first.
    async fn check(&mut self, observations: &[Observation]) -> Result<()> {
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
                    obs.region
                )));
            }
            if !self.known_regions.contains(obs.region.as_str()) {
                let known: Option<String> = on!(&mut self.tx, c => {
                    sqlx::query("SELECT id FROM region WHERE id = $1")
                        .bind(obs.region.as_str())
                        .fetch_optional(c)
                        .await?
                        .map(|r| r.try_get("id"))
                        .transpose()?
                });
                if known.is_none() {
                    let id = obs.region.to_string();
                    return Err(match obs.region.kind() {
                        zielwerk_domain::RegionKind::Jobcenter => StoreError::UnknownJobcenter(id),
                        _ => StoreError::UnknownRegion(id),
                    });
                }
                self.known_regions.insert(obs.region.to_string());
            }
        }
        Ok(())
    }

    /// The current values of the keys of `part`, by position. A series with many values in
    /// `part` is read as one range of months (one seek, then its rows in order); the keys of
    /// the others are looked up together, one probe each.
    async fn lookup(
        &mut self,
        part: &[Observation],
        breakdowns: &[String],
    ) -> Result<Vec<Option<Stored>>> {
        let mut found: Vec<Option<Stored>> = Vec::with_capacity(part.len());
        found.resize_with(part.len(), || None);
        let mut series: FxHashMap<(&str, &str, &str, PeriodKind), Vec<usize>> =
            FxHashMap::default();
        for (i, (obs, breakdown)) in part.iter().zip(breakdowns).enumerate() {
            series
                .entry((
                    obs.region.as_str(),
                    obs.indicator.as_str(),
                    breakdown.as_str(),
                    obs.period,
                ))
                .or_default()
                .push(i);
        }
        let mut sparse = Vec::new();
        // Series read as ranges, with the positions of their values in `part`.
        let mut ranges: Vec<(SeriesRange, Vec<usize>)> = Vec::new();
        for ((jobcenter, indicator, breakdown, _), positions) in series {
            if positions.len() < RANGE_FROM {
                sparse.extend(positions);
                continue;
            }
            let months = || positions.iter().map(|i| part[*i].period());
            let (Some(first), Some(last)) = (months().min(), months().max()) else {
                continue;
            };
            ranges.push((
                (
                    jobcenter,
                    indicator,
                    breakdown,
                    first.to_string(),
                    last.to_string(),
                ),
                positions,
            ));
        }
        for batch in ranges.chunks(LOOKUP_RANGES) {
            // All ranges of a chunk in one statement.
            let rows: Vec<(i64, String, Stored)> = match &mut self.tx {
                BulkTx::Sqlite(tx) => sqlite_ranges(tx, batch).await?,
                BulkTx::Postgres(tx) => postgres_ranges(tx, batch).await?,
            };
            // The months of a range's values, made only for ranges with stored values.
            let mut by_month: FxHashMap<usize, FxHashMap<String, usize>> = FxHashMap::default();
            for (k, month, value) in rows {
                let (k, positions) = usize::try_from(k)
                    .ok()
                    .and_then(|k| Some((k, &batch.get(k)?.1)))
                    .ok_or_else(|| StoreError::Corrupt {
                        table: "observation",
                        column: "pos",
                        value: k.to_string(),
                    })?;
                let months = by_month.entry(k).or_insert_with(|| {
                    positions
                        .iter()
                        .map(|i| (part[*i].period().to_string(), *i))
                        .collect()
                });
                if let Some(i) = months.get(&month) {
                    found[*i] = Some(value);
                }
            }
        }
        sparse.sort_unstable();
        for batch in sparse.chunks(LOOKUP_KEYS) {
            // The keys drive the join (CROSS JOIN keeps that order on SQLite): each key is one
            // probe of the index of current values.
            let sql = format!(
                "WITH k (pos, region_id, indicator_code, period, breakdown) AS (VALUES {})
                 SELECT k.pos AS pos, CAST(o.id AS BIGINT) AS id, o.value AS value, o.numerator AS numerator,
                        o.denominator AS denominator, o.status AS status,
                        o.datenstand AS datenstand
                 FROM k CROSS JOIN observation o
                 WHERE o.region_id = k.region_id AND o.indicator_code = k.indicator_code
                   AND o.period = k.period AND o.breakdown = k.breakdown AND o.is_current = 1",
                marks(self.tx.backend(), batch.len(), 5)
            );
            let rows: Vec<(i64, Stored)> = on!(&mut self.tx, c => {
                let mut query = sqlx::query(&sql);
                for &i in batch {
                    let obs = &part[i];
                    query = query
                        .bind(i as i64)
                        .bind(obs.region.as_str())
                        .bind(obs.indicator.as_str())
                        .bind(obs.period().to_string())
                        .bind(breakdowns[i].as_str());
                }
                query
                    .persistent(batch.len() == LOOKUP_KEYS)
                    .fetch_all(c)
                    .await?
                    .iter()
                    .map(|row| Ok((row.try_get(0)?, stored!(row, 1))))
                    .collect::<Result<_>>()?
            });
            for (pos, value) in rows {
                let slot = usize::try_from(pos)
                    .ok()
                    .and_then(|p| found.get_mut(p))
                    .ok_or_else(|| StoreError::Corrupt {
                        table: "observation",
                        column: "pos",
                        value: pos.to_string(),
                    })?;
                *slot = Some(value);
            }
        }
        Ok(found)
    }

    /// Records values whose keys are all different; `rows` are their lines, if known.
    async fn record_part(
        &mut self,
        part: &[Observation],
        breakdowns: &[String],
        rows: Option<&[u64]>,
    ) -> Result<()> {
        if part.is_empty() {
            return Ok(());
        }
        let found = self.lookup(part, breakdowns).await?;
        let mut superseded = Vec::new();
        let mut inserts = Vec::new();
        for (i, ((obs, breakdown), stored)) in part.iter().zip(breakdowns).zip(found).enumerate() {
            let becomes_current = match &stored {
                None => {
                    self.outcome.inserted += 1;
                    self.change(obs).inserted += 1;
                    true
                }
                Some(cur)
                    if (cur.status == ValueStatus::Final.as_str()
                        && obs.status == ValueStatus::Projected)
                        || (obs.status == ValueStatus::Own
                            && cur.status != ValueStatus::Own.as_str()) =>
                {
                    if obs.status == ValueStatus::Own {
                        self.outcome.kept_official += 1;
                    } else {
                        self.outcome.kept_final += 1;
                    }
                    if self.kept_final.len() < KEPT_FINAL_LISTED {
                        let row = match rows {
                            Some(rows) => rows.get(i).copied().unwrap_or_default(),
                            None => self.recorded + i as u64,
                        };
                        self.kept_final.push(KeptFinal {
                            row,
                            region: obs.region.clone(),
                            indicator: obs.indicator.clone(),
                            period: obs.period(),
                            status: obs.status,
                        });
                    }
                    continue;
                }
                Some(cur)
                    if same(cur.value, obs.value)
                        && same(cur.numerator, obs.numerator)
                        && same(cur.denominator, obs.denominator)
                        && cur.status == obs.status.as_str() =>
                {
                    self.outcome.unchanged += 1;
                    continue;
                }
                // An official value replaces one from own records whatever their Datenstand.
                Some(cur)
                    if obs.datenstand.to_string() >= cur.datenstand
                        || (cur.status == ValueStatus::Own.as_str()
                            && obs.status.is_official()) =>
                {
                    superseded.push(cur.id);
                    self.outcome.revised += 1;
                    let revision = (
                        obs.period(),
                        cur.value.or(cur.numerator),
                        obs.value.or(obs.numerator),
                    );
                    self.change(obs).revised.push(revision);
                    true
                }
                Some(_) => {
                    self.outcome.older += 1;
                    self.change(obs).older += 1;
                    false
                }
            };
            let change = self.change(obs);
            change.first = Some(change.first.map_or(obs.month, |m| m.min(obs.month)));
            change.last = Some(change.last.map_or(obs.month, |m| m.max(obs.month)));
            inserts.push(NewRow {
                id: self.next_id,
                obs,
                breakdown,
                current: becomes_current,
            });
            self.next_id += 1;
        }
        self.recorded += part.len() as u64;
        if inserts.is_empty() {
            return Ok(());
        }
        self.write_source().await?;
        for ids in superseded.chunks(UPDATE_IDS) {
            let sql = format!(
                "UPDATE observation SET is_current = 0 WHERE id IN ({})",
                match self.tx.backend() {
                    Backend::Sqlite => vec!["?"; ids.len()].join(", "),
                    Backend::Postgres => placeholders(1, ids.len()),
                }
            );
            on!(&mut self.tx, c => {
                let mut query = sqlx::query(&sql);
                for id in ids {
                    query = query.bind(*id);
                }
                query.persistent(ids.len() == UPDATE_IDS).execute(c).await?;
            });
        }
        match &mut self.tx {
            BulkTx::Sqlite(tx) => insert_rows(tx, self.source_seq, inserts).await,
            BulkTx::Postgres(tx) => copy_rows(tx, self.source_seq, &inserts).await,
        }
    }

    /// The change record of `obs`'s series.
    fn change(&mut self, obs: &Observation) -> &mut SeriesChange {
        if !self.changes.contains_key(obs.region.as_str()) {
            self.changes
                .insert(obs.region.to_string(), FxHashMap::default());
        }
        let by_indicator = self
            .changes
            .get_mut(obs.region.as_str())
            .expect("inserted above");
        if !by_indicator.contains_key(obs.indicator.as_str()) {
            by_indicator.insert(obs.indicator.to_string(), SeriesChange::default());
        }
        by_indicator
            .get_mut(obs.indicator.as_str())
            .expect("inserted above")
    }

    /// Writes the source row, with the first value that is kept.
    async fn write_source(&mut self) -> Result<()> {
        if self.source_used {
            return Ok(());
        }
        on!(&mut self.tx, c => {
            sqlx::query(
                "INSERT INTO source (id, kind, label, detail, file_name, sha256, recorded_at, seq)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&self.source_id)
            .bind(self.source.kind.as_str())
            .bind(&self.source.label)
            .bind(&self.source.detail)
            .bind(self.source.file_name.as_deref())
            .bind(self.source.sha256.as_deref())
            .bind(&self.ts)
            .bind(self.source_seq)
            .execute(c)
            .await?;
        });
        self.source_used = true;
        Ok(())
    }

    /// Keeps the outcome of identity checks beside the values: for each value checked, its
    /// warning (the violation) or none (the identity holds), replacing what an earlier import
    /// kept for it. Only what changes is written.
    pub async fn record_checks(&mut self, checks: &[ValueCheck]) -> Result<()> {
        let mut indicators: Vec<&str> = checks.iter().map(|c| c.indicator.as_str()).collect();
        indicators.sort_unstable();
        indicators.dedup();
        if indicators.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "SELECT region_id, indicator_code, period, message FROM value_warning
             WHERE indicator_code IN ({})",
            placeholders(1, indicators.len())
        );
        let kept: HashMap<(String, String, String), String> = on!(&mut self.tx, c => {
            let mut query = sqlx::query(&sql);
            for code in &indicators {
                query = query.bind(*code);
            }
            query
                .fetch_all(c)
                .await?
                .iter()
                .map(|r| {
                    Ok((
                        (
                            r.try_get("region_id")?,
                            r.try_get("indicator_code")?,
                            r.try_get("period")?,
                        ),
                        r.try_get("message")?,
                    ))
                })
                .collect::<Result<_>>()?
        });
        let mut changed = false;
        for c in checks {
            let key = (
                c.region.to_string(),
                c.indicator.to_string(),
                c.period.to_string(),
            );
            let before = kept.get(&key);
            if before == c.warning.as_ref() {
                continue;
            }
            changed = true;
            if before.is_some() {
                on!(&mut self.tx, c => {
                    sqlx::query(
                        "DELETE FROM value_warning
                         WHERE region_id = $1 AND indicator_code = $2 AND period = $3",
                    )
                    .bind(&key.0)
                    .bind(&key.1)
                    .bind(&key.2)
                    .execute(c)
                    .await?;
                });
            }
            if let Some(message) = &c.warning {
                self.write_source().await?;
                on!(&mut self.tx, c => {
                    sqlx::query(
                        "INSERT INTO value_warning (region_id, indicator_code, period, message, source_seq)
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(&key.0)
                    .bind(&key.1)
                    .bind(&key.2)
                    .bind(message)
                    .bind(self.source_seq)
                    .execute(c)
                    .await?;
                });
            }
        }
        if changed {
            on!(&mut self.tx, c => {
                sqlx::query(BUMP_VERSION).execute(c).await?;
            });
        }
        Ok(())
    }

    /// What has been recorded so far.
    pub fn outcome(&self) -> RecordOutcome {
        self.outcome
    }

    /// The first projections left out because their month's final value is stored (all of
    /// them are counted in [`RecordOutcome::kept_final`]).
    pub fn kept_final(&self) -> &[KeptFinal] {
        &self.kept_final
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
            on!(&mut self.tx, c => {
                sqlx::query("UPDATE source SET sha256 = $1 WHERE id = $2")
                    .bind(self.source.sha256.as_deref())
                    .bind(&self.source_id)
                    .execute(c)
                    .await?;
            });
            let mut changes: Vec<((String, String), SeriesChange)> =
                std::mem::take(&mut self.changes)
                    .into_iter()
                    .flat_map(|(jc, by)| by.into_iter().map(move |(ind, c)| ((jc.clone(), ind), c)))
                    .collect();
            changes.sort_by(|a, b| a.0.cmp(&b.0));
            for ((jobcenter, indicator), c) in changes {
                if c.inserted == 0 && c.older == 0 && c.revised.is_empty() {
                    continue;
                }
                let months = match (c.first, c.last) {
                    (Some(a), Some(b)) => format!("{} bis {}", a.german_long(), b.german_long()),
                    _ => String::new(),
                };
                let revised = |pick: fn(&Revision) -> Option<f64>| {
                    c.revised
                        .iter()
                        .map(|r| serde_json::json!({"monat": r.0.to_string(), "wert": pick(r)}))
                        .collect::<Vec<_>>()
                };
                // Values of a Kreis, Land or the Bund are published statistics, of no Jobcenter.
                let is_jobcenter = RegionId::from_key(&jobcenter)
                    .is_ok_and(|r| r.kind() == zielwerk_domain::RegionKind::Jobcenter);
                let change = Change {
                    jobcenter: is_jobcenter.then_some(jobcenter),
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
                let appended: Result<()> = on!(&mut self.tx, c => append!(c, &self.actor, change));
                appended?;
            }
        }
        self.restore_cache().await;
        match self.tx {
            BulkTx::Sqlite(tx) => tx.commit().await?,
            BulkTx::Postgres(tx) => tx.commit().await?,
        }
        Ok(self.outcome)
    }

    /// Throws everything recorded away.
    pub async fn rollback(mut self) -> Result<()> {
        self.restore_cache().await;
        match self.tx {
            BulkTx::Sqlite(tx) => tx.rollback().await?,
            BulkTx::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }

    /// Gives back the page cache taken for the import (see [`BULK_CACHE`]), just before the
    /// transaction ends: pages changed by it stay cached until the commit writes them. A failure
    /// here changes no data and is not worth failing an import for.
    async fn restore_cache(&mut self) {
        if let BulkTx::Sqlite(tx) = &mut self.tx {
            let _ = sqlx::query(NORMAL_CACHE).execute(&mut **tx).await;
        }
    }
}

/// The statement that reads the current values of ranges: each range is one seek into the index
/// of current values, then its rows in order. Within one kind of period the stored forms sort
/// like the periods; rows of other kinds that a text range takes in are not among the wanted
/// keys. `$select` is what is read of `r` (the ranges) and `o` (their values), `$tail` what
/// follows the condition.
macro_rules! ranges_sql {
    ($backend:expr, $n:expr, $select:expr, $tail:expr) => {
        format!(
            "WITH r (pos, region_id, indicator_code, breakdown, first_period, last_period)
             AS (VALUES {})
             SELECT {}
             FROM r CROSS JOIN observation o
             WHERE o.region_id = r.region_id AND o.indicator_code = r.indicator_code
               AND o.breakdown = r.breakdown AND o.period >= r.first_period
               AND o.period <= r.last_period AND o.is_current = 1
             {}",
            marks($backend, $n, 6),
            $select,
            $tail
        )
    };
}

/// Binds the ranges of `batch` to `sql` (see [`ranges_sql`]), each with its position.
macro_rules! bind_ranges {
    ($sql:expr, $batch:expr) => {{
        let mut query = sqlx::query($sql);
        for (k, ((jobcenter, indicator, breakdown, first, last), _)) in $batch.iter().enumerate() {
            query = query
                .bind(k as i64)
                .bind(*jobcenter)
                .bind(*indicator)
                .bind(*breakdown)
                .bind(first.as_str())
                .bind(last.as_str());
        }
        query.persistent($batch.len() == LOOKUP_RANGES)
    }};
}

/// SQLite: the current values of `batch`'s ranges (range, period, value). The driver copies
/// every column of every result row and hands the rows from its thread over one at a time,
/// which for a re-imported file of a million values cost three seconds; so each range comes as
/// one row, its values as text: fields split by U+001F, values by U+001E, numbers as `quote`
/// writes them (the digits that read back as the same number; the comparison allows 1e-9
/// anyway, see [`same`]).
async fn sqlite_ranges(
    conn: &mut sqlx::SqliteConnection,
    batch: &[(SeriesRange<'_>, Vec<usize>)],
) -> Result<Vec<(i64, String, Stored)>> {
    let sql = ranges_sql!(
        Backend::Sqlite,
        batch.len(),
        "r.pos, group_concat(o.period || char(31) || o.id || char(31) || quote(o.value)
             || char(31) || quote(o.numerator) || char(31) || quote(o.denominator)
             || char(31) || o.status || char(31) || o.datenstand, char(30))",
        "GROUP BY r.pos"
    );
    let mut found = Vec::new();
    for row in bind_ranges!(&sql, batch).fetch_all(conn).await? {
        let pos: i64 = row.try_get(0)?;
        let values: String = row.try_get(1)?;
        for record in values.split('\u{1e}') {
            let (period, stored) = stored_from_text(record).ok_or_else(|| StoreError::Corrupt {
                table: "observation",
                column: "value",
                value: record.to_owned(),
            })?;
            found.push((pos, period, stored));
        }
    }
    Ok(found)
}

/// One value as [`sqlite_ranges`] reads it: period, id, value, numerator, denominator, status,
/// Datenstand.
fn stored_from_text(record: &str) -> Option<(String, Stored)> {
    let mut fields = record.split('\u{1f}');
    let mut next = || fields.next();
    let number = |text: &str| match text {
        "NULL" => Some(None),
        _ => text.parse::<f64>().ok().filter(|v| v.is_finite()).map(Some),
    };
    let period = next()?.to_owned();
    let id = next()?.parse().ok()?;
    let value = number(next()?)?;
    let numerator = number(next()?)?;
    let denominator = number(next()?)?;
    let status = next()?.to_owned();
    let datenstand = next()?.to_owned();
    if next().is_some() {
        return None;
    }
    Some((
        period,
        Stored {
            id,
            value,
            numerator,
            denominator,
            status,
            datenstand,
        },
    ))
}

/// PostgreSQL: the current values of `batch`'s ranges (range, period, value), a row each.
async fn postgres_ranges(
    conn: &mut sqlx::PgConnection,
    batch: &[(SeriesRange<'_>, Vec<usize>)],
) -> Result<Vec<(i64, String, Stored)>> {
    let sql = ranges_sql!(
        Backend::Postgres,
        batch.len(),
        "r.pos AS pos, o.period AS period, CAST(o.id AS BIGINT) AS id, o.value AS value,
         o.numerator AS numerator, o.denominator AS denominator, o.status AS status,
         o.datenstand AS datenstand",
        ""
    );
    bind_ranges!(&sql, batch)
        .fetch_all(conn)
        .await?
        .iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?, stored!(row, 2))))
        .collect()
}

/// Writes new rows on SQLite in multi-row statements. Rows that share their region, status,
/// Datenstand and currency (most rows of a file) are written with those bound once per
/// statement, in statements of one size that are prepared once; the rest by shape, so that no
/// statement binds a column it does not fill.
async fn insert_rows(
    conn: &mut sqlx::SqliteConnection,
    source_seq: i64,
    inserts: Vec<NewRow<'_>>,
) -> Result<()> {
    let mut groups: FxHashMap<GroupKey, Vec<NewRow>> = FxHashMap::default();
    let (mut values, mut ratios, mut others) = (Vec::new(), Vec::new(), Vec::new());
    for row in inserts {
        let shape = match (row.obs.value, row.obs.numerator, row.obs.denominator) {
            (Some(_), None, None) => Shape::Value,
            (None, Some(_), Some(_)) => Shape::Ratio,
            _ => Shape::Any,
        };
        if shape == Shape::Any {
            others.push(row);
            continue;
        }
        let key = (
            row.obs.region.as_str(),
            row.obs.status,
            row.obs.datenstand,
            row.current,
            shape,
        );
        groups.entry(key).or_default().push(row);
    }
    // In the order of their ids: the table's rows are appended, not scattered.
    let mut groups: Vec<(GroupKey, Vec<NewRow>)> = groups.into_iter().collect();
    groups.sort_by_key(|(_, rows)| rows.first().map(|r| r.id));
    for (key, rows) in groups {
        if rows.len() < GROUP_FROM {
            match key.4 {
                Shape::Value => values.extend(rows),
                _ => ratios.extend(rows),
            }
            continue;
        }
        for batch in rows.chunks(GROUP_ROWS) {
            insert_group(&mut *conn, source_seq, key.4, batch).await?;
        }
    }
    for (shape, rows) in [
        (Shape::Value, values),
        (Shape::Ratio, ratios),
        (Shape::Any, others),
    ] {
        for batch in rows.chunks(INSERT_ROWS) {
            insert(&mut *conn, source_seq, shape, batch).await?;
        }
    }
    Ok(())
}

/// Inserts rows that share region, status, Datenstand and currency in one statement, binding
/// what they share once.
async fn insert_group(
    conn: &mut sqlx::SqliteConnection,
    source_seq: i64,
    shape: Shape,
    batch: &[NewRow<'_>],
) -> Result<()> {
    let Some(first) = batch.first() else {
        return Ok(());
    };
    let (columns, picked, width) = match shape {
        Shape::Ratio => ("numerator, denominator", "column5, column6", 6),
        _ => ("value", "column5", 5),
    };
    let sql = format!(
        "INSERT INTO observation (region_id, status, datenstand, source_seq, is_current, id,
             indicator_code, breakdown, period, {columns})
         SELECT ?, ?, ?, ?, ?, column1, column2, column3, column4, {picked}
         FROM (VALUES {}) AS v",
        marks(Backend::Sqlite, batch.len(), width)
    );
    let obs = first.obs;
    let mut query = sqlx::query(&sql)
        .bind(obs.region.as_str())
        .bind(obs.status.as_str())
        .bind(obs.datenstand.to_string())
        .bind(source_seq)
        .bind(i64::from(first.current));
    for row in batch {
        query = query
            .bind(row.id)
            .bind(row.obs.indicator.as_str())
            .bind(row.breakdown)
            .bind(row.obs.period().to_string());
        query = match shape {
            Shape::Ratio => query.bind(row.obs.numerator).bind(row.obs.denominator),
            _ => query.bind(row.obs.value),
        };
    }
    query
        .persistent(batch.len() == GROUP_ROWS)
        .execute(conn)
        .await?;
    Ok(())
}

/// Inserts rows of one shape in one statement.
async fn insert(
    conn: &mut sqlx::SqliteConnection,
    source_seq: i64,
    shape: Shape,
    batch: &[NewRow<'_>],
) -> Result<()> {
    let (columns, width) = match shape {
        Shape::Value => ("value", 10),
        Shape::Ratio => ("numerator, denominator", 11),
        Shape::Any => ("value, numerator, denominator", 12),
    };
    let sql = format!(
        "INSERT INTO observation (id, region_id, indicator_code, period, breakdown,
             status, datenstand, source_seq, is_current, {columns})
         VALUES {}",
        marks(Backend::Sqlite, batch.len(), width)
    );
    let mut query = sqlx::query(&sql);
    for row in batch {
        let obs = row.obs;
        query = query
            .bind(row.id)
            .bind(obs.region.as_str())
            .bind(obs.indicator.as_str())
            .bind(obs.period().to_string())
            .bind(row.breakdown)
            .bind(obs.status.as_str())
            .bind(obs.datenstand.to_string())
            .bind(source_seq)
            .bind(i64::from(row.current));
        query = match shape {
            Shape::Value => query.bind(obs.value),
            Shape::Ratio => query.bind(obs.numerator).bind(obs.denominator),
            Shape::Any => query
                .bind(obs.value)
                .bind(obs.numerator)
                .bind(obs.denominator),
        };
    }
    query
        .persistent(batch.len() == INSERT_ROWS)
        .execute(conn)
        .await?;
    Ok(())
}

/// The bytes of COPY data sent at a time.
const COPY_BUFFER: usize = 1 << 20;

/// Writes new rows on PostgreSQL with `COPY … FROM STDIN` in text format: one stream per part,
/// which the server reads without a statement, a parse or a plan per row.
async fn copy_rows(
    conn: &mut sqlx::PgConnection,
    source_seq: i64,
    rows: &[NewRow<'_>],
) -> Result<()> {
    use std::io::Write;
    if rows.is_empty() {
        return Ok(());
    }
    let mut copy = conn
        .copy_in_raw(
            "COPY observation (id, region_id, indicator_code, period, breakdown, status,
                 datenstand, source_seq, is_current, value, numerator, denominator) FROM STDIN",
        )
        .await?;
    let mut buf = Vec::with_capacity(COPY_BUFFER + 1024);
    for row in rows {
        let obs = row.obs;
        write!(buf, "{}\t", row.id).expect("writing to memory");
        for text in [
            obs.region.as_str(),
            obs.indicator.as_str(),
            &obs.period().to_string(),
            row.breakdown,
            obs.status.as_str(),
            &obs.datenstand.to_string(),
        ] {
            copy_text(&mut buf, text);
            buf.push(b'\t');
        }
        write!(buf, "{source_seq}\t{}", i64::from(row.current)).expect("writing to memory");
        for number in [obs.value, obs.numerator, obs.denominator] {
            match number {
                // Rust writes the shortest digits that read back as the same f64.
                Some(v) => write!(buf, "\t{v}").expect("writing to memory"),
                None => buf.extend_from_slice(b"\t\\N"),
            }
        }
        buf.push(b'\n');
        if buf.len() >= COPY_BUFFER {
            copy.send(std::mem::replace(
                &mut buf,
                Vec::with_capacity(COPY_BUFFER + 1024),
            ))
            .await?;
        }
    }
    if !buf.is_empty() {
        copy.send(buf).await?;
    }
    copy.finish().await?;
    Ok(())
}

/// `text` as a field of COPY's text format: backslash, tab, newline and carriage return
/// escaped.
fn copy_text(buf: &mut Vec<u8>, text: &str) {
    for b in text.bytes() {
        match b {
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            _ => buf.push(b),
        }
    }
}

/// Which value columns an inserted row fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Shape {
    Value,
    Ratio,
    Any,
}

/// The columns [`current_value_from_row`] reads.
/// The kind of period of a read across regions. Months have no index across regions (it would
/// make every import pay for it): they are read the slow way, correctly.
fn across_condition(kind: PeriodKind) -> &'static str {
    match kind {
        PeriodKind::Year => "LENGTH(period) <> 7 AND LENGTH(period) = 4",
        PeriodKind::Mean12 => "LENGTH(period) <> 7 AND LENGTH(period) = 16",
        PeriodKind::Month => "LENGTH(period) = 7",
    }
}

/// The condition of current values: totals or breakdowns, of one kind of period (told apart by
/// the length of the stored period).
fn current_condition(breakdowns: bool, kind: PeriodKind) -> &'static str {
    match (breakdowns, kind) {
        (true, PeriodKind::Month) => {
            "o.is_current = 1 AND o.breakdown <> '' AND LENGTH(o.period) = 7"
        }
        (false, PeriodKind::Month) => {
            "o.is_current = 1 AND o.breakdown = '' AND LENGTH(o.period) = 7"
        }
        (_, PeriodKind::Year) => "o.is_current = 1 AND o.breakdown = '' AND LENGTH(o.period) = 4",
        (_, PeriodKind::Mean12) => {
            "o.is_current = 1 AND o.breakdown = '' AND LENGTH(o.period) = 16"
        }
    }
}

const SELECT_VALUES: &str = "SELECT o.indicator_code, o.period, o.breakdown, o.value, o.numerator,
        o.denominator, o.status, o.datenstand, s.kind AS source_kind, s.label AS source_label
     FROM observation o JOIN source s ON s.seq = o.source_seq";

fn current_value_from_row(region: &RegionId, r: &sqlx::any::AnyRow) -> Result<CurrentValue> {
    let status: String = r.try_get("status")?;
    let kind: String = r.try_get("source_kind")?;
    let period: String = r.try_get("period")?;
    let period = Period::parse(&period).map_err(|_| StoreError::Corrupt {
        table: "observation",
        column: "period",
        value: period.clone(),
    })?;
    Ok(CurrentValue {
        observation: Observation {
            region: region.clone(),
            indicator: parse_col(
                "observation",
                "indicator_code",
                r.try_get("indicator_code")?,
            )?,
            month: period.end,
            period: period.kind,
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

#[cfg(test)]
mod tests {
    use super::copy_text;

    #[test]
    fn copy_fields_escape_what_the_text_format_reads_as_structure() {
        let mut buf = Vec::new();
        copy_text(&mut buf, "a\tb\\c\nd\re\u{e4}");
        assert_eq!(buf, "a\\tb\\\\c\\nd\\re\u{e4}".as_bytes());
        let mut plain = Vec::new();
        copy_text(&mut plain, "haushalt=2");
        assert_eq!(plain, b"haushalt=2");
    }
}
