//! Which files to examine, and why: paths named by the running components first, kubeadm and
//! EKS defaults only for components that are not running (or whose settings are unknown).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::host::Host;
use super::{Component, absolute, diag, parse_config};
use crate::{Diagnostic, Severity};

/// Most files read from a static pod directory to learn which component each one runs.
const MAX_STATIC_PODS: usize = 200;
/// Largest static pod manifest parsed.
const MAX_MANIFEST: u64 = 1024 * 1024;

/// Where a path to examine came from.
struct Candidate {
    roles: Vec<&'static str>,
    found_by: Vec<String>,
    /// The process that named the path: its `/proc/<pid>/root` is the second place to look.
    pid: Option<u32>,
    /// Whether a note should say so when the path does not exist (named by a flag or config).
    named: bool,
    /// Why the path could not be examined for its purpose even though it exists (a static pod
    /// directory that cannot be listed, say): becomes the file's `error`.
    error: Option<String>,
}

#[derive(Default)]
struct Candidates(BTreeMap<String, Candidate>);

impl Candidates {
    fn add(
        &mut self,
        path: &str,
        role: &'static str,
        found_by: impl Into<String>,
        pid: Option<u32>,
    ) {
        self.insert(path, role, found_by.into(), pid, pid.is_some());
    }

    fn has_role(&self, role: &str) -> bool {
        self.0.values().any(|c| c.roles.contains(&role))
    }

    fn default_path(&mut self, path: &str, role: &'static str, found_by: &str) {
        self.insert(path, role, found_by.to_owned(), None, false);
    }

    /// A path that exists but could not be examined for `roles`: the rules of every role
    /// report the error instead of finding nothing.
    fn unexamined(
        &mut self,
        path: &str,
        roles: &[&'static str],
        found_by: &str,
        pid: Option<u32>,
        error: String,
    ) {
        for role in roles {
            self.insert(path, role, found_by.to_owned(), pid, false);
        }
        if let Some(c) = self.0.get_mut(&normalise(path)) {
            c.error = Some(error);
        }
    }

    fn insert(
        &mut self,
        path: &str,
        role: &'static str,
        found_by: String,
        pid: Option<u32>,
        named: bool,
    ) {
        let path = normalise(path);
        let c = self.0.entry(path).or_insert(Candidate {
            roles: Vec::new(),
            found_by: Vec::new(),
            pid,
            named,
            error: None,
        });
        if !c.roles.contains(&role) {
            c.roles.push(role);
        }
        if !c.found_by.contains(&found_by) {
            c.found_by.push(found_by);
        }
        c.pid = c.pid.or(pid);
        c.named |= named;
    }
}

/// `/a//b/./c/` → `/a/b/c` (`..` is left to the resolver).
fn normalise(path: &str) -> String {
    let abs = absolute(path.trim());
    let parts: Vec<&str> = abs
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    format!("/{}", parts.join("/"))
}

fn parent(path: &str) -> String {
    let p = normalise(path);
    match p.rfind('/') {
        Some(0) | None => "/".into(),
        Some(i) => p[..i].to_owned(),
    }
}

/// A path from a kubelet config file: relative ones are relative to the file's directory.
fn config_relative(value: &str, config_path: Option<&str>) -> String {
    match config_path {
        Some(cfg) if !value.starts_with('/') => format!("{}/{value}", parent(cfg)),
        _ => value.to_owned(),
    }
}

/// Examines every discovered path; returns the facts of those that exist.
pub(super) fn files(
    host: &Host,
    components: &[Component],
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Map<String, Value>> {
    let mut cand = Candidates::default();
    let by_name = |name: &str| {
        components
            .iter()
            .find(|c| c.component == name && c.readable)
    };

    kubelet_paths(host, by_name("kubelet"), &mut cand);
    systemd_paths(host, &mut cand);

    // API server PKI directories.
    match by_name("kube-apiserver") {
        Some(api) => {
            for flag in ["--client-ca-file", "--tls-cert-file"] {
                if let Some(p) = api.flag(flag) {
                    cand.add(
                        &parent(p),
                        "pki",
                        format!("kube-apiserver {flag} directory"),
                        Some(api.pid),
                    );
                }
            }
        }
        // Without a running API server, only a node that is meant to run one (a static pod
        // manifest for it) or an offline image (no kubelet either) gets kubeadm's PKI path.
        None if by_name("kubelet").is_none() || cand.has_role("apiserver-manifest") => {
            cand.default_path("/etc/kubernetes/pki", "pki", "kubeadm default")
        }
        None => {}
    }

    // Scheduler and controller-manager kubeconfigs; admin.conf lives beside them.
    let mut kubeconfig_dirs = Vec::new();
    for (component, role, default) in [
        (
            "kube-scheduler",
            "scheduler-kubeconfig",
            "/etc/kubernetes/scheduler.conf",
        ),
        (
            "kube-controller-manager",
            "controller-manager-kubeconfig",
            "/etc/kubernetes/controller-manager.conf",
        ),
    ] {
        match by_name(component).and_then(|c| c.flag("--kubeconfig").map(|p| (c, p))) {
            Some((c, p)) => {
                cand.add(p, role, format!("{component} --kubeconfig"), Some(c.pid));
                kubeconfig_dirs.push((parent(p), component));
            }
            None if by_name(component).is_none() => {
                cand.default_path(default, role, "kubeadm default");
            }
            None => {}
        }
    }
    if kubeconfig_dirs.is_empty() {
        kubeconfig_dirs.push(("/etc/kubernetes".into(), ""));
    }
    for (dir, component) in &kubeconfig_dirs {
        for name in ["admin.conf", "super-admin.conf"] {
            let found_by = if component.is_empty() {
                "kubeadm default".to_owned()
            } else {
                format!("beside the {component} kubeconfig")
            };
            cand.insert(
                &format!("{dir}/{name}"),
                "admin-kubeconfig",
                found_by,
                None,
                false,
            );
        }
    }

    // etcd data directory.
    match by_name("etcd") {
        Some(etcd) => match etcd.effective("--data-dir") {
            Some(s) if s["value"].as_str().is_some_and(|v| !v.is_empty()) => {
                let how = match s["source"].as_str() {
                    Some("env") => "etcd ETCD_DATA_DIR".to_owned(),
                    Some("config") => "etcd --config-file data-dir".to_owned(),
                    _ => "etcd --data-dir".to_owned(),
                };
                let dir = s["value"].as_str().unwrap_or_default();
                cand.add(dir, "etcd-data-dir", how, Some(etcd.pid));
            }
            _ => diagnostics.push(diag(
                Severity::Note,
                "etcd",
                "etcd runs without a data directory setting (it then uses <name>.etcd in its \
                 working directory); the data directory was not examined"
                    .into(),
            )),
        },
        None => cand.default_path("/var/lib/etcd", "etcd-data-dir", "kubeadm default"),
    }

    // kube-proxy kubeconfig: flag and/or clientConnection.kubeconfig of its config file.
    if let Some(proxy) = by_name("kube-proxy") {
        if let Some(p) = proxy.flag("--kubeconfig") {
            cand.add(
                p,
                "kube-proxy-kubeconfig",
                "kube-proxy --kubeconfig",
                Some(proxy.pid),
            );
        }
        if let Some(p) = proxy
            .facts
            .get("config")
            .and_then(|c| c.pointer("/clientConnection/kubeconfig"))
            .and_then(Value::as_str)
            .filter(|p| !p.is_empty())
        {
            cand.add(
                p,
                "kube-proxy-kubeconfig",
                "kube-proxy config clientConnection.kubeconfig",
                Some(proxy.pid),
            );
        }
    }

    // CNI configuration and plugin state (not owned by any one component).
    cand.default_path("/etc/cni/net.d", "cni", "CNI configuration directory");
    cand.default_path("/var/lib/cni/networks", "cni", "CNI plugin state directory");

    examine(host, cand, diagnostics)
}

fn kubelet_paths(host: &Host, kubelet: Option<&Component>, cand: &mut Candidates) {
    let Some(k) = kubelet else {
        for (path, role, how) in [
            (
                "/var/lib/kubelet/config.yaml",
                "kubelet-config",
                "kubeadm default",
            ),
            (
                "/etc/kubernetes/kubelet/config.json",
                "kubelet-config",
                "EKS default",
            ),
            (
                "/etc/kubernetes/kubelet/kubelet-config.json",
                "kubelet-config",
                "EKS default",
            ),
            (
                "/etc/kubernetes/kubelet.conf",
                "kubelet-kubeconfig",
                "kubeadm default",
            ),
            (
                "/var/lib/kubelet/kubeconfig",
                "kubelet-kubeconfig",
                "EKS default",
            ),
            (
                "/etc/kubernetes/pki/ca.crt",
                "kubelet-client-ca",
                "kubeadm default",
            ),
        ] {
            cand.default_path(path, role, how);
        }
        static_pods(
            host,
            "/etc/kubernetes/manifests",
            "kubeadm default static pod path",
            cand,
            None,
        );
        return;
    };
    let config_path = k.flag("--config");
    if let Some(p) = config_path {
        cand.add(p, "kubelet-config", "kubelet --config", Some(k.pid));
    }
    for dropin in k
        .facts
        .get("config_dropins")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        cand.add(
            dropin,
            "kubelet-config",
            "kubelet --config-dir",
            Some(k.pid),
        );
    }
    if let Some(p) = k.flag("--kubeconfig") {
        cand.add(p, "kubelet-kubeconfig", "kubelet --kubeconfig", Some(k.pid));
    }
    let config_broken = k.facts.contains_key("config_error");
    let how = |key: &str, flag: &str| match k.effective(key).and_then(|e| e["source"].as_str()) {
        Some("flag") => format!("kubelet {flag}"),
        _ => format!("kubelet config {key}"),
    };
    if let Some(ca) = k.effective_str("authentication.x509.clientCAFile") {
        let path = config_relative(ca, config_path);
        cand.add(
            &path,
            "kubelet-client-ca",
            how("authentication.x509.clientCAFile", "--client-ca-file"),
            Some(k.pid),
        );
    }
    match k.effective_str("staticPodPath") {
        Some(dir) => {
            let dir = config_relative(dir, config_path);
            let found_by = match how("staticPodPath", "--pod-manifest-path").as_str() {
                "kubelet config staticPodPath" => "kubelet staticPodPath".to_owned(),
                other => other.to_owned(),
            };
            static_pods(host, &dir, &found_by, cand, Some(k.pid));
        }
        None if config_broken => static_pods(
            host,
            "/etc/kubernetes/manifests",
            "kubeadm default static pod path (kubelet config unreadable)",
            cand,
            Some(k.pid),
        ),
        None => {}
    }
}

/// Which component a static pod manifest runs: the basename of its first container's command
/// (or image), falling back to kubeadm's file names.
/// `pid`: the kubelet, when it runs in a container (kind, some appliances) whose static pod
/// directory exists only inside it.
fn static_pods(host: &Host, dir: &str, found_by: &str, cand: &mut Candidates, pid: Option<u32>) {
    let dir = normalise(dir);
    let mut base = host.root().to_path_buf();
    if !host.exists(&base, &dir)
        && let Some(pid) = pid
    {
        let proc_root = host.root().join(format!("proc/{pid}/root"));
        if host.exists(&proc_root, &dir) {
            base = proc_root;
        }
    }
    let names = match host.list_dir(&base, &dir, MAX_STATIC_PODS) {
        Ok(names) => names,
        Err(e) => {
            // Any control-plane manifest may be in there: every manifest rule reports the error
            // on the directory rather than finding nothing.
            cand.unexamined(
                &dir,
                &MANIFEST_ROLES,
                found_by,
                pid,
                format!("cannot list the static pod directory: {e}; the manifests in it were not examined"),
            );
            return;
        }
    };
    for name in names {
        if name.starts_with('.') {
            continue; // The kubelet ignores hidden files in its static pod directory.
        }
        let path = format!("{dir}/{name}");
        let text = host.read_text(&base, &path);
        let from_content = text
            .as_ref()
            .ok()
            .filter(|t| t.len() as u64 <= MAX_MANIFEST)
            .and_then(|t| parse_config(t).ok())
            .and_then(|pod| pod_component(&pod));
        let stem = name.split('.').next().unwrap_or_default();
        let from_name = super::flags::COMPONENTS
            .iter()
            .copied()
            .find(|c| *c == stem);
        let component = from_content.or(from_name);
        let role = match component {
            Some("kube-apiserver") => "apiserver-manifest",
            Some("kube-controller-manager") => "controller-manager-manifest",
            Some("kube-scheduler") => "scheduler-manifest",
            Some("etcd") => "etcd-manifest",
            _ => {
                // A manifest kspm could not read may run any component: report it to every
                // manifest rule instead of passing over it.
                if let Err(e) = &text
                    && host.exists(&base, &path)
                {
                    cand.unexamined(
                        &path,
                        &MANIFEST_ROLES,
                        found_by,
                        pid,
                        format!("cannot read it to tell which component it runs: {e}"),
                    );
                }
                continue;
            }
        };
        cand.insert(&path, role, found_by.to_owned(), pid, false);
    }
}

/// The roles of static pod manifests.
const MANIFEST_ROLES: [&str; 4] = [
    "apiserver-manifest",
    "controller-manager-manifest",
    "scheduler-manifest",
    "etcd-manifest",
];

fn pod_component(pod: &Value) -> Option<&'static str> {
    let containers = pod.pointer("/spec/containers")?.as_array()?;
    containers.iter().find_map(|c| {
        let from_command = c
            .pointer("/command/0")
            .and_then(Value::as_str)
            .map(super::flags::basename);
        let from_image = c.get("image").and_then(Value::as_str).map(|i| {
            let last = i.rsplit('/').next().unwrap_or(i);
            last.split([':', '@']).next().unwrap_or(last)
        });
        [from_command, from_image]
            .into_iter()
            .flatten()
            .find_map(|n| super::flags::COMPONENTS.iter().copied().find(|c| *c == n))
    })
}

fn systemd_paths(host: &Host, cand: &mut Candidates) {
    for unit in [
        "/etc/systemd/system/kubelet.service",
        "/usr/lib/systemd/system/kubelet.service",
        "/lib/systemd/system/kubelet.service",
    ] {
        cand.default_path(unit, "kubelet-service", "systemd unit search path");
    }
    for dir in [
        "/etc/systemd/system/kubelet.service.d",
        "/usr/lib/systemd/system/kubelet.service.d",
        "/lib/systemd/system/kubelet.service.d",
    ] {
        match host.list_dir(host.root(), dir, 100) {
            Ok(names) => {
                for name in names.iter().filter(|n| n.ends_with(".conf")) {
                    cand.default_path(
                        &format!("{dir}/{name}"),
                        "kubelet-service",
                        "systemd drop-in directory",
                    );
                }
            }
            Err(e) => cand.unexamined(
                dir,
                &["kubelet-service"],
                "systemd drop-in directory",
                None,
                format!("cannot list the kubelet unit's drop-in directory: {e}"),
            ),
        }
    }
}

fn examine(
    host: &Host,
    cand: Candidates,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Map<String, Value>> {
    let mut out = Vec::new();
    for (path, c) in cand.0 {
        let mut found_by = c.found_by.join("; ");
        let mut base = host.root().to_path_buf();
        let mut facts = host.file_facts(&base, &path);
        if facts.is_none()
            && let Some(pid) = c.pid
        {
            let proc_root = host.root().join(format!("proc/{pid}/root"));
            if proc_root.exists() {
                facts = host.file_facts(&proc_root, &path);
                if let Some(f) = facts.as_mut() {
                    found_by.push_str(&format!(
                        " (not on the host; read through /proc/{pid}/root)"
                    ));
                    // Structured, for rules about host files: this one lives in the
                    // process's container (a ConfigMap volume, say).
                    f.insert("in_container_of_pid".into(), json!(pid));
                    base = proc_root;
                }
            }
        }
        let Some(mut facts) = facts else {
            if c.named {
                diagnostics.push(diag(
                    Severity::Note,
                    &path,
                    format!("named by {found_by} but does not exist"),
                ));
            }
            continue;
        };
        if let Some(e) = &c.error
            && !facts.contains_key("error")
        {
            facts.insert("error".into(), json!(e));
        }
        if c.roles.iter().any(|r| *r == "pki" || *r == "cni") && is_dir(&facts) {
            let (entries, truncated) = host.entries(&base, &path);
            for e in &entries {
                if let Some(why) = e.get("error").and_then(Value::as_str) {
                    let entry = e.get("path").and_then(Value::as_str).unwrap_or(&path);
                    diagnostics.push(diag(Severity::Error, entry, why.to_owned()));
                }
            }
            facts.insert("entries".into(), Value::Array(entries));
            if truncated {
                facts.insert("entries_truncated".into(), json!(true));
            }
        }
        // Exists but could not be examined: an input error of the scan, besides the rules'
        // error findings.
        if let Some(why) = facts.get("error").and_then(Value::as_str) {
            diagnostics.push(diag(Severity::Error, &path, why.to_owned()));
        } else if let Some(why) = facts
            .get("target")
            .and_then(|t| t.get("error"))
            .and_then(Value::as_str)
        {
            diagnostics.push(diag(
                Severity::Error,
                &path,
                format!("symlink target: {why}"),
            ));
        }
        facts.insert("roles".into(), json!(c.roles));
        facts.insert("found_by".into(), json!(found_by));
        out.push(facts);
    }
    out
}

fn is_dir(facts: &Map<String, Value>) -> bool {
    facts.get("kind").and_then(Value::as_str) == Some("directory")
        || facts
            .get("target")
            .and_then(|t| t.get("kind"))
            .and_then(Value::as_str)
            == Some("directory")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_and_parent_tidy_paths() {
        assert_eq!(normalise("/etc//kubernetes/./pki/"), "/etc/kubernetes/pki");
        assert_eq!(normalise("var/lib"), "/var/lib");
        assert_eq!(parent("/etc/kubernetes/pki/ca.crt"), "/etc/kubernetes/pki");
        assert_eq!(parent("/ca.crt"), "/");
    }

    #[test]
    fn config_relative_paths_follow_the_config_file() {
        assert_eq!(
            config_relative("pki/ca.crt", Some("/etc/kubelet/config.yaml")),
            "/etc/kubelet/pki/ca.crt"
        );
        assert_eq!(
            config_relative("/abs", Some("/etc/kubelet/config.yaml")),
            "/abs"
        );
    }

    #[test]
    fn pod_component_reads_command_then_image() {
        let pod = json!({"spec": {"containers": [{"command": ["/usr/local/bin/kube-apiserver", "--x"]}]}});
        assert_eq!(pod_component(&pod), Some("kube-apiserver"));
        let pod = json!({"spec": {"containers": [{"image": "registry.k8s.io/etcd:3.6.4-0"}]}});
        assert_eq!(pod_component(&pod), Some("etcd"));
        let pod = json!({"spec": {"containers": [{"image": "nginx"}]}});
        assert_eq!(pod_component(&pod), None);
    }
}
