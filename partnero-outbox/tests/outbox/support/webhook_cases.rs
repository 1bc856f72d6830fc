//! The outbox listening to the sandbox's webhooks (run on both stores): a sale whose answer
//! was lost is confirmed by its `transaction.created` with no lookup and no resend, a waiting
//! refund by its `transaction.deleted`, and a duplicated delivery is processed once.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use partnero_client::{NewWebhook, WebhookReceiver};
use partnero_outbox::{Backend, Confirmation, Event, Outbox, WebhookBackend};

use super::{Env, LONG, eventually, fast, sale, signup, until_stats};

/// What the shop's webhook endpoint did with each delivery: (event, first time?, confirmation).
type Log = Arc<Mutex<Vec<(String, bool, Confirmation)>>>;

/// A webhook endpoint on 127.0.0.1 doing what an app does: verify, dedupe, let the outbox
/// listen. Registered with the sandbox for the two transaction events; returns its log.
pub async fn listen<DB: Backend + WebhookBackend>(env: &Env, outbox: &Outbox<DB>) -> Log {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let webhook = env
        .client
        .webhooks()
        .create(
            &NewWebhook::new("outbox", url)
                .event("transaction.created")
                .event("transaction.deleted"),
        )
        .await
        .unwrap();
    let receiver = WebhookReceiver::new(webhook.signature.clone().unwrap());
    let log: Log = Arc::default();
    let (outbox, seen) = (outbox.clone(), Arc::clone(&log));
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| async move {
            let signature = headers.get("signature").map(|v| v.as_bytes());
            let Ok(delivery) = receiver.receive(signature, &body) else {
                return axum::http::StatusCode::UNAUTHORIZED;
            };
            // The documented order: the idempotent confirmation, then the record.
            let confirmation = outbox.confirm_from_webhook(&delivery.event).await.unwrap();
            let first = outbox.first_delivery(&delivery).await.unwrap();
            seen.lock()
                .unwrap()
                .push((delivery.event.name().to_owned(), first, confirmation));
            axum::http::StatusCode::OK
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    log
}

/// The sale is processed but its answer is a 502: unconfirmed, due for a lookup only after
/// the (long) settle time. Its `transaction.created` webhook confirms it well before: no
/// `GET /transactions/{key}`, no resend, exactly one transaction. The same delivery arrives
/// twice (the sandbox duplicates it) and is processed once.
pub async fn a_lost_sale_answer_is_confirmed_by_its_webhook<DB: Backend + WebhookBackend>(
    env: &Env,
    outbox: Outbox<DB>,
) {
    let log = listen(env, &outbox).await;
    let faults = env.sandbox.faults();
    faults
        .on("POST", "/v1/transactions")
        .process_then_fail_next(1, 502);
    faults
        .on_webhooks("transaction.created")
        .process_then_fail_next(1, 500);
    let dispatcher = fast(&outbox, env)
        .settle(Duration::from_secs(600))
        .spawn()
        .unwrap();
    outbox.enqueue_now(&signup("hooked")).await.unwrap();
    outbox
        .enqueue_now(&sale("hooked", "hooked-1"))
        .await
        .unwrap();

    let stats = until_stats(&outbox, LONG, |s| s.in_state("delivered") == 2).await;
    assert_eq!(
        stats.in_state("delivered"),
        2,
        "the sale is confirmed long before its 600 s settle time: {stats:?}"
    );
    env.sandbox.webhooks_settled(LONG).await;
    assert_eq!(env.transactions("hooked-1"), 1, "never resent");
    assert_eq!(
        env.sandbox
            .requests_seen_for("GET", "/v1/transactions/hooked-1"),
        1,
        "only the look-up before the post found nothing: none after it"
    );
    assert_eq!(env.sandbox.requests_seen_for("POST", "/v1/transactions"), 1);
    let log = log.lock().unwrap().clone();
    let firsts: Vec<_> = log.iter().filter(|(_, first, _)| *first).collect();
    assert_eq!(log.len(), 2, "the delivery arrived twice: {log:?}");
    assert_eq!(firsts.len(), 1, "and was processed once: {log:?}");
    assert!(matches!(firsts[0].2, Confirmation::SaleConfirmed { .. }));
    dispatcher.shutdown(Duration::from_secs(5)).await;
}

/// A sale whose answer was lost (unconfirmed), whose `transaction.created` delivery was lost
/// too, with its refund waiting behind it, is deleted in Partnero's dashboard. The
/// `transaction.deleted` proves the sale was recorded: both rows are confirmed, and the sale is
/// never resent (a resend would pay a commission with no refund left to reverse it).
pub async fn a_deleted_transaction_confirms_its_waiting_sale_and_refund<
    DB: Backend + WebhookBackend,
>(
    env: &Env,
    outbox: Outbox<DB>,
) {
    let _log = listen(env, &outbox).await;
    let faults = env.sandbox.faults();
    faults
        .on("POST", "/v1/transactions")
        .process_then_fail_next(1, 502);
    faults.on_webhooks("transaction.created").drop_next(1);
    let dispatcher = fast(&outbox, env)
        .settle(Duration::from_secs(600))
        .spawn()
        .unwrap();
    outbox.enqueue_now(&signup("deleted")).await.unwrap();
    outbox
        .enqueue_now(&sale("deleted", "deleted-1"))
        .await
        .unwrap();
    outbox
        .enqueue_now(&Event::refund("deleted-1"))
        .await
        .unwrap();
    until_stats(&outbox, LONG, |s| s.in_state("unconfirmed") == 1).await;
    assert_eq!(env.transactions("deleted-1"), 1, "processed, answer lost");
    env.client.transactions().delete("deleted-1").await.unwrap();
    let stats = until_stats(&outbox, LONG, |s| s.waiting() == 0).await;
    assert_eq!(stats.in_state("delivered"), 3, "{stats:?}");
    env.sandbox.webhooks_settled(LONG).await;
    assert_eq!(
        env.sandbox.requests_seen_for("POST", "/v1/transactions"),
        1,
        "the sale was never resent"
    );
    assert_eq!(
        env.sandbox
            .requests_seen_for("DELETE", "/v1/transactions/deleted-1"),
        1,
        "only the dashboard's delete"
    );
    dispatcher.shutdown(Duration::from_secs(5)).await;
}

/// A refund waits in the outbox (no dispatcher running) while the transaction is deleted some
/// other way: its `transaction.deleted` confirms the refund, and a dispatcher started later
/// sends nothing.
pub async fn a_waiting_refund_is_confirmed_by_its_webhook<DB: Backend + WebhookBackend>(
    env: &Env,
    outbox: Outbox<DB>,
) {
    let log = listen(env, &outbox).await;
    env.client
        .signup(
            &super::referred(),
            partnero_client::NewCustomer::new("refunded"),
        )
        .await
        .unwrap();
    env.client
        .sale(
            "refunded",
            partnero_client::Sale::new(rust_decimal::Decimal::TEN).key("refunded-1"),
        )
        .await
        .unwrap();
    outbox
        .enqueue_now(&Event::refund("refunded-1"))
        .await
        .unwrap();
    env.client.refund("refunded-1").await.unwrap();
    assert!(
        eventually(LONG, || log
            .lock()
            .unwrap()
            .iter()
            .any(|(_, _, c)| matches!(c, Confirmation::RefundConfirmed { .. })))
        .await,
        "{:?}",
        log.lock().unwrap()
    );
    let dispatcher = fast(&outbox, env).spawn().unwrap();
    let stats = until_stats(&outbox, LONG, |s| s.waiting() == 0).await;
    assert_eq!(stats.in_state("delivered"), 1, "{stats:?}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        env.sandbox
            .requests_seen_for("DELETE", "/v1/transactions/refunded-1"),
        1,
        "the outbox never sent its refund"
    );
    dispatcher.shutdown(Duration::from_secs(5)).await;

    // The idempotency record is trimmed by age.
    env.sandbox.webhooks_settled(LONG).await;
    let seen = log.lock().unwrap().len() as u64;
    assert!(seen >= 2, "transaction.created and .deleted: {seen}");
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(
        outbox
            .forget_webhooks_older_than(Duration::ZERO)
            .await
            .unwrap(),
        seen
    );
}

/// The window the dispatcher alone cannot close: Partnero finishes the sale *after* the settle
/// time (processing takes 3 s; the dispatcher gives up after 0.5 s). With a 2 s settle the
/// lookup finds nothing and the sale is resent: paid twice. With the webhook listener the
/// settle time can be long (600 s here) without delaying anything: the `transaction.created`
/// of the late sale confirms it, with no lookup and no resend.
pub async fn a_sale_finished_after_a_short_settle_is_paid_once<DB: Backend + WebhookBackend>(
    env: &Env,
    outbox: Outbox<DB>,
) {
    listen(env, &outbox).await;
    let dispatcher = fast(&outbox, env)
        .settle(Duration::from_secs(600))
        .spawn()
        .unwrap();
    outbox.enqueue_now(&signup("late")).await.unwrap();
    until_stats(&outbox, LONG, |s| s.in_state("delivered") == 1).await;
    env.sandbox
        .faults()
        .on("POST", "/v1/transactions")
        .process_slowly_next(1, Duration::from_secs(3));
    outbox.enqueue_now(&sale("late", "late-1")).await.unwrap();
    dispatcher.nudge();
    let stats = until_stats(&outbox, LONG, |s| s.in_state("delivered") == 2).await;
    assert_eq!(stats.in_state("delivered"), 2, "{stats:?}");
    assert_eq!(env.transactions("late-1"), 1, "paid once");
    assert_eq!(
        env.sandbox
            .requests_seen_for("GET", "/v1/transactions/late-1"),
        1,
        "only the look-up before the post"
    );
    dispatcher.shutdown(Duration::from_secs(5)).await;
}
