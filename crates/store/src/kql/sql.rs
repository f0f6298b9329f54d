//! Translation of a parsed query into a parameterised SQL condition over `findings f`.

use super::date::parse_query_time;
use super::fields::{CLUSTER_NAME_SQL, EXCEPTED_SQL, Field, FieldKind, STATUS_SQL, TEXT_FIELDS};
use super::literal::Piece;
use super::{Expr, Value};
use crate::Status;

/// A bound SQL parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlParam {
    /// Text.
    Text(String),
    /// Integer.
    Int(i64),
    /// Real.
    Real(f64),
}

impl rusqlite::ToSql for SqlParam {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(match self {
            SqlParam::Text(s) => s.as_str().into(),
            SqlParam::Int(i) => (*i).into(),
            SqlParam::Real(r) => (*r).into(),
        })
    }
}

/// A SQL condition with `?` placeholders and their values, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlFilter {
    /// The condition (never contains query text).
    pub sql: String,
    /// Values for the placeholders.
    pub params: Vec<SqlParam>,
}

/// Translates `expr` into a condition over the findings table aliased `f`. `now` (Unix seconds)
/// decides which exceptions are still active for the `excepted` field.
pub fn translate(expr: &Expr, now: i64) -> SqlFilter {
    let mut out = SqlFilter {
        sql: String::new(),
        params: Vec::new(),
    };
    emit(expr, now, &mut out);
    out
}

/// The `excepted` condition: an exception is materialised on the row and has not expired.
pub(crate) fn excepted_sql(now: i64, out: &mut SqlFilter) {
    out.sql.push_str(
        "(f.exception_id IS NOT NULL AND (f.exception_expires IS NULL OR f.exception_expires > ?))",
    );
    out.params.push(SqlParam::Int(now));
}

fn emit(expr: &Expr, now: i64, out: &mut SqlFilter) {
    match expr {
        Expr::All => out.sql.push('1'),
        Expr::And(terms) | Expr::Or(terms) => {
            let joiner = if matches!(expr, Expr::And(_)) {
                " AND "
            } else {
                " OR "
            };
            out.sql.push('(');
            for (i, t) in terms.iter().enumerate() {
                if i > 0 {
                    out.sql.push_str(joiner);
                }
                emit(t, now, out);
            }
            out.sql.push(')');
        }
        Expr::Not(inner) => {
            // A missing value (NULL) means "does not match", so NOT of it must be true.
            out.sql.push_str("NOT COALESCE(");
            emit(inner, now, out);
            out.sql.push_str(", 0)");
        }
        Expr::Match { field, value } => emit_match(field, value, now, out),
        Expr::Range { field, op, value } => {
            out.sql
                .push_str(&format!("{} {} ?", field.sql, op.as_str()));
            out.params.push(number_param(*value));
        }
        Expr::Text(value) => {
            let pattern = text_like(value);
            let grams = trigram_query(value);
            // Rows proposed through the dictionary of text values (`text_values`): rules with
            // a matching title, id, section or number (checked on the row, since a rule's
            // title may differ between bundle versions), then resources, namespaces and hosts
            // with a matching name (exact: the dictionary holds the row's own value).
            out.sql.push_str(
                "f.rowid IN (SELECT t.rowid FROM findings t WHERE t.rule_id IN \
                 (SELECT d.rule_id FROM text_values d WHERE d.col < 4 AND ",
            );
            dictionary_match(&pattern, grams.as_deref(), out);
            out.sql.push_str(") AND (");
            for (i, col) in TEXT_FIELDS[..4].iter().enumerate() {
                if i > 0 {
                    out.sql.push_str(" OR ");
                }
                out.sql
                    .push_str(&format!("{} LIKE ? ESCAPE '\\'", col.replace("f.", "t.")));
                out.params.push(SqlParam::Text(pattern.clone()));
            }
            out.sql.push(')');
            for (col, name) in TEXT_FIELDS.iter().enumerate().skip(4) {
                out.sql.push_str(&format!(
                    " UNION ALL SELECT t.rowid FROM findings t WHERE {} IN \
                     (SELECT d.value FROM text_values d WHERE d.col = {col} AND ",
                    name.replace("f.", "t.")
                ));
                dictionary_match(&pattern, grams.as_deref(), out);
                out.sql.push(')');
            }
            out.sql.push(')');
        }
    }
}

fn number_param(v: f64) -> SqlParam {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        SqlParam::Int(v as i64)
    } else {
        SqlParam::Real(v)
    }
}

fn emit_match(field: &Field, value: &Value, now: i64, out: &mut SqlFilter) {
    let col = field.sql;
    if field.sql == EXCEPTED_SQL {
        match value {
            // Every finding is either excepted or not.
            _ if value.is_exists() => out.sql.push('1'),
            Value::Literal(s) if s == "true" => excepted_sql(now, out),
            _ => {
                out.sql.push_str("NOT ");
                excepted_sql(now, out);
            }
        }
        return;
    }
    if field.sql == STATUS_SQL {
        status_match(value, now, out);
        return;
    }
    if field.sql == CLUSTER_NAME_SQL {
        let (op, param) = match value {
            Value::Pattern(p) => ("GLOB ?", glob_pattern(p)),
            Value::Literal(s) => ("= ?", s.clone()),
        };
        out.sql.push_str(&format!(
            "f.cluster_id IN (SELECT c.id FROM clusters c WHERE c.name {op})"
        ));
        out.params.push(SqlParam::Text(param));
        return;
    }
    if value.is_exists() {
        out.sql.push_str(&format!("{col} IS NOT NULL"));
        return;
    }
    match (field.kind, value) {
        // Text fields: ASCII case-insensitive, a pattern anchored, a literal anywhere; the
        // matching values come from the dictionary (see `Expr::Text`).
        (FieldKind::Text, value) => {
            let pattern = match value {
                Value::Pattern(p) => like_pattern(p),
                Value::Literal(s) => format!("%{}%", like_escape(s)),
            };
            let grams = trigram_query(value);
            let Some(dict) = TEXT_FIELDS.iter().position(|c| *c == col) else {
                // Every text field is in the dictionary; compare the rows if one is not.
                out.sql.push_str(&format!("{col} LIKE ? ESCAPE '\\'"));
                out.params.push(SqlParam::Text(pattern));
                return;
            };
            if dict < 4 {
                out.sql.push_str(&format!(
                    "(f.rowid IN (SELECT t.rowid FROM findings t WHERE t.rule_id IN \
                     (SELECT d.rule_id FROM text_values d WHERE d.col = {dict} AND "
                ));
                dictionary_match(&pattern, grams.as_deref(), out);
                out.sql
                    .push_str(&format!(")) AND {col} LIKE ? ESCAPE '\\')"));
                out.params.push(SqlParam::Text(pattern));
            } else {
                out.sql.push_str(&format!(
                    "f.rowid IN (SELECT t.rowid FROM findings t WHERE {} IN \
                     (SELECT d.value FROM text_values d WHERE d.col = {dict} AND ",
                    col.replace("f.", "t.")
                ));
                dictionary_match(&pattern, grams.as_deref(), out);
                out.sql.push_str("))");
            }
        }
        // Keyword and outcome patterns: case-sensitive like Elasticsearch's `wildcard` on a
        // keyword; GLOB with a literal prefix is served by the column's (BINARY) index.
        // The literal prefix is also given as a range, which the index can seek whatever the
        // planner knows of the bound pattern (readers run with its stability guarantee, so it
        // does not look at bound values).
        (_, Value::Pattern(p)) => {
            let prefix = match p.first() {
                Some(Piece::Text(t)) => t.as_str(),
                _ => "",
            };
            if prefix.is_empty() {
                out.sql.push_str(&format!("{col} GLOB ?"));
            } else {
                out.sql.push_str(&format!("({col} >= ? AND "));
                out.params.push(SqlParam::Text(prefix.to_owned()));
                if let Some(next) = successor(prefix) {
                    out.sql.push_str(&format!("{col} < ? AND "));
                    out.params.push(SqlParam::Text(next));
                }
                out.sql.push_str(&format!("{col} GLOB ?)"));
            }
            out.params.push(SqlParam::Text(glob_pattern(p)));
        }
        (FieldKind::Boolean, Value::Literal(s)) => {
            out.sql.push_str(&format!("{col} = ?"));
            out.params.push(SqlParam::Int(i64::from(s == "true")));
        }
        (FieldKind::Date, Value::Literal(s)) => {
            // Whole days were turned into ranges; this is one instant.
            let t = parse_query_time(s).map_or(f64::NAN, |t| t.instant());
            out.sql.push_str(&format!("{col} = ?"));
            out.params.push(number_param(t));
        }
        (FieldKind::Number, Value::Literal(s)) => {
            out.sql.push_str(&format!("{col} = ?"));
            out.params.push(number_param(s.parse().unwrap_or(f64::NAN)));
        }
        (_, Value::Literal(s)) => {
            out.sql.push_str(&format!("{col} = ?"));
            out.params.push(SqlParam::Text(s.clone()));
        }
    }
}

/// `status : value`, written so that the column indexes still apply: an outcome status is
/// its outcome on an enabled rule without an active exception.
fn status_match(value: &Value, now: i64, out: &mut SqlFilter) {
    let literal = match value {
        _ if value.is_exists() => {
            out.sql.push('1');
            return;
        }
        Value::Literal(s) => s,
        Value::Pattern(p) => {
            out.sql.push_str(&format!(
                "{} GLOB ?",
                crate::status::status_sql(
                    "f.outcome",
                    "f.disabled",
                    &crate::status::excepted_now_sql(
                        "f.exception_id IS NOT NULL",
                        "f.exception_expires",
                        "?"
                    )
                )
            ));
            out.params.push(SqlParam::Int(now));
            out.params.push(SqlParam::Text(glob_pattern(p)));
            return;
        }
    };
    match Status::parse(literal) {
        Some(Status::Disabled) => out.sql.push_str("f.disabled = 1"),
        Some(Status::Excepted) => {
            out.sql.push_str("(f.disabled = 0 AND ");
            excepted_sql(now, out);
            out.sql.push(')');
        }
        Some(status) => {
            out.sql.push_str(
                "(f.outcome = ? AND f.disabled = 0 AND (f.exception_id IS NULL \
                 OR f.exception_expires <= ?))",
            );
            out.params.push(SqlParam::Text(status.as_str().to_owned()));
            out.params.push(SqlParam::Int(now));
        }
        // The parser only lets statuses through.
        None => out.sql.push('0'),
    }
}

/// Most trigrams put in one full-text query: a few spread over the value narrow the rows
/// about as well as all of them.
const MAX_TRIGRAMS: usize = 12;

/// `d.value LIKE pattern` over the dictionary `text_values d`, narrowed first by its trigram
/// index when the value has a literal part of at least three characters.
///
/// The index (`text_values_fts`, trigram tokenizer, case folded) proposes every value where
/// each of those trigrams occurs; the `LIKE` that follows decides. So the index only ever
/// narrows what is read, never what matches.
pub(crate) fn dictionary_match(pattern: &str, grams: Option<&str>, out: &mut SqlFilter) {
    if let Some(grams) = grams {
        out.sql.push_str(
            "d.id IN (SELECT rowid FROM text_values_fts WHERE text_values_fts MATCH ?) AND ",
        );
        out.params.push(SqlParam::Text(grams.to_owned()));
    }
    out.sql.push_str("d.value LIKE ? ESCAPE '\\'");
    out.params.push(SqlParam::Text(pattern.to_owned()));
}

/// The `LIKE` pattern of a bare search value: the value anywhere in the text.
pub(crate) fn text_like(value: &Value) -> String {
    match value {
        Value::Literal(s) => format!("%{}%", like_escape(s)),
        Value::Pattern(p) => format!("%{}%", like_pattern(p)),
    }
}

/// The full-text query (`"abc" AND "def"`) of the value's literal parts of three characters
/// or more, or `None` when it has none.
pub(crate) fn trigram_query(value: &Value) -> Option<String> {
    let parts: Vec<&str> = match value {
        Value::Literal(s) => vec![s.as_str()],
        Value::Pattern(pieces) => pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Text(t) => Some(t.as_str()),
                Piece::Any => None,
            })
            .collect(),
    };
    let mut grams: Vec<String> = Vec::new();
    for part in parts {
        let chars: Vec<char> = part.chars().collect();
        if chars.len() < 3 {
            continue;
        }
        // Windows that cover the part, not overlapping except for the last one.
        let last = chars.len() - 3;
        let mut starts: Vec<usize> = (0..=last).step_by(3).collect();
        if starts.last() != Some(&last) {
            starts.push(last);
        }
        for start in starts {
            let gram: String = chars[start..start + 3].iter().collect();
            if !grams.contains(&gram) {
                grams.push(gram);
            }
        }
    }
    if grams.is_empty() {
        return None;
    }
    // Trigrams of letters alone (`pod`, `kub`) are in most names; where the value also has
    // trigrams with a digit or a sign (`-13`), those narrow far better and cost far less to
    // intersect. Any subset of the value's trigrams proposes every match.
    if grams.iter().any(|g| g.chars().any(|c| !c.is_alphabetic())) {
        grams.retain(|g| g.chars().any(|c| !c.is_alphabetic()));
    }
    if grams.len() > MAX_TRIGRAMS {
        let step = grams.len().div_ceil(MAX_TRIGRAMS);
        grams = grams.into_iter().step_by(step).collect();
    }
    Some(
        grams
            .iter()
            .map(|g| format!("\"{}\"", g.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(" AND "),
    )
}

/// The least string above every string that starts with `prefix` (in SQLite's BINARY order,
/// which is code point order for UTF-8): the prefix with its last character raised by one.
/// `None` when no character can be raised.
fn successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let raised = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
        if let Some(c) = raised {
            chars.push(c);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// Escapes LIKE's own wildcards (`%`, `_`) and the escape character itself.
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn like_pattern(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Text(t) => like_escape(t),
            Piece::Any => "%".to_owned(),
        })
        .collect()
}

/// A GLOB pattern: literal text with GLOB's own `*`, `?` and `[` put in brackets.
fn glob_pattern(pieces: &[Piece]) -> String {
    let mut out = String::new();
    for p in pieces {
        match p {
            Piece::Any => out.push('*'),
            Piece::Text(t) => {
                for c in t.chars() {
                    match c {
                        '*' => out.push_str("[*]"),
                        '?' => out.push_str("[?]"),
                        '[' => out.push_str("[[]"),
                        c => out.push(c),
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kql::parse;

    fn sql(q: &str) -> SqlFilter {
        translate(&parse(q).unwrap(), 1000)
    }

    fn text(s: &str) -> SqlParam {
        SqlParam::Text(s.into())
    }

    #[test]
    fn translation_table() {
        let cases: Vec<(&str, &str, Vec<SqlParam>)> = vec![
            ("", "1", vec![]),
            (
                "result.evaluation : failed",
                "f.outcome = ?",
                vec![text("failed")],
            ),
            (
                r#"rule.section : "API Server" and not rule.id : x"#,
                "(f.section = ? AND NOT COALESCE(f.rule_id = ?, 0))",
                vec![text("API Server"), text("x")],
            ),
            (
                "rule.id : api_*",
                "(f.rule_id >= ? AND f.rule_id < ? AND f.rule_id GLOB ?)",
                vec![text("api_"), text("api`"), text("api_*")],
            ),
            (
                r"rule.section : API Serv*[1]?\*",
                "(f.section >= ? AND f.section < ? AND f.section GLOB ?)",
                vec![
                    text("API Serv"),
                    text("API Serw"),
                    text("API Serv*[[]1][?][*]"),
                ],
            ),
            (
                "result.evaluation : fail*",
                "(f.outcome >= ? AND f.outcome < ? AND f.outcome GLOB ?)",
                vec![text("fail"), text("faim"), text("fail*")],
            ),
            ("rule.id : *_auth", "f.rule_id GLOB ?", vec![text("*_auth")]),
            (
                "rule.id : \u{10FFFF}*",
                "(f.rule_id >= ? AND f.rule_id GLOB ?)",
                vec![text("\u{10FFFF}"), text("\u{10FFFF}*")],
            ),
            (
                "resource.name : kube-*",
                "f.rowid IN (SELECT t.rowid FROM findings t WHERE t.resource_name IN \
                 (SELECT d.value FROM text_values d WHERE d.col = 4 AND \
                 d.id IN (SELECT rowid FROM text_values_fts WHERE text_values_fts MATCH ?) \
                 AND d.value LIKE ? ESCAPE '\\'))",
                vec![text(r#""be-""#), text("kube-%")],
            ),
            (
                "resource.name : ku*",
                "f.rowid IN (SELECT t.rowid FROM findings t WHERE t.resource_name IN \
                 (SELECT d.value FROM text_values d WHERE d.col = 4 AND \
                 d.value LIKE ? ESCAPE '\\'))",
                vec![text("ku%")],
            ),
            (
                "rule.name : 100%",
                "(f.rowid IN (SELECT t.rowid FROM findings t WHERE t.rule_id IN \
                 (SELECT d.rule_id FROM text_values d WHERE d.col = 0 AND \
                 d.id IN (SELECT rowid FROM text_values_fts WHERE text_values_fts MATCH ?) \
                 AND d.value LIKE ? ESCAPE '\\')) AND f.rule_name LIKE ? ESCAPE '\\')",
                vec![
                    text(r#""100" AND "00%""#),
                    text("%100\\%%"),
                    text("%100\\%%"),
                ],
            ),
            ("host.name : *", "f.host IS NOT NULL", vec![]),
            (
                "last_seen > 2026-01-01",
                "f.last_seen >= ?",
                vec![SqlParam::Int(1_767_312_000)],
            ),
            (
                "first_seen : 2026-01-01",
                "(f.first_seen >= ? AND f.first_seen < ?)",
                vec![SqlParam::Int(1_767_225_600), SqlParam::Int(1_767_312_000)],
            ),
            (
                "last_seen <= 2026-01-01",
                "f.last_seen < ?",
                vec![SqlParam::Int(1_767_312_000)],
            ),
            (
                r#"last_seen : "2026-01-01T00:00:01Z""#,
                "f.last_seen = ?",
                vec![SqlParam::Int(1_767_225_601)],
            ),
            (
                "event.sequence <= 1.5",
                "f.last_seen <= ?",
                vec![SqlParam::Real(1.5)],
            ),
            (
                "excepted : true",
                "(f.exception_id IS NOT NULL AND (f.exception_expires IS NULL OR f.exception_expires > ?))",
                vec![SqlParam::Int(1000)],
            ),
            ("excepted : *", "1", vec![]),
            ("disabled : false", "f.disabled = ?", vec![SqlParam::Int(0)]),
            (
                "status : failed",
                "(f.outcome = ? AND f.disabled = 0 AND (f.exception_id IS NULL OR f.exception_expires <= ?))",
                vec![text("failed"), SqlParam::Int(1000)],
            ),
            (
                "status : excepted",
                "(f.disabled = 0 AND (f.exception_id IS NOT NULL AND (f.exception_expires IS NULL OR f.exception_expires > ?)))",
                vec![SqlParam::Int(1000)],
            ),
            ("status : disabled", "f.disabled = 1", vec![]),
            (
                "orchestrator.cluster.name : prod",
                "f.cluster_id IN (SELECT c.id FROM clusters c WHERE c.name = ?)",
                vec![text("prod")],
            ),
            (
                "orchestrator.cluster.name : pr*",
                "f.cluster_id IN (SELECT c.id FROM clusters c WHERE c.name GLOB ?)",
                vec![text("pr*")],
            ),
        ];
        for (q, want_sql, want_params) in cases {
            let got = sql(q);
            assert_eq!(got.sql, want_sql, "{q}");
            assert_eq!(got.params, want_params, "{q}");
        }
    }

    /// The query plan of a count of current findings through `index`.
    fn plan(q: &str, index: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::Store::open(&dir.path().join("plan.sqlite")).unwrap();
        let filter = sql(q);
        store
            .read(|conn| {
                let mut stmt = conn.prepare(&format!(
                    "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM findings f INDEXED BY {index}
                     WHERE f.resolved_at IS NULL AND f.disabled = 0 AND ({})",
                    filter.sql
                ))?;
                let rows = stmt
                    .query_map(rusqlite::params_from_iter(filter.params.iter()), |r| {
                        r.get::<_, String>(3)
                    })?;
                Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?.join("; "))
            })
            .unwrap()
    }

    /// A keyword pattern with a literal prefix can seek the field's index (a LIKE could not:
    /// it is case-insensitive and the indexes are BINARY). Whether the planner chooses it
    /// depends on its estimates; here the index is forced to show that it can.
    #[test]
    fn keyword_wildcards_with_a_literal_prefix_can_seek_the_field_index() {
        let p = plan("orchestrator.resource.namespace : kube-*", "cur_namespace");
        assert!(p.contains("(namespace>? AND namespace<?)"), "{p}");
        let p = plan("rule.section : API Serv*", "cur_section");
        assert!(p.contains("(section>? AND section<?)"), "{p}");
        let p = plan("resource.name : kube-*", "text_resource");
        assert!(
            !p.contains("resource_name>?"),
            "text fields stay case-insensitive: {p}"
        );
    }

    #[test]
    fn bare_value_searches_every_text_field_as_substring() {
        let got = sql(r#""o'brien\"; drop""#);
        // The dictionary's rule-level values, the four rule columns rechecked on the row,
        // then resource names, namespaces and hosts: a trigram prefilter and a LIKE each.
        assert_eq!(got.params.len(), 2 + 4 + 3 * 2);
        // Trigrams of letters alone are left out when others narrow better.
        let grams = text(r#""o'b" AND "n"";" AND " dr""#);
        let like = text("%o'brien\"; drop%");
        for (i, p) in got.params.iter().enumerate() {
            let gram_slot = i == 0 || (i >= 6 && i % 2 == 0);
            assert_eq!(p, if gram_slot { &grams } else { &like }, "parameter {i}");
        }
        for col in TEXT_FIELDS {
            assert!(
                got.sql.contains(&col.replace("f.", "t.")),
                "{col}: {}",
                got.sql
            );
        }
        assert!(
            !got.sql.contains("brien"),
            "values never reach the SQL text"
        );
    }
}
