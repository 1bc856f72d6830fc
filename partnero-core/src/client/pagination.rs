//! Walking a list: fetch one [`Page`], or stream every item by following `links.next`.
//!
//! The stream only follows a `links.next` whose scheme, host and port match the configured
//! base URL; any other link ends the stream with [`Error::ForeignNextLink`] and is never
//! requested, so the Bearer token never leaves for another host.

use futures_core::Stream;
use reqwest::Method;
use serde::de::DeserializeOwned;
use url::Url;

use super::Partnero;
use super::transport::{Call, RetryRule};
use crate::Error;
use crate::model::Page;

impl Partnero {
    /// `GET` one page.
    pub(crate) async fn get_page<T: DeserializeOwned>(
        &self,
        url: Url,
        template: &'static str,
    ) -> Result<Page<T>, Error> {
        let call = Call {
            method: Method::GET,
            template,
            url,
            body: None,
        };
        self.send(&call, RetryRule::Idempotent).await?.json()
    }

    /// Streams every item (boxed, so it is `Unpin`), starting at `first` and following `links.next`. An `Err` in
    /// `first` (an invalid key) is yielded as the only item.
    pub(crate) fn stream_items<T>(
        &self,
        first: Result<Url, Error>,
        template: &'static str,
    ) -> impl Stream<Item = Result<T, Error>> + Send + Unpin + 'static
    where
        T: DeserializeOwned + Send + Unpin + 'static,
    {
        let (next, pending_error) = match first {
            Ok(url) => (Some(url), None),
            Err(error) => (None, Some(error)),
        };
        let limit = next.as_ref().and_then(|url| {
            url.query_pairs()
                .find(|(k, _)| k == "limit")
                .map(|(_, v)| v.into_owned())
        });
        let state = Walk {
            client: self.clone(),
            template,
            limit,
            next,
            items: Vec::new().into_iter(),
            pending_error,
        };
        Box::pin(futures_util::stream::unfold(state, |mut walk| async move {
            loop {
                if let Some(item) = walk.items.next() {
                    return Some((Ok(item), walk));
                }
                if let Some(error) = walk.pending_error.take() {
                    return Some((Err(error), walk));
                }
                let url = walk.next.take()?;
                match walk.client.get_page::<T>(url.clone(), walk.template).await {
                    Ok(page) => {
                        let empty = page.data.is_empty();
                        walk.items = page.data.into_iter();
                        if let Some(next) = page.links.next.filter(|_| !empty) {
                            match walk.client.follow(&url, &next, walk.limit.as_deref()) {
                                Ok(Some(next)) => walk.next = Some(next),
                                Ok(None) => {}
                                Err(error) => walk.pending_error = Some(error),
                            }
                        }
                    }
                    Err(error) => return Some((Err(error), walk)),
                }
            }
        }))
    }

    /// Resolves a `links.next` against the current page: `Ok(None)` when it points back to
    /// the current page (a loop), an error when it leaves the configured origin.
    fn follow(&self, current: &Url, next: &str, limit: Option<&str>) -> Result<Option<Url>, Error> {
        let mut url = current.join(next).map_err(|e| Error::Decode {
            status: 200,
            reason: format!("links.next is not a URL: {e}"),
            snippet: next.chars().take(200).collect(),
        })?;
        let base = &self.inner.base_url;
        let same_origin = url.scheme() == base.scheme()
            && url.host_str() == base.host_str()
            && url.port_or_known_default() == base.port_or_known_default();
        if !same_origin {
            tracing::warn!(
                origin = %url.origin().ascii_serialization(),
                "not following links.next to another origin"
            );
            return Err(Error::ForeignNextLink {
                origin: url.origin().ascii_serialization(),
            });
        }
        if let Some(limit) = limit {
            if !url.query_pairs().any(|(k, _)| k == "limit") {
                url.query_pairs_mut().append_pair("limit", limit);
            }
        }
        url.set_fragment(None);
        Ok((url != *current).then_some(url))
    }
}

/// The state of a stream.
struct Walk<T> {
    client: Partnero,
    template: &'static str,
    limit: Option<String>,
    next: Option<Url>,
    items: std::vec::IntoIter<T>,
    pending_error: Option<Error>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Partnero {
        Partnero::builder("k")
            .base_url("http://127.0.0.1:8080/v1/")
            .build()
            .unwrap()
    }

    #[test]
    fn follows_same_origin_links_and_keeps_the_limit() {
        let c = client();
        let current = Url::parse("http://127.0.0.1:8080/v1/customers?limit=5").unwrap();
        let next = c
            .follow(
                &current,
                "http://127.0.0.1:8080/v1/customers?page=2",
                Some("5"),
            )
            .unwrap()
            .unwrap();
        assert_eq!(
            next.as_str(),
            "http://127.0.0.1:8080/v1/customers?page=2&limit=5"
        );
        let relative = c
            .follow(&current, "/v1/customers?page=3&limit=5", Some("5"))
            .unwrap()
            .unwrap();
        assert_eq!(
            relative.as_str(),
            "http://127.0.0.1:8080/v1/customers?page=3&limit=5"
        );
        assert_eq!(
            c.follow(&current, current.as_str(), Some("5")).unwrap(),
            None
        );
    }

    #[test]
    fn refuses_other_origins() {
        let c = client();
        let current = Url::parse("http://127.0.0.1:8080/v1/customers").unwrap();
        for foreign in [
            "http://127.0.0.1:8081/v1/customers?page=2",
            "https://127.0.0.1:8080/v1/customers?page=2",
            "http://evil.example/v1/customers?page=2",
            "//evil.example/v1/customers?page=2",
        ] {
            assert!(
                matches!(
                    c.follow(&current, foreign, None),
                    Err(Error::ForeignNextLink { .. })
                ),
                "{foreign}"
            );
        }
    }
}
