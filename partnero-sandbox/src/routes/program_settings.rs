//! The program itself: `GET /v1/program`, its dashboard figures (`GET /v1/program/overview`)
//! and `PUT /v1/settings`.
//!
//! Partnero does not document the shape of the settings (its PHP SDK sends `settings: {...}`
//! as given) nor of the overview: the sandbox stores the settings object as sent, merged key by
//! key, and computes the overview from what it stores.

use axum::extract::State;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::app::AppState;
use crate::auth::Program;
use crate::envelope::{ApiError, ApiResult, ok};
use crate::money;
use crate::state::lock;
use crate::validate::Validator;

use super::program_mut;

/// `GET /v1/program`: the program's id, name, type and settings.
pub(crate) async fn get(State(app): State<AppState>, program: Program) -> ApiResult {
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, &program)?;
    Ok(ok(json!({
        "pub_id": data.pub_id,
        "name": data.name,
        "type": program.kind.as_api_str(),
        "settings": data.extras.settings,
    })))
}

/// `GET /v1/program/overview`: counts, revenue and commissions of live records.
pub(crate) async fn overview(State(app): State<AppState>, program: Program) -> ApiResult {
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, &program)?;
    let live = data.transactions.iter().filter(|t| !t.deleted);
    let (revenue, commissions, count) = live.fold(
        (Decimal::ZERO, Decimal::ZERO, 0_u64),
        |(revenue, commissions, count), t| {
            let paid = t
                .rewards
                .iter()
                .fold(Decimal::ZERO, |sum, r| sum.saturating_add(r.amount));
            (
                revenue.saturating_add(t.amount),
                commissions.saturating_add(paid),
                count + 1,
            )
        },
    );
    Ok(ok(json!({
        "partners": data.partners.len(),
        "customers": data.customers.len(),
        "subscribers": data.extras.subscribers.len(),
        "leads": data.extras.leads.len(),
        "transactions": count,
        "revenue": money::to_json(revenue),
        "commissions": money::to_json(commissions),
    })))
}

/// `PUT /v1/settings` with `{"settings": {...}}`: merges the given keys into the stored
/// settings and answers with all of them.
pub(crate) async fn update(
    State(app): State<AppState>,
    program: Program,
    crate::extract::JsonBody(body): crate::extract::JsonBody,
) -> ApiResult {
    let mut v = Validator::new(&body)?;
    let settings = v.object("settings", true).cloned();
    v.finish()?;
    let settings = settings.ok_or_else(|| ApiError::validation(Default::default()))?;
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, &program)?;
    for (name, value) in settings {
        data.extras.settings.insert(name, value);
    }
    Ok(ok(
        json!({ "settings": Value::Object(data.extras.settings.clone()) }),
    ))
}
