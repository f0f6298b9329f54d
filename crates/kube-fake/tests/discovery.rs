//! Discovery, `/version` and `/healthz`, per-group and aggregated.

mod common;

use common::{assert_status, get, get_json, read_json, start};
use kspm_kube_fake::{FakeApiServer, Fault};
use serde_json::Value;

const AGGREGATED_V2: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

fn group_names(list: &Value) -> Vec<String> {
    list["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn version_reports_the_configured_git_version() {
    let server = common::builder().version("v1.33.5").start().unwrap();
    let (status, body) = get_json(&server, "/version");
    assert_eq!(status, 200);
    assert_eq!(body["gitVersion"], "v1.33.5");
    assert_eq!(body["major"], "1");
    assert_eq!(body["minor"], "33");
    let health = get(&server, "/healthz").send().unwrap();
    assert_eq!(health.status().as_u16(), 200);
    assert_eq!(health.text().unwrap(), "ok");
}

#[test]
fn legacy_discovery_lists_groups_and_resources() {
    let server = start();
    let (_, api) = get_json(&server, "/api");
    assert_eq!(api["kind"], "APIVersions");
    assert_eq!(api["versions"], serde_json::json!(["v1"]));
    assert_eq!(
        api["serverAddressByClientCIDRs"][0]["serverAddress"],
        server.address().to_string()
    );

    let (_, apis) = get_json(&server, "/apis");
    assert_eq!(apis["kind"], "APIGroupList");
    let groups = group_names(&apis);
    for group in [
        "apps",
        "batch",
        "rbac.authorization.k8s.io",
        "networking.k8s.io",
        "policy",
        "admissionregistration.k8s.io",
        "certificates.k8s.io",
        "coordination.k8s.io",
        "storage.k8s.io",
        "cilium.io",
    ] {
        assert!(
            groups.contains(&group.to_string()),
            "{group} missing from {groups:?}"
        );
    }
    let apps = &apis["groups"][groups.iter().position(|g| g == "apps").unwrap()];
    assert_eq!(apps["preferredVersion"]["groupVersion"], "apps/v1");

    let (_, group) = get_json(&server, "/apis/cilium.io");
    assert_eq!(group["kind"], "APIGroup");
    assert_eq!(group["versions"][0]["groupVersion"], "cilium.io/v2");

    let (_, core) = get_json(&server, "/api/v1");
    assert_eq!(core["kind"], "APIResourceList");
    assert_eq!(core["groupVersion"], "v1");
    let (_, cilium) = get_json(&server, "/apis/cilium.io/v2");
    let cnp = &cilium["resources"][0];
    assert_eq!(cnp["name"], "ciliumnetworkpolicies");
    assert_eq!(cnp["singularName"], "ciliumnetworkpolicy");
    assert_eq!(cnp["kind"], "CiliumNetworkPolicy");
    assert_eq!(cnp["namespaced"], true);
    assert!(
        cnp["verbs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v == "watch")
    );
}

#[test]
fn aggregated_discovery_is_served_with_its_media_type_and_etag() {
    let server = start();
    let response = get(&server, "/apis")
        .header("Accept", AGGREGATED_V2)
        .send()
        .unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    );
    let etag = response.headers()["etag"].to_str().unwrap().to_string();
    let (_, body) = read_json(response);
    assert_eq!(body["kind"], "APIGroupDiscoveryList");
    assert_eq!(body["apiVersion"], "apidiscovery.k8s.io/v2");
    let apps = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["metadata"]["name"] == "apps")
        .unwrap();
    let deployments = apps["versions"][0]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"] == "deployments")
        .unwrap();
    assert_eq!(deployments["responseKind"]["kind"], "Deployment");
    assert_eq!(deployments["scope"], "Namespaced");
    assert_eq!(deployments["singularResource"], "deployment");
    assert_eq!(deployments["shortNames"][0], "deploy");
    assert_eq!(apps["versions"][0]["freshness"], "Current");

    let again = get(&server, "/apis")
        .header("Accept", AGGREGATED_V2)
        .header("If-None-Match", &etag)
        .send()
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);

    let (_, core) = read_json(
        get(&server, "/api")
            .header("Accept", AGGREGATED_V2)
            .send()
            .unwrap(),
    );
    assert_eq!(core["items"].as_array().unwrap().len(), 1);
    assert!(core["items"][0]["metadata"].get("name").is_none());
    assert!(
        core["items"][0]["versions"][0]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["resource"] == "pods" && r["shortNames"][0] == "po")
    );
}

#[test]
fn aggregated_discovery_v2beta1_is_answered_in_v2beta1() {
    let server = start();
    let accept = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
    let response = get(&server, "/apis")
        .header("Accept", accept)
        .send()
        .unwrap();
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("v=v2beta1")
    );
    let (_, body) = read_json(response);
    assert_eq!(body["apiVersion"], "apidiscovery.k8s.io/v2beta1");
}

#[test]
fn server_without_aggregated_discovery_answers_the_legacy_documents() {
    let server = common::builder()
        .aggregated_discovery(false)
        .start()
        .unwrap();
    let response = get(&server, "/apis")
        .header("Accept", AGGREGATED_V2)
        .send()
        .unwrap();
    assert_eq!(response.headers()["content-type"], "application/json");
    let (_, body) = read_json(response);
    assert_eq!(body["kind"], "APIGroupList");
}

#[test]
fn not_served_group_version_is_absent_and_answers_plain_404() {
    let server = common::builder()
        .fault(Fault::NotServed {
            group_version: "policy/v1".into(),
        })
        .start()
        .unwrap();
    let (_, apis) = get_json(&server, "/apis");
    assert!(!group_names(&apis).contains(&"policy".to_string()));
    let (_, aggregated) = read_json(
        get(&server, "/apis")
            .header("Accept", AGGREGATED_V2)
            .send()
            .unwrap(),
    );
    assert!(
        aggregated["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["metadata"]["name"] != "policy")
    );
    for path in [
        "/apis/policy",
        "/apis/policy/v1",
        "/apis/policy/v1/poddisruptionbudgets",
        "/apis/policy/v1/namespaces/shop/poddisruptionbudgets",
    ] {
        let response = get(&server, path).send().unwrap();
        assert_eq!(response.status().as_u16(), 404, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "text/plain; charset=utf-8"
        );
        assert_eq!(response.text().unwrap(), "404 page not found\n");
    }
}

#[test]
fn unknown_resource_in_a_served_group_is_a_not_found_status() {
    let server = start();
    let (status, body) = get_json(&server, "/api/v1/widgets");
    assert_eq!(status, 404);
    assert_eq!(
        assert_status(&body, 404, "NotFound"),
        "the server could not find the requested resource"
    );
    assert_eq!(body["details"], serde_json::json!({}));
    // A subresource is not served either, and an unknown top-level path is Go's plain 404.
    assert_eq!(
        get_json(&server, "/api/v1/namespaces/shop/pods/web-1/log").0,
        404
    );
    assert_eq!(
        get(&server, "/openapi/v2").send().unwrap().text().unwrap(),
        "404 page not found\n"
    );
}

#[test]
fn declared_custom_resource_without_objects_is_discoverable() {
    let server = FakeApiServer::builder()
        .resource(
            kspm_kube_fake::ResourceType::custom("kyverno.io/v1", "ClusterPolicy", false)
                .with_short_names(&["cpol"]),
        )
        .start()
        .unwrap();
    let (_, list) = get_json(&server, "/apis/kyverno.io/v1");
    assert_eq!(list["resources"][0]["name"], "clusterpolicies");
    assert_eq!(list["resources"][0]["namespaced"], false);
    assert_eq!(list["resources"][0]["shortNames"][0], "cpol");
    let (status, empty) = get_json(&server, "/apis/kyverno.io/v1/clusterpolicies");
    assert_eq!(status, 200);
    assert_eq!(empty["kind"], "ClusterPolicyList");
    assert_eq!(empty["items"], serde_json::json!([]));
}
