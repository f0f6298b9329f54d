//! Helpers shared by the node collector tests (included with `#[path]`; no tests of its own).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use kspm_collect::node::{self, NodeOptions, NodeScan};
use kspm_fixtures::node::{self as fixture, Fixture};
use kspm_model::{ClusterInfo, ResourceType};
use serde_json::Value;

/// A temporary host root, removed on drop.
pub struct Root {
    /// The directory.
    pub dir: PathBuf,
    /// Removes it on drop.
    _tmp: tempfile::TempDir,
}

/// A fresh empty directory under the temp dir, removed when dropped.
pub fn empty_root(name: &str) -> Root {
    let tmp = tempfile::Builder::new()
        .prefix(&format!("kspm-node-test-{name}-"))
        .tempdir()
        .expect("create temp root");
    Root {
        dir: tmp.path().to_path_buf(),
        _tmp: tmp,
    }
}

/// The cluster every test scan belongs to.
pub fn cluster() -> ClusterInfo {
    ClusterInfo {
        id: "cluster-uid-1".into(),
        name: "test".into(),
        ..Default::default()
    }
}

/// Scan options with [`cluster`] and no node name.
pub fn options() -> NodeOptions {
    NodeOptions {
        cluster: cluster(),
        node_name: None,
    }
}

/// Writes a fixture and scans it.
pub fn scan_fixture(kind: Fixture) -> (Root, NodeScan) {
    let root = empty_root(kind.slug());
    fixture::write(kind, &root.dir).expect("write fixture");
    let scan = node::collect(&root.dir, &options());
    (root, scan)
}

/// Scans a root with [`options`].
pub fn scan(root: &Path) -> NodeScan {
    node::collect(root, &options())
}

/// The facts of a component's process resource (panics when absent).
pub fn process<'a>(scan: &'a NodeScan, component: &str) -> &'a Value {
    maybe_process(scan, component).unwrap_or_else(|| panic!("no {component} process"))
}

/// The facts of a component's process resource, if any.
pub fn maybe_process<'a>(scan: &'a NodeScan, component: &str) -> Option<&'a Value> {
    scan.resources
        .iter()
        .find(|r| r.kind == ResourceType::Process && r.sub_type == component)
        .map(|r| &*r.resource)
}

/// The facts of the file resource for a path (panics when absent).
pub fn file<'a>(scan: &'a NodeScan, path: &str) -> &'a Value {
    maybe_file(scan, path).unwrap_or_else(|| panic!("no file resource for {path}"))
}

/// The facts of the file resource for a path, if any.
pub fn maybe_file<'a>(scan: &'a NodeScan, path: &str) -> Option<&'a Value> {
    scan.resources
        .iter()
        .find(|r| r.kind == ResourceType::File && r.resource["path"] == path)
        .map(|r| &*r.resource)
}

/// The roles of a file resource.
pub fn roles(f: &Value) -> Vec<&str> {
    f["roles"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Files with a role, by path.
pub fn with_role<'a>(scan: &'a NodeScan, role: &str) -> Vec<&'a str> {
    scan.resources
        .iter()
        .filter(|r| r.kind == ResourceType::File && roles(&r.resource).contains(&role))
        .filter_map(|r| r.resource["path"].as_str())
        .collect()
}

/// Whether owner assertions can run for the fixture in `root` (chown needs root).
pub fn owners_applied(root: &Root) -> bool {
    let ok = fixture::ownership_applied(&root.dir);
    if !ok {
        eprintln!("NOT RUN: ownership assertions (chown was refused while writing the fixture)");
    }
    ok
}

/// Writes a file under a root, creating parents.
pub fn put(root: &Root, path: &str, content: &[u8]) {
    let real = root.dir.join(path.trim_start_matches('/'));
    std::fs::create_dir_all(real.parent().expect("parent")).expect("mkdir");
    std::fs::write(real, content).expect("write");
}

/// Writes `proc/<pid>/{cmdline,comm,environ}`.
pub fn put_proc(root: &Root, pid: u32, argv: &[&str], environ: &[&str]) {
    let comm = fixture::kernel_comm(argv.first().copied().unwrap_or_default());
    put(
        root,
        &format!("/proc/{pid}/cmdline"),
        format!("{}\0", argv.join("\0")).as_bytes(),
    );
    put(
        root,
        &format!("/proc/{pid}/comm"),
        format!("{comm}\n").as_bytes(),
    );
    put(
        root,
        &format!("/proc/{pid}/environ"),
        environ.join("\0").as_bytes(),
    );
}
