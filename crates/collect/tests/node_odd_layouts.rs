//! Node collector against the OddLayouts fixture: paths it must discover rather than assume,
//! and files it must report as missing or unreadable rather than guess.

#[path = "node_support.rs"]
mod support;

use kspm_fixtures::node::Fixture;
use serde_json::json;
use support::*;

#[test]
fn node_name_comes_from_the_kubelet_hostname_override() {
    let (root, scan) = scan_fixture(Fixture::OddLayouts);
    let hostname = std::fs::read_to_string(root.dir.join("etc/hostname")).unwrap();
    assert_eq!(hostname.trim(), "odd-host");
    assert_eq!(scan.node.name, "odd-node");
    // Control plane because of the API server process, without kubeadm's file names.
    assert_eq!(scan.node.roles, ["control-plane"]);
}

#[test]
fn json_kubelet_config_at_a_non_default_path_is_found_and_a_flag_overrides_it() {
    let (_root, scan) = scan_fixture(Fixture::OddLayouts);
    let kubelet = process(&scan, "kubelet");
    assert_eq!(kubelet["exe"], "/opt/k8s/bin/kubelet");
    assert_eq!(kubelet["config_path"], "/etc/kubelet/kubelet-config.json");
    assert_eq!(kubelet["config"]["staticPodPath"], "/srv/static-pods");
    let e = &kubelet["effective"];
    assert_eq!(
        e["readOnlyPort"],
        json!({"value": "10255", "source": "flag", "flag": "--read-only-port", "key": "readOnlyPort"})
    );
    assert_eq!(
        e["authorization.mode"],
        json!({"value": "AlwaysAllow", "source": "config", "key": "authorization.mode"})
    );
    assert_eq!(e["authentication.anonymous.enabled"]["value"], true);
    assert_eq!(
        e["eventRecordQPS"],
        json!({"value": 0, "source": "config", "key": "eventRecordQPS"})
    );
    assert_eq!(e["streamingConnectionIdleTimeout"]["value"], "5m");
    // The flag names a CA file, overriding the config's.
    assert_eq!(e["authentication.x509.clientCAFile"]["source"], "flag");
    assert_eq!(kubelet["flags"]["--v"], json!(["2"]));
    let config = file(&scan, "/etc/kubelet/kubelet-config.json");
    assert_eq!(roles(config), ["kubelet-config"]);
    assert_eq!(config["mode"], "0640");
}

#[test]
fn owners_are_named_from_the_host_roots_passwd_and_group() {
    let (root, scan) = scan_fixture(Fixture::OddLayouts);
    if !owners_applied(&root) {
        return;
    }
    let config = file(&scan, "/etc/kubelet/kubelet-config.json");
    assert_eq!(config["uid"], 1500);
    assert_eq!(
        (config["owner"].as_str(), config["group"].as_str()),
        (Some("kube"), Some("kube"))
    );
    let admin = file(&scan, "/etc/kubernetes/admin.conf");
    assert_eq!(
        (admin["owner"].as_str(), admin["group"].as_str()),
        (Some("root"), Some("kube"))
    );
    let data = file(&scan, "/data/etcd");
    assert_eq!(data["owner"], "etcd");
    // An id without a passwd entry has no name at all.
    let cni = file(&scan, "/etc/cni/net.d");
    let entry = &cni["entries"][0];
    assert_eq!(entry["uid"], 4242);
    assert!(entry.get("owner").is_none());
    assert!(entry.get("group").is_none());
}

#[test]
fn static_pods_are_recognised_by_content_and_hidden_files_skipped() {
    let (_root, scan) = scan_fixture(Fixture::OddLayouts);
    assert_eq!(
        with_role(&scan, "apiserver-manifest"),
        ["/srv/static-pods/apiserver.yaml"]
    );
    assert_eq!(
        with_role(&scan, "scheduler-manifest"),
        ["/srv/static-pods/sched.json"]
    );
    assert!(maybe_file(&scan, "/srv/static-pods/.apiserver.yaml.swp").is_none());
    assert!(maybe_file(&scan, "/etc/kubernetes/manifests/kube-apiserver.yaml").is_none());
}

#[test]
fn a_missing_file_named_by_a_flag_is_not_emitted_but_noted() {
    let (_root, scan) = scan_fixture(Fixture::OddLayouts);
    assert!(maybe_file(&scan, "/etc/kubelet/missing-ca.crt").is_none());
    assert!(with_role(&scan, "kubelet-client-ca").is_empty());
    assert!(
        scan.diagnostics
            .iter()
            .any(|d| d.file == "/etc/kubelet/missing-ca.crt"
                && d.severity == kspm_collect::Severity::Note)
    );
}

#[test]
fn a_symlinked_kubeconfig_reports_the_link_and_its_target_inside_the_root() {
    let (root, scan) = scan_fixture(Fixture::OddLayouts);
    let kc = file(&scan, "/etc/kubelet/kubeconfig");
    assert_eq!(kc["kind"], "symlink");
    assert_eq!(kc["link_target"], "/srv/shared/kubelet.kubeconfig");
    assert_eq!(kc["target"]["kind"], "file");
    assert_eq!(kc["target"]["mode"], "0644");
    assert_eq!(kc["target"]["mode_bits"], 420);
    assert!(kc["target"].get("error").is_none());
    if owners_applied(&root) {
        assert_eq!(kc["target"]["uid"], 4242);
        assert!(kc["target"].get("owner").is_none());
    }
    let found = scan
        .resources
        .iter()
        .find(|r| r.resource["path"] == "/etc/kubelet/kubeconfig")
        .unwrap();
    assert_eq!(found.sub_type, "symlink");
}

#[test]
fn symlink_loops_are_errors_not_crashes() {
    let (_root, scan) = scan_fixture(Fixture::OddLayouts);
    let sched = file(&scan, "/etc/kubernetes/scheduler.conf");
    assert_eq!(sched["kind"], "symlink");
    assert_eq!(
        sched["target"]["error"],
        "too many levels of symbolic links (ELOOP)"
    );
    // A path below a looping directory exists as far as anyone can tell, but cannot be examined.
    let kc = file(&scan, "/etc/kube-proxy-loop/kubeconfig");
    assert_eq!(kc["error"], "too many levels of symbolic links (ELOOP)");
    assert_eq!(roles(kc), ["kube-proxy-kubeconfig"]);
}

#[test]
fn an_unreadable_config_file_is_a_config_error_without_defaults() {
    let (_root, scan) = scan_fixture(Fixture::OddLayouts);
    let proxy = process(&scan, "kube-proxy");
    assert_eq!(proxy["exe"], "/usr/local/bin/hyperkube");
    assert_eq!(proxy["config_path"], "/etc/kube-proxy");
    assert_eq!(proxy["config_error"], "is a directory (EISDIR)");
    assert!(proxy.get("config").is_none());
    assert_eq!(proxy["effective"], json!({}));
    assert!(scan.diagnostics.iter().any(|d| d.file == "/etc/kube-proxy"));
}

#[test]
fn referenced_files_carry_content_or_error() {
    let (_root, scan) = scan_fixture(Fixture::OddLayouts);
    let api = process(&scan, "kube-apiserver");
    let r = &api["referenced"];
    assert_eq!(
        r["--audit-policy-file"],
        json!({"path": "/etc/kubernetes/audit", "error": "is a directory (EISDIR)"})
    );
    assert_eq!(
        r["--encryption-provider-config"]["error"],
        "too many levels of symbolic links (ELOOP)"
    );
    assert_eq!(
        r["--admission-control-config-file"]["content"]["kind"],
        "AdmissionConfiguration"
    );
}

#[test]
fn odd_flag_forms_are_parsed_go_style() {
    let (_root, scan) = scan_fixture(Fixture::OddLayouts);
    let flags = &process(&scan, "kube-apiserver")["flags"];
    assert_eq!(flags["--profiling"], json!(["true"]));
    assert_eq!(flags["--secure-port"], json!(["6443"]));
    assert_eq!(
        flags["--enable-admission-plugins"],
        json!(["NodeRestriction", "EventRateLimit"])
    );
    assert_eq!(
        process(&scan, "etcd")["flags"]["--name"],
        json!(["odd-node"])
    );
}

#[test]
fn api_server_pki_directories_come_from_its_flags() {
    let (_root, scan) = scan_fixture(Fixture::OddLayouts);
    assert_eq!(with_role(&scan, "pki"), ["/srv/pki", "/srv/pki/serving"]);
    let pki = file(&scan, "/srv/pki");
    let paths: Vec<&str> = pki["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "/srv/pki/ca.crt",
            "/srv/pki/ca.key",
            "/srv/pki/serving",
            "/srv/pki/serving/apiserver.crt",
            "/srv/pki/serving/apiserver.key"
        ]
    );
}

#[test]
fn a_component_with_an_unreadable_command_line_is_reported_with_an_error() {
    let (_root, scan) = scan_fixture(Fixture::OddLayouts);
    let cm = process(&scan, "kube-controller-manager");
    assert_eq!(cm["pid"], 1501);
    assert!(cm["error"].as_str().unwrap().contains("/proc/1501/cmdline"));
    assert_eq!(cm["flags"], json!({}));
    // Its kubeconfig falls back to kubeadm's path, and says so.
    let kc = file(&scan, "/etc/kubernetes/controller-manager.conf");
    assert_eq!(kc["found_by"], "kubeadm default");
}

#[test]
fn etcd_settings_merge_flags_over_its_environment_and_drop_other_variables() {
    let (_root, scan) = scan_fixture(Fixture::OddLayouts);
    let e = &process(&scan, "etcd")["effective"];
    assert_eq!(
        e["--data-dir"],
        json!({"value": "/data/etcd", "source": "env", "env": "ETCD_DATA_DIR"})
    );
    assert_eq!(e["--client-cert-auth"]["source"], "env");
    assert_eq!(
        e["--auto-tls"],
        json!({"value": "false", "source": "flag", "flag": "--auto-tls"})
    );
    assert_eq!(e["--peer-auto-tls"]["value"], "true");
    assert_eq!(e["--peer-client-cert-auth"]["source"], "default");
    let data = file(&scan, "/data/etcd");
    assert_eq!(data["found_by"], "etcd ETCD_DATA_DIR");
    assert_eq!(roles(data), ["etcd-data-dir"]);
    let everything = serde_json::to_string(&scan.resources).unwrap();
    assert!(!everything.contains("fixture-not-a-secret"));
    assert!(!everything.contains("AWS_SECRET_ACCESS_KEY"));
    assert!(!everything.contains("ETCDCTL_API"));
}

#[test]
fn kubelet_config_drop_ins_are_merged_over_the_config_file() {
    let (_root, scan) = scan_fixture(Fixture::OddLayouts);
    let kubelet = process(&scan, "kubelet");
    assert_eq!(kubelet["config_dir"], "/etc/kubelet/conf.d");
    assert_eq!(
        kubelet["config_dropins"],
        json!(["/etc/kubelet/conf.d/10-pids.conf"])
    );
    assert_eq!(
        kubelet["effective"]["podPidsLimit"],
        json!({"value": 2048, "source": "config", "key": "podPidsLimit",
               "dropin": "/etc/kubelet/conf.d/10-pids.conf"})
    );
    // The main file's other settings stay.
    assert_eq!(kubelet["config"]["staticPodPath"], "/srv/static-pods");
    assert_eq!(
        with_role(&scan, "kubelet-config"),
        [
            "/etc/kubelet/conf.d/10-pids.conf",
            "/etc/kubelet/kubelet-config.json"
        ]
    );
}
