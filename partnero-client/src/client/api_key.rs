//! [`ApiKey`]: the secret that authenticates every request, redacted in all output.

use std::fmt;

/// A Partnero API key. One key belongs to one program.
///
/// `Debug` and `Display` never show the key:
///
/// ```
/// use partnero_client::ApiKey;
///
/// let key = ApiKey::new("sk_live_secret");
/// assert_eq!(format!("{key:?}"), "ApiKey(REDACTED)");
/// assert_eq!(key.to_string(), "REDACTED");
/// assert_eq!(key.expose_secret(), "sk_live_secret");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key itself. Call this only where the key must leave the process (the auth header).
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// True when the key is empty or only whitespace.
    pub fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(REDACTED)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("REDACTED")
    }
}

impl From<&str> for ApiKey {
    fn from(key: &str) -> Self {
        Self::new(key)
    }
}

impl From<String> for ApiKey {
    fn from(key: String) -> Self {
        Self(key)
    }
}

impl From<&String> for ApiKey {
    fn from(key: &String) -> Self {
        Self::new(key.as_str())
    }
}
