//! Every recommendation of the CIS catalogs in `../shared/catalog/` has a rule with its number
//! in the embedded bundle, and no rule claims a number the benchmark does not have.

mod common;

use std::collections::BTreeSet;

/// The numbers `kspm rules list --benchmark ID` shows.
fn numbers(benchmark: &str) -> BTreeSet<String> {
    let out = common::kspm()
        .args(["rules", "list", "--benchmark", benchmark])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut cols = l.split_whitespace();
            (cols.next() == Some(benchmark)).then(|| cols.next().unwrap().to_owned())
        })
        .collect()
}

fn catalog(file: &str) -> Option<BTreeSet<String>> {
    let text = std::fs::read_to_string(common::shared_dir()?.join("catalog").join(file)).unwrap();
    Some(
        text.lines()
            .skip(1)
            .filter_map(|l| l.split('\t').next())
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
            .collect(),
    )
}

#[test]
fn every_catalog_recommendation_has_a_rule_and_no_rule_invents_a_number() {
    for (benchmark, file) in [
        ("cis_k8s", "cis-kubernetes-1.12.tsv"),
        ("cis_k8s", "cis-kubernetes-2.0.1.tsv"),
        ("cis_eks", "cis-eks-1.8.0.tsv"),
    ] {
        let Some(want) = catalog(file) else { return };
        let have = numbers(benchmark);
        let missing: Vec<&String> = want.difference(&have).collect();
        let extra: Vec<&String> = have.difference(&want).collect();
        assert!(missing.is_empty(), "{file}: no rule for {missing:?}");
        assert!(
            extra.is_empty(),
            "{benchmark}: numbers not in {file}: {extra:?}"
        );
    }
}
