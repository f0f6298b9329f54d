//! A loopback Kubernetes API server for kspm's tests and benchmarks.
//!
//! It speaks the real wire formats — discovery (per-group and aggregated), LIST with paging,
//! WATCH, GET, writes with optimistic concurrency, `Status` errors — and fails the ways the
//! real API server fails, so that a client (kube-rs, `kubectl`) can be tested against it.
//! Its fidelity is checked with the real `kubectl` in `tests/kubectl.rs`. It is a
//! dev-dependency only: no shipped crate may depend on it.
//!
//! ```no_run
//! use std::time::Duration;
//! use kspm_kube_fake::{FakeApiServer, Fault};
//! use serde_json::json;
//!
//! let server = FakeApiServer::builder()
//!     .version("v1.34.2")
//!     .objects(vec![
//!         json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}}),
//!         json!({"apiVersion": "v1", "kind": "Pod",
//!                "metadata": {"name": "coredns", "namespace": "kube-system"}, "spec": {}}),
//!     ])
//!     .page_limit_max(500)
//!     .fault(Fault::Forbidden { resource: "clusterroles".into(), verb: "list".into() })
//!     .fault(Fault::Slow { resource: "namespaces".into(), delay: Duration::from_millis(300) })
//!     .start()
//!     .expect("server starts");
//! let dir = tempfile::tempdir().unwrap();
//! server.write_kubeconfig(dir.path().join("config"), "fake").unwrap();
//! // … point the client under test at server.url() or the kubeconfig …
//! server.apply(json!({"apiVersion": "v1", "kind": "Pod",
//!                     "metadata": {"name": "late", "namespace": "kube-system"}})).unwrap();
//! server.delete("Pod", "kube-system", "late").unwrap();
//! assert!(server.requests().iter().all(|r| !r.path.contains("/secrets")));
//! ```
//!
//! # Using it
//!
//! - [`FakeApiServer::builder`] → [`FakeApiServerBuilder`]: `version`, `objects`, `resource`
//!   (declare a custom kind), `page_limit_max`, `fault`, `token`, `user` (named in 403s),
//!   `aggregated_discovery(false)` (a server before Kubernetes 1.26), `bookmark_interval`,
//!   `plain_http`, then `start()` (a `Result`; the server stops when dropped).
//! - A started [`FakeApiServer`]: `url()` (`https://127.0.0.1:PORT`), `ca_pem()`, `token()`,
//!   `kubeconfig(context)` / `write_kubeconfig(path, context)`; `requests()` /
//!   `clear_requests()`; `apply(object)`, `delete(kind, namespace, name)`, `get(kind,
//!   namespace, name)` (kind `Pod` or `Deployment.apps`), `resource_version()`, `compact()`;
//!   `add_fault(fault)`, `clear_faults()`.
//! - **kube-rs**: `kube::config::Kubeconfig::read_from(path)` then
//!   `Config::from_custom_kubeconfig(…)` and `Client::try_from(config)` (kube's default
//!   rustls TLS trusts the CA written in the kubeconfig). Checked with kube 5 and k8s-openapi
//!   0.29: `apiserver_version`, `Discovery::run` and `run_aggregated`, paged `Api::list`,
//!   `watcher` with and without streaming lists, Lease create/replace conflicts, Status
//!   errors as `kube::Error::Api`.
//! - **A plain HTTP client** (reqwest): trust [`FakeApiServer::ca_pem`] and send
//!   `bearer_auth(server.token())`.
//! - **kubectl**: `KUBECONFIG=<written kubeconfig> kubectl …` (client-go sends a bearer
//!   token only over TLS, hence HTTPS by default).
//!
//! # What it serves
//!
//! - **HTTPS** on `127.0.0.1`, with a CA and serving certificate (for `127.0.0.1` and
//!   `localhost`) made for each server; plain HTTP with
//!   [`FakeApiServerBuilder::plain_http`].
//! - **Authentication**: every request needs `Authorization: Bearer <token>`
//!   ([`DEFAULT_TOKEN`] unless set); a missing or wrong token is 401 `Unauthorized` on every
//!   path, as an API server with anonymous authentication off (the CIS setting).
//! - **`GET /version`** (`major`, `minor`, `gitVersion`, …) and **`/healthz`, `/livez`,
//!   `/readyz`** (`ok`).
//! - **Discovery**: `/api` (`APIVersions`), `/apis` (`APIGroupList`), `/apis/{group}`
//!   (`APIGroup`), `/api/v1` and `/apis/{group}/{version}` (`APIResourceList`: name,
//!   singularName, namespaced, kind, verbs, shortNames, categories); and aggregated discovery
//!   (`APIGroupDiscoveryList`, `apidiscovery.k8s.io` v2 or v2beta1) at `/api` and `/apis` when
//!   `Accept` asks for it, with its own Content-Type, `ETag` and 304 on `If-None-Match`. Served
//!   kinds: Pods, Namespaces, ServiceAccounts, Services, ConfigMaps, Secrets, Nodes; apps
//!   Deployments, DaemonSets, StatefulSets, ReplicaSets; batch Jobs, CronJobs; rbac Roles,
//!   RoleBindings, ClusterRoles, ClusterRoleBindings; networking NetworkPolicies; policy
//!   PodDisruptionBudgets; admissionregistration Validating/MutatingWebhookConfigurations,
//!   ValidatingAdmissionPolicies and their bindings; certificates CertificateSigningRequests;
//!   coordination Leases; storage CSIDrivers — plus every group/version/kind found among the
//!   objects or declared with [`FakeApiServerBuilder::resource`] (a CRD-like kind such as
//!   `cilium.io/v2` `CiliumNetworkPolicy`).
//! - **LIST**, cluster-wide (`/api/v1/pods`) and per namespace
//!   (`/api/v1/namespaces/{ns}/pods`): `kind: PodList` with `metadata.resourceVersion`; items
//!   without `kind`/`apiVersion` for built-in kinds (custom resources keep them, as the real
//!   server); `limit` + `continue` paging over a consistent snapshot (opaque tokens,
//!   `metadata.remainingItemCount` when no selector filters); `resourceVersion` with
//!   `resourceVersionMatch` `Exact`/`NotOlderThan` (and the legacy rules without it; 410 for a
//!   compacted version, 504 for a future one); `labelSelector` (`=`, `==`, `!=`, `in`, `notin`,
//!   exists, `!`, `>`, `<`) and `fieldSelector` (`metadata.name`, `metadata.namespace`, and the
//!   fields the real server indexes per kind, e.g. Pod `spec.nodeName`, `status.phase`; other
//!   fields are 400 `field label not supported`); the API server's validation of these options
//!   (422 Invalid).
//! - **GET** of one object, with `kind` and `apiVersion`; 404 NotFound `Status` when absent.
//! - **Representations** by `Accept`: JSON objects, `Table` (`kubectl get`'s server-side
//!   printing: Pod, Namespace and Node columns like the real printers, Name and Age for other
//!   kinds; `includeObject`) and `PartialObjectMetadata[List]`; 406 when none is acceptable.
//! - **WATCH** (`watch=true`/`1`, also on an object path): chunked
//!   `{"type":"ADDED"|"MODIFIED"|"DELETED"|"BOOKMARK"|"ERROR","object":…}` lines from a
//!   resource version — synthetic ADDED for the current objects when it is unset or `0`,
//!   replay of later changes otherwise, an `ERROR` event with a 410 Expired `Status` for one
//!   older than the history ([`FakeApiServer::compact`]); `sendInitialEvents` with the
//!   `k8s.io/initial-events-end` bookmark; periodic bookmarks with `allowWatchBookmarks`;
//!   selectors (objects entering or leaving the selection are ADDED/DELETED);
//!   `timeoutSeconds`. Tests change objects while watches run with [`FakeApiServer::apply`]
//!   and [`FakeApiServer::delete`].
//! - **Writes** on every kind: POST (201; 409 AlreadyExists; `generateName`), PUT (409
//!   Conflict on a stale `metadata.resourceVersion` or a different `uid`; 404 when absent; an
//!   unchanged object keeps its resource version), PATCH (merge, strategic merge as merge,
//!   JSON patch with `test`, apply with `fieldManager`, which creates), DELETE (preconditions;
//!   a `Success` Status). Enough for Lease-based leader election.
//! - **Faults** ([`Fault`]): Forbidden, NotServed, TooManyRequests, StorageInitializing,
//!   ServerError, Slow, ExpireContinue, Malformed, TruncatedPage — each answering as the real
//!   server (or the network) does; see each variant.
//! - **Request log** ([`FakeApiServer::requests`]): method, path, query, Accept, User-Agent
//!   and status of every request, so a test can assert e.g. that Secrets were never read.
//!
//! # What it does not do
//!
//! No client certificates or other authentication than the bearer token, no RBAC beyond the Forbidden fault, no admission, validation or defaulting of objects, no
//! conversion between versions of a kind (an object is served at the version it was given
//! in), no subresources (`status`, `scale`, `log`, `exec` answer 404), no
//! `deletecollection`, no protobuf, CBOR or YAML encodings, no OpenAPI documents
//! (`/openapi/v2`, `/openapi/v3` answer 404, so `kubectl explain` and client-side
//! validation of `kubectl apply` do not work), no server-side apply field ownership
//! (an apply patch merges), no strategic-merge list semantics, no graceful deletion or
//! finalizers, no namespace lifecycle (objects may live in namespaces that do not exist), no
//! HTTP/2 and no `Table` printers beyond Pod, Namespace and Node.

mod base64;
mod catalog;
mod discovery;
mod fault;
mod handler;
mod kubeconfig;
mod list;
mod negotiate;
mod patch;
mod query;
mod render;
mod reply;
mod requests;
mod resource;
mod route;
mod selector;
mod server;
mod state;
mod status;
mod store;
mod table;
mod tls;
mod truncate;
mod watch;
mod write;

pub use catalog::ResourceType;
pub use fault::Fault;
pub use requests::RecordedRequest;
pub use server::{DEFAULT_TOKEN, DEFAULT_USER, FakeApiServer, FakeApiServerBuilder};

/// What can go wrong setting up or driving the server from a test.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An object lacks `apiVersion`, `kind`, `metadata` or `metadata.name`.
    #[error("invalid object: {0}")]
    InvalidObject(String),
    /// No served resource type has this kind.
    #[error("no served resource type has kind {0:?}")]
    UnknownKind(String),
    /// Several groups serve this kind; name it `Kind.group`.
    #[error("kind {0:?} is served by more than one group; name it as Kind.group")]
    AmbiguousKind(String),
    /// The listener or its thread could not be started.
    #[error("could not start the fake API server")]
    Start(#[source] std::io::Error),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
