//! Full-scan benchmark: a synthetic 10,000-pod cluster snapshot (`kspm synth`), scanned by the
//! release binary. Prints wall time, objects/s and peak RSS of the scan, and the parse-only
//! time of the same file so the scan/parse ratio is visible.
//!
//! Run: `cargo bench -p kspm-cli --bench scan` (KSPM_BENCH_PODS and KSPM_BENCH_RUNS override
//! the defaults of 10000 pods and 3 runs). Targets (DESIGN §9): under 2 s, under 300 MB.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

mod common;
use common::{env_or, peak_rss_mb, print_child_rss};

fn main() {
    if let Ok(file) = std::env::var(common::MEASURE_RSS) {
        let mut scan = Command::new(env!("CARGO_BIN_EXE_kspm"));
        scan.args(["scan", "--output", "ndjson", "--fail-on", "none", &file]);
        return print_child_rss(scan);
    }
    let pods = env_or("KSPM_BENCH_PODS", 10_000);
    let runs = env_or("KSPM_BENCH_RUNS", 3).max(1);
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_kspm"));
    let file = std::env::temp_dir().join(format!("kspm-bench-{pods}-{}.json", std::process::id()));

    let out = Command::new(&exe)
        .args(["synth", "--pods", &pods.to_string()])
        .output()
        .expect("run kspm synth");
    assert!(out.status.success(), "kspm synth failed");
    std::fs::write(&file, &out.stdout).expect("write snapshot");
    let size_mb = out.stdout.len() as f64 / 1e6;

    // Parse only, in this process: read + YAML/JSON + list unwrapping + sanitising.
    let mut parse_best = f64::MAX;
    let mut objects = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let loaded = kspm_collect::offline::load(std::slice::from_ref(&file), Default::default());
        parse_best = parse_best.min(t.elapsed().as_secs_f64());
        objects = loaded.objects.len();
    }

    // Full scan, in a child process, so its peak RSS is its own.
    let mut scan_times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let status = Command::new(&exe)
            .args(["scan", "--output", "ndjson", "--fail-on", "none"])
            .arg(&file)
            .stdout(Stdio::null())
            .status()
            .expect("run kspm scan");
        scan_times.push(t.elapsed().as_secs_f64());
        assert!(status.success(), "kspm scan failed: {status}");
    }
    let findings = Command::new(&exe)
        .args(["scan", "--output", "ndjson", "--fail-on", "none"])
        .arg(&file)
        .output()
        .map(|o| o.stdout.iter().filter(|&&b| b == b'\n').count())
        .unwrap_or(0);
    let peak_mb = peak_rss_mb(&file);
    let _ = std::fs::remove_file(&file);

    scan_times.sort_by(f64::total_cmp);
    let best = scan_times[0];
    let median = scan_times[scan_times.len() / 2];
    println!(
        "kspm scan benchmark ({} cores)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("  snapshot:        {pods} pods, {objects} objects, {size_mb:.1} MB JSON");
    println!("  findings:        {findings}");
    println!("  parse only:      {:.3} s (best of {runs})", parse_best);
    println!("  full scan:       {best:.3} s best, {median:.3} s median of {runs} (target < 2 s)");
    println!("  throughput:      {:.0} objects/s", objects as f64 / best);
    println!("  scan / parse:    {:.1}x", best / parse_best);
    println!("  peak RSS:        {peak_mb:.1} MB (the scan process alone; target < 300 MB)");
}
