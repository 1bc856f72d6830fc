//! [`VerifiedWebhook`]: the axum extractor for Partnero webhook deliveries, and its rejection
//! [`WebhookRejected`]. The verification and decoding are
//! [`WebhookReceiver::receive`]'s; this file only reads the request.

use std::ops::Deref;

use axum_core::extract::{FromRequest, Request};
use axum_core::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use partnero_client::{SIGNATURE_HEADER, WebhookDelivery, WebhookReceiver, WebhookRejection};

/// A webhook delivery whose `Signature` was verified, decoded into a typed event.
///
/// Reads the raw body once, up to the receiver's limit (1 MiB by default), verifies it in
/// constant time against the receiver's secrets and decodes it. Put the
/// [`WebhookReceiver`] in the request extensions with axum's `Extension` layer. Rejections
/// ([`WebhookRejected`]) are opaque: 401 for a missing or wrong signature, 413 for a body
/// over the limit, 400 for an unreadable or malformed body; the reason is logged.
///
/// Partnero's signature has no timestamp: see [`WebhookReceiver`] for replays.
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
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedWebhook(WebhookDelivery);

impl VerifiedWebhook {
    /// The delivery.
    pub fn into_inner(self) -> WebhookDelivery {
        self.0
    }
}

impl Deref for VerifiedWebhook {
    type Target = WebhookDelivery;

    fn deref(&self) -> &WebhookDelivery {
        &self.0
    }
}

impl<S> FromRequest<S> for VerifiedWebhook
where
    S: Send + Sync,
{
    type Rejection = WebhookRejected;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let Some(receiver) = parts.extensions.get::<WebhookReceiver>() else {
            return Err(WebhookRejected(WebhookRejection::not_configured()));
        };
        let declared = parts
            .headers
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
        let signature = parts
            .headers
            .get(SIGNATURE_HEADER)
            .map(HeaderValue::as_bytes);
        Ok(Self(receiver.receive(signature, &raw)?))
    }
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
