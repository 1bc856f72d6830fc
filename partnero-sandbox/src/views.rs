//! The JSON shapes the API answers with.

use serde_json::{Value, json};

use crate::app::AppInner;
use crate::config::ProgramKind;
use crate::model::{BalanceEntry, Customer, Partner, RewardRecipient, Transaction, Webhook};
use crate::money;
use crate::state::ProgramData;

/// A partner (`status` is `archived` for an archived partner).
pub(crate) fn partner(app: &AppInner, program: &ProgramData, p: &Partner) -> Value {
    let status = if program.extras.archived_partners.contains(&p.id) {
        "archived"
    } else {
        "active"
    };
    json!({
        "id": p.id,
        "key": p.key,
        "email": p.email,
        "name": p.name,
        "surname": p.surname,
        "tags": p.tags,
        "status": status,
        "referral_link": app.referral_link("aff", &p.key),
        "created_at": p.created_at,
        "updated_at": p.updated_at,
    })
}

/// A customer as its program kind shows it.
pub(crate) fn customer(app: &AppInner, program: &ProgramData, c: &Customer) -> Value {
    match program.kind {
        ProgramKind::Affiliate | ProgramKind::Newsletter => json!({
            "key": c.key,
            "email": c.email,
            "name": c.name,
            "surname": c.surname,
            "tags": c.tags,
            "status": customer_status(program, c),
            "partner": c.partner.as_ref().map(|p| json!({"id": p.id, "key": p.key, "email": p.email})),
            "options": {"referral_url": c.referral_url},
            "created_at": c.created_at,
            "updated_at": c.updated_at,
        }),
        ProgramKind::ReferAFriend => {
            let referrer = c
                .referred_by
                .and_then(|uid| program.customer_by_uid(uid))
                .map(|r| json!({"key": r.key, "id": r.id}));
            let referrals = program
                .customers
                .iter()
                .filter(|other| other.referred_by == Some(c.uid))
                .count();
            let link = app.referral_link("ref", &c.key);
            json!({
                "key": c.key,
                "id": c.id,
                "email": c.email,
                "name": c.name,
                "surname": c.surname,
                "status": customer_status(program, c),
                "approved": true,
                "referring_customer": referrer,
                "referrals_count": referrals,
                "referral_link": link,
                "referral_links": [link],
                "metadata": {"date_of_birth": c.date_of_birth},
                "created_at": c.created_at,
                "updated_at": c.updated_at,
            })
        }
    }
}

/// `archived` for an archived customer, `active` otherwise.
fn customer_status(program: &ProgramData, c: &Customer) -> &'static str {
    if program.extras.archived_customers.contains(&c.uid) {
        "archived"
    } else {
        "active"
    }
}

/// A refer-a-friend customer's balance.
pub(crate) fn balance(entries: &[BalanceEntry]) -> Value {
    let lines: Vec<Value> = entries
        .iter()
        .map(|b| {
            json!({
                "amount": money::to_json(b.amount),
                "amount_units": b.amount_units,
                "is_currency": b.is_currency,
            })
        })
        .collect();
    json!({ "balance": { "currency": lines } })
}

/// A transaction.
pub(crate) fn transaction(t: &Transaction) -> Value {
    let rewards: Vec<Value> = t
        .rewards
        .iter()
        .map(|r| {
            let mut v = json!({
                "amount": money::to_json(r.amount),
                "amount_units": r.amount_units,
                "status": "approved",
            });
            match &r.recipient {
                RewardRecipient::Partner { id, key } => {
                    v["partner"] = json!({"id": id, "key": key});
                }
                RewardRecipient::Customer { key, .. } => {
                    v["customer"] = json!({"key": key});
                }
            }
            v
        })
        .collect();
    json!({
        "key": t.key,
        "amount": money::to_json(t.amount),
        "amount_units": t.amount_units,
        "action": t.action,
        "product_id": t.product_id,
        "product_type": t.product_type,
        "customer": {"key": t.customer_key},
        "rewards": rewards,
        "archived": t.archived,
        "created_at": t.created_at,
        "updated_at": t.updated_at,
    })
}

/// A webhook.
pub(crate) fn webhook(w: &Webhook) -> Value {
    json!({
        "key": w.key,
        "name": w.name,
        "url": w.url,
        "events": w.events,
        "is_active": w.is_active,
        "signature": w.signature,
        "created_at": w.created_at,
        "updated_at": w.updated_at,
    })
}
