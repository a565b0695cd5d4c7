//! The one tokio runtime every async export and the background sync run on.
//!
//! The core's network code (reqwest, the live WebSocket) needs a tokio reactor, and live sync
//! spawns a long-running task from a synchronous export. So the bindings keep one small
//! multi-threaded runtime, started on first use and never per call.
//! An async export spawns its work here and awaits the task's handle; the foreign side (Kotlin
//! coroutines, Swift tasks, Python asyncio) only polls that handle, so it needs no tokio of its
//! own. Cancelling the foreign call (dropping the future) aborts the task, as dropping any Rust
//! future would.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::Runtime;

use crate::error::TrellisError;

/// Worker threads: network waits, not computation; two keep a phone's cores free for the UI.
const WORKERS: usize = 2;

/// The shared runtime, started on first use.
pub(crate) fn runtime() -> Result<&'static Runtime, TrellisError> {
    static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(WORKERS)
                .thread_name("trellis-runtime")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| TrellisError::Storage {
            reason: format!("cannot start the background runtime: {e}"),
        })
}

/// Aborts the task when the awaiting future is dropped (the foreign call was cancelled).
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs `work` on the shared runtime and waits for its result.
pub(crate) async fn run<T, F>(work: F) -> Result<T, TrellisError>
where
    T: Send + 'static,
    F: Future<Output = Result<T, TrellisError>> + Send + 'static,
{
    let task = runtime()?.spawn(work);
    let _abort = AbortOnDrop(task.abort_handle());
    match task.await {
        Ok(result) => result,
        Err(e) => Err(TrellisError::Storage {
            reason: format!("the operation ended unexpectedly: {e}"),
        }),
    }
}
