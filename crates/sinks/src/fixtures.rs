//! Findings built in code for tests: shared by the unit tests (as `crate::fixtures`) and the
//! integration tests (included with `#[path]`), so both test the same documents.
#![allow(dead_code)]

use kspm_model::{
    ErrorInfo, Event, FileLocation, Finding, FindingBenchmark, FindingResource, FindingResult,
    FindingRule, Host, Orchestrator, OrchestratorCluster, OrchestratorResource, Origin, Outcome,
    ResourceType, finding_id, resource_id,
};
use serde_json::Value;

/// The cluster every fixture finding belongs to.
pub const CLUSTER_ID: &str = "c0ffee00-0000-4000-8000-000000000001";

/// A rule as findings carry it.
pub fn rule(id: &str, benchmark: &str, number: &str, title: &str, section: &str) -> FindingRule {
    FindingRule {
        id: id.into(),
        name: title.into(),
        description: format!("What the rule \"{title}\" checks.").into(),
        rationale: "Reduces what an attacker can reach.".into(),
        impact: "".into(),
        default_value: "".into(),
        remediation: format!("Change the resource as \"{title}\" asks, then apply it again.")
            .into(),
        references: "".into(),
        profile_applicability: "Level 1 - Master Node".into(),
        section: section.into(),
        tags: vec![benchmark.to_uppercase().replace('_', " "), section.into()].into(),
        benchmark: std::sync::Arc::new(FindingBenchmark {
            id: benchmark.into(),
            name: match benchmark {
                "cis_k8s" => "CIS Kubernetes Benchmark",
                "pss" => "Kubernetes Pod Security Standards",
                other => other,
            }
            .into(),
            version: "v1.12".into(),
            versions: vec!["v1.12".into()],
            rule_number: number.into(),
            posture_type: "kspm".into(),
        }),
        encoded: Default::default(),
    }
}

/// What a finding is about.
#[derive(Debug, Clone)]
pub enum Target {
    /// A Kubernetes object.
    Object {
        /// Kind.
        kind: String,
        /// Namespace, for namespaced kinds.
        namespace: Option<String>,
        /// Name.
        name: String,
    },
    /// A file on a node.
    NodeFile {
        /// Node name.
        node: String,
        /// Host path.
        path: String,
    },
}

impl Target {
    /// A namespaced (or, with `None`, cluster-scoped) Kubernetes object.
    pub fn object(kind: &str, namespace: Option<&str>, name: &str) -> Target {
        Target::Object {
            kind: kind.into(),
            namespace: namespace.map(Into::into),
            name: name.into(),
        }
    }

    /// A file on a node.
    pub fn node_file(node: &str, path: &str) -> Target {
        Target::NodeFile {
            node: node.into(),
            path: path.into(),
        }
    }
}

/// A finding of `rule` about `target` with the given outcome and evidence.
pub fn finding(rule: &FindingRule, target: &Target, outcome: Outcome, evidence: Value) -> Finding {
    let (kind, sub_type, stable_key, display, orchestrator_resource, host) = match target {
        Target::Object {
            kind,
            namespace,
            name,
        } => {
            let ns = namespace.as_deref().unwrap_or("");
            let display = if ns.is_empty() {
                name.clone()
            } else {
                format!("{ns}/{name}")
            };
            let object = OrchestratorResource {
                id: None,
                name: name.clone(),
                kind: kind.clone(),
                namespace: namespace.clone(),
            };
            (
                ResourceType::K8sObject,
                kind.clone(),
                format!("{kind}/{ns}/{name}"),
                display,
                Some(object),
                None,
            )
        }
        Target::NodeFile { node, path } => (
            ResourceType::File,
            "file".to_owned(),
            format!("{node}\0{path}"),
            path.clone(),
            None,
            Some(Host { name: node.clone() }),
        ),
    };
    let resource = resource_id(CLUSTER_ID, kind, &stable_key);
    Finding {
        timestamp: "2025-01-02T03:04:05Z".into(),
        event: Event {
            id: finding_id(CLUSTER_ID, &resource, &rule.id),
            kind: "state".into(),
            category: vec!["configuration".to_owned()].into(),
            kind_type: vec!["info".to_owned()].into(),
            outcome: if outcome == Outcome::Error {
                "failure"
            } else {
                "success"
            }
            .into(),
            sequence: 1_735_787_045,
            created: "2025-01-02T03:04:05Z".into(),
        },
        resource: std::sync::Arc::new(FindingResource {
            id: resource,
            name: display,
            kind: kind.as_str().into(),
            sub_type,
            raw: std::sync::Arc::new(Value::Null.into()),
        }),
        result: FindingResult {
            evaluation: outcome,
            evidence: evidence.into(),
            expected: std::sync::Arc::new(Value::Null.into()),
        },
        rule: std::sync::Arc::new(rule.clone()),
        orchestrator: std::sync::Arc::new(Orchestrator {
            kind: "kubernetes".into(),
            cluster: OrchestratorCluster {
                id: CLUSTER_ID.into(),
                name: "fixture".into(),
                version: None,
            },
            resource: orchestrator_resource,
        }),
        host,
        file: None,
        process: None,
        cloud: None,
        source: None,
        error: None,
    }
}

/// Marks where the resource was read from.
pub fn from_source(mut finding: Finding, file: &str, line: usize) -> Finding {
    finding.source = Some(std::sync::Arc::new(Origin::File(FileLocation {
        file: file.into(),
        document: 0,
        line,
    })));
    finding
}

/// Attaches the reason an `error` finding could not be evaluated.
pub fn with_error(mut finding: Finding, message: &str) -> Finding {
    finding.error = Some(ErrorInfo {
        message: message.into(),
    });
    finding
}

/// `passed` passing and `failed` failing findings of one rule over as many distinct pods.
pub fn scored(benchmark: &str, passed: usize, failed: usize) -> Vec<Finding> {
    let rule = rule(
        "fixture_rule",
        benchmark,
        "1.1.1",
        "Fixture rule holds",
        "Fixtures",
    );
    let outcomes = std::iter::repeat_n(Outcome::Passed, passed)
        .chain(std::iter::repeat_n(Outcome::Failed, failed));
    outcomes
        .enumerate()
        .map(|(i, outcome)| {
            finding(
                &rule,
                &Target::object("Pod", Some("ns"), &format!("pod-{i}")),
                outcome,
                Value::Null,
            )
        })
        .collect()
}
