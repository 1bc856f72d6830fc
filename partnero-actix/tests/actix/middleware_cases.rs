//! `PartneroMiddleware` driven through an actix `App`: adapter behaviour only (the handler's own
//! cookies kept, scope wrap, errors passed through, extracting twice). The capture cases run
//! through both adapters in `tests/tests/e2e/parity.rs`, and the policy itself is tested in
//! `partnero-core`.

use std::cell::RefCell;
use std::rc::Rc;

use actix_web::cookie::Cookie;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{COOKIE, SET_COOKIE};
use actix_web::{App, HttpResponse, error, test, web};
use partnero_actix::{PartneroMiddleware, Referral};
use partnero_core::{Attribution, KeySource, ReferralContext, ReferralKey, TrackingConfig};

const DEFAULT_COOKIE: &str =
    "partnero_partner=demo-partner; Max-Age=2592000; Path=/; SameSite=Lax; Secure";

/// What one request produced: the context the handler saw and the response's `Set-Cookie`s.
struct Outcome {
    status: StatusCode,
    context: Option<ReferralContext>,
    set_cookies: Vec<String>,
}

fn key(raw: &str) -> ReferralKey {
    ReferralKey::parse(raw).unwrap()
}

fn partner(raw: &str, source: KeySource) -> ReferralContext {
    ReferralContext::new().with_partner(key(raw), source)
}

fn set_cookies(res: &ServiceResponse) -> Vec<String> {
    res.headers()
        .get_all(SET_COOKIE)
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// Sends `req` through `middleware` to a handler (on every path and method) that records the
/// context it extracted.
async fn run(middleware: PartneroMiddleware, req: test::TestRequest) -> Outcome {
    let seen: Rc<RefCell<Option<ReferralContext>>> = Rc::default();
    let recorder = Rc::clone(&seen);
    let app = test::init_service(App::new().wrap(middleware).default_service(web::to(
        move |referral: Referral| {
            *recorder.borrow_mut() = Some((*referral).clone());
            async { HttpResponse::Ok().finish() }
        },
    )))
    .await;
    let res = test::call_service(&app, req.to_request()).await;
    let context = seen.borrow_mut().take();
    Outcome {
        status: res.status(),
        context,
        set_cookies: set_cookies(&res),
    }
}

fn mw() -> PartneroMiddleware {
    PartneroMiddleware::new("test-key")
}

#[actix_web::test]
async fn handler_set_cookie_headers_are_kept() {
    let app = test::init_service(
        App::new()
            .wrap(mw())
            .route(
                "/header",
                web::get().to(|| async {
                    HttpResponse::Ok()
                        .append_header((SET_COOKIE, "session=abc; Path=/; HttpOnly"))
                        .finish()
                }),
            )
            .route(
                "/builder",
                web::get().to(|| async {
                    HttpResponse::Ok()
                        .cookie(Cookie::new("theme", "dark"))
                        .finish()
                }),
            )
            .route(
                "/add_cookie",
                web::get().to(|| async {
                    let mut res = HttpResponse::Ok().finish();
                    res.add_cookie(&Cookie::new("cart", "3")).unwrap();
                    res
                }),
            ),
    )
    .await;

    for (path, own) in [
        ("/header", "session=abc; Path=/; HttpOnly"),
        ("/builder", "theme=dark"),
        ("/add_cookie", "cart=3"),
    ] {
        let req = test::TestRequest::get()
            .uri(&format!("{path}?aff=demo-partner"))
            .to_request();
        let res = test::call_service(&app, req).await;
        assert_eq!(set_cookies(&res), [own, DEFAULT_COOKIE], "{path}");
    }
}

#[actix_web::test]
async fn scope_wrap_tracks_only_that_scope() {
    let app = test::init_service(
        App::new()
            .service(web::scope("/shop").wrap(mw()).route(
                "/p",
                web::get().to(|r: Referral| async move {
                    r.partner_key().map_or("-", ReferralKey::as_str).to_owned()
                }),
            ))
            .route(
                "/blog",
                web::get().to(|r: Option<Referral>| async move {
                    if r.is_some() { "tracked" } else { "untracked" }
                }),
            ),
    )
    .await;

    let res = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/shop/p?aff=demo-partner")
            .to_request(),
    )
    .await;
    assert_eq!(set_cookies(&res), [DEFAULT_COOKIE]);
    assert_eq!(test::read_body(res).await, "demo-partner");

    let res = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/blog?aff=demo-partner")
            .to_request(),
    )
    .await;
    assert!(set_cookies(&res).is_empty());
    assert_eq!(test::read_body(res).await, "untracked");
}

#[actix_web::test]
async fn inner_service_errors_pass_through_untouched() {
    // `wrap` order: the last one is outermost, so the erroring wrap_fn runs inside Partnero's.
    let app = test::init_service(
        App::new()
            .wrap_fn(|_req, _srv| async {
                Err::<ServiceResponse, _>(error::ErrorForbidden("blocked by inner service"))
            })
            .wrap(mw())
            .route("/", web::get().to(HttpResponse::Ok)),
    )
    .await;
    let req = test::TestRequest::get()
        .uri("/?aff=demo-partner")
        .to_request();
    let err = match app.call(req).await {
        Ok(res) => panic!("expected the inner error, got a {} response", res.status()),
        Err(err) => err,
    };
    assert_eq!(err.to_string(), "blocked by inner service");
    let res = err.error_response();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.headers().get(SET_COOKIE).is_none());
}

#[actix_web::test]
async fn handler_error_responses_still_get_the_cookie() {
    let app = test::init_service(App::new().wrap(mw()).route(
        "/",
        web::get().to(|| async { Err::<HttpResponse, _>(error::ErrorBadRequest("bad form")) }),
    ))
    .await;
    let res = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/?aff=demo-partner")
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(set_cookies(&res), [DEFAULT_COOKIE]);
}

#[actix_web::test]
async fn middleware_is_clone_and_send_for_http_server_factories() {
    fn assert_clone_send<T: Clone + Send + 'static>(_: &T) {}
    let middleware = mw();
    assert_clone_send(&middleware);
    let debug = format!("{middleware:?}");
    assert!(
        !debug.contains("test-key"),
        "API key leaked in Debug: {debug}"
    );
}

#[actix_web::test]
async fn route_that_never_extracts_still_gets_the_set_cookie() {
    // The middleware decides the `Set-Cookie` from the link alone.
    let app = test::init_service(
        App::new()
            .wrap(mw())
            .route("/plain", web::get().to(|| async { "plain" })),
    )
    .await;
    let req = test::TestRequest::get()
        .uri("/plain?aff=demo-partner")
        .to_request();
    let res = test::call_service(&app, req).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(set_cookies(&res), [DEFAULT_COOKIE]);
}

#[actix_web::test]
async fn extracting_twice_gives_the_same_context() {
    use actix_web::{FromRequest, HttpRequest};

    async fn handler(req: HttpRequest, first: Referral, second: Referral) -> String {
        assert_eq!(first.handle().context(), second.handle().context());
        let third = Referral::extract(&req).await.unwrap();
        assert_eq!(third.handle().context(), first.handle().context());
        format!(
            "{}|{}",
            first.partner_key().map_or("-", |k| k.as_str()),
            first.referrer_key().map_or("-", |k| k.as_str()),
        )
    }
    let app = test::init_service(App::new().wrap(mw()).route("/", web::get().to(handler))).await;
    let req = test::TestRequest::get()
        .uri("/?aff=demo-partner")
        .insert_header((COOKIE, "partnero_referral=friend-1"))
        .to_request();
    let res = test::call_service(&app, req).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(set_cookies(&res), [DEFAULT_COOKIE]);
    let body = test::read_body(res).await;
    assert_eq!(body, "demo-partner|friend-1");
}

#[actix_web::test]
async fn first_touch_cookie_and_link_through_the_extractor() {
    let req = test::TestRequest::get()
        .uri("/?aff=demo-partner")
        .insert_header(("host", "shop.example"))
        .insert_header((COOKIE, "partnero_partner=first-partner"));
    let out = run(
        mw().with_config(TrackingConfig::default().attribution(Attribution::FirstTouch)),
        req,
    )
    .await;
    assert_eq!(out.status, StatusCode::OK);
    assert_eq!(
        out.context,
        Some(partner("first-partner", KeySource::Cookie))
    );
    assert!(out.set_cookies.is_empty());
}
