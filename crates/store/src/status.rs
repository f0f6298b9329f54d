//! The one definition of what a latest finding counts as, and of every count the store
//! reports.
//!
//! A current finding has exactly one [`Status`]: `disabled` when its rule is disabled for its
//! cluster; otherwise `excepted` when an unexpired exception covers it; otherwise its outcome.
//! The dashboard, groups, the rules page, the trend, `/metrics` and the `status` query field
//! all count statuses through this module, so that a number and the list it links to
//! (`status : failed`) always agree.

use kspm_model::Outcome;
use serde::{Deserialize, Serialize};

/// What a current finding counts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Failed, not excepted, rule enabled.
    Failed,
    /// Could not be evaluated (rule enabled, not excepted).
    Error,
    /// A person must judge (rule enabled, not excepted).
    Manual,
    /// Passed (rule enabled, not excepted).
    Passed,
    /// Covered by an unexpired exception (its outcome is kept, but it is not scored).
    Excepted,
    /// Its rule is disabled for the finding's cluster.
    Disabled,
}

impl Status {
    /// Every status, in the order pages list them.
    pub const ALL: [Status; 6] = [
        Status::Failed,
        Status::Error,
        Status::Manual,
        Status::Passed,
        Status::Excepted,
        Status::Disabled,
    ];

    /// Lower-case name, as in `status : failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Failed => "failed",
            Status::Error => "error",
            Status::Manual => "manual",
            Status::Passed => "passed",
            Status::Excepted => "excepted",
            Status::Disabled => "disabled",
        }
    }

    /// Parses a lower-case name.
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The status of a finding with this outcome, rule setting and exception state.
    pub fn of(outcome: Outcome, disabled: bool, excepted: bool) -> Status {
        if disabled {
            Status::Disabled
        } else if excepted {
            Status::Excepted
        } else {
            match outcome {
                Outcome::Passed => Status::Passed,
                Outcome::Failed => Status::Failed,
                Outcome::Manual => Status::Manual,
                Outcome::Error | Outcome::NotApplicable => Status::Error,
            }
        }
    }
}

/// Findings counted by status. Every count the store reports is one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Counts {
    /// Failed (rule enabled, not excepted).
    pub failed: u64,
    /// Passed (rule enabled, not excepted).
    pub passed: u64,
    /// Manual (rule enabled, not excepted).
    pub manual: u64,
    /// Error (rule enabled, not excepted).
    pub error: u64,
    /// Covered by an unexpired exception, whatever their outcome.
    pub excepted: u64,
    /// Findings of rules disabled for their cluster.
    pub disabled: u64,
}

impl Counts {
    /// Adds `n` findings of `status`.
    pub fn add(&mut self, status: Status, n: u64) {
        *self.slot(status) += n;
    }

    /// The count of one status.
    pub fn get(&self, status: Status) -> u64 {
        match status {
            Status::Failed => self.failed,
            Status::Error => self.error,
            Status::Manual => self.manual,
            Status::Passed => self.passed,
            Status::Excepted => self.excepted,
            Status::Disabled => self.disabled,
        }
    }

    fn slot(&mut self, status: Status) -> &mut u64 {
        match status {
            Status::Failed => &mut self.failed,
            Status::Error => &mut self.error,
            Status::Manual => &mut self.manual,
            Status::Passed => &mut self.passed,
            Status::Excepted => &mut self.excepted,
            Status::Disabled => &mut self.disabled,
        }
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &Counts) {
        for s in Status::ALL {
            self.add(s, other.get(s));
        }
    }

    /// Findings shown by default (every status but `disabled`).
    pub fn shown(&self) -> u64 {
        self.failed + self.passed + self.manual + self.error + self.excepted
    }

    /// Posture score in percent: passed / (passed + failed); `None` when nothing was scored.
    pub fn score(&self) -> Option<f64> {
        let scored = self.passed + self.failed;
        (scored > 0).then(|| self.passed as f64 * 100.0 / scored as f64)
    }
}

/// SQL: the status of a row, from its outcome, disabled flag and exception columns.
/// `now` is the SQL text of the "now" parameter (`?1`, `?`), used once.
pub(crate) fn status_sql(outcome: &str, disabled: &str, excepted_now: &str) -> String {
    format!(
        "(CASE WHEN {disabled} THEN 'disabled' WHEN {excepted_now} THEN 'excepted' ELSE {outcome} END)"
    )
}

/// SQL: whether the exception materialised on a row (`id`, `expires`) still applies at `now`.
pub(crate) fn excepted_now_sql(id_present: &str, expires: &str, now: &str) -> String {
    format!("({id_present} AND ({expires} IS NULL OR {expires} > {now}))")
}

/// A set of (outcome, state) cells, for queries that select nothing but outcomes and
/// statuses: such queries are counted from the aggregates instead of the findings.
/// Cell index = state × 4 + outcome, state 0 = plain, 1 = excepted, 2 = disabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CellMask(pub(crate) [bool; 12]);

/// Outcome slot of a cell: passed, failed, manual, error.
pub(crate) fn outcome_slot(outcome: Outcome) -> usize {
    match outcome {
        Outcome::Passed => 0,
        Outcome::Failed => 1,
        Outcome::Manual => 2,
        Outcome::Error | Outcome::NotApplicable => 3,
    }
}

/// The cell of a finding.
pub(crate) fn cell(outcome: Outcome, disabled: bool, excepted: bool) -> usize {
    let state = if disabled {
        2
    } else if excepted {
        1
    } else {
        0
    };
    state * 4 + outcome_slot(outcome)
}

impl CellMask {
    pub(crate) const ALL: CellMask = CellMask([true; 12]);
    pub(crate) const NONE: CellMask = CellMask([false; 12]);

    /// Cells of one outcome, in every state.
    pub(crate) fn outcome(outcome: Outcome) -> CellMask {
        let mut m = CellMask::NONE;
        for state in 0..3 {
            m.0[state * 4 + outcome_slot(outcome)] = true;
        }
        m
    }

    /// Cells of one status.
    pub(crate) fn status(status: Status) -> CellMask {
        let mut m = CellMask::NONE;
        let plain = |o| outcome_slot(o);
        match status {
            Status::Passed => m.0[plain(Outcome::Passed)] = true,
            Status::Failed => m.0[plain(Outcome::Failed)] = true,
            Status::Manual => m.0[plain(Outcome::Manual)] = true,
            Status::Error => m.0[plain(Outcome::Error)] = true,
            Status::Excepted => m.0[4..8].iter_mut().for_each(|c| *c = true),
            Status::Disabled => m.0[8..12].iter_mut().for_each(|c| *c = true),
        }
        m
    }

    pub(crate) fn and(self, other: CellMask) -> CellMask {
        CellMask(std::array::from_fn(|i| self.0[i] && other.0[i]))
    }

    pub(crate) fn or(self, other: CellMask) -> CellMask {
        CellMask(std::array::from_fn(|i| self.0[i] || other.0[i]))
    }

    pub(crate) fn not(self) -> CellMask {
        CellMask(std::array::from_fn(|i| !self.0[i]))
    }

    /// Without the disabled cells (default searches and groups leave disabled rules out).
    pub(crate) fn enabled_only(self) -> CellMask {
        let mut m = self;
        m.0[8..12].iter_mut().for_each(|c| *c = false);
        m
    }

    pub(crate) fn has(&self, outcome: Outcome, disabled: bool, excepted: bool) -> bool {
        self.0[cell(outcome, disabled, excepted)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disabled_wins_over_excepted_which_wins_over_the_outcome() {
        assert_eq!(Status::of(Outcome::Failed, true, true), Status::Disabled);
        assert_eq!(Status::of(Outcome::Failed, false, true), Status::Excepted);
        assert_eq!(Status::of(Outcome::Failed, false, false), Status::Failed);
        assert_eq!(Status::of(Outcome::Manual, false, false), Status::Manual);
    }

    #[test]
    fn status_masks_partition_the_cells() {
        let mut seen = [0; 12];
        for s in Status::ALL {
            for (i, on) in CellMask::status(s).0.iter().enumerate() {
                seen[i] += usize::from(*on);
            }
        }
        assert_eq!(seen, [1; 12]);
        for o in [
            Outcome::Passed,
            Outcome::Failed,
            Outcome::Manual,
            Outcome::Error,
        ] {
            for (d, e) in [(false, false), (false, true), (true, false), (true, true)] {
                assert!(CellMask::status(Status::of(o, d, e)).has(o, d, e));
            }
        }
    }

    #[test]
    fn score_ignores_everything_but_passed_and_failed() {
        let c = Counts {
            failed: 1,
            passed: 3,
            manual: 5,
            error: 7,
            excepted: 9,
            disabled: 11,
        };
        assert_eq!(c.score(), Some(75.0));
        assert_eq!(c.shown(), 25);
        assert_eq!(Counts::default().score(), None);
    }
}
