use serde::{Deserialize, Serialize};

use crate::Outcome;

/// Counts of outcomes and the posture score over a set of findings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Passed findings.
    pub passed: u64,
    /// Failed findings.
    pub failed: u64,
    /// Manual findings (not scored).
    pub manual: u64,
    /// Error findings (not scored).
    pub error: u64,
}

impl Tally {
    /// Adds one outcome (not_applicable is ignored).
    pub fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Passed => self.passed += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::Manual => self.manual += 1,
            Outcome::Error => self.error += 1,
            Outcome::NotApplicable => {}
        }
    }

    /// Posture score in percent: passed / (passed + failed); `None` when nothing was scored.
    pub fn score(&self) -> Option<f64> {
        let scored = self.passed + self.failed;
        (scored > 0).then(|| self.passed as f64 * 100.0 / scored as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_ignores_manual_and_error_and_is_none_when_nothing_scored() {
        let mut t = Tally::default();
        assert_eq!(t.score(), None);
        t.add(Outcome::Manual);
        t.add(Outcome::Error);
        assert_eq!(t.score(), None);
        t.add(Outcome::Passed);
        t.add(Outcome::Passed);
        t.add(Outcome::Passed);
        t.add(Outcome::Failed);
        assert_eq!(t.score(), Some(75.0));
    }
}
