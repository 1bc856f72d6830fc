//! Each attempt runs in a `partnero.request` span with method, path template, attempt and
//! status; neither the API key nor the user-supplied key appears in any span or event.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use partnero_client::{Partnero, RetryPolicy};
use serde_json::json;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const API_KEY: &str = "sk_live_tracing_secret";
const CUSTOMER: &str = "private.person@example.com";

/// Records span creations, span records and events as text lines.
#[derive(Clone, Default)]
pub(crate) struct Recorder {
    pub(crate) lines: Arc<Mutex<Vec<String>>>,
    next_id: Arc<AtomicU64>,
}

struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={:?}", field.name(), value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push_str(&format!(" {}={}", field.name(), value));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let mut line = Line(format!("span {}", attrs.metadata().name()));
        attrs.record(&mut line);
        self.lines.lock().unwrap().push(line.0);
        Id::from_u64(self.next_id.fetch_add(1, Ordering::Relaxed) + 1)
    }
    fn record(&self, _: &Id, values: &Record<'_>) {
        let mut line = Line("record".to_owned());
        values.record(&mut line);
        self.lines.lock().unwrap().push(line.0);
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut line = Line(format!("event {}", event.metadata().level()));
        event.record(&mut line);
        self.lines.lock().unwrap().push(line.0);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

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
    let guard = tracing::subscriber::set_default(recorder.clone());
    client.customers().get(CUSTOMER).await.unwrap();
    drop(guard);

    let lines = recorder.lines.lock().unwrap().clone();
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
