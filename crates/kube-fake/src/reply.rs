//! Successful answers: a body with its Content-Type.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// A JSON document.
pub(crate) fn json_response(code: StatusCode, value: &Value) -> Response {
    typed_response(code, value.to_string(), "application/json")
}

/// A body of the given media type.
pub(crate) fn typed_response(
    code: StatusCode,
    body: impl Into<Body>,
    content_type: &str,
) -> Response {
    let mut response = (code, body.into()).into_response();
    if let Ok(value) = HeaderValue::from_str(content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}
