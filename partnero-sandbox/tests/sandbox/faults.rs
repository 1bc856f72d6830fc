//! Fault injection, from the library handle and over the admin HTTP routes.

use std::time::{Duration, Instant};

use crate::common::{AFF, Api, assert_error, client, header};
use reqwest::Method;
use serde_json::json;

/// A latency no request can sit out: `client()` gives up after 10 s.
const LONG_LATENCY: Duration = Duration::from_secs(60);

async fn setup_customer(api: &Api) {
    api.partner("p", "p@example.com").await;
    let (status, _) = api
        .post(
            AFF,
            "/customers",
            json!({"key": "c1", "partner": {"key": "p"}}),
        )
        .await;
    assert_eq!(status, 201);
}

fn sale(key: &str) -> serde_json::Value {
    json!({"customer": {"key": "c1"}, "key": key, "amount": 10})
}

#[tokio::test]
async fn fail_next_answers_the_status_without_processing() {
    let api = Api::start().await;
    setup_customer(&api).await;
    let faults = api.sandbox.faults();
    faults.fail_next(2, 503);
    for _ in 0..2 {
        let answer = api.post(AFF, "/transactions", sale("t1")).await;
        assert_error(&answer, 503);
    }
    assert!(api.sandbox.state().transactions(AFF).is_empty());
    assert_eq!(api.post(AFF, "/transactions", sale("t1")).await.0, 201);
    for status in [500, 502] {
        faults.fail_next(1, status);
        assert_error(&api.get(AFF, "/test").await, status);
    }
    assert_eq!(api.sandbox.stats().faults_injected, 4);
}

#[tokio::test]
async fn retry_after_header_and_raw_bodies() {
    let api = Api::start().await;
    let faults = api.sandbox.faults();
    faults.fail_next_with_retry_after(1, 429, 7);
    let resp = api.probe_response(&api.client).await.expect("answer");
    assert_eq!(resp.status().as_u16(), 429);
    assert_eq!(header(&resp, "retry-after"), Some("7"));
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(body["status"], 0);

    faults.fail_next(1, 429);
    let resp = api.probe_response(&api.client).await.expect("answer");
    assert_eq!(resp.status().as_u16(), 429);
    assert!(resp.headers().get("retry-after").is_none());

    faults.fail_next_with_body(1, 502, "<html>Bad Gateway</html>");
    let resp = api.probe_response(&api.client).await.expect("answer");
    assert_eq!(resp.status().as_u16(), 502);
    assert_eq!(resp.text().await.expect("text"), "<html>Bad Gateway</html>");
    assert_eq!(api.get(AFF, "/test").await.0, 200);
}

#[tokio::test]
async fn scoped_faults_only_hit_their_method_and_path() {
    let api = Api::start().await;
    setup_customer(&api).await;
    api.sandbox
        .faults()
        .on("POST", "/v1/transactions")
        .fail_next(1, 500);
    // Other requests pass untouched.
    assert_eq!(api.get(AFF, "/transactions").await.0, 200);
    assert_eq!(api.get(AFF, "/customers/c1").await.0, 200);
    assert_eq!(api.sandbox.faults().pending(), 1);
    assert_error(&api.post(AFF, "/transactions", sale("t1")).await, 500);
    assert_eq!(api.sandbox.faults().pending(), 0);
    assert_eq!(api.post(AFF, "/transactions", sale("t1")).await.0, 201);
}

#[tokio::test]
async fn drop_next_closes_the_connection_without_processing() {
    let api = Api::start().await;
    setup_customer(&api).await;
    api.sandbox.faults().drop_next(1);
    let err = api
        .send(
            Method::POST,
            &api.url("/transactions"),
            Some(AFF),
            Some(sale("t1")),
        )
        .await
        .expect_err("connection dropped");
    assert!(!err.is_timeout(), "{err}");
    assert!(!err.is_connect(), "the connection was made: {err}");
    assert!(api.sandbox.state().transactions(AFF).is_empty());
    // The next request works (on a new connection).
    assert_eq!(api.post(AFF, "/transactions", sale("t1")).await.0, 201);
    assert_eq!(api.sandbox.state().transactions(AFF).len(), 1);
}

#[tokio::test]
async fn process_then_fail_stores_but_answers_an_error() {
    let api = Api::start().await;
    setup_customer(&api).await;
    api.sandbox.faults().process_then_fail_next(1, 500);
    let answer = api.post(AFF, "/transactions", sale("t1")).await;
    assert_error(&answer, 500);
    let state = api.sandbox.state();
    assert_eq!(
        state.transactions_with_key(AFF, "t1").len(),
        1,
        "the request was processed"
    );
    assert_eq!(
        state.balance(AFF, "p"),
        Some(rust_decimal::Decimal::from(2))
    );
    // The client can find out: GET shows it.
    assert_eq!(api.get(AFF, "/transactions/t1").await.0, 200);
}

#[tokio::test]
async fn process_then_drop_stores_and_closes_without_answer() {
    let api = Api::start().await;
    setup_customer(&api).await;
    api.sandbox
        .faults()
        .on("POST", "/v1/transactions")
        .process_then_drop_next(1);
    let err = api
        .send(
            Method::POST,
            &api.url("/transactions"),
            Some(AFF),
            Some(sale("t1")),
        )
        .await
        .expect_err("no answer");
    assert!(!err.is_timeout() && !err.is_connect(), "{err}");
    // Stored exactly once: the client did not silently retry.
    assert_eq!(
        api.sandbox.state().transactions_with_key(AFF, "t1").len(),
        1
    );
    assert_eq!(api.sandbox.requests_seen_for("POST", "/v1/transactions"), 1);
}

#[tokio::test]
async fn latency_delays_answers_until_reset() {
    let api = Api::start().await;
    let faults = api.sandbox.faults();
    faults
        .on("GET", "/v1/test")
        .latency(Duration::from_millis(300));
    let started = Instant::now();
    assert_eq!(api.get(AFF, "/test").await.0, 200);
    // A lower bound only: the injected sleep never ends early, so this cannot flake.
    assert!(started.elapsed() >= Duration::from_millis(300));

    // No timed upper bounds: a latency far longer than `client()`'s 10 s timeout, so a
    // request it applied to would fail rather than answer.
    faults.on("GET", "/v1/test").latency(LONG_LATENCY);
    assert_eq!(
        api.get(AFF, "/customers").await.0,
        200,
        "other paths are not delayed"
    );
    let short = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_millis(100))
        .build()
        .expect("client");
    let err = short
        .get(api.url("/test"))
        .bearer_auth(AFF)
        .send()
        .await
        .expect_err("times out");
    assert!(err.is_timeout(), "{err}");
    faults.reset();
    assert_eq!(
        api.get(AFF, "/test").await.0,
        200,
        "reset removed the latency"
    );
}

#[tokio::test]
async fn process_slowly_stores_the_request_even_after_the_client_timed_out() {
    let api = Api::start().await;
    setup_customer(&api).await;
    api.sandbox
        .faults()
        .on("POST", "/v1/transactions")
        .process_slowly_next(1, Duration::from_millis(400));
    let impatient = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_millis(100))
        .build()
        .expect("client");
    let err = impatient
        .post(api.url("/transactions"))
        .bearer_auth(AFF)
        .json(&sale("slow"))
        .send()
        .await
        .expect_err("times out");
    assert!(err.is_timeout(), "{err}");
    let stored = || api.sandbox.state().transactions_with_key(AFF, "slow").len();
    for _ in 0..1000 {
        if stored() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(stored(), 1, "processed although the client had gone");
    assert_eq!(api.sandbox.faults().pending(), 0);
    // The fault is used up: the next request is processed and answered at once.
    assert_eq!(api.post(AFF, "/transactions", sale("next")).await.0, 201);

    // Over HTTP; a patient client gets the normal answer.
    let (status, _) = api
        .admin_post(
            "/faults",
            json!({"kind": "process_slowly", "ms": 50, "method": "POST", "path": "/v1/transactions"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(api.post(AFF, "/transactions", sale("patient")).await.0, 201);
    assert_eq!(
        api.sandbox
            .state()
            .transactions_with_key(AFF, "patient")
            .len(),
        1
    );
}

#[tokio::test]
async fn refuse_connections_gives_connect_errors_then_recovers() {
    let api = Api::start().await;
    assert_eq!(api.get(AFF, "/test").await.0, 200);
    let faults = api.sandbox.faults();
    faults.refuse_connections(true);
    faults.settled().await;
    let fresh = client();
    let err = api.probe(&fresh).await.expect_err("refused");
    assert!(err.is_connect(), "{err}");
    // The pooled connection of the first client was closed too.
    let err = api
        .send(Method::GET, &api.url("/test"), Some(AFF), None)
        .await
        .expect_err("refused");
    assert!(err.is_connect(), "{err}");
    faults.refuse_connections(false);
    faults.settled().await;
    assert_eq!(api.get(AFF, "/test").await.0, 200);
    assert_eq!(api.probe(&fresh).await.expect("ok"), 200);

    // For a while only.
    faults.refuse_connections_for(Duration::from_millis(200));
    faults.settled().await;
    assert!(
        client()
            .get(api.url("/test"))
            .send()
            .await
            .expect_err("refused")
            .is_connect()
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    faults.settled().await;
    assert_eq!(api.get(AFF, "/test").await.0, 200);
}

#[tokio::test]
async fn close_on_accept_closes_new_connections() {
    let api = Api::start().await;
    let faults = api.sandbox.faults();
    faults.close_on_accept(true);
    faults.settled().await;
    let err = api.probe(&client()).await.expect_err("closed");
    assert!(!err.is_timeout(), "{err}");
    assert_eq!(api.sandbox.requests_seen(), 0, "nothing was read");
    faults.close_on_accept(false);
    faults.settled().await;
    assert_eq!(api.probe(&client()).await.expect("ok"), 200);
}

#[tokio::test]
async fn reset_clears_every_fault() {
    let api = Api::start().await;
    let faults = api.sandbox.faults();
    faults.fail_next(5, 500);
    faults.drop_next(5);
    faults.process_then_drop_next(5);
    faults.latency(LONG_LATENCY);
    faults.close_on_accept(true);
    assert_eq!(faults.pending(), 15);
    faults.reset();
    faults.settled().await;
    assert_eq!(faults.pending(), 0);
    // `client()` gives up after 10 s: an answer proves the minute-long latency is gone.
    assert_eq!(api.probe(&client()).await.expect("ok"), 200);
}

#[tokio::test]
async fn counters_count_api_requests_only() {
    let api = Api::start().await;
    api.get(AFF, "/test").await;
    api.get(AFF, "/test").await;
    api.get(AFF, "/customers").await;
    api.admin_get("/stats").await;
    assert_eq!(api.sandbox.requests_seen(), 3);
    assert_eq!(api.sandbox.faults().requests_seen(), 3);
    assert_eq!(api.sandbox.requests_seen_for("GET", "/v1/test"), 2);
    assert_eq!(api.sandbox.requests_seen_for("get", "/v1/customers"), 1);
    let (status, stats) = api.admin_get("/stats").await;
    assert_eq!(status, 200);
    assert_eq!(stats["data"]["requests_seen"], 3);
    assert_eq!(stats["data"]["by_route"]["GET /v1/test"], 2);
    api.sandbox.reset_counters();
    assert_eq!(api.sandbox.requests_seen(), 0);
}

#[tokio::test]
async fn admin_http_faults_cover_every_kind() {
    let api = Api::start().await;
    setup_customer(&api).await;

    let (status, body) = api
        .admin_post(
            "/faults",
            json!({"kind": "fail", "count": 1, "status": 429, "retry_after": 3}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["rules"][0]["remaining"], 1);
    let resp = api.probe_response(&api.client).await.expect("answer");
    assert_eq!(resp.status().as_u16(), 429);
    assert_eq!(header(&resp, "retry-after"), Some("3"));

    api.admin_post(
        "/faults",
        json!({"kind": "fail", "status": 502, "body": "bad gateway"}),
    )
    .await;
    assert_eq!(api.get(AFF, "/test").await, (502, json!("bad gateway")));

    api.admin_post(
        "/faults",
        json!({"kind": "drop", "method": "POST", "path": "/v1/transactions"}),
    )
    .await;
    assert_eq!(
        api.get(AFF, "/test").await.0,
        200,
        "scoped to POST /v1/transactions"
    );
    assert!(
        api.send(
            Method::POST,
            &api.url("/transactions"),
            Some(AFF),
            Some(sale("a"))
        )
        .await
        .is_err()
    );
    assert!(api.sandbox.state().transactions(AFF).is_empty());

    api.admin_post(
        "/faults",
        json!({"kind": "process_then_fail", "status": 503}),
    )
    .await;
    assert_error(&api.post(AFF, "/transactions", sale("b")).await, 503);
    assert_eq!(api.sandbox.state().transactions_with_key(AFF, "b").len(), 1);

    api.admin_post("/faults", json!({"kind": "process_then_drop"}))
        .await;
    assert!(
        api.send(
            Method::POST,
            &api.url("/transactions"),
            Some(AFF),
            Some(sale("c"))
        )
        .await
        .is_err()
    );
    assert_eq!(api.sandbox.state().transactions_with_key(AFF, "c").len(), 1);

    api.admin_post("/faults", json!({"kind": "latency", "ms": 250}))
        .await;
    let started = Instant::now();
    api.get(AFF, "/test").await;
    // A lower bound only: the injected sleep never ends early.
    assert!(started.elapsed() >= Duration::from_millis(250));
    // Before the reset, a latency no request survives (`client()` times out after 10 s).
    api.admin_post("/faults", json!({"kind": "latency", "ms": 60_000}))
        .await;

    let (status, _) = api
        .admin_post(
            "/faults",
            json!({"kind": "close_on_accept", "enabled": true}),
        )
        .await;
    assert_eq!(status, 200);
    api.sandbox.faults().settled().await;
    assert!(client().get(api.url("/test")).send().await.is_err());
    api.admin_post(
        "/faults",
        json!({"kind": "close_on_accept", "enabled": false}),
    )
    .await;
    api.sandbox.faults().settled().await;

    let (status, body) = api.admin_post("/reset", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(api.sandbox.faults().pending(), 0);
    assert_eq!(api.sandbox.requests_seen(), 0);
    assert_eq!(
        api.get(AFF, "/test").await.0,
        200,
        "reset removed the latency"
    );

    // Refusing over HTTP needs a duration; it starts just after the answer.
    let (status, _) = api
        .admin_post("/faults", json!({"kind": "refuse_connections", "ms": 300}))
        .await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(100)).await;
    api.sandbox.faults().settled().await;
    assert!(
        client()
            .get(api.url("/test"))
            .send()
            .await
            .expect_err("refused")
            .is_connect()
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    api.sandbox.faults().settled().await;
    assert_eq!(api.probe(&client()).await.expect("back"), 200);
}

#[tokio::test]
async fn admin_http_faults_validate_their_input() {
    let api = Api::start().await;
    for body in [
        json!({}),
        json!({"kind": "explode"}),
        json!({"kind": "fail", "status": 200}),
        json!({"kind": "fail", "count": 0}),
        json!({"kind": "fail", "count": "2"}),
        json!({"kind": "latency"}),
        json!({"kind": "process_slowly"}),
        json!({"kind": "refuse_connections"}),
        json!({"kind": "refuse_connections", "ms": 600000}),
        json!({"kind": "close_on_accept"}),
        json!({"kind": "fail", "retry_after": 1.5}),
    ] {
        let answer = api.admin_post("/faults", body.clone()).await;
        assert_error(&answer, 422);
        assert!(answer.1["errors"].is_object(), "{body}: {}", answer.1);
    }
    assert_eq!(api.sandbox.faults().pending(), 0);
    let (status, body) = api.admin_get("/faults").await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["rules"], json!([]));
}

#[tokio::test]
async fn admin_routes_ignore_faults_and_need_no_key() {
    let api = Api::start().await;
    api.sandbox.faults().fail_next(10, 500);
    let (status, body) = api.admin_get("/state").await;
    assert_eq!(status, 200);
    assert!(body["data"]["programs"][AFF].is_object(), "{body}");
    assert_eq!(api.admin_get("/stats").await.0, 200);
    assert_eq!(api.sandbox.faults().pending(), 10);
}
