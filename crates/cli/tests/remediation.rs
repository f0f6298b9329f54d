//! Remediation people can run: every failed, manual or error finding that kspm produces on the
//! bundled examples, the fixture nodes and the platform-default RBAC fixtures carries its
//! remediation with no `<name>`-style placeholder left for the reader to guess (they are filled
//! from the evidence, or the text says "for each … in the evidence"), and failed and manual ones
//! with every `{{placeholder}}` filled.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use kspm_engine::harness::angle_placeholders;
use kspm_fixtures::node::{self as fixture, Fixture};
use serde_json::Value;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every finding of `kspm scan -o json --fail-on none` over the arguments.
fn scan(args: &[&std::ffi::OsStr]) -> Vec<Value> {
    let out = common::kspm()
        .args([
            "scan",
            "-o",
            "json",
            "--fail-on",
            "none",
            "--benchmark",
            "all",
        ])
        .args(args)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "json output: {e}; stderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Problems in the remediation of the findings a person acts on.
fn problems(findings: &[Value]) -> Vec<String> {
    let mut out = BTreeSet::new();
    for f in findings {
        if f["result"]["evaluation"] == "passed" {
            continue;
        }
        let text = f["rule"]["remediation"].as_str().unwrap_or_default();
        let who = format!(
            "{} ({}) on {}",
            f["rule"]["id"].as_str().unwrap_or_default(),
            f["result"]["evaluation"].as_str().unwrap_or_default(),
            f["resource"]["name"].as_str().unwrap_or_default()
        );
        for p in angle_placeholders(text) {
            out.insert(format!("{who}: {p}"));
        }
        // An error finding has no evidence to fill from: its message says what to fix first.
        if text.contains("{{") && f["result"]["evaluation"] != "error" {
            out.insert(format!("{who}: unfilled {{{{…}}}}"));
        }
    }
    out.into_iter().collect()
}

fn temp(tag: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("kspm-remediation-{tag}-"))
        .tempdir()
        .unwrap()
}

#[test]
fn remediations_of_the_examples_and_platform_defaults_are_filled() {
    let root = workspace();
    let findings = scan(&[
        root.join("examples/shop").as_os_str(),
        root.join("examples/demo").as_os_str(),
        root.join("crates/cli/tests/data/platform-defaults")
            .as_os_str(),
    ]);
    assert!(findings.len() > 100, "{} findings", findings.len());
    let bad = problems(&findings);
    assert!(
        bad.is_empty(),
        "unfilled placeholders:\n  {}",
        bad.join("\n  ")
    );
}

#[test]
fn remediations_of_the_fixture_nodes_are_filled() {
    let mut bad = Vec::new();
    for kind in Fixture::ALL {
        let dir = temp(kind.slug());
        fixture::write(kind, dir.path()).unwrap();
        let findings = scan(&[Path::new("--host-root").as_os_str(), dir.path().as_os_str()]);
        assert!(!findings.is_empty(), "{}", kind.slug());
        bad.extend(problems(&findings));
    }
    let dir = temp("locked");
    fixture::write_locked(dir.path()).unwrap();
    bad.extend(problems(&scan(&[
        Path::new("--host-root").as_os_str(),
        dir.path().as_os_str(),
    ])));
    assert!(
        bad.is_empty(),
        "unfilled placeholders:\n  {}",
        bad.join("\n  ")
    );
}
