//! `PartneroLayer` in a bare tower stack (`ServiceBuilder` + `service_fn`, no axum): what the
//! inner service finds in the request extensions, and what the response carries.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{HeaderValue, Request, Response, StatusCode, header};
use partnero_client::ReferralHandle;
use partnero_core::TrackingConfig;
use partnero_tower::{PartneroLayer, PartneroService, referral_handle};
use tower::{Service, ServiceBuilder, ServiceExt, service_fn};

use crate::common::DEFAULT_SET_COOKIE;

/// An inner service that hands the request's `ReferralHandle` (read the public way, through
/// `referral_handle`) back in the response extensions, so the test sees exactly what the
/// layer captured.
async fn echo_handle(req: Request<()>) -> Result<Response<()>, Infallible> {
    let handle = referral_handle(&req);
    let mut res = Response::new(());
    if let Some(handle) = handle {
        res.extensions_mut().insert(handle);
    }
    Ok(res)
}

#[tokio::test]
async fn default_set_cookie_is_exact() {
    let svc = ServiceBuilder::new()
        .layer(PartneroLayer::new("sk_test_key"))
        .service(service_fn(echo_handle));
    let req = Request::get("/?aff=demo-partner").body(()).unwrap();
    let res = svc.oneshot(req).await.unwrap();
    let values: Vec<_> = res.headers().get_all(header::SET_COOKIE).iter().collect();
    assert_eq!(values, [DEFAULT_SET_COOKIE]);
}

#[tokio::test]
async fn context_is_inserted_even_when_empty() {
    let svc = ServiceBuilder::new()
        .layer(PartneroLayer::new("sk_test_key"))
        .service(service_fn(echo_handle));
    let res = svc
        .oneshot(Request::get("/").body(()).unwrap())
        .await
        .unwrap();
    let handle = res.extensions().get::<ReferralHandle>().unwrap();
    assert!(handle.is_empty());
    assert!(res.headers().get(header::SET_COOKIE).is_none());
}

#[tokio::test]
async fn handler_set_cookies_are_kept_and_ours_appended() {
    let svc = ServiceBuilder::new()
        .layer(PartneroLayer::new("sk_test_key"))
        .service(service_fn(|_req: Request<()>| async {
            let res = Response::builder()
                .header(header::SET_COOKIE, "session=abc; Path=/; HttpOnly")
                .header(header::SET_COOKIE, "theme=dark; Path=/")
                .body(())
                .unwrap();
            Ok::<_, Infallible>(res)
        }));
    let req = Request::get("/?aff=demo-partner&ref=demo-referrer")
        .body(())
        .unwrap();
    let res = svc.oneshot(req).await.unwrap();
    let values: Vec<_> = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(
        values,
        [
            "session=abc; Path=/; HttpOnly",
            "theme=dark; Path=/",
            DEFAULT_SET_COOKIE,
            "partnero_referral=demo-referrer; Max-Age=2592000; Path=/; SameSite=Lax; Secure",
        ]
    );
}

#[tokio::test]
async fn response_status_headers_and_body_are_untouched() {
    let svc = ServiceBuilder::new()
        .layer(PartneroLayer::new("sk_test_key"))
        .service(service_fn(|_req: Request<()>| async {
            let res = Response::builder()
                .status(StatusCode::CREATED)
                .header("x-handler", "yes")
                .body("created")
                .unwrap();
            Ok::<_, Infallible>(res)
        }));
    let res = svc
        .oneshot(Request::get("/?aff=demo-partner").body(()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers()["x-handler"], "yes");
    assert_eq!(*res.body(), "created");
    assert_eq!(res.headers().get_all(header::SET_COOKIE).iter().count(), 1);
}

#[derive(Debug, PartialEq)]
struct HandlerFailed;

#[tokio::test]
async fn inner_errors_pass_through() {
    let svc = ServiceBuilder::new()
        .layer(PartneroLayer::new("sk_test_key"))
        .service(service_fn(|_req: Request<()>| async {
            Err::<Response<()>, _>(HandlerFailed)
        }));
    let err = svc
        .oneshot(Request::get("/?aff=demo-partner").body(()).unwrap())
        .await
        .unwrap_err();
    assert_eq!(err, HandlerFailed);
}

/// A service that is not ready yet on its first poll, then fails readiness: shows that
/// `poll_ready` is the inner service's.
struct NotReadyThenFails {
    polls: usize,
}

impl Service<Request<()>> for NotReadyThenFails {
    type Response = Response<()>;
    type Error = &'static str;
    type Future = Pin<Box<dyn Future<Output = Result<Response<()>, &'static str>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.polls += 1;
        if self.polls == 1 {
            cx.waker().wake_by_ref();
            Poll::Pending
        } else {
            Poll::Ready(Err("inner not available"))
        }
    }

    fn call(&mut self, _req: Request<()>) -> Self::Future {
        Box::pin(async { Ok(Response::new(())) })
    }
}

#[tokio::test]
async fn poll_ready_forwards_to_the_inner_service() {
    let layer = PartneroLayer::new("sk_test_key");
    let mut svc = tower::Layer::layer(&layer, NotReadyThenFails { polls: 0 });
    let err = svc.ready().await.err().expect("readiness fails");
    assert_eq!(err, "inner not available");
    assert_eq!(svc.get_ref().polls, 2);
}

#[tokio::test]
async fn service_built_without_the_layer_behaves_the_same() {
    let config = TrackingConfig::default().secure(false);
    let client = PartneroLayer::new("sk_test_key").client().clone();
    let svc = PartneroService::new(service_fn(echo_handle), client, config);
    assert!(!svc.config().get_secure());
    let res = svc
        .oneshot(Request::get("/?aff=demo-partner").body(()).unwrap())
        .await
        .unwrap();
    let handle = res.extensions().get::<ReferralHandle>().unwrap();
    assert_eq!(handle.partner_key().unwrap().as_str(), "demo-partner");
    assert_eq!(
        res.headers()[header::SET_COOKIE],
        HeaderValue::from_static(
            "partnero_partner=demo-partner; Max-Age=2592000; Path=/; SameSite=Lax"
        )
    );
}

#[test]
fn debug_output_never_shows_the_api_key() {
    let layer = PartneroLayer::new("sk_live_very_secret");
    let svc = tower::Layer::layer(&layer, ());
    for text in [format!("{layer:?}"), format!("{svc:?}")] {
        assert!(!text.contains("sk_live_very_secret"), "{text}");
    }
    assert!(format!("{layer:?}").starts_with("PartneroLayer"));
}

#[test]
fn with_config_does_not_change_clones_taken_before() {
    let base = PartneroLayer::new("sk_test_key");
    let changed = base
        .clone()
        .with_config(TrackingConfig::default().secure(false));
    assert!(base.config().get_secure());
    assert!(!changed.config().get_secure());
}
