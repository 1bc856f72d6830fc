//! [`RequestHeaders`]: the request's `HeaderMap` as the core's [`Headers`] view, with the
//! header lookups capture makes on every request resolved without parsing header names.

use http::header::{self, GetAll};
use http::{HeaderMap, HeaderValue, Request};
use partnero_core::{Headers, RequestInfo};

/// A `HeaderMap` seen through [`Headers`].
///
/// `HeaderMap::get_all(&str)` parses and validates the name on every call. Capture looks up
/// `Cookie` once per program on every request (and `Host`/`User-Agent` when a link arrives), so
/// the `Cookie` values are looked up once, here, by their constant name, and the other common
/// names map to their constants; any other name falls back to `get_all(&str)`.
pub(crate) struct RequestHeaders<'a> {
    map: &'a HeaderMap,
    cookies: GetAll<'a, HeaderValue>,
}

impl<'a> RequestHeaders<'a> {
    pub(crate) fn new(map: &'a HeaderMap) -> Self {
        Self {
            map,
            cookies: map.get_all(header::COOKIE),
        }
    }

    /// The [`RequestInfo`] of `req`, reading its headers through `self`: what
    /// `RequestInfo::from_http` builds, minus the header-name parsing.
    pub(crate) fn request_info<B>(&'a self, req: &'a Request<B>) -> RequestInfo<'a> {
        let uri = req.uri();
        RequestInfo::new(req.method().as_str(), uri.path(), uri.query(), self)
            .with_scheme(uri.scheme_str())
            .with_authority(uri.authority().map(http::uri::Authority::as_str))
    }
}

impl Headers for RequestHeaders<'_> {
    fn each_value<'s>(&'s self, name: &str, f: &mut dyn FnMut(&'s [u8])) {
        let values = match name {
            "cookie" => {
                for value in &self.cookies {
                    f(value.as_bytes());
                }
                return;
            }
            "host" => self.map.get_all(header::HOST),
            "user-agent" => self.map.get_all(header::USER_AGENT),
            _ => self.map.get_all(name),
        };
        for value in values {
            f(value.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(headers: &RequestHeaders<'_>, name: &str) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        headers.each_value(name, &mut |v| out.push(v.to_vec()));
        out
    }

    #[test]
    fn reads_every_value_of_any_header_in_order() {
        let req = Request::get("https://shop.example:8443/p?aff=k")
            .header("cookie", "a=1")
            .header("cookie", "b=2")
            .header("host", "ignored.example")
            .header("user-agent", "ua")
            .header("sec-purpose", "prefetch")
            .body(())
            .unwrap();
        let headers = RequestHeaders::new(req.headers());
        assert_eq!(
            collect(&headers, "cookie"),
            [b"a=1".to_vec(), b"b=2".to_vec()]
        );
        assert_eq!(collect(&headers, "host"), [b"ignored.example".to_vec()]);
        assert_eq!(collect(&headers, "user-agent"), [b"ua".to_vec()]);
        assert_eq!(collect(&headers, "sec-purpose"), [b"prefetch".to_vec()]);
        assert!(collect(&headers, "x-absent").is_empty());
        assert!(collect(&headers, "not a header name").is_empty());

        let info = headers.request_info(&req);
        let core = RequestInfo::from_http(&req);
        assert_eq!(format!("{info:?}"), format!("{core:?}"));
        assert_eq!(info.authority(), Some("shop.example:8443"));
        assert_eq!(info.cookie("b"), Some(&b"2"[..]));
    }
}
