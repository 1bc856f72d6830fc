//! [`MissingPartneroMiddleware`]: the error the [`Referral`](crate::Referral) extractor returns when
//! [`PartneroMiddleware`](crate::PartneroMiddleware) did not run for the request.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};

/// The message of the 500 response, in logs and in the plain-text body.
const MESSAGE: &str = "partnero: no referral context on this request. \
Is `PartneroMiddleware` registered with `App::wrap` (or `Scope::wrap`) for this route?";

/// The [`Referral`](crate::Referral) extractor found no referral context: the route is not
/// wrapped by [`PartneroMiddleware`](crate::PartneroMiddleware).
///
/// A configuration mistake, not a client error: it answers `500 Internal Server Error` with a
/// plain-text body naming the middleware, and the extractor logs it once per process with `tracing::error!`.
/// Extract `Option<Referral>` instead to get `None` rather than the error.
///
/// ```
/// use actix_web::{ResponseError, http::StatusCode};
/// use partnero_actix::MissingPartneroMiddleware;
///
/// assert_eq!(MissingPartneroMiddleware.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
/// assert!(MissingPartneroMiddleware.to_string().contains("PartneroMiddleware"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MissingPartneroMiddleware;

impl fmt::Display for MissingPartneroMiddleware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MESSAGE)
    }
}

impl std::error::Error for MissingPartneroMiddleware {}

impl ResponseError for MissingPartneroMiddleware {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code())
            .insert_header((
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ))
            .body(MESSAGE)
    }
}
