//! Measures the HTTP paths that carry volume: ingesting a cycle, searching, the dashboard,
//! `/metrics` and streaming an export, through the router over a real SQLite file.
//!
//! `cargo bench -p kspm-server --bench ingest [-- N]` (N findings, default 20000).

use std::time::Instant;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use kspm_model::{ResourceType, finding_id, resource_id};
use kspm_server::{AppState, AuthConfig, Limits, router};
use kspm_store::Store;
use serde_json::json;
use tower::ServiceExt;

const CLUSTER: &str = "5a1b2c3d-0000-4000-8000-00000000c1a5";
const TOKEN: &str = "bench-token";

fn line(i: usize) -> String {
    let name = format!("app-{i}");
    let ns = format!("ns-{}", i % 50);
    let rule = format!("rule_{}", i % 40);
    let resource = resource_id(
        CLUSTER,
        ResourceType::K8sObject,
        &format!("Deployment/{ns}/{name}"),
    );
    let doc = json!({
        "@timestamp": "2026-11-26T10:00:00Z",
        "event": {"id": finding_id(CLUSTER, &resource, &rule), "kind": "state",
                  "category": ["configuration"], "type": ["info"], "outcome": "success",
                  "sequence": 1_795_000_000, "created": "2026-11-26T10:00:00Z"},
        "resource": {"id": resource, "name": format!("{ns}/{name}"), "type": "k8s_object",
                     "sub_type": "Deployment",
                     "raw": {"kind": "Deployment", "metadata": {"name": name, "namespace": ns}}},
        "result": {"evaluation": if i.is_multiple_of(3) { "failed" } else { "passed" },
                   "evidence": {"containers": [{"name": "main", "privileged": i.is_multiple_of(3)}]},
                   "expected": {"privileged": false}},
        "rule": {"id": rule, "name": format!("Rule {}", i % 40), "description": "d",
                 "rationale": "r", "impact": "", "default_value": "", "remediation": "1. Fix.",
                 "references": "", "profile_applicability": "Level 1 - Worker Node",
                 "section": format!("Section {}", i % 7), "tags": [],
                 "benchmark": {"id": "cis_k8s", "name": "CIS Kubernetes Benchmark",
                               "version": "v2.0.1", "versions": ["v2.0.1"],
                               "rule_number": format!("5.{}.{}", i % 7, i % 40),
                               "posture_type": "kspm"}},
        "orchestrator": {"type": "kubernetes", "cluster": {"id": CLUSTER, "name": "bench"},
                         "resource": {"name": name, "type": "Deployment", "namespace": ns}}
    });
    serde_json::to_string(&doc).expect("serialises") + "\n"
}

async fn call(app: &axum::Router, method: Method, uri: &str, body: String) -> (StatusCode, usize) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(Body::from(body))
        .expect("request");
    let response = app.clone().oneshot(req).await.expect("infallible");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (status, bytes.len())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(20_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("bench.db")).expect("store");
    let app = router(AppState::new(
        store,
        AuthConfig {
            write_token: TOKEN.into(),
            read_token: None,
        },
        Limits::default(),
    ));
    let batch = 5_000;
    let lines: Vec<String> = (0..n).map(line).collect();
    let bytes: usize = lines.iter().map(String::len).sum();

    let t = Instant::now();
    let cycle = "00000000-0000-4000-8000-000000000001";
    let batches = n.div_ceil(batch);
    for (b, chunk) in lines.chunks(batch).enumerate() {
        let last = b + 1 == batches;
        let uri = format!("/api/v1/ingest?cycle={cycle}&batch={b}&final={last}&cluster={CLUSTER}");
        let (status, _) = call(&app, Method::POST, &uri, chunk.concat()).await;
        assert_eq!(status, StatusCode::OK);
    }
    let ingest = t.elapsed();
    println!(
        "ingest {n} findings ({:.1} MB) in {batches} batches: {ingest:?} ({:.0} findings/s)",
        bytes as f64 / 1e6,
        n as f64 / ingest.as_secs_f64()
    );

    for (what, uri) in [
        (
            "search failed, page 1",
            "/api/v1/findings?q=result.evaluation%20%3A%20failed",
        ),
        (
            "search sorted by name, page 10",
            "/api/v1/findings?sort=resource.name&page=10",
        ),
        ("groups by resource", "/api/v1/findings/groups?by=resource"),
        ("dashboard", "/api/v1/dashboard"),
        ("metrics", "/metrics"),
        ("export csv (all)", "/api/v1/findings/export.csv"),
        ("export ndjson (all)", "/api/v1/findings/export.ndjson"),
    ] {
        let t = Instant::now();
        let (status, len) = call(&app, Method::GET, uri, String::new()).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        println!("{what}: {:?} ({:.1} MB)", t.elapsed(), len as f64 / 1e6);
    }
}
