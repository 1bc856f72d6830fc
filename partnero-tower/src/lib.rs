//! Partnero referral tracking for [tower] and [axum]: one [`PartneroLayer`] and the
//! [`Referral`] extractor.
//!
//! The layer hands your handlers the request's referral key (the `partnero_partner` /
//! `partnero_referral` cookies PartneroJS or this layer set, the `?aff=` / `?ref=` link
//! parameters, and optionally a path form such as `/aff/KEY`), and writes the referral cookie
//! itself when a visitor arrives through a referral link, so attribution survives without any
//! JavaScript.
//!
//! On every request the layer checks only the links; the referral cookies are read when a
//! handler extracts [`Referral`] ([lazy cookie reading](partnero_core#lazy-cookie-reading)).
//! What is captured and when a cookie is written is
//! [`TrackingConfig`]'s policy; this crate only adapts it to tower.
//!
//! [tower]: https://docs.rs/tower
//! [axum]: https://docs.rs/axum
//!
//! # Quick start
//!
//! Add the layer to the `Router`, take a [`Referral`] in the handlers that report to Partnero:
//!
//! ```no_run
//! use axum::{Router, routing::post};
//! use partnero_tower::{Decimal, NewCustomer, PartneroLayer, Referral, Sale, SignupOutcome};
//!
//! # async fn create_user() -> (String, String) { ("user-1".into(), "ada@example.com".into()) }
//! async fn signup(referral: Referral) -> &'static str {
//!     let (user_id, email) = create_user().await; // your own sign-up logic
//!     // Creates the customer in Partnero, attributed to the referring partner; an organic
//!     // sign-up makes no call at all.
//!     match referral.signup(NewCustomer::new(user_id).email(email)).await {
//!         Ok(SignupOutcome::Attributed { .. }) => tracing::info!("referred sign-up"),
//!         Ok(_) => {}
//!         Err(err) => tracing::warn!(%err, "partnero sign-up not recorded"),
//!     }
//!     "welcome"
//! }
//!
//! async fn checkout(referral: Referral) -> &'static str {
//!     let sale = Sale::new(Decimal::new(4900, 2)).key("order-1001");
//!     if let Err(err) = referral.sale("user-1", sale).await {
//!         tracing::warn!(%err, "partnero sale not recorded");
//!     }
//!     "thank you"
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // PARTNERO_API_KEY, and PARTNERO_BASE_URL / PARTNERO_PROGRAM when set.
//! let partnero = PartneroLayer::from_env()?;
//! partnero.client().check().await?; // says in one line what is wrong, if anything
//! let app = Router::new()
//!     .route("/signup", post(signup))
//!     .route("/checkout", post(checkout))
//!     .layer(partnero);
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
//!
//! `Option<Referral>` never rejects; `Referral` rejects with a 500 ([`MissingPartneroLayer`])
//! when the layer does not wrap the route, which is always a wiring mistake.
//!
//! Outside axum, any inner service (or your own middleware inside the layer) reads the same
//! data with [`referral_handle`]`(&req)` (see [`PartneroService`]). The request extensions hold
//! only the layer's pending link part, never a `ReferralHandle`: read it through one of those two.
//!
//! # Layer ordering
//!
//! The extractor only finds the referral context when [`PartneroLayer`] runs *before* the
//! handler and before any middleware that extracts [`Referral`]. Two rules decide that:
//!
//! 1. **`Router::layer` wraps only the routes added before it.** Call it last, after every
//!    `.route(..)`, `.merge(..)` and `.nest(..)`. Each later `Router::layer` call wraps the
//!    earlier ones, so with `Router::layer` the layer added *last* runs *first*.
//! 2. **`ServiceBuilder` runs top to bottom.** The layer listed *first* runs *first*; put
//!    `PartneroLayer` above anything that needs the referral context.
//!
//! Routes added after the layer are not wrapped, and their `Referral` rejects with a 500:
//!
//! ```
//! use axum::{Router, body::Body, http::Request, routing::get};
//! use partnero_tower::{PartneroLayer, Referral};
//! use tower::ServiceExt;
//!
//! async fn partner(referral: Referral) -> String {
//!     referral.partner_key().map(|k| k.as_str().to_owned()).unwrap_or_default()
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let app = Router::new()
//!     .route("/wrapped", get(partner))
//!     .layer(PartneroLayer::new("sk_test_key"))
//!     .route("/not-wrapped", get(partner)); // added after `.layer`: no referral context
//!
//! let req = |uri| Request::get(uri).header("cookie", "partnero_partner=demo-partner");
//! let res = app.clone().oneshot(req("/wrapped").body(Body::empty()).unwrap()).await.unwrap();
//! assert_eq!(res.status(), 200);
//! let res = app.oneshot(req("/not-wrapped").body(Body::empty()).unwrap()).await.unwrap();
//! assert_eq!(res.status(), 500); // "... Is `PartneroLayer` added to this router? ..."
//! # });
//! ```
//!
//! A middleware that extracts [`Referral`] must run inside the layer: with `Router::layer`, add
//! it *before* `PartneroLayer`; with `ServiceBuilder`, list it *after* `PartneroLayer`. Both
//! stacks below run `PartneroLayer` first, then `tag_partner`, then the handler:
//!
//! ```
//! use axum::{
//!     Router, body::Body, extract::Request, middleware::{self, Next},
//!     response::Response, routing::get,
//! };
//! use partnero_tower::{PartneroLayer, Referral};
//! use tower::{ServiceBuilder, ServiceExt};
//!
//! // Tags every response of a referred visit with the partner key.
//! async fn tag_partner(referral: Option<Referral>, req: Request, next: Next) -> Response {
//!     let partner = referral.and_then(|r| r.partner_key().map(|k| k.as_str().to_owned()));
//!     let mut res = next.run(req).await;
//!     if let Some(value) = partner.and_then(|p| p.parse().ok()) {
//!         res.headers_mut().insert("x-partner", value);
//!     }
//!     res
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! // `Router::layer`: the layer added last runs first.
//! let with_router_layer = Router::new()
//!     .route("/", get(|| async { "hi" }))
//!     .layer(middleware::from_fn(tag_partner))
//!     .layer(PartneroLayer::new("sk_test_key"));
//!
//! // `ServiceBuilder`: the layer listed first runs first.
//! let with_service_builder = Router::new().route("/", get(|| async { "hi" })).layer(
//!     ServiceBuilder::new()
//!         .layer(PartneroLayer::new("sk_test_key"))
//!         .layer(middleware::from_fn(tag_partner)),
//! );
//!
//! for app in [with_router_layer, with_service_builder] {
//!     let req = Request::get("/?aff=demo-partner").body(Body::empty()).unwrap();
//!     let res = app.oneshot(req).await.unwrap();
//!     assert_eq!(res.headers()["x-partner"], "demo-partner");
//!     // The referral link also set the cookie.
//!     assert!(res.headers()["set-cookie"].to_str().unwrap().starts_with("partnero_partner="));
//! }
//! # });
//! ```
//!
//! Swap either pair and `tag_partner` runs before the layer: its `Option<Referral>` is `None`
//! (a plain `Referral` would reject with a 500).
//!
//! Put the layer on the **outermost** router. `Router::nest("/shop", inner)` strips `/shop` from
//! the URI before `inner`'s own layers run, so a `PartneroLayer` added to `inner` sees `/cart`
//! instead of `/shop/cart`: the landing URL loses the prefix and a path form such as `/aff/KEY`
//! under the prefix no longer matches. (actix-web's `Scope::wrap` sees the full path.)
//!
//! # Feature flags
//!
//! - `axum` (default): the [`Referral`] extractor and its [`MissingPartneroLayer`] rejection,
//!   and the [`VerifiedWebhook`] extractor for Partnero's webhooks (see its docs).
//!   Depends on `axum-core` only, not on `axum`.
//! - `rustls` (default) / `native-tls`: the TLS stack of the client, passed to `partnero-client`.
//!
//! # Re-exports
//!
//! The client and its request and outcome types ([`Partnero`], [`NewCustomer`], [`Sale`],
//! [`SignupOutcome`], [`Error`], ...), core's [`TrackingConfig`] and [`ReferralContext`], and
//! `rust_decimal`'s [`Decimal`] are re-exported: `partnero-tower` is the only Partnero
//! dependency an axum app needs. The rest of the client is in `partnero-client`.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "axum")]
mod extract;
mod future;
mod layer;
#[cfg(feature = "axum")]
mod rejection;
mod resolve;
mod service;
#[cfg(feature = "axum")]
mod webhook;

#[cfg(feature = "axum")]
pub use extract::Referral;
pub use future::ResponseFuture;
pub use layer::PartneroLayer;
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
#[cfg(feature = "axum")]
pub use rejection::MissingPartneroLayer;
pub use resolve::referral_handle;
pub use rust_decimal::Decimal;
pub use service::PartneroService;
#[cfg(feature = "axum")]
pub use webhook::{FromExtension, VerifiedWebhook, WebhookRejected};

/// Compile-time checks: the layer and the service are `Send + Sync` (and the future `Send`)
/// whenever the inner service and its future are.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    const fn assert_send<T: Send>() {}
    assert_send_sync::<PartneroLayer>();
    assert_send_sync::<PartneroService<()>>();
    assert_send::<ResponseFuture<std::future::Pending<Result<http::Response<()>, ()>>>>();
    assert_send_sync::<ResponseFuture<std::future::Ready<Result<http::Response<()>, ()>>>>();
    #[cfg(feature = "axum")]
    assert_send_sync::<Referral>();
    #[cfg(feature = "axum")]
    assert_send_sync::<MissingPartneroLayer>();
};

/// This crate's README, compiled as doc tests so its snippet cannot drift from the API.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
