//! The example shops on PostgreSQL (`--database postgres://...`), end to end against the
//! sandbox: the shop's tables and its outbox in one PostgreSQL schema, each event enqueued with
//! the shop's rows and delivered exactly once, and a restarted shop on the same database that
//! still knows its visitors, their sessions and their orders.
//!
//! Each framework runs in a fresh schema of `PARTNERO_TEST_DATABASE_URL`, dropped after. Without
//! a server the test prints `SKIPPED` and passes, unless `PARTNERO_REQUIRE_POSTGRES=1`.

use std::time::{Duration, Instant};

use partnero_examples::journey;
use partnero_examples::scratch_db::ScratchSchema;
use partnero_examples::setup::{ProgramChoice, client_for_sandbox};
use partnero_examples::shop::{DeliverySettings, ShopOptions};
use partnero_examples::store::ShopOutbox;
use rust_decimal::Decimal;

use crate::journeys::{
    FRAMEWORKS, Running, browser, buy, land_and_sign_up, quick_client, recorded, refund, sandbox,
};

/// A fresh schema for `framework`, or `None` when the test is skipped.
async fn schema(framework: &str) -> Option<ScratchSchema> {
    ScratchSchema::create(
        &format!("shop_e2e_{framework}"),
        "the example shops on PostgreSQL",
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Waits (up to the journeys' deadline) until the shop's outbox has nothing left to deliver,
/// with no dead letter; returns how many events it delivered.
async fn delivered(shop: &Running) -> u64 {
    let deadline = Instant::now() + journey::DELIVERY_DEADLINE;
    loop {
        let stats = shop.shop.shop().outbox.stats().await.expect("outbox stats");
        if stats.waiting() == 0 {
            assert_eq!(stats.dead(), 0, "dead letters: {stats:?}");
            return stats.in_state("delivered");
        }
        assert!(Instant::now() < deadline, "still waiting: {stats:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_shops_on_postgres_deliver_each_event_once_and_know_their_visitors_after_a_restart() {
    let program = ProgramChoice::Affiliate;
    let mut started = None;
    for framework in FRAMEWORKS {
        let Some(scratch) = schema(framework).await else {
            return;
        };
        // Started once a schema is there (a skipped test starts nothing).
        let sandbox = match &started {
            Some(sandbox) => sandbox,
            None => started.insert(sandbox().await),
        };
        let api_key = sandbox.key_for(program.sandbox_kind()).unwrap();
        let options = ShopOptions::new(scratch.url.clone()).delivery(DeliverySettings::quick());

        // The whole journey (its dashboard reads the outbox's stats), on PostgreSQL.
        let shop = Running::on(
            framework,
            program,
            client_for_sandbox(sandbox, program).unwrap(),
            &options,
        )
        .await;
        assert_eq!(shop.shop.shop().store.backend(), "postgres", "{framework}");
        assert!(
            matches!(shop.shop.shop().outbox, ShopOutbox::Postgres(_)),
            "{framework}: the outbox is in the shop's PostgreSQL database"
        );
        let report = journey::play(framework, shop.url(), sandbox, program)
            .await
            .unwrap_or_else(|e| panic!("{framework} on PostgreSQL: {e}"));
        assert_eq!(report.commission, Decimal::new(24, 0), "{framework}");
        let [before, after_sale, after_refund] = report.referrer_balance;
        assert_eq!(after_sale - before, report.commission, "{framework}");
        assert_eq!(after_refund, before, "{framework}: the refund took it back");
        let after_journey = delivered(&shop).await;
        assert_eq!(
            after_journey, 3,
            "{framework}: sign-up, sale and refund, once each"
        );

        // A visitor sends the same purchase twice at once: one order, one sale (the user's
        // row lock serialises them as SQLite's write lock does), recorded once.
        let http = browser();
        let (status, signed_up) = land_and_sign_up(
            &http,
            shop.url(),
            "aff=demo-partner",
            &format!("pg-{framework}@example.com"),
        )
        .await;
        assert_eq!(
            (status, signed_up.partnero.status.as_str()),
            (200, "queued")
        );
        let amount = Decimal::new(4_200, 2);
        let ((s1, first), (s2, second)) = tokio::join!(
            buy(&http, shop.url(), "twice", amount),
            buy(&http, shop.url(), "twice", amount)
        );
        assert_eq!((s1, s2), (200, 200), "{framework}");
        let mut statuses = [first.partnero.status, second.partnero.status];
        statuses.sort();
        assert_eq!(statuses, ["already_queued", "queued"], "{framework}");
        assert_eq!(
            delivered(&shop).await,
            after_journey + 2,
            "{framework}: this sign-up and one sale"
        );
        assert_eq!(
            recorded(sandbox, &api_key, &first.transaction_key),
            [false],
            "{framework}: recorded once"
        );
        shop.stop().await;

        // Restarted on the same database: the visitor's session still logs them in, and their
        // order is there (the same purchase again is not a new sale; its refund is delivered).
        let shop = Running::on(framework, program, quick_client(sandbox, program), &options).await;
        let res = http
            .get(format!("{}/dashboard", shop.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200, "{framework}: still logged in");
        let dash: serde_json::Value = res.json().await.unwrap();
        assert_eq!(dash["user_id"], signed_up.user_id.as_str(), "{dash}");
        assert_eq!(dash["outbox"]["dead"], 0, "{dash}");
        let (status, again) = buy(&http, shop.url(), "twice", amount).await;
        assert_eq!(
            (status, again.partnero.status.as_str()),
            (200, "already_queued"),
            "{framework}: the order survived the restart"
        );
        let (status, refunded) = refund(&http, shop.url(), "twice").await;
        assert_eq!(status, 200, "{framework}: {refunded}");
        assert_eq!(refunded["partnero"]["status"], "queued", "{refunded}");
        assert_eq!(delivered(&shop).await, after_journey + 3, "{framework}");
        assert_eq!(
            recorded(sandbox, &api_key, &first.transaction_key),
            [true],
            "{framework}: reversed once"
        );
        shop.stop().await;

        // Partnero down, visitors sign up, buy and refund, the shop is killed and started
        // again on the same database, Partnero comes back: everything arrives exactly once.
        let restart = journey::outage_and_restart(
            framework,
            sandbox,
            client_for_sandbox(sandbox, program).unwrap(),
            options,
        )
        .await
        .unwrap_or_else(|e| panic!("{framework} on PostgreSQL: {e}"));
        assert_eq!(
            restart.during_outage,
            journey::Counts {
                customers: 0,
                transactions: 0,
                refunded: 0
            },
            "{}",
            restart.render()
        );
        assert!(restart.matches(), "{}", restart.render());
        scratch.drop().await;
    }
    if let Some(sandbox) = started {
        sandbox.shutdown().await;
    }
}
