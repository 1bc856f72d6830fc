//! Refer-a-friend on actix-web: a friend's sign-up credited to the referring customer, and a
//! dashboard showing a customer's own referral link and reward balance.
//!
//! ```sh
//! cargo run -p partnero-sandbox -- --port 4010 --seed-demo &
//! PARTNERO_API_KEY=sk_test_refer PARTNERO_BASE_URL=http://127.0.0.1:4010/v1 \
//!     cargo run -p partnero-actix --example refer_a_friend
//! curl -X POST 'http://127.0.0.1:8080/signup/bob?ref=demo-referrer'
//! curl 'http://127.0.0.1:8080/dashboard/demo-referrer'
//! ```
use actix_web::error::ErrorBadGateway;
use actix_web::{App, HttpServer, web};
use partnero_actix::{NewCustomer, Partnero, PartneroMiddleware, Program, Referral};

async fn signup(referral: Referral, user: web::Path<String>) -> String {
    // Create the account first; every customer gets its own referral link from Partnero.
    let customer = NewCustomer::new(user.as_str()).email(format!("{user}@example.com"));
    match referral.signup(customer).await {
        Ok(outcome) => format!("{user} signed up, referred: {}\n", outcome.is_attributed()),
        Err(err) => format!("{user} signed up; Partnero not told: {err}\n"),
    }
}

async fn dashboard(referral: Referral, user: web::Path<String>) -> actix_web::Result<String> {
    let customers = referral.client().customers();
    let customer = customers.get(&user).await.map_err(ErrorBadGateway)?;
    let balance = customers.balance(&user).await.map_err(ErrorBadGateway)?;
    let link = customer.referral_links.into_iter().find_map(|l| l.url);
    let mut page = format!("share {}\nbalance:", link.unwrap_or_default());
    for entry in &balance.currency {
        let units = entry.amount_units.as_deref().unwrap_or("");
        page += &format!(" {} {units}", entry.amount.unwrap_or_default());
    }
    if balance.currency.is_empty() {
        page += " nothing yet";
    }
    Ok(page + "\n")
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    // PARTNERO_API_KEY, optional PARTNERO_BASE_URL; the program kind is fixed here.
    let client = Partnero::builder_from_env()
        .and_then(|builder| builder.program(Program::ReferAFriend).build())
        .map_err(std::io::Error::other)?;
    let partnero = PartneroMiddleware::from_client(client);
    println!("listening on http://127.0.0.1:8080");
    HttpServer::new(move || {
        App::new()
            .wrap(partnero.clone())
            .route("/signup/{user}", web::post().to(signup))
            .route("/dashboard/{user}", web::get().to(dashboard))
    })
    .bind(("127.0.0.1", 8080))?
    .run()
    .await
}
