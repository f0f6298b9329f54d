//! A subset of Kibana's KQL, translated to parameterised SQL over the findings table.
//!
//! ```text
//! rule.section : "API Server" and result.evaluation : failed
//! not orchestrator.resource.namespace : kube-* and (resource.sub_type : Pod or resource.sub_type : Deployment)
//! rule.benchmark.id : (cis_k8s or cis_eks)
//! last_seen >= 2026-11-01 and first_seen < "2026-11-20T10:00:00Z"
//! privileged
//! ```
//!
//! - `field : value` — keyword fields match exactly, text fields as a case-insensitive
//!   substring; `field : *` means the field has a value.
//! - Values are bare words or `"quoted strings"`; `\` escapes the next character in both.
//!   `*` in a bare word is a wildcard (any run of characters); in quotes it is literal.
//! - `and`, `or`, `not` (any case), parentheses; precedence `not` > `and` > `or`. Two terms
//!   side by side are joined with `and`.
//! - `field : (a or b)` matches any of the values on one field.
//! - `<`, `<=`, `>`, `>=` on number and date fields; dates are RFC 3339 or `YYYY-MM-DD`
//!   (UTC midnight). A time with `:` may stay unquoted after a range operator.
//! - A bare value searches the main text fields (rule title, id, section and number, resource
//!   name, namespace, node).
//!
//! Field names are listed in [`FIELDS`]. Every value becomes a bound parameter; the SQL text
//! holds only our own column names and operators.

mod date;
mod fields;
mod lexer;
mod parser;
mod sql;

pub use date::parse_date;
pub use fields::{FIELDS, Field, FieldKind, field_named};
pub use lexer::Piece;
pub use sql::{SqlFilter, SqlParam, translate};

/// A query error: where (character offset into the query) and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[error("at character {position}: {message}")]
pub struct QueryError {
    /// Zero-based character (not byte) offset where the problem starts.
    pub position: usize,
    /// What is wrong.
    pub message: String,
}

impl QueryError {
    pub(crate) fn new(position: usize, message: impl Into<String>) -> QueryError {
        QueryError {
            position,
            message: message.into(),
        }
    }
}

/// A range comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeOp {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl RangeOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            RangeOp::Lt => "<",
            RangeOp::Le => "<=",
            RangeOp::Gt => ">",
            RangeOp::Ge => ">=",
        }
    }
}

/// A value to match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Literal text (quoted, or a bare word without wildcards).
    Literal(String),
    /// A bare word with at least one `*`.
    Pattern(Vec<Piece>),
}

impl Value {
    /// `*` alone: "has any value".
    pub fn is_exists(&self) -> bool {
        matches!(self, Value::Pattern(p) if p == &[Piece::Any])
    }
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// The empty query: everything.
    All,
    /// All of these.
    And(Vec<Expr>),
    /// Any of these.
    Or(Vec<Expr>),
    /// Not this.
    Not(Box<Expr>),
    /// `field : value`. For date fields with a `YYYY-MM-DD` value, the whole day.
    Match {
        /// The field.
        field: &'static Field,
        /// The value (validated against the field's type).
        value: Value,
    },
    /// `field op value` on a number or date field (dates as Unix seconds).
    Range {
        /// The field.
        field: &'static Field,
        /// The comparison.
        op: RangeOp,
        /// The bound.
        value: f64,
    },
    /// A bare value: substring of any main text field.
    Text(Value),
}

/// Parses a query. Never panics, whatever the input.
pub fn parse(query: &str) -> Result<Expr, QueryError> {
    parser::parse(query)
}

/// Quotes a value for a KQL query (used to build "show these findings" links).
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_values_round_trip_through_the_parser() {
        for v in ["API Server", r#"a"b\c"#, "x*y", "and", ""] {
            let q = format!("rule.section : {}", quote(v));
            match parse(&q).unwrap() {
                Expr::Match { value, .. } => assert_eq!(value, Value::Literal(v.into())),
                other => panic!("{other:?}"),
            }
        }
    }
}
