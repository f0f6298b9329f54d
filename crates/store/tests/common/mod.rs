//! Findings built in code, shared by the integration tests and the bench (`#[path]`).
#![allow(dead_code)]

use kspm_model::{
    ClusterInfo, Event, Finding, FindingBenchmark, FindingResource, FindingResult, FindingRule,
    Host, Orchestrator, OrchestratorCluster, OrchestratorResource, Outcome, RawJson, ResourceType,
    cluster_id_from_name, resource_id,
};
use kspm_store::{Clock, CycleStart, Store};
use serde_json::json;

/// A test cluster.
pub fn cluster(name: &str) -> ClusterInfo {
    ClusterInfo {
        id: cluster_id_from_name(name),
        name: name.into(),
        version: Some("v1.34.2".into()),
        platform: Some("kubeadm".into()),
    }
}

/// A rule: id, benchmark, number, title, section.
#[derive(Debug, Clone, Copy)]
pub struct RuleSpec {
    pub id: &'static str,
    pub benchmark: &'static str,
    pub number: &'static str,
    pub title: &'static str,
    pub section: &'static str,
}

pub const PRIVILEGED: RuleSpec = RuleSpec {
    id: "pod_privileged",
    benchmark: "cis_k8s",
    number: "5.2.2",
    title: "Pods do not run privileged containers",
    section: "Pod Security Standards",
};
pub const HOST_NETWORK: RuleSpec = RuleSpec {
    id: "pod_host_network",
    benchmark: "cis_k8s",
    number: "5.2.5",
    title: "Pods do not share the host network",
    section: "Pod Security Standards",
};
pub const ANON_AUTH: RuleSpec = RuleSpec {
    id: "api_server_anonymous_auth",
    benchmark: "cis_k8s",
    number: "1.2.1",
    title: "The API server refuses anonymous requests",
    section: "API Server",
};
pub const KUBELET_CONF_MODE: RuleSpec = RuleSpec {
    id: "kubelet_conf_mode",
    benchmark: "cis_k8s",
    number: "4.1.9",
    title: "The kubelet config file is not writable by others",
    section: "Worker Node Configuration Files",
};
pub const EKS_LOGGING: RuleSpec = RuleSpec {
    id: "eks_control_plane_logging",
    benchmark: "cis_eks",
    number: "2.1.1",
    title: "Control plane audit logs are enabled",
    section: "Logging",
};

/// The rule as a finding carries it.
pub fn rule(spec: &RuleSpec, remediation: &str) -> FindingRule {
    FindingRule {
        id: spec.id.into(),
        name: spec.title.into(),
        description: format!("Checks that {}.", spec.title.to_lowercase()).into(),
        rationale: "Less reach for an attacker.".into(),
        impact: "".into(),
        default_value: "".into(),
        remediation: remediation.into(),
        references: "".into(),
        profile_applicability: "Level 1 - Worker Node".into(),
        section: spec.section.into(),
        tags: vec![spec.benchmark.to_owned(), spec.section.to_owned()].into(),
        benchmark: FindingBenchmark {
            id: spec.benchmark.into(),
            name: match spec.benchmark {
                "cis_k8s" => "CIS Kubernetes Benchmark",
                "cis_eks" => "CIS Amazon Elastic Kubernetes Service (EKS) Benchmark",
                "pss" => "Kubernetes Pod Security Standards",
                other => other,
            }
            .into(),
            version: "v1.12".into(),
            versions: vec!["v1.12".into()],
            rule_number: spec.number.into(),
            posture_type: "kspm".into(),
        }
        .into(),
        encoded: Default::default(),
    }
}

fn event(id: &str, outcome: Outcome, at: i64) -> Event {
    Event {
        id: id.into(),
        kind: "state".into(),
        category: vec!["configuration".to_owned()].into(),
        kind_type: vec!["info".to_owned()].into(),
        outcome: if outcome == Outcome::Error {
            "failure"
        } else {
            "success"
        }
        .into(),
        sequence: at,
        created: kspm_model::rfc3339(at).into(),
    }
}

/// A Kubernetes object as a finding's resource: its uid is `name@namespace`.
pub fn object(
    cluster: &ClusterInfo,
    kind: &str,
    namespace: Option<&str>,
    name: &str,
    labels: &[(&str, &str)],
) -> (FindingResource, Option<OrchestratorResource>) {
    let uid = format!("{kind}/{}/{name}", namespace.unwrap_or(""));
    let labels: serde_json::Map<String, serde_json::Value> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), json!(v)))
        .collect();
    let raw = json!({"kind": kind, "metadata": {"name": name, "namespace": namespace, "uid": uid, "labels": labels}});
    let display = match namespace {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_owned(),
    };
    (
        FindingResource {
            id: resource_id(&cluster.id, ResourceType::K8sObject, &uid),
            name: display,
            kind: "k8s_object".into(),
            sub_type: kind.into(),
            raw: std::sync::Arc::new(RawJson::from(raw)),
        },
        Some(OrchestratorResource {
            id: Some(uid),
            name: name.into(),
            kind: kind.into(),
            namespace: namespace.map(Into::into),
        }),
    )
}

/// A file on a node as a finding's resource.
pub fn node_file(cluster: &ClusterInfo, node: &str, path: &str) -> FindingResource {
    FindingResource {
        id: resource_id(&cluster.id, ResourceType::File, &format!("{node}\0{path}")),
        name: path.into(),
        kind: "file".into(),
        sub_type: "file".into(),
        raw: std::sync::Arc::new(RawJson::from(json!({"path": path, "mode": "0644"}))),
    }
}

/// A finding about `resource` (with its orchestrator part) under `rule`.
pub fn finding(
    cluster: &ClusterInfo,
    (resource, orch): (FindingResource, Option<OrchestratorResource>),
    host: Option<&str>,
    spec: &RuleSpec,
    outcome: Outcome,
    at: i64,
) -> Finding {
    let id = kspm_model::finding_id(&cluster.id, &resource.id, spec.id);
    Finding {
        timestamp: kspm_model::rfc3339(at).into(),
        event: event(&id, outcome, at),
        result: FindingResult {
            evaluation: outcome,
            evidence: RawJson::from(
                json!({"observed": outcome.as_str(), "resource": resource.name}),
            ),
            expected: std::sync::Arc::new(RawJson::from(json!({"privileged": false}))),
        },
        rule: rule(spec, &format!("Fix {} now.", resource.name)).into(),
        resource: resource.into(),
        orchestrator: Orchestrator {
            kind: "kubernetes".into(),
            cluster: OrchestratorCluster {
                id: cluster.id.clone(),
                name: cluster.name.clone(),
                version: cluster.version.clone(),
            },
            resource: orch,
        }
        .into(),
        host: host.map(|h| Host { name: h.into() }),
        file: None,
        process: None,
        cloud: None,
        source: None,
        error: None,
    }
}

/// A pod finding.
pub fn pod(
    cluster: &ClusterInfo,
    ns: &str,
    name: &str,
    labels: &[(&str, &str)],
    spec: &RuleSpec,
    outcome: Outcome,
    at: i64,
) -> Finding {
    finding(
        cluster,
        object(cluster, "Pod", Some(ns), name, labels),
        None,
        spec,
        outcome,
        at,
    )
}

/// A node file finding.
pub fn file(
    cluster: &ClusterInfo,
    node: &str,
    path: &str,
    spec: &RuleSpec,
    outcome: Outcome,
    at: i64,
) -> Finding {
    finding(
        cluster,
        (node_file(cluster, node, path), None),
        Some(node),
        spec,
        outcome,
        at,
    )
}

/// A store in a fresh temporary directory, with a fixed clock.
pub fn store(now: i64) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open_with_clock(&dir.path().join("db/kspm.sqlite"), Clock::fixed(now))
        .expect("open store");
    (dir, store)
}

/// Runs a whole cycle in one batch and returns its summary.
pub fn cycle(
    store: &Store,
    id: &str,
    cluster: &ClusterInfo,
    scope: &str,
    at: i64,
    findings: &[Finding],
) -> kspm_store::CycleSummary {
    store
        .begin_cycle(&CycleStart {
            cycle_id: id.into(),
            cluster: cluster.clone(),
            scope: scope.parse().expect("a valid scope"),
            started_at: at,
        })
        .expect("begin");
    store.ingest_batch(id, 0, findings).expect("ingest");
    store.complete_cycle(id, at + 60).expect("complete")
}
