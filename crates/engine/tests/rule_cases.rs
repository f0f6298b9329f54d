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
