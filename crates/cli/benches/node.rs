//! Node-scan benchmark: the KubeadmControlPlane fixture host root (written to a temp dir),
//! scanned by the release binary as `kspm scan --host-root DIR -o ndjson --fail-on none`.
//! Prints best and median wall time of the whole child process (start-up, rule compilation,
//! collection, evaluation, output) and the child's peak RSS.
//!
//! Run: `cargo bench -p kspm-cli --bench node` (KSPM_BENCH_RUNS overrides the default of 10
//! runs). Targets: under 100 ms, under 30 MB.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

#[allow(dead_code)] // shared with the scan benches
mod common;
use common::{env_or, peak_rss_mb, print_child_rss};

use kspm_fixtures::node::{self as fixture, Fixture};

const TARGET_MS: f64 = 100.0;
const TARGET_MB: f64 = 30.0;

fn scan_command(exe: &Path, root: &Path) -> Command {
    let mut c = Command::new(exe);
    c.args(["scan", "--host-root"])
        .arg(root)
        .args(["-o", "ndjson", "--fail-on", "none"]);
    c
}

/// The scan's own `-v` figure ("scan done in X s": collect, evaluate, write), best of 3; the
/// rest of the wall time is start-up (loading and compiling the rule bundle).
fn in_scan_ms(exe: &Path, root: &Path) -> Option<f64> {
    (0..3)
        .filter_map(|_| {
            let out = scan_command(exe, root).arg("-v").output().ok()?;
            let log = String::from_utf8_lossy(&out.stderr);
            let rest = &log[log.find("scan done in ")? + "scan done in ".len()..];
            let secs: f64 = rest.split(' ').next()?.parse().ok()?;
            Some(secs * 1000.0)
        })
        .min_by(f64::total_cmp)
}

fn main() {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_kspm"));
    if let Ok(root) = std::env::var(common::MEASURE_RSS) {
        return print_child_rss(scan_command(&exe, Path::new(&root)));
    }
    let runs = env_or("KSPM_BENCH_RUNS", 10).max(1);
    let root = std::env::temp_dir().join(format!("kspm-bench-node-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    fixture::write(Fixture::KubeadmControlPlane, &root).expect("write the fixture");

    let out = scan_command(&exe, &root).output().expect("run kspm scan");
    assert!(
        out.status.success(),
        "kspm scan failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let findings = out.stdout.iter().filter(|&&b| b == b'\n').count();
    let in_scan_ms = in_scan_ms(&exe, &root);

    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let status = scan_command(&exe, &root)
            .stdout(Stdio::null())
            .status()
            .expect("run kspm scan");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(status.success(), "kspm scan failed: {status}");
    }
    let peak_mb = peak_rss_mb(&root);
    let _ = std::fs::remove_dir_all(&root);

    times.sort_by(f64::total_cmp);
    let best = times[0];
    let median = times[times.len() / 2];
    let verdict = |ok: bool| if ok { "ok" } else { "OVER TARGET" };
    println!(
        "kspm node scan benchmark ({} cores)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "  node:      {} fixture, {findings} findings",
        Fixture::KubeadmControlPlane.slug()
    );
    println!(
        "  wall time: {best:.1} ms best, {median:.1} ms median of {runs} (target < {TARGET_MS} ms: {})",
        verdict(median < TARGET_MS)
    );
    match in_scan_ms {
        Some(ms) => println!(
            "  of which:  {ms:.1} ms from reading the node to the written report, rule compilation included (kspm -v, best of 3)"
        ),
        None => println!("  of which:  n/a (no `scan done in` line in kspm -v output)"),
    }
    println!(
        "  peak RSS:  {peak_mb:.1} MB (the scan process alone; target < {TARGET_MB} MB: {})",
        verdict(peak_mb < TARGET_MB)
    );
}
