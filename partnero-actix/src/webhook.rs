//! [`VerifiedWebhook`]: the actix-web extractor for Partnero webhook deliveries, and its error
//! [`WebhookRejected`]. The verification and decoding are
//! [`WebhookReceiver::receive`]'s; this file only reads the request.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use partnero_client::{SIGNATURE_HEADER, WebhookDelivery, WebhookReceiver, WebhookRejection};

/// A webhook delivery whose `Signature` was verified, decoded into a typed event.
///
/// Reads the raw body once, up to the receiver's limit (1 MiB by default), verifies it in
/// constant time against the receiver's secrets and decodes it. Register the
/// [`WebhookReceiver`] as app data (`App::app_data(receiver)` or `web::Data<WebhookReceiver>`).
/// Errors ([`WebhookRejected`]) are opaque: 401 for a missing or wrong signature, 413 for a
/// body over the limit, 400 for an unreadable or malformed body; the reason is logged.
///
/// Partnero's signature has no timestamp: see [`WebhookReceiver`] for replays.
///
/// ```
/// use actix_web::{App, HttpResponse, web};
/// use partnero_actix::{VerifiedWebhook, WebhookEvent, WebhookReceiver};
///
/// async fn partnero_webhook(webhook: VerifiedWebhook) -> HttpResponse {
///     match &webhook.event {
///         WebhookEvent::TransactionCreated(tx) => tracing::info!(key = ?tx.key, "sale recorded"),
///         other => tracing::debug!(event = other.name(), "ignored"),
///     }
///     HttpResponse::Ok().finish()
/// }
///
/// let secret = std::env::var("PARTNERO_WEBHOOK_SECRET").unwrap_or_default();
/// let app = App::new()
///     .app_data(WebhookReceiver::new(secret))
///     .route("/webhooks/partnero", web::post().to(partnero_webhook));
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

/// The receiver registered as app data, plain or in `web::Data`.
fn receiver(req: &HttpRequest) -> Option<WebhookReceiver> {
    req.app_data::<WebhookReceiver>()
        .or_else(|| {
            req.app_data::<web::Data<WebhookReceiver>>()
                .map(|d| d.get_ref())
        })
        .cloned()
}

impl FromRequest for VerifiedWebhook {
    type Error = WebhookRejected;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let receiver = receiver(req);
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .map(|v| v.as_bytes().to_vec());
        let signature = req
            .headers()
            .get(SIGNATURE_HEADER)
            .map(|v| v.as_bytes().to_vec());
        let body = actix_web::body::BodyStream::new(payload.take());
        Box::pin(async move {
            let Some(receiver) = receiver else {
                return Err(WebhookRejected(WebhookRejection::not_configured()));
            };
            receiver.check_content_length(declared.as_deref())?;
            let raw = match actix_web::body::to_bytes_limited(body, receiver.max_body_len()).await {
                Ok(Ok(raw)) => raw,
                Ok(Err(_)) => return Err(WebhookRejected(WebhookRejection::Unreadable)),
                Err(_) => return Err(WebhookRejected(receiver.over_limit())),
            };
            Ok(Self(receiver.receive(signature.as_deref(), &raw)?))
        })
    }
}

/// The error of [`VerifiedWebhook`]: [`WebhookRejection`]'s opaque status and `text/plain`
/// body.
///
/// ```
/// use actix_web::ResponseError;
/// use partnero_actix::{WebhookRejected, WebhookRejection};
///
/// assert_eq!(WebhookRejected(WebhookRejection::BadSignature).status_code(), 401);
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

impl ResponseError for WebhookRejected {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code())
            .insert_header((
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ))
            .body(self.0.body_text())
    }
}
