//! Rule-cost benchmark: what each rule of the default benchmarks costs on the synthetic snapshot
//! without controllers (`kspm synth --without-replicasets`), where every pod is evaluated.
//!
//! Everything runs in this process on one thread, so the figures are CPU time and comparable
//! between rules. For each rule routed to the snapshot, an evaluator holding that rule alone
//! evaluates the whole snapshot; its cost is that time minus the time of an evaluator without
//! rules. That includes the
//! rule's VM calls, the library rules it uses (computed again for it alone) and building its
//! findings; the setup (the engine's values, replica groups, inventory) is timed by the engine
//! and left out. The bench then evaluates all rules together: less than the sum, because rules
//! evaluated on one object share the library rules they read.
//!
//! Use it to find the rules worth rewriting, and to compare two versions of one rule (each run
//! is the best of KSPM_BENCH_RUNS, default 3). Run: `cargo bench -p kspm-cli --bench rules`;
//! KSPM_BENCH_PODS (default 2000) sizes the snapshot, KSPM_BENCH_RULES (comma list of rule
//! ids) limits the rules measured alone.

use std::path::PathBuf;
use std::time::Instant;

use kspm_collect::offline::LoadOptions;
use kspm_collect::source::{Manifests, Source};
use kspm_engine::{Evaluator, RuleBundle, ScanContext};
use kspm_fixtures::cluster::{Shape, write};
use kspm_model::{ClusterInfo, Resource};

#[allow(dead_code)] // shared with the other benches
mod common;

/// The benchmarks a scan of a snapshot of unknown platform selects.
const BENCHMARKS: [&str; 2] = ["cis_k8s", "pss"];

fn main() {
    let pods = common::env_or("KSPM_BENCH_PODS", 2000);
    let runs = common::env_or("KSPM_BENCH_RUNS", 3).max(1);
    let only = common::list("KSPM_BENCH_RULES", "");
    let resources = snapshot(pods);
    let mut bundle = RuleBundle::embedded().expect("embedded bundle");
    let selected: Vec<String> = BENCHMARKS.iter().map(|b| b.to_string()).collect();
    bundle.retain_benchmarks(&selected);
    bundle.retain_routed(&resources, &[]);
    let ctx = ScanContext::new(ClusterInfo::default(), 1_700_000_000).with_benchmarks(selected);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread pool");
    pool.install(|| {
        println!(
            "kspm rule-cost benchmark: {pods} pods without controllers, {} objects, {} rules routed to them; one thread, best of {runs}",
            resources.len(),
            bundle.rules.len()
        );
        let baseline = time(&without_rules(&bundle), &resources, &ctx, runs);
        println!(
            "  setup of an evaluation (values, replica groups, inventory): {:.1} ms; without rules it then takes {:.1} ms more",
            baseline.setup * 1e3,
            baseline.seconds * 1e3
        );
        let all = time(
            &Evaluator::new(bundle.clone()).expect("bundle compiles"),
            &resources,
            &ctx,
            runs,
        );
        let mut rows = Vec::new();
        for rule in &bundle.rules {
            if !only.is_empty() && !only.contains(&rule.meta.id) {
                continue;
            }
            let mut alone = bundle.clone();
            alone.rules.retain(|r| r.meta.id == rule.meta.id);
            let evaluator = Evaluator::new(alone).expect("bundle compiles");
            let run = time(&evaluator, &resources, &ctx, runs);
            let cost = (run.seconds - baseline.seconds).max(0.0);
            let kinds = rule.meta.applies_to.sub_types.join(",");
            rows.push((rule.meta.id.clone(), kinds, run.objects, cost));
        }
        rows.sort_by(|a, b| b.3.total_cmp(&a.3));
        println!(
            "  {:<44} {:>8} {:>10} {:>12}",
            "rule (alone)", "objects", "ms", "µs/object"
        );
        let mut sum = 0.0;
        for (id, kinds, objects, cost) in &rows {
            sum += cost;
            // Below a millisecond, a rule's cost is lost in the run-to-run noise.
            let (total, per) = if *cost < 1e-3 {
                ("< 1".to_owned(), "-".to_owned())
            } else if *objects > 0 {
                (
                    format!("{:.1}", cost * 1e3),
                    format!("{:.1}", cost * 1e6 / *objects as f64),
                )
            } else {
                (format!("{:.1}", cost * 1e3), "-".to_owned())
            };
            let kinds = if kinds.len() > 30 {
                "workloads".to_owned()
            } else {
                kinds.clone()
            };
            println!("  {id:<44} {objects:>8} {total:>10} {per:>12}   {kinds}");
        }
        println!(
            "  all rules together: {:.1} ms beyond setup ({} findings); the rules alone add up to {:.1} ms",
            (all.seconds - baseline.seconds) * 1e3,
            all.findings,
            sum * 1e3
        );
    });
}

/// The snapshot's resources, read as `kspm scan FILE` reads them.
fn snapshot(pods: usize) -> Vec<Resource> {
    let file: PathBuf = std::env::temp_dir().join(format!(
        "kspm-bench-rules-{pods}-{}.json",
        std::process::id()
    ));
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file).expect("create snapshot"));
    write(pods, 1, Shape::WithoutReplicaSets, &mut out).expect("write snapshot");
    drop(out);
    let mut source = Manifests::new(
        std::slice::from_ref(&file),
        LoadOptions::default(),
        ClusterInfo::default(),
    );
    let mut resources = Vec::new();
    while let Some(batch) = source.next_batch() {
        assert!(batch.diagnostics.is_empty(), "{:?}", batch.diagnostics);
        resources.extend(batch.resources);
    }
    let _ = std::fs::remove_file(&file);
    resources
}

/// The evaluator of a bundle without rules: what every evaluation costs before its first rule.
fn without_rules(bundle: &RuleBundle) -> Evaluator {
    let mut empty = bundle.clone();
    empty.rules.clear();
    Evaluator::new(empty).expect("the library compiles")
}

struct Run {
    /// The evaluation after its setup.
    seconds: f64,
    setup: f64,
    /// Objects with at least one finding.
    objects: usize,
    findings: usize,
}

/// The best of `runs` evaluations of the snapshot.
fn time(evaluator: &Evaluator, resources: &[Resource], ctx: &ScanContext, runs: usize) -> Run {
    let mut best: Option<Run> = None;
    for _ in 0..runs {
        let input = resources.to_vec();
        let start = Instant::now();
        let evaluation = evaluator.evaluate(input, ctx);
        // The rules and their findings, without the setup every evaluation pays.
        let seconds = (start.elapsed() - evaluation.setup).as_secs_f64();
        let objects = count_objects(&evaluation.findings);
        let run = Run {
            seconds,
            setup: evaluation.setup.as_secs_f64(),
            objects,
            findings: evaluation.findings.len(),
        };
        drop(evaluation);
        if best.as_ref().is_none_or(|b| run.seconds < b.seconds) {
            best = Some(run);
        }
    }
    best.expect("at least one run")
}

/// Distinct resources among the findings.
fn count_objects(findings: &[kspm_model::Finding]) -> usize {
    let mut ids: Vec<&str> = findings.iter().map(|f| f.resource.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    ids.len()
}
