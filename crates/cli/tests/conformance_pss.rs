//! Pod Security Standards conformance against the upstream fixtures in
//! ../shared/conformance/pss: every pod under {level}/fail fails that level, every pod under
//! {level}/pass passes it, and a restricted pod also passes baseline.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use kspm_model::Outcome;

/// Failed rule ids per file, counting only rules of the given levels.
fn failures_by_file(dir: &PathBuf, levels: &[&str]) -> BTreeMap<String, (usize, Vec<String>)> {
    let (findings, loaded) = common::scan(std::slice::from_ref(dir), "pss");
    assert_eq!(
        loaded.errors(),
        0,
        "fixtures parse: {:?}",
        loaded.diagnostics
    );
    let mut files: BTreeMap<String, (usize, Vec<String>)> = BTreeMap::new();
    for f in findings {
        let Some(src) = &f.source else { continue };
        let file = PathBuf::from(&src.file().expect("read from a file").file)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let entry = files.entry(file).or_default();
        if levels.contains(&&*f.rule.profile_applicability) {
            entry.0 += 1;
            if f.outcome() == Outcome::Failed {
                entry.1.push(f.rule.id.to_string());
            }
        }
    }
    let count = std::fs::read_dir(dir).unwrap().count();
    assert_eq!(
        files.len(),
        count,
        "every fixture produced findings in {}",
        dir.display()
    );
    files
}

fn check(level: &str, levels: &[&str]) {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let root = shared.join("conformance/pss").join(level);
    let mut wrong = Vec::new();
    for (file, (evaluated, failed)) in failures_by_file(&root.join("fail"), levels) {
        if failed.is_empty() {
            wrong.push(format!(
                "{level}/fail/{file}: passed all {evaluated} {level} rules"
            ));
        }
    }
    for (file, (_, failed)) in failures_by_file(&root.join("pass"), levels) {
        if !failed.is_empty() {
            wrong.push(format!("{level}/pass/{file}: failed {failed:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} conformance mismatches:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn baseline_fixtures_fail_and_pass_as_upstream_says() {
    check("baseline", &["baseline"]);
}

#[test]
fn restricted_fixtures_fail_and_pass_as_upstream_says() {
    check("restricted", &["baseline", "restricted"]);
}

#[test]
fn restricted_passing_pods_also_pass_baseline() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let dir = shared.join("conformance/pss/restricted/pass");
    for (file, (_, failed)) in failures_by_file(&dir, &["baseline"]) {
        assert!(
            failed.is_empty(),
            "restricted/pass/{file} fails baseline rules {failed:?}"
        );
    }
}
