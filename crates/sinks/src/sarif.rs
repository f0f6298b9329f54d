//! `sarif`: SARIF 2.1.0 for code-scanning dashboards (GitHub, GitLab, VS Code viewers).
//!
//! One run. The driver lists one rule per rule id seen in the report; failed, error and manual
//! findings become results (levels `error`, `warning`, `note`); passed findings do not, as
//! SARIF results are things to look at. Offline inputs point at their file and line; every
//! result also names the Kubernetes object as a logical location, and carries the finding id
//! as a partial fingerprint so that uploads of the same finding are merged.

use std::collections::BTreeMap;
use std::io::Write;

use kspm_model::{Finding, Origin, Outcome};
use serde_json::{Value, json};
use serde_sarif::sarif::{
    ArtifactLocation, Invocation, Location, LogicalLocation, Message, MultiformatMessageString,
    Notification, PhysicalLocation, PropertyBag, Region, ReportingDescriptor,
    Result as SarifResult, ResultLevel, Run, Sarif, Tool, ToolComponent,
};

use crate::describe::{evidence_summary, qualified_name, resource_label, resource_short_name};
use crate::{Emitter, Report, Result};

/// Where SARIF consumers find the schema of what we write.
const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The partial fingerprint key holding the finding id (versioned, as SARIF recommends).
const FINGERPRINT_KEY: &str = "findingId/v1";

/// Writes a SARIF 2.1.0 log with one run.
#[derive(Debug, Clone, Copy, Default)]
pub struct SarifEmitter;

impl Emitter for SarifEmitter {
    fn emit(&self, report: &Report, out: &mut dyn Write) -> Result<()> {
        let (log, results) = sarif_log(report);
        // The log is written around its results, which are formatted in parallel windows and
        // written as they are ready, so that a large scan never holds all of them as SARIF
        // objects. The bytes are those of pretty-printing the whole log.
        let skeleton = serde_json::to_vec_pretty(&log)?;
        let marker: &[u8] = b"\"results\": []";
        let Some(at) = skeleton.windows(marker.len()).position(|w| w == marker) else {
            return Err(crate::Error::Json(
                <serde_json::Error as serde::ser::Error>::custom(
                    "the SARIF log has no results array",
                ),
            ));
        };
        let line_start = skeleton[..at]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let item_indent = vec![b' '; at - line_start + 2];
        out.write_all(&skeleton[..at])?;
        if results.is_empty() {
            out.write_all(marker)?;
        } else {
            out.write_all(b"\"results\": [\n")?;
            write_results(&results, &item_indent, out)?;
            out.write_all(b"\n")?;
            out.write_all(&item_indent[2..])?;
            out.write_all(b"]")?;
        }
        out.write_all(&skeleton[at + marker.len()..])?;
        out.write_all(b"\n")?;
        Ok(())
    }
}

/// A finding that becomes a SARIF result, with its level and the index of its rule.
type Pending<'a> = (&'a Finding, ResultLevel, i64);

/// Writes the results as the items of a pretty-printed array whose items are indented by
/// `indent`, separated by ",\n".
fn write_results(results: &[Pending<'_>], indent: &[u8], out: &mut dyn Write) -> Result<()> {
    crate::windowed::write_items(results, b",\n", out, |(finding, level, index), buf| {
        let item = serde_json::to_vec_pretty(&result(finding, *level, *index))?;
        crate::windowed::indented(&item, indent, buf);
        Ok(())
    })
}

/// The log without its results (an empty array stands in for them), and the findings that
/// become results, in order.
fn sarif_log(report: &Report) -> (Sarif, Vec<Pending<'_>>) {
    let mut scored: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.outcome() != Outcome::NotApplicable)
        .collect();
    // The finding id is unique per (cluster, resource, rule), so this order is total.
    scored.sort_by(|a, b| {
        (&a.rule.id, &a.resource.name, &a.event.id).cmp(&(
            &b.rule.id,
            &b.resource.name,
            &b.event.id,
        ))
    });

    let rules = rule_descriptors(&scored);
    let rule_index: BTreeMap<&str, i64> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i as i64))
        .collect();
    let results: Vec<Pending<'_>> = scored
        .iter()
        .filter_map(|f| level(f.outcome()).map(|level| (*f, level, rule_index[&*f.rule.id])))
        .collect();

    let driver = ToolComponent::builder()
        .name("kspm")
        .version(report.tool_version.clone())
        .information_uri(env!("CARGO_PKG_REPOSITORY"))
        .rules(rules)
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .invocations(vec![invocation(report)])
        .results(Vec::new())
        .properties(run_properties(report))
        .build();
    let log = Sarif::builder()
        .schema(SCHEMA_URI)
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build();
    (log, results)
}

/// The SARIF level of an outcome that becomes a result; `None` for outcomes that do not.
fn level(outcome: Outcome) -> Option<ResultLevel> {
    match outcome {
        Outcome::Failed => Some(ResultLevel::Error),
        Outcome::Error => Some(ResultLevel::Warning),
        Outcome::Manual => Some(ResultLevel::Note),
        Outcome::Passed | Outcome::NotApplicable => None,
    }
}

/// One descriptor per rule id, ordered by id. `findings` must be sorted by rule id.
fn rule_descriptors(findings: &[&Finding]) -> Vec<ReportingDescriptor> {
    findings
        .chunk_by(|a, b| a.rule.id == b.rule.id)
        .map(|same_rule| {
            let rule = &same_rule[0].rule;
            // A rule can carry several benchmark numberings across findings; tag them all.
            let mut tags = vec!["security".to_owned()];
            let mut benchmarks = Vec::new();
            for finding in same_rule {
                let bench = &finding.rule.benchmark;
                let entry = json!({"id": bench.id, "name": bench.name, "version": bench.version,
                                   "ruleNumber": bench.rule_number});
                if !benchmarks.contains(&entry) {
                    benchmarks.push(entry);
                }
                tags.push(bench.id.clone());
                if !bench.rule_number.is_empty() {
                    tags.push(format!("{} {}", bench.id, bench.rule_number));
                }
            }
            tags.extend(rule.tags.iter().cloned());
            let mut properties = PropertyBag::builder().tags(unique(tags)).build();
            properties
                .additional_properties
                .insert("section".into(), json!(rule.section));
            properties
                .additional_properties
                .insert("benchmarks".into(), Value::Array(benchmarks));
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
        })
        .collect()
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
    location.physical_location = finding.source.as_deref().map(physical_location);
    location
}

fn physical_location(source: &Origin) -> PhysicalLocation {
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
fn invocation(report: &Report) -> Invocation {
    let notifications: Vec<Notification> = report
        .input_errors
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

fn run_properties(report: &Report) -> PropertyBag {
    let tally = report.tally();
    let mut properties = PropertyBag::builder().build();
    properties.additional_properties.insert(
        "kspm".into(),
        json!({
            "resourcesEvaluated": report.resources_evaluated,
            "passed": tally.passed,
            "failed": tally.failed,
            "manual": tally.manual,
            "error": tally.error,
            "notApplicable": report.not_applicable,
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
    use serde_json::json;

    use super::*;
    use crate::fixtures::{Target, finding, from_source, rule, scored};

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
        let (log, results) = sarif_log(&report);
        let run = &log.runs[0];
        assert_eq!(results.len(), 1);
        assert_eq!(results[0].1, ResultLevel::Error);
        assert_eq!(run.tool.driver.rules.as_ref().unwrap().len(), 1);
    }

    #[test]
    fn streamed_results_give_the_bytes_of_the_whole_log_pretty_printed() {
        // More results than one window.
        let report = Report {
            findings: scored("cis_k8s", 10, 1100),
            ..Report::default()
        };
        let mut out = Vec::new();
        SarifEmitter.emit(&report, &mut out).unwrap();
        let (mut log, results) = sarif_log(&report);
        log.runs[0].results = Some(
            results
                .iter()
                .map(|(f, level, index)| result(f, *level, *index))
                .collect(),
        );
        let whole = format!("{}\n", serde_json::to_string_pretty(&log).unwrap());
        assert_eq!(String::from_utf8(out).unwrap(), whole);
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
