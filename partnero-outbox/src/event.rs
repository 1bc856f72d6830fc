//! [`Event`]: one sign-up, sale, refund or purchase, frozen at enqueue time.
//!
//! An event carries everything its delivery needs, serialised into the row's `payload`: the
//! customer (with a snapshot of who referred the visitor), the sale, or the refunded key. The
//! request sent to Partnero is made from that payload alone, so what the handler saw is what
//! Partnero gets, however long the delivery waits and whichever machine makes it.

use partnero_client::{NewCustomer, Sale};
use partnero_core::{KeySource, ReferralContext, ReferralKey};
use serde::{Deserialize, Serialize};

use crate::Error;

/// What an event asks Partnero to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// `POST /customers`, attributed with the referral snapshot.
    Signup,
    /// `POST /transactions`, under the double-commission rules of the dispatcher.
    Sale,
    /// `DELETE /transactions/{key}`, after the sale it reverses.
    Refund,
    /// `POST /transactions` with `options.create_customer`: the customer created with its
    /// first sale (the "no sign-up, only a purchase" flow), delivered as a sale is.
    Purchase,
}

impl Kind {
    /// The value stored in the `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Signup => "signup",
            Kind::Sale => "sale",
            Kind::Refund => "refund",
            Kind::Purchase => "purchase",
        }
    }

    /// Every kind, in the order sign-up, sale, refund, purchase.
    pub const ALL: [Kind; 4] = [Kind::Signup, Kind::Sale, Kind::Refund, Kind::Purchase];

    /// True for the kinds that create a transaction (sale, purchase): an unknown outcome
    /// makes them unconfirmed, looked up by key before any resend.
    pub(crate) fn creates_transaction(self) -> bool {
        matches!(self, Kind::Sale | Kind::Purchase)
    }

    pub(crate) fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A sign-up, sale, refund or purchase to deliver to Partnero.
///
/// ```
/// use partnero_client::{NewCustomer, Sale};
/// use partnero_core::{KeySource, ReferralContext, ReferralKey};
/// use partnero_outbox::{Event, Kind};
/// use rust_decimal::Decimal;
///
/// let ctx = ReferralContext::new()
///     .with_partner(ReferralKey::parse("demo-partner").unwrap(), KeySource::Cookie);
/// let signup = Event::signup(&ctx, NewCustomer::new("user-42").email("ada@example.com"));
/// assert_eq!((signup.kind(), signup.idempotency_key()), (Kind::Signup, "signup:user-42"));
///
/// let sale = Event::sale("user-42", Sale::new(Decimal::new(4999, 2)).key("pay_123"));
/// assert_eq!(sale.idempotency_key(), "sale:pay_123");
/// assert_eq!(Event::refund("pay_123").idempotency_key(), "refund:pay_123");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    kind: Kind,
    /// Events with the same order key are delivered one after another, in enqueue order.
    order_key: String,
    idem_key: String,
    /// For a refund: the sale whose order key it joins, when that sale went through the outbox.
    after_sale: Option<String>,
    payload: Payload,
}

/// The row's `payload` column: versioned JSON, one shape per kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[allow(clippy::large_enum_variant)] // built once per event, decoded once per delivery
pub(crate) enum Payload {
    Signup {
        customer: NewCustomer,
        #[serde(default)]
        referral: ReferralSnapshot,
    },
    Sale {
        customer_key: String,
        sale: Sale,
    },
    Refund {
        transaction_key: String,
    },
    Purchase {
        customer: NewCustomer,
        sale: Sale,
        #[serde(default)]
        referral: ReferralSnapshot,
    },
}

/// Who referred the visitor, as captured when the event was enqueued.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ReferralSnapshot {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    partner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    referrer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    landing_url: Option<String>,
}

impl ReferralSnapshot {
    fn of(ctx: &ReferralContext) -> Self {
        Self {
            partner: ctx.partner_key().map(|k| k.as_str().to_owned()),
            referrer: ctx.referrer_key().map(|k| k.as_str().to_owned()),
            landing_url: ctx.landing_url().map(str::to_owned),
        }
    }

    /// The context again. A key that no longer validates (a row written by hand) is dropped,
    /// as capture would have dropped it.
    pub(crate) fn context(&self) -> ReferralContext {
        let mut ctx = ReferralContext::new();
        if let Some(key) = self
            .partner
            .as_deref()
            .and_then(|k| ReferralKey::parse(k).ok())
        {
            ctx = ctx.with_partner(key, KeySource::Manual);
        }
        if let Some(key) = self
            .referrer
            .as_deref()
            .and_then(|k| ReferralKey::parse(k).ok())
        {
            ctx = ctx.with_referrer(key, KeySource::Manual);
        }
        if let Some(url) = &self.landing_url {
            ctx = ctx.with_landing_url(url.clone());
        }
        ctx
    }
}

impl Event {
    /// A sign-up: `POST /customers` for `customer`, attributed to whoever `referral` names
    /// (the partner for an affiliate program, the referring customer for refer-a-friend; the
    /// dispatcher's client decides which, as [`Partnero::signup`](partnero_client::Partnero::signup)
    /// does). Idempotency key `signup:<customer key>`; ordered before the customer's sales.
    pub fn signup(referral: &ReferralContext, customer: NewCustomer) -> Self {
        let key = customer.key.clone();
        Self {
            kind: Kind::Signup,
            order_key: key.clone(),
            idem_key: format!("signup:{key}"),
            after_sale: None,
            payload: Payload::Signup {
                customer,
                referral: ReferralSnapshot::of(referral),
            },
        }
    }

    /// A sale of the customer with `customer_key`. The sale needs a [`key`](Sale::key) (the
    /// payment id): it is the idempotency key (`sale:<key>`), the key a refund names, and what
    /// the dispatcher looks up before it ever resends. Enqueueing a sale without one is an
    /// [`Error::InvalidEvent`].
    pub fn sale(customer_key: impl Into<String>, sale: Sale) -> Self {
        let customer_key = customer_key.into();
        let tx_key = sale.key.clone().unwrap_or_default();
        Self {
            kind: Kind::Sale,
            order_key: customer_key.clone(),
            idem_key: format!("sale:{tx_key}"),
            after_sale: None,
            payload: Payload::Sale { customer_key, sale },
        }
    }

    /// A refund of the transaction with this key. When its sale went through the same outbox,
    /// the refund is delivered after it (it joins the sale's customer order), even while the
    /// sale is still waiting; otherwise it is ordered on its own. Idempotency key
    /// `refund:<key>`.
    pub fn refund(transaction_key: impl Into<String>) -> Self {
        let transaction_key = transaction_key.into();
        Self {
            kind: Kind::Refund,
            order_key: format!("{UNORDERED_REFUND_PREFIX}{transaction_key}"),
            idem_key: format!("refund:{transaction_key}"),
            after_sale: Some(format!("sale:{transaction_key}")),
            payload: Payload::Refund { transaction_key },
        }
    }

    /// A purchase by a customer Partnero may not know yet, the FAQ's "no sign-up, only a
    /// purchase" flow made durable: delivered as
    /// [`Partnero::purchase`](partnero_client::Partnero::purchase) sends it (the whole
    /// `customer` created with the sale, attributed to whoever `referral` names according to
    /// the dispatcher's program kind, the landing URL as `options.referral_url`; a referral key
    /// Partnero refuses is dropped and the sale sent without it), under the rules of a
    /// [sale](Self::sale): an unknown outcome is looked up by key after the settle time, never
    /// resent blindly.
    ///
    /// It *is* the sale of that transaction key: idempotency key `sale:<key>`, so the same
    /// purchase enqueued twice, or a [`sale`](Self::sale) and a purchase with one key, are
    /// queued once ([`Enqueued::AlreadyQueued`](crate::Enqueued::AlreadyQueued)). It is ordered
    /// with the customer's events (after an earlier sign-up, before later sales), and a
    /// [`refund`](Self::refund) of its key waits for it. The sale needs a [`key`](Sale::key).
    ///
    /// ```
    /// use partnero_client::{NewCustomer, Sale};
    /// use partnero_core::{KeySource, ReferralContext, ReferralKey};
    /// use partnero_outbox::{Event, Kind};
    /// use rust_decimal::Decimal;
    ///
    /// let ctx = ReferralContext::new()
    ///     .with_partner(ReferralKey::parse("demo-partner").unwrap(), KeySource::Cookie);
    /// let purchase = Event::purchase(
    ///     &ctx,
    ///     NewCustomer::new("buyer@example.com").email("buyer@example.com"),
    ///     Sale::new(Decimal::new(4999, 2)).key("order-1"),
    /// );
    /// assert_eq!((purchase.kind(), purchase.idempotency_key()), (Kind::Purchase, "sale:order-1"));
    /// ```
    pub fn purchase(referral: &ReferralContext, customer: NewCustomer, sale: Sale) -> Self {
        let order_key = customer.key.clone();
        let tx_key = sale.key.clone().unwrap_or_default();
        Self {
            kind: Kind::Purchase,
            order_key,
            idem_key: format!("sale:{tx_key}"),
            after_sale: None,
            payload: Payload::Purchase {
                customer,
                sale,
                referral: ReferralSnapshot::of(referral),
            },
        }
    }

    /// Sign-up, sale, refund or purchase.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The unique key of this event in the outbox: enqueueing the same key again is a no-op.
    pub fn idempotency_key(&self) -> &str {
        &self.idem_key
    }

    /// Checks what the database cannot: keys present and of a sane size.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        let (what, key) = match &self.payload {
            Payload::Signup { customer, .. } => ("the customer key", customer.key.as_str()),
            Payload::Sale { customer_key, sale } => {
                check_key("the sale's customer key", customer_key)?;
                (
                    "the sale's transaction key (Sale::key)",
                    sale.key.as_deref().unwrap_or(""),
                )
            }
            Payload::Purchase { customer, sale, .. } => {
                check_key("the purchase's customer key", &customer.key)?;
                (
                    "the purchase's transaction key (Sale::key)",
                    sale.key.as_deref().unwrap_or(""),
                )
            }
            Payload::Refund { transaction_key } => {
                ("the transaction key", transaction_key.as_str())
            }
        };
        check_key(what, key)
    }

    /// The row to insert.
    pub(crate) fn row(&self) -> Result<NewRow<'_>, Error> {
        self.validate()?;
        let payload = serde_json::to_string(&self.payload)
            .map_err(|e| Error::InvalidEvent(format!("cannot encode the event: {e}")))?;
        Ok(NewRow {
            kind: self.kind.as_str(),
            order_key: &self.order_key,
            idem_key: &self.idem_key,
            after_sale: self.after_sale.as_deref(),
            payload,
        })
    }
}

/// The order key of a refund whose sale is not in the outbox (it is replaced by the sale's
/// order key when it is).
pub(crate) const UNORDERED_REFUND_PREFIX: &str = "tx:";

/// The longest key accepted (Partnero's string limit).
const MAX_KEY_LEN: usize = 255;

fn check_key(what: &str, key: &str) -> Result<(), Error> {
    if key.trim().is_empty() {
        return Err(Error::InvalidEvent(format!("{what} is empty")));
    }
    if key.len() > MAX_KEY_LEN {
        return Err(Error::InvalidEvent(format!(
            "{what} is longer than {MAX_KEY_LEN} bytes"
        )));
    }
    Ok(())
}

/// An event as the store inserts it (public only to name it in the sealed [`Backend`](crate::Backend)).
#[doc(hidden)]
#[derive(Debug)]
pub struct NewRow<'a> {
    pub(crate) kind: &'static str,
    pub(crate) order_key: &'a str,
    pub(crate) idem_key: &'a str,
    /// The sale row whose order key a refund joins.
    pub(crate) after_sale: Option<&'a str>,
    pub(crate) payload: String,
}

/// Decodes a stored payload; a row that does not decode is dead, with the reason.
pub(crate) fn decode(payload: &str) -> Result<Payload, String> {
    serde_json::from_str(payload).map_err(|e| format!("the payload does not decode: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    #[test]
    fn payload_round_trips() {
        let ctx = ReferralContext::new()
            .with_partner(ReferralKey::parse("p1").unwrap(), KeySource::Cookie)
            .with_landing_url("https://shop.example/?aff=p1");
        for event in [
            Event::signup(&ctx, NewCustomer::new("c1").email("a@example.com")),
            Event::sale("c1", Sale::new(Decimal::new(1999, 2)).key("t1")),
            Event::refund("t1"),
            Event::purchase(
                &ctx,
                NewCustomer::new("c2").email("b@example.com"),
                Sale::new(Decimal::new(1999, 2)).key("t2"),
            ),
        ] {
            let row = event.row().unwrap();
            assert_eq!(decode(&row.payload).unwrap(), event.payload);
        }
        let Payload::Signup { referral, .. } = decode(
            &Event::signup(&ctx, NewCustomer::new("c1"))
                .row()
                .unwrap()
                .payload,
        )
        .unwrap() else {
            panic!("not a sign-up")
        };
        assert_eq!(referral.context().partner_key().unwrap().as_str(), "p1");
        assert_eq!(
            referral.context().landing_url(),
            Some("https://shop.example/?aff=p1")
        );
    }

    #[test]
    fn refuses_missing_keys() {
        let no_key = Event::sale("c1", Sale::new(Decimal::ONE));
        assert!(matches!(no_key.row(), Err(Error::InvalidEvent(m)) if m.contains("Sale::key")));
        assert!(
            Event::signup(&ReferralContext::new(), NewCustomer::new(" "))
                .row()
                .is_err()
        );
        assert!(Event::refund("k".repeat(256)).row().is_err());
        let no_key = Event::purchase(
            &ReferralContext::new(),
            NewCustomer::new("c1"),
            Sale::new(Decimal::ONE),
        );
        assert!(matches!(no_key.row(), Err(Error::InvalidEvent(m)) if m.contains("Sale::key")));
        assert!(decode("{\"kind\":\"teleport\"}").is_err());
    }
}
