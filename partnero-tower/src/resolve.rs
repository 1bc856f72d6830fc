//! [`referral_handle`]: the referral context of a request wrapped by
//! [`PartneroLayer`](crate::PartneroLayer), read on demand.

use http::{Extensions, HeaderMap, Method, Request, Uri};
use partnero_core::{PendingReferral, ReferralHandle, RequestInfo};

/// The referral context (cookies, query and path) and the client of a request that
/// [`PartneroLayer`](crate::PartneroLayer) wraps; `None` when the layer does not wrap it.
///
/// This is the way to read the context outside axum (in a `service_fn` or your own tower
/// middleware placed inside the layer); axum handlers take the `Referral` extractor, which does
/// the same. The layer itself reads only the referral links; the `Cookie` header is scanned
/// here, on the first call for a request, and the result is cached in the request extensions
/// so later calls (and extractors) do not scan it again.
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
///     .service(service_fn(|mut req: Request<()>| async move {
///         let referral = referral_handle(&mut req).expect("the layer wraps this service");
///         let partner = referral.partner_key().map(|k| k.as_str().to_owned());
///         Ok::<_, Infallible>(Response::new(partner.unwrap_or_default()))
///     }));
///
/// let req = Request::get("/").header("cookie", "partnero_partner=demo-partner").body(()).unwrap();
/// let res = svc.oneshot(req).await.unwrap();
/// assert_eq!(res.body(), "demo-partner");
/// # });
/// ```
pub fn referral_handle<B>(req: &mut Request<B>) -> Option<ReferralHandle> {
    let handle = lookup(req.method(), req.uri(), req.headers(), req.extensions())?;
    Some(cache(handle, req.extensions_mut()))
}

/// The resolved handle of a request: the cached one, or the pending one resolved against the
/// request's headers. The `bool` says whether it still has to be cached.
pub(crate) fn lookup(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    extensions: &Extensions,
) -> Option<(ReferralHandle, bool)> {
    if let Some(handle) = extensions.get::<ReferralHandle>() {
        return Some((handle.clone(), false));
    }
    let pending = extensions.get::<PendingReferral>()?;
    Some((
        pending.resolve(&RequestInfo::from_parts(method, uri, headers)),
        true,
    ))
}

/// Caches a freshly resolved handle in the extensions.
pub(crate) fn cache(
    (handle, fresh): (ReferralHandle, bool),
    extensions: &mut Extensions,
) -> ReferralHandle {
    if fresh {
        extensions.insert(handle.clone());
    }
    handle
}
