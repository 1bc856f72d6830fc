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
macro_rules! waiting {
    () => {
        "('pending', 'inflight', 'unconfirmed', 'dead')"
    };
}

/// Implements [`WebhookBackend`] for `$db` from the SQL constants of `$module` (`MARK_SEEN`,
/// `FORGET_SEEN`, `CONFIRM`): the dialects differ in SQL text only, and a generic impl cannot
/// prove its futures `Send` (rust-lang/rust#100013).
macro_rules! webhook_sql {
    ($db:ty, $module:ident) => {
        impl WebhookBackend for $db {
            fn mark_seen<'a>(
                pool: &'a Pool<Self>,
                delivery_id: &'a str,
                event: &'a str,
            ) -> BoxFuture<'a, Result<bool, sqlx::Error>> {
                Box::pin(async move {
                    let done = sqlx::query($module::MARK_SEEN)
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
                    let done = sqlx::query($module::FORGET_SEEN)
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
                Box::pin(
                    sqlx::query_scalar($module::CONFIRM)
                        .bind(outcome)
                        .bind(idem_key)
                        .fetch_optional(pool),
                )
            }
        }
    };
}

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

    macro_rules! now_ms {
        () => {
            "CAST(unixepoch('subsec') * 1000 AS INTEGER)"
        };
    }

    pub(super) const MARK_SEEN: &str = concat!(
        "INSERT INTO partnero_webhook_seen (delivery_id, event, seen_at) VALUES (?1, ?2, ",
        now_ms!(),
        ") ON CONFLICT (delivery_id) DO NOTHING"
    );
    pub(super) const FORGET_SEEN: &str = concat!(
        "DELETE FROM partnero_webhook_seen WHERE seen_at < ",
        now_ms!(),
        " - ?1"
    );
    pub(super) const CONFIRM: &str = concat!(
        "UPDATE partnero_outbox SET state = 'delivered', outcome = ?1, done_at = ",
        now_ms!(),
        ", last_error = NULL, lease_owner = NULL, lease_until = NULL ",
        "WHERE idem_key = ?2 AND state IN ",
        waiting!(),
        " RETURNING id"
    );
}

#[cfg(feature = "sqlite")]
webhook_sql!(sqlx::Sqlite, sqlite);

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

    pub(super) const MARK_SEEN: &str = "INSERT INTO partnero_webhook_seen (delivery_id, event) \
         VALUES ($1, $2) ON CONFLICT (delivery_id) DO NOTHING";
    pub(super) const FORGET_SEEN: &str = "DELETE FROM partnero_webhook_seen \
         WHERE seen_at < now() - ($1::int8 * interval '1 millisecond')";
    pub(super) const CONFIRM: &str = concat!(
        "UPDATE partnero_outbox SET state = 'delivered', outcome = $1, done_at = now(), ",
        "last_error = NULL, lease_owner = NULL, lease_until = NULL ",
        "WHERE idem_key = $2 AND state IN ",
        waiting!(),
        " RETURNING id"
    );
}

#[cfg(feature = "postgres")]
webhook_sql!(sqlx::Postgres, postgres);
