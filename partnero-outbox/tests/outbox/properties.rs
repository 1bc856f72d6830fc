//! A property over random workloads, random faults and random kills: whatever happens, once
//! Partnero answers again every event ends delivered, every sale (and purchase, for customers
//! with no sign-up) is recorded exactly once, each customer's sales arrive in enqueue order, and
//! every refund took effect.
//!
//! A kill is a dispatcher whose runtime is dropped mid-work: no shutdown, no lease released,
//! requests cut off wherever they were (as with `kill -9`; `cli.rs` does it to real processes).

use std::time::Duration;

use partnero_client::Partnero;
use partnero_outbox::Event;
use proptest::prelude::*;

use crate::support::{
    Env, LONG, env, purchase_cases, referred, sale, signup, sqlite_outbox, until_stats,
};

#[derive(Debug, Clone)]
struct Customer {
    sales: usize,
    refund_first: bool,
    /// No sign-up: the first sale is a purchase that creates the customer.
    purchase_only: bool,
}

#[derive(Debug, Clone, Copy)]
enum Fault {
    Fail(u16),
    RateLimited,
    Drop,
    ProcessThenFail,
    ProcessThenDrop,
    ProcessSlowly,
}

#[derive(Debug, Clone)]
struct Plan {
    customers: Vec<Customer>,
    /// (method, path, fault, count)
    faults: Vec<(&'static str, &'static str, Fault, u32)>,
    /// Each kill: how long a dispatcher runs before it is killed.
    kills: Vec<u64>,
}

fn plan() -> impl Strategy<Value = Plan> {
    let customer =
        (0usize..=3, any::<bool>(), any::<bool>()).prop_map(|(sales, refund, purchase)| Customer {
            sales,
            refund_first: refund && sales > 0,
            purchase_only: purchase && sales > 0,
        });
    let target = prop_oneof![
        Just(("POST", "/v1/customers")),
        Just(("POST", "/v1/transactions")),
        Just(("DELETE", "/v1/transactions")),
        Just(("GET", "/v1/transactions")),
    ];
    let fault = prop_oneof![
        Just(Fault::Fail(500)),
        Just(Fault::Fail(503)),
        Just(Fault::RateLimited),
        Just(Fault::Drop),
        Just(Fault::ProcessThenFail),
        Just(Fault::ProcessThenDrop),
        Just(Fault::ProcessSlowly),
    ];
    (
        prop::collection::vec(customer, 1..=4),
        prop::collection::vec((target, fault, 1u32..=3), 0..=5),
        prop::collection::vec(50u64..=800, 0..=2),
    )
        .prop_map(|(customers, faults, kills)| Plan {
            customers,
            faults: faults
                .into_iter()
                .map(|((method, path), fault, n)| (method, path, fault, n))
                .collect(),
            kills,
        })
}

fn inject(env: &Env, plan: &Plan) {
    for &(method, path, fault, n) in &plan.faults {
        let faults = env.sandbox.faults().on(method, path);
        match fault {
            Fault::Fail(status) => faults.fail_next(n, status),
            Fault::RateLimited => faults.fail_next_with_retry_after(n, 429, 1),
            Fault::Drop => faults.drop_next(n),
            Fault::ProcessThenFail => faults.process_then_fail_next(n, 502),
            Fault::ProcessThenDrop => faults.process_then_drop_next(n),
            Fault::ProcessSlowly => faults.process_slowly_next(n, Duration::from_millis(1200)),
        }
    }
}

/// Short settings (as `support::fast`) on a client of its own, so a killed runtime takes
/// only its own connections with it.
fn dispatcher(
    outbox: &partnero_outbox::Outbox<sqlx::Sqlite>,
    env: &Env,
) -> partnero_outbox::DispatcherBuilder {
    let client = Partnero::builder(env.api_key.as_str())
        .base_url(env.sandbox.base_url())
        .build()
        .unwrap();
    outbox
        .dispatcher(client)
        .timeout(Duration::from_millis(500))
        .settle(Duration::from_secs(2))
        .lease(Duration::from_secs(2))
        .backoff(Duration::from_millis(20), Duration::from_millis(300))
        .poll_interval(Duration::from_millis(50))
}

async fn run(case: usize, plan: Plan) {
    let dir = tempfile::tempdir().unwrap();
    let env = env().await;
    let outbox = sqlite_outbox(&dir).await;
    let name = |c: usize| format!("p{case}-c{c}");
    let mut expected_events = 0u64;
    for (c, customer) in plan.customers.iter().enumerate() {
        if !customer.purchase_only {
            outbox.enqueue_now(&signup(&name(c))).await.unwrap();
        }
        for s in 0..customer.sales {
            let key = format!("{}-{s}", name(c));
            let event = if customer.purchase_only && s == 0 {
                purchase_cases::purchase(&referred(), &name(c), &key)
            } else {
                sale(&name(c), &key)
            };
            outbox.enqueue_now(&event).await.unwrap();
        }
        if customer.refund_first {
            outbox
                .enqueue_now(&Event::refund(format!("{}-0", name(c))))
                .await
                .unwrap();
        }
        expected_events += u64::from(!customer.purchase_only)
            + customer.sales as u64
            + u64::from(customer.refund_first);
    }
    inject(&env, &plan);

    for &ms in &plan.kills {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let doomed = {
            let _inside = runtime.enter();
            dispatcher(&outbox, &env).spawn().unwrap()
        };
        tokio::time::sleep(Duration::from_millis(ms)).await;
        runtime.shutdown_background(); // the kill
        drop(doomed); // the process is gone: so is its file lock
    }

    let survivor = dispatcher(&outbox, &env).spawn().unwrap();
    let stats = until_stats(&outbox, LONG, |s| {
        s.in_state("delivered") == expected_events
    })
    .await;
    survivor.shutdown(Duration::from_secs(5)).await;
    assert_eq!(
        stats.in_state("delivered"),
        expected_events,
        "{plan:?}: {stats:?}"
    );

    let mut recorded = env.sales_by_customer();
    for (c, customer) in plan.customers.iter().enumerate() {
        assert_eq!(
            env.customer_partner(&name(c)),
            Some(Some("demo-partner".into())),
            "{plan:?}: {} signed up or created by its purchase, attributed",
            name(c)
        );
        let sales = recorded.remove(&name(c)).unwrap_or_default();
        let keys: Vec<String> = sales.iter().map(|(k, _)| k.clone()).collect();
        let expected: Vec<String> = (0..customer.sales)
            .map(|s| format!("{}-{s}", name(c)))
            .collect();
        assert_eq!(keys, expected, "{plan:?}: each sale once, in order");
        for (i, (key, deleted)) in sales.iter().enumerate() {
            let refunded = i == 0 && customer.refund_first;
            assert_eq!(*deleted, refunded, "{plan:?}: {key} refunded = {refunded}");
        }
    }
}

proptest! {
    // Each case runs for seconds (settle and lease times), so few cases, little shrinking.
    #![proptest_config(ProptestConfig { cases: 8, max_shrink_iters: 8, ..ProptestConfig::default() })]

    #[test]
    fn every_event_ends_delivered_once_in_order(plan in plan()) {
        static CASE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let case = CASE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
            .block_on(run(case, plan));
    }
}
