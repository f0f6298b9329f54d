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
            let pattern = match value {
                Value::Literal(s) => format!("%{}%", like_escape(s)),
                Value::Pattern(p) => format!("%{}%", like_pattern(p)),
            };
            out.sql.push('(');
            trigram_prefilter(value, out);
            out.sql.push('(');
            for (i, col) in TEXT_FIELDS.iter().enumerate() {
                if i > 0 {
                    out.sql.push_str(" OR ");
                }
                out.sql.push_str(&format!("{col} LIKE ? ESCAPE '\\'"));
                out.params.push(SqlParam::Text(pattern.clone()));
            }
            out.sql.push_str("))");
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
        // Text fields: ASCII case-insensitive, a pattern anchored, a literal anywhere.
        (FieldKind::Text, Value::Pattern(p)) => {
            out.sql.push('(');
            trigram_prefilter(value, out);
            out.sql.push_str(&format!("{col} LIKE ? ESCAPE '\\')"));
            out.params.push(SqlParam::Text(like_pattern(p)));
        }
        (FieldKind::Text, Value::Literal(s)) => {
            out.sql.push('(');
            trigram_prefilter(value, out);
            out.sql.push_str(&format!("{col} LIKE ? ESCAPE '\\')"));
            out.params
                .push(SqlParam::Text(format!("%{}%", like_escape(s))));
        }
        // Keyword and outcome patterns: case-sensitive like Elasticsearch's `wildcard` on a
        // keyword; GLOB with a literal prefix is served by the column's (BINARY) index.
        (_, Value::Pattern(p)) => {
            out.sql.push_str(&format!("{col} GLOB ?"));
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

/// `f.rowid IN (rows of the trigram index holding the value's trigrams) AND `, when the
/// value has a literal part of at least three characters; nothing otherwise.
///
/// The index (`finding_text`, trigram tokenizer, case folded) proposes every row where each
/// of those trigrams occurs in one of the text fields; the `LIKE` that follows decides. So
/// the index only ever narrows what is read, never what matches.
fn trigram_prefilter(value: &Value, out: &mut SqlFilter) {
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
        return;
    }
    if grams.len() > MAX_TRIGRAMS {
        let step = grams.len().div_ceil(MAX_TRIGRAMS);
        grams = grams.into_iter().step_by(step).collect();
    }
    let query = grams
        .iter()
        .map(|g| format!("\"{}\"", g.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" AND ");
    out.sql
        .push_str("f.rowid IN (SELECT rowid FROM finding_text WHERE finding_text MATCH ?) AND ");
    out.params.push(SqlParam::Text(query));
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
            ("rule.id : api_*", "f.rule_id GLOB ?", vec![text("api_*")]),
            (
                r"rule.section : API Serv*[1]?\*",
                "f.section GLOB ?",
                vec![text("API Serv*[[]1][?][*]")],
            ),
            (
                "result.evaluation : fail*",
                "f.outcome GLOB ?",
                vec![text("fail*")],
            ),
            (
                "resource.name : kube-*",
                "(f.rowid IN (SELECT rowid FROM finding_text WHERE finding_text MATCH ?) \
                 AND f.resource_name LIKE ? ESCAPE '\\')",
                vec![text(r#""kub" AND "be-""#), text("kube-%")],
            ),
            (
                "resource.name : ku*",
                "(f.resource_name LIKE ? ESCAPE '\\')",
                vec![text("ku%")],
            ),
            (
                "rule.name : 100%",
                "(f.rowid IN (SELECT rowid FROM finding_text WHERE finding_text MATCH ?) \
                 AND f.rule_name LIKE ? ESCAPE '\\')",
                vec![text(r#""100" AND "00%""#), text("%100\\%%")],
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
        let p = plan("resource.name : kube-*", "cur_resource_name");
        assert!(
            !p.contains("resource_name>?"),
            "text fields stay case-insensitive: {p}"
        );
    }

    #[test]
    fn bare_value_searches_every_text_field_as_substring() {
        let got = sql(r#""o'brien\"; drop""#);
        assert_eq!(got.params.len(), TEXT_FIELDS.len() + 1);
        // The trigram prefilter: spread trigrams, FTS5 quotes doubled.
        assert_eq!(
            got.params[0],
            text(r#""o'b" AND "rie" AND "n"";" AND " dr" AND "rop""#)
        );
        assert!(
            got.params[1..]
                .iter()
                .all(|p| p == &text("%o'brien\"; drop%"))
        );
        assert!(
            !got.sql.contains("brien"),
            "values never reach the SQL text"
        );
    }
}
