//! The one log line the framework adapters write when a `Referral` extractor runs on a route
//! their layer or middleware does not wrap.

use std::sync::atomic::{AtomicBool, Ordering};

/// Logs `message` at `error` level, once per process: every request of a misconfigured route
/// hits the extractor, and one line says all there is to say (`Option<Referral>` in actix-web
/// also runs the extractor, so logging per request would flood the logs of a correct app).
///
/// For the framework crates of this workspace; not a stable API.
#[doc(hidden)]
pub fn __report_missing_adapter_once(message: &'static str) {
    static LOGGED: AtomicBool = AtomicBool::new(false);
    if !LOGGED.swap(true, Ordering::Relaxed) {
        tracing::error!("{message} (logged once)");
    }
}
