//! One table of request cases run through both adapters (tower/axum and actix-web): each case
//! must yield the same `ReferralContext` and the same `Set-Cookie` values on both, and what the
//! table says it should. The tower side runs twice: through an axum `Router` with the `Referral`
//! extractor, and through a bare `ServiceBuilder` stack reading `referral_handle`.
//!
//! The policy itself (which requests may persist a cookie: HEAD, prefetch, crawlers, consent,
//! attribution) is tested once, in `partnero-core/tests/core/cases.rs`; the rows here check that
//! the adapters carry it through alike. The rows made with [`Case::exact`] also pin where each
//! key came from and every `Set-Cookie` value verbatim.

use std::time::Duration;

use actix_web::test as actix_test;
use axum::body::Body;
use http_body_util::BodyExt;
use partnero_core::{
    Attribution, KeySource, MAX_LANDING_URL_LEN, ReferralContext, SameSite, TrackingConfig,
};
use tower::ServiceExt;

/// What one adapter produced for a request.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    status: u16,
    /// `Debug` of the `ReferralContext` the handler extracted.
    context: String,
    set_cookies: Vec<String>,
}

struct Case {
    name: &'static str,
    method: &'static str,
    uri: &'static str,
    headers: Vec<(&'static str, Vec<u8>)>,
    config: fn() -> TrackingConfig,
    /// The partner key the context must hold, if any.
    partner: Option<&'static str>,
    /// The referring customer key the context must hold, if any.
    referrer: Option<&'static str>,
    /// How many `Set-Cookie` values must be sent.
    cookies_set: usize,
    /// The landing URL the context must hold.
    landing: Option<&'static str>,
    /// For the exact rows: the sources and `Set-Cookie` values too.
    exact: Option<Exact>,
}

/// What an exact row also pins.
struct Exact {
    partner: Option<KeySource>,
    referrer: Option<KeySource>,
    /// Compared verbatim, in order.
    set_cookies: &'static [&'static str],
}

impl Case {
    /// An exact row on `shop.example`: no key, no landing URL and no `Set-Cookie` until the
    /// builder methods say otherwise.
    fn exact(
        name: &'static str,
        config: fn() -> TrackingConfig,
        method: &'static str,
        uri: &'static str,
        headers: &[(&'static str, &'static str)],
    ) -> Case {
        let mut case = Case::exact_without_host(name, config, method, uri, headers);
        case.headers.insert(0, h("host", "shop.example"));
        case
    }

    /// An exact row without a `Host` header (so without a landing URL, unless the URI is
    /// absolute).
    fn exact_without_host(
        name: &'static str,
        config: fn() -> TrackingConfig,
        method: &'static str,
        uri: &'static str,
        headers: &[(&'static str, &'static str)],
    ) -> Case {
        let all = headers.iter().map(|(name, value)| h(name, value)).collect();
        Case {
            name,
            method,
            uri,
            headers: all,
            config,
            partner: None,
            referrer: None,
            cookies_set: 0,
            landing: None,
            exact: Some(Exact {
                partner: None,
                referrer: None,
                set_cookies: &[],
            }),
        }
    }

    fn partner(mut self, key: &'static str, source: KeySource) -> Case {
        self.partner = Some(key);
        if let Some(exact) = &mut self.exact {
            exact.partner = Some(source);
        }
        self
    }

    fn referrer(mut self, key: &'static str, source: KeySource) -> Case {
        self.referrer = Some(key);
        if let Some(exact) = &mut self.exact {
            exact.referrer = Some(source);
        }
        self
    }

    fn landing(mut self, url: &'static str) -> Case {
        self.landing = Some(url);
        self
    }

    fn sets(mut self, set_cookies: &'static [&'static str]) -> Case {
        self.cookies_set = set_cookies.len();
        if let Some(exact) = &mut self.exact {
            exact.set_cookies = set_cookies;
        }
        self
    }
}

/// The `Set-Cookie` value the default policy renders for `demo-partner`.
const DEFAULT_SET_COOKIE: &str =
    "partnero_partner=demo-partner; Max-Age=2592000; Path=/; SameSite=Lax; Secure";
const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

fn default_config() -> TrackingConfig {
    TrackingConfig::default()
}

fn path_config() -> TrackingConfig {
    TrackingConfig::default()
        .partner_path_prefix("/aff/")
        .add_partner_query_param("via")
}

fn first_touch() -> TrackingConfig {
    TrackingConfig::default().attribution(Attribution::FirstTouch)
}

fn custom_cookie() -> TrackingConfig {
    TrackingConfig::default()
        .http_only(true)
        .secure(false)
        .domain("example.com")
        .max_age(Duration::from_secs(7 * 24 * 3600))
}

fn landing_cookie() -> TrackingConfig {
    TrackingConfig::default().landing_url_cookie(true)
}

fn renewing() -> TrackingConfig {
    TrackingConfig::default().renew_cookies(true)
}

fn consent() -> TrackingConfig {
    TrackingConfig::default().consent(|req| req.cookie("consent") != Some(&b"no"[..]))
}

fn consent_yes() -> TrackingConfig {
    TrackingConfig::default().consent(|req| req.cookie("consent") == Some(&b"yes"[..]))
}

fn last_touch() -> TrackingConfig {
    TrackingConfig::default().attribution(Attribution::LastTouch)
}

fn consent_granted() -> TrackingConfig {
    TrackingConfig::default().consent(|req| req.cookie("cookie_consent") == Some(&b"granted"[..]))
}

fn strict_cookie() -> TrackingConfig {
    TrackingConfig::default()
        .secure(false)
        .http_only(true)
        .domain("shop.example")
        .max_age(Duration::from_secs(3600))
        .same_site(SameSite::Strict)
}

fn h(name: &'static str, value: &str) -> (&'static str, Vec<u8>) {
    (name, value.as_bytes().to_vec())
}

fn cases() -> Vec<Case> {
    let base = |name, method, uri, headers, partner, referrer, cookies_set| Case {
        name,
        method,
        uri,
        headers,
        config: default_config,
        partner,
        referrer,
        cookies_set,
        landing: None,
        exact: None,
    };
    let big = format!(
        "{}; partnero_partner=deep-key",
        vec!["pad=xxxxxxxxxxxxxxxx"; 3000].join("; ")
    );
    let landing = |case: Case, url: &'static str| Case {
        landing: Some(url),
        ..case
    };
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    // `https://shop.example` + `/?aff=p-edge&pad=` + padding: exactly MAX_LANDING_URL_LEN
    // bytes, then one byte more.
    let edge_prefix = "/?aff=p-edge&pad=";
    let edge_pad = MAX_LANDING_URL_LEN - "https://shop.example".len() - edge_prefix.len();
    let edge_uri = leak(format!("{edge_prefix}{}", "x".repeat(edge_pad)));
    let edge_url = leak(format!("https://shop.example{edge_uri}"));
    let over_uri = leak(format!("{edge_prefix}{}", "x".repeat(edge_pad + 1)));
    let long_path_uri = leak(format!("/aff/p-long/{}", "a".repeat(2100)));
    let mut cases = vec![
        base("no referral", "GET", "/", vec![], None, None, 0),
        base(
            "analytics cookies only",
            "GET",
            "/pricing",
            vec![h("cookie", "_ga=GA1.2.3; session=abc; csrftoken=xyz")],
            None,
            None,
            0,
        ),
        base(
            "partner cookie",
            "GET",
            "/",
            vec![h("cookie", "a=1; partnero_partner=p-cookie; b=2")],
            Some("p-cookie"),
            None,
            0,
        ),
        base(
            "referral cookie",
            "GET",
            "/",
            vec![h("cookie", "partnero_referral=friend-1")],
            None,
            Some("friend-1"),
            0,
        ),
        base(
            "both cookies",
            "GET",
            "/",
            vec![h(
                "cookie",
                "partnero_referral=friend-1; partnero_partner=p-cookie",
            )],
            Some("p-cookie"),
            Some("friend-1"),
            0,
        ),
        base(
            "aff query",
            "GET",
            "/?aff=p-query&utm_source=x",
            vec![],
            Some("p-query"),
            None,
            1,
        ),
        base(
            "ref query",
            "GET",
            "/?utm=1&ref=friend-2",
            vec![],
            None,
            Some("friend-2"),
            1,
        ),
        base(
            "both queries",
            "GET",
            "/?aff=p-query&ref=friend-2",
            vec![],
            Some("p-query"),
            Some("friend-2"),
            2,
        ),
        base(
            "query beats cookie (last touch)",
            "GET",
            "/?aff=p-new",
            vec![h("cookie", "partnero_partner=p-old")],
            Some("p-new"),
            None,
            1,
        ),
        base(
            "percent-encoded key",
            "GET",
            "/?aff=caf%C3%A9",
            vec![],
            Some("café"),
            None,
            1,
        ),
        base(
            "space in key",
            "GET",
            "/?aff=bad%20key",
            vec![],
            None,
            None,
            0,
        ),
        base(
            "plus in key means space",
            "GET",
            "/?aff=bad+key",
            vec![],
            None,
            None,
            0,
        ),
        base("broken escape", "GET", "/?aff=%ZZ", vec![], None, None, 0),
        base("empty value", "GET", "/?aff=", vec![], None, None, 0),
        base(
            "semicolon in key",
            "GET",
            "/?aff=a%3Bb",
            vec![],
            None,
            None,
            0,
        ),
        base(
            "quote in cookie",
            "GET",
            "/",
            vec![h("cookie", "partnero_partner=a\"b")],
            None,
            None,
            0,
        ),
        base(
            "over-long key (256 bytes)",
            "GET",
            Box::leak(format!("/?aff={}", "k".repeat(256)).into_boxed_str()),
            vec![],
            None,
            None,
            0,
        ),
        base(
            "non-UTF-8 cookie",
            "GET",
            "/",
            vec![("cookie", b"partnero_partner=\xff\xfe".to_vec())],
            None,
            None,
            0,
        ),
        base(
            "invalid cookie, valid query",
            "GET",
            "/?aff=p-query",
            vec![h("cookie", "partnero_partner=%ZZ")],
            Some("p-query"),
            None,
            1,
        ),
        base(
            "quoted cookie value",
            "GET",
            "/",
            vec![h("cookie", "partnero_partner=\"p-quoted\"")],
            Some("p-quoted"),
            None,
            0,
        ),
        base(
            "duplicate cookie names: first valid wins",
            "GET",
            "/",
            vec![h(
                "cookie",
                "partnero_partner=first; partnero_partner=second",
            )],
            Some("first"),
            None,
            0,
        ),
        base(
            "several Cookie headers",
            "GET",
            "/",
            vec![
                h("cookie", "a=1"),
                h("cookie", "partnero_referral=friend-3"),
                h("cookie", "partnero_partner=p-3"),
            ],
            Some("p-3"),
            Some("friend-3"),
            0,
        ),
        base(
            "name is a suffix of another",
            "GET",
            "/",
            vec![h("cookie", "xpartnero_partner=nope")],
            None,
            None,
            0,
        ),
        base(
            "large Cookie header",
            "GET",
            "/",
            vec![("cookie", big.into_bytes())],
            Some("deep-key"),
            None,
            0,
        ),
        base(
            "HEAD never persists",
            "HEAD",
            "/?aff=p-head",
            vec![],
            Some("p-head"),
            None,
            0,
        ),
        base(
            "POST persists",
            "POST",
            "/?aff=p-post",
            vec![],
            Some("p-post"),
            None,
            1,
        ),
        base(
            "OPTIONS never persists",
            "OPTIONS",
            "/?aff=p-options",
            vec![],
            Some("p-options"),
            None,
            0,
        ),
        base(
            "CORS preflight never persists",
            "OPTIONS",
            "/api/cart?aff=p-preflight&ref=friend-pre",
            vec![
                h("origin", "https://partner.example"),
                h("access-control-request-method", "POST"),
                h("user-agent", BROWSER),
            ],
            Some("p-preflight"),
            Some("friend-pre"),
            0,
        ),
        base(
            "TRACE never persists",
            "TRACE",
            "/?aff=p-trace",
            vec![],
            Some("p-trace"),
            None,
            0,
        ),
        base(
            "Sec-Purpose prefetch",
            "GET",
            "/?aff=p-pre",
            vec![h("sec-purpose", "prefetch;prerender")],
            Some("p-pre"),
            None,
            0,
        ),
        base(
            "Purpose prefetch",
            "GET",
            "/?aff=p-pre",
            vec![h("purpose", "prefetch")],
            Some("p-pre"),
            None,
            0,
        ),
        base(
            "crawler",
            "GET",
            "/?aff=p-bot",
            vec![h(
                "user-agent",
                "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            )],
            Some("p-bot"),
            None,
            0,
        ),
        base(
            "browser",
            "GET",
            "/?aff=p-browser",
            vec![h(
                "user-agent",
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Safari/605.1.15",
            )],
            Some("p-browser"),
            None,
            1,
        ),
        Case {
            config: path_config,
            ..base(
                "path form",
                "GET",
                "/aff/p-path",
                vec![],
                Some("p-path"),
                None,
                1,
            )
        },
        Case {
            config: path_config,
            ..base(
                "extra query name",
                "GET",
                "/?via=p-via",
                vec![],
                Some("p-via"),
                None,
                1,
            )
        },
        Case {
            config: first_touch,
            ..base(
                "first touch keeps cookie",
                "GET",
                "/?aff=p-new",
                vec![h("cookie", "partnero_partner=p-old")],
                Some("p-old"),
                None,
                0,
            )
        },
        Case {
            config: first_touch,
            ..base(
                "first touch without cookie",
                "GET",
                "/?aff=p-new",
                vec![],
                Some("p-new"),
                None,
                1,
            )
        },
        Case {
            config: custom_cookie,
            ..base(
                "custom cookie attributes",
                "GET",
                "/?aff=p-attrs",
                vec![],
                Some("p-attrs"),
                None,
                1,
            )
        },
        Case {
            config: renewing,
            ..base(
                "renewing a script-set cookie",
                "GET",
                "/account",
                vec![h("cookie", "partnero_partner=p-js; partnero_referral=f-js")],
                Some("p-js"),
                Some("f-js"),
                2,
            )
        },
        Case {
            config: renewing,
            ..base(
                "renewing: link beats cookie",
                "GET",
                "/?aff=p-link",
                vec![h("cookie", "partnero_partner=p-js")],
                Some("p-link"),
                None,
                1,
            )
        },
        Case {
            config: renewing,
            ..base(
                "renewing: invalid cookie",
                "GET",
                "/",
                vec![h("cookie", "partnero_partner=a%20b")],
                None,
                None,
                0,
            )
        },
        Case {
            config: renewing,
            ..base(
                "renewing: HEAD",
                "HEAD",
                "/",
                vec![h("cookie", "partnero_partner=p-js")],
                Some("p-js"),
                None,
                0,
            )
        },
        Case {
            config: consent,
            ..base(
                "consent veto",
                "GET",
                "/?aff=p-consent",
                vec![h("cookie", "consent=no")],
                Some("p-consent"),
                None,
                0,
            )
        },
        Case {
            config: consent,
            ..base(
                "consent given",
                "GET",
                "/?aff=p-consent",
                vec![h("cookie", "consent=yes")],
                Some("p-consent"),
                None,
                1,
            )
        },
        landing(
            base(
                "landing: query key with Host",
                "GET",
                "/pricing?aff=p-land&utm_source=x",
                vec![h("host", "shop.example")],
                Some("p-land"),
                None,
                1,
            ),
            "https://shop.example/pricing?aff=p-land&utm_source=x",
        ),
        landing(
            base(
                "landing: Host with a port",
                "GET",
                "/pricing?aff=p-port",
                vec![h("host", "shop.example:8080")],
                Some("p-port"),
                None,
                1,
            ),
            "https://shop.example:8080/pricing?aff=p-port",
        ),
        landing(
            base(
                "landing: IPv6 Host",
                "GET",
                "/?aff=p-v6",
                vec![h("host", "[::1]:3000")],
                Some("p-v6"),
                None,
                1,
            ),
            "https://[::1]:3000/?aff=p-v6",
        ),
        landing(
            base(
                "landing: query is only the key",
                "GET",
                "/?aff=p-only",
                vec![h("host", "shop.example")],
                Some("p-only"),
                None,
                1,
            ),
            "https://shop.example/?aff=p-only",
        ),
        landing(
            base(
                "landing: trailing & kept",
                "GET",
                "/?aff=p-amp&",
                vec![h("host", "shop.example")],
                Some("p-amp"),
                None,
                1,
            ),
            "https://shop.example/?aff=p-amp&",
        ),
        landing(
            base(
                "landing: referrer link only",
                "GET",
                "/signup?ref=friend-l",
                vec![h("host", "shop.example")],
                None,
                Some("friend-l"),
                1,
            ),
            "https://shop.example/signup?ref=friend-l",
        ),
        landing(
            base(
                "landing: partner cookie, referrer link",
                "GET",
                "/?ref=friend-l",
                vec![
                    h("host", "shop.example"),
                    h("cookie", "partnero_partner=p-cookie"),
                ],
                Some("p-cookie"),
                Some("friend-l"),
                1,
            ),
            "https://shop.example/?ref=friend-l",
        ),
        base(
            "landing: cookie only, with Host",
            "GET",
            "/pricing?utm_source=x",
            vec![
                h("host", "shop.example"),
                h("cookie", "partnero_partner=p-cookie"),
            ],
            Some("p-cookie"),
            None,
            0,
        ),
        base(
            "landing: no Host",
            "GET",
            "/pricing?aff=p-nohost",
            vec![],
            Some("p-nohost"),
            None,
            1,
        ),
        landing(
            base(
                "landing: HEAD still records it",
                "HEAD",
                "/?aff=p-head",
                vec![h("host", "shop.example")],
                Some("p-head"),
                None,
                0,
            ),
            "https://shop.example/?aff=p-head",
        ),
        landing(
            base(
                "landing: exactly 2048 bytes",
                "GET",
                edge_uri,
                vec![h("host", "shop.example")],
                Some("p-edge"),
                None,
                1,
            ),
            edge_url,
        ),
        base(
            "landing: 2049 bytes is dropped, key kept",
            "GET",
            over_uri,
            vec![h("host", "shop.example")],
            Some("p-edge"),
            None,
            1,
        ),
        base(
            "landing: malformed Host (slash)",
            "GET",
            "/?aff=p-badhost",
            vec![h("host", "shop.example/evil")],
            Some("p-badhost"),
            None,
            1,
        ),
        base(
            "landing: malformed Host (space)",
            "GET",
            "/?aff=p-badhost",
            vec![h("host", "shop example")],
            Some("p-badhost"),
            None,
            1,
        ),
        base(
            "landing: malformed Host (userinfo)",
            "GET",
            "/?aff=p-badhost",
            vec![h("host", "user@shop.example")],
            Some("p-badhost"),
            None,
            1,
        ),
        base(
            "landing: empty Host",
            "GET",
            "/?aff=p-badhost",
            vec![h("host", "")],
            Some("p-badhost"),
            None,
            1,
        ),
        base(
            "landing: non-UTF-8 Host",
            "GET",
            "/?aff=p-badhost",
            vec![("host", b"shop\xff.example".to_vec())],
            Some("p-badhost"),
            None,
            1,
        ),
        landing(
            base(
                "landing: two Host headers, first used",
                "GET",
                "/?aff=p-twohosts",
                vec![h("host", "shop.example"), h("host", "other.example")],
                Some("p-twohosts"),
                None,
                1,
            ),
            "https://shop.example/?aff=p-twohosts",
        ),
        landing(
            base(
                "landing: absolute-form URI",
                "GET",
                "http://shop.example/pricing?aff=p-abs",
                vec![],
                Some("p-abs"),
                None,
                1,
            ),
            "http://shop.example/pricing?aff=p-abs",
        ),
        landing(
            base(
                "landing: absolute-form URI beats Host",
                "GET",
                "https://shop.example:8443/?aff=p-abs",
                vec![h("host", "other.example")],
                Some("p-abs"),
                None,
                1,
            ),
            "https://shop.example:8443/?aff=p-abs",
        ),
        Case {
            config: path_config,
            ..landing(
                base(
                    "landing: path form with Host",
                    "GET",
                    "/aff/p-path/pricing?utm_source=x",
                    vec![h("host", "shop.example")],
                    Some("p-path"),
                    None,
                    1,
                ),
                "https://shop.example/aff/p-path/pricing?utm_source=x",
            )
        },
        Case {
            config: path_config,
            ..landing(
                base(
                    "landing: path form, empty query",
                    "GET",
                    "/aff/p-path?",
                    vec![h("host", "shop.example")],
                    Some("p-path"),
                    None,
                    1,
                ),
                "https://shop.example/aff/p-path",
            )
        },
        Case {
            config: path_config,
            ..base(
                "landing: over-long path dropped, key kept",
                "GET",
                long_path_uri,
                vec![h("host", "shop.example")],
                Some("p-long"),
                None,
                1,
            )
        },
        Case {
            config: custom_cookie,
            ..landing(
                base(
                    "landing: http when not Secure",
                    "GET",
                    "/?aff=p-plain",
                    vec![h("host", "shop.example")],
                    Some("p-plain"),
                    None,
                    1,
                ),
                "http://shop.example/?aff=p-plain",
            )
        },
        Case {
            config: first_touch,
            ..base(
                "landing: first touch keeps cookie, no landing",
                "GET",
                "/?aff=p-new",
                vec![
                    h("host", "shop.example"),
                    h("cookie", "partnero_partner=p-old"),
                ],
                Some("p-old"),
                None,
                0,
            )
        },
        Case {
            config: renewing,
            ..base(
                "landing: renewed cookie, no landing",
                "GET",
                "/account",
                vec![
                    h("host", "shop.example"),
                    h("cookie", "partnero_partner=p-js"),
                ],
                Some("p-js"),
                None,
                1,
            )
        },
    ];
    cases.extend(exact_cases());
    cases.extend(exact_cases_without_host());
    cases
}

/// The exact rows: sources and `Set-Cookie` values pinned too.
fn exact_cases() -> Vec<Case> {
    use KeySource::{Cookie, Path, Query};
    let default = default_config as fn() -> TrackingConfig;
    let demo = "https://shop.example/?aff=demo-partner";
    vec![
        Case::exact("exact: no referral", default, "GET", "/pricing?utm_source=news", &[
            ("cookie", "session=abc; theme=dark"),
        ]),
        Case::exact("exact: partner from cookie", default, "GET", "/pricing", &[(
            "cookie",
            "session=abc; partnero_partner=demo-partner",
        )])
        .partner("demo-partner", Cookie),
        Case::exact("exact: partner from query", default, "GET", "/pricing?aff=demo-partner", &[
            ("user-agent", BROWSER),
        ])
        .partner("demo-partner", Query)
        .landing("https://shop.example/pricing?aff=demo-partner")
        .sets(&[DEFAULT_SET_COOKIE]),
        Case::exact(
            "exact: partner from path",
            || TrackingConfig::default().partner_path_prefix("/aff/"),
            "GET",
            "/aff/demo-partner",
            &[],
        )
        .partner("demo-partner", Path)
        .landing("https://shop.example/aff/demo-partner")
        .sets(&[DEFAULT_SET_COOKIE]),
        Case::exact(
            "exact: extra query parameter",
            || TrackingConfig::default().add_partner_query_param("via"),
            "GET",
            "/?via=demo-partner",
            &[],
        )
        .partner("demo-partner", Query)
        .landing("https://shop.example/?via=demo-partner")
        .sets(&[DEFAULT_SET_COOKIE]),
        Case::exact("exact: referrer from query", default, "GET", "/?ref=demo-referrer", &[])
            .referrer("demo-referrer", Query)
            .landing("https://shop.example/?ref=demo-referrer")
            .sets(&["partnero_referral=demo-referrer; Max-Age=2592000; Path=/; SameSite=Lax; Secure"]),
        Case::exact("exact: cookie attributes from the config", strict_cookie, "GET", "/?aff=demo-partner", &[])
            .partner("demo-partner", Query)
            .landing("http://shop.example/?aff=demo-partner")
            .sets(&["partnero_partner=demo-partner; Max-Age=3600; Path=/; SameSite=Strict; HttpOnly; Domain=shop.example"]),
        Case::exact("exact: key percent-encoded in the cookie value", default, "GET", "/?aff=caf%C3%A9%3D1", &[])
            .partner("café=1", Query)
            .landing("https://shop.example/?aff=caf%C3%A9%3D1")
            .sets(&["partnero_partner=caf%C3%A9%3D1; Max-Age=2592000; Path=/; SameSite=Lax; Secure"]),
        Case::exact("exact: HEAD sets no cookie", default, "HEAD", "/?aff=demo-partner", &[])
            .partner("demo-partner", Query)
            .landing(demo),
        Case::exact("exact: prefetch sets no cookie", default, "GET", "/?aff=demo-partner", &[
            ("sec-purpose", "prefetch;prerender"),
        ])
        .partner("demo-partner", Query)
        .landing(demo),
        Case::exact("exact: legacy Purpose: prefetch sets no cookie", default, "GET", "/?aff=demo-partner", &[
            ("purpose", "prefetch"),
        ])
        .partner("demo-partner", Query)
        .landing(demo),
        Case::exact("exact: crawler sets no cookie", default, "GET", "/?aff=demo-partner", &[
            ("user-agent", GOOGLEBOT),
        ])
        .partner("demo-partner", Query)
        .landing(demo),
        Case::exact("exact: consent veto sets no cookie", consent_granted, "GET", "/?aff=demo-partner", &[
            ("cookie", "cookie_consent=denied"),
        ])
        .partner("demo-partner", Query)
        .landing(demo),
        Case::exact("exact: consent granted sets the cookie", consent_granted, "GET", "/?aff=demo-partner", &[
            ("cookie", "cookie_consent=granted"),
        ])
        .partner("demo-partner", Query)
        .landing(demo)
        .sets(&[DEFAULT_SET_COOKIE]),
        Case::exact("exact: first-touch keeps an existing cookie", first_touch, "GET", "/?aff=demo-partner", &[
            ("cookie", "partnero_partner=first-partner"),
        ])
        .partner("first-partner", Cookie),
        Case::exact("exact: last-touch replaces an existing cookie", default, "GET", "/?aff=demo-partner", &[
            ("cookie", "partnero_partner=first-partner"),
        ])
        .partner("demo-partner", Query)
        .landing(demo)
        .sets(&[DEFAULT_SET_COOKIE]),
        Case::exact("exact: invalid query key is ignored", default, "GET", "/?aff=bad%20key", &[]),
        Case::exact("exact: broken escape in the query is ignored", default, "GET", "/?aff=bad%zzkey", &[]),
        Case::exact("exact: invalid cookie key is ignored", default, "GET", "/", &[
            ("cookie", "partnero_partner=bad%zzkey"),
        ]),
        Case::exact("exact: invalid query key falls back to the cookie", default, "GET", "/?aff=bad%20key", &[
            ("cookie", "partnero_partner=demo-partner"),
        ])
        .partner("demo-partner", Cookie),
        Case::exact("exact: several Cookie headers", default, "GET", "/", &[
            ("cookie", "session=abc; partnero_partner=bad%zz"),
            ("cookie", "theme=dark"),
            ("cookie", "partnero_partner=demo-partner; partnero_referral=demo-referrer"),
        ])
        .partner("demo-partner", Cookie)
        .referrer("demo-referrer", Cookie),
        Case::exact("exact: landing URL cookie written with the referral cookie", landing_cookie, "GET", "/pricing?aff=demo-partner", &[])
        .partner("demo-partner", Query)
        .landing("https://shop.example/pricing?aff=demo-partner")
        .sets(&[
            DEFAULT_SET_COOKIE,
            "partnero_landing=https://shop.example/pricing?aff%3Ddemo-partner; Max-Age=2592000; Path=/; SameSite=Lax; Secure; HttpOnly",
        ]),
        Case::exact("exact: landing URL cookie read at the sign-up", landing_cookie, "POST", "/signup", &[(
            "cookie",
            "partnero_partner=demo-partner; partnero_landing=https://shop.example/pricing?aff%3Ddemo-partner",
        )])
        .partner("demo-partner", Cookie)
        .landing("https://shop.example/pricing?aff=demo-partner"),
        Case::exact("exact: landing URL cookie not written for a preflight", landing_cookie, "OPTIONS", "/pricing?aff=demo-partner", &[])
        .partner("demo-partner", Query)
        .landing("https://shop.example/pricing?aff=demo-partner"),
        Case::exact("exact: landing URL cookie alone is no referral", landing_cookie, "POST", "/signup", &[(
            "cookie",
            "partnero_landing=https://shop.example/pricing?aff%3Ddemo-partner",
        )]),
    ]
}

/// The exact rows without a `Host` header: the requests the actix adapter's own tests used to
/// send.
fn exact_cases_without_host() -> Vec<Case> {
    use KeySource::{Cookie, Path, Query};
    let default = default_config as fn() -> TrackingConfig;
    let bare = Case::exact_without_host;
    let p1_and_friend = &[
        "partnero_partner=p1; Max-Age=2592000; Path=/; SameSite=Lax; Secure",
        "partnero_referral=friend-7; Max-Age=2592000; Path=/; SameSite=Lax; Secure",
    ];
    let newcomer = &["partnero_partner=newcomer; Max-Age=2592000; Path=/; SameSite=Lax; Secure"];
    let too_long: &'static str = Box::leak(format!("/?aff={}", "k".repeat(300)).into_boxed_str());
    let mut non_utf8 = bare(
        "bare: non-UTF-8 cookie bytes are ignored",
        default,
        "GET",
        "/",
        &[],
    );
    non_utf8.headers.push((
        "cookie",
        b"junk=\xff\xfe; partnero_partner=\xc3\x28; other=1".to_vec(),
    ));
    vec![
        bare("bare: no referral", default, "GET", "/pricing?page=2", &[("cookie", "session=abc; theme=dark")]),
        bare("bare: partner cookie is not set again", default, "GET", "/", &[("cookie", "session=abc; partnero_partner=demo-partner")])
            .partner("demo-partner", Cookie),
        bare("bare: referral cookie of refer-a-friend", default, "GET", "/", &[("cookie", "partnero_referral=friend-7; partnero_partner=p1")])
            .partner("p1", Cookie)
            .referrer("friend-7", Cookie),
        bare("bare: query parameter sets the cookie", default, "GET", "/pricing?aff=demo-partner", &[])
            .partner("demo-partner", Query)
            .sets(&[DEFAULT_SET_COOKIE]),
        bare("bare: partner and referrer parameters set both cookies", default, "GET", "/?ref=friend-7&aff=p1", &[])
            .partner("p1", Query)
            .referrer("friend-7", Query)
            .sets(p1_and_friend),
        bare("bare: landing URL from the Host header, https by default", default, "GET", "/pricing?aff=demo-partner", &[("host", "shop.example")])
            .partner("demo-partner", Query)
            .landing("https://shop.example/pricing?aff=demo-partner")
            .sets(&[DEFAULT_SET_COOKIE]),
        bare("bare: landing URL from an absolute URI", default, "GET", "http://shop.example:8080/p?aff=demo-partner", &[])
            .partner("demo-partner", Query)
            .landing("http://shop.example:8080/p?aff=demo-partner")
            .sets(&[DEFAULT_SET_COOKIE]),
        bare("bare: extra query parameter", || TrackingConfig::default().add_partner_query_param("via"), "GET", "/?via=demo-partner", &[])
            .partner("demo-partner", Query)
            .sets(&[DEFAULT_SET_COOKIE]),
        bare("bare: path form when configured", || TrackingConfig::default().partner_path_prefix("/aff/"), "GET", "/aff/demo-partner/pricing", &[])
            .partner("demo-partner", Path)
            .sets(&[DEFAULT_SET_COOKIE]),
        bare("bare: path form ignored when not configured", default, "GET", "/aff/demo-partner", &[]),
        bare("bare: cookie attributes follow the config", || {
            TrackingConfig::default()
                .secure(false)
                .http_only(true)
                .domain("example.com")
                .max_age(Duration::from_secs(3600))
                .same_site(SameSite::Strict)
        }, "GET", "/?aff=demo-partner", &[])
            .partner("demo-partner", Query)
            .sets(&["partnero_partner=demo-partner; Max-Age=3600; Path=/; SameSite=Strict; HttpOnly; Domain=example.com"]),
        bare("bare: a replaced config renames the cookie and the parameter", || {
            TrackingConfig::default()
                .partner_cookie_name("aff_key")
                .partner_query_params(["partner"])
        }, "GET", "/?partner=demo-partner&aff=ignored", &[])
            .partner("demo-partner", Query)
            .sets(&["aff_key=demo-partner; Max-Age=2592000; Path=/; SameSite=Lax; Secure"]),
        bare("bare: HEAD is attributed but gets no cookie", default, "HEAD", "/?aff=demo-partner", &[])
            .partner("demo-partner", Query),
        bare("bare: Sec-Purpose prefetch gets no cookie", default, "GET", "/?aff=demo-partner", &[("sec-purpose", "prefetch")])
            .partner("demo-partner", Query),
        bare("bare: Purpose prefetch gets no cookie", default, "GET", "/?aff=demo-partner", &[("purpose", "prefetch")])
            .partner("demo-partner", Query),
        bare("bare: crawler gets no cookie", default, "GET", "/?aff=demo-partner", &[("user-agent", "Mozilla/5.0 (compatible; Googlebot/2.1)")])
            .partner("demo-partner", Query),
        bare("bare: browser gets the cookie", default, "GET", "/?aff=demo-partner", &[("user-agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0")])
            .partner("demo-partner", Query)
            .sets(&[DEFAULT_SET_COOKIE]),
        bare("bare: consent denied vetoes the cookie only", consent_yes, "GET", "/?aff=demo-partner", &[("cookie", "consent=no")])
            .partner("demo-partner", Query),
        bare("bare: consent given", consent_yes, "GET", "/?aff=demo-partner", &[("cookie", "consent=yes")])
            .partner("demo-partner", Query)
            .sets(&[DEFAULT_SET_COOKIE]),
        bare("bare: first-touch keeps an existing cookie", first_touch, "GET", "/?aff=newcomer", &[("cookie", "partnero_partner=first-one")])
            .partner("first-one", Cookie),
        bare("bare: last-touch replaces an existing cookie", last_touch, "GET", "/?aff=newcomer", &[("cookie", "partnero_partner=first-one")])
            .partner("newcomer", Query)
            .sets(newcomer),
        bare("bare: first-touch without a cookie takes the link", first_touch, "GET", "/?aff=newcomer", &[])
            .partner("newcomer", Query)
            .sets(newcomer),
        bare("bare: invalid keys are ignored", default, "GET", "/?aff=a%3Bb&ref=%20", &[("cookie", "partnero_partner=a%20b; partnero_referral=x%00y")]),
        bare("bare: an invalid link does not hide a valid cookie", default, "GET", "/?aff=a+b", &[("cookie", "partnero_partner=demo-partner")])
            .partner("demo-partner", Cookie),
        bare("bare: a too long key is ignored", default, "GET", too_long, &[]),
        non_utf8,
        bare("bare: every Cookie header is read", default, "GET", "/", &[
            ("cookie", "session=abc"),
            ("cookie", "partnero_partner=demo-partner"),
            ("cookie", "partnero_referral=friend-7"),
        ])
        .partner("demo-partner", Cookie)
        .referrer("friend-7", Cookie),
        bare("bare: the first valid cookie across headers wins", default, "GET", "/", &[
            ("cookie", "partnero_partner=bad%20value"),
            ("cookie", "partnero_partner=specific; partnero_partner=general"),
        ])
        .partner("specific", Cookie),
    ]
}

/// What the adapters' handlers answer: the keys and landing URL field by field (compared
/// exactly with the table), the keys' sources (compared with the exact rows), then the whole
/// `Debug` of the context (compared across adapters).
fn describe(ctx: &ReferralContext) -> String {
    format!(
        "partner={:?} referrer={:?} landing={:?} {} | {ctx:?}",
        ctx.partner_key().map(|k| k.as_str()),
        ctx.referrer_key().map(|k| k.as_str()),
        ctx.landing_url(),
        sources(
            ctx.partner.as_ref().map(|c| c.source),
            ctx.referrer.as_ref().map(|c| c.source)
        ),
    )
}

fn sources(partner: Option<KeySource>, referrer: Option<KeySource>) -> String {
    format!("sources=({partner:?}, {referrer:?})")
}

fn expected_fields(case: &Case) -> String {
    format!(
        "partner={:?} referrer={:?} landing={:?} ",
        case.partner, case.referrer, case.landing
    )
}

/// A bare tower stack (`ServiceBuilder` + `service_fn`, no axum) whose inner service reads the
/// context through `referral_handle` and answers it in the body.
async fn through_tower_service(case: &Case) -> Seen {
    use partnero_tower::{PartneroLayer, referral_handle};
    use tower::{ServiceBuilder, service_fn};

    async fn show(
        req: http::Request<()>,
    ) -> Result<http::Response<String>, std::convert::Infallible> {
        let context = referral_handle(&req).map_or_else(
            || "no ReferralHandle in the request".to_owned(),
            |handle| describe(handle.context()),
        );
        Ok(http::Response::new(context))
    }
    let svc = ServiceBuilder::new()
        .layer(PartneroLayer::new("sk_parity").with_config((case.config)()))
        .service(service_fn(show));
    let mut req = http::Request::builder().method(case.method).uri(case.uri);
    for (name, value) in &case.headers {
        req = req.header(*name, http::HeaderValue::from_bytes(value).unwrap());
    }
    let res = svc.oneshot(req.body(()).unwrap()).await.unwrap();
    Seen {
        status: res.status().as_u16(),
        set_cookies: res
            .headers()
            .get_all(http::header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect(),
        context: res.into_body(),
    }
}

async fn through_axum(case: &Case) -> Seen {
    use axum::Router;
    use partnero_tower::{PartneroLayer, Referral};

    async fn show(referral: Referral) -> String {
        describe(&referral)
    }
    let app = Router::new()
        .fallback(show)
        .layer(PartneroLayer::new("sk_parity").with_config((case.config)()));
    let mut req = http::Request::builder().method(case.method).uri(case.uri);
    for (name, value) in &case.headers {
        req = req.header(
            *name,
            http::HeaderValue::from_bytes(value).expect("test header value"),
        );
    }
    let res = app.oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    let status = res.status().as_u16();
    let set_cookies = res
        .headers()
        .get_all(http::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    let mut context = String::from_utf8(body.to_vec()).unwrap();
    if case.method == "HEAD" {
        // A HEAD response has no body: run the same HEAD request again through a handler that
        // echoes the context in a header.
        context = head_context_axum(case).await;
    }
    Seen {
        status,
        context,
        set_cookies,
    }
}

async fn head_context_axum(case: &Case) -> String {
    use axum::Router;
    use axum::http::HeaderValue;
    use partnero_tower::{PartneroLayer, Referral};

    async fn header_echo(referral: Referral) -> ([(&'static str, HeaderValue); 1], ()) {
        let ctx = describe(&referral);
        ([("x-context", HeaderValue::from_str(&ctx).unwrap())], ())
    }
    let app = Router::new()
        .fallback(header_echo)
        .layer(PartneroLayer::new("sk_parity").with_config((case.config)()));
    let mut req = http::Request::builder().method(case.method).uri(case.uri);
    for (name, value) in &case.headers {
        req = req.header(*name, http::HeaderValue::from_bytes(value).unwrap());
    }
    let res = app.oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    String::from_utf8_lossy(res.headers()["x-context"].as_bytes()).into_owned()
}

async fn through_actix(case: &Case) -> Seen {
    use actix_web::http::Method;
    use actix_web::http::header::{HeaderName, HeaderValue};
    use actix_web::{App, HttpResponse, web};
    use partnero_actix::{PartneroMiddleware, Referral};

    async fn show(referral: Referral) -> HttpResponse {
        let ctx = describe(&referral);
        HttpResponse::Ok()
            .insert_header(("x-context", ctx.clone()))
            .body(ctx)
    }
    let app = actix_test::init_service(
        App::new()
            .wrap(PartneroMiddleware::new("sk_parity").with_config((case.config)()))
            .default_service(web::to(show)),
    )
    .await;
    let mut req = actix_test::TestRequest::default()
        .method(Method::from_bytes(case.method.as_bytes()).unwrap())
        .uri(case.uri);
    for (name, value) in &case.headers {
        req = req.append_header((
            HeaderName::from_static(name),
            HeaderValue::from_bytes(value).expect("test header value"),
        ));
    }
    let res = actix_test::call_service(&app, req.to_request()).await;
    let status = res.status().as_u16();
    let set_cookies = res
        .headers()
        .get_all(actix_web::http::header::SET_COOKIE)
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let header_context = res
        .headers()
        .get("x-context")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let body = actix_test::read_body(res).await;
    let context = if case.method == "HEAD" {
        header_context.unwrap_or_default()
    } else {
        String::from_utf8(body.to_vec()).unwrap()
    };
    Seen {
        status,
        context,
        set_cookies,
    }
}

#[actix_web::test]
async fn both_adapters_agree_on_every_case() {
    let mut failures = Vec::new();
    for case in cases() {
        let axum = through_axum(&case).await;
        let actix = through_actix(&case).await;
        let service = through_tower_service(&case).await;
        if axum != actix || axum != service {
            failures.push(format!(
                "{}: adapters differ\n  axum:  {axum:?}\n  actix: {actix:?}\n  tower: {service:?}",
                case.name
            ));
            continue;
        }
        if axum.status != 200 {
            failures.push(format!("{}: status {}", case.name, axum.status));
        }
        if !axum.context.starts_with(&expected_fields(&case)) {
            failures.push(format!(
                "{}: expected {}, got {}",
                case.name,
                expected_fields(&case),
                axum.context
            ));
        }
        if axum.set_cookies.len() != case.cookies_set {
            failures.push(format!(
                "{}: expected {} Set-Cookie, got {:?}",
                case.name, case.cookies_set, axum.set_cookies
            ));
        }
        if let Some(exact) = &case.exact {
            let want = sources(exact.partner, exact.referrer);
            if !axum.context.contains(&want) {
                failures.push(format!(
                    "{}: expected {want}, got {}",
                    case.name, axum.context
                ));
            }
            if axum.set_cookies != exact.set_cookies {
                failures.push(format!(
                    "{}: Set-Cookie {:?}, expected {:?}",
                    case.name, axum.set_cookies, exact.set_cookies
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[actix_web::test]
async fn set_cookie_attributes_are_the_documented_defaults_on_both() {
    let case = cases().into_iter().find(|c| c.name == "aff query").unwrap();
    let expected =
        vec!["partnero_partner=p-query; Max-Age=2592000; Path=/; SameSite=Lax; Secure".to_owned()];
    assert_eq!(through_axum(&case).await.set_cookies, expected);
    assert_eq!(through_actix(&case).await.set_cookies, expected);

    let case = cases()
        .into_iter()
        .find(|c| c.name == "custom cookie attributes")
        .unwrap();
    let axum = through_axum(&case).await.set_cookies;
    assert_eq!(axum, through_actix(&case).await.set_cookies);
    let parsed = cookie::Cookie::parse(axum[0].clone()).unwrap();
    assert_eq!(parsed.value(), "p-attrs");
    assert_eq!(parsed.http_only(), Some(true));
    assert_eq!(parsed.secure(), None, "Secure was turned off: {}", axum[0]);
    assert_eq!(parsed.domain(), Some("example.com"));
    assert_eq!(
        parsed.max_age().map(|d| d.whole_seconds()),
        Some(7 * 24 * 3600)
    );
}

#[test]
fn one_tracking_config_configures_both_adapters_alike() {
    use partnero_core::SameSite;

    let config = TrackingConfig::default()
        .secure(false)
        .http_only(true)
        .domain("example.com")
        .max_age(Duration::from_secs(3600))
        .same_site(SameSite::Strict)
        .attribution(Attribution::FirstTouch)
        .add_partner_query_param("via")
        .add_referrer_query_param("invite")
        .partner_path_prefix("/aff/")
        .renew_cookies(true)
        .consent(|_| true);
    let tower = partnero_tower::PartneroLayer::new("sk_parity").with_config(config.clone());
    let actix = partnero_actix::PartneroMiddleware::new("sk_parity").with_config(config);
    let shown = format!("{:?}", tower.config());
    assert_eq!(shown, format!("{:?}", actix.config()));
    let config = tower.config();
    assert!(!config.get_secure() && config.get_http_only());
    assert_eq!(config.referrer().query_params(), ["ref", "invite"]);
    assert_eq!(config.partner().path_prefix(), Some("/aff/"));
    assert!(config.get_consent().is_some());
    assert!(config.get_renew_cookies());
}
