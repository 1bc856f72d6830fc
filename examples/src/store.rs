//! The shop's own data: users, login sessions and orders, through `sqlx`, in SQLite (a file,
//! the default) or PostgreSQL (a `postgres://` or `postgresql://` URL).
//!
//! The Partnero events of a sign-up, a purchase and a refund are not kept here: the shop
//! enqueues them in the outbox table of the same database ([`ShopOutbox`]), in the same
//! transaction ([`Tx`]) as these rows (see [`crate::shop`]), so a row exists exactly when its
//! event does. What is kept here is whether the user is a Partnero customer at all
//! ([`User::reported`]: an affiliate sign-up nobody referred is not), so that their sales are
//! not queued either.
//!
//! Both databases run the same statements (`$1` placeholders, which SQLite reads too); only the
//! tables' DDL and how a write transaction starts differ. Amounts are kept as exact decimal
//! text on both.

use std::str::FromStr;

use partnero_client::{WebhookDelivery, WebhookEvent};
use partnero_outbox::{Confirmation, Enqueued, Event, Outbox, Stats};
use rust_decimal::Decimal;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{Postgres, Row, Sqlite, Transaction};

/// The shop's tables on SQLite, created when missing.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS shop_users (
    id          TEXT PRIMARY KEY,
    email       TEXT NOT NULL,
    email_key   TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    referred_by TEXT,
    reported    INTEGER NOT NULL,
    created_at  INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE TABLE IF NOT EXISTS shop_sessions (
    token      TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES shop_users (id),
    created_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE TABLE IF NOT EXISTS shop_orders (
    user_id         TEXT NOT NULL REFERENCES shop_users (id),
    order_id        TEXT NOT NULL,
    amount          TEXT NOT NULL,
    transaction_key TEXT NOT NULL UNIQUE,
    refunded        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL DEFAULT (unixepoch()),
    PRIMARY KEY (user_id, order_id)
);
";

/// The same tables on PostgreSQL, created when missing (under [`PG_SCHEMA_LOCK`], so shops
/// starting at once on one database do not race). Times are Unix seconds, as on SQLite.
pub const PG_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS shop_users (
    id          TEXT PRIMARY KEY,
    email       TEXT NOT NULL,
    email_key   TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    referred_by TEXT,
    reported    BOOLEAN NOT NULL,
    created_at  BIGINT NOT NULL DEFAULT (floor(extract(epoch FROM now()))::BIGINT)
);
CREATE TABLE IF NOT EXISTS shop_sessions (
    token      TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES shop_users (id),
    created_at BIGINT NOT NULL DEFAULT (floor(extract(epoch FROM now()))::BIGINT)
);
CREATE TABLE IF NOT EXISTS shop_orders (
    user_id         TEXT NOT NULL REFERENCES shop_users (id),
    order_id        TEXT NOT NULL,
    amount          TEXT NOT NULL,
    transaction_key TEXT NOT NULL UNIQUE,
    refunded        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      BIGINT NOT NULL DEFAULT (floor(extract(epoch FROM now()))::BIGINT),
    PRIMARY KEY (user_id, order_id)
);
";

/// The transaction-scoped advisory lock [`PG_SCHEMA`] is created under.
pub const PG_SCHEMA_LOCK: i64 = 0x7061_7274_7368_6f70; // "partshop"

/// A shop user. Its `id` is the key the shop reports to Partnero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The shop's user id (also the Partnero customer key).
    pub id: String,
    /// E-mail address.
    pub email: String,
    /// Display name.
    pub name: String,
    /// The key of whoever referred the user (for the shop's program), captured at sign-up.
    pub referred_by: Option<String>,
    /// Whether the user's events go to Partnero: false for an affiliate sign-up nobody
    /// referred, who is not a Partnero customer (nor are their sales).
    pub reported: bool,
}

/// An order a user paid for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// The order id the client chose.
    pub order_id: String,
    /// Who bought it.
    pub user_id: String,
    /// What was paid.
    pub amount: Decimal,
    /// The Partnero transaction key of the sale.
    pub transaction_key: String,
    /// Whether the shop refunded the order.
    pub refunded: bool,
}

/// Why the store refused something.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The e-mail address is already registered.
    #[error("an account with this e-mail address already exists")]
    EmailTaken,
    /// The order id was already used by this user, for another amount, or the order was
    /// refunded (repeating a purchase as it was is allowed: nothing is queued twice).
    #[error("order {0} already exists")]
    DuplicateOrder(String),
    /// No such order for this user.
    #[error("order {0} not found")]
    UnknownOrder(String),
    /// The system's random source failed (no session could be opened).
    #[error("cannot create a session: {0}")]
    Random(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// A random hex token of `bytes` bytes from the operating system's secure source (session
/// tokens must not be guessable).
pub fn random_hex(bytes: usize) -> Result<String, StoreError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| StoreError::Random(e.to_string()))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// Whether `database` names a PostgreSQL database (`postgres://` or `postgresql://`); anything
/// else is an SQLite URL or file path.
pub fn is_postgres(database: &str) -> bool {
    let scheme = database.split_once("://").map(|(scheme, _)| scheme);
    scheme
        .is_some_and(|s| s.eq_ignore_ascii_case("postgres") || s.eq_ignore_ascii_case("postgresql"))
}

/// `database` as it may be printed: the password of a PostgreSQL URL replaced by `REDACTED`
/// (the URL parsed by the `url` crate, not by hand).
pub fn redacted(database: &str) -> String {
    match url::Url::parse(database) {
        Ok(mut url) if is_postgres(database) && url.password().is_some() => {
            let _ = url.set_password(Some("REDACTED"));
            url.to_string()
        }
        _ => database.to_owned(),
    }
}

/// Runs `$body` once for whichever database `$value` (a [`Tx`] or the store's pool) is on,
/// with `$x` bound to its SQLite or PostgreSQL half: one copy of the code, compiled for each.
macro_rules! on_either {
    ($value:expr, $Enum:ident, |$x:ident| $body:expr) => {
        match $value {
            $Enum::Sqlite($x) => $body,
            $Enum::Postgres($x) => $body,
        }
    };
}

/// The shop's connection pool.
#[derive(Debug, Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Users, sessions and orders in an SQLite or a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: Pool,
}

/// A write transaction on the shop's database: the shop's rows and the outbox's event go in
/// it together ([`ShopOutbox::enqueue`]). Dropped without [`commit`](Tx::commit), it rolls back.
#[derive(Debug)]
pub enum Tx {
    /// On SQLite.
    Sqlite(Transaction<'static, Sqlite>),
    /// On PostgreSQL.
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    /// Commits.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        on_either!(self, Tx, |tx| tx.commit().await)
    }

    /// Rolls back.
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        on_either!(self, Tx, |tx| tx.rollback().await)
    }
}

/// The outbox's settings for a shared database, with foreign keys on for the shop's tables.
fn connect_options(database: &str) -> Result<SqliteConnectOptions, sqlx::Error> {
    Ok(partnero_outbox::sqlite_options(database)?.foreign_keys(true))
}

impl Store {
    /// Opens the database `database` and creates the shop's tables when missing: PostgreSQL
    /// for a `postgres://` or `postgresql://` URL (the database must exist), otherwise SQLite,
    /// an `sqlite://` URL or a file path (created when missing).
    pub async fn open(database: &str) -> Result<Store, StoreError> {
        let pool = if is_postgres(database) {
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .connect(database)
                .await?;
            let mut tx = pool.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(PG_SCHEMA_LOCK)
                .execute(&mut *tx)
                .await?;
            sqlx::raw_sql(PG_SCHEMA).execute(&mut *tx).await?;
            tx.commit().await?;
            Pool::Postgres(pool)
        } else {
            // One connection: SQLite writes one transaction at a time, and a handler waiting
            // for the pool is woken at the commit before it, not after the busy handler's
            // sleep (see `partnero_outbox::sqlite_options`).
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(connect_options(database)?)
                .await?;
            let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
            sqlx::raw_sql(SCHEMA).execute(&mut *tx).await?;
            tx.commit().await?;
            Pool::Sqlite(pool)
        };
        Ok(Store { pool })
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgres",
        }
    }

    /// The outbox table in the same database (created when missing), on the same pool, so its
    /// events go in the shop's transactions.
    pub async fn outbox(&self) -> Result<ShopOutbox, partnero_outbox::Error> {
        Ok(match &self.pool {
            Pool::Sqlite(pool) => ShopOutbox::Sqlite(Outbox::sqlite_pool(pool.clone()).await?),
            Pool::Postgres(pool) => ShopOutbox::Postgres(Outbox::postgres(pool.clone()).await?),
        })
    }

    /// A write transaction. On SQLite `BEGIN IMMEDIATE`: it takes the write lock at once
    /// (waiting up to the busy timeout), so a read-then-write never fails half-way with
    /// "locked". On PostgreSQL a plain `BEGIN` (read committed); [`lock_user`] serialises
    /// one user's writes.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match &self.pool {
            Pool::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Closes the pool (waiting for connections in use to come back).
    pub async fn close(&self) {
        on_either!(&self.pool, Pool, |pool| pool.close().await)
    }

    /// The user a session token belongs to.
    pub async fn user_for_session(&self, token: &str) -> Result<Option<User>, StoreError> {
        on_either!(&self.pool, Pool, |pool| {
            let row = sqlx::query(
                "SELECT u.id, u.email, u.name, u.referred_by, u.reported
                 FROM shop_sessions s JOIN shop_users u ON u.id = s.user_id WHERE s.token = $1",
            )
            .bind(token)
            .fetch_optional(pool)
            .await?;
            Ok(row.map(|row| User {
                id: row.get("id"),
                email: row.get("email"),
                name: row.get("name"),
                referred_by: row.get("referred_by"),
                reported: row.get("reported"),
            }))
        })
    }

    /// The order as stored now.
    pub async fn order(&self, user_id: &str, order_id: &str) -> Result<Option<Order>, StoreError> {
        // A read: a deferred transaction, no write lock.
        let mut tx = match &self.pool {
            Pool::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Pool::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        };
        let order = order(&mut tx, user_id, order_id).await?;
        tx.rollback().await?;
        Ok(order)
    }
}

/// Inserts a new user, [`StoreError::EmailTaken`] when the address (case-insensitively) is.
pub async fn insert_user(tx: &mut Tx, user: &User) -> Result<(), StoreError> {
    let inserted = on_either!(tx, Tx, |tx| {
        sqlx::query(
            "INSERT INTO shop_users (id, email, email_key, name, referred_by, reported)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (email_key) DO NOTHING",
        )
        .bind(&user.id)
        .bind(&user.email)
        .bind(user.email.to_ascii_lowercase())
        .bind(&user.name)
        .bind(&user.referred_by)
        .bind(user.reported)
        .execute(&mut **tx)
        .await?
        .rows_affected()
    });
    if inserted == 0 {
        return Err(StoreError::EmailTaken);
    }
    Ok(())
}

/// Opens a session for a user; returns its token.
pub async fn insert_session(tx: &mut Tx, user_id: &str) -> Result<String, StoreError> {
    let token = random_hex(16)?;
    on_either!(tx, Tx, |tx| {
        sqlx::query("INSERT INTO shop_sessions (token, user_id) VALUES ($1, $2)")
            .bind(&token)
            .bind(user_id)
            .execute(&mut **tx)
            .await?;
    });
    Ok(token)
}

/// Serialises the writes of one user (their purchases and refunds read, then write): on SQLite
/// the transaction already holds the database's write lock; on PostgreSQL this takes the
/// user's row lock until the transaction ends, so the same purchase sent twice at once is one
/// order and one sale (the second `already_queued`), as on SQLite.
pub async fn lock_user(tx: &mut Tx, user_id: &str) -> Result<(), StoreError> {
    if let Tx::Postgres(tx) = tx {
        sqlx::query("SELECT id FROM shop_users WHERE id = $1 FOR UPDATE")
            .bind(user_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// A user's order.
pub async fn order(
    tx: &mut Tx,
    user_id: &str,
    order_id: &str,
) -> Result<Option<Order>, StoreError> {
    let row = on_either!(tx, Tx, |tx| {
        sqlx::query(
            "SELECT amount, transaction_key, refunded FROM shop_orders
             WHERE user_id = $1 AND order_id = $2",
        )
        .bind(user_id)
        .bind(order_id)
        .fetch_optional(&mut **tx)
        .await?
        .map(|row| {
            let amount: String = row.get("amount");
            (
                amount,
                row.get::<String, _>("transaction_key"),
                row.get::<bool, _>("refunded"),
            )
        })
    });
    row.map(|(amount, transaction_key, refunded)| {
        Ok(Order {
            order_id: order_id.to_owned(),
            user_id: user_id.to_owned(),
            amount: Decimal::from_str(&amount).map_err(|e| {
                StoreError::Database(sqlx::Error::Decode(
                    format!("order {order_id} has an unreadable amount {amount:?}: {e}").into(),
                ))
            })?,
            transaction_key,
            refunded,
        })
    })
    .transpose()
}

/// Records a new order (its transaction key `<user id>:<order id>`).
pub async fn insert_order(
    tx: &mut Tx,
    user_id: &str,
    order_id: &str,
    amount: Decimal,
) -> Result<Order, StoreError> {
    let order = Order {
        order_id: order_id.to_owned(),
        user_id: user_id.to_owned(),
        amount,
        transaction_key: format!("{user_id}:{order_id}"),
        refunded: false,
    };
    on_either!(tx, Tx, |tx| {
        sqlx::query(
            "INSERT INTO shop_orders (user_id, order_id, amount, transaction_key)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&order.user_id)
        .bind(&order.order_id)
        .bind(amount.normalize().to_string())
        .bind(&order.transaction_key)
        .execute(&mut **tx)
        .await?;
    });
    Ok(order)
}

/// Marks an order refunded.
pub async fn mark_refunded(tx: &mut Tx, user_id: &str, order_id: &str) -> Result<(), StoreError> {
    on_either!(tx, Tx, |tx| {
        sqlx::query("UPDATE shop_orders SET refunded = TRUE WHERE user_id = $1 AND order_id = $2")
            .bind(user_id)
            .bind(order_id)
            .execute(&mut **tx)
            .await?;
    });
    Ok(())
}

/// The `partnero_outbox` table in the shop's database, SQLite or PostgreSQL: what the shop
/// needs of `partnero_outbox::Outbox`, whichever it is. From [`Store::outbox`].
#[derive(Debug, Clone)]
pub enum ShopOutbox {
    /// In the shop's SQLite database.
    Sqlite(Outbox<Sqlite>),
    /// In the shop's PostgreSQL database.
    Postgres(Outbox<Postgres>),
}

impl ShopOutbox {
    /// Writes `event` in the shop's transaction `tx` (see `Outbox::enqueue`).
    pub async fn enqueue(
        &self,
        tx: &mut Tx,
        event: &Event,
    ) -> Result<Enqueued, partnero_outbox::Error> {
        match (self, tx) {
            (ShopOutbox::Sqlite(outbox), Tx::Sqlite(tx)) => outbox.enqueue(tx, event).await,
            (ShopOutbox::Postgres(outbox), Tx::Postgres(tx)) => outbox.enqueue(tx, event).await,
            // Both come from one `Store`; a mix-up is a bug, reported, never a panic.
            _ => Err(partnero_outbox::Error::Database(
                sqlx::Error::Configuration(
                    "the transaction is not on the outbox's database".into(),
                ),
            )),
        }
    }

    /// Rows by state and kind (the dashboard's summary).
    pub async fn stats(&self) -> Result<Stats, partnero_outbox::Error> {
        on_either!(self, ShopOutbox, |outbox| outbox.stats().await)
    }

    /// A builder for the dispatcher delivering this outbox with `client`.
    pub fn dispatcher(
        &self,
        client: partnero_client::Partnero,
    ) -> partnero_outbox::DispatcherBuilder {
        on_either!(self, ShopOutbox, |outbox| outbox.dispatcher(client))
    }

    /// Lets a webhook confirm a waiting sale or refund (see `Outbox::confirm_from_webhook`).
    pub async fn confirm_from_webhook(
        &self,
        event: &WebhookEvent,
    ) -> Result<Confirmation, partnero_outbox::Error> {
        on_either!(self, ShopOutbox, |outbox| outbox
            .confirm_from_webhook(event)
            .await)
    }

    /// Records a webhook delivery as seen; `false` for a replay (see `Outbox::first_delivery`).
    pub async fn first_delivery(
        &self,
        delivery: &WebhookDelivery,
    ) -> Result<bool, partnero_outbox::Error> {
        on_either!(self, ShopOutbox, |outbox| outbox
            .first_delivery(delivery)
            .await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ann(id: &str) -> User {
        User {
            id: id.into(),
            email: "Ann@example.com".into(),
            name: "Ann".into(),
            referred_by: Some("demo-partner".into()),
            reported: true,
        }
    }

    /// Writes a user, a session and an order on `database`, reopens it, and reads them back.
    async fn survive_a_reopen(database: &str, reopened: &str) {
        let store = Store::open(database).await.unwrap();
        let mut tx = store.begin().await.unwrap();
        insert_user(&mut tx, &ann("user_1")).await.unwrap();
        let token = insert_session(&mut tx, "user_1").await.unwrap();
        let amount = Decimal::new(19_990, 3);
        let order = insert_order(&mut tx, "user_1", "o1", amount).await.unwrap();
        assert_eq!(order.transaction_key, "user_1:o1");
        tx.commit().await.unwrap();
        assert_eq!(token.len(), 32);
        // The same address in another case is taken; a rolled back user leaves nothing.
        let mut tx = store.begin().await.unwrap();
        let mut other = ann("user_2");
        other.email = "ANN@example.com".into();
        assert!(matches!(
            insert_user(&mut tx, &other).await,
            Err(StoreError::EmailTaken)
        ));
        tx.rollback().await.unwrap();
        store.close().await;

        // Opening again creates nothing twice.
        let store = Store::open(reopened).await.unwrap();
        assert_eq!(
            store.user_for_session(&token).await.unwrap(),
            Some(ann("user_1"))
        );
        assert_eq!(store.user_for_session("nope").await.unwrap(), None);
        let stored = store.order("user_1", "o1").await.unwrap().unwrap();
        assert_eq!((stored.amount, stored.refunded), (amount, false));
        let mut tx = store.begin().await.unwrap();
        lock_user(&mut tx, "user_1").await.unwrap();
        mark_refunded(&mut tx, "user_1", "o1").await.unwrap();
        tx.commit().await.unwrap();
        assert!(store.order("user_1", "o1").await.unwrap().unwrap().refunded);
        assert!(store.order("user_1", "o2").await.unwrap().is_none());
        store.close().await;
    }

    #[tokio::test]
    async fn users_sessions_and_orders_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.db");
        let path = path.to_str().unwrap();
        survive_a_reopen(path, &format!("sqlite://{path}")).await;
    }

    #[tokio::test]
    async fn users_sessions_and_orders_survive_a_reopen_on_postgres() {
        let what = "the shop's store on PostgreSQL";
        let Some(scratch) = crate::scratch_db::ScratchSchema::create("shop_store", what)
            .await
            .unwrap()
        else {
            return;
        };
        let url = scratch.url.clone();
        let store = Store::open(&url).await.unwrap();
        assert_eq!(store.backend(), "postgres");
        store.close().await;
        survive_a_reopen(&url, &url.replacen("postgres://", "postgresql://", 1)).await;
        scratch.drop().await;
    }

    #[test]
    fn a_printed_postgres_url_shows_no_password() {
        assert_eq!(
            redacted("postgres://app:s3cr@t@db:5432/shop?sslmode=require"),
            "postgres://app:REDACTED@db:5432/shop?sslmode=require"
        );
        for shown in [
            "postgres://app@db/shop",
            "postgresql://db/shop",
            "shop.db",
            "sqlite://a:b@c",
        ] {
            assert_eq!(redacted(shown), shown);
        }
    }

    #[test]
    fn the_scheme_chooses_the_database() {
        for url in ["postgres://u@h/db", "postgresql://h/db", "POSTGRES://h/db"] {
            assert!(is_postgres(url), "{url}");
        }
        for other in [
            "shop.db",
            "sqlite://shop.db",
            "./postgres/shop.db",
            "postgres",
            "",
        ] {
            assert!(!is_postgres(other), "{other}");
        }
    }
}
