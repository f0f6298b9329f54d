//! Browser sign-in: token for an HttpOnly SameSite=Strict cookie, writes with that cookie
//! only from our own origin.

mod common;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::*;
use kspm_server::Limits;

/// Signs in with `token` through the form (`POST /login` from our own page) and returns the
/// `name=value` cookie.
async fn sign_in(app: &App, token: &str) -> String {
    let reply = post_login(app, token, "/rules%3Fcluster%3Dc1", &[]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    assert_eq!(reply.header("location"), Some("/rules?cluster=c1"));
    let cookie = reply.header("set-cookie").expect("a cookie").to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    cookie.split(';').next().unwrap().to_owned()
}

async fn post_login(app: &App, token: &str, next: &str, extra: &[(&str, &str)]) -> Reply {
    let mut headers = vec![("content-type", "application/x-www-form-urlencoded")];
    if !extra.iter().any(|(name, _)| *name == "sec-fetch-site") {
        headers.push(("sec-fetch-site", "same-origin"));
    }
    headers.extend_from_slice(extra);
    app.send(
        Method::POST,
        "/login",
        &headers,
        format!("token={token}&next={next}"),
    )
    .await
}

fn rule_toggle() -> String {
    format!("/api/v1/rules/pod_privileged/clusters/{CLUSTER}/enabled")
}

#[tokio::test]
async fn write_session_can_change_rules_from_our_own_pages_only() {
    // With a read token, so that any host name is answered (without one, only known names
    // are: see tests/headers.rs).
    let app = App::with(Some(READ), Limits::default());
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
    let reply = post_login(&app, "guess", "/", &[]).await;
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
    let reply = post_login(&app, WRITE, "/", &[("x-forwarded-proto", "https")]).await;
    assert!(reply.header("set-cookie").unwrap().contains("; Secure"));
}

#[tokio::test]
async fn sign_in_redirect_stays_on_this_origin_whatever_next_says() {
    let app = App::new();
    for next in [
        "/%09/other-host/path",
        "/%0D%0ASet-Cookie:%20x=1",
        "%0D%0A",
        "//other-host/path",
        "/%5Cother-host",
        "%5C%5Cother-host",
        "/%5C/other-host",
        "https://other-host/",
        "/%20/other-host",
        "/%E2%80%A8/other-host",
        "/r%C3%A8gles",
        "/findings%3Fq%3Da",
    ] {
        let reply = post_login(&app, WRITE, next, &[]).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "next={next}");
        let location = reply.header("location").expect("a location");
        let bytes = location.as_bytes();
        assert_eq!(bytes[0], b'/', "next={next} → {location}");
        assert!(
            bytes.len() == 1 || !matches!(bytes[1], b'/' | b'\\'),
            "next={next} → {location}"
        );
        assert!(
            !location.contains(['\\', '\t', '\r', '\n', ' ']),
            "next={next} → {location:?}"
        );
    }
    let reply = post_login(&app, WRITE, "/r%C3%A8gles", &[]).await;
    assert_eq!(reply.header("location"), Some("/r%C3%A8gles"));
}

#[tokio::test]
async fn a_sign_in_link_fills_the_form_but_sets_no_cookie() {
    let app = App::new();
    let reply = app.get(&format!("/login?token={WRITE}&next=/rules")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.header("set-cookie").is_none(), "login CSRF");
    let html = reply.text();
    assert!(html.contains(&format!(r#"value="{WRITE}""#)), "{html}");
    assert!(html.contains(r#"<form method="post" action="/login""#));
    // A cross-site link to the form cannot submit it for the user either.
    let cross = post_login(&app, WRITE, "/", &[("sec-fetch-site", "cross-site")]).await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn failed_sign_ins_are_counted_on_metrics() {
    let app = App::new();
    for _ in 0..3 {
        let reply = post_login(&app, "guess", "/", &[]).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
    }
    post_login(&app, WRITE, "/", &[]).await;
    let metrics = app.get("/metrics").await.text();
    assert!(
        metrics.contains("kspm_sign_in_failures_total 3"),
        "{metrics}"
    );
}

#[tokio::test]
async fn ten_thousand_read_sign_ins_do_not_sign_anyone_else_out() {
    let app = App::with(Some(READ), Limits::default());
    let writer = sign_in(&app, WRITE).await;
    let reader = sign_in(&app, READ).await;
    for _ in 0..10_001 {
        let reply = post_login(&app, READ, "/", &[]).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
    }
    for cookie in [&writer, &reader] {
        let still = app
            .send(
                Method::GET,
                "/api/v1/rules",
                &[("cookie", cookie.as_str())],
                Body::empty(),
            )
            .await;
        assert_eq!(still.status, StatusCode::OK, "{cookie}");
    }
}
