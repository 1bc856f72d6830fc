//! The shape every collection shares (`/customers`, `/partners`, `/webhooks`, `/transactions`):
//! get, list, stream, update and delete, written once.

use std::marker::PhantomData;

use futures_core::Stream;
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Partnero;
use super::endpoint::Endpoint;
use super::transport::RetryRule;
use crate::Error;
use crate::model::{ListParams, Page};

/// A collection of `T`: its path (`/customers`) and its item path (`/customers/{key}`).
pub(crate) struct Collection<T> {
    path: &'static str,
    item: &'static str,
    items: PhantomData<fn() -> T>,
}

impl<T> Collection<T> {
    pub(crate) const fn new(path: &'static str, item: &'static str) -> Self {
        Self {
            path,
            item,
            items: PhantomData,
        }
    }

    /// `method` on the collection's path (`POST /customers`).
    pub(crate) const fn endpoint(&self, method: Method) -> Endpoint {
        Endpoint::new(method, self.path)
    }

    /// `method` on the item path (`GET /customers/{key}`).
    pub(crate) const fn item(&self, method: Method) -> Endpoint {
        Endpoint::new(method, self.item)
    }
}

impl<T: DeserializeOwned + Send + Unpin + 'static> Collection<T> {
    /// `POST` to the collection, retried only when the connection could not be established.
    pub(crate) async fn create<B: Serialize + ?Sized>(
        &self,
        client: &Partnero,
        body: &B,
    ) -> Result<T, Error> {
        let call = client.call_with_body(&self.endpoint(Method::POST), &[], body)?;
        client.send(&call, RetryRule::ConnectOnly).await?.data()
    }

    /// `GET` one item.
    pub(crate) async fn get(&self, client: &Partnero, key: &str) -> Result<T, Error> {
        client.fetch(&self.item(Method::GET), &[key]).await
    }

    /// `GET` one page.
    pub(crate) async fn list(
        &self,
        client: &Partnero,
        params: ListParams,
    ) -> Result<Page<T>, Error> {
        client
            .page(&self.endpoint(Method::GET), &[], params.query_pairs())
            .await
    }

    /// Every item, page after page (starting at `params.page`).
    pub(crate) fn stream(
        &self,
        client: &Partnero,
        params: ListParams,
    ) -> impl Stream<Item = Result<T, Error>> + Send + Unpin + 'static + use<T> {
        client.stream_items(&self.endpoint(Method::GET), &[], params.query_pairs())
    }

    /// `PUT` one item.
    pub(crate) async fn update<B: Serialize + ?Sized>(
        &self,
        client: &Partnero,
        key: &str,
        body: &B,
    ) -> Result<T, Error> {
        let call = client.call_with_body(&self.item(Method::PUT), &[key], body)?;
        client.send(&call, RetryRule::Idempotent).await?.data()
    }

    /// `POST` to an action path of one item (`/customers/{key}/archive`), answered
    /// `{"status": 1}`; retried only when the connection could not be established.
    pub(crate) async fn action(
        &self,
        client: &Partnero,
        template: &'static str,
        key: &str,
    ) -> Result<(), Error> {
        let call = client.call(&Endpoint::new(Method::POST, template), &[key], &[])?;
        client.send(&call, RetryRule::ConnectOnly).await?.ok()
    }

    /// `DELETE` one item; a 404 after an ambiguous failure counts as success.
    pub(crate) async fn delete(&self, client: &Partnero, key: &str) -> Result<(), Error> {
        let call = client.call(&self.item(Method::DELETE), &[key], &[])?;
        client.send_delete(&call).await
    }
}
