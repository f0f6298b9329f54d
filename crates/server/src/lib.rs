//! The kspm server: ingest API for agents, JSON API, `/metrics`, `/healthz` and the web UI.
//!
//! [`router`] builds the whole application from an [`AppState`]; [`serve`] runs it on a
//! listener until a shutdown future resolves. Store calls are blocking (SQLite) and run on
//! tokio's blocking pool. The HTTP contract is described in this crate's README.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::middleware;
use axum::response::Response;
use axum::routing::{get, post, put};

mod api;
mod auth;
mod error;
mod export;
mod ingest;
mod metrics;
mod web;

pub use auth::AuthConfig;

/// Size limits of requests.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest ingest body in bytes; larger bodies get 413.
    pub max_body_bytes: usize,
    /// Most NDJSON lines (findings) in one ingest batch; more get 413.
    pub max_lines: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_body_bytes: 32 * 1024 * 1024,
            max_lines: 50_000,
        }
    }
}

/// Shared state of every handler. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The findings store.
    pub store: kspm_store::Store,
    /// Accepted tokens.
    pub auth: Arc<AuthConfig>,
    /// Request size limits.
    pub limits: Limits,
    /// Browser sessions.
    pub(crate) sessions: Arc<auth::Sessions>,
}

impl AppState {
    /// State over a store, with the given tokens and limits and no browser session yet.
    pub fn new(store: kspm_store::Store, auth: AuthConfig, limits: Limits) -> AppState {
        AppState {
            store,
            auth: Arc::new(auth),
            limits,
            sessions: Arc::default(),
        }
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("store", &self.store)
            .field("auth", &self.auth)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// Errors of the server crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Accepting or serving connections failed.
    #[error("serving HTTP: {0}")]
    Io(#[from] std::io::Error),
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The whole application: `/api/v1/*`, `/metrics`, `/healthz`, `/login`, `/logout` and the
/// web pages.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/ingest", post(ingest::ingest))
        .route("/findings", get(api::search))
        .route("/findings/groups", get(api::groups))
        .route("/findings/export.csv", get(export::csv))
        .route("/findings/export.ndjson", get(export::ndjson))
        .route("/findings/{id}", get(api::finding))
        .route("/suggest", get(api::suggest))
        .route("/changes", get(api::changes))
        .route("/dashboard", get(api::dashboard))
        .route("/scores/trend", get(api::trend))
        .route("/rules", get(api::rules))
        .route(
            "/rules/{rule_id}/clusters/{cluster_id}/enabled",
            put(api::set_rule_enabled),
        )
        .route(
            "/rules/{rule_id}/enabled",
            put(api::set_rule_enabled_everywhere),
        )
        .route("/exceptions", get(api::exceptions).post(api::add_exception))
        .route(
            "/exceptions/{id}",
            get(api::exception).delete(api::remove_exception),
        )
        .fallback(api::not_found);
    Router::new()
        .nest("/api/v1", api)
        .route("/metrics", get(metrics::metrics))
        .route("/healthz", get(metrics::healthz))
        .route(
            "/login",
            get(web::login::login_get).post(web::login::login_post),
        )
        .route("/logout", post(web::login::logout))
        .merge(web::routes())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_read,
        ))
        .layer(middleware::map_response(security_headers))
        .with_state(state)
}

/// Headers every response carries: no MIME sniffing, no framing by other sites (the pages
/// have buttons that change data), and the strict Content-Security-Policy of the pages.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers
        .entry(header::X_FRAME_OPTIONS)
        .or_insert(HeaderValue::from_static("DENY"));
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(web::CSP));
    response
}

/// Serves [`router`] on `listener` until `shutdown` resolves, then lets in-flight requests
/// finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}
