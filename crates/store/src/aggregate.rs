//! Aggregates kept current as findings change: tallies per (cluster, scope, rule, outcome,
//! disabled, exception), resources per scope, the score history per scope and the log of
//! outcome changes.

use rusqlite::{Transaction, params};

use crate::Result;
use crate::status::{excepted_now_sql, status_sql};

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
             passed, failed, manual, error, total, resource_type, sub_type)
         SELECT ?1, ?2, g.resource_id, COALESCE(x.resource_name, ''), x.namespace,
             g.p, g.f, g.m, g.e, g.t, COALESCE(x.resource_type, ''), COALESCE(x.sub_type, '')
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

/// After cycle `seq` of `cluster` completed (with `finished_at` as "now" for exceptions): one
/// history entry per scope the completion refreshed (the cycle's own, and any scope findings
/// moved away from), each holding that scope's counts per benchmark and section, and the
/// outcome changes of their findings.
pub(crate) fn record_history(
    tx: &Transaction<'_>,
    seq: i64,
    cluster: &str,
    finished_at: i64,
) -> Result<()> {
    let at: i64 = tx.query_row("SELECT started_at FROM cycles WHERE seq = ?", [seq], |r| {
        r.get(0)
    })?;
    let scopes: Vec<String> = tx
        .prepare_cached("SELECT scope FROM scope_stats WHERE cluster_id = ? AND last_cycle = ?")?
        .query_map(params![cluster, seq], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let status = status_sql(
        "t.outcome",
        "t.disabled",
        &excepted_now_sql("t.has_exception = 1", "t.exception_expires", "?4"),
    );
    let counts_sql = format!(
        "INSERT INTO history_counts (history, benchmark_id, section, passed, failed, manual,
             error, excepted, disabled)
         SELECT ?1, r.benchmark_id, r.section,
             SUM(CASE WHEN x.st = 'passed' THEN x.n ELSE 0 END),
             SUM(CASE WHEN x.st = 'failed' THEN x.n ELSE 0 END),
             SUM(CASE WHEN x.st = 'manual' THEN x.n ELSE 0 END),
             SUM(CASE WHEN x.st = 'error' THEN x.n ELSE 0 END),
             SUM(CASE WHEN x.st = 'excepted' THEN x.n ELSE 0 END),
             SUM(CASE WHEN x.st = 'disabled' THEN x.n ELSE 0 END)
         FROM (SELECT t.rule_id, t.n, {status} AS st FROM tallies t
               WHERE t.cluster_id = ?2 AND t.scope = ?3) x
         JOIN rules r ON r.id = x.rule_id
         GROUP BY r.benchmark_id, r.section"
    );
    for scope in &scopes {
        tx.execute(
            "INSERT INTO history (cycle, cluster_id, scope, at) VALUES (?, ?, ?, ?)",
            params![seq, cluster, scope, at],
        )?;
        let id = tx.last_insert_rowid();
        tx.prepare_cached(&counts_sql)?
            .execute(params![id, cluster, scope, finished_at])?;
        log_changes(tx, seq, cluster, scope, at)?;
    }
    Ok(())
}

/// Writes a `finding_changes` row for every finding of (cluster, scope) whose state differs
/// from the one last logged: new, reopened, outcome changed (current outcome) or resolved
/// (NULL). The partial indexes hold exactly those rows.
fn log_changes(tx: &Transaction<'_>, seq: i64, cluster: &str, scope: &str, at: i64) -> Result<()> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO finding_changes (finding, at, cycle, outcome)
         SELECT rowid, ?3, ?4, outcome FROM findings INDEXED BY unlogged_current
         WHERE cluster_id = ?1 AND scope = ?2 AND resolved_at IS NULL
           AND logged_outcome IS NOT outcome",
    )?
    .execute(params![cluster, scope, at, seq])?;
    tx.prepare_cached(
        "UPDATE findings INDEXED BY unlogged_current SET logged_outcome = outcome
         WHERE cluster_id = ?1 AND scope = ?2 AND resolved_at IS NULL
           AND logged_outcome IS NOT outcome",
    )?
    .execute(params![cluster, scope])?;
    tx.prepare_cached(
        "INSERT OR REPLACE INTO finding_changes (finding, at, cycle, outcome)
         SELECT rowid, ?3, ?4, NULL FROM findings INDEXED BY unlogged_resolved
         WHERE cluster_id = ?1 AND scope = ?2 AND resolved_at IS NOT NULL
           AND logged_outcome IS NOT NULL",
    )?
    .execute(params![cluster, scope, at, seq])?;
    tx.prepare_cached(
        "UPDATE findings INDEXED BY unlogged_resolved SET logged_outcome = NULL
         WHERE cluster_id = ?1 AND scope = ?2 AND resolved_at IS NOT NULL
           AND logged_outcome IS NOT NULL",
    )?
    .execute(params![cluster, scope])?;
    Ok(())
}
