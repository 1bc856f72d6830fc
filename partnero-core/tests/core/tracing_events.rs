//! Ignored values leave a `debug` event naming the cookie or parameter and the reason, and
//! never the value itself or the whole header.

use std::sync::{Arc, Mutex};

use partnero_core::{RequestInfo, TrackingConfig};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// Records every event as `level message field=value ...`.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

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
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut line = Line(event.metadata().level().to_string());
        event.record(&mut line);
        self.0.lock().unwrap().push(line.0);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn ignored_values_are_logged_at_debug_without_the_value() {
    let recorder = Recorder::default();
    let headers = [(
        "cookie",
        &b"session=SECRET-SESSION; partnero_partner=bad%zzSECRET; partnero_referral=ok"[..],
    )];
    let config = TrackingConfig::default().partner_path_prefix("/aff/");
    let capture = tracing::subscriber::with_default(recorder.clone(), || {
        config.capture(&RequestInfo::new(
            "GET",
            "/aff/a%20bSECRET",
            Some("ref=a+bSECRET&x=1"),
            &headers,
        ))
    });
    assert_eq!(
        capture.context.referrer_key().map(|k| k.as_str()),
        Some("ok")
    );
    assert!(capture.context.partner.is_none());

    let lines = recorder.0.lock().unwrap().clone();
    let debug: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with(&Level::DEBUG.to_string()))
        .collect();
    assert!(
        debug
            .iter()
            .any(|l| l.contains("cookie=partnero_partner") && l.contains("percent-escape")),
        "{lines:#?}"
    );
    assert!(
        debug
            .iter()
            .any(|l| l.contains("param=ref") && l.contains("forbidden character")),
        "{lines:#?}"
    );
    assert!(
        debug
            .iter()
            .any(|l| l.contains("prefix=/aff") && l.contains("forbidden character")),
        "{lines:#?}"
    );
    for line in &lines {
        assert!(
            !line.contains("SECRET"),
            "value leaked into a log line: {line}"
        );
    }
}
