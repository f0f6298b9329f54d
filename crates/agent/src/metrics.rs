//! The agent's own metrics, served at `/metrics` in the OpenMetrics text format.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

type Labels = Vec<(&'static str, String)>;

/// Every number the agent reports. Cheap to update from any thread.
pub struct Metrics {
    registry: Registry,
    /// Cycles run, by `result` (`ok`, `failed`).
    pub cycles: Family<Labels, Counter>,
    /// Duration of cycles, in seconds.
    pub cycle_duration: Histogram,
    /// Findings produced, by `evaluation`.
    pub findings: Family<Labels, Counter>,
    /// Errors, by `stage` (`collect`, `deliver`, `lease`).
    pub errors: Family<Labels, Counter>,
    /// Unix time of the last cycle whose findings were all delivered.
    pub last_success: Gauge<f64, AtomicU64>,
    /// 1 while this agent holds the leader lease.
    pub leader: Gauge,
    /// Batches waiting in the on-disk spool.
    pub spool_batches: Gauge,
    /// Bytes in the on-disk spool.
    pub spool_bytes: Gauge,
    /// Findings dropped because the spool was full.
    pub spool_dropped: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("kspm_agent");
        let cycles = Family::<Labels, Counter>::default();
        let cycle_duration = Histogram::new([0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0]);
        let findings = Family::<Labels, Counter>::default();
        let errors = Family::<Labels, Counter>::default();
        let last_success = Gauge::<f64, AtomicU64>::default();
        let leader = Gauge::default();
        let spool_batches = Gauge::default();
        let spool_bytes = Gauge::default();
        let spool_dropped = Counter::default();
        registry.register("cycles", "Assessment cycles run, by result", cycles.clone());
        registry.register_with_unit(
            "cycle_duration",
            "Duration of an assessment cycle",
            Unit::Seconds,
            cycle_duration.clone(),
        );
        registry.register(
            "findings",
            "Findings produced, by evaluation",
            findings.clone(),
        );
        registry.register("errors", "Errors, by stage", errors.clone());
        registry.register_with_unit(
            "last_success_timestamp",
            "Unix time of the last cycle whose findings were all delivered",
            Unit::Seconds,
            last_success.clone(),
        );
        registry.register(
            "leader",
            "1 while this agent holds the leader lease",
            leader.clone(),
        );
        registry.register(
            "spool_batches",
            "Batches waiting in the spool",
            spool_batches.clone(),
        );
        registry.register_with_unit(
            "spool",
            "Size of the spool",
            Unit::Bytes,
            spool_bytes.clone(),
        );
        registry.register(
            "spool_dropped_findings",
            "Findings dropped because the spool was full",
            spool_dropped.clone(),
        );
        Metrics {
            registry,
            cycles,
            cycle_duration,
            findings,
            errors,
            last_success,
            leader,
            spool_batches,
            spool_bytes,
            spool_dropped,
        }
    }
}

impl Metrics {
    /// Counts an error of `stage`.
    pub fn error(&self, stage: &str) {
        self.errors
            .get_or_create(&vec![("stage", stage.to_owned())])
            .inc();
    }

    /// The registry as OpenMetrics text.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendered_metrics_carry_the_prefix_and_labels() {
        let m = Metrics::default();
        m.error("deliver");
        m.findings
            .get_or_create(&vec![("evaluation", "failed".to_owned())])
            .inc_by(3);
        let text = m.render();
        assert!(
            text.contains("kspm_agent_errors_total{stage=\"deliver\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("kspm_agent_findings_total{evaluation=\"failed\"} 3"),
            "{text}"
        );
        assert!(text.contains("kspm_agent_leader 0"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
