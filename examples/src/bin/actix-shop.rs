//! The example shop on actix-web. `cargo run -p partnero-examples --bin actix-shop -- --help`.

use std::process::ExitCode;

use actix_web::{App, HttpServer, web};
use clap::Parser;
use partnero_actix::PartneroMiddleware;
use partnero_examples::actix_shop;
use partnero_examples::setup::{Backend, ShopArgs, banner, bind_local};
use partnero_examples::shop::Shop;

#[actix_web::main]
async fn main() -> ExitCode {
    partnero_examples::init_logging();
    let args = ShopArgs::parse();
    let backend = match Backend::from_env_or_sandbox(args.program).await {
        Ok(backend) => backend,
        Err(err) => {
            eprintln!("actix-shop: {err}");
            return ExitCode::FAILURE;
        }
    };
    let (listener, url) = match bind_local(args.port) {
        Ok(bound) => bound,
        Err(err) => {
            eprintln!(
                "actix-shop: cannot listen on 127.0.0.1:{}: {err}",
                args.port
            );
            return ExitCode::FAILURE;
        }
    };
    print!("{}", banner("actix", &url, args.program, &backend));
    let shop = web::Data::new(Shop::new("actix", args.program));
    let client = backend.client.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(shop.clone())
            .wrap(PartneroMiddleware::from_client(client.clone()))
            .configure(actix_shop::routes)
    })
    .listen(listener);
    let result = match server {
        Ok(server) => server.run().await,
        Err(err) => Err(err),
    };
    if let Err(err) = result {
        eprintln!("actix-shop: {err}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
