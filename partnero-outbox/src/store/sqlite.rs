//! The outbox on SQLite: one file, WAL, `synchronous=FULL`, a busy timeout, write
//! transactions opened `IMMEDIATE`, and one dispatcher per file (a lock file beside it).
//!
//! Times are unix milliseconds from SQLite's own clock (`unixepoch('subsec')`).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use futures_util::future::BoxFuture;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Executor, Row, Sqlite};

use super::{Ack, Claimed, claimed, millis};
use crate::Error;
use crate::event::NewRow;
use crate::stats::{DeadLetter, Stats};

/// The table, its indexes; idempotent. The same text is in the crate docs for apps that keep
/// their own migrations.
pub(crate) const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS partnero_outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT    NOT NULL,
    order_key   TEXT    NOT NULL,
    idem_key    TEXT    NOT NULL UNIQUE,
    payload     TEXT    NOT NULL,
    state       TEXT    NOT NULL DEFAULT 'pending',
    attempts    INTEGER NOT NULL DEFAULT 0,
    run_at      INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until INTEGER,
    sent_at     INTEGER,
    last_status INTEGER,
    last_error  TEXT,
    outcome     TEXT,
    created_at  INTEGER NOT NULL,
    done_at     INTEGER
);
CREATE INDEX IF NOT EXISTS partnero_outbox_due
    ON partnero_outbox (run_at, id) WHERE state IN ('pending', 'unconfirmed');
CREATE INDEX IF NOT EXISTS partnero_outbox_order
    ON partnero_outbox (order_key, id) WHERE state NOT IN ('delivered', 'discarded');
CREATE INDEX IF NOT EXISTS partnero_outbox_inflight
    ON partnero_outbox (lease_until) WHERE state = 'inflight';
"#;

/// SQLite's clock in unix milliseconds.
macro_rules! now_ms {
    () => {
        "CAST(unixepoch('subsec') * 1000 AS INTEGER)"
    };
}

const INSERT: &str = concat!(
    "INSERT INTO partnero_outbox (kind, order_key, idem_key, payload, run_at, created_at) ",
    "SELECT ?1, COALESCE((SELECT order_key FROM partnero_outbox WHERE idem_key = ?2), ?3), ?4, ?5, ",
    now_ms!(),
    ", ",
    now_ms!(),
    " WHERE true ON CONFLICT (idem_key) DO NOTHING RETURNING id"
);

const CLAIM: &str = concat!(
    "UPDATE partnero_outbox SET state = CASE state WHEN 'pending' THEN 'inflight' ELSE state END, ",
    "lease_owner = ?1, lease_until = ",
    now_ms!(),
    " + ?2, attempts = attempts + 1 WHERE id IN (",
    "SELECT o.id FROM partnero_outbox o WHERE o.state IN ('pending', 'unconfirmed') AND o.run_at <= ",
    now_ms!(),
    " AND (o.lease_until IS NULL OR o.lease_until < ",
    now_ms!(),
    ") AND NOT EXISTS (SELECT 1 FROM partnero_outbox p WHERE p.order_key = o.order_key ",
    "AND p.id < o.id AND p.state NOT IN ('delivered', 'discarded')) ",
    "ORDER BY o.run_at, o.id LIMIT ?3) ",
    "RETURNING id, kind, order_key, payload, state, attempts, ",
    now_ms!(),
    " - created_at AS age_ms"
);

const ACK: &str = concat!(
    "UPDATE partnero_outbox SET state = ?1, run_at = ",
    now_ms!(),
    " + ?2, attempts = attempts + ?3, last_status = COALESCE(?4, last_status), ",
    "last_error = COALESCE(?5, last_error), outcome = COALESCE(?6, outcome), ",
    "done_at = CASE WHEN ?7 THEN ",
    now_ms!(),
    " ELSE NULL END, sent_at = CASE WHEN ?8 THEN ",
    now_ms!(),
    " ELSE sent_at END, lease_owner = NULL, lease_until = NULL ",
    "WHERE id = ?9 AND lease_owner = ?10"
);

const RELEASE: &str = concat!(
    "UPDATE partnero_outbox SET ",
    "state = CASE WHEN state = 'inflight' AND kind IN ('sale', 'purchase') THEN 'unconfirmed' ",
    "WHEN state = 'inflight' THEN 'pending' ELSE state END, ",
    "run_at = CASE WHEN state = 'inflight' AND kind IN ('sale', 'purchase') THEN ",
    now_ms!(),
    " + ?1 WHEN state = 'inflight' THEN ",
    now_ms!(),
    " ELSE run_at END, ",
    "sent_at = CASE WHEN state = 'inflight' AND kind IN ('sale', 'purchase') THEN ",
    now_ms!(),
    " ELSE sent_at END, ",
    "last_error = CASE WHEN state = 'inflight' THEN ?2 ELSE last_error END, ",
    "lease_owner = NULL, lease_until = NULL ",
    "WHERE state IN ('inflight', 'unconfirmed') AND lease_owner IS NOT NULL AND ",
    "(CASE WHEN ?3 IS NULL THEN lease_until < ",
    now_ms!(),
    " ELSE lease_owner = ?3 END)"
);

const STATS: &str = "SELECT kind, state, COUNT(*) AS n FROM partnero_outbox GROUP BY kind, state";

const OLDEST: &str = concat!(
    "SELECT ",
    now_ms!(),
    " - MIN(created_at) FROM partnero_outbox WHERE state IN ('pending', 'inflight', 'unconfirmed')"
);

const DEAD: &str = concat!(
    "SELECT id, kind, idem_key, attempts, last_status, last_error, ",
    now_ms!(),
    " - created_at AS age_ms FROM partnero_outbox WHERE state = 'dead' ORDER BY id LIMIT ?1"
);

const RETRY: &str = concat!(
    "UPDATE partnero_outbox SET ",
    "state = CASE WHEN kind IN ('sale', 'purchase') AND sent_at IS NOT NULL THEN 'unconfirmed' ELSE 'pending' END, ",
    "run_at = ",
    now_ms!(),
    ", attempts = 0, done_at = NULL WHERE id = ?1 AND state = 'dead'"
);

const DISCARD: &str = concat!(
    "UPDATE partnero_outbox SET state = 'discarded', done_at = ",
    now_ms!(),
    ", lease_owner = NULL, lease_until = NULL WHERE id = ?1 AND state IN ('dead', 'pending')"
);

const PURGE: &str = concat!(
    "DELETE FROM partnero_outbox WHERE state IN ('delivered', 'discarded') AND done_at < ",
    now_ms!(),
    " - ?1"
);

/// The settings the outbox asks of an SQLite database, its own or one it shares with the app:
/// WAL (readers never wait for the writer), `synchronous=FULL` (a commit survives power loss),
/// a 5 s busy timeout (writers wait for each other instead of failing), created when missing.
/// `database` is an `sqlite:` URL or a file path.
///
/// Write through a pool of **one** connection (`SqlitePoolOptions::new().max_connections(1)`;
/// reads may have a pool of their own): SQLite writes one transaction at a time anyway, and
/// handlers waiting for the pool's connection are woken at each commit, while handlers on
/// connections of their own wait in SQLite's busy handler, which sleeps up to 100 ms between
/// looks at the lock. With 8 concurrent handlers on this 2-core machine that is a p99 of
/// 4.7-8.9 ms against 19-54 ms, and more transactions a second (BENCHMARKS.md). Inside a
/// transaction on such a pool, query through the transaction only: a query on the pool itself
/// waits for the one connection, which the transaction holds, until the acquire timeout.
///
/// ```
/// let options = partnero_outbox::sqlite_options("shop.db").unwrap();
/// assert_eq!(options.get_filename(), std::path::Path::new("shop.db"));
/// ```
pub fn sqlite_options(database: &str) -> Result<SqliteConnectOptions, sqlx::Error> {
    let options = if database.starts_with("sqlite:") {
        SqliteConnectOptions::from_str(database)?
    } else {
        SqliteConnectOptions::new().filename(database)
    };
    Ok(options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(5)))
}

/// A pool of one connection on `database` with [`sqlite_options`]: SQLite writes one
/// transaction at a time, and writers that wait for the pool's connection are woken at each
/// commit, where writers on connections of their own wait in SQLite's busy handler, which
/// sleeps 1, 2, 5, ... 100 ms between looks at the lock (p99 4.7-8.9 ms against 19-54 ms at 8
/// concurrent handlers here; BENCHMARKS.md).
pub(crate) async fn open(database: &str) -> Result<SqlitePool, crate::Error> {
    Ok(SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(sqlite_options(database)?)
        .await?)
}

/// Creates the table and indexes (and the webhook record, `partnero_webhook_seen`) when
/// missing.
pub(crate) async fn migrate(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    tx.execute(sqlx::raw_sql(SCHEMA)).await?;
    tx.execute(sqlx::raw_sql(crate::webhook_store::sqlite::SCHEMA))
        .await?;
    tx.commit().await
}

/// The SQLite store.
#[derive(Debug, Clone)]
pub(crate) struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    pub(crate) fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }

    /// SQLite has no notifications: the dispatcher polls (and is nudged in-process).
    async fn wait_for(&self, timeout: Duration) {
        tokio::time::sleep(timeout).await;
    }

    /// Takes the one-dispatcher-per-file lock: an OS lock on `<database>-dispatcher.lock`,
    /// released when the returned file is dropped or the process dies (a `kill -9` leaves no
    /// stale lock). `None` for an in-memory database.
    pub(crate) fn lock_dispatcher(&self) -> Result<Option<File>, Error> {
        let filename = self.pool.connect_options().get_filename().to_path_buf();
        if is_memory(&filename) {
            return Ok(None);
        }
        let path = lock_path(&filename);
        let shown = path.display().to_string();
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| Error::LockFile {
                path: shown.clone(),
                source,
            })?;
        match file.try_lock() {
            Ok(()) => Ok(Some(file)),
            Err(std::fs::TryLockError::WouldBlock) => Err(Error::DispatcherRunning {
                path: filename.display().to_string(),
            }),
            Err(std::fs::TryLockError::Error(source)) => Err(Error::LockFile {
                path: shown,
                source,
            }),
        }
    }
}

fn is_memory(filename: &Path) -> bool {
    let s = filename.to_string_lossy();
    s.is_empty() || s == ":memory:" || s.starts_with("file::memory:")
}

fn lock_path(filename: &Path) -> PathBuf {
    let mut name = filename.as_os_str().to_owned();
    name.push("-dispatcher.lock");
    PathBuf::from(name)
}

super::sql_store!(SqliteStore, Sqlite, begin = "BEGIN IMMEDIATE");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Store, Transition};
    use crate::{Event, Outbox};

    /// A dispatcher whose lease expired (it hung) and whose row another took over cannot
    /// write its result: the fencing token no longer matches.
    #[tokio::test]
    async fn a_stale_lease_holder_cannot_write_back() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::sqlite(dir.path().join("fence.db").to_str().unwrap())
            .await
            .unwrap();
        outbox.enqueue_now(&Event::refund("t1")).await.unwrap();
        let store = outbox.sqlite.clone().unwrap();
        let stale = store.claim("stale", 8, Duration::ZERO).await.unwrap();
        assert_eq!(stale.len(), 1);
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(
            store.release(None, Duration::ZERO).await.unwrap(),
            1,
            "lease expired"
        );
        let fresh = store
            .claim("fresh", 8, Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(fresh.len(), 1);
        let done = |id| Ack {
            id,
            transition: Transition::Delivered {
                outcome: "refunded".into(),
            },
        };
        assert_eq!(
            store.ack("stale", &[done(stale[0].id)]).await.unwrap(),
            0,
            "fenced"
        );
        assert_eq!(store.ack("fresh", &[done(fresh[0].id)]).await.unwrap(), 1);
        assert_eq!(outbox.stats().await.unwrap().in_state("delivered"), 1);
    }
}
