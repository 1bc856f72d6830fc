//! `/webhooks` endpoints: subscriptions to Partnero events.

use futures_core::Stream;
use reqwest::Method;

use super::Partnero;
use super::path::Part::{Key, Lit};
use super::transport::RetryRule;
use crate::Error;
use crate::model::{ListParams, NewWebhook, Page, Webhook, WebhookUpdate};

/// Webhook endpoints; get one with [`Partnero::webhooks`].
#[derive(Debug, Clone, Copy)]
pub struct Webhooks<'a> {
    client: &'a Partnero,
}

impl<'a> Webhooks<'a> {
    pub(crate) fn new(client: &'a Partnero) -> Self {
        Self { client }
    }

    /// `POST /webhooks`. The answer's [`Webhook::signature`] is the signing secret for
    /// deliveries. Retried only when the connection could not be established.
    pub async fn create(&self, webhook: &NewWebhook) -> Result<Webhook, Error> {
        let call =
            self.client
                .call_with_body(Method::POST, "/webhooks", &[Lit("webhooks")], webhook)?;
        self.client
            .send(&call, RetryRule::ConnectOnly)
            .await?
            .data()
    }

    /// `GET /webhooks/{key}`.
    pub async fn get(&self, key: &str) -> Result<Webhook, Error> {
        let call = self.client.call(
            Method::GET,
            "/webhooks/{key}",
            &[Lit("webhooks"), Key(key)],
            &[],
        )?;
        self.client.send(&call, RetryRule::Idempotent).await?.data()
    }

    /// `GET /webhooks?page=&limit=`: one page.
    pub async fn list(&self, params: ListParams) -> Result<Page<Webhook>, Error> {
        let call = self.client.call(
            Method::GET,
            "/webhooks",
            &[Lit("webhooks")],
            &params.query_pairs()?,
        )?;
        self.client.get_page(call.url, call.template).await
    }

    /// Every webhook, page after page.
    pub fn stream(
        &self,
        params: ListParams,
    ) -> impl Stream<Item = Result<Webhook, Error>> + Send + Unpin + 'static {
        let first = params
            .query_pairs()
            .and_then(|query| {
                self.client
                    .call(Method::GET, "/webhooks", &[Lit("webhooks")], &query)
            })
            .map(|c| c.url);
        self.client.stream_items(first, "/webhooks")
    }

    /// `PUT /webhooks/{key}`.
    pub async fn update(&self, key: &str, update: &WebhookUpdate) -> Result<Webhook, Error> {
        let call = self.client.call_with_body(
            Method::PUT,
            "/webhooks/{key}",
            &[Lit("webhooks"), Key(key)],
            update,
        )?;
        self.client.send(&call, RetryRule::Idempotent).await?.data()
    }

    /// `DELETE /webhooks/{key}`.
    pub async fn delete(&self, key: &str) -> Result<(), Error> {
        let call = self.client.call(
            Method::DELETE,
            "/webhooks/{key}",
            &[Lit("webhooks"), Key(key)],
            &[],
        )?;
        self.client.send_delete(&call).await
    }
}
