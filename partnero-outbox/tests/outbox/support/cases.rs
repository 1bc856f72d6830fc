//! Cases run on both stores: each takes a fresh outbox.

use std::time::{Duration, Instant};

use partnero_client::{Sale, WebhookDelivery};
use partnero_outbox::{Backend, Enqueued, Event, Outbox, PauseReason, WebhookBackend};
use rust_decimal::Decimal;
use sqlx::{Executor, Pool};

use super::{Env, LONG, eventually, fast, sale, signup, until_stats};

/// Outage under load: Partnero refuses connections while 40 customers sign up, buy twice and
/// refund once; after it returns everything arrives exactly once, in order (the sale of a
/// customer Partnero did not know would have been recorded as `customer_unknown`, so a
/// transaction for every sale proves its sign-up came first; a refund before its sale would
/// have found nothing, so a deleted transaction proves the order).
pub async fn outage_loses_nothing_and_pays_nothing_twice<DB: Backend>(
    env: &Env,
    outbox: Outbox<DB>,
) {
    env.sandbox.faults().refuse_connections(true);
    let dispatcher = fast(&outbox, env).concurrency(8).spawn().unwrap();
    let customers = 40;
    for c in 0..customers {
        let customer = format!("out-{c}");
        outbox.enqueue_now(&signup(&customer)).await.unwrap();
        outbox
            .enqueue_now(&sale(&customer, &format!("{customer}-a")))
            .await
            .unwrap();
        outbox
            .enqueue_now(&sale(&customer, &format!("{customer}-b")))
            .await
            .unwrap();
        outbox
            .enqueue_now(&partnero_outbox::Event::refund(format!("{customer}-a")))
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        env.sandbox.state().customers(&env.api_key).len(),
        0,
        "Partnero is down"
    );
    let waiting = outbox.stats().await.unwrap();
    assert_eq!(waiting.waiting(), customers * 4, "{waiting:?}");

    env.sandbox.faults().refuse_connections(false);
    let stats = until_stats(&outbox, LONG, |s| s.in_state("delivered") == customers * 4).await;
    assert_eq!(stats.in_state("delivered"), customers * 4, "{stats:?}");
    assert_eq!(stats.dead(), 0);
    env.assert_each_journey_once("out", customers);
    dispatcher.shutdown(Duration::from_secs(5)).await;
}

/// The same sale enqueued twice (a double-clicked button, a handler run twice) is queued
/// once and recorded once.
pub async fn duplicate_enqueue_is_a_no_op<DB: Backend>(env: &Env, outbox: Outbox<DB>) {
    assert!(matches!(
        outbox.enqueue_now(&signup("dup")).await.unwrap(),
        Enqueued::Queued { .. }
    ));
    assert!(matches!(
        outbox.enqueue_now(&sale("dup", "dup-1")).await.unwrap(),
        Enqueued::Queued { .. }
    ));
    assert_eq!(
        outbox.enqueue_now(&sale("dup", "dup-1")).await.unwrap(),
        Enqueued::AlreadyQueued
    );
    assert_eq!(
        outbox.enqueue_now(&signup("dup")).await.unwrap(),
        Enqueued::AlreadyQueued
    );
    let dispatcher = fast(&outbox, env).spawn().unwrap();
    until_stats(&outbox, LONG, |s| s.in_state("delivered") == 2).await;
    // Delivered rows keep their key: a third attempt is still a no-op.
    assert_eq!(
        outbox.enqueue_now(&sale("dup", "dup-1")).await.unwrap(),
        Enqueued::AlreadyQueued
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(env.transactions("dup-1"), 1);
    dispatcher.shutdown(Duration::from_secs(5)).await;
}

/// Processed, then the answer was lost (a 502, or a dropped connection), for each kind: the
/// sale is unconfirmed, found by key after the settle time and never resent; the sign-up's
/// resend is a duplicate; the refund's resend is a 404. Exactly one of each in the sandbox.
pub async fn processed_then_failed_is_delivered_once<DB: Backend>(
    env: &Env,
    outbox: Outbox<DB>,
    drop_connection: bool,
) {
    let faults = env.sandbox.faults();
    for (method, path) in [
        ("POST", "/v1/customers"),
        ("POST", "/v1/transactions"),
        ("DELETE", "/v1/transactions"),
    ] {
        let scoped = faults.on(method, path);
        if drop_connection {
            scoped.process_then_drop_next(1);
        } else {
            scoped.process_then_fail_next(1, 502);
        }
    }
    let dispatcher = fast(&outbox, env).spawn().unwrap();
    let started = Instant::now();
    outbox.enqueue_now(&signup("amb")).await.unwrap();
    outbox.enqueue_now(&sale("amb", "amb-1")).await.unwrap();
    outbox
        .enqueue_now(&partnero_outbox::Event::refund("amb-1"))
        .await
        .unwrap();
    let stats = until_stats(&outbox, LONG, |s| s.in_state("delivered") == 3).await;
    assert_eq!(stats.in_state("delivered"), 3, "{stats:?}");
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "the unconfirmed sale waited its settle time"
    );
    assert_eq!(env.customers_with_key("amb"), 1);
    assert_eq!(env.transactions("amb-1"), 1, "never resent");
    assert_eq!(env.live("amb-1"), 0, "refunded");
    dispatcher.shutdown(Duration::from_secs(5)).await;
}

/// A create still being processed after the client gave up: a lookup before it finished
/// would miss it; the settle time makes the lookup find it. One transaction.
pub async fn slow_sale_is_found_not_resent<DB: Backend>(env: &Env, outbox: Outbox<DB>) {
    outbox.enqueue_now(&signup("slow")).await.unwrap();
    let dispatcher = fast(&outbox, env).spawn().unwrap();
    until_stats(&outbox, LONG, |s| s.in_state("delivered") == 1).await;
    // Processing takes 1.5 s, the client gives up after 0.5 s, the lookup comes after 2 s.
    env.sandbox
        .faults()
        .on("POST", "/v1/transactions")
        .process_slowly_next(1, Duration::from_millis(1500));
    outbox.enqueue_now(&sale("slow", "slow-1")).await.unwrap();
    dispatcher.nudge();
    let stats = until_stats(&outbox, LONG, |s| s.in_state("delivered") == 2).await;
    assert_eq!(stats.in_state("delivered"), 2, "{stats:?}");
    assert_eq!(env.transactions("slow-1"), 1);
    dispatcher.shutdown(Duration::from_secs(5)).await;
}

/// A sign-up still being processed after the client gave up (1.5 s against a 0.5 s timeout):
/// it is resent, which is safe whichever lands first (the resend creates the customer and the
/// slow one is a duplicate, or the other way round). One customer, with its partner; the row
/// delivered once.
pub async fn slow_signup_is_delivered_once<DB: Backend>(env: &Env, outbox: Outbox<DB>) {
    let slow = Duration::from_millis(1500);
    env.sandbox
        .faults()
        .on("POST", "/v1/customers")
        .process_slowly_next(1, slow);
    let dispatcher = fast(&outbox, env).spawn().unwrap();
    let sent = Instant::now();
    outbox.enqueue_now(&signup("slow-up")).await.unwrap();
    let stats = until_stats(&outbox, LONG, |s| s.in_state("delivered") == 1).await;
    assert_eq!(stats.in_state("delivered"), 1, "{stats:?}");
    // Count only once the slow request has finished too.
    tokio::time::sleep_until((sent + slow + Duration::from_millis(500)).into()).await;
    assert!(
        env.sandbox.requests_seen_for("POST", "/v1/customers") >= 2,
        "the dispatcher gave up on the slow request and sent it again"
    );
    let signed_up = env.customers_with_key("slow-up");
    assert_eq!(signed_up, 1);
    assert_eq!(
        env.customer_partner("slow-up"),
        Some(Some("demo-partner".into()))
    );
    let stats = outbox.stats().await.unwrap();
    assert_eq!(
        (stats.in_state("delivered"), stats.waiting(), stats.dead()),
        (1, 0, 0),
        "{stats:?}"
    );
    dispatcher.shutdown(Duration::from_secs(5)).await;
}

/// A refund still being processed after the client gave up: it is resent, and whichever
/// `DELETE` comes second finds nothing (404, for a refund ordered after its sale: done). The
/// transaction is deleted once; the row delivered once.
pub async fn slow_refund_is_delivered_once<DB: Backend>(env: &Env, outbox: Outbox<DB>) {
    outbox.enqueue_now(&signup("slow-rf")).await.unwrap();
    outbox
        .enqueue_now(&sale("slow-rf", "slow-rf-1"))
        .await
        .unwrap();
    let dispatcher = fast(&outbox, env).spawn().unwrap();
    until_stats(&outbox, LONG, |s| s.in_state("delivered") == 2).await;
    assert_eq!(env.live("slow-rf-1"), 1);
    let slow = Duration::from_millis(1500);
    env.sandbox
        .faults()
        .on("DELETE", "/v1/transactions")
        .process_slowly_next(1, slow);
    let sent = Instant::now();
    outbox
        .enqueue_now(&Event::refund("slow-rf-1"))
        .await
        .unwrap();
    dispatcher.nudge();
    let stats = until_stats(&outbox, LONG, |s| s.in_state("delivered") == 3).await;
    assert_eq!(stats.in_state("delivered"), 3, "{stats:?}");
    tokio::time::sleep_until((sent + slow + Duration::from_millis(500)).into()).await;
    assert!(
        env.sandbox
            .requests_seen_for("DELETE", "/v1/transactions/slow-rf-1")
            >= 2,
        "the dispatcher gave up on the slow request and sent it again"
    );
    assert_eq!(
        (env.transactions("slow-rf-1"), env.live("slow-rf-1")),
        (1, 0),
        "one transaction, deleted"
    );
    let stats = outbox.stats().await.unwrap();
    assert_eq!(
        (stats.in_state("delivered"), stats.waiting(), stats.dead()),
        (3, 0, 0),
        "{stats:?}"
    );
    dispatcher.shutdown(Duration::from_secs(5)).await;
}

/// A 429 with `Retry-After` (in seconds, or as an HTTP date) pauses the whole dispatcher:
/// nothing else reaches Partnero before the time is up (a lower bound: it cannot flake), then
/// everything is delivered.
pub async fn rate_limit_pauses_everything<DB: Backend>(
    env: &Env,
    outbox: Outbox<DB>,
    as_date: bool,
) {
    if as_date {
        // An HTTP date has whole seconds: 3 s from now is at least 2 s away.
        env.sandbox
            .faults()
            .fail_next_with_retry_after_date(1, 429, 3);
    } else {
        env.sandbox.faults().fail_next_with_retry_after(1, 429, 2);
    }
    let dispatcher = fast(&outbox, env).concurrency(1).spawn().unwrap();
    outbox.enqueue_now(&signup("rl-0")).await.unwrap();
    assert!(
        eventually(LONG, || env.sandbox.requests_seen() >= 1).await,
        "the first request was answered 429"
    );
    let limited_at = Instant::now();
    for c in 1..5 {
        outbox
            .enqueue_now(&signup(&format!("rl-{c}")))
            .await
            .unwrap();
    }
    dispatcher.nudge();
    assert!(eventually(LONG, || env.sandbox.requests_seen() >= 2).await);
    assert!(
        limited_at.elapsed() >= Duration::from_millis(1500),
        "the next request waited for Retry-After ({:?})",
        limited_at.elapsed()
    );
    let stats = until_stats(&outbox, LONG, |s| s.in_state("delivered") == 5).await;
    assert_eq!(stats.in_state("delivered"), 5, "{stats:?}");
    dispatcher.shutdown(Duration::from_secs(5)).await;
}

/// A rejected API key pauses delivery without burning attempts (the events are not at fault);
/// once the key works, everything goes through.
pub async fn unauthorized_pauses_without_burning_attempts<DB: Backend>(
    env: &Env,
    outbox: Outbox<DB>,
) {
    env.sandbox.faults().fail_next(6, 401);
    let dispatcher = fast(&outbox, env).max_attempts(2).spawn().unwrap();
    outbox.enqueue_now(&signup("auth")).await.unwrap();
    assert!(
        eventually(LONG, || dispatcher.paused().is_some()).await,
        "paused"
    );
    // The health view says so, and why; the table alone knows no pause.
    let deadline = Instant::now() + LONG;
    let during = loop {
        let stats = dispatcher.stats().await.unwrap();
        if stats.paused.is_some() || Instant::now() > deadline {
            break stats;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let pause = during.paused.expect("Dispatcher::stats shows the pause");
    assert_eq!(pause.reason, PauseReason::Unauthorized);
    assert!(pause.remaining <= Duration::from_millis(300), "{pause:?}");
    assert!(!during.is_healthy(Duration::from_secs(3600)), "{during:?}");
    let shown = serde_json::to_value(&during).unwrap();
    assert_eq!(shown["paused"]["reason"], "unauthorized", "{shown}");
    assert_eq!(outbox.stats().await.unwrap().paused, None);
    let stats = until_stats(&outbox, LONG, |s| s.in_state("delivered") == 1).await;
    assert_eq!(
        stats.in_state("delivered"),
        1,
        "six 401s with max_attempts 2: not dead, {stats:?}"
    );
    assert_eq!(stats.dead(), 0);
    dispatcher.shutdown(Duration::from_secs(5)).await;
}

/// A 422 is dead at once and holds back that customer's later events (and only that
/// customer's); `retry` re-queues it, `discard` gives up on it and lets the rest through.
pub async fn dead_letters_block_their_customer_until_retried<DB: Backend>(
    env: &Env,
    outbox: Outbox<DB>,
) {
    outbox.enqueue_now(&signup("dl")).await.unwrap();
    outbox.enqueue_now(&signup("ok")).await.unwrap();
    let dispatcher = fast(&outbox, env).spawn().unwrap();
    until_stats(&outbox, LONG, |s| s.in_state("delivered") == 2).await;
    // Partnero refuses amounts over 1e12 (422).
    let too_big =
        partnero_client::Sale::new(rust_decimal::Decimal::new(10_000_000_000_000, 0)).key("dl-big");
    outbox
        .enqueue_now(&partnero_outbox::Event::sale("dl", too_big))
        .await
        .unwrap();
    outbox.enqueue_now(&sale("dl", "dl-after")).await.unwrap();
    outbox.enqueue_now(&sale("ok", "ok-1")).await.unwrap();
    dispatcher.nudge();
    let stats = until_stats(&outbox, LONG, |s| {
        s.dead() == 1 && s.in_state("delivered") == 3
    })
    .await;
    assert_eq!(
        (stats.dead(), stats.in_state("delivered")),
        (1, 3),
        "{stats:?}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        env.transactions("dl-after"),
        0,
        "held back behind the dead sale"
    );
    assert_eq!(
        env.transactions("ok-1"),
        1,
        "another customer is not held back"
    );
    let dead = outbox.dead_letters(10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].idempotency_key, "sale:dl-big");
    assert_eq!(dead[0].last_status, Some(422));
    assert!(!dead[0].reason.is_empty());

    // Retrying a row that still fails makes it dead again; discarding it releases the rest.
    outbox.retry(dead[0].id).await.unwrap();
    until_stats(&outbox, LONG, |s| {
        s.dead() == 1 && s.in_state("pending") == 1
    })
    .await;
    assert!(outbox.retry(424_242).await.is_err(), "no such row");
    outbox.discard(dead[0].id).await.unwrap();
    dispatcher.nudge();
    assert!(eventually(LONG, || env.transactions("dl-after") == 1).await);
    assert_eq!(env.transactions("dl-big"), 0);
    dispatcher.shutdown(Duration::from_secs(5)).await;
}

/// Shutdown during an outage returns within its budget and loses nothing: the next
/// dispatcher delivers everything.
pub async fn shutdown_in_an_outage_resumes_later<DB: Backend>(env: &Env, outbox: Outbox<DB>) {
    env.sandbox.faults().refuse_connections(true);
    let dispatcher = fast(&outbox, env).spawn().unwrap();
    for c in 0..5 {
        outbox
            .enqueue_now(&signup(&format!("sd-{c}")))
            .await
            .unwrap();
        outbox
            .enqueue_now(&sale(&format!("sd-{c}"), &format!("sd-{c}-1")))
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    let report = dispatcher.shutdown(Duration::from_secs(2)).await;
    assert!(report.finished, "{report:?}");
    env.sandbox.faults().refuse_connections(false);
    let again = fast(&outbox, env).spawn().unwrap();
    let stats = until_stats(&outbox, LONG, |s| s.in_state("delivered") == 10).await;
    assert_eq!(stats.in_state("delivered"), 10, "{stats:?}");
    for c in 0..5 {
        assert_eq!(env.transactions(&format!("sd-{c}-1")), 1);
    }
    again.shutdown(Duration::from_secs(5)).await;
}

/// A row this version cannot read (a foreign writer, a payload that no longer decodes) is
/// dead with the reason; the dispatcher goes on with the rest.
pub async fn poison_rows_go_dead_without_a_crash_loop<DB: Backend>(
    env: &Env,
    outbox: Outbox<DB>,
    insert_poison: &str,
) where
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
{
    sqlx::raw_sql(insert_poison)
        .execute(outbox.pool())
        .await
        .unwrap();
    outbox.enqueue_now(&signup("after-poison")).await.unwrap();
    let dispatcher = fast(&outbox, env).spawn().unwrap();
    let stats = until_stats(&outbox, LONG, |s| {
        s.dead() == 2 && s.in_state("delivered") == 1
    })
    .await;
    assert_eq!(
        (stats.dead(), stats.in_state("delivered")),
        (2, 1),
        "{stats:?}"
    );
    let reasons: Vec<String> = outbox
        .dead_letters(10)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.reason)
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains("does not decode")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("unknown event kind")),
        "{reasons:?}"
    );
    dispatcher.shutdown(Duration::from_secs(5)).await;
}

/// An outage longer than the attempt bound (connections refused, then 503s) makes no dead
/// letter: it is not the events' fault; they are all delivered once Partnero is back. A 500
/// repeated past the bound does make one (it may be the event's doing).
pub async fn a_long_outage_makes_no_dead_letters<DB: Backend>(env: &Env, outbox: Outbox<DB>) {
    env.sandbox.faults().refuse_connections(true);
    let dispatcher = fast(&outbox, env).max_attempts(2).spawn().unwrap();
    outbox.enqueue_now(&signup("long-1")).await.unwrap();
    outbox
        .enqueue_now(&sale("long-1", "long-1-a"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await; // several attempts at 20..300 ms
    env.sandbox.faults().refuse_connections(false);
    env.sandbox.faults().fail_next(8, 503);
    let stats = until_stats(&outbox, LONG, |s| s.in_state("delivered") == 2).await;
    assert_eq!(
        (stats.in_state("delivered"), stats.dead()),
        (2, 0),
        "{stats:?}"
    );
    assert_eq!(env.transactions("long-1-a"), 1);

    env.sandbox
        .faults()
        .on("POST", "/v1/customers")
        .fail_next(5, 500);
    outbox.enqueue_now(&signup("long-2")).await.unwrap();
    dispatcher.nudge();
    let stats = until_stats(&outbox, LONG, |s| s.dead() == 1).await;
    assert_eq!(stats.dead(), 1, "two 500s with max_attempts 2: {stats:?}");
    dispatcher.shutdown(Duration::from_secs(5)).await;
}

/// An outage spends no attempts: with `max_attempts(3)`, a sign-up claimed again and again
/// through 4 s of refused connections still gets its three tries once Partnero is back (a 500,
/// then success: delivered, not dead), and a sale unconfirmed before the outage, looked up in
/// vain through it, is found absent afterwards and sent once (not dead, not lost).
pub async fn an_outage_spends_no_attempts<DB: Backend>(env: &Env, outbox: Outbox<DB>) {
    let dispatcher = fast(&outbox, env).max_attempts(3).spawn().unwrap();
    outbox.enqueue_now(&signup("spent")).await.unwrap();
    until_stats(&outbox, LONG, |s| s.in_state("delivered") == 1).await;
    // The sale's POST is lost unprocessed: unconfirmed, looked up after the 2 s settle time.
    env.sandbox
        .faults()
        .on("POST", "/v1/transactions")
        .drop_next(1);
    outbox.enqueue_now(&sale("spent", "spent-1")).await.unwrap();
    dispatcher.nudge();
    until_stats(&outbox, LONG, |s| s.in_state("unconfirmed") == 1).await;
    outbox.enqueue_now(&signup("spent-2")).await.unwrap();
    env.sandbox
        .faults()
        .refuse_connections_for(Duration::from_secs(4));
    tokio::time::sleep(Duration::from_secs(4)).await;
    env.sandbox
        .faults()
        .on("POST", "/v1/customers")
        .fail_next(1, 500);
    dispatcher.nudge();
    let stats = until_stats(&outbox, LONG, |s| {
        s.in_state("delivered") == 3 || s.dead() > 0
    })
    .await;
    assert_eq!(
        (stats.in_state("delivered"), stats.dead()),
        (3, 0),
        "{stats:?}"
    );
    assert_eq!(env.transactions("spent-1"), 1, "the lost sale, sent once");
    assert!(env.customer_partner("spent-2").is_some());
    dispatcher.shutdown(Duration::from_secs(5)).await;
}

/// Every row, whatever its state (stats count them by state and kind).
fn rows(stats: &partnero_outbox::Stats) -> u64 {
    stats.rows.values().flat_map(|kinds| kinds.values()).sum()
}

/// Housekeeping: delivered (and discarded) rows are deleted once older than `keep_delivered`,
/// never before; pending, unconfirmed and dead rows never are, however old, and neither are the
/// webhook records (`forget_webhooks_older_than` trims those). Once a delivered row is gone its
/// key is free: the same event is queued again, and still never paid twice (a sign-up's resend
/// is a duplicate, so still one customer; a sale is looked up by its key before it is posted,
/// found, and not posted again).
pub async fn housekeeping_purges_only_old_delivered_rows<DB: Backend + WebhookBackend>(
    env: &Env,
    outbox: Outbox<DB>,
) {
    let keep = Duration::from_secs(1);
    let purge_every = Duration::from_millis(100);
    let hook = WebhookDelivery::from_json(br#"{"event":"outbox.housekeeping","data":{}}"#).unwrap();
    assert!(outbox.first_delivery(&hook).await.unwrap());
    let started = Instant::now();
    // Concurrency 1 claims in enqueue order, so the first sale sent is hk-u-1: processed,
    // then a 502, so unconfirmed for the (long) settle time.
    env.sandbox
        .faults()
        .on("POST", "/v1/transactions")
        .process_then_fail_next(1, 502);
    outbox.enqueue_now(&signup("hk-u")).await.unwrap();
    outbox.enqueue_now(&sale("hk-u", "hk-u-1")).await.unwrap();
    // Delivered: a sign-up, a sale, its refund.
    outbox.enqueue_now(&signup("hk")).await.unwrap();
    outbox.enqueue_now(&sale("hk", "hk-1")).await.unwrap();
    outbox.enqueue_now(&Event::refund("hk-1")).await.unwrap();
    outbox.enqueue_now(&sale("hk", "hk-2")).await.unwrap();
    // Dead (Partnero refuses amounts over 1e12 with a 422), and a sale pending behind it.
    outbox.enqueue_now(&signup("hk-d")).await.unwrap();
    let too_big = Sale::new(Decimal::new(10_000_000_000_000, 0)).key("hk-d-big");
    outbox
        .enqueue_now(&Event::sale("hk-d", too_big))
        .await
        .unwrap();
    outbox
        .enqueue_now(&sale("hk-d", "hk-d-after"))
        .await
        .unwrap();
    // Discarded before any dispatcher runs.
    let Enqueued::Queued { id } = outbox.enqueue_now(&signup("hk-x")).await.unwrap() else {
        panic!("a new key is queued");
    };
    outbox.discard(id).await.unwrap();

    let dispatcher = fast(&outbox, env)
        .concurrency(1)
        .settle(Duration::from_secs(600))
        .keep_delivered(keep)
        .purge_interval(purge_every)
        .spawn()
        .unwrap();
    let left = |s: &partnero_outbox::Stats| {
        (
            rows(s),
            s.in_state("unconfirmed"),
            s.dead(),
            s.in_state("pending"),
        )
    };
    let stats = until_stats(&outbox, LONG, |s| left(s) == (3, 1, 1, 1)).await;
    assert_eq!(
        left(&stats),
        (3, 1, 1, 1),
        "six delivered rows and the discarded one purged: {stats:?}"
    );
    assert!(
        started.elapsed() >= keep,
        "no row was purged before keep_delivered ({:?})",
        started.elapsed()
    );
    // They were delivered, not lost.
    for customer in ["hk", "hk-u", "hk-d"] {
        assert_eq!(
            env.customer_partner(customer),
            Some(Some("demo-partner".into())),
            "{customer}"
        );
    }
    assert_eq!((env.transactions("hk-1"), env.live("hk-1")), (1, 0));
    assert_eq!(env.transactions("hk-2"), 1);
    assert_eq!(env.transactions("hk-u-1"), 1);
    assert_eq!(env.customer_partner("hk-x"), None, "discarded, never sent");

    // The dead row is now older than keep_delivered too, and many purges later all three
    // are still there.
    tokio::time::sleep(keep + purge_every * 5).await;
    let stats = outbox.stats().await.unwrap();
    assert_eq!(left(&stats), (3, 1, 1, 1), "{stats:?}");
    assert_eq!(
        outbox.dead_letters(10).await.unwrap()[0].idempotency_key,
        "sale:hk-d-big"
    );
    assert!(
        !outbox.first_delivery(&hook).await.unwrap(),
        "housekeeping leaves the webhook records alone"
    );
    assert_eq!(outbox.forget_webhooks_older_than(keep).await.unwrap(), 1);

    // The purged keys are free again.
    assert!(matches!(
        outbox.enqueue_now(&signup("hk")).await.unwrap(),
        Enqueued::Queued { .. }
    ));
    assert!(matches!(
        outbox.enqueue_now(&sale("hk", "hk-2")).await.unwrap(),
        Enqueued::Queued { .. }
    ));
    dispatcher.nudge();
    // Handled (delivered, and perhaps purged already): looked up again, and only the two
    // rows that were waiting before are waiting still.
    let looked_up = || {
        env.sandbox
            .requests_seen_for("GET", "/v1/transactions/hk-2")
    };
    assert!(
        eventually(LONG, || looked_up() >= 2).await,
        "looked up by its key"
    );
    let stats = until_stats(&outbox, LONG, |s| s.waiting() == 2).await;
    assert_eq!(stats.waiting(), 2, "{stats:?}");
    assert_eq!(
        env.transactions("hk-2"),
        1,
        "found by its key, never posted again: the outbox no longer knew it"
    );
    // The sale waited for the sign-up (same customer): that was sent again and refused as a
    // duplicate.
    assert!(env.sandbox.requests_seen_for("POST", "/v1/customers") >= 4);
    let signed_up = env.customers_with_key("hk");
    assert_eq!(signed_up, 1, "the sign-up's resend is a duplicate");
    dispatcher.shutdown(Duration::from_secs(5)).await;
}
