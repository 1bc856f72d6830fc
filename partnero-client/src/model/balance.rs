//! Refer-a-friend balances: [`Balance`], [`BalanceEntry`] (responses), [`BalanceCredit`].

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::lenient;

/// A customer's reward balance (`GET /customers/{key}/balance`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Balance {
    /// One entry per currency or reward unit.
    #[serde(deserialize_with = "lenient::list")]
    pub currency: Vec<BalanceEntry>,
    /// Fields this version of the client does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One line of a [`Balance`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct BalanceEntry {
    /// The amount.
    #[serde(with = "super::money::option")]
    pub amount: Option<Decimal>,
    /// Units (currency code or reward unit).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub amount_units: Option<String>,
    /// True when the units are a currency.
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub is_currency: Option<bool>,
    /// Fields this version of the client does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The body of `POST /customers/{key}/balance/credit`: a manual reward.
///
/// ```
/// use rust_decimal::Decimal;
/// use partnero_client::BalanceCredit;
///
/// let credit = BalanceCredit::new(Decimal::new(5, 0)).amount_units("usd").is_currency(true);
/// assert_eq!(
///     serde_json::to_string(&credit).unwrap(),
///     r#"{"amount":5.0,"amount_units":"usd","is_currency":true}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BalanceCredit {
    /// The amount, sent as a JSON number.
    #[serde(with = "super::money")]
    pub amount: Decimal,
    /// Units.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub amount_units: Option<String>,
    /// True when the units are a currency.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub is_currency: Option<bool>,
}

impl BalanceCredit {
    /// A credit of this amount.
    pub fn new(amount: Decimal) -> Self {
        Self {
            amount,
            amount_units: None,
            is_currency: None,
        }
    }

    /// Sets the units.
    #[must_use]
    pub fn amount_units(mut self, units: impl Into<String>) -> Self {
        self.amount_units = Some(units.into());
        self
    }

    /// Sets whether the units are a currency.
    #[must_use]
    pub fn is_currency(mut self, is_currency: bool) -> Self {
        self.is_currency = Some(is_currency);
        self
    }
}

/// Unwraps `{"balance": {...}}` when the answer nests the balance.
pub(crate) fn unnest(data: Value) -> Value {
    match data {
        Value::Object(mut map) if map.contains_key("balance") && !map.contains_key("currency") => {
            map.remove("balance").unwrap_or(Value::Null)
        }
        other => other,
    }
}
