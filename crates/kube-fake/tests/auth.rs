//! Bearer-token authentication, the kubeconfig, and the request log.

mod common;

use common::{assert_status, client, get, read_json, start};

#[test]
fn missing_or_wrong_token_is_unauthorized_on_every_path() {
    let server = start();
    for path in [
        "/version",
        "/api",
        "/api/v1/pods",
        "/apis/apps/v1/deployments",
    ] {
        let url = format!("{}{path}", server.url());
        let (status, body) = read_json(client(&server).get(&url).send().unwrap());
        assert_eq!(status, 401, "{path}");
        assert_eq!(assert_status(&body, 401, "Unauthorized"), "Unauthorized");
        let (status, _) = read_json(
            client(&server)
                .get(&url)
                .bearer_auth("wrong")
                .send()
                .unwrap(),
        );
        assert_eq!(status, 401, "{path}");
    }
    let status = get(&server, "/version").send().unwrap().status();
    assert_eq!(status.as_u16(), 200);
}

#[test]
fn kubeconfig_points_at_the_server_with_its_token_and_ca() {
    let server = start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    server.write_kubeconfig(&path, "fake-cluster").unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(&format!("server: \"{}\"", server.url())));
    assert!(server.url().starts_with("https://127.0.0.1:"));
    assert!(text.contains(&format!("token: \"{}\"", server.token())));
    assert!(text.contains("certificate-authority-data: "));
    assert!(text.contains("current-context: \"fake-cluster\""));
}

#[test]
fn plain_http_server_serves_without_tls() {
    let server = common::builder().plain_http().start().unwrap();
    assert!(server.url().starts_with("http://"));
    assert!(server.ca_pem().is_none());
    assert!(
        !server
            .kubeconfig("x")
            .contains("certificate-authority-data")
    );
    assert_eq!(
        get(&server, "/version").send().unwrap().status().as_u16(),
        200
    );
}

#[test]
fn request_log_records_method_path_query_and_status() {
    let server = start();
    get(
        &server,
        "/api/v1/namespaces/shop/pods?limit=2&labelSelector=app%3Dweb",
    )
    .header("Accept", "application/json")
    .send()
    .unwrap();
    get(&server, "/api/v1/namespaces/shop/pods/missing")
        .send()
        .unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].path, "/api/v1/namespaces/shop/pods");
    assert_eq!(
        requests[0].param("labelSelector").as_deref(),
        Some("app=web")
    );
    assert_eq!(requests[0].param("limit").as_deref(), Some("2"));
    assert_eq!(requests[0].accept.as_deref(), Some("application/json"));
    assert_eq!(requests[0].status, 200);
    assert_eq!(requests[1].status, 404);
    assert!(requests.iter().all(|r| !r.path.contains("/secrets")));
    server.clear_requests();
    assert!(server.requests().is_empty());
}
