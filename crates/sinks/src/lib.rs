//! kspm sinks: where findings go. Every sink implements one streaming contract, [`Sink`]: it
//! is told about the run ([`Sink::begin`]), receives findings batch by batch as the engine
//! produces them ([`Sink::write`]), and flushes at the end of the cycle ([`Sink::finish`]). A
//! sink may fail on any batch with a [`SinkError`] that says whether trying again later could
//! help and what had been delivered before.
//!
//! File formats (each in its own module, written to any `Write`):
//!
//! - `table`: grouped by resource, for people at a terminal (keeps a compact summary per
//!   resource, never whole findings);
//! - `json` / `ndjson`: the finding documents themselves (DESIGN §5), streamed;
//! - `sarif`: SARIF 2.1.0 for code-scanning dashboards, streamed;
//! - `junit`: JUnit XML for CI test reports (keeps one compact test case per finding);
//! - `csv`: one row per finding, spreadsheet-safe.
//!
//! Destinations: `server` pushes cycles to a kspm server's ingest API; `store` writes cycles
//! into a local findings store; `elasticsearch` ships finding documents with `_bulk` to
//! Elasticsearch or OpenSearch. `spool` keeps batches on disk until a destination takes them.
//!
//! Every file format is deterministic: the same findings in the same order always give the
//! same bytes, with no dependency on the terminal, the clock or hash order.

pub mod csv;
mod cycles;
mod describe;
pub mod elasticsearch;
mod format;
mod http;
mod json;
mod junit;
mod ndjson;
mod report;
pub mod retry;
mod sarif;
pub mod server;
pub mod spool;
pub mod store;
mod table;
mod windowed;

use std::sync::Arc;

use kspm_model::{ClusterInfo, FindingRule, ResourceFindings, Scope};

pub use format::Format;
pub use json::JsonSink;
pub use junit::JunitSink;
pub use ndjson::NdjsonSink;
pub use report::{Report, emit};
pub use sarif::SarifSink;
pub use table::TableSink;

/// Errors raised while encoding or sending findings.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A format name that kspm does not know.
    #[error("unknown output format `{name}` (expected one of: {})", Format::names().join(", "))]
    UnknownFormat {
        /// The name as given.
        name: String,
    },
    /// Writing to the destination failed (closed pipe, full disk, …).
    #[error("cannot write")]
    Io(#[from] std::io::Error),
    /// A document could not be serialised as JSON.
    #[error("cannot serialise a finding as JSON")]
    Json(#[source] serde_json::Error),
    /// The JUnit document could not be serialised as XML.
    #[error("cannot serialise the report as JUnit XML")]
    Junit(#[from] quick_junit::SerializeError),
    /// A CSV record could not be written.
    #[error("cannot write CSV")]
    Csv(#[from] ::csv::Error),
    /// An HTTP request could not be made or got no answer.
    #[error("request failed")]
    Http(#[from] reqwest::Error),
    /// The destination answered with an HTTP error.
    #[error("HTTP {status}: {body}")]
    Status {
        /// The status code.
        status: u16,
        /// The start of the response body.
        body: String,
    },
    /// The findings store refused a write.
    #[error("the store refused the write")]
    Store(#[from] kspm_store::Error),
    /// The sink was configured wrongly (a bad URL, say).
    #[error("{0}")]
    Config(String),
    /// Elasticsearch's start-up check found the destination unusable; `problem` says which
    /// way, `detail` how.
    #[error("{problem}: {detail}")]
    Startup {
        /// What is wrong.
        problem: elasticsearch::Problem,
        /// The details: the server's own reason, what to change.
        detail: String,
    },
    /// Elasticsearch refused documents for good (mapping conflicts, validation errors).
    #[error("{count} documents were rejected; the first: {first}")]
    Rejected {
        /// How many.
        count: u64,
        /// The first, with its id and reason.
        first: String,
    },
}

impl From<serde_json::Error> for Error {
    // serde_json reports writer failures as its own error; keep them recognisable as IO so
    // that callers can tell a closed pipe from a bug.
    fn from(err: serde_json::Error) -> Self {
        if err.is_io() {
            Error::Io(err.into())
        } else {
            Error::Json(err)
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What is known about a run before its first finding.
#[derive(Debug, Clone, Copy)]
pub struct RunInfo<'a> {
    /// kspm's version (SARIF's tool description).
    pub tool_version: &'a str,
    /// The cluster evaluated.
    pub cluster: &'a ClusterInfo,
    /// When the run started (Unix seconds): the cycles' start.
    pub started_at: i64,
    /// Every rule the run evaluates, with the text its findings carry.
    pub rules: &'a [Arc<FindingRule>],
    /// Inputs that could not be read, one message each (they were not evaluated).
    pub input_errors: &'a [String],
    /// The scopes the run covers: each gets a cycle at destinations that keep cycles, even
    /// one without findings, so that what it no longer reports is resolved.
    pub scopes: &'a [Scope],
}

/// What is known about a run once its last finding has been written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// How many resources were evaluated (including those no rule applied to).
    pub resources_evaluated: usize,
    /// How many (resource, rule) pairs did not apply; those findings were never written.
    pub not_applicable: usize,
}

/// What a sink really delivered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Findings written or accepted by the destination.
    pub findings: u64,
    /// Requests or batches sent (0 for file formats).
    pub batches: u64,
    /// Cycles completed at the destination (0 for file formats).
    pub cycles: u64,
    /// Batches left in the disk spool for a later attempt (0 without a spool).
    pub spooled: u64,
    /// Why some batches could not be delivered yet (they are in the spool).
    pub deferred: Option<String>,
}

impl std::fmt::Display for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} findings in {} batches, {} cycles completed",
            self.findings, self.batches, self.cycles
        )?;
        if self.spooled > 0 {
            write!(f, "; {} batches kept in the spool", self.spooled)?;
        }
        if let Some(why) = &self.deferred {
            write!(f, " ({why})")?;
        }
        Ok(())
    }
}

/// A sink gave up on a batch.
#[derive(Debug, thiserror::Error)]
#[error("{sink}: {what} failed{}", if *.retryable { " (temporary: a later attempt may succeed)" } else { "" })]
pub struct SinkError {
    /// The sink, as [`Sink::name`] says.
    pub sink: String,
    /// What failed: `batch 2 of cycle node:cp-1`, `writing the report`.
    pub what: String,
    /// True when the failure may pass (a timeout, a refused connection, HTTP 429 or 5xx) and
    /// the batch could be sent again later; false when sending it again cannot help (a refused
    /// token, a malformed request, a full disk).
    pub retryable: bool,
    /// What had been delivered before the failure.
    pub delivered: Delivery,
    /// The cause.
    #[source]
    pub source: Box<Error>,
}

impl SinkError {
    /// A failure of `what` in `sink`.
    pub fn new(
        sink: impl Into<String>,
        what: impl Into<String>,
        retryable: bool,
        source: impl Into<Error>,
    ) -> SinkError {
        SinkError {
            sink: sink.into(),
            what: what.into(),
            retryable,
            delivered: Delivery::default(),
            source: Box::new(source.into()),
        }
    }

    /// Records what had been delivered before this failure.
    pub fn after(mut self, delivered: Delivery) -> SinkError {
        self.delivered = delivered;
        self
    }

    /// True when the destination is a pipe whose reader went away (`kspm scan | head`): a
    /// normal end for a command-line tool, not an error to report.
    pub fn is_broken_pipe(&self) -> bool {
        match self.source.as_ref() {
            Error::Io(e) => e.kind() == std::io::ErrorKind::BrokenPipe,
            _ => false,
        }
    }
}

/// Where findings go: a file format on a writer, a server, a store.
pub trait Sink {
    /// Names the sink in messages (`JSON on standard output`, `kspm server http://…`).
    fn name(&self) -> String;

    /// Called once, before the first batch.
    fn begin(&mut self, run: &RunInfo<'_>) -> Result<(), SinkError>;

    /// The findings of a window of resources, in output order. Called as they are produced.
    fn write(&mut self, batch: &[ResourceFindings]) -> Result<(), SinkError>;

    /// Called once after the last batch: writes what only the whole run can tell (totals,
    /// footers), completes cycles, flushes. Returns what was delivered.
    fn finish(&mut self, summary: &RunSummary) -> Result<Delivery, SinkError>;
}

/// A sink borrowed for one run (its owner reads what it kept afterwards).
impl<S: Sink + ?Sized> Sink for &mut S {
    fn name(&self) -> String {
        (**self).name()
    }

    fn begin(&mut self, run: &RunInfo<'_>) -> Result<(), SinkError> {
        (**self).begin(run)
    }

    fn write(&mut self, batch: &[ResourceFindings]) -> Result<(), SinkError> {
        (**self).write(batch)
    }

    fn finish(&mut self, summary: &RunSummary) -> Result<Delivery, SinkError> {
        (**self).finish(summary)
    }
}

/// A file format's failure to write: never worth retrying.
pub(crate) fn file_error(sink: &dyn Sink, source: Error, delivered: &Delivery) -> SinkError {
    SinkError::new(sink.name(), "writing", false, source).after(delivered.clone())
}

#[cfg(test)]
mod fixtures;
