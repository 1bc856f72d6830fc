//! `/partner_referral_links` (affiliate) and `/customer_referral_links` (refer-a-friend):
//! additional referral links, with search and the domains they may use. Both collections have
//! the same endpoints; [`ReferralLinks`] serves either.

use futures_core::Stream;
use reqwest::Method;

use super::Partnero;
use super::collection::Collection;
use super::endpoint::Endpoint;
use crate::Error;
use crate::model::{
    Domain, ListParams, NewReferralLink, Page, ReferralLink, ReferralLinkSearch, ReferralLinkUpdate,
};

/// One of the two link collections: its paths.
pub(crate) struct LinkPaths {
    links: Collection<ReferralLink>,
    search: Endpoint,
    domains: Endpoint,
}

pub(crate) static PARTNER_LINKS: LinkPaths = LinkPaths {
    links: Collection::new("/partner_referral_links", "/partner_referral_links/{id}"),
    search: Endpoint::new(Method::GET, "/partner_referral_links:search"),
    domains: Endpoint::new(Method::GET, "/partner_referral_links:domains"),
};

pub(crate) static CUSTOMER_LINKS: LinkPaths = LinkPaths {
    links: Collection::new("/customer_referral_links", "/customer_referral_links/{id}"),
    search: Endpoint::new(Method::GET, "/customer_referral_links:search"),
    domains: Endpoint::new(Method::GET, "/customer_referral_links:domains"),
};

impl std::fmt::Debug for LinkPaths {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkPaths")
            .field("search", &self.search.template)
            .finish_non_exhaustive()
    }
}

/// Referral link endpoints; get one with [`Partnero::partner_referral_links`] or
/// [`Partnero::customer_referral_links`].
///
/// ```no_run
/// use partnero_client::{ListParams, NewReferralLink, Partnero};
///
/// # async fn run(client: Partnero) -> Result<(), partnero_client::Error> {
/// let links = client.partner_referral_links();
/// let domain = links.domains(ListParams::new()).await?.data.first().and_then(|d| d.id);
/// let mut link = NewReferralLink::for_partner_key("spring-sale", "demo-partner");
/// if let Some(id) = domain {
///     link = link.domain_id(id);
/// }
/// let created = links.create(&link).await?;
/// println!("share {:?}", created.url);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ReferralLinks<'a> {
    client: &'a Partnero,
    paths: &'static LinkPaths,
}

impl<'a> ReferralLinks<'a> {
    pub(crate) fn new(client: &'a Partnero, paths: &'static LinkPaths) -> Self {
        Self { client, paths }
    }

    /// `POST`: a new link for the owner the request names. Retried only when the connection
    /// could not be established.
    pub async fn create(&self, link: &NewReferralLink) -> Result<ReferralLink, Error> {
        self.paths.links.create(self.client, link).await
    }

    /// `GET .../{id}`.
    pub async fn get(&self, id: &str) -> Result<ReferralLink, Error> {
        self.paths.links.get(self.client, id).await
    }

    /// `PUT .../{id}`.
    pub async fn update(
        &self,
        id: &str,
        update: &ReferralLinkUpdate,
    ) -> Result<ReferralLink, Error> {
        self.paths.links.update(self.client, id, update).await
    }

    /// `DELETE .../{id}`.
    pub async fn delete(&self, id: &str) -> Result<(), Error> {
        self.paths.links.delete(self.client, id).await
    }

    /// `GET ...:search` (`id` or `key`): one page.
    pub async fn search(&self, search: &ReferralLinkSearch) -> Result<Page<ReferralLink>, Error> {
        self.client
            .page(&self.paths.search, &[], search.query_pairs())
            .await
    }

    /// Every link `GET ...:search` finds, page after page.
    pub fn stream_search(
        &self,
        search: &ReferralLinkSearch,
    ) -> impl Stream<Item = Result<ReferralLink, Error>> + Send + Unpin + 'static {
        self.client
            .stream_items(&self.paths.search, &[], search.query_pairs())
    }

    /// `GET ...:domains`: one page of the domains links may use (Partnero's default page size
    /// here is 10).
    pub async fn domains(&self, params: ListParams) -> Result<Page<Domain>, Error> {
        self.client
            .page(&self.paths.domains, &[], params.query_pairs())
            .await
    }

    /// Every domain links may use, page after page.
    pub fn stream_domains(
        &self,
        params: ListParams,
    ) -> impl Stream<Item = Result<Domain, Error>> + Send + Unpin + 'static {
        self.client
            .stream_items(&self.paths.domains, &[], params.query_pairs())
    }
}
