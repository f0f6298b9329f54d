//! What ingest does not take on trust from a client holding the write token: its clock, its
//! batch numbering, the spelling of its ids, and the content under a batch number.

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::Value;

fn two_findings() -> Vec<Value> {
    vec![
        finding("web", "shop", "pod_privileged", "5.2.2", "PSS", "failed"),
        finding("web", "cart", "pod_privileged", "5.2.2", "PSS", "passed"),
    ]
}

/// Sends one batch with the write token and any query string.
async fn push(app: &App, query: &str, findings: &[Value]) -> Reply {
    let auth = format!("Bearer {WRITE}");
    app.send(
        Method::POST,
        &format!("/api/v1/ingest?{query}"),
        &[
            ("authorization", &auth),
            ("content-type", "application/x-ndjson"),
        ],
        ndjson(findings),
    )
    .await
}

async fn total(app: &App) -> u64 {
    app.get("/api/v1/findings").await.json()["total"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn a_cycle_dated_2100_does_not_freeze_its_scope() {
    let app = App::new();
    let future = push(
        &app,
        &format!(
            "cycle={}&batch=0&final=true&cluster={CLUSTER}&started_at=4102444800",
            cycle(1)
        ),
        &two_findings()[..1],
    )
    .await;
    assert_eq!(future.status, StatusCode::OK, "{}", future.text());
    let body = future.json();
    assert_eq!(body["reported_in_future"], true);
    assert!(body["reported_started_at"].as_i64().unwrap() < 4_102_444_800);
    assert!(body["started_at"].as_i64().unwrap() < 4_102_444_800);

    // A later cycle of the same scope, with an honest clock, is not stale and shows.
    let next = push(
        &app,
        &format!("cycle={}&batch=0&final=true&cluster={CLUSTER}", cycle(2)),
        &two_findings(),
    )
    .await;
    assert_eq!(next.status, StatusCode::OK, "{}", next.text());
    assert_eq!(next.json()["completed"]["stale"], false, "{}", next.text());
    assert_eq!(total(&app).await, 2);
}

#[tokio::test]
async fn a_final_batch_alone_does_not_complete_a_cycle_with_missing_batches() {
    let app = App::new();
    let findings: Vec<Value> = (0..4)
        .map(|i| {
            finding(
                "web",
                &format!("app-{i}"),
                "pod_privileged",
                "5.2.2",
                "PSS",
                "failed",
            )
        })
        .collect();
    app.ingest_cycle(&cycle(1), &findings).await;
    assert_eq!(total(&app).await, 4);

    // A new cycle that sends only `batch=3&final=true` must not resolve the others.
    let only_last = app.ingest(&cycle(2), 3, true, &findings[3..]).await;
    assert_eq!(only_last.status, StatusCode::OK, "{}", only_last.text());
    let body = only_last.json();
    assert_eq!(body["completed"], Value::Null, "{body}");
    assert_eq!(body["batches_expected"], 4);
    assert_eq!(body["batches_received"], 1);
    assert_eq!(total(&app).await, 4);

    // The missing batches arrive, in any order; the last one to arrive completes the cycle.
    for batch in [1, 0] {
        let reply = app.ingest(&cycle(2), batch, false, &findings[..1]).await;
        assert_eq!(reply.json()["completed"], Value::Null);
    }
    let last = app.ingest(&cycle(2), 2, false, &findings[2..3]).await;
    assert_eq!(last.status, StatusCode::OK, "{}", last.text());
    assert_eq!(last.json()["completed"]["findings"], 3, "{}", last.text());
    assert_eq!(total(&app).await, 3);

    // A batch past the final one, or a second final batch, is refused.
    let c = cycle(3);
    assert_eq!(app.ingest(&c, 2, true, &[]).await.status, StatusCode::OK);
    assert_eq!(
        app.ingest(&c, 5, false, &[]).await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        app.ingest(&c, 1, true, &[]).await.status,
        StatusCode::CONFLICT
    );
}

#[tokio::test]
async fn a_resent_batch_with_other_content_is_a_conflict() {
    let app = App::new();
    let findings = two_findings();
    let c = cycle(1);
    assert_eq!(
        app.ingest(&c, 0, false, &findings[..1]).await.status,
        StatusCode::OK
    );
    let same = app.ingest(&c, 0, false, &findings[..1]).await;
    assert_eq!(same.status, StatusCode::OK);
    assert_eq!(same.json()["duplicate"], true);
    let other = app.ingest(&c, 0, false, &findings[1..]).await;
    assert_eq!(other.status, StatusCode::CONFLICT, "{}", other.text());
    assert!(
        other.json()["error"]
            .as_str()
            .unwrap()
            .contains("other content")
    );
    app.ingest(&c, 1, true, &[]).await;
    let rows = app.get("/api/v1/findings").await.json();
    assert_eq!(rows["total"], 1);
    assert_eq!(rows["rows"][0]["resource_name"], "web/shop");
}

#[tokio::test]
async fn a_cycle_id_in_two_spellings_is_one_cycle() {
    let app = App::new();
    let findings = two_findings();
    let lower = "6f1c2f0e-9a3b-4c5d-8e7f-0123456789ab";
    let upper = "6F1C2F0E-9A3B-4C5D-8E7F-0123456789AB";
    let simple = "6f1c2f0e9a3b4c5d8e7f0123456789ab";
    let first = app.ingest(upper, 0, false, &findings[..1]).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    assert_eq!(first.json()["cycle"], lower);
    let second = app.ingest(simple, 1, false, &findings[1..]).await;
    assert_eq!(second.status, StatusCode::OK);
    let done = app.ingest(&format!("{{{lower}}}"), 2, true, &[]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    assert_eq!(done.json()["completed"]["findings"], 2, "{}", done.text());
    assert_eq!(total(&app).await, 2);
}

#[tokio::test]
async fn cluster_ids_that_are_not_plain_identifiers_are_refused() {
    let app = App::new();
    let long = "c".repeat(129);
    for cluster in [
        "%FF%FE",
        "a%0Ab",
        "a%00b",
        "a%20b",
        "%3Cscript%3E",
        "",
        long.as_str(),
    ] {
        let reply = push(
            &app,
            &format!("cycle={}&batch=0&final=true&cluster={cluster}", cycle(9)),
            &[],
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "cluster={cluster}: {}",
            reply.text()
        );
    }
    let bad_name = push(
        &app,
        &format!(
            "cycle={}&batch=0&final=true&cluster={CLUSTER}&cluster_name=a%1Bb",
            cycle(9)
        ),
        &[],
    )
    .await;
    assert_eq!(bad_name.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.get("/api/v1/dashboard").await.json()["clusters"],
        serde_json::json!([])
    );
}

#[tokio::test]
async fn an_empty_batch_adds_no_cluster_to_the_dashboard() {
    let app = App::new();
    let reply = push(
        &app,
        &format!(
            "cycle={}&batch=0&cluster=someone-else&cluster_name=unfinished-xq7",
            cycle(1)
        ),
        &[],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let dashboard = app.get("/api/v1/dashboard").await.json();
    assert_eq!(dashboard["clusters"], serde_json::json!([]), "{dashboard}");
    let html = app.get("/").await.text();
    assert!(!html.contains("unfinished-xq7"));
    let suggest = app
        .get("/api/v1/suggest?field=orchestrator.cluster.name&q=")
        .await
        .json();
    assert_eq!(suggest["values"], serde_json::json!([]));
}

#[tokio::test]
async fn a_batch_never_renames_a_cluster_before_its_cycle_completes() {
    let app = App::new();
    app.ingest_cycle(&cycle(1), &two_findings()).await;
    let reply = push(
        &app,
        &format!(
            "cycle={}&batch=0&cluster={CLUSTER}&cluster_name=renamed",
            cycle(2)
        ),
        &[],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let dashboard = app.get("/api/v1/dashboard").await.json();
    assert_eq!(
        dashboard["clusters"][0]["cluster_name"], "prod",
        "{dashboard}"
    );
}
