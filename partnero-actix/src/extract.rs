//! [`Referral`]: the extractor that hands a handler the request's referral context and the
//! Partnero client.

use std::future::{Ready, ready};
use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use partnero_client::{PendingReferral, ReferralHandle};

use crate::headers::ActixHeaders;
use crate::middleware::request_info;

use crate::MissingPartneroMiddleware;

/// The referral context of the current request and the Partnero client, as captured by
/// [`PartneroMiddleware`](crate::PartneroMiddleware).
///
/// Derefs to [`ReferralHandle`] (which derefs to [`ReferralContext`](partnero_core::ReferralContext)),
/// so a handler reads `referral.partner_key()` and calls the tracking helpers
/// `referral.signup(..)`, `referral.sale(..)` and `referral.refund(..)` directly.
///
/// The middleware decides the referral `Set-Cookie` from the request's links on every request;
/// the referral cookies are read here, when a handler extracts `Referral` (once per request: the
/// resolved handle is kept with the request for later extractions).
///
/// Extraction never waits: the future is ready at once. Without the middleware it fails with
/// [`MissingPartneroMiddleware`] (a 500 naming `PartneroMiddleware`); extract `Option<Referral>` to get
/// `None` instead.
///
/// ```
/// use actix_web::{App, test, web};
/// use partnero_actix::{PartneroMiddleware, Referral};
///
/// async fn landing(referral: Referral) -> String {
///     referral.partner_key().map_or("-", |k| k.as_str()).to_owned()
/// }
///
/// # actix_web::rt::System::new().block_on(async {
/// let app = test::init_service(
///     App::new()
///         .wrap(PartneroMiddleware::new("your-api-key"))
///         .route("/", web::get().to(landing)),
/// )
/// .await;
/// let req = test::TestRequest::get()
///     .uri("/")
///     .insert_header(("cookie", "partnero_partner=demo-partner"))
///     .to_request();
/// let body = test::call_and_read_body(&app, req).await;
/// assert_eq!(body, "demo-partner");
/// # });
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

impl FromRequest for Referral {
    type Error = MissingPartneroMiddleware;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let handle = resolve(req);
        ready(handle.map(Referral).ok_or_else(|| {
            partnero_core::__report_missing_adapter_once(
                "`Referral` extractor used on a route without `PartneroMiddleware` \
                 (register it with `App::wrap` or `Scope::wrap`)",
            );
            MissingPartneroMiddleware
        }))
    }
}

/// The request's handle: the middleware's pending value, resolved (the referral cookies read)
/// on the first extraction and kept inside it for the next ones. The `extensions` borrow ends
/// inside this function.
fn resolve(req: &HttpRequest) -> Option<ReferralHandle> {
    let extensions = req.extensions();
    let headers = ActixHeaders(req.headers());
    let pending = extensions.get::<PendingReferral>()?;
    Some(pending.resolve(&request_info(req.head(), &headers)).clone())
}
