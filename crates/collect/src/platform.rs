//! The platform a cluster runs on (`eks`, `kubeadm`, …) and what gave it away. The live API
//! source says it from the server's version and address ([`crate::k8s`]); offline runs say it
//! from what they read: a node's root filesystem or the Node objects of a snapshot. The
//! platform picks the default benchmarks (`--benchmark auto`), so the reason is always shown.

use std::path::Path;

use kspm_model::{Resource, ResourceType};
use serde_json::Value;

/// The platform a cluster runs on, and what gave it away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    /// `kubeadm`, `eks`, `k3s`, `rke2`, `gke`, `aks`, `openshift`, `kind`, or `unknown`.
    pub name: String,
    /// Why (`the server version v1.31.4-eks-2d5f5ff says so`).
    pub reason: String,
}

impl Platform {
    /// A platform and its reason.
    pub fn new(name: &str, reason: impl Into<String>) -> Platform {
        Platform {
            name: name.into(),
            reason: reason.into(),
        }
    }

    /// Nothing said what the cluster runs on.
    pub fn unknown(reason: impl Into<String>) -> Platform {
        Platform::new("unknown", reason)
    }

    /// Whether this is the `unknown` platform.
    pub fn is_unknown(&self) -> bool {
        self.name == "unknown"
    }
}

/// The platform a node's root filesystem shows: the EKS AMIs (Amazon Linux 2 and 2023, and
/// Bottlerocket's admin view aside) keep their node set-up under `/etc/eks`.
pub fn from_host_root(root: &Path) -> Option<Platform> {
    let eks = root.join("etc/eks");
    eks.is_dir().then(|| {
        Platform::new(
            "eks",
            "the node has /etc/eks, where the EKS-optimized AMIs keep their node set-up",
        )
    })
}

/// The platform the Node objects among `resources` show: EKS labels its nodes with
/// `eks.amazonaws.com/…` keys (managed node groups, Fargate) and builds kubelets whose version
/// carries `-eks-`.
pub fn from_objects(resources: &[Resource]) -> Option<Platform> {
    resources
        .iter()
        .filter(|r| r.kind == ResourceType::K8sObject && r.sub_type == "Node")
        .find_map(|r| {
            let node: Value = r
                .raw
                .as_ref()
                .and_then(|raw| serde_json::from_str(raw.as_str()).ok())
                .unwrap_or_else(|| (*r.resource).clone());
            eks_node(&node).map(|why| Platform::new("eks", format!("Node {}: {why}", r.name)))
        })
}

fn eks_node(node: &Value) -> Option<String> {
    if let Some(labels) = node.pointer("/metadata/labels").and_then(Value::as_object)
        && let Some(key) = labels.keys().find(|k| k.starts_with("eks.amazonaws.com/"))
    {
        return Some(format!("it has the label {key}"));
    }
    let kubelet = node
        .pointer("/status/nodeInfo/kubeletVersion")
        .and_then(Value::as_str)?;
    kubelet
        .contains("-eks-")
        .then(|| format!("its kubelet version {kubelet} is an EKS build"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kspm_model::ClusterInfo;
    use serde_json::json;

    fn node(object: Value) -> Resource {
        Resource::k8s_object(object, ClusterInfo::default())
    }

    #[test]
    fn eks_nodes_are_recognised_by_label_or_kubelet_version() {
        let labelled = node(json!({"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": "ip-10-0-1-5.ec2.internal",
                         "labels": {"eks.amazonaws.com/nodegroup": "ng-1"}}}));
        let p = from_objects(&[labelled]).unwrap();
        assert_eq!(p.name, "eks");
        assert!(
            p.reason.contains("eks.amazonaws.com/nodegroup"),
            "{}",
            p.reason
        );
        let built = node(json!({"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": "n"},
            "status": {"nodeInfo": {"kubeletVersion": "v1.33.5-eks-113cf36"}}}));
        assert!(from_objects(&[built]).unwrap().reason.contains("EKS build"));
    }

    #[test]
    fn other_nodes_and_kinds_say_nothing() {
        let kubeadm = node(json!({"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": "cp-1", "labels": {"node-role.kubernetes.io/control-plane": ""}},
            "spec": {"providerID": "aws:///us-east-1a/i-0abc"},
            "status": {"nodeInfo": {"kubeletVersion": "v1.33.5"}}}));
        let pod = node(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "labels": {"eks.amazonaws.com/x": "y"}}}));
        assert_eq!(from_objects(&[kubeadm, pod]), None);
    }

    #[test]
    fn a_root_with_etc_eks_is_an_eks_node() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(from_host_root(dir.path()), None);
        std::fs::create_dir_all(dir.path().join("etc/eks")).unwrap();
        assert_eq!(from_host_root(dir.path()).unwrap().name, "eks");
    }
}
