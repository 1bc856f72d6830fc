//! The capture cases every stack must agree on: the same requests and expectations run through a
//! bare `ServiceBuilder` stack (`layer_service.rs`) and an axum `Router` (`axum_router.rs`).

use std::time::Duration;

use http::{HeaderMap, Request, header};
use partnero_core::{Attribution, KeySource, ReferralContext, SameSite, TrackingConfig};
use partnero_tower::PartneroLayer;

/// The `Set-Cookie` value the default policy renders for `demo-partner`.
pub(crate) const DEFAULT_SET_COOKIE: &str =
    "partnero_partner=demo-partner; Max-Age=2592000; Path=/; SameSite=Lax; Secure";

/// One request through the layer and what must come out of it.
pub(crate) struct Case {
    pub(crate) name: &'static str,
    pub(crate) layer: fn() -> PartneroLayer,
    pub(crate) method: &'static str,
    pub(crate) uri: &'static str,
    pub(crate) headers: &'static [(&'static str, &'static str)],
    /// The expected partner key and where it came from.
    pub(crate) partner: Option<(&'static str, KeySource)>,
    /// The expected referring customer key and where it came from.
    pub(crate) referrer: Option<(&'static str, KeySource)>,
    pub(crate) landing_url: Option<&'static str>,
    /// The expected referral `Set-Cookie` values, compared attribute by attribute.
    pub(crate) set_cookies: &'static [&'static str],
}

impl Case {
    /// The case's request with `body`.
    pub(crate) fn request<B>(&self, body: B) -> Request<B> {
        let mut builder = Request::builder().method(self.method).uri(self.uri);
        for (name, value) in self.headers {
            builder = builder.header(*name, *value);
        }
        builder.body(body).expect("case request is well-formed")
    }

    /// Asserts the captured context and the response's `Set-Cookie` headers.
    pub(crate) fn check(&self, context: &ReferralContext, response_headers: &HeaderMap) {
        let name = self.name;
        let partner = context.partner.as_ref().map(|c| (c.key.as_str(), c.source));
        assert_eq!(partner, self.partner, "{name}: partner");
        let referrer = context
            .referrer
            .as_ref()
            .map(|c| (c.key.as_str(), c.source));
        assert_eq!(referrer, self.referrer, "{name}: referrer");
        assert_eq!(
            context.landing_url(),
            self.landing_url,
            "{name}: landing URL"
        );

        let got: Vec<Vec<String>> = response_headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| cookie_parts(v.to_str().expect("Set-Cookie is ASCII")))
            .collect();
        let want: Vec<Vec<String>> = self.set_cookies.iter().map(|c| cookie_parts(c)).collect();
        assert_eq!(got, want, "{name}: Set-Cookie");
    }
}

/// `name=value` first, then the attributes sorted, names lowercased: attribute order is the
/// core's choice, not part of the contract.
pub(crate) fn cookie_parts(set_cookie: &str) -> Vec<String> {
    let mut parts = set_cookie.split(';').map(str::trim);
    let first = parts.next().unwrap_or_default().to_owned();
    let mut attributes: Vec<String> = parts
        .map(|attr| match attr.split_once('=') {
            Some((n, v)) => format!("{}={v}", n.to_ascii_lowercase()),
            None => attr.to_ascii_lowercase(),
        })
        .collect();
    attributes.sort();
    let mut out = vec![first];
    out.extend(attributes);
    out
}

fn default_layer() -> PartneroLayer {
    PartneroLayer::new("sk_test_key")
}

const HOST: (&str, &str) = ("host", "shop.example");
const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

/// Every capture case of the issue.
pub(crate) const CASES: &[Case] = &[
    Case {
        name: "no referral",
        layer: default_layer,
        method: "GET",
        uri: "/pricing?utm_source=news",
        headers: &[HOST, ("cookie", "session=abc; theme=dark")],
        partner: None,
        referrer: None,
        landing_url: None,
        set_cookies: &[],
    },
    Case {
        name: "partner from cookie",
        layer: default_layer,
        method: "GET",
        uri: "/pricing",
        headers: &[
            HOST,
            ("cookie", "session=abc; partnero_partner=demo-partner"),
        ],
        partner: Some(("demo-partner", KeySource::Cookie)),
        referrer: None,
        landing_url: None,
        set_cookies: &[],
    },
    Case {
        name: "partner from query",
        layer: default_layer,
        method: "GET",
        uri: "/pricing?aff=demo-partner",
        headers: &[HOST, ("user-agent", BROWSER)],
        partner: Some(("demo-partner", KeySource::Query)),
        referrer: None,
        landing_url: Some("https://shop.example/pricing?aff=demo-partner"),
        set_cookies: &[DEFAULT_SET_COOKIE],
    },
    Case {
        name: "partner from path",
        layer: || {
            default_layer().with_config(TrackingConfig::default().partner_path_prefix("/aff/"))
        },
        method: "GET",
        uri: "/aff/demo-partner",
        headers: &[HOST],
        partner: Some(("demo-partner", KeySource::Path)),
        referrer: None,
        landing_url: Some("https://shop.example/aff/demo-partner"),
        set_cookies: &[DEFAULT_SET_COOKIE],
    },
    Case {
        name: "extra query parameter",
        layer: || {
            default_layer().with_config(TrackingConfig::default().add_partner_query_param("via"))
        },
        method: "GET",
        uri: "/?via=demo-partner",
        headers: &[HOST],
        partner: Some(("demo-partner", KeySource::Query)),
        referrer: None,
        landing_url: Some("https://shop.example/?via=demo-partner"),
        set_cookies: &[DEFAULT_SET_COOKIE],
    },
    Case {
        name: "referrer from query",
        layer: default_layer,
        method: "GET",
        uri: "/?ref=demo-referrer",
        headers: &[HOST],
        partner: None,
        referrer: Some(("demo-referrer", KeySource::Query)),
        landing_url: Some("https://shop.example/?ref=demo-referrer"),
        set_cookies: &[
            "partnero_referral=demo-referrer; Max-Age=2592000; Path=/; SameSite=Lax; Secure",
        ],
    },
    Case {
        name: "cookie attributes from the config",
        layer: || {
            default_layer().with_config(
                TrackingConfig::default()
                    .secure(false)
                    .http_only(true)
                    .domain("shop.example")
                    .max_age(Duration::from_secs(3600))
                    .same_site(SameSite::Strict),
            )
        },
        method: "GET",
        uri: "/?aff=demo-partner",
        headers: &[HOST],
        partner: Some(("demo-partner", KeySource::Query)),
        referrer: None,
        landing_url: Some("http://shop.example/?aff=demo-partner"),
        set_cookies: &[
            "partnero_partner=demo-partner; Max-Age=3600; Path=/; SameSite=Strict; HttpOnly; Domain=shop.example",
        ],
    },
    Case {
        name: "key percent-encoded in the cookie value",
        layer: default_layer,
        method: "GET",
        uri: "/?aff=caf%C3%A9%3D1",
        headers: &[HOST],
        partner: Some(("café=1", KeySource::Query)),
        referrer: None,
        landing_url: Some("https://shop.example/?aff=caf%C3%A9%3D1"),
        set_cookies: &[
            "partnero_partner=caf%C3%A9%3D1; Max-Age=2592000; Path=/; SameSite=Lax; Secure",
        ],
    },
    Case {
        name: "HEAD sets no cookie",
        layer: default_layer,
        method: "HEAD",
        uri: "/?aff=demo-partner",
        headers: &[HOST],
        partner: Some(("demo-partner", KeySource::Query)),
        referrer: None,
        landing_url: Some("https://shop.example/?aff=demo-partner"),
        set_cookies: &[],
    },
    Case {
        name: "prefetch sets no cookie",
        layer: default_layer,
        method: "GET",
        uri: "/?aff=demo-partner",
        headers: &[HOST, ("sec-purpose", "prefetch;prerender")],
        partner: Some(("demo-partner", KeySource::Query)),
        referrer: None,
        landing_url: Some("https://shop.example/?aff=demo-partner"),
        set_cookies: &[],
    },
    Case {
        name: "legacy Purpose: prefetch sets no cookie",
        layer: default_layer,
        method: "GET",
        uri: "/?aff=demo-partner",
        headers: &[HOST, ("purpose", "prefetch")],
        partner: Some(("demo-partner", KeySource::Query)),
        referrer: None,
        landing_url: Some("https://shop.example/?aff=demo-partner"),
        set_cookies: &[],
    },
    Case {
        name: "crawler sets no cookie",
        layer: default_layer,
        method: "GET",
        uri: "/?aff=demo-partner",
        headers: &[HOST, ("user-agent", GOOGLEBOT)],
        partner: Some(("demo-partner", KeySource::Query)),
        referrer: None,
        landing_url: Some("https://shop.example/?aff=demo-partner"),
        set_cookies: &[],
    },
    Case {
        name: "consent veto sets no cookie",
        layer: consent_layer,
        method: "GET",
        uri: "/?aff=demo-partner",
        headers: &[HOST, ("cookie", "cookie_consent=denied")],
        partner: Some(("demo-partner", KeySource::Query)),
        referrer: None,
        landing_url: Some("https://shop.example/?aff=demo-partner"),
        set_cookies: &[],
    },
    Case {
        name: "consent granted sets the cookie",
        layer: consent_layer,
        method: "GET",
        uri: "/?aff=demo-partner",
        headers: &[HOST, ("cookie", "cookie_consent=granted")],
        partner: Some(("demo-partner", KeySource::Query)),
        referrer: None,
        landing_url: Some("https://shop.example/?aff=demo-partner"),
        set_cookies: &[DEFAULT_SET_COOKIE],
    },
    Case {
        name: "first-touch keeps an existing cookie",
        layer: || {
            default_layer()
                .with_config(TrackingConfig::default().attribution(Attribution::FirstTouch))
        },
        method: "GET",
        uri: "/?aff=demo-partner",
        headers: &[HOST, ("cookie", "partnero_partner=first-partner")],
        partner: Some(("first-partner", KeySource::Cookie)),
        referrer: None,
        landing_url: None,
        set_cookies: &[],
    },
    Case {
        name: "last-touch replaces an existing cookie",
        layer: default_layer,
        method: "GET",
        uri: "/?aff=demo-partner",
        headers: &[HOST, ("cookie", "partnero_partner=first-partner")],
        partner: Some(("demo-partner", KeySource::Query)),
        referrer: None,
        landing_url: Some("https://shop.example/?aff=demo-partner"),
        set_cookies: &[DEFAULT_SET_COOKIE],
    },
    Case {
        name: "invalid query key is ignored",
        layer: default_layer,
        method: "GET",
        uri: "/?aff=bad%20key",
        headers: &[HOST],
        partner: None,
        referrer: None,
        landing_url: None,
        set_cookies: &[],
    },
    Case {
        name: "broken escape in the query is ignored",
        layer: default_layer,
        method: "GET",
        uri: "/?aff=bad%zzkey",
        headers: &[HOST],
        partner: None,
        referrer: None,
        landing_url: None,
        set_cookies: &[],
    },
    Case {
        name: "invalid cookie key is ignored",
        layer: default_layer,
        method: "GET",
        uri: "/",
        headers: &[HOST, ("cookie", "partnero_partner=bad%zzkey")],
        partner: None,
        referrer: None,
        landing_url: None,
        set_cookies: &[],
    },
    Case {
        name: "invalid query key falls back to the cookie",
        layer: default_layer,
        method: "GET",
        uri: "/?aff=bad%20key",
        headers: &[HOST, ("cookie", "partnero_partner=demo-partner")],
        partner: Some(("demo-partner", KeySource::Cookie)),
        referrer: None,
        landing_url: None,
        set_cookies: &[],
    },
    Case {
        name: "several Cookie headers",
        layer: default_layer,
        method: "GET",
        uri: "/",
        headers: &[
            HOST,
            ("cookie", "session=abc; partnero_partner=bad%zz"),
            ("cookie", "theme=dark"),
            (
                "cookie",
                "partnero_partner=demo-partner; partnero_referral=demo-referrer",
            ),
        ],
        partner: Some(("demo-partner", KeySource::Cookie)),
        referrer: Some(("demo-referrer", KeySource::Cookie)),
        landing_url: None,
        set_cookies: &[],
    },
];

fn consent_layer() -> PartneroLayer {
    default_layer().with_config(
        TrackingConfig::default()
            .consent(|req| req.cookie("cookie_consent") == Some(&b"granted"[..])),
    )
}
