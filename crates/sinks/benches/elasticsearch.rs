//! The Elasticsearch sink on this machine: findings per second shipped to the loopback
//! Elasticsearch of `kspm-es-fake` (which parses every document and checks it against the
//! template's mappings, but keeps no sources), and the peak memory of the process while a
//! cluster outage makes it spool a million findings to disk.
//!
//! `cargo bench -p kspm-sinks --bench elasticsearch` (release). `KSPM_BENCH_SHIP` (default
//! 200,000) and `KSPM_BENCH_SPOOL` (default 1,000,000) set the numbers of findings.

#[path = "../src/fixtures.rs"]
mod fixtures;

use std::time::{Duration, Instant};

use fixtures::{Target as FixtureTarget, finding, rule};
use kspm_es_fake::{DEFAULT_PASSWORD, FakeElasticsearch};
use kspm_model::{ClusterInfo, Finding, Outcome, ResourceFindings, Scope};
use kspm_sinks::elasticsearch::{
    Credentials, ElasticsearchConfig, ElasticsearchSink, Secret, SpoolConfig,
};
use kspm_sinks::retry::Backoff;
use kspm_sinks::{RunInfo, RunSummary, Sink};
use serde_json::json;

fn count(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Findings `from..to` of one cycle, one per pod, built as they are needed so that the
/// generator's memory stays flat.
fn window(from: usize, to: usize) -> Vec<ResourceFindings> {
    let rule = rule("bench_rule", "cis_k8s", "5.2.2", "Bench rule", "Pods");
    (from..to)
        .map(|i| {
            let outcome = if i % 3 == 0 {
                Outcome::Failed
            } else {
                Outcome::Passed
            };
            let mut f: Finding = finding(
                &rule,
                &FixtureTarget::object("Pod", Some("bench"), &format!("pod-{i}")),
                outcome,
                json!({"container": "app", "privileged": i % 3 == 0}),
            );
            f.event.sequence = 1_700_000_000;
            ResourceFindings {
                scope: Scope::Cluster,
                findings: vec![f],
            }
        })
        .collect()
}

fn run(
    sink: &mut ElasticsearchSink,
    n: usize,
) -> Result<kspm_sinks::Delivery, kspm_sinks::SinkError> {
    let cluster = ClusterInfo {
        id: fixtures::CLUSTER_ID.into(),
        name: "bench".into(),
        version: None,
        platform: None,
    };
    sink.begin(&RunInfo {
        tool_version: "bench",
        cluster: &cluster,
        started_at: 1_700_000_000,
        rules: &[],
        input_errors: &[],
        scopes: &[Scope::Cluster],
    })?;
    let mut at = 0;
    while at < n {
        let to = (at + 256).min(n);
        sink.write(&window(at, to))?;
        at = to;
    }
    sink.finish(&RunSummary::default())
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn config(url: String) -> ElasticsearchConfig {
    ElasticsearchConfig {
        credentials: Credentials::Basic {
            username: "elastic".into(),
            password: Secret::new(DEFAULT_PASSWORD),
        },
        backoff: Backoff {
            attempts: 1,
            initial: Duration::ZERO,
            max: Duration::ZERO,
        },
        ..ElasticsearchConfig::new(url)
    }
}

fn main() {
    let spool_n = count("KSPM_BENCH_SPOOL", 1_000_000);
    let ship_n = count("KSPM_BENCH_SHIP", 200_000);

    // Spooling first, so that the high-water mark is the spooling one.
    let before = peak_rss_mb();
    let dir = tempfile::tempdir().unwrap();
    let mut down = FakeElasticsearch::builder().start().unwrap();
    let mut spooling = config(down.url());
    down.stop();
    spooling.spool = Some(SpoolConfig {
        dir: dir.path().to_path_buf(),
        max_bytes: 64 << 30,
    });
    let mut sink = ElasticsearchSink::new(spooling).unwrap();
    let started = Instant::now();
    let outcome = run(&mut sink, spool_n);
    let elapsed = started.elapsed();
    let spooled_bytes: u64 = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    assert!(
        outcome.is_err(),
        "the cluster is down: the run ends with findings spooled"
    );
    println!(
        "spool: {spool_n} findings while the cluster is down in {:.2} s ({:.0} findings/s), {} batches, {:.0} MB on disk; peak RSS {:.0} MB (before: {:.0} MB)",
        elapsed.as_secs_f64(),
        spool_n as f64 / elapsed.as_secs_f64(),
        sink.spooled(),
        spooled_bytes as f64 / 1e6,
        peak_rss_mb(),
        before
    );
    drop(sink);
    drop(dir);

    let es = FakeElasticsearch::builder()
        .store_sources(false)
        .start()
        .unwrap();
    let mut sink = ElasticsearchSink::new(config(es.url())).unwrap();
    let started = Instant::now();
    let delivered = run(&mut sink, ship_n).unwrap();
    let elapsed = started.elapsed();
    println!(
        "ship: {} findings in {} bulk requests of 1,000 to the loopback Elasticsearch in {:.2} s: {:.0} findings/s",
        delivered.findings,
        delivered.batches,
        elapsed.as_secs_f64(),
        delivered.findings as f64 / elapsed.as_secs_f64()
    );
    let spool_dir = tempfile::tempdir().unwrap();
    let mut spooled = config(es.url());
    spooled.spool = Some(SpoolConfig {
        dir: spool_dir.path().to_path_buf(),
        max_bytes: 8 << 30,
    });
    let mut sink = ElasticsearchSink::new(spooled).unwrap();
    let started = Instant::now();
    let delivered = run(&mut sink, ship_n).unwrap();
    let elapsed = started.elapsed();
    println!(
        "ship through the spool: {} findings in {:.2} s: {:.0} findings/s",
        delivered.findings,
        elapsed.as_secs_f64(),
        delivered.findings as f64 / elapsed.as_secs_f64()
    );
}
