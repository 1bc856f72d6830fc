//! Error paths and retries against wiremock servers and closed ports on 127.0.0.1.

use std::time::{Duration, Instant};

use partnero_client::{Error, NewCustomer, Partnero, RetryPolicy, Sale};
use rust_decimal::Decimal;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{answering, wiremock_client};

const KEY: &str = "sk_live_do_not_print";

fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .base_delay(Duration::from_millis(5))
        .max_delay(Duration::from_secs(3))
}

fn client(server: &MockServer, retry: RetryPolicy) -> Partnero {
    wiremock_client(server, KEY, retry)
}

/// `customers().get(key)`, which must fail.
async fn get_fails(server: &MockServer, retry: RetryPolicy, key: &str) -> Error {
    client(server, retry)
        .customers()
        .get(key)
        .await
        .unwrap_err()
}

/// `customers().create(customer)`, which must fail.
async fn create_fails(server: &MockServer, retry: RetryPolicy, customer: &NewCustomer) -> Error {
    client(server, retry)
        .customers()
        .create(customer)
        .await
        .unwrap_err()
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

fn assert_no_secret(e: &Error) {
    let mut shown = format!("{e} {e:?}");
    // The whole chain, as a reporter would print it.
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        shown.push_str(&format!(" {cause}"));
        source = cause.source();
    }
    assert!(!shown.contains(KEY), "{shown}");
}

#[tokio::test]
async fn unauthorized_is_actionable_and_not_retried() {
    let server = answering(
        "GET",
        ResponseTemplate::new(401)
            .set_body_json(json!({"message": "Unauthenticated.", "status": 0})),
    )
    .await;
    let e = get_fails(&server, fast_retries(), "a").await;
    assert!(matches!(e, Error::Unauthorized));
    assert!(e.to_string().contains("PARTNERO_API_KEY"));
    assert_no_secret(&e);
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn not_found_carries_the_message() {
    let server = answering(
        "GET",
        ResponseTemplate::new(404)
            .set_body_json(json!({"message": "Customer not found.", "status": 0})),
    )
    .await;
    let e = get_fails(&server, fast_retries(), "nobody").await;
    match &e {
        Error::NotFound { message } => assert_eq!(message, "Customer not found."),
        other => panic!("{other:?}"),
    }
    assert!(e.is_not_found());
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn validation_errors_keep_the_field_map() {
    let server = answering("POST", ResponseTemplate::new(422).set_body_json(json!({
            "message": "The given data was invalid.",
            "errors": {"email": ["The email must be a valid email address."], "name": ["Too long.", "Bad."]},
            "status": 0
        }))).await;
    let e = create_fails(
        &server,
        fast_retries(),
        &NewCustomer::new("k").email("nope"),
    )
    .await;
    match &e {
        Error::Validation { message, errors } => {
            assert_eq!(message, "The given data was invalid.");
            assert_eq!(
                errors["email"],
                vec!["The email must be a valid email address."]
            );
            assert_eq!(errors["name"].len(), 2);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        e.to_string()
            .contains("email: The email must be a valid email address.")
    );
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn duplicate_key_on_a_first_attempt_is_an_error() {
    let server = answering("POST", ResponseTemplate::new(422).set_body_json(json!({
            "message": "Duplicate key", "errors": {"key": ["The key has already been taken."]}, "status": 0
        }))).await;
    let e = create_fails(&server, fast_retries(), &NewCustomer::new("k")).await;
    assert!(e.is_duplicate(), "{e:?}");
}

#[tokio::test]
async fn invalid_partner_key_is_its_own_error() {
    let server = answering(
        "POST",
        ResponseTemplate::new(400)
            .set_body_json(json!({"message": "Invalid partner key", "status": 0})),
    )
    .await;
    let e = create_fails(
        &server,
        fast_retries(),
        &NewCustomer::new("k").partner_key("ghost"),
    )
    .await;
    assert!(matches!(e, Error::InvalidPartnerKey), "{e:?}");
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn non_json_502_is_an_api_error_with_a_snippet_after_retries() {
    let server = answering(
        "GET",
        ResponseTemplate::new(502).set_body_string("<html><body>Bad Gateway</body></html>"),
    )
    .await;
    let e = get_fails(&server, fast_retries(), "a").await;
    match &e {
        Error::Api {
            status, message, ..
        } => {
            assert_eq!(*status, 502);
            assert!(message.contains("Bad Gateway"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(requests(&server).await, 3, "default policy: 3 attempts");
}

#[tokio::test]
async fn non_json_success_is_a_decode_error() {
    let server = answering(
        "GET",
        ResponseTemplate::new(200).set_body_string("<html>captive portal</html>"),
    )
    .await;
    let e = get_fails(&server, fast_retries(), "a").await;
    match &e {
        Error::Decode {
            status, snippet, ..
        } => {
            assert_eq!(*status, 200);
            assert!(snippet.contains("captive portal"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn server_error_then_success_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/customers/a"))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(json!({"message": "Server Error", "status": 0})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/customers/a"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": {"key": "a"}, "status": 1})),
        )
        .mount(&server)
        .await;
    let c = client(&server, fast_retries())
        .customers()
        .get("a")
        .await
        .unwrap();
    assert_eq!(c.key.as_deref(), Some("a"));
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn rate_limit_with_retry_after_is_honoured() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_json(json!({"message": "Too Many Attempts.", "status": 0})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": {"key": "a"}, "status": 1})),
        )
        .mount(&server)
        .await;
    let started = Instant::now();
    client(&server, fast_retries())
        .customers()
        .get("a")
        .await
        .unwrap();
    // Sleeping guarantees a lower bound; no upper bound is asserted.
    assert!(started.elapsed() >= Duration::from_millis(990));
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn rate_limit_without_retry_after_backs_off_then_reports() {
    let server = answering(
        "GET",
        ResponseTemplate::new(429)
            .set_body_json(json!({"message": "Too Many Attempts.", "status": 0})),
    )
    .await;
    let e = get_fails(&server, fast_retries().max_attempts(4), "a").await;
    assert!(
        matches!(e, Error::RateLimited { retry_after: None }),
        "{e:?}"
    );
    assert_eq!(requests(&server).await, 4);
}

#[tokio::test]
async fn retry_after_beyond_max_delay_is_reported_not_waited() {
    let server = answering(
        "GET",
        ResponseTemplate::new(429).insert_header("retry-after", "120"),
    )
    .await;
    let e = get_fails(&server, fast_retries(), "a").await;
    assert_eq!(e.retry_after(), Some(Duration::from_secs(120)));
    assert!(e.to_string().contains("retry after 120"));
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn unavailable_with_a_long_retry_after_carries_it() {
    let server = answering(
        "GET",
        ResponseTemplate::new(503)
            .insert_header("retry-after", "120")
            .set_body_json(json!({"message": "Down for maintenance", "status": 0})),
    )
    .await;
    let e = get_fails(&server, fast_retries(), "a").await;
    assert!(
        matches!(&e, Error::Api { status: 503, message, .. } if message == "Down for maintenance"),
        "{e:?}"
    );
    assert_eq!(e.retry_after(), Some(Duration::from_secs(120)));
    assert_eq!(
        requests(&server).await,
        1,
        "longer than max_delay: not waited"
    );
}

#[tokio::test]
async fn oversized_bodies_are_not_buffered_whole() {
    let server = MockServer::start().await;
    let huge = "x".repeat(9 * 1024 * 1024);
    Mock::given(method("GET"))
        .and(path("/v1/customers/big"))
        .respond_with(ResponseTemplate::new(200).set_body_string(huge.clone()))
        .mount(&server)
        .await;
    // Valid JSON whose message would be read if the whole body were: only the cap stops it.
    let huge_json = format!(r#"{{"message":"whole body read","pad":"{huge}"}}"#);
    Mock::given(method("GET"))
        .and(path("/v1/customers/broken"))
        .respond_with(ResponseTemplate::new(500).set_body_string(huge_json))
        .mount(&server)
        .await;
    let c = client(&server, RetryPolicy::none());
    match c.customers().get("big").await.unwrap_err() {
        Error::Decode {
            status,
            reason,
            snippet,
        } => {
            assert_eq!(status, 200);
            assert!(reason.contains("larger than 8 MiB"), "{reason}");
            assert!(snippet.chars().count() <= 201, "{}", snippet.len());
        }
        other => panic!("{other:?}"),
    }
    match c.customers().get("broken").await.unwrap_err() {
        Error::Api {
            status, message, ..
        } => {
            assert_eq!(status, 500);
            assert!(
                message.starts_with(r#"{"message":"whole body read""#)
                    && message.chars().count() <= 201,
                "the truncated body is not JSON, so its first bytes are the message: {}",
                message.chars().take(40).collect::<String>()
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_keyed_sale_answered_with_an_oversized_body_is_read_back_not_resent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/transactions"))
        // A valid transaction, padded past the cap: only the cap makes the client read it back.
        .respond_with(ResponseTemplate::new(201).set_body_string(format!(
            r#"{{"data":{{"key":"order-1","amount":10}},"pad":"{}"}}"#,
            "x".repeat(9 * 1024 * 1024)
        )))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/transactions/order-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"data": {"key": "order-1", "amount": 10, "action": "sale"}, "status": 1}),
        ))
        .mount(&server)
        .await;
    let sale = Sale::new(Decimal::from(10)).key("order-1");
    let t = client(&server, fast_retries())
        .transactions()
        .create("buyer", &sale)
        .await
        .unwrap();
    assert_eq!(t.key.as_deref(), Some("order-1"));
    let sent = server.received_requests().await.unwrap();
    let posts = sent.iter().filter(|r| r.method.as_str() == "POST").count();
    assert_eq!(posts, 1, "the recorded sale is never resent");
    let gets = sent.iter().filter(|r| r.method.as_str() == "GET").count();
    assert_eq!(
        gets, 1,
        "the unreadable answer was replaced by a read by key"
    );
}

#[tokio::test]
async fn long_server_messages_are_truncated() {
    let server = MockServer::start().await;
    let long = "m".repeat(100_000);
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(json!({"message": long, "status": 0})),
        )
        .mount(&server)
        .await;
    let e = get_fails(&server, RetryPolicy::none(), "a").await;
    match &e {
        Error::Api { message, .. } => {
            assert_eq!(
                message.chars().count(),
                1001,
                "1000 characters and an ellipsis"
            );
            assert!(message.ends_with('…'));
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().len() < 1200);
}

#[tokio::test]
async fn no_retry_policy_sends_once() {
    let server = answering("GET", ResponseTemplate::new(503)).await;
    let e = get_fails(&server, RetryPolicy::none(), "a").await;
    assert_eq!(e.status(), Some(503));
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn non_idempotent_posts_are_not_retried_on_server_errors() {
    let server = answering("POST", ResponseTemplate::new(500)).await;
    let c = client(&server, fast_retries());
    let e = c
        .partners()
        .create(&partnero_client::NewPartner::new("p@example.com"))
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(500));
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn timeouts_are_reported() {
    let server = answering(
        "GET",
        ResponseTemplate::new(200)
            .set_body_json(json!({"data": {}, "status": 1}))
            .set_delay(Duration::from_secs(10)),
    )
    .await;
    let c = Partnero::builder(KEY)
        .base_url(format!("{}/v1", server.uri()))
        .timeout(Duration::from_millis(100))
        .retry(fast_retries().max_attempts(2))
        .build()
        .unwrap();
    let e = c.customers().get("a").await.unwrap_err();
    assert!(matches!(e, Error::Timeout), "{e:?}");
    assert!(e.to_string().contains("timed out"));
    assert_eq!(requests(&server).await, 2, "a timed-out GET is retried");
}

#[tokio::test]
async fn connection_refused_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let c = Partnero::builder(KEY)
        .base_url(format!("http://127.0.0.1:{port}/v1"))
        .retry(fast_retries())
        .build()
        .unwrap();
    let e = c.customers().get("ann@example.com").await.unwrap_err();
    assert!(e.is_connect(), "{e:?}");
    assert!(e.to_string().starts_with("could not connect to Partnero"));
    // The cause is the source, and is not repeated in the message: a reporter walking the
    // chain prints it once.
    let cause = std::error::Error::source(&e).expect("the transport error is the source");
    assert!(!e.to_string().contains(&cause.to_string()), "{e}");
    assert_no_secret(&e);
    // Customer keys are often e-mail addresses: the URL (and its path) stays out of the error,
    // its source included.
    let shown = format!("{e} {e:?} {cause}");
    assert!(
        !shown.contains("ann") && !shown.contains("/customers/"),
        "{shown}"
    );
}

#[tokio::test]
async fn delete_404_after_an_ambiguous_failure_counts_as_done() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(json!({"message": "Not found", "status": 0})),
        )
        .mount(&server)
        .await;
    let c = client(&server, fast_retries());
    c.customers().delete("a").await.unwrap();
    // A plain 404 is still an error.
    let e = c.customers().delete("a").await.unwrap_err();
    assert!(e.is_not_found());
}

#[tokio::test]
async fn customer_duplicate_after_an_ambiguous_failure_is_success() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/customers"))
        .respond_with(ResponseTemplate::new(504))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/customers"))
        .respond_with(
            ResponseTemplate::new(422)
                .set_body_json(json!({"message": "Duplicate key", "status": 0})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/customers/user-1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"key": "user-1"}, "status": 1})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server, fast_retries())
        .customers()
        .create(&NewCustomer::new("user-1"))
        .await
        .unwrap();
    assert_eq!(c.key.as_deref(), Some("user-1"));
}

#[test]
fn the_key_never_shows() {
    let c = Partnero::new(KEY);
    assert!(!format!("{c:?}").contains(KEY));
    let built = Partnero::builder(KEY).build().unwrap();
    assert!(!format!("{built:?}").contains(KEY));
    let key = partnero_client::ApiKey::from(KEY);
    assert!(!format!("{key} {key:?}").contains(KEY));
}
