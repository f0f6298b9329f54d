//! Contract types shared by every kspm stage: the rule input envelope ([`Resource`]),
//! rule metadata ([`RuleMeta`]), the finding document ([`Finding`]) in Elastic's
//! cloud-security-posture layout, [`Outcome`]s and deterministic ids.
//!
//! No IO and no async live here, so each stage can be tested on its own.

mod coverage;
mod finding;
mod ids;
mod outcome;
mod raw;
mod remediation;
mod resource;
mod rule;
mod scope;
mod score;
mod time;

pub use coverage::Gap;
pub use finding::*;
pub use ids::*;
pub use outcome::Outcome;
pub use raw::RawJson;
pub use remediation::Remediation;
pub use resource::*;
pub use rule::*;
pub use scope::{Scope, ScopeError};
pub use score::*;
pub use time::{rfc3339, unix_now};

/// Errors raised while validating contract data (rule metadata, ids).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Rule metadata broke a rule of the bundle contract.
    #[error("invalid rule metadata for `{rule}`: {reason}")]
    InvalidRule {
        /// The rule id or directory.
        rule: String,
        /// What is wrong.
        reason: String,
    },
    /// A benchmark definition (`benchmark.yaml`) broke the bundle contract.
    #[error("invalid benchmark definition `{benchmark}`: {reason}")]
    InvalidBenchmark {
        /// The benchmark id.
        benchmark: String,
        /// What is wrong.
        reason: String,
    },
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
