//! End-to-end: the example shops on both frameworks, driven over real HTTP by a cookie-keeping
//! client, against `partnero-sandbox` on 127.0.0.1. The happy journeys for both programs, then
//! the outage paths: whatever Partnero does, the user's sign-up and purchase succeed.

use std::sync::Arc;
use std::time::Duration;

use partnero_client::{Partnero, RetryPolicy};
use partnero_examples::actix_shop::ActixShop;
use partnero_examples::axum_shop::AxumShop;
use partnero_examples::journey;
use partnero_examples::setup::{ProgramChoice, client_for_sandbox};
use partnero_examples::shop::{PurchaseReply, Shop, SignupReply};
use partnero_sandbox::{Sandbox, SandboxConfig};
use rust_decimal::Decimal;
use serde_json::json;

/// A shop on one framework, stopped when dropped by the test's end.
enum Running {
    Axum(AxumShop),
    Actix(ActixShop),
}

impl Running {
    async fn start(framework: &str, program: ProgramChoice, client: Partnero) -> Running {
        let shop = Arc::new(Shop::new(
            if framework == "axum" { "axum" } else { "actix" },
            program,
        ));
        match framework {
            "axum" => Running::Axum(
                AxumShop::start(shop, client, 0)
                    .await
                    .expect("axum shop starts"),
            ),
            _ => Running::Actix(ActixShop::start(shop, client, 0, 1).expect("actix shop starts")),
        }
    }

    fn url(&self) -> &str {
        match self {
            Running::Axum(shop) => &shop.url,
            Running::Actix(shop) => &shop.url,
        }
    }

    async fn stop(self) {
        match self {
            Running::Axum(shop) => shop.stop(),
            Running::Actix(shop) => shop.stop().await,
        }
    }
}

const FRAMEWORKS: [&str; 2] = ["axum", "actix"];

async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig::new().seed_demo(true))
        .await
        .expect("sandbox starts")
}

/// A client with short retries, so outage tests do not wait long.
fn quick_client(sandbox: &Sandbox, program: ProgramChoice) -> Partnero {
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

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .cookie_store(true)
        .build()
        .unwrap()
}

async fn land_and_sign_up(
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
async fn buy(
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
async fn refund(http: &reqwest::Client, shop: &str, order_id: &str) -> (u16, serde_json::Value) {
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
fn recorded(sandbox: &Sandbox, api_key: &str, key: &str) -> Vec<bool> {
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
    assert_eq!(signed_up.partnero.outcome, "attributed", "{framework}");
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
async fn sign_up_and_purchase_succeed_while_partnero_fails() {
    let sandbox = sandbox().await;
    let program = ProgramChoice::Affiliate;
    let api_key = sandbox.key_for(program.sandbox_kind()).unwrap();
    for framework in FRAMEWORKS {
        let shop = Running::start(framework, program, quick_client(&sandbox, program)).await;
        let http = browser();

        sandbox.faults().fail_next(1_000, 503);
        let (status, signed_up) = land_and_sign_up(
            &http,
            shop.url(),
            "aff=demo-partner",
            &format!("down-{framework}@example.com"),
        )
        .await;
        assert_eq!(status, 200, "{framework}: the sign-up itself must succeed");
        assert_eq!(
            signed_up.partnero.outcome, "error",
            "{framework}: {:?}",
            signed_up.partnero
        );
        assert!(signed_up.partnero.detail.is_some());

        let (status, bought) = buy(&http, shop.url(), "o-1", Decimal::new(5000, 2)).await;
        assert_eq!(status, 200, "{framework}: the purchase itself must succeed");
        assert_eq!(
            bought.partnero.outcome, "error",
            "{framework}: {:?}",
            bought.partnero
        );
        assert!(
            sandbox
                .state()
                .customer(&api_key, &signed_up.user_id)
                .is_none(),
            "nothing reached the sandbox while it failed"
        );

        // Partnero is back. Repeating the purchase sends what was missing: first the sign-up,
        // with the referral the shop kept at sign-up, then the sale. Nothing was lost.
        sandbox.faults().reset();
        let (status, bought) = buy(&http, shop.url(), "o-1", Decimal::new(5000, 2)).await;
        assert_eq!(status, 200);
        assert_eq!(
            bought.partnero.outcome, "recorded",
            "{framework}: {:?}",
            bought.partnero
        );
        assert_eq!(bought.partnero.rewards, [Decimal::new(10, 0)], "20 % of 50");
        let state = sandbox.state();
        let customer = state
            .customer(&api_key, &signed_up.user_id)
            .expect("the sign-up reached Partnero after the outage");
        assert_eq!(
            customer.partner.as_ref().map(|p| p.key.as_str()),
            Some("demo-partner"),
            "{framework}: still attributed to the partner"
        );
        assert_eq!(
            recorded(&sandbox, &api_key, &bought.transaction_key).len(),
            1
        );
        // Once reported, the same purchase again is a conflict, never a second sale.
        let (status, _) = buy_raw(&http, shop.url(), "o-1", Decimal::new(5000, 2)).await;
        assert_eq!(status, 409);

        // A refund during an outage: the shop refunds, the reversal is sent again on repeat.
        sandbox.faults().fail_next(1_000, 503);
        let (status, refunded) = refund(&http, shop.url(), "o-1").await;
        assert_eq!(status, 200, "{framework}: the refund itself must succeed");
        assert_eq!(refunded["partnero"]["outcome"], "error", "{refunded}");
        sandbox.faults().reset();
        let deleted = |sandbox: &Sandbox| recorded(sandbox, &api_key, &bought.transaction_key);
        assert_eq!(deleted(&sandbox), [false], "not reversed yet");
        let balance_before = sandbox.state().balance(&api_key, "demo-partner");
        let (status, refunded) = refund(&http, shop.url(), "o-1").await;
        assert_eq!(status, 200);
        assert_eq!(refunded["partnero"]["outcome"], "reversed", "{refunded}");
        assert_eq!(deleted(&sandbox), [true], "{framework}: reversed once");
        assert_eq!(
            sandbox.state().balance(&api_key, "demo-partner"),
            balance_before.map(|b| b - Decimal::new(10, 0)),
            "{framework}: the commission is taken back"
        );
        let (status, _) = refund(&http, shop.url(), "o-1").await;
        assert_eq!(status, 409, "a reported refund is not sent twice");
        shop.stop().await;
    }
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_succeeds_when_partnero_is_unreachable() {
    let sandbox = sandbox().await;
    for framework in FRAMEWORKS {
        let program = ProgramChoice::ReferAFriend;
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
        sandbox.faults().refuse_connections(false);
        assert_eq!(status, 200, "{framework}");
        assert_eq!(
            signed_up.partnero.outcome, "error",
            "{framework}: {:?}",
            signed_up.partnero
        );
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

        // The sandbox stores the sale, then drops the connection before answering.
        sandbox
            .faults()
            .on("POST", "/v1/transactions")
            .process_then_drop_next(1);
        let (status, bought) = buy(&http, shop.url(), "o-lost", Decimal::new(10_000, 2)).await;
        sandbox.faults().reset();
        assert_eq!(status, 200);
        assert_eq!(
            bought.partnero.outcome, "recorded",
            "{framework}: {:?}",
            bought.partnero
        );
        let stored = recorded(&sandbox, &api_key, &bought.transaction_key).len();
        assert_eq!(
            stored, 1,
            "{framework}: exactly one transaction, so exactly one commission"
        );
        shop.stop().await;
    }
    sandbox.shutdown().await;
}

/// Waits until the sandbox holds the transaction `key` (a slow create landing).
async fn until_stored(sandbox: &Sandbox, api_key: &str, key: &str) {
    for _ in 0..300 {
        if !recorded(sandbox, api_key, key).is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the slow sale never landed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sale_still_processing_is_never_resent_and_its_refund_waits_for_it() {
    let sandbox = sandbox().await;
    let program = ProgramChoice::Affiliate;
    let api_key = sandbox.key_for(program.sandbox_kind()).unwrap();
    for framework in FRAMEWORKS {
        let (shop, http) = attributed_visitor(&sandbox, framework, "slow").await;

        // The create outlives the client's 2 s timeout and its confirm check, then lands.
        sandbox
            .faults()
            .on("POST", "/v1/transactions")
            .process_slowly_next(1, Duration::from_secs(5));
        let (status, bought) = buy(&http, shop.url(), "o-slow", Decimal::new(3000, 2)).await;
        assert_eq!(status, 200, "{framework}: the purchase itself succeeds");
        assert_eq!(bought.partnero.outcome, "error", "{:?}", bought.partnero);

        // Repeated (normally before it landed): looked up by key, and if absent not sent
        // again. The outcome depends on how fast this machine is; the invariants do not.
        let (status, again) = buy(&http, shop.url(), "o-slow", Decimal::new(3000, 2)).await;
        assert_eq!(status, 200);
        let mut reversed = false;
        match again.partnero.outcome.as_str() {
            "unconfirmed" => {
                // A refund now usually finds nothing to reverse yet, and stays pending.
                let (status, refunded) = refund(&http, shop.url(), "o-slow").await;
                assert_eq!(status, 200);
                match refunded["partnero"]["outcome"].as_str() {
                    Some("unknown_transaction") => {}
                    Some("reversed") => reversed = true,
                    other => panic!("{framework}: refund said {other:?}"),
                }
            }
            "recorded" => {}
            other => panic!("{framework}: repeat said {other:?}: {:?}", again.partnero),
        }

        until_stored(&sandbox, &api_key, &bought.transaction_key).await;
        if !reversed {
            let (status, refunded) = refund(&http, shop.url(), "o-slow").await;
            assert_eq!(status, 200, "{refunded}");
            assert_eq!(refunded["partnero"]["outcome"], "reversed", "{refunded}");
        }
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
async fn the_shop_reports_helper_outcomes() {
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

        // A partner key Partnero does not know: the user is signed up, the outcome says so.
        let http = browser();
        let (status, reply) = land_and_sign_up(
            &http,
            shop.url(),
            "aff=no-such-partner",
            &format!("stale-{framework}@example.com"),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(reply.partnero.outcome, "partner_key_unknown", "{framework}");
        assert!(sandbox.state().customer(&api_key, &reply.user_id).is_none());

        // Nobody referred this visitor: an affiliate sign-up is not sent at all.
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
        assert_eq!(reply.partnero.outcome, "not_referred", "{framework}");
        assert_eq!(
            sandbox.requests_seen(),
            seen,
            "{framework}: no API call for an unreferred affiliate sign-up"
        );
        // ... nor for their purchases and refunds: they are not Partnero customers.
        let (status, bought) = buy(&http, shop.url(), "organic-1", Decimal::new(2500, 2)).await;
        assert_eq!(status, 200);
        assert_eq!(bought.partnero.outcome, "not_referred", "{framework}");
        let (status, refunded) = refund(&http, shop.url(), "organic-1").await;
        assert_eq!(status, 200);
        assert_eq!(
            refunded["partnero"]["outcome"], "not_referred",
            "{refunded}"
        );
        assert_eq!(
            sandbox.requests_seen(),
            seen,
            "{framework}: still no API call"
        );

        // A visitor carrying keys of both programs: each shop names the key of its own
        // program, the one Partnero attributed the customer to.
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
            assert_eq!(
                reply.partnero.outcome, "attributed",
                "{framework} {program:?}"
            );
            assert_eq!(
                reply.partnero.referred_by.as_deref(),
                Some(expected),
                "{framework} {program:?}"
            );
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
