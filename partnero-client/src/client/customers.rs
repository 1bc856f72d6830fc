//! `/customers` endpoints (affiliate and refer-a-friend).

use futures_core::Stream;
use reqwest::Method;
use serde::Serialize;

use super::Partnero;
use super::path::Part::{Key, Lit};
use super::transport::RetryRule;
use crate::Error;
use crate::model::balance::unnest;
use crate::model::{
    Balance, BalanceCredit, Customer, CustomerSearch, CustomerStats, CustomerUpdate, ListParams,
    NewCustomer, Page, Transaction,
};

/// Customer endpoints; get one with [`Partnero::customers`].
#[derive(Debug, Clone, Copy)]
pub struct Customers<'a> {
    client: &'a Partnero,
}

#[derive(Serialize)]
struct UpdateBody<'a, T> {
    update: &'a T,
}

impl<'a> Customers<'a> {
    pub(crate) fn new(client: &'a Partnero) -> Self {
        Self { client }
    }

    /// `POST /customers`.
    ///
    /// Retried like an idempotent request (the key is unique). When a retry after an ambiguous
    /// failure (timeout, dropped connection, 5xx) is answered "duplicate key", the first attempt
    /// created the customer: it is fetched and returned as a success. A duplicate on the first
    /// attempt is [`Error::Duplicate`].
    pub async fn create(&self, customer: &NewCustomer) -> Result<Customer, Error> {
        let call = self.client.call_with_body(
            Method::POST,
            "/customers",
            &[Lit("customers")],
            customer,
        )?;
        let sent = self.client.send_tracked(&call, RetryRule::Idempotent).await;
        match sent.result {
            Ok(response) => response.data(),
            Err(Error::Duplicate { .. }) if sent.after_ambiguous => {
                tracing::info!("customer was created by an earlier attempt; reading it back");
                self.get(&customer.key).await
            }
            Err(e) => Err(e),
        }
    }

    /// `GET /customers/{key}`.
    pub async fn get(&self, key: &str) -> Result<Customer, Error> {
        let call = self.client.call(
            Method::GET,
            "/customers/{key}",
            &[Lit("customers"), Key(key)],
            &[],
        )?;
        self.client.send(&call, RetryRule::Idempotent).await?.data()
    }

    /// `GET /customers?page=&limit=`: one page.
    pub async fn list(&self, params: ListParams) -> Result<Page<Customer>, Error> {
        let call = self.client.call(
            Method::GET,
            "/customers",
            &[Lit("customers")],
            &params.query_pairs()?,
        )?;
        self.client.get_page(call.url, call.template).await
    }

    /// Every customer, page after page (starting at `params.page`).
    pub fn stream(
        &self,
        params: ListParams,
    ) -> impl Stream<Item = Result<Customer, Error>> + Send + Unpin + 'static {
        let first = params
            .query_pairs()
            .and_then(|query| {
                self.client
                    .call(Method::GET, "/customers", &[Lit("customers")], &query)
            })
            .map(|c| c.url);
        self.client.stream_items(first, "/customers")
    }

    /// `GET /customers:search` (`key`, `email`, `partner.key`).
    pub async fn search(&self, search: &CustomerSearch) -> Result<Page<Customer>, Error> {
        let call = self.client.call(
            Method::GET,
            "/customers:search",
            &[Lit("customers:search")],
            &search.query_pairs()?,
        )?;
        self.client.get_page(call.url, call.template).await
    }

    /// `PUT /customers/{key}` with `{"update": {...}}`.
    pub async fn update(&self, key: &str, update: &CustomerUpdate) -> Result<Customer, Error> {
        let call = self.client.call_with_body(
            Method::PUT,
            "/customers/{key}",
            &[Lit("customers"), Key(key)],
            &UpdateBody { update },
        )?;
        self.client.send(&call, RetryRule::Idempotent).await?.data()
    }

    /// `DELETE /customers/{key}`.
    pub async fn delete(&self, key: &str) -> Result<(), Error> {
        let call = self.client.call(
            Method::DELETE,
            "/customers/{key}",
            &[Lit("customers"), Key(key)],
            &[],
        )?;
        self.client.send_delete(&call).await
    }

    /// `GET /customers/{key}/transactions`: one page.
    pub async fn transactions(
        &self,
        key: &str,
        params: ListParams,
    ) -> Result<Page<Transaction>, Error> {
        let call = self.client.call(
            Method::GET,
            "/customers/{key}/transactions",
            &[Lit("customers"), Key(key), Lit("transactions")],
            &params.query_pairs()?,
        )?;
        self.client.get_page(call.url, call.template).await
    }

    /// Every transaction of a customer.
    pub fn stream_transactions(
        &self,
        key: &str,
        params: ListParams,
    ) -> impl Stream<Item = Result<Transaction, Error>> + Send + Unpin + 'static {
        let first = params
            .query_pairs()
            .and_then(|query| {
                self.client.call(
                    Method::GET,
                    "/customers/{key}/transactions",
                    &[Lit("customers"), Key(key), Lit("transactions")],
                    &query,
                )
            })
            .map(|c| c.url);
        self.client
            .stream_items(first, "/customers/{key}/transactions")
    }

    /// `GET /customers/{key}/referrals` (refer-a-friend): one page of referred customers.
    pub async fn referrals(&self, key: &str, params: ListParams) -> Result<Page<Customer>, Error> {
        let call = self.client.call(
            Method::GET,
            "/customers/{key}/referrals",
            &[Lit("customers"), Key(key), Lit("referrals")],
            &params.query_pairs()?,
        )?;
        self.client.get_page(call.url, call.template).await
    }

    /// `GET /customers/{key}/stats` (refer-a-friend).
    pub async fn stats(&self, key: &str) -> Result<CustomerStats, Error> {
        let call = self.client.call(
            Method::GET,
            "/customers/{key}/stats",
            &[Lit("customers"), Key(key), Lit("stats")],
            &[],
        )?;
        self.client.send(&call, RetryRule::Idempotent).await?.data()
    }

    /// `GET /customers/{key}/balance` (refer-a-friend).
    pub async fn balance(&self, key: &str) -> Result<Balance, Error> {
        let call = self.client.call(
            Method::GET,
            "/customers/{key}/balance",
            &[Lit("customers"), Key(key), Lit("balance")],
            &[],
        )?;
        let response = self.client.send(&call, RetryRule::Idempotent).await?;
        decode_balance(&response)
    }

    /// `POST /customers/{key}/balance/credit` (refer-a-friend): a manual reward.
    ///
    /// Retried only when the connection could not be established (a resend could credit twice).
    /// Returns the balance when the answer carries one, otherwise an empty [`Balance`].
    pub async fn credit_balance(
        &self,
        key: &str,
        credit: &BalanceCredit,
    ) -> Result<Balance, Error> {
        let call = self.client.call_with_body(
            Method::POST,
            "/customers/{key}/balance/credit",
            &[Lit("customers"), Key(key), Lit("balance"), Lit("credit")],
            credit,
        )?;
        let response = self.client.send(&call, RetryRule::ConnectOnly).await?;
        decode_balance(&response)
    }
}

fn decode_balance(response: &super::transport::Response) -> Result<Balance, Error> {
    let data: serde_json::Value = response.data_or_default()?;
    Ok(serde_json::from_value(unnest(data)).unwrap_or_default())
}
