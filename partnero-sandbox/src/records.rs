//! What a program holds beyond partners, customers, transactions and webhooks: archive flags,
//! manual partner rewards, leads, additional referral links, invitations and program settings.
//!
//! Kept in one [`ProgramExtras`] value on [`ProgramData`](crate::ProgramData) so the core
//! records stay as they are.

use std::collections::BTreeSet;

use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};

/// The records of the endpoints beyond the core ones, per program.
#[derive(Debug, Clone, Default, Serialize)]
#[non_exhaustive]
pub struct ProgramExtras {
    /// Internal uids of archived customers.
    pub archived_customers: BTreeSet<u64>,
    /// Ids of archived partners.
    pub archived_partners: BTreeSet<String>,
    /// Manual partner rewards (`POST /partners/{id}/reward`), in creation order.
    pub partner_rewards: Vec<PartnerReward>,
    /// Leads (affiliate), in creation order.
    pub leads: Vec<Lead>,
    /// Referral links made through `/partner_referral_links` and `/customer_referral_links`.
    pub referral_links: Vec<LinkRecord>,
    /// Invitations sent through `POST /customers:invite`.
    pub invitations: Vec<Invitation>,
    /// Program settings as last set by `PUT /settings`.
    pub settings: Map<String, Value>,
    /// Subscribers (newsletter programs), in creation order.
    pub subscribers: Vec<Subscriber>,
    /// The next integer id of leads, links and subscribers.
    #[serde(skip)]
    pub(crate) next_id: u64,
}

impl ProgramExtras {
    /// The subscriber `demo-subscriber@example.com` (referral key `demo-subscriber`).
    pub(crate) fn seed_demo_subscriber(&mut self, now: String) {
        let id = self.next_id();
        self.subscribers.push(Subscriber {
            id,
            identifier: Some("demo-subscriber".to_owned()),
            email: "demo-subscriber@example.com".to_owned(),
            name: Some("Demo Subscriber".to_owned()),
            status: "Active".to_owned(),
            approved: true,
            tos: true,
            marketing_consent: true,
            referred_by: None,
            referral_key: "demo-subscriber".to_owned(),
            created_at: now.clone(),
            updated_at: now,
        });
    }

    /// A fresh integer id (ids of leads, links and subscribers start at 1).
    pub(crate) fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

/// A manual reward of a partner.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct PartnerReward {
    /// The partner's id.
    pub partner_id: String,
    /// The amount added to the partner's balance.
    #[serde(serialize_with = "crate::money::serialize")]
    pub amount: Decimal,
    /// `date` as sent (`YYYY-MM-DD`), or the day it was made.
    pub date: String,
    /// `note`, if sent.
    pub note: Option<String>,
}

/// A lead: a prospect a partner submitted (affiliate programs).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Lead {
    /// Integer id.
    pub id: u64,
    /// The partner's id.
    pub partner_id: String,
    /// Name.
    pub name: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// `pending`, `converted` or `rejected`.
    pub status: String,
    /// Commission paid on conversion (zero when none).
    #[serde(serialize_with = "crate::money::serialize")]
    pub commission: Decimal,
    /// Creation time.
    pub created_at: String,
    /// Last update time.
    pub updated_at: String,
}

/// Who a referral link belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum LinkOwner {
    /// A partner, by id.
    Partner {
        /// The partner's id.
        id: String,
    },
    /// A refer-a-friend customer, by internal uid.
    Customer {
        /// The customer's uid.
        uid: u64,
    },
}

/// An additional referral link.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct LinkRecord {
    /// Integer id.
    pub id: u64,
    /// The link key (the referral parameter's value); unique within the program.
    pub key: String,
    /// Whose link it is.
    pub owner: LinkOwner,
    /// The domain id.
    pub domain_id: u64,
    /// `is_additional` as sent.
    pub is_additional: bool,
    /// Creation time.
    pub created_at: String,
    /// Last update time.
    pub updated_at: String,
}

/// An invitation of `POST /customers:invite`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Invitation {
    /// The invited customer's key.
    pub customer_key: String,
    /// `personalization` as sent.
    pub personalization: Map<String, Value>,
}

/// A newsletter subscriber.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Subscriber {
    /// Integer id.
    pub id: u64,
    /// Your identifier (`identifier` or `id` on create), if any.
    pub identifier: Option<String>,
    /// E-mail, unique within the program.
    pub email: String,
    /// Name.
    pub name: Option<String>,
    /// Status, capitalised as Partnero sends it (`Active`).
    pub status: String,
    /// Whether approved.
    pub approved: bool,
    /// `tos` as sent.
    pub tos: bool,
    /// `marketing_consent` as sent.
    pub marketing_consent: bool,
    /// The id of the subscriber who referred this one.
    pub referred_by: Option<u64>,
    /// The subscriber's referral key.
    pub referral_key: String,
    /// Creation time.
    pub created_at: String,
    /// Last update time.
    pub updated_at: String,
}
