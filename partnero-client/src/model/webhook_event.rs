//! Webhook deliveries: the envelope ([`WebhookDelivery`]) and the typed event
//! ([`WebhookEvent`]) it carries.
//!
//! Partnero POSTs `{"event", "url", "webhook_key", "created_at", "data"}`. The event name is an
//! open string: a name this version does not know, or a `data` that is not an object, decodes
//! as [`WebhookEvent::Unknown`] with the raw JSON kept, so a new Partnero event never makes a
//! delivery fail. The payloads reuse the API's models ([`Partner`], [`Customer`],
//! [`Transaction`], [`Reward`]), which read unknown fields into `extra` and odd types leniently.

use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::customer::Customer;
use super::lead::Lead;
use super::lenient;
use super::partner::Partner;
use super::subscriber::Subscriber;
use super::transaction::{Reward, Transaction};

/// One webhook delivery, decoded: the envelope's fields and the typed [`WebhookEvent`].
///
/// Obtain one from [`WebhookReceiver::receive`](crate::WebhookReceiver::receive) (verified) or,
/// for a body already verified elsewhere, [`WebhookDelivery::from_json`].
///
/// ```
/// use partnero_client::{WebhookDelivery, WebhookEvent};
///
/// let body = br#"{"event":"transaction.created","url":"https://shop.example/hooks",
///     "webhook_key":"wh_1","created_at":"2025-05-07T10:30:00.000000Z",
///     "data":{"key":"order-1001","amount":49.99,"rewards":[{"amount":9.998}]}}"#;
/// let delivery = WebhookDelivery::from_json(body).unwrap();
/// assert_eq!(delivery.event.name(), "transaction.created");
/// match &delivery.event {
///     WebhookEvent::TransactionCreated(tx) => {
///         assert_eq!(tx.key.as_deref(), Some("order-1001"));
///         assert_eq!(tx.rewards[0].amount.unwrap().to_string(), "9.998");
///     }
///     other => panic!("unexpected {other:?}"),
/// }
///
/// // A name this version does not know keeps its raw JSON.
/// let new = WebhookDelivery::from_json(br#"{"event":"payout.sent","data":{"id":7}}"#).unwrap();
/// assert!(matches!(&new.event, WebhookEvent::Unknown { data, .. } if data["id"] == 7));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WebhookDelivery {
    /// The typed event (its name is [`WebhookEvent::name`]).
    pub event: WebhookEvent,
    /// The destination URL, as Partnero sent it.
    pub url: Option<String>,
    /// The key of the webhook subscription that sent it.
    pub webhook_key: Option<String>,
    /// When Partnero created the delivery, ISO-8601 as sent.
    pub created_at: Option<String>,
    /// A stable id of this delivery: the hex SHA-256 of the raw body. Partnero sends no
    /// delivery id, and a replay or a retry of the same delivery has the same bytes, so this is
    /// the key to process each delivery once (see the crate docs' "webhooks" section).
    pub id: String,
}

/// The envelope as sent, before the event is typed.
#[derive(Deserialize)]
struct RawEnvelope {
    event: String,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    url: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    webhook_key: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    created_at: Option<String>,
    #[serde(default)]
    data: Value,
}

impl WebhookDelivery {
    /// Decodes a raw delivery body. Fails only when the body is not a JSON object with a string
    /// `event`; any event name and any `data` decode (unknown ones as
    /// [`WebhookEvent::Unknown`]). Does **not** check the signature: use
    /// [`WebhookReceiver`](crate::WebhookReceiver) for bodies from the network.
    pub fn from_json(raw_body: &[u8]) -> Result<Self, serde_json::Error> {
        let envelope: RawEnvelope = serde_json::from_slice(raw_body)?;
        Ok(Self {
            event: WebhookEvent::from_parts(envelope.event, envelope.data),
            url: envelope.url,
            webhook_key: envelope.webhook_key,
            created_at: envelope.created_at,
            id: hex::encode(Sha256::digest(raw_body)),
        })
    }
}

/// A Partnero webhook event with its payload (`data`), typed by event name.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum WebhookEvent {
    /// `partner.created`
    PartnerCreated(Partner),
    /// `partner.updated`
    PartnerUpdated(Partner),
    /// `partner.deleted`
    PartnerDeleted(Partner),
    /// `partner.approved`
    PartnerApproved(Partner),
    /// `partner.rejected`
    PartnerRejected(Partner),
    /// `partner.archived`
    PartnerArchived(Partner),
    /// `customer.created`
    CustomerCreated(Customer),
    /// `customer.updated`
    CustomerUpdated(Customer),
    /// `customer.deleted`
    CustomerDeleted(Customer),
    /// `customer.credited` (a manual balance credit, refer-a-friend)
    CustomerCredited(Customer),
    /// `customer.rewarded` (a referral reward, refer-a-friend)
    CustomerRewarded(Customer),
    /// `transaction.created`: Partnero recorded a sale (the key is your payment id).
    TransactionCreated(Transaction),
    /// `transaction.updated`
    TransactionUpdated(Transaction),
    /// `transaction.deleted`: a refund; the commission is reversed.
    TransactionDeleted(Transaction),
    /// `reward.created`: a commission was computed.
    RewardCreated(Reward),
    /// `reward.approved`: a commission was approved for payout.
    RewardApproved(Reward),
    /// `reward.paid`
    RewardPaid(Reward),
    /// `lead.submitted`
    LeadSubmitted(Lead),
    /// `lead.converted`
    LeadConverted(Lead),
    /// `lead.rejected`
    LeadRejected(Lead),
    /// `subscriber.created`
    SubscriberCreated(Subscriber),
    /// `subscriber.updated`
    SubscriberUpdated(Subscriber),
    /// `subscriber.deleted`
    SubscriberDeleted(Subscriber),
    /// `subscriber.rewarded`
    SubscriberRewarded(Subscriber),
    /// Any other event name, or a known name whose `data` is not a JSON object: the name and
    /// the raw `data`, untouched.
    Unknown {
        /// The event name as sent.
        event: String,
        /// `data` as sent.
        data: Value,
    },
}

/// Decodes a lenient model from an object; `None` for anything else.
fn object<T: serde::de::DeserializeOwned>(data: &Value) -> Option<T> {
    data.is_object()
        .then(|| serde_json::from_value(data.clone()).ok())
        .flatten()
}

impl WebhookEvent {
    /// The typed event for `name` and `data`; [`Unknown`](Self::Unknown) when the name is not
    /// known or `data` is not an object.
    pub fn from_parts(name: String, data: Value) -> Self {
        use WebhookEvent as E;
        let partner = |f: fn(Partner) -> E| object(&data).map(f);
        let customer = |f: fn(Customer) -> E| object(&data).map(f);
        let transaction = |f: fn(Transaction) -> E| object(&data).map(f);
        let reward = |f: fn(Reward) -> E| object(&data).map(f);
        let lead = |f: fn(Lead) -> E| object(&data).map(f);
        let subscriber = |f: fn(Subscriber) -> E| object(&data).map(f);
        let typed = match name.as_str() {
            "partner.created" => partner(E::PartnerCreated),
            "partner.updated" => partner(E::PartnerUpdated),
            "partner.deleted" => partner(E::PartnerDeleted),
            "partner.approved" => partner(E::PartnerApproved),
            "partner.rejected" => partner(E::PartnerRejected),
            "partner.archived" => partner(E::PartnerArchived),
            "customer.created" => customer(E::CustomerCreated),
            "customer.updated" => customer(E::CustomerUpdated),
            "customer.deleted" => customer(E::CustomerDeleted),
            "customer.credited" => customer(E::CustomerCredited),
            "customer.rewarded" => customer(E::CustomerRewarded),
            "transaction.created" => transaction(E::TransactionCreated),
            "transaction.updated" => transaction(E::TransactionUpdated),
            "transaction.deleted" => transaction(E::TransactionDeleted),
            "reward.created" => reward(E::RewardCreated),
            "reward.approved" => reward(E::RewardApproved),
            "reward.paid" => reward(E::RewardPaid),
            "lead.submitted" => lead(E::LeadSubmitted),
            "lead.converted" => lead(E::LeadConverted),
            "lead.rejected" => lead(E::LeadRejected),
            "subscriber.created" => subscriber(E::SubscriberCreated),
            "subscriber.updated" => subscriber(E::SubscriberUpdated),
            "subscriber.deleted" => subscriber(E::SubscriberDeleted),
            "subscriber.rewarded" => subscriber(E::SubscriberRewarded),
            _ => None,
        };
        typed.unwrap_or(E::Unknown { event: name, data })
    }

    /// The event name (`transaction.created`, ...), as Partnero spells it.
    pub fn name(&self) -> &str {
        use WebhookEvent as E;
        match self {
            E::PartnerCreated(_) => "partner.created",
            E::PartnerUpdated(_) => "partner.updated",
            E::PartnerDeleted(_) => "partner.deleted",
            E::PartnerApproved(_) => "partner.approved",
            E::PartnerRejected(_) => "partner.rejected",
            E::PartnerArchived(_) => "partner.archived",
            E::CustomerCreated(_) => "customer.created",
            E::CustomerUpdated(_) => "customer.updated",
            E::CustomerDeleted(_) => "customer.deleted",
            E::CustomerCredited(_) => "customer.credited",
            E::CustomerRewarded(_) => "customer.rewarded",
            E::TransactionCreated(_) => "transaction.created",
            E::TransactionUpdated(_) => "transaction.updated",
            E::TransactionDeleted(_) => "transaction.deleted",
            E::RewardCreated(_) => "reward.created",
            E::RewardApproved(_) => "reward.approved",
            E::RewardPaid(_) => "reward.paid",
            E::LeadSubmitted(_) => "lead.submitted",
            E::LeadConverted(_) => "lead.converted",
            E::LeadRejected(_) => "lead.rejected",
            E::SubscriberCreated(_) => "subscriber.created",
            E::SubscriberUpdated(_) => "subscriber.updated",
            E::SubscriberDeleted(_) => "subscriber.deleted",
            E::SubscriberRewarded(_) => "subscriber.rewarded",
            E::Unknown { event, .. } => event,
        }
    }

    /// The transaction of a `transaction.*` event.
    pub fn transaction(&self) -> Option<&Transaction> {
        match self {
            WebhookEvent::TransactionCreated(t)
            | WebhookEvent::TransactionUpdated(t)
            | WebhookEvent::TransactionDeleted(t) => Some(t),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every documented name decodes to its own variant and names itself back.
    #[test]
    fn every_documented_event_round_trips_its_name() {
        let names = [
            "partner.created",
            "partner.updated",
            "partner.deleted",
            "partner.approved",
            "partner.rejected",
            "partner.archived",
            "customer.created",
            "customer.updated",
            "customer.deleted",
            "customer.credited",
            "customer.rewarded",
            "transaction.created",
            "transaction.updated",
            "transaction.deleted",
            "reward.created",
            "reward.approved",
            "reward.paid",
            "lead.submitted",
            "lead.converted",
            "lead.rejected",
            "subscriber.created",
            "subscriber.updated",
            "subscriber.deleted",
            "subscriber.rewarded",
        ];
        for name in names {
            let event = WebhookEvent::from_parts(name.to_owned(), serde_json::json!({"id": 1}));
            assert!(
                !matches!(event, WebhookEvent::Unknown { .. }),
                "{name} decoded as Unknown"
            );
            assert_eq!(event.name(), name);
        }
    }

    #[test]
    fn odd_data_is_unknown_not_an_error() {
        for data in [
            Value::Null,
            serde_json::json!([1, 2]),
            serde_json::json!("x"),
        ] {
            let event = WebhookEvent::from_parts("transaction.created".into(), data.clone());
            assert_eq!(
                event,
                WebhookEvent::Unknown {
                    event: "transaction.created".into(),
                    data
                }
            );
        }
        let body = br#"{"event":"partner.created"}"#;
        let delivery = WebhookDelivery::from_json(body).unwrap();
        assert!(matches!(delivery.event, WebhookEvent::Unknown { .. }));
    }

    #[test]
    fn the_documented_partner_payload_decodes() {
        let body =
            br#"{"event":"partner.created","url":"https://your-server.com/webhooks/partnero",
            "webhook_key":"wh_abc123","created_at":"2025-05-07T10:30:00.000000Z",
            "data":{"id":"partner_123","email":"john@example.com","name":"John","surname":"Doe",
            "created_at":"2025-05-07T10:30:00.000000Z"}}"#;
        let delivery = WebhookDelivery::from_json(body).unwrap();
        assert_eq!(delivery.webhook_key.as_deref(), Some("wh_abc123"));
        let WebhookEvent::PartnerCreated(partner) = &delivery.event else {
            panic!("{delivery:?}")
        };
        assert_eq!(partner.id.as_deref(), Some("partner_123"));
        assert_eq!(delivery.id.len(), 64, "hex SHA-256 of the body");
    }

    #[test]
    fn a_body_without_an_event_name_is_malformed() {
        for body in [
            &b"not json"[..],
            b"[]",
            br#"{"data":{}}"#,
            br#"{"event":7}"#,
        ] {
            assert!(WebhookDelivery::from_json(body).is_err());
        }
    }
}
