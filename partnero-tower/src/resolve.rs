//! [`referral_handle`]: the referral context of a request wrapped by
//! [`PartneroLayer`](crate::PartneroLayer), read on demand.

use http::{Extensions, HeaderMap, Method, Request, Uri};
use partnero_client::{PendingReferral, ReferralHandle};
use partnero_core::RequestInfo;

/// The referral context (cookies, query and path) and the client of a request that
/// [`PartneroLayer`](crate::PartneroLayer) wraps; `None` when the layer does not wrap it.
///
/// This is the way to read the context outside axum (in a `service_fn` or your own tower
/// middleware placed inside the layer); axum handlers take the `Referral` extractor, which does
/// the same. The `Cookie` header is scanned here, on the first call for a request
/// ([lazy cookie reading](partnero_core#lazy-cookie-reading)).
///
/// ```
/// use std::convert::Infallible;
/// use http::{Request, Response};
/// use partnero_tower::{PartneroLayer, referral_handle};
/// use tower::{ServiceBuilder, ServiceExt, service_fn};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let svc = ServiceBuilder::new()
///     .layer(PartneroLayer::new("sk_test_key"))
///     .service(service_fn(|req: Request<()>| async move {
///         let referral = referral_handle(&req).expect("the layer wraps this service");
///         let partner = referral.partner_key().map(|k| k.as_str().to_owned());
///         Ok::<_, Infallible>(Response::new(partner.unwrap_or_default()))
///     }));
///
/// let req = Request::get("/").header("cookie", "partnero_partner=demo-partner").body(()).unwrap();
/// let res = svc.oneshot(req).await.unwrap();
/// assert_eq!(res.body(), "demo-partner");
/// # });
/// ```
pub fn referral_handle<B>(req: &Request<B>) -> Option<ReferralHandle> {
    lookup(req.method(), req.uri(), req.headers(), req.extensions())
}

/// The request's handle: the layer's pending value, resolved against the request's headers on
/// the first call (and kept inside it for the next ones).
pub(crate) fn lookup(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    extensions: &Extensions,
) -> Option<ReferralHandle> {
    let pending = extensions.get::<PendingReferral>()?;
    Some(
        pending
            .resolve(&RequestInfo::from_parts(method, uri, headers))
            .clone(),
    )
}
