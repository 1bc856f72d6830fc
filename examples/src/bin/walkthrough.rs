//! The README's first command: starts `partnero-sandbox` and both example shops on free ports,
//! plays a visitor's journey (referral link -> sign-up -> purchase -> refund) over real HTTP for
//! both programs on both frameworks, then the outage journey (Partnero down, the shop killed
//! and restarted, everything delivered exactly once), and prints what happened. Exits non-zero
//! on any mismatch. The shops' databases live in a temporary directory, removed at the end.

use std::path::Path;
use std::process::ExitCode;

use partnero_examples::journey::{self, JourneyError, JourneyReport, RunningShop};
use partnero_examples::setup::{ProgramChoice, client_for_sandbox};
use partnero_examples::shop::{DeliverySettings, ShopOptions};
use partnero_sandbox::{Sandbox, SandboxConfig};

/// A shop's options: its own database file in `dir`, quick delivery (the sandbox is local).
fn options(dir: &Path, framework: &str, program: ProgramChoice) -> ShopOptions {
    let file = dir.join(format!("shop-{framework}-{}.db", program.label()));
    ShopOptions::new(file.to_string_lossy()).delivery(DeliverySettings::quick())
}

/// The happy journey on `framework`; the shop's database in `dir`.
async fn on(
    dir: &Path,
    sandbox: &Sandbox,
    framework: &'static str,
    program: ProgramChoice,
) -> Result<JourneyReport, String> {
    let client = client_for_sandbox(sandbox, program).map_err(|e| e.to_string())?;
    let options = options(dir, framework, program);
    let shop = RunningShop::start(framework, program, client, &options).await?;
    let report = journey::play(framework, shop.url(), sandbox, program).await;
    shop.stop().await;
    report.map_err(|e: JourneyError| e.to_string())
}

/// The outage journey on `framework`; `Ok(false)` when it ran but the counts differ.
async fn outage_and_restart(
    dir: &Path,
    sandbox: &Sandbox,
    framework: &'static str,
) -> Result<bool, String> {
    let program = ProgramChoice::Affiliate;
    let client = client_for_sandbox(sandbox, program).map_err(|e| e.to_string())?;
    let options = options(dir, &format!("{framework}-restart"), program);
    let report = journey::outage_and_restart(framework, sandbox, client, options)
        .await
        .map_err(|e| e.to_string())?;
    print!("{}", report.render());
    Ok(report.matches())
}

#[tokio::main]
async fn main() -> ExitCode {
    partnero_examples::init_logging();
    let dir = match tempfile::Builder::new()
        .prefix("partnero-walkthrough-")
        .tempdir()
    {
        Ok(dir) => dir,
        Err(err) => {
            eprintln!("walkthrough: cannot create a temporary directory: {err}");
            return ExitCode::FAILURE;
        }
    };
    let sandbox = match Sandbox::start(SandboxConfig::new().seed_demo(true)).await {
        Ok(sandbox) => sandbox,
        Err(err) => {
            eprintln!("walkthrough: cannot start partnero-sandbox: {err}");
            return ExitCode::FAILURE;
        }
    };
    println!("partnero-rs walkthrough");
    println!(
        "sandbox {} (commission 20%, seeded with demo-partner and demo-referrer)",
        sandbox.base_url()
    );
    println!("shop databases in {}\n", dir.path().display());
    let mut failed = 0;
    let mut passed = 0;
    for program in ProgramChoice::ALL {
        for (framework, result) in [
            ("axum", on(dir.path(), &sandbox, "axum", program).await),
            ("actix", on(dir.path(), &sandbox, "actix", program).await),
        ] {
            match result {
                Ok(report) => {
                    passed += 1;
                    print!("{}", report.render());
                }
                Err(err) => {
                    failed += 1;
                    println!("[{framework} / {}]\n  MISMATCH: {err}", program.label());
                }
            }
        }
    }
    for framework in ["axum", "actix"] {
        match outage_and_restart(dir.path(), &sandbox, framework).await {
            Ok(true) => passed += 1,
            Ok(false) => failed += 1,
            Err(err) => {
                failed += 1;
                println!(
                    "[{framework} / affiliate: Partnero down, shop killed and restarted]\n  MISMATCH: {err}"
                );
            }
        }
    }
    println!("\n{passed} journeys matched, {failed} did not");
    sandbox.shutdown().await;
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
