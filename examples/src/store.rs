//! The shop's own data: users, login sessions and orders, in memory, each with where its
//! Partnero event stands ([`Delivery`]).
//!
//! A real shop keeps these in its database. What matters for Partnero is kept with them: the
//! referral captured at sign-up (so the attribution survives a Partnero outage) and whether
//! each sign-up, sale and refund has reached Partnero yet (so a failed one is sent again
//! instead of being lost, and a delivered one is never sent twice).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use partnero_core::ReferralContext;
use rust_decimal::Decimal;

/// Where one Partnero event (a sign-up, a sale or a refund) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Not accepted by Partnero yet, and surely not recorded (never sent, or refused): sent
    /// again at the next chance.
    Pending,
    /// A sale whose create failed ambiguously (a timeout, a dropped connection, a 5xx, or a
    /// handler cancelled mid-call): Partnero may record it later. Looked up by key before it
    /// is ever sent again, and resent only once it had time to land.
    Unconfirmed {
        /// When the ambiguous attempt ended.
        since: Instant,
    },
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

/// An order claimed for sending its sale: the order, where its sale stood before (a repeat of
/// a purchase whose sale did not get through is `Pending` or `Unconfirmed`), and the claim to
/// settle.
#[derive(Debug)]
pub struct ClaimedSale<'a> {
    /// The order, its sale now [`Delivery::InFlight`].
    pub order: Order,
    /// The sale's state before this claim: [`Delivery::InFlight`] for a new order (nothing was
    /// sent yet, it is simply being sent now), else `Pending` or `Unconfirmed`.
    pub previous: Delivery,
    /// Records the sale's outcome; see [`Claim`].
    pub claim: Claim<'a>,
}

/// Which event of an order a [`Claim`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    Sale,
    Refund,
}

/// An order's sale or refund, [`Delivery::InFlight`] while this lives. [`settle`](Self::settle)
/// records where it ended. Dropped unsettled (the request handler was cancelled, say because
/// the client went away mid-call), it is never left in flight: a sale becomes
/// [`Delivery::Unconfirmed`] (it may have been sent), a refund [`Delivery::Pending`] (sending it
/// again is harmless).
#[derive(Debug)]
#[must_use = "settle the claim with where the event ended"]
pub struct Claim<'a> {
    store: &'a Store,
    key: (String, String),
    event: Event,
    settled: bool,
}

impl Claim<'_> {
    /// Records where the event ended.
    pub fn settle(mut self, delivery: Delivery) {
        self.set(delivery);
        self.settled = true;
    }

    fn set(&self, delivery: Delivery) {
        if let Some(order) = self.store.lock().orders.get_mut(&self.key) {
            match self.event {
                Event::Sale => order.sale = delivery,
                Event::Refund => order.refund = Some(delivery),
            }
        }
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        if !self.settled {
            self.set(match self.event {
                Event::Sale => Delivery::Unconfirmed {
                    since: Instant::now(),
                },
                Event::Refund => Delivery::Pending,
            });
        }
    }
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
    ) -> Result<ClaimedSale<'_>, StoreError> {
        let id = (user.id.clone(), order_id.to_owned());
        let (order, previous) = {
            let mut inner = self.lock();
            match inner.orders.get_mut(&id) {
                Some(order) => match order.sale {
                    previous @ (Delivery::Pending | Delivery::Unconfirmed { .. })
                        if order.amount == amount && !order.is_refunded() =>
                    {
                        order.sale = Delivery::InFlight;
                        (order.clone(), previous)
                    }
                    Delivery::InFlight => return Err(StoreError::Busy(order_id.to_owned())),
                    _ => return Err(StoreError::DuplicateOrder(order_id.to_owned())),
                },
                None => {
                    let order = Order {
                        order_id: order_id.to_owned(),
                        user_id: user.id.clone(),
                        amount,
                        transaction_key: format!("{}:{}", user.id, order_id),
                        sale: Delivery::InFlight,
                        refund: None,
                    };
                    inner.orders.insert(id.clone(), order.clone());
                    (order, Delivery::InFlight)
                }
            }
        };
        Ok(ClaimedSale {
            order,
            previous,
            claim: self.claim(id, Event::Sale),
        })
    }

    fn claim(&self, key: (String, String), event: Event) -> Claim<'_> {
        Claim {
            store: self,
            key,
            event,
            settled: false,
        }
    }

    /// Refunds a user's order in the shop and claims its refund for sending; a refund that
    /// did not reach Partnero is claimed again. Refused while the sale is being sent.
    pub fn claim_refund(
        &self,
        user: &User,
        order_id: &str,
    ) -> Result<(Order, Claim<'_>), StoreError> {
        let id = (user.id.clone(), order_id.to_owned());
        let order = {
            let mut inner = self.lock();
            let order = inner
                .orders
                .get_mut(&id)
                .ok_or_else(|| StoreError::UnknownOrder(order_id.to_owned()))?;
            match order.refund {
                None | Some(Delivery::Pending) if order.sale != Delivery::InFlight => {
                    order.refund = Some(Delivery::InFlight);
                    order.clone()
                }
                Some(Delivery::Done | Delivery::NotNeeded) => {
                    return Err(StoreError::AlreadyRefunded(order_id.to_owned()));
                }
                _ => return Err(StoreError::Busy(order_id.to_owned())),
            }
        };
        Ok((order, self.claim(id, Event::Refund)))
    }

    /// The order as stored now.
    pub fn order(&self, user_id: &str, order_id: &str) -> Option<Order> {
        let key = (user_id.to_owned(), order_id.to_owned());
        self.lock().orders.get(&key).cloned()
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
        assert_eq!(first.previous, Delivery::InFlight, "a new order");
        // While it is being sent, a repeat waits.
        assert!(matches!(
            store.claim_order(&user, "o1", amount),
            Err(StoreError::Busy(_))
        ));
        first.claim.settle(Delivery::Pending);
        // Another amount under the same order id is a conflict, not a retry.
        assert!(matches!(
            store.claim_order(&user, "o1", Decimal::ONE),
            Err(StoreError::DuplicateOrder(_))
        ));
        let again = store.claim_order(&user, "o1", amount).unwrap();
        assert_eq!(again.previous, Delivery::Pending);
        let since = Instant::now();
        again.claim.settle(Delivery::Unconfirmed { since });
        let once_more = store.claim_order(&user, "o1", amount).unwrap();
        assert_eq!(once_more.previous, Delivery::Unconfirmed { since });
        once_more.claim.settle(Delivery::Done);
        assert!(matches!(
            store.claim_order(&user, "o1", amount),
            Err(StoreError::DuplicateOrder(_))
        ));
    }

    #[test]
    fn a_claim_dropped_unsettled_is_never_left_in_flight() {
        let store = Store::default();
        let (user, _) = ann(&store);
        drop(store.claim_order(&user, "o1", Decimal::ONE).unwrap());
        assert!(
            matches!(
                store.order(&user.id, "o1").map(|o| o.sale),
                Some(Delivery::Unconfirmed { .. })
            ),
            "a cancelled handler never leaves the sale in flight, and it may have been sent"
        );
        let retried = store.claim_order(&user, "o1", Decimal::ONE).unwrap();
        assert!(matches!(retried.previous, Delivery::Unconfirmed { .. }));
        retried.claim.settle(Delivery::Done);
        let (_, claim) = store.claim_refund(&user, "o1").unwrap();
        drop(claim);
        assert_eq!(
            store.order(&user.id, "o1").and_then(|o| o.refund),
            Some(Delivery::Pending)
        );
    }

    #[test]
    fn a_failed_refund_is_claimed_again_a_delivered_one_never() {
        let store = Store::default();
        let (user, _) = ann(&store);
        let sale = store.claim_order(&user, "o1", Decimal::ONE).unwrap();
        assert!(
            matches!(store.claim_refund(&user, "o1"), Err(StoreError::Busy(_))),
            "not while the sale is being sent"
        );
        sale.claim.settle(Delivery::Done);
        let (refunded, claim) = store.claim_refund(&user, "o1").unwrap();
        assert_eq!(refunded.refund, Some(Delivery::InFlight));
        assert!(matches!(
            store.claim_refund(&user, "o1"),
            Err(StoreError::Busy(_))
        ));
        claim.settle(Delivery::Pending);
        let (_, claim) = store.claim_refund(&user, "o1").unwrap();
        claim.settle(Delivery::Done);
        assert!(matches!(
            store.claim_refund(&user, "o1"),
            Err(StoreError::AlreadyRefunded(_))
        ));
        assert!(matches!(
            store.claim_refund(&user, "o2"),
            Err(StoreError::UnknownOrder(_))
        ));
        // A refunded order is never sold again, even if its sale had failed.
        store
            .claim_order(&user, "o3", Decimal::ONE)
            .unwrap()
            .claim
            .settle(Delivery::Pending);
        store
            .claim_refund(&user, "o3")
            .unwrap()
            .1
            .settle(Delivery::Done);
        assert!(matches!(
            store.claim_order(&user, "o3", Decimal::ONE),
            Err(StoreError::DuplicateOrder(_))
        ));
    }
}
