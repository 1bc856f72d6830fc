//! Partnero referral tracking for [actix-web](https://actix.rs): a middleware that captures who
//! referred each visitor, and an extractor that hands it, with the API client, to your handlers.
//!
//! * [`PartneroMiddleware`] reads the referral keys Partnero uses (cookies `partnero_partner` /
//!   `partnero_referral` set by PartneroJS, query parameters `?aff=` / `?ref=`, an optional path
//!   form such as `/aff/KEY`), and when a key arrives by link it answers with a **server-set**
//!   cookie (not capped at 7 days by Safari's ITP, and readable when ad-blockers stop
//!   PartneroJS). The referral cookies are read only when a handler extracts [`Referral`]
//!   ([lazy cookie reading](partnero_core#lazy-cookie-reading)).
//! * [`Referral`] is the extractor: `referral.partner_key()`, `referral.signup(..)`,
//!   `referral.sale(..)`, `referral.refund(..)`. It is also the way to read the context in your
//!   own middleware (`service_request.extract::<Referral>().await`): the complete
//!   [`ReferralHandle`] is in the request extensions only after
//!   an extraction.
//!
//! The policy (attribution, cookie attributes, crawlers, prefetch, consent) is
//! `partnero-core`'s [`TrackingConfig`]; this crate only
//! translates actix-web's request and response.
//!
//! # Quick start
//!
//! ```no_run
//! use actix_web::{App, HttpResponse, HttpServer, web};
//! use partnero_actix::{NewCustomer, PartneroMiddleware, Referral};
//!
//! async fn signup(referral: Referral) -> HttpResponse {
//!     // ... create the user account first, then tell Partnero:
//!     let customer = NewCustomer::new("user-42").email("ada@example.com");
//!     if let Err(error) = referral.signup(customer).await {
//!         // A Partnero outage must not fail the sign-up itself.
//!         tracing::warn!(%error, "partnero signup not recorded");
//!     }
//!     HttpResponse::Created().finish()
//! }
//!
//! #[actix_web::main]
//! async fn main() -> std::io::Result<()> {
//!     // PARTNERO_API_KEY, and PARTNERO_BASE_URL / PARTNERO_PROGRAM when set.
//!     let partnero = PartneroMiddleware::from_env().map_err(std::io::Error::other)?;
//!     partnero.client().check().await.map_err(std::io::Error::other)?;
//!     HttpServer::new(move || {
//!         App::new()
//!             .wrap(partnero.clone())
//!             .route("/signup", web::post().to(signup))
//!     })
//!     .bind(("127.0.0.1", 8080))?
//!     .run()
//!     .await
//! }
//! ```
//!
//! The same, in process: a visitor arriving with `?aff=demo-partner` is attributed at once and
//! gets the server-set cookie.
//!
//! ```
//! use actix_web::{App, http::header, test, web};
//! use partnero_actix::{PartneroMiddleware, Referral};
//!
//! async fn pricing(referral: Referral) -> String {
//!     referral.partner_key().map_or("-", |k| k.as_str()).to_owned()
//! }
//!
//! # actix_web::rt::System::new().block_on(async {
//! let app = test::init_service(
//!     App::new()
//!         .wrap(PartneroMiddleware::new("your-api-key"))
//!         .route("/pricing", web::get().to(pricing)),
//! )
//! .await;
//! let req = test::TestRequest::get().uri("/pricing?aff=demo-partner").to_request();
//! let res = test::call_service(&app, req).await;
//! assert_eq!(
//!     res.headers().get(header::SET_COOKIE).unwrap(),
//!     "partnero_partner=demo-partner; Max-Age=2592000; Path=/; SameSite=Lax; Secure"
//! );
//! assert_eq!(test::read_body(res).await, "demo-partner");
//! # });
//! ```
//!
//! Wrap a [`Scope`](actix_web::Scope) instead of the `App` to track only part of a site;
//! extract `Option<Referral>` in handlers that may also run without the middleware.
//!
//! The client and its request and outcome types ([`Partnero`], [`NewCustomer`], [`Sale`],
//! [`SignupOutcome`], [`Error`], ...), core's [`TrackingConfig`] and [`ReferralContext`], and
//! `rust_decimal`'s [`Decimal`] are re-exported: `partnero-actix` is the only Partnero
//! dependency an actix-web app needs. The rest of the client is in `partnero-client`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod extract;
mod headers;
mod middleware;
mod webhook;

pub use error::MissingPartneroMiddleware;
pub use extract::Referral;
pub use middleware::{PartneroMiddleware, PartneroMiddlewareService, ResponseFuture};
// What a handler and its setup need, so an app depends on this crate alone.
pub use partnero_client::{
    ApiKey, Balance, Customer, Error, NewCustomer, Partnero, PartneroBuilder, Program,
    PurchaseOutcome, PurchaseReferral, ReferralHandle, ReferralLink, RefundOutcome, RetryPolicy,
    Sale, SaleOutcome, SignupOutcome, Transaction,
};
pub use partnero_client::{WebhookDelivery, WebhookEvent, WebhookReceiver, WebhookRejection};
pub use partnero_core::{
    Attribution, KeySource, ReferralContext, ReferralKey, SameSite, TrackingConfig,
};
pub use rust_decimal::Decimal;
pub use webhook::{VerifiedWebhook, WebhookRejected};

/// This crate's README, compiled as doc tests so its snippet cannot drift from the API.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
