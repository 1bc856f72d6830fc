//! The example shop on actix-web. `cargo run -p partnero-examples --bin actix-shop -- --help`.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    partnero_examples::setup::run_shop("actix").await
}
