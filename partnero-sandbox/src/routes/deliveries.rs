//! Webhook deliveries: the layer that turns each state change into deliveries, and
//! `GET /_sandbox/webhook_deliveries`.

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use serde_json::json;

use crate::app::AppState;
use crate::auth::Program;
use crate::envelope::{ApiError, ApiResult, ok};
use crate::state::lock;

/// Runs the request, then (for a request that may change state) asks the change feed what
/// changed in the program and starts the deliveries, without waiting for them.
pub(crate) async fn emit_changes(
    State(app): State<AppState>,
    program: Result<Program, ApiError>,
    req: Request,
    next: Next,
) -> Response {
    let read_only = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let path = req.uri().path().to_owned();
    let response = next.run(req).await;
    let Ok(program) = program else {
        return response;
    };
    if read_only || !path.starts_with("/v1/") {
        return response;
    }
    let (changes, webhooks) = {
        let mut store = lock(&app.store);
        let store = &mut *store;
        let Some(data) = store.programs.get(&program.api_key) else {
            return response;
        };
        (store.feed.changes(&app, data, &path), data.webhooks.clone())
    };
    if !changes.is_empty() {
        app.deliveries
            .dispatch(&program.api_key, &webhooks, changes);
    }
    response
}

/// `GET /_sandbox/webhook_deliveries`: every delivery (body, attempts, state), oldest first;
/// `?event=` and `?webhook_key=` filter.
pub(crate) async fn list(
    State(app): State<AppState>,
    query: crate::query::QueryPairs,
) -> ApiResult {
    let event = query.get("event");
    let webhook_key = query.get("webhook_key");
    let records: Vec<_> = app
        .deliveries
        .records()
        .into_iter()
        .filter(|r| event.is_none_or(|e| r.event == e))
        .filter(|r| webhook_key.is_none_or(|k| r.webhook_key == k))
        .collect();
    Ok(ok(json!(records)))
}
