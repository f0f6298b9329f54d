//! Browser sign-in: token for an HttpOnly SameSite=Strict cookie, writes with that cookie
//! only from our own origin.

mod common;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::*;
use kspm_server::Limits;

/// Signs in with `token` through `GET /login?token=` and returns the `name=value` cookie.
async fn sign_in(app: &App, token: &str) -> String {
    let reply = app
        .get(&format!("/login?token={token}&next=/rules%3Fcluster%3Dc1"))
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    assert_eq!(reply.header("location"), Some("/rules?cluster=c1"));
    let cookie = reply.header("set-cookie").expect("a cookie").to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    cookie.split(';').next().unwrap().to_owned()
}

fn rule_toggle() -> String {
    format!("/api/v1/rules/pod_privileged/clusters/{CLUSTER}/enabled")
}

#[tokio::test]
async fn write_session_can_change_rules_from_our_own_pages_only() {
    let app = App::new();
    let cookie = sign_in(&app, WRITE).await;
    let json = ("content-type", "application/json");
    let body = r#"{"enabled": false}"#;

    let same = app
        .send(
            Method::PUT,
            &rule_toggle(),
            &[json, ("cookie", &cookie), ("sec-fetch-site", "same-origin")],
            body,
        )
        .await;
    assert_eq!(same.status, StatusCode::OK, "{}", same.text());

    let cross = app
        .send(
            Method::PUT,
            &rule_toggle(),
            &[json, ("cookie", &cookie), ("sec-fetch-site", "cross-site")],
            body,
        )
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);

    // Without fetch metadata, Origin must name the Host we serve.
    let origin_ok = app
        .send(
            Method::PUT,
            &rule_toggle(),
            &[
                json,
                ("cookie", &cookie),
                ("host", "kspm.example:8080"),
                ("origin", "https://kspm.example:8080"),
            ],
            body,
        )
        .await;
    assert_eq!(origin_ok.status, StatusCode::OK, "{}", origin_ok.text());
    let origin_bad = app
        .send(
            Method::PUT,
            &rule_toggle(),
            &[
                json,
                ("cookie", &cookie),
                ("host", "kspm.example:8080"),
                ("origin", "https://evil.example"),
            ],
            body,
        )
        .await;
    assert_eq!(origin_bad.status, StatusCode::FORBIDDEN);
    let no_evidence = app
        .send(
            Method::PUT,
            &rule_toggle(),
            &[json, ("cookie", &cookie)],
            body,
        )
        .await;
    assert_eq!(no_evidence.status, StatusCode::FORBIDDEN);

    // A forged cookie is no session.
    let forged = app
        .send(
            Method::PUT,
            &rule_toggle(),
            &[
                json,
                ("cookie", "kspm_session=00ff"),
                ("sec-fetch-site", "same-origin"),
            ],
            body,
        )
        .await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_session_cannot_ingest() {
    let app = App::new();
    let cookie = sign_in(&app, WRITE).await;
    let uri = format!(
        "/api/v1/ingest?cycle={}&batch=0&cluster={CLUSTER}",
        cycle(1)
    );
    let reply = app
        .send(
            Method::POST,
            &uri,
            &[("cookie", &cookie), ("sec-fetch-site", "same-origin")],
            "",
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn read_session_reads_but_cannot_write() {
    let app = App::with(Some(READ), Limits::default());
    let cookie = sign_in(&app, READ).await;
    let read = app
        .send(
            Method::GET,
            "/api/v1/rules",
            &[("cookie", &cookie)],
            Body::empty(),
        )
        .await;
    assert_eq!(read.status, StatusCode::OK);
    let write = app
        .send(
            Method::PUT,
            &rule_toggle(),
            &[
                ("content-type", "application/json"),
                ("cookie", &cookie),
                ("sec-fetch-site", "same-origin"),
            ],
            r#"{"enabled": false}"#,
        )
        .await;
    assert_eq!(write.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn wrong_token_shows_the_form_again_without_a_cookie() {
    let app = App::with(Some(READ), Limits::default());
    let reply = app.get("/login?token=guess").await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(reply.header("set-cookie").is_none());
    assert!(
        reply
            .text()
            .contains("<form method=\"post\" action=\"/login\"")
    );
    // The sign-in page itself needs no token.
    let form = app.get("/login?next=/findings").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains(r#"value="/findings""#));
}

#[tokio::test]
async fn login_form_post_must_come_from_our_origin_and_never_redirects_off_site() {
    let app = App::new();
    let form = ("content-type", "application/x-www-form-urlencoded");
    let body = format!("token={WRITE}&next=%2F%2Fevil.example%2F");
    let cross = app
        .send(
            Method::POST,
            "/login",
            &[form, ("sec-fetch-site", "cross-site")],
            body.clone(),
        )
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    assert!(cross.header("set-cookie").is_none());
    let same = app
        .send(
            Method::POST,
            "/login",
            &[form, ("sec-fetch-site", "same-origin")],
            body,
        )
        .await;
    assert_eq!(same.status, StatusCode::SEE_OTHER);
    assert_eq!(same.header("location"), Some("/"));
    assert!(same.header("set-cookie").is_some());
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = App::with(Some(READ), Limits::default());
    let cookie = sign_in(&app, WRITE).await;
    let out = app
        .send(
            Method::POST,
            "/logout",
            &[("cookie", &cookie), ("sec-fetch-site", "same-origin")],
            Body::empty(),
        )
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    let after = app
        .send(
            Method::GET,
            "/api/v1/rules",
            &[("cookie", &cookie)],
            Body::empty(),
        )
        .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn cookie_is_secure_behind_an_https_proxy() {
    let app = App::new();
    let reply = app
        .send(
            Method::GET,
            &format!("/login?token={WRITE}"),
            &[("x-forwarded-proto", "https")],
            Body::empty(),
        )
        .await;
    assert!(reply.header("set-cookie").unwrap().contains("; Secure"));
}
