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
use kspm_store::{BatchReceipt, CycleStart};
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
    /// Batch number inside the cycle (any order; the cycle completes once 0 up to the final
    /// one have all arrived).
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
    /// Cycle start as the client saw it (Unix seconds): recorded, clamped to the server's
    /// time, never used to order cycles.
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
    // One cycle has one spelling: `{…}`, `urn:uuid:…`, upper case and the form without
    // hyphens all name the same cycle as its lower-case hyphenated form.
    let cycle = uuid::Uuid::try_parse(&params.cycle)
        .map_err(|_| ApiError::bad_request("cycle must be a UUID"))?
        .hyphenated()
        .to_string();
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
    let start = CycleStart {
        cycle_id: cycle.clone(),
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
        // The server's clock orders cycles; what the client says is only recorded.
        started_at: store.clock().now(),
    };
    let (batch, is_final) = (params.batch, params.is_final);
    let reported = params.started_at;
    let answer_cycle = cycle.clone();
    let forward = state.forward.clone();
    let (times, answer) = blocking(move || {
        // Parsing and hashing are CPU work on up to tens of megabytes: keep them off the
        // async threads.
        let findings = parse_batch(&bytes, max_lines, &start.cluster.id)?;
        let digest = hex(ring::digest::digest(&ring::digest::SHA256, &bytes).as_ref());
        let times = store.begin_reported_cycle(&start, reported)?;
        let receipt = BatchReceipt {
            number: batch,
            is_final,
            digest: &digest,
        };
        let answer = store.receive_batch(&cycle, &receipt, &findings, store.clock().now())?;
        // What the store took for the first time goes on (a resent batch was forwarded when
        // it first came).
        if let Some(forward) = forward
            && answer.outcome.accepted > 0
            && !answer.outcome.duplicate
        {
            forward.send(crate::forward::Forwarded {
                cluster: start.cluster.clone(),
                scope: start.scope.clone(),
                findings,
            });
        }
        Ok((times, answer))
    })
    .await?;
    if times.reported_in_future {
        tracing::warn!(
            cycle = %answer_cycle,
            "the client's cycle start is in the future; the server's time is used"
        );
    }
    Ok(Json(json!({
        "cycle": answer_cycle,
        "batch": batch,
        "accepted": answer.outcome.accepted,
        "duplicate": answer.outcome.duplicate,
        "completed": answer.completed,
        "batches_expected": answer.batches_expected,
        "batches_received": answer.batches_received,
        "started_at": times.started_at,
        "reported_started_at": times.reported_started_at,
        "reported_in_future": times.reported_in_future,
    }))
    .into_response())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
