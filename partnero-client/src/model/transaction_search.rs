//! [`TransactionSearch`]: the filters of `GET /transactions`.

use serde::{Deserialize, Serialize};

use crate::Error;

/// Query of the filtered `GET /transactions`: the customer, the transaction key, the credited
/// partner, `page` and `limit`. Sent with dotted names (`customer.key`, `partner.key`).
///
/// ```
/// use partnero_client::TransactionSearch;
///
/// let search = TransactionSearch::new().partner_key("demo-partner").limit(50);
/// assert_eq!(search.partner_key.as_deref(), Some("demo-partner"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TransactionSearch {
    /// The customer's key.
    pub customer_key: Option<String>,
    /// The transaction key.
    pub key: Option<String>,
    /// The referral key of the partner credited.
    pub partner_key: Option<String>,
    /// The e-mail of the partner credited.
    pub partner_email: Option<String>,
    /// 1-based page.
    pub page: Option<u32>,
    /// Items per page (1..=250).
    pub limit: Option<u32>,
}

impl TransactionSearch {
    /// No filter yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Transactions of the customer with this key.
    #[must_use]
    pub fn customer_key(mut self, key: impl Into<String>) -> Self {
        self.customer_key = Some(key.into());
        self
    }

    /// Transactions with this key.
    #[must_use]
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Transactions credited to the partner with this referral key.
    #[must_use]
    pub fn partner_key(mut self, key: impl Into<String>) -> Self {
        self.partner_key = Some(key.into());
        self
    }

    /// Transactions credited to the partner with this e-mail.
    #[must_use]
    pub fn partner_email(mut self, email: impl Into<String>) -> Self {
        self.partner_email = Some(email.into());
        self
    }

    paging_setters!("1..=250");

    /// The query, or [`Error::InvalidInput`] when `page` is 0 or `limit` is outside 1..=250.
    pub(crate) fn query_pairs(&self) -> Result<Vec<(&'static str, String)>, Error> {
        super::page::query(
            &[
                ("customer.key", &self.customer_key),
                ("key", &self.key),
                ("partner.key", &self.partner_key),
                ("partner.email", &self.partner_email),
            ],
            self.page,
            self.limit,
        )
    }
}
