//! A real browser: headless Chromium, driven over WebDriver, opens a referral link on the axum
//! shop, submits the sign-up form, and the sandbox must hold that customer attributed to the
//! partner. This is the cookie round trip exactly as a browser does it: the server-set cookie
//! with `SameSite=Lax` and `Secure` on `http://127.0.0.1` (a potentially trustworthy origin), not
//! `HttpOnly`, so page scripts such as PartneroJS can read it.
//!
//! Needs `chromium` and `chromedriver` (Debian: `apt-get install chromium chromium-driver`;
//! `.ci/run` installs them). Without them the test prints a loud SKIPPED line, or fails when
//! `PARTNERO_REQUIRE_BROWSER` is set (as in CI).

use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use partnero_examples::journey::{self, RunningShop};
use partnero_examples::setup::{ProgramChoice, client_for_sandbox};
use partnero_examples::shop::ShopOptions;
use partnero_sandbox::{Sandbox, SandboxConfig};

/// A desktop Chrome user agent.
const DESKTOP_CHROME: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";

/// The first of `names` found on `PATH` (or the path in `env`, when set).
fn find_program(env: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env) {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Skips loudly (written past the test harness's output capture), or fails when the browser
/// is required.
fn skip(reason: &str) {
    if std::env::var_os("PARTNERO_REQUIRE_BROWSER").is_some() {
        panic!("the browser test is required (PARTNERO_REQUIRE_BROWSER is set) but {reason}");
    }
    let banner = format!(
        "\n!!! SKIPPED the real-browser test: {reason}.\n!!! Install it with `apt-get install chromium chromium-driver` (CI does), or set PARTNERO_REQUIRE_BROWSER=1 to make this a failure.\n\n"
    );
    let _ = std::io::stderr().lock().write_all(banner.as_bytes());
}

/// Kills the driver when the test ends, however it ends.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn wait_for_port(port: u16) -> bool {
    for _ in 0..150 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_browser_carries_the_referral_from_link_to_sign_up() {
    let Some(chromium) = find_program(
        "CHROMIUM",
        &["chromium", "chromium-browser", "google-chrome"],
    ) else {
        return skip("chromium is not installed");
    };
    let Some(chromedriver) = find_program("CHROMEDRIVER", &["chromedriver"]) else {
        return skip("chromedriver is not installed");
    };

    let sandbox = Sandbox::start(SandboxConfig::new().seed_demo(true))
        .await
        .unwrap();
    let program = ProgramChoice::Affiliate;
    let api_key = sandbox.key_for(program.sandbox_kind()).unwrap();
    let (_dir, options) = ShopOptions::temporary().unwrap();
    let shop = RunningShop::start(
        "axum",
        program,
        client_for_sandbox(&sandbox, program).unwrap(),
        &options,
    )
    .await
    .unwrap();

    let port = free_port();
    let driver = Driver(
        Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromedriver.display())),
    );
    assert!(
        wait_for_port(port).await,
        "chromedriver did not listen on port {port} within 15 s"
    );

    let profile =
        std::env::temp_dir().join(format!("partnero-browser-{}-{port}", std::process::id()));
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                // Headless Chromium says "HeadlessChrome" in its user agent, which the default
                // crawler list (rightly) refuses to give a referral cookie: browse as a person would.
                format!("--user-agent={DESKTOP_CHROME}"),
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    let browser = ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a WebDriver session with headless Chromium");

    // 1. The referral link: the shop answers with a server-set cookie; the page shows the key.
    browser
        .goto(&format!(
            "{}/?aff=demo-partner&utm_source=partner-blog",
            shop.url()
        ))
        .await
        .unwrap();
    let greeting = browser
        .find(Locator::Id("referral"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        greeting.contains("demo-partner"),
        "landing page says: {greeting}"
    );
    let cookie = browser
        .get_named_cookie("partnero_partner")
        .await
        .expect("the browser kept the referral cookie");
    assert_eq!(cookie.value(), "demo-partner");
    assert_eq!(
        cookie.secure(),
        Some(true),
        "Secure, and still kept on http://127.0.0.1"
    );
    assert_eq!(cookie.same_site(), Some(cookie::SameSite::Lax));
    let script_view = browser
        .execute("return document.cookie", vec![])
        .await
        .unwrap();
    assert!(
        script_view
            .as_str()
            .is_some_and(|c| c.contains("partnero_partner=demo-partner")),
        "not HttpOnly: page scripts (PartneroJS) can read it; document.cookie = {script_view}"
    );

    // 2. Another page, without the parameter: the sign-up form, submitted as a person would.
    browser
        .goto(&format!("{}/signup", shop.url()))
        .await
        .unwrap();
    browser
        .find(Locator::Id("email"))
        .await
        .unwrap()
        .send_keys("browser-visitor@example.com")
        .await
        .unwrap();
    browser
        .find(Locator::Id("name"))
        .await
        .unwrap()
        .send_keys("Browser Visitor")
        .await
        .unwrap();
    browser
        .find(Locator::Id("submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The form posts to `/signup`, the URL of the form itself: wait for the answer's content,
    // not for a URL or an element the form page also has (bounded: 15 s).
    let mut answer = String::new();
    for _ in 0..150 {
        answer = browser.source().await.unwrap();
        if answer.contains("user_id") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        answer.contains("queued") && answer.contains("demo-partner"),
        "sign-up answer: {answer}"
    );

    // 3. The shop's dispatcher delivers it: the sandbox holds the customer, attributed to the
    // partner from the link.
    let is_visitor =
        |c: &&partnero_sandbox::Customer| c.email.as_deref() == Some("browser-visitor@example.com");
    journey::wait_for(
        "browser sign-up",
        || "the browser's customer".into(),
        || {
            sandbox
                .state()
                .customers(&api_key)
                .iter()
                .any(|c| is_visitor(&c))
        },
    )
    .await
    .unwrap();
    let state = sandbox.state();
    let customer = state
        .customers(&api_key)
        .iter()
        .find(is_visitor)
        .expect("the sandbox holds the browser's customer");
    assert_eq!(
        customer.partner.as_ref().map(|p| p.key.as_str()),
        Some("demo-partner")
    );
    drop(state);

    browser.close().await.unwrap();
    drop(driver);
    shop.stop().await;
    sandbox.shutdown().await;
    let _ = std::fs::remove_dir_all(profile);
}
