//! [`Error`]: everything that can go wrong when talking to Partnero.
//!
//! One `#[non_exhaustive]` enum for the whole client. The `Display` text says what happened
//! and what to do about it; no message ever contains the API key (the key travels in a
//! sensitive `Authorization` header, never in a URL, and is never formatted).
//!
//! A variant that wraps another error ([`Error::Connect`], [`Error::Transport`]) returns it from
//! [`source()`](std::error::Error::source) and does not repeat it in its own text, so a
//! reporter that walks the chain (`anyhow`'s `{:#}`, `tracing-error`, ...) prints it once.

use std::collections::BTreeMap;
use std::time::Duration;

/// Field name -> validation messages, as sent by Partnero on a 422.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// An error from the Partnero client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 401: the API key was rejected.
    #[error(
        "Partnero rejected the API key (401 Unauthorized): check PARTNERO_API_KEY and that the key belongs to this program"
    )]
    Unauthorized,

    /// 404: the resource does not exist.
    #[error("Partnero has no such resource (404 Not Found): {message}")]
    NotFound {
        /// The server's message (or a short description when it sent none).
        message: String,
    },

    /// 409, or 422 "Duplicate key": a resource with this key already exists.
    #[error("Partnero already has a resource with this key ({status}): {message}")]
    Duplicate {
        /// 409 or 422.
        status: u16,
        /// The server's message.
        message: String,
    },

    /// 422: the request was invalid. `errors` maps field names to messages.
    #[error(
        "Partnero rejected the request as invalid (422): {message}{}",
        render_fields(errors)
    )]
    Validation {
        /// The server's summary message.
        message: String,
        /// Field name -> messages.
        errors: FieldErrors,
    },

    /// 400 "Invalid partner key": the partner key sent with a customer is not known to the program.
    #[error(
        "Partnero does not know this partner key (400 Invalid partner key): the visitor's referral key is stale or belongs to another program"
    )]
    InvalidPartnerKey,

    /// 429: too many requests. `retry_after` is the server's `Retry-After`, when it sent one.
    #[error("Partnero is rate limiting this API key (429){}", render_retry_after(*retry_after))]
    RateLimited {
        /// How long the server asked us to wait.
        retry_after: Option<Duration>,
    },

    /// Any other non-success status.
    #[error("Partnero answered {status}: {message}{}", render_fields(errors))]
    Api {
        /// The HTTP status code.
        status: u16,
        /// The server's message, or a truncated snippet of a non-JSON body.
        message: String,
        /// Field errors, when the body carried any.
        errors: FieldErrors,
        /// The server's `Retry-After`, when it sent one (usually with a 503).
        retry_after: Option<Duration>,
    },

    /// The connection could not be established: the request surely never reached the server.
    #[error("could not connect to Partnero (check the base URL, DNS and network)")]
    Connect(#[source] reqwest::Error),

    /// The connection failed after the request may have been sent (reset, closed mid-response).
    #[error("the connection to Partnero failed during the request")]
    Transport(#[source] reqwest::Error),

    /// The request timed out (the server may or may not have processed it).
    #[error(
        "the request to Partnero timed out (raise the timeout with PartneroBuilder::timeout if this persists)"
    )]
    Timeout,

    /// A tracking helper's time budget ([`RetryPolicy::max_elapsed`](crate::RetryPolicy::max_elapsed),
    /// shared by every request it makes) had less than
    /// [`RetryPolicy::MIN_ATTEMPT`](crate::RetryPolicy::MIN_ATTEMPT) left when this request
    /// was due, so it was not sent: the visitor never waits past the budget. Nothing reached
    /// Partnero ([`is_connect`](Self::is_connect) is true): sending again is safe.
    #[error(
        "the call's time budget was spent before this request could be sent (nothing was sent; RetryPolicy::max_elapsed sets the budget)"
    )]
    BudgetSpent,

    /// A transaction create timed out (the client gave up while the request may still have
    /// been in flight) and, after the confirm delay, `GET /transactions/{key}` did not find the
    /// transaction (or could not be answered). Nothing was resent.
    ///
    /// The sale is **unconfirmed**: Partnero may still record it (a slow first request can
    /// finish after the check). Do not resend it blindly: reconcile later with
    /// [`Transactions::get`](crate::Transactions::get) on each key, and send the sale again
    /// only when that answers [`Error::NotFound`].
    #[error(
        "the transaction create timed out and {keys:?} was not found afterwards: the sale is UNCONFIRMED (Partnero may still record it); reconcile later with transactions().get(key) and resend only if it is absent"
    )]
    Unconfirmed {
        /// The transaction keys whose fate is unknown (one for a single create; for a batch,
        /// the keys that were not found, the others were confirmed).
        keys: Vec<String>,
    },

    /// A success response whose body could not be decoded.
    #[error(
        "could not decode Partnero's {status} response: {reason} (body starts with: {snippet:?})"
    )]
    Decode {
        /// The HTTP status code.
        status: u16,
        /// What went wrong.
        reason: String,
        /// The first bytes of the body.
        snippet: String,
    },

    /// An argument was rejected before any request was sent.
    #[error("invalid input: {0}")]
    InvalidInput(String),

    /// A `links.next` URL pointed away from the configured base URL; pagination stopped and the
    /// API key was not sent there.
    #[error(
        "pagination stopped: links.next points to another origin ({origin}), the API key is not sent there"
    )]
    ForeignNextLink {
        /// The foreign origin (scheme, host and port only).
        origin: String,
    },

    /// A list's `links.next` led back to a page the stream had already read (or the stream
    /// passed its page limit): the stream stopped instead of looping forever.
    #[error(
        "pagination stopped after {pages} pages: links.next leads back to a page already read, or past the page limit (the server's pagination is inconsistent)"
    )]
    PaginationLoop {
        /// Pages read before stopping.
        pages: u64,
    },

    /// The client configuration is invalid (base URL, environment variables, HTTP client).
    #[error("invalid Partnero client configuration: {0}")]
    Config(String),
}

impl Error {
    /// The HTTP status code, when the error came from a response.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Unauthorized => Some(401),
            Error::NotFound { .. } => Some(404),
            Error::Duplicate { status, .. } => Some(*status),
            Error::Validation { .. } => Some(422),
            Error::InvalidPartnerKey => Some(400),
            Error::RateLimited { .. } => Some(429),
            Error::Api { status, .. } | Error::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True when the request surely never reached the server (connection refused, DNS failure,
    /// or not sent at all: [`Error::BudgetSpent`]).
    pub fn is_connect(&self) -> bool {
        matches!(self, Error::Connect(_) | Error::BudgetSpent)
    }

    /// True for 404.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }

    /// True for 409 / 422 "Duplicate key".
    pub fn is_duplicate(&self) -> bool {
        matches!(self, Error::Duplicate { .. })
    }

    /// The server's `Retry-After`, for a 429 or another answer (usually a 503) that carried one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after } | Error::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// True when the server may have processed the request although no success was seen:
    /// timeouts, connections dropped after sending, 5xx answers, and unconfirmed sales.
    pub fn is_ambiguous(&self) -> bool {
        match self {
            Error::Timeout | Error::Transport(_) | Error::Unconfirmed { .. } => true,
            Error::Api { status, .. } | Error::Decode { status, .. } => *status >= 500,
            _ => false,
        }
    }

    /// True when an idempotent request that failed this way is worth repeating:
    /// 429, 500/502/503/504, timeouts, transport failures and a spent budget.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::RateLimited { .. }
            | Error::Timeout
            | Error::Transport(_)
            | Error::Connect(_)
            | Error::BudgetSpent => true,
            Error::Api { status, .. } => matches!(status, 500 | 502 | 503 | 504),
            _ => false,
        }
    }

    /// True for 422 "The selected customer does not exist" (an error on `customer` or
    /// `customer.*` saying it does not exist): a sale of a customer Partnero never stored. In an
    /// affiliate program that is a visitor nobody referred, whose sales Partnero ignores.
    pub fn is_unknown_customer(&self) -> bool {
        self.field_errors().is_some_and(|errors| {
            errors.iter().any(|(field, messages)| {
                (field == "customer" || field.starts_with("customer."))
                    && messages
                        .iter()
                        .any(|m| m.to_ascii_lowercase().contains("not exist"))
            })
        })
    }

    /// Field errors of a 422 or other API error (empty otherwise).
    pub fn field_errors(&self) -> Option<&FieldErrors> {
        match self {
            Error::Validation { errors, .. } | Error::Api { errors, .. } => Some(errors),
            _ => None,
        }
    }
}

fn render_fields(errors: &FieldErrors) -> String {
    if errors.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = errors
        .iter()
        .map(|(field, msgs)| format!("{field}: {}", msgs.join("; ")))
        .collect();
    format!(" [{}]", parts.join(", "))
}

fn render_retry_after(retry_after: Option<Duration>) -> String {
    match retry_after {
        Some(d) => format!(": retry after {}s", d.as_secs_f64()),
        None => ": slow down and retry later".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_message_lists_fields() {
        let mut errors = FieldErrors::new();
        errors.insert("email".into(), vec!["The email must be valid.".into()]);
        let e = Error::Validation {
            message: "The given data was invalid.".into(),
            errors,
        };
        assert_eq!(
            e.to_string(),
            "Partnero rejected the request as invalid (422): The given data was invalid. [email: The email must be valid.]"
        );
    }

    #[test]
    fn classification() {
        assert!(Error::Timeout.is_ambiguous());
        assert!(!Error::Unauthorized.is_transient());
        let e = Error::Api {
            status: 502,
            message: "Bad Gateway".into(),
            errors: FieldErrors::new(),
            retry_after: None,
        };
        assert!(e.is_transient() && e.is_ambiguous());
        assert_eq!(
            Error::RateLimited {
                retry_after: Some(Duration::from_secs(2))
            }
            .retry_after(),
            Some(Duration::from_secs(2))
        );
    }
}
