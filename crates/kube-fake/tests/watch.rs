//! WATCH: initial state, live changes, replay from a resource version, expiry, bookmarks,
//! streaming lists, selectors and timeouts.

mod common;

use std::io::{BufRead, BufReader, Lines};
use std::time::{Duration, Instant};

use common::{get, get_json, pod};
use kspm_kube_fake::FakeApiServer;
use reqwest::blocking::Response;
use serde_json::{Value, json};

/// A watch stream read line by line.
struct Stream {
    lines: Lines<BufReader<Response>>,
}

impl Stream {
    fn open(server: &FakeApiServer, path: &str) -> Stream {
        let response = get(server, path).send().unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(response.headers()["content-type"], "application/json");
        Stream {
            lines: BufReader::new(response).lines(),
        }
    }

    fn next(&mut self) -> Option<Value> {
        let line = self.lines.next()?.expect("watch stream read");
        Some(serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}")))
    }

    fn expect(&mut self) -> Value {
        self.next().expect("another event")
    }

    /// (type, name) of the next `n` events.
    fn take(&mut self, n: usize) -> Vec<(String, String)> {
        (0..n)
            .map(|_| {
                let event = self.expect();
                (
                    event["type"].as_str().unwrap().to_string(),
                    event["object"]["metadata"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                )
            })
            .collect()
    }
}

fn pair(kind: &str, name: &str) -> (String, String) {
    (kind.to_string(), name.to_string())
}

#[test]
fn watch_from_zero_sends_the_current_objects_then_live_changes() {
    let server = common::start();
    let mut stream = Stream::open(
        &server,
        "/api/v1/namespaces/shop/pods?watch=true&resourceVersion=0",
    );
    assert_eq!(
        stream.take(3),
        [
            pair("ADDED", "db-0"),
            pair("ADDED", "web-1"),
            pair("ADDED", "web-2")
        ]
    );
    server.apply(pod("shop", "web-3", "web", "cp-1")).unwrap();
    let mut changed = pod("shop", "web-1", "web", "cp-1");
    changed["status"]["phase"] = json!("Failed");
    server.apply(changed).unwrap();
    server.delete("Pod", "shop", "db-0").unwrap();
    let deleted_at = server.resource_version();
    server
        .apply(pod("kube-system", "elsewhere", "x", "cp-1"))
        .unwrap();
    let added = stream.expect();
    assert_eq!(added["type"], "ADDED");
    assert_eq!(added["object"]["kind"], "Pod");
    assert_eq!(added["object"]["apiVersion"], "v1");
    let modified = stream.expect();
    assert_eq!(modified["type"], "MODIFIED");
    assert_eq!(modified["object"]["status"]["phase"], "Failed");
    let deleted = stream.expect();
    assert_eq!(deleted["type"], "DELETED");
    assert_eq!(deleted["object"]["metadata"]["name"], "db-0");
    assert_eq!(
        deleted["object"]["metadata"]["resourceVersion"],
        deleted_at.to_string()
    );
    let versions: Vec<u64> = [&added, &modified, &deleted]
        .iter()
        .map(|e| {
            e["object"]["metadata"]["resourceVersion"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
}

#[test]
fn watch_from_a_list_resource_version_replays_what_changed_since() {
    let server = common::start();
    let (_, list) = get_json(&server, "/api/v1/pods");
    let rv = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    server.delete("Pod", "default", "debug").unwrap();
    server.apply(pod("shop", "late", "late", "cp-1")).unwrap();
    let mut stream = Stream::open(
        &server,
        &format!("/api/v1/pods?watch=1&resourceVersion={rv}&timeoutSeconds=1"),
    );
    assert_eq!(
        stream.take(2),
        [pair("DELETED", "debug"), pair("ADDED", "late")]
    );
    assert!(stream.next().is_none(), "the stream ends at timeoutSeconds");
}

#[test]
fn watch_from_a_compacted_resource_version_gets_an_expired_error_event() {
    let server = common::start();
    let old = server.resource_version();
    server.apply(pod("shop", "late", "late", "cp-1")).unwrap();
    server.compact();
    let mut stream = Stream::open(
        &server,
        &format!("/api/v1/pods?watch=true&resourceVersion={old}"),
    );
    let error = stream.expect();
    assert_eq!(error["type"], "ERROR");
    let status = &error["object"];
    assert_eq!(status["kind"], "Status");
    assert_eq!(status["code"], 410);
    assert_eq!(status["reason"], "Expired");
    assert_eq!(
        status["message"],
        format!("too old resource version: {old} ({})", old + 1)
    );
    assert!(stream.next().is_none(), "the stream ends after the error");
}

#[test]
fn timeout_seconds_ends_an_idle_watch() {
    let server = common::start();
    let rv = server.resource_version();
    let started = Instant::now();
    let mut stream = Stream::open(
        &server,
        &format!("/api/v1/nodes?watch=true&resourceVersion={rv}&timeoutSeconds=1"),
    );
    assert!(stream.next().is_none());
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(900), "{elapsed:?}");
}

#[test]
fn bookmarks_carry_the_latest_resource_version_when_allowed() {
    let server = common::builder()
        .bookmark_interval(Duration::from_millis(100))
        .start()
        .unwrap();
    let rv = server.resource_version();
    let mut stream = Stream::open(
        &server,
        &format!("/api/v1/pods?watch=true&resourceVersion={rv}&allowWatchBookmarks=true"),
    );
    let bookmark = stream.expect();
    assert_eq!(bookmark["type"], "BOOKMARK");
    assert_eq!(bookmark["object"]["kind"], "Pod");
    assert_eq!(bookmark["object"]["apiVersion"], "v1");
    assert_eq!(
        bookmark["object"]["metadata"]["resourceVersion"],
        rv.to_string()
    );
    server.apply(pod("shop", "late", "late", "cp-1")).unwrap();
    loop {
        let event = stream.expect();
        if event["type"] == "ADDED" {
            break;
        }
    }
    let after = loop {
        let event = stream.expect();
        if event["type"] == "BOOKMARK" {
            break event;
        }
    };
    assert_eq!(
        after["object"]["metadata"]["resourceVersion"],
        server.resource_version().to_string()
    );
}

#[test]
fn streaming_list_ends_its_initial_events_with_an_annotated_bookmark() {
    let server = common::start();
    let mut stream = Stream::open(
        &server,
        "/api/v1/namespaces/kube-system/pods?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&resourceVersion=0&timeoutSeconds=290",
    );
    assert_eq!(
        stream.take(3),
        [
            pair("ADDED", "coredns-1"),
            pair("ADDED", "coredns-2"),
            pair("ADDED", "etcd-cp-1")
        ]
    );
    let end = stream.expect();
    assert_eq!(end["type"], "BOOKMARK");
    assert_eq!(
        end["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );
    assert_eq!(
        end["object"]["metadata"]["resourceVersion"],
        server.resource_version().to_string()
    );
}

#[test]
fn send_initial_events_without_resource_version_match_is_invalid() {
    let server = common::start();
    let (status, body) = get_json(&server, "/api/v1/pods?watch=true&sendInitialEvents=true");
    assert_eq!(status, 422);
    assert_eq!(body["reason"], "Invalid");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("sendInitialEvents requires setting resourceVersionMatch")
    );
}

#[test]
fn objects_entering_or_leaving_a_selection_are_added_or_deleted() {
    let server = common::start();
    let rv = server.resource_version();
    let mut stream = Stream::open(
        &server,
        &format!("/api/v1/pods?watch=true&resourceVersion={rv}&labelSelector=app%3Dweb"),
    );
    let mut relabelled = pod("shop", "web-1", "web", "cp-1");
    relabelled["metadata"]["labels"]["app"] = json!("old-web");
    server.apply(relabelled).unwrap();
    server.apply(pod("shop", "db-0", "web", "cp-1")).unwrap();
    server.apply(pod("shop", "other", "other", "cp-1")).unwrap();
    server.apply(pod("shop", "web-2", "web", "cp-9")).unwrap();
    assert_eq!(
        stream.take(3),
        [
            pair("DELETED", "web-1"),
            pair("ADDED", "db-0"),
            pair("MODIFIED", "web-2")
        ]
    );
}

#[test]
fn watch_of_one_object_by_its_path_sees_only_that_object() {
    let server = common::start();
    let rv = server.resource_version();
    let mut stream = Stream::open(
        &server,
        &format!("/api/v1/namespaces/shop/pods/web-2?watch=true&resourceVersion={rv}"),
    );
    server.apply(pod("shop", "web-1", "web", "cp-2")).unwrap();
    server.apply(pod("shop", "web-2", "web", "cp-2")).unwrap();
    assert_eq!(stream.take(1), [pair("MODIFIED", "web-2")]);
}

#[test]
fn table_watch_sends_column_definitions_with_the_first_event_only() {
    let server = common::start();
    let response = get(
        &server,
        "/api/v1/namespaces/shop/pods?watch=true&timeoutSeconds=1",
    )
    .header("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
    .send()
    .unwrap();
    let mut stream = Stream {
        lines: BufReader::new(response).lines(),
    };
    let first = stream.expect();
    assert_eq!(first["object"]["kind"], "Table");
    assert!(
        first["object"]["columnDefinitions"]
            .as_array()
            .is_some_and(|c| !c.is_empty())
    );
    assert_eq!(first["object"]["rows"][0]["cells"][0], "db-0");
    let second = stream.expect();
    assert!(second["object"]["columnDefinitions"].is_null());
    assert_eq!(second["object"]["rows"][0]["cells"][0], "web-1");
}
