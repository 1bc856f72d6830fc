//! Fault injection: failing, delaying, dropping and refusing, optionally
//! scoped to a method and path prefix.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::http::StatusCode;
use serde::Serialize;
use tokio::sync::watch;

use crate::stats::Stats;

/// What to do to a request a fault rule matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum FaultAction {
    /// Answer `status` without processing (`Retry-After` and a raw body optional).
    Fail {
        status: u16,
        retry_after: Option<u64>,
        /// Send `retry_after` as an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`), not seconds.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        retry_after_as_date: bool,
        body: Option<String>,
    },
    /// Close the connection without processing or answering.
    Drop,
    /// Process the request (it is stored), then answer `status`.
    ProcessThenFail { status: u16 },
    /// Process the request (it is stored), then close the connection without answering.
    ProcessThenDrop,
    /// Wait `millis`, then process the request and answer normally; the processing
    /// finishes even if the client gave up meanwhile.
    ProcessSlowly { millis: u64 },
}

/// Which requests a fault applies to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Scope {
    /// Upper-case method, or any.
    pub(crate) method: Option<String>,
    /// Raw path prefix, or any.
    pub(crate) path_prefix: Option<String>,
}

/// The scope method of faults that apply to webhook deliveries instead of API requests.
pub(crate) const DELIVERY_METHOD: &str = "WEBHOOK";

impl Scope {
    /// A delivery fault (method `WEBHOOK`) whose prefix matches the event name.
    fn for_delivery_of(&self, event: &str) -> bool {
        self.method.as_deref() == Some(DELIVERY_METHOD)
            && self
                .path_prefix
                .as_deref()
                .is_none_or(|p| event.starts_with(p))
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.method.as_deref().is_none_or(|m| m == method)
            && self
                .path_prefix
                .as_deref()
                .is_none_or(|p| path.starts_with(p))
    }
}

#[derive(Debug, Clone, Serialize)]
struct Rule {
    #[serde(flatten)]
    scope: Scope,
    remaining: u32,
    action: FaultAction,
}

#[derive(Debug, Clone, Serialize)]
struct Latency {
    #[serde(flatten)]
    scope: Scope,
    millis: u64,
}

/// Connection-level switches, watched by the accept loop and open connections.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ConnMode {
    /// Stop listening: new connections are refused, open ones are closed.
    pub(crate) refuse: bool,
    /// Accept connections and close them at once.
    pub(crate) close_on_accept: bool,
    /// Bumped on every change.
    pub(crate) generation: u64,
}

#[derive(Debug, Default)]
struct Rules {
    rules: Vec<Rule>,
    latencies: Vec<Latency>,
}

#[derive(Debug)]
struct Inner {
    rules: Mutex<Rules>,
    mode: watch::Sender<ConnMode>,
    applied: watch::Sender<u64>,
    stats: Arc<Stats>,
    runtime: tokio::runtime::Handle,
}

/// Handle to the fault controls of a running [`Sandbox`](crate::Sandbox).
///
/// Cheap to clone; every clone controls the same sandbox. Faults apply to API
/// requests only, never to the admin routes under `/_sandbox/`. Request-level
/// faults (`fail_next`, `drop_next`, `process_then_*`) are consumed in the order
/// they were added: each matching request uses up one from the first rule that
/// still has some left. [`Faults::on`] narrows a handle to a method and path prefix.
#[derive(Debug, Clone)]
pub struct Faults {
    inner: Arc<Inner>,
    scope: Scope,
}

/// A status usable for an injected failure: any 4xx/5xx, else 500.
fn error_status(status: u16) -> u16 {
    match StatusCode::from_u16(status) {
        Ok(s) if s.is_client_error() || s.is_server_error() => status,
        _ => 500,
    }
}

impl Faults {
    pub(crate) fn new(stats: Arc<Stats>, runtime: tokio::runtime::Handle) -> Self {
        Faults {
            inner: Arc::new(Inner {
                rules: Mutex::new(Rules::default()),
                mode: watch::channel(ConnMode::default()).0,
                applied: watch::channel(0).0,
                stats,
                runtime,
            }),
            scope: Scope::default(),
        }
    }

    fn rules(&self) -> MutexGuard<'_, Rules> {
        self.inner.rules.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A handle whose faults only apply to requests with this method (`"*"` or
    /// `""` for any) whose raw path starts with `path_prefix`, e.g.
    /// `faults.on("POST", "/v1/transactions").fail_next(1, 500)`.
    pub fn on(&self, method: &str, path_prefix: &str) -> Faults {
        let method = method.trim();
        Faults {
            inner: Arc::clone(&self.inner),
            scope: Scope {
                method: (!method.is_empty() && method != "*").then(|| method.to_ascii_uppercase()),
                path_prefix: (!path_prefix.is_empty()).then(|| path_prefix.to_owned()),
            },
        }
    }

    pub(crate) fn add(&self, n: u32, action: FaultAction) {
        if n == 0 {
            return;
        }
        self.rules().rules.push(Rule {
            scope: self.scope.clone(),
            remaining: n,
            action,
        });
    }

    /// Answers the next `n` requests with `status` (any 4xx/5xx; others become 500)
    /// and the error envelope, without processing them.
    pub fn fail_next(&self, n: u32, status: u16) {
        self.add(
            n,
            FaultAction::Fail {
                status: error_status(status),
                retry_after: None,
                retry_after_as_date: false,
                body: None,
            },
        );
    }

    /// Like [`fail_next`](Self::fail_next), with a `Retry-After: secs` header (e.g. 429 or 503).
    pub fn fail_next_with_retry_after(&self, n: u32, status: u16, secs: u64) {
        self.add(
            n,
            FaultAction::Fail {
                status: error_status(status),
                retry_after: Some(secs),
                retry_after_as_date: false,
                body: None,
            },
        );
    }

    /// Like [`fail_next_with_retry_after`](Self::fail_next_with_retry_after), with the
    /// `Retry-After` as an HTTP date `secs` seconds from now (the other form RFC 9110 allows).
    pub fn fail_next_with_retry_after_date(&self, n: u32, status: u16, secs: u64) {
        self.add(
            n,
            FaultAction::Fail {
                status: error_status(status),
                retry_after: Some(secs),
                retry_after_as_date: true,
                body: None,
            },
        );
    }

    /// Like [`fail_next`](Self::fail_next), but with this raw `text/html` body instead
    /// of the JSON envelope (what a proxy in front of the API might send).
    pub fn fail_next_with_body(&self, n: u32, status: u16, body: impl Into<String>) {
        self.add(
            n,
            FaultAction::Fail {
                status: error_status(status),
                retry_after: None,
                retry_after_as_date: false,
                body: Some(body.into()),
            },
        );
    }

    /// Closes the connection of the next `n` requests without processing or answering them.
    pub fn drop_next(&self, n: u32) {
        self.add(n, FaultAction::Drop);
    }

    /// Processes the next `n` requests fully (their effects are stored), then
    /// answers `status` instead of the real answer: the ambiguous failure.
    pub fn process_then_fail_next(&self, n: u32, status: u16) {
        self.add(
            n,
            FaultAction::ProcessThenFail {
                status: error_status(status),
            },
        );
    }

    /// Processes the next `n` requests fully (their effects are stored), then
    /// closes the connection without answering.
    pub fn process_then_drop_next(&self, n: u32) {
        self.add(n, FaultAction::ProcessThenDrop);
    }

    /// Delays the next `n` requests by `delay`, then processes them (their effects are
    /// stored) and answers normally. Unlike [`latency`](Self::latency), whose delayed request
    /// may be abandoned when the client closes its connection, the processing here runs to the
    /// end even when the client times out meanwhile: a request still being processed when the
    /// client gave up, as a real server behind a proxy behaves.
    pub fn process_slowly_next(&self, n: u32, delay: Duration) {
        self.add(
            n,
            FaultAction::ProcessSlowly {
                millis: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            },
        );
    }

    /// Delays every request in this handle's scope by `delay` before anything
    /// else happens to it, until [`reset`](Self::reset). `Duration::ZERO` removes
    /// the latency of this scope. A request whose client closes the connection during the
    /// latency may be abandoned, never processed (see
    /// [`process_slowly_next`](Self::process_slowly_next) for one that is).
    pub fn latency(&self, delay: Duration) {
        let mut rules = self.rules();
        rules.latencies.retain(|l| l.scope != self.scope);
        if !delay.is_zero() {
            rules.latencies.push(Latency {
                scope: self.scope.clone(),
                millis: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            });
        }
    }

    fn set_mode(&self, change: impl FnOnce(&mut ConnMode)) -> u64 {
        let mut generation = 0;
        self.inner.mode.send_modify(|mode| {
            change(mode);
            mode.generation += 1;
            generation = mode.generation;
        });
        generation
    }

    /// `true`: stop listening, so new connections are refused by the OS
    /// (a connect error), and close open connections. `false`: listen again on
    /// the same port. Applies to the whole sandbox (not scoped) and takes effect
    /// within milliseconds; `await` [`settled`](Self::settled) to be sure.
    /// Note that the admin routes are unreachable while refusing; over HTTP use
    /// a duration (see the README).
    pub fn refuse_connections(&self, on: bool) {
        self.set_mode(|m| m.refuse = on);
    }

    /// Refuses connections for `duration`, then listens again.
    pub fn refuse_connections_for(&self, duration: Duration) {
        let generation = self.set_mode(|m| m.refuse = true);
        let faults = self.clone();
        self.inner.runtime.spawn(async move {
            tokio::time::sleep(duration).await;
            // Only lift it if nobody changed the connection switches since.
            if faults.inner.mode.borrow().generation == generation {
                faults.refuse_connections(false);
            }
        });
    }

    /// `true`: accept new connections and close them at once, before reading
    /// anything (the client sees its connection reset or closed).
    pub fn close_on_accept(&self, on: bool) {
        self.set_mode(|m| m.close_on_accept = on);
    }

    /// Waits until the connection switches are in effect: the listener is
    /// closed or open again as requested, and, when refusing, no connection is
    /// left open. Gives up after two seconds.
    pub async fn settled(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        loop {
            let mode = self.inner.mode.borrow().clone();
            let applied = *self.inner.applied.borrow() >= mode.generation;
            let drained = !mode.refuse || self.inner.stats.open_connections() == 0;
            if (applied && drained) || tokio::time::Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Removes every fault: pending failures and drops, latencies, refusing
    /// and closing connections (in every scope, whatever this handle's scope).
    pub fn reset(&self) {
        {
            let mut rules = self.rules();
            rules.rules.clear();
            rules.latencies.clear();
        }
        self.set_mode(|m| {
            m.refuse = false;
            m.close_on_accept = false;
        });
    }

    /// How many request-level faults are still waiting to happen (all scopes).
    pub fn pending(&self) -> u64 {
        self.rules()
            .rules
            .iter()
            .map(|r| u64::from(r.remaining))
            .sum()
    }

    /// API requests seen so far (the same counter as [`Sandbox::requests_seen`](crate::Sandbox::requests_seen)).
    pub fn requests_seen(&self) -> u64 {
        self.inner.stats.requests_seen()
    }

    /// A handle whose faults apply to webhook deliveries of events whose name starts with
    /// `event_prefix` (`""` for every event), not to API requests:
    /// `faults.on_webhooks("transaction.").drop_next(1)`. The same as
    /// `on("WEBHOOK", event_prefix)`; see the README for what each fault does to a delivery.
    pub fn on_webhooks(&self, event_prefix: &str) -> Faults {
        self.on(DELIVERY_METHOD, event_prefix)
    }

    /// Uses up the first matching request-level fault, if any.
    pub(crate) fn take(&self, method: &str, path: &str) -> Option<FaultAction> {
        self.take_where(|scope| scope.matches(method, path))
    }

    /// Uses up the first fault scoped to deliveries of `event` (never an unscoped one: a fault
    /// meant for API requests does not touch deliveries).
    pub(crate) fn take_delivery(&self, event: &str) -> Option<FaultAction> {
        self.take_where(|scope| scope.for_delivery_of(event))
    }

    /// The latency added to deliveries of `event`.
    pub(crate) fn delivery_latency(&self, event: &str) -> Option<Duration> {
        self.rules()
            .latencies
            .iter()
            .filter(|l| l.scope.for_delivery_of(event))
            .map(|l| Duration::from_millis(l.millis))
            .max()
    }

    fn take_where(&self, matches: impl Fn(&Scope) -> bool) -> Option<FaultAction> {
        let mut rules = self.rules();
        let index = rules
            .rules
            .iter()
            .position(|r| r.remaining > 0 && matches(&r.scope))?;
        let rule = &mut rules.rules[index];
        rule.remaining -= 1;
        let action = rule.action.clone();
        if rule.remaining == 0 {
            rules.rules.remove(index);
        }
        Some(action)
    }

    /// The added latency for a request (the largest matching one).
    pub(crate) fn latency_for(&self, method: &str, path: &str) -> Option<Duration> {
        self.rules()
            .latencies
            .iter()
            .filter(|l| l.scope.matches(method, path))
            .map(|l| Duration::from_millis(l.millis))
            .max()
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<ConnMode> {
        self.inner.mode.subscribe()
    }

    pub(crate) fn mark_applied(&self, generation: u64) {
        self.inner.applied.send_replace(generation);
    }

    /// The current faults as JSON (for the admin route).
    pub(crate) fn describe(&self) -> serde_json::Value {
        let rules = self.rules();
        let mode = self.inner.mode.borrow().clone();
        serde_json::json!({
            "rules": rules.rules,
            "latencies": rules.latencies,
            "refuse_connections": mode.refuse,
            "close_on_accept": mode.close_on_accept,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn rules_are_consumed_in_order_and_scoped() {
        let faults = Faults::new(
            Arc::new(Stats::default()),
            tokio::runtime::Handle::current(),
        );
        faults.on("POST", "/v1/transactions").drop_next(1);
        faults.fail_next(2, 503);
        assert_eq!(faults.pending(), 3);
        assert_eq!(
            faults.take("GET", "/v1/customers"),
            Some(FaultAction::Fail {
                status: 503,
                retry_after: None,
                retry_after_as_date: false,
                body: None
            })
        );
        assert_eq!(
            faults.take("POST", "/v1/transactions"),
            Some(FaultAction::Drop)
        );
        assert!(matches!(
            faults.take("POST", "/v1/transactions"),
            Some(FaultAction::Fail { .. })
        ));
        assert_eq!(faults.take("POST", "/v1/transactions"), None);
        faults.fail_next(1, 200);
        assert!(matches!(
            faults.take("GET", "/"),
            Some(FaultAction::Fail { status: 500, .. })
        ));
    }

    #[tokio::test]
    async fn latency_is_scoped_and_resettable() {
        let faults = Faults::new(
            Arc::new(Stats::default()),
            tokio::runtime::Handle::current(),
        );
        faults
            .on("", "/v1/partners")
            .latency(Duration::from_millis(30));
        assert_eq!(
            faults.latency_for("GET", "/v1/partners/x"),
            Some(Duration::from_millis(30))
        );
        assert_eq!(faults.latency_for("GET", "/v1/customers"), None);
        faults.reset();
        assert_eq!(faults.latency_for("GET", "/v1/partners/x"), None);
    }
}
