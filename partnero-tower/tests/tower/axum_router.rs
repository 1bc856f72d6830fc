//! `PartneroLayer` on an axum `Router` with the `Referral` extractor: the capture cases, the
//! handler's own cookies, `Option<Referral>`, and the missing-layer rejection.

use axum::body::Body;
use axum::extract::State;
use axum::http::{Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use http_body_util::BodyExt;
use partnero_client::ReferralHandle;
use partnero_core::{KeySource, TrackingConfig};
use partnero_tower::{MissingPartneroLayer, PartneroLayer, Referral};
use tower::ServiceExt;

use crate::common::DEFAULT_SET_COOKIE;

/// Hands the extracted handle back in the response extensions.
async fn echo_referral(referral: Referral) -> impl IntoResponse {
    Extension(referral.into_inner())
}

async fn optional_referral(referral: Option<Referral>) -> String {
    match referral {
        Some(r) => format!(
            "some:{}",
            r.partner_key().map(|k| k.as_str()).unwrap_or("-")
        ),
        None => "none".to_owned(),
    }
}

fn routes() -> Router {
    Router::new()
        .route("/", get(echo_referral))
        .route("/{*rest}", get(echo_referral))
}

async fn body_text(res: Response) -> String {
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn get_req(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn extractor_derefs_to_the_context_and_the_handle() {
    async fn handler(referral: Referral) -> String {
        let from_context = referral.partner_key().map(|k| k.as_str().to_owned());
        let via_handle = referral
            .handle()
            .context()
            .partner_key()
            .map(|k| k.as_str().to_owned());
        assert_eq!(from_context, via_handle);
        format!(
            "{}|{:?}|{}",
            from_context.unwrap_or_default(),
            referral.partner.as_ref().map(|c| c.source),
            referral.landing_url().unwrap_or("-"),
        )
    }
    let app = Router::new()
        .route("/pricing", get(handler))
        .layer(PartneroLayer::new("sk_test_key"));
    let req = Request::get("/pricing?aff=demo-partner")
        .header(header::HOST, "shop.example")
        .body(Body::empty())
        .unwrap();
    let res = app.oneshot(req).await.unwrap();
    assert_eq!(
        body_text(res).await,
        format!(
            "demo-partner|{:?}|https://shop.example/pricing?aff=demo-partner",
            Some(KeySource::Query)
        )
    );
}

#[tokio::test]
async fn handler_cookie_jar_is_kept_and_ours_appended() {
    async fn handler(jar: CookieJar) -> impl IntoResponse {
        (jar.add(Cookie::new("session", "abc")), "ok")
    }
    let app = Router::new()
        .route("/", get(handler))
        .layer(PartneroLayer::new("sk_test_key"));
    let res = app.oneshot(get_req("/?aff=demo-partner")).await.unwrap();
    let values: Vec<_> = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert_eq!(values, ["session=abc", DEFAULT_SET_COOKIE]);
}

#[tokio::test]
async fn missing_layer_rejects_with_a_500_naming_the_layer() {
    let app = routes();
    let res = app
        .oneshot(
            Request::get("/?aff=demo-partner")
                .header(header::COOKIE, "partnero_partner=demo-partner")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        res.headers()[header::CONTENT_TYPE],
        "text/plain; charset=utf-8"
    );
    assert!(res.headers().get(header::SET_COOKIE).is_none());
    let body = body_text(res).await;
    assert_eq!(body, MissingPartneroLayer::new().body_text());
    assert!(
        body.contains("Is `PartneroLayer` added to this router?"),
        "{body}"
    );
    assert!(
        body.contains("https://docs.rs/partnero-tower#layer-ordering"),
        "{body}"
    );
}

#[tokio::test]
async fn route_added_after_the_layer_is_not_wrapped() {
    let app = Router::new()
        .route("/before", get(echo_referral))
        .layer(PartneroLayer::new("sk_test_key"))
        .route("/after", get(echo_referral));
    let res = app.clone().oneshot(get_req("/before")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.oneshot(get_req("/after")).await.unwrap();
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn optional_referral_is_some_with_the_layer() {
    let app = Router::new()
        .route("/", get(optional_referral))
        .layer(PartneroLayer::new("sk_test_key"));
    let res = app
        .clone()
        .oneshot(get_req("/?aff=demo-partner"))
        .await
        .unwrap();
    assert_eq!(body_text(res).await, "some:demo-partner");
    // With the layer but no referral: still `Some`, with an empty context.
    let res = app.oneshot(get_req("/")).await.unwrap();
    assert_eq!(body_text(res).await, "some:-");
}

#[tokio::test]
async fn optional_referral_is_none_without_the_layer() {
    let app = Router::new().route("/", get(optional_referral));
    let res = app.oneshot(get_req("/?aff=demo-partner")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body_text(res).await, "none");
}

#[tokio::test]
async fn works_with_router_state_and_nested_routers() {
    #[derive(Clone)]
    struct AppState {
        greeting: &'static str,
    }
    async fn handler(State(state): State<AppState>, referral: Referral) -> String {
        format!(
            "{} {}",
            state.greeting,
            referral.partner_key().map(|k| k.as_str()).unwrap_or("-")
        )
    }
    let api = Router::new().route("/hello", get(handler));
    let app = Router::new()
        .nest("/api", api)
        .layer(PartneroLayer::new("sk_test_key"))
        .with_state(AppState { greeting: "hi" });
    let req = Request::get("/api/hello")
        .header(header::COOKIE, "partnero_partner=demo-partner")
        .body(Body::empty())
        .unwrap();
    let res = app.oneshot(req).await.unwrap();
    assert_eq!(body_text(res).await, "hi demo-partner");
}

#[tokio::test]
async fn not_found_responses_still_carry_the_referral_cookie() {
    // `Router::layer` also wraps the router's fallback, so a referral link to an unknown page
    // still records the referral.
    let app = Router::new()
        .route("/only", get(|| async { "only" }))
        .layer(PartneroLayer::new("sk_test_key"));
    let res = app
        .oneshot(get_req("/missing?aff=demo-partner"))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.headers()[header::SET_COOKIE], DEFAULT_SET_COOKIE);
}

#[tokio::test]
async fn route_that_never_extracts_still_gets_the_set_cookie() {
    // The layer decides the `Set-Cookie` from the link alone; the handler need not extract
    // `Referral` for the referral link to be persisted.
    let app = Router::new()
        .route("/plain", get(|| async { "plain" }))
        .layer(PartneroLayer::new("sk_test_key"));
    let res = app
        .oneshot(get_req("/plain?aff=demo-partner"))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let values: Vec<_> = res.headers().get_all(header::SET_COOKIE).iter().collect();
    assert_eq!(values, [DEFAULT_SET_COOKIE]);
    assert_eq!(body_text(res).await, "plain");
}

#[tokio::test]
async fn extracting_twice_gives_the_same_context() {
    async fn handler(first: Referral, second: Option<Referral>, third: Referral) -> String {
        let second = second.expect("the layer wraps the route");
        assert_eq!(first.handle().context(), second.handle().context());
        assert_eq!(first.handle().context(), third.handle().context());
        format!(
            "{}|{}",
            first.partner_key().map_or("-", |k| k.as_str()),
            first.referrer_key().map_or("-", |k| k.as_str()),
        )
    }
    let app = Router::new()
        .route("/", get(handler))
        .layer(PartneroLayer::new("sk_test_key"));
    let req = Request::get("/?aff=demo-partner")
        .header(header::COOKIE, "partnero_referral=friend-1")
        .body(Body::empty())
        .unwrap();
    let res = app.oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::SET_COOKIE], DEFAULT_SET_COOKIE);
    assert_eq!(body_text(res).await, "demo-partner|friend-1");
}

#[tokio::test]
async fn second_extraction_uses_the_cached_handle() {
    use axum::extract::{FromRequestParts, OptionalFromRequestParts};

    // Inside the layer, extract by hand from the request parts; change the `Cookie` header
    // between extractions: the later ones must return the first result (cached, not rescanned).
    let svc = tower::ServiceBuilder::new()
        .layer(PartneroLayer::new("sk_test_key"))
        .service(tower::service_fn(|req: Request<Body>| async move {
            let (mut parts, _body) = req.into_parts();
            assert!(parts.extensions.get::<ReferralHandle>().is_none());
            let first = <Referral as FromRequestParts<()>>::from_request_parts(&mut parts, &())
                .await
                .unwrap();

            parts
                .headers
                .insert(header::COOKIE, "partnero_partner=changed".parse().unwrap());
            let second = <Referral as FromRequestParts<()>>::from_request_parts(&mut parts, &())
                .await
                .unwrap();
            let third =
                <Referral as OptionalFromRequestParts<()>>::from_request_parts(&mut parts, &())
                    .await
                    .unwrap()
                    .unwrap();
            assert_eq!(second.handle().context(), first.handle().context());
            assert_eq!(third.handle().context(), first.handle().context());
            let key = first.partner_key().unwrap().as_str().to_owned();
            Ok::<_, std::convert::Infallible>(Response::new(Body::from(key)))
        }));
    let req = Request::get("/")
        .header(header::COOKIE, "partnero_partner=original")
        .body(Body::empty())
        .unwrap();
    let res = svc.oneshot(req).await.unwrap();
    assert_eq!(body_text(res).await, "original");
}

#[tokio::test]
async fn first_touch_existing_cookie_wins_over_the_link_through_the_extractor() {
    let app = routes().layer(PartneroLayer::new("sk_test_key").with_config(
        TrackingConfig::default().attribution(partnero_core::Attribution::FirstTouch),
    ));
    let req = Request::get("/?aff=demo-partner")
        .header(header::HOST, "shop.example")
        .header(header::COOKIE, "partnero_partner=first-partner")
        .body(Body::empty())
        .unwrap();
    let res = app.oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get(header::SET_COOKIE).is_none());
    let handle = res.extensions().get::<ReferralHandle>().unwrap();
    let partner = handle.partner.as_ref().unwrap();
    assert_eq!(
        (partner.key.as_str(), partner.source),
        ("first-partner", KeySource::Cookie)
    );
    assert!(handle.landing_url().is_none());
}
