//! Leads (affiliate programs): prospects a partner submitted, converted or rejected later.
//! Lead ids are integers.

use axum::extract::State;
use axum::http::Uri;
use rust_decimal::Decimal;

use crate::app::AppState;
use crate::auth::Program;
use crate::envelope::{ApiError, ApiResult, created, done, ok};
use crate::extract::{JsonBody, PathKey};
use crate::money;
use crate::query::QueryPairs;
use crate::record_views;
use crate::records::Lead;
use crate::state::{ProgramData, lock};
use crate::time::now_iso8601;
use crate::validate::Validator;

use super::lookup::{partner_index, read_ref};
use super::{page_of, program_mut};

fn find(data: &ProgramData, id: &str) -> Result<usize, ApiError> {
    let id: Option<u64> = id.trim().parse().ok();
    data.extras
        .leads
        .iter()
        .position(|l| Some(l.id) == id)
        .ok_or_else(|| ApiError::not_found("Lead"))
}

/// The lead `id` of a convert or reject body (a JSON integer or a numeric string).
fn body_id(v: &mut Validator<'_>) -> Option<String> {
    match v.get("id") {
        Some(serde_json::Value::Number(n)) if n.is_u64() => Some(n.to_string()),
        Some(serde_json::Value::String(_)) => v.string("id", true),
        Some(_) => {
            v.error("id", "The id must be an integer.");
            None
        }
        None => {
            v.error("id", "The id field is required.");
            None
        }
    }
}

/// `GET /v1/leads` (filters `status`, `partner.key`, `partner.id`).
pub(crate) async fn list(
    State(app): State<AppState>,
    program: Program,
    query: QueryPairs,
    uri: Uri,
) -> ApiResult {
    program.require_affiliate()?;
    page_of(&app, &program, &query, &uri, |data| {
        let status = query.get("status");
        let partner_key = query.get("partner.key");
        let partner_id = query.get("partner.id");
        let key_of = |id: &str| {
            data.partners
                .iter()
                .find(|p| p.id == id)
                .map(|p| p.key.as_str())
        };
        Ok(data
            .extras
            .leads
            .iter()
            .filter(|l| status.is_none_or(|s| l.status.eq_ignore_ascii_case(s)))
            .filter(|l| partner_id.is_none_or(|i| l.partner_id == i))
            .filter(|l| partner_key.is_none_or(|k| key_of(&l.partner_id) == Some(k)))
            .map(|l| record_views::lead(data, l))
            .collect())
    })
}

/// `POST /v1/leads`: `partner.{key|email|id}` (required), `name`, `email`. 201.
pub(crate) async fn create(
    State(app): State<AppState>,
    program: Program,
    JsonBody(body): JsonBody,
) -> ApiResult {
    program.require_affiliate()?;
    let mut v = Validator::new(&body)?;
    let partner = read_ref(&mut v, "partner");
    let name = v.string("name", false);
    let email = v.email("email", false);
    v.finish()?;
    let Some(partner) = partner else {
        return Err(ApiError::validation(Default::default()));
    };
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, &program)?;
    let partner_id = data.partners[partner_index(data, &partner)?].id.clone();
    let now = now_iso8601();
    let lead = Lead {
        id: data.extras.next_id(),
        partner_id,
        name,
        email,
        status: "pending".to_owned(),
        commission: Decimal::ZERO,
        created_at: now.clone(),
        updated_at: now,
    };
    let view = record_views::lead(data, &lead);
    data.extras.leads.push(lead);
    Ok(created(view))
}

/// `GET /v1/leads/{id}`.
pub(crate) async fn get(
    State(app): State<AppState>,
    program: Program,
    PathKey(id): PathKey,
) -> ApiResult {
    program.require_affiliate()?;
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, &program)?;
    let index = find(data, &id)?;
    Ok(ok(record_views::lead(data, &data.extras.leads[index])))
}

/// `DELETE /v1/leads/{id}`.
pub(crate) async fn delete(
    State(app): State<AppState>,
    program: Program,
    PathKey(id): PathKey,
) -> ApiResult {
    program.require_affiliate()?;
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, &program)?;
    let index = find(data, &id)?;
    data.extras.leads.remove(index);
    Ok(done())
}

/// `POST /v1/leads/convert`: `id` (required), `commission_transaction_amount` (the sale the
/// lead became; the partner earns the program's commission on it). A lead converts once: a
/// second convert, or converting a rejected lead, is a 422.
pub(crate) async fn convert(
    State(app): State<AppState>,
    program: Program,
    JsonBody(body): JsonBody,
) -> ApiResult {
    settle(&app, &program, &body, "converted")
}

/// `POST /v1/leads/reject`: `id` (required). Only a pending lead can be rejected.
pub(crate) async fn reject(
    State(app): State<AppState>,
    program: Program,
    JsonBody(body): JsonBody,
) -> ApiResult {
    settle(&app, &program, &body, "rejected")
}

fn settle(app: &AppState, program: &Program, body: &serde_json::Value, status: &str) -> ApiResult {
    program.require_affiliate()?;
    let mut v = Validator::new(body)?;
    let id = body_id(&mut v);
    let amount = if status == "converted" {
        v.money("commission_transaction_amount", false)
    } else {
        None
    };
    if amount.is_some_and(|a| a.is_sign_negative()) {
        v.error(
            "commission_transaction_amount",
            "The commission_transaction_amount must be at least 0.",
        );
    }
    v.finish()?;
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, program)?;
    let index = find(data, &id.unwrap_or_default())?;
    if data.extras.leads[index].status != "pending" {
        return Err(ApiError::field(
            "The given data was invalid.",
            "id",
            &format!("The lead is already {}.", data.extras.leads[index].status),
        ));
    }
    let commission = amount.map_or(Decimal::ZERO, |a| {
        money::commission(a, app.commission_percent)
    });
    let partner_id = data.extras.leads[index].partner_id.clone();
    if let Some(p) = data.partner_index_by_id(&partner_id) {
        let partner = &mut data.partners[p];
        partner.balance = partner.balance.saturating_add(commission);
    }
    let lead = &mut data.extras.leads[index];
    lead.status = status.to_owned();
    lead.commission = commission;
    lead.updated_at = now_iso8601();
    Ok(ok(record_views::lead(data, &data.extras.leads[index])))
}
