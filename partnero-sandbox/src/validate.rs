//! Hand-written validation of JSON bodies, producing Laravel-style field errors.

use rust_decimal::Decimal;

/// The largest money amount, either sign, one request may carry: a trillion units.
pub(crate) const MAX_AMOUNT: Decimal = Decimal::from_parts(0xD4A5_1000, 0xE8, 0, false, 0);
use serde_json::{Map, Value};

use crate::envelope::{ApiError, FieldErrors};
use crate::money;

/// The longest string accepted in any field.
pub(crate) const MAX_STRING: usize = 255;

/// Reads fields of one JSON object, collecting errors under dotted names.
pub(crate) struct Validator<'a> {
    root: &'a Map<String, Value>,
    prefix: String,
    errors: FieldErrors,
}

impl<'a> Validator<'a> {
    /// Validates `body`, which must be a JSON object.
    pub(crate) fn new(body: &'a Value) -> Result<Self, ApiError> {
        match body {
            Value::Object(map) => Ok(Self::nested(map, "")),
            _ => Err(ApiError::field(
                "The given data was invalid.",
                "body",
                "The request body must be a JSON object.",
            )),
        }
    }

    /// Validates an object found inside another body; errors are named `prefix` + field.
    pub(crate) fn nested(map: &'a Map<String, Value>, prefix: &str) -> Self {
        Validator {
            root: map,
            prefix: prefix.to_owned(),
            errors: FieldErrors::new(),
        }
    }

    fn name(&self, path: &str) -> String {
        format!("{}{}", self.prefix, path)
    }

    /// The value at a dotted path; `null` and blank strings read as absent
    /// (as Laravel's `TrimStrings` + `ConvertEmptyStringsToNull` make them).
    pub(crate) fn get(&self, path: &str) -> Option<&'a Value> {
        let mut parts = path.split('.');
        let first = parts.next()?;
        let mut current = self.root.get(first)?;
        for part in parts {
            current = current.as_object()?.get(part)?;
        }
        match current {
            Value::Null => None,
            Value::String(s) if s.trim().is_empty() => None,
            _ => Some(current),
        }
    }

    /// Whether the path is present and not null.
    pub(crate) fn present(&self, path: &str) -> bool {
        self.get(path).is_some()
    }

    /// Records an error for a field.
    pub(crate) fn error(&mut self, path: &str, message: impl Into<String>) {
        let name = self.name(path);
        self.errors.entry(name).or_default().push(message.into());
    }

    /// A string field (max 255 characters). Numbers are not coerced.
    pub(crate) fn string(&mut self, path: &str, required: bool) -> Option<String> {
        match self.get(path) {
            None => {
                if required {
                    let name = self.name(path);
                    self.error(path, format!("The {name} field is required."));
                }
                None
            }
            Some(Value::String(s)) => {
                let name = self.name(path);
                if required && s.trim().is_empty() {
                    self.error(path, format!("The {name} field is required."));
                    None
                } else if s.chars().count() > MAX_STRING {
                    self.error(
                        path,
                        format!("The {name} may not be greater than {MAX_STRING} characters."),
                    );
                    None
                } else {
                    Some(s.clone())
                }
            }
            Some(_) => {
                let name = self.name(path);
                self.error(path, format!("The {name} must be a string."));
                None
            }
        }
    }

    /// An optional e-mail field (must contain `@`).
    pub(crate) fn email(&mut self, path: &str, required: bool) -> Option<String> {
        let email = self.string(path, required)?;
        let valid = email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
            && !email.chars().any(char::is_whitespace);
        if valid {
            Some(email)
        } else {
            let name = self.name(path);
            self.error(path, format!("The {name} must be a valid email address."));
            None
        }
    }

    /// A money amount: a [`number`](Self::number) whose size is at most [`MAX_AMOUNT`], so
    /// that balances and commissions summed over any number of requests stay far inside what a
    /// decimal holds (a larger amount is a 422, never an overflow).
    pub(crate) fn money(&mut self, path: &str, required: bool) -> Option<Decimal> {
        let amount = self.number(path, required)?;
        if amount.abs() > MAX_AMOUNT {
            let name = self.name(path);
            self.error(
                path,
                format!("The {name} may not be greater than {MAX_AMOUNT} in size."),
            );
            return None;
        }
        Some(amount)
    }

    /// A number field (JSON number only; numeric strings are rejected).
    pub(crate) fn number(&mut self, path: &str, required: bool) -> Option<Decimal> {
        let name = self.name(path);
        match self.get(path) {
            None => {
                if required {
                    self.error(path, format!("The {name} field is required."));
                }
                None
            }
            Some(Value::Number(n)) => match money::from_number(n) {
                Some(d) => Some(d),
                None => {
                    self.error(path, format!("The {name} is out of range."));
                    None
                }
            },
            Some(_) => {
                self.error(path, format!("The {name} must be a number."));
                None
            }
        }
    }

    /// A boolean field.
    pub(crate) fn boolean(&mut self, path: &str, required: bool) -> Option<bool> {
        let name = self.name(path);
        match self.get(path) {
            None => {
                if required {
                    self.error(path, format!("The {name} field is required."));
                }
                None
            }
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                self.error(path, format!("The {name} field must be true or false."));
                None
            }
        }
    }

    /// An optional array of strings.
    pub(crate) fn string_list(&mut self, path: &str, required: bool) -> Option<Vec<String>> {
        let name = self.name(path);
        match self.get(path) {
            None => {
                if required {
                    self.error(path, format!("The {name} field is required."));
                }
                None
            }
            Some(Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) if s.chars().count() <= MAX_STRING => out.push(s.clone()),
                        _ => self.error(
                            &format!("{path}.{i}"),
                            format!("The {name}.{i} must be a string."),
                        ),
                    }
                }
                if required && out.is_empty() && items.is_empty() {
                    self.error(path, format!("The {name} field is required."));
                }
                Some(out)
            }
            Some(_) => {
                self.error(path, format!("The {name} must be an array."));
                None
            }
        }
    }

    /// An optional object field.
    pub(crate) fn object(&mut self, path: &str, required: bool) -> Option<&'a Map<String, Value>> {
        let name = self.name(path);
        match self.get(path) {
            None => {
                if required {
                    self.error(path, format!("The {name} field is required."));
                }
                None
            }
            Some(Value::Object(map)) => Some(map),
            Some(_) => {
                self.error(path, format!("The {name} must be an object."));
                None
            }
        }
    }

    /// Takes over the errors of a nested validator.
    pub(crate) fn absorb(&mut self, other: Validator<'_>) {
        for (field, messages) in other.errors {
            self.errors.entry(field).or_default().extend(messages);
        }
    }

    /// Whether no error was recorded so far.
    pub(crate) fn is_clean(&self) -> bool {
        self.errors.is_empty()
    }

    /// `Err(422)` if any error was recorded.
    pub(crate) fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_amount_is_a_trillion() {
        assert_eq!(MAX_AMOUNT, Decimal::from(1_000_000_000_000_i64));
    }
}
