//! Helpers shared by the benches: settings from the environment and the peak RSS of one child
//! process, measured in a re-executed copy of the bench so the figure is the child's alone.

use std::ffi::OsStr;
use std::io::Read as _;
use std::process::{Command, Stdio};
use std::time::Instant;

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

/// A comma list from the environment, or `default`.
pub fn list(name: &str, default: &str) -> Vec<String> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_owned())
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The variable that makes a re-executed bench run one `kspm scan` (its arguments, separated
/// by `\x1f`) through [`measure_scan_child`].
pub const MEASURE_SCAN: &str = "KSPM_BENCH_MEASURE_SCAN";

/// One measured `kspm scan`.
pub struct Run {
    /// Wall time.
    pub seconds: f64,
    /// User + system CPU seconds of the scan (steadier than wall time on a busy machine).
    pub cpu: f64,
    /// The scan's peak RSS.
    pub peak_mb: f64,
    /// Bytes it wrote.
    pub bytes: u64,
    /// The end of its output (the table's footer).
    pub tail: String,
}

/// Runs `kspm scan --fail-on none ARGS` in a re-executed copy of this bench (so the scan is its
/// only child and the peak RSS is the scan's own) and reads what it measured.
pub fn measure_scan(args: &[&str]) -> Run {
    measure_kspm(&[&["scan", "--fail-on", "none"], args].concat())
}

/// Runs `kspm ARGS` (any command) like [`measure_scan`]; an exit code of 1 (failed findings)
/// counts as success.
pub fn measure_kspm(args: &[&str]) -> Run {
    let out = Command::new(std::env::current_exe().expect("own path"))
        .env(MEASURE_SCAN, args.join("\x1f"))
        .output()
        .expect("re-execute the bench");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.splitn(5, '\n');
    let mut next = || lines.next().unwrap_or_default().trim().to_owned();
    let seconds = next().parse().unwrap_or(f64::NAN);
    let peak_kib: f64 = next().parse().unwrap_or(f64::NAN);
    let bytes = next().parse().unwrap_or(0);
    let cpu = next().parse().unwrap_or(f64::NAN);
    Run {
        seconds,
        cpu,
        peak_mb: peak_kib / 1024.0,
        bytes,
        tail: lines.next().unwrap_or_default().to_owned(),
    }
}

/// In the re-executed bench: one `kspm` run with the arguments of [`MEASURE_SCAN`], counting
/// the output it reads from the pipe; prints seconds, peak RSS (KiB), bytes, CPU seconds and
/// the output's last lines.
pub fn measure_scan_child(spec: &str) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kspm"))
        .args(spec.split('\x1f'))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run kspm scan");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut buf = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    let mut tail: Vec<u8> = Vec::new();
    loop {
        let n = stdout.read(&mut buf).expect("read the scan's output");
        if n == 0 {
            break;
        }
        bytes += n as u64;
        tail.extend_from_slice(&buf[..n]);
        if tail.len() > 4096 {
            tail.drain(..tail.len() - 4096);
        }
    }
    let status = child.wait().expect("wait for kspm scan");
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        matches!(status.code(), Some(0 | 1)),
        "kspm {} failed: {status}",
        spec.replace('\x1f', " ")
    );
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN).expect("getrusage");
    let cpu = [usage.user_time(), usage.system_time()]
        .iter()
        .map(|t| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6)
        .sum::<f64>();
    println!(
        "{seconds}\n{}\n{bytes}\n{cpu}\n{}",
        usage.max_rss(),
        String::from_utf8_lossy(&tail)
    );
}

/// Findings counted by the table's footer (failed + passed + manual + error).
pub fn footer_findings(tail: &str) -> u64 {
    let Some(line) = tail.lines().find(|l| l.starts_with("Findings: ")) else {
        return 0;
    };
    line.trim_start_matches("Findings: ")
        .split(", ")
        .filter(|part| !part.ends_with("not applicable"))
        .filter_map(|part| part.split(' ').next()?.parse::<u64>().ok())
        .sum()
}
