//! Where a command's findings go: a format on stdout, or a kspm server.

use kspm_sinks::server::{ServerConfig, ServerSink};
use kspm_sinks::{Format, Sink};

use crate::args::OutputFormat;
use crate::exit::UsageError;

/// The file format of `output`, or `None` for `server`.
pub fn format(output: OutputFormat) -> Option<Format> {
    match output {
        OutputFormat::Server | OutputFormat::Elasticsearch => None,
        OutputFormat::Table => Some(Format::Table),
        OutputFormat::Json => Some(Format::Json),
        OutputFormat::Ndjson => Some(Format::Ndjson),
        OutputFormat::Sarif => Some(Format::Sarif),
        OutputFormat::Junit => Some(Format::Junit),
        OutputFormat::Csv => Some(Format::Csv),
    }
}

/// The sink for `output`: the format on a buffered stdout, or a server push (which needs
/// `server` and `token`).
pub fn sink(
    output: OutputFormat,
    server: Option<&str>,
    token: Option<&str>,
    batch_size: u32,
) -> anyhow::Result<Box<dyn Sink>> {
    match format(output) {
        Some(format) => {
            widen_pipe(&std::io::stdout());
            let stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout());
            Ok(format.sink(stdout))
        }
        None if output == OutputFormat::Elasticsearch => Err(UsageError(
            "--output elasticsearch is for `kspm scan`; the agent sends to a kspm server".into(),
        )
        .into()),
        None => {
            let (Some(url), Some(token)) = (server, token) else {
                return Err(UsageError("--output server needs --server and a token".into()).into());
            };
            let mut config = ServerConfig::new(url, token);
            config.batch_size = batch_size as usize;
            let sink = ServerSink::new(config).map_err(|e| UsageError(format!("--server: {e}")))?;
            Ok(Box::new(sink))
        }
    }
}

/// When `out` is a pipe, asks for a 1 MiB pipe buffer (Linux allows it without privileges):
/// with the default 64 KiB, a scan writing a gigabyte of JSON into `| consumer` spends much of
/// its time switching between the two processes. Anything else (a file, a terminal, a refusal)
/// is left as it is.
fn widen_pipe(out: &impl std::os::fd::AsFd) {
    #[cfg(target_os = "linux")]
    {
        use nix::fcntl::{FcntlArg, fcntl};
        let _ = fcntl(out.as_fd(), FcntlArg::F_SETPIPE_SZ(1 << 20));
    }
    #[cfg(not(target_os = "linux"))]
    let _ = out;
}
