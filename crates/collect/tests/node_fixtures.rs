//! Node collector against the kubeadm, worker, hardened and EKS fixture host roots.

#[path = "node_support.rs"]
mod support;

use kspm_fixtures::node::Fixture;
use kspm_model::{ResourceType, resource_id};
use serde_json::json;
use support::*;

#[test]
fn kubeadm_control_plane_reports_every_component_once() {
    let (_root, scan) = scan_fixture(Fixture::KubeadmControlPlane);
    let mut components: Vec<&str> = scan
        .resources
        .iter()
        .filter(|r| r.kind == ResourceType::Process)
        .map(|r| r.sub_type.as_str())
        .collect();
    components.sort_unstable();
    assert_eq!(
        components,
        [
            "etcd",
            "kube-apiserver",
            "kube-controller-manager",
            "kube-proxy",
            "kube-scheduler",
            "kubelet"
        ]
    );
    assert_eq!(scan.node.name, "cp-1");
    assert_eq!(scan.node.roles, ["control-plane"]);
    // etcdctl runs too but is not etcd.
    assert_eq!(process(&scan, "etcd")["pid"], 1389);
    assert!(scan.diagnostics.is_empty(), "{:?}", scan.diagnostics);
}

#[test]
fn truncated_comm_of_controller_manager_still_names_the_component() {
    let (root, scan) = scan_fixture(Fixture::KubeadmControlPlane);
    let comm = std::fs::read_to_string(root.dir.join("proc/1398/comm")).unwrap();
    assert_eq!(comm.trim(), "kube-controller");
    let cm = process(&scan, "kube-controller-manager");
    assert_eq!(cm["pid"], 1398);
    assert_eq!(
        cm["flags"]["--use-service-account-credentials"],
        json!(["true"])
    );
}

#[test]
fn kubeadm_flags_are_parsed_with_every_value() {
    let (_root, scan) = scan_fixture(Fixture::KubeadmControlPlane);
    let api = process(&scan, "kube-apiserver");
    assert_eq!(api["flags"]["--authorization-mode"], json!(["Node,RBAC"]));
    assert_eq!(
        api["flags"]["--enable-admission-plugins"],
        json!(["NodeRestriction"])
    );
    assert!(api["flags"].get("--profiling").is_none());
    assert_eq!(api["exe"], "kube-apiserver");
    assert_eq!(api["source"], "proc");
    assert_eq!(api["args"][0], "--advertise-address=10.0.0.10");
    assert_eq!(api["referenced"], json!({}));
    let etcd = process(&scan, "etcd");
    assert_eq!(etcd["effective"]["--client-cert-auth"]["value"], "true");
    assert_eq!(etcd["effective"]["--client-cert-auth"]["source"], "flag");
    assert_eq!(etcd["effective"]["--auto-tls"]["source"], "default");
}

#[test]
fn kubeadm_files_have_kubeadm_modes_and_roles() {
    let (_root, scan) = scan_fixture(Fixture::KubeadmControlPlane);
    for (path, role) in [
        (
            "/etc/kubernetes/manifests/kube-apiserver.yaml",
            "apiserver-manifest",
        ),
        (
            "/etc/kubernetes/manifests/kube-controller-manager.yaml",
            "controller-manager-manifest",
        ),
        (
            "/etc/kubernetes/manifests/kube-scheduler.yaml",
            "scheduler-manifest",
        ),
        ("/etc/kubernetes/manifests/etcd.yaml", "etcd-manifest"),
        ("/etc/kubernetes/admin.conf", "admin-kubeconfig"),
        ("/etc/kubernetes/super-admin.conf", "admin-kubeconfig"),
        ("/etc/kubernetes/scheduler.conf", "scheduler-kubeconfig"),
        (
            "/etc/kubernetes/controller-manager.conf",
            "controller-manager-kubeconfig",
        ),
        ("/etc/kubernetes/kubelet.conf", "kubelet-kubeconfig"),
    ] {
        let f = file(&scan, path);
        assert_eq!(f["mode"], "0600", "{path}");
        assert_eq!(f["mode_bits"], 384, "{path}");
        assert_eq!(f["kind"], "file");
        assert_eq!(roles(f), [role], "{path}");
    }
    let kubelet_config = file(&scan, "/var/lib/kubelet/config.yaml");
    assert_eq!(kubelet_config["mode"], "0644");
    assert_eq!(kubelet_config["found_by"], "kubelet --config");
    let drop_in = file(
        &scan,
        "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf",
    );
    assert_eq!(roles(drop_in), ["kubelet-service"]);
    assert_eq!(drop_in["mode"], "0644");
    let data = file(&scan, "/var/lib/etcd");
    assert_eq!(data["kind"], "directory");
    assert_eq!(data["mode"], "0700");
    assert_eq!(data["found_by"], "etcd --data-dir");
    let ca = file(&scan, "/etc/kubernetes/pki/ca.crt");
    assert_eq!(roles(ca), ["kubelet-client-ca"]);
    assert_eq!(ca["mode"], "0644");
    // The bootstrap kubeconfig is gone after the join: named by a flag, not emitted.
    assert!(maybe_file(&scan, "/etc/kubernetes/bootstrap-kubelet.conf").is_none());
}

#[test]
fn pki_directory_lists_every_entry_recursively() {
    let (root, scan) = scan_fixture(Fixture::KubeadmControlPlane);
    let pki = file(&scan, "/etc/kubernetes/pki");
    assert_eq!(roles(pki), ["pki"]);
    assert!(
        pki["found_by"]
            .as_str()
            .unwrap()
            .contains("kube-apiserver --client-ca-file")
    );
    let entries = pki["entries"].as_array().unwrap();
    // 6 pairs + sa.key/sa.pub + etcd/ + 4 pairs under etcd/.
    assert_eq!(entries.len(), 12 + 2 + 1 + 8);
    for e in entries {
        let path = e["path"].as_str().unwrap();
        let want = if path.ends_with(".crt") {
            "0644"
        } else if path.ends_with(".key") || path.ends_with(".pub") {
            "0600"
        } else {
            "0755"
        };
        assert_eq!(e["mode"], want, "{path}");
        if owners_applied(&root) {
            assert_eq!(e["owner"], "root", "{path}");
        }
    }
    assert!(pki.get("entries_truncated").is_none());
    let cni = file(&scan, "/etc/cni/net.d");
    assert_eq!(
        cni["entries"][0]["path"],
        "/etc/cni/net.d/10-flannel.conflist"
    );
    assert_eq!(roles(file(&scan, "/var/lib/cni/networks")), ["cni"]);
}

#[test]
fn kubelet_effective_settings_record_their_source() {
    let (_root, scan) = scan_fixture(Fixture::KubeadmControlPlane);
    let kubelet = process(&scan, "kubelet");
    assert_eq!(kubelet["config_path"], "/var/lib/kubelet/config.yaml");
    assert_eq!(kubelet["config"]["kind"], "KubeletConfiguration");
    let e = &kubelet["effective"];
    assert_eq!(
        e["authentication.anonymous.enabled"],
        json!({"value": false, "source": "config", "key": "authentication.anonymous.enabled"})
    );
    assert_eq!(e["authorization.mode"]["value"], "Webhook");
    assert_eq!(
        e["readOnlyPort"],
        json!({"value": 0, "source": "default", "key": "readOnlyPort"})
    );
    // kubeadm writes 0s, which the kubelet replaces with its 4h default.
    assert_eq!(e["streamingConnectionIdleTimeout"]["value"], "4h0m0s");
    assert_eq!(e["streamingConnectionIdleTimeout"]["config_value"], "0s");
    assert_eq!(e["rotateCertificates"]["value"], true);
    assert_eq!(e["staticPodPath"]["value"], "/etc/kubernetes/manifests");
    assert_eq!(e["podPidsLimit"]["value"], -1);
    assert_eq!(e.as_object().unwrap().len(), 16);
}

#[test]
fn static_pod_path_is_followed_from_the_kubelet_config() {
    let (_root, scan) = scan_fixture(Fixture::KubeadmControlPlane);
    let f = file(&scan, "/etc/kubernetes/manifests/etcd.yaml");
    assert_eq!(f["found_by"], "kubelet staticPodPath");
}

#[test]
fn kube_proxy_files_inside_its_container_are_read_through_proc_root() {
    let (_root, scan) = scan_fixture(Fixture::KubeadmControlPlane);
    let proxy = process(&scan, "kube-proxy");
    assert_eq!(
        proxy["config"]["clientConnection"]["kubeconfig"],
        "/var/lib/kube-proxy/kubeconfig.conf"
    );
    assert_eq!(
        proxy["effective"]["metricsBindAddress"],
        json!({"value": "127.0.0.1:10249", "source": "default", "key": "metricsBindAddress"})
    );
    let kc = file(&scan, "/var/lib/kube-proxy/kubeconfig.conf");
    assert_eq!(roles(kc), ["kube-proxy-kubeconfig"]);
    assert!(kc["found_by"].as_str().unwrap().contains("/proc/2011/root"));
    // A ConfigMap volume file: a relative symlink into ..data, resolved inside the container.
    assert_eq!(kc["kind"], "symlink");
    assert_eq!(kc["link_target"], "..data/kubeconfig.conf");
    assert_eq!(kc["target"]["kind"], "file");
    assert_eq!(kc["target"]["mode"], "0644");
}

#[test]
fn ids_are_stable_and_keyed_by_node_and_component_or_path() {
    let (root, first) = scan_fixture(Fixture::KubeadmControlPlane);
    let second = scan(&root.dir);
    let ids = |s: &kspm_collect::node::NodeScan| {
        s.resources.iter().map(|r| r.id.clone()).collect::<Vec<_>>()
    };
    assert_eq!(ids(&first), ids(&second));
    let api = first
        .resources
        .iter()
        .find(|r| r.sub_type == "kube-apiserver")
        .unwrap();
    assert_eq!(
        api.id,
        resource_id(
            "cluster-uid-1",
            ResourceType::Process,
            "cp-1\0kube-apiserver"
        )
    );
    assert_eq!(api.name, "cp-1/kube-apiserver");
    assert_eq!(api.context.node.as_ref().unwrap().roles, ["control-plane"]);
    let admin = first
        .resources
        .iter()
        .find(|r| r.resource["path"] == "/etc/kubernetes/admin.conf")
        .unwrap();
    assert_eq!(
        admin.id,
        resource_id(
            "cluster-uid-1",
            ResourceType::File,
            "cp-1\0/etc/kubernetes/admin.conf"
        )
    );
    assert_eq!(admin.name, "cp-1:/etc/kubernetes/admin.conf");
    assert_eq!(admin.sub_type, "file");
    let mut unique = ids(&first);
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), first.resources.len());
}

#[test]
fn worker_runs_kubelet_and_kube_proxy_only() {
    let (_root, scan) = scan_fixture(Fixture::Worker);
    assert_eq!(scan.node.name, "worker-1");
    assert_eq!(scan.node.roles, ["worker"]);
    let processes: Vec<&str> = scan
        .resources
        .iter()
        .filter(|r| r.kind == ResourceType::Process)
        .map(|r| r.sub_type.as_str())
        .collect();
    assert_eq!(processes, ["kubelet", "kube-proxy"]);
    // No control-plane paths are guessed on a worker.
    assert!(with_role(&scan, "pki").is_empty());
    assert!(with_role(&scan, "admin-kubeconfig").is_empty());
    assert!(with_role(&scan, "etcd-data-dir").is_empty());
    assert_eq!(
        with_role(&scan, "kubelet-kubeconfig"),
        ["/etc/kubernetes/kubelet.conf"]
    );
}

#[test]
fn hardened_node_carries_the_hardened_settings() {
    let (root, scan) = scan_fixture(Fixture::Hardened);
    let e = &process(&scan, "kubelet")["effective"];
    for (key, value) in [
        ("authentication.anonymous.enabled", json!(false)),
        ("authorization.mode", json!("Webhook")),
        ("readOnlyPort", json!(0)),
        ("streamingConnectionIdleTimeout", json!("4h0m0s")),
        ("makeIPTablesUtilChains", json!(true)),
        ("eventRecordQPS", json!(50)),
        ("rotateCertificates", json!(true)),
        ("serverTLSBootstrap", json!(true)),
        ("featureGates.RotateKubeletServerCertificate", json!(true)),
        ("podPidsLimit", json!(4096)),
        ("seccompDefault", json!(true)),
        ("tlsCertFile", json!("/var/lib/kubelet/pki/kubelet.crt")),
    ] {
        assert_eq!(e[key]["value"], value, "{key}");
    }
    let api = process(&scan, "kube-apiserver");
    assert_eq!(api["flags"]["--profiling"], json!(["false"]));
    assert_eq!(
        api["referenced"]["--audit-policy-file"]["content"]["kind"],
        "Policy"
    );
    assert_eq!(
        api["referenced"]["--admission-control-config-file"]["content"]["plugins"][0]["name"],
        "EventRateLimit"
    );
    let enc = &api["referenced"]["--encryption-provider-config"]["content"];
    assert_eq!(
        enc["resources"][0]["providers"][0]["aescbc"]["keys"][0]["name"],
        "key1"
    );
    // Encryption keys never leave the node.
    assert_eq!(
        enc["resources"][0]["providers"][0]["aescbc"]["keys"][0]["secret"],
        "<redacted>"
    );
    let text = serde_json::to_string(&scan.resources).unwrap();
    assert!(!text.contains("Rk9SIFRFU1RTIE9OTFkg"));
    for path in [
        "/var/lib/kubelet/config.yaml",
        "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf",
        "/var/lib/kube-proxy/kubeconfig.conf",
    ] {
        let f = file(&scan, path);
        let bits = f.get("target").unwrap_or(f)["mode_bits"].as_u64().unwrap();
        assert_eq!(bits & !0o600, 0, "{path}");
    }
    assert_eq!(
        process(&scan, "kube-proxy")["effective"]["metricsBindAddress"]["source"],
        "config"
    );
    if owners_applied(&root) {
        let data = file(&scan, "/var/lib/etcd");
        assert_eq!(
            (data["owner"].as_str(), data["group"].as_str()),
            (Some("etcd"), Some("etcd"))
        );
        assert_eq!(data["uid"], 997);
    }
}

#[test]
fn eks_worker_paths_come_from_the_kubelet_command_line() {
    let (_root, scan) = scan_fixture(Fixture::EksWorker);
    assert_eq!(scan.node.name, "ip-10-0-1-23.ec2.internal");
    assert_eq!(scan.node.roles, ["worker"]);
    let kubelet = process(&scan, "kubelet");
    // Space-separated flag values.
    assert_eq!(
        kubelet["flags"]["--config"],
        json!(["/etc/kubernetes/kubelet/config.json"])
    );
    assert_eq!(kubelet["effective"]["serverTLSBootstrap"]["value"], true);
    assert_eq!(
        kubelet["effective"]["rotateCertificates"]["source"],
        "default"
    );
    assert_eq!(
        with_role(&scan, "kubelet-config"),
        [
            "/etc/kubernetes/kubelet/config.json",
            "/etc/kubernetes/kubelet/config.json.d/40-nodeadm.conf"
        ]
    );
    // nodeadm's drop-in is merged over the main file.
    assert_eq!(kubelet["config"]["maxPods"], 29);
    assert_eq!(kubelet["config"]["readOnlyPort"], 0);
    assert_eq!(
        with_role(&scan, "kubelet-kubeconfig"),
        ["/var/lib/kubelet/kubeconfig"]
    );
    assert_eq!(
        with_role(&scan, "kubelet-client-ca"),
        ["/etc/kubernetes/pki/ca.crt"]
    );
    assert_eq!(
        with_role(&scan, "kubelet-service"),
        [
            "/etc/systemd/system/kubelet.service",
            "/etc/systemd/system/kubelet.service.d/10-kubelet-args.conf"
        ]
    );
    assert_eq!(
        with_role(&scan, "kube-proxy-kubeconfig"),
        ["/var/lib/kube-proxy/kubeconfig"]
    );
    assert_eq!(
        process(&scan, "kube-proxy")["effective"]["metricsBindAddress"]["value"],
        "0.0.0.0:10249"
    );
}

#[test]
fn every_fixture_scans_without_error_diagnostics_except_odd_layouts() {
    for kind in Fixture::ALL {
        let (_root, scan) = scan_fixture(kind);
        assert_eq!(scan.node.name, kind.node_name());
        let errors = scan
            .diagnostics
            .iter()
            .filter(|d| d.severity == kspm_collect::Severity::Error)
            .count();
        assert_eq!(
            errors > 0,
            kind == Fixture::OddLayouts,
            "{kind:?}: {:?}",
            scan.diagnostics
        );
    }
}
