//! Kibana's KQL, read as Kibana reads it, and translated to parameterised SQL over the
//! findings table.
//!
//! ```text
//! rule.section : API Server and result.evaluation : failed
//! not orchestrator.resource.namespace : kube-* and resource.sub_type : (Pod or Deployment)
//! rule.benchmark.id : (cis_k8s or cis_eks)
//! last_seen >= 2026-11-01 and first_seen < "2026-11-20T10:00:00Z"
//! privileged
//! ```
//!
//! Two steps. [`read`] applies Kibana's grammar and gives its reading as a [`Node`] tree
//! (which prints in a compact notation of our own, `and(is(rule.section, "API Server"), …)`):
//! an unquoted value runs up to the next `and` / `or` / `not` keyword or special character,
//! spaces included; `\` escapes; `*` is a wildcard only outside quotes; `not` > `and` > `or`;
//! no implicit `and`. [`parse`] then gives that reading kspm's meaning as an [`Expr`]: fields
//! looked up in [`FIELDS`], values checked against their type (where kspm refuses what Kibana
//! would accept, the error says so), dates turned into instants with Elasticsearch's rounding
//! of whole days. [`translate`] turns an [`Expr`] into SQL in which every value is a bound
//! parameter; keyword fields compare case-sensitively (`=` and `GLOB`), text fields and bare
//! values as ASCII case-insensitive substrings (`LIKE`).
//!
//! The exact rules and the differences from Kibana are listed in the crate README.

mod date;
mod fields;
mod literal;
mod resolve;
mod sql;
mod syntax;

pub use date::parse_date;
pub use fields::{FIELDS, Field, FieldKind, field_named};
pub use literal::{Lit, LitValue, Piece};
pub use sql::{SqlFilter, SqlParam, translate};
pub(crate) use sql::{dictionary_match, text_like, trigram_query};
pub use syntax::{MAX_DEPTH, Node, clauses, join_clauses, read};

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
    /// Literal text (quoted, or unquoted without wildcards).
    Literal(String),
    /// An unquoted value with at least one `*`.
    Pattern(Vec<Piece>),
}

impl Value {
    /// `*` alone: "has any value".
    pub fn is_exists(&self) -> bool {
        matches!(self, Value::Pattern(p) if p == &[Piece::Any])
    }
}

/// A query as kspm searches it: fields resolved, values checked against their type.
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
    /// `field : value` (a whole day on a date field is a pair of ranges instead).
    Match {
        /// The field.
        field: &'static Field,
        /// The value (valid for the field's type).
        value: Value,
    },
    /// `field op value` on a number or date field; dates as Unix seconds, whole days already
    /// rounded the way Elasticsearch rounds them.
    Range {
        /// The field.
        field: &'static Field,
        /// The comparison.
        op: RangeOp,
        /// The bound.
        value: f64,
    },
    /// A value without a field: a substring of any main text field.
    Text(Value),
}

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 4096;
/// Most terms (`field : value`, ranges, bare values, each value of a list) in one query.
/// Each term becomes a few SQL comparisons; SQLite refuses expression trees deeper than
/// 1000, and long lists of substring searches are slow, so larger queries are refused.
pub const MAX_TERMS: usize = 100;

/// Reads a query with Kibana's grammar and resolves it against kspm's fields. Never panics,
/// whatever the input. Queries over [`MAX_QUERY_CHARS`] characters or [`MAX_TERMS`] terms
/// are refused.
pub fn parse(query: &str) -> Result<Expr, QueryError> {
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(QueryError::new(
            MAX_QUERY_CHARS,
            format!("the query is longer than {MAX_QUERY_CHARS} characters"),
        ));
    }
    let expr = resolve::resolve(&read(query)?)?;
    let terms = count_terms(&expr);
    if terms > MAX_TERMS {
        return Err(QueryError::new(
            0,
            format!("the query has {terms} terms; at most {MAX_TERMS} are searched at once"),
        ));
    }
    Ok(expr)
}

fn count_terms(expr: &Expr) -> usize {
    match expr {
        Expr::All => 0,
        Expr::And(terms) | Expr::Or(terms) => terms.iter().map(count_terms).sum(),
        Expr::Not(inner) => count_terms(inner),
        Expr::Match { .. } | Expr::Range { .. } | Expr::Text(_) => 1,
    }
}

/// Quotes a value for a KQL query (used to build "show these findings" links): the result
/// reads back as exactly `value`.
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
        for v in [
            "API Server",
            r#"a"b\c"#,
            "x*y",
            "and",
            "",
            r"\n",
            "tab\there",
            r"\u0041",
        ] {
            let q = format!("rule.section : {}", quote(v));
            match parse(&q).unwrap() {
                Expr::Match { value, .. } => assert_eq!(value, Value::Literal(v.into())),
                other => panic!("{other:?}"),
            }
        }
    }
}
