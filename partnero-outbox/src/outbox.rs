//! [`Outbox`]: the handle an app enqueues with, and an operator inspects.

use std::marker::PhantomData;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use sqlx::Pool;

use crate::Error;
use crate::dispatcher::DispatcherBuilder;
use crate::event::{Event, NewRow};
use crate::stats::{DeadLetter, Stats};
use crate::store::Store;

/// A database the outbox lives in: [`sqlx::Sqlite`] (feature `sqlite`, the default) or
/// [`sqlx::Postgres`] (feature `postgres`). Sealed.
pub trait Backend: sqlx::Database + sealed::Sealed {
    #[doc(hidden)]
    fn insert<'a>(
        connection: &'a mut Self::Connection,
        row: &'a NewRow<'a>,
    ) -> BoxFuture<'a, Result<Option<i64>, sqlx::Error>>;

    #[doc(hidden)]
    fn insert_pooled<'a>(
        pool: &'a Pool<Self>,
        row: &'a NewRow<'a>,
    ) -> BoxFuture<'a, Result<Option<i64>, sqlx::Error>>;
}

pub(crate) mod sealed {
    pub trait Sealed {}
}

// The impls for `sqlx::Sqlite` and `sqlx::Postgres` are written by `store::sql_store!`.

/// What [`Outbox::enqueue`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Enqueued {
    /// A new row, with its id.
    Queued {
        /// The row id.
        id: i64,
    },
    /// An event with the same idempotency key is queued (or was delivered) already: nothing
    /// was written, and the event is not sent twice.
    ///
    /// A delivered row holds its key only for as long as it is kept
    /// ([`keep_delivered`](crate::DispatcherBuilder::keep_delivered), 7 days by default); after
    /// it is purged the same event is [`Queued`](Self::Queued) again. See
    /// [`Outbox::enqueue`] for what Partnero then does with it.
    AlreadyQueued,
}

/// The outbox table in SQLite or PostgreSQL: enqueue events in your own transaction, run a
/// [`Dispatcher`](crate::Dispatcher) to deliver them, and inspect or repair what waits.
///
/// Cheap to clone.
pub struct Outbox<DB: Backend> {
    pool: Pool<DB>,
    pub(crate) store: Arc<dyn Store>,
    /// SQLite only: the database file, for the one-dispatcher-per-file lock.
    #[cfg(feature = "sqlite")]
    pub(crate) sqlite: Option<crate::store::sqlite::SqliteStore>,
    _db: PhantomData<fn() -> DB>,
}

impl<DB: Backend> Clone for Outbox<DB> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            store: Arc::clone(&self.store),
            #[cfg(feature = "sqlite")]
            sqlite: self.sqlite.clone(),
            _db: PhantomData,
        }
    }
}

impl<DB: Backend> std::fmt::Debug for Outbox<DB> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("database", &DB::NAME)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "sqlite")]
impl Outbox<sqlx::Sqlite> {
    /// An outbox in its own SQLite file (`sqlite://partnero-outbox.db`, or a path), created
    /// and migrated when missing, with WAL, `synchronous=FULL` and a 5 s busy timeout.
    ///
    /// Durable across outages and restarts, but **not** atomic with your own writes (they are
    /// in another database): enqueue right after your commit, and let the idempotency key
    /// absorb a handler that runs twice. For atomicity put the table in your own database
    /// with [`sqlite_pool`](Self::sqlite_pool) or [`postgres`](Outbox::postgres).
    pub async fn sqlite(database: &str) -> Result<Self, Error> {
        Self::sqlite_pool(crate::store::sqlite::open(database).await?).await
    }

    /// The outbox table in your own SQLite pool, created when missing (never touching your
    /// `_sqlx_migrations`), so events go in with your rows, in your transaction. Open write
    /// transactions with `pool.begin_with("BEGIN IMMEDIATE")`: a deferred transaction that
    /// reads, then writes, fails at once with "database is locked" instead of waiting. Open
    /// the pool with [`sqlite_options`](crate::sqlite_options) (WAL, `synchronous=FULL`, a
    /// busy timeout), and with one connection for writes (see there why).
    pub async fn sqlite_pool(pool: sqlx::SqlitePool) -> Result<Self, Error> {
        crate::store::sqlite::migrate(&pool).await?;
        let store = crate::store::sqlite::SqliteStore::new(pool.clone());
        Ok(Self {
            pool,
            store: Arc::new(store.clone()),
            sqlite: Some(store),
            _db: PhantomData,
        })
    }
}

#[cfg(feature = "postgres")]
impl Outbox<sqlx::Postgres> {
    /// The outbox table in your PostgreSQL (created when missing, under an advisory lock so
    /// several machines may start at once; never touching `_sqlx_migrations`). Any number of
    /// dispatchers on any number of machines may share it.
    pub async fn postgres(pool: sqlx::PgPool) -> Result<Self, Error> {
        Self::postgres_migrated(pool, true).await
    }

    /// [`postgres`](Self::postgres) without the `LISTEN/NOTIFY` wake-up: the table's notify
    /// trigger is dropped (or never created), and dispatchers find new rows by polling
    /// ([`poll_interval`](crate::DispatcherBuilder::poll_interval), or a
    /// [`nudge`](crate::Dispatcher::nudge) in the same process). PostgreSQL serialises the
    /// commits of transactions that notify, which costs about a third of the enqueue
    /// throughput (BENCHMARKS.md); an app that enqueues thousands of events a second trades
    /// that for up to one poll interval of latency. Use the same constructor on every machine
    /// of a deployment: each start sets the trigger its way.
    pub async fn postgres_polling(pool: sqlx::PgPool) -> Result<Self, Error> {
        Self::postgres_migrated(pool, false).await
    }

    async fn postgres_migrated(pool: sqlx::PgPool, notify: bool) -> Result<Self, Error> {
        crate::store::postgres::migrate(&pool, notify).await?;
        Ok(Self {
            store: Arc::new(crate::store::postgres::PgStore::new(pool.clone(), notify)),
            pool,
            #[cfg(feature = "sqlite")]
            sqlite: None,
            _db: PhantomData,
        })
    }
}

fn record(row: &NewRow<'_>, queued: Option<i64>) -> Enqueued {
    let result = if queued.is_some() {
        "queued"
    } else {
        "already_queued"
    };
    metrics::counter!("partnero_outbox_enqueued_total", "kind" => row.kind, "result" => result)
        .increment(1);
    match queued {
        Some(id) => Enqueued::Queued { id },
        None => Enqueued::AlreadyQueued,
    }
}

impl<DB: Backend> Outbox<DB> {
    /// Writes `event` on `connection`: your transaction (`&mut *tx`) or a connection.
    /// Idempotent by the event's key: a handler that runs twice enqueues once, and a second
    /// sale (or [purchase](Event::purchase)) with the same transaction key is
    /// [`Enqueued::AlreadyQueued`].
    ///
    /// The key is remembered by the event's row, so for as long as that row exists: while it
    /// waits, and once delivered for [`keep_delivered`](crate::DispatcherBuilder::keep_delivered)
    /// (7 days by default; dead rows stay until an operator acts). After the delivered row is
    /// purged, the same event is [`Enqueued::Queued`] again and delivered again, still paying
    /// nothing twice: a sign-up sent again is answered "duplicate key" (delivered), a refund's
    /// second `DELETE` finds nothing, and a sale or purchase is looked up by its key before it
    /// is posted (Partnero does not refuse a transaction key it has seen), found, and not
    /// posted again. One case is beyond the look-up: a sale that was refunded (its transaction
    /// deleted) and enqueued again after its rows were purged is recorded anew. Keep delivered
    /// rows longer than anything in your app could replay a refunded sale.
    ///
    /// Written in your transaction, the event exists exactly when your own rows do: a
    /// rollback leaves nothing to deliver. Errors leave nothing behind; roll back on them.
    pub async fn enqueue(
        &self,
        connection: &mut DB::Connection,
        event: &Event,
    ) -> Result<Enqueued, Error> {
        let row = event.row()?;
        let queued = DB::insert(connection, &row).await?;
        Ok(record(&row, queued))
    }

    /// [`enqueue`](Self::enqueue) in a transaction of its own on the outbox's pool (for an
    /// outbox in its own file: right after your commit).
    pub async fn enqueue_now(&self, event: &Event) -> Result<Enqueued, Error> {
        let row = event.row()?;
        let queued = DB::insert_pooled(&self.pool, &row).await?;
        Ok(record(&row, queued))
    }

    /// The pool the outbox uses.
    pub fn pool(&self) -> &Pool<DB> {
        &self.pool
    }

    /// Rows by state and kind, the oldest waiting age, dead letters: for a health endpoint.
    pub async fn stats(&self) -> Result<Stats, Error> {
        Ok(self.store.stats().await?)
    }

    /// Up to `limit` dead letters, oldest first.
    pub async fn dead_letters(&self, limit: u32) -> Result<Vec<DeadLetter>, Error> {
        Ok(self.store.dead_letters(limit).await?)
    }

    /// Puts a dead letter back in the queue, due now with its attempts reset. A sale (or
    /// purchase) that may have reached Partnero is looked up by key first, never resent blindly.
    pub async fn retry(&self, id: i64) -> Result<(), Error> {
        if self.store.retry(id).await? {
            Ok(())
        } else {
            Err(Error::NoSuchRow { id })
        }
    }

    /// Gives up on a dead (or still pending) row for good: it is never delivered and no longer
    /// holds back its customer's later events.
    pub async fn discard(&self, id: i64) -> Result<(), Error> {
        if self.store.discard(id).await? {
            Ok(())
        } else {
            Err(Error::NoSuchRow { id })
        }
    }

    /// A builder for the background dispatcher that delivers this outbox with `client`.
    pub fn dispatcher(&self, client: partnero_client::Partnero) -> DispatcherBuilder {
        DispatcherBuilder::new(self.clone_parts(), client)
    }

    fn clone_parts(&self) -> crate::dispatcher::StoreParts {
        crate::dispatcher::StoreParts {
            store: Arc::clone(&self.store),
            #[cfg(feature = "sqlite")]
            sqlite: self.sqlite.clone(),
        }
    }
}
