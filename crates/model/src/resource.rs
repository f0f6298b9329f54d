use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What kind of thing a [`Resource`] describes; rules are routed on it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ResourceType {
    /// A Kubernetes API object (`sub_type` is its kind).
    K8sObject,
    /// A file or directory on a node (`sub_type` is `file` or `directory`).
    File,
    /// A process on a node (`sub_type` is the component name).
    Process,
    /// A cloud provider resource (`sub_type` such as `aws-eks`).
    Cloud,
}

impl ResourceType {
    /// The snake_case name used in documents and rule metadata.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::K8sObject => "k8s_object",
            ResourceType::File => "file",
            ResourceType::Process => "process",
            ResourceType::Cloud => "cloud",
        }
    }
}

/// The cluster a resource belongs to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ClusterInfo {
    /// Cluster id: UID of `kube-system`, or derived from the name for offline scans.
    pub id: String,
    /// Human name of the cluster.
    pub name: String,
    /// Kubernetes version, when known (`v1.34.2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `kubeadm`, `eks`, … when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
}

/// The node a node-scoped resource was collected on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NodeInfo {
    /// Node name.
    pub name: String,
    /// Roles such as `control-plane` or `worker`.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// Where a resource was seen.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Context {
    /// The cluster.
    #[serde(default)]
    pub cluster: ClusterInfo,
    /// The node, for node resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<NodeInfo>,
}

/// A document in an input file: where an offline resource was read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileLocation {
    /// File path as given (or `-` for stdin).
    pub file: String,
    /// Zero-based index of the YAML/JSON document in the file.
    pub document: usize,
    /// One-based line where the document (or list item) starts.
    pub line: usize,
}

impl std::fmt::Display for FileLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: document {} (line {})",
            self.file, self.document, self.line
        )
    }
}

/// An object as the Kubernetes API served it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiLocation {
    /// The API server it was read from (`https://10.0.0.10:6443`).
    pub api_server: String,
    /// The object's `metadata.resourceVersion` when it was read.
    pub resource_version: String,
}

/// Something read on a node through its host root.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HostLocation {
    /// The path kspm read, host root included (`/hostfs/etc/kubernetes/admin.conf`,
    /// `/hostfs/proc/812/cmdline`).
    pub host_path: String,
    /// The process, for process resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
}

/// A resource described by a cloud provider's API.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CloudLocation {
    /// The resource's ARN (or the provider's equivalent).
    pub arn: String,
    /// Account id.
    pub account: String,
    /// Region.
    pub region: String,
}

/// Where a resource was read: a file, the Kubernetes API, a node's host root, a cloud API.
/// Findings carry it as `source` (kspm's own field). Each kind has its own fields, so the JSON
/// needs no tag: `{file, document, line}`, `{api_server, resource_version}`,
/// `{host_path, pid}`, `{arn, account, region}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Origin {
    /// A document in an input file.
    File(FileLocation),
    /// An object served by the Kubernetes API.
    Api(ApiLocation),
    /// Read on a node.
    Host(HostLocation),
    /// Described by a cloud API.
    Cloud(CloudLocation),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::File(l) => l.fmt(f),
            Origin::Api(l) => write!(
                f,
                "{} (resourceVersion {})",
                l.api_server, l.resource_version
            ),
            Origin::Host(l) => match l.pid {
                Some(pid) => write!(f, "{} (pid {pid})", l.host_path),
                None => f.write_str(&l.host_path),
            },
            Origin::Cloud(l) => f.write_str(&l.arn),
        }
    }
}

impl Origin {
    /// The file location, for resources read from input files.
    pub fn file(&self) -> Option<&FileLocation> {
        match self {
            Origin::File(l) => Some(l),
            _ => None,
        }
    }
}

/// One collected item, handed to the rules as `input` (DESIGN §3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    /// Resource type, used for routing.
    #[serde(rename = "type")]
    pub kind: ResourceType,
    /// Kind, `file`/`directory`, component name or cloud service.
    pub sub_type: String,
    /// Deterministic resource id (see [`crate::resource_id`]).
    pub id: String,
    /// Display name (`namespace/name` for namespaced objects).
    pub name: String,
    /// The facts. Shared: every finding about this resource points at the same value.
    pub resource: std::sync::Arc<Value>,
    /// Cluster and node.
    pub context: Context,
    /// Where it was read (file, API, host root, cloud API); not part of the rule input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    /// The cycle it belongs to: the cluster, its node, or a cloud account and region. Set by
    /// the source that read it; not part of the rule input.
    #[serde(skip)]
    pub scope: crate::Scope,
    /// The whole object as compact JSON text, when `resource` holds only its identity (see
    /// [`k8s_identity`]). Large scans keep objects this way: the rules read the engine's own
    /// value, findings show this text, and no full tree of every object is ever held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<std::sync::Arc<crate::RawJson>>,
}

/// The identity of a Kubernetes object: `apiVersion`, `kind`, the binding fields `roleRef`
/// and `subjects`, and `metadata` reduced to name, generateName, namespace, uid and
/// ownerReferences. Enough to route, index and name it.
pub fn k8s_identity(object: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for key in ["apiVersion", "kind", "roleRef", "subjects"] {
        if let Some(v) = object.get(key) {
            out.insert(key.to_owned(), v.clone());
        }
    }
    if let Some(meta) = object.get("metadata").and_then(Value::as_object) {
        let mut m = serde_json::Map::new();
        for key in [
            "name",
            "generateName",
            "namespace",
            "uid",
            "ownerReferences",
        ] {
            if let Some(v) = meta.get(key) {
                m.insert(key.to_owned(), v.clone());
            }
        }
        out.insert("metadata".to_owned(), Value::Object(m));
    }
    Value::Object(out)
}

impl Resource {
    /// Builds the envelope for a Kubernetes object, deriving id and display name.
    ///
    /// The stable key is the object's UID, or `kind/namespace/name` when it has none
    /// (manifests have no UID).
    pub fn k8s_object(object: Value, cluster: ClusterInfo) -> Resource {
        Resource::k8s_object_parts(object, None, cluster)
    }

    /// Like [`Resource::k8s_object`] for an object kept as compact text: `identity` is
    /// [`k8s_identity`] of it, `raw` the whole object.
    pub fn k8s_compact(
        identity: Value,
        raw: std::sync::Arc<crate::RawJson>,
        cluster: ClusterInfo,
    ) -> Resource {
        Resource::k8s_object_parts(identity, Some(raw), cluster)
    }

    fn k8s_object_parts(
        object: Value,
        raw: Option<std::sync::Arc<crate::RawJson>>,
        cluster: ClusterInfo,
    ) -> Resource {
        let kind = object
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let meta = object.get("metadata");
        let field = |k: &str| {
            meta.and_then(|m| m.get(k))
                .and_then(Value::as_str)
                .unwrap_or("")
        };
        let (ns, name, uid) = (field("namespace"), field("name"), field("uid"));
        let display = if ns.is_empty() {
            name.to_owned()
        } else {
            format!("{ns}/{name}")
        };
        let key = if uid.is_empty() {
            format!("{kind}/{ns}/{name}")
        } else {
            uid.to_owned()
        };
        Resource {
            kind: ResourceType::K8sObject,
            id: crate::resource_id(&cluster.id, ResourceType::K8sObject, &key),
            sub_type: kind,
            name: display,
            resource: std::sync::Arc::new(object),
            context: Context {
                cluster,
                node: None,
            },
            origin: None,
            scope: crate::Scope::Cluster,
            raw,
        }
    }

    /// `metadata.namespace` of a Kubernetes object, if any.
    pub fn namespace(&self) -> Option<&str> {
        // `get` twice rather than `pointer`, which splits and allocates its path on every call:
        // this runs for every finding.
        self.resource
            .get("metadata")
            .and_then(|m| m.get("namespace"))
            .and_then(Value::as_str)
    }

    /// `metadata.name` of a Kubernetes object, the path of a file, or the display name.
    pub fn short_name(&self) -> &str {
        match self.kind {
            ResourceType::K8sObject => self
                .resource
                .get("metadata")
                .and_then(|m| m.get("name"))
                .and_then(Value::as_str)
                .unwrap_or(&self.name),
            ResourceType::File => self
                .resource
                .get("path")
                .and_then(Value::as_str)
                .unwrap_or(&self.name),
            _ => &self.name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn k8s_object_without_uid_is_keyed_by_kind_namespace_and_name() {
        let cluster = ClusterInfo {
            id: "c".into(),
            name: "c".into(),
            ..Default::default()
        };
        let pod = json!({"kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}});
        let a = Resource::k8s_object(pod.clone(), cluster.clone());
        assert_eq!(a.name, "ns/p");
        assert_eq!(a.sub_type, "Pod");
        assert_eq!(
            a.id,
            crate::resource_id("c", ResourceType::K8sObject, "Pod/ns/p")
        );
        let mut with_uid = pod;
        with_uid["metadata"]["uid"] = json!("1234");
        let b = Resource::k8s_object(with_uid, cluster);
        assert_eq!(
            b.id,
            crate::resource_id("c", ResourceType::K8sObject, "1234")
        );
    }

    #[test]
    fn envelope_serialises_type_field_and_omits_origin() {
        let cluster = ClusterInfo {
            id: "c".into(),
            name: "c".into(),
            ..Default::default()
        };
        let r = Resource::k8s_object(
            json!({"kind": "Namespace", "metadata": {"name": "a"}}),
            cluster,
        );
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["type"], "k8s_object");
        assert!(v.get("origin").is_none());
    }
}
