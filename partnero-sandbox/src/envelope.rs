//! Partnero's response envelopes: `{"data": .., "status": 1}` and
//! `{"message": .., "errors": {..}, "status": 0}`.

use std::collections::BTreeMap;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Field errors of a 422 answer: field name (dotted) -> messages.
pub(crate) type FieldErrors = BTreeMap<String, Vec<String>>;

/// An error answer in Partnero's envelope.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
    pub(crate) errors: Option<FieldErrors>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            errors: None,
        }
    }

    /// 401 for a missing or unknown API key.
    pub(crate) fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Unauthenticated.")
    }

    /// 404 for an unknown route.
    pub(crate) fn route_not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not found")
    }

    /// 404 for an unknown resource.
    pub(crate) fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("{what} not found"))
    }

    /// 400 with a message.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 403: the endpoint does not exist for this program kind.
    pub(crate) fn wrong_program(needed: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            format!("This action is only available for {needed} programs."),
        )
    }

    /// 422 with field errors.
    pub(crate) fn validation(errors: FieldErrors) -> Self {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: "The given data was invalid.".to_owned(),
            errors: Some(errors),
        }
    }

    /// 422 with one field error and a specific message.
    pub(crate) fn field(message: &str, field: &str, detail: &str) -> Self {
        let mut errors = FieldErrors::new();
        errors.insert(field.to_owned(), vec![detail.to_owned()]);
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: message.to_owned(),
            errors: Some(errors),
        }
    }

    pub(crate) fn body(&self) -> Value {
        match &self.errors {
            Some(errors) => json!({"message": self.message, "errors": errors, "status": 0}),
            None => json!({"message": self.message, "status": 0}),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        json_response(self.status, &self.body())
    }
}

/// A JSON response with the given status.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{\"status\":0}".to_vec());
    let mut response = (status, bytes).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// `{"data": data, "status": 1}` with 200.
pub(crate) fn ok(data: Value) -> Response {
    json_response(StatusCode::OK, &json!({"data": data, "status": 1}))
}

/// `{"data": data, "status": 1}` with 201.
pub(crate) fn created(data: Value) -> Response {
    json_response(StatusCode::CREATED, &json!({"data": data, "status": 1}))
}

/// `{"status": 1}` with 200, for delete/archive-like actions.
pub(crate) fn done() -> Response {
    json_response(StatusCode::OK, &json!({"status": 1}))
}

/// The result type of handlers.
pub(crate) type ApiResult = Result<Response, ApiError>;
