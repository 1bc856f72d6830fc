//! `partnero-outbox`: look at an outbox and repair it. Shows the status, lists dead letters,
//! retries and discards them, given a database URL. Needs no API key and shows none.
//!
//! ```text
//! partnero-outbox --database sqlite://shop.db status
//! partnero-outbox --database postgres://app@db/shop dead
//! partnero-outbox --database sqlite://shop.db retry 42
//! partnero-outbox --database sqlite://shop.db discard 42
//! ```

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use partnero_outbox::{Backend, Error, Outbox};

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
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("partnero-outbox: {e}");
            let mut source = std::error::Error::source(&e);
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
            return command(&Outbox::postgres(pool).await?, cli.command).await;
        }
        #[cfg(not(feature = "postgres"))]
        return Err(Error::InvalidEvent(
            "this build has no PostgreSQL support (build with --features postgres)".into(),
        ));
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
    }
    Ok(())
}
