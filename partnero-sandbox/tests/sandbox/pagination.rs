//! `limit`/`page`, `links` and `meta` of every list endpoint.

use crate::common::{AFF, Api, RAF};
use serde_json::{Value, json};

async fn seed(api: &Api, n: usize) {
    api.partner("p", "p@example.com").await;
    for i in 0..n {
        let (status, _) = api
            .post(
                AFF,
                "/customers",
                json!({"key": format!("c{i:02}"), "partner": {"key": "p"}}),
            )
            .await;
        assert_eq!(status, 201);
    }
}

fn keys(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .expect("data array")
        .iter()
        .filter_map(|c| c["key"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn default_page_is_15_with_links_and_meta_without_total() {
    let api = Api::start().await;
    seed(&api, 20).await;
    let origin = format!("http://{}", api.sandbox.addr());
    let (status, body) = api.get(AFF, "/customers").await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], 1);
    assert_eq!(keys(&body).len(), 15);
    assert_eq!(
        body["links"],
        json!({
            "first": format!("{origin}/v1/customers?page=1&limit=15"),
            "last": null,
            "prev": null,
            "next": format!("{origin}/v1/customers?page=2&limit=15"),
        })
    );
    assert_eq!(
        body["meta"],
        json!({"current_page": 1, "from": 1, "to": 15, "per_page": 15, "path": format!("{origin}/v1/customers")})
    );
    assert!(body["meta"].get("total").is_none());
}

#[tokio::test]
async fn following_next_visits_every_item_once() {
    let api = Api::start().await;
    seed(&api, 7).await;
    let mut url = api.url("/customers?partner.key=p&limit=3");
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let resp = api
            .client
            .get(&url)
            .bearer_auth(AFF)
            .send()
            .await
            .expect("page");
        assert_eq!(resp.status().as_u16(), 200);
        let body: Value = resp.json().await.expect("json");
        pages += 1;
        seen.extend(keys(&body));
        assert_eq!(body["meta"]["current_page"], pages);
        assert_eq!(body["meta"]["per_page"], 3);
        match body["links"]["next"].as_str() {
            Some(next) => {
                // Other query parameters are kept.
                assert!(next.contains("partner.key=p"), "{next}");
                assert!(next.starts_with(&api.sandbox.base_url()), "{next}");
                url = next.to_owned();
            }
            None => break,
        }
        assert!(pages < 10, "runaway pagination");
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (0..7).map(|i| format!("c{i:02}")).collect();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn middle_last_and_past_the_end_pages() {
    let api = Api::start().await;
    seed(&api, 5).await;
    let (_, body) = api.get(AFF, "/customers?limit=2&page=2").await;
    assert_eq!(keys(&body), vec!["c02", "c03"]);
    assert_eq!(body["meta"]["from"], 3);
    assert_eq!(body["meta"]["to"], 4);
    assert!(
        body["links"]["prev"]
            .as_str()
            .is_some_and(|p| p.ends_with("page=1&limit=2"))
    );
    assert!(
        body["links"]["next"]
            .as_str()
            .is_some_and(|p| p.ends_with("page=3&limit=2"))
    );
    let (_, body) = api.get(AFF, "/customers?limit=2&page=3").await;
    assert_eq!(keys(&body), vec!["c04"]);
    assert_eq!(body["links"]["next"], json!(null));
    let (_, body) = api.get(AFF, "/customers?limit=2&page=9").await;
    assert_eq!(body["data"], json!([]));
    assert_eq!(body["meta"]["from"], json!(null));
    assert_eq!(body["meta"]["to"], json!(null));
    assert_eq!(body["links"]["next"], json!(null));
    // Exactly full last page: no next.
    let (_, body) = api.get(AFF, "/customers?limit=5").await;
    assert_eq!(keys(&body).len(), 5);
    assert_eq!(body["links"]["next"], json!(null));
}

#[tokio::test]
async fn every_list_endpoint_paginates() {
    let api = Api::start().await;
    seed(&api, 3).await;
    for i in 0..3 {
        api.post(
            AFF,
            "/transactions",
            json!({"customer": {"key": "c00"}, "amount": i + 1}),
        )
        .await;
        api.post(
            AFF,
            "/webhooks",
            json!({"url": "https://hooks.test/x", "events": ["customer.created"]}),
        )
        .await;
        api.partner(&format!("extra{i}"), &format!("extra{i}@example.com"))
            .await;
    }
    api.post(RAF, "/customers", json!({"key": "r"})).await;
    for i in 0..3 {
        api.post(
            RAF,
            "/customers",
            json!({"key": format!("f{i}"), "referring_customer": {"key": "r"}}),
        )
        .await;
    }
    for (key, path) in [
        (AFF, "/customers"),
        (AFF, "/customers:search"),
        (AFF, "/partners"),
        (AFF, "/partners:search"),
        (AFF, "/transactions"),
        (AFF, "/customers/c00/transactions"),
        (AFF, "/webhooks"),
        (RAF, "/customers/r/referrals"),
    ] {
        let (status, body) = api.get(key, &format!("{path}?limit=2")).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(body["data"].as_array().map(Vec::len), Some(2), "{path}");
        assert_eq!(body["meta"]["per_page"], 2, "{path}");
        assert!(body["links"]["next"].as_str().is_some(), "{path}");
        let (status, _) = api.get(key, &format!("{path}?limit=0")).await;
        assert_eq!(status, 422, "{path}");
    }
}
