//! What one evaluation stamps on every finding.

use kspm_model::{ClusterInfo, rfc3339};

/// Per-scan facts stamped on every finding.
#[derive(Debug, Clone)]
pub struct ScanContext {
    /// The cluster (used for the synthetic Cluster resource).
    pub cluster: ClusterInfo,
    /// RFC 3339 time of the scan.
    pub timestamp: String,
    /// Cycle sequence number (Unix seconds of the cycle start).
    pub sequence: i64,
    /// The benchmarks selected, in the order given: a rule numbered in several benchmarks
    /// carries the numbering of the first one selected. Empty means every benchmark (each rule
    /// then carries its first numbering).
    pub benchmarks: Vec<String>,
}

impl ScanContext {
    /// A context for a scan that started at `unix_secs`, over every benchmark.
    pub fn new(cluster: ClusterInfo, unix_secs: i64) -> ScanContext {
        ScanContext {
            cluster,
            timestamp: rfc3339(unix_secs),
            sequence: unix_secs,
            benchmarks: Vec::new(),
        }
    }

    /// The same context restricted to `benchmarks` (empty: every benchmark).
    pub fn with_benchmarks(mut self, benchmarks: Vec<String>) -> ScanContext {
        self.benchmarks = benchmarks;
        self
    }
}
