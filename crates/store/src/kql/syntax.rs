//! Kibana's KQL grammar, read into a syntax tree ([`Node`]) before kspm gives the fields
//! their meaning (`resolve`).
//!
//! ```text
//! query     = space* [or] space*              empty: everything
//! or        = and ("or" and)*                 keywords between whitespace, any case
//! and       = not ("and" not)*
//! not       = "not" group | group             one `not`; `not not x` is an error
//! group     = "(" space* or space* ")" | term
//! term      = literal space* ":" space* values
//!           | literal space* range-op space* literal
//!           | literal                         a value without a field
//! values    = value-or, read like `or` above but over values of the one field:
//!             `field : (a or not (b and c))` is `field : a or not (field : b and field : c)`
//! ```
//!
//! There is no implicit `and`: two terms side by side are an error, while spaces inside an
//! unquoted value belong to the value (`rule.section : API Server`). `field : { … }` (nested
//! fields) is refused: kspm has none. Parentheses nest at most [`MAX_DEPTH`] deep.

use std::fmt;

use super::literal::{Cursor, Lit, LitValue, Piece};
use super::{QueryError, RangeOp};

/// Deeper nesting of parentheses than this is refused rather than risking the stack.
pub const MAX_DEPTH: usize = 64;

/// A query as Kibana's grammar reads it, before kspm checks fields and values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// The empty query (or `* : *`): every finding.
    All,
    /// All of these.
    And(Vec<Node>),
    /// Any of these.
    Or(Vec<Node>),
    /// Not this.
    Not(Box<Node>),
    /// `field : value`, or a value without a field (`field` is `None`).
    Is {
        /// The field name as written.
        field: Option<Lit>,
        /// The value.
        value: Lit,
    },
    /// `field op value`.
    Range {
        /// The field name as written.
        field: Lit,
        /// The comparison.
        op: RangeOp,
        /// The bound.
        value: Lit,
    },
}

/// Reads `input` with Kibana's KQL grammar.
pub fn read(input: &str) -> Result<Node, QueryError> {
    Reader::new(input).query().map(|(node, _)| node)
}

/// The top-level `and` clauses of a query, as text: `Some(vec![])` for a blank query, `None`
/// when the query has a top-level `or` (its clauses cannot be taken apart) or does not read.
pub fn clauses(input: &str) -> Option<Vec<String>> {
    let mut reader = Reader::new(input);
    let (_, spans) = reader.query().ok()?;
    let spans = spans?;
    Some(
        spans
            .into_iter()
            .map(|(from, to)| reader.cursor.slice(from, to).trim().to_owned())
            .collect(),
    )
}

/// Joins clauses with `and` so that each reads back as it did alone. A clause that ends with
/// `not` (a keyword before whitespace even at the end of a word) or with a loose `and` / `or`
/// (text at the end of a query, keywords before another clause) is put in parentheses.
pub fn join_clauses(clauses: &[String]) -> String {
    let last = clauses.len().saturating_sub(1);
    clauses
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < last && ends_with_a_keyword(c) {
                format!("({c})")
            } else {
                c.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" and ")
}

fn ends_with_a_keyword(clause: &str) -> bool {
    let lower = clause.to_ascii_lowercase();
    lower.ends_with("not")
        || ["and", "or"].iter().any(|k| {
            lower
                .strip_suffix(k)
                .and_then(|rest| rest.chars().last())
                .is_some_and(super::literal::is_space)
        })
}

/// Character spans of clauses.
type Spans = Vec<(usize, usize)>;

/// Where a sequence of terms is read: the query itself, or the values of one field.
#[derive(Clone, Copy)]
enum Place<'a> {
    Query,
    Values(&'a Lit),
}

struct Reader {
    cursor: Cursor,
    depth: usize,
}

impl Reader {
    fn new(input: &str) -> Reader {
        Reader {
            cursor: Cursor::new(input),
            depth: 0,
        }
    }

    fn error(&self, at: usize, message: impl Into<String>) -> QueryError {
        QueryError::new(at, message)
    }

    fn found(&self) -> String {
        self.cursor.describe_at(self.cursor.at)
    }

    /// The whole query, and the spans of its top-level `and` clauses (`None` with a
    /// top-level `or`).
    fn query(&mut self) -> Result<(Node, Option<Spans>), QueryError> {
        self.cursor.skip_space();
        if self.cursor.at_end() {
            return Ok((Node::All, Some(Vec::new())));
        }
        let mut spans = Vec::new();
        let mut terms = vec![self.and(Place::Query, &mut spans)?];
        while self.cursor.eat_binary_keyword("or") {
            terms.push(self.and(Place::Query, &mut Vec::new())?);
        }
        self.cursor.skip_space();
        if !self.cursor.at_end() {
            return Err(self.after_term_error("the end of the query"));
        }
        if terms.len() == 1 {
            Ok((terms.remove(0), Some(spans)))
        } else {
            Ok((Node::Or(terms), None))
        }
    }

    fn or(&mut self, place: Place<'_>) -> Result<Node, QueryError> {
        let mut terms = vec![self.and(place, &mut Vec::new())?];
        while self.cursor.eat_binary_keyword("or") {
            terms.push(self.and(place, &mut Vec::new())?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Node::Or(terms)
        })
    }

    fn and(&mut self, place: Place<'_>, spans: &mut Spans) -> Result<Node, QueryError> {
        let start = self.cursor.at;
        let mut terms = vec![self.not(place)?];
        spans.push((start, self.cursor.at));
        while self.cursor.eat_binary_keyword("and") {
            let start = self.cursor.at;
            terms.push(self.not(place)?);
            spans.push((start, self.cursor.at));
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Node::And(terms)
        })
    }

    fn not(&mut self, place: Place<'_>) -> Result<Node, QueryError> {
        if !self.cursor.eat_not() {
            return self.group(place);
        }
        if self.cursor.at_not() {
            return Err(self.error(
                self.cursor.at,
                "`not` cannot follow `not` directly: write `not (not …)`",
            ));
        }
        Ok(Node::Not(Box::new(self.group(place)?)))
    }

    fn group(&mut self, place: Place<'_>) -> Result<Node, QueryError> {
        if self.cursor.peek() != Some('(') {
            return match place {
                Place::Query => self.term(),
                Place::Values(field) => self.value(field),
            };
        }
        let open = self.cursor.at;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(open, format!("parentheses nest more than {MAX_DEPTH} deep")));
        }
        self.cursor.at += 1;
        self.cursor.skip_space();
        let inner = self.or(place)?;
        self.cursor.skip_space();
        if self.cursor.peek() != Some(')') {
            return Err(self.after_term_error(&format!("`)` to close the `(` at character {open}")));
        }
        self.cursor.at += 1;
        self.depth -= 1;
        Ok(inner)
    }

    /// `field : values`, `field op value`, or a value alone.
    fn term(&mut self) -> Result<Node, QueryError> {
        let Some(lit) = self.cursor.literal()? else {
            return Err(self.error(
                self.cursor.at,
                format!("expected a field or a value, found {}", self.found()),
            ));
        };
        let after = self.cursor.at;
        self.cursor.skip_space();
        if self.cursor.peek() == Some(':') {
            self.cursor.at += 1;
            self.cursor.skip_space();
            if self.cursor.peek() == Some('{') {
                return Err(self.error(
                    self.cursor.at,
                    "nested field queries (`field : { … }`) are not supported: kspm has no \
                     nested fields",
                ));
            }
            return self.values(&lit);
        }
        if let Some(op) = self.cursor.eat_range_op() {
            self.cursor.skip_space();
            let Some(value) = self.cursor.literal()? else {
                return Err(self.error(
                    self.cursor.at,
                    format!(
                        "expected a value after `{} {}`, found {}",
                        FieldName(&lit),
                        op.as_str(),
                        self.found()
                    ),
                ));
            };
            if self.cursor.peek() == Some(':') {
                return Err(self.error(
                    self.cursor.at,
                    format!(
                        "an unquoted value ends at `:`: quote a time \
                         (`{} {} \"2026-11-01T10:00:00Z\"`) or escape its colons as `\\:`",
                        FieldName(&lit),
                        op.as_str()
                    ),
                ));
            }
            return Ok(Node::Range {
                field: lit,
                op,
                value,
            });
        }
        // A value alone; the whitespace after it belongs to what follows.
        self.cursor.at = after;
        Ok(Node::Is {
            field: None,
            value: lit,
        })
    }

    /// The values after `field :`: one value, or a parenthesised `or`/`and`/`not` of values.
    fn values(&mut self, field: &Lit) -> Result<Node, QueryError> {
        self.group(Place::Values(field))
    }

    fn value(&mut self, field: &Lit) -> Result<Node, QueryError> {
        match self.cursor.literal()? {
            Some(value) => Ok(Node::Is {
                field: Some(field.clone()),
                value,
            }),
            None => Err(self.error(
                self.cursor.at,
                format!(
                    "expected a value for `{}`, found {}",
                    FieldName(field),
                    self.found()
                ),
            )),
        }
    }

    /// After a complete term, something other than `and`, `or` or `expected` stands at the
    /// cursor (spaces skipped).
    fn after_term_error(&mut self, expected: &str) -> QueryError {
        self.cursor.skip_space();
        let at = self.cursor.at;
        if self.cursor.peek() == Some('\\') {
            return self.error(at, bad_escape(&self.found()));
        }
        if self.cursor.at_not() {
            return self.error(
                at,
                "`not` cannot follow a value: write `and not …` or `or not …`; a value that \
                 contains `not` and a space must be quoted (Kibana ends an unquoted value \
                 there, even inside a word)",
            );
        }
        let found = self.found();
        let hint = match self.cursor.peek() {
            Some(':') => " (a value that contains `:` must be quoted, or written with `\\:`)",
            Some('"') => " (two terms side by side need `and` or `or` between them)",
            Some(')') if expected == "the end of the query" => " without a matching `(`",
            _ => "",
        };
        let expected = if expected == "the end of the query" {
            "`and`, `or` or the end of the query".to_owned()
        } else {
            format!("`and`, `or` or {expected}")
        };
        self.error(at, format!("expected {expected}, found {found}{hint}"))
    }
}

fn bad_escape(found: &str) -> String {
    if found == "`\\`" {
        return "a `\\` at the end of the query escapes nothing".into();
    }
    format!(
        "{found} is not an escape: a backslash escapes one of \\ ( ) : < > \" * {{ }}, the \
         words `and`, `or` and `not`, or writes `\\t`, `\\r`, `\\n` or `\\uXXXX`"
    )
}

/// A field name for messages and trees: bare when it is a plain name, else as a literal.
struct FieldName<'a>(&'a Lit);

impl fmt::Display for FieldName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0.value {
            LitValue::Text(s)
                if !s.is_empty()
                    && s.chars().all(|c| {
                        c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-')
                    }) =>
            {
                f.write_str(s)
            }
            _ => write!(f, "{}", self.0),
        }
    }
}

/// Literals print as `"text"` (with `\"`, `\\`, `\t`, `\r`, `\n` escaped), wildcards as quoted
/// pieces around bare `*` (`"kube-"*`), and `true`, `false`, `null` bare.
impl fmt::Display for Lit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
            f.write_str("\"")?;
            for c in s.chars() {
                match c {
                    '"' => f.write_str("\\\"")?,
                    '\\' => f.write_str("\\\\")?,
                    '\t' => f.write_str("\\t")?,
                    '\r' => f.write_str("\\r")?,
                    '\n' => f.write_str("\\n")?,
                    c => write!(f, "{c}")?,
                }
            }
            f.write_str("\"")
        }
        match &self.value {
            LitValue::Text(s) => quoted(f, s),
            LitValue::Wildcard(pieces) => {
                for p in pieces {
                    match p {
                        Piece::Text(t) => quoted(f, t)?,
                        Piece::Any => f.write_str("*")?,
                    }
                }
                Ok(())
            }
            LitValue::Bool(b) => write!(f, "{b}"),
            LitValue::Null => f.write_str("null"),
        }
    }
}

/// The tree in a compact notation of our own: `and(…)`, `or(…)`, `not(…)`,
/// `is(field, value)`, `exists(field)` (for `field : *`), `text(value)` (a value without a
/// field), `range(field, op, value)` and `all`.
impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn list(f: &mut fmt::Formatter<'_>, name: &str, items: &[Node]) -> fmt::Result {
            write!(f, "{name}(")?;
            for (i, n) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{n}")?;
            }
            f.write_str(")")
        }
        match self {
            Node::All => f.write_str("all"),
            Node::And(items) => list(f, "and", items),
            Node::Or(items) => list(f, "or", items),
            Node::Not(inner) => write!(f, "not({inner})"),
            Node::Is { field: None, value } => write!(f, "text({value})"),
            Node::Is {
                field: Some(field),
                value,
            } if value.is_lone_wildcard() => {
                if field.is_lone_wildcard() {
                    f.write_str("all")
                } else {
                    write!(f, "exists({})", FieldName(field))
                }
            }
            Node::Is {
                field: Some(field),
                value,
            } => write!(f, "is({}, {value})", FieldName(field)),
            Node::Range { field, op, value } => {
                write!(f, "range({}, {}, {value})", FieldName(field), op.as_str())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(q: &str) -> String {
        read(q)
            .map(|n| n.to_string())
            .unwrap_or_else(|e| panic!("{q}: {e}"))
    }

    #[test]
    fn precedence_is_not_then_and_then_or() {
        assert_eq!(
            tree("a : 1 or b : 2 and not c : 3"),
            r#"or(is(a, "1"), and(is(b, "2"), not(is(c, "3"))))"#
        );
        assert_eq!(
            tree("(a : 1 or b : 2) and c : 3"),
            r#"and(or(is(a, "1"), is(b, "2")), is(c, "3"))"#
        );
    }

    #[test]
    fn value_lists_distribute_their_field() {
        assert_eq!(
            tree("f : (x or not (y and z))"),
            r#"or(is(f, "x"), not(and(is(f, "y"), is(f, "z"))))"#
        );
    }

    #[test]
    fn spaces_belong_to_unquoted_values() {
        assert_eq!(tree("f : API Server"), r#"is(f, "API Server")"#);
        assert_eq!(tree("privileged host"), r#"text("privileged host")"#);
        assert_eq!(tree("f : a and"), r#"is(f, "a and")"#);
    }

    #[test]
    fn positions_and_messages_of_syntax_errors() {
        let cases = [
            (
                "f : a and ",
                10,
                "expected a field or a value, found the end of the query",
            ),
            ("f : a )", 6, "without a matching `(`"),
            ("(f : a", 6, "`)` to close the `(` at character 0"),
            (
                "f : ",
                4,
                "expected a value for `f`, found the end of the query",
            ),
            ("f : cannot run", 7, "`not` cannot follow a value"),
            ("not not a", 4, "`not` cannot follow `not`"),
            ("f : { g : 1 }", 4, "nested field queries"),
            ("f : a b : c", 8, "must be quoted"),
            ("\"a\" \"b\"", 4, "need `and` or `or`"),
            ("t > 2026-01-01T10:00:00Z", 17, "quote a time"),
            ("t > ", 4, "expected a value after `t >`"),
            ("f : a\\q", 5, "`\\q` is not an escape"),
            ("f : a\\", 5, "escapes nothing"),
            ("f : (a or )", 10, "expected a value for `f`, found `)`"),
            ("and", 0, ""),
        ];
        for (q, pos, msg) in cases {
            match read(q) {
                Err(e) => {
                    assert_eq!(e.position, pos, "{q}: {e}");
                    assert!(e.message.contains(msg), "{q}: {e}");
                }
                // A lone keyword is a value, as in Kibana.
                Ok(n) => assert_eq!((q, n.to_string()), ("and", r#"text("and")"#.into())),
            }
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let q = "(".repeat(10_000) + "a" + &")".repeat(10_000);
        assert!(read(&q).unwrap_err().message.contains("nest more than"));
        let q = "f : ".to_owned() + &"(".repeat(10_000) + "a";
        assert!(read(&q).is_err());
        let q = "(".repeat(MAX_DEPTH) + "a" + &")".repeat(MAX_DEPTH);
        assert_eq!(read(&q).unwrap().to_string(), r#"text("a")"#);
    }

    #[test]
    fn clauses_are_the_top_level_and_operands() {
        assert_eq!(
            clauses(r#"rule.section : API Server and (a : 1 or b : 2) AND not c : "x and y""#),
            Some(vec![
                "rule.section : API Server".to_owned(),
                "(a : 1 or b : 2)".to_owned(),
                r#"not c : "x and y""#.to_owned()
            ])
        );
        assert_eq!(clauses("a : 1 or b : 2"), None);
        assert_eq!(clauses("  "), Some(vec![]));
        assert_eq!(clauses("a : ("), None);
    }

    #[test]
    fn joined_clauses_read_back_as_they_read_alone() {
        let parts = vec!["f : x or".to_owned(), "g : y".to_owned()];
        let joined = join_clauses(&parts);
        assert_eq!(joined, "(f : x or) and g : y");
        assert_eq!(tree(&joined), r#"and(is(f, "x or"), is(g, "y"))"#);
        let parts = vec!["f : cannot".to_owned(), "g : y".to_owned()];
        assert_eq!(join_clauses(&parts), "(f : cannot) and g : y");
        let parts = vec!["f : a".to_owned(), "g : y or".to_owned()];
        assert_eq!(join_clauses(&parts), "f : a and g : y or");
    }
}
