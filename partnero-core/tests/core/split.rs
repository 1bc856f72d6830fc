//! `capture` is exactly `capture_links` followed by `fill_from_cookies`, whatever the cookies
//! and links, under both attributions; and `fill_from_cookies` is idempotent.

use partnero_core::{Attribution, RequestInfo, TrackingConfig};
use proptest::prelude::*;

fn config(first_touch: bool, path: bool, via: bool, consent: bool) -> TrackingConfig {
    let mut c = TrackingConfig::default();
    if first_touch {
        c = c.attribution(Attribution::FirstTouch);
    }
    if path {
        c = c.partner_path_prefix("/aff/").referrer_path_prefix("/r/");
    }
    if via {
        c = c.add_partner_query_param("via");
    }
    if consent {
        c = c.consent(|req| req.cookie("deny").is_none());
    }
    c
}

/// A key-like value: valid keys, an invalid one, or empty.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("demo-partner".to_owned()),
        Just("friend-1".to_owned()),
        Just("k2".to_owned()),
        Just(String::new()),
        Just("a b".to_owned()),
        Just("%C3%A9".to_owned()),
        "[a-z0-9%+-]{0,6}",
    ]
}

fn cookie_header() -> impl Strategy<Value = String> {
    let name = prop::sample::select(vec![
        "partnero_partner",
        "partnero_referral",
        "xpartnero_partner",
        "deny",
        "_ga",
    ]);
    prop::collection::vec((name, value()), 0..4).prop_map(|pairs| {
        pairs
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    })
}

fn query() -> impl Strategy<Value = Option<String>> {
    let name = prop::sample::select(vec!["aff", "ref", "via", "utm_source", "AFF"]);
    prop::option::of(
        prop::collection::vec((name, value()), 0..4).prop_map(|pairs| {
            pairs
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>()
                .join("&")
        }),
    )
}

fn path() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "/",
        "/pricing",
        "/aff/path-key",
        "/r/friend-2/x",
        "/aff/",
    ])
    .prop_map(str::to_owned)
}

proptest! {
    #[test]
    fn capture_is_links_then_cookies(
        flags in any::<(bool, bool, bool, bool)>(),
        method in prop::sample::select(vec!["GET", "HEAD", "POST"]),
        path in path(),
        query in query(),
        cookies in prop::collection::vec(cookie_header(), 0..3),
        bot in any::<bool>(),
    ) {
        let config = config(flags.0, flags.1, flags.2, flags.3);
        let mut headers: Vec<(&str, &[u8])> = vec![("host", b"shop.example")];
        for c in &cookies {
            headers.push(("cookie", c.as_bytes()));
        }
        if bot {
            headers.push(("user-agent", b"Googlebot/2.1"));
        }
        let req = RequestInfo::new(method, &path, query.as_deref(), &headers);

        let full = config.capture(&req);
        let mut split = config.capture_links(&req);
        // The response is decided by the links alone.
        prop_assert_eq!(&split.set_cookies, &full.set_cookies);
        prop_assert_eq!(&split.context.landing_url, &full.context.landing_url);
        config.fill_from_cookies(&mut split.context, &req);
        prop_assert_eq!(&split, &full);
        // Idempotent.
        config.fill_from_cookies(&mut split.context, &req);
        prop_assert_eq!(&split, &full);
    }
}

#[test]
fn table_of_cookie_and_link_combinations() {
    let cookie_values = [
        None,
        Some("partnero_partner=old; partnero_referral=friend-old"),
        Some("partnero_partner=a%20b"),
    ];
    let queries = [
        None,
        Some("aff=new"),
        Some("ref=friend-new"),
        Some("aff=new&ref=friend-new"),
        Some("aff=a+b"),
    ];
    for first_touch in [false, true] {
        let config = config(first_touch, true, false, false);
        for cookie in cookie_values {
            for query in queries {
                for path in ["/", "/aff/path-key"] {
                    let mut headers: Vec<(&str, &[u8])> = vec![("host", b"shop.example")];
                    if let Some(c) = cookie {
                        headers.push(("cookie", c.as_bytes()));
                    }
                    let req = RequestInfo::new("GET", path, query, &headers);
                    let mut split = config.capture_links(&req);
                    config.fill_from_cookies(&mut split.context, &req);
                    assert_eq!(
                        split,
                        config.capture(&req),
                        "first_touch={first_touch} cookie={cookie:?} query={query:?} path={path}"
                    );
                }
            }
        }
    }
}

/// Partner A's landing cookie never travels with partner B's key: when B's link replaces the
/// referral cookie but its own landing URL cannot be kept (here a path over the length limit),
/// the landing cookie is expired, and the request's context does not take A's URL from it.
#[test]
fn a_new_link_never_keeps_another_partners_landing_url() {
    let config = TrackingConfig::default().landing_url_cookie(true);
    let path = format!("/p/{}", "x".repeat(2100));
    let headers = [
        ("host", &b"shop.example"[..]),
        (
            "cookie",
            &b"partnero_partner=A; partnero_landing=https://shop.example/?aff%3DA"[..],
        ),
    ];
    let req = RequestInfo::new("GET", &path, Some("aff=B"), &headers);
    let capture = config.capture(&req);
    assert_eq!(capture.context.partner_key().unwrap().as_str(), "B");
    assert_ne!(
        capture.context.landing_url(),
        Some("https://shop.example/?aff=A"),
        "A's landing URL paired with B's key"
    );
    assert!(
        capture
            .set_cookies
            .iter()
            .any(|c| c.starts_with("partnero_partner=B;")),
        "{:?}",
        capture.set_cookies
    );
    assert!(
        capture
            .set_cookies
            .iter()
            .any(|c| c.starts_with("partnero_landing=;") && c.contains("Max-Age=0")),
        "A's landing cookie is expired: {:?}",
        capture.set_cookies
    );
}
