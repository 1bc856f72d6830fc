//! The outbox on PostgreSQL, where several dispatchers share it.

use std::time::Duration;

use partnero_outbox::Outbox;
use sqlx::postgres::PgPoolOptions;

use crate::scratch_schema::ScratchSchema;

use crate::support::{cases, env, fast, purchase_cases, sale, signup, until_stats, webhook_cases};

/// A pool on a fresh schema of the test server, and the schema (its URL for a child process;
/// dropped at the end of the test), or `None` (with a loud line) when no server answers and
/// PostgreSQL is not required.
async fn pg_pool() -> Option<(sqlx::PgPool, ScratchSchema)> {
    let scratch = ScratchSchema::create("outbox_test", "PostgreSQL outbox tests")
        .await
        .expect("a scratch schema")?;
    let pool = PgPoolOptions::new()
        .max_connections(10)
        .connect(&scratch.url)
        .await
        .unwrap();
    Some((pool, scratch))
}

macro_rules! on_postgres {
    ($($name:ident => |$env:ident, $outbox:ident| $body:expr;)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let Some((pool, scratch)) = pg_pool().await else { return };
            let $env = env().await;
            let $outbox = Outbox::postgres(pool).await.unwrap();
            $body.await;
            scratch.drop().await;
        }
    )*};
}

on_postgres! {
    a_sale_finished_after_a_short_settle_is_paid_once => |env, outbox| webhook_cases::a_sale_finished_after_a_short_settle_is_paid_once(&env, outbox);
    a_lost_sale_answer_is_confirmed_by_its_webhook => |env, outbox| webhook_cases::a_lost_sale_answer_is_confirmed_by_its_webhook(&env, outbox);
    a_waiting_refund_is_confirmed_by_its_webhook => |env, outbox| webhook_cases::a_waiting_refund_is_confirmed_by_its_webhook(&env, outbox);
    a_deleted_transaction_confirms_its_waiting_sale_and_refund => |env, outbox| webhook_cases::a_deleted_transaction_confirms_its_waiting_sale_and_refund(&env, outbox);
    outage_loses_nothing_and_pays_nothing_twice => |env, outbox| cases::outage_loses_nothing_and_pays_nothing_twice(&env, outbox);
    duplicate_enqueue_is_a_no_op => |env, outbox| cases::duplicate_enqueue_is_a_no_op(&env, outbox);
    a_long_outage_makes_no_dead_letters => |env, outbox| cases::a_long_outage_makes_no_dead_letters(&env, outbox);
    an_outage_spends_no_attempts => |env, outbox| cases::an_outage_spends_no_attempts(&env, outbox);
    processed_then_502_is_delivered_once => |env, outbox| cases::processed_then_failed_is_delivered_once(&env, outbox, false);
    slow_sale_is_found_not_resent => |env, outbox| cases::slow_sale_is_found_not_resent(&env, outbox);
    slow_signup_is_delivered_once => |env, outbox| cases::slow_signup_is_delivered_once(&env, outbox);
    slow_refund_is_delivered_once => |env, outbox| cases::slow_refund_is_delivered_once(&env, outbox);
    purchase_outage_then_recovery_pays_each_purchase_once => |env, outbox| purchase_cases::outage_then_recovery_pays_each_purchase_once(&env, outbox);
    purchase_processed_then_502_is_recorded_once => |env, outbox| purchase_cases::processed_then_failed_purchase_is_recorded_once(&env, outbox, false);
    purchase_processed_then_dropped_is_recorded_once => |env, outbox| purchase_cases::processed_then_failed_purchase_is_recorded_once(&env, outbox, true);
    purchase_with_a_stale_referral_key_is_recorded_unattributed => |env, outbox| purchase_cases::a_stale_referral_key_never_loses_the_purchase(&env, outbox);
    purchase_refund_right_after_waits_and_reverses_it => |env, outbox| purchase_cases::a_refund_right_after_the_purchase_waits_and_reverses_it(&env, outbox);
    purchase_duplicate_enqueue_is_a_no_op => |env, outbox| purchase_cases::duplicate_purchase_enqueue_is_a_no_op(&env, outbox);
    purchase_cut_off_mid_request_is_looked_up_not_resent => |env, outbox| purchase_cases::a_purchase_cut_off_mid_request_is_looked_up_not_resent(&env, outbox);
    purchase_lost_answer_is_confirmed_by_its_webhook => |env, outbox| purchase_cases::a_lost_purchase_answer_is_confirmed_by_its_webhook(&env, outbox);
    dead_letters_block_their_customer_until_retried => |env, outbox| cases::dead_letters_block_their_customer_until_retried(&env, outbox);
    housekeeping_purges_only_old_delivered_rows => |env, outbox| cases::housekeeping_purges_only_old_delivered_rows(&env, outbox);
    poison_rows_go_dead_without_a_crash_loop => |env, outbox| cases::poison_rows_go_dead_without_a_crash_loop(
        &env,
        outbox,
        "INSERT INTO partnero_outbox (kind, order_key, idem_key, payload) VALUES \
         ('sale', 'p1', 'x1', '{\"kind\": \"sale\"}'), ('teleport', 'p2', 'x2', '{}')",
    );
}

/// Schema creation is idempotent and safe when several machines start at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_creation_is_idempotent_and_concurrent() {
    let Some((pool, scratch)) = pg_pool().await else {
        return;
    };
    let (a, b) = tokio::join!(
        Outbox::postgres(pool.clone()),
        Outbox::postgres(pool.clone())
    );
    a.unwrap();
    b.unwrap();
    Outbox::postgres(pool.clone()).await.unwrap();
    let migrations: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = '_sqlx_migrations' AND table_schema = current_schema()",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(migrations, 0);
    scratch.drop().await;
}

/// `postgres_polling`: the notify trigger an earlier start created is dropped, dispatchers
/// still deliver everything once by polling, and `postgres` puts the trigger back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_polling_outbox_drops_the_trigger_and_still_delivers() {
    let Some((pool, scratch)) = pg_pool().await else {
        return;
    };
    Outbox::postgres(pool.clone()).await.unwrap();
    assert_eq!(notify_triggers(&pool).await, 1);
    let env = env().await;
    let polling = Outbox::postgres_polling(pool.clone()).await.unwrap();
    assert_eq!(notify_triggers(&pool).await, 0);
    cases::outage_loses_nothing_and_pays_nothing_twice(&env, polling).await;
    Outbox::postgres(pool.clone()).await.unwrap();
    assert_eq!(notify_triggers(&pool).await, 1);
    scratch.drop().await;
}

/// The command-line tool leaves the deployment's wake-up as it found it: it neither puts back
/// the trigger a `postgres_polling` deployment dropped, nor drops a `postgres` one's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_tool_keeps_the_trigger_as_it_is() {
    let Some((pool, scratch)) = pg_pool().await else {
        return;
    };
    for (polling, triggers) in [(true, 0), (false, 1)] {
        if polling {
            Outbox::postgres_polling(pool.clone()).await.unwrap();
        } else {
            Outbox::postgres(pool.clone()).await.unwrap();
        }
        let (ok, out) = crate::cli::cli(&scratch.url, &["status"]).await;
        assert!(ok, "{out}");
        assert_eq!(notify_triggers(&pool).await, triggers, "polling: {polling}");
    }
    scratch.drop().await;
}

/// How many notify triggers the test schema's outbox table has.
async fn notify_triggers(pool: &sqlx::PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE t.tgname = 'partnero_outbox_notify' AND n.nspname = current_schema()",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Two dispatchers share one database with faults on: every key is delivered exactly once
/// and each customer's events reach Partnero in order (sign-up, then sales in enqueue order,
/// as the sandbox's creation order shows).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_dispatchers_share_the_work_without_doubling() {
    let Some((pool, scratch)) = pg_pool().await else {
        return;
    };
    let env = env().await;
    let outbox = Outbox::postgres(pool).await.unwrap();
    let customers = 200;
    let sales_each = 4;
    for c in 0..customers {
        let customer = format!("two-{c}");
        outbox.enqueue_now(&signup(&customer)).await.unwrap();
        for s in 0..sales_each {
            outbox
                .enqueue_now(&sale(&customer, &format!("{customer}-{s}")))
                .await
                .unwrap();
        }
    }
    let faults = env.sandbox.faults();
    faults
        .on("POST", "/v1/transactions")
        .process_then_fail_next(20, 502);
    faults.on("POST", "/v1/transactions").drop_next(20);
    faults.on("POST", "/v1/customers").fail_next(20, 503);
    let one = fast(&outbox, &env).concurrency(8).spawn().unwrap();
    let two = fast(&outbox, &env).concurrency(8).spawn().unwrap();
    let total = (customers * (1 + sales_each)) as u64;
    let stats = until_stats(&outbox, Duration::from_secs(120), |s| {
        s.in_state("delivered") == total
    })
    .await;
    assert_eq!(stats.in_state("delivered"), total, "{stats:?}");
    let mut seen = env.sales_by_customer();
    for c in 0..customers {
        let customer = format!("two-{c}");
        let recorded = seen.remove(&customer).unwrap_or_default();
        let keys: Vec<String> = recorded.into_iter().map(|(k, _)| k).collect();
        let expected: Vec<String> = (0..sales_each).map(|s| format!("{customer}-{s}")).collect();
        assert_eq!(keys, expected, "{customer}: each sale once, in order");
    }
    one.shutdown(Duration::from_secs(5)).await;
    two.shutdown(Duration::from_secs(5)).await;
    let everything: String =
        sqlx::query_scalar("SELECT string_agg(t::text, ' ') FROM partnero_outbox t")
            .fetch_one(outbox.pool())
            .await
            .unwrap();
    assert!(everything.contains("two-0"), "the scan reads the rows");
    assert!(
        !everything.contains(&env.api_key),
        "the API key is never stored"
    );
    scratch.drop().await;
}

/// Two dispatcher *processes* on one PostgreSQL, 10,000 events over 1,000 customers (a
/// sign-up, eight sales, a refund of the first sale each), faults on (processed-then-502,
/// dropped connections, 503s, a processed-then-dropped refund): every sale recorded exactly
/// once, each customer's sales in enqueue order, every first sale refunded, both processes
/// still running at the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_dispatcher_processes_deliver_ten_thousand_events_once_in_order() {
    let Some((pool, scratch)) = pg_pool().await else {
        return;
    };
    let env = env().await;
    let outbox = Outbox::postgres(pool.clone()).await.unwrap();
    let (customers, sales_each) = (1000, 8);
    let mut tx = pool.begin().await.unwrap();
    for c in 0..customers {
        let customer = format!("proc-{c}");
        outbox.enqueue(&mut tx, &signup(&customer)).await.unwrap();
        for s in 0..sales_each {
            outbox
                .enqueue(&mut tx, &sale(&customer, &format!("{customer}-{s}")))
                .await
                .unwrap();
        }
        let refund = partnero_outbox::Event::refund(format!("{customer}-0"));
        outbox.enqueue(&mut tx, &refund).await.unwrap();
    }
    tx.commit().await.unwrap();
    let total = (customers * (sales_each + 2)) as u64;
    let faults = env.sandbox.faults();
    faults
        .on("POST", "/v1/transactions")
        .process_then_fail_next(30, 502);
    faults.on("POST", "/v1/transactions").drop_next(30);
    faults.on("POST", "/v1/customers").fail_next(30, 503);
    faults
        .on("DELETE", "/v1/transactions")
        .process_then_drop_next(10);
    let mut one = crate::cli::run_child(&env, &scratch.url);
    let mut two = crate::cli::run_child(&env, &scratch.url);
    let stats = until_stats(&outbox, Duration::from_secs(300), |s| {
        s.in_state("delivered") == total
    })
    .await;
    assert_eq!(stats.in_state("delivered"), total, "{stats:?}");
    assert!(
        one.try_wait().unwrap().is_none() && two.try_wait().unwrap().is_none(),
        "both ran to the end"
    );
    let mut seen = env.sales_by_customer();
    for c in 0..customers {
        let customer = format!("proc-{c}");
        let recorded = seen.remove(&customer).unwrap_or_default();
        let keys: Vec<&str> = recorded.iter().map(|(k, _)| k.as_str()).collect();
        let expected: Vec<String> = (0..sales_each).map(|s| format!("{customer}-{s}")).collect();
        assert_eq!(keys, expected, "{customer}: each sale once, in order");
        assert!(
            recorded[0].1 && recorded[1..].iter().all(|t| !t.1),
            "{customer}: only the first refunded"
        );
        assert_eq!(
            env.customer_partner(&customer),
            Some(Some("demo-partner".into()))
        );
    }
    scratch.drop().await;
}

/// The table vanishes under a running dispatcher (a database restored from an old backup, a
/// schema dropped by mistake): enqueue fails with a typed error, the dispatcher keeps backing
/// off instead of crashing, and once the table is back it delivers again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vanished_table_is_an_error_not_a_crash() {
    let Some((pool, scratch)) = pg_pool().await else {
        return;
    };
    let env = env().await;
    let outbox = Outbox::postgres(pool.clone()).await.unwrap();
    let dispatcher = fast(&outbox, &env).spawn().unwrap();
    sqlx::query("DROP TABLE partnero_outbox")
        .execute(&pool)
        .await
        .unwrap();
    let failed = outbox.enqueue_now(&signup("gone")).await.unwrap_err();
    assert!(
        matches!(failed, partnero_outbox::Error::Database(_)),
        "{failed:?}"
    );
    assert!(outbox.stats().await.is_err());
    tokio::time::sleep(Duration::from_millis(500)).await; // the dispatcher hits the missing table

    Outbox::postgres(pool.clone()).await.unwrap();
    outbox.enqueue_now(&signup("back")).await.unwrap();
    dispatcher.nudge();
    let stats = until_stats(&outbox, Duration::from_secs(60), |s| {
        s.in_state("delivered") == 1
    })
    .await;
    assert_eq!(stats.in_state("delivered"), 1, "{stats:?}");
    assert!(env.customer_partner("back").is_some());
    assert!(env.customer_partner("gone").is_none());
    dispatcher.shutdown(Duration::from_secs(5)).await;
    scratch.drop().await;
}
