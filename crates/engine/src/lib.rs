//! kspm rule engine: loads the Rego rule bundle (embedded at build time, plus user rules),
//! compiles it once, routes each resource to the rules whose `applies_to` matches, evaluates
//! every routed rule of a resource in one VM call, in parallel across resources, and turns the
//! results into [`kspm_model::Finding`]s.
//!
//! A rule that fails to compile or errors at run time yields `error` findings naming the rule
//! and the cause; it never panics the scan and never passes silently.

mod bundle;
mod context;
mod evaluator;
mod findings;
pub mod harness;
mod inventory;
mod replicas;

pub use bundle::{Rule, RuleBundle};
pub use context::ScanContext;
pub use evaluator::{Evaluation, EvaluationStats, Evaluator, WINDOW};
pub use findings::fill_placeholders;

/// Engine errors (bundle loading and compilation; per-rule failures are findings).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bundle layout or a metadata file is invalid.
    #[error("rule bundle: {0}")]
    Bundle(String),
    /// A bundle file could not be read.
    #[error("cannot read {0}")]
    Io(String, #[source] std::io::Error),
    /// `--benchmark` named a benchmark no loaded bundle defines.
    #[error("unknown benchmark `{id}` (the loaded rules define: {known}, or `all`)")]
    UnknownBenchmark {
        /// The id as given.
        id: String,
        /// The ids the bundles define.
        known: String,
    },
    /// A library module does not compile (every rule depends on it).
    #[error("library module {path} does not compile: {message}")]
    Library {
        /// Module path.
        path: String,
        /// Compiler message.
        message: String,
    },
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
