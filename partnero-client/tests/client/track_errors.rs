//! `signup` maps only a rejected referral key to an outcome; every other failure stays an
//! error (a wrong base URL, a 400 about another field), and a valid referral is never dropped.

use std::time::Duration;

use partnero_client::{Error, NewCustomer, Partnero, Program, RetryPolicy, SignupOutcome};
use partnero_core::{KeySource, ReferralContext, ReferralKey};
use partnero_sandbox::{ProgramKind, Sandbox, SandboxConfig};
use serde_json::json;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn partner_ctx() -> ReferralContext {
    ReferralContext::new().with_partner(
        ReferralKey::parse("demo-partner").unwrap(),
        KeySource::Cookie,
    )
}

fn referrer_ctx() -> ReferralContext {
    ReferralContext::new().with_referrer(
        ReferralKey::parse("demo-referrer").unwrap(),
        KeySource::Query,
    )
}

fn stub_client(server: &MockServer, program: Program) -> Partnero {
    Partnero::builder("sk_test")
        .base_url(format!("{}/v1/", server.uri()))
        .program(program)
        .retry(RetryPolicy::default().base_delay(Duration::from_millis(5)))
        .build()
        .unwrap()
}

fn error(status: u16, body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

fn created(key: &str) -> ResponseTemplate {
    ResponseTemplate::new(201).set_body_json(json!({"data": {"key": key}, "status": 1}))
}

/// A server that answers a customer create naming the referrer `demo-referrer` with `answer`,
/// and any other customer create with the customer `friend-1`.
async fn referred_create_answered(answer: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/customers"))
        .and(body_partial_json(
            json!({"referring_customer": {"key": "demo-referrer"}}),
        ))
        .respond_with(answer)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/customers"))
        .respond_with(created("friend-1"))
        .mount(&server)
        .await;
    server
}

async fn posts(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .count()
}

#[tokio::test]
async fn a_wrong_base_url_is_an_error_not_an_unknown_key() {
    let sb = Sandbox::start(SandboxConfig::new().seed_demo(true))
        .await
        .unwrap();
    for (kind, program, ctx) in [
        (ProgramKind::Affiliate, Program::Affiliate, partner_ctx()),
        (
            ProgramKind::ReferAFriend,
            Program::ReferAFriend,
            referrer_ctx(),
        ),
    ] {
        let c = Partnero::builder(sb.key_for(kind).unwrap())
            .base_url(format!("http://{}/wrong/", sb.addr()))
            .program(program)
            .build()
            .unwrap();
        let result = c.signup(&ctx, NewCustomer::new("user-1")).await;
        assert!(
            matches!(result, Err(Error::NotFound { .. })),
            "{program:?}: {result:?}"
        );
    }
    sb.shutdown().await;
}

#[tokio::test]
async fn affiliate_400_about_another_field_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/customers"))
        .respond_with(error(
            400,
            json!({"message": "The email must be a valid email address.", "status": 0}),
        ))
        .mount(&server)
        .await;
    let result = stub_client(&server, Program::Affiliate)
        .signup(&partner_ctx(), NewCustomer::new("user-1").email("nope"))
        .await;
    assert!(
        matches!(result, Err(Error::Api { status: 400, .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn affiliate_rejections_of_the_partner_key_are_outcomes() {
    for answer in [
        error(400, json!({"message": "Invalid partner key", "status": 0})),
        error(
            400,
            json!({"message": "The partner could not be found.", "status": 0}),
        ),
        error(
            422,
            json!({"message": "The given data was invalid.",
                   "errors": {"partner.key": ["The selected partner.key is invalid."]}, "status": 0}),
        ),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v1/customers"))
            .respond_with(answer)
            .mount(&server)
            .await;
        let outcome = stub_client(&server, Program::Affiliate)
            .signup(&partner_ctx(), NewCustomer::new("user-1"))
            .await
            .unwrap();
        assert_eq!(outcome, SignupOutcome::PartnerKeyUnknown);
    }
}

#[tokio::test]
async fn refer_a_friend_400_about_the_email_keeps_the_referral() {
    // The create with the referrer is refused for the e-mail; without the referrer it would be
    // accepted. The helper must not drop the valid referral to get a customer created.
    let server = referred_create_answered(error(
        400,
        json!({"message": "The email must be a valid email address.", "status": 0}),
    ))
    .await;
    let result = stub_client(&server, Program::ReferAFriend)
        .signup(&referrer_ctx(), NewCustomer::new("friend-1").email("nope"))
        .await;
    assert!(
        matches!(result, Err(Error::Api { status: 400, .. })),
        "{result:?}"
    );
    assert_eq!(
        posts(&server).await,
        1,
        "not created again without the referrer"
    );
}

#[tokio::test]
async fn refer_a_friend_rejections_of_the_referrer_are_outcomes() {
    for answer in [
        error(
            400,
            json!({"message": "Invalid referring customer", "status": 0}),
        ),
        error(
            404,
            json!({"message": "Referring customer not found.", "status": 0}),
        ),
        error(
            422,
            json!({"message": "The given data was invalid.",
                   "errors": {"referring_customer.key": ["The selected key is invalid."]}, "status": 0}),
        ),
    ] {
        let server = referred_create_answered(answer).await;
        let outcome = stub_client(&server, Program::ReferAFriend)
            .signup(&referrer_ctx(), NewCustomer::new("friend-1"))
            .await
            .unwrap();
        assert!(
            matches!(&outcome, SignupOutcome::ReferrerKeyUnknown { customer } if customer.key.as_deref() == Some("friend-1")),
            "{outcome:?}"
        );
        assert_eq!(posts(&server).await, 2);
    }
}
