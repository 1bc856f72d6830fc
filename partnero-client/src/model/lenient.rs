//! Tolerant field decoders: Partnero sends ids as numbers or strings, flags as `1`/`true`,
//! counters as numbers or strings, tags as strings or objects. A field that cannot be read
//! decodes as empty instead of failing the whole response.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A string, or a number rendered as a string; anything else is `None`.
pub(crate) fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// A non-negative integer given as a number or a numeric string; anything else is `None`.
pub(crate) fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| *f >= 0.0 && f.fract() == 0.0)
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// `true`/`false`, `1`/`0`, `"true"`/`"1"`/`"yes"`; anything else is `None`.
pub(crate) fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => Some(b),
        Value::Number(n) => n.as_i64().map(|i| i != 0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    })
}

/// A list of strings; objects contribute their `name`/`key`/`value` field, other items are skipped.
pub(crate) fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let items = match Value::deserialize(d)? {
        Value::Array(items) => items,
        Value::String(s) => return Ok(vec![s]),
        _ => return Ok(Vec::new()),
    };
    Ok(items
        .into_iter()
        .filter_map(|item| match item {
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            Value::Object(mut map) => {
                ["name", "key", "value"]
                    .iter()
                    .find_map(|k| match map.remove(*k) {
                        Some(Value::String(s)) => Some(s),
                        _ => None,
                    })
            }
            _ => None,
        })
        .collect())
}

/// A list of `T`; `null` or a non-list is empty, items that do not decode are skipped.
pub(crate) fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|item| serde_json::from_value(item).ok())
            .collect(),
        _ => Vec::new(),
    })
}

/// An optional nested object; `null`, `[]` (PHP's empty object) or a value that does not decode
/// is `None`.
pub(crate) fn opt_object<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    Ok(match Value::deserialize(d)? {
        v @ Value::Object(_) => serde_json::from_value(v).ok(),
        _ => None,
    })
}

/// A nested object that falls back to its default when missing, `null` or malformed.
pub(crate) fn opt_object_or_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned + Default,
{
    Ok(opt_object(d)?.unwrap_or_default())
}
