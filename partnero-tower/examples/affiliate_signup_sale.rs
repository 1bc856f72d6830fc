//! Affiliate tracking on axum: a referred sign-up, then a sale that earns the partner a commission.
//!
//! ```sh
//! cargo run -p partnero-sandbox -- --port 4010 --seed-demo &
//! PARTNERO_API_KEY=sk_test_affiliate PARTNERO_BASE_URL=http://127.0.0.1:4010/v1 \
//!     cargo run -p partnero-tower --example affiliate_signup_sale
//! curl -X POST 'http://127.0.0.1:3000/signup/ada?aff=demo-partner'  # or the cookie of an earlier visit
//! curl -X POST 'http://127.0.0.1:3000/checkout/ada/order-1001'
//! ```
use axum::{Router, extract::Path, routing::post};
use partnero_tower::{Decimal, NewCustomer, PartneroLayer, Referral, Sale, SaleOutcome};

async fn signup(referral: Referral, Path(user): Path<String>) -> String {
    // Create the account in your own database first; a Partnero outage must not fail it.
    let customer = NewCustomer::new(&user).email(format!("{user}@example.com"));
    match referral.signup(customer).await {
        Ok(outcome) => format!("{user} signed up, referred: {}\n", outcome.is_attributed()),
        Err(err) => format!("{user} signed up; Partnero not told: {err}\n"),
    }
}

async fn checkout(referral: Referral, Path((user, order)): Path<(String, String)>) -> String {
    // The order id is the transaction key: a sale is never recorded twice under one key.
    let sale = Sale::new(Decimal::new(4900, 2)).key(order);
    match referral.sale(&user, sale).await {
        Ok(SaleOutcome::CustomerUnknown) => "nobody referred this customer: no commission\n".into(),
        Ok(outcome) => {
            let commissions: Vec<_> = outcome
                .transaction()
                .map(|t| t.rewards.iter().filter_map(|r| r.amount).collect())
                .unwrap_or_default();
            format!("sale {}, commissions: {commissions:?}\n", outcome.label())
        }
        Err(err) => format!("sale not recorded: {err}\n"),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // PARTNERO_API_KEY, and PARTNERO_BASE_URL / PARTNERO_PROGRAM when set.
    let partnero = PartneroLayer::from_env()?;
    partnero.client().check().await?; // one line saying what is wrong, if anything
    let app = Router::new()
        .route("/signup/{user}", post(signup))
        .route("/checkout/{user}/{order}", post(checkout))
        .layer(partnero);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("listening on http://127.0.0.1:3000");
    axum::serve(listener, app).await?;
    Ok(())
}
