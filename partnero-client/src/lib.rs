//! partnero-client: the typed Partnero REST client, the sign-up/sale/refund helpers with the
//! double-commission guard, and the webhook signature check.
//!
//! Capture (who referred a visitor: cookies, referral links, the server-set cookie policy) is
//! `partnero-core`'s job; this crate turns a captured
//! [`ReferralContext`](partnero_core::ReferralContext) into API calls.
//!
//! # Talking to Partnero
//!
//! [`Partnero`] is the REST client (reqwest; rustls by default, `native-tls` feature). It is
//! cheap to clone (one connection pool behind an `Arc`), sends `Authorization: Bearer` with a
//! key that never appears in `Debug`, logs or errors ([`ApiKey`]), and groups the endpoints
//! into handles: [`customers()`](Partnero::customers), [`transactions()`](Partnero::transactions),
//! [`partners()`](Partnero::partners), [`leads()`](Partnero::leads),
//! [`partner_referral_links()`](Partnero::partner_referral_links),
//! [`customer_referral_links()`](Partnero::customer_referral_links),
//! [`subscribers()`](Partnero::subscribers) (newsletter programs),
//! [`webhooks()`](Partnero::webhooks), plus [`check_key()`](Partnero::check_key) (`GET /test`)
//! and the program endpoints ([`program_details()`](Partnero::program_details),
//! [`program_overview()`](Partnero::program_overview),
//! [`update_settings()`](Partnero::update_settings)). Every live endpoint of Partnero's PHP SDK
//! and n8n node is there (the SDK's body-addressed customer and partner updates and deletes in
//! their path form; the legacy singular `/customer` and `/partner` writes left out). Lists return a
//! [`Page`]; `stream(..)` yields every item by following `links.next`, but only on the
//! configured origin.
//!
//! ```no_run
//! use partnero_core::ReferralContext;
//! use partnero_client::{NewCustomer, Partnero, SignupOutcome};
//!
//! # async fn run(ctx: ReferralContext) -> Result<(), partnero_client::Error> {
//! // PARTNERO_API_KEY, optional PARTNERO_BASE_URL (e.g. a local partnero-sandbox) and
//! // PARTNERO_PROGRAM (`affiliate` / `refer-a-friend` / `newsletter`).
//! let client = Partnero::from_env()?;
//! match client.signup(&ctx, NewCustomer::new("user-42").email("ada@example.com")).await? {
//!     SignupOutcome::Attributed { .. } => {}
//!     SignupOutcome::PartnerKeyUnknown => { /* stale cookie: not an error */ }
//!     _ => {}
//! }
//! # Ok(()) }
//! ```
//!
//! ## Retries
//!
//! Bounded by a [`RetryPolicy`] (attempts, total time; full-jitter exponential backoff;
//! `Retry-After` honoured when it fits within `max_delay`):
//!
//! * GET, PUT, DELETE: retried on 429, 500/502/503/504, timeouts and transport errors. A DELETE
//!   answered 404 after an ambiguous failure counts as done, except for
//!   [`refund`](Partnero::refund), which then looks the key up and reports
//!   [`RefundOutcome::Unconfirmed`] when it cannot tell.
//! * `POST /customers`: retried the same way (the key is unique); "duplicate key" on a retry
//!   after an ambiguous failure means the first attempt worked, and counts as success.
//! * `POST /transactions`: resent only when the request surely never reached the server
//!   (connect error), or after a 5xx, a 429 or a dropped connection when
//!   `GET /transactions/{key}`, read after [`RetryPolicy::confirm_delay`] (or the longer
//!   `Retry-After`), shows it absent. After a timeout it is never resent: found by key it is
//!   returned, otherwise the call fails with [`Error::Unconfirmed`] (reconcile later by key).
//!   A sale without a key is never resent after an ambiguous failure or a 429: always set
//!   [`Sale::key`].
//! * Other POSTs (partners, webhooks, leads, referral links, subscribers, archive, rewards,
//!   invitations, lead conversions, balance credit): only on connect errors.
//!
//! Each attempt runs in a `partnero.request` tracing span with the method, the path template
//! (`/customers/{key}`, never the key itself), the attempt number and the status.
//!
//! Each attempt has 5 s ([`DEFAULT_TIMEOUT`]) and each call 10 s in all
//! ([`RetryPolicy::max_elapsed`]); [`signup`](Partnero::signup), [`sale`](Partnero::sale) and
//! [`refund`](Partnero::refund) share one such budget across their requests, so they fit inside
//! a visitor's request. Each of them logs one event (target `partnero`: the outcome and why) and
//! counts its outcome through the `metrics` facade. [`Partnero::check`] verifies the key, the
//! base URL and the program at start-up.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod client;
mod error;
pub mod model;
mod purchase_only;
mod referral_url;
mod report;
mod track;
mod webhook_receiver;
mod webhook_rejection;
pub mod webhook_signature;

pub use client::Partnero;
pub use client::api_key::ApiKey;
pub use client::builder::{DEFAULT_BASE_URL, DEFAULT_TIMEOUT, PartneroBuilder};
pub use client::customers::Customers;
pub use client::leads::Leads;
pub use client::partners::Partners;
pub use client::program::Program;
pub use client::referral_links::ReferralLinks;
pub use client::retry::RetryPolicy;
pub use client::subscribers::Subscribers;
pub use client::transactions::Transactions;
pub use client::webhooks::Webhooks;
pub use error::{Error, FieldErrors};
pub use model::{
    Balance, BalanceCredit, BalanceEntry, Customer, CustomerInvite, CustomerSearch, CustomerStats,
    CustomerUpdate, Domain, KeyCheck, Lead, LeadConversion, Links, ListParams, ManualReward, Meta,
    NewCustomer, NewLead, NewPartner, NewReferralLink, NewSubscriber, NewWebhook, Page, Partner,
    PartnerLookup, PartnerReward, PartnerSearch, PartnerUpdate, ProgramInfo, ProgramOverview,
    ReferralLink, ReferralLinkSearch, ReferralLinkUpdate, Reward, Sale, SignInRequest, SignInUrl,
    Subscriber, SubscriberRef, SubscriberSearch, SubscriberUpdate, Transaction, TransactionSearch,
    Webhook, WebhookUpdate,
};
pub use model::{WebhookDelivery, WebhookEvent};
pub use purchase_only::{PurchaseOutcome, PurchaseReferral};
#[doc(hidden)]
pub use track::{PendingReferral, TrackingState};
pub use track::{ReferralHandle, RefundOutcome, SaleOutcome, SignupOutcome};
pub use webhook_receiver::{DEFAULT_WEBHOOK_BODY_LIMIT, SIGNATURE_HEADER, WebhookReceiver};
pub use webhook_rejection::WebhookRejection;

/// This crate's README, compiled as doc tests so its snippet cannot drift from the API.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
