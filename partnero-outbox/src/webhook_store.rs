//! The SQL behind the webhook side of the outbox, in both dialects: the
//! `partnero_webhook_seen` table (one row per processed delivery) and the update that marks a
//! waiting sale or refund delivered when Partnero's webhook says it happened.

use std::time::Duration;

use futures_util::future::BoxFuture;
use sqlx::Pool;

use crate::outbox::Backend;
use crate::store::millis;

/// The SQL a backend needs for webhooks. Implemented for `Sqlite` and `Postgres`; sealed by
/// [`Backend`].
#[doc(hidden)]
pub trait WebhookBackend: Backend {
    /// Records a delivery id; `true` when it was not recorded before.
    fn mark_seen<'a>(
        pool: &'a Pool<Self>,
        delivery_id: &'a str,
        event: &'a str,
    ) -> BoxFuture<'a, Result<bool, sqlx::Error>>;

    /// Forgets delivery ids recorded longer than `older_than` ago; how many.
    fn forget_seen(
        pool: &Pool<Self>,
        older_than: Duration,
    ) -> BoxFuture<'_, Result<u64, sqlx::Error>>;

    /// Marks the waiting row with `idem_key` delivered with `outcome`; its id, if one waited.
    fn confirm<'a>(
        pool: &'a Pool<Self>,
        idem_key: &'a str,
        outcome: &'a str,
    ) -> BoxFuture<'a, Result<Option<i64>, sqlx::Error>>;
}

/// The states a webhook may confirm: waiting to be sent, being sent (Partnero usually sends
/// the webhook before the answer of the very request that created the transaction reaches the
/// dispatcher), sent with an unknown outcome, or given up. The lease is cleared, so the
/// dispatcher's own answer for that row is fenced out, never written over the confirmation.
const WAITING: &str = "('pending', 'inflight', 'unconfirmed', 'dead')";

#[cfg(feature = "sqlite")]
pub(crate) mod sqlite {
    /// The idempotency record of webhook deliveries; idempotent.
    pub(crate) const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS partnero_webhook_seen (
    delivery_id TEXT    PRIMARY KEY,
    event       TEXT    NOT NULL,
    seen_at     INTEGER NOT NULL
);
"#;
    pub(super) const NOW_MS: &str = "CAST(unixepoch('subsec') * 1000 AS INTEGER)";

    /// Creates `partnero_webhook_seen` when missing.
    pub(crate) async fn migrate(pool: &sqlx::SqlitePool) -> Result<(), sqlx::Error> {
        sqlx::raw_sql(SCHEMA).execute(pool).await?;
        Ok(())
    }
}

#[cfg(feature = "sqlite")]
impl WebhookBackend for sqlx::Sqlite {
    fn mark_seen<'a>(
        pool: &'a Pool<Self>,
        delivery_id: &'a str,
        event: &'a str,
    ) -> BoxFuture<'a, Result<bool, sqlx::Error>> {
        Box::pin(async move {
            let sql = format!(
                "INSERT INTO partnero_webhook_seen (delivery_id, event, seen_at) \
                 VALUES (?1, ?2, {}) ON CONFLICT (delivery_id) DO NOTHING",
                sqlite::NOW_MS
            );
            let done = sqlx::query(&sql)
                .bind(delivery_id)
                .bind(event)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    fn forget_seen(
        pool: &Pool<Self>,
        older_than: Duration,
    ) -> BoxFuture<'_, Result<u64, sqlx::Error>> {
        Box::pin(async move {
            let sql = format!(
                "DELETE FROM partnero_webhook_seen WHERE seen_at < {} - ?1",
                sqlite::NOW_MS
            );
            let done = sqlx::query(&sql)
                .bind(millis(older_than))
                .execute(pool)
                .await?;
            Ok(done.rows_affected())
        })
    }

    fn confirm<'a>(
        pool: &'a Pool<Self>,
        idem_key: &'a str,
        outcome: &'a str,
    ) -> BoxFuture<'a, Result<Option<i64>, sqlx::Error>> {
        Box::pin(async move {
            let sql = format!(
                "UPDATE partnero_outbox SET state = 'delivered', outcome = ?1, done_at = {now}, \
                 last_error = NULL, lease_owner = NULL, lease_until = NULL \
                 WHERE idem_key = ?2 AND state IN {WAITING} RETURNING id",
                now = sqlite::NOW_MS
            );
            sqlx::query_scalar(&sql)
                .bind(outcome)
                .bind(idem_key)
                .fetch_optional(pool)
                .await
        })
    }
}

#[cfg(feature = "postgres")]
pub(crate) mod postgres {
    /// The idempotency record of webhook deliveries; idempotent.
    pub(crate) const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS partnero_webhook_seen (
    delivery_id TEXT        PRIMARY KEY,
    event       TEXT        NOT NULL,
    seen_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
"#;
    /// Serialises concurrent creation by several machines starting at once.
    const MIGRATION_LOCK: i64 = 0x7061_7274_6e77_6873; // "partnwhs"

    /// Creates `partnero_webhook_seen` when missing, under an advisory lock.
    pub(crate) async fn migrate(pool: &sqlx::PgPool) -> Result<(), sqlx::Error> {
        use sqlx::Executor;
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *tx)
            .await?;
        tx.execute(sqlx::raw_sql(SCHEMA)).await?;
        tx.commit().await
    }
}

#[cfg(feature = "postgres")]
impl WebhookBackend for sqlx::Postgres {
    fn mark_seen<'a>(
        pool: &'a Pool<Self>,
        delivery_id: &'a str,
        event: &'a str,
    ) -> BoxFuture<'a, Result<bool, sqlx::Error>> {
        Box::pin(async move {
            let done = sqlx::query(
                "INSERT INTO partnero_webhook_seen (delivery_id, event) VALUES ($1, $2) \
                 ON CONFLICT (delivery_id) DO NOTHING",
            )
            .bind(delivery_id)
            .bind(event)
            .execute(pool)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    fn forget_seen(
        pool: &Pool<Self>,
        older_than: Duration,
    ) -> BoxFuture<'_, Result<u64, sqlx::Error>> {
        Box::pin(async move {
            let done = sqlx::query(
                "DELETE FROM partnero_webhook_seen \
                 WHERE seen_at < now() - ($1::float8 * interval '1 millisecond')",
            )
            .bind(millis(older_than) as f64)
            .execute(pool)
            .await?;
            Ok(done.rows_affected())
        })
    }

    fn confirm<'a>(
        pool: &'a Pool<Self>,
        idem_key: &'a str,
        outcome: &'a str,
    ) -> BoxFuture<'a, Result<Option<i64>, sqlx::Error>> {
        Box::pin(async move {
            let sql = format!(
                "UPDATE partnero_outbox SET state = 'delivered', outcome = $1, done_at = now(), \
                 last_error = NULL, lease_owner = NULL, lease_until = NULL \
                 WHERE idem_key = $2 AND state IN {WAITING} RETURNING id"
            );
            sqlx::query_scalar(&sql)
                .bind(outcome)
                .bind(idem_key)
                .fetch_optional(pool)
                .await
        })
    }
}
