//! `GET /findings`: the findings explorer (KQL search, filter pills, grouping, sortable paged
//! table, export links) and the finding flyout (`/findings/{id}/flyout`, an htmx partial; the
//! same content as a whole page at `/findings/{id}`).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use kspm_store::{GroupBy, GroupRequest, SearchRequest, SortDir, StoredFinding};
use serde::Deserialize;

use super::query::{and_clause, field_is, join_clauses, split_clauses};
use super::view::{findings_link, link, outcome_class, segment, time};
use super::{PageError, blocking, render};
use crate::AppState;

/// Rows per page.
const PER_PAGE: u32 = 50;
/// Most groups listed.
const GROUP_LIMIT: u32 = 500;

/// Sortable columns: (heading, KQL field).
const COLUMNS: &[(&str, &str)] = &[
    ("Result", "result.evaluation"),
    ("Rule", "rule.benchmark.rule_number"),
    ("Title", "rule.name"),
    ("Resource", "resource.name"),
    ("Cluster", "orchestrator.cluster.name"),
    ("Namespace", "orchestrator.resource.namespace"),
    ("Section", "rule.section"),
    ("Last seen", "last_seen"),
];

/// Group tabs: (label, `group` value; empty = the table).
const GROUPS: &[(&str, &str)] = &[
    ("Findings", ""),
    ("Resource", "resource"),
    ("Rule", "rule"),
    ("Section", "section"),
    ("Cluster", "cluster"),
    ("Namespace", "namespace"),
];

/// Query of the findings page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct FindingsParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    group: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    dir: String,
    /// One-based.
    #[serde(default)]
    page: Option<u32>,
}

impl FindingsParams {
    /// Link to this page with another query, keeping grouping and sort.
    fn with_query(&self, q: &str) -> String {
        findings_link(
            q,
            &[
                ("group", &self.group),
                ("sort", &self.sort),
                ("dir", &self.dir),
            ],
        )
    }

    fn sort_dir(&self) -> SortDir {
        if self.dir == "desc" {
            SortDir::Desc
        } else {
            SortDir::Asc
        }
    }
}

#[derive(Template)]
#[template(path = "findings.html", config = "src/web/askama.toml")]
struct FindingsPage {
    active: &'static str,
    q: String,
    group: String,
    sort: String,
    dir: String,
    error: Option<QueryErrorView>,
    pills: Vec<Pill>,
    clear_link: String,
    tabs: Vec<Tab>,
    group_label: &'static str,
    groups: Vec<GroupView>,
    columns: Vec<Column>,
    rows: Vec<RowView>,
    total: u64,
    first: u64,
    last: u64,
    prev_link: Option<String>,
    next_link: Option<String>,
    export_csv: String,
    export_ndjson: String,
}

struct QueryErrorView {
    message: String,
    query: String,
    /// Spaces up to the error position, then a caret.
    caret: String,
    position: usize,
}

struct Pill {
    text: String,
    remove_link: String,
}

struct Tab {
    label: &'static str,
    link: String,
    active: bool,
}

struct Column {
    label: &'static str,
    link: String,
    /// `▲`, `▼` or empty.
    arrow: &'static str,
}

struct GroupView {
    label: String,
    context: String,
    failed: u64,
    passed: u64,
    other: u64,
    excepted: u64,
    link: String,
}

struct RowView {
    outcome: &'static str,
    outcome_class: &'static str,
    excepted: bool,
    rule_number: String,
    rule_name: String,
    resource_name: String,
    sub_type: String,
    cluster_name: String,
    namespace: String,
    section: String,
    last_seen: String,
    page_link: String,
    flyout_link: String,
}

/// `GET /findings`.
pub(crate) async fn page(
    State(state): State<AppState>,
    Query(params): Query<FindingsParams>,
) -> Result<Response, PageError> {
    let group = match params.group.as_str() {
        "" => None,
        g => Some(
            GroupBy::parse(g)
                .ok_or_else(|| PageError::bad_request(format!("cannot group by `{g}`")))?,
        ),
    };
    let page = params.page.unwrap_or(1).max(1);
    let sort = (!params.sort.is_empty()).then(|| (params.sort.clone(), params.sort_dir()));
    let query = params.q.clone();
    let outcome = blocking(move || {
        let result = match group {
            Some(by) => state
                .store
                .groups(&GroupRequest {
                    query,
                    by,
                    limit: GROUP_LIMIT,
                })
                .map(Listing::Groups),
            None => state
                .store
                .search(&SearchRequest {
                    query,
                    sort,
                    page: page - 1,
                    per_page: PER_PAGE,
                    include_resolved: false,
                    include_disabled: false,
                })
                .map(Listing::Rows),
        };
        match result {
            Ok(listing) => Ok(Ok(listing)),
            Err(kspm_store::Error::Query(e)) => Ok(Err(e)),
            Err(other) => Err(PageError::from(other)),
        }
    })
    .await?;
    Ok(render(&build(&params, group, page, outcome)))
}

enum Listing {
    Rows(kspm_store::SearchPage),
    Groups(Vec<kspm_store::GroupRow>),
}

fn build(
    params: &FindingsParams,
    group: Option<GroupBy>,
    page: u32,
    outcome: Result<Listing, kspm_store::kql::QueryError>,
) -> FindingsPage {
    let q = params.q.trim();
    let pills = pills(params);
    let tabs = GROUPS
        .iter()
        .map(|(label, g)| Tab {
            label,
            link: findings_link(
                q,
                &[("group", g), ("sort", &params.sort), ("dir", &params.dir)],
            ),
            active: *g == params.group,
        })
        .collect();
    let columns = COLUMNS
        .iter()
        .map(|(label, field)| {
            let sorted = params.sort == *field;
            let next_dir = if sorted && params.sort_dir() == SortDir::Asc {
                "desc"
            } else {
                "asc"
            };
            Column {
                label,
                link: findings_link(q, &[("sort", field), ("dir", next_dir)]),
                arrow: match (sorted, params.sort_dir()) {
                    (false, _) => "",
                    (true, SortDir::Asc) => "▲",
                    (true, SortDir::Desc) => "▼",
                },
            }
        })
        .collect();
    let export = |path: &str| {
        link(
            path,
            &[("q", q), ("sort", &params.sort), ("dir", &params.dir)],
        )
    };
    let mut out = FindingsPage {
        active: "findings",
        q: params.q.clone(),
        group: params.group.clone(),
        sort: params.sort.clone(),
        dir: params.dir.clone(),
        error: None,
        pills,
        clear_link: findings_link("", &[("group", &params.group)]),
        tabs,
        group_label: GROUPS
            .iter()
            .find(|(_, g)| *g == params.group)
            .map(|(l, _)| *l)
            .unwrap_or("Findings"),
        groups: Vec::new(),
        columns,
        rows: Vec::new(),
        total: 0,
        first: 0,
        last: 0,
        prev_link: None,
        next_link: None,
        export_csv: export("/api/v1/findings/export.csv"),
        export_ndjson: export("/api/v1/findings/export.ndjson"),
    };
    match outcome {
        Err(e) => out.error = Some(query_error(&params.q, e)),
        Ok(Listing::Groups(groups)) => {
            out.groups = groups
                .into_iter()
                .map(|g| GroupView {
                    link: findings_link(&and_clause(q, &g.query), &[]),
                    label: g.label,
                    context: match group {
                        Some(GroupBy::Resource) => String::new(),
                        _ => g.context.unwrap_or_default(),
                    },
                    failed: g.tally.failed,
                    passed: g.tally.passed,
                    other: g.tally.manual + g.tally.error,
                    excepted: g.excepted,
                })
                .collect();
            out.total = out.groups.len() as u64;
        }
        Ok(Listing::Rows(found)) => {
            let offset = u64::from(page - 1) * u64::from(PER_PAGE);
            out.total = found.total;
            out.first = if found.rows.is_empty() { 0 } else { offset + 1 };
            out.last = offset + found.rows.len() as u64;
            let page_link = |p: u32| {
                let p = p.to_string();
                findings_link(
                    q,
                    &[("sort", &params.sort), ("dir", &params.dir), ("page", &p)],
                )
            };
            out.prev_link = (page > 1).then(|| page_link(page - 1));
            out.next_link = (out.last < found.total).then(|| page_link(page + 1));
            out.rows = found
                .rows
                .into_iter()
                .map(|r| {
                    let id = segment(&r.id);
                    RowView {
                        outcome: r.outcome.as_str(),
                        outcome_class: outcome_class(r.outcome),
                        excepted: r.excepted(),
                        rule_number: r.rule_number,
                        rule_name: r.rule_name,
                        resource_name: r.resource_name,
                        sub_type: r.resource_sub_type,
                        cluster_name: r.cluster_name,
                        namespace: r.namespace.unwrap_or_default(),
                        section: r.section,
                        last_seen: time(r.last_seen),
                        page_link: format!("/findings/{id}"),
                        flyout_link: format!("/findings/{id}/flyout"),
                    }
                })
                .collect();
        }
    }
    out
}

/// One pill per top-level `and` clause, each with a link that drops it; a query with a
/// top-level `or` is one pill.
fn pills(params: &FindingsParams) -> Vec<Pill> {
    let q = params.q.trim();
    match split_clauses(q) {
        Some(clauses) => (0..clauses.len())
            .map(|i| {
                let rest: Vec<String> = clauses
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, c)| c.clone())
                    .collect();
                Pill {
                    text: clauses[i].clone(),
                    remove_link: params.with_query(&join_clauses(&rest)),
                }
            })
            .collect(),
        None => vec![Pill {
            text: q.to_owned(),
            remove_link: params.with_query(""),
        }],
    }
}

fn query_error(query: &str, e: kspm_store::kql::QueryError) -> QueryErrorView {
    // The store counts characters; the caret goes under the same character.
    let chars = query.chars().count();
    let position = e.position.min(chars);
    QueryErrorView {
        message: e.message,
        query: query.to_owned(),
        caret: format!("{}^", " ".repeat(position)),
        position,
    }
}

#[derive(Template)]
#[template(path = "flyout.html", config = "src/web/askama.toml")]
struct FlyoutPartial {
    f: FlyoutView,
}

#[derive(Template)]
#[template(path = "finding.html", config = "src/web/askama.toml")]
struct FindingPage {
    active: &'static str,
    f: FlyoutView,
}

struct FlyoutView {
    outcome: &'static str,
    outcome_class: &'static str,
    title: String,
    rule_id: String,
    rule_number: String,
    benchmark: String,
    section: String,
    profile: String,
    resource_name: String,
    resource_type: String,
    sub_type: String,
    resource_id: String,
    cluster_name: String,
    namespace: String,
    host: String,
    first_seen: String,
    last_seen: String,
    resolved: String,
    exception: Option<String>,
    disabled: bool,
    error_message: String,
    evidence: String,
    expected: String,
    remediation: String,
    description: String,
    rationale: String,
    impact: String,
    default_value: String,
    references: Vec<Reference>,
    raw: String,
    resource_link: String,
    rule_link: String,
    page_link: String,
}

struct Reference {
    text: String,
    /// Only http(s) references become links.
    href: Option<String>,
}

fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

fn flyout_view(found: StoredFinding) -> FlyoutView {
    let StoredFinding {
        row,
        document: doc,
        exception,
    } = found;
    let bench = &doc.rule.benchmark;
    let references = doc
        .rule
        .references
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| Reference {
            text: l.to_owned(),
            href: (l.starts_with("https://") || l.starts_with("http://")).then(|| l.to_owned()),
        })
        .collect();
    FlyoutView {
        outcome: row.outcome.as_str(),
        outcome_class: outcome_class(row.outcome),
        title: row.rule_name.clone(),
        rule_id: row.rule_id.clone(),
        rule_number: row.rule_number.clone(),
        benchmark: format!("{} {}", bench.name, bench.version)
            .trim()
            .to_owned(),
        section: row.section.clone(),
        profile: doc.rule.profile_applicability.to_string(),
        resource_name: row.resource_name.clone(),
        resource_type: row.resource_type.clone(),
        sub_type: row.resource_sub_type.clone(),
        resource_id: row.resource_id.clone(),
        cluster_name: row.cluster_name.clone(),
        namespace: row.namespace.clone().unwrap_or_default(),
        host: row.host.clone().unwrap_or_default(),
        first_seen: time(row.first_seen),
        last_seen: time(row.last_seen),
        resolved: row.resolved_at.map(time).unwrap_or_default(),
        exception: exception.map(|e| {
            let until = e
                .expires_at
                .map(|t| format!(" until {}", time(t)))
                .unwrap_or_default();
            format!("Excepted by {}{until}: {}", e.author, e.reason)
        }),
        disabled: row.disabled,
        error_message: doc
            .error
            .as_ref()
            .map(|e| e.message.clone())
            .unwrap_or_default(),
        evidence: pretty(&doc.result.evidence.to_value()),
        expected: pretty(&doc.result.expected.to_value()),
        remediation: doc.rule.remediation.to_string(),
        description: doc.rule.description.to_string(),
        rationale: doc.rule.rationale.to_string(),
        impact: doc.rule.impact.to_string(),
        default_value: doc.rule.default_value.to_string(),
        references,
        raw: serde_json::to_string_pretty(&doc).unwrap_or_default(),
        resource_link: findings_link(
            &and_clause(
                &field_is("orchestrator.cluster.id", &row.cluster_id),
                &field_is("resource.id", &row.resource_id),
            ),
            &[],
        ),
        rule_link: findings_link(&field_is("rule.id", &row.rule_id), &[]),
        page_link: format!("/findings/{}", segment(&row.id)),
    }
}

async fn load(state: AppState, id: String) -> Result<FlyoutView, PageError> {
    let found = blocking(move || Ok(state.store.finding(&id)?)).await?;
    found
        .map(flyout_view)
        .ok_or_else(|| PageError::not_found("No finding with that id (it may have been resolved)."))
}

/// `GET /findings/{id}/flyout`: the flyout partial for htmx.
pub(crate) async fn flyout(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    Ok(render(&FlyoutPartial {
        f: load(state, id).await?,
    }))
}

/// `GET /findings/{id}`: the same content as a page of its own (links work without script).
pub(crate) async fn finding_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    Ok(render(&FindingPage {
        active: "findings",
        f: load(state, id).await?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pills_drop_one_clause_each_and_keep_grouping() {
        let params = FindingsParams {
            q: r#"rule.section : "API Server" and result.evaluation : failed"#.into(),
            group: "resource".into(),
            ..FindingsParams::default()
        };
        let pills = pills(&params);
        assert_eq!(pills.len(), 2);
        assert_eq!(pills[0].text, r#"rule.section : "API Server""#);
        assert_eq!(
            pills[0].remove_link,
            "/findings?q=result.evaluation+%3A+failed&group=resource"
        );
        assert_eq!(
            pills[1].remove_link,
            "/findings?q=rule.section+%3A+%22API+Server%22&group=resource"
        );
    }

    #[test]
    fn query_error_caret_sits_under_the_position() {
        let e = kspm_store::kql::QueryError {
            position: 4,
            message: "expected a value".into(),
        };
        let v = query_error("a : (", e);
        assert_eq!(v.caret, "    ^");
        let far = kspm_store::kql::QueryError {
            position: 99,
            message: "x".into(),
        };
        assert_eq!(query_error("ab", far).caret, "  ^");
    }
}
