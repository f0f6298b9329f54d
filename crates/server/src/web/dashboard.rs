//! `GET /[?cluster=<id>]`: the posture dashboard.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use kspm_store::{Counts, Dashboard, Status, TrendPoint, TrendSeries};
use serde::Deserialize;

use super::filters;
use super::query::{and_clause, field_is};
use super::view::{ScoreView, count_link, findings_link, link, status_query, time};
use super::{PageError, ViewerView, blocking, render};
use crate::AppState;
use crate::auth::Viewer;

/// Query of the dashboard.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct DashboardParams {
    /// Show one cluster only.
    #[serde(default)]
    cluster: Option<String>,
}

#[derive(Template)]
#[template(path = "dashboard.html", config = "src/web/askama.toml")]
struct DashboardPage {
    active: &'static str,
    viewer: ViewerView,
    /// Name of the selected cluster, when one is.
    cluster_name: Option<String>,
    overall: ScoreView,
    /// (label, count, link) per status, in the order of [`Status::ALL`].
    counts: Vec<CountView>,
    clusters_evaluated: u64,
    resources_evaluated: u64,
    clusters: Vec<ClusterView>,
    benchmarks: Vec<BenchmarkView>,
    /// Failed sections, per benchmark.
    section_groups: Vec<SectionGroup>,
    /// JSON for the trend chart (`{"x": [...], "series": [{"label", "values", "failed", "passed"}]}`).
    trend: String,
    /// Points (rounds of cycles) in the trend.
    trend_points: usize,
    changes_link: Option<String>,
    all_failed_link: String,
    all_findings_link: String,
}

pub(crate) struct CountView {
    pub(crate) label: &'static str,
    pub(crate) id: &'static str,
    pub(crate) count: u64,
    pub(crate) link: String,
}

/// One link per status count over `query`.
pub(crate) fn count_views(query: &str, counts: &Counts) -> Vec<CountView> {
    Status::ALL
        .iter()
        .map(|&s| CountView {
            label: match s {
                Status::Failed => "Failed",
                Status::Error => "Errors",
                Status::Manual => "Manual",
                Status::Passed => "Passed",
                Status::Excepted => "Excepted",
                Status::Disabled => "Disabled rules",
            },
            id: s.as_str(),
            count: counts.get(s),
            link: count_link(query, s),
        })
        .collect()
}

struct ClusterView {
    name: String,
    version: String,
    last_cycle: String,
    resources: u64,
    score: ScoreView,
    dashboard_link: String,
    failed_link: String,
    changes_link: String,
}

struct BenchmarkView {
    name: String,
    score: ScoreView,
    passed_link: String,
    failed_link: String,
}

struct SectionGroup {
    benchmark: String,
    sections: Vec<SectionView>,
}

struct SectionView {
    section: String,
    failed: u64,
    /// Bar length in percent of the most failed section.
    bar: String,
    link: String,
}

/// The findings of one cluster, or every finding.
fn cluster_query(cluster: Option<&str>) -> String {
    match cluster {
        Some(id) => field_is("orchestrator.cluster.id", id),
        None => String::new(),
    }
}

/// The failed findings, narrowed to one cluster when one is selected.
fn failed_query(cluster: Option<&str>) -> String {
    status_query(&cluster_query(cluster), Status::Failed)
}

/// The findings of one section of one benchmark (a section name can recur in another
/// benchmark), narrowed to one cluster when one is selected.
fn section_query(section: &str, benchmark_id: &str, cluster: Option<&str>) -> String {
    let q = and_clause(
        &field_is("rule.section", section),
        &field_is("rule.benchmark.id", benchmark_id),
    );
    match cluster {
        Some(id) => and_clause(&q, &field_is("orchestrator.cluster.id", id)),
        None => q,
    }
}

/// `GET /`.
pub(crate) async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<DashboardParams>,
) -> Result<Response, PageError> {
    let cluster = params.cluster.filter(|c| !c.is_empty());
    let wanted = cluster.clone();
    let (dashboard, trends) = blocking(move || {
        let dashboard = state.store.dashboard(cluster.as_deref())?;
        let trends = match &cluster {
            None => state.store.trends()?,
            Some(id) => vec![TrendSeries {
                cluster_id: Some(id.clone()),
                label: String::new(),
                points: dashboard.trend.clone(),
            }],
        };
        Ok((dashboard, trends))
    })
    .await?;
    let selected = match wanted {
        Some(id) => Some(
            dashboard
                .clusters
                .iter()
                .find(|c| c.cluster_id == id)
                .cloned()
                .ok_or_else(|| PageError::not_found("No cluster with that id has findings."))?,
        ),
        None => None,
    };
    Ok(render(&build(
        &dashboard,
        trends,
        selected.as_ref(),
        ViewerView::from(viewer),
    )))
}

fn build(
    dashboard: &Dashboard,
    mut trends: Vec<TrendSeries>,
    selected: Option<&kspm_store::ClusterScore>,
    viewer: ViewerView,
) -> DashboardPage {
    let cluster_id = selected.map(|c| c.cluster_id.as_str());
    let clusters = dashboard
        .clusters
        .iter()
        .map(|c| ClusterView {
            name: c.cluster_name.clone(),
            version: c.version.clone().unwrap_or_default(),
            last_cycle: c.last_cycle_at.map(time).unwrap_or_else(|| "never".into()),
            resources: c.resources,
            score: ScoreView::new(&c.score),
            dashboard_link: link("/", &[("cluster", &c.cluster_id)]),
            failed_link: findings_link(&failed_query(Some(&c.cluster_id)), &[]),
            changes_link: link("/changes", &[("cluster", &c.cluster_id)]),
        })
        .collect();
    let benchmarks = dashboard
        .benchmarks
        .iter()
        .map(|b| {
            let q = and_clause(
                &cluster_query(cluster_id),
                &field_is("rule.benchmark.id", &b.benchmark_id),
            );
            BenchmarkView {
                name: benchmark_label(&b.benchmark_name, &b.benchmark_id),
                score: ScoreView::new(&b.score),
                passed_link: count_link(&q, Status::Passed),
                failed_link: count_link(&q, Status::Failed),
            }
        })
        .collect();
    let max_failed = dashboard
        .sections
        .iter()
        .map(|s| s.score.counts.failed)
        .max()
        .unwrap_or(0)
        .max(1);
    let mut section_groups: Vec<SectionGroup> = Vec::new();
    for s in dashboard
        .sections
        .iter()
        .filter(|s| s.score.counts.failed > 0)
    {
        let benchmark = benchmark_label(&s.benchmark_name, &s.benchmark_id);
        let view = SectionView {
            section: s.section.clone(),
            failed: s.score.counts.failed,
            bar: format!(
                "{:.1}",
                s.score.counts.failed as f64 * 100.0 / max_failed as f64
            ),
            link: count_link(
                &section_query(&s.section, &s.benchmark_id, cluster_id),
                Status::Failed,
            ),
        };
        match section_groups.iter_mut().find(|g| g.benchmark == benchmark) {
            Some(g) => g.sections.push(view),
            None => section_groups.push(SectionGroup {
                benchmark,
                sections: vec![view],
            }),
        }
    }
    for g in &mut section_groups {
        g.sections
            .sort_by(|a, b| b.failed.cmp(&a.failed).then(a.section.cmp(&b.section)));
    }
    section_groups.sort_by(|a, b| a.benchmark.cmp(&b.benchmark));
    if let Some(c) = selected
        && let Some(first) = trends.first_mut()
    {
        first.label = c.cluster_name.clone();
    }
    let (trend, trend_points) = trend_json(&trends);
    let query = cluster_query(cluster_id);
    DashboardPage {
        active: "dashboard",
        viewer,
        cluster_name: selected.map(|c| c.cluster_name.clone()),
        overall: ScoreView::new(&dashboard.overall),
        counts: count_views(&query, &dashboard.overall.counts),
        clusters_evaluated: dashboard.clusters_evaluated,
        resources_evaluated: dashboard.resources_evaluated,
        clusters,
        benchmarks,
        section_groups,
        trend,
        trend_points,
        changes_link: cluster_id.map(|id| link("/changes", &[("cluster", id)])),
        all_failed_link: findings_link(&failed_query(cluster_id), &[]),
        all_findings_link: findings_link(&query, &[]),
    }
}

/// A benchmark's display name (its id when it has none).
pub(crate) fn benchmark_label(name: &str, id: &str) -> String {
    if name.is_empty() {
        id.to_owned()
    } else {
        name.to_owned()
    }
}

/// Aligns every series on the union of their times; a series holds its last state until its
/// next round (a point is the state after a round) and is empty before its first one.
/// Returns the JSON and the number of times.
fn trend_json(series: &[TrendSeries]) -> (String, usize) {
    let mut xs: Vec<i64> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.at))
        .collect();
    xs.sort_unstable();
    xs.dedup();
    let lines: Vec<serde_json::Value> = series
        .iter()
        .map(|s| {
            let mut i = 0;
            let mut last: Option<&TrendPoint> = None;
            let held: Vec<Option<&TrendPoint>> = xs
                .iter()
                .map(|&x| {
                    while i < s.points.len() && s.points[i].at <= x {
                        last = Some(&s.points[i]);
                        i += 1;
                    }
                    last
                })
                .collect();
            let values: Vec<Option<f64>> = held
                .iter()
                .map(|p| p.and_then(|p| p.score).map(|v| (v * 10.0).round() / 10.0))
                .collect();
            let failed: Vec<Option<u64>> = held.iter().map(|p| p.map(|p| p.counts.failed)).collect();
            let passed: Vec<Option<u64>> = held.iter().map(|p| p.map(|p| p.counts.passed)).collect();
            serde_json::json!({ "label": s.label, "values": values, "failed": failed, "passed": passed })
        })
        .collect();
    (
        serde_json::json!({ "x": xs, "series": lines }).to_string(),
        xs.len(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(at: i64, score: f64) -> TrendPoint {
        TrendPoint {
            at,
            counts: Counts::default(),
            score: Some(score),
        }
    }

    fn series(label: &str, points: Vec<TrendPoint>) -> TrendSeries {
        TrendSeries {
            cluster_id: None,
            label: label.into(),
            points,
        }
    }

    #[test]
    fn trend_series_share_times_and_hold_their_last_score() {
        let (json, n) = trend_json(&[
            series("all", vec![point(10, 50.0), point(30, 75.0)]),
            series("b", vec![point(20, 40.04)]),
        ]);
        assert_eq!(n, 3);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["x"], serde_json::json!([10, 20, 30]));
        assert_eq!(
            v["series"][0]["values"],
            serde_json::json!([50.0, 50.0, 75.0])
        );
        assert_eq!(
            v["series"][1]["values"],
            serde_json::json!([null, 40.0, 40.0])
        );
    }

    #[test]
    fn section_links_read_back_to_their_section_benchmark_and_status() {
        for section in [
            "API Server",
            "Authentication and Authorization",
            r#"Odd: "quoted" *section* \ (x) not"#,
            "not",
            "",
        ] {
            let q = status_query(
                &section_query(section, "cis_k8s", Some("c-1")),
                Status::Failed,
            );
            let node = kspm_store::kql::read(&q).unwrap_or_else(|e| panic!("{q}: {e}"));
            assert_eq!(
                node.to_string(),
                format!(
                    "and(is(rule.section, {}), is(rule.benchmark.id, \"cis_k8s\"), \
                     is(orchestrator.cluster.id, \"c-1\"), is(status, \"failed\"))",
                    kspm_store::kql::Lit {
                        value: kspm_store::kql::LitValue::Text(section.into()),
                        quoted: true,
                        position: 0,
                    }
                ),
                "{q}"
            );
        }
    }

    #[test]
    fn failed_query_names_the_cluster_when_one_is_selected() {
        assert_eq!(failed_query(None), "status : failed");
        assert_eq!(
            failed_query(Some("c-1")),
            r#"orchestrator.cluster.id : "c-1" and status : failed"#
        );
    }
}
