//! The shop on axum: `Router` + `PartneroLayer` + the `Referral` extractor. Handlers only
//! translate HTTP to [`crate::shop`] calls and back.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use partnero_client::Partnero;
use partnero_tower::{PartneroLayer, Referral};

use crate::pages;
use crate::shop::{self, Shop, ShopError};
use crate::store::User;

/// The shop's router, with `PartneroLayer` carrying `client`.
///
/// ```no_run
/// # async fn run(client: partnero_client::Partnero) -> std::io::Result<()> {
/// use partnero_examples::{axum_shop, setup::ProgramChoice, shop::Shop};
///
/// let app = axum_shop::router(Shop::new("axum", ProgramChoice::Affiliate).into(), client);
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// axum::serve(listener, app).await
/// # }
/// ```
pub fn router(shop: Arc<Shop>, client: Partnero) -> Router {
    Router::new()
        .route("/", get(landing))
        .route("/signup", get(signup_form).post(signup))
        .route("/purchase", post(purchase))
        .route("/refund", post(refund))
        .route("/dashboard", get(dashboard))
        .with_state(shop)
        // The same body cap as the actix shop.
        .layer(DefaultBodyLimit::max(shop::MAX_BODY_BYTES))
        // Router::layer wraps every route added above it.
        .layer(PartneroLayer::from_client(client))
}

struct Failure(ShopError);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::BAD_REQUEST);
        (status, Json(self.0.body())).into_response()
    }
}

fn content_type(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
}

fn session_user(shop: &Shop, headers: &HeaderMap) -> Option<User> {
    shop.session_user(
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok()),
    )
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
    body: Bytes,
) -> Result<Response, Failure> {
    let input = shop::parse_body(content_type(&headers), &body).map_err(Failure)?;
    let (reply, token) = shop::signup(&shop, referral.handle(), input)
        .await
        .map_err(Failure)?;
    Ok((
        [(header::SET_COOKIE, shop::session_cookie(&token))],
        Json(reply),
    )
        .into_response())
}

async fn purchase(
    State(shop): State<Arc<Shop>>,
    referral: Referral,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let input = shop::parse_body(content_type(&headers), &body).map_err(Failure)?;
    let user = session_user(&shop, &headers);
    let reply = shop::purchase(&shop, referral.handle(), user, input)
        .await
        .map_err(Failure)?;
    Ok(Json(reply).into_response())
}

async fn refund(
    State(shop): State<Arc<Shop>>,
    referral: Referral,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let input = shop::parse_body(content_type(&headers), &body).map_err(Failure)?;
    let user = session_user(&shop, &headers);
    let reply = shop::refund(&shop, referral.handle(), user, input)
        .await
        .map_err(Failure)?;
    Ok(Json(reply).into_response())
}

async fn dashboard(
    State(shop): State<Arc<Shop>>,
    referral: Referral,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let user = session_user(&shop, &headers);
    let reply = shop::dashboard(&shop, referral.client(), user)
        .await
        .map_err(Failure)?;
    Ok(Json(reply).into_response())
}

/// A running axum shop.
#[derive(Debug)]
pub struct AxumShop {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    task: tokio::task::JoinHandle<()>,
}

impl AxumShop {
    /// Serves the shop on `127.0.0.1:port` (0 = a free port) in a background task.
    pub async fn start(shop: Arc<Shop>, client: Partnero, port: u16) -> std::io::Result<AxumShop> {
        let (listener, url) = crate::setup::bind_local(port)?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let app = router(shop, client);
        let task = tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, app).await {
                tracing::error!(error = %err, "axum shop stopped");
            }
        });
        Ok(AxumShop { url, task })
    }

    /// Stops the shop.
    pub fn stop(self) {
        self.task.abort();
    }
}
