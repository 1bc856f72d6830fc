//! Newsletter programs: [`Subscriber`] (response), [`NewSubscriber`], [`SubscriberUpdate`],
//! [`SubscriberSearch`].

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::lenient;
use crate::Error;

/// A newsletter subscriber as Partnero returns it. Statuses come capitalised (`Active`):
/// compare with [`Subscriber::has_status`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Subscriber {
    /// Partnero's id.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
    /// Your identifier, when you gave one.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub identifier: Option<String>,
    /// E-mail.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub email: Option<String>,
    /// Name.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    /// Status as sent (`Active`, ...).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub status: Option<String>,
    /// Whether approved.
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub approved: Option<bool>,
    /// Terms of service accepted.
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub tos: Option<bool>,
    /// Marketing consent given.
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub marketing_consent: Option<bool>,
    /// The subscriber's own referral link.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub referral_link: Option<String>,
    /// Subscribers this one referred, when included.
    #[serde(deserialize_with = "lenient::opt_u64")]
    pub referrals_count: Option<u64>,
    /// Creation time, ISO-8601 as sent.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub created_at: Option<String>,
    /// Fields this version of the client does not model (the referring subscriber, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Subscriber {
    /// Compares the status case-insensitively.
    pub fn has_status(&self, status: &str) -> bool {
        self.status
            .as_deref()
            .is_some_and(|s| s.trim().eq_ignore_ascii_case(status))
    }
}

/// Reference to a subscriber by Partnero id (or your identifier) or e-mail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SubscriberRef {
    /// Id or identifier.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub id: Option<String>,
    /// E-mail.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub email: Option<String>,
}

impl SubscriberRef {
    /// By id or identifier.
    pub fn by_id(id: impl Into<String>) -> Self {
        Self {
            id: Some(id.into()),
            email: None,
        }
    }

    /// By e-mail.
    pub fn by_email(email: impl Into<String>) -> Self {
        Self {
            id: None,
            email: Some(email.into()),
        }
    }
}

/// The body of `POST /subscribers`. Only `email` is required.
///
/// ```
/// use partnero_client::NewSubscriber;
///
/// let subscriber = NewSubscriber::new("ada@example.com").name("Ada").tos(true).referred_by_email("grace@example.com");
/// assert_eq!(
///     serde_json::to_string(&subscriber).unwrap(),
///     r#"{"email":"ada@example.com","name":"Ada","tos":true,"referral":{"email":"grace@example.com"}}"#
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NewSubscriber {
    /// E-mail (required, unique).
    pub email: String,
    /// Your identifier.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub identifier: Option<String>,
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    /// Terms of service accepted.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tos: Option<bool>,
    /// Marketing consent given.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub marketing_consent: Option<bool>,
    /// Status.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub status: Option<String>,
    /// Whether approved.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub approved: Option<bool>,
    /// The referring subscriber.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub referral: Option<SubscriberRef>,
}

impl NewSubscriber {
    /// A subscriber with this e-mail.
    pub fn new(email: impl Into<String>) -> Self {
        Self {
            email: email.into(),
            ..Self::default()
        }
    }

    /// Sets your identifier.
    #[must_use]
    pub fn identifier(mut self, identifier: impl Into<String>) -> Self {
        self.identifier = Some(identifier.into());
        self
    }

    /// Sets the name.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets whether the terms of service were accepted.
    #[must_use]
    pub fn tos(mut self, yes: bool) -> Self {
        self.tos = Some(yes);
        self
    }

    /// Sets whether marketing consent was given.
    #[must_use]
    pub fn marketing_consent(mut self, yes: bool) -> Self {
        self.marketing_consent = Some(yes);
        self
    }

    /// Sets the status.
    #[must_use]
    pub fn status(mut self, status: impl Into<String>) -> Self {
        self.status = Some(status.into());
        self
    }

    /// Sets whether the subscriber is approved.
    #[must_use]
    pub fn approved(mut self, yes: bool) -> Self {
        self.approved = Some(yes);
        self
    }

    /// The subscriber was referred by the one with this id or identifier.
    #[must_use]
    pub fn referred_by_id(mut self, id: impl Into<String>) -> Self {
        self.referral = Some(SubscriberRef::by_id(id));
        self
    }

    /// The subscriber was referred by the one with this e-mail.
    #[must_use]
    pub fn referred_by_email(mut self, email: impl Into<String>) -> Self {
        self.referral = Some(SubscriberRef::by_email(email));
        self
    }
}

/// The fields of `PUT /subscribers` (sent as `{"id"|"email": ..., "update": {...}}`); unset
/// fields are left alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SubscriberUpdate {
    /// New e-mail.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub email: Option<String>,
    /// New name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    /// New status.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub status: Option<String>,
    /// New approval.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub approved: Option<bool>,
    /// New terms-of-service flag.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tos: Option<bool>,
    /// New marketing consent.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub marketing_consent: Option<bool>,
}

impl SubscriberUpdate {
    /// An update that changes nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Changes the e-mail.
    #[must_use]
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Changes the name.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Changes the status.
    #[must_use]
    pub fn status(mut self, status: impl Into<String>) -> Self {
        self.status = Some(status.into());
        self
    }

    /// Changes the approval.
    #[must_use]
    pub fn approved(mut self, yes: bool) -> Self {
        self.approved = Some(yes);
        self
    }
}

/// Query of `GET /subscribers` and `GET /subscribers:search`.
///
/// `limit` is 10..=250 for subscribers (Partnero's default is 10).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SubscriberSearch {
    /// Id or identifier.
    pub id: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// `refer_status` filter: `referred` or `non_referred`.
    pub refer_status: Option<String>,
    /// 1-based page.
    pub page: Option<u32>,
    /// Items per page (10..=250).
    pub limit: Option<u32>,
}

impl SubscriberSearch {
    /// An empty search.
    pub fn new() -> Self {
        Self::default()
    }

    /// Matches the id or identifier.
    #[must_use]
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Matches the e-mail.
    #[must_use]
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Filters by referral status.
    #[must_use]
    pub fn refer_status(mut self, status: impl Into<String>) -> Self {
        self.refer_status = Some(status.into());
        self
    }

    paging_setters!("10..=250");

    /// The query, or [`Error::InvalidInput`] when `page` is 0 or `limit` is outside 10..=250.
    pub(crate) fn query_pairs(&self) -> Result<Vec<(&'static str, String)>, Error> {
        if self.limit.is_some_and(|l| l < 10) {
            return Err(Error::InvalidInput(format!(
                "limit must be between 10 and 250 subscribers per page, got {}",
                self.limit.unwrap_or_default()
            )));
        }
        super::page::query(
            &[
                ("id", &self.id),
                ("email", &self.email),
                ("refer_status", &self.refer_status),
            ],
            self.page,
            self.limit,
        )
    }
}
