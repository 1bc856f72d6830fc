//! Cross-crate tests in one binary: the adapter parity table, the shops' parity and journeys
//! end to end (on SQLite and on PostgreSQL), and the real-browser round trip.

mod browser;
mod journeys;
mod landing_url;
mod parity;
mod readme;
mod shop_parity;
mod shop_postgres;
mod shop_webhooks;
mod webhook_parity;
