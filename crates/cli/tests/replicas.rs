//! Replicas of one template share one evaluation: the findings are exactly those of evaluating
//! every pod on its own.

mod common;

use kspm_engine::{Evaluator, RuleBundle};
use kspm_fixtures::cluster::{Shape, write};

fn documents(evaluator: Evaluator, path: &std::path::Path) -> Vec<String> {
    let (resources, ctx, loaded) = common::load(&[path.to_path_buf()], "all");
    assert_eq!(loaded.errors(), 0);
    evaluator
        .evaluate(resources, &ctx)
        .findings
        .iter()
        .map(|f| serde_json::to_string(f).unwrap())
        .collect()
}

#[test]
fn shared_evaluations_of_replicas_give_the_findings_of_evaluating_each_pod() {
    let dir = tempfile::tempdir().unwrap();
    for (shape, name) in [
        (Shape::WithoutReplicaSets, "pods.json"),
        (Shape::Complete, "all.json"),
    ] {
        let path = dir.path().join(name);
        let mut out = Vec::new();
        write(600, 3, shape, &mut out).unwrap();
        std::fs::write(&path, out).unwrap();
        let shared = documents(
            Evaluator::new(RuleBundle::embedded().unwrap()).unwrap(),
            &path,
        );
        let alone = documents(
            Evaluator::new(RuleBundle::embedded().unwrap())
                .unwrap()
                .share_replicas(false),
            &path,
        );
        assert!(shared.len() > 1000, "{name}: {} findings", shared.len());
        assert_eq!(shared.len(), alone.len(), "{name}");
        for (a, b) in shared.iter().zip(&alone) {
            assert_eq!(a, b, "{name}");
        }
    }
}

#[test]
fn daemonset_pods_on_many_nodes_share_and_a_pod_changed_after_creation_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let mut docs = String::new();
    for (i, node) in ["node-a", "node-b", "node-c"].iter().enumerate() {
        // The third pod was given hostNetwork after the fact (a mutating webhook, say).
        let extra = if i == 2 { "  hostNetwork: true\n" } else { "" };
        docs.push_str(&format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: agent-{i}\n  namespace: ops\n  uid: u-{i}\n  ownerReferences:\n  - {{apiVersion: apps/v1, kind: DaemonSet, name: agent, uid: ds-1, controller: true}}\nspec:\n  nodeName: {node}\n{extra}  containers:\n  - name: agent\n    image: agent:1\n    securityContext: {{privileged: true}}\nstatus:\n  phase: Running\n  podIP: 10.0.0.{i}\n"
        ));
    }
    let path = dir.path().join("ds.yaml");
    std::fs::write(&path, docs).unwrap();
    let findings = documents(
        Evaluator::new(RuleBundle::embedded().unwrap()).unwrap(),
        &path,
    );
    let alone = documents(
        Evaluator::new(RuleBundle::embedded().unwrap())
            .unwrap()
            .share_replicas(false),
        &path,
    );
    assert_eq!(findings, alone);
    // Each pod has its own findings, named after itself; only the changed one fails the host-namespaces control.
    let host_network: Vec<(String, String)> = findings
        .iter()
        .map(|d| serde_json::from_str::<serde_json::Value>(d).unwrap())
        .filter(|f| f["rule"]["id"] == "pss_host_namespaces")
        .map(|f| {
            (
                f["resource"]["name"].as_str().unwrap().to_owned(),
                f["result"]["evaluation"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        host_network,
        [
            ("ops/agent-0".to_owned(), "passed".to_owned()),
            ("ops/agent-1".to_owned(), "passed".to_owned()),
            ("ops/agent-2".to_owned(), "failed".to_owned()),
        ]
    );
}
