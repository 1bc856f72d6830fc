//! A referred visitor's journey through an actix `App` against `partnero-sandbox`: landing with
//! `?aff=`, the server-set cookie sent back, then a signup, a sale and a refund through the
//! `Referral` extractor. The sandbox runs in-process on 127.0.0.1.

use actix_web::http::StatusCode;
use actix_web::http::header::{COOKIE, SET_COOKIE};
use actix_web::{App, HttpResponse, test, web};
use partnero_actix::{PartneroMiddleware, Referral, TrackingConfig};
use partnero_client::{NewCustomer, Partnero, RefundOutcome, Sale, SignupOutcome};
use partnero_sandbox::{ProgramKind, RewardRecipient, Sandbox, SandboxConfig};

async fn landing(referral: Referral) -> String {
    referral
        .partner_key()
        .map_or("-", |k| k.as_str())
        .to_owned()
}

async fn signup(referral: Referral, user: web::Path<String>) -> HttpResponse {
    let user = user.into_inner();
    let customer = NewCustomer::new(user.clone()).email(format!("{user}@example.com"));
    match referral.signup(customer).await {
        Ok(SignupOutcome::Attributed { .. }) => HttpResponse::Created().body("attributed"),
        Ok(SignupOutcome::NotReferred { .. }) => HttpResponse::Created().body("not referred"),
        Ok(other) => HttpResponse::Created().body(format!("{other:?}")),
        Err(error) => HttpResponse::BadGateway().body(error.to_string()),
    }
}

async fn sale(referral: Referral, user: web::Path<String>) -> HttpResponse {
    let sale = Sale::new("49.99".parse().unwrap())
        .key("pay_1")
        .action("sale");
    match referral.sale(&user, sale).await {
        Ok(outcome) => HttpResponse::Created().body(format!(
            "rewards={} recovered={}",
            outcome.transaction().map_or(0, |t| t.rewards.len()),
            outcome.recovered()
        )),
        Err(error) => HttpResponse::BadGateway().body(error.to_string()),
    }
}

async fn refund(referral: Referral) -> HttpResponse {
    match referral.refund("pay_1").await {
        Ok(RefundOutcome::Refunded) => HttpResponse::Ok().body("refunded"),
        Ok(other) => HttpResponse::Ok().body(format!("{other:?}")),
        Err(error) => HttpResponse::BadGateway().body(error.to_string()),
    }
}

/// `name=value` of a `Set-Cookie` value, as a browser would send it back.
fn cookie_pair(set_cookie: &str) -> &str {
    set_cookie.split(';').next().unwrap()
}

#[actix_web::test]
async fn referred_signup_sale_and_refund_reach_the_sandbox() {
    let sandbox = Sandbox::start(SandboxConfig::new().seed_demo(true))
        .await
        .unwrap();
    let key = sandbox.key_for(ProgramKind::Affiliate).unwrap();
    let client = Partnero::builder(key.as_str())
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    let app = test::init_service(
        App::new()
            .wrap(
                PartneroMiddleware::from_client(client)
                    .with_config(TrackingConfig::default().secure(false)),
            )
            .route("/", web::get().to(landing))
            .route("/signup/{user}", web::post().to(signup))
            .route("/sale/{user}", web::post().to(sale))
            .route("/refund", web::post().to(refund)),
    )
    .await;

    // 1. The visitor lands with a referral link and gets the server-set cookie.
    let res = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/?aff=demo-partner")
            .to_request(),
    )
    .await;
    let set_cookie = res
        .headers()
        .get(SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(test::read_body(res).await, "demo-partner");
    let cookie = cookie_pair(&set_cookie).to_owned();
    assert_eq!(cookie, "partnero_partner=demo-partner");

    // 2. Later, the browser sends the cookie back with the sign-up.
    let res = test::call_service(
        &app,
        test::TestRequest::post()
            .uri("/signup/user-1")
            .insert_header((COOKIE, format!("session=abc; {cookie}")))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(test::read_body(res).await, "attributed");

    let state = sandbox.state();
    let customer = state.customer(&key, "user-1").expect("customer stored");
    assert_eq!(customer.email.as_deref(), Some("user-1@example.com"));
    let partner = customer.partner.as_ref().expect("customer attributed");
    assert_eq!(partner.key, "demo-partner");
    assert_eq!(sandbox.requests_seen_for("POST", "/v1/customers"), 1);

    // 3. The customer pays: one transaction, one commission for the partner.
    let res = test::call_service(
        &app,
        test::TestRequest::post().uri("/sale/user-1").to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(test::read_body(res).await, "rewards=1 recovered=false");

    let state = sandbox.state();
    let stored = state.transactions_with_key(&key, "pay_1");
    assert_eq!(stored.len(), 1);
    let tx = stored[0];
    assert_eq!(tx.customer_key, "user-1");
    assert_eq!(tx.amount.normalize().to_string(), "49.99");
    assert_eq!(tx.action, "sale");
    assert_eq!(tx.rewards.len(), 1);
    assert_eq!(tx.rewards[0].amount.normalize().to_string(), "9.998");
    assert!(
        matches!(&tx.rewards[0].recipient, RewardRecipient::Partner { key, .. } if key == "demo-partner")
    );

    // 4. And asks for a refund: the transaction is reversed.
    let res = test::call_service(&app, test::TestRequest::post().uri("/refund").to_request()).await;
    assert_eq!(test::read_body(res).await, "refunded");
    let state = sandbox.state();
    assert!(state.transactions_with_key(&key, "pay_1")[0].deleted);
    assert!(state.live_transactions(&key).is_empty());

    sandbox.shutdown().await;
}

#[actix_web::test]
async fn unreferred_signup_sends_nothing_to_the_affiliate_program() {
    let sandbox = Sandbox::start(SandboxConfig::new().seed_demo(true))
        .await
        .unwrap();
    let key = sandbox.key_for(ProgramKind::Affiliate).unwrap();
    let client = Partnero::builder(key.as_str())
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    let app = test::init_service(
        App::new()
            .wrap(PartneroMiddleware::from_client(client))
            .route("/signup/{user}", web::post().to(signup)),
    )
    .await;

    let res = test::call_service(
        &app,
        test::TestRequest::post()
            .uri("/signup/user-2")
            .insert_header((COOKIE, "session=abc"))
            .to_request(),
    )
    .await;
    assert_eq!(test::read_body(res).await, "not referred");
    assert!(sandbox.state().customer(&key, "user-2").is_none());
    assert_eq!(sandbox.requests_seen_for("POST", "/v1/customers"), 0);

    sandbox.shutdown().await;
}
