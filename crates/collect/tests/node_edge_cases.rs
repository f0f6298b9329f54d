//! Node collector on small hand-built host roots: missing pieces, broken configs, etcd config
//! files, flag defaults, escaping symlinks and caps.

#[path = "node_support.rs"]
mod support;

use std::os::unix::fs::symlink;

use kspm_collect::Severity;
use kspm_collect::node::{self, NodeOptions};
use serde_json::json;
use support::*;

#[test]
fn a_missing_root_is_a_diagnostic_not_a_crash() {
    let root = empty_root("missing");
    let gone = root.dir.join("nope");
    let scan = scan(&gone);
    assert!(scan.resources.is_empty());
    assert_eq!(scan.node.name, "unknown-node");
    assert_eq!(scan.diagnostics.len(), 1);
    assert_eq!(scan.diagnostics[0].severity, Severity::Error);
}

#[test]
fn without_proc_the_scan_reports_it_and_falls_back_to_default_paths() {
    let root = empty_root("noproc");
    put(&root, "/etc/hostname", b"Offline-Image\n");
    put(
        &root,
        "/etc/kubernetes/manifests/kube-apiserver.yaml",
        b"kind: Pod\n",
    );
    put(&root, "/etc/kubernetes/admin.conf", b"kind: Config\n");
    put(
        &root,
        "/var/lib/kubelet/config.yaml",
        b"kind: KubeletConfiguration\n",
    );
    let scan = scan(&root.dir);
    assert!(
        scan.diagnostics
            .iter()
            .any(|d| d.file == "/proc" && d.severity == Severity::Error)
    );
    // The kubelet registers the lowercased hostname.
    assert_eq!(scan.node.name, "offline-image");
    assert_eq!(scan.node.roles, ["control-plane"]);
    let manifest = file(&scan, "/etc/kubernetes/manifests/kube-apiserver.yaml");
    assert_eq!(roles(manifest), ["apiserver-manifest"]);
    assert_eq!(manifest["found_by"], "kubeadm default static pod path");
    assert_eq!(
        file(&scan, "/etc/kubernetes/admin.conf")["found_by"],
        "kubeadm default"
    );
    assert_eq!(
        roles(file(&scan, "/var/lib/kubelet/config.yaml")),
        ["kubelet-config"]
    );
    // No passwd in the root: ids without names.
    assert!(manifest.get("owner").is_none());
}

#[test]
fn node_name_falls_back_from_options_to_unknown() {
    let root = empty_root("names");
    std::fs::create_dir_all(root.dir.join("proc")).unwrap();
    let named = node::collect(
        &root.dir,
        &NodeOptions {
            cluster: cluster(),
            node_name: Some("from-downward-api".into()),
        },
    );
    assert_eq!(named.node.name, "from-downward-api");
    assert_eq!(named.node.roles, ["worker"]);
    let unknown = scan(&root.dir);
    assert_eq!(unknown.node.name, "unknown-node");
    assert!(
        unknown
            .diagnostics
            .iter()
            .any(|d| d.message.contains("unknown-node"))
    );
}

#[test]
fn etcd_config_file_replaces_flags_and_environment() {
    let root = empty_root("etcdcfg");
    put_proc(
        &root,
        10,
        &[
            "/usr/bin/etcd",
            "--config-file=/etc/etcd/etcd.conf.yml",
            "--client-cert-auth=false",
        ],
        &["ETCD_AUTO_TLS=true", "HOME=/root"],
    );
    put(
        &root,
        "/etc/etcd/etcd.conf.yml",
        b"name: e1\ndata-dir: /srv/etcd-data\nclient-transport-security:\n  cert-file: /etc/etcd/pki/server.crt\n  key-file: /etc/etcd/pki/server.key\n  client-cert-auth: true\n  auto-tls: false\npeer-transport-security:\n  client-cert-auth: true\n",
    );
    std::fs::create_dir_all(root.dir.join("srv/etcd-data")).unwrap();
    let scan = scan(&root.dir);
    let etcd = process(&scan, "etcd");
    assert_eq!(etcd["config_path"], "/etc/etcd/etcd.conf.yml");
    let e = &etcd["effective"];
    assert_eq!(
        e["--client-cert-auth"],
        json!({"value": true, "source": "config", "key": "client-transport-security.client-cert-auth"})
    );
    assert_eq!(e["--peer-client-cert-auth"]["value"], true);
    assert_eq!(e["--auto-tls"]["value"], false);
    assert_eq!(e["--cert-file"]["value"], "/etc/etcd/pki/server.crt");
    assert_eq!(e["--data-dir"]["value"], "/srv/etcd-data");
    let data = file(&scan, "/srv/etcd-data");
    assert_eq!(data["found_by"], "etcd --config-file data-dir");
}

#[test]
fn etcd_config_file_can_come_from_the_environment() {
    let root = empty_root("etcdenvcfg");
    put_proc(&root, 11, &["etcd"], &["ETCD_CONFIG_FILE=/etc/etcd/e.json"]);
    put(&root, "/etc/etcd/e.json", br#"{"data-dir": "/var/lib/etcd-x", "client-transport-security": {"client-cert-auth": true}}"#);
    let scan = scan(&root.dir);
    let etcd = process(&scan, "etcd");
    assert_eq!(etcd["config_path"], "/etc/etcd/e.json");
    assert_eq!(etcd["effective"]["--client-cert-auth"]["source"], "config");
}

#[test]
fn kubelet_with_an_unparseable_config_reports_config_error_and_keeps_only_flags() {
    let root = empty_root("badcfg");
    put_proc(
        &root,
        20,
        &[
            "/usr/bin/kubelet",
            "--config=/var/lib/kubelet/config.yaml",
            "--anonymous-auth=false",
        ],
        &[],
    );
    put(
        &root,
        "/var/lib/kubelet/config.yaml",
        b"authentication: [\n",
    );
    put(
        &root,
        "/etc/kubernetes/manifests/etcd.yaml",
        b"spec:\n  containers:\n  - command: [etcd]\n",
    );
    let scan = scan(&root.dir);
    let kubelet = process(&scan, "kubelet");
    assert!(
        kubelet["config_error"]
            .as_str()
            .unwrap()
            .starts_with("invalid YAML at line")
    );
    let e = kubelet["effective"].as_object().unwrap();
    assert_eq!(e.len(), 1);
    assert_eq!(e["authentication.anonymous.enabled"]["source"], "flag");
    // The static pod path is unknown, so kubeadm's is examined and labelled as a fallback.
    let manifest = file(&scan, "/etc/kubernetes/manifests/etcd.yaml");
    assert!(
        manifest["found_by"]
            .as_str()
            .unwrap()
            .contains("kubelet config unreadable")
    );
    assert!(
        scan.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error && d.file == "/var/lib/kubelet/config.yaml")
    );
}

#[test]
fn kubelet_without_a_config_file_gets_the_command_line_defaults() {
    let root = empty_root("flagsonly");
    put_proc(
        &root,
        30,
        &[
            "kubelet",
            "--pod-manifest-path=/etc/static",
            "--kubeconfig",
            "/etc/k.conf",
        ],
        &[],
    );
    put(
        &root,
        "/etc/static/api.yaml",
        b"spec:\n  containers:\n  - image: registry.k8s.io/kube-apiserver:v1.34.2\n",
    );
    let scan = scan(&root.dir);
    let e = &process(&scan, "kubelet")["effective"];
    assert_eq!(
        e["authentication.anonymous.enabled"],
        json!({"value": true, "source": "default", "key": "authentication.anonymous.enabled"})
    );
    assert_eq!(e["authorization.mode"]["value"], "AlwaysAllow");
    assert_eq!(e["readOnlyPort"]["value"], 10255);
    assert_eq!(e["staticPodPath"]["source"], "flag");
    let api = file(&scan, "/etc/static/api.yaml");
    assert_eq!(roles(api), ["apiserver-manifest"]);
    assert_eq!(api["found_by"], "kubelet --pod-manifest-path");
    assert_eq!(scan.node.roles, ["control-plane"]);
    // Named by a flag but absent: a note.
    assert!(scan.diagnostics.iter().any(|d| d.file == "/etc/k.conf"));
}

#[test]
fn relative_paths_in_the_kubelet_config_follow_the_config_file() {
    let root = empty_root("relative");
    put_proc(
        &root,
        40,
        &["kubelet", "--config=/etc/kubelet/config.yaml"],
        &[],
    );
    put(
        &root,
        "/etc/kubelet/config.yaml",
        b"authentication:\n  x509:\n    clientCAFile: pki/ca.crt\n",
    );
    put(&root, "/etc/kubelet/pki/ca.crt", b"ca");
    let scan = scan(&root.dir);
    assert_eq!(
        with_role(&scan, "kubelet-client-ca"),
        ["/etc/kubelet/pki/ca.crt"]
    );
}

#[test]
fn absolute_symlinks_never_escape_the_host_root() {
    let root = empty_root("escape");
    std::fs::create_dir_all(root.dir.join("proc")).unwrap();
    put(&root, "/etc/hostname", b"inside\n");
    std::fs::create_dir_all(root.dir.join("etc/kubernetes")).unwrap();
    symlink(
        "/../../../../../etc/hostname",
        root.dir.join("etc/kubernetes/admin.conf"),
    )
    .unwrap();
    // A parent directory that is an absolute symlink is re-rooted too.
    std::fs::create_dir_all(root.dir.join("data/k8s")).unwrap();
    put(&root, "/data/k8s/super-admin.conf", b"12345678901");
    std::fs::remove_dir_all(root.dir.join("etc/kubernetes")).unwrap();
    symlink("/data/k8s", root.dir.join("etc/kubernetes")).unwrap();
    symlink(
        "/../../../../../etc/hostname",
        root.dir.join("data/k8s/admin.conf"),
    )
    .unwrap();
    let scan = scan(&root.dir);
    let admin = file(&scan, "/etc/kubernetes/admin.conf");
    assert_eq!(admin["kind"], "symlink");
    assert_eq!(
        admin["target"]["size"], 7,
        "target must be the root's etc/hostname"
    );
    let super_admin = file(&scan, "/etc/kubernetes/super-admin.conf");
    assert_eq!(super_admin["size"], 11);
}

#[test]
fn directory_entries_are_capped() {
    let root = empty_root("cap");
    std::fs::create_dir_all(root.dir.join("proc")).unwrap();
    let dir = root.dir.join("etc/cni/net.d");
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..10_010 {
        std::fs::write(dir.join(format!("f{i:05}")), b"").unwrap();
    }
    let scan = scan(&root.dir);
    let cni = file(&scan, "/etc/cni/net.d");
    assert_eq!(cni["entries"].as_array().unwrap().len(), 10_000);
    assert_eq!(cni["entries_truncated"], true);
}

#[test]
fn duplicate_component_processes_keep_the_lowest_pid() {
    let root = empty_root("dupes");
    put_proc(
        &root,
        51,
        &["kube-proxy", "--metrics-bind-address=0.0.0.0:10249"],
        &[],
    );
    put_proc(&root, 50, &["kube-proxy"], &[]);
    let scan = scan(&root.dir);
    let proxy = process(&scan, "kube-proxy");
    assert_eq!(proxy["pid"], 50);
    assert_eq!(
        proxy["effective"]["metricsBindAddress"]["value"],
        "127.0.0.1:10249"
    );
    assert!(scan.diagnostics.iter().any(|d| d.file == "/proc/51"));
}

#[test]
fn a_kubelet_in_a_container_is_followed_into_its_own_root() {
    // A kind-style node: the kubelet's files exist only in its mount namespace.
    let root = empty_root("kind");
    put_proc(
        &root,
        60,
        &["kubelet", "--config=/var/lib/kubelet/config.yaml"],
        &[],
    );
    put(
        &root,
        "/proc/60/root/var/lib/kubelet/config.yaml",
        b"staticPodPath: /etc/kubernetes/manifests\nreadOnlyPort: 0\n",
    );
    put(
        &root,
        "/proc/60/root/etc/kubernetes/manifests/kube-apiserver.yaml",
        b"spec:\n  containers:\n  - command: [kube-apiserver]\n",
    );
    let scan = scan(&root.dir);
    assert_eq!(
        process(&scan, "kubelet")["effective"]["readOnlyPort"]["source"],
        "config"
    );
    let manifest = file(&scan, "/etc/kubernetes/manifests/kube-apiserver.yaml");
    assert_eq!(roles(manifest), ["apiserver-manifest"]);
    assert!(
        manifest["found_by"]
            .as_str()
            .unwrap()
            .contains("read through /proc/60/root")
    );
    assert!(
        file(&scan, "/var/lib/kubelet/config.yaml")["found_by"]
            .as_str()
            .unwrap()
            .contains("/proc/60/root")
    );
    assert_eq!(scan.node.roles, ["control-plane"]);
}
