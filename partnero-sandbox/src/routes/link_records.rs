//! Additional referral links: `/partner_referral_links` (affiliate) and
//! `/customer_referral_links` (refer-a-friend), create/get/update/delete/search, the domains
//! links may use, and a partner's links (`/partners/{id}/referral_links`, paginated).
//!
//! Both collections behave the same; [`Owners`] says which kind of owner a route serves.

use axum::extract::State;
use axum::http::Uri;
use serde_json::{Value, json};

use crate::app::{AppInner, AppState};
use crate::auth::Program;
use crate::envelope::{ApiError, ApiResult, created, done, ok};
use crate::extract::{JsonBody, PathKey};
use crate::query::QueryPairs;
use crate::record_views;
use crate::records::{LinkOwner, LinkRecord};
use crate::state::{ProgramData, lock};
use crate::time::now_iso8601;
use crate::validate::Validator;

use super::lookup::{customer_index, partner_index, read_ref};
use super::{page_of, program_mut};

/// The one domain the sandbox's links use (its id).
const DOMAIN_ID: u64 = 1;

/// Which collection a request is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owners {
    /// `/partner_referral_links`.
    Partners,
    /// `/customer_referral_links`.
    Customers,
}

impl Owners {
    fn check(self, program: &Program) -> Result<(), ApiError> {
        match self {
            Owners::Partners => program.require_affiliate(),
            Owners::Customers => program.require_refer_a_friend(),
        }
    }

    fn owner_field(self) -> &'static str {
        match self {
            Owners::Partners => "partner",
            Owners::Customers => "customer",
        }
    }

    fn serves(self, owner: &LinkOwner) -> bool {
        matches!(
            (self, owner),
            (Owners::Partners, LinkOwner::Partner { .. })
                | (Owners::Customers, LinkOwner::Customer { .. })
        )
    }
}

/// A link key: unique among the program's links and its partners' default keys (a referral
/// parameter must name one owner).
fn key_taken(data: &ProgramData, key: &str, except: Option<u64>) -> bool {
    data.extras
        .referral_links
        .iter()
        .any(|l| l.key == key && Some(l.id) != except)
        || data.partners.iter().any(|p| p.key == key)
        || data.customers.iter().any(|c| c.key == key)
}

fn find(data: &ProgramData, owners: Owners, id: &str) -> Result<usize, ApiError> {
    let id: Option<u64> = id.trim().parse().ok();
    data.extras
        .referral_links
        .iter()
        .position(|l| Some(l.id) == id && owners.serves(&l.owner))
        .ok_or_else(|| ApiError::not_found("Referral link"))
}

fn domain_id(v: &mut Validator<'_>) -> u64 {
    match v.number("domain_id", false) {
        None => DOMAIN_ID,
        Some(d) if d == rust_decimal::Decimal::from(DOMAIN_ID) => DOMAIN_ID,
        Some(_) => {
            v.error("domain_id", "The selected domain_id is invalid.");
            DOMAIN_ID
        }
    }
}

fn taken() -> ApiError {
    ApiError::field(
        "The given data was invalid.",
        "key",
        "The key has already been taken.",
    )
}

/// `POST /v1/{partner|customer}_referral_links`: `key` and `{partner|customer}.{id|key|email}`
/// required, `domain_id`, `is_additional`. 201.
pub(crate) fn create(app: &AppInner, program: &Program, owners: Owners, body: &Value) -> ApiResult {
    owners.check(program)?;
    let mut v = Validator::new(body)?;
    let key = v.string("key", true);
    let named = read_ref(&mut v, owners.owner_field());
    let domain_id = domain_id(&mut v);
    let is_additional = v.boolean("is_additional", false).unwrap_or(false);
    v.finish()?;
    let (Some(key), Some(named)) = (key, named) else {
        return Err(ApiError::validation(Default::default()));
    };
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, program)?;
    let owner = match owners {
        Owners::Partners => LinkOwner::Partner {
            id: data.partners[partner_index(data, &named)?].id.clone(),
        },
        Owners::Customers => LinkOwner::Customer {
            uid: data.customers[customer_index(data, &named)?].uid,
        },
    };
    if key_taken(data, &key, None) {
        return Err(taken());
    }
    let now = now_iso8601();
    let link = LinkRecord {
        id: data.extras.next_id(),
        key,
        owner,
        domain_id,
        is_additional,
        created_at: now.clone(),
        updated_at: now,
    };
    let view = record_views::link_record(app, data, &link);
    data.extras.referral_links.push(link);
    Ok(created(view))
}

/// `GET /v1/{partner|customer}_referral_links/{id}`.
pub(crate) fn get(app: &AppInner, program: &Program, owners: Owners, id: &str) -> ApiResult {
    owners.check(program)?;
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, program)?;
    let index = find(data, owners, id)?;
    Ok(ok(record_views::link_record(
        app,
        data,
        &data.extras.referral_links[index],
    )))
}

/// `PUT /v1/{partner|customer}_referral_links/{id}`: a new `key` and/or `is_additional`, at the
/// top level or inside `update`.
pub(crate) fn update(
    app: &AppInner,
    program: &Program,
    owners: Owners,
    id: &str,
    body: &Value,
) -> ApiResult {
    owners.check(program)?;
    let fields = body.get("update").filter(|u| u.is_object()).unwrap_or(body);
    let mut v = Validator::new(fields)?;
    let key = v.string("key", false);
    let is_additional = v.boolean("is_additional", false);
    v.finish()?;
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, program)?;
    let index = find(data, owners, id)?;
    let link_id = data.extras.referral_links[index].id;
    if key
        .as_deref()
        .is_some_and(|k| key_taken(data, k, Some(link_id)))
    {
        return Err(taken());
    }
    let link = &mut data.extras.referral_links[index];
    if let Some(key) = key {
        link.key = key;
    }
    if let Some(is_additional) = is_additional {
        link.is_additional = is_additional;
    }
    link.updated_at = now_iso8601();
    Ok(ok(record_views::link_record(
        app,
        data,
        &data.extras.referral_links[index],
    )))
}

/// `DELETE /v1/{partner|customer}_referral_links/{id}`.
pub(crate) fn delete(app: &AppInner, program: &Program, owners: Owners, id: &str) -> ApiResult {
    owners.check(program)?;
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, program)?;
    let index = find(data, owners, id)?;
    data.extras.referral_links.remove(index);
    Ok(done())
}

/// `GET /v1/{partner|customer}_referral_links:search` (`id`, `key`), paginated.
pub(crate) fn search(
    app: &AppInner,
    program: &Program,
    owners: Owners,
    query: &QueryPairs,
    uri: &Uri,
) -> ApiResult {
    owners.check(program)?;
    page_of(app, program, query, uri, |data| {
        let id = query.get("id");
        let key = query.get("key");
        Ok(data
            .extras
            .referral_links
            .iter()
            .filter(|l| owners.serves(&l.owner))
            .filter(|l| id.is_none_or(|i| l.id.to_string() == i))
            .filter(|l| key.is_none_or(|k| l.key == k))
            .map(|l| record_views::link_record(app, data, l))
            .collect())
    })
}

/// `GET /v1/{partner|customer}_referral_links:domains`: the domains links may use
/// (`limit` defaults to 10). The sandbox has one, the host of its referral link base.
pub(crate) fn domains(
    app: &AppInner,
    program: &Program,
    owners: Owners,
    query: &QueryPairs,
    uri: &Uri,
) -> ApiResult {
    owners.check(program)?;
    let mut query = query.clone();
    if query.get("limit").is_none() {
        query.0.push(("limit".to_owned(), "10".to_owned()));
    }
    let host = url_host(&app.referral_link_base);
    page_of(app, program, &query, uri, |_| {
        Ok(vec![
            json!({"id": DOMAIN_ID, "domain": host, "is_default": true}),
        ])
    })
}

/// The host of a URL (`https://example.com/x` -> `example.com`).
fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split(['/', '?', '#']).next().unwrap_or(rest)
}

/// `GET /v1/partners/{id}/referral_links`: the partner's default link, then the ones made
/// through `/partner_referral_links`, paginated.
pub(crate) async fn of_partner(
    State(app): State<AppState>,
    program: Program,
    PathKey(id): PathKey,
    query: QueryPairs,
    uri: Uri,
) -> ApiResult {
    program.require_affiliate()?;
    page_of(&app, &program, &query, &uri, |data| {
        let index = data
            .partner_index_by_id(&id)
            .ok_or_else(|| ApiError::not_found("Partner"))?;
        let partner = &data.partners[index];
        let owner = LinkOwner::Partner {
            id: partner.id.clone(),
        };
        let mut links = vec![record_views::default_link(&app, "aff", &partner.key)];
        links.extend(
            data.extras
                .referral_links
                .iter()
                .filter(|l| l.owner == owner)
                .map(|l| record_views::link_record(&app, data, l)),
        );
        Ok(links)
    })
}

/// The route handlers of one collection, bound to its [`Owners`].
macro_rules! link_routes {
    ($module:ident, $owners:expr) => {
        /// The handlers of this collection.
        pub(crate) mod $module {
            use super::*;

            pub(crate) async fn create(
                State(app): State<AppState>,
                program: Program,
                JsonBody(body): JsonBody,
            ) -> ApiResult {
                super::create(&app, &program, $owners, &body)
            }

            pub(crate) async fn get(
                State(app): State<AppState>,
                program: Program,
                PathKey(id): PathKey,
            ) -> ApiResult {
                super::get(&app, &program, $owners, &id)
            }

            pub(crate) async fn update(
                State(app): State<AppState>,
                program: Program,
                PathKey(id): PathKey,
                JsonBody(body): JsonBody,
            ) -> ApiResult {
                super::update(&app, &program, $owners, &id, &body)
            }

            pub(crate) async fn delete(
                State(app): State<AppState>,
                program: Program,
                PathKey(id): PathKey,
            ) -> ApiResult {
                super::delete(&app, &program, $owners, &id)
            }

            pub(crate) async fn search(
                State(app): State<AppState>,
                program: Program,
                query: QueryPairs,
                uri: Uri,
            ) -> ApiResult {
                super::search(&app, &program, $owners, &query, &uri)
            }

            /// The collection's routes under `base`.
            pub(crate) fn router(base: &str) -> axum::Router<AppState> {
                use axum::routing::{get as get_route, post};
                axum::Router::new()
                    .route(base, post(create))
                    .route(&format!("{base}:search"), get_route(search))
                    .route(&format!("{base}:domains"), get_route(domains))
                    .route(
                        &format!("{base}/{{id}}"),
                        get_route(get).put(update).delete(delete),
                    )
            }

            pub(crate) async fn domains(
                State(app): State<AppState>,
                program: Program,
                query: QueryPairs,
                uri: Uri,
            ) -> ApiResult {
                super::domains(&app, &program, $owners, &query, &uri)
            }
        }
    };
}

link_routes!(partner_links, Owners::Partners);
link_routes!(customer_links, Owners::Customers);

/// The routes of both collections.
pub(crate) fn routes() -> axum::Router<AppState> {
    partner_links::router("/v1/partner_referral_links")
        .merge(customer_links::router("/v1/customer_referral_links"))
}
