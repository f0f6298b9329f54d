//! Findings grouped into one cycle per scope, each cut into numbered batches: the shape of the
//! store's cycle protocol, shared by the server push and the local store.

use std::collections::BTreeMap;

use kspm_model::{Finding, ResourceFindings, Scope};

/// A batch ready to be delivered.
#[derive(Debug)]
pub(crate) struct Ready {
    /// The cycle's scope.
    pub scope: Scope,
    /// Batch number inside the cycle, from 0.
    pub batch: u64,
    /// Its findings (empty for a final batch that only completes the cycle).
    pub findings: Vec<Finding>,
    /// The last batch of the cycle: delivering it completes the cycle.
    pub last: bool,
}

/// Per scope: the next batch number and the findings not yet sent.
#[derive(Debug, Default)]
struct Open {
    next: u64,
    pending: Vec<Finding>,
}

/// Cycles being filled.
#[derive(Debug)]
pub(crate) struct Cycles {
    batch_size: usize,
    open: BTreeMap<Scope, Open>,
}

impl Cycles {
    /// Cycles for `scopes` (each completed at the end, even without findings, so that what
    /// an earlier cycle reported and this one no longer sees is resolved).
    pub fn new(batch_size: usize, scopes: &[Scope]) -> Cycles {
        Cycles {
            batch_size: batch_size.max(1),
            open: scopes
                .iter()
                .map(|s| (s.clone(), Open::default()))
                .collect(),
        }
    }

    /// Adds a window of findings; returns the batches that are now full.
    pub fn push(&mut self, batch: &[ResourceFindings]) -> Vec<Ready> {
        let mut ready = Vec::new();
        for group in batch {
            let open = self.open.entry(group.scope.clone()).or_default();
            for finding in &group.findings {
                open.pending.push(finding.clone());
                if open.pending.len() == self.batch_size {
                    ready.push(Ready {
                        scope: group.scope.clone(),
                        batch: open.next,
                        findings: std::mem::take(&mut open.pending),
                        last: false,
                    });
                    open.next += 1;
                }
            }
        }
        ready
    }

    /// The last batch of every cycle (possibly empty). A run that saw no scope at all still
    /// completes a cluster cycle.
    pub fn finish(&mut self) -> Vec<Ready> {
        if self.open.is_empty() {
            self.open.insert(Scope::Cluster, Open::default());
        }
        std::mem::take(&mut self.open)
            .into_iter()
            .map(|(scope, open)| Ready {
                scope,
                batch: open.next,
                findings: open.pending,
                last: true,
            })
            .collect()
    }
}
