//! `GET /changes?cluster=&from=&to=`: what changed in a cluster between two rounds of cycles
//! (by default its last two): new failures, resolved failures, and the score of every
//! section before and after.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use kspm_store::{ChangedFinding, Changes, ClusterRow, Round};
use serde::Deserialize;

use super::dashboard::benchmark_label;
use super::filters;
use super::view::{ScoreView, grouped, outcome_class, segment, time};
use super::{PageError, ViewerView, blocking, render};
use crate::AppState;
use crate::auth::Viewer;

/// Rows listed per kind of change.
const LIMIT: u32 = 200;

/// Query of the page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ChangesParams {
    #[serde(default)]
    cluster: String,
    #[serde(default)]
    from: Option<i64>,
    #[serde(default)]
    to: Option<i64>,
}

#[derive(Template)]
#[template(path = "changes.html", config = "src/web/askama.toml")]
struct ChangesPage {
    active: &'static str,
    viewer: ViewerView,
    clusters: Vec<Choice>,
    cluster_name: String,
    rounds_from: Vec<Choice>,
    rounds_to: Vec<Choice>,
    /// Why there is nothing to compare, when there is not.
    empty: Option<&'static str>,
    summary: Option<Summary>,
    new_failures: Vec<ChangeRow>,
    resolved: Vec<ChangeRow>,
    sections: Vec<SectionRow>,
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

struct Summary {
    from: String,
    to: String,
    before: ScoreView,
    after: ScoreView,
    delta: String,
    delta_class: &'static str,
    new_failures: u64,
    resolved: u64,
    limit: u64,
}

struct ChangeRow {
    rule_number: String,
    rule_name: String,
    resource: String,
    before: &'static str,
    after: &'static str,
    after_class: &'static str,
    link: String,
}

struct SectionRow {
    benchmark: String,
    section: String,
    before: ScoreView,
    after: ScoreView,
    delta: String,
    delta_class: &'static str,
    failed_before: u64,
    failed_after: u64,
}

/// `+3.2`, `−1.0`, `±0.0` points, and whether that is good.
fn delta(before: Option<f64>, after: Option<f64>) -> (String, &'static str) {
    match (before, after) {
        (Some(a), Some(b)) => {
            let d = ((b - a) * 10.0).round() / 10.0;
            if d > 0.0 {
                (format!("+{d:.1}"), "good")
            } else if d < 0.0 {
                (format!("−{:.1}", -d), "bad")
            } else {
                ("±0.0".into(), "none")
            }
        }
        _ => ("–".into(), "none"),
    }
}

fn change_row(c: &ChangedFinding) -> ChangeRow {
    ChangeRow {
        rule_number: c.row.rule_number.clone(),
        rule_name: c.row.rule_name.clone(),
        resource: c.row.resource_name.clone(),
        before: c.before.map(|o| o.as_str()).unwrap_or("not reported"),
        after: c.after.map(|o| o.as_str()).unwrap_or("resolved"),
        after_class: c.after.map(outcome_class).unwrap_or("passed"),
        link: format!("/findings/{}", segment(&c.row.id)),
    }
}

fn round_label(r: &Round) -> String {
    let score = r
        .score
        .map(|s| format!("{s:.1} %"))
        .unwrap_or_else(|| "–".into());
    format!(
        "{} · {score} · {} failed",
        time(r.at),
        grouped(&r.counts.failed.to_string())
    )
}

/// `GET /changes`.
pub(crate) async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<ChangesParams>,
) -> Result<Response, PageError> {
    let wanted = params.cluster.clone();
    let (clusters, cluster, rounds, changes) = blocking(move || {
        let clusters = state.store.clusters()?;
        let cluster = if wanted.is_empty() {
            clusters.first().cloned()
        } else {
            Some(
                clusters
                    .iter()
                    .find(|c| c.id == wanted)
                    .cloned()
                    .ok_or_else(|| PageError::not_found("No cluster with that id."))?,
            )
        };
        let Some(cluster) = cluster else {
            return Ok((clusters, None, Vec::new(), None));
        };
        let rounds = state.store.rounds(&cluster.id)?;
        let to = params.to.or(rounds.first().map(|r| r.at));
        let from = params.from.or(rounds.get(1).map(|r| r.at));
        let changes = match (from, to) {
            (Some(from), Some(to)) if from != to => {
                Some(state.store.changes(&cluster.id, from, to, LIMIT)?)
            }
            _ => None,
        };
        Ok((clusters, Some(cluster), rounds, changes))
    })
    .await?;
    Ok(render(&build(
        ViewerView::from(viewer),
        &clusters,
        cluster.as_ref(),
        &rounds,
        changes.as_ref(),
    )))
}

fn build(
    viewer: ViewerView,
    clusters: &[ClusterRow],
    cluster: Option<&ClusterRow>,
    rounds: &[Round],
    changes: Option<&Changes>,
) -> ChangesPage {
    let choice = |r: &Round, selected: Option<i64>| Choice {
        value: r.at.to_string(),
        label: round_label(r),
        selected: Some(r.at) == selected,
    };
    let (from, to) = (changes.map(|c| c.from.at), changes.map(|c| c.to.at));
    let summary = changes.map(|c| {
        let (d, class) = delta(c.from.score, c.to.score);
        Summary {
            from: time(c.from.at),
            to: time(c.to.at),
            before: ScoreView::of(&c.from.counts),
            after: ScoreView::of(&c.to.counts),
            delta: d,
            delta_class: class,
            new_failures: c.new_failures_total,
            resolved: c.resolved_total,
            limit: u64::from(LIMIT),
        }
    });
    ChangesPage {
        active: "changes",
        viewer,
        clusters: clusters
            .iter()
            .map(|c| Choice {
                value: c.id.clone(),
                label: c.name.clone(),
                selected: Some(&c.id) == cluster.map(|c| &c.id),
            })
            .collect(),
        cluster_name: cluster.map(|c| c.name.clone()).unwrap_or_default(),
        rounds_from: rounds.iter().map(|r| choice(r, from)).collect(),
        rounds_to: rounds.iter().map(|r| choice(r, to)).collect(),
        empty: match (cluster, changes) {
            (None, _) => Some("No cluster has reported findings yet."),
            (Some(_), None) if rounds.len() < 2 => {
                Some("This cluster has only one round of cycles so far: nothing to compare yet.")
            }
            (Some(_), None) => Some("Pick two different rounds to compare."),
            _ => None,
        },
        summary,
        new_failures: changes
            .map(|c| c.new_failures.iter().map(change_row).collect())
            .unwrap_or_default(),
        resolved: changes
            .map(|c| c.resolved.iter().map(change_row).collect())
            .unwrap_or_default(),
        sections: changes
            .map(|c| {
                c.sections
                    .iter()
                    .map(|s| {
                        let (d, class) = delta(s.before.score, s.after.score);
                        SectionRow {
                            benchmark: benchmark_label(&s.benchmark_name, &s.benchmark_id),
                            section: s.section.clone(),
                            before: ScoreView::new(&s.before),
                            after: ScoreView::new(&s.after),
                            delta: d,
                            delta_class: class,
                            failed_before: s.before.counts.failed,
                            failed_after: s.after.counts.failed,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::{delta, round_label};
    use kspm_store::{Counts, Round};

    #[test]
    fn round_labels_group_the_failed_count_like_the_pages_do() {
        let round = Round {
            at: 1_700_000_000,
            cycles: 2,
            counts: Counts {
                failed: 300_000,
                ..Counts::default()
            },
            score: Some(62.5),
        };
        assert_eq!(
            round_label(&round),
            "2023-11-14 22:13 UTC · 62.5 % · 300,000 failed"
        );
    }

    #[test]
    fn deltas_are_signed_points_coloured_by_direction() {
        assert_eq!(delta(Some(50.0), Some(62.5)), ("+12.5".into(), "good"));
        assert_eq!(delta(Some(50.0), Some(40.0)), ("−10.0".into(), "bad"));
        assert_eq!(delta(Some(50.0), Some(50.0)), ("±0.0".into(), "none"));
        assert_eq!(delta(None, Some(50.0)), ("–".into(), "none"));
    }
}
