//! Sending one request: headers, timeout, tracing span, status classification, decoding, and
//! the retry loop shared by all endpoints.

use std::time::{Duration, SystemTime};

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, RETRY_AFTER, USER_AGENT};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;
use url::Url;

use super::Partnero;
use super::budget::Budget;
use super::endpoint::Endpoint;
use super::retry::parse_retry_after;
use crate::Error;
use crate::error::FieldErrors;
use crate::model::envelope::{Envelope, ErrorBody, snippet};

/// Longest body excerpt quoted in an error.
const SNIPPET_CHARS: usize = 200;

/// The most of a response body the client reads (8 MiB). A full page of 250 items is far
/// smaller; a larger body comes from a wrong base URL or a misbehaving proxy, and is not
/// buffered whole: an error answer is classified from its first bytes, and a success answer
/// fails to decode with [`Error::Decode`] saying so.
pub(crate) const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// The longest server message kept in an [`Error`] (characters).
const MESSAGE_CHARS: usize = 1000;

/// One request, ready to be sent (and re-sent).
#[derive(Debug, Clone)]
pub(crate) struct Call {
    /// Method and path template (`/customers/{key}`, for logs and spans).
    pub(crate) endpoint: Endpoint,
    pub(crate) url: Url,
    pub(crate) body: Option<Vec<u8>>,
}

/// Which failures a request may be repeated after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryRule {
    /// GET/PUT/DELETE (and `POST /customers`): 429, 5xx, timeouts, transport errors.
    Idempotent,
    /// Other POSTs: only when the request surely never left (connection not established).
    ConnectOnly,
}

/// A 2xx answer.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: u16,
    /// The body, or its first [`MAX_RESPONSE_BYTES`] when `oversized`.
    body: Vec<u8>,
    /// The body was longer than [`MAX_RESPONSE_BYTES`]: it cannot be decoded.
    oversized: bool,
}

/// A failed attempt, with the server's `Retry-After` when it sent one (429, 503).
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) error: Error,
    pub(crate) retry_after: Option<Duration>,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Self {
            error,
            retry_after: None,
        }
    }
}

/// The end of a retry loop: the result, and whether an earlier attempt failed ambiguously
/// (the server may have processed it).
#[derive(Debug)]
pub(crate) struct Sent {
    pub(crate) result: Result<Response, Error>,
    pub(crate) after_ambiguous: bool,
}

impl Response {
    /// Decodes `{"data": T}`.
    pub(crate) fn data<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice::<Envelope<T>>(self.complete_body()?)
            .map(|e| e.data)
            .map_err(|e| self.decode_error(&e))
    }

    /// Decodes the whole body as `T` (list pages: `{data, links, meta}`).
    pub(crate) fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice::<T>(self.complete_body()?).map_err(|e| self.decode_error(&e))
    }

    /// Decodes `{"data": T}`, with `T::default()` when `data` is missing or `null`.
    pub(crate) fn data_or_default<T: DeserializeOwned + Default>(&self) -> Result<T, Error> {
        #[derive(serde::Deserialize)]
        struct Optional<T> {
            #[serde(default = "none")]
            data: Option<T>,
        }
        fn none<T>() -> Option<T> {
            None
        }
        serde_json::from_slice::<Optional<T>>(self.complete_body()?)
            .map(|e| e.data.unwrap_or_default())
            .map_err(|e| self.decode_error(&e))
    }

    /// Accepts an empty body or any JSON (action endpoints answer `{"status": 1}`).
    pub(crate) fn ok(&self) -> Result<(), Error> {
        let body = self.complete_body()?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        serde_json::from_slice::<serde::de::IgnoredAny>(body)
            .map(|_| ())
            .map_err(|e| self.decode_error(&e))
    }

    /// The body, or [`Error::Decode`] when it was too large to read whole.
    fn complete_body(&self) -> Result<&[u8], Error> {
        if self.oversized {
            return Err(Error::Decode {
                status: self.status,
                reason: format!(
                    "the response body is larger than {} MiB and was not read (is the base URL \
                     Partnero's API?)",
                    MAX_RESPONSE_BYTES / (1024 * 1024)
                ),
                snippet: snippet(&self.body, SNIPPET_CHARS),
            });
        }
        Ok(&self.body)
    }

    fn decode_error(&self, e: &serde_json::Error) -> Error {
        Error::Decode {
            status: self.status,
            reason: e.to_string(),
            snippet: snippet(&self.body, SNIPPET_CHARS),
        }
    }
}

impl Partnero {
    /// A call to `endpoint` with its placeholders filled by `keys`, and `query`; no body.
    pub(crate) fn call(
        &self,
        endpoint: &Endpoint,
        keys: &[&str],
        query: &[(&str, String)],
    ) -> Result<Call, Error> {
        Ok(Call {
            endpoint: endpoint.clone(),
            url: endpoint.url(&self.inner.base_url, keys, query)?,
            body: None,
        })
    }

    /// A call with a JSON body.
    pub(crate) fn call_with_body<B: Serialize + ?Sized>(
        &self,
        endpoint: &Endpoint,
        keys: &[&str],
        body: &B,
    ) -> Result<Call, Error> {
        let body = serde_json::to_vec(body)
            .map_err(|e| Error::InvalidInput(format!("cannot encode the request body: {e}")))?;
        let mut call = self.call(endpoint, keys, &[])?;
        call.body = Some(body);
        Ok(call)
    }

    /// `GET`s `endpoint` (placeholders filled by `keys`) and decodes its `{"data": T}`.
    pub(crate) async fn fetch<T: DeserializeOwned>(
        &self,
        endpoint: &Endpoint,
        keys: &[&str],
    ) -> Result<T, Error> {
        let call = self.call(endpoint, keys, &[])?;
        self.send(&call, RetryRule::Idempotent).await?.data()
    }

    /// Sends with retries under `rule` and returns the answer or the last error.
    pub(crate) async fn send(&self, call: &Call, rule: RetryRule) -> Result<Response, Error> {
        self.send_tracked(call, rule).await.result
    }

    /// Sends with retries under `rule`, remembering whether an attempt failed ambiguously.
    pub(crate) async fn send_tracked(&self, call: &Call, rule: RetryRule) -> Sent {
        let budget = Budget::start(&self.inner.retry);
        let mut attempt = 1;
        let mut after_ambiguous = false;
        loop {
            let failure = match self.send_once(call, attempt, &budget).await {
                Ok(response) => {
                    return Sent {
                        result: Ok(response),
                        after_ambiguous,
                    };
                }
                Err(failure) => failure,
            };
            let retryable = match rule {
                RetryRule::Idempotent => failure.error.is_transient(),
                RetryRule::ConnectOnly => failure.error.is_connect(),
            };
            let delay = if retryable {
                budget.retry_delay(&self.inner.retry, attempt, failure.retry_after)
            } else {
                None
            };
            let Some(delay) = delay else {
                return Sent {
                    result: Err(failure.error),
                    after_ambiguous,
                };
            };
            after_ambiguous |= failure.error.is_ambiguous();
            tracing::debug!(
                method = %call.endpoint.method,
                path = call.endpoint.template,
                attempt,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                error = %failure.error,
                "retrying Partnero request"
            );
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// Sends a DELETE with retries; a 404 after an ambiguous failure means an earlier attempt
    /// already deleted the resource, and counts as success.
    pub(crate) async fn send_delete(&self, call: &Call) -> Result<(), Error> {
        let sent = self.send_tracked(call, RetryRule::Idempotent).await;
        match sent.result {
            Ok(response) => response.ok(),
            Err(Error::NotFound { .. }) if sent.after_ambiguous => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// One attempt of a call within `budget`: a 2xx answer, or the classified failure.
    pub(crate) async fn send_once(
        &self,
        call: &Call,
        attempt: u32,
        budget: &Budget,
    ) -> Result<Response, Failure> {
        if attempt == 1 && !budget.allows_first_attempt() {
            return Err(Error::BudgetSpent.into());
        }
        let timeout = budget.attempt_timeout(self.inner.timeout);
        let span = tracing::info_span!(
            "partnero.request",
            method = %call.endpoint.method,
            path = call.endpoint.template,
            attempt,
            status = tracing::field::Empty,
        );
        let recorder = span.clone();
        async move {
            let result = self.exchange(call, timeout).await;
            match &result {
                Ok(r) => {
                    recorder.record("status", r.status);
                }
                Err(f) => {
                    if let Some(status) = f.error.status() {
                        recorder.record("status", status);
                    }
                    tracing::debug!(error = %f.error, "Partnero request failed");
                }
            }
            result
        }
        .instrument(span)
        .await
    }

    async fn exchange(&self, call: &Call, timeout: Option<Duration>) -> Result<Response, Failure> {
        let inner = &self.inner;
        let auth = inner.auth.clone().ok_or_else(|| {
            Error::Config(
                "the API key contains characters that cannot be sent in an HTTP header".into(),
            )
        })?;
        let mut request = inner
            .http
            .request(call.endpoint.method.clone(), call.url.clone())
            .header(AUTHORIZATION, auth)
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, inner.user_agent.clone());
        if let Some(timeout) = timeout {
            request = request.timeout(timeout);
        }
        if let Some(body) = &call.body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let response = request.send().await.map_err(transport_error)?;
        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers());
        let (body, oversized) = read_body(response).await?;
        if (200..300).contains(&status) {
            return Ok(Response {
                status,
                body,
                oversized,
            });
        }
        Err(Failure {
            error: classify(status, &body, retry_after),
            retry_after: retry_after.filter(|_| matches!(status, 429 | 503)),
        })
    }
}

/// Reads at most [`MAX_RESPONSE_BYTES`] of the body; `true` when there was more (the rest is
/// not read, and the connection is closed rather than reused).
async fn read_body(mut response: reqwest::Response) -> Result<(Vec<u8>, bool), Failure> {
    let announced = response
        .content_length()
        .and_then(|n| usize::try_from(n).ok());
    let mut body = Vec::with_capacity(announced.unwrap_or(0).min(MAX_RESPONSE_BYTES));
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        let room = MAX_RESPONSE_BYTES - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, false))
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, SystemTime::now()))
}

/// Maps a reqwest error: connect failures (request never sent), timeouts, everything else.
/// The URL is stripped: its path can hold customer keys, which are often e-mail addresses.
pub(crate) fn transport_error(e: reqwest::Error) -> Failure {
    let error = if e.is_timeout() {
        Error::Timeout
    } else if e.is_connect() {
        Error::Connect(e.without_url())
    } else {
        Error::Transport(e.without_url())
    };
    error.into()
}

/// Maps a non-2xx answer to an [`Error`].
pub(crate) fn classify(status: u16, body: &[u8], retry_after: Option<Duration>) -> Error {
    let parsed = ErrorBody::parse(body);
    let (message, errors) = match parsed {
        Some(ErrorBody { message, errors }) => (
            message.map(|m| snippet(m.as_bytes(), MESSAGE_CHARS)),
            errors,
        ),
        None => (None, FieldErrors::new()),
    };
    let text = message.clone().unwrap_or_else(|| {
        let s = snippet(body, SNIPPET_CHARS);
        if s.is_empty() {
            reqwest::StatusCode::from_u16(status)
                .ok()
                .and_then(|c| c.canonical_reason())
                .unwrap_or("no message")
                .to_owned()
        } else {
            s
        }
    });
    match status {
        401 => Error::Unauthorized,
        404 => Error::NotFound { message: text },
        409 => Error::Duplicate {
            status,
            message: text,
        },
        422 if mentions_duplicate(&text, &errors) => Error::Duplicate {
            status,
            message: text,
        },
        422 => Error::Validation {
            message: text,
            errors,
        },
        400 if text.to_ascii_lowercase().contains("invalid partner key") => {
            Error::InvalidPartnerKey
        }
        429 => Error::RateLimited { retry_after },
        _ => Error::Api {
            status,
            message: text,
            errors,
            retry_after,
        },
    }
}

/// A 422 saying a resource with this **key** exists: a "taken" / "exists" / "duplicate" error
/// on the `key` field, or, without field errors, Partnero's "Duplicate key" message. A taken
/// e-mail (or any other field) is a [`Error::Validation`]: the key is free, the customer was not
/// created, and calling it "already exists" would lose every later sale of that key.
fn mentions_duplicate(message: &str, errors: &FieldErrors) -> bool {
    let hit = |s: &str| {
        let s = s.to_ascii_lowercase();
        s.contains("duplicate") || s.contains("already been taken") || s.contains("already exists")
    };
    if errors.is_empty() {
        return message.to_ascii_lowercase().contains("duplicate");
    }
    errors.get("key").is_some_and(|m| m.iter().any(|m| hit(m)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_statuses() {
        assert!(matches!(classify(401, b"", None), Error::Unauthorized));
        assert!(matches!(
            classify(422, br#"{"message":"Duplicate key","status":0}"#, None),
            Error::Duplicate { status: 422, .. }
        ));
        assert!(matches!(
            classify(
                422,
                br#"{"message":"invalid","errors":{"key":["The key has already been taken."]}}"#,
                None
            ),
            Error::Duplicate { .. }
        ));
        assert!(matches!(
            classify(
                422,
                br#"{"message":"The email has already been taken.","errors":{"email":["The email has already been taken."]}}"#,
                None
            ),
            Error::Validation { .. }
        ));
        match classify(
            422,
            br#"{"message":"invalid","errors":{"email":["bad"]}}"#,
            None,
        ) {
            Error::Validation { errors, .. } => assert_eq!(errors["email"], vec!["bad"]),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            classify(400, br#"{"message":"Invalid partner key"}"#, None),
            Error::InvalidPartnerKey
        ));
        match classify(502, b"<html>Bad Gateway</html>", None) {
            Error::Api {
                status, message, ..
            } => {
                assert_eq!(status, 502);
                assert_eq!(message, "<html>Bad Gateway</html>");
            }
            other => panic!("{other:?}"),
        }
        match classify(503, b"", None) {
            Error::Api { message, .. } => assert_eq!(message, "Service Unavailable"),
            other => panic!("{other:?}"),
        }
    }
}
