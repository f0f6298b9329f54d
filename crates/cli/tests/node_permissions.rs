//! `kspm scan --host-root` reading through real permission denials: the binary runs as an
//! unprivileged user (`setpriv`, uid/gid 65534) over a fixture host root written by root, whose
//! kubelet drop-in directory, static pod directory and `pki/etcd` are 0700 root:root
//! (`kspm_fixtures::node::write_locked`). What kspm cannot read must come out as `error`
//! findings and input errors naming the path and the errno (exit 2), never as `passed` or
//! `not_applicable`; read as root, the same fixture is judged on its content.
//!
//! The tests need root (to write root-owned files and to drop privileges) and `setpriv` (util-linux);
//! they fail, saying so, when either is missing.

mod common;

use std::path::Path;
use std::process::Command;

use kspm_fixtures::node::{self as fixture, KUBELET_DROPIN_DIR, LOCKED_DIRS};
use serde_json::Value;

/// A fresh directory under the temp dir (world-traversable, so that the unprivileged reader
/// reaches the fixture inside), removed on drop.
fn temp_dir(tag: &str) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::Builder::new()
        .prefix(&format!("kspm-perm-{tag}-"))
        .tempdir()
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

struct Scan {
    code: i32,
    findings: Vec<Value>,
    stderr: String,
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

/// `kspm scan --host-root root -o json --fail-on none`, as root or as uid/gid 65534.
fn scan(root: &Path, unprivileged: bool) -> Scan {
    let kspm = env!("CARGO_BIN_EXE_kspm");
    let mut cmd = if unprivileged {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--",
            kspm,
        ]);
        c
    } else {
        Command::new(kspm)
    };
    let out = cmd
        .args(["scan", "-o", "json", "--fail-on", "none", "--host-root"])
        .arg(root)
        .output()
        .expect("setpriv and kspm run (setpriv comes with util-linux)");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let findings = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("json output: {e}; stderr:\n{stderr}"));
    Scan {
        code: out.status.code().expect("kspm exited normally"),
        findings,
        stderr,
    }
}

/// Writes the locked fixture (as root) and checks the preconditions of these tests.
fn locked_root(tag: &str) -> tempfile::TempDir {
    assert!(
        running_as_root(),
        "these tests write root-owned 0700 directories and drop privileges: run them as root"
    );
    let dir = temp_dir(tag);
    fixture::write_locked(dir.path()).expect("write the locked fixture");
    assert!(
        fixture::ownership_applied(dir.path()),
        "the fixture's owners were applied"
    );
    dir
}

fn outcomes<'a>(findings: &'a [Value], rule_number: &str, resource: &str) -> Vec<&'a Value> {
    findings
        .iter()
        .filter(|f| {
            f["rule"]["benchmark"]["rule_number"] == rule_number
                && f["resource"]["name"] == resource
        })
        .collect()
}

fn describe(f: &Value) -> String {
    format!(
        "{} {} on {}: {} {} {}",
        f["rule"]["benchmark"]["rule_number"],
        f["rule"]["id"],
        f["resource"]["name"],
        f["result"]["evaluation"],
        f["error"]["message"],
        f["result"]["evidence"]
    )
}

/// The single finding of a rule on a resource, which must be an error whose message names
/// `path` and the errno.
fn assert_error_naming(findings: &[Value], rule_number: &str, resource: &str, path: &str) {
    let found = outcomes(findings, rule_number, resource);
    assert_eq!(
        found.len(),
        1,
        "one {rule_number} finding on {resource}; all findings of the rule: {:?}",
        findings
            .iter()
            .filter(|f| f["rule"]["benchmark"]["rule_number"] == rule_number)
            .map(describe)
            .collect::<Vec<_>>()
    );
    let f = found[0];
    assert_eq!(f["result"]["evaluation"], "error", "{}", describe(f));
    let message = f["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(path) && message.contains("EACCES"),
        "{rule_number} on {resource} names {path} and EACCES: {message:?}"
    );
}

#[test]
fn unreadable_directories_give_error_findings_and_an_input_error_never_a_pass() {
    let root = locked_root("unprivileged");
    let scan = scan(root.path(), true);
    // Input errors: exit 2, and one line per locked directory naming it and the errno.
    assert_eq!(
        scan.code, 2,
        "an input that could not be read is exit 2; stderr:\n{}",
        scan.stderr
    );
    for dir in LOCKED_DIRS {
        assert!(
            scan.stderr
                .lines()
                .any(|l| l.contains("error") && l.contains(dir) && l.contains("EACCES")),
            "an input error names {dir} and EACCES; stderr:\n{}",
            scan.stderr
        );
    }

    // 4.2.1: the drop-in that turns anonymous auth on is out of sight; the old behaviour took
    // the directory for empty and passed.
    assert_error_naming(&scan.findings, "4.2.1", "cp-1/kubelet", KUBELET_DROPIN_DIR);

    // 1.1.1 to 1.1.8: the manifests cannot be listed; every manifest rule reports that on the
    // directory (before: not applicable, as if the node ran no control plane).
    for number in [
        "1.1.1", "1.1.2", "1.1.3", "1.1.4", "1.1.5", "1.1.6", "1.1.7", "1.1.8",
    ] {
        assert_error_naming(
            &scan.findings,
            number,
            "cp-1:/etc/kubernetes/manifests",
            "/etc/kubernetes/manifests",
        );
        let others: Vec<String> = scan
            .findings
            .iter()
            .filter(|f| f["rule"]["benchmark"]["rule_number"] == number)
            .filter(|f| f["result"]["evaluation"] != "error")
            .map(describe)
            .collect();
        assert!(others.is_empty(), "{number} only errors: {others:?}");
    }

    // 1.1.19 to 1.1.21: pki/etcd cannot be listed, so nothing below it was judged.
    for number in ["1.1.19", "1.1.20", "1.1.21"] {
        assert_error_naming(
            &scan.findings,
            number,
            "cp-1:/etc/kubernetes/pki",
            "/etc/kubernetes/pki/etcd",
        );
    }

    // No finding on what kspm could not read is passed or not applicable (not applicable
    // findings are not reported at all: the error findings above are the proof).
    for f in &scan.findings {
        let resource = f["resource"]["name"].as_str().unwrap_or_default();
        if LOCKED_DIRS.iter().any(|d| resource == format!("cp-1:{d}")) {
            assert_eq!(f["result"]["evaluation"], "error", "{}", describe(f));
        }
    }
}

#[test]
fn read_as_root_the_same_fixture_is_judged_on_its_content() {
    let root = locked_root("root");
    let scan = scan(root.path(), false);
    assert_eq!(scan.code, 0, "stderr:\n{}", scan.stderr);
    let anon = outcomes(&scan.findings, "4.2.1", "cp-1/kubelet");
    assert_eq!(anon.len(), 1);
    assert_eq!(
        anon[0]["result"]["evaluation"],
        "failed",
        "{}",
        describe(anon[0])
    );
    assert!(
        anon[0]["result"]["evidence"]["anonymous_auth"]
            .as_str()
            .unwrap_or_default()
            .contains(&format!("{KUBELET_DROPIN_DIR}/90-debug.conf")),
        "the evidence names the drop-in: {}",
        describe(anon[0])
    );
    let manifest = outcomes(
        &scan.findings,
        "1.1.1",
        "cp-1:/etc/kubernetes/manifests/kube-apiserver.yaml",
    );
    assert_eq!(manifest.len(), 1);
    assert_eq!(manifest[0]["result"]["evaluation"], "passed");
}
