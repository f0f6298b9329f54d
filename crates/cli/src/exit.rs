//! Exit codes (documented in the README and in `kspm --help`) and how errors map to them.

use std::process::ExitCode;

/// What the process tells its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: finished, nothing failed (or `--fail-on none`).
    Clean = 0,
    /// 1: failed findings and `--fail-on failed`, or failing rule cases.
    Failed = 1,
    /// 2: usage or input error (an input could not be read or parsed; the rest was scanned).
    Input = 2,
    /// 3: kspm itself could not run (rule bundle, output, destination, internal error).
    Runtime = 3,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

/// An error caused by what the user asked for (an unknown benchmark, say): exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The exit code of an error that ended a command.
pub fn code_of(e: &anyhow::Error) -> Exit {
    // A usage error given as the context of another error is found by downcasting.
    let usage = e.downcast_ref::<UsageError>().is_some()
        || e.chain().any(|cause| {
            cause.is::<UsageError>()
                || matches!(
                    cause.downcast_ref::<kspm_engine::Error>(),
                    Some(kspm_engine::Error::UnknownBenchmark { .. })
                )
        });
    if usage { Exit::Input } else { Exit::Runtime }
}

/// True when the error is standard output's reader going away.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<kspm_sinks::SinkError>()
                .is_some_and(kspm_sinks::SinkError::is_broken_pipe)
    })
}
