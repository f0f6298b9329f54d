//! Shared by the integration tests: a small cluster and a plain HTTP client.

#![allow(dead_code)]

use std::time::Duration;

use kspm_kube_fake::{FakeApiServer, FakeApiServerBuilder};
use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::{Value, json};

/// A pod in `namespace` with labels `app=<app>`, running on `node`.
pub fn pod(namespace: &str, name: &str, app: &str, node: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": app}},
        "spec": {"nodeName": node, "containers": [{"name": "main", "image": format!("registry.example/{app}:1")}]},
        "status": {"phase": "Running", "podIP": "10.0.0.1", "containerStatuses": [
            {"name": "main", "ready": true, "restartCount": 0, "state": {"running": {}}}
        ]}
    })
}

/// Namespaces, seven pods over three namespaces, a deployment, RBAC, a secret, a service, a
/// lease and a custom resource.
pub fn cluster() -> Vec<Value> {
    let mut objects = vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}}),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}}),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "cp-1",
               "labels": {"node-role.kubernetes.io/control-plane": ""}},
               "status": {"conditions": [{"type": "Ready", "status": "True"}],
                          "nodeInfo": {"kubeletVersion": "v1.34.2"}}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "web", "namespace": "shop"},
               "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                        "template": {"metadata": {"labels": {"app": "web"}},
                                     "spec": {"containers": [{"name": "main", "image": "web:1"}]}}}}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
               "metadata": {"name": "cluster-admin"},
               "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]}),
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "shop"},
               "type": "Opaque", "data": {"password": "c2VjcmV0"}}),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
               "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.10", "ports": [{"port": 80}]}}),
        json!({"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
               "metadata": {"name": "deny-all", "namespace": "shop"},
               "spec": {"endpointSelector": {}}}),
    ];
    objects.extend([
        pod("kube-system", "coredns-1", "coredns", "cp-1"),
        pod("kube-system", "coredns-2", "coredns", "cp-1"),
        pod("kube-system", "etcd-cp-1", "etcd", "cp-1"),
        pod("shop", "web-1", "web", "cp-1"),
        pod("shop", "web-2", "web", "cp-1"),
        pod("shop", "db-0", "db", "cp-1"),
        pod("default", "debug", "debug", "cp-1"),
    ]);
    objects
}

pub fn builder() -> FakeApiServerBuilder {
    FakeApiServer::builder().objects(cluster())
}

pub fn start() -> FakeApiServer {
    builder().start().expect("the fake API server starts")
}

/// A blocking client that trusts the server's CA, with a generous timeout (watches run in
/// it).
pub fn client(server: &FakeApiServer) -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = Client::builder().timeout(Duration::from_secs(30));
    if let Some(pem) = server.ca_pem() {
        let ca = reqwest::Certificate::from_pem(pem.as_bytes()).expect("CA certificate");
        builder = builder.tls_certs_only([ca]);
    }
    builder.build().expect("HTTP client")
}

/// An authenticated request.
pub fn request(server: &FakeApiServer, method: reqwest::Method, path: &str) -> RequestBuilder {
    client(server)
        .request(method, format!("{}{path}", server.url()))
        .bearer_auth(server.token())
}

/// An authenticated GET.
pub fn get(server: &FakeApiServer, path: &str) -> RequestBuilder {
    request(server, reqwest::Method::GET, path)
}

/// An authenticated GET, its status and JSON body.
pub fn get_json(server: &FakeApiServer, path: &str) -> (u16, Value) {
    read_json(get(server, path).send().expect("request"))
}

pub fn read_json(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().expect("body");
    let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, value)
}

/// The `metadata.name` of each item of a list.
pub fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["metadata"]["name"].as_str().expect("name").to_string())
        .collect()
}

/// Asserts the body is a failure `Status` with this code and reason; returns its message.
pub fn assert_status(body: &Value, code: u16, reason: &str) -> String {
    assert_eq!(body["kind"], "Status", "{body}");
    assert_eq!(body["apiVersion"], "v1", "{body}");
    assert_eq!(body["status"], "Failure", "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["reason"], reason, "{body}");
    body["message"].as_str().expect("message").to_string()
}
