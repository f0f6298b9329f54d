//! Turning one rule result into a [`Finding`] document.

use kspm_model::{
    BenchmarkDef, ErrorInfo, Event, Finding, FindingBenchmark, FindingResource, FindingResult,
    FindingRule, Host, Orchestrator, OrchestratorCluster, OrchestratorResource, Origin, Outcome,
    RawJson, Remediation, Resource, ResourceType, RuleMeta, finding_id,
};
use std::sync::Arc;

use serde_json::{Value, json};

use crate::context::ScanContext;

/// What a rule said about a resource.
#[derive(Clone)]
pub(crate) struct RuleResult {
    pub outcome: Outcome,
    pub evidence: RawJson,
    pub expected: RawJson,
    pub error: Option<String>,
}

impl RuleResult {
    pub fn error(message: String) -> RuleResult {
        RuleResult {
            outcome: Outcome::Error,
            evidence: RawJson::new(&Value::Null),
            expected: RawJson::new(&Value::Null),
            error: Some(message),
        }
    }
}

/// The parts of a rule's finding text that are the same for every resource: built once per
/// scan and shared by all its findings.
pub(crate) struct RuleText {
    /// The rule part of every finding, with the remediation as written.
    shared: Arc<FindingRule>,
    template: Arc<str>,
    placeholders: Vec<Placeholder>,
    /// Some placeholder quotes the evidence (`{{evidence.…}}`), which must then be parsed.
    quotes_evidence: bool,
    /// The first `expected` value the rule returned: most rules return the same one for every
    /// resource, and their findings then share it.
    expected: std::sync::OnceLock<Arc<RawJson>>,
}

/// Values that are the same in every finding of a scan, allocated once.
pub(crate) struct Constants {
    timestamp: Arc<str>,
    state: Arc<str>,
    category: Arc<[String]>,
    kind_type: Arc<[String]>,
    success: Arc<str>,
    failure: Arc<str>,
}

impl Constants {
    pub fn new(ctx: &ScanContext) -> Constants {
        Constants {
            timestamp: ctx.timestamp.as_str().into(),
            state: "state".into(),
            category: Arc::from(vec!["configuration".to_owned()]),
            kind_type: Arc::from(vec!["info".to_owned()]),
            success: "success".into(),
            failure: "failure".into(),
        }
    }
}

/// The parts of a finding that are the same for every finding of one resource, built once per
/// resource and shared.
pub(crate) struct ResourceParts {
    resource: Arc<FindingResource>,
    orchestrator: Arc<Orchestrator>,
    source: Option<Arc<Origin>>,
}

impl ResourceParts {
    pub fn new(resource: &Resource, raw: &Arc<RawJson>) -> ResourceParts {
        ResourceParts {
            resource: Arc::new(FindingResource {
                id: resource.id.clone(),
                name: resource.name.clone(),
                kind: resource.kind.as_str().into(),
                sub_type: resource.sub_type.clone(),
                raw: raw.clone(),
            }),
            orchestrator: orchestrator(resource),
            source: resource.origin.clone().map(Arc::new),
        }
    }
}

fn orchestrator(resource: &Resource) -> Arc<Orchestrator> {
    let cluster = &resource.context.cluster;
    let orchestrator_resource =
        (resource.kind == ResourceType::K8sObject).then(|| OrchestratorResource {
            id: resource
                .resource
                .pointer("/metadata/uid")
                .and_then(Value::as_str)
                .map(str::to_owned),
            name: resource.short_name().to_owned(),
            kind: resource.sub_type.clone(),
            namespace: resource.namespace().map(str::to_owned),
        });
    Arc::new(Orchestrator {
        kind: "kubernetes".into(),
        cluster: OrchestratorCluster {
            id: cluster.id.clone(),
            name: cluster.name.clone(),
            version: cluster.version.clone(),
        },
        resource: orchestrator_resource,
    })
}

impl RuleText {
    /// The rule part of its findings, remediation unfilled.
    pub fn shared(&self) -> &Arc<FindingRule> {
        &self.shared
    }

    /// The text of `meta` numbered in the first of `selected` benchmarks it belongs to (its
    /// first numbering when none is selected), with names from the benchmark definitions.
    pub fn new(meta: &RuleMeta, selected: &[String], benchmarks: &[BenchmarkDef]) -> RuleText {
        let bench = selected
            .iter()
            .find_map(|id| meta.benchmark(id))
            .or_else(|| meta.benchmarks.first())
            .expect("validated rules have a benchmark");
        let def = benchmarks.iter().find(|b| b.id == bench.id);
        let section = def
            .and_then(|d| d.section_of(&bench.number, Some(&meta.section)))
            .map_or(meta.section.as_str(), |s| s.name.as_str());
        let versions: Vec<String> = bench
            .versions
            .iter()
            .map(|v| format!("v{}", v.trim_start_matches('v')))
            .collect();
        let mut tags = vec![bench.id.to_uppercase().replace('_', " ")];
        if let Some((section, _)) = bench.number.rsplit_once('.') {
            tags.push(format!("{} {section}", bench.id));
        }
        tags.extend(meta.tags.iter().cloned());
        let remediation = bench.remediation(meta);
        let template: Arc<str> = remediation.into();
        let shared = FindingRule {
            id: meta.id.as_str().into(),
            name: bench.title.as_deref().unwrap_or(&meta.title).into(),
            description: meta.description.as_str().into(),
            rationale: meta.rationale.as_str().into(),
            impact: meta.impact.as_str().into(),
            default_value: bench
                .default_value
                .as_deref()
                .unwrap_or(&meta.default_value)
                .into(),
            references: meta.references.join("\n").into(),
            section: section.into(),
            profile_applicability: bench.profile.as_deref().unwrap_or(&meta.profile).into(),
            tags: tags.into(),
            remediation: Remediation::new(template.clone()),
            benchmark: Arc::new(FindingBenchmark {
                id: bench.id.clone(),
                name: def.map_or(bench.id.as_str(), |d| d.name.as_str()).into(),
                version: versions.last().cloned().unwrap_or_default(),
                versions,
                rule_number: bench.number.clone(),
                posture_type: "kspm".into(),
            }),
            encoded: Default::default(),
        };
        RuleText {
            shared: Arc::new(shared),
            template,
            placeholders: placeholders(remediation),
            quotes_evidence: remediation.contains("{{evidence."),
            expected: std::sync::OnceLock::new(),
        }
    }
}

/// Builds the finding document.
pub(crate) fn build(
    resource: &Resource,
    meta: &RuleMeta,
    text: &RuleText,
    result: RuleResult,
    ctx: &ScanContext,
    constants: &Constants,
    parts: &ResourceParts,
) -> Finding {
    let cluster = &resource.context.cluster;
    // Evidence stays compact text; it is parsed only for remediation that quotes it.
    let evidence = if text.quotes_evidence {
        result.evidence.to_value()
    } else {
        Value::Null
    };
    let rule = if !text.placeholders.is_empty() {
        let template = text.template.clone();
        let fills = resolve(&text.placeholders, resource, &evidence).0;
        Arc::new(FindingRule {
            remediation: Remediation::filled(template, fills),
            ..FindingRule::clone(&text.shared)
        })
    } else {
        text.shared.clone()
    };
    Finding {
        timestamp: constants.timestamp.clone(),
        event: Event {
            id: finding_id(&cluster.id, &resource.id, &meta.id),
            kind: constants.state.clone(),
            category: constants.category.clone(),
            kind_type: constants.kind_type.clone(),
            outcome: if result.outcome == Outcome::Error {
                constants.failure.clone()
            } else {
                constants.success.clone()
            },
            sequence: ctx.sequence,
            created: constants.timestamp.clone(),
        },
        resource: parts.resource.clone(),
        result: FindingResult {
            evaluation: result.outcome,
            evidence: result.evidence,
            expected: match text.expected.get() {
                Some(first) if first.as_str() == result.expected.as_str() => first.clone(),
                _ => {
                    let expected = Arc::new(result.expected);
                    let _ = text.expected.set(expected.clone());
                    expected
                }
            },
        },
        rule,
        orchestrator: parts.orchestrator.clone(),
        host: resource.context.node.as_ref().map(|n| Host {
            name: n.name.clone(),
        }),
        file: (resource.kind == ResourceType::File).then(|| resource.resource.clone()),
        process: (resource.kind == ResourceType::Process).then(|| resource.resource.clone()),
        cloud: (resource.kind == ResourceType::Cloud).then(|| resource.resource.clone()),
        source: parts.source.clone(),
        error: result.error.map(|message| ErrorInfo { message }),
    }
}

/// Fills `{{placeholders}}` in remediation text for one resource. Returns the text and the
/// placeholders that did not resolve (left in place, visible).
pub fn fill_placeholders(
    text: &str,
    resource: &Resource,
    evidence: &Value,
) -> (String, Vec<String>) {
    let (fills, unresolved) = placeholder_values(text, resource, evidence);
    let filled = Remediation::filled(text.into(), fills).text().into_owned();
    (filled, unresolved)
}

/// The byte range and value of every placeholder of `text` that resolves for this resource,
/// and the keys of those that do not (they stay in the text, visible).
pub(crate) fn placeholder_values(
    text: &str,
    resource: &Resource,
    evidence: &Value,
) -> (Vec<(usize, usize, String)>, Vec<String>) {
    resolve(&placeholders(text), resource, evidence)
}

/// A `{{key}}` of a remediation template: its byte range and trimmed key.
#[derive(Debug)]
pub(crate) struct Placeholder {
    start: usize,
    end: usize,
    key: String,
}

/// The placeholders of a template, in order (found once per rule, not per finding).
pub(crate) fn placeholders(text: &str) -> Vec<Placeholder> {
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(offset) = text[at..].find("{{") {
        let start = at + offset;
        let Some(len) = text[start + 2..].find("}}") else {
            break;
        };
        let end = start + 2 + len + 2;
        found.push(Placeholder {
            start,
            end,
            key: text[start + 2..start + 2 + len].trim().to_owned(),
        });
        at = end;
    }
    found
}

fn resolve(
    placeholders: &[Placeholder],
    resource: &Resource,
    evidence: &Value,
) -> (Vec<(usize, usize, String)>, Vec<String>) {
    let mut fills = Vec::new();
    let mut unresolved = Vec::new();
    for p in placeholders {
        match lookup(&p.key, resource, evidence) {
            Some(v) => fills.push((p.start, p.end, v)),
            None => unresolved.push(p.key.clone()),
        }
    }
    (fills, unresolved)
}

fn lookup(key: &str, resource: &Resource, evidence: &Value) -> Option<String> {
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    match key {
        "resource.name" => non_empty(resource.short_name()),
        // A manifest without a namespace lands in the namespace kubectl is pointed at; the
        // remediation names `default`, kubectl's own default.
        "resource.namespace" => match resource.kind {
            ResourceType::K8sObject => Some(
                resource
                    .namespace()
                    .filter(|n| !n.is_empty())
                    .unwrap_or("default")
                    .to_owned(),
            ),
            _ => None,
        },
        "resource.kind" => non_empty(&resource.sub_type.to_lowercase()),
        "resource.id" => Some(resource.id.clone()),
        "cluster.name" => non_empty(&resource.context.cluster.name),
        "node.name" => resource
            .context
            .node
            .as_ref()
            .and_then(|n| non_empty(&n.name)),
        "file.path" => resource
            .resource
            .get("path")
            .and_then(Value::as_str)
            .and_then(non_empty),
        _ => {
            let field = key.strip_prefix("evidence.")?;
            match evidence.get(field)? {
                Value::String(s) => non_empty(s),
                Value::Number(n) => Some(n.to_string()),
                Value::Bool(b) => Some(b.to_string()),
                Value::Array(items) => {
                    let parts: Option<Vec<String>> = items
                        .iter()
                        .map(|v| match v {
                            Value::String(s) => Some(s.clone()),
                            Value::Number(_) | Value::Bool(_) => Some(v.to_string()),
                            _ => None,
                        })
                        .collect();
                    parts.filter(|p| !p.is_empty()).map(|p| p.join(", "))
                }
                _ => None,
            }
        }
    }
}

/// Reads a rule's `finding` value straight from the engine's value (no intermediate tree).
pub(crate) fn parse_rule_output(rule_id: &str, value: &regorus::Value) -> RuleResult {
    let evaluation = match &value["evaluation"] {
        regorus::Value::String(s) => Some(s.as_ref()),
        _ => None,
    };
    let outcome = match evaluation {
        Some("passed") => Outcome::Passed,
        Some("failed") => Outcome::Failed,
        Some("manual") => Outcome::Manual,
        // A rule reports that its data could not be read (an unreadable file, say): an error
        // finding whose message is the rule's `evidence.error`, evidence kept.
        Some("error") => {
            let message = match &value["evidence"]["error"] {
                regorus::Value::String(s) => s.to_string(),
                _ => format!("rule `{rule_id}` could not evaluate its input"),
            };
            return RuleResult {
                outcome: Outcome::Error,
                evidence: RawJson::new(&value["evidence"]),
                expected: match &value["expected"] {
                    regorus::Value::Undefined => RawJson::new(&json!({})),
                    v => RawJson::new(v),
                },
                error: Some(message),
            };
        }
        other => {
            return RuleResult::error(format!(
                "rule `{rule_id}` returned evaluation {} (expected passed, failed, manual or error)",
                other.map_or_else(|| "nothing".to_owned(), |o| format!("`{o}`"))
            ));
        }
    };
    let field = |key: &str| match &value[key] {
        regorus::Value::Undefined => RawJson::new(&json!({})),
        v => RawJson::new(v),
    };
    RuleResult {
        outcome,
        evidence: field("evidence"),
        expected: field("expected"),
        error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kspm_model::ClusterInfo;

    fn pod() -> Resource {
        Resource::k8s_object(
            json!({"kind": "Pod", "metadata": {"name": "web", "namespace": "shop"}}),
            ClusterInfo {
                id: "c".into(),
                name: "prod".into(),
                ..Default::default()
            },
        )
    }

    #[test]
    fn placeholders_are_filled_from_resource_and_evidence() {
        let text = "kubectl -n {{resource.namespace}} edit {{resource.kind}} {{ resource.name }} # {{evidence.containers}} on {{cluster.name}}";
        let (out, missing) = fill_placeholders(text, &pod(), &json!({"containers": ["a", "b"]}));
        assert_eq!(out, "kubectl -n shop edit pod web # a, b on prod");
        assert!(missing.is_empty());
    }

    #[test]
    fn unresolved_placeholders_stay_visible_and_are_reported() {
        let (out, missing) = fill_placeholders(
            "chmod 600 {{file.path}} {{evidence.nope}}",
            &pod(),
            &json!({}),
        );
        assert_eq!(out, "chmod 600 {{file.path}} {{evidence.nope}}");
        assert_eq!(missing, ["file.path", "evidence.nope"]);
    }

    #[test]
    fn a_rule_may_report_unreadable_data_as_an_error_with_its_message() {
        let r = parse_rule_output(
            "r1",
            &regorus::Value::from(
                json!({"evaluation": "error", "evidence": {"error": "permission denied", "path": "/x"}}),
            ),
        );
        assert_eq!(r.outcome, Outcome::Error);
        assert_eq!(r.error.as_deref(), Some("permission denied"));
        assert!(r.evidence.as_str().contains("/x"));
    }

    #[test]
    fn unknown_evaluation_becomes_an_error_naming_the_rule() {
        let r = parse_rule_output("r1", &regorus::Value::from(json!({"evaluation": "pass"})));
        assert_eq!(r.outcome, Outcome::Error);
        assert!(
            r.error
                .unwrap()
                .contains("rule `r1` returned evaluation `pass`")
        );
    }
}
