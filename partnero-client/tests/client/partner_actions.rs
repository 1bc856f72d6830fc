//! Partners beyond CRUD against partnero-sandbox: archive, revoke-archive, manual reward,
//! sign-in URL, look-up, and the paginated referral links.

use futures_util::TryStreamExt;
use partnero_client::{ListParams, NewReferralLink, PartnerLookup, PartnerReward, SignInRequest};
use partnero_sandbox::ProgramKind;
use rust_decimal::Decimal;

use crate::support::{demo_sandbox, sandbox_client, status_of};

#[tokio::test]
async fn archive_and_revoke_archive() {
    let sb = demo_sandbox().await;
    let (c, key) = sandbox_client(&sb, ProgramKind::Affiliate);
    let archived = |sb: &partnero_sandbox::Sandbox| {
        sb.state()
            .program(&key)
            .unwrap()
            .extras
            .archived_partners
            .contains("demo-partner-id")
    };
    c.partners().archive("demo-partner-id").await.unwrap();
    assert!(archived(&sb));
    c.partners()
        .revoke_archive("demo-partner-id")
        .await
        .unwrap();
    assert!(!archived(&sb));
    assert_eq!(status_of(c.partners().archive("ghost").await), 404);
}

#[tokio::test]
async fn a_manual_reward_reaches_the_balance() {
    let sb = demo_sandbox().await;
    let (c, key) = sandbox_client(&sb, ProgramKind::Affiliate);
    let reward = c
        .partners()
        .reward(
            "demo-partner-id",
            &PartnerReward::new(Decimal::new(1250, 2))
                .date("2025-05-09")
                .note("webinar"),
        )
        .await
        .unwrap();
    assert_eq!(reward.amount, Some(Decimal::new(1250, 2)));
    assert_eq!(reward.date.as_deref(), Some("2025-05-09"));
    assert_eq!(reward.note.as_deref(), Some("webinar"));
    assert_eq!(
        reward.partner.and_then(|p| p.key).as_deref(),
        Some("demo-partner")
    );
    assert_eq!(
        sb.state().balance(&key, "demo-partner"),
        Some(Decimal::new(1250, 2))
    );
    // The n8n node sends a date-time.
    c.partners()
        .reward(
            "demo-partner-id",
            &PartnerReward::new(Decimal::ONE).date("2025-05-09T17:42:13.000Z"),
        )
        .await
        .unwrap();
    // Below 0.01, or a date that is not a date: 422 on that field; unknown partner: 404.
    let err = c
        .partners()
        .reward("demo-partner-id", &PartnerReward::new(Decimal::new(1, 3)))
        .await
        .unwrap_err();
    assert!(err.field_errors().unwrap().contains_key("amount"), "{err}");
    let err = c
        .partners()
        .reward(
            "demo-partner-id",
            &PartnerReward::new(Decimal::ONE).date("yesterday"),
        )
        .await
        .unwrap_err();
    assert!(err.field_errors().unwrap().contains_key("date"), "{err}");
    assert_eq!(
        status_of(
            c.partners()
                .reward("ghost", &PartnerReward::new(Decimal::ONE))
                .await
        ),
        404
    );
    assert_eq!(
        sb.state().balance(&key, "demo-partner"),
        Some(Decimal::new(1350, 2))
    );
}

#[tokio::test]
async fn sign_in_url_by_key_or_email() {
    let sb = demo_sandbox().await;
    let (c, _) = sandbox_client(&sb, ProgramKind::Affiliate);
    let link = c
        .partners()
        .sign_in_url(&SignInRequest::by_key("demo-partner").expires_in(300))
        .await
        .unwrap();
    assert!(link.url.as_deref().is_some_and(|u| u.starts_with("http")));
    assert_eq!(link.expires_in, Some(300));
    assert!(
        !format!("{link:?}").contains("sign-in"),
        "the URL is a secret: {link:?}"
    );
    let link = c
        .partners()
        .sign_in_url(&SignInRequest::by_email("demo-partner@example.com"))
        .await
        .unwrap();
    assert_eq!(link.expires_in, Some(120), "Partnero's default");
    let err = c
        .partners()
        .sign_in_url(&SignInRequest::by_key("demo-partner").expires_in(5))
        .await
        .unwrap_err();
    assert!(
        err.field_errors().unwrap().contains_key("expires_in"),
        "{err}"
    );
    assert_eq!(
        status_of(
            c.partners()
                .sign_in_url(&SignInRequest::by_key("ghost"))
                .await
        ),
        404
    );
}

#[tokio::test]
async fn look_up_by_key_email_or_id() {
    let sb = demo_sandbox().await;
    let (c, _) = sandbox_client(&sb, ProgramKind::Affiliate);
    for lookup in [
        PartnerLookup::by_key("demo-partner"),
        PartnerLookup::by_email("DEMO-partner@example.com"),
        PartnerLookup::by_id("demo-partner-id"),
    ] {
        let partner = c.partners().look_up(&lookup).await.unwrap();
        assert_eq!(partner.id.as_deref(), Some("demo-partner-id"), "{lookup:?}");
    }
    assert_eq!(
        status_of(c.partners().look_up(&PartnerLookup::by_key("ghost")).await),
        404
    );
    // Nothing to look up by: refused before sending.
    assert!(matches!(
        c.partners().look_up(&PartnerLookup::default()).await,
        Err(partnero_client::Error::InvalidInput(_))
    ));
}

#[tokio::test]
async fn referral_links_page_through_the_partners_links() {
    let sb = demo_sandbox().await;
    let (c, _) = sandbox_client(&sb, ProgramKind::Affiliate);
    for key in ["spring", "summer", "autumn"] {
        c.partner_referral_links()
            .create(&NewReferralLink::for_partner_key(key, "demo-partner"))
            .await
            .unwrap();
    }
    let page = c
        .partners()
        .referral_links_page("demo-partner-id", ListParams::new().limit(2))
        .await
        .unwrap();
    assert_eq!(page.data.len(), 2);
    assert!(page.has_next());
    let all: Vec<_> = c
        .partners()
        .stream_referral_links("demo-partner-id", ListParams::new().limit(2))
        .try_collect()
        .await
        .unwrap();
    let keys: Vec<_> = all.iter().filter_map(|l| l.key.as_deref()).collect();
    assert_eq!(keys, ["demo-partner", "spring", "summer", "autumn"]);
    // The one-call form reads every page, beyond the default page size of 15.
    for n in 0..14 {
        c.partner_referral_links()
            .create(&NewReferralLink::for_partner_key(
                format!("extra-{n}"),
                "demo-partner",
            ))
            .await
            .unwrap();
    }
    let all = c
        .partners()
        .referral_links("demo-partner-id")
        .await
        .unwrap();
    assert_eq!(all.len(), 18);
    assert_eq!(all[17].key.as_deref(), Some("extra-13"));
}
