//! Cycles: begin, staged batches, completion (apply, resolve, aggregate, score history).

use std::collections::HashSet;

use kspm_model::{Finding, Outcome};
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use crate::doc::{detail_json, labels_json, resource_json};
use crate::policy::{disabled_sql, exception_sql};
use crate::{
    BatchAnswer, BatchReceipt, CycleStart, CycleSummary, Error, IngestOutcome, ReportedStart,
    Result, Store,
};

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

/// Longest cluster id accepted.
const MAX_CLUSTER_ID: usize = 128;
/// Longest cluster name, version or platform accepted.
const MAX_CLUSTER_TEXT: usize = 256;
/// How far ahead of the server's clock a reported start may be before it is flagged.
const CLOCK_TOLERANCE_SECS: i64 = 300;
/// Highest batch number accepted (a cycle of more batches than this is not a real agent).
pub const MAX_BATCH: u64 = 1_000_000;

/// Checks a cluster id: 1 to 128 characters of `A-Z a-z 0-9 . _ : -` (a Kubernetes UID, a
/// name-derived UUID, or an offline name of that alphabet).
pub(crate) fn check_cluster_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= MAX_CLUSTER_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "cluster id must be 1 to {MAX_CLUSTER_ID} characters of A-Z, a-z, 0-9, `.`, `_`, `:` \
             and `-`"
        )))
    }
}

fn check_cluster_text(what: &str, text: &str) -> Result<()> {
    if text.chars().count() > MAX_CLUSTER_TEXT || text.chars().any(char::is_control) {
        return Err(Error::Invalid(format!(
            "cluster {what} must be at most {MAX_CLUSTER_TEXT} characters without control \
             characters"
        )));
    }
    Ok(())
}

impl Store {
    /// Begins a cycle. Idempotent: beginning the same cycle id again (same cluster and scope)
    /// changes nothing but the cluster details the cycle will apply. The cluster is listed,
    /// and its name, version and platform updated, only when a cycle of it completes.
    pub fn begin_cycle(&self, start: &CycleStart) -> Result<()> {
        self.begin_reported_cycle(start, None).map(|_| ())
    }

    /// [`Store::begin_cycle`] for a cycle whose `start.started_at` is the receiver's clock,
    /// with the start time the client reported kept as information: clamped to
    /// `start.started_at` and flagged when it was more than five minutes ahead of it.
    pub fn begin_reported_cycle(
        &self,
        start: &CycleStart,
        reported_started_at: Option<i64>,
    ) -> Result<ReportedStart> {
        if start.cycle_id.is_empty() {
            return Err(Error::Invalid("cycle id must not be empty".into()));
        }
        let c = &start.cluster;
        check_cluster_id(&c.id)?;
        check_cluster_text("name", &c.name)?;
        for (what, text) in [("version", &c.version), ("platform", &c.platform)] {
            if let Some(text) = text {
                check_cluster_text(what, text)?;
            }
        }
        let reported = ReportedStart {
            started_at: start.started_at,
            reported_started_at: reported_started_at.map(|t| t.min(start.started_at)),
            reported_in_future: reported_started_at
                .is_some_and(|t| t > start.started_at.saturating_add(CLOCK_TOLERANCE_SECS)),
        };
        let mut conn = self.writer()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Unlisted until a cycle of it completes; an existing cluster keeps its details.
        tx.execute(
            "INSERT INTO clusters (id, name, version, platform, first_seen, last_seen, listed)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5, 0) ON CONFLICT (id) DO NOTHING",
            params![c.id, c.name, c.version, c.platform, start.started_at],
        )?;
        let existing: Option<(String, String, bool, ReportedStart)> = tx
            .query_row(
                "SELECT cluster_id, scope, finished_at IS NOT NULL, started_at,
                     reported_started_at, reported_in_future
                 FROM cycles WHERE id = ?",
                [&start.cycle_id],
                |r| {
                    let times = ReportedStart {
                        started_at: r.get(3)?,
                        reported_started_at: r.get(4)?,
                        reported_in_future: r.get(5)?,
                    };
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, times))
                },
            )
            .optional()?;
        let answer = match existing {
            Some((cluster, scope, finished, times))
                if cluster == c.id && scope == start.scope.to_string() =>
            {
                if !finished {
                    tx.execute(
                        "UPDATE cycles SET cluster_name = ?, cluster_version = ?,
                             cluster_platform = ?
                         WHERE id = ?",
                        params![c.name, c.version, c.platform, start.cycle_id],
                    )?;
                }
                times
            }
            Some(_) => return Err(Error::CycleMismatch(start.cycle_id.clone())),
            None => {
                tx.execute(
                    "INSERT INTO cycles (id, cluster_id, scope, started_at, cluster_name,
                         cluster_version, cluster_platform, reported_started_at,
                         reported_in_future)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    params![
                        start.cycle_id,
                        c.id,
                        start.scope.to_string(),
                        start.started_at,
                        c.name,
                        c.version,
                        c.platform,
                        reported.reported_started_at,
                        reported.reported_in_future,
                    ],
                )?;
                reported
            }
        };
        tx.commit()?;
        Ok(answer)
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
        self.stage_batch(cycle_id, batch, findings, None)
    }

    /// Receives one batch of a cycle from a client that numbers its batches and flags the
    /// last one: stages it as [`Store::ingest_batch`] does, but a batch number already
    /// received with another `digest` (the caller's hash of the batch's content) is refused
    /// with [`Error::BatchConflict`], and the cycle completes (at `finished_at`) only once
    /// every batch from 0 up to the one flagged final has arrived, in any order.
    pub fn receive_batch(
        &self,
        cycle_id: &str,
        batch: &BatchReceipt<'_>,
        findings: &[Finding],
        finished_at: i64,
    ) -> Result<BatchAnswer> {
        if batch.number > MAX_BATCH {
            return Err(Error::Invalid(format!(
                "batch number {} is over the limit of {MAX_BATCH}",
                batch.number
            )));
        }
        if batch.is_final {
            self.set_final_batch(cycle_id, batch.number)?;
        }
        let outcome = self.stage_batch(cycle_id, batch.number, findings, Some(batch.digest))?;
        let progress = self.batch_progress(cycle_id)?;
        let completed = match progress {
            Some((expected, received)) if received == expected => {
                Some(self.complete_cycle(cycle_id, finished_at)?)
            }
            _ => None,
        };
        Ok(BatchAnswer {
            outcome,
            completed,
            batches_expected: progress.map(|(expected, _)| expected),
            batches_received: progress.map_or(0, |(_, received)| received),
        })
    }

    /// Records the final batch number of a cycle; a different final number, or batches past
    /// it already received, are a conflict.
    fn set_final_batch(&self, cycle_id: &str, last: u64) -> Result<()> {
        let last = last as i64;
        let mut conn = self.writer()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let cycle = cycle_row(&tx, cycle_id)?;
        let recorded: Option<i64> = tx.query_row(
            "SELECT final_batch FROM cycles WHERE seq = ?",
            [cycle.seq],
            |r| r.get(0),
        )?;
        match recorded {
            Some(n) if n == last => return Ok(()),
            Some(n) => {
                return Err(Error::BatchConflict(format!(
                    "cycle `{cycle_id}` already ended with batch {n}, not {last}"
                )));
            }
            None => {}
        }
        if cycle.finished_at.is_some() {
            return Err(Error::CycleComplete(cycle_id.to_owned()));
        }
        let beyond: Option<i64> = tx.query_row(
            "SELECT MAX(batch) FROM cycle_batches WHERE cycle = ? AND batch > ?",
            params![cycle.seq, last],
            |r| r.get(0),
        )?;
        if let Some(beyond) = beyond {
            return Err(Error::BatchConflict(format!(
                "cycle `{cycle_id}` already has batch {beyond}, after the final batch {last}"
            )));
        }
        tx.execute(
            "UPDATE cycles SET final_batch = ? WHERE seq = ?",
            params![last, cycle.seq],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// (batches expected, batches received up to the final one) once the final batch number
    /// is known.
    fn batch_progress(&self, cycle_id: &str) -> Result<Option<(u64, u64)>> {
        let conn = self.writer()?;
        let row: Option<(Option<i64>, i64)> = conn
            .query_row(
                "SELECT c.final_batch, (SELECT COUNT(*) FROM cycle_batches b
                     WHERE b.cycle = c.seq AND b.batch <= COALESCE(c.final_batch, -1))
                 FROM cycles c WHERE c.id = ?",
                [cycle_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (last, received) = row.ok_or_else(|| Error::UnknownCycle(cycle_id.to_owned()))?;
        Ok(last.map(|last| (last as u64 + 1, received as u64)))
    }

    fn stage_batch(
        &self,
        cycle_id: &str,
        batch: u64,
        findings: &[Finding],
        digest: Option<&str>,
    ) -> Result<IngestOutcome> {
        let batch = i64::try_from(batch)
            .map_err(|_| Error::Invalid(format!("batch number {batch} is too large")))?;
        let mut conn = self.writer()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let cycle = cycle_row(&tx, cycle_id)?;
        let seen: Option<(i64, Option<String>)> = tx
            .query_row(
                "SELECT accepted, digest FROM cycle_batches WHERE cycle = ? AND batch = ?",
                params![cycle.seq, batch],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((accepted, stored)) = seen {
            if let (Some(stored), Some(digest)) = (stored.as_deref(), digest)
                && stored != digest
            {
                return Err(Error::BatchConflict(format!(
                    "batch {batch} of cycle `{cycle_id}` was already received with other content"
                )));
            }
            return Ok(IngestOutcome {
                accepted: accepted as usize,
                duplicate: true,
            });
        }
        if cycle.finished_at.is_some() {
            return Err(Error::CycleComplete(cycle_id.to_owned()));
        }
        let last: Option<i64> = tx.query_row(
            "SELECT final_batch FROM cycles WHERE seq = ?",
            [cycle.seq],
            |r| r.get(0),
        )?;
        if let Some(last) = last.filter(|last| batch > *last) {
            return Err(Error::BatchConflict(format!(
                "batch {batch} of cycle `{cycle_id}` comes after its final batch {last}"
            )));
        }
        let accepted = stage(&tx, &cycle, findings)?;
        tx.execute(
            "INSERT INTO cycle_batches (cycle, batch, accepted, digest) VALUES (?, ?, ?, ?)",
            params![cycle.seq, batch, accepted as i64, digest],
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
            tx.execute(
                "UPDATE clusters SET name = COALESCE(y.cluster_name, clusters.name),
                     version = COALESCE(y.cluster_version, clusters.version),
                     platform = COALESCE(y.cluster_platform, clusters.platform)
                 FROM (SELECT cluster_name, cluster_version, cluster_platform FROM cycles
                       WHERE seq = ?1) y
                 WHERE clusters.id = ?2",
                params![cycle.seq, cycle.cluster_id],
            )?;
            apply(&tx, &cycle, finished_at, &mut summary)?;
        }
        tx.execute(
            "UPDATE clusters SET listed = 1, last_seen = MAX(last_seen, ?1) WHERE id = ?2",
            params![cycle.started_at, cycle.cluster_id],
        )?;
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
        // A cluster only abandoned cycles ever named was never listed: forget it too.
        tx.execute(
            "DELETE FROM clusters WHERE listed = 0
                 AND NOT EXISTS (SELECT 1 FROM cycles y WHERE y.cluster_id = clusters.id)",
            [],
        )?;
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
    // The text of each rule as this cycle sent it, kept once per distinct text; the
    // findings below point at it.
    tx.execute(
        "INSERT INTO rule_versions (rule_id, doc)
         SELECT rule_id, doc FROM staged_rules WHERE cycle = ?1 AND true
         ON CONFLICT (rule_id, doc) DO NOTHING",
        [seq],
    )?;
    tx.execute(
        "UPDATE staged_rules SET version = (SELECT v.id FROM rule_versions v
             WHERE v.rule_id = staged_rules.rule_id AND v.doc = staged_rules.doc)
         WHERE cycle = ?1",
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
             exception_id, exception_expires, detail, rule_version)
         SELECT x.id, ?1, ?2, ?3, x.resource_id, x.rule_id, x.outcome, x.resource_name,
             x.resource_type, x.sub_type, x.namespace, x.host, x.rule_name, x.section,
             x.benchmark_id, x.rule_number, ?4, ?4, NULL, x.dis, x.exc,
             (SELECT e.expires_at FROM exceptions e WHERE e.id = x.exc), x.detail,
             (SELECT r.version FROM staged_rules r WHERE r.cycle = ?3 AND r.rule_id = x.rule_id)
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
             exception_expires = excluded.exception_expires, detail = excluded.detail,
             rule_version = excluded.rule_version",
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
