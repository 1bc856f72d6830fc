//! Customer actions beyond CRUD: archive and revoke-archive, `customers:invite`, and a
//! customer's referral links.

use axum::extract::State;
use axum::http::Uri;
use serde_json::Value;

use crate::app::{AppInner, AppState};
use crate::auth::Program;
use crate::config::ProgramKind;
use crate::envelope::{ApiResult, created, done, ok};
use crate::extract::{JsonBody, PathKey};
use crate::query::QueryPairs;
use crate::records::{Invitation, LinkOwner};
use crate::state::lock;
use crate::time::now_iso8601;
use crate::validate::Validator;
use crate::{record_views, views};

use super::customers::{find, insert_customer, read_new_customer};
use super::{page_of, program_mut};

fn set_archived(app: &AppInner, program: &Program, key: &str, archived: bool) -> ApiResult {
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, program)?;
    let index = find(data, key)?;
    let uid = data.customers[index].uid;
    if archived {
        data.extras.archived_customers.insert(uid);
    } else {
        data.extras.archived_customers.remove(&uid);
    }
    data.customers[index].updated_at = now_iso8601();
    Ok(done())
}

/// `POST /v1/customers/{key}/archive`.
pub(crate) async fn archive(
    State(app): State<AppState>,
    program: Program,
    PathKey(key): PathKey,
) -> ApiResult {
    set_archived(&app, &program, &key, true)
}

/// `POST /v1/customers/{key}/revoke-archive`.
pub(crate) async fn revoke_archive(
    State(app): State<AppState>,
    program: Program,
    PathKey(key): PathKey,
) -> ApiResult {
    set_archived(&app, &program, &key, false)
}

/// `POST /v1/customers:invite`: the customer fields of a create (`email` required) plus an
/// optional `personalization` map of strings. A new customer is created (201); a customer with
/// that key or e-mail already there is invited again (200). Either way the invitation is
/// recorded.
pub(crate) async fn invite(
    State(app): State<AppState>,
    program: Program,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let mut v = Validator::new(&body)?;
    let key_required = program.kind == ProgramKind::Affiliate;
    let mut new = read_new_customer(&mut v, program.kind, "", key_required);
    if new.email.is_none() && v.is_clean() {
        v.error("email", "The email field is required.");
    }
    let personalization = v.object("personalization", false).cloned();
    if let Some(map) = &personalization {
        for (name, value) in map {
            if !value.is_string() {
                v.error(
                    &format!("personalization.{name}"),
                    format!("The personalization.{name} must be a string."),
                );
            }
        }
    }
    v.finish()?;
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, &program)?;
    let email = new.email.clone().unwrap_or_default();
    let existing = data.customers.iter().position(|c| {
        new.key.as_deref().is_some_and(|k| c.key == k)
            || c.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(&email))
    });
    let (index, fresh) = match existing {
        Some(index) => (index, false),
        None => {
            new.key = new.key.or_else(|| Some(email.clone()));
            (insert_customer(data, new)?, true)
        }
    };
    data.extras.invitations.push(Invitation {
        customer_key: data.customers[index].key.clone(),
        personalization: personalization.unwrap_or_default(),
    });
    let view = views::customer(&app, data, &data.customers[index]);
    Ok(if fresh { created(view) } else { ok(view) })
}

/// `GET /v1/customers/{key}/referral_links` (refer-a-friend): the default link, then the ones
/// made through `/customer_referral_links`, paginated.
pub(crate) async fn referral_links(
    State(app): State<AppState>,
    program: Program,
    PathKey(key): PathKey,
    query: QueryPairs,
    uri: Uri,
) -> ApiResult {
    program.require_refer_a_friend()?;
    page_of(&app, &program, &query, &uri, |data| {
        let customer = &data.customers[find(data, &key)?];
        let owner = LinkOwner::Customer { uid: customer.uid };
        let mut links: Vec<Value> = vec![record_views::default_link(&app, "ref", &customer.key)];
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
