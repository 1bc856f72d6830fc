//! `/partners` endpoints (affiliate programs). Paths take the partner's **id**, not its
//! referral key.

use futures_core::Stream;
use reqwest::Method;
use serde::Serialize;

use super::Partnero;
use super::path::Part::{Key, Lit};
use super::transport::RetryRule;
use crate::Error;
use crate::model::{
    ListParams, NewPartner, Page, Partner, PartnerSearch, PartnerUpdate, ReferralLink,
};

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
        let call =
            self.client
                .call_with_body(Method::POST, "/partners", &[Lit("partners")], partner)?;
        self.client
            .send(&call, RetryRule::ConnectOnly)
            .await?
            .data()
    }

    /// `GET /partners/{id}`.
    pub async fn get(&self, id: &str) -> Result<Partner, Error> {
        let call = self.client.call(
            Method::GET,
            "/partners/{id}",
            &[Lit("partners"), Key(id)],
            &[],
        )?;
        self.client.send(&call, RetryRule::Idempotent).await?.data()
    }

    /// `GET /partners?page=&limit=`: one page.
    pub async fn list(&self, params: ListParams) -> Result<Page<Partner>, Error> {
        let call = self.client.call(
            Method::GET,
            "/partners",
            &[Lit("partners")],
            &params.query_pairs()?,
        )?;
        self.client.get_page(call.url, call.template).await
    }

    /// Every partner, page after page.
    pub fn stream(
        &self,
        params: ListParams,
    ) -> impl Stream<Item = Result<Partner, Error>> + Send + Unpin + 'static {
        let first = params
            .query_pairs()
            .and_then(|query| {
                self.client
                    .call(Method::GET, "/partners", &[Lit("partners")], &query)
            })
            .map(|c| c.url);
        self.client.stream_items(first, "/partners")
    }

    /// `GET /partners:search` (`email`, `key`, `id`).
    pub async fn search(&self, search: &PartnerSearch) -> Result<Page<Partner>, Error> {
        let call = self.client.call(
            Method::GET,
            "/partners:search",
            &[Lit("partners:search")],
            &search.query_pairs()?,
        )?;
        self.client.get_page(call.url, call.template).await
    }

    /// `PUT /partners/{id}` with `{"update": {...}}`.
    pub async fn update(&self, id: &str, update: &PartnerUpdate) -> Result<Partner, Error> {
        let call = self.client.call_with_body(
            Method::PUT,
            "/partners/{id}",
            &[Lit("partners"), Key(id)],
            &UpdateBody { update },
        )?;
        self.client.send(&call, RetryRule::Idempotent).await?.data()
    }

    /// `DELETE /partners/{id}`.
    pub async fn delete(&self, id: &str) -> Result<(), Error> {
        let call = self.client.call(
            Method::DELETE,
            "/partners/{id}",
            &[Lit("partners"), Key(id)],
            &[],
        )?;
        self.client.send_delete(&call).await
    }

    /// `GET /partners/{id}/referral_links`. Reads a plain list or one page of a list.
    pub async fn referral_links(&self, id: &str) -> Result<Vec<ReferralLink>, Error> {
        let call = self.client.call(
            Method::GET,
            "/partners/{id}/referral_links",
            &[Lit("partners"), Key(id), Lit("referral_links")],
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
