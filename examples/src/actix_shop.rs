//! The shop on actix-web: `App::wrap(PartneroMiddleware)` + the `Referral` extractor. Handlers
//! only translate HTTP to [`crate::shop`] calls and back.
//!
//! [`ActixShop::start`] gives the server the shop's [`Timeouts`](crate::shop::Timeouts): the
//! request head (408 after it), idle keep-alive connections, and clients that do not close
//! after the response; the body timeout is applied where handlers read the body.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::{KeepAlive, StatusCode, header};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use partnero_actix::{PartneroMiddleware, Referral, VerifiedWebhook};
use partnero_client::Partnero;

use crate::pages;
use crate::shop::{self, Shop, ShopError};
use crate::store::User;
use crate::webhooks::WEBHOOK_PATH;

/// Registers the shop's routes (the middleware is added by the caller with `App::wrap`).
///
/// One `web::resource` per path, so that another method on a known path is 405 (as on axum),
/// and `HEAD` next to each `GET` (axum's `get` answers both). Bodies are capped at
/// [`shop::MAX_BODY_BYTES`] and read within the body timeout, as on axum.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/")
            .route(web::get().to(landing))
            .route(web::head().to(landing)),
    )
    .service(
        web::resource("/signup")
            .route(web::get().to(signup_form))
            .route(web::head().to(signup_form))
            .route(web::post().to(signup)),
    )
    .service(web::resource("/purchase").route(web::post().to(purchase)))
    .service(web::resource("/refund").route(web::post().to(refund)))
    .service(
        web::resource("/dashboard")
            .route(web::get().to(dashboard))
            .route(web::head().to(dashboard)),
    )
    .service(web::resource(WEBHOOK_PATH).route(web::post().to(webhook)));
}

/// `POST /webhooks/partnero`: a verified Partnero delivery (the extractor answered 401/400/413
/// otherwise). 500 when it could not be recorded, so Partnero sends it again.
async fn webhook(shop: web::Data<Shop>, webhook: VerifiedWebhook) -> HttpResponse {
    match shop.webhooks.receive(&shop.outbox, &webhook).await {
        Ok(_) => HttpResponse::Ok().finish(),
        Err(err) => {
            tracing::warn!(error = %err, "webhook not recorded");
            HttpResponse::InternalServerError().finish()
        }
    }
}

fn failure(err: ShopError) -> HttpResponse {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST);
    HttpResponse::build(status).json(err.body())
}

fn content_type(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
}

async fn session_user(shop: &Shop, req: &HttpRequest) -> Result<Option<User>, ShopError> {
    shop.session_user(
        req.headers()
            .get_all(header::COOKIE)
            .filter_map(|v| v.to_str().ok()),
    )
    .await
}

/// Reads and parses a body of at most [`shop::MAX_BODY_BYTES`] within the body timeout: 413
/// when larger (announced or sent), 408 when it does not arrive in time.
async fn read_input<T: serde::de::DeserializeOwned>(
    shop: &Shop,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<T, ShopError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > shop::MAX_BODY_BYTES as u64) {
        return Err(ShopError::BodyTooLarge);
    }
    let read = payload.to_bytes_limited(shop::MAX_BODY_BYTES);
    let bytes = match tokio::time::timeout(shop.timeouts.body, read).await {
        Err(_) => return Err(ShopError::BodyTimeout),
        Ok(Err(_limit)) => return Err(ShopError::BodyTooLarge),
        Ok(Ok(Err(err))) => return Err(ShopError::BadRequest(err.to_string())),
        Ok(Ok(Ok(bytes))) => bytes,
    };
    shop::parse_body(content_type(req), &bytes)
}

async fn landing(shop: web::Data<Shop>, referral: Referral) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(pages::landing(
            shop.framework,
            shop.program,
            shop.referred_by(&referral),
        ))
}

async fn signup_form(shop: web::Data<Shop>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(pages::signup_form(shop.framework))
}

async fn signup(
    shop: web::Data<Shop>,
    referral: Referral,
    req: HttpRequest,
    body: web::Payload,
) -> HttpResponse {
    let input = match read_input(&shop, &req, body).await {
        Ok(input) => input,
        Err(err) => return failure(err),
    };
    match shop::signup(&shop, &referral, input).await {
        Ok((reply, token)) => HttpResponse::Ok()
            .insert_header((header::SET_COOKIE, shop::session_cookie(&token)))
            .json(reply),
        Err(err) => failure(err),
    }
}

async fn purchase(shop: web::Data<Shop>, req: HttpRequest, body: web::Payload) -> HttpResponse {
    let input = match read_input(&shop, &req, body).await {
        Ok(input) => input,
        Err(err) => return failure(err),
    };
    let user = match session_user(&shop, &req).await {
        Ok(user) => user,
        Err(err) => return failure(err),
    };
    match shop::purchase(&shop, user, input).await {
        Ok(reply) => HttpResponse::Ok().json(reply),
        Err(err) => failure(err),
    }
}

async fn refund(shop: web::Data<Shop>, req: HttpRequest, body: web::Payload) -> HttpResponse {
    let input = match read_input(&shop, &req, body).await {
        Ok(input) => input,
        Err(err) => return failure(err),
    };
    let user = match session_user(&shop, &req).await {
        Ok(user) => user,
        Err(err) => return failure(err),
    };
    match shop::refund(&shop, user, input).await {
        Ok(reply) => HttpResponse::Ok().json(reply),
        Err(err) => failure(err),
    }
}

async fn dashboard(shop: web::Data<Shop>, referral: Referral, req: HttpRequest) -> HttpResponse {
    let user = match session_user(&shop, &req).await {
        Ok(user) => user,
        Err(err) => return failure(err),
    };
    match shop::dashboard(&shop, referral.client(), user).await {
        Ok(reply) => HttpResponse::Ok().json(reply),
        Err(err) => failure(err),
    }
}

/// How long a graceful stop waits for open connections, in seconds.
const SHUTDOWN_SECS: u64 = 5;

/// A running actix shop (its own thread and actix system; the shop's dispatcher runs on the
/// runtime that opened the shop).
#[derive(Debug)]
pub struct ActixShop {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The shop (its database, outbox and dispatcher).
    pub shop: Arc<Shop>,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ActixShop {
    /// Serves the shop on `127.0.0.1:port` (0 = a free port) on a background thread.
    pub fn start(
        shop: Arc<Shop>,
        client: Partnero,
        port: u16,
        workers: usize,
    ) -> std::io::Result<ActixShop> {
        let (listener, url) = crate::setup::bind_local(port)?;
        let data = web::Data::from(Arc::clone(&shop));
        let timeouts = shop.timeouts;
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("actix-shop".into())
            .spawn(move || {
                actix_web::rt::System::new().block_on(async move {
                    let server = HttpServer::new(move || {
                        App::new()
                            .app_data(data.clone())
                            .app_data(data.webhooks.receiver.clone())
                            .wrap(PartneroMiddleware::from_client(client.clone()))
                            .configure(routes)
                    })
                    .client_request_timeout(timeouts.header)
                    .keep_alive(KeepAlive::Timeout(timeouts.idle))
                    .client_disconnect_timeout(Duration::from_secs(1))
                    // A graceful stop waits this long for open (even idle keep-alive)
                    // connections, as the axum shop does.
                    .shutdown_timeout(SHUTDOWN_SECS)
                    .workers(workers.max(1))
                    .disable_signals()
                    .listen(listener);
                    let server = match server {
                        Ok(server) => server.run(),
                        Err(err) => {
                            let _ = tx.send(Err(err));
                            return;
                        }
                    };
                    let _ = tx.send(Ok(server.handle()));
                    if let Err(err) = server.await {
                        tracing::error!(error = %err, "actix shop stopped");
                    }
                });
            })?;
        let handle = rx
            .recv()
            .map_err(|_| std::io::Error::other("the actix shop thread died while starting"))??;
        Ok(ActixShop {
            url,
            shop,
            handle,
            thread: Some(thread),
        })
    }

    /// Stops the server at once, dropping open connections (their requests do not finish),
    /// and waits for its thread; the dispatcher is left alone. The first half of a kill.
    pub async fn drop_connections(&mut self) {
        self.handle.stop(false).await;
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }

    /// Stops the server (gracefully) and waits for its thread, then stops the dispatcher: what
    /// it has not delivered waits in the database for the next start.
    pub async fn stop(mut self) {
        self.handle.stop(true).await;
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
        self.shop.close().await;
    }
}
