//! [`MissingPartneroLayer`]: the rejection of [`Referral`](crate::Referral) when no
//! [`PartneroLayer`](crate::PartneroLayer) ran for the request.

use std::fmt;

use axum_core::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

/// The text of the rejection's response body.
const BODY: &str = "partnero: no referral context on this request. \
Is `PartneroLayer` added to this router? Routes must be added before `Router::layer(PartneroLayer::..)` \
(it only wraps the routes that exist when it is called), and a middleware that extracts `Referral` \
must run inside `PartneroLayer`. See https://docs.rs/partnero-tower#layer-ordering";

/// Rejection of the [`Referral`](crate::Referral) extractor: the request carries no referral
/// context because no [`PartneroLayer`](crate::PartneroLayer) wraps the route.
///
/// This is a wiring mistake, not a client error, so it answers `500 Internal Server Error` with
/// a `text/plain` body naming `PartneroLayer` and pointing at the
/// [layer ordering](crate#layer-ordering) docs. Use `Option<Referral>` to treat a missing layer
/// as "no referral" instead.
///
/// ```
/// use axum_core::response::IntoResponse;
/// use partnero_tower::MissingPartneroLayer;
///
/// let response = MissingPartneroLayer::new().into_response();
/// assert_eq!(response.status(), 500);
/// assert!(MissingPartneroLayer::new().body_text().contains("PartneroLayer"));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MissingPartneroLayer;

impl MissingPartneroLayer {
    /// The rejection.
    pub const fn new() -> Self {
        Self
    }

    /// The response status: `500 Internal Server Error`.
    pub const fn status(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    /// The response body.
    pub const fn body_text(&self) -> &'static str {
        BODY
    }
}

impl fmt::Display for MissingPartneroLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(BODY)
    }
}

impl std::error::Error for MissingPartneroLayer {}

impl IntoResponse for MissingPartneroLayer {
    fn into_response(self) -> Response {
        let mut response = (self.status(), BODY).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        response
    }
}
