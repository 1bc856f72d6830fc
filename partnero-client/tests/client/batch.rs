//! Batch create answers that do not decode: recorded sales are read back by key, and an
//! unreadable item is an error, never a silently shorter list.

use std::time::Duration;

use partnero_client::{Error, Partnero, RetryPolicy, Sale};
use rust_decimal::Decimal;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::wiremock_client;

fn client(server: &MockServer) -> Partnero {
    let retry = RetryPolicy::default()
        .base_delay(Duration::from_millis(5))
        .confirm_delay(Duration::from_millis(5));
    wiremock_client(server, "sk_test", retry)
}

fn keyed() -> [Sale; 2] {
    [
        Sale::new(Decimal::from(10)).key("b1"),
        Sale::new(Decimal::from(20)).key("b2"),
    ]
}

fn keyless() -> [Sale; 2] {
    [Sale::new(Decimal::from(10)), Sale::new(Decimal::from(20))]
}

async fn answer_batch_with(server: &MockServer, answer: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path("/v1/transactions"))
        .respond_with(answer)
        .expect(1)
        .mount(server)
        .await;
}

async fn serve_reads(server: &MockServer) {
    for (key, amount) in [("b1", 10), ("b2", 20)] {
        Mock::given(method("GET"))
            .and(path(format!("/v1/transactions/{key}")))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"data": {"key": key, "amount": amount}, "status": 1})),
            )
            .expect(1)
            .mount(server)
            .await;
    }
}

fn keys(created: &[partnero_client::Transaction]) -> Vec<&str> {
    created.iter().filter_map(|t| t.key.as_deref()).collect()
}

/// Answers a batch of keyed sales cannot be read from: the recorded sales are read back by key.
#[tokio::test]
async fn unreadable_answers_for_keyed_sales_are_read_back() {
    let unreadable = [
        // An undecodable 2xx.
        ResponseTemplate::new(201).set_body_string("<html>Created</html>"),
        // A 2xx without transactions.
        ResponseTemplate::new(201).set_body_json(json!({"status": 1})),
        // An undecodable item: read back, not dropped.
        ResponseTemplate::new(201)
            .set_body_json(json!({"data": [{"key": "b1", "amount": 10}, "garbage"], "status": 1})),
    ];
    for answer in unreadable {
        let server = MockServer::start().await;
        answer_batch_with(&server, answer).await;
        serve_reads(&server).await;
        let created = client(&server)
            .transactions()
            .create_batch("buyer", &keyed())
            .await
            .unwrap();
        assert_eq!(keys(&created), ["b1", "b2"]);
        server.verify().await;
    }
}

#[tokio::test]
async fn an_undecodable_item_for_keyless_sales_is_an_error_not_a_shorter_list() {
    let server = MockServer::start().await;
    answer_batch_with(
        &server,
        ResponseTemplate::new(201)
            .set_body_json(json!({"data": [{"key": "t1", "amount": 10}, "garbage"], "status": 1})),
    )
    .await;
    let e = client(&server)
        .transactions()
        .create_batch("buyer", &keyless())
        .await
        .unwrap_err();
    match &e {
        Error::Decode { status, reason, .. } => {
            assert_eq!(*status, 201);
            assert!(reason.contains("transaction 1"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    server.verify().await;
}

#[tokio::test]
async fn a_readable_answer_is_returned_without_reads() {
    let server = MockServer::start().await;
    answer_batch_with(
        &server,
        ResponseTemplate::new(201).set_body_json(json!({
            "data": {"transactions": [{"key": "b1", "amount": 10}, {"key": "b2", "amount": 20}]},
            "status": 1
        })),
    )
    .await;
    let created = client(&server)
        .transactions()
        .create_batch("buyer", &keyed())
        .await
        .unwrap();
    assert_eq!(keys(&created), ["b1", "b2"]);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}
