//! A FIFO, a socket or a file that never ends, at a path a node rule reads, is named and
//! skipped: the scan finishes (each scan runs on a thread with a deadline, so a hang fails the
//! test instead of stalling it), the path is an input error saying "not a regular file", and
//! everything else on the node is still read.

#[path = "node_support.rs"]
mod support;

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use kspm_collect::Severity;
use kspm_collect::node::NodeScan;
use support::*;

/// Scans `root` on a thread; panics if it takes longer than a generous deadline.
fn scan_within_deadline(root: &Path) -> NodeScan {
    let (tx, rx) = mpsc::channel();
    let root = root.to_path_buf();
    std::thread::spawn(move || {
        let _ = tx.send(scan(&root));
    });
    rx.recv_timeout(Duration::from_secs(30))
        .expect("the node scan finishes instead of waiting on a special file")
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

fn errors(scan: &NodeScan) -> Vec<String> {
    scan.diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| format!("{}: {}", d.file, d.message))
        .collect()
}

#[test]
fn fifos_and_sockets_where_configs_belong_are_errors_and_the_rest_is_read() {
    let root = empty_root("special-files");
    put(&root, "/etc/hostname", b"node-a\n");
    put_proc(
        &root,
        800,
        &[
            "/usr/bin/kubelet",
            "--config=/var/lib/kubelet/config.yaml",
            "--kubeconfig=/etc/kubernetes/kubelet.conf",
        ],
        &[],
    );
    put_proc(
        &root,
        900,
        &[
            "kube-apiserver",
            "--audit-policy-file=/etc/kubernetes/audit.yaml",
            "--profiling=false",
        ],
        &[],
    );
    std::fs::create_dir_all(root.dir.join("var/lib/kubelet")).unwrap();
    std::fs::create_dir_all(root.dir.join("etc/kubernetes")).unwrap();
    // A FIFO as the kubelet's config: opening it for reading would wait for a writer forever.
    mkfifo(&root.dir.join("var/lib/kubelet/config.yaml"));
    // A FIFO as the host's passwd, read for every file's owner.
    mkfifo(&root.dir.join("etc/passwd"));
    // A listening socket as the kubelet's kubeconfig.
    let _socket =
        std::os::unix::net::UnixListener::bind(root.dir.join("etc/kubernetes/kubelet.conf"))
            .unwrap();
    // A regular file beside them, still read.
    put(
        &root,
        "/etc/kubernetes/audit.yaml",
        b"apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n",
    );

    let scan = scan_within_deadline(&root.dir);
    let errors = errors(&scan);
    for path in [
        "/var/lib/kubelet/config.yaml",
        "/etc/kubernetes/kubelet.conf",
        "/etc/passwd",
    ] {
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with(&format!("{path}:")) && e.contains("not a regular file")),
            "an input error naming {path}: {errors:?}"
        );
    }
    let kubelet = process(&scan, "kubelet");
    assert!(
        kubelet["config_error"]
            .as_str()
            .is_some_and(|e| e.contains("not a regular file (a FIFO)")),
        "{kubelet}"
    );
    let api = process(&scan, "kube-apiserver");
    assert_eq!(api["flags"]["--profiling"][0], "false", "{api}");
    assert_eq!(
        api["referenced"]["--audit-policy-file"]["path"],
        "/etc/kubernetes/audit.yaml"
    );
    assert!(
        api["referenced"]["--audit-policy-file"]
            .get("error")
            .is_none(),
        "{api}"
    );
}
