//! The request examples of Partnero's own integration guides (`shared/seeds/`)
//! behave as the guides describe.

use crate::common::{AFF, Api, RAF};
use partnero_sandbox::SandboxConfig;
use rust_decimal::Decimal;
use serde_json::json;

fn dec(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

/// Seed 000: affiliate integration (sign-up with `partner.key`, sale, refund, customer delete).
#[tokio::test]
async fn seed_000_affiliate_integration() {
    let api = Api::start_with(SandboxConfig::new().seed_demo(true)).await;
    // Sign-up with the partner key from the `partnero_partner` cookie.
    let (status, body) = api
        .post(AFF, "/customers", json!({"partner": {"key": "demo-partner"}, "key": "CUSTOMER_KEY", "email": "", "name": "Partnero"}))
        .await;
    // `"email": ""` reads as "no e-mail" (Laravel turns empty strings into null).
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["email"], json!(null));
    assert_eq!(body["data"]["partner"]["key"], "demo-partner");
    assert_eq!(body["data"]["key"], "CUSTOMER_KEY");
    assert_eq!(body["data"]["name"], "Partnero");
    assert_eq!(body["status"], 1);
    assert_documented_timestamp(&body["data"]["created_at"]);
    // "Partnero will ignore the data payload that doesn't contain partner.key."
    let (status, body) = api
        .post(
            AFF,
            "/customers",
            json!({"key": "unreferred", "name": "Nobody"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], 1);
    assert!(api.sandbox.state().customer(AFF, "unreferred").is_none());

    // Sale.
    let (status, body) = api
        .post(
            AFF,
            "/transactions",
            json!({"customer": {"key": "CUSTOMER_KEY"}, "key": "transaction_123", "amount": 99.99,
                   "product_id": "prod_123", "product_type": "monthly", "action": "sale"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["rewards"][0]["amount"], json!(19.998));
    assert_eq!(
        api.sandbox.state().balance(AFF, "demo-partner"),
        Some(dec("19.998"))
    );
    // A sale for a customer Partnero does not know is not recorded.
    let (status, _) = api
        .post(
            AFF,
            "/transactions",
            json!({"customer": {"key": "unreferred"}, "amount": 5, "action": "sale"}),
        )
        .await;
    assert_eq!(status, 422);

    // Refund: the guide's transaction delete names the transaction in the body.
    let (status, body) = api
        .delete_with(AFF, "/transactions", json!({"key": "transaction_123"}))
        .await;
    assert_eq!((status, body), (200, json!({"status": 1})));
    assert_eq!(
        api.sandbox.state().balance(AFF, "demo-partner"),
        Some(dec("0"))
    );
    // Deleted: a second delete finds nothing.
    let (status, body) = api
        .delete_with(AFF, "/transactions", json!({"key": "transaction_123"}))
        .await;
    assert_eq!((status, body["status"].clone()), (404, json!(0)));
    // Delete the customer, again by a body key.
    let (status, body) = api
        .delete_with(AFF, "/customers", json!({"key": "CUSTOMER_KEY"}))
        .await;
    assert_eq!((status, body), (200, json!({"status": 1})));
    assert!(api.sandbox.state().customers(AFF).is_empty());
}

/// The path forms of seed 000's deletes (`DELETE /transactions/{key}`, `/customers/{key}`),
/// which the API reference documents next to the body forms, do the same.
#[tokio::test]
async fn seed_000_path_form_deletes() {
    let api = Api::start_with(SandboxConfig::new().seed_demo(true)).await;
    api.post(
        AFF,
        "/customers",
        json!({"partner": {"key": "demo-partner"}, "key": "c1"}),
    )
    .await;
    let (status, _) = api
        .post(
            AFF,
            "/transactions",
            json!({"customer": {"key": "c1"}, "key": "t1", "amount": 10, "action": "sale"}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, body) = api.delete(AFF, "/transactions/t1").await;
    assert_eq!((status, body), (200, json!({"status": 1})));
    assert_eq!(
        api.sandbox.state().balance(AFF, "demo-partner"),
        Some(dec("0"))
    );
    let (status, body) = api.delete(AFF, "/customers/c1").await;
    assert_eq!((status, body), (200, json!({"status": 1})));
    // A body delete without a key is a 422 on `key`, not a 405.
    let answer = api.delete_with(AFF, "/transactions", json!({})).await;
    assert_eq!(answer.0, 422, "{}", answer.1);
    assert!(answer.1["errors"]["key"].is_array(), "{}", answer.1);
}

/// Every timestamp in Partnero's examples is a whole second: `2025-05-09T17:42:13.000000Z`.
fn assert_documented_timestamp(value: &serde_json::Value) {
    let s = value.as_str().unwrap_or_default();
    let shape = s.len() == 27 && s.as_bytes()[10] == b'T' && s.ends_with(".000000Z");
    assert!(
        shape,
        "timestamp {value} is not shaped like 2025-05-09T17:42:13.000000Z"
    );
}

/// Seed 001: refer-a-friend integration, every curl example in the guide's order: Bob's
/// referred sign-up, Alice's unreferred one (whose answer the guide shows), Bob's sale and
/// batch, Alice's dashboard calls, and the credit to Alice's balance.
#[tokio::test]
async fn seed_001_refer_a_friend_integration() {
    // The guide's `REFERRAL_KEY_FROM_COOKIE` is an existing customer's key: the seeded
    // `demo-referrer` (an unknown referrer is refused, see the README).
    let api = Api::start_with(SandboxConfig::new().seed_demo(true)).await;
    let referrer = "demo-referrer";

    // Step 2, first curl: Bob signs up with the `partnero_referral` cookie.
    let (status, bob) = api
        .post(
            RAF,
            "/customers",
            json!({"referring_customer": {"key": referrer}, "key": "customer_456", "email": "bob@example.com", "name": "Bob"}),
        )
        .await;
    assert_eq!(status, 201, "{bob}");
    assert_eq!(bob["status"], 1);
    assert_eq!(bob["data"]["name"], "Bob");
    assert_eq!(bob["data"]["referring_customer"]["key"], referrer, "{bob}");
    assert_eq!(
        api.sandbox.state().referrer_of(RAF, "customer_456"),
        Some(referrer)
    );
    assert!(
        bob["data"]["referral_link"]
            .as_str()
            .is_some_and(|l| l.ends_with("?ref=customer_456")),
        "{bob}"
    );

    // Step 2, second curl: Alice signs up without the cookie; the guide shows this answer.
    let (status, alice) = api
        .post(
            RAF,
            "/customers",
            json!({"key": "customer_123", "email": "alice@example.com", "name": "Alice"}),
        )
        .await;
    assert_eq!(status, 201, "{alice}");
    // The documented response shape.
    for field in [
        "id",
        "email",
        "name",
        "surname",
        "status",
        "approved",
        "referring_customer",
        "referrals_count",
        "referral_link",
        "referral_links",
        "metadata",
        "created_at",
        "updated_at",
    ] {
        assert!(
            alice["data"].get(field).is_some(),
            "missing {field}: {alice}"
        );
    }
    assert_eq!(alice["status"], 1);
    // The values the guide's response shows for Alice.
    let data = &alice["data"];
    assert_eq!(data["id"], "customer_123");
    assert_eq!(data["email"], "alice@example.com");
    assert_eq!(data["name"], "Alice");
    assert_eq!(data["surname"], json!(null));
    assert_eq!(data["status"], "active");
    assert_eq!(data["approved"], true);
    assert_eq!(data["referring_customer"], json!(null));
    assert_eq!(data["referrals_count"], 0);
    assert_eq!(data["metadata"], json!({"date_of_birth": null}));
    assert!(
        data["referral_link"]
            .as_str()
            .is_some_and(|l| l.ends_with("?ref=customer_123")),
        "{data}"
    );
    assert_eq!(data["referral_links"], json!([data["referral_link"]]));
    assert_documented_timestamp(&data["created_at"]);
    assert_documented_timestamp(&data["updated_at"]);

    // Step 3: Bob's sale rewards his referrer.
    let (status, sale) = api
        .post(RAF, "/transactions", json!({"customer": {"key": "customer_456"}, "key": "invoice_123", "amount": 100, "action": "sale"}))
        .await;
    assert_eq!(status, 201, "{sale}");
    assert_eq!(sale["status"], 1);
    assert_eq!(sale["data"]["key"], "invoice_123");
    assert_eq!(sale["data"]["amount"], json!(100));
    assert_eq!(sale["data"]["action"], "sale");
    assert_eq!(
        sale["data"]["rewards"][0]["customer"]["key"], referrer,
        "{sale}"
    );
    assert_documented_timestamp(&sale["data"]["created_at"]);
    // Step 3, multiple transactions.
    let (status, batch) = api
        .post(
            RAF,
            "/transactions",
            json!({"customer": {"key": "customer_456"}, "transactions": [
                {"key": "invoice_123", "amount": 100, "action": "sale"},
                {"key": "invoice_456", "amount": 200, "action": "sale"}
            ]}),
        )
        .await;
    assert_eq!(status, 201, "{batch}");
    assert_eq!(batch["data"].as_array().map(Vec::len), Some(2));
    // invoice_123 was sent twice: Partnero records it twice (and so does the sandbox).
    assert_eq!(
        api.sandbox
            .state()
            .transactions_with_key(RAF, "invoice_123")
            .len(),
        2
    );
    // 20% of 100 + 100 + 200, all to Bob's referrer; Alice referred nobody.
    assert_eq!(api.sandbox.state().balance(RAF, referrer), Some(dec("80")));

    // Step 4: Alice's details, stats, balance and referred friends.
    let (status, got) = api.get(RAF, "/customers/customer_123").await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["data"]["id"], "customer_123");
    // "Use the referral_link from the response to display a "Share your link" section".
    assert_eq!(got["data"]["referral_link"], alice["data"]["referral_link"]);
    assert_eq!(got["data"]["referrals_count"], 0);
    let (status, stats) = api.get(RAF, "/customers/customer_123/stats").await;
    assert_eq!(status, 200, "{stats}");
    // "Returns click counts, referral counts, and social sharing links."
    assert!(stats["data"]["clicks"].is_number(), "{stats}");
    assert_eq!(stats["data"]["referrals"], 0, "{stats}");
    assert!(stats["data"]["share_links"].is_object(), "{stats}");
    let (status, balance) = api.get(RAF, "/customers/customer_123/balance").await;
    assert_eq!(status, 200, "{balance}");
    // "Returns the customer's accumulated rewards": none yet.
    assert_eq!(
        balance["data"]["balance"]["currency"],
        json!([]),
        "{balance}"
    );
    let (status, referrals) = api.get(RAF, "/customers/customer_123/referrals").await;
    assert_eq!(status, 200, "{referrals}");
    // "Returns a list of customers who signed up via this customer's referral link": nobody.
    assert_eq!(referrals["data"], json!([]), "{referrals}");
    assert!(referrals["links"].is_object() && referrals["meta"].is_object());

    // Step 5: credit Alice's balance manually.
    let (status, credited) = api
        .post(
            RAF,
            "/customers/customer_123/balance/credit",
            json!({"amount": 10, "is_currency": true, "amount_units": "usd"}),
        )
        .await;
    assert_eq!(status, 200, "{credited}");
    assert_eq!(
        credited["data"]["balance"]["currency"][0],
        json!({"amount": 10, "amount_units": "usd", "is_currency": true})
    );
    assert_eq!(
        api.sandbox.state().balance(RAF, "customer_123"),
        Some(dec("10"))
    );
}

/// Seed 002: REST API introduction (Bearer auth, envelope, pagination, error shape).
#[tokio::test]
async fn seed_002_api_introduction() {
    let api = Api::start_with(SandboxConfig::new().seed_demo(true)).await;
    // The guide's paginated answer has a next page: more than 15 partners (the seeded one and
    // 15 more).
    for n in 1..=15 {
        api.partner(&format!("p{n}"), &format!("p{n}@example.com"))
            .await;
    }
    // "Test your connection by listing partners".
    let (status, body) = api.get(AFF, "/partners").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], 1);
    assert_eq!(body["data"][0]["key"], "demo-partner");
    assert_eq!(body["data"].as_array().map(Vec::len), Some(15), "{body}");
    // The values the guide's example shows (`limit` defaults to 15, `page` to 1).
    let path = api.url("/partners");
    let meta = &body["meta"];
    assert_eq!(meta["current_page"], 1, "{body}");
    assert_eq!(meta["from"], 1, "{body}");
    assert_eq!(meta["path"], path.as_str(), "{body}");
    assert_eq!(meta["per_page"], 15, "{body}");
    assert_eq!(meta["to"], 15, "{body}");
    let links = &body["links"];
    // The guide shows `?page=1` and `?page=2`; the sandbox's links also carry `&limit=15`.
    let first = links["first"].as_str().unwrap_or_default();
    assert!(first.starts_with(&format!("{path}?page=1")), "{body}");
    assert_eq!(links["last"], json!(null), "{body}");
    assert_eq!(links["prev"], json!(null), "{body}");
    let next = links["next"].as_str().unwrap_or_default();
    assert!(next.starts_with(&format!("{path}?page=2")), "{body}");
    // The documented error shape.
    let (status, body) = api
        .post(AFF, "/partners", json!({"name": "no email"}))
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["message"], "The given data was invalid.");
    assert_eq!(
        body["errors"]["email"],
        json!(["The email field is required."])
    );
    assert_eq!(body["status"], 0);
}

/// Seed 003: server-to-server tracking; the PHP example sends `partner.key: null`
/// when no key was captured, and Python sends `{"key": None}` too.
#[tokio::test]
async fn seed_003_server_to_server() {
    let api = Api::start_with(SandboxConfig::new().seed_demo(true)).await;
    let (status, body) = api
        .post(
            AFF,
            "/customers",
            json!({"partner": {"key": "demo-partner"}, "key": "customer_123", "email": "john@example.com",
                   "name": "John", "surname": "Doe",
                   "options": {"referral_url": "https://yoursite.com/pricing?aff=demo-partner"}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        api.sandbox
            .state()
            .customer(AFF, "customer_123")
            .and_then(|c| c.referral_url.clone())
            .as_deref(),
        Some("https://yoursite.com/pricing?aff=demo-partner")
    );
    let (status, _) = api
        .post(AFF, "/customers", json!({"partner": {"key": null}, "key": "u2", "email": "u2@example.com", "name": "A", "surname": "B"}))
        .await;
    assert_eq!(status, 200);
    assert!(api.sandbox.state().customer(AFF, "u2").is_none());

    let (status, body) = api
        .post(RAF, "/customers", json!({"referring_customer": {"key": "demo-referrer"}, "key": "customer_456", "email": "alex@example.com", "name": "Alex"}))
        .await;
    assert_eq!(status, 201, "{body}");
    // "The response includes referral_link so you can show the new customer their share URL."
    assert!(
        body["data"]["referral_link"]
            .as_str()
            .is_some_and(|l| l.ends_with("?ref=customer_456")),
        "{body}"
    );
    assert_eq!(
        api.sandbox.state().referrer_of(RAF, "customer_456"),
        Some("demo-referrer")
    );

    let (status, body) = api
        .post(AFF, "/transactions", json!({"customer": {"key": "customer_123"}, "key": "invoice_123", "amount": 99.99, "action": "sale"}))
        .await;
    assert_eq!(status, 201);
    assert_eq!(body["data"]["rewards"][0]["partner"]["key"], "demo-partner");
}

/// Seed 004 (FAQ 5): without a sign-up step, a customer can be created along with its transaction.
#[tokio::test]
async fn seed_004_purchase_only_sites() {
    let api = Api::start_with(SandboxConfig::new().seed_demo(true)).await;
    let (status, body) = api
        .post(
            AFF,
            "/transactions",
            json!({"customer": {"key": "buyer@example.com", "email": "buyer@example.com", "partner": {"key": "demo-partner"}},
                   "key": "order-1", "amount": 50, "action": "sale", "options": {"create_customer": true}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["rewards"][0]["partner"]["key"], "demo-partner");
    assert_eq!(
        api.sandbox.state().balance(AFF, "demo-partner"),
        Some(dec("10"))
    );
    let created = api.sandbox.state();
    let buyer = created
        .customer(AFF, "buyer@example.com")
        .expect("the customer is created with its sale");
    assert_eq!(buyer.email.as_deref(), Some("buyer@example.com"));
    assert_eq!(
        buyer.partner.as_ref().map(|p| p.key.as_str()),
        Some("demo-partner")
    );
    // The older API reference and the PHP SDK send the partner at the top level: it attributes
    // the new customer just the same.
    let (status, body) = api
        .post(
            AFF,
            "/transactions",
            json!({"customer": {"key": "buyer3", "email": "buyer3@example.com", "name": "Three"},
                   "partner": {"key": "demo-partner"},
                   "key": "order-3", "amount": 50, "action": "sale", "options": {"create_customer": true}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["rewards"][0]["partner"]["key"], "demo-partner");
    let state = api.sandbox.state();
    let buyer3 = state.customer(AFF, "buyer3").expect("created");
    assert_eq!(
        buyer3.partner.as_ref().map(|p| p.key.as_str()),
        Some("demo-partner")
    );
    assert_eq!(buyer3.name.as_deref(), Some("Three"));
    assert_eq!(state.balance(AFF, "demo-partner"), Some(dec("20")));
    // An unknown partner in either shape is refused, never an unattributed customer.
    let (status, _) = api
        .post(
            AFF,
            "/transactions",
            json!({"customer": {"key": "buyer4"}, "partner": {"key": "nobody"},
                   "key": "order-4", "amount": 50, "options": {"create_customer": true}}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(api.sandbox.state().customer(AFF, "buyer4").is_none());
    // Or the two calls the FAQ describes: customer create, then transaction create.
    api.post(
        AFF,
        "/customers",
        json!({"key": "buyer2", "partner": {"key": "demo-partner"}}),
    )
    .await;
    let (status, _) = api
        .post(
            AFF,
            "/transactions",
            json!({"customer": {"key": "buyer2"}, "amount": 50, "action": "sale"}),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(
        api.sandbox.state().balance(AFF, "demo-partner"),
        Some(dec("30"))
    );
}
