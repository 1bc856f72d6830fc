//! Partners: [`Partner`] (response), [`NewPartner`], [`PartnerUpdate`], [`PartnerSearch`].

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::lenient;
use super::referral_link::ReferralLink;
use crate::Error;

/// A partner (affiliate) as Partnero returns it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Partner {
    /// The partner's id (used in `/partners/{id}` paths).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
    /// The partner's referral key (the `partnero_partner` cookie value).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub key: Option<String>,
    /// E-mail address.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub email: Option<String>,
    /// First name.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    /// Last name.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub surname: Option<String>,
    /// Status as sent (case varies); compare with [`Partner::has_status`].
    #[serde(deserialize_with = "lenient::opt_string")]
    pub status: Option<String>,
    /// Tags.
    #[serde(deserialize_with = "lenient::string_list")]
    pub tags: Vec<String>,
    /// The partner's default referral link, when included.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub referral_link: Option<String>,
    /// Referral links, when included.
    #[serde(deserialize_with = "super::referral_link::list")]
    pub referral_links: Vec<ReferralLink>,
    /// Creation time, ISO-8601 as sent.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub created_at: Option<String>,
    /// Last update time, ISO-8601 as sent.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub updated_at: Option<String>,
    /// Fields this version of the client does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Partner {
    /// Compares the status case-insensitively.
    pub fn has_status(&self, status: &str) -> bool {
        self.status
            .as_deref()
            .is_some_and(|s| s.trim().eq_ignore_ascii_case(status))
    }
}

/// The body of `POST /partners`. Only `email` is required.
///
/// ```
/// use partnero_client::NewPartner;
///
/// let partner = NewPartner::new("pat@example.com").name("Pat").key("pat");
/// assert_eq!(
///     serde_json::to_string(&partner).unwrap(),
///     r#"{"email":"pat@example.com","name":"Pat","key":"pat"}"#
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NewPartner {
    /// E-mail address (required).
    pub email: String,
    /// First name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    /// Last name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub surname: Option<String>,
    /// Referral key to use (Partnero generates one when absent).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub key: Option<String>,
    /// Id to use.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub id: Option<String>,
    /// Tags.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub tags: Vec<String>,
}

impl NewPartner {
    /// A partner with this e-mail.
    pub fn new(email: impl Into<String>) -> Self {
        Self {
            email: email.into(),
            ..Self::default()
        }
    }

    /// Sets the first name.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the last name.
    #[must_use]
    pub fn surname(mut self, surname: impl Into<String>) -> Self {
        self.surname = Some(surname.into());
        self
    }

    /// Sets the referral key.
    #[must_use]
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Sets the id.
    #[must_use]
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Adds a tag.
    #[must_use]
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }
}

/// The fields of `PUT /partners/{id}` (sent as `{"update": {...}}`); unset fields are left alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PartnerUpdate {
    /// New e-mail.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub email: Option<String>,
    /// New first name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    /// New last name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub surname: Option<String>,
    /// New referral key.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub key: Option<String>,
    /// New tags (replaces the list).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tags: Option<Vec<String>>,
}

impl PartnerUpdate {
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

    /// Changes the first name.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Changes the last name.
    #[must_use]
    pub fn surname(mut self, surname: impl Into<String>) -> Self {
        self.surname = Some(surname.into());
        self
    }

    /// Changes the referral key.
    #[must_use]
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Replaces the tags.
    #[must_use]
    pub fn tags<I, S>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tags = Some(tags.into_iter().map(Into::into).collect());
        self
    }
}

/// Query of `GET /partners:search` (`email`, `key`, `id`, `page`, `limit`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PartnerSearch {
    /// Partner e-mail.
    pub email: Option<String>,
    /// Partner referral key.
    pub key: Option<String>,
    /// Partner id.
    pub id: Option<String>,
    /// 1-based page.
    pub page: Option<u32>,
    /// Items per page (1..=250).
    pub limit: Option<u32>,
}

impl PartnerSearch {
    /// An empty search.
    pub fn new() -> Self {
        Self::default()
    }

    /// Matches the e-mail.
    #[must_use]
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Matches the referral key.
    #[must_use]
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Matches the id.
    #[must_use]
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    paging_setters!("1..=250");

    /// The query, or [`Error::InvalidInput`] when `page` is 0 or `limit` is outside 1..=250.
    pub(crate) fn query_pairs(&self) -> Result<Vec<(&'static str, String)>, Error> {
        super::page::query(
            &[("email", &self.email), ("key", &self.key), ("id", &self.id)],
            self.page,
            self.limit,
        )
    }
}
