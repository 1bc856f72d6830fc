//! [`Referral`]: the axum extractor for the referral context and the client that
//! [`PartneroLayer`](crate::PartneroLayer) attached to the request.

use std::convert::Infallible;
use std::ops::Deref;

use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use http::request::Parts;
use partnero_client::{
    Error, NewCustomer, Partnero, PurchaseOutcome, ReferralHandle, RefundOutcome, Sale,
    SaleOutcome, SignupOutcome,
};
use partnero_core::ReferralContext;

use crate::MissingPartneroLayer;

/// The referral context of the current request and the client to report it with.
///
/// Derefs to the [`ReferralContext`] (`referral.partner_key()`, `referral.landing_url()`), and
/// offers the tracking calls [`signup`](Self::signup), [`sale`](Self::sale) and
/// [`refund`](Self::refund), the [`client`](Self::client) and the whole
/// [`handle`](Self::handle).
///
/// The referral cookies are read here, once per request
/// ([lazy cookie reading](partnero_core#lazy-cookie-reading)).
///
/// Needs [`PartneroLayer`](crate::PartneroLayer) around the route; without it the extractor
/// rejects with [`MissingPartneroLayer`] (a 500). `Option<Referral>` never rejects: it is `None`
/// when the layer is missing.
///
/// ```
/// use axum::{Router, routing::post};
/// use partnero_tower::{NewCustomer, PartneroLayer, Referral};
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
pub struct Referral(ReferralHandle);

impl Referral {
    /// [`Partnero::signup`] with this request's referral context.
    pub async fn signup(&self, customer: NewCustomer) -> Result<SignupOutcome, Error> {
        self.0.signup(customer).await
    }

    /// [`Partnero::sale`]: records a sale of the customer with `customer_key`.
    pub async fn sale(&self, customer_key: &str, sale: Sale) -> Result<SaleOutcome, Error> {
        self.0.sale(customer_key, sale).await
    }

    /// [`Partnero::purchase`]: records a purchase, creating the customer with it (attributed
    /// from this request's referral context) when Partnero does not know it yet.
    pub async fn purchase(
        &self,
        customer: NewCustomer,
        sale: Sale,
    ) -> Result<PurchaseOutcome, Error> {
        self.0.purchase(customer, sale).await
    }

    /// [`Partnero::refund`]: refunds the transaction with this key.
    pub async fn refund(&self, transaction_key: &str) -> Result<RefundOutcome, Error> {
        self.0.refund(transaction_key).await
    }

    /// The API client, for the calls beyond sign-up, sale and refund.
    pub fn client(&self) -> &Partnero {
        self.0.client()
    }

    /// The handle: the context and the client together.
    pub fn handle(&self) -> &ReferralHandle {
        &self.0
    }

    /// The handle, owned (to keep it past the handler, or move it into a task).
    pub fn into_inner(self) -> ReferralHandle {
        self.0
    }
}

impl Deref for Referral {
    type Target = ReferralContext;

    fn deref(&self) -> &ReferralContext {
        self.0.context()
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
