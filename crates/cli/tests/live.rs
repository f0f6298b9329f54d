//! `kspm scan --kubeconfig` against a loopback Kubernetes API server (kspm-kube-fake, whose
//! fidelity is proven with the real kubectl in its own tests): the same findings as an offline
//! scan of the same objects, and what cannot be read said, never judged.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use kspm_fixtures::cluster::{Shape, cluster};
use kspm_kube_fake::{FakeApiServer, Fault};
use serde_json::{Value, json};

/// The synthetic cluster's objects, plus a kubeadm control plane's API server mirror pod.
fn objects(pods: usize) -> Vec<Value> {
    let mut items = cluster(pods, 5, Shape::Complete)["items"]
        .as_array()
        .unwrap()
        .clone();
    items.push(json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "kube-apiserver-cp-1", "namespace": "kube-system", "uid": "mirror-apiserver",
            "annotations": {"kubernetes.io/config.mirror": "abc", "kubernetes.io/config.source": "file"},
            "labels": {"component": "kube-apiserver", "tier": "control-plane"}},
        "spec": {"nodeName": "cp-1", "containers": [{"name": "kube-apiserver", "image": "registry.k8s.io/kube-apiserver:v1.34.2",
            "command": ["kube-apiserver", "--anonymous-auth=true", "--profiling=true", "--authorization-mode=Node,RBAC"]}]}}));
    items
}

fn kube_system_uid(objects: &[Value]) -> String {
    objects
        .iter()
        .find(|o| o["kind"] == "Namespace" && o["metadata"]["name"] == "kube-system")
        .and_then(|o| o["metadata"]["uid"].as_str())
        .unwrap()
        .to_owned()
}

/// Runs `kspm scan -o json` with `args`; (exit code, findings, stderr).
fn scan(args: &[&str]) -> (i32, Vec<Value>, String) {
    let out = common::kspm()
        .args(["scan", "-o", "json", "--fail-on", "none"])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let findings = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("JSON output: {e}; stderr: {stderr}"));
    (out.status.code().unwrap(), findings, stderr)
}

/// (finding id) → (rule, resource id, outcome).
fn by_id(findings: &[Value]) -> BTreeMap<String, (String, String, String)> {
    findings
        .iter()
        .map(|f| {
            (
                f["event"]["id"].as_str().unwrap().to_owned(),
                (
                    f["rule"]["id"].as_str().unwrap().to_owned(),
                    f["resource"]["id"].as_str().unwrap().to_owned(),
                    f["result"]["evaluation"].as_str().unwrap().to_owned(),
                ),
            )
        })
        .collect()
}

fn kubeconfig(server: &FakeApiServer, dir: &Path) -> String {
    let path = dir.join("config");
    server.write_kubeconfig(&path, "fake-ctx").unwrap();
    path.display().to_string()
}

#[test]
fn a_live_scan_finds_what_an_offline_scan_of_the_same_objects_finds() {
    let objects = objects(300);
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("snapshot.json");
    std::fs::write(
        &snapshot,
        serde_json::to_vec(&json!({"apiVersion": "v1", "kind": "List", "items": objects})).unwrap(),
    )
    .unwrap();
    let server = FakeApiServer::builder()
        .version("v1.34.2")
        .objects(objects.clone())
        .page_limit_max(100)
        .start()
        .unwrap();
    let kc = kubeconfig(&server, dir.path());
    let (code, live, stderr) = scan(&["--kubeconfig", &kc]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("kspm: cluster fake-ctx at ") && stderr.contains("v1.34.2"),
        "the cluster and its platform are said: {stderr}"
    );
    let uid = kube_system_uid(&objects);
    let (code, offline, stderr) = scan(&[
        "--cluster-name",
        "fake-ctx",
        "--cluster-id",
        &uid,
        snapshot.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let (live, offline) = (by_id(&live), by_id(&offline));
    assert!(live.len() > 1000, "{} findings", live.len());
    assert_eq!(
        live.keys().collect::<Vec<_>>(),
        offline.keys().collect::<Vec<_>>(),
        "the same finding ids"
    );
    assert_eq!(live, offline, "the same outcomes");
    // The control-plane flags came from the mirror pod.
    assert!(live.values().any(
        |(rule, _, outcome)| rule == "apiserver_anonymous_auth_disabled" && outcome == "failed"
    ));
    // Paged, and never a Secret.
    let requests = server.requests();
    assert!(
        requests.iter().any(|r| r.param("continue").is_some()),
        "pages were followed"
    );
    assert!(
        requests.iter().all(|r| !r.path.contains("secrets")),
        "{requests:?}"
    );
    assert!(requests.iter().all(|r| r.method == "GET"), "read only");
}

#[test]
fn a_kind_the_credentials_may_not_list_gives_errors_naming_it_never_passes() {
    let objects = objects(40);
    let dir = tempfile::tempdir().unwrap();
    let server = FakeApiServer::builder()
        .objects(objects)
        .fault(Fault::Forbidden {
            resource: "clusterroles".into(),
            verb: "list".into(),
        })
        .start()
        .unwrap();
    let kc = kubeconfig(&server, dir.path());
    let (code, findings, stderr) = scan(&["--kubeconfig", &kc]);
    assert_eq!(code, 2, "a refused list is an input error: {stderr}");
    assert!(
        stderr.contains("list clusterroles.rbac.authorization.k8s.io failed: 403"),
        "{stderr}"
    );
    // Every rule evaluated on ClusterRoles says, on the cluster, that it could not see them;
    // a Role can still be judged by the rules that look at Roles too.
    for rule in [
        "rbac_secret_readers",
        "rbac_cluster_admin_bindings",
        "rbac_csr_approvers",
    ] {
        let on_cluster = findings
            .iter()
            .find(|f| f["rule"]["id"] == rule && f["resource"]["sub_type"] == "Cluster")
            .unwrap_or_else(|| panic!("{rule} says the ClusterRoles are missing"));
        assert_eq!(on_cluster["result"]["evaluation"], "error", "{on_cluster}");
        let message = on_cluster["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("list clusterroles.rbac.authorization.k8s.io")
                && message.contains("403"),
            "{message}"
        );
    }
    assert!(
        !findings
            .iter()
            .any(|f| f["resource"]["sub_type"] == "ClusterRole")
    );
    // Rules that read the ClusterRoles across the cluster (5.1.8) cannot pass either.
    assert!(
        findings
            .iter()
            .filter(|f| f["rule"]["id"] == "rbac_bind_impersonate_escalate")
            .all(|f| f["result"]["evaluation"] == "error")
    );
    // Everything else is still judged.
    assert!(
        findings
            .iter()
            .any(|f| f["result"]["evaluation"] == "passed")
    );
}

#[test]
fn a_kind_the_server_does_not_serve_makes_its_rules_not_applicable() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeApiServer::builder()
        .objects(objects(20))
        .fault(Fault::NotServed {
            group_version: "admissionregistration.k8s.io/v1".into(),
        })
        .start()
        .unwrap();
    let kc = kubeconfig(&server, dir.path());
    let out = common::kspm()
        .args(["-v", "scan", "--fail-on", "none", "--kubeconfig", &kc])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(
            "ValidatingAdmissionPolicy not fully read: this API server does not serve the kind"
        ),
        "{stderr}"
    );
}

#[test]
fn faults_that_pass_are_retried_and_the_scan_is_complete() {
    let objects = objects(60);
    let dir = tempfile::tempdir().unwrap();
    let calm = FakeApiServer::builder()
        .objects(objects.clone())
        .page_limit_max(10)
        .start()
        .unwrap();
    let calm_kc = kubeconfig(&calm, dir.path());
    let (_, expected, _) = scan(&["--kubeconfig", &calm_kc]);
    let stormy = FakeApiServer::builder()
        .objects(objects)
        .page_limit_max(10)
        .fault(Fault::TooManyRequests {
            resource: "pods".into(),
            times: 2,
            retry_after_secs: 1,
        })
        .fault(Fault::ServerError {
            resource: "deployments".into(),
            times: 2,
        })
        .fault(Fault::Slow {
            resource: "namespaces".into(),
            delay: Duration::from_millis(300),
        })
        .fault(Fault::ExpireContinue {
            resource: "pods".into(),
            after_pages: 2,
        })
        .start()
        .unwrap();
    let dir2 = tempfile::tempdir().unwrap();
    let kc = kubeconfig(&stormy, dir2.path());
    let started = std::time::Instant::now();
    let (code, findings, stderr) = scan(&["--kubeconfig", &kc, "--cluster-name", "fake-ctx"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was honoured"
    );
    let requests = stormy.requests();
    let status = |code: u16| requests.iter().filter(|r| r.status == code).count();
    assert!(
        status(429) >= 2 && status(500) >= 2 && status(410) >= 1,
        "{requests:?}"
    );
    // Same cluster id? Both fakes take the kube-system uid from the same objects.
    assert_eq!(by_id(&findings), by_id(&expected));
}

#[test]
fn an_object_in_an_unexpected_shape_is_named_and_the_others_are_evaluated() {
    let objects = objects(30);
    let deployment = objects
        .iter()
        .find(|o| o["kind"] == "Deployment")
        .unwrap()
        .clone();
    let name = deployment["metadata"]["name"].as_str().unwrap().to_owned();
    let ns = deployment["metadata"]["namespace"]
        .as_str()
        .unwrap()
        .to_owned();
    let dir = tempfile::tempdir().unwrap();
    let server = FakeApiServer::builder()
        .objects(objects)
        .fault(Fault::Malformed {
            resource: "deployments".into(),
            name: name.clone(),
        })
        .start()
        .unwrap();
    let kc = kubeconfig(&server, dir.path());
    let (code, findings, stderr) = scan(&["--kubeconfig", &kc]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "apps/v1 Deployment {ns}/{name} has an unexpected shape"
        )),
        "{stderr}"
    );
    assert!(
        !findings
            .iter()
            .any(|f| f["resource"]["name"] == format!("{ns}/{name}"))
    );
    assert!(
        findings
            .iter()
            .filter(|f| f["resource"]["sub_type"] == "Deployment")
            .count()
            > 10
    );
}

#[test]
fn a_page_cut_short_every_time_is_an_error_naming_it_and_the_rest_is_evaluated() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeApiServer::builder()
        .objects(objects(30))
        .fault(Fault::TruncatedPage {
            resource: "serviceaccounts".into(),
        })
        .start()
        .unwrap();
    let kc = kubeconfig(&server, dir.path());
    let (code, findings, stderr) = scan(&["--kubeconfig", &kc]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("list serviceaccounts failed: no usable answer"),
        "{stderr}"
    );
    let tries = server
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v1/serviceaccounts")
        .count();
    assert!(tries >= 2, "tried again: {tries}");
    assert!(
        findings
            .iter()
            .any(|f| f["resource"]["sub_type"] == "Deployment")
    );
}
