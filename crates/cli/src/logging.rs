//! Logs on stderr (`-v`, `-vv`, `KSPM_LOG`), coloured only when stderr is a terminal, and the
//! memory figures `-v` adds to them.

use std::io::IsTerminal as _;

/// Installs the subscriber: warnings by default, info with `-v`, debug with `-vv`; `KSPM_LOG`
/// (an `EnvFilter`) overrides.
pub fn init(verbose: u8) {
    // kube-rs logs every failed request as an error; kspm retries them and reports what
    // finally failed, so its own logs stay off unless KSPM_LOG asks for them.
    let level = match verbose {
        0 => "warn,kube_client=off",
        1 => "info,kube_client=off",
        _ => "debug,kube_client=off,hyper_util=info,rustls=info",
    };
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("KSPM_LOG").unwrap_or_else(|_| level.into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}

/// Resident and peak memory from /proc (Linux), for `-v` logs.
pub fn memory() -> String {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return String::new();
    };
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .map(|l| l[name.len()..].trim().to_owned())
            .unwrap_or_default()
    };
    format!(" (rss {}, peak {})", field("VmRSS:"), field("VmHWM:"))
}
