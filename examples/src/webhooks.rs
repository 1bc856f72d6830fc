//! The shop's webhook endpoint, framework-free: registering it with Partnero (or the sandbox)
//! at start-up, processing each verified delivery once (the outbox's idempotency record and
//! its confirmation of waiting sales and refunds), and the latest events for the dashboard.
//!
//! Configuration: against the embedded sandbox the shop registers
//! `<shop url>/webhooks/partnero` itself. Against the real Partnero a `127.0.0.1` URL is not
//! reachable, so the shop registers `PARTNERO_WEBHOOK_URL` (the public URL of that route) when
//! set, reusing a webhook already registered at that URL; or it uses `PARTNERO_WEBHOOK_SECRET`
//! (a webhook made in Partnero's dashboard) as it is; otherwise it receives no webhooks.

use std::collections::VecDeque;
use std::sync::Mutex;

use futures_util::TryStreamExt as _;
use partnero_client::{
    ListParams, NewWebhook, Partnero, Program, WebhookDelivery, WebhookEvent, WebhookReceiver,
};
use partnero_outbox::Confirmation;

use crate::store::ShopOutbox;
use serde::{Deserialize, Serialize};

/// The path of the shop's webhook endpoint.
pub const WEBHOOK_PATH: &str = "/webhooks/partnero";

/// How many received events the dashboard shows.
const LATEST: usize = 20;

/// The events the shop subscribes to: those its program kind offers (a webhook asking for
/// another event is refused).
fn events(program: Program) -> &'static [&'static str] {
    match program {
        Program::ReferAFriend => &[
            "customer.created",
            "customer.rewarded",
            "customer.credited",
            "transaction.created",
            "transaction.updated",
            "transaction.deleted",
            "reward.created",
        ],
        _ => &[
            "partner.created",
            "customer.created",
            "transaction.created",
            "transaction.updated",
            "transaction.deleted",
            "reward.created",
        ],
    }
}

/// One received event, as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedEvent {
    /// The event name (`reward.created`, ...).
    pub event: String,
    /// A line for people ("commission 9.998 usd on order-1").
    pub summary: String,
    /// What the outbox did with it (`sale confirmed`, ...), if anything.
    pub outbox: Option<String>,
}

/// The shop's webhook side.
#[derive(Debug)]
pub struct ShopWebhooks {
    /// The verifier the routes use; it accepts nothing until [`register`](Self::register)
    /// gives it the secret.
    pub receiver: WebhookReceiver,
    latest: Mutex<VecDeque<ReceivedEvent>>,
}

impl Default for ShopWebhooks {
    fn default() -> Self {
        Self {
            receiver: WebhookReceiver::with_secrets(Vec::<String>::new()),
            latest: Mutex::new(VecDeque::new()),
        }
    }
}

impl ShopWebhooks {
    /// Registers the shop's endpoint (see the module docs for which URL and when) and arms the
    /// receiver with its secret. A client whose API is on this machine (the sandbox) gets
    /// `shop_url`'s own route. Returns the URL registered, if any.
    pub async fn register(
        &self,
        client: &Partnero,
        shop_url: &str,
    ) -> Result<Option<String>, partnero_client::Error> {
        let local = matches!(
            client.base_url().host_str(),
            Some("127.0.0.1" | "localhost" | "[::1]")
        );
        let url = if local {
            format!("{shop_url}{WEBHOOK_PATH}")
        } else if let Ok(url) = std::env::var("PARTNERO_WEBHOOK_URL") {
            url
        } else {
            match std::env::var("PARTNERO_WEBHOOK_SECRET") {
                Ok(secret) => self.receiver.set_secrets([secret]),
                Err(_) => tracing::info!(
                    "no PARTNERO_WEBHOOK_URL or PARTNERO_WEBHOOK_SECRET: webhooks are not received"
                ),
            }
            return Ok(None);
        };
        // Every page: a webhook of this URL on page 2 must be reused, not registered again
        // (two registrations would deliver every event twice).
        let registered: Vec<_> = client
            .webhooks()
            .stream(ListParams::default().limit(100))
            .try_collect()
            .await?;
        let existing = registered
            .into_iter()
            .find(|w| w.url.as_deref() == Some(url.as_str()));
        let webhook = match existing {
            Some(webhook) => webhook,
            None => {
                let new = events(client.program()).iter().fold(
                    NewWebhook::new("partnero-rs example shop", url.clone()),
                    |w, e| w.event(*e),
                );
                client.webhooks().create(&new).await?
            }
        };
        self.receiver.set_secrets(webhook.signature);
        Ok(Some(url))
    }

    /// Processes a verified delivery: lets the outbox confirm a waiting sale or refund (that
    /// is idempotent, so it runs first: a failure answers 500 and Partnero's retry tries it
    /// again), then records the delivery as seen and keeps it for the dashboard once. `false`
    /// for a replay.
    pub async fn receive(
        &self,
        outbox: &ShopOutbox,
        delivery: &WebhookDelivery,
    ) -> Result<bool, partnero_outbox::Error> {
        let outbox_did = match outbox.confirm_from_webhook(&delivery.event).await? {
            Confirmation::SaleConfirmed { .. } => Some("sale confirmed".to_owned()),
            Confirmation::RefundConfirmed { .. } => Some("refund confirmed".to_owned()),
            _ => None,
        };
        if !outbox.first_delivery(delivery).await? {
            tracing::debug!(id = %delivery.id, "webhook delivery seen before: ignored");
            return Ok(false);
        }
        let received = ReceivedEvent {
            event: delivery.event.name().to_owned(),
            summary: summary(&delivery.event),
            outbox: outbox_did,
        };
        let mut latest = self.latest.lock().unwrap_or_else(|p| p.into_inner());
        latest.push_front(received);
        latest.truncate(LATEST);
        Ok(true)
    }

    /// The latest events, newest first.
    pub fn latest(&self) -> Vec<ReceivedEvent> {
        let latest = self.latest.lock().unwrap_or_else(|p| p.into_inner());
        latest.iter().cloned().collect()
    }
}

/// A line for the dashboard.
fn summary(event: &WebhookEvent) -> String {
    let or_dash = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".to_owned());
    match event {
        WebhookEvent::PartnerCreated(p) => format!("partner {} joined", or_dash(&p.key)),
        WebhookEvent::CustomerCreated(c) => format!("customer {} created", or_dash(&c.key)),
        WebhookEvent::CustomerRewarded(c) | WebhookEvent::CustomerCredited(c) => {
            format!("customer {} balance changed", or_dash(&c.key))
        }
        WebhookEvent::TransactionCreated(t) => format!(
            "sale {} of {} recorded",
            or_dash(&t.key),
            t.amount.map(|a| a.to_string()).unwrap_or_default()
        ),
        WebhookEvent::TransactionUpdated(t) => format!("transaction {} updated", or_dash(&t.key)),
        WebhookEvent::TransactionDeleted(t) => {
            format!(
                "transaction {} refunded, commission reversed",
                or_dash(&t.key)
            )
        }
        WebhookEvent::RewardCreated(r) => format!(
            "commission {} {} approved for {}",
            r.amount.map(|a| a.to_string()).unwrap_or_default(),
            or_dash(&r.amount_units),
            r.partner
                .as_ref()
                .and_then(|p| p.key.clone())
                .or_else(|| r.customer.as_ref().and_then(|c| c.key.clone()))
                .unwrap_or_else(|| "-".to_owned())
        ),
        other => other.name().to_owned(),
    }
}
