//! partnero-core: framework-free referral capture and the server-set cookie policy.
//!
//! # Capturing referrals
//!
//! A visitor arrives from a partner's link (`https://shop.example/?aff=KEY`, or a refer-a-friend
//! link with `?ref=KEY`). Weeks later they sign up, and your backend must tell Partnero who
//! referred them. Capture is the first half: on every request, [`TrackingConfig::capture`] reads
//! the referral cookies, the query string and optionally the path, and returns a [`Capture`]: the
//! [`ReferralContext`] (who referred this visitor, and whether the key came from a cookie, the
//! query or the path) and the `Set-Cookie` header values to append to the response.
//!
//! The core takes plain inputs ([`RequestInfo`]: method, path, raw query, a [`Headers`] view) and
//! returns plain `String`s, so the same code serves every framework (actix-web is on `http` 0.2,
//! axum/tower on `http` 1; the `http` feature adds [`RequestInfo::from_http`] for the latter).
//! The framework crates `partnero-tower` and `partnero-actix` do this in two phases, see
//! [lazy cookie reading](#lazy-cookie-reading).
//!
//! # Lazy cookie reading
//!
//! This is the one place the adapters' two phases are explained; their docs link here.
//!
//! 1. On **every** request the middleware runs [`TrackingConfig::capture_links`]: the query
//!    string and the path form decide the `Set-Cookie` values and the landing URL. The
//!    referral cookie is read in this phase only under first-touch when a link key is present,
//!    or always when the policy [renews cookies](TrackingConfig::renew_cookies).
//! 2. The referral **cookies** (all `Cookie` headers) are read by
//!    [`TrackingConfig::fill_from_cookies`] only when a handler asks for the context (the
//!    adapters' `Referral` extractor, or `partnero_tower::referral_handle`). The result is kept
//!    with the request, so asking twice reads them once.
//!
//! Routes that never ask for the referral pay only for the link check, and the two phases
//! together give exactly [`TrackingConfig::capture`]'s result.
//!
//! ## Hybrid: PartneroJS plus a server-set cookie (the default)
//!
//! With the PartneroJS snippet on your pages, the script stores the key in `partnero_partner`
//! (affiliate) or `partnero_referral` (refer-a-friend). Capture reads those cookies, and also the
//! `?aff=` / `?ref=` parameter itself, so attribution survives when an ad-blocker stops the
//! script. When a key arrives in the link, capture answers with a **server-set** cookie of the
//! same name (`Max-Age` 30 days, `Path=/`, `SameSite=Lax`, `Secure`, not `HttpOnly` so the script
//! can still read it): Safari's ITP caps cookies written by JavaScript at 7 days, but not cookies
//! set in an HTTP response.
//!
//! ```
//! use partnero_core::{KeySource, RequestInfo, TrackingConfig};
//!
//! // Build once, share across requests.
//! let config = TrackingConfig::default().add_partner_query_param("via");
//!
//! // Landing: `GET /pricing?via=demo-partner`.
//! let headers = [
//!     ("host", &b"shop.example"[..]),
//!     ("cookie", &b"_ga=GA1.1.42; theme=dark"[..]),
//! ];
//! let landing = config.capture(&RequestInfo::new("GET", "/pricing", Some("via=demo-partner"), &headers));
//! assert_eq!(landing.context.partner_key().unwrap().as_str(), "demo-partner");
//! assert_eq!(landing.context.landing_url(), Some("https://shop.example/pricing?via=demo-partner"));
//! // Append these to the response (append, never replace your own cookies):
//! assert_eq!(
//!     landing.set_cookies,
//!     ["partnero_partner=demo-partner; Max-Age=2592000; Path=/; SameSite=Lax; Secure"]
//! );
//!
//! // Sign-up, days later: the browser sends the cookie back.
//! let headers = [("cookie", &b"_ga=GA1.1.42; partnero_partner=demo-partner"[..])];
//! let signup = config.capture(&RequestInfo::new("POST", "/signup", None, &headers));
//! let partner = signup.context.partner.as_ref().unwrap();
//! assert_eq!((partner.key.as_str(), partner.source), ("demo-partner", KeySource::Cookie));
//! assert!(signup.set_cookies.is_empty()); // nothing new to persist
//! ```
//!
//! Attribution is last-touch by default (a new link replaces the cookie);
//! [`Attribution::FirstTouch`] keeps an existing cookie. No cookie is written for `HEAD` or `OPTIONS` (CORS preflights),
//! prefetch/prerender requests or crawler user agents, nor when your
//! [consent hook](TrackingConfig::consent) says no; the context is still captured for that
//! request. Keys are untrusted input: invalid values are ignored (logged at `debug`), never an
//! error. When nobody was referred, capture does not allocate.
//!
//! ## Pure server-to-server
//!
//! Without the script, nothing but your server sees the link. Keep capturing `?aff=`; either rely
//! on the server-set cookie above (turn on [`http_only`](TrackingConfig::http_only), since no
//! script needs to read it), or store the captured key with the visitor's session or account in
//! your own database. At sign-up, rebuild the context from your storage:
//!
//! ```
//! use partnero_core::{KeySource, ReferralContext, ReferralKey};
//!
//! # let stored_key = "demo-partner"; let stored_landing = "https://shop.example/?aff=demo-partner";
//! // `stored_key` came from your database; validate it again on the way out.
//! let ctx = ReferralContext::new()
//!     .with_partner(ReferralKey::parse(stored_key).unwrap(), KeySource::Manual)
//!     .with_landing_url(stored_landing);
//! assert_eq!(ctx.partner_key().unwrap().as_str(), "demo-partner");
//! ```
//!
//! # Talking to Partnero
//!
//! The REST client, the sign-up/sale/refund helpers and the webhook signature check live in
//! `partnero-client`, which builds on this crate; the framework adapters (`partnero-tower`,
//! `partnero-actix`) depend on both. This crate needs neither an HTTP client nor an async runtime.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod capture;
mod context;
mod cookie_header;
mod key;
mod landing_cookie;
mod missing_adapter;
mod persist;
mod policy;
mod query_string;
mod request;
mod set_cookie;

pub use capture::{Capture, MAX_LANDING_URL_LEN};
pub use context::{Captured, KeySource, ReferralContext};
pub use key::{InvalidKey, MAX_KEY_LEN, ReferralKey};
pub use landing_cookie::{LANDING_COOKIE, MAX_LANDING_COOKIE_LEN};
#[doc(hidden)]
pub use missing_adapter::__report_missing_adapter_once;
pub use policy::{
    Attribution, ConsentHook, DEFAULT_BOT_USER_AGENTS, DEFAULT_MAX_AGE, KeyChannel, SameSite,
    TrackingConfig,
};
pub use request::{Headers, RequestInfo};

/// This crate's README, compiled as doc tests so its snippet cannot drift from the API.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
