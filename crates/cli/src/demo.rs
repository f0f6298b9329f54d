//! `kspm demo`: two example clusters recorded over four cycles into a SQLite store through the
//! same pipeline a scan uses, then served.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use kspm_collect::offline::LoadOptions;
use kspm_collect::{NodeTarget, Plan};
use kspm_engine::{Evaluator, ScanContext};
use kspm_fixtures::node::{Fixture, write as write_fixture};
use kspm_model::{ClusterInfo, cluster_id_from_name, unix_now};
use kspm_sinks::Sink;
use kspm_sinks::store::StoreSink;
use kspm_store::Store;

use crate::exit::Exit;

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
pub fn run(options: DemoOptions) -> anyhow::Result<Exit> {
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
    let auth = kspm_server::AuthConfig {
        write_token: crate::server::random_token()?,
        read_token: None,
    };
    crate::server::serve_store(store, options.listen, auth, true, Vec::new(), None)
}

fn record_demo(store: &Store, work: &Path) -> anyhow::Result<u64> {
    let evaluator =
        Evaluator::new(crate::bundle::load(&[])?).context("compiling the rule bundle")?;
    let now = unix_now();
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
            let mut nodes = Vec::new();
            for (node, fixture) in (cluster.nodes)(cycle) {
                let root = dir.join(node);
                write_fixture(fixture, &root)
                    .with_context(|| format!("writing the {node} fixture"))?;
                nodes.push(NodeTarget {
                    root,
                    name: Some(node.into()),
                });
            }
            let plan = Plan {
                cluster: info.clone(),
                manifests: vec![manifests],
                load: LoadOptions::default(),
                nodes,
                skip_mirror_pods: false,
            };
            let collected = plan.collect(&mut |_, _| {});
            let ctx = ScanContext::new(info.clone(), started_at);
            let sink = StoreSink::new(store, format!("demo-{cycle}"), Some(started_at + 60));
            let mut sinks: Vec<Box<dyn Sink + '_>> = vec![Box::new(sink)];
            let outcome = crate::pipeline::run(&evaluator, collected, &ctx, &mut sinks, |_| {})
                .with_context(|| format!("recording cycle {cycle} of {}", cluster.name))?;
            stored += outcome.delivered[0].findings;
        }
    }
    Ok(stored)
}
