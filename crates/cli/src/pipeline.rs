//! The pipeline, wired: collected resources → the engine → every sink, window by window.
//! Findings flow one way; memory holds the resources and one window of findings.

use std::collections::BTreeSet;
use std::sync::Arc;

use kspm_collect::Collected;
use kspm_engine::{EvaluationStats, Evaluator, ScanContext};
use kspm_model::{FindingRule, ResourceType, Scope, Tally};
use kspm_sinks::{Delivery, RunInfo, RunSummary, Sink, SinkError};

/// What a run produced.
#[derive(Debug)]
pub struct Outcome {
    /// Counts of the evaluation.
    pub stats: EvaluationStats,
    /// Outcomes of every finding handed to the sinks.
    pub tally: Tally,
    /// What each sink delivered, in the order given.
    pub delivered: Vec<Delivery>,
}

/// Evaluates `collected` and hands every window of findings to each sink in turn. The first
/// sink error stops the run (the engine stops evaluating) and is returned.
pub fn run(
    evaluator: &Evaluator,
    collected: Collected,
    ctx: &ScanContext,
    sinks: &mut [Box<dyn Sink + '_>],
    mut progress: impl FnMut(&EvaluationStats),
) -> Result<Outcome, SinkError> {
    let input_errors: Vec<String> = collected.errors().map(ToString::to_string).collect();
    let rules: Vec<Arc<FindingRule>> = evaluator.finding_rules(ctx);
    let scopes = scopes_of(&collected);
    let run = RunInfo {
        tool_version: env!("CARGO_PKG_VERSION"),
        cluster: &ctx.cluster,
        started_at: ctx.sequence,
        rules: &rules,
        input_errors: &input_errors,
        scopes: &scopes,
    };
    for sink in sinks.iter_mut() {
        sink.begin(&run)?;
    }
    let mut tally = Tally::default();
    let mut seen = EvaluationStats::default();
    let stats = evaluator.evaluate_stream(collected.resources, &collected.gaps, ctx, |batch| {
        for group in &batch {
            seen.findings += group.findings.len();
            for f in &group.findings {
                tally.add(f.outcome());
            }
        }
        progress(&seen);
        for sink in sinks.iter_mut() {
            sink.write(&batch)?;
        }
        Ok(())
    })?;
    let summary = RunSummary {
        resources_evaluated: stats.resources,
        not_applicable: stats.not_applicable,
    };
    let mut delivered = Vec::with_capacity(sinks.len());
    for sink in sinks.iter_mut() {
        delivered.push(sink.finish(&summary)?);
    }
    Ok(Outcome {
        stats,
        tally,
        delivered,
    })
}

/// The scopes a run covers: the cluster when it read Kubernetes objects (or failed to), each
/// node read through its root, each cloud account.
fn scopes_of(collected: &Collected) -> Vec<Scope> {
    let mut scopes: BTreeSet<Scope> = collected
        .resources
        .iter()
        .map(|r| r.scope.clone())
        .collect();
    if collected
        .gaps
        .iter()
        .any(|g| g.kind == ResourceType::K8sObject)
    {
        scopes.insert(Scope::Cluster);
    }
    scopes.into_iter().collect()
}
