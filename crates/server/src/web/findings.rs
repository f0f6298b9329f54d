//! `GET /findings`: the findings explorer (KQL search with suggestions, filter pills,
//! grouping, sortable table with numbered pages, export links) and the finding flyout
//! (`/findings/{id}/flyout`, an htmx partial; `?finding=<id>` opens it with the page, and
//! `/findings/{id}` is the same content as a page of its own).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use kspm_store::{GroupBy, GroupRequest, SearchRequest, SortDir, Status, StoredFinding};
use serde::Deserialize;

use super::filters;
use super::markdown;
use super::query::{and_clause, field_is, join_clauses, split_clauses};
use super::view::{ScoreView, findings_link, link, outcome_class, segment, time};
use super::{PageError, ViewerView, blocking, render};
use crate::AppState;
use crate::auth::Viewer;

/// Rows per page unless asked otherwise, and the sizes offered.
const PER_PAGE: u32 = 50;
const PAGE_SIZES: [u32; 4] = [25, 50, 100, 200];
/// Most groups listed.
const GROUP_LIMIT: u32 = 500;
/// The default order: failed first, newest first within each outcome.
const DEFAULT_SORT: &str = "result.evaluation";

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
    #[serde(default)]
    per_page: Option<u32>,
    /// `show` includes the findings of disabled rules.
    #[serde(default)]
    disabled: String,
    /// A finding whose flyout opens with the page.
    #[serde(default)]
    finding: String,
}

impl FindingsParams {
    fn per_page(&self) -> u32 {
        self.per_page
            .filter(|p| PAGE_SIZES.contains(p))
            .unwrap_or(PER_PAGE)
    }

    fn show_disabled(&self) -> bool {
        self.disabled == "show"
    }

    /// The parameters every link of the page keeps (not the page number or the flyout).
    fn keep(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![
            ("group", self.group.clone()),
            ("sort", self.sort.clone()),
            ("dir", self.dir.clone()),
        ];
        if self.per_page() != PER_PAGE {
            out.push(("per_page", self.per_page().to_string()));
        }
        if self.show_disabled() {
            out.push(("disabled", "show".into()));
        }
        out
    }

    /// Link to this page with another query (and extra parameters), keeping the rest.
    fn with_query(&self, q: &str, extra: &[(&'static str, String)]) -> String {
        let mut params = self.keep();
        for (k, v) in extra {
            params.retain(|(pk, _)| pk != k);
            params.push((k, v.clone()));
        }
        let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        findings_link(q, &pairs)
    }

    fn sort(&self) -> (&str, SortDir) {
        if self.sort.is_empty() {
            (DEFAULT_SORT, SortDir::Asc)
        } else if self.dir == "desc" {
            (&self.sort, SortDir::Desc)
        } else {
            (&self.sort, SortDir::Asc)
        }
    }
}

#[derive(Template)]
#[template(path = "findings.html", config = "src/web/askama.toml")]
struct FindingsPage {
    active: &'static str,
    viewer: ViewerView,
    q: String,
    group: String,
    sort: String,
    dir: String,
    per_page: u32,
    disabled: String,
    /// The query fields, as JSON for the suggestions of the search bar.
    fields: String,
    error: Option<QueryErrorView>,
    pills: Vec<Pill>,
    clear_link: String,
    tabs: Vec<Tab>,
    group_label: &'static str,
    by_resource: bool,
    groups: Vec<GroupView>,
    columns: Vec<Column>,
    rows: Vec<RowView>,
    total: u64,
    /// More than `total` match (a bare-text search stops counting there).
    total_at_least: bool,
    first: u64,
    last: u64,
    pages: Vec<PageLink>,
    sizes: Vec<PageLink>,
    hidden: Option<HiddenNote>,
    export_csv: String,
    export_ndjson: String,
    flyout: Option<FlyoutView>,
}

struct HiddenNote {
    findings: u64,
    rules: u64,
    /// Show them, or hide them again.
    link: String,
    shown: bool,
}

pub(crate) struct QueryErrorView {
    message: String,
    query: String,
    /// Spaces up to the error position, then a caret.
    caret: String,
    position: usize,
}

struct Pill {
    /// What the pill says (`cluster: prod` for a cluster id clause).
    text: String,
    /// The clause itself.
    clause: String,
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
    /// `ascending`, `descending` or `none`, for `aria-sort`.
    aria: &'static str,
}

/// A numbered page link (or a gap between them).
struct PageLink {
    label: String,
    link: String,
    current: bool,
    gap: bool,
}

struct GroupView {
    label: String,
    context: String,
    failed: u64,
    passed: u64,
    other: u64,
    excepted: u64,
    link: String,
    /// Groups by resource: where it is, what it is, its score and its page.
    resource: Option<ResourceCells>,
}

struct ResourceCells {
    cluster: String,
    kind: String,
    namespace: String,
    score: ScoreView,
    page: String,
}

struct RowView {
    id: String,
    outcome: &'static str,
    outcome_class: &'static str,
    /// `excepted` or `disabled` beside the outcome, or empty.
    status_tag: &'static str,
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
    /// This page with the finding's flyout open (what the address bar shows while it is).
    open_link: String,
}

/// `GET /findings`.
pub(crate) async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
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
    let (sort_field, sort_dir) = params.sort();
    let sort = Some((sort_field.to_owned(), sort_dir));
    let query = params.q.clone();
    let per_page = params.per_page();
    let include_disabled = params.show_disabled();
    let finding = params.finding.clone();
    let (outcome, hidden, clusters, flyout) = blocking(move || {
        let result = match group {
            Some(by) => state
                .store
                .groups(&GroupRequest {
                    query: query.clone(),
                    by,
                    limit: GROUP_LIMIT,
                })
                .map(Listing::Groups),
            None => state
                .store
                .search(&SearchRequest {
                    query: query.clone(),
                    sort,
                    page: page - 1,
                    per_page,
                    include_resolved: false,
                    include_disabled,
                })
                .map(Listing::Rows),
        };
        let outcome = match result {
            Ok(listing) => Ok(listing),
            Err(kspm_store::Error::Query(e)) => Err(e),
            Err(other) => return Err(PageError::from(other)),
        };
        let hidden = match &outcome {
            Ok(_) => Some(state.store.hidden_by_disabled(&query)?),
            Err(_) => None,
        };
        let clusters = state.store.clusters()?;
        let flyout = if finding.is_empty() {
            None
        } else {
            state.store.finding(&finding)?
        };
        Ok((outcome, hidden, clusters, flyout))
    })
    .await?;
    let mut out = build(&params, group, page, outcome, &clusters);
    out.viewer = ViewerView::from(viewer);
    out.flyout = flyout.map(flyout_view);
    if let Some((findings, rules)) = hidden
        && (findings > 0 || include_disabled)
    {
        out.hidden = Some(HiddenNote {
            findings,
            rules,
            shown: include_disabled,
            link: if include_disabled {
                let mut p = params.keep();
                p.retain(|(k, _)| *k != "disabled");
                let pairs: Vec<(&str, &str)> = p.iter().map(|(k, v)| (*k, v.as_str())).collect();
                findings_link(params.q.trim(), &pairs)
            } else {
                params.with_query(params.q.trim(), &[("disabled", "show".into())])
            },
        });
    }
    Ok(render(&out))
}

enum Listing {
    Rows(kspm_store::SearchPage),
    Groups(Vec<kspm_store::GroupRow>),
}

/// The query fields with their kind and meaning, as JSON for the search bar's suggestions.
fn fields_json() -> String {
    let fields: Vec<serde_json::Value> = kspm_store::kql::FIELDS
        .iter()
        .map(|f| {
            serde_json::json!({
                "name": f.name,
                "kind": f.kind.as_str(),
                "description": f.description,
            })
        })
        .collect();
    serde_json::Value::Array(fields).to_string()
}

/// Page links around the current one: 1 … p-2 p-1 p p+1 p+2 … last.
fn page_links(current: u32, last: u32, link: impl Fn(u32) -> String) -> Vec<PageLink> {
    let mut out = Vec::new();
    let mut previous = 0;
    for p in 1..=last {
        let near = p == 1 || p == last || p.abs_diff(current) <= 2;
        if !near {
            continue;
        }
        if p > previous + 1 {
            out.push(PageLink {
                label: "…".into(),
                link: String::new(),
                current: false,
                gap: true,
            });
        }
        out.push(PageLink {
            label: p.to_string(),
            link: link(p),
            current: p == current,
            gap: false,
        });
        previous = p;
    }
    out
}

fn build(
    params: &FindingsParams,
    group: Option<GroupBy>,
    page: u32,
    outcome: Result<Listing, kspm_store::kql::QueryError>,
    clusters: &[kspm_store::ClusterRow],
) -> FindingsPage {
    let q = params.q.trim();
    let tabs = GROUPS
        .iter()
        .map(|(label, g)| Tab {
            label,
            link: params.with_query(q, &[("group", (*g).to_owned())]),
            active: *g == params.group,
        })
        .collect();
    let (sort_field, sort_dir) = params.sort();
    let columns = COLUMNS
        .iter()
        .map(|(label, field)| {
            let sorted = sort_field == *field;
            let next_dir = if sorted && sort_dir == SortDir::Asc {
                "desc"
            } else {
                "asc"
            };
            Column {
                label,
                link: params.with_query(
                    q,
                    &[("sort", (*field).to_owned()), ("dir", next_dir.to_owned())],
                ),
                arrow: match (sorted, sort_dir) {
                    (false, _) => "",
                    (true, SortDir::Asc) => "▲",
                    (true, SortDir::Desc) => "▼",
                },
                aria: match (sorted, sort_dir) {
                    (false, _) => "none",
                    (true, SortDir::Asc) => "ascending",
                    (true, SortDir::Desc) => "descending",
                },
            }
        })
        .collect();
    let export = |path: &str| {
        link(
            path,
            &[
                ("q", q),
                ("sort", &params.sort),
                ("dir", &params.dir),
                (
                    "include_disabled",
                    if params.show_disabled() { "true" } else { "" },
                ),
            ],
        )
    };
    let mut out = FindingsPage {
        active: "findings",
        viewer: ViewerView::default(),
        q: params.q.clone(),
        group: params.group.clone(),
        sort: params.sort.clone(),
        dir: params.dir.clone(),
        per_page: params.per_page(),
        disabled: if params.show_disabled() {
            "show".into()
        } else {
            String::new()
        },
        fields: fields_json(),
        error: None,
        pills: Vec::new(),
        clear_link: params.with_query("", &[]),
        tabs,
        group_label: GROUPS
            .iter()
            .find(|(_, g)| *g == params.group)
            .map(|(l, _)| *l)
            .unwrap_or("Findings"),
        by_resource: group == Some(GroupBy::Resource),
        groups: Vec::new(),
        columns,
        rows: Vec::new(),
        total: 0,
        total_at_least: false,
        first: 0,
        last: 0,
        pages: Vec::new(),
        sizes: Vec::new(),
        hidden: None,
        export_csv: export("/api/v1/findings/export.csv"),
        export_ndjson: export("/api/v1/findings/export.ndjson"),
        flyout: None,
    };
    let mut resource_names: Vec<(String, String)> = Vec::new();
    match outcome {
        Err(e) => out.error = Some(query_error(&params.q, e)),
        Ok(Listing::Groups(groups)) => {
            out.groups = groups
                .into_iter()
                .map(|g| {
                    let resource = g.resource.as_ref().map(|r| ResourceCells {
                        cluster: r.cluster_name.clone(),
                        kind: r.sub_type.clone(),
                        namespace: r.namespace.clone().unwrap_or_default(),
                        score: ScoreView::of(&g.counts),
                        page: format!(
                            "/resources/{}/{}",
                            segment(&r.cluster_id),
                            segment(g.key.as_deref().unwrap_or_default())
                        ),
                    });
                    GroupView {
                        link: findings_link(&and_clause(q, &g.query), &[]),
                        label: g.label,
                        context: match group {
                            Some(GroupBy::Resource) => String::new(),
                            _ => g.context.unwrap_or_default(),
                        },
                        failed: g.counts.failed,
                        passed: g.counts.passed,
                        other: g.counts.manual + g.counts.error,
                        excepted: g.counts.excepted,
                        resource,
                    }
                })
                .collect();
            out.total = out.groups.len() as u64;
        }
        Ok(Listing::Rows(found)) => {
            let per_page = params.per_page();
            let offset = u64::from(page - 1) * u64::from(per_page);
            out.total = found.total;
            out.total_at_least = found.total_relation == kspm_store::TotalRelation::Gte;
            out.first = if found.rows.is_empty() { 0 } else { offset + 1 };
            out.last = offset + found.rows.len() as u64;
            let last_page = found.total.div_ceil(u64::from(per_page)).max(1) as u32;
            out.pages = page_links(page, last_page, |p| {
                params.with_query(q, &[("page", p.to_string())])
            });
            out.sizes = PAGE_SIZES
                .iter()
                .map(|&size| PageLink {
                    label: size.to_string(),
                    link: params.with_query(q, &[("per_page", size.to_string())]),
                    current: size == per_page,
                    gap: false,
                })
                .collect();
            let page_param = page.to_string();
            out.rows = found
                .rows
                .into_iter()
                .map(|r| {
                    resource_names.push((r.resource_id.clone(), r.resource_name.clone()));
                    let id = segment(&r.id);
                    RowView {
                        open_link: params.with_query(
                            q,
                            &[("page", page_param.clone()), ("finding", r.id.clone())],
                        ),
                        id: r.id.clone(),
                        outcome: r.outcome.as_str(),
                        outcome_class: outcome_class(r.outcome),
                        status_tag: match r.status {
                            Status::Excepted => "excepted",
                            Status::Disabled => "disabled",
                            _ => "",
                        },
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
    if out.error.is_none() {
        out.pills = pills(params, clusters, &resource_names);
    }
    out
}

/// What a clause is about, in words, when it names a cluster or resource by id.
fn pill_text(
    clause: &str,
    clusters: &[kspm_store::ClusterRow],
    resources: &[(String, String)],
) -> String {
    let quoted = |prefix: &str| {
        clause
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('"'))
            .and_then(|rest| rest.strip_suffix('"'))
            .filter(|v| !v.contains(['"', '\\']))
    };
    if let Some(id) = quoted("orchestrator.cluster.id : ")
        && let Some(c) = clusters.iter().find(|c| c.id == id)
    {
        return format!("cluster: {}", c.name);
    }
    if let Some(id) = quoted("resource.id : ") {
        if let Some((_, name)) = resources.iter().find(|(r, _)| r == id) {
            return format!("resource: {name}");
        }
        let short: String = id.chars().take(8).collect();
        return format!("resource: {short}…");
    }
    clause.to_owned()
}

/// One pill per top-level `and` clause, each with a link that drops it; a query with a
/// top-level `or` is one pill.
fn pills(
    params: &FindingsParams,
    clusters: &[kspm_store::ClusterRow],
    resources: &[(String, String)],
) -> Vec<Pill> {
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
                    text: pill_text(&clauses[i], clusters, resources),
                    clause: clauses[i].clone(),
                    remove_link: params.with_query(&join_clauses(&rest), &[]),
                }
            })
            .collect(),
        None => vec![Pill {
            text: q.to_owned(),
            clause: q.to_owned(),
            remove_link: params.with_query("", &[]),
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
    viewer: ViewerView,
    f: FlyoutView,
}

pub(crate) struct FlyoutView {
    id: String,
    outcome: &'static str,
    outcome_class: &'static str,
    status_tag: &'static str,
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
    /// Markdown rendered to safe HTML (see [`markdown::render`]).
    remediation: String,
    description: String,
    rationale: String,
    impact: String,
    default_value: String,
    references: Vec<Reference>,
    resource_json: String,
    raw: String,
    resource_page: String,
    resource_link: String,
    rule_link: String,
    rules_page_link: String,
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

pub(crate) fn flyout_view(found: StoredFinding) -> FlyoutView {
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
    let resource_json = serde_json::to_value(&doc.resource.raw)
        .map(|v| pretty(&v))
        .unwrap_or_default();
    FlyoutView {
        id: row.id.clone(),
        outcome: row.outcome.as_str(),
        outcome_class: outcome_class(row.outcome),
        status_tag: match row.status {
            Status::Excepted => "excepted",
            Status::Disabled => "disabled",
            _ => "",
        },
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
        remediation: markdown::render(&doc.rule.remediation.to_string()),
        description: markdown::render(&doc.rule.description),
        rationale: markdown::render(&doc.rule.rationale),
        impact: markdown::render(&doc.rule.impact),
        default_value: markdown::render(&doc.rule.default_value),
        references,
        resource_json,
        raw: serde_json::to_string_pretty(&doc).unwrap_or_default(),
        resource_page: format!(
            "/resources/{}/{}",
            segment(&row.cluster_id),
            segment(&row.resource_id)
        ),
        resource_link: findings_link(
            &and_clause(
                &field_is("orchestrator.cluster.id", &row.cluster_id),
                &field_is("resource.id", &row.resource_id),
            ),
            &[],
        ),
        rule_link: findings_link(&field_is("rule.id", &row.rule_id), &[]),
        rules_page_link: format!(
            "{}#rule-{}",
            link("/rules", &[("q", &row.rule_id)]),
            segment(&row.rule_id)
        ),
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
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    Ok(render(&FindingPage {
        active: "findings",
        viewer: ViewerView::from(viewer),
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
        let pills = pills(&params, &[], &[]);
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
    fn page_links_show_both_ends_and_the_neighbourhood() {
        let labels = |current, last| -> Vec<String> {
            page_links(current, last, |p| p.to_string())
                .into_iter()
                .map(|l| l.label)
                .collect()
        };
        assert_eq!(labels(1, 1), ["1"]);
        assert_eq!(labels(1, 9), ["1", "2", "3", "…", "9"]);
        assert_eq!(labels(5, 9), ["1", "…", "3", "4", "5", "6", "7", "…", "9"]);
        assert_eq!(labels(9, 9), ["1", "…", "7", "8", "9"]);
    }

    #[test]
    fn cluster_and_resource_pills_say_what_they_name() {
        let clusters = [kspm_store::ClusterRow {
            id: "c-1".into(),
            name: "prod".into(),
            version: None,
            platform: None,
            first_seen: 0,
            last_seen: 0,
        }];
        let resources = [("r-1".to_owned(), "web/api".to_owned())];
        assert_eq!(
            pill_text(r#"orchestrator.cluster.id : "c-1""#, &clusters, &resources),
            "cluster: prod"
        );
        assert_eq!(
            pill_text(r#"resource.id : "r-1""#, &clusters, &resources),
            "resource: web/api"
        );
        assert_eq!(
            pill_text("status : failed", &clusters, &resources),
            "status : failed"
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
