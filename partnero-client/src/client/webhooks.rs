//! `/webhooks` endpoints: subscriptions to Partnero events.

use futures_core::Stream;

use super::Partnero;
use super::collection::Collection;
use crate::Error;
use crate::model::{ListParams, NewWebhook, Page, Webhook, WebhookUpdate};

const WEBHOOKS: Collection<Webhook> = Collection::new("/webhooks", "/webhooks/{key}");

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
        WEBHOOKS.create(self.client, webhook).await
    }

    /// `GET /webhooks/{key}`.
    pub async fn get(&self, key: &str) -> Result<Webhook, Error> {
        WEBHOOKS.get(self.client, key).await
    }

    /// `GET /webhooks?page=&limit=`: one page.
    pub async fn list(&self, params: ListParams) -> Result<Page<Webhook>, Error> {
        WEBHOOKS.list(self.client, params).await
    }

    /// Every webhook, page after page.
    pub fn stream(
        &self,
        params: ListParams,
    ) -> impl Stream<Item = Result<Webhook, Error>> + Send + Unpin + 'static {
        WEBHOOKS.stream(self.client, params)
    }

    /// `PUT /webhooks/{key}`.
    pub async fn update(&self, key: &str, update: &WebhookUpdate) -> Result<Webhook, Error> {
        WEBHOOKS.update(self.client, key, update).await
    }

    /// `DELETE /webhooks/{key}`.
    pub async fn delete(&self, key: &str) -> Result<(), Error> {
        WEBHOOKS.delete(self.client, key).await
    }
}
