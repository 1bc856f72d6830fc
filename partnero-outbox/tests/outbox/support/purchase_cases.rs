//! The "no sign-up, only a purchase" flow through the outbox (run on both stores): the
//! customer is created with its first sale, attributed, and its partner paid exactly once,
//! whatever Partnero does meanwhile.

use std::time::{Duration, Instant};

use partnero_client::{NewCustomer, Partnero, Program, Sale};
use partnero_core::{KeySource, ReferralContext, ReferralKey};
use partnero_outbox::{Backend, Confirmation, Enqueued, Event, Outbox, WebhookBackend};
use partnero_sandbox::ProgramKind;
use rust_decimal::Decimal;

use super::{Env, LONG, eventually, fast, referred, until_stats, webhook_cases};

/// A purchase of 50 (the demo partner earns 10 on it) by a customer Partnero does not know.
pub fn purchase(ctx: &ReferralContext, customer: &str, tx: &str) -> Event {
    Event::purchase(
        ctx,
        NewCustomer::new(customer)
            .email(format!("{customer}@example.com"))
            .name("Ada"),
        Sale::new(Decimal::new(50, 0)).key(tx),
    )
}

/// A later sale of 50 by the same customer.
fn sale_of_50(customer: &str, tx: &str) -> Event {
    Event::sale(customer, Sale::new(Decimal::new(50, 0)).key(tx))
}

impl Env {
    /// The demo partner's balance (10 per sale of 50 it is credited with).
    fn partner_paid(&self) -> Decimal {
        self.sandbox
            .state()
            .balance(&self.api_key, "demo-partner")
            .unwrap_or_default()
    }
}

/// Partnero refuses connections while 10 visitors buy without signing up (and buy again):
/// after it returns, every customer exists once, attributed to its partner, each sale is
/// recorded once and the partner is paid once per sale. The second sale would have found no
/// customer had it overtaken the purchase that creates it.
pub async fn outage_then_recovery_pays_each_purchase_once<DB: Backend>(
    env: &Env,
    outbox: Outbox<DB>,
) {
    let paid_before = env.partner_paid();
    env.sandbox.faults().refuse_connections(true);
    let dispatcher = fast(&outbox, env).concurrency(8).spawn().unwrap();
    let customers = 10;
    for c in 0..customers {
        let customer = format!("po-{c}");
        let queued = outbox
            .enqueue_now(&purchase(&referred(), &customer, &format!("{customer}-a")))
            .await
            .unwrap();
        assert!(matches!(queued, Enqueued::Queued { .. }));
        outbox
            .enqueue_now(&sale_of_50(&customer, &format!("{customer}-b")))
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(env.sandbox.state().customers(&env.api_key).len(), 0);
    let waiting = outbox.stats().await.unwrap();
    assert_eq!(waiting.waiting(), customers * 2, "{waiting:?}");
    assert_eq!(
        waiting
            .rows
            .values()
            .filter_map(|kinds| kinds.get("purchase"))
            .sum::<u64>(),
        customers,
        "stats count purchases as their own kind: {waiting:?}"
    );

    env.sandbox.faults().refuse_connections(false);
    let stats = until_stats(&outbox, LONG, |s| s.in_state("delivered") == customers * 2).await;
    assert_eq!(stats.in_state("delivered"), customers * 2, "{stats:?}");
    assert_eq!(stats.dead(), 0);
    for c in 0..customers {
        let customer = format!("po-{c}");
        assert_eq!(
            env.customers_with_key(&customer),
            1,
            "{customer} created once"
        );
        assert_eq!(
            env.customer_partner(&customer),
            Some(Some("demo-partner".into())),
            "{customer} attributed"
        );
        assert_eq!(env.transactions(&format!("{customer}-a")), 1);
        assert_eq!(
            env.transactions(&format!("{customer}-b")),
            1,
            "after the purchase"
        );
    }
    assert_eq!(
        env.partner_paid() - paid_before,
        Decimal::from(20 * customers),
        "paid once per sale"
    );
    dispatcher.shutdown(Duration::from_secs(5)).await;
}

/// The purchase is processed but its answer is lost (a 502, or a dropped connection):
/// unconfirmed, looked up after the settle time, never resent. One customer, one
/// transaction, one commission.
pub async fn processed_then_failed_purchase_is_recorded_once<DB: Backend>(
    env: &Env,
    outbox: Outbox<DB>,
    drop_connection: bool,
) {
    let paid_before = env.partner_paid();
    let scoped = env.sandbox.faults().on("POST", "/v1/transactions");
    if drop_connection {
        scoped.process_then_drop_next(1);
    } else {
        scoped.process_then_fail_next(1, 502);
    }
    let dispatcher = fast(&outbox, env).spawn().unwrap();
    let started = Instant::now();
    outbox
        .enqueue_now(&purchase(&referred(), "pamb", "pamb-1"))
        .await
        .unwrap();
    let stats = until_stats(&outbox, LONG, |s| s.in_state("delivered") == 1).await;
    assert_eq!(stats.in_state("delivered"), 1, "{stats:?}");
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "the unconfirmed purchase waited its settle time"
    );
    assert_eq!(env.transactions("pamb-1"), 1, "never resent");
    assert_eq!(env.customers_with_key("pamb"), 1);
    assert_eq!(
        env.customer_partner("pamb"),
        Some(Some("demo-partner".into()))
    );
    assert_eq!(env.partner_paid() - paid_before, Decimal::new(10, 0));
    assert_eq!(env.sandbox.requests_seen_for("POST", "/v1/transactions"), 1);
    dispatcher.shutdown(Duration::from_secs(5)).await;
}

/// A referral cookie naming a partner Partnero does not know (deleted, another program's):
/// Partnero refuses the purchase, so it is sent again without the key. The sale is recorded
/// once, unattributed, and nobody is paid.
pub async fn a_stale_referral_key_never_loses_the_purchase<DB: Backend>(
    env: &Env,
    outbox: Outbox<DB>,
) {
    let paid_before = env.partner_paid();
    let stale = ReferralContext::new().with_partner(
        ReferralKey::parse("gone-partner").unwrap(),
        KeySource::Cookie,
    );
    let dispatcher = fast(&outbox, env).spawn().unwrap();
    outbox
        .enqueue_now(&purchase(&stale, "pstale", "pstale-1"))
        .await
        .unwrap();
    let stats = until_stats(&outbox, LONG, |s| s.in_state("delivered") == 1).await;
    assert_eq!(stats.in_state("delivered"), 1, "{stats:?}");
    assert_eq!(stats.dead(), 0);
    assert_eq!(env.transactions("pstale-1"), 1);
    assert_eq!(env.customer_partner("pstale"), Some(None), "unattributed");
    assert_eq!(env.partner_paid(), paid_before);
    assert_eq!(
        env.sandbox.requests_seen_for("POST", "/v1/transactions"),
        2,
        "refused with the key, recorded without it"
    );
    dispatcher.shutdown(Duration::from_secs(5)).await;
}

/// A refund enqueued right after its purchase, while the purchase's answer is lost: the
/// refund waits for the purchase to be confirmed, then reverses it (one DELETE: a refund
/// sent first would have found nothing and asked again).
pub async fn a_refund_right_after_the_purchase_waits_and_reverses_it<DB: Backend>(
    env: &Env,
    outbox: Outbox<DB>,
) {
    let paid_before = env.partner_paid();
    env.sandbox
        .faults()
        .on("POST", "/v1/transactions")
        .process_then_fail_next(1, 502);
    let dispatcher = fast(&outbox, env).spawn().unwrap();
    outbox
        .enqueue_now(&purchase(&referred(), "pref", "pref-1"))
        .await
        .unwrap();
    outbox.enqueue_now(&Event::refund("pref-1")).await.unwrap();
    let stats = until_stats(&outbox, LONG, |s| s.in_state("delivered") == 2).await;
    assert_eq!(stats.in_state("delivered"), 2, "{stats:?}");
    assert_eq!(env.transactions("pref-1"), 1, "recorded once");
    assert_eq!(env.live("pref-1"), 0, "and reversed");
    assert_eq!(
        env.sandbox
            .requests_seen_for("DELETE", "/v1/transactions/pref-1"),
        1,
        "the refund waited for its purchase"
    );
    assert_eq!(
        env.partner_paid(),
        paid_before,
        "the commission is reversed"
    );
    dispatcher.shutdown(Duration::from_secs(5)).await;
}

/// The same purchase enqueued twice, or a sale with the purchase's transaction key: queued
/// once, recorded once (before and after delivery).
pub async fn duplicate_purchase_enqueue_is_a_no_op<DB: Backend>(env: &Env, outbox: Outbox<DB>) {
    let first = purchase(&referred(), "pdup", "pdup-1");
    assert!(matches!(
        outbox.enqueue_now(&first).await.unwrap(),
        Enqueued::Queued { .. }
    ));
    assert_eq!(
        outbox.enqueue_now(&first).await.unwrap(),
        Enqueued::AlreadyQueued
    );
    assert_eq!(
        outbox
            .enqueue_now(&sale_of_50("pdup", "pdup-1"))
            .await
            .unwrap(),
        Enqueued::AlreadyQueued,
        "a sale and a purchase of one transaction key are one event"
    );
    // And the other way round: a queued sale turns away a purchase of its key.
    outbox
        .enqueue_now(&sale_of_50("pdup", "pdup-2"))
        .await
        .unwrap();
    assert_eq!(
        outbox
            .enqueue_now(&purchase(&referred(), "pdup", "pdup-2"))
            .await
            .unwrap(),
        Enqueued::AlreadyQueued
    );
    let dispatcher = fast(&outbox, env).spawn().unwrap();
    let stats = until_stats(&outbox, LONG, |s| s.in_state("delivered") == 2).await;
    assert_eq!(stats.in_state("delivered"), 2, "{stats:?}");
    assert_eq!(
        outbox.enqueue_now(&first).await.unwrap(),
        Enqueued::AlreadyQueued
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(env.transactions("pdup-1"), 1);
    assert_eq!(env.transactions("pdup-2"), 1);
    assert_eq!(env.customers_with_key("pdup"), 1);
    dispatcher.shutdown(Duration::from_secs(5)).await;
}

/// The dispatcher stops while the purchase's POST is in flight (Partnero still processing
/// it): the row is handed back as unconfirmed, not as unsent, so the next dispatcher looks it
/// up after the settle time and finds it. One transaction.
pub async fn a_purchase_cut_off_mid_request_is_looked_up_not_resent<DB: Backend>(
    env: &Env,
    outbox: Outbox<DB>,
) {
    env.sandbox
        .faults()
        .on("POST", "/v1/transactions")
        .process_slowly_next(1, Duration::from_millis(2000));
    // Timeout 1 s, so the settle time is 4 s: the lookup comes after Partnero finished.
    let dispatcher = fast(&outbox, env)
        .timeout(Duration::from_secs(1))
        .spawn()
        .unwrap();
    outbox
        .enqueue_now(&purchase(&referred(), "pcut", "pcut-1"))
        .await
        .unwrap();
    assert!(
        eventually(LONG, || env
            .sandbox
            .requests_seen_for("POST", "/v1/transactions")
            == 1)
        .await
    );
    let report = dispatcher.shutdown(Duration::ZERO).await;
    assert_eq!(report.released, 1, "{report:?}");
    let again = fast(&outbox, env)
        .timeout(Duration::from_secs(1))
        .spawn()
        .unwrap();
    let stats = until_stats(&outbox, LONG, |s| s.in_state("delivered") == 1).await;
    assert_eq!(stats.in_state("delivered"), 1, "{stats:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(env.transactions("pcut-1"), 1, "recorded once");
    assert_eq!(
        env.sandbox.requests_seen_for("POST", "/v1/transactions"),
        1,
        "never resent blindly"
    );
    assert!(
        env.sandbox
            .requests_seen_for("GET", "/v1/transactions/pcut-1")
            >= 2,
        "looked up by key before the post, and again after the settle time"
    );
    assert_eq!(env.customers_with_key("pcut"), 1);
    again.shutdown(Duration::from_secs(5)).await;
}

/// A purchase whose answer was lost is confirmed by its `transaction.created` webhook long
/// before its settle time: no lookup, no resend.
pub async fn a_lost_purchase_answer_is_confirmed_by_its_webhook<DB: Backend + WebhookBackend>(
    env: &Env,
    outbox: Outbox<DB>,
) {
    let log = webhook_cases::listen(env, &outbox).await;
    env.sandbox
        .faults()
        .on("POST", "/v1/transactions")
        .process_then_fail_next(1, 502);
    let dispatcher = fast(&outbox, env)
        .settle(Duration::from_secs(600))
        .spawn()
        .unwrap();
    outbox
        .enqueue_now(&purchase(&referred(), "phook", "phook-1"))
        .await
        .unwrap();
    let stats = until_stats(&outbox, LONG, |s| s.in_state("delivered") == 1).await;
    assert_eq!(
        stats.in_state("delivered"),
        1,
        "confirmed long before its 600 s settle time: {stats:?}"
    );
    env.sandbox.webhooks_settled(LONG).await;
    assert_eq!(env.transactions("phook-1"), 1, "never resent");
    assert_eq!(
        env.sandbox
            .requests_seen_for("GET", "/v1/transactions/phook-1"),
        1,
        "only the look-up before the post found nothing: none after it"
    );
    let log = log.lock().unwrap().clone();
    assert!(
        log.iter()
            .any(|(_, _, c)| matches!(c, Confirmation::SaleConfirmed { .. })),
        "{log:?}"
    );
    dispatcher.shutdown(Duration::from_secs(5)).await;
}

/// The same sandbox, with a dispatcher client on its refer-a-friend program.
pub async fn refer_a_friend_env() -> Env {
    let affiliate = super::env().await;
    let api_key = affiliate
        .sandbox
        .key_for(ProgramKind::ReferAFriend)
        .expect("refer-a-friend key");
    let client = Partnero::builder(api_key.as_str())
        .base_url(affiliate.sandbox.base_url())
        .program(Program::ReferAFriend)
        .build()
        .expect("client");
    Env {
        sandbox: affiliate.sandbox,
        api_key,
        client,
    }
}

/// On a refer-a-friend program (`env` from [`refer_a_friend_env`]) the dispatcher's client
/// attributes the purchase to the referring customer the context names: the friend is
/// created referred by them, and they earn their reward once.
pub async fn a_refer_a_friend_purchase_credits_the_referrer<DB: Backend>(
    env: &Env,
    outbox: Outbox<DB>,
) {
    let ctx = ReferralContext::new().with_referrer(
        ReferralKey::parse("demo-referrer").unwrap(),
        KeySource::Cookie,
    );
    let before = env
        .sandbox
        .state()
        .balance(&env.api_key, "demo-referrer")
        .unwrap_or_default();
    let dispatcher = fast(&outbox, env).spawn().unwrap();
    outbox
        .enqueue_now(&purchase(&ctx, "friend", "friend-1"))
        .await
        .unwrap();
    let stats = until_stats(&outbox, LONG, |s| s.in_state("delivered") == 1).await;
    assert_eq!(stats.in_state("delivered"), 1, "{stats:?}");
    let state = env.sandbox.state();
    assert_eq!(
        state.referrer_of(&env.api_key, "friend"),
        Some("demo-referrer")
    );
    assert_eq!(
        state
            .balance(&env.api_key, "demo-referrer")
            .unwrap_or_default()
            - before,
        Decimal::new(10, 0),
        "20 % of 50, once"
    );
    assert_eq!(
        state.transactions_with_key(&env.api_key, "friend-1").len(),
        1
    );
    drop(state);
    dispatcher.shutdown(Duration::from_secs(5)).await;
}
