//! The Kubernetes API source: a running cluster, read through its API server.
//!
//! [`connect`] loads a kubeconfig (a file, `KUBECONFIG`, `~/.kube/config`) or the in-cluster
//! service account, reads `/version`, discovers what the server serves (aggregated discovery,
//! else the per-group documents) and the cluster's identity. The [`KubeApi`] source then lists
//! exactly the kinds the loaded rules need, one kind per batch, page by page (`limit` /
//! `continue`, restarted when the server says the continue token expired), retrying what may
//! pass (429 with its `Retry-After`, 5xx, timeouts, a page cut short). Secrets are never asked
//! for.
//!
//! What cannot be read is never judged as absent: a refused list (403) becomes an `error` gap
//! naming the verb and resource, so every rule that needed that kind reports an error; a kind
//! the server does not serve (404, or absent from discovery) becomes a `not_applicable` gap
//! with the reason. An object in an unexpected shape (a field of the wrong type) is an input
//! error naming it, and every other object is still evaluated.
//!
//! Objects are reduced as they arrive to what rules read: `managedFields` and (except for
//! CertificateSigningRequests) `status` are dropped, secrets redacted as everywhere.

mod identity;
mod list;
mod shape;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::PathBuf;
use std::time::Duration;

use kspm_model::{ClusterInfo, Gap, ResourceType};

use crate::source::{Batch, Source};
use crate::{Diagnostic, Severity};

pub use identity::Platform;

/// How to reach the cluster and what to read from it.
#[derive(Debug, Clone)]
pub struct ApiOptions {
    /// A kubeconfig file; `None` reads `KUBECONFIG`, then `~/.kube/config`, then the
    /// in-cluster service account.
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context (default: its current context).
    pub context: Option<String>,
    /// Use the pod's service account, whatever kubeconfig exists.
    pub in_cluster: bool,
    /// The cluster's display name (default: the context's name, or kubeadm's `clusterName`).
    pub cluster_name: Option<String>,
    /// The platform, when detection should be overridden (`eks`, `kubeadm`, …).
    pub platform: Option<String>,
    /// Kinds to list (`Pod`, `ClusterRole`, …); `*` also lists every kind served in the
    /// `default` namespace. `Secret` is never listed.
    pub kinds: BTreeSet<String>,
    /// Objects per page.
    pub page_size: u32,
    /// Attempts per request for failures that may pass, and the first wait between them.
    pub attempts: u32,
    /// Wait before the second attempt (doubled for each further one, 30 s at most).
    pub first_wait: Duration,
    /// Longest a request may take.
    pub timeout: Duration,
}

impl Default for ApiOptions {
    fn default() -> Self {
        ApiOptions {
            kubeconfig: None,
            context: None,
            in_cluster: false,
            cluster_name: None,
            platform: None,
            kinds: BTreeSet::new(),
            page_size: 500,
            attempts: 5,
            first_wait: Duration::from_millis(500),
            timeout: Duration::from_secs(60),
        }
    }
}

/// Why the API could not be used at all (a kind that cannot be read is a gap instead).
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The kubeconfig could not be read or has no usable context.
    #[error("cannot load the kubeconfig")]
    Kubeconfig(#[source] kube::config::KubeconfigError),
    /// No configuration was found (no kubeconfig, not in a cluster).
    #[error(
        "no Kubernetes configuration found (give --kubeconfig, set KUBECONFIG, or run in a pod)"
    )]
    Infer(#[source] kube::config::InferConfigError),
    /// The in-cluster configuration is not usable.
    #[error("cannot use the in-cluster service account")]
    InCluster(#[source] kube::config::InClusterError),
    /// The client could not be built (TLS settings, say).
    #[error("cannot build a client for {server}")]
    Client {
        /// The API server.
        server: String,
        /// Why.
        #[source]
        source: kube::Error,
    },
    /// The API server did not answer `/version`.
    #[error("cannot reach the Kubernetes API at {server}")]
    Unreachable {
        /// The API server.
        server: String,
        /// Why.
        #[source]
        source: Box<list::RequestError>,
    },
    /// The tokio runtime could not start.
    #[error("cannot start the runtime for API calls")]
    Runtime(#[source] std::io::Error),
}

/// What one resource kind is, as discovery describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceKind {
    /// API group (`""` for the core group).
    pub group: String,
    /// Version (`v1`).
    pub version: String,
    /// Kind (`ClusterRole`).
    pub kind: String,
    /// Resource name in URLs (`clusterroles`).
    pub plural: String,
    /// Namespaced or cluster-wide.
    pub namespaced: bool,
}

impl ResourceKind {
    /// `clusterroles.rbac.authorization.k8s.io` (`pods` for the core group).
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// `rbac.authorization.k8s.io/v1` (`v1` for the core group).
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The collection path, across namespaces or in `namespace`.
    pub fn path(&self, namespace: Option<&str>) -> String {
        let base = if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        };
        match namespace {
            Some(ns) if self.namespaced => format!("{base}/namespaces/{ns}/{}", self.plural),
            _ => format!("{base}/{}", self.plural),
        }
    }
}

/// One listing to do.
#[derive(Debug, Clone)]
struct Listing {
    resource: ResourceKind,
    /// Only this namespace (for `*`: every kind in `default`).
    namespace: Option<String>,
}

/// A connected cluster, ready to be listed.
pub struct KubeApi {
    runtime: tokio::runtime::Runtime,
    requester: list::Requester,
    cluster: ClusterInfo,
    platform: Platform,
    server: String,
    queue: VecDeque<Listing>,
    /// Gaps and notes found while planning, yielded with the first batch.
    pending: Batch,
    page_size: u32,
}

/// Connects to the cluster `options` describe and plans the listings.
pub fn connect(options: &ApiOptions) -> Result<KubeApi, ApiError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(ApiError::Runtime)?;
    runtime
        .block_on(connect_async(options, runtime.handle().clone()))
        .map(
            |(requester, cluster, platform, server, queue, pending)| KubeApi {
                runtime,
                requester,
                cluster,
                platform,
                server,
                queue,
                pending,
                page_size: options.page_size.max(1),
            },
        )
}

type Connected = (
    list::Requester,
    ClusterInfo,
    Platform,
    String,
    VecDeque<Listing>,
    Batch,
);

async fn connect_async(
    options: &ApiOptions,
    _handle: tokio::runtime::Handle,
) -> Result<Connected, ApiError> {
    let Connection {
        client,
        server,
        context,
    } = client(options).await?;
    let requester = list::Requester::new(client.clone(), options.attempts, options.first_wait);
    let version = requester
        .get_json("/version")
        .await
        .map_err(|source| ApiError::Unreachable {
            server: server.clone(),
            source: Box::new(source),
        })?;
    let mut pending = Batch::default();
    let discovered = discover(&client, &mut pending).await;
    let identity = identity::identify(
        &requester,
        options,
        context.as_deref(),
        &server,
        &version,
        &discovered,
    )
    .await;
    for note in identity.notes.iter() {
        pending.diagnostics.push(note_at(&server, note.clone()));
    }
    let queue = plan(&options.kinds, &discovered, &mut pending);
    Ok((
        requester,
        identity.cluster,
        identity.platform,
        server,
        queue,
        pending,
    ))
}

/// A client for the cluster `options` describe, before anything is asked of it.
pub struct Connection {
    /// The client (kubeconfig or in-cluster credentials, TLS, timeouts).
    pub client: kube::Client,
    /// The API server's address.
    pub server: String,
    /// The kubeconfig context used, if any.
    pub context: Option<String>,
}

/// Builds a client from a kubeconfig (a file, `KUBECONFIG`, `~/.kube/config`) or the
/// in-cluster service account, as `options` say. Nothing is sent yet.
pub async fn client(options: &ApiOptions) -> Result<Connection, ApiError> {
    let (mut config, context) = load_config(options).await?;
    let server = config
        .cluster_url
        .to_string()
        .trim_end_matches('/')
        .to_owned();
    config.read_timeout = Some(options.timeout);
    config.connect_timeout = Some(options.timeout.min(Duration::from_secs(10)));
    let client = kube::Client::try_from(config).map_err(|source| ApiError::Client {
        server: server.clone(),
        source,
    })?;
    Ok(Connection {
        client,
        server,
        context,
    })
}

async fn load_config(options: &ApiOptions) -> Result<(kube::Config, Option<String>), ApiError> {
    if options.in_cluster {
        let config = kube::Config::incluster().map_err(ApiError::InCluster)?;
        return Ok((config, None));
    }
    match &options.kubeconfig {
        Some(path) => {
            let kubeconfig =
                kube::config::Kubeconfig::read_from(path).map_err(ApiError::Kubeconfig)?;
            let context = options
                .context
                .clone()
                .or_else(|| kubeconfig.current_context.clone());
            let config = kube::Config::from_custom_kubeconfig(
                kubeconfig,
                &kube::config::KubeConfigOptions {
                    context: options.context.clone(),
                    ..Default::default()
                },
            )
            .await
            .map_err(ApiError::Kubeconfig)?;
            Ok((config, context))
        }
        None if options.context.is_some() => {
            let config = kube::Config::from_kubeconfig(&kube::config::KubeConfigOptions {
                context: options.context.clone(),
                ..Default::default()
            })
            .await
            .map_err(ApiError::Kubeconfig)?;
            Ok((config, options.context.clone()))
        }
        None => {
            let context = kube::config::Kubeconfig::read()
                .ok()
                .and_then(|k| k.current_context);
            let config = kube::Config::infer().await.map_err(ApiError::Infer)?;
            Ok((config, context))
        }
    }
}

/// Every kind the server serves, by kind name (a kind served by several groups appears once
/// per group, the Kubernetes groups first).
pub(crate) type Discovered = BTreeMap<String, Vec<ResourceKind>>;

/// Aggregated discovery first (one request per root); the per-group documents when the server
/// does not offer it.
async fn discover(client: &kube::Client, pending: &mut Batch) -> Discovered {
    let discovery = match kube::discovery::Discovery::new(client.clone())
        .run_aggregated()
        .await
    {
        Ok(d) => Some(d),
        Err(_) => match kube::discovery::Discovery::new(client.clone()).run().await {
            Ok(d) => Some(d),
            Err(e) => {
                pending.diagnostics.push(Diagnostic {
                    severity: Severity::Error,
                    file: "kubernetes-api".into(),
                    document: None,
                    line: None,
                    message: format!("discovery failed, nothing could be listed: {e}"),
                });
                None
            }
        },
    };
    let mut found: Discovered = BTreeMap::new();
    for group in discovery.iter().flat_map(|d| d.groups()) {
        for (resource, caps) in group.recommended_resources() {
            if !caps.supports_operation(kube::discovery::verbs::LIST) {
                continue;
            }
            found
                .entry(resource.kind.clone())
                .or_default()
                .push(ResourceKind {
                    group: resource.group.clone(),
                    version: resource.version.clone(),
                    kind: resource.kind.clone(),
                    plural: resource.plural.clone(),
                    namespaced: caps.scope == kube::discovery::Scope::Namespaced,
                });
        }
    }
    for kinds in found.values_mut() {
        // Kubernetes' own groups first: a rule naming `NetworkPolicy` means networking.k8s.io's,
        // not a CRD of the same kind name.
        kinds.sort_by_key(|k| (!official_group(&k.group), k.group.clone()));
    }
    found
}

fn official_group(group: &str) -> bool {
    group.is_empty() || group == "k8s.io" || group.ends_with(".k8s.io")
}

/// The listings for `kinds`: a served kind is listed in its preferred group; a kind the server
/// does not serve is a not-applicable gap; Secrets are never listed.
fn plan(
    kinds: &BTreeSet<String>,
    discovered: &Discovered,
    pending: &mut Batch,
) -> VecDeque<Listing> {
    let mut queue = VecDeque::new();
    let mut planned: BTreeSet<(String, String)> = BTreeSet::new();
    for kind in kinds {
        if kind == "*" || kind == "Secret" || kind == "Cluster" {
            continue;
        }
        match discovered.get(kind).and_then(|all| all.first()) {
            Some(resource) => {
                planned.insert((resource.group.clone(), resource.kind.clone()));
                queue.push_back(Listing {
                    resource: resource.clone(),
                    namespace: None,
                });
            }
            None => pending.gaps.push(Gap::absent(
                ResourceType::K8sObject,
                kind,
                format!("this API server does not serve the kind {kind}"),
            )),
        }
    }
    if kinds.contains("*") {
        // Rules reading every kind look at one namespace's objects (`default`): list each
        // other namespaced kind there.
        for resource in discovered.values().flatten() {
            let key = (resource.group.clone(), resource.kind.clone());
            if resource.namespaced
                && resource.kind != "Secret"
                && resource.kind != "Event"
                && !planned.contains(&key)
            {
                planned.insert(key);
                queue.push_back(Listing {
                    resource: resource.clone(),
                    namespace: Some("default".into()),
                });
            }
        }
    }
    queue
}

fn note_at(server: &str, message: String) -> Diagnostic {
    Diagnostic {
        severity: Severity::Note,
        file: server.to_owned(),
        document: None,
        line: None,
        message,
    }
}

impl KubeApi {
    /// The cluster: id (the `kube-system` namespace's UID), name, version, platform.
    pub fn cluster(&self) -> &ClusterInfo {
        &self.cluster
    }

    /// The platform and why it was recognised.
    pub fn platform(&self) -> &Platform {
        &self.platform
    }

    /// The API server's address.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The kinds still to be listed (`apps/v1 Deployment`).
    pub fn planned(&self) -> Vec<String> {
        self.queue
            .iter()
            .map(|l| format!("{} {}", l.resource.api_version(), l.resource.kind))
            .collect()
    }
}

impl Source for KubeApi {
    fn describe(&self) -> String {
        format!("Kubernetes API {}", self.server)
    }

    fn next_batch(&mut self) -> Option<Batch> {
        let pending = std::mem::take(&mut self.pending);
        let Some(listing) = self.queue.pop_front() else {
            let empty = pending.resources.is_empty()
                && pending.diagnostics.is_empty()
                && pending.gaps.is_empty();
            return (!empty).then_some(pending);
        };
        let mut batch = self.runtime.block_on(list::list_kind(
            &self.requester,
            &listing.resource,
            listing.namespace.as_deref(),
            self.page_size,
            &self.cluster,
            &self.server,
        ));
        batch.diagnostics.splice(0..0, pending.diagnostics);
        batch.gaps.splice(0..0, pending.gaps);
        Some(batch)
    }
}
