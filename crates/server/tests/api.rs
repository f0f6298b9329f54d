//! The HTTP API through the real router (no socket) over a real SQLite store.

mod common;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::*;
use kspm_model::Finding;
use kspm_server::Limits;
use serde_json::{Value, json};

fn sample() -> Vec<Value> {
    vec![
        finding(
            "web",
            "shop",
            "pod_privileged",
            "5.2.2",
            "Pod Security Standards",
            "failed",
        ),
        finding(
            "web",
            "shop",
            "pod_host_pid",
            "5.2.3",
            "Pod Security Standards",
            "passed",
        ),
        finding(
            "web",
            "cart",
            "pod_privileged",
            "5.2.2",
            "Pod Security Standards",
            "failed",
        ),
        finding(
            "ops",
            "backup",
            "rbac_wildcards",
            "5.1.3",
            "RBAC and Service Accounts",
            "passed",
        ),
    ]
}

#[tokio::test]
async fn ingested_cycle_is_searchable() {
    let app = App::new();
    let reply = app.ingest(&cycle(1), 0, true, &sample()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["accepted"], 4);
    assert_eq!(body["duplicate"], false);
    assert_eq!(body["completed"]["findings"], 4);

    let all = app.get("/api/v1/findings").await.json();
    assert_eq!(all["total"], 4);
    let failed = app
        .get("/api/v1/findings?q=result.evaluation%20%3A%20failed")
        .await
        .json();
    assert_eq!(failed["total"], 2);
    let names: Vec<&str> = failed["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["resource_name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"web/shop") && names.contains(&"web/cart"));
}

#[tokio::test]
async fn findings_are_staged_until_the_final_batch() {
    let app = App::new();
    let findings = sample();
    let c = cycle(2);
    assert_eq!(
        app.ingest(&c, 0, false, &findings[..2]).await.status,
        StatusCode::OK
    );
    assert_eq!(app.get("/api/v1/findings").await.json()["total"], 0);
    let last = app.ingest(&c, 1, true, &findings[2..]).await;
    assert_eq!(last.status, StatusCode::OK, "{}", last.text());
    assert_eq!(app.get("/api/v1/findings").await.json()["total"], 4);
}

#[tokio::test]
async fn resending_a_batch_changes_nothing() {
    let app = App::new();
    let c = cycle(3);
    let first = app.ingest(&c, 0, false, &sample()).await.json();
    assert_eq!(first["duplicate"], false);
    let again = app.ingest(&c, 0, false, &sample()).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json()["duplicate"], true);
    assert_eq!(again.json()["accepted"], 4);
    // Resending the final batch after completion is also harmless.
    let done = app.ingest(&c, 1, true, &[]).await.json();
    let done_again = app.ingest(&c, 1, true, &[]).await;
    assert_eq!(done_again.status, StatusCode::OK, "{}", done_again.text());
    assert_eq!(done_again.json()["duplicate"], true);
    assert_eq!(done_again.json()["completed"], done["completed"]);
    // A batch the cycle never had cannot arrive after completion.
    let late = app.ingest(&c, 2, false, &sample()).await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.text());
    assert_eq!(app.get("/api/v1/findings").await.json()["total"], 4);
}

#[tokio::test]
async fn ingest_needs_the_write_token_as_bearer() {
    let app = App::with(Some(READ), Limits::default());
    let uri = format!(
        "/api/v1/ingest?cycle={}&batch=0&final=true&cluster={CLUSTER}",
        cycle(4)
    );
    let body = ndjson(&sample());
    let none = app.send(Method::POST, &uri, &[], body.clone()).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(none.header("www-authenticate"), Some("Bearer"));
    assert!(none.json()["error"].is_string());
    let wrong = app
        .send(
            Method::POST,
            &uri,
            &[("authorization", "Bearer nope")],
            body.clone(),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let read = format!("Bearer {READ}");
    let read_only = app
        .send(
            Method::POST,
            &uri,
            &[("authorization", &read)],
            body.clone(),
        )
        .await;
    assert_eq!(read_only.status, StatusCode::FORBIDDEN);
    let basic = app
        .send(
            Method::POST,
            &uri,
            &[("authorization", "Basic d3JpdGU=")],
            body,
        )
        .await;
    assert_eq!(basic.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get_with("/api/v1/findings", WRITE).await.json()["total"],
        0
    );
}

#[tokio::test]
async fn oversized_batches_get_413_and_store_nothing() {
    let app = App::with(
        None,
        Limits {
            max_body_bytes: 8192,
            max_lines: 3,
            ..Limits::default()
        },
    );
    let big = vec![finding(
        "web",
        &"x".repeat(9000),
        "r",
        "1.1.1",
        "S",
        "failed",
    )];
    let reply = app.ingest(&cycle(5), 0, true, &big).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(reply.json()["error"].as_str().unwrap().contains("8192"));

    let many = app.ingest(&cycle(5), 0, true, &sample()).await;
    assert_eq!(many.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(many.json()["line"], 4);
    assert_eq!(app.get("/api/v1/findings").await.json()["total"], 0);
}

#[tokio::test]
async fn bad_ndjson_line_is_reported_by_number_and_nothing_is_stored() {
    let app = App::new();
    let good = ndjson(&sample()[..2]);
    let body = format!("{good}\n{{\"rule\": 1}}\n{}", ndjson(&sample()[2..]));
    let uri = format!(
        "/api/v1/ingest?cycle={}&batch=0&final=true&cluster={CLUSTER}",
        cycle(6)
    );
    let auth = format!("Bearer {WRITE}");
    let reply = app
        .send(Method::POST, &uri, &[("authorization", &auth)], body)
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let err = reply.json();
    assert_eq!(err["line"], 4, "{err}");
    assert!(err["error"].as_str().unwrap().starts_with("line 4:"));
    assert_eq!(app.get("/api/v1/findings").await.json()["total"], 0);

    // The same batch number, fixed, is then accepted: the bad one left no trace.
    let fixed = app.ingest(&cycle(6), 0, true, &sample()).await;
    assert_eq!(fixed.status, StatusCode::OK, "{}", fixed.text());
    assert_eq!(fixed.json()["duplicate"], false);
}

#[tokio::test]
async fn ingest_rejects_bad_parameters_and_foreign_findings() {
    let app = App::new();
    let auth = format!("Bearer {WRITE}");
    let h = [("authorization", auth.as_str())];
    let not_uuid = app
        .send(
            Method::POST,
            &format!("/api/v1/ingest?cycle=abc&batch=0&cluster={CLUSTER}"),
            &h,
            "",
        )
        .await;
    assert_eq!(not_uuid.status, StatusCode::BAD_REQUEST);
    let no_batch = app
        .send(
            Method::POST,
            &format!("/api/v1/ingest?cycle={}&cluster={CLUSTER}", cycle(7)),
            &h,
            "",
        )
        .await;
    assert_eq!(no_batch.status, StatusCode::BAD_REQUEST);
    assert!(no_batch.json()["error"].is_string());
    let bad_scope = app
        .send(
            Method::POST,
            &format!(
                "/api/v1/ingest?cycle={}&batch=0&cluster={CLUSTER}&scope=node:",
                cycle(7)
            ),
            &h,
            "",
        )
        .await;
    assert_eq!(bad_scope.status, StatusCode::BAD_REQUEST);
    let other = app
        .send(
            Method::POST,
            &format!("/api/v1/ingest?cycle={}&batch=0&cluster=another", cycle(7)),
            &h,
            ndjson(&sample()),
        )
        .await;
    assert_eq!(other.status, StatusCode::BAD_REQUEST);
    assert_eq!(other.json()["line"], 1);
}

#[tokio::test]
async fn kql_error_answers_400_with_position() {
    let app = App::new();
    let reply = app
        .get("/api/v1/findings?q=result.evaluation%20%3A%20failed%20and%20(")
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let err = reply.json();
    assert!(err["error"].is_string());
    let position = err["position"].as_u64().expect("position");
    assert!(position >= 30, "points at the dangling parenthesis: {err}");

    let unknown = app.get("/api/v1/findings?q=no.such.field%20%3A%20x").await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.json()["position"], 0);

    let export = app.get("/api/v1/findings/export.csv?q=(").await;
    assert_eq!(export.status, StatusCode::BAD_REQUEST);
    assert!(export.json()["position"].is_u64());
}

#[tokio::test]
async fn search_sorts_and_pages() {
    let app = App::new();
    app.ingest_cycle(&cycle(8), &sample()).await;
    let page = app
        .get("/api/v1/findings?sort=resource.name&dir=asc&page=2&per_page=3")
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let page = page.json();
    assert_eq!(page["total"], 4);
    assert_eq!(page["page"], 2);
    assert_eq!(page["rows"].as_array().unwrap().len(), 1);
    assert_eq!(page["rows"][0]["resource_name"], "web/shop");
    let first = app
        .get("/api/v1/findings?sort=resource.name&dir=desc&per_page=1")
        .await
        .json();
    assert_eq!(first["rows"][0]["resource_name"], "web/shop");
    let unsortable = app.get("/api/v1/findings?sort=no.such.field").await;
    assert_eq!(unsortable.status, StatusCode::BAD_REQUEST);
    assert!(unsortable.json()["error"].is_string());
    assert_eq!(
        app.get("/api/v1/findings?dir=up").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.get("/api/v1/findings?page=0").await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn groups_put_the_most_failed_first() {
    let app = App::new();
    let mut findings = sample();
    findings.push(finding(
        "web",
        "shop",
        "pod_host_ipc",
        "5.2.4",
        "Pod Security Standards",
        "failed",
    ));
    app.ingest_cycle(&cycle(9), &findings).await;
    let groups = app.get("/api/v1/findings/groups?by=resource").await;
    assert_eq!(groups.status, StatusCode::OK, "{}", groups.text());
    let groups = groups.json();
    assert_eq!(groups["by"], "resource");
    let list = groups["groups"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0]["label"], "web/shop");
    assert_eq!(list[0]["counts"]["failed"], 2);
    assert_eq!(list[0]["resource"]["cluster_name"], "prod");

    let ns = app
        .get("/api/v1/findings/groups?by=namespace&q=result.evaluation%20%3A%20failed")
        .await
        .json();
    assert_eq!(ns["groups"].as_array().unwrap().len(), 1);
    assert_eq!(ns["groups"][0]["key"], "web");
    assert_eq!(
        app.get("/api/v1/findings/groups?by=colour").await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn one_finding_by_id_or_404() {
    let app = App::new();
    app.ingest_cycle(&cycle(10), &sample()).await;
    let id = sample()[0]["event"]["id"].as_str().unwrap().to_owned();
    let found = app.get(&format!("/api/v1/findings/{id}")).await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.text());
    let found = found.json();
    assert_eq!(found["row"]["id"], id.as_str());
    assert_eq!(found["document"]["rule"]["id"], "pod_privileged");
    assert_eq!(
        found["document"]["result"]["evidence"],
        json!({"seen": true})
    );
    let missing = app.get("/api/v1/findings/does-not-exist").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.json()["error"].is_string());
}

#[tokio::test]
async fn dashboard_and_trend_report_the_score() {
    let app = App::new();
    app.ingest_cycle(&cycle(11), &sample()).await;
    let dash = app.get("/api/v1/dashboard").await;
    assert_eq!(dash.status, StatusCode::OK, "{}", dash.text());
    let dash = dash.json();
    assert_eq!(dash["overall"]["score"], 50.0);
    assert_eq!(dash["clusters"][0]["cluster_id"], CLUSTER);
    assert_eq!(dash["clusters_evaluated"], 1);
    assert_eq!(dash["resources_evaluated"], 3);
    let one = app
        .get(&format!("/api/v1/dashboard?cluster={CLUSTER}"))
        .await
        .json();
    assert_eq!(one["overall"]["score"], 50.0);
    let none = app.get("/api/v1/dashboard?cluster=unknown").await.json();
    assert_eq!(none["overall"]["score"], Value::Null);

    let trend = app.get("/api/v1/scores/trend").await.json();
    let points = trend["points"].as_array().unwrap();
    assert_eq!(points.len(), 1);
    assert_eq!(points[0]["score"], 50.0);
}

#[tokio::test]
async fn rules_can_be_disabled_per_cluster_with_the_write_token() {
    let app = App::new();
    app.ingest_cycle(&cycle(12), &sample()).await;
    let rules = app.get("/api/v1/rules").await.json();
    let list = rules["rules"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert!(list.iter().all(|r| r["enabled"] == true));

    let uri = format!("/api/v1/rules/pod_privileged/clusters/{CLUSTER}/enabled");
    let body = r#"{"enabled": false}"#;
    let json_ct = ("content-type", "application/json");
    let anon = app.send(Method::PUT, &uri, &[json_ct], body).await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
    let auth = format!("Bearer {WRITE}");
    let bad_body = app
        .send(
            Method::PUT,
            &uri,
            &[json_ct, ("authorization", &auth)],
            r#"{"on": 1}"#,
        )
        .await;
    assert!(bad_body.status.is_client_error());
    assert!(bad_body.json()["error"].is_string());
    let ok = app
        .send(
            Method::PUT,
            &uri,
            &[json_ct, ("authorization", &auth)],
            body,
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    assert_eq!(ok.json()["enabled"], false);

    let rules = app
        .get(&format!("/api/v1/rules?cluster={CLUSTER}"))
        .await
        .json();
    let privileged = rules["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule_id"] == "pod_privileged")
        .unwrap()
        .clone();
    assert_eq!(privileged["enabled"], false);
    // Its failures no longer count in the score nor in default searches.
    assert_eq!(
        app.get("/api/v1/dashboard").await.json()["overall"]["score"],
        100.0
    );
    assert_eq!(app.get("/api/v1/findings").await.json()["total"], 2);
    assert_eq!(
        app.get("/api/v1/findings?include_disabled=true")
            .await
            .json()["total"],
        4
    );
}

#[tokio::test]
async fn a_rule_can_be_disabled_for_every_cluster() {
    let app = App::new();
    app.ingest_cycle(&cycle(20), &sample()).await;
    let auth = format!("Bearer {WRITE}");
    let h = [
        ("content-type", "application/json"),
        ("authorization", auth.as_str()),
    ];
    let reply = app
        .send(
            Method::PUT,
            "/api/v1/rules/rbac_wildcards/enabled",
            &h,
            r#"{"enabled": false}"#,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json()["cluster_id"], Value::Null);
    let rules = app.get("/api/v1/rules").await.json();
    let rule = |id: &str| {
        rules["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule_id"] == id)
            .unwrap()["enabled"]
            .clone()
    };
    assert_eq!(rule("rbac_wildcards"), false);
    assert_eq!(rule("pod_privileged"), true);
    assert_eq!(app.get("/api/v1/findings").await.json()["total"], 3);
}

#[tokio::test]
async fn exceptions_round_trip() {
    let app = App::new();
    app.ingest_cycle(&cycle(13), &sample()).await;
    let auth = format!("Bearer {WRITE}");
    let h = [
        ("content-type", "application/json"),
        ("authorization", auth.as_str()),
    ];
    let body = json!({
        "rule_id": "pod_privileged",
        "scope": {"kind": "namespace", "value": "web"},
        "cluster_id": CLUSTER,
        "reason": "Vendor images need it until Q3",
        "expires_at": null
    })
    .to_string();
    let anon = app
        .send(Method::POST, "/api/v1/exceptions", &h[..1], body.clone())
        .await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
    let created = app.send(Method::POST, "/api/v1/exceptions", &h, body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let created = created.json();
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["author"], "api-token");
    assert_eq!(created["active"], true);

    let list = app.get("/api/v1/exceptions").await.json();
    assert_eq!(list["exceptions"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.get(&format!("/api/v1/exceptions/{id}")).await.json()["reason"],
        "Vendor images need it until Q3"
    );
    let excepted = app
        .get("/api/v1/findings?q=rule.id%20%3A%20pod_privileged")
        .await
        .json();
    assert!(
        excepted["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["exception_id"] == id)
    );

    let no_reason = app
        .send(
            Method::POST,
            "/api/v1/exceptions",
            &h,
            json!({"rule_id": "x", "scope": {"kind": "resource", "value": "r"}, "reason": " "})
                .to_string(),
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::BAD_REQUEST);

    let uri = format!("/api/v1/exceptions/{id}");
    let anon_delete = app.send(Method::DELETE, &uri, &[], Body::empty()).await;
    assert_eq!(anon_delete.status, StatusCode::UNAUTHORIZED);
    let deleted = app.send(Method::DELETE, &uri, &h[1..], Body::empty()).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let again = app.send(Method::DELETE, &uri, &h[1..], Body::empty()).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&uri).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn csv_export_quotes_cells_and_defuses_formulas() {
    let app = App::new();
    let mut findings = sample();
    findings.push(finding(
        "=calc",
        "a,\"b\"",
        "r1",
        "1.1.1",
        "Sec, \"quoted\"",
        "failed",
    ));
    findings.push(finding("@ns", "x\ny", "r2", "1.1.2", "+Plus", "passed"));
    app.ingest_cycle(&cycle(14), &findings).await;
    let reply = app.get("/api/v1/findings/export.csv").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(
        reply.header("content-type"),
        Some("text/csv; charset=utf-8")
    );
    assert!(
        reply
            .header("content-disposition")
            .unwrap()
            .contains("attachment")
    );
    let text = reply.text();
    assert!(
        text.contains(r#""'=calc/a,""b""""#),
        "quoted and defused: {text}"
    );
    assert!(text.contains(r#""Sec, ""quoted""""#), "{text}");
    assert!(
        text.contains(",'+Plus,"),
        "defused, no quotes needed: {text}"
    );
    assert!(
        text.contains("\"'@ns/x\ny\""),
        "line break kept inside quotes: {text}"
    );

    let rows = parse_csv(&text);
    assert_eq!(rows.len(), 1 + findings.len());
    assert_eq!(rows[0][..3], ["id", "cluster_id", "cluster_name"]);
    assert!(
        rows.iter().all(|r| r.len() == rows[0].len()),
        "every row has every column"
    );
    for cell in rows.iter().flatten() {
        assert!(
            !cell.starts_with(['=', '+', '-', '@']),
            "a spreadsheet would run `{cell}`"
        );
    }
    let ns = rows[0].iter().position(|c| c == "namespace").unwrap();
    let mut namespaces: Vec<&str> = rows[1..].iter().map(|r| r[ns].as_str()).collect();
    namespaces.sort();
    assert_eq!(namespaces, ["'=calc", "'@ns", "ops", "web", "web", "web"]);

    let filtered = parse_csv(
        &app.get("/api/v1/findings/export.csv?q=rule.id%20%3A%20r2")
            .await
            .text(),
    );
    assert_eq!(filtered.len(), 2);
}

/// A strict RFC 4180 reader (CRLF records, quoted cells with doubled quotes).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') if cell.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "records end with CRLF");
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => {
                assert!(c != '"' && c != '\n', "bare quote or LF outside quotes");
                cell.push(c);
            }
        }
    }
    assert!(
        !quoted && cell.is_empty() && row.is_empty(),
        "ends with a complete record"
    );
    rows
}

#[tokio::test]
async fn ndjson_export_streams_documents_that_ingest_accepts() {
    let app = App::new();
    let findings = sample();
    app.ingest_cycle(&cycle(15), &findings).await;
    let reply = app.get("/api/v1/findings/export.ndjson").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), Some("application/x-ndjson"));
    let docs: Vec<Finding> = reply
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is a finding"))
        .collect();
    assert_eq!(docs.len(), findings.len());

    // Re-ingesting the export into another server gives the same findings.
    let other = App::new();
    let values: Vec<Value> = docs
        .iter()
        .map(|d| serde_json::to_value(d).unwrap())
        .collect();
    other.ingest_cycle(&cycle(16), &values).await;
    assert_eq!(other.get("/api/v1/findings").await.json()["total"], 4);
}

#[tokio::test]
async fn export_streams_more_than_one_page() {
    let app = App::new();
    let findings: Vec<Value> = (0..2100)
        .map(|i| {
            finding(
                "bulk",
                &format!("d{i:04}"),
                "pod_privileged",
                "5.2.2",
                "S",
                "failed",
            )
        })
        .collect();
    app.ingest_cycle(&cycle(17), &findings).await;
    let text = app.get("/api/v1/findings/export.csv").await.text();
    let mut names: Vec<&str> = text
        .split("\r\n")
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').nth(5).unwrap())
        .collect();
    assert_eq!(names.len(), 2100);
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 2100, "pages neither repeat nor skip rows");
}

/// A bare value matching more findings than a search counts: the API says the total is a
/// lower bound, the findings page says "more than", and the export still writes every match.
#[tokio::test]
async fn bare_value_past_the_count_cap_is_a_lower_bound_and_still_exports_everything() {
    let app = App::new();
    let n = kspm_store::TEXT_COUNT_CAP as usize + 50;
    let findings: Vec<Value> = (0..n)
        .map(|i| {
            finding(
                "bulk",
                &format!("d{i:05}"),
                "pod_privileged",
                "5.2.2",
                "S",
                "failed",
            )
        })
        .collect();
    app.ingest_cycle(&cycle(18), &findings).await;
    let page = app.get("/api/v1/findings?q=bulk").await.json();
    assert_eq!(page["total"], kspm_store::TEXT_COUNT_CAP);
    assert_eq!(page["total_relation"], "gte");
    assert_eq!(page["rows"].as_array().unwrap().len(), 50);
    let exact = app.get("/api/v1/findings?q=d00001").await.json();
    assert_eq!(
        (exact["total"].clone(), exact["total_relation"].clone()),
        (json!(1), json!("eq"))
    );
    let html = app.get("/findings?q=bulk").await.text();
    assert!(
        html.contains("1–50 of more than 10,000 findings"),
        "{}",
        html.lines()
            .find(|l| l.contains("result-count"))
            .unwrap_or("")
    );
    let csv = app.get("/api/v1/findings/export.csv?q=bulk").await.text();
    assert_eq!(
        csv.split("\r\n").skip(1).filter(|l| !l.is_empty()).count(),
        n
    );
}

#[tokio::test]
async fn metrics_expose_scores_and_counts_with_labels() {
    let app = App::new();
    app.ingest_cycle(&cycle(18), &sample()).await;
    let reply = app.get("/metrics").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply
            .header("content-type")
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = reply.text();
    let samples = parse_samples(&text);
    let value = |name: &str, labels: &[(&str, &str)]| -> f64 {
        samples
            .iter()
            .find(|(n, l, _)| {
                n == name
                    && labels
                        .iter()
                        .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
            })
            .unwrap_or_else(|| panic!("{name} {labels:?} missing in\n{text}"))
            .2
    };
    let c = ("cluster_id", CLUSTER);
    assert_eq!(
        value(
            "kspm_cluster_posture_score_ratio",
            &[c, ("cluster_name", "prod")]
        ),
        0.5
    );
    assert_eq!(
        value(
            "kspm_benchmark_posture_score_ratio",
            &[c, ("benchmark", "cis_k8s")]
        ),
        0.5
    );
    assert_eq!(
        value(
            "kspm_section_posture_score_ratio",
            &[c, ("section", "Pod Security Standards")]
        ),
        1.0 / 3.0
    );
    assert_eq!(
        value(
            "kspm_section_posture_score_ratio",
            &[c, ("section", "RBAC and Service Accounts")]
        ),
        1.0
    );
    assert_eq!(value("kspm_findings", &[c, ("status", "failed")]), 2.0);
    assert_eq!(value("kspm_findings", &[c, ("status", "passed")]), 2.0);
    assert_eq!(value("kspm_cycles_completed_total", &[]), 1.0);
    assert!(text.trim_end().ends_with("# EOF"));
}

/// Parses OpenMetrics sample lines into (name, labels, value); panics on a malformed line.
fn parse_samples(text: &str) -> Vec<(String, std::collections::HashMap<String, String>, f64)> {
    let mut out = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (series, value) = line.rsplit_once(' ').expect("`series value`");
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value in {line}"));
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => (name, rest.strip_suffix('}').expect("closing brace")),
            None => (series, ""),
        };
        let mut map = std::collections::HashMap::new();
        let mut rest = labels;
        while !rest.is_empty() {
            let (key, after) = rest.split_once("=\"").expect("label=\"value\"");
            let end = after.find('"').expect("closing quote");
            map.insert(key.to_owned(), after[..end].to_owned());
            rest = after[end + 1..].trim_start_matches(',');
        }
        out.push((name.to_owned(), map, value));
    }
    out
}

#[tokio::test]
async fn read_token_guards_every_get_but_healthz() {
    let app = App::with(Some(READ), Limits::default());
    app.ingest_cycle(&cycle(19), &sample()).await;
    for path in [
        "/api/v1/findings",
        "/api/v1/findings/groups",
        "/api/v1/dashboard",
        "/api/v1/rules",
        "/api/v1/exceptions",
        "/api/v1/scores/trend",
        "/api/v1/findings/export.csv",
        "/metrics",
    ] {
        assert_eq!(
            app.get(path).await.status,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
        assert_eq!(
            app.get_with(path, "wrong").await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
        assert_eq!(
            app.get_with(path, READ).await.status,
            StatusCode::OK,
            "{path}"
        );
        assert_eq!(
            app.get_with(path, WRITE).await.status,
            StatusCode::OK,
            "{path}"
        );
    }
    let health = app.get("/healthz").await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.json()["status"], "ok");
    // A browser asking for a page is sent to sign in, and comes back afterwards.
    let page = app
        .send(
            Method::GET,
            "/findings?q=a",
            &[("accept", "text/html")],
            Body::empty(),
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.header("location"),
        Some("/login?next=/findings%3Fq%3Da")
    );
    // The read token cannot write.
    let read = format!("Bearer {READ}");
    let put = app
        .send(
            Method::PUT,
            &format!("/api/v1/rules/r/clusters/{CLUSTER}/enabled"),
            &[
                ("authorization", &read),
                ("content-type", "application/json"),
            ],
            r#"{"enabled": false}"#,
        )
        .await;
    assert_eq!(put.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn without_a_read_token_reads_are_open() {
    let app = App::new();
    assert_eq!(app.get("/api/v1/findings").await.status, StatusCode::OK);
    assert_eq!(app.get("/metrics").await.status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_api_paths_answer_json_404() {
    let app = App::new();
    let reply = app.get("/api/v1/nothing-here").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(reply.json()["error"].is_string());
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
}
