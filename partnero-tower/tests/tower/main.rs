//! The tower adapter's integration tests in one binary: adapter behaviour only (the handler's
//! own cookies kept, errors passed through, layer ordering, rejection, extracting twice, the
//! webhook extractor's receiver from the state or from a layer). The capture cases run through
//! both adapters in `tests/tests/e2e/parity.rs`, and the policy itself is tested in
//! `partnero-core`.

mod axum_router;
mod common;
mod layer_service;
mod sandbox_signup_sale;
mod webhook;
