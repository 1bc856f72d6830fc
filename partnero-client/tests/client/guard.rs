//! The double-commission guard, end to end against partnero-sandbox: one transaction key
//! never yields two transactions, whatever happens to the create's answer.

use std::str::FromStr;
use std::time::Duration;

use partnero_client::{Error, NewCustomer, Partnero, RetryPolicy, Sale};
use partnero_sandbox::{Faults, ProgramKind, Sandbox, SandboxConfig};
use rust_decimal::Decimal;
use serde_json::json;

struct Setup {
    sandbox: Sandbox,
    key: String,
    client: Partnero,
}

async fn setup() -> Setup {
    let sandbox = Sandbox::start(SandboxConfig::new().seed_demo(true))
        .await
        .unwrap();
    let key = sandbox.key_for(ProgramKind::Affiliate).unwrap();
    let client = Partnero::builder(key.as_str())
        .base_url(sandbox.base_url())
        .retry(fast_policy())
        .build()
        .unwrap();
    client
        .customers()
        .create(&NewCustomer::new("buyer").partner_key("demo-partner"))
        .await
        .unwrap();
    Setup {
        sandbox,
        key,
        client,
    }
}

fn fast_policy() -> RetryPolicy {
    RetryPolicy::default()
        .base_delay(Duration::from_millis(20))
        .confirm_delay(Duration::from_millis(20))
}

fn sale(key: &str) -> Sale {
    Sale::new(Decimal::from_str("49.99").unwrap())
        .key(key)
        .action("sale")
}

impl Setup {
    /// The sandbox's faults for `POST /v1/transactions`.
    fn creates(&self) -> Faults {
        self.sandbox.faults().on("POST", "/v1/transactions")
    }

    /// How many times the client posted a create.
    fn posts(&self) -> u64 {
        self.sandbox.requests_seen_for("POST", "/v1/transactions")
    }

    fn stored(&self, tx_key: &str) -> usize {
        self.sandbox
            .state()
            .transactions_with_key(&self.key, tx_key)
            .len()
    }

    fn live(&self) -> usize {
        self.sandbox.state().live_transactions(&self.key).len()
    }

    /// A client of the same program with another retry policy and per-attempt timeout.
    fn client_with(&self, retry: RetryPolicy, timeout: Duration) -> Partnero {
        Partnero::builder(self.key.as_str())
            .base_url(self.sandbox.base_url())
            .retry(retry)
            .timeout(timeout)
            .build()
            .unwrap()
    }

    /// Waits (up to 10 s) until the sandbox holds `n` transactions with `tx_key`.
    async fn wait_stored(&self, tx_key: &str, n: usize) -> usize {
        for _ in 0..1000 {
            if self.stored(tx_key) >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.stored(tx_key)
    }
}

#[tokio::test]
async fn processed_then_dropped_yields_exactly_one_transaction() {
    let s = setup().await;
    s.creates().process_then_drop_next(1);
    let outcome = s.client.sale("buyer", sale("pay_drop")).await.unwrap();
    assert!(
        outcome.recovered(),
        "the answer was lost; the guard read it back"
    );
    assert_eq!(
        outcome.transaction().unwrap().key.as_deref(),
        Some("pay_drop")
    );
    assert_eq!(
        outcome.transaction().unwrap().rewards.len(),
        1,
        "the commission of the single transaction"
    );
    assert_eq!(
        s.stored("pay_drop"),
        1,
        "exactly one transaction for the key"
    );
    s.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_create_still_processing_when_the_client_times_out_is_never_resent() {
    // The sandbox sleeps before processing every POST and finishes it even after the client
    // gave up: when the client times out, the first POST is still on its way to being
    // recorded, so a 404 from the check proves nothing. (The `latency` fault would not do:
    // the sandbox abandons a delayed request whose client disconnects.)
    let s = setup().await;
    s.creates()
        .process_slowly_next(3, Duration::from_millis(800));
    let impatient = s.client_with(fast_policy(), Duration::from_millis(150));
    match impatient.sale("buyer", sale("pay_slow")).await {
        Err(Error::Unconfirmed { keys }) => {
            assert_eq!(keys, ["pay_slow"]);
            let shown = Error::Unconfirmed { keys }.to_string();
            assert!(
                shown.contains("UNCONFIRMED") && shown.contains("pay_slow"),
                "{shown}"
            );
        }
        // Only if the first POST was recorded before the check ran (a very slow machine).
        Ok(outcome) => assert!(outcome.recovered()),
        Err(other) => panic!("expected Unconfirmed, got {other:?}"),
    }
    assert_eq!(s.posts(), 1, "never resent after a timeout");
    assert_eq!(
        s.wait_stored("pay_slow", 1).await,
        1,
        "the first POST was recorded once the delay passed"
    );
    assert_eq!(
        s.client
            .transactions()
            .get("pay_slow")
            .await
            .unwrap()
            .key
            .as_deref(),
        Some("pay_slow"),
        "reconciling by key finds it"
    );
    assert_eq!(
        s.stored("pay_slow"),
        1,
        "exactly one transaction for the key"
    );
    s.sandbox.shutdown().await;
}

#[tokio::test]
async fn the_check_after_an_answered_failure_waits_the_confirm_delay() {
    // Lower bound only: the check may not run before the confirm delay has passed (before,
    // a full-jitter backoff near 0 ms was waited).
    let s = setup().await;
    s.creates().process_then_fail_next(1, 502);
    let confirm = Duration::from_millis(300);
    let client = s.client_with(
        RetryPolicy::default()
            .base_delay(Duration::from_millis(1))
            .confirm_delay(confirm),
        Duration::from_secs(10),
    );
    let start = std::time::Instant::now();
    let outcome = client.sale("buyer", sale("pay_confirm")).await.unwrap();
    assert!(start.elapsed() >= confirm, "{:?}", start.elapsed());
    assert!(outcome.recovered());
    assert_eq!(s.stored("pay_confirm"), 1);
    s.sandbox.shutdown().await;
}

#[tokio::test]
async fn without_the_guard_a_resend_pays_twice() {
    // The same scenario by hand: resending the POST after the lost answer duplicates it.
    let s = setup().await;
    s.creates().process_then_drop_next(1);
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let body = json!({"customer": {"key": "buyer"}, "key": "pay_raw", "amount": 49.99});
    let url = format!("{}/transactions", s.sandbox.base_url());
    let first = http.post(&url).bearer_auth(&s.key).json(&body).send().await;
    assert!(
        first.is_err(),
        "the connection was dropped after processing"
    );
    let second = http
        .post(&url)
        .bearer_auth(&s.key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(second.status().as_u16(), 201);
    assert_eq!(
        s.stored("pay_raw"),
        2,
        "a blind resend creates a second commission"
    );
    s.sandbox.shutdown().await;
}

#[tokio::test]
async fn processed_then_502_is_read_back_not_resent() {
    let s = setup().await;
    s.creates().process_then_fail_next(1, 502);
    let outcome = s.client.sale("buyer", sale("pay_502")).await.unwrap();
    assert!(outcome.recovered());
    assert_eq!(s.stored("pay_502"), 1);
    s.sandbox.shutdown().await;
}

#[tokio::test]
async fn unprocessed_500_is_checked_then_resent_once() {
    let s = setup().await;
    s.creates().fail_next(1, 500);
    let outcome = s.client.sale("buyer", sale("pay_500")).await.unwrap();
    assert!(!outcome.recovered(), "the resend's own answer arrived");
    assert_eq!(s.stored("pay_500"), 1);
    assert_eq!(s.posts(), 2, "sent, checked absent, resent");
    s.sandbox.shutdown().await;
}

#[tokio::test]
async fn rate_limited_create_is_checked_by_key_then_resent() {
    let s = setup().await;
    s.creates().fail_next_with_retry_after(1, 429, 0);
    let outcome = s.client.sale("buyer", sale("pay_429")).await.unwrap();
    assert!(!outcome.recovered());
    assert_eq!(s.stored("pay_429"), 1);
    assert_eq!(
        s.sandbox
            .requests_seen_for("GET", "/v1/transactions/pay_429"),
        2,
        "looked up before posting (`sale`'s look-up), and again before the resend (the guard)"
    );
    assert_eq!(s.posts(), 2);
    s.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_429_for_a_recorded_sale_is_read_back_not_resent() {
    // Whatever answered 429, the sale is already recorded: a blind resend would pay twice.
    let s = setup().await;
    s.client.sale("buyer", sale("pay_429_seen")).await.unwrap();
    s.creates().fail_next_with_retry_after(1, 429, 0);
    // `transactions().create`: the guard alone, without `sale`'s look-up before posting.
    let again = s
        .client
        .transactions()
        .create("buyer", &sale("pay_429_seen"))
        .await
        .unwrap();
    assert_eq!(again.key.as_deref(), Some("pay_429_seen"));
    assert_eq!(s.posts(), 2, "the 429 was not resent after the look-up");
    assert_eq!(s.stored("pay_429_seen"), 1);
    s.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_keyless_rate_limited_sale_is_not_resent() {
    let s = setup().await;
    let before = s.live();
    s.creates().fail_next_with_retry_after(1, 429, 0);
    let e = s
        .client
        .sale("buyer", Sale::new(Decimal::from(10)))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::RateLimited { .. }), "{e:?}");
    assert_eq!(s.posts(), 1);
    assert_eq!(s.live(), before);
    s.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_rate_limited_batch_is_checked_by_key_then_resent() {
    let s = setup().await;
    s.creates().fail_next_with_retry_after(1, 429, 0);
    let created = s
        .client
        .transactions()
        .create_batch("buyer", &[sale("rl_1"), sale("rl_2")])
        .await
        .unwrap();
    assert_eq!(created.len(), 2);
    assert_eq!((s.stored("rl_1"), s.stored("rl_2")), (1, 1));
    assert_eq!(
        s.sandbox.requests_seen_for("GET", "/v1/transactions/rl_1"),
        1
    );
    s.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_sale_without_a_key_is_never_resent_after_an_ambiguous_failure() {
    let s = setup().await;
    let before = s.live();
    s.creates().process_then_drop_next(1);
    let e = s
        .client
        .sale("buyer", Sale::new(Decimal::from(10)))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Transport(_)), "{e:?}");
    assert_eq!(s.live(), before + 1, "processed once, never resent");
    assert_eq!(s.posts(), 1);
    s.sandbox.shutdown().await;
}

#[tokio::test]
async fn batch_resends_only_absent_sales() {
    let s = setup().await;
    s.creates().process_then_drop_next(1);
    let created = s
        .client
        .transactions()
        .create_batch("buyer", &[sale("b_1"), sale("b_2")])
        .await
        .unwrap();
    assert_eq!(created.len(), 2);
    assert_eq!((s.stored("b_1"), s.stored("b_2")), (1, 1));
    s.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_batch_still_processing_when_the_client_times_out_is_never_resent() {
    let s = setup().await;
    s.creates()
        .process_slowly_next(3, Duration::from_millis(800));
    let impatient = s.client_with(fast_policy(), Duration::from_millis(150));
    match impatient
        .transactions()
        .create_batch("buyer", &[sale("slow_1"), sale("slow_2")])
        .await
    {
        Err(Error::Unconfirmed { keys }) => assert_eq!(keys, ["slow_1", "slow_2"]),
        Ok(created) => assert_eq!(created.len(), 2),
        Err(other) => panic!("expected Unconfirmed, got {other:?}"),
    }
    assert_eq!(s.posts(), 1);
    assert_eq!(s.wait_stored("slow_2", 1).await, 1);
    assert_eq!((s.stored("slow_1"), s.stored("slow_2")), (1, 1));
    s.sandbox.shutdown().await;
}

#[tokio::test]
async fn refund_reverses_and_reports_unknown_keys() {
    let s = setup().await;
    s.client.sale("buyer", sale("pay_refund")).await.unwrap();
    assert_eq!(
        s.client.refund("pay_refund").await.unwrap(),
        partnero_client::RefundOutcome::Refunded
    );
    assert_eq!(
        s.client.refund("pay_refund").await.unwrap(),
        partnero_client::RefundOutcome::UnknownTransaction
    );
    assert_eq!(
        s.client.refund("never-sold").await.unwrap(),
        partnero_client::RefundOutcome::UnknownTransaction
    );
    s.sandbox.shutdown().await;
}
