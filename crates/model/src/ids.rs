use uuid::Uuid;

use crate::ResourceType;

/// The UUIDv5 namespace every kspm id is derived from (a fixed random UUID, never change it).
pub const KSPM_NAMESPACE: Uuid = Uuid::from_u128(0x6b73_706d_8f1e_4c4b_9a57_2f0e_51c3_d0a1);

/// Deterministic id of a cluster known only by name (offline scans).
///
/// Live clusters use the UID of their `kube-system` namespace instead.
pub fn cluster_id_from_name(name: &str) -> String {
    Uuid::new_v5(&KSPM_NAMESPACE, format!("cluster\0{name}").as_bytes()).to_string()
}

/// Deterministic `resource.id`: UUIDv5 of (cluster id, resource type, stable key).
///
/// The stable key is the object UID for Kubernetes objects (or `kind/namespace/name` when the
/// object has no UID, as in manifests), `node\0path` for files, `node\0component` for processes
/// and the ARN for cloud resources.
pub fn resource_id(cluster_id: &str, kind: ResourceType, stable_key: &str) -> String {
    let name = format!("{cluster_id}\0{}\0{stable_key}", kind.as_str());
    Uuid::new_v5(&KSPM_NAMESPACE, name.as_bytes()).to_string()
}

/// Deterministic id of one finding slot: (cluster, resource, rule). Used as document id by
/// sinks so that re-sending the same cycle overwrites instead of duplicating.
pub fn finding_id(cluster_id: &str, resource_id: &str, rule_id: &str) -> String {
    let name = format!("{cluster_id}\0{resource_id}\0{rule_id}");
    Uuid::new_v5(&KSPM_NAMESPACE, name.as_bytes()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_ids_are_stable_and_distinguish_every_component() {
        let a = resource_id("c1", ResourceType::K8sObject, "uid-1");
        assert_eq!(a, resource_id("c1", ResourceType::K8sObject, "uid-1"));
        assert_ne!(a, resource_id("c2", ResourceType::K8sObject, "uid-1"));
        assert_ne!(a, resource_id("c1", ResourceType::File, "uid-1"));
        assert_ne!(a, resource_id("c1", ResourceType::K8sObject, "uid-2"));
        // The separator keeps ("a","bc") and ("ab","c") apart.
        assert_ne!(
            resource_id("a", ResourceType::File, "bc"),
            resource_id("ab", ResourceType::File, "c")
        );
        assert_eq!(Uuid::parse_str(&a).unwrap().get_version_num(), 5);
    }

    #[test]
    fn cluster_id_from_name_is_deterministic() {
        assert_eq!(cluster_id_from_name("prod"), cluster_id_from_name("prod"));
        assert_ne!(cluster_id_from_name("prod"), cluster_id_from_name("dev"));
    }
}
