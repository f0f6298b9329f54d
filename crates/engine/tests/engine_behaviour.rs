//! Engine behaviour that rules rely on: routing, inventory, one-call evaluation, and rule
//! failures turning into `error` findings instead of panics or silent passes.

use std::path::Path;

use kspm_engine::{Evaluator, RuleBundle, ScanContext};
use kspm_model::{ClusterInfo, Gap, Outcome, Resource, ResourceType};
use serde_json::json;

fn write_rule(root: &Path, id: &str, sub_types: &str, rego: Option<&str>) {
    write_rule_with(root, id, sub_types, rego, "");
}

/// A rule with `extra` lines of metadata (`reads: [...]`, say).
fn write_rule_with(root: &Path, id: &str, sub_types: &str, rego: Option<&str>, extra: &str) {
    let dir = root.join("custom").join(id);
    std::fs::create_dir_all(&dir).unwrap();
    let meta = format!(
        "id: {id}\nbenchmarks: [{{id: custom, versions: [\"1\"], number: \"{id}\"}}]\ntitle: Test rule {id}\nsection: Tests\nprofile: test\nassessment: automated\napplies_to: {{type: k8s_object, sub_types: [{sub_types}]}}\ndescription: d\nrationale: r\nremediation: \"kubectl -n {{{{resource.namespace}}}} edit pod {{{{resource.name}}}}\"\n{extra}"
    );
    std::fs::write(dir.join("meta.yaml"), meta).unwrap();
    std::fs::write(
        root.join("custom/benchmark.yaml"),
        "id: custom\nname: Custom tests\nversions: [\"1\"]\nsections: [{id: tests, name: Tests}]\n",
    )
    .unwrap();
    if let Some(rego) = rego {
        std::fs::write(
            dir.join("rule.rego"),
            format!("package kspm.rules.{id}\nimport rego.v1\n{rego}\n"),
        )
        .unwrap();
    }
}

fn ctx() -> ScanContext {
    ScanContext::new(cluster(), 1_767_225_600)
}

fn cluster() -> ClusterInfo {
    ClusterInfo {
        id: "c1".into(),
        name: "test".into(),
        ..Default::default()
    }
}

fn pod(name: &str, ns: &str) -> Resource {
    Resource::k8s_object(
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns}, "spec": {"containers": []}}),
        cluster(),
    )
}

fn custom_bundle(root: &Path) -> RuleBundle {
    RuleBundle::from_dir(root).unwrap()
}

#[test]
fn runtime_error_in_one_rule_is_an_error_finding_and_other_rules_still_run() {
    let tmp = tempdir();
    let dir = tmp.path();
    write_rule(
        dir,
        "divides_by_zero",
        "Pod",
        Some(
            "finding := {\"evaluation\": \"passed\", \"evidence\": {\"x\": 1 / count([])}} if true",
        ),
    );
    write_rule(
        dir,
        "conflicting",
        "Pod",
        Some("finding := {\"evaluation\": \"passed\"}\nfinding := {\"evaluation\": \"failed\"}"),
    );
    write_rule(
        dir,
        "always_fails",
        "Pod",
        Some(
            "finding := {\"evaluation\": \"failed\", \"evidence\": {\"name\": input.resource.metadata.name}}",
        ),
    );
    let evaluator = Evaluator::new(custom_bundle(dir)).unwrap();
    let evaluation = evaluator.evaluate(vec![pod("web", "shop")], &ctx());
    let outcome = |rule: &str| {
        evaluation
            .findings
            .iter()
            .find(|f| &*f.rule.id == rule)
            .map(|f| (f.outcome(), f.error.clone()))
    };
    // regorus' VM reports a rule with conflicting definitions as undefined; the interpreter
    // reports the error. `kspm rules test` runs every case on both and flags the difference.
    assert!(outcome("conflicting").is_none_or(|(o, _)| o == Outcome::Error));
    let interpreted = Evaluator::interpreter_only(custom_bundle(dir))
        .unwrap()
        .evaluate(vec![pod("web", "shop")], &ctx());
    let conflicting = interpreted
        .findings
        .iter()
        .find(|f| &*f.rule.id == "conflicting")
        .expect("interpreter reports it");
    assert_eq!(conflicting.outcome(), Outcome::Error);
    assert!(
        conflicting
            .error
            .as_ref()
            .unwrap()
            .message
            .contains("conflicting"),
        "the error names the rule"
    );
    assert_eq!(outcome("always_fails").unwrap().0, Outcome::Failed);
    // Division by zero is undefined or an error in Rego, never a pass.
    if let Some((o, _)) = outcome("divides_by_zero") {
        assert_ne!(o, Outcome::Passed);
    }
}

#[test]
fn a_rule_that_does_not_compile_yields_error_findings_naming_it() {
    let tmp = tempdir();
    let dir = tmp.path();
    write_rule(
        dir,
        "broken_syntax",
        "Pod",
        Some("finding := {\"evaluation\": "),
    );
    write_rule(
        dir,
        "fine",
        "Pod",
        Some("finding := {\"evaluation\": \"passed\"}"),
    );
    let evaluator = Evaluator::new(custom_bundle(dir)).unwrap();
    assert!(evaluator.broken_rules().contains_key("broken_syntax"));
    let evaluation = evaluator.evaluate(vec![pod("a", "x")], &ctx());
    let broken = evaluation
        .findings
        .iter()
        .find(|f| &*f.rule.id == "broken_syntax")
        .unwrap();
    assert_eq!(broken.outcome(), Outcome::Error);
    assert!(
        broken
            .error
            .as_ref()
            .unwrap()
            .message
            .contains("does not compile")
    );
    assert_eq!(
        evaluation
            .findings
            .iter()
            .find(|f| &*f.rule.id == "fine")
            .unwrap()
            .outcome(),
        Outcome::Passed
    );
}

#[test]
fn resources_reach_only_rules_whose_applies_to_matches() {
    let tmp = tempdir();
    let dir = tmp.path();
    write_rule(
        dir,
        "pods_only",
        "Pod",
        Some("finding := {\"evaluation\": \"passed\"}"),
    );
    write_rule(
        dir,
        "namespaces_only",
        "Namespace",
        Some("finding := {\"evaluation\": \"passed\"}"),
    );
    write_rule(
        dir,
        "everything",
        "",
        Some("finding := {\"evaluation\": \"passed\"}"),
    );
    let evaluator = Evaluator::new(custom_bundle(dir)).unwrap();
    let ns = Resource::k8s_object(
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
        cluster(),
    );
    let cm = Resource::k8s_object(
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "shop"}}),
        cluster(),
    );
    let evaluation = evaluator.evaluate(vec![pod("web", "shop"), ns, cm], &ctx());
    let mut pairs: Vec<(String, String)> = evaluation
        .findings
        .iter()
        .map(|f| (f.resource.sub_type.clone(), f.rule.id.to_string()))
        .collect();
    pairs.sort();
    let expected: Vec<(String, String)> = [
        ("Cluster", "everything"),
        ("ConfigMap", "everything"),
        ("Namespace", "everything"),
        ("Namespace", "namespaces_only"),
        ("Pod", "everything"),
        ("Pod", "pods_only"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(pairs, expected);
}

#[test]
fn inventory_lets_a_rule_see_other_objects_and_remediation_is_filled() {
    let tmp = tempdir();
    let dir = tmp.path();
    write_rule(
        dir,
        "needs_netpol",
        "Pod",
        Some(
            "finding := {\"evaluation\": \"passed\"} if count(object.get(data.inventory.objects, [\"NetworkPolicy\", input.resource.metadata.namespace], {})) > 0\nfinding := {\"evaluation\": \"failed\", \"evidence\": {\"namespace\": input.resource.metadata.namespace}} if count(object.get(data.inventory.objects, [\"NetworkPolicy\", input.resource.metadata.namespace], {})) == 0",
        ),
    );
    let evaluator = Evaluator::new(custom_bundle(dir)).unwrap();
    let np = Resource::k8s_object(
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "deny", "namespace": "a"}}),
        cluster(),
    );
    let evaluation = evaluator.evaluate(vec![pod("p1", "a"), pod("p2", "b"), np], &ctx());
    let by_name = |n: &str| {
        evaluation
            .findings
            .iter()
            .find(|f| f.resource.name == n)
            .unwrap()
    };
    assert_eq!(by_name("a/p1").outcome(), Outcome::Passed);
    let failed = by_name("b/p2");
    assert_eq!(failed.outcome(), Outcome::Failed);
    assert_eq!(failed.rule.remediation.text(), "kubectl -n b edit pod p2");
}

#[test]
fn inventory_indexes_each_namespace_workloads_without_controller_owned_copies() {
    let tmp = tempdir();
    let dir = tmp.path();
    // The evidence lists what the index holds for the namespace: "kind/name: containers".
    write_rule(
        dir,
        "lists_workloads",
        "Namespace",
        Some(
            "finding := {\"evaluation\": \"passed\", \"evidence\": {\"workloads\": [sprintf(\"%s/%s: %s\", [w.object.kind, w.object.metadata.name, concat(\",\", [sprintf(\"%s %s\", [c.type, c.name]) | some c in w.containers])]) | some w in object.get(data.inventory.workloads, input.resource.metadata.name, [])]}}",
        ),
    );
    let evaluator = Evaluator::new(custom_bundle(dir)).unwrap();
    let object = |v: serde_json::Value| Resource::k8s_object(v, cluster());
    let owner = |kind: &str, name: &str| json!([{"apiVersion": "apps/v1", "kind": kind, "name": name, "controller": true}]);
    let template = json!({"spec": {"initContainers": [{"name": "init"}], "containers": [{"name": "web"}, "not an object"]}});
    let resources = vec![
        object(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})),
        object(
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"template": template}}),
        ),
        object(
            json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web-1", "namespace": "shop", "ownerReferences": owner("Deployment", "web")}, "spec": {"template": template}}),
        ),
        object(
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1-a", "namespace": "shop", "ownerReferences": owner("ReplicaSet", "web-1")}, "spec": template["spec"]}),
        ),
        // Owned by a controller that is not in the scan: the pod stands for itself.
        object(
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "orphan", "namespace": "shop", "ownerReferences": owner("ReplicaSet", "gone")}, "spec": {"containers": [{"name": "app"}]}}),
        ),
        object(
            json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly", "namespace": "shop"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "job"}]}}}}}}),
        ),
        pod("elsewhere", "other"),
    ];
    let evaluation = evaluator.evaluate(resources, &ctx());
    let finding = evaluation
        .findings
        .iter()
        .find(|f| f.resource.sub_type == "Namespace")
        .unwrap();
    assert_eq!(
        finding.result.evidence.to_value(),
        json!({"workloads": [
            "Pod/orphan: containers app",
            "CronJob/nightly: containers job",
            "Deployment/web: initContainers init,containers web",
        ]})
    );
}

#[test]
fn bundled_rules_name_library_rules_by_their_full_path() {
    // regorus' VM evaluates every rule of a package each time a rule is reached through an
    // import alias (`import data.kspm.lib.pss` then `pss.containers`); the bundle writes
    // `data.kspm.lib.pss.containers` instead (rules/README.md, "Writing fast rules").
    let bundle = RuleBundle::embedded().unwrap();
    let sources = bundle
        .rules
        .iter()
        .filter_map(|r| {
            r.rego
                .as_deref()
                .map(|rego| (r.source.clone(), rego.to_owned()))
        })
        .chain(bundle.libs.iter().cloned());
    let offenders: Vec<String> = sources
        .filter(|(_, rego)| {
            rego.lines()
                .any(|l| l.trim_start().starts_with("import data."))
        })
        .map(|(path, _)| path)
        .collect();
    assert!(offenders.is_empty(), "import aliases in {offenders:?}");
}

#[test]
fn manual_only_rules_yield_one_manual_finding_on_the_cluster() {
    let tmp = tempdir();
    let dir = tmp.path();
    write_rule(dir, "ask_a_human", "Cluster", None);
    let evaluator = Evaluator::new(custom_bundle(dir)).unwrap();
    let evaluation = evaluator.evaluate(vec![pod("a", "x"), pod("b", "y")], &ctx());
    assert_eq!(evaluation.findings.len(), 1);
    assert_eq!(evaluation.findings[0].outcome(), Outcome::Manual);
    assert_eq!(evaluation.findings[0].resource.sub_type, "Cluster");
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn findings_stream_window_by_window_in_the_order_evaluate_returns_them() {
    let tmp = tempdir();
    let dir = tmp.path();
    write_rule(
        dir,
        "always",
        "Pod",
        Some("finding := {\"evaluation\": \"passed\"} if input.resource.kind == \"Pod\""),
    );
    let evaluator = Evaluator::new(custom_bundle(dir)).unwrap();
    // More pods than three windows, given in reverse name order.
    let pods: Vec<Resource> = (0..700)
        .rev()
        .map(|i| pod(&format!("p{i:04}"), "shop"))
        .collect();
    let mut batches = Vec::new();
    let stats = evaluator
        .evaluate_stream(pods.clone(), &[], &ctx(), |batch| {
            batches.push(batch);
            Ok::<(), ()>(())
        })
        .unwrap();
    assert!(batches.len() >= 3, "{} batches", batches.len());
    assert!(batches.iter().all(|b| b.len() <= kspm_engine::WINDOW));
    let streamed: Vec<String> = batches
        .iter()
        .flatten()
        .flat_map(|r| &r.findings)
        .map(|f| f.resource.name.clone())
        .collect();
    assert_eq!(stats.findings, 700);
    let mut sorted = streamed.clone();
    sorted.sort();
    assert_eq!(streamed, sorted, "resources come out in name order");
    let collected: Vec<String> = evaluator
        .evaluate(pods, &ctx())
        .findings
        .iter()
        .map(|f| f.resource.name.clone())
        .collect();
    assert_eq!(streamed, collected);
}

#[test]
fn an_error_from_the_consumer_stops_the_evaluation() {
    let tmp = tempdir();
    let dir = tmp.path();
    write_rule(
        dir,
        "always",
        "Pod",
        Some("finding := {\"evaluation\": \"passed\"} if input.resource.kind == \"Pod\""),
    );
    let evaluator = Evaluator::new(custom_bundle(dir)).unwrap();
    let pods: Vec<Resource> = (0..700).map(|i| pod(&format!("p{i:04}"), "shop")).collect();
    let mut calls = 0;
    let result = evaluator.evaluate_stream(pods, &[], &ctx(), |_| {
        calls += 1;
        if calls == 2 { Err("sink down") } else { Ok(()) }
    });
    assert_eq!(result.unwrap_err(), "sink down");
    assert_eq!(calls, 2, "no batch is evaluated after the failure");
}

#[test]
fn rules_routed_to_a_kind_that_could_not_be_read_report_errors_on_the_cluster() {
    let tmp = tempdir();
    let dir = tmp.path();
    write_rule(
        dir,
        "no_public_maps",
        "ConfigMap",
        Some("finding := {\"evaluation\": \"passed\"} if input.resource.kind == \"ConfigMap\""),
    );
    let evaluator = Evaluator::new(custom_bundle(dir)).unwrap();
    let gap = Gap::unreadable(
        ResourceType::K8sObject,
        "ConfigMap",
        "list configmaps: 403 Forbidden",
    );
    let mut findings = Vec::new();
    evaluator
        .evaluate_stream(vec![pod("p", "shop")], &[gap], &ctx(), |batch| {
            findings.extend(batch.into_iter().flat_map(|r| r.findings));
            Ok::<(), ()>(())
        })
        .unwrap();
    assert_eq!(findings.len(), 1);
    let f = &findings[0];
    assert_eq!(f.outcome(), Outcome::Error);
    assert_eq!(f.resource.sub_type, "Cluster");
    let message = &f.error.as_ref().unwrap().message;
    assert!(message.contains("no_public_maps"), "{message}");
    assert!(
        message.contains("list configmaps: 403 Forbidden"),
        "{message}"
    );
}

#[test]
fn a_rule_reading_a_kind_that_could_not_be_read_reports_an_error_never_a_pass() {
    let tmp = tempdir();
    let dir = tmp.path();
    // Passes when the namespace has no NetworkPolicy objects in the inventory: exactly what
    // missing data would look like.
    write_rule_with(
        dir,
        "ns_has_no_policies",
        "Namespace",
        Some(
            "finding := {\"evaluation\": \"passed\"} if { input.resource.kind == \"Namespace\"; count(object.get(data.inventory.objects, \"NetworkPolicy\", {})) == 0 }",
        ),
        "reads: [NetworkPolicy]\n",
    );
    let evaluator = Evaluator::new(custom_bundle(dir)).unwrap();
    let ns = Resource::k8s_object(
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
        cluster(),
    );
    let outcome = |gaps: &[Gap]| {
        let mut findings = Vec::new();
        evaluator
            .evaluate_stream(vec![ns.clone()], gaps, &ctx(), |batch| {
                findings.extend(batch.into_iter().flat_map(|r| r.findings));
                Ok::<(), ()>(())
            })
            .unwrap();
        let f = findings
            .into_iter()
            .find(|f| &*f.rule.id == "ns_has_no_policies")
            .unwrap();
        (f.outcome(), f.error.map(|e| e.message))
    };
    assert_eq!(outcome(&[]), (Outcome::Passed, None));
    let (refused, message) = outcome(&[Gap::unreadable(
        ResourceType::K8sObject,
        "NetworkPolicy",
        "examples/x.yaml:3 (document 0, a NetworkPolicy) is not valid YAML",
    )]);
    assert_eq!(refused, Outcome::Error);
    assert!(message.unwrap().contains("is not valid YAML"));
    // A kind this cluster does not serve is just absent: the rule judges what is there.
    let absent = outcome(&[Gap::absent(
        ResourceType::K8sObject,
        "NetworkPolicy",
        "the API server does not serve networking.k8s.io/v1",
    )]);
    assert_eq!(absent, (Outcome::Passed, None));
}

#[test]
fn bundled_rules_that_read_the_inventory_say_what_they_read() {
    // What reaches other objects: the inventory itself, or the library rules built on it.
    const READERS: [&str; 8] = [
        "data.inventory",
        "lib.namespaces.input_workloads",
        "lib.namespaces.workloads(",
        "lib.namespaces.objects_in(",
        "lib.namespaces.psa_finding",
        "lib.rbac.role_finding",
        "lib.rbac.holders",
        "lib.rbac.bindings_for_key",
    ];
    let bundle = RuleBundle::embedded().unwrap();
    let readers: Vec<_> = bundle
        .rules
        .iter()
        .filter(|r| {
            r.rego
                .as_deref()
                .is_some_and(|rego| READERS.iter().any(|p| rego.contains(p)))
        })
        .collect();
    assert!(readers.len() >= 30, "{} readers found", readers.len());
    let silent: Vec<&str> = readers
        .iter()
        .filter(|r| r.meta.reads.is_empty())
        .map(|r| r.meta.id.as_str())
        .collect();
    assert!(
        silent.is_empty(),
        "these rules read other objects but their meta.yaml has no `reads`: {silent:?}"
    );
}

#[test]
fn default_namespace_rule_judges_what_it_read_and_never_passes_over_kinds_it_could_not() {
    let evaluator = Evaluator::new(RuleBundle::embedded().unwrap()).unwrap();
    let default_ns = Resource::k8s_object(
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}}),
        cluster(),
    );
    let forbidden = Gap::unreadable(
        ResourceType::K8sObject,
        "Lease",
        "list coordination.k8s.io/v1 leases in default: 403 Forbidden",
    );
    let judge = |resources: Vec<Resource>, gaps: &[Gap]| {
        let mut found = None;
        evaluator
            .evaluate_stream(resources, gaps, &ctx(), |batch| {
                for f in batch.into_iter().flat_map(|r| r.findings) {
                    if &*f.rule.id == "default_namespace_unused" {
                        found = Some((f.outcome(), f.result.evidence.to_value()));
                    }
                }
                Ok::<(), ()>(())
            })
            .unwrap();
        found.expect("a 5.6.4 finding")
    };
    assert_eq!(judge(vec![default_ns.clone()], &[]).0, Outcome::Passed);
    // Nothing seen, but leases could not be listed: a person must look.
    let (outcome, evidence) = judge(vec![default_ns.clone()], std::slice::from_ref(&forbidden));
    assert_eq!(outcome, Outcome::Manual);
    assert_eq!(
        evidence["unreadable_kinds"][0],
        "Lease: list coordination.k8s.io/v1 leases in default: 403 Forbidden"
    );
    // A user object that was seen fails the rule whatever could not be read.
    let (outcome, evidence) = judge(
        vec![default_ns, pod("stray", "default")],
        std::slice::from_ref(&forbidden),
    );
    assert_eq!(outcome, Outcome::Failed);
    assert_eq!(evidence["user_objects"][0], "Pod/stray");
}
