//! Server-rendered web pages: the dashboard (`/`), the findings explorer (`/findings`, with
//! an htmx flyout per finding), resource pages (`/resources/{cluster}/{id}`), what changed
//! between two rounds of cycles (`/changes`), the rules page (`/rules`), the sign-in page,
//! plus the vendored static assets.
//!
//! Templates live in `web/templates` at the repository root and are compiled in by askama,
//! which escapes every value. Pages carry a strict Content-Security-Policy (own origin only,
//! no inline script or style), so a hostile resource name can only ever be text.

use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};

use crate::AppState;

mod assets;
mod changes;
mod dashboard;
mod findings;
pub(crate) mod login;
mod markdown;
mod query;
mod resource;
mod rules;
mod view;

#[cfg(test)]
mod tests;

/// Filters of the templates (`{{ n|grouped }}`); each page's module brings them in scope.
pub(crate) mod filters {
    use askama::Values;

    /// A count with thousands separators (`12,345`), so that large counts read at a glance.
    /// Attributes (`data-total`) keep the plain number.
    #[askama::filter_fn]
    pub fn grouped(n: impl std::fmt::Display, _: &dyn Values) -> askama::Result<String> {
        Ok(super::view::grouped(&n.to_string()))
    }
}

/// Routes of the web UI, merged into the main router.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard::page))
        .route("/findings", get(findings::page))
        .route("/findings/{id}", get(findings::finding_page))
        .route("/findings/{id}/flyout", get(findings::flyout))
        .route("/resources/{cluster_id}/{resource_id}", get(resource::page))
        .route("/changes", get(changes::page))
        .route("/rules", get(rules::page))
        .route("/rules/enabled", post(rules::set_enabled))
        .route("/rules/exceptions", post(rules::add_exception))
        .route(
            "/rules/exceptions/{id}/remove",
            post(rules::remove_exception),
        )
        .route("/static/{*path}", get(assets::asset))
        .route("/favicon.ico", get(assets::favicon))
}

/// Own origin only; no inline script, no inline style, no plugins, no framing. Every
/// response carries it (see `security_headers`), the sign-in page and errors included.
pub(crate) const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Whether the person looking is signed in (the top bar offers to sign in or out).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ViewerView {
    pub(crate) signed_in: bool,
}

impl From<crate::auth::Viewer> for ViewerView {
    fn from(v: crate::auth::Viewer) -> ViewerView {
        ViewerView {
            signed_in: v.signed_in,
        }
    }
}

#[derive(Template)]
#[template(path = "login.html", config = "src/web/askama.toml")]
struct LoginPage<'a> {
    active: &'a str,
    viewer: ViewerView,
    next: &'a str,
    token: &'a str,
    error: Option<&'a str>,
}

/// The sign-in page (`next` already checked to be a local path; `token` filled in from a
/// sign-in link, or empty).
pub(crate) fn login_page(
    status: StatusCode,
    next: &str,
    token: &str,
    error: Option<&str>,
) -> Response {
    let page = LoginPage {
        active: "login",
        viewer: ViewerView::default(),
        next,
        token,
        error,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(err) => PageError::internal(err).into_response(),
    }
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
    viewer: ViewerView,
    status: u16,
    reason: &'a str,
    message: &'a str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = ErrorPage {
            active: "",
            viewer: ViewerView::default(),
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
