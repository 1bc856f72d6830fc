//! `/customers` endpoints (affiliate and refer-a-friend).

use futures_core::Stream;
use reqwest::Method;
use serde::Serialize;

use super::Partnero;
use super::collection::Collection;
use super::endpoint::Endpoint;
use super::transport::RetryRule;
use crate::Error;
use crate::model::balance::unnest;
use crate::model::{
    Balance, BalanceCredit, Customer, CustomerInvite, CustomerSearch, CustomerStats,
    CustomerUpdate, ListParams, NewCustomer, Page, ReferralLink, Transaction,
};

const CUSTOMERS: Collection<Customer> = Collection::new("/customers", "/customers/{key}");
const TRANSACTIONS: Endpoint = Endpoint::new(Method::GET, "/customers/{key}/transactions");
const REFERRAL_LINKS: Endpoint = Endpoint::new(Method::GET, "/customers/{key}/referral_links");
const SEARCH: Endpoint = Endpoint::new(Method::GET, "/customers:search");
const REFERRALS: Endpoint = Endpoint::new(Method::GET, "/customers/{key}/referrals");

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
        let call = self
            .client
            .call_with_body(&CUSTOMERS.endpoint(Method::POST), &[], customer)?;
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
        CUSTOMERS.get(self.client, key).await
    }

    /// `GET /customers?page=&limit=`: one page.
    pub async fn list(&self, params: ListParams) -> Result<Page<Customer>, Error> {
        CUSTOMERS.list(self.client, params).await
    }

    /// Every customer, page after page (starting at `params.page`).
    pub fn stream(
        &self,
        params: ListParams,
    ) -> impl Stream<Item = Result<Customer, Error>> + Send + Unpin + 'static {
        CUSTOMERS.stream(self.client, params)
    }

    /// `GET /customers` with filters (`partner.key`, `refer_status`, ...): one page.
    pub async fn list_matching(&self, search: &CustomerSearch) -> Result<Page<Customer>, Error> {
        self.client
            .page(&CUSTOMERS.endpoint(Method::GET), &[], search.query_pairs())
            .await
    }

    /// Every customer the filters match, page after page.
    pub fn stream_matching(
        &self,
        search: &CustomerSearch,
    ) -> impl Stream<Item = Result<Customer, Error>> + Send + Unpin + 'static {
        self.client
            .stream_items(&CUSTOMERS.endpoint(Method::GET), &[], search.query_pairs())
    }

    /// `GET /customers:search` (`key`, `email`, `partner.key`, `refer_status`).
    pub async fn search(&self, search: &CustomerSearch) -> Result<Page<Customer>, Error> {
        self.client.page(&SEARCH, &[], search.query_pairs()).await
    }

    /// Every customer `GET /customers:search` finds, page after page.
    pub fn stream_search(
        &self,
        search: &CustomerSearch,
    ) -> impl Stream<Item = Result<Customer, Error>> + Send + Unpin + 'static {
        self.client.stream_items(&SEARCH, &[], search.query_pairs())
    }

    /// `PUT /customers/{key}` with `{"update": {...}}`.
    pub async fn update(&self, key: &str, update: &CustomerUpdate) -> Result<Customer, Error> {
        CUSTOMERS
            .update(self.client, key, &UpdateBody { update })
            .await
    }

    /// `DELETE /customers/{key}`.
    pub async fn delete(&self, key: &str) -> Result<(), Error> {
        CUSTOMERS.delete(self.client, key).await
    }

    /// `GET /customers/{key}/transactions`: one page.
    pub async fn transactions(
        &self,
        key: &str,
        params: ListParams,
    ) -> Result<Page<Transaction>, Error> {
        self.client
            .page(&TRANSACTIONS, &[key], params.query_pairs())
            .await
    }

    /// Every transaction of a customer.
    pub fn stream_transactions(
        &self,
        key: &str,
        params: ListParams,
    ) -> impl Stream<Item = Result<Transaction, Error>> + Send + Unpin + 'static {
        self.client
            .stream_items(&TRANSACTIONS, &[key], params.query_pairs())
    }

    /// `GET /customers/{key}/referrals` (refer-a-friend): one page of referred customers.
    pub async fn referrals(&self, key: &str, params: ListParams) -> Result<Page<Customer>, Error> {
        self.client
            .page(&REFERRALS, &[key], params.query_pairs())
            .await
    }

    /// Every customer this one referred (refer-a-friend), page after page.
    pub fn stream_referrals(
        &self,
        key: &str,
        params: ListParams,
    ) -> impl Stream<Item = Result<Customer, Error>> + Send + Unpin + 'static {
        self.client
            .stream_items(&REFERRALS, &[key], params.query_pairs())
    }

    /// `GET /customers/{key}/stats` (refer-a-friend).
    pub async fn stats(&self, key: &str) -> Result<CustomerStats, Error> {
        let stats = Endpoint::new(Method::GET, "/customers/{key}/stats");
        self.client.fetch(&stats, &[key]).await
    }

    /// `GET /customers/{key}/balance` (refer-a-friend).
    pub async fn balance(&self, key: &str) -> Result<Balance, Error> {
        let balance = Endpoint::new(Method::GET, "/customers/{key}/balance");
        let call = self.client.call(&balance, &[key], &[])?;
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
        let credit_endpoint = Endpoint::new(Method::POST, "/customers/{key}/balance/credit");
        let call = self
            .client
            .call_with_body(&credit_endpoint, &[key], credit)?;
        let response = self.client.send(&call, RetryRule::ConnectOnly).await?;
        decode_balance(&response)
    }
}

impl Customers<'_> {
    /// `POST /customers/{key}/archive`.
    pub async fn archive(&self, key: &str) -> Result<(), Error> {
        CUSTOMERS
            .action(self.client, "/customers/{key}/archive", key)
            .await
    }

    /// `POST /customers/{key}/revoke-archive`.
    pub async fn revoke_archive(&self, key: &str) -> Result<(), Error> {
        CUSTOMERS
            .action(self.client, "/customers/{key}/revoke-archive", key)
            .await
    }

    /// `POST /customers:invite`: creates the customer (or finds it by key or e-mail) and has
    /// Partnero e-mail it an invitation, with `personalization` values for the template.
    ///
    /// Retried only when the connection could not be established (a resend could invite twice).
    pub async fn invite(&self, invite: &CustomerInvite) -> Result<Customer, Error> {
        let endpoint = Endpoint::new(Method::POST, "/customers:invite");
        let call = self.client.call_with_body(&endpoint, &[], invite)?;
        self.client
            .send(&call, RetryRule::ConnectOnly)
            .await?
            .data()
    }

    /// `GET /customers/{key}/referral_links` (refer-a-friend): one page of the customer's
    /// referral links, the default one first.
    pub async fn referral_links(
        &self,
        key: &str,
        params: ListParams,
    ) -> Result<Page<ReferralLink>, Error> {
        self.client
            .page(&REFERRAL_LINKS, &[key], params.query_pairs())
            .await
    }

    /// Every referral link of a customer.
    pub fn stream_referral_links(
        &self,
        key: &str,
        params: ListParams,
    ) -> impl Stream<Item = Result<ReferralLink, Error>> + Send + Unpin + 'static {
        self.client
            .stream_items(&REFERRAL_LINKS, &[key], params.query_pairs())
    }
}

fn decode_balance(response: &super::transport::Response) -> Result<Balance, Error> {
    let data: serde_json::Value = response.data_or_default()?;
    Ok(serde_json::from_value(unnest(data)).unwrap_or_default())
}
