//! [`WebhookRejection`]: why a webhook delivery was refused, and the opaque answer to give.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

/// Why [`WebhookReceiver`](crate::WebhookReceiver) refused a delivery.
///
/// The answer a framework adapter sends is deliberately opaque ([`status`](Self::status) and
/// [`body_text`](Self::body_text) say no more than "unauthorized" or "bad request"); the reason
/// is logged (at `warn`, never with the secret or the body).
///
/// ```
/// use partnero_client::WebhookRejection;
///
/// assert_eq!(WebhookRejection::BadSignature.status(), 401);
/// assert_eq!(WebhookRejection::BadSignature.body_text(), "unauthorized");
/// assert_eq!(WebhookRejection::TooLarge.status(), 413);
/// assert_eq!(WebhookRejection::Malformed.status(), 400);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WebhookRejection {
    /// No `Signature` header (401).
    Unsigned,
    /// A signature that matches none of the secrets, or is not hex (401).
    BadSignature,
    /// A body over the limit, declared or read (413).
    TooLarge,
    /// The body could not be read (the connection failed mid-body) (400).
    Unreadable,
    /// A correctly signed body that is not a webhook envelope: not JSON, or no `event` (400).
    Malformed,
    /// No [`WebhookReceiver`](crate::WebhookReceiver) is configured for the route: a wiring
    /// mistake (500).
    NotConfigured,
}

impl WebhookRejection {
    /// [`NotConfigured`](Self::NotConfigured), logged at `error` once per process (every
    /// request of a misconfigured route hits it; one line says all there is to say).
    pub fn not_configured() -> Self {
        static LOGGED: AtomicBool = AtomicBool::new(false);
        if !LOGGED.swap(true, Ordering::Relaxed) {
            tracing::error!("{} (logged once)", Self::NotConfigured);
        }
        Self::NotConfigured
    }

    /// The HTTP status to answer with.
    pub const fn status(self) -> u16 {
        match self {
            Self::Unsigned | Self::BadSignature => 401,
            Self::TooLarge => 413,
            Self::Unreadable | Self::Malformed => 400,
            Self::NotConfigured => 500,
        }
    }

    /// The opaque `text/plain` body to answer with.
    pub const fn body_text(self) -> &'static str {
        match self {
            Self::Unsigned | Self::BadSignature => "unauthorized",
            Self::TooLarge => "payload too large",
            Self::Unreadable | Self::Malformed => "bad request",
            Self::NotConfigured => "internal server error",
        }
    }

    /// The reason, for logs (never sent to the caller).
    pub const fn reason(self) -> &'static str {
        match self {
            Self::Unsigned => "no Signature header",
            Self::BadSignature => "signature matches no configured secret",
            Self::TooLarge => "body over the limit",
            Self::Unreadable => "body could not be read",
            Self::Malformed => "signed body is not a webhook envelope",
            Self::NotConfigured => {
                "no WebhookReceiver configured for this route (add it as a layer extension \
                 on axum, or take it from the router's state with \
                 VerifiedWebhook<WebhookReceiver>; as app data on actix-web)"
            }
        }
    }
}

impl fmt::Display for WebhookRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "partnero webhook rejected: {}", self.reason())
    }
}

impl std::error::Error for WebhookRejection {}
