//! `/transactions` endpoints, with the double-commission guard on create.
//!
//! See [`Transactions`] for the double-commission guard.

use std::time::Duration;

use futures_core::Stream;
use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::Partnero;
use super::budget::{self, Budget};
use super::collection::Collection;
use super::transport::{Call, Response, RetryRule};
use crate::Error;
use crate::model::{ListParams, NewCustomer, Page, Sale, Transaction, TransactionSearch};

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

/// The `customer` of a create: its key only, or (with `options.create_customer`) the whole
/// customer to create with the sale, attribution nested (`customer.partner.key`).
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(untagged)]
pub(crate) enum SaleCustomer<'a> {
    Key { key: &'a str },
    Full(&'a NewCustomer),
}

impl SaleCustomer<'_> {
    fn key(&self) -> &str {
        match self {
            SaleCustomer::Key { key } => key,
            SaleCustomer::Full(customer) => &customer.key,
        }
    }
}

#[derive(Serialize)]
struct CreateBody<'a> {
    customer: SaleCustomer<'a>,
    #[serde(flatten)]
    sale: &'a Sale,
}

#[derive(Serialize)]
struct BatchBody<'a> {
    customer: SaleCustomer<'a>,
    transactions: &'a [&'a Sale],
}

const TRANSACTIONS: Collection<Transaction> =
    Collection::new("/transactions", "/transactions/{key}");

/// What a `DELETE /transactions/{key}` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Deletion {
    /// Partnero answered 2xx: deleted.
    Deleted,
    /// Partnero answered 404; `after_ambiguous`: an earlier attempt failed ambiguously.
    NotFound { after_ambiguous: bool },
}

/// What follows a failed create (see [`after_failure`]).
enum Next {
    /// The request surely never left: send it again after this backoff.
    Resend(Duration),
    /// Return the error; nothing is resent.
    Fail,
    /// Look every sale up by key: after the confirm wait when the outcome is `uncertain`, at
    /// once after a "duplicate" answer.
    Check { uncertain: bool },
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
        self.create_once_with(SaleCustomer::Key { key: customer_key }, sale)
            .await
    }

    /// [`create_with_customer`](Self::create_with_customer), **once**: no resend, no read-back,
    /// the error says what happened, as with [`create_once`](Self::create_once). For a durable
    /// dispatcher that keeps the "sent, outcome unknown" state itself (`partnero-outbox`'s
    /// purchase events); anyone else wants [`create_with_customer`](Self::create_with_customer).
    ///
    /// ```no_run
    /// use rust_decimal::Decimal;
    /// use partnero_client::{NewCustomer, Partnero, Sale};
    ///
    /// # async fn run(client: Partnero) -> Result<(), partnero_client::Error> {
    /// let buyer = NewCustomer::new("buyer@example.com").partner_key("demo-partner");
    /// let sale = Sale::new(Decimal::new(4999, 2)).key("order-1");
    /// match client.transactions().create_with_customer_once(&buyer, &sale).await {
    ///     Ok(transaction) => println!("recorded: {:?}", transaction.key),
    ///     Err(e) if e.is_ambiguous() => println!("maybe recorded: look it up before resending"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn create_with_customer_once(
        &self,
        customer: &NewCustomer,
        sale: &Sale,
    ) -> Result<Transaction, Error> {
        let sale = sale.clone().create_customer(true);
        self.create_once_with(SaleCustomer::Full(customer), &sale)
            .await
    }

    /// One `POST /transactions` for either shape of `customer`.
    pub(crate) async fn create_once_with(
        &self,
        customer: SaleCustomer<'_>,
        sale: &Sale,
    ) -> Result<Transaction, Error> {
        require_customer_key(customer.key())?;
        let call = self.create_call(customer, &[sale], Shape::One)?;
        let budget = Budget::start(&self.client.inner.retry);
        match self.client.send_once(&call, 1, &budget).await {
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
        self.create_guarded_with(SaleCustomer::Key { key: customer_key }, sale)
            .await
    }

    /// `POST /transactions` with the customer created along with the sale
    /// (`options.create_customer: true` is set on the sale sent): `customer` travels whole,
    /// with its e-mail, names and attribution (`customer.partner` / `customer.referring_customer`).
    /// A customer Partnero already knows is used as it is (its attribution does not change).
    /// The double-commission guard of [`create`](Self::create) applies unchanged.
    ///
    /// [`Partnero::purchase`] wraps this for the "no sign-up, only a purchase" flow.
    ///
    /// ```no_run
    /// use rust_decimal::Decimal;
    /// use partnero_client::{NewCustomer, Partnero, Sale};
    ///
    /// # async fn run(client: Partnero) -> Result<(), partnero_client::Error> {
    /// let buyer = NewCustomer::new("buyer@example.com").email("buyer@example.com").partner_key("demo-partner");
    /// let sale = Sale::new(Decimal::new(4999, 2)).key("order-1");
    /// let transaction = client.transactions().create_with_customer(&buyer, &sale).await?;
    /// println!("commissions: {:?}", transaction.rewards);
    /// # Ok(()) }
    /// ```
    pub async fn create_with_customer(
        &self,
        customer: &NewCustomer,
        sale: &Sale,
    ) -> Result<Transaction, Error> {
        let sale = sale.clone().create_customer(true);
        self.create_guarded_with(SaleCustomer::Full(customer), &sale)
            .await
            .map(|(t, _)| t)
    }

    /// [`create_guarded`](Self::create_guarded) for either shape of `customer`.
    pub(crate) async fn create_guarded_with(
        &self,
        customer: SaleCustomer<'_>,
        sale: &Sale,
    ) -> Result<(Transaction, bool), Error> {
        let (created, recovered) = self.send_guarded(customer, &[sale], Shape::One).await?;
        match created.into_iter().next() {
            Some(transaction) => Ok((transaction, recovered)),
            None => Err(Error::Decode {
                status: 200,
                reason: "the create answer holds no transaction".into(),
                snippet: String::new(),
            }),
        }
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
        let sales: Vec<&Sale> = sales.iter().collect();
        self.send_guarded(
            SaleCustomer::Key { key: customer_key },
            &sales,
            Shape::Batch,
        )
        .await
        .map(|(created, _)| created)
    }

    /// The guarded create of [`create`](Self::create) (one sale) and
    /// [`create_batch`](Self::create_batch): sends, and after a failure resends only the sales
    /// that surely were not recorded. Also says whether any transaction was read back by key.
    async fn send_guarded(
        &self,
        customer: SaleCustomer<'_>,
        sales: &[&Sale],
        shape: Shape,
    ) -> Result<(Vec<Transaction>, bool), Error> {
        require_customer_key(customer.key())?;
        let all_keyed = sales.iter().all(|s| s.key.is_some());
        let mut remaining = sales.to_vec();
        let mut done = Vec::new();
        let mut recovered = false;
        let budget = Budget::start(&self.client.inner.retry);
        let mut attempt = 1;
        loop {
            let call = self.create_call(customer, &remaining, shape)?;
            let failure = match self.client.send_once(&call, attempt, &budget).await {
                Ok(response) => {
                    match shape.decode(&response) {
                        Ok(items) => done.extend(items),
                        // The sales are recorded; the answer is unreadable: read them back.
                        Err(e) if all_keyed => {
                            tracing::warn!(error = %e, "create answer unreadable; reading the sales back by key");
                            for sale in &remaining {
                                done.push(budget::confirming(self.get(key_of(sale))).await?);
                            }
                            recovered = true;
                        }
                        Err(e) => return Err(e),
                    }
                    return Ok((done, recovered));
                }
                Err(failure) => failure,
            };
            let error = failure.error;
            let delay = budget.retry_delay(&self.client.inner.retry, attempt, failure.retry_after);
            match after_failure(&error, all_keyed, delay) {
                Next::Resend(delay) => {
                    tracing::debug!(error = %error, "transaction create never left; resending");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                    continue;
                }
                Next::Fail => return Err(error),
                Next::Check { uncertain } => {
                    if uncertain {
                        tokio::time::sleep(self.confirm_wait(delay)).await;
                    }
                }
            }
            let timed_out = matches!(error, Error::Timeout);
            let mut absent = Vec::new();
            for sale in remaining {
                match budget::confirming(self.get(key_of(sale))).await {
                    Ok(t) => {
                        done.push(t);
                        recovered = true;
                    }
                    Err(Error::NotFound { .. }) => absent.push(sale),
                    // After a timeout a failed check leaves the sale unconfirmed, like a 404.
                    Err(_) if timed_out => absent.push(sale),
                    Err(check) => {
                        tracing::warn!(error = %error, check = %check, "cannot confirm the transaction; not resending");
                        return Err(error);
                    }
                }
            }
            if absent.is_empty() {
                tracing::info!(
                    "transaction create answer was lost or duplicate; found it by key, not resending"
                );
                return Ok((done, recovered));
            }
            if timed_out {
                tracing::warn!(
                    "transaction create timed out and is not found yet: unconfirmed, not resending"
                );
                return Err(Error::Unconfirmed {
                    keys: absent.iter().map(|s| key_of(s).to_owned()).collect(),
                });
            }
            // The resend is due now (the confirm wait was its delay), and only with
            // `MIN_ATTEMPT` of the budget left: a helper's visitor never waits past it.
            if delay.is_none() || error.is_duplicate() || !budget.has_room_for_an_attempt() {
                return Err(error);
            }
            tracing::info!("transaction absent after a failed or refused create; resending");
            remaining = absent;
            attempt += 1;
        }
    }

    /// The wait before a `GET /transactions/{key}` check: the policy's confirm delay, or the
    /// backoff / `Retry-After` delay when that is longer.
    fn confirm_wait(&self, delay: Option<Duration>) -> Duration {
        let floor = self.client.inner.retry.confirm_wait();
        delay.map_or(floor, |d| d.max(floor))
    }

    fn create_call(
        &self,
        customer: SaleCustomer<'_>,
        sales: &[&Sale],
        shape: Shape,
    ) -> Result<Call, Error> {
        let endpoint = TRANSACTIONS.endpoint(Method::POST);
        match (shape, sales) {
            (Shape::One, [sale]) => {
                self.client
                    .call_with_body(&endpoint, &[], &CreateBody { customer, sale })
            }
            _ => self.client.call_with_body(
                &endpoint,
                &[],
                &BatchBody {
                    customer,
                    transactions: sales,
                },
            ),
        }
    }

    /// `GET /transactions/{key}`.
    pub async fn get(&self, key: &str) -> Result<Transaction, Error> {
        TRANSACTIONS.get(self.client, key).await
    }

    /// `GET /transactions?page=&limit=`: one page.
    pub async fn list(&self, params: ListParams) -> Result<Page<Transaction>, Error> {
        TRANSACTIONS.list(self.client, params).await
    }

    /// Every transaction, page after page.
    pub fn stream(
        &self,
        params: ListParams,
    ) -> impl Stream<Item = Result<Transaction, Error>> + Send + Unpin + 'static {
        TRANSACTIONS.stream(self.client, params)
    }

    /// `GET /transactions` with filters (customer, key, credited partner): one page.
    pub async fn list_matching(
        &self,
        search: &TransactionSearch,
    ) -> Result<Page<Transaction>, Error> {
        self.client
            .page(
                &TRANSACTIONS.endpoint(Method::GET),
                &[],
                search.query_pairs(),
            )
            .await
    }

    /// Every transaction the filters match, page after page.
    pub fn stream_matching(
        &self,
        search: &TransactionSearch,
    ) -> impl Stream<Item = Result<Transaction, Error>> + Send + Unpin + 'static {
        self.client.stream_items(
            &TRANSACTIONS.endpoint(Method::GET),
            &[],
            search.query_pairs(),
        )
    }

    /// `DELETE /transactions/{key}`: a refund or chargeback; reverses the commission.
    /// [`Error::NotFound`] when Partnero has no such transaction (a 404 after an ambiguous
    /// failure counts as success: the earlier attempt may have deleted it, or the sale may
    /// still be on its way; [`Partnero::refund`] tells the two apart as far as it can).
    pub async fn delete(&self, key: &str) -> Result<(), Error> {
        TRANSACTIONS.delete(self.client, key).await
    }

    /// `DELETE /transactions/{key}` with retries, saying whether a 404 followed an ambiguous
    /// failure (then nobody knows whether the earlier attempt deleted it).
    pub(crate) async fn delete_reporting(&self, key: &str) -> Result<Deletion, Error> {
        let call = self
            .client
            .call(&TRANSACTIONS.item(Method::DELETE), &[key], &[])?;
        let sent = self.client.send_tracked(&call, RetryRule::Idempotent).await;
        match sent.result {
            Ok(response) => response.ok().map(|()| Deletion::Deleted),
            Err(Error::NotFound { .. }) => Ok(Deletion::NotFound {
                after_ambiguous: sent.after_ambiguous,
            }),
            Err(e) => Err(e),
        }
    }

    /// `POST /transactions/{key}/archive`.
    pub async fn archive(&self, key: &str) -> Result<(), Error> {
        TRANSACTIONS
            .action(self.client, "/transactions/{key}/archive", key)
            .await
    }

    /// `POST /transactions/{key}/revoke-archive`.
    pub async fn revoke_archive(&self, key: &str) -> Result<(), Error> {
        TRANSACTIONS
            .action(self.client, "/transactions/{key}/revoke-archive", key)
            .await
    }
}

/// Decides what follows a failed create of sales (one, or a batch) that `all_keyed` or not;
/// `delay` is the backoff the retry policy allows before another attempt (`None`: no further
/// attempt). The one place that decides whether a sale may be resent before it is looked up.
fn after_failure(error: &Error, all_keyed: bool, delay: Option<Duration>) -> Next {
    if error.is_connect() {
        return delay.map_or(Next::Fail, Next::Resend);
    }
    let rate_limited = matches!(error, Error::RateLimited { .. });
    let uncertain = error.is_ambiguous() || rate_limited;
    if !all_keyed {
        if uncertain {
            tracing::warn!(
                error = %error,
                "transaction create failed or was refused and a sale has no key: not resending"
            );
        }
        return Next::Fail;
    }
    if !(uncertain || error.is_duplicate()) || (rate_limited && delay.is_none()) {
        return Next::Fail;
    }
    Next::Check { uncertain }
}

/// How the sales travel: one sale as the body itself, several as `transactions: [...]`.
#[derive(Debug, Clone, Copy)]
enum Shape {
    One,
    Batch,
}

impl Shape {
    /// Reads a successful create's answer.
    fn decode(self, response: &Response) -> Result<Vec<Transaction>, Error> {
        match self {
            Shape::One => response.data().map(|t| vec![t]),
            Shape::Batch => response
                .data_or_default::<serde_json::Value>()
                .and_then(|data| batch_items(data, response.status)),
        }
    }
}

/// The key of a sale that has one (the guard looks sales up only when all have a key).
fn key_of(sale: &Sale) -> &str {
    sale.key.as_deref().unwrap_or_default()
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
