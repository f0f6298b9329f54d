//! `kspm scan`: offline evaluation of manifests and snapshots.

use std::io::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::BTreeSet;
use std::path::PathBuf;

use kspm_collect::node::NodeOptions;
use kspm_collect::offline::{LoadOptions, load};
use kspm_collect::{Diagnostic, Severity};
use kspm_engine::{Evaluator, ScanContext};
use kspm_model::{ClusterInfo, Outcome, Resource, cluster_id_from_name, rfc3339};

use crate::cli::{Exit, FailOn, OutputFormat, ScanArgs, load_bundle};

pub fn run(args: ScanArgs) -> anyhow::Result<Exit> {
    let progress = spinner();
    let started = std::time::Instant::now();
    progress.set_message("reading inputs");
    let cluster = ClusterInfo {
        id: cluster_id_from_name(&args.cluster_name),
        name: args.cluster_name.clone(),
        version: None,
        platform: None,
    };
    let inputs = Inputs {
        paths: args.paths.clone(),
        host_roots: args.host_root.clone(),
        node_name: args.node_name.clone(),
        max_file_size: args.max_file_size.saturating_mul(1024 * 1024),
    };
    let (resources, diagnostics) = gather(&inputs, &cluster);
    tracing::debug!(
        "loaded {} objects in {:.3} s",
        resources.len(),
        started.elapsed().as_secs_f64()
    );
    progress.set_message("compiling rules");
    let mut bundle = load_bundle(&args.rules)?;
    bundle.retain_benchmark(args.benchmark.id());
    // Only the rules these resources are routed to: a node scan skips compiling the rest.
    bundle.retain_routed(&resources);
    let evaluator = Evaluator::new(bundle).context("compiling the rule bundle")?;
    tracing::debug!(
        "compiled the rules at {:.3} s",
        started.elapsed().as_secs_f64()
    );
    for (id, message) in evaluator.broken_rules() {
        tracing::warn!("rule {id} does not compile; its findings will be errors: {message}");
    }
    for d in &diagnostics {
        match d.severity {
            Severity::Error => eprintln!("{d}"),
            Severity::Note => tracing::info!("{d}"),
        }
    }
    progress.set_message(format!("evaluating {} objects", resources.len()));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs() as i64;
    let ctx = ScanContext {
        cluster,
        timestamp: rfc3339(now),
        sequence: now,
        benchmark: args.benchmark.id().into(),
    };
    tracing::info!(
        "read {} objects in {:.3} s{}",
        resources.len(),
        started.elapsed().as_secs_f64(),
        memory()
    );
    let evaluate_start = std::time::Instant::now();
    let evaluation = evaluator.evaluate(resources, &ctx);
    tracing::info!(
        "evaluated: {} findings in {:.3} s{}",
        evaluation.findings.len(),
        evaluate_start.elapsed().as_secs_f64(),
        memory()
    );
    progress.finish_and_clear();

    let mut findings = evaluation.findings;
    // Unstable sort: no buffer of half the findings (a stable sort's), and the finding id as
    // the last key keeps the order total, so the output is the same on every run.
    use rayon::slice::ParallelSliceMut as _;
    findings.par_sort_unstable_by(|a, b| {
        (
            &a.resource.name,
            &a.resource.sub_type,
            &a.rule.benchmark.rule_number,
            &a.rule.id,
            &a.event.id,
        )
            .cmp(&(
                &b.resource.name,
                &b.resource.sub_type,
                &b.rule.benchmark.rule_number,
                &b.rule.id,
                &b.event.id,
            ))
    });
    let failed = findings
        .iter()
        .filter(|f| f.outcome() == Outcome::Failed)
        .count();
    let input_errors: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(Diagnostic::to_string)
        .collect();
    let report = kspm_sinks::Report {
        findings,
        resources_evaluated: evaluation.resources,
        not_applicable: evaluation.not_applicable,
        input_errors: input_errors.clone(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
    };
    if args.output == OutputFormat::Server {
        let (server, token) = match (&args.server, &args.token) {
            (Some(s), Some(t)) => (s.as_str(), t.as_str()),
            _ => anyhow::bail!("--output server needs --server and --token"),
        };
        let pushed = crate::push::push(server, token, &ctx.cluster, now, &report.findings)?;
        println!(
            "sent {} findings in {} batches ({} cycles) to {server}; {failed} failed",
            pushed.findings, pushed.batches, pushed.cycles
        );
        return Ok(exit_code(&input_errors, failed, args.fail_on));
    }
    let format = match args.output {
        OutputFormat::Server => unreachable!("handled above"),
        OutputFormat::Table => kspm_sinks::Format::Table,
        OutputFormat::Json => kspm_sinks::Format::Json,
        OutputFormat::Ndjson => kspm_sinks::Format::Ndjson,
        OutputFormat::Sarif => kspm_sinks::Format::Sarif,
        OutputFormat::Junit => kspm_sinks::Format::Junit,
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    kspm_sinks::emit(format, &report, &mut out).context("writing the report")?;
    out.flush().context("writing the report")?;
    tracing::info!(
        "scan done in {:.3} s{}",
        started.elapsed().as_secs_f64(),
        memory()
    );
    // The process ends right after this: freeing every finding one by one would only add
    // time (a tenth of a second on a large scan), so the report is left to the exit.
    std::mem::forget(report);
    Ok(exit_code(&input_errors, failed, args.fail_on))
}

fn exit_code(input_errors: &[String], failed: usize, fail_on: FailOn) -> Exit {
    if !input_errors.is_empty() {
        Exit::Input
    } else if failed > 0 && fail_on == FailOn::Failed {
        Exit::Failed
    } else {
        Exit::Clean
    }
}

/// What one scan reads: manifests and snapshots, and node host roots.
pub struct Inputs {
    /// Manifest files and directories (`-` is stdin).
    pub paths: Vec<PathBuf>,
    /// Node root filesystems.
    pub host_roots: Vec<PathBuf>,
    /// Node name for host roots whose kubelet does not say.
    pub node_name: Option<String>,
    /// Largest manifest file read, in bytes.
    pub max_file_size: u64,
}

/// Collects every resource of a scan: Kubernetes objects from the inputs, each host root's
/// processes and files, and control-plane processes from the mirror pods of nodes that have no
/// host root in this scan (same resource ids, so the two sources never count twice).
pub fn gather(inputs: &Inputs, cluster: &ClusterInfo) -> (Vec<Resource>, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut resources: Vec<Resource> = Vec::new();
    if !inputs.paths.is_empty() {
        let loaded = load(
            &inputs.paths,
            LoadOptions {
                max_file_size: inputs.max_file_size,
            },
        );
        diagnostics.extend(loaded.diagnostics);
        // In parallel: each object's id is a SHA-1 based UUID.
        use rayon::prelude::*;
        let objects: Vec<Resource> = loaded
            .objects
            .into_par_iter()
            .map(|o| {
                let mut r = Resource::k8s_compact(o.object, o.raw, cluster.clone());
                r.origin = Some(o.origin);
                r
            })
            .collect();
        resources.extend(objects);
    }
    let mut nodes = BTreeSet::new();
    for root in &inputs.host_roots {
        let options = NodeOptions {
            cluster: cluster.clone(),
            node_name: inputs.node_name.clone(),
        };
        let scan = kspm_collect::node::collect(root, &options);
        tracing::info!(
            "node {} ({}) from {}: {} resources",
            scan.node.name,
            scan.node.roles.join(", "),
            root.display(),
            scan.resources.len()
        );
        nodes.insert(scan.node.name.clone());
        diagnostics.extend(scan.diagnostics);
        resources.extend(scan.resources);
    }
    let mirrored = kspm_collect::mirror::processes(&resources, &nodes, cluster);
    if !mirrored.is_empty() {
        tracing::info!(
            "{} control-plane processes read from mirror pods",
            mirrored.len()
        );
    }
    resources.extend(mirrored);
    (resources, diagnostics)
}

/// A spinner on stderr when it is a terminal; hidden (and free) when output is piped.
fn spinner() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// Resident and peak memory from /proc (Linux), for `-v` logs.
fn memory() -> String {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return String::new();
    };
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .map(|l| l[name.len()..].trim().to_owned())
            .unwrap_or_default()
    };
    format!(" (rss {}, peak {})", field("VmRSS:"), field("VmHWM:"))
}
