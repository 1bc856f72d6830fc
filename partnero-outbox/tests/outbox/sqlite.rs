//! The outbox on an SQLite file.

use std::time::Duration;

use partnero_outbox::{Enqueued, Error, Outbox};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, Executor};

use crate::support::{
    LONG, cases, env, fast, purchase_cases, signup, sqlite_outbox, until_stats, webhook_cases,
};

macro_rules! on_sqlite {
    ($($name:ident => |$env:ident, $outbox:ident| $body:expr;)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let dir = tempfile::tempdir().unwrap();
            let $env = env().await;
            let $outbox = sqlite_outbox(&dir).await;
            $body.await;
        }
    )*};
}

on_sqlite! {
    a_sale_finished_after_a_short_settle_is_paid_once => |env, outbox| webhook_cases::a_sale_finished_after_a_short_settle_is_paid_once(&env, outbox);
    a_lost_sale_answer_is_confirmed_by_its_webhook => |env, outbox| webhook_cases::a_lost_sale_answer_is_confirmed_by_its_webhook(&env, outbox);
    a_waiting_refund_is_confirmed_by_its_webhook => |env, outbox| webhook_cases::a_waiting_refund_is_confirmed_by_its_webhook(&env, outbox);
    a_deleted_transaction_confirms_its_waiting_sale_and_refund => |env, outbox| webhook_cases::a_deleted_transaction_confirms_its_waiting_sale_and_refund(&env, outbox);
    outage_loses_nothing_and_pays_nothing_twice => |env, outbox| cases::outage_loses_nothing_and_pays_nothing_twice(&env, outbox);
    duplicate_enqueue_is_a_no_op => |env, outbox| cases::duplicate_enqueue_is_a_no_op(&env, outbox);
    processed_then_502_is_delivered_once => |env, outbox| cases::processed_then_failed_is_delivered_once(&env, outbox, false);
    processed_then_dropped_is_delivered_once => |env, outbox| cases::processed_then_failed_is_delivered_once(&env, outbox, true);
    slow_sale_is_found_not_resent => |env, outbox| cases::slow_sale_is_found_not_resent(&env, outbox);
    slow_signup_is_delivered_once => |env, outbox| cases::slow_signup_is_delivered_once(&env, outbox);
    slow_refund_is_delivered_once => |env, outbox| cases::slow_refund_is_delivered_once(&env, outbox);
    housekeeping_purges_only_old_delivered_rows => |env, outbox| cases::housekeeping_purges_only_old_delivered_rows(&env, outbox);
    rate_limit_in_seconds_pauses_everything => |env, outbox| cases::rate_limit_pauses_everything(&env, outbox, false);
    rate_limit_as_an_http_date_pauses_everything => |env, outbox| cases::rate_limit_pauses_everything(&env, outbox, true);
    unauthorized_pauses_without_burning_attempts => |env, outbox| cases::unauthorized_pauses_without_burning_attempts(&env, outbox);
    dead_letters_block_their_customer_until_retried => |env, outbox| cases::dead_letters_block_their_customer_until_retried(&env, outbox);
    shutdown_in_an_outage_resumes_later => |env, outbox| cases::shutdown_in_an_outage_resumes_later(&env, outbox);
    a_long_outage_makes_no_dead_letters => |env, outbox| cases::a_long_outage_makes_no_dead_letters(&env, outbox);
    an_outage_spends_no_attempts => |env, outbox| cases::an_outage_spends_no_attempts(&env, outbox);
    purchase_outage_then_recovery_pays_each_purchase_once => |env, outbox| purchase_cases::outage_then_recovery_pays_each_purchase_once(&env, outbox);
    purchase_processed_then_502_is_recorded_once => |env, outbox| purchase_cases::processed_then_failed_purchase_is_recorded_once(&env, outbox, false);
    purchase_processed_then_dropped_is_recorded_once => |env, outbox| purchase_cases::processed_then_failed_purchase_is_recorded_once(&env, outbox, true);
    purchase_with_a_stale_referral_key_is_recorded_unattributed => |env, outbox| purchase_cases::a_stale_referral_key_never_loses_the_purchase(&env, outbox);
    purchase_refund_right_after_waits_and_reverses_it => |env, outbox| purchase_cases::a_refund_right_after_the_purchase_waits_and_reverses_it(&env, outbox);
    purchase_duplicate_enqueue_is_a_no_op => |env, outbox| purchase_cases::duplicate_purchase_enqueue_is_a_no_op(&env, outbox);
    purchase_cut_off_mid_request_is_looked_up_not_resent => |env, outbox| purchase_cases::a_purchase_cut_off_mid_request_is_looked_up_not_resent(&env, outbox);
    purchase_lost_answer_is_confirmed_by_its_webhook => |env, outbox| purchase_cases::a_lost_purchase_answer_is_confirmed_by_its_webhook(&env, outbox);
    poison_rows_go_dead_without_a_crash_loop => |env, outbox| cases::poison_rows_go_dead_without_a_crash_loop(
        &env,
        outbox,
        "INSERT INTO partnero_outbox (kind, order_key, idem_key, payload, run_at, created_at) VALUES \
         ('sale', 'p1', 'x1', 'not json', 0, 0), ('teleport', 'p2', 'x2', '{}', 0, 0)",
    );
}

/// The program kind decides the purchase's attribution (a store-independent case: SQLite only).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purchase_on_a_refer_a_friend_program_credits_the_referrer() {
    let dir = tempfile::tempdir().unwrap();
    let env = purchase_cases::refer_a_friend_env().await;
    let outbox = sqlite_outbox(&dir).await;
    purchase_cases::a_refer_a_friend_purchase_credits_the_referrer(&env, outbox).await;
}

/// In the app's own pool and transaction: a rollback leaves no event; a commit delivers it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_lives_and_dies_with_the_apps_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let env = env().await;
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("app.db").display());
    let app = sqlx::SqlitePool::connect(&url).await.unwrap();
    app.execute("CREATE TABLE users (id TEXT PRIMARY KEY)")
        .await
        .unwrap();
    let outbox = Outbox::sqlite_pool(app.clone()).await.unwrap();

    let mut tx = app.begin_with("BEGIN IMMEDIATE").await.unwrap();
    sqlx::query("INSERT INTO users (id) VALUES ('rolled-back')")
        .execute(&mut *tx)
        .await
        .unwrap();
    outbox
        .enqueue(&mut *tx, &signup("rolled-back"))
        .await
        .unwrap();
    tx.rollback().await.unwrap();

    let mut tx = app.begin_with("BEGIN IMMEDIATE").await.unwrap();
    sqlx::query("INSERT INTO users (id) VALUES ('committed')")
        .execute(&mut *tx)
        .await
        .unwrap();
    let queued = outbox
        .enqueue(&mut *tx, &signup("committed"))
        .await
        .unwrap();
    assert!(matches!(queued, Enqueued::Queued { .. }));
    tx.commit().await.unwrap();

    let dispatcher = fast(&outbox, &env).spawn().unwrap();
    let stats = until_stats(&outbox, LONG, |s| s.in_state("delivered") == 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stats_after = outbox.stats().await.unwrap();
    assert_eq!(
        (stats.in_state("delivered"), stats_after.waiting()),
        (1, 0),
        "{stats_after:?}"
    );
    assert!(env.customer_partner("committed").is_some());
    assert!(env.customer_partner("rolled-back").is_none());
    let migrations: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = '_sqlx_migrations'")
            .fetch_one(&app)
            .await
            .unwrap();
    assert_eq!(migrations, 0, "the app's migration table is never touched");
    dispatcher.shutdown(Duration::from_secs(5)).await;
}

/// One dispatcher per file: a second is refused while the first lives, allowed after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_dispatcher_on_the_same_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let env = env().await;
    let outbox = sqlite_outbox(&dir).await;
    let other_handle = sqlite_outbox(&dir).await;
    let first = fast(&outbox, &env).spawn().unwrap();
    let refused = fast(&other_handle, &env).spawn().unwrap_err();
    assert!(
        matches!(refused, Error::DispatcherRunning { .. }),
        "{refused}"
    );
    assert!(refused.to_string().contains("one dispatcher per file"));
    first.shutdown(Duration::from_secs(5)).await;
    let second = fast(&other_handle, &env).spawn().unwrap();
    second.shutdown(Duration::from_secs(5)).await;
}

/// A file locked by another writer: enqueue waits through a short lock, and past the busy
/// timeout returns a typed error, leaving no row behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_file_waits_then_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = sqlite_outbox(&dir).await;
    let path = dir.path().join("outbox.db");
    let mut locker =
        sqlx::SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(&path))
            .await
            .unwrap();

    locker.execute("BEGIN EXCLUSIVE").await.unwrap();
    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        locker.execute("COMMIT").await.unwrap();
        locker
    });
    outbox
        .enqueue_now(&signup("waited"))
        .await
        .expect("waits out a short lock");
    let mut locker = release.await.unwrap();

    locker.execute("BEGIN EXCLUSIVE").await.unwrap();
    let failed = outbox.enqueue_now(&signup("locked-out")).await.unwrap_err();
    assert!(matches!(failed, Error::Database(_)), "{failed:?}");
    locker.execute("COMMIT").await.unwrap();
    let stats = outbox.stats().await.unwrap();
    assert_eq!(stats.waiting(), 1, "only the first row: {stats:?}");
}

/// A handler's future must be `Send` (axum, `tokio::spawn`): enqueue in a transaction held
/// across awaits, inside a spawned task.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enqueue_in_a_transaction_is_send() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = sqlite_outbox(&dir).await;
    let spawned = tokio::spawn({
        let outbox = outbox.clone();
        async move {
            let mut tx = outbox.pool().begin_with("BEGIN IMMEDIATE").await.unwrap();
            let queued = outbox.enqueue(&mut tx, &signup("send")).await.unwrap();
            tx.commit().await.unwrap();
            queued
        }
    });
    assert!(matches!(spawned.await.unwrap(), Enqueued::Queued { .. }));
    assert_eq!(outbox.stats().await.unwrap().waiting(), 1);
}

/// The API key is never written to the database: not in payloads, errors (a 401 is stored as
/// the last error) or outcomes. Checked on the file's bytes, WAL included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_key_is_never_stored() {
    let dir = tempfile::tempdir().unwrap();
    let env = env().await;
    let outbox = sqlite_outbox(&dir).await;
    env.sandbox.faults().fail_next(1, 401);
    env.sandbox
        .faults()
        .on("POST", "/v1/transactions")
        .fail_next(1, 422);
    outbox.enqueue_now(&signup("secret")).await.unwrap();
    outbox
        .enqueue_now(&crate::support::sale("secret", "secret-1"))
        .await
        .unwrap();
    let dispatcher = fast(&outbox, &env).spawn().unwrap();
    let stats = until_stats(&outbox, LONG, |s| {
        s.in_state("delivered") == 1 && s.dead() == 1
    })
    .await;
    assert_eq!(
        (stats.in_state("delivered"), stats.dead()),
        (1, 1),
        "{stats:?}"
    );
    dispatcher.shutdown(Duration::from_secs(5)).await;
    let mut bytes = Vec::new();
    for file in ["outbox.db", "outbox.db-wal"] {
        if let Ok(content) = std::fs::read(dir.path().join(file)) {
            bytes.extend(content);
        }
    }
    assert!(
        bytes.windows(7).any(|w| w == b"pending" || w == b"secret-"),
        "the scan reads the rows"
    );
    let key = env.api_key.as_bytes();
    assert!(
        !bytes.windows(key.len()).any(|w| w == key),
        "the API key is stored"
    );
}

/// A refund of a sale sent outside the outbox (inline, still being processed by Partnero)
/// keeps asking until the settle time, so the sale's commission is reversed; a refund of a
/// key nobody sold ends as not found after that time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_waits_for_a_sale_sent_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let env = env().await;
    let outbox = sqlite_outbox(&dir).await;
    outbox.enqueue_now(&signup("inline")).await.unwrap();
    let dispatcher = fast(&outbox, &env).spawn().unwrap();
    until_stats(&outbox, LONG, |s| s.in_state("delivered") == 1).await;

    env.sandbox
        .faults()
        .on("POST", "/v1/transactions")
        .process_slowly_next(1, Duration::from_millis(1500));
    let inline = tokio::spawn({
        let client = env.client.clone();
        async move {
            let sale = partnero_client::Sale::new(rust_decimal::Decimal::ONE).key("inline-1");
            client.transactions().create_once("inline", &sale).await
        }
    });
    assert!(
        crate::support::eventually(LONG, || env
            .sandbox
            .requests_seen_for("POST", "/v1/transactions")
            >= 1)
        .await
    );
    let started = std::time::Instant::now();
    outbox
        .enqueue_now(&partnero_outbox::Event::refund("inline-1"))
        .await
        .unwrap();
    outbox
        .enqueue_now(&partnero_outbox::Event::refund("never-sold"))
        .await
        .unwrap();
    dispatcher.nudge();
    let stats = until_stats(&outbox, LONG, |s| s.in_state("delivered") == 3).await;
    assert_eq!(stats.in_state("delivered"), 3, "{stats:?}");
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "not found only after the settle time"
    );
    inline.await.unwrap().expect("the inline sale was recorded");
    assert_eq!(env.transactions("inline-1"), 1);
    assert_eq!(env.live("inline-1"), 0, "the refund reversed it");
    dispatcher.shutdown(Duration::from_secs(5)).await;
}

/// A full database (here: SQLite's page limit reached): enqueue fails with a typed error and
/// writes nothing; every event queued before it is still delivered, once, by a dispatcher on
/// the full file, which neither crashes nor loops.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_database_refuses_new_events_and_still_delivers_the_queued_ones() {
    let dir = tempfile::tempdir().unwrap();
    let env = env().await;
    let path = dir.path().join("outbox.db");
    // Create the table, then reopen with every connection capped near the file's size.
    let pages: i64 = {
        let outbox = sqlite_outbox(&dir).await;
        sqlx::query_scalar("PRAGMA page_count")
            .fetch_one(outbox.pool())
            .await
            .unwrap()
    };
    let capped = partnero_outbox::sqlite_options(path.to_str().unwrap())
        .unwrap()
        .pragma("max_page_count", (pages + 4).to_string());
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(capped)
        .await
        .unwrap();
    let outbox = Outbox::sqlite_pool(pool).await.unwrap();
    let mut queued = Vec::new();
    let refused = loop {
        let customer = format!("full-{}-{}", queued.len(), "x".repeat(200));
        match outbox.enqueue_now(&signup(&customer)).await {
            Ok(_) => queued.push(customer),
            Err(err) => break err,
        }
        assert!(queued.len() < 10_000, "the page limit never bit");
    };
    assert!(matches!(refused, Error::Database(_)), "{refused:?}");
    assert!(!queued.is_empty());
    let stats = outbox.stats().await.unwrap();
    assert_eq!(
        stats.waiting(),
        queued.len() as u64,
        "the refused event left no row"
    );

    let dispatcher = fast(&outbox, &env).spawn().unwrap();
    let stats = until_stats(&outbox, LONG, |s| s.waiting() == 0).await;
    assert_eq!(
        stats.in_state("delivered"),
        queued.len() as u64,
        "{stats:?}"
    );
    assert_eq!(stats.in_state("dead"), 0, "{stats:?}");
    for customer in &queued {
        assert!(
            env.customer_partner(customer).is_some(),
            "{customer} delivered"
        );
    }
    dispatcher.shutdown(Duration::from_secs(5)).await;
}

/// A read-only database: opening the outbox on it is a typed error, not a panic, and the
/// file is left as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_database_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    {
        let mut app = sqlx::SqliteConnection::connect_with(
            &SqliteConnectOptions::new()
                .filename(&path)
                .create_if_missing(true),
        )
        .await
        .unwrap();
        app.execute("CREATE TABLE users (id INTEGER PRIMARY KEY)")
            .await
            .unwrap();
    }
    let url = format!("sqlite://{}?mode=ro", path.display());
    let failed = Outbox::sqlite(&url).await.unwrap_err();
    assert!(matches!(failed, Error::Database(_)), "{failed:?}");
    let mut app =
        sqlx::SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(&path))
            .await
            .unwrap();
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(&mut app)
            .await
            .unwrap();
    assert_eq!(tables, ["users"]);
}
