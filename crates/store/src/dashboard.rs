//! Dashboard, rules page and metrics: all read the small `tallies` table, never the findings.

use std::collections::{BTreeMap, HashMap};

use kspm_model::{Outcome, Tally};
use rusqlite::{Connection, params};

use crate::{
    BenchmarkScore, ClusterScore, Dashboard, MetricsCount, MetricsScore, MetricsSnapshot, Result,
    RuleRow, ScoreSlice, SectionScore, Store, TrendPoint,
};

/// Most trend points returned.
const TREND_POINTS: i64 = 200;

/// Tallies summed per (cluster, benchmark, section, outcome, disabled, excepted-now).
struct TallyRow {
    cluster_id: String,
    benchmark_id: String,
    benchmark_name: String,
    section: String,
    outcome: Outcome,
    disabled: bool,
    excepted: bool,
    n: u64,
}

fn add(tally: &mut Tally, outcome: Outcome, n: u64) {
    match outcome {
        Outcome::Passed => tally.passed += n,
        Outcome::Failed => tally.failed += n,
        Outcome::Manual => tally.manual += n,
        Outcome::Error => tally.error += n,
        Outcome::NotApplicable => {}
    }
}

impl ScoreSlice {
    /// Adds a tally row: excepted rows count beside the score, disabled ones not at all.
    fn add_row(&mut self, row: &TallyRow) {
        if row.disabled {
            return;
        }
        if row.excepted {
            self.excepted += row.n;
        } else {
            add(&mut self.tally, row.outcome, row.n);
        }
    }
}

fn tally_rows(conn: &Connection, cluster: Option<&str>, now: i64) -> Result<Vec<TallyRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT t.cluster_id, r.benchmark_id, r.benchmark_name, r.section, t.outcome,
             t.disabled,
             t.has_exception = 1 AND (t.exception_expires IS NULL OR t.exception_expires > ?2),
             SUM(t.n)
         FROM tallies t JOIN rules r ON r.id = t.rule_id
         WHERE ?1 IS NULL OR t.cluster_id = ?1
         GROUP BY 1, 2, 3, 4, 5, 6, 7",
    )?;
    let rows = stmt.query_map(params![cluster, now], |r| {
        let outcome: String = r.get(4)?;
        Ok(TallyRow {
            cluster_id: r.get(0)?,
            benchmark_id: r.get(1)?,
            benchmark_name: r.get(2)?,
            section: r.get(3)?,
            outcome: Outcome::parse(&outcome).unwrap_or(Outcome::Error),
            disabled: r.get(5)?,
            excepted: r.get(6)?,
            n: r.get::<_, i64>(7)? as u64,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Orders `1.2.10` after `1.2.9`.
fn natural_key(s: &str) -> Vec<(u64, String)> {
    s.split('.')
        .map(|p| (p.parse::<u64>().unwrap_or(u64::MAX), p.to_owned()))
        .collect()
}

impl Store {
    /// The dashboard for every cluster (`None`) or one. Scores follow the crate-level rules:
    /// enabled, non-excepted latest findings only.
    pub fn dashboard(&self, cluster_id: Option<&str>) -> Result<Dashboard> {
        let now = self.now();
        self.read(|conn| {
            let rows = tally_rows(conn, cluster_id, now)?;
            let mut overall = ScoreSlice::default();
            let mut per_cluster: HashMap<&str, ScoreSlice> = HashMap::new();
            let mut per_bench: BTreeMap<(&str, &str), ScoreSlice> = BTreeMap::new();
            let mut per_section: BTreeMap<(&str, &str), ScoreSlice> = BTreeMap::new();
            for row in &rows {
                overall.add_row(row);
                per_cluster.entry(&row.cluster_id).or_default().add_row(row);
                per_bench
                    .entry((&row.benchmark_id, &row.benchmark_name))
                    .or_default()
                    .add_row(row);
                per_section
                    .entry((&row.benchmark_id, &row.section))
                    .or_default()
                    .add_row(row);
            }

            let mut stmt = conn.prepare_cached(
                "SELECT c.id, c.name, c.version,
                     (SELECT MAX(y.started_at) FROM cycles y
                      WHERE y.cluster_id = c.id AND y.finished_at IS NOT NULL),
                     (SELECT SUM(s.resources) FROM scope_stats s WHERE s.cluster_id = c.id)
                 FROM clusters c WHERE ?1 IS NULL OR c.id = ?1 ORDER BY c.name, c.id",
            )?;
            let clusters = stmt
                .query_map(params![cluster_id], |r| {
                    Ok(ClusterScore {
                        cluster_id: r.get(0)?,
                        cluster_name: r.get(1)?,
                        version: r.get(2)?,
                        last_cycle_at: r.get(3)?,
                        resources: r.get::<_, Option<i64>>(4)?.unwrap_or(0) as u64,
                        score: ScoreSlice::default(),
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let clusters: Vec<ClusterScore> = clusters
                .into_iter()
                .map(|mut c| {
                    c.score = per_cluster
                        .remove(c.cluster_id.as_str())
                        .unwrap_or_default()
                        .finish();
                    c
                })
                .collect();

            let mut sections: Vec<SectionScore> = per_section
                .into_iter()
                .map(|((b, s), score)| SectionScore {
                    benchmark_id: b.to_owned(),
                    section: s.to_owned(),
                    score: score.finish(),
                })
                .collect();
            sections.sort_by(|a, b| {
                b.score
                    .tally
                    .failed
                    .cmp(&a.score.tally.failed)
                    .then_with(|| a.benchmark_id.cmp(&b.benchmark_id))
                    .then_with(|| a.section.cmp(&b.section))
            });

            Ok(Dashboard {
                overall: overall.finish(),
                benchmarks: per_bench
                    .into_iter()
                    .map(|((id, name), score)| BenchmarkScore {
                        benchmark_id: id.to_owned(),
                        benchmark_name: name.to_owned(),
                        score: score.finish(),
                    })
                    .collect(),
                sections,
                clusters_evaluated: clusters
                    .iter()
                    .filter(|c| c.last_cycle_at.is_some())
                    .count() as u64,
                resources_evaluated: clusters.iter().map(|c| c.resources).sum(),
                clusters,
                trend: trend(conn, cluster_id.unwrap_or(""))?,
            })
        })
    }

    /// Every rule seen in a completed cycle, in benchmark order, with whether it is enabled
    /// for `cluster_id` (or for all clusters) and its counts over the latest findings.
    pub fn rules(&self, cluster_id: Option<&str>) -> Result<Vec<RuleRow>> {
        let now = self.now();
        self.read(|conn| {
            let mut settings: HashMap<(String, String), bool> = HashMap::new();
            let mut stmt =
                conn.prepare_cached("SELECT cluster_id, rule_id, enabled FROM rule_settings")?;
            for row in stmt.query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))? {
                let (k, v) = row?;
                settings.insert(k, v);
            }
            let mut counts: HashMap<String, (Tally, u64)> = HashMap::new();
            let mut stmt = conn.prepare_cached(
                "SELECT t.rule_id, t.outcome,
                     t.has_exception = 1 AND (t.exception_expires IS NULL OR t.exception_expires > ?2),
                     SUM(t.n)
                 FROM tallies t WHERE ?1 IS NULL OR t.cluster_id = ?1 GROUP BY 1, 2, 3",
            )?;
            let rows = stmt.query_map(params![cluster_id, now], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, bool>(2)?,
                    r.get::<_, i64>(3)? as u64,
                ))
            })?;
            for row in rows {
                let (rule, outcome, excepted, n) = row?;
                let entry = counts.entry(rule).or_default();
                add(&mut entry.0, Outcome::parse(&outcome).unwrap_or(Outcome::Error), n);
                if excepted {
                    entry.1 += n;
                }
            }
            let mut stmt = conn.prepare_cached(
                "SELECT id, name, section, benchmark_id, benchmark_name, benchmark_version,
                     rule_number FROM rules",
            )?;
            let mut rules = stmt
                .query_map([], |r| {
                    Ok(RuleRow {
                        rule_id: r.get(0)?,
                        name: r.get(1)?,
                        section: r.get(2)?,
                        benchmark_id: r.get(3)?,
                        benchmark_name: r.get(4)?,
                        benchmark_version: r.get(5)?,
                        rule_number: r.get(6)?,
                        enabled: true,
                        tally: Tally::default(),
                        excepted: 0,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            for rule in &mut rules {
                let setting = |c: &str| settings.get(&(c.to_owned(), rule.rule_id.clone())).copied();
                rule.enabled = cluster_id
                    .and_then(setting)
                    .or_else(|| setting(""))
                    .unwrap_or(true);
                if let Some((tally, excepted)) = counts.remove(&rule.rule_id) {
                    rule.tally = tally;
                    rule.excepted = excepted;
                }
            }
            rules.sort_by(|a, b| {
                (&a.benchmark_id, natural_key(&a.rule_number), &a.rule_id).cmp(&(
                    &b.benchmark_id,
                    natural_key(&b.rule_number),
                    &b.rule_id,
                ))
            });
            Ok(rules)
        })
    }

    /// Scores per cluster × benchmark and cluster × benchmark × section, and finding counts
    /// per cluster × outcome (enabled rules, excepted included), for `/metrics`.
    pub fn metrics(&self) -> Result<MetricsSnapshot> {
        let now = self.now();
        self.read(|conn| {
            let rows = tally_rows(conn, None, now)?;
            let names: HashMap<String, String> = conn
                .prepare_cached("SELECT id, name FROM clusters")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let mut benchmarks: BTreeMap<(&str, &str), ScoreSlice> = BTreeMap::new();
            let mut sections: BTreeMap<(&str, &str, &str), ScoreSlice> = BTreeMap::new();
            let mut findings: BTreeMap<(&str, Outcome), u64> = BTreeMap::new();
            for row in &rows {
                benchmarks
                    .entry((&row.cluster_id, &row.benchmark_id))
                    .or_default()
                    .add_row(row);
                sections
                    .entry((&row.cluster_id, &row.benchmark_id, &row.section))
                    .or_default()
                    .add_row(row);
                if !row.disabled {
                    *findings.entry((&row.cluster_id, row.outcome)).or_default() += row.n;
                }
            }
            let name = |c: &str| names.get(c).cloned().unwrap_or_else(|| c.to_owned());
            let cycles_completed: i64 = conn.query_row(
                "SELECT COUNT(*) FROM cycles WHERE finished_at IS NOT NULL",
                [],
                |r| r.get(0),
            )?;
            Ok(MetricsSnapshot {
                benchmarks: benchmarks
                    .into_iter()
                    .map(|((c, b), score)| MetricsScore {
                        cluster_id: c.to_owned(),
                        cluster_name: name(c),
                        benchmark_id: b.to_owned(),
                        section: String::new(),
                        score: score.finish(),
                    })
                    .collect(),
                sections: sections
                    .into_iter()
                    .map(|((c, b, s), score)| MetricsScore {
                        cluster_id: c.to_owned(),
                        cluster_name: name(c),
                        benchmark_id: b.to_owned(),
                        section: s.to_owned(),
                        score: score.finish(),
                    })
                    .collect(),
                findings: findings
                    .into_iter()
                    .map(|((c, outcome), count)| MetricsCount {
                        cluster_id: c.to_owned(),
                        cluster_name: name(c),
                        outcome,
                        count,
                    })
                    .collect(),
                cycles_completed: cycles_completed as u64,
            })
        })
    }
}

/// Score after each completed cycle for one cluster (or `''` = all), oldest first.
fn trend(conn: &Connection, key: &str) -> Result<Vec<TrendPoint>> {
    let mut stmt = conn.prepare_cached(
        "SELECT at, SUM(passed), SUM(failed) FROM score_history WHERE cluster_id = ?1
         GROUP BY cycle ORDER BY at DESC, cycle DESC LIMIT ?2",
    )?;
    let mut points = stmt
        .query_map(params![key, TREND_POINTS], |r| {
            let passed = r.get::<_, i64>(1)? as u64;
            let failed = r.get::<_, i64>(2)? as u64;
            Ok(TrendPoint {
                at: r.get(0)?,
                passed,
                failed,
                score: Tally {
                    passed,
                    failed,
                    ..Tally::default()
                }
                .score(),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    points.reverse();
    Ok(points)
}
