//! When an app's next push-statistics call may start (Tencent allows one a
//! second per app; see `push_history` for the spacing).

use std::sync::Arc;

use tokio::sync::{Mutex, MutexGuard};
use tokio::time::Instant;

/// When an app's next push call may start. One per app, shared by every
/// run of the process, and held through each call: two overlapping runs
/// (a manual invoke beside the schedule, in one process) take turns
/// instead of pacing Tencent twice.
#[derive(Debug, Clone, Default)]
pub struct Pacer(Arc<Mutex<Option<Instant>>>);

impl Pacer {
    /// This app's turn: held through one call, it holds when the next call
    /// may start (`None`: now) and is set after the call.
    pub async fn turn(&self) -> MutexGuard<'_, Option<Instant>> {
        self.0.lock().await
    }
}
