//! The kinds the server serves: the built-in ones kspm's rules read, plus any kind found among
//! the objects given to the server (a CRD-like kind such as `cilium.io/v2`
//! `CiliumNetworkPolicy`) or declared with [`crate::FakeApiServerBuilder::resource`].

use std::cmp::Ordering;

use serde_json::Value;

use crate::{Error, Result};

/// Verbs every served resource type supports, as discovery lists them.
const ALL_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// One resource type: where it lives in the API and how discovery describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceType {
    /// API group, `""` for the core group.
    pub group: String,
    /// Version within the group (`v1`, `v2`, `v1beta1`).
    pub version: String,
    /// Resource name in URLs, lower-case plural (`networkpolicies`).
    pub plural: String,
    /// Lower-case singular name (`networkpolicy`).
    pub singular: String,
    /// Kind of the objects (`NetworkPolicy`).
    pub kind: String,
    /// Whether objects live in a namespace.
    pub namespaced: bool,
    /// Short names kubectl accepts (`netpol`).
    pub short_names: Vec<String>,
    /// Categories (`all`).
    pub categories: Vec<String>,
    /// Verbs listed by discovery.
    pub verbs: Vec<String>,
    /// Built into Kubernetes (list items then omit `kind`/`apiVersion`, as the real server's
    /// typed storage does) rather than served like a custom resource (items keep them).
    pub built_in: bool,
}

impl ResourceType {
    /// A custom (CRD-like) resource type; plural and singular names are derived from the kind
    /// the way `kubectl` and CRD authors usually spell them (`CiliumNetworkPolicy` →
    /// `ciliumnetworkpolicies`).
    pub fn custom(api_version: &str, kind: &str, namespaced: bool) -> Self {
        let (group, version) = split_api_version(api_version);
        let singular = kind.to_ascii_lowercase();
        ResourceType {
            group: group.to_string(),
            version: version.to_string(),
            plural: pluralize(&singular),
            singular,
            kind: kind.to_string(),
            namespaced,
            short_names: Vec::new(),
            categories: Vec::new(),
            verbs: ALL_VERBS.iter().map(|v| v.to_string()).collect(),
            built_in: false,
        }
    }

    /// Replaces the derived plural name.
    pub fn with_plural(mut self, plural: &str) -> Self {
        self.plural = plural.to_string();
        self
    }

    /// Adds short names.
    pub fn with_short_names(mut self, names: &[&str]) -> Self {
        self.short_names = names.iter().map(|n| n.to_string()).collect();
        self
    }

    /// `v1` for the core group, `group/version` otherwise.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The resource as the API server names it in messages: `pods`, `deployments.apps`.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// The kind qualified by its group, as validation messages name it: `Lease.coordination.k8s.io`.
    pub(crate) fn qualified_kind(&self) -> String {
        if self.group.is_empty() {
            self.kind.clone()
        } else {
            format!("{}.{}", self.kind, self.group)
        }
    }

    /// Whether a fault's `resource` names this type: `pods`, or qualified `deployments.apps`.
    pub(crate) fn is_named(&self, resource: &str) -> bool {
        resource == self.plural || resource == self.qualified()
    }
}

/// `apps/v1` → (`apps`, `v1`); `v1` → (``, `v1`).
pub(crate) fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.split_once('/') {
        Some((group, version)) => (group, version),
        None => ("", api_version),
    }
}

fn pluralize(singular: &str) -> String {
    if let Some(stem) = singular.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'i', 'o', 'u'])
    {
        return format!("{stem}ies");
    }
    if singular.ends_with('s')
        || singular.ends_with('x')
        || singular.ends_with("ch")
        || singular.ends_with("sh")
    {
        return format!("{singular}es");
    }
    format!("{singular}s")
}

/// (group, version, plural, kind, namespaced, short names, in the `all` category)
type BuiltIn = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static [&'static str],
    bool,
);

/// The built-in kinds kspm's rules read, in the order the real server lists its groups.
#[rustfmt::skip]
const BUILT_IN: &[BuiltIn] = &[
    ("", "v1", "configmaps", "ConfigMap", true, &["cm"], false),
    ("", "v1", "namespaces", "Namespace", false, &["ns"], false),
    ("", "v1", "nodes", "Node", false, &["no"], false),
    ("", "v1", "pods", "Pod", true, &["po"], true),
    ("", "v1", "secrets", "Secret", true, &[], false),
    ("", "v1", "serviceaccounts", "ServiceAccount", true, &["sa"], false),
    ("", "v1", "services", "Service", true, &["svc"], true),
    ("apps", "v1", "daemonsets", "DaemonSet", true, &["ds"], true),
    ("apps", "v1", "deployments", "Deployment", true, &["deploy"], true),
    ("apps", "v1", "replicasets", "ReplicaSet", true, &["rs"], true),
    ("apps", "v1", "statefulsets", "StatefulSet", true, &["sts"], true),
    ("batch", "v1", "cronjobs", "CronJob", true, &["cj"], true),
    ("batch", "v1", "jobs", "Job", true, &[], true),
    ("certificates.k8s.io", "v1", "certificatesigningrequests", "CertificateSigningRequest", false, &["csr"], false),
    ("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true, &["netpol"], false),
    ("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, &["pdb"], false),
    ("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false, &[], false),
    ("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false, &[], false),
    ("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true, &[], false),
    ("rbac.authorization.k8s.io", "v1", "roles", "Role", true, &[], false),
    ("storage.k8s.io", "v1", "csidrivers", "CSIDriver", false, &[], false),
    ("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", false, &[], false),
    ("admissionregistration.k8s.io", "v1", "validatingadmissionpolicies", "ValidatingAdmissionPolicy", false, &[], false),
    ("admissionregistration.k8s.io", "v1", "validatingadmissionpolicybindings", "ValidatingAdmissionPolicyBinding", false, &[], false),
    ("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", false, &[], false),
    ("coordination.k8s.io", "v1", "leases", "Lease", true, &[], false),
];

/// Every resource type the server knows, built-in first. Indexes into it are stable: types
/// are only ever appended.
#[derive(Clone, Debug)]
pub(crate) struct Catalog {
    types: Vec<ResourceType>,
}

impl Catalog {
    pub(crate) fn built_in() -> Self {
        let types = BUILT_IN
            .iter()
            .map(|&(group, version, plural, kind, namespaced, short, all)| {
                let verbs = ALL_VERBS
                    .iter()
                    // The real server cannot delete every namespace at once.
                    .filter(|v| plural != "namespaces" || **v != "deletecollection")
                    .map(|v| v.to_string())
                    .collect();
                let categories = if all {
                    vec!["all".to_string()]
                } else if group == "admissionregistration.k8s.io" {
                    vec!["api-extensions".to_string()]
                } else {
                    Vec::new()
                };
                ResourceType {
                    group: group.to_string(),
                    version: version.to_string(),
                    plural: plural.to_string(),
                    singular: kind.to_ascii_lowercase(),
                    kind: kind.to_string(),
                    namespaced,
                    short_names: short.iter().map(|s| s.to_string()).collect(),
                    categories,
                    verbs,
                    built_in: true,
                }
            })
            .collect();
        Catalog { types }
    }

    pub(crate) fn get(&self, index: usize) -> &ResourceType {
        &self.types[index]
    }

    pub(crate) fn types(&self) -> impl Iterator<Item = (usize, &ResourceType)> {
        self.types.iter().enumerate()
    }

    /// Adds a declared type, replacing the derived one of the same group, version and kind.
    pub(crate) fn declare(&mut self, declared: ResourceType) -> usize {
        let existing = self.types.iter().position(|t| {
            t.group == declared.group && t.version == declared.version && t.kind == declared.kind
        });
        match existing {
            Some(index) => {
                self.types[index] = declared;
                index
            }
            None => {
                self.types.push(declared);
                self.types.len() - 1
            }
        }
    }

    /// The type at `/api[s]/{group}/{version}/{plural}`.
    pub(crate) fn find(&self, group: &str, version: &str, plural: &str) -> Option<usize> {
        self.types
            .iter()
            .position(|t| t.group == group && t.version == version && t.plural == plural)
    }

    /// Whether any type is served under `group`/`version`.
    pub(crate) fn has_group_version(&self, group: &str, version: &str) -> bool {
        self.types
            .iter()
            .any(|t| t.group == group && t.version == version)
    }

    /// The type of an object by its `apiVersion` and `kind`, registering a custom type when
    /// the server has not seen that kind before (scope taken from the object: namespaced when
    /// it names a namespace).
    pub(crate) fn type_of_object(&mut self, object: &Value) -> Result<usize> {
        let api_version = object["apiVersion"].as_str().unwrap_or_default();
        let kind = object["kind"].as_str().unwrap_or_default();
        if api_version.is_empty() || kind.is_empty() {
            return Err(Error::InvalidObject(format!(
                "an object needs apiVersion and kind: {}",
                brief(object)
            )));
        }
        let (group, version) = split_api_version(api_version);
        if let Some(index) = self
            .types
            .iter()
            .position(|t| t.group == group && t.version == version && t.kind == kind)
        {
            return Ok(index);
        }
        let namespaced = object["metadata"]["namespace"]
            .as_str()
            .is_some_and(|ns| !ns.is_empty());
        self.types
            .push(ResourceType::custom(api_version, kind, namespaced));
        Ok(self.types.len() - 1)
    }

    /// The type a test names by kind: `Pod`, or `Deployment.apps` when two groups share a kind.
    pub(crate) fn type_of_kind(&self, kind: &str) -> Result<usize> {
        let (kind, group) = match kind.split_once('.') {
            Some((kind, group)) => (kind, Some(group)),
            None => (kind, None),
        };
        let matches: Vec<usize> = self
            .types
            .iter()
            .enumerate()
            .filter(|(_, t)| t.kind == kind && group.is_none_or(|g| g == t.group))
            .map(|(i, _)| i)
            .collect();
        match matches.as_slice() {
            [] => Err(Error::UnknownKind(kind.to_string())),
            [one] => Ok(*one),
            _ => Err(Error::AmbiguousKind(kind.to_string())),
        }
    }

    /// The groups served under `/apis` (all but core), in the order discovery lists them:
    /// built-in groups first as the catalog orders them, custom groups after by name.
    /// Each group's versions come most preferred first.
    pub(crate) fn groups(&self, served: impl Fn(&str, &str) -> bool) -> Vec<(String, Vec<String>)> {
        let mut groups: Vec<(String, Vec<String>, bool)> = Vec::new();
        for t in &self.types {
            if t.group.is_empty() || !served(&t.group, &t.version) {
                continue;
            }
            match groups.iter_mut().find(|(g, _, _)| *g == t.group) {
                Some((_, versions, _)) => {
                    if !versions.contains(&t.version) {
                        versions.push(t.version.clone());
                    }
                }
                None => groups.push((t.group.clone(), vec![t.version.clone()], t.built_in)),
            }
        }
        // Stable: built-in groups keep their catalog order.
        groups.sort_by(|a, b| match (a.2, b.2) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => a.0.cmp(&b.0),
        });
        groups
            .into_iter()
            .map(|(group, mut versions, _)| {
                versions.sort_by(|a, b| compare_versions(b, a));
                (group, versions)
            })
            .collect()
    }
}

/// A short description of an object for error messages.
pub(crate) fn brief(object: &Value) -> String {
    let text = object.to_string();
    if text.len() > 120 {
        let mut end = 120;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &text[..end])
    } else {
        text
    }
}

/// Kubernetes version priority: GA before beta before alpha, higher numbers first within each
/// (`v2` > `v1` > `v1beta2` > `v1beta1` > `v1alpha1`); names that do not look like a Kubernetes
/// version sort last, alphabetically.
pub(crate) fn compare_versions(a: &str, b: &str) -> Ordering {
    fn parse(v: &str) -> Option<(u32, u8, u32)> {
        let rest = v.strip_prefix('v')?;
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let major = rest[..digits].parse().ok()?;
        let tail = &rest[digits..];
        if tail.is_empty() {
            return Some((major, 2, 0));
        }
        let (stage, number) = if let Some(n) = tail.strip_prefix("beta") {
            (1, n)
        } else if let Some(n) = tail.strip_prefix("alpha") {
            (0, n)
        } else {
            return None;
        };
        Some((major, stage, number.parse().ok()?))
    }
    match (parse(a), parse(b)) {
        (Some((ma, sa, na)), Some((mb, sb, nb))) => sa.cmp(&sb).then(ma.cmp(&mb)).then(na.cmp(&nb)),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => b.cmp(a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_kinds_get_the_plural_kubectl_expects() {
        assert_eq!(
            ResourceType::custom("cilium.io/v2", "CiliumNetworkPolicy", true).plural,
            "ciliumnetworkpolicies"
        );
        assert_eq!(
            ResourceType::custom("x.io/v1", "Gateway", true).plural,
            "gateways"
        );
        assert_eq!(
            ResourceType::custom("x.io/v1", "Ingress", true).plural,
            "ingresses"
        );
        assert_eq!(
            ResourceType::custom("x.io/v1", "Proxy", true).plural,
            "proxies"
        );
    }

    #[test]
    fn ga_versions_are_preferred_over_beta_and_alpha() {
        let mut versions = vec!["v1alpha1", "v1", "v2beta1", "v1beta1", "v2", "v1beta2"];
        versions.sort_by(|a, b| compare_versions(b, a));
        assert_eq!(
            versions,
            ["v2", "v1", "v2beta1", "v1beta2", "v1beta1", "v1alpha1"]
        );
    }

    #[test]
    fn kinds_shared_by_two_groups_must_be_qualified() {
        let mut catalog = Catalog::built_in();
        catalog.declare(ResourceType::custom("example.com/v1", "Pod", true));
        assert!(matches!(
            catalog.type_of_kind("Pod"),
            Err(Error::AmbiguousKind(_))
        ));
        let core = catalog.type_of_kind("Pod.").unwrap();
        assert_eq!(catalog.get(core).group, "");
        let custom = catalog.type_of_kind("Pod.example.com").unwrap();
        assert_eq!(catalog.get(custom).group, "example.com");
    }
}
