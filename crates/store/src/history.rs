//! The past: score trend, rounds of cycles, what changed between two rounds, and one
//! resource's findings and history.
//!
//! History is kept per scope (`history`, `history_counts`): the state of a cluster at time T
//! is the sum over its scopes of their latest entry at or before T, and "all clusters" is the
//! same sum over every cluster, so a pooled line can never sit above or below all of its
//! clusters, whatever order cycles arrive in. Cycles that start within [`ROUND_WINDOW`] of
//! the first cycle of a round (the nodes and the cluster scope of one evaluation) make one
//! point.

use std::collections::HashMap;

use kspm_model::Outcome;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use crate::dashboard::natural_key;
use crate::query::{ROW_COLUMNS, row_from};
use crate::{
    ChangedFinding, Changes, Counts, Error, FindingRow, ResourceChange, ResourceDetail, Result,
    Round, ScoreSlice, SectionChange, Store, TrendPoint, TrendSeries,
};

/// Cycles starting within this many seconds of the first cycle of a round join that round.
pub const ROUND_WINDOW: i64 = 15 * 60;
/// Most points per trend series.
const TREND_POINTS: usize = 200;
/// History entries read for a trend (the latest ones, plus each scope's state before them).
const MAX_ENTRIES: i64 = 20_000;

/// One history entry: a scope's counts right after one of its cycles.
struct Entry {
    cluster_id: String,
    scope: String,
    at: i64,
    counts: Counts,
}

fn counts_from(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Counts> {
    let n = |i: usize| -> rusqlite::Result<u64> {
        Ok(r.get::<_, Option<i64>>(first + i)?.unwrap_or(0).max(0) as u64)
    };
    Ok(Counts {
        passed: n(0)?,
        failed: n(1)?,
        manual: n(2)?,
        error: n(3)?,
        excepted: n(4)?,
        disabled: n(5)?,
    })
}

/// History entries of one cluster (or all), oldest first: the latest [`MAX_ENTRIES`] and,
/// before them, each scope's last entry (so that pooling starts from a full state).
fn entries(conn: &Connection, cluster: Option<&str>) -> Result<Vec<Entry>> {
    let cutoff: i64 = conn
        .prepare_cached(
            "SELECT at FROM history WHERE ?1 IS NULL OR cluster_id = ?1
             ORDER BY at DESC LIMIT 1 OFFSET ?2",
        )?
        .query_row(params![cluster, MAX_ENTRIES], |r| r.get(0))
        .optional()?
        .unwrap_or(i64::MIN);
    let mut stmt = conn.prepare_cached(
        "SELECT h.cluster_id, h.scope, h.at, SUM(c.passed), SUM(c.failed), SUM(c.manual),
             SUM(c.error), SUM(c.excepted), SUM(c.disabled)
         FROM history h LEFT JOIN history_counts c ON c.history = h.id
         WHERE (?1 IS NULL OR h.cluster_id = ?1)
           AND (h.at > ?2 OR h.id IN (SELECT MAX(b.id) FROM history b
                WHERE (?1 IS NULL OR b.cluster_id = ?1) AND b.at <= ?2
                GROUP BY b.cluster_id, b.scope))
         GROUP BY h.id ORDER BY h.at, h.id",
    )?;
    let rows = stmt.query_map(params![cluster, cutoff], |r| {
        Ok(Entry {
            cluster_id: r.get(0)?,
            scope: r.get(1)?,
            at: r.get(2)?,
            counts: counts_from(r, 3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Pools entries into one point per round: the sum of every scope's latest counts.
fn pool<'a>(entries: impl Iterator<Item = &'a Entry>) -> Vec<(TrendPoint, u64)> {
    let mut latest: HashMap<(&str, &str), Counts> = HashMap::new();
    let mut points: Vec<(TrendPoint, u64)> = Vec::new();
    let mut round_start: Option<i64> = None;
    for e in entries {
        latest.insert((&e.cluster_id, &e.scope), e.counts);
        let mut total = Counts::default();
        for c in latest.values() {
            total.merge(c);
        }
        let point = TrendPoint {
            at: e.at,
            counts: total,
            score: total.score(),
        };
        match (round_start, points.last_mut()) {
            (Some(start), Some(last)) if e.at - start <= ROUND_WINDOW => {
                let cycles = last.1 + 1;
                *last = (point, cycles);
            }
            _ => {
                round_start = Some(e.at);
                points.push((point, 1));
            }
        }
    }
    points
}

fn last_points(mut points: Vec<(TrendPoint, u64)>) -> Vec<TrendPoint> {
    let skip = points.len().saturating_sub(TREND_POINTS);
    points.drain(..skip);
    points.into_iter().map(|(p, _)| p).collect()
}

impl Store {
    /// The score trend of one cluster, or of all clusters pooled: one point per round of
    /// cycles, oldest first (the latest 200). Each point is the state right after the round,
    /// with the exceptions and rule settings in force when its cycles completed.
    pub fn trend(&self, cluster_id: Option<&str>) -> Result<Vec<TrendPoint>> {
        self.read(|conn| Ok(last_points(pool(entries(conn, cluster_id)?.iter()))))
    }

    /// Every trend line of the dashboard: all clusters pooled first, then each cluster by
    /// name.
    pub fn trends(&self) -> Result<Vec<TrendSeries>> {
        self.read(|conn| {
            let all = entries(conn, None)?;
            let mut out = vec![TrendSeries {
                cluster_id: None,
                label: "All clusters".into(),
                points: last_points(pool(all.iter())),
            }];
            let mut stmt = conn.prepare_cached(
                "SELECT id, name FROM clusters WHERE listed = 1 ORDER BY name, id",
            )?;
            let clusters = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            for (id, name) in clusters {
                let points = last_points(pool(all.iter().filter(|e| e.cluster_id == id)));
                if !points.is_empty() {
                    out.push(TrendSeries {
                        cluster_id: Some(id),
                        label: name,
                        points,
                    });
                }
            }
            Ok(out)
        })
    }

    /// The rounds of cycles of a cluster, newest first (the points of its trend).
    pub fn rounds(&self, cluster_id: &str) -> Result<Vec<Round>> {
        self.read(|conn| {
            let mut rounds: Vec<Round> = pool(entries(conn, Some(cluster_id))?.iter())
                .into_iter()
                .map(|(p, cycles)| Round {
                    at: p.at,
                    cycles,
                    counts: p.counts,
                    score: p.score,
                })
                .collect();
            rounds.reverse();
            Ok(rounds)
        })
    }

    /// What changed in a cluster between the rounds that end at `from` and `to` (as listed by
    /// [`Store::rounds`]): new failures, resolved failures (at most `limit` of each, with
    /// their totals) and the counts of every section before and after.
    pub fn changes(&self, cluster_id: &str, from: i64, to: i64, limit: u32) -> Result<Changes> {
        let rounds = self.rounds(cluster_id)?;
        let find = |at: i64| {
            rounds
                .iter()
                .find(|r| r.at == at)
                .cloned()
                .ok_or_else(|| Error::Invalid(format!("no round of this cluster ends at {at}")))
        };
        let (from, to) = (find(from.min(to))?, find(from.max(to))?);
        let now = self.now();
        self.read(|conn| {
            let sections = section_changes(conn, cluster_id, from.at, to.at)?;
            let (new_failures, new_failures_total) =
                changed(conn, cluster_id, from.at, to.at, true, limit, now)?;
            let (resolved, resolved_total) =
                changed(conn, cluster_id, from.at, to.at, false, limit, now)?;
            Ok(Changes {
                cluster_id: cluster_id.to_owned(),
                from,
                to,
                new_failures,
                new_failures_total,
                resolved,
                resolved_total,
                sections,
            })
        })
    }

    /// One resource of a cluster: its current findings (failed first), counts, facts and the
    /// outcome changes of its findings. `None` when the store has never seen it.
    pub fn resource(&self, cluster_id: &str, resource_id: &str) -> Result<Option<ResourceDetail>> {
        let now = self.now();
        self.read(|conn| {
            // Finding ids are derived from (cluster, resource, rule): looking each rule's id up
            // by the unique index finds resolved findings too, without scanning.
            let rules: Vec<String> = conn
                .prepare_cached("SELECT id FROM rules")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            if rules.is_empty() {
                return Ok(None);
            }
            let ids: Vec<String> = rules
                .iter()
                .map(|rule| kspm_model::finding_id(cluster_id, resource_id, rule))
                .collect();
            let marks = vec!["?"; ids.len()].join(", ");
            let sql =
                format!("SELECT {ROW_COLUMNS}, f.rowid FROM findings f WHERE f.id IN ({marks})");
            let mut args: Vec<&dyn rusqlite::ToSql> = vec![&now];
            args.extend(ids.iter().map(|i| i as &dyn rusqlite::ToSql));
            let mut stmt = conn.prepare(&sql)?;
            let all: Vec<(FindingRow, i64)> = stmt
                .query_map(args.as_slice(), |r| Ok((row_from(r)?, r.get(21)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let Some((first, _)) = all.first() else {
                return Ok(None);
            };
            let first = first.clone();
            let rank = |o: Outcome| match o {
                Outcome::Failed => 0,
                Outcome::Error => 1,
                Outcome::Manual => 2,
                _ => 3,
            };
            let mut findings: Vec<FindingRow> = all
                .iter()
                .filter(|(r, _)| r.resolved_at.is_none())
                .map(|(r, _)| r.clone())
                .collect();
            findings.sort_by(|a, b| {
                (
                    a.disabled,
                    rank(a.outcome),
                    natural_key(&a.rule_number),
                    &a.rule_id,
                )
                    .cmp(&(
                        b.disabled,
                        rank(b.outcome),
                        natural_key(&b.rule_number),
                        &b.rule_id,
                    ))
            });
            let mut counts = Counts::default();
            for f in &findings {
                counts.add(f.status, 1);
            }
            let facts: Option<String> = conn
                .prepare_cached(
                    "SELECT doc FROM resources WHERE cluster_id = ? AND resource_id = ?",
                )?
                .query_row(params![cluster_id, resource_id], |r| r.get(0))
                .optional()?;
            let facts = match facts {
                Some(text) => serde_json::from_str(&text)?,
                None => serde_json::Value::Null,
            };
            let by_rowid: HashMap<i64, &FindingRow> =
                all.iter().map(|(r, rowid)| (*rowid, r)).collect();
            let rowids: Vec<i64> = by_rowid.keys().copied().collect();
            let marks = vec!["?"; rowids.len()].join(", ");
            let mut stmt = conn.prepare(&format!(
                "SELECT c.finding, c.at, c.outcome,
                     (SELECT p.outcome FROM finding_changes p WHERE p.finding = c.finding
                        AND (p.at < c.at OR (p.at = c.at AND p.cycle < c.cycle))
                      ORDER BY p.at DESC, p.cycle DESC LIMIT 1)
                 FROM finding_changes c WHERE c.finding IN ({marks})
                 ORDER BY c.at DESC, c.finding LIMIT 500"
            ))?;
            let history = stmt
                .query_map(params_from_iter(rowids.iter()), |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?
                .into_iter()
                .filter_map(|(rowid, at, after, before)| {
                    let f = by_rowid.get(&rowid)?;
                    Some(ResourceChange {
                        at,
                        finding_id: f.id.clone(),
                        rule_id: f.rule_id.clone(),
                        rule_number: f.rule_number.clone(),
                        rule_name: f.rule_name.clone(),
                        before: before.as_deref().and_then(Outcome::parse),
                        after: after.as_deref().and_then(Outcome::parse),
                    })
                })
                .collect();
            Ok(Some(ResourceDetail {
                cluster_id: first.cluster_id.clone(),
                cluster_name: first.cluster_name.clone(),
                resource_id: first.resource_id.clone(),
                name: first.resource_name.clone(),
                resource_type: first.resource_type.clone(),
                sub_type: first.resource_sub_type.clone(),
                namespace: first.namespace.clone(),
                host: first.host.clone(),
                score: counts.score(),
                counts,
                findings,
                facts,
                history,
            }))
        })
    }
}

/// Counts per section of a cluster after the rounds ending at `from` and `to`.
fn section_changes(
    conn: &Connection,
    cluster: &str,
    from: i64,
    to: i64,
) -> Result<Vec<SectionChange>> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.benchmark_id, c.section, SUM(c.passed), SUM(c.failed), SUM(c.manual),
             SUM(c.error), SUM(c.excepted), SUM(c.disabled)
         FROM history_counts c WHERE c.history IN (
             SELECT (SELECT h.id FROM history h WHERE h.cluster_id = ?1 AND h.scope = s.scope
                       AND h.at <= ?2 ORDER BY h.at DESC, h.id DESC LIMIT 1)
             FROM (SELECT DISTINCT scope FROM history WHERE cluster_id = ?1) s)
         GROUP BY 1, 2",
    )?;
    let mut at = |t: i64| -> Result<HashMap<(String, String), Counts>> {
        let rows = stmt.query_map(params![cluster, t], |r| {
            Ok(((r.get(0)?, r.get(1)?), counts_from(r, 2)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    };
    let before = at(from)?;
    let after = at(to)?;
    let names: HashMap<String, String> = conn
        .prepare_cached("SELECT benchmark_id, MIN(benchmark_name) FROM rules GROUP BY 1")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut keys: Vec<&(String, String)> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    let slice = |c: Option<&Counts>| {
        ScoreSlice {
            counts: c.copied().unwrap_or_default(),
            score: None,
        }
        .finish()
    };
    let mut out: Vec<SectionChange> = keys
        .into_iter()
        .map(|k| SectionChange {
            benchmark_name: names.get(&k.0).cloned().unwrap_or_else(|| k.0.clone()),
            benchmark_id: k.0.clone(),
            section: k.1.clone(),
            before: slice(before.get(k)),
            after: slice(after.get(k)),
        })
        .collect();
    let moved = |s: &SectionChange| {
        let score = match (s.before.score, s.after.score) {
            (Some(a), Some(b)) => (b - a).abs(),
            (None, None) => 0.0,
            _ => 100.0,
        };
        let failed = s.after.counts.failed.abs_diff(s.before.counts.failed) as f64;
        (score, failed)
    };
    out.sort_by(|a, b| {
        let (sa, fa) = moved(a);
        let (sb, fb) = moved(b);
        sb.total_cmp(&sa)
            .then(fb.total_cmp(&fa))
            .then_with(|| (&a.benchmark_id, &a.section).cmp(&(&b.benchmark_id, &b.section)))
    });
    Ok(out)
}

/// Findings of a cluster that became failed (`new_failures`) or stopped being failed between
/// the two times, with their outcome at each; at most `limit` rows and the total.
fn changed(
    conn: &Connection,
    cluster: &str,
    from: i64,
    to: i64,
    new_failures: bool,
    limit: u32,
    now: i64,
) -> Result<(Vec<ChangedFinding>, u64)> {
    let which = if new_failures {
        "s.after IS 'failed' AND s.before IS NOT 'failed'"
    } else {
        "s.before IS 'failed' AND s.after IS NOT 'failed'"
    };
    // Only findings with a change between the two rounds can differ; their outcome at each
    // time is their latest change at or before it.
    let columns = ROW_COLUMNS.replace("> ?", "> ?1");
    let sql = format!(
        "WITH cand AS (
             SELECT DISTINCT c.finding FROM finding_changes c
             WHERE c.cycle IN (SELECT y.seq FROM cycles y WHERE y.cluster_id = ?2
                                 AND y.started_at > ?3 AND y.started_at <= ?4)),
         s AS (
             SELECT cand.finding,
                 (SELECT x.outcome FROM finding_changes x WHERE x.finding = cand.finding
                    AND x.at <= ?3 ORDER BY x.at DESC, x.cycle DESC LIMIT 1) AS before,
                 (SELECT x.outcome FROM finding_changes x WHERE x.finding = cand.finding
                    AND x.at <= ?4 ORDER BY x.at DESC, x.cycle DESC LIMIT 1) AS after
             FROM cand)
         SELECT {columns}, s.before, s.after, COUNT(*) OVER ()
         FROM s JOIN findings f ON f.rowid = s.finding
         WHERE {which}
         ORDER BY f.section, f.rule_number, f.resource_name, f.rowid
         LIMIT ?5"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut total = 0u64;
    let rows = stmt
        .query_map(params![now, cluster, from, to, i64::from(limit)], |r| {
            Ok((
                ChangedFinding {
                    row: row_from(r)?,
                    before: r
                        .get::<_, Option<String>>(21)?
                        .as_deref()
                        .and_then(Outcome::parse),
                    after: r
                        .get::<_, Option<String>>(22)?
                        .as_deref()
                        .and_then(Outcome::parse),
                },
                r.get::<_, i64>(23)? as u64,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .map(|(c, n)| {
            total = n;
            c
        })
        .collect();
    Ok((rows, total))
}
