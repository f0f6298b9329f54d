//! Helpers shared by the CLI integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use kspm_engine::{Evaluator, RuleBundle, ScanContext};
use kspm_model::{ClusterInfo, Finding, Resource};

/// `../shared` next to the workspace, when present. Suites that need it call this and return
/// early (saying they were not run) when it is absent, unless KSPM_REQUIRE_SHARED=1 (set by
/// .ci/run), where its absence is a failure.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    if dir.is_dir() {
        return Some(dir.canonicalize().expect("canonical shared dir"));
    }
    if std::env::var("KSPM_REQUIRE_SHARED").as_deref() == Ok("1") {
        panic!("../shared is missing but KSPM_REQUIRE_SHARED=1: this suite must run");
    }
    eprintln!("NOT RUN: ../shared is not present next to the workspace");
    None
}

/// Reads paths (collect) into resources of one test cluster, with the scan context to
/// evaluate them in, as `kspm scan` does.
pub fn load(
    paths: &[PathBuf],
    benchmark: &str,
) -> (Vec<Resource>, ScanContext, kspm_collect::offline::Loaded) {
    let mut loaded = kspm_collect::offline::load(paths, Default::default());
    let cluster = ClusterInfo {
        id: "test".into(),
        name: "test".into(),
        ..Default::default()
    };
    let resources: Vec<Resource> = loaded
        .objects
        .drain(..)
        .map(|o| {
            let mut r = Resource::k8s_compact(o.object, o.raw, cluster.clone());
            r.origin = Some(kspm_model::Origin::File(o.origin));
            r
        })
        .collect();
    // 2026-01-01T00:00:00Z.
    let ctx = ScanContext::new(cluster, 1_767_225_600).with_benchmarks(selected(benchmark));
    (resources, ctx, loaded)
}

/// Scans paths through the library (collect → evaluate).
pub fn scan(paths: &[PathBuf], benchmark: &str) -> (Vec<Finding>, kspm_collect::offline::Loaded) {
    let mut bundle = RuleBundle::embedded().expect("bundle");
    bundle.retain_benchmarks(&selected(benchmark));
    let evaluator = Evaluator::new(bundle).expect("bundle compiles");
    let (resources, ctx, loaded) = load(paths, benchmark);
    (evaluator.evaluate(resources, &ctx).findings, loaded)
}

/// `all` as every benchmark, else the one named.
fn selected(benchmark: &str) -> Vec<String> {
    match benchmark {
        "all" => Vec::new(),
        one => vec![one.to_owned()],
    }
}

/// Path of the built `kspm` binary.
pub fn kspm() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_kspm"))
}
