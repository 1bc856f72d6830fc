//! Building request URLs: fixed segments as written, user-supplied segments percent-encoded.
//!
//! Every byte outside `A-Z a-z 0-9 - . _ ~` of a user-supplied segment is percent-encoded, so
//! `a/../../partners` becomes `a%2F..%2F..%2Fpartners` and `x?y#z` becomes `x%3Fy%23z`: a key
//! only ever reaches its own resource. The segments `.` and `..` and the empty string are
//! rejected outright, since some servers and proxies normalise them even when encoded.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

use crate::Error;

/// Characters left as they are: RFC 3986 "unreserved".
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// One path segment.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Part<'a> {
    /// A literal segment of the API (`customers`, `customers:search`, `balance`).
    Lit(&'static str),
    /// A user-supplied value (a key, an id): percent-encoded.
    Key(&'a str),
}

/// The base URL (ending in `/`) with the parts appended and the query set.
pub(crate) fn build_url(
    base: &Url,
    parts: &[Part<'_>],
    query: &[(&str, String)],
) -> Result<Url, Error> {
    let mut path = base.path().to_owned();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            path.push('/');
        }
        match part {
            Part::Lit(lit) => path.push_str(lit),
            Part::Key(key) => {
                if key.is_empty() || *key == "." || *key == ".." {
                    return Err(Error::InvalidInput(format!(
                        "{key:?} cannot be used as a key or id in a URL path"
                    )));
                }
                path.extend(utf8_percent_encode(key, SEGMENT));
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("http://127.0.0.1:1/v1/").unwrap()
    }

    #[test]
    fn keys_stay_in_their_segment() {
        let url = build_url(
            &base(),
            &[Part::Lit("customers"), Part::Key("a/../../partners")],
            &[],
        )
        .unwrap();
        assert_eq!(url.path(), "/v1/customers/a%2F..%2F..%2Fpartners");
        let url = build_url(&base(), &[Part::Lit("customers"), Part::Key("x?y#z")], &[]).unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:1/v1/customers/x%3Fy%23z");
        let url = build_url(
            &base(),
            &[
                Part::Lit("customers"),
                Part::Key("ada@example.com"),
                Part::Lit("stats"),
            ],
            &[],
        )
        .unwrap();
        assert_eq!(url.path(), "/v1/customers/ada%40example.com/stats");
        let url = build_url(&base(), &[Part::Lit("customers"), Part::Key("100%")], &[]).unwrap();
        assert_eq!(url.path(), "/v1/customers/100%25");
    }

    #[test]
    fn dot_segments_and_empty_keys_are_rejected() {
        for key in ["", ".", ".."] {
            assert!(matches!(
                build_url(&base(), &[Part::Lit("customers"), Part::Key(key)], &[]),
                Err(Error::InvalidInput(_))
            ));
        }
    }

    #[test]
    fn query_pairs_are_encoded() {
        let url = build_url(
            &base(),
            &[Part::Lit("customers:search")],
            &[("partner.key", "a&b=c".to_owned())],
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:1/v1/customers:search?partner.key=a%26b%3Dc"
        );
    }
}
