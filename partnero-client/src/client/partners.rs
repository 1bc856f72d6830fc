//! `/partners` endpoints (affiliate programs). Paths take the partner's **id**, not its
//! referral key.

use futures_core::Stream;
use reqwest::Method;
use serde::Serialize;

use super::Partnero;
use super::collection::Collection;
use super::endpoint::Endpoint;
use super::transport::RetryRule;
use crate::Error;
use crate::model::{
    ListParams, NewPartner, Page, Partner, PartnerSearch, PartnerUpdate, ReferralLink,
};

const PARTNERS: Collection<Partner> = Collection::new("/partners", "/partners/{id}");

/// Partner endpoints; get one with [`Partnero::partners`].
#[derive(Debug, Clone, Copy)]
pub struct Partners<'a> {
    client: &'a Partnero,
}

#[derive(Serialize)]
struct UpdateBody<'a> {
    update: &'a PartnerUpdate,
}

impl<'a> Partners<'a> {
    pub(crate) fn new(client: &'a Partnero) -> Self {
        Self { client }
    }

    /// `POST /partners`. Retried only when the connection could not be established.
    pub async fn create(&self, partner: &NewPartner) -> Result<Partner, Error> {
        PARTNERS.create(self.client, partner).await
    }

    /// `GET /partners/{id}`.
    pub async fn get(&self, id: &str) -> Result<Partner, Error> {
        PARTNERS.get(self.client, id).await
    }

    /// `GET /partners?page=&limit=`: one page.
    pub async fn list(&self, params: ListParams) -> Result<Page<Partner>, Error> {
        PARTNERS.list(self.client, params).await
    }

    /// Every partner, page after page.
    pub fn stream(
        &self,
        params: ListParams,
    ) -> impl Stream<Item = Result<Partner, Error>> + Send + Unpin + 'static {
        PARTNERS.stream(self.client, params)
    }

    /// `GET /partners:search` (`email`, `key`, `id`).
    pub async fn search(&self, search: &PartnerSearch) -> Result<Page<Partner>, Error> {
        let search_endpoint = Endpoint::new(Method::GET, "/partners:search");
        self.client
            .page(&search_endpoint, &[], search.query_pairs())
            .await
    }

    /// `PUT /partners/{id}` with `{"update": {...}}`.
    pub async fn update(&self, id: &str, update: &PartnerUpdate) -> Result<Partner, Error> {
        PARTNERS
            .update(self.client, id, &UpdateBody { update })
            .await
    }

    /// `DELETE /partners/{id}`.
    pub async fn delete(&self, id: &str) -> Result<(), Error> {
        PARTNERS.delete(self.client, id).await
    }

    /// `GET /partners/{id}/referral_links`. Reads a plain list or one page of a list.
    pub async fn referral_links(&self, id: &str) -> Result<Vec<ReferralLink>, Error> {
        let call = self.client.call(
            &Endpoint::new(Method::GET, "/partners/{id}/referral_links"),
            &[id],
            &[],
        )?;
        let response = self.client.send(&call, RetryRule::Idempotent).await?;
        let data: serde_json::Value = response.data_or_default()?;
        let items = match data {
            serde_json::Value::Array(items) => items,
            serde_json::Value::Object(mut map) => match map.remove("referral_links") {
                Some(serde_json::Value::Array(items)) => items,
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        Ok(items
            .into_iter()
            .filter_map(|v| serde_json::from_value(v).ok())
            .collect())
    }
}
