//! `/leads` endpoints (affiliate programs). Lead ids are integers.

use futures_core::Stream;
use reqwest::Method;
use serde::Serialize;

use super::Partnero;
use super::collection::Collection;
use super::endpoint::Endpoint;
use super::transport::RetryRule;
use crate::Error;
use crate::model::{Lead, LeadConversion, ListParams, NewLead, Page};

const LEADS: Collection<Lead> = Collection::new("/leads", "/leads/{id}");

/// Lead endpoints; get one with [`Partnero::leads`].
///
/// ```no_run
/// use rust_decimal::Decimal;
/// use partnero_client::{LeadConversion, NewLead, Partnero};
///
/// # async fn run(client: Partnero) -> Result<(), partnero_client::Error> {
/// let lead = client
///     .leads()
///     .create(&NewLead::for_partner_key("demo-partner").name("Ada").email("ada@example.com"))
///     .await?;
/// if let Some(id) = lead.id {
///     // The prospect bought for 120: the partner earns its commission on that.
///     let conversion = LeadConversion::new(id).commission_transaction_amount(Decimal::new(120, 0));
///     client.leads().convert(&conversion).await?;
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Leads<'a> {
    client: &'a Partnero,
}

#[derive(Serialize)]
struct LeadId {
    id: u64,
}

impl<'a> Leads<'a> {
    pub(crate) fn new(client: &'a Partnero) -> Self {
        Self { client }
    }

    /// `POST /leads`. Retried only when the connection could not be established.
    pub async fn create(&self, lead: &NewLead) -> Result<Lead, Error> {
        LEADS.create(self.client, lead).await
    }

    /// `GET /leads/{id}`.
    pub async fn get(&self, id: u64) -> Result<Lead, Error> {
        LEADS.get(self.client, &id.to_string()).await
    }

    /// `GET /leads?page=&limit=`: one page.
    pub async fn list(&self, params: ListParams) -> Result<Page<Lead>, Error> {
        LEADS.list(self.client, params).await
    }

    /// Every lead, page after page.
    pub fn stream(
        &self,
        params: ListParams,
    ) -> impl Stream<Item = Result<Lead, Error>> + Send + Unpin + 'static {
        LEADS.stream(self.client, params)
    }

    /// `DELETE /leads/{id}`.
    pub async fn delete(&self, id: u64) -> Result<(), Error> {
        LEADS.delete(self.client, &id.to_string()).await
    }

    /// `POST /leads/convert`: the lead became a sale; with
    /// [`commission_transaction_amount`](LeadConversion::commission_transaction_amount) Partnero
    /// pays the partner its commission on that amount. Retried only when the connection could
    /// not be established (a resend must not pay twice).
    pub async fn convert(&self, conversion: &LeadConversion) -> Result<Lead, Error> {
        self.settle("/leads/convert", conversion).await
    }

    /// `POST /leads/reject`.
    pub async fn reject(&self, id: u64) -> Result<Lead, Error> {
        self.settle("/leads/reject", &LeadId { id }).await
    }

    async fn settle<B: Serialize>(&self, template: &'static str, body: &B) -> Result<Lead, Error> {
        let call = self
            .client
            .call_with_body(&Endpoint::new(Method::POST, template), &[], body)?;
        self.client
            .send(&call, RetryRule::ConnectOnly)
            .await?
            .data_or_default()
    }
}
