//! Newsletter programs against partnero-sandbox: subscribers create (referred), get, list with
//! `refer_status`, stream, search, update and delete by body.

use futures_util::TryStreamExt;
use partnero_client::{NewSubscriber, SubscriberRef, SubscriberSearch, SubscriberUpdate};
use partnero_sandbox::ProgramKind;

use crate::support::{demo_sandbox, sandbox_client, status_of};

#[tokio::test]
async fn a_referred_subscriber_round_trip() {
    let sb = demo_sandbox().await;
    let (c, key) = sandbox_client(&sb, ProgramKind::Newsletter);
    assert_eq!(
        c.check_key()
            .await
            .unwrap()
            .program
            .and_then(|p| p.kind)
            .as_deref(),
        Some("newsletter")
    );
    let subs = c.subscribers();
    let ada = subs
        .create(
            &NewSubscriber::new("ada@example.com")
                .identifier("user-1")
                .name("Ada")
                .tos(true)
                .referred_by_email("demo-subscriber@example.com"),
        )
        .await
        .unwrap();
    assert!(ada.has_status("active"), "{:?}", ada.status);
    assert_eq!(
        ada.status.as_deref(),
        Some("Active"),
        "capitalised, as Partnero sends it"
    );
    assert_eq!(ada.tos, Some(true));
    assert_eq!(
        ada.extra["referring_subscriber"]["email"],
        "demo-subscriber@example.com"
    );
    for name in ["user-1", "ada@example.com", ada.id.as_deref().unwrap()] {
        assert_eq!(
            subs.get(name).await.unwrap().email.as_deref(),
            Some("ada@example.com")
        );
    }
    let referred = subs
        .list(&SubscriberSearch::new().refer_status("referred"))
        .await
        .unwrap();
    assert_eq!(referred.data.len(), 1);
    assert_eq!(
        referred.meta.per_page,
        Some(10),
        "Partnero's default page size"
    );
    let found = subs
        .search(&SubscriberSearch::new().email("ADA@example.com"))
        .await
        .unwrap();
    assert_eq!(found.data.len(), 1);

    let updated = subs
        .update(
            &SubscriberRef::by_email("ada@example.com"),
            &SubscriberUpdate::new().name("Ada L.").status("inactive"),
        )
        .await
        .unwrap();
    assert_eq!(updated.name.as_deref(), Some("Ada L."));
    assert_eq!(updated.status.as_deref(), Some("Inactive"));
    subs.delete(&SubscriberRef::by_id("user-1")).await.unwrap();
    assert_eq!(status_of(subs.get("user-1").await), 404);
    assert_eq!(
        status_of(subs.delete(&SubscriberRef::by_id("user-1")).await),
        404
    );
    assert_eq!(
        sb.state().program(&key).unwrap().extras.subscribers.len(),
        1
    );
}

#[tokio::test]
async fn validation_paging_and_program_kind() {
    let sb = demo_sandbox().await;
    let (c, _) = sandbox_client(&sb, ProgramKind::Newsletter);
    let subs = c.subscribers();
    for n in 0..12 {
        subs.create(&NewSubscriber::new(format!("s{n}@example.com")))
            .await
            .unwrap();
    }
    let all: Vec<_> = subs
        .stream(&SubscriberSearch::new().limit(10))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 13, "demo subscriber and twelve more");
    // Duplicate e-mail, bad e-mail: 422; unknown referrer: 400.
    let err = subs
        .create(&NewSubscriber::new("s0@example.com"))
        .await
        .unwrap_err();
    // A taken e-mail is a 422 on `email`, not a duplicate key (subscribers have no key).
    assert!(!err.is_duplicate(), "{err}");
    assert!(
        err.field_errors().is_some_and(|f| f.get("email").is_some()),
        "{err}"
    );
    assert_eq!(
        status_of(subs.create(&NewSubscriber::new("not-an-email")).await),
        422
    );
    assert_eq!(
        status_of(
            subs.create(
                &NewSubscriber::new("x@example.com").referred_by_email("ghost@example.com")
            )
            .await
        ),
        400
    );
    // Subscriber pages hold 10 to 250: checked before sending.
    assert!(matches!(
        subs.list(&SubscriberSearch::new().limit(5)).await,
        Err(partnero_client::Error::InvalidInput(_))
    ));
    // Subscribers are newsletter-only; a newsletter key has no customers.
    let (aff, _) = sandbox_client(&sb, ProgramKind::Affiliate);
    assert_eq!(status_of(aff.subscribers().get("1").await), 403);
    assert_eq!(status_of(c.customers().get("x").await), 403);
}
