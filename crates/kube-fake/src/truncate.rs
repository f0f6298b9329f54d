//! A response cut off mid-body, as when the API server or a proxy dies while writing it.

use std::io;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::stream;

/// A 200 whose body stops about half way: the first half is written and flushed, then the
/// connection is dropped without the final chunk, so the client sees an incomplete body.
pub(crate) fn cut(body: Vec<u8>, content_type: &str) -> Response {
    let mut first = Bytes::from(body);
    first.truncate(first.len() / 2);
    let chunks = stream::unfold(Some(first), |step| async move {
        match step {
            Some(first) => Some((Ok(first), None)),
            None => {
                // Let the first half reach the client before the connection goes.
                tokio::time::sleep(Duration::from_millis(50)).await;
                let cut: io::Result<Bytes> = Err(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    "connection cut mid-body (TruncatedPage fault)",
                ));
                Some((cut, None))
            }
        }
    });
    let mut response = (StatusCode::OK, Body::from_stream(chunks)).into_response();
    if let Ok(value) = HeaderValue::from_str(content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}
