//! LIST and GET: list shape, paging, consistency, selectors, option validation,
//! representations.

mod common;

use common::{assert_status, get, get_json, names, pod, read_json, start};
use serde_json::json;

#[test]
fn cluster_wide_list_has_the_list_kind_and_items_without_type_meta() {
    let server = start();
    let (status, list) = get_json(&server, "/api/v1/pods");
    assert_eq!(status, 200);
    assert_eq!(list["kind"], "PodList");
    assert_eq!(list["apiVersion"], "v1");
    assert_eq!(
        list["metadata"]["resourceVersion"],
        server.resource_version().to_string()
    );
    assert!(list["metadata"].get("continue").is_none());
    assert_eq!(
        names(&list),
        [
            "debug",
            "coredns-1",
            "coredns-2",
            "etcd-cp-1",
            "db-0",
            "web-1",
            "web-2"
        ]
    );
    for item in list["items"].as_array().unwrap() {
        assert!(item.get("kind").is_none() && item.get("apiVersion").is_none());
        assert!(
            item["metadata"]["uid"]
                .as_str()
                .is_some_and(|u| u.len() == 36)
        );
        assert!(item["metadata"]["resourceVersion"].is_string());
        assert!(item["metadata"]["creationTimestamp"].is_string());
    }
    let (_, deployments) = get_json(&server, "/apis/apps/v1/deployments");
    assert_eq!(deployments["kind"], "DeploymentList");
    assert_eq!(deployments["apiVersion"], "apps/v1");
}

#[test]
fn namespaced_list_holds_only_that_namespace() {
    let server = start();
    let (_, list) = get_json(&server, "/api/v1/namespaces/shop/pods");
    assert_eq!(names(&list), ["db-0", "web-1", "web-2"]);
    let (status, empty) = get_json(&server, "/api/v1/namespaces/nowhere/pods");
    assert_eq!(status, 200);
    assert_eq!(empty["items"], json!([]));
}

#[test]
fn custom_resource_list_items_keep_kind_and_api_version() {
    let server = start();
    let (_, list) = get_json(
        &server,
        "/apis/cilium.io/v2/namespaces/shop/ciliumnetworkpolicies",
    );
    assert_eq!(list["kind"], "CiliumNetworkPolicyList");
    assert_eq!(list["items"][0]["kind"], "CiliumNetworkPolicy");
    assert_eq!(list["items"][0]["apiVersion"], "cilium.io/v2");
}

#[test]
fn get_returns_the_object_with_its_type_meta() {
    let server = start();
    let (status, namespace) = get_json(&server, "/api/v1/namespaces/kube-system");
    assert_eq!(status, 200);
    assert_eq!(namespace["kind"], "Namespace");
    assert_eq!(namespace["apiVersion"], "v1");
    assert_eq!(namespace["metadata"]["name"], "kube-system");
    let (_, deployment) = get_json(&server, "/apis/apps/v1/namespaces/shop/deployments/web");
    assert_eq!(deployment["spec"]["replicas"], 2);
}

#[test]
fn get_of_a_missing_object_is_a_not_found_status() {
    let server = start();
    let (status, body) = get_json(&server, "/apis/apps/v1/namespaces/shop/deployments/api");
    assert_eq!(status, 404);
    assert_eq!(
        assert_status(&body, 404, "NotFound"),
        "deployments.apps \"api\" not found"
    );
    assert_eq!(
        body["details"],
        json!({"name": "api", "group": "apps", "kind": "deployments"})
    );
    // A namespaced object asked for without its namespace does not exist as a path.
    let (status, body) = get_json(&server, "/api/v1/pods/web-1");
    assert_eq!(status, 404);
    assert_eq!(
        body["message"],
        "the server could not find the requested resource"
    );
}

#[test]
fn paging_walks_every_item_once_with_remaining_counts() {
    let server = start();
    let mut seen = Vec::new();
    let mut path = "/api/v1/pods?limit=3".to_string();
    let mut remaining = Vec::new();
    let mut versions = Vec::new();
    loop {
        let (status, page) = get_json(&server, &path);
        assert_eq!(status, 200, "{page}");
        assert!(page["items"].as_array().unwrap().len() <= 3);
        seen.extend(names(&page));
        versions.push(page["metadata"]["resourceVersion"].clone());
        match page["metadata"]["continue"].as_str() {
            Some(token) => {
                remaining.push(page["metadata"]["remainingItemCount"].as_u64().unwrap());
                path = format!("/api/v1/pods?limit=3&continue={token}");
            }
            None => {
                assert!(page["metadata"].get("remainingItemCount").is_none());
                break;
            }
        }
    }
    assert_eq!(seen.len(), 7);
    assert_eq!(remaining, [4, 1]);
    assert!(versions.iter().all(|v| *v == versions[0]));
}

#[test]
fn page_limit_max_caps_the_page_size() {
    let server = common::builder().page_limit_max(2).start().unwrap();
    let (_, page) = get_json(&server, "/api/v1/pods?limit=500");
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["metadata"]["remainingItemCount"], 5);
    // Without a limit the server does not page.
    let (_, all) = get_json(&server, "/api/v1/pods");
    assert_eq!(all["items"].as_array().unwrap().len(), 7);
}

#[test]
fn continued_list_reads_the_snapshot_of_its_first_page() {
    let server = start();
    let (_, first) = get_json(&server, "/api/v1/namespaces/shop/pods?limit=1");
    assert_eq!(names(&first), ["db-0"]);
    let token = first["metadata"]["continue"].as_str().unwrap().to_string();
    server.delete("Pod", "shop", "web-2").unwrap();
    let mut changed = pod("shop", "web-1", "web", "cp-1");
    changed["spec"]["nodeName"] = json!("worker-9");
    server.apply(changed).unwrap();
    server.apply(pod("shop", "web-3", "web", "cp-1")).unwrap();

    let (_, rest) = get_json(
        &server,
        &format!("/api/v1/namespaces/shop/pods?continue={token}"),
    );
    assert_eq!(names(&rest), ["web-1", "web-2"]);
    assert_eq!(rest["items"][0]["spec"]["nodeName"], "cp-1");
    assert_eq!(
        rest["metadata"]["resourceVersion"],
        first["metadata"]["resourceVersion"]
    );

    let (_, now) = get_json(&server, "/api/v1/namespaces/shop/pods");
    assert_eq!(names(&now), ["db-0", "web-1", "web-3"]);
    assert_eq!(now["items"][1]["spec"]["nodeName"], "worker-9");
}

#[test]
fn continue_after_compaction_is_gone_with_an_inconsistent_token_that_works() {
    let server = start();
    let (_, first) = get_json(&server, "/api/v1/pods?limit=2");
    let token = first["metadata"]["continue"].as_str().unwrap().to_string();
    server.apply(pod("zzz", "late", "late", "cp-1")).unwrap();
    server.compact();
    let (status, gone) = get_json(&server, &format!("/api/v1/pods?limit=2&continue={token}"));
    assert_eq!(status, 410);
    let message = assert_status(&gone, 410, "Expired");
    assert!(
        message.starts_with("The provided continue parameter is too old"),
        "{message}"
    );
    let inconsistent = gone["metadata"]["continue"].as_str().unwrap().to_string();
    let mut rest = Vec::new();
    let mut path = format!("/api/v1/pods?limit=2&continue={inconsistent}");
    loop {
        let (status, page) = get_json(&server, &path);
        assert_eq!(status, 200, "{page}");
        rest.extend(names(&page));
        match page["metadata"]["continue"].as_str() {
            Some(next) => path = format!("/api/v1/pods?limit=2&continue={next}"),
            None => break,
        }
    }
    // The rest of the list as it is now, including what was created meanwhile.
    assert_eq!(
        rest,
        ["coredns-2", "etcd-cp-1", "db-0", "web-1", "web-2", "late"]
    );
}

#[test]
fn garbage_continue_token_is_a_bad_request() {
    let server = start();
    let (status, body) = get_json(&server, "/api/v1/pods?continue=bm90LWEtdG9rZW4");
    assert_eq!(status, 400);
    assert!(assert_status(&body, 400, "BadRequest").starts_with("invalid continue token"));
    let (_, first) = get_json(&server, "/api/v1/pods?limit=2");
    let token = first["metadata"]["continue"].as_str().unwrap();
    let (status, body) = get_json(
        &server,
        &format!("/api/v1/pods?continue={token}&resourceVersion=5"),
    );
    assert_eq!(status, 400);
    assert_eq!(
        body["message"],
        "specifying resource version is not allowed when using continue"
    );
}

#[test]
fn exact_resource_version_lists_the_past_until_compaction() {
    let server = start();
    let before = server.resource_version();
    server.delete("Pod", "default", "debug").unwrap();
    let (_, then) = get_json(
        &server,
        &format!(
            "/api/v1/namespaces/default/pods?resourceVersion={before}&resourceVersionMatch=Exact"
        ),
    );
    assert_eq!(names(&then), ["debug"]);
    assert_eq!(then["metadata"]["resourceVersion"], before.to_string());
    let (_, now) = get_json(
        &server,
        &format!(
            "/api/v1/namespaces/default/pods?resourceVersion={before}&resourceVersionMatch=NotOlderThan"
        ),
    );
    assert!(names(&now).is_empty());
    server.compact();
    let (status, gone) = get_json(
        &server,
        &format!("/api/v1/pods?resourceVersion={before}&resourceVersionMatch=Exact"),
    );
    assert_eq!(status, 410);
    assert_eq!(
        assert_status(&gone, 410, "Expired"),
        "The resourceVersion for the provided list is too old."
    );
}

#[test]
fn future_resource_version_is_a_timeout() {
    let server = start();
    let future = server.resource_version() + 100;
    let (status, body) = get_json(
        &server,
        &format!("/api/v1/pods?resourceVersion={future}&resourceVersionMatch=NotOlderThan"),
    );
    assert_eq!(status, 504);
    assert!(
        assert_status(&body, 504, "Timeout").starts_with("Timeout: Too large resource version")
    );
}

#[test]
fn resource_version_match_without_a_version_is_invalid() {
    let server = start();
    let (status, body) = get_json(&server, "/api/v1/pods?resourceVersionMatch=Exact");
    assert_eq!(status, 422);
    assert_eq!(
        assert_status(&body, 422, "Invalid"),
        "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: \
         resourceVersionMatch is forbidden unless resourceVersion is provided"
    );
    assert_eq!(
        body["details"]["causes"][0]["field"],
        "resourceVersionMatch"
    );
    let (status, _) = get_json(
        &server,
        "/api/v1/pods?resourceVersion=0&resourceVersionMatch=Sometimes",
    );
    assert_eq!(status, 422);
}

#[test]
fn label_selector_filters_and_hides_the_remaining_count() {
    let server = start();
    let (_, web) = get_json(&server, "/api/v1/pods?labelSelector=app%3Dweb");
    assert_eq!(names(&web), ["web-1", "web-2"]);
    let (_, set) = get_json(&server, "/api/v1/pods?labelSelector=app%20in%20(db,etcd)");
    assert_eq!(names(&set), ["etcd-cp-1", "db-0"]);
    let (_, not_core) = get_json(
        &server,
        "/api/v1/pods?labelSelector=app!%3Dcoredns,app!%3Dweb",
    );
    assert_eq!(names(&not_core), ["debug", "etcd-cp-1", "db-0"]);
    let (_, page) = get_json(&server, "/api/v1/pods?labelSelector=app%3Dcoredns&limit=1");
    assert_eq!(names(&page), ["coredns-1"]);
    assert!(page["metadata"]["continue"].is_string());
    assert!(page["metadata"].get("remainingItemCount").is_none());
    let (status, body) = get_json(&server, "/api/v1/pods?labelSelector=app%3D%3D%3D");
    assert_eq!(status, 400);
    assert!(assert_status(&body, 400, "BadRequest").contains("unable to parse requirement"));
}

#[test]
fn field_selector_matches_name_namespace_and_indexed_fields() {
    let server = start();
    let (_, by_name) = get_json(&server, "/api/v1/pods?fieldSelector=metadata.name%3Dweb-2");
    assert_eq!(names(&by_name), ["web-2"]);
    let (_, by_namespace) = get_json(
        &server,
        "/api/v1/pods?fieldSelector=metadata.namespace%3Dkube-system",
    );
    assert_eq!(by_namespace["items"].as_array().unwrap().len(), 3);
    let (_, not_running) = get_json(
        &server,
        "/api/v1/pods?fieldSelector=status.phase!%3DRunning",
    );
    assert!(names(&not_running).is_empty());
    let (_, on_node) = get_json(
        &server,
        "/api/v1/pods?fieldSelector=spec.nodeName%3Dcp-1,metadata.name%3Ddebug",
    );
    assert_eq!(names(&on_node), ["debug"]);
    let (status, body) = get_json(
        &server,
        "/apis/apps/v1/deployments?fieldSelector=spec.replicas%3D2",
    );
    assert_eq!(status, 400);
    assert_eq!(
        assert_status(&body, 400, "BadRequest"),
        "field label not supported: spec.replicas"
    );
}

#[test]
fn kubectl_table_is_served_when_asked_for() {
    let server = start();
    let accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
    let response = get(&server, "/api/v1/namespaces/shop/pods?limit=2")
        .header("Accept", accept)
        .send()
        .unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "application/json;as=Table;v=v1;g=meta.k8s.io"
    );
    let (_, table) = read_json(response);
    assert_eq!(table["kind"], "Table");
    assert_eq!(table["apiVersion"], "meta.k8s.io/v1");
    let columns: Vec<&str> = table["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        &columns[..5],
        ["Name", "Ready", "Status", "Restarts", "Age"]
    );
    assert_eq!(table["rows"][0]["cells"][0], "db-0");
    assert_eq!(table["rows"][0]["cells"][1], "1/1");
    assert_eq!(table["rows"][0]["object"]["kind"], "PartialObjectMetadata");
    assert!(table["metadata"]["continue"].is_string());
}

#[test]
fn metadata_only_list_is_served_as_partial_object_metadata() {
    let server = start();
    let accept = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
    let (_, list) = read_json(
        get(&server, "/api/v1/secrets")
            .header("Accept", accept)
            .send()
            .unwrap(),
    );
    assert_eq!(list["kind"], "PartialObjectMetadataList");
    assert_eq!(list["items"][0]["kind"], "PartialObjectMetadata");
    assert_eq!(list["items"][0]["metadata"]["name"], "db");
    assert!(list["items"][0].get("data").is_none());
}

#[test]
fn protobuf_only_accept_is_not_acceptable() {
    let server = start();
    let (status, body) = read_json(
        get(&server, "/api/v1/pods")
            .header("Accept", "application/vnd.kubernetes.protobuf")
            .send()
            .unwrap(),
    );
    assert_eq!(status, 406);
    assert_status(&body, 406, "NotAcceptable");
}

#[test]
fn kind_list_is_unwrapped_when_loading() {
    let list = json!({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "x"}, "data": {"k": "v"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}}
    ]});
    let server = kspm_kube_fake::FakeApiServer::builder()
        .objects([list])
        .start()
        .unwrap();
    let (_, all) = get_json(&server, "/api/v1/configmaps");
    assert_eq!(names(&all), ["b", "a"]);
    assert_eq!(all["items"][0]["metadata"]["namespace"], "default");
}
