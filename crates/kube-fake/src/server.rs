//! The server's handle: a builder to set it up, and the running server with what tests do to
//! it while it runs (change objects, compact, add faults, read the request log).

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::Path;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::oneshot;

use crate::catalog::{Catalog, ResourceType};
use crate::fault::{Fault, Faults};
use crate::requests::RecordedRequest;
use crate::state::{self, Cluster, Config, Shared};
use crate::store::Store;
use crate::{Error, Result, handler, kubeconfig, tls};

/// The bearer token the server accepts unless [`FakeApiServerBuilder::token`] sets another.
pub const DEFAULT_TOKEN: &str = "kspm-kube-fake-token";

/// The user RBAC denials name unless [`FakeApiServerBuilder::user`] sets another.
pub const DEFAULT_USER: &str = "system:serviceaccount:kspm:kspm-agent";

/// Sets up a [`FakeApiServer`].
#[derive(Debug, Clone)]
pub struct FakeApiServerBuilder {
    version: String,
    objects: Vec<Value>,
    resources: Vec<ResourceType>,
    faults: Vec<Fault>,
    page_limit_max: Option<usize>,
    token: String,
    user: String,
    aggregated_discovery: bool,
    bookmark_interval: Duration,
    tls: bool,
}

impl Default for FakeApiServerBuilder {
    fn default() -> Self {
        FakeApiServerBuilder {
            version: "v1.34.2".to_string(),
            objects: Vec::new(),
            resources: Vec::new(),
            faults: Vec::new(),
            page_limit_max: None,
            token: DEFAULT_TOKEN.to_string(),
            user: DEFAULT_USER.to_string(),
            aggregated_discovery: true,
            bookmark_interval: Duration::from_secs(60),
            tls: true,
        }
    }
}

impl FakeApiServerBuilder {
    /// The `gitVersion` of `GET /version` (default `v1.34.2`); `major` and `minor` follow
    /// from it (an EKS-style `v1.31.4-eks-2d5f260` gives minor `31+`).
    pub fn version(mut self, version: &str) -> Self {
        self.version = version.to_string();
        self
    }

    /// Adds objects: full objects with `apiVersion`, `kind` and `metadata.name`. A `kind: List`
    /// (as `kubectl get -o json` writes) is unwrapped. The server fills `uid`,
    /// `creationTimestamp` and `resourceVersion` when missing (a numeric resourceVersion is
    /// kept), puts namespaced objects without a namespace in `default`, and serves any
    /// group/version/kind it has not heard of as a custom resource — namespaced when the
    /// first object of that kind names a namespace, with the plural derived from the kind
    /// (declare it with [`FakeApiServerBuilder::resource`] to choose otherwise).
    pub fn objects(mut self, objects: impl IntoIterator<Item = Value>) -> Self {
        for object in objects {
            if object["kind"] == "List" {
                if let Some(items) = object["items"].as_array() {
                    self.objects.extend(items.iter().cloned());
                }
            } else {
                self.objects.push(object);
            }
        }
        self
    }

    /// Declares a resource type explicitly — a custom resource with no objects yet, or one
    /// whose plural, scope or short names differ from what the server would derive.
    pub fn resource(mut self, resource: ResourceType) -> Self {
        self.resources.push(resource);
        self
    }

    /// Caps `limit` on lists: a client asking for more items per page gets this many.
    pub fn page_limit_max(mut self, max: usize) -> Self {
        self.page_limit_max = Some(max.max(1));
        self
    }

    /// Injects a fault (see [`Fault`]); faults can also be added while the server runs.
    pub fn fault(mut self, fault: Fault) -> Self {
        self.faults.push(fault);
        self
    }

    /// The bearer token the server accepts (default [`DEFAULT_TOKEN`]).
    pub fn token(mut self, token: &str) -> Self {
        self.token = token.to_string();
        self
    }

    /// The user name 403 answers name (default [`DEFAULT_USER`]).
    pub fn user(mut self, user: &str) -> Self {
        self.user = user.to_string();
        self
    }

    /// Whether `/api` and `/apis` answer aggregated discovery to clients that ask for it
    /// (default true, as Kubernetes ≥ 1.30). False behaves like a server before aggregated
    /// discovery: clients fall back to the per-group documents.
    pub fn aggregated_discovery(mut self, enabled: bool) -> Self {
        self.aggregated_discovery = enabled;
        self
    }

    /// How often a watch that allows bookmarks gets one (default one minute, as the API
    /// server's watch cache).
    pub fn bookmark_interval(mut self, interval: Duration) -> Self {
        self.bookmark_interval = interval;
        self
    }

    /// Serves plain HTTP instead of HTTPS. Note that kubectl (client-go) never sends a
    /// bearer token over plain HTTP, so against such a server it is always 401; kube-rs and
    /// plain HTTP clients do send it.
    pub fn plain_http(mut self) -> Self {
        self.tls = false;
        self
    }

    /// Loads the objects and starts serving HTTPS on `127.0.0.1` at a free port, on a thread
    /// of its own with its own Tokio runtime, so it serves synchronous and asynchronous tests
    /// alike.
    pub fn start(self) -> Result<FakeApiServer> {
        let mut catalog = Catalog::built_in();
        for resource in self.resources {
            catalog.declare(resource);
        }
        let mut store = Store::default();
        for (i, mut object) in self.objects.into_iter().enumerate() {
            let resource = catalog.type_of_object(&object)?;
            let rt = catalog.get(resource).clone();
            state::set_scope(&rt, &mut object)?;
            state::fill_new(&rt, &mut object, i as u64);
            store.load(resource, object);
        }
        store.finish_loading();
        let mut faults = Faults::default();
        for fault in self.faults {
            faults.add(fault);
        }

        let tls = if self.tls {
            Some(tls::generate().map_err(Error::Start)?)
        } else {
            None
        };
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(Error::Start)?;
        listener.set_nonblocking(true).map_err(Error::Start)?;
        let address = listener.local_addr().map_err(Error::Start)?;
        let config = Config {
            version: self.version,
            token: self.token,
            user: self.user,
            page_limit_max: self.page_limit_max,
            aggregated_discovery: self.aggregated_discovery,
            bookmark_interval: self.bookmark_interval,
            address,
        };
        let shared = Arc::new(Shared::new(config, Cluster { catalog, store }, faults));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Error::Start)?;
        let (stop, stopped) = oneshot::channel::<()>();
        let router = handler::router(shared.clone());
        let ca_pem = tls.as_ref().map(|t| t.ca_pem.clone());
        let acceptor = tls.map(|t| t.acceptor);
        let thread = std::thread::Builder::new()
            .name(format!("kube-fake-{}", address.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    match acceptor {
                        Some(acceptor) => {
                            let listener = tls::TlsListener::new(listener, acceptor);
                            tokio::select! {
                                _ = axum::serve(listener, router) => {}
                                _ = stopped => {}
                            }
                        }
                        None => {
                            tokio::select! {
                                _ = axum::serve(listener, router) => {}
                                _ = stopped => {}
                            }
                        }
                    }
                });
                // Dropping the runtime here ends the connections still open (watches).
            })
            .map_err(Error::Start)?;
        Ok(FakeApiServer {
            shared,
            address,
            ca_pem,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

/// A running loopback Kubernetes API server; it stops when dropped. See the crate
/// documentation for what it serves.
#[derive(Debug)]
pub struct FakeApiServer {
    shared: Arc<Shared>,
    address: SocketAddr,
    ca_pem: Option<String>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FakeApiServer {
    /// A builder with the defaults: HTTPS, version `v1.34.2`, no objects, no faults, token
    /// [`DEFAULT_TOKEN`], aggregated discovery on.
    pub fn builder() -> FakeApiServerBuilder {
        FakeApiServerBuilder::default()
    }

    /// `https://127.0.0.1:PORT` (`http://` with [`FakeApiServerBuilder::plain_http`]).
    pub fn url(&self) -> String {
        let scheme = if self.ca_pem.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.address)
    }

    /// The PEM certificate of the CA that signed the server's certificate (valid for
    /// `127.0.0.1` and `localhost`); `None` for a plain-HTTP server.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The bearer token the server accepts.
    pub fn token(&self) -> &str {
        &self.shared.config.token
    }

    /// A kubeconfig for the server: one cluster (with the CA as
    /// `certificate-authority-data`), user (token auth) and context, all named `context`,
    /// which is also the current context; default namespace `default`.
    pub fn kubeconfig(&self, context: &str) -> String {
        kubeconfig::render(&self.url(), self.ca_pem(), self.token(), context)
    }

    /// Writes [`FakeApiServer::kubeconfig`] to `path`.
    pub fn write_kubeconfig(&self, path: impl AsRef<Path>, context: &str) -> std::io::Result<()> {
        std::fs::write(path, self.kubeconfig(context))
    }

    /// Every request answered so far, in the order the answers started.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests().clone()
    }

    /// Forgets the requests answered so far.
    pub fn clear_requests(&self) {
        self.shared.requests().clear();
    }

    /// Creates or replaces an object as if another client had written it: the resource
    /// version moves on and watches see `ADDED` or `MODIFIED`. Returns the stored object.
    pub fn apply(&self, object: Value) -> Result<Value> {
        let event = self.shared.cluster().apply(object)?;
        self.shared.notify(&event);
        Ok(state::to_value(&event.object))
    }

    /// Deletes an object named by kind (`Pod`, or `Deployment.apps` when a kind exists in two
    /// groups), namespace (ignored for cluster-scoped kinds) and name; watches see `DELETED`.
    /// Returns the object's last state, or `None` when there was no such object.
    pub fn delete(&self, kind: &str, namespace: &str, name: &str) -> Result<Option<Value>> {
        let event = {
            let mut cluster = self.shared.cluster();
            let (resource, key) = cluster.locate(kind, namespace, name)?;
            cluster.store.delete(resource, &key)
        };
        Ok(event.map(|event| {
            self.shared.notify(&event);
            state::to_value(&event.object)
        }))
    }

    /// The current state of an object named as for [`FakeApiServer::delete`].
    pub fn get(&self, kind: &str, namespace: &str, name: &str) -> Result<Option<Value>> {
        let cluster = self.shared.cluster();
        let (resource, key) = cluster.locate(kind, namespace, name)?;
        Ok(cluster
            .store
            .get(resource, &key)
            .map(|o| state::to_value(&o)))
    }

    /// The latest resource version.
    pub fn resource_version(&self) -> u64 {
        self.shared.cluster().store.current()
    }

    /// Compacts the history as etcd does: lists at, continue tokens from and watches from any
    /// earlier resource version answer 410 Expired from now on.
    pub fn compact(&self) {
        self.shared.cluster().store.compact();
    }

    /// Adds a fault while the server runs.
    pub fn add_fault(&self, fault: Fault) {
        self.shared.faults().add(fault);
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.shared.faults().clear();
    }
}

impl Drop for FakeApiServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
