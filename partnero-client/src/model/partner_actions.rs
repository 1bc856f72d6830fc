//! Partner actions beyond CRUD: [`PartnerReward`] (a manual reward) and its answer
//! [`ManualReward`], [`SignInRequest`] and [`SignInUrl`] (a partner-portal sign-in link),
//! [`PartnerLookup`] (`GET /partner?key=|email=|id=`).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::lenient;
use super::partner::Partner;
use crate::Error;

/// The body of `POST /partners/{id}/reward`: an amount (at least 0.01) added to the partner's
/// balance, with an optional `date` (`YYYY-MM-DD` or an ISO-8601 date-time) and `note`.
///
/// ```
/// use rust_decimal::Decimal;
/// use partnero_client::PartnerReward;
///
/// let reward = PartnerReward::new(Decimal::new(2500, 2)).note("conference talk");
/// assert_eq!(
///     serde_json::to_string(&reward).unwrap(),
///     r#"{"amount":25.0,"note":"conference talk"}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PartnerReward {
    /// The amount, a JSON number.
    #[serde(with = "super::money")]
    pub amount: Decimal,
    /// The reward's date, `YYYY-MM-DD` or an ISO-8601 date-time.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub date: Option<String>,
    /// A note.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub note: Option<String>,
}

impl PartnerReward {
    /// A reward of `amount`.
    pub fn new(amount: Decimal) -> Self {
        Self {
            amount,
            date: None,
            note: None,
        }
    }

    /// Sets the date (`YYYY-MM-DD` or an ISO-8601 date-time).
    #[must_use]
    pub fn date(mut self, date: impl Into<String>) -> Self {
        self.date = Some(date.into());
        self
    }

    /// Sets the note.
    #[must_use]
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }
}

/// The answer of `POST /partners/{id}/reward`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ManualReward {
    /// The amount credited.
    #[serde(with = "super::money::option")]
    pub amount: Option<Decimal>,
    /// The date, as sent.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub date: Option<String>,
    /// The note, as sent.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub note: Option<String>,
    /// The rewarded partner, when included.
    #[serde(deserialize_with = "lenient::opt_object")]
    pub partner: Option<Partner>,
    /// Fields this version of the client does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The body of `POST /partners:sign-in-url`: the partner by `key` or `email`, and how long the
/// link stays valid (`expires_in`, 30 to 900 seconds; Partnero's default is 120).
///
/// ```
/// use partnero_client::SignInRequest;
///
/// let request = SignInRequest::by_email("pat@example.com").expires_in(300);
/// assert_eq!(
///     serde_json::to_string(&request).unwrap(),
///     r#"{"email":"pat@example.com","expires_in":300}"#
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SignInRequest {
    /// The partner's referral key.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub key: Option<String>,
    /// The partner's e-mail.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub email: Option<String>,
    /// Seconds the link stays valid (30..=900).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub expires_in: Option<u32>,
}

impl SignInRequest {
    /// The partner with this referral key.
    pub fn by_key(key: impl Into<String>) -> Self {
        Self {
            key: Some(key.into()),
            ..Self::default()
        }
    }

    /// The partner with this e-mail.
    pub fn by_email(email: impl Into<String>) -> Self {
        Self {
            email: Some(email.into()),
            ..Self::default()
        }
    }

    /// Sets how long the link stays valid, in seconds (30..=900).
    #[must_use]
    pub fn expires_in(mut self, seconds: u32) -> Self {
        self.expires_in = Some(seconds);
        self
    }
}

/// A partner-portal sign-in link. Whoever holds the URL can sign in as the partner until it
/// expires, so `Debug` does not show it.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct SignInUrl {
    /// The sign-in URL.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub url: Option<String>,
    /// Seconds it stays valid, when included.
    #[serde(deserialize_with = "lenient::opt_u64")]
    pub expires_in: Option<u64>,
    /// Fields this version of the client does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl std::fmt::Debug for SignInUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInUrl")
            .field("url", &self.url.as_ref().map(|_| "REDACTED"))
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// The query of `GET /partner`: one partner by referral key, e-mail or id.
///
/// ```
/// use partnero_client::PartnerLookup;
///
/// let lookup = PartnerLookup::by_email("pat@example.com");
/// assert_eq!(lookup.email.as_deref(), Some("pat@example.com"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PartnerLookup {
    /// Referral key.
    pub key: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Id.
    pub id: Option<String>,
}

impl PartnerLookup {
    /// By referral key.
    pub fn by_key(key: impl Into<String>) -> Self {
        Self {
            key: Some(key.into()),
            ..Self::default()
        }
    }

    /// By e-mail.
    pub fn by_email(email: impl Into<String>) -> Self {
        Self {
            email: Some(email.into()),
            ..Self::default()
        }
    }

    /// By id.
    pub fn by_id(id: impl Into<String>) -> Self {
        Self {
            id: Some(id.into()),
            ..Self::default()
        }
    }

    /// The query; [`Error::InvalidInput`] when nothing names the partner.
    pub(crate) fn query_pairs(&self) -> Result<Vec<(&'static str, String)>, Error> {
        let pairs = super::page::query(
            &[("key", &self.key), ("email", &self.email), ("id", &self.id)],
            None,
            None,
        )?;
        if pairs.is_empty() {
            return Err(Error::InvalidInput(
                "a partner look-up needs a key, an e-mail or an id".into(),
            ));
        }
        Ok(pairs)
    }
}
