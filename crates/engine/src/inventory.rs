//! The per-scan inventory handed to rules as `data.inventory` (see rules/README.md).
//! Built once per scan from the already-converted inputs, so objects are shared, not copied.

use std::collections::{BTreeMap, HashMap};

use kspm_model::{Gap, Outcome, Resource, ResourceType};
use rayon::prelude::*;
use regorus::Value;

type Obj = BTreeMap<Value, Value>;

fn s(v: &str) -> Value {
    Value::from(v)
}

/// Kinds that carry a pod spec, in the order `workloads` lists them (the library's
/// `kspm.lib.pods` kinds).
const WORKLOAD_KINDS: [&str; 8] = [
    "Pod",
    "CronJob",
    "Deployment",
    "DaemonSet",
    "StatefulSet",
    "ReplicaSet",
    "Job",
    "ReplicationController",
];

/// Builds `{"inventory": {...}}` from the resources, their engine values, whether each is
/// owned by a controller in the same scan, and the replica group of each (pods of one
/// template: one workload entry stands for all of them, listing their objects).
pub fn build(
    resources: &[Resource],
    inputs: &[Value],
    owned: &[bool],
    replica_group: &[Option<usize>],
    gaps: &[Gap],
) -> Value {
    let mut objects: BTreeMap<String, BTreeMap<String, Obj>> = BTreeMap::new();
    let mut bindings: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut by_subject: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut namespaces = Vec::new();
    let mut processes: BTreeMap<String, Obj> = BTreeMap::new();
    // (namespace, kind order, name) → workload entry and the objects it stands for.
    let mut workloads: BTreeMap<(String, usize, String), (Value, Vec<Value>)> = BTreeMap::new();
    // Replica group → the key of its entry.
    let mut group_entries: HashMap<usize, (String, usize, String)> = HashMap::new();
    // The workload entries, made on every core: one per workload not owned by a scanned
    // controller, one per replica group (for its first pod).
    let mut first_of_group: HashMap<usize, usize> = HashMap::new();
    for (i, g) in replica_group.iter().enumerate() {
        if let Some(g) = g {
            first_of_group.entry(*g).or_insert(i);
        }
    }
    let mut entries: Vec<Option<Value>> = resources
        .par_iter()
        .zip(inputs)
        .enumerate()
        .map(|(i, (r, input))| {
            let representative = match replica_group.get(i).copied().flatten() {
                Some(g) => first_of_group.get(&g) == Some(&i),
                None => true,
            };
            (r.kind == ResourceType::K8sObject
                && !owned[i]
                && representative
                && WORKLOAD_KINDS.contains(&r.sub_type.as_str()))
            .then(|| workload(&r.sub_type, &input["resource"]))
        })
        .collect();
    for (i, ((r, input), &owned)) in resources.iter().zip(inputs).zip(owned).enumerate() {
        if r.kind == ResourceType::Process {
            // Node-local cross-resource rules (etcd's CA vs the API server's) look here.
            let node = r.context.node.as_ref().map_or("", |n| n.name.as_str());
            processes
                .entry(node.to_owned())
                .or_default()
                .insert(s(&r.sub_type), input["resource"].clone());
            continue;
        }
        if r.kind != ResourceType::K8sObject || r.sub_type == "Cluster" {
            continue;
        }
        let object = input["resource"].clone();
        let ns = r.namespace().unwrap_or("").to_owned();
        let name = r.short_name().to_owned();
        if r.sub_type == "Namespace" {
            namespaces.push(name.clone());
        }
        if let Some(order) = WORKLOAD_KINDS.iter().position(|k| *k == r.sub_type)
            && !owned
        {
            let key = (ns.clone(), order, name.clone());
            let entry = match replica_group.get(i).copied().flatten() {
                Some(g) => group_entries.entry(g).or_insert(key),
                None => &key,
            };
            match workloads.get_mut(entry) {
                Some((_, objects)) => objects.push(object.clone()),
                None => {
                    let made = entries[i].take();
                    let made = made.unwrap_or_else(|| workload(&r.sub_type, &object));
                    workloads.insert(entry.clone(), (made, vec![object.clone()]));
                }
            }
        }
        if matches!(r.sub_type.as_str(), "RoleBinding" | "ClusterRoleBinding") {
            let role_kind = r
                .resource
                .pointer("/roleRef/kind")
                .and_then(|v| v.as_str())
                .unwrap_or("");
            let role_name = r
                .resource
                .pointer("/roleRef/name")
                .and_then(|v| v.as_str())
                .unwrap_or("");
            let key = match role_kind {
                "ClusterRole" => Some(format!("ClusterRole:{role_name}")),
                "Role" if r.sub_type == "RoleBinding" => Some(format!("Role:{ns}:{role_name}")),
                _ => None,
            };
            if let Some(key) = key {
                bindings.entry(key).or_default().push(object.clone());
            }
            for key in subject_keys(&r.resource, &ns) {
                by_subject.entry(key).or_default().push(object.clone());
            }
        }
        objects
            .entry(r.sub_type.clone())
            .or_default()
            .entry(ns)
            .or_default()
            .insert(s(&name), object);
    }
    namespaces.sort();
    namespaces.dedup();
    let objects: Obj = objects
        .into_iter()
        .map(|(kind, by_ns)| {
            let by_ns: Obj = by_ns
                .into_iter()
                .map(|(ns, names)| (s(&ns), Value::from(names)))
                .collect();
            (s(&kind), Value::from(by_ns))
        })
        .collect();
    let bindings: Obj = bindings
        .into_iter()
        .map(|(k, v)| (s(&k), Value::from(v)))
        .collect();
    let mut inventory = Obj::new();
    inventory.insert(s("objects"), Value::from(objects));
    inventory.insert(s("bindings_by_role"), Value::from(bindings));
    let by_subject: Obj = by_subject
        .into_iter()
        .map(|(k, v)| (s(&k), Value::from(v)))
        .collect();
    inventory.insert(s("bindings_by_subject"), Value::from(by_subject));
    inventory.insert(
        s("namespaces"),
        Value::from(namespaces.iter().map(|n| s(n)).collect::<Vec<_>>()),
    );
    let processes: Obj = processes
        .into_iter()
        .map(|(node, by_component)| (s(&node), Value::from(by_component)))
        .collect();
    inventory.insert(s("processes"), Value::from(processes));
    let mut by_namespace: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for ((ns, _, _), (mut entry, objects)) in workloads {
        if let Ok(fields) = entry.as_object_mut() {
            fields.insert(s("objects"), Value::from(objects));
        }
        by_namespace.entry(ns).or_default().push(entry);
    }
    let workloads: Obj = by_namespace
        .into_iter()
        .map(|(ns, list)| (s(&ns), Value::from(list)))
        .collect();
    inventory.insert(s("workloads"), Value::from(workloads));
    // Kubernetes kinds a source could not read, as "Kind: reason", for rules that read every
    // kind (`reads: ["*"]`) and must not pass on what they could not see.
    let unreadable: std::collections::BTreeSet<Value> = gaps
        .iter()
        .filter(|g| g.kind == ResourceType::K8sObject && g.outcome == Outcome::Error)
        .map(|g| s(&format!("{}: {}", g.sub_type, g.reason)))
        .collect();
    inventory.insert(
        s("unreadable"),
        Value::from(unreadable.into_iter().collect::<Vec<_>>()),
    );
    let mut data = Obj::new();
    data.insert(s("inventory"), Value::from(inventory));
    Value::from(data)
}

/// A workload entry: the object, its pod spec (`{}` when it has none), the pod's security
/// context (`pod_sc`, `{}` when absent), whether it is a Windows pod, and the spec's containers
/// as `{"name", "type", "container"}` (init, regular, then ephemeral; entries that are not
/// objects are left out; the shape of `kspm.lib.pods.containers`) with their security context
/// (`sc`, `{}` when absent) and capabilities (`add`, `drop`: sets of names).
fn workload(kind: &str, object: &Value) -> Value {
    let path: &[&str] = match kind {
        "Pod" => &["spec"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        _ => &["spec", "template", "spec"],
    };
    let mut spec = object;
    for key in path {
        spec = &spec[*key];
    }
    let spec = match spec {
        Value::Object(_) => spec.clone(),
        _ => Value::new_object(),
    };
    let mut containers = Vec::new();
    for list in ["initContainers", "containers", "ephemeralContainers"] {
        if let Value::Array(items) = &spec[list] {
            for item in items.iter().filter(|c| matches!(c, Value::Object(_))) {
                let name = match &item["name"] {
                    Value::Undefined => s(""),
                    n => n.clone(),
                };
                let sc = match &item["securityContext"] {
                    sc @ Value::Object(_) => sc.clone(),
                    _ => Value::new_object(),
                };
                let mut c = Obj::new();
                c.insert(s("name"), name);
                c.insert(s("type"), s(list));
                c.insert(s("container"), item.clone());
                c.insert(s("drop"), capabilities(&sc, "drop"));
                c.insert(s("add"), capabilities(&sc, "add"));
                c.insert(s("sc"), sc);
                containers.push(Value::from(c));
            }
        }
    }
    let pod_sc = match &spec["securityContext"] {
        sc @ Value::Object(_) => sc.clone(),
        _ => Value::new_object(),
    };
    let windows = spec["os"]["name"] == s("windows");
    let mut entry = Obj::new();
    entry.insert(s("object"), object.clone());
    entry.insert(s("spec"), spec);
    entry.insert(s("containers"), Value::from(containers));
    entry.insert(s("pod_sc"), pod_sc);
    entry.insert(s("windows"), Value::from(windows));
    Value::from(entry)
}

/// The capabilities a security context adds or drops (`which`: "add" or "drop") as a set of
/// names, upper-cased and without a `CAP_` prefix (what `kspm.lib.namespaces.capabilities`
/// computes); entries that are not strings are left out.
fn capabilities(sc: &Value, which: &str) -> Value {
    let mut names = std::collections::BTreeSet::new();
    if let Value::Array(items) = &sc["capabilities"][which] {
        for item in items.iter() {
            if let Value::String(name) = item {
                let upper = name.to_uppercase();
                let name = upper.strip_prefix("CAP_").unwrap_or(&upper);
                names.insert(s(name));
            }
        }
    }
    Value::from(names)
}

/// Index keys for the subjects of a binding: `ServiceAccount:<ns>:<name>` (a service account
/// named as a User `system:serviceaccount:<ns>:<name>` too), `User:<name>`, `Group:<name>`.
fn subject_keys(binding: &serde_json::Value, binding_ns: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for subject in binding
        .get("subjects")
        .and_then(|s| s.as_array())
        .into_iter()
        .flatten()
    {
        let field = |k: &str| subject.get(k).and_then(|v| v.as_str()).unwrap_or("");
        let name = field("name");
        match field("kind") {
            "ServiceAccount" => {
                let ns = Some(field("namespace"))
                    .filter(|n| !n.is_empty())
                    .unwrap_or(binding_ns);
                keys.push(format!("ServiceAccount:{ns}:{name}"));
            }
            "User" => {
                keys.push(format!("User:{name}"));
                if let Some(rest) = name.strip_prefix("system:serviceaccount:")
                    && let Some((ns, sa)) = rest.split_once(':')
                {
                    keys.push(format!("ServiceAccount:{ns}:{sa}"));
                }
            }
            "Group" => keys.push(format!("Group:{name}")),
            _ => {}
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::subject_keys;
    use serde_json::json;

    #[test]
    fn subjects_are_indexed_with_their_effective_namespace() {
        let binding = json!({"subjects": [
            {"kind": "ServiceAccount", "name": "default"},
            {"kind": "ServiceAccount", "name": "ci", "namespace": "tools"},
            {"kind": "User", "name": "system:serviceaccount:shop:web"},
            {"kind": "Group", "name": "devs"}]});
        assert_eq!(
            subject_keys(&binding, "shop"),
            [
                "Group:devs",
                "ServiceAccount:shop:default",
                "ServiceAccount:shop:web",
                "ServiceAccount:tools:ci",
                "User:system:serviceaccount:shop:web",
            ]
        );
    }
}
