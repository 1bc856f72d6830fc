//! [`ResponseFuture`]: the inner service's future, plus the referral `Set-Cookie` values to
//! append to its response.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::header::SET_COOKIE;
use http::{HeaderValue, Response};
use pin_project_lite::pin_project;

pin_project! {
    /// Response future of [`PartneroService`](crate::PartneroService).
    ///
    /// When the inner future yields `Ok(response)`, each pending referral `Set-Cookie` value is
    /// **appended** to the response headers, so `Set-Cookie` headers the handler set itself are
    /// kept. An `Err` passes through untouched. When nothing is to be set (the common case) it
    /// holds an empty `Vec`, which does not allocate.
    #[derive(Debug)]
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        set_cookies: Vec<String>,
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(inner: F, set_cookies: Vec<String>) -> Self {
        Self { inner, set_cookies }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = ready!(this.inner.poll(cx))?;
        let headers = response.headers_mut();
        for cookie in this.set_cookies.drain(..) {
            match HeaderValue::try_from(cookie) {
                Ok(value) => {
                    headers.append(SET_COOKIE, value);
                }
                Err(_) => {
                    // The core renders only valid header values; never log the value itself.
                    tracing::warn!(
                        "skipping a referral Set-Cookie that is not a valid header value"
                    );
                }
            }
        }
        Poll::Ready(Ok(response))
    }
}
