//! `PartneroMiddleware` driven through an actix `App`: what handlers see and which `Set-Cookie`
//! values the response carries, for every request shape the tower adapter's tests cover.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use actix_web::cookie::Cookie;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::{COOKIE, SET_COOKIE, USER_AGENT};
use actix_web::http::{Method, StatusCode};
use actix_web::{App, HttpResponse, error, test, web};
use partnero_actix::{PartneroMiddleware, Referral};
use partnero_core::{
    Attribution, KeySource, ReferralContext, ReferralKey, SameSite, TrackingConfig,
};

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
async fn no_referral_gives_an_empty_context_and_no_cookie() {
    let out = run(
        mw(),
        test::TestRequest::get()
            .uri("/pricing?page=2")
            .insert_header((COOKIE, "session=abc; theme=dark")),
    )
    .await;
    assert_eq!(out.status, StatusCode::OK);
    assert_eq!(out.context, Some(ReferralContext::new()));
    assert!(out.set_cookies.is_empty());
}

#[actix_web::test]
async fn captures_the_partner_cookie_without_resetting_it() {
    let out = run(
        mw(),
        test::TestRequest::get()
            .uri("/")
            .insert_header((COOKIE, "session=abc; partnero_partner=demo-partner")),
    )
    .await;
    assert_eq!(
        out.context,
        Some(partner("demo-partner", KeySource::Cookie))
    );
    assert!(out.set_cookies.is_empty());
}

#[actix_web::test]
async fn captures_the_referral_cookie_of_refer_a_friend() {
    let out = run(
        mw(),
        test::TestRequest::get()
            .uri("/")
            .insert_header((COOKIE, "partnero_referral=friend-7; partnero_partner=p1")),
    )
    .await;
    let expected =
        partner("p1", KeySource::Cookie).with_referrer(key("friend-7"), KeySource::Cookie);
    assert_eq!(out.context, Some(expected));
    assert!(out.set_cookies.is_empty());
}

#[actix_web::test]
async fn captures_the_query_parameter_and_sets_the_cookie() {
    let out = run(
        mw(),
        test::TestRequest::get().uri("/pricing?aff=demo-partner"),
    )
    .await;
    assert_eq!(out.context, Some(partner("demo-partner", KeySource::Query)));
    assert_eq!(out.set_cookies, [DEFAULT_COOKIE]);
}

#[actix_web::test]
async fn query_and_referrer_parameters_set_both_cookies() {
    let out = run(mw(), test::TestRequest::get().uri("/?ref=friend-7&aff=p1")).await;
    let expected = partner("p1", KeySource::Query).with_referrer(key("friend-7"), KeySource::Query);
    assert_eq!(out.context, Some(expected));
    assert_eq!(
        out.set_cookies,
        [
            "partnero_partner=p1; Max-Age=2592000; Path=/; SameSite=Lax; Secure",
            "partnero_referral=friend-7; Max-Age=2592000; Path=/; SameSite=Lax; Secure",
        ]
    );
}

#[actix_web::test]
async fn landing_url_uses_the_host_header_and_the_secure_default() {
    let out = run(
        mw(),
        test::TestRequest::get()
            .uri("/pricing?aff=demo-partner")
            .insert_header(("host", "shop.example")),
    )
    .await;
    let expected = partner("demo-partner", KeySource::Query)
        .with_landing_url("https://shop.example/pricing?aff=demo-partner");
    assert_eq!(out.context, Some(expected));
}

#[actix_web::test]
async fn landing_url_uses_the_scheme_and_authority_of_an_absolute_uri() {
    let out = run(
        mw(),
        test::TestRequest::get().uri("http://shop.example:8080/p?aff=demo-partner"),
    )
    .await;
    let expected = partner("demo-partner", KeySource::Query)
        .with_landing_url("http://shop.example:8080/p?aff=demo-partner");
    assert_eq!(out.context, Some(expected));
}

#[actix_web::test]
async fn extra_query_parameter_name_is_honoured() {
    let out = run(
        mw().with_config(TrackingConfig::default().add_partner_query_param("via")),
        test::TestRequest::get().uri("/?via=demo-partner"),
    )
    .await;
    assert_eq!(out.context, Some(partner("demo-partner", KeySource::Query)));
    assert_eq!(out.set_cookies, [DEFAULT_COOKIE]);
}

#[actix_web::test]
async fn captures_the_path_form_when_configured() {
    let out = run(
        mw().with_config(TrackingConfig::default().partner_path_prefix("/aff/")),
        test::TestRequest::get().uri("/aff/demo-partner/pricing"),
    )
    .await;
    assert_eq!(out.context, Some(partner("demo-partner", KeySource::Path)));
    assert_eq!(out.set_cookies, [DEFAULT_COOKIE]);

    let off = run(mw(), test::TestRequest::get().uri("/aff/demo-partner")).await;
    assert_eq!(off.context, Some(ReferralContext::new()));
    assert!(off.set_cookies.is_empty());
}

#[actix_web::test]
async fn cookie_attributes_follow_the_knobs() {
    let out = run(
        mw().with_config(
            TrackingConfig::default()
                .secure(false)
                .http_only(true)
                .domain("example.com")
                .max_age(Duration::from_secs(3600))
                .same_site(SameSite::Strict),
        ),
        test::TestRequest::get().uri("/?aff=demo-partner"),
    )
    .await;
    assert_eq!(
        out.set_cookies,
        [
            "partnero_partner=demo-partner; Max-Age=3600; Path=/; SameSite=Strict; HttpOnly; Domain=example.com"
        ]
    );
}

#[actix_web::test]
async fn with_config_replaces_the_policy() {
    let config = partnero_core::TrackingConfig::default()
        .partner_cookie_name("aff_key")
        .partner_query_params(["partner"]);
    let out = run(
        mw().with_config(config),
        test::TestRequest::get().uri("/?partner=demo-partner&aff=ignored"),
    )
    .await;
    assert_eq!(out.context, Some(partner("demo-partner", KeySource::Query)));
    assert_eq!(
        out.set_cookies,
        ["aff_key=demo-partner; Max-Age=2592000; Path=/; SameSite=Lax; Secure"]
    );
}

#[actix_web::test]
async fn head_request_is_attributed_but_gets_no_cookie() {
    let out = run(
        mw(),
        test::TestRequest::default()
            .method(Method::HEAD)
            .uri("/?aff=demo-partner"),
    )
    .await;
    assert_eq!(out.context, Some(partner("demo-partner", KeySource::Query)));
    assert!(out.set_cookies.is_empty());
}

#[actix_web::test]
async fn prefetch_gets_no_cookie() {
    for (name, value) in [("sec-purpose", "prefetch"), ("purpose", "prefetch")] {
        let out = run(
            mw(),
            test::TestRequest::get()
                .uri("/?aff=demo-partner")
                .insert_header((name, value)),
        )
        .await;
        assert_eq!(
            out.context,
            Some(partner("demo-partner", KeySource::Query)),
            "{name}"
        );
        assert!(out.set_cookies.is_empty(), "{name}: {:?}", out.set_cookies);
    }
}

#[actix_web::test]
async fn crawler_gets_no_cookie_but_a_browser_does() {
    let crawler = run(
        mw(),
        test::TestRequest::get()
            .uri("/?aff=demo-partner")
            .insert_header((USER_AGENT, "Mozilla/5.0 (compatible; Googlebot/2.1)")),
    )
    .await;
    assert_eq!(
        crawler.context,
        Some(partner("demo-partner", KeySource::Query))
    );
    assert!(crawler.set_cookies.is_empty());

    let browser = run(
        mw(),
        test::TestRequest::get()
            .uri("/?aff=demo-partner")
            .insert_header((USER_AGENT, "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0")),
    )
    .await;
    assert_eq!(browser.set_cookies, [DEFAULT_COOKIE]);
}

#[actix_web::test]
async fn consent_hook_vetoes_the_cookie_only() {
    let consent = || {
        mw().with_config(
            TrackingConfig::default().consent(|req| req.cookie("consent") == Some(&b"yes"[..])),
        )
    };

    let denied = run(
        consent(),
        test::TestRequest::get()
            .uri("/?aff=demo-partner")
            .insert_header((COOKIE, "consent=no")),
    )
    .await;
    assert_eq!(
        denied.context,
        Some(partner("demo-partner", KeySource::Query))
    );
    assert!(denied.set_cookies.is_empty());

    let granted = run(
        consent(),
        test::TestRequest::get()
            .uri("/?aff=demo-partner")
            .insert_header((COOKIE, "consent=yes")),
    )
    .await;
    assert_eq!(granted.set_cookies, [DEFAULT_COOKIE]);
}

#[actix_web::test]
async fn first_touch_keeps_an_existing_cookie() {
    let req = || {
        test::TestRequest::get()
            .uri("/?aff=newcomer")
            .insert_header((COOKIE, "partnero_partner=first-one"))
    };
    let first = run(
        mw().with_config(TrackingConfig::default().attribution(Attribution::FirstTouch)),
        req(),
    )
    .await;
    assert_eq!(first.context, Some(partner("first-one", KeySource::Cookie)));
    assert!(first.set_cookies.is_empty());

    let last = run(
        mw().with_config(TrackingConfig::default().attribution(Attribution::LastTouch)),
        req(),
    )
    .await;
    assert_eq!(last.context, Some(partner("newcomer", KeySource::Query)));
    assert_eq!(
        last.set_cookies,
        ["partnero_partner=newcomer; Max-Age=2592000; Path=/; SameSite=Lax; Secure"]
    );

    let first_without_cookie = run(
        mw().with_config(TrackingConfig::default().attribution(Attribution::FirstTouch)),
        test::TestRequest::get().uri("/?aff=newcomer"),
    )
    .await;
    assert_eq!(
        first_without_cookie.context,
        Some(partner("newcomer", KeySource::Query))
    );
    assert_eq!(first_without_cookie.set_cookies.len(), 1);
}

#[actix_web::test]
async fn invalid_keys_are_ignored() {
    let bad = run(
        mw(),
        test::TestRequest::get()
            .uri("/?aff=a%3Bb&ref=%20")
            .insert_header((COOKIE, "partnero_partner=a%20b; partnero_referral=x%00y")),
    )
    .await;
    assert_eq!(bad.context, Some(ReferralContext::new()));
    assert!(bad.set_cookies.is_empty());

    // An invalid link does not hide a valid cookie.
    let fallback = run(
        mw(),
        test::TestRequest::get()
            .uri("/?aff=a+b")
            .insert_header((COOKIE, "partnero_partner=demo-partner")),
    )
    .await;
    assert_eq!(
        fallback.context,
        Some(partner("demo-partner", KeySource::Cookie))
    );
    assert!(fallback.set_cookies.is_empty());

    let too_long = format!("/?aff={}", "k".repeat(300));
    let long = run(mw(), test::TestRequest::get().uri(&too_long)).await;
    assert_eq!(long.context, Some(ReferralContext::new()));
    assert!(long.set_cookies.is_empty());
}

#[actix_web::test]
async fn non_utf8_cookie_bytes_are_ignored_without_error() {
    let value = actix_web::http::header::HeaderValue::from_bytes(
        b"junk=\xff\xfe; partnero_partner=\xc3\x28; other=1",
    )
    .unwrap();
    let out = run(
        mw(),
        test::TestRequest::get()
            .uri("/")
            .insert_header((COOKIE, value)),
    )
    .await;
    assert_eq!(out.status, StatusCode::OK);
    assert_eq!(out.context, Some(ReferralContext::new()));
}

#[actix_web::test]
async fn reads_every_cookie_header() {
    let out = run(
        mw(),
        test::TestRequest::get()
            .uri("/")
            .append_header((COOKIE, "session=abc"))
            .append_header((COOKIE, "partnero_partner=demo-partner"))
            .append_header((COOKIE, "partnero_referral=friend-7")),
    )
    .await;
    let expected = partner("demo-partner", KeySource::Cookie)
        .with_referrer(key("friend-7"), KeySource::Cookie);
    assert_eq!(out.context, Some(expected));
}

#[actix_web::test]
async fn first_valid_cookie_across_headers_wins() {
    let out = run(
        mw(),
        test::TestRequest::get()
            .uri("/")
            .append_header((COOKIE, "partnero_partner=bad%20value"))
            .append_header((
                COOKIE,
                "partnero_partner=specific; partnero_partner=general",
            )),
    )
    .await;
    assert_eq!(out.context, Some(partner("specific", KeySource::Cookie)));
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
