//! `kspm agent`: the scan pipeline run as a service. The agent crate elects the leader,
//! schedules cycles and serves health and metrics; this module is what one cycle does:
//! collect this node (and the cluster, on the leader) → evaluate → deliver.

use std::sync::Arc;

use anyhow::Context as _;
use kspm_agent::{AgentConfig, CycleReport, CycleRequest, LeaseConfig, Metrics};
use kspm_collect::k8s::{self, ApiOptions};
use kspm_collect::{NodeTarget, Plan, Severity};
use kspm_engine::{Evaluator, ScanContext};
use kspm_model::{ClusterInfo, Outcome, ResourceType, cluster_id_from_name, unix_now};

use kspm_sinks::elasticsearch::SpoolConfig;

use crate::args::{AgentArgs, OutputFormat};
use crate::exit::{Exit, UsageError};

/// Runs `kspm agent`.
pub fn run(args: AgentArgs) -> anyhow::Result<Exit> {
    // Fail on a bad rule selection or destination before anything runs.
    let mut bundle = crate::bundle::load(&[])?;
    // `auto` is resolved each cycle, from the platform (the API server's, or the node's).
    let explicit = bundle.select_benchmarks(&args.benchmark, "unknown")?;
    if !args.benchmark.iter().any(|b| b.trim() == "auto") {
        bundle.retain_benchmarks(&explicit);
    }
    if args.output == OutputFormat::Server {
        if args.server.is_none() {
            return Err(UsageError("the agent needs --server (or KSPM_SERVER)".into()).into());
        }
        token(&args)?;
    }
    if args.output == OutputFormat::Elasticsearch {
        // A wrong URL, CA or key file is a usage error now, not a failure every cycle.
        crate::output::elasticsearch_sink(&args.elasticsearch, None)?;
    }
    let node = !args.no_node;
    if node && !args.host_root.is_dir() {
        return Err(UsageError(format!(
            "the host root {} is not a directory (mount the node's / there, give --host-root, \
             or --no-node)",
            args.host_root.display()
        ))
        .into());
    }
    let api = ApiOptions {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
        in_cluster: args.kubeconfig.is_none()
            && args.context.is_none()
            && std::env::var_os("KUBERNETES_SERVICE_HOST").is_some(),
        cluster_name: args.cluster_name.clone(),
        platform: args.platform.clone(),
        kinds: bundle.needed_kinds(),
        ..ApiOptions::default()
    };

    // Who the cluster is: every node's findings are filed under its id.
    let (cluster, election) = if args.no_cluster {
        let name = args.cluster_name.clone().unwrap_or_else(|| "local".into());
        let cluster = ClusterInfo {
            id: cluster_id_from_name(&name),
            name,
            version: None,
            platform: args.platform.clone(),
        };
        (cluster, None)
    } else {
        let identity_only = ApiOptions {
            kinds: Default::default(),
            ..api.clone()
        };
        let connected = k8s::connect(&identity_only).context("connecting to the cluster")?;
        let cluster = connected.cluster().clone();
        eprintln!(
            "kspm agent: cluster {} at {} ({}; id {}); platform {}: {}",
            cluster.name,
            connected.server(),
            cluster.version.as_deref().unwrap_or("version unknown"),
            cluster.id,
            connected.platform().name,
            connected.platform().reason
        );
        drop(connected);
        let identity = args
            .identity
            .clone()
            .or_else(|| args.node_name.clone())
            .unwrap_or_else(hostname);
        let mut lease = LeaseConfig::new(&args.lease_namespace, &args.lease_name, &identity);
        lease.duration = args.lease_duration;
        lease.retry_period = (args.lease_duration / 4).max(std::time::Duration::from_secs(1));
        (cluster, Some((api.clone(), lease)))
    };

    let platform = cluster
        .platform
        .clone()
        .filter(|p| p != "unknown")
        .or_else(|| {
            node.then(|| kspm_collect::platform::from_host_root(&args.host_root))
                .flatten()
                .map(|p| {
                    eprintln!("kspm agent: platform {}: {}", p.name, p.reason);
                    p.name
                })
        })
        .unwrap_or_else(|| "unknown".into());
    let benchmarks = bundle.select_benchmarks(&args.benchmark, &platform)?;
    bundle.retain_benchmarks(&benchmarks);
    let node_rules = bundle
        .rules
        .iter()
        .filter(|r| r.meta.applies_to.kind != ResourceType::K8sObject)
        .count();
    let cluster_rules = bundle.rules.len() - node_rules;
    eprintln!(
        "kspm agent: benchmarks {}; {}; {}; every {} (±{:.0}%){}; findings to {}",
        benchmarks.join(", "),
        if node {
            format!(
                "node {} from {} ({node_rules} node rules)",
                args.node_name.as_deref().unwrap_or("(from its hostname)"),
                args.host_root.display()
            )
        } else {
            "no node assessment (--no-node)".into()
        },
        match &election {
            Some((_, lease)) => format!(
                "cluster objects ({cluster_rules} rules) while holding lease {}/{} as {}",
                lease.namespace, lease.name, lease.identity
            ),
            None => "no cluster assessment (--no-cluster)".into(),
        },
        crate::args::format_duration(args.interval),
        args.jitter * 100.0,
        if args.once { ", once" } else { "" },
        match args.output {
            OutputFormat::Server => args.server.clone().unwrap_or_default(),
            OutputFormat::Elasticsearch => args
                .elasticsearch
                .elasticsearch_url
                .clone()
                .unwrap_or_default(),
            other => format!("stdout ({other:?})").to_lowercase(),
        }
    );

    let metrics = Arc::new(Metrics::default());
    let config = AgentConfig {
        node,
        election,
        interval: args.interval,
        jitter: args.jitter,
        listen: (args.listen != "none").then(|| args.listen.clone()),
        once: args.once,
        flush_interval: args.interval.min(args.retry_interval),
    };
    let mut runner = Runner {
        args: &args,
        api: &api,
        cluster: &cluster,
    };
    let last = kspm_agent::run(config, metrics, &mut runner)?;
    Ok(match last.exit_code {
        0 => Exit::Clean,
        1 => Exit::Failed,
        2 => Exit::Input,
        _ => Exit::Runtime,
    })
}

/// The agent's cycles, as the agent crate calls them.
struct Runner<'a> {
    args: &'a AgentArgs,
    api: &'a ApiOptions,
    cluster: &'a ClusterInfo,
}

impl kspm_agent::Cycle for Runner<'_> {
    fn run(&mut self, request: CycleRequest) -> CycleReport {
        cycle(self.args, self.api, self.cluster, request)
    }

    fn flush(&mut self) -> Option<CycleReport> {
        let args = self.args;
        let dir = args.spool_dir.as_ref()?;
        if args.output == OutputFormat::Elasticsearch {
            return Some(flush_elasticsearch(args, dir));
        }
        let (Some(url), Ok(token)) = (&args.server, token(args)) else {
            return None;
        };
        let mut report = CycleReport::default();
        match server_sink(args, url, token) {
            Ok(mut server) => {
                server.drain();
                let (batches, bytes) = server.spooled();
                report.spool = Some((batches, bytes, server.spool_loss().items));
                report.delivered = batches == 0;
                if let Some(why) = server.deferred() {
                    report
                        .problems
                        .push(("deliver", format!("{batches} batches spooled: {why}")));
                }
            }
            Err(e) => report.problems.push(("deliver", format!("{e:#}"))),
        }
        Some(report)
    }
}

/// Between cycles: what the Elasticsearch spool holds, sent when the cluster answers again.
fn flush_elasticsearch(args: &AgentArgs, dir: &std::path::Path) -> CycleReport {
    let mut report = CycleReport::default();
    let spool = SpoolConfig {
        dir: dir.to_owned(),
        max_bytes: args.spool_size.saturating_mul(1024 * 1024),
    };
    match crate::output::elasticsearch_sink(&args.elasticsearch, Some(spool)) {
        Ok(mut sink) => {
            let drained = sink.drain_spool();
            let batches = sink.spooled();
            report.spool = Some((batches, 0, sink.spool_loss().items));
            report.delivered = batches == 0;
            if let Err(e) = drained {
                report
                    .problems
                    .push(("deliver", format!("{:#}", anyhow::Error::new(e))));
            } else if let Some(why) = sink.outage() {
                report
                    .problems
                    .push(("deliver", format!("{batches} batches spooled: {why}")));
            }
        }
        Err(e) => report.problems.push(("deliver", format!("{e:#}"))),
    }
    report
}

/// The push to the server, spooled when `--spool-dir` is given.
fn server_sink(
    args: &AgentArgs,
    url: &str,
    token: String,
) -> anyhow::Result<kspm_sinks::server::ServerSink> {
    let mut config = kspm_sinks::server::ServerConfig::new(url, token);
    config.batch_size = args.batch_size as usize;
    if let Some(dir) = &args.spool_dir {
        config.spool = Some((dir.clone(), args.spool_size.saturating_mul(1024 * 1024)));
        // The spool keeps what fails; a cycle need not wait minutes on a server that is away.
        config.backoff.attempts = config.backoff.attempts.min(3);
    }
    kspm_sinks::server::ServerSink::new(config)
        .map_err(|e| UsageError(format!("--server: {e}")).into())
}

/// One cycle: what `request` asks, collected, evaluated and delivered.
fn cycle(
    args: &AgentArgs,
    api: &ApiOptions,
    cluster: &ClusterInfo,
    request: CycleRequest,
) -> CycleReport {
    let mut report = CycleReport::default();
    let fail = |mut report: CycleReport, stage: &'static str, e: anyhow::Error| {
        report.problems.push((stage, format!("{e:#}")));
        report.exit_code = Exit::Runtime as u8;
        report
    };
    // The bundle is compiled per cycle and dropped after it: an idle agent holds no rules.
    let mut bundle = match crate::bundle::load(&[]) {
        Ok(b) => b,
        Err(e) => return fail(report, "rules", e),
    };

    let mut first: Vec<Box<dyn kspm_collect::Source>> = Vec::new();
    let mut cluster = cluster.clone();
    let mut api_server = None;
    if request.cluster {
        match k8s::connect(api) {
            Ok(connected) => {
                cluster = connected.cluster().clone();
                api_server = Some(connected.server().to_owned());
                first.push(Box::new(connected));
            }
            Err(e) => return fail(report, "collect", anyhow::Error::new(e)),
        }
    }
    let plan = Plan {
        cluster: cluster.clone(),
        manifests: Vec::new(),
        load: Default::default(),
        nodes: if request.node {
            vec![NodeTarget {
                root: args.host_root.clone(),
                name: args.node_name.clone(),
            }]
        } else {
            Vec::new()
        },
        // With agents on every node, each node's processes are read on the node itself.
        skip_mirror_pods: !args.no_node,
    };
    let mut collected = plan.collect_with(first, &mut |_, _| {});
    for d in &collected.diagnostics {
        if d.severity == Severity::Error {
            report.problems.push(("collect", d.to_string()));
        }
    }
    let input_errors = collected.errors().count();
    let platform = cluster
        .platform
        .clone()
        .filter(|p| p != "unknown")
        .or_else(|| plan.detect_platform(&collected).map(|p| p.name))
        .unwrap_or_else(|| "unknown".into());
    let benchmarks = match bundle.select_benchmarks(&args.benchmark, &platform) {
        Ok(b) => b,
        Err(e) => return fail(report, "rules", e.into()),
    };
    bundle.retain_benchmarks(&benchmarks);
    // The AWS side of an EKS cluster, on the cluster cycle (the leader's) only.
    let cloud_rules = bundle
        .rules
        .iter()
        .any(|r| r.meta.applies_to.kind == ResourceType::Cloud);
    if request.cluster
        && cloud_rules
        && let Some(options) = args.aws.options(&platform, api_server.as_deref())
    {
        let before = collected.diagnostics.len();
        plan.collect_aws(&mut collected, options, &mut |_, _| {});
        for d in &collected.diagnostics[before..] {
            if d.severity == Severity::Error {
                report.problems.push(("collect", d.to_string()));
            }
        }
    }
    if cluster.platform.as_deref().is_none_or(|p| p == "unknown") && platform != "unknown" {
        cluster.platform = Some(platform);
    }
    bundle.retain_routed(&collected.resources, &collected.gaps);
    let evaluator = match Evaluator::new(bundle) {
        Ok(e) => e,
        Err(e) => return fail(report, "rules", e.into()),
    };
    let ctx = ScanContext::new(cluster, unix_now()).with_benchmarks(benchmarks);
    let token = match args.output {
        OutputFormat::Server => match token(args) {
            Ok(t) => Some(t),
            Err(e) => return fail(report, "deliver", e),
        },
        _ => None,
    };
    let mut server = match (&args.output, &args.server, token) {
        (OutputFormat::Server, Some(url), Some(token)) => match server_sink(args, url, token) {
            Ok(s) => Some(s),
            Err(e) => return fail(report, "deliver", e),
        },
        _ => None,
    };
    let mut elasticsearch = match args.output {
        OutputFormat::Elasticsearch => {
            let spool = args.spool_dir.as_ref().map(|dir| SpoolConfig {
                dir: dir.clone(),
                max_bytes: args.spool_size.saturating_mul(1024 * 1024),
            });
            match crate::output::elasticsearch_sink(&args.elasticsearch, spool) {
                Ok(s) => Some(s),
                Err(e) => return fail(report, "deliver", e),
            }
        }
        _ => None,
    };
    let mut sinks: Vec<Box<dyn kspm_sinks::Sink + '_>> = match (&mut server, &mut elasticsearch) {
        (Some(server), _) => vec![Box::new(server)],
        (None, Some(elasticsearch)) => vec![Box::new(elasticsearch)],
        (None, None) => match crate::output::sink(args.output, None, None, args.batch_size) {
            Ok(s) => vec![s],
            Err(e) => return fail(report, "deliver", e),
        },
    };
    match crate::pipeline::run(&evaluator, collected, &ctx, &mut sinks, |_| {}) {
        Ok(outcome) => {
            drop(sinks);
            let delivery = &outcome.delivered[0];
            if let Some(why) = &delivery.deferred {
                report.problems.push((
                    "deliver",
                    format!(
                        "findings kept in the spool for a later attempt ({} batches): {why}",
                        delivery.spooled
                    ),
                ));
            }
            if let Some(server) = &server {
                for rejected in server.rejected() {
                    report.problems.push(("deliver", rejected.clone()));
                }
                let (batches, bytes) = server.spooled();
                report.spool = Some((batches, bytes, server.spool_loss().items));
                report.delivered = delivery.deferred.is_none() && batches == 0;
            } else if let Some(elasticsearch) = &elasticsearch {
                for rejected in elasticsearch.rejected() {
                    report.problems.push(("deliver", rejected.to_string()));
                }
                let batches = elasticsearch.spooled();
                report.spool = Some((batches, 0, elasticsearch.spool_loss().items));
                report.delivered = delivery.deferred.is_none() && batches == 0;
            } else {
                report.delivered = true;
            }
            let t = &outcome.tally;
            report.findings = vec![
                (Outcome::Passed.as_str(), t.passed),
                (Outcome::Failed.as_str(), t.failed),
                (Outcome::Manual.as_str(), t.manual),
                (Outcome::Error.as_str(), t.error),
            ];
            report.exit_code = if input_errors > 0 {
                Exit::Input as u8
            } else if t.failed > 0 {
                Exit::Failed as u8
            } else {
                Exit::Clean as u8
            };
        }
        Err(e) => {
            drop(sinks);
            let e = anyhow::Error::new(e);
            // What the spool kept is sent again between cycles.
            if let Some(server) = &server {
                let (batches, bytes) = server.spooled();
                report.spool = Some((batches, bytes, server.spool_loss().items));
            } else if let Some(elasticsearch) = &elasticsearch {
                report.spool = Some((elasticsearch.spooled(), 0, elasticsearch.spool_loss().items));
            }
            return fail(report, "deliver", e);
        }
    }
    report
}

/// The write token: the file (re-read every cycle, so a rotated Secret is picked up), else
/// the flag or environment.
fn token(args: &AgentArgs) -> anyhow::Result<String> {
    if let Some(path) = &args.token_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the write token from {}", path.display()))?;
        let token = text.trim().to_owned();
        anyhow::ensure!(
            !token.is_empty(),
            "the token file {} is empty",
            path.display()
        );
        return Ok(token);
    }
    args.token.clone().ok_or_else(|| {
        UsageError("the agent needs --token-file (or --token / KSPM_WRITE_TOKEN)".into()).into()
    })
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| format!("kspm-agent-{}", std::process::id()))
}
