//! The shop's own data: users, login sessions and orders, in memory, each with where its
//! Partnero event stands ([`Delivery`]).
//!
//! A real shop keeps these in its database. What matters for Partnero is kept with them: the
//! referral captured at sign-up (so the attribution survives a Partnero outage) and whether
//! each sign-up, sale and refund has reached Partnero yet (so a failed one is sent again
//! instead of being lost, and a delivered one is never sent twice).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use partnero_core::ReferralContext;
use rust_decimal::Decimal;

/// Where one Partnero event (a sign-up, a sale or a refund) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Not accepted by Partnero yet (its call failed): sent again at the next chance.
    Pending,
    /// A request handler is sending it now; others must not send it too.
    InFlight,
    /// Partnero has it.
    Done,
    /// Nothing to send: an affiliate customer nobody referred (or whose partner key Partnero
    /// does not know) is not a Partnero customer, so neither are their sales.
    NotNeeded,
}

/// A shop user. Its `id` is the key the shop reports to Partnero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The shop's user id (also the Partnero customer key).
    pub id: String,
    /// E-mail address.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Who referred the user, captured when they signed up.
    pub referral: ReferralContext,
    /// Where the user's Partnero sign-up stands.
    pub signup: Delivery,
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
    /// Where the sale stands with Partnero.
    pub sale: Delivery,
    /// Where the refund stands with Partnero; `None` while the order is not refunded.
    pub refund: Option<Delivery>,
}

impl Order {
    /// Whether the shop refunded the order.
    pub fn is_refunded(&self) -> bool {
        self.refund.is_some()
    }
}

/// An order claimed for sending its sale: the order, and whether an earlier attempt failed
/// (then the sale may have been recorded after all: look it up before sending it again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedSale {
    /// The order, its sale now [`Delivery::InFlight`].
    pub order: Order,
    /// `true` when this is a repeat of a purchase whose sale did not reach Partnero.
    pub retry: bool,
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
    /// The order id was already used by this user, for another amount or a sale already
    /// reported (repeating a purchase whose sale failed is allowed: it is sent again).
    #[error("order {0} already exists")]
    DuplicateOrder(String),
    /// No such order for this user.
    #[error("order {0} not found")]
    UnknownOrder(String),
    /// The order was already refunded (and the refund reported, or being reported).
    #[error("order {0} was already refunded")]
    AlreadyRefunded(String),
    /// Another request is reporting this order to Partnero right now.
    #[error("order {0} is being reported to Partnero; try again in a moment")]
    Busy(String),
    /// The system's random source failed (no session could be opened).
    #[error("cannot create a session: {0}")]
    Random(String),
}

/// Users, sessions and orders.
#[derive(Debug, Default)]
pub struct Store {
    inner: Mutex<Inner>,
}

/// A random hex token of `bytes` bytes from the operating system's secure source (session
/// tokens must not be guessable).
fn random_hex(bytes: usize) -> Result<String, StoreError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| StoreError::Random(e.to_string()))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

impl Store {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers a user with the referral captured at sign-up (its Partnero sign-up
    /// [`Delivery::Pending`]) and opens a session; returns the user and the session token.
    pub fn register(
        &self,
        email: &str,
        name: &str,
        referral: ReferralContext,
    ) -> Result<(User, String), StoreError> {
        let id = format!("user_{}", random_hex(8)?);
        let token = random_hex(16)?;
        let mut inner = self.lock();
        let email_key = email.to_ascii_lowercase();
        if inner.emails.contains_key(&email_key) {
            return Err(StoreError::EmailTaken);
        }
        let user = User {
            id,
            email: email.to_owned(),
            name: name.to_owned(),
            referral,
            signup: Delivery::Pending,
        };
        inner.emails.insert(email_key, user.id.clone());
        inner.sessions.insert(token.clone(), user.id.clone());
        inner.users.insert(user.id.clone(), user.clone());
        Ok((user, token))
    }

    /// The user a session token belongs to, as stored now.
    pub fn user_for_session(&self, token: &str) -> Option<User> {
        let inner = self.lock();
        let id = inner.sessions.get(token)?;
        inner.users.get(id).cloned()
    }

    /// Records where a user's Partnero sign-up stands.
    pub fn set_signup(&self, user_id: &str, delivery: Delivery) {
        if let Some(user) = self.lock().users.get_mut(user_id) {
            user.signup = delivery;
        }
    }

    /// Records a new order and claims its sale for sending, or, when the same order (same
    /// amount) was recorded before and its sale did not reach Partnero, claims it again.
    pub fn claim_order(
        &self,
        user: &User,
        order_id: &str,
        amount: Decimal,
    ) -> Result<ClaimedSale, StoreError> {
        let mut inner = self.lock();
        let id = (user.id.clone(), order_id.to_owned());
        if let Some(order) = inner.orders.get_mut(&id) {
            return match order.sale {
                Delivery::Pending if order.amount == amount && !order.is_refunded() => {
                    order.sale = Delivery::InFlight;
                    Ok(ClaimedSale {
                        order: order.clone(),
                        retry: true,
                    })
                }
                Delivery::InFlight => Err(StoreError::Busy(order_id.to_owned())),
                _ => Err(StoreError::DuplicateOrder(order_id.to_owned())),
            };
        }
        let order = Order {
            order_id: order_id.to_owned(),
            user_id: user.id.clone(),
            amount,
            transaction_key: format!("{}:{}", user.id, order_id),
            sale: Delivery::InFlight,
            refund: None,
        };
        inner.orders.insert(id, order.clone());
        Ok(ClaimedSale {
            order,
            retry: false,
        })
    }

    /// Records where an order's sale stands.
    pub fn set_sale(&self, user_id: &str, order_id: &str, delivery: Delivery) {
        let key = (user_id.to_owned(), order_id.to_owned());
        if let Some(order) = self.lock().orders.get_mut(&key) {
            order.sale = delivery;
        }
    }

    /// Refunds a user's order in the shop and claims its refund for sending; a refund that
    /// did not reach Partnero is claimed again. Refused while the sale is being sent.
    pub fn claim_refund(&self, user: &User, order_id: &str) -> Result<Order, StoreError> {
        let mut inner = self.lock();
        let order = inner
            .orders
            .get_mut(&(user.id.clone(), order_id.to_owned()))
            .ok_or_else(|| StoreError::UnknownOrder(order_id.to_owned()))?;
        match order.refund {
            None | Some(Delivery::Pending) if order.sale != Delivery::InFlight => {
                order.refund = Some(Delivery::InFlight);
                Ok(order.clone())
            }
            None | Some(Delivery::Pending | Delivery::InFlight) => {
                Err(StoreError::Busy(order_id.to_owned()))
            }
            Some(Delivery::Done | Delivery::NotNeeded) => {
                Err(StoreError::AlreadyRefunded(order_id.to_owned()))
            }
        }
    }

    /// Records where an order's refund stands.
    pub fn set_refund(&self, user_id: &str, order_id: &str, delivery: Delivery) {
        let key = (user_id.to_owned(), order_id.to_owned());
        if let Some(order) = self.lock().orders.get_mut(&key) {
            order.refund = Some(delivery);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ann(store: &Store) -> (User, String) {
        store
            .register("a@example.com", "Ann", ReferralContext::new())
            .unwrap()
    }

    #[test]
    fn register_and_log_in() {
        let store = Store::default();
        let (user, token) = ann(&store);
        assert_eq!(user.signup, Delivery::Pending);
        assert_eq!(token.len(), 32);
        assert!(user.id.starts_with("user_") && user.id.len() == 21);
        assert_eq!(store.user_for_session(&token), Some(user.clone()));
        assert_eq!(store.user_for_session("nope"), None);
        assert_eq!(
            store.register("A@example.com", "Again", ReferralContext::new()),
            Err(StoreError::EmailTaken)
        );
        store.set_signup(&user.id, Delivery::Done);
        assert_eq!(
            store.user_for_session(&token).map(|u| u.signup),
            Some(Delivery::Done)
        );
    }

    #[test]
    fn a_failed_sale_is_claimed_again_a_delivered_one_never() {
        let store = Store::default();
        let (user, _) = ann(&store);
        let amount = Decimal::new(1999, 2);
        let first = store.claim_order(&user, "o1", amount).unwrap();
        assert_eq!(first.order.transaction_key, format!("{}:o1", user.id));
        assert!(!first.retry);
        // While it is being sent, a repeat waits.
        assert_eq!(
            store.claim_order(&user, "o1", amount),
            Err(StoreError::Busy("o1".into()))
        );
        store.set_sale(&user.id, "o1", Delivery::Pending);
        // Another amount under the same order id is a conflict, not a retry.
        assert_eq!(
            store.claim_order(&user, "o1", Decimal::ONE),
            Err(StoreError::DuplicateOrder("o1".into()))
        );
        let again = store.claim_order(&user, "o1", amount).unwrap();
        assert!(again.retry);
        store.set_sale(&user.id, "o1", Delivery::Done);
        assert_eq!(
            store.claim_order(&user, "o1", amount),
            Err(StoreError::DuplicateOrder("o1".into()))
        );
    }

    #[test]
    fn a_failed_refund_is_claimed_again_a_delivered_one_never() {
        let store = Store::default();
        let (user, _) = ann(&store);
        store.claim_order(&user, "o1", Decimal::ONE).unwrap();
        assert_eq!(
            store.claim_refund(&user, "o1"),
            Err(StoreError::Busy("o1".into())),
            "not while the sale is being sent"
        );
        store.set_sale(&user.id, "o1", Delivery::Done);
        let refunded = store.claim_refund(&user, "o1").unwrap();
        assert_eq!(refunded.refund, Some(Delivery::InFlight));
        assert_eq!(
            store.claim_refund(&user, "o1"),
            Err(StoreError::Busy("o1".into()))
        );
        store.set_refund(&user.id, "o1", Delivery::Pending);
        assert!(store.claim_refund(&user, "o1").is_ok());
        store.set_refund(&user.id, "o1", Delivery::Done);
        assert_eq!(
            store.claim_refund(&user, "o1"),
            Err(StoreError::AlreadyRefunded("o1".into()))
        );
        assert_eq!(
            store.claim_refund(&user, "o2"),
            Err(StoreError::UnknownOrder("o2".into()))
        );
        // A refunded order is never sold again, even if its sale had failed.
        store.claim_order(&user, "o3", Decimal::ONE).unwrap();
        store.set_sale(&user.id, "o3", Delivery::Pending);
        store.claim_refund(&user, "o3").unwrap();
        assert_eq!(
            store.claim_order(&user, "o3", Decimal::ONE),
            Err(StoreError::DuplicateOrder("o3".into()))
        );
    }
}
