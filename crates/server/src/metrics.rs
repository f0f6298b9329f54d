//! `/metrics` (OpenMetrics text, read by Prometheus) and `/healthz`.
//!
//! The numbers live in the store, so every scrape builds a fresh registry from one store
//! snapshot: no state to keep in step, and a cluster that disappears stops being reported.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use kspm_store::{Counts, MetricsSnapshot};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};
use serde_json::json;

use crate::AppState;
use crate::error::{ApiError, blocking};

type Labels = Vec<(&'static str, String)>;
type RatioFamily = Family<Labels, Gauge<f64, AtomicU64>>;

/// The OpenMetrics content type Prometheus negotiates for this format.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// `GET /metrics`.
pub(crate) async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let events = state.events.clone();
    let snapshot = blocking(move || Ok(state.store.metrics()?)).await?;
    let text = render(&snapshot, &events).map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response())
}

/// Security-relevant events of this process, counted for `/metrics` (each is also logged).
#[derive(Debug, Default)]
pub(crate) struct ServerEvents {
    /// Sign-ins with a token that is neither the read nor the write token.
    pub(crate) sign_in_failures: AtomicU64,
    /// Connections closed because their request head did not arrive in time.
    pub(crate) header_timeouts: AtomicU64,
    /// Connections closed because no byte moved either way for the idle timeout.
    pub(crate) idle_timeouts: AtomicU64,
    /// Connections refused because the connection limit was reached.
    pub(crate) connections_refused: AtomicU64,
    /// Searches refused because too many were already waiting.
    pub(crate) searches_refused: AtomicU64,
    /// Findings the forwarder delivered (`--elasticsearch-url`).
    pub(crate) forwarded: AtomicU64,
    /// Forwarding runs that failed (their findings are in the forwarder's spool, or lost
    /// without one).
    pub(crate) forward_failures: AtomicU64,
}

impl ServerEvents {
    /// Adds one to a counter.
    pub(crate) fn count(counter: &AtomicU64) {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The snapshot and this process's event counters as OpenMetrics text.
pub(crate) fn render(
    snapshot: &MetricsSnapshot,
    events: &ServerEvents,
) -> Result<String, std::fmt::Error> {
    let mut registry = Registry::with_prefix("kspm");

    let cluster_score = RatioFamily::default();
    let benchmark_score = RatioFamily::default();
    let section_score = RatioFamily::default();
    let findings = Family::<Labels, Gauge>::default();
    let cycles = Counter::<u64>::default();

    // A cluster's findings each belong to exactly one benchmark, so its tally is the sum of
    // its benchmark tallies.
    let mut per_cluster: BTreeMap<(&str, &str), Counts> = BTreeMap::new();
    for b in &snapshot.benchmarks {
        let t = per_cluster
            .entry((b.cluster_id.as_str(), b.cluster_name.as_str()))
            .or_default();
        t.merge(&b.score.counts);
        if let Some(score) = ratio(&b.score.counts) {
            benchmark_score
                .get_or_create(&vec![
                    ("cluster_id", b.cluster_id.clone()),
                    ("cluster_name", b.cluster_name.clone()),
                    ("benchmark", b.benchmark_id.clone()),
                ])
                .set(score);
        }
    }
    for ((id, name), tally) in &per_cluster {
        if let Some(score) = ratio(tally) {
            cluster_score
                .get_or_create(&vec![
                    ("cluster_id", (*id).to_owned()),
                    ("cluster_name", (*name).to_owned()),
                ])
                .set(score);
        }
    }
    for s in &snapshot.sections {
        if let Some(score) = ratio(&s.score.counts) {
            section_score
                .get_or_create(&vec![
                    ("cluster_id", s.cluster_id.clone()),
                    ("cluster_name", s.cluster_name.clone()),
                    ("benchmark", s.benchmark_id.clone()),
                    ("section", s.section.clone()),
                ])
                .set(score);
        }
    }
    for c in &snapshot.findings {
        findings
            .get_or_create(&vec![
                ("cluster_id", c.cluster_id.clone()),
                ("cluster_name", c.cluster_name.clone()),
                ("status", c.status.as_str().to_owned()),
            ])
            .set(i64::try_from(c.count).unwrap_or(i64::MAX));
    }
    cycles.inc_by(snapshot.cycles_completed);

    registry.register_with_unit(
        "cluster_posture_score",
        "Posture score of a cluster: passed / (passed + failed) over its latest findings",
        Unit::Other("ratio".into()),
        cluster_score,
    );
    registry.register_with_unit(
        "benchmark_posture_score",
        "Posture score of a cluster for one benchmark",
        Unit::Other("ratio".into()),
        benchmark_score,
    );
    registry.register_with_unit(
        "section_posture_score",
        "Posture score of a cluster for one benchmark section",
        Unit::Other("ratio".into()),
        section_score,
    );
    registry.register(
        "findings",
        "Latest findings per cluster and status (failed, error, manual, passed, excepted, disabled)",
        findings,
    );
    registry.register(
        "cycles_completed",
        "Evaluation cycles completed, over all clusters",
        cycles,
    );

    for (name, help, value) in [
        (
            "sign_in_failures",
            "Sign-ins refused because the token was not valid, since the server started",
            &events.sign_in_failures,
        ),
        (
            "http_header_timeouts",
            "Connections closed because the request head did not arrive in time",
            &events.header_timeouts,
        ),
        (
            "http_idle_timeouts",
            "Connections closed because no byte moved either way for the idle timeout",
            &events.idle_timeouts,
        ),
        (
            "http_connections_refused",
            "Connections refused because the connection limit was reached",
            &events.connections_refused,
        ),
        (
            "searches_refused",
            "Searches answered 503 because too many searches were already waiting",
            &events.searches_refused,
        ),
        (
            "forwarded_findings",
            "Findings forwarded to Elasticsearch or OpenSearch, since the server started",
            &events.forwarded,
        ),
        (
            "forward_failures",
            "Forwarding attempts that failed (kept in the forwarder's spool when it has one)",
            &events.forward_failures,
        ),
    ] {
        let counter = Counter::<u64>::default();
        counter.inc_by(value.load(std::sync::atomic::Ordering::Relaxed));
        registry.register(name, help, counter);
    }

    let mut text = String::new();
    encode(&mut text, &registry)?;
    Ok(text)
}

/// passed / (passed + failed) as a 0…1 ratio, computed from the counts (not from the percent
/// score) so that it is exact; `None` when nothing was scored.
fn ratio(counts: &Counts) -> Option<f64> {
    let scored = counts.passed + counts.failed;
    (scored > 0).then(|| counts.passed as f64 / scored as f64)
}

/// `GET /healthz`: 200 when the store answers a read, 503 otherwise. Never needs a token.
pub(crate) async fn healthz(State(state): State<AppState>) -> Response {
    match blocking(move || Ok(state.store.clusters()?)).await {
        Ok(_) => Json(json!({ "status": "ok" })).into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable" })),
        )
            .into_response(),
    }
}
