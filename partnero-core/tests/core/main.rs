//! Capture's integration tests in one binary. `alloc_no_referral.rs` stays its own binary:
//! it installs a counting global allocator.

mod cases;
mod counting_recorder;
mod event_recorder;
mod from_http;
mod funnel_counters;
mod props;
mod split;
mod tracing_events;
