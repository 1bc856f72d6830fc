//! One request through an axum `Router`, in-process (`oneshot`), with and without
//! `PartneroLayer`, against the floor (`axum::Extension`) and the peer (`tower-cookies`).
//!
//! Every row sends the same ~800-byte `Cookie` header and builds its request the same way, per
//! iteration; the router is built once and cloned per iteration.
//!
//! `cargo bench -p partnero-tower --bench layer`

use std::hint::black_box;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, header};
use axum::routing::get;
use axum::{Extension, Router};
use criterion::{Criterion, criterion_group, criterion_main};
use partnero_tower::{PartneroLayer, Referral};
use tower::ServiceExt;
use tower_cookies::{CookieManagerLayer, Cookies};

/// A realistic analytics-heavy `Cookie` header without any referral cookie (~800 bytes).
const COOKIES: &str = "_ga=GA1.1.1234567890.1700000000; \
_ga_ABCDEF1234=GS1.1.1700000000.12.1.1700000500.0.0.0; _gid=GA1.2.987654321.1700000000; \
_fbp=fb.1.1700000000000.1234567890; _gcl_au=1.1.1234567890.1700000000; \
session=eyJ1c2VyIjoiYWxpY2UiLCJyb2xlIjoiY3VzdG9tZXIiLCJleHAiOjE3MDAwMDAwMDB9.c2lnbmF0dXJlLXZhbHVlLWhlcmU; \
csrftoken=4f3c2b1a09e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a29180; theme=dark; lang=en-US; \
cookie_consent=granted; _hjSessionUser_123456=eyJpZCI6IjEyMzQ1Njc4OTAiLCJjcmVhdGVkIjoxNzAwMDAwMDAwfQ; \
_hjSession_123456=eyJpZCI6ImFiY2RlZiIsImMiOjE3MDAwMDAwMDAsInMiOjAsInIiOjB9; \
intercom-id-abcdef=12345678-90ab-cdef-1234-567890abcdef; \
intercom-session-abcdef=; ajs_anonymous_id=a1b2c3d4-e5f6-7890-abcd-ef1234567890; \
mp_abcdef_mixpanel=%7B%22distinct_id%22%3A%22abc%22%2C%22%24device_id%22%3A%22def%22%7D; \
cart_id=cart-0000000000000001; recently_viewed=sku-1001|sku-1002|sku-1003; tz=Europe%2FVilnius";

/// The same header with a referral cookie in place of `tz` (same cookies, similar length).
const COOKIES_WITH_REFERRAL: &str = "_ga=GA1.1.1234567890.1700000000; \
_ga_ABCDEF1234=GS1.1.1700000000.12.1.1700000500.0.0.0; _gid=GA1.2.987654321.1700000000; \
_fbp=fb.1.1700000000000.1234567890; _gcl_au=1.1.1234567890.1700000000; \
session=eyJ1c2VyIjoiYWxpY2UiLCJyb2xlIjoiY3VzdG9tZXIiLCJleHAiOjE3MDAwMDAwMDB9.c2lnbmF0dXJlLXZhbHVlLWhlcmU; \
csrftoken=4f3c2b1a09e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a29180; theme=dark; lang=en-US; \
cookie_consent=granted; _hjSessionUser_123456=eyJpZCI6IjEyMzQ1Njc4OTAiLCJjcmVhdGVkIjoxNzAwMDAwMDAwfQ; \
_hjSession_123456=eyJpZCI6ImFiY2RlZiIsImMiOjE3MDAwMDAwMDAsInMiOjAsInIiOjB9; \
intercom-id-abcdef=12345678-90ab-cdef-1234-567890abcdef; \
intercom-session-abcdef=; ajs_anonymous_id=a1b2c3d4-e5f6-7890-abcd-ef1234567890; \
mp_abcdef_mixpanel=%7B%22distinct_id%22%3A%22abc%22%2C%22%24device_id%22%3A%22def%22%7D; \
cart_id=cart-0000000000000001; recently_viewed=sku-1001|sku-1002|sku-1003; partnero_partner=demo-partner";

const USER_AGENT: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) \
     Version/17.5 Safari/605.1.15";

/// The request every row sends, built per iteration.
fn request(uri: &'static str, cookies: &'static str) -> Request<Body> {
    Request::get(uri)
        .header(header::HOST, "shop.example")
        .header(header::USER_AGENT, USER_AGENT)
        .header(header::ACCEPT, "text/html")
        .header(header::COOKIE, cookies)
        .body(Body::empty())
        .expect("valid request")
}

async fn plain() -> &'static str {
    "ok"
}

async fn reads_referral(referral: Referral) -> &'static str {
    black_box(referral.partner_key());
    "ok"
}

async fn reads_extension(Extension(state): Extension<Arc<AppState>>) -> &'static str {
    black_box(&state.name);
    "ok"
}

async fn reads_cookie(cookies: Cookies) -> &'static str {
    black_box(cookies.get("partnero_partner"));
    "ok"
}

/// What a typical `Extension` layer carries: shared application state behind an `Arc`.
struct AppState {
    name: String,
}

fn bench_layer(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let state = Arc::new(AppState {
        name: "shop".to_owned(),
    });

    let bare = Router::new().route("/", get(plain));
    let extension = Router::new()
        .route("/", get(plain))
        .layer(Extension(Arc::clone(&state)));
    let partnero = Router::new()
        .route("/", get(plain))
        .layer(PartneroLayer::new("sk_test_key"));
    let tower_cookies = Router::new()
        .route("/", get(reads_cookie))
        .layer(CookieManagerLayer::new());
    let extension_extracted = Router::new()
        .route("/", get(reads_extension))
        .layer(Extension(Arc::clone(&state)));
    let partnero_extracted = Router::new()
        .route("/", get(reads_referral))
        .layer(PartneroLayer::new("sk_test_key"));

    let rows: [(&str, &Router, &'static str, &'static str); 8] = [
        ("bare router", &bare, "/", COOKIES),
        ("+ Extension layer", &extension, "/", COOKIES),
        ("+ PartneroLayer, no referral", &partnero, "/", COOKIES),
        (
            "+ PartneroLayer, cookie referral",
            &partnero,
            "/",
            COOKIES_WITH_REFERRAL,
        ),
        (
            "+ PartneroLayer, ?aff= referral (Set-Cookie)",
            &partnero,
            "/?aff=demo-partner",
            COOKIES,
        ),
        (
            "+ tower-cookies, handler reads cookie",
            &tower_cookies,
            "/",
            COOKIES_WITH_REFERRAL,
        ),
        (
            "+ Extension layer, handler extracts it",
            &extension_extracted,
            "/",
            COOKIES,
        ),
        (
            "+ PartneroLayer, cookie referral, handler extracts Referral",
            &partnero_extracted,
            "/",
            COOKIES_WITH_REFERRAL,
        ),
    ];

    let mut group = c.benchmark_group("layer");
    for (name, router, uri, cookies) in rows {
        group.bench_function(name, |b| {
            b.to_async(&rt).iter(|| async {
                let response = router
                    .clone()
                    .oneshot(request(uri, cookies))
                    .await
                    .expect("infallible");
                black_box(response)
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench_layer);
criterion_main!(benches);
