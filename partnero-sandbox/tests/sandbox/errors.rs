//! Bad input and unknown routes: always an enveloped answer, never a panic or a hang.

use crate::common::{AFF, Api, RAF, assert_error, assert_field_error, header};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn missing_wrong_and_unknown_keys_are_401() {
    let api = Api::start().await;
    for key in [None, Some("sk_unknown")] {
        let answer = api
            .send(Method::GET, &api.url("/test"), key, None)
            .await
            .expect("answer");
        assert_eq!(answer.0, 401);
        assert_eq!(
            answer.1,
            json!({"message": "Unauthenticated.", "status": 0})
        );
    }
    let resp = api
        .client
        .get(api.url("/customers"))
        .header("Authorization", format!("Basic {AFF}"))
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status().as_u16(), 401);
    // Auth is checked before the body is even read.
    let answer = api
        .send(
            Method::POST,
            &api.url("/customers"),
            None,
            Some(json!({"key": "k"})),
        )
        .await
        .expect("answer");
    assert_eq!(answer.0, 401);
}

#[tokio::test]
async fn unknown_routes_and_methods_are_enveloped() {
    let api = Api::start().await;
    let answer = api.get(AFF, "/nope").await;
    assert_eq!(answer, (404, json!({"message": "Not found", "status": 0})));
    let answer = api
        .send(
            Method::GET,
            &format!("http://{}/", api.sandbox.addr()),
            None,
            None,
        )
        .await
        .expect("answer");
    assert_error(&answer, 404);
    assert_error(&api.get(AFF, "/customers/a/b/c").await, 404);
    let answer = api
        .send(Method::PATCH, &api.url("/customers"), Some(AFF), None)
        .await
        .expect("answer");
    assert_error(&answer, 405);
    let answer = api
        .send(Method::PATCH, &api.url("/transactions"), Some(AFF), None)
        .await
        .expect("answer");
    assert_error(&answer, 405);
    assert_error(
        &api.send(Method::GET, &api.admin_url("/nope"), None, None)
            .await
            .expect("answer"),
        404,
    );
}

#[tokio::test]
async fn malformed_json_is_400_and_never_plain_text() {
    let api = Api::start().await;
    for raw in ["{bad", "{\"key\": }", "\u{0}", "[1,2", "nul"] {
        let resp = api
            .client
            .post(api.url("/customers"))
            .bearer_auth(AFF)
            .header("Content-Type", "application/json")
            .body(raw)
            .send()
            .await
            .expect("answer");
        assert_eq!(resp.status().as_u16(), 400, "{raw:?}");
        assert_eq!(header(&resp, "content-type"), Some("application/json"));
        let body: serde_json::Value = resp.json().await.expect("json envelope");
        assert_eq!(body["status"], 0);
        assert!(body["message"].as_str().is_some_and(|m| m.contains("JSON")));
    }
    // Deeply nested JSON is rejected, not a stack overflow.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let resp = api
        .client
        .post(api.url("/customers"))
        .bearer_auth(AFF)
        .body(deep)
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status().as_u16(), 400);
}

#[tokio::test]
async fn non_object_bodies_and_wrong_types_are_422() {
    let api = Api::start().await;
    for body in [json!([1, 2]), json!("text"), json!(5), json!(null)] {
        assert_field_error(&api.post(AFF, "/customers", body).await, "body");
    }
    // An empty body reads as `{}`: field errors, not a parse error.
    let resp = api
        .client
        .post(api.url("/transactions"))
        .bearer_auth(AFF)
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status().as_u16(), 422);
    let body: serde_json::Value = resp.json().await.expect("json");
    assert!(
        body["errors"]["customer"].is_array() && body["errors"]["amount"].is_array(),
        "{body}"
    );
    assert_eq!(body["message"], "The given data was invalid.");
}

#[tokio::test]
async fn huge_bodies_are_413() {
    let api = Api::start_with(partnero_sandbox::SandboxConfig::new().body_limit(64 * 1024)).await;
    let huge = json!({"key": "k", "name": "x".repeat(200 * 1024)});
    let answer = api.post(AFF, "/customers", huge).await;
    assert_error(&answer, 413);
    // Chunked (no Content-Length) bodies are limited too, and a declared
    // length over the limit is refused before reading.
    let mut chunked = String::from(
        "POST /v1/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk_test_affiliate\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    for _ in 0..40 {
        chunked.push_str(&format!("1000\r\n{}\r\n", " ".repeat(4096)));
    }
    chunked.push_str("0\r\n\r\n");
    let head = raw_exchange(&api, chunked.as_bytes()).await;
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    let declared = "POST /v1/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk_test_affiliate\r\nContent-Length: 1000000000\r\n\r\n{}";
    let head = raw_exchange(&api, declared.as_bytes()).await;
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    // The sandbox still works afterwards.
    assert_eq!(api.get(AFF, "/test").await.0, 200);
}

/// Writes raw bytes, returns what the server answered (up to 4 KiB), with a deadline.
async fn raw_exchange(api: &Api, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(api.sandbox.addr())
        .await
        .expect("connect");
    // The server may answer and close before everything is written.
    let _ = stream.write_all(request).await;
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut buf))
        .await
        .expect("answered in time")
        .unwrap_or(0);
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[tokio::test]
async fn limit_and_page_out_of_range_are_422() {
    let api = Api::start().await;
    for q in [
        "limit=0",
        "limit=251",
        "limit=abc",
        "limit=-1",
        "page=0",
        "page=x",
    ] {
        let answer = api.get(AFF, &format!("/customers?{q}")).await;
        let field = q.split('=').next().unwrap_or_default();
        assert_field_error(&answer, field);
    }
    assert_eq!(api.get(AFF, "/customers?limit=250&page=99").await.0, 200);
}

#[tokio::test]
async fn path_keys_are_decoded_and_never_reach_other_endpoints() {
    let api = Api::start().await;
    api.partner("p", "p@example.com").await;
    // A customer whose key looks like a path.
    let (status, _) = api
        .post(
            AFF,
            "/customers",
            json!({"key": "../partners", "partner": {"key": "p"}}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, got) = api.get(AFF, "/customers/..%2Fpartners").await;
    assert_eq!(status, 200);
    assert_eq!(got["data"]["key"], "../partners");
    // Unknown encoded traversal keys are customer 404s, not the partners list.
    let answer = api.get(AFF, "/customers/..%2F..%2Fpartners%2Fx").await;
    assert_eq!(
        answer,
        (404, json!({"message": "Customer not found", "status": 0}))
    );
    // Keys with spaces, slashes and unicode round-trip.
    for key in ["a b", "x/y", "ünï@example.com", "q?x=1#frag"] {
        let (status, _) = api
            .post(
                AFF,
                "/customers",
                json!({"key": key, "partner": {"key": "p"}}),
            )
            .await;
        assert_eq!(status, 201, "{key}");
        let encoded: String = key
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let (status, got) = api.get(AFF, &format!("/customers/{encoded}")).await;
        assert_eq!(status, 200, "{key}");
        assert_eq!(got["data"]["key"], key);
    }
    // Invalid UTF-8 after decoding: a 404, not a plain-text rejection.
    assert_error(&api.get(AFF, "/customers/%FF%FE").await, 404);
}

#[tokio::test]
async fn money_amounts_are_bounded_so_sums_never_overflow() {
    let api = Api::start().await;
    api.referred_customer("ref-big", "big@example.com", "c1")
        .await;
    api.post(RAF, "/customers", json!({"key": "friend"})).await;

    // Amounts a decimal holds but whose sums would overflow it: a 422 each time, nothing stored.
    for amount in [json!(4e28), json!(-4e28), json!(1_000_000_000_001_i64)] {
        for _ in 0..3 {
            let sale = api
                .post(
                    AFF,
                    "/transactions",
                    json!({"customer": {"key": "c1"}, "amount": amount}),
                )
                .await;
            assert_field_error(&sale, "amount");
            let credit = api
                .post(
                    RAF,
                    "/customers/friend/balance/credit",
                    json!({"amount": amount, "is_currency": true, "amount_units": "usd"}),
                )
                .await;
            assert_field_error(&credit, "amount");
        }
    }
    let batch = api
        .post(
            AFF,
            "/transactions",
            json!({"customer": {"key": "c1"},
                   "transactions": [{"key": "ok", "amount": 10}, {"key": "huge", "amount": 4e28}]}),
        )
        .await;
    assert_field_error(&batch, "transactions.1.amount");
    let (_, list) = api.get(AFF, "/transactions").await;
    assert_eq!(list["data"], json!([]), "a rejected batch stores nothing");
    assert_eq!(
        api.sandbox.state().balance(RAF, "friend"),
        Some(rust_decimal::Decimal::ZERO)
    );

    // The largest amount, either sign, is accepted and sums stay exact.
    for amount in [1_000_000_000_000_i64, 1_000_000_000_000, -1_000_000_000_000] {
        let credit = api
            .post(
                RAF,
                "/customers/friend/balance/credit",
                json!({"amount": amount, "is_currency": true, "amount_units": "usd"}),
            )
            .await;
        assert_eq!(credit.0, 200, "{}", credit.1);
    }
    assert_eq!(
        api.sandbox.state().balance(RAF, "friend"),
        Some(rust_decimal::Decimal::from(1_000_000_000_000_i64))
    );
}
