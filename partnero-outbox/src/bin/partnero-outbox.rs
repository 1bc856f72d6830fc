//! `partnero-outbox`: look at an outbox and repair it. Shows the status, lists dead letters,
//! retries and discards them, given a database URL. Needs no API key and shows none.
//!
//! ```text
//! partnero-outbox --database sqlite://shop.db status
//! partnero-outbox --database postgres://app@db/shop dead
//! partnero-outbox --database sqlite://shop.db retry 42
//! partnero-outbox --database sqlite://shop.db discard 42
//! PARTNERO_API_KEY=... partnero-outbox --database postgres://app@db/shop run
//! ```
//!
//! `run` delivers the outbox from this process (a sidecar next to an app that only enqueues),
//! with the client configured from `PARTNERO_API_KEY`, `PARTNERO_BASE_URL` and
//! `PARTNERO_PROGRAM`, until SIGINT or SIGTERM.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use partnero_outbox::{Backend, Outbox};

/// Anything the command reports: outbox, client configuration or build errors.
type Error = Box<dyn std::error::Error>;

#[derive(Debug, Parser)]
#[command(version, about = "Inspect and repair a partnero-outbox table")]
struct Cli {
    /// The database holding `partnero_outbox`: `sqlite://FILE` or `postgres://...`.
    #[arg(long, env = "PARTNERO_OUTBOX_DATABASE_URL")]
    database: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Rows by state and kind, the oldest waiting age, the dead count (as JSON).
    Status,
    /// Dead letters, oldest first.
    Dead {
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Puts a dead letter back in the queue (a sale that may have been sent is looked up first).
    Retry {
        /// The row id (from `dead`).
        id: i64,
    },
    /// Gives up on a dead or pending row for good.
    Discard {
        /// The row id (from `dead`).
        id: i64,
    },
    /// Runs a dispatcher until SIGINT or SIGTERM (client from PARTNERO_API_KEY,
    /// PARTNERO_BASE_URL, PARTNERO_PROGRAM).
    Run {
        /// Rows delivered at once.
        #[arg(long, default_value_t = 8)]
        concurrency: u32,
        /// Per-request timeout, in milliseconds.
        #[arg(long, default_value_t = 10_000)]
        timeout_ms: u64,
        /// Settle time of an unconfirmed sale, in milliseconds (at least 4 x the timeout).
        #[arg(long, default_value_t = 120_000)]
        settle_ms: u64,
        /// Lease of a claimed row, in milliseconds (at least 3 x the timeout).
        #[arg(long, default_value_t = 60_000)]
        lease_ms: u64,
        /// Idle poll interval, in milliseconds.
        #[arg(long, default_value_t = 500)]
        poll_ms: u64,
        /// Backoff ceiling between attempts of one row, in milliseconds.
        #[arg(long, default_value_t = 600_000)]
        backoff_cap_ms: u64,
    },
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("partnero-outbox: {e}");
            let mut source = e.source();
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), Error> {
    if cli.database.starts_with("postgres:") || cli.database.starts_with("postgresql:") {
        #[cfg(feature = "postgres")]
        {
            let pool = sqlx::PgPool::connect(&cli.database).await?;
            // An operator's tool leaves the deployment's wake-up as it is: a table without the
            // notify trigger belongs to `Outbox::postgres_polling` dispatchers, whose choice
            // `Outbox::postgres` would undo by creating it again.
            let polling: bool = sqlx::query_scalar(
                "SELECT to_regclass('partnero_outbox') IS NOT NULL AND NOT EXISTS (
                     SELECT 1 FROM pg_trigger
                     WHERE tgrelid = to_regclass('partnero_outbox')
                       AND tgname = 'partnero_outbox_notify')",
            )
            .fetch_one(&pool)
            .await?;
            let outbox = if polling {
                Outbox::postgres_polling(pool).await?
            } else {
                Outbox::postgres(pool).await?
            };
            return command(&outbox, cli.command).await;
        }
        #[cfg(not(feature = "postgres"))]
        return Err("this build has no PostgreSQL support (build with --features postgres)".into());
    }
    // The app creates its outbox; a file that is not there is a typo, not a new empty outbox.
    let options = partnero_outbox::sqlite_options(&cli.database)?;
    let path = options.get_filename();
    if path != std::path::Path::new(":memory:") && !path.exists() {
        return Err(format!("no SQLite database at {}: check --database", path.display()).into());
    }
    command(&Outbox::sqlite(&cli.database).await?, cli.command).await
}

async fn command<DB: Backend>(outbox: &Outbox<DB>, command: Command) -> Result<(), Error> {
    match command {
        Command::Status => {
            let stats = outbox.stats().await?;
            println!(
                "{}",
                serde_json::to_string_pretty(&stats).unwrap_or_default()
            );
        }
        Command::Dead { limit } => {
            let dead = outbox.dead_letters(limit).await?;
            if dead.is_empty() {
                println!("no dead letters");
            }
            for d in dead {
                let status = d.last_status.map_or("-".to_owned(), |s| s.to_string());
                println!(
                    "{}\t{}\t{}\tattempts={}\tstatus={}\tage={}s\t{}",
                    d.id,
                    d.kind,
                    d.idempotency_key,
                    d.attempts,
                    status,
                    d.age.as_secs(),
                    d.reason
                );
            }
        }
        Command::Retry { id } => {
            outbox.retry(id).await?;
            println!("row {id} queued again");
        }
        Command::Discard { id } => {
            outbox.discard(id).await?;
            println!("row {id} discarded");
        }
        Command::Run {
            concurrency,
            timeout_ms,
            settle_ms,
            lease_ms,
            poll_ms,
            backoff_cap_ms,
        } => {
            let client = partnero_client::Partnero::from_env()?;
            let base = Duration::from_millis(backoff_cap_ms.min(1000));
            let dispatcher = outbox
                .dispatcher(client)
                .concurrency(concurrency)
                .timeout(Duration::from_millis(timeout_ms))
                .settle(Duration::from_millis(settle_ms))
                .lease(Duration::from_millis(lease_ms))
                .poll_interval(Duration::from_millis(poll_ms))
                .backoff(base, Duration::from_millis(backoff_cap_ms))
                .spawn()?;
            println!("dispatching");
            stopped().await;
            let report = dispatcher.shutdown(Duration::from_secs(10)).await;
            println!(
                "stopped (finished in time: {}, released: {})",
                report.finished, report.released
            );
        }
    }
    Ok(())
}

/// SIGINT or SIGTERM.
async fn stopped() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
