//! Aggregates kept current as findings change: tallies per (cluster, scope, rule, outcome,
//! disabled, exception), resources per scope, and the score history.

use rusqlite::{Transaction, params};

use crate::Result;

const TALLY_COLUMNS: &str = "cluster_id, scope, rule_id, outcome, disabled, \
     exception_id IS NOT NULL, exception_expires, COUNT(*)";
const TALLY_GROUP: &str = "GROUP BY cluster_id, scope, rule_id, outcome, disabled, \
     exception_id IS NOT NULL, exception_expires";

/// Recomputes the tallies and resource count of one (cluster, scope).
pub(crate) fn refresh_scope(
    tx: &Transaction<'_>,
    cluster: &str,
    scope: &str,
    seq: i64,
) -> Result<()> {
    tx.execute(
        "DELETE FROM tallies WHERE cluster_id = ? AND scope = ?",
        params![cluster, scope],
    )?;
    tx.execute(
        &format!(
            "INSERT INTO tallies SELECT {TALLY_COLUMNS} FROM findings
             WHERE cluster_id = ?1 AND scope = ?2 AND resolved_at IS NULL {TALLY_GROUP}"
        ),
        params![cluster, scope],
    )?;
    // Without statistics the planner would pick an index on cluster_id alone and scan the
    // whole cluster; the scope index answers from the scope's own entries.
    tx.execute(
        "INSERT OR REPLACE INTO scope_stats (cluster_id, scope, resources, last_cycle)
         SELECT ?1, ?2, COUNT(DISTINCT resource_id), ?3 FROM findings INDEXED BY cur_scope_tally
         WHERE cluster_id = ?1 AND scope = ?2 AND resolved_at IS NULL",
        params![cluster, scope, seq],
    )?;
    refresh_resources(tx, cluster, scope)
}

/// Recomputes the per-resource counts of one (cluster, scope).
fn refresh_resources(tx: &Transaction<'_>, cluster: &str, scope: &str) -> Result<()> {
    tx.execute(
        "DELETE FROM resource_tallies WHERE cluster_id = ? AND scope = ?",
        params![cluster, scope],
    )?;
    tx.execute(
        "INSERT INTO resource_tallies (cluster_id, scope, resource_id, resource_name, namespace,
             passed, failed, manual, error, total)
         SELECT ?1, ?2, g.resource_id, COALESCE(x.resource_name, ''), x.namespace,
             g.p, g.f, g.m, g.e, g.t
         FROM (SELECT resource_id, MIN(rowid) AS one, SUM(outcome = 'passed') AS p,
                   SUM(outcome = 'failed') AS f, SUM(outcome = 'manual') AS m,
                   SUM(outcome = 'error') AS e, COUNT(*) AS t
               FROM findings INDEXED BY cur_scope_tally
               WHERE cluster_id = ?1 AND scope = ?2 AND resolved_at IS NULL AND disabled = 0
               GROUP BY resource_id) g
         LEFT JOIN findings x ON x.rowid = g.one",
        params![cluster, scope],
    )?;
    Ok(())
}

/// Recomputes the tallies of one rule (after a setting or exception changed).
pub(crate) fn refresh_rule(tx: &Transaction<'_>, rule_id: &str) -> Result<()> {
    tx.execute("DELETE FROM tallies WHERE rule_id = ?", [rule_id])?;
    tx.execute(
        &format!(
            "INSERT INTO tallies SELECT {TALLY_COLUMNS} FROM findings
             WHERE rule_id = ?1 AND resolved_at IS NULL {TALLY_GROUP}"
        ),
        [rule_id],
    )?;
    let scopes: Vec<(String, String)> = tx
        .prepare("SELECT DISTINCT cluster_id, scope FROM tallies WHERE rule_id = ?")?
        .query_map([rule_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (cluster, scope) in scopes {
        refresh_resources(tx, &cluster, &scope)?;
    }
    Ok(())
}

/// Records the score per benchmark and section right after cycle `seq` completed, for its
/// cluster and for all clusters together (`cluster_id = ''`).
pub(crate) fn record_history(tx: &Transaction<'_>, seq: i64, cluster: &str, at: i64) -> Result<()> {
    for (key, filter) in [(cluster, "t.cluster_id = ?3"), ("", "?3 = ?3")] {
        tx.execute(
            &format!(
                "INSERT INTO score_history (cycle, cluster_id, at, benchmark_id, section, passed, failed)
                 SELECT ?1, ?2, ?4, r.benchmark_id, r.section,
                     SUM(CASE WHEN t.outcome = 'passed' THEN t.n ELSE 0 END),
                     SUM(CASE WHEN t.outcome = 'failed' THEN t.n ELSE 0 END)
                 FROM tallies t JOIN rules r ON r.id = t.rule_id
                 WHERE {filter} AND t.disabled = 0 AND NOT (t.has_exception = 1 AND
                     (t.exception_expires IS NULL OR t.exception_expires > ?4))
                 GROUP BY r.benchmark_id, r.section"
            ),
            params![seq, key, cluster, at],
        )?;
    }
    Ok(())
}
