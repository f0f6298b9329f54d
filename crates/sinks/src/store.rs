//! Findings written straight into a local findings store ([`kspm_store::Store`]), through the
//! same cycle protocol the server's ingest uses: one cycle per scope, numbered batches, the
//! cycle completed at the end (`kspm demo` records its history this way).

use kspm_model::{ClusterInfo, ResourceFindings, cluster_id_from_name};
use kspm_store::{CycleStart, Store};

use crate::cycles::{Cycles, Ready};
use crate::{Delivery, RunInfo, RunSummary, Sink, SinkError};

/// Findings per batch written to the store.
const BATCH: usize = 5_000;

/// Writes findings into a store as they arrive.
pub struct StoreSink<'s> {
    store: &'s Store,
    /// Distinguishes this run's cycles (with the cluster and scope) in their ids.
    label: String,
    /// When the cycles completed (Unix seconds); `None`: the store's clock at the end.
    finished_at: Option<i64>,
    cluster: ClusterInfo,
    started_at: i64,
    cycles: Cycles,
    delivered: Delivery,
}

impl<'s> StoreSink<'s> {
    /// A sink into `store`; `label` makes this run's cycle ids unique (a counter, a time).
    pub fn new(store: &'s Store, label: impl Into<String>, finished_at: Option<i64>) -> Self {
        StoreSink {
            store,
            label: label.into(),
            finished_at,
            cluster: ClusterInfo::default(),
            started_at: 0,
            cycles: Cycles::new(BATCH, &[]),
            delivered: Delivery::default(),
        }
    }

    fn write_ready(&mut self, ready: Ready) -> Result<(), SinkError> {
        let cycle_id = cluster_id_from_name(&format!(
            "{}/{}/{}",
            self.cluster.id, ready.scope, self.label
        ));
        let what = format!("batch {} of cycle {}", ready.batch, ready.scope);
        let fail = |sink: &Self, e: kspm_store::Error| {
            SinkError::new(sink.name(), what.clone(), false, e).after(sink.delivered.clone())
        };
        if ready.batch == 0 {
            self.store
                .begin_cycle(&CycleStart {
                    cycle_id: cycle_id.clone(),
                    cluster: self.cluster.clone(),
                    scope: ready.scope.clone(),
                    started_at: self.started_at,
                })
                .map_err(|e| fail(self, e))?;
        }
        self.store
            .ingest_batch(&cycle_id, ready.batch, &ready.findings)
            .map_err(|e| fail(self, e))?;
        self.delivered.batches += 1;
        self.delivered.findings += ready.findings.len() as u64;
        if ready.last {
            let at = self.finished_at.unwrap_or_else(|| self.store.clock().now());
            self.store
                .complete_cycle(&cycle_id, at)
                .map_err(|e| fail(self, e))?;
            self.delivered.cycles += 1;
        }
        Ok(())
    }
}

impl Sink for StoreSink<'_> {
    fn name(&self) -> String {
        "findings store".into()
    }

    fn begin(&mut self, run: &RunInfo<'_>) -> Result<(), SinkError> {
        self.cluster = run.cluster.clone();
        self.started_at = run.started_at;
        self.cycles = Cycles::new(BATCH, run.scopes);
        Ok(())
    }

    fn write(&mut self, batch: &[ResourceFindings]) -> Result<(), SinkError> {
        for ready in self.cycles.push(batch) {
            self.write_ready(ready)?;
        }
        Ok(())
    }

    fn finish(&mut self, _summary: &RunSummary) -> Result<Delivery, SinkError> {
        for ready in self.cycles.finish() {
            self.write_ready(ready)?;
        }
        Ok(self.delivered.clone())
    }
}
