//! `kspm server` and `kspm demo`: the findings store behind the HTTP API and web UI.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use kspm_engine::{Evaluator, ScanContext};
use kspm_fixtures::node::{Fixture, write as write_fixture};
use kspm_model::{ClusterInfo, Finding, cluster_id_from_name, rfc3339};
use kspm_server::{AppState, AuthConfig, Limits};
use kspm_store::{CycleStart, Store};

use crate::cli::{Exit, load_bundle};
use crate::scan::{Inputs, gather};

/// Options of `kspm server`.
pub struct ServerOptions {
    pub db: PathBuf,
    pub listen: SocketAddr,
    pub write_token: Option<String>,
    pub read_token: Option<String>,
}

pub fn server(options: ServerOptions) -> anyhow::Result<Exit> {
    let store = Store::open(&options.db)
        .with_context(|| format!("opening the store {}", options.db.display()))?;
    let (write_token, generated) = match options.write_token {
        Some(t) if t.len() >= 16 => (t, false),
        Some(_) => anyhow::bail!("the write token must be at least 16 characters"),
        None => (random_token()?, true),
    };
    if generated {
        eprintln!(
            "kspm server: no --write-token given; this run's write token is {write_token}\n\
             (agents and `kspm scan` push with it; sign in to change rules at /login)"
        );
    }
    serve_store(store, options.listen, write_token, options.read_token)
}

fn serve_store(
    store: Store,
    listen: SocketAddr,
    write_token: String,
    read_token: Option<String>,
) -> anyhow::Result<Exit> {
    let state = AppState::new(
        store,
        AuthConfig {
            write_token: write_token.clone(),
            read_token,
        },
        Limits::default(),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        // Written, not printed: a closed stdout must not take the server down.
        let mut out = std::io::stdout();
        let _ = writeln!(out, "kspm: dashboard on http://{addr}/");
        let _ = writeln!(
            out,
            "kspm: to change rules and exceptions, sign in once: http://{addr}/login?token={write_token}"
        );
        let _ = out.flush();
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        kspm_server::serve(listener, state, shutdown)
            .await
            .context("serving HTTP")
    })?;
    Ok(Exit::Clean)
}

fn random_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness for a token: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Options of `kspm demo`.
pub struct DemoOptions {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub serve: bool,
}

/// One demo cluster: its manifests, and its nodes per cycle.
struct DemoCluster {
    name: &'static str,
    manifests: &'static [(&'static str, &'static str)],
    /// (node name, fixture) per cycle.
    nodes: fn(usize) -> Vec<(&'static str, Fixture)>,
}

const SHOP: &[(&str, &str)] = &[
    (
        "00-namespaces.yaml",
        include_str!("../../../examples/shop/00-namespaces.yaml"),
    ),
    (
        "10-workloads.yaml",
        include_str!("../../../examples/shop/10-workloads.yaml"),
    ),
    (
        "20-rbac.yaml",
        include_str!("../../../examples/shop/20-rbac.yaml"),
    ),
];

const ANALYTICS: &[(&str, &str)] = &[
    (
        "00-namespaces.yaml",
        include_str!("../../../examples/demo/analytics/00-namespaces.yaml"),
    ),
    (
        "10-workloads.yaml",
        include_str!("../../../examples/demo/analytics/10-workloads.yaml"),
    ),
    (
        "20-rbac.yaml",
        include_str!("../../../examples/demo/analytics/20-rbac.yaml"),
    ),
];

const DRIFT: &str = include_str!("../../../examples/demo/drift.yaml");

/// Cycles of history the demo records, four hours apart.
const CYCLES: usize = 4;

const CLUSTERS: [DemoCluster; 2] = [
    DemoCluster {
        name: "shop-prod",
        manifests: SHOP,
        // The control plane is hardened before the last cycle: the trend climbs.
        nodes: |cycle| {
            let cp = if cycle + 1 < CYCLES {
                Fixture::KubeadmControlPlane
            } else {
                Fixture::Hardened
            };
            vec![("cp-1", cp), ("worker-1", Fixture::Worker)]
        },
    },
    DemoCluster {
        name: "analytics-staging",
        manifests: ANALYTICS,
        nodes: |_| {
            vec![
                ("cp-1", Fixture::KubeadmControlPlane),
                ("worker-1", Fixture::Worker),
            ]
        },
    },
];

/// Builds the demo store (two clusters, [`CYCLES`] cycles each, node and cluster scopes) and
/// serves it.
pub fn demo(options: DemoOptions) -> anyhow::Result<Exit> {
    std::fs::create_dir_all(&options.data_dir)
        .with_context(|| format!("creating {}", options.data_dir.display()))?;
    let db = options.data_dir.join("kspm.db");
    for suffix in ["", "-wal", "-shm"] {
        let path = PathBuf::from(format!("{}{suffix}", db.display()));
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("removing {}", path.display())),
        }
    }
    let store = Store::open(&db).with_context(|| format!("creating {}", db.display()))?;
    let work = options.data_dir.join("demo-inputs");
    let result = record_demo(&store, &work);
    let _ = std::fs::remove_dir_all(&work);
    let summary = result?;
    println!(
        "kspm demo: {} findings from {} clusters over {CYCLES} cycles stored in {}",
        summary,
        CLUSTERS.len(),
        db.display()
    );
    if !options.serve {
        return Ok(Exit::Clean);
    }
    serve_store(store, options.listen, random_token()?, None)
}

fn record_demo(store: &Store, work: &Path) -> anyhow::Result<usize> {
    let evaluator = Evaluator::new(load_bundle(&[])?).context("compiling the rule bundle")?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs() as i64;
    let mut stored = 0;
    for cluster in &CLUSTERS {
        let info = ClusterInfo {
            id: cluster_id_from_name(cluster.name),
            name: cluster.name.into(),
            version: Some("v1.34.2".into()),
            platform: Some("kubeadm".into()),
        };
        for cycle in 0..CYCLES {
            let started_at = now - ((CYCLES - 1 - cycle) as i64) * 4 * 3600;
            let dir = work.join(cluster.name).join(format!("cycle-{cycle}"));
            let manifests = dir.join("manifests");
            std::fs::create_dir_all(&manifests)
                .with_context(|| format!("creating {}", manifests.display()))?;
            for (file, text) in cluster.manifests {
                std::fs::write(manifests.join(file), text)
                    .with_context(|| format!("writing {file}"))?;
            }
            // The leftovers of the first cycles are cleaned up later: resolved findings.
            if cycle < 2 {
                std::fs::write(manifests.join("90-drift.yaml"), DRIFT)
                    .context("writing the drift manifest")?;
            }
            let mut roots = Vec::new();
            for (node, fixture) in (cluster.nodes)(cycle) {
                let root = dir.join(node);
                write_fixture(fixture, &root)
                    .with_context(|| format!("writing the {node} fixture"))?;
                roots.push((node, root));
            }
            let mut resources = Vec::new();
            let mut manifests_only = Inputs {
                paths: vec![manifests],
                host_roots: Vec::new(),
                node_name: None,
                max_file_size: 64 * 1024 * 1024,
            };
            let (objects, _) = gather(&manifests_only, &info);
            resources.extend(objects);
            for (node, root) in roots {
                manifests_only.paths.clear();
                manifests_only.host_roots = vec![root];
                manifests_only.node_name = Some(node.into());
                let (node_resources, _) = gather(&manifests_only, &info);
                resources.extend(node_resources);
            }
            let ctx = ScanContext {
                cluster: info.clone(),
                timestamp: rfc3339(started_at),
                sequence: started_at,
                benchmark: "all".into(),
            };
            let findings = evaluator.evaluate(resources, &ctx).findings;
            stored += store_cycle(store, &info, cycle, started_at, findings)?;
        }
    }
    Ok(stored)
}

/// Stores one evaluation as the cycles of its scopes: `cluster` for Kubernetes objects (and
/// control-plane flags read from mirror pods), `node:<name>` for each node's own resources.
pub fn store_cycle(
    store: &Store,
    cluster: &ClusterInfo,
    cycle: usize,
    started_at: i64,
    findings: Vec<Finding>,
) -> anyhow::Result<usize> {
    let mut stored = 0;
    for (scope, findings) in by_scope(findings) {
        let cycle_id = cluster_id_from_name(&format!("{}/{scope}/{cycle}", cluster.id));
        store
            .begin_cycle(&CycleStart {
                cycle_id: cycle_id.clone(),
                cluster: cluster.clone(),
                scope: scope.clone(),
                started_at,
            })
            .with_context(|| format!("starting cycle {cycle} of {scope}"))?;
        for (batch, chunk) in findings.chunks(5_000).enumerate() {
            store
                .ingest_batch(&cycle_id, batch as u64, chunk)
                .with_context(|| format!("storing cycle {cycle} of {scope}"))?;
        }
        store
            .complete_cycle(&cycle_id, started_at + 60)
            .with_context(|| format!("completing cycle {cycle} of {scope}"))?;
        stored += findings.len();
    }
    Ok(stored)
}

/// Findings grouped by [`scope_of`], in scope order.
pub fn by_scope<F: std::borrow::Borrow<Finding>>(
    findings: impl IntoIterator<Item = F>,
) -> std::collections::BTreeMap<String, Vec<F>> {
    let mut groups: std::collections::BTreeMap<String, Vec<F>> = Default::default();
    for f in findings {
        groups.entry(scope_of(f.borrow())).or_default().push(f);
    }
    groups
}

/// The scope a finding belongs to: the node it was read on, or the cluster.
fn scope_of(finding: &Finding) -> String {
    let from_api = finding
        .process
        .as_ref()
        .and_then(|p| p.get("source"))
        .and_then(|s| s.as_str())
        == Some("mirror-pod");
    match &finding.host {
        Some(host) if !from_api => format!("node:{}", host.name),
        _ => "cluster".into(),
    }
}
