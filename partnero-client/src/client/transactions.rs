//! `/transactions` endpoints, with the double-commission guard on create.
//!
//! See [`Transactions`] for the double-commission guard.

use std::time::{Duration, Instant};

use futures_core::Stream;
use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::Partnero;
use super::path::Part::{Key, Lit};
use super::transport::{Call, RetryRule};
use crate::Error;
use crate::model::{ListParams, Page, Sale, Transaction};

/// Transaction endpoints; get one with [`Partnero::transactions`].
///
/// # The guard
///
/// Partnero pays a commission per created transaction, and a resent create makes a second
/// one. So a create is repeated only when it surely did not take effect:
///
/// * the connection could not be established ([`Error::Connect`]): the request never left;
/// * after a failure that was answered (5xx or 429) or a connection dropped mid-request
///   ([`Error::Transport`]), **and** only when the sale has a [`key`](Sale::key): the client
///   waits the [confirm delay](crate::RetryPolicy::confirm_delay) (default 1 s, longer when the
///   backoff or `Retry-After` asks for more), then reads `GET /transactions/{key}`. Found: the
///   first attempt worked, and its transaction is returned. Absent (404): the create is sent
///   again. Any other answer: the original error is returned and nothing is resent. A 429
///   whose `Retry-After` exceeds [`max_delay`](crate::RetryPolicy::max_delay), or with no
///   attempt left, is returned at once as [`Error::RateLimited`].
///
/// After a **timeout** ([`Error::Timeout`]: the client gave up while the request may still be
/// in flight, or still being processed) the create is **never** resent, because a 404 then
/// proves nothing. For a keyed sale the client waits the confirm delay and reads
/// `GET /transactions/{key}`: found, it is returned (as recovered); otherwise the call fails
/// with [`Error::Unconfirmed`]: the sale may still be recorded, so reconcile later with
/// [`get`](Self::get) before sending it again.
///
/// A sale **without a key** is never resent after an ambiguous failure or a 429; the error
/// is returned and, after an ambiguous failure, the caller cannot know whether it was
/// recorded. Always give sales a key.
///
/// A "duplicate" answer (409 / 422) for a keyed sale means it is already recorded: the
/// existing transaction is read back and returned. A 2xx whose body cannot be decoded is
/// handled the same way for keyed sales.
///
/// Remaining risk: a 5xx or a dropped connection whose request is still being processed after
/// the confirm delay (a server that answers or disconnects before it has finished) looks
/// absent, and the create is resent. Raise the confirm delay if your path to Partnero has such
/// proxies. The sandbox-backed tests cover processed-then-dropped, processed-then-502 and a
/// create still being processed when the client times out.
#[derive(Debug, Clone, Copy)]
pub struct Transactions<'a> {
    client: &'a Partnero,
}

#[derive(Serialize)]
struct CustomerKey<'a> {
    key: &'a str,
}

#[derive(Serialize)]
struct CreateBody<'a> {
    customer: CustomerKey<'a>,
    #[serde(flatten)]
    sale: &'a Sale,
}

#[derive(Serialize)]
struct BatchBody<'a> {
    customer: CustomerKey<'a>,
    transactions: &'a [Sale],
}

/// What one create attempt led to.
enum Step {
    Done(Box<Transaction>),
    Resend,
    Fail(Error),
}

impl<'a> Transactions<'a> {
    pub(crate) fn new(client: &'a Partnero) -> Self {
        Self { client }
    }

    /// `POST /transactions` for one sale of the customer with `customer_key`, under the
    /// double-commission guard described on [`Transactions`].
    pub async fn create(&self, customer_key: &str, sale: &Sale) -> Result<Transaction, Error> {
        self.create_guarded(customer_key, sale)
            .await
            .map(|(t, _)| t)
    }

    /// `POST /transactions`, **once**, without the guard: no resend, no read-back. The error
    /// says what happened ([`Error::is_connect`]: the request never left; [`Error::is_ambiguous`]:
    /// it may have been recorded).
    ///
    /// For a durable dispatcher that records the "sent, outcome unknown" state itself and
    /// checks the key with [`get`](Self::get) before any resend (as `partnero-outbox` does).
    /// Calling it in a retry loop can pay a commission twice: use [`create`](Self::create).
    pub async fn create_once(&self, customer_key: &str, sale: &Sale) -> Result<Transaction, Error> {
        require_customer_key(customer_key)?;
        let call = self.client.call_with_body(
            Method::POST,
            "/transactions",
            &[Lit("transactions")],
            &CreateBody {
                customer: CustomerKey { key: customer_key },
                sale,
            },
        )?;
        match self.client.send_once(&call, 1).await {
            Ok(response) => response.data(),
            Err(failure) => Err(failure.error),
        }
    }

    /// [`create`](Self::create), also saying whether the transaction was read back by key
    /// (`true`: the create's own answer was lost or reported a duplicate).
    pub(crate) async fn create_guarded(
        &self,
        customer_key: &str,
        sale: &Sale,
    ) -> Result<(Transaction, bool), Error> {
        require_customer_key(customer_key)?;
        let call = self.client.call_with_body(
            Method::POST,
            "/transactions",
            &[Lit("transactions")],
            &CreateBody {
                customer: CustomerKey { key: customer_key },
                sale,
            },
        )?;
        let key = sale.key.as_deref();
        let start = Instant::now();
        let mut attempt = 1;
        loop {
            let step = match self.client.send_once(&call, attempt).await {
                Ok(response) => match (response.data::<Transaction>(), key) {
                    (Ok(t), _) => return Ok((t, false)),
                    (Err(_), Some(key)) => {
                        return self.get(key).await.map(|t| (t, true));
                    }
                    (Err(e), None) => return Err(e),
                },
                Err(failure) => {
                    let delay = self.client.inner.retry.next_delay(
                        attempt,
                        start.elapsed(),
                        failure.retry_after,
                    );
                    self.after_failure(failure.error, key, delay).await
                }
            };
            match step {
                Step::Done(t) => return Ok((*t, true)),
                Step::Resend => attempt += 1,
                Step::Fail(e) => return Err(e),
            }
        }
    }

    /// Decides what follows a failed create of the sale with `key` (see the type docs).
    /// `delay` is the backoff the retry policy allows before another attempt (`None`: no
    /// further attempt is allowed).
    async fn after_failure(
        &self,
        error: Error,
        key: Option<&str>,
        delay: Option<Duration>,
    ) -> Step {
        if error.is_connect() {
            return match delay {
                Some(delay) => {
                    tracing::debug!(error = %error, "transaction create never left; resending");
                    tokio::time::sleep(delay).await;
                    Step::Resend
                }
                None => Step::Fail(error),
            };
        }
        let rate_limited = matches!(error, Error::RateLimited { .. });
        let uncertain = error.is_ambiguous() || rate_limited;
        let Some(key) = key else {
            if uncertain {
                tracing::warn!(
                    error = %error,
                    "transaction create failed or was refused and the sale has no key: not resending"
                );
            }
            return Step::Fail(error);
        };
        if (!uncertain && !error.is_duplicate()) || (rate_limited && delay.is_none()) {
            return Step::Fail(error);
        }
        if uncertain {
            tokio::time::sleep(self.confirm_wait(delay)).await;
        }
        let timed_out = matches!(error, Error::Timeout);
        match self.get(key).await {
            Ok(t) => {
                tracing::info!(
                    "transaction create answer was lost or duplicate; found it by key, not resending"
                );
                Step::Done(Box::new(t))
            }
            Err(check) if timed_out => {
                tracing::warn!(
                    check = %check,
                    "transaction create timed out and is not found yet: unconfirmed, not resending"
                );
                Step::Fail(Error::Unconfirmed {
                    keys: vec![key.to_owned()],
                })
            }
            Err(Error::NotFound { .. }) if uncertain && delay.is_some() => {
                tracing::info!("transaction absent after a failed or refused create; resending");
                Step::Resend
            }
            Err(check) => {
                tracing::warn!(error = %error, check = %check, "cannot confirm the transaction; not resending");
                Step::Fail(error)
            }
        }
    }

    /// The wait before a `GET /transactions/{key}` check: the policy's confirm delay, or the
    /// backoff / `Retry-After` delay when that is longer.
    fn confirm_wait(&self, delay: Option<Duration>) -> Duration {
        let floor = self.client.inner.retry.confirm_wait();
        delay.map_or(floor, |d| d.max(floor))
    }

    /// `POST /transactions` with several sales for one customer (`transactions: [...]`).
    ///
    /// The guard applies per sale: after an ambiguous failure, each sale is looked up by key
    /// (after the confirm delay); found ones are kept, only absent ones are resent. After a
    /// timeout nothing is resent: if a sale is not found, the call fails with
    /// [`Error::Unconfirmed`] naming the keys not found. If any sale lacks a key, an ambiguous
    /// failure or a 429 is returned as is. The answer is read as a list of transactions (or
    /// `{"transactions": [...]}`); when it cannot be decoded, the sales (which were recorded)
    /// are read back by key if they all have one, otherwise [`Error::Decode`] is returned.
    pub async fn create_batch(
        &self,
        customer_key: &str,
        sales: &[Sale],
    ) -> Result<Vec<Transaction>, Error> {
        require_customer_key(customer_key)?;
        if sales.is_empty() {
            return Ok(Vec::new());
        }
        let all_keyed = sales.iter().all(|s| s.key.is_some());
        let mut remaining: Vec<Sale> = sales.to_vec();
        let mut done: Vec<Transaction> = Vec::new();
        let start = Instant::now();
        let mut attempt = 1;
        loop {
            let call = self.batch_call(customer_key, &remaining)?;
            let failure = match self.client.send_once(&call, attempt).await {
                Ok(response) => {
                    match response
                        .data_or_default::<serde_json::Value>()
                        .and_then(|data| batch_items(data, response.status))
                    {
                        Ok(items) => done.extend(items),
                        // The sales are recorded; the answer is unreadable: read them back.
                        Err(e) if all_keyed => {
                            tracing::warn!(error = %e, "batch answer unreadable; reading the sales back by key");
                            for sale in &remaining {
                                done.push(self.get(sale.key.as_deref().unwrap_or_default()).await?);
                            }
                        }
                        Err(e) => return Err(e),
                    }
                    return Ok(done);
                }
                Err(failure) => failure,
            };
            let error = failure.error;
            let delay =
                self.client
                    .inner
                    .retry
                    .next_delay(attempt, start.elapsed(), failure.retry_after);
            if error.is_connect() {
                let Some(delay) = delay else {
                    return Err(error);
                };
                tokio::time::sleep(delay).await;
                attempt += 1;
                continue;
            }
            let rate_limited = matches!(error, Error::RateLimited { .. });
            let uncertain = error.is_ambiguous() || rate_limited;
            if !all_keyed
                || !(uncertain || error.is_duplicate())
                || (rate_limited && delay.is_none())
            {
                return Err(error);
            }
            if uncertain {
                tokio::time::sleep(self.confirm_wait(delay)).await;
            }
            let timed_out = matches!(error, Error::Timeout);
            let mut absent = Vec::new();
            for sale in remaining {
                let key = sale.key.as_deref().unwrap_or_default();
                match self.get(key).await {
                    Ok(t) => done.push(t),
                    Err(Error::NotFound { .. }) => absent.push(sale),
                    // After a timeout a failed check leaves the sale unconfirmed, like a 404.
                    Err(_) if timed_out => absent.push(sale),
                    Err(_) => return Err(error),
                }
            }
            if absent.is_empty() {
                return Ok(done);
            }
            if timed_out {
                return Err(Error::Unconfirmed {
                    keys: absent.into_iter().filter_map(|s| s.key).collect(),
                });
            }
            if delay.is_none() || error.is_duplicate() {
                return Err(error);
            }
            remaining = absent;
            attempt += 1;
        }
    }

    fn batch_call(&self, customer_key: &str, sales: &[Sale]) -> Result<Call, Error> {
        self.client.call_with_body(
            Method::POST,
            "/transactions",
            &[Lit("transactions")],
            &BatchBody {
                customer: CustomerKey { key: customer_key },
                transactions: sales,
            },
        )
    }

    /// `GET /transactions/{key}`.
    pub async fn get(&self, key: &str) -> Result<Transaction, Error> {
        let call = self.client.call(
            Method::GET,
            "/transactions/{key}",
            &[Lit("transactions"), Key(key)],
            &[],
        )?;
        self.client.send(&call, RetryRule::Idempotent).await?.data()
    }

    /// `GET /transactions?page=&limit=`: one page.
    pub async fn list(&self, params: ListParams) -> Result<Page<Transaction>, Error> {
        let call = self.client.call(
            Method::GET,
            "/transactions",
            &[Lit("transactions")],
            &params.query_pairs()?,
        )?;
        self.client.get_page(call.url, call.template).await
    }

    /// Every transaction, page after page.
    pub fn stream(
        &self,
        params: ListParams,
    ) -> impl Stream<Item = Result<Transaction, Error>> + Send + Unpin + 'static {
        let first = params
            .query_pairs()
            .and_then(|query| {
                self.client
                    .call(Method::GET, "/transactions", &[Lit("transactions")], &query)
            })
            .map(|c| c.url);
        self.client.stream_items(first, "/transactions")
    }

    /// `DELETE /transactions/{key}`: a refund or chargeback; reverses the commission.
    /// [`Error::NotFound`] when Partnero has no such transaction (a 404 after an ambiguous
    /// failure counts as success: the earlier attempt deleted it).
    pub async fn delete(&self, key: &str) -> Result<(), Error> {
        let call = self.client.call(
            Method::DELETE,
            "/transactions/{key}",
            &[Lit("transactions"), Key(key)],
            &[],
        )?;
        self.client.send_delete(&call).await
    }

    /// `POST /transactions/{key}/archive`.
    pub async fn archive(&self, key: &str) -> Result<(), Error> {
        self.action(key, "archive", "/transactions/{key}/archive")
            .await
    }

    /// `POST /transactions/{key}/revoke-archive`.
    pub async fn revoke_archive(&self, key: &str) -> Result<(), Error> {
        self.action(key, "revoke-archive", "/transactions/{key}/revoke-archive")
            .await
    }

    async fn action(
        &self,
        key: &str,
        action: &'static str,
        template: &'static str,
    ) -> Result<(), Error> {
        let call = self.client.call(
            Method::POST,
            template,
            &[Lit("transactions"), Key(key), Lit(action)],
            &[],
        )?;
        self.client.send(&call, RetryRule::ConnectOnly).await?.ok()
    }
}

fn require_customer_key(key: &str) -> Result<(), Error> {
    if key.trim().is_empty() {
        return Err(Error::InvalidInput(
            "a transaction needs the customer's key".into(),
        ));
    }
    Ok(())
}

/// Reads a batch answer: a list, `{"transactions": [...]}`, or one transaction. An item that
/// does not decode, or an answer without transactions, is an [`Error::Decode`] (never a
/// shorter list).
fn batch_items(data: serde_json::Value, status: u16) -> Result<Vec<Transaction>, Error> {
    use serde_json::Value;
    let decode_error = |reason: String, value: &Value| Error::Decode {
        status,
        reason,
        snippet: value.to_string().chars().take(200).collect(),
    };
    let items = match data {
        Value::Array(items) => items,
        Value::Object(mut map) => match map.remove("transactions") {
            Some(Value::Array(items)) => items,
            _ => vec![Value::Object(map)],
        },
        other => {
            return Err(decode_error(
                "the batch answer holds no transactions".into(),
                &other,
            ));
        }
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            Transaction::deserialize(&item).map_err(|e| {
                decode_error(format!("transaction {i} of the batch answer: {e}"), &item)
            })
        })
        .collect()
}
