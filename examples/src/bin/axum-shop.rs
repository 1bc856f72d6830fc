//! The example shop on axum. `cargo run -p partnero-examples --bin axum-shop -- --help`.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use partnero_examples::axum_shop;
use partnero_examples::setup::{Backend, ShopArgs, banner, bind_local};
use partnero_examples::shop::Shop;

#[tokio::main]
async fn main() -> ExitCode {
    partnero_examples::init_logging();
    let args = ShopArgs::parse();
    let backend = match Backend::from_env_or_sandbox(args.program).await {
        Ok(backend) => backend,
        Err(err) => {
            eprintln!("axum-shop: {err}");
            return ExitCode::FAILURE;
        }
    };
    let (listener, url) = match bind_local(args.port) {
        Ok(bound) => bound,
        Err(err) => {
            eprintln!("axum-shop: cannot listen on 127.0.0.1:{}: {err}", args.port);
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("axum-shop: {err}");
            return ExitCode::FAILURE;
        }
    };
    print!("{}", banner("axum", &url, args.program, &backend));
    let app = axum_shop::router(
        Arc::new(Shop::new("axum", args.program)),
        backend.client.clone(),
    );
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let Err(err) = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
    {
        eprintln!("axum-shop: {err}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
