//! The finding document, in Elastic's cloud-security-posture field layout (DESIGN §5).

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Outcome;

/// One evaluation of one rule against one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Finding {
    /// When the evaluation ran (RFC 3339, UTC).
    #[serde(rename = "@timestamp")]
    pub timestamp: Arc<str>,
    /// ECS event fields.
    pub event: Event,
    /// The evaluated resource.
    pub resource: Arc<FindingResource>,
    /// Outcome, evidence and expectation.
    pub result: FindingResult,
    /// The rule, with its text.
    pub rule: Arc<FindingRule>,
    /// Cluster and Kubernetes object.
    pub orchestrator: Arc<Orchestrator>,
    /// The node, for node resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<Host>,
    /// File facts, for file resources (ECS `file.*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<Arc<Value>>,
    /// Process facts, for process resources (ECS `process.*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<Arc<Value>>,
    /// Cloud facts, for cloud resources (ECS `cloud.*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud: Option<Arc<Value>>,
    /// Where an offline resource was read from (file, document, line); kspm's own field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Arc<crate::Origin>>,
    /// Why the rule could not be evaluated, for `error` findings (ECS `error.message`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorInfo>,
}

/// ECS `event.*`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Event {
    /// Deterministic id of the (cluster, resource, rule) slot.
    pub id: String,
    /// Always `state`.
    pub kind: Arc<str>,
    /// Always `["configuration"]`.
    pub category: Arc<[String]>,
    /// Always `["info"]`.
    #[serde(rename = "type")]
    pub kind_type: Arc<[String]>,
    /// `success` when the rule ran, `failure` when it errored.
    pub outcome: Arc<str>,
    /// Cycle sequence number (Unix seconds of the cycle start).
    pub sequence: i64,
    /// When the finding was created (RFC 3339, UTC).
    pub created: Arc<str>,
}

/// `resource.*`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FindingResource {
    /// Deterministic resource id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// `k8s_object`, `file`, `process`, `cloud`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Kind, component, file kind or cloud service.
    pub sub_type: String,
    /// The facts the rule saw (secret values already redacted), kept as compact JSON text and
    /// shared between the findings of one resource.
    pub raw: Arc<crate::RawJson>,
}

/// `result.*`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FindingResult {
    /// The outcome.
    pub evaluation: Outcome,
    /// What was observed (compact JSON).
    pub evidence: crate::RawJson,
    /// What the rule expects (compact JSON).
    pub expected: Arc<crate::RawJson>,
}

/// `rule.benchmark.*`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FindingBenchmark {
    /// `cis_k8s`, `cis_eks`, `pss`.
    pub id: String,
    /// Human benchmark name.
    pub name: String,
    /// Newest version that carries this number (`v2.0.1`).
    pub version: String,
    /// Every version that carries this number.
    pub versions: Vec<String>,
    /// Number inside the benchmark.
    pub rule_number: String,
    /// Always `kspm`.
    pub posture_type: String,
}

// Thousands of findings share one rule's text: it is encoded as JSON once, the first time one
// of them is written, and copied from then on (`encoded`, a cache that is never cloned, so a
// changed copy is encoded again).
/// `rule.*`.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
pub struct FindingRule {
    /// Stable rule id.
    pub id: Arc<str>,
    /// Rule title.
    pub name: Arc<str>,
    /// What is checked.
    pub description: Arc<str>,
    /// Why it matters.
    pub rationale: Arc<str>,
    /// What a change may break.
    pub impact: Arc<str>,
    /// Kubernetes' default.
    pub default_value: Arc<str>,
    /// Remediation with placeholders filled for this resource.
    pub remediation: crate::Remediation,
    /// Further reading, one link per line.
    pub references: Arc<str>,
    /// Profile (`Level 1 - Master Node`).
    pub profile_applicability: Arc<str>,
    /// Benchmark section name.
    pub section: Arc<str>,
    /// Tags, including the benchmark and section number.
    pub tags: Arc<[String]>,
    /// Benchmark numbering.
    pub benchmark: Arc<FindingBenchmark>,
    /// The compact JSON of the fields above, once encoded.
    #[serde(skip)]
    #[schemars(skip)]
    pub encoded: JsonOnce,
}

/// The JSON encoding of a value, made at most once (see [`FindingRule`]). Compares equal to
/// any other. A clone does not cache: clones are the one-off copies made to change a field
/// (a remediation filled in for one resource), written once.
#[derive(Debug)]
pub struct JsonOnce(Option<std::sync::OnceLock<Box<serde_json::value::RawValue>>>);

impl Default for JsonOnce {
    fn default() -> Self {
        JsonOnce(Some(std::sync::OnceLock::new()))
    }
}

impl Clone for JsonOnce {
    fn clone(&self) -> Self {
        JsonOnce(None)
    }
}

impl PartialEq for JsonOnce {
    fn eq(&self, _: &JsonOnce) -> bool {
        true
    }
}

/// The fields of [`FindingRule`] as they are written.
#[derive(Serialize)]
struct FindingRuleFields<'a> {
    id: &'a str,
    name: &'a str,
    description: &'a str,
    rationale: &'a str,
    impact: &'a str,
    default_value: &'a str,
    remediation: &'a crate::Remediation,
    references: &'a str,
    profile_applicability: &'a str,
    section: &'a str,
    tags: &'a [String],
    benchmark: &'a FindingBenchmark,
}

impl Serialize for FindingRule {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let fields = FindingRuleFields {
            id: &self.id,
            name: &self.name,
            description: &self.description,
            rationale: &self.rationale,
            impact: &self.impact,
            default_value: &self.default_value,
            remediation: &self.remediation,
            references: &self.references,
            profile_applicability: &self.profile_applicability,
            section: &self.section,
            tags: &self.tags,
            benchmark: &self.benchmark,
        };
        let Some(cache) = &self.encoded.0 else {
            return fields.serialize(serializer);
        };
        if cache.get().is_none() {
            match serde_json::value::to_raw_value(&fields) {
                Ok(raw) => {
                    let _ = cache.set(raw);
                }
                Err(_) => return fields.serialize(serializer),
            }
        }
        match cache.get() {
            Some(raw) => raw.serialize(serializer),
            None => fields.serialize(serializer),
        }
    }
}

/// `orchestrator.*`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Orchestrator {
    /// Always `kubernetes`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The cluster.
    pub cluster: OrchestratorCluster,
    /// The Kubernetes object, for `k8s_object` resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<OrchestratorResource>,
}

/// `orchestrator.cluster.*`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OrchestratorCluster {
    /// Cluster id.
    pub id: String,
    /// Cluster name.
    pub name: String,
    /// Kubernetes version, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// `orchestrator.resource.*`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OrchestratorResource {
    /// Object UID, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Object name.
    pub name: String,
    /// Object kind.
    #[serde(rename = "type")]
    pub kind: String,
    /// Namespace, for namespaced objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// `host.*`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Host {
    /// Node name.
    pub name: String,
}

/// `error.*`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ErrorInfo {
    /// What went wrong, naming the rule and the cause.
    pub message: String,
}

impl Finding {
    /// The outcome.
    pub fn outcome(&self) -> Outcome {
        self.result.evaluation
    }
}

/// The findings of one resource, as the engine hands them to the sinks: in order (by rule
/// number, then rule id), with the scope of the cycle they belong to.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceFindings {
    /// The scope of the resource (cluster, its node, a cloud account).
    pub scope: crate::Scope,
    /// Its findings (`not_applicable` ones are not included).
    pub findings: Vec<Finding>,
}

/// JSON schema of the finding document.
pub fn finding_schema() -> Value {
    serde_json::to_value(schemars::schema_for!(Finding)).expect("schema serialises")
}

#[cfg(test)]
mod tests {
    #[test]
    fn finding_schema_is_stable() {
        insta::assert_json_snapshot!("finding_schema", super::finding_schema());
    }
}
