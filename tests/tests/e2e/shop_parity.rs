//! The axum and the actix shop answer alike: one table of requests (methods, paths, bodies,
//! bad input) through both, each with the status it must get, and the shop's own JSON errors
//! compared word for word. And both servers give up on clients that send half a request.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use partnero_examples::journey::RunningShop;
use partnero_examples::setup::{ProgramChoice, client_for_sandbox};
use partnero_examples::shop::{MAX_BODY_BYTES, ShopOptions, TempDir, Timeouts};
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
    let (axum, _axum_dir) = start(&sandbox, "axum", Timeouts::default()).await;
    let (actix, _actix_dir) = start(&sandbox, "actix", Timeouts::default()).await;
    let http = reqwest::Client::builder().no_proxy().build().unwrap();

    let mut mismatches = Vec::new();
    for case in cases() {
        let on_axum = send(&http, axum.url(), &case).await;
        let on_actix = send(&http, actix.url(), &case).await;
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

    axum.stop().await;
    actix.stop().await;
    sandbox.shutdown().await;
}

/// An affiliate shop on `framework`, its database in a temporary directory (removed when the
/// returned `TempDir` is dropped).
async fn start(sandbox: &Sandbox, framework: &str, timeouts: Timeouts) -> (RunningShop, TempDir) {
    let program = ProgramChoice::Affiliate;
    let (dir, options) = ShopOptions::temporary().unwrap();
    let shop = RunningShop::start(
        framework,
        program,
        client_for_sandbox(sandbox, program).unwrap(),
        &options.timeouts(timeouts),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    (shop, dir)
}

/// The server timeouts in the tests below.
const TIMEOUT: Duration = Duration::from_secs(1);

/// How a raw connection ended.
#[derive(Debug, PartialEq, Eq)]
enum Ended {
    /// The server answered with this status (and then closed, or not).
    Status(u16),
    /// The server closed the connection without answering.
    Closed,
}

/// Opens a raw connection to `url`, writes `sent`, and waits (at most 3 x the timeout, plus
/// a second for a loaded machine) for the server to answer or close. Panics when it does
/// neither: the server would have waited forever.
fn half_request(url: &str, sent: &[u8]) -> (Ended, Duration) {
    let addr = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).expect("connects");
    let limit = TIMEOUT * 3 + Duration::from_secs(1);
    stream.set_read_timeout(Some(limit)).unwrap();
    let started = Instant::now();
    stream.write_all(sent).expect("writes");
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                answer.extend_from_slice(&buf[..n]);
                // The status line is enough: a server may keep the connection open a little
                // after answering.
                if answer.windows(2).any(|w| w == b"\r\n") {
                    break;
                }
            }
            // A reset after the server gave up counts as closed.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!(
                "{url}: neither an answer nor a close after {:?} ({e}); sent {:?}",
                started.elapsed(),
                String::from_utf8_lossy(sent)
            ),
        }
    }
    let elapsed = started.elapsed();
    let text = String::from_utf8_lossy(&answer);
    let ended = match text.strip_prefix("HTTP/1.1 ") {
        Some(rest) => Ended::Status(rest[..3].parse().expect("a status code")),
        None if answer.is_empty() => Ended::Closed,
        None => panic!("{url}: unexpected bytes {text:?}"),
    };
    (ended, elapsed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_shops_give_up_on_half_sent_requests() {
    let sandbox = Sandbox::start(SandboxConfig::new().seed_demo(true))
        .await
        .expect("sandbox starts");
    for framework in ["axum", "actix"] {
        let (shop, _dir) = start(&sandbox, framework, Timeouts::all(TIMEOUT)).await;
        let url = shop.url().to_owned();
        let cases: [(&str, &[u8], &[Ended]); 4] = [
            // Connected, nothing sent (an idle connection).
            ("nothing", b"", &[Ended::Closed, Ended::Status(408)]),
            // Half a head: the header timeout.
            (
                "half a head",
                b"POST /signup HTTP/1.1\r\nHost: shop\r\nContent-Ty",
                &[Ended::Closed, Ended::Status(408)],
            ),
            // A whole head, a tenth of the body it announces: the body timeout.
            (
                "half a body",
                b"POST /signup HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\":",
                &[Ended::Status(408)],
            ),
            // A body announced far over the cap: refused at once, never waited for.
            (
                "a huge announced body",
                b"POST /signup HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n{",
                &[Ended::Status(413), Ended::Status(408), Ended::Closed],
            ),
        ];
        for (what, sent, allowed) in cases {
            let (ended, elapsed) = tokio::task::spawn_blocking({
                let url = url.clone();
                move || half_request(&url, sent)
            })
            .await
            .unwrap();
            assert!(
                allowed.contains(&ended),
                "{framework}, {what}: {ended:?} after {elapsed:?}, expected one of {allowed:?}"
            );
        }
        // The server still serves whole requests.
        let res = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .get(format!("{url}/"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200, "{framework}");
        shop.stop().await;
    }
    sandbox.shutdown().await;
}
