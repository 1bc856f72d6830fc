//! A page size outside 1..=250, or page 0, is rejected before any request is sent, for every
//! list call.

use futures_util::StreamExt;
use partnero_client::{CustomerSearch, Error, ListParams, PartnerSearch, Partnero, RetryPolicy};
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::wiremock_client;

/// A client of a server that answers every request with an empty list.
async fn empty_lists() -> (MockServer, Partnero) {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [], "status": 1})))
        .mount(&server)
        .await;
    let client = wiremock_client(&server, "sk_test", RetryPolicy::default());
    (server, client)
}

/// The outcome of every one-page list call: with `params`, or the searches.
async fn every_list_call(
    c: &Partnero,
    params: ListParams,
    customers: &CustomerSearch,
    partners: &PartnerSearch,
) -> [Result<(), Error>; 8] {
    [
        c.customers().list(params).await.map(drop),
        c.partners().list(params).await.map(drop),
        c.transactions().list(params).await.map(drop),
        c.webhooks().list(params).await.map(drop),
        c.customers().transactions("k", params).await.map(drop),
        c.customers().referrals("k", params).await.map(drop),
        c.customers().search(customers).await.map(drop),
        c.partners().search(partners).await.map(drop),
    ]
}

fn is_limit_error(result: &Result<impl std::fmt::Debug, Error>) -> bool {
    matches!(result, Err(Error::InvalidInput(message)) if message.contains("limit"))
}

#[tokio::test]
async fn out_of_range_limits_are_rejected_before_sending() {
    let (server, c) = empty_lists().await;
    for limit in [0, 251, u32::MAX] {
        let params = ListParams::new().limit(limit);
        let customers = CustomerSearch::new().email("a@example.com").limit(limit);
        let partners = PartnerSearch::new().email("a@example.com").limit(limit);
        for result in every_list_call(&c, params, &customers, &partners).await {
            assert!(is_limit_error(&result), "{limit}: {result:?}");
        }
        let streamed: Vec<_> = c.transactions().stream(params).collect().await;
        assert_eq!(streamed.len(), 1);
        assert!(
            matches!(&streamed[0], Err(Error::InvalidInput(m)) if m.contains("limit")),
            "{streamed:?}"
        );
    }
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        0,
        "nothing was sent"
    );
    for limit in [1, 250] {
        c.customers()
            .list(ListParams::new().limit(limit))
            .await
            .unwrap();
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

fn is_page_error(result: &Result<impl std::fmt::Debug, Error>) -> bool {
    matches!(result, Err(Error::InvalidInput(message)) if message.contains("page must be 1 or more"))
}

#[tokio::test]
async fn page_zero_is_rejected_before_sending() {
    let (server, c) = empty_lists().await;
    let params = ListParams::new().page(0);
    let customers = CustomerSearch::new().email("a@example.com").page(0);
    let partners = PartnerSearch::new().email("a@example.com").page(0);
    for result in every_list_call(&c, params, &customers, &partners).await {
        assert!(is_page_error(&result), "{result:?}");
    }
    let streamed: Vec<_> = c.customers().stream(params).collect().await;
    assert_eq!(streamed.len(), 1, "{streamed:?}");
    assert!(matches!(&streamed[0], Err(Error::InvalidInput(_))));
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        0,
        "nothing was sent"
    );
    c.customers().list(ListParams::new().page(1)).await.unwrap();
    let sent = server.received_requests().await.unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].url.query(), Some("page=1"));
}
