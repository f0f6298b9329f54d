//! Live-cluster benchmark: `kspm scan --kubeconfig` against the loopback Kubernetes API server
//! (kspm-kube-fake, HTTPS, paged LIST at the API server's default page size of 500) serving a
//! synthetic cluster. It prints, per size and output, the wall time of the whole scan
//! (discovery, paged LIST of every kind the rules read, evaluation, output), findings per
//! second and the scan's own peak RSS; the API server runs in this bench's process, so its
//! memory is not counted.
//!
//! Run: `cargo bench -p kspm-cli --bench live`. Environment: KSPM_BENCH_PODS (comma list,
//! default 1000,10000), KSPM_BENCH_RUNS (default 3), KSPM_BENCH_OUTPUTS (default table,json),
//! KSPM_BENCH_SHAPES (default complete,without-replicasets).
//! Target (issue 10): a cluster pass over 10,000 pods under 250 MB peak RSS.

#[allow(dead_code)] // shared with the other benches
mod common;

use kspm_fixtures::cluster::{Shape, cluster};
use kspm_kube_fake::FakeApiServer;

fn main() {
    if let Ok(spec) = std::env::var(common::MEASURE_SCAN) {
        return common::measure_scan_child(&spec);
    }
    let sizes = common::list("KSPM_BENCH_PODS", "1000,10000");
    let outputs = common::list("KSPM_BENCH_OUTPUTS", "table,json");
    let shapes = common::list("KSPM_BENCH_SHAPES", "complete,without-replicasets");
    let runs = common::env_or("KSPM_BENCH_RUNS", 3).max(1);
    println!(
        "kspm live-scan benchmark ({} cores, {runs} runs each)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let dir = tempfile::tempdir().expect("temporary directory");
    for shape in &shapes {
        println!("\nshape: {shape}");
        let shape_value = match shape.as_str() {
            "complete" => Shape::Complete,
            "without-replicasets" => Shape::WithoutReplicaSets,
            other => panic!("unknown shape {other}"),
        };
        for size in &sizes {
            let pods: usize = size.parse().expect("KSPM_BENCH_PODS holds numbers");
            let items = cluster(pods, 5, shape_value)["items"]
                .as_array()
                .expect("a List")
                .clone();
            let objects = items.len();
            let server = FakeApiServer::builder()
                .version("v1.34.2")
                .objects(items)
                .start()
                .expect("start the loopback API server");
            let kubeconfig = dir.path().join(format!("config-{shape}-{pods}"));
            server
                .write_kubeconfig(&kubeconfig, "bench")
                .expect("write the kubeconfig");
            println!("  {pods} pods: {objects} objects served");
            for output in &outputs {
                let mut measured: Vec<common::Run> = (0..runs)
                    .map(|_| {
                        common::measure_scan(&[
                            "--output",
                            output,
                            "--kubeconfig",
                            kubeconfig.to_str().expect("UTF-8 path"),
                        ])
                    })
                    .collect();
                measured.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
                let best = &measured[0];
                let median = &measured[measured.len() / 2];
                let peak = measured.iter().map(|r| r.peak_mb).fold(0.0, f64::max);
                let findings = common::footer_findings(&best.tail);
                let rate = if findings > 0 {
                    format!("{:.0} findings/s", findings as f64 / best.seconds)
                } else {
                    format!("{:.1} MB written", best.bytes as f64 / 1e6)
                };
                println!(
                    "    -o {output:<6} {:.3} s best, {:.3} s median ({:.2} s CPU); {rate}; peak RSS {peak:.1} MB",
                    best.seconds, median.seconds, best.cpu
                );
                if findings > 0 {
                    println!("      findings: {findings}");
                }
            }
            // The agent's leader cycle on the same cluster (`--once --no-node`), its findings
            // spooled because no server answers: the cycle's own peak memory.
            let spool = dir.path().join(format!("spool-{shape}-{pods}"));
            let agent = common::measure_kspm(&[
                "agent",
                "--once",
                "--no-node",
                "--kubeconfig",
                kubeconfig.to_str().expect("UTF-8 path"),
                "--lease-namespace",
                "default",
                "--server",
                "http://127.0.0.1:9",
                "--token",
                "bench-write-token-0123456789",
                "--listen",
                "127.0.0.1:0",
                "--spool-dir",
                spool.to_str().expect("UTF-8 path"),
                "--spool-size",
                "4096",
            ]);
            println!(
                "    agent --once --no-node (findings spooled): {:.3} s ({:.2} s CPU); peak RSS {:.1} MB",
                agent.seconds, agent.cpu, agent.peak_mb
            );
            let lists = server
                .requests()
                .iter()
                .filter(|r| r.method == "GET" && r.param("limit").is_some())
                .count();
            println!("    LIST requests over all runs: {lists}");
        }
    }
}
