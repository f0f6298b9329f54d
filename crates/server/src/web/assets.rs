//! The static assets, compiled into the binary: our CSS, script and icon, and the vendored
//! htmx and uPlot with their licences.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// (path under `/static/`, content type, bytes).
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "kspm.css",
        "text/css; charset=utf-8",
        include_bytes!("../../../../web/static/kspm.css"),
    ),
    (
        "kspm.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../../web/static/kspm.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../../../../web/static/favicon.svg"),
    ),
    (
        "vendor/htmx/htmx.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../../web/static/vendor/htmx/htmx.min.js"),
    ),
    (
        "vendor/htmx/LICENSE",
        "text/plain; charset=utf-8",
        include_bytes!("../../../../web/static/vendor/htmx/LICENSE"),
    ),
    (
        "vendor/uplot/uPlot.iife.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../../web/static/vendor/uplot/uPlot.iife.min.js"),
    ),
    (
        "vendor/uplot/uPlot.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../../../web/static/vendor/uplot/uPlot.min.css"),
    ),
    (
        "vendor/uplot/LICENSE",
        "text/plain; charset=utf-8",
        include_bytes!("../../../../web/static/vendor/uplot/LICENSE"),
    ),
];

/// `GET /static/{path}`.
pub(crate) async fn asset(Path(path): Path<String>) -> Response {
    match ASSETS.iter().find(|(p, _, _)| *p == path) {
        Some((_, content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=3600"),
                ),
            ],
            *bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}

/// `GET /favicon.ico`: browsers ask for it whatever the page says.
pub(crate) async fn favicon() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/x-icon"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
        ],
        include_bytes!("../../../../web/static/favicon.ico").as_slice(),
    )
        .into_response()
}
