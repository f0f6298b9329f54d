//! Values to suggest while a query is typed: what the store actually holds for a field
//! (sections, clusters, rule numbers, resource types, …), read from the small tables, never
//! from the findings.

use kspm_model::Outcome;

use crate::kql::{FieldKind, field_named};
use crate::{Result, Status, Store};

impl Store {
    /// Up to `limit` values of `field` that the store holds, containing `typed` (ASCII
    /// case-insensitive), sorted. Fields without a short list of values (names, ids of
    /// resources, dates) suggest nothing.
    pub fn suggest(&self, field: &str, typed: &str, limit: usize) -> Result<Vec<String>> {
        let Some(field) = field_named(field) else {
            return Ok(Vec::new());
        };
        let fixed: Option<Vec<&str>> = match field.kind {
            FieldKind::Outcome => Some(
                [
                    Outcome::Failed,
                    Outcome::Error,
                    Outcome::Manual,
                    Outcome::Passed,
                ]
                .map(Outcome::as_str)
                .to_vec(),
            ),
            FieldKind::Status => Some(Status::ALL.iter().map(|s| s.as_str()).collect()),
            FieldKind::Boolean => Some(vec!["true", "false"]),
            _ => None,
        };
        let mut values: Vec<String> = match fixed {
            Some(v) => v.into_iter().map(str::to_owned).collect(),
            None => {
                let sql = match field.name {
                    "rule.section" => "SELECT DISTINCT section FROM rules",
                    "rule.id" => "SELECT id FROM rules",
                    "rule.benchmark.id" => "SELECT DISTINCT benchmark_id FROM rules",
                    "rule.benchmark.rule_number" => "SELECT DISTINCT rule_number FROM rules",
                    "orchestrator.cluster.name" => {
                        "SELECT DISTINCT name FROM clusters WHERE listed = 1"
                    }
                    "orchestrator.cluster.id" => "SELECT id FROM clusters WHERE listed = 1",
                    "resource.type" => "SELECT DISTINCT resource_type FROM resource_tallies",
                    "resource.sub_type" => "SELECT DISTINCT sub_type FROM resource_tallies",
                    "orchestrator.resource.namespace" => {
                        "SELECT DISTINCT namespace FROM resource_tallies WHERE namespace IS NOT NULL"
                    }
                    "scope" => "SELECT DISTINCT scope FROM scope_stats",
                    "host.name" => {
                        "SELECT DISTINCT substr(scope, 6) FROM scope_stats WHERE scope LIKE 'node:%'"
                    }
                    _ => return Ok(Vec::new()),
                };
                self.read(|conn| {
                    let mut stmt = conn.prepare_cached(sql)?;
                    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
                    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
                })?
            }
        };
        let typed = typed.to_ascii_lowercase();
        values.retain(|v| !v.is_empty() && v.to_ascii_lowercase().contains(&typed));
        if fixed_order(field.kind) {
            // Keep the natural order of outcomes and statuses.
        } else {
            values.sort_by_key(|v| crate::dashboard::natural_key(v));
            values.dedup();
        }
        values.truncate(limit);
        Ok(values)
    }
}

fn fixed_order(kind: FieldKind) -> bool {
    matches!(
        kind,
        FieldKind::Outcome | FieldKind::Status | FieldKind::Boolean
    )
}
