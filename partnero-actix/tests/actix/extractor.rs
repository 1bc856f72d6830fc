//! The `Referral` extractor: with and without `PartneroMiddleware`, and as `Option<Referral>`.

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, COOKIE};
use actix_web::{App, test, web};
use partnero_actix::{MissingPartneroMiddleware, PartneroMiddleware, Referral};
use partnero_client::ReferralHandle;
use partnero_core::{KeySource, ReferralContext, ReferralKey};

async fn partner_of(referral: Referral) -> String {
    // `Referral` -> `ReferralHandle` -> `ReferralContext`.
    referral
        .partner_key()
        .map_or("-", ReferralKey::as_str)
        .to_owned()
}

async fn maybe_partner(referral: Option<Referral>) -> String {
    match referral {
        Some(r) => format!("some:{}", r.partner_key().map_or("-", ReferralKey::as_str)),
        None => "none".to_owned(),
    }
}

#[actix_web::test]
async fn extracts_the_context_the_middleware_captured() {
    let app = test::init_service(
        App::new()
            .wrap(PartneroMiddleware::new("test-key"))
            .route("/", web::get().to(partner_of)),
    )
    .await;
    let req = test::TestRequest::get()
        .uri("/")
        .insert_header((COOKIE, "partnero_partner=demo-partner"))
        .to_request();
    let res = test::call_service(&app, req).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(test::read_body(res).await, "demo-partner");
}

#[actix_web::test]
async fn derefs_to_the_context_and_into_inner_returns_the_handle() {
    let app = test::init_service(App::new().wrap(PartneroMiddleware::new("test-key")).route(
        "/",
        web::get().to(|referral: Referral| async move {
            let context: &ReferralContext = &referral;
            let source = context.partner.as_ref().map(|c| c.source);
            assert_eq!(source, Some(KeySource::Query));
            assert_eq!(referral.handle().context(), context);
            let inner: ReferralHandle = referral.into_inner();
            inner.context().partner_key().unwrap().as_str().to_owned()
        }),
    ))
    .await;
    let req = test::TestRequest::get()
        .uri("/?aff=demo-partner")
        .to_request();
    let res = test::call_service(&app, req).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(test::read_body(res).await, "demo-partner");
}

#[actix_web::test]
async fn without_the_middleware_it_is_a_500_naming_it() {
    let app = test::init_service(App::new().route("/", web::get().to(partner_of))).await;
    let req = test::TestRequest::get()
        .uri("/?aff=demo-partner")
        .to_request();
    let res = test::call_service(&app, req).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        res.headers().get(CONTENT_TYPE).unwrap(),
        "text/plain; charset=utf-8"
    );
    let body = test::read_body(res).await;
    let body = std::str::from_utf8(&body).unwrap();
    assert!(body.contains("`PartneroMiddleware`"), "{body}");
    assert!(body.contains("`App::wrap`"), "{body}");
    assert_eq!(body, MissingPartneroMiddleware.to_string());
}

#[actix_web::test]
async fn option_referral_is_none_without_the_middleware() {
    let app = test::init_service(App::new().route("/", web::get().to(maybe_partner))).await;
    let req = test::TestRequest::get()
        .uri("/?aff=demo-partner")
        .to_request();
    let res = test::call_service(&app, req).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(test::read_body(res).await, "none");
}

#[actix_web::test]
async fn option_referral_is_some_with_the_middleware() {
    let app = test::init_service(
        App::new()
            .wrap(PartneroMiddleware::new("test-key"))
            .route("/", web::get().to(maybe_partner)),
    )
    .await;
    let with_key = test::TestRequest::get()
        .uri("/?aff=demo-partner")
        .to_request();
    assert_eq!(
        test::call_and_read_body(&app, with_key).await,
        "some:demo-partner"
    );
    let without_key = test::TestRequest::get().uri("/").to_request();
    assert_eq!(test::call_and_read_body(&app, without_key).await, "some:-");
}

#[actix_web::test]
async fn referral_debug_never_shows_the_api_key() {
    // Handlers may log the extractor; the client inside it must print the API key redacted.
    let app = test::init_service(
        App::new()
            .wrap(PartneroMiddleware::new("secret-key-123"))
            .route(
                "/",
                web::get().to(|referral: Referral| async move { format!("{referral:?}") }),
            ),
    )
    .await;
    let body = test::call_and_read_body(&app, test::TestRequest::get().uri("/").to_request()).await;
    let body = std::str::from_utf8(&body).unwrap();
    assert!(
        !body.contains("secret-key-123"),
        "API key leaked in Debug: {body}"
    );
}
