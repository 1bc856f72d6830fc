//! [`ReferralKey`]: a validated referral key (a partner's key or a referring customer's key).

use std::fmt;

/// The longest key accepted, in bytes, after percent-decoding.
pub const MAX_KEY_LEN: usize = 255;

/// A referral key that passed validation: safe to log, to put in a cookie and to send to the API.
///
/// Keys arrive in cookies, query strings and paths, all attacker-controlled. A key is accepted
/// only if, after percent-decoding, it is valid UTF-8, 1 to [`MAX_KEY_LEN`] bytes long, and holds no
/// control character, no whitespace, and none of `;` `,` `"` `\`.
///
/// ```
/// use partnero_core::ReferralKey;
///
/// let key = ReferralKey::parse("demo-partner").unwrap();
/// assert_eq!(key.as_str(), "demo-partner");
/// assert!(ReferralKey::parse("bad key").is_err());
/// assert_eq!(ReferralKey::decode(b"caf%C3%A9").unwrap().as_str(), "café");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReferralKey(Box<str>);

/// Why a raw value was not accepted as a [`ReferralKey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidKey {
    /// The value is empty.
    #[error("referral key is empty")]
    Empty,
    /// The value is longer than [`MAX_KEY_LEN`] bytes after decoding.
    #[error("referral key is longer than {MAX_KEY_LEN} bytes")]
    TooLong,
    /// A `%` is not followed by two hexadecimal digits.
    #[error("referral key has a broken percent-escape")]
    BadEscape,
    /// The decoded bytes are not UTF-8.
    #[error("referral key is not valid UTF-8")]
    NotUtf8,
    /// The value holds a control character, whitespace, or one of `;` `,` `"` `\`.
    #[error("referral key holds a forbidden character")]
    ForbiddenChar,
}

impl ReferralKey {
    /// Validates an already-decoded key.
    pub fn parse(raw: &str) -> Result<Self, InvalidKey> {
        validate(raw)?;
        Ok(Self(raw.into()))
    }

    /// Percent-decodes `raw` (as found in a cookie value, a query value or a path segment),
    /// then validates it. `+` is kept as a literal `+` (cookie and path semantics); query capture
    /// maps `+` to a space first, which validation then rejects.
    pub fn decode(raw: &[u8]) -> Result<Self, InvalidKey> {
        if raw.is_empty() {
            return Err(InvalidKey::Empty);
        }
        // Each escape shrinks 3 bytes to 1, so a longer input cannot decode to MAX_KEY_LEN bytes:
        // reject it before decoding (and allocating for) a possibly huge attacker-sent value.
        if raw.len() > 3 * MAX_KEY_LEN {
            return Err(InvalidKey::TooLong);
        }
        if !raw.contains(&b'%') {
            let s = std::str::from_utf8(raw).map_err(|_| InvalidKey::NotUtf8)?;
            return Self::parse(s);
        }
        // Every escape must be well-formed: percent_encoding would pass "%zz" through silently.
        let mut i = 0;
        while let Some(off) = memchr::memchr(b'%', &raw[i..]) {
            let at = i + off;
            let ok = raw.len() > at + 2
                && raw[at + 1].is_ascii_hexdigit()
                && raw[at + 2].is_ascii_hexdigit();
            if !ok {
                return Err(InvalidKey::BadEscape);
            }
            i = at + 3;
        }
        let decoded: Vec<u8> = percent_encoding::percent_decode(raw).collect();
        let s = String::from_utf8(decoded).map_err(|_| InvalidKey::NotUtf8)?;
        validate(&s)?;
        Ok(Self(s.into_boxed_str()))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn validate(s: &str) -> Result<(), InvalidKey> {
    if s.is_empty() {
        return Err(InvalidKey::Empty);
    }
    if s.len() > MAX_KEY_LEN {
        return Err(InvalidKey::TooLong);
    }
    if s.chars()
        .any(|c| c.is_control() || c.is_whitespace() || matches!(c, ';' | ',' | '"' | '\\'))
    {
        return Err(InvalidKey::ForbiddenChar);
    }
    Ok(())
}

impl std::str::FromStr for ReferralKey {
    type Err = InvalidKey;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for ReferralKey {
    type Error = InvalidKey;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

impl TryFrom<String> for ReferralKey {
    type Error = InvalidKey;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        validate(&s)?;
        Ok(Self(s.into_boxed_str()))
    }
}

impl AsRef<str> for ReferralKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ReferralKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for ReferralKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for ReferralKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}
