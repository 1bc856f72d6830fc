//! The outbox on the app's PostgreSQL: rows claimed with `FOR UPDATE SKIP LOCKED` by any
//! number of dispatchers on any number of machines, every write fenced by the lease owner,
//! dispatchers woken by `LISTEN/NOTIFY` (a trigger notifies at the inserting commit).

use std::time::Duration;

use futures_util::future::BoxFuture;
use sqlx::postgres::{PgListener, PgPool};
use sqlx::{Executor, Postgres, Row};
use tokio::sync::Mutex;

use super::{Ack, Claimed, claimed, millis};
use crate::event::NewRow;
use crate::stats::{DeadLetter, Stats};

/// The notification channel.
pub(crate) const CHANNEL: &str = "partnero_outbox";

/// The table and its indexes; idempotent.
macro_rules! table_sql {
    () => {
        r#"
CREATE TABLE IF NOT EXISTS partnero_outbox (
    id          BIGSERIAL   PRIMARY KEY,
    kind        TEXT        NOT NULL,
    order_key   TEXT        NOT NULL,
    idem_key    TEXT        NOT NULL UNIQUE,
    payload     JSONB       NOT NULL,
    state       TEXT        NOT NULL DEFAULT 'pending',
    attempts    INT         NOT NULL DEFAULT 0,
    run_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    lease_owner TEXT,
    lease_until TIMESTAMPTZ,
    sent_at     TIMESTAMPTZ,
    last_status INT,
    last_error  TEXT,
    outcome     TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    done_at     TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS partnero_outbox_due
    ON partnero_outbox (run_at, id) WHERE state IN ('pending', 'unconfirmed');
CREATE INDEX IF NOT EXISTS partnero_outbox_order
    ON partnero_outbox (order_key, id) WHERE state NOT IN ('delivered', 'discarded');
CREATE INDEX IF NOT EXISTS partnero_outbox_inflight
    ON partnero_outbox (lease_until) WHERE state = 'inflight';
"#
    };
}

/// The notify trigger; idempotent.
macro_rules! trigger_sql {
    () => {
        r#"CREATE OR REPLACE FUNCTION partnero_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('partnero_outbox', '');
    RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER partnero_outbox_notify AFTER INSERT ON partnero_outbox
    FOR EACH STATEMENT EXECUTE FUNCTION partnero_outbox_notify();
"#
    };
}

/// The table, its indexes and the notify trigger; idempotent. The same text is in the crate
/// docs for apps that keep their own migrations.
pub(crate) const SCHEMA: &str = concat!(table_sql!(), trigger_sql!());

/// What [`migrate`] runs without the trigger: for dispatchers that poll.
const TABLE: &str = table_sql!();

/// What [`migrate`] runs to wake dispatchers at each inserting commit.
const TRIGGER: &str = trigger_sql!();

/// What [`migrate`] runs to stop waking them.
const DROP_TRIGGER: &str = "DROP TRIGGER IF EXISTS partnero_outbox_notify ON partnero_outbox";

/// Serialises concurrent schema creation by several machines starting at once.
const MIGRATION_LOCK: i64 = 0x7061_7274_6e65_726f; // "partnero"

/// `$n` milliseconds as an interval.
macro_rules! ms {
    ($n:literal) => {
        concat!("(", $n, "::float8 * interval '1 millisecond')")
    };
}

macro_rules! age_ms {
    ($col:literal) => {
        concat!("(EXTRACT(EPOCH FROM (now() - ", $col, ")) * 1000)::int8")
    };
}

const INSERT: &str = "INSERT INTO partnero_outbox (kind, order_key, idem_key, payload) \
     SELECT $1, COALESCE((SELECT order_key FROM partnero_outbox WHERE idem_key = $2), $3), $4, $5::jsonb \
     ON CONFLICT (idem_key) DO NOTHING RETURNING id";

const CLAIM: &str = concat!(
    "WITH next AS (SELECT o.id FROM partnero_outbox o ",
    "WHERE o.state IN ('pending', 'unconfirmed') AND o.run_at <= now() ",
    "AND (o.lease_until IS NULL OR o.lease_until < now()) ",
    "AND NOT EXISTS (SELECT 1 FROM partnero_outbox p WHERE p.order_key = o.order_key ",
    "AND p.id < o.id AND p.state NOT IN ('delivered', 'discarded')) ",
    "ORDER BY o.run_at, o.id LIMIT $3 FOR UPDATE OF o SKIP LOCKED) ",
    "UPDATE partnero_outbox t SET state = CASE t.state WHEN 'pending' THEN 'inflight' ELSE t.state END, ",
    "lease_owner = $1, lease_until = now() + ",
    ms!("$2"),
    ", attempts = t.attempts + 1 FROM next WHERE t.id = next.id ",
    "RETURNING t.id, t.kind, t.order_key, t.payload::text AS payload, t.state, t.attempts, ",
    age_ms!("t.created_at"),
    " AS age_ms"
);

const ACK: &str = concat!(
    "UPDATE partnero_outbox SET state = $1, run_at = now() + ",
    ms!("$2"),
    ", attempts = attempts + $3, last_status = COALESCE($4, last_status), ",
    "last_error = COALESCE($5, last_error), outcome = COALESCE($6, outcome), ",
    "done_at = CASE WHEN $7 THEN now() ELSE NULL END, ",
    "sent_at = CASE WHEN $8 THEN now() ELSE sent_at END, lease_owner = NULL, lease_until = NULL ",
    "WHERE id = $9 AND lease_owner = $10"
);

const RELEASE: &str = concat!(
    "UPDATE partnero_outbox SET ",
    "state = CASE WHEN state = 'inflight' AND kind IN ('sale', 'purchase') THEN 'unconfirmed' ",
    "WHEN state = 'inflight' THEN 'pending' ELSE state END, ",
    "run_at = CASE WHEN state = 'inflight' AND kind IN ('sale', 'purchase') THEN now() + ",
    ms!("$1"),
    " WHEN state = 'inflight' THEN now() ELSE run_at END, ",
    "sent_at = CASE WHEN state = 'inflight' AND kind IN ('sale', 'purchase') THEN now() ELSE sent_at END, ",
    "last_error = CASE WHEN state = 'inflight' THEN $2 ELSE last_error END, ",
    "lease_owner = NULL, lease_until = NULL ",
    "WHERE state IN ('inflight', 'unconfirmed') AND lease_owner IS NOT NULL AND ",
    "(CASE WHEN $3::text IS NULL THEN lease_until < now() ELSE lease_owner = $3::text END)"
);

const STATS: &str =
    "SELECT kind, state, COUNT(*)::int8 AS n FROM partnero_outbox GROUP BY kind, state";

const OLDEST: &str = concat!(
    "SELECT ",
    age_ms!("MIN(created_at)"),
    " FROM partnero_outbox WHERE state IN ('pending', 'inflight', 'unconfirmed')"
);

const DEAD: &str = concat!(
    "SELECT id, kind, idem_key, attempts, last_status, last_error, ",
    age_ms!("created_at"),
    " AS age_ms FROM partnero_outbox WHERE state = 'dead' ORDER BY id LIMIT $1"
);

const RETRY: &str = "UPDATE partnero_outbox SET \
     state = CASE WHEN kind IN ('sale', 'purchase') AND sent_at IS NOT NULL THEN 'unconfirmed' ELSE 'pending' END, \
     run_at = now(), attempts = 0, done_at = NULL WHERE id = $1 AND state = 'dead'";

const DISCARD: &str = "UPDATE partnero_outbox SET state = 'discarded', done_at = now(), \
     lease_owner = NULL, lease_until = NULL WHERE id = $1 AND state IN ('dead', 'pending')";

const PURGE: &str = concat!(
    "DELETE FROM partnero_outbox WHERE state IN ('delivered', 'discarded') AND done_at < now() - ",
    ms!("$1")
);

/// Creates the table and indexes (and the webhook record, `partnero_webhook_seen`) when
/// missing, under an advisory lock; creates the notify trigger when `notify`, drops it
/// otherwise.
pub(crate) async fn migrate(pool: &PgPool, notify: bool) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *tx)
        .await?;
    tx.execute(sqlx::raw_sql(TABLE)).await?;
    tx.execute(sqlx::raw_sql(crate::webhook_store::postgres::SCHEMA))
        .await?;
    if notify {
        tx.execute(sqlx::raw_sql(TRIGGER)).await?;
    } else {
        tx.execute(DROP_TRIGGER).await?;
    }
    tx.commit().await
}

/// The PostgreSQL store.
#[derive(Debug)]
pub(crate) struct PgStore {
    pool: PgPool,
    /// Whether the table notifies (`Outbox::postgres`); a polling store never listens.
    listens: bool,
    /// Opened on the first idle wait; dropped (and reopened later) when it fails.
    listener: Mutex<Option<PgListener>>,
}

impl PgStore {
    pub(crate) fn new(pool: PgPool, listens: bool) -> Self {
        Self {
            pool,
            listens,
            listener: Mutex::new(None),
        }
    }
}

impl Drop for PgStore {
    /// sqlx's `PgListener` hands its clean-up (`UNLISTEN`, the connection back to the pool) to
    /// the current Tokio runtime when it is dropped, and panics where there is none: an outbox
    /// dropped on a thread whose runtime is gone (an actix arbiter that stops, a process
    /// killed in a test). There the listener is let go without its clean-up; its connection
    /// ends with the process or the server's idle timeout. Never a panic.
    fn drop(&mut self) {
        let listener = self.listener.get_mut().take();
        if listener.is_some() && tokio::runtime::Handle::try_current().is_err() {
            std::mem::forget(listener);
        }
    }
}

super::sql_store!(PgStore, Postgres, begin = "BEGIN");

impl PgStore {
    /// Waits for a notification (or `timeout`), reopening the listener when it failed.
    async fn wait_for(&self, timeout: Duration) {
        if !self.listens {
            // `Outbox::postgres_polling`: nothing notifies, so no connection is held for it.
            tokio::time::sleep(timeout).await;
            return;
        }
        let mut slot = self.listener.lock().await;
        if slot.is_none() {
            match PgListener::connect_with(&self.pool).await {
                Ok(mut listener) => match listener.listen(CHANNEL).await {
                    Ok(()) => *slot = Some(listener),
                    Err(e) => tracing::debug!(error = %e, "outbox LISTEN failed; polling"),
                },
                Err(e) => {
                    tracing::debug!(error = %e, "outbox listener connect failed; polling")
                }
            }
        }
        let Some(listener) = slot.as_mut() else {
            tokio::time::sleep(timeout).await;
            return;
        };
        match tokio::time::timeout(timeout, listener.recv()).await {
            Ok(Ok(_)) | Err(_) => {}
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "outbox listener failed; reopening later");
                *slot = None;
            }
        }
    }
}

#[cfg(test)]
#[path = "../../tests/outbox/scratch_schema.rs"]
mod scratch_schema;

#[cfg(test)]
mod tests {
    use sqlx::postgres::PgPoolOptions;

    use super::scratch_schema;

    use super::*;
    use crate::store::Transition;
    use crate::{Event, Outbox};

    /// A pool on a fresh schema of the test server and that schema, or `None` with a loud line
    /// when no server answers, unless `PARTNERO_REQUIRE_POSTGRES=1`.
    async fn scratch_pool() -> Option<(PgPool, scratch_schema::ScratchSchema)> {
        let scratch = scratch_schema::ScratchSchema::create("outbox_unit", "PostgreSQL store test")
            .await
            .expect("a scratch schema")?;
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .connect(&scratch.url)
            .await
            .unwrap();
        Some((pool, scratch))
    }

    /// A store that listened, dropped on a thread with no Tokio runtime (an actix arbiter
    /// that stops), does not panic (sqlx's listener spawns its clean-up on drop).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_listening_store_dropped_off_the_runtime_does_not_panic() {
        let Some((pool, scratch)) = scratch_pool().await else {
            return;
        };
        let store = PgStore::new(pool, true);
        store.wait_for(Duration::from_millis(10)).await;
        assert!(
            store.listener.lock().await.is_some(),
            "the listener is open"
        );
        let dropped = std::thread::spawn(move || drop(store)).join();
        assert!(dropped.is_ok(), "dropping the store panicked");
        scratch.drop().await;
    }

    /// A dispatcher whose lease expired (it hung) and whose row another took over cannot
    /// write its result: the fencing token no longer matches. Nor can it once the row is
    /// merely released, before anyone claims it again.
    #[tokio::test]
    async fn a_stale_lease_holder_cannot_write_back() {
        let Some((pool, scratch)) = scratch_pool().await else {
            return;
        };
        let outbox = Outbox::postgres(pool).await.unwrap();
        outbox.enqueue_now(&Event::refund("t1")).await.unwrap();
        let store = &outbox.store;
        let stale = store.claim("stale", 8, Duration::ZERO).await.unwrap();
        assert_eq!(stale.len(), 1);
        tokio::time::sleep(Duration::from_millis(5)).await;
        let done = |id| Ack {
            id,
            transition: Transition::Delivered {
                outcome: "refunded".into(),
            },
        };
        assert_eq!(
            store.release(None, Duration::ZERO).await.unwrap(),
            1,
            "lease expired"
        );
        assert_eq!(
            store.ack("stale", &[done(stale[0].id)]).await.unwrap(),
            0,
            "fenced once released"
        );
        let fresh = store
            .claim("fresh", 8, Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(fresh.len(), 1);
        assert_eq!(fresh[0].id, stale[0].id);
        assert_eq!(
            store.ack("stale", &[done(stale[0].id)]).await.unwrap(),
            0,
            "fenced once claimed by another"
        );
        let stats = outbox.stats().await.unwrap();
        assert_eq!(
            (stats.in_state("inflight"), stats.in_state("delivered")),
            (1, 0),
            "the stale ack left the fresh claim alone: {stats:?}"
        );
        assert_eq!(store.ack("fresh", &[done(fresh[0].id)]).await.unwrap(), 1);
        assert_eq!(outbox.stats().await.unwrap().in_state("delivered"), 1);
        outbox.pool().close().await;
        scratch.drop().await;
    }
}
