//! `partnero-sandbox`: run the local Partnero-compatible API server.
//!
//! ```text
//! cargo run -p partnero-sandbox -- --port 4010 --api-key sk_test_affiliate --refer-key sk_test_refer --seed-demo
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use partnero_sandbox::{ProgramKind, Sandbox, SandboxConfig};
use rust_decimal::Decimal;

/// A local Partnero-compatible REST API server with fault injection.
///
/// Without --api-key/--refer-key it accepts `sk_test_affiliate` (affiliate),
/// `sk_test_refer` (refer-a-friend) and `sk_test_newsletter` (newsletter).
#[derive(Debug, Parser)]
#[command(name = "partnero-sandbox", version)]
struct Args {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 4010)]
    port: u16,

    /// An accepted API key, `KEY` (affiliate) or `KEY:KIND` with KIND
    /// `affiliate`, `refer-a-friend` or `newsletter`. Repeatable.
    #[arg(long = "api-key", value_name = "KEY[:KIND]")]
    api_keys: Vec<String>,

    /// An accepted refer-a-friend API key. Repeatable.
    #[arg(long = "refer-key", value_name = "KEY")]
    refer_keys: Vec<String>,

    /// Commission in percent of each transaction's amount.
    #[arg(long, default_value = "20", value_name = "PERCENT")]
    commission: Decimal,

    /// Seed the partner `demo-partner` (affiliate keys), the customer
    /// `demo-referrer` (refer-a-friend keys) and the subscriber
    /// `demo-subscriber@example.com` (newsletter keys).
    #[arg(long)]
    seed_demo: bool,

    /// Landing page of referral links (`<base>?aff=KEY` / `<base>?ref=KEY`).
    #[arg(long, value_name = "URL")]
    referral_link_base: Option<String>,

    /// Largest accepted request body in bytes.
    #[arg(long, value_name = "BYTES")]
    body_limit: Option<usize>,
}

/// Splits `KEY[:KIND]`; a suffix that is not a kind stays part of the key.
fn parse_key(spec: &str) -> (String, ProgramKind) {
    if let Some((key, kind)) = spec.rsplit_once(':') {
        if let Some(kind) = ProgramKind::parse(kind) {
            return (key.to_owned(), kind);
        }
    }
    (spec.to_owned(), ProgramKind::Affiliate)
}

fn config(args: &Args) -> SandboxConfig {
    let mut config = SandboxConfig::new()
        .port(args.port)
        .commission_percent(args.commission)
        .seed_demo(args.seed_demo);
    for spec in &args.api_keys {
        let (key, kind) = parse_key(spec);
        config = config.api_key(key, kind);
    }
    for key in &args.refer_keys {
        config = config.api_key(key.clone(), ProgramKind::ReferAFriend);
    }
    if let Some(base) = &args.referral_link_base {
        config = config.referral_link_base(base.clone());
    }
    if let Some(limit) = args.body_limit {
        config = config.body_limit(limit);
    }
    config
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let args = Args::parse();
    let sandbox = match Sandbox::start(config(&args)).await {
        Ok(sandbox) => sandbox,
        Err(err) => {
            eprintln!(
                "partnero-sandbox: cannot listen on 127.0.0.1:{}: {err}",
                args.port
            );
            return ExitCode::FAILURE;
        }
    };
    if let Err(err) = print_banner(&sandbox, &args) {
        // Whoever started us stopped reading (a closed pipe): keep serving all the same.
        tracing::debug!(error = %err, "could not print the banner");
    }
    if let Err(err) = tokio::signal::ctrl_c().await {
        eprintln!("partnero-sandbox: cannot wait for Ctrl-C: {err}");
    }
    sandbox.shutdown().await;
    ExitCode::SUCCESS
}

/// Prints the base URL, the keys and the admin routes. An error (stdout closed) is returned,
/// never a panic: `println!` would take the server down with it.
fn print_banner(sandbox: &Sandbox, args: &Args) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "Partnero sandbox listening on {}", sandbox.base_url())?;
    writeln!(out, "API keys (Authorization: Bearer KEY):")?;
    for (key, kind) in sandbox.keys() {
        writeln!(out, "  {key}  ({kind})")?;
    }
    writeln!(out, "Commission: {}% of amount", args.commission)?;
    if args.seed_demo {
        writeln!(
            out,
            "Demo data: partner `demo-partner`, referring customer `demo-referrer`, subscriber `demo-subscriber@example.com`"
        )?;
    }
    writeln!(
        out,
        "Admin (no auth, local use only): http://{}/_sandbox/{{faults,reset,stats,state,webhook_deliveries}}",
        sandbox.addr()
    )?;
    writeln!(out, "Press Ctrl-C to stop.")?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_specs() {
        assert_eq!(
            parse_key("sk_x"),
            ("sk_x".to_owned(), ProgramKind::Affiliate)
        );
        assert_eq!(
            parse_key("sk_y:refer-a-friend"),
            ("sk_y".to_owned(), ProgramKind::ReferAFriend)
        );
        assert_eq!(parse_key("a:b"), ("a:b".to_owned(), ProgramKind::Affiliate));
    }

    #[test]
    fn flags_build_a_config() {
        let args = Args::parse_from([
            "partnero-sandbox",
            "--port",
            "0",
            "--api-key",
            "k1",
            "--refer-key",
            "k2",
            "--commission",
            "12.5",
        ]);
        assert_eq!(args.commission.to_string(), "12.5");
        assert_eq!(args.api_keys, vec!["k1".to_owned()]);
        assert_eq!(args.refer_keys, vec!["k2".to_owned()]);
        let _ = config(&args);
    }
}
