//! [`CustomerInvite`]: the body of `POST /customers:invite`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::customer::NewCustomer;

/// A customer to invite (Partnero e-mails the invitation): the customer's fields, with an
/// e-mail, plus `personalization` values for the invitation's template.
///
/// ```
/// use partnero_client::{CustomerInvite, NewCustomer};
///
/// let invite = CustomerInvite::new(NewCustomer::new("ada").email("ada@example.com"))
///     .personalization("first_name", "Ada");
/// assert_eq!(
///     serde_json::to_string(&invite).unwrap(),
///     r#"{"key":"ada","email":"ada@example.com","personalization":{"first_name":"Ada"}}"#
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CustomerInvite {
    /// The customer (its `email` is where the invitation goes).
    #[serde(flatten)]
    pub customer: NewCustomer,
    /// Values for the invitation's template.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub personalization: BTreeMap<String, String>,
}

impl CustomerInvite {
    /// An invitation of `customer`.
    pub fn new(customer: NewCustomer) -> Self {
        Self {
            customer,
            personalization: BTreeMap::new(),
        }
    }

    /// Sets one personalization value.
    #[must_use]
    pub fn personalization(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.personalization.insert(name.into(), value.into());
        self
    }
}
