//! Start-up configuration of a [`Sandbox`](crate::Sandbox).

use rust_decimal::Decimal;

/// The kind of Partnero program an API key belongs to.
///
/// One key is one program; each program has its own partners, customers,
/// transactions and webhooks. The kind decides which fields and endpoints
/// the program understands (see the crate README).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProgramKind {
    /// An affiliate program: partners refer customers, partners earn commission.
    Affiliate,
    /// A refer-a-friend program: customers refer customers, referrers earn rewards.
    ReferAFriend,
    /// A newsletter referral program: subscribers refer subscribers (`/subscribers`).
    Newsletter,
}

impl ProgramKind {
    /// The program type as `GET /v1/test` reports it (`affiliate`, `refer_a_friend` or
    /// `newsletter`).
    pub fn as_api_str(self) -> &'static str {
        match self {
            ProgramKind::Affiliate => "affiliate",
            ProgramKind::ReferAFriend => "refer_a_friend",
            ProgramKind::Newsletter => "newsletter",
        }
    }

    /// Parses `affiliate`, `refer-a-friend`, `refer_a_friend`, `raf` or `newsletter`
    /// (case-insensitive).
    pub fn parse(s: &str) -> Option<ProgramKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "affiliate" | "aff" => Some(ProgramKind::Affiliate),
            "refer-a-friend" | "refer_a_friend" | "referafriend" | "raf" | "refer" => {
                Some(ProgramKind::ReferAFriend)
            }
            "newsletter" => Some(ProgramKind::Newsletter),
            _ => None,
        }
    }
}

impl std::fmt::Display for ProgramKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ProgramKind::Affiliate => "affiliate",
            ProgramKind::ReferAFriend => "refer-a-friend",
            ProgramKind::Newsletter => "newsletter",
        })
    }
}

/// The default API key of the default affiliate program.
pub const DEFAULT_AFFILIATE_KEY: &str = "sk_test_affiliate";
/// The default API key of the default refer-a-friend program.
pub const DEFAULT_REFER_KEY: &str = "sk_test_refer";
/// The default API key of the default newsletter program.
pub const DEFAULT_NEWSLETTER_KEY: &str = "sk_test_newsletter";
/// The default request body limit (1 MiB).
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// Configuration for [`Sandbox::start`](crate::Sandbox::start).
///
/// The default accepts three keys, `sk_test_affiliate` (affiliate),
/// `sk_test_refer` (refer-a-friend) and `sk_test_newsletter` (newsletter), pays 20 % commission on `amount`, seeds
/// no demo data, binds port 0 (a free port) and limits bodies to 1 MiB.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub(crate) keys: Vec<(String, ProgramKind)>,
    keys_customised: bool,
    pub(crate) commission_percent: Decimal,
    pub(crate) seed_demo: bool,
    pub(crate) port: u16,
    pub(crate) referral_link_base: String,
    pub(crate) body_limit: usize,
    pub(crate) test_names_program: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            keys: vec![
                (DEFAULT_AFFILIATE_KEY.to_owned(), ProgramKind::Affiliate),
                (DEFAULT_REFER_KEY.to_owned(), ProgramKind::ReferAFriend),
                (DEFAULT_NEWSLETTER_KEY.to_owned(), ProgramKind::Newsletter),
            ],
            keys_customised: false,
            commission_percent: Decimal::from(20),
            seed_demo: false,
            port: 0,
            referral_link_base: "https://example.com/".to_owned(),
            body_limit: DEFAULT_BODY_LIMIT,
            test_names_program: true,
        }
    }
}

impl SandboxConfig {
    /// The default configuration (see the type's documentation).
    pub fn new() -> Self {
        Self::default()
    }

    /// Accepts `key` as the API key of a program of `kind`.
    ///
    /// The first call replaces the default keys; later calls add keys.
    /// Adding a key that is already configured changes its kind.
    pub fn api_key(mut self, key: impl Into<String>, kind: ProgramKind) -> Self {
        if !self.keys_customised {
            self.keys.clear();
            self.keys_customised = true;
        }
        let key = key.into();
        self.keys.retain(|(k, _)| *k != key);
        self.keys.push((key, kind));
        self
    }

    /// The commission paid on each transaction, in percent of its `amount` (default 20).
    pub fn commission_percent(mut self, p: Decimal) -> Self {
        self.commission_percent = p;
        self
    }

    /// Seeds the partner `demo-partner` in every affiliate program and the
    /// customer `demo-referrer` in every refer-a-friend program.
    pub fn seed_demo(mut self, yes: bool) -> Self {
        self.seed_demo = yes;
        self
    }

    /// The port to bind on 127.0.0.1 (0, the default, picks a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The landing page that referral links point to (default `https://example.com/`).
    ///
    /// Affiliate links are `<base>?aff=<partner key>`, refer-a-friend links
    /// `<base>?ref=<customer key>`.
    pub fn referral_link_base(mut self, base: impl Into<String>) -> Self {
        self.referral_link_base = base.into();
        self
    }

    /// The largest request body accepted, in bytes (default 1 MiB); larger ones get 413.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Whether `GET /v1/test` names the program's type (default `true`). Partnero's
    /// documentation promises only the program's `pub_id` and `name`; `false` answers just
    /// those, to test a client that cannot learn the program from it.
    pub fn test_names_program(mut self, yes: bool) -> Self {
        self.test_names_program = yes;
        self
    }
}
