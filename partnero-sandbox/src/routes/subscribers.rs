//! Subscribers of newsletter programs: create (with the referring subscriber), list, get,
//! search, and the body-addressed update and delete the PHP SDK sends.
//!
//! A subscriber is named by its integer `id`, your `identifier`, or its e-mail.

use axum::extract::State;
use axum::http::Uri;
use serde_json::Value;

use crate::app::AppState;
use crate::auth::Program;
use crate::envelope::{ApiError, ApiResult, FieldErrors, created, done, ok};
use crate::extract::{JsonBody, PathKey};
use crate::query::QueryPairs;
use crate::record_views;
use crate::records::Subscriber;
use crate::state::{ProgramData, lock};
use crate::time::now_iso8601;
use crate::validate::Validator;

use super::customers::referred_matches;
use super::{page_of, program_mut, random_token};

/// Page size bounds and default of `GET /subscribers`.
const LIMITS: (u64, u64) = (10, 250);

/// The index of the subscriber whose integer id, identifier or e-mail is `name`.
fn position(data: &ProgramData, name: &str) -> Option<usize> {
    let subscribers = &data.extras.subscribers;
    let id: Option<u64> = name.trim().parse().ok();
    subscribers
        .iter()
        .position(|s| Some(s.id) == id)
        .or_else(|| {
            subscribers
                .iter()
                .position(|s| s.identifier.as_deref() == Some(name))
        })
        .or_else(|| {
            subscribers
                .iter()
                .position(|s| s.email.eq_ignore_ascii_case(name))
        })
}

fn find(data: &ProgramData, name: &str) -> Result<usize, ApiError> {
    position(data, name).ok_or_else(|| ApiError::not_found("Subscriber"))
}

/// The subscriber a body names by `id` (id or identifier) or `email`; 422 when neither is sent.
fn named_in_body(v: &mut Validator<'_>) -> Option<String> {
    let id = match v.get("id") {
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => v.string("id", false),
    };
    let named = id.or_else(|| v.string("email", false));
    if named.is_none() {
        v.error("id", "The id field is required when email is not present.");
    }
    named
}

fn email_taken(data: &ProgramData, email: &str, except: Option<u64>) -> bool {
    data.extras
        .subscribers
        .iter()
        .any(|s| s.email.eq_ignore_ascii_case(email) && Some(s.id) != except)
}

fn taken(field: &str) -> ApiError {
    let mut errors = FieldErrors::new();
    errors.insert(
        field.to_owned(),
        vec![format!("The {field} has already been taken.")],
    );
    ApiError::validation(errors)
}

/// `POST /v1/subscribers`: `email` (required, unique), `id` or `identifier`, `name`, `tos`,
/// `marketing_consent`, `status` (default `Active`), `approved` (default true) and
/// `referral.{id|email}` (the referring subscriber; unknown: 400). 201.
pub(crate) async fn create(
    State(app): State<AppState>,
    program: Program,
    JsonBody(body): JsonBody,
) -> ApiResult {
    program.require_newsletter()?;
    let mut v = Validator::new(&body)?;
    let email = v.email("email", true);
    let identifier = v
        .string("identifier", false)
        .or_else(|| v.string("id", false));
    let name = v.string("name", false);
    let tos = v.boolean("tos", false).unwrap_or(false);
    let marketing_consent = v.boolean("marketing_consent", false).unwrap_or(false);
    let status = v.string("status", false);
    let approved = v.boolean("approved", false).unwrap_or(true);
    let referral = if v.object("referral", false).is_some() {
        let by_id = match v.get("referral.id") {
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => v.string("referral.id", false),
        };
        by_id.or_else(|| v.string("referral.email", false))
    } else {
        None
    };
    v.finish()?;
    let email = email.unwrap_or_default();
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, &program)?;
    if email_taken(data, &email, None) {
        return Err(taken("email"));
    }
    if identifier.as_deref().is_some_and(|i| {
        data.extras
            .subscribers
            .iter()
            .any(|s| s.identifier.as_deref() == Some(i))
    }) {
        return Err(taken("identifier"));
    }
    let referred_by = match referral {
        Some(named) => Some(
            data.extras.subscribers[position(data, &named)
                .ok_or_else(|| ApiError::bad_request("Invalid referral"))?]
            .id,
        ),
        None => None,
    };
    let now = now_iso8601();
    let subscriber = Subscriber {
        id: data.extras.next_id(),
        identifier,
        email,
        name,
        status: capitalised(status.as_deref().unwrap_or("active")),
        approved,
        tos,
        marketing_consent,
        referred_by,
        referral_key: random_token(10),
        created_at: now.clone(),
        updated_at: now,
    };
    let view = record_views::subscriber(&app, data, &subscriber);
    data.extras.subscribers.push(subscriber);
    Ok(created(view))
}

/// `active` -> `Active`: Partnero sends subscriber statuses capitalised.
fn capitalised(status: &str) -> String {
    let lower = status.trim().to_lowercase();
    let mut chars = lower.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// `GET /v1/subscribers` (`limit` 10..=250, default 10; `refer_status`: `referred` or
/// `non_referred`) and `GET /v1/subscribers:search` (`id`, `identifier`, `email`).
pub(crate) async fn list(
    State(app): State<AppState>,
    program: Program,
    query: QueryPairs,
    uri: Uri,
) -> ApiResult {
    program.require_newsletter()?;
    let (min, max) = LIMITS;
    let mut query = query;
    match query.get("limit").map(|l| l.trim().parse::<u64>()) {
        None => query.0.push(("limit".to_owned(), min.to_string())),
        Some(Ok(l)) if (min..=max).contains(&l) => {}
        Some(_) => {
            return Err(ApiError::field(
                "The given data was invalid.",
                "limit",
                &format!("The limit must be an integer between {min} and {max}."),
            ));
        }
    }
    page_of(&app, &program, &query, &uri, |data| {
        let refer_status = query.get("refer_status");
        let id = query.get("id");
        let identifier = query.get("identifier");
        let email = query.get("email");
        Ok(data
            .extras
            .subscribers
            .iter()
            .filter(|s| refer_status.is_none_or(|r| referred_matches(r, s.referred_by.is_some())))
            .filter(|s| {
                id.is_none_or(|i| s.id.to_string() == i || s.identifier.as_deref() == Some(i))
            })
            .filter(|s| identifier.is_none_or(|i| s.identifier.as_deref() == Some(i)))
            .filter(|s| email.is_none_or(|e| s.email.eq_ignore_ascii_case(e)))
            .map(|s| record_views::subscriber(&app, data, s))
            .collect())
    })
}

/// `GET /v1/subscribers/{id-or-email}`.
pub(crate) async fn get(
    State(app): State<AppState>,
    program: Program,
    PathKey(name): PathKey,
) -> ApiResult {
    program.require_newsletter()?;
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, &program)?;
    let index = find(data, &name)?;
    Ok(ok(record_views::subscriber(
        &app,
        data,
        &data.extras.subscribers[index],
    )))
}

/// `PUT /v1/subscribers` with `{"id" | "email": ..., "update": {email, name, status, approved,
/// tos, marketing_consent}}`.
pub(crate) async fn update(
    State(app): State<AppState>,
    program: Program,
    JsonBody(body): JsonBody,
) -> ApiResult {
    program.require_newsletter()?;
    let mut v = Validator::new(&body)?;
    let named = named_in_body(&mut v);
    let empty = serde_json::Map::new();
    let fields = v.object("update", true).unwrap_or(&empty);
    let mut u = Validator::nested(fields, "update.");
    let email = u.email("email", false);
    let name = u.string("name", false);
    let status = u.string("status", false);
    let approved = u.boolean("approved", false);
    let tos = u.boolean("tos", false);
    let marketing_consent = u.boolean("marketing_consent", false);
    v.absorb(u);
    v.finish()?;
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, &program)?;
    let index = find(data, &named.unwrap_or_default())?;
    let id = data.extras.subscribers[index].id;
    if email
        .as_deref()
        .is_some_and(|e| email_taken(data, e, Some(id)))
    {
        return Err(taken("update.email"));
    }
    let s = &mut data.extras.subscribers[index];
    if let Some(email) = email {
        s.email = email;
    }
    if name.is_some() {
        s.name = name;
    }
    if let Some(status) = status {
        s.status = capitalised(&status);
    }
    s.approved = approved.unwrap_or(s.approved);
    s.tos = tos.unwrap_or(s.tos);
    s.marketing_consent = marketing_consent.unwrap_or(s.marketing_consent);
    s.updated_at = now_iso8601();
    Ok(ok(record_views::subscriber(
        &app,
        data,
        &data.extras.subscribers[index],
    )))
}

/// `DELETE /v1/subscribers` with `{"id" | "email": ...}`.
pub(crate) async fn delete(
    State(app): State<AppState>,
    program: Program,
    JsonBody(body): JsonBody,
) -> ApiResult {
    program.require_newsletter()?;
    let mut v = Validator::new(&body)?;
    let named = named_in_body(&mut v);
    v.finish()?;
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, &program)?;
    let index = find(data, &named.unwrap_or_default())?;
    data.extras.subscribers.remove(index);
    Ok(done())
}
