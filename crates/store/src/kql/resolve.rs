//! From Kibana's reading of a query ([`Node`]) to what kspm searches ([`Expr`]): field names
//! looked up, values checked against the field's type, dates turned into instants.
//!
//! Where kspm refuses what Kibana would accept, the message says so: fields kspm does not
//! have, wildcards in field names, outcomes it never stores, ranges on text.

use kspm_model::Outcome;

use super::date::parse_query_time;
use super::fields::{Field, FieldKind, field_named};
use super::literal::{Lit, LitValue, Piece};
use super::syntax::Node;
use super::{Expr, QueryError, RangeOp, Value};

/// One day in seconds.
const DAY: f64 = 86_400.0;

pub(crate) fn resolve(node: &Node) -> Result<Expr, QueryError> {
    Ok(match node {
        Node::All => Expr::All,
        Node::And(items) => Expr::And(items.iter().map(resolve).collect::<Result<_, _>>()?),
        Node::Or(items) => Expr::Or(items.iter().map(resolve).collect::<Result<_, _>>()?),
        Node::Not(inner) => Expr::Not(Box::new(resolve(inner)?)),
        Node::Is { field: None, value } => match string_value(value)? {
            v if v.is_exists() => Expr::All,
            v => Expr::Text(v),
        },
        Node::Is {
            field: Some(field),
            value,
        } => {
            if field.is_lone_wildcard() && value.is_lone_wildcard() {
                return Ok(Expr::All);
            }
            match_expr(lookup(field)?, value)?
        }
        Node::Range { field, op, value } => range_expr(lookup(field)?, field.position, *op, value)?,
    })
}

fn lookup(lit: &Lit) -> Result<&'static Field, QueryError> {
    let name = match &lit.value {
        LitValue::Wildcard(_) => {
            return Err(QueryError::new(
                lit.position,
                format!(
                    "kspm does not expand wildcards in field names ({lit}): name one field, or \
                     write the value alone to search the main text fields"
                ),
            ));
        }
        LitValue::Null => "null",
        _ => lit.text().unwrap_or_default(),
    };
    field_named(name).ok_or_else(|| {
        QueryError::new(
            lit.position,
            format!(
                "unknown field `{name}`: kspm refuses a field it does not have, where Kibana \
                 would match nothing"
            ),
        )
    })
}

/// A text or wildcard value; `null` and the NUL character are refused.
fn string_value(lit: &Lit) -> Result<Value, QueryError> {
    let value = match &lit.value {
        LitValue::Null => {
            return Err(QueryError::new(
                lit.position,
                "an unquoted `null` means \"no value\" in KQL and cannot be searched for; \
                 write `\"null\"` to search for the word",
            ));
        }
        LitValue::Wildcard(pieces) => Value::Pattern(pieces.clone()),
        LitValue::Text(s) => Value::Literal(s.clone()),
        LitValue::Bool(b) => Value::Literal(b.to_string()),
    };
    let has_nul = match &value {
        Value::Literal(s) => s.contains('\0'),
        Value::Pattern(p) => p
            .iter()
            .any(|p| matches!(p, Piece::Text(t) if t.contains('\0'))),
    };
    if has_nul {
        return Err(QueryError::new(
            lit.position,
            "kspm cannot search for the NUL character (`\\u0000`)",
        ));
    }
    Ok(value)
}

fn expected(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::Date => "a date (RFC 3339 with a time zone, or YYYY-MM-DD in UTC)",
        FieldKind::Number => "a number",
        FieldKind::Boolean => "`true` or `false`",
        FieldKind::Outcome => "`passed`, `failed`, `manual` or `error`",
        FieldKind::Status => "`failed`, `error`, `manual`, `passed`, `excepted` or `disabled`",
        FieldKind::Keyword | FieldKind::Text => "a value",
    }
}

/// `field : value`, checked against the field's type.
fn match_expr(field: &'static Field, lit: &Lit) -> Result<Expr, QueryError> {
    let value = string_value(lit)?;
    let bad = |found: &str| {
        QueryError::new(
            lit.position,
            format!(
                "bad value for `{}`: expected {}, found `{found}`",
                field.name,
                expected(field.kind)
            ),
        )
    };
    let text = match &value {
        _ if value.is_exists() => return Ok(Expr::Match { field, value }),
        Value::Pattern(_) => {
            return match field.kind {
                FieldKind::Keyword | FieldKind::Text | FieldKind::Outcome | FieldKind::Status => {
                    Ok(Expr::Match { field, value })
                }
                kind => Err(QueryError::new(
                    lit.position,
                    format!(
                        "wildcards work on keyword, text and outcome fields; `{}` is a {} field",
                        field.name,
                        kind.as_str()
                    ),
                )),
            };
        }
        Value::Literal(s) => s.as_str(),
    };
    match field.kind {
        FieldKind::Keyword | FieldKind::Text => {}
        FieldKind::Outcome => match Outcome::parse(text) {
            Some(Outcome::NotApplicable) => {
                return Err(QueryError::new(
                    lit.position,
                    "kspm does not store `not_applicable` findings, so `result.evaluation : \
                     not_applicable` would always be empty",
                ));
            }
            Some(_) => {}
            None => {
                return Err(QueryError::new(
                    lit.position,
                    format!(
                        "`{text}` is not an outcome: `{}` holds `passed`, `failed`, `manual` or \
                         `error` (kspm refuses other values, where Kibana would match nothing)",
                        field.name
                    ),
                ));
            }
        },
        FieldKind::Status => {
            if crate::Status::parse(text).is_none() {
                return Err(QueryError::new(
                    lit.position,
                    format!(
                        "`{text}` is not a status: `{}` holds {}",
                        field.name,
                        expected(field.kind)
                    ),
                ));
            }
        }
        FieldKind::Boolean => {
            if text != "true" && text != "false" {
                return Err(bad(text));
            }
        }
        FieldKind::Number => {
            number(text).ok_or_else(|| bad(text))?;
        }
        FieldKind::Date => {
            let t = parse_query_time(text).ok_or_else(|| bad(text))?;
            if t.whole_day {
                // A date alone means that whole day, as Elasticsearch reads `field : date`.
                let start = t.seconds as f64;
                return Ok(Expr::And(vec![
                    Expr::Range {
                        field,
                        op: RangeOp::Ge,
                        value: start,
                    },
                    Expr::Range {
                        field,
                        op: RangeOp::Lt,
                        value: start + DAY,
                    },
                ]));
            }
        }
    }
    Ok(Expr::Match { field, value })
}

fn number(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// `field op value` on a number or date field.
fn range_expr(
    field: &'static Field,
    field_at: usize,
    op: RangeOp,
    lit: &Lit,
) -> Result<Expr, QueryError> {
    if !field.kind.has_ranges() {
        let why = match field.kind {
            FieldKind::Keyword | FieldKind::Text => {
                " (kspm does not compare text, where Kibana would compare it alphabetically)"
            }
            _ => "",
        };
        return Err(QueryError::new(
            field_at,
            format!(
                "`{}` needs a number or date field; `{}` is a {} field{why}",
                op.as_str(),
                field.name,
                field.kind.as_str()
            ),
        ));
    }
    let bad = |found: String| {
        QueryError::new(
            lit.position,
            format!(
                "bad range value for `{}`: expected {}, found {found}",
                field.name,
                expected(field.kind)
            ),
        )
    };
    let text = match string_value(lit)? {
        Value::Literal(s) => s,
        Value::Pattern(_) => return Err(bad(format!("{lit} (a range bound cannot hold `*`)"))),
    };
    let value = match field.kind {
        FieldKind::Number => number(&text).ok_or_else(|| bad(format!("`{text}`")))?,
        _ => {
            let t = parse_query_time(&text).ok_or_else(|| bad(format!("`{text}`")))?;
            match (t.whole_day, op) {
                // Elasticsearch rounds a date up to the end of its day for `>` and `<=`:
                // `> 2026-11-01` starts with November 2, `<= 2026-11-01` includes November 1.
                (true, RangeOp::Gt) => {
                    return Ok(Expr::Range {
                        field,
                        op: RangeOp::Ge,
                        value: t.seconds as f64 + DAY,
                    });
                }
                (true, RangeOp::Le) => {
                    return Ok(Expr::Range {
                        field,
                        op: RangeOp::Lt,
                        value: t.seconds as f64 + DAY,
                    });
                }
                _ => t.instant(),
            }
        }
    };
    Ok(Expr::Range { field, op, value })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kql::syntax::read;

    fn expr(q: &str) -> Expr {
        resolve(&read(q).unwrap()).unwrap_or_else(|e| panic!("{q}: {e}"))
    }

    fn err(q: &str) -> QueryError {
        resolve(&read(q).unwrap()).unwrap_err()
    }

    fn f(name: &str) -> &'static Field {
        field_named(name).unwrap()
    }

    #[test]
    fn whole_days_follow_elasticsearch_rounding() {
        let d = 1_767_225_600.0; // 2026-01-01
        let range = |name: &str, op, value| Expr::Range {
            field: f(name),
            op,
            value,
        };
        assert_eq!(
            expr("last_seen >= 2026-01-01"),
            range("last_seen", RangeOp::Ge, d)
        );
        assert_eq!(
            expr("last_seen < 2026-01-01"),
            range("last_seen", RangeOp::Lt, d)
        );
        assert_eq!(
            expr("last_seen > 2026-01-01"),
            range("last_seen", RangeOp::Ge, d + DAY)
        );
        assert_eq!(
            expr("last_seen <= 2026-01-01"),
            range("last_seen", RangeOp::Lt, d + DAY)
        );
        assert_eq!(
            expr("first_seen : 2026-01-01"),
            Expr::And(vec![
                range("first_seen", RangeOp::Ge, d),
                range("first_seen", RangeOp::Lt, d + DAY)
            ])
        );
        assert_eq!(
            expr(r#"last_seen > "2026-01-01T00:00:00.5Z""#),
            range("last_seen", RangeOp::Gt, d + 0.5)
        );
    }

    #[test]
    fn values_kspm_refuses_name_the_field_or_value() {
        let cases = [
            ("nope : x", 0, "unknown field `nope`"),
            ("rule.* : x", 0, "does not expand wildcards in field names"),
            (
                "result.evaluation : FAILED",
                20,
                "`FAILED` is not an outcome",
            ),
            (
                "result.evaluation : not_applicable",
                20,
                "does not store `not_applicable`",
            ),
            (
                "excepted : maybe",
                11,
                "bad value for `excepted`: expected `true` or `false`",
            ),
            ("rule.id : null", 10, "unquoted `null`"),
            ("first_seen : 2026*", 13, "`first_seen` is a date field"),
            ("rule.id > 5", 0, "kspm does not compare text"),
            ("last_seen > yesterday", 12, "found `yesterday`"),
            ("last_seen > 2026*", 12, "cannot hold `*`"),
            ("event.sequence < five", 17, "expected a number"),
            ("rule.id : \"a\\u0000\"", 10, "NUL"),
        ];
        for (q, pos, msg) in cases {
            let e = err(q);
            assert_eq!(e.position, pos, "{q}: {e}");
            assert!(e.message.contains(msg), "{q}: {e}");
        }
    }

    #[test]
    fn lone_wildcards_mean_everything_or_exists() {
        assert_eq!(expr("*"), Expr::All);
        assert_eq!(expr("* : *"), Expr::All);
        assert_eq!(
            expr("host.name : *"),
            Expr::Match {
                field: f("host.name"),
                value: Value::Pattern(vec![Piece::Any])
            }
        );
    }
}
