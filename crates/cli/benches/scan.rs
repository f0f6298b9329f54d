//! Full-scan benchmark: synthetic cluster snapshots (`kspm synth`) scanned by the release
//! binary, in two shapes:
//!
//! - `without-replicasets` (as `kubectl get pods,deploy,… -A -o json` without `rs`): the pods'
//!   controllers are not in the input, so every pod is evaluated (about 27 findings per pod);
//! - `complete`: ReplicaSets present, so their pods are judged once, on the Deployment;
//! - `yaml-documents`: the `without-replicasets` objects as one multi-document YAML file in
//!   block style (`---` between objects, as Helm and `kubectl` write them), read document by
//!   document instead of as one `kind: List`.
//!
//! For each shape, size and output format it prints the wall time (best and median), findings
//! per second, the scan's peak RSS and the bytes written, then how peak RSS grows with the
//! input. Each run is a child process measured by a re-executed copy of this bench, so its
//! peak RSS is its own.
//!
//! Run: `cargo bench -p kspm-cli --bench scan`. Environment: KSPM_BENCH_PODS (comma list,
//! default 1000,10000,50000), KSPM_BENCH_RUNS (default 3), KSPM_BENCH_OUTPUTS (default
//! table,json), KSPM_BENCH_SHAPES (default without-replicasets,complete; add yaml-documents:
//! `KSPM_BENCH_SHAPES=yaml-documents KSPM_BENCH_PODS=100000 KSPM_BENCH_OUTPUTS=table`).
//! Targets (DESIGN §9, on 10,000 pods): table under 1.5 s, JSON under 2.5 s, each under 250 MB.

use std::path::PathBuf;
use std::process::Command;

#[allow(dead_code)] // shared with the other benches
mod common;

fn main() {
    if let Ok(spec) = std::env::var(common::MEASURE_SCAN) {
        return common::measure_scan_child(&spec);
    }
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_kspm"));
    let sizes = common::list("KSPM_BENCH_PODS", "1000,10000,50000");
    let outputs = common::list("KSPM_BENCH_OUTPUTS", "table,json");
    let shapes = common::list("KSPM_BENCH_SHAPES", "without-replicasets,complete");
    let runs = common::env_or("KSPM_BENCH_RUNS", 3).max(1);
    println!(
        "kspm scan benchmark ({} cores, {runs} runs each)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    for shape in &shapes {
        let mut growth: Vec<(f64, f64, f64)> = Vec::new();
        println!("\nshape: {shape}");
        for size in &sizes {
            let pods: usize = size.parse().expect("KSPM_BENCH_PODS holds numbers");
            let file = std::env::temp_dir().join(format!(
                "kspm-bench-{shape}-{pods}-{}.json",
                std::process::id()
            ));
            let mut synth = Command::new(&exe);
            synth.args(["synth", "--pods", &pods.to_string()]);
            if shape == "without-replicasets" || shape == "yaml-documents" {
                synth.arg("--without-replicasets");
            }
            let out = synth.output().expect("run kspm synth");
            assert!(out.status.success(), "kspm synth failed");
            let file = if shape == "yaml-documents" {
                let file = file.with_extension("yaml");
                std::fs::write(&file, yaml_documents(&out.stdout)).expect("write documents");
                file
            } else {
                std::fs::write(&file, &out.stdout).expect("write snapshot");
                file
            };
            let loaded =
                kspm_collect::offline::load(std::slice::from_ref(&file), Default::default());
            let objects = loaded.objects.len();
            drop(loaded);
            println!(
                "  {pods} pods: {objects} objects, {:.1} MB",
                std::fs::metadata(&file).map_or(0, |m| m.len()) as f64 / 1e6
            );
            let mut findings = 0u64;
            for output in &outputs {
                let mut measured: Vec<common::Run> = (0..runs)
                    .map(|_| {
                        common::measure_scan(&[
                            "--output",
                            output,
                            file.to_str().expect("UTF-8 path"),
                        ])
                    })
                    .collect();
                if output == "table" {
                    findings = common::footer_findings(&measured[0].tail);
                }
                measured.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
                let best = &measured[0];
                let median = &measured[measured.len() / 2];
                let peak = measured.iter().map(|r| r.peak_mb).fold(0.0, f64::max);
                let rate = if findings > 0 {
                    format!("{:.0} findings/s", findings as f64 / best.seconds)
                } else {
                    "findings/s n/a (add table to KSPM_BENCH_OUTPUTS)".into()
                };
                println!(
                    "    -o {output:<6} {:.3} s best, {:.3} s median ({:.2} s CPU); {rate}; peak RSS {peak:.1} MB; {:.1} MB written",
                    best.seconds,
                    median.seconds,
                    best.cpu,
                    best.bytes as f64 / 1e6
                );
                if output == "table" {
                    growth.push((objects as f64, findings as f64, peak));
                }
            }
            if findings > 0 {
                println!("    findings: {findings}");
            }
            let _ = std::fs::remove_file(&file);
        }
        if growth.len() >= 2 {
            let (first, last) = (growth[0], growth[growth.len() - 1]);
            let per_object = (last.2 - first.2) / (last.0 - first.0) * 1000.0;
            let per_finding = (last.2 - first.2) / (last.1 - first.1) * 1000.0;
            println!(
                "  peak RSS (table) grows {per_object:.2} MB per 1,000 objects ({per_finding:.3} MB per 1,000 findings)"
            );
        }
    }
}

/// A `kind: List` (JSON) as a multi-document YAML stream in block style, one object each.
fn yaml_documents(list: &[u8]) -> String {
    let list: serde_json::Value = serde_json::from_slice(list).expect("synth writes JSON");
    let mut out = String::new();
    for item in list["items"].as_array().expect("a List") {
        out.push_str("---\n");
        block(item, 0, &mut out);
    }
    out
}

/// Writes `value` as block YAML at `indent`: mappings and sequences one entry a line, scalars
/// as JSON (a JSON string is a valid double-quoted YAML scalar).
fn block(value: &serde_json::Value, indent: usize, out: &mut String) {
    use serde_json::Value;
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                out.push_str(&format!("{pad}{}:", serde_json::to_string(k).unwrap()));
                nested(v, indent + 2, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for v in items {
                out.push_str(&format!("{pad}-"));
                nested(v, indent + 2, out);
            }
        }
        scalar => out.push_str(&format!("{pad}{scalar}\n")),
    }
}

fn nested(value: &serde_json::Value, indent: usize, out: &mut String) {
    let empty_or_scalar = match value {
        serde_json::Value::Object(m) => m.is_empty(),
        serde_json::Value::Array(a) => a.is_empty(),
        _ => true,
    };
    if empty_or_scalar {
        out.push_str(&format!(" {value}\n"));
    } else {
        out.push('\n');
        block(value, indent, out);
    }
}
