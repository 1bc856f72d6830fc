//! Capture, rule by rule: sources, attribution, persistence policy, cookie attributes, landing
//! URL, and every bad-input row of the issue.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use partnero_core::{
    Attribution, Capture, Headers, KeySource, MAX_KEY_LEN, RequestInfo, SameSite, TrackingConfig,
};

const CHROME: &[u8] = b"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 \
    (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

fn set_cookie(name: &str, key: &str) -> String {
    format!("{name}={key}; Max-Age=2592000; Path=/; SameSite=Lax; Secure")
}

fn run(config: &TrackingConfig, query: Option<&str>, headers: &dyn Headers) -> Capture {
    config.capture(&RequestInfo::new("GET", "/", query, headers))
}

fn partner(c: &Capture) -> Option<(&str, KeySource)> {
    c.context
        .partner
        .as_ref()
        .map(|p| (p.key.as_str(), p.source))
}

fn referrer(c: &Capture) -> Option<(&str, KeySource)> {
    c.context
        .referrer
        .as_ref()
        .map(|p| (p.key.as_str(), p.source))
}

fn cookie_header(value: &str) -> [(&'static str, &[u8]); 2] {
    [("host", b"shop.example"), ("cookie", value.as_bytes())]
}

// ---- sources ----

#[test]
fn no_referral_gives_empty_capture() {
    let c = run(
        &TrackingConfig::default(),
        Some("utm_source=x"),
        &cookie_header("a=1; b=2"),
    );
    assert!(c.context.is_empty());
    assert!(c.set_cookies.is_empty());
    assert_eq!(c.context.landing_url(), None);
    assert_eq!(c, Capture::default());
}

#[test]
fn affiliate_query_is_captured_and_persisted() {
    let c = run(
        &TrackingConfig::default(),
        Some("aff=demo-partner&utm_source=x"),
        &cookie_header("a=1"),
    );
    assert_eq!(partner(&c), Some(("demo-partner", KeySource::Query)));
    assert_eq!(referrer(&c), None);
    assert_eq!(
        c.set_cookies,
        [set_cookie("partnero_partner", "demo-partner")]
    );
}

#[test]
fn referral_query_is_captured_and_persisted() {
    let c = run(
        &TrackingConfig::default(),
        Some("ref=friend-1"),
        &[("host", &b"h"[..])],
    );
    assert_eq!(referrer(&c), Some(("friend-1", KeySource::Query)));
    assert_eq!(partner(&c), None);
    assert_eq!(c.set_cookies, [set_cookie("partnero_referral", "friend-1")]);
}

#[test]
fn both_programs_are_handled_independently() {
    let c = run(
        &TrackingConfig::default(),
        Some("ref=friend&aff=partner"),
        &[("host", &b"h"[..])],
    );
    assert_eq!(partner(&c), Some(("partner", KeySource::Query)));
    assert_eq!(referrer(&c), Some(("friend", KeySource::Query)));
    assert_eq!(
        c.set_cookies,
        [
            set_cookie("partnero_partner", "partner"),
            set_cookie("partnero_referral", "friend")
        ]
    );

    let c = run(
        &TrackingConfig::default(),
        Some("aff=new"),
        &cookie_header("partnero_referral=friend; partnero_partner=old"),
    );
    assert_eq!(partner(&c), Some(("new", KeySource::Query)));
    assert_eq!(referrer(&c), Some(("friend", KeySource::Cookie)));
    assert_eq!(c.set_cookies, [set_cookie("partnero_partner", "new")]);
}

#[test]
fn cookies_are_read_without_setting_anything() {
    let c = run(
        &TrackingConfig::default(),
        None,
        &cookie_header("_ga=1; partnero_partner=p-1; partnero_referral=r-1"),
    );
    assert_eq!(partner(&c), Some(("p-1", KeySource::Cookie)));
    assert_eq!(referrer(&c), Some(("r-1", KeySource::Cookie)));
    assert!(c.set_cookies.is_empty());
    assert_eq!(c.context.landing_url(), None);
}

#[test]
fn cookie_values_are_percent_decoded() {
    let c = run(
        &TrackingConfig::default(),
        None,
        &cookie_header("partnero_partner=caf%C3%A9%3D1"),
    );
    assert_eq!(partner(&c), Some(("café=1", KeySource::Cookie)));
}

#[test]
fn query_values_are_percent_decoded_and_re_encoded_in_the_cookie() {
    let c = run(
        &TrackingConfig::default(),
        Some("aff=caf%C3%A9%2B1"),
        &cookie_header(""),
    );
    assert_eq!(partner(&c), Some(("café+1", KeySource::Query)));
    assert_eq!(
        c.set_cookies,
        [set_cookie("partnero_partner", "caf%C3%A9%2B1")]
    );
}

#[test]
fn extra_parameter_names_and_query_order() {
    let config = TrackingConfig::default().add_partner_query_param("via");
    let c = run(&config, Some("via=v-1"), &cookie_header(""));
    assert_eq!(partner(&c), Some(("v-1", KeySource::Query)));
    // The first matching parameter in query-string order wins, not the first configured name.
    let c = run(&config, Some("via=v-1&aff=a-1"), &cookie_header(""));
    assert_eq!(partner(&c), Some(("v-1", KeySource::Query)));
    // ... provided its value is valid.
    let c = run(&config, Some("via=bad%20key&aff=a-1"), &cookie_header(""));
    assert_eq!(partner(&c), Some(("a-1", KeySource::Query)));
    assert_eq!(c.set_cookies, [set_cookie("partnero_partner", "a-1")]);
    // Replaced names: `aff` no longer counts.
    let config = TrackingConfig::default().partner_query_params(["fpr"]);
    assert_eq!(
        partner(&run(&config, Some("aff=a"), &cookie_header(""))),
        None
    );
    assert_eq!(
        partner(&run(&config, Some("fpr=a"), &cookie_header(""))),
        Some(("a", KeySource::Query))
    );
    let config = TrackingConfig::default().add_referrer_query_param("invite");
    assert_eq!(
        referrer(&run(&config, Some("invite=i"), &cookie_header(""))),
        Some(("i", KeySource::Query))
    );
}

#[test]
fn encoded_parameter_names_match() {
    let c = run(
        &TrackingConfig::default(),
        Some("%61ff=k"),
        &cookie_header(""),
    );
    assert_eq!(partner(&c), Some(("k", KeySource::Query)));
    let c = run(
        &TrackingConfig::default(),
        Some("AFF=k&af=k&affx=k"),
        &cookie_header(""),
    );
    assert_eq!(partner(&c), None);
}

#[test]
fn plus_in_a_query_value_is_a_space_and_rejected() {
    let c = run(
        &TrackingConfig::default(),
        Some("aff=a+b"),
        &cookie_header(""),
    );
    assert_eq!(partner(&c), None);
    assert!(c.set_cookies.is_empty());
    // In a cookie, `+` is a literal plus.
    let c = run(
        &TrackingConfig::default(),
        None,
        &cookie_header("partnero_partner=a+b"),
    );
    assert_eq!(partner(&c), Some(("a+b", KeySource::Cookie)));
}

// ---- path form ----

#[test]
fn path_form_is_a_link_touch() {
    let config = TrackingConfig::default().partner_path_prefix("/aff/");
    let headers = [("host", &b"shop.example"[..])];
    let c = config.capture(&RequestInfo::new("GET", "/aff/p-9/pricing", None, &headers));
    assert_eq!(partner(&c), Some(("p-9", KeySource::Path)));
    assert_eq!(c.set_cookies, [set_cookie("partnero_partner", "p-9")]);
    assert_eq!(
        c.context.landing_url(),
        Some("https://shop.example/aff/p-9/pricing")
    );

    // Query before path when both are present.
    let c = config.capture(&RequestInfo::new(
        "GET",
        "/aff/p-9",
        Some("aff=q-1"),
        &headers,
    ));
    assert_eq!(partner(&c), Some(("q-1", KeySource::Query)));
    // An invalid query value falls back to the path.
    let c = config.capture(&RequestInfo::new(
        "GET",
        "/aff/p-9",
        Some("aff=%zz"),
        &headers,
    ));
    assert_eq!(partner(&c), Some(("p-9", KeySource::Path)));

    // Off by default, and only on the configured prefix.
    let c = TrackingConfig::default().capture(&RequestInfo::new("GET", "/aff/p-9", None, &headers));
    assert_eq!(partner(&c), None);
    for path in [
        "/aff/",
        "/aff",
        "/affiliates/p",
        "/x/aff/p",
        "/aff/a%20b",
        "/aff/%",
    ] {
        let c = config.capture(&RequestInfo::new("GET", path, None, &headers));
        assert_eq!(partner(&c), None, "{path}");
        assert!(c.set_cookies.is_empty(), "{path}");
    }

    let config = TrackingConfig::default().referrer_path_prefix("/r");
    let c = config.capture(&RequestInfo::new("GET", "/r/fr%C3%A9d", None, &headers));
    assert_eq!(referrer(&c), Some(("fréd", KeySource::Path)));
    assert_eq!(
        c.set_cookies,
        [set_cookie("partnero_referral", "fr%C3%A9d")]
    );
}

// ---- attribution ----

#[test]
fn last_touch_query_beats_cookie() {
    let c = run(
        &TrackingConfig::default(),
        Some("aff=new"),
        &cookie_header("partnero_partner=old"),
    );
    assert_eq!(partner(&c), Some(("new", KeySource::Query)));
    assert_eq!(c.set_cookies, [set_cookie("partnero_partner", "new")]);
}

#[test]
fn last_touch_re_sends_the_same_key_to_refresh_its_lifetime() {
    let c = run(
        &TrackingConfig::default(),
        Some("aff=same"),
        &cookie_header("partnero_partner=same"),
    );
    assert_eq!(partner(&c), Some(("same", KeySource::Query)));
    assert_eq!(c.set_cookies, [set_cookie("partnero_partner", "same")]);
}

#[test]
fn first_touch_keeps_an_existing_cookie_and_sets_nothing() {
    let config = TrackingConfig::default().attribution(Attribution::FirstTouch);
    let c = run(
        &config,
        Some("aff=new&ref=r-new"),
        &cookie_header("partnero_partner=old"),
    );
    assert_eq!(partner(&c), Some(("old", KeySource::Cookie)));
    // The other program has no cookie yet: its link is taken and persisted.
    assert_eq!(referrer(&c), Some(("r-new", KeySource::Query)));
    assert_eq!(c.set_cookies, [set_cookie("partnero_referral", "r-new")]);
}

#[test]
fn first_touch_without_a_valid_cookie_takes_the_link() {
    let config = TrackingConfig::default().attribution(Attribution::FirstTouch);
    let c = run(&config, Some("aff=new"), &cookie_header("x=1"));
    assert_eq!(partner(&c), Some(("new", KeySource::Query)));
    assert_eq!(c.set_cookies, [set_cookie("partnero_partner", "new")]);
    // An invalid cookie does not count as an existing one.
    let c = run(
        &config,
        Some("aff=new"),
        &cookie_header("partnero_partner=\"a b\""),
    );
    assert_eq!(partner(&c), Some(("new", KeySource::Query)));
    assert_eq!(c.set_cookies, [set_cookie("partnero_partner", "new")]);
}

// ---- renewing cookies (opt-in) ----

fn renewing() -> TrackingConfig {
    TrackingConfig::default().renew_cookies(true)
}

fn browser_request<'a>(
    method: &'a str,
    query: Option<&'a str>,
    headers: &'a dyn Headers,
) -> RequestInfo<'a> {
    RequestInfo::new(method, "/api/me", query, headers)
}

#[test]
fn renewing_is_off_by_default() {
    let headers = [
        ("user-agent", CHROME),
        ("cookie", &b"partnero_partner=p1"[..]),
    ];
    let c = TrackingConfig::default().capture(&browser_request("GET", None, &headers));
    assert_eq!(partner(&c), Some(("p1", KeySource::Cookie)));
    assert!(c.set_cookies.is_empty());
}

#[test]
fn renewing_writes_each_valid_cookie_back_unchanged() {
    let headers = [
        ("user-agent", CHROME),
        (
            "cookie",
            &b"_ga=1; partnero_partner=caf%C3%A9-1; partnero_referral=\"friend-2\""[..],
        ),
    ];
    let c = renewing().capture(&browser_request("POST", None, &headers));
    assert_eq!(partner(&c), Some(("café-1", KeySource::Cookie)));
    assert_eq!(referrer(&c), Some(("friend-2", KeySource::Cookie)));
    assert_eq!(
        c.set_cookies,
        [
            set_cookie("partnero_partner", "caf%C3%A9-1"),
            set_cookie("partnero_referral", "friend-2")
        ]
    );
    assert_eq!(c.context.landing_url(), None, "a cookie is not a landing");
    // The first phase alone decides it, as the adapters need.
    let links = renewing().capture_links(&browser_request("POST", None, &headers));
    assert_eq!(links, c);
}

#[test]
fn renewing_uses_the_policy_attributes() {
    let config = renewing()
        .secure(false)
        .http_only(true)
        .domain("example.com")
        .max_age(Duration::from_secs(3600));
    let headers = [
        ("user-agent", CHROME),
        ("cookie", &b"partnero_partner=p1"[..]),
    ];
    let c = config.capture(&browser_request("GET", None, &headers));
    assert_eq!(
        c.set_cookies,
        ["partnero_partner=p1; Max-Age=3600; Path=/; SameSite=Lax; HttpOnly; Domain=example.com"]
    );
}

#[test]
fn renewing_never_writes_an_invalid_cookie() {
    for bad in [
        &b"partnero_partner="[..],
        b"partnero_partner=a%20b",
        b"partnero_partner=a%zz",
        b"partnero_partner=\xff\xfe",
    ] {
        let headers = [("user-agent", CHROME), ("cookie", bad)];
        let c = renewing().capture(&browser_request("GET", None, &headers));
        assert!(c.context.is_empty(), "{bad:?}");
        assert!(c.set_cookies.is_empty(), "{bad:?}");
    }
    let headers = [("user-agent", CHROME), ("cookie", &b"a=1; b=2"[..])];
    assert_eq!(
        renewing().capture(&browser_request("GET", None, &headers)),
        Capture::default()
    );
}

#[test]
fn renewing_follows_the_persistence_policy() {
    let cookie = &b"partnero_partner=p1"[..];
    type HeaderList<'a> = Vec<(&'static str, &'a [u8])>;
    let refused: [(&str, HeaderList<'_>); 3] = [
        ("HEAD", vec![("user-agent", CHROME), ("cookie", cookie)]),
        (
            "GET",
            vec![
                ("user-agent", CHROME),
                ("sec-purpose", b"prefetch"),
                ("cookie", cookie),
            ],
        ),
        (
            "GET",
            vec![("user-agent", b"Googlebot/2.1"), ("cookie", cookie)],
        ),
    ];
    for (method, headers) in &refused {
        let c = renewing().capture(&browser_request(method, None, headers));
        assert_eq!(
            partner(&c),
            Some(("p1", KeySource::Cookie)),
            "{method} {headers:?}"
        );
        assert!(c.set_cookies.is_empty(), "{method} {headers:?}");
    }
    let vetoed = renewing().consent(|req| req.cookie("consent") != Some(&b"no"[..]));
    let headers = [
        ("user-agent", CHROME),
        ("cookie", &b"consent=no; partnero_partner=p1"[..]),
    ];
    let c = vetoed.capture(&browser_request("GET", None, &headers));
    assert_eq!(partner(&c), Some(("p1", KeySource::Cookie)));
    assert!(c.set_cookies.is_empty());
}

#[test]
fn renewing_under_last_touch_writes_only_the_link() {
    let headers = [
        ("user-agent", CHROME),
        ("cookie", &b"partnero_partner=p-old"[..]),
    ];
    let c = renewing().capture(&browser_request("GET", Some("aff=p-new"), &headers));
    assert_eq!(partner(&c), Some(("p-new", KeySource::Query)));
    assert_eq!(c.set_cookies, [set_cookie("partnero_partner", "p-new")]);
}

#[test]
fn renewing_under_first_touch_writes_the_kept_cookie() {
    let config = renewing().attribution(Attribution::FirstTouch);
    let headers = [
        ("user-agent", CHROME),
        ("cookie", &b"partnero_partner=p-old"[..]),
    ];
    let c = config.capture(&browser_request("GET", Some("aff=p-new"), &headers));
    assert_eq!(partner(&c), Some(("p-old", KeySource::Cookie)));
    assert_eq!(c.set_cookies, [set_cookie("partnero_partner", "p-old")]);
}

// ---- cookie header shapes ----

#[test]
fn duplicate_cookie_names_first_valid_wins() {
    let c = run(
        &TrackingConfig::default(),
        None,
        &cookie_header("partnero_partner=first; partnero_partner=second"),
    );
    assert_eq!(partner(&c), Some(("first", KeySource::Cookie)));
    let c = run(
        &TrackingConfig::default(),
        None,
        &cookie_header("partnero_partner=bad%zz; partnero_partner=; partnero_partner=good"),
    );
    assert_eq!(partner(&c), Some(("good", KeySource::Cookie)));
}

#[test]
fn quoted_cookie_values_are_unquoted() {
    let c = run(
        &TrackingConfig::default(),
        None,
        &cookie_header("partnero_partner=\"quoted-key\""),
    );
    assert_eq!(partner(&c), Some(("quoted-key", KeySource::Cookie)));
    let c = run(
        &TrackingConfig::default(),
        None,
        &cookie_header("partnero_partner=\"half"),
    );
    assert_eq!(partner(&c), None);
}

#[test]
fn names_match_whole_and_case_sensitively() {
    for header in [
        "xpartnero_partner=k",
        "partnero_partner_v2=k",
        "Partnero_Partner=k",
        "a=partnero_partner=k",
        "a=\"x partnero_partner=k\"",
    ] {
        let c = run(&TrackingConfig::default(), None, &cookie_header(header));
        assert_eq!(partner(&c), None, "{header}");
        let headers = cookie_header(header);
        let req = RequestInfo::new("GET", "/", None, &headers);
        assert_eq!(req.cookie("partnero_partner"), None, "{header}");
    }
    let c = run(
        &TrackingConfig::default(),
        None,
        &cookie_header(" ;\tpartnero_partner = k ; y=1"),
    );
    assert_eq!(partner(&c), Some(("k", KeySource::Cookie)));
}

#[test]
fn several_cookie_headers_are_all_read() {
    let headers = [
        ("cookie", &b"a=1; partnero_partner=bad value"[..]),
        ("user-agent", CHROME),
        ("cookie", &b"b=2; partnero_partner=from-second"[..]),
        ("cookie", &b"partnero_referral=r-third"[..]),
    ];
    let c = run(&TrackingConfig::default(), None, &headers);
    assert_eq!(partner(&c), Some(("from-second", KeySource::Cookie)));
    assert_eq!(referrer(&c), Some(("r-third", KeySource::Cookie)));
    let req = RequestInfo::new("GET", "/", None, &headers);
    assert_eq!(req.cookie("partnero_referral"), Some(&b"r-third"[..]));
    assert_eq!(req.cookie("b"), Some(&b"2"[..]));
}

#[test]
fn a_64_kib_header_works() {
    let mut big = String::with_capacity(70 * 1024);
    let mut i = 0;
    while big.len() < 64 * 1024 {
        big.push_str(&format!("filler_{i}={}; ", "v".repeat(40)));
        i += 1;
    }
    let c = run(&TrackingConfig::default(), None, &cookie_header(&big));
    assert!(c.context.is_empty());
    big.push_str("partnero_partner=at-the-end");
    let c = run(&TrackingConfig::default(), None, &cookie_header(&big));
    assert_eq!(partner(&c), Some(("at-the-end", KeySource::Cookie)));
    // One 64 KiB value is over-long, ignored.
    let huge = format!("partnero_partner={}", "k".repeat(64 * 1024));
    let c = run(
        &TrackingConfig::default(),
        Some(&format!("aff={}", "k".repeat(64 * 1024))),
        &cookie_header(&huge),
    );
    assert!(c.context.is_empty());
    assert!(c.set_cookies.is_empty());
}

#[test]
fn two_hundred_cookies_work() {
    let mut header: Vec<String> = (0..200).map(|i| format!("c{i}=value{i}")).collect();
    header.insert(150, "partnero_referral=r-150".into());
    let header = header.join("; ");
    let c = run(&TrackingConfig::default(), None, &cookie_header(&header));
    assert_eq!(referrer(&c), Some(("r-150", KeySource::Cookie)));
    assert_eq!(partner(&c), None);
}

#[test]
fn non_utf8_cookie_headers_are_tolerated() {
    let headers = [(
        "cookie",
        &b"\xff\xfe=1; partnero_partner=\xc3\x28; partnero_referral=ok"[..],
    )];
    let c = run(&TrackingConfig::default(), None, &headers);
    assert_eq!(partner(&c), None);
    assert_eq!(referrer(&c), Some(("ok", KeySource::Cookie)));
}

// ---- bad input, one row each ----

#[test]
fn invalid_values_are_ignored_everywhere() {
    let too_long = "k".repeat(MAX_KEY_LEN + 1);
    let too_long_encoded = "%6B".repeat(MAX_KEY_LEN + 1);
    let rows: &[(&str, &str)] = &[
        ("empty", ""),
        ("over-long", &too_long),
        ("over-long after decoding", &too_long_encoded),
        ("non-UTF-8", "%FF%FE"),
        ("truncated UTF-8", "caf%C3"),
        ("control character", "a%01b"),
        ("DEL", "a%7Fb"),
        ("newline", "a%0Ab"),
        ("space", "a%20b"),
        ("tab", "a%09b"),
        ("non-breaking space", "a%C2%A0b"),
        ("semicolon", "a%3Bb"),
        ("comma", "a%2Cb"),
        ("double quote", "a%22b"),
        ("backslash", "a%5Cb"),
        ("lone percent", "a%"),
        ("short escape", "a%2"),
        ("non-hex escape", "a%zzb"),
        ("half-hex escape", "a%2gb"),
    ];
    for (row, value) in rows {
        let c = run(
            &TrackingConfig::default(),
            Some(&format!("aff={value}&ref={value}")),
            &cookie_header(""),
        );
        assert!(c.context.is_empty(), "query, {row}");
        assert!(c.set_cookies.is_empty(), "query, {row}");
        let c = run(
            &TrackingConfig::default(),
            None,
            &cookie_header(&format!(
                "partnero_partner={value}; partnero_referral=\"{value}\""
            )),
        );
        assert!(c.context.is_empty(), "cookie, {row}");
        let config = TrackingConfig::default().partner_path_prefix("/aff/");
        let c = config.capture(&RequestInfo::new(
            "GET",
            &format!("/aff/{value}"),
            None,
            &cookie_header(""),
        ));
        assert!(c.context.is_empty(), "path, {row}");
        assert!(c.set_cookies.is_empty(), "path, {row}");
    }
    // Raw forbidden characters straight in the cookie header.
    for header in [
        "partnero_partner=a b",
        "partnero_partner=a\\b",
        "partnero_partner=a\"b",
        "partnero_partner=a\x01b",
    ] {
        let c = run(&TrackingConfig::default(), None, &cookie_header(header));
        assert!(c.context.is_empty(), "{header:?}");
    }
    // The longest valid key is accepted.
    let longest = "k".repeat(MAX_KEY_LEN);
    let c = run(
        &TrackingConfig::default(),
        Some(&format!("aff={longest}")),
        &cookie_header(""),
    );
    assert_eq!(partner(&c), Some((longest.as_str(), KeySource::Query)));
}

// ---- persistence policy ----

fn with_link(extra: &[(&'static str, &'static [u8])], method: &str) -> Capture {
    let mut headers: Vec<(&str, &[u8])> = vec![("host", b"shop.example"), ("user-agent", CHROME)];
    headers.extend_from_slice(extra);
    TrackingConfig::default().capture(&RequestInfo::new(
        method,
        "/",
        Some("aff=k&ref=r"),
        &headers,
    ))
}

#[test]
fn a_normal_browser_gets_the_cookie() {
    assert_eq!(with_link(&[], "GET").set_cookies.len(), 2);
    assert_eq!(with_link(&[], "POST").set_cookies.len(), 2);
}

#[test]
fn head_requests_never_persist_but_still_capture() {
    for method in ["HEAD", "head"] {
        let c = with_link(&[], method);
        assert!(c.set_cookies.is_empty(), "{method}");
        assert_eq!(partner(&c), Some(("k", KeySource::Query)));
        assert_eq!(referrer(&c), Some(("r", KeySource::Query)));
    }
}

#[test]
fn options_trace_and_connect_never_persist_but_still_capture() {
    // A CORS preflight carries the page's query string; the browser sends it on its own.
    for method in ["OPTIONS", "options", "TRACE", "CONNECT"] {
        let c = with_link(&[], method);
        assert!(c.set_cookies.is_empty(), "{method}");
        assert_eq!(partner(&c), Some(("k", KeySource::Query)), "{method}");
    }
    for method in ["PUT", "PATCH", "DELETE"] {
        assert_eq!(with_link(&[], method).set_cookies.len(), 2, "{method}");
    }
}

#[test]
fn prefetch_and_prerender_never_persist() {
    let rows: &[(&str, &[u8])] = &[
        ("sec-purpose", b"prefetch"),
        ("sec-purpose", b"prefetch;prerender"),
        ("Sec-Purpose", b"prefetch;anonymous-client-ip"),
        ("purpose", b"prefetch"),
        ("Purpose", b"Prefetch"),
        ("x-purpose", b"preview"),
        ("x-moz", b"prefetch"),
    ];
    for &(name, value) in rows {
        let c = with_link(&[(name, value)], "GET");
        assert!(c.set_cookies.is_empty(), "{name}: {value:?}");
        assert_eq!(partner(&c), Some(("k", KeySource::Query)));
    }
    // An unrelated purpose does not block.
    assert_eq!(
        with_link(&[("sec-purpose", b"other")], "GET")
            .set_cookies
            .len(),
        2
    );
}

#[test]
fn crawlers_never_persist() {
    for ua in [
        &b"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"[..],
        b"Mozilla/5.0 (compatible; bingbot/2.0)",
        b"facebookexternalhit/1.1",
        b"Slackbot-LinkExpanding 1.0",
        b"curl/8.5.0",
        b"python-requests/2.31",
        b"Mozilla/5.0 HeadlessChrome/120.0",
        b"WhatsApp/2.23",
    ] {
        let headers = [("user-agent", ua), ("host", b"h")];
        let c = TrackingConfig::default().capture(&RequestInfo::new(
            "GET",
            "/",
            Some("aff=k"),
            &headers,
        ));
        assert!(c.set_cookies.is_empty(), "{}", String::from_utf8_lossy(ua));
        assert_eq!(partner(&c), Some(("k", KeySource::Query)));
    }
    // Custom fragments, matched case-insensitively; replacing the list un-blocks the defaults.
    let config = TrackingConfig::default().add_bot_user_agent("MyMonitor");
    let headers = [("user-agent", &b"mymonitor/1.0"[..])];
    assert!(
        config
            .capture(&RequestInfo::new("GET", "/", Some("aff=k"), &headers))
            .set_cookies
            .is_empty()
    );
    let config = TrackingConfig::default().bot_user_agents(["mymonitor"]);
    let headers = [("user-agent", &b"curl/8"[..])];
    assert_eq!(
        config
            .capture(&RequestInfo::new("GET", "/", Some("aff=k"), &headers))
            .set_cookies
            .len(),
        1
    );
}

#[test]
fn consent_veto_keeps_the_context() {
    let config =
        TrackingConfig::default().consent(|req| req.cookie("consent") == Some(&b"yes"[..]));
    let c = run(&config, Some("aff=k"), &cookie_header("consent=no"));
    assert!(c.set_cookies.is_empty());
    assert_eq!(partner(&c), Some(("k", KeySource::Query)));
    assert_eq!(c.context.landing_url(), Some("https://shop.example/?aff=k"));
    let c = run(&config, Some("aff=k"), &cookie_header("consent=yes"));
    assert_eq!(c.set_cookies, [set_cookie("partnero_partner", "k")]);
}

#[test]
fn consent_is_asked_once_and_only_when_a_cookie_would_be_set() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let config = TrackingConfig::default().consent(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
        true
    });
    run(&config, None, &cookie_header("a=1"));
    run(
        &config,
        None,
        &cookie_header("partnero_partner=cookie-only"),
    );
    run(&config, Some("aff=bad%20key"), &cookie_header(""));
    config.capture(&RequestInfo::new(
        "HEAD",
        "/",
        Some("aff=k"),
        &cookie_header(""),
    ));
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    let c = run(&config, Some("aff=k&ref=r"), &cookie_header(""));
    assert_eq!(c.set_cookies.len(), 2);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let first_touch = config.attribution(Attribution::FirstTouch);
    run(
        &first_touch,
        Some("aff=k"),
        &cookie_header("partnero_partner=old"),
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

// ---- cookie attributes ----

#[test]
fn cookie_attributes_follow_the_config() {
    let query = Some("aff=k");
    let h = cookie_header("");
    let rows: Vec<(TrackingConfig, &str)> = vec![
        (
            TrackingConfig::default(),
            "partnero_partner=k; Max-Age=2592000; Path=/; SameSite=Lax; Secure",
        ),
        (
            TrackingConfig::default().secure(false),
            "partnero_partner=k; Max-Age=2592000; Path=/; SameSite=Lax",
        ),
        (
            TrackingConfig::default().http_only(true),
            "partnero_partner=k; Max-Age=2592000; Path=/; SameSite=Lax; Secure; HttpOnly",
        ),
        (
            TrackingConfig::default().domain("example.com"),
            "partnero_partner=k; Max-Age=2592000; Path=/; SameSite=Lax; Secure; Domain=example.com",
        ),
        (
            TrackingConfig::default().same_site(SameSite::Strict),
            "partnero_partner=k; Max-Age=2592000; Path=/; SameSite=Strict; Secure",
        ),
        (
            TrackingConfig::default()
                .same_site(SameSite::None)
                .secure(false),
            "partnero_partner=k; Max-Age=2592000; Path=/; SameSite=None; Secure",
        ),
        (
            TrackingConfig::default()
                .max_age(Duration::from_secs(7 * 86_400))
                .cookie_path("/app"),
            "partnero_partner=k; Max-Age=604800; Path=/app; SameSite=Lax; Secure",
        ),
        (
            TrackingConfig::default().partner_cookie_name("my_aff"),
            "my_aff=k; Max-Age=2592000; Path=/; SameSite=Lax; Secure",
        ),
        (TrackingConfig::default().domain("evil; HttpOnly"), ""),
    ];
    for (config, expected) in rows {
        let c = run(&config, query, &h);
        let got = c.set_cookies.first().map_or("", String::as_str);
        assert_eq!(got, expected, "{config:?}");
        assert_eq!(partner(&c), Some(("k", KeySource::Query)));
    }
}

#[test]
fn renamed_cookies_are_read_under_their_new_names() {
    let config = TrackingConfig::default()
        .partner_cookie_name("aff_key")
        .referrer_cookie_name("friend_key");
    let c = run(
        &config,
        None,
        &cookie_header("partnero_partner=old; aff_key=a; friend_key=f"),
    );
    assert_eq!(partner(&c), Some(("a", KeySource::Cookie)));
    assert_eq!(referrer(&c), Some(("f", KeySource::Cookie)));
}

// ---- landing URL ----

#[test]
fn landing_url_is_rebuilt_from_the_request() {
    let headers = [("host", &b"shop.example:8443"[..])];
    let req = RequestInfo::new("GET", "/p/x", Some("aff=k&utm_source=n"), &headers);
    let config = TrackingConfig::default();
    assert_eq!(
        config.capture(&req).context.landing_url(),
        Some("https://shop.example:8443/p/x?aff=k&utm_source=n")
    );
    assert_eq!(
        config
            .capture(&req.with_scheme(Some("http")))
            .context
            .landing_url(),
        Some("http://shop.example:8443/p/x?aff=k&utm_source=n")
    );
    assert_eq!(
        config
            .clone()
            .secure(false)
            .capture(&req)
            .context
            .landing_url(),
        Some("http://shop.example:8443/p/x?aff=k&utm_source=n")
    );
    assert_eq!(
        config
            .capture(&req.with_authority(Some("h2.example")))
            .context
            .landing_url(),
        Some("https://h2.example/p/x?aff=k&utm_source=n")
    );
}

#[test]
fn landing_url_is_absent_without_a_sane_host_or_a_link() {
    let config = TrackingConfig::default();
    let no_host: [(&str, &[u8]); 0] = [];
    let c = config.capture(&RequestInfo::new("GET", "/", Some("aff=k"), &no_host));
    assert_eq!(partner(&c), Some(("k", KeySource::Query)));
    assert_eq!(c.context.landing_url(), None);
    for host in [&b"evil.example/x"[..], b"a b", b"", b"u@h", b"\xff"] {
        let headers = [("host", host)];
        let c = config.capture(&RequestInfo::new("GET", "/", Some("aff=k"), &headers));
        assert_eq!(c.context.landing_url(), None, "{host:?}");
        assert_eq!(c.set_cookies.len(), 1);
    }
    let c = run(&config, None, &cookie_header("partnero_partner=k"));
    assert_eq!(c.context.landing_url(), None);
    // Under first-touch the cookie wins: this request is not the landing.
    let c = run(
        &config.attribution(Attribution::FirstTouch),
        Some("aff=new"),
        &cookie_header("partnero_partner=k"),
    );
    assert_eq!(c.context.landing_url(), None);
}

#[test]
fn an_over_long_landing_url_is_dropped_but_the_key_is_kept() {
    let config = TrackingConfig::default();
    let long_query = format!("aff=k&utm_content={}", "x".repeat(3000));
    let c = run(&config, Some(&long_query), &cookie_header(""));
    assert_eq!(partner(&c), Some(("k", KeySource::Query)));
    assert_eq!(c.context.landing_url(), None);
    assert_eq!(c.set_cookies, [set_cookie("partnero_partner", "k")]);
    let fits = format!("aff=k&utm_content={}", "x".repeat(1900));
    let c = run(&config, Some(&fits), &cookie_header(""));
    assert!(c.context.landing_url().is_some_and(|u| u.len() <= 2048));
}

#[test]
fn cookie_names_changed_after_first_use_are_honoured() {
    let config = TrackingConfig::default();
    let headers = cookie_header("partnero_partner=old-name; aff_cookie=new-name");
    assert_eq!(
        partner(&run(&config, None, &headers)),
        Some(("old-name", KeySource::Cookie))
    );
    // Renamed after the config was used: the cookie searcher follows the name...
    let config = config.partner_cookie_name("aff_cookie");
    assert_eq!(config.partner().cookie_name(), "aff_cookie");
    assert_eq!(
        partner(&run(&config, None, &headers)),
        Some(("new-name", KeySource::Cookie))
    );
    // ...and renamed back again.
    let config = config.partner_cookie_name("partnero_partner");
    assert_eq!(
        partner(&run(&config, None, &headers)),
        Some(("old-name", KeySource::Cookie))
    );
}
