//! The README's axum snippet, verbatim below this header: `tests/e2e/readme.rs` checks that it
//! is, then runs it against partnero-sandbox through the environment alone.

use axum::{Router, routing::post};
use partnero_tower::{NewCustomer, PartneroLayer, Referral};

async fn signup(referral: Referral) -> String {
    // Attributes the new customer to whoever referred this visitor (cookie or ?aff= link).
    let outcome = referral
        .signup(NewCustomer::new("user-42").email("ann@example.com"))
        .await;
    format!("{outcome:?}")
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // PARTNERO_API_KEY, and PARTNERO_BASE_URL / PARTNERO_PROGRAM when set (a local sandbox,
    // a refer-a-friend program): a missing or malformed one is an error here, at start-up.
    let partnero = PartneroLayer::from_env()?;
    // GET /v1/test: says in one line what is wrong with the key, the base URL or the program.
    partnero.client().check().await?;
    let app = Router::new().route("/signup", post(signup)).layer(partnero);
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    axum::serve(tokio::net::TcpListener::bind(addr).await?, app).await?;
    Ok(())
}
