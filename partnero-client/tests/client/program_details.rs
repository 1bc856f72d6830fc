//! The program endpoints against partnero-sandbox: `GET /program`, `GET /program/overview`,
//! `PUT /settings`.

use partnero_client::{NewCustomer, Sale};
use partnero_sandbox::ProgramKind;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use crate::support::{demo_sandbox, sandbox_client};

#[tokio::test]
async fn details_overview_and_settings() {
    let sb = demo_sandbox().await;
    let (c, _) = sandbox_client(&sb, ProgramKind::Affiliate);
    let details = c.program_details().await.unwrap();
    assert_eq!(details.kind.as_deref(), Some("affiliate"));
    assert!(details.pub_id.is_some());

    c.customers()
        .create(&NewCustomer::new("buyer").partner_key("demo-partner"))
        .await
        .unwrap();
    c.sale("buyer", Sale::new(Decimal::new(50, 0)).key("o1"))
        .await
        .unwrap();
    let overview = c.program_overview().await.unwrap();
    assert_eq!(overview.get("partners"), Some(&json!(1)));
    assert_eq!(overview.get("customers"), Some(&json!(1)));
    assert_eq!(overview.get("revenue"), Some(&json!(50)));
    assert_eq!(overview.get("commissions"), Some(&json!(10)));

    let mut settings = Map::new();
    settings.insert("cookie_lifetime".into(), json!(60));
    let stored = c.update_settings(&settings).await.unwrap();
    assert_eq!(stored.get("cookie_lifetime"), Some(&json!(60)));
    let mut more = Map::new();
    more.insert("currency".into(), Value::from("eur"));
    let stored = c.update_settings(&more).await.unwrap();
    assert_eq!(stored.len(), 2, "merged key by key: {stored:?}");
    assert_eq!(
        c.program_details().await.unwrap().extra["settings"]["currency"],
        json!("eur")
    );
}
