//! The outbox table behind one object-safe trait, with an SQLite and a PostgreSQL
//! implementation, each holding its SQL in its own file.
//!
//! "Now" is always the database's clock, so dispatchers on several machines agree on leases
//! and due times whatever their own clocks say.

use std::time::Duration;

use futures_util::future::BoxFuture;

#[cfg(feature = "postgres")]
pub(crate) mod postgres;
#[cfg(feature = "sqlite")]
pub(crate) mod sqlite;

use crate::event::Kind;
use crate::stats::{DeadLetter, Stats};

/// The row states. `pending` and `unconfirmed` rows are claimable when due; `dead` rows wait
/// for an operator and hold back their order key; `delivered` and `discarded` are final.
pub(crate) mod state {
    pub(crate) const PENDING: &str = "pending";
    pub(crate) const INFLIGHT: &str = "inflight";
    pub(crate) const UNCONFIRMED: &str = "unconfirmed";
    pub(crate) const DELIVERED: &str = "delivered";
    pub(crate) const DEAD: &str = "dead";
    pub(crate) const DISCARDED: &str = "discarded";
    /// Every state, for stats.
    pub(crate) const ALL: [&str; 6] = [PENDING, INFLIGHT, UNCONFIRMED, DELIVERED, DEAD, DISCARDED];
}

/// A row a dispatcher holds the lease on.
#[derive(Debug, Clone)]
pub(crate) struct Claimed {
    pub(crate) id: i64,
    /// `None` for a row whose kind this version does not know (it goes dead).
    pub(crate) kind: Option<Kind>,
    pub(crate) payload: String,
    /// True when the row was `unconfirmed`: a sale whose POST may have reached Partnero.
    pub(crate) unconfirmed: bool,
    /// A refund ordered on its own (`tx:<key>`): its sale did not go through this outbox, so
    /// nothing here says whether Partnero has recorded it yet.
    pub(crate) unordered_refund: bool,
    /// Claims so far, this one included.
    pub(crate) attempts: i32,
    /// Time since enqueue.
    pub(crate) age: Duration,
}

/// What a delivery attempt leads to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Transition {
    /// Done: Partnero has it (or it needs nothing, e.g. an unreferred affiliate sale).
    Delivered { outcome: String },
    /// Try again after `delay`. `count` false gives the attempt back (rate limits, a rejected
    /// API key: not the event's fault).
    Retry {
        delay: Duration,
        status: Option<u16>,
        error: String,
        count: bool,
    },
    /// A sale whose POST may have reached Partnero: look it up by key after `settle`.
    Unconfirmed {
        settle: Duration,
        status: Option<u16>,
        error: String,
        /// False gives the attempt back (an outage kept the look-up from answering).
        count: bool,
    },
    /// Given up: waits for `retry(id)` or `discard(id)`, holding back its order key.
    Dead { status: Option<u16>, reason: String },
}

/// One finished delivery, to write back under the lease.
#[derive(Debug, Clone)]
pub(crate) struct Ack {
    pub(crate) id: i64,
    pub(crate) transition: Transition,
}

/// The longest error text stored in `last_error`.
pub(crate) const MAX_ERROR_CHARS: usize = 1000;

/// The columns an [`Ack`] writes, flattened for binding.
pub(crate) struct AckColumns<'a> {
    pub(crate) state: &'static str,
    pub(crate) delay_ms: i64,
    /// 0, or -1 to give the attempt back.
    pub(crate) attempt_adjust: i32,
    pub(crate) last_status: Option<i32>,
    pub(crate) last_error: Option<String>,
    pub(crate) outcome: Option<&'a str>,
    /// The row reached a final or operator state (`done_at` is set).
    pub(crate) done: bool,
    /// A sale POST may have left (`sent_at` is set).
    pub(crate) sent: bool,
}

impl Ack {
    pub(crate) fn columns(&self) -> AckColumns<'_> {
        let status = |s: &Option<u16>| s.map(i32::from);
        let text = |s: &str| Some(s.chars().take(MAX_ERROR_CHARS).collect::<String>());
        match &self.transition {
            Transition::Delivered { outcome } => AckColumns {
                state: state::DELIVERED,
                delay_ms: 0,
                attempt_adjust: 0,
                last_status: None,
                last_error: None,
                outcome: Some(outcome),
                done: true,
                sent: false,
            },
            Transition::Retry {
                delay,
                status: s,
                error,
                count,
            } => AckColumns {
                state: state::PENDING,
                delay_ms: millis(*delay),
                attempt_adjust: if *count { 0 } else { -1 },
                last_status: status(s),
                last_error: text(error),
                outcome: None,
                done: false,
                sent: false,
            },
            Transition::Unconfirmed {
                settle,
                status: s,
                error,
                count,
            } => AckColumns {
                state: state::UNCONFIRMED,
                delay_ms: millis(*settle),
                attempt_adjust: if *count { 0 } else { -1 },
                last_status: status(s),
                last_error: text(error),
                outcome: None,
                done: false,
                sent: true,
            },
            Transition::Dead { status: s, reason } => AckColumns {
                state: state::DEAD,
                delay_ms: 0,
                attempt_adjust: 0,
                last_status: status(s),
                last_error: text(reason),
                outcome: None,
                done: true,
                sent: false,
            },
        }
    }
}

/// The longest delay or pause the outbox keeps (100 years): a clock plus a `Retry-After` or a
/// setting of `Duration::MAX` must never overflow, in the database or in an `Instant`.
pub(crate) const FAR_FUTURE: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// `d` in milliseconds, at most [`FAR_FUTURE`].
pub(crate) fn millis(d: Duration) -> i64 {
    i64::try_from(d.min(FAR_FUTURE).as_millis()).unwrap_or(i64::MAX)
}

/// The storage operations the outbox and the dispatcher need.
pub(crate) trait Store: Send + Sync + 'static {
    /// Claims up to `limit` due rows, at most one per order key (the oldest not yet delivered),
    /// leasing them to `owner` for `lease`.
    fn claim<'a>(
        &'a self,
        owner: &'a str,
        limit: u32,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Vec<Claimed>, sqlx::Error>>;

    /// Writes the acks back in one transaction, each fenced by `owner`; returns how many were
    /// accepted (a row whose lease another dispatcher took since is left alone).
    fn ack<'a>(
        &'a self,
        owner: &'a str,
        acks: &'a [Ack],
    ) -> BoxFuture<'a, Result<u64, sqlx::Error>>;

    /// Rows whose lease expired while in flight (their dispatcher died or hung): a sale or a
    /// purchase becomes unconfirmed (due after `settle`), anything else pending. With `owner`,
    /// only that owner's rows, expired or not (a dispatcher releasing its own at shutdown).
    fn release<'a>(
        &'a self,
        owner: Option<&'a str>,
        settle: Duration,
    ) -> BoxFuture<'a, Result<u64, sqlx::Error>>;

    /// Rows by state and kind, oldest waiting age.
    fn stats(&self) -> BoxFuture<'_, Result<Stats, sqlx::Error>>;

    /// Dead rows, oldest first.
    fn dead_letters(&self, limit: u32) -> BoxFuture<'_, Result<Vec<DeadLetter>, sqlx::Error>>;

    /// A dead row back to pending, due now, attempts reset. False when no dead row has `id`.
    fn retry(&self, id: i64) -> BoxFuture<'_, Result<bool, sqlx::Error>>;

    /// A dead or pending row to `discarded`: never delivered, no longer blocking.
    fn discard(&self, id: i64) -> BoxFuture<'_, Result<bool, sqlx::Error>>;

    /// Deletes delivered and discarded rows finished longer than `older_than` ago.
    fn purge(&self, older_than: Duration) -> BoxFuture<'_, Result<u64, sqlx::Error>>;

    /// Waits until a new row may be due: a notification (PostgreSQL) or `timeout`.
    fn wait(&self, timeout: Duration) -> BoxFuture<'_, ()>;
}

/// Implements [`Store`] for `$store` (a type with a `pool` field and an
/// `async fn wait_for(&self, Duration)`) from the SQL constants of the module that invokes it
/// (`INSERT`, `CLAIM`, `ACK`, `RELEASE`, `STATS`, `OLDEST`, `DEAD`, `RETRY`, `DISCARD`,
/// `PURGE`), opening write transactions with `$begin`, and the outbox's
/// [`Backend`](crate::Backend) for `$db` (the enqueue path) with that module's `INSERT`. The dialects differ only in SQL text and pool type, and
/// a generic impl over `sqlx::Database` cannot prove its futures `Send` (rust-lang/rust#100013).
macro_rules! sql_store {
    ($store:ty, $db:ty, begin = $begin:literal) => {
        /// Inserts `row` through the caller's executor; `None` when its idempotency key is
        /// queued already.
        pub(crate) async fn insert<'c, E>(
            executor: E,
            row: &NewRow<'_>,
        ) -> Result<Option<i64>, sqlx::Error>
        where
            E: sqlx::Executor<'c, Database = $db>,
        {
            sqlx::query_scalar::<_, i64>(INSERT)
                .bind(row.kind)
                .bind(row.after_sale)
                .bind(row.order_key)
                .bind(row.idem_key)
                .bind(&row.payload)
                .fetch_optional(executor)
                .await
        }

        // Concrete connection types (not a generic `Executor`): the futures are then `Send`
        // where a web framework needs them to be, which a generic executor's are not.
        impl $crate::outbox::sealed::Sealed for $db {}
        impl $crate::Backend for $db {
            fn insert<'a>(
                connection: &'a mut <$db as sqlx::Database>::Connection,
                row: &'a NewRow<'a>,
            ) -> BoxFuture<'a, Result<Option<i64>, sqlx::Error>> {
                Box::pin(insert(connection, row))
            }

            fn insert_pooled<'a>(
                pool: &'a sqlx::Pool<$db>,
                row: &'a NewRow<'a>,
            ) -> BoxFuture<'a, Result<Option<i64>, sqlx::Error>> {
                Box::pin(insert(pool, row))
            }
        }

        impl $crate::store::Store for $store {
            fn claim<'a>(
                &'a self,
                owner: &'a str,
                limit: u32,
                lease: Duration,
            ) -> BoxFuture<'a, Result<Vec<Claimed>, sqlx::Error>> {
                Box::pin(async move {
                    let rows = sqlx::query(CLAIM)
                        .bind(owner)
                        .bind(millis(lease))
                        .bind(i64::from(limit))
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter().map(claimed).collect()
                })
            }

            fn ack<'a>(
                &'a self,
                owner: &'a str,
                acks: &'a [Ack],
            ) -> BoxFuture<'a, Result<u64, sqlx::Error>> {
                Box::pin(async move {
                    let mut tx = self.pool.begin_with($begin).await?;
                    let mut accepted = 0;
                    for ack in acks {
                        let c = ack.columns();
                        accepted += sqlx::query(ACK)
                            .bind(c.state)
                            .bind(c.delay_ms)
                            .bind(c.attempt_adjust)
                            .bind(c.last_status)
                            .bind(c.last_error)
                            .bind(c.outcome)
                            .bind(c.done)
                            .bind(c.sent)
                            .bind(ack.id)
                            .bind(owner)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected();
                    }
                    tx.commit().await?;
                    Ok(accepted)
                })
            }

            fn release<'a>(
                &'a self,
                owner: Option<&'a str>,
                settle: Duration,
            ) -> BoxFuture<'a, Result<u64, sqlx::Error>> {
                Box::pin(async move {
                    let why = if owner.is_some() {
                        "released at shutdown mid-delivery"
                    } else {
                        "lease expired mid-delivery (the dispatcher stopped or hung)"
                    };
                    Ok(sqlx::query(RELEASE)
                        .bind(millis(settle))
                        .bind(why)
                        .bind(owner)
                        .execute(&self.pool)
                        .await?
                        .rows_affected())
                })
            }

            fn stats(&self) -> BoxFuture<'_, Result<Stats, sqlx::Error>> {
                Box::pin(async move {
                    let mut stats = Stats::default();
                    for row in sqlx::query(STATS).fetch_all(&self.pool).await? {
                        let kind: String = row.try_get("kind").unwrap_or_default();
                        let state: String = row.try_get("state").unwrap_or_default();
                        stats.add(&kind, &state, row.try_get::<i64, _>("n")?);
                    }
                    let oldest: Option<i64> =
                        sqlx::query_scalar(OLDEST).fetch_one(&self.pool).await?;
                    stats.oldest_waiting = oldest.map(|ms| Duration::from_millis(ms.max(0) as u64));
                    Ok(stats)
                })
            }

            fn dead_letters(
                &self,
                limit: u32,
            ) -> BoxFuture<'_, Result<Vec<DeadLetter>, sqlx::Error>> {
                Box::pin(async move {
                    let rows = sqlx::query(DEAD)
                        .bind(i64::from(limit))
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter().map(DeadLetter::from_row).collect()
                })
            }

            fn retry(&self, id: i64) -> BoxFuture<'_, Result<bool, sqlx::Error>> {
                Box::pin(async move {
                    let done = sqlx::query(RETRY).bind(id).execute(&self.pool).await?;
                    Ok(done.rows_affected() == 1)
                })
            }

            fn discard(&self, id: i64) -> BoxFuture<'_, Result<bool, sqlx::Error>> {
                Box::pin(async move {
                    let done = sqlx::query(DISCARD).bind(id).execute(&self.pool).await?;
                    Ok(done.rows_affected() == 1)
                })
            }

            fn purge(&self, older_than: Duration) -> BoxFuture<'_, Result<u64, sqlx::Error>> {
                Box::pin(async move {
                    let done = sqlx::query(PURGE)
                        .bind(millis(older_than))
                        .execute(&self.pool)
                        .await?;
                    Ok(done.rows_affected())
                })
            }

            fn wait(&self, timeout: Duration) -> BoxFuture<'_, ()> {
                Box::pin(self.wait_for(timeout))
            }
        }
    };
}
pub(crate) use sql_store;

/// Column types every store decodes the same way.
pub(crate) trait LenientRow: sqlx::Row
where
    for<'r> &'r str: sqlx::ColumnIndex<Self>,
{
    /// The column, or `None` when it is missing, NULL or of another type: a row written by
    /// something else must make that row dead, not the dispatcher stuck.
    fn lenient<T>(&self, column: &str) -> Option<T>
    where
        T: for<'r> sqlx::Decode<'r, Self::Database> + sqlx::Type<Self::Database>,
    {
        self.try_get::<Option<T>, _>(column).ok().flatten()
    }

    /// A duration column in milliseconds.
    fn millis(&self, column: &str) -> Duration
    where
        i64: for<'r> sqlx::Decode<'r, Self::Database> + sqlx::Type<Self::Database>,
    {
        Duration::from_millis(u64::try_from(self.lenient::<i64>(column).unwrap_or(0)).unwrap_or(0))
    }
}

impl<R: sqlx::Row> LenientRow for R where for<'r> &'r str: sqlx::ColumnIndex<R> {}

/// A claimed row. Only the id must decode; anything else that does not makes the row dead.
pub(crate) fn claimed<R>(row: &R) -> Result<Claimed, sqlx::Error>
where
    R: sqlx::Row,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i32: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(Claimed {
        id: row.try_get("id")?,
        kind: row.lenient::<String>("kind").and_then(|k| Kind::parse(&k)),
        payload: row.lenient("payload").unwrap_or_default(),
        unconfirmed: row.lenient::<String>("state").as_deref() == Some(state::UNCONFIRMED),
        unordered_refund: row
            .lenient::<String>("order_key")
            .is_some_and(|k| k.starts_with(crate::event::UNORDERED_REFUND_PREFIX)),
        attempts: row.lenient("attempts").unwrap_or(1),
        age: row.millis("age_ms"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A huge delay (a `Retry-After` of `u64::MAX` seconds, a `Duration::MAX` setting) is
    /// capped so the database's clock plus it never overflows.
    #[test]
    fn delays_are_capped_for_the_database() {
        assert_eq!(millis(Duration::from_millis(1500)), 1500);
        let far = millis(Duration::MAX);
        assert_eq!(far, millis(Duration::from_secs(u64::MAX)));
        assert!(
            far.checked_add(i64::from(u32::MAX) * 1000).is_some(),
            "{far}"
        );
    }
}
