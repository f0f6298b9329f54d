//! The object store: a small multi-version store in etcd's image. One resource-version counter
//! for the whole server; every write creates a new version of an object and an event; a list
//! reads a consistent snapshot at one resource version, so a paged list sees the objects as
//! they were when its first page was read; compaction forgets old versions and events, after
//! which lists and watches from before it answer 410 Expired.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::Arc;

use serde_json::Value;

/// An object's place within its resource type: (namespace, name); namespace `""` for
/// cluster-scoped objects. Ordered the way etcd orders keys: by namespace, then name.
pub(crate) type ObjectKey = (String, String);

/// What happened to an object, as a watch reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EventType {
    Added,
    Modified,
    Deleted,
}

/// One change, kept for watches until compaction.
#[derive(Clone, Debug)]
pub(crate) struct Event {
    pub(crate) rv: u64,
    pub(crate) resource: usize,
    pub(crate) kind: EventType,
    /// The object after the change; for a deletion, its last state at the deletion's
    /// resource version.
    pub(crate) object: Arc<Value>,
    /// The object before the change (none for a creation), so that a filtered watch can tell
    /// an object entering or leaving its selection.
    pub(crate) previous: Option<Arc<Value>>,
}

#[derive(Clone, Debug)]
struct Version {
    rv: u64,
    /// `None` marks a deletion.
    object: Option<Arc<Value>>,
}

/// Why a read at an older resource version cannot be served.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Compacted {
    /// The oldest resource version still served.
    pub(crate) oldest: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Store {
    rv: u64,
    /// Reads at a resource version below this one are gone.
    compacted: u64,
    collections: HashMap<usize, BTreeMap<ObjectKey, Vec<Version>>>,
    /// Every change after `compacted`, in resource-version order.
    events: Vec<Event>,
}

impl Store {
    /// The latest resource version.
    pub(crate) fn current(&self) -> u64 {
        self.rv
    }

    /// Loads an object before the server starts, without an event; keeps a numeric
    /// `metadata.resourceVersion` it already has, assigns the next one otherwise.
    pub(crate) fn load(&mut self, resource: usize, mut object: Value) {
        let given = object["metadata"]["resourceVersion"]
            .as_str()
            .and_then(|rv| rv.parse::<u64>().ok())
            .filter(|rv| *rv > 0);
        let rv = match given {
            Some(rv) => rv,
            None => self.rv + 1,
        };
        self.rv = self.rv.max(rv);
        object["metadata"]["resourceVersion"] = Value::String(rv.to_string());
        let key = key_of(&object);
        let versions = self
            .collections
            .entry(resource)
            .or_default()
            .entry(key)
            .or_default();
        versions.push(Version {
            rv,
            object: Some(Arc::new(object)),
        });
        versions.sort_by_key(|v| v.rv);
    }

    /// Ends loading: history starts here, as a freshly started API server's watch cache does.
    pub(crate) fn finish_loading(&mut self) {
        self.compact();
    }

    /// The current state of one object.
    pub(crate) fn get(&self, resource: usize, key: &ObjectKey) -> Option<Arc<Value>> {
        self.collections
            .get(&resource)?
            .get(key)?
            .last()?
            .object
            .clone()
    }

    /// The objects of one resource type (within one namespace when given) as they were at
    /// resource version `at`, in key order, starting after `after`.
    pub(crate) fn snapshot<'a>(
        &'a self,
        resource: usize,
        namespace: Option<&'a str>,
        at: u64,
        after: Option<&ObjectKey>,
    ) -> impl Iterator<Item = &'a Arc<Value>> + 'a {
        let start = match (after, namespace) {
            (Some(key), _) => Bound::Excluded(key.clone()),
            (None, Some(ns)) => Bound::Included((ns.to_string(), String::new())),
            (None, None) => Bound::Unbounded,
        };
        self.collections
            .get(&resource)
            .into_iter()
            .flat_map(move |objects| objects.range((start.clone(), Bound::Unbounded)))
            .take_while(move |((ns, _), _)| namespace.is_none_or(|wanted| wanted == ns))
            .filter_map(move |(_, versions)| {
                versions
                    .iter()
                    .rev()
                    .find(|v| v.rv <= at)
                    .and_then(|v| v.object.as_ref())
            })
    }

    /// Stores a new version of an object (created or replaced) at the next resource version.
    pub(crate) fn put(&mut self, resource: usize, mut object: Value) -> Event {
        self.rv += 1;
        let rv = self.rv;
        object["metadata"]["resourceVersion"] = Value::String(rv.to_string());
        let key = key_of(&object);
        let versions = self
            .collections
            .entry(resource)
            .or_default()
            .entry(key)
            .or_default();
        let previous = versions.last().and_then(|v| v.object.clone());
        let kind = match previous {
            Some(_) => EventType::Modified,
            None => EventType::Added,
        };
        let object = Arc::new(object);
        versions.push(Version {
            rv,
            object: Some(object.clone()),
        });
        self.record(resource, kind, object, previous)
    }

    /// Deletes an object at the next resource version; its last state, at that version.
    pub(crate) fn delete(&mut self, resource: usize, key: &ObjectKey) -> Option<Event> {
        let last = self.get(resource, key)?;
        self.rv += 1;
        let rv = self.rv;
        let mut gone = (*last).clone();
        gone["metadata"]["resourceVersion"] = Value::String(rv.to_string());
        self.collections
            .get_mut(&resource)?
            .get_mut(key)?
            .push(Version { rv, object: None });
        Some(self.record(resource, EventType::Deleted, Arc::new(gone), Some(last)))
    }

    fn record(
        &mut self,
        resource: usize,
        kind: EventType,
        object: Arc<Value>,
        previous: Option<Arc<Value>>,
    ) -> Event {
        let event = Event {
            rv: self.rv,
            resource,
            kind,
            object,
            previous,
        };
        self.events.push(event.clone());
        event
    }

    /// The events after resource version `since`, or the oldest version still served when
    /// `since` is older than the history.
    pub(crate) fn events_since(&self, since: u64) -> Result<&[Event], Compacted> {
        if since < self.compacted {
            return Err(Compacted {
                oldest: self.compacted,
            });
        }
        let first = self.events.partition_point(|e| e.rv <= since);
        Ok(&self.events[first..])
    }

    /// Whether a read at `rv` is still possible.
    pub(crate) fn check_readable(&self, rv: u64) -> Result<(), Compacted> {
        if rv < self.compacted {
            Err(Compacted {
                oldest: self.compacted,
            })
        } else {
            Ok(())
        }
    }

    /// Forgets every version and event older than the current resource version, as etcd's
    /// compaction does.
    pub(crate) fn compact(&mut self) {
        self.compacted = self.rv;
        self.events.clear();
        for objects in self.collections.values_mut() {
            objects.retain(|_, versions| {
                let latest = versions.pop();
                versions.clear();
                match latest {
                    Some(v) if v.object.is_some() => {
                        versions.push(v);
                        true
                    }
                    _ => false,
                }
            });
        }
    }
}

/// (namespace, name) of a prepared object.
pub(crate) fn key_of(object: &Value) -> ObjectKey {
    let meta = &object["metadata"];
    (
        meta["namespace"].as_str().unwrap_or_default().to_string(),
        meta["name"].as_str().unwrap_or_default().to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(ns: &str, name: &str, image: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"namespace": ns, "name": name}, "spec": {"image": image}})
    }

    fn names<'a>(items: impl Iterator<Item = &'a Arc<Value>>) -> Vec<String> {
        items
            .map(|o| o["metadata"]["name"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn snapshot_shows_objects_as_they_were_at_that_version() {
        let mut store = Store::default();
        store.load(0, pod("a", "one", "v1"));
        store.load(0, pod("b", "two", "v1"));
        store.finish_loading();
        let before = store.current();
        store.put(0, pod("a", "one", "v2"));
        store.put(0, pod("a", "zero", "v1"));
        store.delete(0, &("b".into(), "two".into()));
        let then: Vec<_> = store.snapshot(0, None, before, None).collect();
        assert_eq!(names(then.iter().copied()), ["one", "two"]);
        assert_eq!(then[0]["spec"]["image"], "v1");
        let now: Vec<_> = store.snapshot(0, None, store.current(), None).collect();
        assert_eq!(names(now.iter().copied()), ["one", "zero"]);
        assert_eq!(now[0]["spec"]["image"], "v2");
        assert_eq!(names(store.snapshot(0, Some("b"), before, None)), ["two"]);
        let after = ("a".to_string(), "one".to_string());
        assert_eq!(
            names(store.snapshot(0, None, before, Some(&after))),
            ["two"]
        );
    }

    #[test]
    fn compaction_expires_older_reads_and_events() {
        let mut store = Store::default();
        store.load(0, pod("a", "one", "v1"));
        store.finish_loading();
        let start = store.current();
        store.put(0, pod("a", "one", "v2"));
        assert_eq!(store.events_since(start).unwrap().len(), 1);
        store.compact();
        assert_eq!(
            store.events_since(start).unwrap_err(),
            Compacted { oldest: start + 1 }
        );
        assert!(store.check_readable(start).is_err());
        assert!(store.events_since(store.current()).unwrap().is_empty());
    }

    #[test]
    fn deletion_event_carries_the_deletion_resource_version() {
        let mut store = Store::default();
        store.put(0, pod("a", "one", "v1"));
        let event = store.delete(0, &("a".into(), "one".into())).unwrap();
        assert_eq!(event.kind, EventType::Deleted);
        assert_eq!(event.object["metadata"]["resourceVersion"], "2");
        assert!(store.get(0, &("a".into(), "one".into())).is_none());
    }
}
