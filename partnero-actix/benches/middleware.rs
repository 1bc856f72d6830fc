//! One request through an actix `App` (`test::call_service`), with and without
//! `PartneroMiddleware`, against actix's own cookie lookup as the peer.
//!
//! Every row sends the same ~800-byte `Cookie` header of 15 cookies; the referral rows carry
//! `partnero_partner=demo-partner` in it. Requests are built outside the timed section.

use std::hint::black_box;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::{COOKIE, SET_COOKIE};
use actix_web::rt::{System, SystemRunner};
use actix_web::{App, HttpRequest, HttpResponse, test, web};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use partnero_actix::{PartneroMiddleware, Referral};

/// 14 everyday cookies of a shop front; the 15th is appended by [`cookie_header`].
const FILLER: &[(&str, &str)] = &[
    ("_ga", "GA1.1.1234567890.1700000000"),
    ("_gid", "GA1.1.987654321.1700000000"),
    ("_fbp", "fb.1.1700000000000.1234567890"),
    (
        "session",
        "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjoiYWRhIiwicm9sZXMiOlsiY3VzdG9tZXIiXSwiZXhwIjoxNzAwMDAwMDAwLCJpYXQiOjE2OTk5OTk5OTl9.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmUtc2lnbmF0dXJlLXNpZ25hdHVyZS1zaWdu",
    ),
    (
        "csrftoken",
        "Xk3vQ9pLm2Rt8Wz4Yb7Nc1Ds6Fg0Hj5KXk3vQ9pLm2Rt8Wz4Yb7Nc1Ds6Fg0Hj5K",
    ),
    ("theme", "dark"),
    ("lang", "en-GB"),
    (
        "cart",
        "3f9a1c2e-7b4d-4e8f-9a6b-1c2d3e4f5a6b.items-4.total-129-90-EUR",
    ),
    ("cookie_consent", "granted"),
    ("ajs_anonymous_id", "5f1d2c3b-4a59-4867-9a8b-7c6d5e4f3a2b"),
    ("intercom-id-abc123", "0c9b8a7f-6e5d-4c3b-2a19-08f7e6d5c4b3"),
    ("hubspotutk", "8e7d6c5b4a39281706f5e4d3c2b1a090"),
    ("__stripe_mid", "a1b2c3d4-e5f6-4789-a0b1-c2d3e4f5a6b7c8d9e0"),
    ("__stripe_sid", "f0e1d2c3-b4a5-4968-8776-655443322110aa"),
];

/// The `Cookie` header: the 14 fillers, then `last` (a partnero cookie or a same-size stranger).
fn cookie_header(last: &str) -> String {
    let mut header = String::new();
    for (name, value) in FILLER {
        header.push_str(name);
        header.push('=');
        header.push_str(value);
        header.push_str("; ");
    }
    header.push_str(last);
    header
}

async fn ok() -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// The handler takes the extractor: the full cost (link capture in the middleware, the
/// referral cookie lookup in the extractor).
async fn extracts(referral: Referral) -> HttpResponse {
    black_box(referral.partner_key());
    HttpResponse::Ok().finish()
}

async fn cookie_lookup(req: HttpRequest) -> HttpResponse {
    black_box(req.cookie("partnero_partner"));
    HttpResponse::Ok().finish()
}

/// One row: `make` builds a fresh request per iteration, outside the timed section.
fn row<S, R, B>(c: &mut Criterion, system: &SystemRunner, name: &str, app: &S, make: impl Fn() -> R)
where
    S: Service<R, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    // Sanity: every row must succeed, or the bench would time an error path.
    let res = system.block_on(test::call_service(app, make()));
    assert!(res.status().is_success(), "{name}: {}", res.status());
    c.bench_function(name, |b| {
        b.iter_batched(
            &make,
            |req| black_box(system.block_on(test::call_service(app, req))),
            BatchSize::SmallInput,
        );
    });
}

fn benches(c: &mut Criterion) {
    let system = System::new();
    let plain = cookie_header("utm_campaign=demo-partner");
    let referral = cookie_header("partnero_partner=demo-partner");
    assert!((700..900).contains(&plain.len()), "{}", plain.len());
    assert_eq!(plain.len() + 4, referral.len());
    let request = |uri: &'static str, cookie: &str| {
        let cookie = cookie.to_owned();
        move || {
            test::TestRequest::get()
                .uri(uri)
                .insert_header((COOKIE, cookie.as_str()))
                .to_request()
        }
    };

    let bare = system.block_on(test::init_service(
        App::new().route("/pricing", web::get().to(ok)),
    ));
    let tracked = system.block_on(test::init_service(
        App::new()
            .wrap(PartneroMiddleware::new("bench-key"))
            .route("/pricing", web::get().to(ok)),
    ));
    let tracked_extracting = system.block_on(test::init_service(
        App::new()
            .wrap(PartneroMiddleware::new("bench-key"))
            .route("/pricing", web::get().to(extracts)),
    ));
    let peer = system.block_on(test::init_service(
        App::new().route("/pricing", web::get().to(cookie_lookup)),
    ));

    // The query row really takes the Set-Cookie path.
    let with_link = request("/pricing?aff=demo-partner", &referral)();
    let res = system.block_on(test::call_service(&tracked, with_link));
    assert!(res.headers().contains_key(SET_COOKIE));

    row(c, &system, "bare", &bare, request("/pricing", &plain));
    row(
        c,
        &system,
        "middleware_no_referral",
        &tracked,
        request("/pricing", &plain),
    );
    row(
        c,
        &system,
        "middleware_cookie_referral",
        &tracked,
        request("/pricing", &referral),
    );
    row(
        c,
        &system,
        "middleware_query_referral",
        &tracked,
        request("/pricing?aff=demo-partner", &referral),
    );
    row(
        c,
        &system,
        "middleware_cookie_referral_handler_extracts",
        &tracked_extracting,
        request("/pricing", &referral),
    );
    row(
        c,
        &system,
        "actix_cookie_lookup",
        &peer,
        request("/pricing", &referral),
    );
}

criterion_group!(group, benches);
criterion_main!(group);
