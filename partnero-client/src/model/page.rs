//! [`Page`], [`Links`], [`Meta`] and [`ListParams`]: one page of a list endpoint.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::lenient;
use crate::Error;

/// `page` and `limit` of a list request. Both optional: Partnero defaults to page 1, 15 items.
/// A `page` of 0 (pages count from 1) or a `limit` outside 1..=250 makes the list call fail with
/// [`Error::InvalidInput`](crate::Error::InvalidInput) before anything is sent.
///
/// ```
/// use partnero_client::ListParams;
///
/// let params = ListParams::new().limit(100).page(2);
/// assert_eq!((params.page, params.limit), (Some(2), Some(100)));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ListParams {
    /// 1-based page.
    pub page: Option<u32>,
    /// Items per page (1..=250).
    pub limit: Option<u32>,
}

impl ListParams {
    /// Server defaults.
    pub fn new() -> Self {
        Self::default()
    }

    paging_setters!("1..=250");

    /// The query, or [`Error::InvalidInput`] when `page` is 0 or `limit` is outside 1..=250.
    pub(crate) fn query_pairs(&self) -> Result<Vec<(&'static str, String)>, Error> {
        query(&[], self.page, self.limit)
    }
}

/// A list or search query: the `filters` that are set, then `page` and `limit`; or
/// [`Error::InvalidInput`] when `page` is 0 or `limit` is outside 1..=250.
pub(crate) fn query(
    filters: &[(&'static str, &Option<String>)],
    page: Option<u32>,
    limit: Option<u32>,
) -> Result<Vec<(&'static str, String)>, Error> {
    check_paging(page, limit)?;
    let filters = filters
        .iter()
        .filter_map(|(name, value)| value.as_ref().map(|v| (*name, v.clone())));
    let paging = [("page", page), ("limit", limit)]
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name, v.to_string())));
    Ok(filters.chain(paging).collect())
}

/// The largest page size Partnero accepts.
pub(crate) const MAX_LIMIT: u32 = 250;

/// Rejects page 0 (pages count from 1) and a page size outside 1..=[`MAX_LIMIT`] before any
/// request is sent.
fn check_paging(page: Option<u32>, limit: Option<u32>) -> Result<(), Error> {
    if page == Some(0) {
        return Err(Error::InvalidInput(
            "page must be 1 or more (pages count from 1), got 0".to_owned(),
        ));
    }
    match limit {
        Some(l) if !(1..=MAX_LIMIT).contains(&l) => Err(Error::InvalidInput(format!(
            "limit must be between 1 and {MAX_LIMIT} items per page, got {l}"
        ))),
        _ => Ok(()),
    }
}

/// One page of a list: its items, navigation links and paging metadata (there is no total).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items.
    pub data: Vec<T>,
    /// `first`/`last`/`prev`/`next` URLs.
    #[serde(default, deserialize_with = "lenient::opt_object_or_default")]
    pub links: Links,
    /// Paging metadata.
    #[serde(default, deserialize_with = "lenient::opt_object_or_default")]
    pub meta: Meta,
}

impl<T> Page<T> {
    /// True when `links.next` is set.
    pub fn has_next(&self) -> bool {
        self.links.next.is_some()
    }
}

/// Navigation links of a [`Page`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Links {
    /// First page.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub first: Option<String>,
    /// Last page.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub last: Option<String>,
    /// Previous page.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub prev: Option<String>,
    /// Next page; `None` on the last page.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub next: Option<String>,
}

/// Paging metadata of a [`Page`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Meta {
    /// The page number.
    #[serde(deserialize_with = "lenient::opt_u64")]
    pub current_page: Option<u64>,
    /// Position of the first item on this page.
    #[serde(deserialize_with = "lenient::opt_u64")]
    pub from: Option<u64>,
    /// Position of the last item on this page.
    #[serde(deserialize_with = "lenient::opt_u64")]
    pub to: Option<u64>,
    /// Page size.
    #[serde(deserialize_with = "lenient::opt_u64")]
    pub per_page: Option<u64>,
    /// The list's URL without query.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub path: Option<String>,
    /// Fields this version of the client does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
