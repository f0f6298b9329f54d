use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Error, Outcome, ResourceType, Result};

/// Whether CIS expects a rule to be checked by a tool or by a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Assessment {
    /// CIS marks the rule Automated.
    Automated,
    /// CIS marks the rule Manual (kspm may still compute it from data).
    Manual,
}

/// A benchmark numbering of a rule: one rule can carry several (versions, other benchmarks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BenchmarkRef {
    /// Benchmark id: `cis_k8s`, `cis_eks`, `pss`.
    pub id: String,
    /// Versions that share this number (`["1.12", "2.0.1"]`).
    pub versions: Vec<String>,
    /// Rule number inside the benchmark (`5.1.1`) or control name for PSS.
    pub number: String,
}

/// Which resources a rule evaluates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppliesTo {
    /// Resource type.
    #[serde(rename = "type")]
    pub kind: ResourceType,
    /// Sub types (kinds, components); empty means every sub type of `type`.
    #[serde(default)]
    pub sub_types: Vec<String>,
    /// Whether objects managed by a controller that is itself in the scan (a Pod of a
    /// ReplicaSet, a ReplicaSet of a Deployment, a Job of a CronJob) are evaluated. Pod-spec
    /// rules say `false`: the finding belongs on the controller, and the engine skips such
    /// objects without calling the rule. Default `true`.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub owned: bool,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

impl AppliesTo {
    /// Whether a resource of this type and sub type is routed to the rule.
    pub fn matches(&self, kind: ResourceType, sub_type: &str) -> bool {
        self.kind == kind
            && (self.sub_types.is_empty() || self.sub_types.iter().any(|s| s == sub_type))
    }
}

/// Rule metadata, read from `meta.yaml`. All text is kspm's own words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleMeta {
    /// Stable rule id; also the Rego package suffix (`package kspm.rules.<id>`).
    pub id: String,
    /// Benchmark numberings.
    pub benchmarks: Vec<BenchmarkRef>,
    /// Short title.
    pub title: String,
    /// Benchmark section name (`RBAC and Service Accounts`).
    pub section: String,
    /// Profile applicability (`Level 1 - Master Node`, `baseline`, …).
    pub profile: String,
    /// Automated or manual per the benchmark.
    pub assessment: Assessment,
    /// Routing.
    pub applies_to: AppliesTo,
    /// What the rule checks.
    pub description: String,
    /// Why it matters.
    pub rationale: String,
    /// What changing the setting may break.
    #[serde(default)]
    pub impact: String,
    /// The value Kubernetes uses when nothing is set.
    #[serde(default)]
    pub default_value: String,
    /// Step-by-step remediation; may contain `{{placeholders}}` filled per finding.
    pub remediation: String,
    /// Links for further reading.
    #[serde(default)]
    pub references: Vec<String>,
    /// Free tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Outcomes among passed, failed and not_applicable that the rule can never produce, each
    /// with the reason (`{passed: "certificates are out of the scan's sight"}`). Every other
    /// one of those three needs a case in `cases.yaml`; the case harness checks both ways.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub outcomes_not_possible: BTreeMap<Outcome, String>,
}

impl RuleMeta {
    /// Checks the parts of the contract that serde cannot.
    pub fn validate(&self) -> Result<()> {
        let bad = |reason: &str| Error::InvalidRule {
            rule: self.id.clone(),
            reason: reason.to_owned(),
        };
        let mut chars = self.id.chars();
        let ident = chars.next().is_some_and(|c| c.is_ascii_lowercase())
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ident {
            return Err(bad(
                "id must match [a-z][a-z0-9_]* (it is a Rego package name)",
            ));
        }
        if self.benchmarks.is_empty() {
            return Err(bad("at least one benchmark numbering is required"));
        }
        for (outcome, reason) in &self.outcomes_not_possible {
            if !matches!(
                outcome,
                Outcome::Passed | Outcome::Failed | Outcome::NotApplicable
            ) {
                return Err(bad(&format!(
                    "outcomes_not_possible: {} is not one of passed, failed, not_applicable",
                    outcome.as_str()
                )));
            }
            if reason.trim().is_empty() {
                return Err(bad(&format!(
                    "outcomes_not_possible: {} needs a reason",
                    outcome.as_str()
                )));
            }
        }
        for (field, value) in [
            ("title", &self.title),
            ("section", &self.section),
            ("description", &self.description),
            ("rationale", &self.rationale),
            ("remediation", &self.remediation),
        ] {
            if value.trim().is_empty() {
                return Err(bad(&format!("{field} is empty")));
            }
        }
        Ok(())
    }

    /// The numbering for a benchmark id, if the rule belongs to it.
    pub fn benchmark(&self, id: &str) -> Option<&BenchmarkRef> {
        self.benchmarks.iter().find(|b| b.id == id)
    }
}

/// Human name of a benchmark id.
pub fn benchmark_name(id: &str) -> &str {
    match id {
        "cis_k8s" => "CIS Kubernetes Benchmark",
        "cis_eks" => "CIS Amazon Elastic Kubernetes Service (EKS) Benchmark",
        "pss" => "Kubernetes Pod Security Standards",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(extra: &str) -> Result<RuleMeta> {
        let text = format!(
            "{{\"id\": \"x\", \"benchmarks\": [{{\"id\": \"cis_k8s\", \"versions\": [\"1.12\"], \"number\": \"9.9\"}}], \"title\": \"t\", \"section\": \"s\", \"profile\": \"p\", \"assessment\": \"manual\", \"applies_to\": {{\"type\": \"k8s_object\"}}, \"description\": \"d\", \"rationale\": \"r\", \"remediation\": \"m\"{extra}}}"
        );
        let m: RuleMeta = serde_json::from_str(&text).map_err(|e| Error::InvalidRule {
            rule: "x".into(),
            reason: e.to_string(),
        })?;
        m.validate().map(|()| m)
    }

    #[test]
    fn outcomes_not_possible_need_a_reason_and_one_of_the_three_case_outcomes() {
        let m = meta(", \"outcomes_not_possible\": {\"passed\": \"never\"}").unwrap();
        assert_eq!(m.outcomes_not_possible[&Outcome::Passed], "never");
        assert!(meta(", \"outcomes_not_possible\": {\"passed\": \" \"}").is_err());
        assert!(meta(", \"outcomes_not_possible\": {\"manual\": \"x\"}").is_err());
        assert!(meta(", \"outcomes_not_possible\": {\"sometimes\": \"x\"}").is_err());
        assert!(meta("").unwrap().outcomes_not_possible.is_empty());
    }
}
