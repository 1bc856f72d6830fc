//! The [`Partnero`] REST client: construction, configuration and the resource handles.
//!
//! One `Partnero` holds one `reqwest::Client` (one connection pool) behind an `Arc`: clone it
//! freely. Requests go through [`transport`], which adds the headers, the tracing span and the
//! retry loop; [`endpoint`] describes each endpoint once and [`collection`] holds the
//! get/list/stream/update/delete shape; the resource files ([`customers`], [`transactions`], [`partners`], [`webhooks`])
//! only describe endpoints.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderValue;
use url::Url;

pub(crate) mod api_key;
pub(crate) mod budget;
pub(crate) mod builder;
pub(crate) mod check;
pub(crate) mod collection;
pub(crate) mod customers;
pub(crate) mod endpoint;
pub(crate) mod leads;
pub(crate) mod pagination;
pub(crate) mod partners;
pub(crate) mod program;
pub(crate) mod program_details;
pub(crate) mod referral_links;
pub(crate) mod retry;
pub(crate) mod subscribers;
pub(crate) mod transactions;
pub(crate) mod transport;
pub(crate) mod webhooks;

use api_key::ApiKey;
use builder::PartneroBuilder;
use program::{Program, ProgramSetting};
use retry::RetryPolicy;

use crate::Error;
use crate::model::KeyCheck;

/// A Partnero API client.
///
/// ```no_run
/// use partnero_client::{ListParams, Partnero};
///
/// # async fn run() -> Result<(), partnero_client::Error> {
/// let client = Partnero::new("sk_live_...");
/// let page = client.customers().list(ListParams::new().limit(50)).await?;
/// for customer in page.data {
///     println!("{:?}", customer.key);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Partnero {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) api_key: ApiKey,
    /// `Bearer <key>`, marked sensitive; `None` when the key cannot be a header value.
    pub(crate) auth: Option<HeaderValue>,
    pub(crate) base_url: Url,
    pub(crate) program: ProgramSetting,
    pub(crate) timeout: Option<Duration>,
    pub(crate) retry: RetryPolicy,
    pub(crate) user_agent: HeaderValue,
    pub(crate) always_create_customers: bool,
    pub(crate) look_up_sales: bool,
    /// A [`single_attempt`](Partnero::single_attempt) client: a durable dispatcher retries
    /// failures itself, so the helpers log them at `DEBUG`.
    pub(crate) durable: bool,
}

impl Partnero {
    /// A client for the production API with default settings (affiliate program unless
    /// learned otherwise, see [`PartneroBuilder::program`]; 5 s per attempt,
    /// [`RetryPolicy::default`]).
    ///
    /// Never fails: a key that cannot be sent in an HTTP header makes every request fail with
    /// [`Error::Config`] instead. Creating the HTTP client panics only under the same condition
    /// as `reqwest::Client::new` (the TLS backend cannot be initialised); use
    /// [`builder`](Self::builder) to get that as an error.
    pub fn new(api_key: impl Into<ApiKey>) -> Self {
        let api_key = api_key.into();
        let auth = auth_header(&api_key);
        #[allow(clippy::expect_used)] // a constant, covered by a unit test
        let base_url = builder::parse_base_url(builder::DEFAULT_BASE_URL)
            .expect("the default base URL is valid");
        Self {
            inner: Arc::new(Inner {
                http: reqwest::Client::new(),
                api_key,
                auth,
                base_url,
                program: ProgramSetting::new(None),
                timeout: Some(builder::DEFAULT_TIMEOUT),
                retry: RetryPolicy::default(),
                user_agent: default_user_agent(),
                always_create_customers: false,
                look_up_sales: true,
                durable: false,
            }),
        }
    }

    /// A builder for every setting.
    pub fn builder(api_key: impl Into<ApiKey>) -> PartneroBuilder {
        PartneroBuilder::new(api_key.into())
    }

    /// A client configured from the environment: `PARTNERO_API_KEY` (required),
    /// `PARTNERO_BASE_URL` (optional, e.g. a local sandbox) and `PARTNERO_PROGRAM`
    /// (optional: `affiliate`, `refer-a-friend` or `newsletter`).
    pub fn from_env() -> Result<Self, Error> {
        Self::builder_from_lookup(|name| std::env::var(name).ok())?.build()
    }

    /// [`from_env`](Self::from_env), but returning the builder for further settings.
    pub fn builder_from_env() -> Result<PartneroBuilder, Error> {
        Self::builder_from_lookup(|name| std::env::var(name).ok())
    }

    fn builder_from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<PartneroBuilder, Error> {
        let key = lookup("PARTNERO_API_KEY")
            .filter(|k| !k.trim().is_empty())
            .ok_or_else(|| {
                Error::Config(
                    "PARTNERO_API_KEY is not set: export the API key of your Partnero program"
                        .into(),
                )
            })?;
        let mut builder = Self::builder(ApiKey::new(key.trim()));
        if let Some(url) = lookup("PARTNERO_BASE_URL").filter(|u| !u.trim().is_empty()) {
            builder::parse_base_url(&url)
                .map_err(|e| Error::Config(format!("PARTNERO_BASE_URL: {}", config_reason(&e))))?;
            builder = builder.base_url(url);
        }
        if let Some(program) = lookup("PARTNERO_PROGRAM").filter(|p| !p.trim().is_empty()) {
            let program = program.parse().map_err(|e: Error| {
                Error::Config(format!("PARTNERO_PROGRAM: {}", config_reason(&e)))
            })?;
            builder = builder.program(program);
        }
        Ok(builder)
    }

    /// The base URL every path is joined to (always ends with `/`).
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// The program kind in effect: the one set with [`PartneroBuilder::program`] (or
    /// `PARTNERO_PROGRAM`), else the one learned from Partnero, else [`Program::Affiliate`].
    pub fn program(&self) -> Program {
        self.inner.program.current()
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.inner.retry
    }

    /// A copy of this client (same key, base URL, program and connection pool) that makes
    /// **one attempt** per call, each bounded by `timeout`: no retry loop, no waiting on
    /// `Retry-After`, no confirm delay.
    ///
    /// For a durable dispatcher (such as `partnero-outbox`) that keeps each event's state in a
    /// database and decides itself when to try again; a web handler wants the default client.
    /// The helpers' explanation of a failed call is logged at `DEBUG` by this client (the
    /// dispatcher retries, and logs what it decides), not at `WARN`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use partnero_client::Partnero;
    ///
    /// let client = Partnero::new("sk_test").single_attempt(Duration::from_secs(10));
    /// assert_eq!(client.retry_policy().attempts(), 1);
    /// ```
    pub fn single_attempt(&self, timeout: Duration) -> Partnero {
        let inner = &self.inner;
        Partnero {
            inner: Arc::new(Inner {
                http: inner.http.clone(),
                api_key: inner.api_key.clone(),
                auth: inner.auth.clone(),
                base_url: inner.base_url.clone(),
                program: inner.program.clone(),
                timeout: Some(timeout),
                // No time budget: nobody waits on a dispatcher, so each request of a helper
                // (a sign-up may make several) gets its whole `timeout`, and none is ever
                // refused as `Error::BudgetSpent`.
                retry: RetryPolicy::none().max_elapsed(Duration::MAX),
                user_agent: inner.user_agent.clone(),
                always_create_customers: inner.always_create_customers,
                look_up_sales: inner.look_up_sales,
                durable: true,
            }),
        }
    }

    /// True when [`PartneroBuilder::always_create_customers`] is on.
    pub fn always_creates_customers(&self) -> bool {
        self.inner.always_create_customers
    }

    /// Customers: create, get, list, search, update, delete, transactions, referrals, stats,
    /// balance.
    pub fn customers(&self) -> customers::Customers<'_> {
        customers::Customers::new(self)
    }

    /// Transactions: create (with the double-commission guard), batch, get, list, delete,
    /// archive.
    pub fn transactions(&self) -> transactions::Transactions<'_> {
        transactions::Transactions::new(self)
    }

    /// Partners: create, get, list, search, update, delete, referral links.
    pub fn partners(&self) -> partners::Partners<'_> {
        partners::Partners::new(self)
    }

    /// Leads (affiliate): create, get, list, delete, convert, reject.
    pub fn leads(&self) -> leads::Leads<'_> {
        leads::Leads::new(self)
    }

    /// Additional partner referral links (affiliate): create, get, update, delete, search,
    /// domains.
    pub fn partner_referral_links(&self) -> referral_links::ReferralLinks<'_> {
        referral_links::ReferralLinks::new(self, &referral_links::PARTNER_LINKS)
    }

    /// Additional customer referral links (refer-a-friend): create, get, update, delete,
    /// search, domains.
    pub fn customer_referral_links(&self) -> referral_links::ReferralLinks<'_> {
        referral_links::ReferralLinks::new(self, &referral_links::CUSTOMER_LINKS)
    }

    /// Subscribers (newsletter programs): create, get, list, search, update, delete.
    pub fn subscribers(&self) -> subscribers::Subscribers<'_> {
        subscribers::Subscribers::new(self)
    }

    /// Webhook subscriptions: create, get, list, update, delete.
    pub fn webhooks(&self) -> webhooks::Webhooks<'_> {
        webhooks::Webhooks::new(self)
    }

    /// `GET /test`: checks that the API key works and names its program.
    pub async fn check_key(&self) -> Result<KeyCheck, Error> {
        self.fetch(&endpoint::Endpoint::new(reqwest::Method::GET, "/test"), &[])
            .await
    }
}

impl fmt::Debug for Partnero {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Partnero")
            .field("api_key", &self.inner.api_key)
            .field("base_url", &self.inner.base_url.as_str())
            .field("program", &self.inner.program.current())
            .field("timeout", &self.inner.timeout)
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

/// The reason inside an [`Error::Config`] (its text without the common prefix).
fn config_reason(e: &Error) -> String {
    match e {
        Error::Config(reason) => reason.clone(),
        other => other.to_string(),
    }
}

/// `Bearer <key>` as a sensitive header value.
pub(crate) fn auth_header(key: &ApiKey) -> Option<HeaderValue> {
    let mut value =
        HeaderValue::from_str(&format!("Bearer {}", key.expose_secret().trim())).ok()?;
    value.set_sensitive(true);
    Some(value)
}

pub(crate) fn default_user_agent() -> HeaderValue {
    HeaderValue::from_static(concat!("partnero-rs/", env!("CARGO_PKG_VERSION")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn env_configuration() {
        let client = Partnero::builder_from_lookup(lookup(&[
            ("PARTNERO_API_KEY", "k"),
            ("PARTNERO_BASE_URL", "http://127.0.0.1:1/v1"),
            ("PARTNERO_PROGRAM", "refer-a-friend"),
        ]))
        .unwrap()
        .build()
        .unwrap();
        assert_eq!(client.base_url().as_str(), "http://127.0.0.1:1/v1/");
        assert_eq!(client.program(), Program::ReferAFriend);

        let missing = Partnero::builder_from_lookup(lookup(&[])).unwrap_err();
        assert!(missing.to_string().contains("PARTNERO_API_KEY"));
        let bad_program = Partnero::builder_from_lookup(lookup(&[
            ("PARTNERO_API_KEY", "k"),
            ("PARTNERO_PROGRAM", "loyalty"),
        ]))
        .unwrap_err();
        assert!(bad_program.to_string().contains("PARTNERO_PROGRAM"));
        let bad_url = Partnero::builder_from_lookup(lookup(&[
            ("PARTNERO_API_KEY", "k"),
            ("PARTNERO_BASE_URL", "127.0.0.1:4010/v1"),
        ]))
        .unwrap_err();
        assert!(
            bad_url.to_string().contains("PARTNERO_BASE_URL"),
            "{bad_url}"
        );
    }

    #[test]
    fn debug_never_shows_the_key() {
        let client = Partnero::new("sk_live_very_secret");
        let dbg = format!("{client:?}");
        assert!(!dbg.contains("very_secret"), "{dbg}");
        assert!(dbg.contains("REDACTED"));
        assert_eq!(client.base_url().as_str(), builder::DEFAULT_BASE_URL);
    }
}
