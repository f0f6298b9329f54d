//! Findings queries: search pages, groups, one finding, clusters.

use std::collections::HashMap;

use kspm_model::Outcome;
use rusqlite::{OptionalExtension, Row, ToSql, params_from_iter};

use crate::dashboard::tally_rows;
use crate::doc::{Parts, rebuild};
use crate::kql::{self, SqlFilter, SqlParam};
use crate::status::{CellMask, excepted_now_sql, status_sql};
use crate::{
    ClusterRow, Counts, Error, FindingRow, GroupBy, GroupRequest, GroupResource, GroupRow, Result,
    SearchPage, SearchRequest, SortDir, Status, Store, StoredFinding, TotalRelation,
};

/// Columns of a [`FindingRow`], over `findings f`; the exception column needs "now" (`?`).
pub(crate) const ROW_COLUMNS: &str = "f.id, f.cluster_id,
    COALESCE((SELECT c.name FROM clusters c WHERE c.id = f.cluster_id), f.cluster_id),
    f.scope, f.resource_id, f.resource_name, f.resource_type, f.sub_type, f.namespace, f.host,
    f.rule_id, f.rule_name, f.section, f.benchmark_id, f.rule_number, f.outcome,
    f.first_seen, f.last_seen, f.resolved_at,
    CASE WHEN f.exception_expires IS NULL OR f.exception_expires > ? THEN f.exception_id END,
    f.disabled";

/// Up to this many matches, a search page is found by sorting the matches rather than by
/// walking the sort order (see `search`).
const SELECTIVE_ROWS: i64 = 50_000;

/// A bare-text search counts its matches up to this many; beyond, its total reads "at least
/// this many" (Elasticsearch's default `track_total_hits`). The findings page links no page
/// past it; deeper pages (an export) take the general path, which is exact.
pub const TEXT_COUNT_CAP: u64 = 10_000;

/// The findings indexes a bare-text search reads, per kind of dictionary value: each holds
/// one value's findings (`col = ? AND disabled = ? AND resolved_at IS NULL`) per outcome by
/// `last_seen, rowid`.
const TEXT_STREAMS: [(&str, &str); 4] = [
    ("text_rule", "rule_id"),
    ("text_resource", "resource_name"),
    ("text_namespace", "namespace"),
    ("text_host", "host"),
];

/// Outcomes by rank (`OUTCOME_RANK_SQL`): failed, error, manual, passed.
const RANKED: [&str; 4] = ["failed", "error", "manual", "passed"];

/// A row's place in a merged page: larger sorts first; the rowid is in the key.
type Key = (i64, i64, i64);

/// The orders a bare-text page is merged in: the default (newest first) and outcome rank
/// either way (the findings page's default is failed first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextOrder {
    Recent,
    RankAsc,
    RankDesc,
}

impl TextOrder {
    const ALL: [TextOrder; 3] = [TextOrder::Recent, TextOrder::RankAsc, TextOrder::RankDesc];

    /// The order of a search's ORDER BY, when a merge can produce it.
    fn of(order: &str) -> Option<TextOrder> {
        TextOrder::ALL.into_iter().find(|o| o.sql() == order)
    }

    /// Its ORDER BY, as `order_by` writes it.
    fn sql(self) -> String {
        let evaluation = kql::field_named("result.evaluation");
        order_by(
            match self {
                TextOrder::Recent => None,
                TextOrder::RankAsc => evaluation.map(|f| (f, SortDir::Asc)),
                TextOrder::RankDesc => evaluation.map(|f| (f, SortDir::Desc)),
            },
            "",
        )
    }

    /// The key of a row of outcome `rank`.
    fn key(self, rank: usize, last_seen: i64, rowid: i64) -> Key {
        let rank = rank as i64;
        match self {
            TextOrder::Recent => (0, last_seen, rowid),
            TextOrder::RankAsc => (-rank, last_seen, rowid),
            TextOrder::RankDesc => (rank, -last_seen, -rowid),
        }
    }

    fn rowid(self, key: Key) -> i64 {
        match self {
            TextOrder::RankDesc => -key.2,
            _ => key.2,
        }
    }
}

/// One bare-text search of current findings: the value, the order, whether rows of disabled
/// rules count, and the page (`offset` rows skipped, then `per_page`).
struct TextQuery<'a> {
    value: &'a kql::Value,
    order: TextOrder,
    include_disabled: bool,
    offset: usize,
    per_page: usize,
    now: i64,
}

impl TextQuery<'_> {
    fn run(&self, conn: &rusqlite::Connection) -> Result<Option<SearchPage>> {
        // One read transaction: the count and the page see the same state, and the hundreds
        // of short statements below do not each take and drop the database's read lock.
        let tx = conn.unchecked_transaction()?;
        let found = text_search(conn, self);
        tx.commit()?;
        found
    }
}

/// A bare-text search over current findings in one of the [`TextOrder`]s: `None` when the dictionary
/// cannot say exactly which rows match (a rule whose title, id, section or number matches in
/// one bundle version and not in another), for the general path to decide row by row.
///
/// The value is matched against the dictionary of distinct text values (`text_values`,
/// through its trigram index); every matching value is then one range of a findings index,
/// already in page order. The count adds ranges up to [`TEXT_COUNT_CAP`]; the page is a
/// merge of the ranges' heads, each range read only while it can still place a row. So the
/// work follows the number of matching values and the page size, not the number of matching
/// findings.
fn text_search(conn: &rusqlite::Connection, q: &TextQuery<'_>) -> Result<Option<SearchPage>> {
    let &TextQuery {
        value,
        order,
        include_disabled,
        offset,
        per_page,
        now,
    } = q;
    let pattern = kql::text_like(value);
    let grams = kql::trigram_query(value);
    let mut filter = SqlFilter {
        sql: "SELECT d.col, d.value, d.rule_id FROM text_values d WHERE ".to_owned(),
        params: Vec::new(),
    };
    kql::dictionary_match(&pattern, grams.as_deref(), &mut filter);
    // Matching values per stream kind (rule, resource, namespace, host).
    let mut values: [Vec<String>; 4] = Default::default();
    let mut rules: Vec<String> = Vec::new();
    {
        let mut stmt = conn.prepare_cached(&filter.sql)?;
        let mut rows = stmt.query(params_from_iter(filter.params.iter()))?;
        while let Some(r) = rows.next()? {
            let col: i64 = r.get(0)?;
            if col < 4 {
                rules.push(r.get(2)?);
            } else {
                values[(col - 3) as usize].push(r.get(1)?);
            }
        }
    }
    rules.sort_unstable();
    rules.dedup();
    // A rule is matched exactly when, in one of its four columns, every value it has ever had
    // matches: then each of its rows matches.
    {
        let mut stmt = conn.prepare_cached(
            "SELECT 1 FROM text_values WHERE col < 4 AND rule_id = ?2
             GROUP BY col HAVING SUM(value LIKE ?1 ESCAPE '\\') = COUNT(*) LIMIT 1",
        )?;
        for rule in &rules {
            if !stmt.exists(rusqlite::params![pattern, rule])? {
                return Ok(None);
            }
        }
    }
    values[0] = rules;
    let disabled: &[i64] = if include_disabled { &[0, 1] } else { &[0] };
    // One statement per kind of value and `disabled`, prepared once per search and rebound
    // per value.
    let statement = |kind: usize, d: i64, select: &str, rest: &str| {
        let (index, col) = TEXT_STREAMS[kind];
        conn.prepare_cached(&format!(
            "{select} FROM findings INDEXED BY {index}
             WHERE {col} = ?1 AND disabled = {d} AND resolved_at IS NULL {rest}"
        ))
    };
    let cap = TEXT_COUNT_CAP as usize;

    // The count, up to one past the cap. Values of one kind name disjoint rows, so a kind's
    // count is a sum of index ranges (kinds with fewer values first: one may pass the cap
    // alone); values of different kinds may name the same row, counted once by rowid.
    // A rule's current findings are counted in `tallies` already; other values count their
    // index range, no further than the cap.
    let count_kind = |kind: usize| -> Result<usize> {
        let mut n = 0usize;
        for &d in disabled {
            let mut stmt = if kind == 0 {
                conn.prepare_cached(&format!(
                    "SELECT COALESCE(SUM(n), 0) FROM tallies WHERE rule_id = ?1 AND disabled = {d}"
                ))?
            } else {
                statement(kind, d, "SELECT COUNT(*) FROM (SELECT 1", "LIMIT ?2)")?
            };
            for v in &values[kind] {
                let left = (cap + 1 - n) as i64;
                let got: i64 = if kind == 0 {
                    stmt.query_row([v], |r| r.get(0))?
                } else {
                    stmt.query_row(rusqlite::params![v, left], |r| r.get(0))?
                };
                n += got as usize;
                // Rules are summed whole (a few rows of `tallies` each): the exact count tells
                // how dense the matches are (see the walk below).
                if n > cap && kind != 0 {
                    return Ok(n);
                }
            }
        }
        Ok(n)
    };
    let mut kinds: Vec<usize> = (0..4).filter(|&k| !values[k].is_empty()).collect();
    kinds.sort_by_key(|&k| values[k].len());
    let mut per_kind = Vec::new();
    for &kind in &kinds {
        per_kind.push(count_kind(kind)?);
        if per_kind.last().is_some_and(|&n| n > cap) {
            break;
        }
    }
    let mut counted = per_kind.iter().copied().max().unwrap_or(0);
    if counted <= cap && kinds.len() > 1 {
        let mut seen = std::collections::HashSet::with_capacity(per_kind.iter().sum());
        'kinds: for &kind in &kinds {
            for &d in disabled {
                let mut stmt = statement(kind, d, "SELECT rowid", "")?;
                for v in &values[kind] {
                    let mut rows = stmt.query([v])?;
                    while let Some(r) = rows.next()? {
                        seen.insert(r.get::<_, i64>(0)?);
                        if seen.len() > cap {
                            break 'kinds;
                        }
                    }
                }
            }
        }
        counted = seen.len();
    }
    let (total, total_relation) = if counted > cap {
        (TEXT_COUNT_CAP, TotalRelation::Gte)
    } else {
        (counted as u64, TotalRelation::Eq)
    };

    // The page: the `need` first rows of the union in the search's order. Each row gets a key
    // that is larger the earlier it sorts; each range (one value, one `disabled`, one
    // outcome) is read in descending key order and left as soon as its next row could not
    // be placed, and a range whose best possible key could not be placed is not read at all
    // (by outcome rank, the failed findings usually fill the page alone).
    let need = offset + per_page;
    let mut best: std::collections::BinaryHeap<std::cmp::Reverse<Key>> =
        std::collections::BinaryHeap::with_capacity(need + 1);
    let mut held = std::collections::HashSet::new();
    // Many ranges but dense matches (a rule matching a fifth of all findings): walking the
    // page order itself and keeping the matching rows reads about `need / density` rows
    // instead of seeking every range. The walk is bounded by half the ranges' cost; when it
    // does not fill the page in that (matches gathered late in the order), the ranges decide.
    let ranges = kinds.iter().map(|&k| values[k].len()).sum::<usize>()
        * disabled.len()
        * if order == TextOrder::Recent { 4 } else { 1 };
    let densest = per_kind.iter().copied().max().unwrap_or(0);
    let mut walked = false;
    if !include_disabled && offset < counted && ranges > 256 && densest > 0 {
        // Findings ever stored (the largest rowid): at least the current ones, so the
        // estimate only ever leans towards the ranges.
        let stored: i64 = conn
            .prepare_cached("SELECT COALESCE(MAX(rowid), 0) FROM findings")?
            .query_row([], |r| r.get(0))?;
        let budget = ranges / 2;
        if need.saturating_mul(stored.max(0) as usize) / densest < budget {
            walked = walk_text_order(conn, order, &values, need, budget, &mut best)?;
        }
    }
    if offset < counted && !walked {
        let (scan, outcomes) = match order {
            TextOrder::Recent | TextOrder::RankAsc => ("DESC", [0, 1, 2, 3]),
            TextOrder::RankDesc => ("ASC", [3, 2, 1, 0]),
        };
        // The best key each outcome has among all current rows (one seek of `cur_outcome`):
        // an outcome without current rows is skipped, and the outcomes are taken best first,
        // so that in the newest-first order an outcome whose newest row is older than the
        // page's last one costs no seek per value.
        let mut ranked: Vec<(Key, usize)> = Vec::with_capacity(outcomes.len());
        {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT last_seen, rowid FROM findings INDEXED BY cur_outcome
                 WHERE outcome = ?1 AND disabled = ?2 AND resolved_at IS NULL
                 ORDER BY last_seen {scan}, rowid {scan} LIMIT 1"
            ))?;
            for rank in outcomes {
                let mut bound: Option<Key> = None;
                for &d in disabled {
                    let head = stmt
                        .query_row(rusqlite::params![RANKED[rank], d], |r| {
                            Ok(order.key(rank, r.get(0)?, r.get(1)?))
                        })
                        .optional()?;
                    bound = bound.max(head);
                }
                if let Some(bound) = bound {
                    ranked.push((bound, rank));
                }
            }
        }
        ranked.sort_by(|a, b| b.cmp(a));
        for (bound, rank) in ranked {
            if best.len() == need && best.peek().is_some_and(|w| bound <= w.0) {
                break;
            }
            for &kind in &kinds {
                for &d in disabled {
                    let mut stmt = statement(
                        kind,
                        d,
                        "SELECT last_seen, rowid",
                        &format!(
                            "AND outcome = '{}' ORDER BY last_seen {scan}, rowid {scan} LIMIT ?2",
                            RANKED[rank]
                        ),
                    )?;
                    for v in &values[kind] {
                        let mut rows = stmt.query(rusqlite::params![v, need as i64])?;
                        while let Some(r) = rows.next()? {
                            let key = order.key(rank, r.get(0)?, r.get(1)?);
                            if best.len() == need && best.peek().is_some_and(|w| key <= w.0) {
                                break;
                            }
                            if !held.insert(key.2) {
                                continue;
                            }
                            best.push(std::cmp::Reverse(key));
                            if best.len() > need
                                && let Some(std::cmp::Reverse(out)) = best.pop()
                            {
                                held.remove(&out.2);
                            }
                        }
                    }
                }
            }
        }
    }
    let mut keys: Vec<Key> = best.into_iter().map(|r| r.0).collect();
    keys.sort_unstable_by(|a, b| b.cmp(a));
    let ids: Vec<i64> = keys
        .into_iter()
        .skip(offset)
        .map(|k| order.rowid(k))
        .collect();
    let rows = if ids.is_empty() {
        Vec::new()
    } else {
        // The row ids as one JSON array: one cached statement whatever the page size.
        let ids = serde_json::to_string(&ids).map_err(|e| Error::Invalid(e.to_string()))?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {ROW_COLUMNS} FROM findings f
             WHERE f.rowid IN (SELECT value FROM json_each(?2))
             ORDER BY {}",
            order.sql()
        ))?;
        stmt.query_map(rusqlite::params![now, ids], row_from)?
            .collect::<rusqlite::Result<Vec<_>>>()?
    };
    Ok(Some(SearchPage {
        total,
        total_relation,
        rows,
    }))
}

/// Walks current findings of enabled rules in `order` (through `cur_last_seen` or
/// `cur_rank`), keeping the rows any of `values` names, until `need` are kept or `budget`
/// rows were read. True when the kept rows are the page's: `need` found, or every row read.
fn walk_text_order(
    conn: &rusqlite::Connection,
    order: TextOrder,
    values: &[Vec<String>; 4],
    need: usize,
    budget: usize,
    best: &mut std::collections::BinaryHeap<std::cmp::Reverse<Key>>,
) -> Result<bool> {
    let sets: Vec<std::collections::HashSet<&str>> = values
        .iter()
        .map(|vs| vs.iter().map(String::as_str).collect())
        .collect();
    let index = match order {
        TextOrder::Recent => "cur_last_seen",
        TextOrder::RankAsc | TextOrder::RankDesc => "cur_rank",
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT f.last_seen, f.rowid, f.outcome, f.rule_id, f.resource_name, f.namespace, f.host
         FROM findings f INDEXED BY {index} WHERE f.disabled = 0 AND f.resolved_at IS NULL
         ORDER BY {} LIMIT ?1",
        order.sql()
    ))?;
    let mut rows = stmt.query([budget as i64])?;
    let mut found: Vec<Key> = Vec::with_capacity(need);
    let mut read = 0usize;
    while let Some(r) = rows.next()? {
        read += 1;
        let named = |i: usize, kind: usize| -> rusqlite::Result<bool> {
            Ok(r.get_ref(i)?
                .as_str_or_null()?
                .is_some_and(|v| sets[kind].contains(v)))
        };
        if named(3, 0)? || named(4, 1)? || named(5, 2)? || named(6, 3)? {
            let outcome: String = r.get(2)?;
            let rank = RANKED.iter().position(|o| *o == outcome).unwrap_or(3);
            found.push(order.key(rank, r.get(0)?, r.get(1)?));
            if found.len() == need {
                break;
            }
        }
    }
    if found.len() < need && read == budget {
        return Ok(false);
    }
    best.extend(found.into_iter().map(std::cmp::Reverse));
    Ok(true)
}

fn outcome_of(s: &str) -> Outcome {
    // Only valid outcomes are ever written; anything else reads as an error finding.
    Outcome::parse(s).unwrap_or(Outcome::Error)
}

pub(crate) fn row_from(r: &Row<'_>) -> rusqlite::Result<FindingRow> {
    let outcome: String = r.get(15)?;
    let outcome = outcome_of(&outcome);
    let exception_id: Option<i64> = r.get(19)?;
    let disabled: bool = r.get(20)?;
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
        outcome,
        first_seen: r.get(16)?,
        last_seen: r.get(17)?,
        resolved_at: r.get(18)?,
        exception_id,
        disabled,
        status: Status::of(outcome, disabled, exception_id.is_some()),
    })
}

/// The findings table as a query on `filter` should read it. A filter that the dictionary of
/// text values narrows (`f.rowid IN (… text_values …)`) reads the proposed rows by rowid: without
/// statistics SQLite would rather walk a partial index over every current finding and test
/// each against the proposals, which at a million findings is the scan the index is there to
/// avoid. `NOT INDEXED` leaves it the rowid lookups.
fn findings_source(filter: &kql::SqlFilter) -> &'static str {
    if filter.sql.contains("text_values") {
        "findings f NOT INDEXED"
    } else {
        "findings f"
    }
}

/// The count of the current findings matching `filter` under `base`.
pub(crate) fn count_sql(base: &str, filter: &kql::SqlFilter) -> String {
    format!(
        "SELECT COUNT(*) FROM {} WHERE {base} AND ({})",
        findings_source(filter),
        filter.sql
    )
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
        // Queries over current findings that select only outcomes and statuses are counted
        // from the tallies.
        let counted = cell_mask(&expr).filter(|_| !req.include_resolved);
        let sort = match &req.sort {
            None => None,
            Some((name, dir)) => Some((
                kql::field_named(name)
                    .filter(|f| f.sortable)
                    .ok_or_else(|| Error::Invalid(format!("cannot sort on `{name}`")))?,
                *dir,
            )),
        };
        let order = order_by(sort, "");
        let per_page = req.per_page.clamp(1, 1000);
        let offset = i64::from(req.page) * i64::from(per_page);
        let base = base_condition(req.include_resolved, req.include_disabled);
        // A bare value typed into the search box, over current findings in the default order,
        // within the pages a capped count lets one reach: merged from the dictionary's index
        // ranges (see `text_search`). Deeper pages (an export) take the general path.
        if let kql::Expr::Text(value) = &expr
            && !req.include_resolved
            && let Some(text_order) = TextOrder::of(&order)
            && offset + i64::from(per_page) <= TEXT_COUNT_CAP as i64
            && let Some(page) = self.read(|conn| {
                TextQuery {
                    value,
                    order: text_order,
                    include_disabled: req.include_disabled,
                    offset: offset as usize,
                    per_page: per_page as usize,
                    now,
                }
                .run(conn)
            })?
        {
            return Ok(page);
        }
        self.read(|conn| {
            let total: i64 = match counted {
                Some(mask) => {
                    let mask = if req.include_disabled {
                        mask
                    } else {
                        mask.enabled_only()
                    };
                    // A handful of rows: one per (outcome, disabled, excepted now).
                    let mut stmt = conn.prepare_cached(&format!(
                        "SELECT t.outcome, t.disabled, {}, SUM(t.n) FROM tallies t
                         GROUP BY 1, 2, 3",
                        excepted_now_sql("t.has_exception = 1", "t.exception_expires", "?1")
                    ))?;
                    let cells = stmt.query_map([now], |r| {
                        Ok((
                            outcome_of(&r.get::<_, String>(0)?),
                            r.get::<_, bool>(1)?,
                            r.get::<_, bool>(2)?,
                            r.get::<_, i64>(3)?,
                        ))
                    })?;
                    let mut total = 0;
                    for cell in cells {
                        let (outcome, disabled, excepted, n) = cell?;
                        if mask.has(outcome, disabled, excepted) {
                            total += n;
                        }
                    }
                    total
                }
                None => {
                    let count_sql = count_sql(base, &filter);
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
                order_by(sort, "+")
            } else {
                order.clone()
            };
            // Few matches proposed by the trigram index: read them by rowid (see
            // `findings_source`); many: walk the sort order and stop at the page.
            let source = if selective {
                findings_source(&filter)
            } else {
                "findings f"
            };
            let page_sql = format!(
                "SELECT {ROW_COLUMNS} FROM findings f WHERE f.rowid IN (
                     SELECT f.rowid FROM {source} WHERE {base} AND ({})
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
                total_relation: TotalRelation::Eq,
                rows,
            })
        })
    }

    /// Latest findings matching a query, grouped, most failed first (then most findings),
    /// counted by status. Only current findings of enabled rules are grouped. Without a
    /// query, or with one that only selects outcomes and statuses (`status : failed`), the
    /// groups come from the aggregates kept at cycle completion; otherwise from the findings.
    pub fn groups(&self, req: &GroupRequest) -> Result<Vec<GroupRow>> {
        let now = self.now();
        let expr = kql::parse(&req.query)?;
        let limit = i64::from(req.limit.clamp(1, 1000));
        let raw = if let Some(mask) = cell_mask(&expr) {
            let mask = mask.enabled_only();
            self.read(|conn| match req.by {
                GroupBy::Resource => groups_by_resource(conn, limit as usize, now, mask),
                GroupBy::Namespace => groups_by_namespace(conn, limit as usize, now, mask),
                _ => groups_from_tallies(conn, req.by, limit as usize, now, mask),
            })?
        } else {
            let filter = kql::translate(&expr, now);
            self.read(|conn| groups_from_findings(conn, req.by, &filter, limit, now))?
        };
        Ok(raw.into_iter().map(|g| g.finish(req.by)).collect())
    }

    /// Findings of disabled rules that a default search for `query` leaves out, and how many
    /// rules are disabled (for at least one cluster). Answers from the tallies alone when no
    /// rule is disabled.
    pub fn hidden_by_disabled(&self, query: &str) -> Result<(u64, u64)> {
        let rules: i64 = self.read(|conn| {
            Ok(conn
                .prepare_cached("SELECT COUNT(DISTINCT rule_id) FROM tallies WHERE disabled = 1")?
                .query_row([], |r| r.get(0))?)
        })?;
        if rules == 0 {
            return Ok((0, 0));
        }
        let q = if query.trim().is_empty() {
            "status : disabled".to_owned()
        } else {
            format!("({query}) and status : disabled")
        };
        let mut req = SearchRequest::new(q);
        req.include_disabled = true;
        req.per_page = 1;
        Ok((self.search(&req)?.total, rules as u64))
    }

    /// One finding (current or resolved) with its full document and covering exception.
    pub fn finding(&self, finding_id: &str) -> Result<Option<StoredFinding>> {
        let now = self.now();
        self.read(|conn| {
            let sql = format!(
                "SELECT {ROW_COLUMNS}, f.detail, COALESCE(v.doc, r.doc), res.doc FROM findings f
                 LEFT JOIN rule_versions v ON v.id = f.rule_version
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
                 WHERE listed = 1 ORDER BY name, id",
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

/// The ORDER BY of a search; `hide` (`+`) keeps the planner from walking a sort index.
/// Outcomes sort failed first (ascending) and newest first within each outcome, newest row
/// first on a tie (descending: the exact reverse), which the `cur_rank` index serves in both
/// directions.
fn order_by(sort: Option<(&kql::Field, SortDir)>, hide: &str) -> String {
    match sort {
        None => format!("{hide}f.last_seen DESC, {hide}f.rowid DESC"),
        Some((field, SortDir::Asc)) if field.name == "result.evaluation" => format!(
            "{hide}{} ASC, {hide}f.last_seen DESC, {hide}f.rowid DESC",
            field.order_sql()
        ),
        Some((field, SortDir::Desc)) if field.name == "result.evaluation" => format!(
            "{hide}{} DESC, {hide}f.last_seen ASC, {hide}f.rowid ASC",
            field.order_sql()
        ),
        Some((field, dir)) => {
            let dir = match dir {
                SortDir::Asc => "ASC",
                SortDir::Desc => "DESC",
            };
            format!("{hide}{} {dir}, {hide}f.rowid {dir}", field.order_sql())
        }
    }
}

/// A group before its link query is built.
struct RawGroup {
    k1: Option<String>,
    k2: Option<String>,
    label: Option<String>,
    rule_number: Option<String>,
    counts: Counts,
    resource: Option<GroupResource>,
}

impl RawGroup {
    fn finish(self, by: GroupBy) -> GroupRow {
        let key = self.k1.clone().unwrap_or_default();
        let (context, query) = match by {
            GroupBy::Resource => (
                self.k2.clone(),
                format!(
                    "orchestrator.cluster.id : {} and resource.id : {}",
                    kql::quote(self.k2.as_deref().unwrap_or_default()),
                    kql::quote(&key)
                ),
            ),
            GroupBy::Rule => (self.rule_number, format!("rule.id : {}", kql::quote(&key))),
            GroupBy::Section => {
                let bench = self.k2.clone().unwrap_or_default();
                let q = format!(
                    "rule.benchmark.id : {} and rule.section : {}",
                    kql::quote(&bench),
                    kql::quote(&key)
                );
                (self.rule_number.or(self.k2), q)
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
            score: self.counts.score(),
            counts: self.counts,
            resource: self.resource,
        }
    }
}

/// The cells a query selects, when it selects nothing but outcomes and statuses (combined
/// with `and`, `or`, `not`), or everything.
fn cell_mask(expr: &kql::Expr) -> Option<CellMask> {
    match expr {
        kql::Expr::All => Some(CellMask::ALL),
        kql::Expr::Match { field, value }
            if (field.name == "result.evaluation" || field.name == "status")
                && value.is_exists() =>
        {
            Some(CellMask::ALL)
        }
        kql::Expr::Match {
            field,
            value: kql::Value::Literal(v),
        } if field.name == "result.evaluation" => match Outcome::parse(v)? {
            Outcome::NotApplicable => None,
            o => Some(CellMask::outcome(o)),
        },
        kql::Expr::Match {
            field,
            value: kql::Value::Literal(v),
        } if field.name == "status" => Some(CellMask::status(Status::parse(v)?)),
        kql::Expr::Or(terms) => terms
            .iter()
            .try_fold(CellMask::NONE, |acc, t| Some(acc.or(cell_mask(t)?))),
        kql::Expr::And(terms) => terms
            .iter()
            .try_fold(CellMask::ALL, |acc, t| Some(acc.and(cell_mask(t)?))),
        kql::Expr::Not(inner) => Some(cell_mask(inner)?.not()),
        _ => None,
    }
}

/// Groups by rule, section or cluster from the tallies, counted in Rust by status.
fn groups_from_tallies(
    conn: &rusqlite::Connection,
    by: GroupBy,
    limit: usize,
    now: i64,
    mask: CellMask,
) -> Result<Vec<RawGroup>> {
    let names: HashMap<String, (String, String)> = conn
        .prepare_cached("SELECT id, name, rule_number FROM rules")?
        .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?
        .collect::<rusqlite::Result<_>>()?;
    let clusters: HashMap<String, String> = conn
        .prepare_cached("SELECT id, name FROM clusters")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut groups: HashMap<(String, String), RawGroup> = HashMap::new();
    for t in tally_rows(conn, None, now)? {
        if !mask.has(t.outcome, t.disabled, t.excepted) {
            continue;
        }
        let key = match by {
            GroupBy::Rule => (t.rule_id.clone(), String::new()),
            GroupBy::Section => (t.section.clone(), t.benchmark_id.clone()),
            _ => (t.cluster_id.clone(), String::new()),
        };
        let g = groups.entry(key).or_insert_with(|| {
            let (label, rule_number) = match by {
                GroupBy::Rule => match names.get(&t.rule_id) {
                    Some((name, number)) => (Some(name.clone()), Some(number.clone())),
                    None => (None, None),
                },
                // The benchmark's name rides in `rule_number` until `finish` uses it.
                GroupBy::Section => (Some(t.section.clone()), Some(t.benchmark_name.clone())),
                _ => (clusters.get(&t.cluster_id).cloned(), None),
            };
            RawGroup {
                k1: Some(match by {
                    GroupBy::Rule => t.rule_id.clone(),
                    GroupBy::Section => t.section.clone(),
                    _ => t.cluster_id.clone(),
                }),
                k2: (by == GroupBy::Section).then(|| t.benchmark_id.clone()),
                label,
                rule_number,
                counts: Counts::default(),
                resource: None,
            }
        });
        g.counts.add(t.status(), t.n);
    }
    let mut out: Vec<RawGroup> = groups.into_values().collect();
    out.sort_by(|a, b| {
        b.counts
            .failed
            .cmp(&a.counts.failed)
            .then(b.counts.shown().cmp(&a.counts.shown()))
            .then_with(|| a.k1.cmp(&b.k1))
            .then_with(|| a.k2.cmp(&b.k2))
    });
    out.truncate(limit);
    Ok(out)
}

/// Current counts of every resource of enabled rules, from `resource_tallies` (a resource
/// kept in several scopes is summed), with the findings an unexpired exception covers (few,
/// found through their own index) to be moved to `excepted`.
struct ResourceCounts {
    /// (cluster, resource) → excepted findings by outcome slot.
    excepted: HashMap<(String, String), [i64; 4]>,
    /// Scopes seen, indexed by [`Held::scopes`].
    scopes: Vec<String>,
    /// (cluster, resource) → its counts.
    resources: HashMap<(String, String), Held>,
}

/// One resource's counts (passed, failed, manual, error) over its scopes.
#[derive(Default)]
struct Held {
    counts: [i64; 4],
    scopes: Vec<usize>,
    /// The least namespace over its scopes (as `MIN` says), when asked for.
    namespace: Option<String>,
}

/// Outcomes in the order of a tally's counts: passed, failed, manual, error.
const TALLY_SLOTS: [&str; 4] = ["passed", "failed", "manual", "error"];

impl ResourceCounts {
    /// One pass over the counts; `namespaces` also keeps each resource's namespace.
    fn read(conn: &rusqlite::Connection, now: i64, namespaces: bool) -> Result<ResourceCounts> {
        let mut excepted: HashMap<(String, String), [i64; 4]> = HashMap::new();
        let mut stmt = conn.prepare_cached(
            "SELECT x.cluster_id, x.resource_id, x.outcome FROM findings x INDEXED BY cur_excepted
             WHERE x.exception_id IS NOT NULL AND x.resolved_at IS NULL AND x.disabled = 0
               AND (x.exception_expires IS NULL OR x.exception_expires > ?1)",
        )?;
        let mut rows = stmt.query([now])?;
        while let Some(r) = rows.next()? {
            let outcome = r.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?;
            if let Some(i) = TALLY_SLOTS.iter().position(|o| *o == outcome) {
                excepted.entry((r.get(0)?, r.get(1)?)).or_default()[i] += 1;
            }
        }
        let mut scopes: Vec<String> = Vec::new();
        let mut resources: HashMap<(String, String), Held> = HashMap::new();
        let mut stmt = conn.prepare_cached(
            "SELECT cluster_id, resource_id, scope, passed, failed, manual, error, namespace
             FROM resource_tallies",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let scope = r.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?;
            let scope = match scopes.iter().position(|s| s == scope) {
                Some(i) => i,
                None => {
                    scopes.push(scope.to_owned());
                    scopes.len() - 1
                }
            };
            let held = resources.entry((r.get(0)?, r.get(1)?)).or_default();
            for (i, count) in held.counts.iter_mut().enumerate() {
                *count += r.get::<_, i64>(3 + i)?;
            }
            held.scopes.push(scope);
            if namespaces
                && let Some(ns) = r
                    .get_ref(7)?
                    .as_str_or_null()
                    .map_err(rusqlite::Error::from)?
                && held.namespace.as_deref().is_none_or(|least| ns < least)
            {
                held.namespace = Some(ns.to_owned());
            }
        }
        Ok(ResourceCounts {
            excepted,
            scopes,
            resources,
        })
    }

    /// A resource's counts as shown (passed, failed, manual, error, excepted; the cells of
    /// `mask` only) and their sum.
    fn shown(&self, key: &(String, String), held: &Held, mask: CellMask) -> ([i64; 5], i64) {
        let m: [i64; 8] = std::array::from_fn(|i| i64::from(mask.0[i]));
        let ex = self.excepted.get(key).copied().unwrap_or_default();
        let excepted = (0..4).map(|i| ex[i] * m[4 + i]).sum::<i64>();
        let c: [i64; 5] = std::array::from_fn(|i| match i {
            4 => excepted,
            _ => (held.counts[i] - ex[i]) * m[i],
        });
        (c, c.iter().sum())
    }
}

/// Status counts of a group from shown counts.
fn counts_of(c: [i64; 5]) -> Counts {
    let n = |i: usize| c[i].max(0) as u64;
    Counts {
        passed: n(0),
        failed: n(1),
        manual: n(2),
        error: n(3),
        excepted: n(4),
        disabled: 0,
    }
}

/// The `limit` first of `ranked` (failed, total, key): most failed first, then most findings,
/// then by key.
fn top<K: Ord>(mut ranked: Vec<(i64, i64, K)>, limit: usize) -> Vec<(i64, i64, K)> {
    let order = |a: &(i64, i64, K), b: &(i64, i64, K)| {
        b.0.cmp(&a.0)
            .then(b.1.cmp(&a.1))
            .then_with(|| a.2.cmp(&b.2))
    };
    if ranked.len() > limit {
        ranked.select_nth_unstable_by(limit, order);
        ranked.truncate(limit);
    }
    ranked.sort_unstable_by(order);
    ranked
}

/// Groups by resource from the per-resource counts, in the order of `groups_from_findings`:
/// one pass over the counts, and only the `limit` first resources read in full. (SQLite
/// would sort every resource to group them and look up a cluster name for each.)
fn groups_by_resource(
    conn: &rusqlite::Connection,
    limit: usize,
    now: i64,
    mask: CellMask,
) -> Result<Vec<RawGroup>> {
    // One read transaction: the counts and the rows read for the page see the same state.
    let tx = conn.unchecked_transaction()?;
    let all = ResourceCounts::read(conn, now, false)?;
    let ranked: Vec<(i64, i64, (&str, &str))> = all
        .resources
        .iter()
        .filter_map(|(key, held)| {
            let (c, total) = all.shown(key, held, mask);
            (total > 0).then_some((c[1], total, (key.1.as_str(), key.0.as_str())))
        })
        .collect();
    let mut row = conn.prepare_cached(
        "SELECT resource_name, namespace, resource_type, sub_type FROM resource_tallies
         WHERE cluster_id = ?1 AND scope = ?2 AND resource_id = ?3",
    )?;
    let mut cluster_name = conn
        .prepare_cached("SELECT COALESCE((SELECT c.name FROM clusters c WHERE c.id = ?1), ?1)")?;
    let mut out = Vec::new();
    for (_, _, (resource_id, cluster_id)) in top(ranked, limit) {
        let key = (cluster_id.to_owned(), resource_id.to_owned());
        let held = &all.resources[&key];
        // What the resource is: the least of each field over its scopes, as MIN would say.
        let mut name: Option<String> = None;
        let mut namespace: Option<String> = None;
        let mut kind: Option<(String, String)> = None;
        for &scope in &held.scopes {
            let (n, ns, t, st): (String, Option<String>, String, String) = row.query_row(
                rusqlite::params![cluster_id, all.scopes[scope], resource_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?;
            name = Some(name.map_or(n.clone(), |x| x.min(n)));
            namespace = match (namespace, ns) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            kind = Some(kind.map_or((t.clone(), st.clone()), |(a, b)| (a.min(t), b.min(st))));
        }
        let (resource_type, sub_type) = kind.unwrap_or_default();
        out.push(RawGroup {
            k1: Some(key.1.clone()),
            k2: Some(key.0.clone()),
            label: name,
            rule_number: None,
            counts: counts_of(all.shown(&key, held, mask).0),
            resource: Some(GroupResource {
                cluster_id: key.0.clone(),
                cluster_name: cluster_name.query_row([cluster_id], |r| r.get(0))?,
                resource_type,
                sub_type,
                namespace,
            }),
        });
    }
    tx.commit()?;
    Ok(out)
}

/// Groups by namespace (objects without one together) from the per-resource counts: the
/// resources' shown counts summed per namespace in one pass.
fn groups_by_namespace(
    conn: &rusqlite::Connection,
    limit: usize,
    now: i64,
    mask: CellMask,
) -> Result<Vec<RawGroup>> {
    let tx = conn.unchecked_transaction()?;
    let all = ResourceCounts::read(conn, now, true)?;
    tx.commit()?;
    let mut per_namespace: HashMap<Option<&str>, [i64; 5]> = HashMap::new();
    for (key, held) in &all.resources {
        let (c, _) = all.shown(key, held, mask);
        let sum = per_namespace.entry(held.namespace.as_deref()).or_default();
        for (s, n) in sum.iter_mut().zip(c) {
            *s += n;
        }
    }
    let ranked: Vec<_> = per_namespace
        .into_iter()
        .filter_map(|(ns, c)| {
            let total: i64 = c.iter().sum();
            (total > 0).then_some((c[1], total, (ns, c)))
        })
        .collect();
    Ok(top(ranked, limit)
        .into_iter()
        .map(|(_, _, (ns, c))| RawGroup {
            k1: ns.map(str::to_owned),
            k2: None,
            label: ns.map(str::to_owned),
            rule_number: None,
            counts: counts_of(c),
            resource: None,
        })
        .collect())
}

/// A group row: k1, k2, label, passed, failed, manual, error, excepted, rule number, then for
/// resources cluster name, type, sub type, namespace.
fn raw_group(r: &Row<'_>, by: GroupBy) -> rusqlite::Result<RawGroup> {
    let n = |i: usize| -> rusqlite::Result<u64> {
        Ok(r.get::<_, Option<i64>>(i)?.unwrap_or(0).max(0) as u64)
    };
    let k2: Option<String> = r.get(1)?;
    let resource = match by {
        GroupBy::Resource => Some(GroupResource {
            cluster_id: k2.clone().unwrap_or_default(),
            cluster_name: r.get::<_, Option<String>>(9)?.unwrap_or_default(),
            resource_type: r.get::<_, Option<String>>(10)?.unwrap_or_default(),
            sub_type: r.get::<_, Option<String>>(11)?.unwrap_or_default(),
            namespace: r.get(12)?,
        }),
        _ => None,
    };
    Ok(RawGroup {
        k1: r.get(0)?,
        k2,
        label: r.get(2)?,
        counts: Counts {
            passed: n(3)?,
            failed: n(4)?,
            manual: n(5)?,
            error: n(6)?,
            excepted: n(7)?,
            disabled: 0,
        },
        rule_number: r.get(8)?,
        resource,
    })
}

fn groups_from_findings(
    conn: &rusqlite::Connection,
    by: GroupBy,
    filter: &SqlFilter,
    limit: i64,
    now: i64,
) -> Result<Vec<RawGroup>> {
    let (keys, extra) = match by {
        GroupBy::Resource => (
            "f.resource_id AS k1, f.cluster_id AS k2",
            "MIN(f.resource_name) AS label, MIN(f.resource_type) AS rtype,
             MIN(f.sub_type) AS stype, MIN(f.namespace) AS ns",
        ),
        GroupBy::Rule => (
            "f.rule_id AS k1, NULL AS k2",
            "MIN(f.rule_name) AS label, MIN(f.rule_number) AS num, NULL, NULL",
        ),
        GroupBy::Section => (
            "f.section AS k1, f.benchmark_id AS k2",
            "NULL AS label, NULL, NULL, NULL",
        ),
        GroupBy::Cluster => ("f.cluster_id AS k1, NULL AS k2", "NULL, NULL, NULL, NULL"),
        GroupBy::Namespace => ("f.namespace AS k1, NULL AS k2", "NULL, NULL, NULL, NULL"),
    };
    let (label, number, rest) = match by {
        GroupBy::Resource => (
            "g.label",
            "NULL",
            "COALESCE((SELECT c.name FROM clusters c WHERE c.id = g.k2), g.k2), g.rtype, g.stype, g.ns",
        ),
        GroupBy::Rule => ("g.label", "g.num", "NULL, NULL, NULL, NULL"),
        GroupBy::Section => (
            "g.k1",
            "(SELECT r.benchmark_name FROM rules r WHERE r.benchmark_id = g.k2 LIMIT 1)",
            "NULL, NULL, NULL, NULL",
        ),
        GroupBy::Cluster => (
            "(SELECT c.name FROM clusters c WHERE c.id = g.k1)",
            "NULL",
            "NULL, NULL, NULL, NULL",
        ),
        GroupBy::Namespace => ("g.k1", "NULL", "NULL, NULL, NULL, NULL"),
    };
    let status = status_sql(
        "f.outcome",
        "f.disabled",
        &excepted_now_sql("f.exception_id IS NOT NULL", "f.exception_expires", "?"),
    );
    let sql = format!(
        "WITH g AS (
             SELECT {keys}, COUNT(*) AS total, {extra},
                 SUM(st = 'passed') AS passed, SUM(st = 'failed') AS failed,
                 SUM(st = 'manual') AS manual, SUM(st = 'error') AS error,
                 SUM(st = 'excepted') AS excepted
             FROM (SELECT f.*, {status} AS st FROM {source}
                   WHERE f.resolved_at IS NULL AND f.disabled = 0 AND ({cond})) f
             GROUP BY 1, 2 ORDER BY failed DESC, total DESC, 1 LIMIT ?)
         SELECT g.k1, g.k2, {label}, g.passed, g.failed, g.manual, g.error, g.excepted,
             {number}, {rest}
         FROM g ORDER BY g.failed DESC, g.total DESC, g.k1",
        cond = filter.sql,
        source = findings_source(filter),
    );
    let mut params: Vec<SqlParam> = vec![SqlParam::Int(now)];
    params.extend(filter.params.iter().cloned());
    params.push(SqlParam::Int(limit));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(params.iter()), |r| raw_group(r, by))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}
