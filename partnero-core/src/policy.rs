//! [`TrackingConfig`]: which cookies and parameters carry referral keys, how they are attributed,
//! and when and how the server-set cookie is written.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::RequestInfo;

/// Default lifetime of the server-set cookie: 30 days, Partnero's default program cookie lifetime.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// Which touch wins when a visitor arrives with a referral link and already has a referral cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Attribution {
    /// The newest referral link wins and replaces the cookie (the default).
    #[default]
    LastTouch,
    /// An existing cookie is kept; a new referral link neither overrides nor re-sets it.
    FirstTouch,
}

/// The `SameSite` attribute of the server-set cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SameSite {
    /// `SameSite=Lax` (the default): sent on top-level navigations from a partner's site.
    #[default]
    Lax,
    /// `SameSite=Strict`: not sent on the first navigation from another site.
    Strict,
    /// `SameSite=None`: sent on every cross-site request. Browsers reject `SameSite=None`
    /// without `Secure`, so the cookie always carries `Secure` then, whatever
    /// [`TrackingConfig::secure`] says.
    None,
}

/// How one program's key is found: its cookie, its query parameters and its optional path form.
/// Read through [`TrackingConfig::partner`] / [`TrackingConfig::referrer`]; set through
/// [`TrackingConfig`]'s builder.
#[derive(Clone)]
pub struct KeyChannel {
    pub(crate) cookie_name: Cow<'static, str>,
    /// The `memmem` searcher for `cookie_name`, built with it: capture looks for the name in the
    /// `Cookie` header of every request, and building a searcher costs more than running it
    /// over a typical header (`partnero-core/benches/capture.rs`, BENCHMARKS.md).
    pub(crate) cookie_finder: memchr::memmem::Finder<'static>,
    pub(crate) query_params: Vec<Cow<'static, str>>,
    pub(crate) path_prefix: Option<Cow<'static, str>>,
}

impl KeyChannel {
    /// A channel with one cookie name and one query parameter, no path form.
    pub(crate) fn new(cookie_name: &'static str, query_param: &'static str) -> Self {
        Self {
            cookie_name: Cow::Borrowed(cookie_name),
            cookie_finder: memchr::memmem::Finder::new(cookie_name),
            query_params: vec![Cow::Borrowed(query_param)],
            path_prefix: None,
        }
    }

    /// Renames the cookie, and rebuilds its searcher with it.
    fn set_cookie_name(&mut self, name: Cow<'static, str>) {
        self.cookie_finder = memchr::memmem::Finder::new(name.as_bytes()).into_owned();
        self.cookie_name = name;
    }

    /// The cookie name (`partnero_partner` / `partnero_referral`).
    pub fn cookie_name(&self) -> &str {
        &self.cookie_name
    }

    /// The query parameter names, earlier names first (`aff`, `ref`, `via`, ...).
    pub fn query_params(&self) -> &[Cow<'static, str>] {
        &self.query_params
    }

    /// The path prefix of the path form, with slashes: `/aff/` matches `/aff/KEY`. Off (`None`)
    /// by default.
    pub fn path_prefix(&self) -> Option<&str> {
        self.path_prefix.as_deref()
    }
}

impl PartialEq for KeyChannel {
    fn eq(&self, other: &Self) -> bool {
        // The searcher is derived from the name.
        self.cookie_name == other.cookie_name
            && self.query_params == other.query_params
            && self.path_prefix == other.path_prefix
    }
}

impl Eq for KeyChannel {}

impl fmt::Debug for KeyChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyChannel")
            .field("cookie_name", &self.cookie_name)
            .field("query_params", &self.query_params)
            .field("path_prefix", &self.path_prefix)
            .finish()
    }
}

/// A consent hook: returns `false` to forbid persisting a referral cookie for this request.
pub type ConsentHook = Arc<dyn Fn(&RequestInfo<'_>) -> bool + Send + Sync>;

/// Everything capture and the server-set cookie follow. Cheap to clone (share it behind an `Arc`
/// when cloning per request).
///
/// ```
/// use std::time::Duration;
/// use partnero_core::{Attribution, TrackingConfig};
///
/// let config = TrackingConfig::default()
///     .add_partner_query_param("via")
///     .partner_path_prefix("/aff/")
///     .attribution(Attribution::FirstTouch)
///     .max_age(Duration::from_secs(60 * 24 * 60 * 60))
///     .domain("example.com")
///     .consent(|req| req.cookie("cookie_consent") != Some(&b"denied"[..]));
/// assert_eq!(config.partner().query_params(), ["aff", "via"]);
/// assert_eq!(config.get_attribution(), Attribution::FirstTouch);
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct TrackingConfig {
    /// The affiliate program's channel (cookie `partnero_partner`, query `aff`).
    pub(crate) partner: KeyChannel,
    /// The refer-a-friend program's channel (cookie `partnero_referral`, query `ref`).
    pub(crate) referrer: KeyChannel,
    pub(crate) attribution: Attribution,
    pub(crate) max_age: Duration,
    pub(crate) cookie_path: Cow<'static, str>,
    pub(crate) same_site: SameSite,
    pub(crate) secure: bool,
    pub(crate) http_only: bool,
    pub(crate) domain: Option<Cow<'static, str>>,
    /// Lowercase; matched ASCII case-insensitively without allocating.
    pub(crate) bot_user_agents: Vec<Cow<'static, str>>,
    pub(crate) consent: Option<ConsentHook>,
    pub(crate) renew_cookies: bool,
    /// The searcher for the [landing cookie](Self::landing_url_cookie) when it is on.
    pub(crate) landing_cookie: Option<memchr::memmem::Finder<'static>>,
}

/// Crawler and link-preview user-agent fragments (lowercase) that never get a referral cookie.
pub const DEFAULT_BOT_USER_AGENTS: &[&str] = &[
    "bot",
    "crawler",
    "spider",
    "slurp",
    "crawl",
    "facebookexternalhit",
    "facebookcatalog",
    "embedly",
    "quora link preview",
    "outbrain",
    "pinterest",
    "vkshare",
    "w3c_validator",
    "whatsapp",
    "skypeuripreview",
    "headlesschrome",
    "lighthouse",
    "preview",
    "python-requests",
    "curl/",
    "wget",
];

impl Default for TrackingConfig {
    fn default() -> Self {
        Self {
            partner: KeyChannel::new("partnero_partner", "aff"),
            referrer: KeyChannel::new("partnero_referral", "ref"),
            attribution: Attribution::LastTouch,
            max_age: DEFAULT_MAX_AGE,
            cookie_path: Cow::Borrowed("/"),
            same_site: SameSite::Lax,
            secure: true,
            http_only: false,
            domain: None,
            bot_user_agents: DEFAULT_BOT_USER_AGENTS
                .iter()
                .map(|s| Cow::Borrowed(*s))
                .collect(),
            consent: None,
            renew_cookies: false,
            landing_cookie: None,
        }
    }
}

impl TrackingConfig {
    /// The defaults: `partnero_partner` + `?aff=`, `partnero_referral` + `?ref=`, last-touch,
    /// 30 days, `Path=/`, `SameSite=Lax`, `Secure`, not `HttpOnly`, host-only.
    pub fn new() -> Self {
        Self::default()
    }

    /// Renames the affiliate cookie.
    #[must_use]
    pub fn partner_cookie_name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.partner.set_cookie_name(name.into());
        self
    }

    /// Renames the refer-a-friend cookie.
    #[must_use]
    pub fn referrer_cookie_name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.referrer.set_cookie_name(name.into());
        self
    }

    /// Replaces the affiliate query parameter names.
    #[must_use]
    pub fn partner_query_params<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<Cow<'static, str>>,
    {
        self.partner.query_params = names.into_iter().map(Into::into).collect();
        self
    }

    /// Adds an affiliate query parameter name (such as `via`).
    #[must_use]
    pub fn add_partner_query_param(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.partner.query_params.push(name.into());
        self
    }

    /// Replaces the refer-a-friend query parameter names.
    #[must_use]
    pub fn referrer_query_params<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<Cow<'static, str>>,
    {
        self.referrer.query_params = names.into_iter().map(Into::into).collect();
        self
    }

    /// Adds a refer-a-friend query parameter name.
    #[must_use]
    pub fn add_referrer_query_param(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.referrer.query_params.push(name.into());
        self
    }

    /// Turns on the affiliate path form: `"/aff/"` captures `KEY` from `/aff/KEY`.
    #[must_use]
    pub fn partner_path_prefix(mut self, prefix: impl Into<Cow<'static, str>>) -> Self {
        self.partner.path_prefix = Some(prefix.into());
        self
    }

    /// Turns on the refer-a-friend path form: `"/r/"` captures `KEY` from `/r/KEY`.
    #[must_use]
    pub fn referrer_path_prefix(mut self, prefix: impl Into<Cow<'static, str>>) -> Self {
        self.referrer.path_prefix = Some(prefix.into());
        self
    }

    /// First- or last-touch attribution.
    #[must_use]
    pub fn attribution(mut self, attribution: Attribution) -> Self {
        self.attribution = attribution;
        self
    }

    /// The server-set cookie's lifetime (`Max-Age`), whole seconds.
    #[must_use]
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// The server-set cookie's `Path`.
    #[must_use]
    pub fn cookie_path(mut self, path: impl Into<Cow<'static, str>>) -> Self {
        self.cookie_path = path.into();
        self
    }

    /// The server-set cookie's `SameSite`.
    #[must_use]
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }

    /// Whether the server-set cookie is `Secure` (default `true`).
    #[must_use]
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// Whether the server-set cookie is `HttpOnly` (default `false`).
    #[must_use]
    pub fn http_only(mut self, http_only: bool) -> Self {
        self.http_only = http_only;
        self
    }

    /// Shares the cookie with sub-domains: `Domain=example.com`.
    #[must_use]
    pub fn domain(mut self, domain: impl Into<Cow<'static, str>>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// Adds a crawler user-agent fragment (matched case-insensitively).
    #[must_use]
    pub fn add_bot_user_agent(mut self, fragment: impl Into<Cow<'static, str>>) -> Self {
        self.bot_user_agents
            .push(Cow::Owned(fragment.into().to_ascii_lowercase()));
        self
    }

    /// Replaces the crawler user-agent fragments.
    #[must_use]
    pub fn bot_user_agents<I, S>(mut self, fragments: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<Cow<'static, str>>,
    {
        self.bot_user_agents = fragments
            .into_iter()
            .map(|s| Cow::Owned(s.into().to_ascii_lowercase()))
            .collect();
        self
    }

    /// A consent hook: called last, at most once per request, and only when a cookie would be
    /// set; returning `false` vetoes writing it. The captured context is still available to the
    /// request either way (persistence is what needs consent, not reading the link).
    #[must_use]
    pub fn consent<F>(mut self, hook: F) -> Self
    where
        F: Fn(&RequestInfo<'_>) -> bool + Send + Sync + 'static,
    {
        self.consent = Some(Arc::new(hook));
        self
    }

    /// Writes a referral cookie the request carries again, as a server-set cookie with this
    /// policy's attributes (off by default).
    ///
    /// For sites whose landing pages do not pass through this middleware (a static or CDN
    /// front, a single-page app that only calls the API): there the `partnero_partner` /
    /// `partnero_referral` cookie is written by PartneroJS, and Safari caps script-written
    /// cookies at 7 days. With this on, the first request that reaches the server with the
    /// cookie answers with a server-set cookie of the same name and value, which is not capped.
    ///
    /// The server cannot tell who wrote a cookie (browsers send only its name and value), so
    /// every request carrying a valid referral cookie gets the `Set-Cookie` back. Two
    /// consequences to accept before turning it on:
    ///
    /// * the lifetime slides: the cookie's `Max-Age` restarts at each request, so a visitor who
    ///   returns within every window stays attributed (Partnero still applies the program's own
    ///   rules when the sign-up is reported);
    /// * the cookie is read on every request (not [lazily](crate#lazy-cookie-reading)), and
    ///   responses carry a `Set-Cookie`: keep the middleware off routes whose responses a shared
    ///   cache should store (static assets).
    ///
    /// Everything else holds as for a link: no cookie for `HEAD` or `OPTIONS`, prefetches, crawlers or
    /// without consent; an invalid cookie value is never written back; under last-touch a
    /// referral link in the same request wins and only its key is written.
    ///
    /// ```
    /// use partnero_core::{RequestInfo, TrackingConfig};
    ///
    /// let headers = [("cookie", &b"partnero_partner=demo-partner"[..])];
    /// let req = RequestInfo::new("GET", "/api/me", None, &headers);
    ///
    /// assert!(TrackingConfig::default().capture(&req).set_cookies.is_empty());
    /// let renewed = TrackingConfig::default().renew_cookies(true).capture(&req);
    /// assert_eq!(
    ///     renewed.set_cookies,
    ///     ["partnero_partner=demo-partner; Max-Age=2592000; Path=/; SameSite=Lax; Secure"]
    /// );
    /// ```
    #[must_use]
    pub fn renew_cookies(mut self, renew: bool) -> Self {
        self.renew_cookies = renew;
        self
    }
}

impl TrackingConfig {
    /// Carries the landing URL to the sign-up in a companion cookie, `partnero_landing`
    /// (off by default).
    ///
    /// Partnero credits a sign-up to the partner's referral link named by
    /// `options.referral_url`. The landing URL is known on the request that carries the link
    /// (`/?aff=KEY`); the sign-up usually comes later, on another page, with only the referral
    /// cookie, and without this the URL is lost (the partner's default link is credited). With
    /// it on, the URL is written next to the referral cookie (same rules and attributes, but
    /// always `HttpOnly`; not written when its encoded form exceeds 3000 bytes) and read back
    /// into [`ReferralContext::landing_url`](crate::ReferralContext::landing_url) by
    /// [`fill_from_cookies`](Self::fill_from_cookies) when the request has no link of its own.
    ///
    /// ```
    /// use partnero_core::{RequestInfo, TrackingConfig};
    ///
    /// let config = TrackingConfig::default().landing_url_cookie(true);
    /// let landing = [("host", &b"shop.example"[..])];
    /// let capture = config.capture(&RequestInfo::new("GET", "/pricing", Some("aff=demo"), &landing));
    /// assert_eq!(capture.set_cookies[1],
    ///     "partnero_landing=https://shop.example/pricing?aff%3Ddemo; Max-Age=2592000; Path=/; SameSite=Lax; Secure; HttpOnly");
    ///
    /// // Later, the sign-up: the browser sends both cookies back.
    /// let signup = [("cookie", &b"partnero_partner=demo; partnero_landing=https://shop.example/pricing?aff%3Ddemo"[..])];
    /// let capture = config.capture(&RequestInfo::new("POST", "/signup", None, &signup));
    /// assert_eq!(capture.context.landing_url(), Some("https://shop.example/pricing?aff=demo"));
    /// ```
    #[must_use]
    pub fn landing_url_cookie(mut self, on: bool) -> Self {
        self.landing_cookie = on.then(crate::landing_cookie::finder);
        self
    }
}

/// Reading the policy back. The getters are named `get_*` because the builder setters above own
/// the bare names (the convention of `std::process::Command`).
impl TrackingConfig {
    /// The affiliate program's channel: cookie `partnero_partner`, query `aff` by default.
    pub fn partner(&self) -> &KeyChannel {
        &self.partner
    }

    /// The refer-a-friend program's channel: cookie `partnero_referral`, query `ref` by default.
    pub fn referrer(&self) -> &KeyChannel {
        &self.referrer
    }

    /// First- or last-touch; see [`attribution`](Self::attribution).
    pub fn get_attribution(&self) -> Attribution {
        self.attribution
    }

    /// The server-set cookie's `Max-Age`; see [`max_age`](Self::max_age).
    pub fn get_max_age(&self) -> Duration {
        self.max_age
    }

    /// The server-set cookie's `Path`; see [`cookie_path`](Self::cookie_path).
    pub fn get_cookie_path(&self) -> &str {
        &self.cookie_path
    }

    /// The server-set cookie's `SameSite`; see [`same_site`](Self::same_site).
    pub fn get_same_site(&self) -> SameSite {
        self.same_site
    }

    /// Whether the server-set cookie carries `Secure`; see [`secure`](Self::secure).
    pub fn get_secure(&self) -> bool {
        self.secure
    }

    /// Whether the server-set cookie carries `HttpOnly`; see [`http_only`](Self::http_only).
    pub fn get_http_only(&self) -> bool {
        self.http_only
    }

    /// The server-set cookie's `Domain`, `None` for host-only; see [`domain`](Self::domain).
    pub fn get_domain(&self) -> Option<&str> {
        self.domain.as_deref()
    }

    /// The crawler user-agent fragments, lowercase; see
    /// [`bot_user_agents`](Self::bot_user_agents).
    pub fn get_bot_user_agents(&self) -> &[Cow<'static, str>] {
        &self.bot_user_agents
    }

    /// The consent hook, if any; see [`consent`](Self::consent).
    pub fn get_consent(&self) -> Option<&ConsentHook> {
        self.consent.as_ref()
    }

    /// Whether the landing URL travels in its own cookie; see
    /// [`landing_url_cookie`](Self::landing_url_cookie).
    pub fn get_landing_url_cookie(&self) -> bool {
        self.landing_cookie.is_some()
    }

    /// Whether a referral cookie the request carries is written again; see
    /// [`renew_cookies`](Self::renew_cookies).
    pub fn get_renew_cookies(&self) -> bool {
        self.renew_cookies
    }
}

impl fmt::Debug for TrackingConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrackingConfig")
            .field("partner", &self.partner)
            .field("referrer", &self.referrer)
            .field("attribution", &self.attribution)
            .field("max_age", &self.max_age)
            .field("cookie_path", &self.cookie_path)
            .field("same_site", &self.same_site)
            .field("secure", &self.secure)
            .field("http_only", &self.http_only)
            .field("domain", &self.domain)
            .field("bot_user_agents", &self.bot_user_agents.len())
            .field("consent", &self.consent.as_ref().map(|_| "<hook>"))
            .field("renew_cookies", &self.renew_cookies)
            .field("landing_url_cookie", &self.landing_cookie.is_some())
            .finish()
    }
}
