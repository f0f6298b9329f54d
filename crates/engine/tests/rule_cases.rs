//! Every case of every rule in the embedded bundle passes through the real engine.

#[test]
fn every_embedded_rule_case_passes() {
    let bundle = kspm_engine::RuleBundle::embedded().expect("embedded bundle loads");
    assert!(!bundle.rules.is_empty(), "the bundle has rules");
    let report = kspm_engine::harness::run(&bundle).expect("bundle compiles");
    let failures: Vec<String> = report
        .cases
        .iter()
        .filter_map(|c| {
            c.problem
                .as_ref()
                .map(|p| format!("{} :: {}: {p}", c.rule, c.name))
        })
        .chain(report.problems.iter().cloned())
        .collect();
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
    println!(
        "{} cases passed across {} rules",
        report.cases.len(),
        bundle.rules.len()
    );
}

/// A rule whose cases never show one of passed, failed and not_applicable must say why in its
/// meta (`outcomes_not_possible`), and must not give a reason for an outcome a case produces.
#[test]
fn missing_outcomes_need_a_written_reason_and_stale_reasons_are_problems() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let rule_dir = dir.join("cis_k8s/only_passes");
    std::fs::create_dir_all(&rule_dir).unwrap();
    std::fs::write(
        dir.join("cis_k8s/benchmark.yaml"),
        "id: cis_k8s\nname: t\nversions: [\"1.12\"]\nsections: [{id: \"9.9\", name: s}]\n",
    )
    .unwrap();
    let meta = |extra: &str| {
        format!(
            "id: only_passes\nbenchmarks: [{{id: cis_k8s, versions: [\"1.12\"], number: \"9.9.9\"}}]\n\
             title: t\nsection: s\nprofile: p\nassessment: manual\n\
             applies_to: {{type: k8s_object, sub_types: [Namespace]}}\n\
             description: d\nrationale: r\nremediation: m\n{extra}"
        )
    };
    std::fs::write(
        rule_dir.join("rule.rego"),
        "package kspm.rules.only_passes\n\nimport rego.v1\n\n\
         finding := {\"evaluation\": \"passed\", \"evidence\": {}, \"expected\": {}} if input.resource.kind == \"Namespace\"\n",
    )
    .unwrap();
    std::fs::write(
        rule_dir.join("cases.yaml"),
        "cases:\n  - name: a namespace passes\n    object: {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n    expect: passed\n\
         \x20 - name: a pod does not apply\n    object: {apiVersion: v1, kind: Pod, metadata: {name: p, namespace: a}}\n    expect: not_applicable\n",
    )
    .unwrap();
    let problems = |extra: &str| {
        std::fs::write(rule_dir.join("meta.yaml"), meta(extra)).unwrap();
        let bundle = kspm_engine::RuleBundle::from_dir(&dir).expect("bundle loads");
        kspm_engine::harness::run(&bundle).unwrap().problems
    };
    let without = problems("");
    assert!(
        without
            .iter()
            .any(|p| p.contains("no case with outcome failed")),
        "{without:?}"
    );
    assert!(
        problems("outcomes_not_possible: {failed: \"it only reports\"}").is_empty(),
        "a written reason is enough"
    );
    let stale = problems("outcomes_not_possible: {failed: \"it only reports\", passed: \"never\"}");
    assert!(
        stale
            .iter()
            .any(|p| p.contains("lists passed, but a case produces it")),
        "{stale:?}"
    );
}
