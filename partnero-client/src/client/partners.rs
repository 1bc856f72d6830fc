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
    ListParams, ManualReward, NewPartner, Page, Partner, PartnerLookup, PartnerReward,
    PartnerSearch, PartnerUpdate, ReferralLink, SignInRequest, SignInUrl,
};

const PARTNERS: Collection<Partner> = Collection::new("/partners", "/partners/{id}");
const REFERRAL_LINKS: Endpoint = Endpoint::new(Method::GET, "/partners/{id}/referral_links");
const SEARCH: Endpoint = Endpoint::new(Method::GET, "/partners:search");

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
        self.client.page(&SEARCH, &[], search.query_pairs()).await
    }

    /// Every partner `GET /partners:search` finds, page after page.
    pub fn stream_search(
        &self,
        search: &PartnerSearch,
    ) -> impl Stream<Item = Result<Partner, Error>> + Send + Unpin + 'static {
        self.client.stream_items(&SEARCH, &[], search.query_pairs())
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

    /// `GET /partners/{id}/referral_links`: all of the partner's links on one list (the
    /// default one first). Reads a plain list, or a paginated one whole (every page, following
    /// `links.next`); [`referral_links_page`](Self::referral_links_page) reads one page.
    pub async fn referral_links(&self, id: &str) -> Result<Vec<ReferralLink>, Error> {
        let call = self.client.call(&REFERRAL_LINKS, &[id], &[])?;
        let response = self.client.send(&call, RetryRule::Idempotent).await?;
        let more_pages = response
            .json::<serde_json::Value>()
            .is_ok_and(|body| body["links"]["next"].is_string());
        if more_pages {
            return futures_util::TryStreamExt::try_collect(
                self.stream_referral_links(id, ListParams::new()),
            )
            .await;
        }
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

    /// `GET /partners/{id}/referral_links?page=&limit=`: one page of the partner's links.
    pub async fn referral_links_page(
        &self,
        id: &str,
        params: ListParams,
    ) -> Result<Page<ReferralLink>, Error> {
        self.client
            .page(&REFERRAL_LINKS, &[id], params.query_pairs())
            .await
    }

    /// Every referral link of a partner, page after page.
    pub fn stream_referral_links(
        &self,
        id: &str,
        params: ListParams,
    ) -> impl Stream<Item = Result<ReferralLink, Error>> + Send + Unpin + 'static {
        self.client
            .stream_items(&REFERRAL_LINKS, &[id], params.query_pairs())
    }

    /// `POST /partners/{id}/archive`.
    pub async fn archive(&self, id: &str) -> Result<(), Error> {
        PARTNERS
            .action(self.client, "/partners/{id}/archive", id)
            .await
    }

    /// `POST /partners/{id}/revoke-archive`.
    pub async fn revoke_archive(&self, id: &str) -> Result<(), Error> {
        PARTNERS
            .action(self.client, "/partners/{id}/revoke-archive", id)
            .await
    }

    /// `POST /partners/{id}/reward`: adds a manual reward to the partner's balance.
    ///
    /// Retried only when the connection could not be established: a resend would reward twice.
    pub async fn reward(&self, id: &str, reward: &PartnerReward) -> Result<ManualReward, Error> {
        let endpoint = Endpoint::new(Method::POST, "/partners/{id}/reward");
        let call = self.client.call_with_body(&endpoint, &[id], reward)?;
        self.client
            .send(&call, RetryRule::ConnectOnly)
            .await?
            .data_or_default()
    }

    /// `POST /partners:sign-in-url`: a short-lived link that signs the partner in to the
    /// partner portal. Treat it like a password (its `Debug` is redacted).
    pub async fn sign_in_url(&self, request: &SignInRequest) -> Result<SignInUrl, Error> {
        let endpoint = Endpoint::new(Method::POST, "/partners:sign-in-url");
        let call = self.client.call_with_body(&endpoint, &[], request)?;
        self.client
            .send(&call, RetryRule::ConnectOnly)
            .await?
            .data()
    }

    /// `GET /partner?key=|email=|id=`: one partner by referral key, e-mail or id
    /// ([`Error::NotFound`] when there is none).
    pub async fn look_up(&self, lookup: &PartnerLookup) -> Result<Partner, Error> {
        let endpoint = Endpoint::new(Method::GET, "/partner");
        let call = self.client.call(&endpoint, &[], &lookup.query_pairs()?)?;
        self.client.send(&call, RetryRule::Idempotent).await?.data()
    }
}
