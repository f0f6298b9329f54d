//! The pages through the real router (no socket) over a real SQLite store: they render with
//! nothing stored, escape hostile values, and carry the Content-Security-Policy. The browser
//! tests (`tests/browser.rs`) cover behaviour; these run everywhere, browser or not.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use kspm_collect::offline::{LoadOptions, Loaded, load_bytes};
use kspm_engine::{Evaluator, RuleBundle, ScanContext};
use kspm_model::{ClusterInfo, Resource, cluster_id_from_name};
use kspm_store::{CycleStart, Store};
use tower::ServiceExt;

use crate::{AppState, AuthConfig, Limits, router};

const HOSTILE_POD: &str = r#"
apiVersion: v1
kind: Pod
metadata:
  name: "<script>alert(1)</script>"
  namespace: "x\"><b>ns</b>"
  uid: 0b5e3c1e-7a1d-4c57-9d2b-000000000666
  labels:
    app: "<img src=x onerror=alert(2)>"
spec:
  containers:
  - name: "\"><svg onload=alert(3)>"
    image: busybox
    securityContext:
      privileged: true
"#;

struct Page {
    status: StatusCode,
    csp: Option<String>,
    body: String,
}

async fn get(store: &Store, uri: &str) -> Page {
    let state = AppState::new(
        store.clone(),
        AuthConfig {
            write_token: "unit-test-write-token".into(),
            read_token: None,
        },
        Limits::default(),
    );
    let response = router(state)
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let csp = response
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    Page {
        status,
        csp,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

fn empty_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("kspm.db")).unwrap();
    (dir, store)
}

/// A store with one completed cycle of the hostile pod, evaluated by the real engine.
fn hostile_store() -> (tempfile::TempDir, Store) {
    let (dir, store) = empty_store();
    let mut loaded = Loaded::default();
    load_bytes(
        "hostile.yaml",
        HOSTILE_POD.as_bytes(),
        LoadOptions::default(),
        &mut loaded,
    );
    assert_eq!(
        loaded.objects.len(),
        1,
        "{:?}",
        loaded
            .diagnostics
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    );
    let cluster = ClusterInfo {
        id: cluster_id_from_name("c<i>1</i>"),
        name: "c<i>1</i>".into(),
        version: None,
        platform: None,
    };
    let resources: Vec<Resource> = loaded
        .objects
        .into_iter()
        .map(|o| Resource::k8s_object(o.raw.to_value(), cluster.clone()))
        .collect();
    let evaluator = Evaluator::new(RuleBundle::embedded().unwrap()).unwrap();
    let at = 1_788_220_800;
    let ctx = ScanContext::new(cluster.clone(), at);
    let evaluation = evaluator.evaluate(resources, &ctx);
    let findings = evaluation.findings;
    assert!(!findings.is_empty());
    store
        .begin_cycle(&CycleStart {
            cycle_id: "c1".into(),
            cluster,
            scope: kspm_model::Scope::Cluster,
            started_at: at,
        })
        .unwrap();
    store.ingest_batch("c1", 0, &findings).unwrap();
    store.complete_cycle("c1", at + 10).unwrap();
    (dir, store)
}

#[tokio::test]
async fn every_page_renders_over_an_empty_store_with_a_strict_csp() {
    let (_dir, store) = empty_store();
    for uri in [
        "/",
        "/findings",
        "/findings?group=resource",
        "/findings?group=namespace",
        "/rules",
        "/changes",
        "/login",
        "/no-such-page",
    ] {
        let page = get(&store, uri).await;
        if uri != "/no-such-page" {
            assert_eq!(page.status, StatusCode::OK, "{uri}: {}", page.body);
            assert!(page.body.contains("<title>"), "{uri}");
        }
        let csp = page.csp.unwrap_or_default();
        assert!(csp.contains("script-src 'self'"), "{uri}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{uri}: {csp}");
    }
    let login = get(&store, "/login").await.body;
    assert!(
        login.contains("/static/kspm.css"),
        "the sign-in page is styled"
    );
    assert!(!login.contains("<style"), "without inline style");
    assert!(
        get(&store, "/changes")
            .await
            .body
            .contains("No cluster has reported findings yet")
    );
    assert!(
        get(&store, "/")
            .await
            .body
            .contains("No cluster has reported findings yet")
    );
    assert!(
        get(&store, "/findings")
            .await
            .body
            .contains("No findings match")
    );
}

#[tokio::test]
async fn query_errors_render_as_part_of_the_page() {
    let (_dir, store) = empty_store();
    let page = get(&store, "/findings?q=rule.id+%3A+%28a+or").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(r#"id="query-error""#), "{}", page.body);
    let unknown = get(&store, "/findings?q=no.such.field+%3A+1").await;
    assert!(
        unknown.body.contains(r#"id="query-error""#),
        "{}",
        unknown.body
    );
}

#[tokio::test]
async fn unknown_finding_group_and_cluster_are_error_pages() {
    let (_dir, store) = empty_store();
    assert_eq!(
        get(&store, "/findings/nope/flyout").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&store, "/findings?group=colour").await.status,
        StatusCode::BAD_REQUEST
    );
    let missing = get(&store, "/?cluster=nope").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("<h1>404"), "{}", missing.body);
}

#[tokio::test]
async fn hostile_names_labels_and_cluster_names_are_escaped_everywhere() {
    let (_dir, store) = hostile_store();
    let row = store
        .search(&kspm_store::SearchRequest::new("resource.sub_type : Pod"))
        .unwrap()
        .rows
        .remove(0);
    let cluster = cluster_id_from_name("c<i>1</i>");
    let pages = [
        "/".to_owned(),
        format!("/?cluster={cluster}"),
        "/findings".to_owned(),
        "/findings?group=resource".to_owned(),
        "/findings?group=namespace".to_owned(),
        "/findings?group=cluster".to_owned(),
        format!("/findings/{}/flyout", row.id),
        format!("/findings/{}", row.id),
        "/rules".to_owned(),
    ];
    for uri in &pages {
        let page = get(&store, uri).await;
        assert_eq!(page.status, StatusCode::OK, "{uri}");
        for raw in [
            "<script>alert",
            "<img src=x",
            "<svg onload",
            "<i>1</i>",
            "<b>ns",
        ] {
            assert!(!page.body.contains(raw), "{uri} contains raw {raw:?}");
        }
    }
    let findings = get(&store, "/findings?q=resource.sub_type+%3A+Pod")
        .await
        .body;
    let start = findings
        .find("alert(1)")
        .map_or(0, |i| i.saturating_sub(60));
    assert!(
        findings.contains(
            "x&#34;&#62;&#60;b&#62;ns&#60;/b&#62;/&#60;script&#62;alert(1)&#60;/script&#62;"
        ),
        "{}",
        &findings[start..(start + 200).min(findings.len())]
    );
    let flyout = get(&store, &format!("/findings/{}/flyout", row.id))
        .await
        .body;
    assert!(
        flyout.contains("&#60;img src=x onerror=alert(2)&#62;"),
        "labels in raw JSON"
    );
}

#[tokio::test]
async fn static_assets_are_served_with_their_types_and_licences() {
    let (_dir, store) = empty_store();
    for (uri, ty) in [
        ("/static/kspm.css", "text/css"),
        ("/static/kspm.js", "text/javascript"),
        ("/static/vendor/htmx/htmx.min.js", "text/javascript"),
        ("/static/vendor/htmx/LICENSE", "text/plain"),
        ("/static/vendor/uplot/uPlot.iife.min.js", "text/javascript"),
        ("/static/vendor/uplot/LICENSE", "text/plain"),
    ] {
        let state = AppState::new(
            store.clone(),
            AuthConfig {
                write_token: "t".into(),
                read_token: None,
            },
            Limits::default(),
        );
        let response = router(state)
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{uri}");
        let content_type = response.headers()[header::CONTENT_TYPE].to_str().unwrap();
        assert!(content_type.starts_with(ty), "{uri}: {content_type}");
    }
    assert_eq!(
        get(&store, "/static/../Cargo.toml").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn writes_without_the_write_token_are_refused_with_a_page() {
    let (_dir, store) = empty_store();
    let state = AppState::new(
        store.clone(),
        AuthConfig {
            write_token: "t".into(),
            read_token: None,
        },
        Limits::default(),
    );
    let response = router(state)
        .oneshot(
            Request::post("/rules/enabled")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header("sec-fetch-site", "same-origin")
                .body(Body::from("rule_id=r&cluster_id=&enabled=false"))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(store.rule_enabled(None, "r").unwrap());
}

#[tokio::test]
async fn favicon_is_an_icon_not_a_404() {
    let (_dir, store) = empty_store();
    let page = get(&store, "/favicon.ico").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(get(&store, "/").await.body.contains("rel=\"icon\""));
}
