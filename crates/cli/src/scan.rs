//! `kspm scan`: evaluate manifests, snapshots and node root filesystems, then write the
//! findings in one format or push them to a server.

use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kspm_collect::k8s::{self, ApiOptions};
use kspm_collect::offline::LoadOptions;
use kspm_collect::{NodeTarget, Plan, Platform, Severity};
use kspm_engine::{Evaluator, ScanContext};
use kspm_model::{ClusterInfo, cluster_id_from_name, unix_now};
use kspm_sinks::Sink;
use kspm_sinks::elasticsearch::{ElasticsearchSink, SpoolConfig};

use crate::args::{FailOn, OutputFormat, ScanArgs};
use crate::exit::{Exit, UsageError};
use crate::logging::memory;

/// Runs `kspm scan`.
pub fn run(args: ScanArgs) -> anyhow::Result<Exit> {
    let progress = spinner();
    let started = Instant::now();

    // Rules first: an unknown benchmark is a usage error before anything is read.
    let mut bundle = crate::bundle::load(&args.rules)?;
    // `auto` depends on the platform, known once the cluster or the inputs are read; until
    // then the API is asked for the kinds of every benchmark `auto` could pick.
    let explicit = bundle.select_benchmarks(&args.benchmark, "unknown")?;
    let auto = args.benchmark.iter().any(|b| b.trim() == "auto");
    let kinds = {
        let mut wanted = bundle.clone();
        if !auto {
            wanted.retain_benchmarks(&explicit);
        }
        wanted.needed_kinds()
    };

    let live = args.kubeconfig.is_some() || args.context.is_some() || args.in_cluster;
    let mut first: Vec<Box<dyn kspm_collect::Source>> = Vec::new();
    let mut live_platform = None;
    let mut api_server: Option<String> = None;
    let mut cluster = if live {
        let options = ApiOptions {
            kubeconfig: args.kubeconfig.clone(),
            context: args.context.clone(),
            in_cluster: args.in_cluster,
            cluster_name: args.cluster_name.clone(),
            platform: args.platform.clone(),
            kinds,
            ..ApiOptions::default()
        };
        progress.set_message("connecting to the cluster");
        let api = k8s::connect(&options).map_err(|e| match e {
            k8s::ApiError::Kubeconfig(_) | k8s::ApiError::Infer(_) => {
                anyhow::Error::new(e).context(UsageError("no usable kubeconfig".into()))
            }
            other => anyhow::Error::new(other),
        })?;
        let cluster = api.cluster().clone();
        let platform = api.platform();
        progress.suspend(|| {
            eprintln!(
                "kspm: cluster {} at {} ({}; id {}); platform {}: {}",
                cluster.name,
                api.server(),
                cluster.version.as_deref().unwrap_or("version unknown"),
                cluster.id,
                platform.name,
                platform.reason
            )
        });
        tracing::info!("listing {}", api.planned().join(", "));
        live_platform = Some(api.platform().clone());
        api_server = Some(api.server().to_owned());
        first.push(Box::new(api));
        cluster
    } else {
        let name = args.cluster_name.clone().unwrap_or_else(|| "local".into());
        ClusterInfo {
            id: args
                .cluster_id
                .clone()
                .unwrap_or_else(|| cluster_id_from_name(&name)),
            name,
            version: None,
            platform: args.platform.clone(),
        }
    };
    let plan = Plan {
        cluster: cluster.clone(),
        manifests: args.paths.clone(),
        load: LoadOptions {
            max_file_size: args.max_file_size.saturating_mul(1024 * 1024),
        },
        nodes: args
            .host_root
            .iter()
            .map(|root| NodeTarget {
                root: root.clone(),
                name: args.node_name.clone(),
            })
            .collect(),
        skip_mirror_pods: false,
    };

    progress.set_message("reading inputs");
    let mut observe = |source: &str, batch: &kspm_collect::Batch| {
        progress.set_message(format!("reading {source}"));
        tracing::debug!(
            "{source}: {} resources, {} diagnostics",
            batch.resources.len(),
            batch.diagnostics.len()
        );
    };
    let mut collected = plan.collect_with(first, &mut observe);
    for d in &collected.diagnostics {
        match d.severity {
            Severity::Error => progress.suspend(|| eprintln!("{d}")),
            Severity::Note => tracing::info!("{d}"),
        }
    }
    for gap in &collected.gaps {
        tracing::warn!(
            "{} {} not fully read: {}",
            gap.kind.as_str(),
            gap.sub_type,
            gap.reason
        );
    }
    if collected.mirrored > 0 {
        tracing::info!(
            "{} control-plane processes read from mirror pods",
            collected.mirrored
        );
    }
    let input_errors = collected.errors().count();
    tracing::info!(
        "read {} resources ({} Kubernetes objects) in {:.3} s{}",
        collected.resources.len(),
        collected.objects,
        started.elapsed().as_secs_f64(),
        memory()
    );
    if !args.paths.is_empty() && collected.objects == 0 && collected.gaps.is_empty() {
        progress.finish_and_clear();
        eprintln!(
            "error: no Kubernetes object found in {} (looked for .yaml, .yml and .json \
             documents with apiVersion, kind and metadata.name)",
            args.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Ok(Exit::Input);
    }

    // The platform: --platform, else what the API server said, else what the inputs show.
    let platform = match &args.platform {
        Some(name) => Platform::new(name, "given with --platform"),
        None => live_platform
            .filter(|p| !p.is_unknown())
            .or_else(|| plan.detect_platform(&collected))
            .unwrap_or_else(|| Platform::unknown("nothing in the inputs shows the platform")),
    };
    if cluster.platform.as_deref().is_none_or(|p| p == "unknown") && !platform.is_unknown() {
        cluster.platform = Some(platform.name.clone());
    }
    let benchmarks = bundle.select_benchmarks(&args.benchmark, &platform.name)?;
    bundle.retain_benchmarks(&benchmarks);
    // The AWS side, for the rules of the selected benchmarks that judge it.
    let cloud_rules = bundle
        .rules
        .iter()
        .any(|r| r.meta.applies_to.kind == kspm_model::ResourceType::Cloud);
    if cloud_rules {
        match args.aws.options(&platform.name, api_server.as_deref()) {
            Some(options) => {
                let before = collected.diagnostics.len();
                plan.collect_aws(&mut collected, options, &mut observe);
                for d in &collected.diagnostics[before..] {
                    match d.severity {
                        Severity::Error => progress.suspend(|| eprintln!("{d}")),
                        Severity::Note => tracing::info!("{d}"),
                    }
                }
            }
            None if platform.name == "eks" && args.aws.aws != crate::args::AwsWhen::Never => {
                progress.suspend(|| {
                    eprintln!(
                        "kspm: the AWS APIs were not read (no live API server and no \
                         --eks-cluster): the CIS EKS rules that judge the EKS cluster and its \
                         ECR repositories are left out"
                    )
                });
            }
            None => {}
        }
    }
    if auto && !live && !platform.is_unknown() {
        progress.suspend(|| {
            eprintln!(
                "kspm: platform {} ({}): benchmarks {}",
                platform.name,
                platform.reason,
                benchmarks.join(", ")
            )
        });
    } else {
        tracing::info!(
            "platform {} ({}); benchmarks {}",
            platform.name,
            platform.reason,
            if benchmarks.is_empty() {
                "all".to_owned()
            } else {
                benchmarks.join(", ")
            }
        );
    }

    progress.set_message("compiling rules");
    // Only the rules these resources (or what could not be read) are routed to: a node scan
    // skips compiling the rest.
    bundle.retain_routed(&collected.resources, &collected.gaps);
    let evaluator = Evaluator::new(bundle).context("compiling the rule bundle")?;
    for (id, message) in evaluator.broken_rules() {
        tracing::warn!("rule {id} does not compile; its findings will be errors: {message}");
    }
    let now = unix_now();
    let ctx = ScanContext::new(cluster, now).with_benchmarks(benchmarks);

    let output = crate::output::format(args.output);
    let mut sinks: Vec<Box<dyn Sink>> = vec![if args.output == OutputFormat::Elasticsearch {
        Box::new(elasticsearch_sink(&args)?)
    } else {
        crate::output::sink(
            args.output,
            args.server.as_deref(),
            args.token.as_deref(),
            args.batch_size,
        )?
    }];

    let resources = collected.resources.len();
    progress.set_message(format!("evaluating {resources} resources"));
    let evaluate_start = Instant::now();
    let result = crate::pipeline::run(&evaluator, collected, &ctx, &mut sinks, |seen| {
        progress.set_message(format!(
            "evaluating {resources} resources: {} findings",
            seen.findings
        ));
    });
    progress.finish_and_clear();
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(e) if e.is_broken_pipe() => return Ok(Exit::Clean),
        Err(e) => {
            let delivered = e.delivered.clone();
            eprintln!("error: {:#}", anyhow::Error::new(e));
            if output.is_none() {
                eprintln!("delivered before the failure: {delivered}");
            }
            return Ok(Exit::Runtime);
        }
    };
    tracing::info!(
        "evaluated {} resources into {} findings in {:.3} s ({:.3} s of it before the first rule); scan done in {:.3} s{}",
        outcome.stats.resources,
        outcome.stats.findings,
        evaluate_start.elapsed().as_secs_f64(),
        outcome.stats.setup.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        memory()
    );
    let failed = outcome.tally.failed;
    if args.output == OutputFormat::Elasticsearch {
        let sent = &outcome.delivered[0];
        println!(
            "sent {} findings in {} bulk requests to {} ({}); {failed} failed",
            sent.findings,
            sent.batches,
            args.elasticsearch
                .elasticsearch_url
                .as_deref()
                .unwrap_or_default(),
            args.elasticsearch
                .elasticsearch_index
                .as_deref()
                .unwrap_or(&args.elasticsearch.elasticsearch_data_stream)
        );
    } else if output.is_none() {
        let sent = &outcome.delivered[0];
        println!(
            "sent {} findings in {} batches ({} cycles) to {}; {failed} failed",
            sent.findings,
            sent.batches,
            sent.cycles,
            args.server.as_deref().unwrap_or_default()
        );
    }
    Ok(if input_errors > 0 {
        Exit::Input
    } else if failed > 0 && args.fail_on == FailOn::Failed {
        Exit::Failed
    } else {
        Exit::Clean
    })
}

/// The Elasticsearch sink of `--output elasticsearch`, spooled in `--spool-dir`.
fn elasticsearch_sink(args: &ScanArgs) -> anyhow::Result<ElasticsearchSink> {
    let spool = args.spool_dir.as_ref().map(|dir| SpoolConfig {
        dir: dir.clone(),
        max_bytes: args.spool_max_size.saturating_mul(1024 * 1024),
    });
    crate::output::elasticsearch_sink(&args.elasticsearch, spool)
}

/// A spinner on stderr when it is a terminal; hidden (and free) when output is piped.
fn spinner() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}
