//! Every fault, answered as the real API server answers.

mod common;

use std::io::Read;
use std::time::{Duration, Instant};

use common::{assert_status, get, get_json, names};
use kspm_kube_fake::{DEFAULT_USER, Fault};

#[test]
fn forbidden_list_names_user_resource_group_and_cluster_scope() {
    let server = common::builder()
        .fault(Fault::Forbidden {
            resource: "clusterroles".into(),
            verb: "list".into(),
        })
        .start()
        .unwrap();
    let (status, body) = get_json(&server, "/apis/rbac.authorization.k8s.io/v1/clusterroles");
    assert_eq!(status, 403);
    assert_eq!(
        assert_status(&body, 403, "Forbidden"),
        format!(
            "clusterroles.rbac.authorization.k8s.io is forbidden: User \"{DEFAULT_USER}\" cannot list \
             resource \"clusterroles\" in API group \"rbac.authorization.k8s.io\" at the cluster scope"
        )
    );
    assert_eq!(body["details"]["group"], "rbac.authorization.k8s.io");
    assert_eq!(body["details"]["kind"], "clusterroles");
    // Only the denied verb: a GET of one role still works.
    let (status, _) = get_json(
        &server,
        "/apis/rbac.authorization.k8s.io/v1/clusterroles/cluster-admin",
    );
    assert_eq!(status, 200);
}

#[test]
fn forbidden_get_in_a_namespace_names_the_object_and_namespace() {
    let server = common::builder()
        .user("system:serviceaccount:kspm:reader")
        .fault(Fault::Forbidden {
            resource: "secrets".into(),
            verb: "*".into(),
        })
        .start()
        .unwrap();
    let (status, body) = get_json(&server, "/api/v1/namespaces/shop/secrets/db");
    assert_eq!(status, 403);
    assert_eq!(
        body["message"],
        "secrets \"db\" is forbidden: User \"system:serviceaccount:kspm:reader\" cannot get resource \
         \"secrets\" in API group \"\" in the namespace \"shop\""
    );
    assert_eq!(body["details"]["name"], "db");
    let (status, body) = get_json(&server, "/api/v1/secrets?watch=true");
    assert_eq!(status, 403);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("cannot watch resource")
    );
}

#[test]
fn too_many_requests_answers_429_with_retry_after_then_recovers() {
    let server = common::builder()
        .fault(Fault::TooManyRequests {
            resource: "pods".into(),
            times: 2,
            retry_after_secs: 3,
        })
        .start()
        .unwrap();
    for _ in 0..2 {
        let response = get(&server, "/api/v1/pods").send().unwrap();
        assert_eq!(response.status().as_u16(), 429);
        assert_eq!(response.headers()["retry-after"], "3");
        assert_eq!(
            response.headers()["content-type"],
            "text/plain; charset=utf-8"
        );
        assert!(
            response
                .headers()
                .contains_key("x-kubernetes-pf-flowschema-uid")
        );
        assert_eq!(
            response.text().unwrap(),
            "Too many requests, please try again later.\n"
        );
    }
    let (status, list) = get_json(&server, "/api/v1/pods");
    assert_eq!(status, 200);
    assert_eq!(list["items"].as_array().unwrap().len(), 7);
    // Other resources were never throttled.
    assert_eq!(get_json(&server, "/api/v1/namespaces").0, 200);
}

#[test]
fn storage_initializing_answers_a_too_many_requests_status_on_reads_only() {
    let server = common::builder()
        .fault(Fault::StorageInitializing {
            resource: "pods".into(),
            times: 1,
            retry_after_secs: 2,
        })
        .start()
        .unwrap();
    let response = get(&server, "/api/v1/pods").send().unwrap();
    assert_eq!(response.headers()["retry-after"], "2");
    let (status, body) = common::read_json(response);
    assert_eq!(status, 429);
    assert_eq!(
        assert_status(&body, 429, "TooManyRequests"),
        "storage is (re)initializing"
    );
    assert_eq!(body["details"]["retryAfterSeconds"], 2);
    assert_eq!(get_json(&server, "/api/v1/pods").0, 200);
}

#[test]
fn server_error_answers_internal_error_then_recovers() {
    let server = common::builder()
        .fault(Fault::ServerError {
            resource: "pods".into(),
            times: 1,
        })
        .start()
        .unwrap();
    let (status, body) = get_json(&server, "/api/v1/namespaces/shop/pods");
    assert_eq!(status, 500);
    assert_eq!(
        assert_status(&body, 500, "InternalError"),
        "Internal error occurred: etcdserver: leader changed"
    );
    assert_eq!(
        body["details"]["causes"][0]["message"],
        "etcdserver: leader changed"
    );
    assert_eq!(get_json(&server, "/api/v1/namespaces/shop/pods").0, 200);
}

#[test]
fn slow_resource_answers_after_the_delay() {
    let delay = Duration::from_millis(300);
    let server = common::builder()
        .fault(Fault::Slow {
            resource: "namespaces".into(),
            delay,
        })
        .start()
        .unwrap();
    let started = Instant::now();
    let (status, _) = get_json(&server, "/api/v1/namespaces");
    assert_eq!(status, 200);
    assert!(started.elapsed() >= delay);
}

#[test]
fn expire_continue_answers_gone_after_the_given_pages() {
    let server = common::builder()
        .fault(Fault::ExpireContinue {
            resource: "pods".into(),
            after_pages: 2,
        })
        .start()
        .unwrap();
    let (_, first) = get_json(&server, "/api/v1/pods?limit=2");
    let token = first["metadata"]["continue"].as_str().unwrap();
    let (status, second) = get_json(&server, &format!("/api/v1/pods?limit=2&continue={token}"));
    assert_eq!(status, 200);
    let token = second["metadata"]["continue"].as_str().unwrap();
    let (status, gone) = get_json(&server, &format!("/api/v1/pods?limit=2&continue={token}"));
    assert_eq!(status, 410);
    assert!(assert_status(&gone, 410, "Expired").contains("continue parameter is too old"));
    let inconsistent = gone["metadata"]["continue"].as_str().unwrap();
    let (status, rest) = get_json(
        &server,
        &format!("/api/v1/pods?limit=10&continue={inconsistent}"),
    );
    assert_eq!(status, 200);
    assert_eq!(names(&rest), ["db-0", "web-1", "web-2"]);
    // A fresh list starts over and pages again.
    assert_eq!(get_json(&server, "/api/v1/pods?limit=2").0, 200);
}

#[test]
fn malformed_object_is_served_with_a_wrongly_typed_field() {
    let server = common::builder()
        .fault(Fault::Malformed {
            resource: "deployments".into(),
            name: "web".into(),
        })
        .start()
        .unwrap();
    let (status, list) = get_json(&server, "/apis/apps/v1/deployments");
    assert_eq!(status, 200);
    assert_eq!(list["items"][0]["spec"]["replicas"], "three");
    assert_eq!(list["items"][0]["metadata"]["name"], "web");
    let (_, one) = get_json(&server, "/apis/apps/v1/namespaces/shop/deployments/web");
    assert_eq!(one["spec"]["replicas"], "three");
    // The stored object is intact.
    let stored = server.get("Deployment", "shop", "web").unwrap().unwrap();
    assert_eq!(stored["spec"]["replicas"], 2);
}

#[test]
fn truncated_page_cuts_the_body_mid_json() {
    let server = common::builder()
        .fault(Fault::TruncatedPage {
            resource: "services".into(),
        })
        .start()
        .unwrap();
    let mut response = get(&server, "/api/v1/services").send().unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let mut received = Vec::new();
    let read = response.read_to_end(&mut received);
    assert!(read.is_err(), "the body must end in an error, got {read:?}");
    assert!(!received.is_empty());
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("{\"kind\":\"ServiceList\""), "{text}");
    assert!(serde_json::from_slice::<serde_json::Value>(&received).is_err());
    // GET of one service is whole.
    assert_eq!(
        get_json(&server, "/api/v1/namespaces/shop/services/web").0,
        200
    );
}

#[test]
fn faults_can_be_added_and_cleared_while_serving() {
    let server = common::start();
    assert_eq!(get_json(&server, "/api/v1/nodes").0, 200);
    server.add_fault(Fault::Forbidden {
        resource: "nodes".into(),
        verb: "list".into(),
    });
    assert_eq!(get_json(&server, "/api/v1/nodes").0, 403);
    server.clear_faults();
    assert_eq!(get_json(&server, "/api/v1/nodes").0, 200);
}
