//! The tower adapter's integration tests in one binary.

mod axum_router;
mod common;
mod layer_service;
mod sandbox_signup_sale;
