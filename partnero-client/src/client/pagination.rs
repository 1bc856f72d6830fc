//! Walking a list: fetch one [`Page`], or stream every item by following `links.next`.
//!
//! The stream only follows a `links.next` whose scheme, host and port match the configured
//! base URL; any other link ends the stream with [`Error::ForeignNextLink`] and is never
//! requested, so the Bearer token never leaves for another host.
//!
//! A `links.next` equal to the current page ends the stream quietly; one leading back to an
//! earlier page (A -> B -> A), or past 100 000 pages, ends it with
//! [`Error::PaginationLoop`], so a server with broken links cannot make it loop forever.

use std::collections::HashSet;

use futures_core::Stream;
use serde::de::DeserializeOwned;
use url::Url;

use super::Partnero;
use super::endpoint::Endpoint;
use super::transport::{Call, RetryRule};
use crate::Error;
use crate::model::Page;

/// The most pages one stream reads.
pub(crate) const MAX_PAGES: u64 = 100_000;

impl Partnero {
    /// `GET` one page of `endpoint` (placeholders filled by `keys`) with `query`.
    pub(crate) async fn page<T: DeserializeOwned>(
        &self,
        endpoint: &Endpoint,
        keys: &[&str],
        query: Result<Vec<(&'static str, String)>, Error>,
    ) -> Result<Page<T>, Error> {
        let call = self.call(endpoint, keys, &query?)?;
        self.send(&call, RetryRule::Idempotent).await?.json()
    }

    /// Streams every item of `endpoint` (boxed, so it is `Unpin`), starting at the page `query`
    /// asks for and following `links.next`. An invalid key or query is yielded as the only item.
    pub(crate) fn stream_items<T>(
        &self,
        endpoint: &Endpoint,
        keys: &[&str],
        query: Result<Vec<(&'static str, String)>, Error>,
    ) -> impl Stream<Item = Result<T, Error>> + Send + Unpin + 'static + use<T>
    where
        T: DeserializeOwned + Send + Unpin + 'static,
    {
        let first = query.and_then(|query| self.call(endpoint, keys, &query));
        let (next, pending_error) = match first {
            Ok(call) => (Some(call.url), None),
            Err(error) => (None, Some(error)),
        };
        let limit = next.as_ref().and_then(|url| {
            url.query_pairs()
                .find(|(k, _)| k == "limit")
                .map(|(_, v)| v.into_owned())
        });
        let state = Walk {
            client: self.clone(),
            endpoint: endpoint.clone(),
            limit,
            next,
            items: Vec::new().into_iter(),
            pending_error,
            visited: Visited::new(MAX_PAGES),
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
                walk.visited.record(&url);
                let call = Call {
                    endpoint: walk.endpoint.clone(),
                    url: url.clone(),
                    body: None,
                };
                let page = match walk.client.send(&call, RetryRule::Idempotent).await {
                    Ok(response) => response.json::<Page<T>>(),
                    Err(error) => Err(error),
                };
                match page {
                    Ok(page) => {
                        let empty = page.data.is_empty();
                        walk.items = page.data.into_iter();
                        if let Some(next) = page.links.next.filter(|_| !empty) {
                            match walk
                                .client
                                .follow(&url, &next, walk.limit.as_deref())
                                .and_then(|next| next.map(|n| walk.visited.admit(n)).transpose())
                            {
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
    endpoint: Endpoint,
    limit: Option<String>,
    next: Option<Url>,
    items: std::vec::IntoIter<T>,
    pending_error: Option<Error>,
    visited: Visited,
}

/// The pages a stream has requested, to stop on a loop or past the page limit.
struct Visited {
    /// Each page URL with its query pairs sorted (so `?page=2&limit=5` and `?limit=5&page=2`
    /// are the same page).
    seen: HashSet<String>,
    max_pages: u64,
}

impl Visited {
    fn new(max_pages: u64) -> Self {
        Self {
            seen: HashSet::new(),
            max_pages,
        }
    }

    fn record(&mut self, url: &Url) {
        self.seen.insert(canonical(url));
    }

    /// `next`, unless it was requested before or the page limit is reached.
    fn admit(&self, next: Url) -> Result<Url, Error> {
        let pages = u64::try_from(self.seen.len()).unwrap_or(u64::MAX);
        if pages >= self.max_pages || self.seen.contains(&canonical(&next)) {
            tracing::warn!(
                pages,
                "links.next loops back or passes the page limit; stopping"
            );
            return Err(Error::PaginationLoop { pages });
        }
        Ok(next)
    }
}

/// `url` with its query pairs sorted and no fragment.
fn canonical(url: &Url) -> String {
    let mut pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    pairs.sort();
    let mut url = url.clone();
    url.set_fragment(None);
    url.set_query(None);
    if !pairs.is_empty() {
        url.query_pairs_mut().extend_pairs(pairs);
    }
    url.into()
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
    fn visited_pages_and_the_page_limit_stop_the_walk() {
        let url = |s: &str| Url::parse(s).unwrap();
        let mut visited = Visited::new(3);
        visited.record(&url("http://h/v1/c?page=1&limit=5"));
        visited.record(&url("http://h/v1/c?page=2&limit=5"));
        assert!(matches!(
            visited.admit(url("http://h/v1/c?limit=5&page=1#x")),
            Err(Error::PaginationLoop { pages: 2 })
        ));
        let third = visited.admit(url("http://h/v1/c?page=3&limit=5")).unwrap();
        visited.record(&third);
        assert!(matches!(
            visited.admit(url("http://h/v1/c?page=4&limit=5")),
            Err(Error::PaginationLoop { pages: 3 })
        ));
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
