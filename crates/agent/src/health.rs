//! `/healthz` (the process answers), `/readyz` (a first cycle has finished) and `/metrics`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::Metrics;

/// What the endpoints read.
#[derive(Clone)]
pub struct HealthState {
    /// Set once the first cycle has finished.
    pub ready: Arc<AtomicBool>,
    /// The agent's metrics.
    pub metrics: Arc<Metrics>,
}

/// The endpoints.
pub fn router(state: HealthState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state)
}

/// Serves the endpoints on `listener` until the runtime stops.
pub async fn serve(listener: tokio::net::TcpListener, state: HealthState) {
    if let Err(e) = axum::serve(listener, router(state)).await {
        tracing::error!("health endpoint stopped: {e}");
    }
}

async fn readyz(State(state): State<HealthState>) -> impl IntoResponse {
    if state.ready.load(Ordering::SeqCst) {
        (StatusCode::OK, "ready\n")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "the first cycle has not finished\n",
        )
    }
}

async fn metrics(State(state): State<HealthState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
}
