//! Command-line definition and dispatch.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Exit codes (documented in the README and in `kspm --help`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: scan finished, nothing failed (or `--fail-on none`).
    Clean = 0,
    /// 1: failed findings and `--fail-on failed`, or failing rule cases.
    Failed = 1,
    /// 2: usage or input error (an input could not be read or parsed; the rest was scanned).
    Input = 2,
    /// 3: kspm itself could not run (rule bundle, output, internal error).
    Runtime = 3,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

const EXIT_CODES: &str = "Exit codes:\n  0  clean: no failed findings (or --fail-on none)\n  1  failed findings with --fail-on failed; failing rule cases for `rules test`\n  2  usage or input error: an input could not be read or parsed (the other inputs were still scanned)\n  3  kspm could not run: rule bundle, output or internal error";

/// kspm: Kubernetes security posture management against the CIS Kubernetes Benchmark and the
/// Pod Security Standards.
#[derive(Debug, Parser)]
#[command(name = "kspm", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// More logging on stderr (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan manifests and cluster snapshots offline (files, directories, `-` for stdin).
    Scan(ScanArgs),
    /// List, show and test rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Print a deterministic synthetic cluster snapshot (JSON `kind: List`) for benchmarks.
    #[command(hide = true)]
    Synth {
        /// Number of pods.
        #[arg(long, default_value_t = 10_000)]
        pods: usize,
        /// Generator seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Serve the findings store: ingest API, JSON API, /metrics and the web UI.
    Server {
        /// SQLite database file (created when missing).
        #[arg(long, value_name = "FILE", default_value = "kspm-data/kspm.db")]
        db: PathBuf,
        /// Address to listen on.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// Token required for writes (ingest, rule toggles, exceptions); at least 16
        /// characters. Without it a random one is generated and printed.
        #[arg(long, env = "KSPM_WRITE_TOKEN", hide_env_values = true)]
        write_token: Option<String>,
        /// Token required for reads; without it reads are open to whoever reaches the server.
        #[arg(long, env = "KSPM_READ_TOKEN", hide_env_values = true)]
        read_token: Option<String>,
    },
    /// Scan the bundled demo (two clusters, each with a control-plane and a worker node, four
    /// cycles of history) into DATA_DIR/kspm.db, then serve the dashboard.
    Demo {
        /// Where the database goes (its previous demo database is replaced).
        #[arg(long, value_name = "DIR", default_value = "kspm-data")]
        data_dir: PathBuf,
        /// Address to serve on.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// Only build the database; do not serve.
        #[arg(long)]
        no_serve: bool,
    },
    /// Write a fixture node root filesystem (for trying `kspm scan --host-root`).
    #[command(hide = true)]
    SynthNode {
        /// Which node.
        #[arg(long, value_enum, default_value = "kubeadm-control-plane")]
        kind: NodeFixture,
        /// Directory to create (must not exist or be empty).
        dir: PathBuf,
    },
}

/// Fixture nodes built by `kspm synth-node`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NodeFixture {
    /// A kubeadm control-plane node with kubeadm's defaults.
    KubeadmControlPlane,
    /// A kubeadm worker node.
    Worker,
    /// A control-plane node where every automated check passes.
    Hardened,
    /// Unusual layouts: non-default paths, JSON config, symlinks, unreadable files.
    Odd,
    /// An Amazon EKS worker node.
    EksWorker,
}

/// Which rules to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Benchmark {
    /// CIS Kubernetes Benchmark v1.12 / v2.0.1.
    #[value(name = "cis_k8s")]
    CisK8s,
    /// Kubernetes Pod Security Standards (baseline and restricted).
    Pss,
    /// Every rule.
    All,
}

impl Benchmark {
    pub fn id(self) -> &'static str {
        match self {
            Benchmark::CisK8s => "cis_k8s",
            Benchmark::Pss => "pss",
            Benchmark::All => "all",
        }
    }
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Findings grouped by resource, with the posture score.
    Table,
    /// A JSON array of finding documents (Elastic cloud-security-posture layout).
    Json,
    /// One finding document per line.
    Ndjson,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
    /// JUnit XML, for CI test reports.
    Junit,
    /// Send the findings to a kspm server (--server, --token); prints a summary.
    Server,
}

/// When to exit with code 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Exit 1 when any finding failed.
    Failed,
    /// Always exit 0 after a complete scan.
    None,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan (directories are walked for .yaml, .yml and .json); `-` reads stdin.
    #[arg(required_unless_present = "host_root")]
    pub paths: Vec<PathBuf>,
    /// A node's root filesystem (a mounted disk, `/` on the node itself, or a fixture):
    /// evaluates CIS sections 1-4 from its processes, files and kubelet configuration.
    /// May be repeated, one per node.
    #[arg(long, value_name = "DIR")]
    pub host_root: Vec<PathBuf>,
    /// Node name for a --host-root whose kubelet has no --hostname-override (default: the
    /// host's etc/hostname).
    #[arg(long, value_name = "NAME")]
    pub node_name: Option<String>,
    /// Benchmark to evaluate.
    #[arg(long, value_enum, default_value = "all")]
    pub benchmark: Benchmark,
    /// Output format (written to stdout).
    #[arg(short, long, value_enum, default_value = "table")]
    pub output: OutputFormat,
    /// When to exit with code 1.
    #[arg(long, value_enum, default_value = "failed")]
    pub fail_on: FailOn,
    /// Directory of extra rules with the bundle layout (may be repeated).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Cluster name stamped on findings (the cluster id is derived from it).
    #[arg(long, default_value = "local")]
    pub cluster_name: String,
    /// Largest input file read, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 256)]
    pub max_file_size: u64,
    /// kspm server to send findings to with `--output server` (`http://host:8080`).
    #[arg(
        long,
        value_name = "URL",
        env = "KSPM_SERVER",
        required_if_eq("output", "server")
    )]
    pub server: Option<String>,
    /// The server's write token, for `--output server`.
    #[arg(
        long,
        env = "KSPM_WRITE_TOKEN",
        hide_env_values = true,
        required_if_eq("output", "server")
    )]
    pub token: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List rules with their benchmark numbers.
    List {
        /// Only rules of this benchmark.
        #[arg(long, value_enum, default_value = "all")]
        benchmark: Benchmark,
        /// Include user rules from this directory.
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
    },
    /// Show one rule: metadata, remediation and Rego.
    Show {
        /// Rule id or benchmark number (e.g. 5.1.1).
        id: String,
        /// Include user rules from this directory.
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
    },
    /// Run every rule's cases.yaml (the embedded bundle, or the rules in DIR).
    Test {
        /// A rule directory or bundle directory; default: the embedded bundle.
        dir: Option<PathBuf>,
        /// Print every case, not only failures.
        #[arg(long)]
        all_cases: bool,
    },
}

pub fn init_tracing(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("KSPM_LOG").unwrap_or_else(|_| level.into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

pub fn run(cli: Cli) -> anyhow::Result<Exit> {
    match cli.command {
        Command::Scan(args) => crate::scan::run(args),
        Command::Rules(cmd) => crate::rules_cmd::run(cmd),
        Command::Synth { pods, seed } => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            kspm_fixtures::cluster::write(pods, seed, &mut out)?;
            std::io::Write::flush(&mut out)?;
            Ok(Exit::Clean)
        }
        Command::Server {
            db,
            listen,
            write_token,
            read_token,
        } => crate::serve::server(crate::serve::ServerOptions {
            db,
            listen,
            write_token,
            read_token,
        }),
        Command::Demo {
            data_dir,
            listen,
            no_serve,
        } => crate::serve::demo(crate::serve::DemoOptions {
            data_dir,
            listen,
            serve: !no_serve,
        }),
        Command::SynthNode { kind, dir } => {
            use anyhow::Context as _;
            use kspm_fixtures::node::{Fixture, write};
            if dir.read_dir().is_ok_and(|mut d| d.next().is_some()) {
                anyhow::bail!("{} exists and is not empty", dir.display());
            }
            let fixture = match kind {
                NodeFixture::KubeadmControlPlane => Fixture::KubeadmControlPlane,
                NodeFixture::Worker => Fixture::Worker,
                NodeFixture::Hardened => Fixture::Hardened,
                NodeFixture::Odd => Fixture::OddLayouts,
                NodeFixture::EksWorker => Fixture::EksWorker,
            };
            write(fixture, &dir).with_context(|| format!("writing {}", dir.display()))?;
            Ok(Exit::Clean)
        }
    }
}

/// The embedded bundle plus user rule directories.
pub fn load_bundle(extra: &[PathBuf]) -> anyhow::Result<kspm_engine::RuleBundle> {
    use anyhow::Context as _;
    let mut bundle =
        kspm_engine::RuleBundle::embedded().context("loading the embedded rule bundle")?;
    for dir in extra {
        let user = kspm_engine::RuleBundle::from_dir(dir)
            .with_context(|| format!("loading rules from {}", dir.display()))?;
        bundle.merge(user);
    }
    Ok(bundle)
}
