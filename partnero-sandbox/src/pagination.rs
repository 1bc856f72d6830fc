//! `limit`/`page` and the `links`/`meta` of list answers (no total, like Partnero).

use axum::http::Uri;
use axum::response::Response;
use serde_json::{Value, json};

use crate::envelope::{ApiError, FieldErrors, json_response};
use crate::query::QueryPairs;

/// Default page size.
pub(crate) const DEFAULT_LIMIT: u64 = 15;
/// Largest page size.
pub(crate) const MAX_LIMIT: u64 = 250;

/// A validated page request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PageRequest {
    pub(crate) page: u64,
    pub(crate) limit: u64,
}

impl PageRequest {
    /// Reads `limit` (1..=250, default 15) and `page` (>= 1, default 1); 422 otherwise.
    pub(crate) fn from_query(query: &QueryPairs) -> Result<Self, ApiError> {
        let mut errors = FieldErrors::new();
        let limit = match query.get("limit") {
            None => DEFAULT_LIMIT,
            Some(raw) => match raw.trim().parse::<u64>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    errors.insert(
                        "limit".to_owned(),
                        vec![format!(
                            "The limit must be an integer between 1 and {MAX_LIMIT}."
                        )],
                    );
                    DEFAULT_LIMIT
                }
            },
        };
        let page = match query.get("page") {
            None => 1,
            Some(raw) => match raw.trim().parse::<u64>() {
                Ok(n) if n >= 1 => n,
                _ => {
                    errors.insert(
                        "page".to_owned(),
                        vec!["The page must be an integer of at least 1.".to_owned()],
                    );
                    1
                }
            },
        };
        if errors.is_empty() {
            Ok(PageRequest { page, limit })
        } else {
            Err(ApiError::validation(errors))
        }
    }
}

/// Answers one page of `items` with `links` and `meta` on the sandbox's own origin.
pub(crate) fn page_response(
    items: Vec<Value>,
    request: PageRequest,
    origin: &str,
    uri: &Uri,
    query: &QueryPairs,
) -> Response {
    let PageRequest { page, limit } = request;
    let total = items.len() as u64;
    let start = (page - 1).saturating_mul(limit);
    let data: Vec<Value> = items
        .into_iter()
        .skip(usize::try_from(start).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect();
    let shown = data.len() as u64;
    let path = format!("{origin}{}", uri.path());
    let link = |p: u64| Value::String(format!("{path}?{}", query.with_page(p, limit)));
    let has_next = start.saturating_add(shown) < total;
    let (from, to) = if shown == 0 {
        (Value::Null, Value::Null)
    } else {
        (json!(start + 1), json!(start + shown))
    };
    json_response(
        axum::http::StatusCode::OK,
        &json!({
            "data": data,
            "links": {
                "first": link(1),
                "last": Value::Null,
                "prev": if page > 1 { link(page - 1) } else { Value::Null },
                "next": if has_next { link(page + 1) } else { Value::Null },
            },
            "meta": {
                "current_page": page,
                "from": from,
                "to": to,
                "per_page": limit,
                "path": path,
            },
            "status": 1
        }),
    )
}
