//! Rendering the server-set referral cookie (`Set-Cookie` header values) from the policy.
//!
//! The value is percent-encoded so that every valid [`ReferralKey`] (which may hold `=`, `%`, `+`
//! or non-ASCII text) travels as plain RFC 6265 `cookie-octet`s and comes back unchanged through
//! [`ReferralKey::decode`] when the browser returns it in a `Cookie` header.

use std::fmt::Write as _;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use crate::{ReferralKey, SameSite, TrackingConfig};

/// Bytes escaped in the cookie value: everything outside RFC 6265 `cookie-octet` (controls,
/// space, `"`, `,`, `;`, `\`, non-ASCII), plus `%` so decoding is unambiguous, and `+` and `=`,
/// which are legal but which form-style or naive cookie parsers misread.
const COOKIE_VALUE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'%')
    .add(b'+')
    .add(b',')
    .add(b';')
    .add(b'=')
    .add(b'\\');

/// Renders `name=<encoded key>; Max-Age=..; Path=..; SameSite=..[; Secure][; HttpOnly][; Domain=..]`.
///
/// Returns `None` (and logs a warning) when the configuration itself cannot form a safe header:
/// a cookie name that is not an RFC 7230 token, or a `Path`/`Domain` holding `;` or a control
/// character. A malformed configuration never injects attributes into the header.
pub(crate) fn render(config: &TrackingConfig, name: &str, key: &ReferralKey) -> Option<String> {
    render_value(config, name, &encode(key.as_str()), config.http_only)
}

/// `value` percent-encoded for a cookie (see [`COOKIE_VALUE`]).
pub(crate) fn encode(value: &str) -> String {
    utf8_percent_encode(value, COOKIE_VALUE).collect()
}

/// Renders a cookie whose `value` is already encoded, with the policy's attributes and
/// `HttpOnly` when `http_only`.
pub(crate) fn render_value(
    config: &TrackingConfig,
    name: &str,
    value: &str,
    http_only: bool,
) -> Option<String> {
    render_for(config, name, value, http_only, config.max_age)
}

/// Renders the deletion of cookie `name` (empty, `Max-Age=0`, the policy's `Path` and
/// `Domain`, so it replaces the one the policy wrote).
pub(crate) fn expire(config: &TrackingConfig, name: &str, http_only: bool) -> Option<String> {
    render_for(config, name, "", http_only, std::time::Duration::ZERO)
}

fn render_for(
    config: &TrackingConfig,
    name: &str,
    value: &str,
    http_only: bool,
    max_age: std::time::Duration,
) -> Option<String> {
    if !is_token(name) {
        tracing::warn!(
            cookie = name,
            "referral cookie name is not a valid token; not set"
        );
        return None;
    }
    if !is_attribute_value(&config.cookie_path)
        || config
            .domain
            .as_deref()
            .is_some_and(|d| !is_attribute_value(d))
    {
        tracing::warn!(
            cookie = name,
            "referral cookie Path or Domain holds `;` or a control character; not set"
        );
        return None;
    }
    let mut out = String::with_capacity(name.len() + value.len() + 96);
    out.push_str(name);
    out.push('=');
    out.push_str(value);
    // Writing to a String cannot fail.
    let _ = write!(out, "; Max-Age={}", max_age.as_secs());
    out.push_str("; Path=");
    out.push_str(&config.cookie_path);
    out.push_str(match config.same_site {
        SameSite::Lax => "; SameSite=Lax",
        SameSite::Strict => "; SameSite=Strict",
        SameSite::None => "; SameSite=None",
    });
    // Browsers reject `SameSite=None` without `Secure`, so `None` always carries it.
    if config.secure || config.same_site == SameSite::None {
        out.push_str("; Secure");
    }
    if http_only {
        out.push_str("; HttpOnly");
    }
    if let Some(domain) = &config.domain {
        out.push_str("; Domain=");
        out.push_str(domain);
    }
    Some(out)
}

/// RFC 7230 `token`: what a cookie name may be.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                )
        })
}

/// An attribute value must not end the attribute early or break the header line.
fn is_attribute_value(s: &str) -> bool {
    !s.is_empty() && !s.bytes().any(|b| b == b';' || b.is_ascii_control())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn key(s: &str) -> ReferralKey {
        ReferralKey::parse(s).unwrap()
    }

    #[test]
    fn default_attributes() {
        let c = TrackingConfig::default();
        assert_eq!(
            render(&c, "partnero_partner", &key("demo-partner")).unwrap(),
            "partnero_partner=demo-partner; Max-Age=2592000; Path=/; SameSite=Lax; Secure"
        );
    }

    #[test]
    fn all_options() {
        let c = TrackingConfig::default()
            .secure(false)
            .http_only(true)
            .same_site(SameSite::Strict)
            .max_age(Duration::from_secs(60))
            .cookie_path("/shop")
            .domain("example.com");
        assert_eq!(
            render(&c, "partnero_referral", &key("k")).unwrap(),
            "partnero_referral=k; Max-Age=60; Path=/shop; SameSite=Strict; HttpOnly; Domain=example.com"
        );
    }

    #[test]
    fn same_site_none_forces_secure() {
        let c = TrackingConfig::default()
            .secure(false)
            .same_site(SameSite::None);
        assert_eq!(
            render(&c, "p", &key("k")).unwrap(),
            "p=k; Max-Age=2592000; Path=/; SameSite=None; Secure"
        );
    }

    #[test]
    fn value_is_percent_encoded() {
        let c = TrackingConfig::default();
        let out = render(&c, "p", &key("a=b%c+d/é")).unwrap();
        assert!(out.starts_with("p=a%3Db%25c%2Bd/%C3%A9; "), "{out}");
        let raw = &out.as_bytes()["p=".len()..out.find(';').unwrap()];
        assert_eq!(ReferralKey::decode(raw).unwrap().as_str(), "a=b%c+d/é");
    }

    #[test]
    fn malformed_config_renders_nothing() {
        let k = key("k");
        let c = TrackingConfig::default();
        assert!(render(&c, "bad name", &k).is_none());
        assert!(render(&c, "", &k).is_none());
        assert!(render(&c, "a=b", &k).is_none());
        assert!(render(&c.clone().domain("x.com; Secure"), "p", &k).is_none());
        assert!(render(&c.clone().cookie_path("/\r\nX: y"), "p", &k).is_none());
        assert!(render(&c.cookie_path(""), "p", &k).is_none());
    }
}
