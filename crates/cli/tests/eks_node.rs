//! CIS EKS section 3 on the EKS worker fixtures: both node generations (Amazon Linux 2023 with
//! nodeadm, Amazon Linux 2 with bootstrap.sh) as the AMIs ship them, and a drifted copy of
//! each. Every section-3 finding of `kspm scan --benchmark cis_eks --host-root` must be in the
//! table with its outcome, and every table line must be found; the drifted nodes' evidence
//! must name what decided a setting (a drop-in, a flag).
//!
//! Owner lines need root to apply the fixture's owners; without it they are skipped and the
//! test says so ("NOT RUN").

mod common;

use std::collections::BTreeMap;

use kspm_fixtures::node::{self as fixture, Fixture};
use serde_json::Value;

/// (fixture, rule number, rule id, file path or `kubelet`, outcome).
type Row = (
    Fixture,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const KUBECONFIG: &str = "/var/lib/kubelet/kubeconfig";
const AL2023_CONFIG: &str = "/etc/kubernetes/kubelet/config.json";
const AL2023_DROPIN: &str = "/etc/kubernetes/kubelet/config.json.d/40-nodeadm.conf";
const AL2023_DEBUG: &str = "/etc/kubernetes/kubelet/config.json.d/90-debug.conf";
const AL2_CONFIG: &str = "/etc/kubernetes/kubelet/kubelet-config.json";

use Fixture::{EksAl2, EksAl2Drift, EksAl2023Drift, EksWorker};

#[rustfmt::skip]
const TABLE: &[Row] = &[
    // Amazon Linux 2023 as nodeadm writes it: every file 0644 root:root, which EKS allows.
    (EksWorker, "3.1.1", "eks_kubelet_kubeconfig_mode", KUBECONFIG, "passed"),
    (EksWorker, "3.1.2", "kubelet_kubeconfig_owner", KUBECONFIG, "passed"),
    (EksWorker, "3.1.3", "eks_kubelet_config_mode", AL2023_CONFIG, "passed"),
    (EksWorker, "3.1.3", "eks_kubelet_config_mode", AL2023_DROPIN, "passed"),
    (EksWorker, "3.1.4", "kubelet_config_owner", AL2023_CONFIG, "passed"),
    (EksWorker, "3.1.4", "kubelet_config_owner", AL2023_DROPIN, "passed"),
    (EksWorker, "3.2.1", "kubelet_anonymous_auth_disabled", "kubelet", "passed"),
    (EksWorker, "3.2.2", "kubelet_authorization_not_always_allow", "kubelet", "passed"),
    (EksWorker, "3.2.3", "kubelet_client_ca_configured", "kubelet", "passed"),
    (EksWorker, "3.2.4", "kubelet_read_only_port_disabled", "kubelet", "passed"),
    (EksWorker, "3.2.5", "kubelet_streaming_idle_timeout", "kubelet", "passed"),
    (EksWorker, "3.2.6", "kubelet_iptables_util_chains", "kubelet", "passed"),
    (EksWorker, "3.2.7", "kubelet_event_record_qps", "kubelet", "passed"),
    // No 3.2.8 on any EKS node: the kubelet has no client certificate to rotate (its
    // kubeconfig runs an exec plugin with the instance role), so the rule does not apply.
    (EksWorker, "3.2.9", "kubelet_server_cert_rotation", "kubelet", "passed"),

    // AL2023 drifted: a drop-in turns anonymous auth on,
    // `--read-only-port 10255` (two words) outranks config.json, config.json is 0666 and the
    // kubeconfig 0664 owned by an id with no name.
    (EksAl2023Drift, "3.1.1", "eks_kubelet_kubeconfig_mode", KUBECONFIG, "failed"),
    (EksAl2023Drift, "3.1.2", "kubelet_kubeconfig_owner", KUBECONFIG, "failed"),
    (EksAl2023Drift, "3.1.3", "eks_kubelet_config_mode", AL2023_CONFIG, "failed"),
    (EksAl2023Drift, "3.1.3", "eks_kubelet_config_mode", AL2023_DROPIN, "passed"),
    (EksAl2023Drift, "3.1.3", "eks_kubelet_config_mode", AL2023_DEBUG, "passed"),
    (EksAl2023Drift, "3.1.4", "kubelet_config_owner", AL2023_CONFIG, "passed"),
    (EksAl2023Drift, "3.1.4", "kubelet_config_owner", AL2023_DROPIN, "passed"),
    (EksAl2023Drift, "3.1.4", "kubelet_config_owner", AL2023_DEBUG, "passed"),
    (EksAl2023Drift, "3.2.1", "kubelet_anonymous_auth_disabled", "kubelet", "failed"),
    (EksAl2023Drift, "3.2.2", "kubelet_authorization_not_always_allow", "kubelet", "passed"),
    (EksAl2023Drift, "3.2.3", "kubelet_client_ca_configured", "kubelet", "passed"),
    (EksAl2023Drift, "3.2.4", "kubelet_read_only_port_disabled", "kubelet", "failed"),
    (EksAl2023Drift, "3.2.5", "kubelet_streaming_idle_timeout", "kubelet", "passed"),
    (EksAl2023Drift, "3.2.6", "kubelet_iptables_util_chains", "kubelet", "passed"),
    (EksAl2023Drift, "3.2.7", "kubelet_event_record_qps", "kubelet", "passed"),
    (EksAl2023Drift, "3.2.9", "kubelet_server_cert_rotation", "kubelet", "passed"),

    // Amazon Linux 2 as bootstrap.sh writes it.
    (EksAl2, "3.1.1", "eks_kubelet_kubeconfig_mode", KUBECONFIG, "passed"),
    (EksAl2, "3.1.2", "kubelet_kubeconfig_owner", KUBECONFIG, "passed"),
    (EksAl2, "3.1.3", "eks_kubelet_config_mode", AL2_CONFIG, "passed"),
    (EksAl2, "3.1.4", "kubelet_config_owner", AL2_CONFIG, "passed"),
    (EksAl2, "3.2.1", "kubelet_anonymous_auth_disabled", "kubelet", "passed"),
    (EksAl2, "3.2.2", "kubelet_authorization_not_always_allow", "kubelet", "passed"),
    (EksAl2, "3.2.3", "kubelet_client_ca_configured", "kubelet", "passed"),
    (EksAl2, "3.2.4", "kubelet_read_only_port_disabled", "kubelet", "passed"),
    (EksAl2, "3.2.5", "kubelet_streaming_idle_timeout", "kubelet", "passed"),
    (EksAl2, "3.2.6", "kubelet_iptables_util_chains", "kubelet", "passed"),
    (EksAl2, "3.2.7", "kubelet_event_record_qps", "kubelet", "passed"),
    (EksAl2, "3.2.9", "kubelet_server_cert_rotation", "kubelet", "passed"),

    // AL2 drifted: `--anonymous-auth=true` and `--authorization-mode AlwaysAllow` (two words)
    // outrank the file, the file turns iptables chains and serving-certificate rotation off,
    // it is 0664 with group kube, the kubeconfig 0666.
    (EksAl2Drift, "3.1.1", "eks_kubelet_kubeconfig_mode", KUBECONFIG, "failed"),
    (EksAl2Drift, "3.1.2", "kubelet_kubeconfig_owner", KUBECONFIG, "passed"),
    (EksAl2Drift, "3.1.3", "eks_kubelet_config_mode", AL2_CONFIG, "failed"),
    (EksAl2Drift, "3.1.4", "kubelet_config_owner", AL2_CONFIG, "failed"),
    (EksAl2Drift, "3.2.1", "kubelet_anonymous_auth_disabled", "kubelet", "failed"),
    (EksAl2Drift, "3.2.2", "kubelet_authorization_not_always_allow", "kubelet", "failed"),
    (EksAl2Drift, "3.2.3", "kubelet_client_ca_configured", "kubelet", "passed"),
    (EksAl2Drift, "3.2.4", "kubelet_read_only_port_disabled", "kubelet", "passed"),
    (EksAl2Drift, "3.2.5", "kubelet_streaming_idle_timeout", "kubelet", "passed"),
    (EksAl2Drift, "3.2.6", "kubelet_iptables_util_chains", "kubelet", "failed"),
    (EksAl2Drift, "3.2.7", "kubelet_event_record_qps", "kubelet", "passed"),
    (EksAl2Drift, "3.2.9", "kubelet_server_cert_rotation", "kubelet", "failed"),
];

/// Evidence that must name the source that decided: (fixture, number, evidence key, text).
#[rustfmt::skip]
const DECIDED_BY: &[(Fixture, &str, &str, &str)] = &[
    (EksWorker, "3.2.1", "anonymous_auth", "from the config file /etc/kubernetes/kubelet/config.json"),
    (EksAl2023Drift, "3.2.1", "anonymous_auth", "drop-in /etc/kubernetes/kubelet/config.json.d/90-debug.conf"),
    (EksAl2023Drift, "3.2.4", "read_only_port", "from the flag --read-only-port"),
    (EksAl2, "3.2.1", "anonymous_auth", "from the config file /etc/kubernetes/kubelet/kubelet-config.json"),
    (EksAl2Drift, "3.2.1", "anonymous_auth", "from the flag --anonymous-auth"),
    (EksAl2Drift, "3.2.2", "authorization_mode", "from the flag --authorization-mode"),
    (EksAl2Drift, "3.2.6", "make_iptables_util_chains", "from the config file /etc/kubernetes/kubelet/kubelet-config.json"),
];

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// The cis_eks findings of a fixture node, and whether its owners were applied.
fn scan(kind: Fixture) -> (Vec<Value>, bool) {
    let dir = tempfile::Builder::new()
        .prefix(&format!("kspm-eks-{}-", kind.slug()))
        .tempdir()
        .unwrap();
    fixture::write(kind, dir.path()).unwrap();
    let out = common::kspm()
        .args([
            "scan",
            "-o",
            "json",
            "--fail-on",
            "none",
            "--benchmark",
            "cis_eks",
        ])
        .arg("--host-root")
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{}: {stderr}", kind.slug());
    let findings: Vec<Value> = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{}: json output: {e}; stderr:\n{stderr}", kind.slug()));
    (findings, fixture::ownership_applied(dir.path()))
}

/// `<path>` for file findings, `kubelet` for the kubelet process.
fn resource(f: &Value) -> String {
    let name = s(&f["resource"]["name"]);
    match name.split_once(':') {
        Some((_, path)) if path.starts_with('/') => path.to_owned(),
        _ => name.rsplit('/').next().unwrap_or(name).to_owned(),
    }
}

#[test]
fn every_section_3_rule_has_the_tabled_outcome_on_each_eks_node_generation() {
    let mut problems = Vec::new();
    for kind in Fixture::EKS {
        let (findings, owners) = scan(kind);
        if !owners {
            eprintln!(
                "NOT RUN: {} owner lines: chown was refused (not root)",
                kind.slug()
            );
        }
        let keep = |rule: &str| owners || !rule.ends_with("_owner");
        let expected: BTreeMap<(String, String, String), String> = TABLE
            .iter()
            .filter(|r| r.0 == kind && keep(r.2))
            .map(|r| ((r.1.into(), r.2.into(), r.3.into()), r.4.into()))
            .collect();
        let mut actual = BTreeMap::new();
        for f in &findings {
            let number = s(&f["rule"]["benchmark"]["rule_number"]);
            let rule = s(&f["rule"]["id"]);
            if !number.starts_with("3.") || !keep(rule) {
                continue;
            }
            assert_eq!(s(&f["rule"]["benchmark"]["id"]), "cis_eks");
            if s(&f["rule"]["remediation"]).contains("{{") {
                problems.push(format!("{}: {number}: remediation not filled", kind.slug()));
            }
            let mut outcome = s(&f["result"]["evaluation"]).to_owned();
            if outcome == "error" {
                outcome = format!("error ({})", s(&f["error"]["message"]));
            }
            actual.insert((number.to_owned(), rule.to_owned(), resource(f)), outcome);
        }
        for (key, want) in &expected {
            match actual.get(key) {
                Some(got) if got == want => {}
                got => problems.push(format!(
                    "{}: {key:?}: want {want}, got {got:?}",
                    kind.slug()
                )),
            }
        }
        for (key, got) in &actual {
            if !expected.contains_key(key) {
                problems.push(format!(
                    "{}: {key:?}: unexpected finding ({got})",
                    kind.slug()
                ));
            }
        }
        for (k, number, key, text) in DECIDED_BY.iter().filter(|d| d.0 == kind) {
            let evidence = findings
                .iter()
                .find(|f| s(&f["rule"]["benchmark"]["rule_number"]) == *number)
                .map(|f| f["result"]["evidence"][key].clone());
            match evidence.as_ref().and_then(Value::as_str) {
                Some(e) if e.contains(text) => {}
                other => problems.push(format!(
                    "{}: {number} evidence {key}: want it to contain {text:?}, got {other:?}",
                    k.slug()
                )),
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn eks_findings_carry_the_eks_profile_title_and_remediation() {
    let (findings, _) = scan(Fixture::EksAl2023Drift);
    let anon = findings
        .iter()
        .find(|f| s(&f["rule"]["benchmark"]["rule_number"]) == "3.2.1")
        .expect("3.2.1 finding");
    assert_eq!(s(&anon["rule"]["profile_applicability"]), "Level 1");
    assert_eq!(s(&anon["rule"]["section"]), "Kubelet");
    let remediation = s(&anon["rule"]["remediation"]);
    assert!(remediation.contains("NodeConfig"), "{remediation}");
    assert!(!remediation.contains("kubeadm"), "{remediation}");
    assert!(!remediation.contains("{{"), "{remediation}");
}

#[test]
fn a_node_root_picks_its_benchmark_by_platform_and_says_why() {
    for (kind, platform_line, benchmark) in [
        (
            Fixture::EksAl2,
            "kspm: platform eks (the node has /etc/eks",
            "cis_eks",
        ),
        (Fixture::Worker, "", "cis_k8s"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        fixture::write(kind, dir.path()).unwrap();
        let out = common::kspm()
            .args(["scan", "-o", "json", "--fail-on", "none", "--host-root"])
            .arg(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(platform_line), "{kind:?}: {stderr}");
        let findings: Value = serde_json::from_slice(&out.stdout).unwrap();
        let findings = findings
            .as_array()
            .or_else(|| findings["findings"].as_array())
            .cloned()
            .unwrap_or_default();
        assert!(!findings.is_empty(), "{kind:?}");
        assert!(
            findings
                .iter()
                .all(|f| f["rule"]["benchmark"]["id"] == benchmark),
            "{kind:?}: only {benchmark} findings by default"
        );
    }
}
