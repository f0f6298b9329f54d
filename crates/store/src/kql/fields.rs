//! The fields a query can name, their types and the SQL they map to.

/// The type of a query field, which decides how `field : value` and ranges compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Exact, case-sensitive match (`=`); `*` wildcards make a case-sensitive pattern (`GLOB`).
    Keyword,
    /// ASCII case-insensitive substring match; `*` wildcards make an anchored pattern.
    Text,
    /// One of the outcomes: `passed`, `failed`, `manual`, `error` (matched like a keyword).
    Outcome,
    /// One of the statuses ([`crate::Status`]): an outcome, or `excepted`, or `disabled`.
    Status,
    /// A number; supports ranges.
    Number,
    /// A time (RFC 3339 or `YYYY-MM-DD`, UTC midnight); supports ranges. `field : YYYY-MM-DD`
    /// matches that whole day.
    Date,
    /// `true` or `false`.
    Boolean,
}

impl FieldKind {
    /// Lower-case name for documentation.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Keyword => "keyword",
            FieldKind::Text => "text",
            FieldKind::Outcome => "outcome",
            FieldKind::Status => "status",
            FieldKind::Number => "number",
            FieldKind::Date => "date",
            FieldKind::Boolean => "boolean",
        }
    }

    /// Whether `<`, `<=`, `>`, `>=` apply.
    pub fn has_ranges(self) -> bool {
        matches!(self, FieldKind::Number | FieldKind::Date)
    }
}

/// One queryable field.
#[derive(Debug, PartialEq, Eq)]
pub struct Field {
    /// Name as written in queries (Elastic cloud-security-posture names where one exists).
    pub name: &'static str,
    /// Type.
    pub kind: FieldKind,
    /// What it holds.
    pub description: &'static str,
    /// Whether search results can be sorted on it.
    pub sortable: bool,
    /// SQL expression over the `findings` table aliased `f` (our own constant, never input).
    pub(crate) sql: &'static str,
    /// SQL to sort on, when it differs from `sql`.
    pub(crate) order: Option<&'static str>,
}

impl Field {
    /// The SQL expression results are sorted on.
    pub(crate) fn order_sql(&self) -> &'static str {
        self.order.unwrap_or(self.sql)
    }
}

const fn field(
    name: &'static str,
    kind: FieldKind,
    sql: &'static str,
    sortable: bool,
    description: &'static str,
) -> Field {
    Field {
        name,
        kind,
        description,
        sortable,
        sql,
        order: None,
    }
}

/// Outcomes in the order the findings page lists them: failed, error, manual, passed. The
/// `cur_rank` index (schema v3) is declared on exactly this expression.
pub(crate) const OUTCOME_RANK_SQL: &str =
    "(CASE f.outcome WHEN 'failed' THEN 0 WHEN 'error' THEN 1 WHEN 'manual' THEN 2 ELSE 3 END)";

/// Marker for the computed `status` field (it needs "now").
pub(crate) const STATUS_SQL: &str = "<status>";

use FieldKind::*;

/// Cluster name is looked up, not stored per finding (names can change). Matches are
/// translated to `f.cluster_id IN (SELECT c.id FROM clusters c WHERE c.name …)` so that the
/// cluster indexes apply; this expression serves sorting.
pub(crate) const CLUSTER_NAME_SQL: &str =
    "(SELECT c.name FROM clusters c WHERE c.id = f.cluster_id)";
/// Marker for the computed `excepted` field (it needs "now").
pub(crate) const EXCEPTED_SQL: &str = "<excepted>";

/// Every field a query may name. Also listed in the crate README.
pub const FIELDS: &[Field] = &[
    field(
        "rule.id",
        Keyword,
        "f.rule_id",
        true,
        "Stable rule id (`api_server_anonymous_auth`).",
    ),
    field("rule.name", Text, "f.rule_name", true, "Rule title."),
    field(
        "rule.section",
        Keyword,
        "f.section",
        true,
        "Benchmark section (`API Server`).",
    ),
    field(
        "rule.benchmark.id",
        Keyword,
        "f.benchmark_id",
        true,
        "Benchmark id: `cis_k8s`, `cis_eks`, `pss`.",
    ),
    field(
        "rule.benchmark.rule_number",
        Keyword,
        "f.rule_number",
        true,
        "Rule number in the benchmark (`1.2.1`).",
    ),
    Field {
        order: Some(OUTCOME_RANK_SQL),
        ..field(
            "result.evaluation",
            Outcome,
            "f.outcome",
            true,
            "Outcome: `passed`, `failed`, `manual`, `error` (sorted failed, error, manual, passed).",
        )
    },
    field(
        "status",
        Status,
        STATUS_SQL,
        false,
        "What the finding counts as: `disabled` (rule disabled for the cluster), else \
         `excepted` (an unexpired exception covers it), else its outcome. Every count on the \
         pages counts this.",
    ),
    field(
        "resource.id",
        Keyword,
        "f.resource_id",
        false,
        "Deterministic resource id.",
    ),
    field(
        "resource.name",
        Text,
        "f.resource_name",
        true,
        "Resource display name (`kube-system/coredns`, a file path, a component).",
    ),
    field(
        "resource.type",
        Keyword,
        "f.resource_type",
        true,
        "`k8s_object`, `file`, `process`, `cloud`.",
    ),
    field(
        "resource.sub_type",
        Keyword,
        "f.sub_type",
        true,
        "Kind, component, `file`/`directory` or cloud service.",
    ),
    field(
        "orchestrator.cluster.id",
        Keyword,
        "f.cluster_id",
        true,
        "Cluster id (UID of `kube-system`).",
    ),
    field(
        "orchestrator.cluster.name",
        Keyword,
        CLUSTER_NAME_SQL,
        true,
        "Cluster name.",
    ),
    field(
        "orchestrator.resource.namespace",
        Keyword,
        "f.namespace",
        true,
        "Namespace of namespaced Kubernetes objects.",
    ),
    field(
        "host.name",
        Keyword,
        "f.host",
        true,
        "Node name, for node resources.",
    ),
    field(
        "event.id",
        Keyword,
        "f.id",
        false,
        "Finding id (cluster, resource, rule).",
    ),
    field(
        "scope",
        Keyword,
        "f.scope",
        true,
        "Scope of the cycle that reported it: `cluster` or `node:<name>`.",
    ),
    field(
        "@timestamp",
        Date,
        "f.last_seen",
        true,
        "Start of the latest cycle that reported the finding (same as `last_seen`).",
    ),
    field(
        "last_seen",
        Date,
        "f.last_seen",
        true,
        "Start of the latest cycle that reported the finding.",
    ),
    field(
        "first_seen",
        Date,
        "f.first_seen",
        true,
        "Start of the first cycle that reported the finding.",
    ),
    field(
        "resolved_at",
        Date,
        "f.resolved_at",
        true,
        "When the finding was resolved (only with resolved findings included).",
    ),
    field(
        "event.sequence",
        Number,
        "f.last_seen",
        true,
        "Cycle sequence: Unix seconds of the latest reporting cycle's start.",
    ),
    field(
        "excepted",
        Boolean,
        EXCEPTED_SQL,
        false,
        "Covered by an unexpired exception.",
    ),
    field(
        "disabled",
        Boolean,
        "f.disabled",
        false,
        "The rule is disabled for the cluster (only with disabled rules included).",
    ),
];

/// Fields a bare value (no `field :`) searches, as case-insensitive substrings.
pub(crate) const TEXT_FIELDS: &[&str] = &[
    "f.rule_name",
    "f.rule_id",
    "f.section",
    "f.rule_number",
    "f.resource_name",
    "f.namespace",
    "f.host",
];

/// Looks a field up by name.
pub fn field_named(name: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.name == name)
}
