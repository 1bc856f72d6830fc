//! Which events a webhook may ask for: each program kind offers its own, and a name that is
//! not a documented event at all is refused (422, Partnero's validation envelope).

use partnero_sandbox::DEFAULT_NEWSLETTER_KEY as NEWS;
use serde_json::json;

use crate::common::{AFF, Api, RAF, assert_field_error};

/// (program key, accepted, refused).
const TABLE: [(&str, &[&str], &[&str]); 3] = [
    (
        AFF,
        &[
            "partner.created",
            "partner.updated",
            "partner.deleted",
            "partner.approved",
            "partner.rejected",
            "partner.archived",
            "customer.created",
            "customer.updated",
            "customer.deleted",
            "transaction.created",
            "transaction.updated",
            "transaction.deleted",
            "reward.created",
            "reward.approved",
            "reward.paid",
            "lead.submitted",
            "lead.converted",
            "lead.rejected",
        ],
        &[
            "customer.credited",
            "customer.rewarded",
            "subscriber.created",
            "subscriber.rewarded",
        ],
    ),
    (
        RAF,
        &[
            "customer.created",
            "customer.updated",
            "customer.deleted",
            "customer.credited",
            "customer.rewarded",
            "transaction.created",
            "transaction.updated",
            "transaction.deleted",
            "reward.created",
            "reward.approved",
            "reward.paid",
        ],
        &[
            "partner.created",
            "partner.archived",
            "lead.submitted",
            "lead.converted",
            "subscriber.updated",
        ],
    ),
    (
        NEWS,
        &[
            "subscriber.created",
            "subscriber.updated",
            "subscriber.deleted",
            "subscriber.rewarded",
        ],
        &[
            "partner.created",
            "customer.created",
            "customer.credited",
            "transaction.created",
            "reward.created",
            "lead.rejected",
        ],
    ),
];

/// Not documented events: refused by every kind.
const UNKNOWN: [&str; 4] = ["transaction.create", "Partner.Created", "*", ""];

#[tokio::test]
async fn each_program_kind_accepts_its_own_events_and_refuses_the_rest() {
    let api = Api::start().await;
    for (key, accepted, refused) in TABLE {
        for event in accepted {
            let hook = json!({"url": "https://hooks.test/x", "events": [event]});
            let (status, body) = api.post(key, "/webhooks", hook).await;
            assert_eq!(status, 201, "{key} {event}: {body}");
        }
        for event in refused.iter().chain(&UNKNOWN) {
            let hook = json!({"url": "https://hooks.test/x", "events": [event]});
            let answer = api.post(key, "/webhooks", hook).await;
            assert_field_error(&answer, "events.0");
        }
        assert_eq!(
            api.sandbox.state().webhooks(key).len(),
            accepted.len(),
            "{key}: nothing refused is stored"
        );
    }
}

#[tokio::test]
async fn the_error_names_each_refused_item_and_an_update_is_checked_too() {
    let api = Api::start().await;
    let hook = json!({
        "url": "https://hooks.test/x",
        "events": ["transaction.created", "partner.created", "transaction.create"],
    });
    let answer = api.post(RAF, "/webhooks", hook).await;
    assert_field_error(&answer, "events.1");
    assert_field_error(&answer, "events.2");
    let errors = answer.1["errors"].as_object().unwrap();
    assert_eq!(
        errors.keys().collect::<Vec<_>>(),
        ["events.1", "events.2"],
        "{errors:?}"
    );
    assert_eq!(
        errors["events.1"][0],
        "The partner.created event is not available for refer-a-friend programs."
    );
    assert_eq!(errors["events.2"][0], "The selected events.2 is invalid.");

    let hook = json!({"url": "https://hooks.test/x", "events": ["customer.created"]});
    let (status, body) = api.post(RAF, "/webhooks", hook).await;
    assert_eq!(status, 201);
    let path = format!("/webhooks/{}", body["data"]["key"].as_str().unwrap());
    for (update, field) in [
        (json!({"events": ["lead.submitted"]}), "events.0"),
        (
            json!({"update": {"events": ["customer.created", "nope"]}}),
            "events.1",
        ),
    ] {
        assert_field_error(&api.put(RAF, &path, update).await, field);
    }
    let (_, got) = api.get(RAF, &path).await;
    assert_eq!(
        got["data"]["events"],
        json!(["customer.created"]),
        "unchanged"
    );
    let update = json!({"update": {"events": ["customer.rewarded", "reward.created"]}});
    let (status, body) = api.put(RAF, &path, update).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["events"],
        json!(["customer.rewarded", "reward.created"])
    );
}
