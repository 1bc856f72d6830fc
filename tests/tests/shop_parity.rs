//! The axum and the actix shop answer alike: one table of requests (methods, paths, bodies,
//! bad input) through both, each with the status it must get, and the shop's own JSON errors
//! compared word for word.

use std::sync::Arc;

use partnero_examples::actix_shop::ActixShop;
use partnero_examples::axum_shop::AxumShop;
use partnero_examples::setup::{ProgramChoice, client_for_sandbox};
use partnero_examples::shop::{MAX_BODY_BYTES, Shop};
use partnero_sandbox::{Sandbox, SandboxConfig};
use reqwest::Method;

struct Case {
    method: Method,
    path: &'static str,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    status: u16,
}

fn case(method: Method, path: &'static str, status: u16) -> Case {
    Case {
        method,
        path,
        content_type: None,
        body: Vec::new(),
        status,
    }
}

fn with_body(mut case: Case, content_type: &'static str, body: impl Into<Vec<u8>>) -> Case {
    case.content_type = Some(content_type);
    case.body = body.into();
    case
}

fn cases() -> Vec<Case> {
    let json = "application/json";
    let form = "application/x-www-form-urlencoded";
    let huge = format!(
        r#"{{"email":"big@example.com","name":"{}"}}"#,
        "n".repeat(MAX_BODY_BYTES)
    );
    vec![
        case(Method::GET, "/", 200),
        case(Method::HEAD, "/", 200),
        case(Method::GET, "/signup", 200),
        case(Method::HEAD, "/signup", 200),
        case(Method::PUT, "/signup", 405),
        case(Method::GET, "/purchase", 405),
        case(Method::DELETE, "/refund", 405),
        case(Method::POST, "/dashboard", 405),
        case(Method::GET, "/no-such-page", 404),
        with_body(case(Method::POST, "/signup", 413), json, huge),
        with_body(case(Method::POST, "/signup", 400), json, "{not json"),
        with_body(
            case(Method::POST, "/signup", 400),
            json,
            r#"{"email":"a@b.c"}"#,
        ),
        with_body(case(Method::POST, "/signup", 400), form, "email=a%40b.c"),
        with_body(
            case(Method::POST, "/signup", 400),
            json,
            r#"{"email":"not-an-address","name":"Ann"}"#,
        ),
        with_body(
            case(Method::POST, "/purchase", 401),
            json,
            r#"{"order_id":"o1","amount":10}"#,
        ),
        with_body(
            case(Method::POST, "/purchase", 400),
            json,
            r#"{"order_id":"o1"}"#,
        ),
        with_body(
            case(Method::POST, "/refund", 401),
            json,
            r#"{"order_id":"o1"}"#,
        ),
        case(Method::GET, "/dashboard", 401),
    ]
}

/// The status and, for the shop's own JSON answers, the body.
async fn send(http: &reqwest::Client, base: &str, case: &Case) -> (u16, Option<serde_json::Value>) {
    let mut req = http
        .request(case.method.clone(), format!("{base}{}", case.path))
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
        );
    if let Some(content_type) = case.content_type {
        req = req
            .header("content-type", content_type)
            .body(case.body.clone());
    }
    let res = req.send().await.expect("the shop answers");
    let status = res.status().as_u16();
    let is_json = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    let body = res.bytes().await.expect("body");
    let json = if is_json {
        serde_json::from_slice(&body).ok()
    } else {
        None
    };
    (status, json)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_shops_answer_every_case_alike() {
    let sandbox = Sandbox::start(SandboxConfig::new().seed_demo(true))
        .await
        .expect("sandbox starts");
    let program = ProgramChoice::Affiliate;
    let axum = AxumShop::start(
        Arc::new(Shop::new("axum", program)),
        client_for_sandbox(&sandbox, program).unwrap(),
        0,
    )
    .await
    .expect("axum shop starts");
    let actix = ActixShop::start(
        Arc::new(Shop::new("actix", program)),
        client_for_sandbox(&sandbox, program).unwrap(),
        0,
        1,
    )
    .expect("actix shop starts");
    let http = reqwest::Client::builder().no_proxy().build().unwrap();

    let mut mismatches = Vec::new();
    for case in cases() {
        let on_axum = send(&http, &axum.url, &case).await;
        let on_actix = send(&http, &actix.url, &case).await;
        let what = format!("{} {}", case.method, case.path);
        if on_axum.0 != case.status || on_actix.0 != case.status {
            mismatches.push(format!(
                "{what}: expected {}, axum {}, actix {}",
                case.status, on_axum.0, on_actix.0
            ));
        }
        // The shop's own error answers (400, 401) are its JSON, the same on both.
        if matches!(case.status, 400 | 401) && on_axum.1 != on_actix.1 {
            mismatches.push(format!(
                "{what}: axum said {:?}, actix said {:?}",
                on_axum.1, on_actix.1
            ));
        }
        if matches!(case.status, 400 | 401) && on_axum.1.is_none() {
            mismatches.push(format!("{what}: no JSON error body"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));

    axum.stop();
    actix.stop().await;
    sandbox.shutdown().await;
}
