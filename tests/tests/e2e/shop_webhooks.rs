//! End to end, on both frameworks: the shop registers its webhook endpoint with the sandbox,
//! a visitor signs up and buys, the sandbox delivers the events to the shop, the shop's
//! `VerifiedWebhook` extractor verifies and types them, and the dashboard shows them. A forged
//! delivery is refused and a replayed one is not shown twice.

use std::time::Duration;

use partnero_client::webhook_signature::sign;
use partnero_examples::setup::{ProgramChoice, client_for_sandbox};
use partnero_examples::shop::DashboardReply;
use partnero_sandbox::DeliveryState;
use rust_decimal::Decimal;

use crate::journeys::{FRAMEWORKS, Running, browser, buy, land_and_sign_up, sandbox};

async fn dashboard(http: &reqwest::Client, shop: &str) -> DashboardReply {
    let res = http.get(format!("{shop}/dashboard")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_delivers_to_each_shop_and_the_dashboard_shows_it() {
    for framework in FRAMEWORKS {
        let sandbox = sandbox().await;
        let program = ProgramChoice::Affiliate;
        let api_key = sandbox.key_for(program.sandbox_kind()).unwrap();
        let client = client_for_sandbox(&sandbox, program).unwrap();
        let shop = Running::start(framework, program, client.clone()).await;
        let registered = shop
            .shop
            .shop()
            .webhooks
            .register(&client, shop.url())
            .await
            .unwrap();
        assert_eq!(
            registered,
            Some(format!("{}/webhooks/partnero", shop.url())),
            "{framework}"
        );

        let http = browser();
        let email = format!("hooked-{framework}@example.com");
        land_and_sign_up(&http, shop.url(), "aff=demo-partner", &email).await;
        buy(&http, shop.url(), "hook-order-1", Decimal::new(5000, 2)).await;
        shop.until_delivered().await;
        sandbox.webhooks_settled(Duration::from_secs(30)).await;

        let deliveries = sandbox.webhook_deliveries();
        assert!(
            deliveries
                .iter()
                .all(|d| d.state == DeliveryState::Delivered),
            "{framework}: {deliveries:#?}"
        );
        let shown = dashboard(&http, shop.url()).await.webhooks;
        // Deliveries run concurrently: each arrives once, in any order.
        let summary = |event: &str| {
            let found: Vec<_> = shown.iter().filter(|e| e.event == event).collect();
            assert_eq!(found.len(), 1, "{framework}: {event} in {shown:#?}");
            found[0].summary.clone()
        };
        assert_eq!(shown.len(), 3, "{framework}: {shown:#?}");
        assert!(
            summary("customer.created").contains("created"),
            "{framework}"
        );
        assert!(
            summary("transaction.created").contains("hook-order-1"),
            "{framework}"
        );
        let commission = summary("reward.created");
        assert!(
            commission.starts_with("commission 10 usd") && commission.ends_with("for demo-partner"),
            "{framework}: {commission}"
        );

        // A replay of a real delivery verifies, but is processed once; a forged one is refused.
        let secret = sandbox.state().webhooks(&api_key)[0].signature.clone();
        let body = deliveries[0].body.clone();
        let post = |body: String, signature: String| {
            http.post(format!("{}/webhooks/partnero", shop.url()))
                .header("content-type", "application/json")
                .header("Signature", signature)
                .body(body)
                .send()
        };
        let replay = post(body.clone(), sign(&secret, body.as_bytes()))
            .await
            .unwrap();
        assert_eq!(replay.status(), 200, "{framework}");
        let forged = post(body.replace("demo", "evil"), sign(&secret, body.as_bytes()))
            .await
            .unwrap();
        assert_eq!(forged.status(), 401, "{framework}");
        assert_eq!(forged.text().await.unwrap(), "unauthorized");
        let unsigned = http
            .post(format!("{}/webhooks/partnero", shop.url()))
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(unsigned.status(), 401, "{framework}");
        assert_eq!(
            dashboard(&http, shop.url()).await.webhooks.len(),
            3,
            "{framework}: nothing shown twice"
        );
        shop.stop().await;
    }
}

/// The sandbox refuses events a program kind does not offer: each kind's shop registers only
/// the ones its kind offers, so its registration is accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_program_kinds_shop_registers_events_its_kind_offers() {
    for program in [ProgramChoice::Affiliate, ProgramChoice::ReferAFriend] {
        let sandbox = sandbox().await;
        let client = client_for_sandbox(&sandbox, program).unwrap();
        let shop = Running::start("axum", program, client.clone()).await;
        let registered = shop
            .shop
            .shop()
            .webhooks
            .register(&client, shop.url())
            .await;
        assert!(
            matches!(registered, Ok(Some(_))),
            "{program:?}: {registered:?}"
        );
        let key = sandbox.key_for(program.sandbox_kind()).unwrap();
        assert_eq!(sandbox.state().webhooks(&key).len(), 1, "{program:?}");
        shop.stop().await;
    }
}
