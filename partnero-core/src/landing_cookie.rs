//! The opt-in companion cookie `partnero_landing`: the landing URL, carried from the request
//! that brought the referral link to the later sign-up, so that Partnero gets
//! `options.referral_url` (and credits the right one of a partner's referral links) in the
//! usual flow, where the visitor lands on `/?aff=KEY` and signs up on another page.
//!
//! Turned on with [`TrackingConfig::landing_url_cookie`]. It follows the referral cookie's
//! rules: written only together with a referral cookie a link sets (so never for `HEAD`,
//! `OPTIONS`, prefetches, crawlers, or without consent), with its `Max-Age`, `Path`,
//! `SameSite`, `Secure` and `Domain`, but always `HttpOnly` (no script needs it). A URL whose
//! encoded form exceeds [`MAX_LANDING_COOKIE_LEN`] bytes is not written (a browser keeps about
//! 4 KiB per cookie). What comes back is checked again like a captured landing URL.

use memchr::memmem::Finder;

use crate::cookie_header::CookieValues;
use crate::{RequestInfo, TrackingConfig, set_cookie};

/// The companion cookie's name.
pub const LANDING_COOKIE: &str = "partnero_landing";

/// The longest landing-cookie value written (bytes, percent-encoded).
pub const MAX_LANDING_COOKIE_LEN: usize = 3000;

/// The searcher for [`LANDING_COOKIE`] in `Cookie` headers.
pub(crate) fn finder() -> Finder<'static> {
    Finder::new(LANDING_COOKIE)
}

/// The `Set-Cookie` value carrying `url`, or `None` when it is too long.
fn render(config: &TrackingConfig, url: &str) -> Option<String> {
    let value = set_cookie::encode(url);
    if value.len() > MAX_LANDING_COOKIE_LEN {
        tracing::debug!(
            len = value.len(),
            "partnero: landing URL too long for its cookie, not kept"
        );
        return None;
    }
    set_cookie::render_value(config, LANDING_COOKIE, &value, true)
}

/// The `Set-Cookie` value that keeps `url` for the later sign-up, or, when there is none to
/// keep (no landing URL, or too long), the deletion of an earlier one: a landing URL never
/// outlives the referral it came with.
pub(crate) fn render_or_expire(config: &TrackingConfig, url: Option<&str>) -> Option<String> {
    url.and_then(|url| render(config, url))
        .or_else(|| set_cookie::expire(config, LANDING_COOKIE, true))
}

/// The landing URL from the request's `partnero_landing` cookie, when it holds a valid one.
pub(crate) fn read(finder: &Finder<'_>, req: &RequestInfo<'_>) -> Option<String> {
    let mut found = None;
    req.headers().each_value("cookie", &mut |header| {
        if found.is_none() {
            found = CookieValues::new(header, finder).find_map(decode);
        }
    });
    found
}

/// Decodes and checks a cookie value: well-formed escapes, UTF-8, an absolute `http(s)` URL
/// fit to send on.
fn decode(raw: &[u8]) -> Option<String> {
    if raw.len() > MAX_LANDING_COOKIE_LEN {
        return None;
    }
    let decoded: Vec<u8> = percent_encoding::percent_decode(raw).collect();
    let url = String::from_utf8(decoded).ok()?;
    let valid = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= crate::MAX_LANDING_URL_LEN
        && crate::capture::is_url_part(&url);
    if !valid {
        tracing::debug!(
            cookie = LANDING_COOKIE,
            "ignoring an invalid landing cookie"
        );
    }
    valid.then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_bad_ones_are_ignored() {
        let url = "https://shop.example/p?aff=k&q=a;b,c\"d%20é";
        let encoded = set_cookie::encode(url);
        assert!(!encoded.contains([';', ',', '"', ' ']), "{encoded}");
        assert_eq!(decode(encoded.as_bytes()).as_deref(), Some(url));
        assert_eq!(decode(b"javascript:alert(1)"), None);
        assert_eq!(decode(b"https://a.example/%0Ax"), None);
        assert_eq!(decode(b"https://a.example/%FF"), None);
        let huge = format!("https://a.example/{}", "x".repeat(MAX_LANDING_COOKIE_LEN));
        assert_eq!(decode(huge.as_bytes()), None);
        let config = TrackingConfig::default().landing_url_cookie(true);
        assert_eq!(render(&config, &huge), None);
        assert_eq!(
            render(&config, "https://shop.example/?aff=k").unwrap(),
            "partnero_landing=https://shop.example/?aff%3Dk; Max-Age=2592000; Path=/; SameSite=Lax; Secure; HttpOnly"
        );
    }
}
