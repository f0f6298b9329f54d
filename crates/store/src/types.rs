//! Requests and answers of the store's public API. Everything serialises, so the server can
//! hand these to templates or JSON responses as they are.

use kspm_model::{ClusterInfo, Finding, Outcome, Scope};

use crate::status::{Counts, Status};
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

/// The start times of a cycle begun with [`crate::Store::begin_reported_cycle`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportedStart {
    /// The start the store orders cycles by: the receiver's clock when the cycle was first
    /// seen.
    pub started_at: i64,
    /// What the client said, never after `started_at` (information only).
    pub reported_started_at: Option<i64>,
    /// The client's time was more than five minutes ahead of the receiver's clock.
    pub reported_in_future: bool,
}

/// One numbered batch for [`crate::Store::receive_batch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchReceipt<'a> {
    /// Batch number, `0, 1, 2, …` (at most [`crate::MAX_BATCH`]).
    pub number: u64,
    /// The client flagged this batch as the cycle's last.
    pub is_final: bool,
    /// The caller's digest of the batch's content (e.g. SHA-256 of the body, in hex).
    pub digest: &'a str,
}

/// Answer to [`crate::Store::receive_batch`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchAnswer {
    /// What the batch staged (or, for a duplicate, what its first delivery staged).
    pub outcome: IngestOutcome,
    /// The completion summary once every batch up to the final one has arrived.
    pub completed: Option<CycleSummary>,
    /// Batches the cycle has (final batch number + 1), once the final batch is known.
    pub batches_expected: Option<u64>,
    /// Batches received up to the final one.
    pub batches_received: u64,
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
    /// `None` sorts by `last_seen` descending (newest first). `result.evaluation` sorts failed
    /// first, then error, manual, passed, newest first within each (ascending).
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
    /// Findings matching the query, over all pages; a lower bound when `total_relation` is
    /// [`TotalRelation::Gte`].
    pub total: u64,
    /// Whether `total` is exact.
    pub total_relation: TotalRelation,
    /// This page.
    pub rows: Vec<FindingRow>,
}

/// How a search total relates to the number of matches (as Elasticsearch's
/// `hits.total.relation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TotalRelation {
    /// Exactly `total` findings match.
    Eq,
    /// At least `total` findings match: a bare-text search stops counting at
    /// [`crate::TEXT_COUNT_CAP`].
    Gte,
}

impl TotalRelation {
    /// `eq` or `gte`.
    pub fn as_str(self) -> &'static str {
        match self {
            TotalRelation::Eq => "eq",
            TotalRelation::Gte => "gte",
        }
    }
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
    /// What it counts as ([`Status`]: its outcome, or excepted, or disabled).
    pub status: Status,
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

/// One group, with status counts over its (current, enabled-rule) findings.
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
    /// Counts by status (add `and status : failed` to [`GroupRow::query`] for one of them).
    pub counts: Counts,
    /// passed / (passed + failed) in percent; `None` when nothing was scored.
    pub score: Option<f64>,
    /// For groups by resource: what the resource is and where.
    pub resource: Option<GroupResource>,
}

/// The resource of a group by resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupResource {
    /// Cluster id.
    pub cluster_id: String,
    /// Cluster name.
    pub cluster_name: String,
    /// Resource type (`k8s_object`, `file`, `process`, `cloud`).
    pub resource_type: String,
    /// Kind, component, …
    pub sub_type: String,
    /// Namespace of namespaced objects.
    pub namespace: Option<String>,
}

/// Score over one slice of the latest findings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ScoreSlice {
    /// Counts by status ([`Counts`]); the score uses `passed` and `failed`.
    pub counts: Counts,
    /// passed / (passed + failed) in percent; `None` when nothing was scored.
    pub score: Option<f64>,
}

impl ScoreSlice {
    pub(crate) fn finish(mut self) -> ScoreSlice {
        self.score = self.counts.score();
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

/// Counts of one benchmark section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SectionScore {
    /// Benchmark id.
    pub benchmark_id: String,
    /// Benchmark name (`CIS Kubernetes Benchmark`).
    pub benchmark_name: String,
    /// Section name (as in `rule.section`).
    pub section: String,
    /// The score (the dashboard bar shows `counts.failed`).
    pub score: ScoreSlice,
}

/// One point of the score trend: the pooled state of a series right after one round of
/// cycles (see [`crate::Store::trends`]), with the exceptions and rule settings in force when
/// each of those cycles completed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendPoint {
    /// Start of the round's last cycle (Unix seconds).
    pub at: i64,
    /// Counts by status then.
    #[serde(flatten)]
    pub counts: Counts,
    /// Score then, in percent.
    pub score: Option<f64>,
}

/// One line of the trend: every cluster pooled, or one cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendSeries {
    /// The cluster, or `None` for all clusters pooled.
    pub cluster_id: Option<String>,
    /// `All clusters` or the cluster's name.
    pub label: String,
    /// Oldest first, one per round of cycles (at most 200, the latest).
    pub points: Vec<TrendPoint>,
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
    /// Score after each round of cycles, oldest first (at most 200 points); the same points
    /// as the matching [`TrendSeries`].
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
    /// Counts by status over its latest findings (those of clusters where it is disabled
    /// count as `disabled`).
    pub counts: Counts,
    /// Score over them; `None` when nothing was scored.
    pub score: Option<f64>,
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
    /// Latest findings per cluster and status.
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
    /// Status.
    pub status: Status,
    /// Count.
    pub count: u64,
}

/// One round of cycles of a cluster (its scopes' cycles started close together), as offered
/// by "what changed".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Round {
    /// Start of the round's last cycle (Unix seconds): the round's identity in requests.
    pub at: i64,
    /// Cycles (scopes) in the round.
    pub cycles: u64,
    /// The cluster's counts after the round.
    pub counts: Counts,
    /// The cluster's score after the round.
    pub score: Option<f64>,
}

/// A finding whose outcome differs between two rounds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangedFinding {
    /// The finding as it is now.
    pub row: FindingRow,
    /// Outcome after the earlier round (`None`: not reported then).
    pub before: Option<Outcome>,
    /// Outcome after the later round (`None`: not reported then, i.e. resolved).
    pub after: Option<Outcome>,
}

/// Counts of one section before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SectionChange {
    /// Benchmark id.
    pub benchmark_id: String,
    /// Benchmark name.
    pub benchmark_name: String,
    /// Section.
    pub section: String,
    /// After the earlier round.
    pub before: ScoreSlice,
    /// After the later round.
    pub after: ScoreSlice,
}

/// What changed in one cluster between two rounds of cycles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Changes {
    /// The cluster.
    pub cluster_id: String,
    /// The earlier round.
    pub from: Round,
    /// The later round.
    pub to: Round,
    /// Findings failed after `to` that were not failed after `from`, at most `limit`.
    pub new_failures: Vec<ChangedFinding>,
    /// How many there are in all.
    pub new_failures_total: u64,
    /// Findings failed after `from` that are not failed after `to` (passed, another
    /// outcome, or no longer reported), at most `limit`.
    pub resolved: Vec<ChangedFinding>,
    /// How many there are in all.
    pub resolved_total: u64,
    /// Score per section before and after, largest move first.
    pub sections: Vec<SectionChange>,
}

/// One resource with its findings, facts and history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceDetail {
    /// Cluster id.
    pub cluster_id: String,
    /// Cluster name.
    pub cluster_name: String,
    /// Resource id.
    pub resource_id: String,
    /// Display name.
    pub name: String,
    /// Type.
    pub resource_type: String,
    /// Sub type (kind, component, …).
    pub sub_type: String,
    /// Namespace.
    pub namespace: Option<String>,
    /// Node.
    pub host: Option<String>,
    /// Counts by status over its current findings (disabled included).
    pub counts: Counts,
    /// Score over them.
    pub score: Option<f64>,
    /// Its current findings, failed first (disabled rules' included, marked).
    pub findings: Vec<FindingRow>,
    /// The resource as collected (`raw`, and `file` / `process` / `cloud` facts).
    pub facts: serde_json::Value,
    /// Outcome changes of its findings, newest first (at most 500).
    pub history: Vec<ResourceChange>,
}

/// One outcome change of a resource's finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceChange {
    /// Start of the cycle that saw it (Unix seconds).
    pub at: i64,
    /// Finding id.
    pub finding_id: String,
    /// Rule id.
    pub rule_id: String,
    /// Rule number.
    pub rule_number: String,
    /// Rule title.
    pub rule_name: String,
    /// Outcome before (`None`: not reported).
    pub before: Option<Outcome>,
    /// Outcome after (`None`: resolved).
    pub after: Option<Outcome>,
}
