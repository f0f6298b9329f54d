//! Cycles: begin, staged batches, completion (apply, resolve, aggregate, score history).

use std::collections::HashSet;

use kspm_model::{Finding, Outcome};
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use crate::doc::{detail_json, labels_json, resource_json};
use crate::policy::{disabled_sql, exception_sql};
use crate::{CycleStart, CycleSummary, Error, IngestOutcome, Result, Store};

struct CycleRow {
    seq: i64,
    cluster_id: String,
    scope: String,
    started_at: i64,
    finished_at: Option<i64>,
    summary: Option<String>,
}

fn cycle_row(tx: &Transaction<'_>, cycle_id: &str) -> Result<CycleRow> {
    tx.query_row(
        "SELECT seq, cluster_id, scope, started_at, finished_at, summary FROM cycles WHERE id = ?",
        [cycle_id],
        |r| {
            Ok(CycleRow {
                seq: r.get(0)?,
                cluster_id: r.get(1)?,
                scope: r.get(2)?,
                started_at: r.get(3)?,
                finished_at: r.get(4)?,
                summary: r.get(5)?,
            })
        },
    )
    .optional()?
    .ok_or_else(|| Error::UnknownCycle(cycle_id.to_owned()))
}

impl Store {
    /// Begins a cycle. Idempotent: beginning the same cycle id again (same cluster and scope)
    /// changes nothing. Records or refreshes the cluster's name, version and platform.
    pub fn begin_cycle(&self, start: &CycleStart) -> Result<()> {
        if start.cluster.id.is_empty() || start.cycle_id.is_empty() {
            return Err(Error::Invalid(
                "cycle id and cluster id must not be empty".into(),
            ));
        }
        let mut conn = self.writer()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let c = &start.cluster;
        tx.execute(
            "INSERT INTO clusters (id, name, version, platform, first_seen, last_seen)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name,
                 version = COALESCE(excluded.version, version),
                 platform = COALESCE(excluded.platform, platform),
                 last_seen = MAX(last_seen, excluded.last_seen)",
            params![c.id, c.name, c.version, c.platform, start.started_at],
        )?;
        let existing: Option<(String, String)> = tx
            .query_row(
                "SELECT cluster_id, scope FROM cycles WHERE id = ?",
                [&start.cycle_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        match existing {
            Some((cluster, scope)) if cluster == c.id && scope == start.scope.to_string() => {}
            Some(_) => return Err(Error::CycleMismatch(start.cycle_id.clone())),
            None => {
                tx.execute(
                    "INSERT INTO cycles (id, cluster_id, scope, started_at) VALUES (?, ?, ?, ?)",
                    params![
                        start.cycle_id,
                        c.id,
                        start.scope.to_string(),
                        start.started_at
                    ],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Stages one batch of a cycle's findings. Nothing becomes visible before
    /// [`Store::complete_cycle`]. Re-sending a batch number already received changes nothing
    /// and answers `duplicate: true`. `not_applicable` findings are dropped. Every finding must
    /// belong to the cycle's cluster.
    pub fn ingest_batch(
        &self,
        cycle_id: &str,
        batch: u64,
        findings: &[Finding],
    ) -> Result<IngestOutcome> {
        let batch = i64::try_from(batch)
            .map_err(|_| Error::Invalid(format!("batch number {batch} is too large")))?;
        let mut conn = self.writer()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let cycle = cycle_row(&tx, cycle_id)?;
        let seen: Option<i64> = tx
            .query_row(
                "SELECT accepted FROM cycle_batches WHERE cycle = ? AND batch = ?",
                params![cycle.seq, batch],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(accepted) = seen {
            return Ok(IngestOutcome {
                accepted: accepted as usize,
                duplicate: true,
            });
        }
        if cycle.finished_at.is_some() {
            return Err(Error::CycleComplete(cycle_id.to_owned()));
        }
        let accepted = stage(&tx, &cycle, findings)?;
        tx.execute(
            "INSERT INTO cycle_batches (cycle, batch, accepted) VALUES (?, ?, ?)",
            params![cycle.seq, batch, accepted as i64],
        )?;
        tx.commit()?;
        Ok(IngestOutcome {
            accepted,
            duplicate: false,
        })
    }

    /// Completes a cycle: its staged findings become the latest ones for their
    /// (cluster, resource, rule), current findings of the same (cluster, scope) it did not
    /// report are resolved at `finished_at`, and the score history gets a point. Completing
    /// again returns the first summary. A cycle older than one already completed for the same
    /// scope changes nothing (`stale`).
    pub fn complete_cycle(&self, cycle_id: &str, finished_at: i64) -> Result<CycleSummary> {
        let mut conn = self.writer()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let cycle = cycle_row(&tx, cycle_id)?;
        if let Some(summary) = &cycle.summary {
            return Ok(serde_json::from_str(summary)?);
        }
        let newer: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM cycles WHERE cluster_id = ? AND scope = ?
                 AND finished_at IS NOT NULL AND started_at > ?)",
            params![cycle.cluster_id, cycle.scope, cycle.started_at],
            |r| r.get(0),
        )?;
        let mut summary = CycleSummary {
            cycle_id: cycle_id.to_owned(),
            cluster_id: cycle.cluster_id.clone(),
            scope: cycle
                .scope
                .parse()
                .map_err(|e: kspm_model::ScopeError| Error::Invalid(e.to_string()))?,
            findings: 0,
            new_or_reopened: 0,
            resolved: 0,
            stale: newer,
        };
        if !newer {
            apply(&tx, &cycle, finished_at, &mut summary)?;
        }
        for table in ["staged_findings", "staged_resources", "staged_rules"] {
            tx.execute(&format!("DELETE FROM {table} WHERE cycle = ?"), [cycle.seq])?;
        }
        tx.execute(
            "UPDATE cycles SET finished_at = ?, summary = ? WHERE seq = ?",
            params![finished_at, serde_json::to_string(&summary)?, cycle.seq],
        )?;
        tx.commit()?;
        Ok(summary)
    }
}

impl Store {
    /// Forgets cycles begun before `started_before` that never completed: their staged rows,
    /// batches and the cycle itself. Returns how many cycles were dropped. (An agent that died
    /// mid-cycle leaves such rows; they were never visible.)
    pub fn prune_abandoned_cycles(&self, started_before: i64) -> Result<u64> {
        let mut conn = self.writer()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let seqs: Vec<i64> = tx
            .prepare("SELECT seq FROM cycles WHERE finished_at IS NULL AND started_at < ?")?
            .query_map([started_before], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for seq in &seqs {
            for table in [
                "staged_findings",
                "staged_resources",
                "staged_rules",
                "cycle_batches",
            ] {
                tx.execute(&format!("DELETE FROM {table} WHERE cycle = ?"), [seq])?;
            }
            tx.execute("DELETE FROM cycles WHERE seq = ?", [seq])?;
        }
        tx.commit()?;
        Ok(seqs.len() as u64)
    }
}

/// Writes one batch into the staging tables; returns how many findings were staged.
fn stage(tx: &Transaction<'_>, cycle: &CycleRow, findings: &[Finding]) -> Result<usize> {
    let mut put_finding = tx.prepare_cached(
        "INSERT OR REPLACE INTO staged_findings (cycle, id, resource_id, rule_id, outcome,
             resource_name, resource_type, sub_type, namespace, host, rule_name, section,
             benchmark_id, rule_number, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )?;
    let mut put_resource = tx.prepare_cached(
        "INSERT OR REPLACE INTO staged_resources (cycle, resource_id, doc, labels)
         VALUES (?, ?, ?, ?)",
    )?;
    let mut put_rule = tx.prepare_cached(
        "INSERT OR REPLACE INTO staged_rules (cycle, rule_id, name, section, benchmark_id,
             benchmark_name, benchmark_version, rule_number, doc)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )?;
    let mut resources: HashSet<&str> = HashSet::new();
    let mut rules: HashSet<&str> = HashSet::new();
    let mut accepted = 0;
    for f in findings {
        if f.result.evaluation == Outcome::NotApplicable {
            continue;
        }
        if f.orchestrator.cluster.id != cycle.cluster_id {
            return Err(Error::Invalid(format!(
                "finding for cluster `{}` sent in a cycle of cluster `{}`",
                f.orchestrator.cluster.id, cycle.cluster_id
            )));
        }
        if f.resource.id.is_empty() || f.rule.id.is_empty() {
            return Err(Error::Invalid(
                "finding without resource.id or rule.id".into(),
            ));
        }
        let id = kspm_model::finding_id(&cycle.cluster_id, &f.resource.id, &f.rule.id);
        if resources.insert(&f.resource.id) {
            put_resource.execute(params![
                cycle.seq,
                f.resource.id,
                resource_json(f)?,
                labels_json(f)
            ])?;
        }
        let rule = &f.rule;
        if rules.insert(&rule.id) {
            put_rule.execute(params![
                cycle.seq,
                &*rule.id,
                &*rule.name,
                &*rule.section,
                rule.benchmark.id,
                rule.benchmark.name,
                rule.benchmark.version,
                rule.benchmark.rule_number,
                serde_json::to_string(&**rule)?
            ])?;
        }
        let namespace = f
            .orchestrator
            .resource
            .as_ref()
            .and_then(|r| r.namespace.as_deref());
        put_finding.execute(params![
            cycle.seq,
            id,
            f.resource.id,
            &*rule.id,
            f.result.evaluation.as_str(),
            f.resource.name,
            f.resource.kind,
            f.resource.sub_type,
            namespace,
            f.host.as_ref().map(|h| h.name.as_str()),
            &*rule.name,
            &*rule.section,
            rule.benchmark.id,
            rule.benchmark.rule_number,
            detail_json(f)?
        ])?;
        accepted += 1;
    }
    Ok(accepted)
}

/// Applies a completed cycle's staged rows (inside the completion transaction).
fn apply(
    tx: &Transaction<'_>,
    cycle: &CycleRow,
    finished_at: i64,
    summary: &mut CycleSummary,
) -> Result<()> {
    let (seq, cluster) = (cycle.seq, cycle.cluster_id.as_str());
    tx.execute(
        "INSERT INTO rules (id, name, section, benchmark_id, benchmark_name, benchmark_version,
             rule_number, doc)
         SELECT rule_id, name, section, benchmark_id, benchmark_name, benchmark_version,
             rule_number, doc FROM staged_rules WHERE cycle = ?1 AND true
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, section = excluded.section,
             benchmark_id = excluded.benchmark_id, benchmark_name = excluded.benchmark_name,
             benchmark_version = excluded.benchmark_version,
             rule_number = excluded.rule_number, doc = excluded.doc",
        [seq],
    )?;
    tx.execute(
        "INSERT INTO resources (cluster_id, resource_id, doc)
         SELECT ?1, resource_id, doc FROM staged_resources WHERE cycle = ?2 AND true
         ON CONFLICT (cluster_id, resource_id) DO UPDATE SET doc = excluded.doc",
        params![cluster, seq],
    )?;
    tx.execute(
        "DELETE FROM resource_labels WHERE cluster_id = ?1 AND resource_id IN
             (SELECT resource_id FROM staged_resources WHERE cycle = ?2)",
        params![cluster, seq],
    )?;
    tx.execute(
        "INSERT OR REPLACE INTO resource_labels (cluster_id, resource_id, key, value)
         SELECT ?1, s.resource_id, j.key, j.value
         FROM staged_resources s, json_each(s.labels) j
         WHERE s.cycle = ?2 AND s.labels IS NOT NULL AND j.type = 'text'",
        params![cluster, seq],
    )?;
    // Findings that another scope of the cluster reported last move to this one; that
    // scope's aggregates are refreshed below too.
    let moved_from: Vec<String> = tx
        .prepare(
            "SELECT DISTINCT f.scope FROM staged_findings s JOIN findings f ON f.id = s.id
             WHERE s.cycle = ?1 AND f.scope <> ?2",
        )?
        .query_map(params![seq, cycle.scope], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    summary.new_or_reopened = tx.query_row(
        "SELECT COUNT(*) FROM staged_findings s LEFT JOIN findings f ON f.id = s.id
         WHERE s.cycle = ? AND (f.id IS NULL OR f.resolved_at IS NOT NULL)",
        [seq],
        |r| r.get::<_, i64>(0),
    )? as u64;
    let sql = format!(
        "INSERT INTO findings (id, cluster_id, scope, cycle, resource_id, rule_id, outcome,
             resource_name, resource_type, sub_type, namespace, host, rule_name, section,
             benchmark_id, rule_number, first_seen, last_seen, resolved_at, disabled,
             exception_id, exception_expires, detail)
         SELECT x.id, ?1, ?2, ?3, x.resource_id, x.rule_id, x.outcome, x.resource_name,
             x.resource_type, x.sub_type, x.namespace, x.host, x.rule_name, x.section,
             x.benchmark_id, x.rule_number, ?4, ?4, NULL, x.dis, x.exc,
             (SELECT e.expires_at FROM exceptions e WHERE e.id = x.exc), x.detail
         FROM (SELECT s.*, {dis} AS dis, {exc} AS exc FROM staged_findings s
               WHERE s.cycle = ?3) x
         WHERE true
         ON CONFLICT (id) DO UPDATE SET scope = excluded.scope, cycle = excluded.cycle,
             outcome = excluded.outcome, resource_name = excluded.resource_name,
             resource_type = excluded.resource_type, sub_type = excluded.sub_type,
             namespace = excluded.namespace, host = excluded.host,
             rule_name = excluded.rule_name, section = excluded.section,
             benchmark_id = excluded.benchmark_id, rule_number = excluded.rule_number,
             last_seen = excluded.last_seen, resolved_at = NULL,
             disabled = excluded.disabled, exception_id = excluded.exception_id,
             exception_expires = excluded.exception_expires, detail = excluded.detail",
        dis = disabled_sql("s", "?1"),
        exc = exception_sql("s", "?1"),
    );
    summary.findings =
        tx.execute(&sql, params![cluster, cycle.scope, seq, cycle.started_at])? as u64;
    summary.resolved = tx.execute(
        "UPDATE findings INDEXED BY cur_scope_tally SET resolved_at = ?1
         WHERE cluster_id = ?2 AND scope = ?3 AND resolved_at IS NULL AND cycle <> ?4",
        params![finished_at, cluster, cycle.scope, seq],
    )? as u64;
    crate::aggregate::refresh_scope(tx, cluster, &cycle.scope, seq)?;
    for scope in &moved_from {
        crate::aggregate::refresh_scope(tx, cluster, scope, seq)?;
    }
    crate::aggregate::record_history(tx, seq, cluster, finished_at)?;
    Ok(())
}
