//! The sandbox's own records of what it stores.
//!
//! These are the server side of the wire and deliberately independent of any
//! client's models. They are exposed read-only through
//! [`StateView`](crate::StateView); `#[non_exhaustive]` keeps them open.

use rust_decimal::Decimal;
use serde::Serialize;

/// A partner (affiliate programs only).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Partner {
    /// The partner id, used in `/v1/partners/{id}`.
    pub id: String,
    /// The partner's referral key (`partner.key` on customer create).
    pub key: String,
    /// E-mail address, unique within the program.
    pub email: String,
    /// First name.
    pub name: Option<String>,
    /// Last name.
    pub surname: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Commission earned and not reversed.
    #[serde(serialize_with = "crate::money::serialize")]
    pub balance: Decimal,
    /// Creation time (ISO-8601).
    pub created_at: String,
    /// Last update time (ISO-8601).
    pub updated_at: String,
}

/// How an affiliate customer was attributed to a partner, as recorded at sign-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PartnerRef {
    /// The partner's id.
    pub id: String,
    /// The partner's referral key at attribution time.
    pub key: String,
    /// The partner's e-mail at attribution time.
    pub email: String,
}

/// One balance line of a refer-a-friend customer (`balance.currency[]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct BalanceEntry {
    /// The amount.
    #[serde(serialize_with = "crate::money::serialize")]
    pub amount: Decimal,
    /// Units, e.g. `usd` or `points`.
    pub amount_units: String,
    /// Whether the amount is money.
    pub is_currency: bool,
}

/// A customer, of either program kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Customer {
    /// Internal, stable identity (never shown by the API).
    pub uid: u64,
    /// The customer key (unique within the program).
    pub key: String,
    /// Refer-a-friend private id (defaults to the key); `None` for affiliate customers.
    pub id: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// First name.
    pub name: Option<String>,
    /// Last name.
    pub surname: Option<String>,
    /// Tags (affiliate).
    pub tags: Vec<String>,
    /// The attributed partner (affiliate).
    pub partner: Option<PartnerRef>,
    /// `options.referral_url` (affiliate).
    pub referral_url: Option<String>,
    /// The referring customer's `uid` (refer-a-friend).
    pub referred_by: Option<u64>,
    /// `metadata.date_of_birth` (refer-a-friend).
    pub date_of_birth: Option<String>,
    /// Reward balances (refer-a-friend).
    pub balances: Vec<BalanceEntry>,
    /// Creation time (ISO-8601).
    pub created_at: String,
    /// Last update time (ISO-8601).
    pub updated_at: String,
}

/// Who earned a reward.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RewardRecipient {
    /// A partner (affiliate programs).
    Partner {
        /// Partner id.
        id: String,
        /// Partner referral key at reward time.
        key: String,
    },
    /// A referring customer (refer-a-friend programs).
    Customer {
        /// The customer's internal uid.
        uid: u64,
        /// The customer's key at reward time.
        key: String,
    },
}

/// A commission paid for a transaction.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Reward {
    /// The commission.
    #[serde(serialize_with = "crate::money::serialize")]
    pub amount: Decimal,
    /// Units of the commission (always `usd` in the sandbox).
    pub amount_units: String,
    /// Who earned it.
    pub recipient: RewardRecipient,
}

/// A transaction (sale, refund, ...).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Transaction {
    /// Internal, stable identity; increases with creation order.
    pub uid: u64,
    /// The transaction key (payment id). Not unique: a resend creates a second one.
    pub key: String,
    /// The customer's uid.
    pub customer_uid: u64,
    /// The customer's key.
    pub customer_key: String,
    /// The full amount of the purchase.
    #[serde(serialize_with = "crate::money::serialize")]
    pub amount: Decimal,
    /// `amount_units`, if sent.
    pub amount_units: Option<String>,
    /// The action (default `sale`).
    pub action: String,
    /// `product_id`, if sent.
    pub product_id: Option<String>,
    /// `product_type`, if sent.
    pub product_type: Option<String>,
    /// Commissions paid (empty when the customer is not attributed).
    pub rewards: Vec<Reward>,
    /// Whether it is archived.
    pub archived: bool,
    /// Whether it was deleted (refunded); its rewards were reversed and the API no longer shows it.
    pub deleted: bool,
    /// Creation time (ISO-8601).
    pub created_at: String,
    /// Last update time (ISO-8601).
    pub updated_at: String,
}

/// A webhook subscription; see the README's "Webhook delivery".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Webhook {
    /// The webhook key (random).
    pub key: String,
    /// Name.
    pub name: String,
    /// Target URL.
    pub url: String,
    /// Subscribed event names.
    pub events: Vec<String>,
    /// Whether deliveries are enabled.
    pub is_active: bool,
    /// The signing secret.
    pub signature: String,
    /// Creation time (ISO-8601).
    pub created_at: String,
    /// Last update time (ISO-8601).
    pub updated_at: String,
}
