//! The JSON envelopes around every answer: `{"data": ..., "status": 1}` for success and
//! `{"message": ..., "errors": {...}, "status": 0}` for errors.

use serde::Deserialize;
use serde_json::Value;

use crate::error::FieldErrors;

/// A success envelope. `data` is absent on action endpoints (delete, archive).
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope<T> {
    pub(crate) data: T,
}

/// An error body as far as it could be read.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ErrorBody {
    pub(crate) message: Option<String>,
    pub(crate) errors: FieldErrors,
}

impl ErrorBody {
    /// Reads `{message, errors}` from a JSON body; `None` when the body is not a JSON object.
    pub(crate) fn parse(body: &[u8]) -> Option<Self> {
        let Value::Object(mut map) = serde_json::from_slice::<Value>(body).ok()? else {
            return None;
        };
        let message = match map.remove("message").or_else(|| map.remove("error")) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s),
            _ => None,
        };
        let mut errors = FieldErrors::new();
        if let Some(Value::Object(fields)) = map.remove("errors") {
            for (field, msgs) in fields {
                let msgs = match msgs {
                    Value::Array(items) => items
                        .into_iter()
                        .map(|m| match m {
                            Value::String(s) => s,
                            other => other.to_string(),
                        })
                        .collect(),
                    Value::String(s) => vec![s],
                    other => vec![other.to_string()],
                };
                errors.insert(field, msgs);
            }
        }
        Some(Self { message, errors })
    }
}

/// At most `max` characters of a body, lossily decoded, for error messages.
pub(crate) fn snippet(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    let mut out: String = trimmed.chars().take(max).collect();
    if trimmed.chars().count() > max {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_messages_and_field_maps() {
        let body = br#"{"message":"The given data was invalid.","errors":{"email":["bad"],"key":"taken"},"status":0}"#;
        let e = ErrorBody::parse(body).unwrap();
        assert_eq!(e.message.as_deref(), Some("The given data was invalid."));
        assert_eq!(e.errors["email"], vec!["bad"]);
        assert_eq!(e.errors["key"], vec!["taken"]);
        assert_eq!(ErrorBody::parse(b"<html>Bad Gateway</html>"), None);
        assert_eq!(ErrorBody::parse(b"[]"), None);
    }

    #[test]
    fn snippets_are_bounded() {
        assert_eq!(snippet(b"  short  ", 10), "short");
        assert_eq!(snippet("ééééé".as_bytes(), 3), "ééé…");
    }
}
