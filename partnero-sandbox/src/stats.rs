//! Counters of what the sandbox has seen.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// A snapshot of the request counters (also `GET /_sandbox/stats`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RequestStats {
    /// API requests seen (admin routes under `/_sandbox/` excluded), faulted ones included.
    pub requests_seen: u64,
    /// Requests per `"METHOD /path"` (raw path, no query).
    pub by_route: BTreeMap<String, u64>,
    /// Requests answered by an injected failure or dropped (added latency is not counted).
    pub faults_injected: u64,
    /// TCP connections accepted.
    pub connections_accepted: u64,
    /// Connections open right now.
    pub open_connections: u64,
}

/// Live counters.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    requests: Mutex<(u64, BTreeMap<String, u64>)>,
    faults_injected: AtomicU64,
    connections_accepted: AtomicU64,
    open_connections: AtomicU64,
}

/// Decrements the open-connection counter when dropped.
pub(crate) struct OpenConnection<'a>(&'a Stats);

impl Drop for OpenConnection<'_> {
    fn drop(&mut self) {
        self.0.open_connections.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Stats {
    pub(crate) fn record_request(&self, method: &str, path: &str) {
        let mut guard = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        guard.0 += 1;
        *guard.1.entry(format!("{method} {path}")).or_default() += 1;
    }

    pub(crate) fn record_fault(&self) {
        self.faults_injected.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn connection_opened(&self) -> OpenConnection<'_> {
        self.connections_accepted.fetch_add(1, Ordering::SeqCst);
        self.open_connections.fetch_add(1, Ordering::SeqCst);
        OpenConnection(self)
    }

    pub(crate) fn open_connections(&self) -> u64 {
        self.open_connections.load(Ordering::SeqCst)
    }

    pub(crate) fn requests_seen(&self) -> u64 {
        self.requests.lock().unwrap_or_else(|p| p.into_inner()).0
    }

    pub(crate) fn requests_for(&self, method: &str, path: &str) -> u64 {
        let guard = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        guard
            .1
            .get(&format!("{} {path}", method.to_ascii_uppercase()))
            .copied()
            .unwrap_or(0)
    }

    pub(crate) fn snapshot(&self) -> RequestStats {
        let guard = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        RequestStats {
            requests_seen: guard.0,
            by_route: guard.1.clone(),
            faults_injected: self.faults_injected.load(Ordering::SeqCst),
            connections_accepted: self.connections_accepted.load(Ordering::SeqCst),
            open_connections: self.open_connections.load(Ordering::SeqCst),
        }
    }

    /// Zeroes the request and fault counters (connection counters keep counting).
    pub(crate) fn reset(&self) {
        let mut guard = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        *guard = (0, BTreeMap::new());
        self.faults_injected.store(0, Ordering::SeqCst);
    }
}
