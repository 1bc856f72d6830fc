//! [`WebhookReceiver`]: verifies a raw webhook delivery against one or several secrets and
//! decodes it into a typed [`WebhookDelivery`]. The axum and actix-web extractors are thin
//! translations around [`WebhookReceiver::receive`].

use std::fmt;
use std::sync::{Arc, RwLock};

use crate::WebhookRejection;
use crate::model::WebhookDelivery;
use crate::webhook_signature::verify_any;

/// The header Partnero puts the signature in.
pub const SIGNATURE_HEADER: &str = "Signature";

/// The default largest delivery body accepted: 1 MiB.
pub const DEFAULT_WEBHOOK_BODY_LIMIT: usize = 1024 * 1024;

/// Verifies and decodes Partnero webhook deliveries.
///
/// * verifies the `Signature` header (hex HMAC-SHA256 of the **raw** body) in constant time
///   against every configured secret, so a rotation can accept the old and the new one;
/// * refuses bodies over a limit (1 MiB by default) before verifying anything;
/// * decodes the envelope into a typed [`WebhookEvent`](crate::WebhookEvent) (unknown events
///   decode as `Unknown`, never fail);
/// * logs why it refused (at `warn`), never the secret or the body.
///
/// Empty secrets are ignored: anyone can sign with an empty key, so an unset environment
/// variable must not open the endpoint. Cheap to clone; every clone shares the secrets, which
/// [`set_secrets`](Self::set_secrets) replaces at runtime (a rotation without a restart, or a
/// webhook registered after the server started). `Debug` never shows the secrets.
///
/// Partnero's signature carries **no timestamp**, so a captured delivery stays valid forever:
/// process each delivery once by its [`id`](WebhookDelivery::id) (for instance with
/// `partnero_outbox::Outbox::first_delivery`) and keep handlers idempotent by business key.
///
/// ```
/// use partnero_client::{WebhookReceiver, WebhookRejection, webhook_signature::sign};
///
/// let receiver = WebhookReceiver::new("new-secret").also_accept("old-secret");
/// let body = br#"{"event":"customer.created","data":{"key":"user-42"}}"#;
///
/// let delivery = receiver.receive(Some(sign("old-secret", body).as_bytes()), body).unwrap();
/// assert_eq!(delivery.event.name(), "customer.created");
///
/// assert_eq!(receiver.receive(None, body), Err(WebhookRejection::Unsigned));
/// let forged = sign("guess", body);
/// assert_eq!(receiver.receive(Some(forged.as_bytes()), body), Err(WebhookRejection::BadSignature));
/// let debug = format!("{receiver:?}");
/// assert!(!debug.contains("new-secret") && !debug.contains("old-secret"), "{debug}");
/// ```
#[derive(Clone)]
pub struct WebhookReceiver {
    secrets: Arc<RwLock<Arc<[String]>>>,
    body_limit: usize,
}

/// The non-empty secrets. None left is allowed (a receiver armed later with
/// [`WebhookReceiver::set_secrets`]); each delivery it refuses then says why.
fn usable<I, S>(secrets: I) -> Arc<[String]>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let secrets: Vec<String> = secrets
        .into_iter()
        .map(Into::into)
        .filter(|s| !s.is_empty())
        .collect();
    if secrets.is_empty() {
        tracing::debug!("partnero webhook receiver has no secret yet: deliveries are refused");
    }
    secrets.into()
}

impl WebhookReceiver {
    /// A receiver for deliveries signed with `secret` (the webhook's `signature` field).
    pub fn new(secret: impl Into<String>) -> Self {
        Self::with_secrets([secret.into()])
    }

    /// A receiver accepting any of `secrets` (during a rotation).
    pub fn with_secrets<I, S>(secrets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            secrets: Arc::new(RwLock::new(usable(secrets))),
            body_limit: DEFAULT_WEBHOOK_BODY_LIMIT,
        }
    }

    /// Replaces the accepted secrets, for this receiver and every clone of it (the extractors
    /// hold clones). Deliveries already being verified finish with the old ones.
    ///
    /// ```
    /// use partnero_client::{WebhookReceiver, webhook_signature::sign};
    ///
    /// let receiver = WebhookReceiver::with_secrets(Vec::<String>::new()); // refuses everything
    /// let in_the_router = receiver.clone();
    /// receiver.set_secrets(["whsec_from_registration"]);
    /// let body = br#"{"event":"partner.created","data":{}}"#;
    /// let sig = sign("whsec_from_registration", body);
    /// assert!(in_the_router.receive(Some(sig.as_bytes()), body).is_ok());
    /// ```
    pub fn set_secrets<I, S>(&self, secrets: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let secrets = usable(secrets);
        *self.secrets.write().unwrap_or_else(|p| p.into_inner()) = secrets;
    }

    fn current(&self) -> Arc<[String]> {
        Arc::clone(&self.secrets.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Also accepts deliveries signed with `secret` (the other side of a rotation), in this
    /// receiver and every clone of it, as [`set_secrets`](Self::set_secrets) does.
    #[must_use]
    pub fn also_accept(self, secret: impl Into<String>) -> Self {
        let mut secrets = self.current().to_vec();
        secrets.push(secret.into());
        self.set_secrets(secrets);
        self
    }

    /// Sets the largest accepted body in bytes (default [`DEFAULT_WEBHOOK_BODY_LIMIT`]).
    #[must_use]
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The largest accepted body in bytes: adapters stop reading beyond it.
    pub fn max_body_len(&self) -> usize {
        self.body_limit
    }

    /// Refuses a body whose `Content-Length` header (its raw value, `None` when absent) declares
    /// more than the limit, before reading it. An unreadable value passes: the body read stops
    /// at the limit anyway.
    pub fn check_content_length(&self, header: Option<&[u8]>) -> Result<(), WebhookRejection> {
        let declared = header
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        match declared {
            Some(len) if len > self.body_limit as u64 => Err(log(WebhookRejection::TooLarge, len)),
            _ => Ok(()),
        }
    }

    /// [`TooLarge`](WebhookRejection::TooLarge), logged: for an adapter that stopped reading
    /// a body at the limit.
    pub fn over_limit(&self) -> WebhookRejection {
        log(WebhookRejection::TooLarge, self.body_limit as u64 + 1)
    }

    /// Verifies `signature` (the `Signature` header's raw value, `None` when absent) over
    /// `raw_body` and decodes the delivery. The body limit is checked first, then the
    /// signature, then the JSON: an unsigned or forged body is never parsed.
    pub fn receive(
        &self,
        signature: Option<&[u8]>,
        raw_body: &[u8],
    ) -> Result<WebhookDelivery, WebhookRejection> {
        let len = raw_body.len() as u64;
        if raw_body.len() > self.body_limit {
            return Err(log(WebhookRejection::TooLarge, len));
        }
        let Some(signature) = signature else {
            return Err(log(WebhookRejection::Unsigned, len));
        };
        let secrets = self.current();
        if secrets.is_empty() {
            tracing::warn!(
                "partnero webhook receiver has no secret: delivery refused (give it the webhook's `signature`)"
            );
            return Err(log(WebhookRejection::BadSignature, len));
        }
        let verified =
            std::str::from_utf8(signature).is_ok_and(|sig| verify_any(&secrets, raw_body, sig));
        if !verified {
            return Err(log(WebhookRejection::BadSignature, len));
        }
        WebhookDelivery::from_json(raw_body).map_err(|err| {
            tracing::warn!(body_len = len, %err, "partnero webhook rejected: {}", WebhookRejection::Malformed.reason());
            WebhookRejection::Malformed
        })
    }
}

/// Logs a rejection (the reason and the body length only) and returns it.
fn log(rejection: WebhookRejection, body_len: u64) -> WebhookRejection {
    tracing::warn!(body_len, status = rejection.status(), "{rejection}");
    rejection
}

impl fmt::Debug for WebhookReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookReceiver")
            .field(
                "secrets",
                &format_args!("[REDACTED; {}]", self.current().len()),
            )
            .field("body_limit", &self.body_limit)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhook_signature::sign;

    #[test]
    fn an_empty_secret_never_opens_the_endpoint() {
        let receiver = WebhookReceiver::new("");
        let body = br#"{"event":"x","data":{}}"#;
        assert_eq!(
            receiver.receive(Some(sign("", body).as_bytes()), body),
            Err(WebhookRejection::BadSignature)
        );
    }

    #[test]
    fn the_limit_is_checked_before_the_signature() {
        let receiver = WebhookReceiver::new("s").body_limit(8);
        assert_eq!(
            receiver.receive(None, b"123456789"),
            Err(WebhookRejection::TooLarge)
        );
        assert_eq!(
            receiver.check_content_length(Some(b"9")),
            Err(WebhookRejection::TooLarge)
        );
        assert_eq!(receiver.check_content_length(Some(b"8")), Ok(()));
        let body = b"[]";
        assert_eq!(
            receiver.receive(Some(sign("s", body).as_bytes()), body),
            Err(WebhookRejection::Malformed)
        );
        assert_eq!(
            receiver.receive(Some(&[0xff, 0xfe]), body),
            Err(WebhookRejection::BadSignature)
        );
    }

    #[test]
    fn rotation_keeps_the_limit() {
        let receiver = WebhookReceiver::new("a").body_limit(10).also_accept("b");
        assert_eq!(receiver.max_body_len(), 10);
        let body = br#"{"event":"x"}"#;
        assert_eq!(
            receiver.receive(Some(sign("b", body).as_bytes()), body),
            Err(WebhookRejection::TooLarge)
        );
    }

    /// A secret added by `also_accept` reaches the clones made before it, like `set_secrets`.
    #[test]
    fn also_accept_reaches_earlier_clones() {
        let receiver = WebhookReceiver::new("old");
        let in_the_router = receiver.clone();
        let _receiver = receiver.also_accept("new");
        let body = br#"{"event":"partner.created","data":{}}"#;
        assert!(
            in_the_router
                .receive(Some(sign("new", body).as_bytes()), body)
                .is_ok()
        );
        assert!(
            in_the_router
                .receive(Some(sign("old", body).as_bytes()), body)
                .is_ok()
        );
    }
}
