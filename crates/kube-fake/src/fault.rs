//! Failures to inject, each answered the way the real API server (or the network under it)
//! fails.

use std::time::Duration;

use crate::catalog::ResourceType;

/// A failure the server injects. `resource` names a resource type by its plural (`pods`) or
/// qualified plural (`deployments.apps`); a fault applies in every namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// RBAC denies `verb` (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, or
    /// `*` for all) on the resource: 403 `Forbidden` Status worded as the authorizer words it
    /// (`… is forbidden: User "…" cannot list resource "clusterroles" in API group
    /// "rbac.authorization.k8s.io" at the cluster scope`). A list with `watch=true` is the
    /// `watch` verb, as for the real authorizer.
    Forbidden {
        /// Resource type.
        resource: String,
        /// Denied verb, or `*`.
        verb: String,
    },
    /// The group version (`policy/v1`, or `v1` for core) is not installed: absent from all
    /// discovery documents, and every path under it answers Go's plain-text
    /// `404 page not found` (no `Status`), as the real server does for a group it does not have.
    NotServed {
        /// `group/version`.
        group_version: String,
    },
    /// API priority and fairness rejects the first `times` requests for the resource: 429
    /// with `Retry-After: retry_after_secs` and the plain-text body `Too many requests, please
    /// try again later.` — the real throttling answer is not a `Status`.
    TooManyRequests {
        /// Resource type.
        resource: String,
        /// How many requests are rejected before the resource answers again.
        times: u32,
        /// `Retry-After` in seconds.
        retry_after_secs: u32,
    },
    /// The API server's watch cache for the resource is not ready yet (just after a restart):
    /// the first `times` reads (get, list, watch) answer 429 with a `TooManyRequests` Status
    /// (`storage is (re)initializing`, `details.retryAfterSeconds`) and `Retry-After`. Writes,
    /// which go to etcd directly, are not affected.
    StorageInitializing {
        /// Resource type.
        resource: String,
        /// How many reads are rejected.
        times: u32,
        /// `Retry-After` in seconds.
        retry_after_secs: u32,
    },
    /// The first `times` requests for the resource fail with 500 `InternalError`
    /// (`Internal error occurred: etcdserver: leader changed`, the cause in `details.causes`).
    ServerError {
        /// Resource type.
        resource: String,
        /// How many requests fail.
        times: u32,
    },
    /// Every request for the resource waits `delay` before it is answered (for a watch, before
    /// the stream starts).
    Slow {
        /// Resource type.
        resource: String,
        /// Added latency.
        delay: Duration,
    },
    /// etcd compacts while a paged list of the resource is read: the continue token handed
    /// out with page `after_pages` (1 = the first page) answers 410 `Expired` with the API
    /// server's message and, in the Status's `metadata.continue`, a token that continues the
    /// list at the latest resource version (an inconsistent list), as the real server offers.
    /// That token, and tokens following from it, are served.
    ExpireContinue {
        /// Resource type.
        resource: String,
        /// Pages read before the compaction.
        after_pages: u32,
    },
    /// The named object is served (in lists, gets and watch events) with a field of the wrong
    /// type, as a buggy admission webhook or a conversion can leave it: `spec.replicas:
    /// "three"` for Deployments, StatefulSets and ReplicaSets; for every other kind, the
    /// object's first top-level field besides `apiVersion`, `kind` and `metadata` (`spec`,
    /// `data`, `rules`, …, `spec` when it has none) becomes the string `"three"`.
    Malformed {
        /// Resource type.
        resource: String,
        /// Object name (in any namespace).
        name: String,
    },
    /// Every list of the resource is cut mid-JSON: the status line and headers of a 200 and
    /// about half of the body arrive, then the connection closes without the final chunk, as
    /// when the API server or a proxy in front of it dies mid-response.
    TruncatedPage {
        /// Resource type.
        resource: String,
    },
}

impl Fault {
    fn resource(&self) -> Option<&str> {
        match self {
            Fault::Forbidden { resource, .. }
            | Fault::TooManyRequests { resource, .. }
            | Fault::StorageInitializing { resource, .. }
            | Fault::ServerError { resource, .. }
            | Fault::Slow { resource, .. }
            | Fault::ExpireContinue { resource, .. }
            | Fault::Malformed { resource, .. }
            | Fault::TruncatedPage { resource } => Some(resource),
            Fault::NotServed { .. } => None,
        }
    }
}

/// The faults in force, with how often the counted ones have fired.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    entries: Vec<(Fault, u32)>,
}

impl Faults {
    pub(crate) fn add(&mut self, fault: Fault) {
        self.entries.push((fault, 0));
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }

    fn for_resource<'a>(&'a self, rt: &'a ResourceType) -> impl Iterator<Item = &'a Fault> + 'a {
        self.entries
            .iter()
            .map(|(f, _)| f)
            .filter(|f| f.resource().is_some_and(|r| rt.is_named(r)))
    }

    /// Whether `group`/`version` is served.
    pub(crate) fn serves(&self, group: &str, version: &str) -> bool {
        !self.entries.iter().any(|(f, _)| match f {
            Fault::NotServed { group_version } => match group_version.split_once('/') {
                Some((g, v)) => g == group && v == version,
                None => group.is_empty() && group_version == version,
            },
            _ => false,
        })
    }

    /// The latency to add to a request for the resource.
    pub(crate) fn delay(&self, rt: &ResourceType) -> Option<Duration> {
        self.for_resource(rt)
            .filter_map(|f| match f {
                Fault::Slow { delay, .. } => Some(*delay),
                _ => None,
            })
            .max()
    }

    /// Whether RBAC denies `verb` on the resource.
    pub(crate) fn forbids(&self, rt: &ResourceType, verb: &str) -> bool {
        self.for_resource(rt).any(|f| match f {
            Fault::Forbidden { verb: denied, .. } => denied == "*" || denied == verb,
            _ => false,
        })
    }

    /// Counts one throttled request when a `TooManyRequests` fault still has one to reject;
    /// its `Retry-After`.
    pub(crate) fn take_throttle(&mut self, rt: &ResourceType) -> Option<u32> {
        self.take(rt, |f| match f {
            Fault::TooManyRequests {
                times,
                retry_after_secs,
                ..
            } => Some((*times, *retry_after_secs)),
            _ => None,
        })
    }

    /// Counts one rejected read when a `StorageInitializing` fault still has one to reject;
    /// its `Retry-After`.
    pub(crate) fn take_storage_initializing(&mut self, rt: &ResourceType) -> Option<u32> {
        self.take(rt, |f| match f {
            Fault::StorageInitializing {
                times,
                retry_after_secs,
                ..
            } => Some((*times, *retry_after_secs)),
            _ => None,
        })
    }

    /// Counts one failed request when a `ServerError` fault still has one to fail.
    pub(crate) fn take_server_error(&mut self, rt: &ResourceType) -> bool {
        self.take(rt, |f| match f {
            Fault::ServerError { times, .. } => Some((*times, 0)),
            _ => None,
        })
        .is_some()
    }

    fn take(
        &mut self,
        rt: &ResourceType,
        pick: impl Fn(&Fault) -> Option<(u32, u32)>,
    ) -> Option<u32> {
        for (fault, used) in &mut self.entries {
            if !fault.resource().is_some_and(|r| rt.is_named(r)) {
                continue;
            }
            if let Some((times, value)) = pick(fault)
                && *used < times
            {
                *used += 1;
                return Some(value);
            }
        }
        None
    }

    /// After how many pages a paged list of the resource expires.
    pub(crate) fn expire_after(&self, rt: &ResourceType) -> Option<u32> {
        self.for_resource(rt)
            .filter_map(|f| match f {
                Fault::ExpireContinue { after_pages, .. } => Some(*after_pages),
                _ => None,
            })
            .min()
    }

    /// The names of the resource's objects served malformed.
    pub(crate) fn malformed(&self, rt: &ResourceType) -> Vec<String> {
        self.for_resource(rt)
            .filter_map(|f| match f {
                Fault::Malformed { name, .. } => Some(name.clone()),
                _ => None,
            })
            .collect()
    }

    /// Whether lists of the resource are cut short.
    pub(crate) fn truncates(&self, rt: &ResourceType) -> bool {
        self.for_resource(rt)
            .any(|f| matches!(f, Fault::TruncatedPage { .. }))
    }
}

/// Damages an object the way [`Fault::Malformed`] describes.
pub(crate) fn malform(object: &mut serde_json::Value) {
    let wrong = serde_json::Value::String("three".into());
    let kind = object["kind"].as_str().unwrap_or_default();
    if matches!(kind, "Deployment" | "StatefulSet" | "ReplicaSet") && object["spec"].is_object() {
        object["spec"]["replicas"] = wrong;
        return;
    }
    let Some(map) = object.as_object_mut() else {
        return;
    };
    let field = if map.contains_key("spec") {
        Some("spec".to_string())
    } else {
        map.keys()
            .find(|k| !matches!(k.as_str(), "apiVersion" | "kind" | "metadata"))
            .cloned()
    };
    map.insert(field.unwrap_or_else(|| "spec".into()), wrong);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use serde_json::json;

    fn pods() -> ResourceType {
        let catalog = Catalog::built_in();
        let index = catalog.find("", "v1", "pods").unwrap();
        catalog.get(index).clone()
    }

    #[test]
    fn counted_faults_stop_after_their_count() {
        let mut faults = Faults::default();
        faults.add(Fault::TooManyRequests {
            resource: "pods".into(),
            times: 2,
            retry_after_secs: 3,
        });
        let rt = pods();
        assert_eq!(faults.take_throttle(&rt), Some(3));
        assert_eq!(faults.take_throttle(&rt), Some(3));
        assert_eq!(faults.take_throttle(&rt), None);
    }

    #[test]
    fn not_served_core_is_named_by_its_version() {
        let mut faults = Faults::default();
        faults.add(Fault::NotServed {
            group_version: "policy/v1".into(),
        });
        assert!(!faults.serves("policy", "v1"));
        assert!(faults.serves("", "v1"));
        assert!(faults.serves("policy", "v1beta1"));
    }

    #[test]
    fn malformed_objects_keep_their_metadata() {
        let mut deployment =
            json!({"kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 3}});
        malform(&mut deployment);
        assert_eq!(deployment["spec"]["replicas"], "three");
        let mut role = json!({"kind": "ClusterRole", "metadata": {"name": "r"}, "rules": []});
        malform(&mut role);
        assert_eq!(role["rules"], "three");
        assert_eq!(role["metadata"]["name"], "r");
    }
}
