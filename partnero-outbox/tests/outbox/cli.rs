//! The `partnero-outbox` command, and real processes killed with SIGKILL mid-delivery.

use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::support::{
    Env, LONG, env, eventually, fast, purchase_cases, referred, sale, signup, sqlite_outbox,
    until_stats,
};

const BIN: &str = env!("CARGO_BIN_EXE_partnero-outbox");

pub(crate) async fn cli(db: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(BIN)
        .arg("--database")
        .arg(db)
        .args(args)
        .output()
        .await
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// A dispatcher in a child process, configured through the environment like an app's.
pub(crate) fn run_child(env: &Env, db: &str) -> Child {
    Command::new(BIN)
        .args([
            "--database",
            db,
            "run",
            "--timeout-ms",
            "500",
            "--settle-ms",
            "2000",
        ])
        .args([
            "--lease-ms",
            "2000",
            "--poll-ms",
            "50",
            "--backoff-cap-ms",
            "300",
        ])
        .env("PARTNERO_API_KEY", &env.api_key)
        .env("PARTNERO_BASE_URL", env.sandbox.base_url())
        .env_remove("PARTNERO_PROGRAM")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

/// A sandbox, an outbox in a temporary file (kept alive by the returned directory) and its URL.
async fn setup() -> (
    tempfile::TempDir,
    Env,
    partnero_outbox::Outbox<sqlx::Sqlite>,
    String,
) {
    let dir = tempfile::tempdir().unwrap();
    let env = env().await;
    let outbox = sqlite_outbox(&dir).await;
    let db = format!("sqlite://{}", dir.path().join("outbox.db").display());
    (dir, env, outbox, db)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_dead_retry_and_discard_from_the_command_line() {
    let (dir, env, outbox, db) = setup().await;
    // Two sign-ups and a purchase Partnero refuses (422): dead.
    env.sandbox
        .faults()
        .on("POST", "/v1/customers")
        .fail_next(2, 422);
    env.sandbox
        .faults()
        .on("POST", "/v1/transactions")
        .fail_next(1, 422);
    outbox.enqueue_now(&signup("cli-1")).await.unwrap();
    outbox.enqueue_now(&signup("cli-2")).await.unwrap();
    outbox
        .enqueue_now(&purchase_cases::purchase(&referred(), "cli-p", "cli-p-1"))
        .await
        .unwrap();
    let dispatcher = fast(&outbox, &env).spawn().unwrap();
    until_stats(&outbox, LONG, |s| s.dead() == 3).await;

    let (ok, status) = cli(&db, &["status"]).await;
    assert!(ok, "{status}");
    let json: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(json["rows"]["dead"]["signup"], 2, "{status}");
    assert_eq!(json["rows"]["dead"]["purchase"], 1, "{status}");
    assert!(!status.contains(&env.api_key));

    let (ok, dead) = cli(&db, &["dead"]).await;
    assert!(
        ok && dead.contains("signup:cli-1") && dead.contains("status=422"),
        "{dead}"
    );
    assert!(dead.contains("\tpurchase\tsale:cli-p-1\t"), "{dead}");
    let ids: Vec<&str> = dead
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    let (ok, said) = cli(&db, &["retry", ids[0]]).await;
    assert!(ok, "{said}");
    let (ok, said) = cli(&db, &["retry", ids[2]]).await;
    assert!(ok, "{said}");
    let (ok, said) = cli(&db, &["discard", ids[1]]).await;
    assert!(ok, "{said}");
    let (ok, said) = cli(&db, &["discard", ids[1]]).await;
    assert!(
        !ok && said.contains("no outbox row"),
        "a second discard is refused: {said}"
    );
    dispatcher.nudge();
    let stats = until_stats(&outbox, LONG, |s| s.in_state("delivered") == 2).await;
    assert_eq!(
        (
            stats.in_state("delivered"),
            stats.in_state("discarded"),
            stats.dead()
        ),
        (2, 1, 0)
    );
    assert!(env.customer_partner("cli-1").is_some());
    assert_eq!(env.transactions("cli-p-1"), 1, "the retried purchase, once");
    dispatcher.shutdown(Duration::from_secs(5)).await;

    // A mistyped file name is an error naming it, not a new empty outbox that shows "0 rows".
    let typo = dir.path().join("outbx.db");
    for database in [
        typo.display().to_string(),
        format!("sqlite://{}", typo.display()),
    ] {
        let (ok, said) = cli(&database, &["status"]).await;
        assert!(!ok && said.contains("outbx.db"), "{said}");
        assert!(!typo.exists(), "{said}");
    }
}

/// `kill -9` while Partnero is still processing the sale (the POST left): after the lease
/// expires the sale is unconfirmed, found by key after the settle time, never resent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_after_the_post_left_the_sale_is_recorded_once() {
    let (_dir, env, outbox, db) = setup().await;
    outbox.enqueue_now(&signup("kill-a")).await.unwrap();
    env.sandbox
        .faults()
        .on("POST", "/v1/transactions")
        .process_slowly_next(1, Duration::from_secs(2));
    outbox
        .enqueue_now(&sale("kill-a", "kill-a-1"))
        .await
        .unwrap();
    let mut child = run_child(&env, &db);
    until_the_sale_left(&env).await;
    child.kill().await.unwrap(); // SIGKILL
    let restarted = run_child(&env, &db);
    let stats = until_stats(&outbox, LONG, |s| s.in_state("delivered") == 2).await;
    assert_eq!(stats.in_state("delivered"), 2, "{stats:?}");
    assert_eq!(env.transactions("kill-a-1"), 1, "never resent");
    drop(restarted);
}

/// `kill -9` before Partnero processed the sale (the request was abandoned): after the lease
/// and the settle time the lookup finds nothing, and the sale is sent again, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_before_the_sale_was_processed_it_is_sent_again_once() {
    let (_dir, env, outbox, db) = setup().await;
    outbox.enqueue_now(&signup("kill-b")).await.unwrap();
    let mut child = run_child(&env, &db);
    until_stats(&outbox, LONG, |s| s.in_state("delivered") == 1).await;
    env.sandbox
        .faults()
        .on("POST", "/v1/transactions")
        .latency(Duration::from_secs(30));
    outbox
        .enqueue_now(&sale("kill-b", "kill-b-1"))
        .await
        .unwrap();
    until_the_sale_left(&env).await;
    child.kill().await.unwrap(); // SIGKILL: the delayed request is abandoned
    env.sandbox
        .faults()
        .on("POST", "/v1/transactions")
        .latency(Duration::ZERO);
    let restarted = run_child(&env, &db);
    let stats = until_stats(&outbox, LONG, |s| s.in_state("delivered") == 2).await;
    assert_eq!(stats.in_state("delivered"), 2, "{stats:?}");
    assert!(eventually(Duration::from_secs(2), || env.transactions("kill-b-1") == 1).await);
    assert_eq!(env.transactions("kill-b-1"), 1, "sent again exactly once");
    drop(restarted);
}

/// Waits until the sandbox has seen the child's sale request.
async fn until_the_sale_left(env: &Env) {
    assert!(
        eventually(LONG, || env
            .sandbox
            .requests_seen_for("POST", "/v1/transactions")
            >= 1)
        .await,
        "the child sent the sale"
    );
}
