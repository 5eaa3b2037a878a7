//! Where CPU work runs. Assessing and forecasting every goal, and setting documents, is CPU
//! work: it runs on the blocking pool, never on the threads that serve requests, and no more of
//! it at once than there are cores. More in parallel would finish no sooner but hold the memory
//! of each at the same time (twenty monitoring PDFs at once grew the server by 650 MB in the
//! attack run); the rest wait their turn without a thread.

use crate::AppError;

/// Runs `work` on the blocking pool, one turn per core.
pub async fn blocking<T: Send + 'static, E: Into<AppError> + Send + 'static>(
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, AppError> {
    static TURNS: std::sync::OnceLock<std::sync::Arc<tokio::sync::Semaphore>> =
        std::sync::OnceLock::new();
    let turns = TURNS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        std::sync::Arc::new(tokio::sync::Semaphore::new(cores))
    });
    let turn = turns
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| AppError::Internal(format!("Berechnung abgebrochen: {e}")))?;
    tokio::task::spawn_blocking(move || {
        let _turn = turn;
        work().map_err(Into::into)
    })
    .await
    .map_err(|e| AppError::Internal(format!("Berechnung abgebrochen: {e}")))?
}
