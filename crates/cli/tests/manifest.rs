//! `kspm manifest`: every document is a valid Kubernetes object, the agent's access is what
//! the README promises (read-only, least privilege, never Secrets), and kspm's own rules judge
//! the result as its comments say.

mod common;

use std::collections::BTreeSet;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::core::v1::{
    Namespace, PersistentVolumeClaim, Secret, Service, ServiceAccount,
};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use serde_json::Value;

fn manifest(args: &[&str]) -> String {
    let out = common::kspm().arg("manifest").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn documents(text: &str) -> Vec<Value> {
    text.split("\n---\n")
        .skip(1)
        .map(|doc| {
            kspm_yaml::parse_document(doc)
                .unwrap_or_else(|e| panic!("{e:?} in\n{doc}"))
                .value
                .unwrap()
        })
        .collect()
}

fn typed<T: serde::de::DeserializeOwned>(doc: &Value) -> T {
    serde_json::from_value(doc.clone())
        .unwrap_or_else(|e| panic!("{} {}: {e}", doc["kind"], doc["metadata"]["name"]))
}

fn find<'a>(docs: &'a [Value], kind: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind}"))
}

const EKS: &[&str] = &[
    "--platform",
    "eks",
    "--eks-cluster",
    "prod",
    "--aws-region",
    "eu-west-1",
];

#[test]
fn every_document_parses_into_its_kubernetes_type() {
    for platform in [&["--platform", "kubeadm"][..], EKS] {
        let docs = documents(&manifest(platform));
        let mut kinds = Vec::new();
        for doc in &docs {
            let kind = doc["kind"].as_str().unwrap().to_owned();
            match kind.as_str() {
                "Namespace" => drop(typed::<Namespace>(doc)),
                "ServiceAccount" => drop(typed::<ServiceAccount>(doc)),
                "ClusterRole" => drop(typed::<ClusterRole>(doc)),
                "ClusterRoleBinding" => drop(typed::<ClusterRoleBinding>(doc)),
                "Role" => drop(typed::<Role>(doc)),
                "RoleBinding" => drop(typed::<RoleBinding>(doc)),
                "Secret" => drop(typed::<Secret>(doc)),
                "DaemonSet" => drop(typed::<DaemonSet>(doc)),
                "Deployment" => drop(typed::<Deployment>(doc)),
                "PersistentVolumeClaim" => drop(typed::<PersistentVolumeClaim>(doc)),
                "Service" => drop(typed::<Service>(doc)),
                "NetworkPolicy" => drop(typed::<NetworkPolicy>(doc)),
                other => panic!("unexpected kind {other}"),
            }
            kinds.push(kind);
        }
        assert_eq!(
            kinds,
            [
                "Namespace",
                "ServiceAccount",
                "ClusterRole",
                "ClusterRoleBinding",
                "Role",
                "RoleBinding",
                "Secret",
                "NetworkPolicy",
                "DaemonSet",
                "PersistentVolumeClaim",
                "Deployment",
                "Service"
            ]
        );
    }
    // With a server elsewhere, no server is deployed and the agent points there.
    let docs = documents(&manifest(&["--server-url", "https://kspm.example.com"]));
    assert!(!docs.iter().any(|d| d["kind"] == "Deployment"));
    let ds: DaemonSet = typed(find(&docs, "DaemonSet"));
    let env = ds.spec.unwrap().template.spec.unwrap().containers[0]
        .env
        .clone()
        .unwrap();
    assert!(
        env.iter()
            .any(|e| e.name == "KSPM_SERVER"
                && e.value.as_deref() == Some("https://kspm.example.com"))
    );
    // Between cycles the agent gives its memory back (README: idle RSS).
    assert!(env.iter().any(|e| {
        e.name == "_RJEM_MALLOC_CONF"
            && e.value
                .as_deref()
                .is_some_and(|v| v.contains("background_thread:true"))
    }));
}

#[test]
fn the_agent_reads_only_what_rules_need_and_never_secrets() {
    let docs = documents(&manifest(&[]));
    let role: ClusterRole = typed(find(&docs, "ClusterRole"));
    let mut granted = BTreeSet::new();
    for rule in role.rules.unwrap() {
        assert_eq!(rule.verbs, ["get", "list", "watch"], "read-only");
        for r in rule.resources.unwrap() {
            assert!(r != "secrets" && r != "*" && !r.contains('/'), "{r}");
            granted.insert(r);
        }
        assert!(rule.resource_names.is_none());
    }
    for needed in [
        "pods",
        "clusterroles",
        "clusterrolebindings",
        "namespaces",
        "networkpolicies",
    ] {
        assert!(granted.contains(needed), "{needed} in {granted:?}");
    }
    // Leases: create, and get/update of kspm's own only.
    let lease: Role = typed(find(&docs, "Role"));
    for rule in lease.rules.unwrap() {
        assert_eq!(rule.resources.unwrap(), ["leases"]);
        if rule.verbs != ["create"] {
            assert_eq!(rule.resource_names.unwrap(), ["kspm-leader"]);
            assert_eq!(rule.verbs, ["get", "update"]);
        }
    }
}

#[test]
fn the_agent_pod_is_unprivileged_with_read_only_host_mounts_and_two_read_capabilities() {
    let docs = documents(&manifest(&[]));
    let ds: DaemonSet = typed(find(&docs, "DaemonSet"));
    let pod = ds.spec.unwrap().template.spec.unwrap();
    assert_ne!(pod.host_pid, Some(true));
    assert_ne!(pod.host_network, Some(true));
    assert_ne!(pod.host_ipc, Some(true));
    let tolerated: Vec<_> = pod
        .tolerations
        .unwrap()
        .into_iter()
        .filter_map(|t| t.key)
        .collect();
    assert!(tolerated.contains(&"node-role.kubernetes.io/control-plane".to_owned()));
    let c = &pod.containers[0];
    let sc = c.security_context.clone().unwrap();
    assert_eq!(sc.privileged, Some(false));
    assert_eq!(sc.allow_privilege_escalation, Some(false));
    assert_eq!(sc.read_only_root_filesystem, Some(true));
    let caps = sc.capabilities.unwrap();
    assert_eq!(caps.drop.unwrap(), ["ALL"]);
    assert_eq!(caps.add.unwrap(), ["DAC_READ_SEARCH", "SYS_PTRACE"]);
    let resources = c.resources.clone().unwrap();
    assert!(resources.requests.unwrap().contains_key("memory"));
    assert!(resources.limits.unwrap().contains_key("memory"));
    let volumes = pod.volumes.unwrap();
    let host_paths: Vec<_> = volumes.iter().filter(|v| v.host_path.is_some()).collect();
    assert!(host_paths.len() >= 5);
    for mount in c.volume_mounts.clone().unwrap() {
        if mount.name == "spool" {
            // The one writable path: an emptyDir with a size limit.
            let spool = volumes.iter().find(|v| v.name == "spool").unwrap();
            assert!(spool.empty_dir.as_ref().unwrap().size_limit.is_some());
            continue;
        }
        assert_eq!(mount.read_only, Some(true), "{} is read-only", mount.name);
    }
    for v in &host_paths {
        let path = &v.host_path.as_ref().unwrap().path;
        assert!(
            path != "/" && path != "/var/lib/kubelet" && path != "/var/lib",
            "{path}: never a tree that holds other pods' Secret volumes"
        );
    }
    // The token comes from a mounted Secret, not from the API.
    assert!(volumes.iter().any(|v| {
        v.secret
            .as_ref()
            .is_some_and(|s| s.secret_name.as_deref() == Some("kspm-write-token"))
    }));
    let sa: ServiceAccount = typed(find(&docs, "ServiceAccount"));
    assert_eq!(sa.metadata.name.as_deref(), Some("kspm-agent"));
    // The server runs as non-root without an API token.
    let server: Deployment = typed(find(&docs, "Deployment"));
    let pod = server.spec.unwrap().template.spec.unwrap();
    assert_eq!(pod.automount_service_account_token, Some(false));
    assert_eq!(pod.security_context.unwrap().run_as_non_root, Some(true));
}

#[test]
fn kspm_judges_its_own_manifest_as_its_comments_say() {
    let text = manifest(&[]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kspm.yaml");
    std::fs::write(&file, &text).unwrap();
    let out = common::kspm()
        .args([
            "scan",
            "-o",
            "json",
            "--fail-on",
            "none",
            "--benchmark",
            "cis_k8s",
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let findings: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let failed = |f: &Value| f["result"]["evaluation"] == "failed";
    // Section 5.1 (RBAC and service accounts) passes on kspm's own objects.
    let rbac: Vec<&Value> = findings
        .iter()
        .filter(|f| {
            f["rule"]["benchmark"]["rule_number"]
                .as_str()
                .is_some_and(|n| n.starts_with("5.1."))
        })
        .collect();
    assert!(!rbac.is_empty());
    let rbac_failed: Vec<_> = rbac
        .iter()
        .filter(|f| failed(f))
        .map(|f| {
            format!(
                "{} on {}",
                f["rule"]["benchmark"]["rule_number"], f["resource"]["name"]
            )
        })
        .collect();
    assert!(rbac_failed.is_empty(), "{rbac_failed:?}");
    // Every other failure is one the manifest's comments (and the README) explain.
    let explained: BTreeSet<&str> = [
        "5.2.1", "5.2.2", "5.2.3", "5.2.4", "5.2.5", "5.2.6", "5.2.7", "5.2.8", "5.2.9", "5.2.10",
        "5.2.11", "5.2.12", "5.6.3",
    ]
    .into();
    let mut unexplained = BTreeSet::new();
    for f in findings.iter().filter(|f| failed(f)) {
        let number = f["rule"]["benchmark"]["rule_number"].as_str().unwrap_or("");
        if !explained.contains(number) {
            unexplained.insert(format!(
                "{number} ({}) on {}",
                f["rule"]["id"], f["resource"]["name"]
            ));
        }
    }
    assert!(
        unexplained.is_empty(),
        "unexplained findings: {unexplained:#?}"
    );
    for number in [
        "5.2.1-5.2.12",
        "5.2.7",
        "5.2.9",
        "5.2.11",
        "5.6.3",
        "5.1.6",
        "5.3.2",
    ] {
        assert!(text.contains(number), "the manifest explains {number}");
    }
}

#[test]
fn eks_manifests_name_the_cluster_wire_the_iam_role_and_print_a_read_only_policy() {
    // IRSA: the role is annotated on the agent's service account.
    let role = "arn:aws:iam::123456789012:role/kspm-agent";
    let irsa = manifest(&[EKS, &["--aws-role-arn", role]].concat());
    let docs = documents(&irsa);
    let sa: ServiceAccount = typed(find(&docs, "ServiceAccount"));
    assert_eq!(
        sa.metadata.annotations.unwrap_or_default()["eks.amazonaws.com/role-arn"],
        role
    );
    let agent: DaemonSet = typed(find(&docs, "DaemonSet"));
    let env: Vec<(String, Option<String>)> = agent.spec.unwrap().template.spec.unwrap().containers
        [0]
    .env
    .clone()
    .unwrap_or_default()
    .into_iter()
    .map(|e| (e.name, e.value))
    .collect();
    assert!(env.contains(&("KSPM_EKS_CLUSTER".into(), Some("prod".into()))));
    assert!(env.contains(&("AWS_REGION".into(), Some("eu-west-1".into()))));
    // Pod Identity: no annotation, and the association command in the header.
    let pod_identity = manifest(EKS);
    assert!(pod_identity.contains("aws eks create-pod-identity-association --cluster-name prod"));
    let sa: ServiceAccount = typed(find(&documents(&pod_identity), "ServiceAccount"));
    assert!(sa.metadata.annotations.is_none());

    // The policy: only the read actions the AWS source calls, on the named cluster where IAM
    // allows it; no write, no wildcard action.
    let policy: Value =
        serde_json::from_str(&manifest(&[EKS, &["--iam-policy"]].concat())).unwrap();
    let mut actions = BTreeSet::new();
    for statement in policy["Statement"].as_array().unwrap() {
        assert_eq!(statement["Effect"], "Allow");
        for action in statement["Action"].as_array().unwrap() {
            let action = action.as_str().unwrap();
            assert!(
                action.starts_with("eks:Describe")
                    || action.starts_with("ecr:Describe")
                    || action.starts_with("ecr:Get"),
                "{action}"
            );
            if action.starts_with("eks:") {
                assert!(
                    statement["Resource"].as_str().unwrap().contains("/prod"),
                    "{statement}"
                );
            }
            actions.insert(action.to_owned());
        }
    }
    let called: BTreeSet<String> = kspm_collect::cloud::aws::IAM_ACTIONS
        .iter()
        .map(|(a, _)| a.to_string())
        .filter(|a| a != "eks:ListClusters")
        .collect();
    assert_eq!(actions, called);

    // Without the cluster's name and region the EKS manifest is refused.
    let out = common::kspm()
        .args(["manifest", "--platform", "eks"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--eks-cluster"));
}
