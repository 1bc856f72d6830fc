//! Leads (affiliate programs): [`Lead`] (response), [`NewLead`] (create),
//! [`LeadConversion`] (convert).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::customer::PartnerRef;
use super::lenient;
use super::partner::Partner;

/// A lead (a prospect a partner brought) as Partnero returns it. Lead ids are integers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Lead {
    /// The lead's id (used in `/leads/{id}` paths and by convert / reject).
    #[serde(deserialize_with = "lenient::opt_u64")]
    pub id: Option<u64>,
    /// Name.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    /// E-mail.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub email: Option<String>,
    /// Status as sent (`pending`, `converted`, `rejected`; case varies).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub status: Option<String>,
    /// The partner who submitted it.
    #[serde(deserialize_with = "lenient::opt_object")]
    pub partner: Option<Partner>,
    /// Commission paid on conversion, when included.
    #[serde(with = "super::money::option")]
    pub commission: Option<Decimal>,
    /// Creation time, ISO-8601 as sent.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub created_at: Option<String>,
    /// Fields this version of the client does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Lead {
    /// Compares the status case-insensitively.
    pub fn has_status(&self, status: &str) -> bool {
        self.status
            .as_deref()
            .is_some_and(|s| s.trim().eq_ignore_ascii_case(status))
    }
}

/// The body of `POST /leads`: the partner (required) and the prospect's name and e-mail.
///
/// ```
/// use partnero_client::NewLead;
///
/// let lead = NewLead::for_partner_key("demo-partner").name("Ada").email("ada@example.com");
/// assert_eq!(
///     serde_json::to_string(&lead).unwrap(),
///     r#"{"partner":{"key":"demo-partner"},"name":"Ada","email":"ada@example.com"}"#
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NewLead {
    /// The partner, by key, id or e-mail.
    pub partner: PartnerRef,
    /// The prospect's name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    /// The prospect's e-mail.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub email: Option<String>,
}

impl NewLead {
    /// A lead of the partner `partner`.
    pub fn new(partner: PartnerRef) -> Self {
        Self {
            partner,
            name: None,
            email: None,
        }
    }

    /// A lead of the partner with this referral key.
    pub fn for_partner_key(key: impl Into<String>) -> Self {
        Self::new(PartnerRef {
            key: Some(key.into()),
            ..PartnerRef::default()
        })
    }

    /// A lead of the partner with this id.
    pub fn for_partner_id(id: impl Into<String>) -> Self {
        Self::new(PartnerRef {
            id: Some(id.into()),
            ..PartnerRef::default()
        })
    }

    /// A lead of the partner with this e-mail.
    pub fn for_partner_email(email: impl Into<String>) -> Self {
        Self::new(PartnerRef {
            email: Some(email.into()),
            ..PartnerRef::default()
        })
    }

    /// Sets the prospect's name.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the prospect's e-mail.
    #[must_use]
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }
}

/// The body of `POST /leads/convert`: the lead and, optionally, the amount of the sale it became
/// (Partnero pays the partner its commission on it).
///
/// ```
/// use rust_decimal::Decimal;
/// use partnero_client::LeadConversion;
///
/// let conversion = LeadConversion::new(7).commission_transaction_amount(Decimal::new(120, 0));
/// assert_eq!(
///     serde_json::to_string(&conversion).unwrap(),
///     r#"{"id":7,"commission_transaction_amount":120.0}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LeadConversion {
    /// The lead's id.
    pub id: u64,
    /// The amount of the sale the lead became, a JSON number.
    #[serde(
        with = "super::money::option",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub commission_transaction_amount: Option<Decimal>,
}

impl LeadConversion {
    /// Converts the lead `id` without a sale amount.
    pub fn new(id: u64) -> Self {
        Self {
            id,
            commission_transaction_amount: None,
        }
    }

    /// Sets the amount of the sale the lead became.
    #[must_use]
    pub fn commission_transaction_amount(mut self, amount: Decimal) -> Self {
        self.commission_transaction_amount = Some(amount);
        self
    }
}
