//! The kspm server: ingest API for agents, JSON API, `/metrics`, `/healthz` and the web UI.
//!
//! [`router`] builds the whole application from an [`AppState`]; [`serve`] runs it on a
//! listener until a shutdown future resolves. Store calls are blocking (SQLite) and run on
//! tokio's blocking pool. The HTTP contract is described in this crate's README.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::middleware;
use axum::response::Response;
use axum::routing::{get, post, put};

mod api;
mod auth;
mod error;
mod export;
mod forward;
mod ingest;
mod listen;
mod metrics;
mod throttle;
mod web;

pub use auth::{AuthConfig, MIN_TOKEN_CHARS};
pub use forward::{ForwardSink, Forwarder};

/// Size limits of requests.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest ingest body in bytes; larger bodies get 413.
    pub max_body_bytes: usize,
    /// Most NDJSON lines (findings) in one ingest batch; more get 413.
    pub max_lines: usize,
    /// A cycle begun this long ago that never completed is abandoned: [`serve`] drops it and
    /// its staged rows.
    pub abandoned_cycle_after: Duration,
    /// How often [`serve`] looks for abandoned cycles.
    pub prune_every: Duration,
    /// Time a client has to send a whole request head (also how long a keep-alive
    /// connection may wait between requests); the connection is closed after it.
    pub header_read_timeout: Duration,
    /// A connection on which no byte moved either way for this long is closed (a slow body,
    /// or a reader that stopped reading).
    pub idle_timeout: Duration,
    /// Open connections at most; connections past it are closed at once.
    pub max_connections: usize,
    /// Store-reading requests (pages, searches, exports, metrics) run at once at most.
    pub concurrent_queries: usize,
    /// Store-reading requests that may wait for a slot; more are answered 503.
    pub queued_queries: usize,
    /// Longest wait for a slot before a 503.
    pub query_wait: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_body_bytes: 32 * 1024 * 1024,
            max_lines: 50_000,
            abandoned_cycle_after: Duration::from_secs(24 * 3600),
            prune_every: Duration::from_secs(3600),
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
            concurrent_queries: 4,
            queued_queries: 256,
            query_wait: Duration::from_secs(10),
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
    /// Counters of refused sign-ins, timeouts and limits, for `/metrics`.
    pub(crate) events: Arc<metrics::ServerEvents>,
    /// Slots of store-reading requests.
    pub(crate) query_slots: Arc<throttle::QuerySlots>,
    /// Host names (besides IP addresses and `localhost`) that browsers may use to reach the
    /// server when no read token is set, lower case.
    pub(crate) allowed_hosts: Arc<Vec<String>>,
    /// Where accepted batches are forwarded, if anywhere.
    pub(crate) forward: Option<Forwarder>,
}

impl AppState {
    /// State over a store, with the given tokens and limits and no browser session yet.
    pub fn new(store: kspm_store::Store, auth: AuthConfig, limits: Limits) -> AppState {
        AppState {
            store,
            auth: Arc::new(auth),
            limits,
            sessions: Arc::default(),
            events: Arc::default(),
            query_slots: Arc::new(throttle::QuerySlots::new(
                limits.concurrent_queries,
                limits.queued_queries,
                limits.query_wait,
            )),
            allowed_hosts: Arc::default(),
            forward: None,
        }
    }

    /// Forwards every accepted batch to `sink` (Elasticsearch), from a thread of its own.
    pub fn with_forwarder(mut self, sink: Box<dyn ForwardSink>) -> AppState {
        self.forward = Some(Forwarder::start(sink, self.events.clone()));
        self
    }

    /// Host names browsers may use to reach the server when no read token is set (besides
    /// IP addresses and `localhost`, always accepted). Without a read token every page is
    /// open to whoever reaches the server, and a web page could point its own host name at
    /// this server (DNS rebinding) and read it through a visitor's browser; so requests
    /// without a token that name another host are refused.
    pub fn with_allowed_hosts(mut self, hosts: impl IntoIterator<Item = String>) -> AppState {
        self.allowed_hosts = Arc::new(
            hosts
                .into_iter()
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect(),
        );
        self
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
    /// The tokens are unsafe to serve with.
    #[error("{0}")]
    Tokens(String),
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
            throttle::limit_queries,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_read,
        ))
        .layer(middleware::map_response(security_headers))
        .with_state(state)
}

/// Headers every response carries: no MIME sniffing, no framing by other sites (the pages
/// have buttons that change data), the strict Content-Security-Policy of the pages, no
/// referrer to other sites, and no caching of anything but the static assets.
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
    // Addresses carry queries (and a sign-in link a token): never hand them to another site.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    // Pages and answers hold findings: no shared or browser cache keeps them. The vendored
    // static assets set their own caching.
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// Serves [`router`] on `listener` until `shutdown` resolves, then lets in-flight requests
/// finish (for up to 30 seconds). Refuses tokens that [`AuthConfig::check`] refuses. Connections are limited and timed out as [`Limits`] says;
/// abandoned cycles are pruned on a timer.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    state.auth.check()?;
    let pruner = tokio::spawn(prune_abandoned_cycles(state.clone()));
    let served = listen::run(listener, router(state.clone()), &state, shutdown).await;
    pruner.abort();
    served?;
    Ok(())
}

/// Every [`Limits::prune_every`], drops the cycles begun more than
/// [`Limits::abandoned_cycle_after`] ago that never completed (an agent that died mid-cycle,
/// or a client that never sent its last batch), with their staged rows.
async fn prune_abandoned_cycles(state: AppState) {
    let mut ticks = tokio::time::interval(state.limits.prune_every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let store = state.store.clone();
        let age = i64::try_from(state.limits.abandoned_cycle_after.as_secs()).unwrap_or(i64::MAX);
        let pruned = tokio::task::spawn_blocking(move || {
            let cutoff = store.clock().now().saturating_sub(age);
            store.prune_abandoned_cycles(cutoff)
        })
        .await;
        match pruned {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::info!("dropped {n} abandoned cycles and their staged rows"),
            Ok(Err(err)) => tracing::warn!("pruning abandoned cycles: {err}"),
            Err(err) => tracing::warn!("pruning abandoned cycles: {err}"),
        }
    }
}
