//! The server's handle: a builder to set it up, the running server, and what tests do to it
//! while it runs (faults, stop and start again on the same port, read what was indexed).

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use serde_json::Value;
use tokio::sync::oneshot;

use crate::auth::{Principal, Privileges};
use crate::fault::{Fault, Faults};
use crate::net::{PlainListener, TlsListener, generate_tls};
use crate::shared::{Config, RecordedRequest, Shared, lock};
use crate::state::Cluster;
use crate::{Error, Result, handler};

/// The password of the default `elastic` user.
pub const DEFAULT_PASSWORD: &str = "kspm-es-fake-password";
/// The default API key, in the encoded form clients send (`Authorization: ApiKey …`).
pub const DEFAULT_API_KEY: &str = "a3NwbS1rZXk6a3NwbS1lcy1mYWtlLXNlY3JldA==";

/// Sets up a [`FakeElasticsearch`].
#[derive(Debug, Clone)]
pub struct FakeElasticsearchBuilder {
    version: String,
    distribution: Option<String>,
    product_header: bool,
    principals: Vec<Principal>,
    tls: bool,
    faults: Vec<Fault>,
    store_sources: bool,
    max_content_length: Option<usize>,
}

impl Default for FakeElasticsearchBuilder {
    fn default() -> Self {
        FakeElasticsearchBuilder {
            version: "8.15.0".into(),
            distribution: None,
            product_header: true,
            principals: vec![
                Principal::basic("elastic", DEFAULT_PASSWORD, Privileges::all()),
                Principal::api_key("kspm-key", DEFAULT_API_KEY, Privileges::all()),
            ],
            tls: false,
            faults: Vec::new(),
            store_sources: true,
            max_content_length: None,
        }
    }
}

impl FakeElasticsearchBuilder {
    /// `version.number` of `GET /` (default `8.15.0`).
    pub fn version(mut self, version: &str) -> Self {
        self.version = version.into();
        self
    }

    /// Serves as OpenSearch: `version.distribution: opensearch` (version `2.11.0` unless set
    /// after), no `X-elastic-product` header, no `_security` API.
    pub fn opensearch(mut self) -> Self {
        self.distribution = Some("opensearch".into());
        self.version = "2.11.0".into();
        self.product_header = false;
        self
    }

    /// Answers without the `X-elastic-product: Elasticsearch` header and with another
    /// tagline: something that is not Elasticsearch behind the URL.
    pub fn not_elasticsearch(mut self) -> Self {
        self.product_header = false;
        self.distribution = Some("something-else".into());
        self
    }

    /// Replaces the default users and keys with `principal` (call again to add more).
    pub fn principal(mut self, principal: Principal) -> Self {
        if self.principals.len() == 2 && self.principals[0].name == "elastic" {
            self.principals.clear();
        }
        self.principals.push(principal);
        self
    }

    /// Serves HTTPS with a CA made for this server ([`FakeElasticsearch::ca_pem`]).
    pub fn tls(mut self) -> Self {
        self.tls = true;
        self
    }

    /// Whether documents' `_source` is kept (default true). Benchmarks that send millions of
    /// documents turn it off: ids, versions and mappings are still kept and checked.
    pub fn store_sources(mut self, store: bool) -> Self {
        self.store_sources = store;
        self
    }

    /// Answers request bodies larger than `bytes` with 413 and an empty body, as a cluster
    /// does past its `http.max_content_length` (100 MB by default).
    pub fn max_content_length(mut self, bytes: usize) -> Self {
        self.max_content_length = Some(bytes);
        self
    }

    /// Injects a fault from the start.
    pub fn fault(mut self, fault: Fault) -> Self {
        self.faults.push(fault);
        self
    }

    /// Starts serving on `127.0.0.1` at a free port, on a thread with its own runtime.
    pub fn start(self) -> Result<FakeElasticsearch> {
        let mut faults = Faults::default();
        for fault in self.faults {
            faults.add(fault);
        }
        let shared = Arc::new(Shared {
            config: Config {
                version: self.version,
                distribution: self.distribution,
                product_header: self.product_header,
                principals: self.principals,
                store_sources: self.store_sources,
                max_content_length: self.max_content_length,
            },
            cluster: Mutex::new(Cluster::default()),
            faults: Mutex::new(faults),
            requests: Mutex::new(Vec::new()),
        });
        let tls = if self.tls {
            Some(generate_tls().map_err(Error::Start)?)
        } else {
            None
        };
        let mut server = FakeElasticsearch {
            shared,
            address: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            ca_pem: tls.as_ref().map(|t| t.ca_pem.clone()),
            acceptor: tls.map(|t| t.acceptor),
            running: None,
        };
        server.start()?;
        Ok(server)
    }
}

/// The serving thread of a started server.
#[derive(Debug)]
struct Running {
    stop: oneshot::Sender<()>,
    thread: JoinHandle<()>,
}

/// A running loopback Elasticsearch; it stops when dropped. See the crate documentation for
/// what it serves.
pub struct FakeElasticsearch {
    shared: Arc<Shared>,
    address: SocketAddr,
    ca_pem: Option<String>,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    running: Option<Running>,
}

impl std::fmt::Debug for FakeElasticsearch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeElasticsearch")
            .field("address", &self.address)
            .field("running", &self.running.is_some())
            .finish()
    }
}

impl FakeElasticsearch {
    /// A builder with the defaults: plain HTTP, version 8.15.0, user `elastic` with
    /// [`DEFAULT_PASSWORD`] and the API key [`DEFAULT_API_KEY`], both with every privilege.
    pub fn builder() -> FakeElasticsearchBuilder {
        FakeElasticsearchBuilder::default()
    }

    /// `http://127.0.0.1:PORT` (`https://` with [`FakeElasticsearchBuilder::tls`]).
    pub fn url(&self) -> String {
        let scheme = if self.ca_pem.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.address)
    }

    /// The address the server listens on (kept across [`FakeElasticsearch::stop`]).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The CA certificate (PEM) of an HTTPS server.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// Stops serving: connections are closed and new ones refused; the data is kept.
    pub fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            let _ = running.stop.send(());
            let _ = running.thread.join();
        }
    }

    /// Starts serving again on the same port (no-op when running), with the same data.
    pub fn start(&mut self) -> Result<()> {
        if self.running.is_some() {
            return Ok(());
        }
        let listener = TcpListener::bind(self.address).map_err(Error::Start)?;
        listener.set_nonblocking(true).map_err(Error::Start)?;
        self.address = listener.local_addr().map_err(Error::Start)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Error::Start)?;
        let (stop, stopped) = oneshot::channel::<()>();
        let shared = self.shared.clone();
        let acceptor = self.acceptor.clone();
        let router = handler::router(shared.clone());
        let thread = std::thread::Builder::new()
            .name(format!("es-fake-{}", self.address.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(tcp) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    match acceptor {
                        Some(acceptor) => {
                            let listener = TlsListener::new(tcp, shared, acceptor);
                            tokio::select! {
                                _ = axum::serve(listener, router) => {}
                                _ = stopped => {}
                            }
                        }
                        None => {
                            let listener = PlainListener { tcp, shared };
                            tokio::select! {
                                _ = axum::serve(listener, router) => {}
                                _ = stopped => {}
                            }
                        }
                    }
                });
            })
            .map_err(Error::Start)?;
        self.running = Some(Running { stop, thread });
        Ok(())
    }

    /// Adds a fault while the server runs.
    pub fn add_fault(&self, fault: Fault) {
        self.shared.faults().add(fault);
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.shared.faults().clear();
    }

    /// Every request answered so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// The `_source` of document `id` in `target` (an index or a data stream).
    pub fn document(&self, target: &str, id: &str) -> Option<Value> {
        let cluster = self.shared.cluster();
        let docs = cluster.documents(target).ok()?;
        docs.into_iter()
            .find(|(_, i, _)| i == id)
            .map(|(_, _, s)| s)
    }

    /// The ids of every document in `target`, sorted (one entry per stored document, so a
    /// duplicate would show twice across indices).
    pub fn ids(&self, target: &str) -> Vec<String> {
        let cluster = self.shared.cluster();
        let mut ids: Vec<String> = cluster
            .documents(target)
            .map(|docs| docs.into_iter().map(|(_, id, _)| id).collect())
            .unwrap_or_default();
        ids.sort();
        ids
    }

    /// The version of document `id` in `target` (how many times it was written).
    pub fn version(&self, target: &str, id: &str) -> Option<u64> {
        let cluster = self.shared.cluster();
        for index in cluster.read_indices(target).ok()? {
            if let Some(doc) = cluster.indices.get(&index).and_then(|i| i.docs.get(id)) {
                return Some(doc.version);
            }
        }
        None
    }

    /// The mappings of `target` (an index, or a data stream's backing index).
    pub fn mappings(&self, target: &str) -> Option<Value> {
        let cluster = self.shared.cluster();
        let index = cluster.read_indices(target).ok()?.into_iter().next()?;
        cluster.indices.get(&index).map(|i| i.mappings.clone())
    }

    /// True when `name` is a data stream.
    pub fn is_data_stream(&self, name: &str) -> bool {
        self.shared.cluster().data_streams.contains_key(name)
    }
}

impl Drop for FakeElasticsearch {
    fn drop(&mut self) {
        self.stop();
    }
}
