//! The query language: parse errors, translation, and that the parser never panics.

use kspm_store::kql::{self, Expr, FIELDS, FieldKind, SqlParam};
use proptest::prelude::*;

#[test]
fn every_documented_field_parses_with_a_value_of_its_type() {
    for f in FIELDS {
        let value = match f.kind {
            FieldKind::Keyword | FieldKind::Text => "x*",
            FieldKind::Outcome => "failed",
            FieldKind::Number => "5",
            FieldKind::Date => "\"2026-01-01T00:00:00Z\"",
            FieldKind::Boolean => "true",
        };
        let q = format!("{} : {value}", f.name);
        assert!(matches!(kql::parse(&q), Ok(Expr::Match { .. })), "{q}");
        if f.kind.has_ranges() {
            assert!(kql::parse(&format!("{} >= {value}", f.name)).is_ok());
        }
        assert!(!f.description.is_empty());
    }
    for required in [
        "rule.id",
        "rule.name",
        "rule.section",
        "rule.benchmark.id",
        "rule.benchmark.rule_number",
        "result.evaluation",
        "resource.id",
        "resource.name",
        "resource.type",
        "resource.sub_type",
        "orchestrator.cluster.id",
        "orchestrator.cluster.name",
        "orchestrator.resource.namespace",
        "host.name",
        "@timestamp",
        "last_seen",
        "first_seen",
        "excepted",
    ] {
        assert!(kql::field_named(required).is_some(), "{required}");
    }
}

#[test]
fn error_table() {
    let cases = [
        ("unknown.field : x", 0, "unknown field"),
        ("rule.id : \"open", 10, "unterminated quoted value"),
        (
            "rule.id : a or )",
            15,
            "expected a field or a value, found `)`",
        ),
        ("rule.id :", 9, "expected a value"),
        ("@timestamp < 2026-02-30", 13, "bad range value"),
        ("first_seen >= \"soon\"", 14, "bad range value"),
        ("resource.name > 3", 0, "needs a number or date field"),
        ("rule.id : x\\", 11, "escapes nothing"),
        (")", 0, "expected a field or a value, found `)`"),
    ];
    for (q, pos, msg) in cases {
        let e = kql::parse(q).unwrap_err();
        assert_eq!(e.position, pos, "{q}: {e}");
        assert!(e.message.contains(msg), "{q}: {e}");
    }
}

#[test]
fn translation_binds_every_value() {
    let e = kql::parse(
        r#"rule.section : "API Server" and (resource.name : web* or not host.name : "n'1")"#,
    )
    .unwrap();
    let sql = kql::translate(&e, 0);
    assert_eq!(
        sql.sql,
        "(f.section = ? AND (f.resource_name LIKE ? ESCAPE '\\' OR NOT COALESCE(f.host = ?, 0)))"
    );
    assert_eq!(
        sql.params,
        vec![
            SqlParam::Text("API Server".into()),
            SqlParam::Text("web%".into()),
            SqlParam::Text("n'1".into())
        ]
    );
}

fn query_chars() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "rule.id",
        "last_seen",
        "excepted",
        ":",
        " : ",
        "(",
        ")",
        "\"",
        "\\",
        "*",
        " and ",
        " or ",
        " not ",
        ">",
        ">=",
        "<",
        "2026-01-01",
        "2026-01-01T00:00:00Z",
        "x",
        "é",
        " ",
        "true",
        "5",
        "result.evaluation",
        "failed",
        "%",
        "_",
    ]);
    prop::collection::vec(atoms, 0..24).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn parser_never_panics_on_arbitrary_text(s in "\\PC{0,80}") {
        let _ = kql::parse(&s);
    }

    #[test]
    fn parser_never_panics_on_query_like_text_and_errors_point_inside(s in query_chars()) {
        match kql::parse(&s) {
            Ok(e) => {
                let sql = kql::translate(&e, 0);
                prop_assert_eq!(sql.sql.matches('?').count(), sql.params.len());
            }
            Err(e) => prop_assert!(e.position <= s.chars().count()),
        }
    }
}
