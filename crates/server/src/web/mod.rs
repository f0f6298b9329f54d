//! Server-rendered web pages: the dashboard (`/`), the findings explorer (`/findings`, with
//! an htmx flyout per finding) and the rules page (`/rules`), plus the vendored static assets.
//!
//! Templates live in `web/templates` at the repository root and are compiled in by askama,
//! which escapes every value. Pages carry a strict Content-Security-Policy (own origin only,
//! no inline script or style), so a hostile resource name can only ever be text.

use askama::Template;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};

use crate::AppState;

mod assets;
mod dashboard;
mod findings;
mod query;
mod rules;
mod view;

#[cfg(test)]
mod tests;

/// Routes of the web UI, merged into the main router.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard::page))
        .route("/findings", get(findings::page))
        .route("/findings/{id}", get(findings::finding_page))
        .route("/findings/{id}/flyout", get(findings::flyout))
        .route("/rules", get(rules::page))
        .route("/rules/enabled", post(rules::set_enabled))
        .route("/rules/exceptions", post(rules::add_exception))
        .route(
            "/rules/exceptions/{id}/remove",
            post(rules::remove_exception),
        )
        .route("/static/{*path}", get(assets::asset))
        .layer(middleware::map_response(content_security_policy))
}

/// Own origin only; no inline script, no inline style, no plugins, no framing.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

async fn content_security_policy(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    response
}

/// Renders a template into a response; a rendering failure is logged and answered as 500.
fn render<T: Template>(template: &T) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(err) => PageError::internal(err).into_response(),
    }
}

/// An error shown to a person as a page.
#[derive(Debug)]
pub(crate) struct PageError {
    status: StatusCode,
    message: String,
}

impl PageError {
    fn new(status: StatusCode, message: impl Into<String>) -> PageError {
        PageError {
            status,
            message: message.into(),
        }
    }

    fn not_found(message: impl Into<String>) -> PageError {
        PageError::new(StatusCode::NOT_FOUND, message)
    }

    fn bad_request(message: impl Into<String>) -> PageError {
        PageError::new(StatusCode::BAD_REQUEST, message)
    }

    /// A failure on our side: logged in full, shown without details.
    fn internal(err: impl std::fmt::Display) -> PageError {
        tracing::error!("page failed: {err:#}");
        PageError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on the server; the log has the details.",
        )
    }
}

impl From<kspm_store::Error> for PageError {
    fn from(err: kspm_store::Error) -> PageError {
        match err {
            kspm_store::Error::Query(q) => {
                PageError::bad_request(format!("{} (at character {})", q.message, q.position))
            }
            kspm_store::Error::Invalid(message) => PageError::bad_request(message),
            other => PageError::internal(other),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html", config = "src/web/askama.toml")]
struct ErrorPage<'a> {
    active: &'a str,
    status: u16,
    reason: &'a str,
    message: &'a str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = ErrorPage {
            active: "",
            status: self.status.as_u16(),
            reason: self.status.canonical_reason().unwrap_or("Error"),
            message: &self.message,
        };
        match page.render() {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(_) => (self.status, self.message).into_response(),
        }
    }
}

/// Runs a blocking store call on the blocking pool.
async fn blocking<T, F>(f: F) -> Result<T, PageError>
where
    F: FnOnce() -> Result<T, PageError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(PageError::internal)?
}
