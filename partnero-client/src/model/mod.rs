//! Request and response types of the Partnero API.
//!
//! Responses are `#[non_exhaustive]`, ignore-and-keep unknown fields (`extra`), and read odd
//! types leniently (ids as numbers or strings, flags as `1`/`true`, status strings in any case).
//! Requests are `Clone + Serialize + Deserialize` with builder setters, so they can be queued.

/// The `page` and `limit` setters every list query shares; `$limits` names the page-size range.
macro_rules! paging_setters {
    ($limits:literal) => {
        /// Sets the page (1-based; 0 is rejected when the request is built).
        #[must_use]
        pub fn page(mut self, page: u32) -> Self {
            self.page = Some(page);
            self
        }

        #[doc = concat!("Sets the page size (", $limits, ", checked when the request is built).")]
        #[must_use]
        pub fn limit(mut self, limit: u32) -> Self {
            self.limit = Some(limit);
            self
        }
    };
}

pub(crate) mod balance;
pub(crate) mod customer;
pub(crate) mod envelope;
pub(crate) mod invite;
pub(crate) mod lead;
pub(crate) mod lenient;
pub(crate) mod money;
pub(crate) mod page;
pub(crate) mod partner;
pub(crate) mod partner_actions;
pub(crate) mod program_details;
pub(crate) mod program_info;
pub(crate) mod referral_link;
pub(crate) mod referral_link_request;
pub(crate) mod stats;
pub(crate) mod subscriber;
pub(crate) mod transaction;
pub(crate) mod transaction_search;
pub(crate) mod webhook;
pub(crate) mod webhook_event;

pub use balance::{Balance, BalanceCredit, BalanceEntry};
pub use customer::{
    Customer, CustomerOptions, CustomerRef, CustomerSearch, CustomerUpdate, NewCustomer, PartnerRef,
};
pub use invite::CustomerInvite;
pub use lead::{Lead, LeadConversion, NewLead};
pub use page::{Links, ListParams, Meta, Page};
pub use partner::{NewPartner, Partner, PartnerSearch, PartnerUpdate};
pub use partner_actions::{ManualReward, PartnerLookup, PartnerReward, SignInRequest, SignInUrl};
pub use program_details::ProgramOverview;
pub use program_info::{KeyCheck, ProgramInfo};
pub use referral_link::ReferralLink;
pub use referral_link_request::{Domain, NewReferralLink, ReferralLinkSearch, ReferralLinkUpdate};
pub use stats::CustomerStats;
pub use subscriber::{
    NewSubscriber, Subscriber, SubscriberRef, SubscriberSearch, SubscriberUpdate,
};
pub use transaction::{Reward, Sale, SaleOptions, Transaction};
pub use transaction_search::TransactionSearch;
pub use webhook::{NewWebhook, Webhook, WebhookUpdate};
pub use webhook_event::{WebhookDelivery, WebhookEvent};
