//! [`Referral`]: the extractor that hands a handler the request's referral context and the
//! Partnero client.

use std::future::{Ready, ready};
use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use partnero_client::{
    Error, NewCustomer, Partnero, PendingReferral, PurchaseOutcome, ReferralHandle, RefundOutcome,
    Sale, SaleOutcome, SignupOutcome,
};
use partnero_core::ReferralContext;

use crate::headers::ActixHeaders;
use crate::middleware::request_info;

use crate::MissingPartneroMiddleware;

/// The referral context of the current request and the Partnero client, as captured by
/// [`PartneroMiddleware`](crate::PartneroMiddleware).
///
/// Derefs to the [`ReferralContext`] (`referral.partner_key()`, `referral.landing_url()`), and
/// offers the tracking calls [`signup`](Self::signup), [`sale`](Self::sale) and
/// [`refund`](Self::refund), the [`client`](Self::client) and the whole
/// [`handle`](Self::handle).
///
/// The referral cookies are read here, once per request
/// ([lazy cookie reading](partnero_core#lazy-cookie-reading)).
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
