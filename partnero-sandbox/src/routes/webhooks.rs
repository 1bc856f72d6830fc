//! Webhook subscriptions, stored with a signing secret (delivery: `crate::webhook_delivery`;
//! the events each program kind offers: `crate::webhook_events`).

use axum::extract::State;
use axum::http::Uri;

use crate::app::AppState;
use crate::auth::Program;
use crate::envelope::{ApiError, ApiResult, created, done, ok};
use crate::extract::{JsonBody, PathKey};
use crate::model::Webhook;
use crate::query::QueryPairs;
use crate::state::{ProgramData, lock};
use crate::time::now_iso8601;
use crate::validate::Validator;
use crate::{views, webhook_events};

use super::{page_of, program_mut, random_token};

fn url(v: &mut Validator<'_>, required: bool) -> Option<String> {
    let url = v.string("url", required)?;
    if url.starts_with("http://") || url.starts_with("https://") {
        Some(url)
    } else {
        v.error("url", "The url must be a valid URL.");
        None
    }
}

fn find(data: &ProgramData, key: &str) -> Result<usize, ApiError> {
    data.webhooks
        .iter()
        .position(|w| w.key == key)
        .ok_or_else(|| ApiError::not_found("Webhook"))
}

/// `POST /v1/webhooks`: `name`, `url` (required), `events[]` (required), `is_active`.
pub(crate) async fn create(
    State(app): State<AppState>,
    program: Program,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let mut v = Validator::new(&body)?;
    let name = v.string("name", false);
    let url = url(&mut v, true);
    let events = v.string_list("events", true);
    webhook_events::check(&mut v, program.kind);
    let is_active = v.boolean("is_active", false);
    v.finish()?;
    let now = now_iso8601();
    let webhook = Webhook {
        key: random_token(16),
        name: name.unwrap_or_else(|| "Webhook".to_owned()),
        url: url.unwrap_or_default(),
        events: events.unwrap_or_default(),
        is_active: is_active.unwrap_or(true),
        signature: random_token(40),
        created_at: now.clone(),
        updated_at: now,
    };
    let view = views::webhook(&webhook);
    let mut store = lock(&app.store);
    program_mut(&mut store, &program)?.webhooks.push(webhook);
    Ok(created(view))
}

/// `GET /v1/webhooks`.
pub(crate) async fn list(
    State(app): State<AppState>,
    program: Program,
    query: QueryPairs,
    uri: Uri,
) -> ApiResult {
    page_of(&app, &program, &query, &uri, |data| {
        Ok(data.webhooks.iter().map(views::webhook).collect())
    })
}

/// `GET /v1/webhooks/{key}`.
pub(crate) async fn get(
    State(app): State<AppState>,
    program: Program,
    PathKey(key): PathKey,
) -> ApiResult {
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, &program)?;
    let index = find(data, &key)?;
    Ok(ok(views::webhook(&data.webhooks[index])))
}

/// `PUT /v1/webhooks/{key}`: fields at the top level or inside `update`.
pub(crate) async fn update(
    State(app): State<AppState>,
    program: Program,
    PathKey(key): PathKey,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let wrapped = body.get("update").filter(|u| u.is_object()).cloned();
    let fields = wrapped.as_ref().unwrap_or(&body);
    let mut v = Validator::new(fields)?;
    let name = v.string("name", false);
    let url = url(&mut v, false);
    let events = v.string_list("events", false);
    webhook_events::check(&mut v, program.kind);
    let is_active = v.boolean("is_active", false);
    if events.as_ref().is_some_and(Vec::is_empty) {
        v.error("events", "The events must have at least 1 item.");
    }
    v.finish()?;
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, &program)?;
    let index = find(data, &key)?;
    let webhook = &mut data.webhooks[index];
    if let Some(name) = name {
        webhook.name = name;
    }
    if let Some(url) = url {
        webhook.url = url;
    }
    if let Some(events) = events {
        webhook.events = events;
    }
    if let Some(is_active) = is_active {
        webhook.is_active = is_active;
    }
    webhook.updated_at = now_iso8601();
    Ok(ok(views::webhook(webhook)))
}

/// `DELETE /v1/webhooks/{key}`.
pub(crate) async fn delete(
    State(app): State<AppState>,
    program: Program,
    PathKey(key): PathKey,
) -> ApiResult {
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, &program)?;
    let index = find(data, &key)?;
    data.webhooks.remove(index);
    Ok(done())
}
