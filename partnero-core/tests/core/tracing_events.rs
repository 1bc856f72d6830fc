//! Ignored values leave a `debug` event naming the cookie or parameter and the reason, and
//! never the value itself or the whole header.

use partnero_core::{RequestInfo, TrackingConfig};
use tracing::Level;

use crate::event_recorder::Recorder;

#[test]
fn ignored_values_are_logged_at_debug_without_the_value() {
    let recorder = Recorder::default();
    let headers = [(
        "cookie",
        &b"session=SECRET-SESSION; partnero_partner=bad%zzSECRET; partnero_referral=ok"[..],
    )];
    let config = TrackingConfig::default().partner_path_prefix("/aff/");
    let guard = recorder.install();
    let capture = config.capture(&RequestInfo::new(
        "GET",
        "/aff/a%20bSECRET",
        Some("ref=a+bSECRET&x=1"),
        &headers,
    ));
    drop(guard);
    assert_eq!(
        capture.context.referrer_key().map(|k| k.as_str()),
        Some("ok")
    );
    assert!(capture.context.partner.is_none());

    let lines = recorder.lines();
    let debug: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with(&format!("event {}", Level::DEBUG)))
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
