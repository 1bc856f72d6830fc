//! The client's integration tests, one module per concern, in one test binary.

mod batch;
mod edges;
mod errors;
mod guard;
mod list_params;
mod outcome_counters;
mod pagination;
mod requests;
mod sandbox;
mod support;
mod tracing_spans;
mod track_errors;
mod track_signup;
