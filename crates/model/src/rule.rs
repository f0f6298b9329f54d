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
    /// Title under this benchmark when it differs from the rule's (`title`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Profile under this benchmark when it differs from the rule's (`profile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// Assessment under this benchmark when it differs from the rule's (`assessment`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment: Option<Assessment>,
    /// Default value under this benchmark's platform when it differs (`default_value`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_value: Option<String>,
    /// Remediation under this benchmark's platform when it differs (`remediation`); the same
    /// placeholders are filled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
}

impl BenchmarkRef {
    /// The remediation under this numbering: its own, else the rule's.
    pub fn remediation<'a>(&'a self, meta: &'a RuleMeta) -> &'a str {
        self.remediation.as_deref().unwrap_or(&meta.remediation)
    }
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
    /// What the rule reads from the inventory besides the resource it is evaluated on: kinds
    /// of Kubernetes objects (`ClusterRoleBinding`), `*` for every kind, or `<type>:<sub_type>`
    /// for node and cloud resources (`process:kube-apiserver`). When a source could not read
    /// one of them, the rule reports an error instead of judging missing data.
    #[serde(default)]
    pub reads: Vec<String>,
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
        if !is_ident(&self.id) {
            return Err(bad(
                "id must match [a-z][a-z0-9_]* (it is a Rego package name)",
            ));
        }
        if self.benchmarks.is_empty() {
            return Err(bad("at least one benchmark numbering is required"));
        }
        for read in &self.reads {
            let valid = match read.split_once(':') {
                Some((kind, sub)) => {
                    matches!(kind, "process" | "file" | "cloud") && !sub.trim().is_empty()
                }
                None => !read.trim().is_empty(),
            };
            if !valid {
                return Err(bad(&format!(
                    "reads: `{read}` is neither a kind, `*`, nor `process:`/`file:`/`cloud:<sub type>`"
                )));
            }
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

    /// [`RuleMeta::reads`] as (resource type, sub type); `*` as sub type means every one.
    pub fn read_kinds(&self) -> Vec<(ResourceType, &str)> {
        self.reads
            .iter()
            .map(|r| match r.split_once(':') {
                Some(("process", sub)) => (ResourceType::Process, sub),
                Some(("file", sub)) => (ResourceType::File, sub),
                Some(("cloud", sub)) => (ResourceType::Cloud, sub),
                _ => (ResourceType::K8sObject, r.as_str()),
            })
            .collect()
    }

    /// The numbering for a benchmark id, if the rule belongs to it.
    pub fn benchmark(&self, id: &str) -> Option<&BenchmarkRef> {
        self.benchmarks.iter().find(|b| b.id == id)
    }

    /// Every remediation text of the rule: its own and each numbering's override.
    pub fn remediations(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.remediation.as_str()).chain(
            self.benchmarks
                .iter()
                .filter_map(|b| b.remediation.as_deref()),
        )
    }
}

/// A benchmark, from `rules/<benchmark>/benchmark.yaml`: adding a benchmark is adding a folder
/// with this file and its rules, never editing code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BenchmarkDef {
    /// Id used by rules and on the command line (`cis_k8s`); `[a-z][a-z0-9_]*`.
    pub id: String,
    /// Display name (`CIS Kubernetes Benchmark`).
    pub name: String,
    /// Versions the rules may name, oldest first.
    pub versions: Vec<String>,
    /// Sections in reading order.
    pub sections: Vec<SectionDef>,
    /// Which platforms `--benchmark auto` (the default) evaluates this benchmark on: platform
    /// names (`eks`), or `!name` to mean every platform but that one. Empty: every platform.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<String>,
}

/// One section of a benchmark.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SectionDef {
    /// Section number (`1.2`) or, for benchmarks without numbered sections, a short id
    /// (`baseline`). A rule numbered `1.2.15` belongs to the deepest section whose number is a
    /// prefix of it (`1.2`, not `1`).
    pub id: String,
    /// Display name (`API Server`).
    pub name: String,
}

impl BenchmarkDef {
    /// Whether `--benchmark auto` picks this benchmark on `platform` (`unknown` when nothing
    /// told kspm what the cluster runs on).
    pub fn default_on(&self, platform: &str) -> bool {
        let (not, only): (Vec<&str>, Vec<&str>) = self
            .platforms
            .iter()
            .map(String::as_str)
            .partition(|p| p.starts_with('!'));
        !not.iter().any(|p| &p[1..] == platform) && (only.is_empty() || only.contains(&platform))
    }

    /// Checks the parts of the contract that serde cannot.
    pub fn validate(&self) -> Result<()> {
        let bad = |reason: String| Error::InvalidBenchmark {
            benchmark: self.id.clone(),
            reason,
        };
        if !is_ident(&self.id) {
            return Err(bad("id must match [a-z][a-z0-9_]*".into()));
        }
        if self.id == "all" {
            return Err(bad("`all` is reserved for every benchmark".into()));
        }
        if self.name.trim().is_empty() {
            return Err(bad("name is empty".into()));
        }
        if self.versions.is_empty() {
            return Err(bad("at least one version is required".into()));
        }
        let mut seen = std::collections::HashSet::new();
        for section in &self.sections {
            if section.id.trim().is_empty() || section.name.trim().is_empty() {
                return Err(bad("a section has an empty id or name".into()));
            }
            if !seen.insert(section.id.as_str()) {
                return Err(bad(format!("section `{}` is listed twice", section.id)));
            }
        }
        Ok(())
    }

    /// The section a rule number belongs to: the deepest section whose id is a dotted prefix of
    /// `number` (`1.2` for `1.2.15`), or else the section named `fallback` (benchmarks whose rules
    /// are not numbered by section, such as the Pod Security Standards' controls).
    pub fn section_of(&self, number: &str, fallback: Option<&str>) -> Option<&SectionDef> {
        self.sections
            .iter()
            .filter(|s| {
                number
                    .strip_prefix(s.id.as_str())
                    .is_some_and(|rest| rest.starts_with('.'))
            })
            .max_by_key(|s| s.id.len())
            .or_else(|| {
                let name = fallback?;
                self.sections.iter().find(|s| s.name == name)
            })
    }

    /// The position of a section in reading order (for sorting).
    pub fn section_order(&self, name: &str) -> Option<usize> {
        self.sections.iter().position(|s| s.name == name)
    }
}

fn is_ident(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cis() -> BenchmarkDef {
        BenchmarkDef {
            id: "cis_x".into(),
            name: "CIS X".into(),
            versions: vec!["1.0".into()],
            sections: vec![
                SectionDef {
                    id: "1".into(),
                    name: "Control Plane".into(),
                },
                SectionDef {
                    id: "1.2".into(),
                    name: "API Server".into(),
                },
                SectionDef {
                    id: "1.20".into(),
                    name: "Twenty".into(),
                },
            ],
            platforms: Vec::new(),
        }
    }

    #[test]
    fn auto_selection_follows_the_platform_list() {
        let mut b = cis();
        assert!(b.default_on("eks") && b.default_on("unknown"));
        b.platforms = vec!["eks".into()];
        assert!(b.default_on("eks"));
        assert!(!b.default_on("kubeadm") && !b.default_on("unknown"));
        b.platforms = vec!["!eks".into()];
        assert!(!b.default_on("eks"));
        assert!(b.default_on("kubeadm") && b.default_on("unknown"));
    }

    #[test]
    fn a_rule_number_belongs_to_its_deepest_section() {
        let b = cis();
        assert_eq!(b.section_of("1.2.15", None).unwrap().name, "API Server");
        assert_eq!(b.section_of("1.20.1", None).unwrap().name, "Twenty");
        assert_eq!(b.section_of("1.3.1", None).unwrap().name, "Control Plane");
        assert!(b.section_of("2.1", None).is_none());
        assert!(b.section_of("1", None).is_none());
    }

    #[test]
    fn unnumbered_rules_take_the_section_they_name() {
        let mut b = cis();
        b.sections.push(SectionDef {
            id: "baseline".into(),
            name: "Baseline".into(),
        });
        assert_eq!(
            b.section_of("privileged", Some("Baseline")).unwrap().id,
            "baseline"
        );
        assert!(b.section_of("privileged", Some("Nope")).is_none());
    }

    #[test]
    fn benchmark_definitions_are_validated() {
        assert!(cis().validate().is_ok());
        let mut b = cis();
        b.id = "all".into();
        assert!(b.validate().unwrap_err().to_string().contains("reserved"));
        let mut b = cis();
        b.sections.push(b.sections[0].clone());
        assert!(b.validate().unwrap_err().to_string().contains("twice"));
        let mut b = cis();
        b.id = "CIS".into();
        assert!(b.validate().is_err());
    }

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
