//! Customers: [`Customer`] (response), [`NewCustomer`] (create), [`CustomerUpdate`],
//! [`CustomerSearch`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::lenient;
use super::partner::Partner;
use super::referral_link::ReferralLink;
use crate::Error;

/// A customer as Partnero returns it (affiliate and refer-a-friend fields).
///
/// Unknown fields land in `extra`; fields that are missing or oddly typed decode as empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Customer {
    /// The customer's key (your account id or e-mail; public in refer-a-friend referral URLs).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub key: Option<String>,
    /// Partnero's id, or your private id in refer-a-friend programs.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
    /// E-mail address.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub email: Option<String>,
    /// First name.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    /// Last name.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub surname: Option<String>,
    /// Status as sent (case varies: `active`, `Active`); compare with [`Customer::has_status`].
    #[serde(deserialize_with = "lenient::opt_string")]
    pub status: Option<String>,
    /// Tags.
    #[serde(deserialize_with = "lenient::string_list")]
    pub tags: Vec<String>,
    /// The partner the customer is attributed to (affiliate programs).
    #[serde(deserialize_with = "lenient::opt_object")]
    pub partner: Option<Partner>,
    /// The customer who referred this one (refer-a-friend programs).
    #[serde(deserialize_with = "lenient::opt_object")]
    pub referring_customer: Option<Box<Customer>>,
    /// The customer's own referral link (refer-a-friend programs).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub referral_link: Option<String>,
    /// All of the customer's referral links (refer-a-friend programs).
    #[serde(deserialize_with = "super::referral_link::list")]
    pub referral_links: Vec<ReferralLink>,
    /// How many customers this one referred (refer-a-friend programs).
    #[serde(deserialize_with = "lenient::opt_u64")]
    pub referrals_count: Option<u64>,
    /// Creation time, ISO-8601 as sent (`2025-05-09T17:42:13.000000Z`).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub created_at: Option<String>,
    /// Last update time, ISO-8601 as sent.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub updated_at: Option<String>,
    /// Fields this version of the client does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Customer {
    /// Compares the status case-insensitively.
    pub fn has_status(&self, status: &str) -> bool {
        self.status
            .as_deref()
            .is_some_and(|s| s.trim().eq_ignore_ascii_case(status))
    }
}

/// Reference to a partner by key, id or e-mail (`partner.key` / `partner.id` / `partner.email`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PartnerRef {
    /// The partner's referral key (the `partnero_partner` cookie value).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub key: Option<String>,
    /// The partner's id.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub id: Option<String>,
    /// The partner's e-mail.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub email: Option<String>,
}

/// Reference to a customer by key or id (`customer.key`, `referring_customer.key`); the
/// referral link endpoints also accept an e-mail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CustomerRef {
    /// The customer's key.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub key: Option<String>,
    /// The customer's id.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub id: Option<String>,
    /// The customer's e-mail (referral link endpoints only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub email: Option<String>,
}

impl CustomerRef {
    /// A reference by key.
    pub fn by_key(key: impl Into<String>) -> Self {
        Self {
            key: Some(key.into()),
            ..Self::default()
        }
    }
}

/// `options` of a customer create.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CustomerOptions {
    /// The URL the visitor landed on with the referral link.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub referral_url: Option<String>,
}

/// The body of `POST /customers`. Only `key` is required.
///
/// `Clone + Serialize + Deserialize`, so a sign-up can be queued and sent later.
///
/// ```
/// use partnero_client::NewCustomer;
///
/// let customer = NewCustomer::new("user-42")
///     .email("ada@example.com")
///     .name("Ada")
///     .partner_key("demo-partner")
///     .referral_url("https://shop.example/?aff=demo-partner");
/// let json = serde_json::to_value(&customer).unwrap();
/// assert_eq!(json["partner"]["key"], "demo-partner");
/// assert_eq!(json["options"]["referral_url"], "https://shop.example/?aff=demo-partner");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NewCustomer {
    /// Unique key: your account id or the e-mail (public in refer-a-friend referral URLs).
    pub key: String,
    /// Private id (refer-a-friend programs).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub id: Option<String>,
    /// E-mail address.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub email: Option<String>,
    /// First name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    /// Last name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub surname: Option<String>,
    /// Tags.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub tags: Vec<String>,
    /// The referring partner (affiliate programs).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub partner: Option<PartnerRef>,
    /// The referring customer (refer-a-friend programs).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub referring_customer: Option<CustomerRef>,
    /// `metadata` (refer-a-friend: `date_of_birth`, ...).
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub metadata: BTreeMap<String, Value>,
    /// `options`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub options: Option<CustomerOptions>,
}

impl NewCustomer {
    /// A customer with this key and nothing else.
    pub fn new(key: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            ..Self::default()
        }
    }

    /// Sets the private id (refer-a-friend).
    #[must_use]
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Sets the e-mail address.
    #[must_use]
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
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

    /// Adds a tag.
    #[must_use]
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }

    /// Attributes the customer to the partner with this referral key (`partner.key`).
    #[must_use]
    pub fn partner_key(mut self, key: impl Into<String>) -> Self {
        self.partner = Some(PartnerRef {
            key: Some(key.into()),
            ..PartnerRef::default()
        });
        self
    }

    /// Attributes the customer to the partner with this id (`partner.id`).
    #[must_use]
    pub fn partner_id(mut self, id: impl Into<String>) -> Self {
        self.partner = Some(PartnerRef {
            id: Some(id.into()),
            ..PartnerRef::default()
        });
        self
    }

    /// Attributes the customer to the partner with this e-mail (`partner.email`).
    #[must_use]
    pub fn partner_email(mut self, email: impl Into<String>) -> Self {
        self.partner = Some(PartnerRef {
            email: Some(email.into()),
            ..PartnerRef::default()
        });
        self
    }

    /// Sets the referring customer by key (`referring_customer.key`, refer-a-friend).
    #[must_use]
    pub fn referring_customer_key(mut self, key: impl Into<String>) -> Self {
        self.referring_customer = Some(CustomerRef::by_key(key));
        self
    }

    /// Sets the referring customer by id (`referring_customer.id`, refer-a-friend).
    #[must_use]
    pub fn referring_customer_id(mut self, id: impl Into<String>) -> Self {
        self.referring_customer = Some(CustomerRef {
            id: Some(id.into()),
            ..CustomerRef::default()
        });
        self
    }

    /// Sets `metadata.date_of_birth` (refer-a-friend).
    #[must_use]
    pub fn date_of_birth(self, date: impl Into<String>) -> Self {
        self.metadata("date_of_birth", Value::String(date.into()))
    }

    /// Sets one `metadata` entry.
    #[must_use]
    pub fn metadata(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.metadata.insert(name.into(), value.into());
        self
    }

    /// Sets `options.referral_url`, the landing URL of the referral visit.
    #[must_use]
    pub fn referral_url(mut self, url: impl Into<String>) -> Self {
        self.options
            .get_or_insert_with(CustomerOptions::default)
            .referral_url = Some(url.into());
        self
    }
}

/// The fields of `PUT /customers/{key}` (sent as `{"update": {...}}`); unset fields are left alone.
///
/// ```
/// use partnero_client::CustomerUpdate;
///
/// let update = CustomerUpdate::new().email("new@example.com");
/// assert_eq!(serde_json::to_string(&update).unwrap(), r#"{"email":"new@example.com"}"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CustomerUpdate {
    /// New key.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub key: Option<String>,
    /// New e-mail.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub email: Option<String>,
    /// New first name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    /// New last name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub surname: Option<String>,
    /// New tags (replaces the list).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tags: Option<Vec<String>>,
}

impl CustomerUpdate {
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

/// Query of `GET /customers:search` and the filtered `GET /customers` (`key`, `email`,
/// `partner.key`, `refer_status`, `page`, `limit`).
///
/// ```
/// use partnero_client::CustomerSearch;
///
/// let search = CustomerSearch::new().email("ada@example.com").limit(50);
/// assert_eq!(search.email.as_deref(), Some("ada@example.com"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CustomerSearch {
    /// Customer key.
    pub key: Option<String>,
    /// Customer e-mail.
    pub email: Option<String>,
    /// Partner referral key (`partner.key`).
    pub partner_key: Option<String>,
    /// Partner e-mail (`partner.email`).
    pub partner_email: Option<String>,
    /// `refer_status`: `referred` or `non_referred` (refer-a-friend lists).
    pub refer_status: Option<String>,
    /// 1-based page.
    pub page: Option<u32>,
    /// Items per page (1..=250).
    pub limit: Option<u32>,
}

impl CustomerSearch {
    /// An empty search.
    pub fn new() -> Self {
        Self::default()
    }

    /// Matches the customer key.
    #[must_use]
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Matches the e-mail.
    #[must_use]
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Matches customers of the partner with this referral key.
    #[must_use]
    pub fn partner_key(mut self, key: impl Into<String>) -> Self {
        self.partner_key = Some(key.into());
        self
    }

    /// Matches customers of the partner with this e-mail.
    #[must_use]
    pub fn partner_email(mut self, email: impl Into<String>) -> Self {
        self.partner_email = Some(email.into());
        self
    }

    /// Matches customers by referral status: `referred` or `non_referred`.
    #[must_use]
    pub fn refer_status(mut self, status: impl Into<String>) -> Self {
        self.refer_status = Some(status.into());
        self
    }

    paging_setters!("1..=250");

    /// The query, or [`Error::InvalidInput`] when `page` is 0 or `limit` is outside 1..=250.
    pub(crate) fn query_pairs(&self) -> Result<Vec<(&'static str, String)>, Error> {
        super::page::query(
            &[
                ("key", &self.key),
                ("email", &self.email),
                ("partner.key", &self.partner_key),
                ("partner.email", &self.partner_email),
                ("refer_status", &self.refer_status),
            ],
            self.page,
            self.limit,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_odd_customers() {
        let c: Customer = serde_json::from_str(
            r#"{"key":"a@b.c","id":17,"status":"Active","tags":["x",{"name":"y"}],
                "partner":{"key":"p1","id":"abc"},"referral_links":[{"url":"https://x"}],
                "referrals_count":"3","brand_new_field":{"x":1},"referring_customer":[]}"#,
        )
        .unwrap();
        assert_eq!(c.id.as_deref(), Some("17"));
        assert!(c.has_status("active"));
        assert_eq!(c.tags, vec!["x", "y"]);
        assert_eq!(c.partner.unwrap().key.as_deref(), Some("p1"));
        assert_eq!(c.referrals_count, Some(3));
        assert!(c.referring_customer.is_none());
        assert!(c.extra.contains_key("brand_new_field"));
    }

    #[test]
    fn new_customer_round_trips() {
        let c = NewCustomer::new("k")
            .referring_customer_key("r")
            .date_of_birth("1990-01-01");
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(
            json,
            r#"{"key":"k","referring_customer":{"key":"r"},"metadata":{"date_of_birth":"1990-01-01"}}"#
        );
        assert_eq!(serde_json::from_str::<NewCustomer>(&json).unwrap(), c);
    }
}
