//! Partner and customer referral links against partnero-sandbox: create, get, update,
//! delete, search, domains.

use partnero_client::{ListParams, NewReferralLink, ReferralLinkSearch, ReferralLinkUpdate};
use partnero_sandbox::ProgramKind;

use crate::support::{demo_sandbox, sandbox_client, status_of};

#[tokio::test]
async fn partner_links_round_trip() {
    let sb = demo_sandbox().await;
    let (c, _) = sandbox_client(&sb, ProgramKind::Affiliate);
    let links = c.partner_referral_links();
    let domains = links.domains(ListParams::new()).await.unwrap();
    let domain = domains.data[0].id.expect("domain id");
    assert_eq!(
        domains.meta.per_page,
        Some(10),
        "Partnero's default page size here"
    );
    let link = links
        .create(
            &NewReferralLink::for_partner_key("spring", "demo-partner")
                .domain_id(domain)
                .additional(true),
        )
        .await
        .unwrap();
    let id = link.id.clone().expect("id");
    assert_eq!(link.key.as_deref(), Some("spring"));
    assert!(link.url.as_deref().unwrap().ends_with("?aff=spring"));
    assert_eq!(link.is_additional, Some(true));
    assert_eq!(link.domain_id, Some(domain));

    let updated = links
        .update(&id, &ReferralLinkUpdate::new().key("summer"))
        .await
        .unwrap();
    assert_eq!(updated.key.as_deref(), Some("summer"));
    assert_eq!(links.get(&id).await.unwrap().key.as_deref(), Some("summer"));
    let found = links
        .search(&ReferralLinkSearch::new().key("summer"))
        .await
        .unwrap();
    assert_eq!(found.data.len(), 1);
    assert!(
        links
            .search(&ReferralLinkSearch::new().key("spring"))
            .await
            .unwrap()
            .data
            .is_empty()
    );

    // A key names one owner: a taken key (a partner's own included) is a duplicate (422).
    for taken in ["summer", "demo-partner"] {
        let err = links
            .create(&NewReferralLink::for_partner_key(taken, "demo-partner"))
            .await
            .unwrap_err();
        assert!(err.is_duplicate(), "{err}");
    }
    let err = links
        .create(&NewReferralLink::for_partner_key("x", "demo-partner").domain_id(999))
        .await
        .unwrap_err();
    assert!(
        err.field_errors().unwrap().contains_key("domain_id"),
        "{err}"
    );
    assert_eq!(
        status_of(
            links
                .create(&NewReferralLink::for_partner_key("y", "ghost"))
                .await
        ),
        404
    );

    links.delete(&id).await.unwrap();
    assert_eq!(status_of(links.get(&id).await), 404);
    // Partner links are not customer links.
    let (raf, _) = sandbox_client(&sb, ProgramKind::ReferAFriend);
    assert_eq!(status_of(raf.partner_referral_links().get("1").await), 403);
}

#[tokio::test]
async fn customer_links_round_trip() {
    let sb = demo_sandbox().await;
    let (c, _) = sandbox_client(&sb, ProgramKind::ReferAFriend);
    let links = c.customer_referral_links();
    let link = links
        .create(&NewReferralLink::for_customer_key(
            "friends",
            "demo-referrer",
        ))
        .await
        .unwrap();
    let id = link.id.clone().unwrap();
    assert!(link.url.as_deref().unwrap().ends_with("?ref=friends"));
    assert_eq!(
        link.extra["customer"]["key"], "demo-referrer",
        "the owner is in the answer"
    );
    let found = links
        .search(&ReferralLinkSearch::new().id(&id))
        .await
        .unwrap();
    assert_eq!(found.data[0].key.as_deref(), Some("friends"));
    assert!(
        !links
            .domains(ListParams::new())
            .await
            .unwrap()
            .data
            .is_empty()
    );
    links.delete(&id).await.unwrap();
    assert_eq!(status_of(links.delete(&id).await), 404);
}
