//! The HTTP routes: Partnero's `/v1` API and the sandbox's `/_sandbox` admin API.

mod admin;
mod body_addressed;
mod customer_actions;
mod customers;
mod deliveries;
mod leads;
mod link_records;
mod lookup;
mod partner_actions;
mod partners;
mod program;
mod program_settings;
mod referrals;
mod subscribers;
mod transactions;
mod webhooks;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post, put};

use axum::http::Uri;
use serde_json::Value;

use crate::app::{AppInner, AppState};
use crate::auth::Program;
use crate::envelope::{ApiError, ApiResult};
use crate::pagination::{PageRequest, page_response};
use crate::query::QueryPairs;
use crate::state::{ProgramData, Store, lock};

/// All routes; unknown paths answer 404 and wrong methods 405, both enveloped.
pub(crate) fn router(app: AppState) -> Router {
    let emit = axum::middleware::from_fn_with_state(app.clone(), deliveries::emit_changes);
    Router::new()
        .route("/v1/test", get(program::test))
        .route(
            "/v1/partners",
            get(partners::list)
                .post(partners::create)
                .put(body_addressed::update_partner)
                .delete(body_addressed::delete_partner),
        )
        .route("/v1/partners:search", get(partners::list))
        .route(
            "/v1/partners/{id}",
            get(partners::get)
                .put(partners::update)
                .delete(partners::delete),
        )
        .route(
            "/v1/partners/{id}/referral_links",
            get(link_records::of_partner),
        )
        .route("/v1/partners/{id}/archive", post(partner_actions::archive))
        .route(
            "/v1/partners/{id}/revoke-archive",
            post(partner_actions::revoke_archive),
        )
        .route("/v1/partners/{id}/reward", post(partner_actions::reward))
        .route(
            "/v1/partners:sign-in-url",
            post(partner_actions::sign_in_url),
        )
        .route("/v1/partner", get(partner_actions::look_up))
        .route(
            "/v1/customers/{key}/archive",
            post(customer_actions::archive),
        )
        .route(
            "/v1/customers/{key}/revoke-archive",
            post(customer_actions::revoke_archive),
        )
        .route("/v1/customers:invite", post(customer_actions::invite))
        .route(
            "/v1/customers/{key}/referral_links",
            get(customer_actions::referral_links),
        )
        .route("/v1/leads", get(leads::list).post(leads::create))
        .route("/v1/leads/convert", post(leads::convert))
        .route("/v1/leads/reject", post(leads::reject))
        .route("/v1/leads/{id}", get(leads::get).delete(leads::delete))
        .merge(link_records::routes())
        .route(
            "/v1/subscribers",
            get(subscribers::list)
                .post(subscribers::create)
                .put(subscribers::update)
                .delete(subscribers::delete),
        )
        .route("/v1/subscribers:search", get(subscribers::list))
        .route("/v1/subscribers/{id}", get(subscribers::get))
        .route("/v1/program", get(program_settings::get))
        .route("/v1/program/overview", get(program_settings::overview))
        .route("/v1/settings", put(program_settings::update))
        .route(
            "/v1/customers",
            get(customers::list)
                .post(customers::create)
                .put(body_addressed::update_customer)
                .delete(body_addressed::delete_customer),
        )
        .route("/v1/customers:search", get(customers::list))
        .route(
            "/v1/customers/{key}",
            get(customers::get)
                .put(customers::update)
                .delete(customers::delete),
        )
        .route(
            "/v1/customers/{key}/transactions",
            get(customers::transactions),
        )
        .route("/v1/customers/{key}/referrals", get(referrals::referrals))
        .route("/v1/customers/{key}/stats", get(referrals::stats))
        .route("/v1/customers/{key}/balance", get(referrals::balance))
        .route(
            "/v1/customers/{key}/balance/credit",
            post(referrals::credit),
        )
        .route(
            "/v1/transactions",
            get(transactions::list)
                .post(transactions::create)
                .delete(body_addressed::delete_transaction),
        )
        .route(
            "/v1/transactions/{key}",
            get(transactions::get).delete(transactions::delete),
        )
        .route(
            "/v1/transactions/{key}/archive",
            post(transactions::archive),
        )
        .route(
            "/v1/transactions/{key}/revoke-archive",
            post(transactions::revoke_archive),
        )
        .route("/v1/webhooks", get(webhooks::list).post(webhooks::create))
        .route(
            "/v1/webhooks/{key}",
            get(webhooks::get)
                .put(webhooks::update)
                .delete(webhooks::delete),
        )
        .route_layer(emit)
        .route(
            "/_sandbox/faults",
            post(admin::faults).get(admin::describe_faults),
        )
        .route("/_sandbox/reset", post(admin::reset))
        .route("/_sandbox/stats", get(admin::stats))
        .route("/_sandbox/state", get(admin::state))
        .route("/_sandbox/webhook_deliveries", get(deliveries::list))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(app)
}

async fn not_found() -> ApiError {
    ApiError::route_not_found()
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed")
}

/// The program's data in the locked store (present for every authenticated key).
pub(crate) fn program_mut<'a>(
    store: &'a mut Store,
    program: &Program,
) -> Result<&'a mut ProgramData, ApiError> {
    store
        .programs
        .get_mut(&program.api_key)
        .ok_or_else(ApiError::unauthenticated)
}

/// One page of the items `select` picks from the request program's data: the shape of every
/// list endpoint (`page` and `limit` checked first, then the store is locked).
pub(crate) fn page_of(
    app: &AppInner,
    program: &Program,
    query: &QueryPairs,
    uri: &Uri,
    select: impl FnOnce(&ProgramData) -> Result<Vec<Value>, ApiError>,
) -> ApiResult {
    let page = PageRequest::from_query(query)?;
    let mut store = lock(&app.store);
    let items = select(program_mut(&mut store, program)?)?;
    Ok(page_response(items, page, &app.origin, uri, query))
}

/// A random lower-case alphanumeric string.
pub(crate) fn random_token(len: usize) -> String {
    std::iter::repeat_with(|| {
        let c = fastrand::alphanumeric();
        c.to_ascii_lowercase()
    })
    .take(len)
    .collect()
}
