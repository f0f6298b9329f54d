//! Helpers shared by the benches: settings from the environment and the peak RSS of one child
//! process, measured in a re-executed copy of the bench so the figure is the child's alone.

use std::ffi::OsStr;
use std::process::{Command, Stdio};

use nix::sys::resource::{UsageWho, getrusage};

/// The environment variable that makes a bench re-executed by [`peak_rss_mb`] run its child.
pub const MEASURE_RSS: &str = "KSPM_BENCH_MEASURE_RSS";

/// A number from the environment, or `default`.
pub fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// In the re-executed bench: runs `child` as this process's only child (output discarded) and
/// prints its peak RSS in KiB.
pub fn print_child_rss(mut child: Command) {
    let status = child
        .stdout(Stdio::null())
        .status()
        .expect("run the measured command");
    assert!(status.success(), "the measured command failed: {status}");
    let rss = getrusage(UsageWho::RUSAGE_CHILDREN)
        .map(|u| u.max_rss())
        .unwrap_or(0);
    println!("{rss}");
}

/// Re-executes this bench with [`MEASURE_RSS`] set to `arg` (its `main` then calls
/// [`print_child_rss`]) and returns the child's peak RSS in MB (NaN when unknown).
pub fn peak_rss_mb(arg: impl AsRef<OsStr>) -> f64 {
    Command::new(std::env::current_exe().expect("own path"))
        .env(MEASURE_RSS, arg)
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}
