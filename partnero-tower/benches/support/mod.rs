//! What both benchmarks share: the ~800-byte `Cookie` header, the request every row sends, the
//! handlers, and the routers of the rows.

use std::hint::black_box;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, header};
use axum::routing::get;
use axum::{Extension, Router};
use partnero_tower::{PartneroLayer, Referral};
use tower_cookies::{CookieManagerLayer, Cookies};

/// The analytics-heavy cookies both headers start with.
macro_rules! analytics_cookies {
    () => {
        "_ga=GA1.1.1234567890.1700000000; \
_ga_ABCDEF1234=GS1.1.1700000000.12.1.1700000500.0.0.0; _gid=GA1.2.987654321.1700000000; \
_fbp=fb.1.1700000000000.1234567890; _gcl_au=1.1.1234567890.1700000000; \
session=eyJ1c2VyIjoiYWxpY2UiLCJyb2xlIjoiY3VzdG9tZXIiLCJleHAiOjE3MDAwMDAwMDB9.c2lnbmF0dXJlLXZhbHVlLWhlcmU; \
csrftoken=4f3c2b1a09e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a29180; theme=dark; lang=en-US; \
cookie_consent=granted; _hjSessionUser_123456=eyJpZCI6IjEyMzQ1Njc4OTAiLCJjcmVhdGVkIjoxNzAwMDAwMDAwfQ; \
_hjSession_123456=eyJpZCI6ImFiY2RlZiIsImMiOjE3MDAwMDAwMDAsInMiOjAsInIiOjB9; \
intercom-id-abcdef=12345678-90ab-cdef-1234-567890abcdef; \
ajs_anonymous_id=a1b2c3d4-e5f6-7890-abcd-ef1234567890; \
mp_abcdef_mixpanel=%7B%22distinct_id%22%3A%22abc%22%2C%22%24device_id%22%3A%22def%22%7D; \
cart_id=cart-0000000000000001; "
    };
}

/// A realistic analytics-heavy `Cookie` header without any referral cookie (~800 bytes).
pub(crate) const COOKIES: &str = concat!(analytics_cookies!(), "tz=Europe%2FVilnius");

/// The same header with a referral cookie in place of `tz` (same cookies, similar length).
pub(crate) const COOKIES_WITH_REFERRAL: &str =
    concat!(analytics_cookies!(), "partnero_partner=demo-partner");

const USER_AGENT: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) \
     Version/17.5 Safari/605.1.15";

/// Serves one request of `row` (the router cloned, the request built anew).
pub(crate) async fn serve(row: &Row) -> axum::response::Response {
    use tower::ServiceExt as _;
    row.router
        .clone()
        .oneshot(request(row.uri, row.cookies))
        .await
        .expect("infallible")
}

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

/// One row: its name, the router (built once, cloned per request), the URI and the `Cookie`
/// header it sends.
pub(crate) struct Row {
    pub(crate) name: &'static str,
    pub(crate) router: Router,
    pub(crate) uri: &'static str,
    pub(crate) cookies: &'static str,
}

/// The rows, in report order: the first is the bare router every added cost is measured against.
pub(crate) fn rows() -> Vec<Row> {
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
        .layer(Extension(state));
    let partnero_extracted = Router::new()
        .route("/", get(reads_referral))
        .layer(PartneroLayer::new("sk_test_key"));

    let row = |name, router: &Router, uri, cookies| Row {
        name,
        router: router.clone(),
        uri,
        cookies,
    };
    vec![
        row("bare router", &bare, "/", COOKIES),
        row("+ Extension layer", &extension, "/", COOKIES),
        row("+ PartneroLayer, no referral", &partnero, "/", COOKIES),
        row(
            "+ PartneroLayer, cookie referral",
            &partnero,
            "/",
            COOKIES_WITH_REFERRAL,
        ),
        row(
            "+ PartneroLayer, ?aff= referral (Set-Cookie)",
            &partnero,
            "/?aff=demo-partner",
            COOKIES,
        ),
        row(
            "+ tower-cookies, handler reads cookie",
            &tower_cookies,
            "/",
            COOKIES_WITH_REFERRAL,
        ),
        row(
            "+ Extension layer, handler extracts it",
            &extension_extracted,
            "/",
            COOKIES,
        ),
        row(
            "+ PartneroLayer, cookie referral, handler extracts Referral",
            &partnero_extracted,
            "/",
            COOKIES_WITH_REFERRAL,
        ),
    ]
}
