//! Assessments are data: each agreement's status, target path and year-end forecast for every
//! reporting month of its year are computed when the data changes, in the background, and kept
//! with the data version they rest on. Pages and the API read them; a read never fits a model.
//!
//! A [`Snapshot`] is an agreement's inputs as loaded at one data version (the agreement, its
//! values, comments and figures by household size) together with the model fits its forecasts
//! need for every month of the year, pinned (see [`zielwerk_forecast::fits`]), and its series and
//! target paths evaluated once ([`zielwerk_engine::Prepared`]). Rendering a month applies the
//! status rule to those series and finds every forecast among the fits.
//!
//! Every write moves the store's data version (also writes of other processes, such as a
//! command-line import). A worker notices within a second and computes the snapshots again, one
//! agreement after the other; a read that finds its snapshot behind starts that agreement's
//! computation at once. Fits are
//! kept by the content of their history window, so only the series that changed are fitted again;
//! the rest is loading and arithmetic. A read that finds its snapshot behind waits a moment for
//! the new one (an import of a few values is usually computed by then); after that it gets the
//! last snapshot, marked as not current: a page shows the whole last assessment and says so,
//! never new values next to old forecasts. Only an agreement read for the first time waits for
//! its computation (once, shared by every reader).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use chrono::{DateTime, Utc};
use zielwerk_domain::{AgreementKey, CurrentValue, YearMonth};
use zielwerk_store::Store;

use crate::AppError;
use crate::documents::Loaded;

/// How often the worker looks whether the data version moved (writes of any process).
const POLL: Duration = Duration::from_secs(1);

/// An agreement's inputs at one data version, with the fits of all its forecasts.
#[derive(Debug)]
pub struct Snapshot {
    /// The data version read before the inputs were loaded: the inputs are at least this new.
    pub version: i64,
    pub computed_at: DateTime<Utc>,
    pub loaded: Loaded,
    /// Values by household size (they explain changes of totals).
    pub breakdowns: Vec<CurrentValue>,
    /// Earlier revisions of the agreement's stored values (a goal page lists those of its own).
    pub superseded: Vec<CurrentValue>,
    /// Later versions (Nachträge) of the agreement.
    pub later: Vec<zielwerk_store::AgreementSummary>,
    /// The agreement's series evaluated for every month (see [`zielwerk_engine::Prepared`]).
    prepared: zielwerk_engine::Prepared,
    /// Models fitted for this snapshot (the others were found among earlier fits).
    pub fitted: u64,
    fits: zielwerk_forecast::Pins,
}

impl Snapshot {
    /// The agreement assessed at `as_of`: its series are evaluated, its forecasts' fits kept.
    pub fn at(&self, as_of: YearMonth) -> zielwerk_engine::AgreementState<'_> {
        self.prepared.at(&self.loaded.agreement, as_of)
    }

    /// The fits it holds.
    pub fn fits(&self) -> usize {
        self.fits.len()
    }
}

/// A snapshot as read, and whether it rests on the current data.
#[derive(Debug, Clone)]
pub struct Read {
    pub snapshot: Arc<Snapshot>,
    /// `false` while newer data is being computed: what is shown is the last assessment.
    pub current: bool,
}

/// The kept snapshots and the worker that keeps them current.
#[derive(Debug)]
pub struct Assessments {
    store: Store,
    snapshots: Mutex<HashMap<AgreementKey, Arc<Snapshot>>>,
    /// One computation per agreement at a time; a second reader waits for the first one's.
    computing: Mutex<HashMap<AgreementKey, Arc<tokio::sync::Mutex<()>>>>,
    /// Counts the snapshots kept, so that readers can wait for a newer one.
    published: tokio::sync::watch::Sender<u64>,
    worker: std::sync::Once,
}

impl Assessments {
    pub fn new(store: Store) -> Arc<Self> {
        Arc::new(Self {
            store,
            snapshots: Mutex::default(),
            computing: Mutex::default(),
            published: tokio::sync::watch::Sender::new(0),
            worker: std::sync::Once::new(),
        })
    }

    /// The snapshot of `key` (which the caller has authorised). The first read of an agreement
    /// waits for its computation. When the kept snapshot is behind the data, its computation
    /// starts at once and the read waits for it up to `wait` (usually enough for the series one
    /// import changed); after that it gets the kept snapshot, marked not current.
    pub async fn read(
        self: &Arc<Self>,
        key: &AgreementKey,
        wait: Duration,
    ) -> Result<Read, AppError> {
        let version = self.store.data_version().await?;
        self.read_at(key, version, wait).await
    }

    /// As [`Assessments::read`], for a caller that has just read the data version `version`.
    pub async fn read_at(
        self: &Arc<Self>,
        key: &AgreementKey,
        version: i64,
        wait: Duration,
    ) -> Result<Read, AppError> {
        self.start();
        if let Some(kept) = self.kept(key) {
            if kept.version >= version {
                return Ok(Read {
                    snapshot: kept,
                    current: true,
                });
            }
            let mut published = self.published.subscribe();
            let me = self.clone();
            let k = key.clone();
            // A task of its own: the computation goes on (for the next reader) when this one
            // stops waiting.
            tokio::spawn(async move {
                if let Err(e) = me.compute(&k, version).await {
                    tracing::warn!("Bewertung von {k} nicht berechnet: {e}");
                }
            });
            let deadline = tokio::time::Instant::now() + wait;
            loop {
                let now = self.kept(key).unwrap_or(kept.clone());
                if now.version >= version {
                    return Ok(Read {
                        snapshot: now,
                        current: true,
                    });
                }
                match tokio::time::timeout_at(deadline, published.changed()).await {
                    Ok(Ok(())) => continue,
                    _ => {
                        return Ok(Read {
                            snapshot: now,
                            current: false,
                        });
                    }
                }
            }
        }
        let snapshot = self.compute(key, version).await?;
        Ok(Read {
            current: snapshot.version >= version,
            snapshot,
        })
    }

    /// The kept snapshot of `key`, whatever its data version, without waiting or computing; the
    /// background worker (started here) computes every agreement in turn. For views over many
    /// agreements (the Land view), which must not start hundreds of computations at once.
    pub fn latest(self: &Arc<Self>, key: &AgreementKey) -> Option<Arc<Snapshot>> {
        self.start();
        self.kept(key)
    }

    fn kept(&self, key: &AgreementKey) -> Option<Arc<Snapshot>> {
        lock(&self.snapshots).get(key).cloned()
    }

    /// The snapshot of `key` at data version `version` or newer: the kept one, or computed.
    async fn compute(&self, key: &AgreementKey, version: i64) -> Result<Arc<Snapshot>, AppError> {
        let gate = lock(&self.computing)
            .entry(key.clone())
            .or_default()
            .clone();
        let _turn = gate.lock().await;
        if let Some(s) = self.kept(key).filter(|s| s.version >= version) {
            return Ok(s);
        }
        // Read before loading: the inputs are at least as new as the version noted.
        let version = self.store.data_version().await?;
        let loaded = match crate::documents::load(&self.store, key).await {
            Ok(l) => l,
            Err(e) => {
                if matches!(e, AppError::NotFound(_)) {
                    lock(&self.snapshots).remove(key);
                }
                return Err(e);
            }
        };
        let breakdowns = self
            .store
            .breakdown_values(
                &loaded.agreement.jobcenter.ba_id,
                &loaded.agreement.stored_indicator_codes(),
            )
            .await?;
        let superseded = self
            .store
            .superseded_values(
                &loaded.agreement.jobcenter.ba_id,
                &loaded.agreement.stored_indicator_codes(),
            )
            .await?;
        let later = self
            .store
            .agreements()
            .await?
            .into_iter()
            .filter(|a| {
                a.jobcenter == key.jobcenter && a.year == key.year && a.version > key.version
            })
            .collect();
        let (loaded, breakdowns, prepared, fits, fitted) = crate::compute::blocking(move || {
            let observations: Vec<_> = loaded
                .values
                .iter()
                .chain(&breakdowns)
                .map(|v| v.observation.clone())
                .collect();
            let prepared = zielwerk_engine::prepare(&loaded.agreement, &observations);
            let before = zielwerk_forecast::fits::fitted();
            let (_, fits) =
                zielwerk_forecast::pinning(|| forecast_every_month(&loaded.agreement, &prepared));
            let fitted = zielwerk_forecast::fits::fitted().saturating_sub(before);
            Ok::<_, AppError>((loaded, breakdowns, prepared, fits, fitted))
        })
        .await?;
        let snapshot = Arc::new(Snapshot {
            version,
            computed_at: Utc::now(),
            loaded,
            breakdowns,
            superseded,
            later,
            prepared,
            fitted,
            fits,
        });
        lock(&self.snapshots).insert(key.clone(), snapshot.clone());
        self.published.send_modify(|n| *n += 1);
        Ok(snapshot)
    }

    /// Computes every agreement whose snapshot is behind `version` (all of them at the start).
    async fn refresh(&self, version: i64) -> Result<(), AppError> {
        for a in self.store.agreements().await? {
            if self.kept(&a.key).is_none_or(|s| s.version < version) {
                match self.compute(&a.key, version).await {
                    Ok(_) | Err(AppError::NotFound(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }

    /// Starts the worker on the current runtime, once. It ends when the assessments are dropped.
    fn start(self: &Arc<Self>) {
        self.worker.call_once(|| {
            let this: Weak<Self> = Arc::downgrade(self);
            tokio::spawn(async move {
                let mut done = None;
                loop {
                    let Some(me) = this.upgrade() else { break };
                    match me.store.data_version().await {
                        Ok(v) if done != Some(v) => match me.refresh(v).await {
                            Ok(()) => done = Some(v),
                            Err(e) => tracing::warn!("Bewertungen nicht neu berechnet: {e}"),
                        },
                        Ok(_) => {}
                        Err(e) => tracing::warn!("Datenstand nicht lesbar: {e}"),
                    }
                    drop(me);
                    tokio::time::sleep(POLL).await;
                }
            });
        });
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Assesses the agreement at every month of its year and forecasts every goal: the fits this
/// makes or finds are what a snapshot pins.
fn forecast_every_month(
    agreement: &zielwerk_domain::Agreement,
    prepared: &zielwerk_engine::Prepared,
) {
    let Ok((jan, dec)) = YearMonth::year_bounds(agreement.year) else {
        return;
    };
    for month in jan.through(dec) {
        let state = prepared.at(agreement, month);
        for g in &state.goals {
            let _ = zielwerk_report::present::year_end(g, month);
        }
    }
}
