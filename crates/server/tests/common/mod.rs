//! Shared helpers: a real SQLite store in a temp dir, the router driven with `oneshot`, and
//! finding documents built in code.
#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use kspm_model::{Finding, ResourceType, finding_id, resource_id};
use kspm_server::{AppState, AuthConfig, Limits, router};
use kspm_store::Store;
use serde_json::{Value, json};
use tower::ServiceExt;

pub const WRITE: &str = "write-token-0123456789";
pub const READ: &str = "read-token-9876543210";
pub const CLUSTER: &str = "5a1b2c3d-0000-4000-8000-00000000c1a5";

/// A router over a fresh store.
pub struct App {
    _dir: tempfile::TempDir,
    pub state: AppState,
    pub router: Router,
}

/// One answer.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl App {
    pub fn new() -> App {
        App::with(None, Limits::default())
    }

    pub fn with(read_token: Option<&str>, limits: Limits) -> App {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("kspm.db")).unwrap();
        let state = AppState::new(
            store,
            AuthConfig {
                write_token: WRITE.into(),
                read_token: read_token.map(Into::into),
            },
            limits,
        );
        App {
            _dir: dir,
            router: router(state.clone()),
            state,
        }
    }

    /// Sends a request; `headers` are extra `(name, value)` pairs.
    pub async fn send(
        &self,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: impl Into<Body>,
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let response = self
            .router
            .clone()
            .oneshot(req.body(body.into()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.send(Method::GET, uri, &[], Body::empty()).await
    }

    pub async fn get_with(&self, uri: &str, token: &str) -> Reply {
        let auth = format!("Bearer {token}");
        self.send(Method::GET, uri, &[("authorization", &auth)], Body::empty())
            .await
    }

    /// Sends one ingest batch with the write token.
    pub async fn ingest(&self, cycle: &str, batch: u64, last: bool, findings: &[Value]) -> Reply {
        let uri = format!(
            "/api/v1/ingest?cycle={cycle}&batch={batch}&final={last}&cluster={CLUSTER}&cluster_name=prod"
        );
        let auth = format!("Bearer {WRITE}");
        self.send(
            Method::POST,
            &uri,
            &[
                ("authorization", &auth),
                ("content-type", "application/x-ndjson"),
            ],
            ndjson(findings),
        )
        .await
    }

    /// Sends `findings` as one complete cycle and checks it was accepted.
    pub async fn ingest_cycle(&self, cycle: &str, findings: &[Value]) {
        let reply = self.ingest(cycle, 0, true, findings).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    }
}

pub fn ndjson(findings: &[Value]) -> String {
    findings
        .iter()
        .map(|f| serde_json::to_string(f).unwrap() + "\n")
        .collect()
}

/// A finding document about a namespaced Deployment.
pub fn finding(
    namespace: &str,
    name: &str,
    rule: &str,
    number: &str,
    section: &str,
    outcome: &str,
) -> Value {
    let resource = resource_id(
        CLUSTER,
        ResourceType::K8sObject,
        &format!("Deployment/{namespace}/{name}"),
    );
    let doc = json!({
        "@timestamp": "2026-11-26T10:00:00Z",
        "event": {
            "id": finding_id(CLUSTER, &resource, rule),
            "kind": "state",
            "category": ["configuration"],
            "type": ["info"],
            "outcome": "success",
            "sequence": 1_795_000_000,
            "created": "2026-11-26T10:00:00Z"
        },
        "resource": {
            "id": resource,
            "name": format!("{namespace}/{name}"),
            "type": "k8s_object",
            "sub_type": "Deployment",
            "raw": {"kind": "Deployment", "metadata": {"name": name, "namespace": namespace,
                    "labels": {"app": name}}}
        },
        "result": {"evaluation": outcome, "evidence": {"seen": true}, "expected": {"seen": false}},
        "rule": {
            "id": rule,
            "name": format!("Rule {number}"),
            "description": "What is checked.",
            "rationale": "Why it matters.",
            "impact": "",
            "default_value": "",
            "remediation": "1. Fix it.",
            "references": "",
            "profile_applicability": "Level 1 - Worker Node",
            "section": section,
            "tags": ["CIS K8S", section],
            "benchmark": {
                "id": "cis_k8s",
                "name": "CIS Kubernetes Benchmark",
                "version": "v2.0.1",
                "versions": ["v1.12", "v2.0.1"],
                "rule_number": number,
                "posture_type": "kspm"
            }
        },
        "orchestrator": {
            "type": "kubernetes",
            "cluster": {"id": CLUSTER, "name": "prod"},
            "resource": {"name": name, "type": "Deployment", "namespace": namespace}
        }
    });
    // Every helper document must be a valid finding, or the tests would test nothing.
    let _: Finding = serde_json::from_value(doc.clone()).expect("helper builds a valid finding");
    doc
}

/// A fixed UUID per test cycle number.
pub fn cycle(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}
