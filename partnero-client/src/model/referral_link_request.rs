//! Requests of `/partner_referral_links` and `/customer_referral_links`: [`NewReferralLink`],
//! [`ReferralLinkUpdate`], [`ReferralLinkSearch`]; and [`Domain`], a domain links may use.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::customer::{CustomerRef, PartnerRef};
use super::lenient;
use crate::Error;

/// The body of `POST /partner_referral_links` (a partner's link) or
/// `POST /customer_referral_links` (a refer-a-friend customer's link): the link's `key` (the
/// referral parameter's value) and its owner.
///
/// ```
/// use partnero_client::NewReferralLink;
///
/// let link = NewReferralLink::for_partner_key("spring-sale", "demo-partner").additional(true);
/// assert_eq!(
///     serde_json::to_string(&link).unwrap(),
///     r#"{"key":"spring-sale","partner":{"key":"demo-partner"},"is_additional":true}"#
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NewReferralLink {
    /// The link key (unique within the program).
    pub key: String,
    /// The owner of a partner link.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub partner: Option<PartnerRef>,
    /// The owner of a customer link.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub customer: Option<CustomerRef>,
    /// The domain (see `domains`); Partnero's default domain when absent.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub domain_id: Option<u64>,
    /// Whether the link is an additional one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub is_additional: Option<bool>,
}

impl NewReferralLink {
    /// A link `key` of the partner with referral key `partner_key`.
    pub fn for_partner_key(key: impl Into<String>, partner_key: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            partner: Some(PartnerRef {
                key: Some(partner_key.into()),
                ..PartnerRef::default()
            }),
            ..Self::default()
        }
    }

    /// A link `key` of the refer-a-friend customer with key `customer_key`.
    pub fn for_customer_key(key: impl Into<String>, customer_key: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            customer: Some(CustomerRef::by_key(customer_key)),
            ..Self::default()
        }
    }

    /// Sets the domain.
    #[must_use]
    pub fn domain_id(mut self, id: u64) -> Self {
        self.domain_id = Some(id);
        self
    }

    /// Marks the link as additional (or not).
    #[must_use]
    pub fn additional(mut self, yes: bool) -> Self {
        self.is_additional = Some(yes);
        self
    }
}

/// The fields of `PUT /{partner,customer}_referral_links/{id}`; unset fields are left alone.
///
/// ```
/// use partnero_client::ReferralLinkUpdate;
///
/// let update = ReferralLinkUpdate::new().key("summer-sale");
/// assert_eq!(serde_json::to_string(&update).unwrap(), r#"{"key":"summer-sale"}"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ReferralLinkUpdate {
    /// New key.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub key: Option<String>,
    /// New `is_additional`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub is_additional: Option<bool>,
}

impl ReferralLinkUpdate {
    /// An update that changes nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Changes the key.
    #[must_use]
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Changes `is_additional`.
    #[must_use]
    pub fn additional(mut self, yes: bool) -> Self {
        self.is_additional = Some(yes);
        self
    }
}

/// Query of `GET /{partner,customer}_referral_links:search` (`id` or `key`, `page`, `limit`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ReferralLinkSearch {
    /// Link id.
    pub id: Option<String>,
    /// Link key.
    pub key: Option<String>,
    /// 1-based page.
    pub page: Option<u32>,
    /// Items per page (1..=250).
    pub limit: Option<u32>,
}

impl ReferralLinkSearch {
    /// An empty search.
    pub fn new() -> Self {
        Self::default()
    }

    /// Matches the link id.
    #[must_use]
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Matches the link key.
    #[must_use]
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    paging_setters!("1..=250");

    /// The query, or [`Error::InvalidInput`] when `page` is 0 or `limit` is outside 1..=250.
    pub(crate) fn query_pairs(&self) -> Result<Vec<(&'static str, String)>, Error> {
        super::page::query(
            &[("id", &self.id), ("key", &self.key)],
            self.page,
            self.limit,
        )
    }
}

/// A domain referral links may use (`GET /partner_referral_links:domains`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Domain {
    /// The domain's id (`domain_id` of a new link).
    #[serde(deserialize_with = "lenient::opt_u64")]
    pub id: Option<u64>,
    /// The host name.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub domain: Option<String>,
    /// Whether it is the program's default domain.
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub is_default: Option<bool>,
    /// Fields this version of the client does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
