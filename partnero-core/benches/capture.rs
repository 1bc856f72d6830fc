//! Capture against the usual ways of reading one cookie, on one realistic ~800-byte `Cookie`
//! header of 15 cookies. Run: `cargo bench -p partnero-core --bench capture`.
//!
//! The three baselines look for `partnero_partner` in the 15-cookie header without it (the
//! common case: they must scan or parse everything). `capture_partner_cookie` uses the same
//! header with a `partnero_partner` cookie inserted in the middle; `capture_query_aff` the
//! plain header plus `?aff=KEY&utm_source=x`, which also renders the `Set-Cookie` value and
//! the landing URL. Our rows read headers from a slice of pairs (the `http` feature is off in
//! a plain `cargo bench`); `CookieJar` reads an `http::HeaderMap`.

use std::hint::black_box;

use axum_extra::extract::cookie::CookieJar;
use criterion::{Criterion, criterion_group, criterion_main};
use http::{HeaderMap, HeaderValue, header};
use partnero_core::{RequestInfo, TrackingConfig};

/// 15 cookies a real shop carries: analytics ids, ad ids, consent, session, CSRF, preferences.
const COOKIES: [&str; 15] = [
    "_ga=GA1.1.1234567890.1712345678",
    "_ga_8XYZ12ABCD=GS1.1.1712345678.4.1.1712349999.0.0.0",
    "_gid=GA1.2.987654321.1712345678",
    "_gcl_au=1.1.1122334455.1712345678",
    "_fbp=fb.1.1712345678901.1234567890",
    "_hjSessionUser_1234567=eyJpZCI6IjEyMzQ1Njc4LTkwYWItY2RlZi0xMjM0LTU2Nzg5MGFiY2RlZiIsImV4aXN0aW5nIjp0cnVlfQ==",
    "_hjSession_1234567=eyJpZCI6ImFiY2RlZjEyLTM0NTYtNzg5MCIsImMiOjE3MTIzNDU2fQ==",
    "cookie_consent=%7B%22necessary%22%3Atrue%2C%22analytics%22%3Atrue%2C%22marketing%22%3Afalse%7D",
    "intercom-id-abcd1234=0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
    "intercom-session-abcd1234=",
    "session_id=s%3A8f14e45fceea167a5a36dedd4bea2543.Yb3kQ0x9Nw2Lm8Pq7Rs6Tv5Uw4Xy3Za2Bc1De0Fg",
    "csrftoken=Zk3Qb1Xy0Nw9Lm2Pq8Rs7Tv6Uw5Xy4Za3Bc2De1Fg0Hi9Jk8Lm7No6Pq5Rs4",
    "theme=dark",
    "lang=en-GB",
    "cart=%7B%22id%22%3A%22c_7f3a9b2e%22%2C%22items%22%3A3%7D",
];

const PARTNER: &str = "partnero_partner=demo-partner-42";
const UA: &[u8] = b"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

fn cookie_header(with_partner: bool) -> String {
    let mut cookies: Vec<&str> = COOKIES.to_vec();
    if with_partner {
        cookies.insert(COOKIES.len() / 2, PARTNER);
    }
    cookies.join("; ")
}

fn capture(c: &mut Criterion) {
    let plain = cookie_header(false);
    let with_partner = cookie_header(true);
    assert!(
        (700..=900).contains(&plain.len()),
        "header is {} bytes",
        plain.len()
    );

    let mut map = HeaderMap::new();
    map.insert(header::COOKIE, HeaderValue::from_str(&plain).unwrap());
    map.insert(
        header::USER_AGENT,
        HeaderValue::from_static(std::str::from_utf8(UA).unwrap()),
    );

    let config = TrackingConfig::default();
    let plain_headers = [
        ("host", &b"shop.example"[..]),
        ("user-agent", UA),
        ("accept", b"text/html,application/xhtml+xml"),
        ("cookie", plain.as_bytes()),
    ];
    let partner_headers = [
        ("host", &b"shop.example"[..]),
        ("user-agent", UA),
        ("accept", b"text/html,application/xhtml+xml"),
        ("cookie", with_partner.as_bytes()),
    ];

    let mut g = c.benchmark_group("capture");
    g.bench_function("cookiejar_from_headers_get", |b| {
        b.iter(|| {
            let jar = CookieJar::from_headers(black_box(&map));
            black_box(jar.get("partnero_partner").map(|c| c.value().len()))
        })
    });
    g.bench_function("cookie_split_parse_encoded", |b| {
        b.iter(|| {
            black_box(
                cookie::Cookie::split_parse_encoded(black_box(plain.as_str()))
                    .flatten()
                    .find(|c| c.name() == "partnero_partner")
                    .map(|c| c.value().len()),
            )
        })
    });
    g.bench_function("memmem_floor", |b| {
        b.iter(|| {
            black_box(memchr::memmem::find(
                black_box(plain.as_bytes()),
                b"partnero_partner=",
            ))
        })
    });
    let renewing = TrackingConfig::default().renew_cookies(true);
    let utm = Some("utm_source=newsletter&utm_medium=email");
    let cases = [
        ("capture_no_referral", &config, utm, &plain_headers),
        ("capture_partner_cookie", &config, utm, &partner_headers),
        (
            "capture_partner_cookie_renewed",
            &renewing,
            utm,
            &partner_headers,
        ),
        (
            "capture_query_aff",
            &config,
            Some("aff=demo-partner-42&utm_source=x"),
            &plain_headers,
        ),
    ];
    for (name, config, query, headers) in cases {
        g.bench_function(name, |b| {
            b.iter(|| {
                let req = RequestInfo::new("GET", "/pricing", query, black_box(headers));
                black_box(config.capture(black_box(&req)))
            })
        });
    }
    g.finish();
}

criterion_group!(benches, capture);
criterion_main!(benches);
