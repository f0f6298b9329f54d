//! Discovery documents: the per-group (legacy) documents every client understands —
//! `APIVersions` at `/api`, `APIGroupList` at `/apis`, `APIGroup` at `/apis/{group}`,
//! `APIResourceList` at `/api/v1` and `/apis/{group}/{version}` — and aggregated discovery
//! (`apidiscovery.k8s.io` `APIGroupDiscoveryList`, v2 and v2beta1) at `/api` and `/apis`.

use serde_json::{Value, json};

use crate::catalog::{Catalog, ResourceType};

/// `GET /api`: the core group's versions.
pub(crate) fn api_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]
    })
}

fn group_version_entry(group: &str, version: &str) -> Value {
    json!({"groupVersion": format!("{group}/{version}"), "version": version})
}

fn api_group(group: &str, versions: &[String]) -> Value {
    json!({
        "name": group,
        "versions": versions.iter().map(|v| group_version_entry(group, v)).collect::<Vec<_>>(),
        "preferredVersion": group_version_entry(group, &versions[0]),
    })
}

/// `GET /apis`: every served group other than core.
pub(crate) fn api_group_list(catalog: &Catalog, served: impl Fn(&str, &str) -> bool) -> Value {
    let groups: Vec<Value> = catalog
        .groups(served)
        .iter()
        .map(|(group, versions)| api_group(group, versions))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `GET /apis/{group}`, when the group has a served version.
pub(crate) fn api_group_document(
    catalog: &Catalog,
    group: &str,
    served: impl Fn(&str, &str) -> bool,
) -> Option<Value> {
    let groups = catalog.groups(served);
    let (_, versions) = groups.iter().find(|(g, _)| g == group)?;
    let mut document = api_group(group, versions);
    document["kind"] = json!("APIGroup");
    document["apiVersion"] = json!("v1");
    Some(document)
}

fn resources_of<'a>(
    catalog: &'a Catalog,
    group: &'a str,
    version: &'a str,
) -> impl Iterator<Item = &'a ResourceType> + 'a {
    catalog
        .types()
        .map(|(_, t)| t)
        .filter(move |t| t.group == group && t.version == version)
}

/// `GET /api/v1`, `GET /apis/{group}/{version}`. The core document has no `apiVersion`, as
/// the real one.
pub(crate) fn resource_list(catalog: &Catalog, group: &str, version: &str) -> Value {
    let resources: Vec<Value> = resources_of(catalog, group, version)
        .map(|t| {
            let mut resource = json!({
                "name": t.plural,
                "singularName": t.singular,
                "namespaced": t.namespaced,
                "kind": t.kind,
                "verbs": t.verbs,
            });
            if !t.short_names.is_empty() {
                resource["shortNames"] = json!(t.short_names);
            }
            if !t.categories.is_empty() {
                resource["categories"] = json!(t.categories);
            }
            resource
        })
        .collect();
    if group.is_empty() {
        json!({"kind": "APIResourceList", "groupVersion": version, "resources": resources})
    } else {
        json!({
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": format!("{group}/{version}"),
            "resources": resources,
        })
    }
}

fn aggregated_group(catalog: &Catalog, group: &str, versions: &[String]) -> Value {
    let versions: Vec<Value> = versions
        .iter()
        .map(|version| {
            let resources: Vec<Value> = resources_of(catalog, group, version)
                .map(|t| {
                    let mut resource = json!({
                        "resource": t.plural,
                        // The real server leaves group and version empty when they are the
                        // group version being described.
                        "responseKind": {"group": "", "version": "", "kind": t.kind},
                        "scope": if t.namespaced { "Namespaced" } else { "Cluster" },
                        "singularResource": t.singular,
                        "verbs": t.verbs,
                    });
                    if !t.short_names.is_empty() {
                        resource["shortNames"] = json!(t.short_names);
                    }
                    if !t.categories.is_empty() {
                        resource["categories"] = json!(t.categories);
                    }
                    resource
                })
                .collect();
            json!({"version": version, "resources": resources, "freshness": "Current"})
        })
        .collect();
    let mut metadata = json!({"creationTimestamp": null});
    if !group.is_empty() {
        metadata["name"] = json!(group);
    }
    json!({"metadata": metadata, "versions": versions})
}

/// Aggregated discovery: for `/api` (`core`) the core group alone, for `/apis` every other
/// served group, in the requested `apidiscovery.k8s.io` version.
pub(crate) fn aggregated(
    catalog: &Catalog,
    core: bool,
    discovery_version: &str,
    served: impl Fn(&str, &str) -> bool,
) -> Value {
    let items: Vec<Value> = if core {
        if served("", "v1") {
            vec![aggregated_group(catalog, "", &["v1".to_string()])]
        } else {
            Vec::new()
        }
    } else {
        catalog
            .groups(served)
            .iter()
            .map(|(group, versions)| aggregated_group(catalog, group, versions))
            .collect()
    };
    json!({
        "kind": "APIGroupDiscoveryList",
        "apiVersion": format!("apidiscovery.k8s.io/{discovery_version}"),
        "metadata": {},
        "items": items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unserved_groups_leave_every_document() {
        let catalog = Catalog::built_in();
        let served = |g: &str, _: &str| g != "policy";
        let list = api_group_list(&catalog, served);
        let names: Vec<&str> = list["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"apps") && !names.contains(&"policy"));
        assert!(api_group_document(&catalog, "policy", served).is_none());
        let aggregated = aggregated(&catalog, false, "v2", served);
        assert!(
            aggregated["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|g| g["metadata"]["name"] != "policy")
        );
    }

    #[test]
    fn core_resource_list_describes_pods_like_the_real_server() {
        let list = resource_list(&Catalog::built_in(), "", "v1");
        assert!(list.get("apiVersion").is_none());
        let pods = list["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "pods")
            .unwrap();
        assert_eq!(pods["singularName"], "pod");
        assert_eq!(pods["namespaced"], true);
        assert_eq!(pods["kind"], "Pod");
        assert_eq!(pods["shortNames"], json!(["po"]));
        assert_eq!(pods["categories"], json!(["all"]));
    }
}
