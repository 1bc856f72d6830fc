//! Affiliate program: partners, customers, transactions and commissions over HTTP.

use crate::common;
use crate::common::{AFF, Api, assert_error, assert_field_error};
use rust_decimal::Decimal;
use serde_json::json;

fn dec(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

#[tokio::test]
async fn program_test_endpoint_reports_each_program() {
    let api = Api::start().await;
    let (status, body) = api.get(AFF, "/test").await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], 1);
    assert_eq!(body["data"]["program"]["type"], "affiliate");
    assert!(
        body["data"]["program"]["pub_id"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    let (status, body) = api.get(common::RAF, "/test").await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["program"]["type"], "refer_a_friend");
    let (status, body) = api
        .get(partnero_sandbox::DEFAULT_NEWSLETTER_KEY, "/test")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["program"]["type"], "newsletter");
}

#[tokio::test]
async fn partners_crud_search_and_links() {
    let api = Api::start().await;
    let created = api.partner("ref-anna", "anna@example.com").await;
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(created["key"], "ref-anna");
    assert_eq!(created["email"], "anna@example.com");

    // Generated key and id when absent.
    let (status, other) = api
        .post(AFF, "/partners", json!({"email": "bob@example.com"}))
        .await;
    assert_eq!(status, 201);
    assert!(other["data"]["key"].as_str().is_some_and(|k| !k.is_empty()));

    let (status, got) = api.get(AFF, &format!("/partners/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(got["data"]["key"], "ref-anna");
    // `{id}` is the id, not the referral key.
    assert_error(&api.get(AFF, "/partners/ref-anna").await, 404);

    let (status, list) = api.get(AFF, "/partners").await;
    assert_eq!(status, 200);
    assert_eq!(list["data"].as_array().map(Vec::len), Some(2));

    let (status, found) = api
        .get(AFF, "/partners:search?email=anna%40example.com")
        .await;
    assert_eq!(status, 200);
    assert_eq!(found["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(found["data"][0]["id"], id.as_str());
    let (_, by_key) = api.get(AFF, "/partners:search?key=ref-anna").await;
    assert_eq!(by_key["data"][0]["email"], "anna@example.com");
    let (_, none) = api.get(AFF, "/partners:search?key=nobody").await;
    assert_eq!(none["data"], json!([]));

    let (status, links) = api
        .get(AFF, &format!("/partners/{id}/referral_links"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(links["data"][0]["url"], "https://example.com/?aff=ref-anna");

    let (status, updated) = api
        .put(
            AFF,
            &format!("/partners/{id}"),
            json!({"update": {"name": "Anna", "tags": ["vip"]}}),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["data"]["name"], "Anna");
    assert_eq!(updated["data"]["tags"], json!(["vip"]));
    let (status, flat) = api
        .put(AFF, &format!("/partners/{id}"), json!({"surname": "K"}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(flat["data"]["surname"], "K");
    assert_eq!(flat["data"]["name"], "Anna");
    assert_field_error(
        &api.put(
            AFF,
            &format!("/partners/{id}"),
            json!({"email": "bob@example.com"}),
        )
        .await,
        "email",
    );

    let (status, deleted) = api.delete(AFF, &format!("/partners/{id}")).await;
    assert_eq!((status, deleted), (200, json!({"status": 1})));
    assert_error(&api.get(AFF, &format!("/partners/{id}")).await, 404);
    assert_error(&api.delete(AFF, &format!("/partners/{id}")).await, 404);
    assert_error(
        &api.put(AFF, "/partners/nope", json!({"name": "x"})).await,
        404,
    );
    assert_error(&api.get(AFF, "/partners/nope/referral_links").await, 404);
}

#[tokio::test]
async fn partner_validation_and_duplicates() {
    let api = Api::start().await;
    assert_field_error(
        &api.post(AFF, "/partners", json!({"name": "x"})).await,
        "email",
    );
    assert_field_error(
        &api.post(AFF, "/partners", json!({"email": "not-an-email"}))
            .await,
        "email",
    );
    assert_field_error(
        &api.post(AFF, "/partners", json!({"email": "a@b.c", "tags": "x"}))
            .await,
        "tags",
    );
    api.partner("p1", "p1@example.com").await;
    assert_field_error(
        &api.post(AFF, "/partners", json!({"email": "P1@example.com"}))
            .await,
        "email",
    );
    assert_field_error(
        &api.post(
            AFF,
            "/partners",
            json!({"email": "z@example.com", "key": "p1"}),
        )
        .await,
        "key",
    );
}

#[tokio::test]
async fn partners_are_affiliate_only() {
    let api = Api::start().await;
    assert_error(&api.get(common::RAF, "/partners").await, 403);
    assert_error(
        &api.post(common::RAF, "/partners", json!({"email": "a@b.c"}))
            .await,
        403,
    );
}

#[tokio::test]
async fn customer_attribution_get_list_update_delete() {
    let api = Api::start().await;
    let partner = api.partner("ref-anna", "anna@example.com").await;
    let (status, body) = api
        .post(
            AFF,
            "/customers",
            json!({
                "partner": {"key": "ref-anna"},
                "key": "cust@example.com",
                "email": "cust@example.com",
                "name": "Cus",
                "surname": "Tomer",
                "tags": ["trial"],
                "options": {"referral_url": "https://shop.test/?aff=ref-anna"}
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], 1);
    assert_eq!(body["data"]["partner"]["key"], "ref-anna");
    assert_eq!(body["data"]["partner"]["id"], partner["id"]);
    assert_eq!(
        body["data"]["options"]["referral_url"],
        "https://shop.test/?aff=ref-anna"
    );
    let created_at = body["data"]["created_at"].as_str().expect("created_at");
    assert_eq!(created_at.len(), 27);
    assert!(created_at.ends_with('Z'));

    // Attribution by partner id and by partner e-mail.
    let pid = partner["id"].as_str().expect("id");
    let (status, _) = api
        .post(
            AFF,
            "/customers",
            json!({"key": "c2", "partner": {"id": pid}}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, c3) = api
        .post(
            AFF,
            "/customers",
            json!({"key": "c3", "partner": {"email": "anna@example.com"}}),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(c3["data"]["partner"]["key"], "ref-anna");

    // Percent-encoded e-mail key in the path.
    let (status, got) = api.get(AFF, "/customers/cust%40example.com").await;
    assert_eq!(status, 200);
    assert_eq!(got["data"]["name"], "Cus");
    assert_eq!(got["data"]["tags"], json!(["trial"]));

    let (_, list) = api.get(AFF, "/customers?partner.key=ref-anna").await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(3));
    let (_, list) = api.get(AFF, "/customers?partner.key=someone-else").await;
    assert_eq!(list["data"], json!([]));
    let (_, found) = api
        .get(AFF, "/customers:search?email=cust%40example.com")
        .await;
    assert_eq!(found["data"].as_array().map(Vec::len), Some(1));
    let (_, found) = api.get(AFF, "/customers:search?key=c2").await;
    assert_eq!(found["data"][0]["key"], "c2");

    let (status, updated) = api
        .put(
            AFF,
            "/customers/c2",
            json!({"update": {"name": "Renamed", "key": "c2-new", "email": "c2@example.com"}}),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["data"]["key"], "c2-new");
    assert_eq!(updated["data"]["name"], "Renamed");
    assert_error(&api.get(AFF, "/customers/c2").await, 404);
    assert_eq!(api.get(AFF, "/customers/c2-new").await.0, 200);
    // Update requires the `update` wrapper; keys stay unique.
    assert_field_error(
        &api.put(AFF, "/customers/c3", json!({"name": "flat"})).await,
        "update",
    );
    assert_field_error(
        &api.put(AFF, "/customers/c3", json!({"update": {"key": "c2-new"}}))
            .await,
        "update.key",
    );
    assert_field_error(
        &api.put(AFF, "/customers/c3", json!({"update": {"email": 5}}))
            .await,
        "update.email",
    );
    assert_error(
        &api.put(AFF, "/customers/nobody", json!({"update": {"name": "x"}}))
            .await,
        404,
    );

    let (status, deleted) = api.delete(AFF, "/customers/c3").await;
    assert_eq!((status, deleted), (200, json!({"status": 1})));
    assert_error(&api.get(AFF, "/customers/c3").await, 404);
    assert_error(&api.delete(AFF, "/customers/c3").await, 404);
    let state = api.sandbox.state();
    assert_eq!(state.customers(AFF).len(), 2);
    assert!(state.customer(AFF, "c2-new").is_some());
}

#[tokio::test]
async fn customer_without_partner_is_ignored_and_unknown_partner_is_400() {
    let api = Api::start().await;
    let (status, body) = api
        .post(
            AFF,
            "/customers",
            json!({"key": "lonely", "email": "l@example.com", "name": "L"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], 1);
    assert_eq!(body["data"]["key"], "lonely");
    assert_eq!(body["data"]["partner"], json!(null));
    // `{"partner": {"key": null}}` (what the PHP example sends without a cookie) is "no partner" too.
    let (status, _) = api
        .post(
            AFF,
            "/customers",
            json!({"key": "lonely2", "partner": {"key": null}}),
        )
        .await;
    assert_eq!(status, 200);
    assert!(api.sandbox.state().customers(AFF).is_empty());
    assert_error(&api.get(AFF, "/customers/lonely").await, 404);

    let answer = api
        .post(
            AFF,
            "/customers",
            json!({"key": "c1", "partner": {"key": "no-such-partner"}}),
        )
        .await;
    assert_error(&answer, 400);
    assert_eq!(answer.1["message"], "Invalid partner key");
    assert!(api.sandbox.state().customers(AFF).is_empty());
}

#[tokio::test]
async fn duplicate_customer_key_is_422_duplicate_key() {
    let api = Api::start().await;
    api.partner("p", "p@example.com").await;
    let body = json!({"key": "dup", "partner": {"key": "p"}});
    assert_eq!(api.post(AFF, "/customers", body.clone()).await.0, 201);
    let answer = api.post(AFF, "/customers", body).await;
    assert_field_error(&answer, "key");
    assert_eq!(answer.1["message"], "Duplicate key");
    assert_eq!(
        answer.1["errors"]["key"][0],
        "The key has already been taken."
    );
    // A duplicate e-mail is a plain validation error.
    assert_eq!(
        api.post(
            AFF,
            "/customers",
            json!({"key": "e1", "email": "x@example.com", "partner": {"key": "p"}})
        )
        .await
        .0,
        201
    );
    assert_field_error(
        &api.post(
            AFF,
            "/customers",
            json!({"key": "e2", "email": "x@example.com", "partner": {"key": "p"}}),
        )
        .await,
        "email",
    );
}

#[tokio::test]
async fn customer_validation_errors() {
    let api = Api::start().await;
    assert_field_error(
        &api.post(AFF, "/customers", json!({"email": "a@b.c"})).await,
        "key",
    );
    assert_field_error(
        &api.post(AFF, "/customers", json!({"key": 12})).await,
        "key",
    );
    assert_field_error(
        &api.post(AFF, "/customers", json!({"key": ""})).await,
        "key",
    );
    assert_field_error(
        &api.post(AFF, "/customers", json!({"key": "k", "email": "nope"}))
            .await,
        "email",
    );
    assert_field_error(
        &api.post(AFF, "/customers", json!({"key": "k", "partner": "p"}))
            .await,
        "partner",
    );
    assert_field_error(
        &api.post(
            AFF,
            "/customers",
            json!({"key": "k", "partner": {"key": 5}}),
        )
        .await,
        "partner.key",
    );
    assert_field_error(
        &api.post(AFF, "/customers", json!({"key": "x".repeat(256)}))
            .await,
        "key",
    );
    assert_field_error(
        &api.post(AFF, "/customers", json!({"key": "k", "tags": [1]}))
            .await,
        "tags.0",
    );
}

#[tokio::test]
async fn transactions_pay_commission_and_refunds_reverse_it() {
    let api = Api::start().await;
    api.referred_customer("ref-anna", "anna@example.com", "c1")
        .await;

    let (status, body) = api
        .post(
            AFF,
            "/transactions",
            json!({"customer": {"key": "c1"}, "key": "tr_1", "amount": 99.99, "action": "sale",
                   "product_id": "prod_123", "product_type": "monthly", "amount_units": "usd"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let t = &body["data"];
    assert_eq!(t["key"], "tr_1");
    assert_eq!(t["amount"], json!(99.99));
    assert_eq!(t["action"], "sale");
    assert_eq!(t["customer"]["key"], "c1");
    assert_eq!(t["product_id"], "prod_123");
    assert_eq!(t["rewards"][0]["amount"], json!(19.998));
    assert!(t["rewards"][0]["amount"].is_number());
    assert_eq!(t["rewards"][0]["partner"]["key"], "ref-anna");
    assert_eq!(
        api.sandbox.state().balance(AFF, "ref-anna"),
        Some(dec("19.998"))
    );

    // Default action, generated key.
    let (status, body) = api
        .post(
            AFF,
            "/transactions",
            json!({"customer": {"key": "c1"}, "amount": 10}),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(body["data"]["action"], "sale");
    let generated = body["data"]["key"].as_str().expect("key").to_owned();
    assert!(!generated.is_empty());
    assert_eq!(
        api.sandbox.state().balance(AFF, "ref-anna"),
        Some(dec("21.998"))
    );

    let (status, got) = api.get(AFF, "/transactions/tr_1").await;
    assert_eq!(status, 200);
    assert_eq!(got["data"]["amount"], json!(99.99));
    let (_, list) = api.get(AFF, "/transactions").await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(2));
    let (_, list) = api.get(AFF, "/transactions?customer.key=c1").await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(2));
    let (_, list) = api.get(AFF, "/customers/c1/transactions").await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(2));
    assert_error(&api.get(AFF, "/customers/nobody/transactions").await, 404);

    let (status, body) = api.post_empty(AFF, "/transactions/tr_1/archive").await;
    assert_eq!((status, body), (200, json!({"status": 1})));
    assert_eq!(
        api.get(AFF, "/transactions/tr_1").await.1["data"]["archived"],
        true
    );
    let (status, _) = api
        .post_empty(AFF, "/transactions/tr_1/revoke-archive")
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        api.get(AFF, "/transactions/tr_1").await.1["data"]["archived"],
        false
    );
    assert_error(
        &api.post_empty(AFF, "/transactions/nope/archive").await,
        404,
    );
    assert_error(
        &api.post_empty(AFF, "/transactions/nope/revoke-archive")
            .await,
        404,
    );

    let (status, body) = api.delete(AFF, "/transactions/tr_1").await;
    assert_eq!((status, body), (200, json!({"status": 1})));
    assert_eq!(api.sandbox.state().balance(AFF, "ref-anna"), Some(dec("2")));
    assert_error(&api.get(AFF, "/transactions/tr_1").await, 404);
    assert_error(&api.delete(AFF, "/transactions/tr_1").await, 404);
    let state = api.sandbox.state();
    let stored = state.transactions_with_key(AFF, "tr_1");
    assert_eq!(stored.len(), 1);
    assert!(stored[0].deleted);
    assert_eq!(state.live_transactions(AFF).len(), 1);
}

#[tokio::test]
async fn duplicate_transaction_key_creates_a_second_transaction_and_pays_twice() {
    let api = Api::start().await;
    api.referred_customer("p", "p@example.com", "c1").await;
    let body = json!({"customer": {"key": "c1"}, "key": "inv_1", "amount": 100});
    assert_eq!(api.post(AFF, "/transactions", body.clone()).await.0, 201);
    assert_eq!(
        api.post(
            AFF,
            "/transactions",
            json!({"customer": {"key": "c1"}, "key": "inv_1", "amount": 50})
        )
        .await
        .0,
        201
    );
    let state = api.sandbox.state();
    assert_eq!(state.transactions_with_key(AFF, "inv_1").len(), 2);
    assert_eq!(state.balance(AFF, "p"), Some(dec("30")));
    // Lookups see the latest one; a delete removes the latest, then the older one.
    assert_eq!(
        api.get(AFF, "/transactions/inv_1").await.1["data"]["amount"],
        json!(50)
    );
    assert_eq!(api.delete(AFF, "/transactions/inv_1").await.0, 200);
    assert_eq!(
        api.get(AFF, "/transactions/inv_1").await.1["data"]["amount"],
        json!(100)
    );
    assert_eq!(api.sandbox.state().balance(AFF, "p"), Some(dec("20")));
    assert_eq!(api.delete(AFF, "/transactions/inv_1").await.0, 200);
    assert_eq!(api.sandbox.state().balance(AFF, "p"), Some(dec("0")));
    assert_error(&api.delete(AFF, "/transactions/inv_1").await, 404);
}

#[tokio::test]
async fn batch_transactions_for_one_customer() {
    let api = Api::start().await;
    api.referred_customer("p", "p@example.com", "c1").await;
    let (status, body) = api
        .post(
            AFF,
            "/transactions",
            json!({"customer": {"key": "c1"}, "transactions": [
                {"key": "invoice_123", "amount": 100, "action": "sale"},
                {"key": "invoice_456", "amount": 200, "action": "sale"}
            ]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let items = body["data"].as_array().expect("array");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["rewards"][0]["amount"], json!(20));
    assert_eq!(items[1]["rewards"][0]["amount"], json!(40));
    assert_eq!(api.sandbox.state().balance(AFF, "p"), Some(dec("60")));

    // One bad item rejects the whole batch, naming the item.
    let answer = api
        .post(
            AFF,
            "/transactions",
            json!({"customer": {"key": "c1"}, "transactions": [{"key": "ok", "amount": 1}, {"key": "bad"}]}),
        )
        .await;
    assert_field_error(&answer, "transactions.1.amount");
    assert_field_error(
        &api.post(
            AFF,
            "/transactions",
            json!({"customer": {"key": "c1"}, "transactions": []}),
        )
        .await,
        "transactions",
    );
    assert_field_error(
        &api.post(
            AFF,
            "/transactions",
            json!({"customer": {"key": "c1"}, "transactions": [5]}),
        )
        .await,
        "transactions.0",
    );
    assert_field_error(
        &api.post(
            AFF,
            "/transactions",
            json!({"customer": {"key": "c1"}, "transactions": "x"}),
        )
        .await,
        "transactions",
    );
    assert_eq!(api.sandbox.state().transactions(AFF).len(), 2);
}

#[tokio::test]
async fn transaction_validation_and_unknown_customer() {
    let api = Api::start().await;
    assert_field_error(
        &api.post(AFF, "/transactions", json!({"amount": 5})).await,
        "customer",
    );
    assert_field_error(
        &api.post(AFF, "/transactions", json!({"customer": {}, "amount": 5}))
            .await,
        "customer.key",
    );
    assert_field_error(
        &api.post(AFF, "/transactions", json!({"customer": {"key": "c"}}))
            .await,
        "amount",
    );
    // Amounts are JSON numbers; a string (e.g. a decimal serialised as text) is rejected.
    assert_field_error(
        &api.post(
            AFF,
            "/transactions",
            json!({"customer": {"key": "c"}, "amount": "99.99"}),
        )
        .await,
        "amount",
    );
    assert_field_error(
        &api.post(
            AFF,
            "/transactions",
            json!({"customer": {"key": "c"}, "amount": 1, "action": 3}),
        )
        .await,
        "action",
    );
    let answer = api
        .post(
            AFF,
            "/transactions",
            json!({"customer": {"key": "ghost"}, "amount": 5}),
        )
        .await;
    assert_field_error(&answer, "customer");
    assert!(api.sandbox.state().transactions(AFF).is_empty());
    assert_error(&api.get(AFF, "/transactions/none").await, 404);
}

#[tokio::test]
async fn create_customer_option_creates_and_attributes() {
    let api = Api::start().await;
    api.partner("p", "p@example.com").await;
    let (status, body) = api
        .post(
            AFF,
            "/transactions",
            json!({"customer": {"key": "new-c", "email": "n@example.com", "partner": {"key": "p"}},
                   "key": "t1", "amount": 50, "options": {"create_customer": true}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["rewards"][0]["amount"], json!(10));
    let state = api.sandbox.state();
    let customer = state.customer(AFF, "new-c").expect("created");
    assert_eq!(customer.email.as_deref(), Some("n@example.com"));
    assert_eq!(state.balance(AFF, "p"), Some(dec("10")));

    // Created without a partner: stored, no reward.
    let (status, body) = api
        .post(
            AFF,
            "/transactions",
            json!({"customer": {"key": "bare"}, "amount": 5, "options": {"create_customer": true}}),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(body["data"]["rewards"], json!([]));
    assert!(api.sandbox.state().customer(AFF, "bare").is_some());
    // With an unknown partner: 400, nothing stored.
    let answer = api
        .post(
            AFF,
            "/transactions",
            json!({"customer": {"key": "x", "partner": {"key": "nope"}}, "amount": 5, "options": {"create_customer": true}}),
        )
        .await;
    assert_error(&answer, 400);
    assert!(api.sandbox.state().customer(AFF, "x").is_none());
}

#[tokio::test]
async fn unattributed_customer_transactions_have_no_rewards() {
    let api = Api::start().await;
    let p = api.referred_customer("p", "p@example.com", "c1").await;
    // The partner is deleted: the customer keeps its attribution but nobody is paid.
    api.delete(
        AFF,
        &format!("/partners/{}", p["id"].as_str().unwrap_or_default()),
    )
    .await;
    let (status, body) = api
        .post(
            AFF,
            "/transactions",
            json!({"customer": {"key": "c1"}, "amount": 5}),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(body["data"]["rewards"], json!([]));
}

#[tokio::test]
async fn commission_follows_the_configured_rule() {
    let config = partnero_sandbox::SandboxConfig::new().commission_percent(dec("30"));
    let api = Api::start_with(config).await;
    api.referred_customer("p", "p@example.com", "c1").await;
    let (_, body) = api
        .post(
            AFF,
            "/transactions",
            json!({"customer": {"key": "c1"}, "amount": 99.99}),
        )
        .await;
    assert_eq!(body["data"]["rewards"][0]["amount"], json!(29.997));
}

#[tokio::test]
async fn referral_urls_are_limited_to_255_characters_like_every_string() {
    let api = Api::start().await;
    api.partner("p", "p@example.com").await;
    let url = |len: usize| format!("https://s.example/?{}", "u".repeat(len - 19));
    let body = |key: &str, len: usize| json!({"key": key, "partner": {"key": "p"}, "options": {"referral_url": url(len)}});
    let answer = api.post(AFF, "/customers", body("long", 256)).await;
    assert_field_error(&answer, "options.referral_url");
    assert!(api.sandbox.state().customer(AFF, "long").is_none());
    assert_eq!(api.post(AFF, "/customers", body("fits", 255)).await.0, 201);
    let state = api.sandbox.state();
    let stored = state.customer(AFF, "fits").unwrap();
    assert_eq!(stored.referral_url.as_deref().map(str::len), Some(255));
}
