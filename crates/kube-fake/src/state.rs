//! What the server's handlers share: configuration, the cluster (catalog and store), the
//! faults in force, the request log, and the channel that wakes watches.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use jiff::Timestamp;
use serde_json::{Map, Value};
use tokio::sync::watch;

use crate::catalog::{Catalog, ResourceType, brief};
use crate::fault::Faults;
use crate::requests::RecordedRequest;
use crate::store::{Event, ObjectKey, Store};
use crate::{Error, Result};

/// Settings fixed when the server starts.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) version: String,
    pub(crate) token: String,
    pub(crate) user: String,
    pub(crate) page_limit_max: Option<usize>,
    pub(crate) aggregated_discovery: bool,
    pub(crate) bookmark_interval: Duration,
    pub(crate) address: SocketAddr,
}

/// The API's contents: which kinds exist and the objects.
#[derive(Debug)]
pub(crate) struct Cluster {
    pub(crate) catalog: Catalog,
    pub(crate) store: Store,
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: Config,
    cluster: Mutex<Cluster>,
    faults: Mutex<Faults>,
    requests: Mutex<Vec<RecordedRequest>>,
    /// The latest resource version; watches wake when it changes.
    changes: watch::Sender<u64>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking test thread must not take the server down with it.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    pub(crate) fn new(config: Config, cluster: Cluster, faults: Faults) -> Self {
        let (changes, _) = watch::channel(cluster.store.current());
        Shared {
            config,
            cluster: Mutex::new(cluster),
            faults: Mutex::new(faults),
            requests: Mutex::new(Vec::new()),
            changes,
        }
    }

    pub(crate) fn cluster(&self) -> MutexGuard<'_, Cluster> {
        lock(&self.cluster)
    }

    pub(crate) fn faults(&self) -> MutexGuard<'_, Faults> {
        lock(&self.faults)
    }

    pub(crate) fn requests(&self) -> MutexGuard<'_, Vec<RecordedRequest>> {
        lock(&self.requests)
    }

    /// A receiver that wakes when the store changes.
    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Wakes the watches after a write.
    pub(crate) fn notify(&self, event: &Event) {
        self.changes.send_replace(event.rv);
    }

    /// Whether `group`/`version` is served (not hidden by a `NotServed` fault).
    pub(crate) fn serves(&self, group: &str, version: &str) -> bool {
        self.faults().serves(group, version)
    }
}

impl Cluster {
    /// Creates or replaces an object from a test: the type comes from its `apiVersion` and
    /// `kind` (registered when new); what the API server sets on create is filled in.
    pub(crate) fn apply(&mut self, mut object: Value) -> Result<Event> {
        let resource = self.catalog.type_of_object(&object)?;
        let rt = self.catalog.get(resource).clone();
        set_scope(&rt, &mut object)?;
        let key = crate::store::key_of(&object);
        match self.store.get(resource, &key) {
            Some(existing) => keep_server_fields(&existing, &mut object),
            None => fill_new(&rt, &mut object, self.store.current() + 1),
        }
        Ok(self.store.put(resource, object))
    }

    /// The type a test names by kind and the object key it names.
    pub(crate) fn locate(
        &self,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Result<(usize, ObjectKey)> {
        let resource = self.catalog.type_of_kind(kind)?;
        let namespace = if self.catalog.get(resource).namespaced {
            namespace
        } else {
            ""
        };
        Ok((resource, (namespace.to_string(), name.to_string())))
    }
}

/// Checks the object has a name and places it in the type's scope: a namespaced object
/// without a namespace goes to `default` (as `kubectl apply` would put it), a cluster-scoped
/// one loses any namespace it names (as the API server drops it).
pub(crate) fn set_scope(rt: &ResourceType, object: &mut Value) -> Result<()> {
    let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) else {
        return Err(Error::InvalidObject(format!(
            "an object needs metadata: {}",
            brief(object)
        )));
    };
    if metadata
        .get("name")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(Error::InvalidObject(format!(
            "an object needs metadata.name: {}",
            brief(object)
        )));
    }
    if rt.namespaced {
        if metadata
            .get("namespace")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            metadata.insert("namespace".into(), Value::String("default".into()));
        }
    } else {
        metadata.remove("namespace");
    }
    Ok(())
}

/// Fills the fields the API server sets on create when the object does not carry them: a
/// `uid` (a UUID derived from the object's identity and `salt`, so fixtures are
/// reproducible) and `creationTimestamp`.
pub(crate) fn fill_new(rt: &ResourceType, object: &mut Value, salt: u64) {
    let (namespace, name) = crate::store::key_of(object);
    let metadata = metadata_mut(object);
    if metadata
        .get("uid")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        let identity = format!("{}/{namespace}/{name}/{salt}", rt.qualified());
        let uid = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, identity.as_bytes());
        metadata.insert("uid".into(), Value::String(uid.to_string()));
    }
    if !metadata.contains_key("creationTimestamp") {
        metadata.insert("creationTimestamp".into(), Value::String(now()));
    }
}

/// On a replace, the fields a client cannot change: `uid` and `creationTimestamp`.
pub(crate) fn keep_server_fields(existing: &Value, object: &mut Value) {
    let metadata = metadata_mut(object);
    for field in ["uid", "creationTimestamp"] {
        if let Some(value) = existing["metadata"].get(field) {
            metadata.insert(field.into(), value.clone());
        }
    }
}

fn metadata_mut(object: &mut Value) -> &mut Map<String, Value> {
    if !object["metadata"].is_object() {
        object["metadata"] = Value::Object(Map::new());
    }
    match object.get_mut("metadata") {
        Some(Value::Object(map)) => map,
        _ => unreachable!("metadata was just made an object"),
    }
}

/// The current time as the API server writes timestamps (RFC 3339, whole seconds, UTC).
pub(crate) fn now() -> String {
    Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Shares a test's view of an object.
pub(crate) fn to_value(object: &Arc<Value>) -> Value {
    (**object).clone()
}
