//! Shared set-up: a sandbox, outboxes on a temporary SQLite file or a fresh PostgreSQL
//! schema, dispatchers with short settings, and the sandbox-side counts every case checks.

#![allow(dead_code, unreachable_pub)]

use std::time::{Duration, Instant};

use partnero_client::{NewCustomer, Partnero, Sale};
use partnero_core::{KeySource, ReferralContext, ReferralKey};
use partnero_outbox::{Backend, DispatcherBuilder, Event, Outbox};
use partnero_sandbox::{ProgramKind, Sandbox, SandboxConfig};
use rust_decimal::Decimal;

pub struct Env {
    pub sandbox: Sandbox,
    pub api_key: String,
    pub client: Partnero,
}

pub async fn env() -> Env {
    let sandbox = Sandbox::start(SandboxConfig::new().seed_demo(true))
        .await
        .expect("sandbox starts");
    let api_key = sandbox
        .key_for(ProgramKind::Affiliate)
        .expect("affiliate key");
    let client = Partnero::builder(api_key.as_str())
        .base_url(sandbox.base_url())
        .build()
        .expect("client");
    Env {
        sandbox,
        api_key,
        client,
    }
}

/// Short settings: 500 ms per request, settle 2 s, backoff 20..300 ms, poll 50 ms, lease 2 s.
pub fn fast<DB: Backend>(outbox: &Outbox<DB>, env: &Env) -> DispatcherBuilder {
    outbox
        .dispatcher(env.client.clone())
        .timeout(Duration::from_millis(500))
        .settle(Duration::from_secs(2))
        .lease(Duration::from_secs(2))
        .backoff(Duration::from_millis(20), Duration::from_millis(300))
        .poll_interval(Duration::from_millis(50))
        .auth_pause(Duration::from_millis(300))
}

pub fn referred() -> ReferralContext {
    ReferralContext::new()
        .with_partner(
            ReferralKey::parse("demo-partner").unwrap(),
            KeySource::Cookie,
        )
        .with_landing_url("https://shop.example/?aff=demo-partner")
}

pub fn signup(customer: &str) -> Event {
    Event::signup(
        &referred(),
        NewCustomer::new(customer).email(format!("{customer}@example.com")),
    )
}

pub fn sale(customer: &str, tx: &str) -> Event {
    Event::sale(customer, Sale::new(Decimal::new(4999, 2)).key(tx))
}

pub async fn sqlite_outbox(dir: &tempfile::TempDir) -> Outbox<sqlx::Sqlite> {
    Outbox::sqlite(dir.path().join("outbox.db").to_str().unwrap())
        .await
        .expect("sqlite outbox")
}

impl Env {
    /// Transactions the sandbox recorded with this key (a resent sale shows as two).
    pub fn transactions(&self, key: &str) -> usize {
        self.sandbox
            .state()
            .transactions_with_key(&self.api_key, key)
            .len()
    }

    /// Recorded and not refunded.
    pub fn live(&self, key: &str) -> usize {
        self.sandbox
            .state()
            .transactions_with_key(&self.api_key, key)
            .iter()
            .filter(|t| !t.deleted)
            .count()
    }

    /// Every transaction the sandbox recorded, by customer, in the order Partnero recorded
    /// them: `(transaction key, refunded)`.
    pub fn sales_by_customer(&self) -> std::collections::HashMap<String, Vec<(String, bool)>> {
        let state = self.sandbox.state();
        let mut recorded = state.transactions(&self.api_key).to_vec();
        recorded.sort_by_key(|t| t.uid);
        let mut by_customer: std::collections::HashMap<String, Vec<(String, bool)>> =
            std::collections::HashMap::new();
        for t in recorded {
            by_customer
                .entry(t.customer_key)
                .or_default()
                .push((t.key, t.deleted));
        }
        by_customer
    }

    /// Customers the sandbox holds with this key (a sign-up created twice shows as two).
    pub fn customers_with_key(&self, key: &str) -> usize {
        self.sandbox
            .state()
            .customers(&self.api_key)
            .iter()
            .filter(|c| c.key == key)
            .count()
    }

    pub fn customer_partner(&self, key: &str) -> Option<Option<String>> {
        self.sandbox
            .state()
            .customer(&self.api_key, key)
            .map(|c| c.partner.as_ref().map(|p| p.key.clone()))
    }

    /// The journeys of customers `<prefix>-0` .. `<prefix>-<customers - 1>` (a sign-up, sales
    /// `-a` and `-b`, then the refund of `-a`) arrived exactly once and in order: each customer
    /// attributed (its sales would have been refused before its sign-up), each sale recorded
    /// once, `-a` refunded (a refund before its sale would have found nothing), `-b` kept.
    pub fn assert_each_journey_once(&self, prefix: &str, customers: u64) {
        for c in 0..customers {
            let customer = format!("{prefix}-{c}");
            assert_eq!(
                self.customer_partner(&customer),
                Some(Some("demo-partner".into())),
                "{customer} attributed"
            );
            let (a, b) = (format!("{customer}-a"), format!("{customer}-b"));
            assert_eq!(self.transactions(&a), 1, "{a} once");
            assert_eq!(self.live(&a), 0, "{a} refunded");
            assert_eq!(self.transactions(&b), 1, "{b} once");
            assert_eq!(self.live(&b), 1, "{b} kept");
        }
    }
}

/// Waits until `done` holds, checking every 50 ms, for at most `limit` (a bound on a hang,
/// not a speed target: every case that uses it also asserts the end state).
pub async fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    done()
}

/// Like [`eventually`], for a condition read from the outbox.
pub async fn until_stats<DB: Backend>(
    outbox: &Outbox<DB>,
    limit: Duration,
    done: impl Fn(&partnero_outbox::Stats) -> bool,
) -> partnero_outbox::Stats {
    let start = Instant::now();
    loop {
        let stats = outbox.stats().await.expect("stats");
        if done(&stats) || start.elapsed() > limit {
            return stats;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub const LONG: Duration = Duration::from_secs(60);

pub mod cases;
pub mod purchase_cases;
pub mod webhook_cases;
