//! The shop on axum: `Router` + `PartneroLayer` + the `Referral` extractor. Handlers only
//! translate HTTP to [`crate::shop`] calls and back.
//!
//! Served by [`serve`], hyper's HTTP/1 connection with a header-read timeout (which also
//! closes idle keep-alive connections) instead of `axum::serve`, which takes no timeouts; the
//! body timeout is applied where handlers read the body.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use partnero_client::Partnero;
use partnero_tower::{PartneroLayer, Referral, VerifiedWebhook};

use crate::pages;
use crate::shop::{self, Shop, ShopError, Timeouts};
use crate::store::User;
use crate::webhooks::WEBHOOK_PATH;

/// The shop's router, with `PartneroLayer` carrying `client` (the dashboard reads Partnero
/// with it; the shop's events go through its outbox).
///
/// ```no_run
/// # async fn run(client: partnero_client::Partnero) -> Result<(), Box<dyn std::error::Error>> {
/// use partnero_examples::{axum_shop, setup::ProgramChoice, shop::{Shop, ShopOptions}};
///
/// let options = ShopOptions::new("partnero-shop-axum-affiliate.db");
/// let shop = Shop::open("axum", ProgramChoice::Affiliate, client.clone(), &options).await?;
/// let shop = std::sync::Arc::new(shop);
/// let app = axum_shop::router(shop.clone(), client);
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// axum_shop::serve(listener, app, shop.timeouts, std::future::pending()).await;
/// shop.close().await;
/// # Ok(()) }
/// ```
pub fn router(shop: Arc<Shop>, client: Partnero) -> Router {
    Router::new()
        .route("/", get(landing))
        .route("/signup", get(signup_form).post(signup))
        .route("/purchase", post(purchase))
        .route("/refund", post(refund))
        .route("/dashboard", get(dashboard))
        .route(WEBHOOK_PATH, post(webhook))
        .layer(Extension(shop.webhooks.receiver.clone()))
        .with_state(shop)
        // Router::layer wraps every route added above it.
        .layer(PartneroLayer::from_client(client))
}

/// Serves `app` on `listener` until `shutdown` completes, then lets the open connections
/// finish their requests (up to 5 s, as the actix shop). Each connection is HTTP/1 with hyper's header-read
/// timeout set to `timeouts.header`: a request head that does not arrive in time, including the
/// next one on an idle keep-alive connection, closes the connection.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    timeouts: Timeouts,
    shutdown: impl Future<Output = ()>,
) {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    let mut shutdown = pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(err) => {
                    // Out of file descriptors, say: wait a little rather than spin.
                    tracing::warn!(error = %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(app.clone());
        let mut stop = stop_rx.clone();
        let header_timeout = timeouts.header;
        connections.spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .keep_alive(true);
            let mut conn = pin!(builder.serve_connection(TokioIo::new(stream), service));
            let result = tokio::select! {
                result = conn.as_mut() => result,
                () = async {
                    let _ = stop.wait_for(|stop| *stop).await;
                } => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(err) = result {
                tracing::debug!(error = %err, "connection ended");
            }
        });
        // Reap finished connections as we go.
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(Duration::from_secs(5), async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.abort_all();
    }
}

struct Failure(ShopError);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::BAD_REQUEST);
        (status, Json(self.0.body())).into_response()
    }
}

impl From<ShopError> for Failure {
    fn from(err: ShopError) -> Self {
        Failure(err)
    }
}

fn content_type(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
}

async fn session_user(shop: &Shop, headers: &HeaderMap) -> Result<Option<User>, ShopError> {
    shop.session_user(
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok()),
    )
    .await
}

/// Reads and parses a body of at most [`shop::MAX_BODY_BYTES`] within the body timeout: 413
/// when larger (announced or sent), 408 when it does not arrive in time.
async fn read_input<T: serde::de::DeserializeOwned>(
    shop: &Shop,
    headers: &HeaderMap,
    body: Body,
) -> Result<T, ShopError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > shop::MAX_BODY_BYTES as u64) {
        return Err(ShopError::BodyTooLarge);
    }
    let read = axum::body::to_bytes(body, shop::MAX_BODY_BYTES);
    let bytes: Bytes = match tokio::time::timeout(shop.timeouts.body, read).await {
        Err(_) => return Err(ShopError::BodyTimeout),
        Ok(Err(err)) if is_length_limit(&err) => return Err(ShopError::BodyTooLarge),
        Ok(Err(err)) => return Err(ShopError::BadRequest(err.to_string())),
        Ok(Ok(bytes)) => bytes,
    };
    shop::parse_body(content_type(headers), &bytes)
}

fn is_length_limit(err: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(err) = source {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = err.source();
    }
    false
}

async fn landing(State(shop): State<Arc<Shop>>, referral: Referral) -> Html<String> {
    Html(pages::landing(
        shop.framework,
        shop.program,
        shop.referred_by(&referral),
    ))
}

async fn signup_form(State(shop): State<Arc<Shop>>) -> Html<String> {
    Html(pages::signup_form(shop.framework))
}

async fn signup(
    State(shop): State<Arc<Shop>>,
    referral: Referral,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Failure> {
    let input = read_input(&shop, &headers, body).await?;
    let (reply, token) = shop::signup(&shop, &referral, input).await?;
    Ok((
        [(header::SET_COOKIE, shop::session_cookie(&token))],
        Json(reply),
    )
        .into_response())
}

async fn purchase(
    State(shop): State<Arc<Shop>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Failure> {
    let input = read_input(&shop, &headers, body).await?;
    let user = session_user(&shop, &headers).await?;
    let reply = shop::purchase(&shop, user, input).await?;
    Ok(Json(reply).into_response())
}

async fn refund(
    State(shop): State<Arc<Shop>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Failure> {
    let input = read_input(&shop, &headers, body).await?;
    let user = session_user(&shop, &headers).await?;
    let reply = shop::refund(&shop, user, input).await?;
    Ok(Json(reply).into_response())
}

async fn dashboard(
    State(shop): State<Arc<Shop>>,
    referral: Referral,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let user = session_user(&shop, &headers).await?;
    let reply = shop::dashboard(&shop, referral.client(), user).await?;
    Ok(Json(reply).into_response())
}

/// `POST /webhooks/partnero`: a verified Partnero delivery (the extractor answered 401/400/413
/// otherwise). 500 when it could not be recorded, so Partnero sends it again.
async fn webhook(State(shop): State<Arc<Shop>>, webhook: VerifiedWebhook) -> StatusCode {
    match shop.webhooks.receive(&shop.outbox, &webhook).await {
        Ok(_) => StatusCode::OK,
        Err(err) => {
            tracing::warn!(error = %err, "webhook not recorded");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

/// A running axum shop.
#[derive(Debug)]
pub struct AxumShop {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The shop (its database, outbox and dispatcher).
    pub shop: Arc<Shop>,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl AxumShop {
    /// Serves the shop on `127.0.0.1:port` (0 = a free port) in a background task.
    pub async fn start(shop: Arc<Shop>, client: Partnero, port: u16) -> std::io::Result<AxumShop> {
        let (listener, url) = crate::setup::bind_local(port)?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let app = router(Arc::clone(&shop), client);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let timeouts = shop.timeouts;
        let task = tokio::spawn(async move {
            serve(listener, app, timeouts, async {
                let _ = stopped.await;
            })
            .await;
        });
        Ok(AxumShop {
            url,
            shop,
            stop,
            task,
        })
    }

    /// Stops the server (letting open requests finish), then the dispatcher: what it has not
    /// delivered waits in the database for the next start.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
        self.shop.close().await;
    }
}
