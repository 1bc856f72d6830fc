//! Delivering webhooks: a signed POST of `{event, url, webhook_key, created_at, data}` to each
//! active webhook subscribed to the event, in a task of its own (never in the API handler),
//! retried with exponential backoff a bounded number of times, and logged for
//! `GET /_sandbox/webhook_deliveries`.
//!
//! Only `127.0.0.1`, `localhost` and `[::1]` URLs are called; any other is recorded as refused.
//! Fault rules scoped to the method `WEBHOOK` (see [`Faults::on_webhooks`]) apply to deliveries:
//! `fail` fails an attempt without sending, `drop` loses the delivery, `process_then_fail` /
//! `process_then_drop` send it and then count the attempt as failed (so it is sent again: a
//! duplicate), `latency` / `process_slowly` delay it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::json;
use sha2::Sha256;
use tokio::sync::watch;

use crate::change_feed::Change;
use crate::faults::{FaultAction, Faults};
use crate::model::Webhook;
use crate::time::now_iso8601;

/// Attempts per delivery, the first included.
const MAX_ATTEMPTS: u32 = 5;
/// The wait before the second attempt; doubled for each later one.
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
/// The longest wait between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(1);
/// How long one attempt may take (Partnero asks receivers to answer within 5 s).
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeliveryState {
    /// Not finished: being sent or waiting for a retry.
    Pending,
    /// A 2xx answer.
    Delivered,
    /// Every attempt failed.
    Failed,
    /// Lost on purpose by a `drop` fault: never sent.
    Dropped,
    /// Not sent: the URL is not on this machine.
    Refused,
}

/// One attempt of a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DeliveryAttempt {
    /// The receiver's status, when it answered.
    pub status: Option<u16>,
    /// What went wrong (transport error, injected fault), if anything.
    pub error: Option<String>,
    /// Whether the request reached the receiver.
    pub sent: bool,
}

/// One webhook delivery: what was (or is to be) POSTed, and how it went.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct WebhookDeliveryRecord {
    /// Sequence number, from 1 in creation order.
    pub id: u64,
    /// The API key of the program.
    pub api_key: String,
    /// The webhook's key.
    pub webhook_key: String,
    /// The event name.
    pub event: String,
    /// The destination.
    pub url: String,
    /// The exact body sent (the signature covers these bytes).
    pub body: String,
    /// Where it stands.
    pub state: DeliveryState,
    /// The attempts so far.
    pub attempts: Vec<DeliveryAttempt>,
}

/// How many delivery records the log keeps (the oldest go first): a long-running sandbox
/// under load keeps a bounded log.
const MAX_RECORDS: usize = 10_000;

#[derive(Debug)]
struct Inner {
    /// The latest [`MAX_RECORDS`] deliveries, oldest first.
    log: Mutex<Vec<WebhookDeliveryRecord>>,
    /// The next delivery id: never reused, not even after [`Deliveries::clear`], so a
    /// delivery still running across a reset never writes into a newer record.
    next_id: AtomicU64,
    /// Deliveries not finished yet.
    unfinished: watch::Sender<usize>,
    http: reqwest::Client,
    faults: Faults,
}

/// The delivery engine (cheap to clone).
#[derive(Debug, Clone)]
pub(crate) struct Deliveries {
    inner: Arc<Inner>,
}

/// The delivery's body and its signature.
struct Signed {
    body: String,
    signature: String,
}

fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `url` points at this machine.
fn is_local(url: &str) -> bool {
    reqwest::Url::parse(url).is_ok_and(|u| {
        matches!(
            u.host_str(),
            Some("127.0.0.1" | "localhost" | "[::1]" | "::1")
        )
    })
}

impl Deliveries {
    pub(crate) fn new(faults: Faults) -> Self {
        let http = reqwest::Client::builder()
            .timeout(ATTEMPT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("partnero-sandbox/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self {
            inner: Arc::new(Inner {
                log: Mutex::new(Vec::new()),
                next_id: AtomicU64::new(1),
                unfinished: watch::channel(0).0,
                http,
                faults,
            }),
        }
    }

    fn log(&self) -> MutexGuard<'_, Vec<WebhookDeliveryRecord>> {
        self.inner.log.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts one delivery per (change, active webhook subscribed to it), each in its own task.
    pub(crate) fn dispatch(&self, api_key: &str, webhooks: &[Webhook], changes: Vec<Change>) {
        for change in changes {
            for hook in webhooks
                .iter()
                .filter(|w| w.is_active && w.events.iter().any(|e| e == change.event))
            {
                let envelope = json!({
                    "event": change.event,
                    "url": hook.url,
                    "webhook_key": hook.key,
                    "created_at": now_iso8601(),
                    "data": change.data,
                });
                let body = envelope.to_string();
                let signed = Signed {
                    signature: sign(&hook.signature, body.as_bytes()),
                    body,
                };
                self.start(api_key, hook, change.event, signed);
            }
        }
    }

    fn start(&self, api_key: &str, hook: &Webhook, event: &str, signed: Signed) {
        let local = is_local(&hook.url);
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        {
            let mut log = self.log();
            log.push(WebhookDeliveryRecord {
                id,
                api_key: api_key.to_owned(),
                webhook_key: hook.key.clone(),
                event: event.to_owned(),
                url: hook.url.clone(),
                body: signed.body.clone(),
                state: if local {
                    DeliveryState::Pending
                } else {
                    DeliveryState::Refused
                },
                attempts: Vec::new(),
            });
            if log.len() > MAX_RECORDS {
                let excess = log.len() - MAX_RECORDS;
                log.drain(..excess);
            }
        }
        if !local {
            tracing::warn!(url = %hook.url, event, "webhook not delivered: only 127.0.0.1/localhost URLs are called");
            return;
        }
        self.inner.unfinished.send_modify(|n| *n += 1);
        let engine = self.clone();
        let url = hook.url.clone();
        let event = event.to_owned();
        tokio::spawn(async move {
            let state = engine.run(id, &url, &event, &signed).await;
            engine.update(id, |r| r.state = state);
            engine.inner.unfinished.send_modify(|n| *n -= 1);
        });
    }

    fn update(&self, id: u64, change: impl FnOnce(&mut WebhookDeliveryRecord)) {
        if let Some(record) = self.log().iter_mut().find(|r| r.id == id) {
            change(record);
        }
    }

    fn attempt(&self, id: u64, attempt: DeliveryAttempt) {
        self.update(id, |r| r.attempts.push(attempt));
    }

    /// Sends with retries; the final state.
    async fn run(&self, id: u64, url: &str, event: &str, signed: &Signed) -> DeliveryState {
        let mut backoff = FIRST_BACKOFF;
        for attempt in 1..=MAX_ATTEMPTS {
            if attempt > 1 {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            if let Some(delay) = self.inner.faults.delivery_latency(event) {
                tokio::time::sleep(delay).await;
            }
            let fault = self.inner.faults.take_delivery(event);
            let send_then_fail = match fault {
                Some(FaultAction::Drop) => {
                    self.attempt(id, failed(None, "dropped by a fault", false));
                    return DeliveryState::Dropped;
                }
                Some(FaultAction::Fail { status, .. }) => {
                    self.attempt(id, failed(Some(status), "failed by a fault", false));
                    continue;
                }
                Some(FaultAction::ProcessSlowly { millis }) => {
                    tokio::time::sleep(Duration::from_millis(millis)).await;
                    false
                }
                Some(FaultAction::ProcessThenFail { .. } | FaultAction::ProcessThenDrop) => true,
                None => false,
            };
            let result = self
                .inner
                .http
                .post(url)
                .header("content-type", "application/json")
                .header("signature", &signed.signature)
                .body(signed.body.clone())
                .send()
                .await;
            let (status, error) = match result {
                Ok(res) => (Some(res.status().as_u16()), None),
                Err(err) => (None, Some(err.without_url().to_string())),
            };
            let ok = status.is_some_and(|s| (200..300).contains(&s));
            if ok && !send_then_fail {
                self.attempt(
                    id,
                    DeliveryAttempt {
                        status,
                        error: None,
                        sent: true,
                    },
                );
                return DeliveryState::Delivered;
            }
            let error = if send_then_fail {
                Some("sent, then failed by a fault".to_owned())
            } else {
                error.or_else(|| Some("not a 2xx answer".to_owned()))
            };
            tracing::debug!(
                url,
                event,
                attempt,
                ?status,
                ?error,
                "webhook attempt failed"
            );
            self.attempt(
                id,
                DeliveryAttempt {
                    status,
                    error,
                    sent: status.is_some(),
                },
            );
        }
        DeliveryState::Failed
    }

    /// Every delivery so far, oldest first.
    pub(crate) fn records(&self) -> Vec<WebhookDeliveryRecord> {
        self.log().clone()
    }

    /// Forgets the log (pending deliveries still finish).
    pub(crate) fn clear(&self) {
        self.log().clear();
    }

    /// Waits until no delivery is pending (or `limit` passed).
    pub(crate) async fn settled(&self, limit: Duration) {
        let mut rx = self.inner.unfinished.subscribe();
        let _ = tokio::time::timeout(limit, rx.wait_for(|n| *n == 0)).await;
    }
}

fn failed(status: Option<u16>, error: &str, sent: bool) -> DeliveryAttempt {
    DeliveryAttempt {
        status,
        error: Some(error.to_owned()),
        sent,
    }
}
