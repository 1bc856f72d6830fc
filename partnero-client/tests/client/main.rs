//! The client's integration tests, one module per concern, in one test binary.

mod batch;
mod customer_actions;
mod delivered_events;
mod edges;
mod errors;
#[path = "../../../partnero-core/tests/core/event_recorder.rs"]
mod event_recorder;
mod guard;
mod leads;
mod list_params;
mod outcome_counters;
mod pagination;
mod partner_actions;
mod program_details;
mod purchase_only;
mod referral_links;
mod requests;
mod sandbox;
mod subscribers;
mod support;
mod tracing_spans;
mod track_errors;
mod track_signup;
