//! `GET /[?cluster=<id>]`: the posture dashboard.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use kspm_store::{Dashboard, TrendPoint};
use serde::Deserialize;

use super::query::{and_clause, field_is};
use super::view::{ScoreView, findings_link, link, time};
use super::{PageError, blocking, render};
use crate::AppState;

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
    /// Name of the selected cluster, when one is.
    cluster_name: Option<String>,
    overall: ScoreView,
    clusters_evaluated: u64,
    resources_evaluated: u64,
    clusters: Vec<ClusterView>,
    benchmarks: Vec<BenchmarkView>,
    sections: Vec<SectionView>,
    /// JSON for the trend chart (`{"x": [...], "series": [{"label", "values"}]}`).
    trend: String,
    /// Cycles in the trend.
    trend_points: usize,
    all_failed_link: String,
    all_findings_link: String,
}

struct ClusterView {
    name: String,
    version: String,
    last_cycle: String,
    resources: u64,
    score: ScoreView,
    dashboard_link: String,
    failed_link: String,
}

struct BenchmarkView {
    name: String,
    score: ScoreView,
}

struct SectionView {
    section: String,
    benchmark: String,
    failed: u64,
    /// Bar length in percent of the most failed section.
    bar: String,
    link: String,
}

/// The failed-findings query, narrowed to one cluster when one is selected.
fn failed_query(cluster: Option<&str>) -> String {
    let failed = "result.evaluation : failed";
    match cluster {
        Some(id) => and_clause(&field_is("orchestrator.cluster.id", id), failed),
        None => failed.to_owned(),
    }
}

/// The failed findings of one section of one benchmark (a section name can recur in another
/// benchmark), narrowed to one cluster when one is selected.
fn section_failed_query(section: &str, benchmark_id: &str, cluster: Option<&str>) -> String {
    let mut q = and_clause(
        &field_is("rule.section", section),
        &field_is("rule.benchmark.id", benchmark_id),
    );
    q = and_clause(&q, "result.evaluation : failed");
    if let Some(id) = cluster {
        q = and_clause(&q, &field_is("orchestrator.cluster.id", id));
    }
    q
}

/// `GET /`.
pub(crate) async fn page(
    State(state): State<AppState>,
    Query(params): Query<DashboardParams>,
) -> Result<Response, PageError> {
    let cluster = params.cluster.filter(|c| !c.is_empty());
    let wanted = cluster.clone();
    let (dashboard, per_cluster) = blocking(move || {
        let dashboard = state.store.dashboard(cluster.as_deref())?;
        // The trend shows each cluster beside the overall line (when not narrowed to one).
        let mut per_cluster = Vec::new();
        if cluster.is_none() && dashboard.clusters.len() > 1 {
            for c in &dashboard.clusters {
                let d = state.store.dashboard(Some(&c.cluster_id))?;
                per_cluster.push((c.cluster_name.clone(), d.trend));
            }
        }
        Ok((dashboard, per_cluster))
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
    Ok(render(&build(&dashboard, per_cluster, selected.as_ref())))
}

fn build(
    dashboard: &Dashboard,
    per_cluster: Vec<(String, Vec<TrendPoint>)>,
    selected: Option<&kspm_store::ClusterScore>,
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
        })
        .collect();
    let benchmarks = dashboard
        .benchmarks
        .iter()
        .map(|b| BenchmarkView {
            name: if b.benchmark_name.is_empty() {
                b.benchmark_id.clone()
            } else {
                b.benchmark_name.clone()
            },
            score: ScoreView::new(&b.score),
        })
        .collect();
    let max_failed = dashboard
        .sections
        .iter()
        .map(|s| s.score.tally.failed)
        .max()
        .unwrap_or(0)
        .max(1);
    let mut sections: Vec<SectionView> = dashboard
        .sections
        .iter()
        .filter(|s| s.score.tally.failed > 0)
        .map(|s| {
            let q = section_failed_query(&s.section, &s.benchmark_id, cluster_id);
            SectionView {
                section: s.section.clone(),
                benchmark: s.benchmark_id.clone(),
                failed: s.score.tally.failed,
                bar: format!(
                    "{:.1}",
                    s.score.tally.failed as f64 * 100.0 / max_failed as f64
                ),
                link: findings_link(&q, &[]),
            }
        })
        .collect();
    sections.sort_by(|a, b| b.failed.cmp(&a.failed).then(a.section.cmp(&b.section)));
    let mut series = vec![("All clusters".to_owned(), dashboard.trend.clone())];
    if let Some(c) = selected {
        series[0].0 = c.cluster_name.clone();
    }
    series.extend(per_cluster);
    DashboardPage {
        active: "dashboard",
        cluster_name: selected.map(|c| c.cluster_name.clone()),
        overall: ScoreView::new(&dashboard.overall),
        clusters_evaluated: dashboard.clusters_evaluated,
        resources_evaluated: dashboard.resources_evaluated,
        clusters,
        benchmarks,
        sections,
        trend: trend_json(&series),
        trend_points: dashboard.trend.len(),
        all_failed_link: findings_link(&failed_query(cluster_id), &[]),
        all_findings_link: match cluster_id {
            Some(id) => findings_link(&field_is("orchestrator.cluster.id", id), &[]),
            None => "/findings".into(),
        },
    }
}

/// Aligns every series on the union of their times; a series holds its last score until its
/// next cycle (the score is the state after a cycle) and is empty before its first one.
fn trend_json(series: &[(String, Vec<TrendPoint>)]) -> String {
    let mut xs: Vec<i64> = series
        .iter()
        .flat_map(|(_, points)| points.iter().map(|p| p.at))
        .collect();
    xs.sort_unstable();
    xs.dedup();
    let lines: Vec<serde_json::Value> = series
        .iter()
        .map(|(label, points)| {
            let mut i = 0;
            let mut last: Option<f64> = None;
            let values: Vec<Option<f64>> = xs
                .iter()
                .map(|&x| {
                    while i < points.len() && points[i].at <= x {
                        last = points[i].score.map(|s| (s * 10.0).round() / 10.0);
                        i += 1;
                    }
                    last
                })
                .collect();
            serde_json::json!({ "label": label, "values": values })
        })
        .collect();
    serde_json::json!({ "x": xs, "series": lines }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(at: i64, score: f64) -> TrendPoint {
        TrendPoint {
            at,
            passed: 0,
            failed: 0,
            score: Some(score),
        }
    }

    #[test]
    fn trend_series_share_times_and_hold_their_last_score() {
        let json = trend_json(&[
            ("all".into(), vec![point(10, 50.0), point(30, 75.0)]),
            ("b".into(), vec![point(20, 40.04)]),
        ]);
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
    fn section_links_read_back_to_their_section_and_benchmark() {
        for section in [
            "API Server",
            "Authentication and Authorization",
            r#"Odd: "quoted" *section* \ (x) not"#,
            "not",
            "",
        ] {
            let q = section_failed_query(section, "cis_k8s", Some("c-1"));
            let node = kspm_store::kql::read(&q).unwrap_or_else(|e| panic!("{q}: {e}"));
            assert_eq!(
                node.to_string(),
                format!(
                    "and(is(rule.section, {}), is(rule.benchmark.id, \"cis_k8s\"), \
                     is(result.evaluation, \"failed\"), is(orchestrator.cluster.id, \"c-1\"))",
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
        assert_eq!(failed_query(None), "result.evaluation : failed");
        assert_eq!(
            failed_query(Some("c-1")),
            r#"orchestrator.cluster.id : "c-1" and result.evaluation : failed"#
        );
    }
}
