//! `sarif`: SARIF 2.1.0 for code-scanning dashboards (GitHub, GitLab, VS Code viewers).
//!
//! One run. The driver lists one rule per rule id seen in a result; failed, error and manual
//! findings become results (levels `error`, `warning`, `note`); passed findings do not, as
//! SARIF results are things to look at. Offline inputs point at their file and line; every
//! result also names the Kubernetes object as a logical location, and carries the finding id
//! as a partial fingerprint so that uploads of the same finding are merged.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use kspm_model::{FileLocation, Finding, Origin, Outcome, ResourceFindings, Tally};
use serde_json::json;
use serde_sarif::sarif::{
    ArtifactLocation, Invocation, Location, LogicalLocation, Message, MultiformatMessageString,
    Notification, PhysicalLocation, PropertyBag, Region, ReportingDescriptor,
    Result as SarifResult, ResultLevel, Run, Sarif, Tool, ToolComponent,
};

use crate::describe::{evidence_summary, qualified_name, resource_label, resource_short_name};
use crate::{Delivery, RunInfo, RunSummary, Sink, SinkError};

/// Where SARIF consumers find the schema of what we write.
const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The partial fingerprint key holding the finding id (versioned, as SARIF recommends).
const FINGERPRINT_KEY: &str = "findingId/v1";

/// Writes a SARIF 2.1.0 log with one run, results streamed as findings arrive.
///
/// The run's members are written as `invocations`, `results`, `properties` (totals, known only
/// at the end), then `tool` (every rule seen, in the order findings first named them); each
/// part is formatted as serde_json's pretty printer formats it.
pub struct SarifSink<W: Write> {
    out: W,
    tool_version: String,
    /// Indentation of a result inside the results array.
    item_indent: Vec<u8>,
    /// Rules seen so far, in order of first use: descriptors are built from their first
    /// finding, so that their help shows a filled-in remediation.
    rules: Vec<ReportingDescriptor>,
    rule_index: HashMap<String, i64>,
    first: bool,
    tally: Tally,
    delivered: Delivery,
}

impl<W: Write> SarifSink<W> {
    /// SARIF on `out`.
    pub fn new(out: W) -> SarifSink<W> {
        SarifSink {
            out,
            tool_version: String::new(),
            item_indent: Vec::new(),
            rules: Vec::new(),
            rule_index: HashMap::new(),
            first: true,
            tally: Tally::default(),
            delivered: Delivery::default(),
        }
    }

    fn fail(&self, e: crate::Error) -> SinkError {
        crate::file_error(self, e, &self.delivered)
    }

    /// The log with an empty results array, the run properties left out, and the driver's
    /// rules as known so far.
    fn skeleton(&self, invocation: Option<Invocation>) -> crate::Result<(Vec<u8>, usize)> {
        let driver = ToolComponent::builder()
            .name("kspm")
            .version(self.tool_version.clone())
            .information_uri(env!("CARGO_PKG_REPOSITORY"))
            .rules(self.rules.clone())
            .build();
        let mut run = Run::builder()
            .tool(Tool::builder().driver(driver).build())
            .results(Vec::new())
            .build();
        run.invocations = invocation.map(|i| vec![i]);
        let log = Sarif::builder()
            .schema(SCHEMA_URI)
            .version(json!("2.1.0"))
            .runs(vec![run])
            .build();
        let skeleton = serde_json::to_vec_pretty(&log)?;
        let at = skeleton
            .windows(RESULTS_MARKER.len())
            .position(|w| w == RESULTS_MARKER)
            .ok_or_else(|| {
                crate::Error::Json(<serde_json::Error as serde::ser::Error>::custom(
                    "the SARIF log has no results array",
                ))
            })?;
        Ok((skeleton, at))
    }
}

/// Where the results go in the skeleton.
const RESULTS_MARKER: &[u8] = b"\"results\": []";

impl<W: Write> Sink for SarifSink<W> {
    fn name(&self) -> String {
        "SARIF output".into()
    }

    fn begin(&mut self, run: &RunInfo<'_>) -> Result<(), SinkError> {
        self.tool_version = run.tool_version.to_owned();
        let (skeleton, at) = self
            .skeleton(Some(invocation(run.input_errors)))
            .map_err(|e| self.fail(e))?;
        let line_start = skeleton[..at]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        self.item_indent = vec![b' '; at - line_start + 2];
        self.out
            .write_all(&skeleton[..at])
            .and_then(|()| self.out.write_all(b"\"results\": ["))
            .map_err(|e| self.fail(e.into()))
    }

    fn write(&mut self, batch: &[ResourceFindings]) -> Result<(), SinkError> {
        let mut pending: Vec<Pending<'_>> = Vec::new();
        for finding in batch.iter().flat_map(|r| &r.findings) {
            if finding.outcome() == Outcome::NotApplicable {
                continue;
            }
            self.tally.add(finding.outcome());
            self.delivered.findings += 1;
            // Every rule seen is described, passed or not: a rule without results tells a
            // code-scanning tool that its earlier results are fixed.
            let index = match self.rule_index.get(&*finding.rule.id) {
                Some(&i) => i,
                None => {
                    let i = self.rules.len() as i64;
                    self.rules.push(rule_descriptor(finding));
                    self.rule_index.insert(finding.rule.id.to_string(), i);
                    i
                }
            };
            if let Some(level) = level(finding.outcome()) {
                pending.push((finding, level, index));
            }
        }
        if pending.is_empty() {
            return Ok(());
        }
        if self.first {
            self.out.write_all(b"\n").map_err(|e| self.fail(e.into()))?;
        }
        let indent = self.item_indent.clone();
        crate::windowed::write_items(
            &pending,
            b",\n",
            &mut self.first,
            &mut self.out,
            |(finding, level, index), buf| {
                let item = serde_json::to_vec_pretty(&result(finding, *level, *index))?;
                crate::windowed::indented(&item, &indent, buf);
                Ok(())
            },
        )
        .map_err(|e| crate::file_error(self, e, &self.delivered))
    }

    fn finish(&mut self, summary: &RunSummary) -> Result<Delivery, SinkError> {
        let (skeleton, at) = self.skeleton(None).map_err(|e| self.fail(e))?;
        let member_indent = &self.item_indent[2..];
        let mut tail = Vec::new();
        if !self.first {
            tail.push(b'\n');
            tail.extend_from_slice(member_indent);
        }
        tail.push(b']');
        // The totals, as the member after the results.
        let properties = serde_json::to_vec_pretty(&run_properties(&self.tally, summary))
            .map_err(|e| self.fail(e.into()))?;
        tail.extend_from_slice(b",\n");
        tail.extend_from_slice(member_indent);
        tail.extend_from_slice(b"\"properties\": ");
        for (i, line) in properties.split(|&b| b == b'\n').enumerate() {
            if i > 0 {
                tail.push(b'\n');
                tail.extend_from_slice(member_indent);
            }
            tail.extend_from_slice(line);
        }
        tail.extend_from_slice(&skeleton[at + RESULTS_MARKER.len()..]);
        tail.push(b'\n');
        self.out
            .write_all(&tail)
            .and_then(|()| self.out.flush())
            .map_err(|e| self.fail(e.into()))?;
        Ok(self.delivered.clone())
    }
}

/// A finding that becomes a SARIF result, with its level and the index of its rule.
type Pending<'a> = (&'a Finding, ResultLevel, i64);

/// The SARIF level of an outcome that becomes a result; `None` for outcomes that do not.
fn level(outcome: Outcome) -> Option<ResultLevel> {
    match outcome {
        Outcome::Failed => Some(ResultLevel::Error),
        Outcome::Error => Some(ResultLevel::Warning),
        Outcome::Manual => Some(ResultLevel::Note),
        Outcome::Passed | Outcome::NotApplicable => None,
    }
}

/// The descriptor of a finding's rule: its benchmark numbering, section and profile as tags
/// and properties, the remediation (as filled in for this first finding) as help.
fn rule_descriptor(finding: &Finding) -> ReportingDescriptor {
    let rule = &finding.rule;
    let bench = &rule.benchmark;
    let mut tags = vec!["security".to_owned(), bench.id.clone()];
    if !bench.rule_number.is_empty() {
        tags.push(format!("{} {}", bench.id, bench.rule_number));
    }
    tags.extend(rule.tags.iter().cloned());
    let benchmarks = json!([{"id": bench.id, "name": bench.name, "version": bench.version,
                             "ruleNumber": bench.rule_number}]);
    let mut properties = PropertyBag::builder().tags(unique(tags)).build();
    properties
        .additional_properties
        .insert("section".into(), json!(rule.section));
    properties
        .additional_properties
        .insert("benchmarks".into(), benchmarks);
    if !rule.profile_applicability.is_empty() {
        properties
            .additional_properties
            .insert("profile".into(), json!(rule.profile_applicability));
    }
    let mut descriptor = ReportingDescriptor::builder()
        .id(rule.id.to_string())
        .name(rule.name.to_string())
        .short_description(text(&rule.name))
        .help(text(&rule.remediation.text()))
        .properties(properties)
        .build();
    if !rule.description.is_empty() {
        descriptor.full_description = Some(text(&rule.description));
    }
    descriptor
}

fn result(finding: &Finding, level: ResultLevel, rule_index: i64) -> SarifResult {
    let mut properties = PropertyBag::builder().build();
    let extra = &mut properties.additional_properties;
    extra.insert("outcome".into(), json!(finding.outcome()));
    extra.insert("resourceId".into(), json!(finding.resource.id));
    extra.insert("cluster".into(), json!(finding.orchestrator.cluster.name));
    extra.insert("evidence".into(), finding.result.evidence.to_value());
    extra.insert("expected".into(), finding.result.expected.to_value());

    SarifResult::builder()
        .rule_id(finding.rule.id.to_string())
        .rule_index(rule_index)
        .level(level)
        .message(Message::builder().text(message(finding)).build())
        .locations(vec![location(finding)])
        .partial_fingerprints(BTreeMap::from([(
            FINGERPRINT_KEY.to_owned(),
            finding.event.id.clone(),
        )]))
        .properties(properties)
        .build()
}

/// `Title: Pod shop/web — evidence: {...}`; error findings say why they could not be evaluated.
fn message(finding: &Finding) -> String {
    let subject = format!("{}: {}", finding.rule.name, resource_label(finding));
    let evidence = evidence_summary(finding);
    let evidence = if evidence.is_empty() {
        String::new()
    } else {
        format!(" — evidence: {evidence}")
    };
    match finding.outcome() {
        Outcome::Error => {
            let cause = finding
                .error
                .as_ref()
                .map_or("no reason recorded", |e| e.message.as_str());
            format!("{subject} could not be evaluated: {cause}")
        }
        Outcome::Manual => format!("{subject} needs manual review{evidence}"),
        _ => format!("{subject} failed{evidence}"),
    }
}

fn location(finding: &Finding) -> Location {
    let logical = LogicalLocation::builder()
        .fully_qualified_name(qualified_name(finding))
        .name(resource_short_name(finding))
        .kind("resource")
        .build();
    let mut location = Location::builder().logical_locations(vec![logical]).build();
    location.physical_location = finding
        .source
        .as_deref()
        .and_then(Origin::file)
        .map(physical_location);
    location
}

fn physical_location(source: &FileLocation) -> PhysicalLocation {
    let mut physical = PhysicalLocation::builder()
        .artifact_location(
            ArtifactLocation::builder()
                .uri(file_uri(&source.file))
                .build(),
        )
        .build();
    // SARIF lines start at 1; a 0 means the line is unknown.
    if source.line > 0 {
        physical.region = Some(Region::builder().start_line(source.line as i64).build());
    }
    physical
}

/// A path as a URI reference: relative paths stay relative (code-scanning tools resolve them
/// against the repository root); absolute paths become `file://` URIs.
fn file_uri(path: &str) -> String {
    let encoded = percent_encode_path(path);
    if path.starts_with('/') {
        format!("file://{encoded}")
    } else {
        encoded
    }
}

/// Percent-encodes everything but unreserved characters and `/`. `:` is encoded too, so a
/// relative path like `a:b.yaml` cannot be read as a URI scheme.
fn percent_encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Input errors are tool notifications: the run completed, but these inputs were not scanned.
fn invocation(input_errors: &[String]) -> Invocation {
    let notifications: Vec<Notification> = input_errors
        .iter()
        .map(|e| {
            Notification::builder()
                .level(json!("error"))
                .message(Message::builder().text(e.clone()).build())
                .build()
        })
        .collect();
    let mut invocation = Invocation::builder().execution_successful(true).build();
    if !notifications.is_empty() {
        invocation.tool_execution_notifications = Some(notifications);
    }
    invocation
}

fn run_properties(tally: &Tally, summary: &RunSummary) -> PropertyBag {
    let mut properties = PropertyBag::builder().build();
    properties.additional_properties.insert(
        "kspm".into(),
        json!({
            "resourcesEvaluated": summary.resources_evaluated,
            "passed": tally.passed,
            "failed": tally.failed,
            "manual": tally.manual,
            "error": tally.error,
            "notApplicable": summary.not_applicable,
            // One decimal, as the table shows it.
            "postureScore": tally.score().map(|score| (score * 10.0).round() / 10.0),
        }),
    );
    properties
}

fn text(s: &str) -> MultiformatMessageString {
    MultiformatMessageString::builder().text(s).build()
}

/// Drops repeated strings, keeping the first occurrence (SARIF tags must be unique).
fn unique(items: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    items
        .into_iter()
        .filter(|item| seen.insert(item.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::fixtures::{Target, finding, from_source, rule, scored};
    use crate::{Format, Report};

    fn sarif(report: &Report) -> Value {
        let mut out = Vec::new();
        crate::emit(Format::Sarif, report, &mut out).unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn relative_paths_stay_relative_and_odd_characters_are_percent_encoded() {
        assert_eq!(file_uri("manifests/app.yaml"), "manifests/app.yaml");
        assert_eq!(file_uri("my dir/ä.yaml"), "my%20dir/%C3%A4.yaml");
        assert_eq!(file_uri("c:x.yaml"), "c%3Ax.yaml");
        assert_eq!(file_uri("/srv/k8s/app.yaml"), "file:///srv/k8s/app.yaml");
    }

    #[test]
    fn passed_findings_are_not_results_but_their_rules_are_described() {
        let report = Report {
            findings: scored("cis_k8s", 2, 1),
            ..Report::default()
        };
        let log = sarif(&report);
        let run = &log["runs"][0];
        assert_eq!(run["results"].as_array().unwrap().len(), 1);
        assert_eq!(run["results"][0]["level"], "error");
        assert_eq!(run["tool"]["driver"]["rules"].as_array().unwrap().len(), 1);
        assert_eq!(run["properties"]["kspm"]["passed"], 2);
        assert_eq!(run["properties"]["kspm"]["failed"], 1);
    }

    #[test]
    fn streamed_results_give_the_bytes_of_the_whole_run_pretty_printed() {
        // More results than one window; no result at all; the member order is invocations,
        // results, properties, tool, each formatted as serde_json formats the whole value.
        for failed in [1100, 0] {
            let report = Report {
                findings: scored("cis_k8s", 10, failed),
                input_errors: vec!["bad.yaml: not YAML".into()],
                ..Report::default()
            };
            let mut out = Vec::new();
            crate::emit(Format::Sarif, &report, &mut out).unwrap();
            let text = String::from_utf8(out).unwrap();
            let log: Value = serde_json::from_str(&text).unwrap();
            let run = &log["runs"][0];
            let members: Vec<&str> = text
                .lines()
                .filter_map(|l| l.strip_prefix("      \"")?.split('"').next())
                .collect();
            assert_eq!(members, ["invocations", "results", "properties", "tool"]);
            let mut rebuilt = serde_json::Map::new();
            for key in members {
                rebuilt.insert(key.to_owned(), run[key].clone());
            }
            let mut whole = log.clone();
            whole["runs"][0] = Value::Object(rebuilt);
            // serde_json sorts object keys (no preserve_order), so compare values, and the
            // formatting of each member line by line.
            assert_eq!(log, whole);
            assert_eq!(run["results"].as_array().unwrap().len(), failed);
            let pretty = serde_json::to_string_pretty(&run["properties"]).unwrap();
            let indented: String = pretty
                .lines()
                .enumerate()
                .map(|(i, l)| {
                    if i == 0 {
                        l.to_owned()
                    } else {
                        format!("\n      {l}")
                    }
                })
                .collect();
            assert!(
                text.contains(&format!("\"properties\": {indented}")),
                "{text}"
            );
        }
    }

    #[test]
    fn unknown_line_zero_gives_no_region() {
        let r = rule("r", "cis_k8s", "1.1", "R", "S");
        let f = from_source(
            finding(
                &r,
                &Target::object("Pod", None, "p"),
                Outcome::Failed,
                json!(1),
            ),
            "a.yaml",
            0,
        );
        let physical = location(&f).physical_location.unwrap();
        assert!(physical.region.is_none());
        assert_eq!(
            physical.artifact_location.unwrap().uri.as_deref(),
            Some("a.yaml")
        );
    }
}
