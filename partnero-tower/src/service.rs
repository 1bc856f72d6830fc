//! [`PartneroService`]: the middleware that [`PartneroLayer`](crate::PartneroLayer) applies.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
#[cfg(doc)]
use partnero_client::ReferralHandle;
use partnero_client::{Partnero, PendingReferral, TrackingState};
use partnero_core::{RequestInfo, TrackingConfig};
use tower_service::Service;

use crate::ResponseFuture;

/// Captures the referral links of each request, appends the referral `Set-Cookie` to the
/// response, and lets handlers read the full referral context on demand.
///
/// On every request, synchronously in [`call`](Service::call):
///
/// 1. the core's [`TrackingConfig::capture_links`] reads the query string and the path and
///    decides the `Set-Cookie` values;
/// 2. the link context, the client and the policy are inserted into the request's extensions;
/// 3. the inner service is called, and its future is wrapped in a [`ResponseFuture`] that
///    appends the `Set-Cookie` values the policy asked for once the response is ready.
///
/// The referral cookies are read [lazily](partnero_core#lazy-cookie-reading), when the
/// `Referral` extractor (feature `axum`) or, in any inner service,
/// [`referral_handle`](crate::referral_handle) asks for the context; the extensions never hold
/// a [`ReferralHandle`] itself, so read it through one of those two.
///
/// Generic over the request and response bodies; `poll_ready` is the inner service's.
///
/// ```
/// use std::convert::Infallible;
/// use http::{Request, Response, header};
/// use partnero_tower::{PartneroLayer, referral_handle};
/// use tower::{ServiceBuilder, ServiceExt, service_fn};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let svc = ServiceBuilder::new()
///     .layer(PartneroLayer::new("sk_test_key"))
///     .service(service_fn(|req: Request<()>| async move {
///         let referral = referral_handle(&req).unwrap();
///         let partner = referral.partner_key().map(|k| k.as_str().to_owned());
///         Ok::<_, Infallible>(Response::new(partner.unwrap_or_default()))
///     }));
///
/// let req = Request::get("/?aff=demo-partner").body(()).unwrap();
/// let res = svc.oneshot(req).await.unwrap();
/// assert_eq!(res.body(), "demo-partner");
/// assert!(res.headers().contains_key(header::SET_COOKIE));
/// # });
/// ```
#[derive(Clone)]
pub struct PartneroService<S> {
    inner: S,
    state: Arc<TrackingState>,
}

impl<S> PartneroService<S> {
    /// Wraps `inner` with a client and a tracking policy (usually built through
    /// [`PartneroLayer`](crate::PartneroLayer) instead).
    pub fn new(inner: S, client: Partnero, config: TrackingConfig) -> Self {
        Self::from_state(inner, Arc::new(TrackingState::new(client, config)))
    }

    pub(crate) fn from_state(inner: S, state: Arc<TrackingState>) -> Self {
        Self { inner, state }
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }

    /// The tracking policy in use.
    pub fn config(&self) -> &TrackingConfig {
        &self.state.config
    }

    /// The client handed to handlers.
    pub fn client(&self) -> &Partnero {
        &self.state.client
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for PartneroService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        let links = self
            .state
            .config
            .capture_links(&RequestInfo::from_http(&req));
        req.extensions_mut()
            .insert(PendingReferral::new(links.context, Arc::clone(&self.state)));
        ResponseFuture::new(self.inner.call(req), links.set_cookies)
    }
}

impl<S: fmt::Debug> fmt::Debug for PartneroService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartneroService")
            .field("inner", &self.inner)
            .field("client", &self.state.client) // redacts the API key
            .field("config", &self.state.config)
            .finish()
    }
}
