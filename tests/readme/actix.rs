//! The README's actix-web snippet, verbatim below this header: `tests/e2e/readme.rs` checks
//! that it is, then runs it against partnero-sandbox through the environment alone.

use actix_web::{App, HttpServer, web};
use partnero_actix::{NewCustomer, PartneroMiddleware, Referral};

async fn signup(referral: Referral) -> String {
    let outcome = referral
        .signup(NewCustomer::new("user-42").email("ann@example.com"))
        .await;
    format!("{outcome:?}")
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let partnero = PartneroMiddleware::from_env().map_err(std::io::Error::other)?;
    partnero
        .client()
        .check()
        .await
        .map_err(std::io::Error::other)?;
    HttpServer::new(move || {
        App::new()
            .wrap(partnero.clone())
            .route("/signup", web::post().to(signup))
    })
    .bind(std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into()))?
    .run()
    .await
}
