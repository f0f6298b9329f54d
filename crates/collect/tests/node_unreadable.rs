//! "Absent" and "cannot read" are different answers: a path that exists but cannot be examined
//! (here: a file where a directory is expected, a symlink loop, a directory where a file is
//! expected, which root meets too) becomes an `error` fact and an input error (a
//! `Severity::Error` diagnostic naming the path and the errno), never an empty listing or a
//! default. Real permission denials need an unprivileged reader: crates/cli/tests/node_permissions.rs.

#[path = "node_support.rs"]
mod support;

use std::os::unix::fs::symlink;

use kspm_collect::Severity;
use serde_json::json;
use support::*;

const KUBELET: &[&str] = &[
    "/usr/bin/kubelet",
    "--config=/var/lib/kubelet/config.yaml",
    "--kubeconfig=/etc/kubernetes/kubelet.conf",
];

fn kubelet_root(name: &str, extra: &[&str]) -> Root {
    let root = empty_root(name);
    put(&root, "/etc/hostname", b"node-a\n");
    let mut argv = KUBELET.to_vec();
    argv.extend_from_slice(extra);
    put_proc(&root, 800, &argv, &[]);
    put(
        &root,
        "/var/lib/kubelet/config.yaml",
        b"apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication:\n  anonymous:\n    enabled: false\nstaticPodPath: /etc/kubernetes/manifests\n",
    );
    put(
        &root,
        "/etc/kubernetes/kubelet.conf",
        b"apiVersion: v1\nkind: Config\nusers: [{name: n, user: {client-certificate: /var/lib/kubelet/pki/c.pem}}]\n",
    );
    root
}

/// The error diagnostics of a scan, as "path: message".
fn errors(scan: &kspm_collect::node::NodeScan) -> Vec<String> {
    scan.diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| format!("{}: {}", d.file, d.message))
        .collect()
}

#[test]
fn a_config_dir_that_cannot_be_listed_makes_the_kubelet_config_unknown() {
    let root = kubelet_root("dropin-file", &["--config-dir=/etc/kubelet.d"]);
    // A file where the drop-in directory should be: it exists, it cannot be listed.
    put(&root, "/etc/kubelet.d", b"not a directory\n");
    let scan = scan(&root.dir);
    let k = process(&scan, "kubelet");
    let why = k["config_error"].as_str().unwrap();
    assert!(
        why.contains("/etc/kubelet.d") && why.contains("(ENOTDIR)"),
        "{why}"
    );
    // Nothing from the config file or the defaults: a drop-in could have changed any key.
    assert!(
        k["effective"]
            .get("authentication.anonymous.enabled")
            .is_none(),
        "{}",
        k["effective"]
    );
    assert!(
        errors(&scan)
            .iter()
            .any(|e| e.starts_with("/etc/kubelet.d:") && e.contains("ENOTDIR")),
        "{:?}",
        errors(&scan)
    );
}

#[test]
fn a_missing_config_dir_is_simply_empty() {
    let root = kubelet_root("dropin-missing", &["--config-dir=/etc/kubelet.d"]);
    let scan = scan(&root.dir);
    let k = process(&scan, "kubelet");
    assert!(k.get("config_error").is_none(), "{k}");
    assert_eq!(
        k["effective"]["authentication.anonymous.enabled"]["value"],
        false
    );
    assert!(errors(&scan).is_empty(), "{:?}", errors(&scan));
}

#[test]
fn a_static_pod_path_that_cannot_be_listed_is_an_error_for_every_manifest_rule() {
    let root = kubelet_root("static-file", &[]);
    put(&root, "/etc/kubernetes/manifests", b"not a directory\n");
    let scan = scan(&root.dir);
    let dir = file(&scan, "/etc/kubernetes/manifests");
    assert_eq!(
        roles(dir),
        [
            "apiserver-manifest",
            "controller-manager-manifest",
            "scheduler-manifest",
            "etcd-manifest"
        ]
    );
    let why = dir["error"].as_str().unwrap();
    assert!(
        why.contains("cannot list the static pod directory") && why.contains("(ENOTDIR)"),
        "{why}"
    );
    // What the node runs is unknown, not "a control plane".
    assert_eq!(scan.node.roles, ["worker"]);
    assert!(
        errors(&scan)
            .iter()
            .any(|e| e.starts_with("/etc/kubernetes/manifests:")),
        "{:?}",
        errors(&scan)
    );
}

#[test]
fn a_manifest_that_cannot_be_read_is_reported_to_every_manifest_rule() {
    let root = kubelet_root("manifest-loop", &[]);
    put(
        &root,
        "/etc/kubernetes/manifests/kube-scheduler.yaml",
        b"apiVersion: v1\nkind: Pod\nspec:\n  containers: [{command: [kube-scheduler]}]\n",
    );
    // A symlink loop: listed, but its content (which component it runs) cannot be read.
    symlink(
        "custom.yaml",
        root.dir.join("etc/kubernetes/manifests/custom.yaml"),
    )
    .unwrap();
    let scan = scan(&root.dir);
    let custom = file(&scan, "/etc/kubernetes/manifests/custom.yaml");
    assert_eq!(roles(custom).len(), 4, "{custom}");
    assert!(
        custom["error"]
            .as_str()
            .unwrap()
            .contains("too many levels of symbolic links (ELOOP)"),
        "{custom}"
    );
    // The readable one is judged as usual.
    let sched = file(&scan, "/etc/kubernetes/manifests/kube-scheduler.yaml");
    assert_eq!(roles(sched), ["scheduler-manifest"]);
    assert!(sched.get("error").is_none());
}

#[test]
fn an_unreadable_etcd_environment_leaves_unflagged_settings_unknown() {
    let root = empty_root("etcd-environ");
    put(&root, "/etc/hostname", b"cp\n");
    put_proc(
        &root,
        1200,
        &[
            "etcd",
            "--data-dir=/var/lib/etcd",
            "--client-cert-auth=true",
        ],
        &[],
    );
    // environ as a directory: it exists, it cannot be read.
    let environ = root.dir.join("proc/1200/environ");
    std::fs::remove_file(&environ).unwrap();
    std::fs::create_dir(&environ).unwrap();
    let scan = scan(&root.dir);
    let etcd = process(&scan, "etcd");
    assert!(
        etcd["env_error"].as_str().unwrap().contains("(EISDIR)"),
        "{etcd}"
    );
    assert_eq!(etcd["effective"]["--client-cert-auth"]["value"], "true");
    // Not defaulted to false: ETCD_AUTO_TLS could have set it.
    assert!(etcd["effective"].get("--auto-tls").is_none(), "{etcd}");
    assert!(
        errors(&scan)
            .iter()
            .any(|e| e.starts_with("/proc/1200/environ:")),
        "{:?}",
        errors(&scan)
    );
}

#[test]
fn an_unreadable_kubelet_kubeconfig_and_referenced_file_are_input_errors() {
    let root = kubelet_root("kubeconfig-dir", &[]);
    std::fs::remove_file(root.dir.join("etc/kubernetes/kubelet.conf")).unwrap();
    std::fs::create_dir(root.dir.join("etc/kubernetes/kubelet.conf")).unwrap();
    put_proc(
        &root,
        900,
        &[
            "kube-apiserver",
            "--audit-policy-file=/etc/kubernetes/audit",
        ],
        &[],
    );
    std::fs::create_dir_all(root.dir.join("etc/kubernetes/audit")).unwrap();
    let scan = scan(&root.dir);
    let errors = errors(&scan);
    assert!(
        errors
            .iter()
            .any(|e| e
                == "/etc/kubernetes/kubelet.conf: kubelet --kubeconfig: is a directory (EISDIR)"),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e
            == "/etc/kubernetes/audit: kube-apiserver --audit-policy-file: is a directory (EISDIR)"),
        "{errors:?}"
    );
    let api = process(&scan, "kube-apiserver");
    assert_eq!(
        api["referenced"]["--audit-policy-file"],
        json!({"path": "/etc/kubernetes/audit", "error": "is a directory (EISDIR)"})
    );
}

#[test]
fn a_systemd_drop_in_directory_that_cannot_be_listed_is_an_error() {
    let root = kubelet_root("unit-dropins", &[]);
    put(
        &root,
        "/etc/systemd/system/kubelet.service.d",
        b"not a directory\n",
    );
    let scan = scan(&root.dir);
    let d = file(&scan, "/etc/systemd/system/kubelet.service.d");
    assert_eq!(roles(d), ["kubelet-service"]);
    assert!(d["error"].as_str().unwrap().contains("ENOTDIR"), "{d}");
}

#[test]
fn files_that_exist_but_cannot_be_examined_are_input_errors_naming_them() {
    let (_root, scan) = scan_fixture(kspm_fixtures::node::Fixture::OddLayouts);
    let errors = errors(&scan);
    // The OddLayouts symlink loops and directories: each is an input error, with its errno.
    for (path, errno) in [
        ("/etc/kubernetes/scheduler.conf", "ELOOP"),
        ("/etc/kube-proxy-loop/kubeconfig", "ELOOP"),
        ("/etc/kubernetes/enc/loop.yaml", "ELOOP"),
        ("/etc/kubernetes/audit", "EISDIR"),
        ("/etc/kube-proxy", "EISDIR"),
    ] {
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with(&format!("{path}:")) && e.contains(errno)),
            "an input error for {path} ({errno}): {errors:?}"
        );
    }
}
