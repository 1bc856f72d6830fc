//! Extractors that turn every rejection into Partnero's error envelope.

use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_LENGTH;
use axum::http::request::Parts;
use serde_json::Value;

use crate::app::AppState;
use crate::envelope::ApiError;

/// How long a client may take to send its body.
const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// A JSON body, limited in size. An empty body reads as `{}`.
///
/// Too large: 413. Not sent within 30 s: 408. Not JSON: 400. Shape and types are checked by the handler (422).
#[derive(Debug)]
pub(crate) struct JsonBody(pub(crate) Value);

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("The request body is too large (limit {limit} bytes)."),
    )
}

impl FromRequest<AppState> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let limit = state.body_limit;
        let declared = req
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|len| len > limit as u64) {
            return Err(too_large(limit));
        }
        let read = axum::body::to_bytes(req.into_body(), limit);
        let Ok(read) = tokio::time::timeout(BODY_TIMEOUT, read).await else {
            return Err(ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "The request body was not received in time.",
            ));
        };
        let bytes = match read {
            Ok(bytes) => bytes,
            Err(err) => {
                let inner = err.into_inner();
                let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&*inner);
                while let Some(e) = source {
                    if e.is::<http_body_util::LengthLimitError>() {
                        return Err(too_large(limit));
                    }
                    source = e.source();
                }
                return Err(ApiError::bad_request("The request body could not be read."));
            }
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonBody(Value::Object(serde_json::Map::new())));
        }
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError::bad_request(format!("The request body is not valid JSON: {e}")))
    }
}

/// The single path parameter, percent-decoded; anything undecodable is a 404.
#[derive(Debug)]
pub(crate) struct PathKey(pub(crate) String);

impl FromRequestParts<AppState> for PathKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(key)| PathKey(key))
            .map_err(|_| ApiError::route_not_found())
    }
}
