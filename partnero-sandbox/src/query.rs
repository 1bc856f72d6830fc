//! Query strings: decoded pairs (dotted names kept as they are) and re-encoding for links.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Characters escaped in a query component: everything but unreserved ones.
pub(crate) const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The decoded `name=value` pairs of the query string, in order. Never rejects.
#[derive(Debug, Clone, Default)]
pub(crate) struct QueryPairs(pub(crate) Vec<(String, String)>);

impl QueryPairs {
    /// Parses `application/x-www-form-urlencoded` text (`+` is a space; invalid UTF-8 is
    /// replaced, never rejected).
    pub(crate) fn parse(query: &str) -> Self {
        QueryPairs(
            form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
        )
    }

    /// The last value of `name`, if any and not empty.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// The value of the first of `names` that is present: one filter under the spellings
    /// clients use (`partner.key` in the API reference, `partner_key` in the n8n node,
    /// `partner[key]` from the PHP SDK's `http_build_query`).
    pub(crate) fn get_any(&self, names: &[&str]) -> Option<&str> {
        names.iter().find_map(|name| self.get(name))
    }

    /// The query string again, without `page` and `limit`, then `page=P&limit=L`.
    pub(crate) fn with_page(&self, page: u64, limit: u64) -> String {
        let mut out = String::new();
        for (name, value) in &self.0 {
            if name == "page" || name == "limit" {
                continue;
            }
            out.push_str(&utf8_percent_encode(name, COMPONENT).to_string());
            out.push('=');
            out.push_str(&utf8_percent_encode(value, COMPONENT).to_string());
            out.push('&');
        }
        out.push_str(&format!("page={page}&limit={limit}"));
        out
    }
}

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(QueryPairs::parse(parts.uri.query().unwrap_or("")))
    }
}

#[cfg(test)]
mod tests {
    use super::QueryPairs;

    #[test]
    fn decodes_and_reencodes() {
        let q = QueryPairs::parse("partner.key=a%20b&email=x%40y.z&page=3&limit=2&q=a+b");
        assert_eq!(q.get("partner.key"), Some("a b"));
        assert_eq!(q.get("email"), Some("x@y.z"));
        assert_eq!(q.get("q"), Some("a b"));
        assert_eq!(
            q.with_page(4, 2),
            "partner.key=a%20b&email=x%40y.z&q=a%20b&page=4&limit=2"
        );
        let q = QueryPairs::parse("&&flag&name=%2B1&bad=%FF");
        assert_eq!(q.get("flag"), None);
        assert_eq!(q.get("name"), Some("+1"));
        assert_eq!(q.get("bad"), Some("\u{FFFD}"));
    }
}
