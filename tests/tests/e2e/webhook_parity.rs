//! One table of webhook deliveries (signed, tampered, unsigned, oversized, malformed, wrong
//! secret, rotated, unknown event) run through both extractors: axum's and actix-web's
//! `VerifiedWebhook` must give the same status and body, and what the table says. axum's is run
//! twice, with the receiver from an `Extension` layer and from the router's state.

use actix_web::test as actix_test;
use axum::body::Body;
use http_body_util::BodyExt;
use partnero_client::webhook_signature::sign;
use partnero_client::{WebhookDelivery, WebhookEvent, WebhookReceiver};
use tower::ServiceExt;

const SECRET: &str = "whsec_current";
const OLD_SECRET: &str = "whsec_previous";
const SALE: &str = r#"{"event":"transaction.created","url":"http://127.0.0.1/hook","webhook_key":"wh_1","created_at":"2025-05-07T10:30:00.000000Z","data":{"key":"order-1","amount":49.99}}"#;

struct Case {
    name: &'static str,
    receiver: Option<WebhookReceiver>,
    body: Vec<u8>,
    signature: Option<String>,
    /// The status and the first part of the body both adapters must answer.
    status: u16,
    answer: &'static str,
}

fn case(name: &'static str, body: impl Into<Vec<u8>>, signature: Option<String>) -> Case {
    Case {
        name,
        receiver: Some(WebhookReceiver::new(SECRET)),
        body: body.into(),
        signature,
        status: 200,
        answer: "",
    }
}

impl Case {
    fn answers(mut self, status: u16, answer: &'static str) -> Self {
        self.status = status;
        self.answer = answer;
        self
    }

    fn receiver(mut self, receiver: Option<WebhookReceiver>) -> Self {
        self.receiver = receiver;
        self
    }
}

fn signed(secret: &str, body: &str) -> Option<String> {
    Some(sign(secret, body.as_bytes()))
}

fn cases() -> Vec<Case> {
    let big = format!(
        r#"{{"event":"customer.updated","data":{{"pad":"{}"}}}}"#,
        "x".repeat(1024 * 1024)
    );
    let rotation = || Some(WebhookReceiver::new(SECRET).also_accept(OLD_SECRET));
    vec![
        case("signed", SALE, signed(SECRET, SALE)).answers(200, "TransactionCreated|order-1"),
        case(
            "upper-case hex",
            SALE,
            signed(SECRET, SALE).map(|s| s.to_uppercase()),
        )
        .answers(200, "TransactionCreated|order-1"),
        case(
            "tampered body",
            SALE.replace("49.99", "4999.00"),
            signed(SECRET, SALE),
        )
        .answers(401, "unauthorized"),
        case("unsigned", SALE, None).answers(401, "unauthorized"),
        case("empty signature", SALE, Some(String::new())).answers(401, "unauthorized"),
        case("signature not hex", SALE, Some("zz-not-hex".into())).answers(401, "unauthorized"),
        case("wrong secret", SALE, signed("whsec_guess", SALE)).answers(401, "unauthorized"),
        case("old secret, no rotation", SALE, signed(OLD_SECRET, SALE))
            .answers(401, "unauthorized"),
        case("rotated: old secret", SALE, signed(OLD_SECRET, SALE))
            .receiver(rotation())
            .answers(200, "TransactionCreated|order-1"),
        case("rotated: new secret", SALE, signed(SECRET, SALE))
            .receiver(rotation())
            .answers(200, "TransactionCreated|order-1"),
        case(
            "oversized (1 MiB + a little), signed",
            big.clone(),
            signed(SECRET, &big),
        )
        .answers(413, "payload too large"),
        case("oversized, unsigned", big, None).answers(413, "payload too large"),
        case("over a custom limit", SALE, signed(SECRET, SALE))
            .receiver(Some(WebhookReceiver::new(SECRET).body_limit(64)))
            .answers(413, "payload too large"),
        case("signed, not JSON", "not json", signed(SECRET, "not json"))
            .answers(400, "bad request"),
        case(
            "signed, no event",
            r#"{"data":{}}"#,
            signed(SECRET, r#"{"data":{}}"#),
        )
        .answers(400, "bad request"),
        case(
            "unknown event",
            r#"{"event":"payout.sent","data":{"id":7}}"#,
            signed(SECRET, r#"{"event":"payout.sent","data":{"id":7}}"#),
        )
        .answers(200, "Unknown:payout.sent|"),
        case(
            "known event, odd data",
            r#"{"event":"transaction.created","data":null}"#,
            signed(SECRET, r#"{"event":"transaction.created","data":null}"#),
        )
        .answers(200, "Unknown:transaction.created|"),
        case("empty body", "", signed(SECRET, "")).answers(400, "bad request"),
        case("no receiver configured", SALE, signed(SECRET, SALE))
            .receiver(None)
            .answers(500, "internal server error"),
    ]
}

/// What the handler answers for a verified delivery: the variant, the key and the id.
fn describe(delivery: &WebhookDelivery) -> String {
    let kind = match &delivery.event {
        WebhookEvent::TransactionCreated(_) => "TransactionCreated".to_owned(),
        WebhookEvent::Unknown { event, .. } => format!("Unknown:{event}"),
        other => format!("{other:?}"),
    };
    let key = delivery
        .event
        .transaction()
        .and_then(|t| t.key.clone())
        .unwrap_or_default();
    format!("{kind}|{key}|{}", delivery.id)
}

async fn through_axum(case: &Case) -> (u16, String) {
    use axum::{Extension, Router, routing::post};
    use partnero_tower::VerifiedWebhook;

    async fn show(webhook: VerifiedWebhook) -> String {
        describe(&webhook)
    }
    let mut app = Router::new().route("/hook", post(show));
    if let Some(receiver) = &case.receiver {
        app = app.layer(Extension(receiver.clone()));
    }
    post_to(app, case).await
}

/// `case`'s delivery POSTed to `/hook` of an axum `app`: the status and the body.
async fn post_to(app: axum::Router, case: &Case) -> (u16, String) {
    let mut req = http::Request::post("/hook").header("content-type", "application/json");
    if let Some(sig) = &case.signature {
        req = req.header("Signature", sig);
    }
    let res = app
        .oneshot(req.body(Body::from(case.body.clone())).unwrap())
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// The same delivery through axum's other form, `VerifiedWebhook<WebhookReceiver>`, with the
/// receiver in the router's state (`FromRef`) and no layer. `None` for the rows without a
/// receiver: that form does not compile without one.
async fn through_axum_state(case: &Case) -> Option<(u16, String)> {
    use axum::{Router, routing::post};
    use partnero_tower::VerifiedWebhook;

    async fn show(webhook: VerifiedWebhook<WebhookReceiver>) -> String {
        describe(&webhook)
    }
    let app = Router::new()
        .route("/hook", post(show))
        .with_state(case.receiver.clone()?);
    Some(post_to(app, case).await)
}

async fn through_actix(case: &Case) -> (u16, String) {
    use actix_web::{App, web};
    use partnero_actix::VerifiedWebhook;

    async fn show(webhook: VerifiedWebhook) -> String {
        describe(&webhook)
    }
    let mut app = App::new().route("/hook", web::post().to(show));
    if let Some(receiver) = &case.receiver {
        // Half the rows as plain app data, half in `web::Data`: both are read.
        app = if case.name.len() % 2 == 0 {
            app.app_data(receiver.clone())
        } else {
            app.app_data(web::Data::new(receiver.clone()))
        };
    }
    let app = actix_test::init_service(app).await;
    let mut req = actix_test::TestRequest::post()
        .uri("/hook")
        .insert_header(("content-type", "application/json"))
        .set_payload(case.body.clone());
    if let Some(sig) = &case.signature {
        req = req.insert_header(("Signature", sig.as_str()));
    }
    let res = actix_test::call_service(&app, req.to_request()).await;
    let status = res.status().as_u16();
    let body = actix_test::read_body(res).await;
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[actix_web::test]
async fn both_extractors_answer_every_delivery_alike() {
    let mut failures = Vec::new();
    for case in cases() {
        let axum = through_axum(&case).await;
        let actix = through_actix(&case).await;
        let from_state = through_axum_state(&case).await;
        if let Some(from_state) = from_state.filter(|from_state| *from_state != axum) {
            failures.push(format!(
                "{}: axum's forms differ\n  extension: {axum:?}\n  state:     {from_state:?}",
                case.name
            ));
        }
        if axum != actix {
            failures.push(format!(
                "{}: adapters differ\n  axum:  {axum:?}\n  actix: {actix:?}",
                case.name
            ));
            continue;
        }
        if axum.0 != case.status || !axum.1.starts_with(case.answer) {
            failures.push(format!(
                "{}: expected {} {:?}, got {axum:?}",
                case.name, case.status, case.answer
            ));
        }
        if case.status != 200 && axum.1 != case.answer {
            failures.push(format!("{}: rejection not opaque: {:?}", case.name, axum.1));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
