//! The shop's own data: users, login sessions and orders, in an SQLite file through `sqlx`.
//!
//! The Partnero events of a sign-up, a purchase and a refund are not kept here: the shop
//! enqueues them in the outbox table of the same database, in the same transaction as these
//! rows (see [`crate::shop`]), so a row exists exactly when its event does. What is kept here
//! is whether the user is a Partnero customer at all ([`User::reported`]: an affiliate
//! sign-up nobody referred is not), so that their sales are not queued either.

use std::str::FromStr;

use rust_decimal::Decimal;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqlitePool, SqlitePoolOptions};
use sqlx::{Row, Sqlite, Transaction};

/// The shop's tables, created when missing.
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

/// Users, sessions and orders in an SQLite database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

/// The outbox's settings for a shared database, with foreign keys on for the shop's tables.
fn connect_options(database: &str) -> Result<SqliteConnectOptions, sqlx::Error> {
    Ok(partnero_outbox::sqlite_options(database)?.foreign_keys(true))
}

impl Store {
    /// Opens (creating when missing) the database `database`: an `sqlite://` URL or a file
    /// path; creates the shop's tables when missing.
    pub async fn open(database: &str) -> Result<Store, StoreError> {
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(connect_options(database)?)
            .await?;
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::raw_sql(SCHEMA).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(Store { pool })
    }

    /// The pool (shared with the outbox).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// A write transaction, `BEGIN IMMEDIATE`: it takes SQLite's write lock at once (waiting
    /// up to the busy timeout), so a read-then-write never fails half-way with "locked".
    pub async fn begin(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// The user a session token belongs to.
    pub async fn user_for_session(&self, token: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(
            "SELECT u.id, u.email, u.name, u.referred_by, u.reported
             FROM shop_sessions s JOIN shop_users u ON u.id = s.user_id WHERE s.token = ?1",
        )
        .bind(token)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|row| User {
            id: row.get("id"),
            email: row.get("email"),
            name: row.get("name"),
            referred_by: row.get("referred_by"),
            reported: row.get("reported"),
        }))
    }

    /// The order as stored now.
    pub async fn order(&self, user_id: &str, order_id: &str) -> Result<Option<Order>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        order(&mut conn, user_id, order_id).await
    }
}

/// Inserts a new user, [`StoreError::EmailTaken`] when the address (case-insensitively) is.
pub async fn insert_user(conn: &mut SqliteConnection, user: &User) -> Result<(), StoreError> {
    let result = sqlx::query(
        "INSERT INTO shop_users (id, email, email_key, name, referred_by, reported)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (email_key) DO NOTHING",
    )
    .bind(&user.id)
    .bind(&user.email)
    .bind(user.email.to_ascii_lowercase())
    .bind(&user.name)
    .bind(&user.referred_by)
    .bind(user.reported)
    .execute(conn)
    .await?;
    if result.rows_affected() == 0 {
        return Err(StoreError::EmailTaken);
    }
    Ok(())
}

/// Opens a session for a user; returns its token.
pub async fn insert_session(
    conn: &mut SqliteConnection,
    user_id: &str,
) -> Result<String, StoreError> {
    let token = random_hex(16)?;
    sqlx::query("INSERT INTO shop_sessions (token, user_id) VALUES (?1, ?2)")
        .bind(&token)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(token)
}

/// A user's order.
pub async fn order(
    conn: &mut SqliteConnection,
    user_id: &str,
    order_id: &str,
) -> Result<Option<Order>, StoreError> {
    let row = sqlx::query(
        "SELECT amount, transaction_key, refunded FROM shop_orders
         WHERE user_id = ?1 AND order_id = ?2",
    )
    .bind(user_id)
    .bind(order_id)
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        let amount: String = row.get("amount");
        Ok(Order {
            order_id: order_id.to_owned(),
            user_id: user_id.to_owned(),
            amount: Decimal::from_str(&amount).map_err(|e| {
                StoreError::Database(sqlx::Error::Decode(
                    format!("order {order_id} has an unreadable amount {amount:?}: {e}").into(),
                ))
            })?,
            transaction_key: row.get("transaction_key"),
            refunded: row.get("refunded"),
        })
    })
    .transpose()
}

/// Records a new order (its transaction key `<user id>:<order id>`).
pub async fn insert_order(
    conn: &mut SqliteConnection,
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
    sqlx::query(
        "INSERT INTO shop_orders (user_id, order_id, amount, transaction_key)
         VALUES (?1, ?2, ?3, ?4)",
    )
    .bind(&order.user_id)
    .bind(&order.order_id)
    .bind(amount.normalize().to_string())
    .bind(&order.transaction_key)
    .execute(conn)
    .await?;
    Ok(order)
}

/// Marks an order refunded.
pub async fn mark_refunded(
    conn: &mut SqliteConnection,
    user_id: &str,
    order_id: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE shop_orders SET refunded = 1 WHERE user_id = ?1 AND order_id = ?2")
        .bind(user_id)
        .bind(order_id)
        .execute(conn)
        .await?;
    Ok(())
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

    #[tokio::test]
    async fn users_sessions_and_orders_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.db");
        let path = path.to_str().unwrap();
        let store = Store::open(path).await.unwrap();
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
        store.pool().close().await;

        let store = Store::open(&format!("sqlite://{path}")).await.unwrap();
        assert_eq!(
            store.user_for_session(&token).await.unwrap(),
            Some(ann("user_1"))
        );
        assert_eq!(store.user_for_session("nope").await.unwrap(), None);
        let stored = store.order("user_1", "o1").await.unwrap().unwrap();
        assert_eq!((stored.amount, stored.refunded), (amount, false));
        let mut tx = store.begin().await.unwrap();
        mark_refunded(&mut tx, "user_1", "o1").await.unwrap();
        tx.commit().await.unwrap();
        assert!(store.order("user_1", "o1").await.unwrap().unwrap().refunded);
        assert!(store.order("user_1", "o2").await.unwrap().is_none());
    }
}
