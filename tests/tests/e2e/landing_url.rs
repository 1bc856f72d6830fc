//! Issue 12, the usual flow through both adapters: a visitor lands on a page with a referral
//! link and signs up later on `/signup`, with nothing but cookies.
//! * (11) With `landing_url_cookie(true)` the landing URL travels in `partnero_landing` and
//!   reaches Partnero as `options.referral_url`, so a partner with several referral links is
//!   credited on the right one. Without it, the URL is lost.
//! * (2) A refer-a-friend program whose client has no program set (`PARTNERO_PROGRAM` unset):
//!   the `partnero_referral` cookie's key attributes the new customer to its referrer, never a
//!   silent "not referred".

use actix_web::test as actix_test;
use axum::body::Body;
use partnero_client::{NewCustomer, Partnero, Program};
use partnero_core::TrackingConfig;
use partnero_sandbox::{ProgramKind, Sandbox, SandboxConfig};
use tower::ServiceExt;

const LANDING: &str = "/pricing?aff=demo-partner&utm_campaign=spring";
const LANDING_URL: &str = "https://shop.example/pricing?aff=demo-partner&utm_campaign=spring";

/// `name=value` of each `Set-Cookie`, joined as a browser sends them back.
fn cookie_header<'a>(set_cookies: impl Iterator<Item = &'a str>) -> String {
    set_cookies
        .map(|c| c.split(';').next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Lands on `landing`, then signs `user` up on another page with the cookies the landing set,
/// through axum: the cookies sent back, and the sign-up's answer.
async fn through_axum(
    client: Partnero,
    config: TrackingConfig,
    landing: &str,
    user: &'static str,
) -> (String, String) {
    use axum::Router;
    use axum::routing::{get, post};
    use partnero_tower::{PartneroLayer, Referral};

    let app = Router::new()
        .route("/pricing", get(|| async { "pricing" }))
        .route(
            "/signup",
            post(move |referral: Referral| async move {
                format!("{:?}", referral.signup(NewCustomer::new(user)).await)
            }),
        )
        .layer(PartneroLayer::from_client(client).with_config(config));
    let landing = http::Request::get(landing)
        .header("host", "shop.example")
        .body(Body::empty())
        .unwrap();
    let res = app.clone().oneshot(landing).await.unwrap();
    let cookies = cookie_header(
        res.headers()
            .get_all(http::header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap()),
    );
    let signup = http::Request::post("/signup")
        .header("host", "shop.example")
        .header("cookie", cookies.clone())
        .body(Body::empty())
        .unwrap();
    let res = app.oneshot(signup).await.unwrap();
    assert_eq!(res.status(), 200);
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    (cookies, String::from_utf8_lossy(&body).into_owned())
}

/// The same through actix-web.
async fn through_actix(
    client: Partnero,
    config: TrackingConfig,
    landing: &str,
    user: &'static str,
) -> (String, String) {
    use actix_web::{App, web};
    use partnero_actix::{PartneroMiddleware, Referral};

    let app = actix_test::init_service(
        App::new()
            .wrap(PartneroMiddleware::from_client(client).with_config(config))
            .route("/pricing", web::get().to(|| async { "pricing" }))
            .route(
                "/signup",
                web::post().to(move |referral: Referral| async move {
                    format!("{:?}", referral.signup(NewCustomer::new(user)).await)
                }),
            ),
    )
    .await;
    let landing = actix_test::TestRequest::get()
        .uri(landing)
        .insert_header(("host", "shop.example"))
        .to_request();
    let res = actix_test::call_service(&app, landing).await;
    let cookies = cookie_header(
        res.headers()
            .get_all(actix_web::http::header::SET_COOKIE)
            .map(|v| v.to_str().unwrap()),
    );
    let signup = actix_test::TestRequest::post()
        .uri("/signup")
        .insert_header(("host", "shop.example"))
        .insert_header(("cookie", cookies.clone()))
        .to_request();
    let res = actix_test::call_service(&app, signup).await;
    assert_eq!(res.status(), 200);
    let body = actix_test::read_body(res).await;
    (cookies, String::from_utf8_lossy(&body).into_owned())
}

#[actix_web::test]
async fn the_landing_url_reaches_partnero_from_a_later_signup_on_both_adapters() {
    let sandbox = Sandbox::start(SandboxConfig::new().seed_demo(true))
        .await
        .unwrap();
    let key = sandbox.key_for(ProgramKind::Affiliate).unwrap();
    let client = Partnero::builder(key.as_str())
        .base_url(sandbox.base_url())
        .program(Program::Affiliate)
        .build()
        .unwrap();
    let on = || TrackingConfig::default().landing_url_cookie(true);

    let (axum_cookies, _) = through_axum(client.clone(), on(), LANDING, "axum-user").await;
    let (actix_cookies, _) = through_actix(client.clone(), on(), LANDING, "actix-user").await;
    assert_eq!(axum_cookies, actix_cookies);
    assert!(axum_cookies.contains("partnero_landing="), "{axum_cookies}");
    // Off (the default): the sign-up is attributed, but the landing URL is lost.
    through_axum(
        client.clone(),
        TrackingConfig::default(),
        LANDING,
        "axum-off",
    )
    .await;
    through_actix(client, TrackingConfig::default(), LANDING, "actix-off").await;

    let state = sandbox.state();
    for (user, url) in [
        ("axum-user", Some(LANDING_URL)),
        ("actix-user", Some(LANDING_URL)),
        ("axum-off", None),
        ("actix-off", None),
    ] {
        let customer = state.customer(&key, user).expect(user);
        assert_eq!(
            customer.partner.as_ref().map(|p| p.key.as_str()),
            Some("demo-partner"),
            "{user}"
        );
        assert_eq!(customer.referral_url.as_deref(), url, "{user}");
    }
    sandbox.shutdown().await;
}

#[actix_web::test]
async fn an_unset_program_attributes_a_refer_a_friend_cookie_on_both_adapters() {
    let sandbox = Sandbox::start(SandboxConfig::new().seed_demo(true))
        .await
        .unwrap();
    let key = sandbox.key_for(ProgramKind::ReferAFriend).unwrap();
    // The environment alone: the API key and the base URL, no program; a client for each
    // adapter, so neither inherits what the other learned.
    let client = || {
        Partnero::builder(key.as_str())
            .base_url(sandbox.base_url())
            .build()
            .unwrap()
    };
    let landing = "/?ref=demo-referrer";
    let config = TrackingConfig::default;
    let (axum_cookies, axum_said) = through_axum(client(), config(), landing, "axum-friend").await;
    let (actix_cookies, actix_said) =
        through_actix(client(), config(), landing, "actix-friend").await;
    assert_eq!(
        sandbox.requests_seen_for("GET", "/v1/test"),
        2,
        "each learned it"
    );
    assert_eq!(axum_cookies, actix_cookies);
    assert!(
        axum_cookies.contains("partnero_referral=demo-referrer"),
        "{axum_cookies}"
    );
    for said in [&axum_said, &actix_said] {
        assert!(said.starts_with("Ok(Attributed"), "{said}");
    }
    let state = sandbox.state();
    for user in ["axum-friend", "actix-friend"] {
        assert!(state.customer(&key, user).is_some(), "{user} created");
        assert_eq!(
            state.referrer_of(&key, user),
            Some("demo-referrer"),
            "{user}"
        );
    }
    drop(state);
    sandbox.shutdown().await;
}
