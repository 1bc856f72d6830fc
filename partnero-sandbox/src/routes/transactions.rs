//! Transactions: create (single and batch) with commission, get, list,
//! delete (reverses the commission), archive and revoke-archive.

use axum::extract::State;
use axum::http::Uri;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::app::{AppInner, AppState};
use crate::auth::Program;
use crate::config::ProgramKind;
use crate::envelope::{ApiError, ApiResult, created, done, ok};
use crate::extract::{JsonBody, PathKey};
use crate::model::{Reward, RewardRecipient, Transaction};
use crate::money;
use crate::query::QueryPairs;
use crate::state::{COMMISSION_UNITS, ProgramData, add_to_balance, lock};
use crate::time::now_iso8601;
use crate::validate::Validator;
use crate::views;

use super::customers::{insert_customer, read_attribution, read_new_customer};
use super::{page_of, program_mut, random_token};

/// The most transactions one batch may carry.
const MAX_BATCH: usize = 100;

/// One transaction of a create body.
struct Item {
    key: Option<String>,
    amount: Decimal,
    amount_units: Option<String>,
    action: Option<String>,
    product_id: Option<String>,
    product_type: Option<String>,
}

fn read_item(v: &mut Validator<'_>) -> Option<Item> {
    let key = v.string("key", false);
    let amount = v.money("amount", true);
    let amount_units = v.string("amount_units", false);
    let action = v.string("action", false);
    let product_id = v.string("product_id", false);
    let product_type = v.string("product_type", false);
    Some(Item {
        key,
        amount: amount?,
        amount_units,
        action,
        product_id,
        product_type,
    })
}

/// Pays the commission for a sale of `customer_index` and returns the rewards.
fn pay_commission(
    app: &AppInner,
    data: &mut ProgramData,
    customer_index: usize,
    amount: Decimal,
) -> Vec<Reward> {
    let commission = money::commission(amount, app.commission_percent);
    let customer = &data.customers[customer_index];
    match data.kind {
        ProgramKind::Affiliate | ProgramKind::Newsletter => {
            let Some(pid) = customer.partner.as_ref().map(|p| p.id.clone()) else {
                return Vec::new();
            };
            let Some(index) = data.partner_index_by_id(&pid) else {
                return Vec::new();
            };
            let partner = &mut data.partners[index];
            partner.balance = partner.balance.saturating_add(commission);
            vec![Reward {
                amount: commission,
                amount_units: COMMISSION_UNITS.to_owned(),
                recipient: RewardRecipient::Partner {
                    id: partner.id.clone(),
                    key: partner.key.clone(),
                },
            }]
        }
        ProgramKind::ReferAFriend => {
            let Some(referrer_uid) = customer.referred_by else {
                return Vec::new();
            };
            let Some(referrer) = data.customers.iter_mut().find(|c| c.uid == referrer_uid) else {
                return Vec::new();
            };
            add_to_balance(&mut referrer.balances, commission, COMMISSION_UNITS, true);
            vec![Reward {
                amount: commission,
                amount_units: COMMISSION_UNITS.to_owned(),
                recipient: RewardRecipient::Customer {
                    uid: referrer.uid,
                    key: referrer.key.clone(),
                },
            }]
        }
    }
}

/// Takes the rewards of a deleted transaction back from their recipients.
fn reverse_commission(data: &mut ProgramData, rewards: &[Reward]) {
    for reward in rewards {
        match &reward.recipient {
            RewardRecipient::Partner { id, .. } => {
                if let Some(i) = data.partner_index_by_id(id) {
                    let balance = &mut data.partners[i].balance;
                    *balance = balance.saturating_sub(reward.amount);
                }
            }
            RewardRecipient::Customer { uid, .. } => {
                if let Some(c) = data.customers.iter_mut().find(|c| c.uid == *uid) {
                    add_to_balance(&mut c.balances, -reward.amount, &reward.amount_units, true);
                }
            }
        }
    }
}

/// `POST /v1/transactions`: one transaction (`customer`, `key`, `amount`, ...)
/// or a batch (`customer` + `transactions: [...]`).
///
/// The customer must exist (422 on `customer` otherwise) unless
/// `options.create_customer` is true. A key that already exists creates a
/// second transaction, as Partnero does.
pub(crate) async fn create(
    State(app): State<AppState>,
    program: Program,
    JsonBody(body): JsonBody,
) -> ApiResult {
    let mut v = Validator::new(&body)?;
    let create_customer = if v.object("options", false).is_some() {
        v.boolean("options.create_customer", false).unwrap_or(false)
    } else {
        false
    };
    let mut new_customer = if v.object("customer", true).is_some() {
        Some(read_new_customer(&mut v, program.kind, "customer.", true))
    } else {
        None
    };
    // The older API reference and the PHP SDK put the attribution at the top level
    // (`"partner": {"key": ...}` next to `customer`); the nested form wins when both are sent.
    if let Some(new) = new_customer.as_mut().filter(|n| n.attribution.is_none()) {
        new.attribution = read_attribution(&mut v, program.kind, "");
    }
    let batch = v.present("transactions");
    let mut items = Vec::new();
    if batch {
        match v.get("transactions") {
            Some(Value::Array(list)) if list.is_empty() => {
                v.error(
                    "transactions",
                    "The transactions must have at least 1 item.",
                );
            }
            Some(Value::Array(list)) if list.len() > MAX_BATCH => v.error(
                "transactions",
                format!("The transactions may not have more than {MAX_BATCH} items."),
            ),
            Some(Value::Array(list)) => {
                for (i, entry) in list.iter().enumerate() {
                    let prefix = format!("transactions.{i}.");
                    match entry {
                        Value::Object(map) => {
                            let mut item_v = Validator::nested(map, &prefix);
                            let item = read_item(&mut item_v);
                            v.absorb(item_v);
                            items.extend(item);
                        }
                        _ => v.error(
                            &format!("transactions.{i}"),
                            format!("The transactions.{i} must be an object."),
                        ),
                    }
                }
            }
            _ => v.error("transactions", "The transactions must be an array."),
        }
    } else {
        items.extend(read_item(&mut v));
    }
    v.finish()?;
    let Some(new_customer) = new_customer else {
        return Err(ApiError::validation(Default::default()));
    };
    let customer_key = new_customer.key.clone().unwrap_or_default();

    let mut store = lock(&app.store);
    let data = program_mut(&mut store, &program)?;
    let customer_index = match data.customer_index(&customer_key) {
        Some(index) => index,
        None if create_customer => insert_customer(data, new_customer)?,
        None => {
            return Err(ApiError::field(
                "The given data was invalid.",
                "customer",
                "The selected customer does not exist.",
            ));
        }
    };
    let mut views_out = Vec::with_capacity(items.len());
    for item in items {
        let rewards = pay_commission(&app, data, customer_index, item.amount);
        let uid = data.next_uid();
        let customer = &data.customers[customer_index];
        let now = now_iso8601();
        let transaction = Transaction {
            uid,
            key: item
                .key
                .unwrap_or_else(|| format!("trx_{}", random_token(12))),
            customer_uid: customer.uid,
            customer_key: customer.key.clone(),
            amount: item.amount,
            amount_units: item.amount_units,
            action: item.action.unwrap_or_else(|| "sale".to_owned()),
            product_id: item.product_id,
            product_type: item.product_type,
            rewards,
            archived: false,
            deleted: false,
            created_at: now.clone(),
            updated_at: now,
        };
        views_out.push(views::transaction(&transaction));
        data.transactions.push(transaction);
    }
    if batch {
        Ok(created(Value::Array(views_out)))
    } else {
        Ok(created(views_out.pop().unwrap_or(json!({}))))
    }
}

/// `GET /v1/transactions` (filters `customer.key`, `key`, and the credited partner's
/// `partner.key` / `partner.email`, also spelled `partner_key` and `partner[key]`).
pub(crate) async fn list(
    State(app): State<AppState>,
    program: Program,
    query: QueryPairs,
    uri: Uri,
) -> ApiResult {
    page_of(&app, &program, &query, &uri, |data| {
        let customer_key = query.get_any(&["customer.key", "customer_key", "customer[key]"]);
        let key = query.get("key");
        let partner_key = query.get_any(&["partner.key", "partner_key", "partner[key]"]);
        let partner_id = query
            .get_any(&["partner.email", "partner_email", "partner[email]"])
            .map(|e| {
                data.partners
                    .iter()
                    .find(|p| p.email.eq_ignore_ascii_case(e))
                    .map(|p| p.id.as_str())
            });
        let credited = |t: &Transaction, hit: &dyn Fn(&str, &str) -> bool| {
            t.rewards.iter().any(|r| match &r.recipient {
                RewardRecipient::Partner { id, key } => hit(id, key),
                RewardRecipient::Customer { .. } => false,
            })
        };
        Ok(data
            .transactions
            .iter()
            .filter(|t| !t.deleted)
            .filter(|t| customer_key.is_none_or(|k| t.customer_key == k))
            .filter(|t| key.is_none_or(|k| t.key == k))
            .filter(|t| partner_key.is_none_or(|pk| credited(t, &|_, k| k == pk)))
            .filter(|t| {
                partner_id.is_none_or(|pid| pid.is_some_and(|pid| credited(t, &|id, _| id == pid)))
            })
            .map(views::transaction)
            .collect())
    })
}

fn find(data: &ProgramData, key: &str) -> Result<usize, ApiError> {
    data.live_transaction_index(key)
        .ok_or_else(|| ApiError::not_found("Transaction"))
}

/// `GET /v1/transactions/{key}`: the latest live transaction with that key.
pub(crate) async fn get(
    State(app): State<AppState>,
    program: Program,
    PathKey(key): PathKey,
) -> ApiResult {
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, &program)?;
    let index = find(data, &key)?;
    Ok(ok(views::transaction(&data.transactions[index])))
}

/// `DELETE /v1/transactions/{key}`: deletes the latest live transaction with
/// that key and reverses its commission.
pub(crate) async fn delete(
    State(app): State<AppState>,
    program: Program,
    PathKey(key): PathKey,
) -> ApiResult {
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, &program)?;
    let index = find(data, &key)?;
    let transaction = &mut data.transactions[index];
    transaction.deleted = true;
    transaction.updated_at = now_iso8601();
    let rewards = transaction.rewards.clone();
    reverse_commission(data, &rewards);
    Ok(done())
}

fn set_archived(app: &AppInner, program: &Program, key: &str, archived: bool) -> ApiResult {
    let mut store = lock(&app.store);
    let data = program_mut(&mut store, program)?;
    let index = find(data, key)?;
    let transaction = &mut data.transactions[index];
    transaction.archived = archived;
    transaction.updated_at = now_iso8601();
    Ok(done())
}

/// `POST /v1/transactions/{key}/archive`.
pub(crate) async fn archive(
    State(app): State<AppState>,
    program: Program,
    PathKey(key): PathKey,
) -> ApiResult {
    set_archived(&app, &program, &key, true)
}

/// `POST /v1/transactions/{key}/revoke-archive`.
pub(crate) async fn revoke_archive(
    State(app): State<AppState>,
    program: Program,
    PathKey(key): PathKey,
) -> ApiResult {
    set_archived(&app, &program, &key, false)
}
