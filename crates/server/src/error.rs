//! One error type for every handler: it becomes a JSON response and never leaks internals.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error answered to an API client as `{"error": "...", ...}` with a status code.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
    /// Character offset in the KQL query, for query errors.
    position: Option<usize>,
    /// 1-based NDJSON line, for ingest errors.
    line: Option<usize>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    position: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            position: None,
            line: None,
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    pub(crate) fn too_large(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, message)
    }

    pub(crate) fn unauthorized() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "a bearer token is required")
    }

    pub(crate) fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, message)
    }

    /// A failure on our side: logged in full, answered without details.
    pub(crate) fn internal(err: impl std::fmt::Display) -> ApiError {
        tracing::error!("request failed: {err:#}");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal server error")
    }

    pub(crate) fn at_position(mut self, position: usize) -> ApiError {
        self.position = Some(position);
        self
    }

    pub(crate) fn at_line(mut self, line: usize) -> ApiError {
        self.line = Some(line);
        self
    }

    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }

    #[cfg(test)]
    pub(crate) fn line(&self) -> Option<usize> {
        self.line
    }
}

impl From<kspm_store::Error> for ApiError {
    fn from(err: kspm_store::Error) -> ApiError {
        match err {
            kspm_store::Error::Query(q) => {
                ApiError::bad_request(q.message.clone()).at_position(q.position)
            }
            kspm_store::Error::Invalid(message) => ApiError::bad_request(message),
            err @ (kspm_store::Error::CycleComplete(_)
            | kspm_store::Error::CycleMismatch(_)
            | kspm_store::Error::BatchConflict(_)) => {
                ApiError::new(StatusCode::CONFLICT, err.to_string())
            }
            err @ kspm_store::Error::UnknownCycle(_) => ApiError::not_found(err.to_string()),
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: &self.message,
            position: self.position,
            line: self.line,
        };
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// Runs a blocking store call on the blocking pool.
pub(crate) async fn blocking<T, F>(f: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
}
