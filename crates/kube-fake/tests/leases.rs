//! Writes, through the Lease API that leader election uses: create, replace with optimistic
//! concurrency, patch, delete with preconditions.

mod common;

use common::{assert_status, read_json, request, start};
use kspm_kube_fake::FakeApiServer;
use reqwest::Method;
use serde_json::{Value, json};

const LEASES: &str = "/apis/coordination.k8s.io/v1/namespaces/kspm/leases";

fn lease(holder: &str) -> Value {
    json!({
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "kspm-leader", "namespace": "kspm"},
        "spec": {"holderIdentity": holder, "leaseDurationSeconds": 15, "leaseTransitions": 0}
    })
}

fn send(
    server: &FakeApiServer,
    method: Method,
    path: &str,
    content_type: &str,
    body: &Value,
) -> (u16, Value) {
    read_json(
        request(server, method, path)
            .header("Content-Type", content_type)
            .body(body.to_string())
            .send()
            .unwrap(),
    )
}

fn create(server: &FakeApiServer, body: &Value) -> (u16, Value) {
    send(server, Method::POST, LEASES, "application/json", body)
}

fn replace(server: &FakeApiServer, body: &Value) -> (u16, Value) {
    send(
        server,
        Method::PUT,
        &format!("{LEASES}/kspm-leader"),
        "application/json",
        body,
    )
}

fn rv(object: &Value) -> u64 {
    object["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn create_stores_the_lease_and_fills_server_fields() {
    let server = start();
    let (status, created) = create(&server, &lease("agent-a"));
    assert_eq!(status, 201);
    assert_eq!(created["kind"], "Lease");
    assert_eq!(created["spec"]["holderIdentity"], "agent-a");
    assert!(created["metadata"]["uid"].is_string());
    assert!(created["metadata"]["creationTimestamp"].is_string());
    assert_eq!(rv(&created), server.resource_version());
    let (status, fetched) = common::get_json(&server, &format!("{LEASES}/kspm-leader"));
    assert_eq!(status, 200);
    assert_eq!(fetched, created);
}

#[test]
fn second_create_is_already_exists() {
    let server = start();
    assert_eq!(create(&server, &lease("agent-a")).0, 201);
    let (status, body) = create(&server, &lease("agent-b"));
    assert_eq!(status, 409);
    assert_eq!(
        assert_status(&body, 409, "AlreadyExists"),
        "leases.coordination.k8s.io \"kspm-leader\" already exists"
    );
    assert_eq!(
        body["details"],
        json!({"name": "kspm-leader", "group": "coordination.k8s.io", "kind": "leases"})
    );
}

#[test]
fn replace_with_the_current_resource_version_succeeds_and_moves_it() {
    let server = start();
    let (_, created) = create(&server, &lease("agent-a"));
    let mut renewed = created.clone();
    renewed["spec"]["renewTime"] = json!("2026-01-01T00:00:00.000000Z");
    let (status, updated) = replace(&server, &renewed);
    assert_eq!(status, 200);
    assert!(rv(&updated) > rv(&created));
    assert_eq!(updated["metadata"]["uid"], created["metadata"]["uid"]);
    assert_eq!(updated["spec"]["renewTime"], "2026-01-01T00:00:00.000000Z");
}

#[test]
fn replace_with_a_stale_resource_version_is_a_conflict() {
    let server = start();
    let (_, created) = create(&server, &lease("agent-a"));
    let mut first = created.clone();
    first["spec"]["holderIdentity"] = json!("agent-b");
    assert_eq!(replace(&server, &first).0, 200);
    let mut late = created;
    late["spec"]["holderIdentity"] = json!("agent-c");
    let (status, body) = replace(&server, &late);
    assert_eq!(status, 409);
    assert_eq!(
        assert_status(&body, 409, "Conflict"),
        "Operation cannot be fulfilled on leases.coordination.k8s.io \"kspm-leader\": the object has \
         been modified; please apply your changes to the latest version and try again"
    );
    let stored = server.get("Lease", "kspm", "kspm-leader").unwrap().unwrap();
    assert_eq!(stored["spec"]["holderIdentity"], "agent-b");
}

#[test]
fn replace_of_a_missing_lease_is_not_found() {
    let server = start();
    let (status, body) = replace(&server, &lease("agent-a"));
    assert_eq!(status, 404);
    assert_eq!(
        assert_status(&body, 404, "NotFound"),
        "leases.coordination.k8s.io \"kspm-leader\" not found"
    );
}

#[test]
fn unchanged_replace_keeps_the_resource_version() {
    let server = start();
    let (_, created) = create(&server, &lease("agent-a"));
    let (status, same) = replace(&server, &created);
    assert_eq!(status, 200);
    assert_eq!(rv(&same), rv(&created));
}

#[test]
fn name_and_namespace_must_match_the_url() {
    let server = start();
    let mut other = lease("agent-a");
    other["metadata"]["namespace"] = json!("elsewhere");
    let (status, body) = create(&server, &other);
    assert_eq!(status, 400);
    assert_eq!(
        body["message"],
        "the namespace of the provided object does not match the namespace sent on the request"
    );
    create(&server, &lease("agent-a"));
    let (status, body) = send(
        &server,
        Method::PUT,
        &format!("{LEASES}/other-name"),
        "application/json",
        &lease("agent-a"),
    );
    assert_eq!(status, 400);
    assert_eq!(
        body["message"],
        "the name of the object (kspm-leader) does not match the name on the URL (other-name)"
    );
    let mut nameless = lease("agent-a");
    nameless["metadata"] = json!({"namespace": "kspm"});
    let (status, body) = create(&server, &nameless);
    assert_eq!(status, 422);
    assert_eq!(
        body["message"],
        "Lease.coordination.k8s.io \"\" is invalid: metadata.name: Required value: name or generateName is required"
    );
    nameless["metadata"]["generateName"] = json!("lock-");
    let (status, generated) = create(&server, &nameless);
    assert_eq!(status, 201);
    assert!(
        generated["metadata"]["name"]
            .as_str()
            .unwrap()
            .starts_with("lock-")
    );
}

#[test]
fn merge_patch_with_a_stale_resource_version_is_a_conflict() {
    let server = start();
    let (_, created) = create(&server, &lease("agent-a"));
    let path = format!("{LEASES}/kspm-leader");
    let patch = json!({"metadata": {"resourceVersion": created["metadata"]["resourceVersion"]},
                       "spec": {"holderIdentity": "agent-b"}});
    let (status, patched) = send(
        &server,
        Method::PATCH,
        &path,
        "application/merge-patch+json",
        &patch,
    );
    assert_eq!(status, 200);
    assert_eq!(patched["spec"]["holderIdentity"], "agent-b");
    assert_eq!(patched["spec"]["leaseDurationSeconds"], 15);
    let (status, body) = send(
        &server,
        Method::PATCH,
        &path,
        "application/merge-patch+json",
        &patch,
    );
    assert_eq!(status, 409);
    assert_status(&body, 409, "Conflict");
    let strategic = json!({"spec": {"leaseTransitions": 1}});
    let (status, patched) = send(
        &server,
        Method::PATCH,
        &path,
        "application/strategic-merge-patch+json",
        &strategic,
    );
    assert_eq!(status, 200);
    assert_eq!(patched["spec"]["leaseTransitions"], 1);
}

#[test]
fn json_patch_test_on_the_resource_version_guards_the_update() {
    let server = start();
    let (_, created) = create(&server, &lease("agent-a"));
    let path = format!("{LEASES}/kspm-leader");
    let guarded = |rv: &Value| {
        json!([
            {"op": "test", "path": "/metadata/resourceVersion", "value": rv},
            {"op": "replace", "path": "/spec/holderIdentity", "value": "agent-b"}
        ])
    };
    let current = created["metadata"]["resourceVersion"].clone();
    let (status, _) = send(
        &server,
        Method::PATCH,
        &path,
        "application/json-patch+json",
        &guarded(&current),
    );
    assert_eq!(status, 200);
    let (status, body) = send(
        &server,
        Method::PATCH,
        &path,
        "application/json-patch+json",
        &guarded(&current),
    );
    assert_eq!(status, 422);
    assert_eq!(body["reason"], "Invalid");
}

#[test]
fn apply_patch_needs_a_field_manager_and_creates() {
    let server = start();
    let path = format!("{LEASES}/kspm-leader");
    let (status, body) = send(
        &server,
        Method::PATCH,
        &path,
        "application/apply-patch+yaml",
        &lease("agent-a"),
    );
    assert_eq!(status, 400);
    assert_status(&body, 400, "BadRequest");
    let (status, applied) = send(
        &server,
        Method::PATCH,
        &format!("{path}?fieldManager=kspm&force=true"),
        "application/apply-patch+yaml",
        &lease("agent-a"),
    );
    assert_eq!(status, 200);
    assert_eq!(applied["spec"]["holderIdentity"], "agent-a");
    assert!(applied["metadata"]["uid"].is_string());
}

#[test]
fn delete_honours_preconditions_and_answers_success() {
    let server = start();
    let (_, created) = create(&server, &lease("agent-a"));
    let path = format!("{LEASES}/kspm-leader");
    let stale = json!({"preconditions": {"resourceVersion": "1"}});
    let (status, body) = send(&server, Method::DELETE, &path, "application/json", &stale);
    assert_eq!(status, 409);
    assert!(
        assert_status(&body, 409, "Conflict")
            .contains("the ResourceVersion in the precondition (1)")
    );
    let fresh =
        json!({"preconditions": {"resourceVersion": created["metadata"]["resourceVersion"]}});
    let (status, body) = send(&server, Method::DELETE, &path, "application/json", &fresh);
    assert_eq!(status, 200);
    assert_eq!(body["kind"], "Status");
    assert_eq!(body["status"], "Success");
    assert_eq!(body["details"]["uid"], created["metadata"]["uid"]);
    assert!(
        server
            .get("Lease", "kspm", "kspm-leader")
            .unwrap()
            .is_none()
    );
    let (status, _) = send(
        &server,
        Method::DELETE,
        &path,
        "application/json",
        &json!({}),
    );
    assert_eq!(status, 404);
}

#[test]
fn writes_outside_an_object_path_are_not_allowed() {
    let server = start();
    let (status, body) = send(
        &server,
        Method::POST,
        "/apis/coordination.k8s.io/v1/leases",
        "application/json",
        &lease("agent-a"),
    );
    assert_eq!(status, 405);
    assert_status(&body, 405, "MethodNotAllowed");
    let (status, _) = send(
        &server,
        Method::DELETE,
        LEASES,
        "application/json",
        &json!({}),
    );
    assert_eq!(status, 405);
}
