//! The tracking helpers (`signup`, `sale`, `refund`, `ReferralHandle`) against partnero-sandbox.

use std::str::FromStr;

use partnero_client::{NewCustomer, Partnero, Program, ReferralHandle, Sale, SignupOutcome};
use partnero_core::{KeySource, ReferralContext, ReferralKey};
use partnero_sandbox::{ProgramKind, Sandbox, SandboxConfig};
use rust_decimal::Decimal;

async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig::new().seed_demo(true))
        .await
        .unwrap()
}

fn client(sandbox: &Sandbox, kind: ProgramKind, program: Program) -> (Partnero, String) {
    let key = sandbox.key_for(kind).unwrap();
    let client = Partnero::builder(key.as_str())
        .base_url(sandbox.base_url())
        .program(program)
        .build()
        .unwrap();
    (client, key)
}

fn partner_ctx(key: &str) -> ReferralContext {
    ReferralContext::new()
        .with_partner(ReferralKey::parse(key).unwrap(), KeySource::Cookie)
        .with_landing_url("https://shop.example/?aff=demo-partner")
}

fn referrer_ctx(key: &str) -> ReferralContext {
    ReferralContext::new().with_referrer(ReferralKey::parse(key).unwrap(), KeySource::Query)
}

#[tokio::test]
async fn affiliate_signup_is_attributed_with_the_landing_url() {
    let sb = sandbox().await;
    let (c, key) = client(&sb, ProgramKind::Affiliate, Program::Affiliate);
    let outcome = c
        .signup(
            &partner_ctx("demo-partner"),
            NewCustomer::new("user-1").email("u1@example.com"),
        )
        .await
        .unwrap();
    match &outcome {
        SignupOutcome::Attributed { customer } => {
            assert_eq!(customer.key.as_deref(), Some("user-1"));
            assert_eq!(
                customer.partner.as_ref().unwrap().key.as_deref(),
                Some("demo-partner")
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(outcome.is_attributed());
    let state = sb.state();
    let stored = state.customer(&key, "user-1").unwrap();
    assert_eq!(
        stored.referral_url.as_deref(),
        Some("https://shop.example/?aff=demo-partner")
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn affiliate_signup_without_a_partner_makes_no_call() {
    let sb = sandbox().await;
    let (c, key) = client(&sb, ProgramKind::Affiliate, Program::Affiliate);
    let outcome = c
        .signup(&ReferralContext::new(), NewCustomer::new("organic"))
        .await
        .unwrap();
    assert_eq!(outcome, SignupOutcome::NotReferred { customer: None });
    assert_eq!(sb.requests_seen_for("POST", "/v1/customers"), 0);
    assert!(sb.state().customer(&key, "organic").is_none());
    sb.shutdown().await;
}

#[tokio::test]
async fn affiliate_signup_can_always_create() {
    let sb = sandbox().await;
    let key = sb.key_for(ProgramKind::Affiliate).unwrap();
    let c = Partnero::builder(key.as_str())
        .base_url(sb.base_url())
        .always_create_customers(true)
        .build()
        .unwrap();
    let outcome = c
        .signup(&ReferralContext::new(), NewCustomer::new("organic"))
        .await
        .unwrap();
    assert!(
        matches!(outcome, SignupOutcome::NotReferred { customer: Some(_) }),
        "{outcome:?}"
    );
    assert_eq!(
        sb.requests_seen_for("POST", "/v1/customers"),
        1,
        "the call was made"
    );
    // Like Partnero, the sandbox answers but does not store affiliate customers without a partner.
    assert!(sb.state().customer(&key, "organic").is_none());
    sb.shutdown().await;
}

#[tokio::test]
async fn affiliate_unknown_partner_key_is_an_outcome_not_an_error() {
    let sb = sandbox().await;
    let (c, _) = client(&sb, ProgramKind::Affiliate, Program::Affiliate);
    let outcome = c
        .signup(&partner_ctx("ghost-partner"), NewCustomer::new("user-2"))
        .await
        .unwrap();
    assert_eq!(outcome, SignupOutcome::PartnerKeyUnknown);
    sb.shutdown().await;
}

#[tokio::test]
async fn second_signup_with_the_same_key_already_exists() {
    let sb = sandbox().await;
    let (c, _) = client(&sb, ProgramKind::Affiliate, Program::Affiliate);
    let ctx = partner_ctx("demo-partner");
    c.signup(&ctx, NewCustomer::new("twice")).await.unwrap();
    let again = c.signup(&ctx, NewCustomer::new("twice")).await.unwrap();
    assert_eq!(again, SignupOutcome::AlreadyExists);
    sb.shutdown().await;
}

#[tokio::test]
async fn signup_survives_a_lost_answer() {
    let sb = sandbox().await;
    let (c, key) = client(&sb, ProgramKind::Affiliate, Program::Affiliate);
    sb.faults()
        .on("POST", "/v1/customers")
        .process_then_drop_next(1);
    let outcome = c
        .signup(
            &partner_ctx("demo-partner"),
            NewCustomer::new("lost-answer"),
        )
        .await
        .unwrap();
    assert!(outcome.is_attributed(), "{outcome:?}");
    let state = sb.state();
    let count = state
        .customers(&key)
        .iter()
        .filter(|c| c.key == "lost-answer")
        .count();
    assert_eq!(count, 1);
    sb.shutdown().await;
}

#[tokio::test]
async fn refer_a_friend_signup_paths() {
    let sb = sandbox().await;
    let (c, key) = client(&sb, ProgramKind::ReferAFriend, Program::ReferAFriend);

    let referred = c
        .signup(&referrer_ctx("demo-referrer"), NewCustomer::new("friend-1"))
        .await
        .unwrap();
    match &referred {
        SignupOutcome::Attributed { customer } => {
            assert_eq!(
                customer.referring_customer.as_ref().unwrap().key.as_deref(),
                Some("demo-referrer")
            );
            assert!(customer.referral_link.is_some());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        sb.state().referrer_of(&key, "friend-1"),
        Some("demo-referrer")
    );

    let organic = c
        .signup(&ReferralContext::new(), NewCustomer::new("solo"))
        .await
        .unwrap();
    assert!(
        matches!(&organic, SignupOutcome::NotReferred { customer: Some(c) } if c.key.as_deref() == Some("solo")),
        "refer-a-friend creates every customer: {organic:?}"
    );

    let unknown = c
        .signup(&referrer_ctx("nobody-here"), NewCustomer::new("friend-2"))
        .await
        .unwrap();
    match &unknown {
        SignupOutcome::ReferrerKeyUnknown { customer } => {
            assert_eq!(customer.key.as_deref(), Some("friend-2"));
            assert!(customer.referring_customer.is_none());
        }
        other => panic!("{other:?}"),
    }
    assert!(sb.state().customer(&key, "friend-2").is_some());
    assert_eq!(sb.state().referrer_of(&key, "friend-2"), None);
    sb.shutdown().await;
}

#[tokio::test]
async fn referral_handle_delegates_to_the_client() {
    let sb = sandbox().await;
    let (c, key) = client(&sb, ProgramKind::Affiliate, Program::Affiliate);
    let handle = ReferralHandle::new(partner_ctx("demo-partner"), c);
    assert_eq!(handle.partner_key().unwrap().as_str(), "demo-partner");
    assert!(
        handle
            .signup(NewCustomer::new("h1"))
            .await
            .unwrap()
            .is_attributed()
    );
    let sale = handle
        .sale(
            "h1",
            Sale::new(Decimal::from_str("100").unwrap()).key("h1-pay"),
        )
        .await
        .unwrap();
    assert!(!sale.recovered());
    assert_eq!(sale.transaction().unwrap().rewards.len(), 1);
    assert_eq!(
        handle.refund("h1-pay").await.unwrap(),
        partnero_client::RefundOutcome::Refunded
    );
    assert!(sb.state().live_transactions(&key).is_empty());
    sb.shutdown().await;
}
