//! The command line: what each command accepts, as clap reads it. Nothing here runs anything.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXIT_CODES: &str = "Exit codes:\n  0  clean: no failed findings (or --fail-on none); also when the reader of the output went away (`| head`)\n  1  failed findings with --fail-on failed; failing rule cases for `rules test`\n  2  usage or input error: an input could not be read or parsed (the other inputs were still scanned), no Kubernetes object in the inputs, an unknown benchmark\n  3  kspm could not run: rule bundle, output or destination (server, Elasticsearch) error";

/// kspm: Kubernetes security posture management against the CIS Kubernetes Benchmark and the
/// Pod Security Standards.
///
/// `kspm demo` records a demo into SQLite and serves the dashboard; `kspm scan` evaluates
/// manifests, snapshots, node root filesystems and running clusters.
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
    /// Scan manifests and snapshots (files, directories, `-` for stdin), node root
    /// filesystems (--host-root) or a running cluster (--kubeconfig, --in-cluster).
    Scan(Box<ScanArgs>),
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
        /// Leave the pods' ReplicaSets out (as `kubectl get pods,deploy,…` without `rs`), so
        /// that every pod is evaluated on its own.
        #[arg(long)]
        without_replicasets: bool,
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
        /// A file holding the write token (a mounted Secret), read at start; keeps the token
        /// out of the process environment.
        #[arg(
            long,
            value_name = "FILE",
            env = "KSPM_WRITE_TOKEN_FILE",
            conflicts_with = "write_token"
        )]
        write_token_file: Option<PathBuf>,
        /// Token required for reads; without it reads are open to whoever reaches the server.
        #[arg(long, env = "KSPM_READ_TOKEN", hide_env_values = true)]
        read_token: Option<String>,
        /// Host name browsers use to reach the server (repeatable). Without a read token,
        /// requests without a token are answered only for IP addresses, localhost and these
        /// names (a defence against DNS rebinding).
        #[arg(
            long = "allowed-host",
            value_name = "NAME",
            env = "KSPM_ALLOWED_HOSTS",
            value_delimiter = ','
        )]
        allowed_hosts: Vec<String>,
        /// Forward what the server ingests to Elasticsearch or OpenSearch (`--elasticsearch-url`).
        #[command(flatten)]
        forward: Box<ElasticsearchArgs>,
        /// The forwarder's disk spool: batches Elasticsearch could not take wait here (default:
        /// `forward-spool` next to the database).
        #[arg(long, value_name = "DIR")]
        forward_spool_dir: Option<PathBuf>,
        /// Largest size of the forwarder's spool, in MiB; when full, the oldest batches are
        /// dropped (counted, logged).
        #[arg(long, value_name = "MIB", default_value_t = 1024)]
        forward_spool_size: u64,
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
    /// Run the agent: assess this node (and, on the holder of the leader lease, the cluster)
    /// now and every --interval, sending findings to a kspm server.
    Agent(Box<AgentArgs>),
    /// Print the Kubernetes manifest that deploys the agent (a DaemonSet) and the server.
    Manifest(ManifestArgs),
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
    /// An Amazon EKS worker node (Amazon Linux 2023, nodeadm).
    EksWorker,
    /// The AL2023 EKS worker with drift (drop-in and flag over the config file, loose modes).
    EksAl2023Drift,
    /// An Amazon EKS worker node (Amazon Linux 2, bootstrap.sh).
    EksAl2,
    /// The AL2 EKS worker with drift (flags over the config file, loose modes and owners).
    EksAl2Drift,
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
    /// CSV, one row per finding.
    Csv,
    /// Send the findings to a kspm server (--server, --token); prints a summary.
    Server,
    /// Ship the finding documents to Elasticsearch or OpenSearch with `_bulk`
    /// (--elasticsearch-url; credentials from KSPM_ES_API_KEY, KSPM_ES_USERNAME and
    /// KSPM_ES_PASSWORD, or --elasticsearch-api-key-file); prints a summary.
    Elasticsearch,
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
    #[arg(required_unless_present_any = ["host_root", "kubeconfig", "context", "in_cluster"])]
    pub paths: Vec<PathBuf>,
    /// Scan the running cluster of this kubeconfig (the kinds the rules need, listed through
    /// the API; never Secrets).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context of the cluster to scan (default: its current context; with no
    /// --kubeconfig, KUBECONFIG or ~/.kube/config is read).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Scan the cluster this pod runs in, with its service account.
    #[arg(long)]
    pub in_cluster: bool,
    /// The cluster's platform (kubeadm, eks, k3s, rke2, gke, aks, openshift, kind), when the
    /// one kspm recognises is wrong.
    #[arg(long, value_name = "NAME")]
    pub platform: Option<String>,
    /// A node's root filesystem (a mounted disk, `/` on the node itself, or a fixture):
    /// evaluates CIS sections 1-4 from its processes, files and kubelet configuration.
    /// May be repeated, one per node.
    #[arg(long, value_name = "DIR")]
    pub host_root: Vec<PathBuf>,
    /// Node name for a --host-root whose kubelet has no --hostname-override (default: the
    /// host's etc/hostname).
    #[arg(long, value_name = "NAME")]
    pub node_name: Option<String>,
    /// Benchmarks to evaluate: ids of the loaded rule bundles (`cis_k8s`, `cis_eks`, `pss`, or
    /// one added with --rules), comma-separated; `all` for every one; `auto` for the platform's
    /// CIS benchmark (CIS EKS on EKS, CIS Kubernetes elsewhere) and the rest (PSS, your own).
    #[arg(
        long,
        value_name = "ID[,ID]",
        value_delimiter = ',',
        default_value = "auto"
    )]
    pub benchmark: Vec<String>,
    /// Output format (written to stdout).
    #[arg(short, long, value_enum, default_value = "table")]
    pub output: OutputFormat,
    /// When to exit with code 1.
    #[arg(long, value_enum, default_value = "failed")]
    pub fail_on: FailOn,
    /// Directory of extra rules with the bundle layout (may be repeated).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Cluster name stamped on findings. Offline the cluster id is derived from it (default
    /// `local`); for a running cluster the id is its kube-system namespace's UID and the name
    /// defaults to the kubeconfig context.
    #[arg(long, value_name = "NAME")]
    pub cluster_name: Option<String>,
    /// The cluster id of an offline scan (default: derived from --cluster-name). Give the UID
    /// of the cluster's kube-system namespace to file a snapshot's findings under the same
    /// ids as a scan of the running cluster.
    #[arg(long, value_name = "ID", conflicts_with_all = ["kubeconfig", "context", "in_cluster"])]
    pub cluster_id: Option<String>,
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
    /// Findings per request with `--output server`.
    #[arg(long, value_name = "N", default_value_t = 5_000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch_size: u32,
    #[command(flatten)]
    pub elasticsearch: ElasticsearchArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Keep batches in this directory until Elasticsearch has taken them: they survive an
    /// outage and a restart, and the next run sends them first.
    #[arg(long, value_name = "DIR")]
    pub spool_dir: Option<PathBuf>,
    /// Largest size of the spool; when full, the oldest cycle's batches are dropped (counted
    /// and reported).
    #[arg(long, value_name = "MIB", default_value_t = 1024)]
    pub spool_max_size: u64,
}

/// The AWS side of an EKS cluster (CIS EKS sections 2 and 5; `kspm scan` and `kspm agent`).
/// Credentials come from the SDK's default chain: environment, profile, IRSA, EKS Pod
/// Identity, the instance profile.
#[derive(Debug, Clone, clap::Args)]
pub struct AwsArgs {
    /// When to read the EKS cluster and its ECR repositories from the AWS APIs: `auto` on EKS
    /// when kspm talks to the API server or --eks-cluster names the cluster; `always`; `never`.
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        default_value = "auto",
        env = "KSPM_AWS"
    )]
    pub aws: AwsWhen,
    /// The EKS cluster's name (default: the cluster whose endpoint is the API server's).
    #[arg(long, value_name = "NAME", env = "KSPM_EKS_CLUSTER")]
    pub eks_cluster: Option<String>,
    /// The AWS region (default: AWS_REGION, the profile, the instance, then the API server's
    /// host name).
    #[arg(long, value_name = "REGION")]
    pub aws_region: Option<String>,
}

/// When the AWS APIs are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AwsWhen {
    /// On EKS, when the cluster can be named (a live API server, or --eks-cluster).
    Auto,
    /// Always (an error when the cluster cannot be named).
    Always,
    /// Never.
    Never,
}

impl AwsArgs {
    /// The AWS source's options when this run reads AWS: on `platform`, talking to
    /// `api_server` when live.
    pub fn options(
        &self,
        platform: &str,
        api_server: Option<&str>,
    ) -> Option<kspm_collect::cloud::aws::AwsOptions> {
        let read = match self.aws {
            AwsWhen::Never => false,
            AwsWhen::Always => true,
            AwsWhen::Auto => {
                platform == "eks" && (api_server.is_some() || self.eks_cluster.is_some())
            }
        };
        read.then(|| kspm_collect::cloud::aws::AwsOptions {
            cluster_name: self.eks_cluster.clone(),
            region: self.aws_region.clone(),
            api_server: api_server.map(str::to_owned),
            images: Vec::new(),
        })
    }
}

/// Where `--output elasticsearch` ships findings (`kspm scan` and `kspm agent`).
#[derive(Debug, Clone, clap::Args)]
pub struct ElasticsearchArgs {
    /// Elasticsearch or OpenSearch to ship findings to (`https://host:9200`): with `--output
    /// elasticsearch`, or for `kspm server`, where every ingested batch is forwarded.
    #[arg(long, value_name = "URL", env = "KSPM_ES_URL")]
    pub elasticsearch_url: Option<String>,
    /// Data stream to write to (`create` operations; every cycle's documents are kept).
    #[arg(long, value_name = "NAME", default_value = kspm_sinks::elasticsearch::DEFAULT_DATA_STREAM)]
    pub elasticsearch_data_stream: String,
    /// Write to this plain index instead of a data stream (`index` operations), for
    /// OpenSearch and Elasticsearch 7.
    #[arg(
        long,
        value_name = "NAME",
        conflicts_with = "elasticsearch_data_stream"
    )]
    pub elasticsearch_index: Option<String>,
    /// A CA certificate (PEM) to trust for the Elasticsearch URL, besides the system's.
    #[arg(long, value_name = "FILE")]
    pub elasticsearch_ca: Option<PathBuf>,
    /// A file holding an Elasticsearch API key (the encoded form); overrides KSPM_ES_API_KEY
    /// and KSPM_ES_USERNAME/KSPM_ES_PASSWORD.
    #[arg(long, value_name = "FILE")]
    pub elasticsearch_api_key_file: Option<PathBuf>,
    /// Documents per bulk request with `--output elasticsearch`.
    #[arg(long, value_name = "N", default_value_t = 1_000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub elasticsearch_batch_size: u32,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List rules with their benchmark numbers.
    List {
        /// Only rules of these benchmarks (comma-separated ids, or `all`).
        #[arg(
            long,
            value_name = "ID[,ID]",
            value_delimiter = ',',
            default_value = "all"
        )]
        benchmark: Vec<String>,
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

/// `kspm agent`.
#[derive(Debug, Args)]
pub struct AgentArgs {
    /// This node's root filesystem, as mounted into the agent's pod.
    #[arg(
        long,
        value_name = "DIR",
        env = "KSPM_HOST_ROOT",
        default_value = "/hostfs"
    )]
    pub host_root: PathBuf,
    /// This node's name (in a pod: from the downward API).
    #[arg(long, value_name = "NAME", env = "NODE_NAME")]
    pub node_name: Option<String>,
    /// Do not assess the node (cluster rules only, on the lease holder).
    #[arg(long, conflicts_with = "no_cluster")]
    pub no_node: bool,
    /// Do not compete for the lease nor read the cluster's objects (node rules only).
    #[arg(long)]
    pub no_cluster: bool,
    /// A kubeconfig (default: the pod's service account in a cluster, else KUBECONFIG or
    /// ~/.kube/config).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context.
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Time between cycles (`4h`, `30m`, `90s`).
    #[arg(long, value_name = "DURATION", default_value = "4h", value_parser = parse_duration)]
    pub interval: std::time::Duration,
    /// Random spread of each interval, as a fraction of it.
    #[arg(long, value_name = "FRACTION", default_value_t = 0.1)]
    pub jitter: f64,
    /// How often findings held in the spool are sent again between cycles (at most the
    /// interval).
    #[arg(long, value_name = "DURATION", default_value = "1m", value_parser = parse_duration)]
    pub retry_interval: std::time::Duration,
    /// Run one cycle (with the same leader election), then exit with the scan's exit code.
    #[arg(long)]
    pub once: bool,
    /// Namespace of the leader Lease (in a pod: its own namespace).
    #[arg(long, value_name = "NS", env = "POD_NAMESPACE", default_value = "kspm")]
    pub lease_namespace: String,
    /// Name of the leader Lease.
    #[arg(long, value_name = "NAME", default_value = "kspm-leader")]
    pub lease_name: String,
    /// How long the lease holds without renewal; a dead leader is replaced within it.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub lease_duration: std::time::Duration,
    /// This agent's identity in the election (in a pod: the pod's name).
    #[arg(long, value_name = "NAME", env = "POD_NAME")]
    pub identity: Option<String>,
    /// Where findings go: a kspm server (default) or a format on stdout (for a first try).
    #[arg(short, long, value_enum, default_value = "server")]
    pub output: OutputFormat,
    /// The kspm server (`http://kspm-server.kspm:8080`).
    #[arg(long, value_name = "URL", env = "KSPM_SERVER")]
    pub server: Option<String>,
    /// A file holding the server's write token (a mounted Secret), read at every cycle.
    #[arg(long, value_name = "FILE", env = "KSPM_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// The server's write token (prefer --token-file).
    #[arg(long, env = "KSPM_WRITE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Findings per request to the server.
    #[arg(long, value_name = "N", default_value_t = 5_000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch_size: u32,
    /// Keep batches on disk here until the server has them (survives an outage and a
    /// restart of the agent); without it, a cycle the server cannot take is lost.
    #[arg(long, value_name = "DIR", env = "KSPM_SPOOL_DIR")]
    pub spool_dir: Option<PathBuf>,
    /// Most the spool holds, in MiB; when full, the oldest cycle is dropped (counted, logged).
    #[arg(long, value_name = "MIB", default_value_t = 256)]
    pub spool_size: u64,
    #[command(flatten)]
    pub elasticsearch: ElasticsearchArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Address for /healthz, /readyz and /metrics (`none` to serve nothing).
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0:9090")]
    pub listen: String,
    /// Benchmarks to evaluate (ids, comma-separated, `all`, or `auto`: the platform's CIS
    /// benchmark, CIS EKS on EKS and CIS Kubernetes elsewhere, and PSS).
    #[arg(
        long,
        value_name = "ID[,ID]",
        value_delimiter = ',',
        default_value = "auto"
    )]
    pub benchmark: Vec<String>,
    /// The cluster's display name (default: the kubeconfig context or kubeadm's name).
    #[arg(long, value_name = "NAME")]
    pub cluster_name: Option<String>,
    /// The cluster's platform, when the one recognised is wrong.
    #[arg(long, value_name = "NAME")]
    pub platform: Option<String>,
}

/// `kspm manifest`.
#[derive(Debug, Args)]
pub struct ManifestArgs {
    /// The platform whose node layout the agent mounts.
    #[arg(long, value_enum, default_value = "kubeadm")]
    pub platform: ManifestPlatform,
    /// Namespace for kspm's objects.
    #[arg(long, default_value = "kspm")]
    pub namespace: String,
    /// The kspm image.
    #[arg(long, default_value = concat!("ghcr.io/kspm/kspm:", env!("CARGO_PKG_VERSION")))]
    pub image: String,
    /// A kspm server outside the cluster to send findings to; without it the manifest also
    /// deploys the server (a Deployment with a PersistentVolumeClaim and a Service).
    #[arg(long, value_name = "URL")]
    pub server_url: Option<String>,
    /// Time between cycles.
    #[arg(long, value_name = "DURATION", default_value = "4h", value_parser = parse_duration)]
    pub interval: std::time::Duration,
    /// EKS: the cluster's name, for the AWS side of CIS EKS (required with --platform eks:
    /// inside the cluster the API server's address does not name it).
    #[arg(long, value_name = "NAME")]
    pub eks_cluster: Option<String>,
    /// EKS: the cluster's region (required with --platform eks).
    #[arg(long, value_name = "REGION")]
    pub aws_region: Option<String>,
    /// EKS: the IAM role the agent assumes through IRSA (annotated on its service account).
    /// Without it, give the role with an EKS Pod Identity association (the manifest says how).
    #[arg(long, value_name = "ARN")]
    pub aws_role_arn: Option<String>,
    /// EKS: print the IAM policy the agent's role needs (JSON) instead of the manifest.
    #[arg(long)]
    pub iam_policy: bool,
}

/// Node layouts `kspm manifest` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ManifestPlatform {
    /// kubeadm and similar self-managed clusters (control-plane nodes included).
    Kubeadm,
    /// Amazon EKS (worker nodes only; the control plane is AWS's).
    Eks,
}

/// `4h`, `30m`, `90s`, `1h30m`.
fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let d: jiff::SignedDuration = text
        .parse()
        .map_err(|e| format!("`{text}` is not a duration like 4h, 30m or 90s: {e}"))?;
    std::time::Duration::try_from(d)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("`{text}` must be a positive duration"))
}

/// A duration as the flags take it: `4h`, `30m`, `90s`.
pub fn format_duration(d: std::time::Duration) -> String {
    let s = d.as_secs();
    if s.is_multiple_of(3600) {
        format!("{}h", s / 3600)
    } else if s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}
