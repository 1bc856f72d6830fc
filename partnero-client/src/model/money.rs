//! Money amounts: [`rust_decimal::Decimal`] in Rust, a JSON **number** on the wire.
//!
//! Partnero wants `amount` as a JSON number and answers with numbers such as `29.997`.
//! Without serde_json's `arbitrary_precision` feature a JSON number passes through `f64`, so
//! amounts are serialised via `f64`: exact for values with at most 15 significant digits
//! (every realistic price or commission). Deserialisation is exact for the same range: the
//! `f64` is read back through its shortest decimal representation (`29.997` stays `29.997`,
//! never `29.996999999999999886`), and numeric strings (`"29.997"`) are accepted too.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};

/// Serialises a decimal as a JSON number.
pub(crate) fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    match value.to_f64() {
        Some(f) if f.is_finite() => serializer.serialize_f64(f),
        _ => Err(serde::ser::Error::custom(format!(
            "amount {value} cannot be represented as a JSON number"
        ))),
    }
}

/// Deserialises a decimal from a JSON number or a numeric string.
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    deserializer.deserialize_any(DecimalVisitor)
}

/// `Option<Decimal>`: `null` and a missing field are `None`.
pub(crate) mod option {
    use super::*;

    /// Serialises `Some` as a JSON number and `None` as `null`.
    pub(crate) fn serialize<S: Serializer>(
        value: &Option<Decimal>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => super::serialize(v, serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Accepts a number, a numeric string, `null`, or an empty string (as `None`).
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Decimal>, D::Error> {
        deserializer.deserialize_any(OptionVisitor)
    }

    struct OptionVisitor;

    impl<'de> Visitor<'de> for OptionVisitor {
        type Value = Option<Decimal>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a decimal number, a numeric string or null")
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            if v.trim().is_empty() {
                return Ok(None);
            }
            DecimalVisitor.visit_str(v).map(Some)
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            DecimalVisitor.visit_f64(v).map(Some)
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(Decimal::from(v)))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(Decimal::from(v)))
        }
    }
}

struct DecimalVisitor;

impl<'de> Visitor<'de> for DecimalVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal number or a numeric string")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
        if !v.is_finite() {
            return Err(E::custom("amount is not a finite number"));
        }
        // `f64`'s Display is its shortest round-trip representation, without exponent.
        parse_decimal(&v.to_string())
            .ok_or_else(|| E::custom(format!("amount {v} is out of the decimal range")))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
        parse_decimal(v.trim()).ok_or_else(|| E::custom(format!("{v:?} is not a decimal amount")))
    }
}

fn parse_decimal(s: &str) -> Option<Decimal> {
    Decimal::from_str(s)
        .or_else(|_| Decimal::from_scientific(s))
        .ok()
        .map(|d| d.normalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Amount {
        #[serde(with = "super")]
        amount: Decimal,
        #[serde(with = "super::option", default)]
        maybe: Option<Decimal>,
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn commission_round_trips_exactly() {
        let a = Amount {
            amount: dec("29.997"),
            maybe: Some(dec("0.1")),
        };
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, r#"{"amount":29.997,"maybe":0.1}"#);
        let back: Amount = serde_json::from_str(&json).unwrap();
        assert_eq!(back, a);
        assert_eq!(back.amount.to_string(), "29.997");
    }

    #[test]
    fn accepts_strings_integers_and_null() {
        let a: Amount = serde_json::from_str(r#"{"amount":"12.50","maybe":null}"#).unwrap();
        assert_eq!(a.amount, dec("12.5"));
        assert_eq!(a.maybe, None);
        let a: Amount = serde_json::from_str(r#"{"amount":100}"#).unwrap();
        assert_eq!(a.amount, dec("100"));
        let a: Amount = serde_json::from_str(r#"{"amount":1e2,"maybe":""}"#).unwrap();
        assert_eq!(a.amount, dec("100"));
        assert_eq!(a.maybe, None);
        assert!(serde_json::from_str::<Amount>(r#"{"amount":"abc"}"#).is_err());
        assert!(serde_json::from_str::<Amount>(r#"{"amount":true}"#).is_err());
    }

    #[test]
    fn fifteen_digit_amounts_are_exact() {
        for s in ["0.001", "1234567890.12345", "99999.999", "-15.5", "0"] {
            let a = Amount {
                amount: dec(s),
                maybe: None,
            };
            let back: Amount = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
            assert_eq!(back.amount, dec(s).normalize(), "{s}");
        }
    }
}
