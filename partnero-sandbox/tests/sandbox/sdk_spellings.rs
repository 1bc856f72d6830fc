//! List filters under every spelling an official client sends: `partner.key` (the API
//! reference, this project's client), `partner_key` (the n8n node), `partner[key]` (the PHP
//! SDK's `http_build_query`).

use crate::common::{AFF, Api};
use serde_json::json;

#[tokio::test]
async fn partner_filters_in_three_spellings() {
    let api = Api::start().await;
    api.referred_customer("p1", "p1@example.com", "c1").await;
    api.referred_customer("p2", "p2@example.com", "c2").await;
    for (customer, key) in [("c1", "t1"), ("c2", "t2")] {
        let (status, _) = api
            .post(
                AFF,
                "/transactions",
                json!({"customer": {"key": customer}, "key": key, "amount": 10}),
            )
            .await;
        assert_eq!(status, 201);
    }
    let keys = |body: &serde_json::Value| -> Vec<String> {
        body["data"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| i["key"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    for query in ["partner.key=p2", "partner_key=p2", "partner%5Bkey%5D=p2"] {
        let (status, body) = api.get(AFF, &format!("/customers?{query}")).await;
        assert_eq!(
            (status, keys(&body)),
            (200, vec!["c2".to_owned()]),
            "{query}"
        );
        let (status, body) = api.get(AFF, &format!("/transactions?{query}")).await;
        assert_eq!(
            (status, keys(&body)),
            (200, vec!["t2".to_owned()]),
            "{query}"
        );
    }
    for query in [
        "partner.email=P1%40example.com",
        "partner_email=p1%40example.com",
    ] {
        let (_, body) = api.get(AFF, &format!("/customers?{query}")).await;
        assert_eq!(keys(&body), ["c1"], "{query}");
        let (_, body) = api.get(AFF, &format!("/transactions?{query}")).await;
        assert_eq!(keys(&body), ["t1"], "{query}");
    }
    let (_, body) = api.get(AFF, "/transactions?key=t1").await;
    assert_eq!(keys(&body), ["t1"]);
    let (_, body) = api
        .get(AFF, "/transactions?partner_email=nobody%40example.com")
        .await;
    assert!(keys(&body).is_empty());
}

/// The n8n node names a customer by "key, ID or email" in the path, and searches by any of them.
#[tokio::test]
async fn customers_by_key_id_or_email() {
    let api = Api::start().await;
    let (status, _) = api
        .post(
            crate::common::RAF,
            "/customers",
            json!({"key": "pub-key", "id": "private-id", "email": "Ada@example.com"}),
        )
        .await;
    assert_eq!(status, 201);
    for name in ["pub-key", "private-id", "ada%40example.com"] {
        let (status, body) = api
            .get(crate::common::RAF, &format!("/customers/{name}"))
            .await;
        assert_eq!(
            (status, &body["data"]["key"]),
            (200, &json!("pub-key")),
            "{name}"
        );
    }
    let (status, _) = api
        .post_empty(crate::common::RAF, "/customers/ada%40example.com/archive")
        .await;
    assert_eq!(status, 200);
    let (_, body) = api
        .get(crate::common::RAF, "/customers:search?id=private-id")
        .await;
    assert_eq!(body["data"][0]["status"], "archived");
    let (status, _) = api
        .get(crate::common::RAF, "/customers/nobody%40example.com")
        .await;
    assert_eq!(status, 404);
}
