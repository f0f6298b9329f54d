//! kspm collectors: the collect stage of the pipeline. Every [`Source`] turns a place into
//! [`kspm_model::Resource`]s in batches and reports what it could not read as [`Diagnostic`]s
//! (and [`kspm_model::Gap`]s when rules depend on the missing data), never by stopping: one
//! broken input must not hide the others. A [`Plan`] says which sources one run reads.
//!
//! - [`k8s`]: a running cluster, through its API server.
//! - [`offline`]: manifest files, directories, stdin, `kubectl get -o yaml|json` output.
//! - [`node`]: a node's processes and files through its host root.
//! - [`mirror`]: control-plane command lines from the static pods' mirror pods.
//! - [`read`]: bounded reads of regular files only, for every collector that reads files.
//! - [`sanitize`]: the redaction every collector applies before objects leave it.

pub mod cloud;
pub mod k8s;
pub mod mirror;
pub mod node;
pub mod offline;
pub mod plan;
pub mod platform;
pub mod read;
pub mod sanitize;
pub mod source;

pub use plan::{Collected, NodeTarget, Plan};
pub use platform::Platform;
pub use source::{Batch, Source};

use serde::Serialize;

/// Errors of this crate that stop a collector as a whole (per-input problems are
/// [`Diagnostic`]s instead).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading standard input failed.
    #[error("cannot read standard input")]
    Stdin(#[source] std::io::Error),
    /// A file on a node could not be read (the message names the errno: `permission denied
    /// (EACCES)`).
    #[error("{0}")]
    Unreadable(String),
    /// A configuration file could not be parsed.
    #[error("{0}")]
    InvalidConfig(String),
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Something was skipped on purpose (an empty or non-Kubernetes document).
    Note,
    /// Input that could not be read; it was not evaluated.
    Error,
}

/// A problem with one input, pointing at the file, document and line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Note or error.
    pub severity: Severity,
    /// File path as given (`-` for stdin).
    pub file: String,
    /// Zero-based document index, when the problem is inside one document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<usize>,
    /// One-based line, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// What is wrong, in words.
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let level = match self.severity {
            Severity::Note => "note",
            Severity::Error => "error",
        };
        write!(f, "{level}: {}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(doc) = self.document {
            write!(f, " (document {doc})")?;
        }
        write!(f, ": {}", self.message)
    }
}
