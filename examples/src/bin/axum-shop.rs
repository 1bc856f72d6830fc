//! The example shop on axum. `cargo run -p partnero-examples --bin axum-shop -- --help`.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    partnero_examples::setup::run_shop("axum").await
}
