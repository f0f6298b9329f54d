//! Requests and answers of the store's public API. Everything serialises, so the server can
//! hand these to templates or JSON responses as they are.

use kspm_model::{ClusterInfo, Finding, Outcome, Scope, Tally};
use serde::{Deserialize, Serialize};

/// The start of one evaluation cycle of an agent (or a `kspm scan` pushed to the server).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CycleStart {
    /// Client-chosen unique id (a UUID); beginning the same cycle twice is a no-op.
    pub cycle_id: String,
    /// The cluster evaluated. Its name and version are updated on every begin.
    pub cluster: ClusterInfo,
    /// What the cycle covers: the cluster's objects, one node, or a cloud account and region.
    pub scope: Scope,
    /// When the cycle started (Unix seconds). Findings of the cycle are "seen" at this time.
    pub started_at: i64,
}

/// Answer to [`crate::Store::ingest_batch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestOutcome {
    /// Findings staged by this batch (`not_applicable` ones are dropped, not counted).
    /// For a duplicate batch: what the first delivery accepted.
    pub accepted: usize,
    /// True when this (cycle, batch) had been received before; nothing changed.
    pub duplicate: bool,
}

/// Answer to [`crate::Store::complete_cycle`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CycleSummary {
    /// The cycle.
    pub cycle_id: String,
    /// Its cluster id.
    pub cluster_id: String,
    /// Its scope.
    pub scope: Scope,
    /// Findings the cycle reported (latest rows written or refreshed).
    pub findings: u64,
    /// Findings that appeared for the first time or came back after being resolved.
    pub new_or_reopened: u64,
    /// Findings of the scope this cycle no longer reported, now resolved.
    pub resolved: u64,
    /// True when a newer cycle of the same scope had already completed: this one changed nothing.
    pub stale: bool,
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortDir {
    /// Smallest first.
    Asc,
    /// Largest first.
    #[default]
    Desc,
}

/// A findings search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchRequest {
    /// KQL query (see [`crate::kql`]); empty matches everything.
    pub query: String,
    /// Sort field (a [`crate::kql::FIELDS`] entry marked sortable) and direction;
    /// `None` sorts by `last_seen` descending (newest first).
    pub sort: Option<(String, SortDir)>,
    /// Zero-based page number.
    pub page: u32,
    /// Rows per page (clamped to 1..=1000).
    pub per_page: u32,
    /// Also return resolved findings (by default only current ones).
    #[serde(default)]
    pub include_resolved: bool,
    /// Also return findings of disabled rules (by default hidden).
    #[serde(default)]
    pub include_disabled: bool,
}

impl SearchRequest {
    /// A first-page search with default sort and 50 rows.
    pub fn new(query: impl Into<String>) -> SearchRequest {
        SearchRequest {
            query: query.into(),
            sort: None,
            page: 0,
            per_page: 50,
            include_resolved: false,
            include_disabled: false,
        }
    }
}

/// One page of search results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchPage {
    /// Findings matching the query, over all pages.
    pub total: u64,
    /// This page.
    pub rows: Vec<FindingRow>,
}

/// One latest finding, as listed in tables (no evidence; see [`crate::Store::finding`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingRow {
    /// Finding id: `kspm_model::finding_id(cluster, resource, rule)`.
    pub id: String,
    /// Cluster id.
    pub cluster_id: String,
    /// Cluster name.
    pub cluster_name: String,
    /// Scope of the cycle that last reported it.
    pub scope: Scope,
    /// Resource id.
    pub resource_id: String,
    /// Resource display name.
    pub resource_name: String,
    /// Resource type (`k8s_object`, `file`, `process`, `cloud`).
    pub resource_type: String,
    /// Resource sub type (kind, component, …).
    pub resource_sub_type: String,
    /// Namespace, for namespaced Kubernetes objects.
    pub namespace: Option<String>,
    /// Node name, for node resources.
    pub host: Option<String>,
    /// Rule id.
    pub rule_id: String,
    /// Rule title.
    pub rule_name: String,
    /// Benchmark section.
    pub section: String,
    /// Benchmark id (`cis_k8s`).
    pub benchmark_id: String,
    /// Rule number in the benchmark (`1.2.15`).
    pub rule_number: String,
    /// Latest outcome.
    pub outcome: Outcome,
    /// First time any cycle reported this finding (Unix seconds).
    pub first_seen: i64,
    /// Start of the latest cycle that reported it (Unix seconds).
    pub last_seen: i64,
    /// When a completed cycle of its scope no longer reported it; `None` while current.
    pub resolved_at: Option<i64>,
    /// The unexpired exception that covers it, if any (its outcome is unchanged).
    pub exception_id: Option<i64>,
    /// True when the rule is disabled for the finding's cluster.
    pub disabled: bool,
}

impl FindingRow {
    /// Whether an unexpired exception covers the finding.
    pub fn excepted(&self) -> bool {
        self.exception_id.is_some()
    }
}

/// One finding with its full document, for the flyout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredFinding {
    /// The row (timestamps, exception, disabled).
    pub row: FindingRow,
    /// The finding document as the latest cycle reported it.
    pub document: Finding,
    /// The exception covering it, if any and unexpired.
    pub exception: Option<Exception>,
}

/// What to group findings by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// Resource (per cluster).
    Resource,
    /// Rule.
    Rule,
    /// Benchmark section (per benchmark).
    Section,
    /// Cluster.
    Cluster,
    /// Kubernetes namespace (`None` key for cluster-scoped and node resources).
    Namespace,
}

impl GroupBy {
    /// Parses `resource`, `rule`, `section`, `cluster`, `namespace`.
    pub fn parse(s: &str) -> Option<GroupBy> {
        Some(match s {
            "resource" => GroupBy::Resource,
            "rule" => GroupBy::Rule,
            "section" => GroupBy::Section,
            "cluster" => GroupBy::Cluster,
            "namespace" => GroupBy::Namespace,
            _ => return None,
        })
    }

    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Resource => "resource",
            GroupBy::Rule => "rule",
            GroupBy::Section => "section",
            GroupBy::Cluster => "cluster",
            GroupBy::Namespace => "namespace",
        }
    }
}

/// A grouped findings query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRequest {
    /// KQL filter applied before grouping.
    pub query: String,
    /// Grouping key.
    pub by: GroupBy,
    /// Most groups returned (clamped to 1..=1000).
    pub limit: u32,
}

/// One group, with outcome counts over its (current, enabled-rule) findings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRow {
    /// Group key: resource id, rule id, section name, cluster id or namespace (`None` = none).
    pub key: Option<String>,
    /// Human label: resource name, rule title, section, cluster name, namespace.
    pub label: String,
    /// Extra context: cluster id for resources, benchmark id for sections, rule number for
    /// rules.
    pub context: Option<String>,
    /// A KQL query that selects this group's findings (for "show these findings" links).
    pub query: String,
    /// Outcome counts (excepted findings counted under their outcome).
    pub tally: Tally,
    /// How many of them are covered by an unexpired exception.
    pub excepted: u64,
}

/// Score over one slice of the latest findings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ScoreSlice {
    /// Outcome counts of enabled, non-excepted latest findings.
    pub tally: Tally,
    /// Excepted findings (left out of `tally` and the score).
    pub excepted: u64,
    /// passed / (passed + failed) in percent; `None` when nothing was scored.
    pub score: Option<f64>,
}

impl ScoreSlice {
    pub(crate) fn finish(mut self) -> ScoreSlice {
        self.score = self.tally.score();
        self
    }
}

/// Score of one cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterScore {
    /// Cluster id.
    pub cluster_id: String,
    /// Cluster name.
    pub cluster_name: String,
    /// Kubernetes version, when known.
    pub version: Option<String>,
    /// Start of the last completed cycle of any scope (Unix seconds).
    pub last_cycle_at: Option<i64>,
    /// Resources with latest findings.
    pub resources: u64,
    /// The score.
    pub score: ScoreSlice,
}

/// Score of one benchmark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchmarkScore {
    /// Benchmark id (`cis_k8s`).
    pub benchmark_id: String,
    /// Benchmark name.
    pub benchmark_name: String,
    /// The score.
    pub score: ScoreSlice,
}

/// Failed findings of one benchmark section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SectionScore {
    /// Benchmark id.
    pub benchmark_id: String,
    /// Section name (as in `rule.section`).
    pub section: String,
    /// The score (the dashboard bar shows `tally.failed`).
    pub score: ScoreSlice,
}

/// One point of the score trend: the state right after a cycle completed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendPoint {
    /// When the cycle completed (Unix seconds).
    pub at: i64,
    /// Passed then.
    pub passed: u64,
    /// Failed then.
    pub failed: u64,
    /// Score then, in percent.
    pub score: Option<f64>,
}

/// Everything the dashboard shows, for all clusters or one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    /// Over the selected clusters.
    pub overall: ScoreSlice,
    /// Per cluster, by name.
    pub clusters: Vec<ClusterScore>,
    /// Per benchmark.
    pub benchmarks: Vec<BenchmarkScore>,
    /// Per section, most failed first.
    pub sections: Vec<SectionScore>,
    /// Clusters with at least one completed cycle.
    pub clusters_evaluated: u64,
    /// Resources with latest findings.
    pub resources_evaluated: u64,
    /// Score after each completed cycle, oldest first (at most 200 points).
    pub trend: Vec<TrendPoint>,
}

/// One rule with its counts, for the rules page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleRow {
    /// Rule id.
    pub rule_id: String,
    /// Title.
    pub name: String,
    /// Section.
    pub section: String,
    /// Benchmark id.
    pub benchmark_id: String,
    /// Benchmark name.
    pub benchmark_name: String,
    /// Benchmark version.
    pub benchmark_version: String,
    /// Rule number.
    pub rule_number: String,
    /// Whether the rule is enabled for the selected cluster (or for all clusters).
    pub enabled: bool,
    /// Outcome counts over latest findings (whether enabled or not).
    pub tally: Tally,
    /// Excepted findings among them.
    pub excepted: u64,
}

/// Where an exception applies, besides its rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum ExceptionScope {
    /// One resource id.
    Resource(String),
    /// Every resource of a namespace.
    Namespace(String),
    /// Kubernetes objects whose labels contain every `key=value` of the selector
    /// (`app=web,tier=front`).
    Labels(String),
}

/// A new exception.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewException {
    /// Rule it applies to.
    pub rule_id: String,
    /// Resources it applies to.
    pub scope: ExceptionScope,
    /// Only this cluster, or every cluster when `None`.
    pub cluster_id: Option<String>,
    /// Why the risk is accepted.
    pub reason: String,
    /// When it stops applying (Unix seconds); `None` = never.
    pub expires_at: Option<i64>,
    /// Who added it.
    pub author: String,
}

/// A stored exception.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exception {
    /// Id.
    pub id: i64,
    /// Rule.
    pub rule_id: String,
    /// Resources.
    pub scope: ExceptionScope,
    /// Cluster, or every cluster.
    pub cluster_id: Option<String>,
    /// Reason.
    pub reason: String,
    /// Expiry (Unix seconds).
    pub expires_at: Option<i64>,
    /// Author.
    pub author: String,
    /// When it was added (Unix seconds).
    pub created_at: i64,
    /// False once `expires_at` has passed (at the store clock's now).
    pub active: bool,
}

/// A known cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterRow {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Kubernetes version.
    pub version: Option<String>,
    /// Platform.
    pub platform: Option<String>,
    /// Start of the first cycle (Unix seconds).
    pub first_seen: i64,
    /// Start of the latest cycle (Unix seconds).
    pub last_seen: i64,
}

/// Counts for `/metrics`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct MetricsSnapshot {
    /// Score per cluster and benchmark.
    pub benchmarks: Vec<MetricsScore>,
    /// Score per cluster, benchmark and section.
    pub sections: Vec<MetricsScore>,
    /// Latest findings per cluster and outcome (enabled rules; excepted included).
    pub findings: Vec<MetricsCount>,
    /// Completed cycles in total.
    pub cycles_completed: u64,
}

/// One labelled score for metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricsScore {
    /// Cluster id.
    pub cluster_id: String,
    /// Cluster name.
    pub cluster_name: String,
    /// Benchmark id.
    pub benchmark_id: String,
    /// Section (empty for per-benchmark scores).
    pub section: String,
    /// The score.
    pub score: ScoreSlice,
}

/// One labelled count for metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricsCount {
    /// Cluster id.
    pub cluster_id: String,
    /// Cluster name.
    pub cluster_name: String,
    /// Outcome.
    pub outcome: Outcome,
    /// Count.
    pub count: u64,
}
