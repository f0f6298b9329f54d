//! The fake's semantics, checked over HTTP as any client would see them.

use std::time::{Duration, Instant};

use kspm_es_fake::{
    DEFAULT_API_KEY, DEFAULT_PASSWORD, FakeElasticsearch, Fault, Principal, Privileges,
};
use serde_json::{Value, json};

fn client() -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

fn call(
    es: &FakeElasticsearch,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = client()
        .request(method, format!("{}{path}", es.url()))
        .basic_auth("elastic", Some(DEFAULT_PASSWORD));
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().unwrap();
    let status = response.status().as_u16();
    (
        status,
        serde_json::from_str(&response.text().unwrap()).unwrap_or(Value::Null),
    )
}

fn bulk(es: &FakeElasticsearch, path: &str, lines: &[Value]) -> (u16, Value) {
    let mut body = String::new();
    for line in lines {
        body.push_str(&line.to_string());
        body.push('\n');
    }
    let response = client()
        .post(format!("{}{path}", es.url()))
        .basic_auth("elastic", Some(DEFAULT_PASSWORD))
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .unwrap();
    let status = response.status().as_u16();
    (
        status,
        serde_json::from_str(&response.text().unwrap()).unwrap_or(Value::Null),
    )
}

fn ds_template(es: &FakeElasticsearch) {
    let (status, body) = call(
        es,
        reqwest::Method::PUT,
        "/_index_template/findings",
        Some(json!({
            "index_patterns": ["logs-kspm-*"],
            "data_stream": {},
            "priority": 200,
            "template": {"mappings": {"dynamic": false, "properties": {
                "@timestamp": {"type": "date"},
                "n": {"type": "long"},
                "raw": {"type": "object", "enabled": false}
            }}}
        })),
    );
    assert_eq!(status, 200, "{body}");
}

#[test]
fn root_answers_version_and_tagline_and_credentials_are_checked() {
    let es = FakeElasticsearch::builder().start().unwrap();
    let (status, info) = call(&es, reqwest::Method::GET, "/", None);
    assert_eq!(status, 200);
    assert_eq!(info["version"]["number"], "8.15.0");
    assert_eq!(info["tagline"], "You Know, for Search");

    let response = client().get(es.url()).send().unwrap();
    assert_eq!(response.status().as_u16(), 401);
    assert!(response.headers().contains_key("www-authenticate"));
    let body: Value = serde_json::from_str(&response.text().unwrap()).unwrap();
    assert_eq!(body["error"]["type"], "security_exception");
    assert_eq!(body["status"], 401);

    let wrong = client()
        .get(es.url())
        .basic_auth("elastic", Some("nope"))
        .send()
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let key = client()
        .get(es.url())
        .header("authorization", format!("ApiKey {DEFAULT_API_KEY}"))
        .send()
        .unwrap();
    assert_eq!(key.status().as_u16(), 200);
}

#[test]
fn opensearch_is_told_by_its_distribution() {
    let es = FakeElasticsearch::builder().opensearch().start().unwrap();
    let response = client()
        .get(es.url())
        .basic_auth("elastic", Some(DEFAULT_PASSWORD))
        .send()
        .unwrap();
    assert!(!response.headers().contains_key("x-elastic-product"));
    let info: Value = serde_json::from_str(&response.text().unwrap()).unwrap();
    assert_eq!(info["version"]["distribution"], "opensearch");
}

#[test]
fn templates_with_invalid_mappings_are_refused() {
    let es = FakeElasticsearch::builder().start().unwrap();
    let (status, body) = call(
        &es,
        reqwest::Method::PUT,
        "/_index_template/bad",
        Some(
            json!({"index_patterns": ["x-*"], "template": {"mappings": {"properties": {"a": {"type": "keywrd"}}}}}),
        ),
    );
    assert_eq!(status, 400);
    assert_eq!(body["error"]["type"], "mapper_parsing_exception");
    let (status, _) = call(
        &es,
        reqwest::Method::PUT,
        "/_index_template/bad",
        Some(
            json!({"index_patterns": ["x-*"], "template": {"mappings": {"properties": {"o": {"properties": {}, "index": false}}}}}),
        ),
    );
    assert_eq!(status, 400);
    let (status, body) = call(&es, reqwest::Method::GET, "/_index_template/bad", None);
    assert_eq!(status, 404);
    assert_eq!(body["error"]["type"], "resource_not_found_exception");
}

#[test]
fn data_streams_are_created_on_first_write_and_take_only_create() {
    let es = FakeElasticsearch::builder().start().unwrap();
    ds_template(&es);
    let (status, answer) = bulk(
        &es,
        "/logs-kspm-default/_bulk",
        &[
            json!({"create": {"_id": "a"}}),
            json!({"@timestamp": "2025-01-01T00:00:00Z", "n": 1, "raw": {"anything": [1, "x"]}}),
            json!({"create": {"_id": "a"}}),
            json!({"@timestamp": "2025-01-01T00:00:00Z", "n": 1}),
            json!({"index": {"_id": "b"}}),
            json!({"@timestamp": "2025-01-01T00:00:00Z", "n": 2}),
            json!({"create": {"_id": "c"}}),
            json!({"@timestamp": "2025-01-01T00:00:00Z", "n": "not a number"}),
            json!({"create": {"_id": "d"}}),
            json!({"n": 3}),
        ],
    );
    assert_eq!(status, 200);
    assert_eq!(answer["errors"], true);
    let statuses: Vec<u64> = answer["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            i.as_object().unwrap().values().next().unwrap()["status"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(statuses, vec![201, 409, 400, 400, 400]);
    let items = answer["items"].as_array().unwrap();
    assert_eq!(
        items[1]["create"]["error"]["type"],
        "version_conflict_engine_exception"
    );
    assert!(
        items[2]["index"]["error"]["reason"]
            .as_str()
            .unwrap()
            .contains("op_type of create")
    );
    assert_eq!(
        items[3]["create"]["error"]["type"],
        "document_parsing_exception"
    );
    assert!(
        items[4]["create"]["error"]["reason"]
            .as_str()
            .unwrap()
            .contains("@timestamp")
    );
    assert!(
        items[0]["create"]["_index"]
            .as_str()
            .unwrap()
            .starts_with(".ds-logs-kspm-default-")
    );
    assert!(es.is_data_stream("logs-kspm-default"));
    assert_eq!(es.ids("logs-kspm-default"), vec!["a"]);
    let (status, ds) = call(
        &es,
        reqwest::Method::GET,
        "/_data_stream/logs-kspm-default",
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(ds["data_streams"][0]["template"], "findings");
    let (_, count) = call(&es, reqwest::Method::GET, "/logs-kspm-default/_count", None);
    assert_eq!(count["count"], 1);
    let (_, found) = call(
        &es,
        reqwest::Method::POST,
        "/logs-kspm-default/_search",
        Some(json!({"query": {"term": {"_id": "a"}}})),
    );
    assert_eq!(found["hits"]["total"]["value"], 1);
}

#[test]
fn plain_indices_map_dynamically_and_refuse_conflicting_types() {
    let es = FakeElasticsearch::builder()
        .version("8.6.2")
        .start()
        .unwrap();
    let (_, answer) = bulk(
        &es,
        "/_bulk",
        &[
            json!({"index": {"_index": "kspm", "_id": "1"}}),
            json!({"field": 1}),
            json!({"index": {"_index": "kspm", "_id": "1"}}),
            json!({"field": 2}),
            json!({"index": {"_index": "kspm", "_id": "2"}}),
            json!({"field": {"nested": true}}),
        ],
    );
    let items = answer["items"].as_array().unwrap();
    assert_eq!(items[0]["index"]["result"], "created");
    assert_eq!(items[1]["index"]["result"], "updated");
    assert_eq!(items[1]["index"]["_version"], 2);
    assert_eq!(items[2]["index"]["status"], 400);
    assert_eq!(
        items[2]["index"]["error"]["type"],
        "mapper_parsing_exception"
    );
    let (status, doc) = call(&es, reqwest::Method::GET, "/kspm/_doc/1", None);
    assert_eq!(status, 200);
    assert_eq!(doc["_source"]["field"], 2);
}

#[test]
fn privileges_are_reported_and_enforced() {
    let es = FakeElasticsearch::builder()
        .principal(Principal::basic(
            "reader",
            "pw",
            Privileges::new(&["monitor"], "logs-*", &["read"]),
        ))
        .start()
        .unwrap();
    let response = client()
        .post(format!("{}/_security/user/_has_privileges", es.url()))
        .basic_auth("reader", Some("pw"))
        .header("content-type", "application/json")
        .body(
            json!({"cluster": ["monitor", "manage_index_templates"],
                   "index": [{"names": ["logs-x"], "privileges": ["create_doc", "read"]}]})
            .to_string(),
        )
        .send()
        .unwrap();
    let answer: Value = serde_json::from_str(&response.text().unwrap()).unwrap();
    assert_eq!(answer["has_all_requested"], false);
    assert_eq!(answer["cluster"]["monitor"], true);
    assert_eq!(answer["cluster"]["manage_index_templates"], false);
    assert_eq!(answer["index"]["logs-x"]["create_doc"], false);
    assert_eq!(answer["index"]["logs-x"]["read"], true);
    let response = client()
        .post(format!("{}/logs-x/_bulk", es.url()))
        .basic_auth("reader", Some("pw"))
        .header("content-type", "application/x-ndjson")
        .body("{\"create\":{}}\n{\"@timestamp\":\"2025-01-01T00:00:00Z\"}\n")
        .send()
        .unwrap();
    let answer: Value = serde_json::from_str(&response.text().unwrap()).unwrap();
    assert_eq!(answer["items"][0]["create"]["status"], 403);
    assert_eq!(
        answer["items"][0]["create"]["error"]["type"],
        "security_exception"
    );
}

#[test]
fn injected_faults_answer_as_a_busy_cluster() {
    let es = FakeElasticsearch::builder().start().unwrap();
    es.add_fault(Fault::TooManyRequests {
        times: 1,
        retry_after_secs: 3,
    });
    let lines = [
        json!({"index": {"_index": "i", "_id": "1"}}),
        json!({"a": 1}),
    ];
    let response = client()
        .post(format!("{}/_bulk", es.url()))
        .basic_auth("elastic", Some(DEFAULT_PASSWORD))
        .header("content-type", "application/x-ndjson")
        .body(format!("{}\n{}\n", lines[0], lines[1]))
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(response.headers()["retry-after"], "3");
    es.add_fault(Fault::ServerError {
        times: 1,
        status: 503,
    });
    assert_eq!(bulk(&es, "/_bulk", &lines).0, 503);
    es.add_fault(Fault::ItemFailures {
        count: 1,
        status: 429,
    });
    let (status, answer) = bulk(
        &es,
        "/_bulk",
        &[
            lines[0].clone(),
            lines[1].clone(),
            json!({"index": {"_index": "i", "_id": "2"}}),
            json!({"a": 2}),
        ],
    );
    assert_eq!(status, 200);
    assert_eq!(answer["items"][0]["index"]["status"], 429);
    assert_eq!(answer["items"][1]["index"]["status"], 201);

    es.add_fault(Fault::Slow {
        times: 1,
        delay: Duration::from_millis(300),
    });
    let started = Instant::now();
    call(&es, reqwest::Method::GET, "/", None);
    assert!(started.elapsed() >= Duration::from_millis(300));

    es.add_fault(Fault::DropConnection { after_bytes: 20 });
    let dropped = client()
        .post(format!("{}/_bulk", es.url()))
        .basic_auth("elastic", Some(DEFAULT_PASSWORD))
        .header("content-type", "application/x-ndjson")
        .body(format!("{}\n{}\n", lines[0], lines[1]))
        .send();
    assert!(dropped.is_err(), "the connection should have been cut");
    assert_eq!(bulk(&es, "/_bulk", &lines).0, 200);
}

#[test]
fn a_restarted_server_keeps_its_port_and_data() {
    let mut es = FakeElasticsearch::builder().start().unwrap();
    let url = es.url();
    bulk(
        &es,
        "/_bulk",
        &[
            json!({"index": {"_index": "i", "_id": "1"}}),
            json!({"a": 1}),
        ],
    );
    es.stop();
    assert!(client().get(&url).send().is_err());
    es.start().unwrap();
    assert_eq!(es.url(), url);
    assert_eq!(es.ids("i"), vec!["1"]);
}

#[test]
fn https_is_served_with_its_own_ca() {
    let es = FakeElasticsearch::builder().tls().start().unwrap();
    assert!(es.url().starts_with("https://"));
    assert!(
        client().get(es.url()).send().is_err(),
        "unknown CA must fail"
    );
    let ca = reqwest::Certificate::from_pem(es.ca_pem().unwrap().as_bytes()).unwrap();
    let trusting = reqwest::blocking::Client::builder()
        .add_root_certificate(ca)
        .build()
        .unwrap();
    let response = trusting
        .get(es.url())
        .basic_auth("elastic", Some(DEFAULT_PASSWORD))
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
}

#[test]
fn a_connection_cut_inside_the_body_gets_no_answer_and_stores_nothing() {
    let es = FakeElasticsearch::builder().start().unwrap();
    es.add_fault(Fault::DropConnection {
        after_bytes: 20_000,
    });
    let mut body = String::new();
    for i in 0..200 {
        body.push_str(&format!(
            "{{\"index\":{{\"_index\":\"i\",\"_id\":\"{i}\"}}}}\n{{\"a\":\"{}\"}}\n",
            "x".repeat(200)
        ));
    }
    let answer = client()
        .post(format!("{}/_bulk", es.url()))
        .basic_auth("elastic", Some(DEFAULT_PASSWORD))
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send();
    assert!(answer.is_err(), "{answer:?}");
    assert!(es.ids("i").is_empty());
}
