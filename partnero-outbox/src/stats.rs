//! What an operator or a health endpoint sees: [`Stats`] and [`DeadLetter`].

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::PauseReason;
use crate::store::LenientRow;

/// Rows by state and kind, how long the oldest undelivered event has waited, and (from
/// [`Dispatcher::stats`](crate::Dispatcher::stats)) whether the dispatcher is paused and why.
///
/// ```
/// use partnero_outbox::Stats;
///
/// let stats = Stats::default();
/// assert_eq!(stats.waiting(), 0);
/// assert!(stats.is_healthy(std::time::Duration::from_secs(600)));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Stats {
    /// `state -> kind -> rows` (states: pending, inflight, unconfirmed, delivered, dead,
    /// discarded; kinds: signup, sale, refund, purchase).
    pub rows: BTreeMap<String, BTreeMap<String, u64>>,
    /// Age of the oldest pending, in-flight or unconfirmed event.
    #[serde(serialize_with = "seconds")]
    pub oldest_waiting: Option<Duration>,
    /// The dispatcher's pause: always `None` from [`Outbox::stats`](crate::Outbox::stats),
    /// which reads the table only; [`Dispatcher::stats`](crate::Dispatcher::stats) fills it
    /// in (a pause lives in the dispatcher's process, not in the table).
    pub paused: Option<Pause>,
}

/// Why the dispatcher stopped claiming, and for how much longer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Pause {
    /// `unreachable` (refused connections, timeouts, 502-504), `rate_limited` (a 429) or
    /// `unauthorized` (a 401/403: fix the API key).
    #[serde(serialize_with = "reason")]
    pub reason: PauseReason,
    /// Until the next claim (seconds in JSON).
    #[serde(serialize_with = "duration_seconds")]
    pub remaining: Duration,
}

fn reason<S: serde::Serializer>(r: &PauseReason, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(r.as_str())
}

fn duration_seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

fn seconds<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&d.as_secs_f64()),
        None => s.serialize_none(),
    }
}

impl Stats {
    pub(crate) fn add(&mut self, kind: &str, state: &str, n: i64) {
        *self
            .rows
            .entry(state.to_owned())
            .or_default()
            .entry(kind.to_owned())
            .or_default() += u64::try_from(n).unwrap_or(0);
    }

    /// Rows in `state`, all kinds.
    pub fn in_state(&self, state: &str) -> u64 {
        self.rows.get(state).map_or(0, |k| k.values().sum())
    }

    /// Events not yet delivered nor given up: pending, in flight and unconfirmed.
    pub fn waiting(&self) -> u64 {
        ["pending", "inflight", "unconfirmed"]
            .iter()
            .map(|s| self.in_state(s))
            .sum()
    }

    /// Dead letters waiting for an operator.
    pub fn dead(&self) -> u64 {
        self.in_state("dead")
    }

    /// Healthy: no dead letter, no pause for a rejected API key, and nothing has waited
    /// longer than `max_wait` (a 429 pause alone is Partnero's doing and passes).
    pub fn is_healthy(&self, max_wait: Duration) -> bool {
        self.dead() == 0
            && self.oldest_waiting.is_none_or(|age| age <= max_wait)
            && self
                .paused
                .is_none_or(|p| p.reason != PauseReason::Unauthorized)
    }
}

/// A row the dispatcher gave up on. It holds back its customer's later events until
/// [`Outbox::retry`](crate::Outbox::retry) or [`Outbox::discard`](crate::Outbox::discard).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DeadLetter {
    /// The row id, for `retry` / `discard`.
    pub id: i64,
    /// `signup`, `sale`, `refund` or `purchase`.
    pub kind: String,
    /// `signup:<customer>`, `sale:<transaction>` (a sale or a purchase) or
    /// `refund:<transaction>`.
    pub idempotency_key: String,
    /// Attempts made.
    pub attempts: i32,
    /// Partnero's last HTTP status, when it answered.
    pub last_status: Option<u16>,
    /// Why it was given up.
    pub reason: String,
    /// Time since enqueue.
    #[serde(serialize_with = "secs")]
    pub age: Duration,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

impl DeadLetter {
    pub(crate) fn from_row<R>(row: &R) -> Result<Self, sqlx::Error>
    where
        R: sqlx::Row,
        for<'r> &'r str: sqlx::ColumnIndex<R>,
        i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        i32: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    {
        Ok(DeadLetter {
            id: row.try_get("id")?,
            kind: row.lenient("kind").unwrap_or_default(),
            idempotency_key: row.lenient("idem_key").unwrap_or_default(),
            attempts: row.lenient("attempts").unwrap_or(0),
            last_status: row
                .lenient::<i32>("last_status")
                .and_then(|s| u16::try_from(s).ok()),
            reason: row.lenient("last_error").unwrap_or_default(),
            age: row.millis("age_ms"),
        })
    }
}
