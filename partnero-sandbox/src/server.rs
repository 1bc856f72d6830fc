//! The [`Sandbox`] handle and the connection loop that makes dropping and
//! refusing connections possible.

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

use crate::app::{AppInner, AppState};
use crate::config::{ProgramKind, SandboxConfig};
use crate::envelope::{ApiError, json_response};
use crate::faults::{ConnMode, FaultAction, Faults};
use crate::state::{SharedStore, StateView, Store, lock};
use crate::stats::{RequestStats, Stats};
use crate::webhook_delivery::{Deliveries, WebhookDeliveryRecord};

/// The largest request body a slowly processed request may carry.
const MAX_DETACHED_BODY: usize = 2 * 1024 * 1024;

/// How long shutdown waits for open connections to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A running sandbox server; see the [crate documentation](crate).
///
/// Dropping the handle shuts the server down in the background (best
/// effort); [`shutdown`](Sandbox::shutdown) does it and waits.
#[derive(Debug)]
pub struct Sandbox {
    addr: SocketAddr,
    keys: Vec<(String, ProgramKind)>,
    store: SharedStore,
    faults: Faults,
    stats: Arc<Stats>,
    deliveries: Deliveries,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

/// What every connection task needs.
struct ConnCtx {
    router: Router,
    faults: Faults,
    stats: Arc<Stats>,
}

impl Sandbox {
    /// Binds `127.0.0.1:<port>` (port 0 picks a free one) and starts serving
    /// on the current tokio runtime.
    pub async fn start(config: SandboxConfig) -> std::io::Result<Sandbox> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port)).await?;
        let addr = listener.local_addr()?;
        let store: SharedStore = Arc::new(Mutex::new(Store::new(&config)));
        let stats = Arc::new(Stats::default());
        let faults = Faults::new(Arc::clone(&stats), tokio::runtime::Handle::current());
        let deliveries = Deliveries::new(faults.clone());
        let app: AppState = Arc::new(AppInner::new(
            &config,
            Arc::clone(&store),
            format!("http://{addr}"),
            faults.clone(),
            Arc::clone(&stats),
            deliveries.clone(),
        ));
        let ctx = Arc::new(ConnCtx {
            router: crate::routes::router(app),
            faults: faults.clone(),
            stats: Arc::clone(&stats),
        });
        let (shutdown, shutdown_rx) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, addr, ctx, shutdown_rx));
        tracing::info!(%addr, "partnero sandbox listening");
        Ok(Sandbox {
            addr,
            keys: config.keys,
            store,
            faults,
            stats,
            deliveries,
            shutdown,
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT/v1`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The accepted API keys and their program kinds, in configuration order.
    pub fn keys(&self) -> Vec<(String, ProgramKind)> {
        self.keys.clone()
    }

    /// The first API key of a program of `kind`.
    pub fn key_for(&self, kind: ProgramKind) -> Option<String> {
        self.keys
            .iter()
            .find(|(_, k)| *k == kind)
            .map(|(key, _)| key.clone())
    }

    /// A snapshot of everything stored right now.
    pub fn state(&self) -> StateView {
        StateView::capture(&lock(&self.store))
    }

    /// Forgets all stored data (demo data is seeded again when configured).
    pub fn reset_state(&self) {
        lock(&self.store).clear();
        self.deliveries.clear();
    }

    /// The fault controls.
    pub fn faults(&self) -> Faults {
        self.faults.clone()
    }

    /// API requests seen so far (admin routes excluded, faulted requests included).
    pub fn requests_seen(&self) -> u64 {
        self.stats.requests_seen()
    }

    /// Requests seen for one method and raw path, e.g. `("POST", "/v1/transactions")`.
    pub fn requests_seen_for(&self, method: &str, path: &str) -> u64 {
        self.stats.requests_for(method, path)
    }

    /// All counters.
    pub fn stats(&self) -> RequestStats {
        self.stats.snapshot()
    }

    /// Every webhook delivery so far (the signed body, each attempt, the state), oldest first;
    /// the same list as `GET /_sandbox/webhook_deliveries`.
    pub fn webhook_deliveries(&self) -> Vec<WebhookDeliveryRecord> {
        self.deliveries.records()
    }

    /// Waits until no webhook delivery is pending (sent or given up, retries included), at
    /// most `limit`.
    pub async fn webhooks_settled(&self, limit: Duration) {
        self.deliveries.settled(limit).await;
    }

    /// Zeroes the request and fault counters.
    pub fn reset_counters(&self) {
        self.stats.reset();
    }

    /// Stops accepting, lets open requests finish (up to 5 s) and waits for the server to end.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

async fn accept(listener: Option<&TcpListener>) -> std::io::Result<(TcpStream, SocketAddr)> {
    match listener {
        Some(listener) => listener.accept().await,
        None => std::future::pending().await,
    }
}

async fn accept_loop(
    listener: TcpListener,
    addr: SocketAddr,
    ctx: Arc<ConnCtx>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut listener = Some(listener);
    let mut mode_rx = ctx.faults.subscribe();
    let mut conns = JoinSet::new();
    loop {
        while conns.try_join_next().is_some() {}
        let mode: ConnMode = mode_rx.borrow_and_update().clone();
        if mode.refuse {
            listener = None;
        } else if listener.is_none() {
            match TcpListener::bind(addr).await {
                Ok(l) => listener = Some(l),
                Err(err) => {
                    tracing::warn!(%addr, %err, "cannot listen again; retrying");
                    tokio::select! {
                        _ = shutdown.changed() => break,
                        _ = tokio::time::sleep(Duration::from_millis(50)) => continue,
                    }
                }
            }
        }
        ctx.faults.mark_applied(mode.generation);
        tokio::select! {
            _ = shutdown.changed() => break,
            changed = mode_rx.changed() => {
                if changed.is_err() {
                    break;
                }
            }
            accepted = accept(listener.as_ref()) => match accepted {
                Ok((stream, _peer)) => {
                    if mode.close_on_accept {
                        ctx.stats.connection_opened();
                        drop(stream);
                        continue;
                    }
                    conns.spawn(serve_connection(
                        stream,
                        Arc::clone(&ctx),
                        shutdown.clone(),
                        mode_rx.clone(),
                    ));
                }
                Err(err) => {
                    // e.g. too many open files: back off instead of spinning.
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
        }
    }
    drop(listener);
    let drain = async { while conns.join_next().await.is_some() {} };
    if tokio::time::timeout(SHUTDOWN_GRACE, drain).await.is_err() {
        conns.abort_all();
    }
}

async fn serve_connection(
    stream: TcpStream,
    ctx: Arc<ConnCtx>,
    mut shutdown: watch::Receiver<bool>,
    mut mode_rx: watch::Receiver<ConnMode>,
) {
    let _open = ctx.stats.connection_opened();
    let abort = Arc::new(Notify::new());
    let service = {
        let ctx = Arc::clone(&ctx);
        let abort = Arc::clone(&abort);
        hyper::service::service_fn(move |req: Request<Incoming>| {
            handle_request(req, Arc::clone(&ctx), Arc::clone(&abort))
        })
    };
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30))
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    if *shutdown.borrow_and_update() {
        return;
    }
    let mut shutting_down = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(err) = result {
                    tracing::debug!(%err, "connection ended with an error");
                }
                return;
            }
            // Dropping `conn` closes the socket without an answer.
            () = abort.notified() => return,
            changed = mode_rx.changed() => {
                if changed.is_err() || mode_rx.borrow().refuse {
                    return;
                }
            }
            // Finish the request in progress (if any), then close.
            _ = shutdown.changed(), if !shutting_down => {
                shutting_down = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// Applies latency and faults, then hands the request to the router.
async fn handle_request(
    req: Request<Incoming>,
    ctx: Arc<ConnCtx>,
    abort: Arc<Notify>,
) -> Result<Response<Body>, Infallible> {
    let req = req.map(Body::new);
    let path = req.uri().path().to_owned();
    if path == "/_sandbox" || path.starts_with("/_sandbox/") {
        return Ok(route(&ctx, req).await);
    }
    let method = req.method().as_str().to_owned();
    ctx.stats.record_request(&method, &path);
    if let Some(delay) = ctx.faults.latency_for(&method, &path) {
        tokio::time::sleep(delay).await;
    }
    let Some(action) = ctx.faults.take(&method, &path) else {
        return Ok(route(&ctx, req).await);
    };
    // A slow answer is not a failure: it is not counted as an injected fault.
    if !matches!(action, FaultAction::ProcessSlowly { .. }) {
        ctx.stats.record_fault();
    }
    tracing::debug!(%method, %path, ?action, "injecting fault");
    match action {
        FaultAction::Fail {
            status,
            retry_after,
            retry_after_as_date,
            body,
        } => {
            let retry_after = retry_after.map(|secs| {
                if retry_after_as_date {
                    let at = std::time::SystemTime::now() + std::time::Duration::from_secs(secs);
                    HeaderValue::from_str(&httpdate::fmt_http_date(at))
                        .unwrap_or_else(|_| HeaderValue::from(secs))
                } else {
                    HeaderValue::from(secs)
                }
            });
            Ok(fault_response(status, retry_after, body))
        }
        FaultAction::Drop => {
            abort.notify_one();
            std::future::pending().await
        }
        FaultAction::ProcessThenFail { status } => {
            let response = route(&ctx, req).await;
            // Make sure the handler's work is complete before answering otherwise.
            let _ = axum::body::to_bytes(response.into_body(), usize::MAX).await;
            Ok(fault_response(status, None, None))
        }
        FaultAction::ProcessSlowly { millis } => {
            Ok(process_detached(ctx, req, Duration::from_millis(millis)).await)
        }
        FaultAction::ProcessThenDrop => {
            let response = route(&ctx, req).await;
            let _ = axum::body::to_bytes(response.into_body(), usize::MAX).await;
            abort.notify_one();
            std::future::pending().await
        }
    }
}

/// Reads the request body, then waits `delay` and routes the request in a task of its own,
/// so the processing finishes even if the client closes the connection (and this future is
/// dropped) meanwhile.
async fn process_detached(
    ctx: Arc<ConnCtx>,
    req: Request<Body>,
    delay: Duration,
) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_DETACHED_BODY).await else {
        return fault_response(400, None, None);
    };
    let req = Request::from_parts(parts, Body::from(bytes));
    let task = tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        let response = route(&ctx, req).await;
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default();
        Response::from_parts(parts, Body::from(body))
    });
    match task.await {
        Ok(response) => response,
        Err(_) => fault_response(500, None, None),
    }
}

async fn route(ctx: &ConnCtx, req: Request<Body>) -> Response<Body> {
    let Ok(response) = ctx.router.clone().oneshot(req).await;
    response
}

/// The answer of an injected failure.
fn fault_response(
    status: u16,
    retry_after: Option<HeaderValue>,
    body: Option<String>,
) -> Response<Body> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = match body {
        Some(text) => {
            let mut r = Response::new(Body::from(text));
            *r.status_mut() = status;
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            r
        }
        None => {
            let message = match status.as_u16() {
                429 => "Too Many Attempts.".to_owned(),
                _ => status
                    .canonical_reason()
                    .unwrap_or("Server Error")
                    .to_owned(),
            };
            json_response(status, &ApiError::new(status, message).body())
        }
    };
    if let Some(value) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}
