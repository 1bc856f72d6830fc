//! Capture: turning a request's cookies, query and path into a [`ReferralContext`] and the
//! `Set-Cookie` values the policy asks for.
//!
//! For each program (affiliate, refer-a-friend) independently:
//!
//! 1. a *link touch* is a valid key in one of the program's query parameters (the first matching
//!    parameter in query-string order whose value is valid) or, failing that, in its path form;
//! 2. a *cookie* is the first valid occurrence of the program's cookie across every `Cookie`
//!    header (browsers send the most specific path first);
//! 3. last-touch (the default): the link touch wins over the cookie and is persisted;
//!    first-touch: an existing valid cookie wins and nothing is set, otherwise the link touch
//!    is used and persisted.
//!
//! Invalid values are ignored with a `tracing` debug event naming the cookie or parameter and
//! the reason, never the value or the whole header.

use crate::cookie_header::CookieValues;
use crate::{
    Attribution, Captured, InvalidKey, KeyChannel, KeySource, ReferralContext, ReferralKey,
    RequestInfo, TrackingConfig, landing_cookie, persist, query_string, set_cookie,
};

/// The result of capture for one request.
///
/// ```
/// use partnero_core::{KeySource, RequestInfo, TrackingConfig};
///
/// let headers = [("host", &b"shop.example"[..])];
/// let req = RequestInfo::new("GET", "/pricing", Some("aff=demo-partner"), &headers);
/// let capture = TrackingConfig::default().capture(&req);
///
/// let partner = capture.context.partner.as_ref().unwrap();
/// assert_eq!(partner.key.as_str(), "demo-partner");
/// assert_eq!(partner.source, KeySource::Query);
/// assert_eq!(
///     capture.context.landing_url(),
///     Some("https://shop.example/pricing?aff=demo-partner")
/// );
/// assert_eq!(
///     capture.set_cookies,
///     ["partnero_partner=demo-partner; Max-Age=2592000; Path=/; SameSite=Lax; Secure"]
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capture {
    /// Who referred this visitor.
    pub context: ReferralContext,
    /// `Set-Cookie` header values to append to the response (empty when nothing is to be set).
    pub set_cookies: Vec<String>,
}

impl TrackingConfig {
    /// Captures the referral context of one request and the cookies to set in its response.
    ///
    /// A `Set-Cookie` value is produced for a program only when a valid key arrived by query
    /// parameter or path form in *this* request, the attribution allows it (under first-touch
    /// an existing valid cookie is kept and nothing is set), and persisting is allowed: the
    /// method is not `HEAD`, `OPTIONS`, `TRACE` or `CONNECT`, the request is not a prefetch/prerender/preview
    /// (`Sec-Purpose`, `Purpose`, `X-Purpose`, `X-Moz`), the `User-Agent` matches none of
    /// [`bot_user_agents`](TrackingConfig::bot_user_agents), and the consent hook (called last,
    /// at most once per request, only when a cookie would be set) returns `true`.
    ///
    /// Under last-touch a link carrying the same key as the existing cookie still re-sets the
    /// cookie: the visitor clicked a referral link again, so its lifetime restarts.
    ///
    /// With [`renew_cookies`](TrackingConfig::renew_cookies) on, a valid referral cookie that no
    /// link in this request overrides is written again too (same conditions).
    ///
    /// When persisting is refused the context is captured all the same: a crawler or a visitor
    /// without consent still sees `?aff=KEY` attributed for this request; only the cookie is not
    /// written.
    ///
    /// `landing_url` is set when the key in the context came from the query or the path:
    /// `{scheme}://{host}{path}[?{query}]`, the scheme from [`RequestInfo::scheme`] or else
    /// `https` when [`secure`](TrackingConfig::secure) is on and `http` otherwise, the host from
    /// [`RequestInfo::authority`]. It is `None` when the key came from a cookie (store the
    /// landing URL yourself at landing time if you need it later) or when the host is missing or
    /// malformed.
    ///
    /// Never fails and never panics, whatever the request holds. When no referral is present
    /// it does not allocate.
    ///
    /// This is exactly [`capture_links`](Self::capture_links) followed by
    /// [`fill_from_cookies`](Self::fill_from_cookies) on the same request; the framework
    /// adapters run the two phases separately ([lazy cookie reading](crate#lazy-cookie-reading)).
    pub fn capture(&self, req: &RequestInfo<'_>) -> Capture {
        let mut capture = self.capture_links(req);
        self.fill_from_cookies(&mut capture.context, req);
        capture
    }

    /// The first phase of [`capture`](Self::capture): everything the referral *links* decide.
    ///
    /// For each program, a valid key in the query string or path form is looked at. Under
    /// last-touch it wins and is persisted; under first-touch the program's cookie is read too
    /// (only when a link key is present), and an existing valid cookie wins with nothing set.
    /// The `Set-Cookie` values and the landing URL are therefore complete and identical to
    /// [`capture`](Self::capture)'s: the response can be decided from this phase alone.
    ///
    /// A program whose key is `None` in the returned context was not decided by a link: its
    /// cookie has not been read yet (unless [`renew_cookies`](TrackingConfig::renew_cookies)
    /// is on: then the cookie was read, and a valid one is in the context and re-set). Call
    /// [`fill_from_cookies`](Self::fill_from_cookies) on the same request (before reading the
    /// context) to get the complete context.
    ///
    /// Never fails, never panics, and does not allocate when no referral is present (no link
    /// key, and with `renew_cookies` no valid referral cookie either).
    ///
    /// ```
    /// use partnero_core::{KeySource, RequestInfo, TrackingConfig};
    ///
    /// let config = TrackingConfig::default();
    /// let headers = [("host", &b"shop.example"[..]), ("cookie", &b"partnero_referral=friend-1"[..])];
    /// let req = RequestInfo::new("GET", "/", Some("aff=demo-partner"), &headers);
    ///
    /// let mut links = config.capture_links(&req);
    /// assert_eq!(links.context.partner_key().unwrap().as_str(), "demo-partner");
    /// assert!(links.context.referrer.is_none()); // the cookie is not read yet
    /// assert_eq!(links.set_cookies.len(), 1); // the response is already decided
    ///
    /// config.fill_from_cookies(&mut links.context, &req);
    /// let referrer = links.context.referrer.as_ref().unwrap();
    /// assert_eq!((referrer.key.as_str(), referrer.source), ("friend-1", KeySource::Cookie));
    /// assert_eq!(links, config.capture(&req));
    /// ```
    pub fn capture_links(&self, req: &RequestInfo<'_>) -> Capture {
        let partner = self.resolve_link(Side::Partner, req);
        let referrer = self.resolve_link(Side::Referrer, req);
        let mut capture = Capture::default();
        if partner.captured.is_none() && referrer.captured.is_none() {
            return capture;
        }

        let from_link = [&partner, &referrer]
            .iter()
            .any(|r| r.captured.as_ref().is_some_and(|c| c.source.is_link()));
        if from_link {
            capture.context.landing_url = landing_url(self, req);
        }
        for (side, resolved) in [(Side::Partner, &partner), (Side::Referrer, &referrer)] {
            if resolved
                .captured
                .as_ref()
                .is_some_and(|c| c.source.is_link())
            {
                metrics::counter!("partnero_landings_total", "program" => side.program())
                    .increment(1);
            }
        }

        if partner.persist || referrer.persist {
            match persist::check(self, req) {
                Ok(()) => {
                    for (side, resolved) in [(Side::Partner, &partner), (Side::Referrer, &referrer)]
                    {
                        if let (true, Some(c)) = (resolved.persist, &resolved.captured) {
                            let channel = self.channel(side);
                            if let Some(cookie) =
                                set_cookie::render(self, &channel.cookie_name, &c.key)
                            {
                                capture.set_cookies.push(cookie);
                                metrics::counter!("partnero_referral_cookies_set_total", "program" => side.program())
                                    .increment(1);
                            }
                        }
                    }
                    if self.landing_cookie.is_some() && !capture.set_cookies.is_empty() {
                        capture.set_cookies.extend(landing_cookie::render_or_expire(
                            self,
                            capture.context.landing_url.as_deref(),
                        ));
                    }
                }
                Err(refusal) => {
                    tracing::debug!(?refusal, "referral captured but cookie not persisted");
                    metrics::counter!("partnero_referral_cookies_refused_total", "reason" => refusal.label())
                        .increment(1);
                }
            }
        }

        capture.context.partner = partner.captured;
        capture.context.referrer = referrer.captured;
        capture
    }

    /// The second phase of [`capture`](Self::capture): for each program whose key is still
    /// `None` in `context`, the first valid occurrence of its cookie across every `Cookie`
    /// header. Programs that already have a key are left alone, so calling it again is
    /// harmless (it is idempotent).
    ///
    /// Meant for the context returned by [`capture_links`](Self::capture_links) for the same
    /// request; it never changes the `Set-Cookie` decision, nor a landing URL the link phase
    /// found. With the [landing URL cookie](Self::landing_url_cookie) on, a context that has a
    /// key but no landing URL gets the one that cookie carries. Allocates only when a valid
    /// cookie is found.
    ///
    /// ```
    /// use partnero_core::{KeySource, ReferralContext, RequestInfo, TrackingConfig};
    ///
    /// let config = TrackingConfig::default();
    /// let headers = [("cookie", &b"_ga=GA1.1.42; partnero_partner=demo-partner"[..])];
    /// let req = RequestInfo::new("POST", "/signup", None, &headers);
    ///
    /// let mut context = ReferralContext::new();
    /// config.fill_from_cookies(&mut context, &req);
    /// assert_eq!(context.partner.as_ref().unwrap().source, KeySource::Cookie);
    /// assert_eq!(context.partner_key().unwrap().as_str(), "demo-partner");
    /// ```
    pub fn fill_from_cookies(&self, context: &mut ReferralContext, req: &RequestInfo<'_>) {
        if context.partner.is_none() {
            context.partner = self.cookie_key_of(Side::Partner, req);
        }
        if context.referrer.is_none() {
            context.referrer = self.cookie_key_of(Side::Referrer, req);
        }
        let Some(finder) = &self.landing_cookie else {
            return;
        };
        // The landing cookie belongs to the keys in the cookies: a key from this request's
        // link comes with its own landing URL (or none), never an earlier link's.
        let from_link = [&context.partner, &context.referrer]
            .iter()
            .any(|c| c.as_ref().is_some_and(|c| c.source.is_link()));
        if context.landing_url.is_none() && !context.is_empty() && !from_link {
            context.landing_url = landing_cookie::read(finder, req);
        }
    }

    /// The channel of one program.
    fn channel(&self, side: Side) -> &KeyChannel {
        match side {
            Side::Partner => &self.partner,
            Side::Referrer => &self.referrer,
        }
    }

    /// The valid cookie of one program.
    fn cookie_key_of(&self, side: Side, req: &RequestInfo<'_>) -> Option<Captured> {
        cookie_key(self.channel(side), req)
    }

    /// Applies the attribution policy to one program's link; `None` when no link decides it
    /// (and, with [`renew_cookies`](TrackingConfig::renew_cookies), no valid cookie either).
    fn resolve_link(&self, side: Side, req: &RequestInfo<'_>) -> Resolved {
        let Some(link) = link_key(self.channel(side), req) else {
            return self.renewed_cookie(side, req);
        };
        match self.attribution {
            Attribution::LastTouch => Resolved::persisted(link),
            Attribution::FirstTouch => match self.cookie_key_of(side, req) {
                Some(cookie) if self.renew_cookies => Resolved::persisted(cookie),
                Some(cookie) => Resolved::kept(Some(cookie)),
                None => Resolved::persisted(link),
            },
        }
    }

    /// With [`renew_cookies`](TrackingConfig::renew_cookies) on, the program's valid cookie,
    /// to be written again; otherwise nothing (the cookie is read later, on demand).
    fn renewed_cookie(&self, side: Side, req: &RequestInfo<'_>) -> Resolved {
        if !self.renew_cookies {
            return Resolved::kept(None);
        }
        match self.cookie_key_of(side, req) {
            Some(cookie) => Resolved::persisted(cookie),
            None => Resolved::kept(None),
        }
    }
}

/// Which of the two programs: the affiliate partner or the refer-a-friend referrer.
#[derive(Clone, Copy)]
enum Side {
    Partner,
    Referrer,
}

impl Side {
    /// The `program` label of the capture counters.
    fn program(self) -> &'static str {
        match self {
            Side::Partner => "affiliate",
            Side::Referrer => "refer_a_friend",
        }
    }
}

/// One program's outcome: the key for the context, and whether to write it to the cookie.
struct Resolved {
    captured: Option<Captured>,
    persist: bool,
}

impl Resolved {
    fn persisted(captured: Captured) -> Self {
        Self {
            captured: Some(captured),
            persist: true,
        }
    }

    fn kept(captured: Option<Captured>) -> Self {
        Self {
            captured,
            persist: false,
        }
    }
}

/// A valid key from the query string, else from the path form.
fn link_key(channel: &KeyChannel, req: &RequestInfo<'_>) -> Option<Captured> {
    req.query()
        .and_then(|query| query_key(channel, query))
        .map(|key| Captured {
            key,
            source: KeySource::Query,
        })
        .or_else(|| {
            path_key(channel, req.path()).map(|key| Captured {
                key,
                source: KeySource::Path,
            })
        })
}

/// The first configured parameter, in query-string order, whose value is a valid key.
fn query_key(channel: &KeyChannel, query: &str) -> Option<ReferralKey> {
    query_string::matching_values(query, &channel.query_params).find_map(|(name, value)| {
        // In a query string `+` is a space, which no valid key holds: reject it before decoding.
        let key = if value.contains('+') {
            Err(InvalidKey::ForbiddenChar)
        } else {
            ReferralKey::decode(value.as_bytes())
        };
        key.map_err(|reason| {
            tracing::debug!(param = name, %reason, "ignoring invalid referral query parameter");
        })
        .ok()
    })
}

/// `KEY` from `{prefix}KEY` or `{prefix}KEY/...`: the next path segment, percent-decoded.
fn path_key(channel: &KeyChannel, path: &str) -> Option<ReferralKey> {
    let prefix = channel.path_prefix.as_deref()?.trim_end_matches('/');
    if prefix.is_empty() {
        // A bare `/` prefix would turn every first path segment into a key.
        return None;
    }
    let rest = path.strip_prefix(prefix)?.strip_prefix('/')?;
    let segment = rest.split('/').next().unwrap_or(rest);
    ReferralKey::decode(segment.as_bytes())
        .map_err(|reason| {
            tracing::debug!(prefix, %reason, "ignoring invalid referral path segment");
        })
        .ok()
}

/// The first valid occurrence of the program's cookie across every `Cookie` header.
fn cookie_key(channel: &KeyChannel, req: &RequestInfo<'_>) -> Option<Captured> {
    let name: &str = &channel.cookie_name;
    let finder = &channel.cookie_finder;
    let mut found = None;
    req.headers().each_value("cookie", &mut |header| {
        if found.is_some() {
            return;
        }
        found = CookieValues::new(header, finder).find_map(|raw| {
            ReferralKey::decode(raw)
                .map_err(|reason| {
                    tracing::debug!(cookie = name, %reason, "ignoring invalid referral cookie");
                })
                .ok()
        });
    });
    found.map(|key| Captured {
        key,
        source: KeySource::Cookie,
    })
}

/// `{scheme}://{host}{path}[?{query}]`, or `None` when the host is unknown or malformed.
/// The longest landing URL kept (bytes): longer ones are dropped rather than sent to Partnero
/// as `options.referral_url`, since the path and query are attacker-controlled.
pub const MAX_LANDING_URL_LEN: usize = 2048;

fn landing_url(config: &TrackingConfig, req: &RequestInfo<'_>) -> Option<String> {
    let host = req.authority().filter(|h| is_host(h))?;
    let scheme = match req.scheme() {
        Some(s) if s.eq_ignore_ascii_case("https") => "https",
        Some(s) if s.eq_ignore_ascii_case("http") => "http",
        _ if config.secure => "https",
        _ => "http",
    };
    let path = req.path();
    let query = req.query().filter(|q| !q.is_empty());
    if !is_url_part(path) || !query.is_none_or(is_url_part) {
        return None;
    }
    let path = if path.starts_with('/') { path } else { "/" };
    let len = scheme.len() + 3 + host.len() + path.len() + query.map_or(0, |q| q.len() + 1);
    if len > MAX_LANDING_URL_LEN {
        tracing::debug!(len, "partnero: landing URL too long, not kept");
        return None;
    }
    let mut url = String::with_capacity(len);
    url.push_str(scheme);
    url.push_str("://");
    url.push_str(host);
    url.push_str(path);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    Some(url)
}

/// `host[:port]` as found in `Host`/`:authority`: letters, digits, `-`, `.`, `_`, and the
/// `:`/`[`/`]` of ports and IPv6 literals. No userinfo, no path, no whitespace.
fn is_host(h: &str) -> bool {
    !h.is_empty()
        && h.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b':' | b'[' | b']')
        })
}

/// A path or query fit to paste into a URL: no whitespace, no control characters, no `#`.
pub(crate) fn is_url_part(s: &str) -> bool {
    !s.chars()
        .any(|c| c.is_control() || c.is_whitespace() || c == '#')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> ReferralKey {
        ReferralKey::parse(s).unwrap()
    }

    fn channel(prefix: &'static str) -> KeyChannel {
        TrackingConfig::default()
            .partner_path_prefix(prefix)
            .partner
    }

    #[test]
    fn path_form() {
        let c = channel("/aff/");
        assert_eq!(path_key(&c, "/aff/k1"), Some(key("k1")));
        assert_eq!(path_key(&c, "/aff/k1/pricing"), Some(key("k1")));
        assert_eq!(path_key(&c, "/aff/caf%C3%A9"), Some(key("café")));
        assert_eq!(path_key(&c, "/aff/"), None);
        assert_eq!(path_key(&c, "/aff"), None);
        assert_eq!(path_key(&c, "/affx/k1"), None);
        assert_eq!(path_key(&c, "/x/aff/k1"), None);
        assert_eq!(path_key(&c, "/aff/a%20b"), None);
        assert_eq!(path_key(&channel("/aff"), "/aff/k1"), Some(key("k1")));
        assert_eq!(path_key(&channel("/"), "/k1"), None);
        assert_eq!(
            path_key(&TrackingConfig::default().partner, "/aff/k1"),
            None
        );
    }

    #[test]
    fn host_and_url_parts() {
        assert!(is_host("shop.example:8080"));
        assert!(is_host("[::1]:3000"));
        assert!(!is_host(""));
        assert!(!is_host("evil.example/x"));
        assert!(!is_host("a b"));
        assert!(!is_host("user@host"));
        assert!(is_url_part("/a/b%20c"));
        assert!(!is_url_part("/a b"));
        assert!(!is_url_part("/a\nb"));
        assert!(!is_url_part("/a#b"));
    }
}
