//! The client against partnero-sandbox: every resource decodes what a Partnero-compatible
//! server really sends, and lists stream across real `links.next` pages.

use std::str::FromStr;

use futures_util::StreamExt;
use partnero_client::{
    BalanceCredit, CustomerSearch, CustomerUpdate, ListParams, NewCustomer, NewPartner, NewWebhook,
    PartnerSearch, PartnerUpdate, Partnero, Program, Sale, WebhookUpdate, webhook_signature,
};
use partnero_sandbox::{ProgramKind, Sandbox, SandboxConfig};
use rust_decimal::Decimal;

async fn start() -> Sandbox {
    Sandbox::start(SandboxConfig::new().seed_demo(true))
        .await
        .unwrap()
}

fn client(sb: &Sandbox, kind: ProgramKind) -> Partnero {
    Partnero::builder(sb.key_for(kind).unwrap())
        .base_url(sb.base_url())
        .program(match kind {
            ProgramKind::ReferAFriend => Program::ReferAFriend,
            _ => Program::Affiliate,
        })
        .build()
        .unwrap()
}

#[tokio::test]
async fn check_key_names_the_program() {
    let sb = start().await;
    let check = client(&sb, ProgramKind::Affiliate)
        .check_key()
        .await
        .unwrap();
    assert_eq!(check.program.unwrap().kind.as_deref(), Some("affiliate"));
    let wrong = Partnero::builder("sk_wrong")
        .base_url(sb.base_url())
        .build()
        .unwrap();
    assert!(matches!(
        wrong.check_key().await,
        Err(partnero_client::Error::Unauthorized)
    ));
    sb.shutdown().await;
}

#[tokio::test]
async fn partners_crud_search_and_links() {
    let sb = start().await;
    let c = client(&sb, ProgramKind::Affiliate);
    let created = c
        .partners()
        .create(
            &NewPartner::new("pat@example.com")
                .name("Pat")
                .key("pat-key"),
        )
        .await
        .unwrap();
    let id = created.id.clone().unwrap();
    assert_eq!(created.key.as_deref(), Some("pat-key"));
    assert_eq!(
        c.partners().get(&id).await.unwrap().email.as_deref(),
        Some("pat@example.com")
    );
    let found = c
        .partners()
        .search(&PartnerSearch::new().email("pat@example.com"))
        .await
        .unwrap();
    assert!(
        found
            .data
            .iter()
            .any(|p| p.id.as_deref() == Some(id.as_str()))
    );
    let updated = c
        .partners()
        .update(&id, &PartnerUpdate::new().surname("Smith"))
        .await
        .unwrap();
    assert_eq!(updated.surname.as_deref(), Some("Smith"));
    let links = c.partners().referral_links(&id).await.unwrap();
    assert!(links[0].url.as_deref().unwrap().contains("pat-key"));
    let all: Vec<_> = c
        .partners()
        .stream(ListParams::new().limit(1))
        .collect()
        .await;
    assert_eq!(all.len(), 2, "demo-partner and pat: {all:?}");
    c.partners().delete(&id).await.unwrap();
    assert!(c.partners().get(&id).await.unwrap_err().is_not_found());
    sb.shutdown().await;
}

#[tokio::test]
async fn customers_and_transactions_across_pages() {
    let sb = start().await;
    let c = client(&sb, ProgramKind::Affiliate);
    for i in 0..7 {
        c.customers()
            .create(&NewCustomer::new(format!("user{i}@example.com")).partner_key("demo-partner"))
            .await
            .unwrap();
    }
    let keys: Vec<String> = c
        .customers()
        .stream(ListParams::new().limit(3))
        .map(|r| r.unwrap().key.unwrap())
        .collect()
        .await;
    assert_eq!(keys.len(), 7, "{keys:?}");
    let found = c
        .customers()
        .search(&CustomerSearch::new().partner_key("demo-partner").limit(250))
        .await
        .unwrap();
    assert_eq!(found.data.len(), 7);
    let updated = c
        .customers()
        .update("user0@example.com", &CustomerUpdate::new().name("Zero"))
        .await
        .unwrap();
    assert_eq!(updated.name.as_deref(), Some("Zero"));

    let tx = c
        .transactions()
        .create(
            "user0@example.com",
            &Sale::new(Decimal::from_str("99.99").unwrap()).key("pay-1"),
        )
        .await
        .unwrap();
    assert_eq!(tx.amount, Some(Decimal::from_str("99.99").unwrap()));
    assert!(tx.rewards[0].amount.is_some());
    let mine = c
        .customers()
        .transactions("user0@example.com", ListParams::new())
        .await
        .unwrap();
    assert_eq!(mine.data.len(), 1);
    c.transactions().archive("pay-1").await.unwrap();
    assert_eq!(
        c.transactions().get("pay-1").await.unwrap().archived,
        Some(true)
    );
    c.transactions().revoke_archive("pay-1").await.unwrap();
    assert_eq!(
        c.transactions().get("pay-1").await.unwrap().archived,
        Some(false)
    );
    let listed = c.transactions().list(ListParams::new()).await.unwrap();
    assert_eq!(listed.data.len(), 1);
    c.customers().delete("user6@example.com").await.unwrap();
    assert!(
        c.customers()
            .get("user6@example.com")
            .await
            .unwrap_err()
            .is_not_found()
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn refer_a_friend_balance_stats_and_referrals() {
    let sb = start().await;
    let c = client(&sb, ProgramKind::ReferAFriend);
    c.customers()
        .create(&NewCustomer::new("friend").referring_customer_key("demo-referrer"))
        .await
        .unwrap();
    c.sale("friend", Sale::new(Decimal::from(100)).key("f-pay"))
        .await
        .unwrap();
    let referrals = c
        .customers()
        .referrals("demo-referrer", ListParams::new())
        .await
        .unwrap();
    assert_eq!(referrals.data[0].key.as_deref(), Some("friend"));
    let stats = c.customers().stats("demo-referrer").await.unwrap();
    assert_eq!(stats.referrals, Some(1));
    let before = c.customers().balance("demo-referrer").await.unwrap();
    let earned = before.currency[0].amount.unwrap();
    assert!(earned > Decimal::ZERO);
    c.customers()
        .credit_balance(
            "demo-referrer",
            &BalanceCredit::new(Decimal::from_str("5.5").unwrap())
                .amount_units("usd")
                .is_currency(true),
        )
        .await
        .unwrap();
    let after = c.customers().balance("demo-referrer").await.unwrap();
    let usd = after
        .currency
        .iter()
        .find(|b| b.amount_units.as_deref() == Some("usd"))
        .unwrap();
    assert_eq!(
        usd.amount.unwrap(),
        earned + Decimal::from_str("5.5").unwrap()
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn webhooks_crud_and_signature_secret() {
    let sb = start().await;
    let c = client(&sb, ProgramKind::Affiliate);
    let hook = c
        .webhooks()
        .create(
            &NewWebhook::new("orders", "https://shop.example/hook").event("transaction.created"),
        )
        .await
        .unwrap();
    let key = hook.key.clone().unwrap();
    let secret = hook.signature.clone().unwrap();
    let body = br#"{"event":"transaction.created"}"#;
    assert!(webhook_signature::verify(
        &secret,
        body,
        &webhook_signature::sign(&secret, body)
    ));
    let updated = c
        .webhooks()
        .update(&key, &WebhookUpdate::new().active(false))
        .await
        .unwrap();
    assert_eq!(updated.is_active, Some(false));
    assert_eq!(
        c.webhooks()
            .list(ListParams::new())
            .await
            .unwrap()
            .data
            .len(),
        1
    );
    c.webhooks().delete(&key).await.unwrap();
    assert!(c.webhooks().get(&key).await.unwrap_err().is_not_found());
    sb.shutdown().await;
}
