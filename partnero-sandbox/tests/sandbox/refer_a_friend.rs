//! Refer-a-friend program: customers, referral links, referrals, stats, balance and rewards.

use crate::common::{AFF, Api, RAF, assert_error, assert_field_error};
use partnero_sandbox::SandboxConfig;
use rust_decimal::Decimal;
use serde_json::json;

fn dec(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

#[tokio::test]
async fn every_customer_is_created_with_its_referral_link() {
    let api = Api::start().await;
    let (status, body) = api
        .post(
            RAF,
            "/customers",
            json!({"key": "customer_123", "email": "alice@example.com", "name": "Alice"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let d = &body["data"];
    assert_eq!(d["key"], "customer_123");
    assert_eq!(d["id"], "customer_123");
    assert_eq!(d["referral_link"], "https://example.com/?ref=customer_123");
    assert_eq!(
        d["referral_links"],
        json!(["https://example.com/?ref=customer_123"])
    );
    assert_eq!(d["referrals_count"], 0);
    assert_eq!(d["referring_customer"], json!(null));
    assert_eq!(d["metadata"]["date_of_birth"], json!(null));
    assert_eq!(d["status"], "active");

    // Key auto-generated when absent; a private id is kept separately and also finds it.
    let (status, body) = api
        .post(RAF, "/customers", json!({"id": "acct-9", "email": "anon@example.com", "metadata": {"date_of_birth": "1990-04-01"}}))
        .await;
    assert_eq!(status, 201, "{body}");
    let generated = body["data"]["key"].as_str().expect("key").to_owned();
    assert!(!generated.is_empty() && generated != "acct-9");
    assert_eq!(body["data"]["metadata"]["date_of_birth"], "1990-04-01");
    let (status, by_id) = api.get(RAF, "/customers/acct-9").await;
    assert_eq!(status, 200);
    assert_eq!(by_id["data"]["key"], generated.as_str());
    assert_eq!(
        api.get(RAF, &format!("/customers/{generated}")).await.0,
        200
    );

    assert_field_error(
        &api.post(
            RAF,
            "/customers",
            json!({"key": "d", "metadata": {"date_of_birth": "01/04/1990"}}),
        )
        .await,
        "metadata.date_of_birth",
    );
    assert_field_error(
        &api.post(RAF, "/customers", json!({"key": "customer_123"}))
            .await,
        "key",
    );
    assert_field_error(
        &api.post(RAF, "/customers", json!({"key": "z", "id": "acct-9"}))
            .await,
        "id",
    );
}

#[tokio::test]
async fn referred_customer_links_to_referrer_and_sales_reward_it() {
    let api = Api::start().await;
    api.post(
        RAF,
        "/customers",
        json!({"key": "customer_123", "email": "alice@example.com", "name": "Alice"}),
    )
    .await;
    let (status, body) = api
        .post(
            RAF,
            "/customers",
            json!({"referring_customer": {"key": "customer_123"}, "key": "customer_456", "email": "bob@example.com", "name": "Bob"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["referring_customer"]["key"], "customer_123");
    // Referrer by private id.
    let (status, _) = api
        .post(
            RAF,
            "/customers",
            json!({"referring_customer": {"id": "customer_123"}, "key": "customer_789"}),
        )
        .await;
    assert_eq!(status, 201);

    let (_, referrer) = api.get(RAF, "/customers/customer_123").await;
    assert_eq!(referrer["data"]["referrals_count"], 2);
    let (status, referrals) = api.get(RAF, "/customers/customer_123/referrals").await;
    assert_eq!(status, 200);
    let keys: Vec<&str> = referrals["data"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|c| c["key"].as_str())
        .collect();
    assert_eq!(keys, vec!["customer_456", "customer_789"]);
    assert!(referrals["links"].is_object() && referrals["meta"].is_object());
    let (_, filtered) = api
        .get(RAF, "/customers?referring_customer.key=customer_123")
        .await;
    assert_eq!(filtered["data"].as_array().map(Vec::len), Some(2));

    let (status, body) = api
        .post(RAF, "/transactions", json!({"customer": {"key": "customer_456"}, "key": "invoice_123", "amount": 100, "action": "sale"}))
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["rewards"][0]["amount"], json!(20));
    assert_eq!(
        body["data"]["rewards"][0]["customer"]["key"],
        "customer_123"
    );
    assert_eq!(
        api.sandbox.state().balance(RAF, "customer_123"),
        Some(dec("20"))
    );
    assert_eq!(
        api.sandbox.state().referrer_of(RAF, "customer_456"),
        Some("customer_123")
    );

    let (status, balance) = api.get(RAF, "/customers/customer_123/balance").await;
    assert_eq!(status, 200);
    assert_eq!(
        balance["data"]["balance"]["currency"],
        json!([{"amount": 20, "amount_units": "usd", "is_currency": true}])
    );

    let (status, stats) = api.get(RAF, "/customers/customer_123/stats").await;
    assert_eq!(status, 200);
    assert_eq!(stats["data"]["referrals"], 2);
    assert_eq!(stats["data"]["purchases"], 1);
    assert_eq!(stats["data"]["clicks"], 0);
    assert!(
        stats["data"]["share_links"]["facebook"]
            .as_str()
            .is_some_and(|s| s.contains("customer_123"))
    );

    // A transaction by the non-referred referrer earns nobody anything.
    let (_, own) = api
        .post(
            RAF,
            "/transactions",
            json!({"customer": {"key": "customer_123"}, "amount": 10}),
        )
        .await;
    assert_eq!(own["data"]["rewards"], json!([]));

    // Refund: the referrer's balance goes down.
    assert_eq!(api.delete(RAF, "/transactions/invoice_123").await.0, 200);
    assert_eq!(
        api.sandbox.state().balance(RAF, "customer_123"),
        Some(dec("0"))
    );
}

#[tokio::test]
async fn unknown_referrer_is_400_and_empty_referrer_is_422() {
    let api = Api::start().await;
    let answer = api
        .post(
            RAF,
            "/customers",
            json!({"referring_customer": {"key": "ghost"}, "key": "c1"}),
        )
        .await;
    assert_error(&answer, 400);
    assert_eq!(answer.1["message"], "Invalid referring customer");
    assert!(api.sandbox.state().customers(RAF).is_empty());
    assert_field_error(
        &api.post(
            RAF,
            "/customers",
            json!({"referring_customer": {}, "key": "c1"}),
        )
        .await,
        "referring_customer.key",
    );
}

#[tokio::test]
async fn balance_credit_adds_manual_rewards() {
    let api = Api::start().await;
    api.post(RAF, "/customers", json!({"key": "customer_123"}))
        .await;
    let (status, body) = api
        .post(
            RAF,
            "/customers/customer_123/balance/credit",
            json!({"amount": 10, "is_currency": true, "amount_units": "usd"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["balance"]["currency"][0]["amount"], json!(10));
    api.post(
        RAF,
        "/customers/customer_123/balance/credit",
        json!({"amount": 2.5, "is_currency": true, "amount_units": "usd"}),
    )
    .await;
    api.post(
        RAF,
        "/customers/customer_123/balance/credit",
        json!({"amount": 100, "is_currency": false, "amount_units": "points"}),
    )
    .await;
    assert_eq!(
        api.sandbox.state().balance(RAF, "customer_123"),
        Some(dec("12.5"))
    );
    let (_, balance) = api.get(RAF, "/customers/customer_123/balance").await;
    assert_eq!(
        balance["data"]["balance"]["currency"],
        json!([
            {"amount": 12.5, "amount_units": "usd", "is_currency": true},
            {"amount": 100, "amount_units": "points", "is_currency": false}
        ])
    );
    let missing = api
        .post(RAF, "/customers/customer_123/balance/credit", json!({}))
        .await;
    assert_field_error(&missing, "amount");
    assert_field_error(&missing, "amount_units");
    assert_field_error(&missing, "is_currency");
    assert_field_error(
        &api.post(
            RAF,
            "/customers/customer_123/balance/credit",
            json!({"amount": 1, "amount_units": "usd", "is_currency": "yes"}),
        )
        .await,
        "is_currency",
    );
    assert_error(
        &api.post(
            RAF,
            "/customers/nobody/balance/credit",
            json!({"amount": 1, "amount_units": "usd", "is_currency": true}),
        )
        .await,
        404,
    );
}

#[tokio::test]
async fn refer_a_friend_views_are_not_for_affiliate_programs_and_404_for_unknown() {
    let api = Api::start().await;
    for path in [
        "/customers/x/referrals",
        "/customers/x/stats",
        "/customers/x/balance",
    ] {
        assert_error(&api.get(AFF, path).await, 403);
        assert_error(&api.get(RAF, path).await, 404);
    }
    assert_error(
        &api.post(
            AFF,
            "/customers/x/balance/credit",
            json!({"amount": 1, "amount_units": "usd", "is_currency": true}),
        )
        .await,
        403,
    );
}

#[tokio::test]
async fn programs_are_isolated_and_update_delete_work() {
    let api = Api::start().await;
    api.post(
        RAF,
        "/customers",
        json!({"key": "c1", "email": "c1@example.com"}),
    )
    .await;
    assert_error(&api.get(AFF, "/customers/c1").await, 404);
    let (status, body) = api
        .put(
            RAF,
            "/customers/c1",
            json!({"update": {"name": "New", "metadata": {"date_of_birth": "2000-02-29"}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["name"], "New");
    assert_eq!(body["data"]["metadata"]["date_of_birth"], "2000-02-29");
    assert_eq!(api.delete(RAF, "/customers/c1").await.0, 200);
    assert_error(&api.get(RAF, "/customers/c1").await, 404);
}

#[tokio::test]
async fn referral_link_base_is_configurable() {
    let api =
        Api::start_with(SandboxConfig::new().referral_link_base("https://shop.test/join?src=x"))
            .await;
    let (_, body) = api.post(RAF, "/customers", json!({"key": "a b"})).await;
    assert_eq!(
        body["data"]["referral_link"],
        "https://shop.test/join?src=x&ref=a%20b"
    );
}
