//! A local, Partnero-compatible REST API server for development and tests.
//!
//! `partnero-sandbox` speaks the subset of the [Partnero](https://www.partnero.com)
//! API this project uses — partners, customers (affiliate and refer-a-friend),
//! transactions with commissions, refer-a-friend balances, webhooks — with
//! Partnero's envelopes, status codes and pagination, all in memory. It adds
//! fault injection (failures, latency, dropped and refused connections, and the
//! ambiguous "processed, then failed" case) so clients can be tested against
//! the worst the network does.
//!
//! It is the *other side of the wire*: it has its own model types and shares
//! no code with any Partnero client.
//!
//! Start it in-process (it binds `127.0.0.1` only) and point a client at
//! [`Sandbox::base_url`]:
//!
//! ```no_run
//! use partnero_sandbox::{ProgramKind, Sandbox, SandboxConfig};
//!
//! # async fn demo() -> std::io::Result<()> {
//! let sandbox = Sandbox::start(SandboxConfig::new().seed_demo(true)).await?;
//! let base = sandbox.base_url(); // "http://127.0.0.1:PORT/v1"
//! let key = sandbox.key_for(ProgramKind::Affiliate).expect("a default affiliate key");
//! // ... send `Authorization: Bearer {key}` requests to `base` ...
//! sandbox.faults().on("POST", "/v1/transactions").process_then_drop_next(1);
//! // ... the next transaction is stored but its answer never arrives ...
//! let stored = sandbox.state().transactions(&key).len();
//! # let _ = (base, stored);
//! sandbox.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! The same controls exist over HTTP under `/_sandbox/` (no API key needed:
//! the sandbox is for local use only). See the crate README for the endpoints,
//! the status codes chosen and the semantics.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod app;
mod auth;
mod change_feed;
mod config;
mod envelope;
mod extract;
mod faults;
mod model;
mod money;
mod pagination;
mod query;
mod record_views;
mod records;
mod routes;
mod server;
mod state;
mod stats;
mod time;
mod validate;
mod views;
mod webhook_delivery;
mod webhook_events;

pub use config::{
    DEFAULT_AFFILIATE_KEY, DEFAULT_BODY_LIMIT, DEFAULT_NEWSLETTER_KEY, DEFAULT_REFER_KEY,
    ProgramKind, SandboxConfig,
};
pub use faults::Faults;
pub use model::{
    BalanceEntry, Customer, Partner, PartnerRef, Reward, RewardRecipient, Transaction, Webhook,
};
pub use records::{
    Invitation, Lead, LinkOwner, LinkRecord, PartnerReward, ProgramExtras, Subscriber,
};
pub use server::Sandbox;
pub use state::{ProgramData, StateView};
pub use stats::RequestStats;
pub use webhook_delivery::{DeliveryAttempt, DeliveryState, WebhookDeliveryRecord};
