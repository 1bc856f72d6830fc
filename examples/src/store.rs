//! The shop's own data: users, login sessions and orders, in memory.
//!
//! A real shop keeps these in its database; the example keeps them behind one mutex.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use rust_decimal::Decimal;

/// A shop user. Its `customer_key` is the key the shop reports to Partnero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The shop's user id (also the Partnero customer key).
    pub id: String,
    /// E-mail address.
    pub email: String,
    /// Display name.
    pub name: String,
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
    /// Whether it was refunded.
    pub refunded: bool,
}

#[derive(Debug, Default)]
struct Inner {
    users: HashMap<String, User>,
    emails: HashMap<String, String>,
    sessions: HashMap<String, String>,
    orders: HashMap<(String, String), Order>,
}

/// Why the store refused something.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The e-mail address is already registered.
    #[error("an account with this e-mail address already exists")]
    EmailTaken,
    /// The order id was already used by this user.
    #[error("order {0} already exists")]
    DuplicateOrder(String),
    /// No such order for this user.
    #[error("order {0} not found")]
    UnknownOrder(String),
    /// The order was already refunded.
    #[error("order {0} was already refunded")]
    AlreadyRefunded(String),
}

/// Users, sessions and orders.
#[derive(Debug, Default)]
pub struct Store {
    inner: Mutex<Inner>,
}

impl Store {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers a user and opens a session; returns the user and the session token.
    pub fn register(&self, email: &str, name: &str) -> Result<(User, String), StoreError> {
        let mut inner = self.lock();
        let email_key = email.to_ascii_lowercase();
        if inner.emails.contains_key(&email_key) {
            return Err(StoreError::EmailTaken);
        }
        let user = User {
            id: format!("user_{:016x}", fastrand::u64(..)),
            email: email.to_owned(),
            name: name.to_owned(),
        };
        let token = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
        inner.emails.insert(email_key, user.id.clone());
        inner.sessions.insert(token.clone(), user.id.clone());
        inner.users.insert(user.id.clone(), user.clone());
        Ok((user, token))
    }

    /// The user a session token belongs to.
    pub fn user_for_session(&self, token: &str) -> Option<User> {
        let inner = self.lock();
        let id = inner.sessions.get(token)?;
        inner.users.get(id).cloned()
    }

    /// Records a new order for a user.
    pub fn add_order(
        &self,
        user: &User,
        order_id: &str,
        amount: Decimal,
    ) -> Result<Order, StoreError> {
        let mut inner = self.lock();
        let id = (user.id.clone(), order_id.to_owned());
        if inner.orders.contains_key(&id) {
            return Err(StoreError::DuplicateOrder(order_id.to_owned()));
        }
        let order = Order {
            order_id: order_id.to_owned(),
            user_id: user.id.clone(),
            amount,
            transaction_key: format!("{}:{}", user.id, order_id),
            refunded: false,
        };
        inner.orders.insert(id, order.clone());
        Ok(order)
    }

    /// Marks a user's order refunded and returns it.
    pub fn refund_order(&self, user: &User, order_id: &str) -> Result<Order, StoreError> {
        let mut inner = self.lock();
        let order = inner
            .orders
            .get_mut(&(user.id.clone(), order_id.to_owned()))
            .ok_or_else(|| StoreError::UnknownOrder(order_id.to_owned()))?;
        if order.refunded {
            return Err(StoreError::AlreadyRefunded(order_id.to_owned()));
        }
        order.refunded = true;
        Ok(order.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_login_order_refund() {
        let store = Store::default();
        let (user, token) = store.register("a@example.com", "Ann").unwrap();
        assert_eq!(store.user_for_session(&token), Some(user.clone()));
        assert_eq!(store.user_for_session("nope"), None);
        assert_eq!(
            store.register("A@example.com", "Again"),
            Err(StoreError::EmailTaken)
        );
        let order = store.add_order(&user, "o1", Decimal::new(1999, 2)).unwrap();
        assert_eq!(order.transaction_key, format!("{}:o1", user.id));
        assert_eq!(
            store.add_order(&user, "o1", Decimal::ONE),
            Err(StoreError::DuplicateOrder("o1".into()))
        );
        assert!(store.refund_order(&user, "o1").unwrap().refunded);
        assert_eq!(
            store.refund_order(&user, "o1"),
            Err(StoreError::AlreadyRefunded("o1".into()))
        );
        assert_eq!(
            store.refund_order(&user, "o2"),
            Err(StoreError::UnknownOrder("o2".into()))
        );
    }
}
