//! The actix-web adapter's integration tests in one binary.

mod extractor;
mod middleware_cases;
mod sandbox_signup_sale;
