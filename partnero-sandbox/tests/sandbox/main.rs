//! The sandbox's integration tests in one binary.

mod affiliate;
mod body_addressed;
mod common;
mod concurrency;
mod errors;
mod faults;
mod lifecycle;
mod pagination;
mod refer_a_friend;
mod sdk_spellings;
mod seeds;
mod webhook_events;
mod webhook_feed;
mod webhooks;
