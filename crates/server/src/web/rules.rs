//! `GET /rules[?cluster=<id>]`: every rule with its benchmark number and outcome counts,
//! enable/disable per cluster, and exceptions. The forms post to handlers that need write
//! access (the write token, or a write session from `/login`, same origin only).

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kspm_store::{Exception, ExceptionScope, NewException, RuleRow, Status};
use serde::Deserialize;

use super::filters;
use super::query::field_is;
use super::view::{ScoreView, count_link, findings_link, link, parse_day_end, segment, time};
use super::{PageError, ViewerView, blocking, render};
use crate::AppState;
use crate::auth::{Viewer, WriteAccess};
use crate::error::ApiError;

/// Rules per page.
const RULES_PER_PAGE: usize = 25;

/// Query of the rules page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RulesParams {
    #[serde(default)]
    cluster: String,
    /// Words to find in the number, title, id or section.
    #[serde(default)]
    q: String,
    #[serde(default)]
    benchmark: String,
    #[serde(default)]
    section: String,
    /// `failing`, `passing`, `enabled`, `disabled`, `excepted`, or empty for all.
    #[serde(default)]
    status: String,
    /// One-based.
    #[serde(default)]
    page: Option<usize>,
    /// What the last change did (a fixed code, shown as a confirmation).
    #[serde(default)]
    done: String,
    /// The rule the last change was about.
    #[serde(default)]
    rule: String,
}

const STATUSES: &[(&str, &str)] = &[
    ("", "Any status"),
    ("failing", "With failures"),
    ("passing", "Passing"),
    ("enabled", "Enabled"),
    ("disabled", "Disabled"),
    ("excepted", "With exceptions"),
];

#[derive(Template)]
#[template(path = "rules.html", config = "src/web/askama.toml")]
struct RulesPage {
    active: &'static str,
    viewer: ViewerView,
    cluster: String,
    cluster_name: String,
    clusters: Vec<ClusterOption>,
    can_write: bool,
    login_link: String,
    q: String,
    benchmarks: Vec<ClusterOption>,
    sections: Vec<ClusterOption>,
    statuses: Vec<ClusterOption>,
    rules: Vec<RuleView>,
    total_rules: usize,
    matching: usize,
    enabled_count: usize,
    first: usize,
    last: usize,
    prev_link: Option<String>,
    next_link: Option<String>,
    flash: Option<String>,
}

struct ClusterOption {
    id: String,
    name: String,
    selected: bool,
}

struct RuleView {
    rule_id: String,
    anchor: String,
    number: String,
    benchmark: String,
    name: String,
    section: String,
    enabled: bool,
    score: ScoreView,
    findings_link: String,
    failed_link: String,
    exceptions: Vec<ExceptionView>,
}

struct ExceptionView {
    id: i64,
    scope: String,
    cluster: String,
    reason: String,
    expires: String,
    author: String,
    active: bool,
}

/// The confirmation for a change just made (codes are ours; the rule is looked up).
fn flash(done: &str, rule: Option<&RuleRow>, cluster_name: &str) -> Option<String> {
    let rule = rule.map(|r| format!("{} {}", r.rule_number, r.name))?;
    let scope = if cluster_name.is_empty() {
        "every cluster without a setting of its own".to_owned()
    } else {
        cluster_name.to_owned()
    };
    Some(match done {
        "disabled" => {
            format!("Disabled {rule} for {scope}. Its findings leave the score and the lists.")
        }
        "enabled" => format!("Enabled {rule} for {scope}."),
        "exception-added" => format!("Exception added to {rule}."),
        "exception-removed" => format!("Exception removed from {rule}."),
        _ => return None,
    })
}

fn matches(r: &RuleRow, params: &RulesParams, excepted: bool) -> bool {
    let q = params.q.trim().to_lowercase();
    let text_ok = q.is_empty()
        || [&r.rule_number, &r.name, &r.rule_id, &r.section]
            .iter()
            .any(|t| t.to_lowercase().contains(&q));
    let bench_ok = params.benchmark.is_empty() || r.benchmark_id == params.benchmark;
    let section_ok = params.section.is_empty() || r.section == params.section;
    let status_ok = match params.status.as_str() {
        "failing" => r.counts.failed > 0,
        "passing" => r.counts.failed == 0 && r.counts.passed > 0,
        "enabled" => r.enabled,
        "disabled" => !r.enabled,
        "excepted" => excepted,
        _ => true,
    };
    text_ok && bench_ok && section_ok && status_ok
}

/// `GET /rules`.
pub(crate) async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<RulesParams>,
) -> Result<Response, PageError> {
    let cluster = params.cluster.clone();
    let (rules, exceptions, clusters) = blocking(move || {
        let selected = (!cluster.is_empty()).then_some(cluster.as_str());
        let rules = state.store.rules(selected)?;
        let exceptions = state.store.list_exceptions()?;
        let clusters = state.store.clusters()?;
        Ok((rules, exceptions, clusters))
    })
    .await?;
    let names: HashMap<&str, &str> = clusters
        .iter()
        .map(|c| (c.id.as_str(), c.name.as_str()))
        .collect();
    if !params.cluster.is_empty() && !names.contains_key(params.cluster.as_str()) {
        return Err(PageError::not_found(
            "No cluster with that id has findings.",
        ));
    }
    let cluster_name = names
        .get(params.cluster.as_str())
        .map(|n| (*n).to_owned())
        .unwrap_or_default();
    let mut by_rule: HashMap<&str, Vec<ExceptionView>> = HashMap::new();
    for e in &exceptions {
        by_rule
            .entry(e.rule_id.as_str())
            .or_default()
            .push(exception_view(e, &names));
    }
    let flash = flash(
        &params.done,
        rules.iter().find(|r| r.rule_id == params.rule),
        &cluster_name,
    );
    let mut benchmarks: Vec<(String, String)> = rules
        .iter()
        .map(|r| (r.benchmark_id.clone(), r.benchmark_name.clone()))
        .collect();
    benchmarks.sort();
    benchmarks.dedup();
    let mut sections: Vec<String> = rules
        .iter()
        .filter(|r| params.benchmark.is_empty() || r.benchmark_id == params.benchmark)
        .map(|r| r.section.clone())
        .collect();
    sections.sort();
    sections.dedup();
    let total_rules = rules.len();
    let enabled_count = rules.iter().filter(|r| r.enabled).count();
    let matching_rules: Vec<RuleRow> = rules
        .into_iter()
        .filter(|r| matches(r, &params, by_rule.contains_key(r.rule_id.as_str())))
        .collect();
    let matching = matching_rules.len();
    let pages = matching.div_ceil(RULES_PER_PAGE).max(1);
    let page = params.page.unwrap_or(1).clamp(1, pages);
    let cluster_clause =
        (!params.cluster.is_empty()).then(|| field_is("orchestrator.cluster.id", &params.cluster));
    let narrow = |q: String| match &cluster_clause {
        Some(c) => format!("{c} and {q}"),
        None => q,
    };
    let rules: Vec<RuleView> = matching_rules
        .into_iter()
        .skip((page - 1) * RULES_PER_PAGE)
        .take(RULES_PER_PAGE)
        .map(|r| {
            let rule_q = narrow(field_is("rule.id", &r.rule_id));
            RuleView {
                anchor: format!("rule-{}", segment(&r.rule_id)),
                number: r.rule_number,
                benchmark: format!("{} {}", r.benchmark_name, r.benchmark_version)
                    .trim()
                    .to_owned(),
                name: r.name,
                section: r.section,
                enabled: r.enabled,
                score: ScoreView::of(&r.counts),
                findings_link: if r.enabled {
                    findings_link(&rule_q, &[])
                } else {
                    findings_link(&rule_q, &[("disabled", "show")])
                },
                failed_link: count_link(&rule_q, Status::Failed),
                exceptions: by_rule.remove(r.rule_id.as_str()).unwrap_or_default(),
                rule_id: r.rule_id,
            }
        })
        .collect();
    let page_link = |p: usize| {
        let p = p.to_string();
        link(
            "/rules",
            &[
                ("cluster", &params.cluster),
                ("q", &params.q),
                ("benchmark", &params.benchmark),
                ("section", &params.section),
                ("status", &params.status),
                ("page", &p),
            ],
        )
    };
    let back = link("/rules", &[("cluster", &params.cluster)]);
    let first = if matching == 0 {
        0
    } else {
        (page - 1) * RULES_PER_PAGE + 1
    };
    Ok(render(&RulesPage {
        active: "rules",
        viewer: ViewerView::from(viewer),
        clusters: clusters
            .iter()
            .map(|c| ClusterOption {
                id: c.id.clone(),
                name: c.name.clone(),
                selected: c.id == params.cluster,
            })
            .collect(),
        cluster_name,
        can_write: viewer.can_write,
        login_link: link("/login", &[("next", &back)]),
        benchmarks: benchmarks
            .into_iter()
            .map(|(id, name)| ClusterOption {
                selected: id == params.benchmark,
                name: super::dashboard::benchmark_label(&name, &id),
                id,
            })
            .collect(),
        sections: sections
            .into_iter()
            .map(|s| ClusterOption {
                selected: s == params.section,
                name: s.clone(),
                id: s,
            })
            .collect(),
        statuses: STATUSES
            .iter()
            .map(|(id, name)| ClusterOption {
                id: (*id).to_owned(),
                name: (*name).to_owned(),
                selected: *id == params.status,
            })
            .collect(),
        q: params.q.clone(),
        total_rules,
        matching,
        enabled_count,
        first,
        last: first + rules.len().saturating_sub(1),
        prev_link: (page > 1).then(|| page_link(page - 1)),
        next_link: (page < pages).then(|| page_link(page + 1)),
        rules,
        flash,
        cluster: params.cluster,
    }))
}

fn exception_view(e: &Exception, names: &HashMap<&str, &str>) -> ExceptionView {
    let scope = match &e.scope {
        ExceptionScope::Resource(id) => format!("resource {id}"),
        ExceptionScope::Namespace(ns) => format!("namespace {ns}"),
        ExceptionScope::Labels(sel) => format!("labels {sel}"),
    };
    ExceptionView {
        id: e.id,
        scope,
        cluster: match &e.cluster_id {
            Some(id) => names
                .get(id.as_str())
                .map_or(id.clone(), |n| (*n).to_owned()),
            None => "all clusters".into(),
        },
        reason: e.reason.clone(),
        expires: e.expires_at.map(time).unwrap_or_else(|| "never".into()),
        author: e.author.clone(),
        active: e.active,
    }
}

/// Turns a refused write into a page that says how to get access.
fn refused(err: ApiError) -> PageError {
    let message = if err.status() == StatusCode::UNAUTHORIZED {
        "Changing rules and exceptions needs the write token: sign in with it first."
    } else {
        "This change was refused: it needs the write token, from a page of this server."
    };
    PageError::new(StatusCode::FORBIDDEN, message)
}

/// Where to go after a change: the rules page of the same cluster, narrowed to the rule,
/// with a confirmation of what was done.
fn back_to(cluster: &str, rule_id: &str, done: &str) -> Response {
    let target = format!(
        "{}#rule-{}",
        link(
            "/rules",
            &[
                ("cluster", cluster),
                ("q", rule_id),
                ("done", done),
                ("rule", rule_id)
            ]
        ),
        segment(rule_id)
    );
    Redirect::to(&target).into_response()
}

/// Form of `POST /rules/enabled`.
#[derive(Debug, Deserialize)]
pub(crate) struct EnabledForm {
    rule_id: String,
    /// Empty = every cluster.
    #[serde(default)]
    cluster_id: String,
    enabled: String,
}

/// `POST /rules/enabled`: enables or disables a rule for one cluster (or, with an empty
/// `cluster_id`, for every cluster without a setting of its own).
pub(crate) async fn set_enabled(
    State(state): State<AppState>,
    access: Result<WriteAccess, ApiError>,
    Form(form): Form<EnabledForm>,
) -> Result<Response, PageError> {
    let access = access.map_err(refused)?;
    let enabled = match form.enabled.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(PageError::bad_request("enabled must be true or false")),
    };
    let (cluster, rule) = (form.cluster_id.clone(), form.rule_id.clone());
    blocking(move || {
        state.store.set_rule_enabled(
            (!cluster.is_empty()).then_some(cluster.as_str()),
            &rule,
            enabled,
            access.author,
        )?;
        Ok(())
    })
    .await?;
    let done = if enabled { "enabled" } else { "disabled" };
    Ok(back_to(&form.cluster_id, &form.rule_id, done))
}

/// Form of `POST /rules/exceptions`.
#[derive(Debug, Deserialize)]
pub(crate) struct ExceptionForm {
    rule_id: String,
    /// Empty = every cluster.
    #[serde(default)]
    cluster_id: String,
    /// `resource`, `namespace` or `labels`.
    scope_kind: String,
    scope_value: String,
    reason: String,
    /// `YYYY-MM-DD`; empty = never.
    #[serde(default)]
    expires: String,
    /// The cluster the page showed, to return to.
    #[serde(default)]
    back: String,
}

/// `POST /rules/exceptions`: adds an exception.
pub(crate) async fn add_exception(
    State(state): State<AppState>,
    access: Result<WriteAccess, ApiError>,
    Form(form): Form<ExceptionForm>,
) -> Result<Response, PageError> {
    let access = access.map_err(refused)?;
    let value = form.scope_value.trim().to_owned();
    if value.is_empty() {
        return Err(PageError::bad_request(
            "Say which resource, namespace or labels the exception covers.",
        ));
    }
    let scope = match form.scope_kind.as_str() {
        "resource" => ExceptionScope::Resource(value),
        "namespace" => ExceptionScope::Namespace(value),
        "labels" => ExceptionScope::Labels(value),
        other => {
            return Err(PageError::bad_request(format!(
                "unknown exception scope `{other}`"
            )));
        }
    };
    if form.reason.trim().is_empty() {
        return Err(PageError::bad_request(
            "An exception needs a reason: why is this risk accepted?",
        ));
    }
    let expires_at = match form.expires.trim() {
        "" => None,
        day => Some(
            parse_day_end(day)
                .ok_or_else(|| PageError::bad_request("The expiry must be a date (YYYY-MM-DD)."))?,
        ),
    };
    let new = NewException {
        rule_id: form.rule_id.clone(),
        scope,
        cluster_id: (!form.cluster_id.is_empty()).then(|| form.cluster_id.clone()),
        reason: form.reason.trim().to_owned(),
        expires_at,
        author: access.author.to_owned(),
    };
    blocking(move || Ok(state.store.add_exception(&new)?)).await?;
    Ok(back_to(&form.back, &form.rule_id, "exception-added"))
}

/// Form of `POST /rules/exceptions/{id}/remove`.
#[derive(Debug, Deserialize)]
pub(crate) struct RemoveForm {
    #[serde(default)]
    rule_id: String,
    #[serde(default)]
    back: String,
}

/// `POST /rules/exceptions/{id}/remove`: removes an exception.
pub(crate) async fn remove_exception(
    State(state): State<AppState>,
    access: Result<WriteAccess, ApiError>,
    Path(id): Path<i64>,
    Form(form): Form<RemoveForm>,
) -> Result<Response, PageError> {
    access.map_err(refused)?;
    blocking(move || {
        state.store.remove_exception(id)?;
        Ok(())
    })
    .await?;
    Ok(back_to(&form.back, &form.rule_id, "exception-removed"))
}
