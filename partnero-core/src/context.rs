//! [`ReferralContext`]: who referred this visitor, and how we know.

use crate::ReferralKey;

/// Where a captured key came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeySource {
    /// A cookie (`partnero_partner` / `partnero_referral`), set by PartneroJS or by this library.
    Cookie,
    /// A referral query parameter (`?aff=KEY`, `?ref=KEY`, ...).
    Query,
    /// The path form (`/aff/KEY`).
    Path,
    /// Set by the application itself (server-to-server tracking from its own storage).
    Manual,
}

impl KeySource {
    /// True for a referral link: [`Query`](Self::Query) or [`Path`](Self::Path).
    pub fn is_link(self) -> bool {
        matches!(self, KeySource::Query | KeySource::Path)
    }
}

/// A captured key together with where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Captured {
    /// The validated key.
    pub key: ReferralKey,
    /// Where it was found.
    pub source: KeySource,
}

/// Who referred the current visitor.
///
/// `partner` is the affiliate program's partner key (cookie `partnero_partner`, query `aff`);
/// `referrer` is the refer-a-friend program's referring customer key (cookie `partnero_referral`,
/// query `ref`). Either, both or neither may be present. Built by capture on every request, or by
/// hand for server-to-server tracking:
///
/// ```
/// use partnero_core::{KeySource, ReferralContext, ReferralKey};
///
/// let ctx = ReferralContext::new()
///     .with_partner(ReferralKey::parse("demo-partner").unwrap(), KeySource::Manual)
///     .with_landing_url("https://shop.example/?aff=demo-partner");
/// assert_eq!(ctx.partner_key().map(|k| k.as_str()), Some("demo-partner"));
/// assert!(ctx.referrer_key().is_none());
/// assert!(!ctx.is_empty());
/// assert!(ReferralContext::new().is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReferralContext {
    /// The affiliate partner key, if any.
    pub partner: Option<Captured>,
    /// The refer-a-friend referring customer key, if any.
    pub referrer: Option<Captured>,
    /// The URL the visitor landed on with the referral link, when known
    /// (sent as `options.referral_url`).
    pub landing_url: Option<String>,
}

impl ReferralContext {
    /// An empty context: nobody referred this visitor.
    pub const fn new() -> Self {
        Self {
            partner: None,
            referrer: None,
            landing_url: None,
        }
    }

    /// Sets the affiliate partner key.
    #[must_use]
    pub fn with_partner(mut self, key: ReferralKey, source: KeySource) -> Self {
        self.partner = Some(Captured { key, source });
        self
    }

    /// Sets the refer-a-friend referring customer key.
    #[must_use]
    pub fn with_referrer(mut self, key: ReferralKey, source: KeySource) -> Self {
        self.referrer = Some(Captured { key, source });
        self
    }

    /// Sets the landing URL.
    #[must_use]
    pub fn with_landing_url(mut self, url: impl Into<String>) -> Self {
        self.landing_url = Some(url.into());
        self
    }

    /// The affiliate partner key, if any.
    pub fn partner_key(&self) -> Option<&ReferralKey> {
        self.partner.as_ref().map(|c| &c.key)
    }

    /// The refer-a-friend referring customer key, if any.
    pub fn referrer_key(&self) -> Option<&ReferralKey> {
        self.referrer.as_ref().map(|c| &c.key)
    }

    /// The landing URL, if known.
    pub fn landing_url(&self) -> Option<&str> {
        self.landing_url.as_deref()
    }

    /// True when neither key is present.
    pub fn is_empty(&self) -> bool {
        self.partner.is_none() && self.referrer.is_none()
    }
}
