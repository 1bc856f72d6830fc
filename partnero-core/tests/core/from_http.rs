//! The `http` feature: capture straight from an `http` 1.x request.
#![cfg(feature = "http")]

use partnero_core::{KeySource, RequestInfo, TrackingConfig};

#[test]
fn captures_from_an_http_request() {
    let req = http::Request::builder()
        .method("GET")
        .uri("/pricing?aff=demo-partner")
        .header("host", "shop.example")
        .header("cookie", "a=1; partnero_referral=friend")
        .header("cookie", "partnero_partner=old")
        .body(())
        .unwrap();
    let capture = TrackingConfig::default().capture(&RequestInfo::from_http(&req));
    let partner = capture.context.partner.as_ref().unwrap();
    assert_eq!(
        (partner.key.as_str(), partner.source),
        ("demo-partner", KeySource::Query)
    );
    let referrer = capture.context.referrer.as_ref().unwrap();
    assert_eq!(
        (referrer.key.as_str(), referrer.source),
        ("friend", KeySource::Cookie)
    );
    assert_eq!(
        capture.context.landing_url(),
        Some("https://shop.example/pricing?aff=demo-partner")
    );
    assert_eq!(capture.set_cookies.len(), 1);
}

#[test]
fn http2_style_requests_use_the_uri_authority_and_scheme() {
    // hyper's HTTP/2 requests carry `:authority` and `:scheme` in the URI, often without `Host`.
    let req = http::Request::builder()
        .uri("http://h2.example:8080/?ref=friend")
        .header("user-agent", "Mozilla/5.0")
        .body(())
        .unwrap();
    let info = RequestInfo::from_http(&req);
    assert_eq!(info.authority(), Some("h2.example:8080"));
    let capture = TrackingConfig::default().capture(&info);
    assert_eq!(
        capture.context.landing_url(),
        Some("http://h2.example:8080/?ref=friend")
    );
    assert_eq!(
        capture.set_cookies,
        ["partnero_referral=friend; Max-Age=2592000; Path=/; SameSite=Lax; Secure"]
    );

    let (parts, ()) = http::Request::builder()
        .method("HEAD")
        .uri("/?aff=k")
        .body(())
        .unwrap()
        .into_parts();
    let capture = TrackingConfig::default().capture(&RequestInfo::from_parts(
        &parts.method,
        &parts.uri,
        &parts.headers,
    ));
    assert_eq!(capture.context.partner_key().map(|k| k.as_str()), Some("k"));
    assert!(capture.set_cookies.is_empty());
}
