//! Recursive-descent parser: `or` < `and` < `not` < primary.

use kspm_model::Outcome;

use super::fields::{Field, FieldKind, field_named};
use super::lexer::{Piece, Tok, Token, tokenize};
use super::{Expr, QueryError, Value, parse_date};

/// Deeper nesting than this is refused rather than risking the stack.
const MAX_DEPTH: usize = 64;

pub(crate) fn parse(input: &str) -> Result<Expr, QueryError> {
    let tokens = tokenize(input)?;
    let mut p = Parser {
        tokens,
        at: 0,
        depth: 0,
    };
    if p.peek().tok == Tok::Eof {
        return Ok(Expr::All);
    }
    let expr = p.or_expr(None)?;
    let t = p.peek();
    if t.tok != Tok::Eof {
        return Err(unexpected(t));
    }
    Ok(expr)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
}

fn unexpected(t: &Token) -> QueryError {
    QueryError::new(t.pos, format!("unexpected {}", t.tok.describe()))
}

impl Parser {
    fn peek(&self) -> &Token {
        // The token list always ends with Eof, and `at` never passes it.
        &self.tokens[self.at.min(self.tokens.len() - 1)]
    }

    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        if t.tok != Tok::Eof {
            self.at += 1;
        }
        t
    }

    fn enter(&mut self) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(QueryError::new(
                self.peek().pos,
                "the query nests too deeply",
            ));
        }
        Ok(())
    }

    /// `field` is set inside `field : ( … )`, where operands are values of that field.
    fn or_expr(&mut self, field: Option<&'static Field>) -> Result<Expr, QueryError> {
        self.enter()?;
        let mut terms = vec![self.and_expr(field)?];
        while self.peek().tok == Tok::Or {
            self.next();
            terms.push(self.and_expr(field)?);
        }
        self.depth -= 1;
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Expr::Or(terms)
        })
    }

    fn and_expr(&mut self, field: Option<&'static Field>) -> Result<Expr, QueryError> {
        let mut terms = vec![self.not_expr(field)?];
        loop {
            match self.peek().tok {
                Tok::And => {
                    self.next();
                    terms.push(self.not_expr(field)?);
                }
                // Terms side by side are joined with `and`.
                Tok::Word(_) | Tok::Quoted(_) | Tok::LParen | Tok::Not => {
                    terms.push(self.not_expr(field)?)
                }
                _ => break,
            }
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Expr::And(terms)
        })
    }

    fn not_expr(&mut self, field: Option<&'static Field>) -> Result<Expr, QueryError> {
        if self.peek().tok == Tok::Not {
            self.next();
            self.enter()?;
            let inner = self.not_expr(field)?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.primary(field)
    }

    fn primary(&mut self, field: Option<&'static Field>) -> Result<Expr, QueryError> {
        let t = self.next();
        match t.tok {
            Tok::LParen => {
                let inner = self.or_expr(field)?;
                let close = self.next();
                if close.tok != Tok::RParen {
                    return Err(QueryError::new(
                        close.pos,
                        format!("expected `)` but found {}", close.tok.describe()),
                    ));
                }
                Ok(inner)
            }
            Tok::Word(pieces) => {
                if field.is_none() && self.at_field_operator() {
                    return self.field_expr(pieces, t.pos);
                }
                let value = word_value(pieces);
                match field {
                    Some(f) => match_expr(f, value, t.pos),
                    None => Ok(Expr::Text(value)),
                }
            }
            Tok::Quoted(s) => match field {
                Some(f) => match_expr(f, Value::Literal(s), t.pos),
                None => Ok(Expr::Text(Value::Literal(s))),
            },
            _ => Err(unexpected(&t)),
        }
    }

    /// After consuming a word: is the next token `:` or a range operator (so the word was a
    /// field name)?
    fn at_field_operator(&self) -> bool {
        matches!(self.peek().tok, Tok::Colon | Tok::Range(_))
    }

    fn field_expr(&mut self, name: Vec<Piece>, pos: usize) -> Result<Expr, QueryError> {
        let name = match name.as_slice() {
            [Piece::Text(n)] => n.clone(),
            _ => return Err(QueryError::new(pos, "a field name cannot contain `*`")),
        };
        let field = field_named(&name)
            .ok_or_else(|| QueryError::new(pos, format!("unknown field `{name}`")))?;
        let op = self.next();
        match op.tok {
            Tok::Colon => {
                let v = self.peek().clone();
                match v.tok {
                    Tok::LParen => {
                        self.next();
                        let inner = self.or_expr(Some(field))?;
                        let close = self.next();
                        if close.tok != Tok::RParen {
                            return Err(QueryError::new(
                                close.pos,
                                format!("expected `)` but found {}", close.tok.describe()),
                            ));
                        }
                        Ok(inner)
                    }
                    Tok::Word(pieces) => {
                        self.next();
                        match_expr(field, word_value(pieces), v.pos)
                    }
                    Tok::Quoted(s) => {
                        self.next();
                        match_expr(field, Value::Literal(s), v.pos)
                    }
                    _ => Err(QueryError::new(
                        v.pos,
                        format!(
                            "expected a value after `{name} :` but found {}",
                            v.tok.describe()
                        ),
                    )),
                }
            }
            Tok::Range(rop) => {
                if !field.kind.has_ranges() {
                    return Err(QueryError::new(
                        op.pos,
                        format!(
                            "`{}` needs a number or date field; `{name}` is a {} field",
                            rop.as_str(),
                            field.kind.as_str()
                        ),
                    ));
                }
                let v = self.next();
                let text = match v.tok {
                    Tok::Word(ref pieces) => match pieces.as_slice() {
                        [Piece::Text(s)] => Some(s.clone()),
                        _ => None,
                    },
                    Tok::Quoted(ref s) => Some(s.clone()),
                    _ => None,
                };
                let bound = text.as_deref().and_then(|s| scalar(field.kind, s));
                match bound {
                    Some(value) => Ok(Expr::Range {
                        field,
                        op: rop,
                        value,
                    }),
                    None => Err(QueryError::new(
                        v.pos,
                        format!(
                            "bad range value for `{name}`: expected {}",
                            expected(field.kind)
                        ),
                    )),
                }
            }
            // Unreachable by construction (peeked), kept as an error rather than a panic.
            _ => Err(unexpected(&op)),
        }
    }
}

fn word_value(pieces: Vec<Piece>) -> Value {
    match pieces.as_slice() {
        [Piece::Text(s)] => Value::Literal(s.clone()),
        [] => Value::Literal(String::new()),
        _ => Value::Pattern(pieces),
    }
}

fn expected(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::Date => "a date (RFC 3339 or YYYY-MM-DD)",
        FieldKind::Number => "a number",
        FieldKind::Boolean => "`true` or `false`",
        FieldKind::Outcome => "`passed`, `failed`, `manual` or `error`",
        _ => "a value",
    }
}

/// A number or date bound.
fn scalar(kind: FieldKind, s: &str) -> Option<f64> {
    match kind {
        FieldKind::Date => parse_date(s).map(|t| t as f64),
        FieldKind::Number => s.parse::<f64>().ok().filter(|v| v.is_finite()),
        _ => None,
    }
}

/// Checks a `field : value` against the field's type.
fn match_expr(field: &'static Field, value: Value, pos: usize) -> Result<Expr, QueryError> {
    let bad = || {
        QueryError::new(
            pos,
            format!(
                "bad value for `{}`: expected {}",
                field.name,
                expected(field.kind)
            ),
        )
    };
    match (&value, field.kind) {
        (_, FieldKind::Keyword | FieldKind::Text) => {}
        (v, _) if v.is_exists() => {}
        (Value::Pattern(_), FieldKind::Outcome) => {}
        (Value::Pattern(_), _) => {
            return Err(QueryError::new(
                pos,
                format!(
                    "wildcards work on keyword and text fields, not on `{}`",
                    field.name
                ),
            ));
        }
        (Value::Literal(s), FieldKind::Outcome) => {
            if Outcome::parse(s).is_none_or(|o| o == Outcome::NotApplicable) {
                return Err(bad());
            }
        }
        (Value::Literal(s), FieldKind::Boolean) => {
            if s != "true" && s != "false" {
                return Err(bad());
            }
        }
        (Value::Literal(s), kind) => {
            if scalar(kind, s).is_none() {
                return Err(bad());
            }
        }
    }
    Ok(Expr::Match { field, value })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kql::RangeOp;

    fn f(name: &str) -> &'static Field {
        field_named(name).unwrap()
    }

    fn m(name: &str, v: &str) -> Expr {
        Expr::Match {
            field: f(name),
            value: Value::Literal(v.into()),
        }
    }

    #[test]
    fn precedence_is_not_then_and_then_or() {
        let e = parse("rule.id : a or rule.id : b and not rule.id : c").unwrap();
        assert_eq!(
            e,
            Expr::Or(vec![
                m("rule.id", "a"),
                Expr::And(vec![
                    m("rule.id", "b"),
                    Expr::Not(Box::new(m("rule.id", "c")))
                ]),
            ])
        );
        let e = parse("(rule.id : a or rule.id : b) and rule.id : c").unwrap();
        assert_eq!(
            e,
            Expr::And(vec![
                Expr::Or(vec![m("rule.id", "a"), m("rule.id", "b")]),
                m("rule.id", "c")
            ])
        );
    }

    #[test]
    fn value_lists_bind_to_their_field() {
        let e = parse("rule.benchmark.id : (cis_k8s or not cis_eks)").unwrap();
        assert_eq!(
            e,
            Expr::Or(vec![
                m("rule.benchmark.id", "cis_k8s"),
                Expr::Not(Box::new(m("rule.benchmark.id", "cis_eks"))),
            ])
        );
    }

    #[test]
    fn ranges_parse_dates_and_numbers() {
        assert_eq!(
            parse("last_seen >= 2026-01-01").unwrap(),
            Expr::Range {
                field: f("last_seen"),
                op: RangeOp::Ge,
                value: 1_767_225_600.0
            }
        );
        assert_eq!(
            parse("event.sequence < 5").unwrap(),
            Expr::Range {
                field: f("event.sequence"),
                op: RangeOp::Lt,
                value: 5.0
            }
        );
    }

    #[test]
    fn errors_carry_positions() {
        let cases = [
            ("nope : x", 0, "unknown field `nope`"),
            ("rule.id : a and", 15, "unexpected the end"),
            ("rule.id : a )", 12, "unexpected `)`"),
            ("(rule.id : a", 12, "expected `)`"),
            ("rule.id > 5", 8, "needs a number or date field"),
            ("last_seen > yesterday", 12, "bad range value"),
            ("result.evaluation : pass", 20, "bad value"),
            ("excepted : maybe", 11, "bad value"),
            ("rule.id : :", 10, "expected a value"),
            ("first_seen : 2026*", 13, "wildcards work"),
        ];
        for (q, pos, msg) in cases {
            let e = parse(q).unwrap_err();
            assert_eq!(e.position, pos, "{q}: {e}");
            assert!(e.message.contains(msg), "{q}: {e}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let q = "(".repeat(10_000) + "a" + &")".repeat(10_000);
        assert!(parse(&q).unwrap_err().message.contains("nests too deeply"));
        let q = "not ".repeat(10_000) + "a";
        assert!(parse(&q).is_err());
    }

    #[test]
    fn empty_query_matches_everything() {
        assert_eq!(parse("  ").unwrap(), Expr::All);
    }
}
