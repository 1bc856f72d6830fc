//! `/subscribers` endpoints (newsletter programs). Updates and deletes name the subscriber in
//! the body (`{"id" | "email": ...}`), as Partnero's PHP SDK sends them.

use futures_core::Stream;
use reqwest::Method;
use serde::Serialize;

use super::Partnero;
use super::collection::Collection;
use super::endpoint::Endpoint;
use super::transport::RetryRule;
use crate::Error;
use crate::model::{
    NewSubscriber, Page, Subscriber, SubscriberRef, SubscriberSearch, SubscriberUpdate,
};

const SUBSCRIBERS: Collection<Subscriber> = Collection::new("/subscribers", "/subscribers/{id}");
const SEARCH: Endpoint = Endpoint::new(Method::GET, "/subscribers:search");

/// Subscriber endpoints; get one with [`Partnero::subscribers`].
///
/// ```no_run
/// use partnero_client::{NewSubscriber, Partnero, Program, SubscriberRef, SubscriberUpdate};
///
/// # async fn run() -> Result<(), partnero_client::Error> {
/// let client = Partnero::builder("sk_newsletter_key").program(Program::Newsletter).build()?;
/// let subscriber = client
///     .subscribers()
///     .create(&NewSubscriber::new("ada@example.com").tos(true).referred_by_email("grace@example.com"))
///     .await?;
/// println!("share {:?}", subscriber.referral_link);
/// client
///     .subscribers()
///     .update(&SubscriberRef::by_email("ada@example.com"), &SubscriberUpdate::new().name("Ada"))
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Subscribers<'a> {
    client: &'a Partnero,
}

#[derive(Serialize)]
struct UpdateBody<'a> {
    #[serde(flatten)]
    subscriber: &'a SubscriberRef,
    update: &'a SubscriberUpdate,
}

impl<'a> Subscribers<'a> {
    pub(crate) fn new(client: &'a Partnero) -> Self {
        Self { client }
    }

    /// `POST /subscribers`. Retried only when the connection could not be established.
    pub async fn create(&self, subscriber: &NewSubscriber) -> Result<Subscriber, Error> {
        SUBSCRIBERS.create(self.client, subscriber).await
    }

    /// `GET /subscribers/{id-or-email}`: by Partnero id, your identifier, or e-mail.
    pub async fn get(&self, id_or_email: &str) -> Result<Subscriber, Error> {
        SUBSCRIBERS.get(self.client, id_or_email).await
    }

    /// `GET /subscribers` (`refer_status`, `page`, `limit` 10..=250): one page.
    pub async fn list(&self, search: &SubscriberSearch) -> Result<Page<Subscriber>, Error> {
        self.client
            .page(
                &SUBSCRIBERS.endpoint(Method::GET),
                &[],
                search.query_pairs(),
            )
            .await
    }

    /// Every subscriber the search matches, page after page.
    pub fn stream(
        &self,
        search: &SubscriberSearch,
    ) -> impl Stream<Item = Result<Subscriber, Error>> + Send + Unpin + 'static {
        self.client.stream_items(
            &SUBSCRIBERS.endpoint(Method::GET),
            &[],
            search.query_pairs(),
        )
    }

    /// `GET /subscribers:search` (`id`, `email`): one page.
    pub async fn search(&self, search: &SubscriberSearch) -> Result<Page<Subscriber>, Error> {
        self.client.page(&SEARCH, &[], search.query_pairs()).await
    }

    /// Every subscriber `GET /subscribers:search` finds, page after page.
    pub fn stream_search(
        &self,
        search: &SubscriberSearch,
    ) -> impl Stream<Item = Result<Subscriber, Error>> + Send + Unpin + 'static {
        self.client.stream_items(&SEARCH, &[], search.query_pairs())
    }

    /// `PUT /subscribers` with `{"id" | "email": ..., "update": {...}}`.
    pub async fn update(
        &self,
        subscriber: &SubscriberRef,
        update: &SubscriberUpdate,
    ) -> Result<Subscriber, Error> {
        let body = UpdateBody { subscriber, update };
        let call = self
            .client
            .call_with_body(&SUBSCRIBERS.endpoint(Method::PUT), &[], &body)?;
        self.client.send(&call, RetryRule::Idempotent).await?.data()
    }

    /// `DELETE /subscribers` with `{"id" | "email": ...}`; a 404 after an ambiguous failure
    /// counts as success.
    pub async fn delete(&self, subscriber: &SubscriberRef) -> Result<(), Error> {
        let call =
            self.client
                .call_with_body(&SUBSCRIBERS.endpoint(Method::DELETE), &[], subscriber)?;
        self.client.send_delete(&call).await
    }
}
