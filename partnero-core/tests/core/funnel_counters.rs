//! The capture counters (issue 12, item 10): landings with a key, cookies set, cookies refused
//! and why, through the `metrics` facade.

use partnero_core::{RequestInfo, TrackingConfig};

use crate::counting_recorder::Counts;

#[test]
fn the_funnel_is_counted() {
    let counts = Counts::default();
    let config = TrackingConfig::default();
    let browser = [("user-agent", &b"Mozilla/5.0 Firefox/128.0"[..])];
    let crawler = [("user-agent", &b"Googlebot/2.1"[..])];
    let cookie = [("cookie", &b"partnero_partner=k"[..])];
    metrics::with_local_recorder(&counts, || {
        config.capture(&RequestInfo::new("GET", "/", Some("aff=k&ref=r"), &browser));
        config.capture(&RequestInfo::new("OPTIONS", "/", Some("aff=k"), &browser));
        config.capture(&RequestInfo::new("GET", "/", Some("aff=k"), &crawler));
        config.capture(&RequestInfo::new("POST", "/signup", None, &cookie));
        config.capture(&RequestInfo::new("GET", "/", None, &browser));
    });
    assert_eq!(counts.get("partnero_landings_total{program=affiliate}"), 3);
    assert_eq!(
        counts.get("partnero_landings_total{program=refer_a_friend}"),
        1
    );
    assert_eq!(
        counts.get("partnero_referral_cookies_set_total{program=affiliate}"),
        1
    );
    assert_eq!(
        counts.get("partnero_referral_cookies_set_total{program=refer_a_friend}"),
        1
    );
    assert_eq!(
        counts.get("partnero_referral_cookies_refused_total{reason=method}"),
        1
    );
    assert_eq!(
        counts.get("partnero_referral_cookies_refused_total{reason=crawler}"),
        1
    );
}
