//! Configuration, the handle, webhooks, the state dump, shutdown and the binary.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::{AFF, Api, RAF, assert_error, assert_field_error, client};
use partnero_sandbox::{ProgramKind, Sandbox, SandboxConfig};
use serde_json::json;

#[tokio::test]
async fn default_config_has_one_key_of_each_kind() {
    let api = Api::start().await;
    let s = &api.sandbox;
    assert_eq!(
        s.keys(),
        vec![
            (AFF.to_owned(), ProgramKind::Affiliate),
            (RAF.to_owned(), ProgramKind::ReferAFriend),
            (
                partnero_sandbox::DEFAULT_NEWSLETTER_KEY.to_owned(),
                ProgramKind::Newsletter
            )
        ]
    );
    assert_eq!(s.key_for(ProgramKind::Affiliate).as_deref(), Some(AFF));
    assert_eq!(s.key_for(ProgramKind::ReferAFriend).as_deref(), Some(RAF));
    assert_eq!(
        s.base_url(),
        format!("http://127.0.0.1:{}/v1", s.addr().port())
    );
    assert!(s.addr().ip().is_loopback());
    assert_ne!(s.addr().port(), 0);
    assert!(
        s.state().partners(AFF).is_empty(),
        "no demo data by default"
    );
}

#[tokio::test]
async fn custom_keys_replace_the_defaults_and_programs_are_separate() {
    let config = SandboxConfig::new()
        .api_key("k_aff_1", ProgramKind::Affiliate)
        .api_key("k_aff_2", ProgramKind::Affiliate)
        .api_key("k_raf", ProgramKind::ReferAFriend)
        .seed_demo(true);
    let api = Api::start_with(config).await;
    assert_eq!(api.sandbox.keys().len(), 3);
    assert_eq!(api.get(AFF, "/test").await.0, 401, "default keys are gone");
    assert_eq!(
        api.get("k_aff_2", "/test").await.1["data"]["program"]["type"],
        "affiliate"
    );
    assert_eq!(
        api.get("k_raf", "/test").await.1["data"]["program"]["type"],
        "refer_a_friend"
    );
    // Demo data in every program of each kind.
    let state = api.sandbox.state();
    for key in ["k_aff_1", "k_aff_2"] {
        let demo = state
            .partner_by_key(key, "demo-partner")
            .expect("demo partner");
        assert_eq!(demo.email, "demo-partner@example.com");
        assert!(state.partner_by_id(key, &demo.id).is_some());
    }
    assert!(state.customer("k_raf", "demo-referrer").is_some());
    // Data is per key.
    let (status, _) = api
        .post(
            "k_aff_1",
            "/customers",
            json!({"key": "c", "partner": {"key": "demo-partner"}}),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(api.get("k_aff_1", "/customers/c").await.0, 200);
    assert_eq!(api.get("k_aff_2", "/customers/c").await.0, 404);
}

#[tokio::test]
async fn webhooks_crud() {
    let api = Api::start().await;
    let (status, body) = api
        .post(AFF, "/webhooks", json!({"name": "Sales", "url": "https://hooks.test/partnero", "events": ["transaction.created", "transaction.deleted"]}))
        .await;
    assert_eq!(status, 201, "{body}");
    let key = body["data"]["key"].as_str().expect("key").to_owned();
    let secret = body["data"]["signature"]
        .as_str()
        .expect("signature")
        .to_owned();
    assert!(key.len() >= 8 && secret.len() >= 32);
    assert_eq!(body["data"]["is_active"], true);
    let (status, got) = api.get(AFF, &format!("/webhooks/{key}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        got["data"]["events"],
        json!(["transaction.created", "transaction.deleted"])
    );
    assert_eq!(got["data"]["signature"], secret.as_str());
    let (status, list) = api.get(AFF, "/webhooks").await;
    assert_eq!(status, 200);
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1));
    assert!(
        api.get(RAF, "/webhooks").await.1["data"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );

    let (status, updated) = api
        .put(
            AFF,
            &format!("/webhooks/{key}"),
            json!({"is_active": false, "name": "Off"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(updated["data"]["is_active"], false);
    assert_eq!(updated["data"]["name"], "Off");
    assert_eq!(updated["data"]["url"], "https://hooks.test/partnero");
    assert_field_error(
        &api.put(AFF, &format!("/webhooks/{key}"), json!({"url": "ftp://x"}))
            .await,
        "url",
    );
    assert_field_error(
        &api.put(AFF, &format!("/webhooks/{key}"), json!({"events": []}))
            .await,
        "events",
    );
    assert_eq!(api.sandbox.state().webhooks(AFF)[0].name, "Off");

    assert_field_error(
        &api.post(AFF, "/webhooks", json!({"events": ["a"]})).await,
        "url",
    );
    assert_field_error(
        &api.post(AFF, "/webhooks", json!({"url": "https://x.test"}))
            .await,
        "events",
    );
    assert_field_error(
        &api.post(
            AFF,
            "/webhooks",
            json!({"url": "https://x.test", "events": []}),
        )
        .await,
        "events",
    );
    assert_field_error(
        &api.post(
            AFF,
            "/webhooks",
            json!({"url": "https://x.test", "events": ["a"], "is_active": "yes"}),
        )
        .await,
        "is_active",
    );

    let (status, body) = api.delete(AFF, &format!("/webhooks/{key}")).await;
    assert_eq!((status, body), (200, json!({"status": 1})));
    assert_error(&api.get(AFF, &format!("/webhooks/{key}")).await, 404);
    assert_error(&api.delete(AFF, &format!("/webhooks/{key}")).await, 404);
    assert_error(
        &api.put(AFF, &format!("/webhooks/{key}"), json!({"name": "x"}))
            .await,
        404,
    );
}

#[tokio::test]
async fn state_dump_and_state_reset_over_http() {
    let api = Api::start_with(SandboxConfig::new().seed_demo(true)).await;
    api.post(
        AFF,
        "/customers",
        json!({"key": "c1", "partner": {"key": "demo-partner"}}),
    )
    .await;
    api.post(
        AFF,
        "/transactions",
        json!({"customer": {"key": "c1"}, "key": "t1", "amount": 10}),
    )
    .await;
    let (status, dump) = api.admin_get("/state").await;
    assert_eq!(status, 200);
    let program = &dump["data"]["programs"][AFF];
    assert_eq!(program["kind"], "affiliate");
    assert_eq!(program["customers"][0]["key"], "c1");
    assert_eq!(program["transactions"][0]["amount"], json!(10));
    assert_eq!(program["partners"][0]["balance"], json!(2));
    assert_eq!(
        api.sandbox.state().to_json()["programs"][AFF]["customers"][0]["key"],
        "c1"
    );

    let (status, _) = api.admin_post("/reset", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(
        api.sandbox.state().customers(AFF).len(),
        1,
        "plain reset keeps data"
    );
    let resp = client()
        .post(api.admin_url("/reset?state=true"))
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status().as_u16(), 200);
    let state = api.sandbox.state();
    assert!(state.customers(AFF).is_empty());
    assert!(
        state.partner_by_key(AFF, "demo-partner").is_some(),
        "demo data is seeded again"
    );
    api.sandbox.reset_state();
    assert!(api.sandbox.state().transactions(AFF).is_empty());
}

#[tokio::test]
async fn fixed_port_and_clean_shutdown() {
    // Find a free port, then ask for it explicitly.
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("probe");
    let port = probe.local_addr().expect("addr").port();
    drop(probe);
    let sandbox = Sandbox::start(SandboxConfig::new().port(port))
        .await
        .expect("start");
    assert_eq!(sandbox.addr().port(), port);
    let url = format!("{}/test", sandbox.base_url());
    let c = client();
    assert_eq!(
        c.get(&url)
            .bearer_auth(AFF)
            .send()
            .await
            .expect("ok")
            .status()
            .as_u16(),
        200
    );
    // A second sandbox cannot take the same port.
    assert!(
        Sandbox::start(SandboxConfig::new().port(port))
            .await
            .is_err()
    );
    tokio::time::timeout(Duration::from_secs(10), sandbox.shutdown())
        .await
        .expect("shuts down in time");
    let err = client().get(&url).send().await.expect_err("server is gone");
    assert!(err.is_connect(), "{err}");
    // The port is free again.
    let again = Sandbox::start(SandboxConfig::new().port(port))
        .await
        .expect("restart on the same port");
    drop(again);
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let sandbox = Sandbox::start(SandboxConfig::new()).await.expect("start");
    let url = format!("{}/test", sandbox.base_url());
    drop(sandbox);
    let mut refused = false;
    for _ in 0..100 {
        if let Err(err) = client().get(&url).send().await {
            refused = err.is_connect();
            if refused {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "the listener is closed after drop");
}

#[tokio::test]
async fn shutdown_lets_an_in_flight_request_finish() {
    let api = Api::start().await;
    api.sandbox.faults().latency(Duration::from_millis(300));
    let url = api.url("/test");
    let request = tokio::spawn(async move {
        client()
            .get(url)
            .bearer_auth(AFF)
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    // Wait until the request is being handled (it then sleeps in the latency).
    for _ in 0..200 {
        if api.sandbox.requests_seen() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(api.sandbox.requests_seen(), 1);
    let Api { sandbox, .. } = api;
    sandbox.shutdown().await;
    assert_eq!(request.await.expect("task").expect("answered"), 200);
}

/// Runs the real binary on a free port, reads its banner and talks to it.
#[tokio::test]
async fn binary_prints_its_base_url_and_keys_and_serves() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_partnero-sandbox"))
        .args([
            "--port",
            "0",
            "--api-key",
            "sk_bin_aff",
            "--api-key",
            "sk_bin_raf:refer-a-friend",
            "--commission",
            "10",
            "--seed-demo",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    // Read the whole banner on a thread that keeps the pipe open (draining it) until the child
    // exits; the first four lines come back through a channel.
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
        let banner: Vec<String> = lines.by_ref().take(4).collect();
        let _ = tx.send(banner);
        lines.for_each(drop);
    });
    let lines = tokio::time::timeout(Duration::from_secs(20), rx)
        .await
        .expect("banner in time")
        .expect("read");
    let base = lines[0].rsplit(' ').next().expect("url").to_owned();
    assert!(
        base.starts_with("http://127.0.0.1:") && base.ends_with("/v1"),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("sk_bin_aff") && l.contains("(affiliate)")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("sk_bin_raf") && l.contains("(refer-a-friend)")),
        "{lines:?}"
    );

    let c = client();
    let test: serde_json::Value = c
        .get(format!("{base}/test"))
        .bearer_auth("sk_bin_raf")
        .send()
        .await
        .expect("ok")
        .json()
        .await
        .expect("json");
    assert_eq!(test["data"]["program"]["type"], "refer_a_friend");
    let created = c
        .post(format!("{base}/customers"))
        .bearer_auth("sk_bin_aff")
        .json(&json!({"key": "c", "partner": {"key": "demo-partner"}}))
        .send()
        .await
        .expect("ok");
    assert_eq!(created.status().as_u16(), 201);
    let sale: serde_json::Value = c
        .post(format!("{base}/transactions"))
        .bearer_auth("sk_bin_aff")
        .json(&json!({"customer": {"key": "c"}, "amount": 50}))
        .send()
        .await
        .expect("ok")
        .json()
        .await
        .expect("json");
    assert_eq!(
        sale["data"]["rewards"][0]["amount"],
        json!(5),
        "10 % commission"
    );
    let _ = child.kill();
    let _ = child.wait();
}

/// Whoever started the binary may stop reading its output (`| head`, a closed pipe): the
/// banner write then fails, and the server must keep serving rather than panic.
#[tokio::test]
async fn binary_keeps_serving_when_its_stdout_is_closed() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    // A pipe nobody reads: every write to it fails with a broken pipe.
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let mut child = Command::new(env!("CARGO_BIN_EXE_partnero-sandbox"))
        .args(["--port", &port.to_string(), "--api-key", "sk_bin_closed"])
        .stdout(writer)
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");

    let c = client();
    let ask = || async {
        c.get(format!("http://127.0.0.1:{port}/v1/test"))
            .bearer_auth("sk_bin_closed")
            .send()
            .await
            .map(|res| res.status().as_u16())
    };
    let mut answered = false;
    for _ in 0..200 {
        if ask().await.is_ok() {
            answered = true;
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the sandbox exited ({status}) on its closed stdout");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The listener is up before the banner is written: give the banner time to fail, then the
    // server must still be there (a panicking banner ends the process within milliseconds).
    tokio::time::sleep(Duration::from_secs(1)).await;
    let still_running = matches!(child.try_wait(), Ok(None));
    let second = ask().await.ok();
    let _ = child.kill();
    let _ = child.wait();
    assert!(answered, "the sandbox never answered");
    assert!(still_running, "the sandbox exited on its closed stdout");
    assert_eq!(second, Some(200));
}
