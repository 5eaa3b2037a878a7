//! What a person can read, each query authorised inside: the agreements they may see, an
//! agreement assessed at a month, a goal with its forecast, an indicator's series with its
//! provenance. Another Jobcenter's object is "not found", never "forbidden".

use std::sync::Arc;
use zielwerk_domain::{
    Action, Agreement, AgreementKey, BaId, CurrentValue, IndicatorCode, Key, Principal, Status,
    Target, ValueComment, YearMonth,
};
use zielwerk_engine::default_as_of;

use zielwerk_store::{AgreementSummary, Store};

use crate::assessments::{Assessments, Snapshot};
use crate::{AppError, Problem, access};

/// The message for an agreement id that does not exist (or that `p` may not know of).
pub fn agreement_missing(id: &str) -> String {
    format!("Die Vereinbarung „{id}“ gibt es nicht.")
}

/// The agreement id as typed, for `p` doing `action`: not found for ids that do not parse, do
/// not exist, or belong to a Jobcenter `p` may not see.
pub fn agreement_key(p: &Principal, id: &str, action: Action) -> Result<AgreementKey, AppError> {
    let key: AgreementKey = id
        .parse()
        .map_err(|_| AppError::NotFound(agreement_missing(id)))?;
    access::require(p, &key.jobcenter, action, || agreement_missing(id))?;
    Ok(key)
}

/// Every agreement version `p` may read internally, newest year first.
pub async fn agreements(store: &Store, p: &Principal) -> Result<Vec<AgreementSummary>, AppError> {
    Ok(store
        .agreements()
        .await?
        .into_iter()
        .filter(|a| p.may(&a.jobcenter, Action::ReadInternal))
        .collect())
}

/// The reporting month of a request: the one asked for, which must lie in the agreement's year,
/// or the latest month with values (see [`default_as_of`]). `field` names the parameter.
pub fn as_of(
    agreement: &Agreement,
    values: &[CurrentValue],
    wanted: Option<&str>,
    field: &str,
) -> Result<YearMonth, AppError> {
    match wanted.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default_as_of(
            agreement,
            values.iter().map(|v| v.observation.month),
        )),
        Some(s) => {
            let m: YearMonth = s.parse().map_err(|e| {
                AppError::Invalid(vec![Problem::at(
                    field,
                    format!("Parameter „{field}“: {e}"),
                )])
            })?;
            if m.year() != agreement.year {
                return Err(AppError::Invalid(vec![Problem::at(
                    field,
                    format!(
                        "Parameter „{field}“: {m} liegt nicht im Vereinbarungsjahr {}",
                        agreement.year
                    ),
                )]));
            }
            Ok(m)
        }
    }
}

/// An agreement as last assessed (see [`crate::assessments`]), at a reporting month, for `p`
/// who may read it.
pub struct Assessed {
    pub snapshot: Arc<Snapshot>,
    /// `false` while newer data is being computed: this is the last assessment.
    pub current: bool,
    pub as_of: YearMonth,
}

impl Assessed {
    pub fn agreement(&self) -> &Agreement {
        &self.snapshot.loaded.agreement
    }

    pub fn values(&self) -> &[CurrentValue] {
        &self.snapshot.loaded.values
    }

    pub fn comments(&self) -> &[ValueComment] {
        &self.snapshot.loaded.comments
    }
}

/// The agreement `id` as last assessed, for `p`, at the reporting month `wanted` (or the
/// default one); waits up to `wait` for data that just changed (see
/// [`Assessments::read`]).
pub async fn assessed(
    assessments: &Arc<Assessments>,
    p: &Principal,
    id: &str,
    wanted: Option<&str>,
    wait: std::time::Duration,
) -> Result<Assessed, AppError> {
    let key = agreement_key(p, id, Action::ReadInternal)?;
    let read = assessments.read(&key, wait).await?;
    let l = &read.snapshot.loaded;
    let as_of = as_of(&l.agreement, &l.values, wanted, "stand")?;
    Ok(Assessed {
        snapshot: read.snapshot,
        current: read.current,
        as_of,
    })
}

/// The year-end forecast of a goal.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    pub point: f64,
    pub lower: f64,
    pub upper: f64,
    /// Probability of reaching the target, 0 to 1.
    pub probability: f64,
    /// The method, in a few German words; `None` when December is known.
    pub method: Option<String>,
    /// Which method and why, in German sentences; `None` when December is known.
    pub method_reason: Option<String>,
}

/// One goal at the reporting month.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalReport {
    pub key: Key,
    pub area: Key,
    pub title: String,
    pub indicator: IndicatorCode,
    pub responsible: zielwerk_domain::PartyRole,
    pub status: Status,
    /// The rule that decided, in German.
    pub reason: String,
    /// The month the value refers to.
    pub month: Option<YearMonth>,
    pub value: Option<f64>,
    pub target_to_date: Option<f64>,
    pub tolerance: Option<f64>,
    /// The agreed year's target (December of the target path).
    pub year_target: Option<f64>,
    /// `None` for milestones; `Err` with the German reason when there is none.
    pub forecast: Option<Result<Forecast, String>>,
}

/// Every goal of `a` at its reporting month, with status and forecast (CPU work: run it through
/// [`crate::compute::blocking`]).
pub fn goal_reports(a: &Assessed) -> Vec<GoalReport> {
    let st = a.snapshot.at(a.as_of);
    st.goals
        .iter()
        .map(|g| {
            let forecast = zielwerk_report::present::year_end(g, a.as_of).map(|r| {
                r.map(|y| Forecast {
                    point: y.point,
                    lower: y.lower,
                    upper: y.upper,
                    probability: y.probability,
                    method: y.method.as_ref().map(|m| m.label.clone()),
                    method_reason: y.method.map(|m| m.sentence),
                })
                .map_err(|e| e.to_string())
            });
            GoalReport {
                key: g.goal.key.clone(),
                area: g.goal.area.clone(),
                title: g.goal.title.clone(),
                indicator: g.indicator.code.clone(),
                responsible: g.goal.responsible,
                status: g.assessment.status,
                reason: g.assessment.reason.clone(),
                month: g.assessment.month,
                value: g.assessment.actual,
                target_to_date: g.assessment.target,
                tolerance: g.assessment.tolerance,
                year_target: match g.goal.target {
                    Target::Milestone { .. } => None,
                    _ => g
                        .target_path
                        .iter()
                        .rev()
                        .find(|(m, _)| m.month() == 12)
                        .map(|(_, t)| *t),
                },
                forecast,
            }
        })
        .collect()
}

/// The goal `goal` of an assessed agreement, or not found.
pub fn goal_report(a: &Assessed, goal: &str) -> Result<GoalReport, AppError> {
    let missing = || {
        AppError::NotFound(format!(
            "Das Ziel „{goal}“ gibt es in dieser Vereinbarung nicht."
        ))
    };
    let key: Key = goal.parse().map_err(|_| missing())?;
    if a.agreement().goal(&key).is_none() {
        return Err(missing());
    }
    goal_reports(a)
        .into_iter()
        .find(|g| g.key == key)
        .ok_or_else(missing)
}

/// One month of an indicator's series.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesPoint {
    pub month: YearMonth,
    pub value: f64,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub status: zielwerk_domain::ValueStatus,
    /// The latest Datenstand of the values it was computed from.
    pub datenstand: Option<chrono::NaiveDate>,
    /// The sources of those values.
    pub sources: Vec<String>,
}

/// An indicator of an agreement with its series, every month on record, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesReport {
    pub agreement: AgreementKey,
    pub indicator: zielwerk_domain::Indicator,
    pub points: Vec<SeriesPoint>,
}

/// The series of the indicator `indicator` of agreement `id` (computed from its components where
/// the agreement defines it by a formula), for `p` who may read it.
pub async fn series(
    store: &Store,
    p: &Principal,
    id: &str,
    indicator: &str,
) -> Result<SeriesReport, AppError> {
    let key = agreement_key(p, id, Action::ReadInternal)?;
    let agreement = store
        .agreement(&key)
        .await?
        .ok_or_else(|| AppError::NotFound(agreement_missing(id)))?;
    let missing = || {
        AppError::NotFound(format!(
            "Die Kennzahl „{indicator}“ gibt es in dieser Vereinbarung nicht."
        ))
    };
    let code: IndicatorCode = indicator.parse().map_err(|_| missing())?;
    let ind = agreement.indicator(&code).ok_or_else(missing)?.clone();
    // Only the values this indicator is computed from.
    let values = store
        .current_values(
            &agreement.jobcenter.ba_id,
            &agreement.stored_inputs(&ind.code),
        )
        .await?;
    Ok(series_of(&agreement, &values, ind))
}

/// The series of `ind` from an agreement's current values, with provenance per month.
pub fn series_of(
    agreement: &Agreement,
    values: &[CurrentValue],
    ind: zielwerk_domain::Indicator,
) -> SeriesReport {
    let inputs = agreement.stored_inputs(&ind.code);
    let totals: Vec<&CurrentValue> = values
        .iter()
        .filter(|v| v.observation.breakdown.is_none() && inputs.contains(&&v.observation.indicator))
        .collect();
    let stored: zielwerk_engine::series::SeriesSet = inputs
        .iter()
        .filter_map(|c| agreement.indicator(c))
        .map(|i| {
            (
                i.code.clone(),
                zielwerk_engine::series::stored_series(i, totals.iter().map(|v| &v.observation)),
            )
        })
        .collect();
    let series = zielwerk_engine::series::evaluate(&ind.code, &agreement.indicators, &stored);
    let points = series
        .iter()
        .map(|(m, pt)| {
            let here: Vec<&&CurrentValue> = totals
                .iter()
                .filter(|v| v.observation.month == *m)
                .collect();
            let mut sources: Vec<String> = here.iter().map(|v| v.source_label.clone()).collect();
            sources.sort();
            sources.dedup();
            SeriesPoint {
                month: *m,
                value: pt.value,
                numerator: pt.numerator,
                denominator: pt.denominator,
                status: pt.status,
                datenstand: here.iter().map(|v| v.observation.datenstand).max(),
                sources,
            }
        })
        .collect();
    SeriesReport {
        agreement: agreement.key(),
        indicator: ind,
        points,
    }
}

/// The steering meetings of agreement `id`, for `p` who may read it.
pub async fn meetings(
    store: &Store,
    p: &Principal,
    id: &str,
) -> Result<Vec<zielwerk_store::StoredMeeting>, AppError> {
    let key = agreement_key(p, id, Action::ReadInternal)?;
    exists(store, &key, id).await?;
    Ok(store.meetings(&key).await?)
}

async fn exists(store: &Store, key: &AgreementKey, id: &str) -> Result<(), AppError> {
    if store.agreement_stamp(key).await?.is_none() {
        return Err(AppError::NotFound(agreement_missing(id)));
    }
    Ok(())
}

/// The action items of Jobcenter `jobcenter` with one of `statuses` (all for none), for `p`
/// who may read its internal data.
pub async fn actions(
    store: &Store,
    p: &Principal,
    jobcenter: &str,
    statuses: Vec<zielwerk_domain::ActionStatus>,
) -> Result<Vec<zielwerk_store::StoredAction>, AppError> {
    let missing = || format!("Das Jobcenter „{jobcenter}“ gibt es nicht.");
    let j: BaId = jobcenter
        .parse()
        .map_err(|_| AppError::NotFound(missing()))?;
    access::require(p, &j, Action::ReadInternal, missing)?;
    let filter = zielwerk_store::ActionFilter {
        statuses,
        ..Default::default()
    };
    Ok(store.actions(&j, &filter).await?)
}

/// The Vorlagen of agreement `id` with the files of those published, for `p` who may read it.
pub async fn vorlagen(
    store: &Store,
    p: &Principal,
    id: &str,
) -> Result<Vec<(zielwerk_store::StoredVorlage, Vec<zielwerk_store::FileMeta>)>, AppError> {
    let key = agreement_key(p, id, Action::ReadInternal)?;
    exists(store, &key, id).await?;
    let mut out = Vec::new();
    for v in store.vorlagen(&key).await? {
        let files = if v.published_at.is_some() {
            store.vorlage_files(&v.id).await?
        } else {
            Vec::new()
        };
        out.push((v, files));
    }
    Ok(out)
}

/// A file of a published Vorlage, for `p` who may read what was published for its Jobcenter.
pub async fn vorlage_file(
    store: &Store,
    p: &Principal,
    vorlage: &str,
    name: &str,
) -> Result<(zielwerk_store::FileMeta, Vec<u8>), AppError> {
    let missing = || format!("Die Datei „{name}“ der Vorlage „{vorlage}“ gibt es nicht.");
    access::stored(
        p,
        store.vorlage(vorlage).await?,
        |v| &v.jobcenter,
        Action::ReadPublished,
        missing,
    )?;
    store
        .vorlage_file(vorlage, name)
        .await?
        .ok_or_else(|| AppError::NotFound(missing()))
}

/// The audit trail of agreement `id`, newest first, for `p` who may read it.
pub async fn audit(
    store: &Store,
    p: &Principal,
    id: &str,
) -> Result<Vec<zielwerk_store::AuditEvent>, AppError> {
    let key = agreement_key(p, id, Action::ReadAudit)?;
    exists(store, &key, id).await?;
    Ok(store.audit_trail(&key, None).await?)
}
