//! Look-alike conformance: the RBAC objects that Kubernetes (its RBAC bootstrap policy), kubeadm
//! and Amazon EKS create in a new cluster, as `kubectl get -o yaml` shows them
//! (tests/data/platform-defaults/*.yaml), scanned together, give no failed finding in section
//! 5.1: they are recognised as platform defaults by identity and content. For every one of them,
//! a copy with one field changed, put in place of the original, makes a section 5.1 rule fail
//! on that object: names, labels and annotations alone never make a default.
//!
//! One field changed means:
//! - a role: the verbs of its first policy rule gain `*` (for an aggregated ClusterRole, whose
//!   rules the aggregation controller fills, the same on the rules it carries);
//! - a binding with subjects: its roleRef points at the ClusterRole cluster-admin;
//! - a binding without subjects, or one that already grants cluster-admin: its subjects become
//!   Group system:authenticated.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use kspm_engine::{Evaluator, RuleBundle, ScanContext};
use kspm_model::{ClusterInfo, Finding, Outcome, Resource};
use serde_json::{Value, json};

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/platform-defaults")
}

/// Every object of the fixture files, as full JSON, in file order.
fn defaults(files: &[&str]) -> Vec<Value> {
    let paths: Vec<PathBuf> = files.iter().map(|f| data_dir().join(f)).collect();
    let loaded = kspm_collect::offline::load(&paths, Default::default());
    assert_eq!(loaded.errors(), 0, "{:?}", loaded.diagnostics);
    loaded.objects.iter().map(|o| o.raw.to_value()).collect()
}

fn all_defaults() -> Vec<Value> {
    defaults(&["kubernetes.yaml", "kubeadm.yaml", "eks.yaml"])
}

/// The section 5.1 rules of the CIS benchmark, compiled once per test.
fn evaluator() -> Evaluator {
    let mut bundle = RuleBundle::embedded().expect("bundle");
    bundle.retain_benchmarks(&["cis_k8s".to_owned()]);
    bundle.rules.retain(|r| {
        r.meta
            .benchmark("cis_k8s")
            .is_some_and(|b| b.number.starts_with("5.1."))
    });
    Evaluator::new(bundle).expect("bundle compiles")
}

fn cluster(version: Option<&str>) -> ClusterInfo {
    ClusterInfo {
        id: "defaults".into(),
        name: "defaults".into(),
        version: version.map(str::to_owned),
        ..Default::default()
    }
}

fn evaluate(evaluator: &Evaluator, objects: &[Value], version: Option<&str>) -> Vec<Finding> {
    let cluster = cluster(version);
    let resources: Vec<Resource> = objects
        .iter()
        .map(|o| Resource::k8s_object(o.clone(), cluster.clone()))
        .collect();
    // 2026-01-01T00:00:00Z.
    let ctx = ScanContext::new(cluster, 1_767_225_600).with_benchmarks(vec!["cis_k8s".into()]);
    evaluator.evaluate(resources, &ctx).findings
}

fn describe(f: &Finding) -> String {
    format!(
        "{} {} on {} {}: {} {}",
        f.rule.benchmark.rule_number,
        f.rule.id,
        f.resource.sub_type,
        f.resource.name,
        f.result.evaluation.as_str(),
        f.result.evidence.as_str()
    )
}

fn kind(o: &Value) -> &str {
    o["kind"].as_str().unwrap_or_default()
}

fn name(o: &Value) -> &str {
    o["metadata"]["name"].as_str().unwrap_or_default()
}

fn namespace(o: &Value) -> &str {
    o["metadata"]["namespace"].as_str().unwrap_or_default()
}

/// "ClusterRoleBinding/x" or "RoleBinding/ns/x", as the evidence names bindings.
fn binding_ref(o: &Value) -> String {
    match namespace(o) {
        "" => format!("{}/{}", kind(o), name(o)),
        ns => format!("{}/{ns}/{}", kind(o), name(o)),
    }
}

/// The copy of `o` with one field changed (see the module comment), and what was changed.
fn mutate(o: &Value) -> (Value, &'static str) {
    let mut m = o.clone();
    match kind(o) {
        "ClusterRole" | "Role" => {
            let verbs = m["rules"][0]["verbs"]
                .as_array_mut()
                .expect("rules[0].verbs");
            verbs.push(json!("*"));
            (m, "rules[0].verbs + *")
        }
        _ if o["subjects"].as_array().is_some_and(|s| !s.is_empty())
            && o["roleRef"]["name"] != "cluster-admin" =>
        {
            m["roleRef"] = json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"});
            (m, "roleRef -> ClusterRole/cluster-admin")
        }
        _ => {
            m["subjects"] = json!([{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:authenticated"}]);
            (m, "subjects -> Group/system:authenticated")
        }
    }
}

/// A failed section 5.1 finding that is about the object: on the role itself, or naming the
/// binding among the bindings that hand a role out (or name system:masters).
fn blames(f: &Finding, o: &Value) -> bool {
    if f.result.evaluation != Outcome::Failed {
        return false;
    }
    if matches!(kind(o), "ClusterRole" | "Role") {
        return f.resource.sub_type == kind(o) && f.resource.name.ends_with(name(o));
    }
    let evidence = f.result.evidence.to_value();
    let wanted = binding_ref(o);
    ["bindings", "bindings_naming_system_masters"]
        .iter()
        .filter_map(|k| evidence[*k].as_array())
        .flatten()
        .filter_map(Value::as_str)
        .any(|b| b == wanted || b.starts_with(&format!("{wanted} ")))
}

#[test]
fn every_platform_default_together_gives_no_failed_finding_and_is_listed() {
    let evaluator = evaluator();
    let objects = all_defaults();
    assert!(objects.len() > 150, "{} objects", objects.len());
    let findings = evaluate(&evaluator, &objects, None);
    let bad: Vec<String> = findings
        .iter()
        .filter(|f| matches!(f.result.evaluation, Outcome::Failed | Outcome::Error))
        .map(describe)
        .collect();
    assert!(
        bad.is_empty(),
        "platform defaults fail:\n  {}",
        bad.join("\n  ")
    );
    // 5.1.1 passes and says which cluster-admin bindings it took for defaults, and why.
    let admin = findings
        .iter()
        .find(|f| f.rule.benchmark.rule_number == "5.1.1")
        .expect("5.1.1 finding");
    assert_eq!(
        admin.result.evaluation,
        Outcome::Passed,
        "{}",
        describe(admin)
    );
    let evidence = admin.result.evidence.to_value();
    let listed: BTreeSet<&str> = evidence["platform_defaults"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .map(|s| s.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        listed,
        BTreeSet::from([
            "ClusterRoleBinding/cluster-admin",
            "ClusterRoleBinding/eks:addon-cluster-admin",
            "ClusterRoleBinding/kubeadm:cluster-admins"
        ]),
        "{evidence}"
    );
}

#[test]
fn every_platform_default_with_one_field_changed_fails() {
    let evaluator = evaluator();
    let objects = all_defaults();
    let mut missed = Vec::new();
    for (i, original) in objects.iter().enumerate() {
        let (changed, how) = mutate(original);
        let mut set = objects.clone();
        set[i] = changed.clone();
        let findings = evaluate(&evaluator, &set, None);
        if !findings.iter().any(|f| blames(f, &changed)) {
            missed.push(format!(
                "{} {} ({how}): {}",
                kind(original),
                binding_ref(original),
                findings
                    .iter()
                    .filter(|f| f.result.evaluation != Outcome::Passed)
                    .map(describe)
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        }
    }
    assert!(
        missed.is_empty(),
        "{} of {} look-alikes were taken for platform defaults:\n  {}",
        missed.len(),
        objects.len(),
        missed.join("\n  ")
    );
}

#[test]
fn a_default_binding_counts_in_versions_that_do_not_create_it() {
    let evaluator = evaluator();
    let objects = all_defaults();
    // kubeadm creates kubeadm:cluster-admins from v1.29: on a v1.28 cluster the same binding is
    // somebody's cluster-admin grant.
    let old = evaluate(&evaluator, &objects, Some("v1.28.9"));
    let admin = old
        .iter()
        .find(|f| f.rule.benchmark.rule_number == "5.1.1")
        .unwrap();
    assert_eq!(
        admin.result.evaluation,
        Outcome::Failed,
        "{}",
        describe(admin)
    );
    assert_eq!(
        admin.result.evidence.to_value()["subjects"],
        json!(["Group/kubeadm:cluster-admins"])
    );
    let current = evaluate(&evaluator, &objects, Some("v1.34.2"));
    let admin = current
        .iter()
        .find(|f| f.rule.benchmark.rule_number == "5.1.1")
        .unwrap();
    assert_eq!(
        admin.result.evaluation,
        Outcome::Passed,
        "{}",
        describe(admin)
    );
}

#[test]
fn the_fixture_files_scan_cleanly_through_the_binary() {
    let out = common::kspm()
        .args(["scan", "--benchmark", "cis_k8s", "-o", "json"])
        .arg(Path::new(&data_dir()))
        .output()
        .unwrap();
    let findings: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let failed: Vec<String> = findings
        .iter()
        .filter(|f| {
            f["result"]["evaluation"] == "failed"
                && f["rule"]["benchmark"]["rule_number"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("5.1."))
        })
        .map(|f| {
            format!(
                "{} {}",
                f["rule"]["benchmark"]["rule_number"], f["resource"]["name"]
            )
        })
        .collect();
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
