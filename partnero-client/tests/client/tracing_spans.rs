//! Each attempt runs in a `partnero.request` span with method, path template, attempt and
//! status; neither the API key nor the user-supplied key appears in any span or event.

use std::time::Duration;

use partnero_client::{Partnero, RetryPolicy};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::event_recorder::Recorder;

const API_KEY: &str = "sk_live_tracing_secret";
const CUSTOMER: &str = "private.person@example.com";

#[tokio::test]
async fn spans_name_the_template_and_attempt_but_no_secret() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"key": CUSTOMER}, "status": 1})),
        )
        .mount(&server)
        .await;
    let client = Partnero::builder(API_KEY)
        .base_url(format!("{}/v1", server.uri()))
        .retry(RetryPolicy::default().base_delay(Duration::from_millis(5)))
        .build()
        .unwrap();

    let recorder = Recorder::default();
    let guard = recorder.install();
    client.customers().get(CUSTOMER).await.unwrap();
    drop(guard);

    let lines = recorder.lines();
    let spans: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with("span partnero.request"))
        .collect();
    assert_eq!(spans.len(), 2, "{lines:#?}");
    assert!(spans[0].contains("method=GET"), "{}", spans[0]);
    assert!(spans[0].contains("path=/customers/{key}"), "{}", spans[0]);
    assert!(spans[0].contains("attempt=1"), "{}", spans[0]);
    assert!(spans[1].contains("attempt=2"), "{}", spans[1]);
    assert!(lines.iter().any(|l| l == "record status=503"), "{lines:#?}");
    assert!(lines.iter().any(|l| l == "record status=200"), "{lines:#?}");
    for line in &lines {
        assert!(!line.contains(API_KEY), "{line}");
        assert!(!line.contains("private.person"), "{line}");
    }
}
