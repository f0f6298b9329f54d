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

// Thousands of findings share one rule's text, most of them with their own remediation (its
// placeholders filled for their resource). Every field but the remediation is encoded as JSON
// once per rule, the first time one of its findings is written, and copied from then on: the
// cache (`encoded`) is shared by the copies that fill in a remediation, and it is used only
// while a copy still holds the very values it was made from (a copy with another field changed
// is encoded again).
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
    /// The compact JSON of every field but the remediation, once encoded.
    #[serde(skip)]
    #[schemars(skip)]
    pub encoded: RuleJson,
}

/// The JSON encoding of a rule's fields around its remediation, made at most once and shared
/// by the copies of the rule (see [`FindingRule`]). Compares equal to any other.
#[derive(Debug, Clone, Default)]
pub struct RuleJson(Arc<std::sync::OnceLock<RuleJsonParts>>);

impl PartialEq for RuleJson {
    fn eq(&self, _: &RuleJson) -> bool {
        true
    }
}

#[derive(Debug)]
struct RuleJsonParts {
    /// The rule the text was encoded from: its values, to tell a changed copy.
    from: FindingRuleSource,
    /// `{"id":…,…,"default_value":…,"remediation":`
    head: Box<str>,
    /// `,"references":…,"benchmark":{…}}`
    tail: Box<str>,
}

/// The values of a rule that [`RuleJsonParts`] encodes (shared, so cheap to keep and compare).
#[derive(Debug)]
struct FindingRuleSource {
    text: [Arc<str>; 9],
    tags: Arc<[String]>,
    benchmark: Arc<FindingBenchmark>,
}

impl FindingRuleSource {
    fn of(rule: &FindingRule) -> FindingRuleSource {
        FindingRuleSource {
            text: [
                rule.id.clone(),
                rule.name.clone(),
                rule.description.clone(),
                rule.rationale.clone(),
                rule.impact.clone(),
                rule.default_value.clone(),
                rule.references.clone(),
                rule.profile_applicability.clone(),
                rule.section.clone(),
            ],
            tags: rule.tags.clone(),
            benchmark: rule.benchmark.clone(),
        }
    }

    fn is(&self, rule: &FindingRule) -> bool {
        let now = [
            &rule.id,
            &rule.name,
            &rule.description,
            &rule.rationale,
            &rule.impact,
            &rule.default_value,
            &rule.references,
            &rule.profile_applicability,
            &rule.section,
        ];
        self.text.iter().zip(now).all(|(a, b)| Arc::ptr_eq(a, b))
            && Arc::ptr_eq(&self.tags, &rule.tags)
            && Arc::ptr_eq(&self.benchmark, &rule.benchmark)
    }
}

/// The fields of [`FindingRule`] before the remediation, as they are written.
#[derive(Serialize)]
struct FindingRuleHead<'a> {
    id: &'a str,
    name: &'a str,
    description: &'a str,
    rationale: &'a str,
    impact: &'a str,
    default_value: &'a str,
}

/// The fields of [`FindingRule`] after the remediation, as they are written.
#[derive(Serialize)]
struct FindingRuleTail<'a> {
    references: &'a str,
    profile_applicability: &'a str,
    section: &'a str,
    tags: &'a [String],
    benchmark: &'a FindingBenchmark,
}

/// Every field of [`FindingRule`], as they are written.
struct FindingRuleFields<'a> {
    head: FindingRuleHead<'a>,
    remediation: &'a crate::Remediation,
    tail: FindingRuleTail<'a>,
}

impl Serialize for FindingRuleFields<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let (h, t) = (&self.head, &self.tail);
        let mut s = serializer.serialize_struct("FindingRule", 12)?;
        s.serialize_field("id", h.id)?;
        s.serialize_field("name", h.name)?;
        s.serialize_field("description", h.description)?;
        s.serialize_field("rationale", h.rationale)?;
        s.serialize_field("impact", h.impact)?;
        s.serialize_field("default_value", h.default_value)?;
        s.serialize_field("remediation", self.remediation)?;
        s.serialize_field("references", t.references)?;
        s.serialize_field("profile_applicability", t.profile_applicability)?;
        s.serialize_field("section", t.section)?;
        s.serialize_field("tags", t.tags)?;
        s.serialize_field("benchmark", t.benchmark)?;
        s.end()
    }
}

impl FindingRule {
    fn head(&self) -> FindingRuleHead<'_> {
        FindingRuleHead {
            id: &self.id,
            name: &self.name,
            description: &self.description,
            rationale: &self.rationale,
            impact: &self.impact,
            default_value: &self.default_value,
        }
    }

    fn tail(&self) -> FindingRuleTail<'_> {
        FindingRuleTail {
            references: &self.references,
            profile_applicability: &self.profile_applicability,
            section: &self.section,
            tags: &self.tags,
            benchmark: &self.benchmark,
        }
    }

    /// The head and tail of the encoding, made now if this is the first use.
    fn encode_parts(&self) -> Option<RuleJsonParts> {
        let head = serde_json::to_string(&self.head()).ok()?;
        let tail = serde_json::to_string(&self.tail()).ok()?;
        let head = format!("{},\"remediation\":", head.strip_suffix('}')?);
        let tail = format!(",{}", tail.strip_prefix('{')?);
        Some(RuleJsonParts {
            from: FindingRuleSource::of(self),
            head: head.into(),
            tail: tail.into(),
        })
    }

    /// Appends the rule as compact JSON, the same text as its `Serialize`, copying the fields
    /// around the remediation from the shared encoding when it was made from this rule's
    /// values.
    pub fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        let cache = &self.encoded.0;
        if cache.get().is_none()
            && let Some(parts) = self.encode_parts()
        {
            let _ = cache.set(parts);
        }
        match cache.get().filter(|p| p.from.is(self)) {
            Some(parts) => {
                out.extend_from_slice(parts.head.as_bytes());
                serde_json::to_writer(&mut *out, &self.remediation)?;
                out.extend_from_slice(parts.tail.as_bytes());
                Ok(())
            }
            None => serde_json::to_writer(out, self),
        }
    }
}

impl Serialize for FindingRule {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        FindingRuleFields {
            head: self.head(),
            remediation: &self.remediation,
            tail: self.tail(),
        }
        .serialize(serializer)
    }
}

/// The fields of [`Finding`] before `rule`, as they are written.
#[derive(Serialize)]
struct FindingBeforeRule<'a> {
    #[serde(rename = "@timestamp")]
    timestamp: &'a str,
    event: &'a Event,
    resource: &'a FindingResource,
    result: &'a FindingResult,
}

/// The fields of [`Finding`] after `rule`, as they are written.
#[derive(Serialize)]
struct FindingAfterRule<'a> {
    orchestrator: &'a Orchestrator,
    #[serde(skip_serializing_if = "Option::is_none")]
    host: &'a Option<Host>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: &'a Option<Arc<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    process: &'a Option<Arc<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cloud: &'a Option<Arc<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: &'a Option<Arc<crate::Origin>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: &'a Option<ErrorInfo>,
}

impl Finding {
    /// Appends the finding as compact JSON: the same text as `serde_json::to_writer`, written
    /// faster (the rule's text is copied from its shared encoding, see [`FindingRule`]).
    pub fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        let before = FindingBeforeRule {
            timestamp: &self.timestamp,
            event: &self.event,
            resource: &self.resource,
            result: &self.result,
        };
        serde_json::to_writer(&mut *out, &before)?;
        // `{…}` → `{…,"rule":`
        out.pop();
        out.extend_from_slice(b",\"rule\":");
        self.rule.write_json(out)?;
        let after = FindingAfterRule {
            orchestrator: &self.orchestrator,
            host: &self.host,
            file: &self.file,
            process: &self.process,
            cloud: &self.cloud,
            source: &self.source,
            error: &self.error,
        };
        let at = out.len();
        serde_json::to_writer(&mut *out, &after)?;
        // `{"orchestrator":…}` → `,"orchestrator":…}`
        out[at] = b',';
        Ok(())
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
    use super::*;

    fn finding(extra: Value) -> Finding {
        let mut doc = serde_json::json!({
            "@timestamp": "2026-12-03T06:00:00Z",
            "event": {"id": "e-1", "kind": "state", "category": ["configuration"],
                "type": ["info"], "outcome": "success", "sequence": 7,
                "created": "2026-12-03T06:00:00Z"},
            "resource": {"id": "r-1", "name": "shop/web", "type": "k8s_object",
                "sub_type": "Pod", "raw": {"kind": "Pod", "metadata": {"name": "web"}}},
            "result": {"evaluation": "failed", "evidence": {"a": [1, "\"quoted\""]},
                "expected": {"b": false}},
            "rule": {"id": "x", "name": "Keep \"x\" off", "description": "line 1\nline 2\ttab",
                "rationale": "r", "impact": "i", "default_value": "d",
                "remediation": "1. run `kubectl -n {{resource.namespace}} get pods`\n",
                "references": "https://example.com/a\nhttps://example.com/b",
                "profile_applicability": "Level 1", "section": "S", "tags": ["CIS K8S", "t"],
                "benchmark": {"id": "cis_k8s", "name": "CIS", "version": "v2.0.1",
                    "versions": ["v1.12", "v2.0.1"], "rule_number": "5.2.1",
                    "posture_type": "kspm"}},
            "orchestrator": {"type": "kubernetes", "cluster": {"id": "c", "name": "local"}}
        });
        for (k, v) in extra.as_object().unwrap() {
            doc[k] = v.clone();
        }
        serde_json::from_value(doc).unwrap()
    }

    fn fast(f: &Finding) -> String {
        let mut out = Vec::new();
        f.write_json(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn fast_json_is_the_serde_json_text_for_shared_filled_and_changed_rules() {
        let optional = serde_json::json!({"host": {"name": "node-1"},
            "file": {"path": "/etc/x", "mode": "0644"}, "source": {"file": "a.yaml", "document": 1, "line": 3},
            "error": {"message": "it \"broke\""}});
        for f in [finding(serde_json::json!({})), finding(optional)] {
            assert_eq!(fast(&f), serde_json::to_string(&f).unwrap());
            // A copy with its own remediation shares the rule's encoding.
            let mut filled = f.clone();
            let template = f.rule.remediation.text().into_owned();
            let (start, end) = (
                template.find("{{").unwrap(),
                template.find("}}").unwrap() + 2,
            );
            filled.rule = Arc::new(FindingRule {
                remediation: crate::Remediation::filled(
                    template.into(),
                    vec![(start, end, "shop \"a\"".into())],
                ),
                ..FindingRule::clone(&f.rule)
            });
            assert!(fast(&filled).contains(r#"kubectl -n shop \"a\" get pods"#));
            assert_eq!(fast(&filled), serde_json::to_string(&filled).unwrap());
            // A copy with another field changed is encoded again, not copied from the cache.
            let mut renamed = f.clone();
            renamed.rule = Arc::new(FindingRule {
                name: "Another name".into(),
                ..FindingRule::clone(&f.rule)
            });
            assert!(fast(&renamed).contains("Another name"));
            assert_eq!(fast(&renamed), serde_json::to_string(&renamed).unwrap());
        }
    }

    #[test]
    fn finding_schema_is_stable() {
        insta::assert_json_snapshot!("finding_schema", super::finding_schema());
    }
}
