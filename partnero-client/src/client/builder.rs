//! [`PartneroBuilder`]: every knob of the client, validated by [`build`](PartneroBuilder::build).

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderValue;
use url::Url;

use super::api_key::ApiKey;
use super::program::Program;
use super::retry::RetryPolicy;
use super::{Inner, Partnero};
use crate::Error;

/// The production API.
pub const DEFAULT_BASE_URL: &str = "https://api.partnero.com/v1/";

/// The default per-attempt timeout: 5 s, so that a sign-up or a sale made inside a visitor's
/// request fails in seconds, not half a minute, when Partnero is slow (the whole call is
/// bounded by [`RetryPolicy::max_elapsed`], 10 s by default).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Builds a [`Partnero`] client.
///
/// ```
/// use std::time::Duration;
/// use partnero_client::{Partnero, Program, RetryPolicy};
///
/// let client = Partnero::builder("sk_test")
///     .base_url("http://127.0.0.1:8080/v1")
///     .program(Program::ReferAFriend)
///     .timeout(Duration::from_secs(5))
///     .retry(RetryPolicy::default().max_attempts(4))
///     .build()?;
/// assert_eq!(client.base_url().as_str(), "http://127.0.0.1:8080/v1/");
/// # Ok::<(), partnero_client::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct PartneroBuilder {
    api_key: ApiKey,
    base_url: Option<String>,
    /// `None` until [`program`](Self::program) is called: then the client may learn it.
    program: Option<Program>,
    timeout: Option<Duration>,
    retry: RetryPolicy,
    http_client: Option<reqwest::Client>,
    user_agent: Option<String>,
    always_create_customers: bool,
    look_up_sales: bool,
}

impl PartneroBuilder {
    pub(crate) fn new(api_key: ApiKey) -> Self {
        Self {
            api_key,
            base_url: None,
            program: None,
            timeout: Some(DEFAULT_TIMEOUT),
            retry: RetryPolicy::default(),
            http_client: None,
            user_agent: None,
            always_create_customers: false,
            look_up_sales: true,
        }
    }

    /// The API's base URL (default [`DEFAULT_BASE_URL`]); a trailing `/` is added if missing.
    /// Point it at `partnero-sandbox` for local runs: a loopback base URL (`localhost`,
    /// `127.x.x.x`, `[::1]`) is reached directly, never through an `HTTP_PROXY`/`HTTPS_PROXY`
    /// of the environment (unless you pass your own [`http_client`](Self::http_client)).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The program kind of the API key (default [`Program::Affiliate`]).
    ///
    /// Left unset (as [`Partnero::from_env`] does when `PARTNERO_PROGRAM` is), the client
    /// works as an affiliate client until it learns better: [`Partnero::check`] reads the
    /// program from `GET /test`, and so does the first [`signup`](Partnero::signup) (one
    /// request, once per client; asked again only after an outage). Set it, and a key of the
    /// other kind is reported as
    /// [`SignupOutcome::OtherProgramKey`](crate::SignupOutcome::OtherProgramKey).
    pub fn program(mut self, program: Program) -> Self {
        self.program = Some(program);
        self
    }

    /// Timeout of each attempt, from sending to the end of the body (default 5 s; never more
    /// than what is left of the call's [`max_elapsed`](RetryPolicy::max_elapsed) budget).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// No per-attempt timeout of our own (an injected client's own timeout still applies).
    pub fn no_timeout(mut self) -> Self {
        self.timeout = None;
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Uses this `reqwest::Client` (and its connection pool, proxy and TLS settings).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Replaces the `User-Agent` (default `partnero-rs/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Affiliate programs only: create customers even when no partner key is known
    /// (default `false`: [`signup`](Partnero::signup) skips the call and returns
    /// [`SignupOutcome::NotReferred`](crate::SignupOutcome::NotReferred)). Partnero may ignore
    /// affiliate customers without a partner.
    pub fn always_create_customers(mut self, always: bool) -> Self {
        self.always_create_customers = always;
        self
    }

    /// Whether [`sale`](Partnero::sale) looks a keyed sale up (`GET /transactions/{key}`)
    /// before posting it (default `true`).
    ///
    /// Partnero pays a commission for every create, even a second one with the same key, so an
    /// app that calls `sale` twice for one payment (a double-clicked button, a retried webhook)
    /// would pay twice; with the look-up, the second call finds the first sale and returns
    /// [`SaleOutcome::AlreadyRecorded`](crate::SaleOutcome::AlreadyRecorded). It costs one
    /// request per sale; turn it off only when your own store already guarantees one call per
    /// key.
    ///
    /// It does not close the race between two calls **at the same moment**: both may look the
    /// key up before either sale is recorded, and both post. For that guarantee, enqueue sales
    /// in the `partnero-outbox` table (one row per payment id, delivered once).
    pub fn look_up_sales(mut self, look_up: bool) -> Self {
        self.look_up_sales = look_up;
        self
    }

    /// Validates the settings and builds the client.
    ///
    /// Fails with [`Error::Config`] for a blank API key, a key that cannot be sent in a header,
    /// a base URL that is not an absolute `http(s)` URL (or carries credentials, a query or a
    /// fragment), an invalid user agent, or when the HTTP client cannot be created.
    pub fn build(self) -> Result<Partnero, Error> {
        if self.api_key.is_blank() {
            return Err(Error::Config(
                "the API key is empty: pass the key of your Partnero program (PARTNERO_API_KEY)"
                    .into(),
            ));
        }
        let auth = super::auth_header(&self.api_key).ok_or_else(|| {
            Error::Config(
                "the API key contains characters that cannot be sent in an HTTP header".into(),
            )
        })?;
        let base_url = parse_base_url(self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))?;
        let user_agent = match &self.user_agent {
            Some(ua) => HeaderValue::from_str(ua)
                .map_err(|_| Error::Config(format!("invalid user agent {ua:?}")))?,
            None => super::default_user_agent(),
        };
        let http = match self.http_client {
            Some(client) => client,
            None => {
                let mut builder = reqwest::Client::builder();
                if is_loopback(&base_url) {
                    // A local sandbox is never reached through the environment's proxy
                    // (`HTTP_PROXY` applies to loopback addresses unless `NO_PROXY` lists them).
                    builder = builder.no_proxy();
                }
                builder
                    .build()
                    .map_err(|e| Error::Config(format!("cannot create the HTTP client: {e}")))?
            }
        };
        Ok(Partnero {
            inner: Arc::new(Inner {
                http,
                api_key: self.api_key,
                auth: Some(auth),
                base_url,
                program: super::ProgramSetting::new(self.program),
                timeout: self.timeout,
                retry: self.retry,
                user_agent,
                always_create_customers: self.always_create_customers,
                look_up_sales: self.look_up_sales,
                durable: false,
            }),
        })
    }
}

/// True for `localhost`, `127.0.0.0/8` and `[::1]`.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Parses and normalises a base URL: absolute http(s), no credentials/query/fragment, path
/// ending in `/`.
pub(crate) fn parse_base_url(raw: &str) -> Result<Url, Error> {
    let mut url = Url::parse(raw.trim())
        .map_err(|e| Error::Config(format!("base URL {raw:?} is not a valid URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() || url.host().is_none() {
        return Err(Error::Config(format!(
            "base URL {raw:?} must be an absolute http:// or https:// URL"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(
            "base URL must not contain credentials: the API key is sent as a Bearer token".into(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!(
            "base URL {raw:?} must not have a query or fragment"
        )));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_normalised_or_rejected() {
        assert_eq!(
            parse_base_url("http://127.0.0.1:9/v1").unwrap().as_str(),
            "http://127.0.0.1:9/v1/"
        );
        assert_eq!(
            parse_base_url(DEFAULT_BASE_URL).unwrap().as_str(),
            DEFAULT_BASE_URL
        );
        for bad in [
            "",
            "api.partnero.com/v1",
            "ftp://x/",
            "http://u:p@x/v1/",
            "http://x/v1?a=b",
            "mailto:a@b",
        ] {
            assert!(
                matches!(parse_base_url(bad), Err(Error::Config(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn loopback_hosts_are_recognised() {
        for local in [
            "http://127.0.0.1:4010/v1/",
            "http://127.1.2.3/v1/",
            "http://localhost:3000/",
            "http://LOCALHOST/",
            "http://[::1]:8080/v1/",
        ] {
            assert!(is_loopback(&parse_base_url(local).unwrap()), "{local}");
        }
        for remote in [
            "https://api.partnero.com/v1/",
            "http://10.0.0.1/",
            "http://localhost.example/",
            "http://[::2]/",
        ] {
            assert!(!is_loopback(&parse_base_url(remote).unwrap()), "{remote}");
        }
    }

    #[test]
    fn build_rejects_blank_keys() {
        assert!(matches!(
            Partnero::builder("  ").build(),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            Partnero::builder("bad\nkey").build(),
            Err(Error::Config(_))
        ));
    }
}
