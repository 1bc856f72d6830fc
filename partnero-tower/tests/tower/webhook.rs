//! `VerifiedWebhook` on an axum `Router`: the receiver from the router's state (`FromRef`, no
//! layer), from an `Extension` layer (the default form), and that each form reads only its own
//! source.

use axum::body::Body;
use axum::extract::{FromRef, State};
use axum::http::{Request, StatusCode};
use axum::response::Response;
use axum::routing::post;
use axum::{Extension, Router};
use http_body_util::BodyExt;
use partnero_client::webhook_signature::sign;
use partnero_tower::{VerifiedWebhook, WebhookEvent, WebhookReceiver};
use tower::ServiceExt;

const SECRET: &str = "whsec_state";
const SALE: &str = r#"{"event":"transaction.created","data":{"key":"order-7","amount":49.99}}"#;

/// An app state that carries the receiver next to the app's own data.
#[derive(Clone)]
struct AppState {
    webhooks: WebhookReceiver,
    shop: &'static str,
}

impl FromRef<AppState> for WebhookReceiver {
    fn from_ref(state: &AppState) -> Self {
        state.webhooks.clone()
    }
}

impl FromRef<AppState> for &'static str {
    fn from_ref(state: &AppState) -> Self {
        state.shop
    }
}

fn app_state(secret: &str) -> AppState {
    AppState {
        webhooks: WebhookReceiver::new(secret),
        shop: "demo-shop",
    }
}

/// The variant and the key of a verified delivery.
fn describe(webhook: &VerifiedWebhook<impl Sized>) -> String {
    match &webhook.event {
        WebhookEvent::TransactionCreated(tx) => {
            format!("sale:{}", tx.key.as_deref().unwrap_or("-"))
        }
        other => format!("other:{}", other.name()),
    }
}

async fn from_state(
    State(shop): State<&'static str>,
    webhook: VerifiedWebhook<WebhookReceiver>,
) -> String {
    format!("{shop}|{}", describe(&webhook))
}

async fn from_extension(webhook: VerifiedWebhook) -> String {
    describe(&webhook)
}

fn delivery(body: &str, signature: Option<String>) -> Request<Body> {
    let mut req = Request::post("/hook").header("content-type", "application/json");
    if let Some(sig) = signature {
        req = req.header("Signature", sig);
    }
    req.body(Body::from(body.to_owned())).unwrap()
}

fn signed(secret: &str, body: &str) -> Request<Body> {
    delivery(body, Some(sign(secret, body.as_bytes())))
}

/// The body signed as is, then one byte changed.
fn tampered(secret: &str) -> Request<Body> {
    let signature = sign(secret, SALE.as_bytes());
    delivery(&SALE.replace("49.99", "99.99"), Some(signature))
}

async fn answer(res: Response) -> (StatusCode, String) {
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

async fn call(app: &Router, req: Request<Body>) -> (StatusCode, String) {
    answer(app.clone().oneshot(req).await.unwrap()).await
}

fn state_app(state: AppState) -> Router {
    Router::new()
        .route("/hook", post(from_state))
        .with_state(state)
}

#[tokio::test]
async fn the_receiver_from_state_verifies_without_any_layer() {
    let app = state_app(app_state(SECRET));

    assert_eq!(
        call(&app, signed(SECRET, SALE)).await,
        (StatusCode::OK, "demo-shop|sale:order-7".to_owned())
    );

    // Tampered, unsigned, wrong secret: the opaque 401, nothing more.
    for req in [
        tampered(SECRET),
        delivery(SALE, None),
        signed("whsec_guess", SALE),
    ] {
        let res = app.clone().oneshot(req).await.unwrap();
        assert_eq!(
            res.headers()["content-type"],
            "text/plain; charset=utf-8",
            "opaque rejection"
        );
        assert_eq!(
            answer(res).await,
            (StatusCode::UNAUTHORIZED, "unauthorized".to_owned())
        );
    }
}

#[tokio::test]
async fn the_state_receiver_keeps_its_limit_and_its_rotation() {
    let state = AppState {
        webhooks: WebhookReceiver::new(SECRET)
            .also_accept("whsec_old")
            .body_limit(64),
        shop: "demo-shop",
    };
    let app = state_app(state.clone());
    let small = r#"{"event":"customer.created","data":{"key":"u1"}}"#;
    assert_eq!(
        call(&app, signed("whsec_old", small)).await,
        (
            StatusCode::OK,
            "demo-shop|other:customer.created".to_owned()
        )
    );
    assert_eq!(call(&app, signed(SECRET, SALE)).await.0, 413);

    // A rotation made on the state's receiver after the router was built is seen.
    state.webhooks.set_secrets(["whsec_next"]);
    assert_eq!(call(&app, signed("whsec_old", small)).await.0, 401);
    assert_eq!(call(&app, signed("whsec_next", small)).await.0, 200);
}

#[tokio::test]
async fn a_state_that_is_the_receiver_works_too() {
    let app = Router::new()
        .route(
            "/hook",
            post(|webhook: VerifiedWebhook<WebhookReceiver>| async move { describe(&webhook) }),
        )
        .with_state(WebhookReceiver::new(SECRET));
    assert_eq!(
        call(&app, signed(SECRET, SALE)).await,
        (StatusCode::OK, "sale:order-7".to_owned())
    );
    assert_eq!(call(&app, tampered(SECRET)).await.0, 401);
}

/// Two programs, two secrets in one state: a newtype per receiver picks each route's.
#[tokio::test]
async fn newtypes_pick_one_of_several_receivers_in_the_state() {
    #[derive(Clone)]
    struct Receivers {
        shop: ShopHooks,
        saas: SaasHooks,
    }
    #[derive(Clone)]
    struct ShopHooks(WebhookReceiver);
    #[derive(Clone)]
    struct SaasHooks(WebhookReceiver);
    impl From<ShopHooks> for WebhookReceiver {
        fn from(hooks: ShopHooks) -> Self {
            hooks.0
        }
    }
    impl From<SaasHooks> for WebhookReceiver {
        fn from(hooks: SaasHooks) -> Self {
            hooks.0
        }
    }
    impl FromRef<Receivers> for ShopHooks {
        fn from_ref(state: &Receivers) -> Self {
            state.shop.clone()
        }
    }
    impl FromRef<Receivers> for SaasHooks {
        fn from_ref(state: &Receivers) -> Self {
            state.saas.clone()
        }
    }

    let app = Router::new()
        .route(
            "/shop",
            post(|w: VerifiedWebhook<ShopHooks>| async move { describe(&w) }),
        )
        .route(
            "/saas",
            post(|w: VerifiedWebhook<SaasHooks>| async move { describe(&w) }),
        )
        .with_state(Receivers {
            shop: ShopHooks(WebhookReceiver::new("whsec_shop")),
            saas: SaasHooks(WebhookReceiver::new("whsec_saas")),
        });
    let to = |path: &str, secret: &str| {
        let mut req = signed(secret, SALE);
        *req.uri_mut() = path.parse().unwrap();
        req
    };
    assert_eq!(call(&app, to("/shop", "whsec_shop")).await.0, 200);
    assert_eq!(call(&app, to("/saas", "whsec_saas")).await.0, 200);
    assert_eq!(call(&app, to("/shop", "whsec_saas")).await.0, 401);
    assert_eq!(call(&app, to("/saas", "whsec_shop")).await.0, 401);
}

#[tokio::test]
async fn the_extension_form_still_works_with_or_without_a_state() {
    // No state at all, as in the README and the example shop.
    let plain: Router = Router::new()
        .route("/hook", post(from_extension))
        .layer(Extension(WebhookReceiver::new(SECRET)));
    // A state that carries no receiver: the default form does not need one.
    let stateful = Router::new()
        .route(
            "/hook",
            post(|State(n): State<u32>, w: VerifiedWebhook| async move {
                format!("{n}|{}", describe(&w))
            }),
        )
        .layer(Extension(WebhookReceiver::new(SECRET)))
        .with_state(7_u32);

    assert_eq!(
        call(&plain, signed(SECRET, SALE)).await,
        (StatusCode::OK, "sale:order-7".to_owned())
    );
    assert_eq!(
        call(&stateful, signed(SECRET, SALE)).await,
        (StatusCode::OK, "7|sale:order-7".to_owned())
    );
    for app in [&plain, &stateful] {
        assert_eq!(
            call(app, tampered(SECRET)).await,
            (StatusCode::UNAUTHORIZED, "unauthorized".to_owned())
        );
    }
}

#[tokio::test]
async fn each_form_reads_only_its_own_source() {
    // The state form ignores an `Extension` receiver: the state's secret decides.
    let app = Router::new()
        .route("/hook", post(from_state))
        .layer(Extension(WebhookReceiver::new("whsec_extension")))
        .with_state(app_state(SECRET));
    assert_eq!(call(&app, signed(SECRET, SALE)).await.0, 200);
    assert_eq!(call(&app, signed("whsec_extension", SALE)).await.0, 401);

    // The default form ignores a receiver in the state: without the layer it is the
    // wiring mistake (500), never a silent pass.
    let app = Router::new()
        .route("/hook", post(from_extension))
        .with_state(WebhookReceiver::new(SECRET));
    assert_eq!(
        call(&app, signed(SECRET, SALE)).await,
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal server error".to_owned()
        )
    );
}
