//! Money: decimals inside, JSON numbers on the wire.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Number, Value};

/// A decimal as a JSON number: an integer when it is whole, else the nearest
/// `f64` (money here has far fewer than 15 significant digits).
pub(crate) fn to_json(d: Decimal) -> Value {
    let d = d.normalize();
    if d.scale() == 0 {
        if let Some(i) = d.to_i64() {
            return Value::Number(Number::from(i));
        }
    }
    d.to_f64()
        .and_then(Number::from_f64)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// Serde helper: serialise a [`Decimal`] as a JSON number (see [`to_json`]).
pub(crate) fn serialize<S: serde::Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&to_json(*d), s)
}

/// A JSON number as a decimal; `None` for numbers a decimal cannot hold.
pub(crate) fn from_number(n: &Number) -> Option<Decimal> {
    if let Some(i) = n.as_i64() {
        return Some(Decimal::from(i));
    }
    if let Some(u) = n.as_u64() {
        return Some(Decimal::from(u));
    }
    let text = n.to_string();
    text.parse::<Decimal>()
        .ok()
        .or_else(|| Decimal::from_scientific(&text).ok())
}

/// `amount * percent / 100`, rounded half away from zero to 3 decimals.
pub(crate) fn commission(amount: Decimal, percent: Decimal) -> Decimal {
    amount
        .checked_mul(percent)
        .and_then(|x| x.checked_div(Decimal::from(100)))
        .unwrap_or_default()
        .round_dp_with_strategy(3, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commission_rounds_to_three_decimals() {
        let amount: Decimal = "99.99".parse().unwrap_or_default();
        assert_eq!(commission(amount, Decimal::from(30)).to_string(), "29.997");
        assert_eq!(commission(amount, Decimal::from(20)).to_string(), "19.998");
        let odd: Decimal = "0.0125".parse().unwrap_or_default();
        assert_eq!(commission(odd, Decimal::from(100)).to_string(), "0.013");
    }

    #[test]
    fn numbers_round_trip() {
        let n: Number = serde_json::from_str("99.99").unwrap_or_else(|_| Number::from(0));
        let d = from_number(&n).unwrap_or_default();
        assert_eq!(d.to_string(), "99.99");
        assert_eq!(to_json(d).to_string(), "99.99");
        assert_eq!(to_json(Decimal::new(2000, 2)).to_string(), "20");
        assert_eq!(to_json(Decimal::new(-5, 1)).to_string(), "-0.5");
        let e: Number = serde_json::from_str("1e2").unwrap_or_else(|_| Number::from(0));
        assert_eq!(from_number(&e).unwrap_or_default(), Decimal::from(100));
    }
}
