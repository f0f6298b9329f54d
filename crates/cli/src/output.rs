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
            "--output elasticsearch is built by `output::elasticsearch_sink`".into(),
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

/// The Elasticsearch sink `args` describe (credentials from the key file or the environment),
/// with its disk spool.
pub fn elasticsearch_sink(
    args: &crate::args::ElasticsearchArgs,
    spool: Option<kspm_sinks::elasticsearch::SpoolConfig>,
) -> anyhow::Result<kspm_sinks::elasticsearch::ElasticsearchSink> {
    use kspm_sinks::elasticsearch::{Credentials, ElasticsearchConfig, ElasticsearchSink, Target};
    let Some(url) = &args.elasticsearch_url else {
        return Err(UsageError("--output elasticsearch needs --elasticsearch-url".into()).into());
    };
    let usage = |e: kspm_sinks::Error| UsageError(format!("--output elasticsearch: {e}"));
    let credentials = Credentials::resolve(args.elasticsearch_api_key_file.as_deref(), |name| {
        std::env::var(name).ok()
    })
    .map_err(usage)?;
    let ca_pem = match &args.elasticsearch_ca {
        Some(path) => Some(
            std::fs::read(path)
                .map_err(|e| UsageError(format!("--elasticsearch-ca {}: {e}", path.display())))?,
        ),
        None => None,
    };
    let mut config = ElasticsearchConfig::new(url.clone());
    config.target = match &args.elasticsearch_index {
        Some(index) => Target::Index(index.clone()),
        None => Target::DataStream(args.elasticsearch_data_stream.clone()),
    };
    config.credentials = credentials;
    config.ca_pem = ca_pem;
    config.batch_docs = args.elasticsearch_batch_size as usize;
    config.spool = spool;
    Ok(ElasticsearchSink::new(config).map_err(usage)?)
}
