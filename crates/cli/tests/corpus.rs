//! The real-world manifests in ../shared/corpus/manifests scan cleanly, and the per-rule
//! outcome counts are pinned so that a rule change shows up as a reviewed snapshot diff.

mod common;

use std::collections::BTreeMap;

#[test]
fn corpus_scans_without_parse_errors_and_per_rule_counts_are_stable() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let dir = shared.join("corpus/manifests");
    let (findings, loaded) = common::scan(std::slice::from_ref(&dir), "all");
    assert_eq!(loaded.files, 11, "all 11 manifests read");
    assert_eq!(
        loaded.errors(),
        0,
        "no parse errors: {:#?}",
        loaded.diagnostics
    );
    assert!(!findings.is_empty());
    let mut counts: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for f in &findings {
        let key = format!(
            "{} {} {}",
            f.rule.benchmark.id, f.rule.benchmark.rule_number, f.rule.id
        );
        *counts
            .entry(key)
            .or_default()
            .entry(f.outcome().as_str().to_owned())
            .or_default() += 1;
        if f.outcome() == kspm_model::Outcome::Failed {
            assert!(
                !f.rule.remediation.text().contains("{{"),
                "remediation filled for {} on {}",
                f.rule.id,
                f.resource.name
            );
        }
    }
    let errors: Vec<_> = findings
        .iter()
        .filter_map(|f| f.error.as_ref().map(|e| e.message.clone()))
        .collect();
    assert!(
        errors.is_empty(),
        "no rule errors on real manifests: {errors:#?}"
    );
    insta::assert_json_snapshot!("corpus_rule_counts", counts);
}

#[test]
fn vm_and_interpreter_agree_on_every_finding_of_the_corpus_and_example() {
    use kspm_engine::{Evaluator, RuleBundle};
    let mut paths =
        vec![std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples")];
    if let Some(shared) = common::shared_dir() {
        paths.push(shared.join("corpus/manifests"));
        paths.push(shared.join("conformance/pss"));
    }
    let (resources, ctx, _) = common::load(&paths, "all");
    let outcomes = |evaluator: Evaluator| {
        let mut v: Vec<(String, String, String)> = evaluator
            .evaluate(resources.clone(), &ctx)
            .findings
            .into_iter()
            .map(|f| {
                (
                    f.resource.id.clone(),
                    f.rule.id.to_string(),
                    format!("{} {}", f.result.evaluation, f.result.evidence),
                )
            })
            .collect();
        v.sort();
        v
    };
    let vm = Evaluator::new(RuleBundle::embedded().unwrap()).unwrap();
    assert!(
        vm.interpreted_rules().is_empty(),
        "every bundled rule runs on the VM: {:?}",
        vm.interpreted_rules()
    );
    let on_vm = outcomes(vm);
    let interpreted =
        outcomes(Evaluator::interpreter_only(RuleBundle::embedded().unwrap()).unwrap());
    assert_eq!(on_vm.len(), interpreted.len(), "same number of findings");
    for (a, b) in on_vm.iter().zip(&interpreted) {
        assert_eq!(a, b, "VM and interpreter disagree");
    }
}
