//! A page size outside 1..=250, or page 0, is rejected before any request is sent, for every
//! list call.

use futures_util::StreamExt;
use partnero_client::{CustomerSearch, Error, ListParams, PartnerSearch, Partnero};
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn is_limit_error(result: &Result<impl std::fmt::Debug, Error>) -> bool {
    matches!(result, Err(Error::InvalidInput(message)) if message.contains("limit"))
}

#[tokio::test]
async fn out_of_range_limits_are_rejected_before_sending() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [], "status": 1})))
        .mount(&server)
        .await;
    let c = Partnero::builder("sk_test")
        .base_url(format!("{}/v1/", server.uri()))
        .build()
        .unwrap();
    for limit in [0, 251, u32::MAX] {
        let params = ListParams::new().limit(limit);
        assert!(is_limit_error(&c.customers().list(params).await), "{limit}");
        assert!(is_limit_error(&c.partners().list(params).await));
        assert!(is_limit_error(&c.transactions().list(params).await));
        assert!(is_limit_error(&c.webhooks().list(params).await));
        assert!(is_limit_error(
            &c.customers().transactions("k", params).await
        ));
        assert!(is_limit_error(&c.customers().referrals("k", params).await));
        assert!(is_limit_error(
            &c.customers()
                .search(&CustomerSearch::new().email("a@example.com").limit(limit))
                .await
        ));
        assert!(is_limit_error(
            &c.partners()
                .search(&PartnerSearch::new().email("a@example.com").limit(limit))
                .await
        ));
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
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [], "status": 1})))
        .mount(&server)
        .await;
    let c = Partnero::builder("sk_test")
        .base_url(format!("{}/v1/", server.uri()))
        .build()
        .unwrap();
    let params = ListParams::new().page(0);
    assert!(is_page_error(&c.customers().list(params).await));
    assert!(is_page_error(&c.partners().list(params).await));
    assert!(is_page_error(&c.transactions().list(params).await));
    assert!(is_page_error(&c.webhooks().list(params).await));
    assert!(is_page_error(
        &c.customers().transactions("k", params).await
    ));
    assert!(is_page_error(&c.customers().referrals("k", params).await));
    assert!(is_page_error(
        &c.customers()
            .search(&CustomerSearch::new().email("a@example.com").page(0))
            .await
    ));
    assert!(is_page_error(
        &c.partners()
            .search(&PartnerSearch::new().email("a@example.com").page(0))
            .await
    ));
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
