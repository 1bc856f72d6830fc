//! Processing each webhook delivery once: [`Outbox::first_delivery`], a small idempotency
//! record on the outbox's own database.

use std::time::Duration;

use partnero_client::WebhookDelivery;

use crate::webhook_store::WebhookBackend;
use crate::{Error, Outbox};

impl<DB: WebhookBackend> Outbox<DB> {
    /// Records `delivery` as processed: `true` the first time this delivery is seen, `false`
    /// for a replay or a retry of it (same body, so same [`WebhookDelivery::id`]).
    ///
    /// Partnero's `Signature` covers the body only and carries **no timestamp**, so a captured
    /// delivery verifies forever, and Partnero itself retries deliveries it thinks failed.
    /// Call it **after** the work that must not be lost, and skip the rest when it answers
    /// `false`: a delivery recorded as seen before its work failed would be ignored when
    /// Partnero retries it. [`confirm_from_webhook`](Self::confirm_from_webhook) is idempotent,
    /// so it goes first; work that is not idempotent belongs in one database transaction with
    /// this record. Only the id (a SHA-256 of the body), the event name and the time are
    /// stored, in the `partnero_webhook_seen` table, created next to the outbox table.
    ///
    /// ```no_run
    /// # async fn run(outbox: partnero_outbox::Outbox<sqlx::Sqlite>, delivery: partnero_client::WebhookDelivery)
    /// # -> Result<(), partnero_outbox::Error> {
    /// outbox.confirm_from_webhook(&delivery.event).await?; // idempotent: first
    /// if outbox.first_delivery(&delivery).await? {
    ///     // ... your own processing, once per delivery ...
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn first_delivery(&self, delivery: &WebhookDelivery) -> Result<bool, Error> {
        Ok(DB::mark_seen(self.pool(), &delivery.id, delivery.event.name()).await?)
    }

    /// Forgets the deliveries recorded by [`first_delivery`](Self::first_delivery) longer than
    /// `older_than` ago (Partnero's retries end within hours; keep a few days). How many.
    pub async fn forget_webhooks_older_than(&self, older_than: Duration) -> Result<u64, Error> {
        Ok(DB::forget_seen(self.pool(), older_than).await?)
    }
}
