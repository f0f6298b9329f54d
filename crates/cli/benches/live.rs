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

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

#[allow(dead_code)] // shared with the other benches
mod common;

use kspm_fixtures::cluster::{Shape, cluster};
use kspm_kube_fake::FakeApiServer;
use nix::sys::resource::{UsageWho, getrusage};

/// The variable that makes the re-executed bench measure one scan: `output\x1fkubeconfig`.
const MEASURE: &str = "KSPM_BENCH_MEASURE_LIVE";

fn main() {
    if let Ok(spec) = std::env::var(MEASURE) {
        return measure_child(&spec);
    }
    let sizes = list("KSPM_BENCH_PODS", "1000,10000");
    let outputs = list("KSPM_BENCH_OUTPUTS", "table,json");
    let shapes = list("KSPM_BENCH_SHAPES", "complete,without-replicasets");
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
                let mut measured: Vec<Run> =
                    (0..runs).map(|_| measure(output, &kubeconfig)).collect();
                measured.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
                let best = &measured[0];
                let median = &measured[measured.len() / 2];
                let peak = measured.iter().map(|r| r.peak_mb).fold(0.0, f64::max);
                let findings = footer_findings(&best.tail);
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
            let lists = server
                .requests()
                .iter()
                .filter(|r| r.method == "GET" && r.param("limit").is_some())
                .count();
            println!("    LIST requests over all runs: {lists}");
        }
    }
}

/// One measured scan.
struct Run {
    seconds: f64,
    /// User + system CPU seconds of the scan (steadier than wall time on a busy machine).
    cpu: f64,
    peak_mb: f64,
    bytes: u64,
    tail: String,
}

/// A comma list from the environment.
fn list(name: &str, default: &str) -> Vec<String> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_owned())
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Runs one scan in a re-executed copy of this bench (so the scan is its only child and its
/// peak RSS is the scan's own) and reads what it measured.
fn measure(output: &str, kubeconfig: &Path) -> Run {
    let spec = format!("{output}\x1f{}", kubeconfig.display());
    let out = Command::new(std::env::current_exe().expect("own path"))
        .env(MEASURE, spec)
        .output()
        .expect("re-execute the bench");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.splitn(5, '\n');
    let mut next = || lines.next().unwrap_or_default().trim().to_owned();
    let seconds = next().parse().unwrap_or(f64::NAN);
    let peak_kib: f64 = next().parse().unwrap_or(f64::NAN);
    let bytes = next().parse().unwrap_or(0);
    let cpu = next().parse().unwrap_or(f64::NAN);
    Run {
        seconds,
        cpu,
        peak_mb: peak_kib / 1024.0,
        bytes,
        tail: lines.next().unwrap_or_default().to_owned(),
    }
}

/// In the re-executed bench: one live scan; prints seconds, peak RSS (KiB), bytes written and
/// the output's last lines.
fn measure_child(spec: &str) {
    let (output, kubeconfig) = spec.split_once('\x1f').expect("output and kubeconfig");
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_kspm"));
    let started = Instant::now();
    let mut child = Command::new(exe)
        .args(["scan", "--fail-on", "none", "--output", output])
        .args(["--kubeconfig", kubeconfig])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run kspm scan");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut buf = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    let mut tail: Vec<u8> = Vec::new();
    loop {
        let n = stdout.read(&mut buf).expect("read the scan's output");
        if n == 0 {
            break;
        }
        bytes += n as u64;
        tail.extend_from_slice(&buf[..n]);
        if tail.len() > 4096 {
            tail.drain(..tail.len() - 4096);
        }
    }
    let status = child.wait().expect("wait for kspm scan");
    let seconds = started.elapsed().as_secs_f64();
    assert!(status.success(), "kspm scan failed: {status}");
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN).expect("getrusage");
    let rss = usage.max_rss();
    let cpu = [usage.user_time(), usage.system_time()]
        .iter()
        .map(|t| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6)
        .sum::<f64>();
    println!(
        "{seconds}\n{rss}\n{bytes}\n{cpu}\n{}",
        String::from_utf8_lossy(&tail)
    );
}

/// Findings counted by the table's footer (failed + passed + manual + error).
fn footer_findings(tail: &str) -> u64 {
    let Some(line) = tail.lines().find(|l| l.starts_with("Findings: ")) else {
        return 0;
    };
    line.trim_start_matches("Findings: ")
        .split(", ")
        .filter(|part| !part.ends_with("not applicable"))
        .filter_map(|part| part.split(' ').next()?.parse::<u64>().ok())
        .sum()
}
