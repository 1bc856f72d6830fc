//! Partner actions beyond CRUD (affiliate programs): archive and revoke-archive, a manual
//! reward, a sign-in URL for the partner portal, and the look-up by key, e-mail or id.

use axum::extract::State;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::json;

use crate::app::{AppInner, AppState};
use crate::auth::Program;
use crate::envelope::{ApiError, ApiResult, created, done, ok};
use crate::extract::{JsonBody, PathKey};
use crate::query::QueryPairs;
use crate::record_views;
use crate::records::PartnerReward;
use crate::state::{ProgramData, lock};
use crate::time::now_iso8601;
use crate::validate::Validator;
use crate::views;

use super::customers::Attribution;
use super::lookup::partner_index;
use super::{program_mut, random_token};

/// The smallest manual reward.
const MIN_REWARD: Decimal = Decimal::from_parts(1, 0, 0, false, 2);
/// Bounds and default of `expires_in` (seconds) of a sign-in URL.
const EXPIRES_IN: (u64, u64, u64) = (30, 900, 120);

fn find(data: &ProgramData, id: &str) -> Result<usize, ApiError> {
    data.partner_index_by_id(id)
        .ok_or_else(|| ApiError::not_found("Partner"))
}

fn set_archived(app: &AppInner, program: &Program, id: &str, archived: bool) -> ApiResult {
    program.require_affiliate()?;
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, program)?;
    let index = find(data, id)?;
    if archived {
        data.extras.archived_partners.insert(id.to_owned());
    } else {
        data.extras.archived_partners.remove(id);
    }
    data.partners[index].updated_at = now_iso8601();
    Ok(done())
}

/// `POST /v1/partners/{id}/archive`.
pub(crate) async fn archive(
    State(app): State<AppState>,
    program: Program,
    PathKey(id): PathKey,
) -> ApiResult {
    set_archived(&app, &program, &id, true)
}

/// `POST /v1/partners/{id}/revoke-archive`.
pub(crate) async fn revoke_archive(
    State(app): State<AppState>,
    program: Program,
    PathKey(id): PathKey,
) -> ApiResult {
    set_archived(&app, &program, &id, false)
}

/// `POST /v1/partners/{id}/reward`: `amount` (required, at least 0.01), `date` (`YYYY-MM-DD`,
/// or an ISO-8601 date-time as the n8n node sends), `note`. Adds the amount to the partner's balance; 201 with the reward.
pub(crate) async fn reward(
    State(app): State<AppState>,
    program: Program,
    PathKey(id): PathKey,
    JsonBody(body): JsonBody,
) -> ApiResult {
    program.require_affiliate()?;
    let mut v = Validator::new(&body)?;
    let amount = v.money("amount", true);
    if amount.is_some_and(|a| a < MIN_REWARD) {
        v.error("amount", "The amount must be at least 0.01.");
    }
    let date = v.string("date", false);
    if date.as_deref().is_some_and(|d| !is_date_or_date_time(d)) {
        v.error("date", "The date is not a valid date.");
    }
    let note = v.string("note", false);
    v.finish()?;
    let amount = amount.unwrap_or_default();
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, &program)?;
    let index = find(data, &id)?;
    let partner = &mut data.partners[index];
    partner.balance = partner.balance.saturating_add(amount);
    let reward = PartnerReward {
        partner_id: id,
        amount,
        date: date.unwrap_or_else(|| now_iso8601()[..10].to_owned()),
        note,
    };
    let view = record_views::partner_reward(data, &reward);
    data.extras.partner_rewards.push(reward);
    Ok(created(view))
}

/// `YYYY-MM-DD`, alone or starting a date-time (`2025-05-09T17:42:13.000Z`).
fn is_date_or_date_time(s: &str) -> bool {
    let cut = s.len().min(10);
    let (date, rest) = (s.get(..cut).unwrap_or(""), s.get(cut..).unwrap_or("x"));
    super::customers::is_date(date) && (rest.is_empty() || rest.starts_with(['T', ' ']))
}

/// `POST /v1/partners:sign-in-url`: `key` or `email`, `expires_in` (30..=900 s, default 120).
pub(crate) async fn sign_in_url(
    State(app): State<AppState>,
    program: Program,
    JsonBody(body): JsonBody,
) -> ApiResult {
    program.require_affiliate()?;
    let mut v = Validator::new(&body)?;
    let named = Attribution {
        key: v.string("key", false),
        email: v.email("email", false),
        id: None,
    };
    if named.key.is_none() && named.email.is_none() && v.is_clean() {
        v.error(
            "key",
            "The key field is required when email is not present.",
        );
    }
    let (min, max, default) = EXPIRES_IN;
    let expires_in = match v.number("expires_in", false) {
        None => default,
        Some(n) => match n.fract().is_zero().then(|| n.to_u64()).flatten() {
            Some(s) if (min..=max).contains(&s) => s,
            _ => {
                v.error(
                    "expires_in",
                    format!("The expires_in must be an integer between {min} and {max}."),
                );
                default
            }
        },
    };
    v.finish()?;
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, &program)?;
    let partner = &data.partners[partner_index(data, &named)?];
    let token = random_token(32);
    Ok(ok(json!({
        "url": format!("{}/partner-portal/sign-in/{token}?partner={}", app.origin, partner.id),
        "expires_in": expires_in,
    })))
}

/// `GET /v1/partner?key=|email=|id=`: one partner by referral key, e-mail or id.
pub(crate) async fn look_up(
    State(app): State<AppState>,
    program: Program,
    query: QueryPairs,
) -> ApiResult {
    program.require_affiliate()?;
    let named = Attribution {
        key: query.get("key").map(str::to_owned),
        id: query.get("id").map(str::to_owned),
        email: query.get("email").map(str::to_owned),
    };
    if named.key.is_none() && named.id.is_none() && named.email.is_none() {
        return Err(ApiError::field(
            "The given data was invalid.",
            "key",
            "The key field is required when id / email is not present.",
        ));
    }
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, &program)?;
    let partner = &data.partners[partner_index(data, &named)?];
    Ok(ok(views::partner(&app, data, partner)))
}
