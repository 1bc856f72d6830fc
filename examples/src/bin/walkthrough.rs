//! The README's first command: starts `partnero-sandbox` and both example shops on free ports,
//! plays a visitor's journey (referral link -> sign-up -> purchase -> refund) over real HTTP for
//! both programs on both frameworks, and prints what happened. Exits non-zero on any mismatch.

use std::process::ExitCode;
use std::sync::Arc;

use partnero_examples::actix_shop::ActixShop;
use partnero_examples::axum_shop::AxumShop;
use partnero_examples::journey::{self, JourneyError, JourneyReport};
use partnero_examples::setup::{ProgramChoice, client_for_sandbox};
use partnero_examples::shop::Shop;
use partnero_sandbox::{Sandbox, SandboxConfig};

async fn on_axum(sandbox: &Sandbox, program: ProgramChoice) -> Result<JourneyReport, String> {
    let client = client_for_sandbox(sandbox, program).map_err(|e| e.to_string())?;
    let shop = AxumShop::start(Arc::new(Shop::new("axum", program)), client, 0)
        .await
        .map_err(|e| format!("cannot start the axum shop: {e}"))?;
    let report = journey::play("axum", &shop.url, sandbox, program).await;
    shop.stop();
    report.map_err(|e: JourneyError| e.to_string())
}

async fn on_actix(sandbox: &Sandbox, program: ProgramChoice) -> Result<JourneyReport, String> {
    let client = client_for_sandbox(sandbox, program).map_err(|e| e.to_string())?;
    let shop = ActixShop::start(Arc::new(Shop::new("actix", program)), client, 0, 1)
        .map_err(|e| format!("cannot start the actix shop: {e}"))?;
    let report = journey::play("actix", &shop.url, sandbox, program).await;
    shop.stop().await;
    report.map_err(|e: JourneyError| e.to_string())
}

#[tokio::main]
async fn main() -> ExitCode {
    partnero_examples::init_logging();
    let sandbox = match Sandbox::start(SandboxConfig::new().seed_demo(true)).await {
        Ok(sandbox) => sandbox,
        Err(err) => {
            eprintln!("walkthrough: cannot start partnero-sandbox: {err}");
            return ExitCode::FAILURE;
        }
    };
    println!("partnero-rs walkthrough");
    println!(
        "sandbox {} (commission 20%, seeded with demo-partner and demo-referrer)\n",
        sandbox.base_url()
    );
    let mut failed = 0;
    let mut passed = 0;
    for program in ProgramChoice::ALL {
        for (framework, result) in [
            ("axum", on_axum(&sandbox, program).await),
            ("actix", on_actix(&sandbox, program).await),
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
    println!("\n{passed} journeys matched, {failed} did not");
    sandbox.shutdown().await;
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
