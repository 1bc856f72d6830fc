//! Leads against partnero-sandbox: create, get, list, stream, delete, convert (pays the
//! partner once), reject.

use futures_util::TryStreamExt;
use partnero_client::model::PartnerRef;
use partnero_client::{LeadConversion, ListParams, NewLead};
use partnero_sandbox::ProgramKind;
use rust_decimal::Decimal;

use crate::support::{demo_sandbox, sandbox_client, status_of};

#[tokio::test]
async fn a_lead_is_created_converted_and_pays_its_partner_once() {
    let sb = demo_sandbox().await;
    let (c, key) = sandbox_client(&sb, ProgramKind::Affiliate);
    let lead = c
        .leads()
        .create(
            &NewLead::for_partner_key("demo-partner")
                .name("Ada")
                .email("ada@example.com"),
        )
        .await
        .unwrap();
    let id = lead.id.expect("integer id");
    assert!(lead.has_status("pending"));
    assert_eq!(
        lead.partner.and_then(|p| p.key).as_deref(),
        Some("demo-partner")
    );
    let got = c.leads().get(id).await.unwrap();
    assert_eq!(got.email.as_deref(), Some("ada@example.com"));

    let converted = c
        .leads()
        .convert(&LeadConversion::new(id).commission_transaction_amount(Decimal::new(200, 0)))
        .await
        .unwrap();
    assert!(converted.has_status("converted"));
    assert_eq!(converted.commission, Some(Decimal::new(40, 0)));
    assert_eq!(
        sb.state().balance(&key, "demo-partner"),
        Some(Decimal::new(40, 0))
    );
    // A second conversion is refused and pays nothing.
    let err = c
        .leads()
        .convert(&LeadConversion::new(id))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(422), "{err}");
    assert_eq!(
        sb.state().balance(&key, "demo-partner"),
        Some(Decimal::new(40, 0))
    );
    assert_eq!(
        status_of(c.leads().convert(&LeadConversion::new(999)).await),
        404
    );
}

#[tokio::test]
async fn list_stream_reject_and_delete() {
    let sb = demo_sandbox().await;
    let (c, _) = sandbox_client(&sb, ProgramKind::Affiliate);
    let mut ids = Vec::new();
    for n in 0..3 {
        let lead = c
            .leads()
            .create(&NewLead::for_partner_id("demo-partner-id").name(format!("Lead {n}")))
            .await
            .unwrap();
        ids.push(lead.id.unwrap());
    }
    let page = c.leads().list(ListParams::new().limit(2)).await.unwrap();
    assert_eq!(page.data.len(), 2);
    let all: Vec<_> = c
        .leads()
        .stream(ListParams::new().limit(2))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.iter().filter_map(|l| l.id).collect::<Vec<_>>(), ids);

    let rejected = c.leads().reject(ids[0]).await.unwrap();
    assert!(rejected.has_status("rejected"));
    c.leads().delete(ids[1]).await.unwrap();
    assert_eq!(status_of(c.leads().get(ids[1]).await), 404);
    assert_eq!(status_of(c.leads().delete(ids[1]).await), 404);
    // A lead needs a known partner.
    assert_eq!(
        status_of(c.leads().create(&NewLead::for_partner_key("ghost")).await),
        404
    );
    let err = c
        .leads()
        .create(&NewLead::new(PartnerRef::default()))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(422), "{err}");
}
