//! What one scan hands to the emitters.

use std::collections::BTreeMap;

use kspm_model::{Finding, Outcome, Tally};

/// The result of one scan, as the emitters see it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// Every finding of the scan. `not_applicable` findings, if any are present, are ignored
    /// by every format except JSON and NDJSON, which write the documents as given.
    pub findings: Vec<Finding>,
    /// How many resources were evaluated (including those no rule applied to).
    pub resources_evaluated: usize,
    /// How many (resource, rule) pairs did not apply; those findings are not in `findings`.
    pub not_applicable: usize,
    /// Inputs that could not be read or parsed, one message each.
    pub input_errors: Vec<String>,
    /// kspm's version, written into SARIF's tool description.
    pub tool_version: String,
}

impl Report {
    /// Outcome counts over every finding.
    pub fn tally(&self) -> Tally {
        let mut tally = Tally::default();
        for finding in &self.findings {
            tally.add(finding.outcome());
        }
        tally
    }

    /// Outcome counts per benchmark id (`rule.benchmark.id`), ordered by id; benchmarks with
    /// only `not_applicable` findings are left out.
    pub fn tally_by_benchmark(&self) -> BTreeMap<&str, Tally> {
        let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
        for finding in self
            .findings
            .iter()
            .filter(|f| f.outcome() != Outcome::NotApplicable)
        {
            tallies
                .entry(finding.rule.benchmark.id.as_str())
                .or_default()
                .add(finding.outcome());
        }
        tallies
    }
}
