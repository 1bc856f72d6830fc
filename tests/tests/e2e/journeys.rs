//! End-to-end: the example shops on both frameworks, driven over real HTTP by a cookie-keeping
//! client, against `partnero-sandbox` on 127.0.0.1. The happy journeys for both programs, then
//! the outage paths: whatever Partnero does, the user's sign-up, purchase and refund succeed at
//! once, and the shop's outbox delivers each event exactly once when Partnero is back, without
//! the visitor repeating anything.

use std::time::{Duration, Instant};

use partnero_client::{Partnero, RetryPolicy};
use partnero_examples::journey::{self, RunningShop};
use partnero_examples::setup::{ProgramChoice, client_for_sandbox};
use partnero_examples::shop::{PurchaseReply, ShopOptions, SignupReply, TempDir};
use partnero_sandbox::{Sandbox, SandboxConfig};
use rust_decimal::Decimal;
use serde_json::json;

/// A shop on one framework, on its own database in a temporary directory (or on the
/// database of [`Running::on`]), its dispatcher with short settings.
pub(crate) struct Running {
    pub(crate) shop: RunningShop,
    _dir: Option<TempDir>,
}

impl Running {
    pub(crate) async fn start(
        framework: &str,
        program: ProgramChoice,
        client: Partnero,
    ) -> Running {
        let (dir, options) = ShopOptions::temporary().expect("a temporary directory");
        let mut running = Running::on(framework, program, client, &options).await;
        running._dir = Some(dir);
        running
    }

    /// A shop on `options.database`, which outlives it.
    pub(crate) async fn on(
        framework: &str,
        program: ProgramChoice,
        client: Partnero,
        options: &ShopOptions,
    ) -> Running {
        let shop = RunningShop::start(framework, program, client, options)
            .await
            .unwrap_or_else(|e| panic!("{framework} shop: {e}"));
        Running { shop, _dir: None }
    }

    pub(crate) fn url(&self) -> &str {
        self.shop.url()
    }

    /// Waits (up to 30 s) until the shop's outbox has nothing left to deliver, and checks that
    /// nothing ended as a dead letter.
    pub(crate) async fn until_delivered(&self) {
        let deadline = Instant::now() + journey::DELIVERY_DEADLINE;
        loop {
            let stats = self.shop.shop().outbox.stats().await.expect("outbox stats");
            if stats.waiting() == 0 {
                assert_eq!(stats.dead(), 0, "dead letters: {stats:?}");
                return;
            }
            assert!(Instant::now() < deadline, "still waiting: {stats:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub(crate) async fn stop(self) {
        self.shop.stop().await;
    }
}

/// Waits (up to 30 s, checking every 100 ms) until `ready` holds.
async fn until(what: &str, ready: impl FnMut() -> bool) {
    journey::wait_for("test", || what.to_owned(), ready)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

pub(crate) const FRAMEWORKS: [&str; 2] = ["axum", "actix"];

pub(crate) async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig::new().seed_demo(true))
        .await
        .expect("sandbox starts")
}

/// A client with short retries, so outage tests do not wait long.
pub(crate) fn quick_client(sandbox: &Sandbox, program: ProgramChoice) -> Partnero {
    let key = sandbox.key_for(program.sandbox_kind()).unwrap();
    Partnero::builder(key)
        .base_url(sandbox.base_url())
        .program(program.program())
        .timeout(Duration::from_secs(2))
        .retry(
            RetryPolicy::default()
                .max_attempts(2)
                .base_delay(Duration::from_millis(10))
                .max_delay(Duration::from_millis(50)),
        )
        .build()
        .unwrap()
}

pub(crate) fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .cookie_store(true)
        .build()
        .unwrap()
}

pub(crate) async fn land_and_sign_up(
    http: &reqwest::Client,
    shop: &str,
    query: &str,
    email: &str,
) -> (u16, SignupReply) {
    let landing = http.get(format!("{shop}/?{query}")).send().await.unwrap();
    assert!(landing.status().is_success());
    let res = http
        .post(format!("{shop}/signup"))
        .json(&json!({ "email": email, "name": "Visitor" }))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body = res.text().await.unwrap();
    let reply = serde_json::from_str(&body).unwrap_or_else(|e| panic!("signup body {body:?}: {e}"));
    (status, reply)
}

/// `POST /purchase`: the status and the JSON answer, whatever it is.
async fn buy_raw(
    http: &reqwest::Client,
    shop: &str,
    order_id: &str,
    amount: Decimal,
) -> (u16, serde_json::Value) {
    post_json(
        http,
        &format!("{shop}/purchase"),
        json!({ "order_id": order_id, "amount": amount }),
    )
    .await
}

/// `POST /purchase`, read as a successful purchase.
pub(crate) async fn buy(
    http: &reqwest::Client,
    shop: &str,
    order_id: &str,
    amount: Decimal,
) -> (u16, PurchaseReply) {
    let (status, body) = buy_raw(http, shop, order_id, amount).await;
    let reply = serde_json::from_value(body.clone())
        .unwrap_or_else(|e| panic!("purchase body {body}: {e}"));
    (status, reply)
}

/// `POST /refund`: the status and the JSON answer.
pub(crate) async fn refund(
    http: &reqwest::Client,
    shop: &str,
    order_id: &str,
) -> (u16, serde_json::Value) {
    post_json(
        http,
        &format!("{shop}/refund"),
        json!({ "order_id": order_id }),
    )
    .await
}

async fn post_json(
    http: &reqwest::Client,
    url: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let res = http.post(url).json(&body).send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("body {text:?}: {e}"));
    (status, value)
}

/// The `deleted` flag of each transaction the sandbox holds under `key`: its length is how many
/// times the sale was recorded.
pub(crate) fn recorded(sandbox: &Sandbox, api_key: &str, key: &str) -> Vec<bool> {
    sandbox
        .state()
        .transactions_with_key(api_key, key)
        .iter()
        .map(|t| t.deleted)
        .collect()
}

/// An affiliate shop on `framework` (with the quick client) and a visitor who landed on
/// `demo-partner`'s link and signed up, attributed.
async fn attributed_visitor(
    sandbox: &Sandbox,
    framework: &str,
    label: &str,
) -> (Running, reqwest::Client) {
    let program = ProgramChoice::Affiliate;
    let shop = Running::start(framework, program, quick_client(sandbox, program)).await;
    let http = browser();
    let (_, signed_up) = land_and_sign_up(
        &http,
        shop.url(),
        "aff=demo-partner",
        &format!("{label}-{framework}@example.com"),
    )
    .await;
    assert_eq!(signed_up.partnero.status, "queued", "{framework}");
    assert_eq!(
        signed_up.partnero.referred_by.as_deref(),
        Some("demo-partner"),
        "{framework}"
    );
    (shop, http)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_journey_on_both_frameworks_and_both_programs() {
    let sandbox = sandbox().await;
    for program in ProgramChoice::ALL {
        for framework in FRAMEWORKS {
            let shop = Running::start(
                framework,
                program,
                client_for_sandbox(&sandbox, program).unwrap(),
            )
            .await;
            let report = journey::play(framework, shop.url(), &sandbox, program)
                .await
                .unwrap_or_else(|e| panic!("{framework} / {}: {e}", program.label()));
            shop.stop().await;
            assert_eq!(report.attributed_to, program.demo_key());
            assert_eq!(
                report.cookie.pair,
                format!("{}={}", program.cookie_name(), program.demo_key())
            );
            assert_eq!(report.commission, Decimal::new(24, 0));
            let [before, after_sale, after_refund] = report.referrer_balance;
            assert_eq!(after_sale - before, report.commission);
            assert_eq!(after_refund, before);
            assert_eq!(
                report.referral_link.is_some(),
                program == ProgramChoice::ReferAFriend
            );
        }
    }
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_purchase_and_refund_succeed_while_partnero_fails_and_arrive_once_after() {
    let sandbox = sandbox().await;
    let program = ProgramChoice::Affiliate;
    let api_key = sandbox.key_for(program.sandbox_kind()).unwrap();
    for framework in FRAMEWORKS {
        let shop = Running::start(framework, program, quick_client(&sandbox, program)).await;
        let http = browser();

        sandbox.faults().fail_next(1_000_000, 503);
        let (status, signed_up) = land_and_sign_up(
            &http,
            shop.url(),
            "aff=demo-partner",
            &format!("down-{framework}@example.com"),
        )
        .await;
        assert_eq!(status, 200, "{framework}: the sign-up itself must succeed");
        assert_eq!(
            signed_up.partnero.status, "queued",
            "{framework}: {:?}",
            signed_up.partnero
        );
        let (status, bought) = buy(&http, shop.url(), "o-1", Decimal::new(5000, 2)).await;
        assert_eq!(status, 200, "{framework}: the purchase itself must succeed");
        assert_eq!(bought.partnero.status, "queued", "{:?}", bought.partnero);
        // The dispatcher keeps trying meanwhile; nothing gets through.
        let seen = sandbox.requests_seen();
        until("a few failed attempts", || {
            sandbox.requests_seen() >= seen + 3
        })
        .await;
        assert!(
            sandbox
                .state()
                .customer(&api_key, &signed_up.user_id)
                .is_none(),
            "nothing reached the sandbox while it failed"
        );

        // Partnero is back. Nobody repeats anything: the dispatcher delivers the sign-up, with
        // the referral captured at sign-up, then the sale. Nothing was lost.
        sandbox.faults().reset();
        until("the sale", || {
            !recorded(&sandbox, &api_key, &bought.transaction_key).is_empty()
        })
        .await;
        shop.until_delivered().await;
        let state = sandbox.state();
        let customer = state
            .customer(&api_key, &signed_up.user_id)
            .expect("the sign-up reached Partnero after the outage");
        assert_eq!(
            customer.partner.as_ref().map(|p| p.key.as_str()),
            Some("demo-partner"),
            "{framework}: still attributed to the partner"
        );
        let sales = state.transactions_with_key(&api_key, &bought.transaction_key);
        assert_eq!(sales.len(), 1, "{framework}: recorded once");
        let commission: Decimal = sales[0].rewards.iter().map(|r| r.amount).sum();
        assert_eq!(commission, Decimal::new(10, 0), "20 % of 50");
        drop(state);
        // The same purchase again is harmless: already queued, never a second sale; another
        // amount under the same order id is a conflict.
        let (status, again) = buy(&http, shop.url(), "o-1", Decimal::new(5000, 2)).await;
        assert_eq!(status, 200);
        assert_eq!(again.partnero.status, "already_queued");
        let (status, _) = buy_raw(&http, shop.url(), "o-1", Decimal::new(6000, 2)).await;
        assert_eq!(status, 409);

        // A refund during an outage: the shop refunds at once, the reversal follows later.
        let balance_before = sandbox.state().balance(&api_key, "demo-partner");
        sandbox.faults().fail_next(1_000_000, 503);
        let (status, refunded) = refund(&http, shop.url(), "o-1").await;
        assert_eq!(status, 200, "{framework}: the refund itself must succeed");
        assert_eq!(refunded["partnero"]["status"], "queued", "{refunded}");
        let seen = sandbox.requests_seen();
        until("a failed reversal", || sandbox.requests_seen() > seen).await;
        let deleted = |sandbox: &Sandbox| recorded(sandbox, &api_key, &bought.transaction_key);
        assert_eq!(deleted(&sandbox), [false], "not reversed yet");
        sandbox.faults().reset();
        until("the reversal", || deleted(&sandbox) == [true]).await;
        shop.until_delivered().await;
        assert_eq!(deleted(&sandbox), [true], "{framework}: reversed once");
        assert_eq!(
            sandbox.state().balance(&api_key, "demo-partner"),
            balance_before.map(|b| b - Decimal::new(10, 0)),
            "{framework}: the commission is taken back"
        );
        let (status, again) = refund(&http, shop.url(), "o-1").await;
        assert_eq!(status, 200, "a repeated refund is harmless");
        assert_eq!(again["partnero"]["status"], "already_queued", "{again}");
        shop.stop().await;
    }
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_succeeds_when_partnero_is_unreachable_and_arrives_when_it_is_back() {
    let sandbox = sandbox().await;
    let program = ProgramChoice::ReferAFriend;
    let api_key = sandbox.key_for(program.sandbox_kind()).unwrap();
    for framework in FRAMEWORKS {
        let shop = Running::start(framework, program, quick_client(&sandbox, program)).await;
        let http = browser();
        sandbox.faults().refuse_connections(true);
        sandbox.faults().settled().await;
        let (status, signed_up) = land_and_sign_up(
            &http,
            shop.url(),
            "ref=demo-referrer",
            &format!("offline-{framework}@example.com"),
        )
        .await;
        assert_eq!(status, 200, "{framework}");
        assert_eq!(
            signed_up.partnero.status, "queued",
            "{framework}: {:?}",
            signed_up.partnero
        );
        // Connection refused, attempt after attempt, for a while.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(
            sandbox
                .state()
                .customer(&api_key, &signed_up.user_id)
                .is_none()
        );
        sandbox.faults().refuse_connections(false);
        until("the customer", || {
            sandbox
                .state()
                .customer(&api_key, &signed_up.user_id)
                .is_some()
        })
        .await;
        assert_eq!(
            sandbox.state().referrer_of(&api_key, &signed_up.user_id),
            Some("demo-referrer"),
            "{framework}: attributed to the referring customer"
        );
        shop.until_delivered().await;
        shop.stop().await;
    }
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_to_a_sale_does_not_pay_twice() {
    let sandbox = sandbox().await;
    let program = ProgramChoice::Affiliate;
    let api_key = sandbox.key_for(program.sandbox_kind()).unwrap();
    for framework in FRAMEWORKS {
        let (shop, http) = attributed_visitor(&sandbox, framework, "lost").await;
        shop.until_delivered().await;

        // The sandbox stores the sale, then drops the connection before answering: the
        // dispatcher cannot know, waits the settle time, looks the sale up and finds it.
        sandbox
            .faults()
            .on("POST", "/v1/transactions")
            .process_then_drop_next(1);
        let (status, bought) = buy(&http, shop.url(), "o-lost", Decimal::new(10_000, 2)).await;
        assert_eq!(status, 200);
        assert_eq!(bought.partnero.status, "queued", "{:?}", bought.partnero);
        shop.until_delivered().await;
        sandbox.faults().reset();
        assert_eq!(
            recorded(&sandbox, &api_key, &bought.transaction_key).len(),
            1,
            "{framework}: exactly one transaction, so exactly one commission"
        );
        shop.stop().await;
    }
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sale_still_processing_is_never_resent_and_its_refund_waits_for_it() {
    let sandbox = sandbox().await;
    let program = ProgramChoice::Affiliate;
    let api_key = sandbox.key_for(program.sandbox_kind()).unwrap();
    for framework in FRAMEWORKS {
        let (shop, http) = attributed_visitor(&sandbox, framework, "slow").await;
        shop.until_delivered().await;

        // The create outlives the dispatcher's 1 s timeout, then lands (well within the 4 s
        // settle time the dispatcher waits before it looks the sale up).
        sandbox
            .faults()
            .on("POST", "/v1/transactions")
            .process_slowly_next(1, Duration::from_secs(3));
        let (status, bought) = buy(&http, shop.url(), "o-slow", Decimal::new(3000, 2)).await;
        assert_eq!(status, 200, "{framework}: the purchase itself succeeds");
        assert_eq!(bought.partnero.status, "queued", "{:?}", bought.partnero);
        // The visitor repeats the purchase and refunds at once, while the sale is processing:
        // nothing is sent twice, and the reversal waits for the sale.
        let (status, again) = buy(&http, shop.url(), "o-slow", Decimal::new(3000, 2)).await;
        assert_eq!(
            (status, again.partnero.status.as_str()),
            (200, "already_queued")
        );
        let (status, refunded) = refund(&http, shop.url(), "o-slow").await;
        assert_eq!(status, 200);
        assert_eq!(refunded["partnero"]["status"], "queued", "{refunded}");

        until("the slow sale, reversed", || {
            recorded(&sandbox, &api_key, &bought.transaction_key) == [true]
        })
        .await;
        shop.until_delivered().await;
        sandbox.faults().reset();
        assert_eq!(
            recorded(&sandbox, &api_key, &bought.transaction_key),
            [true],
            "{framework}: one transaction, never resent, and reversed"
        );
        shop.stop().await;
    }
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shop_reports_what_it_queued_and_partnero_gets_it() {
    let sandbox = sandbox().await;
    let program = ProgramChoice::Affiliate;
    let api_key = sandbox.key_for(program.sandbox_kind()).unwrap();
    for framework in FRAMEWORKS {
        let shop = Running::start(
            framework,
            program,
            client_for_sandbox(&sandbox, program).unwrap(),
        )
        .await;

        // A partner key Partnero does not know: the user is signed up, the sign-up queued and
        // delivered, and Partnero creates no customer for it.
        let http = browser();
        let (status, reply) = land_and_sign_up(
            &http,
            shop.url(),
            "aff=no-such-partner",
            &format!("stale-{framework}@example.com"),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(reply.partnero.status, "queued", "{framework}");
        assert_eq!(
            reply.partnero.referred_by.as_deref(),
            Some("no-such-partner")
        );
        assert_eq!(
            reply.partnero.event.as_deref(),
            Some(format!("signup:{}", reply.user_id).as_str())
        );
        shop.until_delivered().await;
        assert!(sandbox.state().customer(&api_key, &reply.user_id).is_none());

        // Nobody referred this visitor: an affiliate sign-up is not queued at all ...
        let http = browser();
        let seen = sandbox.requests_seen();
        let (status, reply) = land_and_sign_up(
            &http,
            shop.url(),
            "utm_source=ad",
            &format!("organic-{framework}@example.com"),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(reply.partnero.status, "not_referred", "{framework}");
        // ... nor their purchases and refunds: they are not Partnero customers.
        let (status, bought) = buy(&http, shop.url(), "organic-1", Decimal::new(2500, 2)).await;
        assert_eq!(status, 200);
        assert_eq!(bought.partnero.status, "not_referred", "{framework}");
        let (status, refunded) = refund(&http, shop.url(), "organic-1").await;
        assert_eq!(status, 200);
        assert_eq!(refunded["partnero"]["status"], "not_referred", "{refunded}");
        // Time for a dispatcher poll or two: still no API call.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            sandbox.requests_seen(),
            seen,
            "{framework}: no API call for an unreferred affiliate visitor"
        );

        // A visitor carrying keys of both programs: each shop names the key of its own
        // program, and Partnero attributes the customer to it.
        for (program, expected) in [
            (ProgramChoice::Affiliate, "demo-partner"),
            (ProgramChoice::ReferAFriend, "demo-referrer"),
        ] {
            let other = Running::start(
                framework,
                program,
                client_for_sandbox(&sandbox, program).unwrap(),
            )
            .await;
            let (_, reply) = land_and_sign_up(
                &browser(),
                other.url(),
                "aff=demo-partner&ref=demo-referrer",
                &format!("both-{framework}-{}@example.com", program.label()),
            )
            .await;
            assert_eq!(reply.partnero.status, "queued", "{framework} {program:?}");
            assert_eq!(
                reply.partnero.referred_by.as_deref(),
                Some(expected),
                "{framework} {program:?}"
            );
            other.until_delivered().await;
            let key = sandbox.key_for(program.sandbox_kind()).unwrap();
            let state = sandbox.state();
            let attributed = match program {
                ProgramChoice::Affiliate => state
                    .customer(&key, &reply.user_id)
                    .and_then(|c| c.partner.as_ref())
                    .map(|p| p.key.as_str()),
                ProgramChoice::ReferAFriend => state.referrer_of(&key, &reply.user_id),
            };
            assert_eq!(attributed, Some(expected), "{framework} {program:?}");
            drop(state);
            other.stop().await;
        }

        // Not logged in: the shop refuses the purchase itself.
        let anonymous = browser();
        let res = anonymous
            .post(format!("{}/purchase", shop.url()))
            .json(&json!({ "order_id": "x", "amount": 1 }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 401, "{framework}");
        shop.stop().await;
    }
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shop_killed_during_an_outage_delivers_everything_once_after_its_restart() {
    let sandbox = sandbox().await;
    let program = ProgramChoice::Affiliate;
    for framework in ["axum", "actix"] {
        let (_dir, options) = ShopOptions::temporary().unwrap();
        let report = journey::outage_and_restart(
            framework,
            &sandbox,
            client_for_sandbox(&sandbox, program).unwrap(),
            options,
        )
        .await
        .unwrap_or_else(|e| panic!("{framework}: {e}"));
        assert_eq!(
            report.during_outage,
            journey::Counts {
                customers: 0,
                transactions: 0,
                refunded: 0
            },
            "{}",
            report.render()
        );
        assert!(report.matches(), "{}", report.render());
    }
    sandbox.shutdown().await;
}
