//! Transactions: [`Transaction`] and [`Reward`] (responses), [`Sale`] (create).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::customer::Customer;
use super::lenient;
use super::partner::Partner;

/// A transaction (sale, refund, ...) as Partnero returns it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Transaction {
    /// Your transaction key (payment id).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub key: Option<String>,
    /// Partnero's id.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
    /// The amount.
    #[serde(with = "super::money::option")]
    pub amount: Option<Decimal>,
    /// Units of the amount (currency code or points), as sent.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub amount_units: Option<String>,
    /// The action (`sale`, ...).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub action: Option<String>,
    /// Status as sent (case varies).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub status: Option<String>,
    /// Your product id.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub product_id: Option<String>,
    /// Your product type.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub product_type: Option<String>,
    /// The customer, when included.
    #[serde(deserialize_with = "lenient::opt_object")]
    pub customer: Option<Customer>,
    /// The commissions / rewards Partnero computed for this transaction.
    #[serde(deserialize_with = "lenient::list")]
    pub rewards: Vec<Reward>,
    /// Whether the transaction is archived.
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub archived: Option<bool>,
    /// Creation time, ISO-8601 as sent.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub created_at: Option<String>,
    /// Fields this version of the client does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A reward (commission) computed for a transaction.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Reward {
    /// The reward amount (`29.997`).
    #[serde(with = "super::money::option")]
    pub amount: Option<Decimal>,
    /// Units of the amount, as sent.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub amount_units: Option<String>,
    /// Status as sent (case varies).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub status: Option<String>,
    /// The rewarded partner (affiliate programs), when included.
    #[serde(deserialize_with = "lenient::opt_object")]
    pub partner: Option<Partner>,
    /// The rewarded customer (refer-a-friend programs), when included.
    #[serde(deserialize_with = "lenient::opt_object")]
    pub customer: Option<Customer>,
    /// Fields this version of the client does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `options` of a transaction create.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SaleOptions {
    /// Create the customer if Partnero does not know it yet.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub create_customer: Option<bool>,
}

/// A sale (one transaction of `POST /transactions`). Only the amount is required.
///
/// **Always give a sale a [`key`](Sale::key)** (your payment or order id): it makes the create
/// safe to retry. Without a key, a create whose answer was lost is never retried, because a
/// resend would pay the commission twice.
///
/// ```
/// use rust_decimal::Decimal;
/// use partnero_client::Sale;
///
/// let sale = Sale::new(Decimal::new(4999, 2)).key("pay_123").action("sale");
/// assert_eq!(
///     serde_json::to_string(&sale).unwrap(),
///     r#"{"key":"pay_123","amount":49.99,"action":"sale"}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Sale {
    /// Your unique transaction key (payment id). Strongly recommended.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub key: Option<String>,
    /// The amount, sent as a JSON number.
    #[serde(with = "super::money")]
    pub amount: Decimal,
    /// The action (`sale`, ...).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub action: Option<String>,
    /// Units of the amount.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub amount_units: Option<String>,
    /// Your product id.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub product_id: Option<String>,
    /// Your product type.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub product_type: Option<String>,
    /// `options`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub options: Option<SaleOptions>,
}

impl Sale {
    /// A sale of this amount.
    pub fn new(amount: Decimal) -> Self {
        Self {
            key: None,
            amount,
            action: None,
            amount_units: None,
            product_id: None,
            product_type: None,
            options: None,
        }
    }

    /// Sets the transaction key (your payment id). See the type docs for why it matters.
    #[must_use]
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Sets the action (`sale`, ...).
    #[must_use]
    pub fn action(mut self, action: impl Into<String>) -> Self {
        self.action = Some(action.into());
        self
    }

    /// Sets the units of the amount.
    #[must_use]
    pub fn amount_units(mut self, units: impl Into<String>) -> Self {
        self.amount_units = Some(units.into());
        self
    }

    /// Sets the product id.
    #[must_use]
    pub fn product_id(mut self, id: impl Into<String>) -> Self {
        self.product_id = Some(id.into());
        self
    }

    /// Sets the product type.
    #[must_use]
    pub fn product_type(mut self, kind: impl Into<String>) -> Self {
        self.product_type = Some(kind.into());
        self
    }

    /// Sets `options.create_customer`.
    ///
    /// With [`Transactions::create`](crate::Transactions::create) the customer is created from
    /// its key alone (no e-mail, no name, no partner: it earns nobody a commission). To create
    /// it whole, attribution included, use
    /// [`Transactions::create_with_customer`](crate::Transactions::create_with_customer) or
    /// [`Partnero::purchase`](crate::Partnero::purchase).
    #[must_use]
    pub fn create_customer(mut self, create: bool) -> Self {
        self.options
            .get_or_insert_with(SaleOptions::default)
            .create_customer = Some(create);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn decodes_rewards_with_exact_amounts() {
        let t: Transaction = serde_json::from_str(
            r#"{"key":"tx1","amount":99.99,"status":"Completed",
                "rewards":[{"amount":29.997,"status":"pending","partner":{"key":"p"}}],"foo":1}"#,
        )
        .unwrap();
        assert_eq!(t.amount, Some(Decimal::from_str("99.99").unwrap()));
        assert_eq!(
            t.rewards[0].amount.unwrap().to_string(),
            "29.997",
            "commission must be exact"
        );
    }

    #[test]
    fn sale_round_trips() {
        let s = Sale::new(Decimal::new(100, 0))
            .key("k")
            .create_customer(true);
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(
            json,
            r#"{"key":"k","amount":100.0,"options":{"create_customer":true}}"#
        );
        assert_eq!(serde_json::from_str::<Sale>(&json).unwrap(), s);
    }
}
