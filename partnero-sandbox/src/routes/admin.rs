//! The admin API under `/_sandbox/` (no API key; the sandbox is for local use only).

use std::time::Duration;

use axum::extract::State;
use serde_json::json;

use crate::app::AppState;
use crate::envelope::{ApiError, ApiResult, ok};
use crate::extract::JsonBody;
use crate::faults::FaultAction;
use crate::query::QueryPairs;
use crate::state::{StateView, lock};
use crate::validate::Validator;

/// How long after its answer an HTTP `refuse_connections` starts, so the
/// answer itself still reaches the caller.
const REFUSE_START_DELAY: Duration = Duration::from_millis(50);

/// The longest refusal the HTTP route allows (it cannot be lifted over HTTP).
const MAX_REFUSE_MS: u64 = 60_000;

/// `POST /_sandbox/faults`: adds one fault, described by `kind` and its parameters.
///
/// ```json
/// {"kind": "fail", "count": 2, "status": 503, "retry_after": 1, "method": "POST", "path": "/v1/transactions"}
/// ```
///
/// Kinds: `fail` (`status`, `retry_after`, `body`), `drop`, `process_then_fail`
/// (`status`), `process_then_drop`, `process_slowly` (`ms`), `latency` (`ms`), `refuse_connections`
/// (`ms`, required), `close_on_accept` (`enabled`). `count` defaults to 1;
/// `method` and `path` (a prefix) optionally scope the fault.
pub(crate) async fn faults(State(app): State<AppState>, JsonBody(body): JsonBody) -> ApiResult {
    let mut v = Validator::new(&body)?;
    let kind = v.string("kind", true).unwrap_or_default();
    let count = v.number("count", false);
    let status = v.number("status", false);
    let retry_after = v.number("retry_after", false);
    let raw_body = v.string("body", false);
    let method = v.string("method", false).unwrap_or_default();
    let path = v.string("path", false).unwrap_or_default();
    let ms = v.number("ms", false);
    let enabled = v.boolean("enabled", false);
    let as_u64 = |d: Option<rust_decimal::Decimal>| {
        d.and_then(|d| {
            u64::try_from(d.trunc())
                .ok()
                .filter(|_| d.fract().is_zero())
        })
    };
    let count = match count {
        None => 1,
        Some(c) => match as_u64(Some(c)).and_then(|c| u32::try_from(c).ok()) {
            Some(c) if c >= 1 => c,
            _ => {
                v.error("count", "The count must be a positive integer.");
                1
            }
        },
    };
    let status = match status {
        None => 500,
        Some(s) => match as_u64(Some(s)).and_then(|s| u16::try_from(s).ok()) {
            Some(s) if (400..=599).contains(&s) => s,
            _ => {
                v.error(
                    "status",
                    "The status must be an HTTP error status (400-599).",
                );
                500
            }
        },
    };
    let retry_after = match retry_after {
        None => None,
        Some(r) => {
            let secs = as_u64(Some(r));
            if secs.is_none() {
                v.error(
                    "retry_after",
                    "The retry_after must be a whole number of seconds.",
                );
            }
            secs
        }
    };
    let ms = match ms {
        None => None,
        Some(m) => {
            let millis = as_u64(Some(m));
            if millis.is_none() {
                v.error("ms", "The ms must be a whole number of milliseconds.");
            }
            millis
        }
    };
    if !v.is_clean() {
        v.finish()?;
    }
    let faults = app.faults.on(&method, &path);
    match kind.as_str() {
        "fail" => faults.add(
            count,
            FaultAction::Fail {
                status,
                retry_after,
                retry_after_as_date: false,
                body: raw_body,
            },
        ),
        "drop" => faults.drop_next(count),
        "process_then_fail" => faults.process_then_fail_next(count, status),
        "process_then_drop" => faults.process_then_drop_next(count),
        "process_slowly" => match ms {
            Some(ms) => faults.process_slowly_next(count, Duration::from_millis(ms)),
            None => {
                return Err(ApiError::field(
                    "The given data was invalid.",
                    "ms",
                    "The ms field is required.",
                ));
            }
        },
        "latency" => match ms {
            Some(ms) => faults.latency(Duration::from_millis(ms)),
            None => {
                return Err(ApiError::field(
                    "The given data was invalid.",
                    "ms",
                    "The ms field is required.",
                ));
            }
        },
        "refuse_connections" => match ms {
            Some(ms) if (1..=MAX_REFUSE_MS).contains(&ms) => {
                let faults = faults.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(REFUSE_START_DELAY).await;
                    faults.refuse_connections_for(Duration::from_millis(ms));
                });
            }
            _ => {
                return Err(ApiError::field(
                    "The given data was invalid.",
                    "ms",
                    &format!(
                        "The ms field is required for refuse_connections and must be between 1 and {MAX_REFUSE_MS}."
                    ),
                ));
            }
        },
        "close_on_accept" => match enabled {
            Some(on) => faults.close_on_accept(on),
            None => {
                return Err(ApiError::field(
                    "The given data was invalid.",
                    "enabled",
                    "The enabled field is required.",
                ));
            }
        },
        _ => {
            return Err(ApiError::field(
                "The given data was invalid.",
                "kind",
                "The kind must be one of fail, drop, process_then_fail, process_then_drop, process_slowly, latency, refuse_connections, close_on_accept.",
            ));
        }
    }
    Ok(ok(app.faults.describe()))
}

/// `GET /_sandbox/faults`: the faults in effect.
pub(crate) async fn describe_faults(State(app): State<AppState>) -> ApiResult {
    Ok(ok(app.faults.describe()))
}

/// `POST /_sandbox/reset`: removes all faults and zeroes the counters;
/// with `?state=true` also forgets all stored data.
pub(crate) async fn reset(State(app): State<AppState>, query: QueryPairs) -> ApiResult {
    app.faults.reset();
    app.stats.reset();
    let wipe = matches!(query.get("state"), Some("true" | "1"));
    if wipe {
        lock(&app.store).clear();
        app.deliveries.clear();
    }
    Ok(ok(
        json!({"faults_reset": true, "counters_reset": true, "state_reset": wipe}),
    ))
}

/// `GET /_sandbox/stats`: request counters.
pub(crate) async fn stats(State(app): State<AppState>) -> ApiResult {
    let mut data = serde_json::to_value(app.stats.snapshot()).unwrap_or_default();
    data["pending_faults"] = json!(app.faults.pending());
    Ok(ok(data))
}

/// `GET /_sandbox/state`: everything stored, per API key.
pub(crate) async fn state(State(app): State<AppState>) -> ApiResult {
    let view = StateView::capture(&lock(&app.store));
    Ok(ok(view.to_json()))
}
