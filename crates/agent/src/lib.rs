//! kspm agent: what makes one scan a service. One agent runs on every node (a DaemonSet); each
//! evaluates its own node, and the one holding a `coordination.k8s.io` Lease also evaluates
//! the cluster's objects. Cycles run at start, then every interval (with jitter so a fleet does
//! not fire at once), and again on the agent that takes the lease over. `/healthz`, `/readyz`
//! and `/metrics` are served while it runs.
//!
//! The crate does not know how a cycle is done: [`run`] calls the caller's [`Cycle`] with what
//! to evaluate ([`CycleRequest`]) and records what it reports. Collection, evaluation and
//! delivery stay in the pipeline (kspm-cli), so data still flows one way.

pub mod health;
pub mod lease;
pub mod metrics;
mod schedule;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub use lease::{Elector, LeaseConfig, Role};
pub use metrics::Metrics;
pub use schedule::next_delay;

/// Errors of the agent's own machinery (a cycle's failures are in its [`CycleReport`]).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request about the lease could not be made or answered.
    #[error("{what}")]
    Lease {
        /// What was being done.
        what: String,
        /// Why it failed.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The API server refused a request about the lease.
    #[error("the API server refused to {verb} the lease: HTTP {status} {message}")]
    LeaseRefused {
        /// `get`, `create`, `update`.
        verb: String,
        /// HTTP status.
        status: u16,
        /// The server's message.
        message: String,
    },
    /// The health and metrics listener could not start.
    #[error("cannot listen on {address}")]
    Listen {
        /// The address.
        address: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The runtime could not start.
    #[error("cannot start the agent's runtime")]
    Runtime(#[source] std::io::Error),
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What one cycle should evaluate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CycleRequest {
    /// This node (its root filesystem and processes).
    pub node: bool,
    /// The cluster's objects (only the lease holder does this).
    pub cluster: bool,
}

/// What a cycle did.
#[derive(Debug, Clone, Default)]
pub struct CycleReport {
    /// Findings by evaluation (`passed`, `failed`, `manual`, `error`).
    pub findings: Vec<(&'static str, u64)>,
    /// True when every finding reached its destination (or was safely spooled).
    pub delivered: bool,
    /// What went wrong, one line each (`collect: …`, `deliver: …`).
    pub problems: Vec<(&'static str, String)>,
    /// The exit code a one-off run reports (as `kspm scan` would).
    pub exit_code: u8,
    /// The disk spool after the cycle: batches and bytes waiting, findings dropped so far
    /// because it was full (`None` without a spool).
    pub spool: Option<(u64, u64, u64)>,
}

/// Does a cycle: the caller's pipeline.
pub trait Cycle {
    /// Evaluates what `request` asks and delivers the findings.
    fn run(&mut self, request: CycleRequest) -> CycleReport;

    /// Sends what earlier cycles left in a spool, between cycles; `None` when there is no
    /// spool. The report's `delivered` says whether the spool is now empty.
    fn flush(&mut self) -> Option<CycleReport> {
        None
    }
}

impl<F: FnMut(CycleRequest) -> CycleReport> Cycle for F {
    fn run(&mut self, request: CycleRequest) -> CycleReport {
        self(request)
    }
}

/// How the agent runs.
pub struct AgentConfig {
    /// Evaluate this node in every cycle (a host root is mounted).
    pub node: bool,
    /// Compete for the lease (reached as these options say) and evaluate the cluster when
    /// holding it; `None` without API access (node only).
    pub election: Option<(kspm_collect::k8s::ApiOptions, LeaseConfig)>,
    /// Time between cycles.
    pub interval: Duration,
    /// Random spread of each interval, as a fraction of it (0.1 = ±10%).
    pub jitter: f64,
    /// Where `/healthz`, `/readyz` and `/metrics` are served (`None`: not served).
    pub listen: Option<String>,
    /// Run one cycle and return its report.
    pub once: bool,
    /// How often to try sending what is spooled while the destination is away.
    pub flush_interval: Duration,
}

/// What wakes the cycle loop.
enum Event {
    /// This agent became the leader (true) or stopped being it (false).
    Leadership(bool),
    /// SIGTERM or SIGINT.
    Shutdown,
}

/// Runs the agent until SIGTERM/SIGINT (or one cycle with `once`); returns the last cycle's
/// report.
pub fn run(
    config: AgentConfig,
    metrics: Arc<Metrics>,
    cycle: &mut dyn Cycle,
) -> Result<CycleReport> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("kspm-agent")
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    let ready = Arc::new(AtomicBool::new(false));
    let leader = Arc::new(AtomicBool::new(false));
    let (events, inbox) = mpsc::channel::<Event>();

    if let Some(address) = &config.listen {
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind(address))
            .map_err(|source| Error::Listen {
                address: address.clone(),
                source,
            })?;
        let state = health::HealthState {
            ready: ready.clone(),
            metrics: metrics.clone(),
        };
        tracing::info!(address = %address, "serving /healthz, /readyz and /metrics");
        runtime.spawn(health::serve(listener, state));
    }

    {
        let events = events.clone();
        runtime.spawn(async move {
            shutdown_signal().await;
            let _ = events.send(Event::Shutdown);
        });
    }

    // The elector runs beside the cycles, so that a long cycle never lets the lease lapse.
    let (first_round, first_round_done) = mpsc::channel::<()>();
    let (stop_elector, elector_stopped) = tokio::sync::oneshot::channel::<()>();
    let elector_task = match config.election {
        Some((options, lease)) => {
            // The client lives on this runtime (its connection pool and request buffer are
            // tasks of it).
            let client = runtime
                .block_on(kspm_collect::k8s::client(&options))
                .map_err(|e| Error::Lease {
                    what: "connecting to the API server for the lease".into(),
                    source: Box::new(e),
                })?
                .client;
            Some(runtime.spawn(elect(
                Elector::new(client, lease),
                events.clone(),
                metrics.clone(),
                leader.clone(),
                first_round,
                elector_stopped,
            )))
        }
        None => None,
    };
    if elector_task.is_some() {
        // Know the role before the first cycle (the first round answers at once, or fails).
        let _ = first_round_done.recv_timeout(Duration::from_secs(30));
    }

    let mut last = CycleReport::default();
    let mut next_at = Instant::now();
    // Set while findings wait in a spool: when to try sending them again.
    let mut flush_at: Option<Instant> = None;
    loop {
        let due = flush_at.map_or(next_at, |f| f.min(next_at));
        let wait = due.saturating_duration_since(Instant::now());
        match inbox.recv_timeout(wait) {
            Err(mpsc::RecvTimeoutError::Timeout) if flush_at.is_some_and(|f| f < next_at) => {
                flush_at = None;
                if let Some(report) = cycle.flush() {
                    record_spool(&report, &metrics);
                    for (stage, problem) in &report.problems {
                        metrics.error(stage);
                        tracing::warn!(stage = *stage, "still waiting: {problem}");
                    }
                    if report.delivered {
                        tracing::info!("the spool is empty: every finding was delivered");
                        metrics
                            .last_success
                            .set(jiff::Timestamp::now().as_second() as f64);
                    } else {
                        flush_at = Some(Instant::now() + config.flush_interval);
                    }
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let request = CycleRequest {
                    node: config.node,
                    cluster: leader.load(Ordering::SeqCst),
                };
                last = run_cycle(cycle, request, &metrics);
                ready.store(true, Ordering::SeqCst);
                if config.once {
                    break;
                }
                if last.spool.is_some_and(|(batches, _, _)| batches > 0) {
                    flush_at = Some(Instant::now() + config.flush_interval);
                }
                let delay = next_delay(config.interval, config.jitter);
                tracing::info!(next_in_seconds = delay.as_secs(), "next cycle scheduled");
                next_at = Instant::now() + delay;
            }
            Ok(Event::Leadership(true)) => {
                tracing::info!("this agent now holds the lease: it evaluates the cluster");
                // Taking over: assess the cluster now rather than at the next interval (the
                // first cycle, still to come, covers it anyway).
                if ready.load(Ordering::SeqCst) && !config.once {
                    last = run_cycle(
                        cycle,
                        CycleRequest {
                            node: false,
                            cluster: true,
                        },
                        &metrics,
                    );
                }
            }
            Ok(Event::Leadership(false)) => {
                tracing::warn!("this agent no longer holds the lease: cluster rules stop here");
            }
            Ok(Event::Shutdown) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                tracing::info!("shutting down");
                break;
            }
        }
    }
    // Release the lease so that a successor takes over at once.
    let _ = stop_elector.send(());
    if let Some(task) = elector_task {
        let _ =
            runtime.block_on(async { tokio::time::timeout(Duration::from_secs(10), task).await });
    }
    runtime.shutdown_timeout(Duration::from_secs(1));
    Ok(last)
}

/// One cycle, timed and counted.
fn run_cycle(cycle: &mut dyn Cycle, request: CycleRequest, metrics: &Metrics) -> CycleReport {
    if !request.node && !request.cluster {
        tracing::info!("nothing to assess: no node here and another agent holds the lease");
        return CycleReport {
            delivered: true,
            ..CycleReport::default()
        };
    }
    let started = Instant::now();
    tracing::info!(
        node = request.node,
        cluster = request.cluster,
        "cycle starts"
    );
    let report = cycle.run(request);
    let seconds = started.elapsed().as_secs_f64();
    metrics.cycle_duration.observe(seconds);
    for (evaluation, n) in &report.findings {
        metrics
            .findings
            .get_or_create(&vec![("evaluation", (*evaluation).to_owned())])
            .inc_by(*n);
    }
    for (stage, problem) in &report.problems {
        metrics.error(stage);
        tracing::error!(stage = *stage, "{problem}");
    }
    record_spool(&report, metrics);
    let result = if report.delivered { "ok" } else { "failed" };
    metrics
        .cycles
        .get_or_create(&vec![("result", result.to_owned())])
        .inc();
    if report.delivered {
        metrics
            .last_success
            .set(jiff::Timestamp::now().as_second() as f64);
    }
    tracing::info!(
        seconds = format_args!("{seconds:.3}"),
        result,
        findings = report.findings.iter().map(|(_, n)| n).sum::<u64>(),
        "cycle done"
    );
    report
}

/// The spool's gauges from a report.
fn record_spool(report: &CycleReport, metrics: &Metrics) {
    if let Some((batches, bytes, dropped)) = report.spool {
        metrics.spool_batches.set(batches as i64);
        metrics.spool_bytes.set(bytes as i64);
        let counted = metrics.spool_dropped.get();
        if dropped > counted {
            metrics.spool_dropped.inc_by(dropped - counted);
        }
    }
}

/// The election loop: a round every retry period until told to stop, then a release.
async fn elect(
    mut elector: Elector,
    events: mpsc::Sender<Event>,
    metrics: Arc<Metrics>,
    leader: Arc<AtomicBool>,
    first_round: mpsc::Sender<()>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let period = elector.config().retry_period;
    let mut first = Some(first_round);
    let mut was_leader = false;
    loop {
        match elector.try_acquire_or_renew().await {
            Ok(Role::Leader) => {}
            Ok(Role::Follower(holder)) => {
                if first.is_some() {
                    tracing::info!(
                        holder = holder.as_deref().unwrap_or("unknown"),
                        "another agent holds the lease"
                    );
                }
            }
            Err(e) => {
                metrics.error("lease");
                tracing::warn!("lease: {}", error_chain(&e));
            }
        }
        let now_leader = elector.is_leader();
        leader.store(now_leader, Ordering::SeqCst);
        metrics.leader.set(i64::from(now_leader));
        if now_leader != was_leader {
            was_leader = now_leader;
            let _ = events.send(Event::Leadership(now_leader));
        }
        if let Some(done) = first.take() {
            let _ = done.send(());
        }
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = &mut stop => break,
        }
    }
    if let Err(e) = elector.release().await {
        tracing::warn!("releasing the lease: {}", error_chain(&e));
    } else if was_leader {
        tracing::info!("lease released");
    }
    leader.store(false, Ordering::SeqCst);
    metrics.leader.set(0);
}

/// An error with its causes, `a: b: c`.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => std::future::pending::<()>().await,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
