//! `POST /api/v1/ingest`: agents (and `kspm scan --output server`) send one cycle as
//! numbered NDJSON batches of finding documents; the batch flagged `final=true` completes
//! the cycle. See the README for the contract.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use kspm_model::{ClusterInfo, Finding, Scope};
use kspm_store::CycleStart;
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::api::ApiQuery;
use crate::auth::require_bearer_write;
use crate::error::{ApiError, blocking};

/// Query of `/api/v1/ingest`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IngestParams {
    /// Client-chosen cycle id (a UUID).
    cycle: String,
    /// Batch number inside the cycle (any order, each once).
    batch: u64,
    /// This batch ends the cycle.
    #[serde(default, rename = "final")]
    is_final: bool,
    /// Cluster id (UID of `kube-system`, or the offline name).
    cluster: String,
    /// Cluster display name; defaults to the id.
    cluster_name: Option<String>,
    /// Kubernetes version.
    cluster_version: Option<String>,
    /// `kubeadm`, `eks`, …
    platform: Option<String>,
    /// `cluster`, `node:<name>` or `cloud:<account>/<region>`; defaults to `cluster`.
    scope: Option<String>,
    /// Cycle start (Unix seconds); defaults to the server's now when the cycle is first seen.
    started_at: Option<i64>,
}

/// Handles one batch.
pub(crate) async fn ingest(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<ApiQuery<IngestParams>, ApiError>,
    body: Body,
) -> Result<Response, ApiError> {
    // Authentication comes before anything about the request is judged.
    require_bearer_write(&state, &headers)?;
    let ApiQuery(params) = params?;
    if uuid::Uuid::try_parse(&params.cycle).is_err() {
        return Err(ApiError::bad_request("cycle must be a UUID"));
    }
    if params.cluster.trim().is_empty() {
        return Err(ApiError::bad_request("cluster is required"));
    }
    let scope: Scope = match params.scope.as_deref() {
        None => Scope::Cluster,
        Some(text) => text
            .parse()
            .map_err(|e: kspm_model::ScopeError| ApiError::bad_request(e.to_string()))?,
    };
    let limit = state.limits.max_body_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(too_large_body(limit));
    }
    let bytes = read_limited(body, limit).await?;
    let max_lines = state.limits.max_lines;

    let store = state.store.clone();
    let cycle = params.cycle.clone();
    let start = CycleStart {
        cycle_id: params.cycle.clone(),
        cluster: ClusterInfo {
            id: params.cluster.clone(),
            name: params
                .cluster_name
                .clone()
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| params.cluster.clone()),
            version: params.cluster_version.clone(),
            platform: params.platform.clone(),
        },
        scope,
        started_at: params.started_at.unwrap_or_else(|| store.clock().now()),
    };
    let (batch, is_final) = (params.batch, params.is_final);
    let (outcome, summary) = blocking(move || {
        // Parsing is CPU work on up to tens of megabytes: keep it off the async threads.
        let findings = parse_batch(&bytes, max_lines, &start.cluster.id)?;
        store.begin_cycle(&start)?;
        let outcome = store.ingest_batch(&cycle, batch, &findings)?;
        let summary = if is_final {
            Some(store.complete_cycle(&cycle, store.clock().now())?)
        } else {
            None
        };
        Ok((outcome, summary))
    })
    .await?;
    Ok(Json(json!({
        "cycle": params.cycle,
        "batch": batch,
        "accepted": outcome.accepted,
        "duplicate": outcome.duplicate,
        "completed": summary,
    }))
    .into_response())
}

fn too_large_body(limit: usize) -> ApiError {
    ApiError::too_large(format!(
        "the body is larger than {limit} bytes; send smaller batches"
    ))
}

/// Reads the body, stopping as soon as it passes `limit` bytes.
async fn read_limited(body: Body, limit: usize) -> Result<Vec<u8>, ApiError> {
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request(format!("reading the body: {e}")))?;
        if bytes.len() + chunk.len() > limit {
            return Err(too_large_body(limit));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// Parses every line before anything is stored: one bad line rejects the whole batch
/// (400, naming the 1-based line), so a batch is stored whole or not at all.
fn parse_batch(bytes: &[u8], max_lines: usize, cluster: &str) -> Result<Vec<Finding>, ApiError> {
    let mut findings = Vec::new();
    for (index, line) in bytes.split(|b| *b == b'\n').enumerate() {
        let number = index + 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if findings.len() == max_lines {
            return Err(ApiError::too_large(format!(
                "more than {max_lines} findings in one batch; send smaller batches"
            ))
            .at_line(number));
        }
        let finding: Finding = serde_json::from_slice(line).map_err(|e| {
            ApiError::bad_request(format!("line {number}: not a finding document: {e}"))
                .at_line(number)
        })?;
        if finding.orchestrator.cluster.id != cluster {
            return Err(ApiError::bad_request(format!(
                "line {number}: finding of cluster `{}` sent for cluster `{cluster}`",
                finding.orchestrator.cluster.id
            ))
            .at_line(number));
        }
        findings.push(finding);
    }
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_lines_are_skipped_and_bad_lines_are_numbered() {
        assert!(parse_batch(b"\n \r\n\n", 10, "c").unwrap().is_empty());
        let err = parse_batch(b"\n\n{\"not\": \"a finding\"}\n", 10, "c").unwrap_err();
        assert_eq!(err.status(), axum::http::StatusCode::BAD_REQUEST);
        assert_eq!(err.line(), Some(3));
    }
}
