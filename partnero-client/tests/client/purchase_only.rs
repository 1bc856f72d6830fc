//! The FAQ's "no sign-up, only a purchase" flow (`Partnero::purchase`,
//! `Transactions::create_with_customer`) against partnero-sandbox: the customer is created with
//! its sale, attributed, and the commission is paid exactly once.

use std::str::FromStr;

use partnero_client::{
    NewCustomer, Partnero, PurchaseOutcome, PurchaseReferral, ReferralHandle, Sale,
};
use partnero_core::{KeySource, ReferralContext, ReferralKey};
use partnero_sandbox::ProgramKind;
use rust_decimal::Decimal;
use serde_json::json;
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{demo_sandbox, sandbox_client};

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn partner_ctx(key: &str) -> ReferralContext {
    ReferralContext::new()
        .with_partner(ReferralKey::parse(key).unwrap(), KeySource::Cookie)
        .with_landing_url("https://shop.example/?aff=demo-partner")
}

#[tokio::test]
async fn a_purchase_only_customer_is_attributed_and_its_partner_paid() {
    let sb = demo_sandbox().await;
    let (c, key) = sandbox_client(&sb, ProgramKind::Affiliate);
    let outcome = c
        .purchase(
            &partner_ctx("demo-partner"),
            NewCustomer::new("buyer@example.com")
                .email("buyer@example.com")
                .name("Ada")
                .surname("Lovelace"),
            Sale::new(dec("50")).key("order-1").action("sale"),
        )
        .await
        .unwrap();
    assert_eq!(outcome.referral(), Some(PurchaseReferral::Referred));
    assert!(!outcome.recovered());
    assert_eq!(outcome.transaction().rewards.len(), 1);
    assert_eq!(outcome.transaction().rewards[0].amount, Some(dec("10")));

    let state = sb.state();
    let buyer = state.customer(&key, "buyer@example.com").expect("created");
    assert_eq!(buyer.email.as_deref(), Some("buyer@example.com"));
    assert_eq!(buyer.name.as_deref(), Some("Ada"));
    assert_eq!(buyer.surname.as_deref(), Some("Lovelace"));
    assert_eq!(
        buyer.partner.as_ref().map(|p| p.key.as_str()),
        Some("demo-partner")
    );
    assert_eq!(
        buyer.referral_url.as_deref(),
        Some("https://shop.example/?aff=demo-partner")
    );
    assert_eq!(state.balance(&key, "demo-partner"), Some(dec("10")));

    // The next purchase of the same customer, without a cookie: still the partner's customer.
    let handle = ReferralHandle::new(ReferralContext::new(), c.clone());
    let again = handle
        .purchase(
            NewCustomer::new("buyer@example.com"),
            Sale::new(dec("25")).key("order-2"),
        )
        .await
        .unwrap();
    assert_eq!(again.referral(), Some(PurchaseReferral::NotReferred));
    assert_eq!(again.transaction().rewards[0].amount, Some(dec("5")));
    let state = sb.state();
    assert_eq!(state.customers(&key).len(), 1);
    assert_eq!(state.balance(&key, "demo-partner"), Some(dec("15")));
}

#[tokio::test]
async fn a_stale_partner_key_never_loses_the_sale() {
    let sb = demo_sandbox().await;
    let (c, key) = sandbox_client(&sb, ProgramKind::Affiliate);
    let outcome = c
        .purchase(
            &partner_ctx("gone-partner"),
            NewCustomer::new("buyer-2").email("b2@example.com"),
            Sale::new(dec("40")).key("order-9"),
        )
        .await
        .unwrap();
    assert_eq!(
        outcome.referral(),
        Some(PurchaseReferral::ReferralKeyUnknown)
    );
    assert!(outcome.transaction().rewards.is_empty());
    let state = sb.state();
    assert_eq!(state.transactions_with_key(&key, "order-9").len(), 1);
    let buyer = state
        .customer(&key, "buyer-2")
        .expect("created without a partner");
    assert!(buyer.partner.is_none());
    assert_eq!(state.balance(&key, "demo-partner"), Some(dec("0")));
}

#[tokio::test]
async fn refer_a_friend_purchase_credits_the_referrer() {
    let sb = demo_sandbox().await;
    let (c, key) = sandbox_client(&sb, ProgramKind::ReferAFriend);
    let ctx = ReferralContext::new().with_referrer(
        ReferralKey::parse("demo-referrer").unwrap(),
        KeySource::Cookie,
    );
    let outcome = c
        .purchase(
            &ctx,
            NewCustomer::new("friend").email("friend@example.com"),
            Sale::new(dec("100")).key("inv-1"),
        )
        .await
        .unwrap();
    assert_eq!(outcome.referral(), Some(PurchaseReferral::Referred));
    let state = sb.state();
    assert_eq!(state.referrer_of(&key, "friend"), Some("demo-referrer"));
    assert_eq!(state.balance(&key, "demo-referrer"), Some(dec("20")));
}

#[tokio::test]
async fn a_lost_answer_is_recovered_and_paid_once() {
    let sb = demo_sandbox().await;
    let (c, key) = sandbox_client(&sb, ProgramKind::Affiliate);
    sb.faults()
        .on("POST", "/v1/transactions")
        .process_then_drop_next(1);
    let outcome = c
        .purchase(
            &partner_ctx("demo-partner"),
            NewCustomer::new("buyer-3").email("b3@example.com"),
            Sale::new(dec("10")).key("order-lost"),
        )
        .await
        .unwrap();
    assert!(outcome.recovered());
    let state = sb.state();
    assert_eq!(state.transactions_with_key(&key, "order-lost").len(), 1);
    assert_eq!(state.balance(&key, "demo-partner"), Some(dec("2")));
}

/// `purchase_once` (for a durable dispatcher): a lost answer is returned as an ambiguous error,
/// never resent or looked up (one POST, one transaction); a stale key still gets the sale
/// recorded without it, as `purchase` does.
#[tokio::test]
async fn purchase_once_never_resends_and_still_drops_a_stale_key() {
    let sb = demo_sandbox().await;
    let (c, key) = sandbox_client(&sb, ProgramKind::Affiliate);
    sb.faults()
        .on("POST", "/v1/transactions")
        .process_then_fail_next(1, 502);
    let lost = c
        .purchase_once(
            &partner_ctx("demo-partner"),
            NewCustomer::new("buyer-4"),
            Sale::new(dec("10")).key("order-once"),
        )
        .await
        .unwrap_err();
    assert!(lost.is_ambiguous(), "{lost:?}");
    assert_eq!(sb.requests_seen_for("POST", "/v1/transactions"), 1);
    assert_eq!(
        sb.requests_seen_for("GET", "/v1/transactions/order-once"),
        0
    );
    assert_eq!(
        sb.state().transactions_with_key(&key, "order-once").len(),
        1
    );

    let stale = c
        .purchase_once(
            &partner_ctx("gone-partner"),
            NewCustomer::new("buyer-5"),
            Sale::new(dec("10")).key("order-stale"),
        )
        .await
        .unwrap();
    assert_eq!(stale.referral(), Some(PurchaseReferral::ReferralKeyUnknown));
    assert!(!stale.recovered());
    let state = sb.state();
    assert_eq!(state.transactions_with_key(&key, "order-stale").len(), 1);
    assert!(state.customer(&key, "buyer-5").unwrap().partner.is_none());
}

/// The request carries the whole customer, attribution nested, and `options.create_customer`.
#[tokio::test]
async fn create_with_customer_sends_the_nested_shape() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/transactions"))
        .and(body_json(json!({
            "customer": {"key": "k1", "email": "k1@example.com", "name": "K",
                         "partner": {"key": "p1"}},
            "key": "t1", "amount": 12.5, "action": "sale",
            "options": {"create_customer": true}
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(
            json!({"data": {"key": "t1", "amount": 12.5, "rewards": []}, "status": 1}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let c = Partnero::builder("sk")
        .base_url(format!("{}/v1/", server.uri()))
        .build()
        .unwrap();
    let t = c
        .transactions()
        .create_with_customer(
            &NewCustomer::new("k1")
                .email("k1@example.com")
                .name("K")
                .partner_key("p1"),
            &Sale::new(dec("12.5")).key("t1").action("sale"),
        )
        .await
        .unwrap();
    assert_eq!(t.key.as_deref(), Some("t1"));
}

/// A 422 on the nested `customer.partner.key` (how Partnero may word a refused key in this
/// shape) is a rejected referral too: the sale is sent again without it, never dropped.
#[tokio::test]
async fn a_refused_nested_partner_key_is_dropped_and_the_sale_kept() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/transactions"))
        .and(wiremock::matchers::body_partial_json(
            json!({"customer": {"partner": {"key": "stale"}}}),
        ))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "message": "The given data was invalid.",
            "errors": {"customer.partner.key": ["The selected customer.partner.key is invalid."]},
            "status": 0
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/transactions"))
        .and(body_json(json!({
            "customer": {"key": "k9", "email": "k9@example.com"},
            "key": "t9", "amount": 5.0, "options": {"create_customer": true}
        })))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(
                json!({"data": {"key": "t9", "amount": 5, "rewards": []}, "status": 1}),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    let c = Partnero::builder("sk")
        .base_url(format!("{}/v1/", server.uri()))
        .program(partnero_client::Program::Affiliate)
        .build()
        .unwrap();
    let outcome = c
        .purchase(
            &ReferralContext::new()
                .with_partner(ReferralKey::parse("stale").unwrap(), KeySource::Cookie),
            NewCustomer::new("k9").email("k9@example.com"),
            Sale::new(dec("5")).key("t9"),
        )
        .await
        .unwrap();
    assert_eq!(
        outcome.referral(),
        Some(PurchaseReferral::ReferralKeyUnknown)
    );
    assert_eq!(outcome.transaction().key.as_deref(), Some("t9"));
}

/// A purchase called twice with one transaction key (a double-clicked button, a retried
/// webhook) is looked up before it is posted: one transaction, one commission.
#[tokio::test]
async fn a_repeated_purchase_pays_once() {
    let sb = demo_sandbox().await;
    let (c, key) = sandbox_client(&sb, ProgramKind::Affiliate);
    let ctx = partner_ctx("demo-partner");
    let buy = || {
        c.purchase(
            &ctx,
            NewCustomer::new("twice").email("twice@example.com"),
            Sale::new(dec("50")).key("order-twice"),
        )
    };
    let first = buy().await.unwrap();
    let second = buy().await.unwrap();
    assert_eq!(first.referral(), Some(PurchaseReferral::Referred));
    assert!(
        matches!(second, PurchaseOutcome::AlreadyRecorded { .. }),
        "{second:?}"
    );
    assert_eq!(second.transaction().key, first.transaction().key);
    let state = sb.state();
    assert_eq!(state.transactions_with_key(&key, "order-twice").len(), 1);
    assert_eq!(state.balance(&key, "demo-partner"), Some(dec("10")));
}

/// A landing URL longer than Partnero's 255 characters (a long `utm_*` query) is cut: the
/// purchase, its customer and the attribution are recorded, never refused over the URL.
#[tokio::test]
async fn a_long_landing_url_never_costs_the_purchase() {
    let sb = demo_sandbox().await;
    let (c, key) = sandbox_client(&sb, ProgramKind::Affiliate);
    let url = format!(
        "https://shop.example/?aff=demo-partner&utm_campaign={}",
        "x".repeat(400)
    );
    let ctx = ReferralContext::new()
        .with_partner(
            ReferralKey::parse("demo-partner").unwrap(),
            KeySource::Query,
        )
        .with_landing_url(url.clone());
    let outcome = c
        .purchase(
            &ctx,
            NewCustomer::new("long-url").email("long@example.com"),
            Sale::new(dec("50")).key("order-long"),
        )
        .await
        .unwrap();
    assert_eq!(outcome.referral(), Some(PurchaseReferral::Referred));
    let state = sb.state();
    let buyer = state.customer(&key, "long-url").expect("created");
    assert_eq!(
        buyer.referral_url.as_deref(),
        Some(&url[..255]),
        "the URL's first 255 characters"
    );
    assert_eq!(state.balance(&key, "demo-partner"), Some(dec("10")));
}

/// A refer-a-friend key with the client's program left unset: the purchase learns the program
/// (as a sign-up does) and credits the referring customer, instead of sending the key nowhere.
#[tokio::test]
async fn an_unset_program_is_learned_before_a_refer_a_friend_purchase() {
    let sb = demo_sandbox().await;
    let key = sb.key_for(ProgramKind::ReferAFriend).unwrap();
    let c = Partnero::builder(key.as_str())
        .base_url(sb.base_url())
        .build()
        .unwrap();
    let ctx = ReferralContext::new().with_referrer(
        ReferralKey::parse("demo-referrer").unwrap(),
        KeySource::Cookie,
    );
    let outcome = c
        .purchase(
            &ctx,
            NewCustomer::new("unset-friend").email("unset-friend@example.com"),
            Sale::new(dec("100")).key("inv-unset"),
        )
        .await
        .unwrap();
    assert_eq!(outcome.referral(), Some(PurchaseReferral::Referred));
    let state = sb.state();
    assert_eq!(
        state.referrer_of(&key, "unset-friend"),
        Some("demo-referrer")
    );
}
