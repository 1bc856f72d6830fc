//! partnero-outbox: durable delivery of sign-ups, sales, refunds and purchases to Partnero.
//! Nothing lost through outages, restarts and several machines; no commission paid twice.
//!
//! A handler writes the event into the `partnero_outbox` table, in the same transaction as its
//! own rows, and answers the visitor at once. A background [`Dispatcher`] delivers it:
//!
//! * **per-customer order**: a sign-up (or a purchase that creates the customer) before that
//!   customer's sales, a refund after its sale; a failing event holds back the customer's
//!   later ones (not anyone else's);
//! * **never paid twice**: a sale (or purchase) whose outcome is unknown (a timeout, a 5xx, a dropped
//!   connection, a dispatcher killed mid-request) becomes *unconfirmed*; after a settle time
//!   it is looked up with `GET /transactions/{key}` and resent only when absent; and every
//!   post of a sale is preceded by that look-up, so a sale recorded already (by an earlier,
//!   purged row of the same key, or sent inline too) is never posted again;
//! * **never lost**: retries with full-jitter backoff; a 429 pauses the whole dispatcher until
//!   its `Retry-After`; a rejected API key pauses it without burning attempts; after a bound the
//!   event is a *dead letter* an operator can [`retry`](Outbox::retry) or
//!   [`discard`](Outbox::discard) (the `partnero-outbox` command does both);
//! * **several machines** (PostgreSQL): rows claimed with `FOR UPDATE SKIP LOCKED`, every write
//!   fenced by the claim's owner, dispatchers woken by `LISTEN/NOTIFY` (or polling, with
//!   [`Outbox::postgres_polling`]).
//!
//! # Use
//!
//! ```no_run
//! use partnero_client::{NewCustomer, Partnero, Sale};
//! use partnero_core::ReferralContext;
//! use partnero_outbox::{Event, Outbox};
//! use rust_decimal::Decimal;
//! use std::time::Duration;
//!
//! # async fn run(referral: ReferralContext) -> Result<(), Box<dyn std::error::Error>> {
//! // Start-up: the app's own SQLite pool (or `Outbox::sqlite("partnero-outbox.db")`, or
//! // `Outbox::postgres(pg_pool)` with the `postgres` feature), and one dispatcher.
//! let db = sqlx::SqlitePool::connect("sqlite://shop.db?mode=rwc").await?;
//! let outbox = Outbox::sqlite_pool(db.clone()).await?;
//! let dispatcher = outbox.dispatcher(Partnero::from_env()?).spawn()?;
//!
//! // In the sign-up handler: the event goes in with the user's row, or not at all.
//! let mut tx = db.begin_with("BEGIN IMMEDIATE").await?;
//! sqlx::query("INSERT INTO users (id, email) VALUES (?, ?)").bind("user-42").bind("ada@example.com").execute(&mut *tx).await?;
//! outbox.enqueue(&mut *tx, &Event::signup(&referral, NewCustomer::new("user-42"))).await?;
//! tx.commit().await?;
//!
//! // A shop without sign-ups: the customer goes in with its first sale (the "only a
//! // purchase" flow of `Partnero::purchase`, made durable), keyed and guarded as a sale is.
//! let mut tx = db.begin_with("BEGIN IMMEDIATE").await?;
//! let buyer = NewCustomer::new("buyer@example.com").email("buyer@example.com");
//! let sale = Sale::new(Decimal::new(4999, 2)).key("pay_123");
//! outbox.enqueue(&mut *tx, &Event::purchase(&referral, buyer, sale)).await?;
//! tx.commit().await?;
//!
//! // Shutdown, after the server's own graceful shutdown.
//! dispatcher.shutdown(Duration::from_secs(10)).await;
//! # Ok(()) }
//! ```
//!
//! # Webhooks
//!
//! [`Outbox::first_delivery`] records each verified webhook delivery in a small
//! `partnero_webhook_seen` table (Partnero's signature has no timestamp: replays verify), and
//! [`Outbox::confirm_from_webhook`] lets Partnero's `transaction.created` confirm a sale (or
//! purchase) whose answer was lost (no lookup, no resend) and `transaction.deleted` a waiting refund.
//!
//! # The table
//!
//! Created when missing by [`Outbox::sqlite`], [`Outbox::sqlite_pool`] and `Outbox::postgres`
//! (idempotent; `_sqlx_migrations` is never touched). To create it in your own migrations
//! instead, copy [`SQLITE_SCHEMA`] or `POSTGRES_SCHEMA`. The payload holds the request as it
//! was at enqueue (customer, referral keys, sale); the API key is never stored.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod deliver;
mod dispatcher;
mod error;
mod event;
mod outbox;
mod stats;
mod store;
mod webhook_confirm;
mod webhook_seen;
mod webhook_store;

pub use deliver::PauseReason;
pub use dispatcher::{Dispatcher, DispatcherBuilder, ShutdownReport};
pub use error::Error;
pub use event::{Event, Kind};
pub use outbox::{Backend, Enqueued, Outbox};
pub use stats::{DeadLetter, Pause, Stats};
pub use webhook_confirm::Confirmation;
#[doc(hidden)]
pub use webhook_store::WebhookBackend;

/// The PostgreSQL table [`Outbox::first_delivery`] records deliveries in, for apps that create
/// it in their own migrations.
#[cfg(feature = "postgres")]
pub const POSTGRES_WEBHOOK_SCHEMA: &str = webhook_store::postgres::SCHEMA;

/// The SQLite table [`Outbox::first_delivery`] records deliveries in, for apps that create it
/// in their own migrations.
#[cfg(feature = "sqlite")]
pub const SQLITE_WEBHOOK_SCHEMA: &str = webhook_store::sqlite::SCHEMA;

/// The PostgreSQL table, indexes and notify trigger, for apps that create it in their own
/// migrations (its last two statements create the trigger: leave them out for
/// [`Outbox::postgres_polling`]).
#[cfg(feature = "postgres")]
pub const POSTGRES_SCHEMA: &str = store::postgres::SCHEMA;

#[cfg(feature = "sqlite")]
pub use store::sqlite::sqlite_options;

/// The SQLite table and indexes, for apps that create it in their own migrations.
#[cfg(feature = "sqlite")]
pub const SQLITE_SCHEMA: &str = store::sqlite::SCHEMA;

/// This crate's README, compiled as doc tests so its snippets cannot drift from the API.
#[doc = include_str!("../README.md")]
#[cfg(all(doctest, feature = "sqlite"))]
pub struct ReadmeDoctests;
