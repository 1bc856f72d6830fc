//! `links.next` pagination: streams follow same-origin links only.

use futures_util::StreamExt;
use partnero_client::{Error, ListParams, Partnero, RetryPolicy};
use serde_json::json;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{answering, page_answer, wiremock_client};

fn client(server: &MockServer) -> Partnero {
    wiremock_client(server, "sk_test", RetryPolicy::default())
}

fn page(keys: &[&str], next: Option<String>) -> ResponseTemplate {
    let data: Vec<_> = keys.iter().map(|k| json!({"key": k})).collect();
    page_answer(json!(data), next, json!({"current_page": 1, "per_page": 2}))
}

#[tokio::test]
async fn stream_follows_next_links_and_keeps_the_limit() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/customers"))
        .and(query_param_is_missing("page"))
        .and(query_param("limit", "2"))
        .respond_with(page(
            &["a", "b"],
            Some(format!("{}/v1/customers?page=2", server.uri())),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/customers"))
        .and(query_param("page", "2"))
        .and(query_param("limit", "2"))
        .respond_with(page(
            &["c", "d"],
            Some("/v1/customers?page=3&limit=2".into()),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/customers"))
        .and(query_param("page", "3"))
        .respond_with(page(&["e"], None))
        .expect(1)
        .mount(&server)
        .await;

    let keys: Vec<String> = client(&server)
        .customers()
        .stream(ListParams::new().limit(2))
        .map(|c| c.unwrap().key.unwrap())
        .collect()
        .await;
    assert_eq!(keys, ["a", "b", "c", "d", "e"]);
}

#[tokio::test]
async fn stream_stops_at_a_foreign_next_link_without_sending_the_token() {
    let server = MockServer::start().await;
    let foreign = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/transactions"))
        .respond_with(page(
            &["t1", "t2"],
            Some(format!("{}/v1/transactions?page=2", foreign.uri())),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(page(&["stolen"], None))
        .mount(&foreign)
        .await;

    let items: Vec<_> = client(&server)
        .transactions()
        .stream(ListParams::new())
        .collect()
        .await;
    assert_eq!(items.len(), 3);
    assert_eq!(items[0].as_ref().unwrap().key.as_deref(), Some("t1"));
    assert_eq!(items[1].as_ref().unwrap().key.as_deref(), Some("t2"));
    match &items[2] {
        Err(Error::ForeignNextLink { origin }) => assert_eq!(origin, &foreign.uri()),
        other => panic!("{other:?}"),
    }
    assert!(
        foreign.received_requests().await.unwrap().is_empty(),
        "the foreign host must not be contacted"
    );
}

#[tokio::test]
async fn stream_ends_after_an_error_page() {
    let server = answering("GET", ResponseTemplate::new(401)).await;
    let items: Vec<_> = client(&server)
        .webhooks()
        .stream(ListParams::new())
        .collect()
        .await;
    assert_eq!(items.len(), 1);
    assert!(matches!(items[0], Err(Error::Unauthorized)));
}

#[tokio::test]
async fn stream_stops_when_next_points_back_to_the_same_page() {
    let server = MockServer::start().await;
    let same = format!("{}/v1/partners?page=1", server.uri());
    Mock::given(method("GET"))
        .and(path("/v1/partners"))
        .respond_with(page(&["p"], Some(same.clone())))
        .expect(1)
        .mount(&server)
        .await;
    let items: Vec<_> = client(&server)
        .partners()
        .stream(ListParams::new().page(1))
        .collect()
        .await;
    assert_eq!(items.len(), 1);
}

#[tokio::test]
async fn stream_stops_with_an_error_when_next_leads_back_to_an_earlier_page() {
    // A -> B -> A: without loop detection the stream would re-send A's URL forever.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/customers"))
        .and(query_param_is_missing("page"))
        .respond_with(page(
            &["a", "b"],
            Some(format!("{}/v1/customers?page=2", server.uri())),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/customers"))
        .and(query_param("page", "2"))
        .respond_with(page(&["c"], Some(format!("{}/v1/customers", server.uri()))))
        .mount(&server)
        .await;
    // `take` bounds the test if the stream loops.
    let items: Vec<_> = client(&server)
        .customers()
        .stream(ListParams::new())
        .take(10)
        .collect()
        .await;
    assert_eq!(items.len(), 4, "{items:?}");
    let keys: Vec<_> = items[..3]
        .iter()
        .map(|r| r.as_ref().unwrap().key.clone().unwrap())
        .collect();
    assert_eq!(keys, ["a", "b", "c"]);
    assert!(
        matches!(items[3], Err(Error::PaginationLoop { pages: 2 })),
        "{:?}",
        items[3]
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}
