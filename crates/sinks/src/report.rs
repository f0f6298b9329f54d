//! A whole report held in memory, written through a sink in one go: for tests and for callers
//! that already have every finding (the sinks themselves stream).

use std::collections::BTreeSet;
use std::io::Write;
use std::sync::Arc;

use kspm_model::{ClusterInfo, Finding, FindingRule, ResourceFindings, Scope};

use crate::{Format, RunInfo, RunSummary, Sink, SinkError};

/// Every finding of a scan, with its totals.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// Every finding, in output order.
    pub findings: Vec<Finding>,
    /// How many resources were evaluated (including those no rule applied to).
    pub resources_evaluated: usize,
    /// How many (resource, rule) pairs did not apply; those findings are not in `findings`.
    pub not_applicable: usize,
    /// Inputs that could not be read or parsed, one message each.
    pub input_errors: Vec<String>,
    /// kspm's version, written into SARIF's tool description.
    pub tool_version: String,
}

/// Writes `report` to `out` in `format`, through the format's sink: consecutive findings of
/// one resource make one batch entry.
pub fn emit(format: Format, report: &Report, out: &mut dyn Write) -> Result<(), SinkError> {
    let mut sink = format.sink(out);
    drive(sink.as_mut(), report)
}

/// Runs a whole report through `sink`.
pub(crate) fn drive(sink: &mut dyn Sink, report: &Report) -> Result<(), SinkError> {
    let mut seen = BTreeSet::new();
    let rules: Vec<Arc<FindingRule>> = report
        .findings
        .iter()
        .filter(|f| seen.insert(f.rule.id.clone()))
        .map(|f| f.rule.clone())
        .collect();
    let cluster = report
        .findings
        .first()
        .map(|f| ClusterInfo {
            id: f.orchestrator.cluster.id.clone(),
            name: f.orchestrator.cluster.name.clone(),
            version: f.orchestrator.cluster.version.clone(),
            platform: None,
        })
        .unwrap_or_default();
    let scopes: Vec<Scope> = report
        .findings
        .iter()
        .map(scope_of)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    sink.begin(&RunInfo {
        scopes: &scopes,
        tool_version: &report.tool_version,
        cluster: &cluster,
        started_at: report.findings.first().map_or(0, |f| f.event.sequence),
        rules: &rules,
        input_errors: &report.input_errors,
    })?;
    let batch: Vec<ResourceFindings> = report
        .findings
        .chunk_by(|a, b| a.resource.id == b.resource.id)
        .map(|same| ResourceFindings {
            scope: scope_of(&same[0]),
            findings: same.to_vec(),
        })
        .collect();
    sink.write(&batch)?;
    sink.finish(&RunSummary {
        resources_evaluated: report.resources_evaluated,
        not_applicable: report.not_applicable,
    })?;
    Ok(())
}

/// The scope of a finding held without its batch: the node it was read on, unless it came from
/// a mirror pod (read through the API), else the cluster.
fn scope_of(finding: &Finding) -> Scope {
    let from_api = finding
        .process
        .as_ref()
        .and_then(|p| p.get("source"))
        .and_then(|s| s.as_str())
        == Some("mirror-pod");
    match &finding.host {
        Some(host) if !from_api => Scope::Node(host.name.clone()),
        _ => Scope::Cluster,
    }
}
