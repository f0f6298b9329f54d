//! Which sources one run reads, and reading them: the collect stage of the pipeline.

use std::collections::BTreeSet;
use std::path::PathBuf;

use kspm_model::{ClusterInfo, Gap, Resource, ResourceType, Scope};

use crate::Diagnostic;
use crate::node::NodeOptions;
use crate::offline::LoadOptions;
use crate::source::{Batch, Manifests, MirrorPods, NodeRoot, Source};

/// A node to read through its root filesystem.
#[derive(Debug, Clone)]
pub struct NodeTarget {
    /// The root (`/hostfs` in the agent, `/` on a bare host, a mounted disk image, a fixture).
    pub root: PathBuf,
    /// Node name when the kubelet has no `--hostname-override` (default: `etc/hostname`).
    pub name: Option<String>,
}

/// What one run reads.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// The cluster everything belongs to.
    pub cluster: ClusterInfo,
    /// Manifest files and directories (`-` is stdin).
    pub manifests: Vec<PathBuf>,
    /// Limits for reading manifests.
    pub load: LoadOptions,
    /// Nodes read through host roots.
    pub nodes: Vec<NodeTarget>,
    /// Do not derive control-plane processes from mirror pods: every node, control plane
    /// included, is read by its own agent, whose cycle for that node would otherwise be
    /// contradicted by a partial one from the cluster pass.
    pub skip_mirror_pods: bool,
}

/// Everything a run collected.
#[derive(Debug, Default)]
pub struct Collected {
    /// Every resource, in the order read.
    pub resources: Vec<Resource>,
    /// Problems with the inputs and notes.
    pub diagnostics: Vec<Diagnostic>,
    /// Data that could not be read (or does not exist here).
    pub gaps: Vec<Gap>,
    /// Kubernetes objects read from manifests or the API.
    pub objects: usize,
    /// Control-plane processes derived from mirror pods.
    pub mirrored: usize,
}

impl Collected {
    /// Diagnostics that are errors (inputs not read).
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == crate::Severity::Error)
    }

    fn add(&mut self, batch: Batch) {
        self.objects += batch
            .resources
            .iter()
            .filter(|r| r.kind == ResourceType::K8sObject)
            .count();
        self.resources.extend(batch.resources);
        self.diagnostics.extend(batch.diagnostics);
        self.gaps.extend(batch.gaps);
    }
}

impl Plan {
    /// The sources this plan reads first, in order: manifests, then each node. (Mirror pods
    /// are derived from what these yield; see [`Plan::collect`].)
    pub fn sources(&self) -> Vec<Box<dyn Source>> {
        let mut sources: Vec<Box<dyn Source>> = Vec::new();
        if !self.manifests.is_empty() {
            sources.push(Box::new(Manifests::new(
                &self.manifests,
                self.load,
                self.cluster.clone(),
            )));
        }
        for node in &self.nodes {
            sources.push(Box::new(NodeRoot::new(
                node.root.clone(),
                NodeOptions {
                    cluster: self.cluster.clone(),
                    node_name: node.name.clone(),
                },
            )));
        }
        sources
    }

    /// The platform what this plan read shows (a node root with `/etc/eks`, EKS Node objects),
    /// when it shows one.
    pub fn detect_platform(&self, collected: &Collected) -> Option<crate::Platform> {
        self.nodes
            .iter()
            .find_map(|n| crate::platform::from_host_root(&n.root))
            .or_else(|| crate::platform::from_objects(&collected.resources))
    }

    /// Reads the AWS side of an EKS cluster into `collected`: its description and the ECR
    /// repositories of the images the resources read so far pull (`options.images` is filled
    /// from them).
    pub fn collect_aws(
        &self,
        collected: &mut Collected,
        options: crate::cloud::aws::AwsOptions,
        observe: &mut dyn FnMut(&str, &Batch),
    ) {
        let images = crate::cloud::images_in(&collected.resources);
        let options = crate::cloud::aws::AwsOptions {
            images: crate::cloud::ecr_images(&images),
            ..options
        };
        let mut source = crate::cloud::aws::AwsSource::new(options, self.cluster.clone());
        let describe = source.describe();
        while let Some(batch) = source.next_batch() {
            observe(&describe, &batch);
            collected.add(batch);
        }
    }

    /// Reads every source, then the control-plane flags of the mirror pods of nodes that no
    /// host root covered (same resource ids as a node's own processes, so the two never count
    /// twice). `observe` sees each batch as it arrives, with its source's description.
    pub fn collect(&self, observe: &mut dyn FnMut(&str, &Batch)) -> Collected {
        self.collect_with(Vec::new(), observe)
    }

    /// Like [`Plan::collect`], reading `first` (a connected cluster, say) before the plan's
    /// own sources.
    pub fn collect_with(
        &self,
        first: Vec<Box<dyn Source>>,
        observe: &mut dyn FnMut(&str, &Batch),
    ) -> Collected {
        let mut collected = Collected::default();
        for mut source in first.into_iter().chain(self.sources()) {
            let describe = source.describe();
            while let Some(batch) = source.next_batch() {
                observe(&describe, &batch);
                collected.add(batch);
            }
        }
        let nodes_with_data: BTreeSet<String> = collected
            .resources
            .iter()
            .filter_map(|r| match &r.scope {
                Scope::Node(name) => Some(name.clone()),
                _ => None,
            })
            .collect();
        if self.skip_mirror_pods {
            return collected;
        }
        let mut mirror = MirrorPods::new(&collected.resources, &nodes_with_data, &self.cluster);
        let describe = mirror.describe();
        while let Some(batch) = mirror.next_batch() {
            observe(&describe, &batch);
            collected.mirrored += batch.resources.len();
            collected.add(batch);
        }
        collected
    }
}
