//! Request shapes (method, path, query, headers, body) and response decoding of every
//! endpoint, against a wiremock server on 127.0.0.1.

use std::str::FromStr;
use std::time::Duration;

use futures_util::StreamExt;
use partnero_client::{
    BalanceCredit, CustomerSearch, CustomerUpdate, ListParams, NewCustomer, NewPartner, NewWebhook,
    PartnerSearch, PartnerUpdate, Partnero, RetryPolicy, Sale, WebhookUpdate,
};
use rust_decimal::Decimal;
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{page_answer, wiremock_client};

const KEY: &str = "sk_test_secret";

fn client(server: &MockServer) -> Partnero {
    wiremock_client(
        server,
        KEY,
        RetryPolicy::default().base_delay(Duration::from_millis(5)),
    )
}

fn ok(data: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"data": data, "status": 1}))
}

fn done() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"status": 1}))
}

fn page(items: serde_json::Value) -> ResponseTemplate {
    page_answer(
        items,
        None,
        json!({"current_page": 1, "from": 1, "to": 1, "per_page": 15, "path": "x"}),
    )
}

#[tokio::test]
async fn sends_auth_accept_and_user_agent_headers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/test"))
        .and(header("authorization", "Bearer sk_test_secret"))
        .and(header("accept", "application/json"))
        .and(header(
            "user-agent",
            concat!("partnero-rs/", env!("CARGO_PKG_VERSION")),
        ))
        .respond_with(ok(
            json!({"program": {"pub_id": "PUB1", "name": "Shop", "type": "affiliate"}}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let check = client(&server).check_key().await.unwrap();
    let program = check.program.unwrap();
    assert_eq!(program.pub_id.as_deref(), Some("PUB1"));
    assert_eq!(program.kind.as_deref(), Some("affiliate"));
}

#[tokio::test]
async fn customer_create_sends_affiliate_and_refer_a_friend_fields() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/customers"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "key": "user-1",
            "id": "private-1",
            "email": "ada@example.com",
            "name": "Ada",
            "surname": "Lovelace",
            "tags": ["vip"],
            "partner": {"key": "demo-partner"},
            "referring_customer": {"key": "friend"},
            "metadata": {"date_of_birth": "1990-01-01"},
            "options": {"referral_url": "https://shop.example/?aff=demo-partner"}
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "data": {"key": "user-1", "email": "ada@example.com", "Status": "x",
                     "status": "Active", "partner": {"key": "demo-partner", "id": 7},
                     "referral_links": ["https://shop.example/?ref=user-1"],
                     "created_at": "2025-05-09T17:42:13.000000Z", "unknown": [1, 2]},
            "status": 1
        })))
        .expect(1)
        .mount(&server)
        .await;
    let customer = client(&server)
        .customers()
        .create(
            &NewCustomer::new("user-1")
                .id("private-1")
                .email("ada@example.com")
                .name("Ada")
                .surname("Lovelace")
                .tag("vip")
                .partner_key("demo-partner")
                .referring_customer_key("friend")
                .date_of_birth("1990-01-01")
                .referral_url("https://shop.example/?aff=demo-partner"),
        )
        .await
        .unwrap();
    assert_eq!(customer.key.as_deref(), Some("user-1"));
    assert!(customer.has_status("active"));
    assert_eq!(customer.partner.unwrap().id.as_deref(), Some("7"));
    assert_eq!(
        customer.referral_links[0].url.as_deref(),
        Some("https://shop.example/?ref=user-1")
    );
    assert_eq!(
        customer.created_at.as_deref(),
        Some("2025-05-09T17:42:13.000000Z")
    );
    assert!(customer.extra.contains_key("unknown"));
}

#[tokio::test]
async fn customer_reads_updates_and_deletes() {
    let server = MockServer::start().await;
    let c = client(&server);
    Mock::given(method("GET"))
        .and(path("/v1/customers/ada%40example.com"))
        .respond_with(ok(json!({"key": "ada@example.com"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/customers"))
        .and(query_param("page", "2"))
        .and(query_param("limit", "50"))
        .respond_with(page(json!([{"key": "a"}, {"key": "b"}])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/customers:search"))
        .and(query_param("partner.key", "demo-partner"))
        .and(query_param("email", "ada@example.com"))
        .respond_with(page(json!([{"key": "a"}])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/customers/a"))
        .and(body_json(
            json!({"update": {"email": "new@example.com", "tags": ["x"]}}),
        ))
        .respond_with(ok(json!({"key": "a", "email": "new@example.com"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/customers/a"))
        .respond_with(done())
        .expect(1)
        .mount(&server)
        .await;

    let got = c.customers().get("ada@example.com").await.unwrap();
    assert_eq!(got.key.as_deref(), Some("ada@example.com"));
    let listed = c
        .customers()
        .list(ListParams::new().page(2).limit(50))
        .await
        .unwrap();
    assert_eq!(listed.data.len(), 2);
    assert_eq!(listed.meta.per_page, Some(15));
    assert!(!listed.has_next());
    let found = c
        .customers()
        .search(
            &CustomerSearch::new()
                .partner_key("demo-partner")
                .email("ada@example.com"),
        )
        .await
        .unwrap();
    assert_eq!(found.data[0].key.as_deref(), Some("a"));
    let updated = c
        .customers()
        .update(
            "a",
            &CustomerUpdate::new().email("new@example.com").tags(["x"]),
        )
        .await
        .unwrap();
    assert_eq!(updated.email.as_deref(), Some("new@example.com"));
    c.customers().delete("a").await.unwrap();
}

#[tokio::test]
async fn customer_sub_resources() {
    let server = MockServer::start().await;
    let c = client(&server);
    Mock::given(method("GET"))
        .and(path("/v1/customers/a/transactions"))
        .and(query_param("limit", "5"))
        .respond_with(page(json!([{"key": "tx1", "amount": 10.5}])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/customers/a/referrals"))
        .respond_with(page(json!([{"key": "friend"}])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/customers/a/stats"))
        .respond_with(ok(
            json!({"clicks": 12, "referrals": "3", "share_links": []}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/customers/a/balance"))
        .respond_with(ok(json!({"balance": {"currency": [
            {"amount": 29.997, "amount_units": "usd", "is_currency": true}]}})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/customers/a/balance/credit"))
        .and(body_json(
            json!({"amount": 5.25, "amount_units": "usd", "is_currency": true}),
        ))
        .respond_with(ok(json!({"balance": {"currency": [
            {"amount": "35.247", "amount_units": "usd", "is_currency": 1}]}})))
        .expect(1)
        .mount(&server)
        .await;

    let txs = c
        .customers()
        .transactions("a", ListParams::new().limit(5))
        .await
        .unwrap();
    assert_eq!(txs.data[0].amount, Some(Decimal::from_str("10.5").unwrap()));
    let refs = c
        .customers()
        .referrals("a", ListParams::new())
        .await
        .unwrap();
    assert_eq!(refs.data[0].key.as_deref(), Some("friend"));
    let stats = c.customers().stats("a").await.unwrap();
    assert_eq!((stats.clicks, stats.referrals), (Some(12), Some(3)));
    assert!(stats.extra.contains_key("share_links"));
    let balance = c.customers().balance("a").await.unwrap();
    assert_eq!(balance.currency[0].amount.unwrap().to_string(), "29.997");
    let credited = c
        .customers()
        .credit_balance(
            "a",
            &BalanceCredit::new(Decimal::from_str("5.25").unwrap())
                .amount_units("usd")
                .is_currency(true),
        )
        .await
        .unwrap();
    assert_eq!(credited.currency[0].amount.unwrap().to_string(), "35.247");
    assert_eq!(credited.currency[0].is_currency, Some(true));
}

#[tokio::test]
async fn transaction_endpoints() {
    let server = MockServer::start().await;
    let c = client(&server);
    Mock::given(method("POST"))
        .and(path("/v1/transactions"))
        .and(body_json(json!({
            "customer": {"key": "user-1"},
            "key": "pay_1",
            "amount": 99.99,
            "action": "sale",
            "amount_units": "usd",
            "product_id": "p1",
            "product_type": "plan",
            "options": {"create_customer": true}
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "data": {"key": "pay_1", "amount": 99.99, "rewards": [{"amount": 29.997, "status": "APPROVED"}]},
            "status": 1
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/transactions"))
        .and(body_json(json!({
            "customer": {"key": "user-1"},
            "transactions": [{"key": "b1", "amount": 1.5}, {"key": "b2", "amount": 2.0, "action": "sale"}]
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "data": [{"key": "b1", "amount": 1.5}, {"key": "b2", "amount": 2}],
            "status": 1
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/transactions/pay_1"))
        .respond_with(ok(json!({"key": "pay_1", "archived": false})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/transactions"))
        .respond_with(page(json!([{"key": "pay_1"}])))
        .expect(1)
        .mount(&server)
        .await;
    for action in ["archive", "revoke-archive"] {
        Mock::given(method("POST"))
            .and(path(format!("/v1/transactions/pay_1/{action}")))
            .respond_with(done())
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("DELETE"))
        .and(path("/v1/transactions/pay_1"))
        .respond_with(done())
        .expect(1)
        .mount(&server)
        .await;

    let sale = Sale::new(Decimal::from_str("99.99").unwrap())
        .key("pay_1")
        .action("sale")
        .amount_units("usd")
        .product_id("p1")
        .product_type("plan")
        .create_customer(true);
    let tx = c.transactions().create("user-1", &sale).await.unwrap();
    assert_eq!(tx.rewards[0].amount.unwrap().to_string(), "29.997");
    let batch = c
        .transactions()
        .create_batch(
            "user-1",
            &[
                Sale::new(Decimal::from_str("1.5").unwrap()).key("b1"),
                Sale::new(Decimal::from(2)).key("b2").action("sale"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(batch.len(), 2);
    assert_eq!(
        c.transactions().get("pay_1").await.unwrap().archived,
        Some(false)
    );
    assert_eq!(
        c.transactions()
            .list(ListParams::new())
            .await
            .unwrap()
            .data
            .len(),
        1
    );
    c.transactions().archive("pay_1").await.unwrap();
    c.transactions().revoke_archive("pay_1").await.unwrap();
    c.transactions().delete("pay_1").await.unwrap();
}

#[tokio::test]
async fn partner_endpoints() {
    let server = MockServer::start().await;
    let c = client(&server);
    Mock::given(method("POST"))
        .and(path("/v1/partners"))
        .and(body_json(
            json!({"email": "pat@example.com", "name": "Pat", "key": "pat"}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(
            json!({"data": {"id": "p_1", "key": "pat", "email": "pat@example.com"}, "status": 1}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/partners/p_1"))
        .respond_with(ok(json!({"id": "p_1", "status": "ACTIVE"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/partners"))
        .and(query_param("limit", "10"))
        .respond_with(page(json!([{"id": "p_1"}])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/partners:search"))
        .and(query_param("email", "pat@example.com"))
        .respond_with(page(json!([{"id": "p_1"}])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/partners/p_1"))
        .and(body_json(json!({"update": {"name": "Patricia"}})))
        .respond_with(ok(json!({"id": "p_1", "name": "Patricia"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/partners/p_1"))
        .respond_with(done())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/partners/p_1/referral_links"))
        .respond_with(ok(
            json!([{"key": "pat", "url": "https://shop.example/?aff=pat", "is_default": true}]),
        ))
        .expect(1)
        .mount(&server)
        .await;

    let p = c
        .partners()
        .create(&NewPartner::new("pat@example.com").name("Pat").key("pat"))
        .await
        .unwrap();
    assert_eq!(p.id.as_deref(), Some("p_1"));
    assert!(c.partners().get("p_1").await.unwrap().has_status("active"));
    assert_eq!(
        c.partners()
            .list(ListParams::new().limit(10))
            .await
            .unwrap()
            .data
            .len(),
        1
    );
    assert_eq!(
        c.partners()
            .search(&PartnerSearch::new().email("pat@example.com"))
            .await
            .unwrap()
            .data
            .len(),
        1
    );
    let updated = c
        .partners()
        .update("p_1", &PartnerUpdate::new().name("Patricia"))
        .await
        .unwrap();
    assert_eq!(updated.name.as_deref(), Some("Patricia"));
    c.partners().delete("p_1").await.unwrap();
    let links = c.partners().referral_links("p_1").await.unwrap();
    assert_eq!(links[0].is_default, Some(true));
}

#[tokio::test]
async fn webhook_endpoints() {
    let server = MockServer::start().await;
    let c = client(&server);
    Mock::given(method("POST"))
        .and(path("/v1/webhooks"))
        .and(body_json(json!({
            "name": "orders", "url": "https://shop.example/hook",
            "events": ["transaction.created"], "is_active": true
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "data": {"key": "wh_1", "signature": "whsec_x", "events": ["transaction.created"], "is_active": 1},
            "status": 1
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/webhooks/wh_1"))
        .respond_with(ok(json!({"key": "wh_1"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/webhooks"))
        .respond_with(page(json!([{"key": "wh_1"}])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/webhooks/wh_1"))
        .and(body_json(json!({"is_active": false})))
        .respond_with(ok(json!({"key": "wh_1", "is_active": false})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/webhooks/wh_1"))
        .respond_with(done())
        .expect(1)
        .mount(&server)
        .await;

    let hook = c
        .webhooks()
        .create(
            &NewWebhook::new("orders", "https://shop.example/hook").event("transaction.created"),
        )
        .await
        .unwrap();
    assert_eq!(hook.signature.as_deref(), Some("whsec_x"));
    assert_eq!(hook.is_active, Some(true));
    assert_eq!(
        c.webhooks().get("wh_1").await.unwrap().key.as_deref(),
        Some("wh_1")
    );
    assert_eq!(
        c.webhooks()
            .list(ListParams::new())
            .await
            .unwrap()
            .data
            .len(),
        1
    );
    let updated = c
        .webhooks()
        .update("wh_1", &WebhookUpdate::new().active(false))
        .await
        .unwrap();
    assert_eq!(updated.is_active, Some(false));
    c.webhooks().delete("wh_1").await.unwrap();
}

#[tokio::test]
async fn user_supplied_segments_are_percent_encoded() {
    let server = MockServer::start().await;
    let c = client(&server);
    Mock::given(method("GET"))
        .and(path("/v1/customers/a%2F..%2F..%2Fpartners"))
        .respond_with(ok(json!({"key": "a/../../partners"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/transactions/x%3Fy%23z"))
        .respond_with(done())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/customers/a%20b%2Fc/stats"))
        .respond_with(ok(json!({"clicks": 1})))
        .expect(1)
        .mount(&server)
        .await;

    let got = c.customers().get("a/../../partners").await.unwrap();
    assert_eq!(got.key.as_deref(), Some("a/../../partners"));
    c.transactions().delete("x?y#z").await.unwrap();
    c.customers().stats("a b/c").await.unwrap();
    // Dot segments never reach the server.
    assert!(matches!(
        c.customers().get("..").await,
        Err(partnero_client::Error::InvalidInput(_))
    ));
    let mut stream = c.customers().stream_transactions("", ListParams::new());
    assert!(matches!(
        stream.next().await,
        Some(Err(partnero_client::Error::InvalidInput(_)))
    ));
    assert!(stream.next().await.is_none());
    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        requests.len(),
        3,
        "only the three well-formed requests were sent"
    );
}
