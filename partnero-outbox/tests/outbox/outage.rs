//! Issue 11's outage run at full length: Partnero refuses connections for 30 s while visitors
//! keep arriving (one handler-like transaction per visitor, one every 100 ms: a sign-up, two
//! sales and the refund of one), then comes back. Nothing is lost, nothing is paid twice, each
//! customer's order holds (a sale of a customer Partnero did not know would have been refused,
//! a refund before its sale would have found nothing), and the whole backlog drains.

use std::time::{Duration, Instant};

use partnero_outbox::Event;

use crate::support::{env, fast, sale, signup, sqlite_outbox, until_stats};

const OUTAGE: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thirty_second_outage_under_steady_load_loses_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let env = env().await;
    let outbox = sqlite_outbox(&dir).await;
    let dispatcher = fast(&outbox, &env)
        .concurrency(8)
        .backoff(Duration::from_millis(50), Duration::from_secs(2))
        .spawn()
        .unwrap();
    env.sandbox.faults().refuse_connections_for(OUTAGE);
    let started = Instant::now();
    let mut customers = 0;
    while started.elapsed() < OUTAGE - Duration::from_secs(3) {
        let customer = format!("long-{customers}");
        let mut tx = outbox.pool().begin_with("BEGIN IMMEDIATE").await.unwrap();
        for event in [
            signup(&customer),
            sale(&customer, &format!("{customer}-a")),
            sale(&customer, &format!("{customer}-b")),
            Event::refund(format!("{customer}-a")),
        ] {
            outbox.enqueue(&mut tx, &event).await.unwrap();
        }
        tx.commit().await.unwrap();
        customers += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        env.sandbox.state().customers(&env.api_key).is_empty(),
        "Partnero was down throughout the arrivals"
    );
    let events = customers * 4;
    let stats = until_stats(&outbox, Duration::from_secs(180), |s| {
        s.in_state("delivered") == events
    })
    .await;
    assert_eq!(stats.in_state("delivered"), events, "{stats:?}");
    assert_eq!(stats.dead(), 0, "{stats:?}");
    env.assert_each_journey_once("long", customers);
    assert_eq!(
        env.sandbox.state().customers(&env.api_key).len() as u64,
        customers,
        "no customer twice"
    );
    dispatcher.shutdown(Duration::from_secs(5)).await;
}
