//! Node collector: reads a Kubernetes node through a host-root prefix and emits `process` and
//! `file` resources (layout: rules/README.md, "Node resources").
//!
//! Everything is read under the root (`/` on a bare host, `/hostfs` in the agent): processes
//! from `<root>/proc`, files with `lstat`, names from `<root>/etc/passwd` and `etc/group`.
//! Paths are discovered from the running components first (kubelet `--config` and its
//! `staticPodPath`, `--kubeconfig`, etcd `--data-dir`, …); kubeadm and EKS default paths are
//! only used for a component that is not running. Nothing here panics or stops on a bad
//! input: what cannot be read becomes an `error` fact or a [`Diagnostic`].

mod discover;
pub mod flags;
mod host;
mod procs;
pub mod settings;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use kspm_model::{ClusterInfo, Context, NodeInfo, Resource, ResourceType, resource_id};
use serde_json::{Map, Value, json};

pub use flags::parse_flags;

use crate::{Diagnostic, Severity};
use host::Host;
use settings::ConfigState;

/// What the node collector needs besides the root.
#[derive(Debug, Clone, Default)]
pub struct NodeOptions {
    /// The cluster the node belongs to (for ids and context).
    pub cluster: ClusterInfo,
    /// Node name to use when the kubelet has no `--hostname-override` (e.g. `NODE_NAME` from
    /// the downward API); `<root>/etc/hostname` otherwise.
    pub node_name: Option<String>,
}

/// The result of scanning one node.
#[derive(Debug, Clone)]
pub struct NodeScan {
    /// The node's name and roles (`control-plane` or `worker`).
    pub node: NodeInfo,
    /// `process` resources (by component) then `file` resources (by path).
    pub resources: Vec<Resource>,
    /// What could not be read, and notes on paths named but absent.
    pub diagnostics: Vec<Diagnostic>,
}

/// A component seen on the node, with what was learnt about it.
#[derive(Debug, Clone)]
struct Component {
    component: &'static str,
    pid: u32,
    flags: BTreeMap<String, Vec<String>>,
    facts: Map<String, Value>,
    /// False when the command line could not be read: the component runs, but nothing it
    /// says can be used to discover paths.
    readable: bool,
}

impl Component {
    fn flag(&self, name: &str) -> Option<&str> {
        flags::last(&self.flags, name).filter(|v| !v.is_empty())
    }

    fn effective(&self, key: &str) -> Option<&Value> {
        self.facts.get("effective")?.get(key)
    }

    fn effective_str(&self, key: &str) -> Option<&str> {
        self.effective(key)?
            .get("value")?
            .as_str()
            .filter(|s| !s.is_empty())
    }
}

/// Scans the node under `root`.
pub fn collect(root: &Path, options: &NodeOptions) -> NodeScan {
    let mut diagnostics = Vec::new();
    if !root.is_dir() {
        diagnostics.push(diag(
            Severity::Error,
            &root.display().to_string(),
            "the host root is not a readable directory; the node was not scanned".into(),
        ));
        return NodeScan {
            node: NodeInfo {
                name: options
                    .node_name
                    .clone()
                    .unwrap_or_else(|| "unknown-node".into()),
                roles: vec!["worker".into()],
            },
            resources: Vec::new(),
            diagnostics,
        };
    }
    let host = Host::open(root);
    for (path, e) in &host.names_errors {
        diagnostics.push(diag(
            Severity::Error,
            path,
            format!("{e}: file owners are shown as numeric ids"),
        ));
    }
    let components: Vec<Component> = procs::scan(root, &mut diagnostics)
        .into_iter()
        .map(|entry| component_from_proc(&host, entry, &mut diagnostics))
        .collect();

    let name = node_name(&host, &components, options, &mut diagnostics);
    let files = discover::files(&host, &components, &mut diagnostics);
    let control_plane = components.iter().any(|c| c.component == "kube-apiserver")
        || files.iter().any(|f| {
            // A static pod directory kspm could not list carries every manifest role; it says
            // nothing about what the node runs.
            f.get("error").is_none()
                && f.get("roles")
                    .and_then(Value::as_array)
                    .is_some_and(|r| r.iter().any(|x| x == "apiserver-manifest"))
        });
    let node = NodeInfo {
        name,
        roles: vec![
            if control_plane {
                "control-plane"
            } else {
                "worker"
            }
            .into(),
        ],
    };

    let mut resources = Vec::with_capacity(components.len() + files.len());
    for c in components {
        resources.push(process_envelope(
            c.component,
            c.facts,
            &node,
            &options.cluster,
        ));
    }
    for f in files {
        resources.push(file_envelope(f, &node, &options.cluster));
    }
    NodeScan {
        node,
        resources,
        diagnostics,
    }
}

/// Builds a `process` resource from a command line alone (no host access): `component`,
/// `exe`, `args`, `flags` and `source`; etcd also gets `effective` from its flags when it does
/// not use a config file. Used for static pods' mirror pods seen through the API.
///
/// `args` are the arguments after the executable; a leading element that names the component
/// (`kube-apiserver` or `/usr/local/bin/kube-apiserver`) is taken as the executable and
/// dropped, so a container's `command` + `args` can be passed as they are.
pub fn process_resource(
    component: &str,
    node: &NodeInfo,
    cluster: &ClusterInfo,
    args: Vec<String>,
    source: &str,
) -> Resource {
    let (exe, args) = match args.split_first() {
        Some((first, rest)) if !first.starts_with('-') && flags::basename(first) == component => {
            (first.clone(), rest.to_vec())
        }
        _ => (component.to_owned(), args),
    };
    let parsed = parse_flags(&args);
    let mut facts = base_facts(component, None, &exe, &args, &parsed, source);
    if component == "etcd" && !parsed.contains_key("--config-file") {
        facts.insert(
            "effective".into(),
            Value::Object(settings::etcd(
                &parsed,
                settings::EtcdEnv::Known(&[]),
                ConfigState::None,
            )),
        );
    }
    if component == "kube-apiserver" {
        // The files its flags name are on the node, out of reach from the API.
        facts.insert("referenced".into(), json!({}));
    }
    process_envelope(component, facts, node, cluster)
}

fn base_facts(
    component: &str,
    pid: Option<u32>,
    exe: &str,
    args: &[String],
    parsed: &BTreeMap<String, Vec<String>>,
    source: &str,
) -> Map<String, Value> {
    let mut facts = Map::new();
    facts.insert("component".into(), json!(component));
    if let Some(pid) = pid {
        facts.insert("pid".into(), json!(pid));
    }
    facts.insert("exe".into(), json!(exe));
    facts.insert("args".into(), json!(args));
    facts.insert("flags".into(), json!(parsed));
    facts.insert("source".into(), json!(source));
    facts
}

fn process_envelope(
    component: &str,
    facts: Map<String, Value>,
    node: &NodeInfo,
    cluster: &ClusterInfo,
) -> Resource {
    let name = format!("{}/{component}", node.name);
    let key = format!("{}\0{component}", node.name);
    envelope(
        ResourceType::Process,
        component.to_owned(),
        &key,
        name,
        facts,
        node,
        cluster,
    )
}

fn file_envelope(facts: Map<String, Value>, node: &NodeInfo, cluster: &ClusterInfo) -> Resource {
    let text = |key: &str, fallback: &str| {
        facts
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or(fallback)
            .to_owned()
    };
    let (path, kind) = (text("path", ""), text("kind", "other"));
    let name = format!("{}:{path}", node.name);
    let key = format!("{}\0{path}", node.name);
    envelope(ResourceType::File, kind, &key, name, facts, node, cluster)
}

/// A node resource: id from (cluster, type, `node\0<component or path>`), context with the node.
fn envelope(
    kind: ResourceType,
    sub_type: String,
    stable_key: &str,
    name: String,
    facts: Map<String, Value>,
    node: &NodeInfo,
    cluster: &ClusterInfo,
) -> Resource {
    Resource {
        kind,
        sub_type,
        id: resource_id(&cluster.id, kind, stable_key),
        name,
        resource: Arc::new(Value::Object(facts)),
        context: Context {
            cluster: cluster.clone(),
            node: Some(node.clone()),
        },
        origin: None,
        // Mirror-pod processes are re-scoped to the cluster by `crate::mirror`.
        scope: kspm_model::Scope::Node(node.name.clone()),
        raw: None,
    }
}

fn component_from_proc(
    host: &Host,
    entry: procs::ProcEntry,
    diagnostics: &mut Vec<Diagnostic>,
) -> Component {
    let parsed = parse_flags(&entry.args);
    let mut facts = base_facts(
        entry.component,
        Some(entry.pid),
        &entry.exe,
        &entry.args,
        &parsed,
        "proc",
    );
    let mut c = Component {
        component: entry.component,
        pid: entry.pid,
        flags: parsed,
        facts: Map::new(),
        readable: entry.error.is_none(),
    };
    if let Some(error) = entry.error {
        facts.insert("error".into(), json!(error));
        c.facts = facts;
        return c;
    }
    if let Some(e) = &entry.etcd_env_error {
        diagnostics.push(diag(
            Severity::Error,
            &format!("/proc/{}/environ", c.pid),
            format!("etcd environment: {e}; its ETCD_* settings are unknown"),
        ));
        facts.insert("env_error".into(), json!(e));
    }
    let config_flag = match c.component {
        "kubelet" | "kube-proxy" => c.flag("--config").map(str::to_owned),
        "etcd" => c.flag("--config-file").map(str::to_owned).or_else(|| {
            entry
                .etcd_env
                .iter()
                .find(|(k, v)| k == "ETCD_CONFIG_FILE" && !v.is_empty())
                .map(|(_, v)| v.clone())
        }),
        _ => None,
    };
    let mut config = None;
    let mut broken = false;
    // (path, parsed value) of each kubelet drop-in, in merge order.
    let mut dropin_values: Vec<(String, Value)> = Vec::new();
    if let Some(path) = &config_flag {
        facts.insert("config_path".into(), json!(path));
        match read_for_process(host, path, c.pid).and_then(|(text, _)| parse_config(&text)) {
            Ok(v) => config = Some(v),
            Err(e) => {
                diagnostics.push(diag(
                    Severity::Error,
                    path,
                    format!("{} config file: {e}", c.component),
                ));
                facts.insert("config_error".into(), json!(e.to_string()));
                broken = true;
            }
        }
    }
    // Kubelet drop-ins (`--config-dir`, on by default since v1.30): every `*.conf` file, in
    // name order, merged over the config file (objects field by field, other values replaced).
    // A broken drop-in stops the kubelet just like a broken config file.
    if c.component == "kubelet"
        && !broken
        && let Some(dir) = c.flag("--config-dir").map(str::to_owned)
    {
        facts.insert("config_dir".into(), json!(dir));
        let mut dropins = Vec::new();
        let mut merged = config.take().unwrap_or_else(|| json!({}));
        // A drop-in directory that cannot be listed may hold any setting: the merged
        // configuration is unknown, exactly as for an unreadable config file.
        let names = match host.list_dir(host.root(), &absolute(&dir), MAX_DROPINS) {
            Ok(names) => names,
            Err(e) => {
                let path = absolute(&dir);
                diagnostics.push(diag(
                    Severity::Error,
                    &path,
                    format!("kubelet config drop-in directory (--config-dir): {e}"),
                ));
                facts.insert(
                    "config_error".into(),
                    json!(format!(
                        "{path}: the drop-in directory cannot be listed: {e}"
                    )),
                );
                broken = true;
                Vec::new()
            }
        };
        for name in names {
            if !name.ends_with(".conf") || name.starts_with('.') {
                continue;
            }
            let path = format!("{}/{name}", absolute(&dir).trim_end_matches('/'));
            match read_for_process(host, &path, c.pid).and_then(|(t, _)| parse_config(&t)) {
                Ok(v) => {
                    dropin_values.push((path.clone(), v.clone()));
                    merge_into(&mut merged, v);
                }
                Err(e) => {
                    diagnostics.push(diag(
                        Severity::Error,
                        &path,
                        format!("kubelet config drop-in: {e}"),
                    ));
                    facts.insert("config_error".into(), json!(format!("{path}: {e}")));
                    broken = true;
                }
            }
            dropins.push(path);
        }
        facts.insert("config_dropins".into(), json!(dropins));
        config = Some(merged);
    }
    let state = match (&config, broken) {
        (_, true) => ConfigState::Broken,
        (Some(v), _) => ConfigState::Parsed(v),
        (None, _) => ConfigState::None,
    };
    let effective = match c.component {
        "kubelet" => {
            let mut e = settings::kubelet(&c.flags, state);
            // A setting read from the merged config names the drop-in that set it last.
            for entry in e.values_mut() {
                if entry["source"] != "config" {
                    continue;
                }
                let key = entry["key"].as_str().unwrap_or_default().to_owned();
                if let Some((path, _)) = dropin_values
                    .iter()
                    .rev()
                    .find(|(_, v)| settings::lookup(v, &key).is_some())
                {
                    entry["dropin"] = json!(path);
                }
            }
            Some(e)
        }
        "etcd" => Some(settings::etcd(
            &c.flags,
            match &entry.etcd_env_error {
                Some(_) => settings::EtcdEnv::Unreadable,
                None => settings::EtcdEnv::Known(&entry.etcd_env),
            },
            state,
        )),
        "kube-proxy" => Some(settings::kube_proxy(&c.flags, state)),
        _ => None,
    };
    if let Some(e) = effective {
        facts.insert("effective".into(), Value::Object(e));
    }
    if let Some(v) = config.filter(|_| !broken) {
        facts.insert("config".into(), v);
    }
    // How the kubelet authenticates to the API server (only the method, never a credential):
    // client-certificate rotation (4.2.10) only concerns a kubelet with a client certificate.
    if c.component == "kubelet"
        && let Some(path) = c.flag("--kubeconfig")
    {
        match read_for_process(host, path, c.pid).and_then(|(t, _)| parse_config(&t)) {
            Ok(kubeconfig) => {
                facts.insert(
                    "kubeconfig_auth".into(),
                    json!(kubeconfig_auth(&kubeconfig)),
                );
            }
            Err(e) => {
                diagnostics.push(diag(
                    Severity::Error,
                    &absolute(path),
                    format!("kubelet --kubeconfig: {e}"),
                ));
                facts.insert("kubeconfig_error".into(), json!(format!("{path}: {e}")));
            }
        }
    }
    if c.component == "kube-apiserver" {
        let mut referenced = Map::new();
        for flag in [
            "--encryption-provider-config",
            "--audit-policy-file",
            "--admission-control-config-file",
        ] {
            let Some(path) = c.flag(flag) else { continue };
            let mut entry = Map::new();
            entry.insert("path".into(), json!(path));
            match read_for_process(host, path, c.pid).and_then(|(t, _)| parse_config(&t)) {
                Ok(mut v) => {
                    if flag == "--encryption-provider-config" {
                        redact_keys(&mut v);
                    }
                    entry.insert("content".into(), v);
                }
                Err(e) => {
                    diagnostics.push(diag(
                        Severity::Error,
                        &absolute(path),
                        format!("kube-apiserver {flag}: {e}"),
                    ));
                    entry.insert("error".into(), json!(e.to_string()));
                }
            }
            referenced.insert(flag.into(), Value::Object(entry));
        }
        facts.insert("referenced".into(), Value::Object(referenced));
    }
    c.facts = facts;
    c
}

/// Most kubelet config drop-in files read.
const MAX_DROPINS: usize = 100;

/// Merges `overlay` into `base` the way Go decodes JSON onto an existing struct: objects
/// field by field, every other value (lists included) replaced.
fn merge_into(base: &mut Value, overlay: Value) {
    match (base, overlay) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(existing) if existing.is_object() && v.is_object() => {
                        merge_into(existing, v)
                    }
                    _ => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

/// Encryption keys must never leave the node: every `secret` string of an
/// `EncryptionConfiguration` (aescbc, aesgcm, secretbox keys) is replaced.
fn redact_keys(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if k == "secret" && v.is_string() {
                    *v = json!(crate::sanitize::REDACTED);
                } else {
                    redact_keys(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_keys),
        _ => {}
    }
}

/// Reads a file a process named: on the host first, then through `/proc/<pid>/root` (for a
/// containerised process whose paths exist only in its own mount namespace). The flag tells
/// whether the second way was used.
/// The authentication method of a kubeconfig's current user (the only user when no context is
/// current): `client-certificate`, `exec`, `token`, `auth-provider`, `basic` or `none`.
fn kubeconfig_auth(kubeconfig: &Value) -> &'static str {
    let named = |list: &str, name: &str| {
        kubeconfig[list]
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["name"] == name)
            .cloned()
    };
    let user_name = kubeconfig["current-context"]
        .as_str()
        .and_then(|cc| named("contexts", cc))
        .and_then(|ctx| ctx["context"]["user"].as_str().map(str::to_owned));
    let user = match user_name {
        Some(name) => named("users", &name),
        None => match kubeconfig["users"].as_array() {
            Some(users) if users.len() == 1 => Some(users[0].clone()),
            _ => None,
        },
    };
    let Some(user) = user.as_ref().and_then(|u| u.get("user")) else {
        return "none";
    };
    let has = |k: &str| user.get(k).is_some_and(|v| !v.is_null());
    if has("client-certificate") || has("client-certificate-data") {
        "client-certificate"
    } else if has("exec") {
        "exec"
    } else if has("token") || has("tokenFile") {
        "token"
    } else if has("auth-provider") {
        "auth-provider"
    } else if has("username") {
        "basic"
    } else {
        "none"
    }
}

fn read_for_process(host: &Host, path: &str, pid: u32) -> crate::Result<(String, bool)> {
    let path = absolute(path);
    match host.read_text(host.root(), &path) {
        Ok(t) => Ok((t, false)),
        Err(host_err) => {
            let proc_root = host.root().join(format!("proc/{pid}/root"));
            if host.exists(host.root(), &path) || !proc_root.exists() {
                return Err(host_err);
            }
            host.read_text(&proc_root, &path)
                .map(|t| (t, true))
                .map_err(|_| host_err)
        }
    }
}

/// Relative paths in flags are relative to the process's working directory, which is `/` for
/// static pods and systemd units; that is what is assumed.
fn absolute(path: &str) -> String {
    if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    }
}

/// Parses a config file: JSON when it starts with `{`, else one YAML document (Kubernetes'
/// YAML 1.1 reading). An empty document is an empty object.
pub(crate) fn parse_config(text: &str) -> crate::Result<Value> {
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(text)
            .map_err(|e| crate::Error::InvalidConfig(format!("invalid JSON: {e}")));
    }
    match kspm_yaml::parse_document(text) {
        Ok(doc) => Ok(doc.value.unwrap_or_else(|| Value::Object(Map::new()))),
        Err(e) => Err(crate::Error::InvalidConfig(format!(
            "invalid YAML at line {}: {}",
            e.line, e.message
        ))),
    }
}

fn node_name(
    host: &Host,
    components: &[Component],
    options: &NodeOptions,
    diagnostics: &mut Vec<Diagnostic>,
) -> String {
    if let Some(name) = components
        .iter()
        .find(|c| c.component == "kubelet")
        .and_then(|k| k.flag("--hostname-override"))
    {
        return name.trim().to_lowercase();
    }
    if let Some(name) = options
        .node_name
        .as_deref()
        .filter(|n| !n.trim().is_empty())
    {
        return name.trim().to_owned();
    }
    if let Ok(text) = host.read_text(host.root(), "/etc/hostname")
        && let Some(line) = text.lines().map(str::trim).find(|l| !l.is_empty())
    {
        // The kubelet registers the lowercased hostname.
        return line.to_lowercase();
    }
    diagnostics.push(diag(
        Severity::Error,
        "/etc/hostname",
        "node name unknown (no kubelet --hostname-override, no node name given, no \
         etc/hostname); using unknown-node"
            .into(),
    ));
    "unknown-node".into()
}

fn diag(severity: Severity, file: &str, message: String) -> Diagnostic {
    Diagnostic {
        severity,
        file: file.to_owned(),
        document: None,
        line: None,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubeconfig_auth_names_the_method_of_the_current_user() {
        let config = |users: Value, current: Option<&str>| {
            json!({
                "contexts": [{"name": "a", "context": {"user": "cert"}},
                             {"name": "b", "context": {"user": "plugin"}}],
                "current-context": current,
                "users": users,
            })
        };
        let users = json!([
            {"name": "cert", "user": {"client-certificate": "/var/lib/kubelet/pki/kubelet-client-current.pem"}},
            {"name": "plugin", "user": {"exec": {"command": "aws"}}},
        ]);
        assert_eq!(
            kubeconfig_auth(&config(users.clone(), Some("a"))),
            "client-certificate"
        );
        assert_eq!(kubeconfig_auth(&config(users.clone(), Some("b"))), "exec");
        // No current context and two users: unknown.
        assert_eq!(kubeconfig_auth(&config(users, None)), "none");
        let one = json!([{"name": "x", "user": {"tokenFile": "/t"}}]);
        assert_eq!(kubeconfig_auth(&config(one, None)), "token");
        let data = json!([{"name": "cert", "user": {"client-certificate-data": "QQ=="}}]);
        assert_eq!(
            kubeconfig_auth(&config(data, Some("a"))),
            "client-certificate"
        );
    }

    #[test]
    fn parse_config_reads_json_yaml_and_empty_documents() {
        assert_eq!(parse_config("{\"a\": 1}").unwrap(), json!({"a": 1}));
        assert_eq!(
            parse_config("a: 0600\nb: on\n").unwrap(),
            json!({"a": 384, "b": true})
        );
        assert_eq!(parse_config("# nothing\n").unwrap(), json!({}));
        assert!(parse_config("a: [").is_err());
        assert!(parse_config("{\"a\": ").is_err());
    }

    #[test]
    fn merge_into_merges_objects_and_replaces_lists() {
        let mut base = json!({"a": {"x": 1, "y": 2}, "l": [1, 2], "k": "v"});
        merge_into(&mut base, json!({"a": {"y": 3}, "l": [9], "n": true}));
        assert_eq!(
            base,
            json!({"a": {"x": 1, "y": 3}, "l": [9], "k": "v", "n": true})
        );
    }

    #[test]
    fn redact_keys_hides_every_encryption_secret() {
        let mut v = json!({"resources": [{"providers": [
            {"aescbc": {"keys": [{"name": "k1", "secret": "c2VjcmV0"}]}},
            {"identity": {}}]}]});
        redact_keys(&mut v);
        assert_eq!(
            v.pointer("/resources/0/providers/0/aescbc/keys/0/secret"),
            Some(&json!(crate::sanitize::REDACTED))
        );
        assert_eq!(
            v.pointer("/resources/0/providers/0/aescbc/keys/0/name"),
            Some(&json!("k1"))
        );
    }

    #[test]
    fn process_resource_drops_a_leading_executable_and_keys_by_node_and_component() {
        let cluster = ClusterInfo {
            id: "c1".into(),
            name: "c".into(),
            ..Default::default()
        };
        let node = NodeInfo {
            name: "cp-1".into(),
            roles: vec!["control-plane".into()],
        };
        let r = process_resource(
            "etcd",
            &node,
            &cluster,
            vec!["etcd".into(), "--client-cert-auth=true".into()],
            "mirror-pod",
        );
        assert_eq!(r.id, resource_id("c1", ResourceType::Process, "cp-1\0etcd"));
        assert_eq!(r.name, "cp-1/etcd");
        assert_eq!(r.resource["args"], json!(["--client-cert-auth=true"]));
        assert_eq!(r.resource["exe"], "etcd");
        assert_eq!(r.resource["source"], "mirror-pod");
        assert_eq!(
            r.resource["effective"]["--client-cert-auth"]["value"],
            "true"
        );
        assert!(r.resource.get("pid").is_none());
    }
}
