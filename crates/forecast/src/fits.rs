//! The fitted models and the chosen forecasts, kept in one place: every forecast reads its model
//! fits and its choice of method from here.
//!
//! A fit is a pure function of the history window it is fitted on, so it is kept by the content
//! of that window (a SHA-256 of its values) and never goes stale: when an import changes one
//! series, only the windows of that series are new and fitted; every other series finds its fits
//! again. Each fit predicts [`FIT_HORIZON`] months; a forecast of fewer months reads the first
//! ones (the model's forecasts and intervals are per step, so this is the same as fitting for the
//! shorter horizon). The choice of method of a year-end forecast at month *m* (see
//! [`crate::choice`]) uses the fits at the 24 origins before *m*; the forecast at *m* + 1 shares
//! 23 of them. The chosen forecast itself is kept the same way, by its history, season and
//! horizon.
//!
//! The memo is bounded in two generations (the older one is dropped when the younger is full;
//! a hit in the older generation moves the fit to the younger). Fits that a caller pins with
//! [`pinning`] stay findable as long as the caller holds the [`Pins`], whatever the generations
//! drop: a precomputed assessment keeps its fits this way, so reading it never fits a model.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, Weak};

use sha2::{Digest, Sha256};

use crate::choice::ChosenForecast;
use crate::{ForecastError, Prediction};

/// Months every fit predicts (a forecast in January reaches December in 11 months).
pub const FIT_HORIZON: usize = 12;
/// Fits per generation; a fit is about half a kilobyte.
const GENERATION: usize = 40_000;

pub(crate) type Fit = Result<Prediction, ForecastError>;
/// A chosen forecast, or `None` when the history allows none.
pub(crate) type Choice = Option<ChosenForecast>;

struct Memo<T> {
    young: HashMap<u128, Arc<T>>,
    old: HashMap<u128, Arc<T>>,
    pinned: HashMap<u128, Weak<T>>,
    /// Size of `pinned` at which dead entries are swept next.
    sweep_at: usize,
}

impl<T> Default for Memo<T> {
    fn default() -> Self {
        Self {
            young: HashMap::new(),
            old: HashMap::new(),
            pinned: HashMap::new(),
            sweep_at: 0,
        }
    }
}

impl<T> Memo<T> {
    fn get(&mut self, key: u128) -> Option<Arc<T>> {
        if let Some(f) = self.young.get(&key) {
            return Some(f.clone());
        }
        let found = self
            .old
            .remove(&key)
            .or_else(|| self.pinned.get(&key).and_then(Weak::upgrade))?;
        self.put(key, found.clone());
        Some(found)
    }

    fn put(&mut self, key: u128, fit: Arc<T>) {
        if self.young.len() >= GENERATION {
            self.old = std::mem::take(&mut self.young);
        }
        self.young.insert(key, fit);
    }

    fn pin(&mut self, key: u128, fit: &Arc<T>) {
        self.pinned.insert(key, Arc::downgrade(fit));
        if self.pinned.len() >= self.sweep_at {
            self.pinned.retain(|_, w| w.strong_count() > 0);
            self.sweep_at = (self.pinned.len() * 2).max(1024);
        }
    }
}

static MEMO: LazyLock<Mutex<Memo<Fit>>> = LazyLock::new(Default::default);
/// Chosen forecasts by history, season and horizon: one key per goal and month instead of one
/// per evaluation origin.
static CHOSEN: LazyLock<Mutex<Memo<Choice>>> = LazyLock::new(Default::default);
static FITTED: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static COLLECTING: RefCell<Option<Pins>> = const { RefCell::new(None) };
    static BYPASS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with every fit made afresh on this thread, neither found in nor added to the memo:
/// the direct computation that tests compare kept results with.
pub fn afresh<R>(f: impl FnOnce() -> R) -> R {
    let outer = BYPASS.with(|b| b.replace(true));
    let result = f();
    BYPASS.with(|b| b.set(outer));
    result
}

/// The fits and chosen forecasts a computation used, held so that they stay findable (see
/// [`pinning`]).
#[derive(Debug, Clone, Default)]
pub struct Pins {
    pub(crate) fits: Vec<Arc<Fit>>,
    pub(crate) chosen: Vec<Arc<Choice>>,
}

impl Pins {
    /// How many fits and chosen forecasts are held.
    pub fn len(&self) -> usize {
        self.fits.len() + self.chosen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn extend(&mut self, other: &Pins) {
        self.fits.extend(other.fits.iter().cloned());
        self.chosen.extend(other.chosen.iter().cloned());
    }
}

/// Runs `f` and returns, with its result, every fit it read or made on this thread. While the
/// [`Pins`] live, those fits are found again without fitting.
pub fn pinning<R>(f: impl FnOnce() -> R) -> (R, Pins) {
    let outer = COLLECTING.with(|c| c.replace(Some(Pins::default())));
    let result = f();
    let mine = COLLECTING.with(|c| c.replace(outer)).unwrap_or_default();
    COLLECTING.with(|c| {
        if let Some(outer) = c.borrow_mut().as_mut() {
            outer.extend(&mine);
        }
    });
    (result, mine)
}

/// `f` of every item, in order, on every core: scoped threads that make their fits as the
/// calling thread would (afresh when it is in [`afresh`]; the fits they read or make are pinned
/// with the caller's when it is [`pinning`]).
pub(crate) fn on_every_core<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores < 2 || items.len() < 2 {
        return items.iter().map(&f).collect();
    }
    let bypass = BYPASS.with(std::cell::Cell::get);
    let collecting = COLLECTING.with(|c| c.borrow().is_some());
    // Every core takes every n-th item: the late items (the longest histories, the seasonal
    // model) are shared out evenly.
    let workers = cores.min(items.len());
    let parts: Vec<(Vec<R>, Option<Pins>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let f = &f;
                scope.spawn(move || {
                    BYPASS.with(|b| b.set(bypass));
                    let mine = || {
                        items
                            .iter()
                            .skip(w)
                            .step_by(workers)
                            .map(f)
                            .collect::<Vec<R>>()
                    };
                    if collecting {
                        let (out, pins) = pinning(mine);
                        (out, Some(pins))
                    } else {
                        (mine(), None)
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut columns: Vec<std::vec::IntoIter<R>> = Vec::with_capacity(workers);
    for (results, pins) in parts {
        columns.push(results.into_iter());
        if let Some(pins) = pins {
            COLLECTING.with(|c| {
                if let Some(mine) = c.borrow_mut().as_mut() {
                    mine.extend(&pins);
                }
            });
        }
    }
    (0..items.len())
        .filter_map(|i| columns[i % workers].next())
        .collect()
}

/// How many models were fitted in this process (for tests and benchmarks: a read that finds
/// its fits leaves it unchanged).
pub fn fitted() -> u64 {
    FITTED.load(Ordering::Relaxed)
}

fn key(history: &[f64]) -> u128 {
    keyed(history, &[])
}

fn keyed(history: &[f64], extra: &[u8]) -> u128 {
    let mut h = Sha256::new();
    h.update(extra);
    for v in history {
        h.update(v.to_bits().to_le_bytes());
    }
    let digest = h.finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    u128::from_le_bytes(first)
}

/// The fit of `history` for [`FIT_HORIZON`] months: found, or made with `fit` and kept.
pub(crate) fn fitted_for(history: &[f64], fit: impl FnOnce() -> Fit) -> Arc<Fit> {
    kept_in(
        &MEMO,
        key(history),
        fit,
        |pins| &mut pins.fits,
        || {
            FITTED.fetch_add(1, Ordering::Relaxed);
        },
    )
}

/// The chosen forecast of `history` (`period` per season) for `horizon` periods: found, or made
/// with `choose` and kept.
pub(crate) fn chosen_for(
    history: &[f64],
    period: usize,
    horizon: usize,
    choose: impl FnOnce() -> Choice,
) -> Arc<Choice> {
    let mut extra = [0u8; 16];
    extra[..8].copy_from_slice(&(period as u64).to_le_bytes());
    extra[8..].copy_from_slice(&(horizon as u64).to_le_bytes());
    kept_in(
        &CHOSEN,
        keyed(history, &extra),
        choose,
        |pins| &mut pins.chosen,
        || {},
    )
}

/// What `memo` keeps under `key`: found, or made with `make` (outside the lock: other series'
/// forecasts go on meanwhile; two threads missing the same key both make it, with the same
/// result) and kept; pinned with the caller's [`Pins`] when it is [`pinning`]; made afresh and
/// not kept in [`afresh`]. `made` counts what is made.
fn kept_in<T>(
    memo: &Mutex<Memo<T>>,
    key: u128,
    make: impl FnOnce() -> T,
    pins_of: fn(&mut Pins) -> &mut Vec<Arc<T>>,
    made: impl FnOnce(),
) -> Arc<T> {
    if BYPASS.with(std::cell::Cell::get) {
        return Arc::new(make());
    }
    let lock = || memo.lock().unwrap_or_else(|e| e.into_inner());
    let found = lock().get(key);
    let f = match found {
        Some(f) => f,
        None => {
            made();
            let f = Arc::new(make());
            lock().put(key, f.clone());
            f
        }
    };
    COLLECTING.with(|c| {
        if let Some(pins) = c.borrow_mut().as_mut() {
            lock().pin(key, &f);
            pins_of(pins).push(f.clone());
        }
    });
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake(point: f64) -> Fit {
        Ok(Prediction {
            point: vec![point],
            lower: vec![point],
            upper: vec![point],
            method: crate::Method::Ets,
        })
    }

    #[test]
    fn a_window_is_fitted_once_and_pinned_fits_survive_the_generations() {
        let history = [1.5, 2.5, -0.0, 7.25];
        let before = fitted();
        let (_, pins) = pinning(|| fitted_for(&history, || fake(1.0)));
        assert_eq!(pins.len(), 1);
        let again = fitted_for(&history, || panic!("found again, not fitted"));
        assert_eq!(again.as_ref(), &fake(1.0));
        // Flood both generations with other windows: the pinned fit is still found.
        for i in 0..(2 * GENERATION + 10) {
            fitted_for(&[i as f64, 0.123_456], || fake(0.0));
        }
        assert!(fitted() > before);
        let still = fitted_for(&history, || panic!("pinned, not fitted"));
        assert_eq!(still.as_ref(), &fake(1.0));
        drop(pins);
        // A value that differs in its last bit is another window.
        let other = [1.5, 2.5, 0.0, 7.25];
        assert_eq!(fitted_for(&other, || fake(2.0)).as_ref(), &fake(2.0));
    }
}
