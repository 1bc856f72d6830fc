//! [`VerifiedWebhook`]: the axum extractor for Partnero webhook deliveries, and its rejection
//! [`WebhookRejected`]. The verification and decoding are
//! [`WebhookReceiver::receive`]'s; this file only reads the request.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use axum_core::extract::{FromRef, FromRequest, Request};
use axum_core::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use partnero_client::{SIGNATURE_HEADER, WebhookDelivery, WebhookReceiver, WebhookRejection};

/// A webhook delivery whose `Signature` was verified, decoded into a typed event.
///
/// Reads the raw body once, up to the receiver's limit (1 MiB by default), verifies it in
/// constant time against the receiver's secrets and decodes it. Rejections
/// ([`WebhookRejected`]) are opaque: 401 for a missing or wrong signature, 413 for a body
/// over the limit, 400 for an unreadable or malformed body; the reason is logged.
///
/// Partnero's signature has no timestamp: see [`WebhookReceiver`] for replays.
///
/// # Where the receiver comes from
///
/// The type parameter says where the [`WebhookReceiver`] is read, as `R` does in axum-extra's
/// `SignedCookieJar<K>`:
///
/// - `VerifiedWebhook` (`R` = [`FromExtension`], the default): from the request extensions,
///   put there by axum's `Extension` layer. Works whatever the router's state is.
/// - `VerifiedWebhook<WebhookReceiver>`: from the router's state, with
///   `WebhookReceiver: FromRef<S>` (`#[derive(FromRef)]` on your state, an `impl FromRef`, or
///   a state that *is* the receiver). No layer needed. Any
///   `R: FromRef<S> + Into<WebhookReceiver>` works the same, so a state holding two receivers
///   (two programs, two secrets) names each with its own newtype.
///
/// Each handler says which it reads: the state form never looks at the extensions, nor the
/// default form at the state. A missing receiver is a 500 for the default form (logged once);
/// the state form does not compile without one.
///
/// With an `Extension` layer:
///
/// ```
/// use axum::{Extension, Router, routing::post};
/// use partnero_tower::{VerifiedWebhook, WebhookEvent, WebhookReceiver};
///
/// async fn partnero_webhook(webhook: VerifiedWebhook) -> &'static str {
///     match &webhook.event {
///         WebhookEvent::TransactionCreated(tx) => tracing::info!(key = ?tx.key, "sale recorded"),
///         other => tracing::debug!(event = other.name(), "ignored"),
///     }
///     "ok"
/// }
///
/// let secret = std::env::var("PARTNERO_WEBHOOK_SECRET").unwrap_or_default();
/// let app: Router = Router::new()
///     .route("/webhooks/partnero", post(partnero_webhook))
///     .layer(Extension(WebhookReceiver::new(secret)));
/// # let _ = app;
/// ```
///
/// From the router's state:
///
/// ```
/// use axum::{Router, body::Body, extract::{FromRef, State}, http::Request, routing::post};
/// use partnero_client::webhook_signature::sign;
/// use partnero_tower::{VerifiedWebhook, WebhookReceiver};
/// use tower::ServiceExt;
///
/// #[derive(Clone)]
/// struct AppState {
///     webhooks: WebhookReceiver,
///     shop_name: &'static str,
/// }
///
/// // What `#[derive(FromRef)]` (axum's `macros` feature) writes for each field.
/// impl FromRef<AppState> for WebhookReceiver {
///     fn from_ref(state: &AppState) -> Self {
///         state.webhooks.clone()
///     }
/// }
/// impl FromRef<AppState> for &'static str {
///     fn from_ref(state: &AppState) -> Self {
///         state.shop_name
///     }
/// }
///
/// async fn partnero_webhook(
///     State(shop_name): State<&'static str>,
///     webhook: VerifiedWebhook<WebhookReceiver>, // the body-reading extractor comes last
/// ) -> String {
///     format!("{shop_name}: {}", webhook.event.name())
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let state = AppState { webhooks: WebhookReceiver::new("whsec_test"), shop_name: "demo" };
/// let app = Router::new()
///     .route("/webhooks/partnero", post(partnero_webhook))
///     .with_state(state);
///
/// let body = r#"{"event":"customer.created","data":{"key":"user-42"}}"#;
/// let req = Request::post("/webhooks/partnero")
///     .header("Signature", sign("whsec_test", body.as_bytes()))
///     .body(Body::from(body))
///     .unwrap();
/// assert_eq!(app.oneshot(req).await.unwrap().status(), 200);
/// # });
/// ```
pub struct VerifiedWebhook<R = FromExtension> {
    delivery: WebhookDelivery,
    source: PhantomData<fn() -> R>,
}

/// [`VerifiedWebhook`]'s default type parameter: the [`WebhookReceiver`] is read from the
/// request extensions (axum's `Extension` layer), not from the router's state.
///
/// Never built; it only names where the receiver comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FromExtension {}

impl<R> VerifiedWebhook<R> {
    fn new(delivery: WebhookDelivery) -> Self {
        Self {
            delivery,
            source: PhantomData,
        }
    }

    /// The delivery.
    pub fn into_inner(self) -> WebhookDelivery {
        self.delivery
    }
}

impl<R> Deref for VerifiedWebhook<R> {
    type Target = WebhookDelivery;

    fn deref(&self) -> &WebhookDelivery {
        &self.delivery
    }
}

// By hand: derives would bound `R`, which is only a marker.
impl<R> fmt::Debug for VerifiedWebhook<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("VerifiedWebhook")
            .field(&self.delivery)
            .finish()
    }
}

impl<R> Clone for VerifiedWebhook<R> {
    fn clone(&self) -> Self {
        Self::new(self.delivery.clone())
    }
}

impl<R> PartialEq for VerifiedWebhook<R> {
    fn eq(&self, other: &Self) -> bool {
        self.delivery == other.delivery
    }
}

/// The receiver from the request extensions.
impl<S> FromRequest<S> for VerifiedWebhook<FromExtension>
where
    S: Send + Sync,
{
    type Rejection = WebhookRejected;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let Some(receiver) = parts.extensions.get::<WebhookReceiver>() else {
            return Err(WebhookRejected(WebhookRejection::not_configured()));
        };
        verify(receiver, &parts.headers, body).await.map(Self::new)
    }
}

/// The receiver from the router's state.
impl<S, R> FromRequest<S> for VerifiedWebhook<R>
where
    S: Send + Sync,
    R: FromRef<S> + Into<WebhookReceiver>,
{
    type Rejection = WebhookRejected;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let receiver: WebhookReceiver = R::from_ref(state).into();
        let (parts, body) = req.into_parts();
        verify(&receiver, &parts.headers, body).await.map(Self::new)
    }
}

/// Reads the body up to the receiver's limit, then verifies and decodes it.
async fn verify(
    receiver: &WebhookReceiver,
    headers: &http::HeaderMap,
    body: axum_core::body::Body,
) -> Result<WebhookDelivery, WebhookRejected> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .map(HeaderValue::as_bytes);
    receiver.check_content_length(declared)?;
    let raw = match Limited::new(body, receiver.max_body_len()).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) if err.is::<LengthLimitError>() => {
            return Err(WebhookRejected(receiver.over_limit()));
        }
        Err(_) => return Err(WebhookRejected(WebhookRejection::Unreadable)),
    };
    let signature = headers.get(SIGNATURE_HEADER).map(HeaderValue::as_bytes);
    Ok(receiver.receive(signature, &raw)?)
}

/// The rejection of [`VerifiedWebhook`]: [`WebhookRejection`]'s opaque status and
/// `text/plain` body.
///
/// ```
/// use axum_core::response::IntoResponse;
/// use partnero_tower::{WebhookRejected, WebhookRejection};
///
/// let response = WebhookRejected(WebhookRejection::BadSignature).into_response();
/// assert_eq!(response.status(), 401);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookRejected(pub WebhookRejection);

impl From<WebhookRejection> for WebhookRejected {
    fn from(rejection: WebhookRejection) -> Self {
        Self(rejection)
    }
}

impl std::fmt::Display for WebhookRejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for WebhookRejected {}

impl IntoResponse for WebhookRejected {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, self.0.body_text()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        response
    }
}
