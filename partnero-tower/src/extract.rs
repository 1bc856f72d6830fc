//! [`Referral`]: the axum extractor for the referral context and the client that
//! [`PartneroLayer`](crate::PartneroLayer) attached to the request.

use std::convert::Infallible;
use std::ops::Deref;

use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use http::request::Parts;
use partnero_client::ReferralHandle;

use crate::MissingPartneroLayer;

/// The referral context of the current request and the client to report it with.
///
/// Derefs to [`ReferralHandle`], which derefs to
/// [`ReferralContext`](partnero_core::ReferralContext): `referral.partner_key()`,
/// `referral.landing_url()`, and the tracking calls `referral.signup(..)`,
/// `referral.sale(..)`, `referral.refund(..)` all work on it directly.
///
/// The layer decides the referral `Set-Cookie` from the request's links on every request; the
/// referral cookies are read here, when a handler extracts `Referral` (once per request: the
/// result is kept with the request, so a second extractor does not read them again).
///
/// Needs [`PartneroLayer`](crate::PartneroLayer) around the route; without it the extractor
/// rejects with [`MissingPartneroLayer`] (a 500). `Option<Referral>` never rejects: it is `None`
/// when the layer is missing.
///
/// ```
/// use axum::{Router, routing::post};
/// use partnero_client::NewCustomer;
/// use partnero_tower::{PartneroLayer, Referral};
///
/// async fn signup(referral: Referral) -> String {
///     // Only referred visitors are reported to Partnero.
///     if referral.partner_key().is_none() {
///         return "not referred".to_owned();
///     }
///     match referral.signup(NewCustomer::new("user-1").email("user-1@example.com")).await {
///         Ok(_) => "referred signup recorded".to_owned(),
///         Err(err) => format!("partnero: {err}"),
///     }
/// }
///
/// let app: Router = Router::new()
///     .route("/signup", post(signup))
///     .layer(PartneroLayer::new("sk_test_key"));
/// # let _ = app;
/// ```
#[derive(Debug, Clone)]
pub struct Referral(pub ReferralHandle);

impl Referral {
    /// The handle: the context and the client.
    pub fn into_inner(self) -> ReferralHandle {
        self.0
    }
}

impl Deref for Referral {
    type Target = ReferralHandle;

    fn deref(&self) -> &ReferralHandle {
        &self.0
    }
}

impl<S> FromRequestParts<S> for Referral
where
    S: Send + Sync,
{
    type Rejection = MissingPartneroLayer;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match resolve(parts) {
            Some(handle) => Ok(Self(handle)),
            None => {
                partnero_core::__report_missing_adapter_once(
                    "`Referral` extractor used on a route without `PartneroLayer`; see \
                     https://docs.rs/partnero-tower#layer-ordering",
                );
                Err(MissingPartneroLayer::new())
            }
        }
    }
}

impl<S> OptionalFromRequestParts<S> for Referral
where
    S: Send + Sync,
{
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(resolve(parts).map(Self))
    }
}

/// The handle of the request, resolved (the cookies read) on the first extraction and kept
/// for the next ones.
fn resolve(parts: &Parts) -> Option<ReferralHandle> {
    crate::resolve::lookup(&parts.method, &parts.uri, &parts.headers, &parts.extensions)
}
