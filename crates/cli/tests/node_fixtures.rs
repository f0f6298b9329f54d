//! `kspm scan --host-root` against the fixture nodes (built here, in temp dirs), end to end
//! through the real binary: the outcome of every rule that produces a finding on each node,
//! pinned in a table, the OddLayouts behaviours one by one, and the mirror-pod fallback.
//!
//! Tables: one line per (CIS number, rule id, resource) with the expected outcome. A resource is
//! a host path (a `file` resource, shown as `<node>:<path>`) or a component (a `process`
//! resource, `<node>/<component>`). The scan must produce exactly these findings: a missing,
//! extra, duplicated or different one fails the test. Lines marked `// BUG?:` pin what kspm does
//! today where we believe it is wrong; the comment says what we expect instead.
//!
//! Owner rules (`*_owner`) need the fixture's `chown`s, which only root can do: when
//! `fixture::ownership_applied` says they were refused, those lines are skipped with a
//! `NOT RUN:` line on stderr.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use kspm_fixtures::node::{self as fixture, Fixture};
use serde_json::Value;

/// (CIS number, rule id, host path or component, expected outcome)
type Row = (&'static str, &'static str, &'static str, &'static str);

// ---------------------------------------------------------------------------------------------
// Expected outcomes
// ---------------------------------------------------------------------------------------------

/// A stock kubeadm v1.34 control plane (flannel CNI): kubeadm's flags, files, modes and owners.
#[rustfmt::skip]
const KUBEADM_CONTROL_PLANE: &[Row] = &[
    // kubeadm writes the static pod manifests 0600 root:root.
    ("1.1.1", "apiserver_manifest_mode", "/etc/kubernetes/manifests/kube-apiserver.yaml", "passed"),
    ("1.1.2", "apiserver_manifest_owner", "/etc/kubernetes/manifests/kube-apiserver.yaml", "passed"),
    ("1.1.3", "controller_manager_manifest_mode", "/etc/kubernetes/manifests/kube-controller-manager.yaml", "passed"),
    ("1.1.4", "controller_manager_manifest_owner", "/etc/kubernetes/manifests/kube-controller-manager.yaml", "passed"),
    ("1.1.5", "scheduler_manifest_mode", "/etc/kubernetes/manifests/kube-scheduler.yaml", "passed"),
    ("1.1.6", "scheduler_manifest_owner", "/etc/kubernetes/manifests/kube-scheduler.yaml", "passed"),
    ("1.1.7", "etcd_manifest_mode", "/etc/kubernetes/manifests/etcd.yaml", "passed"),
    ("1.1.8", "etcd_manifest_owner", "/etc/kubernetes/manifests/etcd.yaml", "passed"),
    // flannel installs 10-flannel.conflist 0644; CIS wants CNI files 0600.
    ("1.1.9", "cni_files_mode", "/etc/cni/net.d", "failed"),
    // host-local IPAM writes its state files 0600 (its 0755 directories are allowed).
    ("1.1.9", "cni_files_mode", "/var/lib/cni/networks", "passed"),
    ("1.1.10", "cni_files_owner", "/etc/cni/net.d", "passed"),
    ("1.1.10", "cni_files_owner", "/var/lib/cni/networks", "passed"),
    // kubeadm creates /var/lib/etcd 0700 ...
    ("1.1.11", "etcd_data_dir_mode", "/var/lib/etcd", "passed"),
    // ... as root:root, and runs etcd as root in its static pod: there is no etcd user on the
    // host at all, so the etcd:etcd owner CIS asks for fails.
    ("1.1.12", "etcd_data_dir_owner", "/var/lib/etcd", "failed"),
    // kubeadm writes every kubeconfig under /etc/kubernetes 0600 root:root.
    ("1.1.13", "admin_kubeconfig_mode", "/etc/kubernetes/admin.conf", "passed"),
    ("1.1.13", "admin_kubeconfig_mode", "/etc/kubernetes/super-admin.conf", "passed"),
    ("1.1.14", "admin_kubeconfig_owner", "/etc/kubernetes/admin.conf", "passed"),
    ("1.1.14", "admin_kubeconfig_owner", "/etc/kubernetes/super-admin.conf", "passed"),
    ("1.1.15", "scheduler_kubeconfig_mode", "/etc/kubernetes/scheduler.conf", "passed"),
    ("1.1.16", "scheduler_kubeconfig_owner", "/etc/kubernetes/scheduler.conf", "passed"),
    ("1.1.17", "controller_manager_kubeconfig_mode", "/etc/kubernetes/controller-manager.conf", "passed"),
    ("1.1.18", "controller_manager_kubeconfig_owner", "/etc/kubernetes/controller-manager.conf", "passed"),
    // One finding for the PKI directory, covering pki/etcd too: certificates 0644 (allowed),
    // keys 0600, all root:root.
    ("1.1.19", "pki_dir_owner", "/etc/kubernetes/pki", "passed"),
    ("1.1.20", "pki_cert_files_mode", "/etc/kubernetes/pki", "passed"),
    ("1.1.21", "pki_key_files_mode", "/etc/kubernetes/pki", "passed"),
    // kubeadm does not set --anonymous-auth; the API server's default is true.
    ("1.2.1", "apiserver_anonymous_auth_disabled", "kube-apiserver", "failed"),
    ("1.2.2", "apiserver_no_token_auth_file", "kube-apiserver", "passed"),
    // Only NodeRestriction is added to the default admission plugins.
    ("1.2.3", "apiserver_deny_service_external_ips", "kube-apiserver", "failed"),
    ("1.2.4", "apiserver_kubelet_client_certificate", "kube-apiserver", "passed"),
    // kubeadm sets no --kubelet-certificate-authority (kubelets serve self-signed certificates).
    ("1.2.5", "apiserver_kubelet_certificate_authority", "kube-apiserver", "failed"),
    ("1.2.6", "apiserver_authorization_excludes_always_allow", "kube-apiserver", "passed"),
    ("1.2.7", "apiserver_authorization_includes_node", "kube-apiserver", "passed"),
    ("1.2.8", "apiserver_authorization_includes_rbac", "kube-apiserver", "passed"),
    ("1.2.9", "apiserver_event_rate_limit", "kube-apiserver", "failed"),
    ("1.2.10", "apiserver_no_always_admit", "kube-apiserver", "passed"),
    ("1.2.11", "apiserver_always_pull_images", "kube-apiserver", "failed"),
    // ServiceAccount and NamespaceLifecycle are on by default and nothing disables them.
    ("1.2.12", "apiserver_service_account_admission", "kube-apiserver", "passed"),
    ("1.2.13", "apiserver_namespace_lifecycle_admission", "kube-apiserver", "passed"),
    ("1.2.14", "apiserver_node_restriction_admission", "kube-apiserver", "passed"),
    // --profiling defaults to true and kubeadm does not set it.
    ("1.2.15", "apiserver_profiling_disabled", "kube-apiserver", "failed"),
    // kubeadm configures no audit log.
    ("1.2.16", "apiserver_audit_log_path", "kube-apiserver", "failed"),
    ("1.2.17", "apiserver_audit_log_maxage", "kube-apiserver", "failed"),
    ("1.2.18", "apiserver_audit_log_maxbackup", "kube-apiserver", "failed"),
    ("1.2.19", "apiserver_audit_log_maxsize", "kube-apiserver", "failed"),
    // Unset: the 60s default is what CIS asks for.
    ("1.2.20", "apiserver_request_timeout", "kube-apiserver", "passed"),
    // Unset: --service-account-lookup defaults to true.
    ("1.2.21", "apiserver_service_account_lookup", "kube-apiserver", "passed"),
    ("1.2.22", "apiserver_service_account_key_file", "kube-apiserver", "passed"),
    ("1.2.23", "apiserver_etcd_client_certificate", "kube-apiserver", "passed"),
    ("1.2.24", "apiserver_tls_certificate", "kube-apiserver", "passed"),
    ("1.2.25", "apiserver_client_ca_file", "kube-apiserver", "passed"),
    ("1.2.26", "apiserver_etcd_ca_file", "kube-apiserver", "passed"),
    // No --encryption-provider-config: Secrets are stored in plain text.
    ("1.2.27", "apiserver_encryption_provider_config", "kube-apiserver", "failed"),
    ("1.2.28", "apiserver_encryption_providers_strong", "kube-apiserver", "failed"),
    // No --tls-cipher-suites: Go's default list still offers CBC suites.
    ("1.2.29", "apiserver_strong_cipher_suites", "kube-apiserver", "failed"),
    // --service-account-extend-token-expiration defaults to true.
    ("1.2.30", "apiserver_service_account_token_expiration_not_extended", "kube-apiserver", "failed"),
    // Unset: the default threshold is 12500 terminated pods.
    ("1.3.1", "controller_manager_terminated_pod_gc_threshold", "kube-controller-manager", "failed"),
    ("1.3.2", "controller_manager_profiling_disabled", "kube-controller-manager", "failed"),
    ("1.3.3", "controller_manager_service_account_credentials", "kube-controller-manager", "passed"),
    ("1.3.4", "controller_manager_service_account_private_key", "kube-controller-manager", "passed"),
    ("1.3.5", "controller_manager_root_ca_file", "kube-controller-manager", "passed"),
    // RotateKubeletServerCertificate is on by default; no --feature-gates turns it off.
    ("1.3.6", "controller_manager_kubelet_server_cert_rotation", "kube-controller-manager", "passed"),
    ("1.3.7", "controller_manager_bind_address_loopback", "kube-controller-manager", "passed"),
    ("1.4.1", "scheduler_profiling_disabled", "kube-scheduler", "failed"),
    ("1.4.2", "scheduler_bind_address_loopback", "kube-scheduler", "passed"),
    ("2.1", "etcd_client_tls_cert", "etcd", "passed"),
    ("2.2", "etcd_client_cert_auth", "etcd", "passed"),
    ("2.3", "etcd_no_auto_tls", "etcd", "passed"),
    ("2.4", "etcd_peer_tls_cert", "etcd", "passed"),
    ("2.5", "etcd_peer_client_cert_auth", "etcd", "passed"),
    ("2.6", "etcd_no_peer_auto_tls", "etcd", "passed"),
    // etcd trusts pki/etcd/ca.crt, a CA of its own, not the cluster CA pki/ca.crt.
    ("2.7", "etcd_dedicated_ca", "etcd", "passed"),
    // No --audit-policy-file.
    ("3.2.1", "audit_policy_configured", "kube-apiserver", "failed"),
    ("3.2.2", "audit_policy_covers_key_events", "kube-apiserver", "failed"),
    // The pkgs.k8s.io packages install the unit and kubeadm's 10-kubeadm.conf drop-in 0644;
    // CIS wants 0600.
    ("4.1.1", "kubelet_service_mode", "/usr/lib/systemd/system/kubelet.service", "failed"),
    ("4.1.1", "kubelet_service_mode", "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf", "failed"),
    ("4.1.2", "kubelet_service_owner", "/usr/lib/systemd/system/kubelet.service", "passed"),
    ("4.1.2", "kubelet_service_owner", "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf", "passed"),
    // kube-proxy's kubeconfig exists only inside its DaemonSet pod (a ConfigMap volume, 0644),
    // read through /proc/<pid>/root.
    // 4.1.3/4.1.4 are not applicable: that kubeconfig exists only inside the kube-proxy pod
    // (a ConfigMap volume), not on the node, and chmod on the node cannot change it.
    ("4.1.5", "kubelet_kubeconfig_mode", "/etc/kubernetes/kubelet.conf", "passed"),
    ("4.1.6", "kubelet_kubeconfig_owner", "/etc/kubernetes/kubelet.conf", "passed"),
    // The kubelet's client CA is the cluster CA certificate, 0644 (allowed).
    ("4.1.7", "kubelet_client_ca_mode", "/etc/kubernetes/pki/ca.crt", "passed"),
    ("4.1.8", "kubelet_client_ca_owner", "/etc/kubernetes/pki/ca.crt", "passed"),
    // kubeadm writes /var/lib/kubelet/config.yaml 0644; CIS wants 0600.
    ("4.1.9", "kubelet_config_mode", "/var/lib/kubelet/config.yaml", "failed"),
    ("4.1.10", "kubelet_config_owner", "/var/lib/kubelet/config.yaml", "passed"),
    ("4.2.1", "kubelet_anonymous_auth_disabled", "kubelet", "passed"),
    ("4.2.2", "kubelet_authorization_not_always_allow", "kubelet", "passed"),
    ("4.2.3", "kubelet_client_ca_configured", "kubelet", "passed"),
    // readOnlyPort is absent from the config file, whose (v1beta1) default is 0.
    ("4.2.4", "kubelet_read_only_port_disabled", "kubelet", "passed"),
    // The file says `streamingConnectionIdleTimeout: 0s`; the kubelet replaces a zero with 4h.
    ("4.2.5", "kubelet_streaming_idle_timeout", "kubelet", "passed"),
    // makeIPTablesUtilChains defaults to true.
    ("4.2.6", "kubelet_iptables_util_chains", "kubelet", "passed"),
    ("4.2.7", "kubelet_hostname_override_unset", "kubelet", "passed"),
    // eventRecordQPS defaults to 50.
    ("4.2.8", "kubelet_event_record_qps", "kubelet", "passed"),
    // No tlsCertFile and no serverTLSBootstrap: the kubelet serves a self-signed certificate.
    ("4.2.9", "kubelet_serving_tls_cert", "kubelet", "failed"),
    // kubeadm writes rotateCertificates: true.
    ("4.2.10", "kubelet_client_cert_rotation", "kubelet", "passed"),
    // The RotateKubeletServerCertificate gate is on by default.
    ("4.2.11", "kubelet_server_cert_rotation", "kubelet", "passed"),
    ("4.2.12", "kubelet_strong_tls_ciphers", "kubelet", "failed"),
    // podPidsLimit unset (-1, unlimited); seccompDefault unset (false).
    ("4.2.13", "kubelet_pod_pids_limit", "kubelet", "failed"),
    ("4.2.14", "kubelet_seccomp_default", "kubelet", "failed"),
    // kubeadm's ConfigMap has `metricsBindAddress: ""`: kube-proxy's default 127.0.0.1:10249.
    ("4.3.1", "kube_proxy_metrics_localhost", "kube-proxy", "passed"),
];

/// A kubeadm worker: the kubelet and kube-proxy rows of the control plane, plus the CNI
/// directories; nothing of sections 1.2-3 (no control-plane process or file).
#[rustfmt::skip]
const KUBEADM_WORKER: &[Row] = &[
    // The CNI rules are filed under the master-node profile, but kspm judges the CNI files on
    // every node that has them (as it does for 4.1.1 on control planes).
    ("1.1.9", "cni_files_mode", "/etc/cni/net.d", "failed"),
    ("1.1.9", "cni_files_mode", "/var/lib/cni/networks", "passed"),
    ("1.1.10", "cni_files_owner", "/etc/cni/net.d", "passed"),
    ("1.1.10", "cni_files_owner", "/var/lib/cni/networks", "passed"),
    ("4.1.1", "kubelet_service_mode", "/usr/lib/systemd/system/kubelet.service", "failed"),
    ("4.1.1", "kubelet_service_mode", "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf", "failed"),
    ("4.1.2", "kubelet_service_owner", "/usr/lib/systemd/system/kubelet.service", "passed"),
    ("4.1.2", "kubelet_service_owner", "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf", "passed"),
    // 4.1.3/4.1.4 not applicable, as on the control plane: the kubeconfig is inside the pod.
    ("4.1.5", "kubelet_kubeconfig_mode", "/etc/kubernetes/kubelet.conf", "passed"),
    ("4.1.6", "kubelet_kubeconfig_owner", "/etc/kubernetes/kubelet.conf", "passed"),
    ("4.1.7", "kubelet_client_ca_mode", "/etc/kubernetes/pki/ca.crt", "passed"),
    ("4.1.8", "kubelet_client_ca_owner", "/etc/kubernetes/pki/ca.crt", "passed"),
    ("4.1.9", "kubelet_config_mode", "/var/lib/kubelet/config.yaml", "failed"),
    ("4.1.10", "kubelet_config_owner", "/var/lib/kubelet/config.yaml", "passed"),
    ("4.2.1", "kubelet_anonymous_auth_disabled", "kubelet", "passed"),
    ("4.2.2", "kubelet_authorization_not_always_allow", "kubelet", "passed"),
    ("4.2.3", "kubelet_client_ca_configured", "kubelet", "passed"),
    ("4.2.4", "kubelet_read_only_port_disabled", "kubelet", "passed"),
    ("4.2.5", "kubelet_streaming_idle_timeout", "kubelet", "passed"),
    ("4.2.6", "kubelet_iptables_util_chains", "kubelet", "passed"),
    ("4.2.7", "kubelet_hostname_override_unset", "kubelet", "passed"),
    ("4.2.8", "kubelet_event_record_qps", "kubelet", "passed"),
    ("4.2.9", "kubelet_serving_tls_cert", "kubelet", "failed"),
    ("4.2.10", "kubelet_client_cert_rotation", "kubelet", "passed"),
    ("4.2.11", "kubelet_server_cert_rotation", "kubelet", "passed"),
    ("4.2.12", "kubelet_strong_tls_ciphers", "kubelet", "failed"),
    ("4.2.13", "kubelet_pod_pids_limit", "kubelet", "failed"),
    ("4.2.14", "kubelet_seccomp_default", "kubelet", "failed"),
    ("4.3.1", "kube_proxy_metrics_localhost", "kube-proxy", "passed"),
];

/// An EKS (AL2023, nodeadm) worker: EKS paths, JSON kubelet config with a drop-in, VPC CNI.
#[rustfmt::skip]
const EKS_WORKER: &[Row] = &[
    // aws-node writes 10-aws.conflist 0644.
    ("1.1.9", "cni_files_mode", "/etc/cni/net.d", "failed"),
    ("1.1.10", "cni_files_owner", "/etc/cni/net.d", "passed"),
    ("4.1.1", "kubelet_service_mode", "/etc/systemd/system/kubelet.service", "failed"),
    ("4.1.1", "kubelet_service_mode", "/etc/systemd/system/kubelet.service.d/10-kubelet-args.conf", "failed"),
    ("4.1.2", "kubelet_service_owner", "/etc/systemd/system/kubelet.service", "passed"),
    ("4.1.2", "kubelet_service_owner", "/etc/systemd/system/kubelet.service.d/10-kubelet-args.conf", "passed"),
    // As on kubeadm, 4.1.3/4.1.4 are not applicable: the kube-proxy add-on's kubeconfig is a
    // ConfigMap file inside its pod, not a file on the node.
    // EKS writes /var/lib/kubelet/kubeconfig 0644; CIS wants 0600.
    ("4.1.5", "kubelet_kubeconfig_mode", "/var/lib/kubelet/kubeconfig", "failed"),
    ("4.1.6", "kubelet_kubeconfig_owner", "/var/lib/kubelet/kubeconfig", "passed"),
    ("4.1.7", "kubelet_client_ca_mode", "/etc/kubernetes/pki/ca.crt", "passed"),
    ("4.1.8", "kubelet_client_ca_owner", "/etc/kubernetes/pki/ca.crt", "passed"),
    // The config file and its nodeadm drop-in are both 0644; each is judged.
    ("4.1.9", "kubelet_config_mode", "/etc/kubernetes/kubelet/config.json", "failed"),
    ("4.1.9", "kubelet_config_mode", "/etc/kubernetes/kubelet/config.json.d/40-nodeadm.conf", "failed"),
    ("4.1.10", "kubelet_config_owner", "/etc/kubernetes/kubelet/config.json", "passed"),
    ("4.1.10", "kubelet_config_owner", "/etc/kubernetes/kubelet/config.json.d/40-nodeadm.conf", "passed"),
    ("4.2.1", "kubelet_anonymous_auth_disabled", "kubelet", "passed"),
    ("4.2.2", "kubelet_authorization_not_always_allow", "kubelet", "passed"),
    ("4.2.3", "kubelet_client_ca_configured", "kubelet", "passed"),
    ("4.2.4", "kubelet_read_only_port_disabled", "kubelet", "passed"),
    ("4.2.5", "kubelet_streaming_idle_timeout", "kubelet", "passed"),
    ("4.2.6", "kubelet_iptables_util_chains", "kubelet", "passed"),
    // nodeadm passes --hostname-override with the EC2 private DNS name.
    ("4.2.7", "kubelet_hostname_override_unset", "kubelet", "failed"),
    ("4.2.8", "kubelet_event_record_qps", "kubelet", "passed"),
    // serverTLSBootstrap: true: the serving certificate comes from the CSR API.
    ("4.2.9", "kubelet_serving_tls_cert", "kubelet", "passed"),
    // No 4.2.10: this kubelet has no client certificate at all (its kubeconfig authenticates
    // with an `aws eks get-token` exec plugin), so client-certificate rotation does not apply.
    ("4.2.11", "kubelet_server_cert_rotation", "kubelet", "passed"),
    // EKS's list includes TLS_RSA_WITH_AES_{128,256}_GCM_* (no forward secrecy), which older CIS
    // remediation text listed; the rule's allow-list (documented) is ECDHE AEAD suites only.
    ("4.2.12", "kubelet_strong_tls_ciphers", "kubelet", "failed"),
    ("4.2.13", "kubelet_pod_pids_limit", "kubelet", "failed"),
    ("4.2.14", "kubelet_seccomp_default", "kubelet", "failed"),
    // The add-on's kube-proxy config binds metrics to 0.0.0.0:10249.
    ("4.3.1", "kube_proxy_metrics_localhost", "kube-proxy", "failed"),
];

/// OddLayouts: unusual paths and broken files (see `fixture::odd`).
#[rustfmt::skip]
const ODD_LAYOUTS: &[Row] = &[
    // Static pods found through the kubelet's staticPodPath (/srv/static-pods), recognised by
    // content, not by file name; no controller-manager or etcd manifest exists there, so 1.1.3,
    // 1.1.4, 1.1.7 and 1.1.8 have no finding.
    ("1.1.1", "apiserver_manifest_mode", "/srv/static-pods/apiserver.yaml", "failed"),
    ("1.1.2", "apiserver_manifest_owner", "/srv/static-pods/apiserver.yaml", "passed"),
    ("1.1.5", "scheduler_manifest_mode", "/srv/static-pods/sched.json", "passed"),
    ("1.1.6", "scheduler_manifest_owner", "/srv/static-pods/sched.json", "passed"),
    // 05-custom.conf: 0664, owned by an id with no name.
    ("1.1.9", "cni_files_mode", "/etc/cni/net.d", "failed"),
    ("1.1.10", "cni_files_owner", "/etc/cni/net.d", "failed"),
    // The data dir comes from ETCD_DATA_DIR, owned by the fixture's etcd user.
    ("1.1.11", "etcd_data_dir_mode", "/data/etcd", "passed"),
    ("1.1.12", "etcd_data_dir_owner", "/data/etcd", "passed"),
    // admin.conf: 0640 root:kube.
    ("1.1.13", "admin_kubeconfig_mode", "/etc/kubernetes/admin.conf", "failed"),
    ("1.1.14", "admin_kubeconfig_owner", "/etc/kubernetes/admin.conf", "failed"),
    // scheduler.conf is a symlink loop.
    ("1.1.15", "scheduler_kubeconfig_mode", "/etc/kubernetes/scheduler.conf", "error"),
    ("1.1.16", "scheduler_kubeconfig_owner", "/etc/kubernetes/scheduler.conf", "error"),
    // The controller manager's command line is unreadable: its kubeconfig is found at kubeadm's
    // default path.
    ("1.1.17", "controller_manager_kubeconfig_mode", "/etc/kubernetes/controller-manager.conf", "passed"),
    ("1.1.18", "controller_manager_kubeconfig_owner", "/etc/kubernetes/controller-manager.conf", "passed"),
    // PKI under /srv/pki (from --client-ca-file) and /srv/pki/serving (from --tls-cert-file);
    // /srv/pki/ca.key is 0640 root:kube.
    ("1.1.19", "pki_dir_owner", "/srv/pki", "failed"),
    ("1.1.19", "pki_dir_owner", "/srv/pki/serving", "passed"),
    ("1.1.20", "pki_cert_files_mode", "/srv/pki", "passed"),
    ("1.1.20", "pki_cert_files_mode", "/srv/pki/serving", "passed"),
    ("1.1.21", "pki_key_files_mode", "/srv/pki", "failed"),
    ("1.1.21", "pki_key_files_mode", "/srv/pki/serving", "passed"),
    ("1.2.1", "apiserver_anonymous_auth_disabled", "kube-apiserver", "failed"),
    ("1.2.2", "apiserver_no_token_auth_file", "kube-apiserver", "passed"),
    ("1.2.3", "apiserver_deny_service_external_ips", "kube-apiserver", "failed"),
    ("1.2.4", "apiserver_kubelet_client_certificate", "kube-apiserver", "failed"),
    ("1.2.5", "apiserver_kubelet_certificate_authority", "kube-apiserver", "failed"),
    ("1.2.6", "apiserver_authorization_excludes_always_allow", "kube-apiserver", "passed"),
    ("1.2.7", "apiserver_authorization_includes_node", "kube-apiserver", "passed"),
    ("1.2.8", "apiserver_authorization_includes_rbac", "kube-apiserver", "passed"),
    // --enable-admission-plugins is given twice; both occurrences count (EventRateLimit in the
    // second, NodeRestriction in the first), with an admission config file.
    ("1.2.9", "apiserver_event_rate_limit", "kube-apiserver", "passed"),
    ("1.2.10", "apiserver_no_always_admit", "kube-apiserver", "passed"),
    ("1.2.11", "apiserver_always_pull_images", "kube-apiserver", "failed"),
    ("1.2.12", "apiserver_service_account_admission", "kube-apiserver", "passed"),
    ("1.2.13", "apiserver_namespace_lifecycle_admission", "kube-apiserver", "passed"),
    ("1.2.14", "apiserver_node_restriction_admission", "kube-apiserver", "passed"),
    // A bare `--profiling` is true.
    ("1.2.15", "apiserver_profiling_disabled", "kube-apiserver", "failed"),
    ("1.2.16", "apiserver_audit_log_path", "kube-apiserver", "failed"),
    ("1.2.17", "apiserver_audit_log_maxage", "kube-apiserver", "failed"),
    ("1.2.18", "apiserver_audit_log_maxbackup", "kube-apiserver", "failed"),
    ("1.2.19", "apiserver_audit_log_maxsize", "kube-apiserver", "failed"),
    ("1.2.20", "apiserver_request_timeout", "kube-apiserver", "passed"),
    ("1.2.21", "apiserver_service_account_lookup", "kube-apiserver", "passed"),
    ("1.2.22", "apiserver_service_account_key_file", "kube-apiserver", "failed"),
    ("1.2.23", "apiserver_etcd_client_certificate", "kube-apiserver", "failed"),
    ("1.2.24", "apiserver_tls_certificate", "kube-apiserver", "passed"),
    ("1.2.25", "apiserver_client_ca_file", "kube-apiserver", "passed"),
    ("1.2.26", "apiserver_etcd_ca_file", "kube-apiserver", "failed"),
    // The encryption config is a symlink loop.
    ("1.2.27", "apiserver_encryption_provider_config", "kube-apiserver", "error"),
    ("1.2.28", "apiserver_encryption_providers_strong", "kube-apiserver", "error"),
    ("1.2.29", "apiserver_strong_cipher_suites", "kube-apiserver", "failed"),
    ("1.2.30", "apiserver_service_account_token_expiration_not_extended", "kube-apiserver", "failed"),
    // Seen only through its truncated comm (`kube-controller`): every flag rule is an error.
    ("1.3.1", "controller_manager_terminated_pod_gc_threshold", "kube-controller-manager", "error"),
    ("1.3.2", "controller_manager_profiling_disabled", "kube-controller-manager", "error"),
    ("1.3.3", "controller_manager_service_account_credentials", "kube-controller-manager", "error"),
    ("1.3.4", "controller_manager_service_account_private_key", "kube-controller-manager", "error"),
    ("1.3.5", "controller_manager_root_ca_file", "kube-controller-manager", "error"),
    ("1.3.6", "controller_manager_kubelet_server_cert_rotation", "kube-controller-manager", "error"),
    ("1.3.7", "controller_manager_bind_address_loopback", "kube-controller-manager", "error"),
    ("1.4.1", "scheduler_profiling_disabled", "kube-scheduler", "failed"),
    // No --bind-address: the scheduler's default is 0.0.0.0.
    ("1.4.2", "scheduler_bind_address_loopback", "kube-scheduler", "failed"),
    ("2.1", "etcd_client_tls_cert", "etcd", "passed"),
    // From ETCD_CLIENT_CERT_AUTH=true.
    ("2.2", "etcd_client_cert_auth", "etcd", "passed"),
    // ETCD_AUTO_TLS=true, overridden by --auto-tls=false on the command line.
    ("2.3", "etcd_no_auto_tls", "etcd", "passed"),
    ("2.4", "etcd_peer_tls_cert", "etcd", "failed"),
    ("2.5", "etcd_peer_client_cert_auth", "etcd", "failed"),
    // ETCD_PEER_AUTO_TLS=true, not overridden.
    ("2.6", "etcd_no_peer_auto_tls", "etcd", "failed"),
    // etcd has no --trusted-ca-file at all.
    ("2.7", "etcd_dedicated_ca", "etcd", "failed"),
    // --audit-policy-file names a directory.
    ("3.2.1", "audit_policy_configured", "kube-apiserver", "error"),
    ("3.2.2", "audit_policy_covers_key_events", "kube-apiserver", "error"),
    ("4.1.1", "kubelet_service_mode", "/etc/systemd/system/kubelet.service", "failed"),
    ("4.1.2", "kubelet_service_owner", "/etc/systemd/system/kubelet.service", "passed"),
    // kube-proxy's --kubeconfig is under a directory that is a symlink loop.
    ("4.1.3", "kube_proxy_kubeconfig_mode", "/etc/kube-proxy-loop/kubeconfig", "error"),
    ("4.1.4", "kube_proxy_kubeconfig_owner", "/etc/kube-proxy-loop/kubeconfig", "error"),
    // /etc/kubelet/kubeconfig is a symlink to a 0644 file owned by 4242:4242 (no name).
    ("4.1.5", "kubelet_kubeconfig_mode", "/etc/kubelet/kubeconfig", "failed"),
    ("4.1.6", "kubelet_kubeconfig_owner", "/etc/kubelet/kubeconfig", "failed"),
    // --client-ca-file names a missing file: no 4.1.7 / 4.1.8 finding.
    // The --config-dir drop-in (0600 root) and the JSON config (0640 kube:kube) are judged;
    // the README beside the drop-in is not a *.conf file and is ignored.
    ("4.1.9", "kubelet_config_mode", "/etc/kubelet/conf.d/10-pids.conf", "passed"),
    ("4.1.9", "kubelet_config_mode", "/etc/kubelet/kubelet-config.json", "failed"),
    ("4.1.10", "kubelet_config_owner", "/etc/kubelet/conf.d/10-pids.conf", "passed"),
    ("4.1.10", "kubelet_config_owner", "/etc/kubelet/kubelet-config.json", "failed"),
    // From the JSON config: anonymous enabled, AlwaysAllow.
    ("4.2.1", "kubelet_anonymous_auth_disabled", "kubelet", "failed"),
    ("4.2.2", "kubelet_authorization_not_always_allow", "kubelet", "failed"),
    // Set by flag (its file is missing; the rule checks the setting).
    ("4.2.3", "kubelet_client_ca_configured", "kubelet", "passed"),
    // The config says 0; --read-only-port=10255 wins.
    ("4.2.4", "kubelet_read_only_port_disabled", "kubelet", "failed"),
    ("4.2.5", "kubelet_streaming_idle_timeout", "kubelet", "passed"),
    ("4.2.6", "kubelet_iptables_util_chains", "kubelet", "passed"),
    ("4.2.7", "kubelet_hostname_override_unset", "kubelet", "failed"),
    // eventRecordQPS: 0 means no limit, which the rule accepts.
    ("4.2.8", "kubelet_event_record_qps", "kubelet", "passed"),
    ("4.2.9", "kubelet_serving_tls_cert", "kubelet", "failed"),
    ("4.2.10", "kubelet_client_cert_rotation", "kubelet", "failed"),
    ("4.2.11", "kubelet_server_cert_rotation", "kubelet", "passed"),
    ("4.2.12", "kubelet_strong_tls_ciphers", "kubelet", "failed"),
    // 1024 in the JSON file, raised to 2048 by the drop-in.
    ("4.2.13", "kubelet_pod_pids_limit", "kubelet", "passed"),
    ("4.2.14", "kubelet_seccomp_default", "kubelet", "failed"),
    // hyperkube kube-proxy with --config naming a directory.
    ("4.3.1", "kube_proxy_metrics_localhost", "kube-proxy", "error"),
];

/// Manual findings allowed on the Hardened node: (CIS number, resource). None today: every
/// rule that applies to a node's files and processes decides by itself.
const HARDENED_MANUAL: &[(&str, &str)] = &[];

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A fresh, unique directory under the system temp dir, removed on drop.
struct TempDir;

impl TempDir {
    fn create(tag: &str) -> tempfile::TempDir {
        tempfile::Builder::new()
            .prefix(&format!("kspm-node-fixtures-{tag}-"))
            .tempdir()
            .unwrap()
    }
}

/// What one `kspm scan -o json --fail-on none` returned.
struct Scan {
    code: i32,
    findings: Vec<Value>,
    stderr: String,
}

fn run_scan(args: &[OsString]) -> Scan {
    let out = common::kspm()
        // The tables are CIS Kubernetes tables; the EKS nodes' CIS EKS outcomes are in eks_node.rs.
        .args([
            "scan",
            "-o",
            "json",
            "--fail-on",
            "none",
            "--benchmark",
            "cis_k8s",
        ])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let findings: Vec<Value> = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("json output: {e}; stderr:\n{stderr}"));
    Scan {
        code: out.status.code().expect("kspm exited normally"),
        findings,
        stderr,
    }
}

/// A fixture node's scan: written to a temp dir, scanned once per test binary, dir removed.
struct NodeScan {
    scan: Scan,
    /// Whether the fixture's owners were applied (owner rules can be checked).
    owners: bool,
}

fn node_scan(kind: Fixture) -> &'static NodeScan {
    static SCANS: [OnceLock<NodeScan>; Fixture::ALL.len()] =
        [const { OnceLock::new() }; Fixture::ALL.len()];
    let index = Fixture::ALL.iter().position(|k| *k == kind).unwrap();
    SCANS[index].get_or_init(|| {
        let dir = TempDir::create(kind.slug());
        fixture::write(kind, dir.path()).unwrap();
        let scan = run_scan(&["--host-root".into(), dir.path().into()]);
        NodeScan {
            scan,
            owners: fixture::ownership_applied(dir.path()),
        }
    })
}

/// `<node>:<path>` for a file resource, `<node>/<component>` for a process.
fn resource_name(node: &str, resource: &str) -> String {
    if resource.starts_with('/') {
        format!("{node}:{resource}")
    } else {
        format!("{node}/{resource}")
    }
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

fn is_owner_rule(rule_id: &str) -> bool {
    rule_id.ends_with("_owner")
}

/// The findings of `rule_number` on `resource` (full resource name).
fn findings_for<'a>(findings: &'a [Value], rule_number: &str, resource: &str) -> Vec<&'a Value> {
    findings
        .iter()
        .filter(|f| {
            f["rule"]["benchmark"]["rule_number"] == rule_number
                && f["resource"]["name"] == resource
        })
        .collect()
}

/// The single finding of `rule_number` on `resource`.
fn finding<'a>(findings: &'a [Value], rule_number: &str, resource: &str) -> &'a Value {
    let found = findings_for(findings, rule_number, resource);
    assert_eq!(
        found.len(),
        1,
        "exactly one {rule_number} finding on {resource}, got {}",
        found.len()
    );
    found[0]
}

/// Checks that the scan produced exactly the findings of `table` (owner rules skipped, and
/// said so, when the fixture could not apply its owners).
fn assert_table(kind: Fixture, node: &NodeScan, table: &[Row]) {
    let name = kind.node_name();
    if !node.owners {
        eprintln!(
            "NOT RUN: {} owner rules (*_owner): the fixture's chown was refused (not root)",
            kind.slug()
        );
    }
    let keep = |rule_id: &str| node.owners || !is_owner_rule(rule_id);
    let mut expected: BTreeMap<(String, String, String), String> = BTreeMap::new();
    for (number, rule, resource, outcome) in table {
        if !keep(rule) {
            continue;
        }
        let key = (
            (*number).to_owned(),
            (*rule).to_owned(),
            resource_name(name, resource),
        );
        assert!(
            expected
                .insert(key.clone(), (*outcome).to_owned())
                .is_none(),
            "table line repeated: {key:?}"
        );
    }
    let mut actual: BTreeMap<(String, String, String), Vec<String>> = BTreeMap::new();
    for f in &node.scan.findings {
        let rule = s(&f["rule"]["id"]);
        if !keep(rule) {
            continue;
        }
        let key = (
            s(&f["rule"]["benchmark"]["rule_number"]).to_owned(),
            rule.to_owned(),
            s(&f["resource"]["name"]).to_owned(),
        );
        let mut outcome = s(&f["result"]["evaluation"]).to_owned();
        if outcome == "error" {
            outcome = format!("error ({})", s(&f["error"]["message"]));
        }
        actual.entry(key).or_default().push(outcome);
    }
    let mut problems = Vec::new();
    for (key, want) in &expected {
        match actual.get(key) {
            None => problems.push(format!("missing:    {key:?} (expected {want})")),
            Some(got) if got.len() > 1 => {
                problems.push(format!("duplicated: {key:?}: {got:?}"));
            }
            Some(got) => {
                let outcome = got[0].split(' ').next().unwrap_or_default();
                if outcome != want {
                    problems.push(format!(
                        "outcome:    {key:?}: expected {want}, got {}",
                        got[0]
                    ));
                }
            }
        }
    }
    for (key, got) in &actual {
        if !expected.contains_key(key) {
            problems.push(format!("unexpected: {key:?}: {got:?}"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} ({} findings) differs from its table:\n  {}\nstderr:\n{}",
        kind.slug(),
        node.scan.findings.len(),
        problems.join("\n  "),
        node.scan.stderr
    );
}

fn assert_clean_exit(kind: Fixture, node: &NodeScan) {
    assert_eq!(
        node.scan.code,
        0,
        "{}: a complete scan with --fail-on none exits 0; stderr:\n{}",
        kind.slug(),
        node.scan.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// One table per fixture
// ---------------------------------------------------------------------------------------------

#[test]
fn kubeadm_control_plane_outcomes_are_those_of_kubeadm_defaults() {
    let node = node_scan(Fixture::KubeadmControlPlane);
    assert_clean_exit(Fixture::KubeadmControlPlane, node);
    assert_table(Fixture::KubeadmControlPlane, node, KUBEADM_CONTROL_PLANE);
}

#[test]
fn kubeadm_worker_outcomes_are_those_of_kubeadm_defaults() {
    let node = node_scan(Fixture::Worker);
    assert_clean_exit(Fixture::Worker, node);
    assert_table(Fixture::Worker, node, KUBEADM_WORKER);
}

#[test]
fn eks_worker_outcomes_are_those_of_eks_defaults() {
    let node = node_scan(Fixture::EksWorker);
    assert_clean_exit(Fixture::EksWorker, node);
    assert_table(Fixture::EksWorker, node, EKS_WORKER);
}

#[test]
fn odd_layouts_outcomes_match_the_table_and_every_unreadable_path_is_an_input_error() {
    let node = node_scan(Fixture::OddLayouts);
    // Every path the node has but kspm cannot read is an input error of the scan (exit 2), on
    // top of the error findings of its rules; each names the path and the errno. Before issue
    // 14 only the kube-proxy config was reported; the other five (the symlink loops, the audit
    // policy directory, the controller manager's unreadable command line) were error findings
    // with no input error, so the scan claimed to have read all of its input.
    assert_eq!(node.scan.code, 2, "stderr:\n{}", node.scan.stderr);
    let mut errors: Vec<&str> = node
        .scan
        .stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect();
    errors.sort_unstable();
    assert_eq!(
        errors,
        [
            "error: /etc/kube-proxy-loop/kubeconfig: too many levels of symbolic links (ELOOP)",
            "error: /etc/kube-proxy: kube-proxy config file: is a directory (EISDIR)",
            "error: /etc/kubernetes/audit: kube-apiserver --audit-policy-file: is a directory (EISDIR)",
            "error: /etc/kubernetes/enc/loop.yaml: kube-apiserver --encryption-provider-config: too many levels of symbolic links (ELOOP)",
            "error: /etc/kubernetes/scheduler.conf: symlink target: too many levels of symbolic links (ELOOP)",
            "error: /proc/1501/cmdline: kube-controller-manager (recognised by its comm): the command line cannot be read: is a directory (EISDIR)",
        ],
        "stderr:\n{}",
        node.scan.stderr
    );
    assert_table(Fixture::OddLayouts, node, ODD_LAYOUTS);
}

#[test]
fn hardened_node_passes_every_automated_rule_that_applies_to_a_control_plane() {
    let node = node_scan(Fixture::Hardened);
    assert_clean_exit(Fixture::Hardened, node);
    let name = Fixture::Hardened.node_name();
    if !node.owners {
        eprintln!("NOT RUN: hardened owner rules (*_owner): the fixture's chown was refused");
    }
    let mut bad = Vec::new();
    let mut manual = Vec::new();
    for f in &node.scan.findings {
        if !node.owners && is_owner_rule(s(&f["rule"]["id"])) {
            continue;
        }
        let number = s(&f["rule"]["benchmark"]["rule_number"]);
        let resource = s(&f["resource"]["name"]);
        match s(&f["result"]["evaluation"]) {
            "passed" => {}
            "manual" => manual.push((number.to_owned(), resource.to_owned())),
            other => bad.push(format!(
                "{number} {} on {resource}: {other} {} {}",
                s(&f["rule"]["id"]),
                f["result"]["evidence"],
                f["error"]["message"]
            )),
        }
    }
    assert!(
        bad.is_empty(),
        "no failed or error finding on the hardened node:\n  {}",
        bad.join("\n  ")
    );
    let allowed: Vec<(String, String)> = HARDENED_MANUAL
        .iter()
        .map(|(n, r)| ((*n).to_owned(), resource_name(name, r)))
        .collect();
    assert_eq!(manual, allowed, "manual findings on the hardened node");
    // Every rule that judges the stock control plane judges the hardened one, on the same
    // files and processes: passing is not for want of applying.
    let seen: BTreeSet<(String, String, String)> = node
        .scan
        .findings
        .iter()
        .map(|f| {
            (
                s(&f["rule"]["benchmark"]["rule_number"]).to_owned(),
                s(&f["rule"]["id"]).to_owned(),
                s(&f["resource"]["name"]).to_owned(),
            )
        })
        .collect();
    let want: BTreeSet<(String, String, String)> = KUBEADM_CONTROL_PLANE
        .iter()
        .map(|(n, id, r, _)| ((*n).to_owned(), (*id).to_owned(), resource_name(name, r)))
        .collect();
    assert_eq!(seen, want, "the hardened node is judged by the same rules");
}

// ---------------------------------------------------------------------------------------------
// OddLayouts, behaviour by behaviour
// ---------------------------------------------------------------------------------------------

const ODD: &str = "odd-node";

#[test]
fn odd_layouts_node_name_comes_from_the_kubelet_hostname_override() {
    let node = node_scan(Fixture::OddLayouts);
    // etc/hostname says odd-host; the kubelet registers as odd-node.
    assert!(!node.scan.findings.is_empty());
    for f in &node.scan.findings {
        assert_eq!(f["host"]["name"], ODD, "{}", f["resource"]["name"]);
    }
}

#[test]
fn odd_layouts_kubelet_reads_its_json_config_at_the_non_default_config_path() {
    let findings = &node_scan(Fixture::OddLayouts).scan.findings;
    let kubelet = finding(findings, "4.2.2", "odd-node/kubelet");
    let raw = &kubelet["resource"]["raw"];
    assert_eq!(raw["config_path"], "/etc/kubelet/kubelet-config.json");
    assert_eq!(raw["config"]["authorization"]["mode"], "AlwaysAllow");
    assert_eq!(kubelet["result"]["evaluation"], "failed");
    let evidence = s(&kubelet["result"]["evidence"]["authorization_mode"]);
    assert!(
        evidence.contains("AlwaysAllow")
            && evidence.contains("from the config file /etc/kubelet/kubelet-config.json"),
        "{evidence}"
    );
    let anonymous = finding(findings, "4.2.1", "odd-node/kubelet");
    assert!(
        s(&anonymous["result"]["evidence"]["anonymous_auth"])
            .contains("= true (from the config file /etc/kubelet/kubelet-config.json)"),
        "{}",
        anonymous["result"]["evidence"]
    );
    // The file rules judge that file, not kubeadm's /var/lib/kubelet/config.yaml.
    let mode = finding(
        findings,
        "4.1.9",
        "odd-node:/etc/kubelet/kubelet-config.json",
    );
    assert_eq!(mode["result"]["evidence"]["found_by"], "kubelet --config");
    assert_eq!(mode["result"]["evidence"]["mode"], "0640");
    assert!(findings_for(findings, "4.1.9", "odd-node:/var/lib/kubelet/config.yaml").is_empty());
    // The --config-dir drop-in is merged over it: podPidsLimit 1024 in the file, 2048 in the
    // drop-in, and the evidence names the drop-in the value comes from.
    assert_eq!(raw["config_dropins"][0], "/etc/kubelet/conf.d/10-pids.conf");
    assert_eq!(raw["effective"]["podPidsLimit"]["value"], 2048);
    assert_eq!(
        raw["effective"]["podPidsLimit"]["dropin"],
        "/etc/kubelet/conf.d/10-pids.conf"
    );
    // A key only the main file sets names no drop-in.
    assert!(raw["effective"]["readOnlyPort"].get("dropin").is_none());
    let pids = finding(findings, "4.2.13", "odd-node/kubelet");
    assert_eq!(pids["result"]["evaluation"], "passed");
    assert_eq!(
        s(&pids["result"]["evidence"]["pod_pids_limit"]),
        "podPidsLimit = 2048 (from the config drop-in /etc/kubelet/conf.d/10-pids.conf)",
        "{}",
        pids["result"]["evidence"]
    );
}

#[test]
fn odd_layouts_command_line_flags_override_config_files_and_the_evidence_says_flag() {
    let findings = &node_scan(Fixture::OddLayouts).scan.findings;
    // kubelet: readOnlyPort 0 in the config file, --read-only-port=10255 on the command line.
    let port = finding(findings, "4.2.4", "odd-node/kubelet");
    assert_eq!(port["resource"]["raw"]["config"]["readOnlyPort"], 0);
    let effective = &port["resource"]["raw"]["effective"]["readOnlyPort"];
    assert_eq!(effective["source"], "flag");
    assert_eq!(effective["flag"], "--read-only-port");
    assert_eq!(port["result"]["evaluation"], "failed");
    assert_eq!(
        port["result"]["evidence"]["read_only_port"],
        "readOnlyPort = 10255 (from the flag --read-only-port)"
    );
    // etcd: ETCD_AUTO_TLS=true in the environment, --auto-tls=false on the command line.
    let tls = finding(findings, "2.3", "odd-node/etcd");
    assert_eq!(tls["result"]["evaluation"], "passed");
    assert_eq!(
        tls["result"]["evidence"]["auto_tls"],
        "--auto-tls = false (from the command line)"
    );
    // ... and a variable no flag overrides is used, and named.
    let auth = finding(findings, "2.2", "odd-node/etcd");
    assert_eq!(auth["result"]["evaluation"], "passed");
    assert_eq!(
        auth["result"]["evidence"]["client_cert_auth"],
        "--client-cert-auth = true (from the environment variable ETCD_CLIENT_CERT_AUTH)"
    );
    // The etcd process keeps no unrelated (secret-looking) variable.
    let raw = tls["resource"]["raw"].to_string();
    assert!(!raw.contains("fixture-not-a-secret"), "{raw}");
}

#[test]
fn odd_layouts_missing_files_produce_no_finding_for_their_file_rules() {
    let findings = &node_scan(Fixture::OddLayouts).scan.findings;
    // --client-ca-file=/etc/kubelet/missing-ca.crt (overriding the config's clientCAFile).
    for number in ["4.1.7", "4.1.8"] {
        let any: Vec<&Value> = findings
            .iter()
            .filter(|f| f["rule"]["benchmark"]["rule_number"] == number)
            .collect();
        assert!(any.is_empty(), "{number}: {any:?}");
    }
    assert!(
        !findings
            .iter()
            .any(|f| s(&f["resource"]["name"]).contains("missing-ca.crt")
                || s(&f["resource"]["name"]).contains("/etc/kubelet/ca.crt")),
        "no resource for the missing client CA"
    );
    // No controller-manager or etcd static pod manifest exists on this node.
    for number in ["1.1.3", "1.1.4", "1.1.7", "1.1.8"] {
        assert!(
            !findings
                .iter()
                .any(|f| f["rule"]["benchmark"]["rule_number"] == number),
            "{number} has no file to judge"
        );
    }
    // ... yet the rule on the setting itself still runs.
    let ca = finding(findings, "4.2.3", "odd-node/kubelet");
    assert_eq!(ca["result"]["evaluation"], "passed");
}

#[test]
fn odd_layouts_unreadable_files_produce_error_findings_naming_the_path() {
    let findings = &node_scan(Fixture::OddLayouts).scan.findings;
    for (number, resource, path) in [
        // symlink loop
        (
            "1.1.15",
            "odd-node:/etc/kubernetes/scheduler.conf",
            "/etc/kubernetes/scheduler.conf",
        ),
        (
            "1.1.16",
            "odd-node:/etc/kubernetes/scheduler.conf",
            "/etc/kubernetes/scheduler.conf",
        ),
        // symlink loop
        (
            "1.2.27",
            "odd-node/kube-apiserver",
            "/etc/kubernetes/enc/loop.yaml",
        ),
        (
            "1.2.28",
            "odd-node/kube-apiserver",
            "/etc/kubernetes/enc/loop.yaml",
        ),
        // a directory
        ("3.2.1", "odd-node/kube-apiserver", "/etc/kubernetes/audit"),
        ("3.2.2", "odd-node/kube-apiserver", "/etc/kubernetes/audit"),
        // under a directory that is a symlink loop
        (
            "4.1.3",
            "odd-node:/etc/kube-proxy-loop/kubeconfig",
            "/etc/kube-proxy-loop/kubeconfig",
        ),
        (
            "4.1.4",
            "odd-node:/etc/kube-proxy-loop/kubeconfig",
            "/etc/kube-proxy-loop/kubeconfig",
        ),
        // a directory
        ("4.3.1", "odd-node/kube-proxy", "/etc/kube-proxy"),
        // the controller manager's command line
        (
            "1.3.2",
            "odd-node/kube-controller-manager",
            "/proc/1501/cmdline",
        ),
    ] {
        let f = finding(findings, number, resource);
        assert_eq!(f["result"]["evaluation"], "error", "{number} on {resource}");
        let message = s(&f["error"]["message"]);
        assert!(
            message.contains(path),
            "{number} on {resource}: the error names {path}: {message:?}"
        );
    }
}

#[test]
fn odd_layouts_symlinks_are_judged_by_their_target_and_the_evidence_says_so() {
    let node = node_scan(Fixture::OddLayouts);
    let f = finding(
        &node.scan.findings,
        "4.1.5",
        "odd-node:/etc/kubelet/kubeconfig",
    );
    let raw = &f["resource"]["raw"];
    assert_eq!(raw["kind"], "symlink");
    assert_eq!(raw["mode"], "0777", "the link's own bits");
    assert_eq!(raw["target"]["mode"], "0644");
    assert_eq!(f["result"]["evaluation"], "failed");
    let evidence = &f["result"]["evidence"];
    assert_eq!(evidence["symlink"], true);
    assert_eq!(evidence["link_target"], "/srv/shared/kubelet.kubeconfig");
    assert_eq!(evidence["mode"], "0644", "judged: the target's mode");
    assert_eq!(evidence["excess"], "0044");
    if !node.owners {
        eprintln!("NOT RUN: symlink target owner (4.1.6): the fixture's chown was refused");
        return;
    }
    let owner = finding(
        &node.scan.findings,
        "4.1.6",
        "odd-node:/etc/kubelet/kubeconfig",
    );
    assert_eq!(owner["result"]["evaluation"], "failed");
    let evidence = &owner["result"]["evidence"];
    assert_eq!(evidence["symlink"], true);
    // The link itself is root:root; its target's 4242:4242 is what is judged.
    assert_eq!(raw["uid"], 0);
    assert_eq!(evidence["owner"], "4242:4242");
}

#[test]
fn odd_layouts_non_root_owners_are_named_from_the_fixture_passwd_and_group() {
    let node = node_scan(Fixture::OddLayouts);
    if !node.owners {
        eprintln!("NOT RUN: OddLayouts owner names: the fixture's chown was refused (not root)");
        return;
    }
    let findings = &node.scan.findings;
    let evidence = |number: &str, resource: &str| -> Value {
        finding(findings, number, resource)["result"]["evidence"].clone()
    };
    // kube (1500) and etcd (997/996) from the fixture's etc/passwd and etc/group.
    let config = evidence("4.1.10", "odd-node:/etc/kubelet/kubelet-config.json");
    assert_eq!(config["owner"], "kube:kube");
    assert_eq!(config["uid"], 1500);
    let admin = evidence("1.1.14", "odd-node:/etc/kubernetes/admin.conf");
    assert_eq!(admin["owner"], "root:kube");
    let pki = evidence("1.1.19", "odd-node:/srv/pki");
    assert_eq!(
        pki["offenders"],
        serde_json::json!(["/srv/pki/ca.key: root:kube"])
    );
    let etcd = evidence("1.1.12", "odd-node:/data/etcd");
    assert_eq!(etcd["owner"], "etcd:etcd");
    assert_eq!(etcd["found_by"], "etcd ETCD_DATA_DIR");
    // An id with no passwd/group entry is shown as a number.
    let cni = evidence("1.1.10", "odd-node:/etc/cni/net.d");
    assert_eq!(
        cni["offenders"],
        serde_json::json!(["/etc/cni/net.d/05-custom.conf: 4242:4242"])
    );
    let kubeconfig = evidence("4.1.6", "odd-node:/etc/kubelet/kubeconfig");
    assert_eq!(
        kubeconfig["ids_without_name"],
        serde_json::json!(["uid 4242", "gid 4242"])
    );
}

// ---------------------------------------------------------------------------------------------
// Mirror pods
// ---------------------------------------------------------------------------------------------

const CONTROL_PLANE: [&str; 4] = [
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "etcd",
];

/// The command lines of the control-plane processes of a written fixture, by component.
fn fixture_command_lines(root: &Path) -> BTreeMap<&'static str, Vec<String>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(root.join("proc")).unwrap() {
        let Ok(raw) = std::fs::read(entry.unwrap().path().join("cmdline")) else {
            continue;
        };
        let argv: Vec<String> = raw
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let Some(exe) = argv.first().map(|a| a.rsplit('/').next().unwrap_or(a)) else {
            continue;
        };
        if let Some(component) = CONTROL_PLANE.into_iter().find(|c| *c == exe) {
            out.insert(component, argv);
        }
    }
    assert_eq!(out.len(), 4, "the fixture runs the four components");
    out
}

/// A kube-system Pod as the API shows a static pod's mirror: the manifest's command line,
/// `kubernetes.io/config.mirror`, the node name.
fn mirror_pod_yaml(component: &str, node: &str, argv: &[String]) -> String {
    let mut y = format!(
        "- apiVersion: v1
  kind: Pod
  metadata:
    name: {component}-{node}
    namespace: kube-system
    annotations:
      kubernetes.io/config.hash: 5d4c1b2a
      kubernetes.io/config.mirror: 5d4c1b2a
      kubernetes.io/config.source: file
    labels:
      component: {component}
      tier: control-plane
  spec:
    nodeName: {node}
    hostNetwork: true
    priorityClassName: system-node-critical
    containers:
    - name: {component}
      image: registry.k8s.io/{component}:v1.34.2
      command:
"
    );
    for arg in argv {
        // JSON strings are YAML double-quoted scalars.
        y.push_str(&format!(
            "      - {}\n",
            serde_json::Value::from(arg.as_str())
        ));
    }
    y
}

/// A kube-system snapshot: kubeadm's four mirror pods on cp-1 (command lines from the
/// KubeadmControlPlane fixture), an API server mirror pod on cp-2, and an ordinary pod.
fn write_kube_system_snapshot(dir: &Path, command_lines: &BTreeMap<&str, Vec<String>>) -> PathBuf {
    let mut y = String::from("apiVersion: v1\nkind: List\nitems:\n");
    for (component, argv) in command_lines {
        y.push_str(&mirror_pod_yaml(component, "cp-1", argv));
    }
    y.push_str(&mirror_pod_yaml(
        "kube-apiserver",
        "cp-2",
        &command_lines["kube-apiserver"],
    ));
    y.push_str(
        "- apiVersion: v1
  kind: Pod
  metadata:
    name: coredns-7c65d6cfc9-x2x7q
    namespace: kube-system
    labels: {k8s-app: kube-dns}
  spec:
    nodeName: cp-1
    containers:
    - name: coredns
      image: registry.k8s.io/coredns/coredns:v1.12.1
      args: [-conf, /etc/coredns/Corefile]
",
    );
    let path = dir.join("kube-system.yaml");
    std::fs::write(&path, y).unwrap();
    path
}

/// The component a flag rule of this CIS section judges.
fn section_component(number: &str) -> Option<&'static str> {
    if number.starts_with("1.2.") {
        Some("kube-apiserver")
    } else if number.starts_with("1.3.") {
        Some("kube-controller-manager")
    } else if number.starts_with("1.4.") {
        Some("kube-scheduler")
    } else if number.starts_with("2.") {
        Some("etcd")
    } else {
        None
    }
}

/// (rule id, resource name) → (resource id, source, outcome) of every process finding.
type ProcessFindings = BTreeMap<(String, String), Vec<(String, String, String)>>;

fn process_findings(findings: &[Value]) -> ProcessFindings {
    let mut out: ProcessFindings = BTreeMap::new();
    for f in findings
        .iter()
        .filter(|f| f["resource"]["type"] == "process")
    {
        out.entry((
            s(&f["rule"]["id"]).to_owned(),
            s(&f["resource"]["name"]).to_owned(),
        ))
        .or_default()
        .push((
            s(&f["resource"]["id"]).to_owned(),
            s(&f["resource"]["raw"]["source"]).to_owned(),
            s(&f["result"]["evaluation"]).to_owned(),
        ));
    }
    out
}

#[test]
fn mirror_pods_alone_give_the_flag_rules_on_process_resources_with_source_mirror_pod() {
    let tmp = TempDir::create("mirror");
    let root = tmp.path().join("node");
    fixture::write(Fixture::KubeadmControlPlane, &root).unwrap();
    let snapshot = write_kube_system_snapshot(tmp.path(), &fixture_command_lines(&root));
    let scan = run_scan(&[snapshot.into()]);
    assert_eq!(scan.code, 0, "stderr:\n{}", scan.stderr);

    let mut judged = BTreeSet::new();
    for f in &scan.findings {
        let number = s(&f["rule"]["benchmark"]["rule_number"]);
        let Some(component) = section_component(number) else {
            continue;
        };
        let resource = &f["resource"];
        assert_eq!(resource["type"], "process", "{number} {}", resource["name"]);
        assert_eq!(resource["sub_type"], component, "{number}");
        assert_eq!(resource["raw"]["source"], "mirror-pod", "{number}");
        let name = s(&resource["name"]);
        assert!(
            name == format!("cp-1/{component}") || name == "cp-2/kube-apiserver",
            "{number} on {name}"
        );
        judged.insert((
            number.to_owned(),
            s(&f["rule"]["id"]).to_owned(),
            name.to_owned(),
            s(&f["result"]["evaluation"]).to_owned(),
        ));
    }
    // cp-1's flags are kubeadm's, so every flag rule of sections 1.2-1.4 and 2 gives the outcome
    // the node collector gets from the same command lines.
    let want: BTreeSet<(String, String, String, String)> = KUBEADM_CONTROL_PLANE
        .iter()
        .filter(|(n, _, r, _)| section_component(n) == Some(*r))
        .map(|(n, id, r, o)| {
            (
                (*n).to_owned(),
                (*id).to_owned(),
                format!("cp-1/{r}"),
                (*o).to_owned(),
            )
        })
        .collect();
    let cp1: BTreeSet<_> = judged
        .iter()
        .filter(|(_, _, name, _)| name.starts_with("cp-1/"))
        .cloned()
        .collect();
    assert_eq!(cp1, want, "flag rules on cp-1 from its mirror pods");
    assert_eq!(
        judged
            .iter()
            .filter(|(_, _, name, _)| name == "cp-2/kube-apiserver")
            .count(),
        30,
        "the 30 API server rules (1.2.x) on cp-2 too"
    );
    // No node data: no file resource, no kubelet or kube-proxy, and the ordinary pod is no
    // process.
    let processes = process_findings(&scan.findings);
    for (rule, name) in processes.keys() {
        assert!(
            CONTROL_PLANE
                .iter()
                .any(|c| name.ends_with(&format!("/{c}"))),
            "{rule} on {name}"
        );
    }
    assert!(
        !scan
            .findings
            .iter()
            .any(|f| f["resource"]["type"] == "file"),
        "no file findings without a host root"
    );
}

#[test]
fn node_data_replaces_the_mirror_pods_of_its_node_with_one_finding_per_rule_and_the_same_id() {
    let tmp = TempDir::create("mirror-and-node");
    let root = tmp.path().join("node");
    fixture::write(Fixture::KubeadmControlPlane, &root).unwrap();
    let snapshot = write_kube_system_snapshot(tmp.path(), &fixture_command_lines(&root));

    let mirror_only = process_findings(&run_scan(&[snapshot.clone().into()]).findings);
    let both = run_scan(&[
        snapshot.into(),
        "--host-root".into(),
        root.clone().into(),
        "--node-name".into(),
        "cp-1".into(),
    ]);
    assert_eq!(both.code, 0, "stderr:\n{}", both.stderr);
    let node_only = process_findings(&run_scan(&["--host-root".into(), root.into()]).findings);
    let both = process_findings(&both.findings);

    let mut checked = 0;
    for ((rule, name), mirrored) in &mirror_only {
        let Some(combined) = both.get(&(rule.clone(), name.clone())) else {
            panic!("{rule} on {name}: no finding in the combined scan");
        };
        assert_eq!(
            combined.len(),
            1,
            "{rule} on {name}: exactly one finding, got {combined:?}"
        );
        let (id, source, _) = &combined[0];
        assert_eq!(mirrored.len(), 1, "{rule} on {name}: {mirrored:?}");
        assert_eq!(
            id, &mirrored[0].0,
            "{rule} on {name}: same resource id from either source"
        );
        if name.starts_with("cp-1/") {
            // The node's own data wins for the node it describes.
            assert_eq!(source, "proc", "{rule} on {name}");
            checked += 1;
        } else {
            assert_eq!(
                source, "mirror-pod",
                "{rule} on {name}: cp-2 has no node data"
            );
        }
    }
    assert_eq!(
        checked, 48,
        "30 API server + 7 controller manager + 2 scheduler + 7 etcd + 2 audit policy rules"
    );
    // On cp-1 the combined scan is exactly the host-root scan: nothing added or counted twice.
    let cp1: ProcessFindings = both
        .into_iter()
        .filter(|((_, name), _)| name.starts_with("cp-1/"))
        .collect();
    assert_eq!(
        cp1, node_only,
        "cp-1's process findings are the node scan's"
    );
}
