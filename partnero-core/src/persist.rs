//! Whether a request may persist a referral cookie at all: not for `HEAD`, `OPTIONS`, `TRACE`
//! or `CONNECT`, not for prefetch or prerender, not for crawlers, and not when the consent hook
//! says no.
//!
//! Only consulted when a cookie would otherwise be set, so none of this runs on the common
//! no-referral path. Everything here is allocation-free.

use crate::{RequestInfo, TrackingConfig};

/// Headers that announce a speculative load, and the value fragments that mark one.
/// `Sec-Purpose: prefetch` / `prefetch;prerender` (Chromium), `Purpose: prefetch` (older Chromium,
/// Safari), `X-Purpose: preview` (old Chrome), `X-Moz: prefetch` (Firefox).
const SPECULATIVE_HEADERS: &[&str] = &["sec-purpose", "purpose", "x-purpose", "x-moz"];
const SPECULATIVE_VALUES: &[&[u8]] = &[b"prefetch", b"prerender", b"preview"];

/// Methods whose requests are not a visit, so never persist a referral cookie:
///
/// | method | why not |
/// |---|---|
/// | `HEAD` | link checkers, monitors and unfurlers probe with it; no page is shown |
/// | `OPTIONS` | a CORS preflight (or a capability probe): the browser sends it on its own, before the real request, which gets the cookie if it carries the link |
/// | `TRACE`, `CONNECT` | diagnostics and proxy tunnels, never a page view |
///
/// Every other method (`GET`, `POST`, `PUT`, `PATCH`, `DELETE`, ...) may: a landing is usually
/// a `GET`, but a form or an API call can carry the referral link too.
const NOT_A_VISIT: &[&str] = &["HEAD", "OPTIONS", "TRACE", "CONNECT"];

/// Why a cookie was not persisted (for the debug log and the refusal counter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// One of [`NOT_A_VISIT`].
    Method,
    Speculative,
    Crawler,
    NoConsent,
}

impl Refusal {
    /// The `reason` label of `partnero_referral_cookies_refused_total`.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Refusal::Method => "method",
            Refusal::Speculative => "prefetch",
            Refusal::Crawler => "crawler",
            Refusal::NoConsent => "no_consent",
        }
    }
}

/// Checks every rule, the consent hook last (it is the application's code and may be costly).
pub(crate) fn check(config: &TrackingConfig, req: &RequestInfo<'_>) -> Result<(), Refusal> {
    if NOT_A_VISIT
        .iter()
        .any(|m| req.method().eq_ignore_ascii_case(m))
    {
        return Err(Refusal::Method);
    }
    if is_speculative(req) {
        return Err(Refusal::Speculative);
    }
    if is_crawler(config, req) {
        return Err(Refusal::Crawler);
    }
    if let Some(hook) = &config.consent {
        if !hook(req) {
            return Err(Refusal::NoConsent);
        }
    }
    Ok(())
}

fn is_speculative(req: &RequestInfo<'_>) -> bool {
    let mut found = false;
    for name in SPECULATIVE_HEADERS {
        req.headers().each_value(name, &mut |v| {
            found |= SPECULATIVE_VALUES
                .iter()
                .any(|frag| contains_ignore_ascii_case(v, frag));
        });
        if found {
            return true;
        }
    }
    false
}

fn is_crawler(config: &TrackingConfig, req: &RequestInfo<'_>) -> bool {
    let mut found = false;
    req.headers().each_value("user-agent", &mut |ua| {
        found |= config
            .bot_user_agents
            .iter()
            .any(|frag| !frag.is_empty() && contains_ignore_ascii_case(ua, frag.as_bytes()));
    });
    found
}

/// ASCII case-insensitive substring search without allocating: find each candidate first byte
/// (either case) with `memchr2`, then compare the rest.
pub(crate) fn contains_ignore_ascii_case(haystack: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    if haystack.len() < needle.len() {
        return false;
    }
    let last_start = haystack.len() - needle.len();
    let (lo, up) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    let mut from = 0;
    while from <= last_start {
        let Some(off) = memchr::memchr2(lo, up, &haystack[from..=last_start]) else {
            return false;
        };
        let at = from + off;
        if haystack[at + 1..at + needle.len()].eq_ignore_ascii_case(rest) {
            return true;
        }
        from = at + 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substring_ignores_ascii_case() {
        assert!(contains_ignore_ascii_case(b"Mozilla Googlebot/2.1", b"bot"));
        assert!(contains_ignore_ascii_case(b"GOOGLEBOT", b"bot"));
        assert!(contains_ignore_ascii_case(b"bot", b"BOT"));
        assert!(contains_ignore_ascii_case(b"xx", b""));
        assert!(!contains_ignore_ascii_case(b"bo", b"bot"));
        assert!(!contains_ignore_ascii_case(b"b o t", b"bot"));
        assert!(!contains_ignore_ascii_case(b"", b"bot"));
        assert!(contains_ignore_ascii_case(b"bbbot", b"bot"));
        assert!(contains_ignore_ascii_case(b"\xff\xfecurl/8", b"curl/"));
    }
}
