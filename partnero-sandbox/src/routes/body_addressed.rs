//! The body-addressed forms of updates and deletes: the resource is named in the JSON body
//! instead of the path.
//!
//! Partnero documents both forms for `DELETE /v1/customers` and `DELETE /v1/transactions`
//! (its affiliate guide shows only the body form: `{"key": "transaction_123"}`), and its PHP
//! SDK sends `PUT /v1/customers` (`{key|id, update}`), `PUT /v1/partners` and
//! `DELETE /v1/partners` (`{key|email}` plus `update`). Each handler here finds the resource
//! the body names and hands over to the path form's handler, so both forms behave the same.

use axum::extract::State;
use serde_json::Value;

use crate::app::AppState;
use crate::auth::Program;
use crate::envelope::{ApiError, ApiResult};
use crate::extract::{JsonBody, PathKey};
use crate::state::lock;
use crate::validate::Validator;

use super::{customers, partners, program_mut, transactions};

/// The first of `fields` the body carries (as a string); 422 naming the first field otherwise.
fn named_by(body: &Value, fields: &[&str]) -> Result<(String, String), ApiError> {
    let mut v = Validator::new(body)?;
    for field in fields {
        if v.present(field) {
            let value = v.string(field, true);
            v.finish()?;
            return Ok((
                (*field).to_owned(),
                value.ok_or_else(|| ApiError::validation(Default::default()))?,
            ));
        }
    }
    let alternatives = fields[1..].join(" / ");
    let message = if alternatives.is_empty() {
        format!("The {} field is required.", fields[0])
    } else {
        format!(
            "The {} field is required when {alternatives} is not present.",
            fields[0]
        )
    };
    Err(ApiError::field(
        "The given data was invalid.",
        fields[0],
        &message,
    ))
}

/// `DELETE /v1/transactions` with `{"key": ...}`.
pub(crate) async fn delete_transaction(
    app: State<AppState>,
    program: Program,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let (_, key) = named_by(&body, &["key"])?;
    transactions::delete(app, program, PathKey(key)).await
}

/// `DELETE /v1/customers` with `{"key": ...}` (or `{"id": ...}`).
pub(crate) async fn delete_customer(
    app: State<AppState>,
    program: Program,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let (_, key) = named_by(&body, &["key", "id"])?;
    customers::delete(app, program, PathKey(key)).await
}

/// `PUT /v1/customers` with `{"key" | "id": ..., "update": {...}}`.
pub(crate) async fn update_customer(
    app: State<AppState>,
    program: Program,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let (_, key) = named_by(&body, &["key", "id"])?;
    customers::update(app, program, PathKey(key), JsonBody(body)).await
}

/// The id of the partner whose `key` or `email` the body names (404 if none).
fn partner_id(app: &AppState, program: &Program, body: &Value) -> Result<String, ApiError> {
    program.require_affiliate()?;
    let (field, value) = named_by(body, &["key", "email"])?;
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, program)?;
    data.partners
        .iter()
        .find(|p| match field.as_str() {
            "key" => p.key == value,
            _ => p.email.eq_ignore_ascii_case(&value),
        })
        .map(|p| p.id.clone())
        .ok_or_else(|| ApiError::not_found("Partner"))
}

/// `PUT /v1/partners` with `{"key" | "email": ..., "update": {...}}`.
pub(crate) async fn update_partner(
    app: State<AppState>,
    program: Program,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let id = partner_id(&app, &program, &body)?;
    // The path form reads the fields from `update` when present, from the top level otherwise:
    // here the top level names the partner, so the changes must come in `update`.
    let mut v = Validator::new(&body)?;
    let update = v.object("update", true).cloned();
    v.finish()?;
    let update = serde_json::json!({ "update": update.unwrap_or_default() });
    partners::update(app, program, PathKey(id), JsonBody(update)).await
}

/// `DELETE /v1/partners` with `{"key" | "email": ...}`.
pub(crate) async fn delete_partner(
    app: State<AppState>,
    program: Program,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let id = partner_id(&app, &program, &body)?;
    partners::delete(app, program, PathKey(id)).await
}
