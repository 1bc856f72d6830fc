//! The PHP SDK's body-addressed updates and deletes (`PUT /customers`, `PUT /partners`,
//! `DELETE /partners`, `DELETE /customers`): the same effects as the path forms.

use crate::common::{AFF, Api, RAF, assert_error, assert_field_error};
use serde_json::json;

#[tokio::test]
async fn customers_by_body_key_or_id() {
    let api = Api::start().await;
    api.referred_customer("p1", "p1@example.com", "c1").await;
    let (status, body) = api
        .put(
            AFF,
            "/customers",
            json!({"key": "c1", "update": {"name": "Renamed", "email": "c1@example.com"}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["name"], "Renamed");
    assert_eq!(
        api.sandbox
            .state()
            .customer(AFF, "c1")
            .and_then(|c| c.email.clone())
            .as_deref(),
        Some("c1@example.com")
    );
    // Unknown key: 404; no key: 422; no update: 422.
    assert_error(
        &api.put(
            AFF,
            "/customers",
            json!({"key": "nope", "update": {"name": "x"}}),
        )
        .await,
        404,
    );
    assert_field_error(
        &api.put(AFF, "/customers", json!({"update": {"name": "x"}}))
            .await,
        "key",
    );
    assert_error(&api.put(AFF, "/customers", json!({"key": "c1"})).await, 422);

    // Refer-a-friend customers can be named by their private id.
    let (status, _) = api
        .post(RAF, "/customers", json!({"key": "pub", "id": "priv"}))
        .await;
    assert_eq!(status, 201);
    let (status, body) = api
        .put(
            RAF,
            "/customers",
            json!({"id": "priv", "update": {"name": "Private"}}),
        )
        .await;
    assert_eq!((status, &body["data"]["name"]), (200, &json!("Private")));
    let (status, body) = api
        .delete_with(RAF, "/customers", json!({"id": "priv"}))
        .await;
    assert_eq!((status, body), (200, json!({"status": 1})));
    assert!(api.sandbox.state().customer(RAF, "pub").is_none());
}

#[tokio::test]
async fn partners_by_body_key_or_email() {
    let api = Api::start().await;
    api.partner("p1", "p1@example.com").await;
    api.partner("p2", "p2@example.com").await;
    let (status, body) = api
        .put(
            AFF,
            "/partners",
            json!({"key": "p1", "update": {"name": "One", "surname": "First"}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["name"], "One");
    let (status, body) = api
        .put(
            AFF,
            "/partners",
            json!({"email": "P2@example.com", "update": {"name": "Two"}}),
        )
        .await;
    assert_eq!((status, &body["data"]["key"]), (200, &json!("p2")));
    // The top-level key names the partner; it is not a change of key.
    assert_eq!(
        api.sandbox
            .state()
            .partner_by_key(AFF, "p1")
            .and_then(|p| p.name.clone())
            .as_deref(),
        Some("One")
    );
    assert_field_error(
        &api.put(AFF, "/partners", json!({"key": "p1"})).await,
        "update",
    );
    assert_error(
        &api.put(AFF, "/partners", json!({"key": "ghost", "update": {}}))
            .await,
        404,
    );
    assert_field_error(&api.delete_with(AFF, "/partners", json!({})).await, "key");

    let (status, body) = api
        .delete_with(AFF, "/partners", json!({"email": "p2@example.com"}))
        .await;
    assert_eq!((status, body), (200, json!({"status": 1})));
    let (status, body) = api
        .delete_with(AFF, "/partners", json!({"key": "p1"}))
        .await;
    assert_eq!((status, body), (200, json!({"status": 1})));
    assert!(api.sandbox.state().partners(AFF).is_empty());
    // Partners belong to affiliate programs only.
    assert_error(
        &api.delete_with(RAF, "/partners", json!({"key": "p1"}))
            .await,
        403,
    );
}
