//! Replicas are judged once. Pods created by the same controller from the same template
//! differ only in who they are (name, uid, node, status), not in what the rules judge. Such
//! pods are evaluated on an input without those fields, and pods whose inputs are then equal
//! share one evaluation: a Deployment with 50 replicas costs one pod's rules, a DaemonSet on
//! 500 nodes too. Every pod still gets its own findings, with its own identity.
//!
//! The contract this gives rules (rules/README.md): a rule evaluated on a Pod that has a
//! controlling owner does not see the pod's `metadata.name`, `metadata.uid`,
//! `metadata.resourceVersion`, `metadata.creationTimestamp`, `spec.nodeName`,
//! `spec.hostname`, `status`, nor the envelope's `id` and `name`.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use kspm_model::{Resource, ResourceType};
use rayon::prelude::*;
use regorus::Value;

/// Metadata fields that tell replicas apart.
const IDENTITY_METADATA: [&str; 4] = ["name", "uid", "resourceVersion", "creationTimestamp"];
/// Spec fields that tell replicas apart.
const IDENTITY_SPEC: [&str; 2] = ["nodeName", "hostname"];

/// Which resources share an evaluation.
pub(crate) struct Replicas {
    /// Per resource: the index of its group, for pods that may share.
    pub group: Vec<Option<usize>>,
    /// Number of groups.
    pub groups: usize,
    /// Resources that share their evaluation with an earlier one.
    pub shared: usize,
    /// The masked input of each grouped pod, until [`Replicas::mask_inputs`] puts it in place.
    masked: Vec<(usize, Value)>,
}

impl Replicas {
    /// No sharing: every resource is evaluated on its own.
    pub fn none(resources: usize) -> Replicas {
        Replicas {
            group: vec![None; resources],
            groups: 0,
            shared: 0,
            masked: Vec::new(),
        }
    }

    /// Replaces the inputs of the grouped pods with their input without identity, which is
    /// what their shared evaluation sees.
    pub fn mask_inputs(&mut self, inputs: &mut [Value]) {
        for (i, masked) in self.masked.drain(..) {
            inputs[i] = masked;
        }
    }
}

/// Groups the controller-owned pods of `resources` (not `owned` by a controller in the scan)
/// by their input without identity. The inputs are left as they are (the inventory is built
/// from them); [`Replicas::mask_inputs`] masks them for evaluation.
pub(crate) fn group(resources: &[Resource], inputs: &[Value], owned: &[bool]) -> Replicas {
    let mut group = vec![None; resources.len()];
    // The masked inputs and their hashes, made on every core.
    let candidates: Vec<(usize, Value, u64)> = resources
        .par_iter()
        .enumerate()
        .filter(|(i, r)| !owned[*i] && replica_pod(r))
        .map(|(i, _)| {
            let mut input = inputs[i].clone();
            mask(&mut input);
            let hash = hash_of(&input);
            (i, input, hash)
        })
        .collect();
    // Hash of the masked input → (index into `masked` of the representative, group id)s.
    let mut seen: HashMap<u64, Vec<(usize, usize)>> = HashMap::new();
    let mut masked: Vec<(usize, Value)> = Vec::with_capacity(candidates.len());
    let mut groups = 0;
    let mut shared = 0;
    for (i, input, hash) in candidates {
        let candidates = seen.entry(hash).or_default();
        let found = candidates
            .iter()
            .find(|(rep, _)| masked[*rep].1 == input)
            .map(|(_, g)| *g);
        match found {
            Some(g) => {
                group[i] = Some(g);
                shared += 1;
            }
            None => {
                candidates.push((masked.len(), groups));
                group[i] = Some(groups);
                groups += 1;
            }
        }
        masked.push((i, input));
    }
    Replicas {
        group,
        groups,
        shared,
        masked,
    }
}

/// A Pod with a controlling owner reference.
fn replica_pod(r: &Resource) -> bool {
    r.kind == ResourceType::K8sObject
        && r.sub_type == "Pod"
        && r.resource
            .pointer("/metadata/ownerReferences")
            .and_then(|v| v.as_array())
            .is_some_and(|refs| {
                refs.iter()
                    .any(|o| o.get("controller").and_then(|c| c.as_bool()) == Some(true))
            })
}

/// Removes what tells replicas apart from an input envelope (copy on write: values shared
/// with the inventory are left as they are).
fn mask(input: &mut Value) {
    let Ok(envelope) = input.as_object_mut() else {
        return;
    };
    envelope.insert(Value::from("id"), Value::from(""));
    envelope.insert(Value::from("name"), Value::from(""));
    let Some(object) = envelope.get_mut(&Value::from("resource")) else {
        return;
    };
    let Ok(object) = object.as_object_mut() else {
        return;
    };
    object.remove(&Value::from("status"));
    if let Some(Ok(meta)) = object
        .get_mut(&Value::from("metadata"))
        .map(|m| m.as_object_mut())
    {
        for key in IDENTITY_METADATA {
            meta.remove(&Value::from(key));
        }
    }
    if let Some(Ok(spec)) = object
        .get_mut(&Value::from("spec"))
        .map(|s| s.as_object_mut())
    {
        for key in IDENTITY_SPEC {
            spec.remove(&Value::from(key));
        }
    }
}

/// A hash of a value's canonical JSON (objects are ordered maps, so equal values give equal
/// text).
fn hash_of(value: &Value) -> u64 {
    let mut hasher = DefaultHasher::new();
    match value.to_json_str() {
        Ok(text) => text.hash(&mut hasher),
        Err(_) => 0u8.hash(&mut hasher),
    }
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kspm_model::ClusterInfo;
    use serde_json::json;

    fn pod(name: &str, node: &str, image: &str, owner: bool) -> (Resource, Value) {
        let mut object = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "shop", "uid": format!("uid-{name}")},
            "spec": {"nodeName": node, "containers": [{"name": "app", "image": image}]},
            "status": {"phase": "Running", "podIP": format!("10.0.0.{}", name.len())}});
        if owner {
            object["metadata"]["ownerReferences"] =
                json!([{"kind": "ReplicaSet", "name": "web-1", "uid": "rs", "controller": true}]);
        }
        let r = Resource::k8s_object(object.clone(), ClusterInfo::default());
        let input = Value::from(json!({"type": "k8s_object", "sub_type": "Pod", "id": r.id,
            "name": r.name, "resource": object}));
        (r, input)
    }

    #[test]
    fn replicas_of_one_template_share_and_differences_in_spec_or_owner_do_not() {
        let (a, ia) = pod("web-1-aaaaa", "node-1", "nginx:1", true);
        let (b, ib) = pod("web-1-bbbbb", "node-2", "nginx:1", true);
        let (c, ic) = pod("web-1-ccccc", "node-1", "nginx:2", true);
        let (d, id) = pod("standalone", "node-1", "nginx:1", false);
        let resources = [a, b, c, d];
        let mut inputs = [ia, ib, ic, id];
        let mut replicas = group(&resources, &inputs, &[false; 4]);
        // The inputs keep their identity until they are masked for evaluation.
        assert_eq!(inputs[0]["name"], Value::from(resources[0].name.as_str()));
        replicas.mask_inputs(&mut inputs);
        assert_eq!(replicas.group, [Some(0), Some(0), Some(1), None]);
        assert_eq!((replicas.groups, replicas.shared), (2, 1));
        // The masked input keeps what rules judge and drops who the pod is.
        assert_eq!(inputs[0]["name"], Value::from(""));
        assert_eq!(inputs[0]["resource"]["metadata"]["name"], Value::Undefined);
        assert_eq!(inputs[0]["resource"]["spec"]["nodeName"], Value::Undefined);
        assert_eq!(inputs[0]["resource"]["status"], Value::Undefined);
        assert_eq!(
            inputs[0]["resource"]["metadata"]["namespace"],
            Value::from("shop")
        );
        assert_eq!(
            inputs[0]["resource"]["spec"]["containers"][0]["image"],
            Value::from("nginx:1")
        );
        // A pod without a controller keeps its identity.
        assert_eq!(
            inputs[3]["resource"]["metadata"]["name"],
            Value::from("standalone")
        );
    }

    #[test]
    fn masking_leaves_values_shared_with_the_inventory_untouched() {
        let (a, ia) = pod("web-1-aaaaa", "node-1", "nginx:1", true);
        let kept = ia["resource"].clone();
        let mut inputs = [ia];
        group(std::slice::from_ref(&a), &inputs, &[false]).mask_inputs(&mut inputs);
        assert_eq!(kept["metadata"]["name"], Value::from("web-1-aaaaa"));
        assert_eq!(kept["spec"]["nodeName"], Value::from("node-1"));
    }
}
