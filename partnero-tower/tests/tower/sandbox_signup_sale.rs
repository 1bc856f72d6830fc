//! End to end through the extractor: an axum app with `PartneroLayer` reports a referred signup,
//! a sale and a refund to a local `partnero-sandbox`, and the sandbox's stored state is checked.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use http_body_util::BodyExt;
use partnero_client::{NewCustomer, Partnero, Sale};
use partnero_sandbox::{ProgramKind, RewardRecipient, Sandbox, SandboxConfig};
use partnero_tower::{PartneroLayer, Referral};
use rust_decimal::Decimal;
use tower::ServiceExt;

/// Signs `user-1` up, attributed to whoever referred the visitor.
async fn signup(referral: Referral) -> Response {
    let customer = NewCustomer::new("user-1").email("user-1@example.com");
    match referral.signup(customer).await {
        Ok(_) => StatusCode::CREATED.into_response(),
        Err(err) => (StatusCode::BAD_GATEWAY, err.to_string()).into_response(),
    }
}

/// Records a 100.00 sale `order-1` for `user-1`.
async fn checkout(referral: Referral) -> Response {
    let sale = Sale::new(Decimal::new(10_000, 2)).key("order-1");
    match referral.sale("user-1", sale).await {
        Ok(_) => StatusCode::CREATED.into_response(),
        Err(err) => (StatusCode::BAD_GATEWAY, err.to_string()).into_response(),
    }
}

/// Refunds `order-1`.
async fn refund(referral: Referral) -> Response {
    match referral.refund("order-1").await {
        Ok(_) => StatusCode::OK.into_response(),
        Err(err) => (StatusCode::BAD_GATEWAY, err.to_string()).into_response(),
    }
}

fn post_with_referral_cookie(uri: &str) -> Request<Body> {
    Request::post(uri)
        .header(header::COOKIE, "session=abc; partnero_partner=demo-partner")
        .body(Body::empty())
        .unwrap()
}

async fn status_and_body(res: Response) -> (StatusCode, String) {
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn referred_signup_sale_and_refund_reach_the_sandbox() {
    let sandbox = Sandbox::start(SandboxConfig::new().seed_demo(true))
        .await
        .expect("sandbox starts");
    let key = sandbox
        .key_for(ProgramKind::Affiliate)
        .expect("default affiliate key");
    let client = Partnero::builder(key.as_str())
        .base_url(sandbox.base_url())
        .build()
        .expect("client builds");

    let app = Router::new()
        .route("/signup", post(signup))
        .route("/checkout", post(checkout))
        .route("/refund", post(refund))
        .layer(PartneroLayer::from_client(client));

    let res = app
        .clone()
        .oneshot(post_with_referral_cookie("/signup"))
        .await
        .unwrap();
    assert_eq!(
        status_and_body(res).await,
        (StatusCode::CREATED, String::new())
    );

    let state = sandbox.state();
    let customer = state.customer(&key, "user-1").expect("customer stored");
    assert_eq!(customer.email.as_deref(), Some("user-1@example.com"));
    let partner = customer.partner.as_ref().expect("customer attributed");
    assert_eq!(partner.key, "demo-partner");

    let res = app
        .clone()
        .oneshot(post_with_referral_cookie("/checkout"))
        .await
        .unwrap();
    assert_eq!(
        status_and_body(res).await,
        (StatusCode::CREATED, String::new())
    );

    let state = sandbox.state();
    let sales = state.transactions_with_key(&key, "order-1");
    assert_eq!(sales.len(), 1, "one transaction stored: {sales:?}");
    let sale = sales[0];
    assert_eq!(sale.customer_key, "user-1");
    assert_eq!(sale.amount, Decimal::new(10_000, 2));
    assert!(!sale.deleted);
    assert_eq!(sale.rewards.len(), 1, "{:?}", sale.rewards);
    let reward = &sale.rewards[0];
    assert!(reward.amount > Decimal::ZERO);
    assert!(
        matches!(&reward.recipient, RewardRecipient::Partner { key, .. } if key == "demo-partner"),
        "{:?}",
        reward.recipient
    );

    let res = app
        .oneshot(post_with_referral_cookie("/refund"))
        .await
        .unwrap();
    assert_eq!(status_and_body(res).await.0, StatusCode::OK);
    let state = sandbox.state();
    assert!(
        state
            .live_transactions(&key)
            .iter()
            .all(|t| t.key != "order-1")
    );
}
