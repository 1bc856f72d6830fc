//! Refer-a-friend customer views: referrals, stats, balance and manual credit.

use axum::extract::State;
use axum::http::Uri;
use percent_encoding::utf8_percent_encode;
use serde_json::json;

use crate::app::AppState;
use crate::auth::Program;
use crate::envelope::{ApiError, ApiResult, ok};
use crate::extract::{JsonBody, PathKey};
use crate::query::{COMPONENT, QueryPairs};
use crate::state::{ProgramData, add_to_balance, lock};
use crate::time::now_iso8601;
use crate::validate::Validator;
use crate::views;

use super::{page_of, program_mut};

fn find(data: &ProgramData, key: &str) -> Result<usize, ApiError> {
    data.customer_index(key)
        .ok_or_else(|| ApiError::not_found("Customer"))
}

/// `GET /v1/customers/{id}/referrals`: the customers this one referred.
pub(crate) async fn referrals(
    State(app): State<AppState>,
    program: Program,
    PathKey(key): PathKey,
    query: QueryPairs,
    uri: Uri,
) -> ApiResult {
    program.require_refer_a_friend()?;
    page_of(&app, &program, &query, &uri, |data| {
        let uid = data.customers[find(data, &key)?].uid;
        Ok(data
            .customers
            .iter()
            .filter(|c| c.referred_by == Some(uid))
            .map(|c| views::customer(&app, data, c))
            .collect())
    })
}

/// `GET /v1/customers/{id}/stats`: clicks, referrals and share links.
pub(crate) async fn stats(
    State(app): State<AppState>,
    program: Program,
    PathKey(key): PathKey,
) -> ApiResult {
    program.require_refer_a_friend()?;
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, &program)?;
    let customer = &data.customers[find(data, &key)?];
    let referred: Vec<u64> = data
        .customers
        .iter()
        .filter(|c| c.referred_by == Some(customer.uid))
        .map(|c| c.uid)
        .collect();
    let purchases = data
        .transactions
        .iter()
        .filter(|t| !t.deleted && referred.contains(&t.customer_uid))
        .count();
    let link = app.referral_link("ref", &customer.key);
    let encoded = utf8_percent_encode(&link, COMPONENT).to_string();
    Ok(ok(json!({
        "clicks": 0,
        "referrals": referred.len(),
        "purchases": purchases,
        "referral_link": link,
        "share_links": {
            "email": format!("mailto:?body={encoded}"),
            "facebook": format!("https://www.facebook.com/sharer/sharer.php?u={encoded}"),
            "x": format!("https://x.com/intent/tweet?url={encoded}"),
            "linkedin": format!("https://www.linkedin.com/sharing/share-offsite/?url={encoded}"),
            "whatsapp": format!("https://wa.me/?text={encoded}"),
        },
    })))
}

/// `GET /v1/customers/{id}/balance`.
pub(crate) async fn balance(
    State(app): State<AppState>,
    program: Program,
    PathKey(key): PathKey,
) -> ApiResult {
    program.require_refer_a_friend()?;
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, &program)?;
    let customer = &data.customers[find(data, &key)?];
    Ok(ok(views::balance(&customer.balances)))
}

/// `POST /v1/customers/{id}/balance/credit` with `amount`, `amount_units`, `is_currency`.
pub(crate) async fn credit(
    State(app): State<AppState>,
    program: Program,
    PathKey(key): PathKey,
    JsonBody(body): JsonBody,
) -> ApiResult {
    program.require_refer_a_friend()?;
    let mut v = Validator::new(&body)?;
    let amount = v.money("amount", true);
    let units = v.string("amount_units", true);
    let is_currency = v.boolean("is_currency", true);
    v.finish()?;
    let (Some(amount), Some(units), Some(is_currency)) = (amount, units, is_currency) else {
        return Err(ApiError::validation(Default::default()));
    };
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, &program)?;
    let index = find(data, &key)?;
    let customer = &mut data.customers[index];
    add_to_balance(
        &mut customer.balances,
        amount,
        &units.to_lowercase(),
        is_currency,
    );
    customer.updated_at = now_iso8601();
    Ok(ok(views::balance(&customer.balances)))
}
