//! Verifying webhook deliveries: the `Signature` header is the hex HMAC-SHA256 of the raw
//! request body, keyed by the webhook's signing secret ([`Webhook::signature`](crate::Webhook)).
//!
//! ```
//! use partnero_client::webhook_signature::{sign, verify, verify_any};
//!
//! let body = br#"{"event":"transaction.created","data":{}}"#;
//! let header = sign("whsec", body);
//! assert!(verify("whsec", body, &header));
//! assert!(!verify("whsec", b"tampered", &header));
//! assert!(!verify("other-secret", body, &header));
//!
//! // During a secret rotation, accept the old and the new secret.
//! assert!(verify_any(&["new-secret", "whsec"], body, &header));
//! ```
//!
//! To verify **and** decode a delivery in one step (with a body limit and typed events), use
//! [`WebhookReceiver`](crate::WebhookReceiver), which the framework extractors call.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The hex HMAC-SHA256 of `raw_body` keyed by `secret` (lower case); empty for an empty
/// secret, which signs nothing and verifies nothing.
pub fn sign(secret: &str, raw_body: &[u8]) -> String {
    keyed(secret, raw_body)
        .map(|mac| hex::encode(mac.finalize().into_bytes()))
        .unwrap_or_default()
}

/// True when `signature_header` is the HMAC-SHA256 of the **raw** body bytes under `secret`.
/// Compares in constant time (`hmac`'s own `verify_slice`); hex case and surrounding
/// whitespace are ignored. A malformed, empty or short header is `false`, never a panic, and
/// so is an empty `secret` (an unset environment variable never opens an endpoint).
pub fn verify(secret: &str, raw_body: &[u8], signature_header: &str) -> bool {
    let Ok(given) = hex::decode(signature_header.trim()) else {
        return false;
    };
    keyed(secret, raw_body).is_some_and(|mac| mac.verify_slice(&given).is_ok())
}

/// True when `signature_header` verifies under at least one of `secrets` (a rotation: the old
/// and the new secret, in any order). Every secret is checked, whichever matches, so the time
/// taken does not tell which one did; each comparison is constant-time. No secrets: `false`;
/// empty secrets never match.
pub fn verify_any<S: AsRef<str>>(secrets: &[S], raw_body: &[u8], signature_header: &str) -> bool {
    let Ok(given) = hex::decode(signature_header.trim()) else {
        return false;
    };
    secrets.iter().fold(false, |matched, secret| {
        let ok =
            keyed(secret.as_ref(), raw_body).is_some_and(|mac| mac.verify_slice(&given).is_ok());
        matched | ok
    })
}

/// The MAC state after `body`; `None` for an empty secret (anyone could sign with it). HMAC
/// takes keys of any other length.
fn keyed(secret: &str, body: &[u8]) -> Option<HmacSha256> {
    if secret.is_empty() {
        return None;
    }
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(body);
    Some(mac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vector() {
        // RFC 4231 test case 2.
        let sig = sign("Jefe", b"what do ya want for nothing?");
        assert_eq!(
            sig,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(verify(
            "Jefe",
            b"what do ya want for nothing?",
            &sig.to_uppercase()
        ));
        assert!(!verify("Jefe", b"what do ya want for nothing?", "zz"));
        assert!(!verify("Jefe", b"what do ya want for nothing?", ""));
        assert!(!verify("Jefe", b"what do ya want for nothing?", &sig[..10]));
        assert!(!verify("Jefe", b"what do ya want for nothing?", "  "));
        assert!(!verify("", b"", ""), "an empty signature never verifies");
        assert!(
            !verify("", b"", &sign("", b"")),
            "an empty secret neither signs nor verifies"
        );
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// `verify(sign(body))` holds for every body and secret, and flipping any single bit
        /// of the body or of the signature makes it fail.
        #[test]
        fn sign_then_verify_and_every_bit_flip_fails(
            secret in ".{1,40}",
            body in proptest::collection::vec(any::<u8>(), 0..256),
            flip in any::<proptest::sample::Index>(),
        ) {
            let sig = sign(&secret, &body);
            prop_assert!(verify(&secret, &body, &sig));
            prop_assert!(verify_any(&["other", secret.as_str()], &body, &sig));

            if !body.is_empty() {
                let bit = flip.index(body.len() * 8);
                let mut tampered = body.clone();
                tampered[bit / 8] ^= 1 << (bit % 8);
                prop_assert!(!verify(&secret, &tampered, &sig));
                prop_assert!(!verify_any(&["other", secret.as_str()], &tampered, &sig));
            }

            let mut raw = hex::decode(&sig).unwrap();
            let bit = flip.index(raw.len() * 8);
            raw[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(!verify(&secret, &body, &hex::encode(raw)));
        }

        /// A different secret never verifies.
        #[test]
        fn another_secret_fails(secret in ".{1,40}", body in proptest::collection::vec(any::<u8>(), 0..64)) {
            let sig = sign(&secret, &body);
            let other = format!("{secret}x");
            prop_assert!(!verify(&other, &body, &sig));
            prop_assert!(!verify_any::<&str>(&[], &body, &sig));
        }
    }

    /// An empty secret never verifies, even a signature made with the empty HMAC key.
    #[test]
    fn an_empty_secret_never_verifies() {
        let body = br#"{"event":"transaction.created"}"#;
        let mut mac = HmacSha256::new_from_slice(b"").unwrap();
        mac.update(body);
        let forged = hex::encode(mac.finalize().into_bytes());
        assert!(!verify("", body, &forged));
        assert!(!verify_any(&["", "real-secret"], body, &forged));
        assert_eq!(sign("", body), "");
    }
}
