//! The capture counters (issue 12, item 10): landings with a key, cookies set, cookies refused
//! and why, through the `metrics` facade.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use metrics::{
    Counter, CounterFn, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit,
};
use partnero_core::{RequestInfo, TrackingConfig};

/// Counts every counter by `name{label=value,...}`.
#[derive(Default)]
struct Counts(Mutex<BTreeMap<String, Arc<AtomicU64>>>);

struct Cell(Arc<AtomicU64>);

impl CounterFn for Cell {
    fn increment(&self, value: u64) {
        self.0.fetch_add(value, Ordering::Relaxed);
    }
    fn absolute(&self, value: u64) {
        self.0.store(value, Ordering::Relaxed);
    }
}

impl Recorder for Counts {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        let labels: Vec<String> = key
            .labels()
            .map(|l| format!("{}={}", l.key(), l.value()))
            .collect();
        let name = format!("{}{{{}}}", key.name(), labels.join(","));
        let cell = Arc::clone(self.0.lock().unwrap().entry(name).or_default());
        Counter::from_arc(Arc::new(Cell(cell)))
    }
    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::noop()
    }
    fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::noop()
    }
}

impl Counts {
    fn get(&self, name: &str) -> u64 {
        self.0
            .lock()
            .unwrap()
            .get(name)
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }
}

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
