//! The per-scan inventory handed to rules as `data.inventory` (see rules/README.md).
//! Built once per scan from the already-converted inputs, so objects are shared, not copied.

use std::collections::BTreeMap;

use kspm_model::{Resource, ResourceType};
use regorus::Value;

type Obj = BTreeMap<Value, Value>;

fn s(v: &str) -> Value {
    Value::from(v)
}

/// Builds `{"inventory": {...}}` from the resources and their engine values.
pub fn build(resources: &[Resource], inputs: &[Value]) -> Value {
    let mut objects: BTreeMap<String, BTreeMap<String, Obj>> = BTreeMap::new();
    let mut bindings: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut namespaces = Vec::new();
    for (r, input) in resources.iter().zip(inputs) {
        if r.kind != ResourceType::K8sObject || r.sub_type == "Cluster" {
            continue;
        }
        let object = input["resource"].clone();
        let ns = r.namespace().unwrap_or("").to_owned();
        let name = r.short_name().to_owned();
        if r.sub_type == "Namespace" {
            namespaces.push(name.clone());
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
    inventory.insert(
        s("namespaces"),
        Value::from(namespaces.iter().map(|n| s(n)).collect::<Vec<_>>()),
    );
    let mut data = Obj::new();
    data.insert(s("inventory"), Value::from(inventory));
    Value::from(data)
}
