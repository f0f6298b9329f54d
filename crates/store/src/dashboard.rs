//! Dashboard, rules page and metrics: all read the small `tallies` table, never the findings,
//! and count statuses ([`crate::Status`]) the same way.

use std::collections::{BTreeMap, HashMap};

use kspm_model::Outcome;
use rusqlite::{Connection, params};

use crate::status::{Status, excepted_now_sql};
use crate::{
    BenchmarkScore, ClusterScore, Counts, Dashboard, MetricsCount, MetricsScore, MetricsSnapshot,
    Result, RuleRow, ScoreSlice, SectionScore, Store,
};

/// Tallies summed per (cluster, benchmark, section, rule, status).
pub(crate) struct TallyRow {
    pub(crate) cluster_id: String,
    pub(crate) benchmark_id: String,
    pub(crate) benchmark_name: String,
    pub(crate) section: String,
    pub(crate) rule_id: String,
    pub(crate) outcome: Outcome,
    pub(crate) disabled: bool,
    pub(crate) excepted: bool,
    pub(crate) n: u64,
}

impl TallyRow {
    pub(crate) fn status(&self) -> Status {
        Status::of(self.outcome, self.disabled, self.excepted)
    }
}

impl ScoreSlice {
    fn add_row(&mut self, row: &TallyRow) {
        self.counts.add(row.status(), row.n);
    }
}

/// The tallies of every current finding (or one cluster's), with whether their exception
/// still applies at `now`: the input of every count the dashboard, rules page, metrics and
/// groups report.
pub(crate) fn tally_rows(
    conn: &Connection,
    cluster: Option<&str>,
    now: i64,
) -> Result<Vec<TallyRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT t.cluster_id, r.benchmark_id, r.benchmark_name, r.section, t.rule_id, t.outcome,
             t.disabled, {excepted}, SUM(t.n)
         FROM tallies t JOIN rules r ON r.id = t.rule_id
         WHERE ?1 IS NULL OR t.cluster_id = ?1
         GROUP BY 1, 2, 3, 4, 5, 6, 7, 8",
        excepted = excepted_now_sql("t.has_exception = 1", "t.exception_expires", "?2"),
    ))?;
    let rows = stmt.query_map(params![cluster, now], |r| {
        let outcome: String = r.get(5)?;
        Ok(TallyRow {
            cluster_id: r.get(0)?,
            benchmark_id: r.get(1)?,
            benchmark_name: r.get(2)?,
            section: r.get(3)?,
            rule_id: r.get(4)?,
            outcome: Outcome::parse(&outcome).unwrap_or(Outcome::Error),
            disabled: r.get(6)?,
            excepted: r.get(7)?,
            n: r.get::<_, i64>(8)? as u64,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Orders `1.2.10` after `1.2.9`.
pub(crate) fn natural_key(s: &str) -> Vec<(u64, String)> {
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
            let mut per_section: BTreeMap<(&str, &str, &str), ScoreSlice> = BTreeMap::new();
            for row in &rows {
                overall.add_row(row);
                per_cluster.entry(&row.cluster_id).or_default().add_row(row);
                per_bench
                    .entry((&row.benchmark_id, &row.benchmark_name))
                    .or_default()
                    .add_row(row);
                per_section
                    .entry((&row.benchmark_id, &row.benchmark_name, &row.section))
                    .or_default()
                    .add_row(row);
            }

            let mut stmt = conn.prepare_cached(
                "SELECT c.id, c.name, c.version,
                     (SELECT MAX(y.started_at) FROM cycles y
                      WHERE y.cluster_id = c.id AND y.finished_at IS NOT NULL),
                     (SELECT SUM(s.resources) FROM scope_stats s WHERE s.cluster_id = c.id)
                 FROM clusters c WHERE c.listed = 1 AND (?1 IS NULL OR c.id = ?1)
                 ORDER BY c.name, c.id",
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
                .map(|((b, name, s), score)| SectionScore {
                    benchmark_id: b.to_owned(),
                    benchmark_name: name.to_owned(),
                    section: s.to_owned(),
                    score: score.finish(),
                })
                .collect();
            sections.sort_by(|a, b| {
                b.score
                    .counts
                    .failed
                    .cmp(&a.score.counts.failed)
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
                trend: Vec::new(),
            })
        })
        .and_then(|mut d| {
            d.trend = self.trend(cluster_id)?;
            Ok(d)
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
            let mut counts: HashMap<String, Counts> = HashMap::new();
            for row in tally_rows(conn, cluster_id, now)? {
                counts
                    .entry(row.rule_id.clone())
                    .or_default()
                    .add(row.status(), row.n);
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
                        counts: Counts::default(),
                        score: None,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            for rule in &mut rules {
                let setting =
                    |c: &str| settings.get(&(c.to_owned(), rule.rule_id.clone())).copied();
                rule.enabled = cluster_id
                    .and_then(setting)
                    .or_else(|| setting(""))
                    .unwrap_or(true);
                if let Some(c) = counts.remove(&rule.rule_id) {
                    rule.counts = c;
                    rule.score = c.score();
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
    /// per cluster × status, for `/metrics`.
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
            let mut findings: BTreeMap<(&str, Status), u64> = BTreeMap::new();
            for row in &rows {
                benchmarks
                    .entry((&row.cluster_id, &row.benchmark_id))
                    .or_default()
                    .add_row(row);
                sections
                    .entry((&row.cluster_id, &row.benchmark_id, &row.section))
                    .or_default()
                    .add_row(row);
                *findings.entry((&row.cluster_id, row.status())).or_default() += row.n;
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
                    .map(|((c, status), count)| MetricsCount {
                        cluster_id: c.to_owned(),
                        cluster_name: name(c),
                        status,
                        count,
                    })
                    .collect(),
                cycles_completed: cycles_completed as u64,
            })
        })
    }
}
