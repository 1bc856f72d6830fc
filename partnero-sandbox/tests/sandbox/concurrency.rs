//! The single-lock store stays correct under concurrent requests.

use std::sync::Arc;

use crate::common::{AFF, Api};
use rust_decimal::Decimal;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_with_distinct_and_equal_keys() {
    let api = Arc::new(Api::start().await);
    api.partner("p", "p@example.com").await;

    let distinct = (0..50).map(|i| {
        let api = Arc::clone(&api);
        tokio::spawn(async move {
            api.post(
                AFF,
                "/customers",
                json!({"key": format!("c{i}"), "partner": {"key": "p"}}),
            )
            .await
            .0
        })
    });
    let same = (0..50).map(|_| {
        let api = Arc::clone(&api);
        tokio::spawn(async move {
            api.post(
                AFF,
                "/customers",
                json!({"key": "same", "partner": {"key": "p"}}),
            )
            .await
            .0
        })
    });
    let tasks: Vec<_> = distinct.chain(same).collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.expect("task"));
    }
    let (distinct_statuses, same_statuses) = statuses.split_at(50);
    assert!(
        distinct_statuses.iter().all(|s| *s == 201),
        "{distinct_statuses:?}"
    );
    assert_eq!(
        same_statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{same_statuses:?}"
    );
    assert_eq!(
        same_statuses.iter().filter(|s| **s == 422).count(),
        49,
        "{same_statuses:?}"
    );
    let state = api.sandbox.state();
    assert_eq!(state.customers(AFF).len(), 51);
    let mut uids: Vec<u64> = state.customers(AFF).iter().map(|c| c.uid).collect();
    uids.sort_unstable();
    uids.dedup();
    assert_eq!(uids.len(), 51, "every customer has its own uid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sales_pay_exactly_the_sum_of_commissions() {
    let api = Arc::new(Api::start().await);
    api.referred_customer("p", "p@example.com", "c").await;
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let api = Arc::clone(&api);
            tokio::spawn(async move {
                api.post(
                    AFF,
                    "/transactions",
                    json!({"customer": {"key": "c"}, "key": format!("t{i}"), "amount": 12.34}),
                )
                .await
                .0
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.expect("task"), 201);
    }
    let deletes: Vec<_> = (0..20)
        .map(|i| {
            let api = Arc::clone(&api);
            tokio::spawn(async move { api.delete(AFF, &format!("/transactions/t{i}")).await.0 })
        })
        .collect();
    for task in deletes {
        assert_eq!(task.await.expect("task"), 200);
    }
    // 20 live sales of 12.34 at 20 % = 20 * 2.468.
    let expected: Decimal = "49.36".parse().expect("decimal");
    assert_eq!(api.sandbox.state().balance(AFF, "p"), Some(expected));
    assert_eq!(api.sandbox.state().live_transactions(AFF).len(), 20);
}
