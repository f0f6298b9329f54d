//! Response headers and the Host check that guard the pages.

mod common;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::*;
use kspm_server::{AppState, AuthConfig, Limits, router};
use kspm_store::Store;

#[tokio::test]
async fn answers_are_not_cached_and_never_leak_the_address_to_other_sites() {
    let app = App::new();
    app.ingest_cycle(&cycle(1), &[finding("web", "a", "r", "1.1", "S", "failed")])
        .await;
    for path in [
        "/",
        "/findings",
        "/api/v1/findings",
        "/login",
        "/metrics",
        "/nowhere",
    ] {
        let reply = app.get(path).await;
        assert_eq!(
            reply.header("referrer-policy"),
            Some("same-origin"),
            "{path}"
        );
        assert_eq!(reply.header("cache-control"), Some("no-store"), "{path}");
    }
    let html = app.get("/").await.text();
    let asset = html
        .split("src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a script on the dashboard")
        .to_owned();
    let reply = app.get(&asset).await;
    assert_eq!(reply.status, StatusCode::OK, "{asset}");
    assert_ne!(reply.header("cache-control"), Some("no-store"), "{asset}");
    assert_eq!(reply.header("referrer-policy"), Some("same-origin"));
}

#[tokio::test]
async fn without_a_read_token_only_known_host_names_are_answered() {
    let dir = tempfile::tempdir().unwrap();
    let state = AppState::new(
        Store::open(&dir.path().join("kspm.db")).unwrap(),
        AuthConfig {
            write_token: WRITE.into(),
            read_token: None,
        },
        Limits::default(),
    )
    .with_allowed_hosts(["KSPM.example.org".to_owned()]);
    let app = router(state);
    let get = |host: &'static str, auth: Option<String>| {
        let app = app.clone();
        async move {
            use tower::ServiceExt;
            let mut req = axum::http::Request::builder()
                .method(Method::GET)
                .uri("/api/v1/findings")
                .header("host", host);
            if let Some(auth) = auth {
                req = req.header("authorization", auth);
            }
            app.oneshot(req.body(Body::empty()).unwrap())
                .await
                .unwrap()
                .status()
        }
    };
    for host in [
        "127.0.0.1:8080",
        "[::1]:8080",
        "localhost:8080",
        "kspm.example.org:8080",
    ] {
        assert_eq!(get(host, None).await, StatusCode::OK, "{host}");
    }
    assert_eq!(
        get("rebound.evil.example:8080", None).await,
        StatusCode::FORBIDDEN
    );
    // A bearer token is no ambient credential a rebinding page could use.
    assert_eq!(
        get("rebound.evil.example:8080", Some(format!("Bearer {WRITE}"))).await,
        StatusCode::OK
    );
}
