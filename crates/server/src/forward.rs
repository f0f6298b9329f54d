//! Forwarding what the server ingests to another destination (Elasticsearch or OpenSearch):
//! every accepted batch is handed to one thread that owns the sink, so an ingest request never
//! waits on the destination, and the sink's own disk spool keeps what it cannot deliver.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::time::Duration;

use kspm_model::{ClusterInfo, Finding, ResourceFindings, Scope};
use kspm_sinks::{RunInfo, RunSummary, Sink};

use crate::metrics::ServerEvents;

/// Batches waiting for the forwarding thread; a full queue makes ingest wait (back pressure
/// on the agents, which retry or spool), never drops.
const QUEUE: usize = 64;

/// How often the thread retries what its sink spooled when no batch arrives.
const RETRY_EVERY: Duration = Duration::from_secs(60);

/// One accepted batch.
pub(crate) struct Forwarded {
    pub cluster: ClusterInfo,
    pub scope: Scope,
    pub findings: Vec<Finding>,
}

/// The handle ingest sends accepted batches to.
#[derive(Clone)]
pub struct Forwarder {
    queue: SyncSender<Forwarded>,
}

impl std::fmt::Debug for Forwarder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Forwarder")
    }
}

/// A sink the forwarding thread owns, and how it reports spooled batches.
pub trait ForwardSink: Sink + Send {
    /// Batches waiting in the sink's spool.
    fn waiting(&self) -> u64;
}

impl ForwardSink for kspm_sinks::elasticsearch::ElasticsearchSink {
    fn waiting(&self) -> u64 {
        self.spooled()
    }
}

impl Forwarder {
    /// Starts the thread that feeds `sink`, counting in `events`.
    pub(crate) fn start(sink: Box<dyn ForwardSink>, events: Arc<ServerEvents>) -> Forwarder {
        let (queue, batches) = sync_channel(QUEUE);
        std::thread::Builder::new()
            .name("kspm-forward".into())
            .spawn(move || run(sink, batches, RETRY_EVERY, &events))
            .expect("spawn the forwarding thread");
        Forwarder { queue }
    }

    /// Hands a batch to the thread (waits while the queue is full).
    pub(crate) fn send(&self, batch: Forwarded) {
        if self.queue.send(batch).is_err() {
            tracing::error!("the forwarding thread has stopped; the batch is not forwarded");
        }
    }
}

fn run(
    mut sink: Box<dyn ForwardSink>,
    batches: Receiver<Forwarded>,
    retry_every: Duration,
    events: &ServerEvents,
) {
    let name = sink.name();
    // The sink counts what it delivered over all its runs.
    let mut delivered_before = 0;
    loop {
        let batch = match batches.recv_timeout(retry_every) {
            Ok(batch) => Some(batch),
            // Nothing arrived: a run without findings sends what the spool holds.
            Err(RecvTimeoutError::Timeout) if sink.waiting() > 0 => None,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let cluster = batch
            .as_ref()
            .map(|b| b.cluster.clone())
            .unwrap_or_default();
        let scopes: Vec<Scope> = batch.iter().map(|b| b.scope.clone()).collect();
        let run = RunInfo {
            tool_version: env!("CARGO_PKG_VERSION"),
            cluster: &cluster,
            started_at: kspm_model::unix_now(),
            rules: &[],
            input_errors: &[],
            scopes: &scopes,
        };
        let count = batch.as_ref().map_or(0, |b| b.findings.len() as u64);
        let result = sink.begin(&run).and_then(|()| {
            if let Some(batch) = batch {
                sink.write(&[ResourceFindings {
                    scope: batch.scope,
                    findings: batch.findings,
                }])?;
            }
            sink.finish(&RunSummary::default())
        });
        match result {
            Ok(delivery) => {
                let delivered = delivery.findings.saturating_sub(delivered_before);
                delivered_before = delivery.findings.max(delivered_before);
                events.forwarded.fetch_add(delivered, Ordering::Relaxed);
                tracing::debug!("{name}: {delivery}");
            }
            Err(e) => {
                ServerEvents::count(&events.forward_failures);
                tracing::warn!("forwarding {count} findings to {name}: {e:#}");
            }
        }
    }
}
