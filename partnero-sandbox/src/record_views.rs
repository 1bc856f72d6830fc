//! The JSON shapes of the records in [`ProgramExtras`](crate::ProgramExtras).

use serde_json::{Value, json};

use crate::app::AppInner;
use crate::money;
use crate::records::{Lead, LinkOwner, LinkRecord, PartnerReward, Subscriber};
use crate::state::ProgramData;

/// The link every partner (`aff`) or refer-a-friend customer (`ref`) has from the start.
pub(crate) fn default_link(app: &AppInner, param: &str, key: &str) -> Value {
    json!({
        "id": null,
        "key": key,
        "url": app.referral_link(param, key),
        "is_default": true,
        "is_additional": false,
    })
}

/// A link made through `/partner_referral_links` or `/customer_referral_links`.
pub(crate) fn link_record(app: &AppInner, data: &ProgramData, l: &LinkRecord) -> Value {
    let (param, owner_field, owner) = match &l.owner {
        LinkOwner::Partner { id } => {
            let key = data.partners.iter().find(|p| &p.id == id).map(|p| &p.key);
            ("aff", "partner", json!({"id": id, "key": key}))
        }
        LinkOwner::Customer { uid } => {
            let c = data.customer_by_uid(*uid);
            (
                "ref",
                "customer",
                json!({"key": c.map(|c| &c.key), "id": c.and_then(|c| c.id.as_ref())}),
            )
        }
    };
    let mut view = json!({
        "id": l.id,
        "key": l.key,
        "url": app.referral_link(param, &l.key),
        "is_default": false,
        "is_additional": l.is_additional,
        "domain_id": l.domain_id,
        "created_at": l.created_at,
        "updated_at": l.updated_at,
    });
    view[owner_field] = owner;
    view
}

/// A manual partner reward.
pub(crate) fn partner_reward(data: &ProgramData, r: &PartnerReward) -> Value {
    let key = data
        .partners
        .iter()
        .find(|p| p.id == r.partner_id)
        .map(|p| &p.key);
    json!({
        "amount": money::to_json(r.amount),
        "date": r.date,
        "note": r.note,
        "partner": {"id": r.partner_id, "key": key},
    })
}

/// The reward a lead's conversion paid its partner: a manual reward's shape, dated the day of
/// the conversion, naming the lead.
pub(crate) fn lead_reward(data: &ProgramData, l: &Lead) -> Value {
    let reward = PartnerReward {
        partner_id: l.partner_id.clone(),
        amount: l.commission,
        date: l.updated_at.get(..10).unwrap_or_default().to_owned(),
        note: None,
    };
    let mut view = partner_reward(data, &reward);
    view["lead"] = json!({"id": l.id});
    view
}

/// A lead.
pub(crate) fn lead(data: &ProgramData, l: &Lead) -> Value {
    let partner = data.partners.iter().find(|p| p.id == l.partner_id);
    json!({
        "id": l.id,
        "name": l.name,
        "email": l.email,
        "status": l.status,
        "commission": money::to_json(l.commission),
        "partner": {
            "id": l.partner_id,
            "key": partner.map(|p| &p.key),
            "email": partner.map(|p| &p.email),
        },
        "created_at": l.created_at,
        "updated_at": l.updated_at,
    })
}

/// A newsletter subscriber.
pub(crate) fn subscriber(app: &AppInner, data: &ProgramData, s: &Subscriber) -> Value {
    let referrer = s
        .referred_by
        .and_then(|id| data.extras.subscribers.iter().find(|r| r.id == id))
        .map(|r| json!({"id": r.id, "identifier": r.identifier, "email": r.email}));
    let referrals = data
        .extras
        .subscribers
        .iter()
        .filter(|other| other.referred_by == Some(s.id))
        .count();
    json!({
        "id": s.id,
        "identifier": s.identifier,
        "email": s.email,
        "name": s.name,
        "status": s.status,
        "approved": s.approved,
        "tos": s.tos,
        "marketing_consent": s.marketing_consent,
        "referral_link": app.referral_link("ref", &s.referral_key),
        "referring_subscriber": referrer,
        "referrals_count": referrals,
        "created_at": s.created_at,
        "updated_at": s.updated_at,
    })
}
