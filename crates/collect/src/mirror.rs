//! Control-plane command lines from the API: the mirror pods of static pods.
//!
//! The kubelet publishes every static pod (kube-apiserver, kube-controller-manager,
//! kube-scheduler, etcd on a kubeadm control plane) as a read-only *mirror pod* in
//! `kube-system`, with the container's command line as written in the manifest. When kspm has
//! no node data for that node (a remote scan, or `kubectl get pods -n kube-system -o yaml`
//! scanned offline), the flag rules are evaluated from these command lines instead. The
//! resources get the same ids as the node collector's (`node\0component`), so a finding from
//! one source replaces the other's rather than being counted twice.

use std::collections::BTreeSet;

use kspm_model::{ClusterInfo, NodeInfo, Resource, ResourceType};
use serde_json::Value;

/// The static-pod components whose flags CIS sections 1.2–1.4 and 2 judge.
pub const CONTROL_PLANE: [&str; 4] = [
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "etcd",
];

/// `process` resources (with `source: mirror-pod`) for the control-plane mirror pods among
/// `resources`, skipping nodes in `nodes_with_data` (their processes were read directly) and
/// pods without `spec.nodeName`. At most one per (node, component).
pub fn processes(
    resources: &[Resource],
    nodes_with_data: &BTreeSet<String>,
    cluster: &ClusterInfo,
) -> Vec<Resource> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for r in resources {
        if r.kind != ResourceType::K8sObject
            || r.sub_type != "Pod"
            || r.namespace() != Some("kube-system")
        {
            continue;
        }
        let pod = match &r.raw {
            Some(raw) => raw.to_value(),
            None => r.resource.as_ref().clone(),
        };
        let Some((component, node, args)) = control_plane_command(&pod) else {
            continue;
        };
        if nodes_with_data.contains(&node) || !seen.insert((node.clone(), component)) {
            continue;
        }
        let node = NodeInfo {
            name: node,
            roles: vec!["control-plane".into()],
        };
        let mut process =
            crate::node::process_resource(component, &node, cluster, args, "mirror-pod");
        process.origin = r.origin.clone();
        // Read through the API (or a snapshot of it): part of the cluster's cycle, not of
        // the node's, which only a pass on the node itself reports.
        process.scope = kspm_model::Scope::Cluster;
        out.push(process);
    }
    out
}

/// (component, node, command line) of a control-plane static pod; `None` for other pods.
fn control_plane_command(pod: &Value) -> Option<(&'static str, String, Vec<String>)> {
    let meta = pod.get("metadata")?;
    let annotations = meta.get("annotations");
    let annotation = |k: &str| annotations.and_then(|a| a.get(k)).and_then(Value::as_str);
    let is_static = annotation("kubernetes.io/config.mirror").is_some()
        || annotation("kubernetes.io/config.source") == Some("file");
    if !is_static {
        return None;
    }
    let node = pod
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())?
        .to_owned();
    let label = meta
        .pointer("/labels/component")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let containers = pod.pointer("/spec/containers")?.as_array()?;
    let strings = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    for container in containers {
        let mut argv = strings(container.get("command"));
        argv.extend(strings(container.get("args")));
        let name = container.get("name").and_then(Value::as_str).unwrap_or("");
        let exe = argv
            .first()
            .map(|a| a.rsplit('/').next().unwrap_or(a))
            .unwrap_or("");
        let known = |c: &str| CONTROL_PLANE.into_iter().find(|k| *k == c);
        if let Some(component) = known(exe).or_else(|| known(name)).or_else(|| known(label)) {
            return Some((component, node, argv));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cluster() -> ClusterInfo {
        ClusterInfo {
            id: "c1".into(),
            name: "prod".into(),
            ..Default::default()
        }
    }

    fn mirror_pod(name: &str, node: &str, component: &str, command: &[&str]) -> Resource {
        Resource::k8s_object(
            json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {
                    "name": name, "namespace": "kube-system",
                    "labels": {"component": component, "tier": "control-plane"},
                    "annotations": {"kubernetes.io/config.mirror": "abc", "kubernetes.io/config.source": "file"}
                },
                "spec": {"nodeName": node, "containers": [{"name": component, "command": command}]}
            }),
            cluster(),
        )
    }

    #[test]
    fn mirror_pods_become_processes_with_the_node_collectors_ids() {
        let pods = vec![
            mirror_pod(
                "kube-apiserver-cp-1",
                "cp-1",
                "kube-apiserver",
                &[
                    "kube-apiserver",
                    "--profiling=false",
                    "--authorization-mode=Node,RBAC",
                ],
            ),
            mirror_pod(
                "etcd-cp-1",
                "cp-1",
                "etcd",
                &["etcd", "--data-dir=/var/lib/etcd"],
            ),
        ];
        let out = processes(&pods, &BTreeSet::new(), &cluster());
        assert_eq!(out.len(), 2);
        let api = &out[0];
        assert_eq!(api.kind, ResourceType::Process);
        assert_eq!(api.sub_type, "kube-apiserver");
        assert_eq!(
            api.id,
            kspm_model::resource_id("c1", ResourceType::Process, "cp-1\0kube-apiserver")
        );
        assert_eq!(api.resource["source"], "mirror-pod");
        assert_eq!(api.resource["flags"]["--profiling"], json!(["false"]));
        assert_eq!(api.context.node.as_ref().unwrap().name, "cp-1");
    }

    #[test]
    fn nodes_with_their_own_data_and_ordinary_pods_are_skipped() {
        let mut ordinary = mirror_pod("coredns-1", "cp-1", "coredns", &["/coredns"]);
        ordinary.resource = std::sync::Arc::new(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "coredns-1", "namespace": "kube-system"},
            "spec": {"nodeName": "cp-1", "containers": [{"name": "coredns"}]}
        }));
        let pods = vec![
            mirror_pod(
                "kube-scheduler-cp-1",
                "cp-1",
                "kube-scheduler",
                &["kube-scheduler"],
            ),
            mirror_pod(
                "kube-scheduler-cp-2",
                "cp-2",
                "kube-scheduler",
                &["kube-scheduler"],
            ),
            ordinary,
        ];
        let with_data: BTreeSet<String> = ["cp-1".to_owned()].into();
        let out = processes(&pods, &with_data, &cluster());
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].context.node.as_ref().unwrap().name, "cp-2");
    }
}
