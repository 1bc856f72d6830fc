//! The outbox listens to Partnero: [`Outbox::confirm_from_webhook`] marks a waiting sale or
//! refund delivered when a webhook says Partnero already has it.

use partnero_client::WebhookEvent;

use crate::webhook_store::WebhookBackend;
use crate::{Error, Outbox};

/// What [`Outbox::confirm_from_webhook`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Confirmation {
    /// `transaction.created`: the sale with that key (or the purchase: it shares the sale's
    /// `sale:<key>` idempotency key) was waiting (unsent, in flight, unconfirmed or dead) and
    /// is now delivered; it will not be sent or looked up again.
    SaleConfirmed {
        /// The outbox row.
        id: i64,
    },
    /// `transaction.deleted`: the refund of that key was waiting and is now delivered (and so
    /// is the sale of that key, if it still waited: a deleted transaction was recorded).
    RefundConfirmed {
        /// The outbox row.
        id: i64,
    },
    /// A `transaction.created`/`deleted` with no waiting row of that key (delivered already,
    /// or not from this outbox).
    NothingWaiting,
    /// Another event, or a transaction without a key: nothing to do.
    NotRelevant,
}

impl<DB: WebhookBackend> Outbox<DB> {
    /// Closes the window the dispatcher cannot close alone: a sale (or a purchase, which is
    /// its customer's first sale) whose answer was lost is
    /// *unconfirmed* until its settle time, then looked up by key. When Partnero's
    /// `transaction.created` for that key arrives first, the sale is marked delivered at once,
    /// with no lookup and no resend; a `transaction.deleted` does the same for a waiting
    /// refund, and for its sale when that still waits (the transaction was recorded, then
    /// deleted: resending the sale would pay a commission no refund reverses). Call it with
    /// every verified delivery (before [`first_delivery`](Self::first_delivery) if you
    /// dedupe: it is idempotent); other events are [`Confirmation::NotRelevant`].
    ///
    /// With this listener in place, give the dispatcher a long
    /// [`settle`](crate::DispatcherBuilder::settle) time: a sale Partnero finishes *after* the
    /// settle time is otherwise looked up too early, found absent and resent (paid twice),
    /// while confirmed sales no longer wait for it.
    ///
    /// A row being delivered at that very moment is confirmed too (the webhook often arrives
    /// before the answer of the request that created the transaction): the dispatcher's own
    /// result for it is then discarded by the lease fencing (it logs that a row was finished elsewhere).
    pub async fn confirm_from_webhook(&self, event: &WebhookEvent) -> Result<Confirmation, Error> {
        let (kind, prefix) = match event {
            WebhookEvent::TransactionCreated(_) => ("sale", "sale:"),
            WebhookEvent::TransactionDeleted(_) => ("refund", "refund:"),
            _ => return Ok(Confirmation::NotRelevant),
        };
        let Some(key) = event
            .transaction()
            .and_then(|t| t.key.as_deref())
            .filter(|k| !k.is_empty())
        else {
            return Ok(Confirmation::NotRelevant);
        };
        let outcome = format!("confirmed_by_webhook:{}", event.name());
        if kind == "refund" {
            // A deleted transaction was recorded: its sale (or purchase) must not be resent.
            if let Some(id) = DB::confirm(self.pool(), &format!("sale:{key}"), &outcome).await? {
                metrics::counter!("partnero_outbox_webhook_confirmed_total", "kind" => "sale")
                    .increment(1);
                tracing::info!(
                    id,
                    "outbox sale confirmed by its transaction.deleted webhook"
                );
            }
        }
        let id = DB::confirm(self.pool(), &format!("{prefix}{key}"), &outcome).await?;
        let Some(id) = id else {
            return Ok(Confirmation::NothingWaiting);
        };
        metrics::counter!("partnero_outbox_webhook_confirmed_total", "kind" => kind).increment(1);
        tracing::info!(id, kind, "outbox row confirmed by a Partnero webhook");
        Ok(match kind {
            "sale" => Confirmation::SaleConfirmed { id },
            _ => Confirmation::RefundConfirmed { id },
        })
    }
}
