//! The change feed beyond partners, customers and transactions: leads, subscribers, partner
//! archives and manual rewards, each delivered once with the `data` the matching GET (or, for a
//! reward, the creating request) answers.

use partnero_sandbox::DEFAULT_NEWSLETTER_KEY;
use serde_json::{Value, json};

use crate::common::{AFF, Api};
use crate::webhooks::{Received, SETTLE, events, hmac_hex, receiver, register_on};

/// Registers a webhook of the program `key` for `events` at `url`; returns its secret.
async fn subscribe(api: &Api, key: &str, url: &str, events: &[&str]) -> String {
    register_on(api, key, url, events).await.1
}

/// Every delivery, checked against `secret`, as (event, data), sorted by event then `id_of`.
fn delivered(got: &Received, secret: &str, id_of: fn(&Value) -> String) -> Vec<(String, Value)> {
    for (sig, body) in got.lock().unwrap().iter() {
        assert_eq!(sig, &hmac_hex(secret, body));
    }
    let mut out: Vec<(String, Value)> = events(got)
        .into_iter()
        .map(|e| (e["event"].as_str().unwrap().to_owned(), e["data"].clone()))
        .collect();
    out.sort_by_key(|(event, data)| (event.clone(), id_of(data)));
    out
}

fn names(delivered: &[(String, Value)], id_of: fn(&Value) -> String) -> Vec<(String, String)> {
    delivered
        .iter()
        .map(|(event, data)| (event.clone(), id_of(data)))
        .collect()
}

fn pairs(want: &[(&str, &str)]) -> Vec<(String, String)> {
    want.iter()
        .map(|(e, k)| (e.to_string(), k.to_string()))
        .collect()
}

fn data_of<'d>(
    delivered: &'d [(String, Value)],
    event: &str,
    id: &str,
    id_of: fn(&Value) -> String,
) -> &'d Value {
    &delivered
        .iter()
        .find(|(e, d)| e == event && id_of(d) == id)
        .unwrap_or_else(|| panic!("{event} {id} in {delivered:#?}"))
        .1
}

/// A lead's id, or the lead id a lead's reward names.
fn lead_id(data: &Value) -> String {
    data["id"]
        .as_u64()
        .or(data["lead"]["id"].as_u64())
        .map(|id| id.to_string())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_lead_is_submitted_converted_or_rejected_once_and_its_commission_is_a_reward() {
    let api = Api::start().await;
    let partner = api.partner("pat", "pat@example.com").await;
    let (url, got) = receiver(vec![]).await;
    let secret = subscribe(
        &api,
        AFF,
        &url,
        &[
            "lead.submitted",
            "lead.converted",
            "lead.rejected",
            "reward.created",
            "partner.updated",
        ],
    )
    .await;
    let mut ids = Vec::new();
    for email in ["a@example.com", "b@example.com", "c@example.com"] {
        let lead = json!({"partner": {"key": "pat"}, "name": "L", "email": email});
        let (status, body) = api.post(AFF, "/leads", lead).await;
        assert_eq!(status, 201, "{body}");
        ids.push(body["data"]["id"].as_u64().unwrap().to_string());
    }
    let (a, b, c) = (ids[0].as_str(), ids[1].as_str(), ids[2].as_str());
    let convert = json!({"id": a.parse::<u64>().unwrap(), "commission_transaction_amount": 100});
    assert_eq!(
        api.post(AFF, "/leads/convert", convert.clone()).await.0,
        200
    );
    // Refused: nothing changes, nothing is delivered.
    assert_eq!(api.post(AFF, "/leads/convert", convert).await.0, 422);
    assert_eq!(
        api.post(AFF, "/leads/reject", json!({"id": a})).await.0,
        422
    );
    assert_eq!(
        api.post(AFF, "/leads/reject", json!({"id": b})).await.0,
        200
    );
    // A deletion has no documented event.
    assert_eq!(api.delete(AFF, &format!("/leads/{c}")).await.0, 200);
    api.sandbox.webhooks_settled(SETTLE).await;

    let delivered = delivered(&got, &secret, lead_id);
    assert_eq!(
        names(&delivered, lead_id),
        pairs(&[
            ("lead.converted", a),
            ("lead.rejected", b),
            ("lead.submitted", a),
            ("lead.submitted", b),
            ("lead.submitted", c),
            // The commission; the partner's balance is not a partner.updated.
            ("reward.created", a),
        ])
    );
    for (event, id) in [("lead.converted", a), ("lead.rejected", b)] {
        let (status, got) = api.get(AFF, &format!("/leads/{id}")).await;
        assert_eq!(status, 200);
        assert_eq!(
            data_of(&delivered, event, id, lead_id),
            &got["data"],
            "{event}"
        );
    }
    let submitted = data_of(&delivered, "lead.submitted", c, lead_id);
    assert_eq!(submitted["status"], "pending");
    assert_eq!(submitted["email"], "c@example.com");
    assert_eq!(submitted["partner"]["key"], "pat");
    let reward = data_of(&delivered, "reward.created", a, lead_id);
    assert_eq!(reward["amount"], 20.0, "20% of 100");
    assert_eq!(
        reward["partner"],
        json!({"id": partner["id"], "key": "pat"})
    );
    assert_eq!(api.sandbox.webhook_deliveries().len(), 6, "once each");
}

/// A partner's pending lead, and a receiver of `lead.converted` and `reward.created`: (what it
/// got, its secret, the lead's id).
async fn a_watched_lead(api: &Api) -> (Received, String, Value) {
    api.partner("pat", "pat@example.com").await;
    let (url, got) = receiver(vec![]).await;
    let secret = subscribe(api, AFF, &url, &["lead.converted", "reward.created"]).await;
    let lead = json!({"partner": {"key": "pat"}});
    let id = api.post(AFF, "/leads", lead).await.1["data"]["id"].clone();
    (got, secret, id)
}

#[tokio::test]
async fn a_lead_converted_without_a_sale_pays_no_reward() {
    let api = Api::start().await;
    let (got, secret, id) = a_watched_lead(&api).await;
    let id_text = id.to_string();
    assert_eq!(
        api.post(AFF, "/leads/convert", json!({"id": id})).await.0,
        200
    );
    api.sandbox.webhooks_settled(SETTLE).await;
    let delivered = delivered(&got, &secret, lead_id);
    assert_eq!(
        names(&delivered, lead_id),
        pairs(&[("lead.converted", id_text.as_str())])
    );
    assert_eq!(delivered[0].1["commission"], 0.0);
}

fn email(data: &Value) -> String {
    data["email"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_subscriber_lifecycle_is_delivered_on_the_newsletter_key() {
    const NEWS: &str = DEFAULT_NEWSLETTER_KEY;
    let api = Api::start().await;
    let (url, got) = receiver(vec![]).await;
    let secret = subscribe(
        &api,
        NEWS,
        &url,
        &[
            "subscriber.created",
            "subscriber.updated",
            "subscriber.deleted",
            "subscriber.rewarded",
        ],
    )
    .await;
    let one = json!({"email": "one@example.com", "name": "One"});
    assert_eq!(api.post(NEWS, "/subscribers", one).await.0, 201);
    // A referral changes the referrer's `referrals_count`, not the referrer.
    let two = json!({"email": "two@example.com", "referral": {"email": "one@example.com"}});
    assert_eq!(api.post(NEWS, "/subscribers", two).await.0, 201);
    let rename =
        json!({"email": "two@example.com", "update": {"name": "Two", "status": "inactive"}});
    assert_eq!(api.put(NEWS, "/subscribers", rename).await.0, 200);
    let (status, two_now) = api.get(NEWS, "/subscribers/two@example.com").await;
    assert_eq!(status, 200);
    let gone = json!({"email": "two@example.com"});
    assert_eq!(api.delete_with(NEWS, "/subscribers", gone).await.0, 200);
    api.sandbox.webhooks_settled(SETTLE).await;

    let delivered = delivered(&got, &secret, email);
    assert_eq!(
        names(&delivered, email),
        pairs(&[
            ("subscriber.created", "one@example.com"),
            ("subscriber.created", "two@example.com"),
            ("subscriber.deleted", "two@example.com"),
            ("subscriber.updated", "two@example.com"),
        ])
    );
    let updated = data_of(&delivered, "subscriber.updated", "two@example.com", email);
    assert_eq!(updated, &two_now["data"]);
    assert_eq!(updated["status"], "Inactive");
    assert_eq!(
        data_of(&delivered, "subscriber.deleted", "two@example.com", email),
        &two_now["data"],
        "the subscriber as last seen"
    );
    let created = data_of(&delivered, "subscriber.created", "two@example.com", email);
    assert_eq!(created["referring_subscriber"]["email"], "one@example.com");
}

fn partner_or_customer(data: &Value) -> String {
    data["key"]
        .as_str()
        .or(data["partner"]["key"].as_str())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn archives_and_manual_rewards_are_delivered_once() {
    let api = Api::start().await;
    let partner = api
        .referred_customer("pat", "pat@example.com", "cust-1")
        .await;
    let id = partner["id"].as_str().unwrap().to_owned();
    let (url, got) = receiver(vec![]).await;
    let secret = subscribe(
        &api,
        AFF,
        &url,
        &[
            "partner.archived",
            "partner.updated",
            "reward.created",
            "customer.updated",
        ],
    )
    .await;
    let archive = format!("/partners/{id}/archive");
    assert_eq!(api.post_empty(AFF, &archive).await.0, 200);
    let (_, archived) = api.get(AFF, &format!("/partners/{id}")).await;
    // Archiving an archived partner changes nothing.
    assert_eq!(api.post_empty(AFF, &archive).await.0, 200);
    let reward = json!({"amount": 12.5, "date": "2025-05-09", "note": "webinar"});
    let (status, rewarded) = api
        .post(AFF, &format!("/partners/{id}/reward"), reward)
        .await;
    assert_eq!(status, 201, "{rewarded}");
    let revoke = format!("/partners/{id}/revoke-archive");
    assert_eq!(api.post_empty(AFF, &revoke).await.0, 200);
    let (_, restored) = api.get(AFF, &format!("/partners/{id}")).await;
    assert_eq!(
        api.post_empty(AFF, "/customers/cust-1/archive").await.0,
        200
    );
    let (_, customer) = api.get(AFF, "/customers/cust-1").await;
    api.sandbox.webhooks_settled(SETTLE).await;

    let delivered = delivered(&got, &secret, partner_or_customer);
    assert_eq!(
        names(&delivered, partner_or_customer),
        pairs(&[
            ("customer.updated", "cust-1"),
            ("partner.archived", "pat"),
            ("partner.updated", "pat"),
            ("reward.created", "pat"),
        ])
    );
    let data = |event| data_of(&delivered, event, "", |_| String::new());
    assert_eq!(archived["data"]["status"], "archived");
    assert_eq!(data("partner.archived"), &archived["data"]);
    assert_eq!(restored["data"]["status"], "active");
    assert_eq!(data("partner.updated"), &restored["data"]);
    assert_eq!(data("reward.created"), &rewarded["data"]);
    assert_eq!(customer["data"]["status"], "archived");
    assert_eq!(data("customer.updated"), &customer["data"]);
}

#[tokio::test]
async fn concurrent_conversions_of_one_lead_deliver_one_conversion_and_one_reward() {
    let api = Api::start().await;
    let (got, secret, id) = a_watched_lead(&api).await;
    let convert = || {
        let body = json!({"id": id, "commission_transaction_amount": 50});
        api.post(AFF, "/leads/convert", body)
    };
    let answers = tokio::join!(convert(), convert(), convert(), convert());
    let mut statuses = [answers.0.0, answers.1.0, answers.2.0, answers.3.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 422, 422, 422]);
    api.sandbox.webhooks_settled(SETTLE).await;
    let id_text = id.to_string();
    assert_eq!(
        names(&delivered(&got, &secret, lead_id), lead_id),
        pairs(&[
            ("lead.converted", id_text.as_str()),
            ("reward.created", id_text.as_str())
        ])
    );
}
