//! Webhook delivery: signed POSTs to local receivers after each state change, retries, the
//! delivery log, and faults scoped to deliveries.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::{Hmac, Mac};
use partnero_sandbox::DeliveryState;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::common::{AFF, Api};

pub(crate) const SETTLE: Duration = Duration::from_secs(30);

/// What a receiver got: (Signature header, raw body).
pub(crate) type Received = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A receiver on 127.0.0.1 that answers `statuses` in turn (then 200) and records everything.
pub(crate) async fn receiver(statuses: Vec<u16>) -> (String, Received) {
    let got: Received = Arc::default();
    let plan = Arc::new(Mutex::new(statuses.into_iter()));
    let app = Router::new()
        .route(
            "/hook",
            post(
                |State((got, plan)): State<(Received, Arc<Mutex<std::vec::IntoIter<u16>>>)>,
                 headers: HeaderMap,
                 body: Bytes| async move {
                    let sig = headers
                        .get("signature")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    got.lock().unwrap().push((sig, body.to_vec()));
                    let status = plan.lock().unwrap().next().unwrap_or(200);
                    StatusCode::from_u16(status).unwrap()
                },
            ),
        )
        .with_state((Arc::clone(&got), plan));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

pub(crate) fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Registers an affiliate webhook for `events` at `url`; returns (key, secret).
async fn register(api: &Api, url: &str, events: &[&str]) -> (String, String) {
    register_on(api, AFF, url, events).await
}

/// Registers a webhook of the program `api_key` for `events` at `url`; returns (key, secret).
pub(crate) async fn register_on(
    api: &Api,
    api_key: &str,
    url: &str,
    events: &[&str],
) -> (String, String) {
    let (status, body) = api
        .post(
            api_key,
            "/webhooks",
            json!({"name": "t", "url": url, "events": events}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    (
        body["data"]["key"].as_str().unwrap().to_owned(),
        body["data"]["signature"].as_str().unwrap().to_owned(),
    )
}

pub(crate) fn events(got: &Received) -> Vec<Value> {
    got.lock()
        .unwrap()
        .iter()
        .map(|(_, body)| serde_json::from_slice(body).unwrap())
        .collect()
}

#[tokio::test]
async fn state_changes_are_delivered_signed_to_subscribed_webhooks() {
    let api = Api::start().await;
    let (url, got) = receiver(vec![]).await;
    let (key, secret) = register(
        &api,
        &url,
        &[
            "customer.created",
            "transaction.created",
            "transaction.deleted",
        ],
    )
    .await;
    api.referred_customer("pat", "pat@example.com", "cust-1")
        .await;
    let sale = json!({"customer": {"key": "cust-1"}, "key": "order-1", "amount": 100});
    assert_eq!(api.post(AFF, "/transactions", sale).await.0, 201);
    assert_eq!(api.delete(AFF, "/transactions/order-1").await.0, 200);
    api.sandbox.webhooks_settled(SETTLE).await;

    for (sig, body) in got.lock().unwrap().iter() {
        assert_eq!(sig, &hmac_hex(&secret, body), "signed over the raw body");
    }
    let events = events(&got);
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    // partner.created and reward.created are not subscribed to.
    assert_eq!(
        names,
        [
            "customer.created",
            "transaction.created",
            "transaction.deleted"
        ]
    );
    assert_eq!(events[0]["data"]["key"], "cust-1");
    assert_eq!(events[1]["data"]["key"], "order-1");
    assert_eq!(events[1]["data"]["rewards"][0]["amount"], 20.0);
    assert_eq!(events[2]["data"]["key"], "order-1");
    assert_eq!(events[1]["webhook_key"], key.as_str());
    assert_eq!(events[1]["url"], url.as_str());
    assert!(events[1]["created_at"].as_str().unwrap().ends_with('Z'));

    let records = api.sandbox.webhook_deliveries();
    assert_eq!(records.len(), 3);
    assert!(records.iter().all(|r| r.state == DeliveryState::Delivered));
    let (status, listed) = api
        .admin_get("/webhook_deliveries?event=transaction.created")
        .await;
    assert_eq!(status, 200);
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert_eq!(listed["data"][0]["state"], "delivered");
}

#[tokio::test]
async fn a_failing_receiver_is_retried_a_bounded_number_of_times() {
    let api = Api::start().await;
    let (url, got) = receiver(vec![500, 503]).await;
    register(&api, &url, &["partner.created"]).await;
    let partner = api.partner("p1", "p1@example.com").await;
    api.sandbox.webhooks_settled(SETTLE).await;
    let records = api.sandbox.webhook_deliveries();
    assert_eq!(records[0].state, DeliveryState::Delivered);
    let statuses: Vec<_> = records[0].attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [Some(500), Some(503), Some(200)]);
    assert_eq!(
        got.lock().unwrap().len(),
        3,
        "the same delivery three times"
    );

    let (url, got) = receiver(vec![500; 20]).await;
    register(&api, &url, &["partner.updated"]).await;
    let (status, _) = api
        .put(
            AFF,
            &format!("/partners/{}", partner["id"].as_str().unwrap()),
            json!({"name": "Renamed"}),
        )
        .await;
    assert_eq!(status, 200);
    api.sandbox.webhooks_settled(SETTLE).await;
    let record = api
        .sandbox
        .webhook_deliveries()
        .into_iter()
        .find(|r| r.event == "partner.updated")
        .unwrap();
    assert_eq!(record.state, DeliveryState::Failed);
    assert_eq!(record.attempts.len(), 5, "bounded");
    assert_eq!(got.lock().unwrap().len(), 5);
}

#[tokio::test]
async fn delivery_faults_drop_fail_and_duplicate_without_touching_the_api() {
    let api = Api::start().await;
    let (url, got) = receiver(vec![]).await;
    register(&api, &url, &["partner.created"]).await;
    let faults = api.sandbox.faults();
    // An unscoped API fault is not a delivery fault; it fails the next API request only.
    faults.on_webhooks("partner.").drop_next(1);
    api.partner("p1", "p1@example.com").await;
    api.sandbox.webhooks_settled(SETTLE).await;
    assert!(got.lock().unwrap().is_empty(), "dropped: never sent");

    faults.on_webhooks("partner.created").fail_next(2, 500);
    api.partner("p2", "p2@example.com").await;
    api.sandbox.webhooks_settled(SETTLE).await;
    assert_eq!(
        got.lock().unwrap().len(),
        1,
        "two failed attempts, then sent"
    );

    faults.on_webhooks("").process_then_fail_next(1, 500);
    api.partner("p3", "p3@example.com").await;
    api.sandbox.webhooks_settled(SETTLE).await;
    let bodies: Vec<_> = got.lock().unwrap()[1..].to_vec();
    assert_eq!(bodies.len(), 2, "sent, counted failed, sent again");
    assert_eq!(bodies[0], bodies[1], "a duplicate has the same bytes");

    let (status, _) = api
        .admin_post(
            "/faults",
            json!({"kind": "drop", "method": "WEBHOOK", "path": "partner."}),
        )
        .await;
    assert_eq!(status, 200);
    api.partner("p4", "p4@example.com").await;
    api.sandbox.webhooks_settled(SETTLE).await;
    let states: Vec<_> = api
        .sandbox
        .webhook_deliveries()
        .iter()
        .map(|r| r.state)
        .collect();
    assert_eq!(
        states,
        [
            DeliveryState::Dropped,
            DeliveryState::Delivered,
            DeliveryState::Delivered,
            DeliveryState::Dropped
        ]
    );
    assert_eq!(faults.pending(), 0);
}

/// A receiver on 127.0.0.1 that answers 200 and records when each delivery arrived.
async fn timed_receiver() -> (String, Arc<Mutex<Vec<Instant>>>) {
    let got: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let app = Router::new()
        .route(
            "/hook",
            post(|State(got): State<Arc<Mutex<Vec<Instant>>>>| async move {
                got.lock().unwrap().push(Instant::now());
                StatusCode::OK
            }),
        )
        .with_state(Arc::clone(&got));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

/// The delay faults on deliveries (`process_slowly` once, `latency` until reset): the delivery
/// is sent once, no sooner than the delay after the change, and is logged as delivered.
#[tokio::test]
async fn a_delayed_delivery_arrives_once_after_the_delay_and_is_delivered() {
    const DELAY_MS: u64 = 400;
    const DELAY: Duration = Duration::from_millis(DELAY_MS);
    let api = Api::start().await;
    let (url, got) = timed_receiver().await;
    register(&api, &url, &["partner.created"]).await;
    let faults = api.sandbox.faults();

    // One delivery delayed (from the library), then one under a latency (over HTTP).
    faults
        .on_webhooks("partner.created")
        .process_slowly_next(1, DELAY);
    let before_p1 = Instant::now();
    api.partner("p1", "p1@example.com").await;
    api.sandbox.webhooks_settled(SETTLE).await;

    let (status, body) = api
        .admin_post(
            "/faults",
            json!({"kind": "latency", "ms": DELAY_MS, "method": "WEBHOOK", "path": "partner."}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let before_p2 = Instant::now();
    api.partner("p2", "p2@example.com").await;
    api.sandbox.webhooks_settled(SETTLE).await;
    faults.reset();

    let arrivals = got.lock().unwrap().clone();
    assert_eq!(arrivals.len(), 2, "each delayed delivery sent once");
    // Lower bounds only: each change happened after its `before_*`.
    assert!(
        arrivals[0] - before_p1 >= DELAY,
        "process_slowly: arrived {:?} after the request began",
        arrivals[0] - before_p1
    );
    assert!(
        arrivals[1] - before_p2 >= DELAY,
        "latency: arrived {:?} after the request began",
        arrivals[1] - before_p2
    );

    let (status, listed) = api
        .admin_get("/webhook_deliveries?event=partner.created")
        .await;
    assert_eq!(status, 200, "{listed}");
    let records = listed["data"].as_array().unwrap();
    assert_eq!(records.len(), 2, "{listed}");
    for (record, key) in records.iter().zip(["p1", "p2"]) {
        assert_eq!(record["state"], "delivered", "{record}");
        let attempts = record["attempts"].as_array().unwrap();
        assert_eq!(attempts.len(), 1, "one attempt, not retried: {record}");
        assert_eq!(attempts[0]["status"], 200, "{record}");
        assert_eq!(attempts[0]["sent"], true, "{record}");
        let body: Value = serde_json::from_str(record["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["data"]["key"], key, "{record}");
    }
    assert_eq!(faults.pending(), 0);
}

#[tokio::test]
async fn only_local_urls_are_called_and_inactive_webhooks_get_nothing() {
    let api = Api::start().await;
    register(&api, "https://partnero.example/hook", &["partner.created"]).await;
    let (url, got) = receiver(vec![]).await;
    let (key, _) = register(&api, &url, &["partner.created"]).await;
    let (status, _) = api
        .put(
            AFF,
            &format!("/webhooks/{key}"),
            json!({"is_active": false}),
        )
        .await;
    assert_eq!(status, 200);
    api.partner("p1", "p1@example.com").await;
    api.sandbox.webhooks_settled(SETTLE).await;
    let records = api.sandbox.webhook_deliveries();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].state, DeliveryState::Refused);
    assert!(got.lock().unwrap().is_empty());
}

#[tokio::test]
async fn processed_then_failed_requests_still_deliver_and_nothing_predates_the_webhook() {
    let api = Api::start().await;
    api.referred_customer("pat", "pat@example.com", "cust-1")
        .await;
    let (url, got) = receiver(vec![]).await;
    register(
        &api,
        &url,
        &["transaction.created", "customer.created", "partner.created"],
    )
    .await;
    api.sandbox
        .faults()
        .on("POST", "/v1/transactions")
        .process_then_fail_next(1, 502);
    let sale = json!({"customer": {"key": "cust-1"}, "key": "order-9", "amount": 10});
    assert_eq!(api.post(AFF, "/transactions", sale).await.0, 502);
    api.sandbox.webhooks_settled(SETTLE).await;
    let events = events(&got);
    assert_eq!(
        events.len(),
        1,
        "only what changed after the webhook existed: {events:?}"
    );
    assert_eq!(events[0]["event"], "transaction.created");
    assert_eq!(events[0]["data"]["key"], "order-9");
}

/// Every kind of change the feed reports, with its `data`: refer-a-friend rewards and credits,
/// updates, archives, deletions.
#[tokio::test]
async fn each_kind_of_change_is_its_own_event() {
    use crate::common::RAF;

    let api = Api::start().await;
    let (url, got) = receiver(vec![]).await;
    let all = [
        "customer.created",
        "customer.updated",
        "customer.deleted",
        "customer.credited",
        "customer.rewarded",
        "transaction.created",
        "transaction.updated",
        "transaction.deleted",
        "reward.created",
    ];
    let (status, body) = api
        .post(
            RAF,
            "/webhooks",
            json!({"name": "all", "url": url, "events": all}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let secret = body["data"]["signature"].as_str().unwrap().to_owned();

    let post = |path: &'static str, body: Value| api.post(RAF, path, body);
    assert_eq!(post("/customers", json!({"key": "ann"})).await.0, 201);
    let friend = json!({"key": "bob", "referring_customer": {"key": "ann"}});
    assert_eq!(post("/customers", friend).await.0, 201);
    let sale = json!({"customer": {"key": "bob"}, "key": "t1", "amount": 50});
    assert_eq!(post("/transactions", sale).await.0, 201);
    let credit = json!({"amount": 5, "amount_units": "usd", "is_currency": true});
    assert_eq!(post("/customers/ann/balance/credit", credit).await.0, 200);
    assert_eq!(api.post_empty(RAF, "/transactions/t1/archive").await.0, 200);
    assert_eq!(api.delete(RAF, "/transactions/t1").await.0, 200);
    let rename = json!({"update": {"name": "Bob B."}});
    assert_eq!(api.put(RAF, "/customers/bob", rename).await.0, 200);
    assert_eq!(api.delete(RAF, "/customers/bob").await.0, 200);
    api.sandbox.webhooks_settled(SETTLE).await;

    let mut seen: Vec<(String, String)> = got
        .lock()
        .unwrap()
        .iter()
        .map(|(sig, body)| {
            assert_eq!(sig, &hmac_hex(&secret, body));
            let v: Value = serde_json::from_slice(body).unwrap();
            let key = v["data"]["key"]
                .as_str()
                .or(v["data"]["customer"]["key"].as_str())
                .unwrap_or_default()
                .to_owned();
            (v["event"].as_str().unwrap().to_owned(), key)
        })
        .collect();
    seen.sort();
    let mut want: Vec<(String, String)> = [
        ("customer.created", "ann"),
        ("customer.created", "bob"),
        ("transaction.created", "t1"),
        // The referrer's reward: the commission, and ann's balance.
        ("reward.created", "ann"),
        ("customer.rewarded", "ann"),
        ("customer.credited", "ann"),
        ("transaction.updated", "t1"),
        ("transaction.deleted", "t1"),
        // The reversed reward changes ann's balance again: an update.
        ("customer.updated", "ann"),
        ("customer.updated", "bob"),
        ("customer.deleted", "bob"),
    ]
    .iter()
    .map(|(e, k)| (e.to_string(), k.to_string()))
    .collect();
    want.sort();
    assert_eq!(seen, want);
}

/// A delivery still being retried when the state is reset never writes into a newer record
/// (record ids are never reused).
#[tokio::test]
async fn a_delivery_running_across_a_reset_never_writes_into_a_newer_record() {
    let api = Api::start().await;
    let (url, _got) = receiver(vec![500, 500]).await;
    register(&api, &url, &["customer.created"]).await;
    api.referred_customer("pat", "pat@example.com", "before-reset")
        .await;
    let old_id = api.sandbox.webhook_deliveries()[0].id;
    api.sandbox.reset_state();
    let (url, _got) = receiver(vec![]).await;
    register(&api, &url, &["customer.created"]).await;
    api.referred_customer("pat", "pat@example.com", "after-reset")
        .await;
    api.sandbox.webhooks_settled(SETTLE).await;
    let records = api.sandbox.webhook_deliveries();
    assert_eq!(records.len(), 1, "{records:?}");
    assert!(records[0].id > old_id, "{records:?}");
    assert!(records[0].body.contains("after-reset"));
    assert_eq!(
        records[0].attempts.len(),
        1,
        "its own attempt only: {records:?}"
    );
    assert_eq!(records[0].state, DeliveryState::Delivered);
}
