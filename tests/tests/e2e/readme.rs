//! The README's first snippets, run as a new user would: a program made of each verbatim
//! (`tests/readme/axum.rs`, `tests/readme/actix.rs`), pointed at partnero-sandbox through the
//! environment alone, gets an attributed sign-up; a malformed setting stops it at start-up with
//! a message naming it.

use std::process::Stdio;
use std::time::{Duration, Instant};

use partnero_sandbox::{ProgramKind, Sandbox, SandboxConfig};
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};

const README: &str = include_str!("../../../README.md");

/// A README snippet and the program made of it.
struct Snippet {
    /// The README section whose first code block it is.
    section: &'static str,
    program: &'static str,
    bin: &'static str,
}

const SNIPPETS: [Snippet; 2] = [
    Snippet {
        section: "## axum",
        program: include_str!("../../readme/axum.rs"),
        bin: env!("CARGO_BIN_EXE_readme-axum"),
    },
    Snippet {
        section: "## actix-web",
        program: include_str!("../../readme/actix.rs"),
        bin: env!("CARGO_BIN_EXE_readme-actix"),
    },
];

/// The first code block under `section`.
fn readme_snippet(section: &str) -> &'static str {
    let section = &README[README.find(section).expect("the section")..];
    let start = section.find("```rust").expect("a rust block");
    let body = &section[start..];
    let body = &body[body.find('\n').expect("a fence line") + 1..];
    &body[..body.find("```").expect("a closing fence")]
}

#[test]
fn the_programs_are_the_readme_snippets_verbatim() {
    for snippet in &SNIPPETS {
        let program: String = snippet
            .program
            .lines()
            .skip_while(|l| l.starts_with("//!") || l.is_empty())
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(
            program,
            readme_snippet(snippet.section),
            "{}",
            snippet.section
        );
    }
}

/// A snippet's program with the environment a user sets (and nothing else of ours).
fn run(bin: &str, env: &[(&str, &str)]) -> Child {
    let mut command = Command::new(bin);
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
async fn the_readme_snippets_get_an_attributed_sign_up_from_the_environment_alone() {
    for snippet in &SNIPPETS {
        // A Partnero of its own for each program, so each creates its customer itself.
        let sandbox = Sandbox::start(SandboxConfig::new().seed_demo(true))
            .await
            .unwrap();
        let key = sandbox.key_for(ProgramKind::Affiliate).unwrap();
        let base_url = sandbox.base_url();
        let addr = free_addr();
        let mut child = run(
            snippet.bin,
            &[
                ("PARTNERO_API_KEY", key.as_str()),
                ("PARTNERO_BASE_URL", base_url.as_str()),
                ("ADDR", addr.as_str()),
            ],
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        while tokio::net::TcpStream::connect(&addr).await.is_err() {
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "the {} program exited ({status}): {}",
                    snippet.section,
                    stderr_of(&mut child).await
                );
            }
            assert!(
                Instant::now() < deadline,
                "the {} program never listened",
                snippet.section
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
        assert_eq!(answer.status().as_u16(), 200, "{}", snippet.section);
        let body = answer.text().await.unwrap();
        assert!(
            body.starts_with("Ok(Attributed"),
            "{}: {body}",
            snippet.section
        );
        let state = sandbox.state();
        let customer = state.customer(&key, "user-42").expect("user-42 created");
        assert_eq!(customer.email.as_deref(), Some("ann@example.com"));
        assert_eq!(
            customer.partner.as_ref().map(|p| p.key.as_str()),
            Some("demo-partner")
        );
        drop(state);
        let _ = child.kill().await;
        sandbox.shutdown().await;
    }
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
        for snippet in &SNIPPETS {
            let mut child = run(snippet.bin, &env);
            let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
                .await
                .expect("it stops at start-up")
                .unwrap();
            let err = stderr_of(&mut child).await;
            let section = snippet.section;
            assert!(!status.success(), "{section} {named}: {err}");
            assert!(err.contains(named), "{section} {named}: {err}");
            assert!(
                !err.contains("sk_wrong"),
                "{section}: the key is never printed: {err}"
            );
        }
    }
    sandbox.shutdown().await;
}
