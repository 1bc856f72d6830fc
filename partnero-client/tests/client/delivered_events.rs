//! What partnero-sandbox delivers for leads, manual rewards, partner archives and subscribers,
//! verified by `WebhookReceiver` and decoded to the typed `WebhookEvent` variants (never
//! `Unknown`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use partnero_client::{
    LeadConversion, NewLead, NewSubscriber, NewWebhook, PartnerReward, SubscriberRef,
    SubscriberUpdate, WebhookDelivery, WebhookEvent, WebhookReceiver,
};
use partnero_sandbox::ProgramKind;
use rust_decimal::Decimal;

use crate::support::{demo_sandbox, sandbox_client};

#[tokio::test]
async fn every_event_the_sandbox_delivers_decodes_to_its_typed_variant() {
    let sb = demo_sandbox().await;
    let (aff, _) = sandbox_client(&sb, ProgramKind::Affiliate);
    let (news, _) = sandbox_client(&sb, ProgramKind::Newsletter);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let aff_events = [
        "lead.submitted",
        "lead.converted",
        "lead.rejected",
        "reward.created",
        "partner.archived",
        "partner.updated",
    ];
    let news_events = [
        "subscriber.created",
        "subscriber.updated",
        "subscriber.deleted",
    ];
    let mut secrets = Vec::new();
    for (client, events) in [(&aff, &aff_events[..]), (&news, &news_events[..])] {
        let hook = events
            .iter()
            .fold(NewWebhook::new("typed", url.clone()), |w, e| w.event(*e));
        let created = client.webhooks().create(&hook).await.unwrap();
        secrets.push(created.signature.unwrap());
    }
    let receiver = WebhookReceiver::with_secrets(secrets);
    let received: Arc<Mutex<Vec<WebhookDelivery>>> = Arc::default();
    let got = Arc::clone(&received);
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| async move {
            let signature = headers.get("signature").map(|v| v.as_bytes());
            match receiver.receive(signature, &body) {
                Ok(delivery) => {
                    got.lock().unwrap().push(delivery);
                    StatusCode::OK
                }
                Err(_) => StatusCode::UNAUTHORIZED,
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });

    let leads = aff.leads();
    let converted = leads
        .create(&NewLead::for_partner_key("demo-partner").email("a@example.com"))
        .await
        .unwrap();
    let rejected = leads
        .create(&NewLead::for_partner_key("demo-partner").email("b@example.com"))
        .await
        .unwrap();
    let sale = Decimal::new(200, 0);
    let conversion = LeadConversion::new(converted.id.unwrap()).commission_transaction_amount(sale);
    leads.convert(&conversion).await.unwrap();
    leads.reject(rejected.id.unwrap()).await.unwrap();
    let partners = aff.partners();
    partners.archive("demo-partner-id").await.unwrap();
    let bonus = PartnerReward::new(Decimal::new(1250, 2)).note("webinar");
    partners.reward("demo-partner-id", &bonus).await.unwrap();
    partners.revoke_archive("demo-partner-id").await.unwrap();
    let subscribers = news.subscribers();
    subscribers
        .create(&NewSubscriber::new("ada@example.com").name("Ada"))
        .await
        .unwrap();
    let ada = SubscriberRef::by_email("ada@example.com");
    subscribers
        .update(&ada, &SubscriberUpdate::new().name("Ada L."))
        .await
        .unwrap();
    subscribers.delete(&ada).await.unwrap();
    sb.webhooks_settled(Duration::from_secs(30)).await;

    let received = std::mem::take(&mut *received.lock().unwrap());
    let mut names: Vec<&str> = received.iter().map(|d| d.event.name()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "lead.converted",
            "lead.rejected",
            "lead.submitted",
            "lead.submitted",
            "partner.archived",
            "partner.updated",
            "reward.created",
            "reward.created",
            "subscriber.created",
            "subscriber.deleted",
            "subscriber.updated",
        ],
        "every delivery verified and received once"
    );
    let mut rewards = Vec::new();
    for delivery in received.iter() {
        match &delivery.event {
            WebhookEvent::LeadSubmitted(lead) | WebhookEvent::LeadRejected(lead) => {
                assert!(lead.id.is_some());
                let partner = lead.partner.as_ref().and_then(|p| p.key.as_deref());
                assert_eq!(partner, Some("demo-partner"));
            }
            WebhookEvent::LeadConverted(lead) => {
                assert_eq!(lead.id, converted.id);
                assert_eq!(lead.commission, Some(Decimal::new(40, 0)));
            }
            WebhookEvent::RewardCreated(reward) => {
                let partner = reward.partner.as_ref().and_then(|p| p.key.as_deref());
                assert_eq!(partner, Some("demo-partner"));
                rewards.push(reward.amount.unwrap());
            }
            WebhookEvent::PartnerArchived(partner) => {
                assert_eq!(partner.status.as_deref(), Some("archived"));
            }
            WebhookEvent::PartnerUpdated(partner) => {
                assert_eq!(partner.status.as_deref(), Some("active"));
            }
            WebhookEvent::SubscriberCreated(s)
            | WebhookEvent::SubscriberUpdated(s)
            | WebhookEvent::SubscriberDeleted(s) => {
                assert_eq!(s.email.as_deref(), Some("ada@example.com"));
            }
            other => panic!("not the typed variant: {other:?}"),
        }
    }
    rewards.sort_unstable();
    assert_eq!(
        rewards,
        [Decimal::new(1250, 2), Decimal::new(40, 0)],
        "the manual reward and the lead's commission (20% of 200)"
    );
    sb.shutdown().await;
}
