//! KQL as Kibana reads it, through the HTTP API, the findings page and the dashboard's
//! section links (real router, real SQLite store).

mod common;

use std::collections::BTreeSet;

use axum::http::StatusCode;
use common::*;
use kspm_store::kql::{self, LitValue, Node};
use serde_json::Value;

const ODD_SECTION: &str = r#"Odd: "quoted" *section* \ (x) not"#;

fn with_benchmark(mut doc: Value, id: &str, name: &str) -> Value {
    doc["rule"]["benchmark"]["id"] = id.into();
    doc["rule"]["benchmark"]["name"] = name.into();
    doc
}

/// API Server findings, a section named `API` on a resource named "server" (what reading
/// `rule.section : API Server` as `rule.section : API and Server` would find), a section with
/// `and` in its name, one full of special characters, and one name used by two benchmarks.
fn findings() -> Vec<Value> {
    vec![
        finding(
            "kube-system",
            "apiserver-a",
            "api_anon",
            "1.2.1",
            "API Server",
            "failed",
        ),
        finding(
            "kube-system",
            "apiserver-a",
            "api_profiling",
            "1.2.15",
            "API Server",
            "failed",
        ),
        finding(
            "kube-system",
            "apiserver-a",
            "api_audit",
            "1.2.16",
            "API Server",
            "passed",
        ),
        finding("web", "server", "api_other", "9.1.1", "API", "failed"),
        finding(
            "web",
            "shop",
            "client_certs",
            "3.1.1",
            "Authentication and Authorization",
            "failed",
        ),
        finding("ops", "backup", "odd_rule", "9.9.9", ODD_SECTION, "failed"),
        finding("ops", "backup", "audit_logs", "3.2.1", "Logging", "failed"),
        with_benchmark(
            finding("ops", "backup", "eks_logging", "2.1.1", "Logging", "failed"),
            "cis_eks",
            "CIS Amazon EKS Benchmark",
        ),
        with_benchmark(
            finding("ops", "cart", "eks_logging", "2.1.1", "Logging", "failed"),
            "cis_eks",
            "CIS Amazon EKS Benchmark",
        ),
    ]
}

fn encode(q: &str) -> String {
    form_urlencoded::byte_serialize(q.as_bytes()).collect()
}

/// Undoes the page's HTML escaping of text and attributes.
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The `q` parameter of a link.
fn query_of(href: &str) -> String {
    let (_, qs) = href.split_once('?').unwrap_or((href, ""));
    form_urlencoded::parse(qs.as_bytes())
        .find(|(k, _)| k == "q")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The text between `start` and the next `end` after each occurrence of `start`.
fn all_between<'a>(html: &'a str, start: &str, end: &str) -> Vec<&'a str> {
    html.split(start)
        .skip(1)
        .filter_map(|rest| rest.split_once(end).map(|(v, _)| v))
        .collect()
}

async fn api_ids(app: &App, q: &str) -> (u64, BTreeSet<String>) {
    let reply = app
        .get(&format!("/api/v1/findings?per_page=1000&q={}", encode(q)))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{q}: {}", reply.text());
    let body = reply.json();
    let ids = body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    (body["total"].as_u64().unwrap(), ids)
}

/// The findings listed on the findings page (their page links) and its result count line.
async fn page_ids(app: &App, q: &str) -> (String, BTreeSet<String>) {
    let reply = app.get(&format!("/findings?q={}", encode(q))).await;
    assert_eq!(reply.status, StatusCode::OK, "{q}");
    let html = reply.text();
    assert!(!html.contains("id=\"query-error\""), "{q}: {html}");
    let count = all_between(&html, "id=\"result-count\"", "</span>")
        .first()
        .map(|s| unescape(s.split_once('>').map_or("", |(_, t)| t)))
        .unwrap_or_default();
    let ids = all_between(&html, "data-open data-finding=\"", "\"")
        .into_iter()
        .map(unescape)
        .collect();
    (count, ids)
}

#[tokio::test]
async fn unquoted_section_finds_what_the_quoted_section_finds_in_the_api_and_the_page() {
    let app = App::new();
    app.ingest_cycle(&cycle(1), &findings()).await;
    for (unquoted, quoted, total) in [
        (
            "rule.section : API Server",
            r#"rule.section : "API Server""#,
            3,
        ),
        (
            "rule.section : API Server and result.evaluation : failed",
            r#"rule.section : "API Server" and result.evaluation : failed"#,
            2,
        ),
        (
            "rule.section : Authentication and Authorization",
            r#"rule.section : "Authentication" and "Authorization""#,
            0,
        ),
        (
            r"rule.section : Authentication \and Authorization",
            r#"rule.section : "Authentication and Authorization""#,
            1,
        ),
    ] {
        let (api_total, api) = api_ids(&app, unquoted).await;
        let (quoted_total, quoted_ids) = api_ids(&app, quoted).await;
        assert_eq!((api_total, &api), (quoted_total, &quoted_ids), "{unquoted}");
        assert_eq!(api_total, total, "{unquoted}");
        let (count, page) = page_ids(&app, unquoted).await;
        assert_eq!(page, api, "{unquoted}: the page lists what the API returns");
        assert_eq!(page_ids(&app, quoted).await.1, page, "{quoted}");
        if total > 0 {
            assert_eq!(
                count,
                format!("1–{total} of {total} findings"),
                "{unquoted}"
            );
        } else {
            assert_eq!(count, "No findings match.", "{unquoted}");
        }
    }
}

#[tokio::test]
async fn a_section_full_of_special_characters_is_found_quoted_or_escaped() {
    let app = App::new();
    app.ingest_cycle(&cycle(2), &findings()).await;
    let quoted = r#"rule.section : "Odd: \"quoted\" *section* \\ (x) not""#;
    assert_eq!(api_ids(&app, quoted).await.0, 1);
    let escaped = r#"rule.section : Odd\: \"quoted\" \*section\* \\ \(x\) "#;
    // `not` at the very end is text; before a space it is a keyword, even after a value.
    assert_eq!(api_ids(&app, &format!("{escaped}not")).await.0, 1);
    let reply = app
        .get(&format!(
            "/api/v1/findings?q={}",
            encode(&format!("{escaped}not and result.evaluation : failed"))
        ))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let err = reply.json();
    assert!(
        err["error"]
            .as_str()
            .unwrap()
            .contains("`not` cannot follow a value"),
        "{err}"
    );
    assert_eq!(err["position"], escaped.chars().count());
    assert_eq!(
        api_ids(&app, &format!("{quoted} and result.evaluation : failed"))
            .await
            .0,
        1
    );
    // `\NOT` is the word as typed (keyword fields are case-sensitive); `\not` is a line feed
    // and `ot`, because `\n` is tried first.
    assert_eq!(api_ids(&app, &format!(r"{escaped}\NOT")).await.0, 0);
    assert_eq!(api_ids(&app, &format!(r"{escaped}\not")).await.0, 0);
    assert_eq!(api_ids(&app, r"rule.section : Odd\:*").await.0, 1);
}

#[tokio::test]
async fn pills_are_the_clauses_the_search_reads() {
    let app = App::new();
    app.ingest_cycle(&cycle(3), &findings()).await;
    let q = "rule.section : API Server and result.evaluation : failed";
    let html = app.get(&format!("/findings?q={}", encode(q))).await.text();
    let pills: Vec<String> = all_between(&html, "<span class=\"pill\" title=\"", " <a")
        .into_iter()
        .map(|p| unescape(p.split_once("\">").unwrap().1))
        .collect();
    assert_eq!(
        pills,
        ["rule.section : API Server", "result.evaluation : failed"]
    );
    // Removing the outcome pill leaves the unquoted section, still one value.
    let remove: Vec<String> = all_between(&html, "<span class=\"pill\" title=", "title=\"Remove")
        .into_iter()
        .map(|p| unescape(p.split("href=\"").nth(1).unwrap().trim_end_matches("\" ")))
        .collect();
    assert_eq!(query_of(&remove[1]), "rule.section : API Server");
    assert_eq!(api_ids(&app, &query_of(&remove[1])).await.0, 3);
}

/// The value of the `rule.section` clause of a link's query, as the parser reads it.
fn section_in(q: &str) -> Option<String> {
    let node = kql::read(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    let Node::And(items) = node else {
        return None;
    };
    items.into_iter().find_map(|item| match item {
        Node::Is {
            field: Some(field),
            value,
        } if field.value == LitValue::Text("rule.section".into()) => match value.value {
            LitValue::Text(s) => Some(s),
            _ => None,
        },
        _ => None,
    })
}

#[tokio::test]
async fn dashboard_section_links_select_what_their_bars_count() {
    let app = App::new();
    app.ingest_cycle(&cycle(4), &findings()).await;
    let html = app.get("/").await.text();
    let rows = all_between(&html, "<a class=\"section-link\" href=\"", "</tr>");
    assert_eq!(rows.len(), 6, "{html}");
    let mut seen = BTreeSet::new();
    for row in rows {
        let (href, rest) = row.split_once("\">").unwrap();
        let href = unescape(href);
        let (label, rest) = rest.split_once("</a>").unwrap();
        let label = unescape(label);
        let failed: u64 = all_between(rest, "<td class=\"num\"><a data-count href=\"", "</a>")[0]
            .split_once("\">")
            .unwrap()
            .1
            .replace(',', "")
            .parse()
            .unwrap();
        let q = query_of(&href);
        assert_eq!(section_in(&q).as_deref(), Some(label.as_str()), "{q}");
        let (total, _) = api_ids(&app, &q).await;
        assert_eq!(total, failed, "{label}: {q}");
        seen.insert(label);
    }
    assert!(seen.contains(ODD_SECTION) && seen.contains("Logging") && seen.contains("API"));
}

#[tokio::test]
async fn a_query_of_500_terms_is_a_400_not_a_500() {
    let app = App::new();
    app.ingest_cycle(&cycle(1), &findings()).await;
    let terms: Vec<String> = (0..500).map(|i| format!("t{i}")).collect();
    let q: String = form_urlencoded::byte_serialize(terms.join(" or ").as_bytes()).collect();
    let reply = app.get(&format!("/api/v1/findings?q={q}")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text());
    assert!(
        reply.json()["error"].as_str().unwrap().contains("terms"),
        "{}",
        reply.text()
    );
    let page = app.get(&format!("/findings?q={q}")).await;
    assert_ne!(page.status, StatusCode::INTERNAL_SERVER_ERROR);
    let long: String = "x".repeat(5000);
    let reply = app.get(&format!("/api/v1/findings?q={long}")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    // 100 terms are still searched.
    let hundred: Vec<String> = (0..100).map(|i| format!("term{i}")).collect();
    let q: String = form_urlencoded::byte_serialize(hundred.join(" or ").as_bytes()).collect();
    assert_eq!(
        app.get(&format!("/api/v1/findings?q={q}")).await.status,
        StatusCode::OK
    );
}
