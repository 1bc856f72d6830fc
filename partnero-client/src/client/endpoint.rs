//! Endpoints: each one described once, by its method and path template (`GET /customers/{key}`).
//! The request URL and the tracing span's `path` field are both made from that description.
//!
//! Fixed segments of the template are written as they are; each `{placeholder}` segment takes
//! the next user-supplied value, percent-encoded: every byte outside `A-Z a-z 0-9 - . _ ~` is
//! encoded, so `a/../../partners` becomes `a%2F..%2F..%2Fpartners` and `x?y#z` becomes
//! `x%3Fy%23z`: a key only ever reaches its own resource. The values `.` and `..` and the empty
//! string are rejected outright, since some servers and proxies normalise them even when encoded.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use url::Url;

use crate::Error;

/// Characters left as they are: RFC 3986 "unreserved".
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// One endpoint of the API: its method and its path template, relative to the base URL
/// (`/customers/{key}/balance`).
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub(crate) method: Method,
    /// The path with placeholders, for the URL and for logs and spans.
    pub(crate) template: &'static str,
}

impl Endpoint {
    pub(crate) const fn new(method: Method, template: &'static str) -> Self {
        Self { method, template }
    }

    /// The base URL (ending in `/`) with the template's segments appended, each placeholder
    /// replaced by the next of `keys` (percent-encoded), and the query set.
    pub(crate) fn url(
        &self,
        base: &Url,
        keys: &[&str],
        query: &[(&str, String)],
    ) -> Result<Url, Error> {
        let mut path = base.path().to_owned();
        let mut keys = keys.iter();
        for (i, segment) in self.template.trim_start_matches('/').split('/').enumerate() {
            if i > 0 {
                path.push('/');
            }
            if !(segment.starts_with('{') && segment.ends_with('}')) {
                path.push_str(segment);
                continue;
            }
            let Some(key) = keys.next() else {
                return Err(self.key_count_error());
            };
            if key.is_empty() || *key == "." || *key == ".." {
                return Err(Error::InvalidInput(format!(
                    "{key:?} cannot be used as a key or id in a URL path"
                )));
            }
            path.extend(utf8_percent_encode(key, SEGMENT));
        }
        if keys.next().is_some() {
            return Err(self.key_count_error());
        }
        let mut url = base.clone();
        url.set_path(&path);
        url.set_query(None);
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        Ok(url)
    }

    fn key_count_error(&self) -> Error {
        Error::InvalidInput(format!(
            "{} {} was given a wrong number of keys",
            self.method, self.template
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("http://127.0.0.1:1/v1/").unwrap()
    }

    fn build_url(
        template: &'static str,
        keys: &[&str],
        query: &[(&str, String)],
    ) -> Result<Url, Error> {
        Endpoint::new(Method::GET, template).url(&base(), keys, query)
    }

    #[test]
    fn keys_stay_in_their_segment() {
        let url = build_url("/customers/{key}", &["a/../../partners"], &[]).unwrap();
        assert_eq!(url.path(), "/v1/customers/a%2F..%2F..%2Fpartners");
        let url = build_url("/customers/{key}", &["x?y#z"], &[]).unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:1/v1/customers/x%3Fy%23z");
        let url = build_url("/customers/{key}/stats", &["ada@example.com"], &[]).unwrap();
        assert_eq!(url.path(), "/v1/customers/ada%40example.com/stats");
        let url = build_url("/customers/{key}", &["100%"], &[]).unwrap();
        assert_eq!(url.path(), "/v1/customers/100%25");
    }

    #[test]
    fn dot_segments_and_empty_keys_are_rejected() {
        for key in ["", ".", ".."] {
            assert!(matches!(
                build_url("/customers/{key}", &[key], &[]),
                Err(Error::InvalidInput(_))
            ));
        }
    }

    #[test]
    fn query_pairs_are_encoded() {
        let url = build_url(
            "/customers:search",
            &[],
            &[("partner.key", "a&b=c".to_owned())],
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:1/v1/customers:search?partner.key=a%26b%3Dc"
        );
    }

    #[test]
    fn a_wrong_number_of_keys_is_an_error() {
        assert!(matches!(
            build_url("/customers/{key}", &[], &[]),
            Err(Error::InvalidInput(_))
        ));
        assert!(matches!(
            build_url("/customers", &["a"], &[]),
            Err(Error::InvalidInput(_))
        ));
    }
}
