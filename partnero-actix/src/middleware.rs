//! [`PartneroMiddleware`]: captures the referral links of every request, persists a referral
//! link's key in a server-set cookie, and lets handlers read the referral context on demand.
//!
//! The middleware is a thin translation: it lends the request's method, path, query string and
//! headers to [`TrackingConfig::capture_links`], inserts the link context (with the client and
//! the policy) into the request extensions and appends core's `Set-Cookie` values to the
//! response. The [`Referral`](crate::Referral) extractor reads the referral cookies
//! ([lazy cookie reading](partnero_core#lazy-cookie-reading)). Every policy
//! decision (attribution, cookie attributes, crawlers, prefetch, consent) lives in
//! `partnero-core`.

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use actix_web::HttpMessage;
use actix_web::dev::{
    RequestHead, Service, ServiceRequest, ServiceResponse, Transform, forward_ready,
};
use actix_web::http::header::{HeaderValue, SET_COOKIE};
use actix_web::http::uri::Authority;
#[cfg(doc)]
use partnero_client::ReferralHandle;
use partnero_client::{ApiKey, Partnero, PendingReferral, TrackingState};
use partnero_core::{Capture, RequestInfo, TrackingConfig};
use pin_project_lite::pin_project;

use crate::headers::ActixHeaders;

/// actix-web middleware that captures Partnero referral keys (cookies `partnero_partner` /
/// `partnero_referral`, query parameters `?aff=` / `?ref=`, an optional path form).
///
/// For each request it:
///
/// 1. runs core's link capture on the method, path, query string and headers: the query and
///    path decide the `Set-Cookie`;
/// 2. inserts the link context, the API client and the policy into the request extensions,
///    where the [`Referral`](crate::Referral) extractor finds them and reads the referral
///    cookies ([lazy cookie reading](partnero_core#lazy-cookie-reading)). In your own middleware
///    (wrapped inside this one), use `req.extract::<Referral>().await`: the extensions hold
///    only the pending link part, never a [`ReferralHandle`];
/// 3. appends the `Set-Cookie` values the [`TrackingConfig`] asks for to the response, next to
///    the handler's own cookies (never replacing them). An error from the wrapped service is
///    passed through untouched.
///
/// `PartneroMiddleware` is `Clone` and `Send`: build it once and clone it into the
/// `HttpServer::new` factory, which builds one `App` per worker.
///
/// ```no_run
/// use actix_web::{App, HttpServer, web};
/// use partnero_actix::{PartneroMiddleware, Referral, TrackingConfig};
///
/// async fn pricing(referral: Referral) -> String {
///     match referral.partner_key() {
///         Some(key) => format!("referred by {key}"),
///         None => "no referral".to_owned(),
///     }
/// }
///
/// #[actix_web::main]
/// async fn main() -> std::io::Result<()> {
///     let partnero = PartneroMiddleware::from_env()
///         .map_err(std::io::Error::other)?
///         .with_config(TrackingConfig::default().partner_path_prefix("/aff/"));
///     HttpServer::new(move || {
///         App::new()
///             .wrap(partnero.clone())
///             .route("/pricing", web::get().to(pricing))
///     })
///     .bind(("127.0.0.1", 8080))?
///     .run()
///     .await
/// }
/// ```
///
/// # Scheme and host of the landing URL
///
/// Like the tower adapter, the middleware takes the scheme and authority only from the request
/// target (an absolute-form URI) and the host from the `Host` header; it does not trust
/// `Forwarded` / `X-Forwarded-*` (actix's `connection_info()` would, and it allocates on every
/// request). Without a scheme, core uses `https` when the cookie is `Secure` (the default) and
/// `http` otherwise.
#[derive(Clone)]
pub struct PartneroMiddleware {
    /// The client and the policy, behind one `Arc`: cloning the middleware per worker and
    /// handing the state to each request's pending referral is one reference-count increment.
    state: Arc<TrackingState>,
}

impl PartneroMiddleware {
    /// With a default [`Partnero`] client for `api_key` (default base URL, affiliate program)
    /// and the default [`TrackingConfig`]. Use [`from_client`](Self::from_client) to configure
    /// the client (base URL, timeout, retries, program kind).
    ///
    /// ```
    /// use partnero_actix::PartneroMiddleware;
    ///
    /// let middleware = PartneroMiddleware::new("sk_test_key");
    /// assert_eq!(middleware.config().partner().cookie_name(), "partnero_partner");
    /// ```
    pub fn new(api_key: impl Into<ApiKey>) -> Self {
        Self::from_client(Partnero::new(api_key))
    }

    /// With a client configured from the environment exactly as [`Partnero::from_env`] reads
    /// it (`PARTNERO_API_KEY`, and `PARTNERO_BASE_URL` / `PARTNERO_PROGRAM` when set), and the
    /// default [`TrackingConfig`]. A missing key or a malformed base URL or program is an
    /// [`Error::Config`](partnero_client::Error::Config) naming the variable, at start-up.
    /// Follow it with [`client().check()`](Partnero::check) to verify the key, the base URL
    /// and the program against Partnero itself.
    ///
    /// ```no_run
    /// use partnero_actix::{PartneroMiddleware, TrackingConfig};
    ///
    /// # async fn run() -> Result<(), partnero_actix::Error> {
    /// let middleware = PartneroMiddleware::from_env()?.with_config(TrackingConfig::default().landing_url_cookie(true));
    /// middleware.client().check().await?; // one line saying what is wrong, if anything
    /// # Ok(()) }
    /// ```
    pub fn from_env() -> Result<Self, partnero_client::Error> {
        Partnero::from_env().map(Self::from_client)
    }

    /// Around an existing client (a custom base URL, timeout, retry policy, program kind or
    /// `reqwest::Client`), with the default [`TrackingConfig`].
    ///
    /// ```
    /// use partnero_actix::{Partnero, PartneroMiddleware, Program};
    ///
    /// # fn main() -> Result<(), partnero_actix::Error> {
    /// let client = Partnero::builder("sk_test_key")
    ///     .base_url("http://127.0.0.1:4010/v1")
    ///     .program(Program::ReferAFriend)
    ///     .build()?;
    /// let middleware = PartneroMiddleware::from_client(client);
    /// assert_eq!(middleware.client().program(), Program::ReferAFriend);
    /// # Ok(())
    /// # }
    /// ```
    pub fn from_client(client: Partnero) -> Self {
        Self {
            state: Arc::new(TrackingState::new(client, TrackingConfig::default())),
        }
    }

    /// Replaces the tracking policy. Clones of the middleware taken before keep theirs.
    ///
    /// ```
    /// use partnero_actix::{Attribution, PartneroMiddleware, TrackingConfig};
    ///
    /// let middleware = PartneroMiddleware::new("sk_test_key").with_config(
    ///     TrackingConfig::default()
    ///         .add_partner_query_param("via")
    ///         .attribution(Attribution::FirstTouch),
    /// );
    /// assert_eq!(middleware.config().partner().query_params(), ["aff", "via"]);
    /// ```
    #[must_use]
    pub fn with_config(mut self, config: TrackingConfig) -> Self {
        self.state = self.state.with_config(config);
        self
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

impl std::fmt::Debug for PartneroMiddleware {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartneroMiddleware")
            .field("client", &self.state.client)
            .field("config", &self.state.config)
            .finish()
    }
}

impl<S, B> Transform<S, ServiceRequest> for PartneroMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>>,
{
    type Response = ServiceResponse<B>;
    type Error = S::Error;
    type Transform = PartneroMiddlewareService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(PartneroMiddlewareService {
            service: Rc::new(service),
            state: Arc::clone(&self.state),
        }))
    }
}

/// The service [`PartneroMiddleware`] wraps around an actix-web service; built by actix-web,
/// you do not name it yourself.
pub struct PartneroMiddlewareService<S> {
    service: Rc<S>,
    state: Arc<TrackingState>,
}

impl<S> std::fmt::Debug for PartneroMiddlewareService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartneroMiddlewareService")
            .field("client", &self.state.client)
            .field("config", &self.state.config)
            .finish_non_exhaustive()
    }
}

impl<S, B> Service<ServiceRequest> for PartneroMiddlewareService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>>,
{
    type Response = ServiceResponse<B>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let headers = ActixHeaders(req.headers());
        let Capture {
            context,
            set_cookies,
            ..
        } = self
            .state
            .config
            .capture_links(&request_info(req.head(), &headers));
        // The extensions borrow ends with this statement, before the inner service runs.
        req.extensions_mut()
            .insert(PendingReferral::new(context, Arc::clone(&self.state)));
        ResponseFuture {
            inner: self.service.call(req),
            set_cookies,
        }
    }
}

/// Lends the request's parts to core: the only translation the adapter does (used by the
/// middleware and by the extractor alike).
pub(crate) fn request_info<'a>(
    head: &'a RequestHead,
    headers: &'a ActixHeaders<'a>,
) -> RequestInfo<'a> {
    let uri = &head.uri;
    let query = uri.query().filter(|q| !q.is_empty());
    RequestInfo::new(head.method.as_str(), uri.path(), query, headers)
        .with_scheme(uri.scheme_str())
        .with_authority(uri.authority().map(Authority::as_str))
}

pin_project! {
    /// The response future of [`PartneroMiddlewareService`]: the wrapped service's future, then
    /// core's `Set-Cookie` values appended to its response.
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        set_cookies: Vec<String>,
    }
}

impl<F> std::fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("set_cookies", &self.set_cookies.len())
            .finish_non_exhaustive()
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<ServiceResponse<B>, E>>,
{
    type Output = Result<ServiceResponse<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut res = ready!(this.inner.poll(cx))?;
        if !this.set_cookies.is_empty() {
            let headers = res.headers_mut();
            for value in this.set_cookies.drain(..) {
                match HeaderValue::try_from(value) {
                    Ok(value) => headers.append(SET_COOKIE, value),
                    // Core renders header-safe values; this is a guard, not an expected path.
                    Err(_) => tracing::warn!(
                        "partnero: referral Set-Cookie value is not a valid header value; not set"
                    ),
                }
            }
        }
        Poll::Ready(Ok(res))
    }
}
