//! The source contract: everything kspm evaluates comes from a [`Source`] that yields
//! resources in [`Batch`]es, with what it could not read as diagnostics and gaps. Files and
//! snapshots ([`Manifests`]), a node's host root ([`NodeRoot`]) and the static pods' mirror
//! pods ([`MirrorPods`]) implement it today; the Kubernetes API and cloud APIs plug in the
//! same way.

use std::collections::BTreeSet;
use std::path::PathBuf;

use kspm_model::{ClusterInfo, Gap, HostLocation, Origin, Resource, ResourceType, Scope};
use rayon::prelude::*;

use crate::Diagnostic;
use crate::offline::{LoadOptions, Loaded};

/// What a source yields at a time.
#[derive(Debug, Default)]
pub struct Batch {
    /// Resources, each with its origin and scope set.
    pub resources: Vec<Resource>,
    /// Problems with the input (errors) and things skipped on purpose (notes).
    pub diagnostics: Vec<Diagnostic>,
    /// Data that exists but could not be read, or that this cluster does not have.
    pub gaps: Vec<Gap>,
}

/// A place resources are read from.
pub trait Source: Send {
    /// What the source reads, for logs (`files examples/shop`, `node cp-1 at /hostfs`).
    fn describe(&self) -> String;

    /// The next batch; `None` once the source is exhausted. A source never stops on bad input:
    /// what it cannot read becomes a diagnostic (and a gap when rules depend on it).
    fn next_batch(&mut self) -> Option<Batch>;
}

/// Manifest files, directories and stdin (`-`): one batch per file.
pub struct Manifests {
    files: std::vec::IntoIter<PathBuf>,
    /// Problems found while listing the inputs, yielded with the first batch.
    pending: Vec<Diagnostic>,
    options: LoadOptions,
    cluster: ClusterInfo,
    describe: String,
    /// YAML alias expansion so far, carried from file to file (one budget per run).
    aliases_expanded: usize,
}

impl Manifests {
    /// The files under `paths` (directories walked for `.yaml`, `.yml` and `.json`, sorted;
    /// `-` is stdin), read with `options`, for `cluster`.
    pub fn new(paths: &[PathBuf], options: LoadOptions, cluster: ClusterInfo) -> Manifests {
        let mut files = Vec::new();
        let mut pending = Vec::new();
        for path in paths {
            crate::offline::list_files(path, &mut files, &mut pending);
        }
        let describe = format!(
            "manifests {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        Manifests {
            files: files.into_iter(),
            pending,
            options,
            cluster,
            describe,
            aliases_expanded: 0,
        }
    }
}

impl Source for Manifests {
    fn describe(&self) -> String {
        self.describe.clone()
    }

    fn next_batch(&mut self) -> Option<Batch> {
        let pending = std::mem::take(&mut self.pending);
        let Some(file) = self.files.next() else {
            return (!pending.is_empty()).then(|| Batch {
                diagnostics: pending,
                ..Batch::default()
            });
        };
        let mut loaded = Loaded {
            aliases_expanded: self.aliases_expanded,
            ..Loaded::default()
        };
        crate::offline::load_path(&file, self.options, &mut loaded);
        let Loaded {
            objects,
            mut diagnostics,
            gaps,
            files: _,
            aliases_expanded,
        } = loaded;
        self.aliases_expanded = aliases_expanded;
        // In parallel: each object's id is a SHA-1 based UUID.
        let cluster = &self.cluster;
        let resources = objects
            .into_par_iter()
            .map(|o| {
                let mut r = Resource::k8s_compact(o.object, o.raw, cluster.clone());
                r.origin = Some(Origin::File(o.origin));
                r
            })
            .collect();
        diagnostics.splice(0..0, pending);
        Some(Batch {
            resources,
            diagnostics,
            gaps,
        })
    }
}

/// One node, read through its host root: one batch with its processes and files.
pub struct NodeRoot {
    root: PathBuf,
    options: crate::node::NodeOptions,
    done: bool,
}

impl NodeRoot {
    /// The node whose root filesystem is `root` (`/hostfs` in the agent).
    pub fn new(root: PathBuf, options: crate::node::NodeOptions) -> NodeRoot {
        NodeRoot {
            root,
            options,
            done: false,
        }
    }
}

impl Source for NodeRoot {
    fn describe(&self) -> String {
        format!("node root {}", self.root.display())
    }

    fn next_batch(&mut self) -> Option<Batch> {
        if std::mem::replace(&mut self.done, true) {
            return None;
        }
        let scan = crate::node::collect(&self.root, &self.options);
        let mut resources = scan.resources;
        for r in &mut resources {
            r.scope = Scope::Node(scan.node.name.clone());
            r.origin = host_origin(&self.root, r);
        }
        Some(Batch {
            resources,
            diagnostics: scan.diagnostics,
            gaps: Vec::new(),
        })
    }
}

/// Where a node resource was read: the file under the host root, or the process's command
/// line.
fn host_origin(root: &std::path::Path, r: &Resource) -> Option<Origin> {
    let facts = &r.resource;
    match r.kind {
        ResourceType::File => {
            let path = facts.get("path")?.as_str()?;
            Some(Origin::Host(HostLocation {
                host_path: root
                    .join(path.trim_start_matches('/'))
                    .display()
                    .to_string(),
                pid: None,
            }))
        }
        ResourceType::Process => {
            let pid = u32::try_from(facts.get("pid")?.as_u64()?).ok()?;
            Some(Origin::Host(HostLocation {
                host_path: root
                    .join(format!("proc/{pid}/cmdline"))
                    .display()
                    .to_string(),
                pid: Some(pid),
            }))
        }
        _ => None,
    }
}

/// Control-plane processes read from the static pods' mirror pods among resources already
/// collected (see [`crate::mirror`]), for the nodes no [`NodeRoot`] covered.
pub struct MirrorPods {
    processes: Option<Vec<Resource>>,
}

impl MirrorPods {
    /// Mirror-pod processes of `resources`, skipping `nodes_with_data`.
    pub fn new(
        resources: &[Resource],
        nodes_with_data: &BTreeSet<String>,
        cluster: &ClusterInfo,
    ) -> MirrorPods {
        MirrorPods {
            processes: Some(crate::mirror::processes(
                resources,
                nodes_with_data,
                cluster,
            )),
        }
    }
}

impl Source for MirrorPods {
    fn describe(&self) -> String {
        "control-plane command lines of mirror pods".into()
    }

    fn next_batch(&mut self) -> Option<Batch> {
        let resources = self.processes.take()?;
        (!resources.is_empty()).then(|| Batch {
            resources,
            ..Batch::default()
        })
    }
}
