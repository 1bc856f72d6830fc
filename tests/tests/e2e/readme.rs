//! The README's first snippet, run as a new user would: a program made of it verbatim
//! (`tests/readme/axum.rs`), pointed at partnero-sandbox through the environment alone, gets an
//! attributed sign-up; a malformed setting stops it at start-up with a message naming it.

use std::process::Stdio;
use std::time::{Duration, Instant};

use partnero_sandbox::{ProgramKind, Sandbox, SandboxConfig};
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};

const README: &str = include_str!("../../../README.md");
const PROGRAM: &str = include_str!("../../readme/axum.rs");
const BIN: &str = env!("CARGO_BIN_EXE_readme-axum");

/// The README's first code block under `## axum`.
fn readme_snippet() -> &'static str {
    let section = &README[README.find("## axum").expect("an axum section")..];
    let start = section.find("```rust").expect("a rust block");
    let body = &section[start..];
    let body = &body[body.find('\n').expect("a fence line") + 1..];
    &body[..body.find("```").expect("a closing fence")]
}

#[test]
fn the_program_is_the_readme_snippet_verbatim() {
    let program: String = PROGRAM
        .lines()
        .skip_while(|l| l.starts_with("//!") || l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(program, readme_snippet());
}

/// The snippet's program with the environment a user sets (and nothing else of ours).
fn run(env: &[(&str, &str)]) -> Child {
    let mut command = Command::new(BIN);
    for var in ["PARTNERO_API_KEY", "PARTNERO_BASE_URL", "PARTNERO_PROGRAM"] {
        command.env_remove(var);
    }
    command
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the README program starts")
}

/// A free local address for the program to listen on.
fn free_addr() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

async fn stderr_of(child: &mut Child) -> String {
    let mut err = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut err).await;
    }
    err
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_snippet_gets_an_attributed_sign_up_from_the_environment_alone() {
    let sandbox = Sandbox::start(SandboxConfig::new().seed_demo(true))
        .await
        .unwrap();
    let key = sandbox.key_for(ProgramKind::Affiliate).unwrap();
    let base_url = sandbox.base_url();
    let addr = free_addr();
    let mut child = run(&[
        ("PARTNERO_API_KEY", key.as_str()),
        ("PARTNERO_BASE_URL", base_url.as_str()),
        ("ADDR", addr.as_str()),
    ]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while tokio::net::TcpStream::connect(&addr).await.is_err() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "the README program exited ({status}): {}",
                stderr_of(&mut child).await
            );
        }
        assert!(
            Instant::now() < deadline,
            "the README program never listened"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let answer = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .post(format!("http://{addr}/signup?aff=demo-partner"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    let body = answer.text().await.unwrap();
    assert!(body.starts_with("Ok(Attributed"), "{body}");
    let state = sandbox.state();
    let customer = state.customer(&key, "user-42").expect("user-42 created");
    assert_eq!(customer.email.as_deref(), Some("ann@example.com"));
    assert_eq!(
        customer.partner.as_ref().map(|p| p.key.as_str()),
        Some("demo-partner")
    );
    drop(state);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_setting_stops_the_readme_snippet_at_start_up_naming_it() {
    let sandbox = Sandbox::start(SandboxConfig::new()).await.unwrap();
    let key = sandbox.key_for(ProgramKind::Affiliate).unwrap();
    let base_url = sandbox.base_url();
    let addr = free_addr();
    for (env, named) in [
        (vec![("ADDR", addr.as_str())], "PARTNERO_API_KEY"),
        (
            vec![
                ("PARTNERO_API_KEY", key.as_str()),
                ("PARTNERO_BASE_URL", "127.0.0.1:4010/v1"),
                ("ADDR", addr.as_str()),
            ],
            "PARTNERO_BASE_URL",
        ),
        (
            vec![
                ("PARTNERO_API_KEY", "sk_wrong"),
                ("PARTNERO_BASE_URL", base_url.as_str()),
                ("ADDR", addr.as_str()),
            ],
            "rejected the API key (401): check PARTNERO_API_KEY",
        ),
    ] {
        let mut child = run(&env);
        let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
            .await
            .expect("it stops at start-up")
            .unwrap();
        let err = stderr_of(&mut child).await;
        assert!(!status.success(), "{named}: {err}");
        assert!(err.contains(named), "{named}: {err}");
        assert!(!err.contains("sk_wrong"), "the key is never printed: {err}");
    }
    sandbox.shutdown().await;
}
