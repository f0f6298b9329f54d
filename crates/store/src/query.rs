//! Findings queries: search pages, groups, one finding, clusters.

use kspm_model::{Outcome, Tally};
use rusqlite::{OptionalExtension, Row, ToSql, params_from_iter};

use crate::doc::{Parts, rebuild};
use crate::kql::{self, SqlFilter, SqlParam};
use crate::{
    ClusterRow, Error, FindingRow, GroupBy, GroupRequest, GroupRow, Result, SearchPage,
    SearchRequest, SortDir, Store, StoredFinding,
};

/// Columns of a [`FindingRow`], over `findings f`; the exception column needs "now" (`?`).
const ROW_COLUMNS: &str = "f.id, f.cluster_id,
    COALESCE((SELECT c.name FROM clusters c WHERE c.id = f.cluster_id), f.cluster_id),
    f.scope, f.resource_id, f.resource_name, f.resource_type, f.sub_type, f.namespace, f.host,
    f.rule_id, f.rule_name, f.section, f.benchmark_id, f.rule_number, f.outcome,
    f.first_seen, f.last_seen, f.resolved_at,
    CASE WHEN f.exception_expires IS NULL OR f.exception_expires > ? THEN f.exception_id END,
    f.disabled";

/// Up to this many matches, a search page is found by sorting the matches rather than by
/// walking the sort order (see `search`).
const SELECTIVE_ROWS: i64 = 50_000;

fn outcome_of(s: &str) -> Outcome {
    // Only valid outcomes are ever written; anything else reads as an error finding.
    Outcome::parse(s).unwrap_or(Outcome::Error)
}

fn row_from(r: &Row<'_>) -> rusqlite::Result<FindingRow> {
    let outcome: String = r.get(15)?;
    Ok(FindingRow {
        id: r.get(0)?,
        cluster_id: r.get(1)?,
        cluster_name: r.get(2)?,
        scope: r
            .get::<_, String>(3)?
            .parse()
            .map_err(|e: kspm_model::ScopeError| {
                rusqlite::Error::FromSqlConversionFailure(
                    3,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })?,
        resource_id: r.get(4)?,
        resource_name: r.get(5)?,
        resource_type: r.get(6)?,
        resource_sub_type: r.get(7)?,
        namespace: r.get(8)?,
        host: r.get(9)?,
        rule_id: r.get(10)?,
        rule_name: r.get(11)?,
        section: r.get(12)?,
        benchmark_id: r.get(13)?,
        rule_number: r.get(14)?,
        outcome: outcome_of(&outcome),
        first_seen: r.get(16)?,
        last_seen: r.get(17)?,
        resolved_at: r.get(18)?,
        exception_id: r.get(19)?,
        disabled: r.get(20)?,
    })
}

/// The always-on part of a findings condition. The literal terms matter: the partial
/// indexes are declared `WHERE resolved_at IS NULL`, and SQLite only uses them when the query
/// says so in the same words.
fn base_condition(include_resolved: bool, include_disabled: bool) -> &'static str {
    match (include_resolved, include_disabled) {
        (false, false) => "f.resolved_at IS NULL AND f.disabled = 0",
        (false, true) => "f.resolved_at IS NULL",
        (true, false) => "f.disabled = 0",
        (true, true) => "1",
    }
}

impl Store {
    /// One page of latest findings matching a KQL query, with the total count.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchPage> {
        let now = self.now();
        let expr = kql::parse(&req.query)?;
        let filter = kql::translate(&expr, now);
        // Outcome-only queries over current findings are counted from the tallies.
        let counted = outcome_mask(&expr).filter(|_| !req.include_resolved);
        let (sort_sql, dir) = match &req.sort {
            None => ("f.last_seen", "DESC"),
            Some((name, dir)) => {
                let field = kql::field_named(name)
                    .filter(|f| f.sortable)
                    .ok_or_else(|| Error::Invalid(format!("cannot sort on `{name}`")))?;
                let dir = match dir {
                    SortDir::Asc => "ASC",
                    SortDir::Desc => "DESC",
                };
                (field.sql, dir)
            }
        };
        let order = format!("{sort_sql} {dir}, f.rowid {dir}");
        let per_page = req.per_page.clamp(1, 1000);
        let offset = i64::from(req.page) * i64::from(per_page);
        let base = base_condition(req.include_resolved, req.include_disabled);
        self.read(|conn| {
            let total: i64 = match counted {
                Some(mask) => {
                    let m = mask.map(i64::from);
                    conn.prepare_cached(&format!(
                        "SELECT COALESCE(SUM(t.n), 0) FROM tallies t
                         WHERE (?1 OR t.disabled = 0) AND {}",
                        selected("t.outcome")
                    ))?
                    .query_row(
                        rusqlite::params![req.include_disabled, 0, m[0], m[1], m[2], m[3]],
                        |r| r.get(0),
                    )?
                }
                None => {
                    let count_sql = format!(
                        "SELECT COUNT(*) FROM findings f WHERE {base} AND ({})",
                        filter.sql
                    );
                    conn.prepare_cached(&count_sql)?
                        .query_row(params_from_iter(filter.params.iter()), |r| r.get(0))?
                }
            };
            // The page's row ids are chosen first (from a covering index when there is one),
            // then only those rows are read. Without statistics SQLite likes to walk the sort
            // index and test every row against the filter, which is slow when few rows match;
            // for selective queries (`+` hides the sort column from the planner) the filter's
            // index is used and its matches sorted instead.
            let selective = total <= SELECTIVE_ROWS && expr != kql::Expr::All;
            let inner_order = if selective {
                format!("+{sort_sql} {dir}, +f.rowid {dir}")
            } else {
                order.clone()
            };
            let page_sql = format!(
                "SELECT {ROW_COLUMNS} FROM findings f WHERE f.rowid IN (
                     SELECT f.rowid FROM findings f WHERE {base} AND ({})
                     ORDER BY {inner_order} LIMIT ? OFFSET ?)
                 ORDER BY {order}",
                filter.sql
            );
            let mut params: Vec<&dyn ToSql> = vec![&now];
            params.extend(filter.params.iter().map(|p| p as &dyn ToSql));
            let limit = i64::from(per_page);
            params.push(&limit);
            params.push(&offset);
            let mut stmt = conn.prepare_cached(&page_sql)?;
            let rows = stmt
                .query_map(params.as_slice(), row_from)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(SearchPage {
                total: total as u64,
                rows,
            })
        })
    }

    /// Latest findings matching a query, grouped, most failed first (then most findings).
    /// Only current findings of enabled rules are grouped. Without a query, or with one that
    /// only selects outcomes (`result.evaluation : failed`), the groups come from the
    /// aggregates kept at cycle completion; otherwise from the findings.
    pub fn groups(&self, req: &GroupRequest) -> Result<Vec<GroupRow>> {
        let now = self.now();
        let expr = kql::parse(&req.query)?;
        let limit = i64::from(req.limit.clamp(1, 1000));
        let raw = if let Some(mask) = outcome_mask(&expr) {
            self.read(|conn| groups_from_aggregates(conn, req.by, limit, now, mask))?
        } else {
            let filter = kql::translate(&expr, now);
            self.read(|conn| groups_from_findings(conn, req.by, &filter, limit, now))?
        };
        Ok(raw.into_iter().map(|g| g.finish(req.by)).collect())
    }

    /// One finding (current or resolved) with its full document and covering exception.
    pub fn finding(&self, finding_id: &str) -> Result<Option<StoredFinding>> {
        let now = self.now();
        self.read(|conn| {
            let sql = format!(
                "SELECT {ROW_COLUMNS}, f.detail, r.doc, res.doc FROM findings f
                 LEFT JOIN rules r ON r.id = f.rule_id
                 LEFT JOIN resources res ON res.cluster_id = f.cluster_id
                     AND res.resource_id = f.resource_id
                 WHERE f.id = ?"
            );
            let found = conn
                .prepare_cached(&sql)?
                .query_row(rusqlite::params![now, finding_id], |r| {
                    Ok((
                        row_from(r)?,
                        r.get::<_, String>(21)?,
                        r.get::<_, Option<String>>(22)?,
                        r.get::<_, Option<String>>(23)?,
                    ))
                })
                .optional()?;
            let Some((row, detail, rule, resource)) = found else {
                return Ok(None);
            };
            let document = rebuild(
                Parts {
                    resource_id: &row.resource_id,
                    resource_name: &row.resource_name,
                    resource_type: &row.resource_type,
                    sub_type: &row.resource_sub_type,
                    outcome: row.outcome,
                },
                &detail,
                rule.as_deref(),
                resource.as_deref(),
            )?;
            let exception = match row.exception_id {
                Some(id) => crate::policy::exception_by_id(conn, id, now)?,
                None => None,
            };
            Ok(Some(StoredFinding {
                row,
                document,
                exception,
            }))
        })
    }

    /// Every known cluster, by name.
    pub fn clusters(&self) -> Result<Vec<ClusterRow>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, name, version, platform, first_seen, last_seen FROM clusters
                 ORDER BY name, id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(ClusterRow {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    version: r.get(2)?,
                    platform: r.get(3)?,
                    first_seen: r.get(4)?,
                    last_seen: r.get(5)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}

/// A group before its link query is built.
struct RawGroup {
    k1: Option<String>,
    k2: Option<String>,
    label: Option<String>,
    rule_number: Option<String>,
    tally: Tally,
    excepted: u64,
}

impl RawGroup {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<RawGroup> {
        let n = |i: usize| -> rusqlite::Result<u64> {
            Ok(r.get::<_, Option<i64>>(i)?.unwrap_or(0) as u64)
        };
        Ok(RawGroup {
            k1: r.get(0)?,
            k2: r.get(1)?,
            label: r.get(2)?,
            tally: Tally {
                passed: n(3)?,
                failed: n(4)?,
                manual: n(5)?,
                error: n(6)?,
            },
            excepted: n(7)?,
            rule_number: r.get(8)?,
        })
    }

    fn finish(self, by: GroupBy) -> GroupRow {
        let key = self.k1.clone().unwrap_or_default();
        let (context, query) = match by {
            GroupBy::Resource => (self.k2, format!("resource.id : {}", kql::quote(&key))),
            GroupBy::Rule => (self.rule_number, format!("rule.id : {}", kql::quote(&key))),
            GroupBy::Section => {
                let bench = self.k2.clone().unwrap_or_default();
                let q = format!(
                    "rule.benchmark.id : {} and rule.section : {}",
                    kql::quote(&bench),
                    kql::quote(&key)
                );
                (self.k2, q)
            }
            GroupBy::Cluster => (
                None,
                format!("orchestrator.cluster.id : {}", kql::quote(&key)),
            ),
            GroupBy::Namespace => match &self.k1 {
                Some(ns) => (
                    None,
                    format!("orchestrator.resource.namespace : {}", kql::quote(ns)),
                ),
                None => (None, "not orchestrator.resource.namespace : *".to_owned()),
            },
        };
        GroupRow {
            label: self
                .label
                .or_else(|| self.k1.clone())
                .unwrap_or_else(|| "(none)".into()),
            key: self.k1,
            context,
            query,
            tally: self.tally,
            excepted: self.excepted,
        }
    }
}

/// Which outcomes a query selects, when it selects nothing but outcomes (or everything).
/// Index order: passed, failed, manual, error.
type OutcomeMask = [bool; 4];

fn outcome_mask(expr: &kql::Expr) -> Option<OutcomeMask> {
    fn slot(o: Outcome) -> Option<usize> {
        match o {
            Outcome::Passed => Some(0),
            Outcome::Failed => Some(1),
            Outcome::Manual => Some(2),
            Outcome::Error => Some(3),
            Outcome::NotApplicable => None,
        }
    }
    match expr {
        kql::Expr::All => Some([true; 4]),
        kql::Expr::Match {
            field,
            value: kql::Value::Literal(v),
        } if field.name == "result.evaluation" => {
            let mut mask = [false; 4];
            mask[slot(Outcome::parse(v)?)?] = true;
            Some(mask)
        }
        kql::Expr::Or(terms) => {
            let mut mask = [false; 4];
            for t in terms {
                let m = outcome_mask(t)?;
                for (acc, x) in mask.iter_mut().zip(m) {
                    *acc |= x;
                }
            }
            Some(mask)
        }
        _ => None,
    }
}

/// Columns 3..=7 of a group row summed from `tallies t` (outcome already filtered).
const TALLY_SUMS: &str = "SUM(CASE WHEN t.outcome = 'passed' THEN t.n ELSE 0 END) AS passed,
    SUM(CASE WHEN t.outcome = 'failed' THEN t.n ELSE 0 END) AS failed,
    SUM(CASE WHEN t.outcome = 'manual' THEN t.n ELSE 0 END),
    SUM(CASE WHEN t.outcome = 'error' THEN t.n ELSE 0 END),
    SUM(CASE WHEN t.has_exception = 1 AND (t.exception_expires IS NULL
        OR t.exception_expires > ?1) THEN t.n ELSE 0 END)";

/// 1 when the outcome in `col` is selected by the mask parameters `?3`..`?6`.
fn selected(col: &str) -> String {
    format!(
        "(CASE {col} WHEN 'passed' THEN ?3 WHEN 'failed' THEN ?4 WHEN 'manual' THEN ?5 \
         WHEN 'error' THEN ?6 ELSE 0 END) = 1"
    )
}

fn groups_from_aggregates(
    conn: &rusqlite::Connection,
    by: GroupBy,
    limit: i64,
    now: i64,
    mask: OutcomeMask,
) -> Result<Vec<RawGroup>> {
    // Masked per-resource counts: ?3..?6 are 1 for selected outcomes, 0 otherwise.
    const RT: &str = "rt.passed * ?3 AS passed, rt.failed * ?4 AS failed,
        rt.manual * ?5 AS manual, rt.error * ?6 AS error,
        rt.passed * ?3 + rt.failed * ?4 + rt.manual * ?5 + rt.error * ?6 AS total";
    let sql = match by {
        GroupBy::Resource => format!(
            "SELECT m.resource_id, m.cluster_id, m.resource_name, m.passed, m.failed, m.manual,
                 m.error,
                 (SELECT COUNT(*) FROM findings x INDEXED BY cur_resource
                  WHERE x.cluster_id = m.cluster_id AND x.resource_id = m.resource_id
                    AND x.resolved_at IS NULL AND x.disabled = 0
                    AND x.exception_id IS NOT NULL AND {sel}
                    AND (x.exception_expires IS NULL OR x.exception_expires > ?1)),
                 NULL
             FROM (SELECT rt.resource_id, rt.cluster_id, rt.resource_name, {RT}
                   FROM resource_tallies rt) m
             WHERE m.total > 0
             ORDER BY m.failed DESC, m.total DESC, m.resource_id LIMIT ?2",
            sel = selected("x.outcome"),
        ),
        GroupBy::Namespace => format!(
            "SELECT m.namespace, NULL, m.namespace, SUM(m.passed), SUM(m.failed) AS failed,
                 SUM(m.manual), SUM(m.error),
                 (SELECT COUNT(*) FROM findings x INDEXED BY cur_excepted
                  WHERE x.exception_id IS NOT NULL AND x.resolved_at IS NULL
                    AND x.disabled = 0 AND x.namespace IS m.namespace AND {sel}
                    AND (x.exception_expires IS NULL OR x.exception_expires > ?1)),
                 NULL, SUM(m.total) AS total
             FROM (SELECT rt.namespace, {RT} FROM resource_tallies rt) m
             GROUP BY m.namespace HAVING SUM(m.total) > 0
             ORDER BY failed DESC, total DESC, m.namespace LIMIT ?2",
            sel = selected("x.outcome"),
        ),
        GroupBy::Rule => format!(
            "SELECT t.rule_id, NULL, r.name, {TALLY_SUMS}, r.rule_number, SUM(t.n) AS total
             FROM tallies t JOIN rules r ON r.id = t.rule_id WHERE t.disabled = 0 AND {sel}
             GROUP BY t.rule_id ORDER BY failed DESC, total DESC, t.rule_id LIMIT ?2",
            sel = selected("t.outcome"),
        ),
        GroupBy::Section => format!(
            "SELECT r.section, r.benchmark_id, r.section, {TALLY_SUMS}, NULL, SUM(t.n) AS total
             FROM tallies t JOIN rules r ON r.id = t.rule_id WHERE t.disabled = 0 AND {sel}
             GROUP BY r.section, r.benchmark_id
             ORDER BY failed DESC, total DESC, r.section LIMIT ?2",
            sel = selected("t.outcome"),
        ),
        GroupBy::Cluster => format!(
            "SELECT t.cluster_id, NULL, (SELECT c.name FROM clusters c WHERE c.id = t.cluster_id),
                 {TALLY_SUMS}, NULL, SUM(t.n) AS total
             FROM tallies t WHERE t.disabled = 0 AND {sel}
             GROUP BY t.cluster_id ORDER BY failed DESC, total DESC, t.cluster_id LIMIT ?2",
            sel = selected("t.outcome"),
        ),
    };
    let m = mask.map(i64::from);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        rusqlite::params![now, limit, m[0], m[1], m[2], m[3]],
        RawGroup::from_row,
    )?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

fn groups_from_findings(
    conn: &rusqlite::Connection,
    by: GroupBy,
    filter: &SqlFilter,
    limit: i64,
    now: i64,
) -> Result<Vec<RawGroup>> {
    let (keys, label) = match by {
        GroupBy::Resource => (
            "f.resource_id AS k1, f.cluster_id AS k2",
            "(SELECT x.resource_name FROM findings x WHERE x.cluster_id = g.k2
                 AND x.resource_id = g.k1 AND x.resolved_at IS NULL LIMIT 1)",
        ),
        GroupBy::Rule => (
            "f.rule_id AS k1, NULL AS k2",
            "(SELECT r.name FROM rules r WHERE r.id = g.k1)",
        ),
        GroupBy::Section => ("f.section AS k1, f.benchmark_id AS k2", "g.k1"),
        GroupBy::Cluster => (
            "f.cluster_id AS k1, NULL AS k2",
            "(SELECT c.name FROM clusters c WHERE c.id = g.k1)",
        ),
        GroupBy::Namespace => ("f.namespace AS k1, NULL AS k2", "g.k1"),
    };
    let sql = format!(
        "WITH g AS (
             SELECT {keys}, COUNT(*) AS total,
                 SUM(f.outcome = 'passed') AS passed, SUM(f.outcome = 'failed') AS failed,
                 SUM(f.outcome = 'manual') AS manual, SUM(f.outcome = 'error') AS error,
                 SUM(f.exception_id IS NOT NULL AND (f.exception_expires IS NULL
                     OR f.exception_expires > ?)) AS excepted
             FROM findings f
             WHERE f.resolved_at IS NULL AND f.disabled = 0 AND ({cond})
             GROUP BY 1, 2 ORDER BY failed DESC, total DESC, 1 LIMIT ?)
         SELECT g.k1, g.k2, {label}, g.passed, g.failed, g.manual, g.error, g.excepted,
             (SELECT r.rule_number FROM rules r WHERE r.id = g.k1)
         FROM g ORDER BY g.failed DESC, g.total DESC, g.k1",
        cond = filter.sql,
    );
    let mut params: Vec<SqlParam> = vec![SqlParam::Int(now)];
    params.extend(filter.params.iter().cloned());
    params.push(SqlParam::Int(limit));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(params.iter()), RawGroup::from_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}
