//! kspm output formats. A scan's [`Report`] is written in one of several [`Format`]s by one
//! [`Emitter`] per format, each in its own module:
//!
//! - `table`: grouped by resource, for people at a terminal;
//! - `json` / `ndjson`: the finding documents themselves (DESIGN §5);
//! - `sarif`: SARIF 2.1.0 for code-scanning dashboards;
//! - `junit`: JUnit XML for CI test reports.
//!
//! Every emitter is deterministic: the same report always gives the same bytes, with no
//! dependency on the terminal, the clock or hash order.

mod describe;
mod format;
mod json;
mod junit;
mod ndjson;
mod report;
mod sarif;
mod table;
mod windowed;

use std::io::Write;

pub use format::Format;
pub use json::JsonEmitter;
pub use junit::JunitEmitter;
pub use ndjson::NdjsonEmitter;
pub use report::Report;
pub use sarif::SarifEmitter;
pub use table::TableEmitter;

/// Errors raised while writing a report.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A format name that kspm does not know.
    #[error("unknown output format `{name}` (expected one of: {})", Format::names().join(", "))]
    UnknownFormat {
        /// The name as given.
        name: String,
    },
    /// Writing to the destination failed (closed pipe, full disk, …).
    #[error("cannot write the report")]
    Io(#[from] std::io::Error),
    /// A document could not be serialised as JSON.
    #[error("cannot serialise the report as JSON")]
    Json(#[source] serde_json::Error),
    /// The JUnit document could not be serialised as XML.
    #[error("cannot serialise the report as JUnit XML")]
    Junit(#[from] quick_junit::SerializeError),
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

/// Writes a [`Report`] in one format. Implemented once per format.
pub trait Emitter {
    /// Writes the whole report to `out`. Emitters write in a few large pieces or through
    /// serde's writer; pass a buffered writer for files and pipes.
    fn emit(&self, report: &Report, out: &mut dyn Write) -> Result<()>;
}

/// Writes `report` to `out` in `format`.
pub fn emit(format: Format, report: &Report, out: &mut dyn Write) -> Result<()> {
    format.emitter().emit(report, out)
}

#[cfg(test)]
mod fixtures;
