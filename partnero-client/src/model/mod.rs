//! Request and response types of the Partnero API.
//!
//! Responses are `#[non_exhaustive]`, ignore-and-keep unknown fields (`extra`), and read odd
//! types leniently (ids as numbers or strings, flags as `1`/`true`, status strings in any case).
//! Requests are `Clone + Serialize + Deserialize` with builder setters, so they can be queued.

pub(crate) mod balance;
pub(crate) mod customer;
pub(crate) mod envelope;
pub(crate) mod lenient;
pub(crate) mod money;
pub(crate) mod page;
pub(crate) mod partner;
pub(crate) mod program_info;
pub(crate) mod referral_link;
pub(crate) mod stats;
pub(crate) mod transaction;
pub(crate) mod webhook;
pub(crate) mod webhook_event;

pub use balance::{Balance, BalanceCredit, BalanceEntry};
pub use customer::{
    Customer, CustomerOptions, CustomerRef, CustomerSearch, CustomerUpdate, NewCustomer, PartnerRef,
};
pub use page::{Links, ListParams, Meta, Page};
pub use partner::{NewPartner, Partner, PartnerSearch, PartnerUpdate};
pub use program_info::{KeyCheck, ProgramInfo};
pub use referral_link::ReferralLink;
pub use stats::CustomerStats;
pub use transaction::{Reward, Sale, SaleOptions, Transaction};
pub use webhook::{NewWebhook, Webhook, WebhookUpdate};
pub use webhook_event::{WebhookDelivery, WebhookEvent};
