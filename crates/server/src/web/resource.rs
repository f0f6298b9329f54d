//! `GET /resources/{cluster_id}/{resource_id}`: one resource — its score and findings, the
//! object as collected, and the outcome changes of its findings over the cycles.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use kspm_store::Status;

use super::filters;
use super::query::{and_clause, field_is};
use super::view::{ScoreView, findings_link, outcome_class, segment, time};
use super::{PageError, ViewerView, blocking, render};
use crate::AppState;
use crate::auth::Viewer;

#[derive(Template)]
#[template(path = "resource.html", config = "src/web/askama.toml")]
struct ResourcePage {
    active: &'static str,
    viewer: ViewerView,
    name: String,
    cluster_name: String,
    kind: String,
    resource_type: String,
    namespace: String,
    host: String,
    resource_id: String,
    score: ScoreView,
    findings_link: String,
    findings: Vec<FindingView>,
    facts: String,
    history: Vec<ChangeView>,
}

struct FindingView {
    outcome: &'static str,
    outcome_class: &'static str,
    status_tag: &'static str,
    rule_number: String,
    rule_name: String,
    section: String,
    link: String,
}

struct ChangeView {
    at: String,
    rule_number: String,
    rule_name: String,
    before: &'static str,
    after: &'static str,
    after_class: &'static str,
    link: String,
}

fn outcome_word(o: Option<kspm_model::Outcome>, none: &'static str) -> &'static str {
    o.map(|o| o.as_str()).unwrap_or(none)
}

/// `GET /resources/{cluster_id}/{resource_id}`.
pub(crate) async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((cluster_id, resource_id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (c, r) = (cluster_id.clone(), resource_id.clone());
    let found = blocking(move || Ok(state.store.resource(&c, &r)?))
        .await?
        .ok_or_else(|| PageError::not_found("No resource with that id in that cluster."))?;
    let finding_link = |id: &str| format!("/findings/{}", segment(id));
    Ok(render(&ResourcePage {
        active: "findings",
        viewer: ViewerView::from(viewer),
        findings_link: findings_link(
            &and_clause(
                &field_is("orchestrator.cluster.id", &found.cluster_id),
                &field_is("resource.id", &found.resource_id),
            ),
            &[],
        ),
        findings: found
            .findings
            .iter()
            .map(|f| FindingView {
                outcome: f.outcome.as_str(),
                outcome_class: outcome_class(f.outcome),
                status_tag: match f.status {
                    Status::Excepted => "excepted",
                    Status::Disabled => "disabled",
                    _ => "",
                },
                rule_number: f.rule_number.clone(),
                rule_name: f.rule_name.clone(),
                section: f.section.clone(),
                link: finding_link(&f.id),
            })
            .collect(),
        history: found
            .history
            .iter()
            .map(|h| ChangeView {
                at: time(h.at),
                rule_number: h.rule_number.clone(),
                rule_name: h.rule_name.clone(),
                before: outcome_word(h.before, "not reported"),
                after: outcome_word(h.after, "resolved"),
                after_class: h.after.map(outcome_class).unwrap_or("excepted"),
                link: finding_link(&h.finding_id),
            })
            .collect(),
        facts: serde_json::to_string_pretty(&found.facts).unwrap_or_default(),
        score: ScoreView::of(&found.counts),
        name: found.name,
        cluster_name: found.cluster_name,
        kind: found.sub_type,
        resource_type: found.resource_type,
        namespace: found.namespace.unwrap_or_default(),
        host: found.host.unwrap_or_default(),
        resource_id: found.resource_id,
    }))
}
