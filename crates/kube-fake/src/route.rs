//! The API server's URL layout.

/// What a path addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    /// `/version`
    Version,
    /// `/healthz`, `/livez`, `/readyz`
    Health,
    /// `/api`
    CoreVersions,
    /// `/apis`
    Groups,
    /// `/apis/{group}`
    Group(String),
    /// `/api/v1`, `/apis/{group}/{version}`
    ResourceList(String, String),
    /// Anything under a group version: a collection or an object, maybe a subresource.
    Resource(ResourcePath),
    /// Nothing the server knows.
    Unknown,
}

/// A path under `/api/v1` or `/apis/{group}/{version}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ResourcePath {
    pub(crate) group: String,
    pub(crate) version: String,
    pub(crate) plural: String,
    pub(crate) namespace: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) subresource: Option<String>,
}

pub(crate) fn parse(path: &str) -> Route {
    let trimmed = path.trim_end_matches('/');
    let segments: Vec<&str> = trimmed.split('/').skip(1).collect();
    match segments.as_slice() {
        ["version"] => Route::Version,
        ["healthz"] | ["livez"] | ["readyz"] => Route::Health,
        ["api"] => Route::CoreVersions,
        ["apis"] => Route::Groups,
        ["apis", group] => Route::Group(group.to_string()),
        ["api", version, rest @ ..] => under(String::new(), version, rest),
        ["apis", group, version, rest @ ..] => under(group.to_string(), version, rest),
        _ => Route::Unknown,
    }
}

fn under(group: String, version: &str, rest: &[&str]) -> Route {
    let version = version.to_string();
    let path = |plural: &str, namespace: Option<&str>, name: Option<&str>, sub: Option<&str>| {
        Route::Resource(ResourcePath {
            group: group.clone(),
            version: version.clone(),
            plural: plural.to_string(),
            namespace: namespace.map(str::to_string),
            name: name.map(str::to_string),
            subresource: sub.map(str::to_string),
        })
    };
    match rest {
        [] => Route::ResourceList(group.clone(), version.clone()),
        [plural] => path(plural, None, None, None),
        ["namespaces", namespace, plural] => path(plural, Some(namespace), None, None),
        ["namespaces", namespace, plural, name] => path(plural, Some(namespace), Some(name), None),
        ["namespaces", namespace, plural, name, sub] => {
            path(plural, Some(namespace), Some(name), Some(sub))
        }
        [plural, name] => path(plural, None, Some(name), None),
        [plural, name, sub] => path(plural, None, Some(name), Some(sub)),
        _ => Route::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(path: &str) -> ResourcePath {
        match parse(path) {
            Route::Resource(r) => r,
            other => panic!("{path}: {other:?}"),
        }
    }

    #[test]
    fn namespaces_are_objects_and_scopes() {
        let ns = resource("/api/v1/namespaces/kube-system");
        assert_eq!(
            (ns.plural.as_str(), ns.namespace, ns.name.as_deref()),
            ("namespaces", None, Some("kube-system"))
        );
        let pods = resource("/api/v1/namespaces/kube-system/pods");
        assert_eq!(
            (pods.plural.as_str(), pods.namespace.as_deref(), pods.name),
            ("pods", Some("kube-system"), None)
        );
        let lease = resource("/apis/coordination.k8s.io/v1/namespaces/kspm/leases/leader");
        assert_eq!(lease.group, "coordination.k8s.io");
        assert_eq!(lease.name.as_deref(), Some("leader"));
        let all = resource("/apis/apps/v1/deployments");
        assert_eq!((all.namespace, all.name), (None, None));
        assert_eq!(
            parse("/apis/apps/v1/"),
            Route::ResourceList("apps".into(), "v1".into())
        );
        assert_eq!(parse("/api"), Route::CoreVersions);
        assert_eq!(parse("/openapi/v2"), Route::Unknown);
    }
}
