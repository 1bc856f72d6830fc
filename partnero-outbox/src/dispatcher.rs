//! [`Dispatcher`]: the background task that claims due rows, delivers them to Partnero and
//! writes their new state back.
//!
//! One loop: release expired leases now and then, claim up to `concurrency` due rows (one per
//! customer), deliver them concurrently with a single-attempt client, write all their states
//! back in one transaction, repeat; when nothing is due, wait for a notification (PostgreSQL),
//! a [`nudge`](Dispatcher::nudge) or the poll interval. A database error never ends the loop:
//! it backs off and tries again.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use partnero_client::Partnero;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::deliver::{Decision, PauseReason, Policy, deliver};
use crate::event::Kind;
use crate::stats::Pause;
use crate::store::{Ack, Claimed, FAR_FUTURE, Store, Transition, state};
use crate::{Error, Stats};

/// The stores a dispatcher needs from its [`Outbox`](crate::Outbox).
pub(crate) struct StoreParts {
    pub(crate) store: Arc<dyn Store>,
    #[cfg(feature = "sqlite")]
    pub(crate) sqlite: Option<crate::store::sqlite::SqliteStore>,
}

/// Settings for a [`Dispatcher`]; from [`Outbox::dispatcher`](crate::Outbox::dispatcher).
///
/// | setting | default | why |
/// |---|---|---|
/// | `concurrency` | 8 | rows delivered at once (one per customer) |
/// | `timeout` | 10 s | per attempt; nobody waits on it, but a hung request holds a batch |
/// | `settle` | 120 s (at least 4 × `timeout`) | how long a sale whose outcome is unknown waits before it is looked up by key |
/// | `max_attempts` | 20 | then the row is dead (attempts during an outage, such as refused connections, timeouts or 502-504, do not count toward it) |
/// | `max_age` | 72 h | then the row is dead |
/// | `backoff` | 1 s doubling to 10 min, full jitter | between attempts of one row that Partnero refused (a 500, say) |
/// | `outage_pause` | 1 s (jittered 0.5-1 s) | while Partnero is unreachable the whole dispatcher pauses this long between tries, and its rows wait with it, so the backlog drains as soon as Partnero is back |
/// | `poll_interval` | 500 ms | SQLite has no notifications; PostgreSQL is woken by `LISTEN` |
/// | `lease` | 60 s (at least 3 × `timeout`) | a dispatcher that dies loses its rows for this long |
/// | `keep_delivered` | 7 days | delivered (and discarded) rows are then deleted; until then their idempotency key stays taken |
/// | `purge_interval` | 10 min | how often those rows are looked for (also once at start) |
#[derive(Debug)]
#[must_use = "call spawn() to start the dispatcher"]
pub struct DispatcherBuilder {
    parts: StoreParts,
    client: Partnero,
    policy: Policy,
    concurrency: u32,
    timeout: Duration,
    poll_interval: Duration,
    lease: Duration,
    keep_delivered: Duration,
    purge_interval: Duration,
}

impl std::fmt::Debug for StoreParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreParts")
    }
}

impl DispatcherBuilder {
    pub(crate) fn new(parts: StoreParts, client: Partnero) -> Self {
        Self {
            parts,
            client,
            policy: Policy::default(),
            concurrency: 8,
            timeout: Duration::from_secs(10),
            poll_interval: Duration::from_millis(500),
            lease: Duration::from_secs(60),
            keep_delivered: Duration::from_secs(7 * 24 * 3600),
            purge_interval: DEFAULT_PURGE_INTERVAL,
        }
    }

    /// Rows delivered at once (at least 1).
    pub fn concurrency(mut self, n: u32) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// The time limit of one request to Partnero.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long a sale whose outcome is unknown (a timeout, a 5xx, a dropped connection, a
    /// dispatcher that died mid-request) waits before it is looked up by key; raised to 4 ×
    /// the timeout when lower. Partnero may finish a request after the client gave up: a
    /// lookup before it has would find nothing, and the resend would pay twice.
    pub fn settle(mut self, settle: Duration) -> Self {
        self.policy.settle = settle;
        self
    }

    /// Attempts before a row is dead (at least 1). Attempts that failed because Partnero
    /// was unreachable or overloaded (refused connections, timeouts, 502-504) are not held
    /// against the event: only [`max_age`](Self::max_age) ends those.
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.policy.max_attempts = n.max(1);
        self
    }

    /// Age after which a row still failing is dead.
    pub fn max_age(mut self, age: Duration) -> Self {
        self.policy.max_age = age;
        self
    }

    /// Backoff between attempts of one row: full jitter under `base * 2^(attempt-1)`, capped.
    pub fn backoff(mut self, base: Duration, cap: Duration) -> Self {
        self.policy.backoff_base = base;
        self.policy.backoff_cap = cap.max(base);
        self
    }

    /// How long a rejected API key (401/403) pauses the dispatcher before it tries again.
    pub fn auth_pause(mut self, pause: Duration) -> Self {
        self.policy.auth_pause = pause;
        self
    }

    /// How long an unreachable Partnero (refused connections, timeouts, 502-504) pauses the
    /// dispatcher before it tries again (jittered between half and all of it). The rows wait
    /// with it rather than each backing off on its own, so after an outage the backlog goes
    /// out within one pause of Partnero's return. At least 100 ms (a shorter one would spin).
    pub fn outage_pause(mut self, pause: Duration) -> Self {
        self.policy.outage_pause = pause.max(MIN_OUTAGE_PAUSE);
        self
    }

    /// How often an idle dispatcher looks for due rows without being woken.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// How long a claim holds a row; raised to 3 × the timeout when lower.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// How long delivered rows are kept before they are deleted (discarded rows too, counted
    /// from the discard). While a row is kept, its idempotency key is taken: enqueueing the same
    /// event again is [`Enqueued::AlreadyQueued`](crate::Enqueued::AlreadyQueued). Once it is
    /// deleted, the same key is queued (and delivered) again (see
    /// [`Outbox::enqueue`](crate::Outbox::enqueue): nothing is paid twice, but for a refunded
    /// sale replayed): keep them longer than any handler, job or import might replay an event.
    /// Pending, unconfirmed and dead rows are never deleted, nor are the webhook records of
    /// [`Outbox::first_delivery`](crate::Outbox::first_delivery) (see
    /// [`Outbox::forget_webhooks_older_than`](crate::Outbox::forget_webhooks_older_than)).
    pub fn keep_delivered(mut self, keep: Duration) -> Self {
        self.keep_delivered = keep;
        self
    }

    /// How often the dispatcher deletes the rows [`keep_delivered`](Self::keep_delivered) no
    /// longer keeps (once at start, then at this interval; at least 100 ms). Each purge is
    /// one `DELETE`; the default, 10 minutes, is right for production, a short one for tests.
    pub fn purge_interval(mut self, interval: Duration) -> Self {
        self.purge_interval = interval.max(MIN_PURGE_INTERVAL);
        self
    }

    /// Starts the dispatcher on the current tokio runtime (axum's, or actix-web's).
    ///
    /// On SQLite, fails with [`Error::DispatcherRunning`] when another dispatcher delivers
    /// from the same file. Must be called from within a tokio runtime.
    pub fn spawn(self) -> Result<Dispatcher, Error> {
        let parts = self.parts;
        #[cfg(feature = "sqlite")]
        let lock = match &parts.sqlite {
            Some(store) => store.lock_dispatcher()?,
            None => None,
        };
        let mut policy = self.policy;
        let min_settle = self.timeout.saturating_mul(4);
        if policy.settle < min_settle {
            tracing::info!(
                settle_ms = policy.settle.as_millis() as u64,
                "outbox settle time raised to 4 x the request timeout"
            );
            policy.settle = min_settle;
        }
        let lease = self.lease.max(self.timeout.saturating_mul(3));
        let shared = Arc::new(Shared {
            store: parts.store,
            client: self.client.single_attempt(self.timeout),
            policy,
            concurrency: self.concurrency,
            poll_interval: self.poll_interval,
            lease,
            keep_delivered: self.keep_delivered,
            purge_interval: self.purge_interval,
            owner: format!("{}-{:016x}", std::process::id(), fastrand::u64(..)),
            wake: Notify::new(),
            pause: Mutex::new(None),
        });
        let stop = CancellationToken::new();
        let hard = CancellationToken::new();
        let task = tokio::spawn(run(Arc::clone(&shared), stop.clone(), hard.clone()));
        Ok(Dispatcher {
            inner: Arc::new(Handle {
                shared,
                stop,
                hard,
                task: Mutex::new(Some(task)),
                #[cfg(feature = "sqlite")]
                lock: Mutex::new(lock),
            }),
        })
    }
}

/// State the loop and the handle share.
struct Shared {
    store: Arc<dyn Store>,
    client: Partnero,
    policy: Policy,
    concurrency: u32,
    poll_interval: Duration,
    lease: Duration,
    keep_delivered: Duration,
    purge_interval: Duration,
    /// The fencing token written with every claim.
    owner: String,
    wake: Notify,
    pause: Mutex<Option<(Instant, PauseReason)>>,
}

impl Shared {
    fn paused(&self) -> Option<(Instant, PauseReason)> {
        let mut pause = self.pause.lock().unwrap_or_else(|e| e.into_inner());
        if pause.is_some_and(|(until, _)| until <= Instant::now()) {
            *pause = None;
            metrics::gauge!("partnero_dispatcher_paused").set(0.0);
        }
        *pause
    }

    /// Partnero answered: an outage pause ends now (a 429's or a rejected key's does not).
    fn reachable(&self) {
        let mut pause = self.pause.lock().unwrap_or_else(|e| e.into_inner());
        if pause.is_some_and(|(_, reason)| reason == PauseReason::Unreachable) {
            *pause = None;
            metrics::gauge!("partnero_dispatcher_paused").set(0.0);
        }
    }

    /// Pauses until `wait` from now, or longer when a pause is set already (see
    /// [`merge_pause`] for the reason it keeps).
    fn pause_for(&self, wait: Duration, reason: PauseReason) {
        let now = Instant::now();
        let until = now + wait.min(FAR_FUTURE);
        let mut pause = self.pause.lock().unwrap_or_else(|e| e.into_inner());
        let live = pause.filter(|(current, _)| *current > now);
        *pause = Some(merge_pause(live, until, reason));
        metrics::gauge!("partnero_dispatcher_paused").set(1.0);
        match reason {
            PauseReason::Unreachable => tracing::debug!(
                pause_ms = wait.as_millis() as u64,
                "Partnero is unreachable: outbox delivery paused"
            ),
            PauseReason::Unauthorized => tracing::error!(
                pause_s = wait.as_secs(),
                "Partnero rejected the API key (401/403): outbox delivery paused; check PARTNERO_API_KEY"
            ),
            PauseReason::RateLimited => {
                metrics::counter!("partnero_outbox_rate_limited_total").increment(1);
                tracing::warn!(
                    pause_ms = wait.as_millis() as u64,
                    "Partnero is rate limiting: outbox delivery paused"
                );
            }
        }
    }
}

/// The pause after a new one (`until`, `reason`) meets the one in force, `live`: it lasts until
/// the later of the two; a 429's or a rejected key's reason is never replaced by an outage's
/// (`reachable` ends only an outage pause, and must not end those), and otherwise the reason
/// of the pause that ends later is kept.
fn merge_pause(
    live: Option<(Instant, PauseReason)>,
    until: Instant,
    reason: PauseReason,
) -> (Instant, PauseReason) {
    let Some((current, kept)) = live else {
        return (until, reason);
    };
    let outage = |r: PauseReason| r == PauseReason::Unreachable;
    let reason = match (outage(kept), outage(reason)) {
        (true, false) => reason,
        (false, true) => kept,
        _ if until > current => reason,
        _ => kept,
    };
    (current.max(until), reason)
}

/// A running dispatcher. Cheap to clone; dropping every clone does not stop it: call
/// [`shutdown`](Self::shutdown).
#[derive(Clone)]
pub struct Dispatcher {
    inner: Arc<Handle>,
}

struct Handle {
    shared: Arc<Shared>,
    stop: CancellationToken,
    hard: CancellationToken,
    task: Mutex<Option<JoinHandle<()>>>,
    /// The one-dispatcher-per-file lock, held while the dispatcher lives.
    /// Released at the end of [`Dispatcher::shutdown`], so a new dispatcher may start.
    #[cfg(feature = "sqlite")]
    lock: Mutex<Option<std::fs::File>>,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("owner", &self.inner.shared.owner)
            .field("paused", &self.paused())
            .finish_non_exhaustive()
    }
}

/// What [`Dispatcher::shutdown`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// True when the deliveries in flight finished within the budget.
    pub finished: bool,
    /// Rows handed back unfinished (a sale among them is looked up by key after the settle
    /// time, never resent blindly).
    pub released: u64,
}

impl Dispatcher {
    /// Wakes an idle dispatcher now instead of at its next poll (after your commit).
    pub fn nudge(&self) {
        self.inner.shared.wake.notify_one();
    }

    /// Why the dispatcher is paused, when it is.
    pub fn paused(&self) -> Option<PauseReason> {
        self.inner.shared.paused().map(|(_, reason)| reason)
    }

    /// [`Outbox::stats`](crate::Outbox::stats) with this dispatcher's pause, if any: what a
    /// health endpoint shows.
    pub async fn stats(&self) -> Result<Stats, Error> {
        let mut stats = self.inner.shared.store.stats().await?;
        stats.paused = self.inner.shared.paused().map(|(until, reason)| Pause {
            reason,
            remaining: until.saturating_duration_since(Instant::now()),
        });
        Ok(stats)
    }

    /// Stops claiming, lets the deliveries in flight finish within `budget`, then hands back
    /// whatever is still unfinished. Call it after your server's graceful shutdown
    /// (`axum::serve(..).with_graceful_shutdown(..)`, or actix-web's server future). What is
    /// left waits in the database for the next start: nothing is lost.
    pub async fn shutdown(&self, budget: Duration) -> ShutdownReport {
        let handle = &self.inner;
        handle.stop.cancel();
        handle.shared.wake.notify_one();
        let task = handle.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        let Some(mut task) = task else {
            #[cfg(feature = "sqlite")]
            drop(handle.lock.lock().unwrap_or_else(|e| e.into_inner()).take());
            return ShutdownReport {
                finished: true,
                released: 0,
            };
        };
        let finished = tokio::select! {
            _ = &mut task => true,
            () = tokio::time::sleep(budget) => false,
        };
        if !finished {
            handle.hard.cancel();
            let _ = task.await;
        }
        let shared = &handle.shared;
        let released = shared
            .store
            .release(Some(&shared.owner), shared.policy.settle)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "outbox: could not release leases at shutdown; they expire instead");
                0
            });
        #[cfg(feature = "sqlite")]
        drop(handle.lock.lock().unwrap_or_else(|e| e.into_inner()).take());
        ShutdownReport { finished, released }
    }
}

/// How often expired leases are released (and the gauges refreshed).
const HOUSEKEEPING: Duration = Duration::from_secs(5);

/// How often delivered rows past `keep_delivered` are deleted, unless set.
const DEFAULT_PURGE_INTERVAL: Duration = Duration::from_secs(600);

/// The shortest outage pause a builder accepts.
const MIN_OUTAGE_PAUSE: Duration = Duration::from_millis(100);

/// The shortest purge interval a builder accepts.
const MIN_PURGE_INTERVAL: Duration = Duration::from_millis(100);

async fn run(shared: Arc<Shared>, stop: CancellationToken, hard: CancellationToken) {
    let mut failures: i32 = 0;
    let mut last_housekeeping: Option<Instant> = None;
    let mut last_purge: Option<Instant> = None;
    while !stop.is_cancelled() {
        if let Some((until, _)) = shared.paused() {
            tokio::select! {
                () = tokio::time::sleep_until(until.into()) => {}
                () = stop.cancelled() => break,
            }
            continue;
        }
        let purge_due = last_purge.is_none_or(|t| t.elapsed() >= shared.purge_interval);
        if purge_due || last_housekeeping.is_none_or(|t| t.elapsed() >= HOUSEKEEPING) {
            last_housekeeping = Some(Instant::now());
            if purge_due {
                last_purge = Some(Instant::now());
            }
            housekeeping(&shared, purge_due).await;
        }
        let rows = match shared
            .store
            .claim(&shared.owner, shared.concurrency, shared.lease)
            .await
        {
            Ok(rows) => {
                failures = 0;
                rows
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                let wait = store_backoff(failures);
                tracing::warn!(error = %e, retry_in_ms = wait.as_millis() as u64, "outbox: claiming failed");
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = stop.cancelled() => break,
                }
                continue;
            }
        };
        if rows.is_empty() {
            tokio::select! {
                () = shared.store.wait(shared.poll_interval) => {}
                () = shared.wake.notified() => {}
                () = stop.cancelled() => break,
            }
            continue;
        }
        let batch =
            futures_util::future::join_all(rows.iter().map(|row| deliver_one(&shared, row)));
        let acks = tokio::select! {
            acks = batch => acks,
            // The shutdown budget ran out mid-delivery: `shutdown` releases these rows.
            () = hard.cancelled() => break,
        };
        write_back(&shared, &acks, &stop).await;
    }
}

/// Delivers one row in a span, records its metrics and applies any pause it calls for.
async fn deliver_one(shared: &Shared, row: &Claimed) -> Ack {
    let kind = row.kind.map_or("unknown", Kind::as_str);
    let span = tracing::info_span!(
        "partnero.outbox.deliver",
        id = row.id,
        kind,
        attempt = row.attempts
    );
    let Decision {
        transition,
        pause,
        outage,
    } = deliver(&shared.client, row, &shared.policy)
        .instrument(span.clone())
        .await;
    match pause {
        Some((wait, reason)) => shared.pause_for(wait, reason),
        None if !outage => shared.reachable(),
        None => {}
    }
    let result = match &transition {
        Transition::Delivered { outcome } if outcome == "recovered" => "recovered",
        Transition::Delivered { .. } => "delivered",
        Transition::Retry { .. } => "retried",
        Transition::Unconfirmed { .. } => "unconfirmed",
        Transition::Dead { .. } => "dead",
    };
    metrics::counter!("partnero_outbox_deliveries_total", "kind" => kind, "result" => result)
        .increment(1);
    let _enter = span.enter();
    match &transition {
        Transition::Delivered { outcome } => {
            metrics::histogram!("partnero_outbox_delivery_latency_seconds", "kind" => kind)
                .record(row.age.as_secs_f64());
            metrics::histogram!("partnero_outbox_attempts", "kind" => kind)
                .record(f64::from(row.attempts));
            tracing::debug!(outcome, "outbox: delivered");
        }
        Transition::Dead { reason, .. } => {
            tracing::error!(
                id = row.id,
                reason,
                "outbox: event is dead; retry or discard it"
            );
        }
        Transition::Unconfirmed { error, .. } => {
            tracing::warn!(
                error,
                "outbox: sale outcome unknown; it will be looked up by key"
            );
        }
        Transition::Retry { error, .. } => tracing::info!(error, "outbox: will retry"),
    }
    Ack {
        id: row.id,
        transition,
    }
}

/// Writes the batch's states back, retrying a failed write a few times. If it still fails,
/// the leases expire and the rows come back (a sale as unconfirmed): nothing is lost or
/// resent blindly.
async fn write_back(shared: &Shared, acks: &[Ack], stop: &CancellationToken) {
    for attempt in 1..=5 {
        match shared.store.ack(&shared.owner, acks).await {
            Ok(accepted) => {
                if accepted < acks.len() as u64 {
                    tracing::warn!(
                        rejected = acks.len() as u64 - accepted,
                        "outbox: some rows were finished elsewhere (a webhook confirmed them, or another dispatcher took them over after their lease expired); their results were not written"
                    );
                }
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, attempt, "outbox: writing delivery results failed");
                tokio::select! {
                    () = tokio::time::sleep(store_backoff(attempt)) => {}
                    () = stop.cancelled() => {}
                }
            }
        }
    }
}

async fn housekeeping(shared: &Shared, purge: bool) {
    match shared.store.release(None, shared.policy.settle).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(
            rows = n,
            "outbox: released rows whose lease expired mid-delivery"
        ),
        Err(e) => tracing::debug!(error = %e, "outbox: releasing expired leases failed"),
    }
    if purge && let Err(e) = shared.store.purge(shared.keep_delivered).await {
        tracing::debug!(error = %e, "outbox: purging delivered rows failed");
    }
    if let Ok(stats) = shared.store.stats().await {
        for s in state::ALL {
            for kind in Kind::ALL {
                let n = stats
                    .rows
                    .get(s)
                    .and_then(|k| k.get(kind.as_str()))
                    .copied()
                    .unwrap_or(0);
                metrics::gauge!("partnero_outbox_rows", "state" => s, "kind" => kind.as_str())
                    .set(n as f64);
            }
        }
        metrics::gauge!("partnero_outbox_oldest_pending_age_seconds")
            .set(stats.oldest_waiting.map_or(0.0, |d| d.as_secs_f64()));
    }
}

/// Backoff after a database failure: 100 ms doubling to 30 s.
fn store_backoff(failures: i32) -> Duration {
    let exp = u32::try_from(failures.clamp(1, 20) - 1).unwrap_or(0);
    Duration::from_millis(100u64.saturating_mul(1 << exp)).min(Duration::from_secs(30))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 429 or a rejected key keeps its reason against an outage's (so `reachable` cannot end
    /// it early), whichever is longer; otherwise the pause that ends later names the reason.
    #[test]
    fn a_pause_keeps_the_reason_partnero_gave() {
        use PauseReason::{RateLimited, Unauthorized, Unreachable};
        let now = Instant::now();
        let (short, long) = (now + Duration::from_secs(1), now + Duration::from_secs(60));
        for (live, until, reason, merged) in [
            (None, short, Unreachable, (short, Unreachable)),
            (
                Some((short, RateLimited)),
                long,
                Unreachable,
                (long, RateLimited),
            ),
            (
                Some((long, Unreachable)),
                short,
                RateLimited,
                (long, RateLimited),
            ),
            (
                Some((long, Unauthorized)),
                short,
                RateLimited,
                (long, Unauthorized),
            ),
            (
                Some((short, RateLimited)),
                long,
                Unauthorized,
                (long, Unauthorized),
            ),
            (
                Some((short, Unreachable)),
                long,
                Unreachable,
                (long, Unreachable),
            ),
        ] {
            assert_eq!(
                merge_pause(live, until, reason),
                merged,
                "{live:?} + {reason:?}"
            );
        }
    }
}
