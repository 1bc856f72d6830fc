//! Customers beyond CRUD against partnero-sandbox: archive and revoke-archive,
//! `customers:invite` with personalization, a customer's referral links.

use futures_util::TryStreamExt;
use partnero_client::{
    CustomerInvite, CustomerSearch, ListParams, NewCustomer, NewReferralLink, TransactionSearch,
};
use partnero_sandbox::ProgramKind;

use crate::support::{demo_sandbox, sandbox_client, status_of};

#[tokio::test]
async fn archive_and_revoke_archive() {
    let sb = demo_sandbox().await;
    let (c, key) = sandbox_client(&sb, ProgramKind::ReferAFriend);
    c.customers()
        .create(&NewCustomer::new("ada"))
        .await
        .unwrap();
    c.customers().archive("ada").await.unwrap();
    assert!(
        c.customers()
            .get("ada")
            .await
            .unwrap()
            .has_status("archived")
    );
    let uid = sb.state().customer(&key, "ada").unwrap().uid;
    assert!(
        sb.state()
            .program(&key)
            .unwrap()
            .extras
            .archived_customers
            .contains(&uid)
    );
    c.customers().revoke_archive("ada").await.unwrap();
    assert!(c.customers().get("ada").await.unwrap().has_status("active"));
    assert_eq!(status_of(c.customers().archive("nobody").await), 404);
}

#[tokio::test]
async fn invite_creates_the_customer_with_its_personalization() {
    let sb = demo_sandbox().await;
    let (c, key) = sandbox_client(&sb, ProgramKind::ReferAFriend);
    let invite = CustomerInvite::new(
        NewCustomer::new("grace")
            .email("grace@example.com")
            .referring_customer_key("demo-referrer"),
    )
    .personalization("first_name", "Grace");
    let customer = c.customers().invite(&invite).await.unwrap();
    assert_eq!(customer.key.as_deref(), Some("grace"));
    assert_eq!(customer.email.as_deref(), Some("grace@example.com"));
    let state = sb.state();
    assert_eq!(state.referrer_of(&key, "grace"), Some("demo-referrer"));
    let invitations = &state.program(&key).unwrap().extras.invitations;
    assert_eq!(invitations.len(), 1);
    assert_eq!(invitations[0].customer_key, "grace");
    assert_eq!(invitations[0].personalization["first_name"], "Grace");
    // Inviting again the same e-mail reuses the customer.
    c.customers().invite(&invite).await.unwrap();
    let state = sb.state();
    assert_eq!(state.customers(&key).len(), 2, "demo-referrer and grace");
    // An invitation needs an e-mail: 422 on `email`.
    let err = c
        .customers()
        .invite(&CustomerInvite::new(NewCustomer::new("no-mail")))
        .await
        .unwrap_err();
    assert!(err.field_errors().unwrap().contains_key("email"), "{err}");
}

#[tokio::test]
async fn a_customers_referral_links_page_and_stream() {
    let sb = demo_sandbox().await;
    let (c, _) = sandbox_client(&sb, ProgramKind::ReferAFriend);
    for key in ["extra-1", "extra-2"] {
        c.customer_referral_links()
            .create(&NewReferralLink::for_customer_key(key, "demo-referrer"))
            .await
            .unwrap();
    }
    let page = c
        .customers()
        .referral_links("demo-referrer", ListParams::new().limit(2))
        .await
        .unwrap();
    assert_eq!(page.data.len(), 2);
    assert_eq!(page.data[0].is_default, Some(true));
    assert!(
        page.data[0]
            .url
            .as_deref()
            .unwrap()
            .ends_with("?ref=demo-referrer")
    );
    assert!(page.has_next());
    let all: Vec<_> = c
        .customers()
        .stream_referral_links("demo-referrer", ListParams::new().limit(1))
        .try_collect()
        .await
        .unwrap();
    let keys: Vec<_> = all.iter().filter_map(|l| l.key.as_deref()).collect();
    assert_eq!(keys, ["demo-referrer", "extra-1", "extra-2"]);
    assert_eq!(
        status_of(
            c.customers()
                .referral_links("ghost", ListParams::new())
                .await
        ),
        404
    );
    // Customers' referral links belong to refer-a-friend programs.
    let (aff, _) = sandbox_client(&sb, ProgramKind::Affiliate);
    assert_eq!(
        status_of(aff.customers().referral_links("x", ListParams::new()).await),
        403
    );
}

#[tokio::test]
async fn list_filters_by_refer_status_and_partner() {
    let sb = demo_sandbox().await;
    let (c, _) = sandbox_client(&sb, ProgramKind::ReferAFriend);
    c.customers()
        .create(&NewCustomer::new("organic"))
        .await
        .unwrap();
    c.customers()
        .create(&NewCustomer::new("friend").referring_customer_key("demo-referrer"))
        .await
        .unwrap();
    let keys = |page: partnero_client::Page<partnero_client::Customer>| {
        page.data
            .into_iter()
            .filter_map(|c| c.key)
            .collect::<Vec<_>>()
    };
    let referred = c
        .customers()
        .list_matching(&CustomerSearch::new().refer_status("referred"))
        .await
        .unwrap();
    assert_eq!(keys(referred), ["friend"]);
    let organic: Vec<_> = c
        .customers()
        .stream_matching(&CustomerSearch::new().refer_status("non_referred").limit(1))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(organic.len(), 2, "demo-referrer and organic");

    let (aff, _) = sandbox_client(&sb, ProgramKind::Affiliate);
    aff.customers()
        .create(&NewCustomer::new("by-partner").partner_key("demo-partner"))
        .await
        .unwrap();
    let page = aff
        .customers()
        .list_matching(&CustomerSearch::new().partner_key("demo-partner"))
        .await
        .unwrap();
    assert_eq!(keys(page), ["by-partner"]);
    let page = aff
        .customers()
        .list_matching(&CustomerSearch::new().partner_key("someone-else"))
        .await
        .unwrap();
    assert!(page.data.is_empty());
}

#[tokio::test]
async fn transactions_and_customers_filter_by_partner() {
    let sb = demo_sandbox().await;
    let (c, _) = sandbox_client(&sb, ProgramKind::Affiliate);
    c.partners()
        .create(&partnero_client::NewPartner::new("other@example.com").key("other"))
        .await
        .unwrap();
    for (customer, partner) in [("c1", "demo-partner"), ("c2", "other")] {
        c.customers()
            .create(&NewCustomer::new(customer).partner_key(partner))
            .await
            .unwrap();
        c.sale(
            customer,
            partnero_client::Sale::new(10.into()).key(format!("t-{customer}")),
        )
        .await
        .unwrap();
    }
    let keys = |page: partnero_client::Page<partnero_client::Transaction>| {
        page.data
            .into_iter()
            .filter_map(|t| t.key)
            .collect::<Vec<_>>()
    };
    let tx = c.transactions();
    let by_partner = tx
        .list_matching(&TransactionSearch::new().partner_key("other"))
        .await
        .unwrap();
    assert_eq!(keys(by_partner), ["t-c2"]);
    let by_email = tx
        .list_matching(&TransactionSearch::new().partner_email("demo-partner@example.com"))
        .await
        .unwrap();
    assert_eq!(keys(by_email), ["t-c1"]);
    let by_customer: Vec<_> = tx
        .stream_matching(&TransactionSearch::new().customer_key("c2"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(by_customer.len(), 1);
    assert_eq!(
        keys(
            tx.list_matching(&TransactionSearch::new().key("t-c1"))
                .await
                .unwrap()
        ),
        ["t-c1"]
    );
    let customers = c
        .customers()
        .list_matching(&CustomerSearch::new().partner_email("other@example.com"))
        .await
        .unwrap();
    assert_eq!(customers.data.len(), 1);
    assert_eq!(customers.data[0].key.as_deref(), Some("c2"));
}
