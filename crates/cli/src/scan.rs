//! `kspm scan`: offline evaluation of manifests and snapshots.

use std::io::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kspm_collect::offline::{LoadOptions, load};
use kspm_collect::{Diagnostic, Severity};
use kspm_engine::{Evaluator, ScanContext};
use kspm_model::{ClusterInfo, Outcome, Resource, cluster_id_from_name, rfc3339};

use crate::cli::{Exit, FailOn, OutputFormat, ScanArgs, load_bundle};

pub fn run(args: ScanArgs) -> anyhow::Result<Exit> {
    let progress = spinner();
    progress.set_message("loading rules");
    let mut bundle = load_bundle(&args.rules)?;
    bundle.retain_benchmark(args.benchmark.id());
    let evaluator = Evaluator::new(bundle).context("compiling the rule bundle")?;
    for (id, message) in evaluator.broken_rules() {
        tracing::warn!("rule {id} does not compile; its findings will be errors: {message}");
    }

    let started = std::time::Instant::now();
    progress.set_message("reading inputs");
    let options = LoadOptions {
        max_file_size: args.max_file_size.saturating_mul(1024 * 1024),
    };
    let loaded = load(&args.paths, options);
    for d in &loaded.diagnostics {
        match d.severity {
            Severity::Error => eprintln!("{d}"),
            Severity::Note => tracing::info!("{d}"),
        }
    }

    let cluster = ClusterInfo {
        id: cluster_id_from_name(&args.cluster_name),
        name: args.cluster_name.clone(),
        version: None,
        platform: None,
    };
    let resources: Vec<Resource> = loaded
        .objects
        .into_iter()
        .map(|o| {
            let mut r = Resource::k8s_compact(o.object, o.raw, cluster.clone());
            r.origin = Some(o.origin);
            r
        })
        .collect();
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
        "evaluated: {} findings in {:.3} s",
        evaluation.findings.len(),
        evaluate_start.elapsed().as_secs_f64()
    );
    progress.finish_and_clear();

    let mut findings = evaluation.findings;
    findings.sort_by(|a, b| {
        (
            &a.resource.name,
            &a.resource.sub_type,
            &a.rule.benchmark.rule_number,
            &a.rule.id,
        )
            .cmp(&(
                &b.resource.name,
                &b.resource.sub_type,
                &b.rule.benchmark.rule_number,
                &b.rule.id,
            ))
    });
    let failed = findings
        .iter()
        .filter(|f| f.outcome() == Outcome::Failed)
        .count();
    let input_errors: Vec<String> = loaded
        .diagnostics
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
    let format = match args.output {
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

    Ok(if !input_errors.is_empty() {
        Exit::Input
    } else if failed > 0 && args.fail_on == FailOn::Failed {
        Exit::Failed
    } else {
        Exit::Clean
    })
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
