//! Translation of a parsed query into a parameterised SQL condition over `findings f`.

use super::fields::{CLUSTER_NAME_SQL, EXCEPTED_SQL, Field, FieldKind, TEXT_FIELDS};
use super::lexer::Piece;
use super::{Expr, Value, parse_date};

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
            for (i, col) in TEXT_FIELDS.iter().enumerate() {
                if i > 0 {
                    out.sql.push_str(" OR ");
                }
                out.sql.push_str(&format!("{col} LIKE ? ESCAPE '\\'"));
                out.params.push(SqlParam::Text(pattern.clone()));
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
        let want = matches!(value, Value::Literal(s) if s == "true") || value.is_exists();
        if !want {
            out.sql.push_str("NOT ");
        }
        excepted_sql(now, out);
        return;
    }
    if field.sql == CLUSTER_NAME_SQL {
        let (op, param) = match value {
            Value::Pattern(p) => ("LIKE ? ESCAPE '\\'", like_pattern(p)),
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
        (_, Value::Pattern(p)) => {
            out.sql.push_str(&format!("{col} LIKE ? ESCAPE '\\'"));
            out.params.push(SqlParam::Text(like_pattern(p)));
        }
        (FieldKind::Text, Value::Literal(s)) => {
            out.sql.push_str(&format!("{col} LIKE ? ESCAPE '\\'"));
            out.params
                .push(SqlParam::Text(format!("%{}%", like_escape(s))));
        }
        (FieldKind::Boolean, Value::Literal(s)) => {
            out.sql.push_str(&format!("{col} = ?"));
            out.params.push(SqlParam::Int(i64::from(s == "true")));
        }
        (FieldKind::Date, Value::Literal(s)) => {
            let t = parse_date(s).unwrap_or(0);
            if s.len() == 10 {
                // A bare date means that whole (UTC) day.
                out.sql.push_str(&format!("({col} >= ? AND {col} < ?)"));
                out.params.push(SqlParam::Int(t));
                out.params.push(SqlParam::Int(t + 86_400));
            } else {
                out.sql.push_str(&format!("{col} = ?"));
                out.params.push(SqlParam::Int(t));
            }
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
                "f.rule_id LIKE ? ESCAPE '\\'",
                vec![text("api\\_%")],
            ),
            (
                "rule.name : 100%",
                "f.rule_name LIKE ? ESCAPE '\\'",
                vec![text("%100\\%%")],
            ),
            ("host.name : *", "f.host IS NOT NULL", vec![]),
            (
                "last_seen > 2026-01-01",
                "f.last_seen > ?",
                vec![SqlParam::Int(1_767_225_600)],
            ),
            (
                "first_seen : 2026-01-01",
                "(f.first_seen >= ? AND f.first_seen < ?)",
                vec![SqlParam::Int(1_767_225_600), SqlParam::Int(1_767_312_000)],
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
            ("disabled : false", "f.disabled = ?", vec![SqlParam::Int(0)]),
            (
                "orchestrator.cluster.name : prod",
                "f.cluster_id IN (SELECT c.id FROM clusters c WHERE c.name = ?)",
                vec![text("prod")],
            ),
            (
                "orchestrator.cluster.name : pr*",
                "f.cluster_id IN (SELECT c.id FROM clusters c WHERE c.name LIKE ? ESCAPE '\\')",
                vec![text("pr%")],
            ),
        ];
        for (q, want_sql, want_params) in cases {
            let got = sql(q);
            assert_eq!(got.sql, want_sql, "{q}");
            assert_eq!(got.params, want_params, "{q}");
        }
    }

    #[test]
    fn bare_value_searches_every_text_field_as_substring() {
        let got = sql(r#""o'brien\"; drop""#);
        assert_eq!(got.params.len(), TEXT_FIELDS.len());
        assert!(got.params.iter().all(|p| p == &text("%o'brien\"; drop%")));
        assert!(
            !got.sql.contains("brien"),
            "values never reach the SQL text"
        );
    }
}
