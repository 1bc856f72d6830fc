//! Example shops for partnero-rs, on axum and on actix-web, and the walkthrough that plays a
//! visitor's whole journey through them against `partnero-sandbox`.
//!
//! Binaries: `axum-shop`, `actix-shop` (`--port`, `--program affiliate|refer-a-friend`,
//! `--database URL`; `PARTNERO_API_KEY` / `PARTNERO_BASE_URL`, or an embedded sandbox when no
//! key is set) and `walkthrough` (the README's first command).
//!
//! The shops keep their users, sessions and orders in SQLite, or in PostgreSQL with
//! `--database postgres://...` ([`store`]), and write each Partnero event into the
//! `partnero-outbox` table of the same database, in the same transaction; one background dispatcher per shop delivers them ([`shop`]). They receive
//! Partnero's webhooks on `POST /webhooks/partnero` and show the latest on `/dashboard`
//! ([`webhooks`]).
//!
//! The shop's behaviour lives once, framework-free, in [`shop`]; [`axum_shop`] and
//! [`actix_shop`] only translate HTTP to it, the way an application using `partnero-tower` or
//! `partnero-actix` would.
#![forbid(unsafe_code)]

pub mod actix_shop;
pub mod axum_shop;
pub mod journey;
pub mod pages;
#[path = "../../partnero-outbox/tests/outbox/scratch_schema.rs"]
pub mod scratch_db;
pub mod setup;
pub mod shop;
pub mod store;
pub mod webhooks;

/// Logs to stderr, `RUST_LOG` or `warn` by default.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// The README's code blocks, compiled as doc tests so they cannot drift from the API.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
